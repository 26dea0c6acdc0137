//! Extends with rotation: SXTAB, SXTAH, UXTAB, UXTAH, SXTAB16, UXTAB16, SXTB16, UXTB16
//! (A5.3.12), and the halfword packs PKHBT, PKHTB (A5.3.11).

use super::{bad_reg, instr, reg, Fields};
use crate::alu::{decode_imm_shift, shift, Shift};
use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{ExecFn, Instr, Ops, Trap};

/// op1 of A5.3.12 for the extends (hw1[6:4]; hw1[7] = 0).
mod op {
    pub const SXTAH: u16 = 0b000;
    pub const UXTAH: u16 = 0b001;
    pub const SXTAB16: u16 = 0b010;
    pub const UXTAB16: u16 = 0b011;
    pub const SXTAB: u16 = 0b100;
    pub const UXTAB: u16 = 0b101;
}

/// Rn = 1111: the extend without add (SXTB16/UXTB16 are DSP; SXTB/SXTH/UXTB/UXTH are base).
const NO_ADD: u8 = 0b1111;
/// hw2[6] is the encoding's (0).
const HW2_SBZ: u16 = 1 << 6;

/// `11111010 0 op1 Rn | 1111 Rd 1 (0) rotate Rm` (the caller checked hw2[15:12] and hw2[7]).
pub(super) fn decode_extend(hw1: u16, hw2: u16) -> Option<Instr> {
    let f = Fields::of(hw1, hw2);
    let add = f.rn != NO_ADD;
    let exec: ExecFn = match ((hw1 >> 4) & 0b111, add) {
        (op::SXTAH, true) => exec_sxtah,
        (op::UXTAH, true) => exec_uxtah,
        (op::SXTAB, true) => exec_sxtab,
        (op::UXTAB, true) => exec_uxtab,
        (op::SXTAB16, true) => exec_sxtab16,
        (op::UXTAB16, true) => exec_uxtab16,
        (op::SXTAB16, false) => exec_sxtb16,
        (op::UXTAB16, false) => exec_uxtb16,
        // SXTH, UXTH, SXTB, UXTB (base) and op1 11x (UNDEFINED).
        _ => return None,
    };
    // rotation = UInt(rotate:'000').
    let rotation = u32::from((hw2 >> 4) & 0b11) * 8;
    let ops = Ops {
        rd: f.rd,
        rn: f.rn,
        rm: f.rm,
        imm: rotation,
        ..Ops::default()
    };
    // With add: `d IN {13,15} || n == 13 || m IN {13,15}`; without: d and m.
    let unpredictable = hw2 & HW2_SBZ != 0 || bad_reg(f.rd) || bad_reg(f.rm) || (add && f.rn == 13);
    instr(exec, ops, unpredictable)
}

/// ROR(Rm, rotation).
#[inline(always)]
fn rotated(core: &Core, ops: &Ops) -> u32 {
    reg(core, ops.rm).rotate_right(ops.imm)
}

fn exec_sxtah(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = rotated(core, ops) as u16 as i16 as u32;
    core.set_reg(ops.rd, reg(core, ops.rn).wrapping_add(value));
    Ok(())
}

fn exec_uxtah(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = rotated(core, ops) & 0xFFFF;
    core.set_reg(ops.rd, reg(core, ops.rn).wrapping_add(value));
    Ok(())
}

fn exec_sxtab(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = rotated(core, ops) as u8 as i8 as u32;
    core.set_reg(ops.rd, reg(core, ops.rn).wrapping_add(value));
    Ok(())
}

fn exec_uxtab(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = rotated(core, ops) & 0xFF;
    core.set_reg(ops.rd, reg(core, ops.rn).wrapping_add(value));
    Ok(())
}

/// Bytes 0 and 2 of `value`, each sign-extended to a halfword.
#[inline(always)]
fn sign_extend_bytes_0_2(value: u32) -> (u16, u16) {
    (
        value as u8 as i8 as i16 as u16,
        (value >> 16) as u8 as i8 as i16 as u16,
    )
}

/// Bytes 0 and 2 of `value`, each zero-extended to a halfword.
#[inline(always)]
fn zero_extend_bytes_0_2(value: u32) -> (u16, u16) {
    (value as u8 as u16, (value >> 16) as u8 as u16)
}

/// Each halfword of Rn plus the matching extended byte, modulo 2^16 per halfword.
#[inline(always)]
fn add_halves(n: u32, (low, high): (u16, u16)) -> u32 {
    let low = (n as u16).wrapping_add(low);
    let high = ((n >> 16) as u16).wrapping_add(high);
    u32::from(low) | (u32::from(high) << 16)
}

#[inline(always)]
fn halves(low: u16, high: u16) -> u32 {
    u32::from(low) | (u32::from(high) << 16)
}

fn exec_sxtab16(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let bytes = sign_extend_bytes_0_2(rotated(core, ops));
    core.set_reg(ops.rd, add_halves(reg(core, ops.rn), bytes));
    Ok(())
}

fn exec_uxtab16(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let bytes = zero_extend_bytes_0_2(rotated(core, ops));
    core.set_reg(ops.rd, add_halves(reg(core, ops.rn), bytes));
    Ok(())
}

fn exec_sxtb16(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (low, high) = sign_extend_bytes_0_2(rotated(core, ops));
    core.set_reg(ops.rd, halves(low, high));
    Ok(())
}

fn exec_uxtb16(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (low, high) = zero_extend_bytes_0_2(rotated(core, ops));
    core.set_reg(ops.rd, halves(low, high));
    Ok(())
}

/// hw1[4] = S and hw2[4] = T: either set is UNDEFINED (PKHBT/PKHTB decode pseudo-code).
const S_BIT: u16 = 1 << 4;
const T_BIT: u16 = 1 << 4;
/// hw2[5] = tb: PKHTB (ASR) instead of PKHBT (LSL).
const TB_BIT: u16 = 1 << 5;
/// hw2[15] is the encoding's (0).
const HW2_SBZ_PKH: u16 = 1 << 15;

/// PKHBT/PKHTB: `11101010110 S Rn | (0) imm3 Rd imm2 tb T Rm`.
pub(super) fn decode_pkh(hw1: u16, hw2: u16) -> Option<Instr> {
    if hw1 & S_BIT != 0 || hw2 & T_BIT != 0 {
        // UNDEFINED: left to the integer decoder, which has nothing else in op 0110.
        return None;
    }
    let f = Fields::of(hw1, hw2);
    let tb = hw2 & TB_BIT != 0;
    let imm5 = (((hw2 >> 12) & 0b111) << 2 | ((hw2 >> 6) & 0b11)) as u8;
    // DecodeImmShift(tb:'0', imm3:imm2): LSL #n, or ASR #n with #0 meaning #32.
    let (shift_type, amount) = decode_imm_shift(if tb { 0b10 } else { 0b00 }, imm5);
    let ops = Ops {
        rd: f.rd,
        rn: f.rn,
        rm: f.rm,
        shift_type: shift_type as u8,
        imm: u32::from(amount),
        ..Ops::default()
    };
    let exec: ExecFn = if tb { exec_pkhtb } else { exec_pkhbt };
    let unpredictable = hw2 & HW2_SBZ_PKH != 0 || bad_reg(f.rd) || bad_reg(f.rn) || bad_reg(f.rm);
    instr(exec, ops, unpredictable)
}

/// Rm shifted as decoded. Only LSL and ASR occur, which do not read the carry flag.
#[inline(always)]
fn shifted(core: &Core, ops: &Ops) -> u32 {
    shift(
        reg(core, ops.rm),
        Shift::from_bits(ops.shift_type),
        ops.imm,
        false,
    )
}

/// PKHBT: bottom halfword from Rn, top halfword from the shifted Rm.
fn exec_pkhbt(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let operand2 = shifted(core, ops);
    core.set_reg(
        ops.rd,
        (reg(core, ops.rn) & 0xFFFF) | (operand2 & 0xFFFF_0000),
    );
    Ok(())
}

/// PKHTB: top halfword from Rn, bottom halfword from the shifted Rm.
fn exec_pkhtb(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let operand2 = shifted(core, ops);
    core.set_reg(
        ops.rd,
        (reg(core, ops.rn) & 0xFFFF_0000) | (operand2 & 0xFFFF),
    );
    Ok(())
}
