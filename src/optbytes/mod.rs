//! The option-byte engine, shared by the CLI and the GDB server's `monitor` commands.
//!
//! - [`parse`]: `FIELD=VALUE` requests (pure).
//! - [`plan`](mod@plan): old → new words, per-field diff, confirmations and warnings (pure).
//! - [`read`](mod@read): snapshot of the option registers, the stored option bytes and the chip identity.
//! - [`program`]: the programming sequence on a probe-rs session.
//! - [`report`]: the human table and the JSON document.
//!
//! Typical use:
//! ```no_run
//! # fn demo(session: &mut probe_rs::Session) -> Result<(), stm32_opts::optbytes::Error> {
//! use stm32_opts::optbytes::{self, ApplyOptions};
//! let changes = optbytes::parse_changes(["nDBANK=0"])?;
//! let prepared = optbytes::prepare(session, &changes)?;
//! let outcome = optbytes::apply(session, &prepared.plan, &ApplyOptions::default(), &mut |line| {
//!     println!("{line}")
//! })?;
//! # Ok(()) }
//! ```

pub mod error;
pub mod parse;
pub mod plan;
pub mod program;
pub mod read;
pub mod report;
mod target;

pub use error::{Error, ErrorCategory, LeftState, LockState, OptionsState};
pub use parse::{parse_change, parse_changes, parse_value, Change, ParseError};
pub use plan::{plan, precheck, Confirmation, FieldDiff, Plan, PlanError};
pub use program::{apply, apply_on_core, ApplyOptions, CoreAfter, Outcome};
pub use read::{identify, inspect, prepare, read, ChipIdentity, FieldValue, OptionBytes, Prepared};
