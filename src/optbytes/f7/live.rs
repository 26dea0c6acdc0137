//! The live layout of an F7's flash, read from the chip: FLASH_OPTCR (nDBANK), DBGMCU_IDCODE
//! and the flash size register. The one place the GDB server and `load` learn the layout from;
//! tolerant of a chip it cannot identify (the layout then follows the target name's size, or is
//! unknown).
//!
//! FLASH_OPTCR reads what was written to it since the last reset, committed (OPTSTRT) or not,
//! while the chip runs the bank mode it loaded at that reset (reference `stm32f76x-flash.md` §4).
//! The engine never leaves nDBANK so on purpose (it refuses `no-reset` for it); a failed change
//! can. Where that shows — FLASH_OPTCR.nDBANK differs from the option bytes at 0x1FFF_0000 —
//! [`LiveFlash::unsettled`] says so and erase and `load` refuse until a reset loads one mode.

use probe_rs::{Core, MemoryInterface};

use crate::chip::f7::fields::FLASH_OPTCR_NDBANK;
use crate::chip::f7::geometry::{bank_mode_from_ndbank, FlashLayout};
use crate::chip::f7::registers::{DBGMCU_IDCODE, FLASHSIZE_BASE, FLASH_OPTCR};
use crate::chip::f7::{Field, Part};
use crate::chip::family::dev_id;

use super::read::read_option_area_if_readable;

/// What the server knows about the chip's flash right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveFlash {
    /// FLASH_OPTCR as read.
    pub optcr: u32,
    /// The part, when DBGMCU_IDCODE and the flash size register identify it.
    pub part: Option<Part>,
    /// The sector layout in the current bank mode, when known.
    pub layout: Option<FlashLayout>,
    /// nDBANK in the option bytes at 0x1FFF_0000 (what the next reset loads), when they could be
    /// read and their complements check out.
    pub stored_ndbank: Option<bool>,
}

impl LiveFlash {
    /// FLASH_OPTCR.nDBANK (true = single bank).
    pub fn ndbank(&self) -> bool {
        self.optcr & FLASH_OPTCR_NDBANK != 0
    }

    /// Why the bank mode the chip runs is not known, when FLASH_OPTCR.nDBANK differs from the
    /// stored option bytes: a value written (by a failed change, or raw writes) and not loaded.
    pub fn unsettled(&self) -> Option<String> {
        unsettled(self.ndbank(), self.stored_ndbank)
    }
}

/// Why the bank mode the chip runs is not known: FLASH_OPTCR.nDBANK (`register`) differs from
/// nDBANK in the option bytes (`stored`, when they could be read).
pub fn unsettled(register: bool, stored: Option<bool>) -> Option<String> {
    let stored = stored?;
    (stored != register).then(|| {
        format!(
            "FLASH_OPTCR.nDBANK = {} differs from the option bytes at 0x1FFF_0000 (nDBANK = {}): a bank mode written and not loaded, so the sector layout the chip runs is not known; reset the chip (the reset loads the option bytes) and try again; nothing was erased or written",
            u8::from(register),
            u8::from(stored)
        )
    })
}

/// Works out the layout from raw register values; `fallback_kb` is the flash size of the chip
/// name the session was opened with, used when the size register is unusable.
pub fn layout_from_registers(
    idcode: u32,
    flash_size_kb: u16,
    optcr: u32,
    fallback_kb: Option<u32>,
) -> LiveFlash {
    let ndbank = optcr & FLASH_OPTCR_NDBANK != 0;
    let part = Part::from_ids(dev_id(idcode), flash_size_kb).ok();
    let layout = match part {
        Some(part) => Some(part.layout_for_ndbank(ndbank)),
        None => [Some(u32::from(flash_size_kb)), fallback_kb]
            .into_iter()
            .flatten()
            .find_map(|kb| FlashLayout::new(kb, bank_mode_from_ndbank(ndbank)).ok()),
    };
    LiveFlash {
        optcr,
        part,
        layout,
        stored_ndbank: None,
    }
}

/// Reads FLASH_OPTCR, DBGMCU_IDCODE and the flash size register through the core.
pub fn read_live_flash(core: &mut Core, target_name: &str) -> Result<LiveFlash, probe_rs::Error> {
    let optcr = core.read_word_32(u64::from(FLASH_OPTCR))?;
    let idcode = core.read_word_32(u64::from(DBGMCU_IDCODE))?;
    // The size register is a half-word at 0x1FF0_F442: read the aligned word around it.
    let size_word = core.read_word_32(u64::from(FLASHSIZE_BASE & !3))?;
    let flash_size_kb = (size_word >> (8 * (FLASHSIZE_BASE & 3))) as u16;
    let fallback = Part::from_name(target_name).ok().map(|p| p.flash_kb);
    let mut live = layout_from_registers(idcode, flash_size_kb, optcr, fallback);
    // Only on a part with nDBANK (bits 29:28 are reserved on F74x/F75x).
    if live.part.is_some_and(|p| Field::NDBank.exists_on(&p)) {
        live.stored_ndbank = read_option_area_if_readable(core)
            .filter(|area| area.complement_mismatches().is_empty())
            .map(|area| area.options().ndbank());
    }
    Ok(live)
}
