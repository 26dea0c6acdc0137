//! The G0 option-byte sequence (unlock, OPTSTRT, OBL_LAUNCH, re-attach, verify) against a
//! transfer FAULT at every DAP access in turn, through probe-rs on the simulated STM32G0B1RE:
//! once over a bank switch (DUAL_BANK 1 → 0) and once over a swap (nSWAP_BANK 1 → 0). Whatever
//! fails, FLASH_CR ends with LOCK and OPTLOCK set, the option store is either the old or the new
//! one, the error says which, the layout the tool reads is the one the chip runs (or it
//! refuses), and a clean retry finishes the job.

use std::time::Instant;

use probe_rs::Session;
use stm32_opts::chip::g0::{OptrField, Swap};
use stm32_opts::chip::BankMode;
use stm32_opts::optbytes::g0::{self, G0Change, G0Report, G0Request};
use stm32_opts::optbytes::{AttachError, Event, Link, LockState, OptionsState};
use stm32_opts::sim::g0::{G0OptionStore, G0Sim};
use stm32_opts::sim::Simulator;

const G0B1: &str = "STM32G0B1RE";
/// FLASH_CR offset, LOCK and OPTLOCK.
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
    sim.with_g0_flash(|f| f.read(FLASH_CR_OFFSET, Instant::now()))
        .unwrap()
}

fn store(sim: &Simulator) -> G0OptionStore {
    sim.g0_option_store().unwrap()
}

/// What erase, `load` and the GDB server learn from the chip now (FLASH_OPTR and the stored
/// image, read through probe-rs without a reset) either names the bank mode and swap the chip
/// runs, or refuses because FLASH_OPTR names a mapping that is not loaded.
fn layout_is_the_loaded_one_or_refused(sim: &Simulator, when: &str) {
    let loaded = sim.with_g0_flash(|f| (f.dual_bank(), f.swapped())).unwrap();
    let mut session = sim.attach().expect("attach");
    let mut core = session.core(0).unwrap();
    let live = g0::live::read_live(&mut core).unwrap();
    if live.unsettled().is_some() {
        return;
    }
    let layout = live.layout.expect("a known G0B1RE layout");
    let read = (layout.bank_mode == BankMode::Dual, layout.swap == Swap::On);
    assert_eq!(
        read, loaded,
        "{when}: the tool reads (dual, swapped) = {read:?} (FLASH_OPTR {:#010x}) while the chip runs {loaded:?}",
        live.optr
    );
}

/// `field=0`, with a transfer FAULT armed at the `n`th transfer after the plan is made.
fn clear(
    sim: &Simulator,
    field: OptrField,
    fault_at: Option<u64>,
) -> Result<G0Report, stm32_opts::optbytes::Error> {
    let request = G0Request::change(vec![G0Change { field, value: 0 }]);
    let mut link = SimLink { sim, session: None };
    g0::change(&mut link, &request, &mut |event| {
        if let (Event::Planned(_), Some(n)) = (event, fault_at) {
            sim.inject_transfer_fault(n).unwrap();
        }
    })
}

fn sweep(field: OptrField) {
    let reference = Simulator::new(G0B1).unwrap();
    let factory = store(&reference);
    clear(&reference, field, Some(u64::MAX)).unwrap();
    let programmed = store(&reference);
    assert_ne!(programmed, factory);
    assert_eq!(field.get(programmed.optr), 0);
    let transfers = reference.with(|chip| chip.faults.transfers).unwrap();
    assert!(transfers > 20, "the sequence takes {transfers} transfers");

    let mut states = Vec::new();
    for n in 1..=transfers {
        let sim = Simulator::new(G0B1).unwrap();
        let result = clear(&sim, field, Some(n));
        let cr = live_cr(&sim);
        assert_eq!(
            cr & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK),
            FLASH_CR_LOCK | FLASH_CR_OPTLOCK,
            "{field}: FAULT at transfer {n}: FLASH_CR {cr:#010x} left unlocked ({result:?})"
        );
        let now = store(&sim);
        assert!(
            now == factory || now == programmed,
            "{field}: FAULT at transfer {n}: the store is neither old nor new: {now:?}"
        );
        match &result {
            Ok(_) => assert_eq!(now, programmed, "{field}: FAULT at transfer {n}: store old"),
            Err(err) => {
                let state = err.left_state().unwrap();
                if !states.contains(&state.options) {
                    states.push(state.options);
                }
                match state.options {
                    OptionsState::Unchanged => assert_eq!(
                        now, factory,
                        "{field}: FAULT at transfer {n}: said unchanged: {err}"
                    ),
                    OptionsState::Programmed => assert_eq!(
                        now, programmed,
                        "{field}: FAULT at transfer {n}: said programmed: {err}"
                    ),
                    OptionsState::Unknown => {}
                }
                if state.lock == LockState::NotRelocked {
                    // Only after the option load reset the chip (which locks FLASH_CR itself).
                    assert_eq!(
                        now, programmed,
                        "{field}: FAULT at transfer {n}: not relocked: {err}"
                    );
                }
            }
        }
        layout_is_the_loaded_one_or_refused(
            &sim,
            &format!("{field}: FAULT at transfer {n}: {result:?}"),
        );
        // The board stays usable: a clean run finishes the change.
        clear(&sim, field, None)
            .unwrap_or_else(|e| panic!("{field}: FAULT at transfer {n}: the retry failed: {e}"));
        assert_eq!(store(&sim), programmed, "{field}: FAULT at transfer {n}");
    }
    assert!(states.contains(&OptionsState::Unchanged), "{states:?}");
}

#[test]
fn a_transfer_fault_anywhere_in_a_bank_switch_leaves_flash_cr_locked() {
    sweep(OptrField::DualBank);
}

#[test]
fn a_transfer_fault_anywhere_in_a_swap_leaves_flash_cr_locked() {
    sweep(OptrField::NSwapBank);
}
