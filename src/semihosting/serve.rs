//! Serving one semihosting call on a halted core.
//!
//! probe-rs's decoding says which operation the program asked for and, for the exits, the
//! reason and status. Where probe-rs keeps the parameter block's fields to itself or reads a
//! length the program gave without a bound (SYS_OPEN's path, SYS_WRITE's buffer), the block is
//! read here again from R1, which decoding leaves untouched. Note that decoding already wrote
//! -1 to R0 for most operations ("failed, in case nobody answers"); every reply here writes R0
//! again.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

use probe_rs::config::MemoryRegion;
use probe_rs::semihosting::SemihostingCommand;
use probe_rs::{BreakpointCause, Core, CoreStatus, HaltReason, MemoryInterface};

use super::basedir::BaseDir;
use super::files::{Handles, Kind, Stream};
use super::ops::{self, errno, op, Exit};
use super::{Console, HostConsole};

/// The encoding of `BKPT 0xAB` in Thumb state, as it sits in memory (little-endian 0xBEAB).
pub const BKPT_0XAB: [u8; 2] = [0xAB, 0xBE];
/// The longest path SYS_OPEN reads.
const MAX_PATH: u32 = 1024;
/// The most bytes one SYS_WRITE or SYS_WRITE0 moves; the rest is reported as not written (the
/// program's C library writes it with the next call), so a wild length cannot make the server
/// read all of memory in one go.
const MAX_TRANSFER: u32 = 64 * 1024;

/// What the caller does after a call was served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// R0 holds the result: let the core run on past the BKPT.
    Resume,
    /// The program ended (SYS_EXIT, SYS_EXIT_EXTENDED): the core stays halted on the BKPT.
    Exit(Exit),
}

/// The semihosting service of one debug session: off until enabled.
///
/// Output goes two ways. The server's console gets it through a bounded queue that drops (and
/// counts) what does not fit ([`HostConsole`]). The debugger's console gets it through
/// [`Semihosting::take_debugger_output`]: the caller hands it on before serving the next call
/// ([`Semihosting::has_debugger_output`]), so a debugger that does not read makes the program
/// wait at its next call, and never more than one call's output is held here.
pub struct Semihosting {
    enabled: bool,
    started: Instant,
    errno: i32,
    cmdline: String,
    handles: Handles,
    basedir: Option<BaseDir>,
    console: Box<dyn Console + Send>,
    for_debugger: Vec<u8>,
}

impl Default for Semihosting {
    fn default() -> Semihosting {
        Semihosting::new(Box::new(HostConsole::default()))
    }
}

impl std::fmt::Debug for Semihosting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semihosting")
            .field("enabled", &self.enabled)
            .field("errno", &self.errno)
            .field("cmdline", &self.cmdline)
            .field("basedir", &self.basedir)
            .finish_non_exhaustive()
    }
}

/// A semihosting call the core is halted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// Decoded by probe-rs.
    Decoded(SemihostingCommand),
    /// probe-rs could not read the parameter block R1 points at (the program passed a bad
    /// address): the call fails with EFAULT.
    Undecodable,
}

/// The core's status. probe-rs reads a semihosting call's parameter block while it reads the
/// halt, so a program's bad pointer fails `Core::status`; the halt reason is then already
/// recorded, and a second look returns it (without the decoding). A probe that really stopped
/// answering fails the second look too.
pub fn halt_status(core: &mut Core<'_>) -> Result<CoreStatus, probe_rs::Error> {
    match core.status() {
        Ok(status) => Ok(status),
        Err(e) => {
            log::debug!("core status: {e}; looking again");
            core.status()
        }
    }
}

/// The semihosting call the core is halted on, if it is halted on one: a breakpoint halt with
/// `BKPT 0xAB` at PC (a PC the user moved, or a step past the BKPT, leaves probe-rs's cached
/// decoding behind, hence the look at the instruction).
pub fn pending_call(core: &mut Core<'_>) -> Result<Option<Call>, probe_rs::Error> {
    let CoreStatus::Halted(HaltReason::Breakpoint(cause)) = halt_status(core)? else {
        return Ok(None);
    };
    let pc: u32 = core.read_core_reg(core.program_counter())?;
    let mut instruction = [0u8; 2];
    core.read_8(u64::from(pc), &mut instruction)?;
    if instruction != BKPT_0XAB {
        return Ok(None);
    }
    Ok(Some(match cause {
        BreakpointCause::Semihosting(call) => Call::Decoded(call),
        _ => Call::Undecodable,
    }))
}

impl Semihosting {
    /// A disabled service whose console output goes to `console`.
    pub fn new(console: Box<dyn Console + Send>) -> Semihosting {
        Semihosting {
            enabled: false,
            started: Instant::now(),
            errno: 0,
            cmdline: String::new(),
            handles: Handles::default(),
            basedir: None,
            console,
            for_debugger: Vec::new(),
        }
    }

    /// The program starts again (`run`, a reset): its handles are closed (host files too),
    /// SYS_CLOCK and SYS_ELAPSED count from zero, errno is cleared. The settings stay.
    pub fn restart(&mut self) {
        self.handles.close_all();
        self.errno = 0;
        self.started = Instant::now();
    }

    /// The host directory SYS_OPEN may open files in (`None`: no host files, the default).
    pub fn basedir(&self) -> Option<&BaseDir> {
        self.basedir.as_ref()
    }

    /// Sets or clears the host directory. Files already open stay open.
    pub fn set_basedir(&mut self, dir: Option<BaseDir>) {
        self.basedir = dir;
    }

    /// Whether `BKPT 0xAB` halts are served.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Turns the service on or off. Enabling starts SYS_CLOCK from zero.
    pub fn set_enabled(&mut self, on: bool) {
        if on && !self.enabled {
            self.started = Instant::now();
        }
        self.enabled = on;
    }

    /// The command line SYS_GET_CMDLINE returns.
    pub fn cmdline(&self) -> &str {
        &self.cmdline
    }

    /// Sets the command line SYS_GET_CMDLINE returns.
    pub fn set_cmdline(&mut self, cmdline: &str) {
        self.cmdline = cmdline.to_string();
    }

    /// The console output not yet handed to the debugger's own console (GDB's), taken.
    pub fn take_debugger_output(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.for_debugger)
    }

    /// Whether output for the debugger is still waiting to be taken: the next call should wait
    /// until it has been (the program waits for a debugger that does not read).
    pub fn has_debugger_output(&self) -> bool {
        !self.for_debugger.is_empty()
    }

    /// Serves `call` on the halted `core`. An address the program gave that cannot be read or
    /// written makes the call fail (R0 = -1, errno EFAULT) instead of ending the session; an
    /// error is returned only when the core's registers cannot be reached.
    pub fn serve(&mut self, core: &mut Core<'_>, call: Call) -> Result<Outcome, probe_rs::Error> {
        let call = match call {
            Call::Decoded(call) => call,
            Call::Undecodable => {
                let operation: u32 = core.read_core_reg(core.registers().argument_register(0))?;
                log::warn!(
                    "semihosting: operation {operation:#x} ({}): its parameter block cannot be read; it returns -1 (EFAULT)",
                    ops::op_name(operation).unwrap_or("unknown")
                );
                self.fail(core, errno::EFAULT)?;
                return Ok(Outcome::Resume);
            }
        };
        match self.dispatch(core, call) {
            Ok(outcome) => Ok(outcome),
            Err(e) => {
                log::warn!("semihosting {call:?}: {e}; the call returns -1 (EFAULT)");
                self.fail(core, errno::EFAULT)?;
                Ok(Outcome::Resume)
            }
        }
    }

    fn dispatch(
        &mut self,
        core: &mut Core<'_>,
        call: SemihostingCommand,
    ) -> Result<Outcome, probe_rs::Error> {
        use SemihostingCommand as C;
        match call {
            C::ExitSuccess => return Ok(Outcome::Exit(Exit::Application(0))),
            C::ExitError(details) => {
                let exit = match details.exit_status {
                    Some(status) => Exit::Application(status),
                    None => Exit::from_reason(details.reason, details.subcode),
                };
                return Ok(Outcome::Exit(exit));
            }
            C::Open(_) => self.open(core)?,
            C::Close(req) => {
                let r = self.handles.close(req.file_handle()).map(|_| 0);
                self.reply(core, r)?
            }
            C::WriteConsole(_) => self.write_console(core)?,
            C::Write(_) => self.write(core)?,
            C::Read(_) => self.read(core)?,
            C::Seek(req) => {
                let r = self
                    .handles
                    .seek(req.file_handle(), req.position())
                    .map(|_| 0);
                self.reply(core, r)?
            }
            C::FileLength(req) => {
                let r = self.handles.length(req.file_handle());
                self.reply(core, r)?
            }
            C::Time(_) => self.time(core)?,
            C::Errno(_) => self.errno_reply(core)?,
            C::GetCommandLine(_) => self.cmdline_reply(core)?,
            C::Remove(_) => self.unsupported(core, op::SYS_REMOVE)?,
            C::Rename(_) => self.unsupported(core, op::SYS_RENAME)?,
            C::Unknown(details) => self.other(core, details.operation, details.parameter)?,
        }
        Ok(Outcome::Resume)
    }

    /// The operations probe-rs leaves undecoded (and SYS_TIME/SYS_ERRNO with a nonzero R1,
    /// which it does not recognise).
    fn other(
        &mut self,
        core: &mut Core<'_>,
        operation: u32,
        parameter: u32,
    ) -> Result<(), probe_rs::Error> {
        match operation {
            op::SYS_ISTTY => {
                let [handle] = read_words(core, parameter)?;
                let r = self.handles.is_tty(handle);
                self.reply(core, r)
            }
            op::SYS_ISERROR => {
                let [status] = read_words(core, parameter)?;
                set_r0(core, u32::from((status as i32) < 0))
            }
            op::SYS_CLOCK => {
                let centiseconds = self.started.elapsed().as_millis() / 10;
                set_r0(core, centiseconds.min(i32::MAX as u128) as u32)
            }
            op::SYS_TIME => self.time(core),
            op::SYS_ERRNO => self.errno_reply(core),
            op::SYS_HEAPINFO => self.heapinfo(core, parameter),
            op::SYS_ELAPSED => {
                let ticks = self.started.elapsed().as_micros() as u64;
                let words = [ticks as u32, (ticks >> 32) as u32];
                core.write_32(u64::from(parameter), &words)?;
                set_r0(core, 0)
            }
            op::SYS_TICKFREQ => set_r0(core, 1_000_000),
            other => self.unsupported(core, other),
        }
    }

    fn unsupported(&mut self, core: &mut Core<'_>, operation: u32) -> Result<(), probe_rs::Error> {
        log::warn!(
            "semihosting: operation {operation:#x} ({}) is not supported; it returns -1 (ENOSYS)",
            ops::op_name(operation).unwrap_or("unknown")
        );
        self.fail(core, errno::ENOSYS)
    }

    /// SYS_OPEN: block [path, mode, length of the path without its NUL].
    fn open(&mut self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let block = param_block(core)?;
        let [path, mode, len] = read_words(core, block)?;
        if len > MAX_PATH {
            return self.fail(core, errno::EINVAL);
        }
        let mut name = vec![0u8; len as usize];
        core.read(u64::from(path), &mut name)?;
        let name = String::from_utf8_lossy(&name);
        let r = self.handles.open(&name, mode, self.basedir.as_ref());
        if let Err(e) = r {
            log::info!("semihosting: SYS_OPEN {name:?} mode {mode} refused (errno {e})");
        }
        self.reply(core, r)
    }

    /// SYS_WRITEC (R1 points at one byte) and SYS_WRITE0 (R1 points at a NUL-terminated
    /// string): the debug channel, the server's standard output. R0 still holds the operation.
    fn write_console(&mut self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let operation: u32 = core.read_core_reg(core.registers().argument_register(0))?;
        let at = param_block(core)?;
        let bytes = if operation == op::SYS_WRITEC {
            let mut byte = [0u8; 1];
            core.read_8(u64::from(at), &mut byte)?;
            byte.to_vec()
        } else {
            read_c_string(core, at)?
        };
        self.emit(Stream::Stdout, &bytes);
        // The specification leaves R0 corrupted; nothing is written back.
        Ok(())
    }

    /// SYS_WRITE: block [handle, buffer, length]; R0 = the number of bytes not written.
    fn write(&mut self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let block = param_block(core)?;
        let [handle, buffer, len] = read_words(core, block)?;
        let kind = match self.handles.get(handle) {
            Ok(kind @ (Kind::Console(Stream::Stdout | Stream::Stderr) | Kind::Host)) => kind,
            Ok(_) => return self.fail(core, errno::EBADF),
            Err(e) => return self.fail(core, e),
        };
        let now = len.min(MAX_TRANSFER);
        let mut bytes = vec![0u8; now as usize];
        core.read(u64::from(buffer), &mut bytes)?;
        match kind {
            Kind::Console(stream) => self.emit(stream, &bytes),
            _ => {
                if let Err(e) = self.handles.write_host(handle, &bytes) {
                    return self.fail(core, e);
                }
            }
        }
        set_r0(core, len - now)
    }

    /// SYS_READ: block [handle, buffer, length]; R0 = the number of bytes not read, so the
    /// length itself means end of file. Standard input always reads as end of file: the
    /// server's own input is not the program's (a read would block the GDB session). A host
    /// file gives at most [`MAX_TRANSFER`] bytes per call (the C library asks again).
    fn read(&mut self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let block = param_block(core)?;
        let [handle, buffer, len] = read_words(core, block)?;
        let bytes = match self.handles.get(handle) {
            Ok(Kind::Console(Stream::Stdin)) => return set_r0(core, len),
            Ok(Kind::Features) => self.handles.read_features(handle, len),
            Ok(Kind::Host) => match self
                .handles
                .read_host(handle, len.min(MAX_TRANSFER) as usize)
            {
                Ok(bytes) => bytes,
                Err(e) => return self.fail(core, e),
            },
            Ok(Kind::Console(_)) => return self.fail(core, errno::EBADF),
            Err(e) => return self.fail(core, e),
        };
        if !bytes.is_empty() {
            core.write_8(u64::from(buffer), &bytes)?;
        }
        set_r0(core, len - bytes.len() as u32)
    }

    fn time(&mut self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let seconds = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        set_r0(core, seconds as u32)
    }

    fn errno_reply(&mut self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        set_r0(core, self.errno as u32)
    }

    /// SYS_GET_CMDLINE: block [buffer, length]; the command line with its NUL goes into the
    /// buffer and the block's length becomes the line's length.
    fn cmdline_reply(&mut self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let block = param_block(core)?;
        let [buffer, len] = read_words(core, block)?;
        let mut line = self.cmdline.clone().into_bytes();
        line.push(0);
        if line.len() > len as usize {
            return self.fail(core, errno::EINVAL);
        }
        core.write_8(u64::from(buffer), &line)?;
        core.write_32(u64::from(block) + 4, &[line.len() as u32 - 1])?;
        set_r0(core, 0)
    }

    /// SYS_HEAPINFO: R1 points at a word that holds the address of a 4-word block: heap base,
    /// heap limit, stack base (its top), stack limit. The server knows the chip, not the
    /// program: it reports the largest contiguous RAM of the live target as probe-rs describes
    /// it (on STM32F76x/F77x DTCM + SRAM1 + SRAM2, 0x2000_0000–0x2008_0000; on STM32G47x/G48x
    /// SRAM1 + SRAM2 + CCM SRAM, 0x2000_0000–0x2002_0000) for both, the stack at its top. C libraries take
    /// the heap's start from their own end of `.bss` and keep the stack pointer the vector
    /// table set; they use the limits.
    fn heapinfo(&mut self, core: &mut Core<'_>, parameter: u32) -> Result<(), probe_rs::Error> {
        let [block] = read_words(core, parameter)?;
        let (start, end) = largest_ram(core.memory_regions().filter_map(|r| match r {
            MemoryRegion::Ram(ram) if !ram.is_alias => Some(ram.range.clone()),
            _ => None,
        }))
        .unwrap_or((0, 0));
        core.write_32(u64::from(block), &[start, end, end, start])?;
        set_r0(core, 0)
    }

    /// Writes the result of an operation that returns a value or fails with an errno.
    fn reply(
        &mut self,
        core: &mut Core<'_>,
        result: Result<u32, i32>,
    ) -> Result<(), probe_rs::Error> {
        match result {
            Ok(value) => set_r0(core, value),
            Err(e) => self.fail(core, e),
        }
    }

    /// A failed call: R0 = -1, and SYS_ERRNO reports `e` until the next failure.
    fn fail(&mut self, core: &mut Core<'_>, e: i32) -> Result<(), probe_rs::Error> {
        self.errno = e;
        set_r0(core, ops::r0(-1))
    }

    fn emit(&mut self, stream: Stream, bytes: &[u8]) {
        self.console.write(stream, bytes);
        self.for_debugger.extend_from_slice(bytes);
    }
}

/// R1: the parameter, for most operations the address of the parameter block.
fn param_block(core: &mut Core<'_>) -> Result<u32, probe_rs::Error> {
    core.read_core_reg(core.registers().argument_register(1))
}

fn set_r0(core: &mut Core<'_>, value: u32) -> Result<(), probe_rs::Error> {
    core.write_core_reg(core.registers().argument_register(0), value)
}

fn read_words<const N: usize>(core: &mut Core<'_>, at: u32) -> Result<[u32; N], probe_rs::Error> {
    let mut words = [0u32; N];
    core.read_32(u64::from(at), &mut words)?;
    Ok(words)
}

/// A NUL-terminated string, read in small pieces up to [`MAX_TRANSFER`] bytes.
fn read_c_string(core: &mut Core<'_>, at: u32) -> Result<Vec<u8>, probe_rs::Error> {
    const PIECE: u32 = 64;
    let mut bytes = Vec::new();
    let mut addr = at;
    while (bytes.len() as u32) < MAX_TRANSFER {
        // Each piece ends at a 64-byte boundary, so a string that ends just before unreadable
        // memory is not read past it.
        let n = PIECE - (addr % PIECE);
        let mut piece = vec![0u8; n as usize];
        core.read_8(u64::from(addr), &mut piece)?;
        if let Some(end) = piece.iter().position(|&b| b == 0) {
            bytes.extend_from_slice(&piece[..end]);
            return Ok(bytes);
        }
        bytes.extend_from_slice(&piece);
        addr = addr.wrapping_add(n);
    }
    Ok(bytes)
}

/// The largest span of adjacent RAM ranges, as 32-bit bounds.
pub fn largest_ram(ranges: impl Iterator<Item = std::ops::Range<u64>>) -> Option<(u32, u32)> {
    let mut ranges: Vec<_> = ranges.filter(|r| r.end <= 1 << 32).collect();
    ranges.sort_by_key(|r| r.start);
    let mut spans: Vec<std::ops::Range<u64>> = Vec::new();
    for r in ranges {
        match spans.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => spans.push(r),
        }
    }
    spans
        .into_iter()
        .max_by_key(|s| s.end - s.start)
        .map(|s| (s.start as u32, s.end.min(u64::from(u32::MAX)) as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_is_the_largest_contiguous_ram() {
        // STM32F767: ITCM, DTCM, SRAM1+2 (as probe-rs lists them), backup SRAM.
        let ranges = [
            0x0000_0000..0x0000_4000,
            0x2002_0000..0x2008_0000,
            0x2000_0000..0x2002_0000,
            0x4002_4000..0x4002_5000,
        ];
        assert_eq!(
            largest_ram(ranges.into_iter()),
            Some((0x2000_0000, 0x2008_0000))
        );
        assert_eq!(largest_ram(std::iter::empty()), None);
        // STM32G474: CCM SRAM through ICODE, and SRAM1 + SRAM2 + CCM SRAM on the data bus.
        let g4 = [0x1000_0000..0x1000_8000, 0x2000_0000..0x2002_0000];
        assert_eq!(
            largest_ram(g4.into_iter()),
            Some((0x2000_0000, 0x2002_0000))
        );
    }
}
