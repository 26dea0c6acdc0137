//! Loads and stores of one or two registers (ARMv7-M ARM A5.2.4, A5.3.6–A5.3.10; A7.7 LDR*,
//! STR*): every addressing mode, the unprivileged (T) forms, literal loads, loads of the PC
//! (LoadWritePC), LDRD/STRD, and the memory hints.
//!
//! `Ops` use: `rd` = Rt, `ra` = Rt2 (LDRD/STRD), `rn` base, `rm` index register, `imm` the
//! offset (negative as two's complement), `shift_amount` the index's LSL, `extra` the access
//! kind ([`super::access`]).
//!
//! A load writes nothing before its last read has succeeded, so a load that faults leaves every
//! register as it was; a store writes back its base only after the store succeeded.

use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{Ops, Trap};

use super::{last_in_it_only, mem_kind, unpredictable};

/// The addressing modes.
pub mod mode {
    /// `[Rn, #imm]`: no writeback.
    pub const OFFSET: u8 = 0;
    /// `[Rn, #imm]!`: pre-indexed, writeback.
    pub const PRE: u8 = 1;
    /// `[Rn], #imm`: post-indexed, writeback.
    pub const POST: u8 = 2;
    /// `[Rn, Rm, LSL #shift]`.
    pub const REG: u8 = 3;
    /// `[PC, #imm]`: Align(PC, 4) + imm.
    pub const LITERAL: u8 = 4;
}

/// What a single load reads.
pub mod size {
    pub const WORD: u8 = 0;
    pub const HALF: u8 = 1;
    pub const SIGNED_HALF: u8 = 2;
    pub const BYTE: u8 = 3;
    pub const SIGNED_BYTE: u8 = 4;
}

/// The address accessed and the value written back to Rn (for PRE and POST).
#[inline(always)]
fn address<const MODE: u8>(core: &Core, ops: &Ops) -> (u32, u32) {
    match MODE {
        mode::OFFSET => (core.reg(ops.rn).wrapping_add(ops.imm), 0),
        mode::PRE => {
            let a = core.reg(ops.rn).wrapping_add(ops.imm);
            (a, a)
        }
        mode::POST => {
            let n = core.reg(ops.rn);
            (n, n.wrapping_add(ops.imm))
        }
        mode::REG => (
            core.reg(ops.rn)
                .wrapping_add(core.reg(ops.rm) << ops.shift_amount),
            0,
        ),
        _ => (core.pc_aligned().wrapping_add(ops.imm), 0),
    }
}

#[inline(always)]
const fn writes_back(mode: u8) -> bool {
    mode == mode::PRE || mode == mode::POST
}

const fn bytes(size: u8) -> u32 {
    match size {
        size::WORD => 4,
        size::HALF | size::SIGNED_HALF => 2,
        _ => 1,
    }
}

/// LDR, LDRH, LDRSH, LDRB, LDRSB and their T and literal forms, Rt ≠ PC.
pub fn load<const SIZE: u8, const MODE: u8>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let (addr, writeback) = address::<MODE>(core, ops);
    let raw = core.read(bus, addr, bytes(SIZE), mem_kind(ops.extra))?;
    let value = match SIZE {
        size::SIGNED_HALF => raw as u16 as i16 as i32 as u32,
        size::SIGNED_BYTE => raw as u8 as i8 as i32 as u32,
        _ => raw,
    };
    if writes_back(MODE) {
        core.set_reg(ops.rn, writeback);
    }
    core.set_reg(ops.rd, value);
    Ok(())
}

/// LDR PC, ... (A7.7 LDR (immediate, literal, register) with Rt = 15): LoadWritePC (an
/// interworking branch, an exception return in Handler mode), after the base writeback. Used
/// by the GNU ld long-branch veneer `ldr.w pc, [pc, #-0]` and libgcc's `ldr.w pc, [sp], #8`.
pub fn load_pc<const MODE: u8>(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    last_in_it_only(core, unpredictable::PC_IN_IT)?;
    let (addr, writeback) = address::<MODE>(core, ops);
    // "if address<1:0> == '00' then LoadWritePC(data) else UNPREDICTABLE".
    if addr & 3 != 0 {
        return Err(Trap::Unmodelled(unpredictable::LOAD_PC_UNALIGNED));
    }
    let data = core.read(bus, addr, 4, mem_kind(ops.extra))?;
    if writes_back(MODE) {
        core.set_reg(ops.rn, writeback);
    }
    core.bx_write_pc(data);
    Ok(())
}

/// STR, STRH, STRB and their T forms. `SIZE` is WORD, HALF or BYTE.
pub fn store<const SIZE: u8, const MODE: u8>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let (addr, writeback) = address::<MODE>(core, ops);
    let value = core.reg(ops.rd);
    core.write(bus, addr, value, bytes(SIZE), mem_kind(ops.extra))?;
    if writes_back(MODE) {
        core.set_reg(ops.rn, writeback);
    }
    Ok(())
}

/// LDRD (A7.7 LDRD (immediate, literal)): two words, MemA.
pub fn load_dual<const MODE: u8>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let (addr, writeback) = address::<MODE>(core, ops);
    let kind = mem_kind(ops.extra);
    let first = core.read(bus, addr, 4, kind)?;
    let second = core.read(bus, addr.wrapping_add(4), 4, kind)?;
    if writes_back(MODE) {
        core.set_reg(ops.rn, writeback);
    }
    core.set_reg(ops.rd, first);
    core.set_reg(ops.ra, second);
    Ok(())
}

/// STRD (A7.7 STRD (immediate)): two words, MemA.
pub fn store_dual<const MODE: u8>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let (addr, writeback) = address::<MODE>(core, ops);
    let kind = mem_kind(ops.extra);
    let (first, second) = (core.reg(ops.rd), core.reg(ops.ra));
    core.write(bus, addr, first, 4, kind)?;
    core.write(bus, addr.wrapping_add(4), second, 4, kind)?;
    if writes_back(MODE) {
        core.set_reg(ops.rn, writeback);
    }
    Ok(())
}

/// PLD, PLI and the unallocated memory hints (A7.7 PLD, PLI; A5.3.8): no effect (the
/// simulator has no cache to preload, and a hint never faults).
pub fn memory_hint(_: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    Ok(())
}
