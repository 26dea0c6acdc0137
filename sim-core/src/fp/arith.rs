//! The floating-point arithmetic of the ARM ARM pseudo-code (A2.5.x): FPAdd, FPSub, FPMul,
//! FPDiv, FPSqrt, FPMulAdd (fused), FPCompare, FPMaxNum/FPMinNum, with ARM's NaN rules
//! (FPProcessNaN(s): signalling NaNs first, then the first quiet NaN, quietened, or the default
//! NaN under FPSCR.DN) — never the host's.
//!
//! Operands and results are bit patterns of one format ([`Fmt`]); values are computed exactly
//! as integers scaled by powers of two and rounded once by [`round`].

use std::cmp::Ordering;

use super::format::{unpack, Class, Fmt, Unpacked};
use super::fpscr::{bits, Env, Rounding};
use super::round::{round, Wide};

/// FPProcessNaN: a signalling NaN is quietened and raises Invalid Operation; DN replaces any
/// NaN by the default NaN.
pub fn process_nan(fmt: Fmt, class: Class, op: u64, env: &mut Env) -> u64 {
    let mut result = op;
    if class == Class::SNaN {
        result |= fmt.quiet_bit();
        env.raise(bits::IOC);
    }
    if env.default_nan() {
        result = fmt.default_nan();
    }
    result
}

/// FPProcessNaNs for two operands.
pub fn process_nans(
    fmt: Fmt,
    a: &Unpacked,
    op1: u64,
    b: &Unpacked,
    op2: u64,
    env: &mut Env,
) -> Option<u64> {
    if a.class == Class::SNaN {
        Some(process_nan(fmt, a.class, op1, env))
    } else if b.class == Class::SNaN {
        Some(process_nan(fmt, b.class, op2, env))
    } else if a.class == Class::QNaN {
        Some(process_nan(fmt, a.class, op1, env))
    } else if b.class == Class::QNaN {
        Some(process_nan(fmt, b.class, op2, env))
    } else {
        None
    }
}

/// FPProcessNaNs3 for three operands (in FPMulAdd's order: addend, op1, op2).
pub fn process_nans3(fmt: Fmt, ops: [(&Unpacked, u64); 3], env: &mut Env) -> Option<u64> {
    for class in [Class::SNaN, Class::QNaN] {
        if let Some((_, op)) = ops.iter().find(|(u, _)| u.class == class) {
            return Some(process_nan(fmt, class, *op, env));
        }
    }
    None
}

/// The exact value of a finite or zero operand (zero has `m == 0`).
#[inline]
fn wide(u: &Unpacked) -> Wide {
    Wide::exact(u128::from(u.m), u.e)
}

/// Shifts an exact non-zero value so its top bit is bit 125 (room for a carry and a sign-free
/// subtraction); values from this module have at most 106 significant bits, so no bit is lost.
#[inline]
fn normalise_125(w: Wide) -> Wide {
    if w.m == 0 {
        return w;
    }
    let shift = w.m.leading_zeros() as i32 - 2;
    if shift >= 0 {
        Wide::exact(w.m << shift, w.e - shift)
    } else {
        // Not produced here; keep correctness by folding the lost bits into the sticky bit.
        let s = (-shift) as u32;
        Wide {
            m: w.m >> s,
            e: w.e + s as i32,
            sticky: w.sticky || w.m & ((1u128 << s) - 1) != 0,
        }
    }
}

/// The exact sum of two signed exact values, as a sign and a [`Wide`] (exact, or with at
/// least 123 significant bits and a sticky remainder). A zero sum comes back as zero; its sign
/// is the caller's to decide.
pub fn sum(neg_a: bool, a: Wide, neg_b: bool, b: Wide) -> (bool, Wide) {
    if b.m == 0 {
        return (neg_a, a);
    }
    if a.m == 0 {
        return (neg_b, b);
    }
    let (mut a, mut b) = (normalise_125(a), normalise_125(b));
    let (mut neg_a, mut neg_b) = (neg_a, neg_b);
    if a.e < b.e {
        std::mem::swap(&mut a, &mut b);
        std::mem::swap(&mut neg_a, &mut neg_b);
    }
    // Align b to a's exponent; bits shifted out become the sticky bit.
    let diff = (a.e - b.e) as u32;
    let (bm, sticky) = if diff >= 128 {
        (0, true)
    } else {
        (b.m >> diff, b.m & ((1u128 << diff) - 1) != 0)
    };
    if neg_a == neg_b {
        return (
            neg_a,
            Wide {
                m: a.m + bm,
                e: a.e,
                sticky,
            },
        );
    }
    match a.m.cmp(&bm) {
        // a - (bm + d) = (a - bm - 1) + (1 - d). With a shift (diff >= 1) a's top bit is
        // above all of b's, so the difference keeps at least 123 bits.
        Ordering::Greater => {
            let m = a.m - bm - u128::from(sticky);
            (neg_a, Wide { m, e: a.e, sticky })
        }
        // Only possible without a shift (diff == 0), hence exact.
        Ordering::Less => (neg_b, Wide::exact(bm - a.m, a.e)),
        Ordering::Equal => (false, Wide::exact(0, a.e)),
    }
}

/// Rounds a sum, giving an exact zero the sign the rounding mode selects (-0 only when
/// rounding toward minus infinity).
fn finish_sum(fmt: Fmt, negative: bool, value: Wide, env: &mut Env) -> u64 {
    let mode = env.rounding();
    if value.is_zero() {
        fmt.zero(mode == Rounding::NegInf)
    } else {
        round(fmt, negative, value, mode, env)
    }
}

/// FPAdd.
pub fn add(fmt: Fmt, op1: u64, op2: u64, env: &mut Env) -> u64 {
    add_sub(fmt, op1, op2, false, env)
}

/// FPSub: as FPAdd with op2's sign inverted after NaN processing (a NaN op2 keeps its sign).
pub fn sub(fmt: Fmt, op1: u64, op2: u64, env: &mut Env) -> u64 {
    add_sub(fmt, op1, op2, true, env)
}

fn add_sub(fmt: Fmt, op1: u64, op2: u64, subtract: bool, env: &mut Env) -> u64 {
    let a = unpack(fmt, op1, env);
    let b = unpack(fmt, op2, env);
    if let Some(nan) = process_nans(fmt, &a, op1, &b, op2, env) {
        return nan;
    }
    let neg_b = b.negative ^ subtract;
    let (inf1, inf2) = (a.class == Class::Infinity, b.class == Class::Infinity);
    let (zero1, zero2) = (a.class == Class::Zero, b.class == Class::Zero);
    if inf1 && inf2 && a.negative != neg_b {
        env.raise(bits::IOC);
        return fmt.default_nan();
    }
    if (inf1 && !a.negative) || (inf2 && !neg_b) {
        return fmt.infinity(false);
    }
    if inf1 || inf2 {
        return fmt.infinity(true);
    }
    if zero1 && zero2 && a.negative == neg_b {
        return fmt.zero(a.negative);
    }
    let (negative, value) = sum(a.negative, wide(&a), neg_b, wide(&b));
    finish_sum(fmt, negative, value, env)
}

/// FPMul.
pub fn mul(fmt: Fmt, op1: u64, op2: u64, env: &mut Env) -> u64 {
    let a = unpack(fmt, op1, env);
    let b = unpack(fmt, op2, env);
    if let Some(nan) = process_nans(fmt, &a, op1, &b, op2, env) {
        return nan;
    }
    let negative = a.negative != b.negative;
    let (inf1, inf2) = (a.class == Class::Infinity, b.class == Class::Infinity);
    let (zero1, zero2) = (a.class == Class::Zero, b.class == Class::Zero);
    if (inf1 && zero2) || (zero1 && inf2) {
        env.raise(bits::IOC);
        return fmt.default_nan();
    }
    if inf1 || inf2 {
        return fmt.infinity(negative);
    }
    if zero1 || zero2 {
        return fmt.zero(negative);
    }
    let product = Wide::exact(u128::from(a.m) * u128::from(b.m), a.e + b.e);
    round(fmt, negative, product, env.rounding(), env)
}

/// FPDiv.
pub fn div(fmt: Fmt, op1: u64, op2: u64, env: &mut Env) -> u64 {
    let a = unpack(fmt, op1, env);
    let b = unpack(fmt, op2, env);
    if let Some(nan) = process_nans(fmt, &a, op1, &b, op2, env) {
        return nan;
    }
    let negative = a.negative != b.negative;
    let (inf1, inf2) = (a.class == Class::Infinity, b.class == Class::Infinity);
    let (zero1, zero2) = (a.class == Class::Zero, b.class == Class::Zero);
    if (inf1 && inf2) || (zero1 && zero2) {
        env.raise(bits::IOC);
        return fmt.default_nan();
    }
    if inf1 || zero2 {
        if !inf1 {
            env.raise(bits::DZC);
        }
        return fmt.infinity(negative);
    }
    if zero1 || inf2 {
        return fmt.zero(negative);
    }
    // Both mantissas are normalised to F+1 bits, so the quotient has 63 or 64 bits.
    let dividend = u128::from(a.m) << 64;
    let divisor = u128::from(b.m);
    let quotient = Wide {
        m: dividend / divisor,
        e: a.e - b.e - 64,
        sticky: dividend % divisor != 0,
    };
    round(fmt, negative, quotient, env.rounding(), env)
}

/// The integer square root (floor) of `n`, digit by digit.
fn isqrt(n: u128) -> u128 {
    let mut x = n;
    let mut root = 0u128;
    let mut bit = 1u128 << 126;
    while bit > x {
        bit >>= 2;
    }
    while bit != 0 {
        if x >= root + bit {
            x -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    root
}

/// FPSqrt.
pub fn sqrt(fmt: Fmt, op: u64, env: &mut Env) -> u64 {
    let a = unpack(fmt, op, env);
    match a.class {
        Class::SNaN | Class::QNaN => return process_nan(fmt, a.class, op, env),
        Class::Zero => return fmt.zero(a.negative),
        Class::Infinity if !a.negative => return fmt.infinity(false),
        _ if a.negative => {
            env.raise(bits::IOC);
            return fmt.default_nan();
        }
        _ => {}
    }
    let (mut m, mut e) = (u128::from(a.m), a.e);
    if e & 1 != 0 {
        m <<= 1;
        e -= 1;
    }
    // Scale by an even power of two so the radicand has 125 or 126 bits: the root then has
    // 63 bits.
    let msb = 127 - m.leading_zeros() as i32;
    let k = (125 - msb) / 2;
    let radicand = m << (2 * k);
    let root = isqrt(radicand);
    let value = Wide {
        m: root,
        e: (e - 2 * k) / 2,
        sticky: root * root != radicand,
    };
    round(fmt, false, value, env.rounding(), env)
}

/// FPMulAdd: `addend + op1 * op2` with a single rounding (VFMA and friends).
pub fn mul_add(fmt: Fmt, addend: u64, op1: u64, op2: u64, env: &mut Env) -> u64 {
    let c = unpack(fmt, addend, env);
    let a = unpack(fmt, op1, env);
    let b = unpack(fmt, op2, env);
    let (inf1, inf2) = (a.class == Class::Infinity, b.class == Class::Infinity);
    let (zero1, zero2) = (a.class == Class::Zero, b.class == Class::Zero);
    let nan = process_nans3(fmt, [(&c, addend), (&a, op1), (&b, op2)], env);
    // A quiet NaN addend does not hide the invalid 0 * infinity.
    if c.class == Class::QNaN && ((inf1 && zero2) || (zero1 && inf2)) {
        env.raise(bits::IOC);
        return fmt.default_nan();
    }
    if let Some(nan) = nan {
        return nan;
    }
    let (inf_c, zero_c) = (c.class == Class::Infinity, c.class == Class::Zero);
    let neg_p = a.negative != b.negative;
    let inf_p = inf1 || inf2;
    let zero_p = zero1 || zero2;
    if (inf1 && zero2) || (zero1 && inf2) || (inf_c && inf_p && c.negative != neg_p) {
        env.raise(bits::IOC);
        return fmt.default_nan();
    }
    if (inf_c && !c.negative) || (inf_p && !neg_p) {
        return fmt.infinity(false);
    }
    if inf_c || inf_p {
        return fmt.infinity(true);
    }
    if zero_c && zero_p && c.negative == neg_p {
        return fmt.zero(c.negative);
    }
    let product = if zero_p {
        Wide::exact(0, 0)
    } else {
        Wide::exact(u128::from(a.m) * u128::from(b.m), a.e + b.e)
    };
    let (negative, value) = sum(c.negative, wide(&c), neg_p, product);
    finish_sum(fmt, negative, value, env)
}

/// Orders two non-NaN operands by value (zeros are equal whatever their signs).
pub fn compare_values(a: &Unpacked, b: &Unpacked) -> Ordering {
    let magnitude = |u: &Unpacked| match u.class {
        Class::Zero => (0u8, 0i32, 0u64),
        Class::Infinity => (2, 0, 0),
        _ => (1, u.e, u.m),
    };
    let neg_a = a.negative && a.class != Class::Zero;
    let neg_b = b.negative && b.class != Class::Zero;
    match (neg_a, neg_b) {
        (false, false) => magnitude(a).cmp(&magnitude(b)),
        (true, true) => magnitude(b).cmp(&magnitude(a)),
        (false, true) => Ordering::Greater,
        (true, false) => Ordering::Less,
    }
}

/// FPCompare: the FPSCR N, Z, C, V bits (in their FPSCR positions) of comparing op1 with op2.
/// Unordered is C and V; a signalling NaN, or any NaN with `quiet_nan_exc` (VCMPE), raises
/// Invalid Operation.
pub fn compare(fmt: Fmt, op1: u64, op2: u64, quiet_nan_exc: bool, env: &mut Env) -> u32 {
    let a = unpack(fmt, op1, env);
    let b = unpack(fmt, op2, env);
    if a.is_nan() || b.is_nan() {
        if a.class == Class::SNaN || b.class == Class::SNaN || quiet_nan_exc {
            env.raise(bits::IOC);
        }
        return bits::C | bits::V;
    }
    match compare_values(&a, &b) {
        Ordering::Equal => bits::Z | bits::C,
        Ordering::Less => bits::N,
        Ordering::Greater => bits::C,
    }
}

/// FPMaxNum (`maximum == true`) or FPMinNum: a single quiet NaN operand loses to any number
/// (it is taken as -infinity for the maximum, +infinity for the minimum); otherwise FPMax or
/// FPMin, where signalling NaNs still propagate.
pub fn max_min_num(fmt: Fmt, op1: u64, op2: u64, maximum: bool, env: &mut Env) -> u64 {
    let t1 = unpack(fmt, op1, env).class;
    let t2 = unpack(fmt, op2, env).class;
    let mut op1 = op1;
    let mut op2 = op2;
    if t1 == Class::QNaN && t2 != Class::QNaN {
        op1 = fmt.infinity(maximum);
    } else if t1 != Class::QNaN && t2 == Class::QNaN {
        op2 = fmt.infinity(maximum);
    }
    max_min(fmt, op1, op2, maximum, env)
}

/// FPMax / FPMin.
fn max_min(fmt: Fmt, op1: u64, op2: u64, maximum: bool, env: &mut Env) -> u64 {
    let a = unpack(fmt, op1, env);
    let b = unpack(fmt, op2, env);
    if let Some(nan) = process_nans(fmt, &a, op1, &b, op2, env) {
        return nan;
    }
    let wanted = if maximum {
        Ordering::Greater
    } else {
        Ordering::Less
    };
    let (chosen, op) = if compare_values(&a, &b) == wanted {
        (a, op1)
    } else {
        (b, op2)
    };
    match chosen.class {
        // The most positive zero for the maximum, the most negative for the minimum.
        Class::Zero if maximum => fmt.zero(a.negative && b.negative),
        Class::Zero => fmt.zero(a.negative || b.negative),
        // FPRound of an operand's own (unflushed) value re-encodes it exactly.
        _ => op,
    }
}

#[cfg(test)]
mod tests {
    use super::super::format::F32;
    use super::*;

    #[test]
    fn isqrt_is_the_floor_root() {
        assert_eq!(isqrt(0), 0);
        assert_eq!(isqrt(15), 3);
        assert_eq!(isqrt(16), 4);
        assert_eq!(isqrt(u128::MAX), (1u128 << 64) - 1);
    }

    #[test]
    fn sum_cancels_and_keeps_sticky_bits() {
        // 1 - 2^-200: the small operand only leaves a sticky bit, and the result is just
        // below 1.
        let (neg, w) = sum(false, Wide::exact(1, 0), true, Wide::exact(1, -200));
        assert!(!neg && w.sticky);
        let mut env = Env::new(0);
        assert_eq!(round(F32, neg, w, Rounding::Zero, &mut env), 0x3F7F_FFFF);
        assert_eq!(round(F32, neg, w, Rounding::TieEven, &mut env), 0x3F80_0000);
        let (_, w) = sum(false, Wide::exact(3, 0), true, Wide::exact(3, 0));
        assert!(w.is_zero());
    }
}
