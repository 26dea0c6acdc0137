//! The CLI on the simulated STM32G0B1RE/G0B1RC/G0B0RE, across processes with `--sim-state`:
//! `bank` and `swap` read, switched (OBL_LAUNCH, re-attach, verify) and read back in a new
//! process; erase of logical bank 2 with the swap on erases the silicon mapped there (physical
//! bank 1), checked in the simulator's array; the refusals asserted from the simulator's option
//! store; the G0B0's missing fields; the JSON shape.

use crate::cli_support;

use cli_support::Board;
use serde_json::Value;
use stm32_opts::sim::g0::G0Sim;
use stm32_opts::sim::Simulator;

/// FLASH_OPTR.nSWAP_BANK (bit 20, active low) and DUAL_BANK (bit 21).
const NSWAP_BANK: u32 = 1 << 20;
const DUAL_BANK: u32 = 1 << 21;
/// FLASH_OPTR factory value of a G0B1/G0C1.
const FACTORY_OPTR: u32 = 0xFFFF_FEAA;
/// Half of a 512 KB array: one bank.
const BANK: usize = 256 * 1024;

impl Board {
    fn sim(&self) -> Simulator {
        Simulator::with_state_file(self.chip, &self.state).expect("state opens")
    }

    /// FLASH_OPTR as the simulator's option store holds it (not through the engine).
    fn g0_optr(&self) -> u32 {
        self.sim().g0_option_store().expect("a G0 simulator").optr
    }

    /// The physical array: bank 1 then bank 2, whatever the swap.
    fn g0_array(&self) -> Vec<u8> {
        self.sim()
            .with_g0_flash(|f| f.array().to_vec())
            .expect("a G0 simulator")
    }
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}
fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

#[test]
fn bank_and_swap_read_the_factory_mapping() {
    let board = Board::new("STM32G0B1RE");
    let out = stdout(&board.run(&["bank"]).success());
    assert!(
        out.starts_with("bank mode: dual (DUAL_BANK = 1: dual bank, 2 × 256 KB in 2 × 128 pages of 2 KB, bank 2 at 0x0804_0000); physical bank 1 is mapped at 0x0800_0000"),
        "{out}"
    );
    let out = stdout(&board.run(&["swap"]).success());
    assert_eq!(
        out.trim(),
        "swap: off (nSWAP_BANK = 1): physical bank 1 at 0x0800_0000, physical bank 2 at 0x0804_0000"
    );
    let a = board.run(&["swap", "--json"]).success();
    let v: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["nSWAP_BANK"], 1);
    assert_eq!(v["swap"], "off");
    assert_eq!(v["physical_bank_at_0x08000000"], 1);
}

#[test]
fn swap_on_then_off_loads_and_persists() {
    let board = Board::new("STM32G0B1RE");
    let a = board.run(&["swap", "on"]).success();
    let (out, err) = (stdout(&a), stderr(&a));
    assert!(out.contains("nSWAP_BANK       1 → 0"), "{out}");
    assert!(
        out.contains("bank mode: dual, swap on: physical bank 2 at 0x0800_0000, physical bank 1 at 0x0804_0000"),
        "{out}"
    );
    assert!(out.contains("loaded by OBL_LAUNCH"), "{out}");
    assert!(
        err.contains("FLASH_KEYR") && err.contains("OBL_LAUNCH"),
        "{err}"
    );
    assert!(err.contains("re-attaching"), "{err}");
    assert!(err.contains("DBG_APB_FZ1"), "{err}");
    assert_eq!(board.g0_optr(), FACTORY_OPTR & !NSWAP_BANK);
    // A new process reads the loaded swap.
    let v = board.json();
    assert_eq!(v["fields"]["nSWAP_BANK"]["value"], 0);
    assert_eq!(v["flash"]["swap"], "on");
    assert_eq!(v["flash"]["boot_bank"], 2);
    assert_eq!(v["flash"]["banks"][0]["physical"], 2);
    assert_eq!(v["flash"]["banks"][1]["physical"], 1);
    assert_eq!(
        (v["optlock"].clone(), v["lock"].clone()),
        (true.into(), true.into())
    );
    let out = stdout(&board.run(&["swap"]).success());
    assert!(
        out.starts_with("swap: on (nSWAP_BANK = 0): physical bank 2 at 0x0800_0000"),
        "{out}"
    );
    // Already on: nothing written.
    let out = stdout(&board.run(&["swap", "on"]).success());
    assert!(out.contains("No change: nSWAP_BANK already set"), "{out}");
    board.run(&["swap", "off"]).success();
    assert_eq!(board.g0_optr(), FACTORY_OPTR);
}

#[test]
fn erase_of_logical_bank_2_with_the_swap_on_erases_physical_bank_1() {
    let board = Board::new("STM32G0B1RE");
    board.run(&["swap", "on"]).success();
    // Mark both physical banks.
    board
        .sim()
        .with_g0_flash(|f| {
            let mut bytes = vec![0x11u8; BANK];
            bytes.extend(vec![0x22u8; BANK]);
            f.restore_array(&bytes);
        })
        .unwrap();
    let a = board.run(&["erase", "bank2", "--yes"]).success();
    let err = stderr(&a);
    assert!(
        err.contains(
            "erased logical bank 2 (256 KB at 0x0804_0000) = physical bank 1 (mass erase MER1)"
        ),
        "{err}"
    );
    let array = board.g0_array();
    assert!(
        array[..BANK].iter().all(|&b| b == 0xFF),
        "physical bank 1 erased"
    );
    assert!(
        array[BANK..].iter().all(|&b| b == 0x22),
        "physical bank 2 (at 0x0800_0000) kept"
    );
    // One page of logical bank 1: physical bank 2 page 3, BKER = 1.
    let a = board.run(&["erase", "page", "3"]).success();
    assert!(
        stderr(&a).contains(
            "erased page 3 (2 KB at 0x0800_1800 = physical bank 2 page 3, BKER = 1, PNB 259)"
        ),
        "{}",
        stderr(&a)
    );
    let array = board.g0_array();
    assert!(array[BANK + 3 * 2048..BANK + 4 * 2048]
        .iter()
        .all(|&b| b == 0xFF));
    assert!(array[BANK + 4 * 2048..].iter().all(|&b| b == 0x22));
    assert_eq!(array[BANK + 3 * 2048 - 1], 0x22);
}

#[test]
fn single_bank_and_back() {
    let board = Board::new("STM32G0B1RE");
    let out = stdout(&board.run(&["bank", "single"]).success());
    assert!(out.contains("DUAL_BANK        1 → 0"), "{out}");
    assert!(out.contains("invalid afterwards"), "{out}");
    assert_eq!(board.g0_optr() & DUAL_BANK, 0);
    let v = board.json();
    assert_eq!(v["flash"]["bank_mode"], "single");
    assert_eq!(v["flash"]["bank2_address"], Value::Null);
    // No swap in single-bank mode, no bank 2 to erase.
    let a = board.run(&["swap", "on"]).code(3);
    assert!(stderr(&a).contains("nothing to swap"), "{}", stderr(&a));
    let a = board.run(&["erase", "bank2", "--yes"]).code(3);
    assert!(stderr(&a).contains("DUAL_BANK = 0"), "{}", stderr(&a));
    board.run(&["bank", "dual"]).success();
    assert_eq!(board.g0_optr(), FACTORY_OPTR);
}

#[test]
fn rejections_leave_the_option_store_untouched() {
    let board = Board::new("STM32G0B1RE");
    let cases: [(&[&str], i32, &str); 9] = [
        (&["erase", "sector", "1"], 3, "use `erase page N`"),
        (&["optbytes", "set", "RDP=2"], 3, "PERMANENT"),
        (
            &["optbytes", "set", "RDP=2", "--yes"],
            3,
            "--i-understand-rdp2-is-permanent",
        ),
        (&["optbytes", "set", "RDP=1"], 3, "--yes"),
        (&["optbytes", "set", "DBANK=0"], 2, "unknown field `DBANK`"),
        (&["optbytes", "set", "BORF_LEV=4"], 2, "BORF_LEV"),
        (
            &["ndbank", "false"],
            3,
            "use `bank single|dual`, `swap on|off`",
        ),
        (&["swap", "sideways"], 2, "sideways"),
        (&["erase", "page", "256"], 3, "valid pages"),
    ];
    for (args, code, says) in cases {
        let a = board.run(args).code(code);
        let err = stderr(&a);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(board.g0_optr(), FACTORY_OPTR, "{args:?} changed the store");
    }
    // A bank-mode or swap change is loaded at once or not made: left pending, FLASH_OPTR
    // would name a mapping the chip does not run. Refused before the dry run and before the
    // confirmation RDP 1 would need.
    for args in [
        &["swap", "on", "--no-reset"][..],
        &["bank", "single", "--no-reset"],
        &["swap", "on", "--no-reset", "--dry-run"],
        &["optbytes", "set", "nSWAP_BANK=0", "RDP=1", "--no-reset"],
    ] {
        let a = board.run(args).code(3);
        let err = stderr(&a);
        assert!(err.contains("wrong physical bank"), "{args:?}: {err}");
        assert!(err.contains("without `no-reset`"), "{args:?}: {err}");
        assert!(!err.contains("--yes"), "{args:?}: asked to confirm: {err}");
        assert!(!stdout(&a).contains("Dry run"), "{args:?}: {}", stdout(&a));
        assert_eq!(board.g0_optr(), FACTORY_OPTR, "{args:?} changed the store");
        let v = board.json();
        assert_eq!(
            (v["optlock"].clone(), v["lock"].clone()),
            (true.into(), true.into())
        );
    }
    let a = board.run(&["swap", "on", "--dry-run"]).success();
    assert!(stdout(&a).contains("Dry run: nothing was written."));
    assert_eq!(board.g0_optr(), FACTORY_OPTR);
    // Other fields may stay pending.
    let a = board
        .run(&["optbytes", "set", "IWDG_STOP=0", "--no-reset"])
        .success();
    assert!(
        stdout(&a).contains("pending until the next option load"),
        "{}",
        stdout(&a)
    );
    assert_eq!(board.g0_optr(), FACTORY_OPTR & !(1 << 17));
}

#[test]
fn the_g0b0_refuses_the_fields_it_lacks_and_swaps() {
    let board = Board::new("STM32G0B0RE");
    let before = board.g0_optr();
    for field in ["NRST_MODE=2", "BOR_EN=1", "IRHEN=0", "nRST_SHDW=0"] {
        let a = board.run(&["optbytes", "set", field]).code(3);
        assert!(
            stderr(&a).contains("does not exist on STM32G0B0"),
            "{field}: {}",
            stderr(&a)
        );
        assert_eq!(board.g0_optr(), before);
    }
    let t = stdout(&board.run(&["optbytes"]).success());
    assert!(!t.contains("NRST_MODE") && !t.contains("PCROP"), "{t}");
    board.run(&["swap", "on"]).success();
    assert_eq!(board.g0_optr() & NSWAP_BANK, 0);
}

#[test]
fn a_128_kb_part_has_one_bank_and_a_256_kb_part_splits_at_0x0802_0000() {
    let rb = Board::new("STM32G0B1RB");
    let out = stdout(&rb.run(&["bank"]).success());
    assert!(
        out.contains("single bank, 128 KB in 64 pages of 2 KB"),
        "{out}"
    );
    for mode in ["dual", "single"] {
        let a = rb.run(&["bank", mode]).code(3);
        assert!(stderr(&a).contains("single bank only"), "{}", stderr(&a));
    }
    let a = rb.run(&["swap", "on"]).code(3);
    assert!(stderr(&a).contains("nothing to swap"), "{}", stderr(&a));
    let rc = Board::new("STM32G0B1RC");
    let v = rc.json();
    assert_eq!(v["flash"]["bank2_address"], 0x0802_0000);
    assert_eq!(v["chip"]["flash_size_kb"], 256);
}

#[test]
fn rdp_level_1_and_back_with_yes() {
    let board = Board::new("STM32G0B1RE");
    board.run(&["optbytes", "set", "RDP=1", "--yes"]).success();
    assert_eq!(board.g0_optr() & 0xFF, 0xBB);
    let a = board.run(&["optbytes", "set", "RDP=0"]).code(3);
    assert!(stderr(&a).contains("mass-erases"), "{}", stderr(&a));
    let a = board.run(&["optbytes", "set", "RDP=0", "--yes"]).success();
    assert!(stdout(&a).contains("MASS-ERASES"), "{}", stdout(&a));
    assert_eq!(board.g0_optr() & 0xFF, 0xAA);
}

#[test]
fn json_shape() {
    let board = Board::new("STM32G0B1RE");
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
    assert_eq!(v["chip"]["dev_id"], 0x467);
    assert_eq!(v["optr"], FACTORY_OPTR);
    assert_eq!(v["registers"]["FLASH_OPTR"], FACTORY_OPTR);
    assert_eq!(v["registers"].as_object().unwrap().len(), 14);
    assert_eq!(v["fields"].as_object().unwrap().len(), 19);
    assert_eq!(v["stored"]["complement_ok"], true);
    assert_eq!(v["stored"]["pending"], Value::Null);
    assert_eq!(v["flash"]["page_size"], 2048);
}
