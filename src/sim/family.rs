//! The seam between the common simulator (bus, Cortex-M core, debug port, probe, socket, state,
//! faults) and the one model per chip family.
//!
//! A family registers one [`SimFamily`] in [`FAMILIES`] (the `families!` line of
//! `sim/mod.rs`): which part names it simulates, its Cortex-M core and debug port, and how to
//! make its [`FamilyModel`] — factory-fresh or from a state file. The model owns everything of
//! the chip below the private peripheral bus (memories, FLASH controller and option store, boot
//! peripherals) and the debug registers the core passes on (DBGMCU, wherever the family has
//! it); the bus only hands it the accesses. Each family does this in its own folder
//! (`sim/<family>/`), written from the reference facts.

use std::any::Any;
use std::fmt;
use std::time::Instant;

use super::bus::{BusError, ChipEvent, Initiator};
use super::dap::Ack;
use super::periph::BootPeripherals;
use super::variant::Variant;

/// The non-volatile state of a model, as the state file keeps it.
pub struct SavedState<'a> {
    /// The model's own fields, each a line `  "name": value,` (its option store).
    pub fields: String,
    /// The flash array as two physical halves (the file keeps their non-erased chunks).
    pub halves: [&'a [u8]; 2],
    /// Fields after the flash, each `,\n  "name": value` (the F7's OTP area).
    pub tail: String,
}

/// Builds a family model on the simulator thread (a model holds the chip's serial lines, which
/// stay on that thread): what a state file restores to.
pub type ModelBuilder = Box<dyn FnOnce() -> Box<dyn FamilyModel> + Send>;

/// One family's chip below the private peripheral bus. It lives on the simulator thread.
pub trait FamilyModel {
    /// Reads `size` bytes (1, 2 or 4, aligned) at `address`; the value is right-aligned. Every
    /// address the core does not answer itself comes here.
    fn read(
        &mut self,
        address: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<u32, BusError>;

    /// Writes `size` bytes (1, 2 or 4, aligned) of `value` at `address`.
    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<(), BusError>;

    /// What the chip must do after the last accesses (an option load that resets it).
    fn take_events(&mut self) -> Vec<ChipEvent> {
        Vec::new()
    }

    /// System reset (SYSRESETREQ, NRST): the FLASH interface resets; whether it loads the option
    /// store is the family's.
    fn system_reset(&mut self, now: Instant);

    /// Power-on (and the reset of an option load, which is one): the debug domain's DBGMCU_CR
    /// clears, then as [`FamilyModel::system_reset`].
    fn power_on(&mut self, now: Instant);

    /// Where the core finds its vector table after a reset.
    fn boot_address(&self) -> u32;

    /// RDP level 2 loaded: the debug port no longer answers.
    fn debug_port_closed(&self) -> bool;

    /// Changes whenever the non-volatile content (array, OTP, option store) may have changed.
    fn generation(&self) -> u64;

    /// The boot peripherals (RCC, PWR, GPIO, the virtual COM port UART).
    fn peripherals(&self) -> &dyn BootPeripherals;

    /// The same, to change.
    fn peripherals_mut(&mut self) -> &mut dyn BootPeripherals;

    /// The non-volatile state for the state file.
    fn saved(&self) -> SavedState<'_>;

    /// One transfer to access port `apsel` (not 0, the core's AHB-AP), `register` being the AP
    /// register address (APBANKSEL << 4 | A[3:2]); `None` when the chip has no such access port
    /// (it reads as zero and ignores writes, as an absent AP does).
    fn access_port(
        &mut self,
        _apsel: u32,
        _read: bool,
        _register: u32,
        _value: u32,
    ) -> Option<Ack> {
        None
    }

    /// The model itself, for a test or a tool that knows its family.
    fn as_any_mut(&mut self) -> &mut dyn Any;
}

/// One family the simulator can be.
pub trait SimFamily: Sync {
    /// The family's short name, e.g. `STM32F7`.
    fn name(&self) -> &'static str;

    /// The part a probe-rs target name (upper case, package suffix allowed) is, if this family
    /// simulates it.
    fn variant(&self, upper: &str) -> Option<Variant>;

    /// The parts it simulates, in words, for the refusal of another name.
    fn parts(&self) -> &'static str;

    /// The family's Cortex-M core.
    fn core_config(&self) -> sim_core::Config;

    /// A factory-fresh model of `variant`, as after power-on.
    fn factory(&self, variant: Variant) -> Box<dyn FamilyModel>;

    /// A model of `variant` from a state file (its JSON document and the flash halves), as
    /// after power-on, built when the simulator starts; `Err` says what the file lacks.
    fn restore(
        &self,
        variant: Variant,
        file: &serde_json::Value,
        halves: [Vec<u8>; 2],
    ) -> Result<ModelBuilder, String>;

    /// The UART a Nucleo board wires to its ST-LINK virtual COM port, e.g. `USART3`.
    fn vcp_uart(&self) -> &'static str;

    /// The SW-DP's DPIDR.
    fn dpidr(&self) -> u32 {
        super::dap::DPIDR
    }
}

impl fmt::Debug for dyn SimFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl PartialEq for dyn SimFamily {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name()
    }
}

impl Eq for dyn SimFamily {}

pub use super::FAMILIES;

/// The parts every family simulates, in words.
pub fn simulated_parts() -> String {
    let parts: Vec<&str> = FAMILIES.iter().map(|f| f.parts()).collect();
    match parts.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{}, and {last}", rest.join(", ")),
        _ => parts.join(""),
    }
}
