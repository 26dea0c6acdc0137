//! FPRound (ARMv7-M ARM A2.5.x): an exact (or exactly bracketed) real result rounded to a
//! format under a rounding mode, with flush-to-zero of tiny results, underflow detected
//! *before* rounding (the pseudo-code tests the unrounded exponent), overflow to infinity or
//! the largest finite number by mode, and the alternative half-precision range.
//!
//! The arithmetic never uses the host's floating point: results are integers scaled by powers
//! of two ([`Wide`]), exact or with a sticky bit standing for a non-zero remainder below the
//! last bit kept, which is all correct rounding needs.

use super::format::Fmt;
use super::fpscr::{bits, Env, Rounding};

/// A non-negative real `(m + d) * 2^e` with `0 <= d < 1`, where `d != 0` exactly when
/// `sticky`. Producers that set `sticky` keep at least 62 significant bits in `m`, so the bit
/// below any format's last bit is always inside `m`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wide {
    pub m: u128,
    pub e: i32,
    pub sticky: bool,
}

impl Wide {
    /// An exact value `m * 2^e`.
    #[inline]
    pub fn exact(m: u128, e: i32) -> Wide {
        Wide {
            m,
            e,
            sticky: false,
        }
    }

    #[inline]
    pub fn is_zero(&self) -> bool {
        self.m == 0 && !self.sticky
    }
}

/// Where a value lies between two consecutive integers at the rounding point: the "error" of
/// the pseudo-code compared with 0 and 0.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frac {
    Exact,
    BelowHalf,
    Half,
    AboveHalf,
}

/// Splits `(m + d) * 2^-shift` into its integer part and the position of its fraction.
#[inline]
pub fn split(m: u128, shift: u32, sticky: bool) -> (u128, Frac) {
    if shift == 0 {
        let frac = if sticky { Frac::BelowHalf } else { Frac::Exact };
        return (m, frac);
    }
    let (int, rem, half) = if shift >= 129 {
        // Everything is below the half point (m < 2^128 <= 2^(shift-1)).
        let frac = if m != 0 || sticky {
            Frac::BelowHalf
        } else {
            Frac::Exact
        };
        return (0, frac);
    } else if shift == 128 {
        (0, m, 1u128 << 127)
    } else {
        (m >> shift, m & ((1u128 << shift) - 1), 1u128 << (shift - 1))
    };
    let frac = if rem == 0 && !sticky {
        Frac::Exact
    } else if rem < half {
        Frac::BelowHalf
    } else if rem == half && !sticky {
        Frac::Half
    } else {
        Frac::AboveHalf
    };
    (int, frac)
}

/// Whether a magnitude whose integer part is odd (`odd`) and whose fraction is `frac` rounds
/// up (away from zero) in `mode`, for a value of sign `negative`. This is the pseudo-code's
/// `round_up` of FPRound, and of FPToFixed/FPRoundInt rewritten on magnitudes (for a negative
/// value RoundDown goes away from zero, so e.g. RZ's "round up if error != 0 and negative"
/// becomes "truncate the magnitude").
#[inline]
pub fn rounds_up(mode: Rounding, negative: bool, odd: bool, frac: Frac) -> bool {
    match mode {
        Rounding::TieEven => frac == Frac::AboveHalf || (frac == Frac::Half && odd),
        Rounding::TieAway => matches!(frac, Frac::Half | Frac::AboveHalf),
        Rounding::PosInf => frac != Frac::Exact && !negative,
        Rounding::NegInf => frac != Frac::Exact && negative,
        Rounding::Zero => false,
    }
}

/// [`split`] on 64 bits: the integer part and fraction position of `(m + d) * 2^-shift`.
#[inline]
fn split64(m: u64, shift: u32, sticky: bool) -> (u64, Frac) {
    let (int, rem, half) = match shift {
        0 => {
            let frac = if sticky { Frac::BelowHalf } else { Frac::Exact };
            return (m, frac);
        }
        1..=63 => (m >> shift, m & ((1u64 << shift) - 1), 1u64 << (shift - 1)),
        64 => (0, m, 1u64 << 63),
        _ => {
            let frac = if m != 0 || sticky {
                Frac::BelowHalf
            } else {
                Frac::Exact
            };
            return (0, frac);
        }
    };
    let frac = if rem == 0 && !sticky {
        Frac::Exact
    } else if rem < half {
        Frac::BelowHalf
    } else if rem == half && !sticky {
        Frac::Half
    } else {
        Frac::AboveHalf
    };
    (int, frac)
}

/// Brings a value to at most 63 significant bits in a `u64` (top bit 62 when it had that
/// many), folding the bits dropped into the sticky bit. 63 bits are more than any format's
/// 53 plus the half bit, so rounding the result is rounding the value.
#[inline]
fn narrow(value: Wide) -> (u64, i32, bool) {
    let Wide { m, e, sticky } = value;
    let excess = 65 - m.leading_zeros() as i32;
    if excess > 0 {
        let dropped = m & ((1u128 << excess) - 1) != 0;
        ((m >> excess) as u64, e + excess, sticky || dropped)
    } else if !sticky {
        // Exact: shift up so the bits below the rounding point are all present.
        ((m << -excess) as u64, e + excess, false)
    } else {
        (m as u64, e, sticky)
    }
}

/// FPRound of a non-zero value of sign `negative` to `fmt`, in `mode`, under the FZ and AHP
/// controls of `env`; raises UFC, OFC, IXC (and IOC for an AHP overflow) in `env`.
pub fn round(fmt: Fmt, negative: bool, value: Wide, mode: Rounding, env: &mut Env) -> u64 {
    debug_assert!(!value.is_zero());
    let f = fmt.frac_bits as i32;
    let sign = if negative { fmt.sign_bit() } else { 0 };
    let (mut m, e, sticky) = narrow(value);
    if m == 0 {
        // Only a sticky remainder: cannot happen for the producers in this module (they keep
        // 62 bits); treat it as the smallest possible magnitude rather than panic.
        m = 1;
    }
    let msb = 63 - m.leading_zeros() as i32;
    // The value lies in [2^exponent, 2^(exponent+1)).
    let exponent = msb + e;
    let min_exp = fmt.min_exp();
    if env.flush_to_zero() && fmt.width != 16 && exponent < min_exp {
        env.raise(bits::UFC);
        return sign;
    }
    let mut biased_exp = (exponent - min_exp + 1).max(0) as u64;
    // Weight of the last bit kept: 2^(exponent-F) for a normal result, 2^(min_exp-F) for a
    // denormal one.
    let lsb_exp = exponent.max(min_exp) - f;
    let shift = (lsb_exp - e).max(0) as u32;
    let (mut int_mant, frac) = split64(m, shift, sticky);
    if biased_exp == 0 && frac != Frac::Exact {
        // Tiny before rounding and inexact.
        env.raise(bits::UFC);
    }
    if rounds_up(mode, negative, int_mant & 1 == 1, frac) {
        int_mant += 1;
        if int_mant == 1 << f {
            // A denormal rounded up to the smallest normal.
            biased_exp = 1;
        }
        if int_mant == 1 << (f + 1) {
            biased_exp += 1;
            int_mant >>= 1;
        }
    }
    let overflow_to_inf = match mode {
        Rounding::TieEven | Rounding::TieAway => true,
        Rounding::PosInf => !negative,
        Rounding::NegInf => negative,
        Rounding::Zero => false,
    };
    let mut inexact = frac != Frac::Exact;
    let result = if fmt.width != 16 || !env.alternative_half() {
        if biased_exp >= fmt.exp_ones() {
            env.raise(bits::OFC);
            inexact = true;
            if overflow_to_inf {
                fmt.infinity(negative)
            } else {
                fmt.max_normal(negative)
            }
        } else {
            sign | (biased_exp << fmt.frac_bits) | (int_mant & fmt.frac_mask())
        }
    } else if biased_exp > fmt.exp_ones() {
        // Beyond the alternative format's range: Invalid Operation, no Inexact.
        env.raise(bits::IOC);
        inexact = false;
        sign | 0x7FFF
    } else {
        sign | (biased_exp << fmt.frac_bits) | (int_mant & fmt.frac_mask())
    };
    if inexact {
        env.raise(bits::IXC);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::super::format::{F16, F32};
    use super::*;

    #[test]
    fn split_classifies_the_fraction() {
        assert_eq!(split(0b1011, 2, false), (0b10, Frac::AboveHalf));
        assert_eq!(split(0b1010, 2, false), (0b10, Frac::Half));
        assert_eq!(split(0b1010, 2, true), (0b10, Frac::AboveHalf));
        assert_eq!(split(0b1001, 2, false), (0b10, Frac::BelowHalf));
        assert_eq!(split(0b1000, 2, false), (0b10, Frac::Exact));
        assert_eq!(split(0b1000, 2, true), (0b10, Frac::BelowHalf));
        assert_eq!(split(1 << 127, 128, false), (0, Frac::Half));
        assert_eq!(split(1, 200, false), (0, Frac::BelowHalf));
        assert_eq!(split64(0b1010, 2, false), (0b10, Frac::Half));
        assert_eq!(split64(1 << 63, 64, false), (0, Frac::Half));
        assert_eq!(split64(1 << 63, 64, true), (0, Frac::AboveHalf));
        assert_eq!(split64(3, 65, false), (0, Frac::BelowHalf));
    }

    #[test]
    fn narrow_keeps_63_bits_and_the_sticky_bit() {
        assert_eq!(narrow(Wide::exact(1, 0)), (1 << 62, -62, false));
        assert_eq!(narrow(Wide::exact((1 << 100) | 1, 0)), (1 << 62, 38, true));
        let w = Wide {
            m: 1 << 62,
            e: 0,
            sticky: true,
        };
        assert_eq!(narrow(w), (1 << 62, 0, true));
    }

    #[test]
    fn rounds_one_plus_half_ulp_by_mode() {
        // 1 + 2^-24 is halfway between 1.0 and the next binary32.
        let v = Wide::exact((1 << 24) + 1, -24);
        let mut env = Env::new(0);
        assert_eq!(
            round(F32, false, v, Rounding::TieEven, &mut env),
            0x3F80_0000
        );
        assert_eq!(env.flags, bits::IXC);
        assert_eq!(
            round(F32, false, v, Rounding::PosInf, &mut env),
            0x3F80_0001
        );
        assert_eq!(round(F32, true, v, Rounding::NegInf, &mut env), 0xBF80_0001);
        assert_eq!(round(F32, true, v, Rounding::PosInf, &mut env), 0xBF80_0000);
        assert_eq!(
            round(F32, false, v, Rounding::TieAway, &mut env),
            0x3F80_0001
        );
    }

    #[test]
    fn overflow_and_ahp_range() {
        let big = Wide::exact(1, 128);
        let mut env = Env::new(0);
        assert_eq!(
            round(F32, false, big, Rounding::TieEven, &mut env),
            0x7F80_0000
        );
        assert_eq!(env.flags, bits::OFC | bits::IXC);
        assert_eq!(
            round(F32, false, big, Rounding::Zero, &mut env),
            0x7F7F_FFFF
        );
        // 65520 rounds to infinity in IEEE half; 131072 is beyond AHP's range.
        let mut env = Env::new(0);
        let v = Wide::exact(65520, 0);
        assert_eq!(round(F16, false, v, Rounding::TieEven, &mut env), 0x7C00);
        let mut env = Env::new(bits::AHP);
        assert_eq!(round(F16, false, v, Rounding::TieEven, &mut env), 0x7C00);
        assert_eq!(env.flags, bits::IXC);
        let mut env = Env::new(bits::AHP);
        let v = Wide::exact(1, 17);
        assert_eq!(round(F16, true, v, Rounding::TieEven, &mut env), 0xFFFF);
        assert_eq!(env.flags, bits::IOC);
    }
}
