//! What a change of the H74x/H75x option registers does that cannot be taken back, that
//! destroys data or that moves the running image, as typed verdicts; and the changes refused
//! outright.

use serde::Serialize;

use crate::chip::RdpLevel;

use super::fields::{FieldRefusal, OptsrField, OPTSR_RESERVED};
use super::geometry::{BankSwap, PhysicalBank};
use super::options::{H7Options, ProtectedArea};
use super::part::H7Part;

/// Which protected area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum AreaKind {
    /// PRAR: proprietary code readout protection.
    Pcrop,
    /// SCAR: secure-only area (acts with SECURITY).
    SecureOnly,
}

/// A consequence the user must confirm or be told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Danger {
    /// RDP becomes 0xCC: permanent, debug access gone, options frozen for good.
    PermanentRdp2,
    /// SECURITY becomes 1: secure access mode. How (or whether) it can be cleared is not in the
    /// sources read (UNVERIFIED); treated as permanent, like RDP level 2.
    SecurityEnabled,
    /// RDP goes from level 1 to 0: the chip mass-erases both banks (and the PCROP and secure
    /// areas whose DMEP/DMES is set).
    RdpRegressionMassErase,
    /// RDP goes from 0 to 1: the debugger loses flash access; going back erases.
    ReadProtection,
    /// SWAP_BANK_OPT changes: from the next reset on, 0x0800_0000 shows the other physical
    /// bank. The image running now moves to 0x0810_0000 and the CPU boots whatever the other
    /// bank holds.
    SwapMovesRunningImage {
        /// The mapping before.
        from: BankSwap,
        /// The mapping after the next reset.
        to: BankSwap,
        /// The physical bank seen at 0x0800_0000 after the next reset.
        boots_from: PhysicalBank,
    },
    /// A PCROP or secure-only area is switched on; it goes away only through an RDP regression
    /// with DMEP/DMES set (UNVERIFIED beyond HAL-H7's names for those bits).
    ProtectedAreaAdded {
        /// Which kind.
        kind: AreaKind,
        /// The area.
        area: ProtectedArea,
    },
}

impl Danger {
    /// Whether the danger cannot be undone (needs both confirmations).
    pub fn is_permanent(&self) -> bool {
        matches!(self, Danger::PermanentRdp2 | Danger::SecurityEnabled)
    }
}

/// A change that is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
pub enum Refusal {
    /// The chip is at RDP level 2: nothing can be changed (it would answer OPTCHANGEERR).
    #[error("the chip is at RDP level 2: its option bytes can no longer be changed")]
    AlreadyLevel2,
    /// A field the part does not have.
    #[error(transparent)]
    Field(#[from] FieldRefusal),
    /// Reserved OPTSR bits would change.
    #[error("the change touches reserved FLASH_OPTSR bits {mask:#010x}; no field of an STM32H74x/H75x lives there (SWAP_BANK_OPT is bit 31, 0x80000000)")]
    ReservedBits {
        /// The reserved bits that differ.
        mask: u32,
    },
}

/// The dangers of going from `old` to `new` on `part`, or why the change is refused.
pub fn assess(part: &H7Part, old: &H7Options, new: &H7Options) -> Result<Vec<Danger>, Refusal> {
    let (old_rdp, new_rdp) = (old.rdp_level(), new.rdp_level());
    if old_rdp == RdpLevel::Level2 && old != new {
        return Err(Refusal::AlreadyLevel2);
    }
    let reserved = (old.optsr ^ new.optsr) & OPTSR_RESERVED;
    if reserved != 0 {
        return Err(Refusal::ReservedBits { mask: reserved });
    }
    for field in OptsrField::ALL {
        if field.get(old.optsr) != field.get(new.optsr) {
            field.check(part.line)?;
        }
    }
    let mut dangers = Vec::new();
    match (old_rdp, new_rdp) {
        (_, RdpLevel::Level2) if old_rdp != RdpLevel::Level2 => dangers.push(Danger::PermanentRdp2),
        (RdpLevel::Level1, RdpLevel::Level0) => dangers.push(Danger::RdpRegressionMassErase),
        (RdpLevel::Level0, RdpLevel::Level1) => dangers.push(Danger::ReadProtection),
        _ => {}
    }
    if new.security() && !old.security() {
        dangers.push(Danger::SecurityEnabled);
    }
    let (from, to) = (old.swap(), new.swap());
    if from != to {
        dangers.push(Danger::SwapMovesRunningImage {
            from,
            to,
            boots_from: to.physical(super::geometry::LogicalBank::Bank1),
        });
    }
    let added = |kind, old: Vec<ProtectedArea>, new: Vec<ProtectedArea>| {
        new.into_iter()
            .filter(move |area| !old.contains(area))
            .map(move |area| Danger::ProtectedAreaAdded { kind, area })
    };
    dangers.extend(added(AreaKind::Pcrop, old.pcrop_areas(), new.pcrop_areas()));
    dangers.extend(added(
        AreaKind::SecureOnly,
        old.secure_areas(),
        new.secure_areas(),
    ));
    Ok(dangers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::h7::part::H7Line;

    fn with(field: OptsrField, value: u32) -> H7Options {
        H7Options {
            optsr: field.set(H7Options::FACTORY.optsr, value),
            ..H7Options::FACTORY
        }
    }

    #[test]
    fn rdp_dangers() {
        let f = H7Options::FACTORY;
        let p = H7Part::H743ZI;
        assert_eq!(assess(&p, &f, &f), Ok(vec![]));
        let l2 = with(OptsrField::Rdp, 0xCC);
        assert_eq!(assess(&p, &f, &l2), Ok(vec![Danger::PermanentRdp2]));
        let l1 = with(OptsrField::Rdp, 0x55);
        assert_eq!(assess(&p, &f, &l1), Ok(vec![Danger::ReadProtection]));
        assert_eq!(
            assess(&p, &l1, &f),
            Ok(vec![Danger::RdpRegressionMassErase])
        );
        assert_eq!(assess(&p, &l1, &l2), Ok(vec![Danger::PermanentRdp2]));
        assert_eq!(assess(&p, &l2, &f), Err(Refusal::AlreadyLevel2));
        assert_eq!(assess(&p, &l2, &l2), Ok(vec![]));
        assert!(Danger::PermanentRdp2.is_permanent());
        assert!(!Danger::ReadProtection.is_permanent());
    }

    #[test]
    fn security_is_treated_as_permanent() {
        let f = H7Options::FACTORY;
        let on = with(OptsrField::Security, 1);
        let dangers = assess(&H7Part::H743ZI, &f, &on).unwrap();
        assert_eq!(dangers, vec![Danger::SecurityEnabled]);
        assert!(dangers[0].is_permanent());
        assert_eq!(assess(&H7Part::H743ZI, &on, &on), Ok(vec![]));
    }

    #[test]
    fn the_swap_moves_the_running_image() {
        let f = H7Options::FACTORY;
        let swapped = with(OptsrField::SwapBankOpt, 1);
        assert_eq!(
            assess(&H7Part::H743ZI, &f, &swapped),
            Ok(vec![Danger::SwapMovesRunningImage {
                from: BankSwap::NotSwapped,
                to: BankSwap::Swapped,
                boots_from: PhysicalBank::Bank2
            }])
        );
        assert_eq!(
            assess(&H7Part::H743ZG, &swapped, &f),
            Ok(vec![Danger::SwapMovesRunningImage {
                from: BankSwap::Swapped,
                to: BankSwap::NotSwapped,
                boots_from: PhysicalBank::Bank1
            }])
        );
        assert!(!assess(&H7Part::H743ZI, &f, &swapped).unwrap()[0].is_permanent());
    }

    #[test]
    fn fields_the_part_lacks_are_refused() {
        let f = H7Options::FACTORY;
        let swapped = with(OptsrField::SwapBankOpt, 1);
        assert_eq!(
            assess(&H7Part::H750VB, &f, &swapped),
            Err(Refusal::Field(FieldRefusal::NoSecondBank {
                line: H7Line::H750
            }))
        );
        let bcm4 = with(OptsrField::Bcm4, 1);
        let err = assess(&H7Part::H743ZI, &f, &bcm4).unwrap_err();
        assert_eq!(
            err,
            Refusal::Field(FieldRefusal::DualCoreOnly {
                field: OptsrField::Bcm4,
                line: H7Line::H743
            })
        );
        assert!(err.to_string().contains("dual-core"), "{err}");
        // OpenOCD's doc value sets reserved bit 27.
        let openocd = H7Options {
            optsr: f.optsr | 0x0800_0000,
            ..f
        };
        let err = assess(&H7Part::H743ZI, &f, &openocd).unwrap_err();
        assert_eq!(err, Refusal::ReservedBits { mask: 0x0800_0000 });
        assert!(err.to_string().contains("bit 31"), "{err}");
    }

    #[test]
    fn new_protected_areas_are_told() {
        let f = H7Options::FACTORY;
        let pcrop = H7Options {
            prar2: 0x0000_0000,
            ..f
        };
        assert_eq!(
            assess(&H7Part::H743ZI, &f, &pcrop),
            Ok(vec![Danger::ProtectedAreaAdded {
                kind: AreaKind::Pcrop,
                area: ProtectedArea {
                    bank: PhysicalBank::Bank2,
                    start: 0,
                    end: 256,
                    erased_on_regression: false
                }
            }])
        );
        let secure = H7Options {
            scar1: 0x0001_0000,
            ..f
        };
        assert!(matches!(
            assess(&H7Part::H743ZI, &f, &secure).unwrap()[..],
            [Danger::ProtectedAreaAdded {
                kind: AreaKind::SecureOnly,
                ..
            }]
        ));
        // Removing one is not a danger.
        assert_eq!(assess(&H7Part::H743ZI, &pcrop, &f), Ok(vec![]));
    }
}
