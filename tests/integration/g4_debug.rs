//! The all-day debug commands on the simulated STM32G474RE: `monitor erase` in both bank modes
//! through gdb-multiarch, `stm32-opts erase` in separate processes, fault triage with vector
//! catch and semihosting, with the test firmware linked for G4 memory (`*-g4.elf`).

use crate::cli_support;
use crate::gdb_support;
use crate::sim_support;

use std::path::{Path, PathBuf};

use cli_support::bin;
use gdb_support::*;
use predicates::prelude::*;
use probe_rs::MemoryInterface;
use stm32_opts::gdb::Server;
use stm32_opts::sim::g4::G4Sim;
use stm32_opts::sim::Simulator;

const G474: &str = "STM32G474RE";
const FILL: u32 = 0xA5A5_A5A5;
const ERASED: u32 = 0xFFFF_FFFF;

fn g4_elf(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/firmware/{name}-g4.elf"))
}

/// Fills the whole simulated flash array with [`FILL`].
fn fill_flash(sim: &Simulator) {
    sim.with_g4_flash(|f| {
        let len = f.array().len();
        f.restore_array(&vec![0xA5; len]);
    })
    .unwrap();
}

/// GDB commands printing the first word at each address as `NAME=0x...`.
fn read_words(tag: &str, words: &[(&str, u32)]) -> Vec<String> {
    let mut out = vec![format!("echo @@{tag}\\n")];
    for (name, address) in words {
        out.push(format!(
            "printf \"{name}=%#x\\n\", *(unsigned int *){address:#x}"
        ));
    }
    out
}

fn words_in(text: &str, names: &[&str]) -> Vec<u32> {
    names.iter().map(|n| word_of(text, n)).collect()
}

/// Dual bank: 2 KB pages, bank 2 at 0x0804_0000.
const DUAL: [(&str, u32); 6] = [
    ("p0", 0x0800_0000),
    ("p1", 0x0800_0800),
    ("p2", 0x0800_1000),
    ("b2p0", 0x0804_0000),
    ("b2p1", 0x0804_0800),
    ("b2p2", 0x0804_1000),
];
const DUAL_NAMES: [&str; 6] = ["p0", "p1", "p2", "b2p0", "b2p1", "b2p2"];

#[test]
fn monitor_erase_pages_banks_and_all_in_dual_then_single_bank_mode() {
    let sim = Simulator::new(G474).unwrap();
    fill_flash(&sim);
    let server = Server::bind(sim.attach().unwrap(), "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .spawn()
        .unwrap();
    let addr = server.local_addr();

    let mut c = cmds(&[
        "echo @@BAD\\n",
        "monitor erase sector 1",
        "monitor erase page 256",
        "monitor erase bank3",
        "monitor erase page",
    ]);
    c.extend(read_words("AFTERBAD", &DUAL));
    c.extend(cmds(&["echo @@PAGE\\n", "monitor erase page 1"]));
    c.extend(read_words("AFTERPAGE", &DUAL));
    c.extend(cmds(&["echo @@PAGE129\\n", "monitor erase page 129"]));
    c.extend(read_words("AFTERPAGE129", &DUAL));
    c.extend(cmds(&["echo @@BANK2\\n", "monitor erase bank2"]));
    c.extend(read_words("AFTERBANK2", &DUAL));
    c.extend(cmds(&[
        "printf \"b2end=%#x\\n\", *(unsigned int *)0x0807FFFC",
    ]));
    c.extend(cmds(&["echo @@ALL\\n", "monitor erase all"]));
    c.extend(read_words("AFTERALL", &DUAL));
    c.extend(cmds(&["echo @@END\\n", "detach"]));
    let run = batch(addr, None, &c);
    assert!(run.success, "{}", run.text);
    let t = &run.text;

    let bad = section(t, "@@BAD", "@@AFTERBAD");
    assert!(
        bad.contains("STM32G4 flash is erased in pages, not sectors: use `erase page N` (valid pages: 0-127 (bank 1), 128-255 (bank 2))"),
        "{bad}"
    );
    assert!(bad.contains("there is no page 256 in this layout"), "{bad}");
    assert!(bad.contains("`bank3` is not an erase target"), "{bad}");
    assert!(bad.contains("page needs a number"), "{bad}");
    let after = section(t, "@@AFTERBAD", "@@PAGE");
    assert_eq!(
        words_in(after, &DUAL_NAMES),
        vec![FILL; 6],
        "refusals change nothing"
    );

    let page = section(t, "@@PAGE", "@@AFTERPAGE");
    assert!(
        page.contains("erased page 1 (2 KB at 0x08000800, bank 1, PNB 1) [1/1]"),
        "{page}"
    );
    assert!(page.contains("1 page(s) erased; core halted"), "{page}");
    let after = section(t, "@@AFTERPAGE", "@@PAGE129");
    assert_eq!(
        words_in(after, &DUAL_NAMES),
        vec![FILL, ERASED, FILL, FILL, FILL, FILL]
    );

    let page = section(t, "@@PAGE129", "@@AFTERPAGE129");
    assert!(
        page.contains("erased page 129 (2 KB at 0x08040800, bank 2, PNB 1) [1/1]"),
        "{page}"
    );
    let after = section(t, "@@AFTERPAGE129", "@@BANK2");
    assert_eq!(
        words_in(after, &DUAL_NAMES),
        vec![FILL, ERASED, FILL, FILL, ERASED, FILL]
    );

    let bank = section(t, "@@BANK2", "@@AFTERBANK2");
    assert!(
        bank.contains("erased bank 2 (256 KB at 0x08040000, mass erase) [1/1]"),
        "{bank}"
    );
    let after = section(t, "@@AFTERBANK2", "@@ALL");
    assert_eq!(
        words_in(after, &DUAL_NAMES),
        vec![FILL, ERASED, FILL, ERASED, ERASED, ERASED]
    );
    assert_eq!(word_of(after, "b2end"), ERASED);

    let all = section(t, "@@ALL", "@@AFTERALL");
    assert!(
        all.contains("erased bank 1 (256 KB at 0x08000000, mass erase) [1/2]"),
        "{all}"
    );
    assert!(all.contains("2 bank(s) erased"), "{all}");
    let after = section(t, "@@AFTERALL", "@@END");
    assert_eq!(words_in(after, &DUAL_NAMES), vec![ERASED; 6]);

    // Single bank (the option load resets the chip and the server re-attaches): 4 KB pages.
    let run = batch(addr, None, &cmds(&["monitor bank single", "detach"]));
    assert!(run.text.contains("loaded by OBL_LAUNCH"), "{}", run.text);
    fill_flash(&sim);
    let single = [
        ("q0", 0x0800_0000),
        ("q0b", 0x0800_0800),
        ("q1", 0x0800_1000),
        ("q1end", 0x0800_1FFC),
        ("q2", 0x0800_2000),
        ("last", 0x0807_FFFC),
    ];
    let names = ["q0", "q0b", "q1", "q1end", "q2", "last"];
    let mut c = cmds(&[
        "echo @@BAD\\n",
        "monitor erase bank2",
        "monitor erase bank1",
        "monitor erase page 128",
    ]);
    c.extend(read_words("AFTERBAD", &single));
    c.extend(cmds(&["echo @@PAGE\\n", "monitor erase page 1"]));
    c.extend(read_words("AFTERPAGE", &single));
    c.extend(cmds(&["echo @@ALL\\n", "monitor erase all"]));
    c.extend(read_words("AFTERALL", &single));
    c.extend(cmds(&["echo @@END\\n", "detach"]));
    let run = batch(addr, None, &c);
    assert!(run.success, "{}", run.text);
    let t = &run.text;
    let bad = section(t, "@@BAD", "@@AFTERBAD");
    assert!(
        bad.contains("bank2 needs dual-bank mode, but the chip is in single-bank mode (FLASH_OPTR.DBANK = 0)"),
        "{bad}"
    );
    assert!(bad.contains("bank1 needs dual-bank mode"), "{bad}");
    assert!(bad.contains("there is no page 128 in this layout"), "{bad}");
    assert!(bad.contains("valid pages: 0-127"), "{bad}");
    let after = section(t, "@@AFTERBAD", "@@PAGE");
    assert_eq!(
        words_in(after, &names),
        vec![FILL; 6],
        "refusals change nothing"
    );
    let page = section(t, "@@PAGE", "@@AFTERPAGE");
    assert!(
        page.contains("erased page 1 (4 KB at 0x08001000, bank 1, PNB 1) [1/1]"),
        "{page}"
    );
    let after = section(t, "@@AFTERPAGE", "@@ALL");
    assert_eq!(
        words_in(after, &names),
        vec![FILL, FILL, ERASED, ERASED, FILL, FILL]
    );
    let all = section(t, "@@ALL", "@@AFTERALL");
    assert!(
        all.contains("erased bank 1 (512 KB at 0x08000000, mass erase) [1/1]"),
        "{all}"
    );
    let after = section(t, "@@AFTERALL", "@@END");
    assert_eq!(words_in(after, &names), vec![ERASED; 6]);
    // FLASH_CR ends locked.
    let cr = sim
        .with_g4_flash(|f| f.read(0x14, std::time::Instant::now()))
        .unwrap();
    assert_ne!(cr & (1 << 31), 0, "FLASH_CR.LOCK after the erases");
    server.shutdown().unwrap();
}

/// A G474 kept in `state` with its flash filled and, optionally, a WRP1A area on pages
/// `first..=last` of bank 1.
fn board(state: &Path, wrp1a: Option<(u32, u32)>) {
    let sim = Simulator::with_state_file(G474, state).unwrap();
    fill_flash(&sim);
    if let Some((first, last)) = wrp1a {
        sim.with_g4_flash(move |f| f.store_mut().wrp1ar = (last << 16) | first)
            .unwrap();
    }
    sim.save().unwrap();
}

fn cli_words(state: &Path, addresses: &[u64]) -> Vec<u32> {
    let sim = Simulator::with_state_file(G474, state).unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    addresses
        .iter()
        .map(|&a| core.read_word_32(a).unwrap())
        .collect()
}

fn cli(state: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    bin()
        .args(["--chip", G474, "--sim-state"])
        .arg(state)
        .args(args)
        .assert()
}

const CLI_PAGES: [u64; 4] = [0x0800_0000, 0x0800_0800, 0x0800_1000, 0x0804_0000];

#[test]
fn cli_erase_page_bank_and_all_with_the_yes_rule() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("g4.json");
    board(&state, None);
    cli(&state, &["erase", "all"])
        .code(3)
        .stderr(predicate::str::contains(
            "erase all erases more than one page: add --yes",
        ));
    cli(&state, &["erase", "sector", "2"])
        .code(3)
        .stderr(predicate::str::contains("use `erase page N`"));
    assert_eq!(cli_words(&state, &CLI_PAGES), vec![FILL; 4]);
    cli(&state, &["erase", "page", "1"])
        .success()
        .stderr(predicate::str::contains(
            "erased page 1 (2 KB at 0x08000800, bank 1, PNB 1) [1/1]",
        ))
        .stdout(predicate::str::contains("erase page 1: 1 page(s) erased"));
    assert_eq!(
        cli_words(&state, &CLI_PAGES),
        vec![FILL, ERASED, FILL, FILL]
    );
    cli(&state, &["erase", "bank2", "--yes"])
        .success()
        .stdout(predicate::str::contains("1 bank(s) erased"));
    assert_eq!(
        cli_words(&state, &CLI_PAGES),
        vec![FILL, ERASED, FILL, ERASED]
    );
    cli(&state, &["erase", "all", "--yes"]).success();
    assert_eq!(cli_words(&state, &CLI_PAGES), vec![ERASED; 4]);
}

#[test]
fn cli_erase_refuses_write_protected_pages_before_erasing_anything() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("g4.json");
    board(&state, Some((2, 3)));
    cli(&state, &["erase", "page", "2"])
        .code(3)
        .stderr(predicate::str::contains("page 2 is write-protected"));
    cli(&state, &["erase", "bank1", "--yes"])
        .code(3)
        .stderr(predicate::str::contains("pages 2, 3 are write-protected"));
    cli(&state, &["erase", "all", "--yes"]).code(3);
    assert_eq!(cli_words(&state, &CLI_PAGES), vec![FILL; 4]);
    // A page outside the area still erases.
    cli(&state, &["erase", "page", "4"]).success();
    assert_eq!(
        cli_words(&state, &[0x0800_2000, 0x0800_1000]),
        vec![ERASED, FILL]
    );
}

/// A GDB server on a simulated G474RE whose flash holds `elf` (programmed through probe-rs with
/// the 512 KB dual-bank algorithm: GDB's `load` on a G4 is not this file's subject).
fn server_with(elf: &Path) -> stm32_opts::gdb::ServerHandle {
    let sim = Simulator::new(G474).unwrap();
    let mut session = sim.attach().unwrap();
    sim_support::flash_elf(&mut session, elf, "stm32g47x-8x_512").unwrap();
    drop(session);
    Server::bind(sim.attach().unwrap(), "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .spawn()
        .unwrap()
}

/// Runs faults-g4.elf with `case` selected, runs `setup`, continues and shows `monitor fault`.
fn g4_fault_run(case: u32, setup: &[&str]) -> String {
    let server = server_with(&g4_elf("faults"));
    let mut commands = cmds(&["monitor reset halt"]);
    commands.push(format!("set {{unsigned int}}&fault_select = {case:#x}"));
    commands.extend(setup.iter().map(|s| s.to_string()));
    commands.extend(cmds(&[
        "maintenance flush register-cache",
        "printf \"@@UDF=%#x BUS=%#x\\n\", &fault_udf, &fault_bus",
        "echo @@CONTINUE\\n",
        "continue",
        "echo @@FAULT\\n",
        "monitor fault",
        "echo @@END\\n",
    ]));
    let run = batch(server.local_addr(), Some(&g4_elf("faults")), &commands);
    assert!(run.success, "{}", run.text);
    run.text
}

#[test]
fn vector_catch_stops_undefined_instruction_and_bus_fault_on_g4() {
    let text = g4_fault_run(0x101, &["monitor vector_catch all"]);
    let udf = word_of(&text, "@@UDF");
    let stop = section(&text, "@@CONTINUE", "@@END");
    assert!(stop.contains("SIGILL"), "{text}");
    let expected = format!("UsageFault: undefined instruction (UFSR.UNDEFINSTR) at pc {udf:#010x}");
    assert!(stop.contains(&expected), "{expected} missing:\n{text}");

    let text = g4_fault_run(0x102, &["monitor vector_catch bus_err"]);
    let bus = word_of(&text, "BUS");
    let stop = section(&text, "@@CONTINUE", "@@END");
    assert!(stop.contains("SIGBUS"), "{text}");
    let expected = format!(
        "BusFault: precise data bus error (BFSR.PRECISERR) at pc {bus:#010x}, address 0x30000000 (BFAR)"
    );
    assert!(stop.contains(&expected), "{expected} missing:\n{text}");
}

#[test]
fn semihosting_output_and_exit_status_on_g4() {
    let server = server_with(&g4_elf("semihosting"));
    let commands = cmds(&[
        "monitor reset halt",
        "monitor arm semihosting enable",
        "monitor arm semihosting_cmdline one two",
        "maintenance flush register-cache",
        "echo @@CONTINUE\\n",
        "continue",
        "echo @@END\\n",
    ]);
    let run = batch(server.local_addr(), Some(&g4_elf("semihosting")), &commands);
    let text = &run.text;
    assert!(text.contains("@@CONTINUE"), "{text}");
    for line in [
        "hello from the chip (SYS_WRITE0)",
        "a line through SYS_WRITE to :tt",
        "command line: one two",
        "exiting with status 7",
    ] {
        assert!(text.contains(line), "`{line}` missing:\n{text}");
    }
    assert!(
        text.contains("exited with code 07"),
        "GDB did not report the exit status:\n{text}"
    );
}
