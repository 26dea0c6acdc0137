//! Execution of the integer instruction set (ARMv7-M ARM A7.7; ARMv6-M ARM A6.7), grouped by
//! kind. The decoders ([`crate::thumb16`], [`crate::thumb32`]) pick one of these functions per
//! encoding and fill its [`Ops`](crate::instr::Ops); each module documents how it uses the
//! fields. Every encoding-time choice (operand form, addressing mode, access kind) is made by
//! the decoder, so the functions here are straight-line.
//!
//! What stays for execution time is only what depends on state: the `InITBlock()` /
//! `LastInITBlock()` restrictions (A7.3.2) and the special-register numbers the core has.

pub mod branch;
pub mod data;
pub mod exclusive;
pub mod load_store;
pub mod misc;
pub mod multiple;
pub mod multiply;

use crate::core::{Core, Mem};
use crate::instr::Trap;

/// How a load or store treats alignment and privilege, kept in `Ops::extra` of the load/store
/// groups (decided per encoding and architecture, see [`mem_kind`]).
pub mod access {
    /// MemU: LDR/STR/LDRH/STRH and their signed and literal forms on ARMv7-M.
    pub const UNALIGNED: u8 = 0;
    /// MemU_unpriv: LDRT/STRT and their byte and halfword forms.
    pub const UNPRIVILEGED: u8 = 1;
    /// MemA: LDRD/STRD, LDM/STM, the exclusives, and every access on ARMv6-M (which has no
    /// unaligned support: ARMv6-M ARM A3.2).
    pub const ALIGNED: u8 = 2;
}

/// The [`Mem`] kind of an `access` value.
#[inline(always)]
pub(crate) fn mem_kind(access: u8) -> Mem {
    match access {
        access::UNPRIVILEGED => Mem::UnalignedUnprivileged,
        access::ALIGNED => Mem::Aligned,
        _ => Mem::Unaligned,
    }
}

/// `if InITBlock() then UNPREDICTABLE` (CBZ, CBNZ, IT, CPS, B<c>, MOVS T2).
#[inline(always)]
pub(crate) fn forbid_in_it(core: &Core, what: &'static str) -> Result<(), Trap> {
    if core.regs.in_it_block() {
        return Err(Trap::Unmodelled(what));
    }
    Ok(())
}

/// `if InITBlock() && !LastInITBlock() then UNPREDICTABLE` (branches and writes of the PC,
/// which may only be the last instruction of an IT block, A7.3.2).
#[inline(always)]
pub(crate) fn last_in_it_only(core: &Core, what: &'static str) -> Result<(), Trap> {
    if core.regs.in_it_block() && !core.regs.last_in_it_block() {
        return Err(Trap::Unmodelled(what));
    }
    Ok(())
}

/// Messages of the UNPREDICTABLE cases found at execution time.
pub(crate) mod unpredictable {
    pub const IN_IT: &str = "an UNPREDICTABLE instruction inside an IT block";
    pub const PC_IN_IT: &str =
        "an UNPREDICTABLE write of the PC inside an IT block, not as its last instruction";
    pub const LOAD_PC_UNALIGNED: &str = "an UNPREDICTABLE load of the PC from an unaligned address";
    pub const SYSM: &str = "an UNPREDICTABLE MRS/MSR of a special register this core lacks";
}
