//! Erasing STM32G47x/G48x flash (RM0440 §3.3.7, the L4-lineage controller at 0x4002_2000),
//! host-driven on a halted core, in the bank mode FLASH_OPTR.DBANK has loaded: 2 KB pages in two
//! banks (bank 2 at 0x0804_0000) or 4 KB pages in one.
//!
//! Pages are numbered in address order across both banks, as the F7 numbers its sectors: on a
//! 512 KB part in dual-bank mode pages 0-127 are bank 1 and 128-255 bank 2 (FLASH_CR.PNB is the
//! number inside the bank, BKER selects bank 2). [`plan`] is pure; [`erase_units`] is the
//! register sequence, reusable by anything that needs pages or banks erased: unlock FLASH_CR
//! only when LOCK is set, wait for BSY with a bounded timeout, clear stale error flags, then per
//! page PER + PNB + BKER and STRT (or MER1/MER2 and STRT per bank), check FLASH_SR after each,
//! and set LOCK again on every path.

pub mod program;

use std::time::Duration;

use probe_rs::Core;

use crate::chip::g4::geometry::Bank;
use crate::chip::g4::registers::{
    flash_sr_flag_names, FlashRegister, FLASH_CR_LOCK, FLASH_CR_MER1, FLASH_CR_MER2,
    FLASH_CR_OPTLOCK, FLASH_CR_STRT, FLASH_KEY1, FLASH_KEY2, FLASH_SR_BSY, FLASH_SR_EOP,
    FLASH_SR_FASTERR, FLASH_SR_MISERR, FLASH_SR_PROGRAM_ERRORS, FLASH_SR_WRPERR,
};
use crate::chip::g4::{G4Layout, G4Part, Page};
use crate::chip::BankMode;
use crate::optbytes::g4::live::read_live;

use crate::chip::family::ChipFamily;
use crate::erase::controller::{Controller, StepError};
use crate::erase::{EraseFamily, Erased, Error, Request};

/// The longest one page erase may take: RM0440's datasheet gives tens of milliseconds; a
/// second leaves room for a slow probe.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest a bank mass erase may take (datasheet: tens of milliseconds); generous on purpose.
pub const MASS_TIMEOUT: Duration = Duration::from_secs(10);

/// The error flags an erase can raise: WRPERR, PGSERR and the other programming errors, and the
/// fast-programming ones (a stale one blocks the next operation with PGSERR).
const ERASE_ERRORS: u32 = FLASH_SR_PROGRAM_ERRORS | FLASH_SR_MISERR | FLASH_SR_FASTERR;

/// One unit of erase work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// One page; `number` counts pages in address order across the banks.
    Page { number: u16, page: Page },
    /// A whole bank by mass erase (MER1 or MER2); in single-bank mode bank 1 is all of flash.
    Bank { bank: Bank, mode: BankMode },
}

impl Unit {
    /// Start address.
    pub fn address(&self) -> u32 {
        match self {
            Unit::Page { page, .. } => page.address,
            Unit::Bank { bank, .. } => bank.base,
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u32 {
        match self {
            Unit::Page { page, .. } => page.size,
            Unit::Bank { bank, .. } => bank.end() - bank.base,
        }
    }

    /// FLASH_CR bits that select this unit (STRT is written after them).
    pub fn select_bits(&self) -> u32 {
        match self {
            Unit::Page { page, .. } => page.erase_bits(),
            // Single bank: ST's HAL sets MER1 and MER2 together for the one bank (UNVERIFIED in
            // RM0440 itself).
            Unit::Bank { mode, .. } if *mode == BankMode::Single => FLASH_CR_MER1 | FLASH_CR_MER2,
            Unit::Bank { bank, .. } if bank.number == 2 => FLASH_CR_MER2,
            Unit::Bank { .. } => FLASH_CR_MER1,
        }
    }

    fn timeout(&self) -> Duration {
        match self {
            Unit::Page { .. } => PAGE_TIMEOUT,
            Unit::Bank { .. } => MASS_TIMEOUT,
        }
    }

    /// "page 130" or "bank 2", for messages.
    pub fn name(&self) -> String {
        match self {
            Unit::Page { number, .. } => format!("page {number}"),
            Unit::Bank { bank, .. } => format!("bank {}", bank.number),
        }
    }

    /// The progress line after this unit is erased.
    pub fn progress_line(&self, done: usize, total: usize) -> String {
        match self {
            Unit::Page { number, page } => format!(
                "erased page {number} ({} KB at {:#010x}, bank {}, PNB {}) [{done}/{total}]",
                page.size / 1024,
                page.address,
                page.bank,
                page.pnb
            ),
            Unit::Bank { bank, .. } => format!(
                "erased bank {} ({} KB at {:#010x}, mass erase) [{done}/{total}]",
                bank.number,
                self.size() / 1024,
                bank.base
            ),
        }
    }
}

/// Why a G4 erase request cannot be carried out in the live layout. Nothing has been erased.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("STM32G4 flash is erased in pages, not sectors: use `erase page N` (valid pages: {valid}); nothing erased")]
    SectorOnPageFlash { valid: String },
    #[error("{request} needs dual-bank mode, but the chip is in single-bank mode (FLASH_OPTR.DBANK = 0); erase all or a page, or switch with `bank dual`; nothing erased")]
    SingleBank { request: Request },
    #[error(
        "there is no page {number} in this layout ({layout}); valid pages: {valid}; nothing erased"
    )]
    NoSuchPage {
        number: u16,
        layout: String,
        valid: String,
    },
    #[error("page{} {} write-protected (a FLASH_WRPxyR area covers {}); nothing erased. Clear the area with `optbytes set` first", if .pages.len() > 1 { "s" } else { "" }, page_list(.pages), if .pages.len() > 1 { "them" } else { "it" })]
    PagesWriteProtected { pages: Vec<u16> },
}

fn page_list(pages: &[u16]) -> String {
    let numbers: Vec<String> = pages.iter().map(u16::to_string).collect();
    let shown = if numbers.len() > 8 {
        format!(
            "{} … {} ({} pages)",
            numbers[0],
            numbers[numbers.len() - 1],
            numbers.len()
        )
    } else {
        numbers.join(", ")
    };
    format!("{shown} {}", if pages.len() > 1 { "are" } else { "is" })
}

/// Why a G4 erase failed, and what state the flash is left in.
#[derive(Debug, thiserror::Error)]
pub enum G4EraseError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("reading the chip: {0}")]
    Inspect(#[source] probe_rs::Error),
    #[error("not an STM32G47x/G48x with a known flash size (DBGMCU_IDCODE {idcode:#010x}, flash size register {flash_kb} KB); nothing erased")]
    UnknownPart { idcode: u32, flash_kb: u16 },
    /// FLASH_OPTR.DBANK differs from the stored image: the page layout the chip runs is not
    /// known (the words of [`crate::optbytes::g4::live::G4Live::unsettled`]).
    #[error("{0}")]
    BankModeUnsettled(String),
    #[error("FLASH_CR stays locked after the FLASH_KEYR sequence (keys refused until reset); nothing erased")]
    StillLocked,
    #[error("FLASH_SR.BSY still set after {timeout:?} {during}; {state}")]
    Busy {
        timeout: Duration,
        during: String,
        state: String,
    },
    #[error("{unit} was not erased: FLASH_SR.WRPERR (write-protected); {state}")]
    WriteProtected { unit: String, state: String },
    #[error("{unit} was not erased: FLASH_SR {flags}; {state}")]
    Failed {
        unit: String,
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

/// The live layout and the write-protected pages of a G4.
#[derive(Clone, Debug)]
pub struct LiveG4Flash {
    pub part: G4Part,
    pub layout: G4Layout,
    /// The pages a loaded FLASH_WRPxyR area covers.
    pub protected: Vec<Page>,
}

/// Reads the part, the loaded bank mode (FLASH_OPTR.DBANK) and the WRP areas.
pub fn live_flash(core: &mut Core<'_>) -> Result<LiveG4Flash, G4EraseError> {
    let live = read_live(core).map_err(G4EraseError::Inspect)?;
    let unknown = || G4EraseError::UnknownPart {
        idcode: live.idcode,
        flash_kb: live.flash_kb,
    };
    let part = live.part.ok_or_else(unknown)?;
    if let Some(why) = live.unsettled() {
        return Err(G4EraseError::BankModeUnsettled(why));
    }
    let protected = live.protected();
    let layout = live.layout.ok_or_else(unknown)?;
    Ok(LiveG4Flash {
        part,
        layout,
        protected,
    })
}

/// Page `number` (address order across both banks) of `layout`.
pub fn page_by_number(layout: &G4Layout, number: u16) -> Option<Page> {
    layout.pages().get(usize::from(number)).copied()
}

/// The number of `page` in address order across both banks.
pub fn page_number(layout: &G4Layout, page: &Page) -> u16 {
    let before: u32 = layout
        .banks
        .iter()
        .take_while(|b| b.number < page.bank)
        .map(|b| b.pages)
        .sum();
    (before + u32::from(page.pnb)) as u16
}

/// The valid page numbers of a layout: "0-127" or "0-127 (bank 1), 128-255 (bank 2)".
pub fn valid_pages(layout: &G4Layout) -> String {
    let mut first = 0u32;
    let mut ranges = Vec::new();
    for bank in &layout.banks {
        let last = first + bank.pages - 1;
        ranges.push(if layout.banks.len() > 1 {
            format!("{first}-{last} (bank {})", bank.number)
        } else {
            format!("{first}-{last}")
        });
        first = last + 1;
    }
    ranges.join(", ")
}

/// The units `request` erases, in address order. Refuses sector numbers (F7 words), banks in
/// single-bank mode, page numbers outside the layout and anything a WRP area covers.
pub fn plan(request: Request, layout: &G4Layout, protected: &[Page]) -> Result<Vec<Unit>, Refusal> {
    let mode = layout.bank_mode;
    let units: Vec<Unit> = match request {
        Request::Sector(_) => {
            return Err(Refusal::SectorOnPageFlash {
                valid: valid_pages(layout),
            })
        }
        Request::All => layout
            .banks
            .iter()
            .map(|&bank| Unit::Bank { bank, mode })
            .collect(),
        Request::Bank(number) => {
            if mode == BankMode::Single {
                return Err(Refusal::SingleBank { request });
            }
            match layout.bank(number) {
                Some(&bank) => vec![Unit::Bank { bank, mode }],
                None => return Err(Refusal::SingleBank { request }),
            }
        }
        Request::Page(number) => match page_by_number(layout, number) {
            Some(page) => vec![Unit::Page { number, page }],
            None => {
                return Err(Refusal::NoSuchPage {
                    number,
                    layout: layout.summary(),
                    valid: valid_pages(layout),
                })
            }
        },
    };
    let blocked: Vec<u16> = protected
        .iter()
        .filter(|p| {
            units
                .iter()
                .any(|u| (u.address()..u.address() + u.size()).contains(&p.address))
        })
        .map(|p| page_number(layout, p))
        .collect();
    if !blocked.is_empty() {
        return Err(Refusal::PagesWriteProtected { pages: blocked });
    }
    Ok(units)
}

/// Erases what `request` names in the live layout. The core must be halted (the caller halts it
/// and leaves it halted). `progress` gets one line per unit erased.
pub fn erase(
    core: &mut Core<'_>,
    request: Request,
    progress: impl FnMut(&Unit, usize, usize),
) -> Result<Vec<Unit>, G4EraseError> {
    let live = live_flash(core)?;
    let units = plan(request, &live.layout, &live.protected)?;
    erase_units(core, &units, progress)?;
    Ok(units)
}

/// The register sequence for `units` (planned against the live layout by the caller): unlock,
/// erase each in turn, relock on every path. `progress(unit, done, total)` follows each unit.
/// Anything that needs G4 pages erased (host-driven programming too) can call this.
pub fn erase_units(
    core: &mut Core<'_>,
    units: &[Unit],
    mut progress: impl FnMut(&Unit, usize, usize),
) -> Result<(), G4EraseError> {
    let mut erased: Vec<String> = Vec::new();
    let result = unlock(core).and_then(|()| {
        for (i, unit) in units.iter().enumerate() {
            erase_unit(core, unit, &erased)?;
            erased.push(unit.name());
            progress(unit, i + 1, units.len());
        }
        Ok(())
    });
    let relock = lock(core);
    result?;
    relock.map_err(|source| G4EraseError::Probe {
        during: "setting FLASH_CR.LOCK".into(),
        source,
        state: format!("{} erased, FLASH_CR may be unlocked", erased_text(&erased)),
    })
}

fn erased_text(erased: &[String]) -> String {
    if erased.is_empty() {
        "nothing".into()
    } else {
        erased.join(", ")
    }
}

fn state(erased: &[String]) -> String {
    format!("{} erased, FLASH_CR locked", erased_text(erased))
}

/// The G47x/G48x controller (RM0440 §3.7). Relocking sets OPTLOCK too, which erasing never
/// clears (software can only set either).
pub(crate) const CONTROLLER: Controller = Controller {
    cr: FlashRegister::Cr.address(),
    sr: FlashRegister::Sr.address(),
    keyr: FlashRegister::Keyr.address(),
    keys: [FLASH_KEY1, FLASH_KEY2],
    lock: FLASH_CR_LOCK,
    relock: FLASH_CR_LOCK | FLASH_CR_OPTLOCK,
    strt: FLASH_CR_STRT,
    bsy: FLASH_SR_BSY,
    eop: FLASH_SR_EOP,
    errors: ERASE_ERRORS,
    clear_select: "clearing FLASH_CR.PER/MERx",
};

fn step_error(error: StepError, erased: &[String]) -> G4EraseError {
    match error {
        StepError::StillLocked => G4EraseError::StillLocked,
        StepError::Busy { timeout, during } => G4EraseError::Busy {
            timeout,
            during,
            state: format!(
                "{}, the erase may still be running; FLASH_CR locked",
                erased_text(erased)
            ),
        },
        StepError::Probe { during, source } => G4EraseError::Probe {
            during,
            source,
            state: state(erased),
        },
    }
}

/// Unlocks, waits for a running operation and clears stale error flags, which would otherwise
/// fail the first erase with PGSERR.
fn unlock(core: &mut Core<'_>) -> Result<(), G4EraseError> {
    CONTROLLER
        .unlock(core, PAGE_TIMEOUT)
        .map_err(|e| step_error(e, &[]))
}

fn lock(core: &mut Core<'_>) -> Result<(), probe_rs::Error> {
    CONTROLLER.lock(core)
}

fn erase_unit(core: &mut Core<'_>, unit: &Unit, erased: &[String]) -> Result<(), G4EraseError> {
    let during = format!("erasing {}", unit.name());
    let errors = CONTROLLER
        .run(core, unit.select_bits(), unit.timeout(), &during)
        .map_err(|e| step_error(e, erased))?;
    if errors != 0 {
        if errors & FLASH_SR_WRPERR != 0 {
            return Err(G4EraseError::WriteProtected {
                unit: unit.name(),
                state: state(erased),
            });
        }
        return Err(G4EraseError::Failed {
            unit: unit.name(),
            flags: flash_sr_flag_names(errors).join(" "),
            state: state(erased),
        });
    }
    Ok(())
}

/// The G4 family's erase.
pub struct G4;

/// The family's object, registered in [`crate::erase::FAMILIES`].
pub static FAMILY: G4 = G4;

impl From<G4EraseError> for Error {
    fn from(e: G4EraseError) -> Self {
        match e {
            G4EraseError::Refused(r) => Error::Refused(Box::new(r)),
            unsettled @ G4EraseError::BankModeUnsettled(_) => Error::Refused(Box::new(unsettled)),
            other => Error::Failed(Box::new(other)),
        }
    }
}

impl EraseFamily for G4 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::g4::FAMILY
    }

    fn unit_word(&self) -> &'static str {
        "page"
    }

    fn check(
        &self,
        core: &mut Core<'_>,
        _target_name: &str,
        request: Request,
    ) -> Result<(), Error> {
        let live = live_flash(core)?;
        plan(request, &live.layout, &live.protected).map_err(G4EraseError::from)?;
        Ok(())
    }

    fn erase(
        &self,
        core: &mut Core<'_>,
        _target_name: &str,
        request: Request,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Erased, Error> {
        let units = erase(core, request, |unit, done, total| {
            progress(&unit.progress_line(done, total))
        })?;
        let unit = match units.first() {
            Some(Unit::Bank { .. }) => "bank",
            _ => "page",
        };
        Ok(Erased {
            count: units.len(),
            unit,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g4::WrpArea;
    use crate::optbytes::g4::live::protected_pages;

    fn layout(mode: BankMode) -> G4Layout {
        G4Layout::new(512, mode).unwrap()
    }

    #[test]
    fn dual_bank_pages_count_across_banks() {
        let dual = layout(BankMode::Dual);
        assert_eq!(valid_pages(&dual), "0-127 (bank 1), 128-255 (bank 2)");
        let units = plan(Request::Page(130), &dual, &[]).unwrap();
        let Unit::Page { page, .. } = units[0] else {
            panic!("{units:?}")
        };
        assert_eq!((page.bank, page.pnb, page.address), (2, 2, 0x0804_1000));
        assert_eq!(page_number(&dual, &page), 130);
        let err = plan(Request::Page(256), &dual, &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("valid pages: 0-127 (bank 1), 128-255 (bank 2)"),
            "{err}"
        );
        let bank2 = plan(Request::Bank(2), &dual, &[]).unwrap();
        assert_eq!(bank2[0].select_bits(), FLASH_CR_MER2);
        assert_eq!(bank2[0].size(), 256 * 1024);
        assert_eq!(plan(Request::All, &dual, &[]).unwrap().len(), 2);
    }

    #[test]
    fn single_bank_refuses_banks_and_sectors() {
        let single = layout(BankMode::Single);
        assert_eq!(valid_pages(&single), "0-127");
        let err = plan(Request::Bank(1), &single, &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("single-bank mode (FLASH_OPTR.DBANK = 0)"),
            "{err}"
        );
        let err = plan(Request::Sector(1), &single, &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("use `erase page N` (valid pages: 0-127)"),
            "{err}"
        );
        let all = plan(Request::All, &single, &[]).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].select_bits(), FLASH_CR_MER1 | FLASH_CR_MER2);
        let Unit::Page { page, .. } = plan(Request::Page(3), &single, &[]).unwrap()[0] else {
            panic!()
        };
        assert_eq!((page.address, page.size), (0x0800_3000, 4096));
    }

    #[test]
    fn write_protected_pages_refuse_the_request() {
        let dual = layout(BankMode::Dual);
        // WRP2AR: pages 4..=5 of bank 2.
        let protected = protected_pages(&dual, &[(WrpArea::Bank2A, (5 << 16) | 4)]);
        assert_eq!(protected.len(), 2);
        let err = plan(Request::Bank(2), &dual, &protected).unwrap_err();
        assert_eq!(
            err,
            Refusal::PagesWriteProtected {
                pages: vec![132, 133]
            }
        );
        assert!(
            err.to_string()
                .contains("pages 132, 133 are write-protected"),
            "{err}"
        );
        assert!(plan(Request::All, &dual, &protected).is_err());
        assert!(plan(Request::Page(133), &dual, &protected).is_err());
        assert!(plan(Request::Page(134), &dual, &protected).is_ok());
        assert!(plan(Request::Bank(1), &dual, &protected).is_ok());
    }
}
