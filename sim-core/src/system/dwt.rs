//! The Data Watchpoint and Trace unit (ARMv7-M ARM C1.8; ARMv6-M's DWT has the same comparator
//! layout without CYCCNT): the cycle counter and the address comparators used as watchpoints.
//!
//! What is modelled: DWT_CTRL (NUMCOMP, CYCCNTENA), DWT_CYCCNT (core cycles while DEMCR.TRCENA
//! and CYCCNTENA; it counts while the core sleeps and stops while it is halted, since no cycles
//! pass then), the comparators with FUNCTION 4 (instruction address: halt before the
//! instruction), 5/6/7 (data read / write / either: halt after the accessing instruction) and
//! MATCHED (cleared by reading FUNCTION). Not modelled, and so reported in DWT_CTRL: trace
//! packets (NOTRCPKT = 1) and external triggers (NOEXTTRIG = 1). The profiling counters
//! (CPICNT, EXCCNT, SLEEPCNT, LSUCNT, FOLDCNT) and PCSR read as zero. Data value matching
//! (DATAVMATCH) is stored but never matches: `log` says so when it is set.
//!
//! ARMv6-M (ARMv6-M ARM C1, the DWT; Cortex-M0+ TRM 7.1.3: "data address and PC based
//! watchpoint functionality, a PC sampling register, and … comparator address masking"):
//! DWT_CTRL holds NUMCOMP only, there is no CYCCNT and there are no profiling counters, and
//! DWT_FUNCTION has the FUNCTION field (0000 disabled, 0100 PC, 0101 read, 0110 write, 0111
//! read or write; the other values are reserved and never match here) and MATCHED. DEMCR's bit
//! 24 is called DWTENA there and gates the comparators as TRCENA does.

use crate::config::{Arch, Config};

/// Register offsets from [`BASE`].
pub mod offset {
    pub const CTRL: u32 = 0x000;
    pub const CYCCNT: u32 = 0x004;
    pub const CPICNT: u32 = 0x008;
    pub const FOLDCNT: u32 = 0x018;
    pub const PCSR: u32 = 0x01C;
    pub const COMP0: u32 = 0x020;
    pub const LAR: u32 = 0xFB0;
    pub const LSR: u32 = 0xFB4;
}

pub const BASE: u32 = 0xE000_1000;

/// DWT_CTRL bits (C1.8.7).
pub mod ctrl {
    pub const CYCCNTENA: u32 = 1 << 0;
    pub const NOPRFCNT: u32 = 1 << 24;
    pub const NOCYCCNT: u32 = 1 << 25;
    pub const NOEXTTRIG: u32 = 1 << 26;
    pub const NOTRCPKT: u32 = 1 << 27;
    pub const NUMCOMP_SHIFT: u32 = 28;
    /// The writable enables and tap/preset fields (`[22:16]`, `[12:0]`).
    pub const WRITABLE: u32 = 0x007F_1FFF;
}

/// DWT_FUNCTION fields (C1.8.17).
pub mod function {
    pub const FUNCTION_MASK: u32 = 0xF;
    /// Instruction address match: a watchpoint on the instruction at COMP.
    pub const PC_MATCH: u32 = 0b0100;
    pub const READ: u32 = 0b0101;
    pub const WRITE: u32 = 0b0110;
    pub const ACCESS: u32 = 0b0111;
    pub const CYCMATCH: u32 = 1 << 7;
    pub const DATAVMATCH: u32 = 1 << 8;
    pub const MATCHED: u32 = 1 << 24;
    /// FUNCTION, EMITRANGE, CYCMATCH, DATAVMATCH, DATAVSIZE, DATAVADDR0/1.
    pub const WRITABLE: u32 = 0x000F_FDAF;
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Comparator {
    pub comp: u32,
    pub mask: u32,
    pub function: u32,
}

impl Comparator {
    fn kind(&self) -> u32 {
        if self.function & (function::DATAVMATCH | function::CYCMATCH) != 0 {
            return 0;
        }
        self.function & function::FUNCTION_MASK
    }

    /// Whether `[address, address + size)` touches the compared region (COMP with MASK low
    /// bits ignored).
    fn covers(&self, address: u32, size: u32) -> bool {
        let ignore = if self.mask >= 32 {
            u32::MAX
        } else {
            (1u32 << self.mask) - 1
        };
        let low = self.comp & !ignore;
        let high = low | ignore;
        let end = address.wrapping_add(size - 1);
        address <= high && end >= low
    }
}

#[derive(Debug, Clone)]
pub struct Dwt {
    ctrl: u32,
    /// CYCCNT at core cycle `cyccnt_at`, while counting; the held value otherwise.
    cyccnt: u32,
    cyccnt_at: u64,
    counting: bool,
    pub comparators: Vec<Comparator>,
    /// A data comparator matched since the last look (a watchpoint debug event).
    pub data_hit: bool,
    has_cyccnt: bool,
    /// ARMv6-M's reduced register set (see the module documentation).
    armv6m: bool,
}

impl Dwt {
    pub fn new(config: &Config) -> Dwt {
        let v6 = config.arch == Arch::V6M;
        // ARMv6-M's DWT_CTRL has no NO* feature bits: everything but NUMCOMP is reserved.
        let fixed = if v6 {
            0
        } else {
            ctrl::NOTRCPKT | ctrl::NOEXTTRIG
        };
        Dwt {
            ctrl: fixed | (u32::from(config.dwt_comparators.min(15)) << ctrl::NUMCOMP_SHIFT),
            cyccnt: 0,
            cyccnt_at: 0,
            counting: false,
            comparators: vec![Comparator::default(); usize::from(config.dwt_comparators.min(15))],
            data_hit: false,
            has_cyccnt: !v6,
            armv6m: v6,
        }
    }

    /// Power-on reset (a system reset leaves the DWT alone, C1.4).
    pub fn reset(&mut self, config: &Config) {
        *self = Dwt::new(config);
    }

    /// CYCCNT now.
    pub fn cyccnt(&self, now: u64) -> u32 {
        if self.counting {
            self.cyccnt
                .wrapping_add(now.wrapping_sub(self.cyccnt_at) as u32)
        } else {
            self.cyccnt
        }
    }

    /// Re-decides whether CYCCNT counts (DWT_CTRL.CYCCNTENA and DEMCR.TRCENA), keeping its
    /// value.
    pub fn update_counting(&mut self, trcena: bool, now: u64) {
        self.cyccnt = self.cyccnt(now);
        self.cyccnt_at = now;
        self.counting = self.has_cyccnt && trcena && self.ctrl & ctrl::CYCCNTENA != 0;
    }

    /// A register read; `offset` is from [`BASE`], word aligned.
    pub fn read(&mut self, offset: u32, now: u64) -> u32 {
        match offset {
            offset::CTRL => self.ctrl,
            offset::CYCCNT if self.has_cyccnt => self.cyccnt(now),
            offset::COMP0..=0x2FC => {
                let index = ((offset - offset::COMP0) / 16) as usize;
                let Some(c) = self.comparators.get_mut(index) else {
                    return 0;
                };
                match (offset - offset::COMP0) % 16 {
                    0 => c.comp,
                    4 => c.mask,
                    8 => {
                        // MATCHED clears when FUNCTION is read (C1.8.17).
                        let value = c.function;
                        c.function &= !function::MATCHED;
                        value
                    }
                    _ => 0,
                }
            }
            // Profiling counters and PCSR read as zero (not modelled); no software lock
            // (LSR.SLI = 0).
            _ => 0,
        }
    }

    /// A register's value without the read's side effect (MATCHED stays set).
    pub fn read_peek(&self, offset: u32, now: u64) -> u32 {
        match offset {
            offset::COMP0..=0x2FC => {
                let index = ((offset - offset::COMP0) / 16) as usize;
                let Some(c) = self.comparators.get(index) else {
                    return 0;
                };
                match (offset - offset::COMP0) % 16 {
                    0 => c.comp,
                    4 => c.mask,
                    8 => c.function,
                    _ => 0,
                }
            }
            offset::CTRL => self.ctrl,
            offset::CYCCNT if self.has_cyccnt => self.cyccnt(now),
            _ => 0,
        }
    }

    /// A register write (lanes already merged by the caller). Returns whether the
    /// comparators changed (the core re-decides which checks it makes).
    pub fn write(&mut self, offset: u32, value: u32, trcena: bool, now: u64) -> bool {
        match offset {
            offset::CTRL => {
                let writable = if self.armv6m { 0 } else { ctrl::WRITABLE };
                let fixed = self.ctrl & !writable;
                self.ctrl = fixed | (value & writable);
                self.update_counting(trcena, now);
                false
            }
            offset::CYCCNT if self.has_cyccnt => {
                self.cyccnt = value;
                self.cyccnt_at = now;
                false
            }
            offset::COMP0..=0x2FC => {
                let index = ((offset - offset::COMP0) / 16) as usize;
                let Some(c) = self.comparators.get_mut(index) else {
                    return false;
                };
                match (offset - offset::COMP0) % 16 {
                    0 => c.comp = value,
                    4 => c.mask = value & 0x1F,
                    8 => {
                        let writable = if self.armv6m {
                            function::FUNCTION_MASK
                        } else {
                            function::WRITABLE
                        };
                        c.function = (c.function & function::MATCHED) | (value & writable);
                        if c.function & function::DATAVMATCH != 0 {
                            log::warn!(
                                "DWT comparator {index}: data value matching is not modelled; it never matches"
                            );
                        }
                    }
                    _ => return false,
                }
                true
            }
            _ => false,
        }
    }

    /// Whether any comparator watches data accesses.
    pub fn watches_data(&self) -> bool {
        self.comparators.iter().any(|c| {
            matches!(
                c.kind(),
                function::READ | function::WRITE | function::ACCESS
            )
        })
    }

    /// Whether any comparator watches instruction addresses.
    pub fn watches_code(&self) -> bool {
        self.comparators
            .iter()
            .any(|c| c.kind() == function::PC_MATCH)
    }

    /// A data access of the core: sets MATCHED on each comparator it matches and records the
    /// hit. Returns whether anything matched.
    pub fn match_data(&mut self, address: u32, size: u32, write: bool) -> bool {
        let mut hit = false;
        for c in &mut self.comparators {
            let wanted = match c.kind() {
                function::READ => !write,
                function::WRITE => write,
                function::ACCESS => true,
                _ => false,
            };
            if wanted && c.covers(address, size) {
                c.function |= function::MATCHED;
                hit = true;
            }
        }
        self.data_hit |= hit;
        hit
    }

    /// The instruction at `pc` is about to execute: sets MATCHED on instruction-address
    /// comparators that match it. Returns whether any did.
    pub fn match_code(&mut self, pc: u32) -> bool {
        let mut hit = false;
        for c in &mut self.comparators {
            if c.kind() == function::PC_MATCH && c.covers(pc, 2) {
                c.function |= function::MATCHED;
                hit = true;
            }
        }
        hit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ctrl_reports_numcomp_and_what_is_not_modelled() {
        let mut dwt = Dwt::new(&Config::cortex_m4f());
        let value = dwt.read(offset::CTRL, 0);
        assert_eq!(value >> 28, 4);
        assert_ne!(value & ctrl::NOTRCPKT, 0);
        assert_eq!(value & ctrl::NOCYCCNT, 0);
    }

    #[test]
    fn cyccnt_counts_only_with_trcena_and_cyccntena() {
        let mut dwt = Dwt::new(&Config::cortex_m7_dp());
        dwt.write(offset::CTRL, ctrl::CYCCNTENA, false, 10);
        assert_eq!(dwt.cyccnt(1000), 0);
        dwt.update_counting(true, 1000);
        assert_eq!(dwt.cyccnt(1500), 500);
        dwt.write(offset::CYCCNT, 0xFFFF_FFFF, true, 1500);
        assert_eq!(dwt.cyccnt(1502), 1);
        dwt.update_counting(false, 1600);
        assert_eq!(dwt.cyccnt(5000), 99);
    }

    #[test]
    fn data_comparator_matches_masked_range_and_matched_clears_on_read() {
        let mut dwt = Dwt::new(&Config::cortex_m4f());
        let f1 = offset::COMP0 + 16 + 8;
        dwt.write(offset::COMP0 + 16, 0x2000_0104, true, 0);
        dwt.write(offset::COMP0 + 16 + 4, 2, true, 0); // ignore address bits [1:0]
        dwt.write(f1, function::WRITE, true, 0);
        assert!(!dwt.match_data(0x2000_0104, 4, false)); // a read: not watched
        assert!(!dwt.match_data(0x2000_0108, 4, true));
        assert!(dwt.match_data(0x2000_0106, 1, true));
        assert_eq!(dwt.read(f1, 0) & function::MATCHED, function::MATCHED);
        assert_eq!(dwt.read(f1, 0) & function::MATCHED, 0);
        // A word write starting below the watched word but overlapping it.
        assert!(dwt.match_data(0x2000_0102, 4, true));
    }
}
