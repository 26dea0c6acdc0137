//! Shared helper for the tests that run the real `stm32-opts` binary.

use assert_cmd::Command;

/// The environment variables that could choose another chip or probe (or change the log output
/// the tests read).
const SCRUBBED: [&str; 6] = [
    "STM32_OPTS_CHIP",
    "PROBE_RS_CHIP",
    "PROBE_RS_PROBE",
    "PROBE_RS_SPEED",
    "PROBE_RS_PROTOCOL",
    "RUST_LOG",
];

/// The binary, with the environment variables that could choose another chip or probe (or
/// change the log output the tests read) removed.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("stm32-opts").unwrap();
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd
}

/// As [`bin`], as a `std` command for a process the test runs in the background (a server it
/// talks to and signals).
#[allow(dead_code)] // only the test binaries that run servers use it
pub fn bin_process() -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_stm32-opts"));
    for var in SCRUBBED {
        cmd.env_remove(var);
    }
    cmd
}
