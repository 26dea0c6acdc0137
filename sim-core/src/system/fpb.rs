//! The Flash Patch and Breakpoint unit (ARMv7-M ARM C1.11; ARMv6-M's BPU has FPBv1's
//! comparator layout): hardware breakpoints on instruction addresses.
//!
//! FPBv1 (`FP_CTRL.REV` 0, Cortex-M3/M4, ARMv6-M BPU): FP_COMPn holds `COMP[28:2]` and REPLACE
//! `[31:30]` (01: the lower half-word of the word, 10: the upper, 11: both; 00 is a remap, which
//! is not a breakpoint) and matches only in the code region (below 0x2000_0000). FPBv2
//! (`FP_CTRL.REV` 1, Cortex-M7): FP_COMPn holds `BPADDR[31:1]` with BE in bit 0. Flash patching
//! (remap) is not modelled, and FP_REMAP says so (RMPSPT = 0).

use crate::config::Config;

pub const BASE: u32 = 0xE000_2000;

pub mod offset {
    pub const CTRL: u32 = 0x000;
    pub const REMAP: u32 = 0x004;
    pub const COMP0: u32 = 0x008;
}

/// FP_CTRL bits (C1.11.3).
pub mod ctrl {
    pub const ENABLE: u32 = 1 << 0;
    /// Must be 1 on a write for the write to take effect.
    pub const KEY: u32 = 1 << 1;
}

/// FPBv1 FP_COMPn fields (C1.11.5).
pub mod comp_v1 {
    pub const ENABLE: u32 = 1 << 0;
    pub const COMP_MASK: u32 = 0x1FFF_FFFC;
    pub const REPLACE_SHIFT: u32 = 30;
    pub const WRITABLE: u32 = 0xDFFF_FFFD;
}

/// The end of the code region, the only one FPBv1 breakpoints match in.
const CODE_REGION_END: u32 = 0x2000_0000;

#[derive(Debug, Clone)]
pub struct Fpb {
    enabled: bool,
    comps: Vec<u32>,
    code_comparators: usize,
    revision: u8,
}

impl Fpb {
    pub fn new(config: &Config) -> Fpb {
        let code = usize::from(config.fpb.code_comparators.min(127));
        let literal = usize::from(config.fpb.literal_comparators.min(15));
        Fpb {
            enabled: false,
            comps: vec![0; code + literal],
            code_comparators: code,
            revision: config.fpb.revision,
        }
    }

    /// Power-on reset (a system reset leaves the FPB alone, C1.4).
    pub fn reset(&mut self) {
        self.enabled = false;
        self.comps.iter_mut().for_each(|c| *c = 0);
    }

    pub fn read(&self, offset: u32) -> u32 {
        match offset {
            offset::CTRL => {
                let code = self.code_comparators as u32;
                let literal = (self.comps.len() - self.code_comparators) as u32;
                (u32::from(self.revision) << 28)
                    | ((code >> 4) << 12)
                    | (literal << 8)
                    | ((code & 0xF) << 4)
                    | u32::from(self.enabled)
            }
            // RMPSPT = 0: no remapping.
            offset::REMAP => 0,
            o if o >= offset::COMP0 => self
                .comps
                .get(((o - offset::COMP0) / 4) as usize)
                .copied()
                .unwrap_or(0),
            _ => 0,
        }
    }

    /// A register write. Returns whether breakpoints changed.
    pub fn write(&mut self, offset: u32, value: u32) -> bool {
        match offset {
            offset::CTRL => {
                if value & ctrl::KEY == 0 {
                    return false;
                }
                self.enabled = value & ctrl::ENABLE != 0;
                true
            }
            o if o >= offset::COMP0 => {
                let writable = if self.revision == 0 {
                    comp_v1::WRITABLE
                } else {
                    u32::MAX
                };
                match self.comps.get_mut(((o - offset::COMP0) / 4) as usize) {
                    Some(c) => {
                        *c = value & writable;
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        }
    }

    /// Whether any breakpoint can match.
    pub fn active(&self) -> bool {
        self.enabled
            && self.comps[..self.code_comparators]
                .iter()
                .any(|c| c & 1 != 0)
    }

    /// Whether a breakpoint matches the instruction at `pc`.
    pub fn matches(&self, pc: u32) -> bool {
        if !self.enabled {
            return false;
        }
        let v1 = self.revision == 0;
        self.comps[..self.code_comparators].iter().any(|&c| {
            if c & 1 == 0 {
                return false;
            }
            if !v1 {
                return c & !1 == pc & !1;
            }
            let upper = pc & 2 != 0;
            let half = match c >> comp_v1::REPLACE_SHIFT {
                0b01 => !upper,
                0b10 => upper,
                0b11 => true,
                _ => false,
            };
            pc < CODE_REGION_END && c & comp_v1::COMP_MASK == pc & comp_v1::COMP_MASK && half
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_reports_comparators_and_needs_key() {
        let mut fpb = Fpb::new(&Config::cortex_m4f());
        assert_eq!(fpb.read(offset::CTRL), (2 << 8) | (6 << 4));
        fpb.write(offset::CTRL, ctrl::ENABLE);
        assert_eq!(fpb.read(offset::CTRL) & 1, 0);
        fpb.write(offset::CTRL, ctrl::ENABLE | ctrl::KEY);
        assert_eq!(fpb.read(offset::CTRL) & 1, 1);
        let m7 = Fpb::new(&Config::cortex_m7_dp());
        assert_eq!(m7.read(offset::CTRL) >> 28, 1);
    }

    #[test]
    fn v1_replace_selects_the_half_word_and_code_region_only() {
        let mut fpb = Fpb::new(&Config::cortex_m4f());
        fpb.write(offset::CTRL, ctrl::ENABLE | ctrl::KEY);
        // Upper half-word of the word at 0x0800_0100.
        fpb.write(offset::COMP0, (0b10 << 30) | 0x0800_0100 | 1);
        assert!(fpb.matches(0x0800_0102));
        assert!(!fpb.matches(0x0800_0100));
        // Bits [31:29] are not compared: 0x2800_0102 is outside the code region anyway.
        assert!(!fpb.matches(0x2800_0102));
    }

    #[test]
    fn v2_compares_bpaddr() {
        let mut fpb = Fpb::new(&Config::cortex_m7_dp());
        fpb.write(offset::CTRL, ctrl::ENABLE | ctrl::KEY);
        fpb.write(offset::COMP0 + 4 * 7, 0x2000_0042 | 1);
        assert!(fpb.matches(0x2000_0042));
        assert!(!fpb.matches(0x2000_0040));
        assert!(fpb.active());
    }
}
