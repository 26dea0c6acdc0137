//! Errors of the option-byte engine. Every error that can happen after the chip was touched
//! says what state the chip is left in.

use std::fmt;
use std::time::Duration;

use super::confirm::Confirmation;

/// Why a caller could not provide the debug session (its own error, with its own context).
pub type AttachError = Box<dyn std::error::Error + Send + Sync + 'static>;

fn reasons(missing: &[Confirmation]) -> String {
    missing
        .iter()
        .map(|c| c.reason())
        .collect::<Vec<_>>()
        .join("; ")
}

/// What happened to the option store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionsState {
    /// Nothing was committed (no OPTSTRT, or the store reads back the old values).
    Unchanged,
    /// The new values were programmed into the option store.
    Programmed,
    /// Programming was started and its result is not known.
    Unknown,
}

/// The state of FLASH_OPTCR.OPTLOCK when the engine gave up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockState {
    /// The engine had not touched any FLASH register yet.
    Untouched,
    /// OPTLOCK is set (checked by reading back).
    Locked,
    /// OPTLOCK could not be set or checked; a reset sets it again.
    NotRelocked,
}

/// The state the chip is left in after an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LeftState {
    /// The option store.
    pub options: OptionsState,
    /// The option lock.
    pub lock: LockState,
}

impl LeftState {
    /// Nothing touched.
    pub const UNTOUCHED: LeftState = LeftState {
        options: OptionsState::Unchanged,
        lock: LockState::Untouched,
    };
    /// Unchanged and locked.
    pub const UNCHANGED_LOCKED: LeftState = LeftState {
        options: OptionsState::Unchanged,
        lock: LockState::Locked,
    };
}

impl fmt::Display for LeftState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.options {
            OptionsState::Unchanged => f.write_str("option bytes unchanged")?,
            OptionsState::Programmed => f.write_str("new option bytes programmed")?,
            OptionsState::Unknown => f.write_str(
                "option bytes in an unknown state (programming may be incomplete; \
                 read them back (`optbytes`) before resetting or powering off)",
            )?,
        }
        match self.lock {
            LockState::Untouched => f.write_str(", option registers not touched"),
            LockState::Locked => f.write_str(", OPTLOCK set"),
            LockState::NotRelocked => {
                f.write_str(", OPTLOCK could not be restored (the next reset sets it again)")
            }
        }
    }
}

/// How the CLI maps an error to an exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCategory {
    /// Bad input: field name or value (exit 2).
    Usage,
    /// Refused: missing confirmation, wrong or unsupported chip, field not on this part (exit 3).
    Refused,
    /// Talking to the chip failed, or the chip reported an error (exit 1).
    Chip,
    /// The values read back differ from the values written (exit 4).
    Verify,
}

/// A family's own refusal of a request, in its own terms: a `FIELD=VALUE` it cannot read, a
/// field its part does not have, a change its rules forbid. The family's error is inside; the
/// engine only knows whether it is bad input (exit 2) or a refusal (exit 3).
#[derive(Debug)]
pub struct FamilyError {
    kind: FamilyErrorKind,
    error: Box<dyn std::error::Error + Send + Sync + 'static>,
}

/// What a [`FamilyError`] is to the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FamilyErrorKind {
    /// The words were not understood (unknown field, bad value): shown as they are.
    Input,
    /// The request does not fit this part or breaks the family's rules; nothing was written.
    Refused,
}

impl FamilyError {
    /// Words the family could not read.
    pub fn input(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        FamilyError {
            kind: FamilyErrorKind::Input,
            error: Box::new(error),
        }
    }

    /// A request the family refuses.
    pub fn refused(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        FamilyError {
            kind: FamilyErrorKind::Refused,
            error: Box::new(error),
        }
    }

    /// Input or refusal.
    pub fn kind(&self) -> FamilyErrorKind {
        self.kind
    }

    /// The family's error, when it is a `T`.
    pub fn downcast_ref<T: std::error::Error + 'static>(&self) -> Option<&T> {
        self.error.downcast_ref()
    }
}

impl fmt::Display for FamilyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            FamilyErrorKind::Input => write!(f, "{}", self.error),
            FamilyErrorKind::Refused => write!(f, "{}; option bytes unchanged", self.error),
        }
    }
}

impl std::error::Error for FamilyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.error.source()
    }
}

/// An option-byte engine error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A family's refusal of the request or of its words.
    #[error(transparent)]
    Family(#[from] FamilyError),
    /// A change needs confirmations that were not given. Each caller says in its own words how
    /// to give them; [`Error::what`] says what the change does.
    #[error("refused: {}; option bytes unchanged", reasons(.missing))]
    Unconfirmed {
        /// The confirmations that were not given, in the order the plan needs them.
        missing: Vec<Confirmation>,
    },
    /// The caller could not provide a debug session (opening the probe failed).
    #[error(transparent)]
    Attach(AttachError),
    /// The chip is not a supported part (the family's identification error inside).
    #[error("unsupported chip: {source}; {state}")]
    UnsupportedChip {
        /// Why.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync + 'static>,
        /// State left.
        state: LeftState,
    },
    /// The chip is not the part named by --chip.
    #[error("wrong chip: {detail}; {state}")]
    WrongChip {
        /// What differs.
        detail: String,
        /// State left.
        state: LeftState,
    },
    /// A probe operation failed.
    #[error("probe error while {step}: {}; {state}", error_chain(.cause))]
    Probe {
        /// What the engine was doing.
        step: String,
        /// The probe-rs error.
        cause: probe_rs::Error,
        /// State left.
        state: LeftState,
    },
    /// FLASH_SR.BSY did not clear in time.
    #[error("FLASH_SR.BSY still set after {} s while {step}; {state}; the core is left halted and was not reset (never reset while BSY is set)", .waited.as_secs_f32())]
    BusyTimeout {
        /// What the engine was waiting for.
        step: String,
        /// How long it waited.
        waited: Duration,
        /// State left.
        state: LeftState,
    },
    /// FLASH_SR raised error flags during option programming.
    #[error("option programming failed: FLASH_SR = {sr:#010x} ({}); {state}", .flags.join(", "))]
    FlashSr {
        /// FLASH_SR as read.
        sr: u32,
        /// The error flags set, as the reference manual names them.
        flags: Vec<&'static str>,
        /// State left.
        state: LeftState,
    },
    /// A key sequence did not clear its lock bit.
    #[error("unlock failed: {lock_bit} is still set after the key sequence ({key_register} refuses keys until the next reset); {state}")]
    LockStuck {
        /// The lock bit, e.g. FLASH_CR.OPTLOCK.
        lock_bit: &'static str,
        /// The key register.
        key_register: &'static str,
        /// State left.
        state: LeftState,
    },
    /// The stored option values no longer match the plan.
    #[error("the option bytes changed since the plan was made (planned from {planned}, chip has {found}); {state}")]
    StaleOptions {
        /// What the plan was made from.
        planned: String,
        /// What the chip has.
        found: String,
        /// State left.
        state: LeftState,
    },
    /// The option load reset the chip and the debug link could not be opened again.
    #[error("could not attach again after the option load reset the chip: {cause}; {state}; attach again and read the option bytes back")]
    Reattach {
        /// Why.
        cause: AttachError,
        /// State left.
        state: LeftState,
    },
    /// Read-back differs from what was written.
    #[error("verify failed: {what}: expected {expected}, read {actual}; {state}")]
    VerifyFailed {
        /// Which read-back.
        what: String,
        /// Expected value.
        expected: String,
        /// Value read.
        actual: String,
        /// State left.
        state: LeftState,
    },
}

impl Error {
    /// Exit-code category.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Error::Family(e) => match e.kind() {
                FamilyErrorKind::Input => ErrorCategory::Usage,
                FamilyErrorKind::Refused => ErrorCategory::Refused,
            },
            Error::Unconfirmed { .. } | Error::UnsupportedChip { .. } | Error::WrongChip { .. } => {
                ErrorCategory::Refused
            }
            Error::Attach(_)
            | Error::Probe { .. }
            | Error::BusyTimeout { .. }
            | Error::FlashSr { .. }
            | Error::LockStuck { .. }
            | Error::StaleOptions { .. }
            | Error::Reattach { .. } => ErrorCategory::Chip,
            Error::VerifyFailed { .. } => ErrorCategory::Verify,
        }
    }

    /// The state the chip is left in, if the error carries one.
    pub fn left_state(&self) -> Option<LeftState> {
        match self {
            Error::Family(_) | Error::Unconfirmed { .. } | Error::Attach(_) => {
                Some(LeftState::UNTOUCHED)
            }
            Error::UnsupportedChip { state, .. }
            | Error::WrongChip { state, .. }
            | Error::Probe { state, .. }
            | Error::BusyTimeout { state, .. }
            | Error::FlashSr { state, .. }
            | Error::LockStuck { state, .. }
            | Error::StaleOptions { state, .. }
            | Error::Reattach { state, .. }
            | Error::VerifyFailed { state, .. } => Some(*state),
        }
    }

    /// What a refused change does, for a caller that words the refusal itself (the
    /// confirmations' reasons, joined); `None` for other errors.
    pub fn what(&self) -> Option<String> {
        match self {
            Error::Unconfirmed { missing } => Some(reasons(missing)),
            _ => None,
        }
    }

    /// The same error with its lock state replaced (after the engine's final relock attempt).
    pub(crate) fn with_lock(mut self, lock: LockState) -> Self {
        if let Some(state) = self.state_mut() {
            state.lock = lock;
        }
        self
    }

    /// The same error with its whole state replaced (a step that knows better what the chip
    /// holds, e.g. a read after the option load).
    pub(crate) fn with_state(mut self, new: LeftState) -> Self {
        if let Some(state) = self.state_mut() {
            *state = new;
        }
        self
    }

    fn state_mut(&mut self) -> Option<&mut LeftState> {
        match self {
            Error::Family(_) | Error::Unconfirmed { .. } | Error::Attach(_) => None,
            Error::UnsupportedChip { state, .. }
            | Error::WrongChip { state, .. }
            | Error::Probe { state, .. }
            | Error::BusyTimeout { state, .. }
            | Error::FlashSr { state, .. }
            | Error::LockStuck { state, .. }
            | Error::StaleOptions { state, .. }
            | Error::Reattach { state, .. }
            | Error::VerifyFailed { state, .. } => Some(state),
        }
    }

    /// A probe error during `step`, with `state`.
    pub(crate) fn probe(
        step: impl Into<String>,
        source: probe_rs::Error,
        state: LeftState,
    ) -> Self {
        Error::Probe {
            step: step.into(),
            cause: source,
            state,
        }
    }
}

/// An error and its causes on one line ("a: b: c"), leaving out a cause whose text its parent
/// already contains. The probe error is part of the message rather than a `source()`, so that
/// callers printing the chain do not print it twice.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(e) = cause {
        let part = e.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        cause = e.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_well() {
        assert_eq!(
            LeftState::UNTOUCHED.to_string(),
            "option bytes unchanged, option registers not touched"
        );
        assert_eq!(
            LeftState::UNCHANGED_LOCKED.to_string(),
            "option bytes unchanged, OPTLOCK set"
        );
        let s = LeftState {
            options: OptionsState::Unknown,
            lock: LockState::NotRelocked,
        };
        assert!(s.to_string().contains("unknown state"));
        assert!(s.to_string().contains("OPTLOCK could not be restored"));
        let p = LeftState {
            options: OptionsState::Programmed,
            lock: LockState::Locked,
        };
        assert_eq!(p.to_string(), "new option bytes programmed, OPTLOCK set");
    }

    #[test]
    fn messages_and_categories() {
        let e = Error::FlashSr {
            sr: 0x10,
            flags: vec!["WRPERR"],
            state: LeftState::UNCHANGED_LOCKED,
        };
        assert_eq!(
            e.to_string(),
            "option programming failed: FLASH_SR = 0x00000010 (WRPERR); option bytes unchanged, OPTLOCK set"
        );
        assert_eq!(e.category(), ErrorCategory::Chip);
        let e = Error::BusyTimeout {
            step: "waiting for option programming".into(),
            waited: Duration::from_secs(5),
            state: LeftState {
                options: OptionsState::Unknown,
                lock: LockState::Locked,
            },
        };
        let text = e.to_string();
        assert!(
            text.starts_with("FLASH_SR.BSY still set after 5 s while waiting"),
            "{text}"
        );
        assert!(text.contains("not reset"), "{text}");
        let e = e.with_lock(LockState::NotRelocked);
        assert_eq!(e.left_state().unwrap().lock, LockState::NotRelocked);
        let e = Error::VerifyFailed {
            what: "FLASH_OPTCR".into(),
            expected: "0x1".into(),
            actual: "0x2".into(),
            state: LeftState::UNCHANGED_LOCKED,
        };
        assert_eq!(e.category(), ErrorCategory::Verify);
        let e = Error::Unconfirmed {
            missing: vec![Confirmation::MassErase, Confirmation::PermanentRdp2],
        };
        assert_eq!(e.category(), ErrorCategory::Refused);
        let text = e.to_string();
        assert!(
            text.starts_with("refused: lowering RDP from level 1 to 0 mass-erases"),
            "{text}"
        );
        assert!(text.contains("; RDP level 2 is PERMANENT"), "{text}");
        assert!(text.ends_with("; option bytes unchanged"), "{text}");
        assert_eq!(
            e.what().as_deref(),
            text.strip_prefix("refused: ")
                .and_then(|t| t.strip_suffix("; option bytes unchanged"))
        );
        let e = Error::Attach("no probe".into());
        assert_eq!(e.category(), ErrorCategory::Chip);
        assert_eq!(e.to_string(), "no probe");
        assert_eq!(e.left_state(), Some(LeftState::UNTOUCHED));
    }
}
