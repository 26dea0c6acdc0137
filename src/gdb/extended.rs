//! Extended-remote mode: `run` and `R` reset and halt the chip (so that GDB fetches the memory
//! map again, which changes after a bank switch), `kill` resets and halts without ending the
//! server, and `attach` just halts.

use gdbstub::common::Pid;
use gdbstub::target::ext::extended_mode::{
    Args, AttachKind, CurrentActivePid, CurrentActivePidOps, ExtendedMode, ShouldTerminate,
};
use gdbstub::target::TargetResult;

use super::target::{soft, ChipTarget, Exec, TargetFault, HALT_TIMEOUT};

/// The one "process": the chip.
pub const CHIP_PID: Pid = match Pid::new(1) {
    Some(pid) => pid,
    None => unreachable!(),
};

impl ChipTarget<'_> {
    /// Reset and halt with every breakpoint and watchpoint gone (GDB inserts them again).
    fn restart_chip(&mut self, why: &str) -> Result<(), probe_rs::Error> {
        log::info!("{why}: reset and halt");
        self.clear_debug_units()?;
        self.reset_and_halt()?;
        self.exec = Exec::Halted;
        Ok(())
    }
}

impl ExtendedMode for ChipTarget<'_> {
    fn run(&mut self, filename: Option<&[u8]>, _args: Args<'_, '_>) -> TargetResult<Pid, Self> {
        if let Some(name) = filename {
            log::debug!("run: ignoring file name {}", String::from_utf8_lossy(name));
        }
        soft("run", self.restart_chip("run"))?;
        Ok(CHIP_PID)
    }

    fn attach(&mut self, _pid: Pid) -> TargetResult<(), Self> {
        let mut core = soft("core", self.core())?;
        if !soft("core status", core.core_halted())? {
            soft("halt", core.halt(HALT_TIMEOUT))?;
        }
        Ok(())
    }

    fn query_if_attached(&mut self, _pid: Pid) -> TargetResult<AttachKind, Self> {
        // "Attached": quitting GDB detaches (the chip keeps running) instead of killing it.
        Ok(AttachKind::Attach)
    }

    fn kill(&mut self, _pid: Option<Pid>) -> TargetResult<ShouldTerminate, Self> {
        soft("kill", self.restart_chip("kill"))?;
        Ok(ShouldTerminate::No)
    }

    fn restart(&mut self) -> Result<(), TargetFault> {
        self.restart_chip("restart")?;
        Ok(())
    }

    fn support_current_active_pid(&mut self) -> Option<CurrentActivePidOps<'_, Self>> {
        Some(self)
    }
}

impl CurrentActivePid for ChipTarget<'_> {
    fn current_active_pid(&mut self) -> Result<Pid, TargetFault> {
        Ok(CHIP_PID)
    }
}
