//! Reading the option bytes and the chip identity: a snapshot both callers (CLI, GDB) decode.

use serde::Serialize;

use crate::chip::f7::fields::describe;
use crate::chip::f7::part::{dev_id_name, Line};
use crate::chip::f7::registers::{
    dbgmcu_dev_id, dbgmcu_rev_id, DBGMCU_IDCODE, FLASHSIZE_BASE, FLASH_OPTCR, FLASH_OPTCR1,
    OPTION_BYTES_BASE,
};
use crate::chip::f7::{Field, OptionArea, OptionWords, Part, PartError};

use super::parse::Change;
use super::plan::{plan, Plan};
use crate::optbytes::error::{Error, LeftState};
use crate::optbytes::target::Target;

/// What the chip says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ChipIdentity {
    /// DBGMCU_IDCODE.
    pub idcode: u32,
    /// Flash size register (KB).
    pub flash_size_kb: u16,
}

impl ChipIdentity {
    /// DEV_ID (bits 11:0).
    pub fn dev_id(&self) -> u16 {
        dbgmcu_dev_id(self.idcode)
    }

    /// REV_ID (bits 31:16).
    pub fn rev_id(&self) -> u16 {
        dbgmcu_rev_id(self.idcode)
    }

    /// Silicon revision letter for known F76x REV_IDs.
    pub fn revision(&self) -> Option<&'static str> {
        match (self.dev_id(), self.rev_id()) {
            (0x451, 0x1000) => Some("A"),
            (0x451, 0x1001) => Some("Z"),
            _ => None,
        }
    }

    /// The part this identity describes.
    pub fn part(&self) -> Result<Part, PartError> {
        Part::from_ids(self.dev_id(), self.flash_size_kb)
    }

    /// e.g. "STM32F76x/F77x (DEV_ID 0x451, rev Z), 2048 KB flash".
    pub fn describe(&self) -> String {
        let rev = match self.revision() {
            Some(r) => format!("rev {r}"),
            None => format!("REV_ID {:#06x}", self.rev_id()),
        };
        format!(
            "{} (DEV_ID {:#05x}, {rev}), {} KB flash",
            dev_id_name(self.dev_id()).unwrap_or("unknown device"),
            self.dev_id(),
            self.flash_size_kb
        )
    }
}

/// A snapshot of the option bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OptionBytes {
    /// FLASH_OPTCR and FLASH_OPTCR1 as read (the values loaded at the last reset, or values
    /// programmed since).
    pub words: OptionWords,
    /// The 32 bytes at 0x1FFF_0000 (what is programmed), if they could be read.
    pub stored: Option<OptionArea>,
    /// DEV_ID/REV_ID and flash size.
    pub identity: ChipIdentity,
}

/// One decoded field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldValue {
    /// The field.
    pub field: Field,
    /// Raw value.
    pub value: u32,
    /// What it means.
    pub meaning: String,
}

impl OptionBytes {
    /// The part identified from DEV_ID and the flash size register.
    pub fn part(&self) -> Result<Part, PartError> {
        self.identity.part()
    }

    /// Every field that exists on `part`, decoded.
    pub fn fields(&self, part: &Part) -> Vec<FieldValue> {
        Field::ALL
            .into_iter()
            .filter(|f| f.exists_on(part))
            .map(|field| FieldValue {
                field,
                value: self.words.get(field),
                meaning: describe(field, &self.words, part),
            })
            .collect()
    }

    /// The option values that load at the next reset: the option bytes at 0x1FFF_0000 when they
    /// read back with valid complements, otherwise the registers. Changes are planned from these,
    /// because FLASH_OPTCR/OPTCR1 can hold values that were written but never committed (a failed
    /// or interrupted OPTSTRT), and those vanish at the next reset.
    pub fn programmed(&self) -> OptionWords {
        programmed_words(self.words, self.stored.as_ref())
    }

    /// The programmed values, if they differ from the registers. They load at the next reset,
    /// replacing what the registers show now.
    pub fn pending(&self) -> Option<OptionWords> {
        // Without readable, valid option bytes `programmed` is the registers: nothing pending.
        let programmed = self.programmed();
        (!programmed.same_options(&self.words)).then_some(programmed)
    }
}

/// See [`OptionBytes::programmed`].
pub(crate) fn programmed_words(registers: OptionWords, stored: Option<&OptionArea>) -> OptionWords {
    match stored {
        Some(area) if area.complement_mismatches().is_empty() => area.options(),
        _ => registers.options_only(),
    }
}

/// A block read tried twice: reads have no side effects on these registers, and one lost
/// transfer should not turn a finished change into an "unknown state" report.
fn read_block_retrying<T: Target + ?Sized>(
    t: &mut T,
    address: u32,
    out: &mut [u32],
) -> Result<(), probe_rs::Error> {
    t.read_block32(address, out).or_else(|e| {
        log::warn!("reading {address:#010x} failed ({e}); trying once more");
        t.read_block32(address, out)
    })
}

pub(crate) fn read_words<T: Target + ?Sized>(
    t: &mut T,
    step: &str,
    state: LeftState,
) -> Result<OptionWords, Error> {
    let mut words = [0u32; 2];
    // FLASH_OPTCR and FLASH_OPTCR1 are adjacent: one block read.
    read_block_retrying(t, FLASH_OPTCR, &mut words).map_err(|e| Error::probe(step, e, state))?;
    debug_assert_eq!(FLASH_OPTCR1, FLASH_OPTCR + 4);
    Ok(OptionWords::new(words[0], words[1]))
}

pub(crate) fn read_option_area<T: Target + ?Sized>(
    t: &mut T,
) -> Result<OptionArea, probe_rs::Error> {
    let mut words = [0u32; 8];
    read_block_retrying(t, OPTION_BYTES_BASE, &mut words)?;
    Ok(OptionArea::new(words))
}

/// DBGMCU_IDCODE, then (only on a supported line, where the address is known) the flash size.
pub(crate) fn read_identity<T: Target + ?Sized>(t: &mut T) -> Result<ChipIdentity, Error> {
    let state = LeftState::UNTOUCHED;
    let idcode = t
        .read32(DBGMCU_IDCODE)
        .map_err(|e| Error::probe("reading DBGMCU_IDCODE", e, state))?;
    let dev_id = dbgmcu_dev_id(idcode);
    if Line::from_dev_id(dev_id).is_none() {
        return Err(Error::UnsupportedChip {
            source: PartError::UnsupportedDevId { dev_id }.into(),
            state,
        });
    }
    // The u16 at 0x1FF0_F442 is the upper half of the word at 0x1FF0_F440; a word read works on
    // every probe.
    let word = t
        .read32(FLASHSIZE_BASE & !3)
        .map_err(|e| Error::probe("reading the flash size register", e, state))?;
    Ok(ChipIdentity {
        idcode,
        flash_size_kb: (word >> 16) as u16,
    })
}

/// The option bytes at 0x1FFF_0000, or `None` (logged) when they cannot be read: callers then
/// fall back to the registers.
pub(crate) fn read_option_area_if_readable<T: Target + ?Sized>(t: &mut T) -> Option<OptionArea> {
    read_option_area(t)
        .inspect_err(|e| log::warn!("could not read the option bytes at 0x1FFF_0000: {e}"))
        .ok()
}

pub(crate) fn read_from<T: Target + ?Sized>(t: &mut T) -> Result<OptionBytes, Error> {
    let identity = read_identity(t)?;
    let words = read_words(t, "reading FLASH_OPTCR/FLASH_OPTCR1", LeftState::UNTOUCHED)?;
    let stored = read_option_area_if_readable(t);
    Ok(OptionBytes {
        words,
        stored,
        identity,
    })
}

/// Read the option registers, the stored option bytes and the chip identity. Read-only: the
/// core keeps running.
pub fn read(core: &mut probe_rs::Core) -> Result<OptionBytes, Error> {
    read_from(core)
}

/// The part of the chip in `snapshot`, checked against the part named by `target_name`
/// (the probe-rs target, i.e. `--chip`): same line and same flash size.
pub fn identify(snapshot: &OptionBytes, target_name: &str) -> Result<Part, Error> {
    let chip = snapshot.part().map_err(|source| Error::UnsupportedChip {
        source: source.into(),
        state: LeftState::UNTOUCHED,
    })?;
    let named = Part::from_name(target_name).map_err(|source| Error::UnsupportedChip {
        source: source.into(),
        state: LeftState::UNTOUCHED,
    })?;
    if named != chip {
        return Err(Error::WrongChip {
            detail: format!(
                "{target_name} is {}, but the chip reports {}",
                named.describe(),
                snapshot.identity.describe()
            ),
            state: LeftState::UNTOUCHED,
        });
    }
    Ok(chip)
}

/// Everything needed to show and apply a change.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// The snapshot the plan was made from.
    pub snapshot: OptionBytes,
    /// The identified part.
    pub part: Part,
    /// The plan.
    pub plan: Plan,
}

/// Read, identify (against the session's target name) and plan `changes`. Touches nothing.
pub fn prepare(session: &mut probe_rs::Session, changes: &[Change]) -> Result<Prepared, Error> {
    let (snapshot, part) = inspect(session)?;
    let plan = plan_snapshot(&snapshot, &part, changes)?;
    Ok(Prepared {
        snapshot,
        part,
        plan,
    })
}

/// Plan `changes` from the programmed values of `snapshot`, warning when the registers hold
/// values that were never committed. Pure.
pub(crate) fn plan_snapshot(
    snapshot: &OptionBytes,
    part: &Part,
    changes: &[Change],
) -> Result<Plan, Error> {
    let mut plan = plan(snapshot.programmed(), changes, part)?;
    if let Some(programmed) = snapshot.pending() {
        plan.warnings.push(format!(
            "FLASH_OPTCR/OPTCR1 ({}) differ from the option bytes programmed at 0x1FFF_0000 ({}), \
             probably left by a failed or interrupted change; the plan starts from the programmed \
             values and the write replaces the registers",
            super::program::words_text(&snapshot.words),
            super::program::words_text(&programmed),
        ));
    }
    Ok(plan)
}

/// Read and identify (against the session's target name).
pub fn inspect(session: &mut probe_rs::Session) -> Result<(OptionBytes, Part), Error> {
    let target_name = session.target().name.clone();
    let mut core = session
        .core(0)
        .map_err(|e| Error::probe("opening core 0", e, LeftState::UNTOUCHED))?;
    let snapshot = read(&mut core)?;
    let part = identify(&snapshot, &target_name)?;
    Ok((snapshot, part))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(idcode: u32, kb: u16) -> OptionBytes {
        OptionBytes {
            words: OptionWords::FACTORY,
            stored: Some(OptionArea::from_options(&OptionWords::FACTORY)),
            identity: ChipIdentity {
                idcode,
                flash_size_kb: kb,
            },
        }
    }

    #[test]
    fn identity_text() {
        let id = ChipIdentity {
            idcode: 0x1001_6451,
            flash_size_kb: 2048,
        };
        assert_eq!(
            id.describe(),
            "STM32F76x/F77x (DEV_ID 0x451, rev Z), 2048 KB flash"
        );
        let id = ChipIdentity {
            idcode: 0x2000_6449,
            flash_size_kb: 1024,
        };
        assert_eq!(
            id.describe(),
            "STM32F74x/F75x (DEV_ID 0x449, REV_ID 0x2000), 1024 KB flash"
        );
    }

    #[test]
    fn identify_checks_name_against_chip() {
        let zi = snapshot(0x1000_6451, 2048);
        assert_eq!(identify(&zi, "STM32F767ZITx").unwrap().flash_kb, 2048);
        let e = identify(&zi, "STM32F767ZG").unwrap_err();
        assert!(matches!(e, Error::WrongChip { .. }));
        let text = e.to_string();
        assert!(
            text.contains("STM32F767ZG is STM32F76x/F77x, 1 MB flash"),
            "{text}"
        );
        assert!(text.contains("2048 KB flash"), "{text}");
        assert!(text.contains("option registers not touched"), "{text}");
        let e = identify(&zi, "STM32F746ZG").unwrap_err().to_string();
        assert!(e.contains("wrong chip"), "{e}");
        let f746 = snapshot(0x1000_6449, 1024);
        let e = identify(&f746, "STM32F767ZG").unwrap_err().to_string();
        assert!(e.contains("DEV_ID 0x449"), "{e}");
        let bad_size = snapshot(0x1000_6451, 0xFFFF);
        let e = identify(&bad_size, "STM32F767ZI").unwrap_err();
        assert!(matches!(e, Error::UnsupportedChip { .. }));
        assert!(e.to_string().contains("0xffff"), "{e}");
    }

    #[test]
    fn pending_values() {
        let mut s = snapshot(0x1000_6451, 2048);
        assert_eq!(s.pending(), None);
        let dual = OptionWords::FACTORY.with(Field::NDBank, 0);
        s.stored = Some(OptionArea::from_options(&dual));
        assert_eq!(s.pending(), Some(dual.options_only()));
        s.stored = None;
        assert_eq!(s.pending(), None);
    }

    #[test]
    fn fields_per_part() {
        let s = snapshot(0x1000_6451, 2048);
        let zi = s.part().unwrap();
        let fields = s.fields(&zi);
        assert_eq!(fields.len(), 13);
        let ndbank = fields.iter().find(|f| f.field == Field::NDBank).unwrap();
        assert_eq!(ndbank.value, 1);
        assert_eq!(ndbank.meaning, "single bank, 2 MB in 12 sectors");
        let f746 = Part::from_name("STM32F746ZG").unwrap();
        assert_eq!(s.fields(&f746).len(), 11);
    }
}
