//! The simulated Cortex-M7 core: armagnac executes instructions; this module adds what the
//! debugger needs (DCRSR register numbers, FPU register file, breakpoints, lockup on emulator
//! failure).
//!
//! armagnac quirks handled here (measured with armagnac 0.3.0): `set_pc` keeps bit 0; after a
//! BKPT the PC is past it; it panics the host on some guest actions (so every instruction runs
//! under `catch_unwind`, and SDIV/UDIV by zero is caught before it runs); a WFI/WFE would make
//! `next_event` wait forever (so they are retired here as hints); it executes no FP
//! instructions (the FPU register file lives here); its bus errors come back as host errors
//! (turned into [`Fault`]s here, for [`super::exception`] to take); its exception entry runs
//! the handler's first instruction in the same step (stopped by a fetch barrier).

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use armagnac::core::{Config, Emulator, Event, Irq, Processor, RunError};
use armagnac::memory::{
    Env, MemoryAccessError, MemoryInterface, MemoryReadResult, MemoryWriteResult,
};
use armagnac::registers::RegisterIndex;

use super::bus::{scs, Bus, Initiator};
use super::exception::{Exception, Fault};

/// DCRSR.REGSEL numbers (ARMv7-M ARM C1.6.3).
pub mod regsel {
    pub const SP: u32 = 13;
    pub const LR: u32 = 14;
    pub const DEBUG_RETURN_ADDRESS: u32 = 15;
    pub const XPSR: u32 = 16;
    pub const MSP: u32 = 17;
    pub const PSP: u32 = 18;
    pub const CONTROL_FAULTMASK_BASEPRI_PRIMASK: u32 = 20;
    pub const FPSCR: u32 = 33;
    pub const S0: u32 = 64;
    pub const S31: u32 = 95;
}

/// SCB_VTOR, which armagnac's own system-control block keeps for exception entry.
const SCB_VTOR: u32 = 0xE000_ED08;

/// The CPU's view of the bus: the same [`Bus`] the debugger uses, as a CPU initiator.
struct CpuPort {
    bus: Rc<RefCell<Bus>>,
    base: u32,
    size: u32,
}

fn to_mem_err(_: super::bus::BusError) -> MemoryAccessError {
    MemoryAccessError::HardwareError
}

impl MemoryInterface for CpuPort {
    fn read_u8(&mut self, address: u32, _env: &mut Env) -> MemoryReadResult<u8> {
        self.bus
            .borrow_mut()
            .read(self.base + address, 1, Initiator::Cpu)
            .map(|v| v as u8)
            .map_err(to_mem_err)
    }
    fn write_u8(&mut self, address: u32, value: u8, _env: &mut Env) -> MemoryWriteResult {
        self.bus
            .borrow_mut()
            .write(self.base + address, value.into(), 1, Initiator::Cpu)
            .map_err(to_mem_err)
    }
    fn read_u16le(&mut self, address: u32, _env: &mut Env) -> MemoryReadResult<u16> {
        let mut bus = self.bus.borrow_mut();
        if bus.fetch_barrier {
            return Err(MemoryAccessError::HardwareError);
        }
        bus.read(self.base + address, 2, Initiator::Cpu)
            .map(|v| v as u16)
            .map_err(to_mem_err)
    }
    fn write_u16le(&mut self, address: u32, value: u16, _env: &mut Env) -> MemoryWriteResult {
        self.bus
            .borrow_mut()
            .write(self.base + address, value.into(), 2, Initiator::Cpu)
            .map_err(to_mem_err)
    }
    fn read_u32le(&mut self, address: u32, _env: &mut Env) -> MemoryReadResult<u32> {
        self.bus
            .borrow_mut()
            .read(self.base + address, 4, Initiator::Cpu)
            .map_err(to_mem_err)
    }
    fn write_u32le(&mut self, address: u32, value: u32, _env: &mut Env) -> MemoryWriteResult {
        self.bus
            .borrow_mut()
            .write(self.base + address, value, 4, Initiator::Cpu)
            .map_err(to_mem_err)
    }
    fn size(&self) -> u32 {
        self.size
    }
}

/// Why execution stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The instruction budget ran out; the core keeps running.
    Budget,
    /// A BKPT instruction at this address.
    Bkpt(u32),
    /// An FPB comparator matched this address (the instruction was not executed).
    Breakpoint(u32),
    /// A DWT comparator matched a data access of the last instruction.
    Watchpoint(usize),
    /// Software asked for a system reset (AIRCR.SYSRESETREQ).
    ResetRequest,
    /// The instruction at the PC raised a fault; nothing of it was executed. The chip decides
    /// which exception is taken (see [`super::exception`]).
    Fault(Fault),
    /// The emulator could not go on: the core locks up.
    Lockup(String),
}

/// Why an exception entry could not complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryError {
    /// A frame write to the stack was a bus error (BFSR.STKERR).
    Stacking { address: u32 },
    /// The vector could not be read (HFSR.VECTTBL).
    Vector { address: u32 },
    /// The emulator refused the entry.
    Emulator,
}

impl std::fmt::Display for EntryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntryError::Stacking { address } => {
                write!(f, "stacking to 0x{address:08X} is a bus error")
            }
            EntryError::Vector { address } => {
                write!(f, "the vector at 0x{address:08X} cannot be read")
            }
            EntryError::Emulator => f.write_str("the emulator could not enter the handler"),
        }
    }
}

/// The T32 SDIV/UDIV encodings (ARMv7-M ARM A7.7.127, A7.7.195):
/// `11111011 10x1 Rn | 1111 Rd 1111 Rm`.
fn divide_divisor_register(hw1: u16, hw2: u16) -> Option<(u32, u32)> {
    (hw1 & 0xFFD0 == 0xFB90 && hw2 & 0xF0F0 == 0xF0F0)
        .then(|| (u32::from(hw2 & 0xF), u32::from((hw2 >> 8) & 0xF)))
}

pub struct Cpu {
    proc: Processor,
    /// S0–S31 and FPSCR: debug-visible only (armagnac executes no FP instructions).
    pub fpu: [u32; 32],
    pub fpscr: u32,
    /// BASEPRI is not kept by armagnac's register file.
    pub basepri: u32,
}

impl Cpu {
    pub fn new(bus: &Rc<RefCell<Bus>>) -> Self {
        let mut proc = Processor::new(Config::v7em());
        // armagnac owns 0xE000_E000–0xE000_EDBB (system control and MPU) for the CPU's own
        // accesses; everything else the CPU sees is our bus.
        let low = CpuPort {
            bus: bus.clone(),
            base: 0,
            size: 0xE000_E000,
        };
        let high_base = 0xE000_EDBC;
        let high = CpuPort {
            bus: bus.clone(),
            base: high_base,
            size: u32::MAX - high_base,
        };
        proc.map_iface(0, Rc::new(RefCell::new(low)))
            .expect("free address range");
        proc.map_iface(high_base, Rc::new(RefCell::new(high)))
            .expect("free address range");
        Cpu {
            proc,
            fpu: [0; 32],
            fpscr: 0,
            basepri: 0,
        }
    }

    pub fn pc(&self) -> u32 {
        self.proc.pc()
    }

    /// Architectural reset: SP and PC from the vector table at `vtor`.
    pub fn reset(&mut self, bus: &Rc<RefCell<Bus>>, vtor: u32) {
        let (sp, pc) = {
            let mut b = bus.borrow_mut();
            (
                b.read(vtor, 4, Initiator::Debug).unwrap_or(0),
                b.read(vtor + 4, 4, Initiator::Debug).unwrap_or(0),
            )
        };
        *self = Cpu::new(bus);
        let r = &mut self.proc.registers;
        r.msp = sp & !3;
        r.lr = 0xFFFF_FFFF;
        r.psr.set(0x0100_0000);
        self.proc.set_pc(pc & !1);
        // VTOR resets to the boot address, so exceptions find the boot image's vectors.
        if self.proc.write_u32_aligned(SCB_VTOR, vtor).is_err() {
            log::warn!("sim: VTOR could not be set to 0x{vtor:08X}");
        }
    }

    /// A word of the system-control registers the emulator keeps itself (CCR, SHPR1–3, SHCSR,
    /// CFSR): the CPU reads and writes them there, so the debugger must see the same copy.
    pub fn scb_word(&mut self, address: u32) -> u32 {
        self.proc.read_u32le_iface(address).unwrap_or(0)
    }

    /// Writes such a word; values the emulator refuses (reserved bits) are ignored, as the
    /// hardware ignores writes to reserved bits.
    pub fn set_scb_word(&mut self, address: u32, value: u32) {
        if let Err(e) = self.proc.write_u32le_iface(address, value) {
            log::debug!("sim: 0x{value:08X} to 0x{address:08X} ignored: {e:?}");
        }
    }

    /// The exception number in IPSR (0 in Thread mode).
    pub fn ipsr(&self) -> u16 {
        self.proc.registers.psr.exception_number()
    }

    /// The priority of exception `number` (lower is more urgent): fixed for Reset, NMI and
    /// HardFault, from SHPR1–3 for the other system exceptions (ARMv7-M ARM B1.5.4).
    fn exception_priority(&mut self, number: u16) -> i16 {
        match number {
            1 => -3,
            2 => -2,
            3 => -1,
            4..=15 => {
                let address = scs::SHPR1 + u32::from(number - 4);
                let word = self.scb_word(address & !3);
                i16::from((word >> (8 * (address & 3))) as u8)
            }
            // Interrupts: NVIC_IPR, one byte each from 0xE000_E400.
            n => {
                let address = 0xE000_E400 + u32::from(n - 16);
                let word = self.scb_word(address & !3);
                i16::from((word >> (8 * (address & 3))) as u8)
            }
        }
    }

    /// The current execution priority: the active exception's, boosted by PRIMASK (to 0) and
    /// FAULTMASK (to -1); Thread mode with no boost is below every exception (256).
    pub fn execution_priority(&mut self) -> i16 {
        let mut priority = match self.ipsr() {
            0 => 256,
            n => self.exception_priority(n),
        };
        if self.proc.registers.primask.pm() {
            priority = priority.min(0);
        }
        if self.proc.registers.faultmask.pm() {
            priority = priority.min(-1);
        }
        priority
    }

    /// The priority a configurable exception would be taken at.
    pub fn priority_of(&mut self, exception: Exception) -> i16 {
        self.exception_priority(exception.number())
    }

    /// Exception entry (ARMv7-M ARM B1.5.6): the emulator stacks the 8-word frame on the active
    /// stack, sets LR to EXC_RETURN and vectors through VTOR. Its entry is followed by the
    /// handler's first instruction in the same step, so the fetch barrier makes that fetch fail:
    /// the core stands at the handler's first instruction, which has not run.
    pub fn enter_exception(
        &mut self,
        bus: &Rc<RefCell<Bus>>,
        exception: Exception,
    ) -> Result<(), EntryError> {
        let irq = match exception {
            Exception::HardFault => Irq::HardFault,
            Exception::MemManage => Irq::MemManage,
            Exception::BusFault => Irq::BusFault,
            Exception::UsageFault => Irq::UsageFault,
        };
        self.proc.request_interrupt(irq);
        bus.borrow_mut().fetch_barrier = true;
        let result = catch_unwind(AssertUnwindSafe(|| self.proc.next_event()));
        bus.borrow_mut().fetch_barrier = false;
        let handler = self.proc.pc();
        match result {
            Ok(Err(RunError::MemRead {
                address, size: 2, ..
            })) if address == handler => Ok(()),
            Ok(Err(RunError::MemWrite { address, .. })) => Err(EntryError::Stacking { address }),
            Ok(Err(RunError::MemRead { address, .. })) => Err(EntryError::Vector { address }),
            _ => Err(EntryError::Emulator),
        }
    }

    pub fn read_register(&self, regsel: u32) -> Option<u32> {
        let r = &self.proc.registers;
        Some(match regsel {
            0..=12 => self.proc[RegisterIndex::new_main(regsel)],
            regsel::SP => r.sp(),
            regsel::LR => r.lr,
            regsel::DEBUG_RETURN_ADDRESS => r.pc,
            regsel::XPSR => r.psr.get(),
            regsel::MSP => r.msp,
            regsel::PSP => r.psp,
            regsel::CONTROL_FAULTMASK_BASEPRI_PRIMASK => {
                ((r.control.read() & 0x7) << 24)
                    | (u32::from(r.faultmask.pm()) << 16)
                    | ((self.basepri & 0xFF) << 8)
                    | u32::from(r.primask.pm())
            }
            regsel::FPSCR => self.fpscr,
            regsel::S0..=regsel::S31 => self.fpu[(regsel - regsel::S0) as usize],
            _ => return None,
        })
    }

    pub fn write_register(&mut self, regsel: u32, value: u32) -> bool {
        match regsel {
            0..=12 => self.proc.set(RegisterIndex::new_main(regsel), value),
            regsel::SP => self.proc.set_sp(value),
            regsel::LR => self.proc.set_lr(value),
            regsel::DEBUG_RETURN_ADDRESS => self.proc.set_pc(value & !1),
            regsel::XPSR => self.proc.registers.psr.set(value),
            regsel::MSP => self.proc.registers.msp = value,
            regsel::PSP => self.proc.registers.psp = value,
            regsel::CONTROL_FAULTMASK_BASEPRI_PRIMASK => {
                let r = &mut self.proc.registers;
                r.primask.set_pm(value & 1 != 0);
                r.faultmask.set_pm((value >> 16) & 1 != 0);
                self.basepri = (value >> 8) & 0xFF;
                r.control.set_privileged_bit((value >> 24) & 1 != 0);
                r.control.set_spsel((value >> 25) & 1 != 0);
            }
            regsel::FPSCR => self.fpscr = value,
            regsel::S0..=regsel::S31 => self.fpu[(regsel - regsel::S0) as usize] = value,
            _ => return false,
        }
        true
    }

    /// Executes up to `budget` instructions. The first instruction is not checked against the
    /// FPB, so resuming from a breakpoint address moves on.
    pub fn run(&mut self, bus: &Rc<RefCell<Bus>>, budget: usize) -> Stop {
        for i in 0..budget {
            let pc = self.proc.pc();
            if i > 0 && bus.borrow().breakpoint_at(pc) {
                return Stop::Breakpoint(pc);
            }
            // WFI (0xBF30) and WFE (0xBF20): nothing wakes a halted-debug core model, so they
            // retire as hints instead of blocking the emulator.
            let fetched = bus.borrow_mut().read(pc, 2, Initiator::Cpu);
            let Ok(halfword) = fetched else {
                // A BusFault on the fetch (BFSR.IBUSERR); with no valid handler it ends in a
                // lockup: the usual state of a chip with erased flash (reset vector 0xFFFF_FFFF).
                return Stop::Fault(Fault::InstructionBusError { pc });
            };
            if let Some(stop) = self.divide_by_zero(bus, pc, halfword as u16) {
                match stop {
                    Some(fault) => return Stop::Fault(fault),
                    None => continue,
                }
            }
            let psr_before = self.proc.registers.psr.get();
            if halfword == 0xBF30 || halfword == 0xBF20 {
                self.proc.set_pc(pc + 2);
                continue;
            }
            let result = catch_unwind(AssertUnwindSafe(|| self.proc.next_event()));
            match result {
                Ok(Ok(Event::Instruction { .. })) => {}
                Ok(Ok(Event::Break(_))) => {
                    // armagnac queues an `Instruction` event before the `Break` one and hands out
                    // the last first: take the stale one now, or the next step would return it
                    // without executing anything.
                    let _ = self.proc.next_event();
                    // armagnac reports the PC past the BKPT; the core halts on it.
                    self.proc.set_pc(pc);
                    return Stop::Bkpt(pc);
                }
                Ok(Ok(Event::Reset)) => {
                    let _ = self.proc.next_event(); // the queued `Instruction` event, as above
                    return Stop::ResetRequest;
                }
                Ok(Ok(_)) => {}
                Ok(Err(RunError::InstructionUndefined)) => {
                    self.undo_instruction(pc, psr_before);
                    return Stop::Fault(Fault::UndefinedInstruction { pc });
                }
                Ok(Err(RunError::MemRead { address, .. } | RunError::MemWrite { address, .. })) => {
                    // A data access the bus refused: a precise BusFault. The instruction does
                    // not complete; the return address is the instruction itself.
                    self.undo_instruction(pc, psr_before);
                    return Stop::Fault(Fault::PreciseBusError { pc, address });
                }
                Ok(Err(e)) => {
                    let what = format!(
                        "{e:?} executing the instruction at 0x{pc:08X} (halfword 0x{halfword:04X})"
                    );
                    log::error!("sim: core lockup: {what}");
                    return Stop::Lockup(what);
                }
                Err(panic) => {
                    let msg = panic
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    let what = format!(
                        "emulator cannot execute the instruction at 0x{pc:08X} (halfword 0x{halfword:04X}): {msg}"
                    );
                    log::error!("sim: core lockup: {what}");
                    // The processor may be half-way through the instruction: keep the PC where
                    // the debugger expects the faulting instruction.
                    self.proc.set_pc(pc);
                    return Stop::Lockup(what);
                }
            }
            if let Some(n) = bus.borrow_mut().watch_hit.take() {
                return Stop::Watchpoint(n);
            }
            if bus
                .borrow()
                .requests
                .contains(&super::bus::CoreRequest::SystemReset)
            {
                return Stop::ResetRequest;
            }
        }
        Stop::Budget
    }

    /// Puts PC and xPSR (its IT state) back to before a faulting instruction.
    fn undo_instruction(&mut self, pc: u32, psr: u32) {
        self.proc.set_pc(pc);
        self.proc.registers.psr.set(psr);
    }

    /// armagnac panics the host on a division by zero, so SDIV/UDIV are checked here first.
    /// `None`: not a division by zero, let the emulator run it. `Some(Some(fault))`: CCR.DIV_0_TRP
    /// is set, a UsageFault. `Some(None)`: the division was carried out here (the architected
    /// result of a division by zero is 0).
    fn divide_by_zero(
        &mut self,
        bus: &Rc<RefCell<Bus>>,
        pc: u32,
        hw1: u16,
    ) -> Option<Option<Fault>> {
        if hw1 & 0xFF00 != 0xFB00 {
            return None;
        }
        let hw2 = bus.borrow_mut().read(pc + 2, 2, Initiator::Cpu).ok()? as u16;
        let (rm, rd) = divide_divisor_register(hw1, hw2)?;
        if self.proc[RegisterIndex::new_main(rm)] != 0 || !self.proc.condition_passed() {
            return None;
        }
        if self.scb_word(scs::CCR) & scs::CCR_DIV_0_TRP != 0 {
            return Some(Some(Fault::DivideByZero { pc }));
        }
        self.proc.set(RegisterIndex::new_main(rd), 0);
        let mut it = self.proc.registers.psr.it_state();
        it.advance();
        self.proc.registers.psr.set_it_state(it);
        self.proc.set_pc(pc + 4);
        Some(None)
    }
}
