//! Faults and exception entry of the simulated core, as the ARMv7-M ARM defines them (B1.5,
//! B3.2.15–B3.2.18, C1.6.5): a fault sets its status bits in CFSR/HFSR and its address in
//! BFAR/MMFAR, is taken as its own exception when that is enabled in SHCSR and more urgent
//! than the current execution priority, otherwise escalates to HardFault (HFSR.FORCED); a fault
//! that would need a HardFault while HardFault or NMI is active locks the core up. With the
//! DEMCR vector-catch bit for the exception taken (and halting debug enabled), the core halts on
//! the handler's first instruction with DFSR.VCATCH, the frame already stacked.

use super::bus::{scs, CoreState};
use super::chip::Chip;
use super::cpu::EntryError;

/// Status bits (ARMv7-M ARM B3.2.15).
pub mod cfsr {
    pub const IACCVIOL: u32 = 1 << 0;
    pub const IBUSERR: u32 = 1 << 8;
    pub const PRECISERR: u32 = 1 << 9;
    pub const STKERR: u32 = 1 << 12;
    pub const BFARVALID: u32 = 1 << 15;
    pub const UNDEFINSTR: u32 = 1 << 16;
    pub const DIVBYZERO: u32 = 1 << 25;
}

/// HFSR bits (B3.2.16).
pub mod hfsr {
    pub const VECTTBL: u32 = 1 << 1;
    pub const FORCED: u32 = 1 << 30;
    pub const DEBUGEVT: u32 = 1 << 31;
}

/// SHCSR enable bits (B3.2.13).
pub mod shcsr {
    pub const MEMFAULTENA: u32 = 1 << 16;
    pub const BUSFAULTENA: u32 = 1 << 17;
    pub const USGFAULTENA: u32 = 1 << 18;
}

/// What went wrong with the instruction at `pc` (which did not complete).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// UDF or another undefined encoding: UsageFault, UFSR.UNDEFINSTR.
    UndefinedInstruction { pc: u32 },
    /// SDIV/UDIV by zero with CCR.DIV_0_TRP: UsageFault, UFSR.DIVBYZERO.
    DivideByZero { pc: u32 },
    /// A data access the bus refused: BusFault, BFSR.PRECISERR with BFAR.
    PreciseBusError { pc: u32, address: u32 },
    /// The instruction fetch itself failed: BusFault, BFSR.IBUSERR.
    InstructionBusError { pc: u32 },
    /// BKPT with halting debug disabled: HardFault, HFSR.DEBUGEVT.
    DebugEvent { pc: u32 },
}

/// The exceptions a fault is taken as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    HardFault,
    MemManage,
    BusFault,
    UsageFault,
}

impl Exception {
    pub fn number(self) -> u16 {
        match self {
            Exception::HardFault => 3,
            Exception::MemManage => 4,
            Exception::BusFault => 5,
            Exception::UsageFault => 6,
        }
    }

    /// The SHCSR bit that enables it (HardFault is always enabled).
    fn enable_bit(self) -> Option<u32> {
        match self {
            Exception::HardFault => None,
            Exception::MemManage => Some(shcsr::MEMFAULTENA),
            Exception::BusFault => Some(shcsr::BUSFAULTENA),
            Exception::UsageFault => Some(shcsr::USGFAULTENA),
        }
    }
}

impl std::fmt::Display for Exception {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Exception::HardFault => "HardFault",
            Exception::MemManage => "MemManage",
            Exception::BusFault => "BusFault",
            Exception::UsageFault => "UsageFault",
        })
    }
}

impl std::fmt::Display for Fault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Fault::UndefinedInstruction { pc } => write!(f, "undefined instruction at 0x{pc:08X}"),
            Fault::DivideByZero { pc } => write!(f, "division by zero at 0x{pc:08X}"),
            Fault::PreciseBusError { pc, address } => write!(
                f,
                "bus error on the data access to 0x{address:08X} at 0x{pc:08X}"
            ),
            Fault::InstructionBusError { pc } => {
                write!(f, "instruction fetch from 0x{pc:08X} is a bus error")
            }
            Fault::DebugEvent { pc } => {
                write!(f, "BKPT at 0x{pc:08X} with halting debug disabled")
            }
        }
    }
}

impl Fault {
    pub fn pc(self) -> u32 {
        match self {
            Fault::UndefinedInstruction { pc }
            | Fault::DivideByZero { pc }
            | Fault::PreciseBusError { pc, .. }
            | Fault::InstructionBusError { pc }
            | Fault::DebugEvent { pc } => pc,
        }
    }

    /// The exception it raises before any escalation.
    pub fn exception(self) -> Exception {
        match self {
            Fault::UndefinedInstruction { .. } | Fault::DivideByZero { .. } => {
                Exception::UsageFault
            }
            Fault::PreciseBusError { .. } | Fault::InstructionBusError { .. } => {
                Exception::BusFault
            }
            Fault::DebugEvent { .. } => Exception::HardFault,
        }
    }

    /// Its CFSR bits.
    fn cfsr_bits(self) -> u32 {
        match self {
            Fault::UndefinedInstruction { .. } => cfsr::UNDEFINSTR,
            Fault::DivideByZero { .. } => cfsr::DIVBYZERO,
            Fault::PreciseBusError { .. } => cfsr::PRECISERR | cfsr::BFARVALID,
            Fault::InstructionBusError { .. } => cfsr::IBUSERR,
            Fault::DebugEvent { .. } => 0,
        }
    }

    /// The DEMCR vector-catch bit of the configurable fault (C1.6.5): state errors (an
    /// undefined instruction), checking errors (division by zero), bus errors.
    fn vector_catch(self) -> u32 {
        match self {
            Fault::UndefinedInstruction { .. } => scs::DEMCR_VC_STATERR,
            Fault::DivideByZero { .. } => scs::DEMCR_VC_CHKERR,
            Fault::PreciseBusError { .. } | Fault::InstructionBusError { .. } => {
                scs::DEMCR_VC_BUSERR
            }
            Fault::DebugEvent { .. } => scs::DEMCR_VC_HARDERR,
        }
    }
}

impl Chip {
    /// Records `fault` in the status registers and takes the exception it leads to.
    pub(super) fn take_fault(&mut self, fault: Fault) {
        let bits = fault.cfsr_bits();
        if bits != 0 {
            let cfsr = self.cpu.scb_word(scs::CFSR);
            self.cpu.set_scb_word(scs::CFSR, cfsr | bits);
        }
        if let Fault::PreciseBusError { address, .. } = fault {
            self.bus.borrow_mut().bfar = address;
        }
        if matches!(fault, Fault::DebugEvent { .. }) {
            self.bus.borrow_mut().hfsr |= hfsr::DEBUGEVT;
        }
        let wanted = fault.exception();
        let current = self.cpu.execution_priority();
        let enabled = wanted
            .enable_bit()
            .is_none_or(|bit| self.cpu.scb_word(scs::SHCSR) & bit != 0);
        let taken = if wanted != Exception::HardFault
            && enabled
            && self.cpu.priority_of(wanted) < current
        {
            wanted
        } else {
            Exception::HardFault
        };
        log::debug!("sim: {fault} -> {taken} (execution priority {current})");
        if taken == Exception::HardFault && current < 0 {
            // A fault at priority -1 or above: the core locks up (B1.5.15).
            self.lock_up(format!(
                "{fault}, while the execution priority is {current} (in HardFault or NMI)"
            ));
            return;
        }
        if taken == Exception::HardFault && wanted != Exception::HardFault {
            self.bus.borrow_mut().hfsr |= hfsr::FORCED;
        }
        if let Err(why) = self.cpu.enter_exception(&self.bus, taken) {
            // A derived fault during entry; with no second chance modelled, the core locks up.
            match why {
                EntryError::Vector { .. } => self.bus.borrow_mut().hfsr |= hfsr::VECTTBL,
                EntryError::Stacking { .. } => {
                    let cfsr = self.cpu.scb_word(scs::CFSR);
                    self.cpu.set_scb_word(scs::CFSR, cfsr | cfsr::STKERR);
                }
                EntryError::Emulator => {}
            }
            self.lock_up(format!("{fault}; {taken} entry failed: {why}"));
            return;
        }
        let catch_bit = if taken == Exception::HardFault {
            scs::DEMCR_VC_HARDERR
        } else {
            fault.vector_catch()
        };
        let (demcr, debug) = {
            let bus = self.bus.borrow();
            (bus.demcr, bus.dhcsr_ctrl & scs::C_DEBUGEN != 0)
        };
        if debug && demcr & catch_bit != 0 {
            self.halt_for(scs::DFSR_VCATCH);
        }
    }

    fn lock_up(&mut self, what: String) {
        log::info!("sim: core lockup: {what}");
        self.bus.borrow_mut().core = CoreState::LockedUp;
        self.lockup_reason = Some(what);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_map_to_their_exceptions_and_catch_bits() {
        let udf = Fault::UndefinedInstruction { pc: 0 };
        assert_eq!(udf.exception(), Exception::UsageFault);
        assert_eq!(udf.vector_catch(), scs::DEMCR_VC_STATERR);
        let div = Fault::DivideByZero { pc: 0 };
        assert_eq!(div.cfsr_bits(), 1 << 25);
        assert_eq!(div.vector_catch(), scs::DEMCR_VC_CHKERR);
        let bus = Fault::PreciseBusError { pc: 0, address: 4 };
        assert_eq!(bus.cfsr_bits(), (1 << 9) | (1 << 15));
        assert_eq!(bus.exception(), Exception::BusFault);
    }
}
