//! The state of every exception (ARMv7-M ARM B1.5.2–B1.5.4, B3.4): pending and active bits,
//! the enables of the external interrupts and of the configurable faults, priorities (SHPR1–3,
//! NVIC_IPR) with AIRCR.PRIGROUP, the execution priority and the choice of the exception to
//! take next. Nothing here touches registers or memory; [`super::entry`] carries out entry and
//! return.

use crate::config::{Arch, Config};
use crate::regs::Regs;

/// Exception numbers (B1.5.2, Table B1-4).
pub mod number {
    pub const RESET: u16 = 1;
    pub const NMI: u16 = 2;
    pub const HARD_FAULT: u16 = 3;
    pub const MEM_MANAGE: u16 = 4;
    pub const BUS_FAULT: u16 = 5;
    pub const USAGE_FAULT: u16 = 6;
    pub const SVCALL: u16 = 11;
    pub const DEBUG_MONITOR: u16 = 12;
    pub const PENDSV: u16 = 14;
    pub const SYSTICK: u16 = 15;
    /// External interrupt 0; IRQ n is exception 16 + n.
    pub const IRQ0: u16 = 16;
}

/// Bit `n` of a mask over the system exceptions (0 for an external interrupt's number).
#[inline]
pub fn system_bit(n: u16) -> u32 {
    1u32.checked_shl(u32::from(n))
        .filter(|_| n < 16)
        .unwrap_or(0)
}

/// The most external interrupts the architecture allows (ICTR.INTLINESNUM = 15: 496).
pub const MAX_IRQS: usize = 496;
const IRQ_WORDS: usize = MAX_IRQS / 32;

/// SHCSR enable bits of the configurable faults (B3.2.13); kept here because they decide
/// whether a fault is taken or escalates.
pub mod enable {
    pub const MEMFAULTENA: u32 = 1 << 16;
    pub const BUSFAULTENA: u32 = 1 << 17;
    pub const USGFAULTENA: u32 = 1 << 18;
    pub const MASK: u32 = MEMFAULTENA | BUSFAULTENA | USGFAULTENA;
}

/// The priority Thread mode runs at with no mask set: below every configurable priority.
pub const THREAD_PRIORITY: i16 = 256;

/// Pending, active and enabled state and the priorities of all exceptions.
#[derive(Debug, Clone)]
pub struct Exceptions {
    /// Pending and active bits of the system exceptions, bit n = exception n (1–15).
    sys_pending: u32,
    sys_active: u32,
    /// External interrupts: bit n % 32 of word n / 32 is IRQ n.
    irq_enabled: [u32; IRQ_WORDS],
    irq_pending: [u32; IRQ_WORDS],
    irq_active: [u32; IRQ_WORDS],
    /// The interrupt request lines as last sampled from the chip.
    irq_level: [u32; IRQ_WORDS],
    /// Priorities of exceptions 4–15 (SHPR1–3 bytes), only the implemented bits kept.
    shpr: [u8; 12],
    /// NVIC_IPR: one byte per external interrupt.
    ipr: Box<[u8; MAX_IRQS]>,
    /// AIRCR.PRIGROUP.
    pub prigroup: u8,
    /// SHCSR MEMFAULTENA/BUSFAULTENA/USGFAULTENA (in SHCSR bit positions).
    pub fault_enables: u32,
    /// DEMCR.MON_EN: the DebugMonitor exception is enabled.
    pub monitor_enabled: bool,
    irq_count: u16,
    priority_mask: u8,
    arch: Arch,
}

impl Exceptions {
    pub fn new(config: &Config) -> Exceptions {
        Exceptions {
            sys_pending: 0,
            sys_active: 0,
            irq_enabled: [0; IRQ_WORDS],
            irq_pending: [0; IRQ_WORDS],
            irq_active: [0; IRQ_WORDS],
            irq_level: [0; IRQ_WORDS],
            shpr: [0; 12],
            ipr: Box::new([0; MAX_IRQS]),
            prigroup: 0,
            fault_enables: 0,
            monitor_enabled: false,
            irq_count: config.irq_count.min(MAX_IRQS as u16),
            priority_mask: priority_mask(config),
            arch: config.arch,
        }
    }

    /// Number of external interrupts.
    pub fn irq_count(&self) -> u16 {
        self.irq_count
    }

    /// Whether `number` names an exception this core has.
    pub fn exists(&self, number: u16) -> bool {
        use number::*;
        match number {
            NMI | HARD_FAULT | SVCALL | PENDSV | SYSTICK => true,
            MEM_MANAGE | BUS_FAULT | USAGE_FAULT | DEBUG_MONITOR => self.arch != Arch::V6M,
            n if n >= IRQ0 => n - IRQ0 < self.irq_count,
            _ => false,
        }
    }

    // ---- pending, active, enabled ----

    pub fn is_pending(&self, number: u16) -> bool {
        if number < number::IRQ0 {
            self.sys_pending & (1 << number) != 0
        } else {
            let irq = usize::from(number - number::IRQ0);
            self.irq_pending[irq / 32] & (1 << (irq % 32)) != 0
        }
    }

    /// Makes `number` pending; returns whether it was not pending before. Numbers the core does
    /// not have are ignored.
    pub fn set_pending(&mut self, number: u16) -> bool {
        if !self.exists(number) {
            return false;
        }
        let was = self.is_pending(number);
        if number < number::IRQ0 {
            self.sys_pending |= 1 << number;
        } else {
            let irq = usize::from(number - number::IRQ0);
            self.irq_pending[irq / 32] |= 1 << (irq % 32);
        }
        !was
    }

    pub fn clear_pending(&mut self, number: u16) {
        if number < number::IRQ0 {
            self.sys_pending &= !(1 << number);
        } else if number - number::IRQ0 < self.irq_count {
            let irq = usize::from(number - number::IRQ0);
            self.irq_pending[irq / 32] &= !(1 << (irq % 32));
        }
    }

    pub fn is_active(&self, number: u16) -> bool {
        if number < number::IRQ0 {
            self.sys_active & (1 << number) != 0
        } else {
            let irq = usize::from(number - number::IRQ0);
            irq < MAX_IRQS && self.irq_active[irq / 32] & (1 << (irq % 32)) != 0
        }
    }

    pub fn set_active(&mut self, number: u16, active: bool) {
        if number < number::IRQ0 {
            if active {
                self.sys_active |= 1 << number;
            } else {
                self.sys_active &= !(1 << number);
            }
        } else if number - number::IRQ0 < self.irq_count {
            let irq = usize::from(number - number::IRQ0);
            if active {
                self.irq_active[irq / 32] |= 1 << (irq % 32);
            } else {
                self.irq_active[irq / 32] &= !(1 << (irq % 32));
            }
        }
    }

    /// ExceptionActiveBitCount() (B1.5.8).
    pub fn active_count(&self) -> u32 {
        self.sys_active.count_ones() + self.irq_active.iter().map(|w| w.count_ones()).sum::<u32>()
    }

    /// Clears every active bit (AIRCR.VECTCLRACTIVE, reset).
    pub fn clear_all_active(&mut self) {
        self.sys_active = 0;
        self.irq_active = [0; IRQ_WORDS];
    }

    /// Whether a configurable fault (MemManage, BusFault, UsageFault) is enabled in SHCSR;
    /// other exceptions are always enabled (B3.2.13).
    pub fn fault_enabled(&self, number: u16) -> bool {
        match number {
            number::MEM_MANAGE => self.fault_enables & enable::MEMFAULTENA != 0,
            number::BUS_FAULT => self.fault_enables & enable::BUSFAULTENA != 0,
            number::USAGE_FAULT => self.fault_enables & enable::USGFAULTENA != 0,
            _ => true,
        }
    }

    // ---- NVIC words (32 interrupts each) ----

    fn irq_word_mask(&self, word: usize) -> u32 {
        let first = word * 32;
        let count = usize::from(self.irq_count);
        if first >= count {
            0
        } else if count - first >= 32 {
            u32::MAX
        } else {
            (1u32 << (count - first)) - 1
        }
    }

    pub fn enabled_word(&self, word: usize) -> u32 {
        self.irq_enabled.get(word).copied().unwrap_or(0)
    }

    pub fn pending_word(&self, word: usize) -> u32 {
        self.irq_pending.get(word).copied().unwrap_or(0)
    }

    pub fn active_word(&self, word: usize) -> u32 {
        self.irq_active.get(word).copied().unwrap_or(0)
    }

    /// NVIC_ISER / NVIC_ICER.
    pub fn enable_word(&mut self, word: usize, bits: u32, enable: bool) {
        let mask = self.irq_word_mask(word);
        if let Some(w) = self.irq_enabled.get_mut(word) {
            if enable {
                *w |= bits & mask;
            } else {
                *w &= !bits;
            }
        }
    }

    /// NVIC_ISPR: returns the interrupts that became pending.
    pub fn set_pending_word(&mut self, word: usize, bits: u32) -> u32 {
        let mask = self.irq_word_mask(word);
        match self.irq_pending.get_mut(word) {
            Some(w) => {
                let new = bits & mask & !*w;
                *w |= bits & mask;
                new
            }
            None => 0,
        }
    }

    /// NVIC_ICPR. A level-sensitive line still asserted keeps its interrupt pending (B3.4.1:
    /// the NVIC samples the asserted line again at once).
    pub fn clear_pending_word(&mut self, word: usize, bits: u32) {
        if let (Some(w), Some(level)) = (self.irq_pending.get_mut(word), self.irq_level.get(word)) {
            *w &= !(bits & !level);
        }
    }

    /// Takes the chip's interrupt request lines (level-sensitive, B3.4.1): an asserted line makes
    /// its interrupt pending unless it is active; a line that rises while its interrupt is
    /// active pends it again. Returns whether any interrupt became pending.
    pub fn sample_lines(&mut self, lines: &[u32; 8]) -> bool {
        let mut any = false;
        for (word, &line) in lines.iter().enumerate().take(IRQ_WORDS) {
            let level = line & self.irq_word_mask(word);
            let rising = level & !self.irq_level[word];
            self.irq_level[word] = level;
            let new = ((level & !self.irq_active[word]) | rising) & !self.irq_pending[word];
            self.irq_pending[word] |= new;
            any |= new != 0;
        }
        any
    }

    /// Whether anything at all is pending (the run loop's quick test).
    #[inline]
    pub fn any_pending(&self) -> bool {
        self.sys_pending != 0 || self.any_irq_pending()
    }

    /// Whether any external interrupt is pending (ICSR.ISRPENDING).
    #[inline]
    pub fn any_irq_pending(&self) -> bool {
        let words = usize::from(self.irq_count).div_ceil(32);
        self.irq_pending[..words].iter().fold(0, |acc, &w| acc | w) != 0
    }

    // ---- priorities ----

    /// The implemented bits of a priority byte.
    pub fn priority_mask(&self) -> u8 {
        self.priority_mask
    }

    /// An NVIC_IPR byte.
    pub fn irq_priority(&self, irq: usize) -> u8 {
        if irq < usize::from(self.irq_count) {
            self.ipr[irq]
        } else {
            0
        }
    }

    pub fn set_irq_priority(&mut self, irq: usize, value: u8) {
        if irq < usize::from(self.irq_count) {
            self.ipr[irq] = value & self.priority_mask;
        }
    }

    /// A SHPR byte: index 0 is exception 4 (`SHPR1[7:0]`) … index 11 is exception 15.
    pub fn handler_priority(&self, index: usize) -> u8 {
        self.shpr.get(index).copied().unwrap_or(0)
    }

    /// Writes a SHPR byte; bytes of exceptions the core does not have are RAZ/WI.
    pub fn set_handler_priority(&mut self, index: usize, value: u8) {
        let exception = index as u16 + 4;
        let has = match exception {
            number::SVCALL | number::PENDSV | number::SYSTICK => true,
            number::MEM_MANAGE | number::BUS_FAULT | number::USAGE_FAULT => self.arch != Arch::V6M,
            number::DEBUG_MONITOR => self.arch != Arch::V6M,
            _ => false,
        };
        if has {
            if let Some(byte) = self.shpr.get_mut(index) {
                *byte = value & self.priority_mask;
            }
        }
    }

    /// ExceptionPriority(n): fixed -3/-2/-1 for Reset, NMI and HardFault, else the programmed
    /// byte (B1.5.4).
    pub fn priority(&self, number: u16) -> i16 {
        match number {
            number::RESET => -3,
            number::NMI => -2,
            number::HARD_FAULT => -1,
            4..=15 => i16::from(self.shpr[usize::from(number - 4)]),
            n if n >= number::IRQ0 => i16::from(self.irq_priority(usize::from(n - number::IRQ0))),
            // 0 is Thread mode, not an exception.
            _ => THREAD_PRIORITY,
        }
    }

    /// The group priority of a priority value: the subpriority bits PRIGROUP selects are
    /// cleared (B1.5.4); negative fixed priorities are their own group.
    pub fn group_priority(&self, priority: i16) -> i16 {
        if priority < 0 {
            return priority;
        }
        let group_value = 2i16 << self.prigroup;
        priority - priority % group_value
    }

    /// ExecutionPriority() (B1.5.4): the group priority of the most urgent active exception,
    /// boosted by BASEPRI, PRIMASK (to 0) and FAULTMASK (to -1).
    pub fn execution_priority(&self, regs: &Regs) -> i16 {
        self.execution_priority_masked(regs, true)
    }

    /// The execution priority, with or without the effect of PRIMASK (WFI wakes on an
    /// exception that would preempt if PRIMASK were clear, B1.5.19; VECTPENDING ignores it).
    pub fn execution_priority_masked(&self, regs: &Regs, with_primask: bool) -> i16 {
        let highest = self.group_priority(self.highest_active_priority());
        let boost = self.boost(regs, with_primask);
        highest.min(boost)
    }

    /// The priority the mask registers boost execution to (THREAD_PRIORITY when none).
    pub fn boost(&self, regs: &Regs, with_primask: bool) -> i16 {
        let mut boost = THREAD_PRIORITY;
        if regs.basepri != 0 {
            boost = self.group_priority(i16::from(regs.basepri));
        }
        if with_primask && regs.primask {
            boost = 0;
        }
        if regs.faultmask {
            boost = -1;
        }
        boost
    }

    fn highest_active_priority(&self) -> i16 {
        let mut highest = THREAD_PRIORITY;
        let mut sys = self.sys_active;
        while sys != 0 {
            let n = sys.trailing_zeros() as u16;
            sys &= sys - 1;
            highest = highest.min(self.priority(n));
        }
        for (word, &bits) in self.irq_active.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let irq = word * 32 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                highest = highest.min(i16::from(self.irq_priority(irq)));
            }
        }
        highest
    }

    /// The pending exception with the most urgent priority (then the lowest number), among
    /// those that may be taken: enabled interrupts, enabled faults, and — with `mask_interrupts`
    /// (DHCSR.C_MASKINTS) — no PendSV, SysTick or external interrupt. Returns its number and
    /// priority.
    pub fn most_urgent_pending(&self, mask_interrupts: bool) -> Option<(u16, i16)> {
        let mut best: Option<(u16, i16)> = None;
        let mut consider = |n: u16, p: i16| {
            if best.is_none_or(|(_, bp)| p < bp) {
                best = Some((n, p));
            }
        };
        let mut sys = self.sys_pending;
        while sys != 0 {
            let n = sys.trailing_zeros() as u16;
            sys &= sys - 1;
            if !self.fault_enabled(n) || (n == number::DEBUG_MONITOR && !self.monitor_enabled) {
                continue;
            }
            if mask_interrupts && n >= number::PENDSV {
                continue;
            }
            consider(n, self.priority(n));
        }
        if !mask_interrupts {
            for word in 0..IRQ_WORDS {
                let mut bits = self.irq_pending[word] & self.irq_enabled[word];
                while bits != 0 {
                    let irq = word * 32 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    consider(number::IRQ0 + irq as u16, i16::from(self.ipr[irq]));
                }
            }
        }
        best
    }

    /// The exception to take now, if one preempts execution priority `execution`.
    pub fn preempting(&self, execution: i16, mask_interrupts: bool) -> Option<u16> {
        let (n, p) = self.most_urgent_pending(mask_interrupts)?;
        (self.group_priority(p) < execution).then_some(n)
    }

    /// Whether exception `number`, made pending now, would be taken at once: it is enabled
    /// and its group priority is more urgent than the execution priority (the test for a
    /// synchronous exception, B1.5.4; failing it escalates to HardFault).
    pub fn can_preempt(&self, number: u16, regs: &Regs) -> bool {
        self.fault_enabled(number)
            && self.group_priority(self.priority(number)) < self.execution_priority(regs)
    }

    /// Clears every pending and active bit, enable and priority (reset).
    pub fn reset(&mut self) {
        let irq_count = self.irq_count;
        let priority_mask = self.priority_mask;
        let arch = self.arch;
        let level = self.irq_level;
        *self = Exceptions {
            sys_pending: 0,
            sys_active: 0,
            irq_enabled: [0; IRQ_WORDS],
            irq_pending: [0; IRQ_WORDS],
            irq_active: [0; IRQ_WORDS],
            irq_level: level,
            shpr: [0; 12],
            ipr: Box::new([0; MAX_IRQS]),
            prigroup: 0,
            fault_enables: 0,
            monitor_enabled: false,
            irq_count,
            priority_mask,
            arch,
        };
    }
}

/// The implemented bits of an 8-bit priority field (`priority_bits` top bits).
pub fn priority_mask(config: &Config) -> u8 {
    let bits = config.priority_bits.clamp(1, 8);
    (0xFFu16 << (8 - u16::from(bits))) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m4() -> Exceptions {
        Exceptions::new(&Config::cortex_m4f())
    }

    #[test]
    fn group_priority_follows_prigroup() {
        let mut e = m4();
        // PRIGROUP 3: group field [7:4], subpriority [3:0] (B1.5.4 Table B1-7).
        e.prigroup = 3;
        assert_eq!(e.group_priority(0x5F), 0x50);
        // PRIGROUP 5: group [7:6].
        e.prigroup = 5;
        assert_eq!(e.group_priority(0xB0), 0x80);
        // PRIGROUP 7: no group bits, every configurable priority is group 0.
        e.prigroup = 7;
        assert_eq!(e.group_priority(0xF0), 0);
        assert_eq!(e.group_priority(-1), -1);
    }

    #[test]
    fn unimplemented_priority_bits_read_zero() {
        let mut e = m4();
        e.set_irq_priority(0, 0xFF);
        assert_eq!(e.irq_priority(0), 0xF0);
        // Reserved SHPR byte (exception 7) is RAZ/WI.
        e.set_handler_priority(3, 0xFF);
        assert_eq!(e.handler_priority(3), 0);
    }

    #[test]
    fn most_urgent_pending_breaks_ties_by_number() {
        let mut e = m4();
        e.enable_word(0, 0b110, true);
        e.set_irq_priority(1, 0x40);
        e.set_irq_priority(2, 0x40);
        e.set_pending(number::IRQ0 + 2);
        e.set_pending(number::IRQ0 + 1);
        assert_eq!(e.most_urgent_pending(false), Some((17, 0x40)));
        // A disabled interrupt is not taken.
        e.enable_word(0, 0b010, false);
        assert_eq!(e.most_urgent_pending(false), Some((18, 0x40)));
        assert_eq!(e.most_urgent_pending(true), None);
    }

    #[test]
    fn execution_priority_is_the_most_urgent_active_group_with_masks() {
        let mut e = m4();
        let mut regs = Regs::default();
        assert_eq!(e.execution_priority(&regs), THREAD_PRIORITY);
        e.set_irq_priority(3, 0x70);
        e.set_active(number::IRQ0 + 3, true);
        e.prigroup = 5;
        // Group of 0x70 with PRIGROUP 5 is 0x40.
        assert_eq!(e.execution_priority(&regs), 0x40);
        regs.basepri = 0x20;
        assert_eq!(e.execution_priority(&regs), 0x00);
        regs.primask = true;
        assert_eq!(e.execution_priority(&regs), 0);
        assert_eq!(e.execution_priority_masked(&regs, false), 0);
        regs.faultmask = true;
        assert_eq!(e.execution_priority(&regs), -1);
    }

    #[test]
    fn level_lines_pend_inactive_interrupts_and_rising_edges() {
        let mut e = m4();
        let mut lines = [0u32; 8];
        lines[0] = 1 << 5;
        assert!(e.sample_lines(&lines));
        assert!(e.is_pending(number::IRQ0 + 5));
        // Taken: pending cleared, active set; the line is still high.
        e.clear_pending(number::IRQ0 + 5);
        e.set_active(number::IRQ0 + 5, true);
        assert!(!e.sample_lines(&lines));
        assert!(!e.is_pending(number::IRQ0 + 5));
        // Returned with the line still asserted: pending again.
        e.set_active(number::IRQ0 + 5, false);
        assert!(e.sample_lines(&lines));
        assert!(e.is_pending(number::IRQ0 + 5));
        // ICPR cannot clear an asserted level.
        e.clear_pending_word(0, 1 << 5);
        assert!(e.is_pending(number::IRQ0 + 5));
        lines[0] = 0;
        e.sample_lines(&lines);
        e.clear_pending_word(0, 1 << 5);
        assert!(!e.is_pending(number::IRQ0 + 5));
    }

    #[test]
    fn interrupts_beyond_irq_count_do_not_exist() {
        let mut e = m4();
        // The M4F has 102 interrupts: word 3 holds IRQ 96–101 only.
        e.enable_word(3, u32::MAX, true);
        assert_eq!(e.enabled_word(3), 0x3F);
        assert!(!e.set_pending(number::IRQ0 + 102));
    }
}
