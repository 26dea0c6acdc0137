//! The DSP extension of ARMv7E-M (ARMv7-M ARM A5.3, the instructions marked "DSP").
//!
//! SKELETON: claims nothing until this group is written.

use crate::config::Config;
use crate::instr::Instr;

/// Decodes a 32-bit encoding if it is a DSP-extension instruction on a core that has the
/// extension; `None` otherwise.
pub fn decode32(_hw1: u16, _hw2: u16, _config: &Config) -> Option<Instr> {
    None
}
