//! RTT figures on the simulated chip: bytes per second from the target's up channel to a TCP
//! client of `monitor rtt server start`, with the RTT test firmware (examples/firmware/rtt.s)
//! writing lines as fast as the host reads them (its up channel blocks when full), and the round
//! trip of a memory read by a second GDB client (an observer) while the bytes flow.
//!
//! Then side by side with probe-rs's own RTT reader, on the same simulated chip served by
//! `stm32-opts sim-probe` (a separate process, reached over probe-rs's socket probe): the lines
//! per second the firmware gets out through `stm32-opts gdb --rtt` to a TCP client, and through
//! `probe-rs attach` to its stdout. probe-rs is taken from $PROBE_RS, /work/tools/bin/probe-rs or
//! the PATH; without it the bench says how to install it and prints our figure alone.
//! Prints figures; asserts nothing about time.
//!
//!     cargo bench --bench rtt
//!
//! Needs gdb-multiarch (installed by `.ci/run`).

#[path = "../tests/integration/gdb_support/mod.rs"]
mod gdb_support;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gdb_support::{
    batch, cmds, rtt_firmware, start_server, stream_text, Mi, RawClient, MI_TIMEOUT,
};

/// How long each figure is measured.
const WINDOW: Duration = Duration::from_secs(3);

fn console(mi: &mut Mi, command: &str) -> String {
    let r = mi.console(command);
    assert!(r.last().unwrap().contains("^done"), "{command}: {r:?}");
    stream_text(&r, '@')
}

/// Counts the bytes a client of `addr` receives.
fn count_bytes(addr: SocketAddr) -> Arc<AtomicUsize> {
    let mut stream = TcpStream::connect(addr).expect("connecting to the RTT server");
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n) = stream.read(&mut buf) {
            if n == 0 {
                break;
            }
            counter.fetch_add(n, Ordering::Relaxed);
        }
    });
    count
}

fn rate(bytes: usize, t: Duration) -> String {
    format!("{:.1} KiB/s", bytes as f64 / 1024.0 / t.as_secs_f64())
}

/// The mean round trip of an observer's 4-byte memory read over `WINDOW`.
fn observer_read_round_trip(gdb_addr: SocketAddr) -> (Duration, usize) {
    let mut c = RawClient::connect(gdb_addr);
    let _ = c.ask("qSupported:multiprocess+");
    let start = Instant::now();
    let mut reads = 0;
    while start.elapsed() < WINDOW {
        let r = c.ask("m20020048,4").expect("memory reply");
        assert_eq!(r.len(), 8, "observer read: {r}");
        reads += 1;
    }
    let _ = c.ask("D");
    (start.elapsed() / reads.max(1) as u32, reads)
}

fn main() {
    let server = start_server(None);
    let gdb_addr = server.local_addr();
    let elf = rtt_firmware();

    let mut mi = Mi::start();
    mi.cmd("-gdb-set mi-async on");
    mi.cmd(&format!(
        "-file-exec-and-symbols \"{}\"",
        elf.to_string_lossy()
    ));
    let r = mi.cmd(&format!("-target-select extended-remote {gdb_addr}"));
    assert!(r.last().unwrap().contains("^connected"), "{r:?}");
    let r = mi.cmd("-target-download");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    console(&mut mi, "monitor reset halt");
    // Run to the first line so the control block exists, then start RTT and the server.
    mi.cmd("-break-insert line_done");
    mi.cmd("-exec-continue");
    mi.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    mi.cmd("-break-delete");
    let text = console(&mut mi, "monitor rtt start");
    assert!(text.contains("control block at"), "{text}");
    let text = console(&mut mi, "monitor rtt server start 0 0");
    let rtt_addr: SocketAddr = text
        .split("served on ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no address in {text}"));

    let (idle_rtt, idle_reads) = observer_read_round_trip(gdb_addr);

    mi.cmd("-exec-continue");
    let (running_rtt, running_reads) = observer_read_round_trip(gdb_addr);
    let count = count_bytes(rtt_addr);
    // Let the stream settle, then measure.
    std::thread::sleep(Duration::from_millis(500));
    let before = count.load(Ordering::Relaxed);
    let start = Instant::now();
    std::thread::sleep(WINDOW);
    let moved = count.load(Ordering::Relaxed) - before;
    let t = start.elapsed();
    println!(
        "RTT up channel 0 (2048-byte ring buffer) to a TCP client, core running: {moved} bytes in {t:?} ({}, {:.0} bytes/s)",
        rate(moved, t),
        moved as f64 / t.as_secs_f64()
    );

    let (busy_rtt, busy_reads) = observer_read_round_trip(gdb_addr);
    println!(
        "observer memory read round trip, core halted, no RTT traffic: {idle_rtt:?} ({idle_reads} reads)"
    );
    println!(
        "observer memory read round trip, core running, no RTT client: {running_rtt:?} ({running_reads} reads)"
    );
    println!(
        "observer memory read round trip, core running, RTT streaming: {busy_rtt:?} ({busy_reads} reads)"
    );

    mi.cmd("-exec-interrupt");
    mi.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    mi.quit();

    side_by_side();
}

/// The firmware's line length ("line XXXXXXXX\n").
const LINE: usize = 14;

/// A child process killed when dropped.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `cmd` with stdout piped; every stdout line goes to the returned receiver.
fn spawn_lines(mut cmd: Command) -> (Running, std::sync::mpsc::Receiver<String>) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("starting {cmd:?}: {e}"));
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (Running(child), rx)
}

/// Follows the highest "line XXXXXXXX" number seen in `lines` (in a thread).
fn follow_lines(lines: impl Iterator<Item = String> + Send + 'static) -> Arc<AtomicU32> {
    let last = Arc::new(AtomicU32::new(0));
    let seen = last.clone();
    std::thread::spawn(move || {
        for line in lines {
            if let Some(n) = line
                .split("line ")
                .nth(1)
                .and_then(|n| u32::from_str_radix(n.get(..8)?, 16).ok())
            {
                seen.fetch_max(n, Ordering::Relaxed);
            }
        }
    });
    last
}

/// Lines per second over `WINDOW`, after a settling second.
fn lines_per_second(last: &AtomicU32) -> (u32, Duration) {
    std::thread::sleep(Duration::from_secs(1));
    let before = last.load(Ordering::Relaxed);
    let start = Instant::now();
    std::thread::sleep(WINDOW);
    (last.load(Ordering::Relaxed) - before, start.elapsed())
}

fn probe_rs() -> Option<PathBuf> {
    let candidates = std::env::var_os("PROBE_RS")
        .map(PathBuf::from)
        .into_iter()
        .chain(std::iter::once(PathBuf::from("/work/tools/bin/probe-rs")))
        .chain(std::env::var_os("PATH").into_iter().flat_map(|paths| {
            std::env::split_paths(&paths)
                .map(|p| p.join("probe-rs"))
                .collect::<Vec<_>>()
        }));
    candidates.into_iter().find(|p| p.is_file())
}

fn figure(name: &str, lines: u32, t: Duration) -> f64 {
    let bytes = lines as usize * LINE;
    println!(
        "  {name:<44} {:>8.0} lines/s  {:>9}",
        lines as f64 / t.as_secs_f64(),
        rate(bytes, t)
    );
    bytes as f64 / t.as_secs_f64()
}

/// stm32-opts's RTT and probe-rs's, one after the other, on one simulated chip behind
/// `stm32-opts sim-probe`.
fn side_by_side() {
    let exe = env!("CARGO_BIN_EXE_stm32-opts");
    let elf = rtt_firmware();
    let mut sim_cmd = Command::new(exe);
    sim_cmd.args(["sim-probe", "--listen", "127.0.0.1:0"]);
    let (_sim, sim_out) = spawn_lines(sim_cmd);
    let sim_addr = sim_out
        .recv_timeout(Duration::from_secs(60))
        .ok()
        .and_then(|l| l.rsplit(' ').next().map(str::to_string))
        .expect("sim-probe's banner");
    let selector = format!("20b7:9db1:tcp:{sim_addr}");
    println!("RTT side by side on one simulated STM32F767ZI (sim-probe at {sim_addr}), rtt.s, 2048-byte up buffer, blocking mode:");

    // Ours: the GDB server with --rtt, the firmware loaded by GDB, a TCP client on channel 0.
    let mut ours = Command::new(exe);
    ours.args(["--probe", &selector, "--chip", "STM32F767ZI", "gdb"])
        .args(["--listen", "127.0.0.1:0", "--rtt", "--elf"])
        .arg(&elf);
    let (server, server_out) = spawn_lines(ours);
    let gdb_addr: SocketAddr = server_out
        .iter()
        .find_map(|l| l.strip_prefix("Listening for GDB on ").map(str::to_string))
        .and_then(|a| a.parse().ok())
        .expect("the GDB server's address");
    let run = batch(
        gdb_addr,
        Some(&elf),
        &cmds(&[
            "load",
            "monitor reset halt",
            "monitor rtt server start 0 0",
            "detach",
        ]),
    );
    assert!(run.success, "{}", run.text);
    let rtt_addr: SocketAddr = run
        .text
        .split("served on ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no RTT server address in {}", run.text));
    let stream = TcpStream::connect(rtt_addr).expect("connecting to the RTT server");
    let last = follow_lines(BufReader::new(stream).lines().map_while(Result::ok));
    let (lines, t) = lines_per_second(&last);
    let ours_rate = figure("stm32-opts gdb --rtt -> TCP client", lines, t);
    drop(server);
    // The sim-probe serves one client at a time: give it a moment to see ours go.
    std::thread::sleep(Duration::from_millis(500));

    let Some(probe_rs) = probe_rs() else {
        println!("  probe-rs attach: not installed (cargo install probe-rs-tools --locked, or set PROBE_RS)");
        return;
    };
    let mut peer = Command::new(&probe_rs);
    peer.args(["attach", "--non-interactive", "--probe", &selector])
        .args(["--chip", "STM32F767ZI"])
        .arg(&elf);
    let (_peer, peer_out) = spawn_lines(peer);
    let last = follow_lines(peer_out.into_iter());
    let (lines, t) = lines_per_second(&last);
    if lines == 0 {
        println!(
            "  probe-rs attach ({}): no lines arrived",
            probe_rs.display()
        );
        return;
    }
    let peer_rate = figure(
        &format!("probe-rs attach -> stdout ({})", probe_rs.display()),
        lines,
        t,
    );
    println!(
        "  ratio stm32-opts / probe-rs: {:.2}",
        ours_rate / peer_rate
    );
}
