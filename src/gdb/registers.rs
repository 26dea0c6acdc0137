//! Register access through probe-rs: which registers the core has ([`register_set`]), the
//! `g`/`G` block and single registers (`p`/`P`). Only the registers of the core's
//! [`RegisterSet`] are ever read or written.
//!
//! probe-rs numbers core registers by their DCRSR REGSEL value: R0–R15 = 0–15, xPSR = 16,
//! MSP = 17, PSP = 18, CONTROL/FAULTMASK/BASEPRI/PRIMASK = 20 (one byte each, CONTROL in bits
//! 31:24, PRIMASK in 7:0; on ARMv6-M only CONTROL and PRIMASK, the other bytes reserved),
//! FPSCR = 33, S0–S31 = 64–95. It has no D registers: d_n is built from S_{2n} (low word) and
//! S_{2n+1} (high word).

use probe_rs::{Core, CoreType, MemoryInterface, RegisterId};

use super::arch::{CortexMRegId, CortexMRegs};
use super::description::{RegisterSet, CPUID, MVFR0};
use crate::fault::Profile;

/// DCRSR REGSEL of xPSR.
pub const REGSEL_XPSR: u16 = 16;
/// DCRSR REGSEL of MSP.
pub const REGSEL_MSP: u16 = 17;
/// DCRSR REGSEL of PSP.
pub const REGSEL_PSP: u16 = 18;
/// DCRSR REGSEL of CONTROL, FAULTMASK, BASEPRI and PRIMASK together.
pub const REGSEL_SPECIAL: u16 = 20;
/// DCRSR REGSEL of FPSCR.
pub const REGSEL_FPSCR: u16 = 33;
/// DCRSR REGSEL of S0 (S1–S31 follow).
pub const REGSEL_S0: u16 = 64;

fn read32(core: &mut Core, regsel: u16) -> Result<u32, probe_rs::Error> {
    core.read_core_reg::<u32>(RegisterId(regsel))
}

fn write32(core: &mut Core, regsel: u16, value: u32) -> Result<(), probe_rs::Error> {
    core.write_core_reg(RegisterId(regsel), value)
}

/// The registers the core has, read from the chip: SCB_CPUID, and MVFR0 on an ARMv7-M core.
/// If those cannot be read, the core type and FPU probe-rs reports.
pub fn register_set(core: &mut Core) -> RegisterSet {
    let read = |core: &mut Core| -> Result<RegisterSet, probe_rs::Error> {
        let cpuid = core.read_word_32(CPUID.into())?;
        // MVFR0 is reserved on ARMv6-M: read only where it exists.
        let mvfr0 = match Profile::from_cpuid(cpuid) {
            Profile::V7M => Some(core.read_word_32(MVFR0.into())?),
            Profile::V6M => None,
        };
        Ok(RegisterSet::from_ids(cpuid, mvfr0))
    };
    match read(core) {
        Ok(set) => set,
        Err(e) => {
            let set = match core.core_type() {
                CoreType::Armv6m => RegisterSet::V6M,
                _ if core.fpu_support().unwrap_or(false) => RegisterSet::V7MFp,
                _ => RegisterSet::V7M,
            };
            log::warn!(
                "reading SCB_CPUID/MVFR0: {e}; describing the core as probe-rs sees it: {}",
                set.describe()
            );
            set
        }
    }
}

/// Reads d_n from its two S registers.
pub fn read_d(core: &mut Core, n: u8) -> Result<u64, probe_rs::Error> {
    let lo = read32(core, REGSEL_S0 + 2 * u16::from(n))?;
    let hi = read32(core, REGSEL_S0 + 2 * u16::from(n) + 1)?;
    Ok(u64::from(lo) | u64::from(hi) << 32)
}

/// Writes d_n as its two S registers.
pub fn write_d(core: &mut Core, n: u8, value: u64) -> Result<(), probe_rs::Error> {
    write32(core, REGSEL_S0 + 2 * u16::from(n), value as u32)?;
    write32(core, REGSEL_S0 + 2 * u16::from(n) + 1, (value >> 32) as u32)
}

/// The byte lane of a special register in the REGSEL 20 word; `None` for other registers.
pub fn special_lane(reg: CortexMRegId) -> Option<u32> {
    match reg {
        CortexMRegId::Primask => Some(0),
        CortexMRegId::Basepri => Some(8),
        CortexMRegId::Faultmask => Some(16),
        CortexMRegId::Control => Some(24),
        _ => None,
    }
}

/// The REGSEL 20 word of `regs`, with the lanes of registers the core lacks zero (reserved).
fn special_word(regs: &CortexMRegs) -> u32 {
    [
        CortexMRegId::Primask,
        CortexMRegId::Basepri,
        CortexMRegId::Faultmask,
        CortexMRegId::Control,
    ]
    .into_iter()
    .filter(|reg| regs.set.has(*reg))
    .fold(0, |word, reg| {
        word | u32::from(regs.get(reg)[0]) << special_lane(reg).expect("special")
    })
}

/// Reads every register of the core's set.
pub fn read_all(core: &mut Core, set: RegisterSet) -> Result<CortexMRegs, probe_rs::Error> {
    let mut regs = CortexMRegs::of(set);
    for (n, r) in regs.r.iter_mut().enumerate() {
        *r = read32(core, n as u16)?;
    }
    regs.xpsr = read32(core, REGSEL_XPSR)?;
    regs.msp = read32(core, REGSEL_MSP)?;
    regs.psp = read32(core, REGSEL_PSP)?;
    let special = read32(core, REGSEL_SPECIAL)?;
    for reg in [
        CortexMRegId::Primask,
        CortexMRegId::Basepri,
        CortexMRegId::Faultmask,
        CortexMRegId::Control,
    ] {
        if set.has(reg) {
            let lane = special_lane(reg).expect("special");
            regs.set(reg, &[(special >> lane) as u8]);
        }
    }
    if set.has_fpu() {
        for n in 0..16u8 {
            regs.d[n as usize] = read_d(core, n)?;
        }
        regs.fpscr = read32(core, REGSEL_FPSCR)?;
    }
    Ok(regs)
}

/// Writes every register of the block that differs from `old` (all of them without `old`).
/// The block's set must be the core's: the caller checks.
pub fn write_all(
    core: &mut Core,
    regs: &CortexMRegs,
    old: Option<&CortexMRegs>,
) -> Result<(), probe_rs::Error> {
    // A block of another set says nothing about what the core holds.
    let old = old.filter(|o| o.set == regs.set);
    let changed32 = |new: u32, old: Option<u32>| old != Some(new);
    for n in 0..16 {
        if changed32(regs.r[n], old.map(|o| o.r[n])) {
            write32(core, n as u16, regs.r[n])?;
        }
    }
    for (regsel, new, prev) in [
        (REGSEL_XPSR, regs.xpsr, old.map(|o| o.xpsr)),
        (REGSEL_MSP, regs.msp, old.map(|o| o.msp)),
        (REGSEL_PSP, regs.psp, old.map(|o| o.psp)),
        (REGSEL_SPECIAL, special_word(regs), old.map(special_word)),
    ] {
        if changed32(new, prev) {
            write32(core, regsel, new)?;
        }
    }
    if regs.set.has_fpu() {
        for n in 0..16 {
            if old.map(|o| o.d[n]) != Some(regs.d[n]) {
                write_d(core, n as u8, regs.d[n])?;
            }
        }
        if changed32(regs.fpscr, old.map(|o| o.fpscr)) {
            write32(core, REGSEL_FPSCR, regs.fpscr)?;
        }
    }
    Ok(())
}

/// Reads one register into `buf` (little endian); returns its size. The register must be one
/// of the core's: the caller checks.
pub fn read_one(
    core: &mut Core,
    reg: CortexMRegId,
    buf: &mut [u8],
) -> Result<usize, probe_rs::Error> {
    let bytes: Vec<u8> = match (reg, special_lane(reg)) {
        (CortexMRegId::D(n), _) => read_d(core, n)?.to_le_bytes().to_vec(),
        (_, Some(lane)) => vec![(read32(core, REGSEL_SPECIAL)? >> lane) as u8],
        (other, None) => read32(core, regsel32(other))?.to_le_bytes().to_vec(),
    };
    let n = bytes.len().min(buf.len());
    buf[..n].copy_from_slice(&bytes[..n]);
    Ok(n)
}

/// Writes one register of the core's `set` from its little-endian bytes. Returns false if
/// `val` has the wrong size. The register must be one of the core's: the caller checks.
pub fn write_one(
    core: &mut Core,
    set: RegisterSet,
    reg: CortexMRegId,
    val: &[u8],
) -> Result<bool, probe_rs::Error> {
    if val.len() != reg.size() {
        return Ok(false);
    }
    match (reg, special_lane(reg)) {
        (CortexMRegId::D(n), _) => {
            let b = <[u8; 8]>::try_from(val).expect("size checked");
            write_d(core, n, u64::from_le_bytes(b))?;
        }
        // One byte of the combined word: the others are written back as they are, the lanes
        // of registers the core lacks as zero (reserved).
        (_, Some(_)) => {
            let mut regs = CortexMRegs::of(set);
            let now = read32(core, REGSEL_SPECIAL)?;
            for other in [
                CortexMRegId::Primask,
                CortexMRegId::Basepri,
                CortexMRegId::Faultmask,
                CortexMRegId::Control,
            ] {
                let lane = special_lane(other).expect("special");
                regs.set(other, &[(now >> lane) as u8]);
            }
            regs.set(reg, val);
            write32(core, REGSEL_SPECIAL, special_word(&regs))?;
        }
        (other, None) => {
            let b = <[u8; 4]>::try_from(val).expect("size checked");
            write32(core, regsel32(other), u32::from_le_bytes(b))?;
        }
    }
    Ok(true)
}

/// DCRSR REGSEL of a 32-bit register (of the four special ones, their combined word).
pub fn regsel32(reg: CortexMRegId) -> u16 {
    match reg {
        CortexMRegId::Core(n) => u16::from(n),
        CortexMRegId::Xpsr => REGSEL_XPSR,
        CortexMRegId::Msp => REGSEL_MSP,
        CortexMRegId::Psp => REGSEL_PSP,
        CortexMRegId::Fpscr => REGSEL_FPSCR,
        CortexMRegId::Primask
        | CortexMRegId::Basepri
        | CortexMRegId::Faultmask
        | CortexMRegId::Control => REGSEL_SPECIAL,
        // d registers are two S registers; callers handle them.
        CortexMRegId::D(n) => REGSEL_S0 + 2 * u16::from(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regsel_numbers_follow_dcrsr() {
        assert_eq!(regsel32(CortexMRegId::Core(0)), 0);
        assert_eq!(regsel32(CortexMRegId::Core(15)), 15);
        assert_eq!(regsel32(CortexMRegId::Xpsr), 16);
        assert_eq!(regsel32(CortexMRegId::Msp), 17);
        assert_eq!(regsel32(CortexMRegId::Psp), 18);
        assert_eq!(regsel32(CortexMRegId::Control), 20);
        assert_eq!(regsel32(CortexMRegId::Fpscr), 33);
        assert_eq!(regsel32(CortexMRegId::D(0)), 64);
        assert_eq!(regsel32(CortexMRegId::D(15)), 94);
    }

    #[test]
    fn the_special_word_leaves_the_lanes_an_armv6m_core_lacks_zero() {
        let mut regs = CortexMRegs::of(RegisterSet::V7MFp);
        regs.primask = 1;
        regs.basepri = 0x40;
        regs.faultmask = 1;
        regs.control = 3;
        assert_eq!(special_word(&regs), 0x0301_4001);
        regs.set = RegisterSet::V6M;
        assert_eq!(special_word(&regs), 0x0300_0001);
    }
}
