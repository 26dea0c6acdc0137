//! RCC of the simulated STM32G0B0/G0B1/G0C1 at 0x4002_1000 (offsets and bit positions CMSIS
//! `stm32g0b1xx.h`; the reference sheets give no G0 RCC facts, so every reset value here is
//! UNVERIFIED and chosen so that vendor start-up code runs).
//!
//! - Every ready flag follows its enable bit at once: HSIRDY, HSERDY, HSI48RDY, PLLRDY
//!   (RCC_CR), LSERDY (RCC_BDCR), LSIRDY (RCC_CSR).
//! - CFGR.SWS follows CFGR.SW (0 HSISYS, 1 HSE, 2 PLLRCLK, 3 LSI, 4 LSE) once that clock is
//!   ready; SW = 5–7 switch nothing. The clock SYSCLK runs from cannot be switched off.
//! - CR resets to HSION | HSIRDY with HSIDIV = 1 (HSISYS = 16 MHz, HAL-G0's SystemCoreClock
//!   default); AHBENR to FLASHEN; ICSCR to HSITRIM = 64.
//! - APBENR1.DBGEN clocks the debug block (probe-rs's G0 sequence sets it); APBENR1.USART2EN and
//!   IOPENR gate the USART2 and GPIO models.
//! - BDCR is reset only by a power-on (PWR's DBP write protection is not modelled).
//! - CSR reset flags: power-on → PWRRSTF | PINRSTF; NRST → PINRSTF; software reset → SFTRSTF |
//!   PINRSTF; OBL_LAUNCH → OBLRSTF | PINRSTF (an internal reset drives NRST low); RMVF clears them.
//! - [`Rcc::hclk_hz`]: SYSCLK from SWS (HSISYS = 16 MHz / 2^HSIDIV, HSE [`HSE_HZ`], PLL R
//!   output from HSI16 or HSE / M × N / R, LSI 32 kHz, LSE 32.768 kHz) / the AHB prescaler.

use crate::sim::periph::{
    ahb_divider, apb_divider, merge_writable, ready_follows, PlainRegister, PlainRegisters,
    ResetCause, ResetFlags,
};

/// HSI16 frequency.
pub const HSI_HZ: u32 = 16_000_000;
/// HSE of a NUCLEO-G0B1RE: the ST-LINK's 8 MHz MCO (board fact, not in the reference:
/// UNVERIFIED).
pub const HSE_HZ: u32 = 8_000_000;
/// LSI.
pub const LSI_HZ: u32 = 32_000;
/// LSE crystal.
pub const LSE_HZ: u32 = 32_768;

/// Register offsets from 0x4002_1000.
pub mod reg {
    pub const CR: u32 = 0x00;
    pub const ICSCR: u32 = 0x04;
    pub const CFGR: u32 = 0x08;
    pub const PLLCFGR: u32 = 0x0C;
    pub const CRRCR: u32 = 0x14;
    pub const CIER: u32 = 0x18;
    pub const CIFR: u32 = 0x1C;
    pub const CICR: u32 = 0x20;
    pub const IOPRSTR: u32 = 0x24;
    pub const AHBRSTR: u32 = 0x28;
    pub const APBRSTR1: u32 = 0x2C;
    pub const APBRSTR2: u32 = 0x30;
    pub const IOPENR: u32 = 0x34;
    pub const AHBENR: u32 = 0x38;
    pub const APBENR1: u32 = 0x3C;
    pub const APBENR2: u32 = 0x40;
    pub const IOPSMENR: u32 = 0x44;
    pub const AHBSMENR: u32 = 0x48;
    pub const APBSMENR1: u32 = 0x4C;
    pub const APBSMENR2: u32 = 0x50;
    pub const CCIPR: u32 = 0x54;
    pub const CCIPR2: u32 = 0x58;
    pub const BDCR: u32 = 0x5C;
    pub const CSR: u32 = 0x60;
}

/// RCC_CR bits.
pub mod cr {
    pub const HSION: u32 = 1 << 8;
    pub const HSIKERON: u32 = 1 << 9;
    pub const HSIRDY: u32 = 1 << 10;
    pub const HSIDIV_SHIFT: u32 = 11;
    pub const HSIDIV: u32 = 0x7 << HSIDIV_SHIFT;
    pub const HSEON: u32 = 1 << 16;
    pub const HSERDY: u32 = 1 << 17;
    pub const HSEBYP: u32 = 1 << 18;
    pub const CSSON: u32 = 1 << 19;
    pub const HSI48ON: u32 = 1 << 22;
    pub const HSI48RDY: u32 = 1 << 23;
    pub const PLLON: u32 = 1 << 24;
    pub const PLLRDY: u32 = 1 << 25;
    pub const WRITABLE: u32 = HSION | HSIKERON | HSIDIV | HSEON | HSEBYP | CSSON | HSI48ON | PLLON;
    pub const READY: [(u32, u32); 4] = [
        (HSION, HSIRDY),
        (HSEON, HSERDY),
        (HSI48ON, HSI48RDY),
        (PLLON, PLLRDY),
    ];
    pub const RESET: u32 = HSION | HSIRDY;
}

/// RCC_ICSCR: HSITRIM[14:8] (HSICAL reads 0).
pub mod icscr {
    pub const HSITRIM: u32 = 0x7F << 8;
    pub const RESET: u32 = 64 << 8;
}

/// RCC_CFGR fields.
pub mod cfgr {
    pub const SW: u32 = 0x7;
    pub const SWS_SHIFT: u32 = 3;
    pub const SWS: u32 = 0x7 << SWS_SHIFT;
    pub const HPRE_SHIFT: u32 = 8;
    pub const PPRE_SHIFT: u32 = 12;
    /// SW, HPRE, PPRE and the MCO selections/prescalers.
    pub const WRITABLE: u32 = 0xFFFF_7F07;
    pub const SW_HSISYS: u32 = 0;
    pub const SW_HSE: u32 = 1;
    pub const SW_PLLR: u32 = 2;
    pub const SW_LSI: u32 = 3;
    pub const SW_LSE: u32 = 4;
}

/// RCC_PLLCFGR fields.
pub mod pllcfgr {
    pub const PLLSRC: u32 = 0x3;
    pub const PLLSRC_HSI: u32 = 0x2;
    pub const PLLSRC_HSE: u32 = 0x3;
    pub const PLLM_SHIFT: u32 = 4;
    pub const PLLM: u32 = 0x7 << PLLM_SHIFT;
    pub const PLLN_SHIFT: u32 = 8;
    pub const PLLN: u32 = 0x7F << PLLN_SHIFT;
    pub const PLLREN: u32 = 1 << 28;
    pub const PLLR_SHIFT: u32 = 29;
    /// PLLR[31:29]: divider = value + 1 (0 reserved).
    pub const PLLR: u32 = 0x7 << PLLR_SHIFT;
    /// PLLSRC, PLLM, PLLN, PLLPEN, PLLP, PLLQEN, PLLQ, PLLREN, PLLR.
    pub const WRITABLE: u32 = 0xFF3F_7F73;
    /// PLLN = 16 (UNVERIFIED).
    pub const RESET: u32 = 0x0000_1000;
}

/// RCC_IOPENR / IOPRSTR: GPIOA..GPIOF at bit k for port k.
pub mod iop {
    pub const GPIO_PORTS: u32 = 6;
}

/// RCC_AHBENR bits.
pub mod ahb {
    pub const FLASHEN: u32 = 1 << 8;
}

/// RCC_APBENR1 / APBRSTR1 bits.
pub mod apb1 {
    pub const USART2: u32 = 1 << 17;
    pub const DBGEN: u32 = 1 << 27;
    pub const PWREN: u32 = 1 << 28;
}

/// RCC_BDCR bits.
pub mod bdcr {
    pub const LSEON: u32 = 1 << 0;
    pub const LSERDY: u32 = 1 << 1;
    pub const BDRST: u32 = 1 << 16;
    /// LSEON, LSEBYP, LSEDRV, LSECSSON, RTCSEL, RTCEN, BDRST, LSCOEN, LSCOSEL.
    pub const WRITABLE: u32 = 0x0301_833D;
}

/// RCC_CSR bits.
pub mod csr {
    pub const LSION: u32 = 1 << 0;
    pub const LSIRDY: u32 = 1 << 1;
    pub const RMVF: u32 = 1 << 23;
    pub const OBLRSTF: u32 = 1 << 25;
    pub const PINRSTF: u32 = 1 << 26;
    pub const PWRRSTF: u32 = 1 << 27;
    pub const SFTRSTF: u32 = 1 << 28;
    pub const IWDGRSTF: u32 = 1 << 29;
    pub const WWDGRSTF: u32 = 1 << 30;
    pub const LPWRRSTF: u32 = 1 << 31;
    pub const FLAGS: super::ResetFlags = super::ResetFlags {
        all: OBLRSTF | PINRSTF | PWRRSTF | SFTRSTF | IWDGRSTF | WWDGRSTF | LPWRRSTF,
        power_on: PWRRSTF | PINRSTF,
        pin: PINRSTF,
        software: SFTRSTF | PINRSTF,
        option_load: OBLRSTF | PINRSTF,
    };
}

fn plain_registers() -> PlainRegisters {
    use reg::*;
    let mut regs = vec![
        PlainRegister::new(ICSCR, icscr::RESET).with_writable(icscr::HSITRIM),
        PlainRegister::new(PLLCFGR, pllcfgr::RESET).with_writable(pllcfgr::WRITABLE),
        PlainRegister::new(CIFR, 0).with_writable(0),
        PlainRegister::new(CICR, 0).with_writable(0),
        PlainRegister::new(AHBENR, ahb::FLASHEN),
    ];
    regs.extend(
        [
            CIER, IOPRSTR, AHBRSTR, APBRSTR1, APBRSTR2, IOPENR, APBENR1, APBENR2, IOPSMENR,
            AHBSMENR, APBSMENR1, APBSMENR2, CCIPR, CCIPR2,
        ]
        .map(|offset| PlainRegister::new(offset, 0)),
    );
    PlainRegisters::new(&regs)
}

/// The G0 RCC.
#[derive(Debug, Clone)]
pub struct Rcc {
    cr: u32,
    cfgr: u32,
    /// The clock SYSCLK runs from (CFGR.SWS).
    sws: u32,
    bdcr: u32,
    csr: u32,
    plain: PlainRegisters,
}

impl Default for Rcc {
    fn default() -> Self {
        Self::new()
    }
}

impl Rcc {
    /// The RCC after a power-on.
    pub fn new() -> Self {
        let mut rcc = Rcc {
            cr: 0,
            cfgr: 0,
            sws: cfgr::SW_HSISYS,
            bdcr: 0,
            csr: 0,
            plain: plain_registers(),
        };
        rcc.reset(ResetCause::PowerOn);
        rcc
    }

    /// A reset of `cause`: everything back to reset values except the backup domain (BDCR:
    /// power-on only) and the reset flags, which record the cause.
    pub fn reset(&mut self, cause: ResetCause) {
        self.cr = cr::RESET;
        self.cfgr = 0;
        self.sws = cfgr::SW_HSISYS;
        self.plain.reset();
        if cause == ResetCause::PowerOn {
            self.bdcr = 0;
        }
        self.csr = csr::FLAGS.after(cause, self.csr);
    }

    /// A register written through the plain store (enables, resets, PLL configuration).
    pub fn register(&self, offset: u32) -> u32 {
        self.plain.get(offset)
    }

    pub fn read(&self, offset: u32) -> u32 {
        match offset {
            reg::CR => self.cr,
            reg::CFGR => self.cfgr | (self.sws << cfgr::SWS_SHIFT),
            reg::BDCR => self.bdcr,
            reg::CSR => self.csr,
            _ => self.plain.get(offset),
        }
    }

    pub fn write(&mut self, offset: u32, value: u32, lanes: u32) {
        match offset {
            reg::CR => self.write_cr(value, lanes),
            reg::CFGR => {
                self.cfgr = merge_writable(self.cfgr, value, lanes, cfgr::WRITABLE);
                self.switch_clock();
            }
            reg::BDCR => self.write_bdcr(value, lanes),
            reg::CSR => self.write_csr(value & lanes),
            _ => {
                self.plain.write(offset, value, lanes);
            }
        }
    }

    fn write_cr(&mut self, value: u32, lanes: u32) {
        let mut cr = merge_writable(self.cr, value, lanes, cr::WRITABLE);
        let pll_source = self.plain.get(reg::PLLCFGR) & pllcfgr::PLLSRC;
        // The clock SYSCLK runs from stays on (RM0444 rule, not in the reference: UNVERIFIED).
        cr |= match (self.sws, pll_source) {
            (cfgr::SW_HSISYS, _) => cr::HSION,
            (cfgr::SW_HSE, _) => cr::HSEON,
            (cfgr::SW_PLLR, pllcfgr::PLLSRC_HSI) => cr::PLLON | cr::HSION,
            (cfgr::SW_PLLR, pllcfgr::PLLSRC_HSE) => cr::PLLON | cr::HSEON,
            (cfgr::SW_PLLR, _) => cr::PLLON,
            _ => 0,
        };
        self.cr = ready_follows(cr, &cr::READY);
        self.switch_clock();
    }

    fn write_bdcr(&mut self, value: u32, lanes: u32) {
        let mut bdcr = merge_writable(self.bdcr, value, lanes, bdcr::WRITABLE);
        if bdcr & bdcr::BDRST != 0 {
            bdcr = bdcr::BDRST; // the backup domain is held in reset
        }
        self.bdcr = ready_follows(bdcr, &[(bdcr::LSEON, bdcr::LSERDY)]);
        self.switch_clock();
    }

    fn write_csr(&mut self, value: u32) {
        let mut flags = self.csr & csr::FLAGS.all;
        if value & csr::RMVF != 0 {
            flags = 0;
        }
        self.csr = ready_follows(flags | (value & csr::LSION), &[(csr::LSION, csr::LSIRDY)]);
        self.switch_clock();
    }

    /// SWS takes SW's value once that clock is ready.
    fn switch_clock(&mut self) {
        let sw = self.cfgr & cfgr::SW;
        let ready = match sw {
            cfgr::SW_HSISYS => self.cr & cr::HSIRDY != 0,
            cfgr::SW_HSE => self.cr & cr::HSERDY != 0,
            cfgr::SW_PLLR => self.cr & cr::PLLRDY != 0,
            cfgr::SW_LSI => self.csr & csr::LSIRDY != 0,
            cfgr::SW_LSE => self.bdcr & bdcr::LSERDY != 0,
            _ => false, // reserved
        };
        if ready {
            self.sws = sw;
        }
    }

    /// The PLL's R output: source / M × N / R. 0 without a source or with R = 0 (reserved).
    pub fn pll_r_hz(&self) -> u32 {
        let cfg = self.plain.get(reg::PLLCFGR);
        let source = match cfg & pllcfgr::PLLSRC {
            pllcfgr::PLLSRC_HSI => HSI_HZ,
            pllcfgr::PLLSRC_HSE => HSE_HZ,
            _ => return 0,
        };
        let m = u64::from((cfg & pllcfgr::PLLM) >> pllcfgr::PLLM_SHIFT) + 1;
        let n = u64::from((cfg & pllcfgr::PLLN) >> pllcfgr::PLLN_SHIFT);
        let r_bits = u64::from((cfg & pllcfgr::PLLR) >> pllcfgr::PLLR_SHIFT);
        if r_bits == 0 {
            return 0;
        }
        (u64::from(source) * n / (m * (r_bits + 1))) as u32
    }

    /// SYSCLK from the clock SWS reports.
    pub fn sysclk_hz(&self) -> u32 {
        match self.sws {
            cfgr::SW_HSE => HSE_HZ,
            cfgr::SW_PLLR => self.pll_r_hz(),
            cfgr::SW_LSI => LSI_HZ,
            cfgr::SW_LSE => LSE_HZ,
            _ => HSI_HZ >> ((self.cr & cr::HSIDIV) >> cr::HSIDIV_SHIFT),
        }
    }

    /// HCLK (the core clock): SYSCLK / the AHB prescaler (HPRE).
    pub fn hclk_hz(&self) -> u32 {
        self.sysclk_hz() / ahb_divider((self.cfgr >> cfgr::HPRE_SHIFT) & 0xF)
    }

    /// PCLK (USART2's default kernel clock): HCLK / the APB prescaler (PPRE).
    pub fn pclk_hz(&self) -> u32 {
        self.hclk_hz() / apb_divider((self.cfgr >> cfgr::PPRE_SHIFT) & 0x7)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u32 = 0xFFFF_FFFF;

    #[test]
    fn reset_values() {
        let rcc = Rcc::new();
        assert_eq!(rcc.read(reg::CR), 0x0000_0500);
        assert_eq!(rcc.read(reg::ICSCR), 0x0000_4000);
        assert_eq!(rcc.read(reg::CFGR), 0);
        assert_eq!(rcc.read(reg::PLLCFGR), 0x0000_1000);
        assert_eq!(rcc.read(reg::AHBENR), 0x100);
        assert_eq!(rcc.read(reg::APBENR1), 0);
        assert_eq!(rcc.read(reg::CSR), csr::PWRRSTF | csr::PINRSTF);
        assert_eq!(rcc.hclk_hz(), 16_000_000, "HSISYS at reset");
    }

    #[test]
    fn ready_flags_follow_their_enable_bits() {
        let mut rcc = Rcc::new();
        rcc.write(
            reg::CR,
            cr::RESET | cr::HSEON | cr::PLLON | cr::HSI48ON,
            ALL,
        );
        assert_eq!(
            rcc.read(reg::CR) & (cr::HSERDY | cr::PLLRDY | cr::HSI48RDY),
            cr::HSERDY | cr::PLLRDY | cr::HSI48RDY
        );
        rcc.write(reg::CR, cr::HSION, ALL);
        assert_eq!(rcc.read(reg::CR), cr::HSION | cr::HSIRDY);
        rcc.write(reg::CSR, csr::LSION, ALL);
        assert_eq!(rcc.read(reg::CSR) & csr::LSIRDY, csr::LSIRDY);
        rcc.write(reg::BDCR, bdcr::LSEON, ALL);
        assert_eq!(rcc.read(reg::BDCR), bdcr::LSEON | bdcr::LSERDY);
        // HSISYS drives SYSCLK: HSI stays on.
        rcc.write(reg::CR, 0, ALL);
        assert_eq!(rcc.read(reg::CR), cr::HSION | cr::HSIRDY);
    }

    #[test]
    fn the_vendor_64_mhz_configuration() {
        // CubeMX NUCLEO-G0B1RE: HSI16 / 1 × 8 / 2 = 64 MHz, PLLREN, SW = PLLRCLK.
        let mut rcc = Rcc::new();
        let pll = pllcfgr::PLLSRC_HSI
            | (8 << pllcfgr::PLLN_SHIFT)
            | pllcfgr::PLLREN
            | (1 << pllcfgr::PLLR_SHIFT);
        rcc.write(reg::PLLCFGR, pll, ALL);
        rcc.write(reg::CFGR, cfgr::SW_PLLR, ALL);
        assert_eq!(rcc.read(reg::CFGR) & cfgr::SWS, 0, "PLL not ready yet");
        rcc.write(reg::CR, cr::RESET | cr::PLLON, ALL);
        rcc.write(reg::CFGR, cfgr::SW_PLLR, ALL);
        assert_eq!(
            rcc.read(reg::CFGR) & cfgr::SWS,
            cfgr::SW_PLLR << cfgr::SWS_SHIFT
        );
        assert_eq!(rcc.hclk_hz(), 64_000_000);
        // The PLL now drives SYSCLK: it cannot be switched off.
        rcc.write(reg::CR, cr::HSION, ALL);
        assert_ne!(rcc.read(reg::CR) & cr::PLLRDY, 0);
        // HPRE /2, PPRE /2.
        rcc.write(
            reg::CFGR,
            cfgr::SW_PLLR | (0b1000 << cfgr::HPRE_SHIFT) | (0b100 << cfgr::PPRE_SHIFT),
            ALL,
        );
        assert_eq!((rcc.hclk_hz(), rcc.pclk_hz()), (32_000_000, 16_000_000));
        // HSIDIV /4 on HSISYS.
        rcc.reset(ResetCause::Software);
        rcc.write(reg::CR, cr::RESET | (2 << cr::HSIDIV_SHIFT), ALL);
        assert_eq!(rcc.hclk_hz(), 4_000_000);
    }

    #[test]
    fn csr_records_the_reset_cause_until_rmvf() {
        let mut rcc = Rcc::new();
        rcc.write(reg::CSR, csr::RMVF, ALL);
        assert_eq!(rcc.read(reg::CSR), 0);
        rcc.reset(ResetCause::OptionLoad);
        assert_eq!(rcc.read(reg::CSR), csr::OBLRSTF | csr::PINRSTF);
        rcc.reset(ResetCause::Software);
        assert_eq!(
            rcc.read(reg::CSR),
            csr::OBLRSTF | csr::SFTRSTF | csr::PINRSTF
        );
        rcc.reset(ResetCause::PowerOn);
        assert_eq!(rcc.read(reg::CSR), csr::PWRRSTF | csr::PINRSTF);
    }

    #[test]
    fn enables_reset_and_bdcr_survives_a_system_reset() {
        let mut rcc = Rcc::new();
        rcc.write(reg::APBENR1, apb1::DBGEN | apb1::USART2, ALL);
        rcc.write(reg::BDCR, bdcr::LSEON, ALL);
        assert_eq!(rcc.register(reg::APBENR1), apb1::DBGEN | apb1::USART2);
        rcc.reset(ResetCause::Pin);
        assert_eq!(rcc.register(reg::APBENR1), 0);
        assert_eq!(rcc.read(reg::BDCR), bdcr::LSEON | bdcr::LSERDY);
        rcc.write(reg::BDCR, bdcr::BDRST, ALL);
        assert_eq!(rcc.read(reg::BDCR), bdcr::BDRST);
        rcc.reset(ResetCause::PowerOn);
        assert_eq!(rcc.read(reg::BDCR), 0);
    }
}
