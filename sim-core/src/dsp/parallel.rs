//! Parallel addition and subtraction on bytes and halfwords (A5.3.13, A5.3.14: SADD8 …
//! UHSAX), SEL (A7.7.128), USAD8/USADA8 (A7.7).
//!
//! The 36 parallel instructions are one function, instantiated per operation and kind so that
//! each runs straight-line: the operation is A5.3.13's op1 (which lanes, add or subtract, the
//! exchange of Rm's halfwords), the kind is hw2[6:4] (signed or unsigned; modulo with GE,
//! saturating, or halving).

use super::{bad_reg, ge, instr, reg, set_ge, Fields};
use crate::alu::{signed_sat_q, unsigned_sat_q};
use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{ExecFn, Instr, Ops, Trap};

/// The operation: op1 = hw1[6:4] of A5.3.13/A5.3.14.
mod op {
    pub const ADD8: u8 = 0b000;
    pub const ADD16: u8 = 0b001;
    /// Add and subtract with exchange: low = Rn.lo - Rm.hi, high = Rn.hi + Rm.lo.
    pub const ASX: u8 = 0b010;
    pub const SUB8: u8 = 0b100;
    pub const SUB16: u8 = 0b101;
    /// Subtract and add with exchange: low = Rn.lo + Rm.hi, high = Rn.hi - Rm.lo.
    pub const SAX: u8 = 0b110;
}

/// The kind: hw2[6:4], the unsigned bit then op2 of A5.3.13/A5.3.14.
mod kind {
    /// SADD8 …: modulo results, GE from the signed results.
    pub const S: u8 = 0b000;
    /// QADD8 …: signed saturation, no flags.
    pub const Q: u8 = 0b001;
    /// SHADD8 …: halved signed results, no flags.
    pub const SH: u8 = 0b010;
    /// UADD8 …: modulo results, GE from the carries and borrows.
    pub const U: u8 = 0b100;
    pub const UQ: u8 = 0b101;
    pub const UH: u8 = 0b110;
    /// Bit of the kind that says the lanes are unsigned.
    pub const UNSIGNED: u8 = 0b100;
    /// The low two bits: modulo, saturating, halving.
    pub const MODE_MASK: u8 = 0b011;
    pub const MODULO: u8 = 0b00;
    pub const SATURATING: u8 = 0b01;
    pub const HALVING: u8 = 0b10;
}

/// `11111010 1 op1 Rn | 1111 Rd 0 U op2 Rm` (the caller checked hw2[15:12] and op2 < 0b1000).
pub(super) fn decode_parallel(hw1: u16, hw2: u16) -> Option<Instr> {
    let op = ((hw1 >> 4) & 0b111) as u8;
    let kind = ((hw2 >> 4) & 0b111) as u8;
    let exec = match op {
        op::ADD8 => for_kind::<{ op::ADD8 }>(kind),
        op::ADD16 => for_kind::<{ op::ADD16 }>(kind),
        op::ASX => for_kind::<{ op::ASX }>(kind),
        op::SUB8 => for_kind::<{ op::SUB8 }>(kind),
        op::SUB16 => for_kind::<{ op::SUB16 }>(kind),
        op::SAX => for_kind::<{ op::SAX }>(kind),
        // op1 011 and 111: no instruction (UNDEFINED, the integer decoder's answer).
        _ => None,
    }?;
    three_registers(exec, hw1, hw2)
}

fn for_kind<const OP: u8>(kind: u8) -> Option<ExecFn> {
    Some(match kind {
        kind::S => exec_parallel::<OP, { kind::S }>,
        kind::Q => exec_parallel::<OP, { kind::Q }>,
        kind::SH => exec_parallel::<OP, { kind::SH }>,
        kind::U => exec_parallel::<OP, { kind::U }>,
        kind::UQ => exec_parallel::<OP, { kind::UQ }>,
        kind::UH => exec_parallel::<OP, { kind::UH }>,
        // op2 11: no instruction.
        _ => return None,
    })
}

/// `Rd, Rn, Rm` with `if d IN {13,15} || n IN {13,15} || m IN {13,15} then UNPREDICTABLE`.
fn three_registers(exec: ExecFn, hw1: u16, hw2: u16) -> Option<Instr> {
    let f = Fields::of(hw1, hw2);
    let ops = Ops {
        rd: f.rd,
        rn: f.rn,
        rm: f.rm,
        ..Ops::default()
    };
    instr(exec, ops, bad_reg(f.rd) || bad_reg(f.rn) || bad_reg(f.rm))
}

/// One lane of a parallel operation: `a` and `b` are the lane's bits of the operands
/// (`WIDTH` = 8 or 16 bits, zero-extended); returns the lane's result bits and its GE bit.
#[inline(always)]
fn lane<const KIND: u8, const WIDTH: u32>(a: u32, b: u32, subtract: bool) -> (u32, bool) {
    let mask = (1u32 << WIDTH) - 1;
    let unsigned = KIND & kind::UNSIGNED != 0;
    let (x, y) = if unsigned {
        (a as i32, b as i32)
    } else {
        (sign_extend::<WIDTH>(a), sign_extend::<WIDTH>(b))
    };
    let value = if subtract { x - y } else { x + y };
    match KIND & kind::MODE_MASK {
        kind::SATURATING => {
            let saturated = if unsigned {
                unsigned_sat_q(i64::from(value), WIDTH).0
            } else {
                signed_sat_q(i64::from(value), WIDTH).0
            };
            (saturated as u32 & mask, false)
        }
        // The sum or difference shifted right by one: value<WIDTH:1> (an arithmetic shift of
        // the exact result, so a negative difference of unsigned lanes rounds down).
        kind::HALVING => ((value >> 1) as u32 & mask, false),
        _ => {
            // GE (the pseudo-code of SADD8 … USAX in A7.7): signed lanes, result >= 0; unsigned addition, a carry
            // out of the lane (sum >= 2^WIDTH); unsigned subtraction, no borrow (diff >= 0).
            let ge = if unsigned && !subtract {
                value >= 1 << WIDTH
            } else {
                value >= 0
            };
            (value as u32 & mask, ge)
        }
    }
}

#[inline(always)]
fn sign_extend<const WIDTH: u32>(v: u32) -> i32 {
    ((v << (32 - WIDTH)) as i32) >> (32 - WIDTH)
}

fn exec_parallel<const OP: u8, const KIND: u8>(
    core: &mut Core,
    _: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let n = reg(core, ops.rn);
    let m = reg(core, ops.rm);
    let mut result = 0;
    let mut ge = 0;
    if OP == op::ADD8 || OP == op::SUB8 {
        for i in 0..4 {
            let shift = 8 * i;
            let (bits, lane_ge) =
                lane::<KIND, 8>((n >> shift) & 0xFF, (m >> shift) & 0xFF, OP == op::SUB8);
            result |= bits << shift;
            ge |= u32::from(lane_ge) << i;
        }
    } else {
        // Halfword lanes: ASX and SAX pair Rn's low half with Rm's high half and the other way
        // round, subtracting in one lane and adding in the other.
        let exchange = OP == op::ASX || OP == op::SAX;
        let m = if exchange { m.rotate_right(16) } else { m };
        let (subtract_low, subtract_high) = match OP {
            op::SUB16 => (true, true),
            op::ASX => (true, false),
            op::SAX => (false, true),
            _ => (false, false),
        };
        let (low, ge_low) = lane::<KIND, 16>(n & 0xFFFF, m & 0xFFFF, subtract_low);
        let (high, ge_high) = lane::<KIND, 16>(n >> 16, m >> 16, subtract_high);
        result = low | (high << 16);
        // Each halfword lane sets two GE bits.
        ge = (u32::from(ge_low) * 0b0011) | (u32::from(ge_high) * 0b1100);
    }
    core.set_reg(ops.rd, result);
    if KIND & kind::MODE_MASK == kind::MODULO {
        set_ge(core, ge);
    }
    Ok(())
}

/// SEL (A7.7.128): `11111010 1010 Rn | 1111 Rd 1000 Rm`.
pub(super) fn decode_sel(hw1: u16, hw2: u16) -> Option<Instr> {
    three_registers(exec_sel, hw1, hw2)
}

/// Each byte from Rn where its GE bit is set, else from Rm.
fn exec_sel(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let n = reg(core, ops.rn);
    let m = reg(core, ops.rm);
    let ge = ge(core);
    // Expand GE[3:0] to a byte mask: bit i -> byte i all ones.
    let mask = (0..4).fold(0u32, |mask, i| {
        mask | if ge & (1 << i) != 0 {
            0xFF << (8 * i)
        } else {
            0
        }
    });
    core.set_reg(ops.rd, (n & mask) | (m & !mask));
    Ok(())
}

/// USAD8 / USADA8 (A7.7): `111110110111 Rn | Ra Rd 0000 Rm`; Ra = 1111 is USAD8.
pub(super) fn decode_usad8(hw1: u16, hw2: u16) -> Option<Instr> {
    let f = Fields::of(hw1, hw2);
    let ops = Ops {
        rd: f.rd,
        rn: f.rn,
        rm: f.rm,
        ra: f.ra,
        ..Ops::default()
    };
    let bad = bad_reg(f.rd) || bad_reg(f.rn) || bad_reg(f.rm);
    if f.ra == 0b1111 {
        instr(exec_usad8, ops, bad)
    } else {
        instr(exec_usada8, ops, bad || f.ra == 13)
    }
}

/// The sum of the absolute differences of the four unsigned byte pairs.
#[inline(always)]
fn sum_of_absolute_differences(n: u32, m: u32) -> u32 {
    (0..4).fold(0u32, |sum, i| {
        let a = (n >> (8 * i)) & 0xFF;
        let b = (m >> (8 * i)) & 0xFF;
        sum + a.abs_diff(b)
    })
}

fn exec_usad8(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let sum = sum_of_absolute_differences(reg(core, ops.rn), reg(core, ops.rm));
    core.set_reg(ops.rd, sum);
    Ok(())
}

/// As USAD8 plus Ra; the 32-bit result wraps (`result<31:0>`), no flag.
fn exec_usada8(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let sum = sum_of_absolute_differences(reg(core, ops.rn), reg(core, ops.rm));
    core.set_reg(ops.rd, reg(core, ops.ra).wrapping_add(sum));
    Ok(())
}
