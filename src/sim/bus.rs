//! The simulated chip's memory map: what both the CPU and the debug port (AHB-AP) see.
//!
//! Core-control registers (DHCSR, DCRSR, AIRCR) do not act here directly: a write records a
//! [`CoreRequest`] that the chip carries out right after the access, because it needs the CPU.

use std::time::Instant;

use super::f7::F7Peripherals;
use super::family::{CoreParams, Model};
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
    pub const DWT: u32 = 0xE000_1000;
    pub const FPB: u32 = 0xE000_2000;
    pub const SCS: u32 = 0xE000_E000;
    pub const DBGMCU: u32 = 0xE004_2000;
}

/// System control and debug registers (ARMv7-M ARM C1.6, PM0253).
pub mod scs {
    pub const CPUID: u32 = 0xE000_ED00;
    pub const AIRCR: u32 = 0xE000_ED0C;
    /// Configuration and Control Register (DIV_0_TRP, UNALIGN_TRP, STKALIGN…).
    pub const CCR: u32 = 0xE000_ED14;
    pub const CCR_DIV_0_TRP: u32 = 1 << 4;
    /// System Handler Priority Registers 1–3 (exceptions 4–15, one byte each).
    pub const SHPR1: u32 = 0xE000_ED18;
    pub const SHPR3: u32 = 0xE000_ED20;
    /// System Handler Control and State Register (MEMFAULTENA, BUSFAULTENA, USGFAULTENA).
    pub const SHCSR: u32 = 0xE000_ED24;
    /// Configurable Fault Status Register: MMFSR (byte 0), BFSR (byte 1), UFSR (half-word 1).
    pub const CFSR: u32 = 0xE000_ED28;
    /// HardFault Status Register.
    pub const HFSR: u32 = 0xE000_ED2C;
    /// MemManage Fault Address Register.
    pub const MMFAR: u32 = 0xE000_ED34;
    /// BusFault Address Register.
    pub const BFAR: u32 = 0xE000_ED38;
    pub const CPACR: u32 = 0xE000_ED88;
    pub const DFSR: u32 = 0xE000_ED30;
    pub const DHCSR: u32 = 0xE000_EDF0;
    pub const DCRSR: u32 = 0xE000_EDF4;
    pub const DCRDR: u32 = 0xE000_EDF8;
    pub const DEMCR: u32 = 0xE000_EDFC;
    pub const MVFR0: u32 = 0xE000_EF40;
    pub const MVFR1: u32 = 0xE000_EF44;
    pub const MVFR2: u32 = 0xE000_EF48;
    // CPUID and MVFR0–2 values are the family's: see `CoreParams`.

    pub const DBGKEY: u32 = 0xA05F << 16;
    pub const C_DEBUGEN: u32 = 1 << 0;
    pub const C_HALT: u32 = 1 << 1;
    pub const C_STEP: u32 = 1 << 2;
    pub const C_MASKINTS: u32 = 1 << 3;
    pub const S_REGRDY: u32 = 1 << 16;
    pub const S_HALT: u32 = 1 << 17;
    pub const S_SLEEP: u32 = 1 << 18;
    pub const S_LOCKUP: u32 = 1 << 19;
    pub const S_RETIRE_ST: u32 = 1 << 24;
    pub const S_RESET_ST: u32 = 1 << 25;

    pub const DFSR_HALTED: u32 = 1 << 0;
    pub const DFSR_BKPT: u32 = 1 << 1;
    pub const DFSR_DWTTRAP: u32 = 1 << 2;
    pub const DFSR_VCATCH: u32 = 1 << 3;
    pub const DFSR_EXTERNAL: u32 = 1 << 4;

    pub const DEMCR_VC_CORERESET: u32 = 1 << 0;
    pub const DEMCR_VC_MMERR: u32 = 1 << 4;
    pub const DEMCR_VC_NOCPERR: u32 = 1 << 5;
    pub const DEMCR_VC_CHKERR: u32 = 1 << 6;
    pub const DEMCR_VC_STATERR: u32 = 1 << 7;
    pub const DEMCR_VC_BUSERR: u32 = 1 << 8;
    pub const DEMCR_VC_INTERR: u32 = 1 << 9;
    pub const DEMCR_VC_HARDERR: u32 = 1 << 10;
    pub const DEMCR_TRCENA: u32 = 1 << 24;

    pub const VECTKEY: u32 = 0x05FA << 16;
    pub const VECTKEYSTAT: u32 = 0xFA05 << 16;
    pub const AIRCR_VECTRESET: u32 = 1 << 0;
    pub const AIRCR_SYSRESETREQ: u32 = 1 << 2;

    pub const DCRSR_REGWNR: u32 = 1 << 16;
}

/// FPB (flash patch and breakpoint unit). Revision and comparator count are the family's (see
/// `CoreParams`: F7 FPBv2 with 8, G4 FPBv1 with 6 code comparators).
pub mod fpb {
    pub const FP_CTRL: u32 = 0xE000_2000;
    pub const FP_REMAP: u32 = 0xE000_2004;
    pub const FP_COMP0: u32 = 0xE000_2008;
    /// The most code comparators of any simulated family (the register file's size).
    pub const NUM_CODE: usize = 8;
    pub const NUM_LIT: u32 = 2;
    pub const ENABLE: u32 = 1 << 0;
    pub const KEY: u32 = 1 << 1;
}

/// DWT with 4 comparators.
pub mod dwt {
    pub const DWT_CTRL: u32 = 0xE000_1000;
    pub const DWT_COMP0: u32 = 0xE000_1020;
    pub const NUM_COMP: usize = 4;
    pub const FUNCTION_READ: u32 = 5;
    pub const FUNCTION_WRITE: u32 = 6;
    pub const FUNCTION_ACCESS: u32 = 7;
    pub const MATCHED: u32 = 1 << 24;
}

/// DBGMCU registers.
pub mod dbgmcu {
    pub const IDCODE: u32 = 0xE004_2000;
    pub const CR: u32 = 0xE004_2004;
    pub const APB1_FZ: u32 = 0xE004_2008;
    pub const APB2_FZ: u32 = 0xE004_200C;
}

/// Who makes a bus access: the core sees the flash even under RDP level 1, the debugger not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Initiator {
    Cpu,
    Debug,
}

/// An access the bus answers with an error (an AP transfer FAULT on the debug port).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusError {
    pub address: u32,
}

/// Core-control effects of a debug write, carried out by the chip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreRequest {
    Halt,
    Resume {
        step: bool,
    },
    RegisterTransfer {
        regsel: u32,
        write: bool,
    },
    SystemReset,
    /// G4 OBL_LAUNCH: the options were reloaded; the chip resets and the debug link drops.
    OptionLoadReset,
}

/// Run state of the core as DHCSR reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreState {
    Running,
    Halted,
    LockedUp,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct DwtComparator {
    pub comp: u32,
    pub mask: u32,
    pub function: u32,
}

/// Everything addressable.
pub struct Bus {
    pub variant: Variant,
    /// The family model: on the F7 its FLASH controller, array and option store (the F7 memory
    /// map is the rest of this struct); on the G4 everything below the private peripheral bus.
    pub flash: Model,
    /// Identity and comparator counts of the family's Cortex-M core.
    pub core_params: CoreParams,
    itcm: Vec<u8>,
    sram: Vec<u8>,
    bkpsram: Vec<u8>,
    system_memory: Vec<u8>,
    pub uid: [u32; 3],
    // Debug and system registers.
    pub dhcsr_ctrl: u32,
    pub reset_sticky: bool,
    pub core: CoreState,
    pub dfsr: u32,
    pub demcr: u32,
    pub dcrdr: u32,
    pub aircr_prigroup: u32,
    pub cpacr: u32,
    pub fp_ctrl_enable: bool,
    pub fp_comp: [u32; fpb::NUM_CODE],
    pub dwt: [DwtComparator; dwt::NUM_COMP],
    pub dwt_ctrl: u32,
    pub dbgmcu_cr: u32,
    pub dbgmcu_apb1_fz: u32,
    pub dbgmcu_apb2_fz: u32,
    /// HFSR, MMFAR and BFAR: the fault status the CPU model's own system-control block lacks.
    pub hfsr: u32,
    pub mmfar: u32,
    pub bfar: u32,
    /// While set, every CPU half-word read fails: exception entry stops at the handler's first
    /// instruction fetch, after stacking and vectoring (see `Cpu::enter_exception`).
    pub fetch_barrier: bool,
    /// Set by a CPU access that matched a DWT comparator.
    pub watch_hit: Option<usize>,
    pub requests: Vec<CoreRequest>,
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
            core_params: CoreParams::of(variant.family),
            flash,
            itcm: vec![0; map::ITCM_RAM_SIZE as usize],
            sram: vec![0; map::SRAM_SIZE as usize],
            bkpsram: vec![0; map::BKPSRAM_SIZE as usize],
            // An idle bootloader: `b .` repeated.
            system_memory: [0xFE, 0xE7].repeat(map::SYSTEM_MEMORY_SIZE as usize / 2),
            uid: [0x0032_0041, 0x3336_5107, 0x3938_3933 ^ variant.flash_kib],
            dhcsr_ctrl: 0,
            reset_sticky: true,
            core: CoreState::Running,
            dfsr: 0,
            demcr: 0,
            dcrdr: 0,
            aircr_prigroup: 0,
            cpacr: 0,
            fp_ctrl_enable: false,
            fp_comp: [0; fpb::NUM_CODE],
            dwt: [DwtComparator::default(); dwt::NUM_COMP],
            dwt_ctrl: (dwt::NUM_COMP as u32) << 28,
            dbgmcu_cr: 0,
            dbgmcu_apb1_fz: 0,
            dbgmcu_apb2_fz: 0,
            hfsr: 0,
            mmfar: 0,
            bfar: 0,
            fetch_barrier: false,
            watch_hit: None,
            requests: Vec::new(),
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

    /// Reads `size` bytes (1, 2 or 4) at `address`; the value is right-aligned.
    pub fn read(&mut self, address: u32, size: u32, who: Initiator) -> Result<u32, BusError> {
        if let Some((byte, bit)) = self.bitband_target(address) {
            // An alias word reads as the bit it stands for.
            return Ok((self.read(byte, 1, who)? >> bit) & 1);
        }
        self.read_direct(address, size, who)
    }

    /// The byte and bit a Cortex-M4 bit-band alias address stands for (Cortex-M4 TRM §3.7:
    /// alias = region alias + byte offset × 32 + bit × 4, for the first 1 MB of SRAM and of the
    /// peripherals).
    fn bitband_target(&self, address: u32) -> Option<(u32, u32)> {
        if !self.core_params.bitband {
            return None;
        }
        const REGIONS: [(u32, u32); 2] = [(0x2200_0000, 0x2000_0000), (0x4200_0000, 0x4000_0000)];
        REGIONS.iter().find_map(|&(alias, base)| {
            let offset = address.checked_sub(alias)?;
            (offset < 0x0200_0000).then(|| (base + offset / 32, (offset / 4) % 8))
        })
    }

    fn read_direct(&mut self, address: u32, size: u32, who: Initiator) -> Result<u32, BusError> {
        let err = BusError { address };
        if who == Initiator::Cpu {
            self.check_watch(address, size, false);
        }
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
            let word = self.read_register(address & !3, who).ok_or(err)?;
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

    /// Writes `size` bytes (1, 2 or 4) of `value` at `address`.
    pub fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
    ) -> Result<(), BusError> {
        if let Some((byte, bit)) = self.bitband_target(address) {
            // Bit 0 of the value sets or clears the bit: a read-modify-write of its byte.
            let old = self.read_direct(byte, 1, who)?;
            let new = (old & !(1 << bit)) | ((value & 1) << bit);
            return self.write_direct(byte, new, 1, who);
        }
        self.write_direct(address, value, size, who)
    }

    fn write_direct(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
    ) -> Result<(), BusError> {
        let err = BusError { address };
        if who == Initiator::Cpu {
            self.check_watch(address, size, true);
        }
        let now = Instant::now();
        if let Model::G4(g4) = &mut self.flash {
            if G4Model::claims(address) {
                let result = g4.write(address, value, size, now);
                for event in g4.take_events() {
                    match event {
                        G4Event::OptionLoadReset => {
                            self.requests.push(CoreRequest::OptionLoadReset)
                        }
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
        self.write_register(address & !3, word, lanes, who)
            .ok_or(err)
    }

    /// Word reads of registers and read-only system areas. `None` = no such address.
    fn read_register(&mut self, address: u32, who: Initiator) -> Option<u32> {
        let now = Instant::now();
        let variant = self.variant;
        let core = self.core_params;
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
            scs::CPUID => core.cpuid,
            scs::AIRCR => scs::VECTKEYSTAT | (self.aircr_prigroup << 8),
            scs::CPACR => self.cpacr,
            scs::DFSR => self.dfsr,
            scs::HFSR => self.hfsr,
            scs::MMFAR => self.mmfar,
            scs::BFAR => self.bfar,
            scs::DHCSR => {
                let mut v = self.dhcsr_ctrl | scs::S_REGRDY;
                match self.core {
                    CoreState::Halted => v |= scs::S_HALT,
                    CoreState::LockedUp => v |= scs::S_LOCKUP,
                    CoreState::Running => {}
                }
                if self.reset_sticky && who == Initiator::Debug {
                    v |= scs::S_RESET_ST;
                    self.reset_sticky = false;
                }
                v
            }
            scs::DCRDR => self.dcrdr,
            scs::DEMCR => self.demcr,
            scs::MVFR0 => core.mvfr[0],
            scs::MVFR1 => core.mvfr[1],
            scs::MVFR2 => core.mvfr[2],
            fpb::FP_CTRL => {
                ((fpb::NUM_LIT) << 8)
                    | ((core.fpb_code_comparators as u32) << 4)
                    | (core.fpb_revision << 28)
                    | u32::from(self.fp_ctrl_enable)
            }
            fpb::FP_REMAP => 0,
            a if (fpb::FP_COMP0..fpb::FP_COMP0 + 4 * core.fpb_code_comparators as u32)
                .contains(&a) =>
            {
                self.fp_comp[((a - fpb::FP_COMP0) / 4) as usize]
            }
            dwt::DWT_CTRL => self.dwt_ctrl,
            a if (dwt::DWT_COMP0..dwt::DWT_COMP0 + 16 * dwt::NUM_COMP as u32).contains(&a) => {
                let n = ((a - dwt::DWT_COMP0) / 16) as usize;
                match (a - dwt::DWT_COMP0) % 16 {
                    0 => self.dwt[n].comp,
                    4 => self.dwt[n].mask,
                    8 => {
                        // MATCHED clears on read.
                        let f = self.dwt[n].function;
                        self.dwt[n].function &= !dwt::MATCHED;
                        f
                    }
                    _ => 0,
                }
            }
            // Rest of the private peripheral bus (ITM, TPIU, ROM tables…): read as zero.
            a if (0xE000_0000..0xE010_0000).contains(&a) => 0,
            _ => return None,
        })
    }

    fn write_register(
        &mut self,
        address: u32,
        value: u32,
        lanes: u32,
        who: Initiator,
    ) -> Option<()> {
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
            scs::AIRCR if lanes == 0xFFFF_FFFF && value & 0xFFFF_0000 == scs::VECTKEY => {
                self.aircr_prigroup = (value >> 8) & 7;
                if value & (scs::AIRCR_SYSRESETREQ | scs::AIRCR_VECTRESET) != 0 {
                    self.requests.push(CoreRequest::SystemReset);
                }
            }
            scs::AIRCR => {}
            scs::CPACR => self.cpacr = value & (0xF << 20),
            scs::DFSR => self.dfsr &= !value,
            // HFSR is write-1-to-clear; the address registers are plain read/write.
            scs::HFSR => self.hfsr &= !value,
            scs::MMFAR => self.mmfar = (self.mmfar & !lanes) | (value & lanes),
            scs::BFAR => self.bfar = (self.bfar & !lanes) | (value & lanes),
            scs::DHCSR if who == Initiator::Debug => {
                if value & 0xFFFF_0000 != scs::DBGKEY {
                    return Some(()); // writes without the key are ignored
                }
                self.write_dhcsr(value & 0xF);
            }
            scs::DCRSR if who == Initiator::Debug => {
                self.requests.push(CoreRequest::RegisterTransfer {
                    regsel: value & 0x7F,
                    write: value & scs::DCRSR_REGWNR != 0,
                })
            }
            scs::DCRDR => self.dcrdr = value,
            scs::DEMCR => self.demcr = value & 0x010F_07F1,
            fpb::FP_CTRL => {
                if value & fpb::KEY != 0 {
                    self.fp_ctrl_enable = value & fpb::ENABLE != 0;
                }
            }
            a if (fpb::FP_COMP0
                ..fpb::FP_COMP0 + 4 * self.core_params.fpb_code_comparators as u32)
                .contains(&a) =>
            {
                self.fp_comp[((a - fpb::FP_COMP0) / 4) as usize] = value;
            }
            a if (dwt::DWT_COMP0..dwt::DWT_COMP0 + 16 * dwt::NUM_COMP as u32).contains(&a) => {
                let n = ((a - dwt::DWT_COMP0) / 16) as usize;
                match (a - dwt::DWT_COMP0) % 16 {
                    0 => self.dwt[n].comp = value,
                    4 => self.dwt[n].mask = value & 0x1F,
                    8 => self.dwt[n].function = value & 0xF,
                    _ => {}
                }
            }
            a if (0xE000_0000..0xE010_0000).contains(&a) => {}
            _ => return None,
        }
        Some(())
    }

    fn write_dhcsr(&mut self, ctrl: u32) {
        self.dhcsr_ctrl = ctrl;
        let debug = ctrl & scs::C_DEBUGEN != 0;
        match self.core {
            CoreState::Running if debug && ctrl & scs::C_HALT != 0 => {
                self.requests.push(CoreRequest::Halt)
            }
            CoreState::Halted if !debug || ctrl & scs::C_HALT == 0 => {
                self.requests.push(CoreRequest::Resume {
                    step: debug && ctrl & scs::C_STEP != 0,
                })
            }
            CoreState::LockedUp if debug && ctrl & scs::C_HALT != 0 => {
                self.requests.push(CoreRequest::Halt)
            }
            _ => {}
        }
    }

    /// DWT data-address comparison for a CPU access; only with DEMCR.TRCENA set.
    fn check_watch(&mut self, address: u32, size: u32, write: bool) {
        if self.demcr & scs::DEMCR_TRCENA == 0 {
            return;
        }
        for (n, c) in self.dwt.iter_mut().enumerate() {
            let kind = c.function & 0xF;
            let wanted = match kind {
                dwt::FUNCTION_READ => !write,
                dwt::FUNCTION_WRITE => write,
                dwt::FUNCTION_ACCESS => true,
                _ => false,
            };
            if !wanted {
                continue;
            }
            let ignore = if c.mask >= 32 {
                u32::MAX
            } else {
                (1u32 << c.mask) - 1
            };
            let lo = c.comp & !ignore;
            let hi = lo | ignore;
            let end = address.wrapping_add(size - 1);
            if address <= hi && end >= lo {
                c.function |= dwt::MATCHED;
                self.watch_hit.get_or_insert(n);
            }
        }
    }

    /// FPB comparator match for an instruction address. FPBv2: BPADDR[31:1] | BE. FPBv1:
    /// COMP[28:2] with REPLACE[31:30] choosing the lower (01), upper (10) or both (11)
    /// half-words of the word, code region only (ARMv7-M ARM C1.11).
    pub fn breakpoint_at(&self, pc: u32) -> bool {
        let count = self.core_params.fpb_code_comparators;
        let v1 = self.core_params.fpb_revision == 0;
        self.fp_ctrl_enable
            && self.fp_comp[..count].iter().any(|&c| {
                if c & 1 == 0 {
                    return false;
                }
                if !v1 {
                    return (c & !1) == (pc & !1);
                }
                let upper_half = pc & 2 != 0;
                let replace = c >> 30;
                let half_matches = match replace {
                    0b01 => !upper_half,
                    0b10 => upper_half,
                    0b11 => true,
                    _ => false,
                };
                pc < 0x2000_0000 && (c & 0x1FFF_FFFC) == (pc & 0x1FFF_FFFC) && half_matches
            })
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
