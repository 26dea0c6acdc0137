//! The semihosting service on a real probe-rs `Core` of the simulated chip: a `BKPT 0xAB` in
//! RAM halts the core on it (DFSR.BKPT, PC on the BKPT), probe-rs decodes the call, and
//! `Semihosting::serve` answers it in R0 and in the parameter block, its console captured.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use probe_rs::{BreakpointCause, Core, CoreStatus, HaltReason, MemoryInterface, RegisterId};
use stm32_opts::semihosting::{
    halt_status, pending_call, Call, Console, Exit, Outcome, Semihosting, Stream,
};
use stm32_opts::sim::Simulator;

const TIMEOUT: Duration = Duration::from_millis(500);
const R0: RegisterId = RegisterId(0);
const R1: RegisterId = RegisterId(1);
const PC: RegisterId = RegisterId(15);
const XPSR: RegisterId = RegisterId(16);
/// DTCM: `nop; bkpt 0xab; b .` (the NOP first, so probe-rs's step-before-run never starts on
/// the BKPT).
const CODE: u64 = 0x2000_0000;
const BKPT_AT: u32 = 0x2000_0002;
/// Parameter blocks and strings.
const DATA: u32 = 0x2000_0100;
const ENOSYS: u32 = 38;
const EBADF: u32 = 9;
const EFAULT: u32 = 14;
const EINVAL: u32 = 22;

/// Console writes, in order.
type Writes = Vec<(Stream, Vec<u8>)>;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Writes>>);

impl Console for Capture {
    fn write(&mut self, stream: Stream, bytes: &[u8]) {
        self.0.lock().unwrap().push((stream, bytes.to_vec()));
    }
}

impl Capture {
    fn text(&self, stream: Stream) -> String {
        let all = self.0.lock().unwrap();
        let bytes: Vec<u8> = all
            .iter()
            .filter(|(s, _)| *s == stream)
            .flat_map(|(_, b)| b.clone())
            .collect();
        String::from_utf8(bytes).unwrap()
    }
}

fn setup(core: &mut Core<'_>) {
    core.reset_and_halt(TIMEOUT).unwrap();
    core.write_8(CODE, &[0x00, 0xBF, 0xAB, 0xBE, 0xFE, 0xE7])
        .unwrap();
}

/// Runs the BKPT with R0 = `op`, R1 = `r1`; serves the call; returns the outcome and R0.
fn call(core: &mut Core<'_>, sh: &mut Semihosting, op: u32, r1: u32) -> (Outcome, u32) {
    core.write_core_reg(R0, op).unwrap();
    core.write_core_reg(R1, r1).unwrap();
    core.write_core_reg(XPSR, 1u32 << 24).unwrap();
    core.write_core_reg(PC, CODE as u32).unwrap();
    core.run().unwrap();
    wait_halted(core);
    let pc: u32 = core.read_core_reg(PC).unwrap();
    assert_eq!(pc, BKPT_AT, "the core halts on the BKPT");
    let call = pending_call(core)
        .unwrap()
        .unwrap_or_else(|| panic!("op {op:#x}: not a semihosting halt"));
    if let Call::Decoded(_) = call {
        assert!(matches!(
            core.status().unwrap(),
            CoreStatus::Halted(HaltReason::Breakpoint(BreakpointCause::Semihosting(_)))
        ));
    }
    let outcome = sh.serve(core, call).unwrap();
    let r0: u32 = core.read_core_reg(R0).unwrap();
    (outcome, r0)
}

/// Waits (bounded) for the halt; a halt probe-rs cannot decode is seen on the second look.
fn wait_halted(core: &mut Core<'_>) {
    for _ in 0..100 {
        if let CoreStatus::Halted(_) = halt_status(core).unwrap() {
            return;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("the core did not halt on the BKPT");
}

fn words(core: &mut Core<'_>, at: u32, values: &[u32]) {
    core.write_32(u64::from(at), values).unwrap();
}

fn with_core(test: impl FnOnce(&mut Core<'_>, &mut Semihosting, &Capture)) {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    setup(&mut core);
    let capture = Capture::default();
    let mut sh = Semihosting::new(Box::new(capture.clone()));
    sh.set_enabled(true);
    test(&mut core, &mut sh, &capture);
}

#[test]
fn console_writes_reach_the_console_and_the_debugger() {
    with_core(|core, sh, capture| {
        core.write_8(u64::from(DATA), b"hi there\n\0").unwrap();
        assert_eq!(call(core, sh, 0x04, DATA).0, Outcome::Resume); // SYS_WRITE0
        core.write_8(u64::from(DATA), b"!").unwrap();
        assert_eq!(call(core, sh, 0x03, DATA).0, Outcome::Resume); // SYS_WRITEC
        assert_eq!(capture.text(Stream::Stdout), "hi there\n!");
        assert_eq!(sh.take_debugger_output(), b"hi there\n!");
        assert!(sh.take_debugger_output().is_empty(), "taken once");
    });
}

#[test]
fn tt_open_write_istty_seek_flen_close() {
    with_core(|core, sh, capture| {
        // SYS_OPEN(":tt", "a") is standard error.
        core.write_8(u64::from(DATA + 0x40), b":tt\0").unwrap();
        words(core, DATA, &[DATA + 0x40, 8, 3]);
        let (_, handle) = call(core, sh, 0x01, DATA);
        assert!(handle != 0 && handle != u32::MAX, "handle {handle:#x}");
        // SYS_WRITE(handle, "oops\n", 5) → 0 bytes left.
        core.write_8(u64::from(DATA + 0x80), b"oops\n").unwrap();
        words(core, DATA, &[handle, DATA + 0x80, 5]);
        assert_eq!(call(core, sh, 0x05, DATA).1, 0);
        assert_eq!(capture.text(Stream::Stderr), "oops\n");
        assert_eq!(capture.text(Stream::Stdout), "");
        words(core, DATA, &[handle]);
        assert_eq!(call(core, sh, 0x09, DATA).1, 1, "SYS_ISTTY");
        assert_eq!(call(core, sh, 0x0C, DATA).1, 0, "SYS_FLEN of a terminal");
        words(core, DATA, &[handle, 0]);
        assert_eq!(call(core, sh, 0x0A, DATA).1, u32::MAX, "SYS_SEEK");
        assert_eq!(call(core, sh, 0x13, 0).1, 29, "errno ESPIPE");
        words(core, DATA, &[handle]);
        assert_eq!(call(core, sh, 0x02, DATA).1, 0, "SYS_CLOSE");
        assert_eq!(call(core, sh, 0x02, DATA).1, u32::MAX, "closed twice");
        assert_eq!(call(core, sh, 0x13, 0).1, EBADF);
        // A write to a closed handle fails and writes nothing.
        words(core, DATA, &[handle, DATA + 0x80, 5]);
        assert_eq!(call(core, sh, 0x05, DATA).1, u32::MAX);
        assert_eq!(capture.text(Stream::Stderr), "oops\n");
    });
}

#[test]
fn stdin_reads_as_end_of_file() {
    with_core(|core, sh, _| {
        core.write_8(u64::from(DATA + 0x40), b":tt\0").unwrap();
        words(core, DATA, &[DATA + 0x40, 0, 3]);
        let (_, stdin) = call(core, sh, 0x01, DATA);
        words(core, DATA, &[stdin, DATA + 0x80, 16]);
        assert_eq!(
            call(core, sh, 0x06, DATA).1,
            16,
            "SYS_READ: all 16 bytes not read"
        );
    });
}

#[test]
fn unsupported_calls_and_bad_arguments_fail_with_an_errno() {
    with_core(|core, sh, _| {
        // SYS_SYSTEM is never served.
        words(core, DATA, &[DATA + 0x40, 0]);
        assert_eq!(call(core, sh, 0x12, DATA), (Outcome::Resume, u32::MAX));
        assert_eq!(call(core, sh, 0x13, 0).1, ENOSYS);
        // An operation number nobody defines.
        assert_eq!(call(core, sh, 0xEE, 0).1, u32::MAX);
        // A host file.
        core.write_8(u64::from(DATA + 0x40), b"/etc/passwd\0")
            .unwrap();
        words(core, DATA, &[DATA + 0x40, 0, 11]);
        assert_eq!(call(core, sh, 0x01, DATA).1, u32::MAX);
        assert_eq!(call(core, sh, 0x13, 0).1, 2, "ENOENT");
        // A parameter block on an unmapped address: probe-rs cannot decode the call; it fails
        // with EFAULT, and the core still answers.
        assert_eq!(call(core, sh, 0x05, 0x3000_0000).1, u32::MAX);
        assert_eq!(pending_call(core).unwrap(), Some(Call::Undecodable));
        assert_eq!(call(core, sh, 0x13, 0).1, EFAULT);
        // A command line longer than the buffer.
        sh.set_cmdline("a long command line");
        words(core, DATA, &[DATA + 0x40, 4]);
        assert_eq!(call(core, sh, 0x15, DATA).1, u32::MAX);
        assert_eq!(call(core, sh, 0x13, 0).1, EINVAL);
    });
}

#[test]
fn cmdline_clock_time_and_heapinfo() {
    with_core(|core, sh, _| {
        sh.set_cmdline("prog -v");
        words(core, DATA, &[DATA + 0x40, 32]);
        assert_eq!(call(core, sh, 0x15, DATA).1, 0);
        let mut line = [0u8; 8];
        core.read_8(u64::from(DATA + 0x40), &mut line).unwrap();
        assert_eq!(&line, b"prog -v\0");
        let mut block = [0u32; 2];
        core.read_32(u64::from(DATA), &mut block).unwrap();
        assert_eq!(block[1], 7, "the block holds the line's length");

        let (_, clock) = call(core, sh, 0x10, 0);
        assert!(clock < 100 * 60, "centiseconds since enabled: {clock}");
        let (_, time) = call(core, sh, 0x11, 0);
        assert!(time > 1_600_000_000, "seconds since 1970: {time}");

        // SYS_HEAPINFO: R1 -> word -> 4-word block.
        words(core, DATA, &[DATA + 0x10]);
        assert_eq!(call(core, sh, 0x16, DATA).1, 0);
        let mut info = [0u32; 4];
        core.read_32(u64::from(DATA + 0x10), &mut info).unwrap();
        assert_eq!(info, [0x2000_0000, 0x2008_0000, 0x2008_0000, 0x2000_0000]);
    });
}

#[test]
fn exits_say_how_the_program_ended() {
    with_core(|core, sh, _| {
        // AArch32 SYS_EXIT: the reason in R1.
        assert_eq!(
            call(core, sh, 0x18, 0x20026).0,
            Outcome::Exit(Exit::Application(0))
        );
        assert_eq!(
            call(core, sh, 0x18, 0x20023).0,
            Outcome::Exit(Exit::RunTimeError)
        );
        // SYS_EXIT_EXTENDED: [reason, status].
        words(core, DATA, &[0x20026, 7]);
        assert_eq!(
            call(core, sh, 0x20, DATA).0,
            Outcome::Exit(Exit::Application(7))
        );
        words(core, DATA, &[0x20000, 3]);
        assert_eq!(
            call(core, sh, 0x20, DATA).0,
            Outcome::Exit(Exit::Other {
                reason: 0x20000,
                subcode: Some(3)
            })
        );
    });
}
