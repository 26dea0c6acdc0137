//! Semihosting through gdb-multiarch on the simulated chip running
//! examples/firmware/semihosting.s: with `monitor arm semihosting enable` the program's output
//! reaches the server's console and GDB's, an unsupported call returns -1 and the program goes
//! on, and GDB reports the exit status; `run` starts the program again in the same session,
//! with its arguments as the command line; with semihosting off the first call is reported as
//! SIGTRAP at its BKPT.

#[allow(dead_code)] // only `bin_process` is used here
use crate::cli_support;
use crate::gdb_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cli_support::ServerProcess;
use gdb_support::{batch, cmds, section, start_server};

/// Upper bound for the server to start, and for its console output to arrive.
const SERVER_TIMEOUT: Duration = Duration::from_secs(60);

/// What the firmware prints, in order.
const PROGRAM_OUTPUT: [&str; 7] = [
    "hello from the chip (SYS_WRITE0)",
    "a line through SYS_WRITE to :tt",
    "SYS_WRITEC ok",
    "unsupported call returned -1",
    "errno is ENOSYS",
    "command line: one two",
    "exiting with status 7",
];

fn semihosting_firmware() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/semihosting.elf")
}

/// `stm32-opts --sim gdb --listen 127.0.0.1:0` in its own process, its stdout collected.
fn gdb_process() -> ServerProcess {
    ServerProcess::start(&["--sim", "gdb", "--listen", "127.0.0.1:0"], SERVER_TIMEOUT)
}

/// Loads the firmware, resets to its start, runs `setup` and continues; GDB's output. After an
/// exit there is no program to read `$pc` of, so GDB stops the script there: the text then has
/// no `@@END`.
fn run_firmware(addr: SocketAddr, setup: &[&str]) -> String {
    let mut commands = cmds(&["load", "monitor reset halt"]);
    commands.extend(setup.iter().map(|s| s.to_string()));
    commands.extend(cmds(&[
        "maintenance flush register-cache",
        "echo @@CONTINUE\\n",
        "continue",
        "printf \"@@PC=%#x FIRST=%#x\\n\", $pc, &first_call",
        "echo @@END\\n",
    ]));
    let run = batch(addr, Some(&semihosting_firmware()), &commands);
    eprintln!("{}", run.text);
    assert!(
        run.text.contains("@@CONTINUE"),
        "the script did not reach the continue:\n{}",
        run.text
    );
    run.text
}

/// The `results` words the firmware stored, read by a new GDB session.
fn results(addr: SocketAddr) -> Vec<u32> {
    let run = batch(
        addr,
        Some(&semihosting_firmware()),
        &cmds(&["echo @@R\\n", "x/8wx &results", "echo @@END\\n"]),
    );
    assert!(run.success, "{}", run.text);
    section(&run.text, "@@R", "@@END")
        .split_whitespace()
        .filter(|w| w.starts_with("0x") && !w.ends_with(':'))
        .map(|w| u32::from_str_radix(&w[2..], 16).unwrap())
        .collect()
}

#[test]
fn output_reaches_both_consoles_and_gdb_reports_the_exit_status() {
    let server = gdb_process();
    let text = run_firmware(
        server.addr,
        &[
            "monitor arm semihosting enable",
            "monitor arm semihosting_cmdline one two",
        ],
    );
    assert!(
        text.contains("[Inferior 1 (process 1) exited with code 07]"),
        "GDB did not report the exit status:\n{text}"
    );
    // GDB's console got the output (O packets), in order, before the exit.
    let mut rest = text.as_str();
    for line in PROGRAM_OUTPUT {
        let at = rest.find(line).unwrap_or_else(|| {
            panic!("`{line}` missing (or out of order) in GDB's output:\n{text}")
        });
        rest = &rest[at + line.len()..];
    }
    assert!(rest.contains("exited with code 07"), "{text}");
    // The server's stdout got the same lines, in order.
    let stdout = server.stdout_through(PROGRAM_OUTPUT[6]);
    let printed: Vec<&str> = stdout
        .iter()
        .map(String::as_str)
        .filter(|l| !l.starts_with("Listening for GDB"))
        .collect();
    assert_eq!(printed, PROGRAM_OUTPUT, "the server's stdout");
}

#[test]
fn unsupported_call_returns_minus_one_and_the_program_goes_on() {
    let server = start_server(None);
    let text = run_firmware(server.local_addr(), &["monitor arm semihosting enable"]);
    assert!(text.contains("exited with code 07"), "{text}");
    // The chip stays halted on the SYS_EXIT_EXTENDED BKPT after the first GDB has left.
    let r = results(server.local_addr());
    assert_eq!(r.len(), 8, "{r:x?}");
    assert_ne!(
        r[0], 0,
        "SYS_OPEN(\":tt\") returns a nonzero handle: {r:x?}"
    );
    assert_ne!(r[0], u32::MAX, "SYS_OPEN(\":tt\") failed: {r:x?}");
    assert_eq!(r[1], 0, "SYS_WRITE wrote every byte: {r:x?}");
    assert_eq!(r[2], 1, "SYS_ISTTY of the console: {r:x?}");
    assert_ne!(r[3], u32::MAX, "SYS_CLOCK: {r:x?}");
    assert_eq!(
        r[4],
        u32::MAX,
        "the unsupported SYS_SYSTEM returns -1: {r:x?}"
    );
    assert_eq!(r[5], 38, "SYS_ERRNO after it is ENOSYS: {r:x?}");
    assert_eq!(r[6], 0, "SYS_GET_CMDLINE: {r:x?}");
    assert_eq!(r[7], 0, "SYS_CLOSE: {r:x?}");
}

#[test]
fn semihosting_is_off_by_default_and_the_call_is_a_sigtrap_at_the_bkpt() {
    let server = start_server(None);
    let text = run_firmware(server.local_addr(), &["monitor arm semihosting"]);
    assert!(
        text.contains("semihosting is disabled"),
        "monitor arm semihosting shows the state:\n{text}"
    );
    let stop = section(&text, "@@CONTINUE", "@@END");
    assert!(
        stop.contains("Program received signal SIGTRAP"),
        "the BKPT 0xAB halt is a SIGTRAP:\n{text}"
    );
    let pcs = &stop[stop.find("@@PC=").expect("pc line") + 5..];
    let mut words = pcs.split_whitespace();
    let pc = words.next().unwrap();
    let first = words.next().unwrap().trim_start_matches("FIRST=");
    assert_eq!(pc, first, "stopped on the first call's BKPT:\n{text}");
    assert!(!stop.contains("exited with code"), "{text}");
    assert!(!stop.contains("hello from the chip"), "{text}");
}

#[test]
fn enabling_at_a_reported_call_serves_it_on_continue() {
    let server = start_server(None);
    let text = run_firmware(
        server.local_addr(),
        &[
            // Stop at the first call as a SIGTRAP, then turn semihosting on and go on.
            "continue",
            "monitor arm semihosting enable",
        ],
    );
    assert!(text.contains("hello from the chip (SYS_WRITE0)"), "{text}");
    assert!(text.contains("exited with code 07"), "{text}");
}

#[test]
fn stepping_over_a_call_at_a_breakpoint_performs_it() {
    let server = start_server(None);
    let commands = cmds(&[
        "load",
        "monitor reset halt",
        "monitor arm semihosting enable",
        "maintenance flush register-cache",
        "hbreak first_call",
        "echo @@BREAK\\n",
        "continue",
        "printf \"@@AT=%#x\\n\", $pc",
        "echo @@STEP\\n",
        "stepi",
        "printf \"@@PC=%#x NEXT=%#x\\n\", $pc, (char *)&first_call + 2",
        "echo @@END\\n",
    ]);
    let run = batch(
        server.local_addr(),
        Some(&semihosting_firmware()),
        &commands,
    );
    eprintln!("{}", run.text);
    let before = section(&run.text, "@@BREAK", "@@STEP");
    assert!(
        !before.contains("hello from the chip"),
        "the call is not served while GDB's breakpoint holds it:\n{}",
        run.text
    );
    let step = section(&run.text, "@@STEP", "@@END");
    assert!(
        step.contains("hello from the chip (SYS_WRITE0)"),
        "stepi performs the call:\n{}",
        run.text
    );
    let pcs = &step[step.find("@@PC=").expect("pc line") + 5..];
    let mut words = pcs.split_whitespace();
    let pc = words.next().unwrap();
    let next = words.next().unwrap().trim_start_matches("NEXT=");
    assert_eq!(pc, next, "stepi moves past the BKPT:\n{}", run.text);
}

#[test]
fn a_call_with_an_unreadable_parameter_block_fails_and_the_program_goes_on() {
    let server = start_server(None);
    let commands = cmds(&[
        "load",
        "monitor reset halt",
        "monitor arm semihosting enable",
        "maintenance flush register-cache",
        // Stop just before the first BKPT, then make it a SYS_WRITE whose block is unmapped.
        "hbreak *((char *)&first_call - 2)",
        "continue",
        "stepi",
        "delete",
        "set $r0 = 5",
        "set $r1 = 0x30000000",
        "echo @@CONTINUE\\n",
        "continue",
    ]);
    let run = batch(
        server.local_addr(),
        Some(&semihosting_firmware()),
        &commands,
    );
    eprintln!("{}", run.text);
    let text = &run.text[run.text.find("@@CONTINUE").expect("continue")..];
    assert!(!text.contains("hello from the chip"), "{text}");
    assert!(text.contains("a line through SYS_WRITE to :tt"), "{text}");
    assert!(text.contains("exited with code 07"), "{text}");
}

/// `run` after the program's exit starts it again in the same GDB session (extended-remote), with
/// the command line of `run ARGS`, kept by a plain `run`; without arguments the line of
/// `monitor arm semihosting_cmdline` stays.
fn run_again_after_exit(chip: &str) {
    let server = start_server(Some(chip));
    let commands = cmds(&[
        "load",
        "monitor arm semihosting enable",
        "monitor arm semihosting_cmdline alpha",
        "echo @@RUN1\\n",
        "run",
        "echo @@RUN2\\n",
        "run one two",
        "echo @@RUN3\\n",
        "run",
        "echo @@END\\n",
    ]);
    let run = batch(
        server.local_addr(),
        Some(&gdb_support::firmware_for("semihosting", chip)),
        &commands,
    );
    eprintln!("{}", run.text);
    for (begin, end, line) in [
        ("@@RUN1", "@@RUN2", "command line: alpha"),
        ("@@RUN2", "@@RUN3", "command line: one two"),
        ("@@RUN3", "@@END", "command line: one two"),
    ] {
        let part = section(&run.text, begin, end);
        assert!(part.contains("hello from the chip"), "{begin}:\n{part}");
        assert!(
            part.contains("unsupported call returned -1") && part.contains("errno is ENOSYS"),
            "{begin}: SYS_SYSTEM was not refused:\n{part}"
        );
        assert!(part.contains(line), "{begin}: `{line}` missing:\n{part}");
        assert!(
            part.contains("[Inferior 1 (process 1) exited with code 07]"),
            "{begin}:\n{part}"
        );
    }
    assert!(!run.text.contains("Exec format error"), "{}", run.text);
    assert!(
        !run.text.contains("Remote connection closed"),
        "{}",
        run.text
    );
}

#[test]
fn run_after_an_exit_starts_the_program_again_in_the_same_session_f7() {
    run_again_after_exit("STM32F767ZI");
}

#[test]
fn run_after_an_exit_starts_the_program_again_in_the_same_session_g4() {
    run_again_after_exit("STM32G474RE");
}
