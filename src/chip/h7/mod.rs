//! Chip facts for the single-core STM32H74x/H75x (RM0433: STM32H742, H743, H750, H753; DEV_ID
//! 0x450). Pure data and functions, no I/O, in the shape of the G4 facts: registers, OPTSR
//! fields with typed meanings, the PRAR/SCAR/WPSN/BOOT images, sector geometry with the bank
//! swap in both terms (logical address ↔ physical bank and sector), part detection, the option
//! sequence as data, dangers.
//!
//! How the H74x/H75x differ from the F7 and G4 for a tool (reference §9):
//! - two register sets, one per **physical** bank (KEYRx/CRx/SRx/CCRx, bank 2 at +0x100); LOCK
//!   is bit 0 of CRx; status flags clear through CCRx, not by writing SRx;
//! - programming is by 256-bit flash words through a write buffer (WBNE, QW, FW);
//! - options are `*_CUR`/`*_PRG` pairs: write `*_PRG`, OPTSTART, poll OPTSR_CUR.OPT_BUSY, check
//!   OPTCHANGEERR, relock; **no OBL_LAUNCH** — the bank swap takes effect at the next reset;
//! - SWAP_BANK_OPT (OPTSR bit 31) exchanges 0x0800_0000 and 0x0810_0000, while erase and the
//!   register sets keep naming physical banks;
//! - the debugger reads DBGMCU at 0xE00E_1000 through access port 2.
//!
//! Sources: the reference sheet §0/§9/§11–13, CMSIS-H7 `stm32h743xx.h` (+`h742`, `h750`,
//! `h753`) at the reference's snapshot `13ba9da7` for the bits the sheet does not list,
//! HAL-H7 `6f5e35e3` for value meanings and encodings, probe-rs 0.32 `STM32H7_Series.yaml` and
//! `vendor/st/sequences/stm32h7.rs` for names, regions, algorithms and the access port.

pub mod dangers;
pub mod fields;
pub mod geometry;
pub mod identity;
pub mod options;
pub mod part;
pub mod registers;
pub mod sequence;

pub use dangers::{assess, AreaKind, Danger, Refusal};
pub use fields::{FieldRefusal, Meaning, OptsrField, FACTORY_OPTSR};
pub use geometry::{
    BankPlacement, BankSwap, H7Layout, LogicalBank, PhysicalBank, PhysicalLocation, Sector,
};
pub use options::{H7Options, ProtectedArea};
pub use part::{H7Line, H7Part, H7PartError};
pub use sequence::{option_sequence, OptionLoad, OptionStep, OPTION_LOAD};

use super::family::ChipFamily;
use identity::{DBGMCU_BASE_CPU, DEV_ID_H72X, DEV_ID_H74X, DEV_ID_H7AX, FLASHSIZE_BASE};

/// The STM32H7 family as detection and target names know it (the single-core H74x/H75x).
pub struct H7Facts;

/// The family's facts object, registered in [`crate::chip::family::FAMILIES`].
pub static FAMILY: H7Facts = H7Facts;

impl ChipFamily for H7Facts {
    fn name(&self) -> &'static str {
        "STM32H7"
    }

    /// Every STM32H7 name: the lines this tool does not support (dual-core H745/H747/H755/H757,
    /// H7A/H7B, H72x/H73x) are then refused by the family's own words, which say which are.
    fn claims_target(&self, target: &str) -> bool {
        target.trim().to_ascii_uppercase().starts_with("STM32H7")
    }

    /// DBGMCU_IDCODE as the core sees it (0x5C00_1000). The debugger's own view is 0xE00E_1000
    /// through access port 2; detection reads through the core, where the other families' DBGMCU
    /// address holds nothing on an H7 and this one holds nothing on theirs.
    fn idcode_address(&self) -> u32 {
        DBGMCU_BASE_CPU
    }

    fn flash_size_address(&self) -> u32 {
        FLASHSIZE_BASE
    }

    fn class(&self, dev_id: u16) -> Option<&'static str> {
        (dev_id == DEV_ID_H74X).then_some("STM32H74x/H75x")
    }

    fn known_unsupported(&self, dev_id: u16) -> Option<&'static str> {
        match dev_id {
            DEV_ID_H7AX => Some("STM32H7A3/H7B3/H7B0 (not supported)"),
            DEV_ID_H72X => Some("STM32H72x/H73x (not supported)"),
            _ => None,
        }
    }

    fn target_for(&self, dev_id: u16, flash_kb: u32) -> Option<&'static str> {
        match H7Part::from_ids(dev_id, flash_kb.try_into().ok()?).ok()? {
            H7Part::H743ZI => Some("STM32H743ZI"),
            H7Part::H743ZG => Some("STM32H743ZG"),
            H7Part::H750VB => Some("STM32H750VB"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod family_tests {
    use super::*;

    #[test]
    fn every_detected_size_has_a_target_of_that_part() {
        for kb in [128, 1024, 2048] {
            let name = FAMILY.target_for(0x450, kb).unwrap();
            assert_eq!(
                H7Part::from_name(name).map(|p| p.flash_kb),
                Ok(kb),
                "{name}"
            );
            assert!(FAMILY.claims_target(name));
        }
        assert_eq!(FAMILY.target_for(0x450, 512), None);
        assert_eq!(FAMILY.class(0x451), None);
        assert_eq!(FAMILY.class(0x450), Some("STM32H74x/H75x"));
        assert!(FAMILY.known_unsupported(0x480).is_some());
    }
}
