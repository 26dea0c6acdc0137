//! Encodings that must not execute: UNDEFINED ones (UsageFault UNDEFINSTR), coprocessor
//! instructions for absent coprocessors (NOCP), DSP-extension instructions on a core without
//! the extension, and UNPREDICTABLE register choices (the simulator stops, naming them). Each
//! encoding's table row is given beside it.

mod int_common;
mod support;

use int_common::*;
use sim_core::{Stop, Trap};

#[test]
fn undefined_16_bit_encodings() {
    for hw in [
        0xDE00u16, // UDF #0 (A5.2.6, cond 1110)
        0xDEFF,    // UDF #255
        0xBA80,    // A5.2.5 opcode 101010x (HLT on later architectures)
        0xBABF, 0xB700, // A5.2.5 opcode 0111xxx, unallocated
        0xB800, // A5.2.5 opcode 1000xxx, unallocated
        0xB650, // A5.2.5 opcode 0110010 (SETEND space on A-profile)
    ] {
        assert_eq!(trap_of(m7(), &[hw]), Some(Trap::Undefined), "{hw:04X}");
        assert_eq!(trap_of(v6m(), &[hw]), Some(Trap::Undefined), "{hw:04X}");
    }
}

#[test]
fn undefined_32_bit_encodings() {
    for encoding in [
        0xF7F0_A000u32, // UDF.W #0: A5.3.4 op1 010, op 1111111
        0xF7FF_AFFF,    // UDF.W #0xFFFF
        0xF000_E800,    // A5.3.4 op1 1x0: BLX (immediate), no ARM state
        0xE810_C000,    // A5.3.5 op 00 (SRS/RFE on A-profile)
        0xE990_C000,    // A5.3.5 op 11
        0xE8C0_0F00,    // A5.3.6 op1 01, op2 00, op3 0000
        0xE8D0_F020,    // A5.3.6 op1 01, op2 01, op3 0010
        0xF3AF_8100,    // A5.3.4 hints with op1 != 000 (no 32-bit CPS on M-profile)
        0xF3BF_8F0F,    // A5.3.4 miscellaneous control, op 0000
        0xF3BF_8F7F,    // miscellaneous control, op 0111
        0xF3C0_8000,    // A5.3.4 op 0111100 (BXJ on A-profile)
        0xF0A0_0000,    // A5.3.1 op 0101
        0xF220_0000,    // A5.3.3 op 00010
        0xEAA0_0000,    // A5.3.11 op 0101
        0xFA00_0000,    // A5.3.12 with hw2[15:12] != 1111
        0xFA00_F010,    // A5.3.12 op1 0000, op2 0001
        0xFA6F_F080,    // A5.3.12 op1 0110, op2 1xxx
        0xFB00_00C0,    // A5.3.16 with hw2[7:6] != 00
        0xFB80_0010,    // A5.3.17 op1 000, op2 0001
        0xF850_1800,    // A5.3.7 LDR (immediate) T4 with P = W = 0
        0xF840_1040,    // A5.3.10 STR register form with op2 != 000000
        0xF860_1000,    // A5.3.10 op1 011
        0xF8CF_1000,    // A5.3.10 STR (immediate) with Rn = PC
        0xF950_1000,    // A5.3.7 op1 1x
        0xF900_1000,    // A5.3 op2 001xxx0
        0xF870_1000,    // A5.3 op2 00xx111
        0xEC00_0000,    // A5.3.18 op1 00000x
        0xEF00_0000,    // A5.3.18 op1 11xxxx
        0xFF00_0000,    // A5.3.18 op1 11xxxx (the "2" half)
    ] {
        assert_eq!(
            trap_of(m7(), &wide(encoding)),
            Some(Trap::Undefined),
            "{encoding:08X}"
        );
        assert_eq!(
            trap_of(v7m(), &wide(encoding)),
            Some(Trap::Undefined),
            "{encoding:08X}"
        );
    }
}

/// The encodings assembled by the stock assembler for a Cortex-M4: a label `i<n>` before
/// each instruction of `lines`.
fn encodings_of(lines: &[&str], fpu: &str) -> Vec<(String, Vec<u16>)> {
    let mut src = String::from("_start:\n");
    for (i, line) in lines.iter().enumerate() {
        src.push_str(&format!("i{i}:\n    {line}\n"));
    }
    src.push_str(&format!("i{}:\n    bkpt #0\n", lines.len()));
    let program = support::assemble(&src, "cortex-m4", fpu);
    (0..lines.len())
        .map(|i| {
            let start = program.symbol(&format!("i{i}")) as usize;
            let end = program.symbol(&format!("i{}", i + 1)) as usize;
            let halfwords = program.image[start..end]
                .chunks(2)
                .map(|b| u16::from_le_bytes([b[0], b[1]]))
                .collect();
            (lines[i].to_string(), halfwords)
        })
        .collect()
}

#[test]
fn dsp_instructions_are_undefined_without_the_dsp_extension() {
    for (line, halfwords) in encodings_of(
        &[
            "uadd8 r0, r1, r2",
            "sel r0, r1, r2",
            "sxtab r0, r1, r2",
            "uxtah r0, r1, r2, ror #8",
            "sxtb16 r0, r1",
            "uxtb16 r0, r1",
            "smulbb r0, r1, r2",
            "smlabb r0, r1, r2, r3",
            "smlalbb r0, r1, r2, r3",
            "smlald r0, r1, r2, r3",
            "pkhbt r0, r1, r2, lsl #4",
            "qadd r0, r1, r2",
            "qdsub r0, r1, r2",
            "ssat16 r0, #8, r1",
            "usat16 r0, #8, r1",
            "umaal r0, r1, r2, r3",
            "smmul r0, r1, r2",
            "usad8 r0, r1, r2",
            "shadd16 r0, r1, r2",
        ],
        "",
    ) {
        assert_eq!(trap_of(v7m(), &halfwords), Some(Trap::Undefined), "{line}");
    }
}

#[test]
fn coprocessor_instructions_for_absent_coprocessors_are_nocp() {
    for (line, halfwords) in encodings_of(
        &[
            "mrc p15, 0, r0, c0, c0, 0",
            "mcr p14, 1, r0, c1, c2, 3",
            "ldc p5, c0, [r0]",
            "stc2 p4, c1, [r1, #8]",
            "cdp p3, 1, c0, c1, c2, 4",
            "mcrr p2, 0, r0, r1, c3",
            "mrrc p6, 1, r0, r1, c4",
        ],
        "fpv4-sp-d16",
    ) {
        assert_eq!(
            trap_of(m7(), &halfwords),
            Some(Trap::NoCoprocessor),
            "{line}"
        );
        assert_eq!(
            trap_of(v7m(), &halfwords),
            Some(Trap::NoCoprocessor),
            "{line}"
        );
        // ARMv6-M has no coprocessor instructions at all.
        assert_eq!(trap_of(v6m(), &halfwords), Some(Trap::Undefined), "{line}");
    }
    // Floating-point instructions (coprocessors 10 and 11) on a core without an FPU.
    for (line, halfwords) in encodings_of(
        &["vadd.f32 s0, s1, s2", "vldr s0, [r0]", "vmov r0, s1"],
        "fpv4-sp-d16",
    ) {
        assert_eq!(
            trap_of(v7m(), &halfwords),
            Some(Trap::NoCoprocessor),
            "{line}"
        );
    }
}

#[test]
fn unpredictable_register_choices_stop_the_core() {
    for (encoding, what) in [
        (0xEA4F_0D0Du32, "MOV.W SP, SP"),
        (0xEB0F_0001, "ADD.W r0, PC, r1"),
        (0xE890_0002, "LDM.W r0, {r1}: fewer than two registers"),
        (
            0xE8B0_0003,
            "LDM.W r0!, {r0, r1}: writeback with the base in the list",
        ),
        (0xE92D_2001, "PUSH.W {r0, sp}"),
        (0xF8C0_F000, "STR.W PC, [r0]"),
        (0xFB81_0002, "SMULL r0, r0, r1, r2: RdHi == RdLo"),
        (0xFB0D_F00D, "MUL.W r0, sp, sp"),
        (0xE9D0_1100, "LDRD r1, r1, [r0]"),
        (0xFAB1_F082, "CLZ with two different Rm fields"),
        (0xF341_7083, "SBFX r0, r1, #30, #4: msb > 31"),
        (0xF850_0F04, "LDR r0, [r0, #4]!: writeback to Rt"),
        (0xF04F_0D00, "MOV.W SP, #0"),
        (0xF1AD_0F00, "SUB.W PC, SP, #0"),
    ] {
        assert!(
            matches!(trap_of(m7(), &wide(encoding)), Some(Trap::Unmodelled(_))),
            "{what}"
        );
    }
    for (hw, what) in [
        (0x4508u16, "CMP r0, r1 in the high-register form"),
        (0x44FF, "ADD PC, PC"),
        (0xB400, "PUSH {}"),
        (0xBC00, "POP {}"),
        (0xC000, "STM r0!, {}"),
        (0xB660, "CPSIE with neither I nor F"),
    ] {
        assert!(
            matches!(trap_of(m7(), &[hw]), Some(Trap::Unmodelled(_))),
            "{what}"
        );
    }
    // MOVS r0, r1 (the LSLS #0 encoding) inside an IT block.
    let (mut core, mut bus) = place(m7(), &[0xBF08, 0x0008]);
    core.regs.apsr = Z;
    core.step(&mut bus).unwrap();
    assert!(matches!(core.step(&mut bus), Err(Trap::Unmodelled(_))));
}

#[test]
fn forms_compilers_use_are_not_unpredictable() {
    for (encoding, what) in [
        (0xEA4F_0D00u32, "MOV.W SP, r0"),
        (0xEA4F_000D, "MOV.W r0, SP"),
        (0xF1AD_0D08, "SUB.W SP, SP, #8"),
        (0xEB0D_0D80, "ADD.W SP, SP, r0, LSL #2"),
        (0xF8DD_D004, "LDR.W SP, [SP, #4]"),
        (0xEBB0_0F01, "CMP.W r0, r1"),
        (0xF1BD_0F00, "CMP.W SP, #0"),
    ] {
        let trap = trap_of(m7(), &wide(encoding));
        assert!(
            !matches!(trap, Some(Trap::Unmodelled(_)) | Some(Trap::Undefined)),
            "{what}: {trap:?}"
        );
    }
}

#[test]
fn in_a_program_undefined_and_nocp_are_usage_faults_and_unpredictable_stops_the_core() {
    // UDF: UsageFault UNDEFINSTR, the UDF the return address, no register changed (B1.5.14,
    // B3.2.15); escalated to HardFault with SHCSR.USGFAULTENA clear.
    let (_, mut core, mut bus, before) = m7_before("    movs r0, #5", "    udf #3");
    assert_forced(&run_into_fault(&mut core, &mut bus, &before), UNDEFINSTR);
    // A coprocessor instruction for an absent coprocessor: UsageFault NOCP.
    let (_, mut core, mut bus, before) =
        m7_before("    movs r0, #5", "    mrc p15, 0, r0, c0, c0, 0");
    assert_forced(&run_into_fault(&mut core, &mut bus, &before), NOCP);
    assert_eq!(core.regs.r[0], 5);
    // An UNPREDICTABLE encoding the simulator does not model: the core locks up on it,
    // naming it, and it does not execute.
    let (_, mut core, mut bus, before) = m7_before("    movs r0, #5", "    .inst.n 0xB400");
    match support::run_to_stop(&mut core, &mut bus, 100) {
        Stop::LockedUp { pc, reason } => {
            assert_eq!(pc, before.r[15]);
            assert!(reason.contains("0xB400"), "{reason}");
        }
        other => panic!("expected a lockup, got {other:?}"),
    }
    assert_eq!(core.regs.r, before.r);
}
