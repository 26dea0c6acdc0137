//! Shared helpers for the tests that run the real `stm32-opts` binary.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

/// The line `stm32-opts gdb` prints once it listens; the address follows it.
const LISTENING: &str = "Listening for GDB on ";

/// `stm32-opts … gdb --listen 127.0.0.1:0` in its own process (the real binary), its stdout
/// collected line by line; killed when dropped. Every wait is bounded by the `timeout` it was
/// started with.
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    stdout: Arc<Mutex<Vec<String>>>,
    /// How many stdout lines [`ServerProcess::wait_line`] has passed over.
    seen: usize,
    timeout: Duration,
}

impl ServerProcess {
    /// Starts the binary with `args` (which must make it listen on an ephemeral port) and
    /// waits, at most `timeout`, for the address it listens on.
    pub fn start<S: AsRef<OsStr>>(args: &[S], timeout: Duration) -> ServerProcess {
        let mut child = bin_process()
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting stm32-opts gdb");
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let collected = lines.clone();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix(LISTENING) {
                    let _ = tx.send(addr.parse::<SocketAddr>().unwrap());
                }
                collected.lock().unwrap().push(line);
            }
        });
        let addr = match rx.recv_timeout(timeout) {
            Ok(addr) => addr,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the GDB server did not start listening within {timeout:?}");
            }
        };
        ServerProcess {
            child,
            addr,
            stdout: lines,
            seen: 0,
            timeout,
        }
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits (bounded) for the next stdout line, after the last one this returned, that starts
    /// with `prefix`.
    pub fn wait_line(&mut self, prefix: &str) -> String {
        let start = Instant::now();
        loop {
            {
                let lines = self.stdout.lock().unwrap();
                while self.seen < lines.len() {
                    let line = &lines[self.seen];
                    self.seen += 1;
                    if line.starts_with(prefix) {
                        return line.clone();
                    }
                }
            }
            assert!(
                start.elapsed() < self.timeout,
                "no stdout line starting with {prefix:?} within {:?}",
                self.timeout
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's stdout once it holds the line `last` (bounded wait).
    pub fn stdout_through(&self, last: &str) -> Vec<String> {
        let start = Instant::now();
        loop {
            let lines = self.stdout.lock().unwrap().clone();
            if lines.iter().any(|l| l == last) {
                return lines;
            }
            assert!(
                start.elapsed() < self.timeout,
                "`{last}` never reached the server's stdout; it printed:\n{}",
                lines.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends `signal` (`TERM`, `KILL`, …) and waits, bounded, for the process to end.
    pub fn stop_with(mut self, signal: &str) {
        // The shell's own `kill`: no package beyond the shell is needed.
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("kill -s {signal} {}", self.child.id()))
            .status()
            .expect("running sh -c kill");
        assert!(status.success(), "kill -s {signal} failed");
        let start = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(
                start.elapsed() < self.timeout,
                "the server did not end after SIG{signal}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
