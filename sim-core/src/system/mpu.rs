//! The Protected Memory System Architecture registers (ARMv7-M ARM B3.5): MPU_TYPE, MPU_CTRL,
//! MPU_RNR, MPU_RBAR, MPU_RASR and their aliases.
//!
//! The registers are stored and read back as written (vendor code such as
//! `HAL_MPU_ConfigRegion` programs them), but **the MPU is not enforced**: no access is checked
//! against the regions and no MemManage fault is raised from them. Enabling it logs that.

/// Regions of the MPU on both modelled chips (STM32F76x Cortex-M7 and STM32G4 Cortex-M4: 8).
pub const REGIONS: usize = 8;

/// Offsets in the System Control Space.
pub mod address {
    pub const TYPE: u32 = 0xE000_ED90;
    pub const CTRL: u32 = 0xE000_ED94;
    pub const RNR: u32 = 0xE000_ED98;
    pub const RBAR: u32 = 0xE000_ED9C;
    pub const RASR: u32 = 0xE000_EDA0;
    /// The last alias (MPU_RASR_A3).
    pub const LAST: u32 = 0xE000_EDB8;
}

const CTRL_MASK: u32 = 0x7;
const RBAR_VALID: u32 = 1 << 4;
const RBAR_ADDR: u32 = 0xFFFF_FFE0;
/// XN, AP, TEX, S, C, B, SRD, SIZE, ENABLE.
const RASR_MASK: u32 = 0x173F_FF3F;

#[derive(Debug, Clone, Default)]
pub struct Mpu {
    ctrl: u32,
    rnr: u32,
    rbar: [u32; REGIONS],
    rasr: [u32; REGIONS],
}

impl Mpu {
    pub fn reset(&mut self) {
        *self = Mpu::default();
    }

    fn region(&self) -> usize {
        self.rnr as usize % REGIONS
    }

    /// `address` is word aligned, in `TYPE..=LAST`.
    pub fn read(&self, address: u32) -> u32 {
        match address {
            address::TYPE => (REGIONS as u32) << 8,
            address::CTRL => self.ctrl,
            address::RNR => self.rnr,
            // RBAR and its aliases at +8, +16, +24; RASR likewise.
            a if (a - address::RBAR).is_multiple_of(8) => {
                self.rbar[self.region()] | (self.rnr & 0xF)
            }
            _ => self.rasr[self.region()],
        }
    }

    pub fn write(&mut self, address: u32, value: u32) {
        match address {
            address::TYPE => {}
            address::CTRL => {
                if value & 1 != 0 && self.ctrl & 1 == 0 {
                    log::info!(
                        "MPU enabled: its regions are stored but not enforced by the simulator"
                    );
                }
                self.ctrl = value & CTRL_MASK;
            }
            address::RNR => self.rnr = value & 0xFF,
            a if (a - address::RBAR).is_multiple_of(8) => {
                if value & RBAR_VALID != 0 {
                    self.rnr = value & 0xF;
                }
                let region = self.region();
                self.rbar[region] = value & RBAR_ADDR;
            }
            _ => {
                let region = self.region();
                self.rasr[region] = value & RASR_MASK;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rbar_valid_selects_the_region_and_aliases_reach_the_same_registers() {
        let mut mpu = Mpu::default();
        assert_eq!(mpu.read(address::TYPE), 0x800);
        mpu.write(address::RBAR + 8, 0x2000_0000 | RBAR_VALID | 3);
        assert_eq!(mpu.read(address::RNR), 3);
        mpu.write(address::RASR, 0x0306_0025);
        assert_eq!(mpu.read(address::RASR + 16), 0x0306_0025);
        assert_eq!(mpu.read(address::RBAR), 0x2000_0003);
    }
}
