//! The option-byte engine against an injected fault, through probe-rs on the simulated chip:
//! a stuck BSY, error flags raised by OPTSTRT, and a transfer FAULT at every access of the
//! sequence in turn. Whatever fails, the engine ends with FLASH_OPTCR.OPTLOCK set, the option
//! store either untouched or fully programmed, and an error that names what happened.

use std::time::{Duration, Instant};

use stm32_opts::optbytes::{self, ApplyOptions, LockState, OptionsState};
use stm32_opts::sim::chip::CoreState;
use stm32_opts::sim::f7::F7Sim;
use stm32_opts::sim::f7::{F7Model, FlashFaults, OptionStore};
use stm32_opts::sim::Simulator;

/// FLASH_OPTCR, as an offset in the FLASH register block.
const FLASH_OPTCR_OFFSET: u32 = 0x14;
const FLASH_OPTCR_OPTLOCK: u32 = 1 << 0;
const FLASH_OPTCR_NDBANK: u32 = 1 << 29;
const FLASH_SR_PGPERR: u32 = 1 << 6;

/// FLASH_OPTCR as the chip holds it now (including OPTLOCK), read from the model directly.
fn live_optcr(sim: &Simulator) -> u32 {
    sim.with_model(|m: &mut F7Model| m.flash.read_reg(FLASH_OPTCR_OFFSET, Instant::now()))
        .unwrap()
}

fn store(sim: &Simulator) -> OptionStore {
    sim.option_store().unwrap()
}

/// Plans `nDBANK=0` on a fresh session and runs it with `opts`.
fn switch_to_dual_bank(
    sim: &Simulator,
    opts: &ApplyOptions,
    before_apply: impl FnOnce(&Simulator),
) -> (Result<optbytes::f7::Outcome, optbytes::Error>, Vec<String>) {
    let mut session = sim.attach().expect("attach");
    let changes = optbytes::f7::parse_changes(["nDBANK=0"]).unwrap();
    let prepared = optbytes::f7::prepare(&mut session, &changes).expect("plan");
    before_apply(sim);
    let mut lines = Vec::new();
    let result = optbytes::f7::apply(&mut session, &prepared.plan, opts, &mut |l| {
        lines.push(l.to_string())
    });
    (result, lines)
}

/// What erase, `load` and the GDB server learn from the chip now (FLASH_OPTCR and the stored
/// option bytes, read through probe-rs without a reset) either names the bank mode the chip
/// runs, or refuses because FLASH_OPTCR.nDBANK names one that is not loaded.
fn layout_is_the_loaded_one_or_refused(sim: &Simulator, when: &str) {
    let loaded_dual = sim
        .with_model(|m: &mut F7Model| m.flash.dual_bank())
        .unwrap();
    let mut session = sim.attach().expect("attach");
    let mut core = session.core(0).unwrap();
    let live = optbytes::f7::live::read_live_flash(&mut core, "STM32F767ZI").unwrap();
    if live.unsettled().is_some() {
        return;
    }
    let dual = live.layout.unwrap().bank_mode == stm32_opts::chip::BankMode::Dual;
    assert_eq!(
        dual,
        loaded_dual,
        "{when}: the tool reads {} bank (FLASH_OPTCR {:#010x}) while the chip runs the other",
        if dual { "dual" } else { "single" },
        live.optcr
    );
}

fn core_state(sim: &Simulator) -> CoreState {
    sim.with(|chip| chip.core_state()).unwrap()
}

/// A fast BSY bound for the runs that are meant to time out.
fn short_busy_timeout() -> ApplyOptions {
    ApplyOptions {
        busy_timeout: Some(Duration::from_millis(300)),
        ..ApplyOptions::default()
    }
}

#[test]
fn stuck_bsy_times_out_with_optlock_set_and_the_store_unknown() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let factory = store(&sim);
    let (result, lines) = switch_to_dual_bank(&sim, &short_busy_timeout(), |sim| {
        sim.inject_flash_faults(FlashFaults {
            stuck_bsy: true,
            ..Default::default()
        })
        .unwrap()
    });
    let err = result.expect_err("a stuck BSY must not report success");
    let message = err.to_string();
    assert!(message.contains("FLASH_SR.BSY still set"), "{message}");
    assert!(message.contains("OPTLOCK set"), "{message}");
    assert!(message.contains("not reset"), "{message}");
    let state = err.left_state().unwrap();
    assert_eq!(state.lock, LockState::Locked);
    assert_eq!(state.options, OptionsState::Unknown);
    assert_ne!(live_optcr(&sim) & FLASH_OPTCR_OPTLOCK, 0, "OPTLOCK set");
    assert_eq!(store(&sim), factory, "a stuck BSY commits nothing");
    // Never reset while BSY is set, and leave the core halted for the user to look at.
    assert_eq!(core_state(&sim), CoreState::Halted);
    assert!(lines.iter().any(|l| l.contains("OPTSTRT")), "{lines:?}");
}

#[test]
fn optstrt_error_flags_are_reported_by_name_with_optlock_set() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let factory = store(&sim);
    let (result, _) = switch_to_dual_bank(&sim, &ApplyOptions::default(), |sim| {
        sim.inject_flash_faults(FlashFaults {
            optstrt_error_flags: FLASH_SR_PGPERR,
            ..Default::default()
        })
        .unwrap()
    });
    let err = result.expect_err("error flags must not report success");
    let message = err.to_string();
    assert!(message.contains("PGPERR"), "{message}");
    assert!(message.contains("option bytes unchanged"), "{message}");
    assert!(message.contains("OPTLOCK set"), "{message}");
    assert_ne!(live_optcr(&sim) & FLASH_OPTCR_OPTLOCK, 0, "OPTLOCK set");
    assert_eq!(store(&sim), factory);
    // FLASH_OPTCR keeps the staged nDBANK = 0 while the chip runs single bank: erase and `load`
    // must see that and refuse, not take the staged layout.
    assert_eq!(
        live_optcr(&sim) & FLASH_OPTCR_NDBANK,
        0,
        "staged nDBANK kept"
    );
    layout_is_the_loaded_one_or_refused(&sim, "after the OPTSTRT error");
    assert_ne!(
        core_state(&sim),
        CoreState::Halted,
        "nothing was committed, so the core is resumed"
    );
    // The flags do not poison the next attempt: it clears them and succeeds.
    sim.inject_flash_faults(FlashFaults::default()).unwrap();
    let (result, _) = switch_to_dual_bank(&sim, &ApplyOptions::default(), |_| {});
    result.expect("the next attempt clears the stale flags and succeeds");
    assert_eq!(store(&sim).optcr & FLASH_OPTCR_NDBANK, 0);
}

/// A FAULT at every DAP transfer of the sequence in turn. Whatever the outcome, OPTLOCK ends set,
/// the error's account of the option store matches the store, and the chip is not locked until
/// reset: a clean retry succeeds.
#[test]
fn a_transfer_fault_anywhere_in_the_sequence_leaves_optlock_set() {
    let reference = Simulator::new("STM32F767ZI").unwrap();
    let factory = store(&reference);
    let (result, _) = switch_to_dual_bank(&reference, &ApplyOptions::default(), |sim| {
        sim.inject_transfer_fault(u64::MAX).unwrap()
    });
    result.unwrap();
    let programmed = store(&reference);
    assert_ne!(programmed, factory);
    let transfers = reference.with(|chip| chip.faults.transfers).unwrap();
    assert!(transfers > 20, "the sequence takes {transfers} transfers");

    let mut failures = 0;
    let mut states_reported = Vec::new();
    for n in 1..=transfers {
        let sim = Simulator::new("STM32F767ZI").unwrap();
        let (result, _) = switch_to_dual_bank(&sim, &ApplyOptions::default(), |sim| {
            sim.inject_transfer_fault(n).unwrap()
        });
        let optcr = live_optcr(&sim);
        assert_ne!(
            optcr & FLASH_OPTCR_OPTLOCK,
            0,
            "FAULT at transfer {n}: OPTLOCK clear"
        );
        let now = store(&sim);
        assert!(
            now == factory || now == programmed,
            "FAULT at transfer {n}: the store is neither old nor new: {now:?}"
        );
        let Err(err) = result else {
            // A fault the engine recovered from (a retried read) must still have done the job.
            assert_eq!(
                now, programmed,
                "FAULT at transfer {n}: success reported, store old"
            );
            layout_is_the_loaded_one_or_refused(&sim, &format!("FAULT at transfer {n}"));
            continue;
        };
        failures += 1;
        let message = err.to_string();
        let state = err.left_state().unwrap();
        if !states_reported.contains(&state.options) {
            states_reported.push(state.options);
        }
        assert!(
            message.contains("probe error while") && message.contains("FAULT response"),
            "FAULT at transfer {n}: the message names the step and the fault: {message}"
        );
        assert_ne!(
            state.lock,
            LockState::NotRelocked,
            "FAULT at transfer {n}: {message}"
        );
        match state.options {
            OptionsState::Unchanged => {
                assert_eq!(
                    now, factory,
                    "FAULT at transfer {n}: said unchanged: {message}"
                );
                assert_ne!(
                    core_state(&sim),
                    CoreState::Halted,
                    "FAULT at transfer {n}: nothing committed, the core must be resumed: {message}"
                );
            }
            OptionsState::Programmed => {
                assert_eq!(
                    now, programmed,
                    "FAULT at transfer {n}: said programmed: {message}"
                )
            }
            OptionsState::Unknown => {}
        }
        layout_is_the_loaded_one_or_refused(&sim, &format!("FAULT at transfer {n}: {message}"));
        // The board is still usable: the next run, without faults, does the job.
        let (retry, _) = switch_to_dual_bank(&sim, &ApplyOptions::default(), |_| {});
        if now == factory {
            retry.unwrap_or_else(|e| panic!("FAULT at transfer {n}: retry failed: {e}"));
        }
        assert_eq!(
            store(&sim),
            programmed,
            "FAULT at transfer {n}: after retry"
        );
    }
    println!(
        "{failures} of {transfers} injected faults surfaced as errors; the rest were recovered"
    );
    // The sweep crossed the commit: faults before OPTSTRT and after it were both reported.
    assert!(
        states_reported.contains(&OptionsState::Unchanged),
        "{states_reported:?}"
    );
    assert!(
        states_reported.contains(&OptionsState::Programmed),
        "{states_reported:?}"
    );
}

#[test]
fn an_unplugged_probe_is_reported_and_nothing_changes() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let factory = store(&sim);
    let (result, _) = switch_to_dual_bank(&sim, &ApplyOptions::default(), |sim| {
        sim.set_disconnected(true).unwrap()
    });
    let err = result.expect_err("no answer from the chip must not report success");
    let message = err.to_string();
    assert!(message.contains("probe error while"), "{message}");
    assert!(message.contains("option bytes unchanged"), "{message}");
    assert_eq!(store(&sim), factory);
    // Plugged back in, the next attempt works.
    sim.set_disconnected(false).unwrap();
    let (result, _) = switch_to_dual_bank(&sim, &ApplyOptions::default(), |_| {});
    result.expect("works once the probe is back");
    assert_eq!(store(&sim).optcr & FLASH_OPTCR_NDBANK, 0);
    assert_ne!(live_optcr(&sim) & FLASH_OPTCR_OPTLOCK, 0);
}
