//! RCC of the simulated STM32G47x/G48x at 0x4002_1000 (`real-firmware-on-the-sim.md` §3.2;
//! offsets and bit positions DG4 `stm32g474xx.h`, reset values as the reference gives them).
//!
//! - Every ready flag follows its enable bit at once: HSIRDY, HSERDY, PLLRDY (RCC_CR),
//!   HSI48RDY (RCC_CRRCR), LSERDY (RCC_BDCR), LSIRDY (RCC_CSR).
//! - CFGR.SWS follows CFGR.SW (1 HSI16, 2 HSE, 3 PLL) once the selected clock is ready; SW = 0
//!   is reserved and switches nothing. The clocks SYSCLK runs from cannot be switched off
//!   (RM0440 rule, not in the reference: UNVERIFIED).
//! - CR resets to 0x0000_0500 (HSION, HSIRDY: derived in the reference, UNVERIFIED), CFGR to
//!   0x0000_0005, PLLCFGR to 0x0000_1000, AHB1ENR to 0x100 (FLASHEN), APB1ENR1 to 0x400
//!   (RTCAPBEN), CSR to 0x0C00_0000; ICSCR to 0x4000_0000 (HSITRIM = 64; HSICAL reads 0).
//! - BDCR changes only while PWR_CR1.DBP is set; BDRST holds the backup domain in reset; the
//!   backup domain is reset only by a power-on.
//! - CSR reset flags: power-on → BORRSTF | PINRSTF; NRST → PINRSTF; software reset → SFTRSTF |
//!   PINRSTF; OBL_LAUNCH → OBLRSTF | PINRSTF (an internal reset drives NRST low: UNVERIFIED);
//!   RMVF clears them (and reads 0).
//! - [`Rcc::sysclk_hz`], [`Rcc::hclk_hz`], [`Rcc::pclk1_hz`]: the clock tree from SWS, PLL
//!   source / M × N / R, HPRE, PPRE1; HSI16 16 MHz, HSE [`HSE_HZ`]. PLLREN is not checked.
//!
//! Reset values of registers the reference does not give (the SMENR and RSTR groups, CCIPR,
//! CCIPR2, CRRCR) are 0 here: UNVERIFIED (on silicon the SMENRs reset with most bits set).

use crate::sim::periph::{
    ahb_divider, apb_divider, merge_writable, ready_follows, PlainRegister, PlainRegisters,
    ResetCause, ResetFlags,
};

/// HSI16 frequency.
pub const HSI_HZ: u32 = 16_000_000;
/// HSE frequency of a NUCLEO-G474RE: its 24 MHz crystal (board fact, not in the reference:
/// UNVERIFIED).
pub const HSE_HZ: u32 = 24_000_000;

/// Register offsets from 0x4002_1000.
pub mod reg {
    pub const CR: u32 = 0x00;
    pub const ICSCR: u32 = 0x04;
    pub const CFGR: u32 = 0x08;
    pub const PLLCFGR: u32 = 0x0C;
    pub const CIER: u32 = 0x18;
    pub const CIFR: u32 = 0x1C;
    pub const CICR: u32 = 0x20;
    pub const AHB1RSTR: u32 = 0x28;
    pub const AHB2RSTR: u32 = 0x2C;
    pub const AHB3RSTR: u32 = 0x30;
    pub const APB1RSTR1: u32 = 0x38;
    pub const APB1RSTR2: u32 = 0x3C;
    pub const APB2RSTR: u32 = 0x40;
    pub const AHB1ENR: u32 = 0x48;
    pub const AHB2ENR: u32 = 0x4C;
    pub const AHB3ENR: u32 = 0x50;
    pub const APB1ENR1: u32 = 0x58;
    pub const APB1ENR2: u32 = 0x5C;
    pub const APB2ENR: u32 = 0x60;
    pub const AHB1SMENR: u32 = 0x68;
    pub const AHB2SMENR: u32 = 0x6C;
    pub const AHB3SMENR: u32 = 0x70;
    pub const APB1SMENR1: u32 = 0x78;
    pub const APB1SMENR2: u32 = 0x7C;
    pub const APB2SMENR: u32 = 0x80;
    pub const CCIPR: u32 = 0x88;
    pub const BDCR: u32 = 0x90;
    pub const CSR: u32 = 0x94;
    pub const CRRCR: u32 = 0x98;
    pub const CCIPR2: u32 = 0x9C;
}

/// RCC_CR bits.
pub mod cr {
    pub const HSION: u32 = 1 << 8;
    pub const HSIKERON: u32 = 1 << 9;
    pub const HSIRDY: u32 = 1 << 10;
    pub const HSEON: u32 = 1 << 16;
    pub const HSERDY: u32 = 1 << 17;
    pub const HSEBYP: u32 = 1 << 18;
    pub const CSSON: u32 = 1 << 19;
    pub const PLLON: u32 = 1 << 24;
    pub const PLLRDY: u32 = 1 << 25;
    pub const WRITABLE: u32 = HSION | HSIKERON | HSEON | HSEBYP | CSSON | PLLON;
    pub const READY: [(u32, u32); 3] = [(HSION, HSIRDY), (HSEON, HSERDY), (PLLON, PLLRDY)];
    pub const RESET: u32 = HSION | HSIRDY;
}

/// RCC_ICSCR fields.
pub mod icscr {
    pub const HSICAL_SHIFT: u32 = 16;
    pub const HSITRIM_SHIFT: u32 = 24;
    pub const HSITRIM: u32 = 0x7F << HSITRIM_SHIFT;
    /// HSITRIM = 64, HSICAL = 0.
    pub const RESET: u32 = 0x4000_0000;
}

/// RCC_CFGR fields.
pub mod cfgr {
    pub const SW: u32 = 0x3;
    pub const SWS_SHIFT: u32 = 2;
    pub const SWS: u32 = 0x3 << SWS_SHIFT;
    pub const HPRE_SHIFT: u32 = 4;
    pub const PPRE1_SHIFT: u32 = 8;
    pub const PPRE2_SHIFT: u32 = 11;
    pub const SW_HSI: u32 = 1;
    pub const SW_HSE: u32 = 2;
    pub const SW_PLL: u32 = 3;
    /// SW, HPRE, PPRE1, PPRE2, MCOSEL, MCOPRE.
    pub const WRITABLE: u32 = 0x7F00_3FF3;
    /// SW = SWS = HSI16.
    pub const RESET: u32 = SW_HSI | (SW_HSI << SWS_SHIFT);
}

/// RCC_PLLCFGR fields.
pub mod pllcfgr {
    /// PLLSRC[1:0]: 0 none, 2 HSI16, 3 HSE.
    pub const PLLSRC: u32 = 0x3;
    pub const PLLSRC_HSI: u32 = 2;
    pub const PLLSRC_HSE: u32 = 3;
    /// PLLM[7:4] = M − 1.
    pub const PLLM_SHIFT: u32 = 4;
    pub const PLLM: u32 = 0xF << PLLM_SHIFT;
    pub const PLLN_SHIFT: u32 = 8;
    pub const PLLN: u32 = 0x7F << PLLN_SHIFT;
    pub const PLLPEN: u32 = 1 << 16;
    pub const PLLQEN: u32 = 1 << 20;
    pub const PLLREN: u32 = 1 << 24;
    /// PLLR[26:25]: 0 = /2, 1 = /4, 2 = /6, 3 = /8.
    pub const PLLR_SHIFT: u32 = 25;
    pub const PLLR: u32 = 0x3 << PLLR_SHIFT;
    /// PLLSRC, PLLM, PLLN, PLLPEN, PLLP, PLLQEN, PLLQ, PLLREN, PLLR, PLLPDIV.
    pub const WRITABLE: u32 = 0xFF77_7FF3;
    /// PLLN = 16.
    pub const RESET: u32 = 0x0000_1000;
}

/// RCC_CIER: LSIRDYIE, LSERDYIE, HSIRDYIE, HSERDYIE, PLLRDYIE, LSECSSIE, HSI48RDYIE.
pub mod cier {
    pub const WRITABLE: u32 = 0x063B;
}

/// RCC_AHB1ENR bits.
pub mod ahb1 {
    pub const FLASHEN: u32 = 1 << 8;
}

/// RCC_AHB2ENR / AHB2RSTR bits: GPIOA..GPIOG at bit k for port k.
pub mod ahb2 {
    pub const GPIO_PORTS: u32 = 7;
}

/// RCC_APB1ENR1 / APB1RSTR1 bits.
pub mod apb1_1 {
    pub const RTCAPBEN: u32 = 1 << 10;
    pub const PWR: u32 = 1 << 28;
}

/// RCC_APB1ENR2 / APB1RSTR2 bits.
pub mod apb1_2 {
    pub const LPUART1: u32 = 1 << 0;
}

/// RCC_APB2ENR bits.
pub mod apb2 {
    pub const SYSCFG: u32 = 1 << 0;
}

/// RCC_BDCR bits.
pub mod bdcr {
    pub const LSEON: u32 = 1 << 0;
    pub const LSERDY: u32 = 1 << 1;
    pub const LSEBYP: u32 = 1 << 2;
    pub const LSEDRV: u32 = 0x3 << 3;
    pub const LSECSSON: u32 = 1 << 5;
    pub const RTCSEL: u32 = 0x3 << 8;
    pub const RTCEN: u32 = 1 << 15;
    pub const BDRST: u32 = 1 << 16;
    pub const LSCOEN: u32 = 1 << 24;
    pub const LSCOSEL: u32 = 1 << 25;
    pub const WRITABLE: u32 =
        LSEON | LSEBYP | LSEDRV | LSECSSON | RTCSEL | RTCEN | BDRST | LSCOEN | LSCOSEL;
}

/// RCC_CSR bits.
pub mod csr {
    pub const LSION: u32 = 1 << 0;
    pub const LSIRDY: u32 = 1 << 1;
    pub const RMVF: u32 = 1 << 23;
    pub const OBLRSTF: u32 = 1 << 25;
    pub const PINRSTF: u32 = 1 << 26;
    pub const BORRSTF: u32 = 1 << 27;
    pub const SFTRSTF: u32 = 1 << 28;
    pub const IWDGRSTF: u32 = 1 << 29;
    pub const WWDGRSTF: u32 = 1 << 30;
    pub const LPWRRSTF: u32 = 1 << 31;
    pub const FLAGS: super::ResetFlags = super::ResetFlags {
        all: OBLRSTF | PINRSTF | BORRSTF | SFTRSTF | IWDGRSTF | WWDGRSTF | LPWRRSTF,
        power_on: BORRSTF | PINRSTF,
        pin: PINRSTF,
        software: SFTRSTF | PINRSTF,
        option_load: OBLRSTF | PINRSTF,
    };
}

/// RCC_CRRCR bits.
pub mod crrcr {
    pub const HSI48ON: u32 = 1 << 0;
    pub const HSI48RDY: u32 = 1 << 1;
}

fn plain_registers() -> PlainRegisters {
    use reg::*;
    PlainRegisters::new(&[
        PlainRegister::new(ICSCR, icscr::RESET).with_writable(icscr::HSITRIM),
        PlainRegister::new(PLLCFGR, pllcfgr::RESET).with_writable(pllcfgr::WRITABLE),
        PlainRegister::new(CIER, 0).with_writable(cier::WRITABLE),
        PlainRegister::new(CIFR, 0).with_writable(0),
        PlainRegister::new(CICR, 0).with_writable(0),
        PlainRegister::new(AHB1RSTR, 0),
        PlainRegister::new(AHB2RSTR, 0),
        PlainRegister::new(AHB3RSTR, 0),
        PlainRegister::new(APB1RSTR1, 0),
        PlainRegister::new(APB1RSTR2, 0),
        PlainRegister::new(APB2RSTR, 0),
        PlainRegister::new(AHB1ENR, ahb1::FLASHEN),
        PlainRegister::new(AHB2ENR, 0),
        PlainRegister::new(AHB3ENR, 0),
        PlainRegister::new(APB1ENR1, apb1_1::RTCAPBEN),
        PlainRegister::new(APB1ENR2, 0),
        PlainRegister::new(APB2ENR, 0),
        PlainRegister::new(AHB1SMENR, 0),
        PlainRegister::new(AHB2SMENR, 0),
        PlainRegister::new(AHB3SMENR, 0),
        PlainRegister::new(APB1SMENR1, 0),
        PlainRegister::new(APB1SMENR2, 0),
        PlainRegister::new(APB2SMENR, 0),
        PlainRegister::new(CCIPR, 0),
        PlainRegister::new(CCIPR2, 0),
    ])
}

/// The G4 RCC.
#[derive(Debug, Clone)]
pub struct Rcc {
    cr: u32,
    cfgr: u32,
    /// The clock SYSCLK runs from (CFGR.SWS).
    sws: u32,
    crrcr: u32,
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
            crrcr: 0,
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
        self.cfgr = cfgr::RESET & cfgr::SW;
        self.sws = cfgr::SW_HSI;
        self.crrcr = 0;
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
            reg::CRRCR => self.crrcr,
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
            reg::CRRCR => {
                let v = merge_writable(self.crrcr, value, lanes, crrcr::HSI48ON);
                self.crrcr = ready_follows(v, &[(crrcr::HSI48ON, crrcr::HSI48RDY)]);
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
        let pll_source = self.plain.get(reg::PLLCFGR) & pllcfgr::PLLSRC;
        cr |= match (self.sws, pll_source) {
            (cfgr::SW_HSI, _) => cr::HSION,
            (cfgr::SW_HSE, _) => cr::HSEON,
            (cfgr::SW_PLL, pllcfgr::PLLSRC_HSI) => cr::PLLON | cr::HSION,
            (cfgr::SW_PLL, pllcfgr::PLLSRC_HSE) => cr::PLLON | cr::HSEON,
            (cfgr::SW_PLL, _) => cr::PLLON,
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
            _ => false, // reserved
        };
        if ready {
            self.sws = sw;
        }
    }

    /// The main PLL's R output: source / M × N / R. 0 without a source.
    pub fn pll_r_hz(&self) -> u32 {
        let cfg = self.plain.get(reg::PLLCFGR);
        let source = match cfg & pllcfgr::PLLSRC {
            pllcfgr::PLLSRC_HSI => HSI_HZ,
            pllcfgr::PLLSRC_HSE => HSE_HZ,
            _ => return 0,
        };
        let m = u64::from((cfg & pllcfgr::PLLM) >> pllcfgr::PLLM_SHIFT) + 1;
        let n = u64::from((cfg & pllcfgr::PLLN) >> pllcfgr::PLLN_SHIFT);
        let r = 2 * (u64::from((cfg & pllcfgr::PLLR) >> pllcfgr::PLLR_SHIFT) + 1);
        (u64::from(source) * n / (m * r)) as u32
    }

    /// SYSCLK from the clock SWS reports.
    pub fn sysclk_hz(&self) -> u32 {
        match self.sws {
            cfgr::SW_HSE => HSE_HZ,
            cfgr::SW_PLL => self.pll_r_hz(),
            _ => HSI_HZ,
        }
    }

    /// HCLK (the core clock): SYSCLK / the AHB prescaler (HPRE).
    pub fn hclk_hz(&self) -> u32 {
        self.sysclk_hz() / ahb_divider((self.cfgr >> cfgr::HPRE_SHIFT) & 0xF)
    }

    /// PCLK1 (LPUART1's default kernel clock): HCLK / the APB1 prescaler (PPRE1).
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
        assert_eq!(rcc.read(reg::CR), 0x0000_0500);
        assert_eq!(rcc.read(reg::ICSCR), 0x4000_0000);
        assert_eq!(rcc.read(reg::CFGR), 0x0000_0005);
        assert_eq!(rcc.read(reg::PLLCFGR), 0x0000_1000);
        assert_eq!(rcc.read(reg::AHB1ENR), 0x100);
        assert_eq!(rcc.read(reg::APB1ENR1), 0x400);
        assert_eq!(rcc.read(reg::CCIPR), 0);
        assert_eq!(rcc.read(reg::BDCR), 0);
        assert_eq!(rcc.read(reg::CSR), 0x0C00_0000);
        assert_eq!(rcc.hclk_hz(), 16_000_000, "HSI16 at reset");
    }

    #[test]
    fn ready_flags_follow_their_enable_bits() {
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::CR, cr::RESET | cr::HSEON | cr::PLLON);
        assert_eq!(
            rcc.read(reg::CR) & (cr::HSERDY | cr::PLLRDY),
            cr::HSERDY | cr::PLLRDY
        );
        write(&mut rcc, reg::CR, cr::HSION);
        assert_eq!(rcc.read(reg::CR), cr::HSION | cr::HSIRDY);
        write(&mut rcc, reg::CRRCR, crrcr::HSI48ON);
        assert_eq!(rcc.read(reg::CRRCR), crrcr::HSI48ON | crrcr::HSI48RDY);
        write(&mut rcc, reg::CSR, csr::LSION);
        assert_eq!(rcc.read(reg::CSR) & csr::LSIRDY, csr::LSIRDY);
        // HSI16 drives SYSCLK: it stays on.
        write(&mut rcc, reg::CR, 0);
        assert_eq!(rcc.read(reg::CR), cr::HSION | cr::HSIRDY);
    }

    #[test]
    fn sws_follows_sw_once_the_clock_is_ready() {
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::CFGR, cfgr::SW_HSE);
        assert_eq!(
            rcc.read(reg::CFGR) & cfgr::SWS,
            cfgr::SW_HSI << cfgr::SWS_SHIFT
        );
        write(&mut rcc, reg::CR, cr::RESET | cr::HSEON);
        assert_eq!(
            rcc.read(reg::CFGR) & cfgr::SWS,
            cfgr::SW_HSE << cfgr::SWS_SHIFT
        );
        write(&mut rcc, reg::CFGR, 0);
        assert_eq!(
            rcc.read(reg::CFGR) & cfgr::SWS,
            cfgr::SW_HSE << cfgr::SWS_SHIFT,
            "SW = 0 is reserved"
        );
    }

    #[test]
    fn the_vendor_170_mhz_configuration() {
        // CubeMX NUCLEO-G474RE LL: HSI16 / 4 × 85 / 2, PLLREN; SW = PLL with HPRE /2 during the
        // switch, then /1.
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::ICSCR, 64 << icscr::HSITRIM_SHIFT);
        write(&mut rcc, reg::PLLCFGR, 0x0100_5532);
        assert_eq!(rcc.read(reg::PLLCFGR), 0x0100_5532);
        write(&mut rcc, reg::CR, cr::RESET | cr::PLLON);
        assert_eq!(rcc.read(reg::CR) & cr::PLLRDY, cr::PLLRDY);
        write(
            &mut rcc,
            reg::CFGR,
            (0b1000 << cfgr::HPRE_SHIFT) | cfgr::SW_PLL,
        );
        assert_eq!(rcc.read(reg::CFGR) & cfgr::SWS, 0xC);
        assert_eq!(rcc.hclk_hz(), 85_000_000);
        write(&mut rcc, reg::CFGR, cfgr::SW_PLL);
        assert_eq!(rcc.sysclk_hz(), 170_000_000);
        assert_eq!(rcc.hclk_hz(), 170_000_000);
        assert_eq!(rcc.pclk1_hz(), 170_000_000);
        // From HSE 24 MHz: /6 × 85 / 2.
        write(&mut rcc, reg::CR, cr::RESET | cr::PLLON | cr::HSEON);
        write(&mut rcc, reg::CFGR, cfgr::SW_HSI);
        write(&mut rcc, reg::CR, cr::RESET | cr::HSEON);
        write(
            &mut rcc,
            reg::PLLCFGR,
            pllcfgr::PLLREN | (85 << pllcfgr::PLLN_SHIFT) | (5 << pllcfgr::PLLM_SHIFT) | 3,
        );
        write(&mut rcc, reg::CR, cr::RESET | cr::HSEON | cr::PLLON);
        write(&mut rcc, reg::CFGR, cfgr::SW_PLL);
        assert_eq!(rcc.hclk_hz(), 170_000_000);
    }

    #[test]
    fn csr_records_the_reset_cause_until_rmvf() {
        let mut rcc = Rcc::new();
        write(&mut rcc, reg::CSR, csr::RMVF);
        assert_eq!(rcc.read(reg::CSR), 0);
        rcc.reset(ResetCause::OptionLoad);
        assert_eq!(rcc.read(reg::CSR), csr::OBLRSTF | csr::PINRSTF);
        rcc.reset(ResetCause::Software);
        assert_eq!(
            rcc.read(reg::CSR),
            csr::OBLRSTF | csr::SFTRSTF | csr::PINRSTF
        );
        rcc.reset(ResetCause::PowerOn);
        assert_eq!(rcc.read(reg::CSR), 0x0C00_0000);
    }

    #[test]
    fn bdcr_needs_dbp_and_survives_a_system_reset() {
        let mut rcc = Rcc::new();
        rcc.write(reg::BDCR, bdcr::LSEON, ALL, false);
        assert_eq!(rcc.read(reg::BDCR), 0);
        rcc.write(reg::BDCR, bdcr::LSEON, ALL, true);
        assert_eq!(rcc.read(reg::BDCR), bdcr::LSEON | bdcr::LSERDY);
        rcc.reset(ResetCause::Pin);
        assert_eq!(rcc.read(reg::BDCR), bdcr::LSEON | bdcr::LSERDY);
        rcc.write(reg::BDCR, bdcr::BDRST, ALL, true);
        assert_eq!(rcc.read(reg::BDCR), bdcr::BDRST);
    }
}
