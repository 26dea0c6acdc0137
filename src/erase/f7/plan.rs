//! Planning an F7 erase against the live sector layout and nWRP (pure: a refusal names what
//! was wrong and nothing is touched).

use crate::chip::f7::{FlashLayout, Sector};
use crate::chip::BankMode;
use crate::erase::Request;

/// Why an F7 erase request cannot be carried out in the live layout. Nothing has been erased.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("{request} needs dual-bank mode, but the chip is in single-bank mode (nDBANK = 1); erase all or a sector, or switch with `ndbank false`")]
    SingleBank { request: Request },
    #[error("there is no sector {number} in this layout ({layout}); valid sectors: {valid}")]
    NoSuchSector {
        number: u8,
        layout: String,
        valid: String,
    },
    #[error("sector{} {} write-protected (nWRP bit clear); nothing erased. Clear the protection with `optbytes set nWRP=...` first", if .0.len() > 1 { "s" } else { "" }, list(.0))]
    WriteProtected(Vec<u8>),
    #[error("STM32F7 flash is erased in sectors, not pages: use `erase sector N` (valid sectors: {valid}); nothing erased")]
    PageOnSectorFlash { valid: String },
    /// FLASH_OPTCR.nDBANK differs from the stored option bytes: the sector layout the chip runs
    /// is not known (the words of [`crate::optbytes::f7::live::unsettled`]).
    #[error("{0}")]
    BankModeUnsettled(String),
}

fn list(sectors: &[u8]) -> String {
    let numbers: Vec<String> = sectors.iter().map(u8::to_string).collect();
    format!(
        "{} {}",
        numbers.join(", "),
        if sectors.len() > 1 { "are" } else { "is" }
    )
}

/// The valid sector numbers of a layout, as ranges: "0-11" or "0-11, 12-23".
pub fn valid_sectors(layout: &FlashLayout) -> String {
    let mut ranges: Vec<String> = Vec::new();
    for bank in [1u8, 2] {
        let numbers: Vec<u8> = layout
            .sectors
            .iter()
            .filter(|s| s.bank == bank)
            .map(|s| s.index)
            .collect();
        if let (Some(first), Some(last)) = (numbers.first(), numbers.last()) {
            ranges.push(format!("{first}-{last}"));
        }
    }
    ranges.join(", ")
}

/// The sectors `request` erases, in address order; `protected` lists the write-protected
/// sector numbers (from nWRP).
pub fn plan(
    request: Request,
    layout: &FlashLayout,
    protected: &[u8],
) -> Result<Vec<Sector>, Refusal> {
    let sectors: Vec<Sector> = match request {
        Request::All => layout.sectors.clone(),
        Request::Bank(bank) => {
            if layout.bank_mode == BankMode::Single {
                return Err(Refusal::SingleBank { request });
            }
            layout
                .sectors
                .iter()
                .filter(|s| s.bank == bank)
                .copied()
                .collect()
        }
        Request::Page(_) => {
            return Err(Refusal::PageOnSectorFlash {
                valid: valid_sectors(layout),
            })
        }
        Request::Sector(number) => match layout.sector(number) {
            Some(s) => vec![*s],
            None => {
                return Err(Refusal::NoSuchSector {
                    number,
                    layout: layout.summary(),
                    valid: valid_sectors(layout),
                })
            }
        },
    };
    let blocked: Vec<u8> = sectors
        .iter()
        .map(|s| s.index)
        .filter(|i| protected.contains(i))
        .collect();
    if !blocked.is_empty() {
        return Err(Refusal::WriteProtected(blocked));
    }
    Ok(sectors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f7_refuses_pages_naming_sectors() {
        let single = FlashLayout::new(2048, BankMode::Single).unwrap();
        let err = plan(Request::Page(3), &single, &[]).unwrap_err();
        assert!(
            err.to_string()
                .contains("use `erase sector N` (valid sectors: 0-11)"),
            "{err}"
        );
    }

    #[test]
    fn single_bank_refuses_banks_and_names_the_valid_sectors() {
        let single = FlashLayout::new(2048, BankMode::Single).unwrap();
        assert_eq!(
            plan(Request::Bank(1), &single, &[]),
            Err(Refusal::SingleBank {
                request: Request::Bank(1)
            })
        );
        let err = plan(Request::Sector(12), &single, &[]).unwrap_err();
        assert!(err.to_string().contains("valid sectors: 0-11"), "{err}");
        assert_eq!(plan(Request::All, &single, &[]).unwrap().len(), 12);
    }

    #[test]
    fn dual_bank_plans_banks_with_the_bank_2_snb() {
        let dual = FlashLayout::new(2048, BankMode::Dual).unwrap();
        let bank2 = plan(Request::Bank(2), &dual, &[]).unwrap();
        assert_eq!(bank2.len(), 12);
        assert_eq!(bank2[0].index, 12);
        assert_eq!(bank2[0].snb, 0x10);
        assert_eq!(bank2[0].address, 0x0810_0000);
        assert_eq!(valid_sectors(&dual), "0-11, 12-23");
        let err = plan(Request::Sector(24), &dual, &[]).unwrap_err();
        assert!(err.to_string().contains("0-11, 12-23"), "{err}");
    }

    #[test]
    fn write_protected_sectors_refuse_the_whole_request() {
        let single = FlashLayout::new(2048, BankMode::Single).unwrap();
        let err = plan(Request::All, &single, &[3, 4]).unwrap_err();
        assert_eq!(err, Refusal::WriteProtected(vec![3, 4]));
        assert!(
            err.to_string().contains("sectors 3, 4 are write-protected"),
            "{err}"
        );
        assert!(plan(Request::Sector(5), &single, &[3]).is_ok());
    }
}
