//! Decoding fault status into a diagnosis: pure functions over register values.

use super::registers::{
    CfsrPart, StatusBit, BFARVALID, CFSR_BITS, DFSR_BITS, EXC_RETURN_NO_FP, EXC_RETURN_PSP,
    EXC_RETURN_THREAD, HFSR_BITS, HFSR_DEBUGEVT, HFSR_FORCED, HFSR_VECTTBL, MMARVALID,
};

/// The fault status registers as read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FaultRegisters {
    /// The core's fault model: on ARMv6-M only DFSR exists of these, the others read as 0.
    pub profile: super::profile::Profile,
    pub cfsr: u32,
    pub hfsr: u32,
    pub dfsr: u32,
    pub mmfar: u32,
    pub bfar: u32,
}

/// Core registers of a halted core that locate the exception frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoreContext {
    pub pc: u32,
    pub lr: u32,
    pub xpsr: u32,
    pub msp: u32,
    pub psp: u32,
}

/// Which stack pointer a frame was pushed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stack {
    Main,
    Process,
}

impl Stack {
    pub fn name(self) -> &'static str {
        match self {
            Stack::Main => "MSP",
            Stack::Process => "PSP",
        }
    }
}

/// The basic exception frame (B1.5.6): what the core pushed on exception entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackedFrame {
    pub stack: Stack,
    /// Address of the frame (the stack pointer after stacking).
    pub address: u32,
    pub r0: u32,
    pub r1: u32,
    pub r2: u32,
    pub r3: u32,
    pub r12: u32,
    pub lr: u32,
    pub pc: u32,
    pub xpsr: u32,
}

impl StackedFrame {
    /// Builds the frame from the eight words at `address`, in stacking order.
    pub fn from_words(stack: Stack, address: u32, w: [u32; 8]) -> Self {
        StackedFrame {
            stack,
            address,
            r0: w[0],
            r1: w[1],
            r2: w[2],
            r3: w[3],
            r12: w[4],
            lr: w[5],
            pc: w[6],
            xpsr: w[7],
        }
    }
}

/// Where the exception frame is, seen from a halted core.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameLocation {
    /// In a handler with LR = EXC_RETURN: the frame is at the top of this stack.
    At { stack: Stack, address: u32 },
    /// Thread mode: no exception is active, so nothing was stacked.
    ThreadMode,
    /// In a handler, but LR no longer holds EXC_RETURN (the handler called on).
    Unknown,
}

/// Whether `lr` is an EXC_RETURN value (B1.5.8: 0xFFFFFFE1/E9/ED/F1/F9/FD).
pub fn is_exc_return(lr: u32) -> bool {
    lr & 0xFFFF_FFE0 == 0xFFFF_FFE0 && matches!(lr & 0xF, 0x1 | 0x9 | 0xD)
}

/// The active exception number (IPSR, xPSR bits 8:0).
pub fn ipsr(xpsr: u32) -> u32 {
    xpsr & 0x1FF
}

/// Locates the frame from the core registers.
pub fn frame_location(core: &CoreContext) -> FrameLocation {
    if ipsr(core.xpsr) == 0 {
        return FrameLocation::ThreadMode;
    }
    if !is_exc_return(core.lr) {
        return FrameLocation::Unknown;
    }
    if core.lr & EXC_RETURN_PSP != 0 {
        FrameLocation::At {
            stack: Stack::Process,
            address: core.psp,
        }
    } else {
        FrameLocation::At {
            stack: Stack::Main,
            address: core.msp,
        }
    }
}

/// What EXC_RETURN says about the interrupted context.
pub fn exc_return_words(lr: u32) -> String {
    let mode = if lr & EXC_RETURN_THREAD != 0 {
        "Thread mode"
    } else {
        "Handler mode"
    };
    let stack = if lr & EXC_RETURN_PSP != 0 {
        "process stack"
    } else {
        "main stack"
    };
    let fp = if lr & EXC_RETURN_NO_FP != 0 {
        ""
    } else {
        ", with FP state"
    };
    format!("return to {mode}, {stack}{fp}")
}

/// The name of system exception `number`, as ARM names it.
pub fn exception_name(number: u32) -> String {
    match number {
        0 => "Thread mode".into(),
        1 => "Reset".into(),
        2 => "NMI".into(),
        3 => "HardFault".into(),
        4 => "MemManage".into(),
        5 => "BusFault".into(),
        6 => "UsageFault".into(),
        11 => "SVCall".into(),
        12 => "DebugMonitor".into(),
        14 => "PendSV".into(),
        15 => "SysTick".into(),
        n if n >= 16 => format!("IRQ {}", n - 16),
        n => format!("reserved exception {n}"),
    }
}

/// The kind of fault, in the terms a debugger reports it (the GDB edge maps it to a signal).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultClass {
    /// No fault status is set.
    None,
    /// A memory protection fault (MemManage).
    MemoryProtection,
    /// A bus error, an unaligned access or a vector-table read error.
    Bus,
    /// An undefined instruction, invalid state, invalid PC or coprocessor access.
    IllegalInstruction,
    /// Divide by zero.
    Arithmetic,
    /// A debug event (BKPT with halting debug disabled).
    Debug,
}

/// The cause a report leads with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cause {
    Cfsr(CfsrPart, StatusBit),
    Hfsr(StatusBit),
}

impl Cause {
    /// `UFSR.UNDEFINSTR`, `HFSR.VECTTBL`.
    pub fn qualified_name(&self) -> String {
        match self {
            Cause::Cfsr(part, bit) => format!("{}.{}", part.name(), bit.name),
            Cause::Hfsr(bit) => format!("HFSR.{}", bit.name),
        }
    }

    pub fn meaning(&self) -> &'static str {
        match self {
            Cause::Cfsr(_, bit) | Cause::Hfsr(bit) => bit.meaning,
        }
    }
}

/// Everything the status registers say, typed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnosis {
    /// The exception the fault was taken as (after escalation), if any fault is recorded.
    pub exception: Option<&'static str>,
    /// With HFSR.FORCED: the configurable fault that escalated.
    pub escalated_from: Option<&'static str>,
    /// The leading cause.
    pub cause: Option<Cause>,
    /// Every CFSR bit set.
    pub cfsr: Vec<(CfsrPart, StatusBit)>,
    /// Every HFSR bit set.
    pub hfsr: Vec<StatusBit>,
    /// Every DFSR bit set.
    pub dfsr: Vec<StatusBit>,
    /// MMFAR, when MMFSR.MMARVALID says it holds the faulting address.
    pub mmfar: Option<u32>,
    /// BFAR, when BFSR.BFARVALID says it holds the faulting address.
    pub bfar: Option<u32>,
    pub class: FaultClass,
}

fn is_valid_bit(bit: &StatusBit) -> bool {
    bit.mask == MMARVALID || bit.mask == BFARVALID
}

fn class_of(cause: &Cause) -> FaultClass {
    match cause {
        Cause::Cfsr(CfsrPart::Mmfsr, _) => FaultClass::MemoryProtection,
        Cause::Cfsr(CfsrPart::Bfsr, _) => FaultClass::Bus,
        Cause::Cfsr(CfsrPart::Ufsr, bit) => match bit.name {
            "DIVBYZERO" => FaultClass::Arithmetic,
            "UNALIGNED" => FaultClass::Bus,
            _ => FaultClass::IllegalInstruction,
        },
        Cause::Hfsr(bit) if bit.mask == HFSR_DEBUGEVT => FaultClass::Debug,
        Cause::Hfsr(_) => FaultClass::Bus,
    }
}

/// Decodes the fault status registers.
pub fn diagnose(regs: &FaultRegisters) -> Diagnosis {
    let cfsr: Vec<(CfsrPart, StatusBit)> = CFSR_BITS
        .iter()
        .filter(|(_, bit)| regs.cfsr & bit.mask != 0)
        .copied()
        .collect();
    let hfsr: Vec<StatusBit> = HFSR_BITS
        .iter()
        .filter(|bit| regs.hfsr & bit.mask != 0)
        .copied()
        .collect();
    let dfsr: Vec<StatusBit> = DFSR_BITS
        .iter()
        .filter(|bit| regs.dfsr & bit.mask != 0)
        .copied()
        .collect();
    let configurable = cfsr
        .iter()
        .find(|(_, bit)| !is_valid_bit(bit))
        .map(|&(part, bit)| Cause::Cfsr(part, bit));
    let hard = HFSR_BITS
        .iter()
        .find(|bit| regs.hfsr & bit.mask & (HFSR_VECTTBL | HFSR_DEBUGEVT) != 0)
        .map(|&bit| Cause::Hfsr(bit));
    let forced = regs.hfsr & HFSR_FORCED != 0;
    let (exception, escalated_from, cause) = match (hard, configurable) {
        (Some(cause), _) => (Some("HardFault"), None, Some(cause)),
        (None, Some(cause @ Cause::Cfsr(part, _))) if forced => {
            (Some("HardFault"), Some(part.exception()), Some(cause))
        }
        (None, Some(cause @ Cause::Cfsr(part, _))) => (Some(part.exception()), None, Some(cause)),
        (None, _) if forced => (Some("HardFault"), None, None),
        _ => (None, None, None),
    };
    Diagnosis {
        exception,
        escalated_from,
        class: cause.as_ref().map(class_of).unwrap_or(FaultClass::None),
        cause,
        mmfar: (regs.cfsr & MMARVALID != 0).then_some(regs.mmfar),
        bfar: (regs.cfsr & BFARVALID != 0).then_some(regs.bfar),
        cfsr,
        hfsr,
        dfsr,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undefined_instruction_is_a_usagefault() {
        let d = diagnose(&FaultRegisters {
            cfsr: 1 << 16,
            ..Default::default()
        });
        assert_eq!(d.exception, Some("UsageFault"));
        assert_eq!(d.cause.unwrap().qualified_name(), "UFSR.UNDEFINSTR");
        assert_eq!(d.class, FaultClass::IllegalInstruction);
        assert_eq!(d.bfar, None);
    }

    #[test]
    fn a_forced_precise_bus_error_names_its_origin_and_address() {
        let d = diagnose(&FaultRegisters {
            cfsr: (1 << 9) | (1 << 15),
            hfsr: 1 << 30,
            bfar: 0x3000_0000,
            mmfar: 0x1234,
            ..Default::default()
        });
        assert_eq!(d.exception, Some("HardFault"));
        assert_eq!(d.escalated_from, Some("BusFault"));
        assert_eq!(d.cause.unwrap().qualified_name(), "BFSR.PRECISERR");
        assert_eq!(d.bfar, Some(0x3000_0000));
        // MMFAR without MMARVALID is not an address of anything.
        assert_eq!(d.mmfar, None);
        assert_eq!(d.class, FaultClass::Bus);
        let names: Vec<_> = d.cfsr.iter().map(|(_, b)| b.name).collect();
        assert_eq!(names, ["PRECISERR", "BFARVALID"]);
    }

    #[test]
    fn divide_by_zero_is_arithmetic_and_vecttbl_is_a_bus_problem() {
        let d = diagnose(&FaultRegisters {
            cfsr: 1 << 25,
            ..Default::default()
        });
        assert_eq!(d.class, FaultClass::Arithmetic);
        let d = diagnose(&FaultRegisters {
            hfsr: 1 << 1,
            ..Default::default()
        });
        assert_eq!(d.exception, Some("HardFault"));
        assert_eq!(d.cause.unwrap().qualified_name(), "HFSR.VECTTBL");
        assert_eq!(d.class, FaultClass::Bus);
    }

    #[test]
    fn nothing_set_is_no_fault() {
        let d = diagnose(&FaultRegisters::default());
        assert_eq!(
            (d.exception, d.cause, d.class),
            (None, None, FaultClass::None)
        );
        let mm = diagnose(&FaultRegisters {
            cfsr: (1 << 1) | (1 << 7),
            mmfar: 0x2000_0000,
            ..Default::default()
        });
        assert_eq!(mm.exception, Some("MemManage"));
        assert_eq!(mm.mmfar, Some(0x2000_0000));
        assert_eq!(mm.class, FaultClass::MemoryProtection);
    }

    #[test]
    fn the_frame_is_on_the_stack_exc_return_names() {
        let core = CoreContext {
            pc: 0x0800_0098,
            lr: 0xFFFF_FFFD,
            xpsr: 0x0100_0006,
            msp: 0x2007_FFE0,
            psp: 0x2001_0000,
        };
        assert_eq!(
            frame_location(&core),
            FrameLocation::At {
                stack: Stack::Process,
                address: 0x2001_0000
            }
        );
        let msp = CoreContext {
            lr: 0xFFFF_FFF9,
            ..core
        };
        assert_eq!(
            frame_location(&msp),
            FrameLocation::At {
                stack: Stack::Main,
                address: 0x2007_FFE0
            }
        );
        let moved_on = CoreContext {
            lr: 0x0800_0101,
            ..core
        };
        assert_eq!(frame_location(&moved_on), FrameLocation::Unknown);
        let thread = CoreContext {
            xpsr: 0x0100_0000,
            ..core
        };
        assert_eq!(frame_location(&thread), FrameLocation::ThreadMode);
        assert_eq!(
            exc_return_words(0xFFFF_FFE9),
            "return to Thread mode, main stack, with FP state"
        );
        assert!(!is_exc_return(0xFFFF_FFF5));
    }
}
