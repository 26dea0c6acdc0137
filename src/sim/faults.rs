//! Fault injection for tests: a library API, deliberately not a command-line flag.

/// Faults of the debug link. FLASH-controller faults live in [`super::flash::FlashFaults`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Faults {
    /// Answer the Nth DAP transfer (counted from 1 since the faults were set) with FAULT.
    pub fault_at_transfer: Option<u64>,
    /// The probe is gone: every transfer goes unanswered.
    pub disconnected: bool,
    /// DAP transfers seen since the counter was last reset.
    pub transfers: u64,
}
