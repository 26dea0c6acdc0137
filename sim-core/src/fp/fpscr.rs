//! FPSCR, the Floating-point Status and Control Register (ARMv7-M ARM A2.5.3 / B3.2.x), and the
//! per-instruction view of it the arithmetic uses ([`Env`]): the controls read once, the
//! cumulative exception flags collected and ORed back when the instruction completes.

/// FPSCR bit positions (A2.5.3). ARMv7-M has no exception trap enables: bits 15:8 are reserved.
pub mod bits {
    pub const N: u32 = 1 << 31;
    pub const Z: u32 = 1 << 30;
    pub const C: u32 = 1 << 29;
    pub const V: u32 = 1 << 28;
    pub const NZCV: u32 = N | Z | C | V;
    /// Alternative half-precision format.
    pub const AHP: u32 = 1 << 26;
    /// Default NaN mode.
    pub const DN: u32 = 1 << 25;
    /// Flush-to-zero mode.
    pub const FZ: u32 = 1 << 24;
    pub const RMODE_SHIFT: u32 = 22;
    pub const RMODE_MASK: u32 = 0b11 << RMODE_SHIFT;
    /// Input Denormal cumulative flag.
    pub const IDC: u32 = 1 << 7;
    /// Inexact cumulative flag.
    pub const IXC: u32 = 1 << 4;
    /// Underflow cumulative flag.
    pub const UFC: u32 = 1 << 3;
    /// Overflow cumulative flag.
    pub const OFC: u32 = 1 << 2;
    /// Division by Zero cumulative flag.
    pub const DZC: u32 = 1 << 1;
    /// Invalid Operation cumulative flag.
    pub const IOC: u32 = 1 << 0;
    /// Every cumulative exception flag.
    pub const EXCEPTIONS: u32 = IDC | IXC | UFC | OFC | DZC | IOC;
    /// The bits a VMSR (or an exception return restoring FPSCR) can write; the rest are
    /// reserved and read as zero.
    pub const WRITABLE: u32 = NZCV | AHP | DN | FZ | RMODE_MASK | EXCEPTIONS;
    /// The bits FPDSCR supplies to a new FP context (B1.5.x ExecuteFPCheck: FPSCR<26:22>).
    pub const DEFAULTS_FROM_FPDSCR: u32 = AHP | DN | FZ | RMODE_MASK;
}

/// A rounding mode (FPRounding in the ARM ARM pseudo-code). The first four are FPSCR.RMode's
/// encodings; `TieAway` is used only by VRINTA and VCVTA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// RN: round to nearest, ties to even (RMode 0b00).
    TieEven,
    /// RP: toward plus infinity (0b01).
    PosInf,
    /// RM: toward minus infinity (0b10).
    NegInf,
    /// RZ: toward zero (0b11).
    Zero,
    /// Round to nearest, ties away from zero (FPv5 VRINTA/VCVTA only).
    TieAway,
}

impl Rounding {
    /// FPSCR.RMode.
    pub fn from_rmode(rmode: u32) -> Rounding {
        match rmode & 0b11 {
            0b00 => Rounding::TieEven,
            0b01 => Rounding::PosInf,
            0b10 => Rounding::NegInf,
            _ => Rounding::Zero,
        }
    }

    /// The RM field of VRINT{A,N,P,M} and VCVT{A,N,P,M} (FPDecodeRM: 00 A, 01 N, 10 P, 11 M).
    pub fn from_rm_field(rm: u32) -> Rounding {
        match rm & 0b11 {
            0b00 => Rounding::TieAway,
            0b01 => Rounding::TieEven,
            0b10 => Rounding::PosInf,
            _ => Rounding::NegInf,
        }
    }
}

/// The FPSCR controls one instruction runs under, and the exception flags it raises.
#[derive(Debug, Clone, Copy)]
pub struct Env {
    fpscr: u32,
    /// Cumulative flags raised so far (FPSCR bit positions).
    pub flags: u32,
}

impl Env {
    pub fn new(fpscr: u32) -> Env {
        Env { fpscr, flags: 0 }
    }

    /// The rounding mode FPSCR.RMode selects.
    #[inline]
    pub fn rounding(&self) -> Rounding {
        Rounding::from_rmode(self.fpscr >> bits::RMODE_SHIFT)
    }

    #[inline]
    pub fn flush_to_zero(&self) -> bool {
        self.fpscr & bits::FZ != 0
    }

    #[inline]
    pub fn default_nan(&self) -> bool {
        self.fpscr & bits::DN != 0
    }

    #[inline]
    pub fn alternative_half(&self) -> bool {
        self.fpscr & bits::AHP != 0
    }

    /// FPProcessException: ARMv7-M has no trap enables, so every exception only sets its
    /// cumulative flag.
    #[inline]
    pub fn raise(&mut self, flag: u32) {
        self.flags |= flag;
    }
}
