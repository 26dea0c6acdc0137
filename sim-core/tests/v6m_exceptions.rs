//! ARMv6-M exceptions on the Cortex-M0+ (`Config::cortex_m0plus()`): SVCall, PendSV, SysTick
//! and external interrupts with 2-bit priorities (ARMv6-M ARM B1.5.4: priority values 0x00,
//! 0x40, 0x80, 0xC0; no priority grouping), entry and return with the 8-word frame and the
//! three EXC_RETURN values (B1.5.6–B1.5.8), the NVIC (B3.4) and VTOR relocation (B3.2.5).

mod support;
mod v6m_common;

use v6m_common::*;

#[test]
fn svc_enters_svcall_with_the_frame_and_returns_after_the_svc() {
    let program = program(
        &[(SVCALL, "svcall")],
        "_start:
    movs r0, #7
    mov r12, r0
    ldr r0, =0x00001235
    mov lr, r0
    movs r0, #5
    movs r1, #6
    movs r2, #8
    movs r3, #9
    movs r7, #0
    svc #3
after_svc:
    adds r7, #1
    bkpt #1
svcall:
    mrs r1, ipsr
    mov r2, lr
    mrs r3, msp
    ldr r4, =0x20000000
    stm r4!, {r1, r2, r3}
    ldm r3!, {r0, r1, r2, r5, r6}
    stm r4!, {r0, r1, r2, r5, r6}
    ldm r3!, {r0, r1, r2}
    stm r4!, {r0, r1, r2}
    movs r0, #99
    movs r1, #98
    bx lr",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    let top = support::RAM + support::RAM_SIZE;
    let log = words(&mut bus, support::RAM, 11);
    // IPSR 11, LR = EXC_RETURN to Thread on MSP, SP = top - 0x20.
    assert_eq!(log[..3], [11, EXC_RETURN_THREAD_MSP, top - 0x20]);
    // Frame: R0, R1, R2, R3, R12, LR, return address (after the SVC), xPSR; `movs r7, #0`
    // last set the flags: Z (and T).
    assert_eq!(
        log[3..],
        [5, 6, 8, 9, 7, 0x1235, program.symbol("after_svc"), Z | T]
    );
    // The return restored R0 and R1 from the frame and resumed after the SVC.
    assert_eq!((core.regs.r[0], core.regs.r[1], core.regs.r[7]), (5, 6, 1));
    assert_eq!(core.regs.r[13], top);
    assert_eq!(core.regs.ipsr, 0);
}

/// SysTick pends PendSV from its handler; with `systick` and `pendsv` as their SHPR3
/// priorities, the handlers log 'S' (SysTick entered), 'E' (SysTick about to return) and 'P'
/// (PendSV), and PendSV records its LR. Returns the log, PendSV's LR and SHPR3 as read back.
fn systick_then_pendsv(systick: u8, pendsv: u8) -> (String, u32, u32) {
    let shpr3 = (u32::from(systick) << 24) | (u32::from(pendsv) << 16);
    let program = program(
        &[(SYSTICK, "systick"), (PENDSV, "pendsv")],
        &format!(
            "_start:
    ldr r0, =0xE000ED20
    ldr r1, =0x{shpr3:08X}
    str r1, [r0]
    ldr r2, [r0]
    ldr r6, =0x20000000
    movs r5, #0
    ldr r0, =0xE000E010
    movs r1, #99
    str r1, [r0, #4]
    str r1, [r0, #8]
    movs r1, #3
    str r1, [r0]
wait:
    cmp r5, #3
    bne wait
    bkpt #1
systick:
    movs r0, #'S'
    strb r0, [r6, r5]
    adds r5, #1
    ldr r0, =0xE000E010
    movs r1, #0
    str r1, [r0]
    ldr r0, =0xE000ED04
    ldr r1, =0x10000000
    str r1, [r0]
    movs r0, #'E'
    strb r0, [r6, r5]
    adds r5, #1
    bx lr
pendsv:
    movs r0, #'P'
    strb r0, [r6, r5]
    adds r5, #1
    mov r0, lr
    str r0, [r6, #16]
    bx lr"
        ),
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    let log: String = bus.ram[..3].iter().map(|&b| b as char).collect();
    (log, bus.word(support::RAM + 16), core.regs.r[2])
}

#[test]
fn pendsv_preempts_systick_only_with_a_more_urgent_priority() {
    // PendSV at 0x00 preempts SysTick at 0xC0 as soon as it is pended: it runs nested, so its
    // EXC_RETURN returns to Handler mode.
    let (log, lr, shpr3) = systick_then_pendsv(0xC0, 0x00);
    assert_eq!(log, "SPE");
    assert_eq!(lr, EXC_RETURN_HANDLER);
    assert_eq!(shpr3, 0xC000_0000);
    // PendSV at 0xC0 waits for SysTick at 0x40 to return, then runs from Thread mode (the
    // return tail-chains into it).
    let (log, lr, shpr3) = systick_then_pendsv(0x40, 0xC0);
    assert_eq!(log, "SEP");
    assert_eq!(lr, EXC_RETURN_THREAD_MSP);
    assert_eq!(shpr3, 0x40C0_0000);
    // Equal priorities never preempt each other.
    let (log, _, _) = systick_then_pendsv(0x80, 0x80);
    assert_eq!(log, "SEP");
}

#[test]
fn priorities_keep_two_bits() {
    // With 2 priority bits, bits [5:0] of every priority field read as zero (B1.5.4): 0x7F
    // is 0x40, and 0x3F is 0x00, which is then as urgent as a field written 0.
    let (log, _, shpr3) = systick_then_pendsv(0x7F, 0x3F);
    assert_eq!(shpr3, 0x4000_0000);
    assert_eq!(log, "SPE");
    let (log, _, shpr3) = systick_then_pendsv(0x3F, 0x3F);
    assert_eq!(shpr3, 0);
    assert_eq!(log, "SEP");
}

#[test]
fn an_interrupt_pended_through_nvic_ispr_is_taken_when_primask_clears() {
    let program = program(
        &[(IRQ0 + 5, "irq5")],
        "_start:
    ldr r0, =0xE000E100
    movs r1, #0x20
    str r1, [r0]
    ldr r0, =0xE000E404
    ldr r1, =0x8000
    str r1, [r0]
    ldr r3, [r0]
    cpsid i
    ldr r0, =0xE000E200
    movs r1, #0x20
    str r1, [r0]
    ldr r4, [r0]
    ldr r0, =0xE000ED04
    ldr r5, [r0]
    movs r7, #0
    cpsie i
after_cpsie:
    bkpt #1
irq5:
    adds r7, #1
    ldr r6, =0x20000000
    mrs r0, ipsr
    ldr r1, =0xE000ED04
    ldr r1, [r1]
    ldr r2, =0xE000E200
    ldr r2, [r2]
    ldr r3, =0xE000E300
    ldr r3, [r3]
    stm r6!, {r0, r1, r2, r3}
    mov r0, lr
    mrs r1, msp
    ldr r1, [r1, #24]
    stm r6!, {r0, r1}
    bx lr",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    let r = &core.regs.r;
    // IPR1 holds IRQ 4–7 one byte each: IRQ 5's priority 0x80 at [15:8].
    assert_eq!(r[3], 0x8000);
    // Pending but not taken while PRIMASK is set; ICSR: ISRPENDING (bit 22) and VECTPENDING
    // [20:12] = 21 (exception 16 + 5), VECTACTIVE 0 in Thread mode (B3.2.4).
    assert_eq!(r[4], 0x20);
    assert_eq!(r[5], (1 << 22) | (21 << 12));
    // Taken once, at the instruction after CPSIE.
    assert_eq!(r[7], 1);
    assert_eq!(
        words(&mut bus, support::RAM, 6),
        [
            21,
            // ICSR in the handler: VECTACTIVE 21 only (ARMv6-M has no RETTOBASE; nothing
            // else pending).
            21,
            // ISPR: the pending bit cleared on entry.
            0,
            // 0xE000E300 is reserved on ARMv6-M (no NVIC_IABR): zero while IRQ 5 is active.
            0,
            EXC_RETURN_THREAD_MSP,
            program.symbol("after_cpsie"),
        ]
    );
}

#[test]
fn a_disabled_or_cleared_interrupt_is_not_taken() {
    let program = program(
        &[(IRQ0 + 31, "irq31")],
        "_start:
    movs r7, #0
    ldr r0, =0xE000E200
    ldr r1, =0x80000000
    str r1, [r0]
    nop
    ldr r0, =0xE000E280
    str r1, [r0]
    ldr r0, =0xE000E100
    str r1, [r0]
    nop
    ldr r0, =0xE000E200
    str r1, [r0]
    nop
    bkpt #1
irq31:
    adds r7, #1
    bx lr",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    // Pended while disabled: not taken; cleared through ICPR, then enabled: still nothing;
    // pended again while enabled: taken once (IRQ 31, the G0B1's last).
    assert_eq!(core.regs.r[7], 1);
}

#[test]
fn thread_mode_on_the_process_stack_returns_with_exc_return_fd() {
    let program = program(
        &[(SVCALL, "svcall")],
        "_start:
    ldr r0, =0x20001000
    msr psp, r0
    movs r0, #2
    msr control, r0
    isb
    mov r6, sp
    movs r0, #42
    svc #0
    mrs r5, control
    bkpt #1
svcall:
    mov r1, lr
    mrs r2, psp
    mrs r3, msp
    ldr r4, [r2]
    ldr r0, =0x20000000
    stm r0!, {r1, r2, r3, r4}
    bx lr",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    let top = support::RAM + support::RAM_SIZE;
    // CONTROL.SPSEL = 1: Thread mode uses PSP (0x20001000); the SVC frame goes there and the
    // handler runs on MSP (B1.5.6).
    assert_eq!(core.regs.r[6], 0x2000_1000);
    assert_eq!(
        words(&mut bus, support::RAM, 4),
        [EXC_RETURN_THREAD_PSP, 0x2000_1000 - 0x20, top, 42]
    );
    assert_eq!(core.regs.r[5], 2);
    assert_eq!(core.regs.r[13], 0x2000_1000);
}

#[test]
fn vtor_relocates_the_vector_table() {
    // The program copies the 48 vectors to RAM at 0x20000200, replaces the SVCall entry and
    // points VTOR there. VTOR's TBLOFF is [31:7] with bit 7 RAZ/WI on the Cortex-M0+ (Generic
    // User Guide 4.3.4): 0x20000280 reads back as 0x20000200.
    let program = program(
        &[(SVCALL, "svc_flash")],
        "_start:
    movs r7, #0
    svc #0
    movs r0, #0
    ldr r1, =0x20000200
    movs r2, #48
copy:
    ldm r0!, {r3}
    stm r1!, {r3}
    subs r2, #1
    bne copy
    ldr r1, =0x20000200
    ldr r3, =svc_ram + 1
    str r3, [r1, #44]
    ldr r0, =0xE000ED08
    ldr r2, [r0]
    ldr r1, =0x20000280
    str r1, [r0]
    ldr r4, [r0]
    svc #0
    bkpt #1
svc_flash:
    adds r7, #1
    bx lr
svc_ram:
    adds r7, #16
    bx lr",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    // VTOR was 0 (the boot address); once moved, SVCall came from the RAM table.
    assert_eq!(core.regs.r[2], 0);
    assert_eq!(core.regs.r[4], 0x2000_0200);
    assert_eq!(core.regs.r[7], 1 + 16);
    assert_eq!(rd(&mut core, &mut bus, reg::VTOR), 0x2000_0200);
}
