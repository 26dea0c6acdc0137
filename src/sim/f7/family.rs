//! The F7 family as the simulator registers it: the parts it simulates, their identity, the
//! Cortex-M7 core, the model fresh and from a state file, and what tests ask of an F7 chip.

use crate::sim::family::{FamilyModel, ModelBuilder, SimFamily};
use crate::sim::state::from_hex;
use crate::sim::variant::{leak_name, Variant};
use crate::sim::{ModelError, Simulator};

use super::flash::{Flash, FlashFaults, OptionStore, Timing, OTP_BYTES};
use super::model::F7Model;

/// DEV_ID of STM32F76x/F77x (RM0410), the parts with the nDBANK option bit.
pub const DEV_ID_F76X: u16 = 0x451;
/// DEV_ID of STM32F74x/F75x (RM0385), which have no nDBANK bit and no dual-bank mode.
pub const DEV_ID_F74X: u16 = 0x449;
/// REV_ID the simulated F7 parts report (revision Z on 0x451).
pub const REV_ID_F7: u16 = 0x1001;

/// Whether FLASH_OPTCR has the nDBANK and nDBOOT bits (DEV_ID 0x451 only).
pub fn has_ndbank(variant: &Variant) -> bool {
    variant.dev_id == DEV_ID_F76X
}

/// The F7 family of the simulator.
pub struct F7;

/// The family's object, registered in [`crate::sim::FAMILIES`].
pub static FAMILY: F7 = F7;

impl SimFamily for F7 {
    fn name(&self) -> &'static str {
        "STM32F7"
    }

    /// STM32F7 + line (2 digits) + pin count letter + size letter (+ package/temp suffix).
    /// F76x/F77x names map to their flash size by the size letter: `G` = 1 MB, `I` = 2 MB.
    fn variant(&self, upper: &str) -> Option<Variant> {
        let rest = upper.strip_prefix("STM32F7")?;
        let bytes = rest.as_bytes();
        if bytes.len() < 4 {
            return None;
        }
        let line = rest.get(..2)?;
        let size_letter = bytes[3] as char;
        let canonical = upper.get(..11)?;
        let (dev_id, flash_kib) = match (line, size_letter) {
            ("65" | "67" | "69", 'G') => (DEV_ID_F76X, 1024),
            ("65" | "67" | "68" | "69", 'I') => (DEV_ID_F76X, 2048),
            ("77" | "78" | "79", 'I') => (DEV_ID_F76X, 2048),
            ("45" | "46" | "56", 'G') => (DEV_ID_F74X, 1024),
            ("45" | "46", 'E') => (DEV_ID_F74X, 512),
            _ => return None,
        };
        Some(Variant {
            name: leak_name(canonical),
            family: &F7,
            dev_id,
            rev_id: REV_ID_F7,
            flash_kib,
        })
    }

    fn parts(&self) -> &'static str {
        "STM32F765/767/768/769/777/778/779 with size letter G (1 MB) or I (2 MB), e.g. STM32F767ZI or STM32F767ZG, STM32F745/746/756 (no nDBANK), e.g. STM32F746ZG"
    }

    /// The F76x/F77x Cortex-M7 r1p0 with the double-precision FPv5 FPU (FPBv2, 8 code
    /// comparators, 16 KB caches).
    fn core_config(&self) -> sim_core::Config {
        sim_core::Config::cortex_m7_dp()
    }

    fn factory(&self, variant: Variant) -> Box<dyn FamilyModel> {
        let flash = Flash::new(variant, OptionStore::factory(&variant));
        Box::new(F7Model::new(variant, flash))
    }

    /// `optcr`/`optcr1` and the OTP area.
    fn restore(
        &self,
        variant: Variant,
        file: &serde_json::Value,
        halves: [Vec<u8>; 2],
    ) -> Result<ModelBuilder, String> {
        let word = |name: &str| file.get(name).and_then(|v| v.as_u64()).map(|v| v as u32);
        let (Some(optcr), Some(optcr1)) = (word("optcr"), word("optcr1")) else {
            return Err("no optcr/optcr1".into());
        };
        let otp = file
            .get("otp")
            .and_then(|v| v.as_str())
            .and_then(from_hex)
            .filter(|o| o.len() == OTP_BYTES)
            .ok_or("bad OTP")?;
        Ok(Box::new(move || {
            let mut flash = Flash::new(variant, OptionStore { optcr, optcr1 });
            flash.restore(halves, otp);
            Box::new(F7Model::new(variant, flash)) as Box<dyn FamilyModel>
        }))
    }

    fn vcp_uart(&self) -> &'static str {
        "USART3"
    }
}

/// What tests and tools ask of a simulated F7 chip.
pub trait F7Sim {
    /// The option store as programmed (what the next reset loads).
    fn option_store(&self) -> Result<OptionStore, ModelError>;
    /// Sets how long BSY stays set for each FLASH operation.
    fn set_timing(&self, timing: Timing) -> Result<(), ModelError>;
    /// Injects FLASH-controller faults (stuck BSY, error flags on OPTSTRT).
    fn inject_flash_faults(&self, faults: FlashFaults) -> Result<(), ModelError>;
}

impl F7Sim for Simulator {
    fn option_store(&self) -> Result<OptionStore, ModelError> {
        self.with_model(|m: &mut F7Model| m.flash.store())
    }

    fn set_timing(&self, timing: Timing) -> Result<(), ModelError> {
        self.with_model(move |m: &mut F7Model| m.flash.timing = timing)
    }

    fn inject_flash_faults(&self, faults: FlashFaults) -> Result<(), ModelError> {
        self.with_model(move |m: &mut F7Model| m.flash.faults = faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_flash_size_and_dev_id() {
        let zi = Variant::by_name("STM32F767ZI").unwrap();
        assert_eq!(
            (zi.dev_id, zi.flash_kib, has_ndbank(&zi)),
            (0x451, 2048, true)
        );
        let zg = Variant::by_name("stm32f767zgtx").unwrap();
        assert_eq!((zg.name, zg.flash_kib), ("STM32F767ZG", 1024));
        let f779 = Variant::by_name("STM32F779NI").unwrap();
        assert_eq!(f779.flash_kib, 2048);
        let f746 = Variant::by_name("STM32F746ZG").unwrap();
        assert_eq!((f746.dev_id, has_ndbank(&f746)), (0x449, false));
        assert_eq!(zi.idcode() & 0xFFF, 0x451);
    }
}
