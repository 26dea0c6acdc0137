//! Programs the main flash of an STM32H74x/H75x through its FLASH registers (reference §9), in
//! the mapping in force, for `load` where probe-rs's algorithm cannot be trusted (the swap on:
//! whether `stm32h7x_2048` picks the register set of the physical bank behind an address is not
//! known).
//!
//! The sequence: the sectors the image touches are erased by [`super::erase_units`] (through
//! their physical banks' register sets); then, per physical bank, PG in FLASH_CRx and the image
//! in 256-bit flash words — eight 32-bit writes to one flash word at its logical address (the
//! write buffer of the physical bank behind it takes them), the missing bytes of a partial word
//! padded with 0xFF, words all 0xFF left erased — each followed by a bounded wait for QW and the
//! error flags checked. LOCK is set again on every path, and everything written is read back and
//! compared. The caller keeps the core halted throughout.

use std::collections::BTreeMap;
use std::time::Duration;

use probe_rs::{Core, MemoryInterface};

use crate::chip::h7::geometry::FLASH_WORD_BYTES;
use crate::chip::h7::registers::FLASH_CR_PG;
use crate::chip::h7::{H7Layout, Sector};
use crate::chip::notation::hex32;

use super::bank::{BankSet, StepError};
use super::{erase_units, Failed, Unit};

/// How long an operation already running may take to end before programming starts.
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
/// One flash word programs in well under a millisecond; allow far more.
const WORD_TIMEOUT: Duration = Duration::from_secs(1);
const WORD: usize = FLASH_WORD_BYTES as usize;

/// Why programming failed; what was erased may be gone.
#[derive(Debug, thiserror::Error)]
pub enum H7ProgramError {
    /// An address of the image lies outside the sectors of the live layout.
    #[error("{address} is not in a flash sector of the live layout ({layout}); nothing was erased or written")]
    OutsideFlash { address: String, layout: String },
    /// A sector the image touches is write-protected.
    #[error("{0}; nothing was erased or written")]
    Protected(String),
    /// Erasing the touched sectors failed (nothing was programmed).
    #[error("erasing before programming: {0}")]
    Erase(#[from] Failed),
    /// A register step failed while programming (the banks were relocked).
    #[error("programming: {0}; the flash registers were relocked")]
    Step(#[from] StepError),
    /// The probe failed reading back.
    #[error("reading back: {0}")]
    Probe(#[from] probe_rs::Error),
    /// Read-back differs.
    #[error("verify failed at {address}: wrote {wrote:#04x}, read {read:#04x}")]
    Verify { address: String, wrote: u8, read: u8 },
}

/// What a host-driven programming did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramReport {
    /// Sectors erased first.
    pub sectors_erased: usize,
    /// Flash words programmed.
    pub flash_words: usize,
    /// Bytes read back and compared.
    pub verified_bytes: usize,
}

/// The flash words of `chunks`, by their logical start address, padded with 0xFF.
fn flash_words(chunks: &[(u32, Vec<u8>)]) -> BTreeMap<u32, [u8; WORD]> {
    let mut words: BTreeMap<u32, [u8; WORD]> = BTreeMap::new();
    for (address, data) in chunks {
        for (i, &byte) in data.iter().enumerate() {
            let a = address + i as u32;
            let word = H7Layout::flash_word_start(a);
            words.entry(word).or_insert([0xFF; WORD])[(a - word) as usize] = byte;
        }
    }
    words
}

/// The sectors `chunks` touch, in address order, or the first address outside flash.
fn touched_sectors(layout: &H7Layout, chunks: &[(u32, Vec<u8>)]) -> Result<Vec<Sector>, H7ProgramError> {
    let mut sectors: Vec<Sector> = Vec::new();
    for (address, data) in chunks {
        let last = address + data.len().max(1) as u32 - 1;
        for a in [*address, last] {
            if layout.sector_at(a).is_none() {
                return Err(H7ProgramError::OutsideFlash {
                    address: hex32(a),
                    layout: layout.summary(),
                });
            }
        }
        let mut a = *address;
        while a <= last {
            let sector = layout.sector_at(a).ok_or_else(|| H7ProgramError::OutsideFlash {
                address: hex32(a),
                layout: layout.summary(),
            })?;
            if !sectors.contains(&sector) {
                sectors.push(sector);
            }
            a = sector.end();
        }
    }
    sectors.sort_by_key(|s| s.address);
    Ok(sectors)
}

/// Erases the sectors `chunks` touch and programs them in the live `layout`; `protected` says
/// whether a sector is write-protected.
pub fn program(
    core: &mut Core<'_>,
    layout: &H7Layout,
    protected: &dyn Fn(&Sector) -> bool,
    chunks: &[(u32, Vec<u8>)],
    progress: &mut dyn FnMut(String),
) -> Result<ProgramReport, H7ProgramError> {
    let sectors = touched_sectors(layout, chunks)?;
    let units: Vec<Unit> = sectors
        .iter()
        .map(|&sector| Unit::Sector {
            number: layout.sectors().iter().position(|s| *s == sector).unwrap_or(0) as u8,
            sector,
        })
        .collect();
    if let Some(unit) = units.iter().find(|u| matches!(u, Unit::Sector { sector, .. } if protected(sector))) {
        return Err(H7ProgramError::Protected(format!(
            "{} is write-protected (FLASH_WPSN_CUR{})",
            unit.describe(),
            unit.bank().number()
        )));
    }
    erase_units(core, &units, &mut |line| progress(line.to_string()))?;
    let words = flash_words(chunks);
    let written = program_words(core, layout, &words)?;
    progress(format!(
        "programmed {written} flash words of 256 bits in {} sector(s)",
        sectors.len()
    ));
    let verified = verify(core, chunks)?;
    Ok(ProgramReport {
        sectors_erased: units.len(),
        flash_words: written,
        verified_bytes: verified,
    })
}

/// PG per physical bank, each word then QW; LOCK again on every path.
fn program_words(
    core: &mut Core<'_>,
    layout: &H7Layout,
    words: &BTreeMap<u32, [u8; WORD]>,
) -> Result<usize, H7ProgramError> {
    let mut written = 0;
    let mut unlocked: Vec<BankSet> = Vec::new();
    let mut result: Result<(), StepError> = Ok(());
    for (&address, bytes) in words {
        if bytes.iter().all(|&b| b == 0xFF) {
            continue;
        }
        let Some(location) = layout.physical(address) else {
            continue;
        };
        let set = BankSet::of(location.bank);
        if !unlocked.iter().any(|s| s.bank == set.bank) {
            unlocked.push(set);
            if let Err(e) = set.unlock(core, IDLE_TIMEOUT).and_then(|()| set.set_cr(core, FLASH_CR_PG, false)) {
                result = Err(e);
                break;
            }
        }
        if let Err(e) = program_word(core, &set, address, bytes) {
            result = Err(e);
            break;
        }
        written += 1;
    }
    for set in &unlocked {
        let _ = set.set_cr(core, 0, false);
        if let Err(e) = set.lock(core) {
            log::error!("relocking FLASH_CR{} failed: {e}", set.bank.number());
        }
    }
    result?;
    Ok(written)
}

fn program_word(
    core: &mut Core<'_>,
    set: &BankSet,
    address: u32,
    bytes: &[u8; WORD],
) -> Result<(), StepError> {
    let data: Vec<u32> = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let during = format!("programming the flash word at {}", hex32(address));
    core.write_32(address.into(), &data)
        .and_then(|()| core.flush())
        .map_err(|source| StepError::Probe {
            during: during.clone(),
            source,
        })?;
    let sr = set.wait_idle(core, WORD_TIMEOUT, &during)?;
    set.check(core, sr, &during)
}

fn verify(core: &mut Core<'_>, chunks: &[(u32, Vec<u8>)]) -> Result<usize, H7ProgramError> {
    let mut total = 0;
    for (address, data) in chunks {
        let mut back = vec![0u8; data.len()];
        core.read_8((*address).into(), &mut back)?;
        if let Some(i) = (0..data.len()).find(|&i| back[i] != data[i]) {
            return Err(H7ProgramError::Verify {
                address: hex32(address + i as u32),
                wrote: data[i],
                read: back[i],
            });
        }
        total += data.len();
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::h7::{BankSwap, PhysicalBank};

    #[test]
    fn words_and_sectors() {
        let chunks = vec![(0x0800_0004, vec![1, 2, 3]), (0x0810_0000, vec![9; 40])];
        let words = flash_words(&chunks);
        assert_eq!(words.len(), 3);
        assert_eq!(&words[&0x0800_0000][..8], &[0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 0xFF]);
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        let sectors = touched_sectors(&swapped, &chunks).unwrap();
        assert_eq!(
            sectors.iter().map(|s| (s.bank, s.snb)).collect::<Vec<_>>(),
            vec![(PhysicalBank::Bank2, 0), (PhysicalBank::Bank1, 0)]
        );
        let half = H7Layout::new(1024, BankSwap::NotSwapped).unwrap();
        assert!(touched_sectors(&half, &[(0x0808_0000, vec![0])]).is_err());
    }
}
