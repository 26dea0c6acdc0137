//! defmt decoding through the real interfaces, on both families: the defmt test firmware
//! (examples/firmware/defmt.s: real defmt frames, rzCOBS-encoded on the target, a `.defmt`
//! table) loaded with GDB; `monitor rtt defmt ELF` decodes with the `defmt-decoder` crate; the
//! lines reach a TCP client of `monitor rtt server start 0 defmt` in order, GDB's console at a
//! stop (`monitor rtt defmt gdb on`), and, with `stm32-opts gdb --defmt ELF` in its own process,
//! the server's console, also after the ELF file changed. A frame the table does not know is
//! reported once and decoding goes on. Every decoded line ends with the log statement's
//! `defmt.s:LINE`, read from the ELF's DWARF, checked against the marked lines of the source.

use crate::cli_support::ServerProcess;
use crate::gdb_rtt::{continue_running, monitor_text, wait_stopped, RttClient, RTT_TIMEOUT};
use crate::gdb_rtt_boot::example;
use crate::gdb_support::*;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

struct Family {
    chip: Option<&'static str>,
    name: &'static str,
    elf: &'static str,
}

const FAMILIES: [Family; 2] = [
    Family {
        chip: None,
        name: "STM32F767ZI",
        elf: "defmt.elf",
    },
    Family {
        chip: Some("STM32G474RE"),
        name: "STM32G474RE",
        elf: "defmt-g4.elf",
    },
];

/// The line of `examples/firmware/defmt.s` marked `@ log statement: TAG` (the call site a
/// decoded line names).
fn statement_line(tag: &str) -> usize {
    let source = std::fs::read_to_string(example("defmt.s")).unwrap();
    let mark = format!("@ log statement: {tag}");
    let index = source
        .lines()
        .position(|l| l.trim_end().ends_with(&mark))
        .unwrap_or_else(|| panic!("defmt.s has no line marked {mark:?}"));
    index + 1
}

/// ` (defmt.s:LINE)`: the location a decoded line of the statement `tag` ends with.
fn at(tag: &str) -> String {
    format!(" (defmt.s:{})", statement_line(tag))
}

/// The first frame the firmware sends, decoded.
fn boot() -> String {
    format!("0.000000 ERROR boot: 1 up channel(s){}", at("boot"))
}

/// The second frame, decoded.
fn line_0() -> String {
    format!("0.000125 INFO line 0{}", at("line"))
}

fn ok(r: &[String]) {
    let last = r.last().unwrap();
    assert!(
        last.contains("^done") || last.contains("^connected") || last.contains("^running"),
        "{r:?}"
    );
}

/// The numbers of the `INFO line N` lines, checked: in order from 0, each fourth followed by its
/// WARN line, the unknown frame reported once.
fn check_lines(family: &str, text: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines.first().copied(),
        Some(boot().as_str()),
        "{family}: {text}"
    );
    assert_eq!(
        lines.get(1).copied(),
        Some(line_0().as_str()),
        "{family}: {text}"
    );
    let (at_line, at_four) = (at("line"), at("four"));
    let mut expected = 0u32;
    for (i, line) in lines.iter().enumerate() {
        if let Some(rest) = line.split(" INFO line ").nth(1) {
            let n = rest
                .strip_suffix(&at_line)
                .unwrap_or_else(|| panic!("{family}: no{at_line} on line {i}: {line}"));
            assert_eq!(
                n.parse::<u32>().unwrap(),
                expected,
                "{family}: line {i} of\n{text}"
            );
            expected += 1;
        }
        if let Some(rest) = line.split(" WARN four lines, the last ").nth(1) {
            let n = rest
                .strip_suffix(&at_four)
                .unwrap_or_else(|| panic!("{family}: no{at_four} on line {i}: {line}"));
            let n: u32 = n.parse().unwrap();
            assert_eq!(n % 4, 3, "{family}: {line}");
            assert_eq!(
                n + 1,
                expected,
                "{family}: the WARN follows its line: {line}"
            );
        }
    }
    let notices = lines
        .iter()
        .filter(|l| l.contains("a frame with index 99 is not in the table"))
        .count();
    if expected > 6 {
        assert_eq!(notices, 1, "{family}: reported once:\n{text}");
    }
    expected as usize
}

fn served_address(text: &str) -> SocketAddr {
    text.split("served on ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no address in {text}"))
}

fn wait_text(client: &RttClient, what: &str, done: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        let text = client.text();
        if done(&text) {
            return text;
        }
        assert!(
            start.elapsed() < RTT_TIMEOUT,
            "no {what} within {RTT_TIMEOUT:?}; received:\n{text}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn decoded_lines_reach_a_tcp_client_and_gdb_on_both_families() {
    for family in &FAMILIES {
        let elf = example(family.elf);
        let server = start_server(family.chip);
        let mut mi = Mi::start();
        ok(&mi.cmd("-gdb-set mi-async on"));
        ok(&mi.cmd(&format!(
            "-file-exec-and-symbols \"{}\"",
            elf.to_string_lossy()
        )));
        ok(&mi.cmd(&format!(
            "-target-select extended-remote {}",
            server.local_addr()
        )));
        ok(&mi.cmd("-target-download"));
        monitor_text(&mut mi, "reset halt");

        let text = monitor_text(&mut mi, &format!("rtt defmt {}", elf.display()));
        assert!(text.contains("3 format strings"), "{text}");
        let refused = monitor_text(&mut mi, "rtt defmt /nonexistent.elf");
        assert!(refused.contains("cannot read"), "{refused}");
        let refused = monitor_text(&mut mi, &format!("rtt defmt {}", rtt_firmware().display()));
        assert!(refused.contains("has no defmt table"), "{refused}");
        let text = monitor_text(&mut mi, "rtt server start 0 defmt");
        let client = RttClient::connect(served_address(&text));
        // The server admits the client on its own thread: wait until it is listed.
        let start = Instant::now();
        while !monitor_text(&mut mi, "rtt channels").contains("for defmt lines: client") {
            assert!(
                start.elapsed() < RTT_TIMEOUT,
                "the text port never listed its client"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        let text = monitor_text(&mut mi, "rtt defmt gdb on");
        assert!(text.contains("at each stop"), "{text}");
        monitor_text(&mut mi, "rtt start");

        // A stop: the lines decoded so far come first, as console output.
        ok(&mi.cmd("-break-insert line_done"));
        continue_running(&mut mi);
        let r = mi.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
        let at_stop = stream_text(&r, '@');
        assert!(
            at_stop.contains(&boot()) && at_stop.contains(&line_0()),
            "{}: GDB's console at the stop: {r:?}",
            family.name
        );

        // Running freely: the client gets every line, in order.
        ok(&mi.cmd("-break-delete"));
        continue_running(&mut mi);
        wait_text(&client, "40 lines", |t| t.contains(" INFO line 40 ("));
        let r = mi.cmd("-exec-interrupt");
        ok(&r);
        wait_stopped(&mut mi, "SIGINT");
        let text = client.text();
        let count = check_lines(family.name, &text);
        println!(
            "{}: {count} decoded lines in order on the TCP port",
            family.name
        );

        let text = monitor_text(&mut mi, "rtt channels");
        assert!(text.contains("up    0 \"defmt\" 1024 bytes"), "{text}");
        assert!(text.contains("defmt: up channel 0 decoded with"), "{text}");
        let text = monitor_text(&mut mi, "rtt defmt off");
        assert!(text.contains("stopped"), "{text}");
        let refused = monitor_text(&mut mi, "rtt server start 0 defmt");
        assert!(refused.contains("defmt decoding is off"), "{refused}");
        mi.quit();
        server.shutdown().unwrap();
    }
}

/// `stm32-opts gdb --defmt ELF` in its own process: decoded lines on its console, and the
/// table read again when the ELF file changes.
#[test]
fn gdb_defmt_option_decodes_on_the_console_and_follows_the_elf_on_both_families() {
    for family in &FAMILIES {
        let dir = tempfile::tempdir().unwrap();
        let elf = dir.path().join("firmware.elf");
        std::fs::copy(example(family.elf), &elf).unwrap();
        let mut args: Vec<String> = vec!["--sim".into()];
        if let Some(chip) = family.chip {
            args.extend(["--chip".into(), chip.into()]);
        }
        args.extend([
            "gdb".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--defmt".into(),
            elf.to_string_lossy().into_owned(),
        ]);
        let mut server = ServerProcess::start(&args, RTT_TIMEOUT);
        let run = batch(
            server.addr,
            Some(&elf),
            &cmds(&["load", "monitor reset halt", "detach"]),
        );
        assert!(run.success, "{}", run.text);
        let boot = boot();
        server.wait_line(&boot);
        let lines = server.stdout_through(&format!("0.002750 INFO line 16{}", at("line")));
        let text: String = lines
            .iter()
            .skip_while(|l| **l != boot)
            .map(|l| format!("{l}\n"))
            .collect();
        check_lines(family.name, &text);

        // A new build of the same firmware: the server reads the table again.
        std::thread::sleep(Duration::from_millis(1100));
        std::fs::write(&elf, std::fs::read(example(family.elf)).unwrap()).unwrap();
        let line = server.wait_line("stm32-opts: defmt: table read again from");
        assert!(line.contains("3 format strings"), "{line}");
        server.stop_with("TERM");
    }
}
