//! Multiply and divide (ARMv7-M ARM A5.2.2, A5.3.16, A5.3.17; A7.7 MUL, MLA, MLS, SMULL,
//! UMULL, SMLAL, UMLAL, SDIV, UDIV).
//!
//! `Ops` use: `rd` destination (RdLo for the long forms), `ra` the accumulator (RdHi for the
//! long forms), `rn`, `rm` the operands.

use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{Ops, Trap};
use crate::regs::psr;

/// MUL: the 16-bit MULS sets N and Z outside an IT block (C and V unchanged on ARMv7-M and
/// ARMv6-M); the 32-bit form sets no flags.
pub fn mul(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let result = core.reg(ops.rn).wrapping_mul(core.reg(ops.rm));
    core.set_reg(ops.rd, result);
    if core.sets_flags(ops) {
        let (c, v) = (core.regs.flag(psr::C), core.regs.flag(psr::V));
        core.regs.set_nzcv(result, c, v);
    }
    Ok(())
}

/// MLA: Rd = Ra + Rn × Rm.
pub fn mla(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = core.reg(ops.rn).wrapping_mul(core.reg(ops.rm));
    let result = core.reg(ops.ra).wrapping_add(product);
    core.set_reg(ops.rd, result);
    Ok(())
}

/// MLS: Rd = Ra − Rn × Rm.
pub fn mls(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = core.reg(ops.rn).wrapping_mul(core.reg(ops.rm));
    let result = core.reg(ops.ra).wrapping_sub(product);
    core.set_reg(ops.rd, result);
    Ok(())
}

#[inline(always)]
fn write_long(core: &mut Core, ops: &Ops, value: u64) {
    core.set_reg(ops.rd, value as u32);
    core.set_reg(ops.ra, (value >> 32) as u32);
}

#[inline(always)]
fn accumulator(core: &Core, ops: &Ops) -> u64 {
    (u64::from(core.reg(ops.ra)) << 32) | u64::from(core.reg(ops.rd))
}

/// SMULL: RdHi:RdLo = Rn × Rm, signed.
pub fn smull(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = i64::from(core.reg(ops.rn) as i32) * i64::from(core.reg(ops.rm) as i32);
    write_long(core, ops, product as u64);
    Ok(())
}

/// UMULL: RdHi:RdLo = Rn × Rm, unsigned.
pub fn umull(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = u64::from(core.reg(ops.rn)) * u64::from(core.reg(ops.rm));
    write_long(core, ops, product);
    Ok(())
}

/// SMLAL: RdHi:RdLo += Rn × Rm, signed.
pub fn smlal(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = i64::from(core.reg(ops.rn) as i32) * i64::from(core.reg(ops.rm) as i32);
    let result = accumulator(core, ops).wrapping_add(product as u64);
    write_long(core, ops, result);
    Ok(())
}

/// UMLAL: RdHi:RdLo += Rn × Rm, unsigned.
pub fn umlal(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let product = u64::from(core.reg(ops.rn)) * u64::from(core.reg(ops.rm));
    let result = accumulator(core, ops).wrapping_add(product);
    write_long(core, ops, result);
    Ok(())
}

/// SDIV: rounds towards zero; a zero divisor gives 0, or DIVBYZERO with CCR.DIV_0_TRP;
/// 0x8000_0000 / −1 gives 0x8000_0000 (the ARM ARM's note: no overflow trap).
pub fn sdiv(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let divisor = core.reg(ops.rm) as i32;
    let result = if divisor == 0 {
        if core.sys.divide_by_zero_trap() {
            return Err(Trap::DivideByZero);
        }
        0
    } else {
        (core.reg(ops.rn) as i32).wrapping_div(divisor)
    };
    core.set_reg(ops.rd, result as u32);
    Ok(())
}

/// UDIV: rounds towards zero; a zero divisor gives 0, or DIVBYZERO with CCR.DIV_0_TRP.
pub fn udiv(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let Some(result) = core.reg(ops.rn).checked_div(core.reg(ops.rm)) else {
        if core.sys.divide_by_zero_trap() {
            return Err(Trap::DivideByZero);
        }
        core.set_reg(ops.rd, 0);
        return Ok(());
    };
    core.set_reg(ops.rd, result);
    Ok(())
}
