//! Chip facts for STM32G0B0/G0B1/G0C1 (RM0444/RM0454, DEV_ID 0x467): the third family behind
//! the option-byte engine. Pure data and functions, no I/O, in the shape of the G4's facts:
//! registers, OPTR fields with typed meanings, WRP/PCROP/SECR areas, page geometry per
//! DUAL_BANK, nSWAP_BANK and flash size, the logical ↔ physical bank mapping, part
//! identification, dangers.
//!
//! How the G0 differs from the G4 (same "OPTR controller" IP, reference §3 and §7):
//! - DBG_IDCODE is at **0x4001_5800** (APB), not 0xE004_2000; the core is a Cortex-M0+;
//! - OPTR has DUAL_BANK (bit 21, active high) **and** nSWAP_BANK (bit 20, active low): the
//!   banks can be swapped, and then erase bits (BKER at bit 13, MER1/MER2) name the *physical*
//!   bank while addresses follow the swap ([`geometry`]);
//! - 2 KB pages in every mode; bank 2 at 0x0804_0000 on 512 KB parts, at 0x0802_0000 on 256 KB
//!   parts; 128 KB parts are single bank only; bank 2's pages are PNB 256 and up;
//! - FLASH_SR has BSY1, BSY2 and CFGBSY;
//! - new option values load only through FLASH_CR.OBL_LAUNCH (or a power-on), which resets the
//!   chip and drops the debug link — as on the G4;
//! - three lines share DEV_ID 0x467 and differ in their option set ([`part`]).

pub mod dangers;
pub mod fields;
pub mod geometry;
pub mod options;
pub mod part;
pub mod registers;

pub use dangers::{assess, Danger, Refusal};
pub use fields::{Meaning, OptrField, FACTORY_OPTR_G0X0, FACTORY_OPTR_G0X1};
pub use geometry::{G0Layout, LogicalBank, Page, PhysicalBank, PhysicalLocation, Swap};
pub use options::{G0OptionImage, G0Options, PcropArea, WrpArea, WrpVerdict};
pub use part::{G0Detected, G0Line, G0Part, G0PartError, OptionSet};
