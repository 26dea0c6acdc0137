//! The H7 option sequence (OPTKEYR, OPTSR_PRG, OPTSTART, OPT_BUSY, OPTCHANGEERR, OPTLOCK, the
//! reset that puts the swap in force, verify) against a transfer FAULT at every DAP access in
//! turn, through probe-rs on the simulated STM32H743ZI. Whatever fails, FLASH_OPTCR ends with
//! OPTLOCK set, the option store is either the old or the new one, the error says which, and a
//! clean retry finishes the job.

use std::time::Instant;

use probe_rs::Session;
use stm32_opts::chip::h7::OptsrField;
use stm32_opts::optbytes::h7::{H7Change, H7Request, H7};
use stm32_opts::optbytes::{change_with, AttachError, Event, Link, LockState, OptionsState};
use stm32_opts::sim::h7::{H7OptionStore, H7Sim};
use stm32_opts::sim::Simulator;

const H743: &str = "STM32H743ZI";
/// FLASH_OPTCR offset and OPTLOCK (reference §9).
const FLASH_OPTCR_OFFSET: u32 = 0x18;
const OPTLOCK: u32 = 1 << 0;

/// The engine's link to a simulated chip.
struct SimLink<'a> {
    sim: &'a Simulator,
    session: Option<Session>,
}

impl Link for SimLink<'_> {
    fn session(&mut self) -> Result<&mut Session, AttachError> {
        if self.session.is_none() {
            self.session = Some(self.sim.attach()?);
        }
        Ok(self.session.as_mut().expect("attached"))
    }
}

fn optcr(sim: &Simulator) -> u32 {
    sim.with_h7_flash(|f| f.read_register(FLASH_OPTCR_OFFSET, Instant::now()))
        .unwrap()
}

fn store(sim: &Simulator) -> H7OptionStore {
    sim.h7_option_store().unwrap()
}

/// `SWAP_BANK_OPT=1` with the reset, a transfer FAULT armed at the `n`th transfer after the
/// plan is made.
fn swap_on(sim: &Simulator, fault_at: Option<u64>) -> Result<(), stm32_opts::optbytes::Error> {
    let request = H7Request::change(vec![H7Change {
        field: OptsrField::SwapBankOpt,
        value: 1,
    }]);
    let mut link = SimLink { sim, session: None };
    change_with(&H7, &mut link, &request, &mut |event| {
        if let (Event::Planned(_), Some(n)) = (event, fault_at) {
            sim.inject_transfer_fault(n).unwrap();
        }
    })
    .map(|_| ())
}

#[test]
fn a_transfer_fault_anywhere_in_a_swap_leaves_optcr_locked_and_the_store_old_or_new() {
    let reference = Simulator::new(H743).unwrap();
    let factory = store(&reference);
    swap_on(&reference, Some(u64::MAX)).unwrap();
    let programmed = store(&reference);
    assert!(programmed.swap() && !factory.swap());
    assert!(
        reference.h7_swap_in_force().unwrap(),
        "the reset put it in force"
    );
    let transfers = reference.with(|chip| chip.faults.transfers).unwrap();
    assert!(transfers > 20, "the sequence takes {transfers} transfers");

    let mut failures = 0;
    let mut states = Vec::new();
    for n in 1..=transfers {
        let sim = Simulator::new(H743).unwrap();
        let result = swap_on(&sim, Some(n));
        let cr = optcr(&sim);
        assert_eq!(
            cr & OPTLOCK,
            OPTLOCK,
            "FAULT at transfer {n}: FLASH_OPTCR {cr:#010x} left unlocked ({result:?})"
        );
        let now = store(&sim);
        assert!(
            now == factory || now == programmed,
            "FAULT at transfer {n}: the store is neither old nor new: {now:?}"
        );
        match &result {
            Ok(()) => assert_eq!(now, programmed, "FAULT at transfer {n}: success, store old"),
            Err(err) => {
                failures += 1;
                let state = err.left_state().unwrap();
                if !states.contains(&state.options) {
                    states.push(state.options);
                }
                match state.options {
                    OptionsState::Unchanged => {
                        assert_eq!(now, factory, "FAULT at transfer {n}: said unchanged: {err}")
                    }
                    OptionsState::Programmed => {
                        assert_eq!(
                            now, programmed,
                            "FAULT at transfer {n}: said programmed: {err}"
                        )
                    }
                    OptionsState::Unknown => {}
                }
                assert_ne!(
                    state.lock,
                    LockState::NotRelocked,
                    "FAULT at transfer {n}: not relocked: {err}"
                );
            }
        }
        // The board stays usable: a clean run ends with the swap programmed and in force.
        swap_on(&sim, None)
            .unwrap_or_else(|e| panic!("FAULT at transfer {n}: the retry failed: {e}"));
        assert_eq!(
            store(&sim),
            programmed,
            "FAULT at transfer {n}: after the retry"
        );
        assert!(
            sim.h7_swap_in_force().unwrap(),
            "FAULT at transfer {n}: after the retry"
        );
    }
    println!(
        "{failures} of {transfers} injected faults surfaced as errors; the rest were recovered"
    );
    assert!(states.contains(&OptionsState::Unchanged), "{states:?}");
}
