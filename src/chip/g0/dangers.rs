//! What a change of the G0 option registers does that cannot be taken back, that destroys data
//! or that moves the code the chip runs, as typed verdicts; and the changes that are refused.

use serde::Serialize;

use crate::chip::RdpLevel;

use super::fields::OptrField;
use super::geometry::{BankMode, G0GeometryError, PhysicalBank};
use super::options::{G0Options, SECR_BOOT_LOCK};
use super::part::{G0Line, G0Part};
use super::registers::FlashRegister;

/// A consequence the user must confirm or be told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Danger {
    /// RDP becomes 0xCC: permanent, debug access gone, options frozen for good.
    PermanentRdp2,
    /// RDP goes from level 1 to 0: the chip mass-erases the flash (and the PCROP areas with
    /// PCROP_RDP set).
    RdpRegressionMassErase,
    /// RDP goes from 0 to 1: the debugger loses flash access; going back erases.
    ReadProtection,
    /// DUAL_BANK changes: the bank organisation changes under the flash content, which must be
    /// erased and re-flashed (reference §12.5; ST's procedure for the G4's DBANK).
    DualBankChangeInvalidatesFlash {
        /// Mode before.
        from: BankMode,
        /// Mode after.
        to: BankMode,
    },
    /// The physical bank at 0x0800_0000 changes at the next option load: the chip boots the
    /// other bank's firmware, and every address now names the other silicon.
    SwapChangesBootBank {
        /// The bank at 0x0800_0000 before.
        from: PhysicalBank,
        /// The bank at 0x0800_0000 after.
        to: PhysicalBank,
    },
    /// SECR.BOOT_LOCK becomes 1: boot is forced to main flash. How it is cleared again is not in
    /// the sources read (UNVERIFIED): treat it as possibly permanent.
    BootLock,
}

/// A change that is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum Refusal {
    /// The chip is at RDP level 2: nothing can be changed.
    #[error("the chip is at RDP level 2: its option bytes can no longer be changed")]
    AlreadyLevel2,
    /// An OPTR field the line does not have would change.
    #[error("{} has no {field} field in FLASH_OPTR (the STM32G0B0 lacks BOR_EN, BORR_LEV, BORF_LEV, nRST_SHDW, NRST_MODE and IRHEN); those bits are reserved there", .line.label())]
    FieldMissing {
        /// The field.
        field: OptrField,
        /// The line.
        line: G0Line,
    },
    /// An option register the line does not have would change.
    #[error("{} has no {register} (the STM32G0B0 has no PCROP areas and no securable area)", .line.label())]
    RegisterMissing {
        /// The register.
        register: FlashRegister,
        /// The line.
        line: G0Line,
    },
    /// DUAL_BANK on a part without a bank mode (128 KB).
    #[error("a {flash_kb} KB part is single bank only: DUAL_BANK has no effect there (only 256 KB and 512 KB parts have two banks)")]
    NoBankMode {
        /// The flash size.
        flash_kb: u32,
    },
    /// A swap asked for where it cannot act.
    #[error("nSWAP_BANK = 0 swaps the two banks of dual-bank mode; with DUAL_BANK = 0 (or on a 128 KB part) there is nothing to swap")]
    SwapNeedsDualBank,
    /// A bank-mode or swap change without the option load: FLASH_OPTR would read a mapping the
    /// chip does not run until the next option load.
    #[error("DUAL_BANK and nSWAP_BANK changes are loaded at once (OBL_LAUNCH): left pending, FLASH_OPTR would read a flash mapping the chip does not run until the next option load, and erase and load would address the wrong physical bank; change them without `no-reset` (other fields may be left pending)")]
    MappingLeftPending,
}

/// The dangers of going from `old` to `new` on `part`, or why the change is refused.
pub fn assess(part: &G0Part, old: &G0Options, new: &G0Options) -> Result<Vec<Danger>, Refusal> {
    let old_rdp = RdpLevel::from_byte(old.rdp());
    let new_rdp = RdpLevel::from_byte(new.rdp());
    if old_rdp == RdpLevel::Level2 && old != new {
        return Err(Refusal::AlreadyLevel2);
    }
    check_line(part.line, old, new)?;
    let mut dangers = bank_dangers(part, old, new)?;
    match (old_rdp, new_rdp) {
        (_, RdpLevel::Level2) if old_rdp != RdpLevel::Level2 => dangers.push(Danger::PermanentRdp2),
        (RdpLevel::Level1, RdpLevel::Level0) => dangers.push(Danger::RdpRegressionMassErase),
        (RdpLevel::Level0, RdpLevel::Level1) => dangers.push(Danger::ReadProtection),
        _ => {}
    }
    if new.secr & SECR_BOOT_LOCK != 0 && old.secr & SECR_BOOT_LOCK == 0 {
        dangers.push(Danger::BootLock);
    }
    Ok(dangers)
}

/// Refuses changes to fields and registers the line does not have.
fn check_line(line: G0Line, old: &G0Options, new: &G0Options) -> Result<(), Refusal> {
    if let Some(field) = OptrField::ALL
        .into_iter()
        .find(|f| !f.exists_on(line) && f.get(old.optr) != f.get(new.optr))
    {
        return Err(Refusal::FieldMissing { field, line });
    }
    if let Some(register) = FlashRegister::OPTIONS
        .into_iter()
        .find(|r| !r.exists_on(line) && old.register(*r) != new.register(*r))
    {
        return Err(Refusal::RegisterMissing { register, line });
    }
    Ok(())
}

/// The bank-mode and swap consequences of the change.
fn bank_dangers(part: &G0Part, old: &G0Options, new: &G0Options) -> Result<Vec<Danger>, Refusal> {
    let changes = |f: OptrField| f.get(old.optr) != f.get(new.optr);
    if changes(OptrField::DualBank) && !part.has_bank_mode() {
        return Err(Refusal::NoBankMode {
            flash_kb: part.flash_kb,
        });
    }
    let geometry = |e: G0GeometryError| match e {
        G0GeometryError::NoBankMode { flash_kb } => Refusal::NoBankMode { flash_kb },
        _ => Refusal::SwapNeedsDualBank,
    };
    let before = old.layout(part.flash_kb).map_err(geometry)?;
    let after = new.layout(part.flash_kb).map_err(geometry)?;
    let swap_asked = OptrField::NSwapBank.get(new.optr) == 0;
    if changes(OptrField::NSwapBank) && swap_asked && after.bank_mode == BankMode::Single {
        return Err(Refusal::SwapNeedsDualBank);
    }
    let mut dangers = Vec::new();
    if before.bank_mode != after.bank_mode {
        dangers.push(Danger::DualBankChangeInvalidatesFlash {
            from: before.bank_mode,
            to: after.bank_mode,
        });
    }
    if before.boot_bank() != after.boot_bank() {
        dangers.push(Danger::SwapChangesBootBank {
            from: before.boot_bank(),
            to: after.boot_bank(),
        });
    }
    Ok(dangers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::fields::factory_optr;
    use PhysicalBank::{Bank1, Bank2};

    fn factory() -> G0Options {
        G0Options::factory(G0Line::G0B1)
    }

    fn with(field: OptrField, value: u32) -> G0Options {
        let mut o = factory();
        o.optr = field.set(o.optr, value);
        o
    }

    #[test]
    fn rdp_dangers() {
        let f = factory();
        let p = G0Part::G0B1RE;
        assert_eq!(assess(&p, &f, &f), Ok(vec![]));
        assert_eq!(
            assess(&p, &f, &with(OptrField::Rdp, 0xCC)),
            Ok(vec![Danger::PermanentRdp2])
        );
        let l1 = with(OptrField::Rdp, 0xBB);
        assert_eq!(assess(&p, &f, &l1), Ok(vec![Danger::ReadProtection]));
        assert_eq!(
            assess(&p, &l1, &f),
            Ok(vec![Danger::RdpRegressionMassErase])
        );
        let l2 = with(OptrField::Rdp, 0xCC);
        assert_eq!(assess(&p, &l1, &l2), Ok(vec![Danger::PermanentRdp2]));
        assert_eq!(assess(&p, &l2, &f), Err(Refusal::AlreadyLevel2));
        assert_eq!(assess(&p, &l2, &l2), Ok(vec![]));
    }

    #[test]
    fn swap_changes_the_boot_bank_both_ways() {
        let p = G0Part::G0B1RE;
        let swapped = with(OptrField::NSwapBank, 0);
        assert_eq!(
            assess(&p, &factory(), &swapped),
            Ok(vec![Danger::SwapChangesBootBank {
                from: Bank1,
                to: Bank2
            }])
        );
        assert_eq!(
            assess(&p, &swapped, &factory()),
            Ok(vec![Danger::SwapChangesBootBank {
                from: Bank2,
                to: Bank1
            }])
        );
    }

    #[test]
    fn dual_bank_change_invalidates_and_a_swap_needs_two_banks() {
        let p = G0Part::G0B1RC;
        let single = with(OptrField::DualBank, 0);
        assert_eq!(
            assess(&p, &factory(), &single),
            Ok(vec![Danger::DualBankChangeInvalidatesFlash {
                from: BankMode::Dual,
                to: BankMode::Single
            }])
        );
        // Leaving dual bank while swapped also moves the boot bank back to bank 1.
        let swapped = with(OptrField::NSwapBank, 0);
        let mut single_unswapped = swapped;
        single_unswapped.optr =
            OptrField::DualBank.set(OptrField::NSwapBank.set(swapped.optr, 1), 0);
        assert_eq!(
            assess(&p, &swapped, &single_unswapped),
            Ok(vec![
                Danger::DualBankChangeInvalidatesFlash {
                    from: BankMode::Dual,
                    to: BankMode::Single
                },
                Danger::SwapChangesBootBank {
                    from: Bank2,
                    to: Bank1
                }
            ])
        );
        // Asking for a swap in single-bank mode is refused.
        let mut single_swapped = single;
        single_swapped.optr = OptrField::NSwapBank.set(single.optr, 0);
        assert_eq!(
            assess(&p, &single, &single_swapped),
            Err(Refusal::SwapNeedsDualBank)
        );
    }

    #[test]
    fn the_128_kb_part_has_no_bank_mode() {
        let p = G0Part::from_name("STM32G0B1RB").unwrap();
        let err = assess(&p, &factory(), &with(OptrField::DualBank, 0)).unwrap_err();
        assert_eq!(err, Refusal::NoBankMode { flash_kb: 128 });
        assert!(err.to_string().contains("single bank only"), "{err}");
        assert_eq!(
            assess(&p, &factory(), &with(OptrField::NSwapBank, 0)),
            Err(Refusal::SwapNeedsDualBank)
        );
        // Other fields are fine.
        assert_eq!(
            assess(&p, &factory(), &with(OptrField::BorEn, 1)),
            Ok(vec![])
        );
    }

    #[test]
    fn g0b0_refuses_its_missing_fields_and_registers() {
        let p = G0Part::from_name("STM32G0B0RE").unwrap();
        let old = G0Options::factory(G0Line::G0B0);
        assert_eq!(old.optr, factory_optr(G0Line::G0B0));
        for field in [
            OptrField::BorEn,
            OptrField::BorrLev,
            OptrField::BorfLev,
            OptrField::NRstShdw,
            OptrField::NrstMode,
            OptrField::Irhen,
        ] {
            let mut new = old;
            new.optr = field.set(old.optr, field.get(old.optr) ^ 1);
            let err = assess(&p, &old, &new).unwrap_err();
            assert_eq!(
                err,
                Refusal::FieldMissing {
                    field,
                    line: G0Line::G0B0
                }
            );
            assert!(err.to_string().contains(field.name()), "{err}");
            // The same change is fine on a G0B1.
            let mut b1_new = factory();
            b1_new.optr = field.set(b1_new.optr, field.get(b1_new.optr) ^ 1);
            assert!(
                assess(&G0Part::G0B1RE, &factory(), &b1_new).is_ok(),
                "{field}"
            );
        }
        let mut new = old;
        new.pcrop1aer = 4;
        new.pcrop1asr = 0;
        let err = assess(&p, &old, &new).unwrap_err();
        assert!(matches!(
            err,
            Refusal::RegisterMissing {
                register: FlashRegister::Pcrop1asr,
                ..
            }
        ));
        assert!(err.to_string().contains("FLASH_PCROP1ASR"), "{err}");
        // The G0B0 still swaps and changes banks.
        let mut new = old;
        new.optr = OptrField::NSwapBank.set(old.optr, 0);
        assert_eq!(
            assess(&p, &old, &new),
            Ok(vec![Danger::SwapChangesBootBank {
                from: Bank1,
                to: Bank2
            }])
        );
    }

    #[test]
    fn boot_lock_is_told() {
        let mut new = factory();
        new.secr = SECR_BOOT_LOCK;
        assert_eq!(
            assess(&G0Part::G0B1RE, &factory(), &new),
            Ok(vec![Danger::BootLock])
        );
        assert_eq!(assess(&G0Part::G0B1RE, &new, &new), Ok(vec![]));
    }
}
