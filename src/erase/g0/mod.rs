//! Erasing STM32G0B0/G0B1/G0C1 flash (reference §3, §7; the L4-lineage controller at
//! 0x4002_2000), host-driven on a halted core, in the bank mode and swap FLASH_OPTR has loaded:
//! 2 KB pages, one bank or two (bank 2 after the first half of the flash).
//!
//! **The user speaks in addresses; the controller in silicon.** `erase bank2` names the address
//! window after the first half of the flash (logical bank 2), `erase page N` the N-th page in
//! address order; FLASH_CR.BKER, PNB and MER1/MER2 name the *physical* bank. With nSWAP_BANK = 0
//! physical bank 2 is mapped at 0x0800_0000, so logical bank 2 is physical bank 1: the plan
//! translates through the live layout ([`G0Layout::locate`]) and every line says both
//! ("logical bank 2 at 0x0804_0000 = physical bank 1"). Erasing the physical bank the address
//! names in the unswapped map is the bug that bricks devices (wolfBoot 821, apache/nuttx#20054).
//!
//! [`plan`] is pure; [`erase_units`] is the register sequence on the shared steps of
//! [`crate::erase::controller`]: unlock FLASH_CR only when LOCK is set, a bounded wait for
//! BSY1/BSY2/CFGBSY, stale flags cleared, per page PER + PNB + BKER then STRT (or MER1/MER2 then
//! STRT per bank), FLASH_SR checked after each, LOCK set again on every path.

pub mod program;

use std::time::Duration;

use probe_rs::Core;

use crate::chip::g0::registers::{
    flash_sr_flag_names, FlashRegister, FLASH_CR_LOCK, FLASH_CR_MER1, FLASH_CR_MER2,
    FLASH_CR_OPTLOCK, FLASH_CR_STRT, FLASH_KEY1, FLASH_KEY2, FLASH_SR_ANY_BUSY, FLASH_SR_EOP,
    FLASH_SR_FASTERR, FLASH_SR_MISERR, FLASH_SR_PROGRAM_ERRORS, FLASH_SR_WRPERR,
};
use crate::chip::g0::{G0Layout, LogicalBank, Page};
use crate::chip::notation::hex32;
use crate::chip::BankMode;
use crate::optbytes::g0::live::read_live;

use crate::chip::family::ChipFamily;
use crate::erase::controller::{Controller, StepError};
use crate::erase::{EraseFamily, Erased, Error, Request};

/// The longest one page erase may take (tens of milliseconds on the part); a second leaves room
/// for a slow probe.
pub const PAGE_TIMEOUT: Duration = Duration::from_secs(1);
/// The longest a bank mass erase may take; generous on purpose.
pub const MASS_TIMEOUT: Duration = Duration::from_secs(10);

/// The error flags an erase can raise (a stale one blocks the next operation with PGSERR).
const ERASE_ERRORS: u32 = FLASH_SR_PROGRAM_ERRORS | FLASH_SR_MISERR | FLASH_SR_FASTERR;

/// One unit of erase work.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// One page; `number` counts pages in address order.
    Page { number: u16, page: Page },
    /// A whole physical bank by mass erase, mapped at `base` (the logical bank `logical`); in
    /// single-bank mode the one bank, all of flash.
    Bank {
        logical: LogicalBank,
        physical: crate::chip::g0::PhysicalBank,
        base: u32,
        size: u32,
        mode: BankMode,
    },
}

impl Unit {
    /// Start address in the mapping in force.
    pub fn address(&self) -> u32 {
        match self {
            Unit::Page { page, .. } => page.address,
            Unit::Bank { base, .. } => *base,
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u32 {
        match self {
            Unit::Page { page, .. } => page.size,
            Unit::Bank { size, .. } => *size,
        }
    }

    /// FLASH_CR bits that select this unit (STRT is written after them): the physical bank's.
    pub fn select_bits(&self) -> u32 {
        match self {
            Unit::Page { page, .. } => page.erase_bits(),
            // One bank: MER1 and MER2 together, as ST's HAL does for a mass erase (UNVERIFIED
            // in RM0444 itself).
            Unit::Bank { mode, .. } if *mode == BankMode::Single => FLASH_CR_MER1 | FLASH_CR_MER2,
            Unit::Bank { physical, .. } => physical.mass_erase_bit(),
        }
    }

    fn timeout(&self) -> Duration {
        match self {
            Unit::Page { .. } => PAGE_TIMEOUT,
            Unit::Bank { .. } => MASS_TIMEOUT,
        }
    }

    /// "page 130" or "logical bank 2 (physical bank 1)", for messages.
    pub fn name(&self) -> String {
        match self {
            Unit::Page { number, .. } => format!("page {number}"),
            Unit::Bank {
                mode: BankMode::Single,
                ..
            } => "the flash (single bank)".into(),
            Unit::Bank {
                logical, physical, ..
            } => format!(
                "logical bank {} (physical bank {})",
                logical.number(),
                physical.number()
            ),
        }
    }

    /// The progress line after this unit is erased, in both terms.
    pub fn progress_line(&self, done: usize, total: usize) -> String {
        match self {
            Unit::Page { number, page } => format!(
                "erased page {number} (2 KB at {} = physical bank {} page {}, BKER = {}, PNB {}) [{done}/{total}]",
                hex32(page.address),
                page.bank.number(),
                page.page,
                u8::from(page.bank.number() == 2),
                page.pnb()
            ),
            Unit::Bank {
                mode: BankMode::Single,
                base,
                size,
                ..
            } => format!(
                "erased the flash ({} KB at {}, mass erase MER1 + MER2) [{done}/{total}]",
                size / 1024,
                hex32(*base)
            ),
            Unit::Bank {
                logical,
                physical,
                base,
                size,
                ..
            } => format!(
                "erased logical bank {} ({} KB at {}) = physical bank {} (mass erase MER{}) [{done}/{total}]",
                logical.number(),
                size / 1024,
                hex32(*base),
                physical.number(),
                physical.number()
            ),
        }
    }
}

/// Why a G0 erase request cannot be carried out in the live layout. Nothing has been erased.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("STM32G0 flash is erased in pages, not sectors: use `erase page N` (valid pages: {valid}); nothing erased")]
    SectorOnPageFlash { valid: String },
    #[error("{request} needs dual-bank mode, but the chip is in single-bank mode ({why}); erase all or a page, or switch with `bank dual`; nothing erased")]
    SingleBank { request: Request, why: String },
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

/// Why a G0 erase failed, and what state the flash is left in.
#[derive(Debug, thiserror::Error)]
pub enum G0EraseError {
    #[error(transparent)]
    Refused(#[from] Refusal),
    #[error("reading the chip: {0}")]
    Inspect(#[source] probe_rs::Error),
    #[error("not an STM32G0B0/G0B1/G0C1 with a known flash size (DBG_IDCODE {idcode:#010x}, flash size register {flash_kb} KB); nothing erased")]
    UnknownPart { idcode: u32, flash_kb: u16 },
    /// FLASH_OPTR's DUAL_BANK/nSWAP_BANK name another layout than the stored image: the mapping
    /// the chip runs is not known (the words of [`crate::optbytes::g0::live::G0Live::unsettled`]).
    #[error("{0}")]
    MappingUnsettled(String),
    #[error("FLASH_CR stays locked after the FLASH_KEYR sequence (keys refused until reset); nothing erased")]
    StillLocked,
    #[error("FLASH_SR.BSY1/BSY2/CFGBSY still set after {timeout:?} {during}; {state}")]
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

/// The live layout (bank mode and swap) and the write-protected pages of a G0.
#[derive(Clone, Debug)]
pub struct LiveG0Flash {
    pub layout: G0Layout,
    /// The pages a loaded FLASH_WRPxyR area covers.
    pub protected: Vec<Page>,
}

/// Reads the flash size, the loaded DUAL_BANK and nSWAP_BANK, and the WRP areas.
pub fn live_flash(core: &mut Core<'_>) -> Result<LiveG0Flash, G0EraseError> {
    let live = read_live(core).map_err(G0EraseError::Inspect)?;
    if let Some(why) = live.unsettled() {
        return Err(G0EraseError::MappingUnsettled(why));
    }
    let protected = live.protected();
    let layout = live.layout.ok_or(G0EraseError::UnknownPart {
        idcode: live.idcode,
        flash_kb: live.flash_kb,
    })?;
    Ok(LiveG0Flash { layout, protected })
}

/// Page `number` (address order) of `layout`.
pub fn page_by_number(layout: &G0Layout, number: u16) -> Option<Page> {
    layout.pages().get(usize::from(number)).copied()
}

/// The number of `page` in address order.
pub fn page_number(page: &Page) -> u16 {
    ((page.address - crate::chip::g0::geometry::FLASH_BASE) / page.size) as u16
}

/// The valid page numbers of a layout, with the silicon behind each window: "0-255" or
/// "0-127 (0x0800_0000, physical bank 2), 128-255 (0x0804_0000, physical bank 1)".
pub fn valid_pages(layout: &G0Layout) -> String {
    let banks = layout.banks();
    let mut first = 0u32;
    let mut ranges = Vec::new();
    for bank in &banks {
        let last = first + bank.pages - 1;
        ranges.push(if banks.len() > 1 {
            format!(
                "{first}-{last} ({}, physical bank {})",
                hex32(bank.base),
                bank.physical.number()
            )
        } else {
            format!("{first}-{last}")
        });
        first = last + 1;
    }
    ranges.join(", ")
}

/// The units `request` erases, in address order. `Bank(n)` is the logical bank n (the address
/// window), translated to the physical bank mapped there. Refuses sector numbers, banks in
/// single-bank mode, pages outside the layout and anything a WRP area covers.
pub fn plan(request: Request, layout: &G0Layout, protected: &[Page]) -> Result<Vec<Unit>, Refusal> {
    let mode = layout.bank_mode;
    let bank_unit = |b: crate::chip::g0::geometry::MappedBank| Unit::Bank {
        logical: b.logical,
        physical: b.physical,
        base: b.base,
        size: b.end() - b.base,
        mode,
    };
    let units: Vec<Unit> = match request {
        Request::Sector(_) => {
            return Err(Refusal::SectorOnPageFlash {
                valid: valid_pages(layout),
            })
        }
        Request::All => layout.banks().into_iter().map(bank_unit).collect(),
        Request::Bank(number) => {
            let logical = match number {
                1 => LogicalBank::Bank1,
                _ => LogicalBank::Bank2,
            };
            if mode == BankMode::Single {
                return Err(Refusal::SingleBank {
                    request,
                    why: single_bank_why(layout),
                });
            }
            match layout.banks().into_iter().find(|b| b.logical == logical) {
                Some(bank) => vec![bank_unit(bank)],
                None => {
                    return Err(Refusal::SingleBank {
                        request,
                        why: single_bank_why(layout),
                    })
                }
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
        .map(page_number)
        .collect();
    if !blocked.is_empty() {
        return Err(Refusal::PagesWriteProtected { pages: blocked });
    }
    Ok(units)
}

fn single_bank_why(layout: &G0Layout) -> String {
    if crate::chip::g0::part::has_bank_mode(layout.flash_kb) {
        "FLASH_OPTR.DUAL_BANK = 0".into()
    } else {
        format!("a {} KB part has one bank", layout.flash_kb)
    }
}

/// Erases what `request` names in the live layout. The core must be halted (the caller halts it
/// and leaves it halted). `progress` gets one line per unit erased.
pub fn erase(
    core: &mut Core<'_>,
    request: Request,
    progress: impl FnMut(&Unit, usize, usize),
) -> Result<Vec<Unit>, G0EraseError> {
    let live = live_flash(core)?;
    let units = plan(request, &live.layout, &live.protected)?;
    erase_units(core, &units, progress)?;
    Ok(units)
}

/// The register sequence for `units` (planned against the live layout by the caller): unlock,
/// erase each in turn, relock on every path. `progress(unit, done, total)` follows each unit.
pub fn erase_units(
    core: &mut Core<'_>,
    units: &[Unit],
    mut progress: impl FnMut(&Unit, usize, usize),
) -> Result<(), G0EraseError> {
    let mut erased: Vec<String> = Vec::new();
    let result = unlock(core).and_then(|()| {
        for (i, unit) in units.iter().enumerate() {
            erase_unit(core, unit, &erased)?;
            erased.push(unit.name());
            progress(unit, i + 1, units.len());
        }
        Ok(())
    });
    let relock = CONTROLLER.lock(core);
    result?;
    relock.map_err(|source| G0EraseError::Probe {
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

/// The G0B0/G0B1/G0C1 controller: busy is BSY1 | BSY2 | CFGBSY (HAL-G0 waits for all three).
/// Relocking sets OPTLOCK too, which erasing never clears.
pub(crate) const CONTROLLER: Controller = Controller {
    cr: FlashRegister::Cr.address(),
    sr: FlashRegister::Sr.address(),
    keyr: FlashRegister::Keyr.address(),
    keys: [FLASH_KEY1, FLASH_KEY2],
    lock: FLASH_CR_LOCK,
    relock: FLASH_CR_LOCK | FLASH_CR_OPTLOCK,
    strt: FLASH_CR_STRT,
    bsy: FLASH_SR_ANY_BUSY,
    eop: FLASH_SR_EOP,
    errors: ERASE_ERRORS,
    clear_select: "clearing FLASH_CR.PER/PNB/BKER/MERx",
};

fn step_error(error: StepError, erased: &[String]) -> G0EraseError {
    match error {
        StepError::StillLocked => G0EraseError::StillLocked,
        StepError::Busy { timeout, during } => G0EraseError::Busy {
            timeout,
            during,
            state: format!(
                "{}, the erase may still be running; FLASH_CR locked",
                erased_text(erased)
            ),
        },
        StepError::Probe { during, source } => G0EraseError::Probe {
            during,
            source,
            state: state(erased),
        },
    }
}

fn unlock(core: &mut Core<'_>) -> Result<(), G0EraseError> {
    CONTROLLER
        .unlock(core, PAGE_TIMEOUT)
        .map_err(|e| step_error(e, &[]))
}

fn erase_unit(core: &mut Core<'_>, unit: &Unit, erased: &[String]) -> Result<(), G0EraseError> {
    let during = format!("erasing {}", unit.name());
    let errors = CONTROLLER
        .run(core, unit.select_bits(), unit.timeout(), &during)
        .map_err(|e| step_error(e, erased))?;
    if errors != 0 {
        if errors & FLASH_SR_WRPERR != 0 {
            return Err(G0EraseError::WriteProtected {
                unit: unit.name(),
                state: state(erased),
            });
        }
        return Err(G0EraseError::Failed {
            unit: unit.name(),
            flags: flash_sr_flag_names(errors).join(" "),
            state: state(erased),
        });
    }
    Ok(())
}

/// The G0 family's erase.
pub struct G0;

/// The family's object, registered in [`crate::erase::FAMILIES`].
pub static FAMILY: G0 = G0;

impl From<G0EraseError> for Error {
    fn from(e: G0EraseError) -> Self {
        match e {
            G0EraseError::Refused(r) => Error::Refused(Box::new(r)),
            unsettled @ G0EraseError::MappingUnsettled(_) => Error::Refused(Box::new(unsettled)),
            other => Error::Failed(Box::new(other)),
        }
    }
}

impl EraseFamily for G0 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::g0::FAMILY
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
        plan(request, &live.layout, &live.protected).map_err(G0EraseError::from)?;
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
    use crate::chip::g0::{PhysicalBank, Swap, WrpArea};
    use crate::optbytes::g0::live::protected_pages;

    fn layout(mode: BankMode, swap: Swap) -> G0Layout {
        G0Layout::new(512, mode, swap).unwrap()
    }

    #[test]
    fn logical_bank_2_with_the_swap_on_is_physical_bank_1() {
        let swapped = layout(BankMode::Dual, Swap::On);
        let units = plan(Request::Bank(2), &swapped, &[]).unwrap();
        assert_eq!(units[0].select_bits(), FLASH_CR_MER1, "physical bank 1");
        assert_eq!(units[0].address(), 0x0804_0000);
        assert_eq!(
            units[0].progress_line(1, 1),
            "erased logical bank 2 (256 KB at 0x0804_0000) = physical bank 1 (mass erase MER1) [1/1]"
        );
        let plain = layout(BankMode::Dual, Swap::Off);
        assert_eq!(
            plan(Request::Bank(2), &plain, &[]).unwrap()[0].select_bits(),
            FLASH_CR_MER2
        );
        // Page 128 is the first page of logical bank 2: physical bank 1 page 0 (BKER = 0).
        let Unit::Page { page, .. } = plan(Request::Page(128), &swapped, &[]).unwrap()[0] else {
            panic!()
        };
        assert_eq!((page.bank, page.page, page.address), (PhysicalBank::Bank1, 0, 0x0804_0000));
        assert_eq!(page.erase_bits() & crate::chip::g0::registers::FLASH_CR_BKER, 0);
        let Unit::Page { page, .. } = plan(Request::Page(0), &swapped, &[]).unwrap()[0] else {
            panic!()
        };
        assert_eq!(page.bank, PhysicalBank::Bank2);
        assert_eq!(
            valid_pages(&swapped),
            "0-127 (0x0800_0000, physical bank 2), 128-255 (0x0804_0000, physical bank 1)"
        );
    }

    #[test]
    fn single_bank_refuses_banks_and_sectors() {
        let single = layout(BankMode::Single, Swap::Off);
        assert_eq!(valid_pages(&single), "0-255");
        let err = plan(Request::Bank(2), &single, &[]).unwrap_err();
        assert!(err.to_string().contains("FLASH_OPTR.DUAL_BANK = 0"), "{err}");
        assert!(plan(Request::Sector(1), &single, &[]).is_err());
        let all = plan(Request::All, &single, &[]).unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].select_bits(), FLASH_CR_MER1 | FLASH_CR_MER2);
    }

    #[test]
    fn write_protection_follows_the_physical_bank() {
        let swapped = layout(BankMode::Dual, Swap::On);
        // WRP2AR: pages 0..=1 of physical bank 2, at 0x0800_0000 with the swap on.
        let protected = protected_pages(&swapped, &[(WrpArea::Bank2A, 1 << 16)]);
        let err = plan(Request::Bank(1), &swapped, &protected).unwrap_err();
        assert_eq!(err, Refusal::PagesWriteProtected { pages: vec![0, 1] });
        assert!(plan(Request::Bank(2), &swapped, &protected).is_ok());
    }
}
