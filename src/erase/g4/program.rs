//! Programs the main flash of an STM32G47x/G48x through its FLASH registers (RM0440; reference
//! §3, §6), in the page geometry of the live bank mode.
//!
//! The sequence: the pages the image touches are erased by the erase module's G4 sequence
//! ([`crate::erase::g4::erase_units`]: keys only when FLASH_CR.LOCK is set, bounded BSY waits,
//! stale flags cleared, PER + PNB + BKER then STRT per page, relock on every path); then, on the
//! same FLASH-controller steps ([`crate::erase::controller`]), each page is programmed with PG in
//! 64-bit double words — two 32-bit writes to the same double word, in order (one two-word block
//! transfer), then a bounded wait for BSY before the next double word, as ST's HAL does after
//! every double word (writing the next one while BSY is set is not something the reference facts
//! say the controller accepts); double words that are all 0xFF are left erased. After each page
//! the error flags (PROGERR, SIZERR, PGAERR, PGSERR, WRPERR, OPERR) are checked. LOCK is set
//! again on every path, and everything written is read back and compared.
//! The caller keeps the core halted throughout.

use std::collections::BTreeMap;
use std::time::Duration;

use probe_rs::{Core, MemoryInterface};

use crate::chip::g4::registers::{
    flash_sr_flag_names, FlashRegister, FLASH_CR_PG, FLASH_SR_PROGRAM_ERRORS,
};
use crate::chip::g4::{G4Layout, Page};
use crate::chip::notation::hex32;
use crate::erase::controller::StepError;
use crate::erase::g4::{erase_units, page_number, G4EraseError, Unit, CONTROLLER};

/// FLASH_ACR.ICEN: instruction cache enable (bit 9).
pub const FLASH_ACR_ICEN: u32 = 1 << 9;
/// FLASH_ACR.DCEN: data cache enable (bit 10).
pub const FLASH_ACR_DCEN: u32 = 1 << 10;
/// FLASH_ACR.ICRST: instruction cache reset, only while ICEN is clear (bit 11).
pub const FLASH_ACR_ICRST: u32 = 1 << 11;
/// FLASH_ACR.DCRST: data cache reset, only while DCEN is clear (bit 12).
pub const FLASH_ACR_DCRST: u32 = 1 << 12;

/// How long an operation already running may take to end before programming starts.
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);
/// One double word programs in ~90 µs; allow far more before giving up.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(1);
/// The width the controller programs in.
const DOUBLE_WORD: usize = 8;

/// Why programming failed; what was erased may be gone.
#[derive(Debug, thiserror::Error)]
pub enum G4ProgramError {
    /// The probe failed.
    #[error("probe: {0}")]
    Probe(#[from] probe_rs::Error),
    /// Erasing the pages the image touches failed (nothing was programmed).
    #[error(transparent)]
    Erase(#[from] G4EraseError),
    /// An address of the image lies outside the pages of the live layout.
    #[error("{address} is not in a flash page of the live layout ({layout}); nothing was erased or written")]
    OutsideFlash {
        /// The address.
        address: String,
        /// The layout summary.
        layout: String,
    },
    /// FLASH_CR stayed locked after the key sequence.
    #[error("FLASH_CR stayed locked after the KEYR key sequence; a wrong key locks it until the next reset")]
    Locked,
    /// BSY did not clear in time.
    #[error("FLASH_SR.BSY still set after {timeout:?} {what}")]
    Busy {
        /// The step.
        what: String,
        /// How long it waited.
        timeout: Duration,
    },
    /// The controller flagged an error.
    #[error("{what}: FLASH_SR = {sr:#010x} ({flags})")]
    Flash {
        /// The step.
        what: String,
        /// FLASH_SR as read.
        sr: u32,
        /// The flags set, by name.
        flags: String,
    },
    /// The read-back differs from the image.
    #[error("verify failed at {address}: wrote {expected:#04x}, read {found:#04x}")]
    Verify {
        /// The first differing byte.
        address: String,
        /// What was written.
        expected: u8,
        /// What was read.
        found: u8,
    },
}

/// What a programming run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct G4ProgramReport {
    /// Pages erased.
    pub pages_erased: usize,
    /// Double words programmed (all-0xFF ones are left erased).
    pub double_words: usize,
    /// Bytes read back and compared.
    pub verified_bytes: usize,
}

/// The content of every page the image touches: 0xFF where the image has no byte.
fn page_images(
    layout: &G4Layout,
    chunks: &[(u32, Vec<u8>)],
) -> Result<BTreeMap<u32, (Page, Vec<u8>)>, G4ProgramError> {
    let mut pages: BTreeMap<u32, (Page, Vec<u8>)> = BTreeMap::new();
    for (start, data) in chunks {
        for (i, &byte) in data.iter().enumerate() {
            let address = start + i as u32;
            let page = match pages.range(..=address).next_back() {
                Some((_, (page, _))) if page.contains(address) => *page,
                _ => layout
                    .page_at(address)
                    .ok_or_else(|| G4ProgramError::OutsideFlash {
                        address: hex32(address),
                        layout: layout.summary(),
                    })?,
            };
            let (_, image) = pages
                .entry(page.address)
                .or_insert_with(|| (page, vec![0xFF; page.size as usize]));
            image[(address - page.address) as usize] = byte;
        }
    }
    Ok(pages)
}

impl From<StepError> for G4ProgramError {
    fn from(error: StepError) -> Self {
        match error {
            StepError::StillLocked => G4ProgramError::Locked,
            StepError::Busy { timeout, during } => G4ProgramError::Busy {
                what: during,
                timeout,
            },
            StepError::Probe { source, .. } => G4ProgramError::Probe(source),
        }
    }
}

fn read(core: &mut Core<'_>, register: FlashRegister) -> Result<u32, probe_rs::Error> {
    core.read_word_32(u64::from(register.address()))
}

fn write(core: &mut Core<'_>, register: FlashRegister, value: u32) -> Result<(), probe_rs::Error> {
    core.write_word_32(u64::from(register.address()), value)
}

/// Fails on a programming error flag, after clearing it.
fn check(core: &mut Core<'_>, sr: u32, what: &str) -> Result<(), G4ProgramError> {
    let errors = sr & FLASH_SR_PROGRAM_ERRORS;
    if errors == 0 {
        return Ok(());
    }
    write(core, FlashRegister::Sr, errors)?;
    Err(G4ProgramError::Flash {
        what: what.into(),
        sr,
        flags: flash_sr_flag_names(errors).join(", "),
    })
}

/// Programs `chunks` (bus addresses in main flash) into the pages of `layout`, which must be the
/// live bank mode's; `progress` gets a line per step worth logging.
pub fn program(
    core: &mut Core<'_>,
    layout: &G4Layout,
    chunks: &[(u32, Vec<u8>)],
    progress: &mut dyn FnMut(String),
) -> Result<G4ProgramReport, G4ProgramError> {
    // Every address is checked against the layout before anything is touched.
    let pages = page_images(layout, chunks)?;
    if pages.is_empty() {
        return Ok(G4ProgramReport::default());
    }
    let units: Vec<Unit> = pages
        .values()
        .map(|(page, _)| Unit::Page {
            number: page_number(layout, page),
            page: *page,
        })
        .collect();
    erase_units(core, &units, |_, done, total| {
        if done % 16 == 0 || done == total {
            progress(format!("erased {done} of {total} pages"));
        }
    })?;
    let mut report = G4ProgramReport {
        pages_erased: units.len(),
        ..G4ProgramReport::default()
    };

    let result = CONTROLLER
        .unlock(core, IDLE_TIMEOUT)
        .map_err(G4ProgramError::from)
        .and_then(|()| program_pages(core, &pages, &mut report, progress));
    // LOCK on every path, also after a failure.
    let relock = CONTROLLER.lock(core);
    result?;
    relock?;
    flush_caches(core)?;

    // Read back what was programmed.
    for (address, (_, image)) in &pages {
        let mut back = vec![0u8; image.len()];
        core.read_8(u64::from(*address), &mut back)?;
        if let Some(i) = (0..image.len()).find(|&i| back[i] != image[i]) {
            return Err(G4ProgramError::Verify {
                address: hex32(address + i as u32),
                expected: image[i],
                found: back[i],
            });
        }
        report.verified_bytes += image.len();
    }
    progress(format!(
        "verified {} bytes in {} pages",
        report.verified_bytes,
        pages.len()
    ));
    Ok(report)
}

/// Programs the erased pages on an unlocked controller, PG cleared again after each page.
fn program_pages(
    core: &mut Core<'_>,
    pages: &BTreeMap<u32, (Page, Vec<u8>)>,
    report: &mut G4ProgramReport,
    progress: &mut dyn FnMut(String),
) -> Result<(), G4ProgramError> {
    let total = pages.len();
    for (n, (page, image)) in pages.values().enumerate() {
        let what = format!(
            "programming bank {} page {} at {}",
            page.bank,
            page.pnb,
            hex32(page.address)
        );
        write(core, FlashRegister::Cr, FLASH_CR_PG)?;
        let programmed = program_page(core, page.address, image, &what);
        write(core, FlashRegister::Cr, 0)?;
        let (count, sr) = programmed?;
        report.double_words += count;
        check(core, sr, &what)?;
        if (n + 1) % 16 == 0 || n + 1 == total {
            progress(format!("programmed {} of {total} pages", n + 1));
        }
    }
    Ok(())
}

/// Writes the double words of one page with PG set, waiting for BSY after each; returns how
/// many and the last FLASH_SR. Stops at the first double word that raised an error flag (the
/// caller reports it).
fn program_page(
    core: &mut Core<'_>,
    address: u32,
    image: &[u8],
    what: &str,
) -> Result<(usize, u32), G4ProgramError> {
    let mut count = 0;
    let mut sr = 0;
    for (i, dw) in image.chunks(DOUBLE_WORD).enumerate() {
        if dw.iter().all(|&b| b == 0xFF) {
            continue;
        }
        let words: Vec<u32> = dw
            .chunks(4)
            .map(|w| {
                u32::from_le_bytes(w.try_into().expect("page sizes are double-word multiples"))
            })
            .collect();
        let at = address + (i * DOUBLE_WORD) as u32;
        core.write_32(u64::from(at), &words)?;
        core.flush()?;
        count += 1;
        sr = CONTROLLER.wait_idle(core, PROGRAM_TIMEOUT, what)?;
        if sr & FLASH_SR_PROGRAM_ERRORS != 0 {
            break;
        }
    }
    Ok((count, sr))
}

/// Resets the instruction and data caches if they are on, so the core does not run stale code
/// from the erased pages (RM0440: a cache may only be reset while disabled).
fn flush_caches(core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
    let acr = read(core, FlashRegister::Acr)?;
    let enabled = acr & (FLASH_ACR_ICEN | FLASH_ACR_DCEN);
    if enabled == 0 {
        return Ok(());
    }
    let off = acr & !(FLASH_ACR_ICEN | FLASH_ACR_DCEN);
    write(core, FlashRegister::Acr, off)?;
    write(
        core,
        FlashRegister::Acr,
        off | FLASH_ACR_ICRST | FLASH_ACR_DCRST,
    )?;
    write(core, FlashRegister::Acr, off)?;
    write(core, FlashRegister::Acr, acr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::BankMode;

    #[test]
    fn pages_touched_are_filled_with_ff() {
        let dual = G4Layout::new(256, BankMode::Dual).unwrap();
        let pages = page_images(
            &dual,
            &[
                (0x0800_07FC, vec![1, 2, 3, 4, 5, 6]),
                (0x0804_0000, vec![9]),
            ],
        )
        .unwrap();
        let keys: Vec<u32> = pages.keys().copied().collect();
        assert_eq!(keys, vec![0x0800_0000, 0x0800_0800, 0x0804_0000]);
        assert_eq!(pages[&0x0800_0000].1[0x7FC..], [1, 2, 3, 4]);
        assert_eq!(pages[&0x0800_0800].1[..3], [5, 6, 0xFF]);
        assert_eq!(pages[&0x0804_0000].0.bank, 2);
        // The hole between the banks of a 256 KB part is no page.
        let err = page_images(&dual, &[(0x0802_0000, vec![0])]).unwrap_err();
        assert!(err.to_string().contains("0x0802_0000"), "{err}");
        let single = G4Layout::new(512, BankMode::Single).unwrap();
        let pages = page_images(&single, &[(0x0800_1FFF, vec![7, 8])]).unwrap();
        assert_eq!(pages.len(), 2, "4 KB pages");
        assert_eq!(pages[&0x0800_1000].1.len(), 4096);
    }
}
