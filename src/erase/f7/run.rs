//! The erase sequence through the FLASH registers (RM0410 §3.3.5–3.3.7), host-driven on a
//! halted core: unlock FLASH_CR only when LOCK is set, wait for BSY with a bounded timeout,
//! clear stale error flags, SER + SNB + STRT per sector, check FLASH_SR, and set LOCK again on
//! every path.

use std::time::{Duration, Instant};

use probe_rs::Core;

use crate::chip::f7::registers::{
    flash_sr_flag_names, FLASH_CR, FLASH_CR_LOCK, FLASH_CR_PSIZE_X32, FLASH_CR_SER,
    FLASH_CR_SNB_SHIFT, FLASH_CR_STRT, FLASH_KEY1, FLASH_KEY2, FLASH_KEYR, FLASH_SR, FLASH_SR_BSY,
    FLASH_SR_EOP, FLASH_SR_ERRORS, FLASH_SR_WRPERR,
};
use crate::chip::f7::{Field, FlashLayout, Part, Sector};
use crate::optbytes::f7 as optbytes;
use crate::optbytes::Error as OptionsError;

use crate::erase::controller::{Controller, StepError};
use crate::erase::Request;

use super::plan::{plan, Refusal};

/// The longest a sector erase may take: RM0410's datasheet maximum for a 256 KB sector at x32
/// is 4 s; twice that, with room for a slow probe.
pub const SECTOR_TIMEOUT: Duration = Duration::from_secs(10);

/// Why an erase failed, and what state the flash is left in.
#[derive(Debug, thiserror::Error)]
pub enum EraseError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("reading the chip: {0}")]
    Inspect(#[source] OptionsError),
    #[error("FLASH_CR stays locked after the FLASH_KEYR sequence (keys refused until reset); nothing erased")]
    StillLocked,
    #[error("FLASH_SR.BSY still set after {timeout:?} {during}; {state}")]
    Busy {
        timeout: Duration,
        during: String,
        state: String,
    },
    #[error(
        "sector {sector} was not erased: FLASH_SR.WRPERR (the sector is write-protected); {state}"
    )]
    WriteProtected { sector: u8, state: String },
    #[error("sector {sector} was not erased: FLASH_SR {flags}; {state}")]
    Failed {
        sector: u8,
        flags: String,
        state: String,
    },
    #[error("probe access failed {during}: {source}; {state}")]
    Probe {
        during: String,
        #[source]
        source: probe_rs::Error,
        state: String,
    },
}

/// The live layout and the write-protected sectors of the chip.
pub struct LiveFlash {
    pub part: Part,
    pub layout: FlashLayout,
    pub protected: Vec<u8>,
}

/// Reads the bank mode now in effect (FLASH_OPTCR) and nWRP.
pub fn live_flash(core: &mut Core<'_>, target_name: &str) -> Result<LiveFlash, EraseError> {
    let snapshot = optbytes::read(core).map_err(EraseError::Inspect)?;
    let part = optbytes::identify(&snapshot, target_name).map_err(EraseError::Inspect)?;
    if Field::NDBank.exists_on(&part) {
        let stored = snapshot.pending().map(|programmed| programmed.ndbank());
        if let Some(why) = optbytes::live::unsettled(snapshot.words.ndbank(), stored) {
            return Err(Refusal::BankModeUnsettled(why).into());
        }
    }
    let layout = part.layout_for_ndbank(snapshot.words.ndbank());
    let nwrp = snapshot.words.get(Field::NWrp) as u16;
    let protected = layout.protected_sectors(nwrp, part.family.nwrp_bits());
    Ok(LiveFlash {
        part,
        layout,
        protected,
    })
}

/// What erasing did so far, for the progress callback.
#[derive(Clone, Copy, Debug)]
pub struct Progress<'a> {
    pub sector: &'a Sector,
    /// 1-based position and the total.
    pub done: usize,
    pub total: usize,
    pub took: Duration,
}

/// Erases what `request` names in the live layout. The core must be halted (the caller halts it
/// and leaves it halted: a running program could race the FLASH registers or execute erased
/// code). `progress` is called after each sector.
pub fn erase(
    core: &mut Core<'_>,
    target_name: &str,
    request: Request,
    mut progress: impl FnMut(Progress<'_>),
) -> Result<Vec<Sector>, EraseError> {
    let live = live_flash(core, target_name)?;
    let sectors = plan(request, &live.layout, &live.protected)?;
    let mut erased = Vec::new();
    let result = unlock(core).and_then(|()| {
        for (i, sector) in sectors.iter().enumerate() {
            let start = Instant::now();
            erase_sector(core, sector, &erased)?;
            erased.push(sector.index);
            progress(Progress {
                sector,
                done: i + 1,
                total: sectors.len(),
                took: start.elapsed(),
            });
        }
        Ok(())
    });
    let relock = lock(core);
    result?;
    relock.map_err(|source| EraseError::Probe {
        during: "setting FLASH_CR.LOCK".into(),
        source,
        state: format!("{} erased, FLASH_CR may be unlocked", erased_text(&erased)),
    })?;
    Ok(sectors)
}

fn erased_text(erased: &[u8]) -> String {
    if erased.is_empty() {
        "nothing".into()
    } else {
        let numbers: Vec<String> = erased.iter().map(u8::to_string).collect();
        format!("sector(s) {}", numbers.join(", "))
    }
}

fn state(erased: &[u8]) -> String {
    format!("{} erased, FLASH_CR locked", erased_text(erased))
}

/// The F76x/F77x controller (RM0410 §3.7): x32 parallelism is selected with each sector.
const CONTROLLER: Controller = Controller {
    cr: FLASH_CR,
    sr: FLASH_SR,
    keyr: FLASH_KEYR,
    keys: [FLASH_KEY1, FLASH_KEY2],
    lock: FLASH_CR_LOCK,
    relock: FLASH_CR_LOCK,
    strt: FLASH_CR_STRT,
    bsy: FLASH_SR_BSY,
    eop: FLASH_SR_EOP,
    errors: FLASH_SR_ERRORS,
    clear_select: "clearing FLASH_CR.SER",
};

fn step_error(error: StepError, erased: &[u8]) -> EraseError {
    match error {
        StepError::StillLocked => EraseError::StillLocked,
        StepError::Busy { timeout, during } => EraseError::Busy {
            timeout,
            during,
            state: format!(
                "{}, the erase may still be running; FLASH_CR locked",
                erased_text(erased)
            ),
        },
        StepError::Probe { during, source } => EraseError::Probe {
            during,
            source,
            state: state(erased),
        },
    }
}

fn unlock(core: &mut Core<'_>) -> Result<(), EraseError> {
    CONTROLLER
        .unlock(core, SECTOR_TIMEOUT)
        .map_err(|e| step_error(e, &[]))
}

fn lock(core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
    CONTROLLER.lock(core)
}

fn erase_sector(core: &mut Core<'_>, sector: &Sector, erased: &[u8]) -> Result<(), EraseError> {
    let select = FLASH_CR_PSIZE_X32 | FLASH_CR_SER | (u32::from(sector.snb) << FLASH_CR_SNB_SHIFT);
    let during = format!("erasing sector {}", sector.index);
    let errors = CONTROLLER
        .run(core, select, SECTOR_TIMEOUT, &during)
        .map_err(|e| step_error(e, erased))?;
    if errors != 0 {
        if errors & FLASH_SR_WRPERR != 0 {
            return Err(EraseError::WriteProtected {
                sector: sector.index,
                state: state(erased),
            });
        }
        return Err(EraseError::Failed {
            sector: sector.index,
            flags: flash_sr_flag_names(errors).join(" "),
            state: state(erased),
        });
    }
    Ok(())
}
