//! RTT figures on the simulated chip: bytes per second from the target's up channel to a TCP
//! client of `monitor rtt server start`, with the RTT test firmware (examples/firmware/rtt.s)
//! writing lines as fast as the host reads them (its up channel blocks when full), and the round
//! trip of a memory read by a second GDB client (an observer) while the bytes flow. Prints
//! figures; asserts nothing about time.
//!
//!     cargo bench --bench rtt
//!
//! Needs gdb-multiarch (installed by `.ci/run`).

#[path = "../tests/integration/gdb_support/mod.rs"]
mod gdb_support;

use std::io::Read;
use std::net::{SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use gdb_support::{rtt_firmware, start_server, stream_text, Mi, RawClient, MI_TIMEOUT};

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
}
