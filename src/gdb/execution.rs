//! Execution control: continue, single step, and what a halted core reports to GDB.
//!
//! With `monitor arm semihosting enable`, a halt on `BKPT 0xAB` is served here (by
//! [`crate::semihosting`]) and the core runs on past it, GDB still waiting for its `continue`
//! (or `stepi`) to end; SYS_EXIT is reported as the program's exit. The output of the calls is
//! sent to GDB's console as `O` packets while GDB waits, by the event loop with the chip given
//! back; a call is served only once the previous call's output has been handed on, so a GDB
//! that stops reading makes the program wait at its next call and holds up no other client.

use std::time::{Duration, Instant};

use gdbstub::common::Signal;
use gdbstub::conn::Connection;
use gdbstub::target::ext::base::singlethread::{
    SingleThreadResume, SingleThreadSingleStep, SingleThreadSingleStepOps,
};
use probe_rs::{CoreStatus, HaltReason, MemoryInterface};

use crate::fault::{self, FaultClass};
use crate::semihosting::{halt_status, pending_call, Call, Exit, Outcome};

use super::breakpoints::BreakpointUse;
use super::target::{ChipTarget, Exec, StopReason, TargetFault, HALT_TIMEOUT};

/// Debug Halting Control and Status Register.
const DHCSR: u64 = 0xE000_EDF0;
/// DHCSR write key.
const DBGKEY: u32 = 0xA05F << 16;
/// DHCSR.C_DEBUGEN.
const C_DEBUGEN: u32 = 1;
/// Program output per `O` packet (hex-encoded, twice as long), well inside GDB's packet size.
const CONSOLE_CHUNK: usize = 512;

impl SingleThreadResume for ChipTarget<'_> {
    fn resume(&mut self, _signal: Option<Signal>) -> Result<(), TargetFault> {
        // Signals mean nothing to a microcontroller; they are ignored.
        self.forget_registers();
        self.last_lockup = None;
        // A call the core stopped on while semihosting was off (or at a GDB breakpoint on the
        // BKPT) is served now; the run below moves past it.
        match self.serve_pending_call()? {
            Some(Served::Exited(exit)) => {
                self.exec = Exec::Stopped(self.exit_stop(exit));
                return Ok(());
            }
            Some(Served::PastByHand { pc }) => {
                let mut core = self.core()?;
                release_past_bkpt(&mut core, pc)?;
                drop(core);
                self.exec = Exec::Running;
                return Ok(());
            }
            Some(Served::PastByProbeRs) => {
                // probe-rs decoded the call and moves the PC past its BKPT on its next run.
                let mut core = self.core()?;
                if let Err(e) = core.run() {
                    log::warn!("resume past a semihosting call: {e}; releasing the core");
                    let pc: u32 = core.read_core_reg(core.program_counter())?;
                    release_past_bkpt(&mut core, pc)?;
                }
                drop(core);
                self.exec = Exec::Running;
                return Ok(());
            }
            None => {}
        }
        // After `monitor reset run` the core may already be running while GDB thinks it stopped.
        let halted_at = {
            let mut core = self.core()?;
            match core.core_halted()? {
                true => Some(core.read_core_reg::<u32>(core.program_counter())?),
                false => None,
            }
        };
        if let Some(pc) = halted_at {
            // A breakpoint on the instruction the core stands on would match again at once:
            // step over it first (with the breakpoint unit off for that step). The step may
            // meet an instruction the core cannot execute: that is the stop, not a run.
            let on_breakpoint = self.breakpoints.use_at(pc).is_some();
            let mut core = self.core()?;
            if on_breakpoint {
                match step_instruction(&mut core) {
                    Ok(Stepped::Done) => {}
                    Ok(Stepped::LockedUp) => {
                        drop(core);
                        let stop = self.stop_for_lockup()?;
                        self.exec = Exec::Stopped(stop);
                        return Ok(());
                    }
                    // E.g. a WFI that cannot complete while stepped: let the core run anyway.
                    Err(e) => log::warn!("resume: the step over the breakpoint failed: {e}"),
                }
            }
            // Release the core: DHCSR = DBGKEY | C_DEBUGEN (C_HALT, C_STEP and C_MASKINTS
            // clear), and make probe-rs read the state again so that it forgets the halt it
            // cached (a semihosting call it decoded would otherwise be reported again). Its
            // reading may fail on a call the core already reached: the poll looks again.
            core.write_word_32(DHCSR, DBGKEY | C_DEBUGEN)?;
            core.flush()?;
            if let Err(e) = core.status() {
                log::debug!("core status after the release: {e}");
            }
        }
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
        self.last_lockup = None;
        // A call the core stands on is served before the step moves past it.
        match self.serve_pending_call()? {
            Some(Served::Exited(exit)) => {
                self.exec = Exec::Stopped(self.exit_stop(exit));
                return Ok(());
            }
            Some(Served::PastByHand { pc }) => {
                let mut core = self.core()?;
                core.write_core_reg(core.program_counter(), pc + 2)?;
                drop(core);
                self.exec = Exec::Stopped(StopReason::DoneStep);
                return Ok(());
            }
            Some(Served::PastByProbeRs) | None => {}
        }
        let mut core = self.core()?;
        if !core.core_halted()? {
            core.halt(HALT_TIMEOUT)?;
        }
        let reason = match step_instruction(&mut core) {
            Ok(Stepped::Done) => StopReason::DoneStep,
            Ok(Stepped::LockedUp) => {
                drop(core);
                let stop = self.stop_for_lockup()?;
                self.exec = Exec::Stopped(stop);
                return Ok(());
            }
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
        // A step that executed a `BKPT 0xAB` stops on it without moving: serve the call and
        // step past it, so that `stepi` over a call performs it.
        let reason = match reason {
            StopReason::DoneStep => match self.serve_pending_call()? {
                Some(Served::Exited(exit)) => self.exit_stop(exit),
                Some(Served::PastByProbeRs) => {
                    self.core()?.step()?;
                    StopReason::DoneStep
                }
                Some(Served::PastByHand { pc }) => {
                    let mut core = self.core()?;
                    core.write_core_reg(core.program_counter(), pc + 2)?;
                    StopReason::DoneStep
                }
                None => reason,
            },
            other => other,
        };
        self.exec = Exec::Stopped(reason);
        Ok(())
    }
}

/// How a single step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stepped {
    /// The core executed the instruction (or took an exception) and halted again.
    Done,
    /// The core locked up on the instruction: it did not complete, and the core is not halted.
    LockedUp,
}

/// How long a single step may take before it is given up.
const STEP_TIMEOUT: Duration = Duration::from_millis(500);

/// DHCSR bits for a step (ARMv7-M ARM C1.6.2).
const C_HALT: u32 = 1 << 1;
const C_STEP: u32 = 1 << 2;
const C_MASKINTS: u32 = 1 << 3;
const S_HALT: u32 = 1 << 17;
const S_LOCKUP: u32 = 1 << 19;
/// FP_CTRL: writing KEY with ENABLE clear turns the breakpoint unit off.
const FP_CTRL: u64 = 0xE000_2000;
const FP_CTRL_ENABLE: u32 = 1 << 0;
const FP_CTRL_KEY: u32 = 1 << 1;

/// Steps one instruction of a halted core, with interrupts masked (C_MASKINTS, set while
/// halted as the architecture requires) and the breakpoint unit off for that one instruction
/// (a breakpoint on it would match again). Unlike a step that halts a locked-up core and calls
/// that done, it tells a lockup apart: an instruction that could not be executed is never
/// reported as a completed step.
fn step_instruction(core: &mut probe_rs::Core<'_>) -> Result<Stepped, probe_rs::Error> {
    let fp_ctrl = core.read_word_32(FP_CTRL)?;
    let breakpoints_on = fp_ctrl & FP_CTRL_ENABLE != 0;
    if breakpoints_on {
        core.write_word_32(FP_CTRL, FP_CTRL_KEY)?;
    }
    core.write_word_32(DHCSR, DBGKEY | C_DEBUGEN | C_HALT | C_MASKINTS)?;
    core.write_word_32(DHCSR, DBGKEY | C_DEBUGEN | C_MASKINTS | C_STEP)?;
    core.flush()?;
    let deadline = Instant::now() + STEP_TIMEOUT;
    let outcome = loop {
        let dhcsr = core.read_word_32(DHCSR)?;
        if dhcsr & S_LOCKUP != 0 {
            break Ok(Stepped::LockedUp);
        }
        if dhcsr & S_HALT != 0 {
            break Ok(Stepped::Done);
        }
        if Instant::now() > deadline {
            break Err(probe_rs::Error::Timeout);
        }
        std::thread::sleep(Duration::from_micros(200));
    };
    if matches!(outcome, Ok(Stepped::Done)) {
        // Halted again: leave C_MASKINTS as it was before the step, C_STEP clear.
        core.write_word_32(DHCSR, DBGKEY | C_DEBUGEN | C_HALT)?;
    }
    if breakpoints_on {
        core.write_word_32(FP_CTRL, fp_ctrl | FP_CTRL_KEY)?;
    }
    // probe-rs learns the core's state from DHCSR again. Its reading of a halt on a
    // semihosting BKPT may fail (an unreadable parameter block): the call is served and
    // judged by the caller, so that is not this step's error.
    if let Err(e) = core.status() {
        log::debug!("core status after a step: {e}");
    }
    outcome
}

impl ChipTarget<'_> {
    /// The core locked up: halt it (which ends the lockup), record where and on what, and stop
    /// with a line in GDB's console naming the instruction and its address, before the stop.
    fn stop_for_lockup(&mut self) -> Result<StopReason, probe_rs::Error> {
        let mut core = self.core()?;
        let lockup = fault::lockup::capture(&mut core)?;
        let regs = fault::read(&mut core)?.regs;
        drop(core);
        let line = lockup.line(&regs);
        self.console.extend_from_slice(line.as_bytes());
        self.console
            .extend_from_slice(b"\n(`monitor fault` for the fault status)\n");
        self.last_lockup = Some(lockup);
        self.forget_registers();
        // SIGILL when nothing explains it but the instruction, SIGSEGV after a fault.
        let signal = if fault::diagnose(&regs).exception.is_some() {
            Signal::SIGSEGV
        } else {
            Signal::SIGILL
        };
        Ok(StopReason::Signal(signal))
    }
}

/// The signal for a halt that is not a breakpoint, watchpoint or step of ours.
pub fn signal_for(reason: HaltReason) -> Signal {
    match reason {
        HaltReason::Request | HaltReason::External => Signal::SIGINT,
        _ => Signal::SIGTRAP,
    }
}

/// A semihosting call served on a halted core, and how the core gets past its BKPT.
enum Served {
    /// The program ended; the core stays on the BKPT.
    Exited(Exit),
    /// probe-rs decoded the call: its next step or run, from the BKPT it reported, halts on
    /// the BKPT again and moves the PC past it.
    PastByProbeRs,
    /// probe-rs could not decode the call (it holds no decoding to clear): the PC is moved
    /// past the BKPT here, and a run releases the core without probe-rs's step, which would
    /// try to decode it again and fail.
    PastByHand {
        /// The BKPT's address.
        pc: u32,
    },
}

/// Moves the PC past the BKPT at `pc` and lets the core run: DHCSR = DBGKEY | C_DEBUGEN
/// (C_HALT, C_STEP and C_MASKINTS clear).
fn release_past_bkpt(core: &mut probe_rs::Core<'_>, pc: u32) -> Result<(), probe_rs::Error> {
    core.write_core_reg(core.program_counter(), pc + 2)?;
    core.write_word_32(DHCSR, DBGKEY | C_DEBUGEN)?;
    core.flush()
}

/// How GDB learns of the program's end: an exit status (`W`, "exited with code N"), or for a
/// run-time error (`abort()`) termination by SIGABRT (`X`).
pub fn exit_stop_reason(exit: Exit) -> StopReason {
    match exit.status() {
        Some(code) => StopReason::Exited(code),
        None => StopReason::Terminated(Signal::SIGABRT),
    }
}

/// A console output packet (`O` followed by the text in hex), framed with its checksum.
pub fn console_packet(text: &[u8]) -> String {
    let mut body = String::with_capacity(1 + 2 * text.len());
    body.push('O');
    for b in text {
        body.push_str(&format!("{b:02x}"));
    }
    let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    format!("${body}#{sum:02x}")
}

/// The console line for a vector-catch stop, from the fault's one-line summary.
pub fn vector_catch_line(headline: &str) -> String {
    format!("vector catch: {headline}")
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
    /// Lets the core run on past the call it was halted on; `None` while it runs (GDB keeps
    /// waiting), a SIGTRAP stop if it cannot be resumed.
    fn run_past_call(&mut self, pc: u32) -> Result<Option<StopReason>, probe_rs::Error> {
        // probe-rs's run steps first; a step from a BKPT it reported halts on the BKPT again,
        // and probe-rs then moves the PC past it (PC + 2) before the core runs.
        let mut core = self.core()?;
        match core.run() {
            Ok(()) => Ok(None),
            Err(e) => {
                log::warn!("semihosting: resuming past the BKPT at {pc:#010x}: {e}");
                if !core.core_halted()? {
                    core.halt(HALT_TIMEOUT)?;
                }
                drop(core);
                self.exec = Exec::Halted;
                Ok(Some(StopReason::Signal(Signal::SIGTRAP)))
            }
        }
    }

    /// With semihosting enabled, serves the call the halted core stands on, if it stands on
    /// one. The core is left on the BKPT; what follows says how to move past it.
    fn serve_pending_call(&mut self) -> Result<Option<Served>, probe_rs::Error> {
        if !self.semihosting.enabled() {
            return Ok(None);
        }
        self.forget_registers();
        let (mut core, semihosting) = self.core_with_semihosting()?;
        if !core.core_halted()? {
            return Ok(None);
        }
        let Some(call) = pending_call(&mut core)? else {
            return Ok(None);
        };
        let pc: u32 = core.read_core_reg(core.program_counter())?;
        Ok(Some(match (semihosting.serve(&mut core, call)?, call) {
            (Outcome::Exit(exit), Call::Decoded(_)) => {
                // probe-rs keeps the exit call it decoded until its next step or reset, and
                // would report it again at the next program's first call (after `run`, which
                // resets without clearing it): step past the BKPT now, which clears it. The
                // program has ended; the core stays halted just past its exit call.
                if let Err(e) = core.step() {
                    log::debug!("stepping past the exit call: {e}");
                }
                Served::Exited(exit)
            }
            (Outcome::Exit(exit), Call::Undecodable) => Served::Exited(exit),
            (Outcome::Resume, Call::Decoded(_)) => Served::PastByProbeRs,
            (Outcome::Resume, Call::Undecodable) => Served::PastByHand { pc },
        }))
    }

    /// The stop GDB gets for the program's end, with one line on the server's console. The
    /// core stays halted just past the exit call.
    fn exit_stop(&self, exit: Exit) -> StopReason {
        log::info!("semihosting: {}", exit.describe());
        exit_stop_reason(exit)
    }

    /// Queues the program's semihosting console output, then the server's own lines (a caught
    /// fault), for GDB's console (`O` packets, which the remote protocol allows while GDB waits
    /// for a stop reply). The caller sends them with the chip given back.
    pub(crate) fn forward_console_output<C: Connection>(
        &mut self,
        conn: &mut C,
    ) -> Result<(), C::Error> {
        let mut output = self.semihosting.take_debugger_output();
        output.append(&mut self.console);
        if output.is_empty() {
            return Ok(());
        }
        for chunk in output.chunks(CONSOLE_CHUNK) {
            conn.write_all(console_packet(chunk).as_bytes())?;
        }
        conn.flush()
    }

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
    /// A caught fault is `None` with the stop held in [`Exec::Stopped`] and its line in the
    /// console queue, so that the event loop sends the line before the stop reply.
    pub(crate) fn poll_stop(&mut self) -> Result<Option<StopReason>, probe_rs::Error> {
        let mut core = self.core()?;
        let reason = match halt_status(&mut core)? {
            CoreStatus::Halted(reason) => reason,
            CoreStatus::LockedUp => {
                drop(core);
                let stop = self.stop_for_lockup()?;
                self.exec = Exec::Stopped(stop);
                return Ok(None);
            }
            CoreStatus::Running | CoreStatus::Sleeping | CoreStatus::Unknown => return Ok(None),
        };
        let pc: u32 = core.read_core_reg(core.program_counter())?;
        if let HaltReason::Breakpoint(_) = reason {
            drop(core);
            // A GDB breakpoint on the BKPT itself is reported as such; the call is served when
            // GDB resumes or steps.
            if self.semihosting.enabled() && self.breakpoints.use_at(pc).is_none() {
                if self.semihosting.has_debugger_output() {
                    // The last call's output has not reached GDB yet: the program waits on
                    // this call, halted, until the event loop has sent it.
                    return Ok(None);
                }
                match self.serve_pending_call()? {
                    None => {}
                    Some(Served::Exited(exit)) => {
                        self.exec = Exec::Halted;
                        return Ok(Some(self.exit_stop(exit)));
                    }
                    Some(Served::PastByHand { pc }) => {
                        release_past_bkpt(&mut self.core()?, pc)?;
                        return Ok(None);
                    }
                    Some(Served::PastByProbeRs) => return self.run_past_call(pc),
                }
            }
            core = self.core()?;
        }
        // A vector catch (probe-rs reports DFSR.VCATCH as an exception): the fault status says
        // which signal fits, and one line names the fault, in the server's log and in GDB's
        // console (`monitor fault` gives the details).
        let mut fault_line = None;
        let fault_signal = if reason == HaltReason::Exception {
            match fault::read(&mut core) {
                Ok(snapshot) => {
                    let class = fault::diagnose(&snapshot.regs).class;
                    if class != FaultClass::None || fault::report::uncaused_hard_fault(&snapshot) {
                        let line = vector_catch_line(&fault::report::headline(&snapshot));
                        log::warn!("{line} (`monitor fault` for details)");
                        fault_line = Some(line);
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
        if let (Some(line), StopReason::Signal(_)) = (fault_line, stop) {
            // The stop waits for the event loop's next turn, which sends the console output
            // first: GDB prints the line, then the signal.
            self.console.extend_from_slice(line.as_bytes());
            self.console.push(b'\n');
            self.exec = Exec::Stopped(stop);
            return Ok(None);
        }
        Ok(Some(stop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_packets_are_hex_with_their_checksum() {
        // "OK" must not reach GDB as an "OK" reply: the O packet carries hex.
        assert_eq!(console_packet(b"OK"), "$O4f4b#7f");
        assert_eq!(console_packet(b"hi\n"), "$O68690a#bd");
    }

    #[test]
    fn exits_map_to_gdb_stops() {
        assert_eq!(
            exit_stop_reason(Exit::Application(7)),
            StopReason::Exited(7)
        );
        assert_eq!(
            exit_stop_reason(Exit::RunTimeError),
            StopReason::Terminated(Signal::SIGABRT)
        );
        assert_eq!(
            exit_stop_reason(Exit::Other {
                reason: 0x20000,
                subcode: None
            }),
            StopReason::Exited(1)
        );
    }
}
