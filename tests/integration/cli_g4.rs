//! The CLI on the simulated STM32G474RE/G474RC, across processes with `--sim-state`: the bank
//! mode read, switched both ways (OBL_LAUNCH, re-attach, verify) and read back in a new process;
//! the refusals asserted from the simulator's option store; the JSON shape.

use crate::cli_support;

use cli_support::{bin, Board, RUN_TIMEOUT};
use serde_json::Value;
use stm32_opts::sim::g4::G4Sim;
use stm32_opts::sim::Simulator;

/// FLASH_OPTR.DBANK (RM0440; bit 22, active high).
const DBANK: u32 = 1 << 22;
/// FLASH_OPTR factory value (dual bank).
const FACTORY_OPTR: u32 = 0xFFEF_F8AA;
impl Board {
    /// FLASH_OPTR as the simulator's option store holds it (not through the engine).
    fn stored_optr(&self) -> u32 {
        let sim = Simulator::with_state_file(self.chip, &self.state).expect("state opens");
        sim.g4_option_store().expect("a G4 simulator").optr
    }
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}
fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

#[test]
fn bank_reads_the_factory_dual_bank_mode() {
    let board = Board::new("STM32G474RE");
    let a = board.run(&["bank"]).success();
    let out = stdout(&a);
    assert!(
        out.starts_with("bank mode: dual (DBANK = 1: dual bank, 2 × 256 KB in 2 × 128 pages of 2 KB, bank 2 at 0x0804_0000)"),
        "{out}"
    );
    let a = board.run(&["bank", "--json"]).success();
    let v: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["DBANK"], true);
    assert_eq!(v["bank_mode"], "dual");
}

#[test]
fn bank_single_then_dual_switches_loads_and_persists() {
    let board = Board::new("STM32G474RE");
    let a = board.run(&["bank", "single"]).success();
    let (out, err) = (stdout(&a), stderr(&a));
    assert!(out.contains("DBANK        1 → 0"), "{out}");
    assert!(out.contains("invalid afterwards"), "{out}");
    assert!(out.contains("bank mode: single"), "{out}");
    assert!(out.contains("loaded by OBL_LAUNCH"), "{out}");
    assert!(err.contains("FLASH_KEYR"), "{err}");
    assert!(err.contains("OBL_LAUNCH"), "{err}");
    assert!(err.contains("re-attaching"), "{err}");
    assert!(err.contains("verified after the option load"), "{err}");
    assert_eq!(
        board.stored_optr() & DBANK,
        0,
        "the store holds single bank"
    );
    // A new process reads the loaded single-bank mode with 4 KB pages.
    let v = board.json();
    assert_eq!(v["fields"]["DBANK"]["value"], 0);
    assert_eq!(v["flash"]["bank_mode"], "single");
    assert_eq!(v["flash"]["page_size"], 4096);
    assert_eq!(v["flash"]["pages"].as_array().unwrap().len(), 128);
    assert_eq!(v["flash"]["probe_rs_algorithm"], Value::Null);
    assert_eq!(v["optlock"], true);
    assert_eq!(v["lock"], true);
    // And back.
    let a = board.run(&["bank", "dual"]).success();
    assert!(stdout(&a).contains("bank mode: dual"), "{}", stdout(&a));
    assert_eq!(board.stored_optr(), FACTORY_OPTR);
    let v = board.json();
    assert_eq!(v["flash"]["bank_mode"], "dual");
    assert_eq!(v["flash"]["probe_rs_algorithm"], "stm32g47x-8x_512");
}

#[test]
fn a_256_kb_part_has_the_gap_and_no_algorithm_in_either_mode() {
    let board = Board::new("STM32G474RC");
    let t = stdout(&board.run(&["optbytes"]).success());
    assert!(t.contains("no flash at 0x0802_0000–0x0803_FFFF"), "{t}");
    assert!(t.contains("no probe-rs algorithm fits"), "{t}");
    board.run(&["bank", "single"]).success();
    let v = board.json();
    assert_eq!(v["flash"]["probe_rs_algorithm"], Value::Null);
    assert_eq!(v["flash"]["bank2_address"], Value::Null);
}

#[test]
fn no_reset_leaves_the_change_pending_and_locked() {
    let board = Board::new("STM32G474RE");
    let a = board
        .run(&["optbytes", "set", "BOR_LEV=2", "--no-reset"])
        .success();
    assert!(
        stdout(&a).contains("pending until the next option load"),
        "{}",
        stdout(&a)
    );
    assert_eq!(
        (board.stored_optr() >> 8) & 7,
        2,
        "BOR_LEV committed to the store"
    );
    assert_eq!(board.stored_optr() & DBANK, DBANK, "DBANK untouched");
    let v = board.json();
    assert_eq!(v["optlock"], true);
    assert_eq!(v["lock"], true);
}

#[test]
fn rejections_leave_the_option_store_untouched() {
    let board = Board::new("STM32G474RE");
    let cases: [(&[&str], i32, &str); 11] = [
        // DBANK is never left pending: FLASH_OPTR would name a bank mode the chip does not run.
        // Refused before the confirmation RDP 1 would need, and in a dry run too.
        (
            &["bank", "single", "--no-reset"],
            3,
            "DBANK is loaded at once (OBL_LAUNCH)",
        ),
        (
            &["optbytes", "set", "DBANK=0", "RDP=1", "--no-reset"],
            3,
            "change DBANK without `no-reset`",
        ),
        (
            &["bank", "single", "--dry-run", "--no-reset"],
            3,
            "would erase and program the wrong pages",
        ),
        (&["erase", "sector", "1"], 3, "use `erase page N`"),
        (&["optbytes", "set", "RDP=2"], 3, "PERMANENT"),
        (
            &["optbytes", "set", "RDP=2", "--yes"],
            3,
            "--i-understand-rdp2-is-permanent",
        ),
        (&["optbytes", "set", "RDP=1"], 3, "--yes"),
        (
            &["optbytes", "set", "nDBANK=0"],
            2,
            "unknown field `nDBANK`",
        ),
        (&["optbytes", "set", "BOR_LEV=7"], 2, "BOR_LEV"),
        (&["ndbank", "false"], 3, "use `bank single|dual`"),
        (&["bank", "sideways"], 2, "sideways"),
    ];
    for (args, code, says) in cases {
        let a = board.run(args).code(code);
        let err = stderr(&a);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(
            board.stored_optr(),
            FACTORY_OPTR,
            "{args:?} changed the store"
        );
    }
    // A dry run of RDP 2 shows the plan and writes nothing.
    let a = board
        .run(&["optbytes", "set", "RDP=2", "--dry-run"])
        .success();
    assert!(stdout(&a).contains("Dry run: nothing was written."));
    assert_eq!(board.stored_optr(), FACTORY_OPTR);
}

#[test]
fn an_impossible_erase_is_refused_as_such_before_any_confirmation() {
    let board = Board::new("STM32G474RE");
    board.run(&["bank", "single"]).success();
    for args in [&["erase", "bank2"][..], &["erase", "bank2", "--yes"]] {
        let a = board.run(args).code(3);
        let err = stderr(&a);
        assert!(err.contains("single-bank mode"), "{args:?}: {err}");
        assert!(!err.contains("add --yes"), "{args:?}: {err}");
    }
    let a = board.run(&["erase", "page", "999"]).code(3);
    assert!(stderr(&a).contains("valid pages"), "{}", stderr(&a));
}

#[test]
fn rdp_level_1_and_back_with_yes() {
    let board = Board::new("STM32G474RE");
    board.run(&["optbytes", "set", "RDP=1", "--yes"]).success();
    assert_eq!(board.stored_optr() & 0xFF, 0xBB);
    let a = board.run(&["optbytes", "set", "RDP=0"]).code(3);
    assert!(stderr(&a).contains("mass-erases"), "{}", stderr(&a));
    assert_eq!(board.stored_optr() & 0xFF, 0xBB);
    let a = board.run(&["optbytes", "set", "RDP=0", "--yes"]).success();
    assert!(stdout(&a).contains("MASS-ERASES"), "{}", stdout(&a));
    assert_eq!(board.stored_optr() & 0xFF, 0xAA);
}

#[test]
fn json_shape_and_table() {
    let board = Board::new("STM32G474RE");
    let v = board.json();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "areas",
            "chip",
            "fields",
            "flash",
            "lock",
            "optlock",
            "optr",
            "registers",
            "stored"
        ]
    );
    assert_eq!(v["chip"]["dev_id"], 0x469);
    assert_eq!(v["chip"]["flash_size_kb"], 512);
    assert_eq!(v["optr"], FACTORY_OPTR);
    assert_eq!(v["registers"]["FLASH_OPTR"], FACTORY_OPTR);
    assert_eq!(v["fields"].as_object().unwrap().len(), 18);
    assert_eq!(v["stored"]["complement_ok"], true);
    assert_eq!(v["stored"]["pending"], Value::Null);
    let t = stdout(&board.run(&["optbytes"]).success());
    for name in [
        "RDP",
        "BOR_LEV",
        "nRST_SHDW",
        "DBANK",
        "nSWBOOT0",
        "NRST_MODE",
        "IRHEN",
        "FLASH_WRP2BR",
    ] {
        assert!(t.contains(name), "{name}\n{t}");
    }
}

#[test]
fn a_fresh_simulated_chip_is_the_same_chip_after_the_option_load() {
    // Without a state file the CLI must attach again to the chip it changed, not to a new
    // factory one: the verify after OBL_LAUNCH would fail otherwise.
    let a = bin()
        .timeout(RUN_TIMEOUT)
        .args(["--sim", "--chip", "STM32G474RE", "bank", "single"])
        .assert()
        .success();
    assert!(
        stdout(&a).contains("re-attached and verified"),
        "{}",
        stdout(&a)
    );
}
