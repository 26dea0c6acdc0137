//! Shared helper for the tests that run the real `stm32-opts` binary.

use assert_cmd::Command;

/// The binary, with the environment variables that could choose another chip or probe (or
/// change the log output the tests read) removed.
pub fn bin() -> Command {
    let mut cmd = Command::cargo_bin("stm32-opts").unwrap();
    for var in [
        "STM32_OPTS_CHIP",
        "PROBE_RS_CHIP",
        "PROBE_RS_PROBE",
        "PROBE_RS_SPEED",
        "PROBE_RS_PROTOCOL",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}
