//! Helpers shared by the ARMv6-M tests (`tests/v6m_*.rs`): programs assembled for the
//! Cortex-M0+ with a complete vector table, run on `Config::cortex_m0plus()` (the STM32G0B1's
//! core), and the addresses and bits they use, each from the ARMv6-M ARM (B1.5 exceptions,
//! B3.2 SCB, B3.3 SysTick, B3.4 NVIC, C1 debug) or the Cortex-M0+ documents named.

#![allow(dead_code)]

use sim_core::{Config, Core, HaltReason, Stop};

use crate::support::{self, FlatBus, Program};

/// Exception numbers (ARMv6-M ARM B1.5.2).
pub const NMI: u16 = 2;
pub const HARD_FAULT: u16 = 3;
pub const SVCALL: u16 = 11;
pub const PENDSV: u16 = 14;
pub const SYSTICK: u16 = 15;
pub const IRQ0: u16 = 16;
/// 16 system vectors and the Cortex-M0+'s 32 interrupts.
pub const VECTORS: u16 = 48;

/// EXC_RETURN values (ARMv6-M ARM B1.5.8): Handler mode; Thread mode on the main stack;
/// Thread mode on the process stack.
pub const EXC_RETURN_HANDLER: u32 = 0xFFFF_FFF1;
pub const EXC_RETURN_THREAD_MSP: u32 = 0xFFFF_FFF9;
pub const EXC_RETURN_THREAD_PSP: u32 = 0xFFFF_FFFD;

/// xPSR.T (B1.4.2); APSR flags.
pub const T: u32 = 1 << 24;
pub const N: u32 = 1 << 31;
pub const Z: u32 = 1 << 30;
pub const C: u32 = 1 << 29;

/// System Control Space addresses (ARMv6-M ARM B3.2.2, B3.3.2, B3.4.2; ARMv7-M's where a test
/// shows ARMv6-M does not have them).
pub mod reg {
    pub const ACTLR: u32 = 0xE000_E008;
    pub const ICTR: u32 = 0xE000_E004;
    pub const SYST_CSR: u32 = 0xE000_E010;
    pub const SYST_RVR: u32 = 0xE000_E014;
    pub const SYST_CVR: u32 = 0xE000_E018;
    pub const SYST_CALIB: u32 = 0xE000_E01C;
    pub const ISER: u32 = 0xE000_E100;
    pub const ICER: u32 = 0xE000_E180;
    pub const ISPR: u32 = 0xE000_E200;
    pub const ICPR: u32 = 0xE000_E280;
    pub const IABR: u32 = 0xE000_E300;
    pub const IPR0: u32 = 0xE000_E400;
    pub const CPUID: u32 = 0xE000_ED00;
    pub const ICSR: u32 = 0xE000_ED04;
    pub const VTOR: u32 = 0xE000_ED08;
    pub const AIRCR: u32 = 0xE000_ED0C;
    pub const SCR: u32 = 0xE000_ED10;
    pub const CCR: u32 = 0xE000_ED14;
    pub const SHPR1: u32 = 0xE000_ED18;
    pub const SHPR2: u32 = 0xE000_ED1C;
    pub const SHPR3: u32 = 0xE000_ED20;
    pub const SHCSR: u32 = 0xE000_ED24;
    pub const CFSR: u32 = 0xE000_ED28;
    pub const HFSR: u32 = 0xE000_ED2C;
    pub const DFSR: u32 = 0xE000_ED30;
    pub const MMFAR: u32 = 0xE000_ED34;
    pub const BFAR: u32 = 0xE000_ED38;
    pub const CPACR: u32 = 0xE000_ED88;
    pub const MPU_TYPE: u32 = 0xE000_ED90;
    pub const MPU_RNR: u32 = 0xE000_ED98;
    pub const MPU_RBAR: u32 = 0xE000_ED9C;
    pub const MPU_RASR: u32 = 0xE000_EDA0;
    pub const MPU_RBAR_A1: u32 = 0xE000_EDA4;
    pub const DHCSR: u32 = 0xE000_EDF0;
    pub const DCRSR: u32 = 0xE000_EDF4;
    pub const DCRDR: u32 = 0xE000_EDF8;
    pub const DEMCR: u32 = 0xE000_EDFC;
    pub const STIR: u32 = 0xE000_EF00;
    pub const FPCCR: u32 = 0xE000_EF34;
    pub const MVFR0: u32 = 0xE000_EF40;
    pub const DWT_CTRL: u32 = 0xE000_1000;
    pub const DWT_CYCCNT: u32 = 0xE000_1004;
    pub const DWT_COMP0: u32 = 0xE000_1020;
    pub const DWT_MASK0: u32 = 0xE000_1024;
    pub const DWT_FUNCTION0: u32 = 0xE000_1028;
    pub const DWT_COMP1: u32 = 0xE000_1030;
    pub const DWT_FUNCTION1: u32 = 0xE000_1038;
    pub const BP_CTRL: u32 = 0xE000_2000;
    pub const BP_COMP0: u32 = 0xE000_2008;
}

/// DHCSR (ARMv6-M ARM C1): DBGKEY and the control bits; status bits.
pub const DBGKEY: u32 = 0xA05F_0000;
pub const C_DEBUGEN: u32 = 1 << 0;
pub const C_HALT: u32 = 1 << 1;
pub const C_STEP: u32 = 1 << 2;
pub const S_REGRDY: u32 = 1 << 16;
pub const S_HALT: u32 = 1 << 17;
pub const S_LOCKUP: u32 = 1 << 19;
/// DEMCR (ARMv6-M): VC_CORERESET, VC_HARDERR, DWTENA.
pub const VC_CORERESET: u32 = 1 << 0;
pub const VC_HARDERR: u32 = 1 << 10;
pub const DWTENA: u32 = 1 << 24;
/// DFSR: HALTED, BKPT, DWTTRAP, VCATCH, EXTERNAL.
pub const DFSR_HALTED: u32 = 1 << 0;
pub const DFSR_BKPT: u32 = 1 << 1;
pub const DFSR_DWTTRAP: u32 = 1 << 2;
pub const DFSR_VCATCH: u32 = 1 << 3;
/// DCRSR: REGWNR, and the REGSEL values of xPSR, MSP, PSP, CONTROL/PRIMASK and the
/// DebugReturnAddress.
pub const REGWNR: u32 = 1 << 16;
pub const REGSEL_PC: u32 = 15;
pub const REGSEL_XPSR: u32 = 16;
pub const REGSEL_MSP: u32 = 17;
pub const REGSEL_PSP: u32 = 18;
pub const REGSEL_CONTROL_PRIMASK: u32 = 20;

/// The vector table after the harness's two words (initial SP, reset): `.word` lines for
/// exceptions 2–47 at 0x08–0xBC, where `.text` starts, each the handler `handlers` names or
/// `unexpected` (which stops on `bkpt #0xEE`).
fn vector_table(handlers: &[(u16, &str)]) -> String {
    (2..VECTORS)
        .map(|n| {
            let name = handlers
                .iter()
                .find(|(v, _)| *v == n)
                .map_or("unexpected", |(_, name)| name);
            format!("    .word {name} + 1\n")
        })
        .collect()
}

/// A Cortex-M0+ program: the vector table with `handlers`, then `body` (which starts with
/// `_start:`), then the `unexpected` handler.
pub fn program(handlers: &[(u16, &str)], body: &str) -> Program {
    let source = format!(
        "{}{body}\n    .balign 2\nunexpected:\n    bkpt #0xEE\n    b unexpected\n",
        vector_table(handlers)
    );
    support::assemble(&source, "cortex-m0plus", "")
}

/// A Cortex-M0+ reset into `program` with halting debug enabled (a BKPT halts), without
/// vector catch: faults run their handlers.
pub fn boot(program: &Program) -> (Core, FlatBus) {
    let (mut core, mut bus) = support::boot(program, Config::cortex_m0plus());
    wr(&mut core, &mut bus, reg::DEMCR, 0);
    (core, bus)
}

/// Runs to a BKPT and returns its immediate; panics on any other stop.
pub fn run_to_bkpt(core: &mut Core, bus: &mut FlatBus) -> u8 {
    match support::run_to_stop(core, bus, 1_000_000) {
        Stop::Halted(HaltReason::Bkpt(imm)) => imm,
        other => panic!("expected a BKPT, got {other:?} at 0x{:08X}", core.pc()),
    }
}

/// Steps the PC over the 16-bit BKPT the core halted on and resumes (as a debugger does).
pub fn continue_after_bkpt(core: &mut Core, bus: &mut FlatBus) {
    core.regs.r[15] += 2;
    support::resume(core, bus);
}

/// A debugger word read that must succeed.
pub fn rd(core: &mut Core, bus: &mut FlatBus, address: u32) -> u32 {
    core.debug_read(bus, address, 4)
        .unwrap_or_else(|e| panic!("debug read of 0x{address:08X}: {e:?}"))
}

/// A debugger word write that must succeed.
pub fn wr(core: &mut Core, bus: &mut FlatBus, address: u32, value: u32) {
    core.debug_write(bus, address, value, 4)
        .unwrap_or_else(|e| panic!("debug write of 0x{address:08X}: {e:?}"))
}

/// `count` words of memory from `address`.
pub fn words(bus: &mut FlatBus, address: u32, count: u32) -> Vec<u32> {
    (0..count).map(|i| bus.word(address + 4 * i)).collect()
}
