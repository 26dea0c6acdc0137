//! The STM32G0B0/G0B1/G0C1 boot peripherals on the bus (0x4000_0000–0x5FFF_FFFF, FLASH
//! excepted, which [`super::G0Model`] maps itself): RCC, the debug block DBG (DBG_IDCODE at
//! 0x4001_5800, reference §0), GPIOA–GPIOF on the IOPORT bus at 0x5000_0000, and USART2, the
//! NUCLEO-G0B1RE virtual COM port (IRQ 28, `USART2_LPUART2_IRQn`). Everything else in the range
//! (PWR, SYSCFG, EXTI…) reads as zero and ignores writes.
//!
//! A GPIO port or USART2 whose RCC clock enable bit is clear, or whose RCC reset bit is set,
//! reads as zero and ignores writes, as an unclocked peripheral does on silicon. RCC is always
//! clocked; so is DBG here (its clock, APBENR1.DBGEN, is not modelled as a gate: probe-rs reads
//! DBG_IDCODE without setting it, and silicon's behaviour without it is UNVERIFIED).
//!
//! Addresses and bits from CMSIS `stm32g0b1xx.h`; reset values of the GPIO ports (the SWD pins
//! PA13/PA14 in their alternate function) are not in the reference (UNVERIFIED).

use super::rcc::{self, Rcc};
use crate::sim::periph::gpio::{Gpio, PortReset};
use crate::sim::periph::uart_link::UartLink;
use crate::sim::periph::usart::{Usart, UsartKind};
use crate::sim::periph::{merge_writable, set_irq_line, IrqLines, IrqTracker, ResetCause};

/// Addresses.
pub mod map {
    pub const RCC: u32 = 0x4002_1000;
    pub const DBG: u32 = 0x4001_5800;
    pub const USART2: u32 = 0x4000_4400;
    pub const GPIOA: u32 = 0x5000_0000;
    /// GPIOA..GPIOF, 0x400 apart.
    pub const GPIO_STRIDE: u32 = 0x400;
    pub const GPIO_PORTS: usize = 6;
    /// The register window of each block.
    pub const BLOCK_SIZE: u32 = 0x400;
    /// USART2 (shared with LPUART2) global interrupt.
    pub const USART2_IRQ: usize = 28;
}

/// DBG register offsets and bits.
pub mod dbg {
    pub const IDCODE: u32 = 0x00;
    pub const CR: u32 = 0x04;
    pub const APB_FZ1: u32 = 0x08;
    pub const APB_FZ2: u32 = 0x0C;
    /// DBG_STOP, DBG_STANDBY.
    pub const CR_WRITABLE: u32 = 0x6;
    /// TIM2/3/4/6/7, RTC, WWDG, IWDG, I2C1/2 SMBus, LPTIM2/1 stop bits.
    pub const APB_FZ1_WRITABLE: u32 = 0xC060_1C37;
    /// TIM1/14/15/16/17 stop bits.
    pub const APB_FZ2_WRITABLE: u32 = 0x0007_8800;
}

/// The NUCLEO-G0B1RE virtual COM port UART: a USART with PRESC, GTPR and RTOR.
pub const USART2_KIND: UsartKind = UsartKind {
    name: "USART2",
    brr_mask: 0xFFFF,
    has_presc: true,
    has_gtpr_rtor: true,
};

/// A modelled block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Block {
    Rcc,
    Dbg,
    Usart2,
    Gpio(usize),
}

fn decode(address: u32) -> Option<(Block, u32)> {
    let in_block = |base: u32| (base..base + map::BLOCK_SIZE).contains(&address);
    let block = if in_block(map::RCC) {
        (Block::Rcc, map::RCC)
    } else if in_block(map::DBG) {
        (Block::Dbg, map::DBG)
    } else if in_block(map::USART2) {
        (Block::Usart2, map::USART2)
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

/// Reset values of port `k`: pins start analog, PA13 (SWDIO, pull-up) and PA14 (SWCLK,
/// pull-down) in their alternate function (UNVERIFIED).
fn port_reset(k: usize) -> PortReset {
    match k {
        0 => PortReset {
            moder: 0xEBFF_FFFF,
            ospeedr: 0x0C00_0000,
            pupdr: 0x2400_0000,
        },
        _ => PortReset {
            moder: 0xFFFF_FFFF,
            ..PortReset::default()
        },
    }
}

/// The debug block's registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Dbg {
    pub idcode: u32,
    pub cr: u32,
    pub apb_fz1: u32,
    pub apb_fz2: u32,
}

impl Dbg {
    fn read(&self, offset: u32) -> u32 {
        match offset {
            dbg::IDCODE => self.idcode,
            dbg::CR => self.cr,
            dbg::APB_FZ1 => self.apb_fz1,
            dbg::APB_FZ2 => self.apb_fz2,
            _ => 0,
        }
    }

    fn write(&mut self, offset: u32, value: u32, lanes: u32) {
        let (slot, writable) = match offset {
            dbg::CR => (&mut self.cr, dbg::CR_WRITABLE),
            dbg::APB_FZ1 => (&mut self.apb_fz1, dbg::APB_FZ1_WRITABLE),
            dbg::APB_FZ2 => (&mut self.apb_fz2, dbg::APB_FZ2_WRITABLE),
            // DBG_IDCODE is read-only.
            _ => return,
        };
        *slot = merge_writable(*slot, value, lanes, writable);
    }
}

/// The G0 boot peripherals.
#[derive(Debug)]
pub struct G0Peripherals {
    pub rcc: Rcc,
    pub dbg: Dbg,
    pub gpio: Vec<Gpio>,
    pub usart2: Usart,
    irq: IrqTracker,
}

impl G0Peripherals {
    /// The peripherals after a power-on; DBG_IDCODE reads `idcode`.
    pub fn new(idcode: u32) -> Self {
        G0Peripherals {
            rcc: Rcc::new(),
            dbg: Dbg {
                idcode,
                ..Dbg::default()
            },
            gpio: (0..map::GPIO_PORTS)
                .map(|k| Gpio::new(port_reset(k), true))
                .collect(),
            usart2: Usart::new(USART2_KIND),
            irq: IrqTracker::default(),
        }
    }

    /// A reset of `cause`: every block to its reset values (RCC keeps the backup domain and
    /// records the cause). The debug block's settings survive a system reset and clear at a
    /// power-on and an option-load reset (which drops the debug link).
    pub fn reset(&mut self, cause: ResetCause) {
        self.rcc.reset(cause);
        if matches!(cause, ResetCause::PowerOn | ResetCause::OptionLoad) {
            self.dbg = Dbg {
                idcode: self.dbg.idcode,
                ..Dbg::default()
            };
        }
        self.gpio.iter_mut().for_each(Gpio::reset);
        self.usart2.reset();
    }

    /// Connects USART2 (the virtual COM port) to `link`.
    pub fn attach_vcp(&mut self, link: UartLink) {
        link.set_uart_name(self.usart2.kind().name);
        self.usart2.attach(Box::new(link));
    }

    /// Whether `block` is clocked and out of reset.
    fn clocked(&self, block: Block) -> bool {
        let bit = |enr: u32, rstr: u32, mask: u32| {
            self.rcc.register(enr) & mask != 0 && self.rcc.register(rstr) & mask == 0
        };
        use rcc::reg::*;
        match block {
            Block::Rcc | Block::Dbg => true,
            Block::Usart2 => bit(APBENR1, APBRSTR1, rcc::apb1::USART2),
            Block::Gpio(k) => bit(IOPENR, IOPRSTR, 1 << k),
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
            Block::Dbg => self.dbg.read(offset),
            Block::Usart2 => self.usart2.read(offset),
            Block::Gpio(k) => self.gpio[k].read(offset),
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
                self.rcc.write(offset, value, lanes);
                self.apply_rcc_resets();
            }
            Block::Dbg => self.dbg.write(offset, value, lanes),
            Block::Usart2 => self.usart2.write(offset, value, lanes),
            Block::Gpio(k) => self.gpio[k].write(offset, value, lanes),
        }
    }

    /// Blocks whose RCC reset bit is set are held in reset.
    fn apply_rcc_resets(&mut self) {
        let iop = self.rcc.register(rcc::reg::IOPRSTR);
        let apb1 = self.rcc.register(rcc::reg::APBRSTR1);
        for (k, port) in self.gpio.iter_mut().enumerate() {
            if iop & (1 << k) != 0 {
                port.reset();
            }
        }
        if apb1 & rcc::apb1::USART2 != 0 {
            self.usart2.reset();
        }
    }

    /// The interrupt lines now.
    pub fn irq_lines(&self) -> IrqLines {
        let mut lines = IrqLines::default();
        let usart2 = self.clocked(Block::Usart2) && self.usart2.irq();
        set_irq_line(&mut lines, map::USART2_IRQ, usart2);
        lines
    }

    /// One step of the peripherals' time (a UART character), then whether a line may have
    /// changed since the last call.
    pub fn irq_lines_changed(&mut self) -> bool {
        if self.clocked(Block::Usart2) {
            self.usart2.step();
        }
        let touched = self.usart2.take_touched();
        let lines = self.irq_lines();
        self.irq.changed(lines, touched)
    }

    /// HCLK, the core clock (16 MHz HSISYS at reset).
    pub fn core_clock_hz(&self) -> u32 {
        self.rcc.hclk_hz()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::periph::gpio;
    use crate::sim::periph::usart::{self, tests::Wire};

    const ALL: u32 = 0xFFFF_FFFF;
    const IDCODE: u32 = 0x1000_0467;

    #[test]
    fn decodes_the_blocks() {
        assert_eq!(decode(0x4002_1000), Some((Block::Rcc, 0)));
        assert_eq!(decode(0x4002_103C), Some((Block::Rcc, 0x3C)));
        assert_eq!(decode(0x4001_5800), Some((Block::Dbg, 0)));
        assert_eq!(decode(0x4000_441C), Some((Block::Usart2, 0x1C)));
        assert_eq!(decode(0x5000_0818), Some((Block::Gpio(2), 0x18)));
        assert_eq!(decode(0x5000_1800), None, "no GPIOG");
        assert_eq!(decode(0x4000_7000), None, "PWR is not modelled");
        assert_eq!(decode(0x4800_0000), None, "the G4's GPIOA address");
    }

    #[test]
    fn dbg_identifies_the_chip_and_keeps_its_settings_over_a_system_reset() {
        let mut p = G0Peripherals::new(IDCODE);
        assert_eq!(p.read(map::DBG), IDCODE);
        p.write(map::DBG, 0, ALL);
        assert_eq!(p.read(map::DBG), IDCODE, "read-only");
        // What probe-rs's G0 sequence writes: DBGEN, then DBG_STOP | DBG_STANDBY.
        p.write(map::RCC + rcc::reg::APBENR1, rcc::apb1::DBGEN, ALL);
        p.write(map::DBG + dbg::CR, ALL, ALL);
        assert_eq!(p.read(map::DBG + dbg::CR), 0x6);
        p.write(map::DBG + dbg::APB_FZ1, 1 << 12, ALL);
        assert_eq!(p.read(map::DBG + dbg::APB_FZ1), 1 << 12, "DBG_IWDG_STOP");
        p.reset(ResetCause::Software);
        assert_eq!(p.read(map::DBG + dbg::CR), 0x6);
        assert_eq!(p.read(map::RCC + rcc::reg::APBENR1), 0, "RCC resets");
        p.reset(ResetCause::OptionLoad);
        assert_eq!(p.read(map::DBG + dbg::CR), 0);
        assert_eq!(p.read(map::DBG), IDCODE);
    }

    #[test]
    fn gpio_reset_values_and_clock_gating() {
        let mut p = G0Peripherals::new(IDCODE);
        assert_eq!(p.read(map::GPIOA), 0, "not clocked at reset");
        p.write(map::RCC + rcc::reg::IOPENR, 0b11, ALL);
        let gpiob = map::GPIOA + map::GPIO_STRIDE;
        assert_eq!(p.read(map::GPIOA + gpio::reg::MODER), 0xEBFF_FFFF);
        assert_eq!(p.read(map::GPIOA + gpio::reg::PUPDR), 0x2400_0000);
        assert_eq!(p.read(gpiob + gpio::reg::MODER), 0xFFFF_FFFF);
        // PA5 output (the NUCLEO-G0B1RE's LED): BSRR sets, BRR clears.
        p.write(map::GPIOA + gpio::reg::MODER, 0xEBFF_F7FF, ALL);
        p.write(map::GPIOA + gpio::reg::BSRR, 1 << 5, ALL);
        assert_eq!(p.read(map::GPIOA + gpio::reg::ODR), 1 << 5);
        p.write(map::GPIOA + gpio::reg::BRR, 1 << 5, ALL);
        assert_eq!(p.read(map::GPIOA + gpio::reg::ODR), 0);
        // IOPRSTR holds a port in reset.
        p.write(map::RCC + rcc::reg::IOPRSTR, 0b1, ALL);
        assert_eq!(p.read(map::GPIOA + gpio::reg::MODER), 0);
    }

    #[test]
    fn the_usart2_line_is_irq_28() {
        let mut p = G0Peripherals::new(IDCODE);
        let wire = Wire::default();
        p.usart2.attach(Box::new(wire.clone()));
        let on = usart::cr1::UE | usart::cr1::TE | usart::cr1::TXEIE;
        p.write(map::USART2 + usart::reg::CR1, on, ALL);
        assert_eq!(p.irq_lines(), IrqLines::default(), "not clocked");
        p.write(map::RCC + rcc::reg::APBENR1, rcc::apb1::USART2, ALL);
        p.write(map::USART2 + usart::reg::CR1, on, ALL);
        assert!(p.irq_lines_changed());
        assert_eq!(p.irq_lines()[0], 1 << 28);
        p.write(map::USART2 + usart::reg::TDR, u32::from(b'0'), ALL);
        assert_eq!(*wire.sent.borrow(), b"0");
    }
}
