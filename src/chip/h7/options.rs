//! The full set of STM32H74x/H75x option values: FLASH_OPTSR plus, per physical bank, the PCROP
//! area (PRAR), the secure-only area (SCAR) and the sector write protection (WPSN), and the
//! boot addresses (BOOT). Each exists twice on the chip: `*_CUR` (in force) and `*_PRG` (to
//! program); [`H7Options`] is one such image.
//!
//! Encodings (CMSIS-H7 bit fields; HAL-H7 `stm32h7xx_hal_flash_ex.c` for the units):
//! - PRAR/SCAR: START bits 11:0 and END bits 27:16 in 256-byte units **from the start of the
//!   register set's bank** (HAL: `(address - FLASH_BANKx_BASE) >> 8`); DMEP/DMES bit 31 = erase
//!   the area on an RDP regression. An area with START > END is off (HAL-H7 has no other way to
//!   express "no area"; the rule itself is UNVERIFIED).
//! - WPSN.WRPSN bits 7:0: one bit per sector, **0 = write protected** (HAL-H7 enables
//!   protection by clearing bits).
//! - BOOT_ADD0 bits 15:0, BOOT_ADD1 bits 31:16: boot address bits 31:16 (HAL-H7 writes
//!   `address >> 16`).

use serde::Serialize;

use crate::chip::RdpLevel;

use super::fields::{OptsrField, FACTORY_OPTSR};
use super::geometry::{BankSwap, H7Layout, PhysicalBank, PhysicalLocation};
use super::registers::FlashRegister;

/// PRAR/SCAR START field (bits 11:0).
pub const AREA_START: u32 = 0xFFF;
/// Position of the PRAR/SCAR END field.
pub const AREA_END_POS: u32 = 16;
/// PRAR/SCAR END field (bits 27:16).
pub const AREA_END: u32 = 0xFFF << AREA_END_POS;
/// PRAR.DMEP / SCAR.DMES (bit 31): erase the area when RDP goes from 1 to 0.
pub const AREA_ERASE_ON_REGRESSION: u32 = 1 << 31;
/// The unit of PRAR/SCAR addresses.
pub const AREA_UNIT: u32 = 256;
/// WPSN.WRPSN (bits 7:0).
pub const WPSN_WRPSN: u32 = 0xFF;
/// BOOT.BOOT_ADD0 (bits 15:0).
pub const BOOT_ADD0: u32 = 0xFFFF;
/// Position of BOOT.BOOT_ADD1.
pub const BOOT_ADD1_POS: u32 = 16;

/// An area register with START > END: no area (see the module notes).
pub const AREA_OFF: u32 = AREA_START;
/// Every sector writable.
pub const WPSN_NONE_PROTECTED: u32 = WPSN_WRPSN;
/// Factory BOOT: BOOT_ADD0 = 0x0800 (main flash 0x0800_0000), BOOT_ADD1 = 0x1FF0 (system
/// memory). The sources read give no factory word (UNVERIFIED).
pub const FACTORY_BOOT: u32 = (0x1FF0 << BOOT_ADD1_POS) | 0x0800;

/// One image of the option registers of a single-core H74x/H75x.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct H7Options {
    /// FLASH_OPTSR (the status bits OPT_BUSY and OPTCHANGEERR are not part of an image).
    pub optsr: u32,
    /// FLASH_PRAR_x1.
    pub prar1: u32,
    /// FLASH_SCAR_x1.
    pub scar1: u32,
    /// FLASH_WPSN_x1.
    pub wpsn1: u32,
    /// FLASH_PRAR_x2.
    pub prar2: u32,
    /// FLASH_SCAR_x2.
    pub scar2: u32,
    /// FLASH_WPSN_x2.
    pub wpsn2: u32,
    /// FLASH_BOOT_x.
    pub boot: u32,
}

/// An area register decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ProtectedArea {
    /// The physical bank the register belongs to.
    pub bank: PhysicalBank,
    /// First byte, offset inside the bank.
    pub start: u32,
    /// One past the last byte, offset inside the bank.
    pub end: u32,
    /// DMEP/DMES: erased by an RDP regression.
    pub erased_on_regression: bool,
}

impl ProtectedArea {
    /// Decode `register` of `bank`; `None` when the area is off (START > END).
    pub fn decode(bank: PhysicalBank, register: u32) -> Option<ProtectedArea> {
        let start = register & AREA_START;
        let end = (register & AREA_END) >> AREA_END_POS;
        (start <= end).then_some(ProtectedArea {
            bank,
            start: start * AREA_UNIT,
            end: (end + 1) * AREA_UNIT,
            erased_on_regression: register & AREA_ERASE_ON_REGRESSION != 0,
        })
    }

    /// The logical address range of the area under `layout`'s mapping.
    pub fn logical(&self, layout: &H7Layout) -> Option<std::ops::Range<u32>> {
        let start = layout.logical(PhysicalLocation {
            bank: self.bank,
            offset: self.start,
        })?;
        Some(start..start + (self.end - self.start))
    }
}

impl H7Options {
    /// Factory options as this tool assumes them (see [`FACTORY_OPTSR`]): no PCROP or secure
    /// area, no write protection, boot from 0x0800_0000.
    pub const FACTORY: H7Options = H7Options {
        optsr: FACTORY_OPTSR,
        prar1: AREA_OFF,
        scar1: AREA_OFF,
        wpsn1: WPSN_NONE_PROTECTED,
        prar2: AREA_OFF,
        scar2: AREA_OFF,
        wpsn2: WPSN_NONE_PROTECTED,
        boot: FACTORY_BOOT,
    };

    /// The value of one option register, `*_CUR` and `*_PRG` alike (`None` for the others).
    pub fn register(&self, reg: FlashRegister) -> Option<u32> {
        use FlashRegister::*;
        Some(match reg {
            OptsrCur | OptsrPrg => self.optsr,
            PrarCur1 | PrarPrg1 => self.prar1,
            ScarCur1 | ScarPrg1 => self.scar1,
            WpsnCur1 | WpsnPrg1 => self.wpsn1,
            PrarCur2 | PrarPrg2 => self.prar2,
            ScarCur2 | ScarPrg2 => self.scar2,
            WpsnCur2 | WpsnPrg2 => self.wpsn2,
            BootCur | BootPrg => self.boot,
            _ => return None,
        })
    }

    /// The `*_PRG` registers whose value differs between `self` and `target`, in offset order:
    /// what a change writes (stlink skips a `*_PRG` write when `*_CUR` already holds it,
    /// reference §9).
    pub fn registers_to_write(&self, target: &H7Options) -> Vec<(FlashRegister, u32)> {
        use FlashRegister::*;
        [
            OptsrPrg, PrarPrg1, ScarPrg1, WpsnPrg1, BootPrg, PrarPrg2, ScarPrg2, WpsnPrg2,
        ]
        .into_iter()
        .filter_map(|reg| {
            let (old, new) = (self.register(reg)?, target.register(reg)?);
            (old != new).then_some((reg, new))
        })
        .collect()
    }

    /// The RDP byte.
    pub fn rdp(&self) -> u8 {
        OptsrField::Rdp.get(self.optsr) as u8
    }

    /// The RDP level.
    pub fn rdp_level(&self) -> RdpLevel {
        RdpLevel::from_byte(self.rdp())
    }

    /// The mapping SWAP_BANK_OPT selects (in force after the next reset).
    pub fn swap(&self) -> BankSwap {
        BankSwap::from_bit(OptsrField::SwapBankOpt.get(self.optsr) != 0)
    }

    /// Whether SECURITY is set.
    pub fn security(&self) -> bool {
        OptsrField::Security.get(self.optsr) != 0
    }

    /// WPSN of `bank`.
    pub fn wpsn(&self, bank: PhysicalBank) -> u32 {
        match bank {
            PhysicalBank::Bank1 => self.wpsn1,
            PhysicalBank::Bank2 => self.wpsn2,
        }
    }

    /// Whether sector `snb` of physical `bank` is write protected (its WRPSN bit clear).
    pub fn sector_write_protected(&self, bank: PhysicalBank, snb: u8) -> bool {
        snb < 8 && self.wpsn(bank) & (1 << snb) == 0
    }

    /// The write-protected sectors of `bank`, by SNB.
    pub fn write_protected_sectors(&self, bank: PhysicalBank) -> Vec<u8> {
        (0..8)
            .filter(|&snb| self.sector_write_protected(bank, snb))
            .collect()
    }

    /// The PCROP areas that are on.
    pub fn pcrop_areas(&self) -> Vec<ProtectedArea> {
        [
            (PhysicalBank::Bank1, self.prar1),
            (PhysicalBank::Bank2, self.prar2),
        ]
        .into_iter()
        .filter_map(|(bank, reg)| ProtectedArea::decode(bank, reg))
        .collect()
    }

    /// The secure-only areas that are on.
    pub fn secure_areas(&self) -> Vec<ProtectedArea> {
        [
            (PhysicalBank::Bank1, self.scar1),
            (PhysicalBank::Bank2, self.scar2),
        ]
        .into_iter()
        .filter_map(|(bank, reg)| ProtectedArea::decode(bank, reg))
        .collect()
    }

    /// BOOT_ADD0 as an address (boot with the BOOT pin low).
    pub fn boot_address0(&self) -> u32 {
        (self.boot & BOOT_ADD0) << 16
    }

    /// BOOT_ADD1 as an address (boot with the BOOT pin high).
    pub fn boot_address1(&self) -> u32 {
        self.boot & !BOOT_ADD0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_image() {
        let f = H7Options::FACTORY;
        assert_eq!(f.rdp_level(), RdpLevel::Level0);
        assert_eq!(f.swap(), BankSwap::NotSwapped);
        assert!(!f.security());
        assert!(f.pcrop_areas().is_empty());
        assert!(f.secure_areas().is_empty());
        for bank in PhysicalBank::ALL {
            assert!(f.write_protected_sectors(bank).is_empty());
        }
        assert_eq!(f.boot_address0(), 0x0800_0000);
        assert_eq!(f.boot_address1(), 0x1FF0_0000);
    }

    #[test]
    fn registers_by_name() {
        let o = H7Options {
            optsr: 1,
            prar1: 2,
            scar1: 3,
            wpsn1: 4,
            prar2: 5,
            scar2: 6,
            wpsn2: 7,
            boot: 8,
        };
        use FlashRegister::*;
        for (cur, prg, value) in [
            (OptsrCur, OptsrPrg, 1),
            (PrarCur1, PrarPrg1, 2),
            (ScarCur1, ScarPrg1, 3),
            (WpsnCur1, WpsnPrg1, 4),
            (PrarCur2, PrarPrg2, 5),
            (ScarCur2, ScarPrg2, 6),
            (WpsnCur2, WpsnPrg2, 7),
            (BootCur, BootPrg, 8),
        ] {
            assert_eq!(o.register(cur), Some(value), "{cur}");
            assert_eq!(o.register(prg), Some(value), "{prg}");
        }
        for other in [Cr1, Sr2, Optcr, Optkeyr, Acr] {
            assert_eq!(o.register(other), None, "{other}");
        }
    }

    #[test]
    fn only_changed_prg_registers_are_written() {
        let f = H7Options::FACTORY;
        assert!(f.registers_to_write(&f).is_empty());
        let swapped = H7Options {
            optsr: OptsrField::SwapBankOpt.set(f.optsr, 1),
            wpsn2: 0xFE,
            ..f
        };
        assert_eq!(
            f.registers_to_write(&swapped),
            [
                (FlashRegister::OptsrPrg, FACTORY_OPTSR | 0x8000_0000),
                (FlashRegister::WpsnPrg2, 0xFE)
            ]
        );
    }

    #[test]
    fn write_protection_is_active_low_per_physical_bank() {
        let o = H7Options {
            wpsn1: 0b1111_1010,
            wpsn2: 0b0111_1111,
            ..H7Options::FACTORY
        };
        assert_eq!(o.write_protected_sectors(PhysicalBank::Bank1), [0, 2]);
        assert_eq!(o.write_protected_sectors(PhysicalBank::Bank2), [7]);
        assert!(o.sector_write_protected(PhysicalBank::Bank1, 0));
        assert!(!o.sector_write_protected(PhysicalBank::Bank1, 1));
        assert!(
            !o.sector_write_protected(PhysicalBank::Bank2, 8),
            "no sector 8"
        );
    }

    #[test]
    fn areas_in_256_byte_units_from_the_physical_bank() {
        assert_eq!(ProtectedArea::decode(PhysicalBank::Bank1, AREA_OFF), None);
        assert_eq!(
            ProtectedArea::decode(PhysicalBank::Bank1, 0x0001_0002),
            None
        );
        let area = ProtectedArea::decode(PhysicalBank::Bank2, 0x8003_0001).unwrap();
        assert_eq!(
            area,
            ProtectedArea {
                bank: PhysicalBank::Bank2,
                start: 0x100,
                end: 0x400,
                erased_on_regression: true
            }
        );
        let plain = H7Layout::new(2048, BankSwap::NotSwapped).unwrap();
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        assert_eq!(area.logical(&plain), Some(0x0810_0100..0x0810_0400));
        // The register is bank 2's: under the swap its area is seen at 0x0800_0000.
        assert_eq!(area.logical(&swapped), Some(0x0800_0100..0x0800_0400));
        let one = ProtectedArea::decode(PhysicalBank::Bank1, 0x0000_0000).unwrap();
        assert_eq!(
            (one.start, one.end, one.erased_on_regression),
            (0, 256, false)
        );
        let whole = ProtectedArea::decode(PhysicalBank::Bank1, 0x0FFF_0000).unwrap();
        assert_eq!(whole.end, 0x10_0000, "the last unit of a 1 MB bank");
        let o = H7Options {
            prar1: 0x0000_0000,
            scar2: 0x0001_0000,
            ..H7Options::FACTORY
        };
        assert_eq!(o.pcrop_areas().len(), 1);
        assert_eq!(o.secure_areas()[0].bank, PhysicalBank::Bank2);
    }

    #[test]
    fn boot_addresses_are_the_high_half_words() {
        let o = H7Options {
            boot: 0x1FF0_2400,
            ..H7Options::FACTORY
        };
        assert_eq!(o.boot_address0(), 0x2400_0000);
        assert_eq!(o.boot_address1(), 0x1FF0_0000);
    }

    #[test]
    fn field_accessors() {
        let o = H7Options {
            optsr: OptsrField::Security.set(OptsrField::Rdp.set(FACTORY_OPTSR, 0xCC), 1),
            ..H7Options::FACTORY
        };
        assert_eq!(o.rdp(), 0xCC);
        assert_eq!(o.rdp_level(), RdpLevel::Level2);
        assert!(o.security());
    }
}
