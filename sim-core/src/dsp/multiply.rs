//! The DSP multiplies (A5.3.16, A5.3.17): halfword multiplies SMULxy, SMLAxy, SMULWy, SMLAWy,
//! SMLALxy; dual multiplies SMUAD, SMLAD, SMUSD, SMLSD, SMLALD, SMLSLD; most-significant-word
//! multiplies SMMUL, SMMLA, SMMLS; and UMAAL.
//!
//! The 32-bit accumulating forms set APSR.Q when the exact result does not fit in 32 bits (the
//! register gets the low 32 bits); SMUSD and the 64-bit forms touch no flag.

use super::{bad_reg, instr, reg, set_q, Fields};
use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{flags, ExecFn, Instr, Ops, Trap};

/// N of SMULxy/SMLAxy/SMLALxy: Rn's top halfword (T), else its bottom one (B).
const TOP_N: u8 = flags::GROUP0;
/// M of SMULxy/SMLAxy/SMLALxy/SMULWy/SMLAWy: Rm's top halfword.
const TOP_M: u8 = flags::GROUP1;
/// M of the dual multiplies (the X suffix): Rm's halfwords are exchanged.
const EXCHANGE: u8 = flags::GROUP2;
/// R of SMMUL/SMMLA/SMMLS: round (add 0x8000_0000 before taking the top word).
const ROUND: u8 = flags::GROUP3;

/// A5.3.16 op1 (hw1[6:4]).
mod op {
    pub const SMLAXY: u16 = 0b001;
    pub const SMLAD: u16 = 0b010;
    pub const SMLAWY: u16 = 0b011;
    pub const SMLSD: u16 = 0b100;
    pub const SMMLA: u16 = 0b101;
    pub const SMMLS: u16 = 0b110;
}

/// Ra = 1111 in A5.3.16: the non-accumulating form.
const NO_ACCUMULATOR: u8 = 0b1111;

/// `111110110 op1 Rn | Ra Rd 00 op2 Rm` for op1 001..=110 (the caller checked hw2[7:6] = 00).
pub(super) fn decode_multiply(hw1: u16, hw2: u16) -> Option<Instr> {
    let op1 = (hw1 >> 4) & 0b111;
    let bit5 = hw2 & (1 << 5) != 0;
    let bit4 = hw2 & (1 << 4) != 0;
    let f = Fields::of(hw1, hw2);
    let accumulate = f.ra != NO_ACCUMULATOR;
    let (exec, flag): (ExecFn, u8) = match op1 {
        op::SMLAXY => {
            let halves = if bit5 { TOP_N } else { 0 } | if bit4 { TOP_M } else { 0 };
            (pick(accumulate, exec_smlaxy, exec_smulxy), halves)
        }
        // The rows below have op2 = 0x: hw2[5] = 1 is UNDEFINED.
        _ if bit5 => return None,
        op::SMLAD => (
            pick(accumulate, exec_smlad, exec_smuad),
            if bit4 { EXCHANGE } else { 0 },
        ),
        op::SMLAWY => (
            pick(accumulate, exec_smlawy, exec_smulwy),
            if bit4 { TOP_M } else { 0 },
        ),
        op::SMLSD => (
            pick(accumulate, exec_smlsd, exec_smusd),
            if bit4 { EXCHANGE } else { 0 },
        ),
        op::SMMLA => (
            pick(accumulate, exec_smmla, exec_smmul),
            if bit4 { ROUND } else { 0 },
        ),
        op::SMMLS => (exec_smmls, if bit4 { ROUND } else { 0 }),
        _ => return None,
    };
    let ops = Ops {
        rd: f.rd,
        rn: f.rn,
        rm: f.rm,
        ra: f.ra,
        flags: flag,
        ..Ops::default()
    };
    // SMMLS has no Ra = 1111 alias: there Ra = 15 is UNPREDICTABLE like R13 (A7.7 SMMLS);
    // elsewhere Ra = 13 is.
    let bad_ra = if op1 == op::SMMLS {
        bad_reg(f.ra)
    } else {
        f.ra == 13
    };
    let unpredictable = bad_reg(f.rd) || bad_reg(f.rn) || bad_reg(f.rm) || bad_ra;
    instr(exec, ops, unpredictable)
}

fn pick(accumulate: bool, with: ExecFn, without: ExecFn) -> ExecFn {
    if accumulate {
        with
    } else {
        without
    }
}

/// A5.3.17 op1 (hw1[6:4]) and op2 (hw2[7:4]).
mod long {
    pub const SMLAL: u16 = 0b100;
    pub const SMLSLD: u16 = 0b101;
    pub const UMAAL: u16 = 0b110;
    /// op2 10xx with op1 100: SMLALxy.
    pub const SMLALXY_MASK: u16 = 0b1100;
    pub const SMLALXY: u16 = 0b1000;
    /// op2 110x: SMLALD/SMLSLD.
    pub const DUAL_MASK: u16 = 0b1110;
    pub const DUAL: u16 = 0b1100;
    /// op2 0110 with op1 110: UMAAL.
    pub const UMAAL_OP2: u16 = 0b0110;
}

/// `111110111 op1 Rn | RdLo RdHi op2 Rm` (A5.3.17): the DSP rows only; SMULL, UMULL, SMLAL,
/// UMLAL, SDIV and UDIV are base. Ops: `rd` = RdLo, `ra` = RdHi.
pub(super) fn decode_long(hw1: u16, hw2: u16) -> Option<Instr> {
    let op1 = (hw1 >> 4) & 0b111;
    let op2 = (hw2 >> 4) & 0xF;
    let top_n = if hw2 & (1 << 5) != 0 { TOP_N } else { 0 };
    let top_m = if hw2 & (1 << 4) != 0 { TOP_M } else { 0 };
    let exchange = if hw2 & (1 << 4) != 0 { EXCHANGE } else { 0 };
    let (exec, flag): (ExecFn, u8) = match op1 {
        long::SMLAL if op2 & long::SMLALXY_MASK == long::SMLALXY => (exec_smlalxy, top_n | top_m),
        long::SMLAL if op2 & long::DUAL_MASK == long::DUAL => (exec_smlald, exchange),
        long::SMLSLD if op2 & long::DUAL_MASK == long::DUAL => (exec_smlsld, exchange),
        long::UMAAL if op2 == long::UMAAL_OP2 => (exec_umaal, 0),
        _ => return None,
    };
    let f = Fields::of(hw1, hw2);
    let (rd_lo, rd_hi) = (f.ra, f.rd);
    let ops = Ops {
        rd: rd_lo,
        ra: rd_hi,
        rn: f.rn,
        rm: f.rm,
        flags: flag,
        ..Ops::default()
    };
    let unpredictable =
        bad_reg(rd_lo) || bad_reg(rd_hi) || bad_reg(f.rn) || bad_reg(f.rm) || rd_lo == rd_hi;
    instr(exec, ops, unpredictable)
}

/// The signed halfword of `value` that `top` selects.
#[inline(always)]
fn half(value: u32, top: bool) -> i64 {
    i64::from(if top {
        (value >> 16) as i16
    } else {
        value as i16
    })
}

#[inline(always)]
fn signed(value: u32) -> i64 {
    i64::from(value as i32)
}

/// Writes the low word of an exact 32-bit-register result, and sets Q if it does not fit.
#[inline(always)]
fn write_with_q(core: &mut Core, rd: u8, result: i64) {
    if result != i64::from(result as i32) {
        set_q(core);
    }
    core.set_reg(rd, result as u32);
}

/// The halfword product of SMULxy/SMLAxy/SMLALxy.
#[inline(always)]
fn halfword_product(core: &Core, ops: &Ops) -> i64 {
    half(reg(core, ops.rn), ops.flags & TOP_N != 0)
        * half(reg(core, ops.rm), ops.flags & TOP_M != 0)
}

/// SMULBB… (A7.7 SMULBB, SMULBT, SMULTB, SMULTT): no overflow is possible, no flag.
fn exec_smulxy(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = halfword_product(core, ops);
    core.set_reg(ops.rd, product as u32);
    Ok(())
}

/// SMLABB… (A7.7 SMLABB, SMLABT, SMLATB, SMLATT): Q on signed overflow of the accumulation.
fn exec_smlaxy(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let result = halfword_product(core, ops) + signed(reg(core, ops.ra));
    write_with_q(core, ops.rd, result);
    Ok(())
}

/// Rn times Rm's selected halfword (48 bits) for SMULWy/SMLAWy.
#[inline(always)]
fn word_halfword_product(core: &Core, ops: &Ops) -> i64 {
    signed(reg(core, ops.rn)) * half(reg(core, ops.rm), ops.flags & TOP_M != 0)
}

/// SMULWB/SMULWT (A7.7): product<47:16>.
fn exec_smulwy(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = word_halfword_product(core, ops);
    core.set_reg(ops.rd, (product >> 16) as u32);
    Ok(())
}

/// SMLAWB/SMLAWT (A7.7): (Rn * half + Ra << 16)<47:16>; Q if that does not fit in 32 bits.
fn exec_smlawy(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let result = word_halfword_product(core, ops) + (signed(reg(core, ops.ra)) << 16);
    write_with_q(core, ops.rd, result >> 16);
    Ok(())
}

/// The two products of a dual multiply: Rn.lo * Rm'.lo and Rn.hi * Rm'.hi, where Rm' is Rm
/// with its halfwords exchanged for the X forms.
#[inline(always)]
fn dual_products(core: &Core, ops: &Ops) -> (i64, i64) {
    let n = reg(core, ops.rn);
    let m = reg(core, ops.rm);
    let m = if ops.flags & EXCHANGE != 0 {
        m.rotate_right(16)
    } else {
        m
    };
    (
        half(n, false) * half(m, false),
        half(n, true) * half(m, true),
    )
}

/// SMUAD (A7.7): Q when the sum overflows (only 0x8000 * 0x8000 twice).
fn exec_smuad(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (p1, p2) = dual_products(core, ops);
    write_with_q(core, ops.rd, p1 + p2);
    Ok(())
}

/// SMLAD (A7.7).
fn exec_smlad(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (p1, p2) = dual_products(core, ops);
    let result = p1 + p2 + signed(reg(core, ops.ra));
    write_with_q(core, ops.rd, result);
    Ok(())
}

/// SMUSD (A7.7): the difference always fits, no flag.
fn exec_smusd(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (p1, p2) = dual_products(core, ops);
    core.set_reg(ops.rd, (p1 - p2) as u32);
    Ok(())
}

/// SMLSD (A7.7).
fn exec_smlsd(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (p1, p2) = dual_products(core, ops);
    let result = p1 - p2 + signed(reg(core, ops.ra));
    write_with_q(core, ops.rd, result);
    Ok(())
}

/// The rounding constant of the R forms, added before the top word is taken.
#[inline(always)]
fn rounding(ops: &Ops) -> i64 {
    if ops.flags & ROUND != 0 {
        0x8000_0000
    } else {
        0
    }
}

/// SMMUL (A7.7): (Rn * Rm [+ 0x8000_0000])<63:32>.
fn exec_smmul(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = signed(reg(core, ops.rn)) * signed(reg(core, ops.rm));
    core.set_reg(ops.rd, ((product + rounding(ops)) >> 32) as u32);
    Ok(())
}

/// SMMLA (A7.7): ((Ra << 32) + Rn * Rm [+ 0x8000_0000])<63:32>. Only bits 63:32 are kept,
/// so the sum is taken modulo 2^64.
fn exec_smmla(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = signed(reg(core, ops.rn)) * signed(reg(core, ops.rm));
    let result = (signed(reg(core, ops.ra)) << 32)
        .wrapping_add(product)
        .wrapping_add(rounding(ops));
    core.set_reg(ops.rd, (result >> 32) as u32);
    Ok(())
}

/// SMMLS (A7.7): ((Ra << 32) - Rn * Rm [+ 0x8000_0000])<63:32>, modulo 2^64 likewise.
fn exec_smmls(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = signed(reg(core, ops.rn)) * signed(reg(core, ops.rm));
    let result = (signed(reg(core, ops.ra)) << 32)
        .wrapping_sub(product)
        .wrapping_add(rounding(ops));
    core.set_reg(ops.rd, (result >> 32) as u32);
    Ok(())
}

/// RdHi:RdLo as a 64-bit value.
#[inline(always)]
fn accumulator(core: &Core, ops: &Ops) -> u64 {
    (u64::from(reg(core, ops.ra)) << 32) | u64::from(reg(core, ops.rd))
}

#[inline(always)]
fn write_long(core: &mut Core, ops: &Ops, value: u64) {
    core.set_reg(ops.rd, value as u32);
    core.set_reg(ops.ra, (value >> 32) as u32);
}

/// SMLALBB… (A7.7 SMLALBB, SMLALBT, SMLALTB, SMLALTT): RdHi:RdLo + the halfword product, modulo 2^64, no flag.
fn exec_smlalxy(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let result = accumulator(core, ops).wrapping_add(halfword_product(core, ops) as u64);
    write_long(core, ops, result);
    Ok(())
}

/// SMLALD (A7.7).
fn exec_smlald(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (p1, p2) = dual_products(core, ops);
    let result = accumulator(core, ops).wrapping_add((p1 + p2) as u64);
    write_long(core, ops, result);
    Ok(())
}

/// SMLSLD (A7.7).
fn exec_smlsld(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (p1, p2) = dual_products(core, ops);
    let result = accumulator(core, ops).wrapping_add((p1 - p2) as u64);
    write_long(core, ops, result);
    Ok(())
}

/// UMAAL (A7.7.202): Rn * Rm + RdHi + RdLo, unsigned; the maximum, (2^32-1)^2 + 2(2^32-1),
/// is exactly 2^64 - 1, so it never wraps.
fn exec_umaal(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let result = u64::from(reg(core, ops.rn)) * u64::from(reg(core, ops.rm))
        + u64::from(reg(core, ops.ra))
        + u64::from(reg(core, ops.rd));
    write_long(core, ops, result);
    Ok(())
}
