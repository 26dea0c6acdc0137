//! The real binary against the simulated chip (`--sim`, `--sim-state FILE`): reads, writes and
//! read-backs across processes, every rejection path, the RDP confirmations and the JSON shape.

use crate::cli_support;

use std::path::Path;

use cli_support::{bin, Board};
use predicates::prelude::*;
use serde_json::Value;
use stm32_opts::sim::f7::F7Sim;
use stm32_opts::sim::f7::OptionStore;
use stm32_opts::sim::Simulator;

const OPTCR_NDBANK: u64 = 1 << 29;
const OPTCR_NDBOOT: u64 = 1 << 28;
const FACTORY_OPTCR: u64 = 0xFFFF_AAFD;
const FACTORY_OPTCR1: u64 = 0x0040_0080;

impl Board {
    fn optcr(&self) -> u64 {
        self.json()["optcr"].as_u64().unwrap()
    }
}

fn state_path(board: &Board) -> &Path {
    &board.state
}

#[test]
fn ndbank_reads_a_factory_chip_like_the_original_tool() {
    bin()
        .args(["--sim", "ndbank"])
        .assert()
        .success()
        .stdout("nDBANK = true (single bank, 2 MB in 12 sectors)\n");
    bin()
        .args(["--sim", "--chip", "STM32F767ZG", "ndbank"])
        .assert()
        .success()
        .stdout("nDBANK = true (single bank, 1 MB in 8 sectors)\n");
}

#[test]
fn ndbank_false_switches_to_dual_bank_and_persists() {
    let board = Board::new("STM32F767ZI");
    board
        .run(&["ndbank", "false"])
        .success()
        .stdout(predicate::str::contains(
            "nDBANK = false (dual bank, 2 × 1 MB in 24 sectors, bank 2 at 0x0810_0000)",
        ))
        .stdout(predicate::str::contains("stm32f7x_2048dual"))
        .stdout(predicate::str::contains(
            "reset and the loaded values verified",
        ))
        .stderr(predicate::str::contains(
            "programming the option bytes (OPTSTRT)",
        ))
        .stderr(predicate::str::contains("option registers locked again"));
    assert!(state_path(&board).exists(), "state file created");
    // A new process sees the loaded value.
    board
        .run(&["ndbank"])
        .success()
        .stdout("nDBANK = false (dual bank, 2 × 1 MB in 24 sectors, bank 2 at 0x0810_0000)\n");
    let v = board.json();
    assert_eq!(v["optcr"].as_u64().unwrap() & OPTCR_NDBANK, 0);
    assert_eq!(v["optlock"], true);
    assert_eq!(v["flash"]["bank_mode"], "dual");
    assert_eq!(v["flash"]["sectors"].as_array().unwrap().len(), 24);
    assert_eq!(v["stored"]["pending"], Value::Null);
    // And back.
    board
        .run(&["ndbank", "true"])
        .success()
        .stdout(predicate::str::contains("nDBANK = true (single bank"));
    assert_eq!(board.optcr(), FACTORY_OPTCR);
}

#[test]
fn one_mb_part_switches_with_its_own_layout() {
    let board = Board::new("STM32F767ZG");
    board
        .run(&["ndbank", "dual"])
        .success()
        .stdout(predicate::str::contains("stm32f7x_1024dual"))
        .stdout(predicate::str::contains("bank 2 at 0x0808_0000"));
    let v = board.json();
    assert_eq!(v["flash"]["size_kb"], 1024);
    let sectors = v["flash"]["sectors"].as_array().unwrap();
    assert_eq!(sectors.len(), 16);
    assert_eq!(sectors[8]["index"], 12);
    assert_eq!(sectors[8]["address"], 0x0808_0000);
    assert_eq!(sectors[8]["snb"], 0x10);
}

#[test]
fn a_value_already_set_writes_nothing() {
    let board = Board::new("STM32F767ZI");
    board
        .run(&["ndbank", "true"])
        .success()
        .stdout(predicate::str::contains("already set"))
        .stderr(predicate::str::contains("OPTSTRT").not());
    assert_eq!(board.optcr(), FACTORY_OPTCR);
}

#[test]
fn several_fields_change_in_one_run() {
    let board = Board::new("STM32F767ZI");
    board
        .run(&[
            "optbytes",
            "set",
            "nDBANK=0",
            "ndboot=false",
            "BOOT_ADD1=0x2040",
        ])
        .success()
        .stdout(predicate::str::contains(
            "FLASH_OPTCR  0xffffaafc → 0xcfffaafc",
        ))
        .stdout(predicate::str::contains(
            "FLASH_OPTCR1 0x00400080 → 0x20400080",
        ));
    let v = board.json();
    assert_eq!(
        v["optcr"].as_u64().unwrap() & (OPTCR_NDBANK | OPTCR_NDBOOT),
        0
    );
    assert_eq!(v["optcr1"], 0x2040_0080);
    assert_eq!(v["fields"]["BOOT_ADD1"]["value"], 0x2040);
    assert_eq!(
        v["fields"]["BOOT_ADD1"]["meaning"],
        "0x0810_0000, flash on AXIM, start of bank 2 (sector 12)"
    );
    assert_eq!(v["fields"]["nDBOOT"]["value"], 0);
}

#[test]
fn dry_run_shows_the_change_and_writes_nothing() {
    let board = Board::new("STM32F767ZI");
    board
        .run(&["optbytes", "set", "nDBANK=0", "BOR_LEV=3", "--dry-run"])
        .success()
        .stdout(predicate::str::contains(
            "FLASH_OPTCR  0xffffaafc → 0xdfffaaf0",
        ))
        .stdout(predicate::str::contains(
            "was: single bank, 2 MB in 12 sectors",
        ))
        .stdout(predicate::str::contains("new: dual bank"))
        .stdout(predicate::str::contains("Dry run: nothing was written."));
    let out = board
        .run(&["optbytes", "set", "RDP=2", "--dry-run", "--json"])
        .success();
    let plan: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(plan["dry_run"], true);
    assert_eq!(plan["confirmations"], serde_json::json!(["permanent_rdp2"]));
    assert_eq!(plan["new"]["optcr"], 0xFFFF_CCFCu32);
    let v = board.json();
    assert_eq!(v["optcr"], FACTORY_OPTCR);
    assert_eq!(v["optcr1"], FACTORY_OPTCR1);
}

#[test]
fn no_reset_reports_pending_until_reset() {
    let board = Board::new("STM32F767ZI");
    board
        .run(&["optbytes", "set", "nDBOOT=0", "--no-reset"])
        .success()
        .stdout(predicate::str::contains("pending until reset"))
        .stderr(predicate::str::contains("resetting").not());
}

/// The option store as seen from a fresh process (registers and the stored words), and as the
/// simulator's state file holds it.
fn store(board: &Board) -> (Value, Value, Value, OptionStore) {
    let v = board.json();
    let sim = Simulator::with_state_file(board.chip, &board.state).expect("state file opens");
    let programmed = sim.option_store().unwrap();
    (
        v["optcr"].clone(),
        v["optcr1"].clone(),
        v["stored"].clone(),
        programmed,
    )
}

#[test]
fn rejections_leave_the_option_store_untouched() {
    let board = Board::new("STM32F767ZI");
    let before = store(&board);
    let cases: Vec<(Vec<&str>, i32, &str)> = vec![
        (vec!["optbytes", "set", "bogus=1"], 2, "unknown field"),
        (vec!["optbytes", "set", "nWRP=0x1000"], 2, "12 bits"),
        (vec!["optbytes", "set", "RDP=1"], 3, "--yes"),
        (vec!["optbytes", "set", "RDP=2"], 3, "PERMANENT"),
        (
            vec!["optbytes", "set", "RDP=2", "--yes"],
            3,
            "--i-understand-rdp2-is-permanent",
        ),
        (
            vec![
                "optbytes",
                "set",
                "RDP=0xCC",
                "--i-understand-rdp2-is-permanent",
            ],
            3,
            "PERMANENT",
        ),
        // nDBANK is never left pending: FLASH_OPTCR would name a bank mode the chip does not
        // run. Refused before the confirmation RDP 1 would need, and in a dry run too.
        (
            vec!["ndbank", "false", "--no-reset"],
            3,
            "nDBANK is loaded at once",
        ),
        (
            vec!["optbytes", "set", "nDBANK=0", "RDP=1", "--no-reset"],
            3,
            "change nDBANK without `no-reset`",
        ),
        (
            vec!["bank", "dual", "--no-reset", "--dry-run"],
            3,
            "would erase and program the wrong sectors",
        ),
    ];
    for (args, code, needle) in cases {
        board
            .run(&args)
            .code(code)
            .stderr(predicate::str::contains(needle))
            .stderr(
                predicate::str::contains("option bytes unchanged")
                    .or(predicate::str::contains("accepted")),
            );
        assert_eq!(store(&board), before, "after {args:?}");
    }
}

#[test]
fn f74x_refuses_ndbank_and_leaves_it_untouched() {
    let board = Board::new("STM32F746ZG");
    let before = store(&board);
    board
        .run(&["ndbank", "false"])
        .code(3)
        .stderr(predicate::str::contains(
            "nDBANK does not exist on STM32F74x/F75x",
        ));
    board
        .run(&["optbytes", "set", "nDBOOT=0"])
        .code(3)
        .stderr(predicate::str::contains("nDBOOT does not exist"));
    board
        .run(&["ndbank"])
        .code(3)
        .stderr(predicate::str::contains("nDBANK does not exist"));
    assert_eq!(store(&board), before);
    let v = board.json();
    assert!(v["fields"].get("nDBANK").is_none());
    assert_eq!(v["chip"]["dev_id"], 0x449);
}

#[test]
fn rdp_level_1_and_back_needs_yes_and_warns_about_the_watchdog() {
    let board = Board::new("STM32F767ZI");
    board.run(&["optbytes", "set", "IWDG_SW=0"]).success();
    board
        .run(&["optbytes", "set", "RDP=1", "--yes"])
        .success()
        .stdout(predicate::str::contains("RDP level 1"));
    let v = board.json();
    assert_eq!(v["fields"]["RDP"]["value"], 0x55);
    let before = store(&board);
    board
        .run(&["optbytes", "set", "RDP=0"])
        .code(3)
        .stdout(predicate::str::contains("MASS-ERASES"))
        .stdout(predicate::str::contains("IWDG_SW = 0"))
        .stderr(predicate::str::contains("mass-erases"))
        .stderr(predicate::str::contains("--yes"));
    assert_eq!(store(&board), before);
    board.run(&["optbytes", "set", "RDP=0", "--yes"]).success();
    assert_eq!(board.json()["fields"]["RDP"]["value"], 0xAA);
}

#[test]
fn json_shape() {
    let board = Board::new("STM32F767ZI");
    let v = board.json();
    let mut keys: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
    keys.sort();
    assert_eq!(
        keys,
        ["chip", "fields", "flash", "optcr", "optcr1", "optlock", "stored"]
    );
    assert_eq!(v["optcr"], FACTORY_OPTCR);
    assert_eq!(v["optcr1"], FACTORY_OPTCR1);
    assert_eq!(v["chip"]["dev_id"], 0x451);
    assert_eq!(v["chip"]["flash_size_kb"], 2048);
    for name in [
        "BOR_LEV",
        "WWDG_SW",
        "IWDG_SW",
        "nRST_STOP",
        "nRST_STDBY",
        "RDP",
        "nWRP",
        "nDBOOT",
        "nDBANK",
        "IWDG_STDBY",
        "IWDG_STOP",
        "BOOT_ADD0",
        "BOOT_ADD1",
    ] {
        assert!(v["fields"][name]["value"].is_u64(), "{name}");
        assert!(v["fields"][name]["meaning"].is_string(), "{name}");
    }
    assert_eq!(
        v["fields"]["nDBANK"]["meaning"],
        "single bank, 2 MB in 12 sectors"
    );
    assert_eq!(v["flash"]["bank_mode"], "single");
    assert_eq!(v["flash"]["probe_rs_algorithm"], "stm32f7x_2048");
    let s0 = &v["flash"]["sectors"][0];
    for key in ["index", "bank", "snb", "address", "size"] {
        assert!(s0[key].is_u64(), "{key}");
    }
    assert_eq!(s0["write_protected"], false);
    assert_eq!(v["stored"]["complement_ok"], true);
    assert_eq!(v["stored"]["words"][4], 0xFF7F_0080u32);
    // ndbank --json
    let out = board.run(&["ndbank", "--json"]).success();
    let n: Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(n["nDBANK"], true);
    assert_eq!(n["bank_mode"], "single");
}

#[test]
fn human_table_lists_every_field() {
    bin()
        .args(["--sim", "optbytes"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "FLASH_OPTCR  = 0xffffaafd  (OPTLOCK set)",
        ))
        .stdout(predicate::str::contains(
            "nDBANK      1       single bank, 2 MB in 12 sectors",
        ))
        .stdout(predicate::str::contains("BOR_LEV     0b11    BOR off"))
        .stdout(predicate::str::contains("RDP         0xAA    level 0"))
        .stdout(predicate::str::contains(
            "BOOT_ADD1   0x0040  0x0010_0000, system memory",
        ))
        .stdout(predicate::str::contains("nothing pending"));
}

#[test]
fn a_state_file_of_another_chip_is_refused_and_left_untouched() {
    let board = Board::new("STM32F767ZI");
    board.run(&["ndbank", "false"]).success();
    let before = std::fs::read(&board.state).unwrap();
    bin()
        .args(["--chip", "STM32F767ZG", "--sim-state"])
        .arg(&board.state)
        .args(["ndbank", "true"])
        .assert()
        .failure()
        .stderr(predicate::str::contains(
            "holds a simulated STM32F767ZI, not a STM32F767ZG",
        ))
        .stderr(predicate::str::contains("left untouched"));
    assert_eq!(std::fs::read(&board.state).unwrap(), before);
}

#[test]
fn a_corrupt_state_file_is_refused_and_left_untouched() {
    let board = Board::new("STM32F767ZI");
    std::fs::write(&board.state, b"{ not a board").unwrap();
    board
        .run(&["ndbank", "false"])
        .failure()
        .stderr(predicate::str::contains(
            "is not a stm32-opts simulator state file",
        ));
    assert_eq!(std::fs::read(&board.state).unwrap(), b"{ not a board");
}

#[test]
fn values_reload_after_a_reset_in_a_later_process() {
    let board = Board::new("STM32F767ZI");
    board
        .run(&["optbytes", "set", "nDBOOT=0", "--no-reset"])
        .success();
    let sim = Simulator::with_state_file(board.chip, &board.state).unwrap();
    assert_eq!(
        sim.option_store().unwrap().optcr & OPTCR_NDBOOT as u32,
        0,
        "programmed into the option store"
    );
    drop(sim);
    // A later run attaches to a board that has been reset (or power-cycled) since.
    let optcr = board.json()["optcr"].as_u64().unwrap();
    assert_eq!(optcr & OPTCR_NDBOOT, 0, "{optcr:#x}");
    assert_eq!(optcr & OPTCR_NDBANK, OPTCR_NDBANK, "{optcr:#x}");
}
