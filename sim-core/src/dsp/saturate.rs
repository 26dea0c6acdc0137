//! Saturating arithmetic that sets APSR.Q: QADD, QDADD, QSUB, QDSUB (A7.7.102, A7.7.106,
//! A7.7.109, A7.7.107) and the halfword saturations SSAT16, USAT16 (A7.7).

use super::{bad_reg, instr, reg, set_q, Fields};
use crate::alu::{signed_sat_q, unsigned_sat_q};
use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{ExecFn, Instr, Ops, Trap};

/// op2 of the QADD family in A5.3.15 (hw2[5:4]).
mod qop {
    pub const QADD: u16 = 0b00;
    pub const QDADD: u16 = 0b01;
    pub const QSUB: u16 = 0b10;
    pub const QDSUB: u16 = 0b11;
}

/// `11111010 1000 Rn | 1111 Rd 10 op2 Rm`. The assembler syntax is `Rd, Rm, Rn`: Rm is the
/// minuend/augend, Rn the (doubled) operand.
pub(super) fn decode_qadd(hw1: u16, hw2: u16) -> Option<Instr> {
    let exec: ExecFn = match (hw2 >> 4) & 0b11 {
        qop::QADD => exec_qadd,
        qop::QDADD => exec_qdadd,
        qop::QSUB => exec_qsub,
        qop::QDSUB => exec_qdsub,
        _ => return None,
    };
    let f = Fields::of(hw1, hw2);
    let ops = Ops {
        rd: f.rd,
        rn: f.rn,
        rm: f.rm,
        ..Ops::default()
    };
    instr(exec, ops, bad_reg(f.rd) || bad_reg(f.rn) || bad_reg(f.rm))
}

/// SignedSatQ(value, 32), setting Q when it saturates; returns the 32-bit result.
#[inline(always)]
fn sat32(core: &mut Core, value: i64) -> u32 {
    let (result, saturated) = signed_sat_q(value, 32);
    if saturated {
        set_q(core);
    }
    result as u32
}

/// The operands as signed 32-bit values: (Rm, Rn).
#[inline(always)]
fn operands(core: &Core, ops: &Ops) -> (i64, i64) {
    (
        i64::from(reg(core, ops.rm) as i32),
        i64::from(reg(core, ops.rn) as i32),
    )
}

fn exec_qadd(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (m, n) = operands(core, ops);
    let result = sat32(core, m + n);
    core.set_reg(ops.rd, result);
    Ok(())
}

fn exec_qsub(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (m, n) = operands(core, ops);
    let result = sat32(core, m - n);
    core.set_reg(ops.rd, result);
    Ok(())
}

/// Rm + SignedSat(2 * Rn): Q is set if either step saturates.
fn exec_qdadd(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (m, n) = operands(core, ops);
    let doubled = i64::from(sat32(core, 2 * n) as i32);
    let result = sat32(core, m + doubled);
    core.set_reg(ops.rd, result);
    Ok(())
}

fn exec_qdsub(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let (m, n) = operands(core, ops);
    let doubled = i64::from(sat32(core, 2 * n) as i32);
    let result = sat32(core, m - doubled);
    core.set_reg(ops.rd, result);
    Ok(())
}

/// hw1 bits of A5.3.3 that tell SSAT16 from USAT16 (op = 10010 / 11010: bit 7).
const UNSIGNED_BIT: u16 = 1 << 7;
/// hw1[10] is the encoding's (0).
const HW1_SBZ: u16 = 1 << 10;
/// hw2[5:4] are the encoding's (0)(0).
const HW2_SBZ: u16 = 0b11 << 4;

/// SSAT16 `11110(0)110010 Rn | 0000 Rd 00(0)(0) sat_imm` and USAT16 (op 11010). The same rows
/// with imm3:imm2 != 0 are the base SSAT/USAT with an arithmetic shift.
pub(super) fn decode_sat16(hw1: u16, hw2: u16) -> Option<Instr> {
    let imm3 = (hw2 >> 12) & 0b111;
    let imm2 = (hw2 >> 6) & 0b11;
    if hw2 & 0x8000 != 0 || imm3 != 0 || imm2 != 0 {
        return None;
    }
    let f = Fields::of(hw1, hw2);
    let sat_imm = u32::from(hw2 & 0xF);
    let (exec, saturate_to): (ExecFn, u32) = if hw1 & UNSIGNED_BIT != 0 {
        (exec_usat16, sat_imm)
    } else {
        (exec_ssat16, sat_imm + 1)
    };
    let ops = Ops {
        rd: f.rd,
        rn: f.rn,
        imm: saturate_to,
        ..Ops::default()
    };
    let sbz = hw1 & HW1_SBZ != 0 || hw2 & HW2_SBZ != 0;
    instr(exec, ops, sbz || bad_reg(f.rd) || bad_reg(f.rn))
}

/// Each signed halfword of Rn saturated to a signed `imm`-bit range (1..=16).
fn exec_ssat16(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let n = reg(core, ops.rn);
    let (low, sat_low) = signed_sat_q(i64::from(n as u16 as i16), ops.imm);
    let (high, sat_high) = signed_sat_q(i64::from((n >> 16) as u16 as i16), ops.imm);
    core.set_reg(ops.rd, (low as u32 & 0xFFFF) | ((high as u32) << 16));
    if sat_low || sat_high {
        set_q(core);
    }
    Ok(())
}

/// Each signed halfword of Rn saturated to an unsigned `imm`-bit range (0..=15).
fn exec_usat16(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let n = reg(core, ops.rn);
    let (low, sat_low) = unsigned_sat_q(i64::from(n as u16 as i16), ops.imm);
    let (high, sat_high) = unsigned_sat_q(i64::from((n >> 16) as u16 as i16), ops.imm);
    core.set_reg(ops.rd, (low as u32) | ((high as u32) << 16));
    if sat_low || sat_high {
        set_q(core);
    }
    Ok(())
}
