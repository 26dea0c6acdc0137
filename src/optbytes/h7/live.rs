//! The live layout of an H74x/H75x's flash, read from the chip: DBGMCU_IDCODE, the flash size
//! register, FLASH_OPTCR.SWAP_BANK (the mapping in force, loaded at the last reset — not the
//! programmed SWAP_BANK_OPT) and the sector write protection in force. The one place erase, the
//! GDB server and `load` learn the layout from.

use probe_rs::{Core, MemoryInterface};

use crate::chip::h7::identity::{dev_id, DBGMCU_BASE_CPU, FLASHSIZE_BASE};
use crate::chip::h7::registers::FlashRegister;
use crate::chip::h7::{BankSwap, H7Layout, H7Options, H7Part, PhysicalBank, Sector};

use super::read::FLASH_OPTCR_SWAP_BANK;

/// An H7's flash as it is now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct H7Live {
    /// DBGMCU_IDCODE as read.
    pub idcode: u32,
    /// The flash size register as read.
    pub flash_size_raw: u16,
    /// FLASH_OPTCR as read.
    pub optcr: u32,
    /// FLASH_WPSN_CUR1 and FLASH_WPSN_CUR2 as read.
    pub wpsn: [u32; 2],
    /// The part, when DEV_ID and the flash size identify one.
    pub part: Option<H7Part>,
    /// The sectors in the mapping in force (`None`: no part).
    pub layout: Option<H7Layout>,
}

impl H7Live {
    /// The mapping in force.
    pub fn swap(&self) -> BankSwap {
        BankSwap::from_bit(self.optcr & FLASH_OPTCR_SWAP_BANK != 0)
    }

    /// Whether `sector` is write protected (WPSN_CUR of its physical bank, 0 = protected).
    pub fn protected(&self, sector: &Sector) -> bool {
        let options = H7Options {
            wpsn1: self.wpsn[0],
            wpsn2: self.wpsn[1],
            ..H7Options::FACTORY
        };
        options.sector_write_protected(sector.bank, sector.snb)
    }
}

/// The live flash from raw register values.
pub fn from_registers(idcode: u32, flash_size_raw: u16, optcr: u32, wpsn: [u32; 2]) -> H7Live {
    let part = H7Part::from_ids(dev_id(idcode), flash_size_raw).ok();
    let swap = BankSwap::from_bit(optcr & FLASH_OPTCR_SWAP_BANK != 0);
    let layout = part.and_then(|part| H7Layout::new(part.flash_kb, swap).ok());
    H7Live {
        idcode,
        flash_size_raw,
        optcr,
        wpsn,
        part,
        layout,
    }
}

/// Reads the identity, FLASH_OPTCR and the write protection through the core.
pub fn read_live(core: &mut Core<'_>) -> Result<H7Live, probe_rs::Error> {
    let mut word = |address: u32| core.read_word_32(u64::from(address));
    let idcode = word(DBGMCU_BASE_CPU)?;
    let flash_size_raw = word(FLASHSIZE_BASE)? as u16;
    let optcr = word(FlashRegister::Optcr.address())?;
    let wpsn = [
        word(PhysicalBank::Bank1.registers().wpsn_cur.address())?,
        word(PhysicalBank::Bank2.registers().wpsn_cur.address())?,
    ];
    Ok(from_registers(idcode, flash_size_raw, optcr, wpsn))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mapping_in_force_decides_the_layout() {
        let live = from_registers(0x2003_0450, 2048, 0x8000_0001, [0xFF, 0xFE]);
        assert_eq!(live.swap(), BankSwap::Swapped);
        let layout = live.layout.unwrap();
        let first = layout.sector_at(0x0800_0000).unwrap();
        assert_eq!((first.bank, first.snb), (PhysicalBank::Bank2, 0));
        assert!(live.protected(&first), "WPSN_CUR2 bit 0 clear");
        let other = layout.sector_at(0x0810_0000).unwrap();
        assert_eq!(other.bank, PhysicalBank::Bank1);
        assert!(!live.protected(&other));
        assert!(from_registers(0x1000_0451, 2048, 0, [0xFF; 2]).part.is_none());
    }
}
