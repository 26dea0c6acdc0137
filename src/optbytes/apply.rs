//! How a family's apply step is asked to run, and what the core does afterwards: the same
//! options and states for every family.

use std::time::Duration;

use super::confirm::Consents;

/// BSY bound for a plain option change (option-sector erase + program).
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// BSY bound when RDP goes from level 1 to 0: the chip mass-erases (≥ 32 s seen in other tools).
pub const BUSY_TIMEOUT_MASS_ERASE: Duration = Duration::from_secs(60);

/// How to execute a plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ApplyOptions {
    /// The confirmations the user gave (checked again here against the plan).
    pub consents: Consents,
    /// Reset after programming so the values load, then verify them (default true).
    pub reset: bool,
    /// Leave the core halted at the end (GDB) instead of running (CLI).
    pub leave_halted: bool,
    /// Override the plan's bound for the BSY wait after OPTSTRT (tests).
    pub busy_timeout: Option<Duration>,
}

impl Default for ApplyOptions {
    fn default() -> Self {
        ApplyOptions {
            consents: Consents::NONE,
            reset: true,
            leave_halted: false,
            busy_timeout: None,
        }
    }
}

/// What the core is doing after `apply`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CoreAfter {
    /// Not touched (nothing to write).
    Untouched,
    /// Running.
    Running,
    /// Halted (after a reset: at the reset vector).
    Halted,
    /// Unreachable: RDP level 2 closed the debug port.
    Unreachable,
}
