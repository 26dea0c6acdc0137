//! The live layout of a G0's flash, read from the chip: DBG_IDCODE, the flash size register,
//! FLASH_OPTR (DUAL_BANK and nSWAP_BANK as loaded) and the WRP areas. The one place erase, the
//! GDB server and `load` learn the layout from — the swap included, so that every address they
//! use names the silicon the user meant.
//!
//! FLASH_OPTR reads what was written to it (committed by OPTSTRT or not) while the chip runs the
//! mapping it loaded at the last option load (reference §7, §12). The engine never leaves
//! DUAL_BANK or nSWAP_BANK so on purpose (it refuses `no-reset` for them, and loads them after an
//! error once they are stored); a failed change can. Where that shows — the layout FLASH_OPTR
//! names differs from the one the stored image at 0x1FFF_7800 names — [`G0Live::unsettled`] says
//! so, and erase and `load` refuse until an option load settles one mapping. (Which of the two
//! the chip runs cannot be told from the registers: the register is the written value after a
//! write, and the loaded one after a system reset that did not load the options.)

use probe_rs::{Core, MemoryInterface};

use crate::chip::family::dev_id;
use crate::chip::g0::registers::{FlashRegister, DBG_IDCODE, FLASHSIZE_BASE, OPTION_BYTES_BASE};
use crate::chip::g0::{G0Detected, G0Layout, OptrField, Page, WrpArea, WrpVerdict};

/// The WRP areas, in register order.
pub const WRP_AREAS: [WrpArea; 4] = [
    WrpArea::Bank1A,
    WrpArea::Bank1B,
    WrpArea::Bank2A,
    WrpArea::Bank2B,
];

/// A G0's flash as it is now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct G0Live {
    /// DBG_IDCODE as read.
    pub idcode: u32,
    /// The flash size register (KB).
    pub flash_kb: u16,
    /// FLASH_OPTR as read (the loaded values, or values written since).
    pub optr: u32,
    /// The WRP area registers as read.
    pub wrp: [(WrpArea, u32); 4],
    /// The class and size, when DEV_ID and the flash size identify them.
    pub detected: Option<G0Detected>,
    /// The pages in the mode and swap FLASH_OPTR names (`None`: not identified).
    pub layout: Option<G0Layout>,
    /// FLASH_OPTR in the stored image at 0x1FFF_7800 (what the next option load brings), when it
    /// could be read and its complement checks out.
    pub stored_optr: Option<u32>,
}

impl G0Live {
    /// Why the mapping the chip runs is not known, when the layout FLASH_OPTR's DUAL_BANK and
    /// nSWAP_BANK name differs from the one the stored image names: a value written and not
    /// loaded.
    pub fn unsettled(&self) -> Option<String> {
        let detected = self.detected?;
        let stored = self.stored_optr?;
        let layout = |optr: u32| layout_of(detected, optr);
        (layout(stored) != self.layout).then(|| {
            let bits = |optr: u32| {
                format!(
                    "DUAL_BANK = {}, nSWAP_BANK = {}",
                    OptrField::DualBank.get(optr),
                    OptrField::NSwapBank.get(optr)
                )
            };
            format!(
                "FLASH_OPTR ({}) differs from the option bytes at 0x1FFF_7800 ({}): a bank mode or swap written and not loaded, so the flash mapping the chip runs is not known; load the options (power-cycle the chip, or make an option change without `no-reset`: it ends with OBL_LAUNCH) and try again; nothing was erased or written",
                bits(self.optr),
                bits(stored),
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

/// The live flash from raw register values.
///
/// FLASH_OPTR reads what was written to it since the last option load too (the registers are
/// writable images); the mapping the chip runs with is the loaded one. Between an OPTR write and
/// the option load the engine holds the flash (OPTLOCK clear), and every path relocks; a chip
/// left with OPTR edited but not loaded reads here as the edited values (the G4 has the same
/// limit).
pub fn from_registers(idcode: u32, flash_kb: u16, optr: u32, wrp: [(WrpArea, u32); 4]) -> G0Live {
    let detected = G0Detected::from_ids(dev_id(idcode), flash_kb).ok();
    let layout = detected.and_then(|d| layout_of(d, optr));
    G0Live {
        idcode,
        flash_kb,
        optr,
        wrp,
        detected,
        layout,
        stored_optr: None,
    }
}

/// The pages DUAL_BANK and nSWAP_BANK in `optr` name on `detected`.
fn layout_of(detected: G0Detected, optr: u32) -> Option<G0Layout> {
    G0Layout::from_option_bits(
        detected.flash_kb,
        OptrField::DualBank.get(optr) != 0,
        OptrField::NSwapBank.get(optr) != 0,
    )
    .ok()
}

/// Reads the identity, FLASH_OPTR and the WRP areas through the core.
pub fn read_live(core: &mut Core<'_>) -> Result<G0Live, probe_rs::Error> {
    let mut word = |address: u32| core.read_word_32(u64::from(address));
    let idcode = word(DBG_IDCODE)?;
    // FLASHSIZE_BASE is word-aligned: the size is the low half-word.
    let flash_kb = word(FLASHSIZE_BASE)? as u16;
    let optr = word(FlashRegister::Optr.address())?;
    let mut wrp = WRP_AREAS.map(|area| (area, 0));
    for (area, value) in wrp.iter_mut() {
        *value = word(area.register().address())?;
    }
    let mut live = from_registers(idcode, flash_kb, optr, wrp);
    // FLASH_OPTR's value/complement pair, the first of the image (the same on every line).
    let mut pair = [0u32; 2];
    live.stored_optr = match core.read_32(u64::from(OPTION_BYTES_BASE), &mut pair) {
        Ok(()) => (pair[1] == !pair[0]).then_some(pair[0]),
        Err(e) => {
            log::warn!("could not read the option bytes at 0x1FFF_7800: {e}");
            None
        }
    };
    Ok(live)
}

/// The pages the WRP areas cover in `layout`.
pub fn protected_pages(layout: &G0Layout, areas: &[(WrpArea, u32)]) -> Vec<Page> {
    let mut pages = Vec::new();
    for &(area, value) in areas {
        if let WrpVerdict::Protects {
            bank, first, last, ..
        } = area.decode(value, layout)
        {
            for n in first..=last {
                if let Some(page) = layout.page(bank, n) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::{PhysicalBank, Swap};

    #[test]
    fn the_swap_maps_physical_bank_2_first() {
        let off = [(WrpArea::Bank1A, 0x7F); 4];
        let live = from_registers(0x1000_0467, 512, 0xFFEF_FEAA, off);
        let layout = live.layout.unwrap();
        assert_eq!(layout.swap, Swap::On);
        assert_eq!(layout.boot_bank(), PhysicalBank::Bank2);
        let page = layout.page_at(0x0804_0000).unwrap();
        assert_eq!((page.bank, page.page), (PhysicalBank::Bank1, 0));
        let mut wrp = off;
        wrp[2] = (WrpArea::Bank2A, 0x0001_0000);
        let protected = from_registers(0x1000_0467, 512, 0xFFEF_FEAA, wrp).protected();
        assert_eq!(protected[0].address, 0x0800_0000, "physical bank 2 page 0");
        assert_eq!(from_registers(0x1000_0469, 512, 0, off).layout, None);
    }

    #[test]
    fn a_mapping_written_and_not_loaded_is_unsettled() {
        let off = [(WrpArea::Bank1A, 0x7F); 4];
        let mut live = from_registers(0x1000_0467, 512, 0xFFEF_FEAA, off);
        assert_eq!(live.unsettled(), None, "no stored image read");
        live.stored_optr = Some(0xFFEF_FEAA);
        assert_eq!(live.unsettled(), None);
        live.stored_optr = Some(0xFFFF_FEAA);
        let why = live.unsettled().unwrap();
        assert!(why.contains("FLASH_OPTR (DUAL_BANK = 1, nSWAP_BANK = 0)"), "{why}");
        assert!(why.contains("0x1FFF_7800 (DUAL_BANK = 1, nSWAP_BANK = 1)"), "{why}");
        assert!(why.contains("nothing was erased or written"), "{why}");
        // A swap bit in single-bank mode moves nothing.
        let mut single = from_registers(0x1000_0467, 512, 0xFFCF_FEAA, off);
        single.stored_optr = Some(0xFFDF_FEAA);
        assert_eq!(single.unsettled(), None);
    }
}
