//! The H7 family's words for the edges: its command (`swap`) and how its snapshot, plan and
//! outcome read ([`FamilyWords`]).

use serde_json::Value;

use crate::chip::family::ChipFamily;
use crate::chip::h7::fields::OptsrField;
use crate::chip::h7::H7Part;
use crate::optbytes::family::{FamilyCommand, FamilyWords, Finished};
use crate::optbytes::words::ConfirmWords;
use crate::optbytes::Error;

use super::parse::{parse_h7_changes, H7Change};
use super::plan::H7Plan;
use super::read::H7Snapshot;
use super::sequence::H7Outcome;
use super::{report, H7};

/// The family's commands besides `optbytes`: `swap [on|off]`, through FLASH_OPTSR.SWAP_BANK_OPT
/// (1 = physical bank 2 at 0x0800_0000 from the next reset).
pub static COMMANDS: [FamilyCommand; 1] = [FamilyCommand {
    name: "swap",
    field: "SWAP_BANK_OPT",
    usage: "on|off",
    value: |word| match word.to_ascii_lowercase().as_str() {
        "on" => Some(1),
        "off" => Some(0),
        _ => None,
    },
    show_help: "show the bank swap in force and programmed (FLASH_OPTCR.SWAP_BANK, FLASH_OPTSR.SWAP_BANK_OPT)",
    set_help: "set the bank swap (SWAP_BANK_OPT); it takes effect at the next reset, which follows unless --no-reset",
}];

impl FamilyWords for H7 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::h7::FAMILY
    }

    fn commands(&self) -> &'static [FamilyCommand] {
        &COMMANDS
    }

    fn instead(&self) -> &'static str {
        "its flash is always two banks of 128 KB sectors (2 × 1 MB or 2 × 512 KB; the STM32H750 one sector), and its bank bit is the swap, FLASH_OPTSR.SWAP_BANK_OPT; use `swap on|off` or `optbytes set SWAP_BANK_OPT=1|0`"
    }

    fn parse_changes(&self, words: &[String]) -> Result<Vec<H7Change>, Error> {
        Ok(parse_h7_changes(words)?)
    }

    fn command_field(&self, _command: &FamilyCommand) -> OptsrField {
        OptsrField::SwapBankOpt
    }

    fn everything(&self, snapshot: &H7Snapshot, part: &H7Part, chip_name: &str) -> (String, Value) {
        (
            report::table(snapshot, part, chip_name),
            report::json(snapshot, part, chip_name),
        )
    }

    fn command_shown(
        &self,
        _command: &FamilyCommand,
        snapshot: &H7Snapshot,
        part: &H7Part,
    ) -> (String, Value) {
        (
            report::swap_line(snapshot, part),
            report::swap_json(snapshot),
        )
    }

    fn plan_text(&self, plan: &H7Plan, confirm: ConfirmWords) -> String {
        report::plan_text(plan, confirm)
    }

    fn plan_json(&self, plan: &H7Plan) -> Value {
        report::plan_json(plan)
    }

    fn finished(&self, plan: &H7Plan, outcome: Option<&H7Outcome>) -> Finished {
        let nothing = H7Outcome::nothing_written(plan);
        let outcome = outcome.unwrap_or(&nothing);
        let names_swap = plan.diffs.iter().any(|d| d.field == OptsrField::SwapBankOpt)
            || plan.already_set.contains(&OptsrField::SwapBankOpt);
        let result_line = names_swap.then(|| {
            let in_force = outcome.swap_in_force;
            let mut line = format!(
                "bank swap in force: {} ({})",
                if in_force.bit() { "on" } else { "off" },
                report::mapping_text(in_force)
            );
            if plan.new.swap() != in_force {
                line.push_str(&format!(
                    "; SWAP_BANK_OPT = {} takes effect at the next reset",
                    u8::from(plan.new.swap().bit())
                ));
            }
            line
        });
        Finished {
            json: report::outcome_json(plan, outcome),
            result_line,
            outcome_line: report::outcome_line(plan, outcome),
            layout_changed: plan.changes_swap() && outcome.reset,
            reset: outcome.reset,
            core: outcome.core,
        }
    }
}
