//! ARMv6-M faults on the Cortex-M0+ (`Config::cortex_m0plus()`): every fault is a HardFault
//! (ARMv6-M ARM B1.5.2: no MemManage, BusFault or UsageFault), entered with the 8-word frame
//! (B1.5.6–B1.5.7) whose return address is the faulting instruction; ARMv7-M's fault status
//! registers are not there for the handler to read; what cannot be taken locks up (B1.5.15).

mod int_common;
mod support;
mod v6m_common;

use int_common::{run_into_fault, stopped_before, Snapshot};
use sim_core::{Bus, Config, Initiator, Stop};
use v6m_common::*;

const M0PLUS: &str = "cortex-m0plus";

/// Sets R0–R3, R12, LR and the flags to known values before the instruction under test:
/// `cmp r4, #1` with R4 = 0 computes 0 - 1 = 0xFFFFFFFF: N = 1, Z = 0, C = 0 (a borrow),
/// V = 0 (A7.7.28 AddWithCarry(0, NOT 1, 1)).
const SETUP: &str = "    movs r0, #10
    movs r1, #11
    movs r2, #12
    movs r3, #13
    ldr r4, =0x12345678
    mov r12, r4
    ldr r4, =0x00001235
    mov lr, r4
    movs r4, #0
    cmp r4, #1";

fn m0plus_before(
    setup: &str,
    rest: &str,
) -> (support::Program, sim_core::Core, support::FlatBus, Snapshot) {
    stopped_before(setup, rest, M0PLUS, "", Config::cortex_m0plus())
}

/// The fault taken by `instruction` after [`SETUP`]: a HardFault whose frame holds the
/// registers before it and its own address (checked by `run_into_fault`), with the xPSR
/// worked out by hand.
fn hard_fault_of(instruction: &str) -> (sim_core::Core, support::FlatBus) {
    let (_, mut core, mut bus, before) = m0plus_before(SETUP, instruction);
    // N set, Thumb, Thread mode.
    assert_eq!(before.xpsr, N | T, "{instruction}: the flags SETUP leaves");
    let fault = run_into_fault(&mut core, &mut bus, &before);
    assert_eq!(fault.exception, HARD_FAULT, "{instruction}: {fault}");
    // The initial SP (top of RAM, 8-byte aligned) less the 0x20-byte frame.
    assert_eq!(core.regs.r[13], support::RAM + support::RAM_SIZE - 0x20);
    assert_eq!(core.regs.r[14], EXC_RETURN_THREAD_MSP);
    (core, bus)
}

#[test]
fn an_undefined_instruction_is_a_hardfault_with_the_8_word_frame() {
    for instruction in [
        "    udf #7",
        // UDIV r0, r0, r1 and SDIV r0, r0, r1: ARMv7-M only, UNDEFINED on ARMv6-M.
        "    .inst.w 0xFBB0F0F1",
        "    .inst.w 0xFB90F0F1",
        // A 32-bit encoding outside ARMv6-M's six (LDR.W r1, [r0]).
        "    .inst.w 0xF8D01000",
    ] {
        hard_fault_of(instruction);
    }
}

#[test]
fn an_unaligned_access_is_a_hardfault_even_with_ccr_written_zero() {
    // CCR is read-only on ARMv6-M with UNALIGN_TRP (bit 3) and STKALIGN (bit 9) reading as one
    // (ARMv6-M ARM B3.2.8): writing it zero changes nothing, and every unaligned LDR, LDRH,
    // STR, STRH faults (A3.2.1).
    for access in [
        "    ldr r5, [r6]",
        "    ldrh r5, [r6]",
        "    str r5, [r6]",
        "    strh r5, [r6]",
        "    ldm r6!, {r5}",
    ] {
        let setup = format!(
            "{SETUP}
    ldr r6, =0xE000ED14
    movs r5, #0
    str r5, [r6]
    ldr r7, [r6]
    ldr r6, =0x20000103
    movs r5, #0
    cmp r5, #1"
        );
        let (_, mut core, mut bus, before) = m0plus_before(&setup, access);
        assert_eq!(before.r[7], 0x208, "CCR after writing 0");
        let fault = run_into_fault(&mut core, &mut bus, &before);
        assert_eq!(fault.exception, HARD_FAULT, "{access}: {fault}");
        assert_eq!(core.regs.r[5], 0, "{access}: R5 unchanged");
    }
}

#[test]
fn a_bus_error_is_a_hardfault_and_leaves_the_destination_alone() {
    // 0x3000_0000 is not mapped in the test bus: a bus error on the load (B1.5.2: HardFault).
    let setup = format!("{SETUP}\n    ldr r6, =0x30000000\n    movs r5, #0\n    cmp r5, #1");
    let (_, mut core, mut bus, before) = m0plus_before(&setup, "    ldr r5, [r6, #4]");
    let fault = run_into_fault(&mut core, &mut bus, &before);
    assert_eq!(fault.exception, HARD_FAULT, "{fault}");
    assert_eq!(core.regs.r[5], 0);
    // BFAR does not exist on ARMv6-M: the debugger reads the reserved address as zero too.
    assert_eq!(rd(&mut core, &mut bus, reg::BFAR), 0);
}

#[test]
fn the_hardfault_handler_finds_no_fault_status_registers() {
    // What a HardFault handler on an M0+ sees: IPSR 3, LR = EXC_RETURN, the faulting address
    // in the stacked frame (SP + 24), and zeros where ARMv7-M has CFSR, HFSR, MMFAR, BFAR,
    // SHPR1 (reserved on ARMv6-M) and where SHCSR and DFSR are (debugger-only on the M0+).
    let program = program(
        &[(HARD_FAULT, "hardfault")],
        "_start:
    bkpt #9
    ldr r0, =0x20000101
faulting:
    ldr r1, [r0]
    bkpt #1
hardfault:
    ldr r1, =0x20000000
    ldr r2, =regs
    movs r3, #7
copy:
    ldm r2!, {r0}
    ldr r0, [r0]
    stm r1!, {r0}
    subs r3, #1
    bne copy
    mrs r0, ipsr
    mov r2, lr
    mrs r3, msp
    ldr r3, [r3, #24]
    stm r1!, {r0, r2, r3}
    bkpt #2
    .balign 4
regs:
    .word 0xE000ED28, 0xE000ED2C, 0xE000ED34, 0xE000ED38, 0xE000ED18, 0xE000ED24, 0xE000ED30",
    );
    let (mut core, mut bus) = boot(&program);
    // Fill the result area so that a missing store would show.
    for i in 0..10 {
        bus.write(support::RAM + 4 * i, 0xAAAA_AAAA, 4, Initiator::Debug)
            .unwrap();
    }
    // The first BKPT sets DFSR.BKPT, which the debugger sees and the handler does not.
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 9);
    continue_after_bkpt(&mut core, &mut bus);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 2);
    assert_eq!(rd(&mut core, &mut bus, reg::DFSR), DFSR_BKPT);
    assert_eq!(
        words(&mut bus, support::RAM, 10),
        [
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            u32::from(HARD_FAULT),
            EXC_RETURN_THREAD_MSP,
            program.symbol("faulting")
        ]
    );
}

#[test]
fn a_fault_in_the_hardfault_handler_locks_up() {
    // B1.5.15: a fault at priority -1 (HardFault running) cannot be taken: lockup. Likewise an
    // SVC there (it cannot preempt and escalates to HardFault at priority -1).
    for second in ["udf #1", "svc #0"] {
        let program = program(
            &[(HARD_FAULT, "hardfault")],
            &format!(
                "_start:
    udf #0
hardfault:
second:
    {second}
    bkpt #3"
            ),
        );
        let (mut core, mut bus) = boot(&program);
        match support::run_to_stop(&mut core, &mut bus, 1000) {
            Stop::LockedUp { pc, reason } => {
                assert_eq!(pc, program.symbol("second"), "{second}");
                assert!(reason.contains("HardFault"), "{reason}");
            }
            other => panic!("{second}: expected a lockup, got {other:?}"),
        }
        assert_eq!(core.regs.ipsr, HARD_FAULT);
        assert_eq!(rd(&mut core, &mut bus, reg::DHCSR) & S_LOCKUP, S_LOCKUP);
    }
}

#[test]
fn svc_with_primask_set_escalates_to_hardfault() {
    // PRIMASK raises the execution priority to 0; SVCall at its reset priority 0 cannot
    // preempt, so the SVC is a HardFault (ARMv6-M ARM B1.5.4).
    let program = program(
        &[(HARD_FAULT, "hardfault"), (SVCALL, "svcall")],
        "_start:
    cpsid i
    svc #1
    bkpt #1
svcall:
    bkpt #2
hardfault:
    bkpt #3",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 3);
    assert_eq!(core.regs.ipsr, HARD_FAULT);
    // Without PRIMASK the same SVC is taken as SVCall.
    let unmasked = v6m_common::program(
        &[(HARD_FAULT, "hardfault"), (SVCALL, "svcall")],
        "_start:
    svc #1
    bkpt #1
svcall:
    bkpt #2
hardfault:
    bkpt #3",
    );
    let (mut core, mut bus) = boot(&unmasked);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 2);
    assert_eq!(core.regs.ipsr, SVCALL);
}

#[test]
fn basepri_and_faultmask_do_not_exist() {
    // ARMv6-M has PRIMASK only: MRS/MSR with SYSm 17–19 (BASEPRI, BASEPRI_MAX, FAULTMASK)
    // are UNPREDICTABLE (ARMv6-M ARM B4.2 MSR/MRS). The simulator does not guess: the core
    // stops and names the instruction. Encodings: MSR BASEPRI, r0 = F380 8811; MRS r0,
    // BASEPRI = F3EF 8011; MSR FAULTMASK, r0 = F380 8813.
    for (encoding, halfwords) in [
        ("0xF3808811", "0xF380 0x8811"),
        ("0xF3EF8011", "0xF3EF 0x8011"),
        ("0xF3808813", "0xF380 0x8813"),
    ] {
        let program = program(
            &[],
            &format!(
                "_start:\n    movs r0, #0x40\nunpredictable:\n    .inst.w {encoding}\n    bkpt #1"
            ),
        );
        let (mut core, mut bus) = boot(&program);
        match support::run_to_stop(&mut core, &mut bus, 100) {
            Stop::LockedUp { pc, reason } => {
                assert_eq!(pc, program.symbol("unpredictable"));
                assert!(reason.contains(halfwords), "{reason}");
                assert!(reason.contains("UNPREDICTABLE"), "{reason}");
            }
            other => panic!("{encoding}: expected the core to stop, got {other:?}"),
        }
        assert_eq!(core.regs.basepri, 0);
        assert!(!core.regs.faultmask);
    }
}

#[test]
fn the_apsr_has_no_q_bit() {
    // ARMv6-M's APSR is N, Z, C, V (bits 31:28); MSR APSR writes only those, MRS reads only
    // those (ARMv6-M ARM B1.4.2, B4.2).
    let program = program(
        &[],
        "_start:
    ldr r0, =0xF80F0000
    msr apsr, r0
    mrs r1, apsr
    bkpt #1",
    );
    let (mut core, mut bus) = boot(&program);
    run_to_bkpt(&mut core, &mut bus);
    assert_eq!(core.regs.r[1], 0xF000_0000);
    assert_eq!(core.regs.xpsr() & 0xF80F_0000, 0xF000_0000);
}

#[test]
fn an_illegal_exception_return_is_a_hardfault() {
    // EXC_RETURN 0xFFFFFFF5 is none of ARMv6-M's three (B1.5.8: UNPREDICTABLE). The simulator
    // takes it as a HardFault, as ARMv7-M's INVPC check does, with LR = the EXC_RETURN.
    let program = program(
        &[(HARD_FAULT, "hardfault"), (SVCALL, "svcall")],
        "_start:
    svc #0
    bkpt #1
svcall:
    ldr r0, =0xFFFFFFF5
    bx r0
hardfault:
    mov r1, lr
    mrs r2, ipsr
    bkpt #3",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 3);
    assert_eq!(core.regs.r[1], 0xFFFF_FFF5);
    assert_eq!(core.regs.r[2], u32::from(HARD_FAULT));
}
