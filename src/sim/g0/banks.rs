//! The simulated G0's flash geometry as loaded at the last option load: which silicon answers
//! an address, and which silicon an erase selects (reference §7).
//!
//! - 2 KB pages. The array is physical: bank 1 is its first half, bank 2 its second half.
//! - DUAL_BANK = 1 on 256/512 KB parts: two banks of half the flash, logical bank 2 right after
//!   logical bank 1 (0x0804_0000 on 512 KB, 0x0802_0000 on 256 KB). DUAL_BANK = 0, and always on
//!   128 KB parts: one bank.
//! - nSWAP_BANK = 0 in dual-bank mode: the first window shows physical bank 2, the second
//!   physical bank 1. Outside dual-bank mode nSWAP_BANK is ignored (UNVERIFIED).
//! - Erase names silicon: PER with BKER = 1 erases page PNB − 256 of physical bank 2 (bank 2's
//!   pages are numbered from 256 — BMP-G0 and Zephyr's G0 driver, not the reference sheet;
//!   any other PNB with BKER = 1 is refused here, UNVERIFIED what silicon does); BKER = 0 page
//!   PNB of physical bank 1. MER1/MER2 erase physical bank 1/2.
//!
//! Written from the reference facts, not from `src/chip/g0`.

use std::ops::Range;

/// Main flash base.
pub const FLASH_BASE: u32 = 0x0800_0000;
/// Page size in every mode.
pub const PAGE_SIZE: u32 = 2048;
/// First PNB value of physical bank 2.
pub const BANK2_FIRST_PNB: u32 = 256;

/// A physical bank: 1 or 2.
pub type Bank = u8;

/// The geometry in force since the last option load.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Loaded {
    flash_kb: u32,
    /// Two banks.
    pub dual: bool,
    /// Physical bank 2 at 0x0800_0000.
    pub swapped: bool,
}

impl Loaded {
    /// The geometry a part with `flash_kb` loads from DUAL_BANK and nSWAP_BANK.
    pub fn new(flash_kb: u32, dual_bank: bool, nswap_bank: bool) -> Self {
        let dual = dual_bank && flash_kb >= 256;
        Loaded {
            flash_kb,
            dual,
            swapped: dual && !nswap_bank,
        }
    }

    fn flash_bytes(&self) -> u32 {
        self.flash_kb * 1024
    }

    /// Bytes per bank (all of the flash in single-bank mode).
    pub fn bank_bytes(&self) -> u32 {
        if self.dual {
            self.flash_bytes() / 2
        } else {
            self.flash_bytes()
        }
    }

    /// Pages per bank.
    pub fn pages_per_bank(&self) -> u32 {
        self.bank_bytes() / PAGE_SIZE
    }

    /// Whether `address` is main flash.
    pub fn contains(&self, address: u32) -> bool {
        (FLASH_BASE..FLASH_BASE + self.flash_bytes()).contains(&address)
    }

    /// The physical bank shown in the address window starting at 0x0800_0000 (`first`) or in
    /// the one after it.
    fn bank_in_window(&self, first: bool) -> Bank {
        match (first, self.swapped) {
            (true, false) | (false, true) => 1,
            (true, true) | (false, false) => 2,
        }
    }

    /// (physical bank, byte offset in it) of a main-flash address.
    pub fn locate(&self, address: u32) -> Option<(Bank, u32)> {
        if !self.contains(address) {
            return None;
        }
        let offset = address - FLASH_BASE;
        if !self.dual {
            return Some((1, offset));
        }
        let size = self.bank_bytes();
        let first = offset < size;
        Some((self.bank_in_window(first), offset % size))
    }

    /// Array offset of the start of physical bank `bank`.
    fn bank_start(&self, bank: Bank) -> u32 {
        if bank == 2 {
            self.flash_bytes() / 2
        } else {
            0
        }
    }

    /// Array offset of a main-flash address.
    pub fn physical(&self, address: u32) -> Option<usize> {
        let (bank, offset) = self.locate(address)?;
        Some((self.bank_start(bank) + offset) as usize)
    }

    /// (physical bank, page in bank) of a main-flash address.
    pub fn page_of(&self, address: u32) -> Option<(Bank, u32)> {
        self.locate(address)
            .map(|(bank, offset)| (bank, offset / PAGE_SIZE))
    }

    /// Array range of page `page` of physical bank `bank`.
    pub fn page_range(&self, bank: Bank, page: u32) -> Range<usize> {
        let start = self.bank_start(bank) + page * PAGE_SIZE;
        start as usize..(start + PAGE_SIZE) as usize
    }

    /// Array range of physical bank `bank`.
    pub fn bank_range(&self, bank: Bank) -> Range<usize> {
        let start = self.bank_start(bank);
        start as usize..(start + self.bank_bytes()) as usize
    }

    /// The page a page erase with this PNB and BKER selects: (physical bank, page in bank).
    pub fn selected_page(&self, pnb: u32, bker: bool) -> Option<(Bank, u32)> {
        let (bank, page) = match (self.dual, bker) {
            (true, true) => (2, pnb.checked_sub(BANK2_FIRST_PNB)?),
            // Single bank: BKER is ignored (UNVERIFIED).
            _ => (1, pnb),
        };
        (page < self.pages_per_bank()).then_some((bank, page))
    }

    /// The banks a mass erase with MER1/MER2 erases.
    pub fn mass_erase_banks(&self, mer1: bool, mer2: bool) -> Vec<Bank> {
        if !self.dual {
            // Single bank: either bit erases the one bank (UNVERIFIED).
            return if mer1 || mer2 { vec![1] } else { vec![] };
        }
        [(mer1, 1), (mer2, 2)]
            .into_iter()
            .filter(|(on, _)| *on)
            .map(|(_, b)| b)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_geometry() -> Vec<Loaded> {
        let mut out = Vec::new();
        for kb in [128, 256, 512] {
            for dual in [false, true] {
                for nswap in [false, true] {
                    out.push(Loaded::new(kb, dual, nswap));
                }
            }
        }
        out
    }

    #[test]
    fn the_bank_at_0x0800_0000_follows_the_swap() {
        let plain = Loaded::new(512, true, true);
        let swapped = Loaded::new(512, true, false);
        assert_eq!(plain.locate(0x0800_0000), Some((1, 0)));
        assert_eq!(plain.locate(0x0804_0000), Some((2, 0)));
        assert_eq!(swapped.locate(0x0800_0000), Some((2, 0)));
        assert_eq!(swapped.locate(0x0804_0010), Some((1, 0x10)));
        assert_eq!(swapped.physical(0x0800_0000), Some(0x4_0000));
        assert_eq!(swapped.physical(0x0804_0000), Some(0));
        // 256 KB halves.
        let small = Loaded::new(256, true, false);
        assert_eq!(small.locate(0x0802_0000), Some((1, 0)));
        assert_eq!(small.physical(0x0801_FFFC), Some(0x2_0000 + 0x1_FFFC));
        assert_eq!(small.locate(0x0804_0000), None);
        // Single bank and 128 KB ignore the swap.
        assert!(!Loaded::new(512, false, false).swapped);
        let tiny = Loaded::new(128, true, false);
        assert!(!tiny.dual && !tiny.swapped);
        assert_eq!(tiny.locate(0x0801_FFFF), Some((1, 0x1_FFFF)));
        assert_eq!(tiny.locate(0x0802_0000), None);
    }

    #[test]
    fn addresses_cover_the_array_once_in_every_geometry() {
        for g in every_geometry() {
            let bytes = g.flash_bytes() as usize;
            let mut seen = vec![false; bytes / 256];
            for address in (FLASH_BASE..FLASH_BASE + bytes as u32).step_by(256) {
                let phys = g.physical(address).unwrap();
                assert!(!seen[phys / 256], "{g:?} {address:#x}");
                seen[phys / 256] = true;
                let (bank, page) = g.page_of(address).unwrap();
                assert!(g.page_range(bank, page).contains(&phys), "{g:?}");
                assert!(g.bank_range(bank).contains(&phys), "{g:?}");
            }
            assert!(seen.iter().all(|s| *s), "{g:?}");
        }
    }

    #[test]
    fn erase_selection_is_physical() {
        let swapped = Loaded::new(512, true, false);
        // The page at 0x0800_0000 (physical bank 2 page 0) is PNB 256 with BKER.
        assert_eq!(swapped.selected_page(256, true), Some((2, 0)));
        assert_eq!(swapped.page_of(0x0800_0000), Some((2, 0)));
        assert_eq!(swapped.selected_page(0, false), Some((1, 0)));
        assert_eq!(swapped.page_of(0x0804_0000), Some((1, 0)));
        // Bank 2 counted from 0, or past its end, selects nothing.
        assert_eq!(swapped.selected_page(5, true), None);
        assert_eq!(swapped.selected_page(256 + 128, true), None);
        assert_eq!(swapped.selected_page(128, false), None);
        let small = Loaded::new(256, true, true);
        assert_eq!(small.selected_page(256 + 63, true), Some((2, 63)));
        assert_eq!(small.selected_page(256 + 64, true), None);
        let single = Loaded::new(512, false, true);
        assert_eq!(single.selected_page(255, false), Some((1, 255)));
        assert_eq!(
            single.selected_page(255, true),
            Some((1, 255)),
            "BKER ignored"
        );
        assert_eq!(single.selected_page(256, false), None);
        assert_eq!(single.mass_erase_banks(false, true), vec![1]);
        assert_eq!(swapped.mass_erase_banks(false, true), vec![2]);
        assert_eq!(swapped.mass_erase_banks(true, true), vec![1, 2]);
        assert!(swapped.mass_erase_banks(false, false).is_empty());
    }
}
