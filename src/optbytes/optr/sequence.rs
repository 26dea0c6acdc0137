//! The option programming sequence of the OPTR controller (reference §3; RM0440 "Option bytes
//! programming"), for every family that has one:
//!
//! halt → freeze the watchdogs → check the chip (DEV_ID, flash size, the family's own check)
//! → check that the stored values still match the plan → wait BSY → clear stale error flags →
//! FLASH_KEYR keys only if FLASH_CR.LOCK is set, FLASH_OPTKEYR keys only if OPTLOCK is set (a key
//! written to an unlocked register locks it until reset) → write the option registers that change
//! → OPTSTRT → bounded BSY wait → error flags and OPTVERR → verify the stored image → either
//! relock (LOCK and OPTLOCK) and report the change pending, or OBL_LAUNCH: the chip reloads its
//! options and resets, the debug link drops (the write may not be acknowledged: expected), the
//! engine re-attaches through its [`Link`], halts if asked, re-identifies the chip and verifies
//! the loaded registers and the locks. Every path that unlocked relocks, or says it could not.

use std::time::{Duration, Instant};

use crate::chip::keys::{FLASH_KEY1, FLASH_KEY2, FLASH_OPTKEY1, FLASH_OPTKEY2};
use crate::optbytes::apply::{ApplyOptions, CoreAfter};
use crate::optbytes::change::{session, FamilyPlan, Link};
use crate::optbytes::error::{Error, LeftState, LockState, OptionsState};
use crate::optbytes::keys::KeySequence;
use crate::optbytes::target::Target;

use super::{Controller, OptrFamily, OptrOutcome, Register};

const HALT_TIMEOUT: Duration = Duration::from_millis(500);
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
const POLL_INTERVAL: Duration = Duration::from_millis(5);
const RELOCK_ATTEMPTS: u32 = 3;
const MAX_FAILED_POLLS: u32 = 3;

/// The outcome of `F`'s change.
type Outcome<F> = OptrOutcome<<F as OptrFamily>::Options>;

/// Program, load (OBL_LAUNCH, re-attach) unless `opts.reset` is false, verify.
pub(crate) fn apply<F: OptrFamily>(
    family: &F,
    link: &mut dyn Link,
    plan: &F::Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Outcome<F>, Error> {
    plan.check_confirmations(opts.consents)?;
    if plan.is_noop() {
        progress("nothing to write: every field already set as requested");
        return Ok(OptrOutcome::unwritten(family.planned_from(plan)));
    }
    {
        let session = session(link)?;
        let mut core = session
            .core(0)
            .map_err(|e| Error::probe("opening core 0", e, LeftState::UNTOUCHED))?;
        let programmed = program(family, &mut core, plan, opts, progress)?;
        if let Some(outcome) = programmed {
            return Ok(outcome);
        }
        launch(family.controller(), &mut core, progress);
        if family.sets_rdp2(plan) {
            // The reset closes the debug port for good: nothing to attach to.
            return Ok(OptrOutcome {
                written: true,
                reset: true,
                pending_reset: false,
                registers: family.planned(plan),
                core: CoreAfter::Unreachable,
            });
        }
    }
    progress("re-attaching after the option load reset");
    let session = link.reattach().map_err(|cause| Error::Reattach {
        cause,
        state: loaded_state(),
    })?;
    let mut core = session
        .core(0)
        .map_err(|e| Error::probe("opening core 0 after the option load", e, loaded_state()))?;
    verify_loaded(family, &mut core, plan, opts, progress)
}

/// Called with the error of [`apply`], when the load was asked for: FLASH_OPTR keeps the new bank
/// bits while the chip runs the layout it loaded, and the stored image holds the same values, so
/// nothing on the chip would tell erase and `load` that the layout they read is not the one in
/// force — and a retry would find nothing to change. When the plan changes the layout
/// ([`OptrFamily::layout_change`]), the image is known to hold the new values and the controller
/// is idle, the load still happens (keys only where locked, OBL_LAUNCH, re-attach) and is
/// verified as after a clean run; otherwise (busy, image unknown or unchanged, RDP level 2), or
/// when that fails too, the first error stands.
pub(crate) fn load_layout_after_error<F: OptrFamily>(
    family: &F,
    link: &mut dyn Link,
    plan: &F::Plan,
    opts: &ApplyOptions,
    error: Error,
    progress: &mut dyn FnMut(&str),
) -> Result<Outcome<F>, Error> {
    let Some(bits) = family.layout_change(plan) else {
        return Err(error);
    };
    if !opts.reset || family.sets_rdp2(plan) {
        return Err(error);
    }
    let options = error.left_state().map(|s| s.options);
    if options == Some(OptionsState::Unchanged) || options.is_none() {
        return Err(error);
    }
    let c = family.controller();
    let launched = (|| -> Option<()> {
        let session = link.session().ok()?;
        let mut core = session.core(0).ok()?;
        let idle = core.read32(c.sr.address).is_ok_and(|sr| sr & c.busy == 0);
        if !idle || store_state(family, &mut core, plan) != OptionsState::Programmed {
            return None;
        }
        progress(&format!("the option store holds the new {bits}: loading it anyway (OBL_LAUNCH) so that the flash layout the chip runs is the one FLASH_OPTR names"));
        if let Err(e) = unlock(c, &mut core, loaded_state(), progress) {
            log::warn!("unlocking for the option load after the error failed: {e}");
            let _ = ensure_locked(c, &mut core);
            return None;
        }
        launch(c, &mut core, progress);
        Some(())
    })();
    if launched.is_none() {
        return Err(error);
    }
    let verified = (|| {
        progress("re-attaching after the option load reset");
        let session = link.reattach().ok()?;
        let mut core = session.core(0).ok()?;
        verify_loaded(family, &mut core, plan, opts, progress)
            .inspect_err(|e| log::warn!("the option load after the error: {e}"))
            .ok()
    })();
    match verified {
        Some(outcome) => {
            log::info!("recovered from {error}: the new values are loaded and verified");
            Ok(outcome)
        }
        None => Err(error),
    }
}

fn loaded_state() -> LeftState {
    LeftState {
        options: OptionsState::Programmed,
        lock: LockState::NotRelocked,
    }
}

/// Everything up to OBL_LAUNCH. `Ok(Some(outcome))`: finished without a load (no-reset);
/// `Ok(None)`: programmed, unlocked, ready for OBL_LAUNCH.
pub(crate) fn program<F: OptrFamily, T: Target + ?Sized>(
    family: &F,
    t: &mut T,
    plan: &F::Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Option<Outcome<F>>, Error> {
    let c = family.controller();
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
    if let Err(e) = check_chip(family, t, plan, progress) {
        resume(t);
        return Err(e);
    }
    let keep_unlocked = opts.reset;
    let programmed = write_and_start(family, t, plan, opts, progress);
    let relocked = if programmed.is_err() || !keep_unlocked {
        Some(ensure_locked(c, t))
    } else {
        None
    };
    match (programmed, relocked) {
        (Ok(()), None) => Ok(None),
        (Ok(()), Some(Ok(()))) => {
            let locked = LeftState {
                options: OptionsState::Programmed,
                lock: LockState::Locked,
            };
            progress(&format!("{} locked again (LOCK, OPTLOCK)", c.cr.name));
            progress("not loaded: the new values are stored and take effect at the next OBL_LAUNCH or power-on (pending)");
            let registers = family.read_options(t, "reading the option registers", locked)?;
            let core = if opts.leave_halted {
                CoreAfter::Halted
            } else {
                t.run_core()
                    .map_err(|e| Error::probe("letting the core run", e, locked))?;
                CoreAfter::Running
            };
            Ok(Some(OptrOutcome {
                written: true,
                reset: false,
                pending_reset: true,
                registers,
                core,
            }))
        }
        (Ok(()), Some(Err(e))) => Err(Error::probe(
            format!("locking {} again", c.cr.name),
            e,
            loaded_state(),
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

fn check_chip<F: OptrFamily, T: Target + ?Sized>(
    family: &F,
    t: &mut T,
    plan: &F::Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    family.controller().freeze.freeze(t, progress)?;
    let (part, chip) = family.identify(t)?;
    let part = part?;
    if part != family.part(plan) {
        return Err(Error::WrongChip {
            detail: format!(
                "the plan is for {} but the chip reports {chip}",
                family.describe(&family.part(plan))
            ),
            state: LeftState::UNTOUCHED,
        });
    }
    family.check_part(&part, plan)?;
    progress(&format!("chip checked: {chip}"));
    Ok(())
}

fn store_state<F: OptrFamily, T: Target + ?Sized>(
    family: &F,
    t: &mut T,
    plan: &F::Plan,
) -> OptionsState {
    match family.read_image(t) {
        Ok(image) if family.image_mismatch(&image).is_none() => {
            let stored = family.image_options(&image);
            if stored == family.planned_from(plan) {
                OptionsState::Unchanged
            } else if stored == family.planned(plan) {
                OptionsState::Programmed
            } else {
                OptionsState::Unknown
            }
        }
        _ => OptionsState::Unknown,
    }
}

/// The options the next option load brings: the stored image when its complements check out,
/// else the registers.
pub(crate) fn programmed_options<F: OptrFamily>(
    family: &F,
    registers: F::Options,
    stored: Option<&F::Image>,
) -> F::Options {
    match stored {
        Some(image) if family.image_mismatch(image).is_none() => family.image_options(image),
        _ => registers,
    }
}

fn write_and_start<F: OptrFamily, T: Target + ?Sized>(
    family: &F,
    t: &mut T,
    plan: &F::Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let c = family.controller();
    let unchanged = LeftState {
        options: OptionsState::Unchanged,
        lock: LockState::NotRelocked,
    };
    let current = family.read_options(t, "reading the option registers", unchanged)?;
    let stored = family
        .read_image(t)
        .inspect_err(|e| log::warn!("could not read the option bytes at {}: {e}", c.image))
        .ok();
    let programmed = programmed_options(family, current, stored.as_ref());
    let old = family.planned_from(plan);
    if programmed != old {
        return Err(Error::StaleOptions {
            planned: format!("FLASH_OPTR {:#010x}", family.optr(&old)),
            found: format!("FLASH_OPTR {:#010x}", family.optr(&programmed)),
            state: unchanged,
        });
    }
    wait_not_busy(
        c,
        t,
        IDLE_TIMEOUT,
        "waiting for a previous flash operation to finish",
        unchanged,
    )?;
    clear_stale_flags(c, t, unchanged, progress)?;
    unlock(c, t, unchanged, progress)?;
    let now = family.registers(&current);
    for ((register, new), (_, was)) in family.registers(&family.planned(plan)).into_iter().zip(now)
    {
        if was != new {
            t.write32(register.address, new)
                .map_err(|e| Error::probe(format!("writing {}", register.name), e, unchanged))?;
            progress(&format!("{} ← {new:#010x}", register.name));
        }
    }
    start(family, t, plan, opts, progress, unchanged)?;
    verify_image(family, t, plan, progress)
}

/// Clears the write-1-to-clear flags a previous operation left in FLASH_SR.
fn clear_stale_flags<T: Target + ?Sized>(
    c: &Controller,
    t: &mut T,
    unchanged: LeftState,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let sr = c.sr;
    let sr_now = t
        .read32(sr.address)
        .map_err(|e| Error::probe(format!("reading {}", sr.name), e, unchanged))?;
    let stale = sr_now & c.w1c;
    if stale != 0 {
        t.write32(sr.address, stale)
            .map_err(|e| Error::probe(format!("clearing stale {} flags", sr.name), e, unchanged))?;
        progress(&format!(
            "cleared stale {} flags: {}",
            sr.name,
            (c.flag_names)(stale).join(", ")
        ));
    }
    Ok(())
}

/// OPTSTRT, the bounded BSY wait, the error flags.
fn start<F: OptrFamily, T: Target + ?Sized>(
    family: &F,
    t: &mut T,
    plan: &F::Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
    unchanged: LeftState,
) -> Result<(), Error> {
    let c = family.controller();
    let unknown = LeftState {
        options: OptionsState::Unknown,
        lock: LockState::NotRelocked,
    };
    let cr_now = t
        .read32(c.cr.address)
        .map_err(|e| Error::probe(format!("reading {}", c.cr.name), e, unchanged))?;
    progress(&format!("committing: {}.OPTSTRT", c.cr.name));
    t.write32(c.cr.address, cr_now | c.optstrt)
        .map_err(|e| Error::probe(format!("setting {}.OPTSTRT", c.cr.name), e, unknown))?;
    let bound = opts.busy_timeout.unwrap_or(family.busy_timeout(plan));
    wait_not_busy(c, t, bound, "waiting for option programming", unknown)?;
    let flags = t
        .read32(c.sr.address)
        .map_err(|e| Error::probe(format!("reading {}", c.sr.name), e, unknown))?;
    let errors = c.w1c & !c.eop;
    if flags & errors != 0 {
        let _ = t.write32(c.sr.address, flags & errors);
        let options = store_state(family, t, plan);
        return Err(Error::FlashSr {
            sr: flags,
            flags: (c.flag_names)(flags & errors),
            state: LeftState {
                options,
                lock: LockState::NotRelocked,
            },
        });
    }
    Ok(())
}

/// The stored image after OPTSTRT: its complements, then the values.
fn verify_image<F: OptrFamily, T: Target + ?Sized>(
    family: &F,
    t: &mut T,
    plan: &F::Plan,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let c = family.controller();
    let unknown = LeftState {
        options: OptionsState::Unknown,
        lock: LockState::NotRelocked,
    };
    match family.read_image(t) {
        Ok(image) => {
            if let Some(m) = family.image_mismatch(&image) {
                return Err(Error::VerifyFailed {
                    what: format!("option bytes at {:#010x}: value/complement", m.address),
                    expected: "the second word is the complement of the first".into(),
                    actual: format!("{:#010x}/{:#010x}", m.value, m.complement),
                    state: unknown,
                });
            }
            let stored = family.image_options(&image);
            let new = family.planned(plan);
            if stored != new {
                return Err(Error::VerifyFailed {
                    what: format!("option bytes at {}", c.image),
                    expected: format!("FLASH_OPTR {:#010x}", family.optr(&new)),
                    actual: format!("FLASH_OPTR {:#010x}", family.optr(&stored)),
                    state: unknown,
                });
            }
            progress(&format!(
                "verified: the option bytes at {} hold the new values",
                c.image
            ));
        }
        Err(e) => {
            log::warn!("reading the stored option bytes failed: {e}");
            progress("the stored option bytes could not be read back; the load verifies them");
        }
    }
    Ok(())
}

/// KEYR only if LOCK, OPTKEYR only if OPTLOCK: a key on an unlocked register locks it until reset.
fn unlock<T: Target + ?Sized>(
    c: &Controller,
    t: &mut T,
    unchanged: LeftState,
    progress: &mut dyn FnMut(&str),
) -> Result<(), Error> {
    let cr_now = read_cr(c, t, unchanged)?;
    if cr_now & c.lock != 0 {
        let keys = [FLASH_KEY1, FLASH_KEY2];
        write_keys(c, t, c.keyr, keys, c.lock, unchanged)?;
        progress(&format!("{} unlocked ({})", c.cr.name, c.keyr.name));
    }
    let cr_now = read_cr(c, t, unchanged)?;
    if cr_now & c.lock != 0 {
        return Err(Error::LockStuck {
            lock_bit: c.lock_name,
            key_register: c.keyr.name,
            state: unchanged,
        });
    }
    if cr_now & c.optlock != 0 {
        let keys = [FLASH_OPTKEY1, FLASH_OPTKEY2];
        write_keys(c, t, c.optkeyr, keys, c.optlock, unchanged)?;
        progress(&format!("option registers unlocked ({})", c.optkeyr.name));
    }
    let cr_now = read_cr(c, t, unchanged)?;
    if cr_now & c.optlock != 0 {
        return Err(Error::LockStuck {
            lock_bit: c.optlock_name,
            key_register: c.optkeyr.name,
            state: unchanged,
        });
    }
    Ok(())
}

fn read_cr<T: Target + ?Sized>(c: &Controller, t: &mut T, state: LeftState) -> Result<u32, Error> {
    read_retrying(t, c.cr.address)
        .map_err(|e| Error::probe(format!("reading {}", c.cr.name), e, state))
}

/// A read tried twice: these reads have no side effects.
pub(crate) fn read_retrying<T: Target + ?Sized>(
    t: &mut T,
    address: u32,
) -> Result<u32, probe_rs::Error> {
    t.read32(address).or_else(|e| {
        log::warn!("reading {address:#010x} failed ({e}); trying once more");
        t.read32(address)
    })
}

fn write_keys<T: Target + ?Sized>(
    c: &Controller,
    t: &mut T,
    register: Register,
    keys: [u32; 2],
    lock_bit: u32,
    unchanged: LeftState,
) -> Result<(), Error> {
    KeySequence {
        register: register.address,
        name: register.name,
        keys,
        lock_register: c.cr.address,
        lock_bit,
    }
    .write(t, &format!("unlocking ({})", register.name), unchanged)
}

fn wait_not_busy<T: Target + ?Sized>(
    c: &Controller,
    t: &mut T,
    bound: Duration,
    step: &str,
    state: LeftState,
) -> Result<(), Error> {
    let start = Instant::now();
    let mut failed = 0;
    loop {
        match t.read32(c.sr.address) {
            Ok(v) if v & c.busy == 0 => return Ok(()),
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
pub(crate) fn ensure_locked<T: Target + ?Sized>(
    c: &Controller,
    t: &mut T,
) -> Result<(), probe_rs::Error> {
    let locks = c.lock | c.optlock;
    let mut last = None;
    for _ in 0..RELOCK_ATTEMPTS {
        let attempt = (|| {
            let v = t.read32(c.cr.address)?;
            if v & locks != locks {
                t.write32(c.cr.address, v | locks)?;
            }
            Ok(t.read32(c.cr.address)? & locks == locks)
        })();
        match attempt {
            Ok(true) => return Ok(()),
            Ok(false) => {
                last = Some(probe_rs::Error::Other(format!(
                    "{}.LOCK/OPTLOCK read back clear",
                    c.cr.name
                )))
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| probe_rs::Error::Other("no relock attempt was made".into())))
}

/// OBL_LAUNCH: the chip reloads its options and resets; the write's acknowledgement may be lost.
pub(crate) fn launch<T: Target + ?Sized>(
    c: &Controller,
    t: &mut T,
    progress: &mut dyn FnMut(&str),
) {
    progress(&format!(
        "loading the new values: {}.OBL_LAUNCH (the chip resets and the debug link drops)",
        c.cr.name
    ));
    let value = t.read32(c.cr.address).unwrap_or(0) & !c.optstrt | c.obl_launch;
    if let Err(e) = t.write32(c.cr.address, value) {
        log::info!("the write that set OBL_LAUNCH reported {e} (expected: the chip reset)");
    }
}

/// After re-attaching: halt if asked, re-identify, check the loaded registers and the locks.
pub(crate) fn verify_loaded<F: OptrFamily, T: Target + ?Sized>(
    family: &F,
    t: &mut T,
    plan: &F::Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<Outcome<F>, Error> {
    let c = family.controller();
    let state = loaded_state();
    if opts.leave_halted && !t.is_halted().unwrap_or(false) {
        t.halt_core(HALT_TIMEOUT)
            .map_err(|e| Error::probe("halting the core after the option load", e, state))?;
    }
    // Read after the load: an error here leaves the new values programmed, not "untouched".
    let (part, chip) = family.identify(t).map_err(|e| e.with_state(state))?;
    if part.ok() != Some(family.part(plan)) {
        return Err(Error::WrongChip {
            detail: format!("after the option load the chip reports {chip}"),
            state,
        });
    }
    let locks = c.lock | c.optlock;
    let cr_now = read_cr(c, t, state)?;
    if cr_now & locks != locks {
        // No reset happened: the write of OBL_LAUNCH was lost. Relock and say so.
        let lock = match ensure_locked(c, t) {
            Ok(()) => LockState::Locked,
            Err(_) => LockState::NotRelocked,
        };
        return Err(Error::VerifyFailed {
            what: format!("{} after OBL_LAUNCH", c.cr.name),
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
    let loaded = family.read_options(
        t,
        "reading the option registers after the option load",
        locked,
    )?;
    let new = family.planned(plan);
    if loaded != new {
        return Err(Error::VerifyFailed {
            what: "option registers after OBL_LAUNCH".into(),
            expected: format!("FLASH_OPTR {:#010x}", family.optr(&new)),
            actual: format!("FLASH_OPTR {:#010x}", family.optr(&loaded)),
            state: locked,
        });
    }
    progress(&format!(
        "verified after the option load: FLASH_OPTR = {:#010x} loaded, {} locked",
        family.optr(&loaded),
        c.cr.name
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
    Ok(OptrOutcome {
        written: true,
        reset: true,
        pending_reset: false,
        registers: loaded,
        core,
    })
}
