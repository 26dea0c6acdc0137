//! The one change path. Every caller — the CLI, the GDB monitor, a library user — puts what its
//! user asked for into a [`Request`], hands it to [`change_with`] with its family's steps
//! ([`FamilySteps`]; the edges do so through [`super::OptionFamily`]), and words the [`Report`]
//! or the refusal ([`Error`]) in its own terms. The steps (read and identify, plan, dry run,
//! confirmations, apply with load and verify) happen here, once, in this order:
//!
//! 1. attach ([`Link::session`]), read, identify the part against the target name;
//! 2. `Show`: refuse a field the part does not have, else report the snapshot;
//! 3. plan, shown to the caller as [`Event::Planned`] before anything else happens; without the
//!    load (`reset: false`), refuse a change the family will not leave pending
//!    ([`FamilyPlan::check_left_pending`]: a bank bit whose register would name a flash layout
//!    the chip does not run until the load);
//! 4. dry run: report the plan and the confirmations a real run would still need — never write;
//! 5. nothing to change: report it, touch nothing;
//! 6. refuse if a confirmation is missing;
//! 7. the family's apply step: its programming sequence, the load of the new values and their
//!    verification ([`FamilySteps::apply`]).
//!
//! Validity comes before confirmation: a request the chip makes impossible (a field the part
//! does not have, a chip already at RDP level 2, a bank mode the part lacks) is refused as such,
//! never first with "confirm with `--yes`" and only then as impossible. Reading the chip to find
//! out is harmless; nothing is written before step 7. RDP level 2 too is refused at step 6 when
//! its two confirmations are missing.

use probe_rs::Session;

use super::apply::ApplyOptions;
use super::confirm::{Confirmation, Consents};
use super::error::{AttachError, Error, LeftState};

/// Where the engine gets its debug session from: asked first, since every refusal but a
/// malformed request (refused by the caller's parser) depends on the chip.
pub trait Link {
    /// The session, opened on first use.
    fn session(&mut self) -> Result<&mut Session, AttachError>;

    /// Give up the session and attach again, for a family whose option load resets the chip and
    /// drops the debug link (STM32G4's OBL_LAUNCH). F76x/F77x loads its options with a system
    /// reset that keeps the link and never calls this.
    fn reattach(&mut self) -> Result<&mut Session, AttachError> {
        Err("this connection cannot attach again after the chip dropped the debug link".into())
    }
}

/// How long attaching again in place may keep failing (the chip is coming out of reset).
const REATTACH_BOUND: std::time::Duration = std::time::Duration::from_secs(5);
/// Pause between attempts.
const REATTACH_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// A session the caller already holds (the GDB server's). Attaching again happens in place:
/// the same probe's debug port is initialised again (probe-rs `reinitialize`, what its own
/// reset sequences do when a reset disables the debug port), then core 0 must answer.
impl Link for Session {
    fn session(&mut self) -> Result<&mut Session, AttachError> {
        Ok(self)
    }

    fn reattach(&mut self) -> Result<&mut Session, AttachError> {
        let start = std::time::Instant::now();
        loop {
            let attempt: Result<(), AttachError> = (|| {
                self.get_arm_interface()?.reinitialize()?;
                self.core(0)?.status()?;
                Ok(())
            })();
            match attempt {
                Ok(()) => return Ok(self),
                Err(e) if start.elapsed() < REATTACH_BOUND => {
                    log::info!("attaching again in place failed ({e}); retrying");
                    std::thread::sleep(REATTACH_PAUSE);
                }
                Err(e) => {
                    return Err(format!(
                        "the debug port did not come back within {} s: {e}",
                        REATTACH_BOUND.as_secs()
                    )
                    .into())
                }
            }
        }
    }
}

/// What is asked for. `C` is the family's change type and `F` its field type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<C, F> {
    /// Read and decode the option bytes; with a field, refuse when this part does not have it
    /// (`ndbank` on an STM32F74x, `DBANK` on an STM32G43x).
    Show {
        /// The field the caller is about to show on its own, if any.
        field: Option<F>,
    },
    /// Change these fields under one programming operation.
    Change(Vec<C>),
}

/// What the core does once the change is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunAfter {
    /// Let it run (a one-shot tool hands the board back).
    Run,
    /// Leave it as it was found: halted stays halted, running runs (a debugger).
    AsFound,
}

/// One request to the option-byte engine, for the family whose change and field types are `C`
/// and `F`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request<C, F> {
    /// Show or change.
    pub action: Action<C, F>,
    /// Plan and report only; the chip is read, never written.
    pub dry_run: bool,
    /// Load the new values now and verify them (F7: system reset; G4: OBL_LAUNCH and
    /// re-attach). `false` leaves them programmed and pending until the next load.
    pub reset: bool,
    /// The confirmations the user gave.
    pub consents: Consents,
    /// The core's state afterwards.
    pub run_after: RunAfter,
}

impl<C, F> Request<C, F> {
    /// Show every field.
    pub fn show() -> Self {
        Self::with_action(Action::Show { field: None })
    }

    /// Show one field (refused on a part without it).
    pub fn show_field(field: F) -> Self {
        Self::with_action(Action::Show { field: Some(field) })
    }

    /// Change `changes`, reset and verify, no confirmation given, core running afterwards.
    pub fn change(changes: Vec<C>) -> Self {
        Self::with_action(Action::Change(changes))
    }

    fn with_action(action: Action<C, F>) -> Self {
        Request {
            action,
            dry_run: false,
            reset: true,
            consents: Consents::NONE,
            run_after: RunAfter::Run,
        }
    }
}

/// What a request came to, when it was not refused, for family `S`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report<S: FamilySteps> {
    /// `Show`: the snapshot and the part it was identified as.
    Shown {
        /// The option registers, the stored option bytes and the identity.
        snapshot: S::Snapshot,
        /// The part.
        part: S::Part,
        /// The probe-rs target name the part was checked against.
        chip_name: String,
    },
    /// A dry run: nothing was written.
    DryRun {
        /// What a real run would do.
        plan: S::Plan,
        /// The confirmations a real run would still need with the consents given.
        unconfirmed: Vec<Confirmation>,
    },
    /// Every requested field already has its value: nothing was written, the chip not touched.
    NothingToChange {
        /// The (empty) plan, with the fields already set.
        plan: S::Plan,
    },
    /// The change was programmed and verified.
    Applied {
        /// What was done.
        plan: S::Plan,
        /// How it ended: loaded or pending, the core's state.
        outcome: S::Outcome,
    },
}

/// What the engine tells its caller while it works (`P`: the family's plan).
#[derive(Clone, Copy, Debug)]
pub enum Event<'a, P> {
    /// The plan is made; shown before any refusal or write, so the user sees what the change
    /// would do (and why it may be refused).
    Planned(&'a P),
    /// A step of the sequence, as it happens.
    Step(&'a str),
}

/// What the engine needs to know of a family's plan: whether it writes anything and which
/// confirmations it needs.
pub trait FamilyPlan {
    /// Nothing to write.
    fn is_noop(&self) -> bool;
    /// The confirmations still missing with `consents`.
    fn unconfirmed(&self, consents: Consents) -> Vec<Confirmation>;
    /// Refuse this change when it is not loaded at once (`reset: false`): the family's words for
    /// a field whose register would read the written value while the chip keeps running the
    /// one it loaded (a bank bit: erase, `load`, the memory map and the write guard learn the
    /// layout from that register). Checked before the dry run and the confirmations, so a
    /// request refused for it is never first asked to be confirmed. Default: anything may be
    /// left pending.
    fn check_left_pending(&self) -> Result<(), Error> {
        Ok(())
    }
    /// `Err(Error::Unconfirmed)` when a confirmation is missing.
    fn check_confirmations(&self, consents: Consents) -> Result<(), Error> {
        let missing = self.unconfirmed(consents);
        if missing.is_empty() {
            Ok(())
        } else {
            Err(Error::Unconfirmed { missing })
        }
    }
}

/// A chip family as the change path sees it: its types (field, change, snapshot, part, plan,
/// outcome) and its steps. Each family implements it in its own folder (`optbytes/<family>/`);
/// the order of the steps is the engine's.
pub trait FamilySteps {
    /// A field name as the reference manual spells it.
    type Field: Copy + std::fmt::Debug + PartialEq + Eq;
    /// One requested change.
    type Change: Clone + std::fmt::Debug + PartialEq + Eq;
    /// A snapshot of the option registers, the stored option bytes and the identity.
    type Snapshot: Clone + std::fmt::Debug + PartialEq + Eq;
    /// An identified part.
    type Part: Clone + std::fmt::Debug + PartialEq + Eq;
    /// A plan: old → new words, diffs, confirmations, warnings.
    type Plan: FamilyPlan + Clone + std::fmt::Debug + PartialEq + Eq;
    /// How an applied change ended.
    type Outcome: Clone + std::fmt::Debug + PartialEq + Eq;

    /// Read the option bytes and identify the part against the session's target name.
    fn inspect(&self, session: &mut Session) -> Result<(Self::Snapshot, Self::Part), Error>;
    /// Refuse a field this part does not have.
    fn check_field(&self, part: &Self::Part, field: Self::Field) -> Result<(), Error>;
    /// Plan `changes` from `snapshot` (pure).
    fn plan(
        &self,
        snapshot: &Self::Snapshot,
        part: &Self::Part,
        changes: &[Self::Change],
    ) -> Result<Self::Plan, Error>;
    /// Program `plan`, load the values (unless `opts.reset` is false) and verify them.
    fn apply(
        &self,
        link: &mut dyn Link,
        plan: &Self::Plan,
        opts: &ApplyOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Self::Outcome, Error>;
}

pub(crate) fn session(link: &mut dyn Link) -> Result<&mut Session, Error> {
    link.session().map_err(Error::Attach)
}

/// Run `request` against the chip behind `link` with `family`'s steps: see the module
/// documentation for the steps.
pub fn change_with<S: FamilySteps>(
    family: &S,
    link: &mut dyn Link,
    request: &Request<S::Change, S::Field>,
    events: &mut dyn FnMut(Event<'_, S::Plan>),
) -> Result<Report<S>, Error> {
    // 1. Attach, read, identify.
    let session = session(link)?;
    let chip_name = session.target().name.clone();
    let (snapshot, part) = family.inspect(session)?;

    let changes = match &request.action {
        // 2. Show.
        Action::Show { field } => {
            if let Some(field) = *field {
                family.check_field(&part, field)?;
            }
            return Ok(Report::Shown {
                snapshot,
                part,
                chip_name,
            });
        }
        Action::Change(changes) => changes,
    };

    // 3. Plan.
    let plan = family.plan(&snapshot, &part, changes)?;
    events(Event::Planned(&plan));
    if !request.reset && !plan.is_noop() {
        plan.check_left_pending()?;
    }

    // 4. Dry run.
    if request.dry_run {
        let unconfirmed = plan.unconfirmed(request.consents);
        return Ok(Report::DryRun { plan, unconfirmed });
    }
    // 5. Nothing to change.
    if plan.is_noop() {
        return Ok(Report::NothingToChange { plan });
    }
    // 6. Confirmations.
    plan.check_confirmations(request.consents)?;

    // 7. Apply, load, verify.
    let leave_halted = match request.run_after {
        RunAfter::Run => false,
        RunAfter::AsFound => core_halted(link)?,
    };
    let opts = ApplyOptions {
        consents: request.consents,
        reset: request.reset,
        leave_halted,
        ..ApplyOptions::default()
    };
    let outcome = family.apply(link, &plan, &opts, &mut |line| events(Event::Step(line)))?;
    Ok(Report::Applied { plan, outcome })
}

fn core_halted(link: &mut dyn Link) -> Result<bool, Error> {
    let untouched = |step: &'static str| move |e| Error::probe(step, e, LeftState::UNTOUCHED);
    let session = session(link)?;
    let mut core = session.core(0).map_err(untouched("opening core 0"))?;
    Ok(core
        .status()
        .map_err(untouched("reading the core state"))?
        .is_halted())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::optbytes::confirm::Consent;
    use crate::optbytes::f7::{change, parse_changes, F7Request as Request};

    /// A link without a probe, counting how often it was asked.
    struct NoProbe(u32);

    impl Link for NoProbe {
        fn session(&mut self) -> Result<&mut Session, AttachError> {
            self.0 += 1;
            Err("no probe".into())
        }
    }

    fn rdp2(consents: Consents, dry_run: bool) -> Request {
        Request {
            consents,
            dry_run,
            ..Request::change(parse_changes(["RDP=2"]).unwrap())
        }
    }

    #[test]
    fn rdp2_is_checked_against_the_chip_before_its_confirmations() {
        // Validity before confirmation: without a chip to check the request against, the
        // answer is about the chip, whatever was confirmed.
        for consents in [
            Consents::NONE,
            Consents::NONE.with(Consent::Destructive),
            [Consent::Destructive, Consent::PermanentRdp2]
                .into_iter()
                .collect(),
        ] {
            for dry_run in [false, true] {
                let mut link = NoProbe(0);
                let err = change(&mut link, &rdp2(consents, dry_run), &mut |_| {}).unwrap_err();
                assert!(matches!(err, Error::Attach(_)), "{err:?}");
                assert_eq!(err.to_string(), "no probe");
                assert_eq!(link.0, 1);
            }
        }
    }

    #[test]
    fn a_plain_session_link_cannot_reattach() {
        struct Held;
        impl Link for Held {
            fn session(&mut self) -> Result<&mut Session, AttachError> {
                Err("held".into())
            }
        }
        assert!(Held.reattach().is_err());
    }
}
