//! PWR of the simulated STM32G47x/G48x at 0x4000_7000 (`real-firmware-on-the-sim.md` §3.2;
//! offsets and bits DG4 `stm32g474xx.h`).
//!
//! - CR1 resets to 0x0000_0200 (VOS = Range 1), CR3 to 0x0000_8000, CR5 to 0x0000_0100
//!   (R1MODE = 1: Range 1 normal; 0 = boost); the control registers hold what is written; DBP
//!   unlocks RCC_BDCR.
//! - SR2.VOSF stays 0 (a voltage-scaling change completes at once: the vendor code's wait after
//!   leaving Range 2 ends at once); SR2.REGLPF follows CR1.LPR (low-power run).
//! - SR1 (wake-up flags) stays 0; SCR clears nothing that could be set.

use crate::sim::periph::{PlainRegister, PlainRegisters};

/// Register offsets from 0x4000_7000.
pub mod reg {
    pub const CR1: u32 = 0x00;
    pub const CR2: u32 = 0x04;
    pub const CR3: u32 = 0x08;
    pub const CR4: u32 = 0x0C;
    pub const SR1: u32 = 0x10;
    pub const SR2: u32 = 0x14;
    pub const SCR: u32 = 0x18;
    /// PUCRA, PDCRA, PUCRB … PDCRG: 0x20–0x54.
    pub const PUCRA: u32 = 0x20;
    pub const PDCRG: u32 = 0x54;
    pub const CR5: u32 = 0x80;
}

/// PWR_CR1 bits.
pub mod cr1 {
    pub const LPMS: u32 = 0x7;
    pub const DBP: u32 = 1 << 8;
    pub const VOS_SHIFT: u32 = 9;
    /// VOS[10:9]: 1 = Range 1, 2 = Range 2.
    pub const VOS: u32 = 0x3 << VOS_SHIFT;
    /// Low-power run.
    pub const LPR: u32 = 1 << 14;
    pub const WRITABLE: u32 = LPMS | DBP | VOS | LPR;
    pub const RESET: u32 = 0x0000_0200;
}

/// PWR_CR2: PVDE, PLS, PVME1–4.
pub mod cr2 {
    pub const WRITABLE: u32 = 0xFF;
}

/// PWR_CR3 bits.
pub mod cr3 {
    /// EWUP1–5, RRS, APC, UCPD_STDBY, UCPD_DBDIS, EIWF.
    pub const WRITABLE: u32 = 0x1F | (1 << 8) | (1 << 10) | (1 << 13) | (1 << 14) | (1 << 15);
    pub const UCPD_DBDIS: u32 = 1 << 14;
    pub const EIWF: u32 = 1 << 15;
    pub const RESET: u32 = EIWF;
}

/// PWR_CR4: WP1–5, VBE, VBRS.
pub mod cr4 {
    pub const WRITABLE: u32 = 0x1F | (1 << 8) | (1 << 9);
}

/// PWR_SR2 bits.
pub mod sr2 {
    pub const REGLPS: u32 = 1 << 8;
    pub const REGLPF: u32 = 1 << 9;
    pub const VOSF: u32 = 1 << 10;
}

/// PWR_CR5 bits.
pub mod cr5 {
    /// 1 = Range 1 normal mode, 0 = Range 1 boost mode.
    pub const R1MODE: u32 = 1 << 8;
    pub const RESET: u32 = R1MODE;
}

/// The G4 PWR.
#[derive(Debug, Clone)]
pub struct Pwr {
    regs: PlainRegisters,
}

impl Default for Pwr {
    fn default() -> Self {
        Self::new()
    }
}

impl Pwr {
    pub fn new() -> Self {
        use reg::*;
        let mut regs = vec![
            PlainRegister::new(CR1, cr1::RESET).with_writable(cr1::WRITABLE),
            PlainRegister::new(CR2, 0).with_writable(cr2::WRITABLE),
            PlainRegister::new(CR3, cr3::RESET).with_writable(cr3::WRITABLE),
            PlainRegister::new(CR4, 0).with_writable(cr4::WRITABLE),
            PlainRegister::new(CR5, cr5::RESET).with_writable(cr5::R1MODE),
        ];
        regs.extend(
            (PUCRA..=PDCRG)
                .step_by(4)
                .map(|offset| PlainRegister::new(offset, 0).with_writable(0xFFFF)),
        );
        Pwr {
            regs: PlainRegisters::new(&regs),
        }
    }

    pub fn reset(&mut self) {
        self.regs.reset();
    }

    /// PWR_CR1.DBP: RCC_BDCR may be written.
    pub fn backup_writable(&self) -> bool {
        self.regs.get(reg::CR1) & cr1::DBP != 0
    }

    /// Range 1 boost mode (CR5.R1MODE = 0 with VOS = Range 1).
    pub fn boost(&self) -> bool {
        self.regs.get(reg::CR5) & cr5::R1MODE == 0
            && (self.regs.get(reg::CR1) & cr1::VOS) >> cr1::VOS_SHIFT == 1
    }

    pub fn read(&self, offset: u32) -> u32 {
        match offset {
            reg::SR2 if self.regs.get(reg::CR1) & cr1::LPR != 0 => sr2::REGLPF,
            reg::SR1 | reg::SR2 | reg::SCR => 0,
            _ => self.regs.get(offset),
        }
    }

    pub fn write(&mut self, offset: u32, value: u32, lanes: u32) {
        self.regs.write(offset, value, lanes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u32 = 0xFFFF_FFFF;

    #[test]
    fn reset_values() {
        let pwr = Pwr::new();
        assert_eq!(pwr.read(reg::CR1), 0x0000_0200);
        assert_eq!(pwr.read(reg::CR3), 0x0000_8000);
        assert_eq!(pwr.read(reg::CR5), 0x0000_0100);
        assert_eq!(pwr.read(reg::SR2), 0);
        assert!(!pwr.boost());
    }

    #[test]
    fn boost_mode_and_the_vendor_writes_read_back() {
        let mut pwr = Pwr::new();
        pwr.write(reg::CR5, 0, ALL);
        assert!(pwr.boost());
        pwr.write(reg::CR3, cr3::RESET | cr3::UCPD_DBDIS, ALL);
        assert_eq!(pwr.read(reg::CR3), 0xC000);
        pwr.write(reg::CR1, cr1::RESET | cr1::DBP, ALL);
        assert!(pwr.backup_writable());
        // Range 2 then back to Range 1: VOSF never holds the vendor code up.
        pwr.write(reg::CR1, 2 << cr1::VOS_SHIFT, ALL);
        assert!(!pwr.boost());
        pwr.write(reg::CR1, 1 << cr1::VOS_SHIFT, ALL);
        assert_eq!(pwr.read(reg::SR2) & sr2::VOSF, 0);
        pwr.write(reg::CR1, cr1::LPR | (2 << cr1::VOS_SHIFT), ALL);
        assert_eq!(pwr.read(reg::SR2), sr2::REGLPF);
        pwr.write(reg::PDCRG, 0x1, ALL);
        assert_eq!(pwr.read(reg::PDCRG), 0x1);
        pwr.reset();
        assert_eq!(pwr.read(reg::CR5), cr5::RESET);
    }
}
