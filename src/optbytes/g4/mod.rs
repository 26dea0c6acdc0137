//! The STM32G47x/G48x family behind the change path: the facts of [`crate::chip::g4`] plus the
//! OPTR controller's sequence ([`crate::optbytes::optr`]), in the same steps as every family:
//!
//! - [`parse`]: `FIELD=VALUE` for the FLASH_OPTR fields (pure);
//! - [`read`](mod@read): identity, the option registers and the stored image at 0x1FFF_7800/0x1FFF_F800;
//! - [`live`]: the flash layout the chip runs with now, for erase, the GDB server and `load`;
//! - [`plan`](mod@plan): old → new words with diffs, confirmations, refusals and warnings (pure);
//! - [`sequence`]: unlock KEYR/OPTKEYR only when locked, write, OPTSTRT, OBL_LAUNCH, re-attach,
//!   verify, relock on every path;
//! - [`report`]: the table, the JSON document and the plan in words;
//! - [`words`]: the family's command (`bank`) and report words for the edges.

pub mod live;
pub mod parse;
pub mod plan;
pub mod read;
pub mod report;
pub mod sequence;
pub mod words;

use probe_rs::Session;

use crate::chip::g4::{G4Part, OptrField};

use super::apply::ApplyOptions;
use super::change::{FamilySteps, Link};
use super::error::Error;

pub use parse::{parse_g4_change, parse_g4_changes, G4Change};
pub use plan::{plan_g4, G4FieldDiff, G4Plan, G4PlanError};
pub use read::{G4Identity, G4Snapshot};
pub use sequence::G4Outcome;

/// STM32G47x/G48x (and the single-bank G43x/G44x, G49x/G4Ax, whose option bytes are shown and
/// changed, but never DBANK): FLASH_OPTR and the WRP/PCROP/SEC words, OPTSTRT, OBL_LAUNCH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct G4;

/// The family's object, registered in [`crate::optbytes::FAMILIES`].
pub static FAMILY: G4 = G4;

impl FamilySteps for G4 {
    type Field = OptrField;
    type Change = G4Change;
    type Snapshot = G4Snapshot;
    type Part = G4Part;
    type Plan = G4Plan;
    type Outcome = G4Outcome;

    fn inspect(&self, session: &mut Session) -> Result<(G4Snapshot, G4Part), Error> {
        read::inspect(session)
    }

    fn check_field(&self, part: &G4Part, field: OptrField) -> Result<(), Error> {
        plan::check_field(part, field).map_err(Error::from)
    }

    fn plan(
        &self,
        snapshot: &G4Snapshot,
        part: &G4Part,
        changes: &[G4Change],
    ) -> Result<G4Plan, Error> {
        plan::plan_snapshot(snapshot, part, changes)
    }

    fn apply(
        &self,
        link: &mut dyn Link,
        plan: &G4Plan,
        opts: &ApplyOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<G4Outcome, Error> {
        sequence::apply(link, plan, opts, progress)
    }
}

/// Run `request` against the G4 chip behind `link` (see [`crate::optbytes::change`]).
pub fn change(
    link: &mut dyn Link,
    request: &G4Request,
    events: &mut dyn FnMut(super::Event<'_, G4Plan>),
) -> Result<G4Report, Error> {
    super::change_with(&G4, link, request, events)
}

/// A request for the G4 family.
pub type G4Request = super::Request<G4Change, OptrField>;
/// A report of the G4 family.
pub type G4Report = super::Report<G4>;
