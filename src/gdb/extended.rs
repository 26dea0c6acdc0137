//! Extended-remote mode: `run` and `R` reset and halt the chip (so that GDB fetches the memory
//! map again, which changes after a bank switch), `kill` resets and halts without ending the
//! server, and `attach` just halts.
//!
//! `run` starts the program again also after it ended through semihosting (the session stays
//! open in extended mode, see `server::run_session`); its arguments (`run ARGS`, `set args`)
//! become the command line SYS_GET_CMDLINE returns.

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

/// The command line for SYS_GET_CMDLINE from `run`'s arguments, as GDB split them: joined by
/// blanks, an argument with a blank or a quote in it quoted the way C start-up code parses it
/// back (newlib's `crt0` splits at blanks and honours double quotes).
pub fn command_line<'a>(args: impl Iterator<Item = &'a [u8]>) -> String {
    let words: Vec<String> = args
        .map(|arg| {
            let word = String::from_utf8_lossy(arg);
            if word.is_empty() || word.contains([' ', '\t', '"', '\'']) {
                format!("\"{}\"", word.replace('"', "\\\""))
            } else {
                word.into_owned()
            }
        })
        .collect();
    words.join(" ")
}

impl ExtendedMode for ChipTarget<'_> {
    fn run(&mut self, filename: Option<&[u8]>, args: Args<'_, '_>) -> TargetResult<Pid, Self> {
        if let Some(name) = filename {
            log::debug!("run: ignoring file name {}", String::from_utf8_lossy(name));
        }
        // GDB sends the arguments on every `run` (those of `set args` or of the last
        // `run ARGS`); none at all leaves the line `monitor arm semihosting_cmdline` set.
        let line = command_line(args);
        if !line.is_empty() {
            log::info!("run: semihosting command line {line:?}");
            self.semihosting.set_cmdline(&line);
        }
        soft("run", self.restart_chip("run"))?;
        Ok(CHIP_PID)
    }

    fn on_start(&mut self) -> Result<(), TargetFault> {
        self.extended = true;
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_arguments_become_one_command_line() {
        let args: [&[u8]; 3] = [b"one", b"two words", b"say \"hi\""];
        assert_eq!(
            command_line(args.into_iter()),
            r#"one "two words" "say \"hi\"""#
        );
        assert_eq!(command_line(std::iter::empty()), "");
        let empty: [&[u8]; 2] = [b"", b"x"];
        assert_eq!(command_line(empty.into_iter()), "\"\" x");
    }
}
