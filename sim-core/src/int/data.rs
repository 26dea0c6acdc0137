//! Data processing (ARMv7-M ARM A5.2.1–A5.2.3, A5.3.1, A5.3.3, A5.3.11, A5.3.12, A5.3.15):
//! the sixteen ALU operations with their three operand forms, register-controlled shifts,
//! MOVT, ADR, bit fields, saturation, extends, byte reversal, CLZ, and the 16-bit ADD/MOV that
//! write the PC.
//!
//! `Ops` use: `rd` destination, `rn` first operand, `rm` second operand register, `imm` the
//! immediate (already expanded; negative offsets as two's complement), `shift_type`
//! (`alu::Shift as u8`, `Rrx` = 4) and `shift_amount` of a shifted register, `extra` the carry
//! of a modified immediate ([`imm_carry`]), `flags` SETFLAGS / SETFLAGS_OUTSIDE_IT.

use crate::alu::{add_with_carry, shift_c, Shift};
use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{Ops, Trap};
use crate::regs::psr;

use super::{last_in_it_only, unpredictable};

/// The ALU operations (A7.7: the `op` fields of A5.3.1 and A5.3.11 name the same set).
pub mod op {
    pub const AND: u8 = 0;
    pub const EOR: u8 = 1;
    pub const ORR: u8 = 2;
    pub const ORN: u8 = 3;
    pub const BIC: u8 = 4;
    pub const MOV: u8 = 5;
    pub const MVN: u8 = 6;
    pub const TST: u8 = 7;
    pub const TEQ: u8 = 8;
    pub const ADD: u8 = 9;
    pub const ADC: u8 = 10;
    pub const SUB: u8 = 11;
    pub const SBC: u8 = 12;
    pub const RSB: u8 = 13;
    pub const CMP: u8 = 14;
    pub const CMN: u8 = 15;
}

/// The second operand's form.
pub mod operand {
    /// `imm` (a modified immediate's carry in `extra`).
    pub const IMM: u8 = 0;
    /// `R[rm]`, unshifted (LSL #0: the carry is APSR.C).
    pub const REG: u8 = 1;
    /// `Shift_C(R[rm], shift_type, shift_amount, APSR.C)`.
    pub const SHIFTED: u8 = 2;
}

/// The carry out of a modified immediate (ThumbExpandImm_C, A5.3.2), in `Ops::extra`: APSR.C
/// when the constant is not rotated, else bit 31 of the constant.
pub mod imm_carry {
    pub const KEEP: u8 = 0;
    pub const CLEAR: u8 = 1;
    pub const SET: u8 = 2;
}

/// A shift type kept in `Ops::shift_type` (`Rrx` is 4).
#[inline(always)]
pub(crate) fn shift_of(bits: u8) -> Shift {
    match bits {
        0 => Shift::Lsl,
        1 => Shift::Lsr,
        2 => Shift::Asr,
        3 => Shift::Ror,
        _ => Shift::Rrx,
    }
}

#[inline(always)]
fn operand2<const KIND: u8>(core: &Core, ops: &Ops) -> (u32, bool) {
    let carry = core.regs.flag(psr::C);
    match KIND {
        operand::IMM => (
            ops.imm,
            match ops.extra {
                imm_carry::CLEAR => false,
                imm_carry::SET => true,
                _ => carry,
            },
        ),
        operand::REG => (core.reg(ops.rm), carry),
        _ => shift_c(
            core.reg(ops.rm),
            shift_of(ops.shift_type),
            u32::from(ops.shift_amount),
            carry,
        ),
    }
}

/// Whether the operation writes `rd` (the compares only set flags).
const fn writes_result(op: u8) -> bool {
    !matches!(op, op::TST | op::TEQ | op::CMP | op::CMN)
}

/// One ALU operation `OP` with operand form `KIND` (A7.7: AND, EOR, ORR, ORN, BIC, MOV, MVN,
/// TST, TEQ, ADD, ADC, SUB, SBC, RSB, CMP, CMN in all their encodings, incl. the 16-bit
/// shift-by-immediate forms as MOV with a shifted register, ADR-free SP arithmetic, ADDW,
/// SUBW and MOVW). Logical operations set N, Z and C (the shifter's carry) and leave V;
/// arithmetic ones set NZCV from AddWithCarry. Never writes the PC: the decoders route the
/// 16-bit forms with Rd = PC to [`add_to_pc`] and [`mov_to_pc`].
pub fn alu<const OP: u8, const KIND: u8>(
    core: &mut Core,
    _: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let (b, shifter_carry) = operand2::<KIND>(core, ops);
    let a = core.reg(ops.rn);
    let carry_in = core.regs.flag(psr::C);
    // (result, carry, overflow, logical)
    let (result, carry, overflow, logical) = match OP {
        op::AND | op::TST => (a & b, shifter_carry, false, true),
        op::EOR | op::TEQ => (a ^ b, shifter_carry, false, true),
        op::ORR => (a | b, shifter_carry, false, true),
        op::ORN => (a | !b, shifter_carry, false, true),
        op::BIC => (a & !b, shifter_carry, false, true),
        op::MOV => (b, shifter_carry, false, true),
        op::MVN => (!b, shifter_carry, false, true),
        op::ADD | op::CMN => {
            let (r, c, v) = add_with_carry(a, b, false);
            (r, c, v, false)
        }
        op::ADC => {
            let (r, c, v) = add_with_carry(a, b, carry_in);
            (r, c, v, false)
        }
        op::SUB | op::CMP => {
            let (r, c, v) = add_with_carry(a, !b, true);
            (r, c, v, false)
        }
        op::SBC => {
            let (r, c, v) = add_with_carry(a, !b, carry_in);
            (r, c, v, false)
        }
        _ => {
            // RSB
            let (r, c, v) = add_with_carry(!a, b, true);
            (r, c, v, false)
        }
    };
    if writes_result(OP) {
        core.set_reg(ops.rd, result);
    }
    if core.sets_flags(ops) {
        if logical {
            core.regs.set_nzc(result, carry);
        } else {
            core.regs.set_nzcv(result, carry, overflow);
        }
    }
    Ok(())
}

/// Stands for an ALU operation number outside [`op`]; the decoders never produce one, and if
/// they did the core would stop rather than compute something else.
pub fn no_such_operation(_: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    Err(Trap::Unmodelled(
        "an ALU operation the decoder does not know",
    ))
}

/// ADD PC, Rm (A7.7 ADD (register) T2 with Rdn = PC): ALUWritePC, which is BranchWritePC on
/// ARMv7-M and ARMv6-M (A2.3.1).
pub fn add_to_pc(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    last_in_it_only(core, unpredictable::PC_IN_IT)?;
    let target = core.reg(15).wrapping_add(core.reg(ops.rm));
    core.branch_write_pc(target);
    Ok(())
}

/// MOV PC, Rm (A7.7 MOV (register) T1 with Rd = PC): ALUWritePC.
pub fn mov_to_pc(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    last_in_it_only(core, unpredictable::PC_IN_IT)?;
    let target = core.reg(ops.rm);
    core.branch_write_pc(target);
    Ok(())
}

/// MOVS Rd, Rm (A7.7 MOV (register) T2, the LSLS #0 encoding): always sets N and Z, and may
/// not appear in an IT block.
pub fn movs_t2(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    super::forbid_in_it(core, unpredictable::IN_IT)?;
    let result = core.reg(ops.rm);
    core.set_reg(ops.rd, result);
    let carry = core.regs.flag(psr::C);
    core.regs.set_nzc(result, carry);
    Ok(())
}

/// LSL, LSR, ASR, ROR (register) (A7.7): `R[rn]` shifted by
/// the bottom byte of `R[rm]`. Flags as a logical operation.
pub fn shift_by_register<const TYPE: u8>(
    core: &mut Core,
    _: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let amount = core.reg(ops.rm) & 0xFF;
    let carry_in = core.regs.flag(psr::C);
    let (result, carry) = shift_c(core.reg(ops.rn), Shift::from_bits(TYPE), amount, carry_in);
    core.set_reg(ops.rd, result);
    if core.sets_flags(ops) {
        core.regs.set_nzc(result, carry);
    }
    Ok(())
}

/// MOVT Rd, #imm16 (A7.7 MOVT): `imm` is the halfword.
pub fn movt(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = (ops.imm << 16) | (core.reg(ops.rd) & 0xFFFF);
    core.set_reg(ops.rd, value);
    Ok(())
}

/// ADR Rd, label (A7.7 ADR): Align(PC, 4) + `imm` (negative as two's complement).
pub fn adr(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = core.pc_aligned().wrapping_add(ops.imm);
    core.set_reg(ops.rd, value);
    Ok(())
}

/// BFI (A7.7 BFI): `imm` is the mask of bits msb..lsb, `shift_amount` the lsb.
pub fn bfi(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let inserted = (core.reg(ops.rn) << ops.shift_amount) & ops.imm;
    let value = (core.reg(ops.rd) & !ops.imm) | inserted;
    core.set_reg(ops.rd, value);
    Ok(())
}

/// BFC (A7.7 BFC): `imm` is the mask of bits msb..lsb.
pub fn bfc(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = core.reg(ops.rd) & !ops.imm;
    core.set_reg(ops.rd, value);
    Ok(())
}

/// UBFX (A7.7 UBFX): `shift_amount` the lsb, `imm` the mask of `width` low bits.
pub fn ubfx(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = (core.reg(ops.rn) >> ops.shift_amount) & ops.imm;
    core.set_reg(ops.rd, value);
    Ok(())
}

/// SBFX (A7.7 SBFX): `shift_amount` = 31 − msb (moves the field's top bit to bit 31), `imm` =
/// 31 − width + 1 (the arithmetic shift back down).
pub fn sbfx(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let up = core.reg(ops.rn) << ops.shift_amount;
    let value = ((up as i32) >> ops.imm) as u32;
    core.set_reg(ops.rd, value);
    Ok(())
}

/// SSAT (A7.7 SSAT): `R[rn]` shifted (LSL or ASR by `shift_amount`), saturated to `imm` bits
/// signed; Q is set when it saturates.
pub fn ssat(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let operand = shift_c(
        core.reg(ops.rn),
        shift_of(ops.shift_type),
        u32::from(ops.shift_amount),
        false,
    )
    .0;
    let (value, saturated) = crate::alu::signed_sat_q(i64::from(operand as i32), ops.imm);
    core.set_reg(ops.rd, value as u32);
    if saturated {
        core.regs.set_flag(psr::Q, true);
    }
    Ok(())
}

/// USAT (A7.7 USAT): as SSAT, saturated to `imm` bits unsigned.
pub fn usat(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let operand = shift_c(
        core.reg(ops.rn),
        shift_of(ops.shift_type),
        u32::from(ops.shift_amount),
        false,
    )
    .0;
    let (value, saturated) = crate::alu::unsigned_sat_q(i64::from(operand as i32), ops.imm);
    core.set_reg(ops.rd, value as u32);
    if saturated {
        core.regs.set_flag(psr::Q, true);
    }
    Ok(())
}

/// Which extend [`extend`] performs.
pub mod extend_kind {
    pub const SXTB: u8 = 0;
    pub const SXTH: u8 = 1;
    pub const UXTB: u8 = 2;
    pub const UXTH: u8 = 3;
}

/// SXTB, SXTH, UXTB, UXTH (A7.7): `R[rm]` rotated right by
/// `shift_amount` (0, 8, 16 or 24), then extended.
pub fn extend<const KIND: u8>(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let rotated = core.reg(ops.rm).rotate_right(u32::from(ops.shift_amount));
    let value = match KIND {
        extend_kind::SXTB => rotated as u8 as i8 as i32 as u32,
        extend_kind::SXTH => rotated as u16 as i16 as i32 as u32,
        extend_kind::UXTB => rotated & 0xFF,
        _ => rotated & 0xFFFF,
    };
    core.set_reg(ops.rd, value);
    Ok(())
}

/// REV (A7.7 REV).
pub fn rev(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = core.reg(ops.rm).swap_bytes();
    core.set_reg(ops.rd, value);
    Ok(())
}

/// REV16 (A7.7 REV16): the bytes of each halfword swapped.
pub fn rev16(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let m = core.reg(ops.rm);
    let value = ((m & 0x00FF_00FF) << 8) | ((m >> 8) & 0x00FF_00FF);
    core.set_reg(ops.rd, value);
    Ok(())
}

/// REVSH (A7.7 REVSH): the low halfword's bytes swapped, sign-extended.
pub fn revsh(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = (core.reg(ops.rm) as u16).swap_bytes() as i16 as i32 as u32;
    core.set_reg(ops.rd, value);
    Ok(())
}

/// RBIT (A7.7 RBIT).
pub fn rbit(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = core.reg(ops.rm).reverse_bits();
    core.set_reg(ops.rd, value);
    Ok(())
}

/// CLZ (A7.7 CLZ).
pub fn clz(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let value = core.reg(ops.rm).leading_zeros();
    core.set_reg(ops.rd, value);
    Ok(())
}
