//! Programs the main flash of an STM32G0B0/G0B1/G0C1 through its FLASH registers (reference §3,
//! §7), in the live layout — bank mode and swap — so that every byte lands in the silicon its
//! address names now.
//!
//! The pages the image touches are erased by the G0 erase sequence ([`erase_units`]: each page
//! by its physical bank's BKER and PNB); then, on the same FLASH-controller steps, each page is
//! programmed with PG in 64-bit double words (two 32-bit writes to the same double word, one
//! block transfer), with a bounded wait for BSY1/BSY2/CFGBSY after each, as ST's HAL does;
//! all-0xFF double words are left erased. The programming error flags are checked after each
//! page, LOCK is set again on every path, the instruction cache is reset if it is on, and
//! everything written is read back and compared. The caller keeps the core halted throughout.

use std::collections::BTreeMap;
use std::time::Duration;

use probe_rs::{Core, MemoryInterface};

use crate::chip::g0::registers::{
    flash_sr_flag_names, FlashRegister, FLASH_ACR_ICEN, FLASH_ACR_ICRST, FLASH_ACR_PROGEMPTY,
    FLASH_CR_PG,
    FLASH_SR_PROGRAM_ERRORS,
};
use crate::chip::g0::geometry::FLASH_BASE;
use crate::chip::g0::{G0Layout, Page};
use crate::chip::notation::hex32;
use crate::erase::controller::StepError;

use super::{erase_units, page_number, G0EraseError, Unit, CONTROLLER};

/// How long an operation already running may take to end before programming starts.
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);
/// One double word programs in tens of microseconds; allow far more before giving up.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(1);
/// The width the controller programs in.
const DOUBLE_WORD: usize = 8;

/// Why programming failed; what was erased may be gone.
#[derive(Debug, thiserror::Error)]
pub enum G0ProgramError {
    #[error("probe: {0}")]
    Probe(#[from] probe_rs::Error),
    #[error(transparent)]
    Erase(#[from] G0EraseError),
    #[error("{address} is not in a flash page of the live layout ({layout}); nothing was erased or written")]
    OutsideFlash { address: String, layout: String },
    #[error("FLASH_CR stayed locked after the KEYR key sequence; a wrong key locks it until the next reset")]
    Locked,
    #[error("FLASH_SR.BSY1/BSY2/CFGBSY still set after {timeout:?} {what}")]
    Busy { what: String, timeout: Duration },
    #[error("{what}: FLASH_SR = {sr:#010x} ({flags})")]
    Flash {
        what: String,
        sr: u32,
        flags: String,
    },
    #[error("verify failed at {address}: wrote {expected:#04x}, read {found:#04x}")]
    Verify {
        address: String,
        expected: u8,
        found: u8,
    },
}

/// What a programming run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct G0ProgramReport {
    /// Pages erased.
    pub pages_erased: usize,
    /// Double words programmed (all-0xFF ones are left erased).
    pub double_words: usize,
    /// Bytes read back and compared.
    pub verified_bytes: usize,
    /// The physical banks written to, in words ("physical bank 2 (at 0x0800_0000)").
    pub banks: Vec<String>,
}

/// The content of every page the image touches: 0xFF where the image has no byte.
fn page_images(
    layout: &G0Layout,
    chunks: &[(u32, Vec<u8>)],
) -> Result<BTreeMap<u32, (Page, Vec<u8>)>, G0ProgramError> {
    let mut pages: BTreeMap<u32, (Page, Vec<u8>)> = BTreeMap::new();
    for (start, data) in chunks {
        for (i, &byte) in data.iter().enumerate() {
            let address = start + i as u32;
            let page = match pages.range(..=address).next_back() {
                Some((_, (page, _))) if page.contains(address) => *page,
                _ => layout
                    .page_at(address)
                    .ok_or_else(|| G0ProgramError::OutsideFlash {
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

impl From<StepError> for G0ProgramError {
    fn from(error: StepError) -> Self {
        match error {
            StepError::StillLocked => G0ProgramError::Locked,
            StepError::Busy { timeout, during } => G0ProgramError::Busy {
                what: during,
                timeout,
            },
            StepError::Probe { source, .. } => G0ProgramError::Probe(source),
        }
    }
}

fn read(core: &mut Core<'_>, register: FlashRegister) -> Result<u32, probe_rs::Error> {
    core.read_word_32(u64::from(register.address()))
}

fn write(core: &mut Core<'_>, register: FlashRegister, value: u32) -> Result<(), probe_rs::Error> {
    core.write_word_32(u64::from(register.address()), value)
}

fn check(core: &mut Core<'_>, sr: u32, what: &str) -> Result<(), G0ProgramError> {
    let errors = sr & FLASH_SR_PROGRAM_ERRORS;
    if errors == 0 {
        return Ok(());
    }
    write(core, FlashRegister::Sr, errors)?;
    Err(G0ProgramError::Flash {
        what: what.into(),
        sr,
        flags: flash_sr_flag_names(errors).join(", "),
    })
}

/// Programs `chunks` (bus addresses in main flash) into the pages of `layout`, which must be the
/// live one; `progress` gets a line per step worth logging.
pub fn program(
    core: &mut Core<'_>,
    layout: &G0Layout,
    chunks: &[(u32, Vec<u8>)],
    progress: &mut dyn FnMut(String),
) -> Result<G0ProgramReport, G0ProgramError> {
    // Every address is checked against the layout before anything is touched.
    let pages = page_images(layout, chunks)?;
    if pages.is_empty() {
        return Ok(G0ProgramReport::default());
    }
    let units: Vec<Unit> = pages
        .values()
        .map(|(page, _)| Unit::Page {
            number: page_number(page),
            page: *page,
        })
        .collect();
    let mut banks: Vec<String> = Vec::new();
    for (page, _) in pages.values() {
        let base = layout.base_of(page.bank).unwrap_or(page.address);
        let text = format!("physical bank {} (at {})", page.bank.number(), hex32(base));
        if !banks.contains(&text) {
            banks.push(text);
        }
    }
    erase_units(core, &units, |_, done, total| {
        if done % 16 == 0 || done == total {
            progress(format!("erased {done} of {total} pages"));
        }
    })?;
    let mut report = G0ProgramReport {
        pages_erased: units.len(),
        banks,
        ..G0ProgramReport::default()
    };
    let result = CONTROLLER
        .unlock(core, IDLE_TIMEOUT)
        .map_err(G0ProgramError::from)
        .and_then(|()| program_pages(core, &pages, &mut report, progress));
    // LOCK on every path, also after a failure.
    let relock = CONTROLLER.lock(core);
    result?;
    relock?;
    reset_instruction_cache(core)?;
    for (address, (_, image)) in &pages {
        let mut back = vec![0u8; image.len()];
        core.read_8(u64::from(*address), &mut back)?;
        if let Some(i) = (0..image.len()).find(|&i| back[i] != image[i]) {
            return Err(G0ProgramError::Verify {
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
    if boots_programmed_flash(&pages) && clear_prog_empty(core)? {
        progress("FLASH_ACR.PROGEMPTY cleared: a reset boots the new firmware".into());
    }
    Ok(report)
}

/// Whether the image put a word at 0x0800_0000, the first word the chip boots from.
fn boots_programmed_flash(pages: &BTreeMap<u32, (Page, Vec<u8>)>) -> bool {
    pages
        .get(&FLASH_BASE)
        .is_some_and(|(_, image)| image[..4] != [0xFF; 4])
}

/// FLASH_ACR.PROGEMPTY records that main flash was empty at the last option load, and makes the
/// chip boot the system memory instead of main flash until the next one: cleared after
/// programming the first word, as BMP does, so that a reset runs what `load` wrote (a write of
/// 0 clears it: UNVERIFIED, the reference does not describe the bit). Whether it was set.
fn clear_prog_empty(core: &mut Core<'_>) -> Result<bool, probe_rs::Error> {
    let acr = read(core, FlashRegister::Acr)?;
    if acr & FLASH_ACR_PROGEMPTY == 0 {
        return Ok(false);
    }
    write(core, FlashRegister::Acr, acr & !FLASH_ACR_PROGEMPTY)?;
    core.flush()?;
    Ok(true)
}

fn program_pages(
    core: &mut Core<'_>,
    pages: &BTreeMap<u32, (Page, Vec<u8>)>,
    report: &mut G0ProgramReport,
    progress: &mut dyn FnMut(String),
) -> Result<(), G0ProgramError> {
    let total = pages.len();
    for (n, (page, image)) in pages.values().enumerate() {
        let what = format!(
            "programming {} = physical bank {} page {}",
            hex32(page.address),
            page.bank.number(),
            page.page
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

fn program_page(
    core: &mut Core<'_>,
    address: u32,
    image: &[u8],
    what: &str,
) -> Result<(usize, u32), G0ProgramError> {
    let mut count = 0;
    let mut sr = 0;
    for (i, dw) in image.chunks(DOUBLE_WORD).enumerate() {
        if dw.iter().all(|&b| b == 0xFF) {
            continue;
        }
        let words: Vec<u32> = dw
            .chunks(4)
            .map(|w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
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

/// Resets the instruction cache if it is on, so the core does not run stale code from the
/// erased pages (a cache may only be reset while disabled).
fn reset_instruction_cache(core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
    let acr = read(core, FlashRegister::Acr)?;
    if acr & FLASH_ACR_ICEN == 0 {
        return Ok(());
    }
    let off = acr & !FLASH_ACR_ICEN;
    write(core, FlashRegister::Acr, off)?;
    write(core, FlashRegister::Acr, off | FLASH_ACR_ICRST)?;
    write(core, FlashRegister::Acr, off)?;
    write(core, FlashRegister::Acr, acr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::{PhysicalBank, Swap};
    use crate::chip::BankMode;

    #[test]
    fn pages_follow_the_swap() {
        let swapped = G0Layout::new(512, BankMode::Dual, Swap::On).unwrap();
        let pages = page_images(
            &swapped,
            &[(0x0800_07FC, vec![1, 2, 3, 4, 5, 6]), (0x0804_0000, vec![9])],
        )
        .unwrap();
        let keys: Vec<u32> = pages.keys().copied().collect();
        assert_eq!(keys, vec![0x0800_0000, 0x0800_0800, 0x0804_0000]);
        assert_eq!(pages[&0x0800_0000].0.bank, PhysicalBank::Bank2);
        assert_eq!(pages[&0x0804_0000].0.bank, PhysicalBank::Bank1);
        assert_eq!(pages[&0x0800_0800].1[..3], [5, 6, 0xFF]);
        let err = page_images(&swapped, &[(0x0808_0000, vec![0])]).unwrap_err();
        assert!(err.to_string().contains("0x0808_0000"), "{err}");
    }
}
