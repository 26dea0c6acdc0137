//! Which family a chip belongs to, decided once: from the probe-rs target name (`--chip`), or
//! from what the chip itself says (DBGMCU_IDCODE.DEV_ID at the family's address, the flash size
//! register) when no name is given. The model is probe-rs's `vendor/st`: one look at the name or
//! the chip, one object handed back, nothing downstream asks again.
//!
//! Each family's facts implement [`ChipFamily`] in their own folder (`chip/<family>/`) and are
//! registered once, in [`FAMILIES`] (the `families!` line of `chip/mod.rs`). The layers above
//! (the option engine, erase, the GDB server, the simulator) register their own per-family
//! objects the same way; [`crate::family::Family`] ties one family's together.

use std::fmt;

/// What tells the families apart, as pure facts: their names, where each keeps its identity
/// registers, and which parts it has.
pub trait ChipFamily: Sync {
    /// The family's short name, as users and messages say it, e.g. `STM32F7`.
    fn name(&self) -> &'static str;

    /// Whether the probe-rs target name `target` (e.g. `STM32F767ZITx`) is a part of this family.
    fn claims_target(&self, target: &str) -> bool;

    /// The address of DBGMCU_IDCODE on this family, as the core's bus sees it.
    fn idcode_address(&self) -> u32;

    /// The address of the flash size register (a half-word holding the size in KB).
    fn flash_size_address(&self) -> u32;

    /// The part class (device line) with this DEV_ID, if this family supports it, e.g.
    /// `STM32F76x/F77x`.
    fn class(&self, dev_id: u16) -> Option<&'static str>;

    /// A DEV_ID this family knows of but does not support, with its name (for messages that
    /// say what a chip is).
    fn known_unsupported(&self, _dev_id: u16) -> Option<&'static str> {
        None
    }

    /// The probe-rs target name of a part of this class with `flash_kb` of flash: the name the
    /// tool attaches with when none was given, so that `load` gets the flash algorithm of that
    /// size.
    fn target_for(&self, dev_id: u16, flash_kb: u32) -> Option<&'static str>;

    /// The program page stm32-opts gives one of the family's probe-rs flash algorithms, where
    /// it differs from probe-rs's (see [`crate::chip::program_pages`]).
    fn program_page_bytes(&self, _algorithm: &str) -> Option<u32> {
        None
    }
}

impl fmt::Debug for dyn ChipFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for dyn ChipFamily {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

pub use super::FAMILIES;

/// The family a probe-rs target name belongs to.
pub fn for_target(target: &str) -> Option<&'static dyn ChipFamily> {
    FAMILIES.iter().copied().find(|f| f.claims_target(target))
}

/// The names of every supported family, for messages: "STM32F7, STM32G4".
pub fn names() -> String {
    FAMILIES
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The DEV_ID field (bits 11:0) of DBGMCU_IDCODE, the same bits on every STM32.
pub fn dev_id(idcode: u32) -> u16 {
    (idcode & 0xFFF) as u16
}

/// The REV_ID field (bits 31:16) of DBGMCU_IDCODE.
pub fn rev_id(idcode: u32) -> u16 {
    (idcode >> 16) as u16
}

/// What a DEV_ID is, whichever family knows it, for messages.
pub fn dev_id_name(dev_id: u16) -> Option<&'static str> {
    FAMILIES
        .iter()
        .find_map(|f| f.class(dev_id).or_else(|| f.known_unsupported(dev_id)))
}

/// A chip identified by what it says about itself.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detected {
    /// Its family.
    pub family: &'static dyn ChipFamily,
    /// DBGMCU_IDCODE as read.
    pub idcode: u32,
    /// The part class, e.g. `STM32F76x/F77x`.
    pub class: &'static str,
    /// The flash size register, in KB.
    pub flash_kb: u32,
}

impl Detected {
    /// DEV_ID.
    pub fn dev_id(&self) -> u16 {
        dev_id(self.idcode)
    }

    /// The probe-rs target name the tool attaches with, if the family has one for this size.
    pub fn target(&self) -> Option<&'static str> {
        self.family.target_for(self.dev_id(), self.flash_kb)
    }
}

impl fmt::Display for Detected {
    /// e.g. "STM32F76x/F77x (DEV_ID 0x451), 2048 KB flash".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (DEV_ID {:#05x}), {} KB flash",
            self.class,
            self.dev_id(),
            self.flash_kb
        )
    }
}

/// Why a chip could not be identified.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    /// No family's DBGMCU_IDCODE holds a DEV_ID it supports.
    #[error("no supported family ({}) recognises this chip: {}; pass --chip if it is one of them", names(), .tried.join("; "))]
    Unrecognised {
        /// What each address read gave, in words.
        tried: Vec<String>,
    },
    /// The family was found but its flash size register could not be read.
    #[error("the chip is {class} (DEV_ID {dev_id:#05x}), but its flash size register at {address:#010x} could not be read: {cause}")]
    FlashSize {
        class: &'static str,
        dev_id: u16,
        address: u32,
        cause: String,
    },
}

/// Identifies the chip from word reads (`read(address)` reads the aligned word at `address`),
/// trying each family's DBGMCU_IDCODE in [`FAMILIES`] order. A read that fails is "not this
/// family": on an address another family maps to nothing the bus answers with an error, which
/// must not end the detection. Addresses shared by several families are read once.
pub fn detect<E: fmt::Display>(
    read: &mut dyn FnMut(u32) -> Result<u32, E>,
) -> Result<Detected, DetectError> {
    let mut seen: Vec<(u32, Option<u32>)> = Vec::new();
    let mut tried = Vec::new();
    for &family in FAMILIES {
        let address = family.idcode_address();
        let idcode = match seen.iter().find(|(a, _)| *a == address) {
            Some(&(_, value)) => value,
            None => {
                let value = match read(address) {
                    Ok(v) => Some(v),
                    Err(e) => {
                        tried.push(format!("reading {address:#010x} failed ({e})"));
                        None
                    }
                };
                if let Some(v) = value {
                    tried.push(format!(
                        "DBGMCU_IDCODE at {address:#010x} holds DEV_ID {:#05x} ({})",
                        dev_id(v),
                        dev_id_name(dev_id(v)).unwrap_or("unknown device")
                    ));
                }
                seen.push((address, value));
                value
            }
        };
        let Some(idcode) = idcode else { continue };
        let Some(class) = family.class(dev_id(idcode)) else {
            continue;
        };
        let size_address = family.flash_size_address();
        let word = read(size_address & !3).map_err(|e| DetectError::FlashSize {
            class,
            dev_id: dev_id(idcode),
            address: size_address,
            cause: e.to_string(),
        })?;
        let flash_kb = u32::from((word >> (8 * (size_address & 2))) as u16);
        return Ok(Detected {
            family,
            idcode,
            class,
            flash_kb,
        });
    }
    Err(DetectError::Unrecognised { tried })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// A bus with these words; anything else is a bus error.
    fn bus(words: &[(u32, u32)]) -> impl FnMut(u32) -> Result<u32, String> {
        let map: HashMap<u32, u32> = words.iter().copied().collect();
        move |a| {
            map.get(&a)
                .copied()
                .ok_or_else(|| format!("bus error at {a:#x}"))
        }
    }

    #[test]
    fn names_pick_their_family() {
        assert_eq!(
            for_target("STM32F767ZITx").map(|f| f.name()),
            Some("STM32F7")
        );
        assert_eq!(for_target("stm32g474re").map(|f| f.name()), Some("STM32G4"));
        assert!(for_target("nRF52840_xxAA").is_none());
        // Registration order; every later family follows the first two.
        assert!(names().starts_with("STM32F7, STM32G4"), "{}", names());
    }

    #[test]
    fn an_f7_and_a_g4_say_what_they_are() {
        let f7 = detect(&mut bus(&[
            (0xE004_2000, 0x1001_0451),
            (0x1FF0_F440, 0x0800_FFFF),
        ]))
        .unwrap();
        assert_eq!(f7.family.name(), "STM32F7");
        assert_eq!(
            f7.to_string(),
            "STM32F76x/F77x (DEV_ID 0x451), 2048 KB flash"
        );
        assert_eq!(f7.target(), Some("STM32F767ZI"));
        let g4 = detect(&mut bus(&[
            (0xE004_2000, 0x1000_0469),
            (0x1FFF_75E0, 0xFFFF_0200),
        ]))
        .unwrap();
        assert_eq!(g4.family.name(), "STM32G4");
        assert_eq!(
            g4.to_string(),
            "STM32G47x/G48x (DEV_ID 0x469), 512 KB flash"
        );
        assert_eq!(g4.target(), Some("STM32G474RE"));
    }

    #[test]
    fn an_unknown_chip_is_refused_with_what_was_read() {
        let e = detect(&mut bus(&[(0xE004_2000, 0x1000_0415)])).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("DEV_ID 0x415 (unknown device)"), "{text}");
        assert!(text.contains("STM32F7, STM32G4"), "{text}");
        // A bus error is "not this family", never the end of the detection.
        let e = detect(&mut bus(&[])).unwrap_err().to_string();
        assert!(e.contains("reading 0xe0042000 failed (bus error"), "{e}");
        // Known DEV_ID, unreadable size register.
        let e = detect(&mut bus(&[(0xE004_2000, 0x0451)])).unwrap_err();
        assert!(
            matches!(e, DetectError::FlashSize { dev_id: 0x451, .. }),
            "{e}"
        );
    }
}
