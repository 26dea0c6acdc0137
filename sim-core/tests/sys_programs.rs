//! Whole programs through the system level: BKPT halting, SysTick interrupts waking WFI,
//! SVC with a handler that edits its frame and returns with POP {PC}, a PendSV on the process
//! stack, a step over one instruction.
//!
//! They run on the integer instruction groups (`thumb16`, `thumb32`) and, for the FP context,
//! the FP group.

mod support;

use sim_core::{Config, Core, HaltReason, Stop};
use support::*;

/// Runs to a BKPT through sleep: a `Stop::Sleeping` fast-forwards the cycles SysTick needs.
fn run_through_sleep(core: &mut Core, bus: &mut FlatBus) -> u32 {
    for _ in 0..10_000 {
        match core.run(bus, 1_000_000) {
            Stop::Halted(HaltReason::Bkpt(_)) => return core.pc(),
            Stop::Sleeping {
                wake_in_cycles: Some(cycles),
            } => core.advance_idle(bus, cycles),
            Stop::Halted(HaltReason::VectorCatch) => panic!("{}", fault_taken(core, bus)),
            other => panic!("unexpected stop {other:?} at 0x{:08X}", core.pc()),
        }
    }
    panic!("no BKPT reached");
}

/// A vector table for the program, at `table` (128-byte aligned), with the handlers named.
const TABLE: &str = "
    .balign 128
table:
    .word 0x20040000
    .word _start
    .rept 9
    .word 0
    .endr
    .word svc_handler
    .word 0
    .word 0
    .word pendsv_handler
    .word systick_handler
";

const SET_VTOR: &str = "
    ldr  r0, =table
    ldr  r1, =0xE000ED08
    str  r0, [r1]
";

#[test]
fn bkpt_halts_on_itself_with_its_immediate() {
    let program = assemble(
        "_start:\n    movs r0, #5\nstop:\n    bkpt #0x12\n",
        "cortex-m4",
        "fpv4-sp-d16",
    );
    let (mut core, mut bus) = boot(&program, Config::cortex_m4f());
    assert_eq!(
        run_to_stop(&mut core, &mut bus, 100),
        Stop::Halted(HaltReason::Bkpt(0x12))
    );
    assert_eq!(core.pc(), program.symbol("stop"));
    assert_eq!(core.regs.r[0], 5);
}

#[test]
fn systick_interrupts_wake_wfi() {
    let source = format!(
        "_start:
{SET_VTOR}
    ldr  r1, =0xE000E010
    movs r0, #0
    str  r0, [r1, #8]
    ldr  r0, =99
    str  r0, [r1, #4]
    movs r0, #7
    str  r0, [r1]
    ldr  r2, =0x20000000
    movs r3, #0
    str  r3, [r2]
wait:
    wfi
    ldr  r3, [r2]
    cmp  r3, #3
    blt  wait
stop:
    bkpt #0

    .thumb_func
systick_handler:
    ldr  r2, =0x20000000
    ldr  r3, [r2]
    adds r3, r3, #1
    str  r3, [r2]
    bx   lr

    .thumb_func
svc_handler:
    .thumb_func
pendsv_handler:
    b    .
{TABLE}
"
    );
    let program = assemble(&source, "cortex-m7", "fpv5-d16");
    let (mut core, mut bus) = boot(&program, Config::cortex_m7_dp());
    assert_eq!(
        run_through_sleep(&mut core, &mut bus),
        program.symbol("stop")
    );
    assert_eq!(bus.word(0x2000_0000), 3);
    // Three SysTick periods of 100 cycles, at least.
    assert!(core.cycles >= 300, "{} cycles", core.cycles);
}

#[test]
fn an_svc_handler_edits_its_frame_and_returns_with_pop_pc() {
    let source = format!(
        "_start:
{SET_VTOR}
    movs r0, #1
    movs r4, #4
    svc  #7
after:
    bkpt #1

    .thumb_func
svc_handler:
    push {{r4, lr}}
    movs r4, #99
    movs r1, #42
    str  r1, [sp, #8]
    pop  {{r4, pc}}

    .thumb_func
systick_handler:
    .thumb_func
pendsv_handler:
    b    .
{TABLE}
"
    );
    let program = assemble(&source, "cortex-m4", "fpv4-sp-d16");
    let (mut core, mut bus) = boot(&program, Config::cortex_m4f());
    assert_eq!(run_to_bkpt(&mut core, &mut bus), program.symbol("after"));
    assert_eq!(core.regs.r[0], 42, "R0 from the edited frame");
    assert_eq!(core.regs.r[4], 4, "R4 popped by the handler");
    assert_eq!(core.regs.ipsr, 0);
    assert_eq!(core.regs.r[13], RAM + RAM_SIZE);
}

#[test]
fn pendsv_on_the_process_stack() {
    let source = format!(
        "_start:
{SET_VTOR}
    ldr  r0, =0x20001000
    msr  psp, r0
    movs r0, #2
    msr  control, r0
    isb
    ldr  r1, =0xE000ED04
    ldr  r0, =0x10000000
    str  r0, [r1]
    dsb
    isb
stop:
    bkpt #2

    .thumb_func
pendsv_handler:
    mrs  r0, psp
    ldr  r1, =0x20000010
    str  r0, [r1]
    str  lr, [r1, #4]
    bx   lr

    .thumb_func
svc_handler:
    .thumb_func
systick_handler:
    b    .
{TABLE}
"
    );
    let program = assemble(&source, "cortex-m4", "fpv4-sp-d16");
    let (mut core, mut bus) = boot(&program, Config::cortex_m4f());
    assert_eq!(run_to_bkpt(&mut core, &mut bus), program.symbol("stop"));
    assert_eq!(
        bus.word(0x2000_0010),
        0x2000_1000 - 0x20,
        "the frame on PSP"
    );
    assert_eq!(bus.word(0x2000_0014), 0xFFFF_FFFD);
    assert_eq!(core.regs.r[13], 0x2000_1000);
    assert_eq!(core.regs.control & 2, 2);
}

#[test]
fn a_step_with_maskints_executes_one_instruction_and_leaves_the_interrupt_pending() {
    let program = assemble(
        "_start:\n    movs r0, #1\n    movs r0, #2\n    bkpt #0\n",
        "cortex-m4",
        "fpv4-sp-d16",
    );
    let (mut core, mut bus) = boot(&program, Config::cortex_m4f());
    let dhcsr = 0xE000_EDF0;
    core.debug_write(&mut bus, dhcsr, 0xA05F_0003, 4).unwrap();
    core.debug_write(&mut bus, dhcsr, 0xA05F_000B, 4).unwrap();
    core.debug_write(&mut bus, 0xE000_E100, 1, 4).unwrap();
    core.debug_write(&mut bus, 0xE000_E200, 1, 4).unwrap();
    core.debug_write(&mut bus, dhcsr, 0xA05F_000D, 4).unwrap();
    assert_eq!(core.halt_reason(), Some(HaltReason::Step));
    assert_eq!(core.regs.r[0], 1);
    assert_eq!(core.pc(), program.symbol("_start") + 2);
    assert_eq!(core.debug_read(&mut bus, 0xE000_E200, 4), Ok(1));
    // S_RETIRE_ST: an instruction completed since the last read.
    assert_ne!(core.debug_read(&mut bus, dhcsr, 4).unwrap() & (1 << 24), 0);
    assert_eq!(core.debug_read(&mut bus, dhcsr, 4).unwrap() & (1 << 24), 0);
}

#[test]
fn an_fp_context_is_stacked_and_restored_around_an_exception() {
    let source = format!(
        "_start:
{SET_VTOR}
    ldr  r0, =0xE000ED88
    ldr  r1, [r0]
    orr  r1, r1, #(0xF << 20)
    str  r1, [r0]
    dsb
    isb
    vmov.f32 s0, #1.0
    vmov.f32 s15, #2.0
    ldr  r1, =0xE000ED04
    ldr  r0, =0x10000000
    str  r0, [r1]
    dsb
    isb
    vmov r2, s0
    vmov r3, s15
    mrs  r4, control
stop:
    bkpt #3

    .thumb_func
pendsv_handler:
    ldr  r1, =0x20000020
    str  lr, [r1]
    mrs  r0, control
    str  r0, [r1, #4]
    vmov.f32 s0, #3.0
    vmov.f32 s15, #4.0
    bx   lr

    .thumb_func
svc_handler:
    .thumb_func
systick_handler:
    b    .
{TABLE}
"
    );
    let program = assemble(&source, "cortex-m4", "fpv4-sp-d16");
    let (mut core, mut bus) = boot(&program, Config::cortex_m4f());
    assert_eq!(run_to_bkpt(&mut core, &mut bus), program.symbol("stop"));
    assert_eq!(
        bus.word(0x2000_0020),
        0xFFFF_FFE9,
        "extended frame, Thread, MSP"
    );
    assert_eq!(bus.word(0x2000_0024) & 4, 0, "FPCA clear on entry");
    assert_eq!(core.regs.r[2], 0x3F80_0000, "S0 restored");
    assert_eq!(core.regs.r[3], 0x4000_0000, "S15 restored");
    assert_eq!(core.regs.r[4] & 4, 4, "FPCA restored");
    assert_eq!(core.regs.r[13], RAM + RAM_SIZE);
}
