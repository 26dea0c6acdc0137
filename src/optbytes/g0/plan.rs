//! A G0 change as a plan: old and new option registers, a per-field diff, the confirmations
//! (shared with every family: [`Confirmation`]), the refusals of [`crate::chip::g0::dangers`]
//! (the G0B0's missing fields, DUAL_BANK on a 128 KB part, a swap without two banks, RDP level
//! 2) and the warnings to show. Pure.

use std::time::Duration;

use serde::Serialize;

use crate::chip::g0::dangers::{assess, Danger, Refusal};
use crate::chip::g0::{G0Line, G0Options, G0Part, OptrField};
use crate::chip::BankMode;
use crate::optbytes::apply::{BUSY_TIMEOUT, BUSY_TIMEOUT_MASS_ERASE};
use crate::optbytes::change::FamilyPlan;
use crate::optbytes::confirm::{Confirmation, Consents};
use crate::optbytes::error::Error;

use super::parse::G0Change;
use super::read::G0Snapshot;
use super::report::{layout_text, meaning_text};

/// One field that changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct G0FieldDiff {
    /// The field.
    pub field: OptrField,
    /// Current raw value.
    pub old: u32,
    /// New raw value.
    pub new: u32,
    /// What the current value means.
    pub old_meaning: String,
    /// What the new value means.
    pub new_meaning: String,
}

/// Why a G0 request cannot be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum G0PlanError {
    /// A field the part does not have (the G0B0's BOR, nRST_SHDW, NRST_MODE, IRHEN).
    #[error("{field} does not exist on {}: {}", .part.describe(), missing(*.field, .part))]
    FieldNotOnPart {
        /// The field.
        field: OptrField,
        /// The part.
        part: G0Part,
    },
    /// Refused by the family's rules.
    #[error(transparent)]
    Refused(#[from] Refusal),
}

fn missing(field: OptrField, part: &G0Part) -> Refusal {
    Refusal::FieldMissing {
        field,
        line: part.line,
    }
}

/// The plan for one G0 option change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct G0Plan {
    /// The part the plan was made for.
    pub part: G0Part,
    /// Current (programmed) option registers.
    pub old: G0Options,
    /// New option registers.
    pub new: G0Options,
    /// Fields that change, in bit order.
    pub diffs: Vec<G0FieldDiff>,
    /// Requested fields that already have the requested value.
    pub already_set: Vec<OptrField>,
    /// Confirmations needed before writing.
    pub confirmations: Vec<Confirmation>,
    /// What the change does (typed), before it is worded in `warnings`.
    pub dangers: Vec<Danger>,
    /// Things the user must know.
    pub warnings: Vec<String>,
    /// Bound for the BSY wait after OPTSTRT.
    #[serde(skip)]
    pub busy_timeout: Duration,
}

impl G0Plan {
    /// Whether the new RDP is level 2.
    pub fn sets_rdp2(&self) -> bool {
        self.confirmations.contains(&Confirmation::PermanentRdp2)
    }

    /// Whether the flash layout changes (bank mode or swap): the GDB memory map is then stale.
    pub fn changes_layout(&self) -> bool {
        self.old.layout(self.part.flash_kb).ok() != self.new.layout(self.part.flash_kb).ok()
    }

    /// The bank bits that change, in words, when the layout changes (`None` otherwise).
    pub fn layout_bits(&self) -> Option<&'static str> {
        if !self.changes_layout() {
            return None;
        }
        let changed = |f: OptrField| self.diffs.iter().any(|d| d.field == f);
        Some(
            match (changed(OptrField::DualBank), changed(OptrField::NSwapBank)) {
                (true, true) => "DUAL_BANK and nSWAP_BANK",
                (true, false) => "DUAL_BANK",
                _ => "nSWAP_BANK",
            },
        )
    }
}

impl FamilyPlan for G0Plan {
    fn is_noop(&self) -> bool {
        self.diffs.is_empty()
    }

    fn unconfirmed(&self, consents: Consents) -> Vec<Confirmation> {
        self.confirmations
            .iter()
            .copied()
            .filter(|c| !c.given(consents))
            .collect()
    }

    /// A DUAL_BANK or nSWAP_BANK change that moves the layout is never left pending (see
    /// [`Refusal::MappingLeftPending`]).
    fn check_left_pending(&self) -> Result<(), Error> {
        if self.changes_layout() {
            return Err(G0PlanError::Refused(Refusal::MappingLeftPending).into());
        }
        Ok(())
    }
}

/// Refuse a field `part` does not have.
pub fn check_field(part: &G0Part, field: OptrField) -> Result<(), G0PlanError> {
    if field.exists_on(part.line) {
        Ok(())
    } else {
        Err(G0PlanError::FieldNotOnPart { field, part: *part })
    }
}

/// Plan `changes` from `current` (the programmed values).
pub fn plan_g0(
    current: G0Options,
    changes: &[G0Change],
    part: &G0Part,
) -> Result<G0Plan, G0PlanError> {
    for c in changes {
        check_field(part, c.field)?;
        // On a part without a bank mode the bits name nothing, whatever value they hold.
        if !part.has_bank_mode() {
            match c.field {
                OptrField::DualBank => {
                    return Err(Refusal::NoBankMode {
                        flash_kb: part.flash_kb,
                    }
                    .into())
                }
                OptrField::NSwapBank => return Err(Refusal::SwapNeedsDualBank.into()),
                _ => {}
            }
        }
    }
    let mut new = current;
    let mut already_set = Vec::new();
    for c in changes {
        if c.field.get(current.optr) == c.value {
            already_set.push(c.field);
        }
        new.optr = c.field.set(new.optr, c.value);
    }
    let dangers = assess(part, &current, &new)?;
    let diffs: Vec<G0FieldDiff> = OptrField::ALL
        .into_iter()
        .filter(|f| f.get(current.optr) != f.get(new.optr))
        .map(|field| G0FieldDiff {
            field,
            old: field.get(current.optr),
            new: field.get(new.optr),
            old_meaning: meaning_text(field, &current, part),
            new_meaning: meaning_text(field, &new, part),
        })
        .collect();
    let mut confirmations = Vec::new();
    for d in &dangers {
        match d {
            Danger::PermanentRdp2 => confirmations.push(Confirmation::PermanentRdp2),
            Danger::RdpRegressionMassErase => confirmations.push(Confirmation::MassErase),
            Danger::ReadProtection => confirmations.push(Confirmation::ReadProtection),
            Danger::DualBankChangeInvalidatesFlash { .. }
            | Danger::SwapChangesBootBank { .. }
            | Danger::BootLock => {}
        }
    }
    let busy_timeout = if confirmations.contains(&Confirmation::MassErase) {
        BUSY_TIMEOUT_MASS_ERASE
    } else {
        BUSY_TIMEOUT
    };
    let warnings = if diffs.is_empty() {
        Vec::new()
    } else {
        warnings(part, &current, &new, &dangers)
    };
    Ok(G0Plan {
        part: *part,
        old: current,
        new,
        diffs,
        already_set,
        confirmations,
        dangers,
        warnings,
        busy_timeout,
    })
}

/// Plan from a snapshot's programmed values, warning when the registers hold other values.
pub(crate) fn plan_snapshot(
    snapshot: &G0Snapshot,
    part: &G0Part,
    changes: &[G0Change],
) -> Result<G0Plan, Error> {
    let mut plan = plan_g0(snapshot.programmed(), changes, part)?;
    if let Some(programmed) = snapshot.pending() {
        plan.warnings.push(format!(
            "the option registers (FLASH_OPTR {:#010x}) differ from the option bytes stored at 0x1FFF_7800 (FLASH_OPTR {:#010x}): values written but not loaded by OBL_LAUNCH; the plan starts from the stored values",
            snapshot.registers.optr, programmed.optr
        ));
    }
    Ok(plan)
}

fn warnings(part: &G0Part, old: &G0Options, new: &G0Options, dangers: &[Danger]) -> Vec<String> {
    let mut out = Vec::new();
    let changed = |f: OptrField| f.get(old.optr) != f.get(new.optr);
    for d in dangers {
        match *d {
            Danger::DualBankChangeInvalidatesFlash { from, to } => out.push(format!(
                "DUAL_BANK {} → {}: the flash goes from {} to {}. The flash content is invalid afterwards: erase the whole flash (mass erase) and re-flash it.",
                u8::from(from == BankMode::Dual),
                u8::from(to == BankMode::Dual),
                layout_text(part, old),
                layout_text(part, new),
            )),
            Danger::SwapChangesBootBank { from, to } => out.push(format!(
                "nSWAP_BANK {} → {}: after the option load physical bank {} is mapped at 0x0800_0000 instead of physical bank {}: the chip boots the firmware in physical bank {}, and every flash address names the other silicon (erase and load follow the swap).",
                OptrField::NSwapBank.get(old.optr),
                OptrField::NSwapBank.get(new.optr),
                to.number(),
                from.number(),
                to.number(),
            )),
            Danger::PermanentRdp2 => out.push("RDP level 2 is PERMANENT: debug access is disabled for good and the option bytes can never be changed again.".to_string()),
            Danger::RdpRegressionMassErase => out.push("RDP 1 → 0 MASS-ERASES the flash (and PCROP areas with PCROP_RDP set); the chip is blank afterwards.".to_string()),
            Danger::ReadProtection => out.push("RDP level 1: the debugger can no longer read flash; going back to level 0 mass-erases it.".to_string()),
            Danger::BootLock => out.push("FLASH_SECR.BOOT_LOCK = 1 forces boot from main flash; how it is cleared again is not known here: treat it as possibly permanent.".to_string()),
        }
    }
    let boot_changed =
        changed(OptrField::NBootSel) || changed(OptrField::NBoot0) || changed(OptrField::NBoot1);
    let boots_elsewhere =
        OptrField::NBootSel.get(new.optr) == 1 && OptrField::NBoot0.get(new.optr) == 0;
    if boot_changed && boots_elsewhere {
        let target = if OptrField::NBoot1.get(new.optr) == 0 {
            "SRAM"
        } else {
            "system memory (the ST bootloader)"
        };
        out.push(format!("nBOOT_SEL = 1 and nBOOT0 = 0: the chip boots from {target}, not from flash, whatever the BOOT0 pin says."));
    }
    if changed(OptrField::NrstMode) && OptrField::NrstMode.get(new.optr) == 2 {
        out.push("NRST_MODE = 2 (GPIO): the NRST pin no longer resets the chip; a probe that connects under reset cannot use it.".to_string());
    }
    for (field, what) in [
        (OptrField::IwdgSw, "the independent watchdog"),
        (OptrField::WwdgSw, "the window watchdog"),
    ] {
        if changed(field) && field.get(new.optr) == 0 {
            out.push(format!("{field} = 0: {what} starts by hardware at every reset; the firmware must refresh it or the chip resets."));
        }
    }
    for (field, mode) in [
        (OptrField::NRstStop, "Stop"),
        (OptrField::NRstStdby, "Standby"),
        (OptrField::NRstShdw, "Shutdown"),
    ] {
        if changed(field) && field.get(new.optr) == 0 {
            out.push(format!("{field} = 0: entering {mode} mode resets the chip."));
        }
    }
    // The chip cannot tell a G0B0 from a G0B1/G0C1 of 512 KB (one DEV_ID, one size).
    let g0b0_lacks: Vec<&str> = OptrField::ALL
        .into_iter()
        .filter(|&f| changed(f) && !f.exists_on(G0Line::G0B0))
        .map(|f| f.name())
        .collect();
    if part.line != G0Line::G0B0 && part.flash_kb == 512 && !g0b0_lacks.is_empty() {
        out.push(format!(
            "{} exist on the STM32G0B1/G0C1 only: an STM32G0B0 reports the same DEV_ID and flash size, and these bits are reserved there — make sure the chip is a G0B1/G0C1 (name a G0B0 with --chip STM32G0B0xE to have them refused).",
            g0b0_lacks.join(", ")
        ));
    }
    if changed(OptrField::BorEn) || changed(OptrField::BorrLev) || changed(OptrField::BorfLev) {
        out.push(
            "BOR: while the supply is below the brown-out threshold the chip is held in reset."
                .to_string(),
        );
    }
    out
}

impl From<G0PlanError> for crate::optbytes::Error {
    fn from(e: G0PlanError) -> Self {
        crate::optbytes::error::FamilyError::refused(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::{G0Line, FACTORY_OPTR_G0X1};
    use crate::optbytes::confirm::Consent;
    use crate::optbytes::g0::parse::parse_g0_changes;

    fn factory() -> G0Options {
        G0Options::factory(G0Line::G0B1)
    }

    fn mk(current: G0Options, args: &[&str], part: G0Part) -> Result<G0Plan, G0PlanError> {
        plan_g0(current, &parse_g0_changes(args).unwrap(), &part)
    }

    #[test]
    fn swap_on_a_factory_g0b1re() {
        let p = mk(factory(), &["nSWAP_BANK=0"], G0Part::G0B1RE).unwrap();
        assert_eq!(p.old.optr, FACTORY_OPTR_G0X1);
        assert_eq!(p.new.optr, FACTORY_OPTR_G0X1 & !(1 << 20));
        assert_eq!(p.diffs.len(), 1);
        assert!(p.changes_layout());
        assert!(p.confirmations.is_empty());
        let w = p.warnings.join("\n");
        assert!(w.contains("physical bank 2 is mapped at 0x0800_0000"), "{w}");
    }

    #[test]
    fn single_bank_and_the_refusals() {
        let p = mk(factory(), &["DUAL_BANK=0"], G0Part::G0B1RE).unwrap();
        assert!(p.warnings.join("\n").contains("invalid afterwards"));
        let rb = G0Part::from_name("STM32G0B1RB").unwrap();
        let e = mk(factory(), &["DUAL_BANK=0"], rb).unwrap_err();
        assert!(e.to_string().contains("single bank only"), "{e}");
        let single = p.new;
        let e = mk(single, &["nSWAP_BANK=0"], G0Part::G0B1RE).unwrap_err();
        assert_eq!(e, G0PlanError::Refused(Refusal::SwapNeedsDualBank));
        let p = mk(factory(), &["NRST_MODE=1"], G0Part::G0B1RE).unwrap();
        assert!(p.warnings.join("\n").contains("an STM32G0B0 reports the same DEV_ID"));
        let p = mk(factory(), &["NRST_MODE=1"], G0Part::G0B1RC).unwrap();
        assert!(!p.warnings.join("\n").contains("STM32G0B0"), "no 256 KB G0B0");
        let b0 = G0Part::from_name("STM32G0B0RE").unwrap();
        let e = mk(G0Options::factory(G0Line::G0B0), &["NRST_MODE=2"], b0).unwrap_err();
        assert!(e.to_string().contains("does not exist on STM32G0B0"), "{e}");
        assert!(mk(G0Options::factory(G0Line::G0B0), &["nSWAP_BANK=0"], b0).is_ok());
    }

    #[test]
    fn rdp_confirmations() {
        let yes = Consents::NONE.with(Consent::Destructive);
        let both = yes.with(Consent::PermanentRdp2);
        let p = mk(factory(), &["RDP=1"], G0Part::G0B1RE).unwrap();
        assert_eq!(p.confirmations, vec![Confirmation::ReadProtection]);
        assert!(p.check_confirmations(Consents::NONE).is_err());
        p.check_confirmations(yes).unwrap();
        let p = mk(factory(), &["RDP=2"], G0Part::G0B1RE).unwrap();
        assert!(p.sets_rdp2());
        assert!(p.check_confirmations(yes).is_err());
        p.check_confirmations(both).unwrap();
        let l1 = G0Options {
            optr: OptrField::Rdp.set(FACTORY_OPTR_G0X1, 0xBB),
            ..factory()
        };
        let p = mk(l1, &["RDP=0"], G0Part::G0B1RE).unwrap();
        assert_eq!(p.confirmations, vec![Confirmation::MassErase]);
        assert_eq!(p.busy_timeout, BUSY_TIMEOUT_MASS_ERASE);
    }

    #[test]
    fn a_layout_change_is_never_left_pending_other_fields_may_be() {
        for (args, bits) in [
            (&["nSWAP_BANK=0", "BOR_EN=1"][..], "nSWAP_BANK"),
            (&["DUAL_BANK=0"][..], "DUAL_BANK"),
        ] {
            let p = mk(factory(), args, G0Part::G0B1RE).unwrap();
            assert_eq!(p.layout_bits(), Some(bits));
            let text = p.check_left_pending().unwrap_err().to_string();
            assert!(text.contains("loaded at once (OBL_LAUNCH)"), "{text}");
            assert!(text.contains("without `no-reset`"), "{text}");
            assert!(text.ends_with("option bytes unchanged"), "{text}");
        }
        let bor = mk(factory(), &["BOR_EN=1"], G0Part::G0B1RE).unwrap();
        assert_eq!(bor.layout_bits(), None);
        assert!(bor.check_left_pending().is_ok());
    }

    #[test]
    fn noop_and_already_set() {
        let p = mk(factory(), &["DUAL_BANK=1", "nSWAP_BANK=off"], G0Part::G0B1RE).unwrap();
        assert!(p.is_noop());
        assert_eq!(p.already_set, vec![OptrField::DualBank, OptrField::NSwapBank]);
    }
}
