//! What a change of the G4 option registers does that cannot be taken back or that destroys
//! data, as typed verdicts, and the changes that are refused outright.

use serde::Serialize;

use crate::chip::RdpLevel;

use super::geometry::{BankMode, G4Layout};
use super::options::{G4Options, PcropRange};
use super::part::{DbankRefusal, G4Part};

/// A consequence the user must confirm or be told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Danger {
    /// RDP becomes 0xCC: permanent, debug access gone, options frozen for good.
    PermanentRdp2,
    /// RDP goes from level 1 to 0: the chip mass-erases the flash (and PCROP areas with
    /// PCROP_RDP set).
    RdpRegressionMassErase,
    /// RDP goes from 0 to 1: the debugger loses flash access; going back erases.
    ReadProtection,
    /// DBANK changes: the flash content is laid out for the other geometry and must be erased
    /// and re-flashed (ST's procedure: change DBANK, load the options, mass-erase, program).
    DbankChangeInvalidatesFlash {
        /// Mode before.
        from: BankMode,
        /// Mode after.
        to: BankMode,
    },
}

/// A change that is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum Refusal {
    /// The chip is at RDP level 2: nothing can be changed.
    #[error("the chip is at RDP level 2: its option bytes can no longer be changed")]
    AlreadyLevel2,
    /// DBANK is not a bank bit on this part.
    #[error(transparent)]
    NoDbank(#[from] DbankRefusal),
    /// DBANK may not change while a PCROP area is active (HAL-G4 `HAL_FLASHEx_OB_DBankConfig`:
    /// "no PCROP region should be defined"); PCROP is removed by an RDP regression.
    #[error("DBANK cannot change while a PCROP area is active ({:#010x}..{:#010x}); remove PCROP first (it is cleared by going from RDP level 1 to 0 with PCROP_RDP set)", .active.start, .active.end)]
    DbankWithActivePcrop {
        /// The first active area.
        active: PcropRange,
    },
    /// A DBANK change without the option load. FLASH_OPTR keeps the written value after OPTSTRT
    /// while the chip runs the bank mode it loaded until the next OBL_LAUNCH or power-on
    /// (reference §12 notes 2 and 3); erase, `load`, the memory map and the write guard learn
    /// the page layout from FLASH_OPTR.DBANK.
    #[error("DBANK is loaded at once (OBL_LAUNCH): left pending, FLASH_OPTR would read a bank mode the chip does not run until the next option load (OBL_LAUNCH or power-on; it keeps the one it loaded), and erase, `load`, GDB's memory map and the write guard, which learn the page layout from FLASH_OPTR, would erase and program the wrong pages; change DBANK without `no-reset` (other fields may be left pending)")]
    LayoutLeftPending,
}

/// The dangers of going from `old` to `new` on `part`, or why the change is refused.
pub fn assess(part: &G4Part, old: &G4Options, new: &G4Options) -> Result<Vec<Danger>, Refusal> {
    let (old_rdp, new_rdp) = (
        RdpLevel::from_byte(old.rdp()),
        RdpLevel::from_byte(new.rdp()),
    );
    if old_rdp == RdpLevel::Level2 && old != new {
        return Err(Refusal::AlreadyLevel2);
    }
    let mut dangers = Vec::new();
    let (from, to) = (old.bank_mode(), new.bank_mode());
    if from != to {
        part.line.check_dbank()?;
        // PCROP is judged in the geometry it was set up for: the loaded one.
        if let Ok(layout) = G4Layout::new(part.flash_kb, from) {
            if let Some(active) = old.active_pcrop(&layout).first() {
                return Err(Refusal::DbankWithActivePcrop { active: *active });
            }
        }
        dangers.push(Danger::DbankChangeInvalidatesFlash { from, to });
    }
    match (old_rdp, new_rdp) {
        (_, RdpLevel::Level2) if old_rdp != RdpLevel::Level2 => dangers.push(Danger::PermanentRdp2),
        (RdpLevel::Level1, RdpLevel::Level0) => dangers.push(Danger::RdpRegressionMassErase),
        (RdpLevel::Level0, RdpLevel::Level1) => dangers.push(Danger::ReadProtection),
        _ => {}
    }
    Ok(dangers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g4::fields::OptrField;
    use crate::chip::g4::part::G4Line;

    fn with_optr(field: OptrField, value: u32) -> G4Options {
        let mut o = G4Options::FACTORY;
        o.optr = field.set(o.optr, value);
        o
    }

    #[test]
    fn rdp_dangers() {
        let f = G4Options::FACTORY;
        let p = G4Part::G474RE;
        assert_eq!(assess(&p, &f, &f), Ok(vec![]));
        assert_eq!(
            assess(&p, &f, &with_optr(OptrField::Rdp, 0xCC)),
            Ok(vec![Danger::PermanentRdp2])
        );
        let l1 = with_optr(OptrField::Rdp, 0xBB);
        assert_eq!(assess(&p, &f, &l1), Ok(vec![Danger::ReadProtection]));
        assert_eq!(
            assess(&p, &l1, &f),
            Ok(vec![Danger::RdpRegressionMassErase])
        );
        assert_eq!(
            assess(&p, &l1, &with_optr(OptrField::Rdp, 0xCC)),
            Ok(vec![Danger::PermanentRdp2])
        );
        let l2 = with_optr(OptrField::Rdp, 0xCC);
        assert_eq!(assess(&p, &l2, &f), Err(Refusal::AlreadyLevel2));
        assert_eq!(assess(&p, &l2, &l2), Ok(vec![]));
    }

    #[test]
    fn dbank_change_invalidates_flash() {
        let single = with_optr(OptrField::Dbank, 0);
        let p = G4Part::G474RC;
        assert_eq!(
            assess(&p, &G4Options::FACTORY, &single),
            Ok(vec![Danger::DbankChangeInvalidatesFlash {
                from: BankMode::Dual,
                to: BankMode::Single
            }])
        );
        assert_eq!(
            assess(&p, &single, &G4Options::FACTORY),
            Ok(vec![Danger::DbankChangeInvalidatesFlash {
                from: BankMode::Single,
                to: BankMode::Dual
            }])
        );
    }

    #[test]
    fn dbank_change_refused_with_active_pcrop() {
        let mut old = G4Options::FACTORY;
        old.pcrop2sr = 0;
        old.pcrop2er = 0x10;
        let mut new = old;
        new.optr = OptrField::Dbank.set(new.optr, 0);
        let err = assess(&G4Part::G474RE, &old, &new).unwrap_err();
        assert!(
            matches!(err, Refusal::DbankWithActivePcrop { .. }),
            "{err:?}"
        );
        assert!(err.to_string().contains("0x08040000"), "{err}");
        // Other changes with PCROP active are fine.
        let bor = G4Options {
            optr: OptrField::BorLev.set(old.optr, 2),
            ..old
        };
        assert_eq!(assess(&G4Part::G474RE, &old, &bor), Ok(vec![]));
    }

    #[test]
    fn dbank_refused_on_other_lines() {
        let new = with_optr(OptrField::Dbank, 0);
        let g49 = G4Part {
            line: G4Line::G49x,
            flash_kb: 512,
        };
        assert_eq!(
            assess(&g49, &G4Options::FACTORY, &new),
            Err(Refusal::NoDbank(DbankRefusal::Bit22IsPb4Pupen {
                line: G4Line::G49x
            }))
        );
        let g43 = G4Part {
            line: G4Line::G43x,
            flash_kb: 128,
        };
        assert!(matches!(
            assess(&g43, &G4Options::FACTORY, &new),
            Err(Refusal::NoDbank(DbankRefusal::NoBankMode { .. }))
        ));
    }
}
