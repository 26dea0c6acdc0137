//! QADD, QSUB, QDADD, QDSUB, SSAT16, USAT16: saturation limits and the sticky Q flag, with
//! values worked out by hand from the ARM ARM pseudo-code.
//!
//! Assembler syntax of the QADD family is `Rd, Rm, Rn`: `qsub r0, r1, r2` is r1 - r2 and
//! `qdadd r0, r1, r2` is r1 + SignedSat(2 * r2).

mod dsp_support;
mod support;

use dsp_support::Bench;
use sim_core::regs::psr;

const LINES: &[&str] = &[
    "qadd r0, r1, r2",
    "qsub r0, r1, r2",
    "qdadd r0, r1, r2",
    "qdsub r0, r1, r2",
    "ssat16 r0, #8, r1",
    "ssat16 r0, #1, r1",
    "ssat16 r0, #16, r1",
    "usat16 r0, #7, r1",
    "usat16 r0, #0, r1",
    "usat16 r0, #15, r1",
];

const MIN: u32 = 0x8000_0000;
const MAX: u32 = 0x7FFF_FFFF;
/// Flags the instructions must leave alone: N, Z, C, V and a GE pattern.
const OTHERS: u32 = psr::NZCV | (0b1001 << psr::GE_SHIFT);

/// (instruction, Rm (r1), Rn (r2), Rd, saturated)
const QADD_CASES: &[(&str, u32, u32, u32, bool)] = &[
    ("qadd r0, r1, r2", 5, (-3i32) as u32, 2, false),
    ("qadd r0, r1, r2", MAX, 1, MAX, true),
    ("qadd r0, r1, r2", MIN, 0xFFFF_FFFF, MIN, true),
    ("qadd r0, r1, r2", MAX, MIN, 0xFFFF_FFFF, false),
    // r1 - r2.
    ("qsub r0, r1, r2", 10, 3, 7, false),
    ("qsub r0, r1, r2", MIN, 1, MIN, true),
    ("qsub r0, r1, r2", 0, MIN, MAX, true),
    ("qsub r0, r1, r2", 0xFFFF_FFFF, MIN, MAX, false),
    // r1 + Sat(2 * r2).
    ("qdadd r0, r1, r2", 100, 7, 114, false),
    // 2 * 0x4000_0000 saturates to 0x7FFF_FFFF first; then -1 gives 0x7FFF_FFFE (without the
    // intermediate saturation it would be 0x7FFF_FFFF).
    (
        "qdadd r0, r1, r2",
        0xFFFF_FFFF,
        0x4000_0000,
        0x7FFF_FFFE,
        true,
    ),
    // 2 * -0x4000_0000 = -2^31 fits; -2^31 + -1 saturates.
    ("qdadd r0, r1, r2", 0xFFFF_FFFF, 0xC000_0000, MIN, true),
    ("qdadd r0, r1, r2", 0, 0xC000_0000, MIN, false),
    // r1 - Sat(2 * r2).
    ("qdsub r0, r1, r2", 100, 7, 86, false),
    // 0 - (-2^31) saturates; -1 - (-2^31) fits exactly.
    ("qdsub r0, r1, r2", 0, 0xC000_0000, MAX, true),
    ("qdsub r0, r1, r2", 0xFFFF_FFFF, 0xC000_0000, MAX, false),
    // 2 * -2^31 saturates to -2^31 (Q), then 1 - (-2^31) saturates again.
    ("qdsub r0, r1, r2", 1, MIN, MAX, true),
    // The doubling saturates (Q) but the final subtraction does not: -2^31 - 0x7FFF_FFFF
    // would, so use r1 = -1: -1 - 0x7FFF_FFFF = -2^31 exactly.
    ("qdsub r0, r1, r2", 0xFFFF_FFFF, 0x4000_0000, MIN, true),
];

#[test]
fn qadd_family_saturates_and_sets_q() {
    let mut b = Bench::new(LINES);
    for &(line, m, n, rd, saturated) in QADD_CASES {
        let (result, apsr) = b.run(line, &[(1, m), (2, n)], OTHERS);
        assert_eq!(result, rd, "{line} with r1 {m:#010x}, r2 {n:#010x}");
        let expected = if saturated { OTHERS | psr::Q } else { OTHERS };
        assert_eq!(
            apsr, expected,
            "{line} with r1 {m:#010x}, r2 {n:#010x}: APSR"
        );
    }
}

#[test]
fn q_is_sticky() {
    let mut b = Bench::new(LINES);
    for &(line, m, n, rd, _) in QADD_CASES {
        let (result, apsr) = b.run(line, &[(1, m), (2, n)], psr::Q);
        assert_eq!(result, rd, "{line}");
        assert_eq!(apsr, psr::Q, "{line}: Q is never cleared");
    }
}

/// (instruction, Rn (r1), Rd, saturated)
const SAT16_CASES: &[(&str, u32, u32, bool)] = &[
    // -128..127: 256 -> 127, -256 -> -128.
    ("ssat16 r0, #8, r1", 0x0100_FF00, 0x007F_FF80, true),
    ("ssat16 r0, #8, r1", 0x007F_FF80, 0x007F_FF80, false),
    // Only the high lane saturates.
    ("ssat16 r0, #8, r1", 0x0080_0005, 0x007F_0005, true),
    // -1..0.
    ("ssat16 r0, #1, r1", 0x0001_FFFF, 0x0000_FFFF, true),
    ("ssat16 r0, #1, r1", 0xFFFF_0000, 0xFFFF_0000, false),
    // 16 bits: nothing can saturate.
    ("ssat16 r0, #16, r1", 0x8000_7FFF, 0x8000_7FFF, false),
    // 0..127: -128 -> 0, 128 -> 127.
    ("usat16 r0, #7, r1", 0xFF80_0080, 0x0000_007F, true),
    ("usat16 r0, #7, r1", 0x007F_0000, 0x007F_0000, false),
    // 0..0.
    ("usat16 r0, #0, r1", 0x0000_0000, 0x0000_0000, false),
    ("usat16 r0, #0, r1", 0x0001_0000, 0x0000_0000, true),
    // 0..32767: the halfwords are signed, so 0x8000 is -32768 -> 0.
    ("usat16 r0, #15, r1", 0x7FFF_8000, 0x7FFF_0000, true),
    ("usat16 r0, #15, r1", 0x7FFF_1234, 0x7FFF_1234, false),
];

#[test]
fn ssat16_and_usat16() {
    let mut b = Bench::new(LINES);
    for &(line, n, rd, saturated) in SAT16_CASES {
        let (result, apsr) = b.run(line, &[(1, n)], OTHERS);
        assert_eq!(result, rd, "{line} with {n:#010x}");
        let expected = if saturated { OTHERS | psr::Q } else { OTHERS };
        assert_eq!(apsr, expected, "{line} with {n:#010x}: APSR");
        let (_, apsr) = b.run(line, &[(1, n)], psr::Q);
        assert_eq!(apsr, psr::Q, "{line}: Q is sticky");
    }
}
