//! The memory-mapped registers of the core (ARMv7-M ARM B3.2 SCB, B3.3 SysTick, B3.4 NVIC,
//! B3.5 MPU, C1.6 debug, C1.8 DWT, C1.11 FPB; Cortex-M7 cache and TCM control), as word
//! reads and lane-masked word writes shared by the core's own accesses and the debugger's.
//!
//! Sub-word accesses read the word and pick the lanes (little-endian: byte n of a word is
//! bits [8n+7:8n]), and write only the lanes accessed. That is the architecture's behaviour for
//! the byte-accessible registers (NVIC_IPR, SHPR1–3, CFSR's MMFSR/BFSR/UFSR); for the
//! word-only registers a sub-word access is UNPREDICTABLE and this is what the simulator does.
//! Reserved addresses in the blocks the core owns read as zero and ignore writes.
//!
//! ARMv6-M (Cortex-M0/M0+): the registers it lacks (ICTR, NVIC_IABR, SHPR1, CFSR, HFSR, MMFAR,
//! BFAR, STIR, the FP, cache and MPU alias registers; ICSR.RETTOBASE, AIRCR.PRIGROUP and
//! VECTRESET) are reserved addresses or bits, read as zero and ignore writes; CCR is read-only
//! (STKALIGN and UNALIGN_TRP read as one). Sub-word accesses and the core's own accesses to the
//! debug registers follow [`super::v6m`].

use crate::bus::Bus;
use crate::config::{Arch, Config};
use crate::core::Core;

use super::debug::{demcr, dfsr, dhcsr};
use super::entry::{fpccr, VTOR_MASK};
use super::exceptions::{enable, number};
use super::fault::{cfsr, hfsr};
use super::ids::{self, Block};
use super::v6m;
use super::{ccr, dwt, fpb, mpu, scr};

/// Addresses in the System Control Space (B3.2.2 Table B3-4, B3.3.2, B3.4.3, C1.6).
pub mod address {
    pub const ICTR: u32 = 0xE000_E004;
    pub const ACTLR: u32 = 0xE000_E008;
    pub const SYST_CSR: u32 = 0xE000_E010;
    pub const SYST_RVR: u32 = 0xE000_E014;
    pub const SYST_CVR: u32 = 0xE000_E018;
    pub const SYST_CALIB: u32 = 0xE000_E01C;
    pub const NVIC_ISER0: u32 = 0xE000_E100;
    pub const NVIC_ICER0: u32 = 0xE000_E180;
    pub const NVIC_ISPR0: u32 = 0xE000_E200;
    pub const NVIC_ICPR0: u32 = 0xE000_E280;
    pub const NVIC_IABR0: u32 = 0xE000_E300;
    pub const NVIC_IPR0: u32 = 0xE000_E400;
    pub const NVIC_IPR_END: u32 = 0xE000_E5F0;
    pub const CPUID: u32 = 0xE000_ED00;
    pub const ICSR: u32 = 0xE000_ED04;
    pub const VTOR: u32 = 0xE000_ED08;
    pub const AIRCR: u32 = 0xE000_ED0C;
    pub const SCR: u32 = 0xE000_ED10;
    pub const CCR: u32 = 0xE000_ED14;
    pub const SHPR1: u32 = 0xE000_ED18;
    pub const SHPR3: u32 = 0xE000_ED20;
    pub const SHCSR: u32 = 0xE000_ED24;
    pub const CFSR: u32 = 0xE000_ED28;
    pub const HFSR: u32 = 0xE000_ED2C;
    pub const DFSR: u32 = 0xE000_ED30;
    pub const MMFAR: u32 = 0xE000_ED34;
    pub const BFAR: u32 = 0xE000_ED38;
    pub const AFSR: u32 = 0xE000_ED3C;
    pub const CLIDR: u32 = 0xE000_ED78;
    pub const CTR: u32 = 0xE000_ED7C;
    pub const CCSIDR: u32 = 0xE000_ED80;
    pub const CSSELR: u32 = 0xE000_ED84;
    pub const CPACR: u32 = 0xE000_ED88;
    pub const DHCSR: u32 = 0xE000_EDF0;
    pub const DCRSR: u32 = 0xE000_EDF4;
    pub const DCRDR: u32 = 0xE000_EDF8;
    pub const DEMCR: u32 = 0xE000_EDFC;
    pub const STIR: u32 = 0xE000_EF00;
    pub const FPCCR: u32 = 0xE000_EF34;
    pub const FPCAR: u32 = 0xE000_EF38;
    pub const FPDSCR: u32 = 0xE000_EF3C;
    pub const MVFR0: u32 = 0xE000_EF40;
    pub const MVFR2: u32 = 0xE000_EF48;
    /// Cortex-M7 cache maintenance operations, write-only (ICIALLU … BPIALL).
    pub const ICIALLU: u32 = 0xE000_EF50;
    pub const BPIALL: u32 = 0xE000_EF78;
    /// Cortex-M7 implementation control: ITCMCR, DTCMCR, AHBPCR, CACR, AHBSCR, (reserved),
    /// ABFSR.
    pub const ITCMCR: u32 = 0xE000_EF90;
    pub const ABFSR: u32 = 0xE000_EFA8;
}

/// ICSR bits (B3.2.4).
pub mod icsr {
    pub const RETTOBASE: u32 = 1 << 11;
    pub const VECTPENDING_SHIFT: u32 = 12;
    pub const ISRPENDING: u32 = 1 << 22;
    pub const ISRPREEMPT: u32 = 1 << 23;
    pub const PENDSTCLR: u32 = 1 << 25;
    pub const PENDSTSET: u32 = 1 << 26;
    pub const PENDSVCLR: u32 = 1 << 27;
    pub const PENDSVSET: u32 = 1 << 28;
    pub const NMIPENDSET: u32 = 1 << 31;
}

/// AIRCR fields (B3.2.6).
pub mod aircr {
    pub const VECTRESET: u32 = 1 << 0;
    pub const VECTCLRACTIVE: u32 = 1 << 1;
    pub const SYSRESETREQ: u32 = 1 << 2;
    pub const PRIGROUP_SHIFT: u32 = 8;
    pub const VECTKEY: u32 = 0x05FA << 16;
    pub const VECTKEYSTAT: u32 = 0xFA05 << 16;
}

/// SHCSR active and pending bits and the exceptions they belong to (B3.2.13).
const SHCSR_ACTIVE: [(u32, u16); 7] = [
    (1 << 0, number::MEM_MANAGE),
    (1 << 1, number::BUS_FAULT),
    (1 << 3, number::USAGE_FAULT),
    (1 << 7, number::SVCALL),
    (1 << 8, number::DEBUG_MONITOR),
    (1 << 10, number::PENDSV),
    (1 << 11, number::SYSTICK),
];
const SHCSR_PENDED: [(u32, u16); 4] = [
    (1 << 12, number::USAGE_FAULT),
    (1 << 13, number::MEM_MANAGE),
    (1 << 14, number::BUS_FAULT),
    (1 << 15, number::SVCALL),
];

/// Who makes an access to a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accessor {
    /// The core's own load or store.
    Cpu,
    /// The debugger through the AHB-AP.
    Debugger,
}

fn lanes_of(word: u32, lanes: u32, old: u32) -> u32 {
    (old & !lanes) | (word & lanes)
}

/// Whether the core is a Cortex-M7 (CCR and the implementation control registers differ).
pub fn is_cortex_m7(config: &Config) -> bool {
    (config.cpuid >> 4) & 0xFFF == 0xC27
}

/// Whether the core is a Cortex-M0+ (its VTOR has bit 7 RAZ/WI).
pub fn is_cortex_m0plus(config: &Config) -> bool {
    (config.cpuid >> 4) & 0xFFF == 0xC60
}

/// The writable bits of VTOR: TBLOFF `[31:7]` (B3.2.5). The Cortex-M0+ implements bit 7, the
/// least significant bit of TBLOFF, as RAZ/WI, so that the table is aligned to at least its
/// 48 vectors' size (Cortex-M0+ Devices Generic User Guide 4.3.4).
pub fn vtor_mask(config: &Config) -> u32 {
    if is_cortex_m0plus(config) {
        VTOR_MASK & !(1 << 7)
    } else {
        VTOR_MASK
    }
}

/// The last word address of the MPU's registers: ARMv6-M's PMSAv6 has no RBAR/RASR aliases
/// (ARMv6-M ARM B3.5), so 0xE000_EDA4–0xE000_EDB8 are reserved there.
fn mpu_last(config: &Config) -> u32 {
    if config.arch == Arch::V6M {
        mpu::address::RASR
    } else {
        mpu::address::LAST
    }
}

/// CCR as reset (B3.2.8; Cortex-M7: BP and STKALIGN read as one; ARMv6-M: UNALIGN_TRP and
/// STKALIGN read as one).
pub fn ccr_reset(config: &Config) -> u32 {
    if config.arch == Arch::V6M {
        ccr::STKALIGN | ccr::UNALIGN_TRP
    } else if is_cortex_m7(config) {
        ccr::STKALIGN | ccr::BP
    } else {
        ccr::STKALIGN
    }
}

fn ccr_writable(core: &Core) -> u32 {
    let common = ccr::NONBASETHRDENA
        | ccr::USERSETMPEND
        | ccr::UNALIGN_TRP
        | ccr::DIV_0_TRP
        | ccr::BFHFNMIGN;
    if core.config.arch == Arch::V6M {
        0
    } else if is_cortex_m7(&core.config) {
        let caches = if core.config.cache.is_some() {
            ccr::DC | ccr::IC
        } else {
            0
        };
        common | caches
    } else {
        common | ccr::STKALIGN
    }
}

/// A word read of a core register at word-aligned `address` (in a block [`super::claims`]
/// covers).
pub fn read_word(core: &mut Core, address: u32, who: Accessor) -> u32 {
    if who == Accessor::Cpu && v6m::hidden_from_core(&core.config, address) {
        return 0;
    }
    let block = address & !0xFFF;
    let offset = address & 0xFFF;
    let cpuid = core.config.cpuid;
    match block {
        dwt::BASE => {
            if let Some(id) = ids::read(cpuid, Block::Dwt, offset) {
                return id;
            }
            let now = core.cycles;
            core.sys.dwt.read(offset, now)
        }
        fpb::BASE => {
            ids::read(cpuid, Block::Fpb, offset).unwrap_or_else(|| core.sys.fpb.read(offset))
        }
        _ => {
            if let Some(id) = ids::read(cpuid, Block::Scs, offset) {
                return id;
            }
            read_scs(core, address, who)
        }
    }
}

fn read_scs(core: &mut Core, address: u32, who: Accessor) -> u32 {
    let v7 = core.config.arch != Arch::V6M;
    let fpu = core.config.has_fpu();
    let irq_word = |base: u32| ((address - base) / 4) as usize;
    match address {
        address::ICTR if v7 => {
            let lines = u32::from(core.sys.exceptions.irq_count());
            lines.div_ceil(32).saturating_sub(1)
        }
        address::ACTLR if v7 => core.sys.actlr,
        address::SYST_CSR => {
            core.sync_systick();
            core.sys.systick.read_csr(core.config.systick_calib)
        }
        address::SYST_RVR => core.sys.systick.rvr(),
        address::SYST_CVR => {
            core.sync_systick();
            core.sys.systick.cvr()
        }
        address::SYST_CALIB => core.config.systick_calib,
        a if (address::NVIC_ISER0..address::NVIC_ISER0 + 0x40).contains(&a) => core
            .sys
            .exceptions
            .enabled_word(irq_word(address::NVIC_ISER0)),
        a if (address::NVIC_ICER0..address::NVIC_ICER0 + 0x40).contains(&a) => core
            .sys
            .exceptions
            .enabled_word(irq_word(address::NVIC_ICER0)),
        a if (address::NVIC_ISPR0..address::NVIC_ISPR0 + 0x40).contains(&a) => core
            .sys
            .exceptions
            .pending_word(irq_word(address::NVIC_ISPR0)),
        a if (address::NVIC_ICPR0..address::NVIC_ICPR0 + 0x40).contains(&a) => core
            .sys
            .exceptions
            .pending_word(irq_word(address::NVIC_ICPR0)),
        a if v7 && (address::NVIC_IABR0..address::NVIC_IABR0 + 0x40).contains(&a) => core
            .sys
            .exceptions
            .active_word(irq_word(address::NVIC_IABR0)),
        a if (address::NVIC_IPR0..address::NVIC_IPR_END).contains(&a) => {
            let first = (a - address::NVIC_IPR0) as usize;
            (0..4).fold(0, |word, i| {
                word | (u32::from(core.sys.exceptions.irq_priority(first + i)) << (8 * i))
            })
        }
        address::CPUID => core.config.cpuid,
        address::ICSR => read_icsr(core),
        address::VTOR => core.sys.vtor,
        address::AIRCR => {
            let prigroup = if v7 {
                u32::from(core.sys.exceptions.prigroup) << aircr::PRIGROUP_SHIFT
            } else {
                0
            };
            aircr::VECTKEYSTAT | prigroup
        }
        address::SCR => core.sys.scr,
        address::CCR => core.sys.ccr,
        a if (address::SHPR1..=address::SHPR3).contains(&a) => {
            let first = (a - address::SHPR1) as usize;
            (0..4).fold(0, |word, i| {
                word | (u32::from(core.sys.exceptions.handler_priority(first + i)) << (8 * i))
            })
        }
        address::SHCSR => read_shcsr(core),
        address::CFSR if v7 => core.sys.status.cfsr,
        address::HFSR if v7 => core.sys.status.hfsr,
        address::DFSR => core.sys.debug.dfsr,
        address::MMFAR if v7 => core.sys.status.mmfar,
        address::BFAR if v7 => core.sys.status.bfar,
        address::CLIDR => core.config.cache.map_or(0, |c| c.clidr),
        address::CTR => core.config.cache.map_or(0, |c| c.ctr),
        address::CCSIDR => match core.config.cache {
            // CSSELR: Level [3:1] must be 0 (L1), InD [0] selects the instruction cache.
            Some(c) if core.sys.csselr & 0xE == 0 => {
                if core.sys.csselr & 1 != 0 {
                    c.ccsidr_instruction
                } else {
                    c.ccsidr_data
                }
            }
            _ => 0,
        },
        address::CSSELR => core.sys.csselr,
        address::CPACR if fpu => core.sys.cpacr,
        a if (mpu::address::TYPE..=mpu_last(&core.config)).contains(&a) => core.sys.mpu.read(a),
        address::DHCSR => core.read_dhcsr(who == Accessor::Debugger),
        address::DCRDR => core.sys.debug.dcrdr,
        address::DEMCR => {
            let mut value = core.sys.debug.demcr & !demcr::MON_PEND;
            if core.sys.exceptions.is_pending(number::DEBUG_MONITOR) {
                value |= demcr::MON_PEND;
            }
            value
        }
        address::FPCCR if fpu => core.sys.fpccr,
        address::FPCAR if fpu => core.sys.fpcar,
        address::FPDSCR if fpu => core.sys.fpdscr,
        a if (address::MVFR0..=address::MVFR2).contains(&a) => {
            core.config.mvfr[((a - address::MVFR0) / 4) as usize]
        }
        a if is_cortex_m7(&core.config) && (address::ITCMCR..=address::ABFSR).contains(&a) => {
            core.sys.m7_control[((a - address::ITCMCR) / 4) as usize]
        }
        _ => 0,
    }
}

fn read_icsr(core: &Core) -> u32 {
    let e = &core.sys.exceptions;
    let mut value = u32::from(core.regs.ipsr);
    // RETTOBASE is ARMv7-M's; bit 11 is reserved on ARMv6-M (B3.2.4).
    let v7 = core.config.arch != Arch::V6M;
    if v7 && core.regs.handler_mode() && e.active_count() == 1 {
        value |= icsr::RETTOBASE;
    }
    // VECTPENDING includes the effect of BASEPRI and FAULTMASK but not PRIMASK (B3.2.4).
    let boost = e.boost(&core.regs, false);
    if let Some((n, p)) = e.most_urgent_pending(false) {
        if e.group_priority(p) < boost {
            value |= u32::from(n) << icsr::VECTPENDING_SHIFT;
        }
    }
    if e.any_irq_pending() {
        value |= icsr::ISRPENDING;
    }
    if core.sys.debug.halted.is_some() {
        let execution = e.execution_priority(&core.regs);
        if e.preempting(execution, core.sys.debug.mask_interrupts())
            .is_some()
        {
            value |= icsr::ISRPREEMPT;
        }
    }
    if e.is_pending(number::SYSTICK) {
        value |= icsr::PENDSTSET;
    }
    if e.is_pending(number::PENDSV) {
        value |= icsr::PENDSVSET;
    }
    if e.is_pending(number::NMI) {
        value |= icsr::NMIPENDSET;
    }
    value
}

fn read_shcsr(core: &Core) -> u32 {
    let e = &core.sys.exceptions;
    if core.config.arch == Arch::V6M {
        // ARMv6-M: SVCALLPENDED only.
        let (bit, n) = SHCSR_PENDED[3];
        return if e.is_pending(n) { bit } else { 0 };
    }
    let mut value = e.fault_enables;
    for (bit, n) in SHCSR_ACTIVE {
        if e.is_active(n) {
            value |= bit;
        }
    }
    for (bit, n) in SHCSR_PENDED {
        if e.is_pending(n) {
            value |= bit;
        }
    }
    value
}

/// A write of the `lanes` of `value` to the core register word at `address`.
pub fn write_word(
    core: &mut Core,
    bus: &mut dyn Bus,
    address: u32,
    value: u32,
    lanes: u32,
    who: Accessor,
) {
    if who == Accessor::Cpu && v6m::hidden_from_core(&core.config, address) {
        return;
    }
    let block = address & !0xFFF;
    let offset = address & 0xFFF;
    core.sys.attention = true;
    match block {
        dwt::BASE => {
            let now = core.cycles;
            let trcena = core.sys.debug.trcena();
            let old = core.sys.dwt.read_peek(offset, now);
            if core
                .sys
                .dwt
                .write(offset, lanes_of(value, lanes, old), trcena, now)
            {
                core.sys.update_watch_flags();
            }
        }
        fpb::BASE => {
            let old = core.sys.fpb.read(offset);
            if core.sys.fpb.write(offset, lanes_of(value, lanes, old)) {
                core.sys.update_watch_flags();
            }
        }
        _ => write_scs(core, bus, address, value, lanes, who),
    }
}

fn write_scs(
    core: &mut Core,
    bus: &mut dyn Bus,
    address: u32,
    value: u32,
    lanes: u32,
    who: Accessor,
) {
    let v7 = core.config.arch != Arch::V6M;
    let fpu = core.config.has_fpu();
    let bits = value & lanes;
    let irq_word = |base: u32| ((address - base) / 4) as usize;
    match address {
        address::ACTLR if v7 => core.sys.actlr = lanes_of(value, lanes, core.sys.actlr),
        address::SYST_CSR => {
            core.sync_systick();
            let old = core.sys.systick.peek_csr();
            core.sys.systick.write_csr(lanes_of(value, lanes, old));
        }
        address::SYST_RVR => {
            core.sync_systick();
            let old = core.sys.systick.rvr();
            core.sys.systick.write_rvr(lanes_of(value, lanes, old));
        }
        address::SYST_CVR => {
            core.sync_systick();
            core.sys.systick.write_cvr();
        }
        a if (address::NVIC_ISER0..address::NVIC_ISER0 + 0x40).contains(&a) => {
            core.sys
                .exceptions
                .enable_word(irq_word(address::NVIC_ISER0), bits, true);
        }
        a if (address::NVIC_ICER0..address::NVIC_ICER0 + 0x40).contains(&a) => {
            core.sys
                .exceptions
                .enable_word(irq_word(address::NVIC_ICER0), bits, false);
        }
        a if (address::NVIC_ISPR0..address::NVIC_ISPR0 + 0x40).contains(&a) => {
            let new = core
                .sys
                .exceptions
                .set_pending_word(irq_word(address::NVIC_ISPR0), bits);
            if new != 0 {
                core.sys.interrupt_became_pending();
            }
        }
        a if (address::NVIC_ICPR0..address::NVIC_ICPR0 + 0x40).contains(&a) => {
            core.sys
                .exceptions
                .clear_pending_word(irq_word(address::NVIC_ICPR0), bits);
        }
        a if (address::NVIC_IPR0..address::NVIC_IPR_END).contains(&a) => {
            let first = (a - address::NVIC_IPR0) as usize;
            for i in 0..4 {
                if lanes & (0xFF << (8 * i)) != 0 {
                    core.sys
                        .exceptions
                        .set_irq_priority(first + i, (value >> (8 * i)) as u8);
                }
            }
        }
        address::ICSR => write_icsr(core, bits),
        address::VTOR => {
            core.sys.vtor = lanes_of(value, lanes, core.sys.vtor) & vtor_mask(&core.config);
        }
        address::AIRCR => write_aircr(core, value, lanes),
        address::SCR => {
            core.sys.scr = lanes_of(value, lanes, core.sys.scr) & scr::MASK;
        }
        address::CCR => {
            let writable = ccr_writable(core);
            let fixed = ccr_reset(&core.config) & !writable;
            let new = lanes_of(value, lanes, core.sys.ccr);
            core.sys.ccr = fixed | (new & writable);
        }
        a if (address::SHPR1..=address::SHPR3).contains(&a) => {
            let first = (a - address::SHPR1) as usize;
            for i in 0..4 {
                if lanes & (0xFF << (8 * i)) != 0 {
                    core.sys
                        .exceptions
                        .set_handler_priority(first + i, (value >> (8 * i)) as u8);
                }
            }
        }
        address::SHCSR => write_shcsr(core, value, lanes),
        address::CFSR if v7 => core.sys.status.cfsr &= !(bits & cfsr::MASK),
        address::HFSR if v7 => core.sys.status.hfsr &= !(bits & hfsr::MASK),
        address::DFSR => core.sys.debug.dfsr &= !(bits & dfsr::MASK),
        address::MMFAR if v7 => {
            core.sys.status.mmfar = lanes_of(value, lanes, core.sys.status.mmfar);
        }
        address::BFAR if v7 => {
            core.sys.status.bfar = lanes_of(value, lanes, core.sys.status.bfar);
        }
        address::CSSELR if core.config.cache.is_some() => {
            core.sys.csselr = lanes_of(value, lanes, core.sys.csselr) & 0xF;
        }
        address::CPACR if fpu => {
            core.sys.cpacr = lanes_of(value, lanes, core.sys.cpacr) & super::CPACR_CP10_CP11;
        }
        a if (mpu::address::TYPE..=mpu_last(&core.config)).contains(&a) => {
            let old = core.sys.mpu.read(a);
            core.sys.mpu.write(a, lanes_of(value, lanes, old));
        }
        // The key must be written with the control bits (C1.6.2); other writes are ignored.
        address::DHCSR
            if lanes & 0xFFFF_0000 == 0xFFFF_0000 && value & 0xFFFF_0000 == dhcsr::DBGKEY =>
        {
            let old = core.sys.debug.dhcsr;
            core.write_dhcsr(bus, lanes_of(value, lanes, old), who == Accessor::Debugger);
        }
        address::DCRSR if who == Accessor::Debugger => core.register_transfer(value),
        address::DCRDR => {
            core.sys.debug.dcrdr = lanes_of(value, lanes, core.sys.debug.dcrdr);
        }
        address::DEMCR => write_demcr(core, lanes_of(value, lanes, core.sys.debug.demcr)),
        address::STIR if v7 => {
            let irq = bits & 0x1FF;
            if core.sys.exceptions.set_pending(number::IRQ0 + irq as u16) {
                core.sys.interrupt_became_pending();
            }
        }
        address::FPCCR if fpu => {
            let new = lanes_of(value, lanes, core.sys.fpccr);
            core.sys.fpccr = new & fpccr::WRITABLE;
        }
        address::FPCAR if fpu => {
            core.sys.fpcar = lanes_of(value, lanes, core.sys.fpcar) & !7;
        }
        address::FPDSCR if fpu => {
            core.sys.fpdscr = lanes_of(value, lanes, core.sys.fpdscr) & super::FPDSCR_MASK;
        }
        a if core.config.cache.is_some() && (address::ICIALLU..=address::BPIALL).contains(&a) => {
            // The simulator has no caches: memory is always coherent, so every maintenance
            // operation is accepted and has nothing to do.
        }
        a if is_cortex_m7(&core.config) && (address::ITCMCR..=address::ABFSR).contains(&a) => {
            let slot = &mut core.sys.m7_control[((a - address::ITCMCR) / 4) as usize];
            *slot = lanes_of(value, lanes, *slot);
        }
        _ => {}
    }
}

fn write_icsr(core: &mut Core, bits: u32) {
    let e = &mut core.sys.exceptions;
    let mut new = false;
    if bits & icsr::NMIPENDSET != 0 {
        e.set_pending(number::NMI);
    }
    if bits & icsr::PENDSVSET != 0 {
        new |= e.set_pending(number::PENDSV);
    } else if bits & icsr::PENDSVCLR != 0 {
        e.clear_pending(number::PENDSV);
    }
    if bits & icsr::PENDSTSET != 0 {
        new |= e.set_pending(number::SYSTICK);
    } else if bits & icsr::PENDSTCLR != 0 {
        e.clear_pending(number::SYSTICK);
    }
    if new {
        core.sys.interrupt_became_pending();
    }
}

fn write_aircr(core: &mut Core, value: u32, lanes: u32) {
    if lanes & 0xFFFF_0000 != 0xFFFF_0000 || value & 0xFFFF_0000 != aircr::VECTKEY {
        return;
    }
    let v7 = core.config.arch != Arch::V6M;
    if v7 && lanes & 0x0000_0700 != 0 {
        core.sys.exceptions.prigroup = ((value >> aircr::PRIGROUP_SHIFT) & 7) as u8;
    }
    let halted = core.sys.debug.halted.is_some();
    if value & aircr::VECTCLRACTIVE != 0 {
        if halted {
            // Clears all active state, IPSR included (B3.2.6).
            core.sys.exceptions.clear_all_active();
            let control = core.regs.control;
            core.regs.set_mode(0, control);
        } else {
            log::debug!("AIRCR.VECTCLRACTIVE written while not halted: ignored (UNPREDICTABLE)");
        }
    }
    if value & aircr::SYSRESETREQ != 0 {
        core.sys.reset_requested = true;
    }
    if v7 && value & aircr::VECTRESET != 0 {
        if halted {
            // A local reset of the core; the simulator has the chip reset as for SYSRESETREQ.
            core.sys.reset_requested = true;
        } else {
            log::debug!("AIRCR.VECTRESET written while not halted: ignored (UNPREDICTABLE)");
        }
    }
}

fn write_shcsr(core: &mut Core, value: u32, lanes: u32) {
    let new = lanes_of(value, lanes, read_shcsr(core));
    let e = &mut core.sys.exceptions;
    if core.config.arch == Arch::V6M {
        // ARMv6-M: SVCALLPENDED only.
        let (bit, n) = SHCSR_PENDED[3];
        if new & bit != 0 {
            e.set_pending(n);
        } else {
            e.clear_pending(n);
        }
        return;
    }
    e.fault_enables = new & enable::MASK;
    for (bit, n) in SHCSR_ACTIVE {
        e.set_active(n, new & bit != 0);
    }
    for (bit, n) in SHCSR_PENDED {
        if new & bit != 0 {
            e.set_pending(n);
        } else {
            e.clear_pending(n);
        }
    }
}

fn write_demcr(core: &mut Core, value: u32) {
    let mask = if core.config.arch == Arch::V6M {
        demcr::MASK_V6
    } else {
        demcr::MASK_V7
    };
    let value = value & mask;
    core.sys.debug.demcr = value & !demcr::MON_PEND;
    if value & demcr::MON_PEND != 0 {
        core.sys.exceptions.set_pending(number::DEBUG_MONITOR);
    } else {
        core.sys.exceptions.clear_pending(number::DEBUG_MONITOR);
    }
    core.sys.exceptions.monitor_enabled = value & demcr::MON_EN != 0;
    let now = core.cycles;
    core.sys
        .dwt
        .update_counting(value & demcr::TRCENA != 0, now);
    core.sys.update_watch_flags();
}
