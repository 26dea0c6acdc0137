//! Load and store multiple (ARMv7-M ARM A5.2.5, A5.3.5; A7.7 LDM, LDMDB, POP, PUSH, STM,
//! STMDB): MemA accesses, ascending register order at
//! ascending addresses.
//!
//! `Ops` use: `rn` base, `imm` the register list (bit i = Ri), `flags & WBACK` writeback.
//!
//! LDM reads every word before it writes any register, so one that faults changes nothing; a
//! store multiple that faults part-way leaves the words before the fault written (as silicon)
//! and its base unchanged.

use crate::bus::Bus;
use crate::core::{Core, Mem};
use crate::instr::{flags, Ops, Trap};

use super::{last_in_it_only, unpredictable};

/// Writeback of the base register.
pub const WBACK: u8 = flags::GROUP0;

const PC_BIT: u32 = 1 << 15;

/// LDM (IA, `DB = false`) and LDMDB (`DB = true`); POP is LDM SP!.
pub fn load_multiple<const DB: bool>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let list = ops.imm;
    if list & PC_BIT != 0 {
        last_in_it_only(core, unpredictable::PC_IN_IT)?;
    }
    let count = list.count_ones();
    let base = core.reg(ops.rn);
    let start = if DB {
        base.wrapping_sub(4 * count)
    } else {
        base
    };
    let mut words = [0u32; 16];
    let mut address = start;
    let mut rest = list;
    while rest != 0 {
        let i = rest.trailing_zeros() as usize;
        words[i] = core.read(bus, address, 4, Mem::Aligned)?;
        address = address.wrapping_add(4);
        rest &= rest - 1;
    }
    // "if wback && registers<n> == '0' then R[n] = ...": a loaded base wins.
    if ops.flags & WBACK != 0 && list & (1 << ops.rn) == 0 {
        let end = if DB {
            start
        } else {
            base.wrapping_add(4 * count)
        };
        core.set_reg(ops.rn, end);
    }
    let mut rest = list & !PC_BIT;
    while rest != 0 {
        let i = rest.trailing_zeros();
        core.set_reg(i as u8, words[i as usize]);
        rest &= rest - 1;
    }
    if list & PC_BIT != 0 {
        core.bx_write_pc(words[15]);
    }
    Ok(())
}

/// STM (IA, `DB = false`) and STMDB (`DB = true`); PUSH is STMDB SP!. A base register in the
/// list stores its original value (where the ARM ARM says UNKNOWN, a base that is not the
/// lowest listed register with writeback: the original value is one such value).
pub fn store_multiple<const DB: bool>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let list = ops.imm;
    let count = list.count_ones();
    let base = core.reg(ops.rn);
    let start = if DB {
        base.wrapping_sub(4 * count)
    } else {
        base
    };
    let mut address = start;
    let mut rest = list;
    while rest != 0 {
        let i = rest.trailing_zeros() as u8;
        let value = core.reg(i);
        core.write(bus, address, value, 4, Mem::Aligned)?;
        address = address.wrapping_add(4);
        rest &= rest - 1;
    }
    if ops.flags & WBACK != 0 {
        let end = if DB {
            start
        } else {
            base.wrapping_add(4 * count)
        };
        core.set_reg(ops.rn, end);
    }
    Ok(())
}
