//! The G4 family as the simulator registers it: the parts it simulates (category 3, G47x/G48x),
//! their identity, the Cortex-M4F core, the model fresh and from a state file, and what tests ask
//! of a G4 chip.

use serde::Deserialize;

use crate::sim::family::{FamilyModel, ModelBuilder, SimFamily};
use crate::sim::variant::{leak_name, Variant};
use crate::sim::{ModelError, Simulator};

use super::flash::{G4Flash, G4OptionStore};
use super::G4Model;

/// DEV_ID of the STM32G4 category-3 parts G47x/G48x (RM0440), the ones with the DBANK bit.
pub const DEV_ID_G47X: u16 = 0x469;
/// REV_ID the simulated G47x/G48x reports. The reference gives no revision codes for 0x469;
/// 0x1000 (revision A, as on the F7 of the same vintage) is a choice, not a fact.
pub const REV_ID_G47X: u16 = 0x1000;

/// The G4 family of the simulator.
pub struct G4;

/// The family's object, registered in [`crate::sim::FAMILIES`].
pub static FAMILY: G4 = G4;

impl SimFamily for G4 {
    fn name(&self) -> &'static str {
        "STM32G4"
    }

    /// STM32G471/473/474/483/484 + pin-count letter + size letter (B = 128 KB, C = 256 KB,
    /// E = 512 KB), as probe-rs names them (`STM32G474RE`, `STM32G473RC`); the G48x come only
    /// with 512 KB.
    fn variant(&self, upper: &str) -> Option<Variant> {
        if !upper.starts_with("STM32G4") {
            return None;
        }
        let line = upper.get(5..9)?;
        let bytes = upper.as_bytes();
        if bytes.len() < 11 || !bytes[9].is_ascii_alphabetic() {
            return None;
        }
        let flash_kib = match (line, bytes[10] as char) {
            ("G471" | "G473" | "G474", 'B') => 128,
            ("G471" | "G473" | "G474", 'C') => 256,
            ("G471" | "G473" | "G474" | "G483" | "G484", 'E') => 512,
            _ => return None,
        };
        Some(Variant {
            name: leak_name(upper.get(..11)?),
            family: &G4,
            dev_id: DEV_ID_G47X,
            rev_id: REV_ID_G47X,
            flash_kib,
        })
    }

    fn parts(&self) -> &'static str {
        "STM32G471/473/474 with size letter B (128 KB), C (256 KB) or E (512 KB) and STM32G483/484xE, e.g. STM32G474RE or STM32G474RC"
    }

    /// The G4 Cortex-M4 r0p1 with FPv4-SP (FPBv1, 6 code comparators, bit-banding).
    fn core_config(&self) -> sim_core::Config {
        sim_core::Config::cortex_m4f()
    }

    fn factory(&self, variant: Variant) -> Box<dyn FamilyModel> {
        Box::new(G4Model::new(variant, G4OptionStore::factory()))
    }

    /// The option store under `g4`; the array as bank 1's and bank 2's halves; no OTP (not
    /// modelled).
    fn restore(
        &self,
        variant: Variant,
        file: &serde_json::Value,
        halves: [Vec<u8>; 2],
    ) -> Result<ModelBuilder, String> {
        let stored = file.get("g4").ok_or("no g4 option store")?;
        let store = G4OptionStore::deserialize(stored).map_err(|e| e.to_string())?;
        Ok(Box::new(move || {
            let mut model = G4Model::new(variant, store);
            model.flash.restore_array(&halves.concat());
            Box::new(model) as Box<dyn FamilyModel>
        }))
    }

    fn vcp_uart(&self) -> &'static str {
        "LPUART1"
    }
}

/// What tests and tools ask of a simulated G4 chip.
pub trait G4Sim {
    /// The option store as programmed (what the next OBL_LAUNCH or power-on loads).
    fn g4_option_store(&self) -> Result<G4OptionStore, ModelError>;
    /// Runs `f` on the FLASH model (timing, fault injection, inspection); whatever it changes
    /// is saved like any other change.
    fn with_g4_flash<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut G4Flash) -> R + Send + 'static,
    ) -> Result<R, ModelError>;
}

impl G4Sim for Simulator {
    fn g4_option_store(&self) -> Result<G4OptionStore, ModelError> {
        self.with_g4_flash(|flash| flash.store())
    }

    fn with_g4_flash<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut G4Flash) -> R + Send + 'static,
    ) -> Result<R, ModelError> {
        self.with_model(move |m: &mut G4Model| {
            let result = f(&mut m.flash);
            m.generation += 1;
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::f7::has_ndbank;

    #[test]
    fn g4_names_map_to_category_3_parts() {
        let re = Variant::by_name("stm32g474retx").unwrap();
        assert_eq!(
            (
                re.name,
                re.family.name(),
                re.dev_id,
                re.flash_kib,
                has_ndbank(&re)
            ),
            ("STM32G474RE", "STM32G4", 0x469, 512, false)
        );
        assert_eq!(Variant::by_name("STM32G474RC").unwrap().flash_kib, 256);
        assert_eq!(Variant::by_name("STM32G473RC").unwrap().flash_kib, 256);
        assert_eq!(Variant::by_name("STM32G484VE").unwrap().flash_kib, 512);
        assert!(Variant::by_name("STM32G484VC").is_err());
        assert_eq!(re.idcode(), 0x1000_0469);
    }
}
