//! stm32-opts: set the flash bank mode and the other option bytes of STM32 microcontrollers
//! (STM32F76x/F77x, STM32G47x/G48x) through a debug probe, from the command line or from a live
//! GDB session.
//!
//! Layers, bottom up (see `docs/architecture.md`):
//! - [`chip`]: pure chip facts (registers, typed fields, geometry, part detection). No I/O.
//! - [`family`]: the family value, chosen once, that every layer asks.
//! - [`sim`]: simulated chips (one model per family) that plug underneath probe-rs as a probe.
//! - [`probe`]: opens a probe-rs `Session` from the common options (real probe or simulator), and
//!   names the chip once (detection without `--chip`).
//! - [`socket_probe`]: a probe reached over TCP (probe-rs's Glasgow protocol, `sim-probe`).
//! - [`optbytes`]: the option-byte engine (plan, program, report), shared by the CLI and GDB.
//! - [`erase`]: erasing flash in the live layout, and host-driven programming.
//! - [`rtt`]: SEGGER RTT channels over probe-rs's RTT (search, polling, TCP servers), protocol-free.
//! - [`gdb`]: the GDB remote-protocol server built on gdbstub.
//! - [`semihosting`]: serving a program's ARM semihosting calls (used by [`gdb`]).

/// Declares a layer's family folders and the layer's one list of their objects: each folder
/// `name/` provides `name::FAMILY`, the family's object of the layer's trait. A new family is one
/// more name in each layer's `families!` line (see docs/architecture.md, "Adding a family").
macro_rules! families {
    ($layer:path: $($family:ident),+ $(,)?) => {
        $(pub mod $family;)+

        /// Every family of this layer, one per folder, in registration order (the order in which
        /// detection tries their DBGMCU addresses).
        pub static FAMILIES: &[&dyn $layer] = &[$(&$family::FAMILY),+];
    };
}

pub mod chip;
pub mod erase;
pub mod family;
pub mod fault;
pub mod gdb;
pub mod optbytes;
pub mod probe;
pub mod rtt;
pub mod semihosting;
pub mod sim;
pub mod socket_probe;
