//! Host-driven flash programming: the host works the FLASH registers through the debug port,
//! for the modes where probe-rs ships no flash algorithm of the right geometry.
//!
//! One folder per family that needs it (`g4/`), used by that family's GDB answers
//! ([`crate::gdb::family::GdbFamily::program_host`]). Protocol-free: the modules take a probe-rs
//! [`probe_rs::MemoryInterface`] (a halted core) and the chip facts of [`crate::chip`]; they
//! know nothing of GDB.

pub mod g4;
