//! The FP extension's access rules and context: the CPACR check, ExecuteFPCheck (a new FP
//! context under FPCCR.ASPEN, lazy state preservation under FPCCR.LSPACT), and the
//! caller-saved FP state as the extended exception frame holds it.

use crate::bus::Bus;
use crate::core::{Core, Mem};
use crate::instr::Trap;
use crate::regs::{control, FpRegs};

use super::fpscr;

/// SCB_CPACR fields (B3.2.20): CP10 at `[21:20]`, CP11 at `[23:22]`.
pub mod cpacr {
    pub const CP10_SHIFT: u32 = 20;
    pub const CP11_SHIFT: u32 = 22;
    pub const FIELD_MASK: u32 = 0b11;
    /// Access denied: any access is a NOCP UsageFault.
    pub const DENIED: u32 = 0b00;
    /// Privileged access only.
    pub const PRIVILEGED: u32 = 0b01;
    /// Reserved: UNPREDICTABLE.
    pub const RESERVED: u32 = 0b10;
    /// Full access.
    pub const FULL: u32 = 0b11;
}

/// FPCCR bits (B3.2.21).
pub mod fpccr {
    /// Automatic state preservation: the first FP instruction of a context sets CONTROL.FPCA.
    pub const ASPEN: u32 = 1 << 31;
    /// Lazy state preservation enabled.
    pub const LSPEN: u32 = 1 << 30;
    /// Lazy state preservation is pending: space is reserved at FPCAR for S0-S15 and FPSCR.
    pub const LSPACT: u32 = 1 << 0;
}

/// Words of FP state in an extended exception frame after the basic frame: S0-S15, FPSCR and
/// a reserved word (the frame's +0x20..+0x68).
pub const FRAME_WORDS: usize = 18;
/// Offset of FPSCR from the start of the FP part of the frame (FPCAR points at S0).
pub const FRAME_FPSCR_OFFSET: u32 = 0x40;

/// CheckVFPEnabled (B1.5.x and B3.2.20): whether CPACR lets the current mode use CP10/CP11.
/// The two fields must be programmed alike; differing fields and the reserved value 0b10 are
/// UNPREDICTABLE and stop the core rather than guess.
pub fn check_access(core: &Core) -> Result<(), Trap> {
    if !core.config.has_fpu() {
        return Err(Trap::NoCoprocessor);
    }
    let cp10 = (core.sys.cpacr >> cpacr::CP10_SHIFT) & cpacr::FIELD_MASK;
    let cp11 = (core.sys.cpacr >> cpacr::CP11_SHIFT) & cpacr::FIELD_MASK;
    if cp10 != cp11 {
        return Err(Trap::Unmodelled(
            "CPACR.CP10 and CPACR.CP11 differ (UNPREDICTABLE, B3.2.20)",
        ));
    }
    match cp10 {
        cpacr::FULL => Ok(()),
        cpacr::PRIVILEGED if core.regs.privileged() => Ok(()),
        cpacr::RESERVED => Err(Trap::Unmodelled(
            "CPACR.CP10/CP11 = 0b10, a reserved value (UNPREDICTABLE, B3.2.20)",
        )),
        _ => Err(Trap::NoCoprocessor),
    }
}

/// ExecuteFPCheck (B1.5.x), which every FP instruction runs before anything else:
/// 1. CheckVFPEnabled: CPACR denies → NOCP UsageFault ([`check_access`]);
/// 2. FPCCR.LSPACT set → PreserveFPState: S0-S15 and FPSCR are written to the frame space at
///    FPCAR and LSPACT is cleared ([`preserve_fp_state`]);
/// 3. FPCCR.ASPEN set and CONTROL.FPCA clear → a new FP context: CONTROL.FPCA is set and
///    FPSCR's AHP, DN, FZ and RMode are loaded from FPDSCR (FPSCR<26:22> = FPDSCR<26:22>; the
///    flags and NZCV are kept).
///
/// As in the ARM ARM these effects precede the instruction's own memory accesses, so they stay
/// when a VLDR/VLDM/VSTR/VSTM then faults (the fault is then stacked with an FP context).
pub fn check(core: &mut Core, bus: &mut dyn Bus) -> Result<(), Trap> {
    check_access(core)?;
    if core.sys.fpccr & fpccr::LSPACT != 0 {
        preserve_fp_state(core, bus)?;
    }
    if core.sys.fpccr & fpccr::ASPEN != 0 && core.regs.control & control::FPCA == 0 {
        let defaults = fpscr::bits::DEFAULTS_FROM_FPDSCR;
        core.fp.fpscr = (core.fp.fpscr & !defaults) | (core.sys.fpdscr & defaults);
        let (ipsr, control) = (core.regs.ipsr, core.regs.control | control::FPCA);
        core.regs.set_mode(ipsr, control);
    }
    Ok(())
}

/// PreserveFPState (B1.5.x): the lazy half of FP context stacking. Writes S0-S15 at FPCAR and
/// FPSCR at FPCAR+0x40 (the layout of [`caller_saved`]), then clears FPCCR.LSPACT.
///
/// Simplifications, both loud rather than silent: the writes use the current privilege (the
/// architecture uses the one FPCCR.USER recorded at stacking, which only an MPU could tell
/// apart), and a fault on them — architecturally a BusFault/MemManage with LSPERR/MLSPERR at
/// the recorded priorities — stops the core as unmodelled.
pub fn preserve_fp_state(core: &mut Core, bus: &mut dyn Bus) -> Result<(), Trap> {
    let words = caller_saved(&core.fp);
    let base = core.sys.fpcar;
    for (i, word) in words.iter().take(17).enumerate() {
        let address = base.wrapping_add(4 * i as u32);
        core.write(bus, address, *word, 4, Mem::Aligned)
            .map_err(|_| {
                Trap::Unmodelled("a fault during lazy FP state preservation (LSPERR/MLSPERR)")
            })?;
    }
    core.sys.fpccr &= !fpccr::LSPACT;
    Ok(())
}

/// The caller-saved FP state as an extended exception frame holds it after the basic frame:
/// S0-S15, FPSCR, and a reserved word (written as zero).
pub fn caller_saved(fp: &FpRegs) -> [u32; FRAME_WORDS] {
    let mut words = [0; FRAME_WORDS];
    words[..16].copy_from_slice(&fp.s[..16]);
    words[16] = fp.fpscr;
    words
}

/// Restores S0-S15 and FPSCR from an extended frame's FP words (as read from the stack on
/// exception return); FPSCR's reserved bits stay zero.
pub fn restore_caller_saved(fp: &mut FpRegs, words: &[u32; FRAME_WORDS]) {
    fp.s[..16].copy_from_slice(&words[..16]);
    fp.fpscr = words[16] & fpscr::bits::WRITABLE;
}
