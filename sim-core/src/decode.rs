//! Instruction decoding: which group an encoding belongs to, and a cache of decoded encodings.
//!
//! Decoding depends only on the encoding and the core's [`Config`], never on state, so the
//! cache is keyed by the encoding itself: code that is rewritten (flash programmed, RAM
//! loaded) needs no invalidation.
//!
//! Routing of 32-bit encodings (ARMv7-M ARM A5.3): the DSP extension's encodings
//! ([`crate::dsp::decode32`]) and the floating-point extension's coprocessor 10/11 encodings
//! ([`crate::fp::decode32`]) are offered first; each claims exactly its own encodings and
//! answers `None` for everything else, including on a core that lacks the extension (where
//! the integer decoder then yields UNDEFINED, or NOCP for coprocessor space).

use crate::config::Config;
use crate::core::is_32bit;
use crate::instr::Instr;

/// Decodes one instruction. `hw2` is ignored for 16-bit encodings.
pub fn decode(hw1: u16, hw2: u16, config: &Config) -> Instr {
    if !is_32bit(hw1) {
        return crate::thumb16::decode(hw1, config);
    }
    if let Some(instr) = crate::dsp::decode32(hw1, hw2, config) {
        return instr;
    }
    if let Some(instr) = crate::fp::decode32(hw1, hw2, config) {
        return instr;
    }
    crate::thumb32::decode(hw1, hw2, config)
}

const CACHE_BITS: u32 = 13;
const CACHE_SIZE: usize = 1 << CACHE_BITS;

/// A direct-mapped cache of decoded instructions, keyed by the encoding.
pub struct DecodeCache {
    entries: Box<[Option<(u32, Instr)>]>,
}

impl Default for DecodeCache {
    fn default() -> Self {
        Self::new()
    }
}

impl DecodeCache {
    pub fn new() -> DecodeCache {
        DecodeCache {
            entries: vec![None; CACHE_SIZE].into_boxed_slice(),
        }
    }

    #[inline]
    pub fn get(&mut self, hw1: u16, hw2: u16, config: &Config) -> Instr {
        let key = u32::from(hw1) | (u32::from(hw2) << 16);
        let slot = (key.wrapping_mul(0x9E37_79B1) >> (32 - CACHE_BITS)) as usize;
        if let Some((k, instr)) = &self.entries[slot] {
            if *k == key {
                return *instr;
            }
        }
        let instr = decode(hw1, hw2, config);
        self.entries[slot] = Some((key, instr));
        instr
    }
}
