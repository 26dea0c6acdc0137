//! ST peripheral IP shared by the simulated families: the GPIO port ([`gpio`]), the USART /
//! LPUART ([`usart`]), the DBGMCU block ([`dbgmcu`]) and the host side of the Nucleo virtual COM
//! port ([`uart_link`]).
//!
//! The family folders (`sim/f7/`, `sim/g4/`) hold what differs per family (RCC, PWR) and map
//! the blocks at their addresses. Written from `real-firmware-on-the-sim.md` §3 and the register
//! layouts of ST's device headers (DF7/DG4), not from ST's code.
//!
//! A register access reaches a model as a word offset, a value already shifted into its byte
//! lanes and the mask of the lanes written: a byte write changes only its byte.

pub mod dbgmcu;
pub mod gpio;
pub mod uart_link;
pub mod usart;

/// Which reset the chip went through: the RCC sets its reset flags (RCC_CSR) from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResetCause {
    /// Power-on (a new simulator process): everything resets, the backup domain included.
    PowerOn,
    /// The NRST pin, driven by the probe.
    Pin,
    /// A software reset: AIRCR.SYSRESETREQ (or VECTRESET), from the core or the debugger.
    #[default]
    Software,
    /// G4 OBL_LAUNCH: the option bytes were reloaded and the chip reset.
    OptionLoad,
}

/// The interrupt lines of a chip's peripherals: bit `n % 32` of word `n / 32` is IRQ `n`.
pub type IrqLines = [u32; 8];

/// A family's boot peripherals (RCC, PWR, GPIO, the virtual COM port UART, …) as the chip
/// drives them, whatever the family.
pub trait BootPeripherals {
    /// A reset of `cause`: every block to its reset values (the RCC records the cause).
    fn reset(&mut self, cause: ResetCause);
    /// Connects the Nucleo virtual COM port UART to `link`.
    fn attach_vcp(&mut self, link: uart_link::UartLink);
    /// The interrupt lines now.
    fn irq_lines(&self) -> IrqLines;
    /// One step of the peripherals' time (a UART character), then whether a line may have
    /// changed since the last call.
    fn irq_lines_changed(&mut self) -> bool;
    /// HCLK, the core clock.
    fn core_clock_hz(&self) -> u32;
}

/// A family's RCC_CSR reset flags: which flags each reset cause sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResetFlags {
    /// Every reset flag of the register.
    pub all: u32,
    /// Set by a power-on (and nothing else stays).
    pub power_on: u32,
    /// Set by the NRST pin.
    pub pin: u32,
    /// Set by a software reset.
    pub software: u32,
    /// Set by an option-byte load reset (G4 OBL_LAUNCH).
    pub option_load: u32,
}

impl ResetFlags {
    /// The flags after a reset of `cause`, from the flags before: a power-on leaves only its
    /// own; other resets add theirs to the ones software has not cleared (RMVF).
    pub fn after(&self, cause: ResetCause, before: u32) -> u32 {
        let kept = before & self.all;
        match cause {
            ResetCause::PowerOn => self.power_on,
            ResetCause::Pin => kept | self.pin,
            ResetCause::Software => kept | self.software,
            ResetCause::OptionLoad => kept | self.option_load,
        }
    }
}

/// Sets or clears IRQ `n` in `lines`.
pub fn set_irq_line(lines: &mut IrqLines, n: usize, asserted: bool) {
    let bit = 1u32 << (n % 32);
    if asserted {
        lines[n / 32] |= bit;
    } else {
        lines[n / 32] &= !bit;
    }
}

/// `old` with the written byte lanes replaced by `value`'s.
pub fn merge(old: u32, value: u32, lanes: u32) -> u32 {
    (old & !lanes) | (value & lanes)
}

/// `old` with the written lanes of the writable bits replaced by `value`'s.
pub fn merge_writable(old: u32, value: u32, lanes: u32, writable: u32) -> u32 {
    merge(old, value, lanes & writable)
}

/// `value` with each ready flag of `pairs` (enable bit, ready bit) set exactly when its enable
/// bit is: the simulated oscillators, PLLs and regulators are ready at once.
pub fn ready_follows(value: u32, pairs: &[(u32, u32)]) -> u32 {
    pairs.iter().fold(
        value,
        |v, &(on, ready)| {
            if v & on != 0 {
                v | ready
            } else {
                v & !ready
            }
        },
    )
}

/// The AHB prescaler's divider from HPRE[3:0] (the same encoding on F7 and G4): 0xxx = 1,
/// 1000 = 2, 1001 = 4, 1010 = 8, 1011 = 16, 1100 = 64, 1101 = 128, 1110 = 256, 1111 = 512.
pub fn ahb_divider(hpre: u32) -> u32 {
    const DIVIDERS: [u32; 8] = [2, 4, 8, 16, 64, 128, 256, 512];
    if hpre & 0b1000 == 0 {
        1
    } else {
        DIVIDERS[(hpre & 0b111) as usize]
    }
}

/// An APB prescaler's divider from PPREx[2:0]: 0xx = 1, 100 = 2, 101 = 4, 110 = 8, 111 = 16.
pub fn apb_divider(ppre: u32) -> u32 {
    if ppre & 0b100 == 0 {
        1
    } else {
        2 << (ppre & 0b11)
    }
}

/// Registers that hold what is written (within a writable mask), from a reset value.
#[derive(Debug, Clone)]
pub struct PlainRegisters {
    regs: Vec<PlainRegister>,
}

/// One register of a [`PlainRegisters`] file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlainRegister {
    pub offset: u32,
    pub reset: u32,
    pub writable: u32,
    value: u32,
}

impl PlainRegister {
    /// A register at `offset` that resets to `reset`, every bit writable.
    pub const fn new(offset: u32, reset: u32) -> Self {
        PlainRegister {
            offset,
            reset,
            writable: u32::MAX,
            value: reset,
        }
    }

    /// The same with only the `writable` bits writable.
    pub const fn with_writable(self, writable: u32) -> Self {
        PlainRegister { writable, ..self }
    }
}

impl PlainRegisters {
    pub fn new(regs: &[PlainRegister]) -> Self {
        PlainRegisters {
            regs: regs.to_vec(),
        }
    }

    /// Every register back to its reset value.
    pub fn reset(&mut self) {
        for r in &mut self.regs {
            r.value = r.reset;
        }
    }

    fn find(&mut self, offset: u32) -> Option<&mut PlainRegister> {
        self.regs.iter_mut().find(|r| r.offset == offset)
    }

    /// The register at `offset`; `None` if there is none.
    pub fn read(&self, offset: u32) -> Option<u32> {
        self.regs
            .iter()
            .find(|r| r.offset == offset)
            .map(|r| r.value)
    }

    /// The register at `offset`, 0 if there is none.
    pub fn get(&self, offset: u32) -> u32 {
        self.read(offset).unwrap_or(0)
    }

    /// Writes the register at `offset`; `false` if there is none.
    pub fn write(&mut self, offset: u32, value: u32, lanes: u32) -> bool {
        match self.find(offset) {
            Some(r) => {
                r.value = merge_writable(r.value, value, lanes, r.writable);
                true
            }
            None => false,
        }
    }
}

/// Remembers the interrupt lines last reported, so a poll can tell whether one changed.
#[derive(Debug, Default)]
pub struct IrqTracker {
    last: IrqLines,
}

impl IrqTracker {
    /// Whether `now` differs from the lines of the last call (or `touched` says a line may
    /// have pulsed in between); remembers `now`.
    pub fn changed(&mut self, now: IrqLines, touched: bool) -> bool {
        let changed = touched || now != self.last;
        self.last = now;
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn irq_lines_are_bits_of_words() {
        let mut lines = IrqLines::default();
        set_irq_line(&mut lines, 39, true);
        set_irq_line(&mut lines, 91, true);
        assert_eq!(lines[1], 1 << 7);
        assert_eq!(lines[2], 1 << 27);
        set_irq_line(&mut lines, 39, false);
        assert_eq!(lines[1], 0);
    }

    #[test]
    fn merge_replaces_only_the_written_lanes() {
        assert_eq!(merge(0x1122_3344, 0x0000_AA00, 0x0000_FF00), 0x1122_AA44);
        assert_eq!(
            merge_writable(0x1122_3344, 0xFFFF_FFFF, 0xFFFF_FFFF, 0x0F),
            0x1122_334F
        );
    }

    #[test]
    fn ready_flags_follow_their_enable_bits() {
        let pairs = [(1 << 0, 1 << 1), (1 << 24, 1 << 25)];
        assert_eq!(ready_follows(0x0100_0001, &pairs), 0x0300_0003);
        assert_eq!(ready_follows(0x0200_0002, &pairs), 0);
    }

    #[test]
    fn prescaler_encodings() {
        assert_eq!(ahb_divider(0b0111), 1);
        assert_eq!(ahb_divider(0b1000), 2);
        assert_eq!(ahb_divider(0b1011), 16);
        assert_eq!(ahb_divider(0b1100), 64);
        assert_eq!(ahb_divider(0b1111), 512);
        assert_eq!(apb_divider(0b011), 1);
        assert_eq!(apb_divider(0b100), 2);
        assert_eq!(apb_divider(0b101), 4);
        assert_eq!(apb_divider(0b111), 16);
    }

    #[test]
    fn plain_registers_hold_writable_bits_and_reset() {
        let mut regs = PlainRegisters::new(&[
            PlainRegister::new(0x30, 0x0010_0000),
            PlainRegister::new(0x34, 0).with_writable(0xFF),
        ]);
        assert_eq!(regs.read(0x30), Some(0x0010_0000));
        assert!(regs.write(0x30, 0x1, 0xFFFF_FFFF));
        assert!(regs.write(0x34, 0xFFFF, 0xFFFF_FFFF));
        assert!(!regs.write(0x38, 0x1, 0xFFFF_FFFF));
        assert_eq!(regs.get(0x30), 0x1);
        assert_eq!(regs.get(0x34), 0xFF);
        assert_eq!(regs.read(0x38), None);
        regs.reset();
        assert_eq!(regs.get(0x30), 0x0010_0000);
    }

    #[test]
    fn the_tracker_reports_a_change_once() {
        let mut tracker = IrqTracker::default();
        let mut lines = IrqLines::default();
        assert!(!tracker.changed(lines, false));
        lines[0] = 1;
        assert!(tracker.changed(lines, false));
        assert!(!tracker.changed(lines, false));
        assert!(tracker.changed(lines, true));
    }
}
