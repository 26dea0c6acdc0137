//! PWR of the simulated STM32F76x/F77x at 0x4000_7000 (`real-firmware-on-the-sim.md` §3.1;
//! offsets and bits DF7 `stm32f767xx.h`).
//!
//! - CR1 resets to 0x0000_C000 (VOS = scale 1) and holds what is written; DBP unlocks RCC_BDCR.
//! - CSR1.ODRDY follows CR1.ODEN and ODSWRDY follows ODSWEN (with ODEN), at once, as
//!   `HAL_PWREx_EnableOverDrive` waits for them; BRR follows BRE.
//! - CSR1.VOSRDY is set while the main PLL is locked (the reference: "VOSRDY only with PLL on",
//!   UNVERIFIED; `HAL_PWREx_ControlVoltageScaling` waits PLLRDY, then VOSRDY).
//! - CR2 and CSR2 (wake-up pins) hold their writable bits; no wake-up event ever sets a flag.

use crate::sim::periph::merge_writable;

/// Register offsets from 0x4000_7000.
pub mod reg {
    pub const CR1: u32 = 0x00;
    pub const CSR1: u32 = 0x04;
    pub const CR2: u32 = 0x08;
    pub const CSR2: u32 = 0x0C;
}

/// PWR_CR1 bits.
pub mod cr1 {
    pub const LPDS: u32 = 1 << 0;
    pub const PDDS: u32 = 1 << 1;
    /// Clear standby flag: write-only, reads 0.
    pub const CSBF: u32 = 1 << 3;
    pub const PVDE: u32 = 1 << 4;
    pub const PLS: u32 = 0x7 << 5;
    pub const DBP: u32 = 1 << 8;
    pub const FPDS: u32 = 1 << 9;
    pub const LPUDS: u32 = 1 << 10;
    pub const MRUDS: u32 = 1 << 11;
    pub const ADCDC1: u32 = 1 << 13;
    pub const VOS_SHIFT: u32 = 14;
    pub const VOS: u32 = 0x3 << VOS_SHIFT;
    pub const ODEN: u32 = 1 << 16;
    pub const ODSWEN: u32 = 1 << 17;
    pub const UDEN: u32 = 0x3 << 18;
    pub const WRITABLE: u32 =
        LPDS | PDDS | PVDE | PLS | DBP | FPDS | LPUDS | MRUDS | ADCDC1 | VOS | ODEN | ODSWEN | UDEN;
    /// VOS = 3 (scale 1).
    pub const RESET: u32 = 0x0000_C000;
}

/// PWR_CSR1 bits.
pub mod csr1 {
    pub const BRR: u32 = 1 << 3;
    pub const EIWUP: u32 = 1 << 8;
    pub const BRE: u32 = 1 << 9;
    pub const VOSRDY: u32 = 1 << 14;
    pub const ODRDY: u32 = 1 << 16;
    pub const ODSWRDY: u32 = 1 << 17;
    pub const WRITABLE: u32 = EIWUP | BRE;
}

/// PWR_CR2: CWUPF1..6 (write-only clears) and WUPP1..6.
pub mod cr2 {
    pub const WRITABLE: u32 = 0x3F << 8;
}

/// PWR_CSR2: EWUP1..6 (the WUPF flags never set here).
pub mod csr2 {
    pub const WRITABLE: u32 = 0x3F << 8;
}

/// The F7 PWR.
#[derive(Debug, Clone, Default)]
pub struct Pwr {
    cr1: u32,
    csr1: u32,
    cr2: u32,
    csr2: u32,
}

impl Pwr {
    pub fn new() -> Self {
        let mut pwr = Pwr::default();
        pwr.reset();
        pwr
    }

    pub fn reset(&mut self) {
        self.cr1 = cr1::RESET;
        self.csr1 = 0;
        self.cr2 = 0;
        self.csr2 = 0;
    }

    /// PWR_CR1.DBP: RCC_BDCR may be written.
    pub fn backup_writable(&self) -> bool {
        self.cr1 & cr1::DBP != 0
    }

    /// Reads a register; `pll_ready` is RCC_CR.PLLRDY (for VOSRDY).
    pub fn read(&self, offset: u32, pll_ready: bool) -> u32 {
        match offset {
            reg::CR1 => self.cr1,
            reg::CSR1 => {
                let mut v = self.csr1;
                if self.cr1 & cr1::ODEN != 0 {
                    v |= csr1::ODRDY;
                    if self.cr1 & cr1::ODSWEN != 0 {
                        v |= csr1::ODSWRDY;
                    }
                }
                if v & csr1::BRE != 0 {
                    v |= csr1::BRR;
                }
                if pll_ready {
                    v |= csr1::VOSRDY;
                }
                v
            }
            reg::CR2 => self.cr2,
            reg::CSR2 => self.csr2,
            _ => 0,
        }
    }

    pub fn write(&mut self, offset: u32, value: u32, lanes: u32) {
        match offset {
            reg::CR1 => self.cr1 = merge_writable(self.cr1, value, lanes, cr1::WRITABLE),
            reg::CSR1 => self.csr1 = merge_writable(self.csr1, value, lanes, csr1::WRITABLE),
            reg::CR2 => self.cr2 = merge_writable(self.cr2, value, lanes, cr2::WRITABLE),
            reg::CSR2 => self.csr2 = merge_writable(self.csr2, value, lanes, csr2::WRITABLE),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u32 = 0xFFFF_FFFF;

    #[test]
    fn reset_values() {
        let pwr = Pwr::new();
        assert_eq!(pwr.read(reg::CR1, false), 0x0000_C000);
        assert_eq!(pwr.read(reg::CSR1, false), 0);
        assert!(!pwr.backup_writable());
    }

    #[test]
    fn over_drive_ready_flags_follow_their_enables() {
        let mut pwr = Pwr::new();
        pwr.write(reg::CR1, cr1::RESET | cr1::ODEN, ALL);
        assert_eq!(
            pwr.read(reg::CSR1, false) & (csr1::ODRDY | csr1::ODSWRDY),
            csr1::ODRDY
        );
        pwr.write(reg::CR1, cr1::RESET | cr1::ODEN | cr1::ODSWEN, ALL);
        assert_eq!(
            pwr.read(reg::CSR1, false) & (csr1::ODRDY | csr1::ODSWRDY),
            csr1::ODRDY | csr1::ODSWRDY
        );
        pwr.write(reg::CR1, cr1::RESET, ALL);
        assert_eq!(
            pwr.read(reg::CSR1, false) & (csr1::ODRDY | csr1::ODSWRDY),
            0
        );
        // The flags are read-only.
        pwr.write(reg::CSR1, csr1::ODRDY | csr1::VOSRDY, ALL);
        assert_eq!(pwr.read(reg::CSR1, false), 0);
    }

    #[test]
    fn vosrdy_needs_the_pll() {
        let pwr = Pwr::new();
        assert_eq!(pwr.read(reg::CSR1, false) & csr1::VOSRDY, 0);
        assert_eq!(pwr.read(reg::CSR1, true) & csr1::VOSRDY, csr1::VOSRDY);
    }

    #[test]
    fn dbp_and_vos_read_back() {
        let mut pwr = Pwr::new();
        pwr.write(reg::CR1, cr1::DBP | (1 << cr1::VOS_SHIFT), ALL);
        assert!(pwr.backup_writable());
        assert_eq!(pwr.read(reg::CR1, false), cr1::DBP | (1 << cr1::VOS_SHIFT));
        pwr.write(reg::CR1, cr1::CSBF, ALL);
        assert_eq!(pwr.read(reg::CR1, false), 0, "CSBF reads 0");
        pwr.reset();
        assert_eq!(pwr.read(reg::CR1, false), cr1::RESET);
    }
}
