//! The family value: chosen once — from the probe-rs target name, or from what the chip says
//! when no name is given — and handed to everything that differs per family. The CLI, the GDB
//! monitor and target, the write guard and erase ask it; none of them names a family.
//!
//! Each layer registers its own per-family object in its own list (`chip::family::FAMILIES`,
//! `optbytes::family::FAMILIES`, …); [`Family::of`] gathers one family's objects from those
//! lists, once, when the family is chosen. The model is probe-rs's `vendor/st`: decide once,
//! hand back an object, nothing downstream asks again.

use std::fmt;

use crate::chip::family::{self as chip_family, ChipFamily};
use crate::erase::{self, EraseFamily};
use crate::gdb::family::{self as gdb_family, GdbFamily};
use crate::optbytes::family::{self as options_family, OptionFamily};

/// One family's objects, one per layer.
#[derive(Clone, Copy)]
pub struct Family {
    /// The facts: name, target names, identity registers, part classes.
    pub chip: &'static dyn ChipFamily,
    /// The option bytes: commands, words, the change path.
    pub options: &'static dyn OptionFamily,
    /// Erasing flash in the live layout.
    pub erase: &'static dyn EraseFamily,
    /// The GDB server's answers: the live flash, the memory map, the write guard, `load`.
    pub gdb: &'static dyn GdbFamily,
}

impl Family {
    /// The family whose facts are `chip`, with every layer's object for it; `None` when a layer
    /// has none registered (a family is supported only when every layer knows it).
    pub fn of(chip: &'static dyn ChipFamily) -> Option<Family> {
        Some(Family {
            chip,
            options: options_family::for_chip(chip)?,
            erase: erase::for_chip(chip)?,
            gdb: gdb_family::for_chip(chip)?,
        })
    }

    /// The family a probe-rs target name belongs to.
    pub fn for_target(target: &str) -> Option<Family> {
        Family::of(chip_family::for_target(target)?)
    }

    /// The family's short name, e.g. `STM32F7`.
    pub fn name(&self) -> &'static str {
        self.chip.name()
    }
}

impl fmt::Debug for Family {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for Family {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_family_is_complete() {
        for &chip in chip_family::FAMILIES {
            let family = Family::of(chip).unwrap_or_else(|| panic!("{}", chip.name()));
            assert_eq!(family.options.chip().name(), chip.name());
            assert_eq!(family.erase.chip().name(), chip.name());
            assert_eq!(family.gdb.chip().name(), chip.name());
        }
        assert_eq!(Family::for_target("STM32G474RE").unwrap().name(), "STM32G4");
        assert!(Family::for_target("STM32L476RG").is_none());
    }
}
