//! Chip facts for STM32G0B0/G0B1/G0C1 (RM0444/RM0454, DEV_ID 0x467): the third family behind
//! the option-byte engine. Pure data and functions, no I/O, in the shape of the G4's facts:
//! registers, OPTR fields with typed meanings, WRP/PCROP/SECR areas, page geometry per
//! DUAL_BANK, nSWAP_BANK and flash size, the logical ↔ physical bank mapping, part
//! identification, dangers.
//!
//! How the G0 differs from the G4 (same "OPTR controller" IP, reference §3 and §7):
//! - DBG_IDCODE is at **0x4001_5800** (APB), not 0xE004_2000; the core is a Cortex-M0+;
//! - OPTR has DUAL_BANK (bit 21, active high) **and** nSWAP_BANK (bit 20, active low): the
//!   banks can be swapped, and then erase bits (BKER at bit 13, MER1/MER2) name the *physical*
//!   bank while addresses follow the swap ([`geometry`]);
//! - 2 KB pages in every mode; bank 2 at 0x0804_0000 on 512 KB parts, at 0x0802_0000 on 256 KB
//!   parts; 128 KB parts are single bank only; bank 2's pages are PNB 256 and up;
//! - FLASH_SR has BSY1, BSY2 and CFGBSY;
//! - new option values load only through FLASH_CR.OBL_LAUNCH (or a power-on), which resets the
//!   chip and drops the debug link — as on the G4;
//! - three lines share DEV_ID 0x467 and differ in their option set ([`part`]).

pub mod dangers;
pub mod fields;
pub mod geometry;
pub mod options;
pub mod part;
pub mod registers;

pub use dangers::{assess, Danger, Refusal};
pub use fields::{Meaning, OptrField, FACTORY_OPTR_G0X0, FACTORY_OPTR_G0X1};
pub use geometry::{G0Layout, LogicalBank, Page, PhysicalBank, PhysicalLocation, Swap};
pub use options::{G0OptionImage, G0Options, PcropArea, WrpArea, WrpVerdict};
pub use part::{G0Detected, G0Line, G0Part, G0PartError, OptionSet};

use super::family::ChipFamily;

/// The STM32G0B0/G0B1/G0C1 family as detection and target names know it.
pub struct G0Facts;

/// The family's facts object, registered in [`crate::chip::family::FAMILIES`].
pub static FAMILY: G0Facts = G0Facts;

impl ChipFamily for G0Facts {
    fn name(&self) -> &'static str {
        "STM32G0"
    }

    /// The dual-bank G0 lines only (STM32G0B0/G0B1/G0C1); the other G0s have other DEV_IDs and
    /// no bank bits.
    fn claims_target(&self, target: &str) -> bool {
        let upper = target.trim().to_ascii_uppercase();
        upper.starts_with("STM32G0B") || upper.starts_with("STM32G0C")
    }

    fn idcode_address(&self) -> u32 {
        registers::DBG_IDCODE
    }

    fn flash_size_address(&self) -> u32 {
        registers::FLASHSIZE_BASE
    }

    fn class(&self, dev_id: u16) -> Option<&'static str> {
        (dev_id == part::DEV_ID_G0B_G0C).then_some("STM32G0B0/G0B1/G0C1")
    }

    /// A G0B1 of that size: the three lines share DEV_ID 0x467 and probe-rs gives every size the
    /// same algorithm (`stm32g0bx_512`). A G0B0 (512 KB) is detected as a G0B1: name it with
    /// `--chip STM32G0B0xE` to have its missing OPTR fields refused.
    fn target_for(&self, dev_id: u16, flash_kb: u32) -> Option<&'static str> {
        let detected = G0Detected::from_ids(dev_id, u16::try_from(flash_kb).ok()?).ok()?;
        Some(detected.probe_rs_target())
    }
}

#[cfg(test)]
mod family_tests {
    use super::*;

    #[test]
    fn every_size_has_a_target_of_its_size() {
        for kb in [128, 256, 512] {
            let name = FAMILY.target_for(0x467, kb).unwrap();
            assert_eq!(G0Part::from_name(name).unwrap().flash_kb, kb);
            assert!(FAMILY.claims_target(name));
        }
        assert_eq!(FAMILY.target_for(0x467, 64), None);
        assert_eq!(FAMILY.target_for(0x469, 512), None);
        assert!(FAMILY.claims_target("stm32g0b1retx"));
        assert!(!FAMILY.claims_target("STM32G071RB"));
        assert_eq!(FAMILY.class(0x467), Some("STM32G0B0/G0B1/G0C1"));
        assert_eq!(FAMILY.idcode_address(), 0x4001_5800);
    }

    #[test]
    fn detection_finds_a_g0_at_its_own_dbg_address() {
        // The Cortex-M0+ has nothing at 0xE004_2000: a bus error there is "not this family".
        let mut bus = |a: u32| match a {
            0x4001_5800 => Ok(0x1000_0467),
            0x1FFF_75E0 => Ok(0xFFFF_0100),
            _ => Err(format!("bus error at {a:#x}")),
        };
        let found = crate::chip::family::detect(&mut bus).unwrap();
        assert_eq!(found.family.name(), "STM32G0");
        assert_eq!(found.to_string(), "STM32G0B0/G0B1/G0C1 (DEV_ID 0x467), 256 KB flash");
        assert_eq!(found.target(), Some("STM32G0B1RC"));
    }
}
