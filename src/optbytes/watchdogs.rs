//! Freezing the independent and window watchdogs while the core is halted, so that neither
//! resets the chip in the middle of an option change. Family-free: the caller names its DBGMCU
//! freeze register and its bits (DBGMCU_APB1_FZ on the F7, DBGMCU_APB1FZR1 on the G4, one
//! register per watchdog on the H7).

use super::error::{Error, LeftState};
use super::target::Target;

/// A DBGMCU register holding the watchdog freeze bits.
#[derive(Clone, Copy, Debug)]
pub(crate) struct FreezeRegister {
    pub address: u32,
    pub name: &'static str,
    /// The freeze bits (DBG_IWDG_STOP | DBG_WWDG_STOP on most families).
    pub bits: u32,
    /// Their names as the reference manual gives them, for the progress line.
    pub bit_names: &'static str,
}

impl FreezeRegister {
    /// Sets the freeze bits unless both are set already; touches nothing else.
    pub(crate) fn freeze<T: Target + ?Sized>(
        &self,
        t: &mut T,
        progress: &mut dyn FnMut(&str),
    ) -> Result<(), Error> {
        let name = self.name;
        let fz = t
            .read32(self.address)
            .map_err(|e| Error::probe(format!("reading {name}"), e, LeftState::UNTOUCHED))?;
        if fz & self.bits != self.bits {
            t.write32(self.address, fz | self.bits).map_err(|e| {
                Error::probe(
                    format!("freezing the watchdogs ({name})"),
                    e,
                    LeftState::UNTOUCHED,
                )
            })?;
        }
        progress(&format!(
            "watchdog freeze set while the core is halted ({name}.{})",
            self.bit_names
        ));
        Ok(())
    }
}
