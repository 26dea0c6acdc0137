//! STM32G0B0/G0B1/G0C1 part identification: the lines behind DEV_ID 0x467, their flash sizes,
//! part names, which option set each line has, and which sizes have two banks.
//!
//! All three lines report **the same DEV_ID, 0x467** (reference §0, §7), so detection alone
//! tells the class and the flash size but not the line. The lines differ in their option set:
//! the G0B0 (RM0454, "G0x0") has no BOR, nRST_SHDW, NRST_MODE or IRHEN fields and no PCROP or
//! securable-area registers (CMSIS `stm32g0b0xx.h`); the G0B1 and G0C1 (RM0444, "G0x1") have the
//! same FLASH block (`stm32g0b1xx.h` and `stm32g0c1xx.h` agree).
//!
//! Bank count: parts with 256 KB or more have a bank mode; the 128 KB G0B1xB is single bank
//! only (reference §7, ST's reviewer in Zephyr PR #37480). Whether the 512 KB parts honour
//! DUAL_BANK = 0 is UNVERIFIED (HAL-G0 counts two banks regardless for one "sales type").
//!
//! probe-rs 0.32.0 (`targets/STM32G0_Series.yaml`), for the record:
//! - every G0B0/G0B1/G0C1 part gets `stm32g0bx_512` (default): 0x0800_0000–0x0808_0000, 2 KB
//!   sectors, whatever its flash size; the memory map of xE parts lists `BANK_1`
//!   0x0800_0000–0x0804_0000 and `BANK_2` 0x0804_0000–0x0808_0000, xC parts one region to
//!   0x0804_0000, xB parts one region to 0x0802_0000. Whether the algorithm follows
//!   nSWAP_BANK or the 256 KB bank split is not known (UNVERIFIED);
//! - `stm32g0xx_otp` (0x1FFF_7000–0x1FFF_7400);
//! - option algorithms: G0B1/G0C1 `stm32g0x1_sb_opt` (0x1FFF_7800–0x1FFF_7820) and
//!   `stm32g0x1_db_opt` (0x1FFF_7800–0x1FFF_7838); G0B0 `stm32g0x0_sb_opt` (…–0x1FFF_780C) and
//!   `stm32g0x0_db_opt` (…–0x1FFF_7814); input layouts undocumented (reference §11);
//! - SRAM 0x2000_0000–0x2002_4000 (144 KB) on all; core `armv6m`.

use serde::Serialize;

use crate::chip::notation::size_text;

/// DEV_ID of STM32G0B0/G0B1/G0C1 (DBG_IDCODE bits 11:0 at 0x4001_5800).
pub const DEV_ID_G0B_G0C: u16 = 0x467;

/// Smallest flash size with a bank mode (two banks); below it the part is single bank only.
pub const DUAL_BANK_MIN_KB: u32 = 256;

/// SRAM size of every G0B0/G0B1/G0C1 (probe-rs memory map; BMP `RAM_SIZE_G0B_C`). CMSIS's
/// `SRAM_SIZE_MAX` says 128 KB; the datasheets' 144 KB include 16 KB without parity
/// (UNVERIFIED which part RAM_PARITY_CHECK covers).
pub const SRAM_KB: u32 = 144;

/// probe-rs 0.32's main-flash algorithm for every G0B0/G0B1/G0C1.
pub const PROBE_RS_FLASH_ALGORITHM: &str = "stm32g0bx_512";

/// A device line behind DEV_ID 0x467.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum G0Line {
    /// STM32G0B0 (RM0454, value line): 512 KB only; reduced option set.
    G0B0,
    /// STM32G0B1 (RM0444): 128, 256 or 512 KB.
    G0B1,
    /// STM32G0C1 (RM0444): the G0B1 with AES; 256 or 512 KB.
    G0C1,
}

/// The option-register set of a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum OptionSet {
    /// G0x0 (G0B0): OPTR without BOR/nRST_SHDW/NRST_MODE/IRHEN, WRP only.
    G0x0,
    /// G0x1 (G0B1, G0C1): full OPTR, WRP, PCROP, SECR.
    G0x1,
}

impl G0Line {
    /// Every line.
    pub const ALL: [G0Line; 3] = [G0Line::G0B0, G0Line::G0B1, G0Line::G0C1];

    /// Human name.
    pub fn label(self) -> &'static str {
        match self {
            G0Line::G0B0 => "STM32G0B0",
            G0Line::G0B1 => "STM32G0B1",
            G0Line::G0C1 => "STM32G0C1",
        }
    }

    /// The option-register set.
    pub fn option_set(self) -> OptionSet {
        match self {
            G0Line::G0B0 => OptionSet::G0x0,
            G0Line::G0B1 | G0Line::G0C1 => OptionSet::G0x1,
        }
    }

    /// Whether the line has PCROP areas and the securable area (FLASH_SECR).
    pub fn has_pcrop_and_securable_area(self) -> bool {
        self.option_set() == OptionSet::G0x1
    }

    /// Flash sizes (KB) the line comes with (size letters B/C/E in probe-rs's list).
    pub fn flash_sizes_kb(self) -> &'static [u32] {
        match self {
            G0Line::G0B0 => &[512],
            G0Line::G0B1 => &[128, 256, 512],
            G0Line::G0C1 => &[256, 512],
        }
    }
}

/// Whether a part with `flash_kb` of flash has a bank mode (DUAL_BANK acts).
pub fn has_bank_mode(flash_kb: u32) -> bool {
    flash_kb >= DUAL_BANK_MIN_KB
}

/// A G0B0/G0B1/G0C1 part as far as the option bytes care, known by name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct G0Part {
    /// Device line.
    pub line: G0Line,
    /// Flash size in KB.
    pub flash_kb: u32,
}

/// A chip detected by DEV_ID and flash size: the class is known, the line only where the
/// flash size leaves one option set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct G0Detected {
    /// Flash size in KB, from the flash size register.
    pub flash_kb: u32,
}

/// Why a G0 part cannot be identified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum G0PartError {
    /// Not a G0B0/G0B1/G0C1 name this tool knows.
    #[error("`{name}` is not a supported STM32G0B0/G0B1/G0C1 part name: {why} (expected e.g. STM32G0B1RE, STM32G0B1RC, STM32G0C1VE or STM32G0B0RE, optionally with a package suffix such as STM32G0B1RETx)")]
    UnknownName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// DEV_ID is not 0x467.
    #[error("DBG_IDCODE (0x4001_5800) reports DEV_ID {dev_id:#05x}, not an STM32G0B0/G0B1/G0C1 (DEV_ID 0x467)")]
    UnknownDevId {
        /// The DEV_ID read.
        dev_id: u16,
    },
    /// The flash size register holds a size no line comes with.
    #[error("the flash size register (0x1FFF_75E0) reads {raw:#06x}, not a valid size for an STM32G0B0/G0B1/G0C1 (expected 128 KB, 256 KB or 512 KB)")]
    InvalidFlashSize {
        /// Raw register value.
        raw: u16,
    },
    /// A name and the chip disagree.
    #[error("--chip {} names {} KB of flash, but the chip reports {detected_kb} KB", .part.line.label(), .part.flash_kb)]
    SizeMismatch {
        /// From the name.
        part: G0Part,
        /// From the flash size register.
        detected_kb: u32,
    },
}

impl G0Part {
    /// STM32G0B1RE: 512 KB, the reference part.
    pub const G0B1RE: G0Part = G0Part {
        line: G0Line::G0B1,
        flash_kb: 512,
    };
    /// STM32G0B1RC: 256 KB, banks split at 0x0802_0000 in dual-bank mode.
    pub const G0B1RC: G0Part = G0Part {
        line: G0Line::G0B1,
        flash_kb: 256,
    };

    /// Identify from a name: `STM32G0` + `B0`/`B1`/`C1` + pin-count letter (C, K, M, N, R, V)
    /// + flash-size letter (`B` 128 KB, `C` 256 KB, `E` 512 KB) + optional package suffix.
    pub fn from_name(name: &str) -> Result<G0Part, G0PartError> {
        let bad = |why: String| G0PartError::UnknownName {
            name: name.to_string(),
            why,
        };
        let upper = name.trim().to_ascii_uppercase();
        let rest = upper
            .strip_prefix("STM32G0")
            .ok_or_else(|| bad("it does not start with STM32G0".into()))?;
        if rest.len() < 4 || !rest.is_ascii() {
            return Err(bad("it is too short".into()));
        }
        let (digits, tail) = rest.split_at(2);
        let line = match digits {
            "B0" => G0Line::G0B0,
            "B1" => G0Line::G0B1,
            "C1" => G0Line::G0C1,
            _ => return Err(bad(format!("STM32G0{digits}x is not a dual-bank G0 line"))),
        };
        let bytes = tail.as_bytes();
        let (pins, size) = (bytes[0] as char, bytes[1] as char);
        if !matches!(pins, 'C' | 'K' | 'M' | 'N' | 'R' | 'V') {
            return Err(bad(format!("pin-count letter `{pins}` is unknown")));
        }
        if !tail[2..].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("the package suffix is not alphanumeric".into()));
        }
        let flash_kb = match size {
            'B' => 128,
            'C' => 256,
            'E' => 512,
            _ => return Err(bad(format!("flash-size letter `{size}` is unknown"))),
        };
        if !line.flash_sizes_kb().contains(&flash_kb) {
            return Err(bad(format!(
                "{} parts do not come with {flash_kb} KB of flash",
                line.label()
            )));
        }
        Ok(G0Part { line, flash_kb })
    }

    /// Checks the name against what the chip reports (DEV_ID and flash size register).
    pub fn check_ids(&self, dev_id: u16, flash_size_kb: u16) -> Result<(), G0PartError> {
        let detected = G0Detected::from_ids(dev_id, flash_size_kb)?;
        if detected.flash_kb != self.flash_kb {
            return Err(G0PartError::SizeMismatch {
                part: *self,
                detected_kb: detected.flash_kb,
            });
        }
        Ok(())
    }

    /// Whether DUAL_BANK acts on this part.
    pub fn has_bank_mode(&self) -> bool {
        has_bank_mode(self.flash_kb)
    }

    /// e.g. "STM32G0B1, 512 KB flash".
    pub fn describe(&self) -> String {
        format!("{}, {} flash", self.line.label(), size_text(self.flash_kb))
    }
}

impl G0Detected {
    /// Identify from DBG_IDCODE.DEV_ID and the flash size register (KB).
    pub fn from_ids(dev_id: u16, flash_size_kb: u16) -> Result<G0Detected, G0PartError> {
        if dev_id != DEV_ID_G0B_G0C {
            return Err(G0PartError::UnknownDevId { dev_id });
        }
        let flash_kb = u32::from(flash_size_kb);
        if !G0Line::ALL
            .iter()
            .any(|l| l.flash_sizes_kb().contains(&flash_kb))
        {
            return Err(G0PartError::InvalidFlashSize { raw: flash_size_kb });
        }
        Ok(G0Detected { flash_kb })
    }

    /// The lines that come with this flash size.
    pub fn candidates(&self) -> Vec<G0Line> {
        G0Line::ALL
            .into_iter()
            .filter(|l| l.flash_sizes_kb().contains(&self.flash_kb))
            .collect()
    }

    /// The option set, when every candidate line has the same one (128 and 256 KB: G0x1;
    /// 512 KB: unknown, a G0B0 is possible).
    pub fn option_set(&self) -> Option<OptionSet> {
        let sets: Vec<OptionSet> = self.candidates().iter().map(|l| l.option_set()).collect();
        let first = *sets.first()?;
        sets.iter().all(|s| *s == first).then_some(first)
    }

    /// Whether DUAL_BANK acts on this part.
    pub fn has_bank_mode(&self) -> bool {
        has_bank_mode(self.flash_kb)
    }

    /// The probe-rs target to load through when no `--chip` was given: a G0B1 with this flash
    /// size (its memory map and algorithm are those of every line of the size).
    pub fn probe_rs_target(&self) -> &'static str {
        match self.flash_kb {
            128 => "STM32G0B1RB",
            256 => "STM32G0B1RC",
            _ => "STM32G0B1RE",
        }
    }

    /// e.g. "STM32G0B0/G0B1/G0C1 (DEV_ID 0x467), 512 KB flash".
    pub fn describe(&self) -> String {
        let lines: Vec<&str> = self.candidates().iter().map(|l| l.label()).collect();
        format!(
            "{} (DEV_ID 0x467), {} flash",
            lines.join("/"),
            size_text(self.flash_kb)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_names() {
        for (name, line, kb) in [
            ("STM32G0B1RE", G0Line::G0B1, 512),
            ("stm32g0b1retx", G0Line::G0B1, 512),
            ("STM32G0B1RETxN", G0Line::G0B1, 512),
            ("STM32G0B1RC", G0Line::G0B1, 256),
            ("STM32G0B1KB", G0Line::G0B1, 128),
            ("STM32G0B1NE", G0Line::G0B1, 512),
            ("STM32G0C1VE", G0Line::G0C1, 512),
            ("STM32G0C1MC", G0Line::G0C1, 256),
            ("STM32G0B0CE", G0Line::G0B0, 512),
            ("STM32G0B0RE", G0Line::G0B0, 512),
        ] {
            let part = G0Part::from_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((part.line, part.flash_kb), (line, kb), "{name}");
        }
        assert_eq!(G0Part::G0B1RE.describe(), "STM32G0B1, 512 KB flash");
        assert!(G0Part::G0B1RC.has_bank_mode());
        assert!(!G0Part::from_name("STM32G0B1RB").unwrap().has_bank_mode());
    }

    #[test]
    fn bad_names_say_why() {
        for (name, why) in [
            ("STM32G474RE", "does not start with STM32G0"),
            ("STM32G0B", "too short"),
            ("STM32G071RB", "not a dual-bank G0 line"),
            ("STM32G0B1XE", "pin-count letter `X`"),
            ("STM32G0B1R8", "flash-size letter `8`"),
            ("STM32G0B0RC", "do not come with 256 KB"),
            ("STM32G0C1RB", "do not come with 128 KB"),
            ("STM32G0B1RE-X", "suffix"),
        ] {
            let err = G0Part::from_name(name).unwrap_err().to_string();
            assert!(err.contains(why), "{name}: {err}");
            assert!(err.contains("STM32G0B1RE"), "lists an example: {err}");
        }
    }

    #[test]
    fn detection_tells_the_class_and_sometimes_the_option_set() {
        let d = G0Detected::from_ids(0x467, 512).unwrap();
        assert_eq!(d.candidates(), G0Line::ALL.to_vec());
        assert_eq!(d.option_set(), None, "a G0B0 is possible");
        assert_eq!(d.probe_rs_target(), "STM32G0B1RE");
        assert_eq!(
            d.describe(),
            "STM32G0B0/STM32G0B1/STM32G0C1 (DEV_ID 0x467), 512 KB flash"
        );
        let c = G0Detected::from_ids(0x467, 256).unwrap();
        assert_eq!(c.candidates(), vec![G0Line::G0B1, G0Line::G0C1]);
        assert_eq!(c.option_set(), Some(OptionSet::G0x1));
        assert!(c.has_bank_mode());
        assert_eq!(c.probe_rs_target(), "STM32G0B1RC");
        let b = G0Detected::from_ids(0x467, 128).unwrap();
        assert_eq!(b.candidates(), vec![G0Line::G0B1]);
        assert!(!b.has_bank_mode());
        assert_eq!(b.probe_rs_target(), "STM32G0B1RB");

        assert_eq!(
            G0Detected::from_ids(0x469, 512),
            Err(G0PartError::UnknownDevId { dev_id: 0x469 })
        );
        for raw in [0u16, 64, 1024, 0xFFFF] {
            let err = G0Detected::from_ids(0x467, raw).unwrap_err();
            assert_eq!(err, G0PartError::InvalidFlashSize { raw });
            assert!(err.to_string().contains("0x1FFF_75E0"), "{err}");
        }
    }

    #[test]
    fn a_name_that_disagrees_with_the_chip_is_refused() {
        assert_eq!(G0Part::G0B1RE.check_ids(0x467, 512), Ok(()));
        let err = G0Part::G0B1RE.check_ids(0x467, 256).unwrap_err();
        assert!(matches!(
            err,
            G0PartError::SizeMismatch {
                detected_kb: 256,
                ..
            }
        ));
        assert!(err.to_string().contains("256 KB"), "{err}");
        assert!(matches!(
            G0Part::G0B1RE.check_ids(0x469, 512),
            Err(G0PartError::UnknownDevId { .. })
        ));
    }

    #[test]
    fn lines_and_option_sets() {
        assert_eq!(G0Line::G0B0.option_set(), OptionSet::G0x0);
        assert_eq!(G0Line::G0B1.option_set(), OptionSet::G0x1);
        assert_eq!(G0Line::G0C1.option_set(), OptionSet::G0x1);
        assert!(!G0Line::G0B0.has_pcrop_and_securable_area());
        assert!(has_bank_mode(256) && has_bank_mode(512) && !has_bank_mode(128));
    }
}
