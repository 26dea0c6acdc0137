//! STM32H74x/H75x single-core part identification: lines, part names as probe-rs 0.32 knows
//! them, flash sizes and RAM regions (`targets/STM32H7_Series.yaml`), and what DEV_ID and the
//! flash size register can tell apart.
//!
//! probe-rs 0.32.0, for the record:
//! - STM32H742/H743 + package letter (A, B, I, V, X, Z) + size letter G (1 MB) or I (2 MB);
//!   STM32H753 with I only; STM32H750 (I, V, X, Z) with B (128 KB). Package suffixes such as
//!   `STM32H743ZITx` are the `package_variants`.
//! - Every one gets `stm32h7x_2048` (0x0800_0000–0x0820_0000, 128 KB sectors, loaded at
//!   0x2400_0020) and the sequence `Stm32h7Line::H7` (DBGMCU through AP 2).
//! - Memory: ITCM 0x0000_0000 (64 KB), DTCM 0x2000_0000 (128 KB), AXI SRAM 0x2400_0000,
//!   SRAM1/2(/3) at 0x3000_0000, SRAM4 0x3800_0000 (64 KB); the H742 has less AXI SRAM and
//!   SRAM1/2 and no SRAM3 ([`H7Line::ram_regions`]).
//!
//! DEV_ID 0x450 is shared by all of these and by the dual-core H745/H747/H755/H757 (OOCD-H7).
//! DEV_ID and the flash size tell the one-bank H750 (128 KB) from the others, not the H742
//! from the H743/H753, nor a single-core part from a dual-core one (how to tell the latter
//! apart is not in the sources read: UNVERIFIED).

use serde::Serialize;

use crate::chip::notation::size_text;

use super::identity::DEV_ID_H74X;

/// A single-core H74x/H75x line.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum H7Line {
    /// STM32H742: 1 or 2 MB, less SRAM.
    H742,
    /// STM32H743: 1 or 2 MB.
    H743,
    /// STM32H750: the value line, one 128 KB sector, no bank 2, no swap.
    H750,
    /// STM32H753: the H743 with crypto, 2 MB.
    H753,
}

/// A RAM region as probe-rs's target description names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RamRegion {
    /// probe-rs's name (`ITCM`, `DTCM`, `AXISRAM`, `SRAM1`…).
    pub name: &'static str,
    /// Start address.
    pub start: u32,
    /// One past the end.
    pub end: u32,
}

const ITCM: RamRegion = RamRegion {
    name: "ITCM",
    start: 0x0000_0000,
    end: 0x0001_0000,
};
const DTCM: RamRegion = RamRegion {
    name: "DTCM",
    start: 0x2000_0000,
    end: 0x2002_0000,
};
const SRAM4: RamRegion = RamRegion {
    name: "SRAM4",
    start: 0x3800_0000,
    end: 0x3801_0000,
};

/// The RAM of H743/H750/H753 parts (probe-rs 0.32).
const RAM_H743: [RamRegion; 7] = [
    ITCM,
    DTCM,
    RamRegion {
        name: "AXISRAM",
        start: 0x2400_0000,
        end: 0x2408_0000,
    },
    RamRegion {
        name: "SRAM1",
        start: 0x3000_0000,
        end: 0x3002_0000,
    },
    RamRegion {
        name: "SRAM2",
        start: 0x3002_0000,
        end: 0x3004_0000,
    },
    RamRegion {
        name: "SRAM3",
        start: 0x3004_0000,
        end: 0x3004_8000,
    },
    SRAM4,
];

/// The RAM of H742 parts (probe-rs 0.32): 384 KB AXI SRAM, 32 KB SRAM1, 16 KB SRAM2, no SRAM3.
const RAM_H742: [RamRegion; 6] = [
    ITCM,
    DTCM,
    RamRegion {
        name: "AXISRAM",
        start: 0x2400_0000,
        end: 0x2406_0000,
    },
    RamRegion {
        name: "SRAM1",
        start: 0x3000_0000,
        end: 0x3000_8000,
    },
    RamRegion {
        name: "SRAM2",
        start: 0x3002_0000,
        end: 0x3002_4000,
    },
    SRAM4,
];

impl H7Line {
    /// Every line.
    pub const ALL: [H7Line; 4] = [H7Line::H742, H7Line::H743, H7Line::H750, H7Line::H753];

    /// DEV_ID in DBGMCU_IDCODE (the same for all).
    pub fn dev_id(self) -> u16 {
        DEV_ID_H74X
    }

    /// Human name.
    pub fn label(self) -> &'static str {
        match self {
            H7Line::H742 => "STM32H742",
            H7Line::H743 => "STM32H743",
            H7Line::H750 => "STM32H750",
            H7Line::H753 => "STM32H753",
        }
    }

    /// Flash sizes (KB) the line comes with.
    pub fn flash_sizes_kb(self) -> &'static [u32] {
        match self {
            H7Line::H742 | H7Line::H743 => &[1024, 2048],
            H7Line::H750 => &[128],
            H7Line::H753 => &[2048],
        }
    }

    /// Whether the line has bank 2 (and SWAP_BANK_OPT).
    pub fn has_second_bank(self) -> bool {
        self != H7Line::H750
    }

    /// The RAM regions probe-rs lists for the line.
    pub fn ram_regions(self) -> &'static [RamRegion] {
        match self {
            H7Line::H742 => &RAM_H742,
            _ => &RAM_H743,
        }
    }

    fn from_digits(digits: &str) -> Option<H7Line> {
        match digits {
            "42" => Some(H7Line::H742),
            "43" => Some(H7Line::H743),
            "50" => Some(H7Line::H750),
            "53" => Some(H7Line::H753),
            _ => None,
        }
    }

    /// Package letters probe-rs has for the line.
    fn packages(self) -> &'static [char] {
        match self {
            H7Line::H750 => &['I', 'V', 'X', 'Z'],
            _ => &['A', 'B', 'I', 'V', 'X', 'Z'],
        }
    }
}

/// An H74x/H75x part as far as the option bytes care.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct H7Part {
    /// Line.
    pub line: H7Line,
    /// Flash size in KB.
    pub flash_kb: u32,
}

/// Why an H7 part cannot be identified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum H7PartError {
    /// Not a name this tool knows.
    #[error("`{name}` is not a supported STM32H74x/H75x part name: {why} (expected e.g. STM32H743ZI, STM32H743ZG, STM32H753ZI or STM32H750VB, optionally with a package suffix such as STM32H743ZITx)")]
    UnknownName {
        /// The name given.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// DEV_ID is not 0x450.
    #[error("DBGMCU_IDCODE reports DEV_ID {dev_id:#05x}, not an STM32H74x/H75x (0x450)")]
    UnknownDevId {
        /// The DEV_ID read.
        dev_id: u16,
    },
    /// The flash size register holds a size no single-core H74x/H75x has.
    #[error("the flash size register (0x1FF1_E880) reads {raw:#06x} ({kb} KB), not a size of an STM32H74x/H75x (128 KB, 1 MB or 2 MB)")]
    InvalidFlashSize {
        /// Raw register value.
        raw: u16,
        /// As decoded.
        kb: u32,
    },
}

impl H7Part {
    /// STM32H743ZI: 2 MB, the reference part.
    pub const H743ZI: H7Part = H7Part {
        line: H7Line::H743,
        flash_kb: 2048,
    };
    /// STM32H743ZG: 1 MB, 2 × 512 KB.
    pub const H743ZG: H7Part = H7Part {
        line: H7Line::H743,
        flash_kb: 1024,
    };
    /// STM32H750VB: 128 KB, one bank.
    pub const H750VB: H7Part = H7Part {
        line: H7Line::H750,
        flash_kb: 128,
    };

    /// Identify from a probe-rs name: `STM32H7` + line digits + package letter + flash-size
    /// letter (`B` 128 KB, `G` 1 MB, `I` 2 MB) + optional package suffix.
    pub fn from_name(name: &str) -> Result<H7Part, H7PartError> {
        let bad = |why: String| H7PartError::UnknownName {
            name: name.to_string(),
            why,
        };
        let upper = name.trim().to_ascii_uppercase();
        let rest = upper
            .strip_prefix("STM32H7")
            .ok_or_else(|| bad("it does not start with STM32H7".into()))?;
        if rest.len() < 4 || !rest.is_ascii() {
            return Err(bad("it is too short".into()));
        }
        let (digits, tail) = rest.split_at(2);
        let line = H7Line::from_digits(digits).ok_or_else(|| {
            bad(format!(
                "STM32H7{digits} is not a single-core H74x/H75x line"
            ))
        })?;
        let mut letters = tail.chars();
        let (package, size) = (letters.next(), letters.next());
        let (Some(package), Some(size)) = (package, size) else {
            return Err(bad("it is too short".into()));
        };
        if !line.packages().contains(&package) {
            return Err(bad(format!(
                "package letter `{package}` is unknown for {}",
                line.label()
            )));
        }
        if !letters.all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad("the package suffix is not alphanumeric".into()));
        }
        let flash_kb = match size {
            'B' => 128,
            'G' => 1024,
            'I' => 2048,
            _ => return Err(bad(format!("flash-size letter `{size}` is unknown"))),
        };
        if !line.flash_sizes_kb().contains(&flash_kb) {
            return Err(bad(format!(
                "{} parts do not come with {}",
                line.label(),
                size_text(flash_kb)
            )));
        }
        Ok(H7Part { line, flash_kb })
    }

    /// Identify from DBGMCU_IDCODE.DEV_ID and the flash size register (raw u16). 128 KB is the
    /// STM32H750; 1 MB and 2 MB are reported as the STM32H743, which the H742/H753 (and the
    /// dual-core parts) cannot be told apart from here.
    pub fn from_ids(dev_id: u16, flash_size_raw: u16) -> Result<H7Part, H7PartError> {
        if dev_id != DEV_ID_H74X {
            return Err(H7PartError::UnknownDevId { dev_id });
        }
        let kb = super::identity::flash_size_kb(flash_size_raw);
        let line = match kb {
            128 => H7Line::H750,
            1024 | 2048 => H7Line::H743,
            _ => {
                return Err(H7PartError::InvalidFlashSize {
                    raw: flash_size_raw,
                    kb,
                })
            }
        };
        Ok(H7Part { line, flash_kb: kb })
    }

    /// A probe-rs 0.32 target name of this line and flash size, for attaching when the user
    /// gave none (the Nucleo-144 packages: Z for H742/H743/H753, V for the H750).
    pub fn probe_rs_target(&self) -> String {
        let package = if self.line == H7Line::H750 { 'V' } else { 'Z' };
        let size = match self.flash_kb {
            128 => 'B',
            1024 => 'G',
            _ => 'I',
        };
        format!("{}{package}{size}", self.line.label())
    }

    /// e.g. "STM32H743, 2 MB flash".
    pub fn describe(&self) -> String {
        format!("{}, {} flash", self.line.label(), size_text(self.flash_kb))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_rs_names() {
        for (name, line, kb) in [
            ("STM32H743ZI", H7Line::H743, 2048),
            ("stm32h743zitx", H7Line::H743, 2048),
            ("STM32H743ZG", H7Line::H743, 1024),
            ("STM32H743VGHx", H7Line::H743, 1024),
            ("STM32H742AI", H7Line::H742, 2048),
            ("STM32H742XG", H7Line::H742, 1024),
            ("STM32H753ZI", H7Line::H753, 2048),
            ("STM32H753BITx", H7Line::H753, 2048),
            ("STM32H750VB", H7Line::H750, 128),
            ("STM32H750IBKx", H7Line::H750, 128),
        ] {
            let part = H7Part::from_name(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!((part.line, part.flash_kb), (line, kb), "{name}");
        }
        assert_eq!(H7Part::H743ZI.describe(), "STM32H743, 2 MB flash");
        assert_eq!(H7Part::H750VB.describe(), "STM32H750, 128 KB flash");
    }

    #[test]
    fn bad_names_say_why() {
        for (name, why) in [
            ("STM32G474RE", "does not start with STM32H7"),
            ("STM32H74", "too short"),
            ("STM32H745ZI", "not a single-core"),
            ("STM32H7A3ZI", "not a single-core"),
            ("STM32H723ZG", "not a single-core"),
            ("STM32H743QI", "package letter `Q`"),
            ("STM32H750AB", "package letter `A`"),
            ("STM32H743ZE", "flash-size letter `E`"),
            ("STM32H753ZG", "do not come with 1 MB"),
            ("STM32H750ZI", "do not come with 2 MB"),
            ("STM32H743ZB", "do not come with 128 KB"),
            ("STM32H743ZI-X", "suffix"),
        ] {
            let err = H7Part::from_name(name).unwrap_err().to_string();
            assert!(err.contains(why), "{name}: {err}");
            assert!(err.contains("STM32H743ZI"), "lists an example: {err}");
        }
    }

    #[test]
    fn detection_from_ids() {
        assert_eq!(H7Part::from_ids(0x450, 2048), Ok(H7Part::H743ZI));
        assert_eq!(H7Part::from_ids(0x450, 1024), Ok(H7Part::H743ZG));
        assert_eq!(H7Part::from_ids(0x450, 128), Ok(H7Part::H750VB));
        assert_eq!(
            H7Part::from_ids(0x450, 0xFFFF),
            Ok(H7Part::H743ZI),
            "CMSIS: 2 MB"
        );
        assert_eq!(
            H7Part::from_ids(0x451, 2048),
            Err(H7PartError::UnknownDevId { dev_id: 0x451 })
        );
        let err = H7Part::from_ids(0x450, 512).unwrap_err();
        assert_eq!(err, H7PartError::InvalidFlashSize { raw: 512, kb: 512 });
        assert!(err.to_string().contains("0x1FF1_E880"), "{err}");
        assert!(H7Part::from_ids(0x480, 2048)
            .unwrap_err()
            .to_string()
            .contains("0x480"));
    }

    #[test]
    fn a_target_name_for_each_detected_size() {
        for raw in [128u16, 1024, 2048] {
            let part = H7Part::from_ids(0x450, raw).unwrap();
            let name = part.probe_rs_target();
            assert_eq!(H7Part::from_name(&name), Ok(part), "{name}");
        }
        assert_eq!(H7Part::H743ZI.probe_rs_target(), "STM32H743ZI");
        assert_eq!(H7Part::H743ZG.probe_rs_target(), "STM32H743ZG");
        assert_eq!(H7Part::H750VB.probe_rs_target(), "STM32H750VB");
    }

    #[test]
    fn lines() {
        for line in H7Line::ALL {
            assert_eq!(line.dev_id(), 0x450);
            assert_eq!(line.has_second_bank(), line != H7Line::H750);
            let ram = line.ram_regions();
            assert_eq!(ram[0].name, "ITCM");
            assert!(
                ram.windows(2).all(|w| w[0].end <= w[1].start),
                "sorted, apart"
            );
            // probe-rs loads stm32h7x_2048 at 0x2400_0020: AXI SRAM must be there.
            assert!(ram
                .iter()
                .any(|r| r.name == "AXISRAM" && r.start == 0x2400_0000));
        }
        let axi = |line: H7Line| {
            line.ram_regions()
                .iter()
                .find(|r| r.name == "AXISRAM")
                .map(|r| r.end - r.start)
        };
        assert_eq!(axi(H7Line::H743), Some(512 * 1024));
        assert_eq!(axi(H7Line::H742), Some(384 * 1024));
        assert!(H7Line::H742.ram_regions().iter().all(|r| r.name != "SRAM3"));
    }
}
