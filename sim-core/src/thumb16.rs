//! The 16-bit Thumb instructions (ARMv7-M ARM A5.2; ARMv6-M ARM A5.2).
//!
//! SKELETON: every encoding decodes as UNDEFINED until this group is written.

use crate::config::Config;
use crate::instr::Instr;

pub fn decode(_hw: u16, _config: &Config) -> Instr {
    Instr::undefined(2)
}
