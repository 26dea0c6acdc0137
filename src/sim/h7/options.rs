//! The option side of the simulated H743's FLASH controller: FLASH_OPTKEYR, FLASH_OPTCR, the
//! `*_PRG` registers (staged values), FLASH_OPTCCR and the option-change state behind
//! FLASH_OPTSR_CUR.OPT_BUSY and OPTCHANGEERR (reference §9).
//!
//! - OPTKEYR takes OPTKEY1 then OPTKEY2 while OPTLOCK is set (no need to unlock CRx first:
//!   OOCD-H7 and HAL-H7 write OPTKEYR alone). A wrong key or a key while unlocked locks OPTCR
//!   until the next reset and the write answers a bus error (as the G4 model; UNVERIFIED on H7).
//! - While OPTLOCK is set, OPTCR and the `*_PRG` registers ignore writes, except OPTCR.MER,
//!   which HAL-H7 sets after unlocking only CR1 and CR2 (`FLASH_MassErase`; the rule on
//!   silicon is UNVERIFIED).
//! - OPTSTART starts a change that takes a modelled time with OPT_BUSY set; only when it ends
//!   does the store (and OPTSR_CUR) change, or OPTCHANGEERR rise for a forbidden change: any
//!   change while the store holds RDP level 2 (0xCC). A reset before the end drops the change
//!   (the store keeps its old values; what silicon does then is UNVERIFIED).

use std::time::{Duration, Instant};

use super::bank::H7BusFault;
use super::regs::{key, optcr, rdp, OPTCCR_CLR_OPTCHANGEERR};
use super::store::H7OptionStore;

/// What a finished option change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeOutcome {
    /// The store now holds these values; `regression` = RDP went to level 0 (mass erase).
    Programmed {
        store: H7OptionStore,
        regression: bool,
    },
    /// OPTCHANGEERR: nothing changed.
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pending {
    until: Instant,
    outcome: ChangeOutcome,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    Idle,
    FirstKeySeen,
}

/// What a write to FLASH_OPTCR asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OptcrRequest {
    /// OPTSTART.
    pub start: bool,
    /// MER.
    pub mass_erase: bool,
}

/// The option registers and the option-change state.
#[derive(Debug, Clone)]
pub struct OptionControl {
    optlock: bool,
    optchangeerrie: bool,
    key: KeyState,
    locked_until_reset: bool,
    /// The `*_PRG` registers.
    staged: H7OptionStore,
    optchangeerr: bool,
    pending: Option<Pending>,
    /// OPT_BUSY never drops (fault injection).
    pub stuck_busy: bool,
    /// Every change ends with OPTCHANGEERR (fault injection).
    pub force_change_error: bool,
}

impl OptionControl {
    /// After a reset: locked, the `*_PRG` registers loaded from `store`.
    pub fn new(store: &H7OptionStore) -> Self {
        OptionControl {
            optlock: true,
            optchangeerrie: false,
            key: KeyState::Idle,
            locked_until_reset: false,
            staged: *store,
            optchangeerr: false,
            pending: None,
            stuck_busy: false,
            force_change_error: false,
        }
    }

    /// A system reset: locked, staged values reloaded, a running change dropped; the fault
    /// injection kept.
    pub fn reset(&mut self, store: &H7OptionStore) {
        let (stuck, force) = (self.stuck_busy, self.force_change_error);
        *self = OptionControl::new(store);
        self.stuck_busy = stuck;
        self.force_change_error = force;
    }

    /// The `*_PRG` values.
    pub fn staged(&self) -> &H7OptionStore {
        &self.staged
    }

    /// Whether OPTCR.OPTLOCK is set.
    pub fn locked(&self) -> bool {
        self.optlock
    }

    /// A finished change, if its time is up.
    pub fn settle(&mut self, now: Instant) -> Option<ChangeOutcome> {
        let pending = self.pending?;
        if self.stuck_busy || now < pending.until {
            return None;
        }
        self.pending = None;
        if pending.outcome == ChangeOutcome::Refused {
            self.optchangeerr = true;
        }
        Some(pending.outcome)
    }

    /// OPT_BUSY (call [`OptionControl::settle`] first).
    pub fn busy(&self) -> bool {
        self.pending.is_some()
    }

    /// OPTCHANGEERR.
    pub fn change_error(&self) -> bool {
        self.optchangeerr
    }

    /// FLASH_OPTCR as read, with the mapping in force.
    pub fn read_optcr(&self, swap_in_force: bool) -> u32 {
        let mut value = 0;
        if self.optlock {
            value |= optcr::OPTLOCK;
        }
        if self.pending.is_some() {
            value |= optcr::OPTSTART;
        }
        if self.optchangeerrie {
            value |= optcr::OPTCHANGEERRIE;
        }
        if swap_in_force {
            value |= optcr::SWAP_BANK;
        }
        value
    }

    /// FLASH_OPTKEYR.
    pub fn write_optkeyr(&mut self, value: u32) -> Result<(), H7BusFault> {
        if self.locked_until_reset {
            return Err(H7BusFault::LockedUntilReset);
        }
        match (self.optlock, self.key, value) {
            (true, KeyState::Idle, key::OPTKEY1) => {
                self.key = KeyState::FirstKeySeen;
                Ok(())
            }
            (true, KeyState::FirstKeySeen, key::OPTKEY2) => {
                self.key = KeyState::Idle;
                self.optlock = false;
                Ok(())
            }
            _ => {
                self.locked_until_reset = true;
                self.key = KeyState::Idle;
                self.optlock = true;
                Err(H7BusFault::WrongKey)
            }
        }
    }

    /// FLASH_OPTCR.
    pub fn write_optcr(&mut self, value: u32) -> OptcrRequest {
        let mass_erase = value & optcr::MER != 0;
        if self.optlock {
            return OptcrRequest {
                start: false,
                mass_erase,
            };
        }
        self.optlock = value & optcr::OPTLOCK != 0;
        self.optchangeerrie = value & optcr::OPTCHANGEERRIE != 0;
        OptcrRequest {
            start: value & optcr::OPTSTART != 0,
            mass_erase,
        }
    }

    /// FLASH_OPTCCR.
    pub fn write_optccr(&mut self, value: u32) {
        if value & OPTCCR_CLR_OPTCHANGEERR != 0 {
            self.optchangeerr = false;
        }
    }

    /// A `*_PRG` register write: `apply` changes the staged value while unlocked and idle.
    pub fn stage(&mut self, apply: impl FnOnce(&mut H7OptionStore)) {
        if !self.optlock && self.pending.is_none() {
            apply(&mut self.staged);
        }
    }

    /// OPTSTART: judges the staged values against `store` and starts the change, lasting
    /// `program` (plus `regression` when RDP goes back to level 0). Ignored while a change
    /// runs (UNVERIFIED).
    pub fn start(
        &mut self,
        store: &H7OptionStore,
        now: Instant,
        program: Duration,
        regression: Duration,
    ) {
        if self.pending.is_some() {
            return;
        }
        let staged = self.staged;
        let level2 = store.rdp() == rdp::LEVEL2;
        let outcome = if self.force_change_error || (level2 && staged != *store) {
            ChangeOutcome::Refused
        } else {
            ChangeOutcome::Programmed {
                store: staged,
                regression: store.rdp() != rdp::LEVEL0 && staged.rdp() == rdp::LEVEL0,
            }
        };
        let duration = match outcome {
            ChangeOutcome::Programmed {
                regression: true, ..
            } => program + regression,
            _ => program,
        };
        self.pending = Some(Pending {
            until: now + duration,
            outcome,
        });
    }
}
