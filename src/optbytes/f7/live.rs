//! The live layout of an F7's flash, read from the chip: FLASH_OPTCR (nDBANK), DBGMCU_IDCODE
//! and the flash size register. The one place the GDB server and `load` learn the layout from;
//! tolerant of a chip it cannot identify (the layout then follows the target name's size, or is
//! unknown).

use probe_rs::{Core, MemoryInterface};

use crate::chip::f7::fields::FLASH_OPTCR_NDBANK;
use crate::chip::f7::geometry::{bank_mode_from_ndbank, FlashLayout};
use crate::chip::f7::registers::{DBGMCU_IDCODE, FLASHSIZE_BASE, FLASH_OPTCR};
use crate::chip::f7::Part;
use crate::chip::family::dev_id;

/// What the server knows about the chip's flash right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveFlash {
    /// FLASH_OPTCR as read.
    pub optcr: u32,
    /// The part, when DBGMCU_IDCODE and the flash size register identify it.
    pub part: Option<Part>,
    /// The sector layout in the current bank mode, when known.
    pub layout: Option<FlashLayout>,
}

impl LiveFlash {
    /// FLASH_OPTCR.nDBANK (true = single bank).
    pub fn ndbank(&self) -> bool {
        self.optcr & FLASH_OPTCR_NDBANK != 0
    }
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
    Ok(layout_from_registers(
        idcode,
        flash_size_kb,
        optcr,
        fallback,
    ))
}
