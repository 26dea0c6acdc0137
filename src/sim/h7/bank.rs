//! One register set of the simulated H743's FLASH controller (KEYRx, CRx, SRx, CCRx): its
//! keys, its lock, its status flags, its 256-bit write buffer and its busy time. It controls
//! one **physical** bank; the array itself belongs to [`super::flash::H7Flash`], which turns
//! the requests made here into erases and programming.
//!
//! Modelled rules (reference §9 and the CMSIS-H7 flag names; the exact conditions under which
//! silicon raises each error are not in the reference and are marked UNVERIFIED):
//! - KEYRx takes KEY1 then KEY2 while CRx.LOCK is set. A wrong key, or a key while unlocked,
//!   locks CRx until the next reset and the write answers a bus error.
//! - CRx ignores writes while LOCK is set; LOCK can be set, never cleared, by a write.
//! - With PG set, writes to the bank fill the write buffer (SR.WBNE) for one 32-byte flash
//!   word; the eighth 32-bit word (all 32 bytes) programs it (SR.QW and BSY for the programming
//!   time, then EOP). CRx.FW programs a partly filled buffer, the missing bytes left as they
//!   were. Writing a byte of the buffer twice: STRBERR; a write to another flash word while the
//!   buffer holds data: INCERR, the buffer discarded; PG cleared with data in the buffer:
//!   PGSERR, the buffer discarded (all three UNVERIFIED).
//! - Flags are cleared by writing 1s to CCRx at their positions.

use std::time::{Duration, Instant};

use super::regs::{cr, key, sr};

/// Bytes in one flash word (256 bits).
pub const FLASH_WORD: u32 = 32;

/// A bus access the FLASH interface answers with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum H7BusFault {
    #[error("the register is locked until reset after a wrong key sequence")]
    LockedUntilReset,
    #[error("wrong key sequence: the register is locked until reset")]
    WrongKey,
    #[error("flash access blocked: read protection with a debugger attached")]
    ReadProtected,
    #[error("no flash at this address")]
    NoFlash,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    Idle,
    FirstKeySeen,
}

/// The data of one flash word being collected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WriteBuffer {
    /// Offset of the flash word inside the physical bank (32-byte aligned).
    pub word: u32,
    /// The bytes, 0xFF where nothing was written.
    pub data: [u8; FLASH_WORD as usize],
    /// One bit per byte written.
    pub filled: u32,
}

impl WriteBuffer {
    fn new(word: u32) -> Self {
        WriteBuffer {
            word,
            data: [0xFF; FLASH_WORD as usize],
            filled: 0,
        }
    }
}

/// What a write to the bank's flash addresses led to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BufferOutcome {
    /// The bytes wait in the buffer.
    Buffered,
    /// The flash word is complete (or forced): program it.
    Program(WriteBuffer),
    /// Refused; the flag is set.
    Refused,
}

/// What a write to FLASH_CRx asks the array for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CrRequest {
    /// Nothing beyond the register.
    None,
    /// START with SER: erase sector `snb`.
    SectorErase { snb: u32 },
    /// START with BER: erase the whole bank.
    BankErase,
    /// FW with data in the buffer: program it.
    ForceWrite(WriteBuffer),
}

/// The operation running (or queued) on the bank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Flash words being programmed.
    Program,
    /// A sector, bank or mass erase.
    Erase,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Busy {
    until: Instant,
    operation: Operation,
}

/// One bank's register set.
#[derive(Debug, Clone)]
pub struct BankController {
    cr: u32,
    flags: u32,
    key: KeyState,
    locked_until_reset: bool,
    buffer: Option<WriteBuffer>,
    busy: Option<Busy>,
    /// Busy never ends (fault injection).
    pub stuck_busy: bool,
}

impl Default for BankController {
    fn default() -> Self {
        Self::new()
    }
}

impl BankController {
    /// The register set after a reset: locked, PSIZE 0b11 (the reset value is not in the
    /// reference: UNVERIFIED), nothing pending.
    pub fn new() -> Self {
        BankController {
            cr: cr::LOCK | cr::PSIZE,
            flags: 0,
            key: KeyState::Idle,
            locked_until_reset: false,
            buffer: None,
            busy: None,
            stuck_busy: false,
        }
    }

    /// A system reset: back to [`BankController::new`], the fault injection kept.
    pub fn reset(&mut self) {
        let stuck_busy = self.stuck_busy;
        *self = BankController::new();
        self.stuck_busy = stuck_busy;
    }

    /// Ends an operation whose time is up: BSY and QW drop, EOP rises.
    pub fn settle(&mut self, now: Instant) {
        if let Some(busy) = self.busy {
            if !self.stuck_busy && now >= busy.until {
                self.busy = None;
                self.flags |= sr::EOP;
            }
        }
    }

    /// Whether an operation is running or queued.
    pub fn is_busy(&mut self, now: Instant) -> bool {
        self.settle(now);
        self.busy.is_some()
    }

    /// Whether an erase is running.
    fn erasing(&mut self, now: Instant) -> bool {
        self.settle(now);
        matches!(self.busy, Some(b) if b.operation == Operation::Erase)
    }

    /// Starts `operation` lasting `duration`, queued behind the running one if any.
    pub fn start_busy(&mut self, now: Instant, duration: Duration, operation: Operation) {
        let from = self.busy.map_or(now, |b| b.until.max(now));
        let operation = match self.busy {
            Some(b) if b.operation == Operation::Erase => Operation::Erase,
            _ => operation,
        };
        self.busy = Some(Busy {
            until: from + duration,
            operation,
        });
    }

    /// Raises error or status flags.
    pub fn flag(&mut self, flags: u32) {
        self.flags |= flags;
    }

    /// Whether FLASH_CRx.LOCK is set.
    pub fn locked(&self) -> bool {
        self.cr & cr::LOCK != 0
    }

    /// FLASH_CRx.PG.
    pub fn programming(&self) -> bool {
        self.cr & cr::PG != 0
    }

    /// FLASH_CRx as read.
    pub fn read_cr(&self) -> u32 {
        self.cr
    }

    /// FLASH_SRx as read.
    pub fn read_sr(&mut self, now: Instant) -> u32 {
        let busy = if self.is_busy(now) {
            sr::BSY | sr::QW
        } else {
            0
        };
        let wbne = if self.buffer.is_some() { sr::WBNE } else { 0 };
        self.flags | busy | wbne
    }

    /// FLASH_CCRx: clears the flags written as 1.
    pub fn write_ccr(&mut self, value: u32) {
        self.flags &= !(value & sr::CLEARABLE);
    }

    /// FLASH_KEYRx.
    pub fn write_keyr(&mut self, value: u32) -> Result<(), H7BusFault> {
        if self.locked_until_reset {
            return Err(H7BusFault::LockedUntilReset);
        }
        match (self.locked(), self.key, value) {
            (true, KeyState::Idle, key::KEY1) => {
                self.key = KeyState::FirstKeySeen;
                Ok(())
            }
            (true, KeyState::FirstKeySeen, key::KEY2) => {
                self.key = KeyState::Idle;
                self.cr &= !cr::LOCK;
                Ok(())
            }
            _ => {
                // Wrong key, keys out of order, or a key while unlocked.
                self.locked_until_reset = true;
                self.key = KeyState::Idle;
                self.cr |= cr::LOCK;
                self.buffer = None;
                Err(H7BusFault::WrongKey)
            }
        }
    }

    /// FLASH_CRx. Returns what the array must do.
    pub fn write_cr(&mut self, value: u32, now: Instant) -> CrRequest {
        if self.locked() {
            return CrRequest::None;
        }
        let was_programming = self.programming();
        self.cr = (value & cr::STORED & !cr::LOCK) | (value & cr::LOCK);
        if was_programming && !self.programming() && self.buffer.take().is_some() {
            self.flags |= sr::PGSERR;
        }
        if value & cr::FW != 0 {
            if let Some(buffer) = self.buffer.take() {
                return CrRequest::ForceWrite(buffer);
            }
        }
        if value & cr::START == 0 {
            return CrRequest::None;
        }
        let (ser, ber) = (value & cr::SER != 0, value & cr::BER != 0);
        if ser == ber || self.buffer.is_some() || self.is_busy(now) {
            // Both or neither erase kind, data waiting in the buffer, or an operation running:
            // a sequence error (UNVERIFIED; silicon may queue behind a running operation).
            self.flags |= sr::PGSERR;
            return CrRequest::None;
        }
        if ser {
            CrRequest::SectorErase {
                snb: (value & cr::SNB) >> cr::SNB_SHIFT,
            }
        } else {
            CrRequest::BankErase
        }
    }

    /// A write of `bytes` at `offset` inside the bank (the caller has checked the bank exists).
    pub fn buffer_write(&mut self, offset: u32, bytes: &[u8], now: Instant) -> BufferOutcome {
        if self.locked() || !self.programming() || self.erasing(now) {
            // Without PG, or while an erase runs, a write to flash is a sequence error
            // (UNVERIFIED: silicon may stall the write until the erase ends).
            self.flags |= sr::PGSERR;
            return BufferOutcome::Refused;
        }
        let word = offset & !(FLASH_WORD - 1);
        let mut buffer = match self.buffer.take() {
            Some(b) if b.word == word => b,
            Some(_) => {
                self.flags |= sr::INCERR;
                return BufferOutcome::Refused;
            }
            None => WriteBuffer::new(word),
        };
        let first = offset - word;
        let lanes = ((1u64 << bytes.len()) - 1) as u32;
        let mask = lanes << first;
        if buffer.filled & mask != 0 {
            self.flags |= sr::STRBERR;
            self.buffer = Some(buffer);
            return BufferOutcome::Refused;
        }
        buffer.data[first as usize..first as usize + bytes.len()].copy_from_slice(bytes);
        buffer.filled |= mask;
        if buffer.filled == u32::MAX {
            BufferOutcome::Program(buffer)
        } else {
            self.buffer = Some(buffer);
            BufferOutcome::Buffered
        }
    }
}
