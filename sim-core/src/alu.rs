//! The architecture's shared arithmetic (ARMv7-M ARM A2.2–A2.3, A5.3.2, A7.4.2): add with carry,
//! shifts with carry out, the Thumb modified immediate, saturation. Pure functions used by the
//! integer, DSP and FP instruction groups alike.

/// Shift types as encoded (`type` field, A7.4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Shift {
    Lsl = 0,
    Lsr = 1,
    Asr = 2,
    Ror = 3,
    /// ROR #0 in an immediate shift: rotate right by one through carry.
    Rrx = 4,
}

impl Shift {
    pub fn from_bits(bits: u8) -> Shift {
        match bits & 3 {
            0 => Shift::Lsl,
            1 => Shift::Lsr,
            2 => Shift::Asr,
            _ => Shift::Ror,
        }
    }
}

/// DecodeImmShift(): the shift type and amount of an immediate shift (A7.4.2).
pub fn decode_imm_shift(type_bits: u8, imm5: u8) -> (Shift, u8) {
    match (type_bits & 3, imm5) {
        (0, n) => (Shift::Lsl, n),
        (1, 0) => (Shift::Lsr, 32),
        (1, n) => (Shift::Lsr, n),
        (2, 0) => (Shift::Asr, 32),
        (2, n) => (Shift::Asr, n),
        (_, 0) => (Shift::Rrx, 1),
        (_, n) => (Shift::Ror, n),
    }
}

/// AddWithCarry(): result, carry out, overflow.
#[inline]
pub fn add_with_carry(x: u32, y: u32, carry_in: bool) -> (u32, bool, bool) {
    let unsigned = u64::from(x) + u64::from(y) + u64::from(carry_in);
    let signed = i64::from(x as i32) + i64::from(y as i32) + i64::from(carry_in);
    let result = unsigned as u32;
    (
        result,
        u64::from(result) != unsigned,
        i64::from(result as i32) != signed,
    )
}

/// Shift_C(): the shifted value and the carry out. `amount` may exceed 32 (register shifts).
#[inline]
pub fn shift_c(value: u32, shift: Shift, amount: u32, carry_in: bool) -> (u32, bool) {
    if amount == 0 && shift != Shift::Rrx {
        return (value, carry_in);
    }
    match shift {
        Shift::Lsl => {
            if amount < 32 {
                (value << amount, (value >> (32 - amount)) & 1 != 0)
            } else if amount == 32 {
                (0, value & 1 != 0)
            } else {
                (0, false)
            }
        }
        Shift::Lsr => {
            if amount < 32 {
                (value >> amount, (value >> (amount - 1)) & 1 != 0)
            } else if amount == 32 {
                (0, value >> 31 != 0)
            } else {
                (0, false)
            }
        }
        Shift::Asr => {
            if amount < 32 {
                (
                    ((value as i32) >> amount) as u32,
                    (value >> (amount - 1)) & 1 != 0,
                )
            } else {
                let fill = ((value as i32) >> 31) as u32;
                (fill, fill & 1 != 0)
            }
        }
        Shift::Ror => {
            let n = amount % 32;
            let result = value.rotate_right(n);
            (result, result >> 31 != 0)
        }
        Shift::Rrx => ((u32::from(carry_in) << 31) | (value >> 1), value & 1 != 0),
    }
}

/// Shift(): the shifted value only.
#[inline]
pub fn shift(value: u32, shift: Shift, amount: u32, carry_in: bool) -> u32 {
    shift_c(value, shift, amount, carry_in).0
}

/// ThumbExpandImm_C() (A5.3.2): the 32-bit value of a 12-bit modified immediate and its carry
/// out. `None` for the UNPREDICTABLE encodings (a replicated pattern with a zero byte where the
/// pattern needs it is fine; only `imm8 == 0` with a pattern selector is unpredictable).
pub fn thumb_expand_imm_c(imm12: u32, carry_in: bool) -> Option<(u32, bool)> {
    let imm8 = imm12 & 0xFF;
    if imm12 >> 10 == 0 {
        let value = match (imm12 >> 8) & 3 {
            0 => imm8,
            1 => (imm8 << 16) | imm8,
            2 => (imm8 << 24) | (imm8 << 8),
            _ => (imm8 << 24) | (imm8 << 16) | (imm8 << 8) | imm8,
        };
        if (imm12 >> 8) & 3 != 0 && imm8 == 0 {
            return None;
        }
        Some((value, carry_in))
    } else {
        let unrotated = 0x80 | (imm12 & 0x7F);
        let value = unrotated.rotate_right(imm12 >> 7);
        Some((value, value >> 31 != 0))
    }
}

/// SignedSatQ(): `value` saturated to a signed `bits`-bit range, and whether it saturated.
pub fn signed_sat_q(value: i64, bits: u32) -> (i64, bool) {
    let max = (1i64 << (bits - 1)) - 1;
    let min = -(1i64 << (bits - 1));
    if value > max {
        (max, true)
    } else if value < min {
        (min, true)
    } else {
        (value, false)
    }
}

/// UnsignedSatQ(): `value` saturated to an unsigned `bits`-bit range, and whether it saturated.
pub fn unsigned_sat_q(value: i64, bits: u32) -> (i64, bool) {
    let max = if bits >= 63 {
        i64::MAX
    } else {
        (1i64 << bits) - 1
    };
    if value > max {
        (max, true)
    } else if value < 0 {
        (0, true)
    } else {
        (value, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_with_carry_flags() {
        assert_eq!(add_with_carry(0xFFFF_FFFF, 1, false), (0, true, false));
        assert_eq!(
            add_with_carry(0x7FFF_FFFF, 1, false),
            (0x8000_0000, false, true)
        );
        // SUBS r, 5, 5 = 5 + NOT 5 + 1: carry set (no borrow), result 0.
        assert_eq!(add_with_carry(5, !5, true), (0, true, false));
        assert_eq!(add_with_carry(3, !5, true), (0xFFFF_FFFE, false, false));
    }

    #[test]
    fn shifts_with_carry() {
        assert_eq!(shift_c(0x8000_0001, Shift::Lsl, 1, false), (2, true));
        assert_eq!(shift_c(0x8000_0001, Shift::Lsr, 32, false), (0, true));
        assert_eq!(
            shift_c(0x8000_0000, Shift::Asr, 40, false),
            (0xFFFF_FFFF, true)
        );
        assert_eq!(
            shift_c(0x0000_0001, Shift::Ror, 1, false),
            (0x8000_0000, true)
        );
        assert_eq!(
            shift_c(0x0000_0001, Shift::Rrx, 1, true),
            (0x8000_0000, true)
        );
        assert_eq!(shift_c(5, Shift::Lsl, 0, true), (5, true));
    }

    #[test]
    fn modified_immediates() {
        assert_eq!(thumb_expand_imm_c(0x0AB, false), Some((0xAB, false)));
        assert_eq!(thumb_expand_imm_c(0x1AB, false), Some((0x00AB_00AB, false)));
        assert_eq!(thumb_expand_imm_c(0x2AB, false), Some((0xAB00_AB00, false)));
        assert_eq!(thumb_expand_imm_c(0x3AB, true), Some((0xABAB_ABAB, true)));
        // 0x4FF: rotation 9 of 0xFF -> 0x7F80_0000.
        assert_eq!(thumb_expand_imm_c(0x4FF, false), Some((0x7F80_0000, false)));
        assert_eq!(thumb_expand_imm_c(0x100, false), None);
    }

    #[test]
    fn saturation() {
        assert_eq!(signed_sat_q(200, 8), (127, true));
        assert_eq!(signed_sat_q(-200, 8), (-128, true));
        assert_eq!(unsigned_sat_q(-1, 8), (0, true));
        assert_eq!(unsigned_sat_q(100, 8), (100, false));
    }
}
