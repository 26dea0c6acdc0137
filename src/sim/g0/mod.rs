//! The simulated STM32G0B0/G0B1/G0C1 below the private peripheral bus: its memory map, with the
//! FLASH controller, flash array, OTP area and option store of [`G0Flash`] mapped onto it, the
//! debug block DBG at 0x4001_5800 and the boot peripherals (reference §0, §3, §7, §12; probe-rs's
//! `STM32G0_Series.yaml` memory map). The Cortex-M0+ debug block above 0xE000_0000 is the common
//! one of the simulator.
//!
//! Written from the reference facts, not from the engine's code (`src/chip/g0`). The family as
//! the simulator registers it, and the model behind the family seam, are in [`family`].
//!
//! Memory map of a G0B1xE (512 KB):
//! - 0x0000_0000: the boot space (main flash at 0x0800_0000 as the swap maps it, system memory
//!   or SRAM, from nBOOT_SEL/nBOOT0/nBOOT1; the BOOT0 pin is taken as low);
//! - 0x0800_0000–0x0808_0000: main flash in the loaded DUAL_BANK/nSWAP_BANK mapping;
//! - 0x1FFF_0000: system memory (an idle bootloader); 0x1FFF_7000: OTP (1 KB);
//!   0x1FFF_7500: package data; 0x1FFF_7590: UID; 0x1FFF_75E0: flash size;
//!   0x1FFF_7800: the stored option bytes;
//! - 0x2000_0000–0x2002_4000: SRAM (144 KB);
//! - 0x4000_0000–0x5FFF_FFFF: peripherals ([`peripherals`]), FLASH registers at 0x4002_2000.

pub mod banks;
pub mod family;
pub mod flash;
pub mod peripherals;
pub mod rcc;
pub mod store;

use std::time::Instant;

use super::bus::{BusError, Initiator};
use super::periph::uart_link::UartLink;
use super::periph::{IrqLines, ResetCause};
pub use family::{G0Sim, FAMILY, G0};
pub use flash::{G0BusFault, G0Event, G0Faults, G0Flash, G0Timing};
pub use peripherals::G0Peripherals;
pub use store::{G0OptionStore, G0SimLine};

/// Address map of a G0B0/G0B1/G0C1.
pub mod map {
    /// The boot space alias.
    pub const BOOT_ALIAS: u32 = 0x0000_0000;
    pub const FLASH: u32 = 0x0800_0000;
    /// The largest flash (512 KB) ends here.
    pub const FLASH_WINDOW_END: u32 = 0x0808_0000;
    /// System memory (the ST bootloader): read only; modelled as a vector table whose reset
    /// handler idles. Its size on G0B1 is not in the reference (UNVERIFIED).
    pub const SYSTEM_MEMORY: u32 = 0x1FFF_0000;
    pub const SYSTEM_MEMORY_SIZE: u32 = 28 * 1024;
    pub const OTP: u32 = 0x1FFF_7000;
    pub const OTP_END: u32 = 0x1FFF_7400;
    /// Package data; HAL-G0 reads the "sales type" in bits 25:24 (reference §7).
    pub const PACKAGE: u32 = 0x1FFF_7500;
    /// 96-bit unique device ID.
    pub const UID: u32 = 0x1FFF_7590;
    /// Flash size in KB (u16), reference §0.
    pub const FLASH_SIZE: u32 = 0x1FFF_75E0;
    /// 144 KB of SRAM (probe-rs memory map).
    pub const SRAM: u32 = 0x2000_0000;
    pub const SRAM_END: u32 = 0x2002_4000;
    pub const PERIPHERALS: u32 = 0x4000_0000;
    pub const PERIPHERALS_END: u32 = 0x6000_0000;
    pub const FLASH_REGS: u32 = 0x4002_2000;
    pub const FLASH_REGS_END: u32 = 0x4002_2400;
    /// Start of the private peripheral bus (the common debug block).
    pub const PPB: u32 = 0xE000_0000;
}

/// DEV_ID of G0B0/G0B1/G0C1 (reference §0, §7).
pub const DEV_ID: u16 = 0x467;
/// REV_ID the simulated chip reports: the reference gives none for 0x467; 0x1000 (revision A) is
/// a choice, not a fact.
pub const REV_ID: u16 = 0x1000;

/// One simulated G0 part: its option set and flash size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct G0SimPart {
    pub line: G0SimLine,
    /// Flash size in KiB, as the flash-size register reports it.
    pub flash_kib: u32,
}

impl G0SimPart {
    /// STM32G0B1 or STM32G0C1 + pin-count letter + size letter (B = 128 KB, C = 256 KB,
    /// E = 512 KB), or STM32G0B0 + pin letter + E, as probe-rs names them (`STM32G0B1RE`).
    pub fn by_name(name: &str) -> Option<G0SimPart> {
        let upper = name.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        if bytes.len() < 11 || !bytes[9].is_ascii_alphabetic() {
            return None;
        }
        let (line, flash_kib) = match (upper.get(5..9)?, bytes[10] as char) {
            ("G0B1", 'B') => (G0SimLine::G0x1, 128),
            ("G0B1" | "G0C1", 'C') => (G0SimLine::G0x1, 256),
            ("G0B1" | "G0C1", 'E') => (G0SimLine::G0x1, 512),
            ("G0B0", 'E') => (G0SimLine::G0x0, 512),
            _ => return None,
        };
        Some(G0SimPart { line, flash_kib })
    }

    /// DBG_IDCODE as the chip reports it.
    pub fn idcode(&self) -> u32 {
        (u32::from(REV_ID) << 16) | u32::from(DEV_ID)
    }

    /// Flash size in bytes.
    pub fn flash_bytes(&self) -> u32 {
        self.flash_kib * 1024
    }

    /// The package-data word: sales type 0 (one bank) on 128 KB parts, 1 (banks per
    /// DUAL_BANK) on larger ones, so that HAL-G0's `FLASH_BANK_NB` agrees with this model's
    /// geometry. ST does not document the field (UNVERIFIED).
    pub fn package_word(&self) -> u32 {
        if self.flash_kib >= 256 {
            1 << 24
        } else {
            0
        }
    }
}

/// Where the core boots from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootSpace {
    MainFlash,
    SystemMemory,
    Sram,
}

/// Everything of a G0B0/G0B1/G0C1 that is not the Cortex-M debug block.
pub struct G0Model {
    pub flash: G0Flash,
    /// RCC, DBG, GPIO and USART2 in the peripheral range.
    pub peripherals: Box<G0Peripherals>,
    part: G0SimPart,
    sram: Vec<u8>,
    system_memory: Vec<u8>,
    uid: [u32; 3],
    /// Counts changes of the non-volatile content (array, OTP, option store), for persistence.
    pub generation: u64,
    /// Events of the FLASH controller not yet acted on by the chip.
    events: Vec<G0Event>,
    /// The empty check: with main flash selected and FLASH_ACR.PROGEMPTY set, the chip boots
    /// the system memory instead — which is why BMP clears PROGEMPTY after programming (BMP-G0;
    /// stlink-org/stlink#1260). Not in the reference sheet, so off by default; a test or the
    /// family seam turns it on to hold the engine to it.
    pub empty_check_boot: bool,
}

impl G0Model {
    /// A chip whose option store holds `store`, as after a power-on reset (options loaded).
    pub fn new(part: G0SimPart, store: G0OptionStore) -> Self {
        let mut system_memory = [0xFE, 0xE7].repeat(map::SYSTEM_MEMORY_SIZE as usize / 2);
        // A vector table: SP in SRAM, reset handler at 0x1FFF_0008 (`b .`, Thumb).
        system_memory[0..4].copy_from_slice(&0x2000_4000u32.to_le_bytes());
        system_memory[4..8].copy_from_slice(&(map::SYSTEM_MEMORY + 9).to_le_bytes());
        G0Model {
            flash: G0Flash::with_store(part.line, part.flash_kib, store),
            peripherals: Box::new(G0Peripherals::new(part.idcode())),
            part,
            sram: vec![0; (map::SRAM_END - map::SRAM) as usize],
            system_memory,
            uid: [0x0046_0031, 0x4E43_5009, 0x2036_3637 ^ part.flash_kib],
            generation: 0,
            events: Vec::new(),
            empty_check_boot: false,
        }
    }

    /// A factory-fresh chip.
    pub fn factory(part: G0SimPart) -> Self {
        Self::new(part, G0OptionStore::factory(part.line))
    }

    pub fn part(&self) -> G0SimPart {
        self.part
    }

    /// Whether this model answers `address` (everything below the private peripheral bus).
    pub fn claims(address: u32) -> bool {
        address < map::PPB
    }

    /// The FLASH controller's events since the last call (OBL_LAUNCH).
    pub fn take_events(&mut self) -> Vec<G0Event> {
        std::mem::take(&mut self.events)
    }

    /// The boot space the loaded options select: BOOT0 = !nBOOT0 when nBOOT_SEL = 1, else the
    /// PA14-BOOT0 pin (taken as low); BOOT0 = 0 boots main flash (or the system memory under the
    /// empty check), BOOT0 = 1 the system memory (nBOOT1 = 1) or SRAM (nBOOT1 = 0)
    /// (HAL-G0 `OB_BOOT0_FROM_*`, `OB_BOOT1_*`).
    pub fn boot_space(&self) -> BootSpace {
        let optr = self.flash.loaded_optr();
        let bit = |n: u32| optr & (1 << n) != 0;
        let (n_boot_sel, n_boot1, n_boot0) = (bit(24), bit(25), bit(26));
        let boot0 = n_boot_sel && !n_boot0;
        match (boot0, n_boot1) {
            (false, _) if self.empty_check_boot && self.flash.prog_empty() => {
                BootSpace::SystemMemory
            }
            (false, _) => BootSpace::MainFlash,
            (true, true) => BootSpace::SystemMemory,
            (true, false) => BootSpace::Sram,
        }
    }

    /// Where the core fetches its vector table after a reset.
    pub fn boot_address(&self) -> u32 {
        match self.boot_space() {
            BootSpace::MainFlash => map::FLASH,
            BootSpace::SystemMemory => map::SYSTEM_MEMORY,
            BootSpace::Sram => map::SRAM,
        }
    }

    /// RDP level 2 loaded: the debug port is closed for good.
    pub fn debug_port_closed(&self) -> bool {
        self.flash.debug_disabled()
    }

    /// System reset (SYSRESETREQ, NRST): the FLASH interface locks, the options stay as loaded.
    pub fn system_reset(&mut self) {
        self.flash.system_reset();
    }

    /// The boot peripherals after a reset of `cause`.
    pub fn reset_peripherals(&mut self, cause: ResetCause) {
        self.peripherals.reset(cause);
    }

    /// The option store as programmed (what the next option load reads).
    pub fn store(&self) -> G0OptionStore {
        self.flash.store()
    }

    /// Connects USART2 (the virtual COM port) to `link`.
    pub fn attach_vcp(&mut self, link: UartLink) {
        self.peripherals.attach_vcp(link);
    }

    /// The core clock (HCLK), in Hz.
    pub fn core_clock_hz(&self) -> u32 {
        self.peripherals.core_clock_hz()
    }

    /// The peripheral interrupt lines (USART2 = IRQ 28).
    pub fn irq_lines(&self) -> IrqLines {
        self.peripherals.irq_lines()
    }

    /// One step of peripheral time; whether an interrupt line may have changed.
    pub fn irq_lines_changed(&mut self) -> bool {
        self.peripherals.irq_lines_changed()
    }

    fn ram(&mut self, address: u32, size: u32) -> Option<&mut [u8]> {
        if !(map::SRAM..map::SRAM_END).contains(&address) {
            return None;
        }
        let start = (address - map::SRAM) as usize;
        self.sram.get_mut(start..start + size as usize)
    }

    /// Where an address of the boot alias reads from.
    fn alias_target(&self, address: u32) -> Option<u32> {
        let (base, size) = match self.boot_space() {
            BootSpace::MainFlash => (map::FLASH, self.part.flash_bytes()),
            BootSpace::SystemMemory => (map::SYSTEM_MEMORY, map::SYSTEM_MEMORY_SIZE),
            BootSpace::Sram => (map::SRAM, map::SRAM_END - map::SRAM),
        };
        (address - map::BOOT_ALIAS < size).then_some(base + address - map::BOOT_ALIAS)
    }

    /// The word at a word-aligned address outside SRAM; a bus error where nothing answers.
    fn read_word(&mut self, address: u32, who: Initiator, now: Instant) -> Result<u32, BusError> {
        let err = BusError { address };
        let in_range = |start: u32, end: u32| (start..end).contains(&address);
        if in_range(map::FLASH, map::FLASH_WINDOW_END) {
            return self
                .flash
                .read_flash(address, who == Initiator::Debug)
                .map_err(|_| err);
        }
        let word = if in_range(
            map::SYSTEM_MEMORY,
            map::SYSTEM_MEMORY + map::SYSTEM_MEMORY_SIZE,
        ) {
            let off = (address - map::SYSTEM_MEMORY) as usize;
            u32::from_le_bytes([
                self.system_memory[off],
                self.system_memory[off + 1],
                self.system_memory[off + 2],
                self.system_memory[off + 3],
            ])
        } else if let Some(word) = self.flash.read_otp(address) {
            word
        } else if let Some(word) = self.flash.read_option_bytes(address) {
            word
        } else if address == map::PACKAGE {
            self.part.package_word()
        } else if in_range(map::UID, map::UID + 12) {
            self.uid[((address - map::UID) / 4) as usize]
        } else if address == map::FLASH_SIZE {
            // The upper half-word reads as erased.
            0xFFFF_0000 | self.part.flash_kib
        } else if in_range(map::FLASH_REGS, map::FLASH_REGS_END) {
            self.flash.read(address - map::FLASH_REGS, now)
        } else if in_range(map::PERIPHERALS, map::PERIPHERALS_END) {
            // The boot peripherals; the others read as zero.
            self.peripherals.read(address)
        } else {
            return Err(err);
        };
        Ok(word)
    }

    /// Reads `size` bytes (1, 2 or 4) at `address`; the value is right-aligned.
    pub fn read(
        &mut self,
        address: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<u32, BusError> {
        if let Some(mem) = self.ram(address, size) {
            let mut bytes = [0u8; 4];
            bytes[..size as usize].copy_from_slice(mem);
            return Ok(u32::from_le_bytes(bytes));
        }
        let target = if address < map::FLASH {
            self.alias_target(address).ok_or(BusError { address })?
        } else {
            address
        };
        if let Some(mem) = self.ram(target, size) {
            let mut bytes = [0u8; 4];
            bytes[..size as usize].copy_from_slice(mem);
            return Ok(u32::from_le_bytes(bytes));
        }
        let word = self
            .read_word(target & !3, who, now)
            .map_err(|_| BusError { address })?;
        let value = word >> (8 * (address & 3));
        Ok(match size {
            1 => value & 0xFF,
            2 => value & 0xFFFF,
            _ => value,
        })
    }

    /// Writes `size` bytes (1, 2 or 4) of `value` at `address`.
    pub fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        now: Instant,
    ) -> Result<(), BusError> {
        let err = BusError { address };
        if let Some(mem) = self.ram(address, size) {
            mem.copy_from_slice(&value.to_le_bytes()[..size as usize]);
            return Ok(());
        }
        if (map::FLASH..map::FLASH_WINDOW_END).contains(&address)
            || (map::OTP..map::OTP_END).contains(&address)
        {
            // Every accepted write may change the array or OTP; saving a little too often is
            // cheap.
            let result = self.flash.write_flash(address, value, size, now);
            self.generation += 1;
            return result.map_err(|_| err);
        }
        if (map::FLASH_REGS..map::FLASH_REGS_END).contains(&address) {
            return self.write_flash_register(address, value, size, now);
        }
        if (map::PERIPHERALS..map::PERIPHERALS_END).contains(&address) {
            let (word, lanes) = super::bus::word_lanes(address, value, size);
            self.peripherals.write(address & !3, word, lanes);
            return Ok(());
        }
        // Boot alias, system memory, option-byte area, UID, flash size: read only. The option
        // bytes change only through FLASH_OPTR and OPTSTRT.
        Err(err)
    }

    fn write_flash_register(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        now: Instant,
    ) -> Result<(), BusError> {
        let err = BusError { address };
        let offset = (address & !3) - map::FLASH_REGS;
        // A narrow write reaches the register as a word with the other lanes as they read:
        // a half key is then a wrong key, as it should be.
        let word = if size == 4 {
            value
        } else {
            let shift = 8 * (address & 3);
            let lanes = (if size == 1 { 0xFF } else { 0xFFFF }) << shift;
            (self.flash.read(offset, now) & !lanes) | ((value << shift) & lanes)
        };
        let result = self.flash.write(offset, word, now);
        if offset == flash::reg::CR {
            // STRT, OPTSTRT and OBL_LAUNCH change the array or the store.
            self.generation += 1;
        }
        self.events.extend(self.flash.take_events());
        result.map_err(|fault: G0BusFault| {
            log::debug!("sim: G0 FLASH register write at 0x{address:08X} faults: {fault}");
            err
        })
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "facts_agree_tests.rs"]
mod facts_agree_tests;
