//! Fault triage for the Cortex-M cores (M7, M4; the M0+'s ARMv6-M model by [`profile`]): the
//! fault status registers (addresses and bits named as in the ARMv7-M ARM), a pure decoding into
//! a typed diagnosis, reading them from a chip, and the report in words that the CLI and the GDB
//! monitor both print.

pub mod decode;
pub mod lockup;
pub mod profile;
pub mod read;
pub mod registers;
pub mod report;
pub mod vector_catch;

pub use decode::{diagnose, Diagnosis, FaultClass, FaultRegisters};
pub use lockup::Lockup;
pub use profile::Profile;
pub use read::{read, FaultSnapshot, FrameMissing};
