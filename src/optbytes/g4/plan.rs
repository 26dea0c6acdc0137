//! A G4 change as a plan: old and new option registers, a per-field diff, the confirmations
//! (shared with F7: [`Confirmation`]), the refusals of [`crate::chip::g4::dangers`] and the
//! warnings to show. Pure.

use std::time::Duration;

use serde::Serialize;

use crate::chip::g4::dangers::{assess, Danger, Refusal};
use crate::chip::g4::{G4Layout, G4Options, G4Part, OptrField};
use crate::chip::BankMode;
use crate::optbytes::apply::{BUSY_TIMEOUT, BUSY_TIMEOUT_MASS_ERASE};
use crate::optbytes::change::FamilyPlan;
use crate::optbytes::confirm::{Confirmation, Consents};
use crate::optbytes::error::Error;

use super::parse::G4Change;
use super::read::G4Snapshot;
use super::report::{layout_text, meaning_text};

/// One field that changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct G4FieldDiff {
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

/// Why a G4 request cannot be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum G4PlanError {
    /// A field the part does not have (BFB2/DBANK outside G47x/G48x).
    #[error("{field} does not exist on {}: {why}", .part.describe())]
    FieldNotOnPart {
        /// The field.
        field: OptrField,
        /// The part.
        part: G4Part,
        /// Why (the DBANK refusal of the line).
        why: String,
    },
    /// Refused by the family's rules (RDP level 2, DBANK with PCROP, DBANK on another line).
    #[error(transparent)]
    Refused(#[from] Refusal),
}

/// The plan for one G4 option change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct G4Plan {
    /// The part the plan was made for.
    pub part: G4Part,
    /// Current (programmed) option registers.
    pub old: G4Options,
    /// New option registers.
    pub new: G4Options,
    /// Fields that change, in register order.
    pub diffs: Vec<G4FieldDiff>,
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

impl G4Plan {
    /// Whether the new RDP is level 2.
    pub fn sets_rdp2(&self) -> bool {
        self.confirmations.contains(&Confirmation::PermanentRdp2)
    }

    /// Whether DBANK changes.
    pub fn changes_bank_mode(&self) -> bool {
        self.old.bank_mode() != self.new.bank_mode()
    }
}

impl FamilyPlan for G4Plan {
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

    /// A DBANK change is never left pending (see [`Refusal::LayoutLeftPending`]).
    fn check_left_pending(&self) -> Result<(), Error> {
        if self.changes_bank_mode() {
            return Err(G4PlanError::Refused(Refusal::LayoutLeftPending).into());
        }
        Ok(())
    }
}

/// Refuse a field `part` does not have, saying why.
pub fn check_field(part: &G4Part, field: OptrField) -> Result<(), G4PlanError> {
    if field.exists_on(part.line) {
        return Ok(());
    }
    let why = match part.line.check_dbank() {
        Err(refusal) => refusal.to_string(),
        Ok(()) => "reserved bit".to_string(),
    };
    Err(G4PlanError::FieldNotOnPart {
        field,
        part: *part,
        why,
    })
}

/// Plan `changes` from `current` (the programmed values).
pub fn plan_g4(
    current: G4Options,
    changes: &[G4Change],
    part: &G4Part,
) -> Result<G4Plan, G4PlanError> {
    for c in changes {
        check_field(part, c.field)?;
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
    let diffs: Vec<G4FieldDiff> = OptrField::ALL
        .into_iter()
        .filter(|f| f.get(current.optr) != f.get(new.optr))
        .map(|field| G4FieldDiff {
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
            Danger::DbankChangeInvalidatesFlash { .. } => {}
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
    Ok(G4Plan {
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
    snapshot: &G4Snapshot,
    part: &G4Part,
    changes: &[G4Change],
) -> Result<G4Plan, Error> {
    let mut plan = plan_g4(snapshot.programmed(), changes, part)?;
    if let Some(programmed) = snapshot.pending() {
        plan.warnings.push(format!(
            "the option registers (FLASH_OPTR {:#010x}) differ from the option bytes stored at 0x1FFF_7800 (FLASH_OPTR {:#010x}): values written but not loaded by OBL_LAUNCH; the plan starts from the stored values",
            snapshot.registers.optr, programmed.optr
        ));
    }
    Ok(plan)
}

fn warnings(part: &G4Part, old: &G4Options, new: &G4Options, dangers: &[Danger]) -> Vec<String> {
    let mut out = Vec::new();
    let changed = |f: OptrField| f.get(old.optr) != f.get(new.optr);
    for d in dangers {
        match *d {
            Danger::DbankChangeInvalidatesFlash { from, to } => {
                out.push(format!(
                    "DBANK {} → {}: the flash goes from {} to {}. The flash content is invalid afterwards: erase the whole flash (mass erase) and re-flash it (ST's procedure: change DBANK, load the options, mass-erase, program). {}",
                    u8::from(from == BankMode::Dual),
                    u8::from(to == BankMode::Dual),
                    layout_text(part, from),
                    layout_text(part, to),
                    algorithm_advice(part, to)
                ));
                let wrp_active = new
                    .wrp_areas()
                    .iter()
                    .any(|(_, v)| v & 0x7F <= (v >> 16) & 0x7F);
                if wrp_active {
                    out.push("A WRP area is set: its page numbers count pages of the new size and bank afterwards (ST clears the WRP areas before a DBANK change).".to_string());
                }
            }
            Danger::PermanentRdp2 => out.push("RDP level 2 is PERMANENT: debug access is disabled for good and the option bytes can never be changed again.".to_string()),
            Danger::RdpRegressionMassErase => out.push("RDP 1 → 0 MASS-ERASES the flash (and PCROP areas with PCROP_RDP set); the chip is blank afterwards.".to_string()),
            Danger::ReadProtection => out.push("RDP level 1: the debugger can no longer read flash; going back to level 0 mass-erases it.".to_string()),
        }
    }
    let boot_changed =
        changed(OptrField::NSwBoot0) || changed(OptrField::NBoot0) || changed(OptrField::NBoot1);
    let boots_elsewhere =
        OptrField::NSwBoot0.get(new.optr) == 0 && OptrField::NBoot0.get(new.optr) == 0;
    if boot_changed && boots_elsewhere {
        let target = if OptrField::NBoot1.get(new.optr) == 0 {
            "SRAM1"
        } else {
            "system memory (the ST bootloader)"
        };
        out.push(format!("nSWBOOT0 = 0 and nBOOT0 = 0: the chip boots from {target}, not from flash, whatever the BOOT0 pin says."));
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
            out.push(format!(
                "{field} = 0: entering {mode} mode resets the chip."
            ));
        }
    }
    if changed(OptrField::BorLev) {
        out.push(
            "BOR_LEV: while the supply is below the brown-out threshold the chip is held in reset."
                .to_string(),
        );
    }
    out
}

/// Which probe-rs algorithm fits the new mode, or that none does.
pub fn algorithm_advice(part: &G4Part, mode: BankMode) -> String {
    match G4Layout::new(part.flash_kb, mode).map(|l| l.probe_rs_algorithm()) {
        Ok(crate::chip::g4::AlgorithmFit::Matches(name)) => format!(
            "probe-rs's algorithm for this mode is {name} (probe-rs download --chip … --prefer-flash-algorithm {name})."
        ),
        Ok(crate::chip::g4::AlgorithmFit::NoneMatches { default, why, .. }) => format!(
            "probe-rs 0.32 has no algorithm for this mode ({default}: {why}); program it another way (the ST bootloader), and update linker scripts and any flash driver (embassy's G4 support assumes single-bank 4 KB pages)."
        ),
        Err(_) => String::new(),
    }
}

impl From<G4PlanError> for crate::optbytes::Error {
    fn from(e: G4PlanError) -> Self {
        crate::optbytes::error::FamilyError::refused(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g4::{G4Line, Refusal};
    use crate::optbytes::confirm::Consent;
    use crate::optbytes::g4::parse::parse_g4_changes;

    fn mk(current: G4Options, args: &[&str], part: G4Part) -> Result<G4Plan, G4PlanError> {
        plan_g4(current, &parse_g4_changes(args).unwrap(), &part)
    }

    #[test]
    fn dbank_is_never_left_pending_other_fields_may_be() {
        let p = mk(G4Options::FACTORY, &["DBANK=0", "BOR_LEV=2"], G4Part::G474RE).unwrap();
        let text = p.check_left_pending().unwrap_err().to_string();
        assert!(text.contains("DBANK is loaded at once (OBL_LAUNCH)"), "{text}");
        assert!(text.contains("without `no-reset`"), "{text}");
        assert!(text.ends_with("option bytes unchanged"), "{text}");
        let bor = mk(G4Options::FACTORY, &["BOR_LEV=2"], G4Part::G474RE).unwrap();
        assert!(bor.check_left_pending().is_ok());
    }

    #[test]
    fn dbank_to_single_on_a_factory_g474re() {
        let p = mk(G4Options::FACTORY, &["DBANK=0"], G4Part::G474RE).unwrap();
        assert_eq!(p.old.optr, 0xFFEF_F8AA);
        assert_eq!(p.new.optr, 0xFFAF_F8AA);
        assert_eq!(p.diffs.len(), 1);
        assert_eq!(p.diffs[0].field, OptrField::Dbank);
        assert!(
            p.diffs[0].new_meaning.contains("single bank"),
            "{:?}",
            p.diffs[0]
        );
        assert!(p.confirmations.is_empty());
        let w = p.warnings.join("\n");
        assert!(w.contains("invalid afterwards"), "{w}");
        assert!(w.contains("mass-erase"), "{w}");
        assert!(w.contains("no algorithm for this mode"), "{w}");
        let back = mk(p.new, &["DBANK=1"], G4Part::G474RE).unwrap();
        assert!(back.warnings.join("\n").contains("stm32g47x-8x_512"));
        let rc = mk(G4Options::FACTORY, &["DBANK=single"], G4Part::G474RC).unwrap();
        assert!(rc.warnings.join("\n").contains("2 KB units"));
    }

    #[test]
    fn noop_and_already_set() {
        let p = mk(G4Options::FACTORY, &["DBANK=1", "RDP=0"], G4Part::G474RE).unwrap();
        assert!(p.is_noop());
        assert_eq!(p.already_set, vec![OptrField::Dbank, OptrField::Rdp]);
        assert!(p.warnings.is_empty());
    }

    #[test]
    fn rdp_confirmations_as_on_f7() {
        let yes = Consents::NONE.with(Consent::Destructive);
        let both = yes.with(Consent::PermanentRdp2);
        let p = mk(G4Options::FACTORY, &["RDP=1"], G4Part::G474RE).unwrap();
        assert_eq!(p.confirmations, vec![Confirmation::ReadProtection]);
        assert!(p.check_confirmations(Consents::NONE).is_err());
        p.check_confirmations(yes).unwrap();
        let l1 = G4Options {
            optr: OptrField::Rdp.set(FACTORY_OPTR_FOR_TEST, 0xBB),
            ..G4Options::FACTORY
        };
        let p = mk(l1, &["RDP=0"], G4Part::G474RE).unwrap();
        assert_eq!(p.confirmations, vec![Confirmation::MassErase]);
        assert_eq!(p.busy_timeout, BUSY_TIMEOUT_MASS_ERASE);
        let p = mk(G4Options::FACTORY, &["RDP=2"], G4Part::G474RE).unwrap();
        assert!(p.sets_rdp2());
        assert!(p.check_confirmations(yes).is_err());
        p.check_confirmations(both).unwrap();
        let p = mk(G4Options::FACTORY, &["RDP=0xCC"], G4Part::G474RE).unwrap();
        assert!(p.check_confirmations(yes).is_err());
        p.check_confirmations(both).unwrap();
        let l2 = G4Options {
            optr: OptrField::Rdp.set(FACTORY_OPTR_FOR_TEST, 0xCC),
            ..G4Options::FACTORY
        };
        assert_eq!(
            mk(l2, &["BOR_LEV=1"], G4Part::G474RE).unwrap_err(),
            G4PlanError::Refused(Refusal::AlreadyLevel2)
        );
    }

    const FACTORY_OPTR_FOR_TEST: u32 = crate::chip::g4::FACTORY_OPTR;

    #[test]
    fn dbank_refused_on_other_lines_and_with_pcrop() {
        for (line, kb, says) in [
            (G4Line::G49x, 512, "PB4_PUPEN"),
            (G4Line::G43x, 128, "no DBANK bit"),
        ] {
            let part = G4Part { line, flash_kb: kb };
            let e = mk(G4Options::FACTORY, &["DBANK=0"], part)
                .unwrap_err()
                .to_string();
            assert!(e.contains(says), "{e}");
            assert!(e.contains("only STM32G47x/G48x (DEV_ID 0x469)"), "{e}");
        }
        let mut pcrop = G4Options::FACTORY;
        pcrop.pcrop1sr = 0;
        pcrop.pcrop1er = 4;
        let e = mk(pcrop, &["DBANK=0"], G4Part::G474RE).unwrap_err();
        assert!(
            matches!(
                e,
                G4PlanError::Refused(Refusal::DbankWithActivePcrop { .. })
            ),
            "{e:?}"
        );
        assert!(mk(pcrop, &["BOR_LEV=2"], G4Part::G474RE).is_ok());
    }

    #[test]
    fn boot_and_reset_warnings() {
        let p = mk(
            G4Options::FACTORY,
            &["nSWBOOT0=0", "nBOOT0=0", "NRST_MODE=2"],
            G4Part::G474RE,
        )
        .unwrap();
        let w = p.warnings.join("\n");
        assert!(w.contains("boots from system memory"), "{w}");
        assert!(w.contains("NRST pin no longer resets"), "{w}");
    }
}
