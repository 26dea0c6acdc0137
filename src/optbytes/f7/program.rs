//! Executing a [`Plan`] on the chip: the option-byte programming sequence.
//!
//! Order (see docs/option-bytes.md): remember run state and halt → freeze the watchdogs →
//! check the chip (DEV_ID, flash size) → check the registers still match the plan → wait for
//! BSY → clear stale error flags → unlock only if OPTLOCK is set → OPTCR1, OPTCR, OPTSTRT →
//! bounded BSY wait → error flags → relock (always) → verify registers and the stored option
//! bytes → reset and verify the loaded values → leave the core running or halted.

use std::time::{Duration, Instant};

use crate::chip::f7::registers::{
    flash_sr_flag_names, DBGMCU_APB1_FZ, DBGMCU_APB1_FZ_DBG_IWDG_STOP,
    DBGMCU_APB1_FZ_DBG_WWDG_STOP, FLASH_OPTCR, FLASH_OPTCR1, FLASH_OPTCR_OPTLOCK,
    FLASH_OPTCR_OPTSTRT, FLASH_OPTKEY1, FLASH_OPTKEY2, FLASH_OPTKEYR, FLASH_SR, FLASH_SR_BSY,
    FLASH_SR_EOP, FLASH_SR_ERRORS,
};
use crate::chip::f7::OptionWords;
use crate::chip::RdpLevel;

use crate::optbytes::apply::{ApplyOptions, CoreAfter};
use crate::optbytes::error::{Error, LeftState, LockState, OptionsState};
use crate::optbytes::keys::KeySequence;
use crate::optbytes::target::Target;
use crate::optbytes::watchdogs::FreezeRegister;

use super::plan::Plan;
use super::read::{
    programmed_words, read_identity, read_option_area, read_option_area_if_readable, read_words,
};

/// How long a halt request may take.
const HALT_TIMEOUT: Duration = Duration::from_millis(500);
/// How long a reset (to halted) may take.
const RESET_TIMEOUT: Duration = Duration::from_secs(2);
/// Bound for BSY before programming starts (nothing else should be running: the core is halted).
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
/// Pause between BSY polls.
const POLL_INTERVAL: Duration = Duration::from_millis(5);
/// How often relocking is tried before giving up.
const RELOCK_ATTEMPTS: u32 = 3;
/// Consecutive failed FLASH_SR reads a BSY wait tolerates.
const MAX_FAILED_POLLS: u32 = 3;
/// How often a long wait reports that it is still waiting.
const PROGRESS_INTERVAL: Duration = Duration::from_secs(2);

/// The result of a successful `apply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Whether anything was programmed (false when every value was already set).
    pub written: bool,
    /// Whether the chip was reset and the loaded values verified.
    pub reset: bool,
    /// Programmed but not loaded yet: takes effect at the next reset.
    pub pending_reset: bool,
    /// FLASH_OPTCR/OPTCR1 as read at the end.
    pub words: OptionWords,
    /// The core's state at the end.
    pub core: CoreAfter,
}

/// Execute `plan` on core 0 of `session`. Progress lines are passed to `progress` as each step
/// happens. Every path that unlocked the option registers locks them again.
pub fn apply(
    session: &mut probe_rs::Session,
    plan: &Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Outcome, Error> {
    plan.check_confirmations(opts.consents)?;
    if plan.is_noop() {
        return Ok(nothing_to_write(plan, progress));
    }
    let mut core = session
        .core(0)
        .map_err(|e| Error::probe("opening core 0", e, LeftState::UNTOUCHED))?;
    execute(&mut core, plan, opts, progress)
}

fn nothing_to_write(plan: &Plan, progress: &mut dyn FnMut(&str)) -> Outcome {
    progress(&already_set_line(plan));
    Outcome::nothing_written(plan)
}

impl Outcome {
    /// The outcome of a plan with nothing to write: the chip was not touched.
    pub fn nothing_written(plan: &Plan) -> Outcome {
        Outcome {
            written: false,
            reset: false,
            pending_reset: false,
            words: plan.old,
            core: CoreAfter::Untouched,
        }
    }
}

fn already_set_line(plan: &Plan) -> String {
    let names: Vec<&str> = plan.already_set.iter().map(|f| f.name()).collect();
    format!(
        "nothing to write: {} already set as requested",
        if names.is_empty() {
            "every field".to_string()
        } else {
            names.join(", ")
        }
    )
}

/// As [`apply`], for a caller that already holds the core (core 0 of an STM32F7).
pub fn apply_on_core(
    core: &mut probe_rs::Core,
    plan: &Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Outcome, Error> {
    plan.check_confirmations(opts.consents)?;
    if plan.is_noop() {
        return Ok(nothing_to_write(plan, progress));
    }
    execute(core, plan, opts, progress)
}

/// The sequence, against any [`Target`].
pub(crate) fn execute<T: Target + ?Sized>(
    t: &mut T,
    plan: &Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Outcome, Error> {
    // Also for a caller that runs a plan without the change path: never leave nDBANK pending.
    if !opts.reset && !plan.is_noop() {
        plan.check_left_pending()?;
    }
    plan.check_confirmations(opts.consents)?;
    let untouched = |step: &str| {
        let step = step.to_string();
        move |e| Error::probe(step, e, LeftState::UNTOUCHED)
    };

    // 1. Run state, halt.
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

    // 2–8. Check the chip, program, relock.
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
        return Err(load_layout_after_error(t, plan, opts, e, progress));
    }

    // 9. Verify what was programmed, before the reset.
    let after = verify_programmed(t, plan, progress)
        .map_err(|e| load_layout_after_error(t, plan, opts, e, progress))?;

    // 10. Reset so the values load, and verify them.
    if !opts.reset {
        progress("not reset: the new values are programmed and take effect at the next reset (pending until reset)");
        let core = finish_run_state(t, opts, progress)?;
        return Ok(Outcome {
            written: true,
            reset: false,
            pending_reset: true,
            words: after,
            core,
        });
    }
    if plan.sets_rdp2() {
        progress("resetting: RDP level 2 takes effect now and closes the debug port for good");
        if let Err(e) = t.reset_running() {
            log::info!("reset after RDP level 2 reported {e} (expected: debug access is gone)");
        }
        return Ok(Outcome {
            written: true,
            reset: true,
            pending_reset: false,
            words: after,
            core: CoreAfter::Unreachable,
        });
    }
    progress("resetting the chip so the new option bytes load (SYSRESETREQ)");
    let programmed_locked = LeftState {
        options: OptionsState::Programmed,
        lock: LockState::Locked,
    };
    // Tried twice: until the reset, FLASH_OPTCR names the new values while the chip runs the
    // old ones (for nDBANK: erase and `load` would use the wrong sectors). A second reset is
    // harmless: the store is programmed and BSY is clear.
    t.reset_halted(RESET_TIMEOUT)
        .or_else(|e| {
            log::warn!("the reset after programming failed ({e}); resetting once more");
            t.reset_halted(RESET_TIMEOUT)
        })
        .map_err(|e| {
            let mut step =
                "resetting the chip (the new values load at the next reset)".to_string();
            if plan.changes_layout() {
                step.push_str("; until then FLASH_OPTCR names a bank mode the chip does not run: reset or power-cycle the chip before erasing or loading");
            }
            Error::probe(step, e, programmed_locked)
        })?;
    let loaded = read_words(
        t,
        "reading the option registers after the reset",
        programmed_locked,
    )?;
    if !loaded.same_options(&plan.new) {
        return Err(Error::VerifyFailed {
            what: "FLASH_OPTCR/FLASH_OPTCR1 after the reset".into(),
            expected: words_text(&plan.new),
            actual: words_text(&loaded),
            state: programmed_locked,
        });
    }
    if loaded.optcr & FLASH_OPTCR_OPTLOCK == 0 {
        log::warn!("OPTLOCK is clear after a reset; expected the reset to set it");
    }
    progress(&format!(
        "verified after reset: FLASH_OPTCR = {:#010x}, FLASH_OPTCR1 = {:#010x} loaded",
        loaded.optcr, loaded.optcr1
    ));

    // 11. Run state.
    let core = finish_run_state(t, opts, progress)?;
    Ok(Outcome {
        written: true,
        reset: true,
        pending_reset: false,
        words: loaded,
        core,
    })
}

/// An error after the new values may have reached the option store, for a plan that changes
/// nDBANK and asked for the reset: FLASH_OPTCR keeps the new nDBANK while the chip runs the bank
/// mode it loaded, and the store holds the same new value, so nothing on the chip would tell
/// erase and `load` that the layout they read is not the one in force. When the store is known
/// to hold the new values and BSY is clear, the chip still gets its reset, so that the two
/// agree again; otherwise (BSY set, store unknown or unchanged) nothing more is done.
fn load_layout_after_error<T: Target + ?Sized>(
    t: &mut T,
    plan: &Plan,
    opts: &ApplyOptions,
    error: Error,
    progress: &mut dyn FnMut(&str),
) -> Error {
    if !opts.reset || !plan.changes_layout() || plan.sets_rdp2() {
        return error;
    }
    let programmed = match error.left_state().map(|s| s.options) {
        Some(OptionsState::Programmed) => true,
        Some(OptionsState::Unknown) => {
            let idle = t.read32(FLASH_SR).is_ok_and(|sr| sr & FLASH_SR_BSY == 0);
            idle && stored_state(t, plan) == OptionsState::Programmed
        }
        _ => false,
    };
    if !programmed {
        return error;
    }
    progress("the new nDBANK is in the option store: resetting the chip anyway so that the bank mode it runs is the one FLASH_OPTCR names (SYSRESETREQ)");
    match t.reset_halted(RESET_TIMEOUT) {
        Ok(()) => {
            progress("reset: the new bank mode is loaded; read the option bytes back (`optbytes`) to check the rest");
            error.with_state(LeftState {
                options: OptionsState::Programmed,
                lock: LockState::Locked,
            })
        }
        Err(e) => {
            log::warn!("the reset after the error failed too: {e}");
            progress("the reset failed: until the chip is reset, FLASH_OPTCR names a bank mode it does not run; reset or power-cycle it before erasing or loading");
            error
        }
    }
}

/// Steps 2–3: freeze the watchdogs, then check that the chip is the part the plan was made for
/// — before any FLASH register is touched.
fn check_chip<T: Target + ?Sized>(
    t: &mut T,
    plan: &Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    FreezeRegister {
        address: DBGMCU_APB1_FZ,
        name: "DBGMCU_APB1_FZ",
        bits: DBGMCU_APB1_FZ_DBG_WWDG_STOP | DBGMCU_APB1_FZ_DBG_IWDG_STOP,
        bit_names: "DBG_IWDG_STOP/DBG_WWDG_STOP",
    }
    .freeze(t, progress)?;
    let identity = read_identity(t)?;
    let part = identity.part().map_err(|source| Error::UnsupportedChip {
        source: source.into(),
        state: LeftState::UNTOUCHED,
    })?;
    if part != plan.part {
        return Err(Error::WrongChip {
            detail: format!(
                "the plan is for {} but the chip reports DEV_ID {:#05x} with {} KB of flash",
                plan.part.describe(),
                identity.dev_id(),
                identity.flash_size_kb
            ),
            state: LeftState::UNTOUCHED,
        });
    }
    progress(&format!("chip checked: {}", identity.describe()));
    Ok(())
}

/// Steps 4–8, then the relock — on every path.
fn program_and_relock<T: Target + ?Sized>(
    t: &mut T,
    plan: &Plan,
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

fn finish_run_state<T: Target + ?Sized>(
    t: &mut T,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<CoreAfter, Error> {
    let state = LeftState {
        options: OptionsState::Programmed,
        lock: LockState::Locked,
    };
    if opts.leave_halted {
        progress("core left halted");
        Ok(CoreAfter::Halted)
    } else {
        t.run_core()
            .map_err(|e| Error::probe("letting the core run", e, state))?;
        progress("core running");
        Ok(CoreAfter::Running)
    }
}

pub(crate) fn words_text(w: &OptionWords) -> String {
    format!("OPTCR {:#010x} OPTCR1 {:#010x}", w.optcr & !3, w.optcr1)
}

/// The FLASH_OPTKEYR key sequence, for a register known to be locked.
fn write_option_keys<T: Target + ?Sized>(t: &mut T, unchanged: LeftState) -> Result<(), Error> {
    KeySequence {
        register: FLASH_OPTKEYR,
        name: "FLASH_OPTKEYR",
        keys: [FLASH_OPTKEY1, FLASH_OPTKEY2],
        lock_register: FLASH_OPTCR,
        lock_bit: FLASH_OPTCR_OPTLOCK,
    }
    .write(
        t,
        "unlocking the option registers (FLASH_OPTKEYR)",
        unchanged,
    )
}

/// Steps 4–7: everything between "registers touched" and the relock.
/// Errors carry `LockState::NotRelocked` as a placeholder; the caller fills in the relock result.
fn program<T: Target + ?Sized>(
    t: &mut T,
    plan: &Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let unchanged = LeftState {
        options: OptionsState::Unchanged,
        lock: LockState::NotRelocked,
    };

    // The plan starts from the programmed values (see `OptionBytes::programmed`); check that
    // nobody changed them since, the same way.
    let current = read_words(t, "reading the option registers", unchanged)?;
    let stored = read_option_area_if_readable(t);
    let programmed = programmed_words(current, stored.as_ref());
    if !programmed.same_options(&plan.old) {
        return Err(Error::StaleOptions {
            planned: format!(
                "OPTCR {:#010x} OPTCR1 {:#010x}",
                plan.old.optcr, plan.old.optcr1
            ),
            found: format!(
                "OPTCR {:#010x} OPTCR1 {:#010x}",
                programmed.optcr, programmed.optcr1
            ),
            state: unchanged,
        });
    }

    wait_not_busy(
        t,
        IDLE_TIMEOUT,
        "waiting for a previous flash operation to finish",
        unchanged,
        progress,
    )?;

    let sr = t
        .read32(FLASH_SR)
        .map_err(|e| Error::probe("reading FLASH_SR", e, unchanged))?;
    let stale = sr & (FLASH_SR_ERRORS | FLASH_SR_EOP);
    if stale != 0 {
        t.write32(FLASH_SR, stale)
            .map_err(|e| Error::probe("clearing stale FLASH_SR flags", e, unchanged))?;
        progress(&format!(
            "cleared stale FLASH_SR flags: {}",
            flash_sr_flag_names(stale).join(", ")
        ));
    }

    // A key sequence on an unlocked register counts as a wrong sequence and locks it until reset.
    if current.optcr & FLASH_OPTCR_OPTLOCK != 0 {
        write_option_keys(t, unchanged)?;
        let optcr = t
            .read32(FLASH_OPTCR)
            .map_err(|e| Error::probe("checking the unlock", e, unchanged))?;
        if optcr & FLASH_OPTCR_OPTLOCK != 0 {
            return Err(Error::LockStuck {
                lock_bit: "FLASH_OPTCR.OPTLOCK",
                key_register: "FLASH_OPTKEYR",
                state: unchanged,
            });
        }
        progress("option registers unlocked (FLASH_OPTKEYR)");
    } else {
        progress("option registers were already unlocked: no keys written");
    }

    let optcr = plan.new.optcr & !(FLASH_OPTCR_OPTLOCK | FLASH_OPTCR_OPTSTRT);
    progress(&format!(
        "writing FLASH_OPTCR1 = {:#010x}, FLASH_OPTCR = {:#010x}",
        plan.new.optcr1, optcr
    ));
    let staged = t
        .write32(FLASH_OPTCR1, plan.new.optcr1)
        .and_then(|()| t.write32(FLASH_OPTCR, optcr));
    if let Err(e) = staged {
        // Not committed: put the old values back into the registers (best effort) so they do
        // not show uncommitted values until the next reset.
        let _ = t.write32(FLASH_OPTCR1, plan.old.optcr1);
        let _ = t.write32(
            FLASH_OPTCR,
            plan.old.optcr & !FLASH_OPTCR_OPTSTRT & !FLASH_OPTCR_OPTLOCK,
        );
        return Err(Error::probe(
            "writing FLASH_OPTCR1/FLASH_OPTCR",
            e,
            unchanged,
        ));
    }

    let bound = opts.busy_timeout.unwrap_or(plan.busy_timeout);
    commit(t, plan, optcr, bound, progress)
        .map_err(|e| settle_after_failed_commit(t, plan, bound, e))
}

/// Steps 5–7 from OPTSTRT on: start programming, wait for BSY, check the error flags.
/// Errors carry `OptionsState::Unknown` unless the flags were read; the caller settles them.
fn commit<T: Target + ?Sized>(
    t: &mut T,
    plan: &Plan,
    optcr: u32,
    bound: Duration,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let unknown = LeftState {
        options: OptionsState::Unknown,
        lock: LockState::NotRelocked,
    };
    progress("programming the option bytes (OPTSTRT)");
    let started = Instant::now();
    t.write32(FLASH_OPTCR, optcr | FLASH_OPTCR_OPTSTRT)
        .map_err(|e| Error::probe("starting option programming (OPTSTRT)", e, unknown))?;
    let step = if plan.lowers_rdp() {
        "waiting for option programming and the mass erase (BSY)"
    } else {
        "waiting for option programming (BSY)"
    };
    wait_not_busy(t, bound, step, unknown, progress)?;

    let sr = t
        .read32(FLASH_SR)
        .map_err(|e| Error::probe("reading FLASH_SR after programming", e, unknown))?;
    if sr & FLASH_SR_ERRORS != 0 {
        let _ = t.write32(FLASH_SR, sr & (FLASH_SR_ERRORS | FLASH_SR_EOP));
        let options = stored_state(t, plan);
        return Err(Error::FlashSr {
            sr,
            flags: flash_sr_flag_names(sr),
            state: LeftState {
                options,
                lock: LockState::NotRelocked,
            },
        });
    }
    if sr & FLASH_SR_EOP != 0 {
        let _ = t.write32(FLASH_SR, FLASH_SR_EOP);
    }
    progress(&format!(
        "option bytes programmed in {:.1} s",
        started.elapsed().as_secs_f32()
    ));
    Ok(())
}

/// The link failed somewhere after OPTSTRT was sent, so whether programming started, and how it
/// ended, is not known. Let a running operation finish (bounded, and never for a BSY that already
/// timed out) before the caller relocks, then find out from the option bytes what was committed.
fn settle_after_failed_commit<T: Target + ?Sized>(
    t: &mut T,
    plan: &Plan,
    bound: Duration,
    mut error: Error,
) -> Error {
    let Error::Probe { state, .. } = &mut error else {
        return error;
    };
    if state.options != OptionsState::Unknown {
        return error;
    }
    let waited = wait_not_busy(
        t,
        bound,
        "waiting for option programming after the failed commit (BSY)",
        *state,
        &mut |_| {},
    );
    if let Err(e) = waited {
        log::warn!("{e}");
        return error;
    }
    state.options = stored_state(t, plan);
    log::info!(
        "after the failed commit the option store is {:?}",
        state.options
    );
    error
}

/// After a failed programming step: which values does the option store hold?
fn stored_state<T: Target + ?Sized>(t: &mut T, plan: &Plan) -> OptionsState {
    match read_option_area(t) {
        Ok(area) if area.complement_mismatches().is_empty() => {
            let stored = area.options();
            if stored.same_options(&plan.new) {
                OptionsState::Programmed
            } else if stored.same_options(&plan.old) {
                OptionsState::Unchanged
            } else {
                OptionsState::Unknown
            }
        }
        _ => OptionsState::Unknown,
    }
}

/// Poll FLASH_SR.BSY until clear, at most `bound`.
fn wait_not_busy<T: Target + ?Sized>(
    t: &mut T,
    bound: Duration,
    step: &str,
    state: LeftState,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let start = Instant::now();
    let mut next_report = PROGRESS_INTERVAL;
    let mut failed_reads = 0;
    loop {
        let sr = match t.read32(FLASH_SR) {
            Ok(sr) => {
                failed_reads = 0;
                sr
            }
            // One lost read is no reason to abandon a wait that guards the option store.
            Err(e) if failed_reads < MAX_FAILED_POLLS && start.elapsed() < bound => {
                failed_reads += 1;
                log::warn!("{step}: reading FLASH_SR failed ({e}); polling again");
                t.pause(POLL_INTERVAL);
                continue;
            }
            Err(e) => return Err(Error::probe(format!("{step}: reading FLASH_SR"), e, state)),
        };
        if sr & FLASH_SR_BSY == 0 {
            return Ok(());
        }
        let waited = start.elapsed();
        if waited >= bound {
            return Err(Error::BusyTimeout {
                step: step.to_string(),
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

/// Set OPTLOCK if it is clear, and check that it is set. Setting OPTLOCK is idempotent, so a
/// lost transfer is simply tried again: leaving the register unlocked is the worse outcome.
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
    let optcr = t.read32(FLASH_OPTCR)?;
    if optcr & FLASH_OPTCR_OPTLOCK == 0 {
        // Never write OPTSTRT back while relocking.
        t.write32(
            FLASH_OPTCR,
            (optcr & !FLASH_OPTCR_OPTSTRT) | FLASH_OPTCR_OPTLOCK,
        )?;
        let check = t.read32(FLASH_OPTCR)?;
        if check & FLASH_OPTCR_OPTLOCK == 0 {
            return Err(probe_rs::Error::Other(format!(
                "FLASH_OPTCR.OPTLOCK still clear after setting it (FLASH_OPTCR = {check:#010x})"
            )));
        }
    }
    Ok(())
}

/// Step 9: registers and the stored option bytes hold the new values.
fn verify_programmed<T: Target + ?Sized>(
    t: &mut T,
    plan: &Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<OptionWords, Error> {
    let locked_unknown = LeftState {
        options: OptionsState::Unknown,
        lock: LockState::Locked,
    };
    let regs = read_words(t, "reading back the option registers", locked_unknown)?;
    if !regs.same_options(&plan.new) {
        return Err(Error::VerifyFailed {
            what: "FLASH_OPTCR/FLASH_OPTCR1 after programming".into(),
            expected: words_text(&plan.new),
            actual: words_text(&regs),
            state: locked_unknown,
        });
    }
    match read_option_area(t) {
        Ok(area) => {
            let bad = area.complement_mismatches();
            if let Some(first) = bad.first() {
                return Err(Error::VerifyFailed {
                    what: format!(
                        "option bytes at {:#010x}: value/complement",
                        crate::chip::f7::registers::OPTION_BYTES_BASE + first.offset
                    ),
                    expected: "upper half-word = complement of the lower".into(),
                    actual: format!("{:#010x}", first.word),
                    state: locked_unknown,
                });
            }
            let stored = area.options();
            if !stored.same_options(&plan.new) {
                return Err(Error::VerifyFailed {
                    what: "option bytes at 0x1FFF_0000".into(),
                    expected: words_text(&plan.new),
                    actual: words_text(&stored),
                    state: locked_unknown,
                });
            }
            progress("verified: FLASH_OPTCR/OPTCR1 and the option bytes at 0x1FFF_0000 hold the new values");
        }
        // Readability of 0x1FFF_0000 under RDP level 1 is not established; do not fail on it.
        Err(e) if RdpLevel::from_byte(plan.old.rdp()) != RdpLevel::Level0 => {
            log::warn!("reading the option bytes at 0x1FFF_0000 failed under RDP level 1: {e}");
            progress("verified: FLASH_OPTCR/OPTCR1 hold the new values (0x1FFF_0000 not readable at RDP level 1)");
        }
        Err(source) => {
            return Err(Error::probe(
                "reading back the option bytes at 0x1FFF_0000",
                source,
                locked_unknown,
            ))
        }
    }
    Ok(regs)
}

#[cfg(test)]
#[path = "program_tests.rs"]
mod tests;
