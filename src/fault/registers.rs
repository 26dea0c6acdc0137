//! The ARMv7-M fault status and debug registers (ARMv7-M ARM B3.2.15–B3.2.18, C1.6.2, C1.6.5),
//! their addresses once and their bits by the names ARM gives them.

/// System Handler Control and State Register.
pub const SHCSR: u32 = 0xE000_ED24;
/// Configurable Fault Status Register: MMFSR (bits 7:0), BFSR (15:8), UFSR (31:16).
pub const CFSR: u32 = 0xE000_ED28;
/// HardFault Status Register.
pub const HFSR: u32 = 0xE000_ED2C;
/// Debug Fault Status Register.
pub const DFSR: u32 = 0xE000_ED30;
/// MemManage Fault Address Register (valid with MMFSR.MMARVALID).
pub const MMFAR: u32 = 0xE000_ED34;
/// BusFault Address Register (valid with BFSR.BFARVALID).
pub const BFAR: u32 = 0xE000_ED38;
/// Debug Exception and Monitor Control Register (vector catch, TRCENA).
pub const DEMCR: u32 = 0xE000_EDFC;

/// Which of the three configurable faults a CFSR bit belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CfsrPart {
    /// MMFSR, the MemManage half of CFSR's low byte.
    Mmfsr,
    /// BFSR, CFSR bits 15:8.
    Bfsr,
    /// UFSR, CFSR bits 31:16.
    Ufsr,
}

impl CfsrPart {
    /// The register name ARM uses.
    pub fn name(self) -> &'static str {
        match self {
            CfsrPart::Mmfsr => "MMFSR",
            CfsrPart::Bfsr => "BFSR",
            CfsrPart::Ufsr => "UFSR",
        }
    }

    /// The exception whose status it holds.
    pub fn exception(self) -> &'static str {
        match self {
            CfsrPart::Mmfsr => "MemManage",
            CfsrPart::Bfsr => "BusFault",
            CfsrPart::Ufsr => "UsageFault",
        }
    }
}

/// One status bit: mask, ARM name, and what it means in a developer's words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StatusBit {
    pub mask: u32,
    pub name: &'static str,
    pub meaning: &'static str,
}

const fn bit(n: u32, name: &'static str, meaning: &'static str) -> StatusBit {
    StatusBit {
        mask: 1 << n,
        name,
        meaning,
    }
}

/// MMFSR.MMARVALID: MMFAR holds the faulting address.
pub const MMARVALID: u32 = 1 << 7;
/// BFSR.BFARVALID: BFAR holds the faulting address.
pub const BFARVALID: u32 = 1 << 15;

/// CFSR bits by part (B3.2.15). The VALID bits are listed so that decoding names every set bit.
pub const CFSR_BITS: &[(CfsrPart, StatusBit)] = &[
    (
        CfsrPart::Mmfsr,
        bit(
            0,
            "IACCVIOL",
            "instruction fetch from a no-execute or protected region",
        ),
    ),
    (
        CfsrPart::Mmfsr,
        bit(1, "DACCVIOL", "data access violation (MPU)"),
    ),
    (
        CfsrPart::Mmfsr,
        bit(
            3,
            "MUNSTKERR",
            "MPU fault while unstacking on exception return",
        ),
    ),
    (
        CfsrPart::Mmfsr,
        bit(4, "MSTKERR", "MPU fault while stacking on exception entry"),
    ),
    (
        CfsrPart::Mmfsr,
        bit(5, "MLSPERR", "MPU fault during lazy FP state preservation"),
    ),
    (
        CfsrPart::Mmfsr,
        bit(7, "MMARVALID", "MMFAR holds the faulting address"),
    ),
    (
        CfsrPart::Bfsr,
        bit(8, "IBUSERR", "bus error on an instruction fetch"),
    ),
    (
        CfsrPart::Bfsr,
        bit(9, "PRECISERR", "precise data bus error"),
    ),
    (
        CfsrPart::Bfsr,
        bit(
            10,
            "IMPRECISERR",
            "imprecise data bus error (the stacked PC is later than the access)",
        ),
    ),
    (
        CfsrPart::Bfsr,
        bit(
            11,
            "UNSTKERR",
            "bus error while unstacking on exception return",
        ),
    ),
    (
        CfsrPart::Bfsr,
        bit(12, "STKERR", "bus error while stacking on exception entry"),
    ),
    (
        CfsrPart::Bfsr,
        bit(13, "LSPERR", "bus error during lazy FP state preservation"),
    ),
    (
        CfsrPart::Bfsr,
        bit(15, "BFARVALID", "BFAR holds the faulting address"),
    ),
    (
        CfsrPart::Ufsr,
        bit(16, "UNDEFINSTR", "undefined instruction"),
    ),
    (
        CfsrPart::Ufsr,
        bit(
            17,
            "INVSTATE",
            "invalid state (Thumb bit clear, e.g. a branch to an even address)",
        ),
    ),
    (
        CfsrPart::Ufsr,
        bit(
            18,
            "INVPC",
            "invalid EXC_RETURN or PC load on exception return",
        ),
    ),
    (
        CfsrPart::Ufsr,
        bit(
            19,
            "NOCP",
            "coprocessor (FPU) access while it is disabled or absent",
        ),
    ),
    (
        CfsrPart::Ufsr,
        bit(
            24,
            "UNALIGNED",
            "unaligned access with CCR.UNALIGN_TRP or an unaligned LDM/STM/LDRD",
        ),
    ),
    (
        CfsrPart::Ufsr,
        bit(25, "DIVBYZERO", "divide by zero with CCR.DIV_0_TRP"),
    ),
];

/// HFSR.VECTTBL.
pub const HFSR_VECTTBL: u32 = 1 << 1;
/// HFSR.FORCED.
pub const HFSR_FORCED: u32 = 1 << 30;
/// HFSR.DEBUGEVT.
pub const HFSR_DEBUGEVT: u32 = 1 << 31;

/// HFSR bits (B3.2.16).
pub const HFSR_BITS: &[StatusBit] = &[
    bit(1, "VECTTBL", "bus error reading the vector table"),
    bit(
        30,
        "FORCED",
        "a configurable fault escalated (disabled, or not allowed at this priority)",
    ),
    bit(
        31,
        "DEBUGEVT",
        "a debug event (BKPT) with halting debug disabled",
    ),
];

/// DFSR.VCATCH.
pub const DFSR_VCATCH: u32 = 1 << 3;

/// DFSR bits (C1.6.2).
pub const DFSR_BITS: &[StatusBit] = &[
    bit(0, "HALTED", "halt request or step"),
    bit(1, "BKPT", "breakpoint (BKPT instruction or FPB)"),
    bit(2, "DWTTRAP", "watchpoint (DWT)"),
    bit(3, "VCATCH", "vector catch"),
    bit(4, "EXTERNAL", "external debug request"),
];

/// One DEMCR vector-catch bit with OpenOCD's `vector_catch` word for it (C1.6.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VectorCatch {
    pub word: &'static str,
    pub mask: u32,
    pub name: &'static str,
    pub meaning: &'static str,
}

/// DEMCR.VC_* in OpenOCD's order.
pub const VECTOR_CATCHES: &[VectorCatch] = &[
    VectorCatch {
        word: "hard_err",
        mask: 1 << 10,
        name: "VC_HARDERR",
        meaning: "HardFault",
    },
    VectorCatch {
        word: "int_err",
        mask: 1 << 9,
        name: "VC_INTERR",
        meaning: "error on exception entry or return",
    },
    VectorCatch {
        word: "bus_err",
        mask: 1 << 8,
        name: "VC_BUSERR",
        meaning: "BusFault",
    },
    VectorCatch {
        word: "state_err",
        mask: 1 << 7,
        name: "VC_STATERR",
        meaning: "UsageFault: undefined instruction or invalid state",
    },
    VectorCatch {
        word: "chk_err",
        mask: 1 << 6,
        name: "VC_CHKERR",
        meaning: "UsageFault: divide by zero or unaligned access",
    },
    VectorCatch {
        word: "nocp_err",
        mask: 1 << 5,
        name: "VC_NOCPERR",
        meaning: "UsageFault: coprocessor access",
    },
    VectorCatch {
        word: "mm_err",
        mask: 1 << 4,
        name: "VC_MMERR",
        meaning: "MemManage",
    },
    VectorCatch {
        word: "reset",
        mask: 1 << 0,
        name: "VC_CORERESET",
        meaning: "core reset",
    },
];

/// Every DEMCR vector-catch bit.
pub const VECTOR_CATCH_MASK: u32 =
    (1 << 10) | (1 << 9) | (1 << 8) | (1 << 7) | (1 << 6) | (1 << 5) | (1 << 4) | 1;

/// EXC_RETURN bit 2 (B1.5.8): 1 = the frame is on the process stack.
pub const EXC_RETURN_PSP: u32 = 1 << 2;
/// EXC_RETURN bit 3: 1 = return to Thread mode.
pub const EXC_RETURN_THREAD: u32 = 1 << 3;
/// EXC_RETURN bit 4: 0 = the frame includes FP state (extended frame).
pub const EXC_RETURN_NO_FP: u32 = 1 << 4;

/// DCRSR.REGSEL numbers of the registers a fault report reads (C1.6.3).
pub mod regsel {
    pub const LR: u16 = 14;
    pub const PC: u16 = 15;
    pub const XPSR: u16 = 16;
    pub const MSP: u16 = 17;
    pub const PSP: u16 = 18;
}
