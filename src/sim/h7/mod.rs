//! The simulated STM32H743 (DEV_ID 0x450, 2 MB or 1 MB in two banks with the bank swap) below
//! the private peripheral bus: its memory map, the FLASH controller with two register sets and
//! the option store, DBGMCU in its CPU view, and the debugger's way to DBGMCU through access
//! port 2. The Cortex-M7 debug block above 0xE000_0000 is the common one of the simulator.
//!
//! Written from the reference facts (`stm32-families.md` §0, §9, §12, §13), not from the
//! engine's `src/chip/h7`: a misunderstanding shared with the engine then fails a test instead
//! of hiding. Registered as the simulator's STM32H7 family in [`family`]; its API:
//! - [`H7Model::read`]/[`H7Model::write`] with the initiator and the time of the access;
//! - [`H7Model::take_events`], [`H7Model::generation`] (persistence), [`H7Model::store`] and
//!   [`H7OptionStore`] (serde, for `--sim-state`), [`H7Flash::array`]/`restore_array`;
//! - [`H7Model::system_reset`]/[`H7Model::power_on_reset`]: **the only places the bank swap
//!   takes effect** (no OBL_LAUNCH on the H7);
//! - [`H7Model::ap2_transfer`] for the DAP's transfers to AP 2 and
//!   [`H7Model::read_system_debug`]/[`H7Model::write_system_debug`] for 0xE00E_xxxx through the
//!   core's AP, which probe-rs uses when it stops debugging (whether silicon answers there on
//!   AP 0 is not in the reference: UNVERIFIED).
//!
//! Not modelled: RCC/PWR/GPIO and the other peripherals (they read as zero; vendor start-up
//! code polling RCC ready flags would wait forever), the flash's ITCM/AXI timing, ECC, CRC,
//! PCROP and secure-only enforcement, the dual-core parts, the STM32H750's one-bank flash.

pub mod ap2;
pub mod bank;
pub mod dbgmcu;
pub mod family;
pub mod flash;
pub mod map;
pub mod options;
pub mod regs;
pub mod store;

use std::time::Instant;

use sim_core::{BusError, Initiator};

pub use ap2::{Ap2, Ap2Ack, SystemDebugBus};
pub use bank::H7BusFault;
pub use dbgmcu::Dbgmcu;
pub use family::{H7Sim, NoPeripherals, FAMILY, H7};
pub use flash::{H7Event, H7Faults, H7Flash, H7Timing, UnsupportedFlashSize};
pub use store::H7OptionStore;

use map::{Ram, Region};

/// Everything of an H743 that is not the Cortex-M debug block.
pub struct H7Model {
    pub flash: H7Flash,
    pub dbgmcu: Dbgmcu,
    /// Access port 2 (its CSW and TAR).
    pub ap2: Ap2,
    /// RCC, PWR, GPIO, UARTs: not modelled.
    peripherals: NoPeripherals,
    flash_kb: u32,
    rams: Vec<Vec<u8>>,
    system_memory: Vec<u8>,
    uid: [u32; 3],
}

impl H7Model {
    /// A chip of `flash_kb` (1024 or 2048) whose store holds `store`, as after a power-on.
    pub fn new(flash_kb: u32, store: H7OptionStore) -> Result<Self, UnsupportedFlashSize> {
        Ok(H7Model {
            flash: H7Flash::new(flash_kb, store)?,
            dbgmcu: Dbgmcu::default(),
            ap2: Ap2::new(),
            peripherals: NoPeripherals,
            flash_kb,
            rams: Ram::ALL
                .iter()
                .map(|r| vec![0; r.size() as usize])
                .collect(),
            // An idle bootloader: `b .` repeated.
            system_memory: [0xFE, 0xE7].repeat(map::SYSTEM_MEMORY_SIZE as usize / 2),
            uid: [0x0036_0041, 0x3238_5110, 0x3436_3830 ^ flash_kb],
        })
    }

    /// A factory-fresh chip.
    pub fn factory(flash_kb: u32) -> Result<Self, UnsupportedFlashSize> {
        Self::new(flash_kb, H7OptionStore::factory())
    }

    /// Whether this model answers `address` (everything below the private peripheral bus).
    pub fn claims(address: u32) -> bool {
        address < map::PPB
    }

    /// The FLASH controller's events since the last call.
    pub fn take_events(&mut self) -> Vec<H7Event> {
        self.flash.take_events()
    }

    /// Changes whenever the non-volatile content (array, option store) may have changed.
    pub fn generation(&self) -> u64 {
        self.flash.changes()
    }

    /// The option store as programmed.
    pub fn store(&self) -> H7OptionStore {
        self.flash.store()
    }

    /// Where the core fetches its vector table after a reset: BOOT_ADD0 (BOOT pin low), in
    /// the bank mapping loaded at that reset.
    pub fn boot_address(&self) -> u32 {
        self.flash.store().boot_address0()
    }

    /// RDP level 2 loaded at the last reset: the debug port is closed.
    pub fn debug_port_closed(&self) -> bool {
        self.flash.debug_port_closed()
    }

    /// A system reset (SYSRESETREQ, NRST): the FLASH registers lock and the options, the bank
    /// swap among them, are loaded. DBGMCU keeps its settings.
    pub fn system_reset(&mut self) {
        self.flash.reset();
    }

    /// A power-on: as a system reset, and RAM, DBGMCU and AP 2 start over.
    pub fn power_on_reset(&mut self) {
        self.flash.reset();
        self.dbgmcu.power_on_reset();
        self.ap2 = Ap2::new();
        for ram in &mut self.rams {
            ram.fill(0);
        }
    }

    /// One transfer of the DAP to access port 2 (`register` = APBANKSEL << 4 | A[3:2]).
    pub fn ap2_transfer(&mut self, read: bool, register: u32, value: u32) -> Ap2Ack {
        self.ap2.transfer(&mut self.dbgmcu, read, register, value)
    }

    /// A word read on the system debug bus (0xE00E_0000–0xE00F_FFFF); `None` elsewhere.
    pub fn read_system_debug(&mut self, address: u32) -> Option<u32> {
        self.dbgmcu.read_word(address)
    }

    /// A word write on the system debug bus; `None` elsewhere.
    pub fn write_system_debug(&mut self, address: u32, value: u32) -> Option<()> {
        self.dbgmcu.write_word(address, value)
    }

    fn ram(&mut self, ram: Ram, offset: u32, size: u32) -> Option<&mut [u8]> {
        let index = Ram::ALL.iter().position(|&r| r == ram)?;
        self.rams[index].get_mut(offset as usize..(offset + size) as usize)
    }

    /// Reads `size` bytes (1, 2 or 4) at `address`; the value is right-aligned.
    pub fn read(
        &mut self,
        address: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<u32, BusError> {
        let err = BusError { address };
        let region = map::decode(address);
        if let Region::Ram(ram, offset) = region {
            let mem = self.ram(ram, offset, size).ok_or(err)?;
            let mut bytes = [0u8; 4];
            bytes[..size as usize].copy_from_slice(mem);
            return Ok(u32::from_le_bytes(bytes));
        }
        let word_address = address & !3;
        let word = match region {
            Region::Flash => {
                self.flash.settle(now);
                self.flash
                    .read_flash(word_address, who == Initiator::Debug)
                    .map_err(|_| err)?
            }
            Region::SystemMemory(_) => self.system_word(word_address),
            Region::FlashRegisters(offset) => self.flash.read_register(offset & !3, now),
            Region::Dbgmcu(offset) => self.dbgmcu.read(offset),
            Region::Peripheral => 0,
            Region::Ram(..) | Region::Unmapped => return Err(err),
        };
        let value = word >> (8 * (address & 3));
        Ok(match size {
            1 => value & 0xFF,
            2 => value & 0xFFFF,
            _ => value,
        })
    }

    fn system_word(&self, word_address: u32) -> u32 {
        if (map::UID..map::UID + 12).contains(&word_address) {
            self.uid[((word_address - map::UID) / 4) as usize]
        } else if word_address == map::FLASH_SIZE {
            // Only the low half-word is defined; the other reads as erased.
            0xFFFF_0000 | self.flash_kb
        } else {
            let off = (word_address - map::SYSTEM_MEMORY) as usize;
            let mut bytes = [0u8; 4];
            bytes.copy_from_slice(&self.system_memory[off..off + 4]);
            u32::from_le_bytes(bytes)
        }
    }

    /// Writes `size` bytes (1, 2 or 4) of `value` at `address`.
    pub fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<(), BusError> {
        let err = BusError { address };
        match map::decode(address) {
            Region::Ram(ram, offset) => {
                let mem = self.ram(ram, offset, size).ok_or(err)?;
                mem.copy_from_slice(&value.to_le_bytes()[..size as usize]);
                Ok(())
            }
            Region::Flash => self
                .flash
                .write_flash(address, value, size, who == Initiator::Debug, now)
                .map_err(|_| err),
            Region::FlashRegisters(offset) => {
                let word = self.merged(offset & !3, address, value, size, now);
                self.flash
                    .write_register(offset & !3, word, now)
                    .map_err(|fault| {
                        log::debug!(
                            "sim: H7 FLASH register write at 0x{address:08X} faults: {fault}"
                        );
                        err
                    })
            }
            Region::Dbgmcu(offset) => {
                let current = self.dbgmcu.read(offset);
                self.dbgmcu
                    .write(offset, merge(current, address, value, size));
                Ok(())
            }
            Region::Peripheral => Ok(()),
            // System memory, UID and flash size are read only.
            Region::SystemMemory(_) | Region::Unmapped => Err(err),
        }
    }

    /// A narrow write reaches a FLASH register as a word with the other lanes as they read:
    /// half a key is then a wrong key, as it should be.
    fn merged(&mut self, offset: u32, address: u32, value: u32, size: u32, now: Instant) -> u32 {
        if size == 4 {
            return value;
        }
        let current = self.flash.read_register(offset, now);
        merge(current, address, value, size)
    }
}

fn merge(current: u32, address: u32, value: u32, size: u32) -> u32 {
    if size == 4 {
        return value;
    }
    let shift = 8 * (address & 3);
    let lanes = (if size == 1 { 0xFF } else { 0xFFFF }) << shift;
    (current & !lanes) | ((value << shift) & lanes)
}

#[cfg(test)]
mod tests;
