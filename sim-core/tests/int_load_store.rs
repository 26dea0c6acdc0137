//! Loads and stores: every addressing mode, sizes and sign extension, literal loads, LDRD/STRD,
//! the T forms, hints, load/store multiple with writeback, loads of the PC (POP, the GNU ld
//! veneer, libgcc's `ldr.w pc, [sp], #8`), alignment faults, and faulting loads and stores:
//! precise bus errors taken as exceptions that leave the registers unchanged and stack them.
//! Expected values are worked out by hand (little-endian bytes).

mod int_common;
mod support;

use int_common::*;
use support::{FlatBus, RAM, RAM_SIZE};

#[test]
fn immediate_register_pre_and_post_indexed_addressing() {
    let (core, mut bus) = run_m7(
        "_start:
    ldr r0, =0x20000100
    ldr r1, =0x11223344
    str r1, [r0]
    str r1, [r0, #4]!
    ldr r2, =0xAABBCCDD
    str r2, [r0], #4
    strb r2, [r0, #1]
    strh r2, [r0, #2]
    ldr r3, [r0, #-8]
    ldrb r4, [r0, #1]
    ldrsb r5, [r0, #1]
    ldrh r6, [r0, #2]
    ldrsh r7, [r0, #2]
    ldr r8, [r0]
    movs r9, #1
    ldr r10, [r0, r9, lsl #2]
    ldr r11, [r0, #-4]!
    ldrh r12, [r0], #-4
    bkpt #0
",
    );
    let r = &core.regs.r;
    // STR with pre-index moved r0 to 0x104; STR post-index stored at 0x104 and moved it to 0x108.
    assert_eq!(bus.word(0x2000_0100), 0x1122_3344);
    assert_eq!(bus.word(0x2000_0104), 0xAABB_CCDD);
    // STRB 0xDD at 0x109, STRH 0xCCDD at 0x10A: the word at 0x108 is DD DD CC 00 reversed.
    assert_eq!(bus.word(0x2000_0108), 0xCCDD_DD00);
    assert_eq!(r[3], 0x1122_3344);
    assert_eq!(r[4], 0xDD);
    assert_eq!(r[5], 0xFFFF_FFDD);
    assert_eq!(r[6], 0xCCDD);
    assert_eq!(r[7], 0xFFFF_CCDD);
    assert_eq!(r[8], 0xCCDD_DD00);
    // [0x108 + 1 << 2] = [0x10C], never written.
    assert_eq!(r[10], 0);
    // LDR pre-indexed: r0 = 0x104 and the word there; LDRH post-indexed: the halfword at 0x104,
    // then r0 = 0x100.
    assert_eq!(r[11], 0xAABB_CCDD);
    assert_eq!(r[12], 0xCCDD);
    assert_eq!(r[0], 0x2000_0100);
}

#[test]
fn sixteen_bit_forms_and_sp_relative() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0x20000300
    movs r1, #0x81
    movs r2, #2
    str r1, [r0, #8]
    strh r1, [r0, #2]
    strb r1, [r0, r2]
    ldrsb r3, [r0, r2]
    ldrh r4, [r0, #2]
    ldrsh r5, [r0, r2]
    ldr r6, [r0, #8]
    sub sp, #16
    str r1, [sp, #12]
    ldr r7, [sp, #12]
    add sp, #16
    mov r8, sp
    bkpt #0
",
    );
    let r = &core.regs.r;
    // STRH stored 0x0081 at 0x302, then STRB 0x81 over its low byte at 0x302.
    assert_eq!(r[3], 0xFFFF_FF81);
    assert_eq!(r[4], 0x0081);
    assert_eq!(r[5], 0x0081);
    assert_eq!(r[6], 0x81);
    assert_eq!(r[7], 0x81);
    assert_eq!(r[8], RAM + RAM_SIZE);
}

#[test]
fn literal_loads_of_every_size() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, lit
    ldr.w r1, lit
    ldrb r2, lit
    ldrsb r3, lit + 3
    ldrh r4, lit + 2
    ldrsh r5, lit + 2
    ldrd r6, r7, lit
    bkpt #0
    .align 2
lit:
    .word 0x8899AABB
    .word 0x01020304
",
    );
    let r = &core.regs.r;
    assert_eq!(r[0], 0x8899_AABB);
    assert_eq!(r[1], 0x8899_AABB);
    assert_eq!(r[2], 0xBB);
    assert_eq!(r[3], 0xFFFF_FF88);
    assert_eq!(r[4], 0x8899);
    assert_eq!(r[5], 0xFFFF_8899);
    assert_eq!((r[6], r[7]), (0x8899_AABB, 0x0102_0304));
}

#[test]
fn load_and_store_dual_with_writeback() {
    let (core, mut bus) = run_m7(
        "_start:
    ldr r0, =0x20000400
    ldr r2, =0x11111111
    ldr r3, =0x22222222
    strd r2, r3, [r0, #8]!
    strd r3, r2, [r0], #-8
    ldrd r4, r5, [r0, #8]
    ldrd r6, r7, [r0, #16]
    add r1, r0, #16
    ldrd r8, r9, [r1, #-8]!
    bkpt #0
",
    );
    // STRD pre-indexed: [0x408] = r2, [0x40C] = r3, r0 = 0x408; post-indexed: [0x408] = r3,
    // [0x40C] = r2, r0 = 0x400.
    assert_eq!(bus.word(0x2000_0408), 0x2222_2222);
    assert_eq!(bus.word(0x2000_040C), 0x1111_1111);
    let r = &core.regs.r;
    assert_eq!(r[0], 0x2000_0400);
    assert_eq!((r[4], r[5]), (0x2222_2222, 0x1111_1111));
    assert_eq!((r[6], r[7]), (0, 0));
    assert_eq!(r[1], 0x2000_0408);
    assert_eq!((r[8], r[9]), (0x2222_2222, 0x1111_1111));
}

#[test]
fn unprivileged_forms_and_hints() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0x20000500
    ldr r1, =0xFEDCBA98
    strt r1, [r0, #4]
    ldrt r2, [r0, #4]
    ldrbt r3, [r0, #7]
    ldrsbt r4, [r0, #7]
    ldrht r5, [r0, #6]
    ldrsht r6, [r0, #6]
    strbt r1, [r0, #8]
    strht r1, [r0, #12]
    ldr r7, [r0, #8]
    ldr r8, [r0, #12]
    ldr r9, =0x40000000
    pld [r9]
    pld [r9, #-4]
    pld [r9, r1]
    pli [r9, #8]
    pld lit
    bkpt #0
    .align 2
lit:
    .word 0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[2], 0xFEDC_BA98);
    assert_eq!(r[3], 0xFE);
    assert_eq!(r[4], 0xFFFF_FFFE);
    assert_eq!(r[5], 0xFEDC);
    assert_eq!(r[6], 0xFFFF_FEDC);
    assert_eq!(r[7], 0x98);
    assert_eq!(r[8], 0xBA98);
}

#[test]
fn unaligned_word_and_halfword_accesses_are_allowed_unless_trapped() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0x20000600
    ldr r1, =0x11223344
    ldr r2, =0xAABBCCDD
    strd r1, r2, [r0]
    ldr r3, [r0, #1]
    ldrh r4, [r0, #3]
    str r2, [r0, #5]
    ldr r5, [r0, #4]
    ldr r6, [r0, #8]
    bkpt #0
",
    );
    let r = &core.regs.r;
    // Bytes from 0x600: 44 33 22 11 DD CC BB AA.
    assert_eq!(r[3], 0xDD11_2233);
    assert_eq!(r[4], 0xDD11);
    // STR at 0x605 writes DD CC BB AA at 0x605..0x608.
    assert_eq!(r[5], 0xBBCC_DDDD);
    assert_eq!(r[6], 0x0000_00AA);
}

#[test]
fn unaligned_accesses_fault_where_the_arm_arm_says_mema_or_ccr_traps() {
    // An unaligned MemA access is a UsageFault UNALIGNED (A3.2.1, B3.2.15).
    // LDRD is MemA.
    let (_, mut core, mut bus, before) = m7_before(
        "    ldr r0, =0x20000602
    movs r1, #1
    movs r2, #2",
        "    ldrd r1, r2, [r0]",
    );
    assert_forced(&run_into_fault(&mut core, &mut bus, &before), UNALIGNED);
    // LDM is MemA.
    let (_, mut core, mut bus, before) = m7_before(
        "    ldr r0, =0x20000602
    movs r1, #1
    movs r2, #2",
        "    ldm r0, {r1, r2}",
    );
    assert_forced(&run_into_fault(&mut core, &mut bus, &before), UNALIGNED);
    // LDR is MemU, faulting once CCR.UNALIGN_TRP is set.
    let (_, mut core, mut bus, before) = m7_before(
        "    ldr r0, =0xE000ED14
    ldr r1, [r0]
    orr r1, r1, #8
    str r1, [r0]
    ldr r0, =0x20000602
    movs r2, #7",
        "    ldr r2, [r0]",
    );
    assert_forced(&run_into_fault(&mut core, &mut bus, &before), UNALIGNED);
    assert_eq!(core.regs.r[2], 7);
}

#[test]
fn load_and_store_multiple_with_and_without_writeback() {
    let (core, mut bus) = run_m7(
        "_start:
    ldr r0, =0x20000700
    movs r1, #1
    movs r2, #2
    movs r3, #3
    stmia r0!, {r1-r3}
    mov r12, r0
    ldmdb r0!, {r4-r6}
    stmdb r0, {r1, r2}
    ldm.w r0, {r7, r8}
    sub r9, r0, #8
    ldm r9, {r9, r10}
    mov r11, r0
    ldm r11!, {r1}
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[12], 0x2000_070C);
    assert_eq!((r[4], r[5], r[6]), (1, 2, 3));
    assert_eq!(r[0], 0x2000_0700);
    // STMDB without writeback stored 1, 2 at 0x6F8, 0x6FC.
    assert_eq!(bus.word(0x2000_06F8), 1);
    assert_eq!(bus.word(0x2000_06FC), 2);
    assert_eq!((r[7], r[8]), (1, 2));
    // LDM with the base in the list: no writeback, the base gets the loaded value.
    assert_eq!((r[9], r[10]), (1, 2));
    // LDM T1 with writeback.
    assert_eq!(r[11], 0x2000_0704);
    assert_eq!(r[1], 1);
}

#[test]
fn push_and_pop_including_the_pc() {
    let (core, _) = run_m7(
        "_start:
    movs r4, #4
    ldr r8, =0x88
    bl func
    movs r7, #7
    bl func_wide
    movs r6, #6
    bkpt #0
func:
    push {r4, lr}
    movs r4, #44
    pop {r4, pc}
func_wide:
    push.w {r4, r8, lr}
    movs r4, #45
    mov r8, #0
    pop.w {r4, r8, pc}
",
    );
    let r = &core.regs.r;
    assert_eq!(r[4], 4);
    assert_eq!(r[8], 0x88);
    assert_eq!(r[7], 7);
    assert_eq!(r[6], 6);
    assert_eq!(r[13], RAM + RAM_SIZE);
    assert!(core.regs.thumb);
}

#[test]
fn gnu_ld_long_branch_veneer_loads_the_pc_from_a_literal() {
    let (core, _) = run_m7(
        "_start:
    bl veneer
    movs r1, #1
    bkpt #0
    .align 2
veneer:
    .inst.w 0xf85ff000
    .word target + 1
target:
    movs r0, #42
    bx lr
",
    );
    assert_eq!(core.regs.r[0], 42);
    assert_eq!(core.regs.r[1], 1);
    assert!(core.regs.thumb);
}

#[test]
fn libgcc_return_through_ldr_pc_post_indexed() {
    let (core, _) = run_m7(
        "_start:
    adr r0, back
    adds r0, #1
    movs r1, #9
    push {r0, r1}
    ldr.w pc, [sp], #8
    movs r2, #99
    .align 2
back:
    movs r3, #3
    ldr r4, =0x20000800
    adr r5, back2
    adds r5, #1
    str r5, [r4, #4]
    ldr pc, [r4, #4]
    .align 2
back2:
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[13], RAM + RAM_SIZE);
    assert_eq!(r[2], 0);
    assert_eq!(r[3], 3);
}

#[test]
fn register_offset_load_of_the_pc_is_a_jump_table() {
    let (core, _) = run_m7(
        "_start:
    adr r0, table
    movs r1, #1
    ldr pc, [r0, r1, lsl #2]
    .align 2
table:
    .word one + 1
    .word two + 1
one:
    movs r2, #1
    bkpt #0
two:
    movs r2, #2
    bkpt #0
",
    );
    assert_eq!(core.regs.r[2], 2);
}

/// Registers r0..=r12 and SP of a core.
fn low_registers(core: &sim_core::Core) -> [u32; 14] {
    let mut regs = [0; 14];
    regs.copy_from_slice(&core.regs.r[..14]);
    regs
}

/// Runs `setup` then the faulting instruction `faulting` into its fault; checks the exception
/// entry (R0–R12 unchanged, SP moved by the frame, LR = EXC_RETURN, the frame holding the old
/// registers with `faulting` as return address: [`run_into_fault`]) and returns the registers
/// before it, the core after, and the fault.
fn fault_after(
    setup: &str,
    faulting: &str,
) -> ([u32; 14], sim_core::Core, FlatBus, support::FaultTaken) {
    let (_, mut core, mut bus, before) = m7_before(setup, faulting);
    let fault = run_into_fault(&mut core, &mut bus, &before);
    let mut low = [0; 14];
    low.copy_from_slice(&before.r[..14]);
    (low, core, bus, fault)
}

/// R0–R12 of `core` and the SP `before` had: what a faulting instruction leaves, with the SP
/// the exception frame moved put back (checked in [`run_into_fault`]).
fn unchanged(core: &sim_core::Core, before: &[u32; 14]) -> [u32; 14] {
    let mut regs = low_registers(core);
    regs[13] = before[13];
    regs
}

const END_OF_RAM_SETUP: &str = "    ldr r0, =0x2003FFF8
    movs r1, #1
    movs r2, #2
    movs r3, #3
    movs r4, #4";

#[test]
fn a_load_multiple_that_faults_changes_no_register() {
    let (before, mut core, mut bus, fault) =
        fault_after(END_OF_RAM_SETUP, "    ldm r0!, {r1, r2, r3}");
    assert_precise_bus_error(&mut core, &mut bus, &fault, 0x2004_0000);
    assert_eq!(unchanged(&core, &before), before);

    let (before, mut core, mut bus, fault) = fault_after(
        &format!("{END_OF_RAM_SETUP}\n    mov sp, r0"),
        "    pop {r1, r2, r3, pc}",
    );
    assert_precise_bus_error(&mut core, &mut bus, &fault, 0x2004_0000);
    assert_eq!(unchanged(&core, &before), before);
}

#[test]
fn single_and_dual_loads_that_fault_change_no_register() {
    // r0 = 0x2003FFF8 (8 bytes below the end of RAM), r5 = 8.
    for (setup, faulting) in [
        // The second word of the LDRD faults, after the first was read.
        ("", "    ldrd r1, r2, [r0, #4]!"),
        ("", "    ldr r1, [r0, #8]!"),
        ("    adds r0, #8", "    ldr r1, [r0], #4"),
        ("", "    ldr r1, [r0, r5]"),
        ("", "    ldr.w pc, [r0, #8]"),
        ("", "    ldrsh r1, [r0, #8]"),
        ("    mov sp, r0", "    pop.w {r1, r2, r3}"),
    ] {
        let (before, mut core, mut bus, fault) = fault_after(
            &format!("{END_OF_RAM_SETUP}\n    movs r5, #8\n{setup}"),
            faulting,
        );
        // A precise bus error on the word past the end of RAM, escalated to HardFault.
        assert_eq!(
            (fault.exception, fault.cfsr, fault.hfsr),
            (HARD_FAULT, PRECISERR | BFARVALID, FORCED),
            "{faulting}: {fault}"
        );
        assert_eq!(
            core.debug_read(&mut bus, BFAR, 4),
            Ok(0x2004_0000),
            "{faulting}"
        );
        assert_eq!(unchanged(&core, &before), before, "{faulting}");
    }
}

#[test]
fn a_store_that_faults_does_not_write_back_its_base() {
    let (before, mut core, mut bus, fault) = fault_after(
        "    movs r0, #0x40
    movs r1, #1",
        "    str r1, [r0], #4",
    );
    // Flash is read-only to the core in the test bus.
    assert_precise_bus_error(&mut core, &mut bus, &fault, 0x40);
    assert_eq!(unchanged(&core, &before), before);
}
