//! Semihosting output never stalls the server (the real binary, gdb-multiarch, raw TCP clients
//! and signals), on both families, with examples/firmware/semihosting-loop.s printing 16 KiB per
//! call for ever:
//! - the controlling gdb-multiarch stops reading (SIGSTOP, as Ctrl-Z does): the program waits at
//!   its next call, an observer's reads are still answered, and once GDB reads again (SIGCONT)
//!   the program goes on and Ctrl-C (`-exec-interrupt`) stops it;
//! - the server's standard output is a pipe nobody reads: the output to it is dropped and
//!   counted, GDB's console keeps getting it, an observer's reads are answered and Ctrl-C works.
//!
//! Waits are bounded and generous; the tests assert that answers come, and print how long they
//! took.

use crate::cli_support::bin_process;
use crate::gdb_support::*;

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const F767: &str = "STM32F767ZI";
const G474: &str = "STM32G474RE";
/// Upper bound for the server to start, and for each condition the tests wait for.
const WAIT: Duration = Duration::from_secs(120);
/// An observer's read that takes longer than this fails the test (the issue: "no answer for at
/// least 10 s").
const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// `stm32-opts --chip CHIP --sim gdb --listen 127.0.0.1:0` with its stdout either read (and
/// thrown away) or left unread after the address line; its stderr (the log) collected.
struct LoopServer {
    child: Child,
    addr: SocketAddr,
    log: Arc<Mutex<String>>,
    /// Stdout after the address line, once `read_stdout` has been called.
    stdout: Option<Receiver<String>>,
    unread: Option<BufReader<std::process::ChildStdout>>,
}

impl LoopServer {
    fn start(chip: &str, read_stdout: bool) -> LoopServer {
        let mut child = bin_process()
            .args(["--chip", chip, "--sim", "gdb", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting stm32-opts gdb");
        let stderr = child.stderr.take().unwrap();
        let log = Arc::new(Mutex::new(String::new()));
        let collected = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = collected.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, rx) = channel();
        // Only the address line is read here; what follows is read by `read_stdout`, or never.
        let reader = std::thread::spawn(move || {
            let mut line = String::new();
            let _ = stdout.read_line(&mut line);
            let _ = tx.send(line);
            stdout
        });
        let line = rx.recv_timeout(WAIT).expect("the server's address line");
        let stdout = reader.join().unwrap();
        let addr = line
            .trim()
            .strip_prefix("Listening for GDB on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .parse()
            .unwrap();
        let mut server = LoopServer {
            child,
            addr,
            log,
            stdout: None,
            unread: Some(stdout),
        };
        if read_stdout {
            server.read_stdout();
        }
        server
    }

    /// Reads the server's stdout from now on (in pieces of at most 64 KiB of text).
    fn read_stdout(&mut self) {
        let mut stdout = self.unread.take().expect("stdout already read");
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let mut buf = vec![0u8; 64 * 1024];
            while let Ok(n) = stdout.read(&mut buf) {
                if n == 0
                    || tx
                        .send(String::from_utf8_lossy(&buf[..n]).into_owned())
                        .is_err()
                {
                    return;
                }
            }
        });
        self.stdout = Some(rx);
    }

    /// Waits (bounded) until the server's stdout holds `text`; the stdout read so far.
    fn stdout_until(&mut self, text: &str) -> String {
        let rx = self.stdout.as_ref().expect("stdout is not read");
        let deadline = Instant::now() + WAIT;
        let mut seen = String::new();
        while !seen.contains(text) {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(piece) => {
                    seen.push_str(&piece);
                    // Keep only the tail: the text may span two pieces.
                    if seen.len() > 1 << 20 && !seen.contains(text) {
                        let keep = seen.len() - 4096;
                        seen.drain(..keep);
                    }
                }
                Err(_) => panic!("`{text}` never reached the server's stdout"),
            }
        }
        seen
    }

    /// Waits (bounded) until the log holds `text`.
    fn log_until(&self, text: &str) -> String {
        let deadline = Instant::now() + WAIT;
        loop {
            let log = self.log.lock().unwrap().clone();
            if log.contains(text) {
                return log;
            }
            assert!(Instant::now() < deadline, "`{text}` never logged:\n{log}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for LoopServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// gdb-multiarch (asynchronous MI, as cortex-debug runs it) controlling the chip: the loop
/// firmware loaded, semihosting on, the core reset and running. Returns GDB and the address of
/// the firmware's `prints` counter.
fn controller(addr: SocketAddr, chip: &str) -> (Mi, u32) {
    let mut mi = Mi::start();
    done(&mi.cmd("-gdb-set mi-async on"));
    let elf = firmware_for("semihosting-loop", chip);
    done(&mi.cmd(&format!("-file-exec-and-symbols \"{}\"", elf.display())));
    let connected = mi.cmd(&format!("-target-select extended-remote {addr}"));
    assert!(
        connected.iter().any(|l| l.contains("^connected")),
        "{connected:?}"
    );
    done(&mi.cmd("-target-download"));
    done(&mi.console("monitor arm semihosting enable"));
    done(&mi.console("monitor reset halt"));
    done(&mi.console("maintenance flush register-cache"));
    let value = mi.cmd("-data-evaluate-expression &prints");
    let prints = value
        .last()
        .and_then(|l| l.split("value=\"0x").nth(1))
        .and_then(|v| v.split(|c: char| !c.is_ascii_hexdigit()).next())
        .and_then(|hex| u32::from_str_radix(hex, 16).ok())
        .unwrap_or_else(|| panic!("no address of prints in {value:?}"));
    let running = mi.cmd("-exec-continue");
    assert!(
        running.last().is_some_and(|l| l.contains("^running")),
        "{running:?}"
    );
    (mi, prints)
}

fn done(lines: &[String]) {
    assert!(
        lines.last().is_some_and(|l| l.contains("^done")),
        "{lines:?}"
    );
}

/// An observer's read of the counter: the value, and how long the answer took. Fails if no
/// answer comes within [`ANSWER_TIMEOUT`].
fn observed_prints(observer: &mut RawClient, prints: u32) -> (u32, Duration) {
    let start = Instant::now();
    let reply = observer
        .ask(&format!("m{prints:x},4"))
        .expect("the observer's read was not answered");
    let took = start.elapsed();
    assert!(
        took < ANSWER_TIMEOUT,
        "the observer waited {took:?} for its answer"
    );
    let b = hex_decode(&reply);
    assert_eq!(b.len(), 4, "reply {reply}");
    (u32::from_le_bytes([b[0], b[1], b[2], b[3]]), took)
}

/// A raw client that became an observer (the controller is connected).
fn observer(addr: SocketAddr) -> RawClient {
    let mut c = RawClient::connect(addr);
    c.stream.set_read_timeout(Some(ANSWER_TIMEOUT)).unwrap();
    let r = c
        .ask("qSupported:multiprocess+;swbreak+;hwbreak+")
        .expect("qSupported answered");
    assert!(r.contains("PacketSize="), "{r}");
    c
}

/// Waits (bounded) until the counter moves past `after`; its value.
fn prints_pass(observer: &mut RawClient, prints: u32, after: u32) -> u32 {
    let deadline = Instant::now() + WAIT;
    loop {
        let (value, _) = observed_prints(observer, prints);
        if value > after {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "the program did not print past {after} calls"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Waits (bounded) until the counter stays the same for 2 s: the program waits at a call.
/// Every read on the way must be answered. The slowest answer.
fn until_stalled(observer: &mut RawClient, prints: u32) -> (u32, Duration) {
    let deadline = Instant::now() + WAIT;
    let (mut last, mut slowest) = observed_prints(observer, prints);
    let mut since = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(100));
        let (value, took) = observed_prints(observer, prints);
        slowest = slowest.max(took);
        if value != last {
            last = value;
            since = Instant::now();
        } else if since.elapsed() > Duration::from_secs(2) {
            return (value, slowest);
        }
        assert!(
            Instant::now() < deadline,
            "the program kept printing ({value} calls) although GDB does not read"
        );
    }
}

/// Ctrl-C of the controlling GDB (`-exec-interrupt`) stops the program with SIGINT.
fn interrupt(mi: &mut Mi) {
    mi.clear_log();
    let start = Instant::now();
    let token = mi.send("-exec-interrupt");
    let prefix = format!("{token}^");
    let mut stopped = false;
    let mut answered = false;
    let deadline = Instant::now() + WAIT;
    while !(stopped && answered) {
        let left = deadline.saturating_duration_since(Instant::now());
        let lines = mi.wait_for(
            |l| l.starts_with(&prefix) || l.starts_with("*stopped"),
            left,
        );
        let last = lines.last().unwrap();
        if last.starts_with(&prefix) {
            assert!(last.contains("^done"), "{last}");
            answered = true;
        } else {
            assert!(last.contains("SIGINT"), "{last}");
            stopped = true;
        }
        mi.clear_log();
    }
    eprintln!("Ctrl-C answered in {:?}", start.elapsed());
}

fn controller_stops_reading(chip: &str) {
    let server = LoopServer::start(chip, true);
    let (mut mi, prints) = controller(server.addr, chip);
    let mut watcher = observer(server.addr);
    let before = prints_pass(&mut watcher, prints, 0);

    // Ctrl-Z: GDB stops reading its socket.
    send_signal(mi.pid(), "STOP");
    let (stalled_at, slowest) = until_stalled(&mut watcher, prints);
    eprintln!(
        "{chip}: the program waits at call {stalled_at} (from {before}); slowest observer answer meanwhile {slowest:?}"
    );
    let (value, took) = observed_prints(&mut watcher, prints);
    eprintln!("{chip}: observer answer while GDB does not read: {took:?}");
    assert_eq!(value, stalled_at, "the program printed with nobody reading");
    // A new client is served too (as an observer).
    let mut newcomer = observer(server.addr);
    observed_prints(&mut newcomer, prints);

    // `fg`: GDB reads again; the program goes on, and Ctrl-C stops it.
    send_signal(mi.pid(), "CONT");
    prints_pass(&mut watcher, prints, stalled_at);
    interrupt(&mut mi);
    mi.quit();
}

fn stdout_not_read(chip: &str) {
    let mut server = LoopServer::start(chip, false);
    let (mut mi, prints) = controller(server.addr, chip);
    // 64 KiB of pipe and 64 KiB of the server's queue fill after a few calls.
    server.log_until("standard output is not being read");
    let mut watcher = observer(server.addr);
    let (first, took) = observed_prints(&mut watcher, prints);
    eprintln!("{chip}: observer answer with the server's stdout full: {took:?}");
    // The program does not wait for the pipe: GDB's console still takes its output.
    prints_pass(&mut watcher, prints, first + 2);
    interrupt(&mut mi);
    let shown = stream_text(&mi.console("monitor arm semihosting"), '@');
    assert!(
        shown.contains("bytes of output were dropped from the server's console"),
        "{shown}"
    );
    // Once read again, the server's stdout says how much it lost.
    server.read_stdout();
    let notice = server.stdout_until("bytes of semihosting output were dropped here");
    assert!(notice.contains("semihosting print loop"), "{notice}");
    mi.quit();
}

#[test]
fn a_controller_that_stops_reading_stalls_no_other_client_f7() {
    controller_stops_reading(F767);
}

#[test]
fn a_controller_that_stops_reading_stalls_no_other_client_g4() {
    controller_stops_reading(G474);
}

#[test]
fn an_unread_stdout_pipe_stalls_nothing_f7() {
    stdout_not_read(F767);
}

#[test]
fn an_unread_stdout_pipe_stalls_nothing_g4() {
    stdout_not_read(G474);
}
