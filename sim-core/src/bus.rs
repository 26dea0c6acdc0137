//! The core's view of the chip outside it: memory, peripherals and interrupt lines.
//!
//! The core itself answers the parts of the address space the architecture defines (the System
//! Control Space, DWT, FPB, the bit-band aliases where the core has them); every other access
//! goes to the chip's [`Bus`]. The debugger's accesses (through the AHB-AP) reach the same bus
//! with [`Initiator::Debug`], so a chip can tell them apart (read protection, side effects).

/// Who makes an access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    /// The core: instruction fetches, loads, stores, exception stacking.
    Cpu,
    /// The debugger through the AHB-AP.
    Debug,
}

/// An access the bus answers with an error (a BusFault for the core, a FAULT for the debugger).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusError {
    pub address: u32,
}

/// The chip around the core. Sizes are 1, 2 or 4 bytes; addresses of 2- and 4-byte accesses are
/// aligned to their size (the core splits unaligned accesses into bytes). Values are
/// right-aligned, little-endian.
pub trait Bus {
    fn read(&mut self, address: u32, size: u32, who: Initiator) -> Result<u32, BusError>;

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
    ) -> Result<(), BusError>;

    /// An instruction fetch of one half-word. A chip may answer it faster than [`Bus::read`].
    fn fetch(&mut self, address: u32) -> Result<u16, BusError> {
        self.read(address, 2, Initiator::Cpu).map(|v| v as u16)
    }

    /// Whether a peripheral's interrupt line may have changed since the last call. The core
    /// reads the lines with [`Bus::irq_lines`] only after this says so, and after an exception
    /// return (a level-sensitive line still asserted pends its interrupt again).
    fn irq_lines_changed(&mut self) -> bool {
        false
    }

    /// The interrupt request lines as they are now: bit `n % 32` of word `n / 32` is IRQ `n`.
    fn irq_lines(&mut self, _lines: &mut [u32; 8]) {}

    /// `cycles` core clock cycles have passed (peripheral time).
    fn advance(&mut self, _cycles: u64) {}
}
