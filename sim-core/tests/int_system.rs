//! System and miscellaneous instructions (MRS, MSR, CPS, SVC, BKPT, hints, barriers), the
//! exclusives with the local monitor, and division.

mod int_common;
mod support;

use int_common::*;
use sim_core::{HaltReason, Stop, Trap};

#[test]
fn special_registers_through_mrs_msr_and_cps() {
    let (core, _) = run_m7(
        "_start:
    cpsid i
    mrs r0, primask
    cpsie i
    mrs r1, primask
    cpsid f
    mrs r2, faultmask
    cpsie f
    movs r3, #0x50
    msr basepri, r3
    mrs r4, basepri
    movs r3, #0x70
    msr basepri_max, r3
    mrs r5, basepri
    movs r3, #0x30
    msr basepri_max, r3
    mrs r6, basepri
    ldr r3, =0x20001000
    msr psp, r3
    mrs r7, psp
    mrs r8, msp
    movs r3, #2
    msr control, r3
    isb
    mov r9, sp
    mrs r10, control
    ldr r3, =0xF8000000
    msr apsr_nzcvq, r3
    mrs r11, apsr
    mrs r12, ipsr
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!((r[0], r[1]), (1, 0));
    assert_eq!(r[2], 1);
    assert_eq!(r[4], 0x50);
    // BASEPRI_MAX only raises the priority: 0x70 is lower priority than 0x50, 0x30 higher.
    assert_eq!(r[5], 0x50);
    assert_eq!(r[6], 0x30);
    assert_eq!(r[7], 0x2000_1000);
    assert_eq!(r[8], support::RAM + support::RAM_SIZE);
    // CONTROL.SPSEL = 1 in Thread mode: SP is now the PSP.
    assert_eq!(r[9], 0x2000_1000);
    assert_eq!(r[10], 2);
    assert_eq!(r[11], N | Z | C | V | Q);
    assert_eq!(r[12], 0);
    assert!(!core.regs.faultmask);
}

#[test]
fn hints_and_barriers_complete() {
    // SEV sets the event register, so each WFE clears it and completes without sleeping
    // (B1.5.18).
    let (program, core, _, stop) = run_m7_program_to_stop(
        "_start:
    nop
    nop.w
    yield
    yield.w
    sev
    wfe
    sev.w
    wfe.w
    dmb
    dsb
    isb
    movs r0, #1
stop:
    bkpt #0x42
",
    );
    assert_eq!(stop, Stop::Halted(HaltReason::Bkpt(0x42)));
    assert_eq!(core.pc(), program.symbol("stop"));
    assert_eq!(core.regs.r[0], 1);
}

#[test]
fn wfi_sleeps_when_nothing_is_pending_and_wakes_on_a_masked_interrupt() {
    // WFI completes and the core sleeps until an exception that would preempt with PRIMASK
    // clear is pending (B1.5.19); PRIMASK set, the interrupt wakes the core without being
    // taken and execution goes on after the WFI.
    let (program, mut core, mut bus, stop) = run_m7_program_to_stop(
        "_start:
    cpsid i
    ldr r0, =0xE000E100
    movs r1, #1
    str r1, [r0]
    movs r0, #1
    wfi.w
after:
    movs r0, #2
stop:
    bkpt #0
",
    );
    assert_eq!(
        stop,
        Stop::Sleeping {
            wake_in_cycles: None
        }
    );
    assert!(core.is_sleeping());
    assert_eq!(core.pc(), program.symbol("after"));
    assert_eq!(core.regs.r[0], 1);
    // Still asleep when run again with nothing pending.
    assert!(matches!(core.run(&mut bus, 100), Stop::Sleeping { .. }));
    assert_eq!(core.regs.r[0], 1);
    core.pend_irq(0);
    assert_eq!(
        support::run_to_bkpt(&mut core, &mut bus),
        program.symbol("stop")
    );
    assert_eq!(core.regs.r[0], 2);
    assert_eq!(core.regs.ipsr, 0, "the interrupt was not taken");
}

#[test]
fn svc_takes_svcall_returning_after_the_svc() {
    // SVC makes SVCall pending; it is taken at once with the SVC's next instruction as the
    // return address (A7.7 SVC, B1.5.6). The handler's BKPT halts on its first instruction;
    // its BX LR returns to Thread mode after the SVC.
    let (program, mut core, mut bus, before) = m7_before(
        "    ldr r0, =table
    ldr r1, =0xE000ED08
    str r0, [r1]
    dsb
    isb
    movs r0, #10
    movs r1, #11
    movs r2, #12
    movs r3, #13
    movs r4, #14
    ldr r5, =0xFFFFFFFF
    mov r12, r5
    ldr lr, =0x12345679",
        "    svc #5
after:
    movs r0, #1
stop:
    bkpt #0x42

    .thumb_func
svc_handler:
    bkpt #5
    bx lr

    .balign 128
table:
    .word 0x20040000
    .word _start
    .rept 9
    .word 0
    .endr
    .word svc_handler
",
    );
    let svc = before.r[15];
    assert_eq!(
        support::run_to_stop(&mut core, &mut bus, 100),
        Stop::Halted(HaltReason::Bkpt(5))
    );
    assert_eq!(core.pc(), program.symbol("svc_handler") & !1);
    assert_exception_entry(
        &mut core,
        &mut bus,
        SVCALL,
        &before,
        program.symbol("after"),
        before.xpsr,
    );
    assert_eq!(program.symbol("after"), svc + 2);
    core.regs.r[15] += 2;
    support::resume(&mut core, &mut bus);
    assert_eq!(
        support::run_to_bkpt(&mut core, &mut bus),
        program.symbol("stop")
    );
    assert_eq!(core.regs.r[0], 1);
    assert_eq!(core.regs.ipsr, 0);
    assert_eq!(core.regs.r[13], support::RAM + support::RAM_SIZE);
}

#[test]
fn bkpt_halts_with_its_immediate_and_leaves_the_pc_on_it() {
    let (program, core, _, stop) = run_m7_program_to_stop(
        "_start:
    movs r0, #1
here:
    bkpt #0xAB
",
    );
    assert_eq!(stop, Stop::Halted(HaltReason::Bkpt(0xAB)));
    assert_eq!(core.pc(), program.symbol("here"));
    assert_eq!(core.regs.r[0], 1);
}

#[test]
fn bkpt_is_unconditional_inside_an_it_block() {
    // The IT condition (EQ) fails, yet BKPT executes (A7.7.17).
    let (program, core, _, stop) = run_m7_program_to_stop(
        "_start:
    movs r0, #1
    cmp r0, #0
    it eq
here:
    .inst.n 0xBE07
    movs r0, #2
",
    );
    assert_eq!(stop, Stop::Halted(HaltReason::Bkpt(7)));
    assert_eq!(core.pc(), program.symbol("here"));
    assert_eq!(core.regs.r[0], 1);
}

#[test]
fn mrs_of_a_special_register_the_core_lacks_is_unpredictable() {
    // MRS r0, SYSm 4 (no such register): F3EF 8004.
    assert!(matches!(
        trap_of(m7(), &wide(0xF3EF_8004)),
        Some(Trap::Unmodelled(_))
    ));
    // MRS r0, BASEPRI (17) exists on ARMv7-M but not on ARMv6-M.
    assert_eq!(trap_of(m7(), &wide(0xF3EF_8011)), None);
    assert!(matches!(
        trap_of(v6m(), &wide(0xF3EF_8011)),
        Some(Trap::Unmodelled(_))
    ));
    // MSR APSR_g (mask 01) without the DSP extension; MSR with mask 00.
    assert!(matches!(
        trap_of(v7m(), &wide(0xF380_8400)),
        Some(Trap::Unmodelled(_))
    ));
    assert_eq!(trap_of(m7(), &wide(0xF380_8400)), None);
    assert!(matches!(
        trap_of(m7(), &wide(0xF380_8000)),
        Some(Trap::Unmodelled(_))
    ));
    // MRS into SP.
    assert!(matches!(
        trap_of(m7(), &wide(0xF3EF_8D00)),
        Some(Trap::Unmodelled(_))
    ));
}

#[test]
fn exclusive_pairs_succeed_once_and_fail_without_the_monitor() {
    let (core, mut bus) = run_m7(
        "_start:
    ldr r0, =0x20000900
    movs r1, #5
    str r1, [r0]
    ldrex r2, [r0]
    adds r2, #1
    strex r3, r2, [r0]
    strex r4, r2, [r0]
    ldrex r5, [r0]
    clrex
    strex r6, r1, [r0]
    ldrexb r7, [r0]
    strexb r8, r1, [r0]
    ldrexh r9, [r0]
    ldr r10, =0x1234
    strexh r11, r10, [r0]
    ldrex r12, [r0, #4]
    strex r1, r10, [r0]
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[2], 6);
    // The first STREX passes (0), the second has no monitor (1).
    assert_eq!((r[3], r[4]), (0, 1));
    assert_eq!(r[5], 6);
    // CLREX cleared the monitor: fails, memory keeps 6.
    assert_eq!(r[6], 1);
    assert_eq!(r[7], 6);
    assert_eq!(r[8], 0);
    assert_eq!(r[9], 5);
    assert_eq!(r[11], 0);
    assert_eq!(r[12], 0);
    // The monitor holds 0x904: a STREX to 0x900 fails.
    assert_eq!(r[1], 1);
    assert_eq!(bus.word(0x2000_0900), 0x1234);
    assert_eq!(core.exclusive, None);
}

#[test]
fn exclusives_are_aligned_accesses() {
    // LDREX and STREX are MemA accesses: unaligned, a UsageFault UNALIGNED (A3.4.1, B3.2.15).
    let (_, mut core, mut bus, before) = m7_before(
        "    ldr r0, =0x20000902
    movs r1, #3",
        "    ldrex r1, [r0]",
    );
    assert_forced(&run_into_fault(&mut core, &mut bus, &before), UNALIGNED);
    assert_eq!(core.regs.r[1], 3);
    // STREX checks alignment even when the monitor would fail it.
    let (_, mut core, mut bus, before) = m7_before(
        "    ldr r0, =0x20000901
    movs r2, #9",
        "    strexh r2, r1, [r0]",
    );
    assert_forced(&run_into_fault(&mut core, &mut bus, &before), UNALIGNED);
    assert_eq!(core.regs.r[2], 9);
}

#[test]
fn division_rounds_towards_zero_and_divides_by_zero_as_configured() {
    let (core, _) = run_m7(
        "_start:
    movs r0, #7
    mvn r1, #1
    sdiv r2, r0, r1
    udiv r3, r1, r0
    movs r4, #0
    sdiv r5, r0, r4
    udiv r6, r0, r4
    mov r7, #0x80000000
    mov r8, #-1
    sdiv r9, r7, r8
    sdiv r10, r1, r0
    bkpt #0
",
    );
    let r = &core.regs.r;
    // 7 / -2 = -3.5 -> -3.
    assert_eq!(r[2], (-3i32) as u32);
    // 0xFFFFFFFE / 7 = 613566756.
    assert_eq!(r[3], 0xFFFF_FFFE / 7);
    // Division by zero gives 0 with CCR.DIV_0_TRP clear.
    assert_eq!((r[5], r[6]), (0, 0));
    // INT_MIN / -1 = INT_MIN.
    assert_eq!(r[9], 0x8000_0000);
    // -2 / 7 = 0 (towards zero).
    assert_eq!(r[10], 0);
}

#[test]
fn division_by_zero_faults_with_div_0_trp() {
    // With CCR.DIV_0_TRP set, a division by zero is a UsageFault DIVBYZERO (A7.7 UDIV,
    // B3.2.8) and writes no result.
    let (_, mut core, mut bus, before) = m7_before(
        "    ldr r0, =0xE000ED14
    ldr r1, [r0]
    orr r1, r1, #0x10
    str r1, [r0]
    movs r2, #5
    movs r3, #0
    movs r4, #77",
        "    udiv r4, r2, r3",
    );
    assert_forced(&run_into_fault(&mut core, &mut bus, &before), DIVBYZERO);
    assert_eq!(core.regs.r[4], 77);
}
