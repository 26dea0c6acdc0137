//! RTT through the GDB server on the simulated STM32G474RE: the RTT test firmware linked for G4
//! memory (examples/firmware/rtt-g4.elf, control block in SRAM1), `monitor rtt setup/start`
//! finding it, and a TCP client of `monitor rtt server start 0 0` receiving its numbered lines
//! in order while the core runs.

use crate::gdb_rtt::{assert_in_order, continue_running, monitor_text, wait_stopped, RttClient};
use crate::gdb_support;

use std::net::SocketAddr;
use std::path::Path;

use gdb_support::*;

const G474: &str = "STM32G474RE";

#[test]
fn channel_server_streams_numbered_lines_on_g474() {
    let server = start_server(Some(G474));
    let elf = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/rtt-g4.elf");
    let mut mi = Mi::start();
    let r = mi.cmd("-gdb-set mi-async on");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    let r = mi.cmd(&format!(
        "-file-exec-and-symbols \"{}\"",
        elf.to_string_lossy()
    ));
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    let r = mi.cmd(&format!(
        "-target-select extended-remote {}",
        server.local_addr()
    ));
    assert!(r.last().unwrap().contains("^connected"), "{r:?}");
    let r = mi.cmd("-target-download");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    monitor_text(&mut mi, "reset halt");

    // Run to the end of the first line: the firmware has built its control block by then.
    let r = mi.cmd("-break-insert line_done");
    assert!(r.last().unwrap().contains("^done,bkpt="), "{r:?}");
    continue_running(&mut mi);
    wait_stopped(&mut mi, "breakpoint-hit");
    let text = monitor_text(&mut mi, "rtt setup");
    assert!(text.contains("searched in the chip's RAM"), "{text}");
    let text = monitor_text(&mut mi, "rtt start");
    // _SEGGER_RTT is at the start of the G4's SRAM1.
    assert!(text.contains("control block at 0x20000000"), "{text}");
    let text = monitor_text(&mut mi, "rtt channels");
    assert!(text.contains("up    0 \"Terminal\" 2048 bytes"), "{text}");

    let text = monitor_text(&mut mi, "rtt server start 0 0");
    let addr: SocketAddr = text
        .split("served on ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no address in {text}"));
    assert!(addr.ip().is_loopback());
    let client = RttClient::connect(addr);

    // Running freely: the lines keep coming, none lost or repeated.
    let r = mi.cmd("-break-delete");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    continue_running(&mut mi);
    client.wait_for("lines while running", |r| r.numbers.len() >= 20);
    let r = mi.cmd("-exec-interrupt");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    wait_stopped(&mut mi, "SIGINT");
    let got = client.now();
    assert_in_order(&got.numbers);
    assert!(
        got.other.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&got.other)
    );

    let text = monitor_text(&mut mi, "rtt stop");
    assert!(text.contains("RTT stopped"), "{text}");
    mi.quit();
    server.shutdown().unwrap();
}
