//! Execution control: continue, single step, and what a halted core reports to GDB.

use gdbstub::common::Signal;
use gdbstub::target::ext::base::singlethread::{
    SingleThreadResume, SingleThreadSingleStep, SingleThreadSingleStepOps,
};
use probe_rs::{CoreStatus, HaltReason, MemoryInterface};

use crate::fault::{self, FaultClass};

use super::breakpoints::BreakpointUse;
use super::target::{ChipTarget, Exec, StopReason, TargetFault, HALT_TIMEOUT};

/// Debug Halting Control and Status Register.
const DHCSR: u64 = 0xE000_EDF0;
/// DHCSR write key.
const DBGKEY: u32 = 0xA05F << 16;
/// DHCSR.C_DEBUGEN.
const C_DEBUGEN: u32 = 1;

impl SingleThreadResume for ChipTarget<'_> {
    fn resume(&mut self, _signal: Option<Signal>) -> Result<(), TargetFault> {
        // Signals mean nothing to a microcontroller; they are ignored.
        self.forget_registers();
        let mut core = self.core()?;
        // After `monitor reset run` the core may already be running while GDB thinks it stopped.
        if core.core_halted()? {
            if let Err(e) = core.run() {
                // probe-rs steps once before running; if that step cannot complete (a WFI, say),
                // release the core directly: DHCSR = DBGKEY | C_DEBUGEN.
                log::warn!("resume: {e}; releasing the core without the initial step");
                core.write_word_32(DHCSR, DBGKEY | C_DEBUGEN)?;
                core.flush()?;
            }
        }
        drop(core);
        self.exec = Exec::Running;
        Ok(())
    }

    fn support_single_step(&mut self) -> Option<SingleThreadSingleStepOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadSingleStep for ChipTarget<'_> {
    fn step(&mut self, _signal: Option<Signal>) -> Result<(), TargetFault> {
        self.forget_registers();
        let mut core = self.core()?;
        if !core.core_halted()? {
            core.halt(HALT_TIMEOUT)?;
        }
        let reason = match core.step() {
            Ok(_) => StopReason::DoneStep,
            Err(e) => {
                // E.g. a WFI that never completes: make sure the core is halted and report a trap
                // rather than ending the session.
                log::warn!("single step failed: {e}");
                if !core.core_halted()? {
                    core.halt(HALT_TIMEOUT)?;
                }
                StopReason::Signal(Signal::SIGTRAP)
            }
        };
        drop(core);
        self.exec = Exec::Stopped(reason);
        Ok(())
    }
}

/// The signal for a halt that is not a breakpoint, watchpoint or step of ours.
pub fn signal_for(reason: HaltReason) -> Signal {
    match reason {
        HaltReason::Request | HaltReason::External => Signal::SIGINT,
        _ => Signal::SIGTRAP,
    }
}

/// The signal for a fault, by its cause: what a Unix debugger user expects for the same crash.
pub fn signal_for_fault(class: FaultClass) -> Option<Signal> {
    match class {
        FaultClass::None => None,
        FaultClass::MemoryProtection => Some(Signal::SIGSEGV),
        FaultClass::Bus => Some(Signal::SIGBUS),
        FaultClass::IllegalInstruction => Some(Signal::SIGILL),
        FaultClass::Arithmetic => Some(Signal::SIGFPE),
        FaultClass::Debug => Some(Signal::SIGTRAP),
    }
}

impl ChipTarget<'_> {
    /// A stop waiting to be reported (after a step), if any.
    pub(crate) fn take_pending_stop(&mut self) -> Option<StopReason> {
        match self.exec {
            Exec::Stopped(reason) => {
                self.exec = Exec::Halted;
                Some(reason)
            }
            _ => None,
        }
    }

    /// Checks a running core once; `Some` when it has halted (or locked up, then it is halted).
    pub(crate) fn poll_stop(&mut self) -> Result<Option<StopReason>, probe_rs::Error> {
        let mut core = self.core()?;
        let reason = match core.status()? {
            CoreStatus::Halted(reason) => reason,
            CoreStatus::LockedUp => {
                log::warn!("the core locked up; halting it");
                core.halt(HALT_TIMEOUT)?;
                drop(core);
                self.exec = Exec::Halted;
                return Ok(Some(StopReason::Signal(Signal::SIGSEGV)));
            }
            CoreStatus::Running | CoreStatus::Sleeping | CoreStatus::Unknown => return Ok(None),
        };
        let pc: u32 = core.read_core_reg(core.program_counter())?;
        // A vector catch (probe-rs reports DFSR.VCATCH as an exception): the fault status says
        // which signal fits. GDB cannot be sent console text with a stop reply, so the fault is
        // named in the server's log and in detail by `monitor fault`.
        let fault_signal = if reason == HaltReason::Exception {
            match fault::read(&mut core) {
                Ok(snapshot) => {
                    let class = fault::diagnose(&snapshot.regs).class;
                    if class != FaultClass::None {
                        log::warn!(
                            "vector catch: {} (`monitor fault` for details)",
                            fault::report::headline(&snapshot)
                        );
                    }
                    signal_for_fault(class)
                }
                Err(e) => {
                    log::warn!("vector catch: the fault status could not be read: {e}");
                    None
                }
            }
        } else {
            None
        };
        drop(core);
        let watch = if matches!(reason, HaltReason::Watchpoint | HaltReason::Multiple) {
            let (mut core, _, wps) = self.core_with_tables()?;
            wps.hit(&mut core)?
        } else {
            None
        };
        self.exec = Exec::Halted;
        self.forget_registers();
        let stop = if let Some((addr, kind)) = watch {
            StopReason::Watch {
                tid: (),
                kind,
                addr,
            }
        } else {
            match self.breakpoints.use_at(pc) {
                Some(BreakpointUse::Software) => StopReason::SwBreak(()),
                Some(BreakpointUse::Hardware) => StopReason::HwBreak(()),
                None => StopReason::Signal(fault_signal.unwrap_or_else(|| signal_for(reason))),
            }
        };
        log::debug!("core halted at {pc:#010x} ({reason:?}) -> {stop:?}");
        Ok(Some(stop))
    }
}
