//! Faults (ARMv7-M ARM B1.5.14–B1.5.16, B3.2.15–B3.2.18): what an instruction's [`Trap`]
//! records in CFSR/HFSR/BFAR, which exception it is taken as (its own configurable fault when
//! that is enabled in SHCSR and its group priority preempts, else HardFault with HFSR.FORCED),
//! lockup when even HardFault cannot be taken (a fault at execution priority -1 or above), and
//! the DEMCR vector catch each cause arms (C1.6.5).
//!
//! ARMv6-M (its ARM B1.5) has no configurable faults and no fault status registers: every
//! fault is a HardFault (vector catch: DEMCR.VC_HARDERR). The cause is still recorded in
//! [`FaultStatus`], where no software can see it (the addresses are reserved there), for the
//! lockup message and for tests.

use crate::bus::Bus;
use crate::config::Arch;
use crate::core::Core;
use crate::instr::Trap;

use super::debug::demcr;
use super::exceptions::{number, system_bit};
use super::{HaltReason, LockedUp};

/// CFSR bits: MMFSR `[7:0]`, BFSR `[15:8]`, UFSR `[31:16]` (B3.2.15).
pub mod cfsr {
    pub const IACCVIOL: u32 = 1 << 0;
    pub const DACCVIOL: u32 = 1 << 1;
    pub const MUNSTKERR: u32 = 1 << 3;
    pub const MSTKERR: u32 = 1 << 4;
    pub const MLSPERR: u32 = 1 << 5;
    pub const MMARVALID: u32 = 1 << 7;
    pub const IBUSERR: u32 = 1 << 8;
    pub const PRECISERR: u32 = 1 << 9;
    pub const IMPRECISERR: u32 = 1 << 10;
    pub const UNSTKERR: u32 = 1 << 11;
    pub const STKERR: u32 = 1 << 12;
    pub const LSPERR: u32 = 1 << 13;
    pub const BFARVALID: u32 = 1 << 15;
    pub const UNDEFINSTR: u32 = 1 << 16;
    pub const INVSTATE: u32 = 1 << 17;
    pub const INVPC: u32 = 1 << 18;
    pub const NOCP: u32 = 1 << 19;
    pub const UNALIGNED: u32 = 1 << 24;
    pub const DIVBYZERO: u32 = 1 << 25;
    /// Every implemented bit.
    pub const MASK: u32 = 0x030F_BFBB;
}

/// HFSR bits (B3.2.16).
pub mod hfsr {
    pub const VECTTBL: u32 = 1 << 1;
    pub const FORCED: u32 = 1 << 30;
    pub const DEBUGEVT: u32 = 1 << 31;
    pub const MASK: u32 = VECTTBL | FORCED | DEBUGEVT;
}

/// The fault status and address registers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultStatus {
    pub cfsr: u32,
    pub hfsr: u32,
    pub mmfar: u32,
    pub bfar: u32,
}

/// One fault: the exception it asks for, what it records, and its vector-catch bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    /// MemManage, BusFault, UsageFault or HardFault.
    pub exception: u16,
    pub cfsr: u32,
    pub hfsr: u32,
    pub bfar: Option<u32>,
    /// The DEMCR VC_* bit that halts on its handler (0: none of its own).
    pub catch: u32,
    /// What it is, for a lockup's reason.
    pub what: &'static str,
}

impl Fault {
    fn usage(cfsr: u32, catch: u32, what: &'static str) -> Fault {
        Fault {
            exception: number::USAGE_FAULT,
            cfsr,
            hfsr: 0,
            bfar: None,
            catch,
            what,
        }
    }

    /// The fault a trapped instruction raises (`None` for traps that are not faults).
    pub fn of_trap(trap: Trap) -> Option<Fault> {
        Some(match trap {
            Trap::Undefined => Fault::usage(
                cfsr::UNDEFINSTR,
                demcr::VC_STATERR,
                "an undefined instruction (UsageFault UNDEFINSTR)",
            ),
            Trap::InvalidState => Fault::usage(
                cfsr::INVSTATE,
                demcr::VC_STATERR,
                "execution with EPSR.T clear (UsageFault INVSTATE)",
            ),
            Trap::InvalidPc => Fault::usage(
                cfsr::INVPC,
                demcr::VC_STATERR,
                "an invalid PC load (UsageFault INVPC)",
            ),
            Trap::NoCoprocessor => Fault::usage(
                cfsr::NOCP,
                demcr::VC_NOCPERR,
                "a coprocessor instruction with the coprocessor absent or disabled (UsageFault NOCP)",
            ),
            Trap::Unaligned => Fault::usage(
                cfsr::UNALIGNED,
                demcr::VC_CHKERR,
                "an unaligned access (UsageFault UNALIGNED)",
            ),
            Trap::DivideByZero => Fault::usage(
                cfsr::DIVBYZERO,
                demcr::VC_CHKERR,
                "a division by zero (UsageFault DIVBYZERO)",
            ),
            Trap::DataBusError { address } => Fault {
                exception: number::BUS_FAULT,
                cfsr: cfsr::PRECISERR | cfsr::BFARVALID,
                hfsr: 0,
                bfar: Some(address),
                catch: demcr::VC_BUSERR,
                what: "a bus error on a data access (BusFault PRECISERR)",
            },
            Trap::InstructionBusError => Fault {
                exception: number::BUS_FAULT,
                cfsr: cfsr::IBUSERR,
                hfsr: 0,
                bfar: None,
                catch: demcr::VC_BUSERR,
                what: "a bus error on an instruction fetch (BusFault IBUSERR)",
            },
            Trap::Breakpoint(_) | Trap::Unmodelled(_) => return None,
        })
    }

    /// A BusFault derived from exception entry (STKERR) or return (UNSTKERR).
    pub fn derived_bus(cfsr: u32, what: &'static str) -> Fault {
        Fault {
            exception: number::BUS_FAULT,
            cfsr,
            hfsr: 0,
            bfar: None,
            catch: demcr::VC_INTERR,
            what,
        }
    }

    /// An INVPC UsageFault from an exception return's integrity checks.
    pub fn invalid_return() -> Fault {
        Fault::usage(
            cfsr::INVPC,
            demcr::VC_INTERR,
            "an illegal exception return (UsageFault INVPC)",
        )
    }

    /// A debug event with halting debug off (BKPT, FPB match): HardFault, HFSR.DEBUGEVT.
    pub fn debug_event() -> Fault {
        Fault {
            exception: number::HARD_FAULT,
            cfsr: 0,
            hfsr: hfsr::DEBUGEVT,
            bfar: None,
            catch: 0,
            what: "a breakpoint with halting debug disabled (HardFault DEBUGEVT)",
        }
    }

    /// SVC: SVCall, escalated to HardFault when it cannot be taken at once (B1.5.4).
    pub fn supervisor_call() -> Fault {
        Fault {
            exception: number::SVCALL,
            cfsr: 0,
            hfsr: 0,
            bfar: None,
            catch: 0,
            what: "an SVC",
        }
    }
}

impl Core {
    /// Records `fault` and decides the exception it is taken as, against execution priority
    /// `ceiling` (the current one for a synchronous fault, the exception being entered for one
    /// derived from entry). Returns that exception (HardFault when escalated, with
    /// HFSR.FORCED), or `None` when the core locked up. The exception is not made pending here.
    pub(crate) fn resolve_fault(&mut self, fault: Fault, ceiling: i16) -> Option<u16> {
        let status = &mut self.sys.status;
        status.cfsr |= fault.cfsr;
        status.hfsr |= fault.hfsr;
        if let Some(address) = fault.bfar {
            status.bfar = address;
        }
        let e = &self.sys.exceptions;
        let own = fault.exception;
        let taken_as_own = own != number::HARD_FAULT
            && e.exists(own)
            && e.fault_enabled(own)
            && e.group_priority(e.priority(own)) < ceiling;
        let taken = if taken_as_own {
            own
        } else {
            if own != number::HARD_FAULT {
                self.sys.status.hfsr |= hfsr::FORCED;
            }
            number::HARD_FAULT
        };
        if taken == number::HARD_FAULT && ceiling <= -1 {
            // B1.5.15: a fault that cannot even be taken as HardFault locks the core up.
            let status = if self.config.arch == Arch::V6M {
                // No CFSR/HFSR to name: ARMv6-M takes every fault as HardFault.
                String::from("ARMv6-M: taken as HardFault")
            } else {
                format!(
                    "CFSR 0x{:08X}, HFSR 0x{:08X}",
                    self.sys.status.cfsr, self.sys.status.hfsr
                )
            };
            self.lock_up(format!(
                "{} at execution priority {ceiling}, where not even HardFault can be taken ({status})",
                fault.what
            ));
            return None;
        }
        if fault.catch != 0 && taken == own && self.sys.debug.demcr & fault.catch != 0 {
            self.sys.vector_catch |= system_bit(taken);
        }
        if fault.catch == demcr::VC_INTERR && self.sys.debug.demcr & demcr::VC_INTERR != 0 {
            self.sys.vector_catch |= system_bit(taken);
        }
        Some(taken)
    }

    /// Raises a synchronous fault: it is made pending (possibly escalated) and taken before the
    /// next instruction; its return address is the PC, the faulting instruction.
    pub(crate) fn raise_fault(&mut self, fault: Fault) {
        let ceiling = self.sys.execution_priority(&self.regs);
        if let Some(taken) = self.resolve_fault(fault, ceiling) {
            self.sys.exceptions.set_pending(taken);
            self.sys.attention = true;
        }
    }

    /// Stops the core in the lockup state (B1.5.15). The PC stays on the instruction that
    /// could not go on, for the debugger; DHCSR.S_LOCKUP is set.
    pub(crate) fn lock_up(&mut self, reason: String) {
        log::info!("core locked up at 0x{:08X}: {reason}", self.regs.r[15]);
        self.sys.lockup = Some(LockedUp {
            pc: self.regs.r[15],
            reason,
        });
        self.sys.sleep = None;
        self.sys.attention = true;
    }

    /// What an instruction's trap leads to: a fault, a debug event, or (for what the simulator
    /// cannot execute) a stop that names the instruction. The PC is on the instruction.
    pub(crate) fn take_trap(&mut self, bus: &mut dyn Bus, trap: Trap) {
        if let Some(fault) = Fault::of_trap(trap) {
            self.raise_fault(fault);
            return;
        }
        match trap {
            Trap::Breakpoint(imm) => self.debug_event_breakpoint(HaltReason::Bkpt(imm)),
            Trap::Unmodelled(what) => {
                let pc = self.regs.r[15];
                let instruction = match self.fetch(bus) {
                    Ok((hw1, _)) if !crate::core::is_32bit(hw1) => format!("0x{hw1:04X}"),
                    Ok((hw1, hw2)) => format!("0x{hw1:04X} 0x{hw2:04X}"),
                    Err(_) => "(unreadable)".to_string(),
                };
                self.lock_up(format!(
                    "the simulator cannot execute the instruction {instruction} at 0x{pc:08X}: {what}"
                ));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn traps_map_to_their_status_bits_and_catch_bits() {
        let udf = Fault::of_trap(Trap::Undefined).unwrap_or(Fault::debug_event());
        assert_eq!((udf.exception, udf.cfsr), (6, 1 << 16));
        assert_eq!(udf.catch, 1 << 7);
        let div = Fault::of_trap(Trap::DivideByZero).unwrap_or(Fault::debug_event());
        assert_eq!((div.cfsr, div.catch), (1 << 25, 1 << 6));
        let nocp = Fault::of_trap(Trap::NoCoprocessor).unwrap_or(Fault::debug_event());
        assert_eq!((nocp.cfsr, nocp.catch), (1 << 19, 1 << 5));
        let bus = Fault::of_trap(Trap::DataBusError {
            address: 0x4000_0000,
        })
        .unwrap_or(Fault::debug_event());
        assert_eq!(
            (bus.exception, bus.cfsr, bus.bfar),
            (5, 0x8200, Some(0x4000_0000))
        );
        assert_eq!(bus.catch, 1 << 8);
        assert_eq!(Fault::of_trap(Trap::Breakpoint(0)), None);
    }
}
