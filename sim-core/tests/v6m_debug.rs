//! ARMv6-M halting debug on the Cortex-M0+ (`Config::cortex_m0plus()`), from the debugger's
//! side (ARMv6-M ARM C1): BKPT, the breakpoint unit (BPU), DWT watchpoints, DCRSR/DCRDR
//! register transfers, vector catch, and the debug registers the processor itself cannot
//! reach (Access from the processor is IMPLEMENTATION DEFINED; the Cortex-M0+ gives none).

mod support;
mod v6m_common;

use sim_core::{Core, HaltReason, Stop};
use support::FlatBus;
use v6m_common::*;

fn run(core: &mut Core, bus: &mut FlatBus) -> Stop {
    support::run_to_stop(core, bus, 100_000)
}

#[test]
fn bkpt_halts_with_halting_debug_and_is_a_hardfault_without() {
    let source = "_start:
    movs r0, #1
at_bkpt:
    bkpt #0x42
    movs r0, #2
    bkpt #1
hardfault:
    mrs r3, msp
    ldr r3, [r3, #24]
    bkpt #3";
    let program = program(&[(HARD_FAULT, "hardfault")], source);
    let (mut core, mut bus) = boot(&program);
    assert_eq!(
        run(&mut core, &mut bus),
        Stop::Halted(HaltReason::Bkpt(0x42))
    );
    // Halted on the BKPT, which has not completed; DFSR.BKPT; DHCSR.S_HALT.
    assert_eq!(core.pc(), program.symbol("at_bkpt"));
    assert_eq!(core.regs.r[0], 1);
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_BKPT);
    assert_eq!(rd(&mut core, &mut bus, reg::DHCSR) & S_HALT, S_HALT);
    // DFSR bits are write-one-to-clear.
    wr(&mut core, &mut bus, reg::DFSR, DFSR_BKPT);
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), 0);

    // With C_DEBUGEN clear the BKPT is a HardFault (ARMv6-M has no DebugMonitor), its frame
    // returning to the BKPT itself. The handler's BKPT then escalates again, at priority -1:
    // lockup.
    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY);
    match run(&mut core, &mut bus) {
        Stop::LockedUp { .. } => {}
        other => panic!("expected the handler's BKPT to lock up, got {other:?}"),
    }
    assert_eq!(core.regs.ipsr, HARD_FAULT);
    assert_eq!(core.regs.r[3], program.symbol("at_bkpt"));
}

#[test]
fn a_bpu_breakpoint_halts_before_the_instruction() {
    let program = program(
        &[],
        "_start:
    movs r0, #0
    movs r1, #0
    .balign 4
target_low:
    adds r0, #1
target_high:
    adds r1, #1
    bkpt #1",
    );
    let (mut core, mut bus) = boot(&program);
    let low = program.symbol("target_low");
    let high = program.symbol("target_high");
    assert_eq!(high, low + 2);
    // BP_CTRL: NUM_CODE [7:4] = 4 comparators; KEY (bit 1) must be written with ENABLE.
    assert_eq!(rd(&mut core, &mut bus, reg::BP_CTRL), 0x40);
    wr(&mut core, &mut bus, reg::BP_CTRL, 1);
    assert_eq!(
        rd(&mut core, &mut bus, reg::BP_CTRL),
        0x40,
        "no KEY: ignored"
    );
    wr(&mut core, &mut bus, reg::BP_CTRL, 3);
    assert_eq!(rd(&mut core, &mut bus, reg::BP_CTRL), 0x41);
    // BP_COMP3: COMP [28:2] = the word, BP_MATCH [31:30] = 10 (upper halfword), ENABLE.
    wr(
        &mut core,
        &mut bus,
        reg::BP_COMP0 + 12,
        (0b10 << 30) | low | 1,
    );
    assert_eq!(
        run(&mut core, &mut bus),
        Stop::Halted(HaltReason::Breakpoint)
    );
    // Halted before the instruction at the upper halfword: the lower one has run.
    assert_eq!(core.pc(), high);
    assert_eq!((core.regs.r[0], core.regs.r[1]), (1, 0));
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_BKPT);
    // Resuming runs the instruction the breakpoint is on (a debugger steps over it).
    support::resume(&mut core, &mut bus);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    assert_eq!((core.regs.r[0], core.regs.r[1]), (1, 1));
}

#[test]
fn bpu_comparators_match_the_code_region_only() {
    // BP_COMPn.COMP holds address bits [28:2]: bit 29 is not stored, and a comparator
    // matches only instructions below 0x20000000 (ARMv6-M ARM C1, BPU). The program copies
    // `movs r0, #1; bkpt #1` to RAM at 0x20000100 and runs it there; a comparator written
    // with that address holds 0x00000100 and does not stop it.
    let program = program(
        &[],
        "_start:
    ldr r0, =ram_code
    ldr r1, =0x20000100
    ldr r2, [r0]
    str r2, [r1]
    ldr r1, =0x20000101
    movs r0, #0
    bx r1
    .balign 4
ram_code:
    movs r0, #1
    bkpt #1",
    );
    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::BP_CTRL, 3);
    wr(
        &mut core,
        &mut bus,
        reg::BP_COMP0,
        (0b11 << 30) | 0x2000_0100 | 1,
    );
    assert_eq!(
        rd(&mut core, &mut bus, reg::BP_COMP0),
        (0b11 << 30) | 0x0000_0100 | 1
    );
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    assert_eq!(core.pc(), 0x2000_0102);
    assert_eq!(core.regs.r[0], 1);
}

#[test]
fn a_dwt_data_watchpoint_halts_after_the_access() {
    let source = "_start:
    ldr r0, =0x20000100
    movs r1, #7
    ldr r2, [r0]
    str r1, [r0, #4]
after_read:
    str r1, [r0]
after_write:
    movs r3, #3
    bkpt #1";
    let program = program(&[], source);
    let (mut core, mut bus) = boot(&program);
    // DWT_CTRL: NUMCOMP [31:28] = 2 and nothing else on ARMv6-M; no cycle counter.
    assert_eq!(rd(&mut core, &mut bus, reg::DWT_CTRL), 0x2000_0000);
    wr(&mut core, &mut bus, reg::DWT_CYCCNT, 1234);
    assert_eq!(rd(&mut core, &mut bus, reg::DWT_CYCCNT), 0);
    // Comparator 1: writes to the word at 0x20000100 (MASK 2 ignores address bits [1:0]),
    // FUNCTION 0110. FUNCTION has no data value or cycle matching on ARMv6-M: writing bit 8
    // (ARMv7-M's DATAVMATCH) keeps only the FUNCTION field.
    wr(&mut core, &mut bus, reg::DWT_COMP1, 0x2000_0100);
    wr(&mut core, &mut bus, reg::DWT_COMP1 + 4, 2);
    wr(&mut core, &mut bus, reg::DWT_FUNCTION1, (1 << 8) | 0b0110);
    assert_eq!(rd(&mut core, &mut bus, reg::DWT_FUNCTION1), 0b0110);
    // Without DEMCR.DWTENA the comparators do nothing.
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_BKPT);

    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::DEMCR, DWTENA);
    wr(&mut core, &mut bus, reg::DWT_COMP1, 0x2000_0100);
    wr(&mut core, &mut bus, reg::DWT_COMP1 + 4, 2);
    wr(&mut core, &mut bus, reg::DWT_FUNCTION1, 0b0110);
    // The read of the word and the write of the next one do not match; the write does, and
    // the core halts after it (DFSR.DWTTRAP), the store done.
    assert_eq!(
        run(&mut core, &mut bus),
        Stop::Halted(HaltReason::Watchpoint)
    );
    assert_eq!(core.pc(), program.symbol("after_write"));
    assert_eq!(bus.word(0x2000_0100), 7);
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_DWTTRAP);
    // FUNCTION.MATCHED (bit 24) is set and clears when read.
    assert_eq!(
        rd(&mut core, &mut bus, reg::DWT_FUNCTION1),
        (1 << 24) | 0b0110
    );
    assert_eq!(rd(&mut core, &mut bus, reg::DWT_FUNCTION1), 0b0110);
    support::resume(&mut core, &mut bus);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    assert_eq!(core.regs.r[3], 3);
}

#[test]
fn a_dwt_pc_watchpoint_halts_before_the_instruction() {
    // FUNCTION 0100: instruction address match (the Cortex-M0+ DWT has "data address and PC
    // based watchpoint functionality", TRM 7.1.3).
    let program = program(
        &[],
        "_start:
    movs r0, #1
watched:
    movs r0, #2
    bkpt #1",
    );
    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::DEMCR, DWTENA);
    wr(
        &mut core,
        &mut bus,
        reg::DWT_COMP0,
        program.symbol("watched"),
    );
    wr(&mut core, &mut bus, reg::DWT_MASK0, 0);
    wr(&mut core, &mut bus, reg::DWT_FUNCTION0, 0b0100);
    assert_eq!(
        run(&mut core, &mut bus),
        Stop::Halted(HaltReason::Watchpoint)
    );
    assert_eq!(core.pc(), program.symbol("watched"));
    assert_eq!(core.regs.r[0], 1);
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_DWTTRAP);
    support::resume(&mut core, &mut bus);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    assert_eq!(core.regs.r[0], 2);
}

#[test]
fn dcrsr_transfers_core_registers_through_dcrdr() {
    let program = program(
        &[],
        "_start:
    movs r5, #55
    cpsid i
    bkpt #1
    adds r6, #1
    bkpt #2",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    let read = |core: &mut Core, bus: &mut FlatBus, regsel: u32| {
        wr(core, bus, reg::DCRSR, regsel);
        assert_eq!(rd(core, bus, reg::DHCSR) & S_REGRDY, S_REGRDY);
        rd(core, bus, reg::DCRDR)
    };
    let write = |core: &mut Core, bus: &mut FlatBus, regsel: u32, value: u32| {
        wr(core, bus, reg::DCRDR, value);
        wr(core, bus, reg::DCRSR, REGWNR | regsel);
    };
    let top = support::RAM + support::RAM_SIZE;
    assert_eq!(read(&mut core, &mut bus, 5), 55);
    assert_eq!(read(&mut core, &mut bus, 13), top);
    assert_eq!(read(&mut core, &mut bus, REGSEL_MSP), top);
    // DebugReturnAddress: the halted BKPT.
    let bkpt = core.pc();
    assert_eq!(read(&mut core, &mut bus, REGSEL_PC), bkpt);
    // xPSR: T, Thread mode; `movs r5, #55` cleared N and Z.
    assert_eq!(read(&mut core, &mut bus, REGSEL_XPSR), T);
    // CONTROL [31:24] (0) and PRIMASK [0] (set by CPSID I).
    assert_eq!(read(&mut core, &mut bus, REGSEL_CONTROL_PRIMASK), 1);
    // Writes: R6, the PC (past the BKPT), xPSR (ARMv6-M keeps N Z C V, T and the exception
    // number: Q, GE and IT are not there), PSP, PRIMASK cleared.
    write(&mut core, &mut bus, 6, 100);
    write(&mut core, &mut bus, REGSEL_PC, bkpt + 2);
    write(&mut core, &mut bus, REGSEL_XPSR, 0xF80F_FC00 | T);
    assert_eq!(read(&mut core, &mut bus, REGSEL_XPSR), 0xF000_0000 | T);
    write(&mut core, &mut bus, REGSEL_PSP, 0x2000_0803);
    assert_eq!(read(&mut core, &mut bus, REGSEL_PSP), 0x2000_0800);
    write(&mut core, &mut bus, REGSEL_CONTROL_PRIMASK, 0);
    assert!(!core.regs.primask);
    support::resume(&mut core, &mut bus);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 2);
    // The program went on from the written PC with the written R6; `adds` set the flags from
    // 101 (the written N Z C V gone).
    assert_eq!(core.regs.r[6], 101);
    assert_eq!(core.regs.xpsr(), T);
}

#[test]
fn the_processor_cannot_reach_the_debug_registers() {
    // The program reads DHCSR, DEMCR, DFSR, SHCSR, DCRDR, DWT_CTRL and BP_CTRL, then writes
    // DEMCR, DHCSR (with the key) and BP_CTRL, and reads DEMCR again. On the Cortex-M0+ these
    // are the debugger's alone: the reads give zero, the writes do nothing.
    let program = program(
        &[],
        "_start:
    ldr r0, =regs
    ldr r1, =0x20000000
    movs r2, #7
copy:
    ldm r0!, {r3}
    ldr r3, [r3]
    stm r1!, {r3}
    subs r2, #1
    bne copy
    ldr r0, =0xE000EDFC
    ldr r3, =0x01000401
    str r3, [r0]
    ldr r3, [r0]
    ldr r0, =0xE000EDF0
    ldr r4, =0xA05F0000
    str r4, [r0]
    ldr r0, =0xE0002000
    movs r4, #3
    str r4, [r0]
    bkpt #1
    .balign 4
regs:
    .word 0xE000EDF0, 0xE000EDFC, 0xE000ED30, 0xE000ED24, 0xE000EDF8, 0xE0001000, 0xE0002000",
    );
    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::DEMCR, VC_HARDERR);
    wr(&mut core, &mut bus, reg::DCRDR, 0x1234_5678);
    // SVCall pending (SHCSR.SVCALLPENDED, bit 15), as the debugger sets it.
    wr(&mut core, &mut bus, reg::SHCSR, 1 << 15);
    assert_eq!(rd(&mut core, &mut bus, reg::SHCSR), 1 << 15);
    wr(&mut core, &mut bus, reg::SHCSR, 0);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    assert_eq!(words(&mut bus, support::RAM, 7), [0; 7]);
    assert_eq!(core.regs.r[3], 0);
    // The debugger's view is unchanged: C_DEBUGEN still set (halted), DEMCR as it wrote it,
    // the BPU still off, DCRDR kept.
    assert_eq!(
        rd(&mut core, &mut bus, reg::DHCSR) & (C_DEBUGEN | S_HALT),
        C_DEBUGEN | S_HALT
    );
    assert_eq!(rd(&mut core, &mut bus, reg::DEMCR), VC_HARDERR);
    assert_eq!(rd(&mut core, &mut bus, reg::BP_CTRL), 0x40);
    assert_eq!(rd(&mut core, &mut bus, reg::DCRDR), 0x1234_5678);
    assert_eq!(rd(&mut core, &mut bus, reg::DWT_CTRL), 0x2000_0000);
}

#[test]
fn demcr_has_vc_corereset_vc_harderr_and_dwtena_only() {
    let program = program(&[], "_start:\n    bkpt #1");
    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::DEMCR, 0xFFFF_FFFF);
    assert_eq!(
        rd(&mut core, &mut bus, reg::DEMCR),
        DWTENA | VC_HARDERR | VC_CORERESET
    );
}

#[test]
fn vc_harderr_halts_on_the_hardfault_handler() {
    let program = program(
        &[(HARD_FAULT, "hardfault")],
        "_start:
faulting:
    udf #0
hardfault:
    bkpt #3",
    );
    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::DEMCR, VC_HARDERR);
    assert_eq!(
        run(&mut core, &mut bus),
        Stop::Halted(HaltReason::VectorCatch)
    );
    // On the handler's first instruction, the frame stacked (C1: vector catch).
    assert_eq!(core.pc(), program.symbol("hardfault"));
    assert_eq!(core.regs.ipsr, HARD_FAULT);
    let frame = core.regs.r[13];
    assert_eq!(bus.word(frame + 24), program.symbol("faulting"));
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_VCATCH);
}

#[test]
fn vc_corereset_halts_at_the_reset_vector_after_sysresetreq() {
    let program = program(&[], "_start:\n    movs r0, #1\n    bkpt #1");
    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::DEMCR, VC_CORERESET);
    // AIRCR: VECTKEY and SYSRESETREQ (bit 2).
    wr(&mut core, &mut bus, reg::AIRCR, 0x05FA_0004);
    assert_eq!(run(&mut core, &mut bus), Stop::ResetRequested);
    core.system_reset(&mut bus, 0);
    assert_eq!(
        run(&mut core, &mut bus),
        Stop::Halted(HaltReason::VectorCatch)
    );
    assert_eq!(core.pc(), program.symbol("_start"));
    assert_eq!(
        rd(&mut core, &mut bus, reg::DFSR) & DFSR_VCATCH,
        DFSR_VCATCH
    );
}

#[test]
fn sub_word_debugger_accesses_to_the_scs_do_nothing() {
    // ARMv6-M ARM B3.1.1: the PPB takes aligned word accesses only. A byte or halfword access
    // by the debugger reads zero and writes nothing (what Cortex-M0/M0+ parts are seen to do).
    let program = program(&[], "_start:\n    bkpt #1");
    let (mut core, mut bus) = boot(&program);
    wr(&mut core, &mut bus, reg::IPR0, 0x4080_C000);
    assert_eq!(core.debug_read(&mut bus, reg::IPR0 + 1, 1), Ok(0));
    assert_eq!(core.debug_read(&mut bus, reg::IPR0 + 2, 2), Ok(0));
    assert_eq!(core.debug_write(&mut bus, reg::IPR0 + 3, 0xC0, 1), Ok(()));
    assert_eq!(rd(&mut core, &mut bus, reg::IPR0), 0x4080_C000);
    assert_eq!(core.debug_read(&mut bus, reg::CPUID, 2), Ok(0));
    assert_eq!(rd(&mut core, &mut bus, reg::CPUID), 0x410C_C601);
}
