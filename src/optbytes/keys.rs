//! The two-key unlock of a FLASH key register (FLASH_OPTKEYR on the F7; FLASH_KEYR and
//! FLASH_OPTKEYR on the G4), robust against a lost second write. Family-free: the caller names
//! the registers, the keys and the lock bit.

use super::error::{Error, LeftState};
use super::target::Target;

/// One key register and the lock bit its keys clear.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeySequence {
    /// The key register's address and its name (for the log).
    pub register: u32,
    pub name: &'static str,
    /// KEY1, KEY2.
    pub keys: [u32; 2],
    /// The register holding the lock bit, and the bit.
    pub lock_register: u32,
    pub lock_bit: u32,
}

impl KeySequence {
    /// Writes both keys, for a register known to be locked; every failure is reported as
    /// `step` with the options `unchanged`.
    pub(crate) fn write<T: Target + ?Sized>(
        &self,
        t: &mut T,
        step: &str,
        unchanged: LeftState,
    ) -> Result<(), Error> {
        let [key1, key2] = self.keys;
        t.write32(self.register, key1)
            .map_err(|e| Error::probe(step, e, unchanged))?;
        let Err(first) = t.write32(self.register, key2) else {
            return Ok(());
        };
        // KEY1 was accepted, so the register now waits for KEY2. Left half-way, the next
        // attempt's KEY1 would be a wrong key and lock the register until reset. Complete the
        // sequence, unless the lost write did arrive (lock bit already clear: one more key would
        // lock it).
        log::warn!(
            "writing the second key to {} failed ({first}); checking the lock bit before retrying",
            self.name
        );
        let lock = t
            .read32(self.lock_register)
            .map_err(|_| Error::probe(step, first, unchanged))?;
        if lock & self.lock_bit != 0 {
            t.write32(self.register, key2)
                .map_err(|e| Error::probe(step, e, unchanged))?;
        }
        Ok(())
    }
}
