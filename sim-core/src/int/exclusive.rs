//! Exclusive access (ARMv7-M ARM A3.4, A5.3.6; A7.7 LDREX, LDREXB, LDREXH, STREX, STREXB,
//! STREXH, CLREX), with the local monitor in `Core::exclusive`.
//!
//! The monitor tags the address LDREX read; a STREX succeeds only to that same address (A3.4
//! leaves the address check of a local monitor IMPLEMENTATION DEFINED: checking it is one of
//! the allowed behaviours and is what software assumes anyway). Every STREX clears the monitor.
//!
//! `Ops` use: `rd` = Rt, `ra` = Rd (the STREX status), `rn` base, `imm` the offset (word forms).

use crate::bus::Bus;
use crate::core::{Core, Mem};
use crate::instr::{Ops, Trap};

/// STREX status values.
const PASSED: u32 = 0;
const FAILED: u32 = 1;

/// LDREX (`BYTES` = 4), LDREXH (2), LDREXB (1): MemA, and tag the address.
pub fn load_exclusive<const BYTES: u32>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let address = core.reg(ops.rn).wrapping_add(ops.imm);
    let value = core.read(bus, address, BYTES, Mem::Aligned)?;
    core.exclusive = Some(address);
    core.set_reg(ops.rd, value);
    Ok(())
}

/// STREX (`BYTES` = 4), STREXH (2), STREXB (1): store if the monitor holds this address; Rd = 0
/// on success, 1 on failure. The alignment check comes first even when the monitor fails
/// (ExclusiveMonitorsPass checks alignment).
pub fn store_exclusive<const BYTES: u32>(
    core: &mut Core,
    bus: &mut dyn Bus,
    ops: &Ops,
) -> Result<(), Trap> {
    let address = core.reg(ops.rn).wrapping_add(ops.imm);
    if address & (BYTES - 1) != 0 {
        return Err(Trap::Unaligned);
    }
    let status = if core.exclusive == Some(address) {
        let value = core.reg(ops.rd);
        core.write(bus, address, value, BYTES, Mem::Aligned)?;
        PASSED
    } else {
        FAILED
    };
    core.exclusive = None;
    core.set_reg(ops.ra, status);
    Ok(())
}

/// CLREX: ClearExclusiveLocal.
pub fn clear_exclusive(core: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    core.exclusive = None;
    Ok(())
}
