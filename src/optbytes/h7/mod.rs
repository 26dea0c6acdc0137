//! The STM32H74x/H75x family behind the change path: the facts of [`crate::chip::h7`] and the
//! H7's own option sequence (it is not an OPTR controller: `*_CUR`/`*_PRG` pairs, OPTSTART,
//! OPT_BUSY, no OBL_LAUNCH), in the same steps as every family:
//!
//! - [`parse`]: `FIELD=VALUE` for the FLASH_OPTSR fields (pure);
//! - [`read`](mod@read): identity, FLASH_OPTCR and both option images;
//! - [`live`]: the flash layout in force (the swap loaded at the last reset), for erase, the
//!   GDB server and `load`;
//! - [`plan`](mod@plan): old → new image with diffs, confirmations, refusals and warnings (pure);
//! - [`sequence`]: OPTKEYR → `*_PRG` → OPTSTART → OPT_BUSY → OPTCHANGEERR → OPTLOCK, relocked on
//!   every path, then the reset that puts the swap in force (unless `--no-reset`);
//! - [`report`] and [`words`]: the table, the JSON, the plan and the `swap` command in words.

pub mod live;
pub mod parse;
pub mod plan;
pub mod read;
pub mod report;
pub mod sequence;
pub mod words;

use probe_rs::Session;

use crate::chip::h7::{H7Part, OptsrField};

use super::apply::ApplyOptions;
use super::change::{FamilySteps, Link};
use super::error::Error;

pub use parse::{parse_h7_change, parse_h7_changes, H7Change};
pub use plan::{plan_h7, H7FieldDiff, H7Plan, H7PlanError};
pub use read::{H7Identity, H7Snapshot};
pub use sequence::H7Outcome;

/// STM32H742/H743/H750/H753: FLASH_OPTSR (and the PRAR/SCAR/WPSN/BOOT images), OPTSTART, the
/// swap at the next reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct H7;

/// The family's object, registered in [`crate::optbytes::FAMILIES`].
pub static FAMILY: H7 = H7;

impl FamilySteps for H7 {
    type Field = OptsrField;
    type Change = H7Change;
    type Snapshot = H7Snapshot;
    type Part = H7Part;
    type Plan = H7Plan;
    type Outcome = H7Outcome;

    fn inspect(&self, session: &mut Session) -> Result<(H7Snapshot, H7Part), Error> {
        read::inspect(session)
    }

    fn check_field(&self, part: &H7Part, field: OptsrField) -> Result<(), Error> {
        plan::check_field(part, field).map_err(Error::from)
    }

    fn plan(
        &self,
        snapshot: &H7Snapshot,
        part: &H7Part,
        changes: &[H7Change],
    ) -> Result<H7Plan, Error> {
        plan::plan_snapshot(snapshot, part, changes)
    }

    fn apply(
        &self,
        link: &mut dyn Link,
        plan: &H7Plan,
        opts: &ApplyOptions,
        progress: &mut dyn FnMut(&str),
    ) -> Result<H7Outcome, Error> {
        sequence::apply(link, plan, opts, progress)
    }
}

/// A request for the H7 family.
pub type H7Request = super::Request<H7Change, OptsrField>;
/// A report of the H7 family.
pub type H7Report = super::Report<H7>;
