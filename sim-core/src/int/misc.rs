//! System and miscellaneous instructions (ARMv7-M ARM A5.2.5, A5.2.6, A5.3.4, A5.3.18; A7.7
//! MRS, MSR, CPS, SVC, BKPT, NOP, YIELD, WFE, WFI, SEV, DMB, DSB, ISB), and coprocessor
//! instructions for a coprocessor the core lacks (NOCP). UDF is `Instr::undefined`.
//!
//! `Ops` use: `rd` MRS destination, `rn` MSR source, `imm` the SYSm number (MRS, MSR), the
//! immediate (SVC, BKPT), or the CPS fields ([`cps`]); `extra` the MSR mask.

use crate::bus::Bus;
use crate::core::Core;
use crate::instr::{Ops, Trap};
use crate::system::special;

use super::{forbid_in_it, unpredictable};

/// CPS fields in `Ops::imm`.
pub mod cps {
    /// CPSID (set the masks); CPSIE clears them.
    pub const DISABLE: u32 = 1 << 2;
    /// PRIMASK.
    pub const I: u32 = 1 << 1;
    /// FAULTMASK.
    pub const F: u32 = 1 << 0;
}

/// MRS Rd, <spec_reg> (B5.2.2).
pub fn mrs(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let sysm = ops.imm as u8;
    if !special::sysm_exists(core, sysm) {
        return Err(Trap::Unmodelled(unpredictable::SYSM));
    }
    let value = special::read_special(core, sysm);
    core.set_reg(ops.rd, value);
    Ok(())
}

/// MSR <spec_reg>, Rn (B5.2.3).
pub fn msr(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    let sysm = ops.imm as u8;
    if !special::sysm_exists(core, sysm) {
        return Err(Trap::Unmodelled(unpredictable::SYSM));
    }
    let value = core.reg(ops.rn);
    special::write_special(core, sysm, ops.extra, value);
    Ok(())
}

/// CPSIE / CPSID (B5.2.1): not allowed in an IT block.
pub fn change_state(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    forbid_in_it(core, unpredictable::IN_IT)?;
    special::change_processor_state(
        core,
        ops.imm & cps::DISABLE != 0,
        ops.imm & cps::I != 0,
        ops.imm & cps::F != 0,
    );
    Ok(())
}

/// SVC #imm8: the instruction completes; SVCall is taken before the next one.
pub fn svc(core: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    core.supervisor_call(ops.imm as u8);
    Ok(())
}

/// BKPT #imm8: a debug event.
pub fn bkpt(_: &mut Core, _: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    Err(Trap::Breakpoint(ops.imm as u8))
}

/// NOP, YIELD, the unallocated hints (which execute as NOPs), DBG, and the barriers DMB, DSB,
/// ISB (the simulator completes every access in program order before the next instruction).
pub fn nop(_: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    Ok(())
}

/// WFI.
pub fn wfi(core: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    core.wait_for_interrupt();
    Ok(())
}

/// WFE.
pub fn wfe(core: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    core.wait_for_event();
    Ok(())
}

/// SEV.
pub fn sev(core: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    core.send_event();
    Ok(())
}

/// A coprocessor instruction (LDC, STC, MCR, MRC, MCRR, MRRC, CDP and their "2" forms) for a
/// coprocessor the core does not have: UsageFault NOCP (UFSR.NOCP), as a Cortex-M does.
pub fn no_coprocessor(_: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    Err(Trap::NoCoprocessor)
}
