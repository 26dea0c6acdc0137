//! Erasing flash from the debugger: all of it, one bank, or one sector or page, in the live
//! geometry.
//!
//! [`parse`] turns words into a [`Request`]; the family value's [`EraseFamily`] plans it against
//! its live layout and write protection (pure: a refusal names what was wrong and nothing is
//! touched) and carries the plan out through its FLASH registers on a halted core, on the
//! shared steps of [`controller`]. Each family does this — and, where probe-rs has no flash
//! algorithm for a layout, host-driven programming on the same steps ([`double_words`]) — in its
//! own folder (`erase/<family>/`), registered once, in [`FAMILIES`] (the `families!` line
//! below); the CLI and the GDB monitor both go through it, neither repeats a step.

pub mod controller;
pub mod double_words;

families!(EraseFamily: f7, g4, g0, h7);

use probe_rs::Core;

use crate::chip::family::ChipFamily;

/// What an erase did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Erased {
    /// How many units were erased.
    pub count: usize,
    /// What the units are: "sector", "page" or "bank".
    pub unit: &'static str,
}

impl std::fmt::Display for Erased {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}(s) erased", self.count, self.unit)
    }
}

/// Why an erase did not happen or did not finish, the family's own error inside.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Refused before anything was erased: a bank in single-bank mode, a unit the layout does
    /// not have, write protection.
    #[error(transparent)]
    Refused(Box<dyn std::error::Error + Send + Sync + 'static>),
    /// Reading the chip or erasing failed; the error says what state the flash is left in.
    #[error(transparent)]
    Failed(Box<dyn std::error::Error + Send + Sync + 'static>),
}

/// Erasing one family's flash, as the edges use it.
pub trait EraseFamily: Sync {
    /// The family's facts.
    fn chip(&self) -> &'static dyn ChipFamily;

    /// What a single-unit request names: "sector" or "page" (the CLI's `--yes` rule).
    fn unit_word(&self) -> &'static str;

    /// Checks `request` against the live layout and write protection, reading only: `Err` is
    /// the refusal an erase would meet, with nothing touched. Callers that ask for a
    /// confirmation check this first, so that an impossible request is never confirmed in vain.
    fn check(&self, core: &mut Core<'_>, target_name: &str, request: Request) -> Result<(), Error>;

    /// Erases what `request` names in the live layout. The core must be halted and is left
    /// halted. `progress` gets one line per unit erased.
    fn erase(
        &self,
        core: &mut Core<'_>,
        target_name: &str,
        request: Request,
        progress: &mut dyn FnMut(&str),
    ) -> Result<Erased, Error>;
}

/// The erase of the family whose facts are `chip`.
pub fn for_chip(chip: &'static dyn ChipFamily) -> Option<&'static dyn EraseFamily> {
    FAMILIES
        .iter()
        .copied()
        .find(|f| f.chip().name() == chip.name())
}

/// Whether `request` may erase more than one unit (the CLI asks for `--yes` then).
pub fn is_multi_unit(request: Request) -> bool {
    !matches!(request, Request::Sector(_) | Request::Page(_))
}

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
#[error("{0}; accepted: all, bank1, bank2, sector N or page N (the units the chip's flash is erased in)")]
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
}
