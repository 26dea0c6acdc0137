//! The non-volatile option store of the simulated H743: what OPTSTART programs and what a
//! reset loads into the `*_CUR` registers and the bank mapping. Kept across runs by
//! `--sim-state` (serde).

use serde::{Deserialize, Serialize};

use super::regs::{optmask, optsr, rdp};

/// The option bytes as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct H7OptionStore {
    /// FLASH_OPTSR option bits (never OPT_BUSY or OPTCHANGEERR).
    pub optsr: u32,
    /// FLASH_PRAR of physical bank 1.
    pub prar1: u32,
    /// FLASH_SCAR of physical bank 1.
    pub scar1: u32,
    /// FLASH_WPSN of physical bank 1.
    pub wpsn1: u32,
    /// FLASH_PRAR of physical bank 2.
    pub prar2: u32,
    /// FLASH_SCAR of physical bank 2.
    pub scar2: u32,
    /// FLASH_WPSN of physical bank 2.
    pub wpsn2: u32,
    /// FLASH_BOOT (BOOT_ADD0 15:0, BOOT_ADD1 31:16, address bits 31:16).
    pub boot: u32,
}

impl H7OptionStore {
    /// The factory store this model starts from. The reference gives no factory words
    /// (UNVERIFIED): RDP level 0 (0xAA), no swap, IWDG1 by software, no reset on Stop or
    /// Standby entry, IWDG running in both, everything else 0; PCROP and secure areas off
    /// (START 0xFFF > END 0), no write protection, BOOT_ADD0 0x0800_0000, BOOT_ADD1
    /// 0x1FF0_0000 (system memory).
    pub fn factory() -> Self {
        H7OptionStore {
            optsr: (u32::from(rdp::LEVEL0) << optsr::RDP_SHIFT)
                | optsr::IWDG1_SW
                | optsr::NRST_STOP_D1
                | optsr::NRST_STBY_D1
                | optsr::FZ_IWDG_STOP
                | optsr::FZ_IWDG_SDBY,
            prar1: AREA_OFF,
            scar1: AREA_OFF,
            wpsn1: optmask::WPSN,
            prar2: AREA_OFF,
            scar2: AREA_OFF,
            wpsn2: optmask::WPSN,
            boot: 0x1FF0_0800,
        }
    }

    /// The RDP byte.
    pub fn rdp(&self) -> u8 {
        ((self.optsr & optsr::RDP) >> optsr::RDP_SHIFT) as u8
    }

    /// SWAP_BANK_OPT.
    pub fn swap(&self) -> bool {
        self.optsr & optsr::SWAP_BANK_OPT != 0
    }

    /// WPSN of physical bank `bank` (0 or 1).
    pub fn wpsn(&self, bank: usize) -> u32 {
        if bank == 0 {
            self.wpsn1
        } else {
            self.wpsn2
        }
    }

    /// The boot address with the BOOT pin low (BOOT_ADD0).
    pub fn boot_address0(&self) -> u32 {
        (self.boot & 0xFFFF) << 16
    }
}

/// PRAR/SCAR with START (0xFFF) above END (0): no area.
const AREA_OFF: u32 = 0x0000_0FFF;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_store() {
        let s = H7OptionStore::factory();
        assert_eq!(s.rdp(), 0xAA);
        assert!(!s.swap());
        assert_eq!(s.optsr, 0x0006_AAD0);
        assert_eq!(s.optsr & !optsr::PROGRAMMABLE, 0);
        assert_eq!((s.wpsn(0), s.wpsn(1)), (0xFF, 0xFF));
        assert_eq!(s.boot_address0(), 0x0800_0000);
    }

    #[test]
    fn serde_round_trip() {
        let mut s = H7OptionStore::factory();
        s.optsr |= optsr::SWAP_BANK_OPT;
        s.wpsn2 = 0x7F;
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"optsr\":2147920592"), "{json}");
        let back: H7OptionStore = serde_json::from_str(&json).unwrap();
        assert_eq!(back, s);
        assert!(back.swap());
    }
}
