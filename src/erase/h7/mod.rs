//! Erasing STM32H74x/H75x flash (reference §9), host-driven on a halted core, in the mapping in
//! force (FLASH_OPTCR.SWAP_BANK): 128 KB sectors, two banks at 0x0800_0000 and 0x0810_0000.
//!
//! The user speaks in addresses, which follow the swap; erase speaks to the register set of
//! the **physical** bank. So every request is translated first and said in both terms: `erase
//! bank2` with the swap on erases "logical 0x0810_0000 = physical bank 1" with BER in FLASH_CR1,
//! and sector N counts the sectors in address order (0–7 at 0x0800_0000, 8–15 at 0x0810_0000),
//! each erased through its physical bank's FLASH_CRx with SNB = its number in that bank.
//! [`plan`] is pure; [`bank::BankSet`] the register steps; [`program`] host-driven
//! programming in 256-bit flash words for `load` where probe-rs's algorithm cannot be trusted.

pub mod bank;
pub mod program;

use std::time::Duration;

use probe_rs::Core;

use crate::chip::family::ChipFamily;
use crate::chip::h7::registers::BANK_ERASE_BITS;
use crate::chip::h7::{H7Layout, LogicalBank, PhysicalBank, Sector};
use crate::chip::notation::hex32;
use crate::erase::{EraseFamily, Erased, Error, Request};
use crate::optbytes::h7::live::{read_live, H7Live};

use bank::{BankSet, StepError};

/// The longest one sector erase may take (RM0433 datasheets give up to a few seconds for
/// 128 KB); generous on purpose.
pub const SECTOR_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a bank erase may take; generous on purpose.
pub const BANK_TIMEOUT: Duration = Duration::from_secs(60);
/// Bound for an operation still running before the erase starts.
const IDLE_TIMEOUT: Duration = Duration::from_secs(2);

/// One unit of erase work, in both terms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// One sector; `number` counts sectors in address order.
    Sector { number: u8, sector: Sector },
    /// A whole physical bank (BER), seen through `window`.
    Bank {
        window: LogicalBank,
        bank: PhysicalBank,
        size: u32,
    },
}

impl Unit {
    /// The physical bank whose register set erases it.
    pub fn bank(&self) -> PhysicalBank {
        match self {
            Unit::Sector { sector, .. } => sector.bank,
            Unit::Bank { bank, .. } => *bank,
        }
    }

    /// First logical address.
    pub fn address(&self) -> u32 {
        match self {
            Unit::Sector { sector, .. } => sector.address,
            Unit::Bank { window, .. } => window.base(),
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u32 {
        match self {
            Unit::Sector { sector, .. } => sector.size,
            Unit::Bank { size, .. } => *size,
        }
    }

    fn bits(&self) -> u32 {
        match self {
            Unit::Sector { sector, .. } => sector.erase_bits(),
            Unit::Bank { .. } => BANK_ERASE_BITS,
        }
    }

    fn timeout(&self) -> Duration {
        match self {
            Unit::Sector { .. } => SECTOR_TIMEOUT,
            Unit::Bank { .. } => BANK_TIMEOUT,
        }
    }

    /// "sector 8 (logical 0x0810_0000 = physical bank 1, FLASH_CR1 SNB 0)".
    pub fn describe(&self) -> String {
        let bank = self.bank();
        match self {
            Unit::Sector { number, sector } => format!(
                "sector {number} (logical {} = {bank}, FLASH_CR{} SNB {})",
                hex32(sector.address),
                bank.number(),
                sector.snb
            ),
            Unit::Bank { window, size, .. } => format!(
                "logical bank {} ({} KB at logical {} = {bank}, BER in FLASH_CR{})",
                window.number(),
                size / 1024,
                hex32(window.base()),
                bank.number()
            ),
        }
    }
}

/// Why an H7 erase request cannot be carried out in the live layout. Nothing has been erased.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("STM32H7 flash is erased in sectors of 128 KB, not pages: use `erase sector N` (valid sectors: {valid}); nothing erased")]
    PageOnSectorFlash { valid: String },
    #[error("this part has one bank ({layout}): there is no bank 2; nothing erased")]
    NoSecondBank { layout: String },
    #[error("there is no sector {number} in this layout ({layout}); valid sectors: {valid}, numbered in address order from 0x0800_0000; nothing erased")]
    NoSuchSector {
        number: u8,
        layout: String,
        valid: String,
    },
    #[error("{what} is write-protected (FLASH_WPSN_CUR{bank} clears the bit of SNB {snb}); nothing erased. Clear the protection with `optbytes set` first")]
    WriteProtected { what: String, bank: u8, snb: u8 },
    #[error("the chip does not identify as an STM32H74x/H75x with a known flash size (DBGMCU_IDCODE {idcode:#010x}, flash size register {flash_kb}); nothing erased")]
    UnknownLayout { idcode: u32, flash_kb: u16 },
}

/// An erase that failed part-way, with what is erased so far.
#[derive(Debug, thiserror::Error)]
#[error("{cause}; {done}")]
pub struct Failed {
    cause: StepError,
    done: String,
}

fn valid_sectors(layout: &H7Layout) -> String {
    format!("0–{}", layout.sectors().len() - 1)
}

/// The units `request` erases in `layout`, in both terms, or why not (pure).
pub fn plan(layout: &H7Layout, request: Request) -> Result<Vec<Unit>, Refusal> {
    let sectors = layout.sectors();
    match request {
        Request::Page(_) => Err(Refusal::PageOnSectorFlash {
            valid: valid_sectors(layout),
        }),
        Request::Sector(number) => sectors
            .get(usize::from(number))
            .map(|&sector| vec![Unit::Sector { number, sector }])
            .ok_or_else(|| Refusal::NoSuchSector {
                number,
                layout: layout.summary(),
                valid: valid_sectors(layout),
            }),
        Request::Bank(n) => {
            let window = if n == 2 {
                LogicalBank::Bank2
            } else {
                LogicalBank::Bank1
            };
            let placement = layout
                .placements()
                .into_iter()
                .find(|p| p.window == window)
                .ok_or_else(|| Refusal::NoSecondBank {
                    layout: layout.summary(),
                })?;
            Ok(vec![bank_unit(layout, placement.window, placement.bank, placement.size)])
        }
        Request::All => Ok(layout
            .placements()
            .into_iter()
            .map(|p| bank_unit(layout, p.window, p.bank, p.size))
            .collect()),
    }
}

fn bank_unit(layout: &H7Layout, window: LogicalBank, bank: PhysicalBank, size: u32) -> Unit {
    // The one-sector H750 erases its sector: BER there is not in the reference.
    if !layout.has_second_bank() {
        if let Some(sector) = layout.sector(bank, 0) {
            return Unit::Sector { number: 0, sector };
        }
    }
    Unit::Bank { window, bank, size }
}

/// Refuses units that touch a write-protected sector.
pub fn check_protection(layout: &H7Layout, live: &H7Live, units: &[Unit]) -> Result<(), Refusal> {
    for unit in units {
        let covered: Vec<Sector> = match unit {
            Unit::Sector { sector, .. } => vec![*sector],
            Unit::Bank { bank, .. } => (0..layout.sectors_per_bank())
                .filter_map(|s| layout.sector(*bank, s))
                .collect(),
        };
        if let Some(sector) = covered.iter().find(|s| live.protected(s)) {
            return Err(Refusal::WriteProtected {
                what: unit.describe(),
                bank: sector.bank.number(),
                snb: sector.snb,
            });
        }
    }
    Ok(())
}

fn live_units(core: &mut Core<'_>, request: Request) -> Result<Vec<Unit>, Error> {
    let live = read_live(core).map_err(|e| Error::Failed(Box::new(e)))?;
    let layout = live.layout.ok_or_else(|| {
        Error::Refused(Box::new(Refusal::UnknownLayout {
            idcode: live.idcode,
            flash_kb: live.flash_size_raw,
        }))
    })?;
    let units = plan(&layout, request).map_err(|r| Error::Refused(Box::new(r)))?;
    check_protection(&layout, &live, &units).map_err(|r| Error::Refused(Box::new(r)))?;
    Ok(units)
}

/// Erases `units` through their physical banks' register sets, relocking each bank it
/// unlocked on every path.
pub fn erase_units(
    core: &mut Core<'_>,
    units: &[Unit],
    progress: &mut dyn FnMut(&str),
) -> Result<(), Failed> {
    let mut done = 0;
    let mut result = Ok(());
    let mut unlocked: Vec<BankSet> = Vec::new();
    for unit in units {
        let set = BankSet::of(unit.bank());
        if !unlocked.iter().any(|s| s.bank == set.bank) {
            if let Err(cause) = set.unlock(core, IDLE_TIMEOUT) {
                result = Err(cause);
                unlocked.push(set);
                break;
            }
            unlocked.push(set);
        }
        let during = format!("erasing {}", unit.describe());
        if let Err(cause) = set.erase(core, unit.bits(), unit.timeout(), &during) {
            result = Err(cause);
            break;
        }
        done += 1;
        progress(&format!("erased {} [{done}/{}]", unit.describe(), units.len()));
    }
    for set in unlocked {
        if let Err(e) = set.lock(core) {
            log::error!("relocking FLASH_CR{} failed: {e}", set.bank.number());
        }
    }
    result.map_err(|cause| Failed {
        cause,
        done: format!(
            "{done} of {} unit(s) erased before the failure; the flash registers were relocked",
            units.len()
        ),
    })
}

/// The H7 family's erase.
pub struct H7;

/// The family's object, registered in [`crate::erase::FAMILIES`].
pub static FAMILY: H7 = H7;

impl EraseFamily for H7 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::h7::FAMILY
    }

    fn unit_word(&self) -> &'static str {
        "sector"
    }

    fn check(&self, core: &mut Core<'_>, _target_name: &str, request: Request) -> Result<(), Error> {
        live_units(core, request).map(|_| ())
    }

    fn erase(
        &self,
        core: &mut Core<'_>,
        _target_name: &str,
        request: Request,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Erased, Error> {
        let units = live_units(core, request)?;
        erase_units(core, &units, progress).map_err(|e| Error::Failed(Box::new(e)))?;
        let unit = match units.first() {
            Some(Unit::Bank { .. }) => "bank",
            _ => "sector",
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
    use crate::chip::h7::BankSwap;

    #[test]
    fn logical_bank_2_with_the_swap_on_is_physical_bank_1() {
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        let units = plan(&swapped, Request::Bank(2)).unwrap();
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].bank(), PhysicalBank::Bank1);
        assert_eq!(units[0].address(), 0x0810_0000);
        assert!(
            units[0].describe().contains("logical 0x0810_0000 = physical bank 1, BER in FLASH_CR1"),
            "{}",
            units[0].describe()
        );
        let straight = H7Layout::new(2048, BankSwap::NotSwapped).unwrap();
        assert_eq!(plan(&straight, Request::Bank(2)).unwrap()[0].bank(), PhysicalBank::Bank2);
    }

    #[test]
    fn sectors_count_in_address_order() {
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        let s = plan(&swapped, Request::Sector(8)).unwrap()[0];
        assert_eq!((s.bank(), s.address()), (PhysicalBank::Bank1, 0x0810_0000));
        assert!(s.describe().contains("FLASH_CR1 SNB 0"), "{}", s.describe());
        let s = plan(&swapped, Request::Sector(1)).unwrap()[0];
        assert_eq!((s.bank(), s.address()), (PhysicalBank::Bank2, 0x0802_0000));
        let e = plan(&swapped, Request::Sector(16)).unwrap_err().to_string();
        assert!(e.contains("valid sectors: 0–15"), "{e}");
        let half = H7Layout::new(1024, BankSwap::NotSwapped).unwrap();
        assert_eq!(plan(&half, Request::Sector(4)).unwrap()[0].address(), 0x0810_0000);
        assert!(plan(&half, Request::Page(1)).is_err());
        assert_eq!(plan(&swapped, Request::All).unwrap().len(), 2);
        let h750 = H7Layout::new(128, BankSwap::NotSwapped).unwrap();
        assert!(plan(&h750, Request::Bank(2)).is_err());
    }
}
