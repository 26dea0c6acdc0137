//! Flash sector geometry for each bank mode and flash size (RM0410 §3.3, tables 3–6).
//!
//! The sector numbers are RM0410's: in dual-bank mode bank 2 always starts at sector 12, also on
//! 1 MB parts where sectors 8–11 do not exist. FLASH_CR.SNB is 5 bits wide; bank-2 sector `k`
//! (0-based inside bank 2) is selected with `SNB = 0x10 | k`, never with its sector number.

use serde::Serialize;

pub use crate::chip::bank::BankMode;
pub use crate::chip::notation::{hex32, size_text};

/// Flash seen through the AXI bus (the address firmware is normally linked for).
pub const FLASH_AXIM_BASE: u32 = 0x0800_0000;
/// The same flash seen through the ITCM interface.
pub const FLASH_ITCM_BASE: u32 = 0x0020_0000;
/// RM0410 numbers bank-2 sectors from 12, whatever the flash size.
pub const BANK2_FIRST_SECTOR: u8 = 12;
/// FLASH_CR.SNB bit that selects bank 2 in dual-bank mode.
pub const SNB_BANK2: u8 = 0x10;

/// The bank organisation selected by FLASH_OPTCR.nDBANK.
///
/// Polarity (HAL `OB_NDBANK_SINGLE_BANK`, OpenOCD, BMP): nDBANK = 1 is **single** bank with
/// 256-bit reads; nDBANK = 0 is **dual** bank (2 × 128-bit). ST's SVD has this inverted.
pub fn bank_mode_from_ndbank(ndbank: bool) -> BankMode {
    if ndbank {
        BankMode::Single
    } else {
        BankMode::Dual
    }
}

/// The FLASH_OPTCR.nDBANK value that selects `mode`.
pub fn ndbank_for(mode: BankMode) -> bool {
    mode == BankMode::Single
}

/// One erasable flash sector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Sector {
    /// RM0410 sector number (bank-2 sectors start at 12 in dual-bank mode).
    pub index: u8,
    /// Bank 1 or 2 (always 1 in single-bank mode).
    pub bank: u8,
    /// Value for FLASH_CR.SNB that erases this sector.
    pub snb: u8,
    /// Start address on the AXI bus (0x0800_0000 region).
    pub address: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Sector {
    /// One past the last byte of the sector.
    pub fn end(&self) -> u32 {
        self.address + self.size
    }

    /// Whether `address` (AXI bus) lies in this sector.
    pub fn contains(&self, address: u32) -> bool {
        (self.address..self.end()).contains(&address)
    }
}

/// Why a layout cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum GeometryError {
    /// The size does not fit the 32/128/256 KB (or 16/64/128 KB per bank) sector pattern.
    #[error("no STM32F7 {mode} layout for {flash_kb} KB of flash (supported: 512, 1024 and 2048 KB; dual bank: 1024 and 2048 KB)")]
    UnsupportedSize {
        /// Requested flash size in KB.
        flash_kb: u32,
        /// Requested bank mode.
        mode: BankMode,
    },
}

/// The sector map of a part in one bank mode.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlashLayout {
    /// Total flash size in KB.
    pub flash_kb: u32,
    /// Bank organisation.
    pub bank_mode: BankMode,
    /// Every sector, in address order.
    pub sectors: Vec<Sector>,
}

/// Sector sizes (KB) of one contiguous block: four small, one medium, then large sectors to the end.
/// Single bank uses 32/128/256 KB, each half of a dual bank 16/64/128 KB.
fn block_sizes(total_kb: u32, small_kb: u32) -> Option<Vec<u32>> {
    let (medium, large) = (small_kb * 4, small_kb * 8);
    let head = 4 * small_kb + medium;
    if total_kb <= head || !(total_kb - head).is_multiple_of(large) {
        return None;
    }
    let mut sizes = vec![small_kb; 4];
    sizes.push(medium);
    sizes.extend(std::iter::repeat_n(
        large,
        ((total_kb - head) / large) as usize,
    ));
    Some(sizes)
}

impl FlashLayout {
    /// The layout of `flash_kb` of flash in `bank_mode`.
    ///
    /// Single bank: 512, 1024 or 2048 KB. Dual bank: 1024 or 2048 KB (the F76x/F77x sizes).
    pub fn new(flash_kb: u32, bank_mode: BankMode) -> Result<Self, GeometryError> {
        let unsupported = GeometryError::UnsupportedSize {
            flash_kb,
            mode: bank_mode,
        };
        let mut sectors = Vec::new();
        match bank_mode {
            BankMode::Single => {
                if !matches!(flash_kb, 512 | 1024 | 2048) {
                    return Err(unsupported);
                }
                let sizes = block_sizes(flash_kb, 32).ok_or(unsupported)?;
                let mut address = FLASH_AXIM_BASE;
                for (i, kb) in sizes.into_iter().enumerate() {
                    let index = i as u8;
                    sectors.push(Sector {
                        index,
                        bank: 1,
                        snb: index,
                        address,
                        size: kb * 1024,
                    });
                    address += kb * 1024;
                }
            }
            BankMode::Dual => {
                if !matches!(flash_kb, 1024 | 2048) {
                    return Err(unsupported);
                }
                let half = flash_kb / 2;
                let sizes = block_sizes(half, 16).ok_or(unsupported)?;
                for bank in 1..=2u8 {
                    let mut address = FLASH_AXIM_BASE + (u32::from(bank) - 1) * half * 1024;
                    for (k, &kb) in sizes.iter().enumerate() {
                        let k = k as u8;
                        let (index, snb) = if bank == 1 {
                            (k, k)
                        } else {
                            (BANK2_FIRST_SECTOR + k, SNB_BANK2 | k)
                        };
                        sectors.push(Sector {
                            index,
                            bank,
                            snb,
                            address,
                            size: kb * 1024,
                        });
                        address += kb * 1024;
                    }
                }
            }
        }
        Ok(FlashLayout {
            flash_kb,
            bank_mode,
            sectors,
        })
    }

    /// Start of bank 2 (AXI bus) in dual-bank mode: 0x0810_0000 on 2 MB parts, 0x0808_0000 on 1 MB.
    pub fn bank2_base(&self) -> Option<u32> {
        self.sectors.iter().find(|s| s.bank == 2).map(|s| s.address)
    }

    /// The sector with RM0410 number `index`.
    pub fn sector(&self, index: u8) -> Option<&Sector> {
        self.sectors.iter().find(|s| s.index == index)
    }

    /// The sector holding `address`, given on the AXI bus (0x08xx_xxxx) or the ITCM alias (0x002x_xxxx).
    pub fn sector_at(&self, address: u32) -> Option<&Sector> {
        let axim = if (FLASH_ITCM_BASE..FLASH_ITCM_BASE + self.flash_kb * 1024).contains(&address) {
            address - FLASH_ITCM_BASE + FLASH_AXIM_BASE
        } else {
            address
        };
        self.sectors.iter().find(|s| s.contains(axim))
    }

    /// Sector numbers guarded by FLASH_OPTCR.nWRP bit `bit`.
    ///
    /// Single bank: nWRP[i] ↔ sector i. Dual bank: nWRP[i] ↔ sectors 2i and 2i+1 (HAL
    /// `OB_WRP_DB_SECTOR_*`, RM0410 sector numbering). On 1 MB dual-bank parts this puts bank 2
    /// (sectors 12–19) on nWRP[6..9]; OpenOCD uses nWRP[4..7] instead — the reference manual
    /// table was not available to settle it (UNVERIFIED), so the HAL reading is used.
    /// Bits that guard no existing sector return an empty list.
    pub fn wrp_sectors(&self, bit: u8) -> Vec<u8> {
        let candidates: Vec<u8> = match self.bank_mode {
            BankMode::Single => vec![bit],
            BankMode::Dual => vec![2 * bit, 2 * bit + 1],
        };
        candidates
            .into_iter()
            .filter(|&i| self.sector(i).is_some())
            .collect()
    }

    /// Sector numbers write-protected by an nWRP value (active low: a 0 bit protects).
    pub fn protected_sectors(&self, nwrp: u16, nwrp_bits: u8) -> Vec<u8> {
        (0..nwrp_bits)
            .filter(|&bit| nwrp & (1 << bit) == 0)
            .flat_map(|bit| self.wrp_sectors(bit))
            .collect()
    }

    /// nWRP bits of `nwrp_bits` that guard no sector of this layout.
    pub fn unused_wrp_bits(&self, nwrp_bits: u8) -> Vec<u8> {
        (0..nwrp_bits)
            .filter(|&bit| self.wrp_sectors(bit).is_empty())
            .collect()
    }

    /// The probe-rs 0.32 flash algorithm (target database `STM32F7_Series.yaml`) for this layout.
    ///
    /// The single-bank algorithm is the default and covers 1 MB parts too; a dual-bank chip
    /// must be flashed with `stm32f7x_2048dual` / `stm32f7x_1024dual`
    /// (`--prefer-flash-algorithm` on the probe-rs command line).
    pub fn probe_rs_algorithm(&self) -> &'static str {
        match (self.bank_mode, self.flash_kb) {
            (BankMode::Dual, 1024) => "stm32f7x_1024dual",
            (BankMode::Dual, _) => "stm32f7x_2048dual",
            (BankMode::Single, _) => "stm32f7x_2048",
        }
    }

    /// Short description, e.g. "single bank, 2 MB in 12 sectors" or
    /// "dual bank, 2 × 1 MB in 24 sectors, bank 2 at 0x0810_0000".
    pub fn summary(&self) -> String {
        match self.bank_mode {
            BankMode::Single => format!(
                "single bank, {} in {} sectors",
                size_text(self.flash_kb),
                self.sectors.len()
            ),
            BankMode::Dual => format!(
                "dual bank, 2 × {} in {} sectors, bank 2 at {}",
                size_text(self.flash_kb / 2),
                self.sectors.len(),
                hex32(self.bank2_base().unwrap_or(0))
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(layout: &FlashLayout) -> Vec<(u8, u8, u8, u32, u32)> {
        layout
            .sectors
            .iter()
            .map(|s| (s.index, s.bank, s.snb, s.address, s.size / 1024))
            .collect()
    }

    #[test]
    fn two_mb_single_bank_matches_rm0410_table_3() {
        let l = FlashLayout::new(2048, BankMode::Single).unwrap();
        assert_eq!(
            table(&l),
            vec![
                (0, 1, 0, 0x0800_0000, 32),
                (1, 1, 1, 0x0800_8000, 32),
                (2, 1, 2, 0x0801_0000, 32),
                (3, 1, 3, 0x0801_8000, 32),
                (4, 1, 4, 0x0802_0000, 128),
                (5, 1, 5, 0x0804_0000, 256),
                (6, 1, 6, 0x0808_0000, 256),
                (7, 1, 7, 0x080C_0000, 256),
                (8, 1, 8, 0x0810_0000, 256),
                (9, 1, 9, 0x0814_0000, 256),
                (10, 1, 10, 0x0818_0000, 256),
                (11, 1, 11, 0x081C_0000, 256),
            ]
        );
        assert_eq!(l.sectors.last().unwrap().end(), 0x0820_0000);
        assert_eq!(l.bank2_base(), None);
        assert_eq!(l.summary(), "single bank, 2 MB in 12 sectors");
        assert_eq!(l.probe_rs_algorithm(), "stm32f7x_2048");
    }

    #[test]
    fn two_mb_dual_bank_matches_rm0410_table_4() {
        let l = FlashLayout::new(2048, BankMode::Dual).unwrap();
        let mut expected = vec![
            (0, 1, 0, 0x0800_0000, 16),
            (1, 1, 1, 0x0800_4000, 16),
            (2, 1, 2, 0x0800_8000, 16),
            (3, 1, 3, 0x0800_C000, 16),
            (4, 1, 4, 0x0801_0000, 64),
        ];
        for k in 0..7u32 {
            expected.push((5 + k as u8, 1, 5 + k as u8, 0x0802_0000 + k * 0x2_0000, 128));
        }
        expected.extend([
            (12, 2, 0x10, 0x0810_0000, 16),
            (13, 2, 0x11, 0x0810_4000, 16),
            (14, 2, 0x12, 0x0810_8000, 16),
            (15, 2, 0x13, 0x0810_C000, 16),
            (16, 2, 0x14, 0x0811_0000, 64),
        ]);
        for k in 0..7u32 {
            expected.push((
                17 + k as u8,
                2,
                0x15 + k as u8,
                0x0812_0000 + k * 0x2_0000,
                128,
            ));
        }
        assert_eq!(table(&l), expected);
        assert_eq!(l.sector(23).unwrap().address, 0x081E_0000);
        assert_eq!(l.sector(23).unwrap().snb, 27);
        assert_eq!(l.sectors.last().unwrap().end(), 0x0820_0000);
        assert_eq!(l.bank2_base(), Some(0x0810_0000));
        assert_eq!(
            l.summary(),
            "dual bank, 2 × 1 MB in 24 sectors, bank 2 at 0x0810_0000"
        );
        assert_eq!(l.probe_rs_algorithm(), "stm32f7x_2048dual");
    }

    #[test]
    fn one_mb_single_bank() {
        let l = FlashLayout::new(1024, BankMode::Single).unwrap();
        assert_eq!(
            table(&l),
            vec![
                (0, 1, 0, 0x0800_0000, 32),
                (1, 1, 1, 0x0800_8000, 32),
                (2, 1, 2, 0x0801_0000, 32),
                (3, 1, 3, 0x0801_8000, 32),
                (4, 1, 4, 0x0802_0000, 128),
                (5, 1, 5, 0x0804_0000, 256),
                (6, 1, 6, 0x0808_0000, 256),
                (7, 1, 7, 0x080C_0000, 256),
            ]
        );
        assert_eq!(l.sectors.last().unwrap().end(), 0x0810_0000);
        assert_eq!(l.summary(), "single bank, 1 MB in 8 sectors");
        assert_eq!(l.probe_rs_algorithm(), "stm32f7x_2048");
    }

    #[test]
    fn one_mb_dual_bank_has_no_sectors_8_to_11() {
        let l = FlashLayout::new(1024, BankMode::Dual).unwrap();
        assert_eq!(
            table(&l),
            vec![
                (0, 1, 0, 0x0800_0000, 16),
                (1, 1, 1, 0x0800_4000, 16),
                (2, 1, 2, 0x0800_8000, 16),
                (3, 1, 3, 0x0800_C000, 16),
                (4, 1, 4, 0x0801_0000, 64),
                (5, 1, 5, 0x0802_0000, 128),
                (6, 1, 6, 0x0804_0000, 128),
                (7, 1, 7, 0x0806_0000, 128),
                (12, 2, 0x10, 0x0808_0000, 16),
                (13, 2, 0x11, 0x0808_4000, 16),
                (14, 2, 0x12, 0x0808_8000, 16),
                (15, 2, 0x13, 0x0808_C000, 16),
                (16, 2, 0x14, 0x0809_0000, 64),
                (17, 2, 0x15, 0x080A_0000, 128),
                (18, 2, 0x16, 0x080C_0000, 128),
                (19, 2, 0x17, 0x080E_0000, 128),
            ]
        );
        for missing in 8..12 {
            assert!(l.sector(missing).is_none());
        }
        assert_eq!(l.bank2_base(), Some(0x0808_0000));
        assert_eq!(l.sectors.last().unwrap().end(), 0x0810_0000);
        assert_eq!(
            l.summary(),
            "dual bank, 2 × 512 KB in 16 sectors, bank 2 at 0x0808_0000"
        );
        assert_eq!(l.probe_rs_algorithm(), "stm32f7x_1024dual");
    }

    #[test]
    fn half_mb_single_bank_f74x() {
        let l = FlashLayout::new(512, BankMode::Single).unwrap();
        let sizes: Vec<u32> = l.sectors.iter().map(|s| s.size / 1024).collect();
        assert_eq!(sizes, vec![32, 32, 32, 32, 128, 256]);
        assert_eq!(l.sectors.last().unwrap().end(), 0x0808_0000);
    }

    #[test]
    fn sectors_are_contiguous_and_cover_the_flash() {
        for (kb, mode) in [
            (512, BankMode::Single),
            (1024, BankMode::Single),
            (2048, BankMode::Single),
            (1024, BankMode::Dual),
            (2048, BankMode::Dual),
        ] {
            let l = FlashLayout::new(kb, mode).unwrap();
            let mut next = FLASH_AXIM_BASE;
            for s in &l.sectors {
                assert_eq!(
                    s.address, next,
                    "{kb} KB {mode}: gap before sector {}",
                    s.index
                );
                next = s.end();
            }
            assert_eq!(next, FLASH_AXIM_BASE + kb * 1024);
            let total: u32 = l.sectors.iter().map(|s| s.size).sum();
            assert_eq!(total, kb * 1024);
        }
    }

    #[test]
    fn unsupported_sizes_are_rejected() {
        for kb in [0, 64, 256, 768, 1536, 4096] {
            assert!(FlashLayout::new(kb, BankMode::Single).is_err(), "{kb}");
        }
        for kb in [0, 512, 768, 4096] {
            let err = FlashLayout::new(kb, BankMode::Dual).unwrap_err();
            assert!(err.to_string().contains(&format!("{kb} KB")));
        }
    }

    #[test]
    fn sector_lookup_by_address_and_itcm_alias() {
        let l = FlashLayout::new(2048, BankMode::Dual).unwrap();
        assert_eq!(l.sector_at(0x0800_0000).unwrap().index, 0);
        assert_eq!(l.sector_at(0x0800_3FFF).unwrap().index, 0);
        assert_eq!(l.sector_at(0x0810_0000).unwrap().index, 12);
        assert_eq!(l.sector_at(0x081F_FFFF).unwrap().index, 23);
        assert_eq!(l.sector_at(0x0020_4000).unwrap().index, 1);
        assert_eq!(l.sector_at(0x0030_0000).unwrap().index, 12);
        assert!(l.sector_at(0x0820_0000).is_none());
        assert!(l.sector_at(0x07FF_FFFF).is_none());
        let single = FlashLayout::new(2048, BankMode::Single).unwrap();
        assert_eq!(single.sector_at(0x0810_0000).unwrap().index, 8);
        let one_mb = FlashLayout::new(1024, BankMode::Single).unwrap();
        assert!(one_mb.sector_at(0x0810_0000).is_none());
        assert!(one_mb.sector_at(0x0030_0000).is_none());
    }

    #[test]
    fn nwrp_single_bank_one_bit_per_sector() {
        let l = FlashLayout::new(2048, BankMode::Single).unwrap();
        for bit in 0..12 {
            assert_eq!(l.wrp_sectors(bit), vec![bit]);
        }
        let one_mb = FlashLayout::new(1024, BankMode::Single).unwrap();
        for bit in 0..8 {
            assert_eq!(one_mb.wrp_sectors(bit), vec![bit]);
        }
        for bit in 8..12 {
            assert!(one_mb.wrp_sectors(bit).is_empty());
        }
        assert_eq!(one_mb.unused_wrp_bits(12), vec![8, 9, 10, 11]);
        assert!(l.unused_wrp_bits(12).is_empty());
    }

    #[test]
    fn nwrp_dual_bank_two_sectors_per_bit() {
        let l = FlashLayout::new(2048, BankMode::Dual).unwrap();
        for bit in 0..12u8 {
            assert_eq!(l.wrp_sectors(bit), vec![2 * bit, 2 * bit + 1]);
        }
        let one_mb = FlashLayout::new(1024, BankMode::Dual).unwrap();
        let map: Vec<Vec<u8>> = (0..12).map(|b| one_mb.wrp_sectors(b)).collect();
        assert_eq!(
            map,
            vec![
                vec![0, 1],
                vec![2, 3],
                vec![4, 5],
                vec![6, 7],
                vec![],
                vec![],
                vec![12, 13],
                vec![14, 15],
                vec![16, 17],
                vec![18, 19],
                vec![],
                vec![],
            ]
        );
        assert_eq!(one_mb.unused_wrp_bits(12), vec![4, 5, 10, 11]);
    }

    #[test]
    fn protected_sectors_from_active_low_mask() {
        let single = FlashLayout::new(2048, BankMode::Single).unwrap();
        assert!(single.protected_sectors(0xFFF, 12).is_empty());
        assert_eq!(single.protected_sectors(0xFFE, 12), vec![0]);
        assert_eq!(single.protected_sectors(0x7FF, 12), vec![11]);
        assert_eq!(single.protected_sectors(0x000, 12).len(), 12);
        let dual = FlashLayout::new(2048, BankMode::Dual).unwrap();
        assert_eq!(dual.protected_sectors(0xFBF, 12), vec![12, 13]);
        assert_eq!(dual.protected_sectors(0x000, 12).len(), 24);
        // Only the bits the part has are considered.
        assert_eq!(single.protected_sectors(0x000, 8).len(), 8);
    }

    #[test]
    fn bank_mode_polarity() {
        assert_eq!(bank_mode_from_ndbank(true), BankMode::Single);
        assert_eq!(bank_mode_from_ndbank(false), BankMode::Dual);
        assert!(ndbank_for(BankMode::Single));
        assert!(!ndbank_for(BankMode::Dual));
        assert_eq!(BankMode::Dual.to_string(), "dual bank");
        assert_eq!(
            serde_json::to_string(&BankMode::Single).unwrap(),
            "\"single\""
        );
    }

    #[test]
    fn text_helpers() {
        assert_eq!(size_text(2048), "2 MB");
        assert_eq!(size_text(1024), "1 MB");
        assert_eq!(size_text(512), "512 KB");
        assert_eq!(hex32(0x0810_0000), "0x0810_0000");
        assert_eq!(hex32(0xFFFF_AAFD), "0xFFFF_AAFD");
    }
}
