//! Erasing STM32F76x/F77x and F74x/F75x flash in sectors ([`plan`], [`run`]).

pub mod plan;
pub mod run;

use probe_rs::Core;

use crate::chip::family::ChipFamily;
use crate::erase::{EraseFamily, Erased, Error, Request};

pub use plan::{plan, valid_sectors, Refusal};
pub use run::{erase, live_flash, EraseError};

/// The F7 family's erase.
pub struct F7;

/// The family's object, registered in [`crate::erase::FAMILIES`].
pub static FAMILY: F7 = F7;

impl From<EraseError> for Error {
    fn from(e: EraseError) -> Self {
        match e {
            EraseError::Refused(r) => Error::Refused(Box::new(r)),
            other => Error::Failed(Box::new(other)),
        }
    }
}

impl EraseFamily for F7 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::f7::FAMILY
    }

    fn unit_word(&self) -> &'static str {
        "sector"
    }

    fn check(&self, core: &mut Core<'_>, target_name: &str, request: Request) -> Result<(), Error> {
        let live = live_flash(core, target_name)?;
        plan(request, &live.layout, &live.protected).map_err(EraseError::from)?;
        Ok(())
    }

    fn erase(
        &self,
        core: &mut Core<'_>,
        target_name: &str,
        request: Request,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Erased, Error> {
        let sectors = erase(core, target_name, request, |p| {
            progress(&format!(
                "erased sector {} ({} KB at {:#010x}, bank {}) [{}/{}]",
                p.sector.index,
                p.sector.size / 1024,
                p.sector.address,
                p.sector.bank,
                p.done,
                p.total
            ))
        })?;
        Ok(Erased {
            count: sectors.len(),
            unit: "sector",
        })
    }
}
