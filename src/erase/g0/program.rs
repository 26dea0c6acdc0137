//! Programs the main flash of an STM32G0B0/G0B1/G0C1 through its FLASH registers (reference §3,
//! §7), in the live layout — bank mode and swap — so that every byte lands in the silicon its
//! address names now.
//!
//! The double-word sequence is the shared one ([`crate::erase::double_words`]); the G0 gives it
//! its live pages, its page erase ([`erase_units`]: each page by its physical bank's BKER and
//! PNB), busy as BSY1/BSY2/CFGBSY, and the instruction cache reset. After programming the first
//! word of main flash it clears FLASH_ACR.PROGEMPTY, so that a reset boots what was written.

use probe_rs::{Core, MemoryInterface};

use crate::chip::g0::geometry::FLASH_BASE;
use crate::chip::g0::registers::{
    flash_sr_flag_names, FlashRegister, FLASH_ACR_ICEN, FLASH_ACR_ICRST, FLASH_ACR_PROGEMPTY,
    FLASH_CR_PG, FLASH_SR_PROGRAM_ERRORS,
};
use crate::chip::g0::{G0Layout, Page};
use crate::chip::notation::hex32;
use crate::erase::double_words::{
    self, DoubleWordFacts, DoubleWordFlash, FlashPage, PageImages, ProgramError, ProgramReport,
};

use super::{erase_units, page_number, G0EraseError, Unit, CONTROLLER};

impl FlashPage for Page {
    fn address(&self) -> u32 {
        self.address
    }

    fn size(&self) -> u32 {
        self.size
    }

    fn describe(&self) -> String {
        format!(
            "{} = physical bank {} page {}",
            hex32(self.address),
            self.bank.number(),
            self.page
        )
    }
}

/// Programming facts: FLASH_CR.PG, the programming error flags of FLASH_SR.
static FACTS: DoubleWordFacts = DoubleWordFacts {
    controller: &CONTROLLER,
    pg: FLASH_CR_PG,
    program_errors: FLASH_SR_PROGRAM_ERRORS,
    flag_names: flash_sr_flag_names,
    busy_name: "FLASH_SR.BSY1/BSY2/CFGBSY",
};

/// The G0's flash in a live layout (bank mode and swap), as the double-word programmer sees it.
struct G0Flash<'a>(&'a G0Layout);

impl DoubleWordFlash for G0Flash<'_> {
    type Page = Page;
    type EraseError = G0EraseError;

    fn page_at(&self, address: u32) -> Option<Page> {
        self.0.page_at(address)
    }

    fn summary(&self) -> String {
        self.0.summary()
    }

    fn erase_pages(
        &self,
        core: &mut Core<'_>,
        pages: &[Page],
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<(), G0EraseError> {
        let units: Vec<Unit> = pages
            .iter()
            .map(|page| Unit::Page {
                number: page_number(page),
                page: *page,
            })
            .collect();
        erase_units(core, &units, |_, done, total| progress(done, total))
    }

    fn facts(&self) -> &'static DoubleWordFacts {
        &FACTS
    }

    /// The instruction cache, so the core does not run stale code from the erased pages (a
    /// cache may only be reset while disabled).
    fn reset_caches(&self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let acr = read(core, FlashRegister::Acr)?;
        if acr & FLASH_ACR_ICEN == 0 {
            return Ok(());
        }
        let off = acr & !FLASH_ACR_ICEN;
        for value in [off, off | FLASH_ACR_ICRST, off, acr] {
            write(core, FlashRegister::Acr, value)?;
        }
        Ok(())
    }
}

/// What a programming run did, and where.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct G0ProgramReport {
    /// Pages, double words and bytes.
    pub counts: ProgramReport,
    /// The physical banks written to, in words ("physical bank 2 (at 0x0800_0000)").
    pub banks: Vec<String>,
}

fn read(core: &mut Core<'_>, register: FlashRegister) -> Result<u32, probe_rs::Error> {
    core.read_word_32(u64::from(register.address()))
}

fn write(core: &mut Core<'_>, register: FlashRegister, value: u32) -> Result<(), probe_rs::Error> {
    core.write_word_32(u64::from(register.address()), value)
}

/// Programs `chunks` (bus addresses in main flash) into the pages of `layout`, which must be the
/// live one; `progress` gets a line per step worth logging.
pub fn program(
    core: &mut Core<'_>,
    layout: &G0Layout,
    chunks: &[(u32, Vec<u8>)],
    progress: &mut dyn FnMut(String),
) -> Result<G0ProgramReport, ProgramError> {
    let flash = G0Flash(layout);
    // Every address is checked against the layout before anything is touched.
    let pages = double_words::page_images(&flash, chunks)?;
    let mut banks: Vec<String> = Vec::new();
    for (page, _) in pages.values() {
        let base = layout.base_of(page.bank).unwrap_or(page.address);
        let text = format!("physical bank {} (at {})", page.bank.number(), hex32(base));
        if !banks.contains(&text) {
            banks.push(text);
        }
    }
    let counts = double_words::program(core, &flash, &pages, progress)?;
    if boots_programmed_flash(&pages) && clear_prog_empty(core)? {
        progress("FLASH_ACR.PROGEMPTY cleared: a reset boots the new firmware".into());
    }
    Ok(G0ProgramReport { counts, banks })
}

/// Whether the image put a word at 0x0800_0000, the first word the chip boots from.
fn boots_programmed_flash(pages: &PageImages<Page>) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::{PhysicalBank, Swap};
    use crate::chip::BankMode;

    #[test]
    fn pages_follow_the_swap() {
        let swapped = G0Layout::new(512, BankMode::Dual, Swap::On).unwrap();
        let pages = double_words::page_images(
            &G0Flash(&swapped),
            &[(0x0800_07FC, vec![1, 2, 3, 4, 5, 6]), (0x0804_0000, vec![9])],
        )
        .unwrap();
        let keys: Vec<u32> = pages.keys().copied().collect();
        assert_eq!(keys, vec![0x0800_0000, 0x0800_0800, 0x0804_0000]);
        assert_eq!(pages[&0x0800_0000].0.bank, PhysicalBank::Bank2);
        assert_eq!(pages[&0x0804_0000].0.bank, PhysicalBank::Bank1);
        assert_eq!(pages[&0x0800_0800].1[..3], [5, 6, 0xFF]);
        let err = double_words::page_images(&G0Flash(&swapped), &[(0x0808_0000, vec![0])])
            .unwrap_err();
        assert!(err.to_string().contains("0x0808_0000"), "{err}");
    }
}
