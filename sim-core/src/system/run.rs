//! The run loop: instructions one after the other, and between them what the architecture
//! does between instructions — exceptions taken, time (SysTick, the chip's peripherals, the
//! interrupt lines), watchpoints and breakpoints, sleep, halting.
//!
//! The loop looks at those only when something asked for it (`System::attention`: an
//! exception made pending, a system register written, a mask lowered, an exception return, a
//! watchpoint hit, WFI/WFE) or when time reaches `System::deadline` (every [`TIME_QUANTUM`]
//! cycles, or the cycle SysTick wraps at); otherwise an instruction costs the loop two
//! comparisons.

use crate::bus::Bus;
use crate::core::Core;

use super::debug::dfsr;
use super::exceptions::number;
use super::{HaltReason, Sleep, Stop};

/// Core cycles between two looks at the chip: [`Bus::advance`] and the interrupt lines. An
/// interrupt a peripheral raises is seen at most this many cycles late (0.15 µs at 216 MHz;
/// silicon's own entry latency is about 12 cycles). Measured on an integer loop, looking every
/// 32 cycles costs about 1.5% of the simulator's time, every 16 about 3%.
pub const TIME_QUANTUM: u64 = 32;

impl Core {
    /// Runs up to `budget` instructions (core cycles) and returns why it stopped. Before each
    /// instruction the most urgent pending exception that preempts is taken; a halted,
    /// locked-up or sleeping core returns at once (see [`Stop`]).
    pub fn run(&mut self, bus: &mut dyn Bus, budget: u64) -> Stop {
        // The budget is counted in cycles: one per instruction.
        let end = self.cycles.saturating_add(budget);
        // The chip may have changed lines or registers since the last call: look first.
        self.sys.attention = true;
        let mut limit = 0;
        loop {
            if self.sys.attention || self.cycles >= limit {
                if let Some(stop) = self.service(bus) {
                    self.sync_bus(bus);
                    return stop;
                }
                if self.cycles >= end {
                    self.sync_bus(bus);
                    return Stop::Budget;
                }
                limit = self.sys.deadline.min(end);
            }
            self.execute_one(bus);
        }
    }

    /// Time passes without instructions (the core sleeps and the chip waited): SysTick, DWT
    /// CYCCNT and the chip's peripherals ([`Bus::advance`]) see `cycles` more core cycles.
    pub fn advance_idle(&mut self, bus: &mut dyn Bus, cycles: u64) {
        self.cycles += cycles;
        self.sync_time(bus);
        self.sys.attention = true;
    }

    /// What happens between instructions. `Some` when the core cannot execute now.
    #[inline(never)]
    fn service(&mut self, bus: &mut dyn Bus) -> Option<Stop> {
        if !self.sys.attention {
            // Only time is due: everything else that needs a look sets `attention`.
            self.sync_time(bus);
            if !self.sys.attention && !self.sys.exceptions.any_pending() {
                self.sys.deadline = self.next_deadline();
                return None;
            }
        }
        if let Some(stop) = self.blocked() {
            return Some(stop);
        }
        self.sync_time(bus);
        if std::mem::take(&mut self.sys.dwt.data_hit) {
            self.debug_event_watchpoint();
        }
        if let Some(kind) = self.sys.sleep_request.take() {
            self.request_sleep(kind);
        }
        if let Some(kind) = self.sys.sleep {
            if self.wakes(kind) {
                self.sys.sleep = None;
            }
        }
        if self.sys.sleep.is_none() {
            self.take_pending_exceptions(bus);
        }
        if let Some(stop) = self.blocked() {
            return Some(stop);
        }
        if self.sys.sleep.is_some() {
            // Look again on every call: a line or an event may wake the core.
            self.sys.attention = true;
            return Some(Stop::Sleeping {
                wake_in_cycles: self.wake_in_cycles(),
            });
        }
        self.sys.attention = false;
        self.sys.deadline = self.next_deadline();
        None
    }

    /// The next cycle the loop must look at time: a quantum on, or when SysTick pends.
    fn next_deadline(&self) -> u64 {
        let deadline = self.sys.bus_time + TIME_QUANTUM;
        match self.sys.systick.next_wrap() {
            Some(wrap) if self.sys.systick.tickint() => deadline.min(wrap),
            _ => deadline,
        }
    }

    /// A stop that holds whatever the loop would do: reset request, lockup, Debug state.
    fn blocked(&self) -> Option<Stop> {
        if self.sys.reset_requested {
            return Some(Stop::ResetRequested);
        }
        if let Some(lockup) = &self.sys.lockup {
            return Some(Stop::LockedUp {
                pc: lockup.pc,
                reason: lockup.reason.clone(),
            });
        }
        self.sys.debug.halted.map(Stop::Halted)
    }

    /// One instruction: breakpoint checks, execute, and what it leaves behind (exception
    /// return, a trap taken as a fault or debug event).
    #[inline(always)]
    pub(crate) fn execute_one(&mut self, bus: &mut dyn Bus) {
        let pc = self.regs.r[15];
        // A cycle per attempt, also when a breakpoint stops the instruction (the budget of
        // `run` counts these).
        self.cycles += 1;
        if self.sys.code_watch {
            let skip = self.sys.debug.skip_code_watch_at.take() == Some(pc);
            if !skip && self.code_watch_hit(pc) {
                return;
            }
        }
        match self.step(bus) {
            Ok(_) => {
                self.sys.debug.retire_st = true;
                if let Some(exc_return) = self.pending_exception_return {
                    self.pending_exception_return = None;
                    self.exception_return(bus, exc_return);
                }
            }
            Err(trap) => {
                self.pending_exception_return = None;
                self.sys.sleep_request = None;
                self.take_trap(bus, trap);
            }
        }
    }

    /// FPB and DWT instruction-address comparators against the instruction at `pc`. Returns
    /// whether the instruction must not execute now.
    fn code_watch_hit(&mut self, pc: u32) -> bool {
        if self.sys.fpb.matches(pc) {
            self.debug_event_breakpoint(HaltReason::Breakpoint);
            return true;
        }
        if self.sys.debug.trcena() && self.sys.dwt.match_code(pc) {
            self.debug_event_watchpoint();
            if self.sys.debug.halted.is_some() {
                self.sys.debug.code_break_pc = Some(pc);
                return true;
            }
        }
        false
    }

    /// Runs one debug step from Debug state (DHCSR.C_STEP): a pending exception that
    /// preempts is taken and the step ends on its handler's first instruction; otherwise one
    /// instruction executes (with the fault or SVCall it raises taken), and the core halts.
    pub(crate) fn debug_step(&mut self, bus: &mut dyn Bus) {
        self.sync_time(bus);
        let entered = self.take_pending_exceptions(bus);
        if self.blocked().is_some() {
            return;
        }
        if !entered {
            self.execute_one(bus);
            // WFI and WFE complete without sleeping when stepped.
            self.sys.sleep_request = None;
            if self.blocked().is_some() {
                return;
            }
            if std::mem::take(&mut self.sys.dwt.data_hit) {
                self.debug_event_watchpoint();
                if self.blocked().is_some() {
                    return;
                }
            }
            self.sync_time(bus);
            self.take_synchronous_exceptions(bus);
            if self.blocked().is_some() {
                return;
            }
        }
        self.halt(HaltReason::Step, dfsr::HALTED);
    }

    /// Takes the exceptions the last instruction raised itself (faults, SVCall, DebugMonitor;
    /// NMI as well) but no PendSV, SysTick or interrupt.
    fn take_synchronous_exceptions(&mut self, bus: &mut dyn Bus) {
        while self.blocked().is_none() {
            let execution = self.sys.execution_priority(&self.regs);
            let Some(n) = self.sys.exceptions.preempting(execution, true) else {
                break;
            };
            self.exception_entry(bus, n);
        }
    }

    /// Tells the bus the cycles that passed, samples the interrupt lines when they changed,
    /// and brings SysTick up to date.
    pub(crate) fn sync_time(&mut self, bus: &mut dyn Bus) {
        self.sync_bus(bus);
        let stale = std::mem::take(&mut self.sys.lines_stale);
        if bus.irq_lines_changed() || stale {
            let mut lines = [0u32; 8];
            bus.irq_lines(&mut lines);
            if self.sys.exceptions.sample_lines(&lines) {
                self.sys.interrupt_became_pending();
            }
        }
        self.sync_systick();
    }

    fn sync_bus(&mut self, bus: &mut dyn Bus) {
        let now = self.cycles;
        if now > self.sys.bus_time {
            bus.advance(now - self.sys.bus_time);
            self.sys.bus_time = now;
        }
    }

    /// Brings SysTick to the current cycle; a wrap with TICKINT pends SysTick (B3.3.1).
    pub(crate) fn sync_systick(&mut self) {
        let now = self.cycles;
        if self.sys.systick.catch_up(now)
            && self.sys.systick.tickint()
            && self.sys.exceptions.set_pending(number::SYSTICK)
        {
            self.sys.interrupt_became_pending();
        }
    }

    /// WFI, WFE or sleep-on-exit has been asked for.
    fn request_sleep(&mut self, kind: Sleep) {
        if kind == Sleep::Wfe && self.sys.event {
            // WFE with the event register set clears it and goes on (B1.5.18).
            self.sys.event = false;
            return;
        }
        if !self.wakes(kind) {
            log::trace!("core sleeps ({kind:?}) at 0x{:08X}", self.regs.r[15]);
            self.sys.sleep = Some(kind);
        }
    }

    /// Whether what the core sleeps on has happened: for WFI and sleep-on-exit an exception
    /// that would preempt if PRIMASK were clear is pending (B1.5.19); for WFE the event
    /// register is set (and is cleared) or an exception would be taken (B1.5.18).
    fn wakes(&mut self, kind: Sleep) -> bool {
        let e = &self.sys.exceptions;
        let mask = self.sys.debug.mask_interrupts();
        match kind {
            Sleep::Wfi | Sleep::OnExit => {
                let execution = e.execution_priority_masked(&self.regs, false);
                e.preempting(execution, mask).is_some()
            }
            Sleep::Wfe => {
                if std::mem::take(&mut self.sys.event) {
                    return true;
                }
                let execution = e.execution_priority(&self.regs);
                e.preempting(execution, mask).is_some()
            }
        }
    }

    /// Core cycles until SysTick pends its exception, if it is counting with TICKINT.
    fn wake_in_cycles(&self) -> Option<u64> {
        if !self.sys.systick.tickint() {
            return None;
        }
        self.sys
            .systick
            .next_wrap()
            .map(|wrap| wrap.saturating_sub(self.cycles))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bus::{BusError, Initiator};
    use crate::config::Config;
    use crate::instr::Trap;

    /// 64 KB at 0 and 64 KB of RAM at 0x2000_0000.
    struct Memory {
        low: Vec<u8>,
        ram: Vec<u8>,
    }

    impl Memory {
        fn new() -> Memory {
            let mut low = vec![0u8; 0x1_0000];
            low[0..4].copy_from_slice(&0x2001_0000u32.to_le_bytes());
            low[4..8].copy_from_slice(&0x101u32.to_le_bytes());
            // HardFault vector.
            low[12..16].copy_from_slice(&0x201u32.to_le_bytes());
            // A 32-bit encoding at 0x100 (its half-words named in a lockup).
            low[0x100..0x104].copy_from_slice(&[0xAF, 0xF3, 0x00, 0x80]);
            Memory {
                low,
                ram: vec![0u8; 0x1_0000],
            }
        }

        fn slot(&mut self, address: u32, size: u32) -> Option<&mut [u8]> {
            let (mem, offset) = if address < 0x1_0000 {
                (&mut self.low, address as usize)
            } else if (0x2000_0000..0x2001_0000).contains(&address) {
                (&mut self.ram, (address - 0x2000_0000) as usize)
            } else {
                return None;
            };
            mem.get_mut(offset..offset + size as usize)
        }
    }

    impl Bus for Memory {
        fn read(&mut self, address: u32, size: u32, _: Initiator) -> Result<u32, BusError> {
            let bytes = self.slot(address, size).ok_or(BusError { address })?;
            let mut word = [0u8; 4];
            word[..bytes.len()].copy_from_slice(bytes);
            Ok(u32::from_le_bytes(word))
        }

        fn write(
            &mut self,
            address: u32,
            value: u32,
            size: u32,
            _: Initiator,
        ) -> Result<(), BusError> {
            let bytes = self.slot(address, size).ok_or(BusError { address })?;
            bytes.copy_from_slice(&value.to_le_bytes()[..size as usize]);
            Ok(())
        }
    }

    fn boot() -> (Core, Memory) {
        let mut bus = Memory::new();
        let mut core = Core::new(Config::cortex_m4f());
        core.power_on_reset(&mut bus, 0);
        (core, bus)
    }

    #[test]
    fn an_unmodelled_instruction_locks_up_naming_it() {
        let (mut core, mut bus) = boot();
        assert_eq!(core.pc(), 0x100);
        core.take_trap(&mut bus, Trap::Unmodelled("a test encoding"));
        match core.run(&mut bus, 10) {
            Stop::LockedUp { pc, reason } => {
                assert_eq!(pc, 0x100);
                assert!(
                    reason.contains("0xF3AF 0x8000 at 0x00000100: a test encoding"),
                    "{reason}"
                );
            }
            other => panic!("expected a lockup, got {other:?}"),
        }
        assert_eq!(core.pc(), 0x100, "it did not complete");
    }

    #[test]
    fn bkpt_halts_with_halting_debug_and_is_a_hardfault_without() {
        let (mut core, mut bus) = boot();
        core.sys.debug.dhcsr = super::super::debug::dhcsr::C_DEBUGEN;
        core.take_trap(&mut bus, Trap::Breakpoint(0xAB));
        assert_eq!(core.run(&mut bus, 10), Stop::Halted(HaltReason::Bkpt(0xAB)));
        assert_eq!(core.pc(), 0x100);
        assert_eq!(core.sys.debug.dfsr, dfsr::BKPT);

        let (mut core, mut bus) = boot();
        core.take_trap(&mut bus, Trap::Breakpoint(0));
        core.run(&mut bus, 0);
        assert_eq!(core.regs.ipsr, 3);
        assert_eq!(core.pc(), 0x200);
        assert_eq!(core.sys.status.hfsr, super::super::fault::hfsr::DEBUGEVT);
        // The frame's return address is the BKPT.
        assert_eq!(
            bus.read(core.regs.r[13] + 0x18, 4, Initiator::Debug),
            Ok(0x100)
        );
    }

    #[test]
    fn bkpt_with_the_debug_monitor_enabled_takes_debugmonitor() {
        let (mut core, mut bus) = boot();
        core.sys.debug.demcr = super::super::debug::demcr::MON_EN;
        core.sys.exceptions.monitor_enabled = true;
        core.take_trap(&mut bus, Trap::Breakpoint(0));
        core.run(&mut bus, 0);
        assert_eq!(core.regs.ipsr, number::DEBUG_MONITOR);
        assert_eq!(core.sys.debug.dfsr, dfsr::BKPT);
    }
}
