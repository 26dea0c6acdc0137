//! The floating-point extension (FPv4-SP on Cortex-M4F, FPv5-D16 with double precision on
//! Cortex-M7): the coprocessor 10/11 encodings (ARMv7-M ARM A6), their execution with the
//! exact arithmetic of the ARM pseudo-code (A2.5), CPACR gating, FPSCR, and the FP context
//! rules the exception model needs.
//!
//! Layout:
//! - [`decode`]: the encodings → [`Instr`] (via [`decode32`]);
//! - [`transfers`], [`dataproc`]: execution of the loads/stores/moves and of the
//!   data-processing instructions;
//! - [`context`]: [`check`] (ExecuteFPCheck: CPACR, lazy preservation, new FP context) and the
//!   FP part of the extended exception frame;
//! - [`fpscr`], [`format`](mod@format), [`round`], [`arith`], [`convert`]: FPSCR and a small exact software
//!   float written from the pseudo-code (FPUnpack, FPRound, FPAdd…, FPToFixed…). The host's
//!   floating point is never used, so results, NaN payloads and flags are ARM's on any host.

pub mod arith;
pub mod context;
pub mod convert;
pub mod dataproc;
pub mod decode;
pub mod format;
pub mod fpscr;
pub mod round;
pub mod transfers;

use crate::config::Config;
use crate::instr::Instr;

pub use context::{caller_saved, check, check_access, restore_caller_saved, FRAME_WORDS};
pub use fpscr::Rounding;

/// Bits of [`crate::instr::Ops::flags`] the FP instructions use. Bits whose meaning depends
/// on the instruction share a position; each exec function documents the ones it reads.
pub mod ops_flags {
    use crate::instr::flags;

    /// Operands are D registers (binary64), or for conversions the `sz` bit of the encoding.
    pub const DP: u8 = flags::GROUP0;
    /// An FPv5 instruction without a condition: UNPREDICTABLE in an IT block.
    pub const UNCONDITIONAL: u8 = flags::GROUP1;
    /// VLDR/VSTR/VLDM/VSTM: add the offset (U = 1).
    pub const ADD: u8 = flags::GROUP2;
    /// Conversions: the integer or fixed-point value is unsigned.
    pub const UNSIGNED: u8 = flags::GROUP2;
    /// VCVTT: the top half of the S register.
    pub const TOP: u8 = flags::GROUP2;
    /// VCMPE: quiet NaNs raise Invalid Operation too.
    pub const QUIET_NAN_EXC: u8 = flags::GROUP2;
    /// VRINTX: raise Inexact.
    pub const EXACT: u8 = flags::GROUP2;
    /// VMINNM (clear: VMAXNM).
    pub const MINIMUM: u8 = flags::GROUP2;
    /// VLDM/VSTM: write the base back.
    pub const WBACK: u8 = flags::GROUP3;
    /// VCMP{E} with #0.0.
    pub const WITH_ZERO: u8 = flags::GROUP3;
}

/// Decodes a 32-bit encoding if it is a floating-point instruction (coprocessor 10 or 11
/// space, including its UNDEFINED encodings, and every such encoding, trapping NOCP, on a
/// core without an FPU); `None` otherwise.
pub fn decode32(hw1: u16, hw2: u16, config: &Config) -> Option<Instr> {
    decode::decode32(hw1, hw2, config)
}
