//! STM32G4 part identification: DEV_ID lines, flash sizes, part names, and which lines have the
//! DBANK bit at all.
//!
//! Only category 3 (G47x/G48x, DEV_ID 0x469) has a bank mode. Category 2 (G43x/G44x, 0x468) has
//! nothing in OPTR bit 22, and category 4 (G49x/G4Ax, 0x479) has **PB4_PUPEN** there (CMSIS
//! `stm32g491xx.h`; the reference sheet spells it PB4_PPEN) — writing "DBANK" on those parts
//! would change something else or nothing.
//!
//! probe-rs 0.32.0 (`targets/STM32G4_Series.yaml`), for the record of which flash algorithms the
//! G47x/G48x parts get:
//! - `stm32g47x-8x_512` (default): 0x0800_0000–0x0808_0000, **2 KB sectors** — dual-bank page
//!   size, contiguous; right for a 512 KB part in dual-bank mode. Also given to the 128 KB
//!   G47x parts (xB, memory map 0x0800_0000–0x0802_0000) and to G43x/G49x.
//! - `stm32g47x-8x_256` (default): 0x0800_0000–0x0804_0000, **4 KB sectors** — single-bank
//!   geometry of a 256 KB part; it knows nothing of bank 2 at 0x0804_0000 in dual-bank mode,
//!   and run on the simulated chip it numbers erased pages in 2 KB units in both modes, so it
//!   fits neither (tests/sim_g4.rs).
//! - `stm32g4xx_db_opt` (0x1FFF_7800–0x1FFF_7854, one 84-byte sector) on every G47x/G48x,
//!   `stm32g4xx_sb_opt` (0x1FFF_7800–0x1FFF_7818) on G43x/G49x; input layout undocumented.
//! - `mt25ql512abb_stm32g474e-eval` (QSPI, 0x9000_0000) on all.
//!
//! Whether the main algorithms read DBANK at run time is not known (UNVERIFIED).

use serde::Serialize;

use crate::chip::notation::size_text;

/// DEV_ID of G43x/G44x (category 2): single bank, no DBANK.
pub const DEV_ID_G43X: u16 = 0x468;
/// DEV_ID of G47x/G48x (category 3): DBANK in OPTR bit 22.
pub const DEV_ID_G47X: u16 = 0x469;
/// DEV_ID of G49x/G4Ax (category 4): single bank, OPTR bit 22 is PB4_PUPEN.
pub const DEV_ID_G49X: u16 = 0x479;

/// A G4 device line, as told apart by DBGMCU_IDCODE.DEV_ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum G4Line {
    /// STM32G431/G441, category 2.
    G43x,
    /// STM32G471/G473/G474/G483/G484, category 3: the only line with a bank mode.
    G47x,
    /// STM32G491/G4A1, category 4.
    G49x,
}

/// What OPTR bit 22 is on a line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OptrBit22 {
    /// DBANK: 1 = dual bank (2 KB pages), 0 = single bank (4 KB pages).
    Dbank,
    /// PB4_PUPEN (G49x): PB4 pull-up / USB-PD dead battery — not a bank bit.
    Pb4Pupen,
    /// Nothing (G43x).
    Reserved,
}

impl G4Line {
    /// Every line, by DEV_ID order.
    pub const ALL: [G4Line; 3] = [G4Line::G43x, G4Line::G47x, G4Line::G49x];

    /// DEV_ID in DBGMCU_IDCODE.
    pub fn dev_id(self) -> u16 {
        match self {
            G4Line::G43x => DEV_ID_G43X,
            G4Line::G47x => DEV_ID_G47X,
            G4Line::G49x => DEV_ID_G49X,
        }
    }

    /// The line with this DEV_ID.
    pub fn from_dev_id(dev_id: u16) -> Option<G4Line> {
        G4Line::ALL.into_iter().find(|l| l.dev_id() == dev_id)
    }

    /// Human name.
    pub fn label(self) -> &'static str {
        match self {
            G4Line::G43x => "STM32G43x/G44x",
            G4Line::G47x => "STM32G47x/G48x",
            G4Line::G49x => "STM32G49x/G4Ax",
        }
    }

    /// ST's category.
    pub fn category(self) -> u8 {
        match self {
            G4Line::G43x => 2,
            G4Line::G47x => 3,
            G4Line::G49x => 4,
        }
    }

    /// What OPTR bit 22 means here.
    pub fn optr_bit22(self) -> OptrBit22 {
        match self {
            G4Line::G43x => OptrBit22::Reserved,
            G4Line::G47x => OptrBit22::Dbank,
            G4Line::G49x => OptrBit22::Pb4Pupen,
        }
    }

    /// Whether OPTR.DBANK (and BFB2, bank 2 registers) exist.
    pub fn has_dbank(self) -> bool {
        self.optr_bit22() == OptrBit22::Dbank
    }

    /// Flash sizes (KB) the line comes with (flash-size letters 6/8/B/C/E).
    pub fn flash_sizes_kb(self) -> &'static [u32] {
        match self {
            G4Line::G43x => &[32, 64, 128],
            G4Line::G47x => &[128, 256, 512],
            G4Line::G49x => &[256, 512],
        }
    }

    /// Whether DBANK may be written on this line; the refusal says what bit 22 is instead.
    pub fn check_dbank(self) -> Result<(), DbankRefusal> {
        match self.optr_bit22() {
            OptrBit22::Dbank => Ok(()),
            OptrBit22::Pb4Pupen => Err(DbankRefusal::Bit22IsPb4Pupen { line: self }),
            OptrBit22::Reserved => Err(DbankRefusal::NoBankMode { line: self }),
        }
    }
}

/// Why DBANK cannot be set on a part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum DbankRefusal {
    /// G49x/G4Ax: bit 22 is PB4_PUPEN; the line is single bank only.
    #[error("{} (DEV_ID {:#05x}) is single bank only: FLASH_OPTR bit 22 is PB4_PUPEN there, not DBANK; only STM32G47x/G48x (DEV_ID 0x469) have DBANK", .line.label(), .line.dev_id())]
    Bit22IsPb4Pupen {
        /// The line.
        line: G4Line,
    },
    /// G43x/G44x: no bank mode, bit 22 reserved.
    #[error("{} (DEV_ID {:#05x}) is single bank only: FLASH_OPTR has no DBANK bit there; only STM32G47x/G48x (DEV_ID 0x469) have DBANK", .line.label(), .line.dev_id())]
    NoBankMode {
        /// The line.
        line: G4Line,
    },
}

/// A G4 part as far as the option bytes care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct G4Part {
    /// Device line.
    pub line: G4Line,
    /// Flash size in KB.
    pub flash_kb: u32,
}

/// Why a G4 part cannot be identified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum G4PartError {
    /// Not a G4 name this tool knows.
    #[error("`{name}` is not a supported STM32G4 part name: {why} (expected e.g. STM32G474RE, STM32G474RC or STM32G473RC, optionally with a package suffix such as STM32G474RETx)")]
    UnknownName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// DEV_ID is not a G4 line.
    #[error("DBGMCU_IDCODE reports DEV_ID {dev_id:#05x}, not an STM32G4 (known: 0x468 STM32G43x/G44x, 0x469 STM32G47x/G48x, 0x479 STM32G49x/G4Ax)")]
    UnknownDevId {
        /// The DEV_ID read.
        dev_id: u16,
    },
    /// The flash size register holds a size the line does not come with.
    #[error("the flash size register (0x1FFF_75E0) reads {raw:#06x}, not a valid size for {} (expected {})", .line.label(), sizes(.line))]
    InvalidFlashSize {
        /// The line.
        line: G4Line,
        /// Raw register value.
        raw: u16,
    },
}

fn sizes(line: &G4Line) -> String {
    line.flash_sizes_kb()
        .iter()
        .map(|kb| format!("{kb} KB"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl G4Part {
    /// STM32G474RE: 512 KB, the reference part.
    pub const G474RE: G4Part = G4Part {
        line: G4Line::G47x,
        flash_kb: 512,
    };
    /// STM32G474RC: 256 KB, banks with a gap in dual-bank mode.
    pub const G474RC: G4Part = G4Part {
        line: G4Line::G47x,
        flash_kb: 256,
    };

    /// Identify from a name: `STM32G4` + line digits + pin-count letter + flash-size letter
    /// (`6` 32 KB, `8` 64 KB, `B` 128 KB, `C` 256 KB, `E` 512 KB) + optional package suffix.
    pub fn from_name(name: &str) -> Result<G4Part, G4PartError> {
        let bad = |why: &str| G4PartError::UnknownName {
            name: name.to_string(),
            why: why.to_string(),
        };
        let upper = name.trim().to_ascii_uppercase();
        let rest = upper
            .strip_prefix("STM32G4")
            .ok_or_else(|| bad("it does not start with STM32G4"))?;
        if rest.len() < 4 || !rest.is_ascii() {
            return Err(bad("it is too short"));
        }
        let (digits, tail) = rest.split_at(2);
        let bytes = tail.as_bytes();
        let (pins, flash) = (bytes[0] as char, bytes[1] as char);
        if !pins.is_ascii_alphabetic() {
            return Err(bad("the pin-count letter is missing"));
        }
        if !tail[2..].chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("the package suffix is not alphanumeric"));
        }
        let line = match digits {
            "31" | "41" => G4Line::G43x,
            "71" | "73" | "74" | "83" | "84" => G4Line::G47x,
            "91" | "A1" => G4Line::G49x,
            _ => return Err(bad(&format!("STM32G4{digits}x is not a known line"))),
        };
        let flash_kb = match flash {
            '6' => 32,
            '8' => 64,
            'B' => 128,
            'C' => 256,
            'E' => 512,
            _ => return Err(bad(&format!("flash-size letter `{flash}` is unknown"))),
        };
        // G48x/G4A1 are the crypto variants of the largest size only.
        let largest_only = matches!(digits, "83" | "84" | "A1" | "41");
        let max = *line.flash_sizes_kb().last().expect("every line has sizes");
        if !line.flash_sizes_kb().contains(&flash_kb) || (largest_only && flash_kb != max) {
            return Err(bad(&format!(
                "STM32G4{digits}x parts do not come with {flash_kb} KB of flash"
            )));
        }
        Ok(G4Part { line, flash_kb })
    }

    /// Identify from DBGMCU_IDCODE.DEV_ID and the flash size register (KB).
    pub fn from_ids(dev_id: u16, flash_size_kb: u16) -> Result<G4Part, G4PartError> {
        let line = G4Line::from_dev_id(dev_id).ok_or(G4PartError::UnknownDevId { dev_id })?;
        let flash_kb = u32::from(flash_size_kb);
        if !line.flash_sizes_kb().contains(&flash_kb) {
            return Err(G4PartError::InvalidFlashSize {
                line,
                raw: flash_size_kb,
            });
        }
        Ok(G4Part { line, flash_kb })
    }

    /// e.g. "STM32G47x/G48x, 512 KB flash".
    pub fn describe(&self) -> String {
        format!("{}, {} flash", self.line.label(), size_text(self.flash_kb))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detection_of_each_dev_id() {
        assert_eq!(G4Line::from_dev_id(0x469), Some(G4Line::G47x));
        assert_eq!(G4Line::from_dev_id(0x468), Some(G4Line::G43x));
        assert_eq!(G4Line::from_dev_id(0x479), Some(G4Line::G49x));
        assert_eq!(G4Line::from_dev_id(0x451), None, "F76x is not a G4");
        assert_eq!(G4Part::from_ids(0x469, 512).unwrap(), G4Part::G474RE);
        assert_eq!(G4Part::from_ids(0x469, 256).unwrap(), G4Part::G474RC);
        assert_eq!(G4Part::from_ids(0x469, 128).unwrap().flash_kb, 128);
        assert_eq!(G4Part::from_ids(0x468, 128).unwrap().line, G4Line::G43x);
        assert_eq!(G4Part::from_ids(0x479, 512).unwrap().line, G4Line::G49x);
        let err = G4Part::from_ids(0x415, 512).unwrap_err();
        assert_eq!(err, G4PartError::UnknownDevId { dev_id: 0x415 });
        assert!(err.to_string().contains("0x415"), "{err}");
        for raw in [0u16, 0xFFFF, 64, 1024] {
            let err = G4Part::from_ids(0x469, raw).unwrap_err();
            assert!(matches!(err, G4PartError::InvalidFlashSize { .. }));
            assert!(err.to_string().contains("128 KB, 256 KB, 512 KB"), "{err}");
        }
    }

    #[test]
    fn only_category_3_has_dbank() {
        assert!(G4Line::G47x.has_dbank());
        assert_eq!(G4Line::G47x.check_dbank(), Ok(()));
        assert_eq!(G4Line::G49x.optr_bit22(), OptrBit22::Pb4Pupen);
        assert_eq!(G4Line::G43x.optr_bit22(), OptrBit22::Reserved);
        let g49 = G4Line::G49x.check_dbank().unwrap_err();
        assert_eq!(g49, DbankRefusal::Bit22IsPb4Pupen { line: G4Line::G49x });
        assert!(g49.to_string().contains("PB4_PUPEN"), "{g49}");
        assert!(g49.to_string().contains("0x479"), "{g49}");
        let g43 = G4Line::G43x.check_dbank().unwrap_err();
        assert_eq!(g43, DbankRefusal::NoBankMode { line: G4Line::G43x });
        assert!(g43.to_string().contains("no DBANK"), "{g43}");
        assert!(g43.to_string().contains("0x468"), "{g43}");
        assert_eq!(
            G4Line::ALL.map(G4Line::category),
            [2, 3, 4],
            "ST's categories"
        );
    }

    #[test]
    fn part_names() {
        for (name, line, kb) in [
            ("STM32G474RE", G4Line::G47x, 512),
            ("stm32g474retx", G4Line::G47x, 512),
            ("STM32G474RC", G4Line::G47x, 256),
            ("STM32G473RC", G4Line::G47x, 256),
            ("STM32G474CB", G4Line::G47x, 128),
            ("STM32G484VE", G4Line::G47x, 512),
            ("STM32G431KB", G4Line::G43x, 128),
            ("STM32G491RE", G4Line::G49x, 512),
            ("STM32G4A1RE", G4Line::G49x, 512),
        ] {
            let part = G4Part::from_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((part.line, part.flash_kb), (line, kb), "{name}");
        }
        assert_eq!(G4Part::G474RE.describe(), "STM32G47x/G48x, 512 KB flash");
    }

    #[test]
    fn bad_names_say_why() {
        for (name, why) in [
            ("STM32F767ZI", "does not start with STM32G4"),
            ("STM32G47", "too short"),
            ("STM32G4741E", "pin-count letter"),
            ("STM32G474RX", "flash-size letter `X`"),
            ("STM32G474R6", "do not come with 32 KB"),
            ("STM32G484RC", "do not come with 256 KB"),
            ("STM32G491RB", "do not come with 128 KB"),
            ("STM32G499RE", "not a known line"),
            ("STM32G474RE-X", "suffix"),
        ] {
            let err = G4Part::from_name(name).unwrap_err().to_string();
            assert!(err.contains(why), "{name}: {err}");
            assert!(err.contains("STM32G474RE"), "lists an example: {err}");
        }
    }
}
