//! RTT through the GDB server: `monitor rtt` driven by gdb-multiarch (MI, as cortex-debug drives
//! it), a TCP client on a channel server, the RTT test firmware (examples/firmware/rtt.s) running
//! on the simulated chip; and `stm32-opts gdb --rtt` as a separate process.

use crate::cli_support;
use crate::gdb_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use cli_support::{bin, ServerProcess};
use gdb_support::*;

/// Upper bound for bytes to arrive at a client (a search pass over all RAM while the simulated
/// core runs takes seconds in a debug build).
pub(crate) const RTT_TIMEOUT: Duration = Duration::from_secs(120);

/// The firmware's line format: "line " + 8 hex digits + "\n".
const LINE_LEN: usize = 14;

/// What a client received, split into the firmware's numbered lines and the other bytes (the
/// echo of what was sent, which the firmware writes between two lines).
#[derive(Debug, Default)]
pub(crate) struct Received {
    pub(crate) numbers: Vec<u32>,
    pub(crate) other: Vec<u8>,
}

fn split(bytes: &[u8]) -> Received {
    let mut got = Received::default();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        if rest.starts_with(b"line ") || b"line ".starts_with(&rest[..rest.len().min(5)]) {
            if rest.len() < LINE_LEN {
                break; // a line still on its way
            }
            let digits = std::str::from_utf8(&rest[5..13]).ok();
            if let (Some(n), b'\n') = (
                digits.and_then(|d| u32::from_str_radix(d, 16).ok()),
                rest[13],
            ) {
                got.numbers.push(n);
                i += LINE_LEN;
                continue;
            }
        }
        got.other.push(bytes[i]);
        i += 1;
    }
    got
}

pub(crate) fn assert_in_order(numbers: &[u32]) {
    assert_eq!(numbers.first(), Some(&0), "the first line is line 0");
    for pair in numbers.windows(2) {
        assert_eq!(
            pair[1],
            pair[0] + 1,
            "line {} follows line {}: lines lost or repeated",
            pair[1],
            pair[0]
        );
    }
}

/// A TCP client of a channel server; a thread collects what it receives.
pub(crate) struct RttClient {
    stream: TcpStream,
    received: Arc<Mutex<Vec<u8>>>,
    closed: Arc<Mutex<bool>>,
}

impl RttClient {
    pub(crate) fn connect(addr: SocketAddr) -> RttClient {
        let stream = TcpStream::connect(addr).expect("connecting to the RTT server");
        let mut reader = stream.try_clone().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let closed = Arc::new(Mutex::new(false));
        let (sink, done) = (received.clone(), closed.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => sink.lock().unwrap().extend_from_slice(&buf[..n]),
                }
            }
            *done.lock().unwrap() = true;
        });
        RttClient {
            stream,
            received,
            closed,
        }
    }

    pub(crate) fn now(&self) -> Received {
        split(&self.received.lock().unwrap())
    }

    /// Everything received so far, as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }

    /// Waits (bounded) until what was received satisfies `done`.
    pub(crate) fn wait_for(&self, what: &str, done: impl Fn(&Received) -> bool) -> Received {
        let start = Instant::now();
        loop {
            let got = self.now();
            if done(&got) {
                return got;
            }
            assert!(
                start.elapsed() < RTT_TIMEOUT,
                "no {what} within {RTT_TIMEOUT:?}; received {} line(s), last {:?}, other bytes {:?}",
                got.numbers.len(),
                got.numbers.last(),
                String::from_utf8_lossy(&got.other)
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn wait_closed(&self) {
        let start = Instant::now();
        while !*self.closed.lock().unwrap() {
            assert!(
                start.elapsed() < RTT_TIMEOUT,
                "the server did not close the client"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// A monitor command through MI; returns its console text (the command must complete).
pub(crate) fn monitor_text(mi: &mut Mi, command: &str) -> String {
    let r = mi.console(&format!("monitor {command}"));
    assert!(
        r.last().unwrap().contains("^done"),
        "monitor {command}: {r:?}"
    );
    stream_text(&r, '@')
}

pub(crate) fn wait_stopped(mi: &mut Mi, why: &str) {
    let r = mi.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    assert!(
        r.last().unwrap().contains(why),
        "expected a stop ({why}): {r:?}"
    );
}

pub(crate) fn continue_running(mi: &mut Mi) {
    let r = mi.cmd("-exec-continue");
    assert!(r.last().unwrap().contains("^running"), "{r:?}");
}

fn evaluate(mi: &mut Mi, expression: &str) -> String {
    let r = mi.cmd(&format!("-data-evaluate-expression {expression}"));
    r.last()
        .unwrap()
        .split("value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or_else(|| panic!("no value for {expression}: {r:?}"))
        .to_string()
}

#[test]
fn channel_server_streams_while_running_and_stopped_and_feeds_the_down_channel() {
    let server = start_server(None);
    let elf = rtt_firmware();
    let mut mi = Mi::start();
    assert!(mi
        .cmd("-gdb-set mi-async on")
        .last()
        .unwrap()
        .contains("^done"));
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

    // Before the firmware has run there is no control block: RTT starts and keeps searching.
    let text = monitor_text(&mut mi, "rtt setup");
    assert!(text.contains("searched in the chip's RAM"), "{text}");
    // GDB gave the server `_SEGGER_RTT` (qSymbol): it waits for the block there.
    let text = monitor_text(&mut mi, "rtt start");
    assert!(
        text.contains("the control block at _SEGGER_RTT = 0x2002")
            && text.contains("is not set up yet"),
        "{text}"
    );

    // Run to the end of the first line: the block is there now.
    let r = mi.cmd("-break-insert line_done");
    assert!(r.last().unwrap().contains("^done,bkpt="), "{r:?}");
    continue_running(&mut mi);
    wait_stopped(&mut mi, "breakpoint-hit");
    let text = monitor_text(&mut mi, "rtt start");
    assert!(text.contains("control block at 0x2002"), "{text}");
    let text = monitor_text(&mut mi, "rtt channels");
    assert!(text.contains("up    0 \"Terminal\" 2048 bytes"), "{text}");
    assert!(text.contains("down  0 \"Terminal\" 64 bytes"), "{text}");

    let text = monitor_text(&mut mi, "rtt server start 0 0");
    let addr: SocketAddr = text
        .split("served on ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no address in {text}"));
    assert!(addr.ip().is_loopback());
    let mut client = RttClient::connect(addr);

    // The core is halted at the breakpoint, GDB waits for commands: the line already written
    // still reaches the client.
    client.wait_for("line 0 while halted", |r| !r.numbers.is_empty());

    // Stops at the breakpoint, one line each; the client keeps receiving.
    for _ in 0..5 {
        continue_running(&mut mi);
        wait_stopped(&mut mi, "breakpoint-hit");
    }
    client.wait_for("a line per stop", |r| r.numbers.len() >= 6);
    // Single steps (GDB drives the core one instruction at a time).
    for _ in 0..3 {
        let r = mi.cmd("-exec-step-instruction");
        assert!(r.last().unwrap().contains("^running"), "{r:?}");
        wait_stopped(&mut mi, "end-stepping-range");
    }

    // Running freely.
    let r = mi.cmd("-break-disable 1");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    continue_running(&mut mi);
    client.wait_for("lines while running", |r| r.numbers.len() >= 200);

    // Bytes from the client reach the down channel: the firmware echoes them.
    client.stream.write_all(b"ping\n").unwrap();
    client.wait_for("the echo", |r| r.other == b"ping\n");
    let r = mi.cmd("-exec-interrupt");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    wait_stopped(&mut mi, "SIGINT");
    assert_eq!(evaluate(&mut mi, "(int)echoed"), "5");

    // Mistakes are refused with a reason; the session and the stream go on.
    let refused = [
        ("rtt server start 0 7", "channel 7 does not exist"),
        (
            &format!("rtt server start {} 0", addr.port()),
            "already serves RTT channel 0",
        ),
        ("rtt server stop 1", "no RTT server on port 1"),
        ("rtt setup 0x08000000 1024", "is not inside the chip's RAM"),
        ("rtt setup 0x20000000 1024 \"MY RTT\"", "is not supported"),
        ("rtt setup 0x20000000", "takes ADDRESS and SIZE"),
        ("rtt frob", "unknown rtt command"),
        ("rtt console maybe", "on or off"),
    ];
    for (command, why) in refused {
        let text = monitor_text(&mut mi, command);
        assert!(text.contains(why), "monitor {command}: {text}");
    }
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let text = monitor_text(
        &mut mi,
        &format!("rtt server start {} 0", busy.local_addr().unwrap().port()),
    );
    assert!(text.contains("cannot listen on 127.0.0.1:"), "{text}");
    let text = monitor_text(&mut mi, "rtt channels");
    assert!(
        text.contains("\"Terminal\""),
        "refusals changed nothing: {text}"
    );

    // A range without the block: nothing found; then all RAM again.
    monitor_text(&mut mi, "rtt setup 0x20000000 0x1000");
    let text = monitor_text(&mut mi, "rtt start");
    assert!(
        text.contains("no control block found in 0x20000000..0x20001000 (4 KB)"),
        "{text}"
    );
    monitor_text(&mut mi, "rtt setup");
    let text = monitor_text(&mut mi, "rtt start");
    assert!(text.contains("control block at 0x2002"), "{text}");

    let before = client.now().numbers.len();
    continue_running(&mut mi);
    client.wait_for("more lines after the new setup", |r| {
        r.numbers.len() >= before + 100
    });
    let r = mi.cmd("-exec-interrupt");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    wait_stopped(&mut mi, "SIGINT");
    let got = client.now();
    assert_in_order(&got.numbers);
    assert_eq!(got.other, b"ping\n");

    // Stopping the server closes its client.
    let text = monitor_text(&mut mi, &format!("rtt server stop {}", addr.port()));
    assert!(text.contains("stopped"), "{text}");
    client.wait_closed();
    let text = monitor_text(&mut mi, "rtt stop");
    assert!(text.contains("RTT stopped"), "{text}");
    mi.quit();
}

#[test]
fn monitor_help_lists_every_rtt_command() {
    let server = start_server(None);
    let mut c = RawClient::connect(server.local_addr());
    let (text, reply) = monitor(&mut c, "help");
    assert_eq!(reply, "OK");
    for command in [
        "rtt setup [ADDRESS SIZE [ID]]",
        "rtt start|stop",
        "rtt channels",
        "rtt server start PORT CHANNEL",
        "rtt server stop PORT",
        "rtt console on|off",
    ] {
        assert!(text.contains(command), "{command} missing in:\n{text}");
    }
}

/// The number of a port a `rtt server start` reply names ("… served on 127.0.0.1:PORT").
fn served_port(text: &str) -> u16 {
    text.split("127.0.0.1:")
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {text}"))
}

#[test]
fn channel_servers_are_bounded_with_a_refusal_that_names_the_limit() {
    let server = start_server(None);
    let mut c = RawClient::connect(server.local_addr());
    let mut ports = Vec::new();
    for _ in 0..16 {
        let (text, reply) = monitor(&mut c, "rtt server start 0 0");
        assert_eq!(reply, "OK");
        ports.push(served_port(&text));
    }
    let (text, reply) = monitor(&mut c, "rtt server start 0 0");
    assert_eq!(reply, "OK", "a refusal ends no session");
    assert!(
        text.contains("16 RTT channel servers are running, the most served at once"),
        "{text}"
    );
    assert!(text.contains("rtt server stop PORT"), "{text}");
    let (text, _) = monitor(&mut c, "rtt channels");
    assert_eq!(text.matches("server 127.0.0.1:").count(), 16, "{text}");
    // Stopping one frees a place.
    monitor(&mut c, &format!("rtt server stop {}", ports[0]));
    let (text, _) = monitor(&mut c, "rtt server start 0 1");
    assert!(text.contains("RTT channel 1 served on"), "{text}");
}

/// `stm32-opts --sim gdb --rtt --rtt-console` in its own process.
fn gdb_process() -> ServerProcess {
    ServerProcess::start(
        &[
            "--sim",
            "gdb",
            "--listen",
            "127.0.0.1:0",
            "--rtt",
            "--rtt-console",
        ],
        RTT_TIMEOUT,
    )
}

#[test]
fn gdb_rtt_option_finds_the_control_block_by_itself() {
    let mut server = gdb_process();
    // Load the firmware and let it run; nobody types an rtt command.
    let run = batch(
        server.addr,
        Some(&rtt_firmware()),
        &cmds(&["load", "monitor reset halt", "detach"]),
    );
    assert!(run.success, "{}", run.text);
    // Channel 0 appears on the server's console.
    server.wait_line("line 00000000");
    server.wait_line("line 00000010");
    let run = batch(server.addr, None, &cmds(&["monitor rtt channels"]));
    assert!(run.success, "{}", run.text);
    assert!(run.text.contains("up    0 \"Terminal\""), "{}", run.text);
}

#[test]
fn gdb_help_documents_the_rtt_options() {
    let out = bin().args(["gdb", "--help"]).output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("--rtt ") || help.contains("--rtt\n"),
        "{help}"
    );
    assert!(help.contains("--rtt-console"), "{help}");
}
