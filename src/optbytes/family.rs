//! Which family a chip belongs to: by the probe-rs target name (`--chip`, known before the probe
//! is opened, so each edge parses its user's words with the right field table) and by DEV_ID
//! (what the chip says; each family checks the two agree before it plans).

use crate::chip::f7::part::Line as F7Line;
use crate::chip::g4::G4Line;

/// A family of chips behind the engine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Family {
    /// STM32F76x/F77x and F74x/F75x: FLASH_OPTCR/OPTCR1 ([`crate::optbytes::F7`]).
    F7,
    /// STM32G4: FLASH_OPTR, OBL_LAUNCH ([`crate::optbytes::g4::G4`]).
    G4,
}

impl Family {
    /// The family a probe-rs target name belongs to; `None` for other chips.
    pub fn for_target(name: &str) -> Option<Family> {
        let upper = name.trim().to_ascii_uppercase();
        if upper.starts_with("STM32G4") {
            Some(Family::G4)
        } else if upper.starts_with("STM32F7") {
            Some(Family::F7)
        } else {
            None
        }
    }

    /// The family a DEV_ID belongs to.
    pub fn for_dev_id(dev_id: u16) -> Option<Family> {
        if G4Line::from_dev_id(dev_id).is_some() {
            Some(Family::G4)
        } else if F7Line::from_dev_id(dev_id).is_some() {
            Some(Family::F7)
        } else {
            None
        }
    }

    /// The name of the bank-mode field: nDBANK (F7, active low) or DBANK (G4, active high).
    pub fn bank_field(self) -> &'static str {
        match self {
            Family::F7 => "nDBANK",
            Family::G4 => "DBANK",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_name_and_by_dev_id() {
        assert_eq!(Family::for_target("STM32G474RETx"), Some(Family::G4));
        assert_eq!(Family::for_target("stm32f767zi"), Some(Family::F7));
        assert_eq!(Family::for_target("nRF52840"), None);
        assert_eq!(Family::for_dev_id(0x469), Some(Family::G4));
        assert_eq!(Family::for_dev_id(0x479), Some(Family::G4));
        assert_eq!(Family::for_dev_id(0x451), Some(Family::F7));
        assert_eq!(Family::for_dev_id(0x415), None);
    }
}
