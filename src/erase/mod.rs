//! Erasing flash from the debugger: all of it, one bank, or one sector (STM32F7) or page
//! (STM32G4), in the live geometry.
//!
//! [`parse`] turns words into a [`Request`]; each family plans it against its live layout and
//! write protection (pure: a refusal names what was wrong and nothing is touched) and carries
//! the plan out through its FLASH registers on a halted core: [`run`] for F76x/F77x sectors,
//! [`g4`] for G47x/G48x pages. [`family::erase_live`] picks the family; the CLI and the GDB
//! monitor both go through it, neither repeats a step. A new family adds a module and an arm
//! there.

pub mod controller;
pub mod family;
pub mod g4;
pub mod run;

use crate::chip::f7::{FlashLayout, Sector};
use crate::chip::BankMode;

pub use family::{erase_live, Erased, FamilyEraseError};
pub use run::{erase, EraseError};

/// What to erase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request {
    /// Every sector.
    All,
    /// One bank (dual-bank mode only): 1 or 2.
    Bank(u8),
    /// One sector by its RM0410 number (STM32F7).
    Sector(u8),
    /// One page by its number in address order across both banks (STM32G4).
    Page(u16),
}

impl std::fmt::Display for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Request::All => f.write_str("all"),
            Request::Bank(n) => write!(f, "bank{n}"),
            Request::Sector(n) => write!(f, "sector {n}"),
            Request::Page(n) => write!(f, "page {n}"),
        }
    }
}

/// Words that do not form an erase request.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}; accepted: all, bank1, bank2, sector N (STM32F7), page N (STM32G4)")]
pub struct ParseError(pub String);

/// Parses `all`, `bank1`, `bank2` (also `bank 1`), `sector N`, `page N` (decimal or 0x hex).
pub fn parse(words: &[&str]) -> Result<Request, ParseError> {
    let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
    match lower.as_slice() {
        ["all"] => Ok(Request::All),
        ["bank1"] | ["bank", "1"] => Ok(Request::Bank(1)),
        ["bank2"] | ["bank", "2"] => Ok(Request::Bank(2)),
        ["sector", n] => {
            let number = match n.strip_prefix("0x") {
                Some(hex) => u8::from_str_radix(hex, 16),
                None => n.parse::<u8>(),
            };
            number
                .map(Request::Sector)
                .map_err(|_| ParseError(format!("`{}` is not a sector number", words[1])))
        }
        ["page", n] => {
            let number = match n.strip_prefix("0x") {
                Some(hex) => u16::from_str_radix(hex, 16),
                None => n.parse::<u16>(),
            };
            number
                .map(Request::Page)
                .map_err(|_| ParseError(format!("`{}` is not a page number", words[1])))
        }
        ["sector"] => Err(ParseError("sector needs a number".into())),
        ["page"] => Err(ParseError("page needs a number".into())),
        [] => Err(ParseError("say what to erase".into())),
        _ => Err(ParseError(format!(
            "`{}` is not an erase target",
            words.join(" ")
        ))),
    }
}

/// Why a request cannot be carried out in this layout. Nothing has been erased.
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
    #[error("STM32G4 flash is erased in pages, not sectors: use `erase page N` (valid pages: {valid}); nothing erased")]
    SectorOnPageFlash { valid: String },
    #[error("{request} needs dual-bank mode, but the chip is in single-bank mode (FLASH_OPTR.DBANK = 0); erase all or a page, or switch with `bank dual`; nothing erased")]
    G4SingleBank { request: Request },
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
    fn words_parse() {
        assert_eq!(parse(&["all"]), Ok(Request::All));
        assert_eq!(parse(&["BANK2"]), Ok(Request::Bank(2)));
        assert_eq!(parse(&["bank", "1"]), Ok(Request::Bank(1)));
        assert_eq!(parse(&["sector", "0x0b"]), Ok(Request::Sector(11)));
        assert_eq!(parse(&["sector", "7"]), Ok(Request::Sector(7)));
        assert!(parse(&["sector", "x"])
            .unwrap_err()
            .to_string()
            .contains("`x` is not a sector number"));
        assert!(parse(&["bank3"])
            .unwrap_err()
            .to_string()
            .contains("accepted: all, bank1, bank2, sector N"));
        assert!(parse(&[]).is_err());
        assert_eq!(parse(&["page", "200"]), Ok(Request::Page(200)));
        assert_eq!(parse(&["PAGE", "0x10"]), Ok(Request::Page(16)));
        assert!(parse(&["page"]).is_err());
        assert!(parse(&["page", "-1"])
            .unwrap_err()
            .to_string()
            .contains("`-1` is not a page number"));
    }

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
