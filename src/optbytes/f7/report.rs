//! Human-readable tables and the JSON document.
//!
//! JSON shape of `optbytes --json` (stable; documented in docs/option-bytes.md):
//! ```text
//! { "chip":   { "name", "family", "dev_id", "rev_id", "flash_size_kb" },
//!   "optcr":  u32, "optcr1": u32, "optlock": bool,
//!   "fields": { "<RM0410 name>": { "value": u32, "meaning": string }, … },
//!   "stored": null | { "words": [u32; 8], "complement_ok": bool,
//!                      "pending": null | { "optcr", "optcr1", "fields": [name…] } },
//!   "flash":  { "bank_mode": "single"|"dual", "size_kb", "probe_rs_algorithm",
//!               "bank2_address": null|u32,
//!               "sectors": [ { "index", "bank", "snb", "address", "size", "write_protected" } ] } }
//! ```

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::chip::f7::fields::{describe, format_value};
use crate::chip::f7::registers::FLASH_OPTCR_OPTLOCK;
use crate::chip::f7::{Field, OptionWords, Part};
use crate::chip::notation::{hex32, size_text};

use crate::optbytes::apply::CoreAfter;
use crate::optbytes::words::{
    write_field_change, write_no_change, write_plan_end, ConfirmWords, PlanFieldChange,
};

use super::plan::Plan;
use super::program::Outcome;
use super::read::OptionBytes;

/// The JSON document for a snapshot (see the module documentation for its shape).
pub fn json(snapshot: &OptionBytes, part: &Part, chip_name: &str) -> Value {
    let words = snapshot.words;
    let layout = part.layout_for_ndbank(words.ndbank());
    let protected =
        layout.protected_sectors(words.get(Field::NWrp) as u16, part.family.nwrp_bits());
    let mut fields = Map::new();
    for f in snapshot.fields(part) {
        fields.insert(
            f.field.name().to_string(),
            json!({ "value": f.value, "meaning": f.meaning }),
        );
    }
    let stored = snapshot.stored.map(|area| {
        let pending = snapshot.pending().map(|p| {
            json!({
                "optcr": p.optcr,
                "optcr1": p.optcr1,
                "fields": words.differing_fields(&p).iter().map(|f| f.name()).collect::<Vec<_>>(),
            })
        });
        json!({
            "words": area.words,
            "complement_ok": area.complement_mismatches().is_empty(),
            "pending": pending,
        })
    });
    let sectors: Vec<Value> = layout
        .sectors
        .iter()
        .map(|s| {
            json!({
                "index": s.index,
                "bank": s.bank,
                "snb": s.snb,
                "address": s.address,
                "size": s.size,
                "write_protected": protected.contains(&s.index),
            })
        })
        .collect();
    json!({
        "chip": {
            "name": chip_name,
            "family": part.family.label(),
            "dev_id": snapshot.identity.dev_id(),
            "rev_id": snapshot.identity.rev_id(),
            "flash_size_kb": snapshot.identity.flash_size_kb,
        },
        "optcr": words.optcr,
        "optcr1": words.optcr1,
        "optlock": words.optcr & FLASH_OPTCR_OPTLOCK != 0,
        "fields": fields,
        "stored": stored,
        "flash": {
            "bank_mode": layout.bank_mode.name(),
            "size_kb": layout.flash_kb,
            "probe_rs_algorithm": layout.probe_rs_algorithm(),
            "bank2_address": layout.bank2_base(),
            "sectors": sectors,
        },
    })
}

/// The human table for a snapshot.
pub fn table(snapshot: &OptionBytes, part: &Part, chip_name: &str) -> String {
    let words = snapshot.words;
    let mut out = String::new();
    let _ = writeln!(out, "{chip_name}: {}", snapshot.identity.describe());
    let _ = writeln!(
        out,
        "FLASH_OPTCR  = {:#010x}  (OPTLOCK {})",
        words.optcr,
        if words.optcr & FLASH_OPTCR_OPTLOCK != 0 {
            "set"
        } else {
            "CLEAR: option registers unlocked"
        }
    );
    let _ = writeln!(out, "FLASH_OPTCR1 = {:#010x}", words.optcr1);
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<11} {:<7} meaning", "field", "value");
    for f in snapshot.fields(part) {
        let _ = writeln!(
            out,
            "{:<11} {:<7} {}",
            f.field.name(),
            format_value(f.field, f.value),
            f.meaning
        );
    }
    let _ = writeln!(out);
    match &snapshot.stored {
        None => {
            let _ = writeln!(out, "Option bytes at 0x1FFF_0000: could not be read");
        }
        Some(area) => {
            let bad = area.complement_mismatches();
            if !bad.is_empty() {
                for b in bad {
                    let _ = writeln!(
                        out,
                        "Option bytes at {}: {:#010x} fails the value/complement check",
                        hex32(crate::chip::f7::registers::OPTION_BYTES_BASE + b.offset),
                        b.word
                    );
                }
            } else if let Some(pending) = snapshot.pending() {
                let _ = writeln!(
                    out,
                    "The option bytes programmed at 0x1FFF_0000 differ from the registers; the next reset loads them:"
                );
                for f in words.differing_fields(&pending) {
                    let _ = writeln!(
                        out,
                        "  {:<11} {} → {}  ({})",
                        f.name(),
                        format_value(f, words.get(f)),
                        format_value(f, pending.get(f)),
                        describe(f, &pending, part)
                    );
                }
            } else {
                let _ = writeln!(
                    out,
                    "Option bytes at 0x1FFF_0000 match the registers (nothing pending)."
                );
            }
        }
    }
    let _ = writeln!(out);
    out.push_str(&layout_table(part, &words));
    out
}

/// The flash layout in the mode `words` selects, with write protection marked.
pub fn layout_table(part: &Part, words: &OptionWords) -> String {
    let layout = part.layout_for_ndbank(words.ndbank());
    let protected =
        layout.protected_sectors(words.get(Field::NWrp) as u16, part.family.nwrp_bits());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Flash: {} (probe-rs algorithm {})",
        layout.summary(),
        layout.probe_rs_algorithm()
    );
    let _ = writeln!(out, "  sector  bank  SNB   address      size");
    for s in &layout.sectors {
        let _ = writeln!(
            out,
            "  {:>6}  {:>4}  {:#04x}  {}  {:>7}{}",
            s.index,
            s.bank,
            s.snb,
            hex32(s.address),
            size_text(s.size / 1024),
            if protected.contains(&s.index) {
                "  write-protected"
            } else {
                ""
            }
        );
    }
    out
}

/// `nDBANK = true (single bank, 2 MB in 12 sectors)`, plus a note when a different value is
/// programmed but not loaded yet.
pub fn ndbank_line(snapshot: &OptionBytes, part: &Part) -> String {
    let words = snapshot.words;
    let mut line = format!(
        "nDBANK = {} ({})",
        words.ndbank(),
        describe(Field::NDBank, &words, part)
    );
    if let Some(pending) = snapshot.pending() {
        if pending.ndbank() != words.ndbank() {
            let _ = write!(
                line,
                "; programmed value {} ({}) loads at the next reset",
                pending.ndbank(),
                describe(Field::NDBank, &pending, part)
            );
        }
    }
    line
}

/// The plan as text: old/new words, each changed field, fields already set, warnings and the
/// confirmations needed, each with how `confirm` says to give it.
pub fn plan_text(plan: &Plan, confirm: ConfirmWords) -> String {
    let mut out = String::new();
    let already_set: Vec<&str> = plan.already_set.iter().map(|f| f.name()).collect();
    if plan.is_noop() {
        write_no_change(&mut out, &already_set);
        return out;
    }
    let _ = writeln!(
        out,
        "FLASH_OPTCR  {:#010x} → {:#010x}",
        plan.old.optcr, plan.new.optcr
    );
    let _ = writeln!(
        out,
        "FLASH_OPTCR1 {:#010x} → {:#010x}",
        plan.old.optcr1, plan.new.optcr1
    );
    for d in &plan.diffs {
        write_field_change(
            &mut out,
            PlanFieldChange {
                name_width: 11,
                name: d.field.name(),
                old: &format_value(d.field, d.old),
                new: &format_value(d.field, d.new),
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

/// The plan of a dry run as JSON: the [`Plan`] with words as numbers, plus
/// `"dry_run": true`.
pub fn plan_json(plan: &Plan) -> Value {
    let mut v = serde_json::to_value(plan).expect("a plan serializes");
    v["dry_run"] = Value::Bool(true);
    v["busy_timeout_ms"] = json!(plan.busy_timeout.as_millis() as u64);
    v
}

/// One closing line for a finished `apply`.
pub fn outcome_line(outcome: &Outcome) -> String {
    let core = match outcome.core {
        CoreAfter::Untouched => "",
        CoreAfter::Running => "; core running",
        CoreAfter::Halted => "; core halted",
        CoreAfter::Unreachable => "; debug access closed (RDP level 2)",
    };
    let what = if !outcome.written {
        "nothing written: the values were already set".to_string()
    } else if outcome.pending_reset {
        "written and verified; pending until reset (the next reset loads them)".to_string()
    } else if outcome.core == CoreAfter::Unreachable {
        "written; the chip was reset".to_string()
    } else {
        "written, the chip was reset and the loaded values verified".to_string()
    };
    format!("{what}{core}")
}

/// The outcome as JSON.
pub fn outcome_json(plan: &Plan, outcome: &Outcome) -> Value {
    #[derive(Serialize)]
    struct Doc<'a> {
        plan: &'a Plan,
        outcome: &'a Outcome,
    }
    serde_json::to_value(Doc { plan, outcome }).expect("serializes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::f7::OptionArea;
    use crate::optbytes::confirm::Confirmation;
    use crate::optbytes::f7::parse::parse_changes;
    use crate::optbytes::f7::plan::plan;
    use crate::optbytes::f7::read::ChipIdentity;

    fn snapshot(words: OptionWords, stored: OptionWords) -> OptionBytes {
        OptionBytes {
            words,
            stored: Some(OptionArea::from_options(&stored)),
            identity: ChipIdentity {
                idcode: 0x1001_6451,
                flash_size_kb: 2048,
            },
        }
    }

    fn zi() -> Part {
        Part::from_name("STM32F767ZI").unwrap()
    }

    #[test]
    fn ndbank_line_matches_the_original_tool() {
        let s = snapshot(OptionWords::FACTORY, OptionWords::FACTORY);
        assert_eq!(
            ndbank_line(&s, &zi()),
            "nDBANK = true (single bank, 2 MB in 12 sectors)"
        );
        let dual = OptionWords::FACTORY.with(Field::NDBank, 0);
        let s = snapshot(dual, dual);
        assert_eq!(
            ndbank_line(&s, &zi()),
            "nDBANK = false (dual bank, 2 × 1 MB in 24 sectors, bank 2 at 0x0810_0000)"
        );
        let pending = snapshot(OptionWords::FACTORY, dual);
        assert_eq!(
            ndbank_line(&pending, &zi()),
            "nDBANK = true (single bank, 2 MB in 12 sectors); programmed value false (dual bank, 2 × 1 MB in 24 sectors, bank 2 at 0x0810_0000) loads at the next reset"
        );
    }

    #[test]
    fn json_shape_is_stable() {
        let s = snapshot(OptionWords::FACTORY, OptionWords::FACTORY);
        let v = json(&s, &zi(), "STM32F767ZI");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            vec!["chip", "fields", "flash", "optcr", "optcr1", "optlock", "stored"]
        );
        assert_eq!(v["optcr"], 0xFFFF_AAFDu32);
        assert_eq!(v["optcr1"], 0x0040_0080u32);
        assert_eq!(v["optlock"], true);
        assert_eq!(v["chip"]["name"], "STM32F767ZI");
        assert_eq!(v["chip"]["dev_id"], 0x451);
        assert_eq!(v["chip"]["rev_id"], 0x1001);
        assert_eq!(v["chip"]["flash_size_kb"], 2048);
        assert_eq!(v["chip"]["family"], "STM32F76x/F77x");
        let fields = v["fields"].as_object().unwrap();
        assert_eq!(fields.len(), 13);
        for f in Field::ALL {
            assert!(fields.contains_key(f.name()), "{f}");
            assert!(fields[f.name()]["value"].is_u64());
            assert!(fields[f.name()]["meaning"].is_string());
        }
        assert_eq!(v["fields"]["nDBANK"]["value"], 1);
        assert_eq!(v["fields"]["BOR_LEV"]["value"], 3);
        assert_eq!(v["fields"]["BOR_LEV"]["meaning"], "BOR off");
        assert_eq!(v["fields"]["RDP"]["value"], 0xAA);
        assert_eq!(v["flash"]["bank_mode"], "single");
        assert_eq!(v["flash"]["size_kb"], 2048);
        assert_eq!(v["flash"]["probe_rs_algorithm"], "stm32f7x_2048");
        assert_eq!(v["flash"]["bank2_address"], Value::Null);
        let sectors = v["flash"]["sectors"].as_array().unwrap();
        assert_eq!(sectors.len(), 12);
        assert_eq!(
            sectors[5],
            json!({"index": 5, "bank": 1, "snb": 5, "address": 0x0804_0000u32, "size": 0x40000, "write_protected": false})
        );
        assert_eq!(v["stored"]["complement_ok"], true);
        assert_eq!(v["stored"]["pending"], Value::Null);
        assert_eq!(v["stored"]["words"].as_array().unwrap().len(), 8);
    }

    #[test]
    fn json_dual_bank_pending_and_protection() {
        let dual = OptionWords::FACTORY
            .with(Field::NDBank, 0)
            .with(Field::NWrp, 0xFBF);
        let s = snapshot(dual, dual.with(Field::BootAdd1, 0x2040));
        let v = json(&s, &zi(), "STM32F767ZI");
        assert_eq!(v["flash"]["bank_mode"], "dual");
        assert_eq!(v["flash"]["bank2_address"], 0x0810_0000);
        assert_eq!(v["flash"]["probe_rs_algorithm"], "stm32f7x_2048dual");
        let sectors = v["flash"]["sectors"].as_array().unwrap();
        assert_eq!(sectors.len(), 24);
        assert_eq!(sectors[12]["index"], 12);
        assert_eq!(sectors[12]["snb"], 0x10);
        assert_eq!(sectors[12]["write_protected"], true);
        assert_eq!(sectors[14]["write_protected"], false);
        assert_eq!(v["stored"]["pending"]["fields"], json!(["BOOT_ADD1"]));
        assert_eq!(v["stored"]["pending"]["optcr1"], 0x2040_0080);
    }

    #[test]
    fn table_lists_every_field_and_the_layout() {
        let s = snapshot(OptionWords::FACTORY, OptionWords::FACTORY);
        let t = table(&s, &zi(), "STM32F767ZI");
        for f in Field::ALL {
            assert!(t.contains(f.name()), "{f} missing:\n{t}");
        }
        assert!(
            t.contains("FLASH_OPTCR  = 0xffffaafd  (OPTLOCK set)"),
            "{t}"
        );
        assert!(
            t.contains("nDBANK      1       single bank, 2 MB in 12 sectors"),
            "{t}"
        );
        assert!(t.contains("nothing pending"), "{t}");
        assert!(
            t.contains("Flash: single bank, 2 MB in 12 sectors (probe-rs algorithm stm32f7x_2048)")
        );
        assert!(
            t.contains("      11     1  0x0b  0x081C_0000   256 KB"),
            "{t}"
        );
        let pending = snapshot(
            OptionWords::FACTORY,
            OptionWords::FACTORY.with(Field::NDBank, 0),
        );
        let t = table(&pending, &zi(), "STM32F767ZI");
        assert!(t.contains("the next reset loads them"), "{t}");
        assert!(t.contains("nDBANK      1 → 0"), "{t}");
        let mut unreadable = s;
        unreadable.stored = None;
        assert!(table(&unreadable, &zi(), "X").contains("could not be read"));
    }

    #[test]
    fn plan_texts() {
        let p = plan(
            OptionWords::FACTORY,
            &parse_changes(["nDBANK=0", "nDBOOT=1"]).unwrap(),
            &zi(),
        )
        .unwrap();
        let t = plan_text(&p, words);
        assert!(t.contains("FLASH_OPTCR  0xffffaafc → 0xdfffaafc"), "{t}");
        assert!(t.contains("nDBANK      1 → 0"), "{t}");
        assert!(t.contains("was: single bank"), "{t}");
        assert!(t.contains("new: dual bank"), "{t}");
        assert!(t.contains("Already set (no write needed): nDBOOT"), "{t}");
        assert!(t.contains("WARNING: nDBANK 1 → 0"), "{t}");
        let noop = plan(
            OptionWords::FACTORY,
            &parse_changes(["nDBANK=1"]).unwrap(),
            &zi(),
        )
        .unwrap();
        assert_eq!(
            plan_text(&noop, words),
            "No change: nDBANK already set as requested; nothing to write.\n"
        );
        let rdp = plan(
            OptionWords::FACTORY,
            &parse_changes(["RDP=1"]).unwrap(),
            &zi(),
        )
        .unwrap();
        assert!(plan_text(&rdp, words).contains("Needs `ok`: RDP level 1 blocks"));
        let j = plan_json(&p);
        assert_eq!(j["dry_run"], true);
        assert_eq!(j["old"]["optcr"], 0xFFFF_AAFCu32);
        assert_eq!(j["new"]["optcr"], 0xDFFF_AAFCu32);
        assert_eq!(j["diffs"][0]["field"], "nDBANK");
        assert_eq!(j["already_set"], json!(["nDBOOT"]));
        assert_eq!(j["busy_timeout_ms"], 5000);
    }

    fn words(_: Confirmation) -> &'static str {
        "`ok`"
    }

    #[test]
    fn outcome_lines() {
        let o = Outcome {
            written: true,
            reset: true,
            pending_reset: false,
            words: OptionWords::FACTORY,
            core: CoreAfter::Running,
        };
        assert_eq!(
            outcome_line(&o),
            "written, the chip was reset and the loaded values verified; core running"
        );
        let pending = Outcome {
            reset: false,
            pending_reset: true,
            core: CoreAfter::Halted,
            ..o
        };
        assert!(outcome_line(&pending).contains("pending until reset"));
        let none = Outcome {
            written: false,
            core: CoreAfter::Untouched,
            ..o
        };
        assert_eq!(
            outcome_line(&none),
            "nothing written: the values were already set"
        );
    }
}
