//! The option-byte engine, shared by the CLI and the GDB server's `monitor` commands.
//!
//! - [`change`](mod@change): the one entry every caller uses — a typed [`Request`] in, a typed
//!   [`Report`] or refusal out; read and identify, plan, dry run, confirmations, apply and
//!   verify — generic over a family's [`FamilySteps`];
//! - [`family`]: the family value the edges hold ([`OptionFamily`]): the family's commands,
//!   its words and the one change path behind them, registered once;
//! - one folder per family (`f7/`, `g4/`) with its parser, planner, reader, sequence and report;
//! - [`optr`]: the OPTR controller's sequence (L4/G4/G0/WB lineage), one for every family with
//!   that controller, given its facts;
//! - what the families share: confirmations ([`confirm`]), how apply runs ([`apply`]), errors
//!   ([`error`]), reading typed values ([`values`]), the plan layout in words ([`words`]), and the
//!   FLASH-controller steps (`keys`, `watchdogs`, `target`).

pub mod apply;
pub mod change;
pub mod confirm;
pub mod error;
pub mod family;
pub(crate) mod keys;
pub mod optr;
pub(crate) mod target;
pub mod values;
pub(crate) mod watchdogs;
pub mod words;

families!(family::OptionFamily: f7, g4, g0, h7);

pub use apply::{ApplyOptions, CoreAfter};
pub use change::{
    change_with, Action, Event, FamilyPlan, FamilySteps, Link, Report, Request, RunAfter,
};
pub use confirm::{Confirmation, Consent, Consents};
pub use error::{AttachError, Error, ErrorCategory, LeftState, LockState, OptionsState};
pub use family::{Asked, EdgeEvent, EdgeRequest, FamilyCommand, OptionFamily, Rendered};
