//! Decoding of the coprocessor 10/11 encodings (ARMv7-M ARM A6, "Floating-point instruction
//! set encoding", and A5.3.18 for the coprocessor space they sit in).
//!
//! The space is `111T 11xx xxxx xxxx | xxxx 101x xxxx xxxx` (hw2[11:9] = 0b101: coprocessor 10
//! for single precision, 11 for double). With T = 0 (A6.1):
//! - op1 = hw1[9:4] = 00000x: UNDEFINED; 00010x: 64-bit transfers (A6.8);
//! - 0xxxxx otherwise: extension register load/store (A6.5);
//! - 10xxxx with hw2[4] = 0: data processing (A6.4); with hw2[4] = 1: 8/16/32-bit transfers
//!   (A6.7); 11xxxx: UNDEFINED.
//!
//! With T = 1 only FPv5's unconditional group exists (hw1 = 0xFExx: VSEL, VMAXNM/VMINNM,
//! VRINT{A,N,P,M}, VCVT{A,N,P,M}); everything else is UNDEFINED.
//!
//! Register fields: Vd = `hw2[15:12]` with D = `hw1[6]`; Vn = `hw1[3:0]` with N = `hw2[7]`; Vm =
//! `hw2[3:0]` with M = `hw2[5]`. A single register is `Vx:X`, a double one `X:Vx`; the D16
//! register files have D0-D15 only, and an encoding naming D16-D31 is UNDEFINED (the D[]
//! accessor's VFPSmallRegisterBank rule).
//!
//! Decoding depends only on the encoding and the FPU variant: an instruction the variant lacks
//! (double-precision data processing on FPv4-SP, the FPv5 additions on FPv4-SP) is UNDEFINED;
//! on a core without an FPU every encoding of the space is claimed and traps NOCP. Conditions
//! come from the IT block (every FP instruction here has `cond` = AL); the FPv5 instructions
//! that may not be in an IT block check that when they execute.

use crate::config::Config;
use crate::instr::{Instr, Ops};

use super::{dataproc as dp, transfers as tr};
use super::{format, ops_flags::*};

const LEN: u8 = 4;

/// Decodes a 32-bit encoding in the coprocessor 10/11 space; `None` for any other encoding.
pub fn decode32(hw1: u16, hw2: u16, config: &Config) -> Option<Instr> {
    // ARMv6-M has no coprocessor space: its 32-bit encodings beyond BL/MSR/MRS/barriers are
    // the integer decoder's UNDEFINED.
    if !config.has_thumb2() {
        return None;
    }
    if hw1 & 0xEC00 != 0xEC00 || hw2 & 0x0E00 != 0x0A00 {
        return None;
    }
    if !config.has_fpu() {
        return Some(Instr::new(tr::exec_no_coprocessor, Ops::default(), LEN));
    }
    Some(decode_fp(hw1, hw2, config).unwrap_or_else(undefined))
}

/// An UNDEFINED encoding of the FP space. CPACR is consulted first: with CP10/CP11 disabled
/// the coprocessor does not see the instruction, so it is a NOCP UsageFault; enabled, the FPU
/// rejects it (UNDEFINSTR).
fn undefined() -> Instr {
    Instr::new(tr::exec_undefined, Ops::default(), LEN)
}

fn unpredictable() -> Option<Instr> {
    Some(Instr::unpredictable(LEN))
}

fn instr(exec: crate::instr::ExecFn, ops: Ops) -> Option<Instr> {
    Some(Instr::new(exec, ops, LEN))
}

#[inline]
fn bit(value: u16, n: u32) -> u16 {
    (value >> n) & 1
}

/// S register `V:X`.
#[inline]
fn sreg(v: u16, x: u16) -> u8 {
    ((v << 1) | x) as u8
}

/// D register `X:V`; `None` for D16-D31, which a D16 register file lacks (UNDEFINED).
#[inline]
fn dreg(v: u16, x: u16) -> Option<u8> {
    if x != 0 {
        None
    } else {
        Some(v as u8)
    }
}

/// A register of the given precision.
#[inline]
fn reg(double: bool, v: u16, x: u16) -> Option<u8> {
    if double {
        dreg(v, x)
    } else {
        Some(sreg(v, x))
    }
}

struct Fields {
    vd: u16,
    d: u16,
    vn: u16,
    n: u16,
    vm: u16,
    m: u16,
    /// hw2[8]: coprocessor 11, double precision.
    sz: bool,
}

impl Fields {
    fn new(hw1: u16, hw2: u16) -> Fields {
        Fields {
            vd: hw2 >> 12,
            d: bit(hw1, 6),
            vn: hw1 & 0xF,
            n: bit(hw2, 7),
            vm: hw2 & 0xF,
            m: bit(hw2, 5),
            sz: hw2 & 0x100 != 0,
        }
    }

    fn rd(&self, double: bool) -> Option<u8> {
        reg(double, self.vd, self.d)
    }

    fn rn(&self, double: bool) -> Option<u8> {
        reg(double, self.vn, self.n)
    }

    fn rm(&self, double: bool) -> Option<u8> {
        reg(double, self.vm, self.m)
    }

    fn precision_flag(&self) -> u8 {
        if self.sz {
            DP
        } else {
            0
        }
    }

    /// Operands Sd/Dd, Sn/Dn, Sm/Dm of the instruction's precision.
    fn three(&self) -> Option<Ops> {
        Some(Ops {
            rd: self.rd(self.sz)?,
            rn: self.rn(self.sz)?,
            rm: self.rm(self.sz)?,
            flags: self.precision_flag(),
            ..Ops::default()
        })
    }

    /// Operands Sd/Dd, Sm/Dm of the instruction's precision.
    fn two(&self) -> Option<Ops> {
        Some(Ops {
            rd: self.rd(self.sz)?,
            rm: self.rm(self.sz)?,
            flags: self.precision_flag(),
            ..Ops::default()
        })
    }
}

/// `None` means UNDEFINED.
fn decode_fp(hw1: u16, hw2: u16, config: &Config) -> Option<Instr> {
    if hw1 & 0x1000 != 0 {
        return decode_unconditional(hw1, hw2, config);
    }
    let op1 = (hw1 >> 4) & 0x3F;
    match op1 {
        0b00_0000 | 0b00_0001 => None,
        0b00_0100 | 0b00_0101 => decode_64bit_transfer(hw1, hw2),
        _ if op1 & 0b10_0000 == 0 => decode_load_store(hw1, hw2),
        _ if op1 & 0b11_0000 == 0b10_0000 => {
            if hw2 & 0x10 == 0 {
                decode_data_processing(hw1, hw2, config)
            } else {
                decode_core_transfer(hw1, hw2)
            }
        }
        _ => None,
    }
}

/// A6.5 Extension register load/store: VLDR, VSTR, VLDM, VSTM, VPUSH, VPOP.
fn decode_load_store(hw1: u16, hw2: u16) -> Option<Instr> {
    let p = bit(hw1, 8) != 0;
    let u = bit(hw1, 7) != 0;
    let w = bit(hw1, 5) != 0;
    let load = bit(hw1, 4) != 0;
    let rn = (hw1 & 0xF) as u8;
    let f = Fields::new(hw1, hw2);
    let imm8 = u32::from(hw2 & 0xFF);
    let imm32 = imm8 << 2;
    let mut flags = f.precision_flag();
    if u {
        flags |= ADD;
    }
    if p && !w {
        // VLDR / VSTR (A7.7.236 / A7.7.256).
        if !load && rn == 15 {
            return unpredictable();
        }
        let ops = Ops {
            rd: f.rd(f.sz)?,
            rn,
            imm: imm32,
            flags,
            ..Ops::default()
        };
        let exec = if load { tr::exec_vldr } else { tr::exec_vstr };
        return instr(exec, ops);
    }
    if p == u && w {
        return None;
    }
    // VLDM / VSTM: increment after (P=0, U=1, optional writeback) or decrement before (P=1,
    // U=0, writeback); VPUSH and VPOP are the SP forms.
    if w {
        flags |= WBACK;
    }
    let first = if f.sz {
        u32::from(f.d << 4 | f.vd)
    } else {
        u32::from(f.vd << 1 | f.d)
    };
    // VPUSH (VSTMDB SP!) and VPOP (VLDMIA SP!) have their own encodings, which limit the list
    // to 16 registers also for S registers (A7.7.242, A7.7.243).
    let push_pop = rn == 13 && w && if load { u } else { p };
    let (regs, limit) = if f.sz {
        // An odd imm8 with D registers is the deprecated pre-UAL FLDMX/FSTMX form: not
        // modelled, treated as UNPREDICTABLE.
        if imm8 & 1 != 0 {
            return unpredictable();
        }
        (imm8 / 2, 16)
    } else {
        (imm8, 32)
    };
    let too_many = regs > 16 && (f.sz || push_pop);
    // Lists running past the last register (D15 on these D16 register files, S31) are
    // UNPREDICTABLE.
    if rn == 15 || regs == 0 || too_many || first + regs > limit {
        return unpredictable();
    }
    let ops = Ops {
        rd: first as u8,
        rn,
        imm: imm32,
        shift_amount: regs as u8,
        flags,
        ..Ops::default()
    };
    let exec = if load { tr::exec_vldm } else { tr::exec_vstm };
    instr(exec, ops)
}

/// A6.8 64-bit transfers: VMOV two core registers to/from two S registers or one D register.
fn decode_64bit_transfer(hw1: u16, hw2: u16) -> Option<Instr> {
    if hw2 & 0x00D0 != 0x0010 {
        return None;
    }
    let to_core = bit(hw1, 4) != 0;
    let rt2 = (hw1 & 0xF) as u8;
    let rt = (hw2 >> 12) as u8;
    let f = Fields::new(hw1, hw2);
    // Both forms move S[m] <-> Rt and S[m+1] <-> Rt2 (D[m] is S[2m+1]:S[2m]).
    let first = if f.sz {
        2 * dreg(f.vm, f.m)?
    } else {
        let m = sreg(f.vm, f.m);
        if m == 31 {
            return unpredictable();
        }
        m
    };
    if matches!(rt, 13 | 15) || matches!(rt2, 13 | 15) || (to_core && rt == rt2) {
        return unpredictable();
    }
    let ops = Ops {
        rd: rt,
        ra: rt2,
        rm: first,
        ..Ops::default()
    };
    let exec = if to_core {
        tr::exec_vmov_to_two_core
    } else {
        tr::exec_vmov_from_two_core
    };
    instr(exec, ops)
}

/// A6.7 8, 16 and 32-bit transfers: VMOV core <-> S, VMOV core <-> scalar (a half of a D
/// register), VMSR, VMRS.
fn decode_core_transfer(hw1: u16, hw2: u16) -> Option<Instr> {
    let load = bit(hw1, 4) != 0;
    let c = hw2 & 0x100 != 0;
    let a = (hw1 >> 5) & 0b111;
    let rt = (hw2 >> 12) as u8;
    let should_be_zero = hw2 & 0xF != 0;
    match (c, a) {
        (false, 0b000) => {
            if should_be_zero || hw2 & 0x60 != 0 || matches!(rt, 13 | 15) {
                return unpredictable();
            }
            let s = sreg(hw1 & 0xF, bit(hw2, 7));
            vmov_core(load, rt, s)
        }
        (false, 0b111) => {
            // Only FPSCR (reg = 0b0001) exists on ARMv7-M.
            if hw1 & 0xF != 0b0001 {
                return None;
            }
            if should_be_zero || hw2 & 0xE0 != 0 {
                return unpredictable();
            }
            let ops = Ops {
                rd: rt,
                ..Ops::default()
            };
            if load {
                if rt == 13 {
                    return unpredictable();
                }
                instr(tr::exec_vmrs, ops)
            } else {
                if matches!(rt, 13 | 15) {
                    return unpredictable();
                }
                instr(tr::exec_vmsr, ops)
            }
        }
        (true, 0b000 | 0b001) => {
            // 32-bit scalar only (opc1<1> = hw1[6] = 0, opc2 = hw2[6:5] = 00): the other
            // sizes are Advanced SIMD, which M-profile lacks.
            if hw2 & 0x60 != 0 {
                return None;
            }
            let d = dreg(hw1 & 0xF, bit(hw2, 7))?;
            if should_be_zero || matches!(rt, 13 | 15) {
                return unpredictable();
            }
            vmov_core(load, rt, 2 * d + bit(hw1, 5) as u8)
        }
        _ => None,
    }
}

fn vmov_core(to_core: bool, rt: u8, s: u8) -> Option<Instr> {
    let ops = Ops {
        rd: rt,
        rn: s,
        ..Ops::default()
    };
    if to_core {
        instr(tr::exec_vmov_s_to_core, ops)
    } else {
        instr(tr::exec_vmov_core_to_s, ops)
    }
}

/// A6.4 Floating-point data-processing instructions (T = 0).
fn decode_data_processing(hw1: u16, hw2: u16, config: &Config) -> Option<Instr> {
    let f = Fields::new(hw1, hw2);
    if f.sz && !config.has_double_precision() {
        return None;
    }
    let opc1 = ((hw1 >> 5) & 0b100) | ((hw1 >> 4) & 0b11);
    let op = bit(hw2, 6) != 0;
    let with = |exec: crate::instr::ExecFn, extra: u8| -> Option<Instr> {
        let mut ops = f.three()?;
        ops.extra = extra;
        instr(exec, ops)
    };
    match (opc1, op) {
        (0b000, false) => with(dp::exec_vmla, dp::VMLA),
        (0b000, true) => with(dp::exec_vmla, dp::VMLS),
        (0b001, true) => with(dp::exec_vmla, dp::VNMLA),
        (0b001, false) => with(dp::exec_vmla, dp::VNMLS),
        (0b010, false) => with(dp::exec_vmul, 0),
        (0b010, true) => with(dp::exec_vnmul, 0),
        (0b011, false) => with(dp::exec_vadd, 0),
        (0b011, true) => with(dp::exec_vsub, 0),
        (0b100, false) => with(dp::exec_vdiv, 0),
        (0b101, true) => with(dp::exec_vfma, dp::VFNMA),
        (0b101, false) => with(dp::exec_vfma, dp::VFNMS),
        (0b110, false) => with(dp::exec_vfma, dp::VFMA),
        (0b110, true) => with(dp::exec_vfma, dp::VFMS),
        (0b111, false) => decode_vmov_immediate(hw1, hw2, &f),
        (0b111, true) => decode_other(hw1, hw2, &f, config),
        _ => None,
    }
}

/// VMOV (immediate), A7.7.239: hw2[7] and hw2[5] are (0).
fn decode_vmov_immediate(hw1: u16, hw2: u16, f: &Fields) -> Option<Instr> {
    if hw2 & 0xA0 != 0 {
        return unpredictable();
    }
    let imm8 = (((hw1 & 0xF) << 4) | (hw2 & 0xF)) as u8;
    let fmt = if f.sz { format::F64 } else { format::F32 };
    let value = format::expand_imm(imm8, fmt);
    // A binary64 immediate has a zero low word: keep the word that is not.
    let imm = if f.sz {
        (value >> 32) as u32
    } else {
        value as u32
    };
    let ops = Ops {
        rd: f.rd(f.sz)?,
        imm,
        flags: f.precision_flag(),
        ..Ops::default()
    };
    instr(dp::exec_vmov_immediate, ops)
}

/// The data-processing group with opc1 = 1x11, opc3 = x1 (A6.4 Table A6-3's "other").
fn decode_other(hw1: u16, hw2: u16, f: &Fields, config: &Config) -> Option<Instr> {
    let opc2 = hw1 & 0xF;
    let b7 = bit(hw2, 7) != 0;
    let fpv5 = config.has_double_precision();
    let two = |exec: crate::instr::ExecFn, extra: u8| -> Option<Instr> {
        let mut ops = f.two()?;
        ops.extra = extra;
        instr(exec, ops)
    };
    match opc2 {
        0b0000 if !b7 => two(dp::exec_vmov_register, 0),
        0b0000 => two(dp::exec_vabs, 0),
        0b0001 if !b7 => two(dp::exec_vneg, 0),
        0b0001 => two(dp::exec_vsqrt, 0),
        0b0010 | 0b0011 => decode_vcvt_half(opc2 & 1 != 0, b7, f),
        0b0100 => {
            let mut ops = f.two()?;
            if b7 {
                ops.flags |= QUIET_NAN_EXC;
            }
            instr(dp::exec_vcmp, ops)
        }
        0b0101 => {
            // VCMP{E} with #0.0: Vm and M are (0).
            if f.vm != 0 || f.m != 0 {
                return unpredictable();
            }
            let mut ops = f.two()?;
            ops.flags |= WITH_ZERO | if b7 { QUIET_NAN_EXC } else { 0 };
            instr(dp::exec_vcmp, ops)
        }
        // VRINTR (FPSCR mode) and VRINTZ: FPv5.
        0b0110 if fpv5 => two(
            dp::exec_vrint,
            if b7 {
                dp::rounding_code(crate::fp::Rounding::Zero)
            } else {
                dp::ROUND_FPSCR
            },
        ),
        // VRINTX: FPv5.
        0b0111 if !b7 && fpv5 => {
            let mut ops = f.two()?;
            ops.extra = dp::ROUND_FPSCR;
            ops.flags |= EXACT;
            instr(dp::exec_vrint, ops)
        }
        0b0111 if b7 && fpv5 => {
            // VCVT between double and single precision (needs double precision, whichever
            // way): sz names the source.
            let ops = Ops {
                rd: f.rd(!f.sz)?,
                rm: f.rm(f.sz)?,
                flags: f.precision_flag(),
                ..Ops::default()
            };
            instr(dp::exec_vcvt_precision, ops)
        }
        0b1000 => {
            // VCVT from a 32-bit integer in Sm: hw2[7] = 1 signed.
            let ops = Ops {
                rd: f.rd(f.sz)?,
                rm: sreg(f.vm, f.m),
                flags: f.precision_flag() | if b7 { 0 } else { UNSIGNED },
                extra: dp::ROUND_FPSCR,
                ..Ops::default()
            };
            instr(dp::exec_vcvt_from_int, ops)
        }
        0b1010 | 0b1011 | 0b1110 | 0b1111 => decode_vcvt_fixed(hw2, opc2, b7, f),
        0b1100 | 0b1101 => {
            // VCVT{R} to a 32-bit integer in Sd: opc2<0> = 1 signed; hw2[7] = 1 rounds
            // toward zero, 0 (VCVTR) uses FPSCR's mode.
            let ops = Ops {
                rd: sreg(f.vd, f.d),
                rm: f.rm(f.sz)?,
                flags: f.precision_flag() | if opc2 & 1 == 0 { UNSIGNED } else { 0 },
                extra: if b7 {
                    dp::rounding_code(crate::fp::Rounding::Zero)
                } else {
                    dp::ROUND_FPSCR
                },
                ..Ops::default()
            };
            instr(dp::exec_vcvt_to_int, ops)
        }
        _ => None,
    }
}

/// VCVTB/VCVTT (A7.7.225): half precision in the bottom (hw2[7] = 0) or top half of an S
/// register, converted from (to_half = false) or to binary32, or binary64 on FPv5 (sz = 1).
fn decode_vcvt_half(to_half: bool, top: bool, f: &Fields) -> Option<Instr> {
    let (rd, rm) = if to_half {
        (sreg(f.vd, f.d), f.rm(f.sz)?)
    } else {
        (f.rd(f.sz)?, sreg(f.vm, f.m))
    };
    let ops = Ops {
        rd,
        rm,
        flags: f.precision_flag() | if top { TOP } else { 0 },
        ..Ops::default()
    };
    let exec = if to_half {
        dp::exec_vcvt_to_half
    } else {
        dp::exec_vcvt_from_half
    };
    instr(exec, ops)
}

/// VCVT between floating point and fixed point (A7.7.224): in place in Sd/Dd; opc2<2> = 1
/// converts to fixed, opc2<0> = 1 unsigned; hw2[7] = 1 a 32-bit, 0 a 16-bit fixed-point
/// value; frac_bits = size - imm4:i.
fn decode_vcvt_fixed(hw2: u16, opc2: u16, b7: bool, f: &Fields) -> Option<Instr> {
    let size: u32 = if b7 { 32 } else { 16 };
    let imm5 = u32::from(((hw2 & 0xF) << 1) | bit(hw2, 5));
    if imm5 > size {
        return unpredictable();
    }
    let ops = Ops {
        rd: f.rd(f.sz)?,
        imm: size - imm5,
        shift_amount: size as u8,
        flags: f.precision_flag() | if opc2 & 1 != 0 { UNSIGNED } else { 0 },
        ..Ops::default()
    };
    let exec = if opc2 & 0b100 != 0 {
        dp::exec_vcvt_to_fixed
    } else {
        dp::exec_vcvt_from_fixed
    };
    instr(exec, ops)
}

/// FPv5's unconditional data-processing group (hw1 = 0xFExx, hw2[4] = 0): VSEL, VMAXNM,
/// VMINNM, VRINT{A,N,P,M}, VCVT{A,N,P,M}. UNDEFINED on FPv4-SP.
fn decode_unconditional(hw1: u16, hw2: u16, config: &Config) -> Option<Instr> {
    if !config.has_double_precision() || hw1 & 0xFF00 != 0xFE00 || hw2 & 0x10 != 0 {
        return None;
    }
    let f = Fields::new(hw1, hw2);
    let op = bit(hw2, 6) != 0;
    if hw1 & 0x80 == 0 {
        // VSEL<cc>: cc = hw1[5:4] (EQ, VS, GE, GT).
        if op {
            return None;
        }
        let mut ops = f.three()?;
        ops.extra = ((hw1 >> 4) & 0b11) as u8;
        ops.flags |= UNCONDITIONAL;
        return instr(dp::exec_vsel, ops);
    }
    match (hw1 >> 4) & 0b11 {
        0b00 => {
            let mut ops = f.three()?;
            ops.flags |= UNCONDITIONAL;
            if op {
                ops.flags |= MINIMUM;
            }
            instr(dp::exec_vmaxnm, ops)
        }
        0b11 => {
            let rounding = crate::fp::Rounding::from_rm_field(u32::from(hw1 & 0b11));
            match (hw1 >> 2) & 0b11 {
                // VRINT{A,N,P,M}: hw2[7:6] = 01.
                0b10 if hw2 & 0xC0 == 0x40 => {
                    let mut ops = f.two()?;
                    ops.extra = dp::rounding_code(rounding);
                    ops.flags |= UNCONDITIONAL;
                    instr(dp::exec_vrint, ops)
                }
                // VCVT{A,N,P,M} to a 32-bit integer in Sd: hw2[7] = 1 signed.
                0b11 if op => {
                    let ops = Ops {
                        rd: sreg(f.vd, f.d),
                        rm: f.rm(f.sz)?,
                        flags: f.precision_flag()
                            | UNCONDITIONAL
                            | if bit(hw2, 7) == 0 { UNSIGNED } else { 0 },
                        extra: dp::rounding_code(rounding),
                        ..Ops::default()
                    };
                    instr(dp::exec_vcvt_to_int, ops)
                }
                _ => None,
            }
        }
        _ => None,
    }
}
