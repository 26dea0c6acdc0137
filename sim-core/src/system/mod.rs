//! The system level of the core: the memory-mapped registers the architecture defines (System
//! Control Space with NVIC, SCB, SysTick, the FP and cache registers; DWT; FPB), exception entry
//! and return with priorities, interrupts, sleep, halting debug, and the run loop.
//!
//! SKELETON: the minimum the instruction groups need to be written and tested. The complete
//! system level replaces the bodies here; the signatures used by the instruction groups
//! (`claims`, `cpu_read`, `cpu_write`, `System::unaligned_trap`, `System::watch_data`,
//! `System::execution_priority`, the `Core` methods for SVC/WFI/WFE/SEV and `special`) stay.

pub mod special;

use crate::bus::{Bus, BusError, Initiator};
use crate::config::Config;
use crate::core::Core;
use crate::instr::Trap;
use crate::regs::Regs;

/// SCB_CCR bits (B3.2.8).
pub mod ccr {
    pub const UNALIGN_TRP: u32 = 1 << 3;
    pub const DIV_0_TRP: u32 = 1 << 4;
    pub const STKALIGN: u32 = 1 << 9;
}

/// The state behind the memory-mapped system registers.
#[derive(Debug, Clone)]
pub struct System {
    /// SCB_CCR.
    pub ccr: u32,
    /// SCB_CPACR (CP10 [21:20], CP11 [23:22]).
    pub cpacr: u32,
    /// FPCCR, FPCAR, FPDSCR (B3.2.20–B3.2.22).
    pub fpccr: u32,
    pub fpcar: u32,
    pub fpdscr: u32,
    /// SCB_VTOR.
    pub vtor: u32,
}

impl System {
    pub fn new(_config: &Config) -> System {
        System {
            ccr: ccr::STKALIGN,
            cpacr: 0,
            fpccr: 0xC000_0000,
            fpcar: 0,
            fpdscr: 0,
            vtor: 0,
        }
    }

    /// CCR.UNALIGN_TRP: every unaligned access faults.
    #[inline]
    pub fn unaligned_trap(&self) -> bool {
        self.ccr & ccr::UNALIGN_TRP != 0
    }

    /// CCR.DIV_0_TRP: SDIV/UDIV by zero faults (else the result is 0).
    #[inline]
    pub fn divide_by_zero_trap(&self) -> bool {
        self.ccr & ccr::DIV_0_TRP != 0
    }

    /// A data access by the core, for the DWT comparators.
    #[inline]
    pub fn watch_data(&mut self, _address: u32, _size: u32, _write: bool) {}

    /// The current execution priority (B1.5.4): lower is more urgent; 256 in Thread mode with
    /// no mask set.
    pub fn execution_priority(&self, regs: &Regs) -> i16 {
        let mut priority = match regs.ipsr {
            0 => 256,
            1 => -3,
            2 => -2,
            3 => -1,
            _ => 256,
        };
        if regs.primask {
            priority = priority.min(0);
        }
        if regs.faultmask {
            priority = priority.min(-1);
        }
        priority
    }
}

/// Whether the core itself answers `address` (the private peripheral bus registers it owns and
/// the bit-band aliases) rather than the chip's bus.
#[inline]
pub fn claims(_config: &Config, address: u32) -> bool {
    (0xE000_E000..0xE000_F000).contains(&address)
}

/// A read by the core of an address it [`claims`].
pub fn cpu_read(
    core: &mut Core,
    _bus: &mut dyn Bus,
    address: u32,
    size: u32,
    _privileged: bool,
) -> Result<u32, BusError> {
    let word = match address & !3 {
        0xE000_ED00 => core.config.cpuid,
        0xE000_ED08 => core.sys.vtor,
        0xE000_ED14 => core.sys.ccr,
        0xE000_ED88 => core.sys.cpacr,
        0xE000_EF34 => core.sys.fpccr,
        0xE000_EF38 => core.sys.fpcar,
        0xE000_EF3C => core.sys.fpdscr,
        _ => 0,
    };
    Ok((word >> (8 * (address & 3))) & crate::core::size_mask(size))
}

/// A write by the core to an address it [`claims`].
pub fn cpu_write(
    core: &mut Core,
    _bus: &mut dyn Bus,
    address: u32,
    value: u32,
    _size: u32,
    _privileged: bool,
) -> Result<(), BusError> {
    match address {
        0xE000_ED08 => core.sys.vtor = value & !0x7F,
        0xE000_ED14 => core.sys.ccr = value | ccr::STKALIGN,
        0xE000_ED88 => core.sys.cpacr = value & (0xF << 20),
        0xE000_EF34 => core.sys.fpccr = value,
        0xE000_EF38 => core.sys.fpcar = value & !7,
        0xE000_EF3C => core.sys.fpdscr = value & 0x07C0_0000,
        _ => {}
    }
    Ok(())
}

/// Why [`Core::run`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The instruction budget ran out; the core keeps running.
    Budget,
    /// An instruction trapped (SKELETON: no exception is taken yet).
    Trap { pc: u32, trap: Trap },
}

impl Core {
    /// Reset (B1.5.5): SP and PC from the vector table at `vtor`.
    pub fn reset(&mut self, bus: &mut dyn Bus, vtor: u32) {
        let config = self.config;
        *self = Core::new(config);
        self.sys.vtor = vtor;
        let sp = bus.read(vtor, 4, Initiator::Cpu).unwrap_or(0);
        let pc = bus
            .read(vtor.wrapping_add(4), 4, Initiator::Cpu)
            .unwrap_or(0);
        self.regs.r[13] = sp & !3;
        self.regs.r[14] = 0xFFFF_FFFF;
        self.regs.thumb = pc & 1 != 0;
        self.regs.r[15] = pc & !1;
    }

    /// Runs up to `budget` instructions.
    pub fn run(&mut self, bus: &mut dyn Bus, budget: u64) -> Stop {
        for _ in 0..budget {
            let pc = self.pc();
            if let Err(trap) = self.step(bus) {
                return Stop::Trap { pc, trap };
            }
            self.cycles += 1;
        }
        Stop::Budget
    }

    /// SVC #imm has executed: the SVCall exception is taken before the next instruction.
    pub fn supervisor_call(&mut self, _imm: u8) {}

    /// WFI has executed.
    pub fn wait_for_interrupt(&mut self) {}

    /// WFE has executed.
    pub fn wait_for_event(&mut self) {}

    /// SEV has executed.
    pub fn send_event(&mut self) {}
}
