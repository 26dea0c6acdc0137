//! The simulated STM32F76x/F77x and F74x/F75x below the private peripheral bus: its memory map
//! (RM0410 §2.2) with the FLASH controller, array, OTP and option store of [`Flash`], the boot
//! peripherals of [`F7Peripherals`] and the DBGMCU block. Written from the reference facts, not
//! from the engine's code.

use std::any::Any;
use std::time::Instant;

use super::flash::{self, Flash, RdpLevel};
use super::peripherals::F7Peripherals;
use crate::sim::bus::{word_lanes, BusError, Initiator};
use crate::sim::family::{FamilyModel, SavedState};
use crate::sim::periph::dbgmcu::Dbgmcu;
use crate::sim::periph::BootPeripherals;
use crate::sim::state::to_hex;
use crate::sim::variant::Variant;

/// Address map of the F7 (RM0410 §2.2, PM0253 for the Cortex-M7 private peripheral bus).
pub mod map {
    pub const ITCM_RAM: u32 = 0x0000_0000;
    pub const ITCM_RAM_SIZE: u32 = 16 * 1024;
    pub const SYSTEM_MEMORY: u32 = 0x0010_0000;
    pub const SYSTEM_MEMORY_SIZE: u32 = 60 * 1024;
    pub const FLASH_ITCM: u32 = 0x0020_0000;
    pub const FLASH_AXIM: u32 = 0x0800_0000;
    pub const OTP: u32 = 0x1FF0_F000;
    pub const UID: u32 = 0x1FF0_F420;
    pub const FLASH_SIZE_WORD: u32 = 0x1FF0_F440;
    pub const PACKAGE: u32 = 0x1FF0_F7E0;
    pub const OPTION_BYTES: u32 = 0x1FFF_0000;
    pub const OPTION_BYTES_SIZE: u32 = 0x20;
    /// DTCM, SRAM1 and SRAM2 are contiguous: 0x2000_0000–0x2007_FFFF.
    pub const SRAM: u32 = 0x2000_0000;
    pub const SRAM_SIZE: u32 = 512 * 1024;
    pub const PERIPHERALS: u32 = 0x4000_0000;
    pub const PERIPHERALS_END: u32 = 0x6000_0000;
    pub const FLASH_REGS: u32 = 0x4002_3C00;
    pub const BKPSRAM: u32 = 0x4002_4000;
    pub const BKPSRAM_SIZE: u32 = 4 * 1024;
    pub const DBGMCU: u32 = 0xE004_2000;
    /// The private peripheral bus.
    pub const PPB: u32 = 0xE000_0000;
    pub const PPB_END: u32 = 0xE010_0000;
}

/// The DBGMCU block's size.
const DBGMCU_SIZE: u32 = 0x10;

/// Everything of an F7 that is not the Cortex-M7 core.
pub struct F7Model {
    pub variant: Variant,
    /// The FLASH controller, the array, OTP and the option store.
    pub flash: Flash,
    /// RCC, PWR, SYSCFG, GPIO and USART3.
    pub peripherals: F7Peripherals,
    pub dbgmcu: Dbgmcu,
    itcm: Vec<u8>,
    sram: Vec<u8>,
    bkpsram: Vec<u8>,
    system_memory: Vec<u8>,
    pub uid: [u32; 3],
}

impl F7Model {
    /// The chip around `flash`, as after power-on.
    pub fn new(variant: Variant, flash: Flash) -> Self {
        F7Model {
            variant,
            flash,
            peripherals: F7Peripherals::new(),
            dbgmcu: Dbgmcu::new(variant.idcode()),
            itcm: vec![0; map::ITCM_RAM_SIZE as usize],
            sram: vec![0; map::SRAM_SIZE as usize],
            bkpsram: vec![0; map::BKPSRAM_SIZE as usize],
            // An idle bootloader: `b .` repeated.
            system_memory: [0xFE, 0xE7].repeat(map::SYSTEM_MEMORY_SIZE as usize / 2),
            uid: [0x0032_0041, 0x3336_5107, 0x3938_3933 ^ variant.flash_kib],
        }
    }

    /// The flash array is readable by the debugger only at RDP level 0.
    fn flash_blocked(&self, who: Initiator) -> bool {
        who == Initiator::Debug && self.flash.rdp() != RdpLevel::Level0
    }

    fn flash_offset(&self, address: u32) -> Option<u32> {
        let size = self.variant.flash_bytes();
        for base in [map::FLASH_AXIM, map::FLASH_ITCM] {
            if address >= base && address - base < size {
                return Some(address - base);
            }
        }
        None
    }

    /// Reads `size` bytes (1, 2 or 4, aligned) at `address`; the value is right-aligned.
    fn read_at(
        &mut self,
        address: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<u32, BusError> {
        let err = BusError { address };
        let mut bytes = [0u8; 4];
        let buf = &mut bytes[..size as usize];
        if let Some(off) = self.flash_offset(address) {
            if self.flash_blocked(who) {
                return Err(err);
            }
            self.flash.read_array(off, buf);
        } else if let Some(mem) = self.ram_slice(address, size) {
            buf.copy_from_slice(mem);
        } else if (map::BKPSRAM..map::BKPSRAM + map::BKPSRAM_SIZE).contains(&address) {
            if self.flash_blocked(who) {
                return Err(err);
            }
            let off = (address - map::BKPSRAM) as usize;
            buf.copy_from_slice(&self.bkpsram[off..off + size as usize]);
        } else {
            // Registers: read the aligned word and pick the lanes.
            let word = self.read_register(address & !3, now).ok_or(err)?;
            let shift = 8 * (address & 3);
            let value = word >> shift;
            return Ok(match size {
                1 => value & 0xFF,
                2 => value & 0xFFFF,
                _ => value,
            });
        }
        Ok(u32::from_le_bytes(bytes))
    }

    fn ram_slice(&mut self, address: u32, size: u32) -> Option<&mut [u8]> {
        let regions: [(u32, &mut Vec<u8>); 3] = [
            (map::ITCM_RAM, &mut self.itcm),
            (map::SRAM, &mut self.sram),
            (map::SYSTEM_MEMORY, &mut self.system_memory),
        ];
        for (base, mem) in regions {
            if address >= base && (address - base) as usize + size as usize <= mem.len() {
                let off = (address - base) as usize;
                return Some(&mut mem[off..off + size as usize]);
            }
        }
        None
    }

    /// Writes `size` bytes (1, 2 or 4, aligned) of `value` at `address`.
    fn write_at(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<(), BusError> {
        let err = BusError { address };
        if address >= map::FLASH_AXIM && address - map::FLASH_AXIM < self.variant.flash_bytes() {
            if self.flash_blocked(who) {
                return Err(err);
            }
            return self
                .flash
                .program(address - map::FLASH_AXIM, value, size, now)
                .map_err(|_| err);
        }
        if self.flash_offset(address).is_some() {
            // The ITCM alias of flash is read-only.
            return Err(err);
        }
        if (map::OTP..map::OTP + flash::OTP_BYTES as u32).contains(&address) {
            return self
                .flash
                .program_otp(address - map::OTP, value, size, now)
                .map_err(|_| err);
        }
        if (map::SYSTEM_MEMORY..map::SYSTEM_MEMORY + map::SYSTEM_MEMORY_SIZE).contains(&address) {
            return Err(err);
        }
        if let Some(mem) = self.ram_slice(address, size) {
            mem.copy_from_slice(&value.to_le_bytes()[..size as usize]);
            return Ok(());
        }
        if (map::BKPSRAM..map::BKPSRAM + map::BKPSRAM_SIZE).contains(&address) {
            if self.flash_blocked(who) {
                return Err(err);
            }
            let off = (address - map::BKPSRAM) as usize;
            self.bkpsram[off..off + size as usize]
                .copy_from_slice(&value.to_le_bytes()[..size as usize]);
            return Ok(());
        }
        let (word, lanes) = word_lanes(address, value, size);
        self.write_register(address & !3, word, lanes, now)
            .ok_or(err)
    }

    /// Word reads of registers and read-only system areas. `None` = no such address.
    fn read_register(&mut self, address: u32, now: Instant) -> Option<u32> {
        let variant = self.variant;
        Some(match address {
            a if (map::FLASH_REGS..map::FLASH_REGS + 0x20).contains(&a) => {
                self.flash.read_reg(a - map::FLASH_REGS, now)
            }
            a if (map::OTP..map::OTP + flash::OTP_BYTES as u32).contains(&a) => {
                let off = (a - map::OTP) as usize;
                u32::from_le_bytes(self.flash.otp()[off..off + 4].try_into().ok()?)
            }
            a if (map::UID..map::UID + 12).contains(&a) => self.uid[((a - map::UID) / 4) as usize],
            map::FLASH_SIZE_WORD => (variant.flash_kib << 16) | 0xFFFF,
            map::PACKAGE => 0x0000_0300,
            a if (map::OPTION_BYTES..map::OPTION_BYTES + map::OPTION_BYTES_SIZE).contains(&a) => {
                self.flash.store().option_word((a - map::OPTION_BYTES) / 4)
            }
            a if (map::PERIPHERALS..map::PERIPHERALS_END).contains(&a) => self.peripherals.read(a),
            a if (map::DBGMCU..map::DBGMCU + DBGMCU_SIZE).contains(&a) => {
                self.dbgmcu.read(a - map::DBGMCU)?
            }
            // The rest of the private peripheral bus the core passes on (ITM, TPIU, ETM, ROM
            // table): not modelled, read as zero.
            a if (map::PPB..map::PPB_END).contains(&a) => 0,
            _ => return None,
        })
    }

    fn write_register(&mut self, address: u32, value: u32, lanes: u32, now: Instant) -> Option<()> {
        match address {
            a if (map::FLASH_REGS..map::FLASH_REGS + 0x20).contains(&a) => {
                if self
                    .flash
                    .write_reg(a - map::FLASH_REGS, value, lanes, now)
                    .is_err()
                {
                    return None;
                }
            }
            a if (map::PERIPHERALS..map::PERIPHERALS_END).contains(&a) => {
                self.peripherals.write(a, value, lanes)
            }
            a if (map::DBGMCU..map::DBGMCU + DBGMCU_SIZE).contains(&a) => {
                self.dbgmcu.write(a - map::DBGMCU, value)?
            }
            a if (map::PPB..map::PPB_END).contains(&a) => {}
            _ => return None,
        }
        Some(())
    }
}

impl FamilyModel for F7Model {
    fn read(
        &mut self,
        address: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<u32, BusError> {
        self.read_at(address, size, who, now)
    }

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
        now: Instant,
    ) -> Result<(), BusError> {
        self.write_at(address, value, size, who, now)
    }

    /// The F7 loads its option store at every system reset.
    fn system_reset(&mut self, now: Instant) {
        self.flash.reset(now);
    }

    fn power_on(&mut self, now: Instant) {
        self.dbgmcu.power_on();
        self.flash.reset(now);
    }

    /// FLASH_OPTCR1.BOOT_ADD0 (BOOT0 pin low) counts 16 KB units.
    fn boot_address(&self) -> u32 {
        (self.flash.store().optcr1 & 0xFFFF) << 14
    }

    fn debug_port_closed(&self) -> bool {
        self.flash.rdp() == RdpLevel::Level2
    }

    fn generation(&self) -> u64 {
        self.flash.generation
    }

    fn peripherals(&self) -> &dyn BootPeripherals {
        &self.peripherals
    }

    fn peripherals_mut(&mut self) -> &mut dyn BootPeripherals {
        &mut self.peripherals
    }

    /// `optcr`/`optcr1` before the flash, the OTP area after it.
    fn saved(&self) -> SavedState<'_> {
        let store = self.flash.store();
        let [low, high] = self.flash.halves();
        SavedState {
            fields: format!(
                "  \"optcr\": {},\n  \"optcr1\": {},\n",
                store.optcr, store.optcr1
            ),
            halves: [low.as_slice(), high.as_slice()],
            tail: format!(",\n  \"otp\": \"{}\"", to_hex(self.flash.otp())),
        }
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self
    }
}
