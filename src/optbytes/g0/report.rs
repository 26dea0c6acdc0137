//! G0 option bytes in words: the table, the JSON document (the G4 document's shape with the
//! G0's register names, and the banks in both terms: the address window and the silicon), the
//! plan, the bank and swap lines and the outcome.
//!
//! JSON of `optbytes --json` on G0:
//! ```text
//! { "chip":   { "name", "family", "dev_id", "rev_id", "flash_size_kb" },
//!   "registers": { "FLASH_OPTR": u32, "FLASH_PCROP1ASR": u32, … "FLASH_SECR": u32 },
//!   "optr": u32, "optlock": bool, "lock": bool,
//!   "fields": { "<CMSIS name>": { "value": u32, "meaning": string }, … },
//!   "areas":  [ { "register", "value", "meaning" } ],            (WRP and PCROP, live mode)
//!   "stored": null | { "words": [u32; 28], "complement_ok": bool,
//!                      "pending": null | { "optr", "fields": [name…] } },
//!   "flash":  { "bank_mode", "swap", "size_kb", "page_size", "bank2_address": null|u32,
//!               "boot_bank": 1|2,
//!               "banks": [ { "logical", "physical", "address", "pages" } ] } }
//! ```

use std::fmt::Write as _;

use serde_json::{json, Map, Value};

use crate::chip::g0::fields::{
    Boot0Source, Boot1Space, LowPowerMode, NrstMode, WatchdogStart,
};
use crate::chip::g0::{
    G0Layout, G0Options, G0Part, Meaning, OptrField, PcropArea, Swap, WrpVerdict,
};
use crate::chip::notation::hex32;
use crate::chip::{BankMode, RdpLevel};
use crate::chip::g0::registers::FlashRegister;
use crate::optbytes::apply::CoreAfter;
use crate::optbytes::change::FamilyPlan;
use crate::optbytes::words::{
    write_field_change, write_no_change, write_plan_end, ConfirmWords, PlanFieldChange,
};

use super::parse::format_g0_value;
use super::plan::G0Plan;
use super::read::G0Snapshot;
use super::sequence::G0Outcome;

/// The layout `options` select on `part`, in words (or why there is none).
pub fn layout_text(part: &G0Part, options: &G0Options) -> String {
    match options.layout(part.flash_kb) {
        Ok(l) => l.summary(),
        Err(e) => e.to_string(),
    }
}

/// Which physical bank each window holds, e.g. "physical bank 2 at 0x0800_0000, physical bank
/// 1 at 0x0804_0000".
pub fn mapping_text(layout: &G0Layout) -> String {
    layout
        .banks()
        .iter()
        .map(|b| format!("physical bank {} at {}", b.physical.number(), hex32(b.base)))
        .collect::<Vec<_>>()
        .join(", ")
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

fn volts(mv: u32) -> String {
    format!("{}.{} V", mv / 1000, (mv % 1000) / 100)
}

/// What `field` of `options` means on `part`.
pub fn meaning_text(field: OptrField, options: &G0Options, part: &G0Part) -> String {
    match field.meaning(options.optr) {
        Meaning::Rdp(RdpLevel::Level0) => "level 0, no protection".into(),
        Meaning::Rdp(RdpLevel::Level1) => "level 1, flash read-protected from the debugger".into(),
        Meaning::Rdp(RdpLevel::Level2) => "level 2, PERMANENT: debug disabled".into(),
        Meaning::BorReset { enabled: true } => "brown-out reset at BORR_LEV/BORF_LEV".into(),
        Meaning::BorReset { enabled: false } => {
            "brown-out reset at the power-on/power-down threshold only".into()
        }
        Meaning::BorRising(t) => format!("rising threshold about {}", volts(t.rising_mv())),
        Meaning::BorFalling(t) => format!("falling threshold about {}", volts(t.falling_mv())),
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
        Meaning::BankSwap(swap) => swap_meaning(swap, options, part),
        Meaning::Bank(_) => layout_text(part, options),
        Meaning::SramParityCheck { enabled } => {
            format!("SRAM parity check {}", if enabled { "on" } else { "off" })
        }
        Meaning::Boot0Source(Boot0Source::Pin) => "BOOT0 from the PA14-BOOT0 pin".into(),
        Meaning::Boot0Source(Boot0Source::OptionBit) => "BOOT0 from the nBOOT0 option bit".into(),
        Meaning::Boot1(Boot1Space::Sram) => "BOOT0 = 1 boots SRAM".into(),
        Meaning::Boot1(Boot1Space::SystemMemory) => "BOOT0 = 1 boots system memory".into(),
        Meaning::NBoot0(bit) => format!("BOOT0 = {} when nBOOT_SEL = 1", u8::from(!bit)),
        Meaning::NrstMode(NrstMode::InputOutput) => "NRST reset input and output (factory)".into(),
        Meaning::NrstMode(NrstMode::InputOnly) => "NRST reset input only".into(),
        Meaning::NrstMode(NrstMode::Gpio) => "NRST pin is a GPIO: it does not reset".into(),
        Meaning::NrstMode(NrstMode::Reserved) => "reserved value".into(),
        Meaning::InternalResetHolder { irhen } => {
            format!("IRHEN = {} (its sense is not settled in the sources)", u8::from(irhen))
        }
    }
}

fn swap_meaning(swap: Swap, options: &G0Options, part: &G0Part) -> String {
    match options.layout(part.flash_kb) {
        Ok(l) if l.bank_mode == BankMode::Dual => format!(
            "swap {}: {}",
            swap.name(),
            mapping_text(&l)
        ),
        Ok(_) => format!("swap {} (no effect: single bank)", swap.name()),
        Err(e) => e.to_string(),
    }
}

fn wrp_text(verdict: &WrpVerdict) -> String {
    match verdict {
        WrpVerdict::Inactive => "off".into(),
        WrpVerdict::OutsideFlash => "names no page that exists in this mode".into(),
        WrpVerdict::NotInThisMode => "a bank-2 area in single-bank mode (no effect known)".into(),
        WrpVerdict::Protects {
            bank,
            first,
            last,
            start,
            end,
            clipped,
        } => format!(
            "write-protects physical bank {} pages {first}–{last} ({}–{}){}",
            bank.number(),
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
pub fn areas(
    options: &G0Options,
    part: &G0Part,
    layout: Option<&G0Layout>,
) -> Vec<(&'static str, u32, String)> {
    let mut out = Vec::new();
    for (area, value) in options.wrp_areas() {
        let meaning = match layout {
            Some(l) => wrp_text(&area.decode(value, l)),
            None => "no layout".into(),
        };
        out.push((area.register().name(), value, meaning));
    }
    if !part.line.has_pcrop_and_securable_area() {
        return out;
    }
    for (area, sr, er) in options.pcrop_areas() {
        let name = match area {
            PcropArea::Bank1A => "FLASH_PCROP1ASR/AER",
            PcropArea::Bank1B => "FLASH_PCROP1BSR/BER",
            PcropArea::Bank2A => "FLASH_PCROP2ASR/AER",
            PcropArea::Bank2B => "FLASH_PCROP2BSR/BER",
        };
        let meaning = match layout.map(|l| area.decode(sr, er, l)) {
            Some(Some(r)) => format!("PCROP {}–{}", hex32(r.start), hex32(r.end - 1)),
            Some(None) => "off".into(),
            None => "no layout".into(),
        };
        out.push((name, (er & 0xFFFF) << 16 | (sr & 0xFFFF), meaning));
    }
    let sec = options.securable_area();
    out.push((
        "FLASH_SECR",
        options.secr,
        format!(
            "securable area: {} pages of physical bank 1, {} of bank 2; BOOT_LOCK {}",
            sec.bank1_pages,
            sec.bank2_pages,
            u8::from(sec.boot_lock)
        ),
    ));
    out
}

fn flash_json(l: &G0Layout) -> Value {
    let banks: Vec<Value> = l
        .banks()
        .iter()
        .map(|b| {
            json!({
                "logical": b.logical.number(),
                "physical": b.physical.number(),
                "address": b.base,
                "pages": b.pages,
            })
        })
        .collect();
    json!({
        "bank_mode": l.bank_mode.name(),
        "swap": l.swap.name(),
        "size_kb": l.flash_kb,
        "page_size": crate::chip::g0::geometry::PAGE_SIZE,
        "bank2_address": l.bank2_base(),
        "boot_bank": l.boot_bank().number(),
        "banks": banks,
    })
}

/// The JSON document for a snapshot (see the module documentation).
pub fn json(snapshot: &G0Snapshot, part: &G0Part, chip_name: &str) -> Value {
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
    for r in FlashRegister::OPTIONS
        .into_iter()
        .filter(|r| r.exists_on(part.line))
    {
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
            "words": image.words.to_vec(),
            "complement_ok": image.mismatches().is_empty(),
            "pending": pending,
        })
    });
    let areas: Vec<Value> = areas(&regs, part, layout.as_ref())
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
        "flash": layout.as_ref().map(flash_json),
    })
}

/// The human table for a snapshot.
pub fn table(snapshot: &G0Snapshot, part: &G0Part, chip_name: &str) -> String {
    let regs = snapshot.registers;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{chip_name} ({}): {}",
        part.line.label(),
        snapshot.identity.describe()
    );
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
    let _ = writeln!(out, "{:<16} {:<7} meaning", "field", "value");
    for f in OptrField::ALL
        .into_iter()
        .filter(|f| f.exists_on(part.line))
    {
        let _ = writeln!(
            out,
            "{:<16} {:<7} {}",
            f.name(),
            format_g0_value(f, f.get(regs.optr)),
            meaning_text(f, &regs, part)
        );
    }
    let _ = writeln!(out);
    let layout = snapshot.layout(part);
    for (name, value, meaning) in areas(&regs, part, layout.as_ref()) {
        let _ = writeln!(out, "{name:<20} {value:#010x}  {meaning}");
    }
    let _ = writeln!(out);
    write_stored(&mut out, snapshot, part);
    let _ = writeln!(out);
    match layout {
        Some(l) => {
            let _ = writeln!(out, "Flash: {}", l.summary());
            for b in l.banks() {
                let _ = writeln!(
                    out,
                    "  logical bank {}  {}–{}  = physical bank {}, {} pages of 2 KB (BKER = {}, PNB {}–{})",
                    b.logical.number(),
                    hex32(b.base),
                    hex32(b.end() - 1),
                    b.physical.number(),
                    b.pages,
                    u8::from(b.physical.number() == 2),
                    crate::chip::g0::registers::pnb_of(b.physical, 0),
                    crate::chip::g0::registers::pnb_of(b.physical, b.pages - 1),
                );
            }
        }
        None => {
            let _ = writeln!(out, "Flash: {} KB, no page layout known", part.flash_kb);
        }
    }
    out
}

fn write_stored(out: &mut String, snapshot: &G0Snapshot, part: &G0Part) {
    let regs = snapshot.registers;
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
                        "  {:<16} {} → {}  ({})",
                        f.name(),
                        format_g0_value(f, f.get(regs.optr)),
                        format_g0_value(f, f.get(p.optr)),
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
}

/// `bank mode: dual (DUAL_BANK = 1: …); physical bank 1 at 0x0800_0000`, with a note when
/// another value is stored and loads at the next option load.
pub fn bank_line(snapshot: &G0Snapshot, part: &G0Part) -> String {
    let regs = snapshot.registers;
    let mut line = match regs.layout(part.flash_kb) {
        Ok(l) => format!(
            "bank mode: {} (DUAL_BANK = {}: {}); physical bank {} is mapped at 0x0800_0000",
            l.bank_mode.name(),
            OptrField::DualBank.get(regs.optr),
            l.summary(),
            l.boot_bank().number()
        ),
        Err(e) => format!("bank mode: unknown ({e})"),
    };
    if let Some(p) = snapshot.pending() {
        if OptrField::DualBank.get(p.optr) != OptrField::DualBank.get(regs.optr) {
            let _ = write!(
                line,
                "; stored value DUAL_BANK = {} loads at the next option load",
                OptrField::DualBank.get(p.optr)
            );
        }
    }
    line
}

/// `swap: on (nSWAP_BANK = 0): physical bank 2 at 0x0800_0000, physical bank 1 at 0x0804_0000`,
/// with a note when another value is stored.
pub fn swap_line(snapshot: &G0Snapshot, part: &G0Part) -> String {
    let regs = snapshot.registers;
    let nswap = OptrField::NSwapBank.get(regs.optr);
    let mut line = match regs.layout(part.flash_kb) {
        Ok(l) if l.bank_mode == BankMode::Dual => format!(
            "swap: {} (nSWAP_BANK = {nswap}): {}",
            l.swap.name(),
            mapping_text(&l)
        ),
        Ok(l) => format!(
            "swap: off (nSWAP_BANK = {nswap}, no effect in single-bank mode): {}",
            mapping_text(&l)
        ),
        Err(e) => format!("swap: unknown ({e})"),
    };
    if let Some(p) = snapshot.pending() {
        let stored = OptrField::NSwapBank.get(p.optr);
        if stored != nswap {
            let _ = write!(
                line,
                "; stored value nSWAP_BANK = {stored} (swap {}) loads at the next option load",
                Swap::from_nswap_bank(stored != 0).name()
            );
        }
    }
    line
}

/// The plan in words (same layout as every family's plan).
pub fn plan_text(plan: &G0Plan, confirm: ConfirmWords) -> String {
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
                name_width: 16,
                name: d.field.name(),
                old: &format_g0_value(d.field, d.old),
                new: &format_g0_value(d.field, d.new),
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
pub fn plan_json(plan: &G0Plan) -> Value {
    let mut v = serde_json::to_value(plan).unwrap_or(Value::Null);
    v["dry_run"] = Value::Bool(true);
    v["busy_timeout_ms"] = json!(plan.busy_timeout.as_millis() as u64);
    v
}

/// The outcome as JSON.
pub fn outcome_json(plan: &G0Plan, outcome: &G0Outcome) -> Value {
    json!({ "plan": plan, "outcome": outcome })
}

/// One closing line for a finished change.
pub fn outcome_line(outcome: &G0Outcome) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::{G0Line, G0OptionImage};
    use crate::optbytes::g0::read::G0Identity;

    fn snapshot(registers: G0Options, stored: G0Options) -> G0Snapshot {
        G0Snapshot {
            cr: 0xC000_0000,
            registers,
            stored: Some(G0OptionImage::from_options(&stored)),
            identity: G0Identity {
                idcode: 0x1000_0467,
                flash_size_kb: 512,
            },
        }
    }

    #[test]
    fn json_and_lines_say_both_banks() {
        let factory = G0Options::factory(G0Line::G0B1);
        let s = snapshot(factory, factory);
        let v = json(&s, &G0Part::G0B1RE, "STM32G0B1RETx");
        assert_eq!(v["optr"], 0xFFFF_FEAAu32);
        assert_eq!(v["chip"]["dev_id"], 0x467);
        assert_eq!(v["fields"].as_object().unwrap().len(), 19);
        assert_eq!(v["flash"]["swap"], "off");
        assert_eq!(v["flash"]["boot_bank"], 1);
        assert_eq!(v["flash"]["bank2_address"], 0x0804_0000);
        let mut swapped = factory;
        swapped.optr = OptrField::NSwapBank.set(swapped.optr, 0);
        let s = snapshot(swapped, swapped);
        let line = swap_line(&s, &G0Part::G0B1RE);
        assert_eq!(line, "swap: on (nSWAP_BANK = 0): physical bank 2 at 0x0800_0000, physical bank 1 at 0x0804_0000");
        assert!(bank_line(&s, &G0Part::G0B1RE).ends_with("physical bank 2 is mapped at 0x0800_0000"));
        let pending = snapshot(factory, swapped);
        assert!(swap_line(&pending, &G0Part::G0B1RE).contains("stored value nSWAP_BANK = 0 (swap on)"));
        let t = table(&s, &G0Part::G0B1RE, "STM32G0B1RE");
        assert!(t.contains("logical bank 1  0x0800_0000–0x0803_FFFF  = physical bank 2"), "{t}");
        let b0 = G0Part::from_name("STM32G0B0RE").unwrap();
        let t = table(&snapshot(factory, factory), &b0, "STM32G0B0RE");
        assert!(!t.contains("NRST_MODE") && !t.contains("PCROP"), "{t}");
    }
}
