//! Chip facts for STM32G47x/G48x (RM0440, category 3): the second family behind the option-byte
//! engine. Pure data and functions, no I/O, in the same shape as the F76x/F77x facts one level
//! up: registers, OPTR fields with typed meanings, WRP/PCROP areas, page geometry per DBANK and
//! flash size, part detection, dangers.
//!
//! How G4 differs from F7 for the engine (see docs/architecture.md, "Families"):
//! - the option registers are OPTR + WRP/PCROP/SEC words, unlocked by OPTKEYR **after** KEYR,
//!   committed by FLASH_CR.OPTSTRT;
//! - new values load only through FLASH_CR.OBL_LAUNCH (or a power-on reset), and OBL_LAUNCH
//!   resets the chip and drops the debug link — the engine must re-attach to verify;
//! - DBANK is active high, changes the page size (2 KB ↔ 4 KB) and invalidates the flash.

pub mod dangers;
pub mod fields;
pub mod geometry;
pub mod options;
pub mod part;
pub mod registers;

pub use dangers::{assess, Danger, Refusal};
pub use fields::{Meaning, OptrField, FACTORY_OPTR};
pub use geometry::{AlgorithmFit, G4Layout, Page};
pub use options::{G4OptionImage, G4Options, PcropArea, WrpArea, WrpVerdict};
pub use part::{DbankRefusal, G4Line, G4Part, G4PartError};

use super::family::ChipFamily;

/// The STM32G4 family as detection and target names know it.
pub struct G4Facts;

/// The family's facts object, registered in [`crate::chip::family::FAMILIES`].
pub static FAMILY: G4Facts = G4Facts;

impl ChipFamily for G4Facts {
    fn name(&self) -> &'static str {
        "STM32G4"
    }

    fn claims_target(&self, target: &str) -> bool {
        target.trim().to_ascii_uppercase().starts_with("STM32G4")
    }

    fn idcode_address(&self) -> u32 {
        registers::DBGMCU_IDCODE
    }

    fn flash_size_address(&self) -> u32 {
        registers::FLASHSIZE_BASE
    }

    fn class(&self, dev_id: u16) -> Option<&'static str> {
        G4Line::from_dev_id(dev_id).map(G4Line::label)
    }

    fn target_for(&self, dev_id: u16, flash_kb: u32) -> Option<&'static str> {
        match (G4Line::from_dev_id(dev_id)?, flash_kb) {
            (G4Line::G47x, 512) => Some("STM32G474RE"),
            (G4Line::G47x, 256) => Some("STM32G474RC"),
            (G4Line::G47x, 128) => Some("STM32G474RB"),
            (G4Line::G43x, 128) => Some("STM32G431RB"),
            (G4Line::G43x, 64) => Some("STM32G431R8"),
            (G4Line::G43x, 32) => Some("STM32G431R6"),
            (G4Line::G49x, 512) => Some("STM32G491RE"),
            (G4Line::G49x, 256) => Some("STM32G491RC"),
            _ => None,
        }
    }

    fn program_page_bytes(&self, algorithm: &str) -> Option<u32> {
        // RM0440: 2 KB pages in dual-bank mode, which is the only mode this algorithm programs.
        (algorithm == "stm32g47x-8x_512").then_some(2 * 1024)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_size_has_a_target_of_that_part() {
        for line in G4Line::ALL {
            for &kb in line.flash_sizes_kb() {
                let name = FAMILY.target_for(line.dev_id(), kb).unwrap();
                assert_eq!(G4Part::from_name(name), Ok(G4Part { line, flash_kb: kb }));
                assert!(FAMILY.claims_target(name));
            }
        }
        assert_eq!(FAMILY.class(0x451), None);
    }
}
