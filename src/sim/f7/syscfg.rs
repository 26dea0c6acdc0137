//! SYSCFG of the simulated STM32F76x/F77x at 0x4001_3800 (offsets and bits DF7
//! `stm32f767xx.h`): the registers hold what is written, and the I/O compensation cell is ready
//! as soon as it is powered (CMPCR.READY follows CMP_PD), which `HAL_EnableCompensationCell`
//! waits for. Reset values are 0 (UNVERIFIED: MEMRMP reflects the boot mode on silicon).

use crate::sim::periph::{PlainRegister, PlainRegisters};

/// Register offsets from 0x4001_3800.
pub mod reg {
    pub const MEMRMP: u32 = 0x00;
    pub const PMC: u32 = 0x04;
    pub const EXTICR1: u32 = 0x08;
    pub const EXTICR2: u32 = 0x0C;
    pub const EXTICR3: u32 = 0x10;
    pub const EXTICR4: u32 = 0x14;
    pub const CBR: u32 = 0x1C;
    pub const CMPCR: u32 = 0x20;
}

/// SYSCFG_CMPCR bits.
pub mod cmpcr {
    pub const CMP_PD: u32 = 1 << 0;
    pub const READY: u32 = 1 << 8;
}

/// The F7 SYSCFG.
#[derive(Debug, Clone)]
pub struct Syscfg {
    regs: PlainRegisters,
}

impl Default for Syscfg {
    fn default() -> Self {
        Self::new()
    }
}

impl Syscfg {
    pub fn new() -> Self {
        use reg::*;
        Syscfg {
            regs: PlainRegisters::new(&[
                PlainRegister::new(MEMRMP, 0),
                PlainRegister::new(PMC, 0),
                PlainRegister::new(EXTICR1, 0).with_writable(0xFFFF),
                PlainRegister::new(EXTICR2, 0).with_writable(0xFFFF),
                PlainRegister::new(EXTICR3, 0).with_writable(0xFFFF),
                PlainRegister::new(EXTICR4, 0).with_writable(0xFFFF),
                PlainRegister::new(CBR, 0),
                PlainRegister::new(CMPCR, 0).with_writable(cmpcr::CMP_PD),
            ]),
        }
    }

    pub fn reset(&mut self) {
        self.regs.reset();
    }

    pub fn read(&self, offset: u32) -> u32 {
        let value = self.regs.get(offset);
        if offset == reg::CMPCR && value & cmpcr::CMP_PD != 0 {
            value | cmpcr::READY
        } else {
            value
        }
    }

    pub fn write(&mut self, offset: u32, value: u32, lanes: u32) {
        self.regs.write(offset, value, lanes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compensation_cell_is_ready_once_powered() {
        let mut syscfg = Syscfg::new();
        assert_eq!(syscfg.read(reg::CMPCR), 0);
        syscfg.write(reg::CMPCR, cmpcr::CMP_PD, u32::MAX);
        assert_eq!(syscfg.read(reg::CMPCR), cmpcr::CMP_PD | cmpcr::READY);
        syscfg.write(reg::EXTICR4, 0x2000, u32::MAX);
        assert_eq!(syscfg.read(reg::EXTICR4), 0x2000);
        syscfg.reset();
        assert_eq!(syscfg.read(reg::CMPCR), 0);
    }
}
