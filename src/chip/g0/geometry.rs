//! Page geometry of STM32G0B0/G0B1/G0C1 per bank mode, swap and flash size, and the mapping
//! between addresses and physical banks (reference §7).
//!
//! - 2 KB pages in every mode.
//! - DUAL_BANK = 1 (factory) on parts of 256 KB or more: two banks of half the flash each,
//!   contiguous: bank 2 at 0x0804_0000 on 512 KB parts, at 0x0802_0000 on 256 KB parts (HAL-G0
//!   `FLASH_BANK_SIZE` = half the flash).
//! - DUAL_BANK = 0, and always on the 128 KB part: one bank from 0x0800_0000.
//! - nSWAP_BANK = 0 (active low) in dual-bank mode: **physical bank 2 is mapped at
//!   0x0800_0000** and physical bank 1 after it. Erase selects banks physically — FLASH_CR.BKER,
//!   MER1/MER2, WRP1x/WRP2x and PCROP1x/PCROP2x name the silicon bank — while addresses follow
//!   the swap. Confusing the two erases the bank the user did not mean (wolfBoot 821,
//!   apache/nuttx#20054).
//!
//! Two vocabularies, two types: a [`LogicalBank`] is an address window (logical bank 1 at
//! 0x0800_0000, logical bank 2 after it); a [`PhysicalBank`] is the silicon bank the erase bits
//! name. [`G0Layout::locate`] and [`G0Layout::address_of`] map one to the other.
//!
//! What nSWAP_BANK does in single-bank mode is not stated anywhere read: HAL-G0 consults it only
//! with two banks, and this module treats it as inactive there (UNVERIFIED).

use serde::Serialize;

use crate::chip::notation::{hex32, size_text};
pub use crate::chip::BankMode;

use super::part::has_bank_mode;
use super::registers::{mass_erase_bit, page_erase_bits, pnb_of};

/// Start of main flash.
pub const FLASH_BASE: u32 = 0x0800_0000;
/// Page size in every mode (HAL-G0 `FLASH_PAGE_SIZE`).
pub const PAGE_SIZE: u32 = 2 * 1024;
/// Flash sizes of G0B0/G0B1/G0C1 parts, KB.
pub const FLASH_SIZES_KB: [u32; 3] = [128, 256, 512];

/// The bank mode selected by OPTR.DUAL_BANK (active high: 1 = dual), on a part with a bank mode.
pub fn bank_mode_from_dual_bank(dual_bank: bool) -> BankMode {
    if dual_bank {
        BankMode::Dual
    } else {
        BankMode::Single
    }
}

/// The OPTR.DUAL_BANK value that selects `mode`.
pub fn dual_bank_for(mode: BankMode) -> bool {
    mode == BankMode::Dual
}

/// A silicon bank: what FLASH_CR.BKER, MER1/MER2 and the WRPx/PCROPx registers name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PhysicalBank {
    /// Physical bank 1 (BKER = 0, MER1, WRP1x, PCROP1x).
    Bank1,
    /// Physical bank 2 (BKER = 1, MER2, WRP2x, PCROP2x).
    Bank2,
}

impl PhysicalBank {
    /// Both banks.
    pub const ALL: [PhysicalBank; 2] = [PhysicalBank::Bank1, PhysicalBank::Bank2];

    /// 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            PhysicalBank::Bank1 => 1,
            PhysicalBank::Bank2 => 2,
        }
    }

    /// The other bank.
    pub fn other(self) -> PhysicalBank {
        match self {
            PhysicalBank::Bank1 => PhysicalBank::Bank2,
            PhysicalBank::Bank2 => PhysicalBank::Bank1,
        }
    }

    /// FLASH_CR's mass-erase bit for this bank.
    pub fn mass_erase_bit(self) -> u32 {
        mass_erase_bit(self)
    }
}

/// An address window holding one bank in dual-bank mode: logical bank 1 at 0x0800_0000,
/// logical bank 2 right after it. In single-bank mode there is only logical bank 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum LogicalBank {
    /// The window at 0x0800_0000 (the one the chip boots from).
    Bank1,
    /// The window after it (0x0804_0000 on 512 KB, 0x0802_0000 on 256 KB parts).
    Bank2,
}

impl LogicalBank {
    /// 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            LogicalBank::Bank1 => 1,
            LogicalBank::Bank2 => 2,
        }
    }
}

/// Whether the banks are swapped (OPTR.nSWAP_BANK, active low).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Swap {
    /// nSWAP_BANK = 1 (factory): physical bank 1 at 0x0800_0000.
    Off,
    /// nSWAP_BANK = 0: physical bank 2 at 0x0800_0000.
    On,
}

impl Swap {
    /// The swap selected by a value of OPTR.nSWAP_BANK.
    pub fn from_nswap_bank(nswap_bank: bool) -> Swap {
        if nswap_bank {
            Swap::Off
        } else {
            Swap::On
        }
    }

    /// The OPTR.nSWAP_BANK value that selects this swap.
    pub fn nswap_bank(self) -> bool {
        self == Swap::Off
    }

    /// "on" or "off".
    pub fn name(self) -> &'static str {
        match self {
            Swap::Off => "off",
            Swap::On => "on",
        }
    }
}

/// Where a byte of main flash lives in silicon.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PhysicalLocation {
    /// The bank.
    pub bank: PhysicalBank,
    /// Byte offset from the start of that bank.
    pub offset: u32,
}

/// One erasable page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Page {
    /// The physical bank holding it (always bank 1 in single-bank mode).
    pub bank: PhysicalBank,
    /// Page number inside its bank.
    pub page: u32,
    /// Start address in the mapping in force.
    pub address: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Page {
    /// One past the last byte.
    pub fn end(&self) -> u32 {
        self.address + self.size
    }

    /// Whether `address` lies in this page.
    pub fn contains(&self, address: u32) -> bool {
        (self.address..self.end()).contains(&address)
    }

    /// The FLASH_CR.PNB value that selects it (bank 2 counts from 256).
    pub fn pnb(&self) -> u32 {
        pnb_of(self.bank, self.page)
    }

    /// FLASH_CR bits that select this page for erase (PER | PNB | BKER of its physical bank).
    pub fn erase_bits(&self) -> u32 {
        page_erase_bits(self.bank, self.page)
    }
}

/// One bank as it is mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MappedBank {
    /// The address window.
    pub logical: LogicalBank,
    /// The silicon behind it.
    pub physical: PhysicalBank,
    /// Start address.
    pub base: u32,
    /// Number of pages.
    pub pages: u32,
}

impl MappedBank {
    /// One past the last byte.
    pub fn end(&self) -> u32 {
        self.base + self.pages * PAGE_SIZE
    }
}

/// Why a layout cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum G0GeometryError {
    /// Not a G0B0/G0B1/G0C1 flash size.
    #[error(
        "no STM32G0B0/G0B1/G0C1 layout for {flash_kb} KB of flash (supported: 128, 256 and 512 KB)"
    )]
    UnsupportedSize {
        /// Requested size.
        flash_kb: u32,
    },
    /// 128 KB parts are single bank only.
    #[error("a {flash_kb} KB STM32G0B1 is single bank only: DUAL_BANK has no effect below 256 KB")]
    NoBankMode {
        /// The size.
        flash_kb: u32,
    },
    /// Swapping needs two banks.
    #[error("nSWAP_BANK swaps the two banks of dual-bank mode; in single-bank mode there is nothing to swap")]
    SwapNeedsDualBank,
}

/// The page map of a part in one bank mode and swap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G0Layout {
    /// Total flash size, KB.
    pub flash_kb: u32,
    /// Bank organisation.
    pub bank_mode: BankMode,
    /// The swap in force (always off in single-bank mode).
    pub swap: Swap,
}

impl G0Layout {
    /// The layout of `flash_kb` in `bank_mode` with `swap`; refuses combinations the part
    /// cannot be in.
    pub fn new(flash_kb: u32, bank_mode: BankMode, swap: Swap) -> Result<Self, G0GeometryError> {
        if !FLASH_SIZES_KB.contains(&flash_kb) {
            return Err(G0GeometryError::UnsupportedSize { flash_kb });
        }
        if bank_mode == BankMode::Dual && !has_bank_mode(flash_kb) {
            return Err(G0GeometryError::NoBankMode { flash_kb });
        }
        if bank_mode == BankMode::Single && swap == Swap::On {
            return Err(G0GeometryError::SwapNeedsDualBank);
        }
        Ok(G0Layout {
            flash_kb,
            bank_mode,
            swap,
        })
    }

    /// The layout the chip is in with these OPTR bits loaded: DUAL_BANK does nothing on a
    /// 128 KB part, nSWAP_BANK nothing in single-bank mode (UNVERIFIED, see module docs).
    pub fn from_option_bits(
        flash_kb: u32,
        dual_bank: bool,
        nswap_bank: bool,
    ) -> Result<Self, G0GeometryError> {
        let bank_mode = if has_bank_mode(flash_kb) {
            bank_mode_from_dual_bank(dual_bank)
        } else {
            BankMode::Single
        };
        let swap = match bank_mode {
            BankMode::Dual => Swap::from_nswap_bank(nswap_bank),
            BankMode::Single => Swap::Off,
        };
        G0Layout::new(flash_kb, bank_mode, swap)
    }

    /// Bytes of flash.
    pub fn flash_bytes(&self) -> u32 {
        self.flash_kb * 1024
    }

    /// Bytes per bank (the whole flash in single-bank mode).
    pub fn bank_bytes(&self) -> u32 {
        match self.bank_mode {
            BankMode::Single => self.flash_bytes(),
            BankMode::Dual => self.flash_bytes() / 2,
        }
    }

    /// Pages per bank.
    pub fn pages_per_bank(&self) -> u32 {
        self.bank_bytes() / PAGE_SIZE
    }

    /// One past the last byte of flash (the banks are contiguous in every mode).
    pub fn end(&self) -> u32 {
        FLASH_BASE + self.flash_bytes()
    }

    /// Start of the address window `logical` (`None` for logical bank 2 in single-bank mode).
    pub fn logical_base(&self, logical: LogicalBank) -> Option<u32> {
        match (self.bank_mode, logical) {
            (_, LogicalBank::Bank1) => Some(FLASH_BASE),
            (BankMode::Dual, LogicalBank::Bank2) => Some(FLASH_BASE + self.bank_bytes()),
            (BankMode::Single, LogicalBank::Bank2) => None,
        }
    }

    /// Start of logical bank 2 (dual-bank mode only).
    pub fn bank2_base(&self) -> Option<u32> {
        self.logical_base(LogicalBank::Bank2)
    }

    /// The physical bank mapped in the window `logical`.
    pub fn physical_bank_at(&self, logical: LogicalBank) -> Option<PhysicalBank> {
        self.logical_base(logical)?;
        Some(match (self.swap, logical) {
            (Swap::Off, LogicalBank::Bank1) | (Swap::On, LogicalBank::Bank2) => PhysicalBank::Bank1,
            (Swap::Off, LogicalBank::Bank2) | (Swap::On, LogicalBank::Bank1) => PhysicalBank::Bank2,
        })
    }

    /// The window `physical` is mapped in (`None` for bank 2 in single-bank mode).
    pub fn logical_bank_of(&self, physical: PhysicalBank) -> Option<LogicalBank> {
        [LogicalBank::Bank1, LogicalBank::Bank2]
            .into_iter()
            .find(|&l| self.physical_bank_at(l) == Some(physical))
    }

    /// Where physical bank `physical` starts in the address space now.
    pub fn base_of(&self, physical: PhysicalBank) -> Option<u32> {
        self.logical_base(self.logical_bank_of(physical)?)
    }

    /// The physical bank the chip boots from: the one at 0x0800_0000.
    pub fn boot_bank(&self) -> PhysicalBank {
        match self.swap {
            Swap::Off => PhysicalBank::Bank1,
            Swap::On => PhysicalBank::Bank2,
        }
    }

    /// The banks in address order.
    pub fn banks(&self) -> Vec<MappedBank> {
        [LogicalBank::Bank1, LogicalBank::Bank2]
            .into_iter()
            .filter_map(|logical| {
                Some(MappedBank {
                    logical,
                    base: self.logical_base(logical)?,
                    physical: self.physical_bank_at(logical)?,
                    pages: self.pages_per_bank(),
                })
            })
            .collect()
    }

    /// The silicon behind `address`; `None` outside main flash.
    pub fn locate(&self, address: u32) -> Option<PhysicalLocation> {
        self.banks()
            .into_iter()
            .find(|b| (b.base..b.end()).contains(&address))
            .map(|b| PhysicalLocation {
                bank: b.physical,
                offset: address - b.base,
            })
    }

    /// The address of `location` in the mapping in force; `None` if it does not exist here.
    pub fn address_of(&self, location: PhysicalLocation) -> Option<u32> {
        if location.offset >= self.bank_bytes() {
            return None;
        }
        Some(self.base_of(location.bank)? + location.offset)
    }

    /// Page `page` of physical bank `bank`.
    pub fn page(&self, bank: PhysicalBank, page: u32) -> Option<Page> {
        let base = self.base_of(bank)?;
        (page < self.pages_per_bank()).then_some(Page {
            bank,
            page,
            address: base + page * PAGE_SIZE,
            size: PAGE_SIZE,
        })
    }

    /// The page holding `address`; `None` outside main flash.
    pub fn page_at(&self, address: u32) -> Option<Page> {
        let at = self.locate(address)?;
        self.page(at.bank, at.offset / PAGE_SIZE)
    }

    /// The page FLASH_CR selects with this PNB and BKER, as this module encodes them
    /// ([`super::registers::FLASH_CR_PNB_BANK2_FIRST`]); `None` if they select nothing.
    pub fn page_from_pnb(&self, pnb: u32, bker: bool) -> Option<Page> {
        let first = pnb_of(PhysicalBank::Bank2, 0);
        match (self.bank_mode, bker) {
            (BankMode::Dual, true) => self.page(PhysicalBank::Bank2, pnb.checked_sub(first)?),
            (_, false) => self.page(PhysicalBank::Bank1, pnb),
            (BankMode::Single, true) => None,
        }
    }

    /// Every page, in address order.
    pub fn pages(&self) -> Vec<Page> {
        self.banks()
            .into_iter()
            .flat_map(|b| (0..b.pages).filter_map(move |p| self.page(b.physical, p)))
            .collect()
    }

    /// Which windows hold which bank, e.g. "dual bank, 2 × 256 KB in 2 × 128 pages of 2 KB,
    /// bank 2 at 0x0804_0000, swapped: physical bank 2 at 0x0800_0000".
    pub fn summary(&self) -> String {
        match self.bank_mode {
            BankMode::Single => format!(
                "single bank, {} in {} pages of 2 KB",
                size_text(self.flash_kb),
                self.pages_per_bank()
            ),
            BankMode::Dual => {
                let mut text = format!(
                    "dual bank, 2 × {} in 2 × {} pages of 2 KB, bank 2 at {}",
                    size_text(self.flash_kb / 2),
                    self.pages_per_bank(),
                    hex32(FLASH_BASE + self.bank_bytes())
                );
                if self.swap == Swap::On {
                    text.push_str(&format!(
                        ", swapped: physical bank 2 at {}, physical bank 1 at {}",
                        hex32(FLASH_BASE),
                        hex32(FLASH_BASE + self.bank_bytes())
                    ));
                }
                text
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::registers::{FLASH_CR_BKER, FLASH_CR_PER, FLASH_CR_PNB};
    use PhysicalBank::{Bank1, Bank2};

    /// Every layout a G0B0/G0B1/G0C1 can be in.
    fn all_layouts() -> Vec<G0Layout> {
        let mut out = Vec::new();
        for kb in FLASH_SIZES_KB {
            for mode in [BankMode::Single, BankMode::Dual] {
                for swap in [Swap::Off, Swap::On] {
                    if let Ok(l) = G0Layout::new(kb, mode, swap) {
                        out.push(l);
                    }
                }
            }
        }
        out
    }

    #[test]
    fn the_layouts_that_exist() {
        let all = all_layouts();
        assert_eq!(
            all.len(),
            7,
            "128: single; 256/512: single, dual, dual swapped"
        );
        assert_eq!(
            G0Layout::new(128, BankMode::Dual, Swap::Off),
            Err(G0GeometryError::NoBankMode { flash_kb: 128 })
        );
        assert_eq!(
            G0Layout::new(512, BankMode::Single, Swap::On),
            Err(G0GeometryError::SwapNeedsDualBank)
        );
        assert_eq!(
            G0Layout::new(1024, BankMode::Single, Swap::Off),
            Err(G0GeometryError::UnsupportedSize { flash_kb: 1024 })
        );
    }

    #[test]
    fn geometry_table() {
        // (KB, mode, swap, banks, pages/bank, bank 2 base, physical bank at 0x0800_0000)
        let table = [
            (
                512,
                BankMode::Dual,
                Swap::Off,
                2,
                128,
                Some(0x0804_0000),
                Bank1,
            ),
            (
                512,
                BankMode::Dual,
                Swap::On,
                2,
                128,
                Some(0x0804_0000),
                Bank2,
            ),
            (512, BankMode::Single, Swap::Off, 1, 256, None, Bank1),
            (
                256,
                BankMode::Dual,
                Swap::Off,
                2,
                64,
                Some(0x0802_0000),
                Bank1,
            ),
            (
                256,
                BankMode::Dual,
                Swap::On,
                2,
                64,
                Some(0x0802_0000),
                Bank2,
            ),
            (256, BankMode::Single, Swap::Off, 1, 128, None, Bank1),
            (128, BankMode::Single, Swap::Off, 1, 64, None, Bank1),
        ];
        for (kb, mode, swap, banks, pages, bank2, boot) in table {
            let l = G0Layout::new(kb, mode, swap).unwrap();
            let what = format!("{kb} {mode} swap {}", swap.name());
            assert_eq!(l.banks().len(), banks, "{what}");
            assert_eq!(l.pages_per_bank(), pages, "{what}");
            assert_eq!(l.bank2_base(), bank2, "{what}");
            assert_eq!(l.boot_bank(), boot, "{what}");
            assert_eq!(l.locate(FLASH_BASE).unwrap().bank, boot, "{what}");
            assert_eq!(l.end(), FLASH_BASE + kb * 1024, "{what}");
            assert_eq!(l.pages().len() as u32 * PAGE_SIZE, kb * 1024, "{what}");
            // 10-bit PNB is enough in every mode.
            assert!(l.pages().iter().all(|p| p.pnb() < 1024), "{what}");
        }
    }

    #[test]
    fn every_address_maps_to_silicon_and_back() {
        for l in all_layouts() {
            let mut seen = std::collections::HashSet::new();
            for address in (FLASH_BASE..l.end()).step_by(256) {
                let at = l.locate(address).expect("inside flash");
                assert!(at.offset < l.bank_bytes());
                assert_eq!(l.address_of(at), Some(address), "{l:?} {address:#x}");
                assert!(seen.insert((at.bank, at.offset)), "two addresses, one byte");
            }
            // Each physical bank appears exactly as often as its size says.
            let bank2 = seen.iter().filter(|(b, _)| *b == Bank2).count() as u32;
            let expected2 = match l.bank_mode {
                BankMode::Dual => l.bank_bytes() / 256,
                BankMode::Single => 0,
            };
            assert_eq!(bank2, expected2, "{l:?}");
            assert_eq!(l.locate(FLASH_BASE - 1), None);
            assert_eq!(l.locate(l.end()), None);
            assert_eq!(
                l.address_of(PhysicalLocation {
                    bank: Bank1,
                    offset: l.bank_bytes()
                }),
                None
            );
        }
    }

    #[test]
    fn logical_and_physical_banks_are_inverse() {
        for l in all_layouts() {
            for bank in PhysicalBank::ALL {
                match l.logical_bank_of(bank) {
                    Some(logical) => {
                        assert_eq!(l.physical_bank_at(logical), Some(bank), "{l:?}");
                        assert_eq!(l.base_of(bank), l.logical_base(logical));
                    }
                    None => {
                        assert_eq!((l.bank_mode, bank), (BankMode::Single, Bank2));
                        assert_eq!(l.base_of(bank), None);
                    }
                }
            }
        }
        let swapped = G0Layout::new(512, BankMode::Dual, Swap::On).unwrap();
        assert_eq!(swapped.physical_bank_at(LogicalBank::Bank1), Some(Bank2));
        assert_eq!(swapped.physical_bank_at(LogicalBank::Bank2), Some(Bank1));
        assert_eq!(swapped.logical_bank_of(Bank2), Some(LogicalBank::Bank1));
        assert_eq!(swapped.base_of(Bank1), Some(0x0804_0000));
        let single = G0Layout::new(512, BankMode::Single, Swap::Off).unwrap();
        assert_eq!(single.physical_bank_at(LogicalBank::Bank2), None);
    }

    #[test]
    fn erasing_the_logical_bank_2_under_swap_names_physical_bank_1() {
        // The wolfBoot 821 case: the user means "the bank at 0x0804_0000".
        let l = G0Layout::new(512, BankMode::Dual, Swap::On).unwrap();
        let p = l.page_at(0x0804_0000).unwrap();
        assert_eq!((p.bank, p.page, p.address), (Bank1, 0, 0x0804_0000));
        assert_eq!(p.erase_bits(), FLASH_CR_PER, "BKER = 0, PNB = 0");
        let boot = l.page_at(0x0800_0800).unwrap();
        assert_eq!((boot.bank, boot.page, boot.pnb()), (Bank2, 1, 257));
        assert_eq!(boot.erase_bits(), FLASH_CR_PER | (257 << 3) | FLASH_CR_BKER);
        // Unswapped, the same address is bank 2.
        let plain = G0Layout::new(512, BankMode::Dual, Swap::Off).unwrap();
        assert_eq!(plain.page_at(0x0804_0000).unwrap().bank, Bank2);
        // 256 KB halves.
        let small = G0Layout::new(256, BankMode::Dual, Swap::On).unwrap();
        let p = small.page_at(0x0802_0000).unwrap();
        assert_eq!((p.bank, p.page), (Bank1, 0));
        let last = small.page_at(0x0803_FFFF).unwrap();
        assert_eq!(
            (last.bank, last.page, last.address),
            (Bank1, 63, 0x0803_F800)
        );
        assert_eq!(small.page_at(0x0804_0000), None);
    }

    #[test]
    fn every_page_round_trips_through_its_erase_bits() {
        for l in all_layouts() {
            let pages = l.pages();
            for (i, p) in pages.iter().enumerate() {
                let bits = p.erase_bits();
                let pnb = (bits & FLASH_CR_PNB) >> 3;
                let bker = bits & FLASH_CR_BKER != 0;
                assert_eq!(bker, p.bank == Bank2, "{l:?} {p:?}");
                assert_eq!(l.page_from_pnb(pnb, bker), Some(*p), "{l:?} {p:?}");
                assert_eq!(l.page_at(p.address), Some(*p));
                assert_eq!(l.page_at(p.end() - 1), Some(*p));
                if let Some(next) = pages.get(i + 1) {
                    assert_eq!(next.address, p.end(), "contiguous, in address order");
                }
            }
            assert_eq!(l.page_from_pnb(l.pages_per_bank(), false), None);
        }
        let dual = G0Layout::new(512, BankMode::Dual, Swap::Off).unwrap();
        assert_eq!(dual.page_from_pnb(5, true), None, "bank 2 counts from 256");
        assert_eq!(dual.page_from_pnb(256 + 128, true), None);
        let single = G0Layout::new(512, BankMode::Single, Swap::Off).unwrap();
        assert_eq!(single.page_from_pnb(256, true), None);
        assert_eq!(
            single.page_from_pnb(255, false).unwrap().address,
            0x0807_F800
        );
    }

    #[test]
    fn option_bits_select_the_layout() {
        let l = G0Layout::from_option_bits(512, true, true).unwrap();
        assert_eq!((l.bank_mode, l.swap), (BankMode::Dual, Swap::Off));
        let l = G0Layout::from_option_bits(512, true, false).unwrap();
        assert_eq!((l.bank_mode, l.swap), (BankMode::Dual, Swap::On));
        let l = G0Layout::from_option_bits(512, false, false).unwrap();
        assert_eq!((l.bank_mode, l.swap), (BankMode::Single, Swap::Off));
        // The 128 KB part ignores DUAL_BANK (factory 1) and so nSWAP_BANK.
        let l = G0Layout::from_option_bits(128, true, false).unwrap();
        assert_eq!((l.bank_mode, l.swap), (BankMode::Single, Swap::Off));
        assert!(G0Layout::from_option_bits(64, true, true).is_err());
        assert_eq!(Swap::from_nswap_bank(false), Swap::On);
        assert!(Swap::Off.nswap_bank());
        assert_eq!(bank_mode_from_dual_bank(true), BankMode::Dual);
        assert!(!dual_bank_for(BankMode::Single));
    }

    #[test]
    fn summaries() {
        let s = |kb, mode, swap| G0Layout::new(kb, mode, swap).unwrap().summary();
        assert_eq!(
            s(512, BankMode::Dual, Swap::Off),
            "dual bank, 2 × 256 KB in 2 × 128 pages of 2 KB, bank 2 at 0x0804_0000"
        );
        assert_eq!(
            s(256, BankMode::Dual, Swap::On),
            "dual bank, 2 × 128 KB in 2 × 64 pages of 2 KB, bank 2 at 0x0802_0000, swapped: physical bank 2 at 0x0800_0000, physical bank 1 at 0x0802_0000"
        );
        assert_eq!(
            s(512, BankMode::Single, Swap::Off),
            "single bank, 512 KB in 256 pages of 2 KB"
        );
    }
}
