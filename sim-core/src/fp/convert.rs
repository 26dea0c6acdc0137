//! Conversions of the ARM ARM pseudo-code (A2.5.x): FPToFixed (float to integer and to
//! fixed-point, saturating with Invalid Operation), FixedToFP, FPRoundInt (VRINT*), and
//! FPConvert between binary16/32/64 (the F16 rules of FPSingleToHalf/FPHalfToSingle: AHP,
//! DN, NaN payloads).

use super::arith::process_nan;
use super::format::{unpack, Class, Fmt, F16};
use super::fpscr::{bits, Env, Rounding};
use super::round::{round, rounds_up, split, Frac, Wide};

/// The range of a `size`-bit signed or unsigned integer (SatQ's bounds).
#[inline]
fn int_range(size: u32, unsigned: bool) -> (i128, i128) {
    if unsigned {
        (0, (1i128 << size) - 1)
    } else {
        (-(1i128 << (size - 1)), (1i128 << (size - 1)) - 1)
    }
}

/// FPToFixed: `op * 2^frac_bits` rounded to an integer in `mode` and saturated to `size` (16 or
/// 32) bits, signed or unsigned. Saturation (and a NaN, which converts to 0) raises Invalid
/// Operation; otherwise an inexact result raises Inexact. The result comes back extended to 64
/// bits (Extend(result, unsigned)); callers keep the width they need.
pub fn to_fixed(
    fmt: Fmt,
    op: u64,
    size: u32,
    frac_bits: u32,
    unsigned: bool,
    mode: Rounding,
    env: &mut Env,
) -> u64 {
    let u = unpack(fmt, op, env);
    let (min, max) = int_range(size, unsigned);
    match u.class {
        Class::QNaN | Class::SNaN => {
            env.raise(bits::IOC);
            return 0;
        }
        Class::Zero => return 0,
        Class::Infinity => {
            env.raise(bits::IOC);
            return (if u.negative { min } else { max }) as i64 as u64;
        }
        Class::Finite => {}
    }
    let e = u.e + frac_bits as i32;
    let (magnitude, frac) = if e >= 0 {
        if e > 64 {
            // At least 2^64 in magnitude: saturates whatever the rounding.
            env.raise(bits::IOC);
            return (if u.negative { min } else { max }) as i64 as u64;
        }
        (u128::from(u.m) << e, Frac::Exact)
    } else {
        split(u128::from(u.m), (-e) as u32, false)
    };
    let rounded = magnitude + u128::from(rounds_up(mode, u.negative, magnitude & 1 == 1, frac));
    // rounded < 2^118, so the signed value fits an i128.
    let value = if u.negative {
        -(rounded as i128)
    } else {
        rounded as i128
    };
    let result = if value < min || value > max {
        env.raise(bits::IOC);
        value.clamp(min, max)
    } else {
        if frac != Frac::Exact {
            env.raise(bits::IXC);
        }
        value
    };
    result as i64 as u64
}

/// FixedToFP: the low `size` bits of `operand`, a signed or unsigned integer scaled by
/// `2^-frac_bits`, rounded to `fmt` in `mode` (zero converts to +0).
pub fn from_fixed(
    fmt: Fmt,
    operand: u32,
    size: u32,
    frac_bits: u32,
    unsigned: bool,
    mode: Rounding,
    env: &mut Env,
) -> u64 {
    let shift = 32 - size;
    let int: i64 = if unsigned {
        i64::from((operand << shift) >> shift)
    } else {
        i64::from(((operand << shift) as i32) >> shift)
    };
    if int == 0 {
        return fmt.zero(false);
    }
    let value = Wide::exact(u128::from(int.unsigned_abs()), -(frac_bits as i32));
    round(fmt, int < 0, value, mode, env)
}

/// FPRoundInt: `op` rounded to an integral value in `mode` (VRINT*); `exact` (VRINTX) raises
/// Inexact when that changed the value. A zero result keeps the operand's sign.
pub fn round_int(fmt: Fmt, op: u64, mode: Rounding, exact: bool, env: &mut Env) -> u64 {
    let u = unpack(fmt, op, env);
    match u.class {
        Class::SNaN | Class::QNaN => return process_nan(fmt, u.class, op, env),
        Class::Infinity => return fmt.infinity(u.negative),
        Class::Zero => return fmt.zero(u.negative),
        Class::Finite => {}
    }
    if u.e >= 0 {
        // Already an integer.
        return op;
    }
    let (magnitude, frac) = split(u128::from(u.m), (-u.e) as u32, false);
    let rounded = magnitude + u128::from(rounds_up(mode, u.negative, magnitude & 1 == 1, frac));
    if exact && frac != Frac::Exact {
        env.raise(bits::IXC);
    }
    if rounded == 0 {
        return fmt.zero(u.negative);
    }
    // An integer no larger than the operand's magnitude rounded up: exactly representable.
    let rounding = env.rounding();
    round(fmt, u.negative, Wide::exact(rounded, 0), rounding, env)
}

/// A NaN's payload carried to another format (FPConvertNaN): sign kept, quiet bit set, the
/// fraction's top bits kept (truncated or zero-filled).
fn convert_nan(from: Fmt, to: Fmt, op: u64) -> u64 {
    let negative = op & from.sign_bit() != 0;
    let payload = op & from.frac_mask();
    let payload = if to.frac_bits >= from.frac_bits {
        payload << (to.frac_bits - from.frac_bits)
    } else {
        payload >> (from.frac_bits - to.frac_bits)
    };
    to.zero(negative) | (to.exp_ones() << to.frac_bits) | to.quiet_bit() | payload
}

/// FPConvert between binary16, binary32 and binary64 (VCVT, VCVTB, VCVTT), rounding in FPSCR's
/// mode. To half precision under FPSCR.AHP, which has no infinities or NaNs: a NaN converts to
/// +0 and an infinity to the largest magnitude, both raising Invalid Operation.
pub fn convert(from: Fmt, to: Fmt, op: u64, env: &mut Env) -> u64 {
    let u = unpack(from, op, env);
    let alternative_half = to == F16 && env.alternative_half();
    match u.class {
        Class::QNaN | Class::SNaN => {
            let result = if alternative_half {
                env.raise(bits::IOC);
                0
            } else if env.default_nan() {
                to.default_nan()
            } else {
                convert_nan(from, to, op)
            };
            if u.class == Class::SNaN {
                env.raise(bits::IOC);
            }
            result
        }
        Class::Infinity if alternative_half => {
            env.raise(bits::IOC);
            to.zero(u.negative) | 0x7FFF
        }
        Class::Infinity => to.infinity(u.negative),
        Class::Zero => to.zero(u.negative),
        Class::Finite => {
            let rounding = env.rounding();
            round(
                to,
                u.negative,
                Wide::exact(u128::from(u.m), u.e),
                rounding,
                env,
            )
        }
    }
}
