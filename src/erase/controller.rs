//! The FLASH-controller steps an erase takes on any family whose controller has FLASH_CR with a
//! LOCK bit, FLASH_KEYR, and FLASH_SR with BSY and write-1-to-clear error flags (the F7 and the
//! G4 both do): unlock only when LOCK is set, wait for BSY with a bound, clear stale flags, run
//! one operation (select bits, then STRT), and set LOCK again. It knows no family: a
//! [`Controller`] carries the addresses, bits and keys from `chip`, and a [`StepError`] leaves
//! the "what is erased so far" wording to the caller.

use std::time::{Duration, Instant};

use probe_rs::{Core, MemoryInterface};

/// One family's FLASH-controller facts, as its `chip` registers module names them.
#[derive(Clone, Copy, Debug)]
pub struct Controller {
    /// FLASH_CR address.
    pub cr: u32,
    /// FLASH_SR address.
    pub sr: u32,
    /// FLASH_KEYR address.
    pub keyr: u32,
    /// The FLASH_KEYR keys, in order.
    pub keys: [u32; 2],
    /// FLASH_CR.LOCK.
    pub lock: u32,
    /// What is written to FLASH_CR to lock it again (LOCK, and any other lock bit to set).
    pub relock: u32,
    /// FLASH_CR.STRT.
    pub strt: u32,
    /// FLASH_SR.BSY.
    pub bsy: u32,
    /// FLASH_SR.EOP.
    pub eop: u32,
    /// The FLASH_SR error flags an erase can raise (write 1 to clear).
    pub errors: u32,
    /// The step that clears the select bits after an operation, e.g. "clearing FLASH_CR.SER".
    pub clear_select: &'static str,
}

/// Why a controller step failed; the caller adds what was erased before it.
#[derive(Debug)]
pub enum StepError {
    /// LOCK still set after the key sequence.
    StillLocked,
    /// BSY still set after `timeout`.
    Busy { timeout: Duration, during: String },
    /// A probe transfer failed.
    Probe {
        during: String,
        source: probe_rs::Error,
    },
}

impl Controller {
    fn read(&self, core: &mut Core<'_>, address: u32, what: &str) -> Result<u32, StepError> {
        core.read_word_32(address.into())
            .map_err(|source| StepError::Probe {
                during: what.into(),
                source,
            })
    }

    fn write(
        &self,
        core: &mut Core<'_>,
        address: u32,
        value: u32,
        what: &str,
    ) -> Result<(), StepError> {
        core.write_word_32(address.into(), value)
            .and_then(|()| core.flush())
            .map_err(|source| StepError::Probe {
                during: what.into(),
                source,
            })
    }

    /// The FLASH_KEYR sequence, only when LOCK is set (a key written to an unlocked FLASH_CR
    /// locks it until reset); then wait (at most `idle_timeout`) for a running operation and
    /// clear stale flags, which would otherwise make the first erase look failed.
    pub fn unlock(&self, core: &mut Core<'_>, idle_timeout: Duration) -> Result<(), StepError> {
        let cr = self.read(core, self.cr, "reading FLASH_CR")?;
        if cr & self.lock != 0 {
            for key in self.keys {
                self.write(core, self.keyr, key, "writing FLASH_KEYR")?;
            }
            if self.read(core, self.cr, "reading FLASH_CR")? & self.lock != 0 {
                return Err(StepError::StillLocked);
            }
        }
        self.wait_idle(core, idle_timeout, "before starting")?;
        self.write(core, self.sr, self.errors | self.eop, "clearing FLASH_SR")
    }

    /// Sets the lock bits again.
    pub fn lock(&self, core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
        core.write_word_32(self.cr.into(), self.relock)?;
        core.flush()
    }

    /// Polls FLASH_SR until BSY is clear, at most `timeout`; returns the last FLASH_SR.
    pub fn wait_idle(
        &self,
        core: &mut Core<'_>,
        timeout: Duration,
        during: &str,
    ) -> Result<u32, StepError> {
        let start = Instant::now();
        loop {
            let sr = self.read(core, self.sr, "reading FLASH_SR")?;
            if sr & self.bsy == 0 {
                return Ok(sr);
            }
            if start.elapsed() > timeout {
                return Err(StepError::Busy {
                    timeout,
                    during: during.into(),
                });
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// One operation on an unlocked controller: the `select` bits, then STRT, a BSY wait of at
    /// most `timeout`, the select bits cleared again. Returns the error flags it raised, already
    /// cleared in FLASH_SR (0 when it succeeded).
    pub fn run(
        &self,
        core: &mut Core<'_>,
        select: u32,
        timeout: Duration,
        during: &str,
    ) -> Result<u32, StepError> {
        self.write(core, self.cr, select, "writing FLASH_CR")?;
        self.write(core, self.cr, select | self.strt, "starting the erase")?;
        let sr = self.wait_idle(core, timeout, during)?;
        self.write(core, self.cr, 0, self.clear_select)?;
        let errors = sr & self.errors;
        if errors != 0 {
            self.write(core, self.sr, errors, "clearing FLASH_SR")?;
        }
        Ok(errors)
    }
}
