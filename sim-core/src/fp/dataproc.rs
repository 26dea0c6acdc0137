//! Execution of the FP data-processing instructions (A7.7, A6.4): arithmetic, compares, moves,
//! conversions, and FPv5's VSEL, VMAXNM/VMINNM, VRINT*, VCVT{A,N,P,M}.
//!
//! Operands ([`Ops`]): `rd`, `rn`, `rm` are register numbers, D registers with [`DP`] and S
//! registers otherwise (conversions between precisions document their own); `extra` selects a
//! variant (VMLA/VFMA families, VSEL's condition) or a rounding mode ([`rounding_code`] or
//! [`ROUND_FPSCR`]); `imm` is VMOV's immediate or a conversion's fraction bits.
//!
//! Every instruction runs [`check`] (CPACR, lazy preservation, new FP context) first, then
//! reads FPSCR's controls into an [`Env`], computes, writes its result, and ORs the
//! exceptions it raised into FPSCR's cumulative flags.

use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{Ops, Trap};
use crate::regs::psr;

use super::arith;
use super::context::check;
use super::convert;
use super::format::{Fmt, F16, F32, F64};
use super::fpscr::{bits, Env, Rounding};
use super::ops_flags::*;

/// `extra` of VMLA-family instructions (not fused: the product is rounded, then the sum).
pub const VMLA: u8 = 0;
pub const VMLS: u8 = 1;
pub const VNMLA: u8 = 2;
pub const VNMLS: u8 = 3;
/// `extra` of VFMA-family instructions (fused: one rounding).
pub const VFMA: u8 = 0;
pub const VFMS: u8 = 1;
pub const VFNMA: u8 = 2;
pub const VFNMS: u8 = 3;

/// `extra` of a conversion or VRINT that rounds as FPSCR.RMode says.
pub const ROUND_FPSCR: u8 = 0xFF;

/// `extra` for a fixed rounding mode.
pub const fn rounding_code(mode: Rounding) -> u8 {
    match mode {
        Rounding::TieEven => 0,
        Rounding::PosInf => 1,
        Rounding::NegInf => 2,
        Rounding::Zero => 3,
        Rounding::TieAway => 4,
    }
}

#[inline]
fn rounding_of(code: u8, env: &Env) -> Rounding {
    match code {
        0 => Rounding::TieEven,
        1 => Rounding::PosInf,
        2 => Rounding::NegInf,
        3 => Rounding::Zero,
        4 => Rounding::TieAway,
        _ => env.rounding(),
    }
}

#[inline]
fn is_double(ops: &Ops) -> bool {
    ops.flags & DP != 0
}

#[inline]
fn fmt_of(double: bool) -> Fmt {
    if double {
        F64
    } else {
        F32
    }
}

#[inline]
fn read(core: &Core, double: bool, r: u8) -> u64 {
    if double {
        core.fp.d(usize::from(r))
    } else {
        u64::from(core.fp.s[usize::from(r)])
    }
}

#[inline]
fn write(core: &mut Core, double: bool, r: u8, value: u64) {
    if double {
        core.fp.set_d(usize::from(r), value);
    } else {
        core.fp.s[usize::from(r)] = value as u32;
    }
}

/// The FPv5 instructions with no condition field are UNPREDICTABLE in an IT block.
#[inline]
fn not_in_it_block(core: &Core, ops: &Ops) -> Result<(), Trap> {
    if ops.flags & UNCONDITIONAL != 0 && core.regs.in_it_block() {
        return Err(Trap::Unmodelled(
            "an unconditional FPv5 instruction (VSEL, VMAXNM, VRINTA/N/P/M, VCVTA/N/P/M) in an IT block (UNPREDICTABLE)",
        ));
    }
    Ok(())
}

/// Runs ExecuteFPCheck and returns the FPSCR environment the instruction computes in.
#[inline]
fn begin(core: &mut Core, bus: &mut dyn Bus) -> Result<Env, Trap> {
    check(core, bus)?;
    Ok(Env::new(core.fp.fpscr))
}

#[inline]
fn finish(core: &mut Core, env: &Env) {
    core.fp.fpscr |= env.flags;
}

type Binary = fn(Fmt, u64, u64, &mut Env) -> u64;

/// `Rd = f(Rn, Rm)`.
#[inline]
fn binary(core: &mut Core, bus: &mut dyn Bus, ops: &Ops, f: Binary) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let result = f(
        fmt_of(double),
        read(core, double, ops.rn),
        read(core, double, ops.rm),
        &mut env,
    );
    write(core, double, ops.rd, result);
    finish(core, &env);
    Ok(())
}

/// VADD (A7.7.222).
pub fn exec_vadd(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    binary(core, bus, ops, arith::add)
}

/// VSUB (A7.7.262).
pub fn exec_vsub(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    binary(core, bus, ops, arith::sub)
}

/// VMUL (A7.7.250).
pub fn exec_vmul(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    binary(core, bus, ops, arith::mul)
}

/// VNMUL (A7.7.253): the negated product (a NaN result's sign is flipped too).
pub fn exec_vnmul(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    binary(core, bus, ops, |fmt, a, b, env| {
        fmt.neg(arith::mul(fmt, a, b, env))
    })
}

/// VDIV (A7.7.229).
pub fn exec_vdiv(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    binary(core, bus, ops, arith::div)
}

/// VMLA, VMLS, VNMLA, VNMLS (A7.7.238, A7.7.252): FPMul rounds, then FPAdd rounds.
pub fn exec_vmla(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let fmt = fmt_of(double);
    let product = arith::mul(
        fmt,
        read(core, double, ops.rn),
        read(core, double, ops.rm),
        &mut env,
    );
    let acc = read(core, double, ops.rd);
    let (acc, product) = match ops.extra {
        VMLA => (acc, product),
        VMLS => (acc, fmt.neg(product)),
        VNMLA => (fmt.neg(acc), fmt.neg(product)),
        _ => (fmt.neg(acc), product),
    };
    let result = arith::add(fmt, acc, product, &mut env);
    write(core, double, ops.rd, result);
    finish(core, &env);
    Ok(())
}

/// VFMA, VFMS, VFNMA, VFNMS (A7.7.232, A7.7.233): FPMulAdd, one rounding; the negations are
/// FPNeg of the operands before the operation (so NaN operands come out with flipped signs).
pub fn exec_vfma(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let fmt = fmt_of(double);
    let addend = read(core, double, ops.rd);
    let op1 = read(core, double, ops.rn);
    let op2 = read(core, double, ops.rm);
    let (addend, op1) = match ops.extra {
        VFMA => (addend, op1),
        VFMS => (addend, fmt.neg(op1)),
        VFNMA => (fmt.neg(addend), fmt.neg(op1)),
        _ => (fmt.neg(addend), op1),
    };
    let result = arith::mul_add(fmt, addend, op1, op2, &mut env);
    write(core, double, ops.rd, result);
    finish(core, &env);
    Ok(())
}

/// `Rd = f(Rm)` for the one-operand instructions.
#[inline]
fn unary(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
    f: impl Fn(Fmt, u64, &mut Env) -> u64,
) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let result = f(fmt_of(double), read(core, double, ops.rm), &mut env);
    write(core, double, ops.rd, result);
    finish(core, &env);
    Ok(())
}

/// VSQRT (A7.7.254).
pub fn exec_vsqrt(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    unary(core, bus, ops, arith::sqrt)
}

/// VABS (A7.7.221): clears the sign bit, no exceptions, denormals not flushed.
pub fn exec_vabs(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    unary(core, bus, ops, |fmt, op, _| fmt.abs(op))
}

/// VNEG (A7.7.251): flips the sign bit.
pub fn exec_vneg(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    unary(core, bus, ops, |fmt, op, _| fmt.neg(op))
}

/// VMOV (register) (A7.7.240).
pub fn exec_vmov_register(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    unary(core, bus, ops, |_, op, _| op)
}

/// VMOV (immediate) (A7.7.239): `imm` is the binary32 value, or binary64's high word (its low
/// word is always zero).
pub fn exec_vmov_immediate(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let double = is_double(ops);
    let value = if double {
        u64::from(ops.imm) << 32
    } else {
        u64::from(ops.imm)
    };
    write(core, double, ops.rd, value);
    Ok(())
}

/// VCMP, VCMPE (A7.7.223): FPSCR.NZCV from comparing Rd with Rm or with +0.0
/// ([`WITH_ZERO`]); VCMPE ([`QUIET_NAN_EXC`]) raises Invalid Operation for quiet NaNs too.
pub fn exec_vcmp(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let op2 = if ops.flags & WITH_ZERO != 0 {
        0
    } else {
        read(core, double, ops.rm)
    };
    let nzcv = arith::compare(
        fmt_of(double),
        read(core, double, ops.rd),
        op2,
        ops.flags & QUIET_NAN_EXC != 0,
        &mut env,
    );
    core.fp.fpscr = (core.fp.fpscr & !bits::NZCV) | nzcv;
    finish(core, &env);
    Ok(())
}

/// VSEL<cc> (FPv5): Rd = cc ? Rn : Rm, cc (`extra`) one of EQ, VS, GE, GT on the APSR flags.
pub fn exec_vsel(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    not_in_it_block(core, ops)?;
    check(core, bus)?;
    let r = &core.regs;
    let (n, z, v) = (r.flag(psr::N), r.flag(psr::Z), r.flag(psr::V));
    let passed = match ops.extra {
        0b00 => z,
        0b01 => v,
        0b10 => n == v,
        _ => !z && n == v,
    };
    let double = is_double(ops);
    let source = if passed { ops.rn } else { ops.rm };
    let value = read(core, double, source);
    write(core, double, ops.rd, value);
    Ok(())
}

/// VMAXNM, VMINNM ([`MINIMUM`]) (FPv5): IEEE 754-2008 maxNum/minNum.
pub fn exec_vmaxnm(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    not_in_it_block(core, ops)?;
    let maximum = ops.flags & MINIMUM == 0;
    binary(core, bus, ops, if maximum { max_num } else { min_num })
}

fn max_num(fmt: Fmt, a: u64, b: u64, env: &mut Env) -> u64 {
    arith::max_min_num(fmt, a, b, true, env)
}

fn min_num(fmt: Fmt, a: u64, b: u64, env: &mut Env) -> u64 {
    arith::max_min_num(fmt, a, b, false, env)
}

/// VRINTR, VRINTZ, VRINTX ([`EXACT`]: Inexact when the value changes) and FPv5's VRINTA, N,
/// P, M: FPRoundInt in the mode `extra` names.
pub fn exec_vrint(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    not_in_it_block(core, ops)?;
    let exact = ops.flags & EXACT != 0;
    unary(core, bus, ops, |fmt, op, env| {
        let mode = rounding_of(ops.extra, env);
        convert::round_int(fmt, op, mode, exact, env)
    })
}

/// VCVT between double and single precision (A7.7.226): [`DP`] set converts Dm to Sd, clear
/// Sm to Dd.
pub fn exec_vcvt_precision(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let from_double = is_double(ops);
    let (from, to) = if from_double { (F64, F32) } else { (F32, F64) };
    let result = convert::convert(from, to, read(core, from_double, ops.rm), &mut env);
    write(core, !from_double, ops.rd, result);
    finish(core, &env);
    Ok(())
}

/// The bit position of the half of an S register VCVTB ([`TOP`] clear) or VCVTT uses.
#[inline]
fn half_shift(ops: &Ops) -> u32 {
    if ops.flags & TOP != 0 {
        16
    } else {
        0
    }
}

/// VCVTB/VCVTT from half precision (A7.7.225): Sd or Dd ([`DP`]) from a half of Sm.
pub fn exec_vcvt_from_half(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let half = (core.fp.s[usize::from(ops.rm)] >> half_shift(ops)) & 0xFFFF;
    let result = convert::convert(F16, fmt_of(double), u64::from(half), &mut env);
    write(core, double, ops.rd, result);
    finish(core, &env);
    Ok(())
}

/// VCVTB/VCVTT to half precision: a half of Sd from Sm or Dm ([`DP`]); the other half of Sd
/// is kept.
pub fn exec_vcvt_to_half(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let half = convert::convert(fmt_of(double), F16, read(core, double, ops.rm), &mut env) as u32;
    let shift = half_shift(ops);
    let d = usize::from(ops.rd);
    core.fp.s[d] = (core.fp.s[d] & !(0xFFFF << shift)) | (half << shift);
    finish(core, &env);
    Ok(())
}

/// VCVT, VCVTR (A7.7.223) and FPv5's VCVTA/N/P/M to a 32-bit integer in Sd from Sm or Dm
/// ([`DP`]); [`UNSIGNED`] for U32; the mode is `extra`.
pub fn exec_vcvt_to_int(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    not_in_it_block(core, ops)?;
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let mode = rounding_of(ops.extra, &env);
    let unsigned = ops.flags & UNSIGNED != 0;
    let op = read(core, double, ops.rm);
    let result = convert::to_fixed(fmt_of(double), op, 32, 0, unsigned, mode, &mut env);
    core.fp.s[usize::from(ops.rd)] = result as u32;
    finish(core, &env);
    Ok(())
}

/// VCVT from a 32-bit integer in Sm ([`UNSIGNED`] for U32) to Sd or Dd ([`DP`]), rounding in
/// FPSCR's mode.
pub fn exec_vcvt_from_int(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let mode = rounding_of(ops.extra, &env);
    let operand = core.fp.s[usize::from(ops.rm)];
    let unsigned = ops.flags & UNSIGNED != 0;
    let result = convert::from_fixed(fmt_of(double), operand, 32, 0, unsigned, mode, &mut env);
    write(core, double, ops.rd, result);
    finish(core, &env);
    Ok(())
}

/// VCVT to fixed point (A7.7.224), in place in Sd or Dd: `shift_amount` is the size (16 or
/// 32), `imm` the fraction bits; rounds toward zero. The result is sign- or zero-extended to
/// the register's width.
pub fn exec_vcvt_to_fixed(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let op = read(core, double, ops.rd);
    let result = convert::to_fixed(
        fmt_of(double),
        op,
        u32::from(ops.shift_amount),
        ops.imm,
        ops.flags & UNSIGNED != 0,
        Rounding::Zero,
        &mut env,
    );
    write(core, double, ops.rd, result);
    finish(core, &env);
    Ok(())
}

/// VCVT from fixed point (A7.7.224), in place: the register's low `shift_amount` bits, with
/// `imm` fraction bits; rounds to nearest (FixedToFP with round_to_nearest, whatever FPSCR's
/// mode).
pub fn exec_vcvt_from_fixed(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let mut env = begin(core, bus)?;
    let double = is_double(ops);
    let operand = read(core, double, ops.rd) as u32;
    let result = convert::from_fixed(
        fmt_of(double),
        operand,
        u32::from(ops.shift_amount),
        ops.imm,
        ops.flags & UNSIGNED != 0,
        Rounding::TieEven,
        &mut env,
    );
    write(core, double, ops.rd, result);
    finish(core, &env);
    Ok(())
}
