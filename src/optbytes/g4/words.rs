//! The G4 family's words for the edges: its command (`bank`) and how its snapshot, plan and
//! outcome read ([`FamilyWords`]).

use serde_json::{json, Value};

use crate::chip::family::ChipFamily;
use crate::chip::g4::geometry::dbank_for;
use crate::chip::g4::{G4Part, OptrField};
use crate::chip::BankMode;
use crate::optbytes::family::{FamilyCommand, FamilyWords, Finished};
use crate::optbytes::words::ConfirmWords;
use crate::optbytes::Error;

use super::parse::{parse_g4_changes, G4Change};
use super::plan::G4Plan;
use super::read::G4Snapshot;
use super::sequence::G4Outcome;
use super::{report, G4};

/// The family's commands besides `optbytes`: `bank [single|dual]`, through FLASH_OPTR.DBANK
/// (1 = dual).
pub static COMMANDS: [FamilyCommand; 1] = [FamilyCommand {
    name: "bank",
    field: "DBANK",
    usage: "single|dual",
    value: |word| match word.to_ascii_lowercase().as_str() {
        "single" => Some(u32::from(dbank_for(BankMode::Single))),
        "dual" => Some(u32::from(dbank_for(BankMode::Dual))),
        _ => None,
    },
    show_help: "show the flash bank mode (FLASH_OPTR.DBANK)",
    set_help: "set the flash bank mode (DBANK), OBL_LAUNCH, re-attach and verify (loaded at once: no-reset is refused)",
}];

impl FamilyWords for G4 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::g4::FAMILY
    }

    fn commands(&self) -> &'static [FamilyCommand] {
        &COMMANDS
    }

    fn instead(&self) -> &'static str {
        "its bank bit is FLASH_OPTR.DBANK (1 = dual bank, 2 KB pages; 0 = single bank, 4 KB pages); use `bank single|dual` or `optbytes set DBANK=0|1`"
    }

    fn parse_changes(&self, words: &[String]) -> Result<Vec<G4Change>, Error> {
        Ok(parse_g4_changes(words)?)
    }

    fn command_field(&self, _command: &FamilyCommand) -> OptrField {
        OptrField::Dbank
    }

    fn everything(&self, snapshot: &G4Snapshot, part: &G4Part, chip_name: &str) -> (String, Value) {
        (
            report::table(snapshot, part, chip_name),
            report::json(snapshot, part, chip_name),
        )
    }

    fn command_shown(
        &self,
        _command: &FamilyCommand,
        snapshot: &G4Snapshot,
        part: &G4Part,
    ) -> (String, Value) {
        let mode = snapshot.registers.bank_mode();
        let pending = snapshot
            .pending()
            .map(|p| p.bank_mode())
            .filter(|&m| m != mode);
        let json = json!({
            "DBANK": OptrField::Dbank.get(snapshot.registers.optr) != 0,
            "bank_mode": mode.name(),
            "meaning": report::layout_text(part, mode),
            "pending_bank_mode": pending.map(|m| m.name()),
        });
        (report::bank_line(snapshot, part), json)
    }

    fn plan_text(&self, plan: &G4Plan, confirm: ConfirmWords) -> String {
        report::plan_text(plan, confirm)
    }

    fn plan_json(&self, plan: &G4Plan) -> Value {
        report::plan_json(plan)
    }

    fn finished(&self, plan: &G4Plan, outcome: Option<&G4Outcome>) -> Finished {
        let nothing = G4Outcome::nothing_written(plan);
        let outcome = outcome.unwrap_or(&nothing);
        let names_dbank = plan.diffs.iter().any(|d| d.field == OptrField::Dbank)
            || plan.already_set.contains(&OptrField::Dbank);
        let result_line = names_dbank.then(|| {
            let mode = plan.new.bank_mode();
            format!(
                "bank mode: {} ({})",
                mode.name(),
                report::layout_text(&plan.part, mode)
            )
        });
        Finished {
            json: report::outcome_json(plan, outcome),
            result_line,
            outcome_line: report::outcome_line(outcome),
            layout_changed: plan.changes_bank_mode(),
            reset: outcome.reset,
            core: outcome.core,
        }
    }
}
