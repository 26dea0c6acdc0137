//! The simulated Cortex-M7 core: armagnac executes instructions; this module adds what the
//! debugger needs (DCRSR register numbers, FPU register file, breakpoints, lockup on emulator
//! failure).
//!
//! armagnac quirks handled here (measured with armagnac 0.3.0): `set_pc` keeps bit 0; after a
//! BKPT the PC is past it; it panics the host on some guest actions (so every instruction runs
//! under `catch_unwind`); a WFI/WFE would make `next_event` wait forever (so they are retired
//! here as hints); it executes no FP instructions (the FPU register file lives here).

use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;

use armagnac::core::{Config, Emulator, Event, Processor};
use armagnac::memory::{
    Env, MemoryAccessError, MemoryInterface, MemoryReadResult, MemoryWriteResult,
};
use armagnac::registers::RegisterIndex;

use super::bus::{Bus, Initiator};

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
        self.bus
            .borrow_mut()
            .read(self.base + address, 2, Initiator::Cpu)
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
    /// The emulator could not go on: the core locks up.
    Lockup(String),
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
                // On silicon the fetch faults, and with no valid handler the core locks up: the
                // usual state of a chip with erased flash (reset vector 0xFFFF_FFFF).
                let what = format!("instruction fetch from 0x{pc:08X} is a bus error");
                log::info!("sim: core lockup: {what}");
                return Stop::Lockup(what);
            };
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
}
