//! Chip facts for STM32F76x/F77x (RM0410) and F74x/F75x (RM0385): register addresses, typed
//! option-byte fields with their meanings, the stored option-byte layout, sector geometry per
//! bank mode and flash size, and part identification. Pure data and functions — no I/O.

pub mod fields;
pub mod geometry;
pub mod option_area;
pub mod part;
pub mod registers;

pub use fields::{BorLevel, Field, FieldKind, OptionWords, RdpLevel, Register};
pub use geometry::{BankMode, FlashLayout, Sector};
pub use option_area::OptionArea;
pub use part::{Line, Part, PartError};

use super::family::ChipFamily;

/// The STM32F7 family as detection and target names know it.
pub struct F7Facts;

/// The family's facts object, registered in [`crate::chip::family::FAMILIES`].
pub static FAMILY: F7Facts = F7Facts;

impl ChipFamily for F7Facts {
    fn name(&self) -> &'static str {
        "STM32F7"
    }

    fn claims_target(&self, target: &str) -> bool {
        target.trim().to_ascii_uppercase().starts_with("STM32F7")
    }

    fn idcode_address(&self) -> u32 {
        registers::DBGMCU_IDCODE
    }

    fn flash_size_address(&self) -> u32 {
        registers::FLASHSIZE_BASE
    }

    fn class(&self, dev_id: u16) -> Option<&'static str> {
        Line::from_dev_id(dev_id).map(Line::label)
    }

    fn known_unsupported(&self, dev_id: u16) -> Option<&'static str> {
        (dev_id == part::DEV_ID_F72X).then_some("STM32F72x/F73x")
    }

    fn target_for(&self, dev_id: u16, flash_kb: u32) -> Option<&'static str> {
        match (Line::from_dev_id(dev_id)?, flash_kb) {
            (Line::F76x, 2048) => Some("STM32F767ZI"),
            (Line::F76x, 1024) => Some("STM32F767ZG"),
            (Line::F74x, 1024) => Some("STM32F746ZG"),
            (Line::F74x, 512) => Some("STM32F746VE"),
            _ => None,
        }
    }

    fn program_page_bytes(&self, algorithm: &str) -> Option<u32> {
        match algorithm {
            // RM0410: the smallest sector is 16 KB in dual-bank mode (32 KB in single-bank mode).
            "stm32f7x_2048" | "stm32f7x_2048dual" | "stm32f7x_1024dual" => Some(16 * 1024),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_size_has_a_target_of_that_part() {
        for line in [Line::F76x, Line::F74x] {
            for &kb in line.flash_sizes_kb() {
                let name = FAMILY.target_for(line.dev_id(), kb).unwrap();
                assert_eq!(
                    Part::from_name(name),
                    Ok(Part {
                        family: line,
                        flash_kb: kb
                    })
                );
                assert!(FAMILY.claims_target(name));
            }
        }
        assert_eq!(FAMILY.target_for(0x451, 512), None);
        assert_eq!(FAMILY.class(0x452), None);
        assert_eq!(FAMILY.known_unsupported(0x452), Some("STM32F72x/F73x"));
    }
}
