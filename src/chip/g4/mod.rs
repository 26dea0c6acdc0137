//! Chip facts for STM32G47x/G48x (RM0440, category 3): the second family behind the option-byte
//! engine. Pure data and functions, no I/O, in the same shape as the F76x/F77x facts one level
//! up: registers, OPTR fields with typed meanings, WRP/PCROP areas, page geometry per DBANK and
//! flash size, part detection, dangers.
//!
//! How G4 differs from F7 for the engine (see docs/architecture.md, "Families"):
//! - the option registers are OPTR + WRP/PCROP/SEC words, unlocked by OPTKEYR **after** KEYR,
//!   committed by FLASH_CR.OPTSTRT;
//! - new values load only through FLASH_CR.OBL_LAUNCH (or a power-on reset), and OBL_LAUNCH
//!   resets the chip and drops the debug link — the engine must re-attach to verify;
//! - DBANK is active high, changes the page size (2 KB ↔ 4 KB) and invalidates the flash.

pub mod dangers;
pub mod fields;
pub mod geometry;
pub mod options;
pub mod part;
pub mod registers;

pub use dangers::{assess, Danger, Refusal};
pub use fields::{Meaning, OptrField, FACTORY_OPTR};
pub use geometry::{AlgorithmFit, G4Layout, Page};
pub use options::{G4OptionImage, G4Options, PcropArea, WrpArea, WrpVerdict};
pub use part::{DbankRefusal, G4Line, G4Part, G4PartError};

/// How a family makes committed option values take effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum LoadMethod {
    /// A system reset loads them (F7).
    SystemReset,
    /// FLASH_CR.OBL_LAUNCH loads them and resets the chip; the write that sets it may not be
    /// acknowledged and the debug link drops (reference §3 step 5, §12.2). A plain system reset
    /// is not known to reload them (UNVERIFIED on G4).
    OblLaunch,
}

/// G4 loads options with OBL_LAUNCH.
pub const LOAD_METHOD: LoadMethod = LoadMethod::OblLaunch;
