//! The floating-point formats (binary16, binary32, binary64; A2.5.1) as bit patterns held in a
//! `u64`, and FPUnpack: the class, sign and exact value of an operand under the FPSCR controls
//! (flush-to-zero of single and double denormals, the alternative half-precision format).

use super::fpscr::{bits, Env};

/// One format's parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fmt {
    /// N: 16, 32 or 64.
    pub width: u32,
    /// E: exponent bits.
    pub exp_bits: u32,
    /// F: fraction bits.
    pub frac_bits: u32,
}

pub const F16: Fmt = Fmt {
    width: 16,
    exp_bits: 5,
    frac_bits: 10,
};
pub const F32: Fmt = Fmt {
    width: 32,
    exp_bits: 8,
    frac_bits: 23,
};
pub const F64: Fmt = Fmt {
    width: 64,
    exp_bits: 11,
    frac_bits: 52,
};

impl Fmt {
    #[inline]
    pub fn sign_bit(self) -> u64 {
        1 << (self.width - 1)
    }

    #[inline]
    pub fn frac_mask(self) -> u64 {
        (1 << self.frac_bits) - 1
    }

    /// The all-ones exponent field value.
    #[inline]
    pub fn exp_ones(self) -> u64 {
        (1 << self.exp_bits) - 1
    }

    #[inline]
    pub fn bias(self) -> i32 {
        (1 << (self.exp_bits - 1)) - 1
    }

    /// The exponent of the smallest normal number (minimum_exp in FPRound).
    #[inline]
    pub fn min_exp(self) -> i32 {
        1 - self.bias()
    }

    /// The top fraction bit: set in a quiet NaN, clear in a signalling one.
    #[inline]
    pub fn quiet_bit(self) -> u64 {
        1 << (self.frac_bits - 1)
    }

    #[inline]
    fn sign(self, negative: bool) -> u64 {
        if negative {
            self.sign_bit()
        } else {
            0
        }
    }

    /// FPZero.
    #[inline]
    pub fn zero(self, negative: bool) -> u64 {
        self.sign(negative)
    }

    /// FPInfinity.
    #[inline]
    pub fn infinity(self, negative: bool) -> u64 {
        self.sign(negative) | (self.exp_ones() << self.frac_bits)
    }

    /// FPMaxNormal.
    #[inline]
    pub fn max_normal(self, negative: bool) -> u64 {
        self.sign(negative) | ((self.exp_ones() - 1) << self.frac_bits) | self.frac_mask()
    }

    /// FPDefaultNaN: positive, quiet, fraction otherwise zero (0x7FC0_0000 for binary32).
    #[inline]
    pub fn default_nan(self) -> u64 {
        (self.exp_ones() << self.frac_bits) | self.quiet_bit()
    }

    /// FPNeg: flips the sign bit of anything, NaNs included (no exception).
    #[inline]
    pub fn neg(self, op: u64) -> u64 {
        op ^ self.sign_bit()
    }

    /// FPAbs.
    #[inline]
    pub fn abs(self, op: u64) -> u64 {
        op & !self.sign_bit()
    }

    #[inline]
    pub fn is_negative(self, op: u64) -> bool {
        op & self.sign_bit() != 0
    }
}

/// FPType.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Zero,
    /// A finite non-zero number (normal, or denormal not flushed).
    Finite,
    Infinity,
    QNaN,
    SNaN,
}

/// An unpacked operand. For `Finite`, the value is `m * 2^e` with `m` normalised to
/// `[2^F, 2^(F+1))` (denormals too), so two operands of one format compare by (e, m).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unpacked {
    pub class: Class,
    pub negative: bool,
    pub m: u64,
    pub e: i32,
}

impl Unpacked {
    #[inline]
    pub fn is_nan(&self) -> bool {
        matches!(self.class, Class::QNaN | Class::SNaN)
    }
}

/// FPUnpack (A2.5.x). Single and double denormals are flushed to zero under FPSCR.FZ, raising
/// IDC; half precision is never flushed, and under FPSCR.AHP its all-ones exponent encodes
/// ordinary numbers (up to 131008), not infinities and NaNs.
pub fn unpack(fmt: Fmt, op: u64, env: &mut Env) -> Unpacked {
    let negative = op & fmt.sign_bit() != 0;
    let exp = (op >> fmt.frac_bits) & fmt.exp_ones();
    let frac = op & fmt.frac_mask();
    let f = fmt.frac_bits as i32;
    let mut out = Unpacked {
        class: Class::Zero,
        negative,
        m: 0,
        e: 0,
    };
    if exp == 0 {
        if frac == 0 {
            return out;
        }
        if fmt.width != 16 && env.flush_to_zero() {
            env.raise(bits::IDC);
            return out;
        }
        // Denormal: frac * 2^(min_exp - F); normalise the mantissa to F+1 bits.
        let shift = frac.leading_zeros() as i32 - (63 - f);
        out.class = Class::Finite;
        out.m = frac << shift;
        out.e = fmt.min_exp() - f - shift;
        return out;
    }
    if exp == fmt.exp_ones() && !(fmt.width == 16 && env.alternative_half()) {
        out.class = if frac == 0 {
            Class::Infinity
        } else if frac & fmt.quiet_bit() != 0 {
            Class::QNaN
        } else {
            Class::SNaN
        };
        return out;
    }
    out.class = Class::Finite;
    out.m = frac | (1 << fmt.frac_bits);
    out.e = exp as i32 - fmt.bias() - f;
    out
}

/// VFPExpandImm (A6.4.1): the 8-bit immediate of VMOV (immediate) as a binary32 or binary64
/// bit pattern.
pub fn expand_imm(imm8: u8, fmt: Fmt) -> u64 {
    let imm8 = u64::from(imm8);
    let e = fmt.exp_bits;
    let sign = (imm8 >> 7) & 1;
    let b6 = (imm8 >> 6) & 1;
    // exp = NOT(imm8<6>) : Replicate(imm8<6>, E-3) : imm8<5:4>
    let replicated = if b6 == 1 { (1 << (e - 3)) - 1 } else { 0 };
    let exp = ((b6 ^ 1) << (e - 1)) | (replicated << 2) | ((imm8 >> 4) & 0b11);
    let frac = (imm8 & 0xF) << (fmt.frac_bits - 4);
    (sign << (fmt.width - 1)) | (exp << fmt.frac_bits) | frac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expand_imm_matches_hand_computed_values() {
        // imm8 0x70 = 1.0, 0xE0 = -0.5 (objdump of vmov.f32 #1.0 / vmov.f64 #-0.5).
        assert_eq!(expand_imm(0x70, F32), 0x3F80_0000);
        assert_eq!(expand_imm(0xE0, F64), 0xBFE0_0000_0000_0000);
        // imm8 0x00 = 2.0; 0x7F = 1.9375; 0x80 = -2.0; 0x3F = 31.0 (0x41F80000).
        assert_eq!(expand_imm(0x00, F32), 0x4000_0000);
        assert_eq!(expand_imm(0x7F, F32), 0x3FF8_0000);
        assert_eq!(expand_imm(0x80, F32), 0xC000_0000);
        assert_eq!(expand_imm(0x3F, F32), 0x41F8_0000);
        assert_eq!(expand_imm(0x3F, F64), 0x403F_0000_0000_0000);
    }

    #[test]
    fn unpack_normalises_denormals_and_flushes_under_fz() {
        let mut env = Env::new(0);
        let u = unpack(F32, 0x0000_0001, &mut env);
        assert_eq!((u.class, u.m, u.e), (Class::Finite, 1 << 23, -149 - 23));
        assert_eq!(env.flags, 0);
        let mut env = Env::new(bits::FZ);
        let u = unpack(F32, 0x8000_0001, &mut env);
        assert_eq!((u.class, u.negative), (Class::Zero, true));
        assert_eq!(env.flags, bits::IDC);
        // Half precision is never flushed; AHP makes exponent 31 a number.
        let u = unpack(F16, 0x0001, &mut env);
        assert_eq!(u.class, Class::Finite);
        let mut env = Env::new(bits::AHP);
        let u = unpack(F16, 0x7FFF, &mut env);
        assert_eq!((u.class, u.m, u.e), (Class::Finite, 0x7FF, 16 - 10));
        let mut env = Env::new(0);
        assert_eq!(unpack(F16, 0x7C00, &mut env).class, Class::Infinity);
        assert_eq!(
            unpack(F64, 0x7FF4_0000_0000_0000, &mut env).class,
            Class::SNaN
        );
        assert_eq!(
            unpack(F64, 0xFFF8_0000_0000_0000, &mut env).class,
            Class::QNaN
        );
    }
}
