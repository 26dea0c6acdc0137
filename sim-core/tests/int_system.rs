//! System and miscellaneous instructions (MRS, MSR, CPS, SVC, BKPT, hints, barriers), the
//! exclusives with the local monitor, and division.

mod int_common;
mod support;

use int_common::*;
use sim_core::{Stop, Trap};

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
fn hints_and_barriers_complete_and_svc_completes() {
    let (core, _) = run_m7(
        "_start:
    nop
    nop.w
    yield
    yield.w
    sev
    sev.w
    wfe
    wfi.w
    dmb
    dsb
    isb
    svc #5
    movs r0, #1
    bkpt #0x42
",
    );
    assert_eq!(core.regs.r[0], 1);
}

#[test]
fn bkpt_traps_with_its_immediate_and_leaves_the_pc_on_it() {
    let (core, _, stop) = run_m7_to_stop(
        "_start:
    movs r0, #1
here:
    bkpt #0xAB
",
    );
    assert!(matches!(
        stop,
        Stop::Trap {
            trap: Trap::Breakpoint(0xAB),
            ..
        }
    ));
    assert_eq!(core.regs.r[0], 1);
}

#[test]
fn bkpt_is_unconditional_inside_an_it_block() {
    // The IT condition (EQ) fails, yet BKPT executes (A7.7.17).
    let (core, _, stop) = run_m7_to_stop(
        "_start:
    movs r0, #1
    cmp r0, #0
    it eq
    .inst.n 0xBE07
    movs r0, #2
",
    );
    assert!(
        matches!(
            stop,
            Stop::Trap {
                trap: Trap::Breakpoint(7),
                ..
            }
        ),
        "{stop:?}"
    );
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
    let (_, _, stop) = run_m7_to_stop(
        "_start:
    ldr r0, =0x20000902
    ldrex r1, [r0]
",
    );
    assert!(matches!(
        stop,
        Stop::Trap {
            trap: Trap::Unaligned,
            ..
        }
    ));
    // STREX checks alignment even when the monitor would fail it.
    let (core, _, stop) = run_m7_to_stop(
        "_start:
    ldr r0, =0x20000901
    movs r2, #9
    strexh r2, r1, [r0]
",
    );
    assert!(matches!(
        stop,
        Stop::Trap {
            trap: Trap::Unaligned,
            ..
        }
    ));
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
fn division_by_zero_traps_with_div_0_trp() {
    let (core, _, stop) = run_m7_to_stop(
        "_start:
    ldr r0, =0xE000ED14
    ldr r1, [r0]
    orr r1, r1, #0x10
    str r1, [r0]
    movs r2, #5
    movs r3, #0
    movs r4, #77
    udiv r4, r2, r3
",
    );
    assert!(matches!(
        stop,
        Stop::Trap {
            trap: Trap::DivideByZero,
            ..
        }
    ));
    assert_eq!(core.regs.r[4], 77);
}
