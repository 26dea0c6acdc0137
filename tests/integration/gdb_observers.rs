//! Observers (live watch): while one gdb-multiarch controls the chip, further clients read
//! memory of the running core, are refused anything that would change the chip, and leave the
//! core's run state as it was; the first session is unaffected. Control passes to the next
//! client once the controlling one leaves, and the number of observers is bounded. The
//! observer is driven the way cortex-debug's live watch drives its second GDB (MI,
//! `-target-select extended-remote`, `-data-evaluate-expression`).

use crate::gdb_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use gdb_support::*;
use stm32_opts::gdb::{Server, ServerHandle};
use stm32_opts::sim::Simulator;

/// The counter of the example firmware, as an expression (the symbol has no debug type).
const COUNTER: &str = "*(unsigned int *)&counter";

/// A server on a fresh simulated chip, and the chip (to look at its run state directly).
fn server_on_sim() -> (ServerHandle, Simulator) {
    let _ = env_logger::builder().is_test(true).try_init();
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let session = sim.attach().unwrap();
    let server = Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .spawn()
        .unwrap();
    (server, sim)
}

fn running(sim: &Simulator) -> bool {
    sim.with(|chip| chip.running()).unwrap()
}

/// Whether the core runs within a bounded wait (GDB reports `^running` once it has sent the
/// request, possibly before the server has acted on it).
fn runs_soon(sim: &Simulator) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !running(sim) {
        if Instant::now() > deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    true
}

/// gdb-multiarch in MI mode, connected to `addr` with the example firmware's symbols.
fn mi_client(addr: SocketAddr) -> Mi {
    let mut mi = Mi::start();
    // Asynchronous MI, as cortex-debug runs it: commands are read while the core runs.
    assert_done(&mi.cmd("-gdb-set mi-async on"));
    let elf = firmware();
    assert_done(&mi.cmd(&format!("-file-exec-and-symbols \"{}\"", elf.display())));
    let connected = mi.cmd(&format!("-target-select extended-remote {addr}"));
    assert!(
        connected.iter().any(|l| l.contains("^connected")),
        "{connected:?}"
    );
    mi
}

fn assert_done(lines: &[String]) {
    assert!(
        lines.last().is_some_and(|l| l.contains("^done")),
        "{lines:?}"
    );
}

/// The counter's value through `-data-evaluate-expression`.
fn counter(mi: &mut Mi) -> u64 {
    let lines = mi.cmd(&format!("-data-evaluate-expression \"{COUNTER}\""));
    let last = lines.last().unwrap();
    let value = last
        .split("value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or_else(|| panic!("no value in {lines:?}"));
    value.parse().unwrap_or_else(|_| panic!("{last}"))
}

/// Reads the counter until it differs from `before` (bounded); returns the new value.
fn counter_after(mi: &mut Mi, before: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = counter(mi);
        if now != before || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A controlling session that loaded the firmware and let it run.
fn controller_running(addr: SocketAddr) -> Mi {
    let mut ctl = mi_client(addr);
    assert_done(&ctl.cmd("-target-download"));
    let run = ctl.cmd("-exec-continue");
    assert!(run.iter().any(|l| l.contains("^running")), "{run:?}");
    ctl
}

/// All the text of MI lines (console, target and log streams, results), for searching.
fn all_text(lines: &[String]) -> String {
    format!(
        "{}{}{}{}",
        stream_text(lines, '~'),
        stream_text(lines, '@'),
        stream_text(lines, '&'),
        lines.join("\n")
    )
}

/// Runs a console command as cortex-debug does and, if GDB started to resume, waits for it to
/// report the stop; returns every line.
fn console_until_settled(mi: &mut Mi, command: &str) -> Vec<String> {
    let mut lines = mi.console(command);
    if lines.last().is_some_and(|l| l.contains("^running")) {
        // A stop, or an error (a breakpoint that could not be inserted aborts the command).
        lines.extend(mi.wait_for(
            |l| l.starts_with("*stopped") || l.contains("^error"),
            MI_TIMEOUT,
        ));
    }
    lines
}

#[test]
fn an_observer_reads_a_running_counter_and_cannot_change_the_chip() {
    let (server, sim) = server_on_sim();
    let addr = server.local_addr();
    let mut ctl = controller_running(addr);
    assert!(
        runs_soon(&sim),
        "precondition: the controlling session let the core run"
    );

    let mut obs = mi_client(addr);
    assert!(running(&sim), "an observer connecting halted the core");
    let first = counter(&mut obs);
    let second = counter_after(&mut obs, first);
    assert!(
        second > first,
        "the observer sees the counter increase: {first} then {second}"
    );

    // Execution control, writes, breakpoints, state-changing monitor commands, flash: refused,
    // each with a reason or an error, and the observer's session goes on.
    let cont = console_until_settled(&mut obs, "continue");
    let text = all_text(&cont);
    assert!(
        text.contains("another GDB client") && text.contains("observer"),
        "{text}"
    );
    let step = all_text(&console_until_settled(&mut obs, "stepi"));
    assert!(step.contains("another GDB client"), "{step}");
    let write = obs.console(&format!("set var {COUNTER} = 0"));
    assert!(write.last().unwrap().contains("^error"), "{write:?}");
    assert_done(&obs.console("break tick"));
    let brk = console_until_settled(&mut obs, "continue");
    let text = all_text(&brk);
    assert!(text.contains("Cannot insert hardware breakpoint"), "{text}");
    assert_done(&obs.console("delete"));
    let reset = obs.console("monitor reset halt");
    let text = stream_text(&reset, '@');
    assert!(
        text.contains("refused") && text.contains("another GDB client"),
        "{text}"
    );
    let load = obs.console("load");
    assert!(load.last().unwrap().contains("^error"), "{load:?}");
    // Read-only monitor commands work.
    let ndbank = stream_text(&obs.console("monitor ndbank"), '@');
    assert!(ndbank.contains("nDBANK"), "{ndbank}");
    let help = stream_text(&obs.console("monitor help"), '@');
    assert!(help.contains("monitor ndbank"), "{help}");

    // None of it touched the core: it still runs and counts.
    assert!(
        running(&sim),
        "a refused request changed the core's run state"
    );
    let third = counter_after(&mut obs, second);
    assert!(third > second, "{second} then {third}");
    assert_done(&obs.cmd("-target-detach"));
    obs.quit();
    assert!(
        running(&sim),
        "the observer leaving changed the core's run state"
    );

    // The first session is unaffected: it interrupts, steps and continues as before.
    assert_done(&ctl.cmd("-exec-interrupt"));
    let stop = ctl.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    assert!(stop.last().unwrap().contains("SIGINT"), "{stop:?}");
    assert!(!running(&sim));
    let halted_at = counter(&mut ctl);
    assert!(halted_at >= third, "{halted_at} < {third}");
    ctl.cmd("-exec-step-instruction");
    let step = ctl.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    assert!(
        step.last().unwrap().contains("end-stepping-range"),
        "{step:?}"
    );
    let run = ctl.cmd("-exec-continue");
    assert!(run.iter().any(|l| l.contains("^running")), "{run:?}");
    assert!(runs_soon(&sim));
    ctl.quit();
}

#[test]
fn an_observer_of_a_halted_core_leaves_it_halted_and_sees_its_registers() {
    let (server, sim) = server_on_sim();
    let addr = server.local_addr();
    let mut ctl = mi_client(addr);
    assert_done(&ctl.cmd("-target-download"));
    let pc = ctl.cmd("-data-evaluate-expression $pc");
    assert!(!running(&sim));

    let mut obs = mi_client(addr);
    assert!(!running(&sim), "an observer connecting let the core run");
    // The observer sees the registers of the controlling session (the entry point after load).
    let seen = obs.cmd("-data-evaluate-expression $pc");
    assert_eq!(
        seen.last().unwrap().split_once('^').map(|x| x.1),
        pc.last().unwrap().split_once('^').map(|x| x.1),
        "the observer's pc differs from the controller's"
    );
    assert_eq!(counter(&mut obs), 0);
    // Its Ctrl-C and its detach do not start or stop anything.
    assert_done(&obs.cmd("-target-detach"));
    obs.quit();
    assert!(!running(&sim), "an observer leaving let the core run");

    // The controlling session still steps.
    ctl.cmd("-exec-step-instruction");
    let step = ctl.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    assert!(
        step.last().unwrap().contains("end-stepping-range"),
        "{step:?}"
    );
    ctl.quit();
}

/// A raw client past its first packet.
fn handshake(addr: SocketAddr) -> (RawClient, String) {
    let mut c = RawClient::connect(addr);
    let r = c
        .ask("qSupported:multiprocess+;swbreak+;hwbreak+")
        .expect("a reply to qSupported");
    (c, r)
}

#[test]
fn when_the_controlling_client_leaves_the_next_one_takes_control() {
    let (server, _sim) = server_on_sim();
    let addr = server.local_addr();
    let (mut ctl, _) = handshake(addr);
    assert_eq!(ctl.ask("M20000000,4:11223344").as_deref(), Some("OK"));
    let (mut obs, _) = handshake(addr);
    let refused = obs.ask("M20000000,4:00000000").unwrap();
    assert!(refused.contains("another GDB client"), "{refused}");

    // The controlling client detaches (the core runs): control is free.
    assert_eq!(ctl.ask("D").as_deref(), Some("OK"));
    drop(ctl);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut next = loop {
        let (mut c, _) = handshake(addr);
        if c.ask("M20000000,4:55667788").as_deref() == Some("OK") {
            break c;
        }
        assert!(Instant::now() < deadline, "no client got control");
        std::thread::sleep(Duration::from_millis(100));
    };
    // The observer that was already connected stays an observer.
    let refused = obs.ask("M20000000,4:00000000").unwrap();
    assert!(refused.starts_with("E."), "{refused}");
    assert_eq!(obs.ask("m20000000,4").as_deref(), Some("55667788"));
    assert_eq!(next.ask("m20000000,4").as_deref(), Some("55667788"));
}

#[test]
fn observers_are_limited_and_their_places_come_back() {
    let (server, _sim) = server_on_sim();
    let addr = server.local_addr();
    let (_ctl, r) = handshake(addr);
    assert!(r.contains("PacketSize="), "{r}");
    let mut observers: Vec<RawClient> = (0..stm32_opts::gdb::observer::MAX_OBSERVERS)
        .map(|n| {
            let (mut c, r) = handshake(addr);
            assert!(r.contains("PacketSize="), "observer {n} refused: {r}");
            assert_eq!(c.ask("m20000000,4").map(|r| r.len()), Some(8));
            c
        })
        .collect();
    let (mut extra, r) = handshake(addr);
    assert!(
        r.starts_with("E.") && r.contains("observers are connected"),
        "{r}"
    );
    assert!(extra.reply().is_none(), "the refused connection is closed");

    // One observer leaves: a new one is served again (once the server has seen it go).
    drop(observers.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_c, r) = handshake(addr);
        if r.contains("PacketSize=") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no observer place came back: {r}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn an_observers_refusal_names_the_client_in_control_now() {
    let (server, _sim) = server_on_sim();
    let addr = server.local_addr();
    let (mut first, _) = handshake(addr);
    let first_name = first.stream.local_addr().unwrap().to_string();
    let (mut obs, _) = handshake(addr);
    let refused = obs.ask("M20000000,4:00000000").unwrap();
    assert!(refused.contains(&first_name), "{refused}");

    // The controlling client leaves: nobody controls, and the refusal says so.
    assert_eq!(first.ask("D").as_deref(), Some("OK"));
    drop(first);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let refused = obs.ask("M20000000,4:00000000").unwrap();
        if refused.contains("no GDB client controls the chip now") {
            assert!(!refused.contains(&first_name), "{refused}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the refusal still names the client that left: {refused}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let (text, _) = monitor(&mut obs, "reset halt");
    assert!(
        text.contains("no GDB client controls the chip now"),
        "{text}"
    );

    // The next client takes control: the refusals name it.
    let deadline = Instant::now() + Duration::from_secs(10);
    let next = loop {
        let (mut c, _) = handshake(addr);
        if c.ask("M20000000,4:55667788").as_deref() == Some("OK") {
            break c;
        }
        assert!(Instant::now() < deadline, "no client got control");
        std::thread::sleep(Duration::from_millis(100));
    };
    let next_name = next.stream.local_addr().unwrap().to_string();
    let refused = obs.ask("M20000000,4:00000000").unwrap();
    assert!(
        refused.contains(&next_name) && !refused.contains(&first_name),
        "{refused}"
    );
    let (text, _) = monitor(&mut obs, "halt");
    assert!(text.contains(&next_name), "{text}");
}

#[test]
fn observers_run_the_read_only_monitor_commands() {
    let (server, _sim) = server_on_sim();
    let addr = server.local_addr();
    let (_ctl, _) = handshake(addr);
    let (mut obs, _) = handshake(addr);
    let (text, _) = monitor(&mut obs, "rtt channels");
    assert!(!text.contains("refused"), "{text}");
    assert!(text.contains("RTT is not started"), "{text}");
    let (text, _) = monitor(&mut obs, "bank");
    assert!(text.contains("bank mode: single"), "{text}");
    let (text, _) = monitor(&mut obs, "vector_catch");
    assert!(!text.contains("refused"), "{text}");
    // Changing ones stay refused, and the refusal lists what may run.
    let (text, _) = monitor(&mut obs, "rtt start");
    assert!(text.contains("refused"), "{text}");
    assert!(
        text.contains("rtt channels") && text.contains("bank"),
        "{text}"
    );
}
