//! Branches (ARMv7-M ARM A5.2.3, A5.2.6, A5.3.4; A7.7 B, BL, BLX (register), BX, CBNZ/CBZ,
//! IT, TBB/TBH; the PC-writing helpers of A2.3.1).
//!
//! `Ops` use: `imm` the offset from the PC (two's complement) or, for IT, ITSTATE's new value;
//! `rm` the target register (BX, BLX) or index (TBB/TBH); `rn` the tested register (CBZ) or
//! table base (TBB/TBH).

use crate::bus::Bus;
use crate::core::{Core, Mem};
use crate::instr::{Ops, Trap};

use super::{forbid_in_it, last_in_it_only, unpredictable};

/// B (T2, T4): the unconditional branch, allowed as the last instruction of an IT block.
pub fn b(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    last_in_it_only(core, unpredictable::PC_IN_IT)?;
    let target = core.reg(15).wrapping_add(ops.imm);
    core.branch_write_pc(target);
    Ok(())
}

/// B<c> (T1, T3): the condition is the instruction's own (`Instr::cond`), checked before this
/// runs. Not allowed in an IT block.
pub fn b_cond(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    forbid_in_it(core, unpredictable::IN_IT)?;
    let target = core.reg(15).wrapping_add(ops.imm);
    core.branch_write_pc(target);
    Ok(())
}

/// BL: LR = the next instruction's address with bit 0 set.
pub fn bl(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    last_in_it_only(core, unpredictable::PC_IN_IT)?;
    let target = core.reg(15).wrapping_add(ops.imm);
    let next = core.next_pc;
    core.set_reg(14, next | 1);
    core.branch_write_pc(target);
    Ok(())
}

/// BX Rm: BXWritePC (interworking; an EXC_RETURN in Handler mode returns from the exception).
pub fn bx(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    last_in_it_only(core, unpredictable::PC_IN_IT)?;
    let target = core.reg(ops.rm);
    core.bx_write_pc(target);
    Ok(())
}

/// BLX Rm: BLXWritePC, which sets EPSR.T from bit 0 and is never an exception return
/// (ARMv7-M ARM A2.3.1): a target with bit 0 clear faults (INVSTATE) on the next instruction.
pub fn blx(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    last_in_it_only(core, unpredictable::PC_IN_IT)?;
    let target = core.reg(ops.rm);
    // next_instr_addr = PC - 2 = the address after this 16-bit instruction.
    let next = core.next_pc;
    core.set_reg(14, next | 1);
    core.regs.thumb = target & 1 != 0;
    core.next_pc = target & !1;
    Ok(())
}

/// CBZ (`NONZERO = false`) and CBNZ: a forward branch when Rn is (not) zero.
pub fn compare_branch<const NONZERO: bool>(
    core: &mut Core,
    _: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    forbid_in_it(core, unpredictable::IN_IT)?;
    if (core.reg(ops.rn) != 0) == NONZERO {
        let target = core.reg(15).wrapping_add(ops.imm);
        core.branch_write_pc(target);
    }
    Ok(())
}

/// TBB (`HALF = false`) and TBH: branch forward by twice the byte or halfword at
/// `Rn + Rm` (TBB) or `Rn + 2 × Rm` (TBH); MemU.
pub fn table_branch<const HALF: bool>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    last_in_it_only(core, unpredictable::PC_IN_IT)?;
    let base = core.reg(ops.rn);
    let index = core.reg(ops.rm);
    let entry = if HALF {
        core.read(bus, base.wrapping_add(index << 1), 2, Mem::Unaligned)?
    } else {
        core.read(bus, base.wrapping_add(index), 1, Mem::Unaligned)?
    };
    let target = core.reg(15).wrapping_add(entry << 1);
    core.branch_write_pc(target);
    Ok(())
}

/// IT: ITSTATE = firstcond:mask (`imm`). The core does not advance ITSTATE past IT itself
/// (`Instr::is_it`).
pub fn it(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    forbid_in_it(core, unpredictable::IN_IT)?;
    core.regs.itstate = ops.imm as u8;
    Ok(())
}
