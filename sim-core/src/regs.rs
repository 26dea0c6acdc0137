//! The core registers (ARMv7-M ARM B1.4): R0–R12, the banked stack pointers, LR, PC, the
//! program status registers, the special-purpose mask registers and CONTROL, and the FP
//! extension's register file.

/// APSR flag bits in xPSR positions.
pub mod psr {
    pub const N: u32 = 1 << 31;
    pub const Z: u32 = 1 << 30;
    pub const C: u32 = 1 << 29;
    pub const V: u32 = 1 << 28;
    pub const Q: u32 = 1 << 27;
    /// GE[3:0] at bits 19:16 (DSP extension).
    pub const GE_SHIFT: u32 = 16;
    pub const GE_MASK: u32 = 0xF << GE_SHIFT;
    pub const NZCV: u32 = N | Z | C | V;
    /// Every APSR bit (NZCVQ and GE).
    pub const APSR_MASK: u32 = NZCV | Q | GE_MASK;
    /// EPSR.T.
    pub const T: u32 = 1 << 24;
    /// xPSR[9] of a stacked frame: the frame was realigned with a padding word.
    pub const STACK_ALIGNED: u32 = 1 << 9;
    pub const IPSR_MASK: u32 = 0x1FF;
}

/// CONTROL bits (B1.4.4).
pub mod control {
    /// Thread mode is unprivileged.
    pub const NPRIV: u32 = 1 << 0;
    /// Thread mode uses the process stack.
    pub const SPSEL: u32 = 1 << 1;
    /// An FP context is active.
    pub const FPCA: u32 = 1 << 2;
}

/// The general-purpose and special-purpose registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Regs {
    /// R0–R15. R13 is the stack pointer in use (MSP or PSP, see [`Regs::banked_sp`]); R15 is the
    /// address of the instruction being executed (reads of PC as an operand give R15 + 4, see
    /// `Core::reg`).
    pub r: [u32; 16],
    /// The stack pointer not in use: PSP while R13 is MSP, MSP while R13 is PSP.
    pub banked_sp: u32,
    /// APSR: N, Z, C, V, Q and GE[3:0], in their xPSR bit positions.
    pub apsr: u32,
    /// IPSR: the exception number, 0 in Thread mode.
    pub ipsr: u16,
    /// EPSR.T: 0 makes the next instruction an INVSTATE UsageFault.
    pub thumb: bool,
    /// ITSTATE (IT[7:0]): condition in [7:4], mask in [3:0]; 0 outside an IT block.
    pub itstate: u8,
    pub primask: bool,
    pub faultmask: bool,
    /// BASEPRI[7:0] (only the implemented top bits are kept).
    pub basepri: u8,
    /// CONTROL: nPRIV, SPSEL, FPCA.
    pub control: u32,
}

impl Default for Regs {
    fn default() -> Self {
        Regs {
            r: [0; 16],
            banked_sp: 0,
            apsr: 0,
            ipsr: 0,
            thumb: true,
            itstate: 0,
            primask: false,
            faultmask: false,
            basepri: 0,
            control: 0,
        }
    }
}

impl Regs {
    /// Handler mode: an exception is active.
    pub fn handler_mode(&self) -> bool {
        self.ipsr != 0
    }

    /// Whether R13 is the process stack pointer now (Thread mode with CONTROL.SPSEL).
    pub fn using_psp(&self) -> bool {
        !self.handler_mode() && self.control & control::SPSEL != 0
    }

    pub fn msp(&self) -> u32 {
        if self.using_psp() {
            self.banked_sp
        } else {
            self.r[13]
        }
    }

    pub fn psp(&self) -> u32 {
        if self.using_psp() {
            self.r[13]
        } else {
            self.banked_sp
        }
    }

    pub fn set_msp(&mut self, value: u32) {
        if self.using_psp() {
            self.banked_sp = value & !3;
        } else {
            self.r[13] = value & !3;
        }
    }

    pub fn set_psp(&mut self, value: u32) {
        if self.using_psp() {
            self.r[13] = value & !3;
        } else {
            self.banked_sp = value & !3;
        }
    }

    /// Changes what decides the stack pointer in use (IPSR, CONTROL.SPSEL) and swaps R13 with
    /// the banked copy if that changes which one is in use. Every write of `ipsr` or `control`
    /// goes through here.
    pub fn set_mode(&mut self, ipsr: u16, control: u32) {
        let before = self.using_psp();
        self.ipsr = ipsr;
        self.control = control;
        if self.using_psp() != before {
            std::mem::swap(&mut self.r[13], &mut self.banked_sp);
        }
    }

    /// Thread mode is privileged, or Handler mode.
    pub fn privileged(&self) -> bool {
        self.handler_mode() || self.control & control::NPRIV == 0
    }

    /// xPSR as the debugger and exception stacking see it (B1.4.2).
    pub fn xpsr(&self) -> u32 {
        let it = u32::from(self.itstate);
        self.apsr
            | u32::from(self.ipsr)
            | (u32::from(self.thumb) << 24)
            | ((it & 0x3) << 25)
            | ((it >> 2) << 10)
    }

    /// Sets xPSR as a debugger write or an exception return does (IPSR through `set_mode`).
    pub fn set_xpsr(&mut self, value: u32) {
        self.apsr = value & psr::APSR_MASK;
        self.thumb = value & psr::T != 0;
        self.itstate = (((value >> 25) & 0x3) | (((value >> 10) & 0x3F) << 2)) as u8;
        let control = self.control;
        self.set_mode((value & psr::IPSR_MASK) as u16, control);
    }

    pub fn in_it_block(&self) -> bool {
        self.itstate & 0xF != 0
    }

    pub fn last_in_it_block(&self) -> bool {
        self.itstate & 0xF == 0x8
    }

    /// ITAdvance() (A7.3.3).
    pub fn advance_it(&mut self) {
        if self.itstate & 0x7 == 0 {
            self.itstate = 0;
        } else {
            self.itstate = (self.itstate & 0xE0) | ((self.itstate << 1) & 0x1F);
        }
    }

    pub fn flag(&self, bit: u32) -> bool {
        self.apsr & bit != 0
    }

    pub fn set_flag(&mut self, bit: u32, value: bool) {
        if value {
            self.apsr |= bit;
        } else {
            self.apsr &= !bit;
        }
    }

    /// Sets N and Z from `result`, C and V as given.
    pub fn set_nzcv(&mut self, result: u32, carry: bool, overflow: bool) {
        let mut apsr = self.apsr & !psr::NZCV;
        apsr |= result & psr::N;
        if result == 0 {
            apsr |= psr::Z;
        }
        if carry {
            apsr |= psr::C;
        }
        if overflow {
            apsr |= psr::V;
        }
        self.apsr = apsr;
    }

    /// Sets N and Z from `result` and C as given; V unchanged.
    pub fn set_nzc(&mut self, result: u32, carry: bool) {
        let overflow = self.flag(psr::V);
        self.set_nzcv(result, carry, overflow);
    }

    /// ConditionPassed() for condition `cond` (A7.3.1).
    pub fn condition_passed(&self, cond: u8) -> bool {
        let n = self.flag(psr::N);
        let z = self.flag(psr::Z);
        let c = self.flag(psr::C);
        let v = self.flag(psr::V);
        let base = match cond >> 1 {
            0 => z,
            1 => c,
            2 => n,
            3 => v,
            4 => c && !z,
            5 => n == v,
            6 => n == v && !z,
            _ => true,
        };
        if cond & 1 == 1 && cond != 0xF {
            !base
        } else {
            base
        }
    }
}

/// The FP extension's registers: S0–S31 (D0–D15 are pairs: D[n] = S[2n+1]:S[2n]) and FPSCR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FpRegs {
    pub s: [u32; 32],
    pub fpscr: u32,
}

impl FpRegs {
    pub fn d(&self, n: usize) -> u64 {
        u64::from(self.s[2 * n]) | (u64::from(self.s[2 * n + 1]) << 32)
    }

    pub fn set_d(&mut self, n: usize, value: u64) {
        self.s[2 * n] = value as u32;
        self.s[2 * n + 1] = (value >> 32) as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xpsr_round_trips_it_state_and_flags() {
        let mut r = Regs::default();
        r.set_xpsr(0xF80F_0000 | psr::T | (0b01 << 25) | (0b101011 << 10) | 0x0B);
        assert_eq!(r.itstate, 0b1010_1101);
        assert_eq!(r.ipsr, 0x0B);
        assert_eq!(
            r.xpsr(),
            0xF80F_0000 | psr::T | (0b01 << 25) | (0b101011 << 10) | 0x0B
        );
    }

    #[test]
    fn stack_pointers_follow_mode_and_spsel() {
        let mut r = Regs::default();
        r.r[13] = 0x2000_1000;
        r.set_psp(0x2000_0800);
        assert_eq!(r.msp(), 0x2000_1000);
        r.set_mode(0, control::SPSEL);
        assert_eq!(r.r[13], 0x2000_0800);
        assert_eq!(r.msp(), 0x2000_1000);
        // Handler mode always runs on MSP.
        r.set_mode(15, control::SPSEL);
        assert_eq!(r.r[13], 0x2000_1000);
        assert_eq!(r.psp(), 0x2000_0800);
    }

    #[test]
    fn it_state_advances_to_the_end_of_the_block() {
        // ITTE EQ: firstcond 0000, mask 0110 (then, else) -> IT[7:0] = 0x06.
        let mut r = Regs {
            itstate: 0x06,
            ..Regs::default()
        };
        assert!(r.in_it_block());
        r.advance_it();
        assert_eq!(r.itstate, 0x0C);
        r.advance_it();
        assert_eq!(r.itstate, 0x18);
        assert!(r.last_in_it_block());
        r.advance_it();
        assert!(!r.in_it_block());
    }
}
