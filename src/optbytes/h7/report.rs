//! The H7's option bytes in words and JSON: the table of FLASH_OPTSR fields with their meanings,
//! the bank mapping in both terms ("logical 0x0800_0000 = physical bank 2"), the plan, the
//! closing line. Pure.

use std::fmt::Write as _;

use serde_json::{json, Value};

use crate::chip::h7::fields::{LowPowerMode, Meaning, OptsrField, Watchdog, WatchdogStart};
use crate::chip::h7::{BankSwap, H7Layout, H7Options, H7Part, PhysicalBank};
use crate::chip::notation::hex32;
use crate::optbytes::apply::CoreAfter;
use crate::optbytes::words::{
    write_field_change, write_no_change, write_plan_end, ConfirmWords, PlanFieldChange,
};

use super::parse::format_h7_value;
use super::plan::H7Plan;
use super::read::H7Snapshot;
use super::sequence::H7Outcome;

/// The mapping in both terms: "logical 0x0800_0000 = physical bank 2, logical 0x0810_0000 =
/// physical bank 1".
pub fn mapping_text(swap: BankSwap) -> String {
    let first = swap.physical(crate::chip::h7::LogicalBank::Bank1);
    format!(
        "logical 0x0800_0000 = {first}, logical 0x0810_0000 = {}",
        first.other()
    )
}

fn mode_name(mode: LowPowerMode) -> &'static str {
    match mode {
        LowPowerMode::StopD1 => "Stop (D1)",
        LowPowerMode::StandbyD1 => "Standby (D1)",
        LowPowerMode::StopD2 => "Stop (D2)",
        LowPowerMode::StandbyD2 => "Standby (D2)",
    }
}

/// What `optsr`'s value of `field` means, in words.
pub fn meaning_text(field: OptsrField, optsr: u32) -> String {
    match field.meaning(optsr) {
        Meaning::OptionChangeInProgress(busy) => {
            if busy { "an option change is in progress" } else { "idle" }.to_string()
        }
        Meaning::BorLevel(level) => format!(
            "brown-out reset below about {:.1} V",
            f64::from(level.threshold_mv()) / 1000.0
        ),
        Meaning::Watchdog { watchdog, start } => format!(
            "{} started by {}",
            match watchdog {
                Watchdog::Iwdg1 => "IWDG1",
                Watchdog::Iwdg2 => "IWDG2",
            },
            match start {
                WatchdogStart::Hardware => "hardware at reset",
                WatchdogStart::Software => "software",
            }
        ),
        Meaning::ResetOnEntry { mode, reset } => format!(
            "{} entering {}",
            if reset { "reset when" } else { "no reset when" },
            mode_name(mode)
        ),
        Meaning::Rdp(level) => format!("{level:?}").replace("Level", "RDP level "),
        Meaning::IndependentWatchdogIn { mode, runs } => format!(
            "IWDG {} in {}",
            if runs { "runs" } else { "frozen" },
            mode_name(mode)
        ),
        Meaning::StRamSize(size) => format!("{} KB of RAM reserved to ST code", size.kb()),
        Meaning::Security { enabled } => {
            if enabled { "secure access mode on" } else { "secure access mode off" }.to_string()
        }
        Meaning::CoreBoots { core, enabled } => format!(
            "{core:?} {}",
            if enabled { "boots" } else { "held at reset" }
        ),
        Meaning::IoHighSpeedAtLowVoltage { enabled } => {
            if enabled { "I/O high speed at low voltage on" } else { "off" }.to_string()
        }
        Meaning::OptionChangeError(error) => {
            if error { "the last option change failed" } else { "no error" }.to_string()
        }
        Meaning::Swap(swap) => format!(
            "{} ({})",
            if swap.bit() { "swapped" } else { "not swapped" },
            mapping_text(swap)
        ),
    }
}

/// The fields to show for `part`: those it has, status bits included.
fn shown_fields(part: &H7Part) -> impl Iterator<Item = OptsrField> + '_ {
    OptsrField::ALL.into_iter().filter(|f| f.exists_on(part.line))
}

/// The table of every field, the mapping and the protections.
pub fn table(snapshot: &H7Snapshot, part: &H7Part, chip_name: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{chip_name}: {} — {}",
        part.describe(),
        snapshot.identity.describe()
    );
    let _ = writeln!(
        out,
        "FLASH_OPTCR  = {:#010x} (OPTLOCK {}, SWAP_BANK {})",
        snapshot.optcr,
        u8::from(snapshot.optlock()),
        u8::from(snapshot.swap_in_force().bit())
    );
    let _ = writeln!(out, "FLASH_OPTSR_CUR = {:#010x}", snapshot.optsr_cur);
    for field in shown_fields(part) {
        let raw = field.get(snapshot.optsr_cur);
        let _ = writeln!(
            out,
            "  {:<14} {:<5} {}",
            field.name(),
            format_h7_value(field, raw),
            meaning_text(field, snapshot.optsr_cur)
        );
    }
    let _ = writeln!(out, "{}", swap_line(snapshot, part));
    write_protections(&mut out, &snapshot.cur);
    if snapshot.prg != snapshot.cur {
        let _ = writeln!(
            out,
            "*_PRG registers differ from *_CUR (written, not started): FLASH_OPTSR_PRG {:#010x}",
            snapshot.prg.optsr
        );
    }
    out
}

fn write_protections(out: &mut String, options: &H7Options) {
    for bank in PhysicalBank::ALL {
        let sectors = options.write_protected_sectors(bank);
        let _ = writeln!(
            out,
            "{bank}: write-protected sectors {}",
            if sectors.is_empty() {
                "none".to_string()
            } else {
                format!("{sectors:?}")
            }
        );
    }
    for area in options.pcrop_areas() {
        let _ = writeln!(out, "PCROP area in {}: {:#x}–{:#x}", area.bank, area.start, area.end);
    }
    for area in options.secure_areas() {
        let _ = writeln!(out, "secure-only area in {}: {:#x}–{:#x}", area.bank, area.start, area.end);
    }
    let _ = writeln!(
        out,
        "BOOT_ADD0 {}, BOOT_ADD1 {}",
        hex32(options.boot_address0()),
        hex32(options.boot_address1())
    );
}

/// The mapping in force and a pending swap, in one line.
pub fn swap_line(snapshot: &H7Snapshot, part: &H7Part) -> String {
    let swap = snapshot.swap_in_force();
    let layout = snapshot
        .layout(part)
        .map_or("layout unknown".to_string(), |l: H7Layout| l.summary());
    let mut line = format!(
        "bank swap: {} ({}; {layout})",
        if swap.bit() { "on" } else { "off" },
        mapping_text(swap)
    );
    if let Some(pending) = snapshot.swap_pending() {
        let _ = write!(
            line,
            "; SWAP_BANK_OPT = {} is programmed and takes effect at the next reset",
            u8::from(pending.bit())
        );
    }
    line
}

/// The JSON document of a read.
pub fn json(snapshot: &H7Snapshot, part: &H7Part, chip_name: &str) -> Value {
    let fields: serde_json::Map<String, Value> = shown_fields(part)
        .map(|f| {
            (
                f.name().to_string(),
                json!({
                    "value": f.get(snapshot.optsr_cur),
                    "meaning": meaning_text(f, snapshot.optsr_cur),
                }),
            )
        })
        .collect();
    json!({
        "chip": chip_name,
        "part": part.describe(),
        "identity": snapshot.identity,
        "optcr": snapshot.optcr,
        "optsr_cur": snapshot.optsr_cur,
        "fields": fields,
        "swap": swap_json(snapshot),
        "cur": snapshot.cur,
        "prg": snapshot.prg,
    })
}

/// The swap in JSON: in force, programmed, pending.
pub fn swap_json(snapshot: &H7Snapshot) -> Value {
    let swap = snapshot.swap_in_force();
    json!({
        "SWAP_BANK": swap.bit(),
        "SWAP_BANK_OPT": snapshot.cur.swap().bit(),
        "bank_at_0x08000000": swap.physical(crate::chip::h7::LogicalBank::Bank1).number(),
        "mapping": mapping_text(swap),
        "pending_at_next_reset": snapshot.swap_pending().map(|s| s.bit()),
    })
}

/// The plan in words.
pub fn plan_text(plan: &H7Plan, confirm: ConfirmWords) -> String {
    let mut out = String::new();
    let already_set: Vec<&str> = plan.already_set.iter().map(|f| f.name()).collect();
    if plan.diffs.is_empty() {
        write_no_change(&mut out, &already_set);
        if plan.only_reset_missing() {
            write_plan_end(&mut out, &[], &plan.warnings, &[], confirm);
        }
        return out;
    }
    let _ = writeln!(
        out,
        "FLASH_OPTSR_PRG {:#010x} → {:#010x}",
        plan.old.optsr, plan.new.optsr
    );
    for d in &plan.diffs {
        write_field_change(
            &mut out,
            PlanFieldChange {
                name_width: 14,
                name: d.field.name(),
                old: &format_h7_value(d.field, d.old),
                new: &format_h7_value(d.field, d.new),
                old_meaning: &d.old_meaning,
                new_meaning: &d.new_meaning,
            },
        );
    }
    write_plan_end(
        &mut out,
        &already_set,
        &plan.warnings,
        &plan.confirmations,
        confirm,
    );
    out
}

/// A dry run's plan as JSON.
pub fn plan_json(plan: &H7Plan) -> Value {
    let mut v = serde_json::to_value(plan).expect("a plan serializes");
    v["dry_run"] = Value::Bool(true);
    v["busy_timeout_ms"] = json!(plan.busy_timeout.as_millis() as u64);
    v
}

/// The outcome as JSON.
pub fn outcome_json(plan: &H7Plan, outcome: &H7Outcome) -> Value {
    json!({ "plan": plan, "outcome": outcome })
}

/// One closing line for a finished change.
pub fn outcome_line(plan: &H7Plan, outcome: &H7Outcome) -> String {
    let core = match outcome.core {
        CoreAfter::Untouched => "",
        CoreAfter::Running => "; core running",
        CoreAfter::Halted => "; core halted",
        CoreAfter::Unreachable => "; debug access closed (RDP level 2)",
    };
    let what = if !outcome.written && outcome.reset {
        format!(
            "nothing written (the values were already programmed); the chip reset and {} is in force",
            mapping_text(outcome.swap_in_force)
        )
    } else if !outcome.written && outcome.pending_reset {
        "nothing written: the values were already programmed; the bank swap takes effect at the next reset".to_string()
    } else if !outcome.written {
        "nothing written: the values were already set".to_string()
    } else if outcome.pending_reset && plan.changes_swap() {
        format!(
            "written and verified; the bank swap takes effect at the next reset (reset the chip to apply it; until then {})",
            mapping_text(plan.swap_in_force)
        )
    } else if outcome.pending_reset {
        "written and verified (FLASH_OPTSR_CUR); not reset".to_string()
    } else if outcome.core == CoreAfter::Unreachable {
        "written; the reset closed the debug port".to_string()
    } else {
        "written, verified, the chip reset and the values in force verified".to_string()
    };
    format!("{what}{core}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_in_both_terms() {
        assert_eq!(
            mapping_text(BankSwap::Swapped),
            "logical 0x0800_0000 = physical bank 2, logical 0x0810_0000 = physical bank 1"
        );
        let m = meaning_text(OptsrField::SwapBankOpt, 0);
        assert!(m.starts_with("not swapped (logical 0x0800_0000 = physical bank 1"), "{m}");
        assert_eq!(meaning_text(OptsrField::Rdp, 0xAA00), "RDP level 0");
    }
}
