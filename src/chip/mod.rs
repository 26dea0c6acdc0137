//! Chip facts for STM32F76x/F77x (RM0410): register addresses, typed option-byte fields with
//! their meanings, the stored option-byte layout, sector geometry per bank mode and flash size,
//! and part identification. The facts of STM32G47x/G48x (RM0440) live in [`g4`].
//!
//! Pure data and functions — no I/O. Used by the option-byte engine, the reports and the GDB
//! memory map.

pub mod bitband;
pub mod fields;
pub mod g0;
pub mod g4;
pub mod geometry;
pub mod h7;
pub mod option_area;
pub mod part;
pub mod program_pages;
pub mod registers;

pub use fields::{BorLevel, Field, FieldKind, OptionWords, RdpLevel, Register};
pub use geometry::{BankMode, FlashLayout, Sector};
pub use option_area::OptionArea;
pub use part::{Family, Part, PartError};
