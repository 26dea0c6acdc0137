//! The floating-point extension (FPv4-SP, FPv5-D16): the coprocessor 10/11 encodings (ARMv7-M
//! ARM A6), CPACR gating, FPSCR, and the FP context rules the exception model needs.
//!
//! SKELETON: claims nothing until this group is written.

use crate::config::Config;
use crate::instr::Instr;

/// Decodes a 32-bit encoding if it is a floating-point instruction (coprocessor 10 or 11
/// space); `None` otherwise.
pub fn decode32(_hw1: u16, _hw2: u16, _config: &Config) -> Option<Instr> {
    None
}
