//! The fields of FLASH_OPTSR_CUR / FLASH_OPTSR_PRG of STM32H74x/H75x, named as CMSIS-H7 names
//! them (`FLASH_OPTSR_*`, reference §9), with what each value means as a typed verdict (the
//! report layer words them).
//!
//! Traps:
//! - SWAP_BANK_OPT is **bit 31** (0x8000_0000). OpenOCD's own documentation example writes
//!   0x0800_0000 (bit 27) to "set SWAP_BANK_OPT" (reference §9 pitfall): bit 27 is reserved.
//! - OPT_BUSY and OPTCHANGEERR are status bits of OPTSR_CUR, not option values: they are never
//!   programmed.
//! - IWDG2_SW, BCM4, BCM7, NRST_STOP_D2 and NRST_STBY_D2 exist only on the dual-core parts
//!   (H745/H747/H755/H757); on the single-core parts these bits are reserved.
//! - The STM32H750 has no SWAP_BANK_OPT (CMSIS-H7 `stm32h750xx.h` defines no swap bits).
//! - The nRST bits are "no reset when set" (HAL-H7 `OB_STOP_NO_RST` = the bit); FZ_IWDG_x = 0
//!   *freezes* the IWDG in that mode (HAL-H7 `OB_IWDG_STOP_FREEZE` = 0).

use serde::Serialize;

use crate::chip::RdpLevel;

use super::geometry::BankSwap;
use super::part::H7Line;

/// A field of FLASH_OPTSR_CUR / FLASH_OPTSR_PRG.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum OptsrField {
    /// OPT_BUSY, bit 0 (OPTSR_CUR only): an option change is in progress.
    #[serde(rename = "OPT_BUSY")]
    OptBusy,
    /// BOR_LEV, bits 3:2.
    #[serde(rename = "BOR_LEV")]
    BorLev,
    /// IWDG1_SW, bit 4.
    #[serde(rename = "IWDG1_SW")]
    Iwdg1Sw,
    /// IWDG2_SW, bit 5 (dual-core parts only).
    #[serde(rename = "IWDG2_SW")]
    Iwdg2Sw,
    /// NRST_STOP_D1, bit 6.
    #[serde(rename = "NRST_STOP_D1")]
    NrstStopD1,
    /// NRST_STBY_D1, bit 7.
    #[serde(rename = "NRST_STBY_D1")]
    NrstStbyD1,
    /// RDP, bits 15:8.
    #[serde(rename = "RDP")]
    Rdp,
    /// FZ_IWDG_STOP, bit 17.
    #[serde(rename = "FZ_IWDG_STOP")]
    FzIwdgStop,
    /// FZ_IWDG_SDBY, bit 18.
    #[serde(rename = "FZ_IWDG_SDBY")]
    FzIwdgSdby,
    /// ST_RAM_SIZE, bits 20:19.
    #[serde(rename = "ST_RAM_SIZE")]
    StRamSize,
    /// SECURITY, bit 21.
    #[serde(rename = "SECURITY")]
    Security,
    /// BCM4, bit 22 (dual-core parts only).
    #[serde(rename = "BCM4")]
    Bcm4,
    /// BCM7, bit 23 (dual-core parts only).
    #[serde(rename = "BCM7")]
    Bcm7,
    /// NRST_STOP_D2, bit 24 (dual-core parts only).
    #[serde(rename = "NRST_STOP_D2")]
    NrstStopD2,
    /// NRST_STBY_D2, bit 25 (dual-core parts only).
    #[serde(rename = "NRST_STBY_D2")]
    NrstStbyD2,
    /// IO_HSLV, bit 29.
    #[serde(rename = "IO_HSLV")]
    IoHslv,
    /// OPTCHANGEERR, bit 30 (OPTSR_CUR only): the last option change failed.
    #[serde(rename = "OPTCHANGEERR")]
    OptChangeErr,
    /// SWAP_BANK_OPT, bit 31: the bank mapping from the next reset on.
    #[serde(rename = "SWAP_BANK_OPT")]
    SwapBankOpt,
}

/// Bits of OPTSR that no field of any H74x/H75x part uses: 1, 16, 26–28.
pub const OPTSR_RESERVED: u32 = (1 << 1) | (1 << 16) | (0b111 << 26);

/// Factory FLASH_OPTSR of a single-core part as this tool assumes it: RDP level 0 (0xAA), BOR
/// off (level 0), IWDG1 started by software, no reset on Stop/Standby entry, IWDG running in
/// Stop and Standby, 2 KB ST RAM, security off, IO_HSLV off, **no swap**; reserved and
/// dual-core bits 0. The sources read give no factory word (UNVERIFIED): each field is the
/// HAL-H7 default or "off".
pub const FACTORY_OPTSR: u32 = 0x0006_AAD0;

impl OptsrField {
    /// Every field, in bit order.
    pub const ALL: [OptsrField; 18] = [
        OptsrField::OptBusy,
        OptsrField::BorLev,
        OptsrField::Iwdg1Sw,
        OptsrField::Iwdg2Sw,
        OptsrField::NrstStopD1,
        OptsrField::NrstStbyD1,
        OptsrField::Rdp,
        OptsrField::FzIwdgStop,
        OptsrField::FzIwdgSdby,
        OptsrField::StRamSize,
        OptsrField::Security,
        OptsrField::Bcm4,
        OptsrField::Bcm7,
        OptsrField::NrstStopD2,
        OptsrField::NrstStbyD2,
        OptsrField::IoHslv,
        OptsrField::OptChangeErr,
        OptsrField::SwapBankOpt,
    ];

    /// CMSIS name, e.g. `SWAP_BANK_OPT`.
    pub fn name(self) -> &'static str {
        use OptsrField::*;
        match self {
            OptBusy => "OPT_BUSY",
            BorLev => "BOR_LEV",
            Iwdg1Sw => "IWDG1_SW",
            Iwdg2Sw => "IWDG2_SW",
            NrstStopD1 => "NRST_STOP_D1",
            NrstStbyD1 => "NRST_STBY_D1",
            Rdp => "RDP",
            FzIwdgStop => "FZ_IWDG_STOP",
            FzIwdgSdby => "FZ_IWDG_SDBY",
            StRamSize => "ST_RAM_SIZE",
            Security => "SECURITY",
            Bcm4 => "BCM4",
            Bcm7 => "BCM7",
            NrstStopD2 => "NRST_STOP_D2",
            NrstStbyD2 => "NRST_STBY_D2",
            IoHslv => "IO_HSLV",
            OptChangeErr => "OPTCHANGEERR",
            SwapBankOpt => "SWAP_BANK_OPT",
        }
    }

    /// Bit position (`FLASH_OPTSR_*_Pos`).
    pub fn shift(self) -> u32 {
        use OptsrField::*;
        match self {
            OptBusy => 0,
            BorLev => 2,
            Iwdg1Sw => 4,
            Iwdg2Sw => 5,
            NrstStopD1 => 6,
            NrstStbyD1 => 7,
            Rdp => 8,
            FzIwdgStop => 17,
            FzIwdgSdby => 18,
            StRamSize => 19,
            Security => 21,
            Bcm4 => 22,
            Bcm7 => 23,
            NrstStopD2 => 24,
            NrstStbyD2 => 25,
            IoHslv => 29,
            OptChangeErr => 30,
            SwapBankOpt => 31,
        }
    }

    /// Width in bits.
    pub fn width(self) -> u32 {
        match self {
            OptsrField::Rdp => 8,
            OptsrField::BorLev | OptsrField::StRamSize => 2,
            _ => 1,
        }
    }

    /// Mask in OPTSR (`FLASH_OPTSR_*_Msk`).
    pub fn mask(self) -> u32 {
        (((1u64 << self.width()) - 1) as u32) << self.shift()
    }

    /// Largest raw value.
    pub fn max(self) -> u32 {
        ((1u64 << self.width()) - 1) as u32
    }

    /// The raw value of this field in `optsr`, right-aligned.
    pub fn get(self, optsr: u32) -> u32 {
        (optsr & self.mask()) >> self.shift()
    }

    /// `optsr` with this field set to `value` (truncated to the field).
    pub fn set(self, optsr: u32, value: u32) -> u32 {
        (optsr & !self.mask()) | ((value << self.shift()) & self.mask())
    }

    /// The field named `name` (case-insensitive, surrounding spaces ignored).
    pub fn from_name(name: &str) -> Option<OptsrField> {
        let name = name.trim();
        OptsrField::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }

    /// Status bits of OPTSR_CUR (OPT_BUSY, OPTCHANGEERR): read, never programmed.
    pub fn is_status(self) -> bool {
        matches!(self, OptsrField::OptBusy | OptsrField::OptChangeErr)
    }

    /// Fields of the dual-core parts only.
    pub fn is_dual_core_only(self) -> bool {
        use OptsrField::*;
        matches!(self, Iwdg2Sw | Bcm4 | Bcm7 | NrstStopD2 | NrstStbyD2)
    }

    /// Whether this field may be written to OPTSR_PRG on `line`, or why not.
    pub fn check(self, line: H7Line) -> Result<(), FieldRefusal> {
        if self.is_status() {
            Err(FieldRefusal::StatusBit { field: self })
        } else if self.is_dual_core_only() {
            Err(FieldRefusal::DualCoreOnly { field: self, line })
        } else if self == OptsrField::SwapBankOpt && !line.has_second_bank() {
            Err(FieldRefusal::NoSecondBank { line })
        } else {
            Ok(())
        }
    }

    /// Whether the field exists (as status or option) on `line`.
    pub fn exists_on(self, line: H7Line) -> bool {
        !matches!(
            self.check(line),
            Err(FieldRefusal::DualCoreOnly { .. } | FieldRefusal::NoSecondBank { .. })
        )
    }

    /// What `optsr`'s value of this field means.
    pub fn meaning(self, optsr: u32) -> Meaning {
        use OptsrField::*;
        let raw = self.get(optsr);
        let bit = raw != 0;
        match self {
            OptBusy => Meaning::OptionChangeInProgress(bit),
            BorLev => Meaning::BorLevel(BorLevel::from_bits(raw)),
            Iwdg1Sw => Meaning::Watchdog {
                watchdog: Watchdog::Iwdg1,
                start: WatchdogStart::from_sw_bit(bit),
            },
            Iwdg2Sw => Meaning::Watchdog {
                watchdog: Watchdog::Iwdg2,
                start: WatchdogStart::from_sw_bit(bit),
            },
            NrstStopD1 => Meaning::ResetOnEntry {
                mode: LowPowerMode::StopD1,
                reset: !bit,
            },
            NrstStbyD1 => Meaning::ResetOnEntry {
                mode: LowPowerMode::StandbyD1,
                reset: !bit,
            },
            NrstStopD2 => Meaning::ResetOnEntry {
                mode: LowPowerMode::StopD2,
                reset: !bit,
            },
            NrstStbyD2 => Meaning::ResetOnEntry {
                mode: LowPowerMode::StandbyD2,
                reset: !bit,
            },
            Rdp => Meaning::Rdp(RdpLevel::from_byte(raw as u8)),
            FzIwdgStop => Meaning::IndependentWatchdogIn {
                mode: LowPowerMode::StopD1,
                runs: bit,
            },
            FzIwdgSdby => Meaning::IndependentWatchdogIn {
                mode: LowPowerMode::StandbyD1,
                runs: bit,
            },
            StRamSize => Meaning::StRamSize(self::StRamSize::from_bits(raw)),
            Security => Meaning::Security { enabled: bit },
            Bcm4 => Meaning::CoreBoots {
                core: Core::CortexM4,
                enabled: bit,
            },
            Bcm7 => Meaning::CoreBoots {
                core: Core::CortexM7,
                enabled: bit,
            },
            IoHslv => Meaning::IoHighSpeedAtLowVoltage { enabled: bit },
            OptChangeErr => Meaning::OptionChangeError(bit),
            SwapBankOpt => Meaning::Swap(BankSwap::from_bit(bit)),
        }
    }
}

impl std::fmt::Display for OptsrField {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The OPTSR bits a single-core `line` can program (its fields that are not status bits).
pub fn programmable_mask(line: H7Line) -> u32 {
    OptsrField::ALL
        .into_iter()
        .filter(|f| f.check(line).is_ok())
        .fold(0, |mask, f| mask | f.mask())
}

/// Why a field cannot be written on a part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum FieldRefusal {
    /// OPT_BUSY / OPTCHANGEERR are set by the chip.
    #[error(
        "{field} is a status bit of FLASH_OPTSR_CUR, set by the chip; it cannot be programmed"
    )]
    StatusBit {
        /// The field.
        field: OptsrField,
    },
    /// A dual-core field on a single-core part.
    #[error("{field} exists only on the dual-core STM32H745/H747/H755/H757; on {} that bit is reserved", .line.label())]
    DualCoreOnly {
        /// The field.
        field: OptsrField,
        /// The part's line.
        line: H7Line,
    },
    /// SWAP_BANK_OPT on the one-bank STM32H750.
    #[error("{} has one bank of 128 KB and no SWAP_BANK_OPT: there is no bank to swap with", .line.label())]
    NoSecondBank {
        /// The part's line.
        line: H7Line,
    },
}

/// BOR_LEV values (HAL-H7 `OB_BOR_LEVEL*`, thresholds from its comments).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum BorLevel {
    /// 0b00: reset threshold around 1.6 V.
    Level0,
    /// 0b01: around 2.1 V.
    Level1,
    /// 0b10: around 2.4 V.
    Level2,
    /// 0b11: around 2.7 V.
    Level3,
}

impl BorLevel {
    /// Decode BOR_LEV.
    pub fn from_bits(bits: u32) -> BorLevel {
        match bits & 0b11 {
            0 => BorLevel::Level0,
            1 => BorLevel::Level1,
            2 => BorLevel::Level2,
            _ => BorLevel::Level3,
        }
    }

    /// Approximate threshold in millivolts (HAL comments).
    pub fn threshold_mv(self) -> u32 {
        match self {
            BorLevel::Level0 => 1600,
            BorLevel::Level1 => 2100,
            BorLevel::Level2 => 2400,
            BorLevel::Level3 => 2700,
        }
    }
}

/// ST_RAM_SIZE: RAM reserved to ST code (HAL-H7 `OB_ST_RAM_SIZE_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum StRamSize {
    /// 0b00: 2 KB.
    Kb2,
    /// 0b01: 4 KB.
    Kb4,
    /// 0b10: 8 KB.
    Kb8,
    /// 0b11: 16 KB.
    Kb16,
}

impl StRamSize {
    /// Decode ST_RAM_SIZE.
    pub fn from_bits(bits: u32) -> StRamSize {
        match bits & 0b11 {
            0 => StRamSize::Kb2,
            1 => StRamSize::Kb4,
            2 => StRamSize::Kb8,
            _ => StRamSize::Kb16,
        }
    }

    /// Size in KB.
    pub fn kb(self) -> u32 {
        match self {
            StRamSize::Kb2 => 2,
            StRamSize::Kb4 => 4,
            StRamSize::Kb8 => 8,
            StRamSize::Kb16 => 16,
        }
    }
}

/// Low-power modes named by the option bits (D1 = the Cortex-M7's domain, D2 = the M4's).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum LowPowerMode {
    /// D1 domain DStop.
    StopD1,
    /// D1 domain DStandby.
    StandbyD1,
    /// D2 domain DStop (dual-core parts).
    StopD2,
    /// D2 domain DStandby (dual-core parts).
    StandbyD2,
}

/// The independent watchdogs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Watchdog {
    /// IWDG1 (the Cortex-M7's).
    Iwdg1,
    /// IWDG2 (the Cortex-M4's, dual-core parts).
    Iwdg2,
}

/// How a watchdog starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WatchdogStart {
    /// IWDGx_SW = 0: started by hardware at reset.
    Hardware,
    /// IWDGx_SW = 1: started by software.
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

/// The cores of the dual-core parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Core {
    /// Cortex-M7.
    CortexM7,
    /// Cortex-M4.
    CortexM4,
}

/// What an OPTSR field value means: a typed fact, worded by the report layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Meaning {
    /// OPT_BUSY.
    OptionChangeInProgress(bool),
    /// BOR_LEV.
    BorLevel(BorLevel),
    /// IWDGx_SW.
    Watchdog {
        /// Which watchdog.
        watchdog: Watchdog,
        /// How it starts.
        start: WatchdogStart,
    },
    /// NRST_x: whether entering `mode` resets the chip (true when the bit is 0).
    ResetOnEntry {
        /// The mode.
        mode: LowPowerMode,
        /// true when the bit is 0.
        reset: bool,
    },
    /// RDP level.
    Rdp(RdpLevel),
    /// FZ_IWDG_x: whether the IWDG counter runs in `mode` (0 = frozen).
    IndependentWatchdogIn {
        /// The mode.
        mode: LowPowerMode,
        /// true when the bit is 1.
        runs: bool,
    },
    /// ST_RAM_SIZE.
    StRamSize(StRamSize),
    /// SECURITY: secure access mode (secure-only areas, the root secure services).
    Security {
        /// The bit.
        enabled: bool,
    },
    /// BCMx (dual-core): whether the core boots.
    CoreBoots {
        /// The core.
        core: Core,
        /// The bit.
        enabled: bool,
    },
    /// IO_HSLV: I/O high speed at low voltage (only below 2.7 V; it can damage the I/Os above).
    IoHighSpeedAtLowVoltage {
        /// The bit.
        enabled: bool,
    },
    /// OPTCHANGEERR.
    OptionChangeError(bool),
    /// SWAP_BANK_OPT.
    Swap(BankSwap),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_match_cmsis() {
        let expected: [(OptsrField, u32, u32, u32); 18] = [
            (OptsrField::OptBusy, 0, 1, 0x0000_0001),
            (OptsrField::BorLev, 2, 2, 0x0000_000C),
            (OptsrField::Iwdg1Sw, 4, 1, 0x0000_0010),
            (OptsrField::Iwdg2Sw, 5, 1, 0x0000_0020),
            (OptsrField::NrstStopD1, 6, 1, 0x0000_0040),
            (OptsrField::NrstStbyD1, 7, 1, 0x0000_0080),
            (OptsrField::Rdp, 8, 8, 0x0000_FF00),
            (OptsrField::FzIwdgStop, 17, 1, 0x0002_0000),
            (OptsrField::FzIwdgSdby, 18, 1, 0x0004_0000),
            (OptsrField::StRamSize, 19, 2, 0x0018_0000),
            (OptsrField::Security, 21, 1, 0x0020_0000),
            (OptsrField::Bcm4, 22, 1, 0x0040_0000),
            (OptsrField::Bcm7, 23, 1, 0x0080_0000),
            (OptsrField::NrstStopD2, 24, 1, 0x0100_0000),
            (OptsrField::NrstStbyD2, 25, 1, 0x0200_0000),
            (OptsrField::IoHslv, 29, 1, 0x2000_0000),
            (OptsrField::OptChangeErr, 30, 1, 0x4000_0000),
            (OptsrField::SwapBankOpt, 31, 1, 0x8000_0000),
        ];
        for (field, shift, width, mask) in expected {
            assert_eq!(
                (field.shift(), field.width(), field.mask()),
                (shift, width, mask),
                "{field}"
            );
        }
        // Fields and reserved bits cover OPTSR exactly once.
        let union = OptsrField::ALL.iter().fold(OPTSR_RESERVED, |a, f| {
            assert_eq!(a & f.mask(), 0, "{f} overlaps");
            a | f.mask()
        });
        assert_eq!(union, 0xFFFF_FFFF);
    }

    #[test]
    fn swap_bank_opt_is_bit_31_not_openocds_bit_27() {
        // OpenOCD's doc example: `stm32h7x option_write 0 0x20 0x8000000 0x8000000`.
        let openocd_doc_value = 0x0800_0000;
        assert_eq!(OptsrField::SwapBankOpt.get(openocd_doc_value), 0);
        assert_ne!(openocd_doc_value & OPTSR_RESERVED, 0, "bit 27 is reserved");
        assert_eq!(
            OptsrField::SwapBankOpt.set(FACTORY_OPTSR, 1),
            FACTORY_OPTSR | 0x8000_0000
        );
        assert_eq!(
            OptsrField::SwapBankOpt.meaning(0x8000_0000),
            Meaning::Swap(BankSwap::Swapped)
        );
    }

    #[test]
    fn factory_word_decodes() {
        let m = |f: OptsrField| f.meaning(FACTORY_OPTSR);
        assert_eq!(m(OptsrField::Rdp), Meaning::Rdp(RdpLevel::Level0));
        assert_eq!(
            m(OptsrField::SwapBankOpt),
            Meaning::Swap(BankSwap::NotSwapped)
        );
        assert_eq!(m(OptsrField::BorLev), Meaning::BorLevel(BorLevel::Level0));
        assert_eq!(
            m(OptsrField::Iwdg1Sw),
            Meaning::Watchdog {
                watchdog: Watchdog::Iwdg1,
                start: WatchdogStart::Software
            }
        );
        for (f, mode) in [
            (OptsrField::NrstStopD1, LowPowerMode::StopD1),
            (OptsrField::NrstStbyD1, LowPowerMode::StandbyD1),
        ] {
            assert_eq!(m(f), Meaning::ResetOnEntry { mode, reset: false }, "{f}");
        }
        for (f, mode) in [
            (OptsrField::FzIwdgStop, LowPowerMode::StopD1),
            (OptsrField::FzIwdgSdby, LowPowerMode::StandbyD1),
        ] {
            assert_eq!(
                m(f),
                Meaning::IndependentWatchdogIn { mode, runs: true },
                "{f}"
            );
        }
        assert_eq!(m(OptsrField::StRamSize), Meaning::StRamSize(StRamSize::Kb2));
        assert_eq!(
            m(OptsrField::Security),
            Meaning::Security { enabled: false }
        );
        assert_eq!(
            m(OptsrField::IoHslv),
            Meaning::IoHighSpeedAtLowVoltage { enabled: false }
        );
        assert_eq!(
            m(OptsrField::OptBusy),
            Meaning::OptionChangeInProgress(false)
        );
        assert_eq!(
            m(OptsrField::OptChangeErr),
            Meaning::OptionChangeError(false)
        );
        assert_eq!(FACTORY_OPTSR & OPTSR_RESERVED, 0);
        assert_eq!(FACTORY_OPTSR & !programmable_mask(H7Line::H743), 0);
    }

    #[test]
    fn every_value_of_every_field_has_a_meaning() {
        assert_eq!(
            OptsrField::Rdp.meaning(0xCC00),
            Meaning::Rdp(RdpLevel::Level2)
        );
        assert_eq!(
            OptsrField::Rdp.meaning(0x5500),
            Meaning::Rdp(RdpLevel::Level1)
        );
        for (bits, level, mv) in [
            (0, BorLevel::Level0, 1600),
            (1, BorLevel::Level1, 2100),
            (2, BorLevel::Level2, 2400),
            (3, BorLevel::Level3, 2700),
        ] {
            assert_eq!(BorLevel::from_bits(bits), level);
            assert_eq!(level.threshold_mv(), mv);
            assert_eq!(
                OptsrField::BorLev.meaning(OptsrField::BorLev.set(0, bits)),
                Meaning::BorLevel(level)
            );
        }
        for (bits, kb) in [(0, 2), (1, 4), (2, 8), (3, 16)] {
            assert_eq!(StRamSize::from_bits(bits).kb(), kb);
        }
        assert_eq!(
            OptsrField::NrstStopD1.meaning(0),
            Meaning::ResetOnEntry {
                mode: LowPowerMode::StopD1,
                reset: true
            }
        );
        assert_eq!(
            OptsrField::FzIwdgSdby.meaning(0),
            Meaning::IndependentWatchdogIn {
                mode: LowPowerMode::StandbyD1,
                runs: false
            }
        );
        assert_eq!(
            OptsrField::Iwdg1Sw.meaning(0),
            Meaning::Watchdog {
                watchdog: Watchdog::Iwdg1,
                start: WatchdogStart::Hardware
            }
        );
        assert_eq!(
            OptsrField::Iwdg2Sw.meaning(0x20),
            Meaning::Watchdog {
                watchdog: Watchdog::Iwdg2,
                start: WatchdogStart::Software
            }
        );
        assert_eq!(
            OptsrField::Bcm4.meaning(1 << 22),
            Meaning::CoreBoots {
                core: Core::CortexM4,
                enabled: true
            }
        );
        assert_eq!(
            OptsrField::Bcm7.meaning(0),
            Meaning::CoreBoots {
                core: Core::CortexM7,
                enabled: false
            }
        );
        assert_eq!(
            OptsrField::NrstStbyD2.meaning(0),
            Meaning::ResetOnEntry {
                mode: LowPowerMode::StandbyD2,
                reset: true
            }
        );
        assert_eq!(
            OptsrField::NrstStopD2.meaning(1 << 24),
            Meaning::ResetOnEntry {
                mode: LowPowerMode::StopD2,
                reset: false
            }
        );
        assert_eq!(
            OptsrField::Security.meaning(1 << 21),
            Meaning::Security { enabled: true }
        );
        assert_eq!(
            OptsrField::OptBusy.meaning(1),
            Meaning::OptionChangeInProgress(true)
        );
        assert_eq!(
            OptsrField::OptChangeErr.meaning(1 << 30),
            Meaning::OptionChangeError(true)
        );
    }

    #[test]
    fn set_and_get_one_field_only() {
        for f in OptsrField::ALL {
            for v in [0, 1, f.max()] {
                let w = f.set(0, v);
                assert_eq!(f.get(w), v, "{f}");
                assert_eq!(w & !f.mask(), 0, "{f} spills");
                assert_eq!(f.set(0xFFFF_FFFF, v) | f.mask(), 0xFFFF_FFFF, "{f}");
            }
            assert_eq!(f.set(0, f.max() + 1) & !f.mask(), 0, "{f} truncates");
        }
    }

    #[test]
    fn names_round_trip() {
        for f in OptsrField::ALL {
            assert_eq!(OptsrField::from_name(f.name()), Some(f));
            assert_eq!(
                OptsrField::from_name(&format!(" {} ", f.name().to_lowercase())),
                Some(f)
            );
            assert_eq!(
                serde_json::to_string(&f).unwrap(),
                format!("\"{}\"", f.name())
            );
        }
        assert_eq!(
            OptsrField::from_name("SWAP_BANK"),
            None,
            "that is OPTCR's bit"
        );
        assert_eq!(
            OptsrField::from_name("nSWAP_BANK"),
            None,
            "that is the G0's"
        );
    }

    #[test]
    fn which_fields_each_line_may_program() {
        for line in [H7Line::H742, H7Line::H743, H7Line::H753] {
            assert_eq!(programmable_mask(line), 0xA03E_FFDC, "{line:?}");
            assert_eq!(OptsrField::SwapBankOpt.check(line), Ok(()));
        }
        // The H750 has everything but the swap.
        assert_eq!(programmable_mask(H7Line::H750), 0x203E_FFDC);
        let no_swap = OptsrField::SwapBankOpt.check(H7Line::H750).unwrap_err();
        assert_eq!(no_swap, FieldRefusal::NoSecondBank { line: H7Line::H750 });
        assert!(
            no_swap.to_string().contains("no SWAP_BANK_OPT"),
            "{no_swap}"
        );
        assert!(!OptsrField::SwapBankOpt.exists_on(H7Line::H750));
        for f in OptsrField::ALL
            .into_iter()
            .filter(|f| f.is_dual_core_only())
        {
            let err = f.check(H7Line::H743).unwrap_err();
            assert_eq!(
                err,
                FieldRefusal::DualCoreOnly {
                    field: f,
                    line: H7Line::H743
                }
            );
            assert!(err.to_string().contains("dual-core"), "{err}");
            assert!(!f.exists_on(H7Line::H743));
        }
        for f in [OptsrField::OptBusy, OptsrField::OptChangeErr] {
            let err = f.check(H7Line::H743).unwrap_err();
            assert_eq!(err, FieldRefusal::StatusBit { field: f });
            assert!(err.to_string().contains("status bit"), "{err}");
            assert!(f.exists_on(H7Line::H743), "readable");
        }
        let dual_only: Vec<&str> = OptsrField::ALL
            .into_iter()
            .filter(|f| f.is_dual_core_only())
            .map(OptsrField::name)
            .collect();
        assert_eq!(
            dual_only,
            ["IWDG2_SW", "BCM4", "BCM7", "NRST_STOP_D2", "NRST_STBY_D2"]
        );
    }
}
