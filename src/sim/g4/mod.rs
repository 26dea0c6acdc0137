//! The simulated STM32G47x/G48x below the private peripheral bus: its memory map, with the FLASH
//! controller, flash array and option store of [`G4Flash`] ([`flash`]) mapped onto it (RM0440
//! memory map as the reference and probe-rs's `STM32G4_Series.yaml` give it;
//! `stm32-families.md` §0, §3, §6, §12), and the DBGMCU block the Cortex-M4F core passes on from
//! the private peripheral bus. The family as the simulator registers it is in [`family`].
//!
//! Written from the reference facts, not from the engine's code. The boot peripherals (RCC,
//! PWR, GPIO, LPUART1) are in [`peripherals`], [`rcc`] and [`pwr`].

pub mod family;
pub mod flash;
pub mod peripherals;
pub mod pwr;
pub mod rcc;

use std::any::Any;
use std::time::Instant;

use crate::sim::bus::{BusError, ChipEvent, Initiator, PPB};
use crate::sim::family::{FamilyModel, SavedState};
use crate::sim::periph::dbgmcu::Dbgmcu;
use crate::sim::periph::BootPeripherals;
use crate::sim::variant::Variant;
use flash::{G4BusFault, G4Event};

pub use family::{G4Sim, FAMILY, G4};
pub use flash::{G4Faults, G4Flash, G4OptionStore, G4Timing};
pub use peripherals::G4Peripherals;

/// Address map of a G47x/G48x.
pub mod map {
    /// Boot alias: with the factory boot options (nBOOT0/nSWBOOT0) main flash appears at 0.
    pub const BOOT_ALIAS: u32 = 0x0000_0000;
    pub const FLASH: u32 = super::flash::FLASH_BASE;
    /// Bank 2 starts here in dual-bank mode whatever the flash size; the rest of the 512 KB
    /// window is a gap on smaller parts.
    pub const FLASH_WINDOW_END: u32 = 0x0808_0000;
    /// CCM SRAM through the instruction bus (ICODE alias of 0x2001_8000).
    pub const CCM_ALIAS: u32 = 0x1000_0000;
    pub const CCM_SIZE: u32 = 32 * 1024;
    /// System memory (the ST bootloader): read only; modelled as an idle loop.
    pub const SYSTEM_MEMORY: u32 = 0x1FFF_0000;
    pub const SYSTEM_MEMORY_SIZE: u32 = 28 * 1024;
    /// 96-bit unique device ID.
    pub const UID: u32 = 0x1FFF_7590;
    /// Flash size in KB (u16), reference §0.
    pub const FLASH_SIZE: u32 = 0x1FFF_75E0;
    /// SRAM1 (80 KB), SRAM2 (16 KB) and CCM SRAM (32 KB, data-bus view) are contiguous.
    pub const SRAM1: u32 = 0x2000_0000;
    pub const SRAM2: u32 = 0x2001_4000;
    pub const CCM_SRAM: u32 = 0x2001_8000;
    pub const SRAM_END: u32 = 0x2002_0000;
    pub const PERIPHERALS: u32 = 0x4000_0000;
    pub const PERIPHERALS_END: u32 = 0x6000_0000;
    pub const FLASH_REGS: u32 = 0x4002_2000;
    pub const FLASH_REGS_END: u32 = 0x4002_2400;
    /// Start of the private peripheral bus (the common debug block).
    pub const PPB: u32 = 0xE000_0000;
    /// DBGMCU, on the private peripheral bus as on the F7 (reference §0).
    pub const DBGMCU: u32 = 0xE004_2000;
}

/// Everything of a G47x/G48x that is not the Cortex-M debug block.
pub struct G4Model {
    pub flash: G4Flash,
    /// RCC, PWR, GPIO and LPUART1 in the peripheral range.
    pub peripherals: Box<G4Peripherals>,
    variant: Variant,
    /// SRAM1, SRAM2 and CCM SRAM, from 0x2000_0000.
    sram: Vec<u8>,
    system_memory: Vec<u8>,
    uid: [u32; 3],
    /// DBGMCU_IDCODE, DBGMCU_CR and the freeze registers.
    pub dbgmcu: Dbgmcu,
    /// Counts changes of the non-volatile content (array and option store), for persistence.
    pub generation: u64,
    /// Events of the FLASH controller not yet acted on by the chip.
    events: Vec<G4Event>,
}

impl G4Model {
    /// A chip whose option store holds `store`, as after a power-on reset (options loaded).
    pub fn new(variant: Variant, store: G4OptionStore) -> Self {
        G4Model {
            flash: G4Flash::with_store(variant.flash_kib, store),
            peripherals: Box::new(G4Peripherals::new()),
            variant,
            sram: vec![0; (map::SRAM_END - map::SRAM1) as usize],
            // An idle bootloader: `b .` repeated.
            system_memory: [0xFE, 0xE7].repeat(map::SYSTEM_MEMORY_SIZE as usize / 2),
            uid: [0x0047_0034, 0x4741_5012, 0x2035_4734 ^ variant.flash_kib],
            dbgmcu: Dbgmcu::new(variant.idcode()),
            generation: 0,
            events: Vec::new(),
        }
    }

    /// Where the core fetches its vector table after a reset: main flash (factory boot
    /// options; BOOT0 and the boot-option bits are not modelled).
    pub fn boot_address(&self) -> u32 {
        map::FLASH
    }

    /// RDP level 2 loaded: the debug port is closed for good.
    pub fn debug_port_closed(&self) -> bool {
        self.flash.debug_disabled()
    }

    /// System reset (SYSRESETREQ, NRST): the FLASH interface locks, the options stay as loaded.
    pub fn system_reset(&mut self) {
        self.flash.system_reset();
    }

    /// The option store as programmed (what the next option load reads).
    pub fn store(&self) -> G4OptionStore {
        self.flash.store()
    }

    fn ram(&mut self, address: u32, size: u32) -> Option<&mut [u8]> {
        let offset = if (map::SRAM1..map::SRAM_END).contains(&address) {
            address - map::SRAM1
        } else if (map::CCM_ALIAS..map::CCM_ALIAS + map::CCM_SIZE).contains(&address) {
            address - map::CCM_ALIAS + (map::CCM_SRAM - map::SRAM1)
        } else {
            return None;
        };
        let (start, end) = (offset as usize, (offset + size) as usize);
        self.sram.get_mut(start..end)
    }

    /// Main flash (and its boot alias at 0) in the loaded geometry; `None` outside it.
    fn flash_address(&self, address: u32) -> Option<u32> {
        if (map::FLASH..map::FLASH_WINDOW_END).contains(&address) {
            Some(address)
        } else if address < self.variant.flash_bytes() {
            // The boot alias shows the first bank as the CPU boots from it (UNVERIFIED in
            // dual-bank mode beyond bank 1; only the vector table matters here).
            Some(map::FLASH + (address - map::BOOT_ALIAS))
        } else {
            None
        }
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
        if let Some(mem) = self.ram(address, size) {
            let mut bytes = [0u8; 4];
            bytes[..size as usize].copy_from_slice(mem);
            return Ok(u32::from_le_bytes(bytes));
        }
        let word_address = address & !3;
        let word = if let Some(flash_address) = self.flash_address(word_address) {
            self.flash
                .read_flash(flash_address, who == Initiator::Debug)
                .map_err(|_| err)?
        } else if (map::SYSTEM_MEMORY..map::SYSTEM_MEMORY + map::SYSTEM_MEMORY_SIZE)
            .contains(&word_address)
        {
            let off = (word_address - map::SYSTEM_MEMORY) as usize;
            u32::from_le_bytes(self.system_memory[off..off + 4].try_into().expect("4"))
        } else if let Some(word) = self.flash.read_option_bytes(word_address) {
            word
        } else if (map::UID..map::UID + 12).contains(&word_address) {
            self.uid[((word_address - map::UID) / 4) as usize]
        } else if word_address == map::FLASH_SIZE {
            // The upper half-word is the package data; reads as erased.
            0xFFFF_0000 | self.variant.flash_kib
        } else if (map::FLASH_REGS..map::FLASH_REGS_END).contains(&word_address) {
            self.flash.read(word_address - map::FLASH_REGS, now)
        } else if (map::PERIPHERALS..map::PERIPHERALS_END).contains(&word_address) {
            // The boot peripherals; the others read as zero.
            self.peripherals.read(word_address)
        } else {
            return Err(err);
        };
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
        if (map::FLASH..map::FLASH_WINDOW_END).contains(&address) {
            // Every accepted write may change the array; saving a little too often is cheap.
            let result = self.flash.write_flash(address, value, size, now);
            self.generation += 1;
            return result.map_err(|_| err);
        }
        if (map::FLASH_REGS..map::FLASH_REGS_END).contains(&address) {
            return self.write_flash_register(address, value, size, now);
        }
        if (map::PERIPHERALS..map::PERIPHERALS_END).contains(&address) {
            let (word, lanes) = crate::sim::bus::word_lanes(address, value, size);
            self.peripherals.write(address & !3, word, lanes);
            return Ok(());
        }
        // Boot alias, system memory, option-byte areas, UID, flash size: read only. The option
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
        result.map_err(|fault: G4BusFault| {
            log::debug!("sim: G4 FLASH register write at 0x{address:08X} faults: {fault}");
            err
        })
    }
}

impl FamilyModel for G4Model {
    fn read(
        &mut self,
        address: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<u32, BusError> {
        if PPB.contains(&address) {
            return Ok(self.dbgmcu.read_ppb(map::DBGMCU, address, size));
        }
        G4Model::read(self, address, size, who, now)
    }

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        _who: Initiator,
        now: Instant,
    ) -> Result<(), BusError> {
        if PPB.contains(&address) {
            self.dbgmcu.write_ppb(map::DBGMCU, address, value);
            return Ok(());
        }
        G4Model::write(self, address, value, size, now)
    }

    fn take_events(&mut self) -> Vec<ChipEvent> {
        std::mem::take(&mut self.events)
            .into_iter()
            .map(|event| match event {
                G4Event::OptionLoadReset => ChipEvent::OptionLoadReset,
            })
            .collect()
    }

    /// The FLASH interface locks; the options stay as loaded (only OBL_LAUNCH or a power-on
    /// reset load them).
    fn system_reset(&mut self, _now: Instant) {
        self.flash.system_reset();
    }

    fn power_on(&mut self, _now: Instant) {
        self.dbgmcu.power_on();
        self.flash.system_reset();
    }

    fn boot_address(&self) -> u32 {
        G4Model::boot_address(self)
    }

    fn debug_port_closed(&self) -> bool {
        G4Model::debug_port_closed(self)
    }

    fn generation(&self) -> u64 {
        self.generation
    }

    fn peripherals(&self) -> &dyn BootPeripherals {
        &*self.peripherals
    }

    fn peripherals_mut(&mut self) -> &mut dyn BootPeripherals {
        &mut *self.peripherals
    }

    /// The option store under `g4`, the array as bank 1's and bank 2's halves.
    fn saved(&self) -> SavedState<'_> {
        let s = self.store();
        let array = self.flash.array();
        let (low, high) = array.split_at(array.len() / 2);
        SavedState {
            fields: format!(
                "  \"g4\": {{ \"optr\": {}, \"pcrop1sr\": {}, \"pcrop1er\": {}, \"wrp1ar\": {}, \"wrp1br\": {}, \"sec1r\": {}, \"pcrop2sr\": {}, \"pcrop2er\": {}, \"wrp2ar\": {}, \"wrp2br\": {}, \"sec2r\": {} }},\n",
                s.optr,
                s.pcrop1sr,
                s.pcrop1er,
                s.wrp1ar,
                s.wrp1br,
                s.sec1r,
                s.pcrop2sr,
                s.pcrop2er,
                s.wrp2ar,
                s.wrp2br,
                s.sec2r,
            ),
            halves: [low, high],
            tail: String::new(),
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
