//! Host-driven programming for FLASH controllers that program 64-bit double words with
//! FLASH_CR.PG (the OPTR-controller families: the G4's and the G0's), in whatever page layout
//! the family reads as live.
//!
//! The sequence: every address of the image is checked against the live pages before anything
//! is touched; the pages the image touches are erased by the family's own erase
//! ([`DoubleWordFlash::erase_pages`], which knows its bank-select bits and the swap); then, on
//! the shared controller steps ([`super::controller`]), each page is programmed with PG in
//! double words — two 32-bit writes to the same double word, in order (one two-word block
//! transfer), then a bounded wait for the controller's busy bits before the next one, as ST's
//! HAL does after every double word (writing the next one while busy is not something the
//! reference facts say the controller accepts); double words that are all 0xFF are left erased.
//! After each page the programming error flags are checked. LOCK is set again on every path, the
//! family resets its caches, and everything written is read back and compared. The caller keeps
//! the core halted throughout.

use std::collections::BTreeMap;
use std::time::Duration;

use probe_rs::{Core, MemoryInterface};

use crate::chip::notation::hex32;

use super::controller::{Controller, StepError};

/// How long an operation already running may take to end before programming starts.
const IDLE_TIMEOUT: Duration = Duration::from_secs(1);
/// One double word programs in under 100 µs; allow far more before giving up.
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(1);
/// The width the controller programs in.
const DOUBLE_WORD: usize = 8;

/// A page of the live layout.
pub trait FlashPage: Copy {
    /// Its start address in the mapping in force.
    fn address(&self) -> u32;
    /// Its size in bytes.
    fn size(&self) -> u32;
    /// The page in words for progress and errors, e.g. "bank 2 page 3 at 0x0804_1800".
    fn describe(&self) -> String;
}

/// A family's FLASH facts for programming double words.
#[derive(Clone, Copy, Debug)]
pub struct DoubleWordFacts {
    /// The FLASH controller (keys, lock, busy bits).
    pub controller: &'static Controller,
    /// FLASH_CR.PG.
    pub pg: u32,
    /// The FLASH_SR flags a programming step can raise (write 1 to clear).
    pub program_errors: u32,
    /// The names of the FLASH_SR flags set in a value.
    pub flag_names: fn(u32) -> Vec<&'static str>,
    /// The busy bits by name, for a timeout ("FLASH_SR.BSY").
    pub busy_name: &'static str,
}

/// What a family gives the host programmer: its live pages, its erase, its controller facts.
pub trait DoubleWordFlash {
    /// A page of its layout.
    type Page: FlashPage;
    /// Its erase's error.
    type EraseError: std::error::Error + Send + Sync + 'static;

    /// The page holding `address` in the live layout.
    fn page_at(&self, address: u32) -> Option<Self::Page>;
    /// The live layout in words.
    fn summary(&self) -> String;
    /// Erases `pages` (bounded waits, relocked on every path); `progress(done, total)`.
    fn erase_pages(
        &self,
        core: &mut Core<'_>,
        pages: &[Self::Page],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(), Self::EraseError>;
    /// Its controller and programming facts.
    fn facts(&self) -> &'static DoubleWordFacts;
    /// Resets the caches that may hold the erased pages' old content, if they are on.
    fn reset_caches(&self, core: &mut Core<'_>) -> Result<(), probe_rs::Error>;
}

/// Why programming failed; what was erased may be gone.
#[derive(Debug, thiserror::Error)]
pub enum ProgramError {
    /// The probe failed.
    #[error("probe: {0}")]
    Probe(#[from] probe_rs::Error),
    /// Erasing the pages the image touches failed (nothing was programmed).
    #[error(transparent)]
    Erase(Box<dyn std::error::Error + Send + Sync>),
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
    /// The busy bits did not clear in time.
    #[error("{busy} still set after {timeout:?} {what}")]
    Busy {
        /// The busy bits by name.
        busy: &'static str,
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
pub struct ProgramReport {
    /// Pages erased.
    pub pages_erased: usize,
    /// Double words programmed (all-0xFF ones are left erased).
    pub double_words: usize,
    /// Bytes read back and compared.
    pub verified_bytes: usize,
}

/// The content of every page the image touches, by address: 0xFF where the image has no byte.
pub type PageImages<P> = BTreeMap<u32, (P, Vec<u8>)>;

/// The pages `chunks` touch in `flash`'s live layout, with their content; an address outside
/// every page is an error before anything is touched.
pub fn page_images<F: DoubleWordFlash>(
    flash: &F,
    chunks: &[(u32, Vec<u8>)],
) -> Result<PageImages<F::Page>, ProgramError> {
    let mut pages: PageImages<F::Page> = BTreeMap::new();
    for (start, data) in chunks {
        for (i, &byte) in data.iter().enumerate() {
            let address = start + i as u32;
            let page = match pages.range(..=address).next_back() {
                Some((_, (page, _))) if address - page.address() < page.size() => *page,
                _ => flash
                    .page_at(address)
                    .ok_or_else(|| ProgramError::OutsideFlash {
                        address: hex32(address),
                        layout: flash.summary(),
                    })?,
            };
            let (_, image) = pages
                .entry(page.address())
                .or_insert_with(|| (page, vec![0xFF; page.size() as usize]));
            image[(address - page.address()) as usize] = byte;
        }
    }
    Ok(pages)
}

/// Programs `pages` (from [`page_images`]) into `flash`; `progress` gets a line per step worth
/// logging.
pub fn program<F: DoubleWordFlash>(
    core: &mut Core<'_>,
    flash: &F,
    pages: &PageImages<F::Page>,
    progress: &mut dyn FnMut(String),
) -> Result<ProgramReport, ProgramError> {
    if pages.is_empty() {
        return Ok(ProgramReport::default());
    }
    let to_erase: Vec<F::Page> = pages.values().map(|(page, _)| *page).collect();
    flash
        .erase_pages(core, &to_erase, &mut |done, total| {
            if done % 16 == 0 || done == total {
                progress(format!("erased {done} of {total} pages"));
            }
        })
        .map_err(|e| ProgramError::Erase(Box::new(e)))?;
    let mut report = ProgramReport {
        pages_erased: to_erase.len(),
        ..ProgramReport::default()
    };

    let controller = flash.facts().controller;
    let step_error = |e| step_error(flash, e);
    let result = controller
        .unlock(core, IDLE_TIMEOUT)
        .map_err(step_error)
        .and_then(|()| program_pages(core, flash, pages, &mut report, progress));
    // LOCK on every path, also after a failure.
    let relock = controller.lock(core);
    result?;
    relock?;
    flash.reset_caches(core)?;

    // Read back what was programmed.
    for (address, (_, image)) in pages {
        let mut back = vec![0u8; image.len()];
        core.read_8(u64::from(*address), &mut back)?;
        if let Some(i) = (0..image.len()).find(|&i| back[i] != image[i]) {
            return Err(ProgramError::Verify {
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

fn step_error<F: DoubleWordFlash>(flash: &F, error: StepError) -> ProgramError {
    match error {
        StepError::StillLocked => ProgramError::Locked,
        StepError::Busy { timeout, during } => ProgramError::Busy {
            busy: flash.facts().busy_name,
            what: during,
            timeout,
        },
        StepError::Probe { source, .. } => ProgramError::Probe(source),
    }
}

/// Programs the erased pages on an unlocked controller, PG cleared again after each page.
fn program_pages<F: DoubleWordFlash>(
    core: &mut Core<'_>,
    flash: &F,
    pages: &PageImages<F::Page>,
    report: &mut ProgramReport,
    progress: &mut dyn FnMut(String),
) -> Result<(), ProgramError> {
    let cr = u64::from(flash.facts().controller.cr);
    let total = pages.len();
    for (n, (page, image)) in pages.values().enumerate() {
        let what = format!("programming {}", page.describe());
        core.write_word_32(cr, flash.facts().pg)?;
        let programmed = program_page(core, flash, page.address(), image, &what);
        core.write_word_32(cr, 0)?;
        let (count, sr) = programmed?;
        report.double_words += count;
        check(core, flash, sr, &what)?;
        if (n + 1) % 16 == 0 || n + 1 == total {
            progress(format!("programmed {} of {total} pages", n + 1));
        }
    }
    Ok(())
}

/// Fails on a programming error flag, after clearing it.
fn check<F: DoubleWordFlash>(
    core: &mut Core<'_>,
    flash: &F,
    sr: u32,
    what: &str,
) -> Result<(), ProgramError> {
    let errors = sr & flash.facts().program_errors;
    if errors == 0 {
        return Ok(());
    }
    core.write_word_32(u64::from(flash.facts().controller.sr), errors)?;
    Err(ProgramError::Flash {
        what: what.into(),
        sr,
        flags: (flash.facts().flag_names)(errors).join(", "),
    })
}

/// Writes the double words of one page with PG set, waiting for the busy bits after each;
/// returns how many and the last FLASH_SR. Stops at the first double word that raised an error
/// flag (the caller reports it).
fn program_page<F: DoubleWordFlash>(
    core: &mut Core<'_>,
    flash: &F,
    address: u32,
    image: &[u8],
    what: &str,
) -> Result<(usize, u32), ProgramError> {
    let controller = flash.facts().controller;
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
        sr = controller
            .wait_idle(core, PROGRAM_TIMEOUT, what)
            .map_err(|e| step_error(flash, e))?;
        if sr & flash.facts().program_errors != 0 {
            break;
        }
    }
    Ok((count, sr))
}
