//! Data processing: the ALU operations in their 16- and 32-bit forms, flags, shifts, IT blocks,
//! bit fields, saturation, extends, byte reversal, CLZ, and the 16-bit writes of the PC.
//! Expected values are worked out by hand from the ARM ARM pseudo-code (comments show how).

mod int_common;
mod support;

use int_common::*;

#[test]
fn add_and_subtract_set_nzcv() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0x7FFFFFFF
    adds r1, r0, #1
    mrs r2, apsr
    ldr r0, =0xFFFFFFFF
    adds r3, r0, #1
    mrs r4, apsr
    movs r0, #3
    subs r5, r0, #5
    mrs r6, apsr
    cmp r0, #3
    mrs r7, apsr
    bkpt #0
",
    );
    let r = &core.regs.r;
    // 0x7FFFFFFF + 1: signed overflow, no carry.
    assert_eq!(r[1], 0x8000_0000);
    assert_eq!(r[2], N | V);
    // 0xFFFFFFFF + 1 = 0 with carry out.
    assert_eq!(r[3], 0);
    assert_eq!(r[4], Z | C);
    // 3 - 5: a borrow (C clear), negative.
    assert_eq!(r[5], 0xFFFF_FFFE);
    assert_eq!(r[6], N);
    // 3 - 3: zero, no borrow.
    assert_eq!(r[7], Z | C);
}

#[test]
fn add_and_subtract_with_carry() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0xFFFFFFFF
    movs r1, #1
    adds r2, r0, r1
    movs r3, #0
    adcs r3, r3, r3
    sbcs r4, r1, r1
    mrs r5, apsr
    rsbs r6, r1, #0
    mrs r7, apsr
    ldr r8, =0x12345678
    adc.w r9, r8, #0x100
    sbc r10, r8, r8, lsl #4
    rsb r11, r1, r8, lsr #28
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[2], 0);
    // MOVS leaves C = 1 from the ADDS; ADCS: 0 + 0 + 1.
    assert_eq!(r[3], 1);
    // ADCS cleared C; SBCS: 1 + NOT(1) + 0 = 0xFFFFFFFF, a borrow.
    assert_eq!(r[4], 0xFFFF_FFFF);
    assert_eq!(r[5], N);
    // RSBS r6, r1, #0 = 0 - 1: NOT(1) + 0 + 1 = 0xFFFFFFFF, borrow.
    assert_eq!(r[6], 0xFFFF_FFFF);
    assert_eq!(r[7], N);
    // C = 0 now: ADC 0x12345678 + 0x100 + 0.
    assert_eq!(r[9], 0x1234_5778);
    // SBC: 0x12345678 - 0x23456780 - 1 (C = 0).
    assert_eq!(
        r[10],
        0x1234_5678u32.wrapping_sub(0x2345_6780).wrapping_sub(1)
    );
    // RSB: (0x12345678 >> 28) - 1 = 0.
    assert_eq!(r[11], 0);
}

#[test]
fn logical_operations_take_the_shifter_carry_and_keep_v() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0x10000000
    msr apsr_nzcvq, r0
    movs.w r1, #0x80000000
    mrs r2, apsr
    ands.w r3, r1, #0xFF
    mrs r4, apsr
    ldr r5, =0x80000001
    lsls r6, r5, #1
    mrs r7, apsr
    lsrs r8, r5, #1
    asrs r9, r5, #32
    mrs r10, apsr
    movs r11, #4
    rors r5, r11
    mrs r12, apsr
    bkpt #0
",
    );
    let r = &core.regs.r;
    // MSR set V only. MOVS.W #0x80000000: a rotated constant, so C = bit 31 = 1; V kept.
    assert_eq!(r[1], 0x8000_0000);
    assert_eq!(r[2], N | C | V);
    // ANDS.W with an unrotated constant: C unchanged (1), result 0.
    assert_eq!(r[3], 0);
    assert_eq!(r[4], Z | C | V);
    // LSLS #1 of 0x80000001: 2, carry = old bit 31.
    assert_eq!(r[6], 2);
    assert_eq!(r[7], C | V);
    // LSRS #1: 0x40000000 (carry = bit 0 = 1); ASRS #32: all sign bits, carry = bit 31.
    assert_eq!(r[8], 0x4000_0000);
    assert_eq!(r[9], 0xFFFF_FFFF);
    assert_eq!(r[10], N | C | V);
    // RORS r5, r11 (by 4): 0x80000001 -> 0x18000000, carry = result bit 31 = 0.
    assert_eq!(r[5], 0x1800_0000);
    assert_eq!(r[12], V);
}

#[test]
fn thirty_two_bit_shifted_register_forms() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0xF0F0F0F0
    ldr r1, =0x0FF00FF0
    orr.w r2, r0, r1, lsl #4
    orn r3, r0, r1
    bic.w r4, r0, r1, ror #8
    eor.w r5, r0, r1, asr #4
    mvn.w r6, r1, lsr #4
    add.w r7, r0, r1, lsl #1
    sub.w r8, r1, r0, lsr #4
    msr apsr_nzcvq, r12
    movs r9, #0
    sub r9, #1
    ldr r10, =0x20000000
    msr apsr_nzcvq, r10
    rrxs r11, r1
    mrs r12, apsr
    teq.w r0, r0
    mrs r10, apsr
    tst.w r0, r1, lsl #4
    bkpt #0
",
    );
    let r = &core.regs.r;
    // 0xF0F0F0F0 | 0xFF00FF00.
    assert_eq!(r[2], 0xFFF0_FFF0);
    // 0xF0F0F0F0 | NOT 0x0FF00FF0 = 0xF0F0F0F0 | 0xF00FF00F.
    assert_eq!(r[3], 0xF0FF_F0FF);
    // ROR #8 of 0x0FF00FF0 = 0xF00FF00F; 0xF0F0F0F0 & NOT that = 0x00F000F0.
    assert_eq!(r[4], 0x00F0_00F0);
    // ASR #4 of 0x0FF00FF0 = 0x00FF00FF; EOR = 0xF00FF00F.
    assert_eq!(r[5], 0xF00F_F00F);
    // NOT (0x0FF00FF0 >> 4) = NOT 0x00FF00FF.
    assert_eq!(r[6], 0xFF00_FF00);
    // 0xF0F0F0F0 + 0x1FE01FE0.
    assert_eq!(r[7], 0x10D1_10D0);
    // 0x0FF00FF0 - 0x0F0F0F0F.
    assert_eq!(r[8], 0x00E1_00E1);
    assert_eq!(r[9], 0xFFFF_FFFF);
    // RRXS with C = 1: 0x0FF00FF0 -> 0x87F807F8, carry = old bit 0 = 0.
    assert_eq!(r[11], 0x87F8_07F8);
    assert_eq!(r[12], N);
    // TEQ of equal values: Z, C from the (unshifted) operand = the RRXS's 0.
    assert_eq!(r[10], Z);
    // TST r0, r1 LSL #4 = 0xF0F0F0F0 & 0xFF00FF00 = 0xF000F000: N, C = bit 28 of r1 = 0.
    assert_eq!(core.regs.apsr & 0xF000_0000, N);
}

#[test]
fn plain_binary_immediates() {
    let (program, core, _) = run_m7_program(
        "_start:
    movw r0, #0xBEEF
    movt r0, #0xDEAD
    addw r1, r0, #0xFFF
    subw r2, r0, #0x123
    adr.w r3, data
    ldr r4, =0x12345678
    ubfx r5, r4, #8, #12
    sbfx r6, r4, #4, #8
    ldr r7, =0xFFFFFFFF
    bfc r7, #4, #8
    mov r8, r7
    bfi r8, r4, #12, #16
    sbfx r9, r4, #28, #4
    bkpt #0
    .align 2
data:
    .word 0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[0], 0xDEAD_BEEF);
    assert_eq!(r[1], 0xDEAD_BEEFu32.wrapping_add(0xFFF));
    assert_eq!(r[2], 0xDEAD_BEEF - 0x123);
    assert_eq!(r[3], program.symbol("data"));
    // bits 19:8 of 0x12345678 = 0x456.
    assert_eq!(r[5], 0x456);
    // bits 11:4 = 0x67, positive.
    assert_eq!(r[6], 0x67);
    // BFC bits 11:4.
    assert_eq!(r[7], 0xFFFF_F00F);
    // BFI bits 27:12 from the low 16 bits of r4 (0x5678).
    assert_eq!(r[8], 0xF567_800F);
    // bits 31:28 = 0x1, positive.
    assert_eq!(r[9], 1);
}

#[test]
fn sign_extending_bit_field_and_saturation() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0x00000F80
    sbfx r1, r0, #4, #8
    ldr r2, =300
    ssat r3, #8, r2
    mrs r4, apsr
    ldr r5, =-300
    usat r6, #8, r5
    movs r7, #100
    usat r8, #8, r7
    ssat r9, #16, r2, lsl #8
    ssat r10, #8, r5, asr #2
    bkpt #0
",
    );
    let r = &core.regs.r;
    // bits 11:4 of 0xF80 = 0xF8: negative as 8 bits.
    assert_eq!(r[1], 0xFFFF_FFF8);
    // 300 saturates to 127 as a signed byte, and sets Q.
    assert_eq!(r[3], 127);
    assert_eq!(r[4] & Q, Q);
    // -300 saturates to 0 unsigned; 100 fits.
    assert_eq!(r[6], 0);
    assert_eq!(r[8], 100);
    // 300 << 8 = 76800 > 32767.
    assert_eq!(r[9], 32767);
    // -300 >> 2 = -75 fits in 8 bits signed.
    assert_eq!(r[10], (-75i32) as u32);
}

#[test]
fn extends_reversal_and_count_leading_zeros() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0x8081F2F3
    sxtb r1, r0
    uxtb r2, r0
    sxth r3, r0
    uxth r4, r0
    sxtb.w r5, r0, ror #16
    uxth.w r6, r0, ror #8
    rev r7, r0
    rev16 r8, r0
    revsh r9, r0
    rbit r10, r0
    clz r11, r7
    movs r12, #0
    clz r12, r12
    bkpt #0
",
    );
    let r = &core.regs.r;
    assert_eq!(r[1], 0xFFFF_FFF3);
    assert_eq!(r[2], 0xF3);
    assert_eq!(r[3], 0xFFFF_F2F3);
    assert_eq!(r[4], 0xF2F3);
    // ROR #16 -> 0xF2F38081; low byte 0x81 sign-extended.
    assert_eq!(r[5], 0xFFFF_FF81);
    // ROR #8 -> 0xF38081F2; low halfword 0x81F2.
    assert_eq!(r[6], 0x81F2);
    assert_eq!(r[7], 0xF3F2_8180);
    assert_eq!(r[8], 0x8180_F3F2);
    // low halfword 0xF2F3 -> 0xF3F2, sign-extended.
    assert_eq!(r[9], 0xFFFF_F3F2);
    assert_eq!(r[10], 0x8081_F2F3u32.reverse_bits());
    // REV result 0xF3F28180 has no leading zero; CLZ 0 = 32.
    assert_eq!(r[11], 0);
    assert_eq!(r[12], 32);
}

#[test]
fn it_blocks_skip_and_do_not_set_flags_with_16_bit_forms() {
    let (core, _) = run_m7(
        "_start:
    movs r0, #1
    movs r1, #0
    movs r2, #0
    movs r3, #0
    cmp r0, #1
    ite eq
    moveq r1, #10
    movne r1, #20
    itt ne
    movne r2, #1
    movne r3, #1
    movs r4, #0
    it eq
    subeq r4, #1
    mrs r5, apsr
    movs r6, #1
    cmp r6, #1
    it eq
    subseq r6, r6, #2
    mrs r7, apsr
    movs r0, #5
    cmp r0, #9
    itete lt
    addlt r0, #1
    addge r0, #2
    addlt r0, #3
    addge r0, #4
    bkpt #0
",
    );
    let r = &core.regs.r;
    // ITE EQ with Z set: the then-instruction runs, the else-instruction is skipped.
    assert_eq!(r[1], 10);
    assert_eq!(r[2], 0);
    assert_eq!(r[3], 0);
    // SUB (16-bit, T2) inside the IT block does not set flags: Z from MOVS stays, N stays 0.
    assert_eq!(r[4], 0xFFFF_FFFF);
    assert_eq!(r[5], Z | C);
    // SUBS.W inside the IT block does set them: 1 - 2 = -1, a borrow.
    assert_eq!(r[6], 0xFFFF_FFFF);
    assert_eq!(r[7], N);
    // 5 < 9: +1 and +3 only. Had the 16-bit ADDs set flags in the block, 5 + 1 would have
    // made GE true and run the `addge`s.
    assert_eq!(r[0], 9);
    assert!(!core.regs.in_it_block());
}

#[test]
fn sixteen_bit_add_and_mov_to_pc_branch() {
    let (core, _) = run_m7(
        "_start:
    adr r0, target1
    adds r0, #1
    mov pc, r0
    movs r5, #99
    .align 2
target1:
    movs r1, #1
    movs r2, #4
    add pc, r2
    nop
    movs r5, #98
    movs r5, #97
    movs r3, #3
    bkpt #0
",
    );
    let r = &core.regs.r;
    // MOV PC skips `movs r5, #99`; ADD PC (PC = add's address + 4) + 4 skips the nop and both
    // `movs r5`.
    assert_eq!(r[1], 1);
    assert_eq!(r[3], 3);
    assert_eq!(r[5], 0);
    // ALUWritePC is BranchWritePC: bit 0 ignored, still Thumb.
    assert!(core.regs.thumb);
}

#[test]
fn multiply_and_long_multiply() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0xFFFFFFFE
    movs r1, #3
    muls r1, r0, r1
    mrs r2, apsr
    ldr r3, =100000
    ldr r4, =300000
    mla r5, r3, r4, r1
    mls r6, r3, r1, r4
    smull r7, r8, r0, r3
    umull r9, r10, r0, r3
    mov r11, r7
    mov r12, r8
    smlal r11, r12, r0, r0
    bkpt #0
",
    );
    let r = &core.regs.r;
    // -2 * 3 = -6; MULS sets N (and Z clear).
    assert_eq!(r[1], (-6i32) as u32);
    assert_eq!(r[2] & (N | Z), N);
    // 100000 * 300000 = 30_000_000_000 = 0x6FC23AC00 -> low word 0xFC23AC00, plus -6.
    assert_eq!(r[5], 0xFC23_AC00u32.wrapping_sub(6));
    // 300000 - 100000 * (-6) = 900000.
    assert_eq!(r[6], 900_000);
    // signed -2 * 100000 = -200000.
    assert_eq!(
        (u64::from(r[8]) << 32) | u64::from(r[7]),
        (-200_000i64) as u64
    );
    // unsigned 0xFFFFFFFE * 100000.
    assert_eq!(
        (u64::from(r[10]) << 32) | u64::from(r[9]),
        0xFFFF_FFFEu64 * 100_000
    );
    // -200000 + (-2)*(-2) = -199996.
    assert_eq!(
        (u64::from(r[12]) << 32) | u64::from(r[11]),
        (-199_996i64) as u64
    );
}

#[test]
fn unsigned_multiply_accumulate_long() {
    let (core, _) = run_m7(
        "_start:
    ldr r0, =0xFFFFFFFF
    mov r1, r0
    mov r2, r0
    mov r3, r0
    umlal r2, r3, r0, r1
    bkpt #0
",
    );
    // 0xFFFFFFFF_FFFFFFFF + 0xFFFFFFFF^2 (= 0xFFFFFFFE_00000001) wraps to 0xFFFFFFFE_00000000.
    assert_eq!(core.regs.r[2], 0);
    assert_eq!(core.regs.r[3], 0xFFFF_FFFE);
}
