//! The DSP multiplies: halfword (SMULxy, SMLAxy, SMULWy, SMLAWy, SMLALxy), dual (SMUAD,
//! SMUSD, SMLAD, SMLSD, SMLALD, SMLSLD and their X forms), most significant word (SMMUL,
//! SMMLA, SMMLS and their R forms) and UMAAL. Values are worked out by hand from the ARM ARM
//! pseudo-code; the comments show the arithmetic.
//!
//! Register use: 32-bit results `Rd = r0, Rn = r1, Rm = r2, Ra = r3`; 64-bit results
//! `RdLo = r0, RdHi = r1, Rn = r2, Rm = r3`.

mod dsp_support;
mod support;

use dsp_support::Bench;
use sim_core::regs::psr;

const LINES: &[&str] = &[
    "smulbb r0, r1, r2",
    "smulbt r0, r1, r2",
    "smultb r0, r1, r2",
    "smultt r0, r1, r2",
    "smlabb r0, r1, r2, r3",
    "smlabt r0, r1, r2, r3",
    "smlatb r0, r1, r2, r3",
    "smlatt r0, r1, r2, r3",
    "smulwb r0, r1, r2",
    "smulwt r0, r1, r2",
    "smlawb r0, r1, r2, r3",
    "smlawt r0, r1, r2, r3",
    "smuad r0, r1, r2",
    "smuadx r0, r1, r2",
    "smusd r0, r1, r2",
    "smusdx r0, r1, r2",
    "smlad r0, r1, r2, r3",
    "smladx r0, r1, r2, r3",
    "smlsd r0, r1, r2, r3",
    "smlsdx r0, r1, r2, r3",
    "smmul r0, r1, r2",
    "smmulr r0, r1, r2",
    "smmla r0, r1, r2, r3",
    "smmlar r0, r1, r2, r3",
    "smmls r0, r1, r2, r3",
    "smmlsr r0, r1, r2, r3",
    "smlalbb r0, r1, r2, r3",
    "smlalbt r0, r1, r2, r3",
    "smlaltb r0, r1, r2, r3",
    "smlaltt r0, r1, r2, r3",
    "smlald r0, r1, r2, r3",
    "smlaldx r0, r1, r2, r3",
    "smlsld r0, r1, r2, r3",
    "smlsldx r0, r1, r2, r3",
    "umaal r0, r1, r2, r3",
];

/// N, Z, C, V and a GE pattern: never touched by a multiply.
const OTHERS: u32 = psr::NZCV | (0b0110 << psr::GE_SHIFT);

/// (instruction, r1, r2, r3, Rd, Q set)
type Case = (&'static str, u32, u32, u32, u32, bool);

fn check_32(cases: &[Case]) {
    let mut b = Bench::new(LINES);
    for &(line, r1, r2, r3, rd, q) in cases {
        let regs = [(1, r1), (2, r2), (3, r3)];
        let (result, apsr) = b.run(line, &regs, OTHERS);
        assert_eq!(
            result, rd,
            "{line} with {r1:#010x}, {r2:#010x}, {r3:#010x}: {result:#010x}"
        );
        let expected = if q { OTHERS | psr::Q } else { OTHERS };
        assert_eq!(apsr, expected, "{line}: APSR");
        // Q is sticky.
        let (_, apsr) = b.run(line, &regs, psr::Q);
        assert_eq!(apsr, psr::Q, "{line}: Q is never cleared");
    }
}

#[test]
fn halfword_multiplies() {
    // r1: top -32768, bottom 3; r2: top -1, bottom 32767.
    let (r1, r2) = (0x8000_0003, 0xFFFF_7FFF);
    check_32(&[
        // 3 * 32767 = 98301.
        ("smulbb r0, r1, r2", r1, r2, 0, 98301, false),
        // 3 * -1.
        ("smulbt r0, r1, r2", r1, r2, 0, (-3i32) as u32, false),
        // -32768 * 32767 = -0x3FFF_8000.
        ("smultb r0, r1, r2", r1, r2, 0, 0xC000_8000, false),
        // -32768 * -1.
        ("smultt r0, r1, r2", r1, r2, 0, 0x8000, false),
        // The largest product, -32768 * -32768 = 2^30: no overflow, no Q.
        (
            "smultt r0, r1, r2",
            0x8000_0000,
            0x8000_0000,
            0,
            0x4000_0000,
            false,
        ),
        ("smlabb r0, r1, r2, r3", r1, r2, 2, 98303, false),
        // 2^30 + 0x3FFF_FFFF fits; 2^30 + 2^30 = 2^31 overflows: low word, Q.
        (
            "smlabb r0, r1, r2, r3",
            0x8000,
            0x8000,
            0x3FFF_FFFF,
            0x7FFF_FFFF,
            false,
        ),
        (
            "smlabb r0, r1, r2, r3",
            0x8000,
            0x8000,
            0x4000_0000,
            0x8000_0000,
            true,
        ),
        // -32768 * 32767 + -2^31 overflows downwards: 0xC000_8000 + 0x8000_0000 wraps.
        (
            "smlabt r0, r1, r2, r3",
            0x8000,
            0x7FFF_0000,
            0x8000_0000,
            0x4000_8000,
            true,
        ),
        // top(r1) = 2, bottom(r2) = -5: -10 + 11.
        (
            "smlatb r0, r1, r2, r3",
            0x0002_0000,
            0x0000_FFFB,
            11,
            1,
            false,
        ),
        (
            "smlatt r0, r1, r2, r3",
            0x0002_0000,
            0x0006_0000,
            1,
            13,
            false,
        ),
    ]);
}

#[test]
fn word_by_halfword_multiplies() {
    check_32(&[
        // (-2^31 * -32768)<47:16> = 2^46 >> 16 = 2^30.
        (
            "smulwb r0, r1, r2",
            0x8000_0000,
            0x0000_8000,
            0,
            0x4000_0000,
            false,
        ),
        // 0x1234_5678 * 1 >> 16.
        (
            "smulwb r0, r1, r2",
            0x1234_5678,
            0xFFFF_0001,
            0,
            0x1234,
            false,
        ),
        // 1 * -1 = -1: bits 47:16 of -1 are all ones (the shift rounds down).
        ("smulwt r0, r1, r2", 1, 0xFFFF_0000, 0, 0xFFFF_FFFF, false),
        ("smulwt r0, r1, r2", 0x0001_0000, 0x0003_0000, 0, 3, false),
        // (2^46 + 2^30 << 16)<47:16> = 2^31: does not fit, Q.
        (
            "smlawb r0, r1, r2, r3",
            0x8000_0000,
            0x8000,
            0x4000_0000,
            0x8000_0000,
            true,
        ),
        // (2^46 + (2^30 - 1) << 16) >> 16 = 0x7FFF_FFFF: fits.
        (
            "smlawb r0, r1, r2, r3",
            0x8000_0000,
            0x8000,
            0x3FFF_FFFF,
            0x7FFF_FFFF,
            false,
        ),
        // (2 << 16) * 3 = 6 << 16; + 5 << 16 -> 11.
        (
            "smlawt r0, r1, r2, r3",
            0x0002_0000,
            0x0003_0000,
            5,
            11,
            false,
        ),
        // (-1 * top(r2) = 1) + (1 << 16) = 0xFFFF: bits 47:16 are 0.
        (
            "smlawt r0, r1, r2, r3",
            0xFFFF_FFFF,
            0x0001_0000,
            1,
            0,
            false,
        ),
    ]);
}

#[test]
fn dual_multiplies() {
    // r1: hi 3, lo 2; r2: hi 5, lo 7.
    let (r1, r2) = (0x0003_0002, 0x0005_0007);
    check_32(&[
        // 2*7 + 3*5.
        ("smuad r0, r1, r2", r1, r2, 0, 29, false),
        // Exchanged: 2*5 + 3*7.
        ("smuadx r0, r1, r2", r1, r2, 0, 31, false),
        // 2*7 - 3*5.
        ("smusd r0, r1, r2", r1, r2, 0, 0xFFFF_FFFF, false),
        // 2*5 - 3*7.
        ("smusdx r0, r1, r2", r1, r2, 0, (-11i32) as u32, false),
        // 2^30 + 2^30 = 2^31: the only overflow of SMUAD.
        (
            "smuad r0, r1, r2",
            0x8000_8000,
            0x8000_8000,
            0,
            0x8000_0000,
            true,
        ),
        // SMUSD cannot overflow: -32768*32767 - 2^30 = -0x7FFF_8000.
        (
            "smusd r0, r1, r2",
            0x8000_8000,
            0x8000_7FFF,
            0,
            0x8000_8000,
            false,
        ),
        ("smlad r0, r1, r2, r3", r1, r2, 100, 129, false),
        ("smladx r0, r1, r2, r3", r1, r2, 100, 131, false),
        // 1 + 1 + 0x7FFF_FFFE = 2^31: Q.
        (
            "smlad r0, r1, r2, r3",
            0x0001_0001,
            0x0001_0001,
            0x7FFF_FFFE,
            0x8000_0000,
            true,
        ),
        ("smlsd r0, r1, r2, r3", r1, r2, 100, 99, false),
        ("smlsdx r0, r1, r2, r3", r1, r2, 100, 89, false),
        // 1*1 - 0 + 0x7FFF_FFFF overflows upwards.
        ("smlsd r0, r1, r2, r3", 1, 1, 0x7FFF_FFFF, 0x8000_0000, true),
        // 0 - 1*1 + -2^31 overflows downwards.
        (
            "smlsd r0, r1, r2, r3",
            0x0001_0000,
            0x0001_0000,
            0x8000_0000,
            0x7FFF_FFFF,
            true,
        ),
    ]);
}

#[test]
fn most_significant_word_multiplies() {
    check_32(&[
        // 0x4000_0000 * 3 = 0x0000_0000_C000_0000: top word 0; rounded 0x1_4000_0000 -> 1.
        ("smmul r0, r1, r2", 0x4000_0000, 3, 0, 0, false),
        ("smmulr r0, r1, r2", 0x4000_0000, 3, 0, 1, false),
        // Exactly one half: 0x8000 * 0x1_0000 = 0x8000_0000 rounds up.
        ("smmul r0, r1, r2", 0x8000, 0x1_0000, 0, 0, false),
        ("smmulr r0, r1, r2", 0x8000, 0x1_0000, 0, 1, false),
        // Just under one half does not.
        ("smmulr r0, r1, r2", 0x7FFF, 0x1_0000, 0, 0, false),
        // -1 * 1 = -1: top word all ones; rounded -1 + 2^31 -> 0.
        ("smmul r0, r1, r2", 0xFFFF_FFFF, 1, 0, 0xFFFF_FFFF, false),
        ("smmulr r0, r1, r2", 0xFFFF_FFFF, 1, 0, 0, false),
        // -2^31 * -2^31 = 2^62.
        (
            "smmul r0, r1, r2",
            0x8000_0000,
            0x8000_0000,
            0,
            0x4000_0000,
            false,
        ),
        // (5 << 32) + 0xC000_0000: 5; rounded 6.
        ("smmla r0, r1, r2, r3", 0x4000_0000, 3, 5, 5, false),
        ("smmlar r0, r1, r2, r3", 0x4000_0000, 3, 5, 6, false),
        // (0x7FFF_FFFF << 32) + 2^62: the top word wraps to 0xBFFF_FFFF, and no Q.
        (
            "smmla r0, r1, r2, r3",
            0x8000_0000,
            0x8000_0000,
            0x7FFF_FFFF,
            0xBFFF_FFFF,
            false,
        ),
        // (5 << 32) - 0x4000_0000 = 0x4_C000_0000: 4; rounded 0x5_4000_0000: 5.
        ("smmls r0, r1, r2, r3", 0x4000_0000, 1, 5, 4, false),
        ("smmlsr r0, r1, r2, r3", 0x4000_0000, 1, 5, 5, false),
        // 0 - 2^62.
        (
            "smmls r0, r1, r2, r3",
            0x8000_0000,
            0x8000_0000,
            0,
            0xC000_0000,
            false,
        ),
    ]);
}

/// (instruction, RdLo, RdHi, r2, r3, result RdLo, result RdHi)
type LongCase = (&'static str, u32, u32, u32, u32, u32, u32);

#[test]
fn long_multiplies() {
    let cases: &[LongCase] = &[
        // 0x0000_0000_FFFF_FFFF + 2*3 carries into RdHi.
        ("smlalbb r0, r1, r2, r3", 0xFFFF_FFFF, 0, 2, 3, 5, 1),
        // 0 + (-1 * 1): sign-extended to 64 bits.
        (
            "smlalbb r0, r1, r2, r3",
            0,
            0,
            0xFFFF,
            1,
            0xFFFF_FFFF,
            0xFFFF_FFFF,
        ),
        // bottom(r2) = 4 * top(r3) = -2 plus 10.
        (
            "smlalbt r0, r1, r2, r3",
            10,
            0,
            0x0000_0004,
            0xFFFE_0000,
            2,
            0,
        ),
        (
            "smlaltb r0, r1, r2, r3",
            10,
            0,
            0x0004_0000,
            0x0000_0003,
            22,
            0,
        ),
        // 2^30 + 0x7FFF_FFFF_C000_0000 = 2^63: wraps, no flag.
        (
            "smlaltt r0, r1, r2, r3",
            0xC000_0000,
            0x7FFF_FFFF,
            0x8000_0000,
            0x8000_0000,
            0,
            0x8000_0000,
        ),
        // r2: hi 3, lo 2; r3: hi 5, lo 7; accumulator 0x1_FFFF_FFF0.
        (
            "smlald r0, r1, r2, r3",
            0xFFFF_FFF0,
            1,
            0x0003_0002,
            0x0005_0007,
            0x0D,
            2,
        ),
        (
            "smlaldx r0, r1, r2, r3",
            0xFFFF_FFF0,
            1,
            0x0003_0002,
            0x0005_0007,
            0x0F,
            2,
        ),
        (
            "smlsld r0, r1, r2, r3",
            0xFFFF_FFF0,
            1,
            0x0003_0002,
            0x0005_0007,
            0xFFFF_FFEF,
            1,
        ),
        (
            "smlsldx r0, r1, r2, r3",
            0xFFFF_FFF0,
            1,
            0x0003_0002,
            0x0005_0007,
            0xFFFF_FFE5,
            1,
        ),
        // 2^30 + 2^30 = 2^31 is no overflow at 64 bits.
        (
            "smlald r0, r1, r2, r3",
            0,
            0,
            0x8000_8000,
            0x8000_8000,
            0x8000_0000,
            0,
        ),
        // A negative difference borrows from RdHi: 0x1_0000_0000 - 1.
        (
            "smlsld r0, r1, r2, r3",
            0,
            1,
            0x0001_0000,
            0x0001_0000,
            0xFFFF_FFFF,
            0,
        ),
        // (2^32-1)^2 + 2 * (2^32-1) = 2^64 - 1: the full 64 bits, no wrap.
        (
            "umaal r0, r1, r2, r3",
            0xFFFF_FFFF,
            0xFFFF_FFFF,
            0xFFFF_FFFF,
            0xFFFF_FFFF,
            0xFFFF_FFFF,
            0xFFFF_FFFF,
        ),
        // 0x1234_5678 * 0x9ABC_DEF0 + 0x2222_2222 + 0x1111_1111 = 0x0B00_EA4E_5760_53B3.
        (
            "umaal r0, r1, r2, r3",
            0x1111_1111,
            0x2222_2222,
            0x1234_5678,
            0x9ABC_DEF0,
            0x5760_53B3,
            0x0B00_EA4E,
        ),
        // RdHi and RdLo are added, not taken as one 64-bit accumulator: 0 * 0 + 1 + 1.
        ("umaal r0, r1, r2, r3", 1, 1, 0, 0, 2, 0),
    ];
    let mut b = Bench::new(LINES);
    for &(line, lo, hi, r2, r3, rlo, rhi) in cases {
        let index = b.index(line);
        let core = b.exec(index, &[(0, lo), (1, hi), (2, r2), (3, r3)], OTHERS);
        assert_eq!(
            (core.regs.r[0], core.regs.r[1]),
            (rlo, rhi),
            "{line} with {hi:#010x}:{lo:#010x}, {r2:#010x}, {r3:#010x}"
        );
        assert_eq!(core.regs.apsr, OTHERS, "{line}: no flag");
    }
}
