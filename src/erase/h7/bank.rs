//! One physical bank's FLASH register set on the STM32H74x/H75x (FLASH_KEYRx, CRx, SRx, CCRx;
//! bank 2's at +0x100), as erase and host-driven programming drive it. The H7's controller is
//! not the F7/G4 one of [`crate::erase::controller`]: LOCK is CRx bit 0, the operation starts
//! with CRx.START, the flags clear through CCRx (SRx is read-only), and a programming operation
//! is busy while QW is set. Every wait is bounded; [`BankSet::lock`] runs on every path.

use std::time::{Duration, Instant};

use probe_rs::{Core, MemoryInterface};

use crate::chip::h7::registers::{
    flash_sr_flag_names, BankRegisters, FLASH_CR_LOCK, FLASH_CR_PSIZE, FLASH_CR_START, FLASH_KEY1,
    FLASH_KEY2, FLASH_SR_BSY, FLASH_SR_CLEARABLE, FLASH_SR_PROGRAM_ERRORS, FLASH_SR_QW,
    FLASH_SR_WBNE,
};
use crate::chip::h7::PhysicalBank;

/// Why a step on a bank's registers failed.
#[derive(Debug, thiserror::Error)]
pub enum StepError {
    /// CRx.LOCK still set after the key sequence.
    #[error("FLASH_CR{bank}.LOCK is still set after the key sequence (FLASH_KEYR{bank} refuses keys until the next reset)")]
    StillLocked { bank: u8 },
    /// BSY/QW still set after `timeout`.
    #[error("FLASH_SR{bank}.BSY/QW still set after {} s {during}", .timeout.as_secs_f32())]
    Busy {
        bank: u8,
        timeout: Duration,
        during: String,
    },
    /// The operation raised error flags (already cleared through CCRx).
    #[error("FLASH_SR{bank} = {sr:#010x} ({}) {during}", flash_sr_flag_names(*.sr).join(", "))]
    Flags { bank: u8, sr: u32, during: String },
    /// A probe transfer failed.
    #[error("probe error while {during}: {source}")]
    Probe {
        during: String,
        source: probe_rs::Error,
    },
}

/// The register set of one physical bank.
#[derive(Clone, Copy, Debug)]
pub struct BankSet {
    /// The physical bank.
    pub bank: PhysicalBank,
    registers: &'static BankRegisters,
}

impl BankSet {
    /// The register set of `bank`.
    pub fn of(bank: PhysicalBank) -> Self {
        BankSet {
            bank,
            registers: bank.registers(),
        }
    }

    fn n(&self) -> u8 {
        self.bank.number()
    }

    fn read(&self, core: &mut Core<'_>, address: u32, what: &str) -> Result<u32, StepError> {
        core.read_word_32(address.into())
            .map_err(|source| StepError::Probe {
                during: format!("reading {what}"),
                source,
            })
    }

    fn write(&self, core: &mut Core<'_>, address: u32, value: u32, what: &str) -> Result<(), StepError> {
        core.write_word_32(address.into(), value)
            .and_then(|()| core.flush())
            .map_err(|source| StepError::Probe {
                during: format!("writing {what}"),
                source,
            })
    }

    fn cr_name(&self) -> String {
        format!("FLASH_CR{}", self.n())
    }

    /// FLASH_CRx as read.
    pub fn read_cr(&self, core: &mut Core<'_>) -> Result<u32, StepError> {
        self.read(core, self.registers.cr.address(), &self.cr_name())
    }

    /// The KEYRx sequence, only while LOCK is set (a key on an unlocked register locks it
    /// until reset); then a bounded wait for a running operation, and the stale flags cleared
    /// through CCRx.
    pub fn unlock(&self, core: &mut Core<'_>, idle: Duration) -> Result<(), StepError> {
        if self.read_cr(core)? & FLASH_CR_LOCK != 0 {
            let keyr = format!("FLASH_KEYR{}", self.n());
            for key in [FLASH_KEY1, FLASH_KEY2] {
                self.write(core, self.registers.keyr.address(), key, &keyr)?;
            }
            if self.read_cr(core)? & FLASH_CR_LOCK != 0 {
                return Err(StepError::StillLocked { bank: self.n() });
            }
        }
        self.wait_idle(core, idle, "before starting")?;
        self.clear_flags(core, FLASH_SR_CLEARABLE)
    }

    fn clear_flags(&self, core: &mut Core<'_>, flags: u32) -> Result<(), StepError> {
        let name = format!("FLASH_CCR{}", self.n());
        self.write(core, self.registers.ccr.address(), flags, &name)
    }

    /// Polls SRx until BSY, QW and WBNE are clear, at most `timeout`; returns the last SRx.
    pub fn wait_idle(&self, core: &mut Core<'_>, timeout: Duration, during: &str) -> Result<u32, StepError> {
        let start = Instant::now();
        let name = format!("FLASH_SR{}", self.n());
        loop {
            let sr = self.read(core, self.registers.sr.address(), &name)?;
            if sr & (FLASH_SR_BSY | FLASH_SR_QW | FLASH_SR_WBNE) == 0 {
                return Ok(sr);
            }
            if start.elapsed() > timeout {
                return Err(StepError::Busy {
                    bank: self.n(),
                    timeout,
                    during: during.into(),
                });
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Writes `bits` to CRx (keeping PSIZE as it reads), then, when `start` is set, the same with
    /// START.
    pub fn set_cr(&self, core: &mut Core<'_>, bits: u32, start: bool) -> Result<(), StepError> {
        let psize = self.read_cr(core)? & FLASH_CR_PSIZE;
        let address = self.registers.cr.address();
        self.write(core, address, psize | bits, &self.cr_name())?;
        if start {
            self.write(core, address, psize | bits | FLASH_CR_START, &self.cr_name())?;
        }
        Ok(())
    }

    /// Checks SRx for error flags after an operation; clears them through CCRx (and EOP).
    pub fn check(&self, core: &mut Core<'_>, sr: u32, during: &str) -> Result<(), StepError> {
        let errors = sr & FLASH_SR_PROGRAM_ERRORS;
        self.clear_flags(core, sr & FLASH_SR_CLEARABLE)?;
        if errors != 0 {
            return Err(StepError::Flags {
                bank: self.n(),
                sr,
                during: during.into(),
            });
        }
        Ok(())
    }

    /// One erase: `bits` (SER + SNB, or BER), START, a bounded wait, the bits cleared, the flags
    /// checked.
    pub fn erase(&self, core: &mut Core<'_>, bits: u32, timeout: Duration, during: &str) -> Result<(), StepError> {
        self.set_cr(core, bits, true)?;
        let waited = self.wait_idle(core, timeout, during);
        let cleared = self.set_cr(core, 0, false);
        let sr = waited?;
        cleared?;
        self.check(core, sr, during)
    }

    /// Sets CRx.LOCK (with nothing selected or started).
    pub fn lock(&self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        let address = self.registers.cr.address();
        let cr = core.read_word_32(address.into())?;
        core.write_word_32(address.into(), (cr & FLASH_CR_PSIZE) | FLASH_CR_LOCK)?;
        core.flush()
    }
}
