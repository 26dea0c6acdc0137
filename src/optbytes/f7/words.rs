//! The F7 family's words for the edges: its commands (`ndbank`, `bank`) and how its snapshot,
//! plan and outcome read ([`FamilyWords`]).

use serde_json::{json, Value};

use crate::chip::f7::geometry::ndbank_for;
use crate::chip::f7::part::Part;
use crate::chip::f7::Field;
use crate::chip::family::ChipFamily;
use crate::chip::BankMode;
use crate::optbytes::family::{FamilyCommand, FamilyWords, Finished};
use crate::optbytes::words::ConfirmWords;
use crate::optbytes::Error;

use super::parse::{parse_changes, parse_ndbank, Change};
use super::plan::Plan;
use super::read::OptionBytes;
use super::{report, Outcome, F7};

/// The family's commands besides `optbytes`, in `monitor help` order: `ndbank [true|false]`
/// (FLASH_OPTCR.nDBANK as the original tool showed and set it) and `bank [single|dual]`.
pub static COMMANDS: [FamilyCommand; 2] = [
    FamilyCommand {
        name: "ndbank",
        field: "nDBANK",
        usage: "true|false",
        value: |word| parse_ndbank(word).map(u32::from),
        show_help: "show FLASH_OPTCR.nDBANK and the flash layout it selects",
        set_help: "set single (true) or dual (false) bank, verify, reset and halt (loaded at once: no-reset is refused)",
    },
    FamilyCommand {
        name: BANK,
        field: "nDBANK",
        usage: "single|dual",
        value: |word| match word.to_ascii_lowercase().as_str() {
            "single" => Some(u32::from(ndbank_for(BankMode::Single))),
            "dual" => Some(u32::from(ndbank_for(BankMode::Dual))),
            _ => None,
        },
        show_help: "show the flash bank mode (FLASH_OPTCR.nDBANK)",
        set_help: "set the flash bank mode (nDBANK), verify, reset and halt (loaded at once: no-reset is refused)",
    },
];

/// The command that shows the bank mode by its name.
const BANK: &str = "bank";

impl FamilyWords for F7 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::f7::FAMILY
    }

    fn commands(&self) -> &'static [FamilyCommand] {
        &COMMANDS
    }

    fn instead(&self) -> &'static str {
        "its bank bit is FLASH_OPTCR.nDBANK (1 = single bank, 0 = dual bank); use `bank single|dual`, `ndbank true|false` or `optbytes set nDBANK=1|0`"
    }

    fn parse_changes(&self, words: &[String]) -> Result<Vec<Change>, Error> {
        Ok(parse_changes(words)?)
    }

    fn command_field(&self, _command: &FamilyCommand) -> Field {
        Field::NDBank
    }

    fn everything(&self, snapshot: &OptionBytes, part: &Part, chip_name: &str) -> (String, Value) {
        (
            report::table(snapshot, part, chip_name),
            report::json(snapshot, part, chip_name),
        )
    }

    fn command_shown(
        &self,
        command: &FamilyCommand,
        snapshot: &OptionBytes,
        part: &Part,
    ) -> (String, Value) {
        let line = report::ndbank_line(snapshot, part);
        let layout = part.layout_for_ndbank(snapshot.words.ndbank());
        let text = if command.name == BANK {
            format!("bank mode: {} ({line})", layout.bank_mode.name())
        } else {
            line
        };
        let pending = snapshot.pending().map(|p| p.ndbank());
        let json = json!({
            "nDBANK": snapshot.words.ndbank(),
            "bank_mode": layout.bank_mode.name(),
            "meaning": layout.summary(),
            "pending_nDBANK": pending.filter(|&p| p != snapshot.words.ndbank()),
        });
        (text, json)
    }

    fn plan_text(&self, plan: &Plan, confirm: ConfirmWords) -> String {
        report::plan_text(plan, confirm)
    }

    fn plan_json(&self, plan: &Plan) -> Value {
        report::plan_json(plan)
    }

    fn finished(&self, plan: &Plan, outcome: Option<&Outcome>) -> Finished {
        let nothing = Outcome::nothing_written(plan);
        let outcome = outcome.unwrap_or(&nothing);
        let names_ndbank = plan.diffs.iter().any(|d| d.field == Field::NDBank)
            || plan.already_set.contains(&Field::NDBank);
        let result_line = names_ndbank.then(|| {
            let layout = plan.part.layout_for_ndbank(plan.new.ndbank());
            format!("nDBANK = {} ({})", plan.new.ndbank(), layout.summary())
        });
        Finished {
            json: report::outcome_json(plan, outcome),
            result_line,
            outcome_line: report::outcome_line(outcome),
            layout_changed: plan.old.ndbank() != plan.new.ndbank(),
            reset: outcome.reset,
            core: outcome.core,
        }
    }
}
