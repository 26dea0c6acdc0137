//! Shared helpers for the tests that run the real `stm32-opts` binary.

use std::path::PathBuf;
use std::time::Duration;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

/// Upper bound for one CLI run against a simulated board.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(120);

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

/// A simulated board whose state lives in a temporary file, so that each command is a fresh
/// process that sees what the previous one left.
pub struct Board {
    _dir: TempDir,
    pub state: PathBuf,
    pub chip: &'static str,
}

impl Board {
    pub fn new(chip: &'static str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("board.json");
        Board {
            _dir: dir,
            state,
            chip,
        }
    }

    /// The binary for this chip and state file, bounded by [`RUN_TIMEOUT`].
    pub fn cmd(&self) -> Command {
        let mut cmd = bin();
        cmd.timeout(RUN_TIMEOUT)
            .arg("--chip")
            .arg(self.chip)
            .arg("--sim-state")
            .arg(&self.state);
        cmd
    }

    pub fn run(&self, args: &[&str]) -> assert_cmd::assert::Assert {
        self.cmd().args(args).assert()
    }

    /// `optbytes --json` in a fresh process.
    pub fn json(&self) -> Value {
        let out = self.run(&["optbytes", "--json"]).success();
        serde_json::from_slice(&out.get_output().stdout).expect("optbytes --json prints JSON")
    }
}
