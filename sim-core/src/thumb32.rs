//! The 32-bit Thumb-2 instructions of ARMv7-M (A5.3) and the few ARMv6-M has (BL, MRS, MSR,
//! DMB, DSB, ISB, UDF.W), except the DSP extension ([`crate::dsp`]) and the floating-point
//! extension ([`crate::fp`]).
//!
//! SKELETON: every encoding decodes as UNDEFINED until this group is written.

use crate::config::Config;
use crate::instr::Instr;

pub fn decode(_hw1: u16, _hw2: u16, _config: &Config) -> Instr {
    Instr::undefined(4)
}
