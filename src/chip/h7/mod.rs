//! Chip facts for the single-core STM32H74x/H75x (RM0433: STM32H742, H743, H750, H753; DEV_ID
//! 0x450). Pure data and functions, no I/O, in the shape of the G4 facts: registers, OPTSR
//! fields with typed meanings, the PRAR/SCAR/WPSN/BOOT images, sector geometry with the bank
//! swap in both terms (logical address ↔ physical bank and sector), part detection, the option
//! sequence as data, dangers.
//!
//! How the H74x/H75x differ from the F7 and G4 for a tool (reference §9):
//! - two register sets, one per **physical** bank (KEYRx/CRx/SRx/CCRx, bank 2 at +0x100); LOCK
//!   is bit 0 of CRx; status flags clear through CCRx, not by writing SRx;
//! - programming is by 256-bit flash words through a write buffer (WBNE, QW, FW);
//! - options are `*_CUR`/`*_PRG` pairs: write `*_PRG`, OPTSTART, poll OPTSR_CUR.OPT_BUSY, check
//!   OPTCHANGEERR, relock; **no OBL_LAUNCH** — the bank swap takes effect at the next reset;
//! - SWAP_BANK_OPT (OPTSR bit 31) exchanges 0x0800_0000 and 0x0810_0000, while erase and the
//!   register sets keep naming physical banks;
//! - the debugger reads DBGMCU at 0xE00E_1000 through access port 2.
//!
//! Sources: the reference sheet §0/§9/§11–13, CMSIS-H7 `stm32h743xx.h` (+`h742`, `h750`,
//! `h753`) at the reference's snapshot `13ba9da7` for the bits the sheet does not list,
//! HAL-H7 `6f5e35e3` for value meanings and encodings, probe-rs 0.32 `STM32H7_Series.yaml` and
//! `vendor/st/sequences/stm32h7.rs` for names, regions, algorithms and the access port.

pub mod dangers;
pub mod fields;
pub mod geometry;
pub mod identity;
pub mod options;
pub mod part;
pub mod registers;
pub mod sequence;

pub use dangers::{assess, AreaKind, Danger, Refusal};
pub use fields::{FieldRefusal, Meaning, OptsrField, FACTORY_OPTSR};
pub use geometry::{
    BankPlacement, BankSwap, H7Layout, LogicalBank, PhysicalBank, PhysicalLocation, Sector,
};
pub use options::{H7Options, ProtectedArea};
pub use part::{H7Line, H7Part, H7PartError};
pub use sequence::{option_sequence, OptionLoad, OptionStep, OPTION_LOAD};
