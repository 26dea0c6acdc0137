//! The STM32G0B0/G0B1/G0C1 family behind the change path: the facts of [`crate::chip::g0`]
//! plus the OPTR controller's sequence ([`crate::optbytes::optr`]), in the same steps as every
//! family:
//!
//! - [`parse`]: `FIELD=VALUE` for the FLASH_OPTR fields (pure);
//! - [`read`](mod@read): identity, the option registers and the stored image at 0x1FFF_7800;
//! - [`live`]: the flash layout the chip runs with now (bank mode and swap), for erase, the GDB
//!   server and `load`;
//! - [`plan`](mod@plan): old → new words with diffs, confirmations, refusals and warnings (pure);
//! - [`sequence`]: the controller's facts (BSY1/BSY2/CFGBSY, DBG_APB_FZ1) for the OPTR sequence:
//!   unlock only when locked, write, OPTSTRT, OBL_LAUNCH, re-attach, verify, relock on every path;
//! - [`report`]: the table, the JSON document and the plan in words;
//! - [`words`]: the family's commands (`bank`, `swap`) and report words for the edges.

pub mod live;
pub mod parse;
pub mod plan;
pub mod read;
pub mod report;
pub mod sequence;
pub mod words;

use probe_rs::Session;

use crate::chip::g0::{G0Part, OptrField};

use super::apply::ApplyOptions;
use super::change::{FamilySteps, Link};
use super::error::Error;

pub use parse::{parse_g0_change, parse_g0_changes, G0Change, G0ParseError};
pub use plan::{plan_g0, G0FieldDiff, G0Plan, G0PlanError};
pub use read::{G0Identity, G0Snapshot};
pub use sequence::G0Outcome;

/// STM32G0B0/G0B1/G0C1: FLASH_OPTR (DUAL_BANK, nSWAP_BANK and the others) and the WRP/PCROP/
/// SECR words, OPTSTRT, OBL_LAUNCH.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct G0;

/// The family's object, registered in [`crate::optbytes::FAMILIES`].
pub static FAMILY: G0 = G0;

impl FamilySteps for G0 {
    type Field = OptrField;
    type Change = G0Change;
    type Snapshot = G0Snapshot;
    type Part = G0Part;
    type Plan = G0Plan;
    type Outcome = G0Outcome;

    fn inspect(&self, session: &mut Session) -> Result<(G0Snapshot, G0Part), Error> {
        read::inspect(session)
    }

    fn check_field(&self, part: &G0Part, field: OptrField) -> Result<(), Error> {
        plan::check_field(part, field).map_err(Error::from)
    }

    fn plan(
        &self,
        snapshot: &G0Snapshot,
        part: &G0Part,
        changes: &[G0Change],
    ) -> Result<G0Plan, Error> {
        plan::plan_snapshot(snapshot, part, changes)
    }

    fn apply(
        &self,
        link: &mut dyn Link,
        plan: &G0Plan,
        opts: &ApplyOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<G0Outcome, Error> {
        sequence::apply(link, plan, opts, progress)
    }
}

/// Run `request` against the G0 chip behind `link` (see [`crate::optbytes::change`]).
pub fn change(
    link: &mut dyn Link,
    request: &G0Request,
    events: &mut dyn FnMut(super::Event<'_, G0Plan>),
) -> Result<G0Report, Error> {
    super::change_with(&G0, link, request, events)
}

/// A request for the G0 family.
pub type G0Request = super::Request<G0Change, OptrField>;
/// A report of the G0 family.
pub type G0Report = super::Report<G0>;
