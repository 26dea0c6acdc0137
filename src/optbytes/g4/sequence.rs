//! The G4 option programming sequence (reference §3; RM0440 "Option bytes programming"):
//!
//! halt → freeze the watchdogs → check the chip (DEV_ID, flash size; DBANK only on DEV_ID 0x469)
//! → check that the stored values still match the plan → wait BSY → clear stale error flags →
//! FLASH_KEYR keys only if FLASH_CR.LOCK is set, FLASH_OPTKEYR keys only if OPTLOCK is set (a key
//! written to an unlocked register locks it until reset) → write the option registers that change
//! → OPTSTRT → bounded BSY wait → error flags and OPTVERR → verify the stored image → either
//! relock (LOCK and OPTLOCK) and report the change pending, or OBL_LAUNCH: the chip reloads its
//! options and resets, the debug link drops (the write may not be acknowledged: expected), the
//! engine re-attaches through its [`Link`], halts if asked, re-identifies the chip and verifies
//! the loaded registers and the locks. Every path that unlocked relocks, or says it could not.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::chip::g4::registers::{
    flash_sr_flag_names, FlashRegister, DBGMCU_APB1FZR1, DBGMCU_APB1FZR1_DBG_IWDG_STOP,
    DBGMCU_APB1FZR1_DBG_WWDG_STOP, FLASH_CR_LOCK, FLASH_CR_OBL_LAUNCH, FLASH_CR_OPTLOCK,
    FLASH_CR_OPTSTRT, FLASH_KEY1, FLASH_KEY2, FLASH_OPTKEY1, FLASH_OPTKEY2, FLASH_SR_BSY,
    FLASH_SR_EOP, FLASH_SR_W1C,
};
use crate::chip::g4::G4Options;
use crate::optbytes::apply::{ApplyOptions, CoreAfter};
use crate::optbytes::change::{session, FamilyPlan, Link};
use crate::optbytes::error::{Error, LeftState, LockState, OptionsState};
use crate::optbytes::keys::KeySequence;
use crate::optbytes::target::Target;
use crate::optbytes::watchdogs::FreezeRegister;

use super::plan::{G4Plan, G4PlanError};
use super::read::{
    programmed_options, read_cr, read_identity, read_image, read_image_if_readable, read_registers,
    OPTION_REGISTERS,
};

const HALT_TIMEOUT: Duration = Duration::from_millis(500);
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
const POLL_INTERVAL: Duration = Duration::from_millis(5);
const RELOCK_ATTEMPTS: u32 = 3;
const MAX_FAILED_POLLS: u32 = 3;

/// The errors OPTSTRT can raise: the programming errors plus OPTVERR.
const OPTION_ERRORS: u32 = FLASH_SR_W1C & !FLASH_SR_EOP;

/// How a G4 change ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G4Outcome {
    /// Whether anything was programmed.
    pub written: bool,
    /// Whether OBL_LAUNCH loaded the values and they were verified after re-attaching.
    pub reset: bool,
    /// Programmed but not loaded: takes effect at the next OBL_LAUNCH or power-on.
    pub pending_reset: bool,
    /// The option registers as read at the end.
    pub registers: G4Options,
    /// The core at the end.
    pub core: CoreAfter,
}

impl G4Outcome {
    /// Nothing written.
    pub fn nothing_written(plan: &G4Plan) -> Self {
        G4Outcome {
            written: false,
            reset: false,
            pending_reset: false,
            registers: plan.old,
            core: CoreAfter::Untouched,
        }
    }
}

fn cr() -> u32 {
    FlashRegister::Cr.address()
}
fn sr() -> u32 {
    FlashRegister::Sr.address()
}

/// Program, load (OBL_LAUNCH, re-attach) unless `opts.reset` is false, verify.
pub(crate) fn apply(
    link: &mut dyn Link,
    plan: &G4Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<G4Outcome, Error> {
    plan.check_confirmations(opts.consents)?;
    if plan.is_noop() {
        progress("nothing to write: every field already set as requested");
        return Ok(G4Outcome::nothing_written(plan));
    }
    {
        let session = session(link)?;
        let mut core = session
            .core(0)
            .map_err(|e| Error::probe("opening core 0", e, LeftState::UNTOUCHED))?;
        let programmed = program(&mut core, plan, opts, progress)?;
        if let Some(outcome) = programmed {
            return Ok(outcome);
        }
        launch(&mut core, progress);
        if plan.sets_rdp2() {
            // The reset closes the debug port for good: nothing to attach to.
            return Ok(G4Outcome {
                written: true,
                reset: true,
                pending_reset: false,
                registers: plan.new,
                core: CoreAfter::Unreachable,
            });
        }
    }
    progress("re-attaching after the option load reset");
    let session = link.reattach().map_err(|cause| Error::Reattach {
        cause,
        state: LeftState {
            options: OptionsState::Programmed,
            lock: LockState::NotRelocked,
        },
    })?;
    let mut core = session
        .core(0)
        .map_err(|e| Error::probe("opening core 0 after the option load", e, loaded_state()))?;
    verify_loaded(&mut core, plan, opts, progress)
}

fn loaded_state() -> LeftState {
    LeftState {
        options: OptionsState::Programmed,
        lock: LockState::NotRelocked,
    }
}

/// Everything up to OBL_LAUNCH. `Ok(Some(outcome))`: finished without a load (no-reset, or RDP
/// level 2 launched already); `Ok(None)`: programmed, unlocked, ready for OBL_LAUNCH.
pub(crate) fn program<T: Target + ?Sized>(
    t: &mut T,
    plan: &G4Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Option<G4Outcome>, Error> {
    let untouched = |step: &'static str| move |e| Error::probe(step, e, LeftState::UNTOUCHED);
    let was_halted = t.is_halted().map_err(untouched("reading the core state"))?;
    if !was_halted {
        progress("halting the core");
        if let Err(e) = t.halt_core(HALT_TIMEOUT) {
            if !opts.leave_halted && t.is_halted().unwrap_or(false) {
                let _ = t.run_core();
            }
            return Err(untouched("halting the core")(e));
        }
    }
    let resume = |t: &mut T| {
        if !was_halted && !opts.leave_halted {
            if let Err(e) = t.run_core() {
                log::warn!("could not resume the core after the error: {e}");
            }
        }
    };
    if let Err(e) = check_chip(t, plan, progress) {
        resume(t);
        return Err(e);
    }
    let keep_unlocked = opts.reset;
    let programmed = write_and_start(t, plan, opts, progress);
    let relocked = if programmed.is_err() || !keep_unlocked {
        Some(ensure_locked(t))
    } else {
        None
    };
    match (programmed, relocked) {
        (Ok(()), None) => Ok(None),
        (Ok(()), Some(Ok(()))) => {
            progress("FLASH_CR locked again (LOCK, OPTLOCK)");
            progress("not loaded: the new values are stored and take effect at the next OBL_LAUNCH or power-on (pending)");
            let registers = read_registers(
                t,
                "reading the option registers",
                LeftState {
                    options: OptionsState::Programmed,
                    lock: LockState::Locked,
                },
            )?;
            let core = if opts.leave_halted {
                CoreAfter::Halted
            } else {
                t.run_core().map_err(|e| {
                    Error::probe(
                        "letting the core run",
                        e,
                        LeftState {
                            options: OptionsState::Programmed,
                            lock: LockState::Locked,
                        },
                    )
                })?;
                CoreAfter::Running
            };
            Ok(Some(G4Outcome {
                written: true,
                reset: false,
                pending_reset: true,
                registers,
                core,
            }))
        }
        (Ok(()), Some(Err(e))) => Err(Error::probe(
            "locking FLASH_CR again",
            e,
            LeftState {
                options: OptionsState::Programmed,
                lock: LockState::NotRelocked,
            },
        )),
        (Err(e), Some(Ok(()))) => {
            if e.left_state()
                .is_some_and(|s| s.options == OptionsState::Unchanged)
            {
                resume(t);
            }
            Err(e.with_lock(LockState::Locked))
        }
        (Err(e), _) => {
            log::error!("relocking after an error failed too");
            Err(e.with_lock(LockState::NotRelocked))
        }
    }
}

fn check_chip<T: Target + ?Sized>(
    t: &mut T,
    plan: &G4Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    FreezeRegister {
        address: DBGMCU_APB1FZR1,
        name: "DBGMCU_APB1FZR1",
        bits: DBGMCU_APB1FZR1_DBG_IWDG_STOP | DBGMCU_APB1FZR1_DBG_WWDG_STOP,
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
                "the plan is for {} but the chip reports {}",
                plan.part.describe(),
                identity.describe()
            ),
            state: LeftState::UNTOUCHED,
        });
    }
    // DBANK only where bit 22 is DBANK: DEV_ID 0x469, read from the chip just now.
    if plan.changes_bank_mode() {
        part.line
            .check_dbank()
            .map_err(|r| Error::from(G4PlanError::Refused(r.into())))?;
    }
    progress(&format!("chip checked: {}", identity.describe()));
    Ok(())
}

fn store_state<T: Target + ?Sized>(t: &mut T, plan: &G4Plan) -> OptionsState {
    match read_image(t) {
        Ok(image) if image.mismatches().is_empty() && image.options() == plan.old => {
            OptionsState::Unchanged
        }
        Ok(image) if image.mismatches().is_empty() && image.options() == plan.new => {
            OptionsState::Programmed
        }
        _ => OptionsState::Unknown,
    }
}

fn write_and_start<T: Target + ?Sized>(
    t: &mut T,
    plan: &G4Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let unchanged = LeftState {
        options: OptionsState::Unchanged,
        lock: LockState::NotRelocked,
    };
    let current = read_registers(t, "reading the option registers", unchanged)?;
    let stored = read_image_if_readable(t);
    let programmed = programmed_options(current, stored.as_ref());
    if programmed != plan.old {
        return Err(Error::StaleOptions {
            planned: format!("FLASH_OPTR {:#010x}", plan.old.optr),
            found: format!("FLASH_OPTR {:#010x}", programmed.optr),
            state: unchanged,
        });
    }
    wait_not_busy(
        t,
        IDLE_TIMEOUT,
        "waiting for a previous flash operation to finish",
        unchanged,
    )?;
    let sr_now = t
        .read32(sr())
        .map_err(|e| Error::probe("reading FLASH_SR", e, unchanged))?;
    let stale = sr_now & FLASH_SR_W1C;
    if stale != 0 {
        t.write32(sr(), stale)
            .map_err(|e| Error::probe("clearing stale FLASH_SR flags", e, unchanged))?;
        progress(&format!(
            "cleared stale FLASH_SR flags: {}",
            flash_sr_flag_names(stale).join(", ")
        ));
    }
    unlock(t, unchanged, progress)?;
    for reg in OPTION_REGISTERS {
        let (now, new) = (current.register(reg), plan.new.register(reg));
        if now != new {
            let new = new.expect("option register");
            t.write32(reg.address(), new)
                .map_err(|e| Error::probe(format!("writing {}", reg.name()), e, unchanged))?;
            progress(&format!("{} ← {new:#010x}", reg.name()));
        }
    }
    let unknown = LeftState {
        options: OptionsState::Unknown,
        lock: LockState::NotRelocked,
    };
    let cr_now = t
        .read32(cr())
        .map_err(|e| Error::probe("reading FLASH_CR", e, unchanged))?;
    progress("committing: FLASH_CR.OPTSTRT");
    t.write32(cr(), cr_now | FLASH_CR_OPTSTRT)
        .map_err(|e| Error::probe("setting FLASH_CR.OPTSTRT", e, unknown))?;
    let bound = opts.busy_timeout.unwrap_or(plan.busy_timeout);
    wait_not_busy(t, bound, "waiting for option programming", unknown)?;
    let flags = t
        .read32(sr())
        .map_err(|e| Error::probe("reading FLASH_SR", e, unknown))?;
    if flags & OPTION_ERRORS != 0 {
        let _ = t.write32(sr(), flags & OPTION_ERRORS);
        let options = store_state(t, plan);
        return Err(Error::FlashSr {
            sr: flags,
            flags: flash_sr_flag_names(flags & OPTION_ERRORS),
            state: LeftState {
                options,
                lock: LockState::NotRelocked,
            },
        });
    }
    let programmed_state = LeftState {
        options: OptionsState::Programmed,
        lock: LockState::NotRelocked,
    };
    match read_image(t) {
        Ok(image) => {
            if let Some(m) = image.mismatches().first() {
                return Err(Error::VerifyFailed {
                    what: format!("option bytes at {:#010x}: value/complement", m.address),
                    expected: "the second word is the complement of the first".into(),
                    actual: format!("{:#010x}/{:#010x}", m.value, m.complement),
                    state: LeftState {
                        options: OptionsState::Unknown,
                        lock: LockState::NotRelocked,
                    },
                });
            }
            if image.options() != plan.new {
                return Err(Error::VerifyFailed {
                    what: "option bytes at 0x1FFF_7800".into(),
                    expected: format!("FLASH_OPTR {:#010x}", plan.new.optr),
                    actual: format!("FLASH_OPTR {:#010x}", image.options().optr),
                    state: LeftState {
                        options: OptionsState::Unknown,
                        lock: LockState::NotRelocked,
                    },
                });
            }
            progress("verified: the option bytes at 0x1FFF_7800/0x1FFF_F800 hold the new values");
        }
        Err(e) => {
            log::warn!("reading the stored option bytes failed: {e}");
            let _ = programmed_state;
            progress("the stored option bytes could not be read back; the load verifies them");
        }
    }
    Ok(())
}

/// KEYR only if LOCK, OPTKEYR only if OPTLOCK: a key on an unlocked register locks it until reset.
fn unlock<T: Target + ?Sized>(
    t: &mut T,
    unchanged: LeftState,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let cr_now = read_cr(t, unchanged)?;
    if cr_now & FLASH_CR_LOCK != 0 {
        write_keys(
            t,
            FlashRegister::Keyr,
            FLASH_KEY1,
            FLASH_KEY2,
            FLASH_CR_LOCK,
            unchanged,
        )?;
        progress("FLASH_CR unlocked (FLASH_KEYR)");
    }
    let cr_now = read_cr(t, unchanged)?;
    if cr_now & FLASH_CR_LOCK != 0 {
        return Err(Error::LockStuck {
            lock_bit: "FLASH_CR.LOCK",
            key_register: "FLASH_KEYR",
            state: unchanged,
        });
    }
    if cr_now & FLASH_CR_OPTLOCK != 0 {
        write_keys(
            t,
            FlashRegister::Optkeyr,
            FLASH_OPTKEY1,
            FLASH_OPTKEY2,
            FLASH_CR_OPTLOCK,
            unchanged,
        )?;
        progress("option registers unlocked (FLASH_OPTKEYR)");
    }
    let cr_now = read_cr(t, unchanged)?;
    if cr_now & FLASH_CR_OPTLOCK != 0 {
        return Err(Error::LockStuck {
            lock_bit: "FLASH_CR.OPTLOCK",
            key_register: "FLASH_OPTKEYR",
            state: unchanged,
        });
    }
    Ok(())
}

fn write_keys<T: Target + ?Sized>(
    t: &mut T,
    register: FlashRegister,
    key1: u32,
    key2: u32,
    lock_bit: u32,
    unchanged: LeftState,
) -> Result<(), Error> {
    KeySequence {
        register: register.address(),
        name: register.name(),
        keys: [key1, key2],
        lock_register: cr(),
        lock_bit,
    }
    .write(t, &format!("unlocking ({})", register.name()), unchanged)
}

fn wait_not_busy<T: Target + ?Sized>(
    t: &mut T,
    bound: Duration,
    step: &str,
    state: LeftState,
) -> Result<(), Error> {
    let start = Instant::now();
    let mut failed = 0;
    loop {
        match t.read32(sr()) {
            Ok(v) if v & FLASH_SR_BSY == 0 => return Ok(()),
            Ok(_) => failed = 0,
            Err(e) => {
                failed += 1;
                if failed >= MAX_FAILED_POLLS {
                    return Err(Error::probe(step.to_string(), e, state));
                }
            }
        }
        if start.elapsed() >= bound {
            return Err(Error::BusyTimeout {
                step: step.to_string(),
                waited: start.elapsed(),
                state,
            });
        }
        t.pause(POLL_INTERVAL);
    }
}

/// Set LOCK (which also locks the option registers) and OPTLOCK, and check.
pub(crate) fn ensure_locked<T: Target + ?Sized>(t: &mut T) -> Result<(), probe_rs::Error> {
    let mut last = None;
    for _ in 0..RELOCK_ATTEMPTS {
        let attempt = (|| {
            let v = t.read32(cr())?;
            if v & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK) != (FLASH_CR_LOCK | FLASH_CR_OPTLOCK) {
                t.write32(cr(), v | FLASH_CR_OPTLOCK | FLASH_CR_LOCK)?;
            }
            let v = t.read32(cr())?;
            if v & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK) == (FLASH_CR_LOCK | FLASH_CR_OPTLOCK) {
                Ok(true)
            } else {
                Ok(false)
            }
        })();
        match attempt {
            Ok(true) => return Ok(()),
            Ok(false) => {
                last = Some(probe_rs::Error::Other(
                    "FLASH_CR.LOCK/OPTLOCK read back clear".into(),
                ))
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.expect("at least one attempt"))
}

/// OBL_LAUNCH: the chip reloads its options and resets; the write's acknowledgement may be lost.
pub(crate) fn launch<T: Target + ?Sized>(t: &mut T, progress: &mut dyn FnMut(&str)) {
    progress(
        "loading the new values: FLASH_CR.OBL_LAUNCH (the chip resets and the debug link drops)",
    );
    let value = t.read32(cr()).unwrap_or(0) & !(FLASH_CR_OPTSTRT) | FLASH_CR_OBL_LAUNCH;
    if let Err(e) = t.write32(cr(), value) {
        log::info!("the write that set OBL_LAUNCH reported {e} (expected: the chip reset)");
    }
}

/// After re-attaching: halt if asked, re-identify, check the loaded registers and the locks.
pub(crate) fn verify_loaded<T: Target + ?Sized>(
    t: &mut T,
    plan: &G4Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<G4Outcome, Error> {
    let state = loaded_state();
    if opts.leave_halted && !t.is_halted().unwrap_or(false) {
        t.halt_core(HALT_TIMEOUT)
            .map_err(|e| Error::probe("halting the core after the option load", e, state))?;
    }
    // Read after the load: an error here leaves the new values programmed, not "untouched".
    let identity = read_identity(t).map_err(|e| e.with_state(state))?;
    if identity.part().ok() != Some(plan.part) {
        return Err(Error::WrongChip {
            detail: format!(
                "after the option load the chip reports {}",
                identity.describe()
            ),
            state,
        });
    }
    let cr_now = read_cr(t, state)?;
    if cr_now & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK) != (FLASH_CR_LOCK | FLASH_CR_OPTLOCK) {
        // No reset happened: the write of OBL_LAUNCH was lost. Relock and say so.
        let lock = match ensure_locked(t) {
            Ok(()) => LockState::Locked,
            Err(_) => LockState::NotRelocked,
        };
        return Err(Error::VerifyFailed {
            what: "FLASH_CR after OBL_LAUNCH".into(),
            expected: "LOCK and OPTLOCK set by the option load reset".into(),
            actual: format!("{cr_now:#010x} (the chip did not reset: values not loaded)"),
            state: LeftState {
                options: OptionsState::Programmed,
                lock,
            },
        });
    }
    let locked = LeftState {
        options: OptionsState::Programmed,
        lock: LockState::Locked,
    };
    let loaded = read_registers(
        t,
        "reading the option registers after the option load",
        locked,
    )?;
    if loaded != plan.new {
        return Err(Error::VerifyFailed {
            what: "option registers after OBL_LAUNCH".into(),
            expected: format!("FLASH_OPTR {:#010x}", plan.new.optr),
            actual: format!("FLASH_OPTR {:#010x}", loaded.optr),
            state: locked,
        });
    }
    progress(&format!(
        "verified after the option load: FLASH_OPTR = {:#010x} loaded, FLASH_CR locked",
        loaded.optr
    ));
    let core = if opts.leave_halted {
        progress("core left halted");
        CoreAfter::Halted
    } else {
        if t.is_halted().unwrap_or(false) {
            t.run_core()
                .map_err(|e| Error::probe("letting the core run", e, locked))?;
        }
        progress("core running");
        CoreAfter::Running
    };
    Ok(G4Outcome {
        written: true,
        reset: true,
        pending_reset: false,
        registers: loaded,
        core,
    })
}

#[cfg(test)]
#[path = "sequence_tests.rs"]
mod tests;
