//! The G0 family's words for the edges: its commands (`bank`, `swap`) and how its snapshot,
//! plan and outcome read ([`FamilyWords`]).

use serde_json::{json, Value};

use crate::chip::family::ChipFamily;
use crate::chip::g0::{G0Part, OptrField, Swap};
use crate::optbytes::family::{FamilyCommand, FamilyWords, Finished};
use crate::optbytes::words::ConfirmWords;
use crate::optbytes::Error;

use super::parse::{parse_g0_changes, G0Change};
use super::plan::G0Plan;
use super::read::G0Snapshot;
use super::sequence::G0Outcome;
use super::{report, G0};

/// The family's commands besides `optbytes`: `bank [single|dual]` through FLASH_OPTR.DUAL_BANK
/// (1 = dual) and `swap [on|off]` through FLASH_OPTR.nSWAP_BANK (active low: on = 0).
pub static COMMANDS: [FamilyCommand; 2] = [
    FamilyCommand {
        name: "bank",
        field: "DUAL_BANK",
        usage: "single|dual",
        value: |word| match word.to_ascii_lowercase().as_str() {
            "single" => Some(0),
            "dual" => Some(1),
            _ => None,
        },
        show_help: "show the flash bank mode (FLASH_OPTR.DUAL_BANK) and the physical bank at 0x0800_0000",
        set_help: "set the flash bank mode (DUAL_BANK), OBL_LAUNCH, re-attach and verify",
    },
    FamilyCommand {
        name: "swap",
        field: "nSWAP_BANK",
        usage: "on|off",
        value: |word| match word.to_ascii_lowercase().as_str() {
            "on" => Some(u32::from(Swap::On.nswap_bank())),
            "off" => Some(u32::from(Swap::Off.nswap_bank())),
            _ => None,
        },
        show_help: "show the bank swap (FLASH_OPTR.nSWAP_BANK): which physical bank is mapped at 0x0800_0000",
        set_help: "swap the banks (on: nSWAP_BANK = 0, physical bank 2 at 0x0800_0000) or not, OBL_LAUNCH, re-attach and verify",
    },
];

impl FamilyWords for G0 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::g0::FAMILY
    }

    fn commands(&self) -> &'static [FamilyCommand] {
        &COMMANDS
    }

    fn instead(&self) -> &'static str {
        "its bank bits are FLASH_OPTR.DUAL_BANK (1 = two banks) and nSWAP_BANK (active low: 0 = physical bank 2 at 0x0800_0000); use `bank single|dual`, `swap on|off` or `optbytes set DUAL_BANK=0|1 nSWAP_BANK=0|1`"
    }

    fn parse_changes(&self, words: &[String]) -> Result<Vec<G0Change>, Error> {
        Ok(parse_g0_changes(words)?)
    }

    fn command_field(&self, command: &FamilyCommand) -> OptrField {
        OptrField::from_name(command.field).unwrap_or(OptrField::DualBank)
    }

    fn everything(&self, snapshot: &G0Snapshot, part: &G0Part, chip_name: &str) -> (String, Value) {
        (
            report::table(snapshot, part, chip_name),
            report::json(snapshot, part, chip_name),
        )
    }

    fn command_shown(
        &self,
        command: &FamilyCommand,
        snapshot: &G0Snapshot,
        part: &G0Part,
    ) -> (String, Value) {
        let regs = snapshot.registers;
        let layout = regs.layout(part.flash_kb).ok();
        let pending = snapshot.pending();
        let json = json!({
            "DUAL_BANK": OptrField::DualBank.get(regs.optr),
            "nSWAP_BANK": OptrField::NSwapBank.get(regs.optr),
            "bank_mode": layout.map(|l| l.bank_mode.name()),
            "swap": layout.map(|l| l.swap.name()),
            "physical_bank_at_0x08000000": layout.map(|l| l.boot_bank().number()),
            "meaning": report::layout_text(part, &regs),
            "pending_optr": pending.map(|p| p.optr),
        });
        let text = if self.command_field(command) == OptrField::NSwapBank {
            report::swap_line(snapshot, part)
        } else {
            report::bank_line(snapshot, part)
        };
        (text, json)
    }

    fn plan_text(&self, plan: &G0Plan, confirm: ConfirmWords) -> String {
        report::plan_text(plan, confirm)
    }

    fn plan_json(&self, plan: &G0Plan) -> Value {
        report::plan_json(plan)
    }

    fn finished(&self, plan: &G0Plan, outcome: Option<&G0Outcome>) -> Finished {
        let nothing = G0Outcome::nothing_written(plan);
        let outcome = outcome.unwrap_or(&nothing);
        let names_bank_bits = [OptrField::DualBank, OptrField::NSwapBank]
            .iter()
            .any(|f| plan.diffs.iter().any(|d| d.field == *f) || plan.already_set.contains(f));
        let result_line = names_bank_bits.then(|| match plan.new.layout(plan.part.flash_kb) {
            Ok(l) => format!(
                "bank mode: {}, swap {}: {}",
                l.bank_mode.name(),
                l.swap.name(),
                report::mapping_text(&l)
            ),
            Err(e) => format!("bank mode: {e}"),
        });
        Finished {
            json: report::outcome_json(plan, outcome),
            result_line,
            outcome_line: report::outcome_line(outcome),
            layout_changed: plan.changes_layout(),
            reset: outcome.reset,
            core: outcome.core,
        }
    }
}
