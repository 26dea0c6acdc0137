//! Turning a request into a plan: old and new words, a per-field diff, the confirmations the
//! change needs and the warnings to show. Pure — the chip is not touched.

use std::time::Duration;

use serde::Serialize;

use crate::chip::f7::fields::{describe, describe_boot_address, format_value};
use crate::chip::f7::{Field, OptionWords, Part};
use crate::chip::RdpLevel;

use super::parse::Change;
use crate::optbytes::apply::{BUSY_TIMEOUT, BUSY_TIMEOUT_MASS_ERASE};
use crate::optbytes::confirm::{Confirmation, Consents};
use crate::optbytes::error::Error;

/// One field that changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldDiff {
    /// The field.
    pub field: Field,
    /// Current raw value.
    pub old: u32,
    /// New raw value.
    pub new: u32,
    /// What the current value means.
    pub old_meaning: String,
    /// What the new value means (in the new bank mode).
    pub new_meaning: String,
}

/// Why a request cannot be planned for this part.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// nDBANK/nDBOOT on a part without them.
    #[error("{field} does not exist on {} (DEV_ID {:#05x}): FLASH_OPTCR bits 29:28 are reserved there; fields on this part: {}", .part.family.label(), .part.family.dev_id(), fields_on(.part))]
    FieldNotOnPart {
        /// The field.
        field: Field,
        /// The part.
        part: Part,
    },
    /// A value wider than the field on this part.
    #[error("{field} = {value:#x} does not fit {}: the field has {bits} bits there (maximum {:#x})", .part.family.label(), (1u32 << *.bits) - 1)]
    ValueTooWide {
        /// The field.
        field: Field,
        /// The value.
        value: u32,
        /// Width on this part.
        bits: u8,
        /// The part.
        part: Part,
    },
    /// The chip is at RDP level 2 already.
    #[error("the chip is at RDP level 2: its option bytes can no longer be changed")]
    Level2,
    /// An nDBANK change without the reset that loads it. FLASH_OPTCR keeps the written value
    /// after OPTSTRT while the chip runs the bank mode it loaded until the next reset (reference
    /// `stm32f76x-flash.md` §4, `stm32-families.md` §12 note 3); erase, `load`, the memory map
    /// and the write guard learn the sector layout from FLASH_OPTCR.nDBANK.
    #[error("nDBANK is loaded at once (the tool resets the chip): left pending, FLASH_OPTCR would read a bank mode the chip does not run until the next reset (it keeps the one it loaded), and erase, `load`, GDB's memory map and the write guard, which learn the sector layout from FLASH_OPTCR, would erase and program the wrong sectors; change nDBANK without `no-reset` (other fields may be left pending)")]
    LayoutLeftPending,
}

fn fields_on(part: &Part) -> String {
    Field::ALL
        .into_iter()
        .filter(|f| f.exists_on(part))
        .map(Field::name)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The plan for one option-byte change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The part the plan was made for.
    pub part: Part,
    /// Current option values (OPTLOCK/OPTSTRT cleared).
    pub old: OptionWords,
    /// New option values (OPTLOCK/OPTSTRT cleared).
    pub new: OptionWords,
    /// Fields that change, in register order.
    pub diffs: Vec<FieldDiff>,
    /// Requested fields that already have the requested value.
    pub already_set: Vec<Field>,
    /// Confirmations needed before writing.
    pub confirmations: Vec<Confirmation>,
    /// Things the user must know (shown before writing, and in dry runs).
    pub warnings: Vec<String>,
    /// Bound for the BSY wait after OPTSTRT.
    #[serde(skip)]
    pub busy_timeout: Duration,
}

impl Plan {
    /// Nothing to write: every requested field already has its value.
    pub fn is_noop(&self) -> bool {
        self.diffs.is_empty()
    }

    /// Whether nDBANK changes: the sector layout the chip runs with after the reset.
    pub fn changes_layout(&self) -> bool {
        self.diffs.iter().any(|d| d.field == Field::NDBank)
    }

    /// Refuse an nDBANK change left pending (see [`PlanError::LayoutLeftPending`]).
    pub fn check_left_pending(&self) -> Result<(), Error> {
        if self.changes_layout() {
            return Err(PlanError::LayoutLeftPending.into());
        }
        Ok(())
    }

    /// Whether RDP goes from level 1 to level 0 (mass erase).
    pub fn lowers_rdp(&self) -> bool {
        self.confirmations.contains(&Confirmation::MassErase)
    }

    /// Whether the new RDP is level 2.
    pub fn sets_rdp2(&self) -> bool {
        self.confirmations.contains(&Confirmation::PermanentRdp2)
    }

    /// The needed confirmations that `consents` do not give.
    pub fn unconfirmed(&self, consents: Consents) -> Vec<Confirmation> {
        unconfirmed(&self.confirmations, consents)
    }

    /// Refuse unless every needed confirmation is given.
    pub fn check_confirmations(&self, consents: Consents) -> Result<(), Error> {
        check(&self.confirmations, consents)
    }
}

fn unconfirmed(needed: &[Confirmation], consents: Consents) -> Vec<Confirmation> {
    needed
        .iter()
        .copied()
        .filter(|c| !c.given(consents))
        .collect()
}

fn check(needed: &[Confirmation], consents: Consents) -> Result<(), Error> {
    let missing = unconfirmed(needed, consents);
    if missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Unconfirmed { missing })
    }
}

/// Plan `changes` against the `current` option words of `part`.
pub fn plan(current: OptionWords, changes: &[Change], part: &Part) -> Result<Plan, PlanError> {
    let old = current.options_only();
    if RdpLevel::from_byte(old.rdp()) == RdpLevel::Level2 {
        return Err(PlanError::Level2);
    }
    let mut new = old;
    for change in changes {
        if !change.field.exists_on(part) {
            return Err(PlanError::FieldNotOnPart {
                field: change.field,
                part: *part,
            });
        }
        if change.field == Field::NWrp {
            let bits = part.family.nwrp_bits();
            if change.value >> bits != 0 {
                return Err(PlanError::ValueTooWide {
                    field: change.field,
                    value: change.value,
                    bits,
                    part: *part,
                });
            }
        }
        let value = if change.field == Field::NWrp {
            // On parts where nWRP is narrower, the reserved upper bits keep their value.
            let low = (1u32 << part.family.nwrp_bits()) - 1;
            (old.get(Field::NWrp) & !low) | change.value
        } else {
            change.value
        };
        new = new.with(change.field, value);
    }
    let diffs: Vec<FieldDiff> = old
        .differing_fields(&new)
        .into_iter()
        .map(|field| FieldDiff {
            field,
            old: old.get(field),
            new: new.get(field),
            old_meaning: describe(field, &old, part),
            new_meaning: describe(field, &new, part),
        })
        .collect();
    let already_set = changes
        .iter()
        .map(|c| c.field)
        .filter(|f| !diffs.iter().any(|d| d.field == *f))
        .collect();

    let old_rdp = RdpLevel::from_byte(old.rdp());
    let new_rdp = RdpLevel::from_byte(new.rdp());
    let mut confirmations = Vec::new();
    match (old_rdp, new_rdp) {
        (_, RdpLevel::Level2) => confirmations.push(Confirmation::PermanentRdp2),
        (RdpLevel::Level1, RdpLevel::Level0) => confirmations.push(Confirmation::MassErase),
        (RdpLevel::Level0, RdpLevel::Level1) => confirmations.push(Confirmation::ReadProtection),
        _ => {}
    }
    let busy_timeout = if confirmations.contains(&Confirmation::MassErase) {
        BUSY_TIMEOUT_MASS_ERASE
    } else {
        BUSY_TIMEOUT
    };
    let warnings = warnings(&old, &new, part, &diffs);
    Ok(Plan {
        part: *part,
        old,
        new,
        diffs,
        already_set,
        confirmations,
        warnings,
        busy_timeout,
    })
}

fn sector_list(sectors: &[u8]) -> String {
    sectors
        .iter()
        .map(u8::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

fn warnings(old: &OptionWords, new: &OptionWords, part: &Part, diffs: &[FieldDiff]) -> Vec<String> {
    let changed = |f: Field| diffs.iter().any(|d| d.field == f);
    let old_layout = part.layout_for_ndbank(old.ndbank());
    let new_layout = part.layout_for_ndbank(new.ndbank());
    let nwrp_bits = part.family.nwrp_bits();
    let mut out = Vec::new();

    if changed(Field::NDBank) {
        let mut w = format!(
            "nDBANK {} → {}: the flash changes from {} to {}. Firmware already in flash was laid out for {} mode and is invalid afterwards: flash it again after this change.",
            u8::from(old.ndbank()),
            u8::from(new.ndbank()),
            old_layout.summary(),
            new_layout.summary(),
            old_layout.bank_mode.name(),
        );
        if new_layout.bank_mode == crate::chip::BankMode::Dual {
            w.push_str(&format!(
                " probe-rs uses the single-bank algorithm by default; flash with `--prefer-flash-algorithm {}` (or `preferred_algos` in DownloadOptions). Linker scripts: bank 2 starts at {}; see docs/option-bytes.md.",
                new_layout.probe_rs_algorithm(),
                crate::chip::notation::hex32(new_layout.bank2_base().unwrap_or(0)),
            ));
        } else {
            w.push_str(&format!(
                " probe-rs's default algorithm `{}` matches single-bank mode again.",
                new_layout.probe_rs_algorithm()
            ));
        }
        out.push(w);
        let protected = old_layout.protected_sectors(old.get(Field::NWrp) as u16, nwrp_bits);
        if !protected.is_empty() && !changed(Field::NWrp) {
            out.push(format!(
                "nWRP protects sectors {} now; in {} mode the same bits protect sectors {}.",
                sector_list(&protected),
                new_layout.bank_mode.name(),
                sector_list(&new_layout.protected_sectors(new.get(Field::NWrp) as u16, nwrp_bits)),
            ));
        }
    }
    if new.get(Field::NDBoot) == 0 && (changed(Field::NDBoot) || changed(Field::NDBank)) {
        if new.ndbank() {
            out.push("nDBOOT = 0 has no effect in single-bank mode (nDBANK = 1).".to_string());
        } else {
            out.push("nDBOOT = 0 with nDBANK = 0: the chip boots from BOOT_ADD0 whatever the BOOT0 pin, and the ST bootloader needs dual boot disabled (AN2606).".to_string());
        }
    }
    match (RdpLevel::from_byte(old.rdp()), RdpLevel::from_byte(new.rdp())) {
        (_, RdpLevel::Level2) if changed(Field::Rdp) => out.push(
            "RDP level 2 is PERMANENT: after the reset the debug port is disabled for good, the option bytes are frozen and this tool can never reach the chip again.".to_string(),
        ),
        (RdpLevel::Level1, RdpLevel::Level0) => {
            out.push(format!(
                "RDP level 1 → 0 MASS-ERASES the whole flash and the backup SRAM; BSY stays set for tens of seconds (this tool waits up to {} s). Do not reset or power off meanwhile.",
                BUSY_TIMEOUT_MASS_ERASE.as_secs()
            ));
            if old.get(Field::IwdgSw) == 0 {
                out.push("IWDG_SW = 0: the independent watchdog is a hardware watchdog and runs from reset. This tool freezes it while the core is halted (DBGMCU_APB1_FZ.DBG_IWDG_STOP), but if it still fires during the erase, the erase is aborted and the chip stays at level 1. Safer: set IWDG_SW=1 in a separate run, reset, then lower RDP.".to_string());
            }
        }
        (RdpLevel::Level0, RdpLevel::Level1) => out.push(
            "RDP level 1: after the reset the debugger can no longer read flash (and cannot flash without erasing); going back to level 0 mass-erases the chip.".to_string(),
        ),
        _ => {}
    }
    if changed(Field::NWrp) {
        let before = old_layout.protected_sectors(old.get(Field::NWrp) as u16, nwrp_bits);
        let after = new_layout.protected_sectors(new.get(Field::NWrp) as u16, nwrp_bits);
        let added: Vec<u8> = after
            .iter()
            .copied()
            .filter(|s| !before.contains(s))
            .collect();
        if !added.is_empty() {
            out.push(format!(
                "nWRP write-protects sectors {}: erasing or programming them fails (WRPERR) until nWRP is set back.",
                sector_list(&added)
            ));
        }
        let unused = new_layout.unused_wrp_bits(nwrp_bits);
        let touched: Vec<u8> = unused
            .into_iter()
            .filter(|&b| (old.get(Field::NWrp) ^ new.get(Field::NWrp)) & (1 << b) != 0)
            .collect();
        if !touched.is_empty() {
            out.push(format!(
                "nWRP bits {} guard no sector of a {} part in {} mode.",
                sector_list(&touched),
                crate::chip::notation::size_text(part.flash_kb),
                new_layout.bank_mode.name()
            ));
        }
        if part.flash_kb == 1024 && new_layout.bank_mode == crate::chip::BankMode::Dual {
            out.push("On 1 MB parts in dual-bank mode this tool maps bank 2 (sectors 12–19) to nWRP bits 6–9 (ST HAL); OpenOCD uses bits 4–7. Check the protection after the change.".to_string());
        }
    }
    for (field, pin) in [(Field::BootAdd0, 0), (Field::BootAdd1, 1)] {
        if changed(field) || changed(Field::NDBank) {
            let text = describe_boot_address(new.get(field) as u16, &new_layout);
            if text.contains("nothing to boot from") || text.ends_with("not flash") {
                out.push(format!(
                    "{field} = {} ({text}): with BOOT0 = {pin} the chip will not find firmware there.",
                    format_value(field, new.get(field))
                ));
            }
        }
    }
    for (field, what) in [
        (Field::IwdgSw, "the independent watchdog"),
        (Field::WwdgSw, "the window watchdog"),
    ] {
        if changed(field) && new.get(field) == 0 {
            out.push(format!(
                "{field} = 0: {what} starts by hardware at every reset; the firmware must refresh it or the chip resets."
            ));
        }
    }
    for (field, mode) in [(Field::NRstStop, "Stop"), (Field::NRstStdby, "Standby")] {
        if changed(field) && new.get(field) == 0 {
            out.push(format!(
                "{field} = 0: entering {mode} mode resets the chip."
            ));
        }
    }
    if changed(Field::BorLev) {
        out.push(
            "BOR_LEV: while the supply is below the brown-out threshold the chip is held in reset."
                .to_string(),
        );
    }
    out
}

impl From<PlanError> for Error {
    fn from(e: PlanError) -> Self {
        crate::optbytes::error::FamilyError::refused(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::f7::Line;
    use crate::chip::f7::Part;
    use crate::optbytes::confirm::Consent;
    use crate::optbytes::f7::parse::parse_changes;

    fn zi() -> Part {
        Part::from_name("STM32F767ZI").unwrap()
    }
    fn zg() -> Part {
        Part::from_name("STM32F767ZG").unwrap()
    }
    fn f746() -> Part {
        Part::from_name("STM32F746ZG").unwrap()
    }
    fn mk(current: OptionWords, args: &[&str], part: Part) -> Plan {
        plan(current, &parse_changes(args).unwrap(), &part).unwrap()
    }

    #[test]
    fn ndbank_to_dual_on_factory_chip() {
        let p = mk(OptionWords::FACTORY, &["nDBANK=0"], zi());
        assert_eq!(p.old, OptionWords::new(0xFFFF_AAFC, 0x0040_0080));
        assert_eq!(p.new, OptionWords::new(0xDFFF_AAFC, 0x0040_0080));
        assert_eq!(p.diffs.len(), 1);
        let d = &p.diffs[0];
        assert_eq!((d.field, d.old, d.new), (Field::NDBank, 1, 0));
        assert_eq!(d.old_meaning, "single bank, 2 MB in 12 sectors");
        assert_eq!(
            d.new_meaning,
            "dual bank, 2 × 1 MB in 24 sectors, bank 2 at 0x0810_0000"
        );
        assert!(p.confirmations.is_empty());
        assert!(p.already_set.is_empty());
        assert!(!p.is_noop());
        assert_eq!(p.busy_timeout, BUSY_TIMEOUT);
        let w = p.warnings.join("\n");
        assert!(w.contains("invalid afterwards"), "{w}");
        assert!(w.contains("stm32f7x_2048dual"), "{w}");
        assert!(w.contains("--prefer-flash-algorithm"), "{w}");
        assert!(w.contains("0x0810_0000"), "{w}");
        p.check_confirmations(Consents::NONE).unwrap();
    }

    #[test]
    fn ndbank_is_never_left_pending_other_fields_may_be() {
        let p = mk(OptionWords::FACTORY, &["nDBANK=0", "nDBOOT=0"], zi());
        assert!(p.changes_layout());
        let text = p.check_left_pending().unwrap_err().to_string();
        assert!(text.contains("nDBANK is loaded at once"), "{text}");
        assert!(text.contains("without `no-reset`"), "{text}");
        assert!(text.ends_with("option bytes unchanged"), "{text}");
        let boot = mk(OptionWords::FACTORY, &["nDBOOT=0", "nWRP=0xFFE"], zi());
        assert!(!boot.changes_layout());
        assert!(boot.check_left_pending().is_ok());
    }

    #[test]
    fn ndbank_on_one_mb_part_names_the_1024dual_algorithm() {
        let p = mk(OptionWords::FACTORY, &["nDBANK=0"], zg());
        let w = p.warnings.join("\n");
        assert!(w.contains("stm32f7x_1024dual"), "{w}");
        assert!(w.contains("0x0808_0000"), "{w}");
        let back = mk(p.new, &["nDBANK=1"], zg());
        let w = back.warnings.join("\n");
        assert!(w.contains("stm32f7x_2048"), "{w}");
        assert!(w.contains("invalid afterwards"), "{w}");
    }

    #[test]
    fn several_fields_one_plan() {
        let p = mk(
            OptionWords::FACTORY,
            &["nDBANK=0", "nDBOOT=0", "BOOT_ADD1=0x2040"],
            zi(),
        );
        assert_eq!(p.new, OptionWords::new(0xCFFF_AAFC, 0x2040_0080));
        let fields: Vec<Field> = p.diffs.iter().map(|d| d.field).collect();
        assert_eq!(fields, vec![Field::NDBoot, Field::NDBank, Field::BootAdd1]);
        let boot = p.diffs.iter().find(|d| d.field == Field::BootAdd1).unwrap();
        assert_eq!(
            boot.new_meaning,
            "0x0810_0000, flash on AXIM, start of bank 2 (sector 12)"
        );
        assert!(p.warnings.iter().any(|w| w.contains("AN2606")));
    }

    #[test]
    fn already_set_values_make_a_noop() {
        let p = mk(OptionWords::FACTORY, &["nDBANK=1", "RDP=0"], zi());
        assert!(p.is_noop());
        assert_eq!(p.already_set, vec![Field::NDBank, Field::Rdp]);
        assert_eq!(p.old, p.new);
        assert!(p.warnings.is_empty());
        let partly = mk(OptionWords::FACTORY, &["nDBANK=1", "nDBOOT=0"], zi());
        assert_eq!(partly.already_set, vec![Field::NDBank]);
        assert_eq!(partly.diffs.len(), 1);
        assert!(partly
            .warnings
            .iter()
            .any(|w| w.contains("no effect in single-bank")));
    }

    #[test]
    fn control_bits_of_current_are_ignored() {
        let unlocked = OptionWords::new(0xFFFF_AAFE, 0x0040_0080);
        let p = mk(unlocked, &["nDBANK=1"], zi());
        assert!(p.is_noop());
        assert_eq!(p.new.optcr & 3, 0);
    }

    #[test]
    fn rdp_confirmations() {
        let yes = Consents::NONE.with(Consent::Destructive);
        let permanent = Consents::NONE.with(Consent::PermanentRdp2);
        let both = yes.with(Consent::PermanentRdp2);
        // 0 → 1 needs the destructive consent.
        let p = mk(OptionWords::FACTORY, &["RDP=1"], zi());
        assert_eq!(p.confirmations, vec![Confirmation::ReadProtection]);
        let e = p.check_confirmations(Consents::NONE).unwrap_err();
        assert!(
            matches!(&e, Error::Unconfirmed { missing } if missing == &[Confirmation::ReadProtection]),
            "{e:?}"
        );
        let e = e.to_string();
        assert!(e.contains("blocks debugger access"), "{e}");
        assert!(e.contains("option bytes unchanged"), "{e}");
        assert!(!e.contains("--"), "no CLI words in the engine: {e}");
        assert_eq!(p.unconfirmed(permanent), vec![Confirmation::ReadProtection]);
        p.check_confirmations(yes).unwrap();
        // 1 → 0 needs it too, waits long, warns about the mass erase.
        let level1 = OptionWords::FACTORY.with(Field::Rdp, 0x55);
        let p = mk(level1, &["RDP=0"], zi());
        assert_eq!(p.confirmations, vec![Confirmation::MassErase]);
        assert!(p.lowers_rdp());
        assert_eq!(p.busy_timeout, BUSY_TIMEOUT_MASS_ERASE);
        assert!(p.busy_timeout >= Duration::from_secs(40));
        assert!(p.warnings.iter().any(|w| w.contains("MASS-ERASES")));
        assert!(!p.warnings.iter().any(|w| w.contains("IWDG_SW = 0")));
        let e = p.check_confirmations(permanent).unwrap_err().to_string();
        assert!(e.contains("mass-erases"), "{e}");
        p.check_confirmations(yes).unwrap();
        // ... with the hardware-IWDG caveat when IWDG_SW = 0.
        let hw_iwdg = level1.with(Field::IwdgSw, 0);
        let p = mk(hw_iwdg, &["RDP=0xAA"], zi());
        assert!(p.warnings.iter().any(|w| w.contains("IWDG_SW = 0")
            && w.contains("DBG_IWDG_STOP")
            && w.contains("stays at level 1")));
        // 1 → another level-1 byte: no confirmation.
        let p = mk(level1, &["RDP=0xBB"], zi());
        assert!(p.confirmations.is_empty());
        assert_eq!(p.busy_timeout, BUSY_TIMEOUT);
        // → 2 needs both consents.
        let p = mk(OptionWords::FACTORY, &["RDP=2"], zi());
        assert_eq!(p.confirmations, vec![Confirmation::PermanentRdp2]);
        assert!(p.sets_rdp2());
        for consents in [Consents::NONE, yes, permanent] {
            let e = p.check_confirmations(consents).unwrap_err();
            assert!(
                matches!(&e, Error::Unconfirmed { missing } if missing == &[Confirmation::PermanentRdp2]),
                "{e:?}"
            );
            assert!(e.to_string().contains("PERMANENT"), "{e}");
        }
        p.check_confirmations(both).unwrap();
        assert!(p.warnings.iter().any(|w| w.contains("PERMANENT")));
        // From level 1 to 2 as well.
        let p = mk(level1, &["RDP=0xCC"], zi());
        assert_eq!(p.confirmations, vec![Confirmation::PermanentRdp2]);
    }

    #[test]
    fn chip_at_level_2_cannot_be_planned() {
        let l2 = OptionWords::FACTORY.with(Field::Rdp, 0xCC);
        let e = plan(l2, &parse_changes(["nDBANK=0"]).unwrap(), &zi()).unwrap_err();
        assert_eq!(e, PlanError::Level2);
    }

    #[test]
    fn f74x_refuses_ndbank_and_ndboot() {
        let f746_factory = OptionWords::new(0xC0FF_AAFD, 0x0040_0080);
        for arg in ["nDBANK=0", "nDBOOT=0", "nDBANK=1"] {
            let e = plan(f746_factory, &parse_changes([arg]).unwrap(), &f746()).unwrap_err();
            assert!(matches!(e, PlanError::FieldNotOnPart { .. }));
            let text = e.to_string();
            assert!(text.contains("does not exist on STM32F74x/F75x"), "{text}");
            assert!(text.contains("0x449"), "{text}");
            assert!(
                !text.contains("nDBANK, "),
                "lists only fields that exist: {text}"
            );
            assert!(text.contains("BOOT_ADD1"), "{text}");
        }
        let e = plan(
            f746_factory,
            &parse_changes(["nWRP=0x1FF"]).unwrap(),
            &f746(),
        )
        .unwrap_err();
        assert!(e.to_string().contains("8 bits"), "{e}");
        assert!(e.to_string().contains("0xff"), "{e}");
        let p = plan(
            f746_factory,
            &parse_changes(["nWRP=0xFE"]).unwrap(),
            &f746(),
        )
        .unwrap();
        assert_eq!(p.new.optcr, 0xC0FE_AAFC);
        // Reserved nWRP[11:8] keep whatever the chip has.
        let reserved_set = OptionWords::new(0xCFFF_AAFD, 0x0040_0080);
        let p = plan(
            reserved_set,
            &parse_changes(["nWRP=0xFE"]).unwrap(),
            &f746(),
        )
        .unwrap();
        assert_eq!(p.new.optcr, 0xCFFE_AAFC);
        assert!(p.warnings.iter().any(|w| w.contains("sectors 0:")));
        assert_eq!(p.part.family, Line::F74x);
    }

    #[test]
    fn write_protection_warnings() {
        let p = mk(OptionWords::FACTORY, &["nWRP=0xFFC"], zi());
        assert!(p
            .warnings
            .iter()
            .any(|w| w.contains("write-protects sectors 0, 1:")));
        let dual = OptionWords::FACTORY.with(Field::NDBank, 0);
        let p = mk(dual, &["nWRP=0xFBF"], zi());
        assert!(p
            .warnings
            .iter()
            .any(|w| w.contains("write-protects sectors 12, 13:")));
        // 1 MB dual bank: bits 4, 5 guard nothing; the mapping caveat is shown.
        let p = mk(dual, &["nWRP=0xFCF"], zg());
        let w = p.warnings.join("\n");
        assert!(
            w.contains("nWRP bits 4, 5 guard no sector of a 1 MB part in dual mode"),
            "{w}"
        );
        assert!(w.contains("OpenOCD uses bits 4–7"), "{w}");
        // Removing protection warns about nothing new.
        let protected = OptionWords::FACTORY.with(Field::NWrp, 0xFFE);
        let p = mk(protected, &["nWRP=none"], zi());
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
        // A bank-mode change with protection in place says what the bits will mean.
        let p = mk(protected, &["nDBANK=0"], zi());
        assert!(p.warnings.iter().any(|w| w
            .contains("protects sectors 0 now; in dual mode the same bits protect sectors 0, 1")));
    }

    #[test]
    fn other_warnings() {
        let p = mk(
            OptionWords::FACTORY,
            &[
                "IWDG_SW=0",
                "WWDG_SW=0",
                "nRST_STOP=0",
                "nRST_STDBY=0",
                "BOR_LEV=3",
            ],
            zi(),
        );
        let w = p.warnings.join("\n");
        assert!(
            w.contains("IWDG_SW = 0: the independent watchdog starts by hardware"),
            "{w}"
        );
        assert!(w.contains("WWDG_SW = 0: the window watchdog"), "{w}");
        assert!(w.contains("entering Stop mode resets"), "{w}");
        assert!(w.contains("entering Standby mode resets"), "{w}");
        assert!(w.contains("brown-out threshold"), "{w}");
        let p = mk(OptionWords::FACTORY, &["BOOT_ADD0=0x2040"], zg());
        assert!(p
            .warnings
            .iter()
            .any(|w| w.contains("BOOT_ADD0 = 0x2040") && w.contains("BOOT0 = 0")));
        let p = mk(OptionWords::FACTORY, &["BOOT_ADD1=0x8008"], zi());
        assert!(p.warnings.iter().any(|w| w.contains("not flash")));
        let p = mk(OptionWords::FACTORY, &["BOOT_ADD1=0x2040"], zi());
        assert!(p.warnings.is_empty(), "{:?}", p.warnings);
    }

    #[test]
    fn plan_serializes_with_field_names() {
        let p = mk(OptionWords::FACTORY, &["nDBANK=0"], zi());
        let json = serde_json::to_value(&p).unwrap();
        assert_eq!(json["diffs"][0]["field"], "nDBANK");
        assert_eq!(json["new"]["optcr"], 0xDFFF_AAFCu32);
        assert_eq!(json["part"]["flash_kb"], 2048);
    }
}
