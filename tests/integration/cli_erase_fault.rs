//! `stm32-opts erase` and `stm32-opts fault`: the real binary on a simulated chip kept in a
//! state file, checked with the simulator library between the processes.

use crate::cli_support;
use crate::sim_support;

use std::path::Path;

use cli_support::bin;
use predicates::prelude::*;
use probe_rs::MemoryInterface;
use sim_support::{faults_elf, flash_elf};
use stm32_opts::sim::Simulator;

const CHIP: &str = "STM32F767ZI";
const SECTOR0: u64 = 0x0800_0000;
const SECTOR1: u64 = 0x0800_8000;
const SECTOR2: u64 = 0x0801_0000;

/// Programs a word into sectors 0, 1 and 2 of the chip in `state` (saved when it is dropped).
fn board_with_data(state: &Path) {
    let sim = Simulator::with_state_file(CHIP, state).unwrap();
    let mut session = sim.attach().unwrap();
    let mut loader = session.target().flash_loader();
    for (n, a) in [SECTOR0, SECTOR1, SECTOR2].into_iter().enumerate() {
        loader.add_data(a, &[0x11 * (n as u8 + 1); 16]).unwrap();
    }
    loader
        .commit(&mut session, probe_rs::flashing::DownloadOptions::default())
        .unwrap();
    sim.save().unwrap();
}

/// The first word of sectors 0, 1 and 2 in `state`.
fn words(state: &Path) -> [u32; 3] {
    let sim = Simulator::with_state_file(CHIP, state).unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    [SECTOR0, SECTOR1, SECTOR2].map(|a| core.read_word_32(a).unwrap())
}

fn run(state: &Path, args: &[&str]) -> assert_cmd::assert::Assert {
    bin()
        .args(["--chip", CHIP, "--sim-state"])
        .arg(state)
        .args(args)
        .assert()
}

#[test]
fn erase_sector_erases_that_sector_only() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("board.json");
    board_with_data(&state);
    let before = words(&state);
    assert_eq!(before, [0x1111_1111, 0x2222_2222, 0x3333_3333]);
    run(&state, &["erase", "sector", "1"])
        .success()
        .stderr(predicate::str::contains(
            "erased sector 1 (32 KB at 0x08008000, bank 1) [1/1]",
        ))
        .stdout(predicate::str::contains(
            "erase sector 1: 1 sector(s) erased",
        ));
    assert_eq!(words(&state), [before[0], 0xFFFF_FFFF, before[2]]);
}

#[test]
fn bad_erase_requests_are_refused_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("board.json");
    board_with_data(&state);
    let before = words(&state);
    run(&state, &["erase", "all"])
        .code(3)
        .stderr(predicate::str::contains(
            "erase all erases more than one sector: add --yes",
        ));
    run(&state, &["erase", "bank2", "--yes"])
        .code(3)
        .stderr(predicate::str::contains("single-bank mode"));
    // Validity before confirmation: an impossible request is not first sent back for --yes.
    run(&state, &["erase", "bank2"])
        .code(3)
        .stderr(predicate::str::contains("single-bank mode"))
        .stderr(predicate::str::contains("--yes").not());
    run(&state, &["erase", "sector", "12"])
        .code(3)
        .stderr(predicate::str::contains("valid sectors: 0-11"));
    run(&state, &["erase", "sideways"])
        .code(2)
        .stderr(predicate::str::contains(
            "accepted: all, bank1, bank2, sector N",
        ));
    assert_eq!(words(&state), before);
    run(&state, &["erase", "all", "--yes"])
        .success()
        .stderr(predicate::str::contains("[12/12]"));
    assert_eq!(words(&state), [0xFFFF_FFFF; 3]);
}

#[test]
fn fault_reads_a_locked_up_chip() {
    // Erased flash: the reset vector points nowhere, the fetch faults, the HardFault vector is
    // erased too, and the core locks up.
    bin()
        .args(["--sim", "fault"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "HardFault (escalated from BusFault, HFSR.FORCED): bus error on an instruction fetch (BFSR.IBUSERR)",
        ))
        .stdout(predicate::str::contains("BFSR.STKERR"))
        .stdout(predicate::str::contains(
            "the core locked up (DHCSR.S_LOCKUP) at pc 0xfffffffe, instruction (unreadable) after a fault it could not take",
        ));
}

#[test]
fn fault_leaves_a_running_core_alone_unless_asked_to_halt() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("board.json");
    {
        let sim = Simulator::with_state_file(CHIP, &state).unwrap();
        let mut session = sim.attach().unwrap();
        flash_elf(&mut session, &faults_elf(), "stm32f7x_2048").unwrap();
        sim.save().unwrap();
    }
    // The fault firmware idles after reset (no case selected).
    run(&state, &["fault"])
        .code(3)
        .stderr(predicate::str::contains("the core is running"))
        .stderr(predicate::str::contains("--halt"));
    run(&state, &["fault", "--halt"])
        .success()
        .stdout(predicate::str::contains("no fault recorded"))
        .stdout(predicate::str::contains("in Thread mode"));
}
