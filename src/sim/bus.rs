//! The simulated chip's bus outside the Cortex-M core: what both the core and the debug port
//! (AHB-AP) reach through [`sim_core::Bus`]. The core itself answers the registers the
//! architecture defines (System Control Space, DWT, FPB, bit-band aliases); every other access
//! goes to the family's model ([`FamilyModel`]), which owns the chip's map below the private
//! peripheral bus and the debug registers the core passes on. The bus names no family.

use std::any::Any;
use std::time::Instant;

use super::family::FamilyModel;
use super::periph::uart_link::UartLink;
use super::periph::ResetCause;
use super::variant::Variant;

/// Who makes a bus access: the core sees the flash even under RDP level 1, the debugger not.
pub use sim_core::{BusError, Initiator};

/// The private peripheral bus: what the core does not answer of it reads as zero and ignores
/// writes, unless the family maps something there (the F7's and G4's DBGMCU).
pub const PPB: std::ops::Range<u32> = 0xE000_0000..0xE010_0000;

/// Something the chip must do after a bus access, because it concerns more than the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChipEvent {
    /// An option load (G4 OBL_LAUNCH): the options were reloaded; the chip resets and the debug
    /// link drops.
    OptionLoadReset,
}

/// Everything addressable outside the core.
pub struct Bus {
    pub variant: Variant,
    /// The family's model.
    pub model: Box<dyn FamilyModel>,
    /// What the chip must do after the last accesses.
    pub events: Vec<ChipEvent>,
    /// What the next system reset is, for the RCC's reset flags: a power-on at first, then a
    /// software reset unless the chip says otherwise (NRST, an option load).
    pub next_reset: ResetCause,
}

impl Bus {
    pub fn new(variant: Variant, model: Box<dyn FamilyModel>) -> Self {
        Bus {
            variant,
            model,
            events: Vec::new(),
            next_reset: ResetCause::PowerOn,
        }
    }

    /// The family's model as `M`, if it is one (tests and tools that know the family).
    pub fn model_mut<M: Any>(&mut self) -> Option<&mut M> {
        self.model.as_any_mut().downcast_mut()
    }

    /// Reads `size` bytes (1, 2 or 4, aligned) at `address`; the value is right-aligned.
    pub fn read(&mut self, address: u32, size: u32, who: Initiator) -> Result<u32, BusError> {
        self.model.read(address, size, who, Instant::now())
    }

    /// Writes `size` bytes (1, 2 or 4, aligned) of `value` at `address`.
    pub fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
    ) -> Result<(), BusError> {
        let result = self.model.write(address, value, size, who, Instant::now());
        self.events.extend(self.model.take_events());
        result
    }

    /// Whether a peripheral interrupt line may have changed since the last call. Each call is
    /// also one step of the peripherals' time (a UART character: see
    /// [`super::periph::usart`]), so the core polls it as it runs.
    pub fn irq_lines_changed(&mut self) -> bool {
        self.model.peripherals_mut().irq_lines_changed()
    }

    /// The peripheral interrupt lines asserted now: bit `n % 32` of `lines[n / 32]` is IRQ `n`.
    /// Every word of `lines` is written.
    pub fn irq_lines(&mut self, lines: &mut [u32; 8]) {
        *lines = self.model.peripherals().irq_lines();
    }

    /// The core clock (HCLK) the RCC is set to, in Hz.
    pub fn core_clock_hz(&self) -> u32 {
        self.model.peripherals().core_clock_hz()
    }

    /// Resets the boot peripherals as [`Bus::next_reset`] says, which then falls back to a
    /// software reset.
    pub fn reset_peripherals(&mut self) {
        let cause = std::mem::take(&mut self.next_reset);
        self.model.peripherals_mut().reset(cause);
    }

    /// Connects the Nucleo virtual COM port UART to `link`.
    pub fn attach_vcp_uart(&mut self, link: UartLink) {
        self.model.peripherals_mut().attach_vcp(link);
    }
}

/// A `size`-byte write of `value` at `address` as the word it makes: the value shifted into its
/// byte lanes, and the mask of those lanes.
pub fn word_lanes(address: u32, value: u32, size: u32) -> (u32, u32) {
    let shift = 8 * (address & 3);
    let lanes = match size {
        1 => 0xFF,
        2 => 0xFFFF,
        _ => 0xFFFF_FFFF,
    } << shift;
    (value << shift, lanes)
}

/// The core's view of the chip: memory, peripherals, their interrupt lines and their time.
impl sim_core::Bus for Bus {
    fn read(&mut self, address: u32, size: u32, who: Initiator) -> Result<u32, BusError> {
        Bus::read(self, address, size, who)
    }

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
    ) -> Result<(), BusError> {
        Bus::write(self, address, value, size, who)
    }

    fn irq_lines_changed(&mut self) -> bool {
        Bus::irq_lines_changed(self)
    }

    fn irq_lines(&mut self, lines: &mut [u32; 8]) {
        Bus::irq_lines(self, lines)
    }
}
