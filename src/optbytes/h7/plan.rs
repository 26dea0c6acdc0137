//! An H7 change as a plan: the option image in force and the new one, a per-field diff, the
//! confirmations (shared with every family: [`Confirmation`]), the refusals of
//! [`crate::chip::h7::dangers`] and the warnings to show. Pure.

use std::time::Duration;

use serde::Serialize;

use crate::chip::h7::dangers::{assess, AreaKind, Danger, Refusal};
use crate::chip::h7::fields::{FieldRefusal, OptsrField};
use crate::chip::h7::sequence::{OPT_BUSY_TIMEOUT, OPT_BUSY_TIMEOUT_MASS_ERASE};
use crate::chip::h7::{BankSwap, H7Options, H7Part, LogicalBank};
use crate::optbytes::change::FamilyPlan;
use crate::optbytes::confirm::{Confirmation, Consents};
use crate::optbytes::error::Error;

use super::parse::H7Change;
use super::read::H7Snapshot;
use super::report::{mapping_text, meaning_text};

/// One field that changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct H7FieldDiff {
    /// The field.
    pub field: OptsrField,
    /// Current raw value.
    pub old: u32,
    /// New raw value.
    pub new: u32,
    /// What the current value means.
    pub old_meaning: String,
    /// What the new value means.
    pub new_meaning: String,
}

/// Why an H7 request cannot be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum H7PlanError {
    /// A field the part does not have (the dual-core fields, the H750's SWAP_BANK_OPT) or a
    /// status bit.
    #[error("{field} does not exist on {} as an option to program: {why}", .part.describe())]
    FieldNotOnPart {
        /// The field.
        field: OptsrField,
        /// The part.
        part: H7Part,
        /// Why.
        why: FieldRefusal,
    },
    /// Refused by the family's rules (RDP level 2 in force, reserved bits).
    #[error("{}: {why}", .part.describe())]
    Refused {
        /// The part.
        part: H7Part,
        /// Why.
        why: Refusal,
    },
}

/// The plan for one H7 option change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct H7Plan {
    /// The part the plan was made for.
    pub part: H7Part,
    /// The option image in force (`*_CUR`).
    pub old: H7Options,
    /// The image to program.
    pub new: H7Options,
    /// The mapping in force (FLASH_OPTCR.SWAP_BANK) when the plan was made.
    pub swap_in_force: BankSwap,
    /// Fields that change, in register order.
    pub diffs: Vec<H7FieldDiff>,
    /// Requested fields that already have the requested value.
    pub already_set: Vec<OptsrField>,
    /// Confirmations needed before writing.
    pub confirmations: Vec<Confirmation>,
    /// What the change does (typed), before it is worded in `warnings`.
    pub dangers: Vec<Danger>,
    /// Things the user must know.
    pub warnings: Vec<String>,
    /// Bound for the OPT_BUSY wait after OPTSTART.
    #[serde(skip)]
    pub busy_timeout: Duration,
}

impl H7Plan {
    /// Whether the new RDP is level 2.
    pub fn sets_rdp2(&self) -> bool {
        self.dangers.contains(&Danger::PermanentRdp2)
    }

    /// Whether the change lowers RDP to level 0 (mass erase).
    pub fn lowers_rdp(&self) -> bool {
        self.dangers.contains(&Danger::RdpRegressionMassErase)
    }

    /// Whether the mapping after the next reset differs from the one in force.
    pub fn changes_swap(&self) -> bool {
        self.new.swap() != self.swap_in_force
    }
}

impl H7Plan {
    /// Nothing to program, but the swap programmed earlier is not in force yet: only the reset
    /// is missing (a run with `--no-reset`, or one whose reset failed).
    pub fn only_reset_missing(&self) -> bool {
        self.diffs.is_empty() && self.changes_swap()
    }
}

impl FamilyPlan for H7Plan {
    fn is_noop(&self) -> bool {
        self.diffs.is_empty() && !self.changes_swap()
    }

    fn unconfirmed(&self, consents: Consents) -> Vec<Confirmation> {
        self.confirmations
            .iter()
            .copied()
            .filter(|c| !c.given(consents))
            .collect()
    }
}

/// Refuse a field `part` does not have, saying why.
pub fn check_field(part: &H7Part, field: OptsrField) -> Result<(), H7PlanError> {
    if field.exists_on(part.line) {
        return Ok(());
    }
    field
        .check(part.line)
        .map_err(|why| H7PlanError::FieldNotOnPart {
            field,
            part: *part,
            why,
        })
}

/// Plan `changes` from `current` (the `*_CUR` image) with `swap_in_force`.
pub fn plan_h7(
    current: H7Options,
    swap_in_force: BankSwap,
    changes: &[H7Change],
    part: &H7Part,
) -> Result<H7Plan, H7PlanError> {
    let refused = |why: Refusal| H7PlanError::Refused {
        part: *part,
        why,
    };
    for c in changes {
        c.field
            .check(part.line)
            .map_err(|why| H7PlanError::FieldNotOnPart {
                field: c.field,
                part: *part,
                why,
            })?;
    }
    let mut new = current;
    let mut already_set = Vec::new();
    for c in changes {
        if c.field.get(current.optsr) == c.value {
            already_set.push(c.field);
        }
        new.optsr = c.field.set(new.optsr, c.value);
    }
    let dangers = assess(part, &current, &new).map_err(refused)?;
    let diffs: Vec<H7FieldDiff> = OptsrField::ALL
        .into_iter()
        .filter(|f| f.get(current.optsr) != f.get(new.optsr))
        .map(|field| H7FieldDiff {
            field,
            old: field.get(current.optsr),
            new: field.get(new.optsr),
            old_meaning: meaning_text(field, current.optsr),
            new_meaning: meaning_text(field, new.optsr),
        })
        .collect();
    let mut confirmations = Vec::new();
    for d in &dangers {
        let needed = match d {
            Danger::PermanentRdp2 | Danger::SecurityEnabled => Confirmation::PermanentRdp2,
            Danger::RdpRegressionMassErase => Confirmation::MassErase,
            Danger::ReadProtection => Confirmation::ReadProtection,
            Danger::SwapMovesRunningImage { .. } | Danger::ProtectedAreaAdded { .. } => continue,
        };
        if !confirmations.contains(&needed) {
            confirmations.push(needed);
        }
    }
    let busy_timeout = if confirmations.contains(&Confirmation::MassErase) {
        OPT_BUSY_TIMEOUT_MASS_ERASE
    } else {
        OPT_BUSY_TIMEOUT
    };
    let mut warnings = if diffs.is_empty() {
        Vec::new()
    } else {
        warnings(&current, &new, &dangers)
    };
    if current.swap() != swap_in_force {
        warnings.push(format!(
            "SWAP_BANK_OPT = {} is programmed but not in force yet (the chip has not been reset since): the next reset puts {} in force",
            u8::from(current.swap().bit()),
            mapping_text(current.swap())
        ));
    }
    Ok(H7Plan {
        part: *part,
        old: current,
        new,
        swap_in_force,
        diffs,
        already_set,
        confirmations,
        dangers,
        warnings,
        busy_timeout,
    })
}

/// Plan from a snapshot's `*_CUR` image, warning when the `*_PRG` registers hold other values
/// (they are written again, so that OPTSTART programs nothing but the plan).
pub(crate) fn plan_snapshot(
    snapshot: &H7Snapshot,
    part: &H7Part,
    changes: &[H7Change],
) -> Result<H7Plan, Error> {
    let mut plan = plan_h7(snapshot.cur, snapshot.swap_in_force(), changes, part)?;
    if snapshot.prg != snapshot.cur && !plan.is_noop() {
        plan.warnings.push(format!(
            "the *_PRG registers hold values never started (FLASH_OPTSR_PRG {:#010x}, FLASH_OPTSR_CUR {:#010x}); they are written again from the values in force plus this change",
            snapshot.prg.optsr, snapshot.cur.optsr
        ));
    }
    Ok(plan)
}

fn warnings(old: &H7Options, new: &H7Options, dangers: &[Danger]) -> Vec<String> {
    let mut out = Vec::new();
    let changed = |f: OptsrField| f.get(old.optsr) != f.get(new.optsr);
    for d in dangers {
        match *d {
            Danger::SwapMovesRunningImage { to, boots_from, .. } => out.push(format!(
                "SWAP_BANK_OPT {} → {}: from the next reset on, {}; the CPU boots what {boots_from} holds. The swap does not take effect before a reset (there is no OBL_LAUNCH on the STM32H7).",
                u8::from(!to.bit()),
                u8::from(to.bit()),
                mapping_text(to),
            )),
            Danger::PermanentRdp2 => out.push("RDP level 2 is PERMANENT: debug access is disabled for good and the option bytes can never be changed again.".to_string()),
            Danger::SecurityEnabled => out.push("SECURITY = 1 turns on secure access mode; how it is turned off again is not known to this tool: treated as PERMANENT.".to_string()),
            Danger::RdpRegressionMassErase => out.push("RDP 1 → 0 MASS-ERASES both banks (and the PCROP and secure areas marked for erase); the chip is blank afterwards.".to_string()),
            Danger::ReadProtection => out.push("RDP level 1: the debugger can no longer read flash; going back to level 0 mass-erases it.".to_string()),
            Danger::ProtectedAreaAdded { kind, area } => out.push(format!(
                "a {} area is added in {} ({:#x}–{:#x} from its start); it goes away only with an RDP regression.",
                match kind {
                    AreaKind::Pcrop => "PCROP",
                    AreaKind::SecureOnly => "secure-only",
                },
                area.bank,
                area.start,
                area.end
            )),
        }
    }
    if changed(OptsrField::Iwdg1Sw) && OptsrField::Iwdg1Sw.get(new.optsr) == 0 {
        out.push("IWDG1_SW = 0: the independent watchdog starts by hardware at every reset; the firmware must refresh it or the chip resets.".to_string());
    }
    for (field, mode) in [
        (OptsrField::NrstStopD1, "Stop"),
        (OptsrField::NrstStbyD1, "Standby"),
    ] {
        if changed(field) && field.get(new.optsr) == 0 {
            out.push(format!("{field} = 0: entering {mode} mode (D1) resets the chip."));
        }
    }
    if changed(OptsrField::IoHslv) && OptsrField::IoHslv.get(new.optsr) == 1 {
        out.push("IO_HSLV = 1: use only with VDD below 2.7 V; above, it can damage the I/Os.".to_string());
    }
    if changed(OptsrField::BorLev) {
        out.push(
            "BOR_LEV: while the supply is below the brown-out threshold the chip is held in reset."
                .to_string(),
        );
    }
    out
}

impl From<H7PlanError> for crate::optbytes::Error {
    fn from(e: H7PlanError) -> Self {
        crate::optbytes::error::FamilyError::refused(e).into()
    }
}

/// The bank seen at 0x0800_0000 under `swap`, for words.
pub fn boot_bank(swap: BankSwap) -> crate::chip::h7::PhysicalBank {
    swap.physical(LogicalBank::Bank1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::h7::H7Line;
    use crate::optbytes::confirm::Consent;
    use crate::optbytes::h7::parse::parse_h7_changes;

    fn mk(current: H7Options, args: &[&str], part: H7Part) -> Result<H7Plan, H7PlanError> {
        plan_h7(
            current,
            current.swap(),
            &parse_h7_changes(args).unwrap(),
            &part,
        )
    }

    #[test]
    fn swap_on_a_factory_h743zi() {
        let p = mk(H7Options::FACTORY, &["SWAP_BANK_OPT=1"], H7Part::H743ZI).unwrap();
        assert_eq!(p.new.optsr, p.old.optsr | 0x8000_0000);
        assert_eq!(p.diffs.len(), 1);
        assert!(p.changes_swap());
        assert!(p.confirmations.is_empty());
        let w = p.warnings.join("\n");
        assert!(w.contains("next reset"), "{w}");
        assert!(w.contains("logical 0x0800_0000 = physical bank 2"), "{w}");
        let back = mk(p.new, &["SWAP_BANK_OPT=0"], H7Part::H743ZI).unwrap();
        assert!(back.changes_swap());
        assert!(mk(p.new, &["SWAP_BANK_OPT=1"], H7Part::H743ZI)
            .unwrap()
            .is_noop());
    }

    #[test]
    fn a_programmed_swap_not_in_force_still_needs_the_reset() {
        let swapped = H7Options {
            optsr: H7Options::FACTORY.optsr | 0x8000_0000,
            ..H7Options::FACTORY
        };
        let changes = parse_h7_changes(["SWAP_BANK_OPT=1"]).unwrap();
        let p = plan_h7(swapped, BankSwap::NotSwapped, &changes, &H7Part::H743ZI).unwrap();
        assert!(p.diffs.is_empty() && !p.is_noop() && p.only_reset_missing());
        assert!(p.warnings.join("\n").contains("not in force yet"), "{:?}", p.warnings);
        let p = plan_h7(swapped, BankSwap::Swapped, &changes, &H7Part::H743ZI).unwrap();
        assert!(p.is_noop());
    }

    #[test]
    fn refusals_name_the_part() {
        let e = mk(H7Options::FACTORY, &["SWAP_BANK_OPT=1"], H7Part::H750VB)
            .unwrap_err()
            .to_string();
        assert!(e.contains("STM32H750") && e.contains("no SWAP_BANK_OPT"), "{e}");
        let e = mk(H7Options::FACTORY, &["BCM4=1"], H7Part::H743ZI)
            .unwrap_err()
            .to_string();
        assert!(e.contains("dual-core"), "{e}");
        let e = mk(H7Options::FACTORY, &["OPT_BUSY=1"], H7Part::H743ZI)
            .unwrap_err()
            .to_string();
        assert!(e.contains("status bit"), "{e}");
        assert!(check_field(&H7Part::H750VB, OptsrField::SwapBankOpt).is_err());
        assert!(check_field(&H7Part::H743ZI, OptsrField::OptBusy).is_ok());
        let _ = H7Line::H743;
    }

    #[test]
    fn rdp_and_security_confirmations() {
        let yes = Consents::NONE.with(Consent::Destructive);
        let both = yes.with(Consent::PermanentRdp2);
        let p = mk(H7Options::FACTORY, &["RDP=1"], H7Part::H743ZI).unwrap();
        assert_eq!(p.confirmations, vec![Confirmation::ReadProtection]);
        p.check_confirmations(yes).unwrap();
        let l1 = H7Options {
            optsr: OptsrField::Rdp.set(H7Options::FACTORY.optsr, 0x55),
            ..H7Options::FACTORY
        };
        let p = mk(l1, &["RDP=0"], H7Part::H743ZI).unwrap();
        assert_eq!(p.confirmations, vec![Confirmation::MassErase]);
        assert_eq!(p.busy_timeout, OPT_BUSY_TIMEOUT_MASS_ERASE);
        for rdp2 in [&["RDP=2"][..], &["SECURITY=1"][..]] {
            let p = mk(H7Options::FACTORY, rdp2, H7Part::H743ZI).unwrap();
            assert!(p.check_confirmations(yes).is_err(), "{rdp2:?}");
            p.check_confirmations(both).unwrap();
        }
        let l2 = H7Options {
            optsr: OptsrField::Rdp.set(H7Options::FACTORY.optsr, 0xCC),
            ..H7Options::FACTORY
        };
        let e = mk(l2, &["BOR_LEV=1"], H7Part::H743ZI).unwrap_err();
        assert!(e.to_string().contains("RDP level 2"), "{e}");
    }
}
