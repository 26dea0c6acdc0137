//! Executing an [`H7Plan`]: the STM32H74x/H75x option sequence, step by step as the facts give it
//! ([`option_sequence`]): OPTKEYR (only while OPTLOCK) → the `*_PRG` registers → OPTCCR ←
//! CLR_OPTCHANGEERR → OPTSTART → OPT_BUSY (bounded) → OPTCHANGEERR → OPTLOCK, on the shared
//! `target`, `keys` and `watchdogs` steps, as the F7's own sequence does.
//!
//! Around it: remember the run state and halt, freeze the watchdogs, check the chip (DEV_ID,
//! flash size) and that the values in force are still the plan's, and relock on every path.
//! There is no OBL_LAUNCH: once OPT_BUSY drops, FLASH_OPTSR_CUR holds the new values, but the
//! bank mapping (FLASH_OPTCR.SWAP_BANK) changes only at the next reset. The tool resets the chip
//! (unless told not to, `--no-reset`), then checks the mapping in force; without the reset it
//! says the swap is pending.

use std::time::{Duration, Instant};

use crate::chip::h7::fields::OptsrField;
use crate::chip::h7::identity::{DbgmcuRegister, DBGMCU_APB3FZ1_DBG_WWDG1, DBGMCU_APB4FZ1_DBG_IWDG1};
use crate::chip::h7::registers::{FlashRegister, FLASH_OPTCR_OPTCHANGEERRIE, FLASH_OPTCR_OPTLOCK};
use crate::chip::h7::sequence::{option_sequence, OptionStep, RegisterBit};
use crate::chip::h7::{BankSwap, H7Options};

use crate::optbytes::apply::{ApplyOptions, CoreAfter};
use crate::optbytes::change::{FamilyPlan, Link};
use crate::optbytes::error::{Error, LeftState, LockState, OptionsState};
use crate::optbytes::keys::KeySequence;
use crate::optbytes::target::Target;
use crate::optbytes::watchdogs::FreezeRegister;

use super::plan::H7Plan;
use super::read::{read_identity, read_image, read_optcr, read_optsr_cur, Image, FLASH_OPTCR_SWAP_BANK};

/// How long a halt request may take.
const HALT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a reset (to halted) may take.
const RESET_TIMEOUT: Duration = Duration::from_secs(2);
/// Bound for OPT_BUSY before the change starts (nothing else should be running).
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between OPT_BUSY polls.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// How often relocking is tried before giving up.
const RELOCK_ATTEMPTS: u32 = 3;
/// Consecutive failed FLASH_OPTSR_CUR reads a wait tolerates.
const MAX_FAILED_POLLS: u32 = 3;
/// How often a long wait reports that it is still waiting.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(2);

/// How an applied H7 change ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct H7Outcome {
    /// Whether anything was programmed.
    pub written: bool,
    /// Whether the chip was reset (the swap is then in force).
    pub reset: bool,
    /// Programmed; the bank swap takes effect at the next reset.
    pub pending_reset: bool,
    /// The `*_CUR` image at the end.
    pub options: H7Options,
    /// The mapping in force at the end (FLASH_OPTCR.SWAP_BANK).
    pub swap_in_force: BankSwap,
    /// The core at the end.
    pub core: CoreAfter,
}

impl H7Outcome {
    /// The outcome of a plan with nothing to write: the chip was not touched.
    pub fn nothing_written(plan: &H7Plan) -> H7Outcome {
        H7Outcome {
            written: false,
            reset: false,
            pending_reset: false,
            options: plan.old,
            swap_in_force: plan.swap_in_force,
            core: CoreAfter::Untouched,
        }
    }
}

/// Executes `plan` on core 0 of the session behind `link`.
pub fn apply(
    link: &mut dyn Link,
    plan: &H7Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<H7Outcome, Error> {
    plan.check_confirmations(opts.consents)?;
    if plan.is_noop() {
        return Ok(H7Outcome::nothing_written(plan));
    }
    let session = link.session().map_err(Error::Attach)?;
    let mut core = session
        .core(0)
        .map_err(|e| Error::probe("opening core 0", e, LeftState::UNTOUCHED))?;
    execute(&mut core, plan, opts, progress)
}

const PROGRAMMED_LOCKED: LeftState = LeftState {
    options: OptionsState::Programmed,
    lock: LockState::Locked,
};

/// The sequence, against any [`Target`].
pub(crate) fn execute<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<H7Outcome, Error> {
    plan.check_confirmations(opts.consents)?;
    if plan.only_reset_missing() {
        return reset_only(t, plan, opts, progress);
    }
    let was_halted = halt(t, opts, progress)?;

    if let Err(e) =
        check_chip(t, plan, progress).and_then(|()| program_and_relock(t, plan, opts, progress))
    {
        // Resume only when nothing was committed; otherwise the user should look first.
        let unchanged = e
            .left_state()
            .is_some_and(|s| s.options == OptionsState::Unchanged);
        if unchanged && !was_halted && !opts.leave_halted {
            if let Err(run_err) = t.run_core() {
                log::warn!("could not resume the core after the error: {run_err}");
            }
        }
        return Err(e);
    }

    let after = verify_current(t, plan, "after OPT_BUSY", PROGRAMMED_LOCKED)?;
    progress("verified: the *_CUR registers hold the new values");

    if !opts.reset {
        if plan.changes_swap() {
            progress(&format!(
                "not reset: SWAP_BANK_OPT = {} is programmed and takes effect at the next reset (until then {})",
                u8::from(plan.new.swap().bit()),
                super::report::mapping_text(plan.swap_in_force)
            ));
        } else {
            progress("not reset: the new values are programmed (pending until the next reset)");
        }
        let core = finish_run_state(t, opts, progress)?;
        return Ok(H7Outcome {
            written: true,
            reset: false,
            pending_reset: true,
            options: after,
            swap_in_force: plan.swap_in_force,
            core,
        });
    }
    if plan.sets_rdp2() {
        progress("resetting: RDP level 2 takes effect now and closes the debug port for good");
        if let Err(e) = t.reset_running() {
            log::info!("reset after RDP level 2 reported {e} (expected: debug access is gone)");
        }
        return Ok(H7Outcome {
            written: true,
            reset: true,
            pending_reset: false,
            options: after,
            swap_in_force: plan.new.swap(),
            core: CoreAfter::Unreachable,
        });
    }
    let (loaded, swap) = reset_and_verify(t, plan, progress)?;
    let core = finish_run_state(t, opts, progress)?;
    Ok(H7Outcome {
        written: true,
        reset: true,
        pending_reset: false,
        options: loaded,
        swap_in_force: swap,
        core,
    })
}

/// Nothing to program: the swap already programmed only waits for the reset, which follows
/// unless `--no-reset`.
fn reset_only<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<H7Outcome, Error> {
    progress(&format!(
        "SWAP_BANK_OPT = {} is already programmed; nothing to write, only the reset is missing",
        u8::from(plan.new.swap().bit())
    ));
    if !opts.reset {
        return Ok(H7Outcome {
            pending_reset: true,
            ..H7Outcome::nothing_written(plan)
        });
    }
    halt(t, opts, progress)?;
    let (loaded, swap) = reset_and_verify(t, plan, progress)?;
    let core = finish_run_state(t, opts, progress)?;
    Ok(H7Outcome {
        written: false,
        reset: true,
        pending_reset: false,
        options: loaded,
        swap_in_force: swap,
        core,
    })
}

/// Remembers the run state and halts; `Ok(was_halted)`.
fn halt<T: Target + ?Sized>(
    t: &mut T,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<bool, Error> {
    let untouched = |step: &'static str| move |e| Error::probe(step, e, LeftState::UNTOUCHED);
    let was_halted = t.is_halted().map_err(untouched("reading the core state"))?;
    if !was_halted {
        progress("halting the core");
        if let Err(e) = t.halt_core(HALT_TIMEOUT) {
            // The halt request can reach the core even when its confirmation is lost: put the
            // core back the way it was.
            if !opts.leave_halted && t.is_halted().unwrap_or(false) {
                if let Err(run_err) = t.run_core() {
                    log::warn!("could not resume the core after the failed halt: {run_err}");
                }
            }
            return Err(untouched("halting the core")(e));
        }
    }
    Ok(was_halted)
}

/// Freezes the watchdogs, then checks that the chip is the part the plan was made for — before
/// any FLASH register is touched.
fn check_chip<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    // IWDG1 and WWDG1 freeze in two registers of the H7's DBGMCU (CPU view).
    for (register, bits, bit_names) in [
        (DbgmcuRegister::Apb4fz1, DBGMCU_APB4FZ1_DBG_IWDG1, "DBG_IWDG1"),
        (DbgmcuRegister::Apb3fz1, DBGMCU_APB3FZ1_DBG_WWDG1, "DBG_WWDG1"),
    ] {
        FreezeRegister {
            address: register.cpu_address(),
            name: register.name(),
            bits,
            bit_names,
        }
        .freeze(t, progress)?;
    }
    let identity = read_identity(t)?;
    let part = identity.part().map_err(|source| Error::UnsupportedChip {
        source: source.into(),
        state: LeftState::UNTOUCHED,
    })?;
    if part.flash_kb != plan.part.flash_kb {
        return Err(Error::WrongChip {
            detail: format!(
                "the plan is for {} but the chip reports {}",
                plan.part.describe(),
                identity.describe()
            ),
            state: LeftState::UNTOUCHED,
        });
    }
    progress(&format!("chip checked: {}", identity.describe()));
    Ok(())
}

/// The sequence up to OPTCHANGEERR, then the relock — on every path.
fn program_and_relock<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let programmed = program(t, plan, opts, progress);
    let relocked = ensure_locked(t);
    match (programmed, relocked) {
        (Ok(()), Ok(())) => {
            progress("option registers locked again (OPTLOCK)");
            Ok(())
        }
        (Ok(()), Err(e)) => Err(Error::probe(
            "locking the option registers again",
            e,
            LeftState {
                options: OptionsState::Programmed,
                lock: LockState::NotRelocked,
            },
        )),
        (Err(e), Ok(())) => Err(e.with_lock(LockState::Locked)),
        (Err(e), Err(lock_err)) => {
            log::error!("relocking after an error failed too: {lock_err}");
            Err(e.with_lock(LockState::NotRelocked))
        }
    }
}

/// Every step of [`option_sequence`] but the final lock (the caller's, on every path). Errors
/// carry `LockState::NotRelocked` as a placeholder; the caller fills in the relock result.
fn program<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let mut state = LeftState {
        options: OptionsState::Unchanged,
        lock: LockState::NotRelocked,
    };
    // The plan starts from the values in force; check that nobody changed them since.
    let current = read_image(t, Image::Current, "reading the *_CUR registers", state)?;
    if current != plan.old {
        return Err(Error::StaleOptions {
            planned: format!("FLASH_OPTSR_CUR {:#010x}", plan.old.optsr),
            found: format!("FLASH_OPTSR_CUR {:#010x}", current.optsr),
            state,
        });
    }
    wait_not_busy(t, IDLE_TIMEOUT, "waiting for a previous option change to finish (OPT_BUSY)", state, progress)?;

    for step in option_sequence(plan.lowers_rdp()) {
        let result = match step {
            OptionStep::Unlock {
                register,
                keys,
                lock,
            } => unlock(t, register, keys, lock, state, progress),
            OptionStep::WriteProgramRegisters => write_program_registers(t, plan, state, progress),
            OptionStep::ClearChangeError(bit) => t
                .write32(bit.register.address(), bit.mask)
                .map_err(|e| Error::probe("clearing OPTCHANGEERR (FLASH_OPTCCR)", e, state)),
            OptionStep::Start(bit) => {
                // From here on the store may change: whatever fails leaves it unknown until read.
                state.options = OptionsState::Unknown;
                start(t, bit, state, progress)
            }
            OptionStep::WaitWhileBusy { timeout, .. } => {
                let bound = opts.busy_timeout.unwrap_or(timeout);
                let step = if plan.lowers_rdp() {
                    "waiting for the option change and the mass erase (OPT_BUSY)"
                } else {
                    "waiting for the option change (OPT_BUSY)"
                };
                wait_not_busy(t, bound, step, state, progress)
            }
            OptionStep::CheckChangeError(bit) => check_change_error(t, plan, bit, state),
            OptionStep::Lock(_) => Ok(()),
        };
        if let Err(e) = result {
            return Err(settle_after_failure(t, plan, e));
        }
    }
    Ok(())
}

/// OPTKEYR ← OPTKEY1, OPTKEY2 — only while OPTLOCK reads set: a key on an unlocked register
/// locks it until reset.
fn unlock<T: Target + ?Sized>(
    t: &mut T,
    register: FlashRegister,
    keys: [u32; 2],
    lock: RegisterBit,
    state: LeftState,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let locked = t
        .read32(lock.register.address())
        .map_err(|e| Error::probe("reading FLASH_OPTCR", e, state))?
        & lock.mask
        != 0;
    if !locked {
        progress("option registers were already unlocked: no keys written");
        return Ok(());
    }
    KeySequence {
        register: register.address(),
        name: register.name(),
        keys,
        lock_register: lock.register.address(),
        lock_bit: lock.mask,
    }
    .write(t, "unlocking the option registers (FLASH_OPTKEYR)", state)?;
    let after = t
        .read32(lock.register.address())
        .map_err(|e| Error::probe("checking the unlock", e, state))?;
    if after & lock.mask != 0 {
        return Err(Error::LockStuck {
            lock_bit: "FLASH_OPTCR.OPTLOCK",
            key_register: "FLASH_OPTKEYR",
            state,
        });
    }
    progress("option registers unlocked (FLASH_OPTKEYR)");
    Ok(())
}

/// Writes every `*_PRG` register that does not already hold the plan's value: OPTSTART
/// programs all of them, so a stale one would be programmed too.
fn write_program_registers<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    state: LeftState,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let staged = read_image(t, Image::Program, "reading the *_PRG registers", state)?;
    for (register, value) in staged.registers_to_write(&plan.new) {
        progress(&format!("writing {} = {value:#010x}", register.name()));
        t.write32(register.address(), value)
            .map_err(|e| Error::probe(format!("writing {}", register.name()), e, state))?;
    }
    Ok(())
}

/// OPTCR ← OPTSTART (keeping OPTCHANGEERRIE; never MER, never OPTLOCK).
fn start<T: Target + ?Sized>(
    t: &mut T,
    bit: RegisterBit,
    state: LeftState,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let optcr = read_optcr(t, state)?;
    progress("programming the option bytes (OPTSTART)");
    t.write32(
        bit.register.address(),
        (optcr & FLASH_OPTCR_OPTCHANGEERRIE) | bit.mask,
    )
    .map_err(|e| Error::probe("starting the option change (OPTSTART)", e, state))
}

/// Fails when FLASH_OPTSR_CUR.OPTCHANGEERR is set (then clears it through OPTCCR).
fn check_change_error<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    bit: RegisterBit,
    state: LeftState,
) -> Result<(), Error> {
    let optsr = read_optsr_cur(t, "reading FLASH_OPTSR_CUR after the change", state)?;
    if optsr & bit.mask == 0 {
        return Ok(());
    }
    let _ = t.write32(
        FlashRegister::Optccr.address(),
        crate::chip::h7::registers::FLASH_OPTCCR_CLR_OPTCHANGEERR,
    );
    Err(Error::FlashSr {
        sr: optsr,
        flags: vec!["OPTCHANGEERR"],
        state: LeftState {
            options: stored_state(t, plan),
            lock: LockState::NotRelocked,
        },
    })
}

/// After a failed step past OPTSTART: let a running change finish (bounded, never for an
/// OPT_BUSY that already timed out), then find out from `*_CUR` what was committed.
fn settle_after_failure<T: Target + ?Sized>(t: &mut T, plan: &H7Plan, mut error: Error) -> Error {
    let Error::Probe { state, .. } = &mut error else {
        return error;
    };
    if state.options != OptionsState::Unknown {
        return error;
    }
    let waited = wait_not_busy(
        t,
        plan.busy_timeout,
        "waiting for the option change after the failed step (OPT_BUSY)",
        *state,
        &mut |_| {},
    );
    if let Err(e) = waited {
        log::warn!("{e}");
        return error;
    }
    state.options = stored_state(t, plan);
    log::info!("after the failed step the option store is {:?}", state.options);
    error
}

/// Which values the `*_CUR` registers hold: the plan's new ones, its old ones, or neither.
fn stored_state<T: Target + ?Sized>(t: &mut T, plan: &H7Plan) -> OptionsState {
    match read_image(t, Image::Current, "reading the *_CUR registers", LeftState::UNTOUCHED) {
        Ok(cur) if cur == plan.new => OptionsState::Programmed,
        Ok(cur) if cur == plan.old => OptionsState::Unchanged,
        _ => OptionsState::Unknown,
    }
}

/// Polls FLASH_OPTSR_CUR.OPT_BUSY until clear, at most `bound`.
fn wait_not_busy<T: Target + ?Sized>(
    t: &mut T,
    bound: Duration,
    step: &str,
    state: LeftState,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let busy = OptsrField::OptBusy.mask();
    let start = Instant::now();
    let mut next_report = PROGRESS_INTERVAL;
    let mut failed_reads = 0;
    loop {
        let optsr = match t.read32(FlashRegister::OptsrCur.address()) {
            Ok(v) => {
                failed_reads = 0;
                v
            }
            // One lost read is no reason to abandon a wait that guards the option store.
            Err(e) if failed_reads < MAX_FAILED_POLLS && start.elapsed() < bound => {
                failed_reads += 1;
                log::warn!("{step}: reading FLASH_OPTSR_CUR failed ({e}); polling again");
                t.pause(POLL_INTERVAL);
                continue;
            }
            Err(e) => {
                return Err(Error::probe(
                    format!("{step}: reading FLASH_OPTSR_CUR"),
                    e,
                    state,
                ))
            }
        };
        if optsr & busy == 0 {
            return Ok(());
        }
        let waited = start.elapsed();
        if waited >= bound {
            return Err(Error::BusyTimeout {
                step: format!("{step} (FLASH_OPTSR_CUR.OPT_BUSY, not FLASH_SR)"),
                waited,
                state,
            });
        }
        if waited >= next_report {
            progress(&format!("still busy after {} s …", waited.as_secs()));
            next_report += PROGRESS_INTERVAL;
        }
        t.pause(POLL_INTERVAL);
    }
}

/// Sets OPTLOCK if it is clear, and checks that it is set. Idempotent, so a lost transfer is
/// tried again: leaving the register unlocked is the worse outcome.
fn ensure_locked<T: Target + ?Sized>(t: &mut T) -> Result<(), probe_rs::Error> {
    let mut attempt = 1;
    loop {
        match try_lock(t) {
            Ok(()) => return Ok(()),
            Err(e) if attempt < RELOCK_ATTEMPTS => {
                log::warn!("relocking the option registers failed ({e}); trying again");
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

fn try_lock<T: Target + ?Sized>(t: &mut T) -> Result<(), probe_rs::Error> {
    let address = FlashRegister::Optcr.address();
    let optcr = t.read32(address)?;
    if optcr & FLASH_OPTCR_OPTLOCK == 0 {
        // Never write OPTSTART or MER back while relocking.
        t.write32(
            address,
            (optcr & FLASH_OPTCR_OPTCHANGEERRIE) | FLASH_OPTCR_OPTLOCK,
        )?;
        let check = t.read32(address)?;
        if check & FLASH_OPTCR_OPTLOCK == 0 {
            return Err(probe_rs::Error::Other(format!(
                "FLASH_OPTCR.OPTLOCK still clear after setting it (FLASH_OPTCR = {check:#010x})"
            )));
        }
    }
    Ok(())
}

/// The `*_CUR` registers hold the plan's new values.
fn verify_current<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    when: &str,
    state: LeftState,
) -> Result<H7Options, Error> {
    let cur = read_image(t, Image::Current, "reading back the *_CUR registers", state)?;
    if cur != plan.new {
        return Err(Error::VerifyFailed {
            what: format!("the *_CUR registers {when}"),
            expected: format!("FLASH_OPTSR {:#010x}", plan.new.optsr),
            actual: format!("FLASH_OPTSR {:#010x}", cur.optsr),
            state,
        });
    }
    Ok(cur)
}

/// System reset, halted; then the values and the mapping in force are the plan's.
fn reset_and_verify<T: Target + ?Sized>(
    t: &mut T,
    plan: &H7Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<(H7Options, BankSwap), Error> {
    if plan.changes_swap() {
        progress("resetting the chip so the bank swap takes effect (SYSRESETREQ)");
    } else {
        progress("resetting the chip so the new option bytes are in force (SYSRESETREQ)");
    }
    t.reset_halted(RESET_TIMEOUT).map_err(|e| {
        Error::probe(
            "resetting the chip (the swap takes effect at the next reset)",
            e,
            PROGRAMMED_LOCKED,
        )
    })?;
    let loaded = verify_current(t, plan, "after the reset", PROGRAMMED_LOCKED)?;
    let optcr = read_optcr(t, PROGRAMMED_LOCKED)?;
    let swap = BankSwap::from_bit(optcr & FLASH_OPTCR_SWAP_BANK != 0);
    if swap != plan.new.swap() {
        return Err(Error::VerifyFailed {
            what: "FLASH_OPTCR.SWAP_BANK (the mapping in force) after the reset".into(),
            expected: u8::from(plan.new.swap().bit()).to_string(),
            actual: u8::from(swap.bit()).to_string(),
            state: PROGRAMMED_LOCKED,
        });
    }
    if optcr & FLASH_OPTCR_OPTLOCK == 0 {
        log::warn!("OPTLOCK is clear after a reset; expected the reset to set it");
    }
    progress(&format!(
        "verified after reset: FLASH_OPTSR_CUR = {:#010x}, {}",
        loaded.optsr,
        super::report::mapping_text(swap)
    ));
    Ok((loaded, swap))
}

fn finish_run_state<T: Target + ?Sized>(
    t: &mut T,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<CoreAfter, Error> {
    if opts.leave_halted {
        progress("core left halted");
        Ok(CoreAfter::Halted)
    } else {
        t.run_core()
            .map_err(|e| Error::probe("letting the core run", e, PROGRAMMED_LOCKED))?;
        progress("core running");
        Ok(CoreAfter::Running)
    }
}
