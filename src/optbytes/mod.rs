//! The option-byte engine, shared by the CLI and the GDB server's `monitor` commands.
//!
//! - [`change`](mod@change): the one entry both callers use — a typed [`Request`] in, a typed
//!   [`Report`] or refusal out; read and identify, plan, dry run, confirmations, apply and verify.
//! - [`parse`]: `FIELD=VALUE` requests (pure).
//! - [`plan`](mod@plan): old → new words, per-field diff, confirmations and warnings (pure).
//! - [`read`](mod@read): snapshot of the option registers, the stored option bytes and the chip identity.
//! - [`program`]: the programming sequence on a probe-rs session.
//! - [`report`]: the human table and the JSON document.
//!
//! Typical use:
//! ```no_run
//! # fn demo(session: &mut probe_rs::Session) -> Result<(), stm32_opts::optbytes::Error> {
//! use stm32_opts::optbytes::{self, Event, Report, Request};
//! let request = Request::change(optbytes::parse_changes(["nDBANK=0"])?);
//! let report = optbytes::change(session, &request, &mut |event| match event {
//!     Event::Planned(plan) => println!("{} field(s) change", plan.diffs.len()),
//!     Event::Step(line) => println!("{line}"),
//! })?;
//! if let Report::Applied { outcome, .. } = report {
//!     assert!(outcome.written);
//! }
//! # Ok(()) }
//! ```

pub mod change;
pub mod error;
pub mod family;
pub mod g4;
pub(crate) mod keys;
pub mod parse;
pub mod plan;
pub mod program;
pub mod read;
pub mod report;
pub(crate) mod target;
pub(crate) mod watchdogs;

pub use change::{
    change, change_with, Action, Event, FamilyPlan, FamilySteps, Link, Report, Request, RunAfter,
    F7,
};
pub use error::{AttachError, Error, ErrorCategory, LeftState, LockState, OptionsState};
pub use family::Family;
pub use parse::{parse_change, parse_changes, parse_value, Change, ParseError};
pub use plan::{plan, Confirmation, Consent, Consents, FieldDiff, Plan, PlanError};
pub use program::{apply, apply_on_core, ApplyOptions, CoreAfter, Outcome};
pub use read::{identify, inspect, prepare, read, ChipIdentity, FieldValue, OptionBytes, Prepared};
