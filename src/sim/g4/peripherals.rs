//! The STM32G47x/G48x boot peripherals on the bus (0x4000_0000–0x5FFF_FFFF, FLASH excepted,
//! which [`super::G4Model`] maps itself): RCC, PWR, GPIOA–GPIOG and LPUART1, the NUCLEO-G474RE
//! virtual COM port (IRQ 91). Everything else in the range (SYSCFG included: the vendor boot
//! path polls nothing there) reads as zero and ignores writes.
//!
//! A block whose RCC clock enable bit is clear, or whose RCC reset bit is set, reads as zero and
//! ignores writes, as an unclocked peripheral does on silicon (RCC itself is always clocked).

use super::pwr::Pwr;
use super::rcc::{self, Rcc};
use crate::sim::periph::gpio::{Gpio, PortReset};
use crate::sim::periph::uart_link::UartLink;
use crate::sim::periph::usart::{Usart, UsartKind};
use crate::sim::periph::{set_irq_line, BootPeripherals, IrqLines, IrqTracker, ResetCause};

/// Addresses (DG4 `stm32g474xx.h`).
pub mod map {
    pub const GPIOA: u32 = 0x4800_0000;
    /// GPIOA..GPIOG, 0x400 apart.
    pub const GPIO_STRIDE: u32 = 0x400;
    pub const GPIO_PORTS: usize = 7;
    pub const RCC: u32 = 0x4002_1000;
    pub const PWR: u32 = 0x4000_7000;
    pub const LPUART1: u32 = 0x4000_8000;
    /// The register window of each block.
    pub const BLOCK_SIZE: u32 = 0x400;
    /// LPUART1 global interrupt.
    pub const LPUART1_IRQ: usize = 91;
}

/// A modelled block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Rcc,
    Pwr,
    Gpio(usize),
    Lpuart1,
}

fn decode(address: u32) -> Option<(Block, u32)> {
    let in_block = |base: u32| (base..base + map::BLOCK_SIZE).contains(&address);
    let block = if in_block(map::RCC) {
        (Block::Rcc, map::RCC)
    } else if in_block(map::PWR) {
        (Block::Pwr, map::PWR)
    } else if in_block(map::LPUART1) {
        (Block::Lpuart1, map::LPUART1)
    } else {
        let port = address.checked_sub(map::GPIOA)? / map::GPIO_STRIDE;
        if port as usize >= map::GPIO_PORTS {
            return None;
        }
        (
            Block::Gpio(port as usize),
            map::GPIOA + port * map::GPIO_STRIDE,
        )
    };
    Some((block.0, address - block.1))
}

/// Reset values of port `k` (the reference §3.2: pins start analog, the debug pins PA13/14/15
/// and PB3/4 in their alternate function).
fn port_reset(k: usize) -> PortReset {
    match k {
        0 => PortReset {
            moder: 0xABFF_FFFF,
            ospeedr: 0x0C00_0000,
            pupdr: 0x6400_0000,
        },
        1 => PortReset {
            moder: 0xFFFF_FEBF,
            ospeedr: 0x0000_00C0,
            pupdr: 0x0000_0100,
        },
        _ => PortReset {
            moder: 0xFFFF_FFFF,
            ..PortReset::default()
        },
    }
}

/// The G4 boot peripherals.
#[derive(Debug)]
pub struct G4Peripherals {
    pub rcc: Rcc,
    pub pwr: Pwr,
    pub gpio: Vec<Gpio>,
    pub lpuart1: Usart,
    irq: IrqTracker,
}

impl Default for G4Peripherals {
    fn default() -> Self {
        Self::new()
    }
}

impl G4Peripherals {
    /// The peripherals after a power-on.
    pub fn new() -> Self {
        G4Peripherals {
            rcc: Rcc::new(),
            pwr: Pwr::new(),
            gpio: (0..map::GPIO_PORTS)
                .map(|k| Gpio::new(port_reset(k), true))
                .collect(),
            lpuart1: Usart::new(UsartKind::G4_LPUART1),
            irq: IrqTracker::default(),
        }
    }

    /// Whether `block` is clocked and out of reset.
    fn clocked(&self, block: Block) -> bool {
        let bit = |enr: u32, rstr: u32, mask: u32| {
            self.rcc.register(enr) & mask != 0 && self.rcc.register(rstr) & mask == 0
        };
        use rcc::reg::*;
        match block {
            Block::Rcc => true,
            Block::Pwr => bit(APB1ENR1, APB1RSTR1, rcc::apb1_1::PWR),
            Block::Lpuart1 => bit(APB1ENR2, APB1RSTR2, rcc::apb1_2::LPUART1),
            Block::Gpio(k) => bit(AHB2ENR, AHB2RSTR, 1 << k),
        }
    }

    /// Reads the word at `address` (0 for what is not modelled or not clocked).
    pub fn read(&mut self, address: u32) -> u32 {
        let Some((block, offset)) = decode(address) else {
            return 0;
        };
        if !self.clocked(block) {
            return 0;
        }
        match block {
            Block::Rcc => self.rcc.read(offset),
            Block::Pwr => self.pwr.read(offset),
            Block::Gpio(k) => self.gpio[k].read(offset),
            Block::Lpuart1 => self.lpuart1.read(offset),
        }
    }

    /// Writes the `lanes` of `value` to the word at `address`.
    pub fn write(&mut self, address: u32, value: u32, lanes: u32) {
        let Some((block, offset)) = decode(address) else {
            return;
        };
        if !self.clocked(block) {
            log::trace!("sim: write to unclocked peripheral at 0x{address:08X} ignored");
            return;
        }
        match block {
            Block::Rcc => {
                let backup = self.pwr.backup_writable();
                self.rcc.write(offset, value, lanes, backup);
                self.apply_rcc_resets();
            }
            Block::Pwr => self.pwr.write(offset, value, lanes),
            Block::Gpio(k) => self.gpio[k].write(offset, value, lanes),
            Block::Lpuart1 => self.lpuart1.write(offset, value, lanes),
        }
    }

    /// Blocks whose RCC reset bit is set are held in reset.
    fn apply_rcc_resets(&mut self) {
        let ahb2 = self.rcc.register(rcc::reg::AHB2RSTR);
        let apb1_1 = self.rcc.register(rcc::reg::APB1RSTR1);
        let apb1_2 = self.rcc.register(rcc::reg::APB1RSTR2);
        for (k, port) in self.gpio.iter_mut().enumerate() {
            if ahb2 & (1 << k) != 0 {
                port.reset();
            }
        }
        if apb1_1 & rcc::apb1_1::PWR != 0 {
            self.pwr.reset();
        }
        if apb1_2 & rcc::apb1_2::LPUART1 != 0 {
            self.lpuart1.reset();
        }
    }

}

impl BootPeripherals for G4Peripherals {
    /// A reset of `cause`: every block to its reset values (RCC keeps the backup domain and
    /// records the cause).
    fn reset(&mut self, cause: ResetCause) {
        self.rcc.reset(cause);
        self.pwr.reset();
        self.gpio.iter_mut().for_each(Gpio::reset);
        self.lpuart1.reset();
    }

    /// Connects LPUART1 (the virtual COM port) to `link`.
    fn attach_vcp(&mut self, link: UartLink) {
        link.set_uart_name(self.lpuart1.kind().name);
        self.lpuart1.attach(Box::new(link));
    }

    /// The interrupt lines now.
    fn irq_lines(&self) -> IrqLines {
        let mut lines = IrqLines::default();
        let lpuart1 = self.clocked(Block::Lpuart1) && self.lpuart1.irq();
        set_irq_line(&mut lines, map::LPUART1_IRQ, lpuart1);
        lines
    }

    /// One step of the peripherals' time (a UART character), then whether a line may have
    /// changed since the last call.
    fn irq_lines_changed(&mut self) -> bool {
        if self.clocked(Block::Lpuart1) {
            self.lpuart1.step();
        }
        let touched = self.lpuart1.take_touched();
        let lines = self.irq_lines();
        self.irq.changed(lines, touched)
    }

    /// HCLK, the core clock (16 MHz HSI16 at reset).
    fn core_clock_hz(&self) -> u32 {
        self.rcc.hclk_hz()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::periph::gpio;
    use crate::sim::periph::usart::{self, tests::Wire};

    const ALL: u32 = 0xFFFF_FFFF;
    const RCC_AHB2ENR: u32 = map::RCC + rcc::reg::AHB2ENR;
    const RCC_APB1ENR2: u32 = map::RCC + rcc::reg::APB1ENR2;

    #[test]
    fn decodes_the_blocks() {
        assert_eq!(decode(0x4002_1000), Some((Block::Rcc, 0)));
        assert_eq!(decode(0x4002_1094), Some((Block::Rcc, 0x94)));
        assert_eq!(decode(0x4000_7080), Some((Block::Pwr, 0x80)));
        assert_eq!(decode(0x4800_0818), Some((Block::Gpio(2), 0x18)));
        assert_eq!(decode(0x4800_1C00), None, "no GPIOH");
        assert_eq!(decode(0x4000_801C), Some((Block::Lpuart1, 0x1C)));
        assert_eq!(decode(0x4001_0000), None, "SYSCFG is not modelled");
    }

    #[test]
    fn gpio_reset_values_brr_and_clock_gating() {
        let mut p = G4Peripherals::new();
        assert_eq!(p.read(map::GPIOA), 0, "not clocked at reset");
        p.write(RCC_AHB2ENR, 0b111, ALL);
        let gpiob = map::GPIOA + map::GPIO_STRIDE;
        let gpioc = gpiob + map::GPIO_STRIDE;
        assert_eq!(p.read(map::GPIOA + gpio::reg::MODER), 0xABFF_FFFF);
        assert_eq!(p.read(map::GPIOA + gpio::reg::OSPEEDR), 0x0C00_0000);
        assert_eq!(p.read(map::GPIOA + gpio::reg::PUPDR), 0x6400_0000);
        assert_eq!(p.read(gpiob + gpio::reg::MODER), 0xFFFF_FEBF);
        assert_eq!(p.read(gpiob + gpio::reg::OSPEEDR), 0x0000_00C0);
        assert_eq!(p.read(gpiob + gpio::reg::PUPDR), 0x0000_0100);
        assert_eq!(p.read(gpioc + gpio::reg::MODER), 0xFFFF_FFFF);
        // PA5 output (the NUCLEO-G474RE's LED): BSRR sets, BRR clears.
        p.write(map::GPIOA + gpio::reg::MODER, 0xABFF_F7FF, ALL);
        p.write(map::GPIOA + gpio::reg::BSRR, 1 << 5, ALL);
        assert_eq!(p.read(map::GPIOA + gpio::reg::ODR), 1 << 5);
        assert_eq!(p.read(map::GPIOA + gpio::reg::IDR) & (1 << 5), 1 << 5);
        p.write(map::GPIOA + gpio::reg::BRR, 1 << 5, ALL);
        assert_eq!(p.read(map::GPIOA + gpio::reg::ODR), 0);
    }

    #[test]
    fn the_lpuart1_line_is_irq_91() {
        let mut p = G4Peripherals::new();
        let wire = Wire::default();
        p.lpuart1.attach(Box::new(wire.clone()));
        p.write(
            map::LPUART1 + usart::reg::CR1,
            usart::cr1::UE | usart::cr1::TE | usart::cr1::TXEIE,
            ALL,
        );
        assert_eq!(p.irq_lines(), IrqLines::default(), "not clocked");
        p.write(RCC_APB1ENR2, rcc::apb1_2::LPUART1, ALL);
        p.write(
            map::LPUART1 + usart::reg::CR1,
            usart::cr1::UE | usart::cr1::TE | usart::cr1::TXEIE,
            ALL,
        );
        assert!(p.irq_lines_changed());
        assert_eq!(p.irq_lines()[2], 1 << 27, "IRQ 91");
        p.write(map::LPUART1 + usart::reg::TDR, u32::from(b'G'), ALL);
        assert_eq!(*wire.sent.borrow(), b"G");
        assert_eq!(p.irq_lines(), IrqLines::default(), "TXE clear");
        assert!(p.irq_lines_changed(), "TXE sets at the step");
        assert_eq!(p.irq_lines()[2], 1 << 27);
    }

    #[test]
    fn a_reset_restores_the_clock_and_records_the_cause() {
        let mut p = G4Peripherals::new();
        let cfgr = map::RCC + rcc::reg::CFGR;
        p.write(map::RCC + rcc::reg::PLLCFGR, 0x0100_5532, ALL);
        p.write(
            map::RCC + rcc::reg::CR,
            rcc::cr::RESET | rcc::cr::PLLON,
            ALL,
        );
        p.write(cfgr, rcc::cfgr::SW_PLL, ALL);
        assert_eq!(p.core_clock_hz(), 170_000_000);
        p.reset(ResetCause::Pin);
        assert_eq!(p.core_clock_hz(), 16_000_000);
        assert_eq!(p.read(cfgr), 0x5);
        assert_eq!(
            p.read(map::RCC + rcc::reg::CSR) & rcc::csr::PINRSTF,
            rcc::csr::PINRSTF
        );
    }
}
