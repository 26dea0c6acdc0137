//! The simulated chip's memory map outside the Cortex-M core: what both the core and the debug
//! port (AHB-AP) reach through [`sim_core::Bus`]. The core itself answers the registers the
//! architecture defines (System Control Space, DWT, FPB, bit-band aliases); everything else of
//! the private peripheral bus that the core passes on (DBGMCU, the CoreSight blocks it does
//! not model) is answered here.

use std::time::Instant;

use super::f7::F7Peripherals;
use super::family::Model;
use super::flash::{self, RdpLevel};
use super::g4::G4Model;
use super::g4_flash::G4Event;
use super::periph::uart_link::UartLink;
use super::periph::{IrqLines, ResetCause};
use super::variant::{Family, Variant};

/// Address map of the F7 (RM0410 §2.2, PM0253 for the Cortex-M7 private peripheral bus). The
/// G4's is in [`super::g4::map`]; the private peripheral bus is common.
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

/// DBGMCU registers.
pub mod dbgmcu {
    pub const IDCODE: u32 = 0xE004_2000;
    pub const CR: u32 = 0xE004_2004;
    pub const APB1_FZ: u32 = 0xE004_2008;
    pub const APB2_FZ: u32 = 0xE004_200C;
}

/// Who makes a bus access: the core sees the flash even under RDP level 1, the debugger not.
pub use sim_core::{BusError, Initiator};

/// Something the chip must do after a bus access, because it concerns more than the bus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChipEvent {
    /// G4 OBL_LAUNCH: the options were reloaded; the chip resets and the debug link drops.
    OptionLoadReset,
}

/// Everything addressable.
pub struct Bus {
    pub variant: Variant,
    /// The family model: on the F7 its FLASH controller, array and option store (the F7 memory
    /// map is the rest of this struct); on the G4 everything below the private peripheral bus.
    pub flash: Model,
    itcm: Vec<u8>,
    sram: Vec<u8>,
    bkpsram: Vec<u8>,
    system_memory: Vec<u8>,
    pub uid: [u32; 3],
    pub dbgmcu_cr: u32,
    pub dbgmcu_apb1_fz: u32,
    pub dbgmcu_apb2_fz: u32,
    /// What the chip must do after the last accesses.
    pub events: Vec<ChipEvent>,
    /// The F7's boot peripherals (RCC, PWR, SYSCFG, GPIO, USART3); the G4's are in its model.
    pub f7_peripherals: Option<F7Peripherals>,
    /// What the next system reset is, for the RCC's reset flags: a power-on at first, then a
    /// software reset unless the chip says otherwise (NRST, OBL_LAUNCH).
    pub next_reset: ResetCause,
}

impl Bus {
    pub fn new(variant: Variant, flash: Model) -> Self {
        Bus {
            variant,
            flash,
            itcm: vec![0; map::ITCM_RAM_SIZE as usize],
            sram: vec![0; map::SRAM_SIZE as usize],
            bkpsram: vec![0; map::BKPSRAM_SIZE as usize],
            // An idle bootloader: `b .` repeated.
            system_memory: [0xFE, 0xE7].repeat(map::SYSTEM_MEMORY_SIZE as usize / 2),
            uid: [0x0032_0041, 0x3336_5107, 0x3938_3933 ^ variant.flash_kib],
            dbgmcu_cr: 0,
            dbgmcu_apb1_fz: 0,
            dbgmcu_apb2_fz: 0,
            events: Vec::new(),
            f7_peripherals: (variant.family == Family::F7).then(F7Peripherals::new),
            next_reset: ResetCause::PowerOn,
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
    pub fn read(&mut self, address: u32, size: u32, who: Initiator) -> Result<u32, BusError> {
        let err = BusError { address };
        if let Model::G4(g4) = &mut self.flash {
            if G4Model::claims(address) {
                return g4.read(address, size, who, Instant::now());
            }
        }
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
            let word = self.read_register(address & !3).ok_or(err)?;
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
    pub fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
    ) -> Result<(), BusError> {
        let err = BusError { address };
        let now = Instant::now();
        if let Model::G4(g4) = &mut self.flash {
            if G4Model::claims(address) {
                let result = g4.write(address, value, size, now);
                for event in g4.take_events() {
                    match event {
                        G4Event::OptionLoadReset => self.events.push(ChipEvent::OptionLoadReset),
                    }
                }
                return result;
            }
        }
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
        self.write_register(address & !3, word, lanes).ok_or(err)
    }

    /// Word reads of registers and read-only system areas. `None` = no such address.
    fn read_register(&mut self, address: u32) -> Option<u32> {
        let now = Instant::now();
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
            a if (map::PERIPHERALS..map::PERIPHERALS_END).contains(&a) => self
                .f7_peripherals
                .as_mut()
                .map_or(0, |peripherals| peripherals.read(a)),
            dbgmcu::IDCODE => variant.idcode(),
            dbgmcu::CR => self.dbgmcu_cr,
            dbgmcu::APB1_FZ => self.dbgmcu_apb1_fz,
            dbgmcu::APB2_FZ => self.dbgmcu_apb2_fz,
            // The rest of the private peripheral bus the core passes on (ITM, TPIU, ETM, ROM
            // table): not modelled, read as zero.
            a if (map::PPB..map::PPB_END).contains(&a) => 0,
            _ => return None,
        })
    }

    fn write_register(&mut self, address: u32, value: u32, lanes: u32) -> Option<()> {
        let now = Instant::now();
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
                if let Some(peripherals) = self.f7_peripherals.as_mut() {
                    peripherals.write(a, value, lanes);
                }
            }
            dbgmcu::CR => self.dbgmcu_cr = value & 0x7,
            dbgmcu::APB1_FZ => self.dbgmcu_apb1_fz = value,
            dbgmcu::APB2_FZ => self.dbgmcu_apb2_fz = value,
            a if (map::PPB..map::PPB_END).contains(&a) => {}
            _ => return None,
        }
        Some(())
    }

    /// Mass erase of the backup SRAM, part of an RDP 1 → 0 regression.
    pub fn clear_bkpsram(&mut self) {
        self.bkpsram.fill(0);
    }

    /// Whether a peripheral interrupt line may have changed since the last call. Each call is
    /// also one step of the peripherals' time (a UART character: see
    /// [`super::periph::usart`]), so the core polls it as it runs.
    pub fn irq_lines_changed(&mut self) -> bool {
        match (&mut self.flash, &mut self.f7_peripherals) {
            (Model::G4(g4), _) => g4.peripherals.irq_lines_changed(),
            (Model::F7(_), Some(f7)) => f7.irq_lines_changed(),
            (Model::F7(_), None) => false,
        }
    }

    /// The peripheral interrupt lines asserted now: bit `n % 32` of `lines[n / 32]` is IRQ `n`
    /// (F7: USART3 = 39; G4: LPUART1 = 91). Every word of `lines` is written.
    pub fn irq_lines(&mut self, lines: &mut [u32; 8]) {
        *lines = match (&self.flash, &self.f7_peripherals) {
            (Model::G4(g4), _) => g4.peripherals.irq_lines(),
            (Model::F7(_), Some(f7)) => f7.irq_lines(),
            (Model::F7(_), None) => IrqLines::default(),
        };
    }

    /// The core clock (HCLK) the RCC is set to, in Hz: 16 MHz (HSI) out of reset.
    pub fn core_clock_hz(&self) -> u32 {
        match (&self.flash, &self.f7_peripherals) {
            (Model::G4(g4), _) => g4.peripherals.core_clock_hz(),
            (Model::F7(_), Some(f7)) => f7.core_clock_hz(),
            (Model::F7(_), None) => super::f7::rcc::HSI_HZ,
        }
    }

    /// Resets the boot peripherals as [`Bus::next_reset`] says, which then falls back to a
    /// software reset.
    pub fn reset_peripherals(&mut self) {
        let cause = std::mem::take(&mut self.next_reset);
        match (&mut self.flash, &mut self.f7_peripherals) {
            (Model::G4(g4), _) => g4.peripherals.reset(cause),
            (Model::F7(_), Some(f7)) => f7.reset(cause),
            (Model::F7(_), None) => {}
        }
    }

    /// Connects the Nucleo virtual COM port UART (F7 USART3, G4 LPUART1) to `link`.
    pub fn attach_vcp_uart(&mut self, link: UartLink) {
        match (&mut self.flash, &mut self.f7_peripherals) {
            (Model::G4(g4), _) => g4.peripherals.attach_vcp(link),
            (Model::F7(_), Some(f7)) => f7.attach_vcp(link),
            (Model::F7(_), None) => {}
        }
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
