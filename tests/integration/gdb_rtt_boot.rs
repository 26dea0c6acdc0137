//! RTT finds the right control block at once, on both families: the boot-log firmware
//! (examples/firmware/rtt-boot.s, a statically initialised block, so its ID is in flash too)
//! loaded with GDB's `load`, a copy of the block as a flash loader leaves it and a corrupt
//! candidate placed below the real block, then `continue`: the first line (line 0) reaches a TCP
//! client and none is lost. Without a symbol (GDB's symbol lookup off), with GDB's `qSymbol`, and
//! with `stm32-opts gdb --elf` in its own process. The delay from `continue` to the first line is
//! printed, not asserted.

use crate::cli_support::ServerProcess;
use crate::gdb_rtt::{
    assert_in_order, continue_running, monitor_text, wait_stopped, RttClient, RTT_TIMEOUT,
};
use crate::gdb_support::*;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

/// A chip and its build of the boot-log firmware.
pub(crate) struct Family {
    pub(crate) chip: Option<&'static str>,
    pub(crate) name: &'static str,
    pub(crate) elf: &'static str,
}

pub(crate) const FAMILIES: [Family; 2] = [
    Family {
        chip: None,
        name: "STM32F767ZI",
        elf: "rtt-boot.elf",
    },
    Family {
        chip: Some("STM32G474RE"),
        name: "STM32G474RE",
        elf: "rtt-boot-g4.elf",
    },
];

pub(crate) fn example(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("examples/firmware")
        .join(name)
}

fn ok(r: &[String]) {
    assert!(
        r.last().unwrap().contains("^done") || r.last().unwrap().contains("^connected"),
        "{r:?}"
    );
}

/// The value of a symbol (an address) as GDB evaluates `expression`.
fn address_of(mi: &mut Mi, expression: &str) -> u64 {
    let r = mi.cmd(&format!("-data-evaluate-expression \"{expression}\""));
    let text = r.last().unwrap();
    let value = text
        .split("value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or_else(|| panic!("no value for {expression}: {r:?}"));
    let hex = value
        .split_whitespace()
        .find(|w| w.starts_with("0x"))
        .unwrap_or_else(|| panic!("no address in {value}"));
    u64::from_str_radix(hex.trim_start_matches("0x"), 16).unwrap()
}

/// GDB with the firmware, connected and loaded, the core halted at reset; `lookup` says whether
/// GDB may answer the server's `qSymbol` lookups.
fn loaded(addr: SocketAddr, elf: &std::path::Path, lookup: bool) -> Mi {
    let mut mi = Mi::start();
    ok(&mi.cmd("-gdb-set mi-async on"));
    if !lookup {
        ok(&mi.console("set remote symbol-lookup-packet off"));
    }
    ok(&mi.cmd(&format!(
        "-file-exec-and-symbols \"{}\"",
        elf.to_string_lossy()
    )));
    ok(&mi.cmd(&format!("-target-select extended-remote {addr}")));
    ok(&mi.cmd("-target-download"));
    monitor_text(&mut mi, "reset halt");
    mi
}

/// What a flash loader leaves in RAM, and worse: a copy of the block's image (every offset 0)
/// 1 KB below `_SEGGER_RTT`, and 2 KB below it the ID followed by channel counts no firmware
/// declares. Returns the real block's address.
fn plant_candidates(mi: &mut Mi) -> u64 {
    let real = address_of(mi, "&_SEGGER_RTT");
    let image = address_of(mi, "(char *)&_sidata");
    let r = mi.cmd(&format!("-data-read-memory-bytes {image:#x} 72"));
    let contents = r
        .last()
        .unwrap()
        .split("contents=\"")
        .nth(1)
        .and_then(|c| c.split('"').next())
        .unwrap_or_else(|| panic!("no image bytes: {r:?}"))
        .to_string();
    assert!(
        contents.starts_with("5345474745522052545400"),
        "the image starts with the ID: {contents}"
    );
    ok(&mi.cmd(&format!(
        "-data-write-memory-bytes {:#x} {contents}",
        real - 0x400
    )));
    let corrupt = format!("{}{}", &contents[..32], "4547474152202e2e".repeat(4));
    ok(&mi.cmd(&format!(
        "-data-write-memory-bytes {:#x} {corrupt}",
        real - 0x800
    )));
    real
}

fn served_address(text: &str) -> SocketAddr {
    text.split("served on ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no address in {text}"))
}

/// `monitor rtt start` before `continue` (as cortex-debug's postLaunchCommands do), a client on
/// channel 0, `continue`: line 0 first, then every line in order.
fn first_line_arrives(family: &Family, lookup: bool) {
    let server = start_server(family.chip);
    let mut mi = loaded(server.local_addr(), &example(family.elf), lookup);
    let real = plant_candidates(&mut mi);
    monitor_text(&mut mi, "rtt setup");
    let text = monitor_text(&mut mi, "rtt start");
    println!("{}: before continue: {text}", family.name);
    let text = monitor_text(&mut mi, "rtt server start 0 0");
    let client = RttClient::connect(served_address(&text));

    let start = Instant::now();
    continue_running(&mut mi);
    let running = start.elapsed();
    client.wait_for("line 0", |r| !r.numbers.is_empty());
    let delay = start.elapsed();
    client.wait_for("100 lines", |r| r.numbers.len() >= 100);
    println!(
        "{} ({}): the first line arrived {delay:?} after continue (GDB's continue itself took {running:?})",
        family.name,
        if lookup { "qSymbol" } else { "no symbol" }
    );
    let r = mi.cmd("-exec-interrupt");
    ok_running_or_done(&r);
    wait_stopped(&mut mi, "SIGINT");
    let got = client.now();
    assert_in_order(&got.numbers);
    assert!(
        got.other.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&got.other)
    );

    let text = monitor_text(&mut mi, "rtt channels");
    assert!(
        text.contains(&format!("control block at {real:#010x}")),
        "{}: attached at the real block {real:#x}: {text}",
        family.name
    );
    if lookup {
        assert!(text.contains("(at _SEGGER_RTT)"), "{text}");
        assert!(
            text.contains(&format!("_SEGGER_RTT = {real:#010x} (from GDB)")),
            "{text}"
        );
    } else {
        assert!(text.contains("(the firmware writes to it)"), "{text}");
    }
    mi.quit();
    server.shutdown().unwrap();
}

fn ok_running_or_done(r: &[String]) {
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
}

#[test]
fn without_a_symbol_the_block_the_firmware_writes_to_is_found_on_both_families() {
    for family in &FAMILIES {
        first_line_arrives(family, false);
    }
}

#[test]
fn with_qsymbol_the_block_at_segger_rtt_is_found_on_both_families() {
    for family in &FAMILIES {
        first_line_arrives(family, true);
    }
}

/// `stm32-opts gdb --elf ELF --rtt --rtt-console` in its own process; GDB only loads (no symbol
/// lookup), plants the candidates and detaches: the server's console shows line 0 first.
#[test]
fn with_elf_the_server_finds_the_block_by_itself_on_both_families() {
    for family in &FAMILIES {
        let elf = example(family.elf);
        let mut args: Vec<String> = vec!["--sim".into()];
        if let Some(chip) = family.chip {
            args.extend(["--chip".into(), chip.into()]);
        }
        args.extend([
            "gdb".into(),
            "--listen".into(),
            "127.0.0.1:0".into(),
            "--elf".into(),
            elf.to_string_lossy().into_owned(),
            "--rtt".into(),
            "--rtt-console".into(),
        ]);
        let mut server = ServerProcess::start(&args, RTT_TIMEOUT);
        let mut mi = loaded(server.addr, &elf, false);
        plant_candidates(&mut mi);
        let start = Instant::now();
        let r = mi.cmd("-target-detach");
        assert!(r.last().unwrap().contains("^done"), "{r:?}");
        server.wait_line("line 00000000");
        let delay = start.elapsed();
        let lines = server.stdout_through("line 00000040");
        println!(
            "{} (--elf): the first line reached the console {delay:?} after detach",
            family.name
        );
        let numbers: Vec<u32> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("line "))
            .map(|n| u32::from_str_radix(n, 16).unwrap())
            .collect();
        assert_in_order(&numbers);
        mi.quit();
        server.stop_with("TERM");
    }
}
