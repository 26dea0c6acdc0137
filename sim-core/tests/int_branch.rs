//! Branches: B in its four encodings, BL (incl. offsets needing the J1/J2 bits), BX/BLX and
//! interworking, CBZ/CBNZ, TBB/TBH, branches inside IT blocks, and the IT/branch
//! UNPREDICTABLE cases. Targets and link values are worked out by hand.

mod int_common;
mod support;

use int_common::*;
use sim_core::{Executed, Trap};

#[test]
fn conditional_and_unconditional_branches_in_both_sizes() {
    let (core, _) = run_m7(
        "_start:
    movs r0, #0
    movs r1, #3
loop:
    adds r0, #2
    subs r1, #1
    bne loop
    movs r2, #0
    cmp r0, #6
    beq.w equal
    movs r2, #1
equal:
    b.w forward
    movs r2, #2
back:
    movs r3, #5
    b done
forward:
    cmp r0, #7
    blt.w back
    movs r3, #9
done:
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[0], 6);
    assert_eq!(r[1], 0);
    assert_eq!(r[2], 0);
    assert_eq!(r[3], 5);
}

#[test]
fn bl_blx_and_bx_link_and_return() {
    let (program, core, _) = run_m7_program(
        "_start:
    bl func
after_bl:
    adr r4, func2
    adds r4, #1
    blx r4
after_blx:
    movs r6, #6
    bkpt #0
func:
    mov r5, lr
    bx lr
    .align 2
func2:
    mov r7, lr
    bx lr
",
    );
    let r = &core.regs.r;
    // LR = the address after the BL / BLX, with bit 0 set.
    assert_eq!(r[5], program.symbol("after_bl") | 1);
    assert_eq!(r[7], program.symbol("after_blx") | 1);
    assert_eq!(r[6], 6);
}

#[test]
fn bl_offsets_beyond_4_mib_use_j1_and_j2() {
    // BL +0x00C00000: S = 0, I1 = I2 = 1, so J1 = J2 = NOT(I) EOR S = 0; imm10 = imm11 = 0.
    let (core, _) = step_one(m7(), &[0xF000, 0xD000]).unwrap();
    assert_eq!(core.pc(), CODE + 4 + 0x00C0_0000);
    assert_eq!(core.regs.r[14], (CODE + 4) | 1);
    // BL −0x00C00000 (0x1FF400000 as 25 bits): S = 1, I1 = 0, I2 = 1, so J1 = 0, J2 = 1.
    let (core, _) = step_one(m7(), &[0xF400, 0xD800]).unwrap();
    assert_eq!(core.pc(), (CODE + 4).wrapping_sub(0x00C0_0000));
    // B.W T4 −2 (to itself + 2): S = 1, I1 = I2 = 1 (J1 = J2 = 1), imm10 = 0x3FF,
    // imm11 = 0x7FF.
    let (core, _) = step_one(m7(), &[0xF7FF, 0xBFFF]).unwrap();
    assert_eq!(core.pc(), CODE + 4 - 2);
    // B<c>.W T3 EQ +0x80000 with Z clear is not taken; with Z set: S = 0, J2 (bit 19) = 1.
    let (mut core, mut bus) = place(m7(), &[0xF000, 0x8800]);
    assert_eq!(core.step(&mut bus), Ok(Executed::Skipped));
    assert_eq!(core.pc(), CODE + 4);
    core.regs.r[15] = CODE;
    core.regs.apsr = Z;
    core.step(&mut bus).unwrap();
    assert_eq!(core.pc(), CODE + 4 + 0x8_0000);
}

#[test]
fn bx_to_an_even_address_faults_invstate_on_the_next_instruction() {
    // BX clears EPSR.T (A2.3.1 BXWritePC); the BX completes and the next instruction, at
    // `target`, is the one that faults: UsageFault INVSTATE (B1.4.2, B3.2.15).
    let (program, mut core, mut bus, before) = m7_before(
        "    adr r0, target",
        "    bx r0
    .align 2
target:
    nop
",
    );
    let fault = support::run_to_fault(&mut core, &mut bus);
    assert_forced(&fault, INVSTATE);
    let target = program.symbol("target");
    assert_eq!(
        fault.pc, target,
        "the return address is the instruction at the target"
    );
    // The stacked xPSR has EPSR.T clear: the state the instruction faulted in.
    assert_exception_entry(
        &mut core,
        &mut bus,
        HARD_FAULT,
        &before,
        target,
        before.xpsr & !EPSR_T,
    );
}

#[test]
fn blx_never_returns_from_an_exception() {
    // In Handler mode BX of an EXC_RETURN value is an exception return; BLX is BLXWritePC,
    // which is not (A2.3.1): it branches to 0xFFFFFFF8 with EPSR.T = 1.
    let (mut core, mut bus) = place(m7(), &[0x4780]); // blx r0
    core.regs.set_mode(11, 0);
    core.regs.r[0] = 0xFFFF_FFF9;
    core.step(&mut bus).unwrap();
    assert_eq!(core.pending_exception_return, None);
    assert_eq!(core.pc(), 0xFFFF_FFF8);
    assert_eq!(core.regs.r[14], (CODE + 2) | 1);
    let (mut core, mut bus) = place(m7(), &[0x4700]); // bx r0
    core.regs.set_mode(11, 0);
    core.regs.r[0] = 0xFFFF_FFF9;
    core.step(&mut bus).unwrap();
    assert_eq!(core.pending_exception_return, Some(0xFFFF_FFF9));
}

#[test]
fn compare_and_branch_on_zero_and_nonzero() {
    let (core, _) = run_m7(
        "_start:
    movs r0, #3
    movs r1, #0
count:
    adds r1, #1
    subs r0, #1
    cbz r0, out
    b count
out:
    movs r2, #0
    cbnz r2, wrong
    movs r3, #1
    cbnz r3, right
wrong:
    movs r4, #0xEE
right:
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[1], 3);
    assert_eq!(r[4], 0);
}

#[test]
fn table_branches_by_byte_and_halfword() {
    let (core, _) = run_m7(
        "_start:
    movs r0, #2
    tbb [pc, r0]
byte_table:
    .byte (case0 - byte_table) / 2
    .byte (case1 - byte_table) / 2
    .byte (case2 - byte_table) / 2
    .align 1
case0:
    movs r1, #10
    b next
case1:
    movs r1, #11
    b next
case2:
    movs r1, #12
next:
    movs r0, #1
    tbh [pc, r0, lsl #1]
half_table:
    .short (hcase0 - half_table) / 2
    .short (hcase1 - half_table) / 2
hcase0:
    movs r2, #20
    b done
hcase1:
    movs r2, #21
done:
    bkpt #0
",
    );
    assert_eq!(core.regs.r[1], 12);
    assert_eq!(core.regs.r[2], 21);
}

#[test]
fn a_branch_as_the_last_instruction_of_an_it_block() {
    let (core, _) = run_m7(
        "_start:
    movs r0, #1
    cmp r0, #2
    itt eq
    moveq r1, #1
    beq skip
    movs r2, #2
    cmp r0, #1
    itt eq
    moveq r3, #3
    beq.w skip
    movs r2, #0xEE
skip:
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[1], 0);
    assert_eq!(r[2], 2);
    assert_eq!(r[3], 3);
}

#[test]
fn it_and_branch_restrictions_are_unpredictable() {
    // IT inside an IT block (IT EQ; IT EQ) with Z set.
    let (mut core, mut bus) = place(m7(), &[0xBF08, 0xBF08]);
    core.regs.apsr = Z;
    core.step(&mut bus).unwrap();
    assert!(matches!(core.step(&mut bus), Err(Trap::Unmodelled(_))));
    // A branch (B T2) that is not the last instruction of an IT block: ITT EQ; B; NOP.
    let (mut core, mut bus) = place(m7(), &[0xBF04, 0xE000, 0xBF00]);
    core.regs.apsr = Z;
    core.step(&mut bus).unwrap();
    assert!(matches!(core.step(&mut bus), Err(Trap::Unmodelled(_))));
    // CBZ inside an IT block.
    let (mut core, mut bus) = place(m7(), &[0xBF08, 0xB100]);
    core.regs.apsr = Z;
    core.step(&mut bus).unwrap();
    assert!(matches!(core.step(&mut bus), Err(Trap::Unmodelled(_))));
    // IT with firstcond 1111, and ITE AL (an else slot), are UNPREDICTABLE encodings.
    assert!(matches!(
        trap_of(m7(), &[0xBFF8]),
        Some(Trap::Unmodelled(_))
    ));
    assert!(matches!(
        trap_of(m7(), &[0xBFEC]),
        Some(Trap::Unmodelled(_))
    ));
    // ITT AL (one mask bit) is allowed.
    assert_eq!(trap_of(m7(), &[0xBFE4]), None);
    // BX with its (0)(0)(0) bits set; BLX PC.
    assert!(matches!(
        trap_of(m7(), &[0x4701]),
        Some(Trap::Unmodelled(_))
    ));
    assert!(matches!(
        trap_of(m7(), &[0x47F8]),
        Some(Trap::Unmodelled(_))
    ));
}

#[test]
fn it_state_advances_through_a_four_instruction_block() {
    // ITETE NE with Z clear: then, else, then, else.
    let (core, _) = run_m7(
        "_start:
    movs r0, #1
    movs r1, #0
    cmp r0, #0
    itete ne
    addne r1, #1
    addeq r1, #2
    addne r1, #4
    addeq r1, #8
    adds r1, #16
    bkpt #0
",
    );
    assert_eq!(core.regs.r[1], 1 + 4 + 16);
    assert_eq!(core.regs.itstate, 0);
}
