//! The STM32F76x/F77x boot peripherals on the bus (0x4000_0000–0x5FFF_FFFF, FLASH and backup
//! SRAM excepted, which [`crate::sim::bus`] maps itself): RCC, PWR, SYSCFG, GPIOA–GPIOK and
//! USART3, the NUCLEO-F767ZI virtual COM port (IRQ 39). Everything else in the range reads as
//! zero and ignores writes.
//!
//! A block whose RCC clock enable bit is clear, or whose RCC reset bit is set, reads as zero and
//! ignores writes, as an unclocked peripheral does on silicon (RCC itself is always clocked).

use super::pwr::Pwr;
use super::rcc::{self, Rcc};
use super::syscfg::Syscfg;
use crate::sim::periph::gpio::{Gpio, PortReset};
use crate::sim::periph::uart_link::UartLink;
use crate::sim::periph::usart::{Usart, UsartKind};
use crate::sim::periph::{set_irq_line, BootPeripherals, IrqLines, IrqTracker, ResetCause};

/// Addresses (DF7 `stm32f767xx.h`).
pub mod map {
    pub const GPIOA: u32 = 0x4002_0000;
    /// GPIOA..GPIOK, 0x400 apart.
    pub const GPIO_STRIDE: u32 = 0x400;
    pub const GPIO_PORTS: usize = 11;
    pub const RCC: u32 = 0x4002_3800;
    pub const PWR: u32 = 0x4000_7000;
    pub const USART3: u32 = 0x4000_4800;
    pub const SYSCFG: u32 = 0x4001_3800;
    /// The register window of each block.
    pub const BLOCK_SIZE: u32 = 0x400;
    /// USART3 global interrupt.
    pub const USART3_IRQ: usize = 39;
}

/// A modelled block and a register offset in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Rcc,
    Pwr,
    Syscfg,
    Gpio(usize),
    Usart3,
}

fn decode(address: u32) -> Option<(Block, u32)> {
    let in_block = |base: u32| (base..base + map::BLOCK_SIZE).contains(&address);
    let block = if in_block(map::RCC) {
        (Block::Rcc, map::RCC)
    } else if in_block(map::PWR) {
        (Block::Pwr, map::PWR)
    } else if in_block(map::SYSCFG) {
        (Block::Syscfg, map::SYSCFG)
    } else if in_block(map::USART3) {
        (Block::Usart3, map::USART3)
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

/// Reset values of port `k` (the reference §3.1: the debug pins PA13/14/15, PB3/4).
fn port_reset(k: usize) -> PortReset {
    match k {
        0 => PortReset {
            moder: 0xA800_0000,
            // SVD says 0; RM0410's value is not in the reference.
            ospeedr: 0,
            pupdr: 0x6400_0000,
        },
        1 => PortReset {
            moder: 0x0000_0280,
            ospeedr: 0x0000_00C0,
            pupdr: 0x0000_0100,
        },
        _ => PortReset::default(),
    }
}

/// The F7 boot peripherals.
#[derive(Debug)]
pub struct F7Peripherals {
    pub rcc: Rcc,
    pub pwr: Pwr,
    pub syscfg: Syscfg,
    pub gpio: Vec<Gpio>,
    pub usart3: Usart,
    irq: IrqTracker,
}

impl Default for F7Peripherals {
    fn default() -> Self {
        Self::new()
    }
}

impl F7Peripherals {
    /// The peripherals after a power-on.
    pub fn new() -> Self {
        F7Peripherals {
            rcc: Rcc::new(),
            pwr: Pwr::new(),
            syscfg: Syscfg::new(),
            gpio: (0..map::GPIO_PORTS)
                .map(|k| Gpio::new(port_reset(k), false))
                .collect(),
            usart3: Usart::new(UsartKind::F7_USART3),
            irq: IrqTracker::default(),
        }
    }

    /// Whether `block` is clocked and out of reset.
    fn clocked(&self, block: Block) -> bool {
        let bit = |enr: u32, rstr: u32, mask: u32| {
            self.rcc.register(enr) & mask != 0 && self.rcc.register(rstr) & mask == 0
        };
        match block {
            Block::Rcc => true,
            Block::Pwr => bit(rcc::reg::APB1ENR, rcc::reg::APB1RSTR, rcc::apb1::PWR),
            Block::Usart3 => bit(rcc::reg::APB1ENR, rcc::reg::APB1RSTR, rcc::apb1::USART3),
            Block::Syscfg => bit(rcc::reg::APB2ENR, rcc::reg::APB2RSTR, rcc::apb2::SYSCFG),
            Block::Gpio(k) => bit(rcc::reg::AHB1ENR, rcc::reg::AHB1RSTR, 1 << k),
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
            Block::Pwr => self.pwr.read(offset, self.rcc.pll_ready()),
            Block::Syscfg => self.syscfg.read(offset),
            Block::Gpio(k) => self.gpio[k].read(offset),
            Block::Usart3 => self.usart3.read(offset),
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
            Block::Syscfg => self.syscfg.write(offset, value, lanes),
            Block::Gpio(k) => self.gpio[k].write(offset, value, lanes),
            Block::Usart3 => self.usart3.write(offset, value, lanes),
        }
    }

    /// Blocks whose RCC reset bit is set are held in reset.
    fn apply_rcc_resets(&mut self) {
        let ahb1 = self.rcc.register(rcc::reg::AHB1RSTR);
        let apb1 = self.rcc.register(rcc::reg::APB1RSTR);
        let apb2 = self.rcc.register(rcc::reg::APB2RSTR);
        for (k, port) in self.gpio.iter_mut().enumerate() {
            if ahb1 & (1 << k) != 0 {
                port.reset();
            }
        }
        if apb1 & rcc::apb1::USART3 != 0 {
            self.usart3.reset();
        }
        if apb1 & rcc::apb1::PWR != 0 {
            self.pwr.reset();
        }
        if apb2 & rcc::apb2::SYSCFG != 0 {
            self.syscfg.reset();
        }
    }

}

impl BootPeripherals for F7Peripherals {
    /// A reset of `cause`: every block to its reset values (RCC keeps the backup domain and
    /// records the cause).
    fn reset(&mut self, cause: ResetCause) {
        self.rcc.reset(cause);
        self.pwr.reset();
        self.syscfg.reset();
        self.gpio.iter_mut().for_each(Gpio::reset);
        self.usart3.reset();
    }

    /// Connects USART3 (the virtual COM port) to `link`.
    fn attach_vcp(&mut self, link: UartLink) {
        link.set_uart_name(self.usart3.kind().name);
        self.usart3.attach(Box::new(link));
    }

    /// The interrupt lines now.
    fn irq_lines(&self) -> IrqLines {
        let mut lines = IrqLines::default();
        let usart3 = self.clocked(Block::Usart3) && self.usart3.irq();
        set_irq_line(&mut lines, map::USART3_IRQ, usart3);
        lines
    }

    /// One step of the peripherals' time (a UART character), then whether a line may have
    /// changed since the last call.
    fn irq_lines_changed(&mut self) -> bool {
        if self.clocked(Block::Usart3) {
            self.usart3.step();
        }
        let touched = self.usart3.take_touched();
        let lines = self.irq_lines();
        self.irq.changed(lines, touched)
    }

    /// HCLK, the core clock (16 MHz HSI at reset).
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
    const RCC_AHB1ENR: u32 = map::RCC + rcc::reg::AHB1ENR;
    const RCC_APB1ENR: u32 = map::RCC + rcc::reg::APB1ENR;
    const RCC_APB1RSTR: u32 = map::RCC + rcc::reg::APB1RSTR;
    const GPIOB: u32 = map::GPIOA + map::GPIO_STRIDE;
    const USART3_CR1: u32 = map::USART3 + usart::reg::CR1;

    #[test]
    fn decodes_the_blocks() {
        assert_eq!(decode(0x4002_3800), Some((Block::Rcc, 0)));
        assert_eq!(decode(0x4002_3874), Some((Block::Rcc, 0x74)));
        assert_eq!(decode(0x4000_7004), Some((Block::Pwr, 4)));
        assert_eq!(decode(0x4002_0014), Some((Block::Gpio(0), 0x14)));
        assert_eq!(decode(0x4002_2818), Some((Block::Gpio(10), 0x18)));
        assert_eq!(decode(0x4002_2C00), None, "no GPIOL");
        assert_eq!(decode(0x4000_481C), Some((Block::Usart3, 0x1C)));
        assert_eq!(decode(0x4001_3820), Some((Block::Syscfg, 0x20)));
        assert_eq!(decode(0x4000_4400), None, "USART2 is not modelled");
    }

    #[test]
    fn gpio_reset_values_and_clock_gating() {
        let mut p = F7Peripherals::new();
        assert_eq!(p.read(map::GPIOA), 0, "GPIOA is not clocked at reset");
        p.write(RCC_AHB1ENR, 0b11 | rcc::ahb1::DTCMRAMEN, ALL);
        assert_eq!(p.read(map::GPIOA + gpio::reg::MODER), 0xA800_0000);
        assert_eq!(p.read(map::GPIOA + gpio::reg::PUPDR), 0x6400_0000);
        assert_eq!(p.read(GPIOB + gpio::reg::MODER), 0x0000_0280);
        assert_eq!(p.read(GPIOB + gpio::reg::OSPEEDR), 0x0000_00C0);
        assert_eq!(p.read(GPIOB + gpio::reg::PUPDR), 0x0000_0100);
        // PB0 output (the NUCLEO-F767ZI's green LED), set through BSRR.
        p.write(GPIOB + gpio::reg::MODER, 0x0000_0281, ALL);
        p.write(GPIOB + gpio::reg::BSRR, 1, ALL);
        assert_eq!(p.read(GPIOB + gpio::reg::ODR), 1);
        assert_eq!(p.read(GPIOB + gpio::reg::IDR) & 1, 1);
        // Clock off: reads 0, writes ignored; the state is kept.
        p.write(RCC_AHB1ENR, rcc::ahb1::DTCMRAMEN, ALL);
        assert_eq!(p.read(GPIOB + gpio::reg::ODR), 0);
        p.write(GPIOB + gpio::reg::BSRR, 1 << 16, ALL);
        p.write(RCC_AHB1ENR, 0b10, ALL);
        assert_eq!(p.read(GPIOB + gpio::reg::ODR), 1);
    }

    #[test]
    fn bdcr_writes_need_dbp() {
        let mut p = F7Peripherals::new();
        let bdcr = map::RCC + rcc::reg::BDCR;
        p.write(bdcr, rcc::bdcr::LSEON, ALL);
        assert_eq!(p.read(bdcr), 0);
        p.write(RCC_APB1ENR, rcc::apb1::PWR, ALL);
        p.write(
            map::PWR,
            super::super::pwr::cr1::RESET | super::super::pwr::cr1::DBP,
            ALL,
        );
        p.write(bdcr, rcc::bdcr::LSEON, ALL);
        assert_eq!(p.read(bdcr), rcc::bdcr::LSEON | rcc::bdcr::LSERDY);
    }

    #[test]
    fn the_usart3_line_is_irq_39() {
        let mut p = F7Peripherals::new();
        let wire = Wire::default();
        p.usart3.attach(Box::new(wire.clone()));
        p.write(RCC_APB1ENR, rcc::apb1::USART3, ALL);
        p.irq_lines_changed(); // settles after the reset
        assert!(!p.irq_lines_changed());
        p.write(
            USART3_CR1,
            usart::cr1::UE | usart::cr1::TE | usart::cr1::RE | usart::cr1::RXNEIE,
            ALL,
        );
        assert!(p.irq_lines_changed(), "a register write may move the line");
        assert_eq!(p.irq_lines(), IrqLines::default());
        wire.to_uart.borrow_mut().push_back(b'k');
        assert!(p.irq_lines_changed(), "RXNE rises at the step");
        let lines = p.irq_lines();
        assert_eq!(lines[1], 1 << 7, "IRQ 39");
        assert!(!p.irq_lines_changed());
        assert_eq!(p.read(map::USART3 + usart::reg::RDR), u32::from(b'k'));
        assert!(p.irq_lines_changed());
        assert_eq!(p.irq_lines(), IrqLines::default());
        // Held in reset through RCC_APB1RSTR: the UART resets and its line drops.
        p.write(USART3_CR1, usart::cr1::UE | usart::cr1::TXEIE, ALL);
        assert_eq!(p.irq_lines()[1], 1 << 7);
        p.write(RCC_APB1RSTR, rcc::apb1::USART3, ALL);
        assert_eq!(p.irq_lines(), IrqLines::default());
        p.write(RCC_APB1RSTR, 0, ALL);
        assert_eq!(p.read(USART3_CR1), 0);
    }

    #[test]
    fn a_reset_resets_every_block() {
        let mut p = F7Peripherals::new();
        p.write(RCC_AHB1ENR, 0xFF, ALL);
        p.write(map::GPIOA + gpio::reg::ODR, 0xFFFF, ALL);
        p.reset(ResetCause::Software);
        assert_eq!(p.read(RCC_AHB1ENR), rcc::ahb1::ENR_RESET);
        p.write(RCC_AHB1ENR, 1, ALL);
        assert_eq!(p.read(map::GPIOA + gpio::reg::ODR), 0);
        assert_eq!(
            p.read(map::RCC + rcc::reg::CSR) & rcc::csr::SFTRSTF,
            rcc::csr::SFTRSTF
        );
        assert_eq!(p.core_clock_hz(), 16_000_000);
    }
}
