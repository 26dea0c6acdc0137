//! The one change path. Every caller — the CLI, the GDB monitor, a library user — puts what its
//! user asked for into a [`Request`], hands it to [`change`], and words the [`Report`] or the
//! refusal ([`Error`]) in its own terms. The steps (precheck, read and identify, plan, dry run,
//! confirmations, apply with load and verify) happen here, once, in this order:
//!
//! 1. precheck — what needs no chip: RDP level 2 without its confirmations is refused before the
//!    probe is even opened;
//! 2. attach ([`Link::session`]), read, identify the part against the target name;
//! 3. `Show`: refuse a field the part does not have, else report the snapshot;
//! 4. plan, shown to the caller as [`Event::Planned`] before anything else happens;
//! 5. dry run: report the plan and the confirmations a real run would still need — never write;
//! 6. nothing to change: report it, touch nothing;
//! 7. refuse if a confirmation is missing;
//! 8. the family's apply step: its programming sequence, the load of the new values and their
//!    verification ([`FamilySteps::apply`]).

use probe_rs::Session;

use crate::chip::{Field, Part};

use super::error::{AttachError, Error, LeftState};
use super::parse::Change;
use super::plan::{precheck, Confirmation, Consents, Plan, PlanError};
use super::program::{self, ApplyOptions, Outcome};
use super::read::{self, OptionBytes};

/// Where the engine gets its debug session from. The engine asks only after the checks that
/// need no chip, so a request those checks refuse never opens the probe.
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

/// A session the caller already holds (the GDB server's).
impl Link for Session {
    fn session(&mut self) -> Result<&mut Session, AttachError> {
        Ok(self)
    }
}

/// What is asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Read and decode the option bytes; with a field, refuse when this part does not have it
    /// (`ndbank` on an STM32F74x).
    Show {
        /// The field the caller is about to show on its own, if any.
        field: Option<Field>,
    },
    /// Change these fields under one programming operation.
    Change(Vec<Change>),
}

/// What the core does once the change is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunAfter {
    /// Let it run (a one-shot tool hands the board back).
    Run,
    /// Leave it as it was found: halted stays halted, running runs (a debugger).
    AsFound,
}

/// One request to the option-byte engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// Show or change.
    pub action: Action,
    /// Plan and report only; the chip is read, never written.
    pub dry_run: bool,
    /// Load the new values now and verify them (F7: system reset). `false` leaves them
    /// programmed and pending until the next reset.
    pub reset: bool,
    /// The confirmations the user gave.
    pub consents: Consents,
    /// The core's state afterwards.
    pub run_after: RunAfter,
}

impl Request {
    /// Show every field.
    pub fn show() -> Self {
        Self::with_action(Action::Show { field: None })
    }

    /// Show one field (refused on a part without it).
    pub fn show_field(field: Field) -> Self {
        Self::with_action(Action::Show { field: Some(field) })
    }

    /// Change `changes`, reset and verify, no confirmation given, core running afterwards.
    pub fn change(changes: Vec<Change>) -> Self {
        Self::with_action(Action::Change(changes))
    }

    fn with_action(action: Action) -> Self {
        Request {
            action,
            dry_run: false,
            reset: true,
            consents: Consents::NONE,
            run_after: RunAfter::Run,
        }
    }
}

/// What a request came to, when it was not refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Report {
    /// `Show`: the snapshot and the part it was identified as.
    Shown {
        /// The option registers, the stored option bytes and the identity.
        snapshot: OptionBytes,
        /// The part.
        part: Part,
        /// The probe-rs target name the part was checked against.
        chip_name: String,
    },
    /// A dry run: nothing was written.
    DryRun {
        /// What a real run would do.
        plan: Plan,
        /// The confirmations a real run would still need with the consents given.
        unconfirmed: Vec<Confirmation>,
    },
    /// Every requested field already has its value: nothing was written, the chip not touched.
    NothingToChange {
        /// The (empty) plan, with the fields already set.
        plan: Plan,
    },
    /// The change was programmed and verified.
    Applied {
        /// What was done.
        plan: Plan,
        /// How it ended: loaded or pending, the core's state.
        outcome: Outcome,
    },
}

/// What the engine tells its caller while it works.
#[derive(Clone, Copy, Debug)]
pub enum Event<'a> {
    /// The plan is made; shown before any refusal or write, so the user sees what the change
    /// would do (and why it may be refused).
    Planned(&'a Plan),
    /// A step of the sequence, as it happens.
    Step(&'a str),
}

/// What the change path needs from a chip family. F76x/F77x ([`F7`]) is the one family wired
/// today; the next one (STM32G47x/G48x, facts in `crate::chip::g4`) implements the same three
/// steps, its `apply` ending with OBL_LAUNCH and [`Link::reattach`] before it verifies.
pub trait FamilySteps {
    /// Read the option bytes and identify the part against the session's target name.
    fn inspect(&self, session: &mut Session) -> Result<(OptionBytes, Part), Error>;
    /// Plan `changes` from `snapshot` (pure).
    fn plan(&self, snapshot: &OptionBytes, part: &Part, changes: &[Change]) -> Result<Plan, Error>;
    /// Program `plan`, load the values (unless `opts.reset` is false) and verify them.
    fn apply(
        &self,
        link: &mut dyn Link,
        plan: &Plan,
        opts: &ApplyOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Outcome, Error>;
}

/// STM32F76x/F77x and F74x/F75x: FLASH_OPTCR/OPTCR1, OPTSTRT, values loaded by a system reset.
#[derive(Clone, Copy, Debug)]
pub struct F7;

impl FamilySteps for F7 {
    fn inspect(&self, session: &mut Session) -> Result<(OptionBytes, Part), Error> {
        read::inspect(session)
    }

    fn plan(&self, snapshot: &OptionBytes, part: &Part, changes: &[Change]) -> Result<Plan, Error> {
        read::plan_snapshot(snapshot, part, changes)
    }

    fn apply(
        &self,
        link: &mut dyn Link,
        plan: &Plan,
        opts: &ApplyOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Outcome, Error> {
        program::apply(session(link)?, plan, opts, progress)
    }
}

fn session(link: &mut dyn Link) -> Result<&mut Session, Error> {
    link.session().map_err(Error::Attach)
}

/// Run `request` against the chip behind `link`: see the module documentation for the steps.
pub fn change(
    link: &mut dyn Link,
    request: &Request,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Report, Error> {
    change_with(&F7, link, request, events)
}

/// [`change`] with the family given.
pub fn change_with(
    family: &dyn FamilySteps,
    link: &mut dyn Link,
    request: &Request,
    events: &mut dyn FnMut(Event<'_>),
) -> Result<Report, Error> {
    // 1. What needs no chip.
    if let Action::Change(changes) = &request.action {
        if !request.dry_run {
            precheck(changes, request.consents)?;
        }
    }

    // 2. Attach, read, identify.
    let session = session(link)?;
    let chip_name = session.target().name.clone();
    let (snapshot, part) = family.inspect(session)?;

    let changes = match &request.action {
        // 3. Show.
        Action::Show { field } => {
            if let Some(field) = *field {
                if !field.exists_on(&part) {
                    return Err(PlanError::FieldNotOnPart { field, part }.into());
                }
            }
            return Ok(Report::Shown {
                snapshot,
                part,
                chip_name,
            });
        }
        Action::Change(changes) => changes,
    };

    // 4. Plan.
    let plan = family.plan(&snapshot, &part, changes)?;
    events(Event::Planned(&plan));

    // 5. Dry run.
    if request.dry_run {
        let unconfirmed = plan.unconfirmed(request.consents);
        return Ok(Report::DryRun { plan, unconfirmed });
    }
    // 6. Nothing to change.
    if plan.is_noop() {
        return Ok(Report::NothingToChange { plan });
    }
    // 7. Confirmations.
    plan.check_confirmations(request.consents)?;

    // 8. Apply, load, verify.
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
    use crate::optbytes::parse::parse_changes;
    use crate::optbytes::plan::Consent;

    /// A link that must never be asked: the request is refused before the probe is opened.
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
    fn rdp2_without_both_consents_is_refused_before_the_probe_is_opened() {
        for consents in [
            Consents::NONE,
            Consents::NONE.with(Consent::Destructive),
            Consents::NONE.with(Consent::PermanentRdp2),
        ] {
            let mut link = NoProbe(0);
            let err = change(&mut link, &rdp2(consents, false), &mut |_| {}).unwrap_err();
            assert!(
                matches!(&err, Error::Unconfirmed { missing } if missing == &[Confirmation::PermanentRdp2]),
                "{err:?}"
            );
            assert_eq!(link.0, 0, "the probe was asked for");
        }
    }

    #[test]
    fn a_dry_run_of_rdp2_goes_to_the_chip_and_a_confirmed_one_too() {
        let mut link = NoProbe(0);
        let err = change(&mut link, &rdp2(Consents::NONE, true), &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::Attach(_)), "{err:?}");
        assert_eq!(link.0, 1);
        let both = [Consent::Destructive, Consent::PermanentRdp2]
            .into_iter()
            .collect();
        let err = change(&mut link, &rdp2(both, false), &mut |_| {}).unwrap_err();
        assert!(matches!(err, Error::Attach(_)), "{err:?}");
        assert_eq!(err.to_string(), "no probe");
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
