//! G4 option bytes in words: the table, the JSON document (the F7 document's shape with G4's
//! register names), the plan, the bank-mode line and the outcome.
//!
//! JSON of `optbytes --json` on G4:
//! ```text
//! { "chip":   { "name", "family", "dev_id", "rev_id", "flash_size_kb" },
//!   "registers": { "FLASH_OPTR": u32, "FLASH_PCROP1SR": u32, … "FLASH_SEC2R": u32 },
//!   "optr": u32, "optlock": bool, "lock": bool,
//!   "fields": { "<RM0440 name>": { "value": u32, "meaning": string }, … },
//!   "areas":  [ { "register", "value", "meaning" } ],            (WRP and PCROP, live mode)
//!   "stored": null | { "bank1": [u32; 12], "bank2": [u32; 12], "complement_ok": bool,
//!                      "pending": null | { "optr", "fields": [name…] } },
//!   "flash":  { "bank_mode", "size_kb", "probe_rs_algorithm": string|null,
//!               "bank2_address": null|u32, "page_size",
//!               "pages": [ { "index", "bank", "pnb", "address", "size", "write_protected" } ] } }
//! ```

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::chip::g4::fields::{
    Boot0Source, Boot1Space, BorLevel, LowPowerMode, NrstMode, WatchdogStart,
};
use crate::chip::g4::{
    AlgorithmFit, G4Layout, G4Options, G4Part, Meaning, OptrField, PcropArea, WrpVerdict,
};
use crate::chip::notation::hex32;
use crate::chip::{BankMode, RdpLevel};
use crate::optbytes::confirm::Confirmation;
use crate::optbytes::words::{
    write_field_change, write_no_change, write_plan_end, ConfirmWords, PlanFieldChange,
};

use super::parse::format_g4_value;
use super::plan::G4Plan;
use super::read::{G4Snapshot, OPTION_REGISTERS};
use super::sequence::G4Outcome;
use crate::optbytes::apply::CoreAfter;
use crate::optbytes::change::FamilyPlan;

/// The layout of `part` in `mode`, in words (or why there is none).
pub fn layout_text(part: &G4Part, mode: BankMode) -> String {
    match G4Layout::new(part.flash_kb, mode) {
        Ok(l) => l.summary(),
        Err(_) => format!("{} mode ({} KB)", mode.name(), part.flash_kb),
    }
}

fn mode_name(mode: LowPowerMode) -> &'static str {
    match mode {
        LowPowerMode::Stop => "Stop",
        LowPowerMode::Standby => "Standby",
        LowPowerMode::Shutdown => "Shutdown",
    }
}

fn watchdog(start: WatchdogStart) -> &'static str {
    match start {
        WatchdogStart::Hardware => "started by hardware at reset",
        WatchdogStart::Software => "started by software",
    }
}

/// What `field` of `options` means on `part`.
pub fn meaning_text(field: OptrField, options: &G4Options, part: &G4Part) -> String {
    match field.meaning(options.optr) {
        Meaning::Rdp(RdpLevel::Level0) => "level 0, no protection".into(),
        Meaning::Rdp(RdpLevel::Level1) => "level 1, flash read-protected from the debugger".into(),
        Meaning::Rdp(RdpLevel::Level2) => "level 2, PERMANENT: debug disabled".into(),
        Meaning::BorLevel(level) => match (level, level.threshold_mv()) {
            (_, Some(mv)) => format!("reset below about {}.{} V", mv / 1000, (mv % 1000) / 100),
            (BorLevel::Undefined(v), None) => format!("value {v}: not defined by ST"),
            _ => "not defined".into(),
        },
        Meaning::ResetOnEntry { mode, reset } => format!(
            "{} mode entry {}",
            mode_name(mode),
            if reset {
                "resets the chip"
            } else {
                "works (no reset)"
            }
        ),
        Meaning::IndependentWatchdog(start) => format!("IWDG {}", watchdog(start)),
        Meaning::IndependentWatchdogIn { mode, runs } => format!(
            "IWDG {} in {} mode",
            if runs { "counts" } else { "frozen" },
            mode_name(mode)
        ),
        Meaning::WindowWatchdog(start) => format!("WWDG {}", watchdog(start)),
        Meaning::BootFromBank2(true) => {
            "boot from bank 2 when BOOT0 selects flash (dual bank)".into()
        }
        Meaning::BootFromBank2(false) => "boot from bank 1".into(),
        Meaning::Bank(mode) => layout_text(part, mode),
        Meaning::Boot1(Boot1Space::Sram1) => "BOOT0 = 1 boots SRAM1".into(),
        Meaning::Boot1(Boot1Space::SystemMemory) => "BOOT0 = 1 boots system memory".into(),
        Meaning::SramParityCheck { enabled } => {
            format!("SRAM parity check {}", if enabled { "on" } else { "off" })
        }
        Meaning::CcmsramErasedOnReset(true) => "CCM SRAM erased at system reset".into(),
        Meaning::CcmsramErasedOnReset(false) => "CCM SRAM kept at system reset".into(),
        Meaning::Boot0Source(Boot0Source::Pin) => "BOOT0 from the PB8-BOOT0 pin".into(),
        Meaning::Boot0Source(Boot0Source::OptionBit) => "BOOT0 from the nBOOT0 option bit".into(),
        Meaning::NBoot0(bit) => format!("BOOT0 = {} when nSWBOOT0 = 0", u8::from(!bit)),
        Meaning::NrstMode(NrstMode::InputOutput) => "NRST bidirectional reset (factory)".into(),
        Meaning::NrstMode(NrstMode::InputOnly) => "NRST reset input only".into(),
        Meaning::NrstMode(NrstMode::Gpio) => "NRST pin is a GPIO: it does not reset".into(),
        Meaning::NrstMode(NrstMode::Reserved) => "reserved value".into(),
        Meaning::InternalResetHolder { enabled } => format!(
            "internal resets {} NRST low",
            if enabled { "drive" } else { "do not drive" }
        ),
    }
}

fn wrp_text(verdict: &WrpVerdict) -> String {
    match verdict {
        WrpVerdict::Inactive => "off".into(),
        WrpVerdict::OutsideFlash => "names no page that exists in this mode".into(),
        WrpVerdict::Protects {
            bank,
            first,
            last,
            start,
            end,
            clipped,
        } => format!(
            "write-protects bank {bank} pages {first}–{last} ({}–{}){}",
            hex32(*start),
            hex32(end - 1),
            if *clipped {
                ", clipped at the end of the bank"
            } else {
                ""
            }
        ),
    }
}

/// The WRP and PCROP areas, decoded in `layout`: (register name, value, meaning).
pub fn areas(options: &G4Options, layout: Option<&G4Layout>) -> Vec<(&'static str, u32, String)> {
    let mut out = Vec::new();
    for (area, value) in options.wrp_areas() {
        let meaning = match layout {
            Some(l) => wrp_text(&area.decode(value, l)),
            None => "no layout for this flash size".into(),
        };
        out.push((area.register().name(), value, meaning));
    }
    for (area, name, sr, er) in [
        (
            PcropArea::Bank1,
            "FLASH_PCROP1SR/ER",
            options.pcrop1sr,
            options.pcrop1er,
        ),
        (
            PcropArea::Bank2,
            "FLASH_PCROP2SR/ER",
            options.pcrop2sr,
            options.pcrop2er,
        ),
    ] {
        let meaning = match layout.map(|l| area.decode(sr, er, l)) {
            Some(Some(r)) => format!("PCROP {}–{}", hex32(r.start), hex32(r.end - 1)),
            Some(None) => "off".into(),
            None => "no layout for this flash size".into(),
        };
        out.push((name, (er & 0xFFFF) << 16 | (sr & 0xFFFF), meaning));
    }
    out
}

fn protected_pages(options: &G4Options, layout: &G4Layout) -> Vec<(u8, u8)> {
    let mut out = Vec::new();
    for (area, value) in options.wrp_areas() {
        if let WrpVerdict::Protects {
            bank, first, last, ..
        } = area.decode(value, layout)
        {
            out.extend((first..=last).map(|p| (bank, p)));
        }
    }
    out
}

/// The probe-rs algorithm name for a layout, if one fits.
pub fn algorithm_name(layout: &G4Layout) -> Option<&'static str> {
    match layout.probe_rs_algorithm() {
        AlgorithmFit::Matches(name) => Some(name),
        AlgorithmFit::NoneMatches { .. } => None,
    }
}

fn algorithm_line(layout: &G4Layout) -> String {
    match layout.probe_rs_algorithm() {
        AlgorithmFit::Matches(name) => format!("probe-rs algorithm {name}"),
        AlgorithmFit::NoneMatches { default, why, .. } => {
            format!("no probe-rs algorithm fits: {default}: {why}")
        }
    }
}

/// The JSON document for a snapshot (see the module documentation).
pub fn json(snapshot: &G4Snapshot, part: &G4Part, chip_name: &str) -> Value {
    let regs = snapshot.registers;
    let layout = snapshot.layout(part);
    let mut fields = Map::new();
    for f in OptrField::ALL
        .into_iter()
        .filter(|f| f.exists_on(part.line))
    {
        fields.insert(
            f.name().to_string(),
            json!({ "value": f.get(regs.optr), "meaning": meaning_text(f, &regs, part) }),
        );
    }
    let mut registers = Map::new();
    for r in OPTION_REGISTERS {
        registers.insert(r.name().to_string(), json!(regs.register(r)));
    }
    let stored = snapshot.stored.map(|image| {
        let pending = snapshot.pending().map(|p| {
            json!({
                "optr": p.optr,
                "fields": OptrField::ALL.into_iter().filter(|f| f.get(p.optr) != f.get(regs.optr)).map(|f| f.name()).collect::<Vec<_>>(),
            })
        });
        json!({
            "bank1": image.bank1,
            "bank2": image.bank2,
            "complement_ok": image.mismatches().is_empty(),
            "pending": pending,
        })
    });
    let flash = layout.as_ref().map(|l| {
        let protected = protected_pages(&regs, l);
        let pages: Vec<Value> = l
            .pages()
            .iter()
            .enumerate()
            .map(|(i, p)| {
                json!({
                    "index": i, "bank": p.bank, "pnb": p.pnb, "address": p.address, "size": p.size,
                    "write_protected": protected.contains(&(p.bank, p.pnb)),
                })
            })
            .collect();
        json!({
            "bank_mode": l.bank_mode.name(),
            "size_kb": l.flash_kb,
            "probe_rs_algorithm": algorithm_name(l),
            "bank2_address": l.bank2_base(),
            "page_size": l.page_size(),
            "pages": pages,
        })
    });
    let areas: Vec<Value> = areas(&regs, layout.as_ref())
        .into_iter()
        .map(|(register, value, meaning)| json!({ "register": register, "value": value, "meaning": meaning }))
        .collect();
    json!({
        "chip": {
            "name": chip_name,
            "family": part.line.label(),
            "dev_id": snapshot.identity.dev_id(),
            "rev_id": snapshot.identity.rev_id(),
            "flash_size_kb": snapshot.identity.flash_size_kb,
        },
        "registers": registers,
        "optr": regs.optr,
        "optlock": snapshot.optlock(),
        "lock": snapshot.lock(),
        "fields": fields,
        "areas": areas,
        "stored": stored,
        "flash": flash,
    })
}

/// The human table for a snapshot.
pub fn table(snapshot: &G4Snapshot, part: &G4Part, chip_name: &str) -> String {
    let regs = snapshot.registers;
    let mut out = String::new();
    let _ = writeln!(out, "{chip_name}: {}", snapshot.identity.describe());
    let _ = writeln!(
        out,
        "FLASH_CR     = {:#010x}  (LOCK {}, OPTLOCK {})",
        snapshot.cr,
        if snapshot.lock() { "set" } else { "CLEAR" },
        if snapshot.optlock() {
            "set"
        } else {
            "CLEAR: option registers unlocked"
        }
    );
    let _ = writeln!(out, "FLASH_OPTR   = {:#010x}", regs.optr);
    let _ = writeln!(out);
    let _ = writeln!(out, "{:<12} {:<7} meaning", "field", "value");
    for f in OptrField::ALL
        .into_iter()
        .filter(|f| f.exists_on(part.line))
    {
        let _ = writeln!(
            out,
            "{:<12} {:<7} {}",
            f.name(),
            format_g4_value(f, f.get(regs.optr)),
            meaning_text(f, &regs, part)
        );
    }
    let _ = writeln!(out);
    let layout = snapshot.layout(part);
    for (name, value, meaning) in areas(&regs, layout.as_ref()) {
        let _ = writeln!(out, "{name:<18} {value:#010x}  {meaning}");
    }
    let _ = writeln!(out);
    match &snapshot.stored {
        None => {
            let _ = writeln!(out, "Option bytes at 0x1FFF_7800: could not be read");
        }
        Some(image) if !image.mismatches().is_empty() => {
            for m in image.mismatches() {
                let _ = writeln!(
                    out,
                    "Option bytes at {}: {:#010x}/{:#010x} fails the value/complement check",
                    hex32(m.address),
                    m.value,
                    m.complement
                );
            }
        }
        Some(_) => match snapshot.pending() {
            Some(p) => {
                let _ = writeln!(out, "The option bytes stored at 0x1FFF_7800 differ from the registers; the next option load (OBL_LAUNCH or power-on) loads them:");
                for f in OptrField::ALL
                    .into_iter()
                    .filter(|f| f.get(p.optr) != f.get(regs.optr))
                {
                    let _ = writeln!(
                        out,
                        "  {:<12} {} → {}  ({})",
                        f.name(),
                        format_g4_value(f, f.get(regs.optr)),
                        format_g4_value(f, f.get(p.optr)),
                        meaning_text(f, &p, part)
                    );
                }
            }
            None => {
                let _ = writeln!(
                    out,
                    "Option bytes at 0x1FFF_7800 match the registers (nothing pending)."
                );
            }
        },
    }
    let _ = writeln!(out);
    match layout {
        Some(l) => {
            let _ = writeln!(out, "Flash: {} ({})", l.summary(), algorithm_line(&l));
            for b in &l.banks {
                let _ = writeln!(
                    out,
                    "  bank {}  {}–{}  {} pages of {} KB (PNB 0–{}{})",
                    b.number,
                    hex32(b.base),
                    hex32(b.end() - 1),
                    b.pages,
                    b.page_size / 1024,
                    b.pages - 1,
                    if b.number == 2 { ", BKER = 1" } else { "" }
                );
            }
        }
        None => {
            let _ = writeln!(
                out,
                "Flash: {} KB, no page layout known for this size",
                part.flash_kb
            );
        }
    }
    out
}

/// `bank mode: dual (DBANK = 1: dual bank, 2 × 256 KB …)`, with a note when another value
/// is stored and loads at the next option load.
pub fn bank_line(snapshot: &G4Snapshot, part: &G4Part) -> String {
    let mode = snapshot.registers.bank_mode();
    let mut line = format!(
        "bank mode: {} (DBANK = {}: {})",
        mode.name(),
        OptrField::Dbank.get(snapshot.registers.optr),
        layout_text(part, mode)
    );
    if let Some(p) = snapshot.pending() {
        if p.bank_mode() != mode {
            let _ = write!(
                line,
                "; stored value DBANK = {} ({}) loads at the next option load",
                OptrField::Dbank.get(p.optr),
                p.bank_mode().name()
            );
        }
    }
    line
}

/// The plan in words (same layout as the F7 plan).
pub fn plan_text(plan: &G4Plan, confirm: ConfirmWords) -> String {
    let mut out = String::new();
    let already_set: Vec<&str> = plan.already_set.iter().map(|f| f.name()).collect();
    if plan.is_noop() {
        write_no_change(&mut out, &already_set);
        return out;
    }
    let _ = writeln!(
        out,
        "FLASH_OPTR   {:#010x} → {:#010x}",
        plan.old.optr, plan.new.optr
    );
    for d in &plan.diffs {
        write_field_change(
            &mut out,
            PlanFieldChange {
                name_width: 12,
                name: d.field.name(),
                old: &format_g4_value(d.field, d.old),
                new: &format_g4_value(d.field, d.new),
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
pub fn plan_json(plan: &G4Plan) -> Value {
    let mut v = serde_json::to_value(plan).expect("a plan serializes");
    v["dry_run"] = Value::Bool(true);
    v["busy_timeout_ms"] = json!(plan.busy_timeout.as_millis() as u64);
    v
}

/// The outcome as JSON.
pub fn outcome_json(plan: &G4Plan, outcome: &G4Outcome) -> Value {
    json!({ "plan": plan, "outcome": outcome })
}

/// One closing line for a finished change.
pub fn outcome_line(outcome: &G4Outcome) -> String {
    let core = match outcome.core {
        CoreAfter::Untouched => "",
        CoreAfter::Running => "; core running",
        CoreAfter::Halted => "; core halted",
        CoreAfter::Unreachable => "; debug access closed (RDP level 2)",
    };
    let what = if !outcome.written {
        "nothing written: the values were already set"
    } else if outcome.pending_reset {
        "written and verified; pending until the next option load (OBL_LAUNCH or power-on)"
    } else if outcome.core == CoreAfter::Unreachable {
        "written; OBL_LAUNCH reset the chip"
    } else {
        "written, loaded by OBL_LAUNCH (the chip reset), re-attached and verified"
    };
    format!("{what}{core}")
}

/// The confirmations of a plan that `consents` do not give, worded by `confirm`.
pub fn confirmations_text(missing: &[Confirmation], confirm: ConfirmWords) -> String {
    missing
        .iter()
        .map(|c| confirm(*c))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g4::G4OptionImage;
    use crate::optbytes::g4::read::G4Identity;

    fn snapshot(registers: G4Options, stored: G4Options) -> G4Snapshot {
        G4Snapshot {
            cr: 0xC000_0000,
            registers,
            stored: Some(G4OptionImage::from_options(&stored)),
            identity: G4Identity {
                idcode: 0x2000_6469,
                flash_size_kb: 512,
            },
        }
    }

    #[test]
    fn json_shape() {
        let s = snapshot(G4Options::FACTORY, G4Options::FACTORY);
        let v = json(&s, &G4Part::G474RE, "STM32G474RETx");
        let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "areas",
                "chip",
                "fields",
                "flash",
                "lock",
                "optlock",
                "optr",
                "registers",
                "stored"
            ]
        );
        assert_eq!(v["optr"], 0xFFEF_F8AAu32);
        assert_eq!(v["registers"]["FLASH_OPTR"], 0xFFEF_F8AAu32);
        assert_eq!(v["chip"]["dev_id"], 0x469);
        assert_eq!(v["fields"].as_object().unwrap().len(), 18);
        assert_eq!(v["fields"]["DBANK"]["value"], 1);
        assert_eq!(v["flash"]["bank_mode"], "dual");
        assert_eq!(v["flash"]["page_size"], 2048);
        assert_eq!(v["flash"]["bank2_address"], 0x0804_0000);
        assert_eq!(v["flash"]["probe_rs_algorithm"], "stm32g47x-8x_512");
        assert_eq!(v["flash"]["pages"].as_array().unwrap().len(), 256);
        assert_eq!(v["flash"]["pages"][128]["bank"], 2);
        assert_eq!(v["flash"]["pages"][128]["pnb"], 0);
        assert_eq!(v["stored"]["complement_ok"], true);
        assert_eq!(v["stored"]["pending"], Value::Null);
        let mut single = G4Options::FACTORY;
        single.optr = OptrField::Dbank.set(single.optr, 0);
        single.wrp1ar = 0x0001_0000; // pages 0–1
        let v = json(&snapshot(single, single), &G4Part::G474RE, "STM32G474RE");
        assert_eq!(v["flash"]["bank_mode"], "single");
        assert_eq!(v["flash"]["probe_rs_algorithm"], Value::Null);
        assert_eq!(v["flash"]["pages"].as_array().unwrap().len(), 128);
        assert_eq!(v["flash"]["pages"][1]["write_protected"], true);
        assert_eq!(v["flash"]["pages"][2]["write_protected"], false);
    }

    #[test]
    fn table_and_bank_line() {
        let s = snapshot(G4Options::FACTORY, G4Options::FACTORY);
        let t = table(&s, &G4Part::G474RC, "STM32G474RC");
        for f in OptrField::ALL {
            assert!(t.contains(f.name()), "{f}\n{t}");
        }
        assert!(t.contains("no flash at 0x0802_0000–0x0803_FFFF"), "{t}");
        assert!(t.contains("FLASH_WRP1AR"), "{t}");
        let line = bank_line(&s, &G4Part::G474RE);
        assert!(
            line.starts_with("bank mode: dual (DBANK = 1: dual bank"),
            "{line}"
        );
        let mut single = G4Options::FACTORY;
        single.optr = OptrField::Dbank.set(single.optr, 0);
        let pending = snapshot(G4Options::FACTORY, single);
        assert!(bank_line(&pending, &G4Part::G474RE).contains("stored value DBANK = 0 (single)"));
    }
}
