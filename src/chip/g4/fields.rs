//! The FLASH_OPTR fields of STM32G47x/G48x, named as `stm32g474xx.h` names them, with what each
//! value means as a typed verdict (the report layer words them).
//!
//! Traps: DBANK is active **high** (1 = dual bank), unlike F7's nDBANK; BOR_LEV counts *up*
//! (0 = lowest threshold), unlike F7; SRAM_PE and CCMSRAM_RST are active low (0 = parity on,
//! 0 = CCM SRAM erased at reset).

use serde::Serialize;

use crate::chip::RdpLevel;

use super::geometry::{bank_mode_from_dbank, BankMode};
use super::part::G4Line;

/// A field of FLASH_OPTR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum OptrField {
    /// RDP, bits 7:0: read protection level.
    #[serde(rename = "RDP")]
    Rdp,
    /// BOR_LEV, bits 10:8: brown-out reset threshold.
    #[serde(rename = "BOR_LEV")]
    BorLev,
    /// nRST_STOP, bit 12.
    #[serde(rename = "nRST_STOP")]
    NRstStop,
    /// nRST_STDBY, bit 13.
    #[serde(rename = "nRST_STDBY")]
    NRstStdby,
    /// nRST_SHDW, bit 14.
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
    /// BFB2, bit 20 (G47x/G48x only): boot from bank 2.
    #[serde(rename = "BFB2")]
    Bfb2,
    /// DBANK, bit 22 (G47x/G48x only): 1 = dual bank.
    #[serde(rename = "DBANK")]
    Dbank,
    /// nBOOT1, bit 23.
    #[serde(rename = "nBOOT1")]
    NBoot1,
    /// SRAM_PE, bit 24.
    #[serde(rename = "SRAM_PE")]
    SramPe,
    /// CCMSRAM_RST, bit 25.
    #[serde(rename = "CCMSRAM_RST")]
    CcmsramRst,
    /// nSWBOOT0, bit 26.
    #[serde(rename = "nSWBOOT0")]
    NSwBoot0,
    /// nBOOT0, bit 27.
    #[serde(rename = "nBOOT0")]
    NBoot0,
    /// NRST_MODE, bits 29:28.
    #[serde(rename = "NRST_MODE")]
    NrstMode,
    /// IRHEN, bit 30.
    #[serde(rename = "IRHEN")]
    Irhen,
}

/// FLASH_OPTR bits that are reserved on G47x/G48x (11, 15, 21, 31); they read as 1 in the
/// factory word 0xFFEF_F8AA.
pub const OPTR_RESERVED: u32 = (1 << 11) | (1 << 15) | (1 << 21) | (1 << 31);

/// Factory FLASH_OPTR of G4 per BMP (`stm32g4_default_options_values`): RDP level 0, BOR level
/// 0, no resets on low-power entry, software watchdogs running in Stop/Standby, **DBANK = 1
/// (dual bank)**, BFB2 = 0, boot from the BOOT0 pin, NRST in input/output mode, IRHEN = 1.
/// Sources disagree about DBANK: modm and embassy say dual bank is the default, stlink PR #1506
/// says single bank (reference §6, §13).
pub const FACTORY_OPTR: u32 = 0xFFEF_F8AA;

impl OptrField {
    /// Every field, in bit order.
    pub const ALL: [OptrField; 18] = [
        OptrField::Rdp,
        OptrField::BorLev,
        OptrField::NRstStop,
        OptrField::NRstStdby,
        OptrField::NRstShdw,
        OptrField::IwdgSw,
        OptrField::IwdgStop,
        OptrField::IwdgStdby,
        OptrField::WwdgSw,
        OptrField::Bfb2,
        OptrField::Dbank,
        OptrField::NBoot1,
        OptrField::SramPe,
        OptrField::CcmsramRst,
        OptrField::NSwBoot0,
        OptrField::NBoot0,
        OptrField::NrstMode,
        OptrField::Irhen,
    ];

    /// CMSIS name, e.g. `nRST_STOP`.
    pub fn name(self) -> &'static str {
        match self {
            OptrField::Rdp => "RDP",
            OptrField::BorLev => "BOR_LEV",
            OptrField::NRstStop => "nRST_STOP",
            OptrField::NRstStdby => "nRST_STDBY",
            OptrField::NRstShdw => "nRST_SHDW",
            OptrField::IwdgSw => "IWDG_SW",
            OptrField::IwdgStop => "IWDG_STOP",
            OptrField::IwdgStdby => "IWDG_STDBY",
            OptrField::WwdgSw => "WWDG_SW",
            OptrField::Bfb2 => "BFB2",
            OptrField::Dbank => "DBANK",
            OptrField::NBoot1 => "nBOOT1",
            OptrField::SramPe => "SRAM_PE",
            OptrField::CcmsramRst => "CCMSRAM_RST",
            OptrField::NSwBoot0 => "nSWBOOT0",
            OptrField::NBoot0 => "nBOOT0",
            OptrField::NrstMode => "NRST_MODE",
            OptrField::Irhen => "IRHEN",
        }
    }

    /// Bit position (`FLASH_OPTR_*_Pos`).
    pub fn shift(self) -> u32 {
        match self {
            OptrField::Rdp => 0,
            OptrField::BorLev => 8,
            OptrField::NRstStop => 12,
            OptrField::NRstStdby => 13,
            OptrField::NRstShdw => 14,
            OptrField::IwdgSw => 16,
            OptrField::IwdgStop => 17,
            OptrField::IwdgStdby => 18,
            OptrField::WwdgSw => 19,
            OptrField::Bfb2 => 20,
            OptrField::Dbank => 22,
            OptrField::NBoot1 => 23,
            OptrField::SramPe => 24,
            OptrField::CcmsramRst => 25,
            OptrField::NSwBoot0 => 26,
            OptrField::NBoot0 => 27,
            OptrField::NrstMode => 28,
            OptrField::Irhen => 30,
        }
    }

    /// Width in bits.
    pub fn width(self) -> u32 {
        match self {
            OptrField::Rdp => 8,
            OptrField::BorLev => 3,
            OptrField::NrstMode => 2,
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

    /// Whether the field exists on `line`: BFB2 and DBANK only on G47x/G48x (CMSIS guards BFB2
    /// with `FLASH_OPTR_DBANK`).
    pub fn exists_on(self, line: G4Line) -> bool {
        match self {
            OptrField::Bfb2 | OptrField::Dbank => line.has_dbank(),
            _ => true,
        }
    }

    /// What `optr`'s value of this field means.
    pub fn meaning(self, optr: u32) -> Meaning {
        let raw = self.get(optr);
        let bit = raw != 0;
        match self {
            OptrField::Rdp => Meaning::Rdp(RdpLevel::from_byte(raw as u8)),
            OptrField::BorLev => Meaning::BorLevel(BorLevel::from_bits(raw)),
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
            OptrField::Bfb2 => Meaning::BootFromBank2(bit),
            OptrField::Dbank => Meaning::Bank(bank_mode_from_dbank(bit)),
            OptrField::NBoot1 => Meaning::Boot1(if bit {
                Boot1Space::SystemMemory
            } else {
                Boot1Space::Sram1
            }),
            OptrField::SramPe => Meaning::SramParityCheck { enabled: !bit },
            OptrField::CcmsramRst => Meaning::CcmsramErasedOnReset(!bit),
            OptrField::NSwBoot0 => Meaning::Boot0Source(if bit {
                Boot0Source::Pin
            } else {
                Boot0Source::OptionBit
            }),
            OptrField::NBoot0 => Meaning::NBoot0(bit),
            OptrField::NrstMode => Meaning::NrstMode(NrstMode::from_bits(raw)),
            OptrField::Irhen => Meaning::InternalResetHolder { enabled: bit },
        }
    }
}

impl std::fmt::Display for OptrField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// BOR_LEV values (HAL-G4 `OB_BOR_LEVEL_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BorLevel {
    /// 0: reset threshold around 1.7 V.
    Level0,
    /// 1: around 2.0 V.
    Level1,
    /// 2: around 2.2 V.
    Level2,
    /// 3: around 2.5 V.
    Level3,
    /// 4: around 2.8 V.
    Level4,
    /// 5–7: no HAL name; what the chip does with them is not known (UNVERIFIED).
    Undefined(u8),
}

impl BorLevel {
    /// Decode BOR_LEV.
    pub fn from_bits(bits: u32) -> BorLevel {
        match bits & 0b111 {
            0 => BorLevel::Level0,
            1 => BorLevel::Level1,
            2 => BorLevel::Level2,
            3 => BorLevel::Level3,
            4 => BorLevel::Level4,
            other => BorLevel::Undefined(other as u8),
        }
    }

    /// Approximate threshold in millivolts (HAL comments), if defined.
    pub fn threshold_mv(self) -> Option<u32> {
        match self {
            BorLevel::Level0 => Some(1700),
            BorLevel::Level1 => Some(2000),
            BorLevel::Level2 => Some(2200),
            BorLevel::Level3 => Some(2500),
            BorLevel::Level4 => Some(2800),
            BorLevel::Undefined(_) => None,
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

/// Boot space selected by nBOOT1 when BOOT0 = 1 (HAL `OB_BOOT1_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Boot1Space {
    /// nBOOT1 = 0: SRAM1.
    Sram1,
    /// nBOOT1 = 1: system memory (ST bootloader).
    SystemMemory,
}

/// Where BOOT0 comes from (HAL `OB_BOOT0_FROM_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Boot0Source {
    /// nSWBOOT0 = 0: from the nBOOT0 option bit.
    OptionBit,
    /// nSWBOOT0 = 1: from the PB8/BOOT0 pin.
    Pin,
}

/// NRST pin mode (HAL `OB_NRST_MODE_*`).
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
    /// BOR threshold.
    BorLevel(BorLevel),
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
    /// BFB2: boot from bank 2 when set (dual-bank boot).
    BootFromBank2(bool),
    /// DBANK.
    Bank(BankMode),
    /// nBOOT1.
    Boot1(Boot1Space),
    /// SRAM_PE (active low): parity check of the first 32 KB of SRAM1 and of CCM SRAM.
    SramParityCheck {
        /// true when the bit is 0.
        enabled: bool,
    },
    /// CCMSRAM_RST (active low): whether CCM SRAM is erased at a system reset.
    CcmsramErasedOnReset(bool),
    /// nSWBOOT0.
    Boot0Source(Boot0Source),
    /// nBOOT0 level (BOOT0 = !nBOOT0 when nSWBOOT0 = 0).
    NBoot0(bool),
    /// NRST_MODE.
    NrstMode(NrstMode),
    /// IRHEN: 1 = internal resets hold NRST low until it reads low (HAL `OB_IRH_ENABLE`).
    InternalResetHolder {
        /// The bit.
        enabled: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_match_cmsis() {
        let expected: [(OptrField, u32, u32, u32); 18] = [
            (OptrField::Rdp, 0, 8, 0x0000_00FF),
            (OptrField::BorLev, 8, 3, 0x0000_0700),
            (OptrField::NRstStop, 12, 1, 0x0000_1000),
            (OptrField::NRstStdby, 13, 1, 0x0000_2000),
            (OptrField::NRstShdw, 14, 1, 0x0000_4000),
            (OptrField::IwdgSw, 16, 1, 0x0001_0000),
            (OptrField::IwdgStop, 17, 1, 0x0002_0000),
            (OptrField::IwdgStdby, 18, 1, 0x0004_0000),
            (OptrField::WwdgSw, 19, 1, 0x0008_0000),
            (OptrField::Bfb2, 20, 1, 0x0010_0000),
            (OptrField::Dbank, 22, 1, 0x0040_0000),
            (OptrField::NBoot1, 23, 1, 0x0080_0000),
            (OptrField::SramPe, 24, 1, 0x0100_0000),
            (OptrField::CcmsramRst, 25, 1, 0x0200_0000),
            (OptrField::NSwBoot0, 26, 1, 0x0400_0000),
            (OptrField::NBoot0, 27, 1, 0x0800_0000),
            (OptrField::NrstMode, 28, 2, 0x3000_0000),
            (OptrField::Irhen, 30, 1, 0x4000_0000),
        ];
        for (field, shift, width, mask) in expected {
            assert_eq!(
                (field.shift(), field.width(), field.mask()),
                (shift, width, mask),
                "{field}"
            );
        }
        // Fields and reserved bits cover OPTR exactly once.
        let union = OptrField::ALL.iter().fold(OPTR_RESERVED, |a, f| {
            assert_eq!(a & f.mask(), 0, "{f} overlaps");
            a | f.mask()
        });
        assert_eq!(union, 0xFFFF_FFFF);
    }

    #[test]
    fn factory_optr_decodes_to_dual_bank() {
        let m = |f: OptrField| f.meaning(FACTORY_OPTR);
        assert_eq!(m(OptrField::Rdp), Meaning::Rdp(RdpLevel::Level0));
        assert_eq!(m(OptrField::BorLev), Meaning::BorLevel(BorLevel::Level0));
        assert_eq!(m(OptrField::Dbank), Meaning::Bank(BankMode::Dual));
        assert_eq!(m(OptrField::Bfb2), Meaning::BootFromBank2(false));
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
            m(OptrField::WwdgSw),
            Meaning::WindowWatchdog(WatchdogStart::Software)
        );
        assert_eq!(
            m(OptrField::IwdgStop),
            Meaning::IndependentWatchdogIn {
                mode: LowPowerMode::Stop,
                runs: true
            }
        );
        assert_eq!(
            m(OptrField::NBoot1),
            Meaning::Boot1(Boot1Space::SystemMemory)
        );
        assert_eq!(
            m(OptrField::SramPe),
            Meaning::SramParityCheck { enabled: false }
        );
        assert_eq!(
            m(OptrField::CcmsramRst),
            Meaning::CcmsramErasedOnReset(false)
        );
        assert_eq!(
            m(OptrField::NSwBoot0),
            Meaning::Boot0Source(Boot0Source::Pin)
        );
        assert_eq!(m(OptrField::NBoot0), Meaning::NBoot0(true));
        assert_eq!(
            m(OptrField::NrstMode),
            Meaning::NrstMode(NrstMode::InputOutput)
        );
        assert_eq!(
            m(OptrField::Irhen),
            Meaning::InternalResetHolder { enabled: true }
        );
        assert_eq!(FACTORY_OPTR & OPTR_RESERVED, OPTR_RESERVED);
    }

    #[test]
    fn probe_rs_issue_value_clears_bit_21_not_dbank() {
        // The value from probe-rs issue 3515 (0xFFCFF8AA) clears reserved bit 21; DBANK stays 1.
        let user = 0xFFCF_F8AA;
        assert_eq!(OptrField::Dbank.get(user), 1);
        assert_eq!((FACTORY_OPTR ^ user) & OPTR_RESERVED, 1 << 21);
        let single = OptrField::Dbank.set(FACTORY_OPTR, 0);
        assert_eq!(single, 0xFFAF_F8AA);
        assert_eq!(
            OptrField::Dbank.meaning(single),
            Meaning::Bank(BankMode::Single)
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
        for (bits, level) in [
            (0, BorLevel::Level0),
            (4, BorLevel::Level4),
            (7, BorLevel::Undefined(7)),
        ] {
            assert_eq!(BorLevel::from_bits(bits), level);
        }
        assert_eq!(BorLevel::Level3.threshold_mv(), Some(2500));
        assert_eq!(BorLevel::Undefined(5).threshold_mv(), None);
        assert_eq!(NrstMode::from_bits(0b10), NrstMode::Gpio);
        assert_eq!(NrstMode::from_bits(0b01), NrstMode::InputOnly);
        assert_eq!(NrstMode::from_bits(0b00), NrstMode::Reserved);
        assert_eq!(
            OptrField::Rdp.meaning(OptrField::Rdp.set(FACTORY_OPTR, 0xCC)),
            Meaning::Rdp(RdpLevel::Level2)
        );
        assert_eq!(
            OptrField::Rdp.meaning(OptrField::Rdp.set(FACTORY_OPTR, 0xBB)),
            Meaning::Rdp(RdpLevel::Level1)
        );
        assert_eq!(
            OptrField::NRstStop.meaning(0),
            Meaning::ResetOnEntry {
                mode: LowPowerMode::Stop,
                reset: true
            }
        );
        assert_eq!(
            OptrField::SramPe.meaning(0),
            Meaning::SramParityCheck { enabled: true }
        );
        assert_eq!(
            OptrField::CcmsramRst.meaning(0),
            Meaning::CcmsramErasedOnReset(true)
        );
        assert_eq!(
            OptrField::NBoot1.meaning(0),
            Meaning::Boot1(Boot1Space::Sram1)
        );
        assert_eq!(
            OptrField::IwdgSw.meaning(0),
            Meaning::IndependentWatchdog(WatchdogStart::Hardware)
        );
    }

    #[test]
    fn names_and_presence() {
        for f in OptrField::ALL {
            assert_eq!(OptrField::from_name(f.name()), Some(f));
            assert_eq!(OptrField::from_name(&f.name().to_lowercase()), Some(f));
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.name())
            );
        }
        assert_eq!(OptrField::from_name("nDBANK"), None, "that is F7's");
        assert!(OptrField::Dbank.exists_on(G4Line::G47x));
        assert!(!OptrField::Dbank.exists_on(G4Line::G49x));
        assert!(!OptrField::Bfb2.exists_on(G4Line::G43x));
        assert!(OptrField::Rdp.exists_on(G4Line::G43x));
    }
}
