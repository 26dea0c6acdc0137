//! MRS, MSR and CPS: the special-purpose registers and their access rules (ARMv7-M ARM B5.2.2,
//! B5.2.3, B5.2.1; ARMv6-M has no BASEPRI/FAULTMASK and no GE bits).

use crate::config::Arch;
use crate::core::Core;
use crate::regs::{control, psr};

/// SYSm numbers (B5.1.1).
pub mod sysm {
    pub const APSR: u8 = 0;
    pub const IAPSR: u8 = 1;
    pub const EAPSR: u8 = 2;
    pub const XPSR: u8 = 3;
    pub const IPSR: u8 = 5;
    pub const EPSR: u8 = 6;
    pub const IEPSR: u8 = 7;
    pub const MSP: u8 = 8;
    pub const PSP: u8 = 9;
    pub const PRIMASK: u8 = 16;
    pub const BASEPRI: u8 = 17;
    pub const BASEPRI_MAX: u8 = 18;
    pub const FAULTMASK: u8 = 19;
    pub const CONTROL: u8 = 20;
}

/// Whether `sysm` names a register this core has (others are UNPREDICTABLE encodings).
pub fn sysm_exists(core: &Core, sysm: u8) -> bool {
    let v7 = core.config.arch >= Arch::V7M;
    matches!(sysm, 0..=3 | 5..=9 | 16 | 20) || (v7 && matches!(sysm, 17..=19))
}

/// The APSR bits MRS reads and MSR writes: NZCVQ, GE with the DSP extension, and only NZCV
/// on ARMv6-M, whose APSR has no Q bit (ARMv6-M ARM B1.4, the special-purpose registers).
fn apsr_mask(core: &Core) -> u32 {
    if core.config.has_dsp() {
        psr::APSR_MASK
    } else if core.config.arch == Arch::V6M {
        psr::NZCV
    } else {
        psr::NZCV | psr::Q
    }
}

/// Implemented bits of an 8-bit priority field.
pub fn priority_mask(core: &Core) -> u8 {
    (0xFFu16 << (8 - u16::from(core.config.priority_bits))) as u8
}

/// MRS Rd, <spec_reg>.
pub fn read_special(core: &Core, sysm: u8) -> u32 {
    let r = &core.regs;
    let privileged = r.privileged();
    match sysm {
        0..=7 => {
            let mut value = 0;
            if sysm & 4 == 0 {
                value |= r.apsr & apsr_mask(core);
            }
            if sysm & 1 != 0 && privileged {
                value |= u32::from(r.ipsr);
            }
            // EPSR reads as zero (B5.2.2).
            value
        }
        sysm::MSP if privileged => r.msp(),
        sysm::PSP if privileged => r.psp(),
        sysm::PRIMASK if privileged => u32::from(r.primask),
        sysm::BASEPRI | sysm::BASEPRI_MAX if privileged => u32::from(r.basepri),
        sysm::FAULTMASK if privileged => u32::from(r.faultmask),
        sysm::CONTROL => {
            let mut mask = control::NPRIV | control::SPSEL;
            if core.config.has_fpu() {
                mask |= control::FPCA;
            }
            r.control & mask
        }
        _ => 0,
    }
}

/// MSR <spec_reg>, Rn. `mask` is the instruction's mask field (bit 1: NZCVQ, bit 0: GE), used
/// only for the APSR forms.
pub fn write_special(core: &mut Core, sysm: u8, mask: u8, value: u32) {
    let privileged = core.regs.privileged();
    if sysm >= sysm::MSP {
        // A mask lowered or CONTROL changed: a pending exception may preempt now (B1.5.4),
        // taken before the next instruction.
        core.sys.attention = true;
    }
    match sysm {
        0..=3 => {
            let mut bits = 0;
            if mask & 0b10 != 0 {
                bits |= psr::NZCV | psr::Q;
            }
            if mask & 0b01 != 0 {
                bits |= psr::GE_MASK;
            }
            bits &= apsr_mask(core);
            let r = &mut core.regs;
            r.apsr = (r.apsr & !bits) | (value & bits);
        }
        _ if !privileged => {}
        sysm::MSP => core.regs.set_msp(value),
        sysm::PSP => core.regs.set_psp(value),
        sysm::PRIMASK => core.regs.primask = value & 1 != 0,
        sysm::BASEPRI => core.regs.basepri = (value as u8) & priority_mask(core),
        sysm::BASEPRI_MAX => {
            let new = (value as u8) & priority_mask(core);
            let old = core.regs.basepri;
            if new != 0 && (new < old || old == 0) {
                core.regs.basepri = new;
            }
        }
        // FAULTMASK is not settable while the execution priority is -1 or higher (NMI,
        // HardFault).
        sysm::FAULTMASK if value & 1 == 0 || core.sys.execution_priority(&core.regs) > -1 => {
            core.regs.faultmask = value & 1 != 0;
        }
        sysm::CONTROL => {
            let r = &mut core.regs;
            let mut control = (r.control & !control::NPRIV) | (value & control::NPRIV);
            // SPSEL is written only in Thread mode (B5.2.3).
            if !r.handler_mode() {
                control = (control & !control::SPSEL) | (value & control::SPSEL);
            }
            if core.config.has_fpu() {
                control = (control & !control::FPCA) | (value & control::FPCA);
            }
            let ipsr = r.ipsr;
            r.set_mode(ipsr, control);
        }
        _ => {}
    }
}

/// CPSIE/CPSID: `disable` sets the masks, `i` names PRIMASK, `f` FAULTMASK. Unprivileged: no
/// effect. FAULTMASK cannot be set at priority -1 or higher.
pub fn change_processor_state(core: &mut Core, disable: bool, i: bool, f: bool) {
    if !core.regs.privileged() {
        return;
    }
    core.sys.attention = true;
    if i {
        core.regs.primask = disable;
    }
    if f && (!disable || core.sys.execution_priority(&core.regs) > -1) {
        core.regs.faultmask = disable;
    }
}
