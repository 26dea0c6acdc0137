//! gdb-multiarch in batch mode against the GDB server on a simulated STM32H743ZI: the memory map
//! and `load` follow the swap in force (probe-rs's algorithm without the swap, the FLASH
//! registers with it), `compare-sections`, a firmware that reports which physical bank it runs
//! from, `monitor swap` (the reset the swap needs), and `monitor erase bank2` with the swap on,
//! which erases the physical bank seen at 0x0810_0000 and nothing else.

use crate::gdb_support::*;
use stm32_opts::gdb::Server;
use stm32_opts::sim::h7::{H7Model, H7Sim};
use stm32_opts::sim::Simulator;

use super::firmware::bank_report;

/// The first words of each physical bank (the vector table an image puts there).
fn bank_heads(sim: &Simulator) -> [u32; 2] {
    sim.with_model(|m: &mut H7Model| {
        let array = m.flash.array();
        let half = array.len() / 2;
        let word =
            |i: usize| u32::from_le_bytes([array[i], array[i + 1], array[i + 2], array[i + 3]]);
        [word(4), word(half + 4)]
    })
    .unwrap()
}

/// Resets, runs to `reported` and prints the report.
const RUN_AND_REPORT: [&str; 4] = [
    "monitor reset halt",
    "tbreak reported",
    "continue",
    "printf \"REPORT=%#x\\n\", *(unsigned *)0x20000000",
];

fn report(text: &str) -> String {
    let at = text
        .rfind("REPORT=")
        .unwrap_or_else(|| panic!("no report in:\n{text}"));
    text[at + 7..]
        .lines()
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

#[test]
fn load_and_run_in_both_mappings_and_erase_the_bank_the_user_means() {
    let sim = Simulator::new("STM32H743ZI").expect("simulated H743ZI");
    let session = sim.attach().expect("attach");
    let server = Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server");
    let addr = server.local_addr();

    // Not swapped: probe-rs's algorithm; image 1 runs from physical bank 1.
    let mut commands = cmds(&[
        "echo @@SWAP\\n",
        "monitor swap",
        "echo @@MEM\\n",
        "info mem",
        "echo @@LOAD\\n",
        "load",
        "compare-sections",
        "echo @@RUN\\n",
    ]);
    commands.extend(cmds(&RUN_AND_REPORT));
    commands.extend(cmds(&[
        "echo @@SWAPON\\n",
        "monitor swap on",
        "echo @@END\\n",
        "detach",
    ]));
    let run = batch(addr, Some(&bank_report(1)), &commands);
    let t = &run.text;
    assert!(
        section(t, "@@SWAP", "@@MEM")
            .contains("bank swap: off (logical 0x0800_0000 = physical bank 1"),
        "{t}"
    );
    let s = section(t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08000000 0x08100000 flash blocksize 0x20000"),
        "{s}"
    );
    assert!(
        s.contains("0x08100000 0x08200000 flash blocksize 0x20000"),
        "{s}"
    );
    let s = section(t, "@@LOAD", "@@RUN");
    assert!(s.contains("matched") && !s.contains("MIS-MATCHED"), "{t}");
    assert_eq!(report(section(t, "@@RUN", "@@SWAPON")), "0x101", "{t}");
    let s = section(t, "@@SWAPON", "@@END");
    assert!(s.contains("SWAP_BANK_OPT  0 → 1"), "{t}");
    assert!(
        s.contains("verified after reset: FLASH_OPTSR_CUR = 0x8006aad0, logical 0x0800_0000 = physical bank 2"),
        "{t}"
    );
    assert!(sim.h7_swap_in_force().unwrap());
    let [one, two] = bank_heads(&sim);
    assert_ne!(one, 0xFFFF_FFFF, "image 1 in physical bank 1");
    assert_eq!(two, 0xFFFF_FFFF, "physical bank 2 still erased");

    // Swapped: `load` goes through the FLASH registers into physical bank 2, seen at
    // 0x0800_0000; image 2 runs from there.
    let mut commands = cmds(&[
        "echo @@MEM\\n",
        "info mem",
        "echo @@LOAD\\n",
        "load",
        "compare-sections",
        "echo @@RUN\\n",
    ]);
    commands.extend(cmds(&RUN_AND_REPORT));
    commands.extend(cmds(&["echo @@END\\n", "detach"]));
    let run = batch(addr, Some(&bank_report(2)), &commands);
    let t = &run.text;
    let s = section(t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08000000 0x08100000 flash blocksize 0x20000"),
        "{s}"
    );
    let s = section(t, "@@LOAD", "@@RUN");
    assert!(s.contains("matched") && !s.contains("MIS-MATCHED"), "{t}");
    assert_eq!(report(section(t, "@@RUN", "@@END")), "0x202", "{t}");
    let [one_after, two_after] = bank_heads(&sim);
    assert_eq!(one_after, one, "physical bank 1 untouched by the load");
    assert_ne!(two_after, 0xFFFF_FFFF, "image 2 in physical bank 2");

    // Back and forth: without the swap image 1 boots again; with it, erase of the logical bank
    // 2 erases physical bank 1 (image 1) and keeps image 2.
    let mut commands = cmds(&["monitor swap off", "echo @@RUN\\n"]);
    commands.extend(cmds(&RUN_AND_REPORT));
    commands.extend(cmds(&[
        "echo @@ERASE\\n",
        "monitor swap on",
        "monitor erase bank2",
        "echo @@END\\n",
        "detach",
    ]));
    let run = batch(addr, Some(&bank_report(1)), &commands);
    let t = &run.text;
    assert_eq!(report(section(t, "@@RUN", "@@ERASE")), "0x101", "{t}");
    let s = section(t, "@@ERASE", "@@END");
    assert!(
        s.contains("logical 0x0810_0000 = physical bank 1, BER in FLASH_CR1"),
        "{t}"
    );
    let [one_erased, two_kept] = bank_heads(&sim);
    assert_eq!(one_erased, 0xFFFF_FFFF, "physical bank 1 erased");
    assert_eq!(two_kept, two_after, "physical bank 2 kept");
    server.shutdown().unwrap();
}

#[test]
fn a_swap_left_pending_by_no_reset_gets_its_reset_later() {
    let sim = Simulator::new("STM32H743ZI").expect("simulated H743ZI");
    let session = sim.attach().expect("attach");
    let server = Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server");
    let run = batch(
        server.local_addr(),
        None,
        &cmds(&[
            "echo @@PENDING\\n",
            "monitor swap on no-reset",
            "echo @@SHOW\\n",
            "monitor swap",
            "echo @@RESET\\n",
            "monitor swap on",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;
    let s = section(t, "@@PENDING", "@@SHOW");
    assert!(
        s.contains("the bank swap takes effect at the next reset"),
        "{t}"
    );
    let s = section(t, "@@SHOW", "@@RESET");
    assert!(s.contains("bank swap: off"), "{t}");
    assert!(
        s.contains("SWAP_BANK_OPT = 1 is programmed and takes effect at the next reset"),
        "{t}"
    );
    let s = section(t, "@@RESET", "@@END");
    assert!(s.contains("only the reset is missing"), "{t}");
    assert!(
        s.contains("the chip reset and logical 0x0800_0000 = physical bank 2"),
        "{t}"
    );
    assert!(sim.h7_swap_in_force().unwrap());
    server.shutdown().unwrap();
}
