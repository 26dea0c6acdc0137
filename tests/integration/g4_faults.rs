//! The G4 option-byte sequence (unlock, OPTSTRT, OBL_LAUNCH, re-attach, verify) against a
//! transfer FAULT at every DAP access in turn, through probe-rs on the simulated STM32G474RE.
//! Whatever fails, FLASH_CR ends with LOCK and OPTLOCK set, the option store is either the old or
//! the new one, the error says which, and a clean retry finishes the job.

use std::time::Instant;

use probe_rs::Session;
use stm32_opts::chip::g4::OptrField;
use stm32_opts::optbytes::g4::{self, G4Change, G4Report, G4Request};
use stm32_opts::optbytes::{AttachError, Event, Link, LockState, OptionsState};
use stm32_opts::sim::g4::G4OptionStore;
use stm32_opts::sim::g4::G4Sim;
use stm32_opts::sim::Simulator;

const G474: &str = "STM32G474RE";
/// FLASH_CR offset, LOCK and OPTLOCK (RM0440).
const FLASH_CR_OFFSET: u32 = 0x14;
const FLASH_CR_LOCK: u32 = 1 << 31;
const FLASH_CR_OPTLOCK: u32 = 1 << 30;

/// The engine's link to a simulated chip: attaching again opens a new session on it.
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

    fn reattach(&mut self) -> Result<&mut Session, AttachError> {
        self.session = None;
        self.session()
    }
}

fn live_cr(sim: &Simulator) -> u32 {
    sim.with_g4_flash(|f| f.read(FLASH_CR_OFFSET, Instant::now()))
        .unwrap()
}

fn store(sim: &Simulator) -> G4OptionStore {
    sim.g4_option_store().unwrap()
}

/// What erase, `load` and the GDB server learn from the chip now (FLASH_OPTR and the stored
/// image, read through probe-rs without a reset) either names the bank mode the chip runs, or
/// refuses because FLASH_OPTR.DBANK names one that is not loaded.
fn layout_is_the_loaded_one_or_refused(sim: &Simulator, when: &str) {
    let loaded_dual = sim.with_g4_flash(|f| f.dual_bank()).unwrap();
    let mut session = sim.attach().expect("attach");
    let mut core = session.core(0).unwrap();
    let live = g4::live::read_live(&mut core).unwrap();
    if live.unsettled().is_some() {
        return;
    }
    let dual = OptrField::Dbank.get(live.optr) != 0;
    assert_eq!(
        dual,
        loaded_dual,
        "{when}: the tool reads DBANK = {} (FLASH_OPTR {:#010x}) while the chip runs the other",
        u8::from(dual),
        live.optr
    );
}

/// `DBANK=0`, with a transfer FAULT armed at the `n`th transfer after the plan is made.
fn single_bank(
    sim: &Simulator,
    fault_at: Option<u64>,
) -> Result<G4Report, stm32_opts::optbytes::Error> {
    let request = G4Request::change(vec![G4Change {
        field: OptrField::Dbank,
        value: 0,
    }]);
    let mut link = SimLink { sim, session: None };
    g4::change(&mut link, &request, &mut |event| {
        if let (Event::Planned(_), Some(n)) = (event, fault_at) {
            sim.inject_transfer_fault(n).unwrap();
        }
    })
}

#[test]
fn a_transfer_fault_anywhere_in_a_bank_switch_leaves_flash_cr_locked() {
    let reference = Simulator::new(G474).unwrap();
    let factory = store(&reference);
    single_bank(&reference, Some(u64::MAX)).unwrap();
    let programmed = store(&reference);
    assert_ne!(programmed, factory);
    assert_eq!(programmed.optr & (1 << 22), 0);
    let transfers = reference.with(|chip| chip.faults.transfers).unwrap();
    assert!(transfers > 20, "the sequence takes {transfers} transfers");

    let mut failures = 0;
    let mut states = Vec::new();
    for n in 1..=transfers {
        let sim = Simulator::new(G474).unwrap();
        let result = single_bank(&sim, Some(n));
        let cr = live_cr(&sim);
        assert_eq!(
            cr & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK),
            FLASH_CR_LOCK | FLASH_CR_OPTLOCK,
            "FAULT at transfer {n}: FLASH_CR {cr:#010x} left unlocked ({result:?})"
        );
        let now = store(&sim);
        assert!(
            now == factory || now == programmed,
            "FAULT at transfer {n}: the store is neither old nor new: {now:?}"
        );
        match &result {
            Ok(_) => assert_eq!(now, programmed, "FAULT at transfer {n}: success, store old"),
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
                if state.lock == LockState::NotRelocked {
                    // Only after the option load reset the chip (which locks FLASH_CR itself).
                    assert_eq!(
                        now, programmed,
                        "FAULT at transfer {n}: not relocked: {err}"
                    );
                }
            }
        }
        layout_is_the_loaded_one_or_refused(&sim, &format!("FAULT at transfer {n}: {result:?}"));
        // The board stays usable: a clean run ends in single-bank mode.
        single_bank(&sim, None)
            .unwrap_or_else(|e| panic!("FAULT at transfer {n}: the retry failed: {e}"));
        assert_eq!(
            store(&sim),
            programmed,
            "FAULT at transfer {n}: after the retry"
        );
    }
    println!(
        "{failures} of {transfers} injected faults surfaced as errors; the rest were recovered"
    );
    assert!(states.contains(&OptionsState::Unchanged), "{states:?}");
}
