//! Chip facts, one folder per family (`f7/` STM32F76x/F77x and F74x/F75x, RM0410/RM0385;
//! `g4/` STM32G47x/G48x, RM0440), with what every family shares beside them: the bank modes,
//! the unlock keys, the RDP levels, the Cortex-M bit-band alias, the notation of addresses and
//! sizes, the program pages of probe-rs's flash algorithms, and [`family`]: which family a chip
//! is, by its target name or by what it says.
//!
//! Pure data and functions — no I/O. Used by the option-byte engine, the reports, erase and the
//! GDB server.

pub mod bank;
pub mod bitband;
pub mod family;
pub mod keys;
pub mod notation;
pub mod program_pages;
pub mod rdp;

families!(family::ChipFamily: f7, g4, g0, h7);

pub use bank::BankMode;
pub use family::{ChipFamily, DetectError, Detected};
pub use rdp::RdpLevel;
