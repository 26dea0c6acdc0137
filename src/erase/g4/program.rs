//! Programs the main flash of an STM32G47x/G48x through its FLASH registers (RM0440; reference
//! §3, §6), in the page geometry of the live bank mode.
//!
//! The double-word sequence is the shared one ([`crate::erase::double_words`]); the G4 gives it
//! its live pages, its page erase ([`crate::erase::g4::erase_units`]: PER + PNB + BKER then STRT
//! per page), FLASH_CR.PG, the programming error flags (PROGERR, SIZERR, PGAERR, PGSERR, WRPERR,
//! OPERR) and the reset of both caches.

use probe_rs::{Core, MemoryInterface};

use crate::chip::g4::registers::{
    flash_sr_flag_names, FlashRegister, FLASH_CR_PG, FLASH_SR_PROGRAM_ERRORS,
};
use crate::chip::g4::{G4Layout, Page};
use crate::chip::notation::hex32;
use crate::erase::double_words::{self, DoubleWordFacts, DoubleWordFlash, FlashPage, ProgramError, ProgramReport};
use crate::erase::g4::{erase_units, page_number, G4EraseError, Unit, CONTROLLER};

/// FLASH_ACR.ICEN: instruction cache enable (bit 9).
pub const FLASH_ACR_ICEN: u32 = 1 << 9;
/// FLASH_ACR.DCEN: data cache enable (bit 10).
pub const FLASH_ACR_DCEN: u32 = 1 << 10;
/// FLASH_ACR.ICRST: instruction cache reset, only while ICEN is clear (bit 11).
pub const FLASH_ACR_ICRST: u32 = 1 << 11;
/// FLASH_ACR.DCRST: data cache reset, only while DCEN is clear (bit 12).
pub const FLASH_ACR_DCRST: u32 = 1 << 12;

impl FlashPage for Page {
    fn address(&self) -> u32 {
        self.address
    }

    fn size(&self) -> u32 {
        self.size
    }

    fn describe(&self) -> String {
        format!("bank {} page {} at {}", self.bank, self.pnb, hex32(self.address))
    }
}

/// Programming facts: FLASH_CR.PG, the programming error flags of FLASH_SR.
static FACTS: DoubleWordFacts = DoubleWordFacts {
    controller: &CONTROLLER,
    pg: FLASH_CR_PG,
    program_errors: FLASH_SR_PROGRAM_ERRORS,
    flag_names: flash_sr_flag_names,
    busy_name: "FLASH_SR.BSY",
};

/// The G4's flash in a live layout, as the double-word programmer sees it.
struct G4Flash<'a>(&'a G4Layout);

impl DoubleWordFlash for G4Flash<'_> {
    type Page = Page;
    type EraseError = G4EraseError;

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
    ) -> Result<(), G4EraseError> {
        let units: Vec<Unit> = pages
            .iter()
            .map(|page| Unit::Page {
                number: page_number(self.0, page),
                page: *page,
            })
            .collect();
        erase_units(core, &units, |_, done, total| progress(done, total))
    }

    fn facts(&self) -> &'static DoubleWordFacts {
        &FACTS
    }

    /// Both caches, so the core does not run stale code from the erased pages (RM0440: a cache
    /// may only be reset while disabled).
    fn reset_caches(&self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let acr_address = u64::from(FlashRegister::Acr.address());
        let acr = core.read_word_32(acr_address)?;
        let enabled = acr & (FLASH_ACR_ICEN | FLASH_ACR_DCEN);
        if enabled == 0 {
            return Ok(());
        }
        let off = acr & !(FLASH_ACR_ICEN | FLASH_ACR_DCEN);
        for value in [off, off | FLASH_ACR_ICRST | FLASH_ACR_DCRST, off, acr] {
            core.write_word_32(acr_address, value)?;
        }
        Ok(())
    }
}

/// Programs `chunks` (bus addresses in main flash) into the pages of `layout`, which must be the
/// live bank mode's; `progress` gets a line per step worth logging.
pub fn program(
    core: &mut Core<'_>,
    layout: &G4Layout,
    chunks: &[(u32, Vec<u8>)],
    progress: &mut dyn FnMut(String),
) -> Result<ProgramReport, ProgramError> {
    let flash = G4Flash(layout);
    // Every address is checked against the layout before anything is touched.
    let pages = double_words::page_images(&flash, chunks)?;
    double_words::program(core, &flash, &pages, progress)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::BankMode;

    #[test]
    fn pages_touched_are_filled_with_ff() {
        let dual = G4Layout::new(256, BankMode::Dual).unwrap();
        let pages = double_words::page_images(
            &G4Flash(&dual),
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
        let err = double_words::page_images(&G4Flash(&dual), &[(0x0802_0000, vec![0])])
            .unwrap_err();
        assert!(err.to_string().contains("0x0802_0000"), "{err}");
        let single = G4Layout::new(512, BankMode::Single).unwrap();
        let pages =
            double_words::page_images(&G4Flash(&single), &[(0x0800_1FFF, vec![7, 8])]).unwrap();
        assert_eq!(pages.len(), 2, "4 KB pages");
        assert_eq!(pages[&0x0800_1000].1.len(), 4096);
    }
}
