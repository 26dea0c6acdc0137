//! The option-byte fields of FLASH_OPTCR and FLASH_OPTCR1, with RM0410 names and meanings.
//!
//! Traps avoided here (see the reference, §1): nDBANK = 1 is *single* bank, and BOR_LEV = 0b11
//! is BOR *off* — ST's SVD files describe both the other way round.

use serde::Serialize;

use super::geometry::{hex32, FlashLayout, FLASH_AXIM_BASE, FLASH_ITCM_BASE};
use super::part::Part;
use super::registers::FLASH_OPTCR_CONTROL;

/// FLASH_OPTCR.BOR_LEV, bits 3:2.
pub const FLASH_OPTCR_BOR_LEV: u32 = 0b11 << 2;
/// FLASH_OPTCR.WWDG_SW, bit 4.
pub const FLASH_OPTCR_WWDG_SW: u32 = 1 << 4;
/// FLASH_OPTCR.IWDG_SW, bit 5.
pub const FLASH_OPTCR_IWDG_SW: u32 = 1 << 5;
/// FLASH_OPTCR.nRST_STOP, bit 6.
pub const FLASH_OPTCR_NRST_STOP: u32 = 1 << 6;
/// FLASH_OPTCR.nRST_STDBY, bit 7.
pub const FLASH_OPTCR_NRST_STDBY: u32 = 1 << 7;
/// FLASH_OPTCR.RDP, bits 15:8.
pub const FLASH_OPTCR_RDP: u32 = 0xFF << 8;
/// FLASH_OPTCR.nWRP, bits 27:16.
pub const FLASH_OPTCR_NWRP: u32 = 0xFFF << 16;
/// FLASH_OPTCR.nDBOOT, bit 28 (F76x/F77x only).
pub const FLASH_OPTCR_NDBOOT: u32 = 1 << 28;
/// FLASH_OPTCR.nDBANK, bit 29 (F76x/F77x only): 1 = single bank, 0 = dual bank.
pub const FLASH_OPTCR_NDBANK: u32 = 1 << 29;
/// FLASH_OPTCR.IWDG_STDBY, bit 30.
pub const FLASH_OPTCR_IWDG_STDBY: u32 = 1 << 30;
/// FLASH_OPTCR.IWDG_STOP, bit 31.
pub const FLASH_OPTCR_IWDG_STOP: u32 = 1 << 31;
/// FLASH_OPTCR1.BOOT_ADD0, bits 15:0.
pub const FLASH_OPTCR1_BOOT_ADD0: u32 = 0xFFFF;
/// FLASH_OPTCR1.BOOT_ADD1, bits 31:16.
pub const FLASH_OPTCR1_BOOT_ADD1: u32 = 0xFFFF << 16;

/// RDP bytes for level 0 and level 2, the same on every family.
pub use crate::chip::rdp::{RdpLevel, RDP_LEVEL_0, RDP_LEVEL_2};
/// RDP byte written for level 1 (HAL `OB_RDP_LEVEL_1`); any byte other than 0xAA/0xCC is level 1.
pub const RDP_LEVEL_1: u8 = 0x55;

/// The two option registers, as read from FLASH_OPTCR and FLASH_OPTCR1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default, Serialize)]
pub struct OptionWords {
    /// FLASH_OPTCR (incl. OPTLOCK/OPTSTRT in bits 1:0).
    pub optcr: u32,
    /// FLASH_OPTCR1.
    pub optcr1: u32,
}

impl OptionWords {
    /// Factory values of F76x/F77x: RDP level 0, no WRP, single bank, BOR off, OPTLOCK set;
    /// BOOT_ADD0 = flash on ITCM, BOOT_ADD1 = system memory.
    pub const FACTORY: OptionWords = OptionWords {
        optcr: 0xFFFF_AAFD,
        optcr1: 0x0040_0080,
    };

    /// Build from the two register values.
    pub fn new(optcr: u32, optcr1: u32) -> Self {
        OptionWords { optcr, optcr1 }
    }

    /// Raw value of `field`, right-aligned.
    pub fn get(&self, field: Field) -> u32 {
        (self.register(field.register()) & field.mask()) >> field.shift()
    }

    /// A copy with `field` set to `value` (truncated to the field width).
    pub fn with(mut self, field: Field, value: u32) -> Self {
        let mask = field.mask();
        let reg = match field.register() {
            Register::Optcr => &mut self.optcr,
            Register::Optcr1 => &mut self.optcr1,
        };
        *reg = (*reg & !mask) | ((value << field.shift()) & mask);
        self
    }

    /// The value of one register.
    pub fn register(&self, register: Register) -> u32 {
        match register {
            Register::Optcr => self.optcr,
            Register::Optcr1 => self.optcr1,
        }
    }

    /// The option bits only: OPTLOCK and OPTSTRT cleared. Compare these, never the raw words.
    pub fn options_only(self) -> Self {
        OptionWords {
            optcr: self.optcr & !FLASH_OPTCR_CONTROL,
            optcr1: self.optcr1,
        }
    }

    /// Whether the option bits (not OPTLOCK/OPTSTRT) are equal.
    pub fn same_options(&self, other: &OptionWords) -> bool {
        self.options_only() == other.options_only()
    }

    /// FLASH_OPTCR.nDBANK.
    pub fn ndbank(&self) -> bool {
        self.get(Field::NDBank) != 0
    }

    /// FLASH_OPTCR.RDP byte.
    pub fn rdp(&self) -> u8 {
        self.get(Field::Rdp) as u8
    }

    /// Fields whose value differs between `self` and `other`, in [`Field::ALL`] order.
    pub fn differing_fields(&self, other: &OptionWords) -> Vec<Field> {
        Field::ALL
            .into_iter()
            .filter(|&f| self.get(f) != other.get(f))
            .collect()
    }
}

/// Which option register a field lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Register {
    /// FLASH_OPTCR.
    Optcr,
    /// FLASH_OPTCR1.
    Optcr1,
}

impl Register {
    /// RM0410 register name.
    pub fn name(self) -> &'static str {
        match self {
            Register::Optcr => "FLASH_OPTCR",
            Register::Optcr1 => "FLASH_OPTCR1",
        }
    }
}

/// How a field's value is written and read by people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKind {
    /// One bit: true/false, 1/0.
    Bit,
    /// BOR_LEV: a level name.
    BorLevel,
    /// RDP: a level 0/1/2 or a raw byte.
    Rdp,
    /// nWRP: an active-low sector mask.
    WriteProtectMask,
    /// BOOT_ADDx: address >> 14.
    BootAddress,
}

/// A user-settable option-byte field (RM0410 names; OPTLOCK and OPTSTRT are control bits, not fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Field {
    /// FLASH_OPTCR.BOR_LEV.
    #[serde(rename = "BOR_LEV")]
    BorLev,
    /// FLASH_OPTCR.WWDG_SW.
    #[serde(rename = "WWDG_SW")]
    WwdgSw,
    /// FLASH_OPTCR.IWDG_SW.
    #[serde(rename = "IWDG_SW")]
    IwdgSw,
    /// FLASH_OPTCR.nRST_STOP.
    #[serde(rename = "nRST_STOP")]
    NRstStop,
    /// FLASH_OPTCR.nRST_STDBY.
    #[serde(rename = "nRST_STDBY")]
    NRstStdby,
    /// FLASH_OPTCR.RDP.
    #[serde(rename = "RDP")]
    Rdp,
    /// FLASH_OPTCR.nWRP.
    #[serde(rename = "nWRP")]
    NWrp,
    /// FLASH_OPTCR.nDBOOT.
    #[serde(rename = "nDBOOT")]
    NDBoot,
    /// FLASH_OPTCR.nDBANK.
    #[serde(rename = "nDBANK")]
    NDBank,
    /// FLASH_OPTCR.IWDG_STDBY.
    #[serde(rename = "IWDG_STDBY")]
    IwdgStdby,
    /// FLASH_OPTCR.IWDG_STOP.
    #[serde(rename = "IWDG_STOP")]
    IwdgStop,
    /// FLASH_OPTCR1.BOOT_ADD0.
    #[serde(rename = "BOOT_ADD0")]
    BootAdd0,
    /// FLASH_OPTCR1.BOOT_ADD1.
    #[serde(rename = "BOOT_ADD1")]
    BootAdd1,
}

impl Field {
    /// Every field, in register/bit order.
    pub const ALL: [Field; 13] = [
        Field::BorLev,
        Field::WwdgSw,
        Field::IwdgSw,
        Field::NRstStop,
        Field::NRstStdby,
        Field::Rdp,
        Field::NWrp,
        Field::NDBoot,
        Field::NDBank,
        Field::IwdgStdby,
        Field::IwdgStop,
        Field::BootAdd0,
        Field::BootAdd1,
    ];

    /// RM0410 name, e.g. `nDBANK`.
    pub fn name(self) -> &'static str {
        match self {
            Field::BorLev => "BOR_LEV",
            Field::WwdgSw => "WWDG_SW",
            Field::IwdgSw => "IWDG_SW",
            Field::NRstStop => "nRST_STOP",
            Field::NRstStdby => "nRST_STDBY",
            Field::Rdp => "RDP",
            Field::NWrp => "nWRP",
            Field::NDBoot => "nDBOOT",
            Field::NDBank => "nDBANK",
            Field::IwdgStdby => "IWDG_STDBY",
            Field::IwdgStop => "IWDG_STOP",
            Field::BootAdd0 => "BOOT_ADD0",
            Field::BootAdd1 => "BOOT_ADD1",
        }
    }

    /// The field with this name, ignoring case (`ndbank`, `NDBANK`, `nDBANK`).
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name.trim()))
    }

    /// Every field name, comma-separated, for "accepted: …" messages.
    pub fn all_names() -> String {
        Field::ALL.map(Field::name).join(", ")
    }

    /// The register holding the field.
    pub fn register(self) -> Register {
        match self {
            Field::BootAdd0 | Field::BootAdd1 => Register::Optcr1,
            _ => Register::Optcr,
        }
    }

    /// Mask of the field inside its register.
    pub fn mask(self) -> u32 {
        match self {
            Field::BorLev => FLASH_OPTCR_BOR_LEV,
            Field::WwdgSw => FLASH_OPTCR_WWDG_SW,
            Field::IwdgSw => FLASH_OPTCR_IWDG_SW,
            Field::NRstStop => FLASH_OPTCR_NRST_STOP,
            Field::NRstStdby => FLASH_OPTCR_NRST_STDBY,
            Field::Rdp => FLASH_OPTCR_RDP,
            Field::NWrp => FLASH_OPTCR_NWRP,
            Field::NDBoot => FLASH_OPTCR_NDBOOT,
            Field::NDBank => FLASH_OPTCR_NDBANK,
            Field::IwdgStdby => FLASH_OPTCR_IWDG_STDBY,
            Field::IwdgStop => FLASH_OPTCR_IWDG_STOP,
            Field::BootAdd0 => FLASH_OPTCR1_BOOT_ADD0,
            Field::BootAdd1 => FLASH_OPTCR1_BOOT_ADD1,
        }
    }

    /// Position of the field's lowest bit.
    pub fn shift(self) -> u32 {
        self.mask().trailing_zeros()
    }

    /// Width in bits.
    pub fn width(self) -> u32 {
        self.mask().count_ones()
    }

    /// Largest raw value.
    pub fn max(self) -> u32 {
        self.mask() >> self.shift()
    }

    /// How values are written and shown.
    pub fn kind(self) -> FieldKind {
        match self {
            Field::BorLev => FieldKind::BorLevel,
            Field::Rdp => FieldKind::Rdp,
            Field::NWrp => FieldKind::WriteProtectMask,
            Field::BootAdd0 | Field::BootAdd1 => FieldKind::BootAddress,
            _ => FieldKind::Bit,
        }
    }

    /// Whether the field exists on `part` (nDBANK/nDBOOT are reserved bits on F74x).
    pub fn exists_on(self, part: &Part) -> bool {
        match self {
            Field::NDBank | Field::NDBoot => part.family.has_ndbank(),
            _ => true,
        }
    }

    /// One-line description of the field, for help texts.
    pub fn summary(self) -> &'static str {
        match self {
            Field::BorLev => "brown-out reset threshold: off, 1, 2, 3",
            Field::WwdgSw => "1 = window watchdog started by software, 0 = by hardware at reset",
            Field::IwdgSw => {
                "1 = independent watchdog started by software, 0 = by hardware at reset"
            }
            Field::NRstStop => "0 = reset when entering Stop mode",
            Field::NRstStdby => "0 = reset when entering Standby mode",
            Field::Rdp => "read protection: 0 (0xAA), 1 (any other byte), 2 (0xCC, permanent)",
            Field::NWrp => "write protection, active low, one bit per sector (two in dual bank)",
            Field::NDBoot => "0 = dual boot (dual bank only)",
            Field::NDBank => "1 = single bank, 0 = dual bank",
            Field::IwdgStdby => "0 = independent watchdog frozen in Standby",
            Field::IwdgStop => "0 = independent watchdog frozen in Stop",
            Field::BootAdd0 => "boot address >> 14 when BOOT0 = 0",
            Field::BootAdd1 => "boot address >> 14 when BOOT0 = 1",
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// FLASH_OPTCR.BOR_LEV (HAL `OB_BOR_LEVEL3 = 0x00` … `OB_BOR_OFF = 0x0C`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum BorLevel {
    /// 0b00: highest threshold (for 2.7–3.6 V supplies).
    Level3,
    /// 0b01.
    Level2,
    /// 0b10: lowest threshold.
    Level1,
    /// 0b11: brown-out reset off (factory value); only the power-on/down reset is active.
    Off,
}

impl BorLevel {
    /// Decode the 2-bit field.
    pub fn from_bits(bits: u32) -> BorLevel {
        match bits & 0b11 {
            0b00 => BorLevel::Level3,
            0b01 => BorLevel::Level2,
            0b10 => BorLevel::Level1,
            _ => BorLevel::Off,
        }
    }

    /// The 2-bit field value.
    pub fn bits(self) -> u32 {
        match self {
            BorLevel::Level3 => 0b00,
            BorLevel::Level2 => 0b01,
            BorLevel::Level1 => 0b10,
            BorLevel::Off => 0b11,
        }
    }

    /// Short name: `off`, `level1`, `level2`, `level3`.
    pub fn name(self) -> &'static str {
        match self {
            BorLevel::Level3 => "level3",
            BorLevel::Level2 => "level2",
            BorLevel::Level1 => "level1",
            BorLevel::Off => "off",
        }
    }
}

/// The byte written for `level` (0xAA, 0x55, 0xCC).
pub fn rdp_byte(level: RdpLevel) -> u8 {
    match level {
        RdpLevel::Level0 => RDP_LEVEL_0,
        RdpLevel::Level1 => RDP_LEVEL_1,
        RdpLevel::Level2 => RDP_LEVEL_2,
    }
}

/// Address selected by a BOOT_ADDx value: BOOT_ADDx holds address bits 29:14.
pub fn boot_address(value: u16) -> u32 {
    u32::from(value) << 14
}

/// BOOT_ADDx value for `address`, if the address is 16 KB aligned and below 0x4000_0000.
pub fn boot_add_for(address: u32) -> Option<u16> {
    (address.is_multiple_of(0x4000) && address < 0x4000_0000).then_some((address >> 14) as u16)
}

/// Named BOOT_ADDx values (HAL `OB_BOOTADDR_*`, F76x addresses).
pub const BOOT_ADDRESS_NAMES: [(u16, &str); 5] = [
    (0x0000, "ITCM RAM"),
    (0x0040, "system memory (ST bootloader)"),
    (0x0080, "flash on ITCM"),
    (0x2000, "flash on AXIM"),
    (0x8000, "DTCM RAM"),
];

/// Where a BOOT_ADDx value points, e.g. "0x0020_0000, flash on ITCM, sector 0".
pub fn describe_boot_address(value: u16, layout: &FlashLayout) -> String {
    let address = boot_address(value);
    let flash_len = layout.flash_kb * 1024;
    let mut text = hex32(address);
    if let Some((_, name)) = BOOT_ADDRESS_NAMES.iter().find(|(v, _)| *v == value) {
        text.push_str(", ");
        text.push_str(name);
    } else if (FLASH_AXIM_BASE..FLASH_AXIM_BASE + flash_len).contains(&address) {
        text.push_str(", flash on AXIM");
    } else if (FLASH_ITCM_BASE..FLASH_ITCM_BASE + flash_len).contains(&address) {
        text.push_str(", flash on ITCM");
    } else if (FLASH_AXIM_BASE..FLASH_AXIM_BASE + 0x0020_0000).contains(&address)
        || (FLASH_ITCM_BASE..FLASH_ITCM_BASE + 0x0020_0000).contains(&address)
    {
        return format!(
            "{text}, beyond the end of the {} flash: nothing to boot from",
            super::geometry::size_text(layout.flash_kb)
        );
    } else {
        text.push_str(", not flash");
        return text;
    }
    let axim = if (FLASH_ITCM_BASE..FLASH_ITCM_BASE + flash_len).contains(&address) {
        address - FLASH_ITCM_BASE + FLASH_AXIM_BASE
    } else {
        address
    };
    if let Some(sector) = layout.sector_at(axim) {
        if sector.bank == 2 && sector.address == axim {
            text.push_str(&format!(", start of bank 2 (sector {})", sector.index));
        } else {
            text.push_str(&format!(", sector {}", sector.index));
        }
    }
    text
}

/// What the value of `field` in `words` means on `part`, in the bank mode `words` selects.
pub fn describe(field: Field, words: &OptionWords, part: &Part) -> String {
    let value = words.get(field);
    let on = value != 0;
    let layout = part.layout_for_ndbank(words.ndbank());
    if !field.exists_on(part) {
        return format!("reserved on {}", part.family.label());
    }
    match field {
        Field::BorLev => match BorLevel::from_bits(value) {
            BorLevel::Off => "BOR off".to_string(),
            BorLevel::Level1 => "BOR level 1 (lowest threshold)".to_string(),
            BorLevel::Level2 => "BOR level 2".to_string(),
            BorLevel::Level3 => "BOR level 3 (highest threshold, 2.7–3.6 V supplies)".to_string(),
        },
        Field::WwdgSw => if on {
            "window watchdog started by software"
        } else {
            "window watchdog started by hardware at reset"
        }
        .to_string(),
        Field::IwdgSw => if on {
            "independent watchdog started by software"
        } else {
            "independent watchdog started by hardware at reset (runs from reset)"
        }
        .to_string(),
        Field::NRstStop => if on {
            "no reset when entering Stop mode"
        } else {
            "reset when entering Stop mode"
        }
        .to_string(),
        Field::NRstStdby => if on {
            "no reset when entering Standby mode"
        } else {
            "reset when entering Standby mode"
        }
        .to_string(),
        Field::Rdp => match RdpLevel::from_byte(value as u8) {
            RdpLevel::Level0 => "level 0, no read protection".to_string(),
            RdpLevel::Level1 => {
                "level 1, flash read-protected from the debugger (back to level 0 mass-erases)"
                    .to_string()
            }
            RdpLevel::Level2 => "level 2, PERMANENT: debug access disabled".to_string(),
        },
        Field::NWrp => {
            let protected = layout.protected_sectors(value as u16, part.family.nwrp_bits());
            if protected.is_empty() {
                "no sector write-protected".to_string()
            } else {
                format!(
                    "write-protected sectors: {}",
                    protected
                        .iter()
                        .map(u8::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        }
        Field::NDBoot => match (on, words.ndbank()) {
            (true, _) => "dual boot disabled".to_string(),
            (false, false) => {
                "dual boot enabled (boots from BOOT_ADD0 whatever the BOOT0 pin)".to_string()
            }
            (false, true) => "dual boot requested, no effect in single-bank mode".to_string(),
        },
        Field::NDBank => layout.summary(),
        Field::IwdgStdby => if on {
            "independent watchdog runs in Standby"
        } else {
            "independent watchdog frozen in Standby"
        }
        .to_string(),
        Field::IwdgStop => if on {
            "independent watchdog runs in Stop"
        } else {
            "independent watchdog frozen in Stop"
        }
        .to_string(),
        Field::BootAdd0 | Field::BootAdd1 => describe_boot_address(value as u16, &layout),
    }
}

/// A field value as people write it: `1`, `0xAA`, `0b11`, `0xFFF`, `0x0080`.
pub fn format_value(field: Field, value: u32) -> String {
    match field.kind() {
        FieldKind::Bit => value.to_string(),
        FieldKind::BorLevel => format!("0b{value:02b}"),
        FieldKind::Rdp => format!("0x{value:02X}"),
        FieldKind::WriteProtectMask => format!("0x{value:03X}"),
        FieldKind::BootAddress => format!("0x{value:04X}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::f7::part::Line;

    fn zi() -> Part {
        Part {
            family: Line::F76x,
            flash_kb: 2048,
        }
    }
    fn zg() -> Part {
        Part {
            family: Line::F76x,
            flash_kb: 1024,
        }
    }
    fn f746() -> Part {
        Part {
            family: Line::F74x,
            flash_kb: 1024,
        }
    }

    #[test]
    fn field_positions_match_rm0410() {
        let expected: [(Field, Register, u32, u32); 13] = [
            (Field::BorLev, Register::Optcr, 2, 2),
            (Field::WwdgSw, Register::Optcr, 4, 1),
            (Field::IwdgSw, Register::Optcr, 5, 1),
            (Field::NRstStop, Register::Optcr, 6, 1),
            (Field::NRstStdby, Register::Optcr, 7, 1),
            (Field::Rdp, Register::Optcr, 8, 8),
            (Field::NWrp, Register::Optcr, 16, 12),
            (Field::NDBoot, Register::Optcr, 28, 1),
            (Field::NDBank, Register::Optcr, 29, 1),
            (Field::IwdgStdby, Register::Optcr, 30, 1),
            (Field::IwdgStop, Register::Optcr, 31, 1),
            (Field::BootAdd0, Register::Optcr1, 0, 16),
            (Field::BootAdd1, Register::Optcr1, 16, 16),
        ];
        for (field, reg, shift, width) in expected {
            assert_eq!(field.register(), reg, "{field}");
            assert_eq!(field.shift(), shift, "{field}");
            assert_eq!(field.width(), width, "{field}");
        }
        // The fields plus OPTLOCK/OPTSTRT cover FLASH_OPTCR exactly once.
        let optcr_masks: Vec<u32> = Field::ALL
            .iter()
            .filter(|f| f.register() == Register::Optcr)
            .map(|f| f.mask())
            .collect();
        let union = optcr_masks.iter().fold(FLASH_OPTCR_CONTROL, |a, m| a | m);
        assert_eq!(union, 0xFFFF_FFFF);
        let total: u32 = optcr_masks.iter().map(|m| m.count_ones()).sum();
        assert_eq!(total + 2, 32, "no overlaps");
        assert_eq!(FLASH_OPTCR1_BOOT_ADD0 | FLASH_OPTCR1_BOOT_ADD1, 0xFFFF_FFFF);
    }

    #[test]
    fn names_round_trip_case_insensitively() {
        for field in Field::ALL {
            assert_eq!(Field::from_name(field.name()), Some(field));
            assert_eq!(Field::from_name(&field.name().to_lowercase()), Some(field));
            assert_eq!(Field::from_name(&field.name().to_uppercase()), Some(field));
            assert_eq!(field.to_string(), field.name());
            assert_eq!(
                serde_json::to_string(&field).unwrap(),
                format!("\"{}\"", field.name())
            );
        }
        assert_eq!(Field::from_name(" ndbank "), Some(Field::NDBank));
        assert_eq!(Field::from_name("OPTLOCK"), None);
        assert_eq!(Field::from_name("DBANK"), None);
        assert!(Field::all_names().starts_with("BOR_LEV, WWDG_SW"));
        assert!(Field::all_names().ends_with("BOOT_ADD0, BOOT_ADD1"));
    }

    #[test]
    fn factory_words_decode() {
        let w = OptionWords::FACTORY;
        assert_eq!(w.get(Field::BorLev), 0b11);
        assert_eq!(BorLevel::from_bits(w.get(Field::BorLev)), BorLevel::Off);
        for f in [
            Field::WwdgSw,
            Field::IwdgSw,
            Field::NRstStop,
            Field::NRstStdby,
            Field::NDBoot,
            Field::NDBank,
            Field::IwdgStdby,
            Field::IwdgStop,
        ] {
            assert_eq!(w.get(f), 1, "{f}");
        }
        assert_eq!(w.rdp(), 0xAA);
        assert_eq!(w.get(Field::NWrp), 0xFFF);
        assert!(w.ndbank());
        assert_eq!(w.get(Field::BootAdd0), 0x0080);
        assert_eq!(w.get(Field::BootAdd1), 0x0040);
    }

    #[test]
    fn with_sets_one_field_only() {
        let w = OptionWords::FACTORY;
        let dual = w.with(Field::NDBank, 0);
        assert_eq!(dual.optcr, 0xDFFF_AAFD);
        assert_eq!(dual.optcr1, w.optcr1);
        assert_eq!(w.differing_fields(&dual), vec![Field::NDBank]);
        let boot = w.with(Field::BootAdd1, 0x2040);
        assert_eq!(boot.optcr1, 0x2040_0080);
        assert_eq!(boot.optcr, w.optcr);
        let rdp = w.with(Field::Rdp, 0x55);
        assert_eq!(rdp.optcr, 0xFFFF_55FD);
        let bor = w.with(Field::BorLev, BorLevel::Level3.bits());
        assert_eq!(bor.optcr, 0xFFFF_AAF1);
        // Values wider than the field are truncated, never spill into neighbours.
        let wrp = w.with(Field::NWrp, 0xF000);
        assert_eq!(wrp.optcr, 0xF000_AAFD);
        for field in Field::ALL {
            for value in [0, 1, field.max()] {
                let set = OptionWords::default().with(field, value);
                assert_eq!(set.get(field), value, "{field}");
                let others: Vec<Field> = OptionWords::default().differing_fields(&set);
                assert!(others.iter().all(|&f| f == field), "{field}");
            }
        }
    }

    #[test]
    fn control_bits_are_not_options() {
        let locked = OptionWords::new(0xFFFF_AAFD, 0x0040_0080);
        let unlocked = OptionWords::new(0xFFFF_AAFE, 0x0040_0080);
        assert!(locked.same_options(&unlocked));
        assert_eq!(locked.options_only().optcr, 0xFFFF_AAFC);
        assert!(locked.differing_fields(&unlocked).is_empty());
    }

    #[test]
    fn bor_levels_follow_hal_not_svd() {
        assert_eq!(BorLevel::from_bits(0b00), BorLevel::Level3);
        assert_eq!(BorLevel::from_bits(0b01), BorLevel::Level2);
        assert_eq!(BorLevel::from_bits(0b10), BorLevel::Level1);
        assert_eq!(BorLevel::from_bits(0b11), BorLevel::Off);
        for level in [
            BorLevel::Level1,
            BorLevel::Level2,
            BorLevel::Level3,
            BorLevel::Off,
        ] {
            assert_eq!(BorLevel::from_bits(level.bits()), level);
        }
        assert_eq!(BorLevel::Off.name(), "off");
    }

    #[test]
    fn rdp_levels() {
        assert_eq!(RdpLevel::from_byte(0xAA), RdpLevel::Level0);
        assert_eq!(RdpLevel::from_byte(0xCC), RdpLevel::Level2);
        for byte in [0x00, 0x55, 0xBB, 0xFF, 0xAB, 0xCD] {
            assert_eq!(RdpLevel::from_byte(byte), RdpLevel::Level1, "{byte:#x}");
        }
        for level in [RdpLevel::Level0, RdpLevel::Level1, RdpLevel::Level2] {
            assert_eq!(RdpLevel::from_byte(rdp_byte(level)), level);
        }
        assert_eq!(RdpLevel::Level2.number(), 2);
    }

    #[test]
    fn boot_address_encoding() {
        assert_eq!(boot_address(0x0080), 0x0020_0000);
        assert_eq!(boot_address(0x0040), 0x0010_0000);
        assert_eq!(boot_address(0x2000), 0x0800_0000);
        assert_eq!(boot_address(0x2040), 0x0810_0000);
        assert_eq!(boot_address(0x8000), 0x2000_0000);
        assert_eq!(boot_address(0xFFFF), 0x3FFF_C000);
        assert_eq!(boot_add_for(0x0810_0000), Some(0x2040));
        assert_eq!(boot_add_for(0x2002_0000), Some(0x8008));
        assert_eq!(boot_add_for(0x0810_0001), None);
        assert_eq!(boot_add_for(0x4000_0000), None);
    }

    #[test]
    fn boot_address_meanings() {
        let single = zi().layout_for_ndbank(true);
        let dual = zi().layout_for_ndbank(false);
        assert_eq!(
            describe_boot_address(0x0080, &single),
            "0x0020_0000, flash on ITCM, sector 0"
        );
        assert_eq!(
            describe_boot_address(0x0040, &single),
            "0x0010_0000, system memory (ST bootloader)"
        );
        assert_eq!(
            describe_boot_address(0x2000, &single),
            "0x0800_0000, flash on AXIM, sector 0"
        );
        assert_eq!(
            describe_boot_address(0x0000, &single),
            "0x0000_0000, ITCM RAM"
        );
        assert_eq!(
            describe_boot_address(0x8000, &single),
            "0x2000_0000, DTCM RAM"
        );
        assert_eq!(
            describe_boot_address(0x2040, &dual),
            "0x0810_0000, flash on AXIM, start of bank 2 (sector 12)"
        );
        assert_eq!(
            describe_boot_address(0x2040, &single),
            "0x0810_0000, flash on AXIM, sector 8"
        );
        assert_eq!(
            describe_boot_address(0x00C0, &dual),
            "0x0030_0000, flash on ITCM, start of bank 2 (sector 12)"
        );
        let zg_single = zg().layout_for_ndbank(true);
        assert_eq!(
            describe_boot_address(0x2040, &zg_single),
            "0x0810_0000, beyond the end of the 1 MB flash: nothing to boot from"
        );
        assert_eq!(
            describe_boot_address(0x2020, &zg().layout_for_ndbank(false)),
            "0x0808_0000, flash on AXIM, start of bank 2 (sector 12)"
        );
        assert_eq!(
            describe_boot_address(0x8008, &single),
            "0x2002_0000, not flash"
        );
    }

    #[test]
    fn meanings_of_factory_values() {
        let w = OptionWords::FACTORY;
        let zi = zi();
        let m = |f| describe(f, &w, &zi);
        assert_eq!(m(Field::BorLev), "BOR off");
        assert_eq!(m(Field::Rdp), "level 0, no read protection");
        assert_eq!(m(Field::NWrp), "no sector write-protected");
        assert_eq!(m(Field::NDBank), "single bank, 2 MB in 12 sectors");
        assert_eq!(m(Field::NDBoot), "dual boot disabled");
        assert_eq!(m(Field::BootAdd0), "0x0020_0000, flash on ITCM, sector 0");
        assert_eq!(
            m(Field::BootAdd1),
            "0x0010_0000, system memory (ST bootloader)"
        );
        assert_eq!(m(Field::IwdgSw), "independent watchdog started by software");
        assert_eq!(m(Field::WwdgSw), "window watchdog started by software");
        assert_eq!(m(Field::NRstStop), "no reset when entering Stop mode");
        assert_eq!(m(Field::NRstStdby), "no reset when entering Standby mode");
        assert_eq!(m(Field::IwdgStop), "independent watchdog runs in Stop");
        assert_eq!(m(Field::IwdgStdby), "independent watchdog runs in Standby");
    }

    #[test]
    fn meanings_of_changed_values() {
        let zi = zi();
        let w = OptionWords::new(0x0F3B_0000, 0)
            .with(Field::NDBank, 0)
            .with(Field::NDBoot, 0)
            .with(Field::Rdp, 0x55);
        let m = |f| describe(f, &w, &zi);
        assert_eq!(
            m(Field::NDBank),
            "dual bank, 2 × 1 MB in 24 sectors, bank 2 at 0x0810_0000"
        );
        assert_eq!(
            m(Field::NDBoot),
            "dual boot enabled (boots from BOOT_ADD0 whatever the BOOT0 pin)"
        );
        assert!(m(Field::Rdp).starts_with("level 1"));
        assert_eq!(
            m(Field::BorLev),
            "BOR level 3 (highest threshold, 2.7–3.6 V supplies)"
        );
        // nWRP 0xF3B: bits 2, 6, 7 clear → sectors 4,5 and 12..15 in dual bank.
        assert_eq!(
            m(Field::NWrp),
            "write-protected sectors: 4, 5, 12, 13, 14, 15"
        );
        assert!(m(Field::IwdgSw).contains("hardware"));
        assert!(m(Field::WwdgSw).contains("hardware"));
        assert_eq!(m(Field::NRstStop), "reset when entering Stop mode");
        assert_eq!(m(Field::IwdgStop), "independent watchdog frozen in Stop");
        let level2 = w.with(Field::Rdp, 0xCC);
        assert!(describe(Field::Rdp, &level2, &zi).contains("PERMANENT"));
        let single_dboot = OptionWords::FACTORY.with(Field::NDBoot, 0);
        assert_eq!(
            describe(Field::NDBoot, &single_dboot, &zi),
            "dual boot requested, no effect in single-bank mode"
        );
        assert_eq!(
            describe(
                Field::BorLev,
                &OptionWords::FACTORY.with(Field::BorLev, 0b10),
                &zi
            ),
            "BOR level 1 (lowest threshold)"
        );
        assert_eq!(
            describe(
                Field::BorLev,
                &OptionWords::FACTORY.with(Field::BorLev, 0b01),
                &zi
            ),
            "BOR level 2"
        );
    }

    #[test]
    fn meanings_on_other_parts() {
        let w = OptionWords::FACTORY.with(Field::NDBank, 0);
        assert_eq!(
            describe(Field::NDBank, &w, &zg()),
            "dual bank, 2 × 512 KB in 16 sectors, bank 2 at 0x0808_0000"
        );
        assert_eq!(
            describe(Field::NDBank, &OptionWords::FACTORY, &zg()),
            "single bank, 1 MB in 8 sectors"
        );
        let f746_words = OptionWords::new(0xC0FF_AAFD, 0x0040_0080);
        assert_eq!(
            describe(Field::NDBank, &f746_words, &f746()),
            "reserved on STM32F74x/F75x"
        );
        assert_eq!(
            describe(Field::NDBoot, &f746_words, &f746()),
            "reserved on STM32F74x/F75x"
        );
        // On F74x only nWRP[7:0] exist, one bit per sector, single bank regardless of bit 29.
        let wrp = f746_words.with(Field::NWrp, 0x0FE);
        assert_eq!(
            describe(Field::NWrp, &wrp, &f746()),
            "write-protected sectors: 0"
        );
        assert!(!Field::NDBank.exists_on(&f746()));
        assert!(Field::NDBank.exists_on(&zi()));
        assert!(Field::Rdp.exists_on(&f746()));
    }

    #[test]
    fn value_formatting() {
        assert_eq!(format_value(Field::NDBank, 1), "1");
        assert_eq!(format_value(Field::BorLev, 3), "0b11");
        assert_eq!(format_value(Field::Rdp, 0xAA), "0xAA");
        assert_eq!(format_value(Field::NWrp, 0xFFF), "0xFFF");
        assert_eq!(format_value(Field::BootAdd1, 0x40), "0x0040");
    }

    #[test]
    fn every_field_has_a_summary_and_kind() {
        for f in Field::ALL {
            assert!(!f.summary().is_empty());
            assert_eq!(f.max(), (1u32 << f.width()) - 1, "{f}");
        }
        assert_eq!(Field::NDBank.kind(), FieldKind::Bit);
        assert_eq!(Field::BootAdd0.kind(), FieldKind::BootAddress);
        assert_eq!(Register::Optcr1.name(), "FLASH_OPTCR1");
    }
}
