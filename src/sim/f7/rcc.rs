//! RCC of the simulated STM32F76x/F77x at 0x4002_3800 (`real-firmware-on-the-sim.md` §3.1;
//! offsets and bit positions DF7 `stm32f767xx.h`, reset values SVD as the reference gives them).
//!
//! - Every ready flag follows its enable bit at once: HSIRDY, HSERDY, PLLRDY, PLLI2SRDY,
//!   PLLSAIRDY (RCC_CR), LSERDY (RCC_BDCR), LSIRDY (RCC_CSR).
//! - CFGR.SWS follows CFGR.SW once the selected clock is ready (at once if it already is; when
//!   it becomes ready otherwise). SW = 3 is not allowed and switches nothing.
//! - An oscillator or PLL that drives SYSCLK cannot be switched off (HSION, HSEON, PLLON stay
//!   set; RM0410 rule, not in the reference: UNVERIFIED).
//! - PLLCFGR, the prescalers and the enable/reset registers hold what is written.
//! - BDCR changes only while PWR_CR1.DBP is set; BDRST holds the backup domain in reset; the
//!   backup domain is reset only by a power-on.
//! - CSR reset flags: power-on → PORRSTF | BORRSTF | PINRSTF (the reset value 0x0E00_0000);
//!   NRST → PINRSTF; software reset → SFTRSTF | PINRSTF (an internal reset drives NRST low:
//!   UNVERIFIED); RMVF clears them (and reads 0).
//! - [`Rcc::sysclk_hz`], [`Rcc::hclk_hz`], [`Rcc::pclk1_hz`]: the clock tree from SWS, PLL
//!   M/N/P, HPRE, PPRE1; HSI 16 MHz, HSE [`HSE_HZ`].
//!
//! Reset values of registers the reference does not give (the LPENR, RSTR, SSCGR, PLLI2SCFGR,
//! PLLSAICFGR, DCKCFGR1/2 group) are 0 here: UNVERIFIED (on silicon the LPENRs reset with most
//! bits set). HSICAL reads 0.

use crate::sim::periph::{
    ahb_divider, apb_divider, merge_writable, ready_follows, PlainRegister, PlainRegisters,
    ResetCause, ResetFlags,
};

/// HSI frequency.
pub const HSI_HZ: u32 = 16_000_000;
/// HSE frequency of a NUCLEO-F767ZI: the ST-LINK's 8 MHz MCO in bypass mode (board fact, not in
/// the reference: UNVERIFIED).
pub const HSE_HZ: u32 = 8_000_000;

/// Register offsets from 0x4002_3800.
pub mod reg {
    pub const CR: u32 = 0x00;
    pub const PLLCFGR: u32 = 0x04;
    pub const CFGR: u32 = 0x08;
    pub const CIR: u32 = 0x0C;
    pub const AHB1RSTR: u32 = 0x10;
    pub const AHB2RSTR: u32 = 0x14;
    pub const AHB3RSTR: u32 = 0x18;
    pub const APB1RSTR: u32 = 0x20;
    pub const APB2RSTR: u32 = 0x24;
    pub const AHB1ENR: u32 = 0x30;
    pub const AHB2ENR: u32 = 0x34;
    pub const AHB3ENR: u32 = 0x38;
    pub const APB1ENR: u32 = 0x40;
    pub const APB2ENR: u32 = 0x44;
    pub const AHB1LPENR: u32 = 0x50;
    pub const AHB2LPENR: u32 = 0x54;
    pub const AHB3LPENR: u32 = 0x58;
    pub const APB1LPENR: u32 = 0x60;
    pub const APB2LPENR: u32 = 0x64;
    pub const BDCR: u32 = 0x70;
    pub const CSR: u32 = 0x74;
    pub const SSCGR: u32 = 0x80;
    pub const PLLI2SCFGR: u32 = 0x84;
    pub const PLLSAICFGR: u32 = 0x88;
    pub const DCKCFGR1: u32 = 0x8C;
    pub const DCKCFGR2: u32 = 0x90;
}

/// RCC_CR bits.
pub mod cr {
    pub const HSION: u32 = 1 << 0;
    pub const HSIRDY: u32 = 1 << 1;
    pub const HSITRIM_SHIFT: u32 = 3;
    pub const HSITRIM: u32 = 0x1F << HSITRIM_SHIFT;
    pub const HSICAL_SHIFT: u32 = 8;
    pub const HSEON: u32 = 1 << 16;
    pub const HSERDY: u32 = 1 << 17;
    pub const HSEBYP: u32 = 1 << 18;
    pub const CSSON: u32 = 1 << 19;
    pub const PLLON: u32 = 1 << 24;
    pub const PLLRDY: u32 = 1 << 25;
    pub const PLLI2SON: u32 = 1 << 26;
    pub const PLLI2SRDY: u32 = 1 << 27;
    pub const PLLSAION: u32 = 1 << 28;
    pub const PLLSAIRDY: u32 = 1 << 29;
    /// The bits software writes.
    pub const WRITABLE: u32 =
        HSION | HSITRIM | HSEON | HSEBYP | CSSON | PLLON | PLLI2SON | PLLSAION;
    /// Each ready flag with its enable bit.
    pub const READY: [(u32, u32); 5] = [
        (HSION, HSIRDY),
        (HSEON, HSERDY),
        (PLLON, PLLRDY),
        (PLLI2SON, PLLI2SRDY),
        (PLLSAION, PLLSAIRDY),
    ];
    /// The factory HSI calibration the model reports (any value is plausible).
    pub const HSICAL_FACTORY: u32 = 0;
    /// HSION, HSIRDY, HSITRIM = 16.
    pub const RESET: u32 =
        HSION | HSIRDY | (16 << HSITRIM_SHIFT) | (HSICAL_FACTORY << HSICAL_SHIFT);
}

/// RCC_PLLCFGR fields.
pub mod pllcfgr {
    pub const PLLM_SHIFT: u32 = 0;
    pub const PLLM: u32 = 0x3F << PLLM_SHIFT;
    pub const PLLN_SHIFT: u32 = 6;
    pub const PLLN: u32 = 0x1FF << PLLN_SHIFT;
    /// PLLP[17:16]: 0 = /2, 1 = /4, 2 = /6, 3 = /8.
    pub const PLLP_SHIFT: u32 = 16;
    pub const PLLP: u32 = 0x3 << PLLP_SHIFT;
    /// 1 = HSE, 0 = HSI.
    pub const PLLSRC: u32 = 1 << 22;
    pub const PLLQ_SHIFT: u32 = 24;
    pub const PLLQ: u32 = 0xF << PLLQ_SHIFT;
    pub const PLLR_SHIFT: u32 = 28;
    pub const PLLR: u32 = 0x7 << PLLR_SHIFT;
    pub const WRITABLE: u32 = PLLM | PLLN | PLLP | PLLSRC | PLLQ | PLLR;
    /// M = 16, N = 192, P = /2, Q = 4, R = 2, HSI.
    pub const RESET: u32 = 0x2400_3010;
}

/// RCC_CFGR fields.
pub mod cfgr {
    pub const SW: u32 = 0x3;
    pub const SWS_SHIFT: u32 = 2;
    pub const SWS: u32 = 0x3 << SWS_SHIFT;
    pub const HPRE_SHIFT: u32 = 4;
    pub const PPRE1_SHIFT: u32 = 10;
    pub const PPRE2_SHIFT: u32 = 13;
    /// SW/SWS values.
    pub const SW_HSI: u32 = 0;
    pub const SW_HSE: u32 = 1;
    pub const SW_PLL: u32 = 2;
    /// Everything but SWS and the reserved bits 9:8.
    pub const WRITABLE: u32 = !(SWS | (0x3 << 8));
}

/// RCC_CIR: the ready-interrupt enables LSIRDYIE..PLLSAIRDYIE (the flags never set here).
pub mod cir {
    pub const WRITABLE: u32 = 0x7F << 8;
}

/// RCC_AHB1ENR / AHB1RSTR bits (the same positions in both).
pub mod ahb1 {
    /// GPIOA..GPIOK: bit k for port k.
    pub const GPIO_PORTS: u32 = 11;
    pub const DTCMRAMEN: u32 = 1 << 20;
    pub const ENR_RESET: u32 = DTCMRAMEN;
}

/// RCC_APB1ENR / APB1RSTR bits.
pub mod apb1 {
    pub const USART3: u32 = 1 << 18;
    pub const PWR: u32 = 1 << 28;
}

/// RCC_APB2ENR / APB2RSTR bits.
pub mod apb2 {
    pub const SYSCFG: u32 = 1 << 14;
}

/// RCC_BDCR bits.
pub mod bdcr {
    pub const LSEON: u32 = 1 << 0;
    pub const LSERDY: u32 = 1 << 1;
    pub const LSEBYP: u32 = 1 << 2;
    pub const LSEDRV: u32 = 0x3 << 3;
    pub const RTCSEL: u32 = 0x3 << 8;
    pub const RTCEN: u32 = 1 << 15;
    pub const BDRST: u32 = 1 << 16;
    pub const WRITABLE: u32 = LSEON | LSEBYP | LSEDRV | RTCSEL | RTCEN | BDRST;
}

/// RCC_CSR bits.
pub mod csr {
    pub const LSION: u32 = 1 << 0;
    pub const LSIRDY: u32 = 1 << 1;
    pub const RMVF: u32 = 1 << 24;
    pub const BORRSTF: u32 = 1 << 25;
    pub const PINRSTF: u32 = 1 << 26;
    pub const PORRSTF: u32 = 1 << 27;
    pub const SFTRSTF: u32 = 1 << 28;
    pub const IWDGRSTF: u32 = 1 << 29;
    pub const WWDGRSTF: u32 = 1 << 30;
    pub const LPWRRSTF: u32 = 1 << 31;
    pub const FLAGS: super::ResetFlags = super::ResetFlags {
        all: BORRSTF | PINRSTF | PORRSTF | SFTRSTF | IWDGRSTF | WWDGRSTF | LPWRRSTF,
        power_on: PORRSTF | BORRSTF | PINRSTF,
        pin: PINRSTF,
        software: SFTRSTF | PINRSTF,
        option_load: PINRSTF,
    };
}

fn plain_registers() -> PlainRegisters {
    use reg::*;
    PlainRegisters::new(&[
        PlainRegister::new(PLLCFGR, pllcfgr::RESET).with_writable(pllcfgr::WRITABLE),
        PlainRegister::new(CIR, 0).with_writable(cir::WRITABLE),
        PlainRegister::new(AHB1RSTR, 0),
        PlainRegister::new(AHB2RSTR, 0),
        PlainRegister::new(AHB3RSTR, 0),
        PlainRegister::new(APB1RSTR, 0),
        PlainRegister::new(APB2RSTR, 0),
        PlainRegister::new(AHB1ENR, ahb1::ENR_RESET),
        PlainRegister::new(AHB2ENR, 0),
        PlainRegister::new(AHB3ENR, 0),
        PlainRegister::new(APB1ENR, 0),
        PlainRegister::new(APB2ENR, 0),
        PlainRegister::new(AHB1LPENR, 0),
        PlainRegister::new(AHB2LPENR, 0),
        PlainRegister::new(AHB3LPENR, 0),
        PlainRegister::new(APB1LPENR, 0),
        PlainRegister::new(APB2LPENR, 0),
        PlainRegister::new(SSCGR, 0),
        PlainRegister::new(PLLI2SCFGR, 0),
        PlainRegister::new(PLLSAICFGR, 0),
        PlainRegister::new(DCKCFGR1, 0),
        PlainRegister::new(DCKCFGR2, 0),
    ])
}

/// The F7 RCC.
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
            sws: cfgr::SW_HSI,
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
        self.sws = cfgr::SW_HSI;
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

    pub fn read(&mut self, offset: u32) -> u32 {
        match offset {
            reg::CR => self.cr,
            reg::CFGR => self.cfgr | (self.sws << cfgr::SWS_SHIFT),
            reg::BDCR => self.bdcr,
            reg::CSR => self.csr,
            _ => self.plain.get(offset),
        }
    }

    /// Writes a register; `backup_writable` is PWR_CR1.DBP (BDCR is write-protected without it).
    pub fn write(&mut self, offset: u32, value: u32, lanes: u32, backup_writable: bool) {
        match offset {
            reg::CR => self.write_cr(value, lanes),
            reg::CFGR => {
                self.cfgr = merge_writable(self.cfgr, value, lanes, cfgr::WRITABLE);
                self.switch_clock();
            }
            reg::BDCR if backup_writable => self.write_bdcr(value, lanes),
            reg::BDCR => log::debug!("sim: RCC_BDCR write ignored: PWR_CR1.DBP is clear"),
            reg::CSR => self.write_csr(value & lanes),
            _ => {
                self.plain.write(offset, value, lanes);
            }
        }
    }

    fn write_cr(&mut self, value: u32, lanes: u32) {
        let mut cr = merge_writable(self.cr, value, lanes, cr::WRITABLE);
        // The clocks SYSCLK runs from stay on.
        let pll_from_hse = self.plain.get(reg::PLLCFGR) & pllcfgr::PLLSRC != 0;
        cr |= match self.sws {
            cfgr::SW_HSI => cr::HSION,
            cfgr::SW_HSE => cr::HSEON,
            cfgr::SW_PLL if pll_from_hse => cr::PLLON | cr::HSEON,
            cfgr::SW_PLL => cr::PLLON | cr::HSION,
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
    }

    fn write_csr(&mut self, value: u32) {
        let mut flags = self.csr & csr::FLAGS.all;
        if value & csr::RMVF != 0 {
            flags = 0;
        }
        self.csr = ready_follows(flags | (value & csr::LSION), &[(csr::LSION, csr::LSIRDY)]);
    }

    /// SWS takes SW's value once that clock is ready.
    fn switch_clock(&mut self) {
        let sw = self.cfgr & cfgr::SW;
        let ready = match sw {
            cfgr::SW_HSI => self.cr & cr::HSIRDY != 0,
            cfgr::SW_HSE => self.cr & cr::HSERDY != 0,
            cfgr::SW_PLL => self.cr & cr::PLLRDY != 0,
            _ => false, // not allowed
        };
        if ready {
            self.sws = sw;
        }
    }

    /// Whether the main PLL is locked (PWR's VOSRDY waits for it).
    pub fn pll_ready(&self) -> bool {
        self.cr & cr::PLLRDY != 0
    }

    /// The main PLL's P output: (HSI or HSE) / M × N / P. 0 with M = 0 (invalid).
    pub fn pll_p_hz(&self) -> u32 {
        let cfg = self.plain.get(reg::PLLCFGR);
        let source = if cfg & pllcfgr::PLLSRC != 0 {
            HSE_HZ
        } else {
            HSI_HZ
        };
        let m = u64::from((cfg & pllcfgr::PLLM) >> pllcfgr::PLLM_SHIFT);
        let n = u64::from((cfg & pllcfgr::PLLN) >> pllcfgr::PLLN_SHIFT);
        let p = 2 * (u64::from((cfg & pllcfgr::PLLP) >> pllcfgr::PLLP_SHIFT) + 1);
        if m == 0 {
            return 0;
        }
        (u64::from(source) * n / (m * p)) as u32
    }

    /// SYSCLK from the clock SWS reports.
    pub fn sysclk_hz(&self) -> u32 {
        match self.sws {
            cfgr::SW_HSE => HSE_HZ,
            cfgr::SW_PLL => self.pll_p_hz(),
            _ => HSI_HZ,
        }
    }

    /// HCLK (the core clock): SYSCLK / the AHB prescaler (HPRE).
    pub fn hclk_hz(&self) -> u32 {
        self.sysclk_hz() / ahb_divider((self.cfgr >> cfgr::HPRE_SHIFT) & 0xF)
    }

    /// PCLK1 (USART3's default kernel clock): HCLK / the APB1 prescaler (PPRE1).
    pub fn pclk1_hz(&self) -> u32 {
        self.hclk_hz() / apb_divider((self.cfgr >> cfgr::PPRE1_SHIFT) & 0x7)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u32 = 0xFFFF_FFFF;

    fn write(rcc: &mut Rcc, offset: u32, value: u32) {
        rcc.write(offset, value, ALL, false);
    }

    #[test]
    fn reset_values() {
        let mut rcc = Rcc::new();
        assert_eq!(rcc.read(reg::CR), 0x0000_0083);
        assert_eq!(rcc.read(reg::PLLCFGR), 0x2400_3010);
        assert_eq!(rcc.read(reg::CFGR), 0);
        assert_eq!(rcc.read(reg::AHB1ENR), 0x0010_0000);
        assert_eq!(rcc.read(reg::APB1ENR), 0);
        assert_eq!(rcc.read(reg::BDCR), 0);
        assert_eq!(rcc.read(reg::CSR), 0x0E00_0000);
        assert_eq!(rcc.hclk_hz(), 16_000_000, "HSI at reset");
    }

    #[test]
    fn ready_flags_follow_their_enable_bits() {
        let mut rcc = Rcc::new();
        write(
            &mut rcc,
            reg::CR,
            cr::RESET | cr::HSEON | cr::PLLON | cr::PLLSAION,
        );
        let v = rcc.read(reg::CR);
        assert_eq!(
            v & (cr::HSERDY | cr::PLLRDY | cr::PLLSAIRDY | cr::PLLI2SRDY),
            cr::HSERDY | cr::PLLRDY | cr::PLLSAIRDY
        );
        write(&mut rcc, reg::CR, cr::RESET);
        assert_eq!(rcc.read(reg::CR) & (cr::HSERDY | cr::PLLRDY), 0);
        // The ready bits themselves are read-only.
        write(&mut rcc, reg::CR, cr::HSION | cr::PLLRDY);
        assert_eq!(rcc.read(reg::CR) & cr::PLLRDY, 0);
        write(&mut rcc, reg::CSR, csr::LSION);
        assert_eq!(rcc.read(reg::CSR) & csr::LSIRDY, csr::LSIRDY);
    }

    #[test]
    fn sws_follows_sw_once_the_clock_is_ready() {
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::CFGR, cfgr::SW_PLL);
        assert_eq!(
            rcc.read(reg::CFGR) & cfgr::SWS,
            0,
            "PLL not ready: still HSI"
        );
        write(&mut rcc, reg::CR, cr::RESET | cr::PLLON);
        assert_eq!(
            rcc.read(reg::CFGR) & cfgr::SWS,
            0x8,
            "switches when the PLL locks"
        );
        // The PLL drives SYSCLK: it cannot be switched off, and neither can its source.
        write(&mut rcc, reg::CR, 0);
        assert_eq!(
            rcc.read(reg::CR) & (cr::PLLRDY | cr::HSIRDY),
            cr::PLLRDY | cr::HSIRDY
        );
        write(&mut rcc, reg::CFGR, cfgr::SW_HSI);
        assert_eq!(rcc.read(reg::CFGR) & cfgr::SWS, 0);
        write(&mut rcc, reg::CFGR, 3);
        assert_eq!(
            rcc.read(reg::CFGR) & cfgr::SWS,
            0,
            "SW = 3 switches nothing"
        );
        // SWS is read-only.
        write(&mut rcc, reg::CFGR, cfgr::SWS);
        assert_eq!(rcc.read(reg::CFGR), 0);
    }

    #[test]
    fn the_vendor_216_mhz_configurations() {
        // CubeMX NUCLEO-F767ZI: HSE bypass 8 MHz, M = 4, N = 216, P = /2, Q = 9; AHB /1,
        // APB1 /4, APB2 /2.
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::CR, cr::RESET | cr::HSEON | cr::HSEBYP);
        write(
            &mut rcc,
            reg::PLLCFGR,
            pllcfgr::PLLSRC | (9 << pllcfgr::PLLQ_SHIFT) | (216 << pllcfgr::PLLN_SHIFT) | 4,
        );
        write(
            &mut rcc,
            reg::CR,
            cr::RESET | cr::HSEON | cr::HSEBYP | cr::PLLON,
        );
        write(
            &mut rcc,
            reg::CFGR,
            (0b101 << cfgr::PPRE1_SHIFT) | (0b100 << cfgr::PPRE2_SHIFT) | cfgr::SW_PLL,
        );
        assert_eq!(
            rcc.read(reg::CFGR) & cfgr::SWS,
            cfgr::SW_PLL << cfgr::SWS_SHIFT
        );
        assert_eq!(rcc.sysclk_hz(), 216_000_000);
        assert_eq!(rcc.hclk_hz(), 216_000_000);
        assert_eq!(rcc.pclk1_hz(), 54_000_000);
        // From HSI: M = 8, N = 216, P = /2.
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::PLLCFGR, (216 << pllcfgr::PLLN_SHIFT) | 8);
        write(&mut rcc, reg::CR, cr::RESET | cr::PLLON);
        write(&mut rcc, reg::CFGR, cfgr::SW_PLL);
        assert_eq!(rcc.hclk_hz(), 216_000_000);
        // HPRE /2.
        write(
            &mut rcc,
            reg::CFGR,
            (0b1000 << cfgr::HPRE_SHIFT) | cfgr::SW_PLL,
        );
        assert_eq!(rcc.hclk_hz(), 108_000_000);
        // Switched to HSE.
        write(&mut rcc, reg::CR, cr::RESET | cr::PLLON | cr::HSEON);
        write(&mut rcc, reg::CFGR, cfgr::SW_HSE);
        assert_eq!(rcc.sysclk_hz(), HSE_HZ);
    }

    #[test]
    fn bdcr_needs_dbp_and_survives_a_system_reset() {
        let mut rcc = Rcc::new();
        rcc.write(reg::BDCR, bdcr::LSEON, ALL, false);
        assert_eq!(rcc.read(reg::BDCR), 0, "write-protected");
        rcc.write(reg::BDCR, bdcr::LSEON | bdcr::RTCEN, ALL, true);
        assert_eq!(
            rcc.read(reg::BDCR),
            bdcr::LSEON | bdcr::LSERDY | bdcr::RTCEN
        );
        rcc.reset(ResetCause::Software);
        assert_eq!(
            rcc.read(reg::BDCR),
            bdcr::LSEON | bdcr::LSERDY | bdcr::RTCEN
        );
        rcc.write(reg::BDCR, bdcr::BDRST | bdcr::LSEON, ALL, true);
        assert_eq!(rcc.read(reg::BDCR), bdcr::BDRST);
        rcc.write(reg::BDCR, 0, ALL, true);
        assert_eq!(rcc.read(reg::BDCR), 0);
        rcc.write(reg::BDCR, bdcr::LSEON, ALL, true);
        rcc.reset(ResetCause::PowerOn);
        assert_eq!(
            rcc.read(reg::BDCR),
            0,
            "a power-on resets the backup domain"
        );
    }

    #[test]
    fn csr_records_the_reset_cause_until_rmvf() {
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::CSR, csr::RMVF);
        assert_eq!(rcc.read(reg::CSR), 0);
        rcc.reset(ResetCause::Software);
        assert_eq!(rcc.read(reg::CSR), csr::SFTRSTF | csr::PINRSTF);
        rcc.reset(ResetCause::Pin);
        assert_eq!(rcc.read(reg::CSR), csr::SFTRSTF | csr::PINRSTF);
        write(&mut rcc, reg::CSR, csr::RMVF);
        rcc.reset(ResetCause::Pin);
        assert_eq!(rcc.read(reg::CSR), csr::PINRSTF);
        rcc.reset(ResetCause::PowerOn);
        assert_eq!(rcc.read(reg::CSR), 0x0E00_0000);
        // LSI is off after any reset.
        write(&mut rcc, reg::CSR, csr::LSION);
        rcc.reset(ResetCause::Software);
        assert_eq!(rcc.read(reg::CSR) & (csr::LSION | csr::LSIRDY), 0);
    }

    #[test]
    fn a_system_reset_restores_the_clock_tree() {
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::CR, cr::RESET | cr::PLLON);
        write(&mut rcc, reg::CFGR, cfgr::SW_PLL);
        write(&mut rcc, reg::APB1ENR, apb1::USART3 | apb1::PWR);
        rcc.reset(ResetCause::Software);
        assert_eq!(rcc.read(reg::CR), cr::RESET);
        assert_eq!(rcc.read(reg::CFGR), 0);
        assert_eq!(rcc.read(reg::APB1ENR), 0);
        assert_eq!(rcc.sysclk_hz(), HSI_HZ);
    }
}
