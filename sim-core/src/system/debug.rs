//! Halting debug (ARMv7-M ARM C1.4–C1.6; ARMv6-M C1): DHCSR, DCRSR/DCRDR register transfers,
//! DEMCR (vector catch, DebugMonitor control, TRCENA), DFSR, halting and resuming, single step,
//! and what a debug event does when halting debug is off.
//!
//! Rules followed here:
//! - DHCSR writes need DBGKEY (0xA05F) in `[31:16]`. Software (the core's own writes) cannot
//!   change C_DEBUGEN (C1.6.2); the debugger can.
//! - Entering Debug state sets C_HALT (the debugger resumes by writing C_HALT = 0); a step
//!   (C_STEP with C_HALT = 0) runs one instruction — or takes one pending exception and stops
//!   on its handler's first instruction — then halts again. With C_MASKINTS, PendSV, SysTick
//!   and external interrupts are not taken (while stepping or running). WFI and WFE complete
//!   without sleeping when stepped.
//! - S_RESET_ST and S_RETIRE_ST are cleared by a debugger read of DHCSR.
//! - DCRSR transfers complete at once (S_REGRDY reads 1). A register write is carried out only
//!   while halted (C1.6.3 makes it UNPREDICTABLE otherwise); reads are allowed any time.
//! - REGSEL 15 (DebugReturnAddress) sets the PC with bit 0 cleared; EPSR.T is written only
//!   through xPSR (REGSEL 16).
//! - A system reset keeps DHCSR.C_DEBUGEN/C_MASKINTS, DEMCR, the FPB and the DWT (C1.4); the
//!   core then runs unless DEMCR.VC_CORERESET halts it at the reset vector (C_HALT is cleared,
//!   as the simulator this core replaces did, which probe-rs works with).

use crate::bus::Bus;
use crate::core::Core;
use crate::regs::{control, psr};

use super::exceptions::number;
use super::fault::Fault;
use super::HaltReason;

/// DHCSR fields (C1.6.2).
pub mod dhcsr {
    pub const DBGKEY: u32 = 0xA05F << 16;
    pub const C_DEBUGEN: u32 = 1 << 0;
    pub const C_HALT: u32 = 1 << 1;
    pub const C_STEP: u32 = 1 << 2;
    pub const C_MASKINTS: u32 = 1 << 3;
    pub const C_SNAPSTALL: u32 = 1 << 5;
    pub const CONTROL: u32 = C_DEBUGEN | C_HALT | C_STEP | C_MASKINTS | C_SNAPSTALL;
    /// ARMv6-M has no C_SNAPSTALL (ARMv6-M ARM, debug registers, DHCSR).
    pub const CONTROL_V6: u32 = C_DEBUGEN | C_HALT | C_STEP | C_MASKINTS;
    pub const S_REGRDY: u32 = 1 << 16;
    pub const S_HALT: u32 = 1 << 17;
    pub const S_SLEEP: u32 = 1 << 18;
    pub const S_LOCKUP: u32 = 1 << 19;
    pub const S_RETIRE_ST: u32 = 1 << 24;
    pub const S_RESET_ST: u32 = 1 << 25;
}

/// DFSR bits (C1.6.1), write-one-to-clear.
pub mod dfsr {
    pub const HALTED: u32 = 1 << 0;
    pub const BKPT: u32 = 1 << 1;
    pub const DWTTRAP: u32 = 1 << 2;
    pub const VCATCH: u32 = 1 << 3;
    pub const EXTERNAL: u32 = 1 << 4;
    pub const MASK: u32 = 0x1F;
}

/// DEMCR bits (C1.6.5).
pub mod demcr {
    pub const VC_CORERESET: u32 = 1 << 0;
    pub const VC_MMERR: u32 = 1 << 4;
    pub const VC_NOCPERR: u32 = 1 << 5;
    pub const VC_CHKERR: u32 = 1 << 6;
    pub const VC_STATERR: u32 = 1 << 7;
    pub const VC_BUSERR: u32 = 1 << 8;
    pub const VC_INTERR: u32 = 1 << 9;
    pub const VC_HARDERR: u32 = 1 << 10;
    pub const MON_EN: u32 = 1 << 16;
    pub const MON_PEND: u32 = 1 << 17;
    pub const MON_STEP: u32 = 1 << 18;
    pub const MON_REQ: u32 = 1 << 19;
    pub const TRCENA: u32 = 1 << 24;
    /// ARMv6-M's name for bit 24: the global enable of the DWT (there is no trace to enable).
    pub const DWTENA: u32 = TRCENA;
    /// Writable on ARMv7-M.
    pub const MASK_V7: u32 = 0x010F_07F1;
    /// Writable on ARMv6-M: VC_CORERESET, VC_HARDERR, DWTENA (ARMv6-M ARM, debug registers, DEMCR).
    pub const MASK_V6: u32 = VC_CORERESET | VC_HARDERR | DWTENA;
}

/// DCRSR fields (C1.6.3).
pub mod dcrsr {
    pub const REGSEL_MASK: u32 = 0x7F;
    pub const REGWNR: u32 = 1 << 16;
}

/// DCRSR.REGSEL values (C1.6.3, Table C1-9).
pub mod regsel {
    pub const SP: u32 = 13;
    pub const LR: u32 = 14;
    pub const DEBUG_RETURN_ADDRESS: u32 = 15;
    pub const XPSR: u32 = 16;
    pub const MSP: u32 = 17;
    pub const PSP: u32 = 18;
    pub const CONTROL_FAULTMASK_BASEPRI_PRIMASK: u32 = 20;
    pub const FPSCR: u32 = 33;
    pub const S0: u32 = 64;
    pub const S31: u32 = 95;
}

/// The debug registers and the halted state.
#[derive(Debug, Clone, Default)]
pub struct Debug {
    /// DHCSR's control bits (C_*).
    pub dhcsr: u32,
    /// Why the core is in Debug state, when it is.
    pub halted: Option<HaltReason>,
    pub reset_st: bool,
    pub retire_st: bool,
    pub dfsr: u32,
    pub demcr: u32,
    pub dcrdr: u32,
    /// The core halted on an FPB or DWT instruction-address match at this PC: resuming runs
    /// that instruction without matching it again.
    pub code_break_pc: Option<u32>,
    /// Set on resume from such a halt: the first instruction at this PC is not checked.
    pub skip_code_watch_at: Option<u32>,
}

impl Debug {
    pub fn debug_enabled(&self) -> bool {
        self.dhcsr & dhcsr::C_DEBUGEN != 0
    }

    pub fn mask_interrupts(&self) -> bool {
        self.dhcsr & (dhcsr::C_DEBUGEN | dhcsr::C_MASKINTS)
            == (dhcsr::C_DEBUGEN | dhcsr::C_MASKINTS)
    }

    pub fn trcena(&self) -> bool {
        self.demcr & demcr::TRCENA != 0
    }

    /// Power-on reset of the debug registers.
    pub fn power_on_reset(&mut self) {
        *self = Debug {
            reset_st: true,
            ..Debug::default()
        };
    }
}

impl Core {
    /// Enters Debug state for `reason`, recording `dfsr_bits`.
    pub(crate) fn halt(&mut self, reason: HaltReason, dfsr_bits: u32) {
        let d = &mut self.sys.debug;
        d.halted = Some(reason);
        d.dhcsr |= dhcsr::C_HALT;
        d.dhcsr &= !dhcsr::C_STEP;
        d.dfsr |= dfsr_bits;
        d.skip_code_watch_at = None;
        if !matches!(reason, HaltReason::Breakpoint | HaltReason::Watchpoint) {
            d.code_break_pc = None;
        }
        // Entering Debug state ends sleep and lockup (C1.4: a locked-up core can be halted).
        self.sys.sleep = None;
        self.sys.lockup = None;
        self.sys.attention = true;
    }

    /// Leaves Debug state; with `step`, runs one step and halts again.
    pub(crate) fn resume(&mut self, bus: &mut dyn Bus, step: bool) {
        let d = &mut self.sys.debug;
        d.halted = None;
        d.skip_code_watch_at = d.code_break_pc.take();
        self.sys.attention = true;
        if step {
            self.debug_step(bus);
        }
    }

    /// A breakpoint debug event (BKPT instruction or FPB match) at the PC, which does not
    /// execute: halt when halting debug is enabled; else the DebugMonitor exception when it is
    /// enabled and can be taken; else HardFault with HFSR.DEBUGEVT (C1.5, B1.5.15).
    pub(crate) fn debug_event_breakpoint(&mut self, reason: HaltReason) {
        if self.sys.debug.debug_enabled() {
            if reason == HaltReason::Breakpoint {
                self.sys.debug.code_break_pc = Some(self.regs.r[15]);
            }
            self.halt(reason, dfsr::BKPT);
            return;
        }
        self.sys.debug.dfsr |= dfsr::BKPT;
        if self.monitor_can_take() {
            self.sys.exceptions.set_pending(number::DEBUG_MONITOR);
            self.sys.attention = true;
        } else {
            self.raise_fault(Fault::debug_event());
        }
    }

    /// A watchpoint debug event (DWT match): halt when halting debug is enabled, else the
    /// DebugMonitor exception if it can be taken, else nothing (watchpoints do not escalate).
    pub(crate) fn debug_event_watchpoint(&mut self) {
        if self.sys.debug.debug_enabled() {
            self.halt(HaltReason::Watchpoint, dfsr::DWTTRAP);
        } else if self.monitor_can_take() {
            self.sys.debug.dfsr |= dfsr::DWTTRAP;
            self.sys.exceptions.set_pending(number::DEBUG_MONITOR);
            self.sys.attention = true;
        }
    }

    fn monitor_can_take(&self) -> bool {
        self.sys.debug.demcr & demcr::MON_EN != 0
            && self
                .sys
                .exceptions
                .can_preempt(number::DEBUG_MONITOR, &self.regs)
    }

    /// DHCSR as read: control bits and status.
    pub(crate) fn read_dhcsr(&mut self, debugger: bool) -> u32 {
        let d = &mut self.sys.debug;
        let mut value = (d.dhcsr & dhcsr::CONTROL) | dhcsr::S_REGRDY;
        if d.halted.is_some() {
            value |= dhcsr::S_HALT;
        }
        if self.sys.sleep.is_some() {
            value |= dhcsr::S_SLEEP;
        }
        if self.sys.lockup.is_some() {
            value |= dhcsr::S_LOCKUP;
        }
        if d.retire_st {
            value |= dhcsr::S_RETIRE_ST;
        }
        if d.reset_st {
            value |= dhcsr::S_RESET_ST;
        }
        if debugger {
            d.retire_st = false;
            d.reset_st = false;
        }
        value
    }

    /// A DHCSR write (key already checked by the caller): halts, resumes or steps.
    pub(crate) fn write_dhcsr(&mut self, bus: &mut dyn Bus, value: u32, debugger: bool) {
        let old = self.sys.debug.dhcsr;
        let control = if self.config.arch == crate::config::Arch::V6M {
            dhcsr::CONTROL_V6
        } else {
            dhcsr::CONTROL
        };
        let mut new = value & control;
        if !debugger {
            // Software cannot change C_DEBUGEN, and without it the other bits do nothing.
            new = (new & !dhcsr::C_DEBUGEN) | (old & dhcsr::C_DEBUGEN);
            if new & dhcsr::C_DEBUGEN == 0 {
                return;
            }
        }
        if new & dhcsr::C_DEBUGEN == 0 {
            new = 0;
        }
        self.sys.debug.dhcsr = new;
        self.sys.attention = true;
        let halted = self.sys.debug.halted.is_some();
        let wants_halt = new & dhcsr::C_HALT != 0;
        if !halted && wants_halt {
            self.halt(HaltReason::Request, dfsr::HALTED);
        } else if halted && !wants_halt {
            let step = new & dhcsr::C_STEP != 0 && debugger;
            self.resume(bus, step);
        }
    }

    /// DCRSR: one register transfer between DCRDR and the core registers.
    pub(crate) fn register_transfer(&mut self, value: u32) {
        let sel = value & dcrsr::REGSEL_MASK;
        if value & dcrsr::REGWNR != 0 {
            if self.sys.debug.halted.is_none() {
                log::debug!("DCRSR write of register {sel} while not halted: ignored");
                return;
            }
            let data = self.sys.debug.dcrdr;
            if !self.write_core_register(sel, data) {
                log::debug!("DCRSR write of unknown register {sel}: ignored");
            }
        } else {
            self.sys.debug.dcrdr = self.read_core_register(sel).unwrap_or(0);
        }
    }

    /// A core register by DCRSR.REGSEL (C1.6.3).
    pub fn read_core_register(&self, sel: u32) -> Option<u32> {
        let r = &self.regs;
        let fpu = self.config.has_fpu();
        Some(match sel {
            0..=12 | regsel::SP | regsel::LR => r.r[sel as usize],
            regsel::DEBUG_RETURN_ADDRESS => r.r[15],
            regsel::XPSR => r.xpsr(),
            regsel::MSP => r.msp(),
            regsel::PSP => r.psp(),
            regsel::CONTROL_FAULTMASK_BASEPRI_PRIMASK => {
                let mut control_mask = control::NPRIV | control::SPSEL;
                if fpu {
                    control_mask |= control::FPCA;
                }
                ((r.control & control_mask) << 24)
                    | (u32::from(r.faultmask) << 16)
                    | (u32::from(r.basepri) << 8)
                    | u32::from(r.primask)
            }
            regsel::FPSCR if fpu => self.fp.fpscr,
            regsel::S0..=regsel::S31 if fpu => self.fp.s[(sel - regsel::S0) as usize],
            _ => return None,
        })
    }

    /// Writes a core register by DCRSR.REGSEL; `false` for a selector this core lacks.
    pub fn write_core_register(&mut self, sel: u32, value: u32) -> bool {
        let fpu = self.config.has_fpu();
        let v7 = self.config.arch != crate::config::Arch::V6M;
        match sel {
            0..=12 | regsel::LR => self.regs.r[sel as usize] = value,
            regsel::SP => self.regs.r[13] = value & !3,
            regsel::DEBUG_RETURN_ADDRESS => {
                self.regs.r[15] = value & !1;
                self.pending_exception_return = None;
            }
            // ARMv6-M's xPSR has N, Z, C, V, T and a 6-bit exception number; the other bits
            // (Q, GE, IT) are reserved there.
            regsel::XPSR if !v7 => self.regs.set_xpsr(value & (psr::NZCV | psr::T | 0x3F)),
            regsel::XPSR => self.regs.set_xpsr(value),
            regsel::MSP => self.regs.set_msp(value),
            regsel::PSP => self.regs.set_psp(value),
            regsel::CONTROL_FAULTMASK_BASEPRI_PRIMASK => {
                let r = &mut self.regs;
                r.primask = value & 1 != 0;
                if v7 {
                    r.basepri = ((value >> 8) as u8) & self.sys.exceptions.priority_mask();
                    r.faultmask = (value >> 16) & 1 != 0;
                }
                let mut control_mask = control::NPRIV | control::SPSEL;
                if fpu {
                    control_mask |= control::FPCA;
                }
                let control = (value >> 24) & control_mask;
                let ipsr = r.ipsr;
                r.set_mode(ipsr, control);
            }
            regsel::FPSCR if fpu => self.fp.fpscr = value,
            regsel::S0..=regsel::S31 if fpu => self.fp.s[(sel - regsel::S0) as usize] = value,
            _ => return false,
        }
        self.sys.attention = true;
        true
    }

    /// The external debug request (EDBGRQ): halts with DFSR.EXTERNAL when halting debug is
    /// enabled.
    pub fn external_debug_request(&mut self) {
        if self.sys.debug.debug_enabled() && self.sys.debug.halted.is_none() {
            self.halt(HaltReason::External, dfsr::EXTERNAL);
        }
    }
}
