//! Page geometry of STM32G47x/G48x per bank mode and flash size (reference §6).
//!
//! - DBANK = 1 (dual bank, factory): two banks of 2 KB pages; bank 1 at 0x0800_0000, bank 2
//!   **always at 0x0804_0000**. A 512 KB part has two contiguous 256 KB banks; on 256 KB and
//!   128 KB parts the banks are half the size and a hole lies between them.
//! - DBANK = 0 (single bank): one bank of 4 KB pages from 0x0800_0000, contiguous.
//!
//! Erasing a page: FLASH_CR.PNB = page number *inside its bank* (7 bits), BKER = 1 for bank 2.

use serde::Serialize;

pub use crate::chip::bank::BankMode;
use crate::chip::notation::{hex32, size_text};

use super::registers::page_erase_bits;

/// Start of main flash.
pub const FLASH_BASE: u32 = 0x0800_0000;
/// Start of bank 2 in dual-bank mode, whatever the flash size.
pub const BANK2_BASE: u32 = 0x0804_0000;
/// Page size in dual-bank mode.
pub const DUAL_BANK_PAGE_SIZE: u32 = 2 * 1024;
/// Page size in single-bank mode (`FLASH_PAGE_SIZE_128_BITS`).
pub const SINGLE_BANK_PAGE_SIZE: u32 = 4 * 1024;
/// Flash sizes of G47x/G48x parts, KB.
pub const FLASH_SIZES_KB: [u32; 3] = [128, 256, 512];

/// The bank mode selected by OPTR.DBANK (active high: 1 = dual).
pub fn bank_mode_from_dbank(dbank: bool) -> BankMode {
    if dbank {
        BankMode::Dual
    } else {
        BankMode::Single
    }
}

/// The OPTR.DBANK value that selects `mode`.
pub fn dbank_for(mode: BankMode) -> bool {
    mode == BankMode::Dual
}

/// One erasable page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Page {
    /// Bank 1 or 2 (always 1 in single-bank mode).
    pub bank: u8,
    /// Page number inside the bank: the FLASH_CR.PNB value.
    pub pnb: u8,
    /// Start address.
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

    /// FLASH_CR bits that select this page for erase (PER | PNB | BKER).
    pub fn erase_bits(&self) -> u32 {
        page_erase_bits(self.bank, self.pnb)
    }
}

/// One bank of a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bank {
    /// 1 or 2.
    pub number: u8,
    /// Start address.
    pub base: u32,
    /// Number of pages.
    pub pages: u32,
    /// Page size in bytes.
    pub page_size: u32,
}

impl Bank {
    /// One past the last byte.
    pub fn end(&self) -> u32 {
        self.base + self.pages * self.page_size
    }
}

/// Why a layout cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum G4GeometryError {
    /// Not a G47x/G48x flash size.
    #[error(
        "no STM32G47x/G48x layout for {flash_kb} KB of flash (supported: 128, 256 and 512 KB)"
    )]
    UnsupportedSize {
        /// Requested size.
        flash_kb: u32,
    },
}

/// How well a probe-rs 0.32 flash algorithm fits a layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AlgorithmFit {
    /// The algorithm's range and sector size match this layout.
    Matches(&'static str),
    /// probe-rs ships no algorithm whose geometry matches; the named one (the part's default)
    /// assumes another page size or range.
    NoneMatches {
        /// The part's default algorithm.
        default: &'static str,
        /// Its sector size in bytes.
        assumes_sector: u32,
        /// The end of its address range.
        assumes_end: u32,
        /// What goes wrong with it in this mode.
        why: &'static str,
    },
}

/// The page map of a part in one bank mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct G4Layout {
    /// Total flash size, KB.
    pub flash_kb: u32,
    /// Bank organisation.
    pub bank_mode: BankMode,
    /// The banks, in address order.
    pub banks: Vec<Bank>,
}

impl G4Layout {
    /// The layout of `flash_kb` in `bank_mode`.
    pub fn new(flash_kb: u32, bank_mode: BankMode) -> Result<Self, G4GeometryError> {
        if !FLASH_SIZES_KB.contains(&flash_kb) {
            return Err(G4GeometryError::UnsupportedSize { flash_kb });
        }
        let bytes = flash_kb * 1024;
        let banks = match bank_mode {
            BankMode::Single => vec![Bank {
                number: 1,
                base: FLASH_BASE,
                pages: bytes / SINGLE_BANK_PAGE_SIZE,
                page_size: SINGLE_BANK_PAGE_SIZE,
            }],
            BankMode::Dual => {
                let pages = bytes / 2 / DUAL_BANK_PAGE_SIZE;
                vec![
                    Bank {
                        number: 1,
                        base: FLASH_BASE,
                        pages,
                        page_size: DUAL_BANK_PAGE_SIZE,
                    },
                    Bank {
                        number: 2,
                        base: BANK2_BASE,
                        pages,
                        page_size: DUAL_BANK_PAGE_SIZE,
                    },
                ]
            }
        };
        Ok(G4Layout {
            flash_kb,
            bank_mode,
            banks,
        })
    }

    /// The bank numbered `number`.
    pub fn bank(&self, number: u8) -> Option<&Bank> {
        self.banks.iter().find(|b| b.number == number)
    }

    /// Page size in this mode.
    pub fn page_size(&self) -> u32 {
        self.banks[0].page_size
    }

    /// Pages per bank.
    pub fn pages_per_bank(&self) -> u32 {
        self.banks[0].pages
    }

    /// Every page, in address order.
    pub fn pages(&self) -> Vec<Page> {
        self.banks
            .iter()
            .flat_map(|b| {
                (0..b.pages).map(move |p| Page {
                    bank: b.number,
                    pnb: p as u8,
                    address: b.base + p * b.page_size,
                    size: b.page_size,
                })
            })
            .collect()
    }

    /// Page `pnb` of bank `bank`.
    pub fn page(&self, bank: u8, pnb: u32) -> Option<Page> {
        let b = self.bank(bank)?;
        (pnb < b.pages).then(|| Page {
            bank,
            pnb: pnb as u8,
            address: b.base + pnb * b.page_size,
            size: b.page_size,
        })
    }

    /// The page holding `address`; `None` outside flash and in the hole between the banks.
    pub fn page_at(&self, address: u32) -> Option<Page> {
        let b = self
            .banks
            .iter()
            .find(|b| (b.base..b.end()).contains(&address))?;
        self.page(b.number, (address - b.base) / b.page_size)
    }

    /// Start of bank 2 (dual-bank mode only).
    pub fn bank2_base(&self) -> Option<u32> {
        self.bank(2).map(|b| b.base)
    }

    /// The unmapped hole between bank 1 and bank 2 (dual-bank parts below 512 KB).
    pub fn gap(&self) -> Option<std::ops::Range<u32>> {
        let (b1, b2) = (self.bank(1)?, self.bank(2)?);
        (b1.end() < b2.base).then(|| b1.end()..b2.base)
    }

    /// The address ranges that hold flash, in order.
    pub fn regions(&self) -> Vec<std::ops::Range<u32>> {
        let mut out: Vec<std::ops::Range<u32>> = Vec::new();
        for b in &self.banks {
            match out.last_mut() {
                Some(last) if last.end == b.base => last.end = b.end(),
                _ => out.push(b.base..b.end()),
            }
        }
        out
    }

    /// Which probe-rs 0.32 main-flash algorithm fits this layout (see [`super::part`] for the
    /// list). Only 512 KB dual bank has one; every other mode needs another way to program
    /// (host-driven through FLASH_CR) or a refusal.
    pub fn probe_rs_algorithm(&self) -> AlgorithmFit {
        const ALGO_512: &str = "stm32g47x-8x_512";
        const ALGO_256: &str = "stm32g47x-8x_256";
        match (self.flash_kb, self.bank_mode) {
            (512, BankMode::Dual) => AlgorithmFit::Matches(ALGO_512),
            (512, BankMode::Single) => AlgorithmFit::NoneMatches {
                default: ALGO_512,
                assumes_sector: DUAL_BANK_PAGE_SIZE,
                assumes_end: 0x0808_0000,
                why: "it erases whole 4 KB pages for what it believes are 2 KB sectors, destroying the neighbouring 2 KB",
            },
            // Run on the simulated chip (RM0440 geometry), the 256 KB algorithm numbers the page
            // it erases in 2 KB units whatever DBANK says: in single-bank mode it erases another
            // page than the one it programs (tests/sim_g4.rs pins this).
            (256, BankMode::Single) => AlgorithmFit::NoneMatches {
                default: ALGO_256,
                assumes_sector: SINGLE_BANK_PAGE_SIZE,
                assumes_end: 0x0804_0000,
                why: "it numbers the page it erases in 2 KB units and so erases another 4 KB page than the one it programs",
            },
            (256, BankMode::Dual) => AlgorithmFit::NoneMatches {
                default: ALGO_256,
                assumes_sector: SINGLE_BANK_PAGE_SIZE,
                assumes_end: 0x0804_0000,
                why: "it assumes 4 KB sectors up to 0x0804_0000 (half of each erase is missed) and knows nothing of bank 2",
            },
            // 128 KB parts get the 512 KB algorithm (2 KB sectors) with a 128 KB memory map: the
            // sector size fits dual bank, but bank 2 at 0x0804_0000 is outside the map.
            _ => AlgorithmFit::NoneMatches {
                default: ALGO_512,
                assumes_sector: DUAL_BANK_PAGE_SIZE,
                assumes_end: 0x0802_0000,
                why: "its memory map ends at 0x0802_0000 and leaves out bank 2 at 0x0804_0000",
            },
        }
    }

    /// e.g. "dual bank, 2 × 256 KB in 2 KB pages, bank 2 at 0x0804_0000".
    pub fn summary(&self) -> String {
        match self.bank_mode {
            BankMode::Single => format!(
                "single bank, {} in {} pages of 4 KB",
                size_text(self.flash_kb),
                self.pages_per_bank()
            ),
            BankMode::Dual => {
                let mut text = format!(
                    "dual bank, 2 × {} in 2 × {} pages of 2 KB, bank 2 at {}",
                    size_text(self.flash_kb / 2),
                    self.pages_per_bank(),
                    hex32(BANK2_BASE)
                );
                if let Some(gap) = self.gap() {
                    text.push_str(&format!(
                        ", no flash at {}–{}",
                        hex32(gap.start),
                        hex32(gap.end - 1)
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
    use crate::chip::g4::registers::{FLASH_CR_BKER, FLASH_CR_PER};

    #[test]
    fn geometry_table() {
        // (KB, mode, banks, pages/bank, page size, bank 2 base, end of flash)
        let table = [
            (
                512,
                BankMode::Dual,
                2,
                128,
                2048,
                Some(0x0804_0000),
                0x0808_0000,
            ),
            (
                256,
                BankMode::Dual,
                2,
                64,
                2048,
                Some(0x0804_0000),
                0x0806_0000,
            ),
            (
                128,
                BankMode::Dual,
                2,
                32,
                2048,
                Some(0x0804_0000),
                0x0805_0000,
            ),
            (512, BankMode::Single, 1, 128, 4096, None, 0x0808_0000),
            (256, BankMode::Single, 1, 64, 4096, None, 0x0804_0000),
            (128, BankMode::Single, 1, 32, 4096, None, 0x0802_0000),
        ];
        for (kb, mode, banks, pages, size, bank2, end) in table {
            let l = G4Layout::new(kb, mode).unwrap();
            assert_eq!(l.banks.len(), banks, "{kb} {mode}");
            assert_eq!(l.pages_per_bank(), pages, "{kb} {mode}");
            assert_eq!(l.page_size(), size, "{kb} {mode}");
            assert_eq!(l.bank2_base(), bank2, "{kb} {mode}");
            assert_eq!(l.banks.last().unwrap().end(), end, "{kb} {mode}");
            let total: u32 = l.pages().iter().map(|p| p.size).sum();
            assert_eq!(total, kb * 1024, "{kb} {mode}: pages cover the flash");
            // 7-bit PNB is enough in every mode.
            assert!(l.pages().iter().all(|p| u32::from(p.pnb) < 128));
        }
    }

    #[test]
    fn gaps_only_below_512_kb_in_dual_bank() {
        assert_eq!(G4Layout::new(512, BankMode::Dual).unwrap().gap(), None);
        assert_eq!(
            G4Layout::new(256, BankMode::Dual).unwrap().gap(),
            Some(0x0802_0000..0x0804_0000)
        );
        assert_eq!(
            G4Layout::new(128, BankMode::Dual).unwrap().gap(),
            Some(0x0801_0000..0x0804_0000)
        );
        assert_eq!(G4Layout::new(256, BankMode::Single).unwrap().gap(), None);
        assert_eq!(
            G4Layout::new(512, BankMode::Dual).unwrap().regions(),
            vec![0x0800_0000..0x0808_0000]
        );
        assert_eq!(
            G4Layout::new(256, BankMode::Dual).unwrap().regions(),
            vec![0x0800_0000..0x0802_0000, 0x0804_0000..0x0806_0000]
        );
    }

    #[test]
    fn page_numbering_across_the_gap() {
        let l = G4Layout::new(256, BankMode::Dual).unwrap();
        let last1 = l.page_at(0x0801_FFFF).unwrap();
        assert_eq!((last1.bank, last1.pnb, last1.address), (1, 63, 0x0801_F800));
        assert_eq!(l.page_at(0x0802_0000), None, "hole");
        assert_eq!(l.page_at(0x0803_FFFF), None, "hole");
        let first2 = l.page_at(0x0804_0000).unwrap();
        assert_eq!((first2.bank, first2.pnb), (2, 0));
        assert_eq!(first2.erase_bits(), FLASH_CR_PER | FLASH_CR_BKER);
        let last2 = l.page_at(0x0805_FFFF).unwrap();
        assert_eq!((last2.bank, last2.pnb), (2, 63));
        assert_eq!(last2.erase_bits(), FLASH_CR_PER | (63 << 3) | FLASH_CR_BKER);
        assert_eq!(l.page_at(0x0806_0000), None);
        assert_eq!(l.page(2, 64), None);
        assert_eq!(l.page(3, 0), None);
        let pages = l.pages();
        assert_eq!(pages.len(), 128);
        assert_eq!(pages[64].address, 0x0804_0000);
    }

    #[test]
    fn page_numbering_512_kb_both_modes() {
        let dual = G4Layout::new(512, BankMode::Dual).unwrap();
        let p = dual.page_at(0x0803_F800).unwrap();
        assert_eq!((p.bank, p.pnb), (1, 127));
        let p = dual.page_at(0x0804_0800).unwrap();
        assert_eq!((p.bank, p.pnb, p.address), (2, 1, 0x0804_0800));
        let single = G4Layout::new(512, BankMode::Single).unwrap();
        let p = single.page_at(0x0804_0800).unwrap();
        assert_eq!((p.bank, p.pnb, p.address), (1, 64, 0x0804_0000));
        assert_eq!(p.erase_bits() & FLASH_CR_BKER, 0);
        assert_eq!(single.page_at(0x0807_FFFF).unwrap().pnb, 127);
        assert_eq!(single.page_at(0x0808_0000), None);
        assert_eq!(single.page_at(0x07FF_FFFF), None);
    }

    #[test]
    fn bank_mode_polarity_is_active_high() {
        assert_eq!(bank_mode_from_dbank(true), BankMode::Dual);
        assert_eq!(bank_mode_from_dbank(false), BankMode::Single);
        assert!(dbank_for(BankMode::Dual));
        assert!(!dbank_for(BankMode::Single));
    }

    #[test]
    fn unsupported_sizes() {
        for kb in [0, 32, 64, 384, 1024] {
            let err = G4Layout::new(kb, BankMode::Dual).unwrap_err();
            assert!(err.to_string().contains(&format!("{kb} KB")), "{err}");
        }
    }

    #[test]
    fn probe_rs_algorithms_per_mode() {
        let fit = |kb, mode| G4Layout::new(kb, mode).unwrap().probe_rs_algorithm();
        assert_eq!(
            fit(512, BankMode::Dual),
            AlgorithmFit::Matches("stm32g47x-8x_512")
        );
        assert!(matches!(
            fit(256, BankMode::Single),
            AlgorithmFit::NoneMatches {
                default: "stm32g47x-8x_256",
                ..
            }
        ));
        assert!(matches!(
            fit(512, BankMode::Single),
            AlgorithmFit::NoneMatches {
                assumes_sector: 2048,
                ..
            }
        ));
        assert!(matches!(
            fit(256, BankMode::Dual),
            AlgorithmFit::NoneMatches {
                default: "stm32g47x-8x_256",
                assumes_sector: 4096,
                assumes_end: 0x0804_0000,
                ..
            }
        ));
        assert!(matches!(
            fit(128, BankMode::Dual),
            AlgorithmFit::NoneMatches { .. }
        ));
    }

    #[test]
    fn summaries() {
        assert_eq!(
            G4Layout::new(512, BankMode::Dual).unwrap().summary(),
            "dual bank, 2 × 256 KB in 2 × 128 pages of 2 KB, bank 2 at 0x0804_0000"
        );
        assert_eq!(
            G4Layout::new(256, BankMode::Dual).unwrap().summary(),
            "dual bank, 2 × 128 KB in 2 × 64 pages of 2 KB, bank 2 at 0x0804_0000, no flash at 0x0802_0000–0x0803_FFFF"
        );
        assert_eq!(
            G4Layout::new(512, BankMode::Single).unwrap().summary(),
            "single bank, 512 KB in 128 pages of 4 KB"
        );
    }
}
