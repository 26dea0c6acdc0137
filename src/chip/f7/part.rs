//! Part identification: from a part name (`STM32F767ZI`) and from the chip itself
//! (DBGMCU_IDCODE.DEV_ID and the flash size register).

use serde::Serialize;

use super::geometry::{BankMode, FlashLayout, GeometryError};

/// A device line, as told apart by DBGMCU_IDCODE.DEV_ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Line {
    /// STM32F765/767/768/769/777/778/779 (RM0410), DEV_ID 0x451: has nDBANK and nDBOOT.
    F76x,
    /// STM32F745/746/750/756 (RM0385), DEV_ID 0x449: single bank only, no nDBANK/nDBOOT.
    F74x,
}

impl Line {
    /// DEV_ID of this line in DBGMCU_IDCODE.
    pub fn dev_id(self) -> u16 {
        match self {
            Line::F76x => DEV_ID_F76X,
            Line::F74x => DEV_ID_F74X,
        }
    }

    /// Human name of the line.
    pub fn label(self) -> &'static str {
        match self {
            Line::F76x => "STM32F76x/F77x",
            Line::F74x => "STM32F74x/F75x",
        }
    }

    /// Reference manual describing this line.
    pub fn reference_manual(self) -> &'static str {
        match self {
            Line::F76x => "RM0410",
            Line::F74x => "RM0385",
        }
    }

    /// Whether FLASH_OPTCR has nDBANK and nDBOOT (bits 29 and 28). On F74x those bits are reserved.
    pub fn has_ndbank(self) -> bool {
        self == Line::F76x
    }

    /// Width of FLASH_OPTCR.nWRP: 12 bits on F76x, 8 on F74x (bits 27:24 reserved there).
    pub fn nwrp_bits(self) -> u8 {
        match self {
            Line::F76x => 12,
            Line::F74x => 8,
        }
    }

    /// Flash sizes (KB) this tool knows for the line.
    pub fn flash_sizes_kb(self) -> &'static [u32] {
        match self {
            Line::F76x => &[1024, 2048],
            Line::F74x => &[512, 1024],
        }
    }

    /// The line with this DEV_ID, if this tool supports it.
    pub fn from_dev_id(dev_id: u16) -> Option<Line> {
        match dev_id {
            DEV_ID_F76X => Some(Line::F76x),
            DEV_ID_F74X => Some(Line::F74x),
            _ => None,
        }
    }
}

/// DEV_ID of STM32F76x/F77x.
pub const DEV_ID_F76X: u16 = 0x451;
/// DEV_ID of STM32F74x/F75x.
pub const DEV_ID_F74X: u16 = 0x449;
/// DEV_ID of STM32F72x/F73x (RM0431): known, not supported (other flash layout, PCROP in OPTCR2).
pub const DEV_ID_F72X: u16 = 0x452;

/// What a DEV_ID is, whichever family knows it, for error messages.
pub use crate::chip::family::dev_id_name;

/// A part as far as the option bytes care: its line and its flash size.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct Part {
    /// Device line (`family` in the JSON documents since their first version).
    pub family: Line,
    /// Flash size in KB.
    pub flash_kb: u32,
}

/// Why a part cannot be identified or is not supported.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PartError {
    /// The name is not an STM32F7 part name this tool knows.
    #[error("`{name}` is not a supported part name: {why} (expected e.g. STM32F767ZI, STM32F767ZG, STM32F779NI or STM32F746ZG, optionally with a package suffix such as STM32F767ZITx)")]
    UnknownName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// DEV_ID read from DBGMCU_IDCODE is not a supported line.
    #[error("DBGMCU_IDCODE reports DEV_ID {dev_id:#05x} ({}), not a supported chip (supported: 0x451 STM32F76x/F77x, 0x449 STM32F74x/F75x)", dev_id_name(*dev_id).unwrap_or("unknown device"))]
    UnsupportedDevId {
        /// The DEV_ID read.
        dev_id: u16,
    },
    /// The flash size register holds no usable value.
    #[error("the flash size register (0x1FF0_F442) reads {raw:#06x}, not a valid size for {} (expected {})", .family.label(), sizes(.family))]
    InvalidFlashSize {
        /// Line identified by DEV_ID.
        family: Line,
        /// Raw register value.
        raw: u16,
    },
}

fn sizes(family: &Line) -> String {
    family
        .flash_sizes_kb()
        .iter()
        .map(|kb| format!("{kb} KB"))
        .collect::<Vec<_>>()
        .join(" or ")
}

impl Part {
    /// Identify a part from its name, case-insensitively: `STM32F7` + line digits + pin-count
    /// letter + flash-size letter (`G` = 1 MB, `I` = 2 MB, `E` = 512 KB) + optional package suffix.
    pub fn from_name(name: &str) -> Result<Part, PartError> {
        let bad = |why: &str| PartError::UnknownName {
            name: name.to_string(),
            why: why.to_string(),
        };
        let upper = name.trim().to_ascii_uppercase();
        let rest = upper
            .strip_prefix("STM32F7")
            .ok_or_else(|| bad("it does not start with STM32F7"))?;
        let bytes = rest.as_bytes();
        if bytes.len() < 4 {
            return Err(bad("it is too short"));
        }
        let line = &rest[..2];
        let pins = bytes[2] as char;
        let flash = bytes[3] as char;
        if !pins.is_ascii_alphabetic() {
            return Err(bad("the pin-count letter is missing"));
        }
        if !rest[4..].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("the package suffix is not alphanumeric"));
        }
        let family =
            match line {
                "65" | "67" | "68" | "69" | "77" | "78" | "79" => Line::F76x,
                "45" | "46" | "50" | "56" => Line::F74x,
                "22" | "23" | "30" | "32" | "33" => return Err(bad(
                    "STM32F72x/F73x (DEV_ID 0x452) have another flash layout and are not supported",
                )),
                _ => return Err(bad(&format!("STM32F7{line}x is not a known line"))),
            };
        let flash_kb = match flash {
            'E' => 512,
            'G' => 1024,
            'I' => 2048,
            _ => return Err(bad(&format!("flash-size letter `{flash}` is unknown"))),
        };
        if !family.flash_sizes_kb().contains(&flash_kb)
            || (line.starts_with('7') && flash_kb != 2048)
        {
            return Err(bad(&format!(
                "STM32F7{line}x parts do not come with {flash_kb} KB of flash"
            )));
        }
        Ok(Part { family, flash_kb })
    }

    /// Identify the chip from DBGMCU_IDCODE.DEV_ID and the flash size register (KB).
    pub fn from_ids(dev_id: u16, flash_size_kb: u16) -> Result<Part, PartError> {
        let family = Line::from_dev_id(dev_id).ok_or(PartError::UnsupportedDevId { dev_id })?;
        let flash_kb = u32::from(flash_size_kb);
        if !family.flash_sizes_kb().contains(&flash_kb) {
            return Err(PartError::InvalidFlashSize {
                family,
                raw: flash_size_kb,
            });
        }
        Ok(Part { family, flash_kb })
    }

    /// The sector layout in `mode`. Dual bank only exists on F76x/F77x.
    pub fn layout(&self, mode: BankMode) -> Result<FlashLayout, GeometryError> {
        let mode = if self.family.has_ndbank() {
            mode
        } else {
            BankMode::Single
        };
        FlashLayout::new(self.flash_kb, mode)
    }

    /// The layout selected by an nDBANK value (always single bank on parts without nDBANK).
    pub fn layout_for_ndbank(&self, ndbank: bool) -> FlashLayout {
        // Every Part has a size from `flash_sizes_kb`, which all have layouts.
        self.layout(super::geometry::bank_mode_from_ndbank(ndbank))
            .expect("supported parts have a layout in both modes")
    }

    /// e.g. "STM32F76x/F77x, 2 MB flash".
    pub fn describe(&self) -> String {
        format!(
            "{}, {} flash",
            self.family.label(),
            super::geometry::size_text(self.flash_kb)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f76x_names() {
        for (name, kb) in [
            ("STM32F767ZI", 2048),
            ("stm32f767zi", 2048),
            ("STM32F767ZITx", 2048),
            ("STM32F767ZG", 1024),
            ("STM32F767ZGTx", 1024),
            ("STM32F765VG", 1024),
            ("STM32F765II", 2048),
            ("STM32F768AI", 2048),
            ("STM32F769NI", 2048),
            ("STM32F769BG", 1024),
            ("STM32F777VI", 2048),
            ("STM32F778AI", 2048),
            ("STM32F779NIHx", 2048),
        ] {
            let part = Part::from_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(part.family, Line::F76x, "{name}");
            assert_eq!(part.flash_kb, kb, "{name}");
            assert!(part.family.has_ndbank());
        }
    }

    #[test]
    fn f74x_names() {
        for (name, kb) in [
            ("STM32F746ZG", 1024),
            ("STM32F746NGHx", 1024),
            ("STM32F745VE", 512),
            ("STM32F756ZG", 1024),
        ] {
            let part = Part::from_name(name).unwrap();
            assert_eq!(part.family, Line::F74x, "{name}");
            assert_eq!(part.flash_kb, kb);
            assert!(!part.family.has_ndbank());
        }
    }

    #[test]
    fn bad_names_say_why() {
        let cases = [
            ("STM32F407VG", "does not start with STM32F7"),
            ("STM32F7", "too short"),
            ("STM32F767", "too short"),
            ("STM32F767Z", "too short"),
            ("STM32F7671I", "pin-count letter"),
            ("STM32F767ZX", "flash-size letter `X`"),
            ("STM32F777ZG", "do not come with 1024 KB"),
            ("STM32F767ZE", "do not come with 512 KB"),
            ("STM32F746ZI", "do not come with 2048 KB"),
            ("STM32F722ZE", "0x452"),
            ("STM32F799ZI", "not a known line"),
            ("STM32F767ZI-X", "suffix"),
        ];
        for (name, why) in cases {
            let err = Part::from_name(name).unwrap_err().to_string();
            assert!(err.contains(why), "{name}: {err}");
            assert!(err.contains(name), "{name}: {err}");
            assert!(err.contains("STM32F767ZI"), "lists an example: {err}");
        }
    }

    #[test]
    fn from_ids() {
        assert_eq!(
            Part::from_ids(0x451, 2048).unwrap(),
            Part {
                family: Line::F76x,
                flash_kb: 2048
            }
        );
        assert_eq!(Part::from_ids(0x451, 1024).unwrap().flash_kb, 1024);
        assert_eq!(Part::from_ids(0x449, 1024).unwrap().family, Line::F74x);
        let err = Part::from_ids(0x452, 512).unwrap_err();
        assert_eq!(err, PartError::UnsupportedDevId { dev_id: 0x452 });
        assert!(err.to_string().contains("0x452 (STM32F72x/F73x)"), "{err}");
        let err = Part::from_ids(0x413, 1024).unwrap_err().to_string();
        assert!(err.contains("0x413 (unknown device)"), "{err}");
        for raw in [0u16, 0xFFFF, 512, 4096] {
            let err = Part::from_ids(0x451, raw).unwrap_err();
            assert!(matches!(err, PartError::InvalidFlashSize { .. }));
            let text = err.to_string();
            assert!(text.contains("1024 KB or 2048 KB"), "{text}");
        }
    }

    #[test]
    fn family_facts() {
        assert_eq!(Line::F76x.dev_id(), 0x451);
        assert_eq!(Line::F74x.dev_id(), 0x449);
        assert_eq!(Line::F76x.nwrp_bits(), 12);
        assert_eq!(Line::F74x.nwrp_bits(), 8);
        assert_eq!(Line::F76x.reference_manual(), "RM0410");
        assert_eq!(Line::from_dev_id(0x451), Some(Line::F76x));
        assert_eq!(Line::from_dev_id(0x452), None);
        assert_eq!(dev_id_name(0x452), Some("STM32F72x/F73x"));
    }

    #[test]
    fn layouts_per_part() {
        let zi = Part::from_name("STM32F767ZI").unwrap();
        assert_eq!(zi.layout_for_ndbank(true).sectors.len(), 12);
        assert_eq!(zi.layout_for_ndbank(false).sectors.len(), 24);
        let zg = Part::from_name("STM32F767ZG").unwrap();
        assert_eq!(zg.layout_for_ndbank(true).sectors.len(), 8);
        assert_eq!(zg.layout_for_ndbank(false).sectors.len(), 16);
        // F74x has no dual-bank mode: nDBANK is a reserved bit there.
        let f746 = Part::from_name("STM32F746ZG").unwrap();
        assert_eq!(f746.layout_for_ndbank(false).bank_mode, BankMode::Single);
        assert_eq!(f746.layout_for_ndbank(false).sectors.len(), 8);
        assert_eq!(zi.describe(), "STM32F76x/F77x, 2 MB flash");
    }
}
