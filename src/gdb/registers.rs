//! Register access through probe-rs: the `g`/`G` block and single registers (`p`/`P`).
//!
//! probe-rs numbers core registers by their DCRSR REGSEL value: R0–R15 = 0–15, xPSR = 16,
//! MSP = 17, PSP = 18, FPSCR = 33, S0–S31 = 64–95. It has no D registers: d_n is built from
//! S_{2n} (low word) and S_{2n+1} (high word).

use probe_rs::{Core, RegisterId};

use super::arch::{CortexM7RegId, CortexM7Regs};

/// DCRSR REGSEL of xPSR.
pub const REGSEL_XPSR: u16 = 16;
/// DCRSR REGSEL of MSP.
pub const REGSEL_MSP: u16 = 17;
/// DCRSR REGSEL of PSP.
pub const REGSEL_PSP: u16 = 18;
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

/// Whether the core has an FPU whose registers can be read (F76x/F77x: yes).
pub fn has_fpu(core: &mut Core) -> bool {
    core.fpu_support().unwrap_or(false)
}

/// Reads every register of the `g` block. FPU registers read as 0 when `fpu` is false.
pub fn read_all(core: &mut Core, fpu: bool) -> Result<CortexM7Regs, probe_rs::Error> {
    let mut regs = CortexM7Regs::default();
    for (n, r) in regs.r.iter_mut().enumerate() {
        *r = read32(core, n as u16)?;
    }
    regs.xpsr = read32(core, REGSEL_XPSR)?;
    regs.msp = read32(core, REGSEL_MSP)?;
    regs.psp = read32(core, REGSEL_PSP)?;
    if fpu {
        for n in 0..16u8 {
            regs.d[n as usize] = read_d(core, n)?;
        }
        regs.fpscr = read32(core, REGSEL_FPSCR)?;
    }
    Ok(regs)
}

/// Writes every register of the `g` block that differs from `old` (all of them without `old`).
pub fn write_all(
    core: &mut Core,
    regs: &CortexM7Regs,
    old: Option<&CortexM7Regs>,
    fpu: bool,
) -> Result<(), probe_rs::Error> {
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
    ] {
        if changed32(new, prev) {
            write32(core, regsel, new)?;
        }
    }
    if fpu {
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

/// Reads one register into `buf` (little endian); returns its size.
pub fn read_one(
    core: &mut Core,
    reg: CortexM7RegId,
    buf: &mut [u8],
) -> Result<usize, probe_rs::Error> {
    let bytes: Vec<u8> = match reg {
        CortexM7RegId::D(n) => read_d(core, n)?.to_le_bytes().to_vec(),
        other => read32(core, regsel32(other))?.to_le_bytes().to_vec(),
    };
    let n = bytes.len().min(buf.len());
    buf[..n].copy_from_slice(&bytes[..n]);
    Ok(n)
}

/// Writes one register from its little-endian bytes. Returns false if `val` has the wrong size.
pub fn write_one(core: &mut Core, reg: CortexM7RegId, val: &[u8]) -> Result<bool, probe_rs::Error> {
    match reg {
        CortexM7RegId::D(n) => match <[u8; 8]>::try_from(val) {
            Ok(b) => write_d(core, n, u64::from_le_bytes(b)).map(|_| true),
            Err(_) => Ok(false),
        },
        other => match <[u8; 4]>::try_from(val) {
            Ok(b) => write32(core, regsel32(other), u32::from_le_bytes(b)).map(|_| true),
            Err(_) => Ok(false),
        },
    }
}

/// DCRSR REGSEL of a 32-bit register.
pub fn regsel32(reg: CortexM7RegId) -> u16 {
    match reg {
        CortexM7RegId::Core(n) => u16::from(n),
        CortexM7RegId::Xpsr => REGSEL_XPSR,
        CortexM7RegId::Msp => REGSEL_MSP,
        CortexM7RegId::Psp => REGSEL_PSP,
        CortexM7RegId::Fpscr => REGSEL_FPSCR,
        // d registers are two S registers; callers handle them.
        CortexM7RegId::D(n) => REGSEL_S0 + 2 * u16::from(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regsel_numbers_follow_dcrsr() {
        assert_eq!(regsel32(CortexM7RegId::Core(0)), 0);
        assert_eq!(regsel32(CortexM7RegId::Core(15)), 15);
        assert_eq!(regsel32(CortexM7RegId::Xpsr), 16);
        assert_eq!(regsel32(CortexM7RegId::Msp), 17);
        assert_eq!(regsel32(CortexM7RegId::Psp), 18);
        assert_eq!(regsel32(CortexM7RegId::Fpscr), 33);
        assert_eq!(regsel32(CortexM7RegId::D(0)), 64);
        assert_eq!(regsel32(CortexM7RegId::D(15)), 94);
    }
}
