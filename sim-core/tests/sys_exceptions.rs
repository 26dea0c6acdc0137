//! Exception entry and return, priorities, preemption, tail-chaining, masking, escalation and
//! lockup (ARMv7-M ARM B1.5), driven directly: exceptions are pended through the registers,
//! taken by running the core with a budget of 0 instructions, and returned from through
//! `Core::exception_return` (what `BX LR` with an EXC_RETURN does once the integer
//! instructions are there). Expected values are worked out from B1.5.6–B1.5.8.

mod sys_support;

use sim_core::{Config, Core, Stop};
use sys_support::*;

const ICSR_PENDSVSET: u32 = 1 << 28;
const ICSR_PENDSTSET: u32 = 1 << 26;
const ICSR_NMIPENDSET: u32 = 1 << 31;
const SHCSR_USGFAULTENA: u32 = 1 << 18;
const SHCSR_BUSFAULTENA: u32 = 1 << 17;
const CFSR_UNDEFINSTR: u32 = 1 << 16;
const CFSR_INVPC: u32 = 1 << 18;
const CFSR_STKERR: u32 = 1 << 12;
const CFSR_UNSTKERR: u32 = 1 << 11;
const HFSR_FORCED: u32 = 1 << 30;
const HFSR_VECTTBL: u32 = 1 << 1;
const PSR_T: u32 = 1 << 24;

fn words(bus: &mut FlatBus, address: u32, count: u32) -> Vec<u32> {
    (0..count).map(|i| ram(bus, address + 4 * i)).collect()
}

fn set_ram(core: &mut Core, bus: &mut FlatBus, address: u32, value: u32) {
    wr(core, bus, address, value);
}

fn pend_pendsv(core: &mut Core, bus: &mut FlatBus) {
    wr(core, bus, reg::ICSR, ICSR_PENDSVSET);
}

fn enable_irq(core: &mut Core, bus: &mut FlatBus, irq: u32, priority: u8) {
    wr(core, bus, reg::ISER0 + 4 * (irq / 32), 1 << (irq % 32));
    core.debug_write(bus, reg::IPR0 + irq, u32::from(priority), 1)
        .expect("IPR byte");
}

fn pend_irq(core: &mut Core, bus: &mut FlatBus, irq: u32) {
    wr(core, bus, reg::ISPR0 + 4 * (irq / 32), 1 << (irq % 32));
}

#[test]
fn entry_stacks_the_basic_frame_and_return_restores_it() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    for n in 0..4 {
        core.regs.r[n] = 0x100 + n as u32;
    }
    core.regs.r[12] = 0x10C;
    core.regs.r[14] = 0x0000_1235;
    core.regs.apsr = 0xA000_0000; // N and C
    pend_pendsv(&mut core, &mut bus);
    assert_eq!(service(&mut core, &mut bus), Stop::Budget);

    // B1.5.7: 8 words below the 8-byte aligned SP.
    let frame = STACK_TOP - 0x20;
    assert_eq!(core.regs.r[13], frame);
    assert_eq!(
        words(&mut bus, frame, 8),
        [
            0x100,
            0x101,
            0x102,
            0x103,
            0x10C,
            0x1235,
            CODE,
            0xA000_0000 | PSR_T
        ]
    );
    assert_eq!(
        core.regs.r[14], 0xFFFF_FFF9,
        "Thread mode, main stack, basic frame"
    );
    assert_eq!(core.regs.ipsr, 14);
    assert_eq!(core.pc(), handler(14));
    assert!(core.regs.thumb);
    assert_eq!(rd(&mut core, &mut bus, reg::SHCSR), 1 << 10, "PENDSVACT");
    let icsr = rd(&mut core, &mut bus, reg::ICSR);
    assert_eq!(icsr & 0x1FF, 14, "VECTACTIVE");
    assert_ne!(icsr & (1 << 11), 0, "RETTOBASE");
    assert_eq!(icsr & ICSR_PENDSVSET, 0, "no longer pending");

    // The handler changes the stacked R0; the return takes the frame from memory.
    set_ram(&mut core, &mut bus, frame, 0xDEAD);
    core.regs.r[1] = 0;
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert_eq!(core.regs.r[0], 0xDEAD);
    assert_eq!(core.regs.r[1], 0x101);
    assert_eq!(core.regs.r[14], 0x1235);
    assert_eq!(core.regs.r[13], STACK_TOP);
    assert_eq!(core.pc(), CODE);
    assert_eq!(core.regs.ipsr, 0);
    assert_eq!(core.regs.apsr, 0xA000_0000);
    assert_eq!(rd(&mut core, &mut bus, reg::SHCSR), 0);
}

#[test]
fn a_four_byte_aligned_sp_is_realigned_and_marked_in_xpsr_bit_9() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    core.regs.r[13] = STACK_TOP - 4;
    pend_pendsv(&mut core, &mut bus);
    service(&mut core, &mut bus);
    // (0x2000_7FFC - 0x20) & !7 = 0x2000_7FD8, with the padding word above the frame.
    let frame = 0x2000_7FD8;
    assert_eq!(core.regs.r[13], frame);
    assert_eq!(ram(&mut bus, frame + 0x1C), PSR_T | (1 << 9));
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert_eq!(core.regs.r[13], STACK_TOP - 4);
    assert_eq!(
        core.regs.xpsr() & (1 << 9),
        0,
        "bit 9 is not restored into xPSR"
    );

    // With CCR.STKALIGN clear (writable on the M4) the frame is only word aligned.
    store(&mut core, &mut bus, reg::CCR, 0, 4);
    pend_pendsv(&mut core, &mut bus);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.r[13], STACK_TOP - 4 - 0x20);
    assert_eq!(ram(&mut bus, STACK_TOP - 4 - 4), PSR_T);
}

#[test]
fn thread_on_the_process_stack_stacks_there_and_returns_with_0xfffffffd() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[]);
    core.regs.set_psp(0x2000_4000);
    core.regs.set_mode(0, 0b10); // CONTROL.SPSEL
    assert_eq!(core.regs.r[13], 0x2000_4000);
    wr(&mut core, &mut bus, reg::ICSR, ICSR_PENDSTSET);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 15);
    assert_eq!(core.regs.r[14], 0xFFFF_FFFD);
    assert_eq!(
        core.regs.r[13], STACK_TOP,
        "the handler runs on the main stack"
    );
    assert_eq!(core.regs.psp(), 0x2000_3FE0);
    assert_eq!(core.regs.control & 0b10, 0, "SPSEL cleared in Handler mode");
    assert_eq!(ram(&mut bus, 0x2000_3FE0 + 0x18), CODE);
    core.exception_return(&mut bus, 0xFFFF_FFFD);
    assert_eq!(core.regs.control & 0b10, 0b10);
    assert_eq!(core.regs.r[13], 0x2000_4000);
    assert_eq!(core.regs.msp(), STACK_TOP);
}

#[test]
fn an_active_fp_context_stacks_the_extended_frame() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    let control_fpca = 0b100;
    core.regs.set_mode(0, control_fpca);
    for i in 0..32 {
        core.fp.s[i] = 0x3F80_0000 + i as u32;
    }
    core.fp.fpscr = 0x0300_0000;
    pend_pendsv(&mut core, &mut bus);
    service(&mut core, &mut bus);
    // 0x68 bytes, always 8-byte aligned.
    let frame = STACK_TOP - 0x68;
    assert_eq!(core.regs.r[13], frame);
    assert_eq!(
        core.regs.r[14], 0xFFFF_FFE9,
        "Thread, main stack, extended frame"
    );
    assert_eq!(core.regs.control & control_fpca, 0, "FPCA cleared on entry");
    let s: Vec<u32> = (0..16).map(|i| 0x3F80_0000 + i).collect();
    assert_eq!(words(&mut bus, frame + 0x20, 16), s);
    assert_eq!(ram(&mut bus, frame + 0x60), 0x0300_0000);
    // LSPEN is set at reset: FPCAR points at the S0 slot; FPCCR records Thread mode and that
    // HardFault could be taken; LSPACT stays 0 because the registers were saved.
    assert_eq!(rd(&mut core, &mut bus, reg::FPCAR), frame + 0x20);
    assert_eq!(
        rd(&mut core, &mut bus, reg::FPCCR),
        0xC000_0000 | (1 << 3) | (1 << 4)
    );
    // The handler clobbers S0–S15 and FPSCR; the return reloads them and sets FPCA.
    core.fp.s[0] = 0;
    core.fp.s[15] = 0;
    core.fp.fpscr = 0;
    core.fp.s[16] = 0x1234; // not part of the frame
    core.exception_return(&mut bus, 0xFFFF_FFE9);
    assert_eq!(core.fp.s[0], 0x3F80_0000);
    assert_eq!(core.fp.s[15], 0x3F80_000F);
    assert_eq!(core.fp.s[16], 0x1234);
    assert_eq!(core.fp.fpscr, 0x0300_0000);
    assert_eq!(core.regs.control & control_fpca, control_fpca);
    assert_eq!(core.regs.r[13], STACK_TOP);
}

#[test]
fn group_priority_decides_preemption_and_pending_ones_tail_chain() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    // PRIGROUP 5: group priority in bits [7:6], subpriority [5:0].
    wr(&mut core, &mut bus, reg::AIRCR, 0x05FA_0500);
    enable_irq(&mut core, &mut bus, 0, 0x80);
    enable_irq(&mut core, &mut bus, 1, 0x40);
    enable_irq(&mut core, &mut bus, 2, 0xB0); // group 0x80, subpriority 0x30
    pend_irq(&mut core, &mut bus, 0);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 16);
    let thread_frame = core.regs.r[13];

    // Same group: no preemption, even though pending.
    pend_irq(&mut core, &mut bus, 2);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 16);
    // A more urgent group preempts, from Handler mode.
    pend_irq(&mut core, &mut bus, 1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 17);
    assert_eq!(core.regs.r[14], 0xFFFF_FFF1);
    assert_eq!(
        rd(&mut core, &mut bus, reg::ICSR) & (1 << 11),
        0,
        "RETTOBASE: nested"
    );
    assert_eq!(rd(&mut core, &mut bus, reg::IABR0), 0b011);

    core.exception_return(&mut bus, 0xFFFF_FFF1);
    service(&mut core, &mut bus);
    assert_eq!(
        core.regs.ipsr, 16,
        "back in IRQ 0; IRQ 2 still cannot preempt"
    );
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0), 0b100);

    // Returning to Thread mode with IRQ 2 pending: it is taken straight away (tail-chained),
    // with the same frame and EXC_RETURN.
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 18);
    assert_eq!(core.regs.r[13], thread_frame);
    assert_eq!(core.regs.r[14], 0xFFFF_FFF9);
    assert_eq!(ram(&mut bus, thread_frame + 0x18), CODE);
    assert_eq!(rd(&mut core, &mut bus, reg::IABR0), 0b100);
}

#[test]
fn interrupts_beyond_the_first_word_are_taken() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[]);
    // IRQ 109, the F767's last: exception 125, enable word 3 bit 13.
    enable_irq(&mut core, &mut bus, 109, 0x20);
    pend_irq(&mut core, &mut bus, 109);
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0 + 12), 1 << 13);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 125);
    assert_eq!(core.pc(), handler(125));
    assert_eq!(rd(&mut core, &mut bus, reg::IABR0 + 12), 1 << 13);
    assert_eq!(rd(&mut core, &mut bus, reg::ICSR) & 0x1FF, 125);
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert_eq!(rd(&mut core, &mut bus, reg::IABR0 + 12), 0);
}

#[test]
fn among_pending_exceptions_the_lowest_priority_value_then_the_lowest_number_goes_first() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    wr(&mut core, &mut bus, reg::AIRCR, 0x05FA_0500);
    enable_irq(&mut core, &mut bus, 3, 0x90);
    enable_irq(&mut core, &mut bus, 2, 0xB0);
    enable_irq(&mut core, &mut bus, 4, 0x90);
    core.regs.primask = true;
    pend_irq(&mut core, &mut bus, 2);
    pend_irq(&mut core, &mut bus, 4);
    pend_irq(&mut core, &mut bus, 3);
    core.regs.primask = false;
    core.pend_exception(0); // (no such exception) just asks the loop to look
    service(&mut core, &mut bus);
    // 0x90 beats 0xB0 within group 0x80; IRQ 3 before IRQ 4 at equal priority.
    assert_eq!(core.regs.ipsr, 16 + 3);
}

#[test]
fn primask_basepri_and_faultmask_hold_interrupts_off() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    enable_irq(&mut core, &mut bus, 0, 0x80);
    core.regs.primask = true;
    pend_irq(&mut core, &mut bus, 0);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 0, "PRIMASK");
    core.regs.primask = false;
    core.regs.basepri = 0x80;
    core.pend_exception(0);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 0, "BASEPRI 0x80 masks priority 0x80");
    core.regs.faultmask = true;
    core.regs.basepri = 0x90;
    core.pend_exception(0);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 0, "FAULTMASK");
    // NMI is not masked.
    wr(&mut core, &mut bus, reg::ICSR, ICSR_NMIPENDSET);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 2);
    // Returning from NMI keeps FAULTMASK; from anything else it is cleared (B1.5.8).
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert!(core.regs.faultmask);
    // Lowering the mask through MSR lets the interrupt in before the next instruction.
    sim_core::system::special::write_special(&mut core, 19, 0, 0); // MSR FAULTMASK
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 16, "BASEPRI 0x90 lets priority 0x80 in");
}

#[test]
fn an_undefined_instruction_escalates_to_hardfault_while_usagefault_is_disabled() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    core.run(&mut bus, 1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(core.pc(), handler(3));
    assert_eq!(
        ram(&mut bus, core.regs.r[13] + 0x18),
        CODE,
        "returns to the UDF"
    );
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), CFSR_UNDEFINSTR);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), HFSR_FORCED);
}

#[test]
fn an_enabled_usagefault_is_taken_as_itself() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    wr(&mut core, &mut bus, reg::SHCSR, SHCSR_USGFAULTENA);
    core.run(&mut bus, 1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 6);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), 0);
    assert_eq!(
        rd(&mut core, &mut bus, reg::SHCSR),
        SHCSR_USGFAULTENA | (1 << 3)
    );
    assert_eq!(ram(&mut bus, core.regs.r[13] + 0x18), CODE);
}

#[test]
fn a_usagefault_below_the_execution_priority_escalates() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    wr(&mut core, &mut bus, reg::SHCSR, SHCSR_USGFAULTENA);
    store(&mut core, &mut bus, reg::SHPR1 + 2, 0x80, 1); // UsageFault priority 0x80
    enable_irq(&mut core, &mut bus, 0, 0x40);
    pend_irq(&mut core, &mut bus, 0);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 16);
    core.regs.r[15] = CODE; // the handler executes the UDF
    core.run(&mut bus, 1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(core.regs.r[14], 0xFFFF_FFF1);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), HFSR_FORCED);
}

#[test]
fn a_fault_in_the_hardfault_handler_locks_the_core_up() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[UDF]);
    core.run(&mut bus, 1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 3);
    core.regs.r[15] = CODE;
    match core.run(&mut bus, 10) {
        Stop::LockedUp { pc, reason } => {
            assert_eq!(pc, CODE);
            assert!(reason.contains("UNDEFINSTR"), "{reason}");
        }
        other => panic!("expected lockup, got {other:?}"),
    }
    assert!(core.is_locked_up());
    assert_ne!(rd(&mut core, &mut bus, reg::DHCSR) & S_LOCKUP, 0);
    // It stays locked up.
    assert!(matches!(core.run(&mut bus, 10), Stop::LockedUp { .. }));
    assert_eq!(core.pc(), CODE);
}

#[test]
fn a_fault_with_faultmask_set_locks_up() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    core.regs.faultmask = true;
    assert!(matches!(core.run(&mut bus, 10), Stop::LockedUp { .. }));
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), CFSR_UNDEFINSTR);
}

#[test]
fn nmi_preempts_hardfault() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[UDF]);
    core.run(&mut bus, 1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 3);
    core.pend_nmi();
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 2);
    assert_eq!(core.regs.r[14], 0xFFFF_FFF1);
}

#[test]
fn an_unreadable_vector_escalates_to_hardfault_with_vecttbl() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    // A table in the last 128 bytes of the 256 KB test flash: entries 0–31 exist, IRQ 16's
    // (exception 32) is past the end of flash.
    let table = 0x0004_0000 - 0x80;
    wr(&mut core, &mut bus, table + 4 * 3, handler(3) | 1);
    wr(&mut core, &mut bus, reg::VTOR, table);
    enable_irq(&mut core, &mut bus, 16, 0x10);
    pend_irq(&mut core, &mut bus, 16);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(core.pc(), handler(3));
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), HFSR_VECTTBL);
    assert_eq!(
        rd(&mut core, &mut bus, reg::ISPR0),
        1 << 16,
        "IRQ 16 stays pending"
    );
    assert_eq!(rd(&mut core, &mut bus, reg::IABR0), 0);
}

#[test]
fn a_stacking_bus_error_is_a_derived_busfault() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    wr(&mut core, &mut bus, reg::SHCSR, SHCSR_BUSFAULTENA);
    // PendSV priority 0xF0; Thread mode on a process stack pointing at unmapped memory.
    store(&mut core, &mut bus, reg::SHPR3 + 2, 0xF0, 1);
    core.regs.set_psp(0x1000_0000);
    core.regs.set_mode(0, 0b10);
    pend_pendsv(&mut core, &mut bus);
    service(&mut core, &mut bus);
    // PendSV was entered; the BusFault (priority 0) preempted it before its first
    // instruction, stacking on the (good) main stack.
    assert_eq!(core.regs.ipsr, 5);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), CFSR_STKERR);
    assert_eq!(
        rd(&mut core, &mut bus, reg::SHCSR),
        SHCSR_BUSFAULTENA | (1 << 1) | (1 << 10)
    );
    assert_eq!(core.regs.r[14], 0xFFFF_FFF1);
    assert_eq!(core.regs.psp(), 0x1000_0000 - 0x20);
}

#[test]
fn a_stacking_error_on_hardfault_entry_locks_up() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    core.regs.r[13] = 0x1000_0000;
    pend_pendsv(&mut core, &mut bus);
    let stop = service(&mut core, &mut bus);
    assert!(matches!(stop, Stop::LockedUp { .. }), "{stop:?}");
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), CFSR_STKERR);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), HFSR_FORCED);
}

#[test]
fn an_unstacking_bus_error_abandons_the_return() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    pend_pendsv(&mut core, &mut bus);
    service(&mut core, &mut bus);
    core.regs.r[13] = 0x1000_0000;
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    // BusFault disabled: HardFault, taken without stacking, LR = the EXC_RETURN.
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(core.regs.r[14], 0xFFFF_FFF9);
    assert_eq!(core.regs.r[13], 0x1000_0000);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), CFSR_UNSTKERR);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), HFSR_FORCED);
    assert_eq!(
        rd(&mut core, &mut bus, reg::SHCSR) & (1 << 10),
        0,
        "PendSV deactivated"
    );
}

#[test]
fn an_illegal_exc_return_is_an_invpc_usagefault() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    wr(&mut core, &mut bus, reg::SHCSR, SHCSR_USGFAULTENA);
    pend_pendsv(&mut core, &mut bus);
    service(&mut core, &mut bus);
    let frame = core.regs.r[13];
    core.exception_return(&mut bus, 0xFFFF_FFF5);
    assert_eq!(core.regs.ipsr, 6);
    assert_eq!(core.regs.r[14], 0xFFFF_FFF5);
    assert_eq!(core.regs.r[13], frame, "no new frame");
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), CFSR_INVPC);
    assert_eq!(
        rd(&mut core, &mut bus, reg::SHCSR),
        SHCSR_USGFAULTENA | (1 << 3)
    );
}

#[test]
fn returning_to_thread_mode_with_another_exception_active_is_invpc() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    enable_irq(&mut core, &mut bus, 0, 0x80);
    enable_irq(&mut core, &mut bus, 1, 0x40);
    pend_irq(&mut core, &mut bus, 0);
    service(&mut core, &mut bus);
    pend_irq(&mut core, &mut bus, 1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 17);
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert_eq!(core.regs.ipsr, 3, "UsageFault disabled: HardFault");
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), CFSR_INVPC);
    assert_eq!(
        rd(&mut core, &mut bus, reg::IABR0),
        0b001,
        "IRQ 1 deactivated"
    );
}

#[test]
fn svc_is_taken_after_the_instruction_or_escalates() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    // As the SVC instruction leaves it: the PC on the next instruction.
    core.regs.r[15] = CODE + 2;
    core.supervisor_call(0);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 11);
    assert_eq!(ram(&mut bus, core.regs.r[13] + 0x18), CODE + 2);
    core.exception_return(&mut bus, 0xFFFF_FFF9);

    // In a handler at a priority SVCall cannot preempt: HardFault, FORCED.
    store(&mut core, &mut bus, reg::SHPR2 + 3, 0x80, 1);
    enable_irq(&mut core, &mut bus, 0, 0x40);
    pend_irq(&mut core, &mut bus, 0);
    service(&mut core, &mut bus);
    core.supervisor_call(1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(rd(&mut core, &mut bus, reg::HFSR), HFSR_FORCED);
    // In HardFault: lockup.
    core.supervisor_call(2);
    assert!(matches!(
        service(&mut core, &mut bus),
        Stop::LockedUp { .. }
    ));
}

#[test]
fn level_sensitive_lines_pend_again_while_asserted() {
    let (core, mem) = boot(Config::cortex_m7_dp(), &[]);
    let mut core = core;
    let mut bus = LineBus::new(mem);
    wr(&mut core, &mut bus, reg::ISER0, 1 << 5);
    bus.set_line(5, true);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 16 + 5);
    // Clearing the pending state cannot win against the asserted line.
    wr(&mut core, &mut bus, reg::ICPR0, 1 << 5);
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0), 0);
    // The handler returns with the line still asserted: pending again, taken again.
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0), 1 << 5);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 16 + 5);
    // The handler clears the source: the return goes back to Thread mode.
    bus.set_line(5, false);
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 0);
    assert_eq!(rd(&mut core, &mut bus, reg::ISPR0), 0);
    // A line asserted while interrupts are disabled in the NVIC stays pending until enabled.
    wr(&mut core, &mut bus, reg::ICER0, 1 << 5);
    bus.set_line(5, true);
    bus.set_line(5, false);
    service(&mut core, &mut bus);
    assert_eq!(
        rd(&mut core, &mut bus, reg::ISPR0),
        0,
        "a pulse while disabled and low..."
    );
    bus.set_line(5, true);
    service(&mut core, &mut bus);
    assert_eq!(
        rd(&mut core, &mut bus, reg::ISPR0),
        1 << 5,
        "...a level seen pends"
    );
    assert_eq!(core.regs.ipsr, 0);
}

#[test]
fn vectclractive_clears_active_state_while_halted() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    pend_pendsv(&mut core, &mut bus);
    service(&mut core, &mut bus);
    // Not halted: UNPREDICTABLE, ignored.
    wr(&mut core, &mut bus, reg::AIRCR, 0x05FA_0002);
    assert_eq!(core.regs.ipsr, 14);
    debugen(&mut core, &mut bus);
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
    wr(&mut core, &mut bus, reg::AIRCR, 0x05FA_0002);
    assert_eq!(core.regs.ipsr, 0);
    assert_eq!(rd(&mut core, &mut bus, reg::SHCSR), 0);
}

#[test]
fn the_armv6m_core_has_hardfault_only_and_two_priority_bits() {
    let config = Config {
        arch: sim_core::Arch::V6M,
        fpu: sim_core::Fpu::None,
        cpuid: 0x410C_C601,
        mvfr: [0; 3],
        irq_count: 32,
        priority_bits: 2,
        fpb: sim_core::config::FpbConfig {
            revision: 0,
            code_comparators: 4,
            literal_comparators: 0,
        },
        dwt_comparators: 2,
        cache: None,
        bitband: false,
        systick_calib: 0,
    };
    let (mut core, mut bus) = boot(config, &[UDF]);
    // CCR is read-only: UNALIGN_TRP and STKALIGN.
    assert_eq!(rd(&mut core, &mut bus, reg::CCR), 0x208);
    store(&mut core, &mut bus, reg::CCR, 0, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::CCR), 0x208);
    store(&mut core, &mut bus, reg::IPR0, 0xFFFF_FFFF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::IPR0), 0xC0C0_C0C0);
    // No SHPR1 (configurable faults), no CFSR/HFSR.
    store(&mut core, &mut bus, reg::SHPR1, 0xFFFF_FFFF, 4);
    assert_eq!(rd(&mut core, &mut bus, reg::SHPR1), 0);
    core.run(&mut bus, 1);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 3);
    assert_eq!(rd(&mut core, &mut bus, reg::CFSR), 0);
    assert_eq!(core.regs.r[14], 0xFFFF_FFF9);
}
