//! Exception entry and return (ARMv7-M ARM B1.5.6–B1.5.8, B1.5.12; ARMv6-M B1.5.6–B1.5.8):
//! PushStack, ExceptionTaken, ExceptionReturn, PopStack, with the faults they can derive
//! (stacking and unstacking BusFaults, vector table read errors, INVPC integrity checks).
//!
//! Floating-point context: when CONTROL.FPCA is set at entry the extended frame (S0–S15,
//! FPSCR, a reserved word) is reserved **and written at once**, even with FPCCR.LSPEN set.
//! Lazy preservation (B1.5.7) only defers those writes until the handler's first FP
//! instruction; stacking them eagerly gives the firmware the same SP, frame layout, EXC_RETURN
//! and register values after return, and keeps the FP instructions free of a lazy-save hook.
//! With LSPEN set, FPCCR and FPCAR are updated as UpdateFPCCR does (FPCAR = the S0 slot, USER,
//! THREAD, HFRDY, BFRDY, MMRDY, MONRDY) except that LSPACT stays 0: the state a handler sees
//! is that after the lazy save happened. Differences a handler could observe: FPCCR.LSPACT
//! reads 0 in a handler that has not used the FPU yet, and the frame's FP slots are written
//! even when the handler never uses the FPU.

use crate::bus::{Bus, BusError, Initiator};
use crate::config::Arch;
use crate::core::Core;
use crate::regs::{control, psr};

use super::ccr;
use super::debug::{demcr, dfsr};
use super::exceptions::{number, system_bit};
use super::fault::{cfsr, hfsr, Fault};
use super::{HaltReason, Sleep};

/// FPCCR bits (B3.2.20).
pub mod fpccr {
    pub const LSPACT: u32 = 1 << 0;
    pub const USER: u32 = 1 << 1;
    pub const THREAD: u32 = 1 << 3;
    pub const HFRDY: u32 = 1 << 4;
    pub const MMRDY: u32 = 1 << 5;
    pub const BFRDY: u32 = 1 << 6;
    pub const MONRDY: u32 = 1 << 8;
    pub const LSPEN: u32 = 1 << 30;
    pub const ASPEN: u32 = 1 << 31;
    pub const WRITABLE: u32 =
        ASPEN | LSPEN | MONRDY | BFRDY | MMRDY | HFRDY | THREAD | USER | LSPACT;
    /// Reset value: ASPEN and LSPEN set.
    pub const RESET: u32 = ASPEN | LSPEN;
}

/// EXC_RETURN (B1.5.8).
pub mod exc_return {
    pub const HANDLER_MSP: u32 = 0xFFFF_FFF1;
    pub const THREAD_MSP: u32 = 0xFFFF_FFF9;
    pub const THREAD_PSP: u32 = 0xFFFF_FFFD;
    /// Bit 4 (FType): 0 means an extended (FP) frame.
    pub const BASIC_FRAME: u32 = 1 << 4;
}

/// Frame sizes (B1.5.7).
const BASIC_FRAME_SIZE: u32 = 0x20;
const EXTENDED_FRAME_SIZE: u32 = 0x68;
/// Offset of S0 in an extended frame, and of FPSCR.
const FP_OFFSET: u32 = 0x20;
const FPSCR_OFFSET: u32 = 0x60;
/// VTOR.TBLOFF `[31:7]`.
pub const VTOR_MASK: u32 = 0xFFFF_FF80;

impl Core {
    /// A word written by exception stacking (a privileged data access).
    fn stack_write(&mut self, bus: &mut dyn Bus, address: u32, value: u32) -> Result<(), BusError> {
        if super::claims(&self.config, address) {
            return super::cpu_write(self, bus, address, value, 4, true);
        }
        bus.write(address, value, 4, Initiator::Cpu)
    }

    fn stack_read(&mut self, bus: &mut dyn Bus, address: u32) -> Result<u32, BusError> {
        if super::claims(&self.config, address) {
            return super::cpu_read(self, bus, address, 4, true);
        }
        bus.read(address, 4, Initiator::Cpu)
    }

    /// Whether the core has the FP extension and CONTROL.FPCA is set.
    fn fp_context_active(&self) -> bool {
        self.config.has_fpu() && self.regs.control & control::FPCA != 0
    }

    /// PushStack (B1.5.7): stacks the context on `psp` or the main stack and sets LR to
    /// EXC_RETURN. SP moves even when a write fails; the address of the first failed write is
    /// returned.
    pub(crate) fn push_stack(
        &mut self,
        bus: &mut dyn Bus,
        return_address: u32,
        psp: bool,
    ) -> Result<(), u32> {
        let fpca = self.fp_context_active();
        let (frame_size, force_align) = if fpca {
            (EXTENDED_FRAME_SIZE, true)
        } else {
            (BASIC_FRAME_SIZE, self.sys.ccr & ccr::STKALIGN != 0)
        };
        let sp = if psp {
            self.regs.psp()
        } else {
            self.regs.msp()
        };
        let realigned = force_align && sp & 4 != 0;
        let sp_mask = if force_align { !7 } else { !3 };
        let frame = sp.wrapping_sub(frame_size) & sp_mask;
        if psp {
            self.regs.set_psp(frame);
        } else {
            self.regs.set_msp(frame);
        }
        let mut xpsr = self.regs.xpsr() & !psr::STACK_ALIGNED;
        if realigned {
            xpsr |= psr::STACK_ALIGNED;
        }
        let r = &self.regs.r;
        let words = [r[0], r[1], r[2], r[3], r[12], r[14], return_address, xpsr];
        let mut failed = None;
        for (i, &word) in words.iter().enumerate() {
            let address = frame.wrapping_add(4 * i as u32);
            if let Err(e) = self.stack_write(bus, address, word) {
                failed.get_or_insert(e.address);
            }
        }
        if fpca {
            if self.sys.fpccr & fpccr::LSPEN != 0 {
                self.update_fpccr(frame);
            }
            for i in 0..16 {
                let address = frame.wrapping_add(FP_OFFSET + 4 * i as u32);
                let value = self.fp.s[i];
                if let Err(e) = self.stack_write(bus, address, value) {
                    failed.get_or_insert(e.address);
                }
            }
            let fpscr = self.fp.fpscr;
            if let Err(e) = self.stack_write(bus, frame.wrapping_add(FPSCR_OFFSET), fpscr) {
                failed.get_or_insert(e.address);
            }
        }
        let mut lr = 0xFFFF_FFE1;
        if !fpca {
            lr |= exc_return::BASIC_FRAME;
        }
        if !self.regs.handler_mode() {
            lr |= 0b1000;
            if self.regs.control & control::SPSEL != 0 {
                lr |= 0b0100;
            }
        }
        self.regs.r[14] = lr;
        failed.map_or(Ok(()), Err)
    }

    /// UpdateFPCCR (B1.5.7) for an extended frame at `frame`, except LSPACT (see the module
    /// documentation).
    fn update_fpccr(&mut self, frame: u32) {
        let execution = self.sys.execution_priority(&self.regs);
        let e = &self.sys.exceptions;
        let ready = |n: u16, enabled: bool| enabled && e.group_priority(e.priority(n)) < execution;
        let mut bits = 0;
        if !self.regs.privileged() {
            bits |= fpccr::USER;
        }
        if !self.regs.handler_mode() {
            bits |= fpccr::THREAD;
        }
        if execution > -1 {
            bits |= fpccr::HFRDY;
        }
        if ready(number::BUS_FAULT, e.fault_enabled(number::BUS_FAULT)) {
            bits |= fpccr::BFRDY;
        }
        if ready(number::MEM_MANAGE, e.fault_enabled(number::MEM_MANAGE)) {
            bits |= fpccr::MMRDY;
        }
        if ready(number::DEBUG_MONITOR, e.monitor_enabled) {
            bits |= fpccr::MONRDY;
        }
        let kept = fpccr::ASPEN | fpccr::LSPEN;
        self.sys.fpccr = (self.sys.fpccr & kept) | bits;
        self.sys.fpcar = frame.wrapping_add(FP_OFFSET) & !7;
    }

    /// ExceptionTaken (B1.5.6): reads the vector and enters the handler. `Err` when the vector
    /// cannot be read (nothing changed then).
    fn exception_taken(&mut self, bus: &mut dyn Bus, n: u16) -> Result<(), ()> {
        let address = (self.sys.vtor & VTOR_MASK).wrapping_add(4 * u32::from(n));
        let vector = bus.read(address, 4, Initiator::Cpu).map_err(|_| {
            log::debug!("exception {n}: the vector at 0x{address:08X} cannot be read");
        })?;
        self.regs.r[15] = vector & !1;
        self.regs.thumb = vector & 1 != 0;
        self.regs.itstate = 0;
        let control = self.regs.control & !(control::SPSEL | control::FPCA);
        self.regs.set_mode(n, control);
        let e = &mut self.sys.exceptions;
        e.clear_pending(n);
        e.set_active(n, true);
        self.exclusive = None;
        self.sys.event = true;
        self.sys.attention = true;
        // A breakpoint resumed from is matched again when its instruction is returned to.
        self.sys.debug.skip_code_watch_at = None;
        // Vector catch: halt on the handler's first instruction, the frame stacked (C1.6.5).
        let bit = system_bit(n);
        let caught = self.sys.vector_catch & bit != 0
            || (n == number::HARD_FAULT && self.sys.debug.demcr & demcr::VC_HARDERR != 0);
        self.sys.vector_catch &= !bit;
        if caught && self.sys.debug.debug_enabled() {
            self.halt(HaltReason::VectorCatch, dfsr::VCATCH);
        }
        Ok(())
    }

    /// Enters exception `n`'s handler through the vector table; a vector that cannot be read
    /// escalates to HardFault (HFSR.VECTTBL, `n` stays pending) or, for HardFault and NMI,
    /// locks the core up.
    fn take_vector(&mut self, bus: &mut dyn Bus, n: u16, ceiling: i16) {
        if self.exception_taken(bus, n).is_ok() {
            return;
        }
        self.sys.status.hfsr |= hfsr::VECTTBL;
        if n == number::HARD_FAULT || n == number::NMI || ceiling <= -1 {
            self.lock_up(format!(
                "the vector of exception {n} cannot be read (VTOR 0x{:08X})",
                self.sys.vtor
            ));
            return;
        }
        if self.sys.debug.demcr & demcr::VC_INTERR != 0 {
            self.sys.vector_catch |= system_bit(number::HARD_FAULT);
        }
        if self.exception_taken(bus, number::HARD_FAULT).is_err() {
            self.lock_up(format!(
                "the vectors of exception {n} and of HardFault cannot be read (VTOR 0x{:08X})",
                self.sys.vtor
            ));
        }
    }

    /// ExceptionEntry (B1.5.6): stacks the context with the PC as return address and enters
    /// exception `n`, which the caller has chosen (it is pending and preempts). A stacking
    /// BusFault (BFSR.STKERR) is a derived exception: it is made pending — escalated to
    /// HardFault when it cannot preempt `n` — and the entry to `n` goes on, so the more urgent
    /// of the two runs first (B1.5.12).
    pub fn exception_entry(&mut self, bus: &mut dyn Bus, n: u16) {
        let e = &self.sys.exceptions;
        let ceiling = self
            .sys
            .execution_priority(&self.regs)
            .min(e.group_priority(e.priority(n)));
        let return_address = self.regs.r[15];
        let psp = self.regs.using_psp();
        if let Err(address) = self.push_stack(bus, return_address, psp) {
            log::debug!("exception {n}: stacking to 0x{address:08X} is a bus error");
            match self.resolve_fault(
                Fault::derived_bus(cfsr::STKERR, "a bus error while stacking (BusFault STKERR)"),
                ceiling,
            ) {
                Some(taken) => {
                    self.sys.exceptions.set_pending(taken);
                }
                None => {
                    // Locked up on the way into `n`: the exception is not left pending, so a
                    // debugger that halts the core and gives it a new PC and SP runs that
                    // (as flash loaders do on a blank chip whose reset vector is erased)
                    // instead of retrying the entry that cannot complete. UNVERIFIED on
                    // silicon; the ARM ARM (B1.5.15) does not say what stays pending.
                    self.sys.exceptions.clear_pending(n);
                    return;
                }
            }
        }
        self.take_vector(bus, n, self.sys.execution_priority(&self.regs));
    }

    /// Takes the most urgent pending exception while one preempts the execution priority.
    /// Returns whether one was taken.
    pub fn take_pending_exceptions(&mut self, bus: &mut dyn Bus) -> bool {
        let mut taken = false;
        if !self.sys.exceptions.any_pending() {
            return false;
        }
        // Every entry raises the execution priority, so this ends.
        while self.sys.lockup.is_none() && self.sys.debug.halted.is_none() {
            let execution = self.sys.execution_priority(&self.regs);
            let mask = self.sys.debug.mask_interrupts();
            let Some(n) = self.sys.exceptions.preempting(execution, mask) else {
                break;
            };
            self.exception_entry(bus, n);
            taken = true;
        }
        taken
    }

    /// DeActivate (B1.5.8): FAULTMASK clears on return from anything but NMI.
    fn deactivate(&mut self, n: u16) {
        self.sys.exceptions.set_active(n, false);
        if n != number::NMI {
            self.regs.faultmask = false;
        }
    }

    /// A fault derived from an exception return: taken at once without stacking (the
    /// returning exception's frame stays where it is), LR = the EXC_RETURN (B1.5.8).
    fn return_fault(&mut self, bus: &mut dyn Bus, fault: Fault, exc_return: u32) {
        let ceiling = self.sys.execution_priority(&self.regs);
        let Some(taken) = self.resolve_fault(fault, ceiling) else {
            return;
        };
        self.regs.r[14] = exc_return;
        self.take_vector(bus, taken, ceiling);
    }

    /// ExceptionReturn (B1.5.8) for an EXC_RETURN written to the PC in Handler mode, after the
    /// instruction that wrote it completed.
    pub fn exception_return(&mut self, bus: &mut dyn Bus, exc_return: u32) {
        let fpu = self.config.has_fpu();
        let reserved = if fpu { 0x0FFF_FFE0 } else { 0x0FFF_FFF0 };
        let returning = self.regs.ipsr;
        let nested = self.sys.exceptions.active_count();
        let mode = exc_return & 0xF;
        let to_thread_allowed = nested == 1 || self.sys.ccr & ccr::NONBASETHRDENA != 0;
        let valid = exc_return & reserved == reserved
            && self.sys.exceptions.is_active(returning)
            && match mode {
                0x1 => true,
                0x9 | 0xD => to_thread_allowed,
                _ => false,
            };
        if !valid {
            log::debug!("exception return 0x{exc_return:08X} from {returning} is illegal: INVPC");
            self.deactivate(returning);
            self.return_fault(bus, Fault::invalid_return(), exc_return);
            return;
        }
        let to_thread = mode != 0x1;
        let psp = mode == 0xD;
        let extended = fpu && exc_return & exc_return::BASIC_FRAME == 0;
        let frame = if psp {
            self.regs.psp()
        } else {
            self.regs.msp()
        };

        // Read the whole frame before changing anything: an unstacking BusFault abandons the
        // return (BFSR.UNSTKERR) and is taken with the frame left in place.
        let mut words = [0u32; 8];
        let mut fp = [0u32; 17];
        let lazy_pending = self.sys.fpccr & fpccr::LSPACT != 0;
        let mut failed = None;
        for (i, word) in words.iter_mut().enumerate() {
            match self.stack_read(bus, frame.wrapping_add(4 * i as u32)) {
                Ok(v) => *word = v,
                Err(e) => {
                    failed.get_or_insert(e.address);
                }
            }
        }
        if extended && !lazy_pending {
            for (i, word) in fp.iter_mut().enumerate() {
                match self.stack_read(bus, frame.wrapping_add(FP_OFFSET + 4 * i as u32)) {
                    Ok(v) => *word = v,
                    Err(e) => {
                        failed.get_or_insert(e.address);
                    }
                }
            }
        }
        self.deactivate(returning);
        if let Some(address) = failed {
            log::debug!("exception return: unstacking from 0x{address:08X} is a bus error");
            self.return_fault(
                bus,
                Fault::derived_bus(
                    cfsr::UNSTKERR,
                    "a bus error while unstacking (BusFault UNSTKERR)",
                ),
                exc_return,
            );
            return;
        }

        // PopStack (B1.5.8).
        let stacked_psr = words[7];
        let force_align = extended || self.sys.ccr & ccr::STKALIGN != 0;
        let frame_size = if extended {
            EXTENDED_FRAME_SIZE
        } else {
            BASIC_FRAME_SIZE
        };
        let pad = if force_align && stacked_psr & psr::STACK_ALIGNED != 0 {
            4
        } else {
            0
        };
        let r = &mut self.regs.r;
        r[0..4].copy_from_slice(&words[0..4]);
        r[12] = words[4];
        r[14] = words[5];
        // A stacked PC with bit 0 set is UNPREDICTABLE; v7-M hardware ignores the bit.
        r[15] = words[6] & !1;
        if extended {
            if lazy_pending {
                self.sys.fpccr &= !fpccr::LSPACT;
            } else {
                self.fp.s[..16].copy_from_slice(&fp[..16]);
                self.fp.fpscr = fp[16];
            }
        }
        let mut control = self.regs.control & !(control::SPSEL | control::FPCA);
        if psp {
            control |= control::SPSEL;
        }
        if extended {
            control |= control::FPCA;
        }
        self.restore_psr(stacked_psr, control);
        let new_sp = frame.wrapping_add(frame_size) | pad;
        if psp {
            self.regs.set_psp(new_sp);
        } else {
            self.regs.set_msp(new_sp);
        }

        // The returned-to mode must agree with the stacked IPSR.
        if to_thread != (self.regs.ipsr == 0) {
            log::debug!(
                "exception return 0x{exc_return:08X}: stacked IPSR {} does not match: INVPC",
                self.regs.ipsr
            );
            let ceiling = self.sys.execution_priority(&self.regs);
            let Some(taken) = self.resolve_fault(Fault::invalid_return(), ceiling) else {
                return;
            };
            // PushStack to negate the PopStack, on the stack the return selected.
            let return_address = self.regs.r[15];
            if self.push_stack(bus, return_address, psp).is_err() {
                self.sys.status.cfsr |= cfsr::STKERR;
            }
            self.regs.r[14] = exc_return;
            self.take_vector(bus, taken, ceiling);
            return;
        }

        self.exclusive = None;
        self.sys.event = true;
        self.sys.attention = true;
        // Level-sensitive lines still asserted pend their interrupts again (B3.4.1): the
        // lines are read now, whether or not the bus reports a change.
        let mut lines = [0u32; 8];
        bus.irq_lines(&mut lines);
        if self.sys.exceptions.sample_lines(&lines) {
            self.sys.interrupt_became_pending();
        }
        if to_thread
            && self.sys.exceptions.active_count() == 0
            && self.sys.scr & super::scr::SLEEPONEXIT != 0
        {
            self.sys.sleep_request = Some(Sleep::OnExit);
        }
    }

    /// Restores APSR, IPSR and EPSR from a stacked xPSR, with `control` (B1.5.8 PopStack).
    fn restore_psr(&mut self, stacked: u32, control: u32) {
        let mut apsr_mask = psr::NZCV;
        if self.config.arch != Arch::V6M {
            apsr_mask |= psr::Q;
        }
        if self.config.has_dsp() {
            apsr_mask |= psr::GE_MASK;
        }
        let r = &mut self.regs;
        r.apsr = stacked & apsr_mask;
        r.thumb = stacked & psr::T != 0;
        r.itstate = if self.config.arch == Arch::V6M {
            0
        } else {
            (((stacked >> 25) & 0x3) | (((stacked >> 10) & 0x3F) << 2)) as u8
        };
        let ipsr_mask = if self.config.arch == Arch::V6M {
            0x3F
        } else {
            psr::IPSR_MASK
        };
        r.set_mode((stacked & ipsr_mask) as u16, control);
    }
}
