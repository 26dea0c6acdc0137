//! The CLI on the simulated STM32H743ZI, across processes with `--sim-state`: the swap read,
//! set with and without the reset (the swap is in force only after a reset: no OBL_LAUNCH on the
//! H7), read back in a new process; every OPTSR field by name; the refusals asserted from the
//! simulator's option store; erase of the logical bank 2 with the swap on erasing the physical
//! bank seen there, and nothing else.

use crate::cli_support::Board;
use serde_json::Value;
use stm32_opts::sim::h7::{H7Model, H7Sim};
use stm32_opts::sim::Simulator;

/// FLASH_OPTSR.SWAP_BANK_OPT (CMSIS-H7: bit 31).
const SWAP_BANK_OPT: u32 = 1 << 31;
/// The factory OPTSR of the simulated store.
const FACTORY_OPTSR: u32 = 0x0006_AAD0;

impl Board {
    /// FLASH_OPTSR as the simulator's option store holds it (not through the engine).
    fn stored_optsr(&self) -> u32 {
        self.h7(|sim| sim.h7_option_store().unwrap().optsr)
    }

    fn h7<R>(&self, f: impl FnOnce(&Simulator) -> R) -> R {
        let sim = Simulator::with_state_file(self.chip, &self.state).expect("state opens");
        f(&sim)
    }
}

fn stdout(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stdout).into_owned()
}

fn stderr(a: &assert_cmd::assert::Assert) -> String {
    String::from_utf8_lossy(&a.get_output().stderr).into_owned()
}

#[test]
fn swap_reads_the_factory_mapping_in_both_terms() {
    let board = Board::new("STM32H743ZI");
    let a = board.run(&["swap"]).success();
    let out = stdout(&a);
    assert!(
        out.starts_with("bank swap: off (logical 0x0800_0000 = physical bank 1, logical 0x0810_0000 = physical bank 2; 2 × 1 MB in 8 sectors of 128 KB)"),
        "{out}"
    );
    let a = board.run(&["swap", "--json"]).success();
    let v: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["SWAP_BANK"], false);
    assert_eq!(v["bank_at_0x08000000"], 1);
    let v = board.json();
    assert_eq!(v["fields"]["SWAP_BANK_OPT"]["value"], 0);
    assert_eq!(v["fields"]["RDP"]["value"], 0xAA);
    assert!(
        v["fields"].get("BCM4").is_none(),
        "no dual-core fields: {v}"
    );
}

#[test]
fn swap_on_without_reset_is_pending_then_in_force_after_the_reset() {
    let board = Board::new("STM32H743ZI");
    let a = board.run(&["swap", "on", "--no-reset"]).success();
    let (out, err) = (stdout(&a), stderr(&a));
    assert!(out.contains("SWAP_BANK_OPT  0 → 1"), "{out}");
    assert!(out.contains("no OBL_LAUNCH"), "{out}");
    assert!(
        out.contains("bank swap in force: off (logical 0x0800_0000 = physical bank 1")
            && out.contains("SWAP_BANK_OPT = 1 takes effect at the next reset"),
        "{out}"
    );
    assert!(out.contains("reset the chip to apply it"), "{out}");
    for step in [
        "watchdog freeze set while the core is halted (DBGMCU_APB4FZ1.DBG_IWDG1)",
        "watchdog freeze set while the core is halted (DBGMCU_APB3FZ1.DBG_WWDG1)",
        "option registers unlocked (FLASH_OPTKEYR)",
        "writing FLASH_OPTSR_PRG = 0x8006aad0",
        "OPTSTART",
        "option registers locked again (OPTLOCK)",
    ] {
        assert!(err.contains(step), "{step}: {err}");
    }
    assert!(!err.contains("SYSRESETREQ"), "not reset: {err}");
    assert_eq!(board.stored_optsr(), FACTORY_OPTSR | SWAP_BANK_OPT);
    // A new process is a power-on: the swap is in force.
    let out = stdout(&board.run(&["swap"]).success());
    assert!(
        out.starts_with("bank swap: on (logical 0x0800_0000 = physical bank 2"),
        "{out}"
    );
    // And back, with the reset the tool offers: in force before the process ends.
    let a = board.run(&["swap", "off"]).success();
    let (out, err) = (stdout(&a), stderr(&a));
    assert!(
        err.contains("resetting the chip so the bank swap takes effect"),
        "{err}"
    );
    assert!(
        out.contains("bank swap in force: off (logical 0x0800_0000 = physical bank 1"),
        "{out}"
    );
    assert!(
        out.contains("the chip reset and the values in force verified"),
        "{out}"
    );
    assert_eq!(board.stored_optsr(), FACTORY_OPTSR);
    let v = board.json();
    assert_eq!(v["swap"]["SWAP_BANK"], false);
    assert_eq!(v["optcr"].as_u64().unwrap() & 1, 1, "OPTLOCK set");
}

#[test]
fn fields_by_name_and_refusals_change_nothing() {
    let board = Board::new("STM32H743ZI");
    let a = board
        .run(&["optbytes", "set", "BOR_LEV=2", "IWDG1_SW=0", "--json"])
        .success();
    let v: Value = serde_json::from_slice(&a.get_output().stdout).unwrap();
    assert_eq!(v["outcome"]["written"], true);
    assert_eq!(board.stored_optsr(), (FACTORY_OPTSR & !0x1C) | 0x8);
    let before = board.stored_optsr();
    for (args, code, says) in [
        (&["optbytes", "set", "BCM4=1"][..], 3, "dual-core"),
        (&["optbytes", "set", "OPT_BUSY=1"][..], 3, "status bit"),
        (&["optbytes", "set", "nSWAP_BANK=1"][..], 2, "SWAP_BANK_OPT"),
        (&["optbytes", "set", "RDP=1"][..], 3, "--yes"),
        (&["optbytes", "set", "RDP=2", "--yes"][..], 3, "PERMANENT"),
        (&["swap", "maybe"][..], 2, "not a swap setting"),
        (&["ndbank"][..], 3, "use `swap on|off`"),
    ] {
        let a = board.run(args).code(code);
        let err = stderr(&a);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    assert_eq!(board.stored_optsr(), before, "nothing changed");
    // A dry run writes nothing either.
    board
        .run(&["optbytes", "set", "SWAP_BANK_OPT=1", "--dry-run"])
        .success();
    assert_eq!(board.stored_optsr(), before);
}

/// Fills both physical banks with a pattern of their own, straight into the model.
fn mark_banks(board: &Board) {
    board.h7(|sim| {
        sim.with_model(|m: &mut H7Model| {
            let mut array = m.flash.array().to_vec();
            let half = array.len() / 2;
            array[..half].fill(0x11);
            array[half..].fill(0x22);
            m.flash.restore_array(&array);
        })
        .unwrap();
        sim.save().unwrap();
    });
}

/// The first byte of each physical bank, and whether each is erased throughout.
fn banks(board: &Board) -> [(u8, bool); 2] {
    board.h7(|sim| {
        sim.with_model(|m: &mut H7Model| {
            let array = m.flash.array();
            let half = array.len() / 2;
            let bank = |b: &[u8]| (b[0], b.iter().all(|&x| x == 0xFF));
            [bank(&array[..half]), bank(&array[half..])]
        })
        .unwrap()
    })
}

#[test]
fn erase_of_logical_bank_2_with_the_swap_on_erases_what_is_seen_there() {
    let board = Board::new("STM32H743ZI");
    board.run(&["swap", "on"]).success();
    mark_banks(&board);
    let a = board.run(&["erase", "bank2", "--yes"]).success();
    let (out, err) = (stdout(&a), stderr(&a));
    let said = format!("{out}{err}");
    assert!(
        said.contains(
            "logical bank 2 (1024 KB at logical 0x0810_0000 = physical bank 1, BER in FLASH_CR1)"
        ),
        "{said}"
    );
    assert_eq!(
        banks(&board),
        [(0xFF, true), (0x22, false)],
        "physical bank 1 (seen at 0x0810_0000) erased, physical bank 2 kept"
    );
    // A sector by its logical number: sector 0 is physical bank 2's SNB 0 with the swap on.
    mark_banks(&board);
    let a = board.run(&["erase", "sector", "0"]).success();
    let said = format!("{}{}", stdout(&a), stderr(&a));
    assert!(
        said.contains("sector 0 (logical 0x0800_0000 = physical bank 2, FLASH_CR2 SNB 0)"),
        "{said}"
    );
    let [one, two] = banks(&board);
    assert_eq!((one, two.0), ((0x11, false), 0xFF));
    board.run(&["erase", "page", "3"]).code(3);
    board.run(&["erase", "sector", "16"]).code(3);
}
