//! Sector geometry of STM32H74x/H75x and the bank swap (reference §9; probe-rs 0.32
//! `STM32H7_Series.yaml` for the per-part memory regions).
//!
//! - Two banks, always: bank at 0x0800_0000 and bank at **0x0810_0000 whatever the size**
//!   ("the second bank starts always from 0x08100000", OOCD-H7). 2 MB parts (size letter I):
//!   2 × 1 MB of 8 × 128 KB sectors. 1 MB parts (G): 2 × 512 KB of 4 × 128 KB sectors, with no
//!   flash at 0x0808_0000–0x0810_0000 (probe-rs lists BANK_1 0x0800_0000–0x0808_0000 and BANK_2
//!   0x0810_0000–0x0818_0000 for STM32H743ZG and STM32H742xG).
//! - STM32H750 (size letter B): one 128 KB sector at 0x0800_0000 and nothing else (probe-rs;
//!   CMSIS-H7 `stm32h750xx.h`: `FLASH_SECTOR_TOTAL 1`, "Flash bank 2 not available", and no
//!   SWAP_BANK bits).
//! - **The swap.** OPTSR.SWAP_BANK_OPT = 1 exchanges the two windows: physical bank 2 appears at
//!   0x0800_0000 and physical bank 1 at 0x0810_0000, from the next system reset or power-on on
//!   (FLASH_OPTCR.SWAP_BANK shows the mapping in force). A bank's register set (KEYRx, CRx, SRx,
//!   CCRx, WPSNx, PRARx, SCARx) and the BER/SNB bits in it name the **physical** bank; addresses
//!   follow the swap (the issue: wolfBoot 821 and NuttX 20054 erased the healthy image by
//!   picking the register set from the address). The functions here go from a logical address
//!   to the physical bank and sector and back.
//!
//! Whether the swap also moves the register sets (so that CR1 would follow the window at
//! 0x0800_0000) is the opposite reading; the sources read for the reference only say the swap
//! exchanges the addresses. This module follows the statement (UNVERIFIED on silicon).

use serde::Serialize;

use crate::chip::notation::{hex32, size_text};

use super::registers::{
    sector_erase_bits, BankRegisters, BANK1_REGISTERS, BANK2_REGISTERS, BANK_ERASE_BITS,
};

/// Start of the window at 0x0800_0000 (physical bank 1 when not swapped).
pub const FLASH_BANK1_BASE: u32 = 0x0800_0000;
/// Start of the window at 0x0810_0000 (physical bank 2 when not swapped), whatever the size.
pub const FLASH_BANK2_BASE: u32 = 0x0810_0000;
/// Sector size: 128 KB everywhere on H74x/H75x (`FLASH_SECTOR_SIZE`).
pub const SECTOR_SIZE: u32 = 128 * 1024;
/// The unit of programming: one 256-bit flash word (`FLASH_NB_32BITWORD_IN_FLASHWORD` = 8).
pub const FLASH_WORD_BYTES: u32 = 32;
/// Flash sizes of the parts, KB: H750xB, H742/H743xG, H742/H743/H753xI.
pub const FLASH_SIZES_KB: [u32; 3] = [128, 1024, 2048];

/// A physical bank: the array and the register set that controls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum PhysicalBank {
    /// Physical bank 1: FLASH_KEYR1/CR1/SR1/CCR1…
    Bank1,
    /// Physical bank 2: FLASH_KEYR2/CR2/SR2/CCR2… (+0x100).
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

    /// The bank numbered `number`.
    pub fn from_number(number: u8) -> Option<PhysicalBank> {
        PhysicalBank::ALL.into_iter().find(|b| b.number() == number)
    }

    /// The register set that programs and erases this bank.
    pub fn registers(self) -> &'static BankRegisters {
        match self {
            PhysicalBank::Bank1 => &BANK1_REGISTERS,
            PhysicalBank::Bank2 => &BANK2_REGISTERS,
        }
    }

    /// The other bank.
    pub fn other(self) -> PhysicalBank {
        match self {
            PhysicalBank::Bank1 => PhysicalBank::Bank2,
            PhysicalBank::Bank2 => PhysicalBank::Bank1,
        }
    }
}

impl std::fmt::Display for PhysicalBank {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "physical bank {}", self.number())
    }
}

/// One of the two address windows (the "logical" banks).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum LogicalBank {
    /// The window at 0x0800_0000 (the boot bank with the factory BOOT_ADD0).
    Bank1,
    /// The window at 0x0810_0000.
    Bank2,
}

impl LogicalBank {
    /// Both windows.
    pub const ALL: [LogicalBank; 2] = [LogicalBank::Bank1, LogicalBank::Bank2];

    /// Start address of the window.
    pub fn base(self) -> u32 {
        match self {
            LogicalBank::Bank1 => FLASH_BANK1_BASE,
            LogicalBank::Bank2 => FLASH_BANK2_BASE,
        }
    }

    /// 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            LogicalBank::Bank1 => 1,
            LogicalBank::Bank2 => 2,
        }
    }
}

/// The bank mapping: FLASH_OPTCR.SWAP_BANK (in force) or OPTSR.SWAP_BANK_OPT (programmed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BankSwap {
    /// 0: physical bank 1 at 0x0800_0000 (factory).
    NotSwapped,
    /// 1: physical bank 2 at 0x0800_0000, physical bank 1 at 0x0810_0000.
    Swapped,
}

impl BankSwap {
    /// The mapping a SWAP_BANK / SWAP_BANK_OPT bit selects (active high).
    pub fn from_bit(bit: bool) -> BankSwap {
        if bit {
            BankSwap::Swapped
        } else {
            BankSwap::NotSwapped
        }
    }

    /// The bit that selects this mapping.
    pub fn bit(self) -> bool {
        self == BankSwap::Swapped
    }

    /// The physical bank seen through `window`.
    pub fn physical(self, window: LogicalBank) -> PhysicalBank {
        match (self, window) {
            (BankSwap::NotSwapped, LogicalBank::Bank1)
            | (BankSwap::Swapped, LogicalBank::Bank2) => PhysicalBank::Bank1,
            (BankSwap::NotSwapped, LogicalBank::Bank2)
            | (BankSwap::Swapped, LogicalBank::Bank1) => PhysicalBank::Bank2,
        }
    }

    /// The window `bank` appears in.
    pub fn window(self, bank: PhysicalBank) -> LogicalBank {
        match (self, bank) {
            (BankSwap::NotSwapped, PhysicalBank::Bank1)
            | (BankSwap::Swapped, PhysicalBank::Bank2) => LogicalBank::Bank1,
            (BankSwap::NotSwapped, PhysicalBank::Bank2)
            | (BankSwap::Swapped, PhysicalBank::Bank1) => LogicalBank::Bank2,
        }
    }
}

/// A place in the physical array.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct PhysicalLocation {
    /// The bank.
    pub bank: PhysicalBank,
    /// Byte offset inside the bank.
    pub offset: u32,
}

/// One erasable sector, in both terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Sector {
    /// The physical bank: whose FLASH_CRx erases it.
    pub bank: PhysicalBank,
    /// Sector number inside the physical bank: the FLASH_CRx.SNB value.
    pub snb: u8,
    /// Start address in the mapping of the layout (logical).
    pub address: u32,
    /// Size in bytes.
    pub size: u32,
}

impl Sector {
    /// One past the last byte.
    pub fn end(&self) -> u32 {
        self.address + self.size
    }

    /// Whether `address` lies in this sector.
    pub fn contains(&self, address: u32) -> bool {
        (self.address..self.end()).contains(&address)
    }

    /// FLASH_CRx bits that select this sector for erase (SER | SNB), to be written to
    /// [`Sector::registers`]`.cr`.
    pub fn erase_bits(&self) -> u32 {
        sector_erase_bits(self.snb)
    }

    /// The register set that erases this sector.
    pub fn registers(&self) -> &'static BankRegisters {
        self.bank.registers()
    }
}

/// Where a bank is seen, in both terms: "logical 0x0800_0000 = physical bank 2".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BankPlacement {
    /// The window.
    pub window: LogicalBank,
    /// The physical bank in it.
    pub bank: PhysicalBank,
    /// Start address.
    pub base: u32,
    /// Size in bytes.
    pub size: u32,
}

impl BankPlacement {
    /// One past the last byte.
    pub fn end(&self) -> u32 {
        self.base + self.size
    }
}

impl std::fmt::Display for BankPlacement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "logical {} = {}", hex32(self.base), self.bank)
    }
}

/// Why a layout cannot be built.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum H7GeometryError {
    /// Not an H74x/H75x flash size.
    #[error("no STM32H74x/H75x layout for {flash_kb} KB of flash (supported: 128 KB STM32H750, 1 MB and 2 MB)")]
    UnsupportedSize {
        /// Requested size.
        flash_kb: u32,
    },
    /// The swap asked for on a part with one bank.
    #[error("a {flash_kb} KB part has one bank: there is nothing to swap")]
    NoSecondBank {
        /// The size.
        flash_kb: u32,
    },
}

/// How probe-rs 0.32's main-flash algorithm fits the mapping in force.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AlgorithmFit {
    /// Range and sectors match (128 KB sectors, 0x0800_0000–0x0820_0000).
    Matches(&'static str),
    /// The swap is on and it is not known whether the algorithm picks the register set of the
    /// physical bank behind an address or of the window (which would erase the other bank).
    SwapNotKnownToBeHonoured(&'static str),
}

/// probe-rs 0.32's default main-flash algorithm for every H74x/H75x part: 0x0800_0000–
/// 0x0820_0000, 128 KB sectors, 1 KB pages, loaded at 0x2400_0020 (AXI SRAM).
pub const PROBE_RS_ALGORITHM: &str = "stm32h7x_2048";

/// The sector map of a part under one mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct H7Layout {
    /// Total flash size, KB.
    pub flash_kb: u32,
    /// The mapping.
    pub swap: BankSwap,
}

impl H7Layout {
    /// The layout of `flash_kb` under `swap`.
    pub fn new(flash_kb: u32, swap: BankSwap) -> Result<Self, H7GeometryError> {
        if !FLASH_SIZES_KB.contains(&flash_kb) {
            return Err(H7GeometryError::UnsupportedSize { flash_kb });
        }
        let layout = H7Layout { flash_kb, swap };
        if swap == BankSwap::Swapped && !layout.has_second_bank() {
            return Err(H7GeometryError::NoSecondBank { flash_kb });
        }
        Ok(layout)
    }

    /// Whether the part has bank 2 (all but the 128 KB STM32H750).
    pub fn has_second_bank(&self) -> bool {
        self.flash_kb > SECTOR_SIZE / 1024
    }

    /// The physical banks of the part.
    pub fn physical_banks(&self) -> &'static [PhysicalBank] {
        if self.has_second_bank() {
            &PhysicalBank::ALL
        } else {
            &PhysicalBank::ALL[..1]
        }
    }

    /// Size of one bank in bytes.
    pub fn bank_size(&self) -> u32 {
        if self.has_second_bank() {
            self.flash_kb * 1024 / 2
        } else {
            self.flash_kb * 1024
        }
    }

    /// Sectors per bank (8, 4, or 1 on the STM32H750).
    pub fn sectors_per_bank(&self) -> u32 {
        self.bank_size() / SECTOR_SIZE
    }

    /// Where each bank is seen, in address order.
    pub fn placements(&self) -> Vec<BankPlacement> {
        let windows: &[LogicalBank] = if self.has_second_bank() {
            &LogicalBank::ALL
        } else {
            &LogicalBank::ALL[..1]
        };
        windows
            .iter()
            .map(|&window| BankPlacement {
                window,
                bank: self.swap.physical(window),
                base: window.base(),
                size: self.bank_size(),
            })
            .collect()
    }

    /// The placement of `bank`.
    pub fn placement(&self, bank: PhysicalBank) -> Option<BankPlacement> {
        self.placements().into_iter().find(|p| p.bank == bank)
    }

    /// The physical place behind logical `address`; `None` outside flash, in the hole of
    /// 1 MB parts, and beyond the one sector of the STM32H750.
    pub fn physical(&self, address: u32) -> Option<PhysicalLocation> {
        self.placements()
            .into_iter()
            .find(|p| (p.base..p.end()).contains(&address))
            .map(|p| PhysicalLocation {
                bank: p.bank,
                offset: address - p.base,
            })
    }

    /// The logical address of a physical place; `None` beyond the bank.
    pub fn logical(&self, location: PhysicalLocation) -> Option<u32> {
        let placement = self.placement(location.bank)?;
        (location.offset < placement.size).then(|| placement.base + location.offset)
    }

    /// Sector `snb` of physical bank `bank`.
    pub fn sector(&self, bank: PhysicalBank, snb: u32) -> Option<Sector> {
        let placement = self.placement(bank)?;
        (snb < self.sectors_per_bank()).then(|| Sector {
            bank,
            snb: snb as u8,
            address: placement.base + snb * SECTOR_SIZE,
            size: SECTOR_SIZE,
        })
    }

    /// The sector holding logical `address`.
    pub fn sector_at(&self, address: u32) -> Option<Sector> {
        let location = self.physical(address)?;
        self.sector(location.bank, location.offset / SECTOR_SIZE)
    }

    /// Every sector, in address order.
    pub fn sectors(&self) -> Vec<Sector> {
        self.placements()
            .into_iter()
            .flat_map(|p| (0..self.sectors_per_bank()).filter_map(move |s| self.sector(p.bank, s)))
            .collect()
    }

    /// The register set and FLASH_CRx bits that erase the bank seen in `window` (BER on the
    /// *physical* bank behind it). `None` for the second window of a one-bank part.
    pub fn bank_erase(&self, window: LogicalBank) -> Option<(&'static BankRegisters, u32)> {
        let placement = self.placements().into_iter().find(|p| p.window == window)?;
        Some((placement.bank.registers(), BANK_ERASE_BITS))
    }

    /// The address ranges that hold flash, in order.
    pub fn regions(&self) -> Vec<std::ops::Range<u32>> {
        self.placements().iter().map(|p| p.base..p.end()).collect()
    }

    /// The flash-word (32-byte) aligned start of the flash word holding `address`.
    pub fn flash_word_start(address: u32) -> u32 {
        address & !(FLASH_WORD_BYTES - 1)
    }

    /// How probe-rs's algorithm fits this mapping.
    pub fn probe_rs_algorithm(&self) -> AlgorithmFit {
        match self.swap {
            BankSwap::NotSwapped => AlgorithmFit::Matches(PROBE_RS_ALGORITHM),
            BankSwap::Swapped => AlgorithmFit::SwapNotKnownToBeHonoured(PROBE_RS_ALGORITHM),
        }
    }

    /// e.g. "2 × 1 MB in 8 sectors of 128 KB".
    pub fn summary(&self) -> String {
        if self.has_second_bank() {
            format!(
                "2 × {} in {} sectors of 128 KB",
                size_text(self.bank_size() / 1024),
                self.sectors_per_bank()
            )
        } else {
            format!("one bank of {}, one sector", size_text(self.flash_kb))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::h7::registers::{FlashRegister, FLASH_CR_BER, FLASH_CR_SER};

    const SWAPS: [BankSwap; 2] = [BankSwap::NotSwapped, BankSwap::Swapped];

    fn dual_layouts() -> Vec<H7Layout> {
        [1024, 2048]
            .into_iter()
            .flat_map(|kb| SWAPS.map(|s| H7Layout::new(kb, s).unwrap()))
            .collect()
    }

    #[test]
    fn swap_exchanges_the_windows() {
        assert_eq!(
            BankSwap::NotSwapped.physical(LogicalBank::Bank1),
            PhysicalBank::Bank1
        );
        assert_eq!(
            BankSwap::NotSwapped.physical(LogicalBank::Bank2),
            PhysicalBank::Bank2
        );
        assert_eq!(
            BankSwap::Swapped.physical(LogicalBank::Bank1),
            PhysicalBank::Bank2
        );
        assert_eq!(
            BankSwap::Swapped.physical(LogicalBank::Bank2),
            PhysicalBank::Bank1
        );
        for swap in SWAPS {
            for window in LogicalBank::ALL {
                assert_eq!(swap.window(swap.physical(window)), window);
            }
            for bank in PhysicalBank::ALL {
                assert_eq!(swap.physical(swap.window(bank)), bank);
            }
            assert_eq!(BankSwap::from_bit(swap.bit()), swap);
        }
        assert_eq!(BankSwap::from_bit(true), BankSwap::Swapped);
    }

    #[test]
    fn every_address_maps_to_one_physical_place_and_back() {
        for layout in dual_layouts() {
            let bank_size = layout.bank_size();
            let mut seen = std::collections::HashSet::new();
            // Every 1 KB step, plus each step's last byte, over both windows and beyond.
            for step in 0..(0x20_0000 / 1024 + 2) {
                let start = FLASH_BANK1_BASE - 1024 + step * 1024;
                for address in [start, start + 1023] {
                    let expected = LogicalBank::ALL
                        .into_iter()
                        .find(|w| (w.base()..w.base() + bank_size).contains(&address));
                    match (layout.physical(address), expected) {
                        (Some(loc), Some(window)) => {
                            assert_eq!(layout.logical(loc), Some(address));
                            assert!(seen.insert(loc), "{loc:?} reached twice");
                            assert_eq!(loc.bank, layout.swap.physical(window));
                            assert_eq!(loc.offset, address - window.base());
                        }
                        (None, None) => {}
                        (got, _) => panic!("{address:#x} maps to {got:?} in {layout:?}"),
                    }
                }
            }
            assert_eq!(seen.len() as u32, 2 * 2 * (bank_size / 1024), "{layout:?}");
            // And from the physical side.
            for bank in PhysicalBank::ALL {
                for offset in (0..bank_size).step_by(4096) {
                    let loc = PhysicalLocation { bank, offset };
                    let address = layout.logical(loc).unwrap();
                    assert_eq!(layout.physical(address), Some(loc));
                }
                let beyond = PhysicalLocation {
                    bank,
                    offset: bank_size,
                };
                assert_eq!(layout.logical(beyond), None);
            }
        }
    }

    #[test]
    fn the_swap_in_both_terms() {
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        assert_eq!(
            swapped.physical(0x0800_0000),
            Some(PhysicalLocation {
                bank: PhysicalBank::Bank2,
                offset: 0
            })
        );
        assert_eq!(
            swapped.physical(0x081F_FFFF),
            Some(PhysicalLocation {
                bank: PhysicalBank::Bank1,
                offset: 0xF_FFFF
            })
        );
        let words: Vec<String> = swapped.placements().iter().map(|p| p.to_string()).collect();
        assert_eq!(
            words,
            [
                "logical 0x0800_0000 = physical bank 2",
                "logical 0x0810_0000 = physical bank 1"
            ]
        );
        let plain = H7Layout::new(2048, BankSwap::NotSwapped).unwrap();
        assert_eq!(
            plain.placements()[0].to_string(),
            "logical 0x0800_0000 = physical bank 1"
        );
    }

    #[test]
    fn sectors_name_the_physical_bank() {
        for layout in dual_layouts() {
            let sectors = layout.sectors();
            assert_eq!(sectors.len() as u32, 2 * layout.sectors_per_bank());
            let mut address_order = sectors.clone();
            address_order.sort_by_key(|s| s.address);
            assert_eq!(sectors, address_order, "in address order");
            for s in &sectors {
                assert_eq!(s.size, SECTOR_SIZE);
                assert_eq!(layout.sector_at(s.address), Some(*s));
                assert_eq!(layout.sector_at(s.end() - 1), Some(*s));
                let loc = layout.physical(s.address).unwrap();
                assert_eq!(
                    (loc.bank, loc.offset),
                    (s.bank, u32::from(s.snb) * SECTOR_SIZE)
                );
                assert_eq!(s.erase_bits(), FLASH_CR_SER | (u32::from(s.snb) << 8));
                let cr = s.registers().cr;
                assert_eq!(
                    cr,
                    if s.bank == PhysicalBank::Bank1 {
                        FlashRegister::Cr1
                    } else {
                        FlashRegister::Cr2
                    }
                );
            }
            assert_eq!(
                layout.sector(PhysicalBank::Bank1, layout.sectors_per_bank()),
                None
            );
        }
        // The sector at 0x0800_0000 under the swap is erased with FLASH_CR2, SNB 0.
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        let first = swapped.sector_at(0x0800_0000).unwrap();
        assert_eq!((first.bank, first.snb), (PhysicalBank::Bank2, 0));
        assert_eq!(first.registers().cr.address(), 0x5200_210C);
        let last = swapped.sector_at(0x081E_0000).unwrap();
        assert_eq!((last.bank, last.snb), (PhysicalBank::Bank1, 7));
    }

    #[test]
    fn bank_erase_of_a_window_uses_the_physical_bank() {
        let plain = H7Layout::new(2048, BankSwap::NotSwapped).unwrap();
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        let (regs, bits) = plain.bank_erase(LogicalBank::Bank2).unwrap();
        assert_eq!((regs.cr, bits), (FlashRegister::Cr2, FLASH_CR_BER));
        // "Erase logical bank 2" with the swap on is BER in FLASH_CR1.
        let (regs, bits) = swapped.bank_erase(LogicalBank::Bank2).unwrap();
        assert_eq!((regs.cr, bits), (FlashRegister::Cr1, FLASH_CR_BER));
        let (regs, _) = swapped.bank_erase(LogicalBank::Bank1).unwrap();
        assert_eq!(regs.cr, FlashRegister::Cr2);
    }

    #[test]
    fn sizes_and_holes() {
        let g = H7Layout::new(1024, BankSwap::NotSwapped).unwrap();
        assert_eq!((g.bank_size(), g.sectors_per_bank()), (512 * 1024, 4));
        assert_eq!(
            g.regions(),
            [0x0800_0000..0x0808_0000, 0x0810_0000..0x0818_0000]
        );
        assert_eq!(g.physical(0x0808_0000), None, "the hole of 1 MB parts");
        assert_eq!(g.physical(0x080F_FFFF), None);
        assert_eq!(g.summary(), "2 × 512 KB in 4 sectors of 128 KB");
        let i = H7Layout::new(2048, BankSwap::NotSwapped).unwrap();
        assert_eq!(
            i.regions(),
            [0x0800_0000..0x0810_0000, 0x0810_0000..0x0820_0000]
        );
        assert_eq!(i.summary(), "2 × 1 MB in 8 sectors of 128 KB");
        assert_eq!(i.physical(0x0820_0000), None);
        assert_eq!(i.physical(0x07FF_FFFF), None);
        for bad in [0, 256, 512, 4096] {
            assert_eq!(
                H7Layout::new(bad, BankSwap::NotSwapped),
                Err(H7GeometryError::UnsupportedSize { flash_kb: bad })
            );
        }
    }

    #[test]
    fn the_h750_has_one_sector_and_no_swap() {
        let b = H7Layout::new(128, BankSwap::NotSwapped).unwrap();
        assert!(!b.has_second_bank());
        assert_eq!(b.physical_banks(), [PhysicalBank::Bank1]);
        assert_eq!(b.sectors().len(), 1);
        assert_eq!(b.regions().len(), 1);
        assert_eq!(b.regions()[0], 0x0800_0000..0x0802_0000);
        assert_eq!(b.physical(0x0810_0000), None);
        assert_eq!(b.bank_erase(LogicalBank::Bank2), None);
        assert_eq!(b.placement(PhysicalBank::Bank2), None);
        assert_eq!(b.summary(), "one bank of 128 KB, one sector");
        let err = H7Layout::new(128, BankSwap::Swapped).unwrap_err();
        assert_eq!(err, H7GeometryError::NoSecondBank { flash_kb: 128 });
        assert!(err.to_string().contains("nothing to swap"), "{err}");
    }

    #[test]
    fn flash_words_and_the_algorithm() {
        assert_eq!(H7Layout::flash_word_start(0x0800_003F), 0x0800_0020);
        assert_eq!(H7Layout::flash_word_start(0x0800_0020), 0x0800_0020);
        assert_eq!(FLASH_WORD_BYTES, 8 * 4, "eight 32-bit words");
        let plain = H7Layout::new(2048, BankSwap::NotSwapped).unwrap();
        assert_eq!(
            plain.probe_rs_algorithm(),
            AlgorithmFit::Matches("stm32h7x_2048")
        );
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        assert_eq!(
            swapped.probe_rs_algorithm(),
            AlgorithmFit::SwapNotKnownToBeHonoured("stm32h7x_2048")
        );
    }

    #[test]
    fn banks_by_number() {
        for bank in PhysicalBank::ALL {
            assert_eq!(PhysicalBank::from_number(bank.number()), Some(bank));
            assert_eq!(bank.other().other(), bank);
            assert_ne!(bank.other(), bank);
        }
        assert_eq!(PhysicalBank::from_number(3), None);
        assert_eq!(PhysicalBank::Bank2.to_string(), "physical bank 2");
        assert_eq!(LogicalBank::Bank2.base(), 0x0810_0000);
        assert_eq!(LogicalBank::Bank1.number(), 1);
    }
}
