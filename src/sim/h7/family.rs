//! The H7 family as the simulator registers it: the parts it simulates (the single-core
//! STM32H742/H743/H753 with 1 or 2 MB; the H750's one-bank flash is not modelled), their
//! identity, the Cortex-M7 core, the model fresh and from a state file, the seam to the chip
//! ([`FamilyModel`]) and what tests ask of an H7 chip.

use std::any::Any;
use std::time::Instant;

use serde::Deserialize;

use crate::sim::bus::{BusError, ChipEvent, Initiator, PPB};
use crate::sim::dap::Ack;
use crate::sim::family::{FamilyModel, ModelBuilder, SavedState, SimFamily};
use crate::sim::periph::uart_link::UartLink;
use crate::sim::periph::{BootPeripherals, IrqLines, ResetCause};
use crate::sim::variant::{leak_name, Variant};
use crate::sim::{ModelError, Simulator};

use super::ap2::Ap2Ack;
use super::dbgmcu::{DEV_ID, REV_ID};
use super::{H7Flash, H7Model, H7OptionStore};

/// The H7 family of the simulator.
pub struct H7;

/// The family's object, registered in [`crate::sim::FAMILIES`].
pub static FAMILY: H7 = H7;

/// The access port the H7's system debug bus (DBGMCU at 0xE00E_1000) answers on.
const SYSTEM_DEBUG_AP: u32 = 2;

impl SimFamily for H7 {
    fn name(&self) -> &'static str {
        "STM32H7"
    }

    /// STM32H742/H743 + package letter (A, B, I, V, X, Z) + size letter (G = 1 MB, I = 2 MB)
    /// and STM32H753 with I, as probe-rs names them (`STM32H743ZI`, `STM32H743VG`).
    fn variant(&self, upper: &str) -> Option<Variant> {
        let name = upper.get(..11)?;
        let line = name.strip_prefix("STM32H7")?.get(..2)?;
        let bytes = name.as_bytes();
        if !matches!(bytes[9], b'A' | b'B' | b'I' | b'V' | b'X' | b'Z') {
            return None;
        }
        let flash_kib = match (line, bytes[10]) {
            ("42" | "43", b'G') => 1024,
            ("42" | "43" | "53", b'I') => 2048,
            _ => return None,
        };
        Some(Variant {
            name: leak_name(name),
            family: &H7,
            dev_id: DEV_ID,
            rev_id: REV_ID,
            flash_kib,
        })
    }

    fn parts(&self) -> &'static str {
        "STM32H742/H743 with size letter G (1 MB) or I (2 MB) and STM32H753xI, e.g. STM32H743ZI or STM32H743ZG"
    }

    /// The H743's Cortex-M7 r1p1 with FPv5-D16 (double precision), 16 KB caches, no bit-band:
    /// the F7's core with the H743's 150 interrupts (CMSIS-H7 `WAKEUP_PIN_IRQn` = 149).
    fn core_config(&self) -> sim_core::Config {
        sim_core::Config {
            irq_count: 150,
            ..sim_core::Config::cortex_m7_dp()
        }
    }

    fn factory(&self, variant: Variant) -> Box<dyn FamilyModel> {
        Box::new(model(variant, H7OptionStore::factory()))
    }

    /// The option store under `h7`; the array as physical bank 1's and bank 2's halves.
    fn restore(
        &self,
        variant: Variant,
        file: &serde_json::Value,
        halves: [Vec<u8>; 2],
    ) -> Result<ModelBuilder, String> {
        let stored = file.get("h7").ok_or("no h7 option store")?;
        let store = H7OptionStore::deserialize(stored).map_err(|e| e.to_string())?;
        Ok(Box::new(move || {
            let mut model = model(variant, store);
            model.flash.restore_array(&halves.concat());
            Box::new(model) as Box<dyn FamilyModel>
        }))
    }

    /// USART3 on the Nucleo-H743ZI; not modelled (see [`NoPeripherals`]).
    fn vcp_uart(&self) -> &'static str {
        "USART3"
    }
}

fn model(variant: Variant, store: H7OptionStore) -> H7Model {
    // `variant` only ever names the two sizes the flash model accepts.
    H7Model::new(variant.flash_kib, store).unwrap_or_else(|e| panic!("{e}"))
}

/// The H7's boot peripherals: none is modelled (RCC, PWR, GPIO and the UARTs read as zero),
/// which is said loudly where it matters: a virtual COM port asked for gets no data.
#[derive(Debug, Default)]
pub struct NoPeripherals;

/// HSI, the core clock after reset (64 MHz on the H743; RCC is not modelled).
const HSI_HZ: u32 = 64_000_000;

impl BootPeripherals for NoPeripherals {
    fn reset(&mut self, _cause: ResetCause) {}

    fn attach_vcp(&mut self, _link: UartLink) {
        log::warn!(
            "sim: the simulated STM32H743 has no UART model; the virtual COM port stays silent"
        );
    }

    fn irq_lines(&self) -> IrqLines {
        [0; 8]
    }

    fn irq_lines_changed(&mut self) -> bool {
        false
    }

    fn core_clock_hz(&self) -> u32 {
        HSI_HZ
    }
}

impl FamilyModel for H7Model {
    fn read(
        &mut self,
        address: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<u32, BusError> {
        if PPB.contains(&address) {
            // The system debug bus (DBGMCU at 0xE00E_1000) as the core's AP reaches it; other
            // debug components the core does not answer read as zero.
            let word = H7Model::read_system_debug(self, address & !3).unwrap_or(0);
            let value = word >> (8 * (address & 3));
            return Ok(match size {
                1 => value & 0xFF,
                2 => value & 0xFFFF,
                _ => value,
            });
        }
        H7Model::read(self, address, size, who, now)
    }

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<(), BusError> {
        if PPB.contains(&address) {
            if size == 4 {
                let _ = H7Model::write_system_debug(self, address, value);
            }
            return Ok(());
        }
        H7Model::write(self, address, value, size, who, now)
    }

    /// Option changes end without a reset on the H7 (no OBL_LAUNCH): nothing for the chip to
    /// do; the swap waits for the next reset.
    fn take_events(&mut self) -> Vec<ChipEvent> {
        for event in H7Model::take_events(self) {
            log::debug!("sim: H7 FLASH {event:?}");
        }
        Vec::new()
    }

    fn system_reset(&mut self, _now: Instant) {
        H7Model::system_reset(self);
    }

    fn power_on(&mut self, _now: Instant) {
        H7Model::power_on_reset(self);
    }

    fn boot_address(&self) -> u32 {
        H7Model::boot_address(self)
    }

    fn debug_port_closed(&self) -> bool {
        H7Model::debug_port_closed(self)
    }

    fn generation(&self) -> u64 {
        H7Model::generation(self)
    }

    fn peripherals(&self) -> &dyn BootPeripherals {
        &self.peripherals
    }

    fn peripherals_mut(&mut self) -> &mut dyn BootPeripherals {
        &mut self.peripherals
    }

    /// Access port 2: the APB-AP to the system debug bus, where probe-rs's STM32H7 sequence
    /// finds DBGMCU_CR. The H743 has no other AP beside the core's.
    fn access_port(&mut self, apsel: u32, read: bool, register: u32, value: u32) -> Option<Ack> {
        (apsel == SYSTEM_DEBUG_AP).then(|| match self.ap2_transfer(read, register, value) {
            Ap2Ack::Ok(value) => Ack::Ok(value),
            Ap2Ack::Fault => Ack::Fault,
        })
    }

    /// The option store under `h7`, the array as physical bank 1's and bank 2's halves.
    fn saved(&self) -> SavedState<'_> {
        let s = H7Model::store(self);
        let array = self.flash.array();
        let (low, high) = array.split_at(array.len() / 2);
        SavedState {
            fields: format!(
                "  \"h7\": {{ \"optsr\": {}, \"prar1\": {}, \"scar1\": {}, \"wpsn1\": {}, \"prar2\": {}, \"scar2\": {}, \"wpsn2\": {}, \"boot\": {} }},\n",
                s.optsr, s.prar1, s.scar1, s.wpsn1, s.prar2, s.scar2, s.wpsn2, s.boot,
            ),
            halves: [low, high],
            tail: String::new(),
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}

/// What tests and tools ask of a simulated H7 chip.
pub trait H7Sim {
    /// The option store as programmed (what the next reset loads).
    fn h7_option_store(&self) -> Result<H7OptionStore, ModelError>;
    /// Whether physical bank 2 is seen at 0x0800_0000 now (the swap loaded at the last reset).
    fn h7_swap_in_force(&self) -> Result<bool, ModelError>;
    /// Runs `f` on the FLASH model (timing, fault injection, inspection).
    fn with_h7_flash<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut H7Flash) -> R + Send + 'static,
    ) -> Result<R, ModelError>;
}

impl H7Sim for Simulator {
    fn h7_option_store(&self) -> Result<H7OptionStore, ModelError> {
        self.with_h7_flash(|flash| flash.store())
    }

    fn h7_swap_in_force(&self) -> Result<bool, ModelError> {
        self.with_h7_flash(|flash| flash.swap_in_force())
    }

    fn with_h7_flash<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut H7Flash) -> R + Send + 'static,
    ) -> Result<R, ModelError> {
        self.with_model(move |m: &mut H7Model| f(&mut m.flash))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h7_names_map_to_parts() {
        let zi = Variant::by_name("stm32h743zitx").unwrap();
        assert_eq!(
            (zi.name, zi.family.name(), zi.dev_id, zi.flash_kib),
            ("STM32H743ZI", "STM32H7", 0x450, 2048)
        );
        assert_eq!(zi.idcode(), 0x2003_0450);
        assert_eq!(Variant::by_name("STM32H743VG").unwrap().flash_kib, 1024);
        assert_eq!(Variant::by_name("STM32H753BI").unwrap().flash_kib, 2048);
        for other in ["STM32H750VB", "STM32H753ZG", "STM32H745ZI", "STM32H743QI", "STM32H7"] {
            assert!(Variant::by_name(other).is_err(), "{other}");
        }
    }
}
