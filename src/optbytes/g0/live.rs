//! The live layout of a G0's flash, read from the chip: DBG_IDCODE, the flash size register,
//! FLASH_OPTR (DUAL_BANK and nSWAP_BANK as loaded) and the WRP areas. The one place erase, the
//! GDB server and `load` learn the layout from — the swap included, so that every address they
//! use names the silicon the user meant.

use probe_rs::{Core, MemoryInterface};

use crate::chip::family::dev_id;
use crate::chip::g0::registers::{FlashRegister, DBG_IDCODE, FLASHSIZE_BASE};
use crate::chip::g0::{G0Detected, G0Layout, Page, WrpArea, WrpVerdict};

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
    /// The pages in the mode and swap the chip runs with (`None`: not identified).
    pub layout: Option<G0Layout>,
}

impl G0Live {
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
    let layout = detected.and_then(|d| {
        G0Layout::from_option_bits(
            d.flash_kb,
            crate::chip::g0::OptrField::DualBank.get(optr) != 0,
            crate::chip::g0::OptrField::NSwapBank.get(optr) != 0,
        )
        .ok()
    });
    G0Live {
        idcode,
        flash_kb,
        optr,
        wrp,
        detected,
        layout,
    }
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
    Ok(from_registers(idcode, flash_kb, optr, wrp))
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
}
