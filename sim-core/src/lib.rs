//! The Cortex-M core that runs firmware inside stm32-opts' simulated chips: ARMv6-M, ARMv7-M and
//! ARMv7E-M with the DSP and floating-point extensions, the exception model with priorities,
//! the System Control Space, SysTick, DWT, FPB and halting debug.
//!
//! Written from the ARMv7-M and ARMv6-M Architecture Reference Manuals (section numbers in the
//! comments are DDI0403E's) and the facts in the project's reference notes, not from another
//! emulator. A chip embeds a [`Core`] with a [`Config`] and answers its [`Bus`].
//!
//! Layout: [`core`] (registers, fetch/decode/execute of one instruction), [`decode`] (routing
//! and the decode cache), the instruction groups [`thumb16`], [`thumb32`], [`dsp`], [`fp`],
//! the shared arithmetic [`alu`], and [`system`] (system registers, exceptions, debug, run).

pub mod alu;
pub mod bus;
pub mod config;
pub mod core;
pub mod decode;
pub mod dsp;
pub mod fp;
pub mod instr;
pub mod int;
pub mod regs;
pub mod system;
pub mod thumb16;
pub mod thumb32;

pub use crate::bus::{Bus, BusError, Initiator};
pub use crate::config::{Arch, Config, Fpu};
pub use crate::core::{Core, Executed, Mem};
pub use crate::instr::{Instr, Ops, Trap};
pub use crate::system::{HaltReason, Stop};
