//! Which encodings the DSP decoder claims: every DSP instruction on an ARMv7E-M core (Cortex-M7
//! and Cortex-M4), none on an ARMv7-M core, and never a base ARMv7-M instruction from the same
//! encoding tables. Encodings come from the stock assembler; the UNPREDICTABLE and UNDEFINED
//! variants are built by hand from the encoding diagrams.

mod dsp_support;
mod support;

use dsp_support::ALL as DSP;
use sim_core::dsp::decode32;
use sim_core::{Arch, Config, Core, Trap};
use support::{assemble, FlatBus};

/// Base ARMv7-M instructions that live in the same encoding tables (A5.3.3, A5.3.11, A5.3.12,
/// A5.3.15, A5.3.16, A5.3.17): the integer decoder's, on every core.
const BASE: &[&str] = &[
    "sxth.w r0, r1",
    "sxth.w r0, r1, ror #8",
    "uxth.w r8, r9",
    "sxtb.w r0, r1, ror #16",
    "uxtb.w r0, r1, ror #24",
    "mul r8, r9, r10",
    "mla r0, r1, r2, r3",
    "mls r0, r1, r2, r3",
    "smull r0, r1, r2, r3",
    "umull r0, r1, r2, r3",
    "smlal r0, r1, r2, r3",
    "umlal r0, r1, r2, r3",
    "sdiv r0, r1, r2",
    "udiv r0, r1, r2",
    "ssat r0, #8, r1",
    "ssat r0, #8, r1, asr #4",
    "ssat r0, #8, r1, lsl #3",
    "usat r0, #8, r1",
    "usat r0, #8, r1, asr #1",
    "rev.w r8, r9",
    "rev16.w r8, r9",
    "revsh.w r8, r9",
    "rbit r0, r1",
    "clz r0, r1",
    "lsl.w r0, r1, r2",
    "lsr.w r0, r1, r2",
    "asr.w r0, r1, r2",
    "ror.w r0, r1, r2",
    "lsls.w r0, r1, r2",
    "orr.w r0, r1, r2, lsl #8",
    "and.w r0, r1, r2, asr #3",
    "eor.w r0, r1, r2",
    "add.w r0, r1, r2, lsl #16",
    "sub.w r0, r1, r2, asr #16",
    "bfi r0, r1, #4, #8",
    "ubfx r0, r1, #4, #8",
    "sbfx r0, r1, #4, #8",
    "movw r0, #0x1234",
];

/// The 32-bit encodings of `lines` as the stock assembler writes them for `cpu`.
fn encodings(lines: &[&str], cpu: &str) -> Vec<(u16, u16, String)> {
    let mut body = String::from("_start:\n");
    for (i, line) in lines.iter().enumerate() {
        body.push_str(&format!("i{i}:\n    {line}\n"));
    }
    let program = assemble(&body, cpu, "");
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let at = program.symbol(&format!("i{i}")) as usize;
            let half = |k: usize| u16::from_le_bytes([program.image[k], program.image[k + 1]]);
            let (hw1, hw2) = (half(at), half(at + 2));
            assert!(hw1 >> 11 >= 0b11101, "{line} is a 32-bit encoding");
            (hw1, hw2, line.to_string())
        })
        .collect()
}

fn armv7m() -> Config {
    Config {
        arch: Arch::V7M,
        ..Config::cortex_m4f()
    }
}

#[test]
fn every_dsp_instruction_is_claimed_on_armv7e_m_only() {
    for cpu in ["cortex-m7", "cortex-m4"] {
        for (hw1, hw2, line) in encodings(DSP, cpu) {
            for config in [Config::cortex_m7_dp(), Config::cortex_m4f()] {
                let instr = decode32(hw1, hw2, &config);
                assert!(instr.is_some(), "{line} ({hw1:04x} {hw2:04x}) on {cpu}");
                assert_eq!(instr.map(|i| i.len), Some(4));
            }
            assert!(
                decode32(hw1, hw2, &armv7m()).is_none(),
                "{line}: no DSP extension on ARMv7-M"
            );
        }
    }
}

#[test]
fn base_instructions_are_left_to_the_integer_decoder() {
    for (hw1, hw2, line) in encodings(BASE, "cortex-m7") {
        for config in [Config::cortex_m7_dp(), Config::cortex_m4f(), armv7m()] {
            assert!(
                decode32(hw1, hw2, &config).is_none(),
                "{line} ({hw1:04x} {hw2:04x}) is base ARMv7-M"
            );
        }
    }
}

/// On an ARMv7-M core a DSP instruction is UNDEFINED (UsageFault UNDEFINSTR), whatever the
/// integer decoder does with the rest of the table.
#[test]
fn dsp_instructions_are_undefined_without_the_extension() {
    let lines = [
        "uadd8 r0, r1, r2",
        "sel r0, r1, r2",
        "smlabb r0, r1, r2, r3",
    ];
    let mut body = String::from("_start:\n");
    for line in lines {
        body.push_str(&format!("    {line}\n"));
    }
    let program = assemble(&body, "cortex-m4", "");
    let (mut core, mut bus) = support::boot(&program, armv7m());
    let start = core.pc();
    for i in 0..lines.len() as u32 {
        core.regs.r[15] = start + 4 * i;
        let before = core.regs.clone();
        assert_eq!(
            core.step(&mut bus),
            Err(Trap::Undefined),
            "{}",
            lines[i as usize]
        );
        assert_eq!(core.regs, before, "nothing changes on a trap");
    }
}

/// Runs a decoded instruction's function on a fresh core.
fn execute(hw1: u16, hw2: u16) -> Result<(), Trap> {
    let config = Config::cortex_m7_dp();
    let instr = decode32(hw1, hw2, &config).expect("a DSP encoding");
    let mut core = Core::new(config);
    let mut bus = FlatBus::new(&[]);
    (instr.exec)(&mut core, &mut bus, &instr.ops)
}

const UNMODELLED: Result<(), Trap> = Err(Trap::Unmodelled("an UNPREDICTABLE encoding"));

/// R13/R15 operands, should-be-zero bits set and RdHi == RdLo are UNPREDICTABLE: the decoder
/// claims them (they are DSP encodings) and the core stops on them rather than guess.
#[test]
fn unpredictable_forms_stop_the_core() {
    let cases: &[(u16, u16, &str)] = &[
        // uadd8 r0, r2, r3 is FA82 F043.
        (0xFA82, 0xFD43, "uadd8 sp, r2, r3"),
        (0xFA8F, 0xF043, "uadd8 r0, pc, r3"),
        (0xFA82, 0xF04D, "uadd8 r0, r2, sp"),
        // sel r0, r1, r2 is FAA1 F082.
        (0xFAA1, 0xFF82, "sel pc, r1, r2"),
        // uxtah r0, r2, r3 is FA12 F083: Rn = 13, and hw2[6] (a (0) bit) set.
        (0xFA1D, 0xF083, "uxtah r0, sp, r3"),
        (0xFA12, 0xF0C3, "uxtah with hw2[6] set"),
        // smlabb r0, r1, r2, r3 is FB11 3002: Ra = 13.
        (0xFB11, 0xD002, "smlabb r0, r1, r2, sp"),
        // smmls r0, r1, r2, r3 is FB61 3002: Ra = 15 is no alias there.
        (0xFB61, 0xF002, "smmls r0, r1, r2, pc"),
        // umaal r0, r1, r2, r3 is FBE2 0163: RdLo == RdHi.
        (0xFBE2, 0x1163, "umaal r1, r1, r2, r3"),
        // smlalbb r0, r1, r2, r3 is FBC2 0183: RdHi = 13.
        (0xFBC2, 0x0D83, "smlalbb r0, sp, r2, r3"),
        // ssat16 r0, #16, r1 is F321 000F: hw2[5:4] and hw1[10] are (0).
        (0xF321, 0x002F, "ssat16 with hw2[5] set"),
        (0xF721, 0x000F, "ssat16 with hw1[10] set"),
        // pkhbt r0, r1, r2, lsl #4 is EAC1 1002: hw2[15] is (0).
        (0xEAC1, 0x9002, "pkhbt with hw2[15] set"),
        // qadd r0, r1, r2 is FA82 F081: Rd = 15.
        (0xFA82, 0xFF81, "qadd pc, r1, r2"),
    ];
    for &(hw1, hw2, what) in cases {
        assert_eq!(execute(hw1, hw2), UNMODELLED, "{what}");
    }
}

/// Rows of the DSP tables the architecture leaves UNDEFINED are not claimed (the integer
/// decoder then makes them UNDEFINED).
#[test]
fn undefined_rows_are_not_claimed() {
    let m7 = Config::cortex_m7_dp();
    let cases: &[(u16, u16, &str)] = &[
        // Parallel op1 = 011 and 111.
        (0xFAB2, 0xF043, "parallel op1 011"),
        (0xFAF2, 0xF043, "parallel op1 111"),
        // Parallel op2 = 11.
        (0xFA82, 0xF033, "signed parallel op2 11"),
        (0xFA82, 0xF073, "unsigned parallel op2 11"),
        // Data processing (register) with hw2[15:12] != 1111.
        (0xFA82, 0xE043, "uadd8 with hw2[12] clear"),
        // Extend op1 = 110 / 111.
        (0xFA62, 0xF083, "extend op1 110"),
        (0xFA72, 0xF083, "extend op1 111"),
        // SEL with op2 != 00.
        (0xFAA1, 0xF092, "sel op2 01"),
        // Multiply with hw2[7:6] != 00; SMLAD with op2 1x.
        (0xFB12, 0xF043, "smulbb with hw2[6] set"),
        (0xFB21, 0x3022, "smlad with op2 1x"),
        (0xFB71, 0x3012, "usada8 with op2 01"),
        // Long multiply rows that hold nothing.
        (0xFBC2, 0x01F3, "op1 100 op2 1111"),
        (0xFBE2, 0x0173, "op1 110 op2 0111"),
        (0xFBD2, 0x0183, "op1 101 op2 1000"),
        // PKH with S or T set.
        (0xEAD1, 0x1002, "pkhbt with S"),
        (0xEAC1, 0x1012, "pkhbt with T"),
    ];
    for &(hw1, hw2, what) in cases {
        assert!(decode32(hw1, hw2, &m7).is_none(), "{what}");
    }
}
