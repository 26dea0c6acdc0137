//! The FLASH_OPTR fields of STM32G0B0/G0B1/G0C1, named as `stm32g0b1xx.h` names them, with what
//! each value means as a typed verdict (the report layer words them).
//!
//! Traps:
//! - nSWAP_BANK is active **low** (0 = banks swapped), DUAL_BANK active high (reference §0);
//! - the L4/G4 fields sit elsewhere: BOR is BOR_EN 8 + BORR_LEV 10:9 + BORF_LEV 12:11, the
//!   nRST_xxx bits are one higher, NRST_MODE is 28:27 and IRHEN 29 (G4: 29:28 and 30);
//! - nBOOT_SEL = 1 takes BOOT0 from the option bit — the opposite sense of the G4's nSWBOOT0;
//! - RAM_PARITY_CHECK is active low (0 = parity checked);
//! - the G0B0 has no BOR_EN/BORR_LEV/BORF_LEV, nRST_SHDW, NRST_MODE or IRHEN (CMSIS
//!   `stm32g0b0xx.h`): writing them there is refused (see [`super::dangers`]).

use serde::Serialize;

use crate::chip::RdpLevel;

use super::geometry::{bank_mode_from_dual_bank, BankMode, Swap};
use super::part::{G0Line, OptionSet};

/// A field of FLASH_OPTR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum OptrField {
    /// RDP, bits 7:0: read protection level.
    #[serde(rename = "RDP")]
    Rdp,
    /// BOR_EN, bit 8: brown-out reset thresholds from BORR_LEV/BORF_LEV.
    #[serde(rename = "BOR_EN")]
    BorEn,
    /// BORR_LEV, bits 10:9: brown-out reset rising threshold.
    #[serde(rename = "BORR_LEV")]
    BorrLev,
    /// BORF_LEV, bits 12:11: brown-out reset falling threshold.
    #[serde(rename = "BORF_LEV")]
    BorfLev,
    /// nRST_STOP, bit 13.
    #[serde(rename = "nRST_STOP")]
    NRstStop,
    /// nRST_STDBY, bit 14.
    #[serde(rename = "nRST_STDBY")]
    NRstStdby,
    /// nRST_SHDW, bit 15.
    #[serde(rename = "nRST_SHDW")]
    NRstShdw,
    /// IWDG_SW, bit 16.
    #[serde(rename = "IWDG_SW")]
    IwdgSw,
    /// IWDG_STOP, bit 17.
    #[serde(rename = "IWDG_STOP")]
    IwdgStop,
    /// IWDG_STDBY, bit 18.
    #[serde(rename = "IWDG_STDBY")]
    IwdgStdby,
    /// WWDG_SW, bit 19.
    #[serde(rename = "WWDG_SW")]
    WwdgSw,
    /// nSWAP_BANK, bit 20 (active low): 0 = physical bank 2 at 0x0800_0000.
    #[serde(rename = "nSWAP_BANK")]
    NSwapBank,
    /// DUAL_BANK, bit 21: 1 = dual bank (on 256/512 KB parts).
    #[serde(rename = "DUAL_BANK")]
    DualBank,
    /// RAM_PARITY_CHECK, bit 22 (active low).
    #[serde(rename = "RAM_PARITY_CHECK")]
    RamParityCheck,
    /// nBOOT_SEL, bit 24.
    #[serde(rename = "nBOOT_SEL")]
    NBootSel,
    /// nBOOT1, bit 25.
    #[serde(rename = "nBOOT1")]
    NBoot1,
    /// nBOOT0, bit 26.
    #[serde(rename = "nBOOT0")]
    NBoot0,
    /// NRST_MODE, bits 28:27.
    #[serde(rename = "NRST_MODE")]
    NrstMode,
    /// IRHEN, bit 29.
    #[serde(rename = "IRHEN")]
    Irhen,
}

/// FLASH_OPTR bits that are reserved on G0B1/G0C1 (23, 30, 31); they read as 1 in the factory
/// word 0xFFFF_FEAA.
pub const OPTR_RESERVED_G0X1: u32 = (1 << 23) | (1 << 30) | (1 << 31);

/// Factory FLASH_OPTR of G0B1/G0C1: RDP level 0, BOR off (BORR_LEV/BORF_LEV 3), no resets on
/// low-power entry, software watchdogs running in Stop/Standby, **banks not swapped, dual
/// bank**, RAM parity off, BOOT0 from nBOOT0 = 1 (main flash), NRST input/output, IRHEN = 1
/// (BMP-G0 "G0x1: OPTR = FFFFFEAA"; chibios#192 "reset 0xFFFF FEAA"; reference §7).
pub const FACTORY_OPTR_G0X1: u32 = 0xFFFF_FEAA;

/// Factory FLASH_OPTR of G0x0 per BMP-G0 ("G0x0: OPTR = DFFFE1AA"; BMP notes "IRH and BOR are
/// reserved on G0x0"). BMP's G0x0 value may be from the G070/G030; for the G0B0 it is
/// UNVERIFIED.
pub const FACTORY_OPTR_G0X0: u32 = 0xDFFF_E1AA;

/// The factory FLASH_OPTR of `line`.
pub fn factory_optr(line: G0Line) -> u32 {
    match line.option_set() {
        OptionSet::G0x0 => FACTORY_OPTR_G0X0,
        OptionSet::G0x1 => FACTORY_OPTR_G0X1,
    }
}

/// FLASH_OPTR bits without a field on `line`.
pub fn optr_reserved(line: G0Line) -> u32 {
    OptrField::ALL
        .iter()
        .filter(|f| !f.exists_on(line))
        .fold(OPTR_RESERVED_G0X1, |acc, f| acc | f.mask())
}

impl OptrField {
    /// Every field, in bit order.
    pub const ALL: [OptrField; 19] = [
        OptrField::Rdp,
        OptrField::BorEn,
        OptrField::BorrLev,
        OptrField::BorfLev,
        OptrField::NRstStop,
        OptrField::NRstStdby,
        OptrField::NRstShdw,
        OptrField::IwdgSw,
        OptrField::IwdgStop,
        OptrField::IwdgStdby,
        OptrField::WwdgSw,
        OptrField::NSwapBank,
        OptrField::DualBank,
        OptrField::RamParityCheck,
        OptrField::NBootSel,
        OptrField::NBoot1,
        OptrField::NBoot0,
        OptrField::NrstMode,
        OptrField::Irhen,
    ];

    /// CMSIS name, e.g. `nSWAP_BANK`.
    pub fn name(self) -> &'static str {
        match self {
            OptrField::Rdp => "RDP",
            OptrField::BorEn => "BOR_EN",
            OptrField::BorrLev => "BORR_LEV",
            OptrField::BorfLev => "BORF_LEV",
            OptrField::NRstStop => "nRST_STOP",
            OptrField::NRstStdby => "nRST_STDBY",
            OptrField::NRstShdw => "nRST_SHDW",
            OptrField::IwdgSw => "IWDG_SW",
            OptrField::IwdgStop => "IWDG_STOP",
            OptrField::IwdgStdby => "IWDG_STDBY",
            OptrField::WwdgSw => "WWDG_SW",
            OptrField::NSwapBank => "nSWAP_BANK",
            OptrField::DualBank => "DUAL_BANK",
            OptrField::RamParityCheck => "RAM_PARITY_CHECK",
            OptrField::NBootSel => "nBOOT_SEL",
            OptrField::NBoot1 => "nBOOT1",
            OptrField::NBoot0 => "nBOOT0",
            OptrField::NrstMode => "NRST_MODE",
            OptrField::Irhen => "IRHEN",
        }
    }

    /// Bit position (`FLASH_OPTR_*_Pos`).
    pub fn shift(self) -> u32 {
        match self {
            OptrField::Rdp => 0,
            OptrField::BorEn => 8,
            OptrField::BorrLev => 9,
            OptrField::BorfLev => 11,
            OptrField::NRstStop => 13,
            OptrField::NRstStdby => 14,
            OptrField::NRstShdw => 15,
            OptrField::IwdgSw => 16,
            OptrField::IwdgStop => 17,
            OptrField::IwdgStdby => 18,
            OptrField::WwdgSw => 19,
            OptrField::NSwapBank => 20,
            OptrField::DualBank => 21,
            OptrField::RamParityCheck => 22,
            OptrField::NBootSel => 24,
            OptrField::NBoot1 => 25,
            OptrField::NBoot0 => 26,
            OptrField::NrstMode => 27,
            OptrField::Irhen => 29,
        }
    }

    /// Width in bits.
    pub fn width(self) -> u32 {
        match self {
            OptrField::Rdp => 8,
            OptrField::BorrLev | OptrField::BorfLev | OptrField::NrstMode => 2,
            _ => 1,
        }
    }

    /// Mask in FLASH_OPTR (`FLASH_OPTR_*_Msk`).
    pub fn mask(self) -> u32 {
        ((1u32 << self.width()) - 1) << self.shift()
    }

    /// Largest raw value.
    pub fn max(self) -> u32 {
        (1u32 << self.width()) - 1
    }

    /// The raw value of this field in `optr`, right-aligned.
    pub fn get(self, optr: u32) -> u32 {
        (optr & self.mask()) >> self.shift()
    }

    /// `optr` with this field set to `value` (truncated to the field).
    pub fn set(self, optr: u32, value: u32) -> u32 {
        (optr & !self.mask()) | ((value << self.shift()) & self.mask())
    }

    /// The field named `name` (case-insensitive, surrounding spaces ignored).
    pub fn from_name(name: &str) -> Option<OptrField> {
        let name = name.trim();
        OptrField::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Whether the field exists on `line`: the G0B0 lacks BOR_EN, BORR_LEV, BORF_LEV,
    /// nRST_SHDW, NRST_MODE and IRHEN (CMSIS `stm32g0b0xx.h`).
    pub fn exists_on(self, line: G0Line) -> bool {
        let g0x1_only = matches!(
            self,
            OptrField::BorEn
                | OptrField::BorrLev
                | OptrField::BorfLev
                | OptrField::NRstShdw
                | OptrField::NrstMode
                | OptrField::Irhen
        );
        !g0x1_only || line.option_set() == OptionSet::G0x1
    }

    /// What `optr`'s value of this field means.
    pub fn meaning(self, optr: u32) -> Meaning {
        let raw = self.get(optr);
        let bit = raw != 0;
        match self {
            OptrField::Rdp => Meaning::Rdp(RdpLevel::from_byte(raw as u8)),
            OptrField::BorEn => Meaning::BorReset { enabled: bit },
            OptrField::BorrLev => Meaning::BorRising(BorThreshold::from_bits(raw)),
            OptrField::BorfLev => Meaning::BorFalling(BorThreshold::from_bits(raw)),
            OptrField::NRstStop => Meaning::ResetOnEntry {
                mode: LowPowerMode::Stop,
                reset: !bit,
            },
            OptrField::NRstStdby => Meaning::ResetOnEntry {
                mode: LowPowerMode::Standby,
                reset: !bit,
            },
            OptrField::NRstShdw => Meaning::ResetOnEntry {
                mode: LowPowerMode::Shutdown,
                reset: !bit,
            },
            OptrField::IwdgSw => Meaning::IndependentWatchdog(WatchdogStart::from_sw_bit(bit)),
            OptrField::IwdgStop => Meaning::IndependentWatchdogIn {
                mode: LowPowerMode::Stop,
                runs: bit,
            },
            OptrField::IwdgStdby => Meaning::IndependentWatchdogIn {
                mode: LowPowerMode::Standby,
                runs: bit,
            },
            OptrField::WwdgSw => Meaning::WindowWatchdog(WatchdogStart::from_sw_bit(bit)),
            OptrField::NSwapBank => Meaning::BankSwap(Swap::from_nswap_bank(bit)),
            OptrField::DualBank => Meaning::Bank(bank_mode_from_dual_bank(bit)),
            OptrField::RamParityCheck => Meaning::SramParityCheck { enabled: !bit },
            OptrField::NBootSel => Meaning::Boot0Source(if bit {
                Boot0Source::OptionBit
            } else {
                Boot0Source::Pin
            }),
            OptrField::NBoot1 => Meaning::Boot1(if bit {
                Boot1Space::SystemMemory
            } else {
                Boot1Space::Sram
            }),
            OptrField::NBoot0 => Meaning::NBoot0(bit),
            OptrField::NrstMode => Meaning::NrstMode(NrstMode::from_bits(raw)),
            OptrField::Irhen => Meaning::InternalResetHolder { irhen: bit },
        }
    }
}

impl std::fmt::Display for OptrField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A BORR_LEV / BORF_LEV value (HAL-G0 `OB_BOR_LEVEL_RISING_*` / `OB_BOR_LEVEL_FALLING_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BorThreshold {
    /// 0: HAL's "level 1".
    Level1,
    /// 1: "level 2".
    Level2,
    /// 2: "level 3".
    Level3,
    /// 3: "level 4" (factory).
    Level4,
}

impl BorThreshold {
    /// Decode a 2-bit BORR_LEV/BORF_LEV value.
    pub fn from_bits(bits: u32) -> BorThreshold {
        match bits & 0b11 {
            0 => BorThreshold::Level1,
            1 => BorThreshold::Level2,
            2 => BorThreshold::Level3,
            _ => BorThreshold::Level4,
        }
    }

    /// Approximate rising threshold in millivolts (HAL-G0 comments: 2.1/2.3/2.6/2.9 V).
    pub fn rising_mv(self) -> u32 {
        match self {
            BorThreshold::Level1 => 2100,
            BorThreshold::Level2 => 2300,
            BorThreshold::Level3 => 2600,
            BorThreshold::Level4 => 2900,
        }
    }

    /// Approximate falling threshold in millivolts (HAL-G0 comments: 2.0/2.2/2.5/2.8 V).
    pub fn falling_mv(self) -> u32 {
        match self {
            BorThreshold::Level1 => 2000,
            BorThreshold::Level2 => 2200,
            BorThreshold::Level3 => 2500,
            BorThreshold::Level4 => 2800,
        }
    }
}

/// Low-power modes named by the option bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LowPowerMode {
    /// Stop.
    Stop,
    /// Standby.
    Standby,
    /// Shutdown.
    Shutdown,
}

/// How a watchdog starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WatchdogStart {
    /// xWDG_SW = 0: started by hardware at reset.
    Hardware,
    /// xWDG_SW = 1: started by software.
    Software,
}

impl WatchdogStart {
    fn from_sw_bit(bit: bool) -> Self {
        if bit {
            WatchdogStart::Software
        } else {
            WatchdogStart::Hardware
        }
    }
}

/// Where BOOT0 comes from (HAL-G0 `OB_BOOT0_FROM_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Boot0Source {
    /// nBOOT_SEL = 0: from the PA14-BOOT0 pin.
    Pin,
    /// nBOOT_SEL = 1: from the nBOOT0 option bit (factory).
    OptionBit,
}

/// Boot space selected by nBOOT1 when BOOT0 = 1 (HAL-G0 `OB_BOOT1_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Boot1Space {
    /// nBOOT1 = 0: embedded SRAM.
    Sram,
    /// nBOOT1 = 1: system memory (ST bootloader).
    SystemMemory,
}

/// NRST pin mode (HAL-G0 `OB_RESET_MODE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum NrstMode {
    /// 0b00: no HAL name (UNVERIFIED what the chip does).
    Reserved,
    /// 0b01: reset input only.
    InputOnly,
    /// 0b10: GPIO — the pin no longer resets the chip.
    Gpio,
    /// 0b11: reset input and output (factory).
    InputOutput,
}

impl NrstMode {
    /// Decode NRST_MODE.
    pub fn from_bits(bits: u32) -> NrstMode {
        match bits & 0b11 {
            0b01 => NrstMode::InputOnly,
            0b10 => NrstMode::Gpio,
            0b11 => NrstMode::InputOutput,
            _ => NrstMode::Reserved,
        }
    }
}

/// What an OPTR field value means: a typed fact, worded by the report layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Meaning {
    /// RDP level.
    Rdp(RdpLevel),
    /// BOR_EN: 0 = only the power-on/power-down reset threshold ("BOR Reset set to default"),
    /// 1 = the BORR_LEV/BORF_LEV thresholds apply.
    BorReset {
        /// The bit.
        enabled: bool,
    },
    /// BORR_LEV.
    BorRising(BorThreshold),
    /// BORF_LEV.
    BorFalling(BorThreshold),
    /// nRST_xxx: whether entering `mode` resets the chip.
    ResetOnEntry {
        /// The mode.
        mode: LowPowerMode,
        /// true when the bit is 0.
        reset: bool,
    },
    /// IWDG_SW.
    IndependentWatchdog(WatchdogStart),
    /// IWDG_STOP / IWDG_STDBY: whether the IWDG counter runs in `mode` (0 = frozen).
    IndependentWatchdogIn {
        /// The mode.
        mode: LowPowerMode,
        /// true when the bit is 1.
        runs: bool,
    },
    /// WWDG_SW.
    WindowWatchdog(WatchdogStart),
    /// nSWAP_BANK (acts in dual-bank mode only).
    BankSwap(Swap),
    /// DUAL_BANK (acts on 256/512 KB parts only).
    Bank(BankMode),
    /// RAM_PARITY_CHECK (active low).
    SramParityCheck {
        /// true when the bit is 0.
        enabled: bool,
    },
    /// nBOOT_SEL.
    Boot0Source(Boot0Source),
    /// nBOOT1.
    Boot1(Boot1Space),
    /// nBOOT0 level (BOOT0 = !nBOOT0 when nBOOT_SEL = 1).
    NBoot0(bool),
    /// NRST_MODE.
    NrstMode(NrstMode),
    /// IRHEN, the raw bit. HAL-G0 names IRHEN = 0 `OB_IRH_ENABLE` ("Internal Reset handler
    /// enable") and IRHEN = 1 `OB_IRH_DISABLE`, the opposite of what the bit's name says and of
    /// the G4's HAL; which sense the silicon has is UNVERIFIED, so no meaning is claimed.
    InternalResetHolder {
        /// The bit.
        irhen: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_match_cmsis() {
        let expected: [(OptrField, u32, u32, u32); 19] = [
            (OptrField::Rdp, 0, 8, 0x0000_00FF),
            (OptrField::BorEn, 8, 1, 0x0000_0100),
            (OptrField::BorrLev, 9, 2, 0x0000_0600),
            (OptrField::BorfLev, 11, 2, 0x0000_1800),
            (OptrField::NRstStop, 13, 1, 0x0000_2000),
            (OptrField::NRstStdby, 14, 1, 0x0000_4000),
            (OptrField::NRstShdw, 15, 1, 0x0000_8000),
            (OptrField::IwdgSw, 16, 1, 0x0001_0000),
            (OptrField::IwdgStop, 17, 1, 0x0002_0000),
            (OptrField::IwdgStdby, 18, 1, 0x0004_0000),
            (OptrField::WwdgSw, 19, 1, 0x0008_0000),
            (OptrField::NSwapBank, 20, 1, 0x0010_0000),
            (OptrField::DualBank, 21, 1, 0x0020_0000),
            (OptrField::RamParityCheck, 22, 1, 0x0040_0000),
            (OptrField::NBootSel, 24, 1, 0x0100_0000),
            (OptrField::NBoot1, 25, 1, 0x0200_0000),
            (OptrField::NBoot0, 26, 1, 0x0400_0000),
            (OptrField::NrstMode, 27, 2, 0x1800_0000),
            (OptrField::Irhen, 29, 1, 0x2000_0000),
        ];
        for (field, shift, width, mask) in expected {
            assert_eq!(
                (field.shift(), field.width(), field.mask()),
                (shift, width, mask),
                "{field}"
            );
        }
        // Fields and reserved bits cover OPTR exactly once.
        let union = OptrField::ALL.iter().fold(OPTR_RESERVED_G0X1, |a, f| {
            assert_eq!(a & f.mask(), 0, "{f} overlaps");
            a | f.mask()
        });
        assert_eq!(union, 0xFFFF_FFFF);
    }

    #[test]
    fn factory_optr_decodes_to_dual_bank_unswapped() {
        let m = |f: OptrField| f.meaning(FACTORY_OPTR_G0X1);
        assert_eq!(m(OptrField::Rdp), Meaning::Rdp(RdpLevel::Level0));
        assert_eq!(m(OptrField::BorEn), Meaning::BorReset { enabled: false });
        assert_eq!(
            m(OptrField::BorrLev),
            Meaning::BorRising(BorThreshold::Level4)
        );
        assert_eq!(
            m(OptrField::BorfLev),
            Meaning::BorFalling(BorThreshold::Level4)
        );
        for (f, mode) in [
            (OptrField::NRstStop, LowPowerMode::Stop),
            (OptrField::NRstStdby, LowPowerMode::Standby),
            (OptrField::NRstShdw, LowPowerMode::Shutdown),
        ] {
            assert_eq!(m(f), Meaning::ResetOnEntry { mode, reset: false }, "{f}");
        }
        assert_eq!(
            m(OptrField::IwdgSw),
            Meaning::IndependentWatchdog(WatchdogStart::Software)
        );
        assert_eq!(
            m(OptrField::IwdgStdby),
            Meaning::IndependentWatchdogIn {
                mode: LowPowerMode::Standby,
                runs: true
            }
        );
        assert_eq!(
            m(OptrField::WwdgSw),
            Meaning::WindowWatchdog(WatchdogStart::Software)
        );
        assert_eq!(m(OptrField::NSwapBank), Meaning::BankSwap(Swap::Off));
        assert_eq!(m(OptrField::DualBank), Meaning::Bank(BankMode::Dual));
        assert_eq!(
            m(OptrField::RamParityCheck),
            Meaning::SramParityCheck { enabled: false }
        );
        assert_eq!(
            m(OptrField::NBootSel),
            Meaning::Boot0Source(Boot0Source::OptionBit)
        );
        assert_eq!(
            m(OptrField::NBoot1),
            Meaning::Boot1(Boot1Space::SystemMemory)
        );
        assert_eq!(m(OptrField::NBoot0), Meaning::NBoot0(true));
        assert_eq!(
            m(OptrField::NrstMode),
            Meaning::NrstMode(NrstMode::InputOutput)
        );
        assert_eq!(
            m(OptrField::Irhen),
            Meaning::InternalResetHolder { irhen: true }
        );
        assert_eq!(FACTORY_OPTR_G0X1 & OPTR_RESERVED_G0X1, OPTR_RESERVED_G0X1);
    }

    #[test]
    fn the_nuttx_swap_values_differ_in_nswap_bank_only() {
        // apache/nuttx#20060: OPTR 0xFEF9FEAA <-> 0xFEE9FEAA when toggling the swap.
        let (unswapped, swapped) = (0xFEF9_FEAA, 0xFEE9_FEAA);
        assert_eq!(unswapped ^ swapped, OptrField::NSwapBank.mask());
        assert_eq!(
            OptrField::NSwapBank.meaning(swapped),
            Meaning::BankSwap(Swap::On)
        );
        assert_eq!(
            OptrField::NSwapBank.meaning(unswapped),
            Meaning::BankSwap(Swap::Off)
        );
        assert_eq!(
            OptrField::DualBank.meaning(swapped),
            Meaning::Bank(BankMode::Dual)
        );
        // Those boards boot from the pin (nBOOT_SEL = 0) with hardware IWDG/WWDG stop bits.
        assert_eq!(
            OptrField::NBootSel.meaning(swapped),
            Meaning::Boot0Source(Boot0Source::Pin)
        );
        assert_eq!(
            OptrField::NSwapBank.set(FACTORY_OPTR_G0X1, 0),
            0xFFEF_FEAA,
            "swap on from factory"
        );
        assert_eq!(OptrField::DualBank.set(FACTORY_OPTR_G0X1, 0), 0xFFDF_FEAA);
    }

    #[test]
    fn g0b0_lacks_the_bor_reset_pin_and_reset_holder_fields() {
        let missing: Vec<OptrField> = OptrField::ALL
            .into_iter()
            .filter(|f| !f.exists_on(G0Line::G0B0))
            .collect();
        assert_eq!(
            missing,
            vec![
                OptrField::BorEn,
                OptrField::BorrLev,
                OptrField::BorfLev,
                OptrField::NRstShdw,
                OptrField::NrstMode,
                OptrField::Irhen
            ]
        );
        for line in [G0Line::G0B1, G0Line::G0C1] {
            assert!(OptrField::ALL.iter().all(|f| f.exists_on(line)));
            assert_eq!(optr_reserved(line), OPTR_RESERVED_G0X1);
            assert_eq!(factory_optr(line), 0xFFFF_FEAA);
        }
        assert!(OptrField::NSwapBank.exists_on(G0Line::G0B0));
        assert!(OptrField::DualBank.exists_on(G0Line::G0B0));
        assert_eq!(optr_reserved(G0Line::G0B0), 0xF880_9F00);
        // BMP's G0x0 default has 0 in BOR and IRHEN and decodes like the G0x1's elsewhere.
        assert_eq!(factory_optr(G0Line::G0B0), 0xDFFF_E1AA);
        let fields_b0 = !optr_reserved(G0Line::G0B0);
        assert_eq!(
            FACTORY_OPTR_G0X0 & fields_b0,
            FACTORY_OPTR_G0X1 & fields_b0,
            "the same settings where both have fields"
        );
    }

    #[test]
    fn set_and_get_one_field_only() {
        for f in OptrField::ALL {
            for v in [0, 1, f.max()] {
                let w = f.set(0, v);
                assert_eq!(f.get(w), v, "{f}");
                assert_eq!(w & !f.mask(), 0, "{f} spills");
            }
            assert_eq!(f.set(0, f.max() + 1) & !f.mask(), 0, "{f} truncates");
        }
    }

    #[test]
    fn value_meanings() {
        for (bits, level, rise, fall) in [
            (0, BorThreshold::Level1, 2100, 2000),
            (1, BorThreshold::Level2, 2300, 2200),
            (2, BorThreshold::Level3, 2600, 2500),
            (3, BorThreshold::Level4, 2900, 2800),
        ] {
            let t = BorThreshold::from_bits(bits);
            assert_eq!((t, t.rising_mv(), t.falling_mv()), (level, rise, fall));
        }
        assert_eq!(NrstMode::from_bits(0b10), NrstMode::Gpio);
        assert_eq!(NrstMode::from_bits(0b01), NrstMode::InputOnly);
        assert_eq!(NrstMode::from_bits(0b00), NrstMode::Reserved);
        assert_eq!(
            OptrField::Rdp.meaning(OptrField::Rdp.set(FACTORY_OPTR_G0X1, 0xCC)),
            Meaning::Rdp(RdpLevel::Level2)
        );
        assert_eq!(
            OptrField::Rdp.meaning(OptrField::Rdp.set(FACTORY_OPTR_G0X1, 0xBB)),
            Meaning::Rdp(RdpLevel::Level1)
        );
        assert_eq!(
            OptrField::NRstShdw.meaning(0),
            Meaning::ResetOnEntry {
                mode: LowPowerMode::Shutdown,
                reset: true
            }
        );
        assert_eq!(
            OptrField::RamParityCheck.meaning(0),
            Meaning::SramParityCheck { enabled: true }
        );
        assert_eq!(
            OptrField::NBoot1.meaning(0),
            Meaning::Boot1(Boot1Space::Sram)
        );
        assert_eq!(
            OptrField::IwdgSw.meaning(0),
            Meaning::IndependentWatchdog(WatchdogStart::Hardware)
        );
        assert_eq!(
            OptrField::IwdgStop.meaning(0),
            Meaning::IndependentWatchdogIn {
                mode: LowPowerMode::Stop,
                runs: false
            }
        );
        assert_eq!(
            OptrField::BorEn.meaning(1 << 8),
            Meaning::BorReset { enabled: true }
        );
        assert_eq!(
            OptrField::DualBank.meaning(0),
            Meaning::Bank(BankMode::Single)
        );
    }

    #[test]
    fn names_and_serialisation() {
        for f in OptrField::ALL {
            assert_eq!(OptrField::from_name(f.name()), Some(f));
            assert_eq!(OptrField::from_name(&f.name().to_lowercase()), Some(f));
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.name())
            );
        }
        assert_eq!(OptrField::from_name("DBANK"), None, "that is the G4's");
        assert_eq!(OptrField::from_name("BOR_LEV"), None, "split in two on G0");
        assert_eq!(
            OptrField::from_name(" nswap_bank "),
            Some(OptrField::NSwapBank)
        );
    }
}
