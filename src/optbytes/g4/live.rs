//! The live layout of a G4's flash, read from the chip: DBGMCU_IDCODE, the flash size register,
//! FLASH_OPTR (DBANK as loaded) and the WRP areas. The one place erase, the GDB server and
//! `load` learn the layout from.
//!
//! FLASH_OPTR reads what was written to it (committed by OPTSTRT or not) while the chip runs the
//! bank mode it loaded at the last option load (reference §12 notes 2 and 3). The engine never
//! leaves DBANK so on purpose (it refuses `no-reset` for it); a failed change can. Where that
//! shows — FLASH_OPTR.DBANK differs from the stored image at 0x1FFF_7800 — [`G4Live::unsettled`]
//! says so, and erase and `load` refuse until an option load settles one mode. (Which of the
//! two the chip runs cannot be told from the registers: the register is the written value after
//! a write, and the loaded one after a system reset that did not load the options.)

use probe_rs::{Core, MemoryInterface};

use crate::chip::family::dev_id;

use super::read::read_image_if_readable;
use crate::chip::g4::geometry::bank_mode_from_dbank;
use crate::chip::g4::registers::{FlashRegister, DBGMCU_IDCODE, FLASHSIZE_BASE};
use crate::chip::g4::{G4Layout, G4Part, OptrField, Page, WrpArea, WrpVerdict};

/// The WRP areas, in register order.
pub const WRP_AREAS: [WrpArea; 4] = [
    WrpArea::Bank1A,
    WrpArea::Bank1B,
    WrpArea::Bank2A,
    WrpArea::Bank2B,
];

/// A G4's flash as it is now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct G4Live {
    /// DBGMCU_IDCODE as read.
    pub idcode: u32,
    /// The flash size register (KB).
    pub flash_kb: u16,
    /// FLASH_OPTR as read.
    pub optr: u32,
    /// The WRP area registers as read.
    pub wrp: [(WrpArea, u32); 4],
    /// The part, when DEV_ID and the flash size identify one.
    pub part: Option<G4Part>,
    /// The pages in the mode DBANK selects (`None`: no part, or a size without a known layout).
    pub layout: Option<G4Layout>,
    /// FLASH_OPTR in the stored image at 0x1FFF_7800 (what the next option load brings), when it
    /// could be read and its complements check out.
    pub stored_optr: Option<u32>,
}

impl G4Live {
    /// Why the bank mode the chip runs is not known, when FLASH_OPTR.DBANK differs from the
    /// stored image on a part whose bit 22 is DBANK: a value written and not loaded.
    pub fn unsettled(&self) -> Option<String> {
        let part = self.part?;
        let stored = self.stored_optr?;
        let dbank = |optr: u32| OptrField::Dbank.get(optr);
        (part.line.has_dbank() && dbank(stored) != dbank(self.optr)).then(|| {
            format!(
                "FLASH_OPTR.DBANK = {} differs from the option bytes at 0x1FFF_7800 (DBANK = {}): a bank mode written and not loaded, so the page layout the chip runs is not known; load the options (power-cycle the chip, or make an option change without `no-reset`: it ends with OBL_LAUNCH) and try again; nothing was erased or written",
                dbank(self.optr),
                dbank(stored),
            )
        })
    }

    /// The pages a loaded FLASH_WRPxyR area covers in the live layout.
    pub fn protected(&self) -> Vec<Page> {
        match &self.layout {
            Some(layout) => protected_pages(layout, &self.wrp),
            None => Vec::new(),
        }
    }
}

/// The live flash from raw register values. DBANK counts only where OPTR bit 22 is DBANK.
pub fn from_registers(idcode: u32, flash_kb: u16, optr: u32, wrp: [(WrpArea, u32); 4]) -> G4Live {
    let part = G4Part::from_ids(dev_id(idcode), flash_kb).ok();
    let layout = part.and_then(|part| {
        let dual = part.line.has_dbank() && OptrField::Dbank.get(optr) != 0;
        G4Layout::new(part.flash_kb, bank_mode_from_dbank(dual)).ok()
    });
    G4Live {
        idcode,
        flash_kb,
        optr,
        wrp,
        part,
        layout,
        stored_optr: None,
    }
}

/// Reads the identity, FLASH_OPTR and the WRP areas through the core.
pub fn read_live(core: &mut Core<'_>) -> Result<G4Live, probe_rs::Error> {
    let mut word = |address: u32| core.read_word_32(u64::from(address));
    let idcode = word(DBGMCU_IDCODE)?;
    // FLASHSIZE_BASE is word-aligned: the size is the low half-word.
    let flash_kb = word(FLASHSIZE_BASE)? as u16;
    let optr = word(FlashRegister::Optr.address())?;
    let mut wrp = WRP_AREAS.map(|area| (area, 0));
    for (area, value) in wrp.iter_mut() {
        *value = word(area.register().address())?;
    }
    let mut live = from_registers(idcode, flash_kb, optr, wrp);
    live.stored_optr = read_image_if_readable(core)
        .filter(|image| image.mismatches().is_empty())
        .map(|image| image.options().optr);
    Ok(live)
}

/// The pages the WRP areas cover in `layout`.
pub fn protected_pages(layout: &G4Layout, areas: &[(WrpArea, u32)]) -> Vec<Page> {
    let mut pages = Vec::new();
    for &(area, value) in areas {
        if let WrpVerdict::Protects {
            bank, first, last, ..
        } = area.decode(value, layout)
        {
            for pnb in first..=last {
                if let Some(page) = layout.page(bank, u32::from(pnb)) {
                    if !pages.contains(&page) {
                        pages.push(page);
                    }
                }
            }
        }
    }
    pages.sort_by_key(|p| p.address);
    pages
}
