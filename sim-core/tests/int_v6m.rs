//! ARMv6-M (Cortex-M0/M0+): the 16-bit instruction set with its six 32-bit instructions runs a
//! program; every Thumb-2-only encoding is UNDEFINED; accesses are always aligned.

mod int_common;
mod support;

use int_common::*;
use sim_core::Trap;

#[test]
fn an_armv6m_program_runs() {
    let (core, mut bus) = run(
        "_start:
    movs r0, #200
    lsls r0, r0, #24
    adds r1, r0, r0
    mrs r2, apsr
    ldr r3, =0x20000100
    movs r4, #0x85
    str r4, [r3]
    strb r4, [r3, #5]
    ldrsb r5, [r3, r4]
    ldrh r6, [r3]
    sxtb r7, r4
    rev r4, r4
    movs r0, #3
    muls r0, r0, r0
    push {r0, r7}
    pop {r1}
    add sp, #4
    bl func
    cpsid i
    mrs r0, primask
    dmb
    dsb
    isb
    movs r3, #5
loop:
    subs r3, #1
    bne loop
    bkpt #0
func:
    push {r4, lr}
    movs r4, #0
    pop {r4, pc}
",
        "cortex-m0plus",
        "",
        v6m(),
    );
    let r = &core.regs.r;
    // 200 << 24 = 0xC8000000; doubled: 0x90000000 with a carry out, no signed overflow.
    assert_eq!(r[2], N | C);
    // r4 = 0x85 -> [0x20000100 + 0x85] is 0; the halfword at 0x100 is 0x0085.
    assert_eq!(r[5], 0);
    assert_eq!(r[6], 0x85);
    assert_eq!(r[7], 0xFFFF_FF85);
    assert_eq!(r[4], 0x8500_0000);
    // PUSH {r0, r7} puts r0 (9) at the lower address; POP {r1} reads it.
    assert_eq!(r[1], 9);
    assert_eq!(r[0], 1);
    assert_eq!(r[3], 0);
    assert_eq!(r[13], support::RAM + support::RAM_SIZE);
    assert_eq!(bus.word(0x2000_0104), 0x8500);
}

#[test]
fn armv6m_never_makes_an_unaligned_access() {
    // ARMv6-M faults every unaligned access (ARMv6-M ARM A3.2.1); with no configurable
    // faults it is a HardFault (ARMv6-M B1.5.2), taken with the LDR as return address and
    // R1 unchanged.
    let (_, mut core, mut bus, before) = stopped_before(
        "    ldr r0, =0x20000102
    movs r1, #7",
        "    ldr r1, [r0]",
        "cortex-m0plus",
        "",
        v6m(),
    );
    let fault = run_into_fault(&mut core, &mut bus, &before);
    assert_eq!(fault.exception, HARD_FAULT, "{fault}");
    // ARMv6-M has no CFSR for a handler to read; the simulator still records the cause in
    // its fault status, which tells this alignment fault from any other HardFault.
    assert_eq!(core.sys.status.cfsr, UNALIGNED, "{:?}", core.sys.status);
    assert_eq!(core.regs.r[1], 7);
}

#[test]
fn thumb2_only_encodings_are_undefined_on_armv6m() {
    for (halfwords, what) in [
        (&wide(0xF100_0001)[..], "ADD.W r0, r0, #1"),
        (&wide(0xF8D0_1000), "LDR.W r1, [r0]"),
        (&wide(0xE92D_4010), "PUSH.W {r4, lr}"),
        (&wide(0xF000_B800), "B.W"),
        (&wide(0xF040_8000), "BNE.W (T3)"),
        (&wide(0xE850_1F00), "LDREX r1, [r0]"),
        (&wide(0xF3BF_8F2F), "CLREX"),
        (&wide(0xF3AF_8000), "NOP.W"),
        (&wide(0xF3AF_8003), "WFI.W"),
        (&wide(0xFB90_F0F1), "SDIV r0, r0, r1"),
        (&wide(0xFAB0_F080), "CLZ r0, r0"),
        (&[0xB100u16][..], "CBZ r0"),
        (&[0xB900][..], "CBNZ r0"),
        (&[0xBF08][..], "IT EQ"),
    ] {
        assert_eq!(trap_of(v6m(), halfwords), Some(Trap::Undefined), "{what}");
        let on_v7m = trap_of(v7m(), halfwords);
        assert!(
            !matches!(on_v7m, Some(Trap::Undefined) | Some(Trap::Unmodelled(_))),
            "{what} on ARMv7-M: {on_v7m:?}"
        );
    }
}

#[test]
fn the_32_bit_instructions_armv6m_has() {
    // BL +0.
    let (core, _) = step_one(v6m(), &wide(0xF000_F800)).unwrap();
    assert_eq!(core.pc(), CODE + 4);
    assert_eq!(core.regs.r[14], (CODE + 4) | 1);
    // MSR MSP, r0 then MRS r1, MSP.
    let (mut core, mut bus) = place(v6m(), &[0xF380, 0x8808, 0xF3EF, 0x8108]);
    core.regs.r[0] = 0x2000_0800;
    core.step(&mut bus).unwrap();
    core.step(&mut bus).unwrap();
    assert_eq!(core.regs.r[1], 0x2000_0800);
    // DMB, DSB, ISB.
    for encoding in [0xF3BF_8F5Fu32, 0xF3BF_8F4F, 0xF3BF_8F6F] {
        assert_eq!(trap_of(v6m(), &wide(encoding)), None, "{encoding:08X}");
    }
    // UDF.W.
    assert_eq!(trap_of(v6m(), &wide(0xF7F0_A000)), Some(Trap::Undefined));
    // CPS with F is not ARMv6-M's (its bits 1:0 are (1)(0)).
    assert!(matches!(
        trap_of(v6m(), &[0xB671]),
        Some(Trap::Unmodelled(_))
    ));
    assert_eq!(trap_of(v6m(), &[0xB672]), None);
}
