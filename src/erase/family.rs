//! Which erase sequence a chip gets: the F76x/F77x sectors ([`super::run`]) or the G47x/G48x
//! pages ([`super::g4`]). A new family adds its module and an arm in [`erase_live`].

use probe_rs::Core;

use crate::optbytes::Family;

use super::{g4, run, Refusal, Request};

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

/// An erase that failed, in the words of its family.
#[derive(Debug, thiserror::Error)]
pub enum FamilyEraseError {
    #[error(transparent)]
    F7(#[from] run::EraseError),
    #[error(transparent)]
    G4(#[from] g4::G4EraseError),
}

impl FamilyEraseError {
    /// The request was refused before anything was erased.
    pub fn refusal(&self) -> Option<&Refusal> {
        match self {
            FamilyEraseError::F7(run::EraseError::Refused(r))
            | FamilyEraseError::G4(g4::G4EraseError::Refused(r)) => Some(r),
            _ => None,
        }
    }
}

/// The unit a single-unit request names on `family`, for the CLI's `--yes` rule.
pub fn unit_word(family: Family) -> &'static str {
    match family {
        Family::F7 => "sector",
        Family::G4 => "page",
    }
}

/// Whether `request` may erase more than one unit (the CLI asks for `--yes` then).
pub fn is_multi_unit(request: Request) -> bool {
    !matches!(request, Request::Sector(_) | Request::Page(_))
}

/// Checks `request` against the live layout and write protection of a chip of `family`, reading
/// only: `Err` is the refusal an erase would meet, with nothing touched. Callers that ask for a
/// confirmation check this first, so that an impossible request is never confirmed in vain.
pub fn check_live(
    core: &mut Core<'_>,
    family: Family,
    target_name: &str,
    request: Request,
) -> Result<(), FamilyEraseError> {
    match family {
        Family::F7 => {
            let live = run::live_flash(core, target_name)?;
            super::plan(request, &live.layout, &live.protected).map_err(run::EraseError::from)?;
        }
        Family::G4 => {
            let live = g4::live_flash(core)?;
            g4::plan(request, &live.layout, &live.protected).map_err(g4::G4EraseError::from)?;
        }
    }
    Ok(())
}

/// Erases what `request` names on a chip of `family`, in its live layout. The core must be
/// halted and is left halted. `progress` gets one line per unit erased.
pub fn erase_live(
    core: &mut Core<'_>,
    family: Family,
    target_name: &str,
    request: Request,
    mut progress: impl FnMut(&str),
) -> Result<Erased, FamilyEraseError> {
    match family {
        Family::F7 => {
            let sectors = run::erase(core, target_name, request, |p| {
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
        Family::G4 => {
            let units = g4::erase(core, request, |unit, done, total| {
                progress(&unit.progress_line(done, total))
            })?;
            let unit = match units.first() {
                Some(g4::Unit::Bank { .. }) => "bank",
                _ => "page",
            };
            Ok(Erased {
                count: units.len(),
                unit,
            })
        }
    }
}
