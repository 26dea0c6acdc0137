//! The STM32F76x/F77x and F74x/F75x family behind the change path: the facts of
//! [`crate::chip::f7`] plus FLASH_OPTCR/OPTCR1's sequence:
//!
//! - [`parse`]: `FIELD=VALUE` requests (pure);
//! - [`plan`](mod@plan): old → new words, per-field diff, confirmations and warnings (pure);
//! - [`read`](mod@read): snapshot of the option registers, the stored option bytes and the chip
//!   identity;
//! - [`live`]: the flash layout the chip runs with now, for the GDB server and `load`;
//! - [`program`]: the programming sequence on a probe-rs session (values loaded by a system
//!   reset);
//! - [`report`]: the human table and the JSON document;
//! - [`words`]: the family's commands and report words for the edges.
//!
//! Typical use:
//! ```no_run
//! # fn demo(session: &mut probe_rs::Session) -> Result<(), stm32_opts::optbytes::Error> {
//! use stm32_opts::optbytes::f7::{self, F7Report, F7Request};
//! use stm32_opts::optbytes::Event;
//! let request = F7Request::change(f7::parse_changes(["nDBANK=0"])?);
//! let report = f7::change(session, &request, &mut |event| match event {
//!     Event::Planned(plan) => println!("{} field(s) change", plan.diffs.len()),
//!     Event::Step(line) => println!("{line}"),
//! })?;
//! if let F7Report::Applied { outcome, .. } = report {
//!     assert!(outcome.written);
//! }
//! # Ok(()) }
//! ```

pub mod live;
pub mod parse;
pub mod plan;
pub mod program;
pub mod read;
pub mod report;
pub mod words;

use probe_rs::Session;

use crate::chip::f7::{Field, Part};

use super::apply::ApplyOptions;
use super::change::{change_with, session, Event, FamilyPlan, FamilySteps, Link};
use super::confirm::{Confirmation, Consents};
use super::error::Error;

pub use parse::{parse_change, parse_changes, parse_value, Change, ParseError};
pub use plan::{plan, FieldDiff, Plan, PlanError};
pub use program::{apply, apply_on_core, Outcome};
pub use read::{identify, inspect, prepare, read, ChipIdentity, FieldValue, OptionBytes, Prepared};

/// STM32F76x/F77x and F74x/F75x: FLASH_OPTCR/OPTCR1, OPTSTRT, values loaded by a system reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct F7;

/// The family's object, registered in [`crate::optbytes::FAMILIES`].
pub static FAMILY: F7 = F7;

/// A request for the F7 family.
pub type F7Request = super::Request<Change, Field>;
/// A report of the F7 family.
pub type F7Report = super::Report<F7>;

impl FamilyPlan for Plan {
    fn is_noop(&self) -> bool {
        Plan::is_noop(self)
    }
    fn unconfirmed(&self, consents: Consents) -> Vec<Confirmation> {
        Plan::unconfirmed(self, consents)
    }
    fn check_confirmations(&self, consents: Consents) -> Result<(), Error> {
        Plan::check_confirmations(self, consents)
    }
    fn check_left_pending(&self) -> Result<(), Error> {
        Plan::check_left_pending(self)
    }
}

impl FamilySteps for F7 {
    type Field = Field;
    type Change = Change;
    type Snapshot = OptionBytes;
    type Part = Part;
    type Plan = Plan;
    type Outcome = Outcome;

    fn inspect(&self, session: &mut Session) -> Result<(OptionBytes, Part), Error> {
        read::inspect(session)
    }

    fn check_field(&self, part: &Part, field: Field) -> Result<(), Error> {
        if field.exists_on(part) {
            Ok(())
        } else {
            Err(PlanError::FieldNotOnPart { field, part: *part }.into())
        }
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

/// Run `request` against the F7 chip behind `link` (see [`crate::optbytes::change_with`]).
pub fn change(
    link: &mut dyn Link,
    request: &F7Request,
    events: &mut dyn FnMut(Event<'_, Plan>),
) -> Result<F7Report, Error> {
    change_with(&F7, link, request, events)
}
