//! Execution of the FP transfers: VLDR, VSTR, VLDM, VSTM (VPUSH, VPOP), VMOV between core and
//! extension registers, VMRS, VMSR; and the two traps of the space (NOCP, UNDEFINED).
//!
//! Operands ([`Ops`]):
//! - VLDR/VSTR: `rd` first FP register (S, or D with [`DP`]), `rn` base, `imm` offset, [`ADD`].
//! - VLDM/VSTM: as VLDR, plus `shift_amount` = number of registers, [`WBACK`]; without
//!   [`ADD`] the addresses start at Rn - imm (decrement before).
//! - VMOV core <-> S (and core <-> scalar, which is S[2d+x]): `rd` = Rt, `rn` = S index.
//! - VMOV two cores <-> two S (or a D, which is S[2m], S[2m+1]): `rd` = Rt, `ra` = Rt2,
//!   `rm` = first S index.
//! - VMRS/VMSR: `rd` = Rt.
//!
//! Memory goes through `Core::read/write` with `Mem::Aligned` (word alignment, UNALIGNED
//! UsageFault otherwise; PPB and bus errors as their traps). Loads read every word before any
//! register is written, so a faulting VLDR/VLDM/VPOP leaves the registers, base included,
//! unchanged; a faulting VSTM/VPUSH leaves the words before the fault written (as silicon).

use crate::bus::Bus;
use crate::core::{Core, Mem};
use crate::instr::{Ops, Trap};
use crate::regs::psr;

use super::context::{check, check_access};
use super::fpscr::bits;
use super::ops_flags::*;

/// Any FP encoding on a core without the extension: NOCP UsageFault.
pub fn exec_no_coprocessor(_: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    Err(Trap::NoCoprocessor)
}

/// An UNDEFINED encoding of the FP space: NOCP while CPACR denies access, else UNDEFINSTR.
pub fn exec_undefined(core: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    check_access(core)?;
    Err(Trap::Undefined)
}

#[inline]
fn base_address(core: &Core, ops: &Ops) -> u32 {
    if ops.rn == 15 {
        core.pc_aligned()
    } else {
        core.reg(ops.rn)
    }
}

/// VLDR (A7.7.236).
pub fn exec_vldr(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let base = base_address(core, ops);
    let address = if ops.flags & ADD != 0 {
        base.wrapping_add(ops.imm)
    } else {
        base.wrapping_sub(ops.imm)
    };
    let low = core.read(bus, address, 4, Mem::Aligned)?;
    if ops.flags & DP != 0 {
        let high = core.read(bus, address.wrapping_add(4), 4, Mem::Aligned)?;
        let d = 2 * usize::from(ops.rd);
        core.fp.s[d] = low;
        core.fp.s[d + 1] = high;
    } else {
        core.fp.s[usize::from(ops.rd)] = low;
    }
    Ok(())
}

/// VSTR (A7.7.256).
pub fn exec_vstr(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let base = core.reg(ops.rn);
    let address = if ops.flags & ADD != 0 {
        base.wrapping_add(ops.imm)
    } else {
        base.wrapping_sub(ops.imm)
    };
    if ops.flags & DP != 0 {
        let d = 2 * usize::from(ops.rd);
        let (low, high) = (core.fp.s[d], core.fp.s[d + 1]);
        core.write(bus, address, low, 4, Mem::Aligned)?;
        core.write(bus, address.wrapping_add(4), high, 4, Mem::Aligned)?;
    } else {
        let value = core.fp.s[usize::from(ops.rd)];
        core.write(bus, address, value, 4, Mem::Aligned)?;
    }
    Ok(())
}

/// The first S index and the number of words of a VLDM/VSTM register list.
#[inline]
fn word_range(ops: &Ops) -> (usize, usize) {
    let regs = usize::from(ops.shift_amount);
    if ops.flags & DP != 0 {
        (2 * usize::from(ops.rd), 2 * regs)
    } else {
        (usize::from(ops.rd), regs)
    }
}

/// The lowest address a VLDM/VSTM accesses, and the written-back base.
#[inline]
fn multiple_addresses(core: &Core, ops: &Ops) -> (u32, u32) {
    let base = core.reg(ops.rn);
    if ops.flags & ADD != 0 {
        (base, base.wrapping_add(ops.imm))
    } else {
        let start = base.wrapping_sub(ops.imm);
        (start, start)
    }
}

/// VLDM and VPOP (A7.7.235, A7.7.242): all words are read before any register changes.
pub fn exec_vldm(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let (first, words) = word_range(ops);
    let (start, written_back) = multiple_addresses(core, ops);
    let mut loaded = [0u32; 32];
    for (i, word) in loaded.iter_mut().take(words).enumerate() {
        *word = core.read(bus, start.wrapping_add(4 * i as u32), 4, Mem::Aligned)?;
    }
    core.fp.s[first..first + words].copy_from_slice(&loaded[..words]);
    if ops.flags & WBACK != 0 {
        core.set_reg(ops.rn, written_back);
    }
    Ok(())
}

/// VSTM and VPUSH (A7.7.255, A7.7.243): lowest register at the lowest address.
pub fn exec_vstm(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let (first, words) = word_range(ops);
    let (start, written_back) = multiple_addresses(core, ops);
    for i in 0..words {
        let value = core.fp.s[first + i];
        core.write(
            bus,
            start.wrapping_add(4 * i as u32),
            value,
            4,
            Mem::Aligned,
        )?;
    }
    if ops.flags & WBACK != 0 {
        core.set_reg(ops.rn, written_back);
    }
    Ok(())
}

/// VMOV Sn, Rt (A7.7.240) and VMOV Dd[x], Rt (A7.7.241).
pub fn exec_vmov_core_to_s(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    core.fp.s[usize::from(ops.rn)] = core.reg(ops.rd);
    Ok(())
}

/// VMOV Rt, Sn (A7.7.240) and VMOV Rt, Dn[x] (A7.7.242).
pub fn exec_vmov_s_to_core(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let value = core.fp.s[usize::from(ops.rn)];
    core.set_reg(ops.rd, value);
    Ok(())
}

/// VMOV Sm, Sm1, Rt, Rt2 (A7.7.243) and VMOV Dm, Rt, Rt2 (A7.7.244).
pub fn exec_vmov_from_two_core(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let m = usize::from(ops.rm);
    core.fp.s[m] = core.reg(ops.rd);
    core.fp.s[m + 1] = core.reg(ops.ra);
    Ok(())
}

/// VMOV Rt, Rt2, Sm, Sm1 and VMOV Rt, Rt2, Dm.
pub fn exec_vmov_to_two_core(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let m = usize::from(ops.rm);
    let (low, high) = (core.fp.s[m], core.fp.s[m + 1]);
    core.set_reg(ops.rd, low);
    core.set_reg(ops.ra, high);
    Ok(())
}

/// VMRS Rt, FPSCR (A7.7.246); with Rt = 15 (`VMRS APSR_nzcv, FPSCR`) FPSCR's N, Z, C, V go
/// to the APSR.
pub fn exec_vmrs(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    let fpscr = core.fp.fpscr;
    if ops.rd == 15 {
        core.regs.apsr = (core.regs.apsr & !psr::NZCV) | (fpscr & bits::NZCV);
    } else {
        core.set_reg(ops.rd, fpscr);
    }
    Ok(())
}

/// VMSR FPSCR, Rt (A7.7.247): the reserved bits stay zero.
pub fn exec_vmsr(core: &mut Core, bus: &mut dyn Bus, ops: &Ops) -> Result<(), Trap> {
    check(core, bus)?;
    core.fp.fpscr = core.reg(ops.rd) & bits::WRITABLE;
    Ok(())
}
