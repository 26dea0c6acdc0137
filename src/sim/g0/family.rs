//! The G0 family as the simulator registers it: the parts it simulates (STM32G0B0/G0B1/G0C1,
//! DEV_ID 0x467), the Cortex-M0+ core, the model fresh and from a state file, the model behind
//! the family seam ([`FamilyModel`]), and what tests ask of a G0 chip.

use std::any::Any;
use std::time::Instant;

use serde::Deserialize;

use crate::sim::bus::{BusError, ChipEvent, Initiator, PPB};
use crate::sim::family::{FamilyModel, ModelBuilder, SavedState, SimFamily};
use crate::sim::periph::uart_link::UartLink;
use crate::sim::periph::{BootPeripherals, IrqLines, ResetCause};
use crate::sim::state::{from_hex, to_hex};
use crate::sim::variant::{leak_name, Variant};
use crate::sim::{ModelError, Simulator};

use super::{G0Event, G0Flash, G0Model, G0OptionStore, G0Peripherals, G0SimPart, DEV_ID, REV_ID};

/// The G0 family of the simulator.
pub struct G0;

/// The family's object, registered in [`crate::sim::FAMILIES`].
pub static FAMILY: G0 = G0;

/// The simulated part a variant of this family is.
fn part_of(variant: &Variant) -> G0SimPart {
    // Every variant of this family was made by `G0::variant` from a name `by_name` accepts.
    G0SimPart::by_name(variant.name).unwrap_or(G0SimPart {
        line: super::G0SimLine::G0x1,
        flash_kib: variant.flash_kib,
    })
}

impl SimFamily for G0 {
    fn name(&self) -> &'static str {
        "STM32G0"
    }

    /// STM32G0B1/G0C1 + pin-count letter + size letter (B = 128 KB on the G0B1, C = 256 KB,
    /// E = 512 KB), STM32G0B0 + pin-count letter + E, as probe-rs names them
    /// (`STM32G0B1RETx`).
    fn variant(&self, upper: &str) -> Option<Variant> {
        if !upper.starts_with("STM32G0") {
            return None;
        }
        let part = G0SimPart::by_name(upper)?;
        Some(Variant {
            name: leak_name(upper.get(..11)?),
            family: &G0,
            dev_id: DEV_ID,
            rev_id: REV_ID,
            flash_kib: part.flash_kib,
        })
    }

    fn parts(&self) -> &'static str {
        "STM32G0B1 with size letter B (128 KB), C (256 KB) or E (512 KB), STM32G0C1xC/xE and STM32G0B0xE, e.g. STM32G0B1RE"
    }

    /// The Cortex-M0+ r0p1 of the G0 (ARMv6-M: BPU with 4 breakpoints, 2 DWT comparators, no
    /// FPU, no bit-banding).
    fn core_config(&self) -> sim_core::Config {
        sim_core::Config::cortex_m0plus()
    }

    fn factory(&self, variant: Variant) -> Box<dyn FamilyModel> {
        Box::new(G0Model::factory(part_of(&variant)))
    }

    /// The option store under `g0`; the array as physical bank 1's and bank 2's halves; the
    /// OTP area under `g0_otp` (hex), when saved.
    fn restore(
        &self,
        variant: Variant,
        file: &serde_json::Value,
        halves: [Vec<u8>; 2],
    ) -> Result<ModelBuilder, String> {
        let stored = file.get("g0").ok_or("no g0 option store")?;
        let store = G0OptionStore::deserialize(stored).map_err(|e| e.to_string())?;
        let otp = match file.get("g0_otp").and_then(|v| v.as_str()) {
            Some(hex) => Some(from_hex(hex).ok_or("g0_otp is not hex")?),
            None => None,
        };
        let part = part_of(&variant);
        Ok(Box::new(move || {
            let mut model = G0Model::new(part, store);
            model.flash.restore_array(&halves.concat());
            if let Some(otp) = otp {
                model.flash.restore_otp(&otp);
            }
            // The array and OTP are restored after the power-on: run the option load's empty
            // check again on the restored content.
            model.flash.power_on_reset();
            Box::new(model) as Box<dyn FamilyModel>
        }))
    }

    fn vcp_uart(&self) -> &'static str {
        "USART2"
    }
}

impl BootPeripherals for G0Peripherals {
    fn reset(&mut self, cause: ResetCause) {
        G0Peripherals::reset(self, cause);
    }

    fn attach_vcp(&mut self, link: UartLink) {
        G0Peripherals::attach_vcp(self, link);
    }

    fn irq_lines(&self) -> IrqLines {
        G0Peripherals::irq_lines(self)
    }

    fn irq_lines_changed(&mut self) -> bool {
        G0Peripherals::irq_lines_changed(self)
    }

    fn core_clock_hz(&self) -> u32 {
        G0Peripherals::core_clock_hz(self)
    }
}

impl FamilyModel for G0Model {
    /// The private peripheral bus holds nothing of the G0 beyond the core's own registers (its
    /// DBG block is at 0x4001_5800, on APB): the rest of it reads as zero.
    fn read(
        &mut self,
        address: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<u32, BusError> {
        if PPB.contains(&address) {
            return Ok(0);
        }
        if address >= super::map::PPB {
            return Err(BusError { address });
        }
        G0Model::read(self, address, size, who, now)
    }

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        _who: Initiator,
        now: Instant,
    ) -> Result<(), BusError> {
        if PPB.contains(&address) {
            return Ok(());
        }
        if address >= super::map::PPB {
            return Err(BusError { address });
        }
        G0Model::write(self, address, value, size, now)
    }

    fn take_events(&mut self) -> Vec<ChipEvent> {
        G0Model::take_events(self)
            .into_iter()
            .map(|event| match event {
                G0Event::OptionLoadReset => ChipEvent::OptionLoadReset,
            })
            .collect()
    }

    /// The FLASH interface locks; the options stay as loaded (only OBL_LAUNCH or a power-on
    /// load them).
    fn system_reset(&mut self, _now: Instant) {
        G0Model::system_reset(self);
    }

    /// The reset of an option load (the options were loaded by OBL_LAUNCH already) or a
    /// power-on of the running chip: the FLASH interface as after a reset. The debug block
    /// clears with the peripherals' reset of cause power-on or option load.
    fn power_on(&mut self, _now: Instant) {
        G0Model::system_reset(self);
    }

    fn boot_address(&self) -> u32 {
        G0Model::boot_address(self)
    }

    fn debug_port_closed(&self) -> bool {
        G0Model::debug_port_closed(self)
    }

    fn generation(&self) -> u64 {
        self.generation
    }

    fn peripherals(&self) -> &dyn BootPeripherals {
        &*self.peripherals
    }

    fn peripherals_mut(&mut self) -> &mut dyn BootPeripherals {
        &mut *self.peripherals
    }

    /// The option store under `g0`, the array as physical bank 1's and bank 2's halves, the OTP
    /// area after the flash.
    fn saved(&self) -> SavedState<'_> {
        let s = self.store();
        let array = self.flash.array();
        let (low, high) = array.split_at(array.len() / 2);
        let otp = to_hex(self.flash.otp());
        SavedState {
            fields: format!(
                "  \"g0\": {{ \"optr\": {}, \"pcrop1asr\": {}, \"pcrop1aer\": {}, \"wrp1ar\": {}, \"wrp1br\": {}, \"pcrop1bsr\": {}, \"pcrop1ber\": {}, \"pcrop2asr\": {}, \"pcrop2aer\": {}, \"wrp2ar\": {}, \"wrp2br\": {}, \"pcrop2bsr\": {}, \"pcrop2ber\": {}, \"secr\": {} }},\n",
                s.optr,
                s.pcrop1asr,
                s.pcrop1aer,
                s.wrp1ar,
                s.wrp1br,
                s.pcrop1bsr,
                s.pcrop1ber,
                s.pcrop2asr,
                s.pcrop2aer,
                s.wrp2ar,
                s.wrp2br,
                s.pcrop2bsr,
                s.pcrop2ber,
                s.secr,
            ),
            halves: [low, high],
            tail: format!(",\n  \"g0_otp\": \"{otp}\""),
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// What tests and tools ask of a simulated G0 chip.
pub trait G0Sim {
    /// The option store as programmed (what the next OBL_LAUNCH or power-on loads).
    fn g0_option_store(&self) -> Result<G0OptionStore, ModelError>;
    /// Runs `f` on the FLASH model (timing, fault injection, inspection); whatever it changes
    /// is saved like any other change.
    fn with_g0_flash<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut G0Flash) -> R + Send + 'static,
    ) -> Result<R, ModelError>;
}

impl G0Sim for Simulator {
    fn g0_option_store(&self) -> Result<G0OptionStore, ModelError> {
        self.with_g0_flash(|flash| flash.store())
    }

    fn with_g0_flash<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut G0Flash) -> R + Send + 'static,
    ) -> Result<R, ModelError> {
        self.with_model(move |m: &mut G0Model| {
            let result = f(&mut m.flash);
            m.generation += 1;
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g0_names_map_to_g0b_g0c_parts() {
        let re = Variant::by_name("stm32g0b1retx").unwrap();
        assert_eq!(
            (re.name, re.family.name(), re.dev_id, re.flash_kib),
            ("STM32G0B1RE", "STM32G0", 0x467, 512)
        );
        assert_eq!(Variant::by_name("STM32G0B1RC").unwrap().flash_kib, 256);
        assert_eq!(Variant::by_name("STM32G0B1KB").unwrap().flash_kib, 128);
        assert_eq!(Variant::by_name("STM32G0C1VE").unwrap().flash_kib, 512);
        assert_eq!(
            part_of(&Variant::by_name("STM32G0B0RE").unwrap()).line,
            super::super::G0SimLine::G0x0
        );
        assert!(Variant::by_name("STM32G0B0RC").is_err());
        assert!(Variant::by_name("STM32G071RB").is_err());
        assert_eq!(re.idcode(), 0x1000_0467);
    }
}
