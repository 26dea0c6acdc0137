//! Extends with rotation (SXTAB, SXTAH, UXTAB, UXTAH, SXTAB16, UXTAB16, SXTB16, UXTB16) at
//! every rotation, and PKHBT/PKHTB. Values worked out by hand from the ARM ARM pseudo-code.

mod dsp_support;
mod support;

use dsp_support::Bench;
use sim_core::regs::psr;

/// r2 = bytes 80 F1 7F 02 (3..0); rotated right by 0, 8, 16, 24 it is 0x80F1_7F02,
/// 0x0280_F17F, 0x7F02_80F1, 0xF17F_0280.
const RM: u32 = 0x80F1_7F02;
/// r1: a low halfword that carries when added to.
const RN: u32 = 0x1000_FFF0;

const ROTATIONS: [&str; 4] = ["", ", ror #8", ", ror #16", ", ror #24"];

/// (mnemonic with Rn, results at rotation 0, 8, 16, 24)
const EXTEND_ADD: &[(&str, [u32; 4])] = &[
    // RN + SignExtend(byte): +2, +0x7F, -0x0F, -0x80.
    (
        "sxtab r0, r1, r2",
        [0x1000_FFF2, 0x1001_006F, 0x1000_FFE1, 0x1000_FF70],
    ),
    // RN + ZeroExtend(byte): +2, +0x7F, +0xF1, +0x80.
    (
        "uxtab r0, r1, r2",
        [0x1000_FFF2, 0x1001_006F, 0x1001_00E1, 0x1001_0070],
    ),
    // RN + SignExtend(half): +0x7F02, -0x0E81, -0x7F0F, +0x0280.
    (
        "sxtah r0, r1, r2",
        [0x1001_7EF2, 0x1000_F16F, 0x1000_80E1, 0x1001_0270],
    ),
    // RN + ZeroExtend(half): +0x7F02, +0xF17F, +0x80F1, +0x0280.
    (
        "uxtah r0, r1, r2",
        [0x1001_7EF2, 0x1001_F16F, 0x1001_80E1, 0x1001_0270],
    ),
    // Per halfword, modulo 2^16 (no carry from the low halfword into the high one):
    // low 0xFFF0 + SignExtend(byte 0), high 0x1000 + SignExtend(byte 2).
    (
        "sxtab16 r0, r1, r2",
        [0x0FF1_FFF2, 0x0F80_006F, 0x1002_FFE1, 0x107F_FF70],
    ),
    (
        "uxtab16 r0, r1, r2",
        [0x10F1_FFF2, 0x1080_006F, 0x1002_00E1, 0x107F_0070],
    ),
    // Bytes 0 and 2 of the rotated value, extended to halfwords.
    (
        "sxtb16 r0, r2",
        [0xFFF1_0002, 0xFF80_007F, 0x0002_FFF1, 0x007F_FF80],
    ),
    (
        "uxtb16 r0, r2",
        [0x00F1_0002, 0x0080_007F, 0x0002_00F1, 0x007F_0080],
    ),
];

const PKH: &[(&str, u32)] = &[
    // Bottom from r1 (0x2222), top from r2 shifted left.
    ("pkhbt r0, r1, r2", 0x8765_2222),
    ("pkhbt r0, r1, r2, lsl #8", 0x6543_2222),
    ("pkhbt r0, r1, r2, lsl #16", 0x4321_2222),
    ("pkhbt r0, r1, r2, lsl #31", 0x8000_2222),
    // Top from r1 (0x1111), bottom from r2 shifted right arithmetically.
    ("pkhtb r0, r1, r2, asr #8", 0x1111_6543),
    ("pkhtb r0, r1, r2, asr #16", 0x1111_8765),
    // ASR #32 (encoded as imm 0): all sign bits.
    ("pkhtb r0, r1, r2, asr #32", 0x1111_FFFF),
];

fn lines() -> Vec<String> {
    let mut lines = Vec::new();
    for (base, _) in EXTEND_ADD {
        for rotation in ROTATIONS {
            lines.push(format!("{base}{rotation}"));
        }
    }
    for (line, _) in PKH {
        lines.push(line.to_string());
    }
    lines
}

fn bench() -> Bench {
    let lines = lines();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    Bench::new(&refs)
}

/// Flags no extend or pack touches (C included: PKH's shift has no carry out).
const OTHERS: u32 = psr::NZCV | psr::Q | (0b0101 << psr::GE_SHIFT);

#[test]
fn extends_at_every_rotation() {
    let mut b = bench();
    for (base, results) in EXTEND_ADD {
        for (rotation, &expected) in ROTATIONS.iter().zip(results) {
            let line = format!("{base}{rotation}");
            let (result, apsr) = b.run(&line, &[(1, RN), (2, RM)], OTHERS);
            assert_eq!(result, expected, "{line}: {result:#010x}");
            assert_eq!(apsr, OTHERS, "{line}: no flag");
        }
    }
}

#[test]
fn pack_halfwords() {
    let mut b = bench();
    for &(line, expected) in PKH {
        for apsr_in in [OTHERS, 0] {
            let (result, apsr) = b.run(line, &[(1, 0x1111_2222), (2, 0x8765_4321)], apsr_in);
            assert_eq!(result, expected, "{line}: {result:#010x}");
            assert_eq!(apsr, apsr_in, "{line}: no flag");
        }
    }
    // ASR #32 of a positive value is 0.
    let (result, _) = b.run(
        "pkhtb r0, r1, r2, asr #32",
        &[(1, 0x1111_2222), (2, 0x7765_4321)],
        0,
    );
    assert_eq!(result, 0x1111_0000);
}
