//! Shared chip access: the one probe-rs `Session`, taken for one short operation at a time.
//!
//! The controlling GDB session, observers and background services (RTT polling, say) all reach
//! the chip through a [`SharedChip`]. Each takes the lock for one operation (one GDB packet, one
//! poll of a running core, one RTT read) and gives it back, so that none of them waits for
//! another's client to type something. Nothing here knows the GDB protocol.
//!
//! The session can be gone: after the probe stopped answering, the server drops it
//! ([`SharedChip::drop_session`]) and the next controlling client opens it again
//! ([`SharedChip::reopen_if_lost`]) when an opener was given.

use crate::family::Family;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Mutex, MutexGuard};

use probe_rs::{Core, Session};

/// Opens the chip again after the probe was lost (`stm32-opts gdb` opens it from the probe
/// options, as at start).
pub type SessionOpener = Box<dyn FnMut() -> anyhow::Result<Session> + Send>;

/// Why the chip cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ChipError {
    /// There is no session: the probe was lost and has not been opened again.
    #[error("the debug probe was lost and is not open ({0})")]
    Lost(String),
    /// The operation reached the probe and failed there.
    #[error("probe: {0}")]
    Probe(#[from] probe_rs::Error),
}

impl From<ChipError> for probe_rs::Error {
    fn from(e: ChipError) -> probe_rs::Error {
        match e {
            ChipError::Probe(e) => e,
            lost @ ChipError::Lost(_) => probe_rs::Error::Other(lost.to_string()),
        }
    }
}

/// The session slot: the session (none after a probe loss) and how to open it again.
struct Slot {
    session: Option<Session>,
    /// Why the session is gone (for the error the next user gets).
    lost: String,
    opener: Option<SessionOpener>,
}

/// The chip behind one probe-rs session, shared by everyone who uses it. Cloning is cheap and
/// gives another handle on the same chip.
#[derive(Clone)]
pub struct SharedChip {
    slot: Arc<Mutex<Slot>>,
    /// The chip's family, decided once when the server was made.
    family: Family,
}

/// The chip, held: nobody else reaches it until this guard is dropped. Keep it for one
/// operation, never across a wait for a client.
pub struct ChipGuard<'a> {
    slot: MutexGuard<'a, Slot>,
}

impl Deref for ChipGuard<'_> {
    type Target = Session;

    fn deref(&self) -> &Session {
        // A guard is only handed out while the slot holds a session (see `SharedChip::lock`),
        // and nobody can empty the slot while the guard exists.
        self.slot
            .session
            .as_ref()
            .expect("a held chip has a session")
    }
}

impl DerefMut for ChipGuard<'_> {
    fn deref_mut(&mut self) -> &mut Session {
        self.slot
            .session
            .as_mut()
            .expect("a held chip has a session")
    }
}

impl SharedChip {
    /// Shares `session`, a chip of `family`. Without [`SharedChip::reopen_with`] a lost probe
    /// stays lost.
    pub fn new(session: Session, family: Family) -> SharedChip {
        SharedChip {
            slot: Arc::new(Mutex::new(Slot {
                session: Some(session),
                lost: String::new(),
                opener: None,
            })),
            family,
        }
    }

    /// The chip's family.
    pub fn family(&self) -> Family {
        self.family
    }

    /// How to open the chip again after a probe loss.
    pub fn reopen_with(&self, opener: SessionOpener) {
        self.slot_lock().opener = Some(opener);
    }

    fn slot_lock(&self) -> MutexGuard<'_, Slot> {
        // A panic while holding the chip leaves the session as probe-rs left it; the next user
        // finds out from the probe whether it still answers.
        self.slot
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Takes the chip (waiting for the current user's operation to end).
    pub fn lock(&self) -> Result<ChipGuard<'_>, ChipError> {
        let slot = self.slot_lock();
        if slot.session.is_none() {
            return Err(ChipError::Lost(slot.lost.clone()));
        }
        Ok(ChipGuard { slot })
    }

    /// Runs `f` on the session, holding the chip for exactly that long.
    pub fn with_session<R>(&self, f: impl FnOnce(&mut Session) -> R) -> Result<R, ChipError> {
        let mut chip = self.lock()?;
        Ok(f(&mut chip))
    }

    /// Runs `f` on core 0, holding the chip for exactly that long.
    pub fn with_core<R>(
        &self,
        f: impl FnOnce(&mut Core<'_>) -> Result<R, probe_rs::Error>,
    ) -> Result<R, ChipError> {
        let mut chip = self.lock()?;
        let mut core = chip.core(0)?;
        Ok(f(&mut core)?)
    }

    /// Whether a session is open.
    pub fn is_open(&self) -> bool {
        self.slot_lock().session.is_some()
    }

    /// Forgets a session whose probe stopped answering, if the chip can be opened again (an
    /// opener was given); without one the session is kept, for whatever it is still worth.
    /// Returns whether it was dropped.
    pub fn drop_session(&self, why: &str) -> bool {
        let mut slot = self.slot_lock();
        if slot.opener.is_none() {
            return false;
        }
        slot.session = None;
        slot.lost = why.to_string();
        true
    }

    /// Opens the chip again if the session was dropped; `Err` says why there is none.
    pub fn reopen_if_lost(&self) -> Result<(), String> {
        let mut slot = self.slot_lock();
        if slot.session.is_some() {
            return Ok(());
        }
        let opener = slot
            .opener
            .as_mut()
            .ok_or("the probe was lost and there is no way to open it again")?;
        log::info!("opening the probe again");
        let session =
            opener().map_err(|e| format!("the probe was lost; opening it again: {e:#}"))?;
        slot.session = Some(session);
        slot.lost.clear();
        Ok(())
    }
}
