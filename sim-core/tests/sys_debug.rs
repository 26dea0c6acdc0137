//! Halting debug as a debugger drives it through the AHB-AP (ARMv7-M ARM C1.4–C1.6): DHCSR,
//! DCRSR/DCRDR, DEMCR vector catch, DFSR, single step, FPB breakpoints (C1.11), DWT
//! watchpoints (C1.8), resets.

mod sys_support;

use sim_core::{Config, Core, HaltReason, Stop};
use sys_support::*;

const DFSR_HALTED: u32 = 1 << 0;
const DFSR_BKPT: u32 = 1 << 1;
const DFSR_DWTTRAP: u32 = 1 << 2;
const DFSR_VCATCH: u32 = 1 << 3;
const DFSR_EXTERNAL: u32 = 1 << 4;
const VC_CORERESET: u32 = 1 << 0;
const VC_STATERR: u32 = 1 << 7;
const VC_HARDERR: u32 = 1 << 10;
const TRCENA: u32 = 1 << 24;
const REGWNR: u32 = 1 << 16;

fn halted_core(config: Config) -> (Core, FlatBus) {
    let (mut core, mut bus) = boot(config, &[]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
    (core, bus)
}

fn write_register(core: &mut Core, bus: &mut FlatBus, regsel: u32, value: u32) {
    wr(core, bus, reg::DCRDR, value);
    wr(core, bus, reg::DCRSR, REGWNR | regsel);
}

fn read_register(core: &mut Core, bus: &mut FlatBus, regsel: u32) -> u32 {
    wr(core, bus, reg::DCRSR, regsel);
    assert_ne!(rd(core, bus, reg::DHCSR) & S_REGRDY, 0);
    rd(core, bus, reg::DCRDR)
}

#[test]
fn dhcsr_needs_the_key_and_halts_and_resumes() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[]);
    // Power-on reset: S_RESET_ST set, cleared by the debugger's read.
    let first = rd(&mut core, &mut bus, reg::DHCSR);
    assert_eq!(first, S_REGRDY | S_RESET_ST);
    assert_eq!(rd(&mut core, &mut bus, reg::DHCSR), S_REGRDY);
    // Without DBGKEY a write does nothing.
    wr(&mut core, &mut bus, reg::DHCSR, C_DEBUGEN | C_HALT);
    assert_eq!(rd(&mut core, &mut bus, reg::DHCSR), S_REGRDY);
    // C_HALT without C_DEBUGEN does nothing either.
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_HALT);
    assert!(!core.is_halted());
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
    assert!(core.is_halted());
    assert_eq!(
        rd(&mut core, &mut bus, reg::DHCSR),
        S_REGRDY | S_HALT | C_HALT | C_DEBUGEN
    );
    assert_eq!(core.run(&mut bus, 100), Stop::Halted(HaltReason::Request));
    assert_eq!(core.pc(), CODE, "nothing ran");
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_HALTED);
    wr(&mut core, &mut bus, reg::DFSR, DFSR_HALTED);
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), 0);
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN);
    assert!(!core.is_halted());
    assert_eq!(rd(&mut core, &mut bus, reg::DHCSR), S_REGRDY | C_DEBUGEN);
}

#[test]
fn software_cannot_enable_halting_debug() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    store(
        &mut core,
        &mut bus,
        reg::DHCSR,
        DBGKEY | C_DEBUGEN | C_HALT,
        4,
    );
    assert!(!core.is_halted());
    assert_eq!(rd(&mut core, &mut bus, reg::DHCSR) & C_DEBUGEN, 0);
    // With the debugger's C_DEBUGEN set, software can halt the core.
    debugen(&mut core, &mut bus);
    store(
        &mut core,
        &mut bus,
        reg::DHCSR,
        DBGKEY | C_DEBUGEN | C_HALT,
        4,
    );
    assert_eq!(core.run(&mut bus, 10), Stop::Halted(HaltReason::Request));
}

#[test]
fn register_transfers() {
    let (mut core, mut bus) = halted_core(Config::cortex_m7_dp());
    write_register(&mut core, &mut bus, 0, 0x1234_5678);
    assert_eq!(core.regs.r[0], 0x1234_5678);
    assert_eq!(read_register(&mut core, &mut bus, 0), 0x1234_5678);
    write_register(&mut core, &mut bus, 12, 0xC);
    assert_eq!(read_register(&mut core, &mut bus, 12), 0xC);
    // SP ignores bits [1:0].
    write_register(&mut core, &mut bus, 13, 0x2000_1003);
    assert_eq!(read_register(&mut core, &mut bus, 13), 0x2000_1000);
    assert_eq!(
        read_register(&mut core, &mut bus, 17),
        0x2000_1000,
        "MSP in use"
    );
    write_register(&mut core, &mut bus, 18, 0x2000_0800);
    assert_eq!(core.regs.psp(), 0x2000_0800);
    // DebugReturnAddress.
    write_register(&mut core, &mut bus, 15, CODE + 0x41);
    assert_eq!(core.pc(), CODE + 0x40);
    // xPSR with flags and T.
    write_register(&mut core, &mut bus, 16, 0xF100_0000);
    assert_eq!(read_register(&mut core, &mut bus, 16), 0xF100_0000);
    // CONTROL[26:24] FAULTMASK[16] BASEPRI[15:8] PRIMASK[0]; BASEPRI keeps its 4 bits.
    write_register(&mut core, &mut bus, 20, 0x0201_FF01);
    assert!(core.regs.primask && core.regs.faultmask);
    assert_eq!(core.regs.basepri, 0xF0);
    assert_eq!(core.regs.r[13], 0x2000_0800, "SPSEL selects PSP");
    assert_eq!(read_register(&mut core, &mut bus, 20), 0x0201_F001);
    // FPSCR and S registers.
    write_register(&mut core, &mut bus, 33, 0x0340_0000);
    assert_eq!(core.fp.fpscr, 0x0340_0000);
    write_register(&mut core, &mut bus, 64 + 31, 0x4049_0FDB);
    assert_eq!(core.fp.s[31], 0x4049_0FDB);
    assert_eq!(read_register(&mut core, &mut bus, 95), 0x4049_0FDB);
    // Not halted: a write transfer is ignored (UNPREDICTABLE otherwise).
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN);
    write_register(&mut core, &mut bus, 0, 0);
    assert_eq!(core.regs.r[0], 0x1234_5678);
}

#[test]
fn a_step_takes_a_pending_interrupt_and_stops_on_its_handler() {
    let (mut core, mut bus) = halted_core(Config::cortex_m4f());
    wr(&mut core, &mut bus, reg::ISER0, 1);
    wr(&mut core, &mut bus, reg::ISPR0, 1);
    assert_ne!(
        rd(&mut core, &mut bus, reg::ICSR) & (1 << 23),
        0,
        "ISRPREEMPT"
    );
    wr(&mut core, &mut bus, reg::DFSR, 0x1F);
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN | C_STEP);
    assert!(core.is_halted());
    assert_eq!(core.halt_reason(), Some(HaltReason::Step));
    assert_eq!(core.pc(), handler(16));
    assert_eq!(core.regs.ipsr, 16);
    assert_eq!(
        rd(&mut core, &mut bus, reg::CFSR),
        0,
        "no instruction executed"
    );
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_HALTED);
}

#[test]
fn a_step_with_maskints_leaves_interrupts_pending() {
    let (mut core, mut bus) = halted_core(Config::cortex_m4f());
    wr(&mut core, &mut bus, reg::ISER0, 1);
    wr(&mut core, &mut bus, reg::ISPR0, 1);
    wr(
        &mut core,
        &mut bus,
        reg::DHCSR,
        DBGKEY | C_DEBUGEN | C_HALT | C_MASKINTS,
    );
    wr(
        &mut core,
        &mut bus,
        reg::DHCSR,
        DBGKEY | C_DEBUGEN | C_STEP | C_MASKINTS,
    );
    // The UDF at CODE executed; its fault (HardFault) is taken within the step, the
    // interrupt is not.
    assert!(core.is_halted());
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0), 1);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), 1 << 16);
}

#[test]
fn vc_corereset_halts_at_the_reset_vector_and_survives_system_reset() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::DEMCR, VC_CORERESET | TRCENA);
    wr(&mut core, &mut bus, reg::FP_CTRL, 3);
    wr(&mut core, &mut bus, reg::ISER0, 1);
    rd(&mut core, &mut bus, reg::DHCSR);
    core.system_reset(&mut bus, 0);
    assert_eq!(
        core.run(&mut bus, 10),
        Stop::Halted(HaltReason::VectorCatch)
    );
    assert_eq!(core.pc(), CODE);
    assert_eq!(core.regs.r[13], STACK_TOP);
    let dhcsr = rd(&mut core, &mut bus, reg::DHCSR);
    assert_eq!(
        dhcsr,
        S_REGRDY | S_HALT | S_RESET_ST | C_HALT | C_DEBUGEN,
        "0x{dhcsr:08X}"
    );
    assert_eq!(
        rd(&mut core, &mut bus, reg::DFSR) & DFSR_VCATCH,
        DFSR_VCATCH
    );
    // Debug registers, FPB and DWT keep their values; the NVIC resets.
    assert_eq!(rd(&mut core, &mut bus, reg::DEMCR), VC_CORERESET | TRCENA);
    assert_eq!(rd(&mut core, &mut bus, reg::FP_CTRL) & 1, 1);
    assert_eq!(rd(&mut core, &mut bus, reg::ISER0), 0);
    // A power-on reset resets them too.
    core.power_on_reset(&mut bus, 0);
    assert!(!core.is_halted());
    assert_eq!(rd(&mut core, &mut bus, reg::DEMCR), 0);
    assert_eq!(rd(&mut core, &mut bus, reg::FP_CTRL) & 1, 0);
}

#[test]
fn a_debugger_resets_a_halted_core_through_aircr() {
    // probe-rs's reset-and-halt: halt, VC_CORERESET, SYSRESETREQ, poll DHCSR.
    let (mut core, mut bus) = halted_core(Config::cortex_m4f());
    wr(&mut core, &mut bus, reg::DEMCR, VC_CORERESET);
    core.regs.r[15] = CODE + 0x20;
    wr(&mut core, &mut bus, reg::AIRCR, 0x05FA_0004);
    assert!(core.reset_requested());
    assert_eq!(
        core.run(&mut bus, 10),
        Stop::ResetRequested,
        "even while halted"
    );
    core.system_reset(&mut bus, 0);
    assert!(!core.reset_requested());
    let dhcsr = rd(&mut core, &mut bus, reg::DHCSR);
    assert_eq!(dhcsr & (S_RESET_ST | S_HALT), S_RESET_ST | S_HALT);
    assert_eq!(core.pc(), CODE);
}

#[test]
fn without_vc_corereset_a_system_reset_runs() {
    let (mut core, mut bus) = halted_core(Config::cortex_m4f());
    core.system_reset(&mut bus, 0);
    assert!(!core.is_halted());
    assert_eq!(
        rd(&mut core, &mut bus, reg::DHCSR) & (C_HALT | C_DEBUGEN),
        C_DEBUGEN
    );
}

#[test]
fn vector_catch_on_hardfault_halts_on_the_handler_with_the_frame_stacked() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::DEMCR, VC_HARDERR);
    assert_eq!(
        core.run(&mut bus, 10),
        Stop::Halted(HaltReason::VectorCatch)
    );
    assert_eq!(core.pc(), handler(3));
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(ram(&mut bus, core.regs.r[13] + 0x18), CODE);
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_VCATCH);
}

#[test]
fn vc_staterr_catches_a_usagefault_but_not_its_escalation() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::DEMCR, VC_STATERR);
    // UsageFault disabled: the HardFault it escalates to is caught only by VC_HARDERR.
    assert_eq!(core.run(&mut bus, 1), Stop::Budget);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert_eq!(core.regs.ipsr, 3);
    assert!(!core.is_halted());
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::DEMCR, VC_STATERR);
    wr(&mut core, &mut bus, reg::SHCSR, 1 << 18);
    assert_eq!(
        core.run(&mut bus, 10),
        Stop::Halted(HaltReason::VectorCatch)
    );
    assert_eq!(core.regs.ipsr, 6);
}

#[test]
fn an_fpb_breakpoint_halts_before_the_instruction_and_resuming_runs_it() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[UDF]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::FP_CTRL, 3);
    // FPBv2: BPADDR | BE.
    wr(&mut core, &mut bus, reg::FP_COMP0 + 4, CODE | 1);
    assert_eq!(core.run(&mut bus, 10), Stop::Halted(HaltReason::Breakpoint));
    assert_eq!(core.pc(), CODE);
    assert_eq!(
        rd(&mut core, &mut bus, reg::CFSR),
        0,
        "the UDF did not execute"
    );
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_BKPT);
    // Resume: the instruction under the breakpoint executes (and faults).
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN);
    assert_eq!(core.run(&mut bus, 1), Stop::Budget);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), 1 << 16);
}

#[test]
fn an_fpbv1_breakpoint_matches_its_half_word() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF, UDF]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::FP_CTRL, 3);
    // REPLACE = 0b10: the upper half-word of the word at CODE, i.e. CODE + 2.
    wr(&mut core, &mut bus, reg::FP_COMP0, (0b10 << 30) | CODE | 1);
    core.regs.r[15] = CODE + 2;
    assert_eq!(core.run(&mut bus, 10), Stop::Halted(HaltReason::Breakpoint));
    assert_eq!(core.pc(), CODE + 2);
}

#[test]
fn an_fpb_breakpoint_without_halting_debug_is_a_hardfault_debugevt() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[UDF]);
    wr(&mut core, &mut bus, reg::FP_CTRL, 3);
    wr(&mut core, &mut bus, reg::FP_COMP0, CODE | 1);
    assert_eq!(core.run(&mut bus, 1), Stop::Budget);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), 1 << 31);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), 0);
    assert_eq!(ram(&mut bus, core.regs.r[13] + 0x18), CODE);
}

#[test]
fn a_dwt_data_watchpoint_halts_after_the_access() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::DEMCR, TRCENA);
    wr(&mut core, &mut bus, reg::DWT_COMP0, 0x2000_0100);
    wr(&mut core, &mut bus, reg::DWT_MASK0, 2); // the word: address bits [1:0] ignored
    wr(&mut core, &mut bus, reg::DWT_FUNCTION0, 0b0110); // write
                                                         // A read does not match.
    load(&mut core, &mut bus, 0x2000_0100, 4);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    // A byte written inside the watched word does.
    store(&mut core, &mut bus, 0x2000_0101, 0xAA, 1);
    assert_eq!(core.run(&mut bus, 0), Stop::Halted(HaltReason::Watchpoint));
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_DWTTRAP);
    assert_ne!(
        rd(&mut core, &mut bus, reg::DWT_FUNCTION0) & (1 << 24),
        0,
        "MATCHED"
    );
    assert_eq!(
        rd(&mut core, &mut bus, reg::DWT_FUNCTION0) & (1 << 24),
        0,
        "cleared by read"
    );
    // Without TRCENA the comparators do nothing.
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN);
    wr(&mut core, &mut bus, reg::DEMCR, 0);
    store(&mut core, &mut bus, 0x2000_0100, 1, 4);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
}

#[test]
fn a_dwt_instruction_address_match_halts_before_the_instruction() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[UDF]);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::DEMCR, TRCENA);
    wr(&mut core, &mut bus, reg::DWT_COMP0, CODE);
    wr(&mut core, &mut bus, reg::DWT_FUNCTION0, 0b0100);
    assert_eq!(core.run(&mut bus, 10), Stop::Halted(HaltReason::Watchpoint));
    assert_eq!(core.pc(), CODE);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), 0);
}

#[test]
fn a_locked_up_core_can_be_halted() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    debugen(&mut core, &mut bus);
    core.regs.faultmask = true;
    assert!(matches!(core.run(&mut bus, 10), Stop::LockedUp { .. }));
    assert!(core.lockup_reason().is_some());
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
    assert!(core.is_halted() && !core.is_locked_up());
    assert_eq!(
        rd(&mut core, &mut bus, reg::DHCSR) & (S_HALT | S_LOCKUP),
        S_HALT
    );
}

#[test]
fn external_debug_request_halts_with_dfsr_external() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    core.external_debug_request();
    assert!(!core.is_halted(), "ignored without C_DEBUGEN");
    debugen(&mut core, &mut bus);
    core.external_debug_request();
    assert_eq!(core.run(&mut bus, 1), Stop::Halted(HaltReason::External));
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_EXTERNAL);
}

#[test]
fn debugger_accesses_outside_the_core_go_to_the_bus() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    wr(&mut core, &mut bus, 0x2000_0000, 0x1122_3344);
    assert_eq!(ram(&mut bus, 0x2000_0000), 0x1122_3344);
    // Unaligned: split into bytes.
    assert_eq!(core.debug_read(&mut bus, 0x2000_0001, 2), Ok(0x2233));
    // The rest of the private peripheral bus (ITM, ROM table, vendor DBGMCU) is the chip's:
    // unmapped in the test memory.
    assert!(core.debug_read(&mut bus, 0xE004_2000, 4).is_err());
    assert!(core.debug_read(&mut bus, 0xE000_0000, 4).is_err());
}
