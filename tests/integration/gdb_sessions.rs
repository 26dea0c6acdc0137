//! Connections and probes around the GDB server: a connection that sends nothing changes
//! nothing and cannot hold the chip, a client that reconnects at once is served, a lost socket
//! probe gives errors (not a hang) and can come back, and a bus fault through `sim-probe` does
//! not poison later accesses. Raw GDB packets over TCP; the probe cases run the real binary as
//! separate processes (`sim-probe` and `gdb --probe 20b7:9db1:tcp:…`).

use crate::gdb_support;
use crate::sim_support;

use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use gdb_support::*;
use stm32_opts::gdb::Server;
use stm32_opts::sim::Simulator;

/// A child process of the real binary, killed when dropped; its stdout stays open.
struct Proc {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    /// The address the process printed in its banner.
    addr: SocketAddr,
}

impl Proc {
    /// Starts `stm32-opts ARGS` and reads its first stdout line, whose last word is an address.
    fn start(args: &[&str]) -> Proc {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_stm32-opts"));
        for var in [
            "STM32_OPTS_CHIP",
            "PROBE_RS_CHIP",
            "PROBE_RS_PROBE",
            "RUST_LOG",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting stm32-opts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        // A banner or end of file: bounded by the process itself (it prints or exits).
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim()
            .rsplit(' ')
            .next()
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in the banner of {args:?}: {line:?}"));
        Proc {
            child,
            _stdout: stdout,
            addr,
        }
    }

    fn sim_probe(listen: &str) -> Proc {
        Proc::start(&["sim-probe", "--listen", listen])
    }

    fn gdb_server(probe: SocketAddr) -> Proc {
        let selector = format!("20b7:9db1:tcp:{probe}");
        Proc::start(&[
            "--chip",
            "STM32F767ZI",
            "--probe",
            &selector,
            "gdb",
            "--listen",
            "127.0.0.1:0",
        ])
    }

    /// SIGKILL, as when the process dies.
    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A client whose session has started (qSupported answered).
fn session(addr: SocketAddr) -> RawClient {
    let mut c = RawClient::connect(addr);
    let r = c.ask("qSupported:multiprocess+").expect("qSupported reply");
    assert!(r.contains("PacketSize="), "not served: {r}");
    c
}

fn is_data(reply: &Option<String>, bytes: usize) -> bool {
    reply
        .as_deref()
        .is_some_and(|r| r.len() == 2 * bytes && r.chars().all(|c| c.is_ascii_hexdigit()))
}

#[test]
fn a_connection_that_sends_nothing_leaves_a_running_core_running() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut probe_session = sim.attach().unwrap();
    sim_support::flash_firmware(&mut probe_session, "stm32f7x_2048").unwrap();
    probe_session.core(0).unwrap().reset().unwrap();
    assert!(sim.with(|chip| chip.running()).unwrap(), "precondition");
    let server = Server::bind(probe_session, "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .spawn()
        .unwrap();

    // A port check: connect and close without a byte, a few times.
    for _ in 0..3 {
        drop(TcpStream::connect(server.local_addr()).unwrap());
    }
    // Give the server time to act on them (it must do nothing).
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        sim.with(|chip| chip.running()).unwrap(),
        "a connection without a packet halted the core"
    );

    // A real session halts it, as GDB expects.
    let mut c = session(server.local_addr());
    let stop = c.ask("?").expect("stop reply");
    assert!(stop.starts_with('S') || stop.starts_with('T'), "{stop}");
    assert!(!sim.with(|chip| chip.running()).unwrap());
}

#[test]
fn a_silent_client_is_dropped_and_does_not_hold_the_chip() {
    let server = start_server(None);
    let mut silent = TcpStream::connect(server.local_addr()).unwrap();
    silent
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();

    // While the silent one is connected, another client is served.
    let mut other = session(server.local_addr());
    assert!(is_data(&other.ask("m20000000,4"), 4));
    drop(other);

    // The server closes the silent connection (end of file, not the test's read timeout).
    let mut buf = [0u8; 16];
    match silent.read(&mut buf) {
        Ok(0) => {}
        other => panic!("the silent client was not dropped: {other:?}"),
    }
    let mut next = session(server.local_addr());
    assert!(is_data(&next.ask("m20000000,4"), 4));
}

#[test]
fn a_client_that_reconnects_at_once_is_served() {
    let server = start_server(None);
    for round in 0..15 {
        let mut c = RawClient::connect(server.local_addr());
        let r = c.ask("qSupported:multiprocess+").expect("qSupported reply");
        assert!(
            r.contains("PacketSize="),
            "reconnect {round} was refused: {r}"
        );
        // Alternate between closing at once and closing after the session did some work.
        if round % 2 == 1 {
            assert!(is_data(&c.ask("m20000000,4"), 4));
        }
    }
}

#[test]
fn a_lost_socket_probe_gives_errors_and_a_restarted_one_is_used_again() {
    let sim_probe = Proc::sim_probe("127.0.0.1:0");
    let probe_addr = sim_probe.addr;
    let gdb = Proc::gdb_server(probe_addr);

    let mut c = session(gdb.addr);
    assert!(is_data(&c.ask("m20000000,4"), 4));
    sim_probe.kill();

    // The client gets an error reply (not silence: RawClient gives up after 20 s).
    let r = c.ask("m20000000,4");
    assert!(
        r.as_deref().is_some_and(|r| r.starts_with('E')),
        "no error reply after the probe died: {r:?}"
    );
    drop(c);

    // The next client is told what is wrong, in its first reply.
    let mut c = RawClient::connect(gdb.addr);
    let r = c
        .ask("qSupported:multiprocess+")
        .expect("a reply, not a hang");
    assert!(r.starts_with("E."), "{r}");
    assert!(r.contains("probe"), "{r}");
    drop(c);

    // Once the probe is back on the same address, a client gets a working session.
    let _sim_probe = Proc::sim_probe(&probe_addr.to_string());
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut c = loop {
        let mut c = RawClient::connect(gdb.addr);
        let r = c
            .ask("qSupported:multiprocess+")
            .expect("a reply, not a hang");
        if r.contains("PacketSize=") {
            break c;
        }
        assert!(Instant::now() < deadline, "never served again: {r}");
        std::thread::sleep(Duration::from_millis(200));
    };
    assert!(is_data(&c.ask("m20000000,4"), 4));
}

#[test]
fn a_bus_fault_through_sim_probe_fails_only_the_faulting_read() {
    let sim_probe = Proc::sim_probe("127.0.0.1:0");
    let gdb = Proc::gdb_server(sim_probe.addr);

    let mut c = session(gdb.addr);
    // What gdb-multiarch reads first on an erased chip: the code at pc 0xFFFF_FFFE.
    let r = c.ask("mfffffffe,2");
    assert!(
        r.as_deref().is_some_and(|r| r.starts_with('E')),
        "unmapped read: {r:?}"
    );
    assert!(is_data(&c.ask("m20000000,4"), 4), "RAM after the fault");
    assert!(is_data(&c.ask("m8000000,40"), 64), "flash after the fault");
    // Another fault, a write this time, then a later client.
    let r = c.ask("Mfffffff0,4:00000000");
    assert!(r.as_deref().is_some_and(|r| r.starts_with('E')), "{r:?}");
    assert!(is_data(&c.ask("m20000000,4"), 4));
    drop(c);
    let mut c = session(gdb.addr);
    assert!(is_data(&c.ask("m20000000,4"), 4), "a later client");
}

#[test]
fn gdb_multiarch_on_an_erased_chip_through_sim_probe_can_read_memory() {
    let sim_probe = Proc::sim_probe("127.0.0.1:0");
    let gdb = Proc::gdb_server(sim_probe.addr);
    let run = batch(
        gdb.addr,
        None,
        &cmds(&["echo @@BEGIN\\n", "x/wx 0x40023C14", "echo @@END\\n"]),
    );
    let text = section(&run.text, "@@BEGIN", "@@END");
    assert!(text.to_lowercase().contains("0xffffaafd"), "{}", run.text);
}

/// The settings of an interactive user (GDB's own packet timeout is 2 s; 10 s is generous),
/// rather than the long timeout the other batch tests give a loaded machine.
const USER_SETUP: [&str; 4] = [
    "set confirm off",
    "set pagination off",
    "set width 0",
    "set remotetimeout 10",
];

#[test]
fn an_idle_connection_flood_does_not_lock_out_gdb_multiarch() {
    let server = crate::cli_support::ServerProcess::start(
        &["--sim", "gdb", "--listen", "127.0.0.1:0"],
        Duration::from_secs(60),
    );
    // 2,000 connections that never send a byte, all open when GDB connects.
    let idle: Vec<TcpStream> = (0..2000)
        .map(|n| {
            TcpStream::connect(server.addr).unwrap_or_else(|e| panic!("idle connection {n}: {e}"))
        })
        .collect();
    let start = Instant::now();
    let run = batch_with(
        server.addr,
        Some(&firmware()),
        &USER_SETUP,
        &cmds(&[
            "echo @@HELP\\n",
            "monitor help",
            "printf \"@@WORD=%#x\\n\", *(unsigned int *)0x08000000",
        ]),
    );
    eprintln!(
        "gdb-multiarch connected and got its answers in {:?} with {} idle connections open",
        start.elapsed(),
        idle.len()
    );
    assert!(run.success, "{}", run.text);
    let help = section(&run.text, "@@HELP", "@@WORD");
    assert!(help.contains("monitor ndbank"), "{}", run.text);
    // The flood costs the server no thread per connection (it used to take one each, up to
    // tokio's 512, for their 5 s of silence, and GDB's connection waited behind them).
    let threads = threads_of(server.pid());
    eprintln!("the server runs {threads} threads with the flood open");
    assert!(threads < 64, "{threads} threads for idle connections");
    drop(idle);
}

/// The number of threads of process `pid` (Linux: /proc/PID/status).
fn threads_of(pid: u32) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no thread count in /proc/{pid}/status"))
}
