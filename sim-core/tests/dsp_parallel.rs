//! Parallel addition and subtraction (SADD8 … UHSAX), SEL, USAD8/USADA8, assembled by the
//! stock assembler and executed one at a time. Expected values are worked out by hand from the
//! ARM ARM pseudo-code, and a sweep compares every instruction against a lane-by-lane model
//! written from the pseudo-code in this file.

mod dsp_support;
mod support;

use dsp_support::{Bench, Rng};
use sim_core::regs::psr;

const PREFIXES: [&str; 6] = ["s", "q", "sh", "u", "uq", "uh"];
const OPS: [&str; 6] = ["add8", "add16", "asx", "sub8", "sub16", "sax"];

fn lines() -> Vec<String> {
    let mut lines = Vec::new();
    for p in PREFIXES {
        for op in OPS {
            lines.push(format!("{p}{op} r0, r1, r2"));
        }
    }
    lines.push("sel r0, r1, r2".into());
    lines.push("usad8 r0, r1, r2".into());
    lines.push("usada8 r0, r1, r2, r3".into());
    lines
}

fn bench() -> Bench {
    let lines = lines();
    let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
    Bench::new(&refs)
}

fn ge(bits: u32) -> u32 {
    bits << psr::GE_SHIFT
}

/// The model: (Rd, GE if the instruction sets it), following each instruction's pseudo-code.
fn model(prefix: &str, op: &str, n: u32, m: u32) -> (u32, Option<u32>) {
    let byte = |x: u32, i: u32| (x >> (8 * i)) & 0xFF;
    let half = |x: u32, i: u32| (x >> (16 * i)) & 0xFFFF;
    // (width, lanes as (Rn element, Rm element, subtract)), in lane order.
    let (width, lanes): (u32, Vec<(u32, u32, bool)>) = match op {
        "add8" => (8, (0..4).map(|i| (byte(n, i), byte(m, i), false)).collect()),
        "sub8" => (8, (0..4).map(|i| (byte(n, i), byte(m, i), true)).collect()),
        "add16" => (
            16,
            vec![
                (half(n, 0), half(m, 0), false),
                (half(n, 1), half(m, 1), false),
            ],
        ),
        "sub16" => (
            16,
            vec![
                (half(n, 0), half(m, 0), true),
                (half(n, 1), half(m, 1), true),
            ],
        ),
        // ASX: diff = Rn[15:0] - Rm[31:16] (low), sum = Rn[31:16] + Rm[15:0] (high).
        "asx" => (
            16,
            vec![
                (half(n, 0), half(m, 1), true),
                (half(n, 1), half(m, 0), false),
            ],
        ),
        // SAX: sum = Rn[15:0] + Rm[31:16] (low), diff = Rn[31:16] - Rm[15:0] (high).
        "sax" => (
            16,
            vec![
                (half(n, 0), half(m, 1), false),
                (half(n, 1), half(m, 0), true),
            ],
        ),
        _ => unreachable!(),
    };
    let signed = matches!(prefix, "s" | "q" | "sh");
    let modulus = 1i64 << width;
    let int = |x: u32| -> i64 {
        let x = i64::from(x);
        if signed && x >= modulus / 2 {
            x - modulus
        } else {
            x
        }
    };
    let mut result = 0u32;
    let mut ge = 0u32;
    let ge_per_lane = width / 8;
    for (i, &(a, b, subtract)) in lanes.iter().enumerate() {
        let x = if subtract {
            int(a) - int(b)
        } else {
            int(a) + int(b)
        };
        let (value, lane_ge) = match prefix {
            "s" => (x, x >= 0),
            "u" => (x, if subtract { x >= 0 } else { x >= modulus }),
            "q" => (x.clamp(-modulus / 2, modulus / 2 - 1), false),
            "uq" => (x.clamp(0, modulus - 1), false),
            // sum<w:1>: the exact result halved, rounded towards minus infinity.
            "sh" | "uh" => (x.div_euclid(2), false),
            _ => unreachable!(),
        };
        let bits = value.rem_euclid(modulus) as u32;
        result |= bits << (width * i as u32);
        if lane_ge {
            ge |= ((1 << ge_per_lane) - 1) << (ge_per_lane * i as u32);
        }
    }
    let sets_ge = matches!(prefix, "s" | "u");
    (result, sets_ge.then_some(ge))
}

#[test]
fn the_model_matches_hand_worked_values() {
    // UADD8: 01+FF carries, 00+FF does not, FF+01 and 80+80 carry.
    assert_eq!(
        model("u", "add8", 0x80FF_0001, 0x8001_FFFF),
        (0x0000_FF00, Some(0b1101))
    );
    assert_eq!(
        model("s", "add8", 0x80FF_0001, 0x8001_FFFF),
        (0x0000_FF00, Some(0b0101))
    );
    assert_eq!(
        model("q", "add8", 0x7F80_0102, 0x01FF_7F80),
        (0x7F80_7F82, None)
    );
    assert_eq!(
        model("sh", "add8", 0x807F_01FF, 0x807F_00FE),
        (0x807F_00FE, None)
    );
}

#[test]
fn parallel_add_and_subtract_by_hand() {
    let mut b = bench();
    // (instruction, Rn, Rm, Rd, GE or None when GE must stay as it was)
    let cases: &[(&str, u32, u32, u32, Option<u32>)] = &[
        // Per byte: 01+FF = 100 (GE), 00+FF = FF, FF+01 = 100 (GE), 80+80 = 100 (GE).
        (
            "uadd8 r0, r1, r2",
            0x80FF_0001,
            0x8001_FFFF,
            0x0000_FF00,
            Some(0b1101),
        ),
        // Signed: 1+-1 = 0 (GE), 0+-1 = -1, -1+1 = 0 (GE), -128+-128 = -256 -> 00.
        (
            "sadd8 r0, r1, r2",
            0x80FF_0001,
            0x8001_FFFF,
            0x0000_FF00,
            Some(0b0101),
        ),
        // 5-7 = -2, -32768-1 = -32769 -> 7FFF, both negative.
        (
            "ssub16 r0, r1, r2",
            0x8000_0005,
            0x0001_0007,
            0x7FFF_FFFE,
            Some(0b0000),
        ),
        // Unsigned: 5-7 borrows, 8000-1 does not.
        (
            "usub16 r0, r1, r2",
            0x8000_0005,
            0x0001_0007,
            0x7FFF_FFFE,
            Some(0b1100),
        ),
        // UASX: low 3-4 = -1 (borrow), high 1+FFFF = 10000 (carry).
        (
            "uasx r0, r1, r2",
            0x0001_0003,
            0x0004_FFFF,
            0x0000_FFFF,
            Some(0b1100),
        ),
        // USAX: low 3+4 = 7 (no carry), high 1-FFFF borrows -> 0002.
        (
            "usax r0, r1, r2",
            0x0001_0003,
            0x0004_FFFF,
            0x0002_0007,
            Some(0b0000),
        ),
        // SASX: low -32768-1 = -32769 -> 7FFF (negative), high 32767+1 = 32768 (>= 0).
        (
            "sasx r0, r1, r2",
            0x7FFF_8000,
            0x0001_0001,
            0x8000_7FFF,
            Some(0b1100),
        ),
        // SSAX: low 1+(-1)... low = Rn.lo + Rm.hi = 1 + FFFF(-1) = 0, high = 2 - 3 = -1.
        (
            "ssax r0, r1, r2",
            0x0002_0001,
            0xFFFF_0003,
            0xFFFF_0000,
            Some(0b0011),
        ),
        // USUB8: 10-20 borrows, FF-00, 05-06 borrows, 01-01 = 0 no borrow.
        (
            "usub8 r0, r1, r2",
            0x0105_FF10,
            0x0106_0020,
            0x00FF_FFF0,
            Some(0b1010),
        ),
        // SSUB8: 10-20 = -16, -1-0 = -1, 5-6 = -1, 1-1 = 0.
        (
            "ssub8 r0, r1, r2",
            0x0105_FF10,
            0x0106_0020,
            0x00FF_FFF0,
            Some(0b1000),
        ),
        // UADD16: FFFF+1 carries, 7FFF+7FFF does not.
        (
            "uadd16 r0, r1, r2",
            0x7FFF_FFFF,
            0x7FFF_0001,
            0xFFFE_0000,
            Some(0b0011),
        ),
        // SADD16: -1+1 = 0 (GE), 32767+32767 wraps to FFFE but the sum is positive (GE).
        (
            "sadd16 r0, r1, r2",
            0x7FFF_FFFF,
            0x7FFF_0001,
            0xFFFE_0000,
            Some(0b1111),
        ),
        // QADD8: 2-128 = -126, 1+127 -> 7F, -128-1 -> 80, 127+1 -> 7F.
        (
            "qadd8 r0, r1, r2",
            0x7F80_0102,
            0x01FF_7F80,
            0x7F80_7F82,
            None,
        ),
        // QSUB16: 32767-(-1) -> 7FFF, -32768-1 -> 8000.
        (
            "qsub16 r0, r1, r2",
            0x8000_7FFF,
            0x0001_FFFF,
            0x8000_7FFF,
            None,
        ),
        // QASX: low = 7FFF - (-1) -> 7FFF; high = 8000 + FFFF(-1) -> 8000.
        (
            "qasx r0, r1, r2",
            0x8000_7FFF,
            0xFFFF_FFFF,
            0x8000_7FFF,
            None,
        ),
        // QSAX: low = 1 + 2 = 3; high = 8000 - 1 -> 8000.
        (
            "qsax r0, r1, r2",
            0x8000_0001,
            0x0002_0001,
            0x8000_0003,
            None,
        ),
        // UQSUB8: 0-1 -> 0, FF-0, 10-20 -> 0, 5-6 -> 0.
        (
            "uqsub8 r0, r1, r2",
            0x0510_FF00,
            0x0620_0001,
            0x0000_FF00,
            None,
        ),
        // UQADD16: 1+2 = 3, FFF0+20 -> FFFF.
        (
            "uqadd16 r0, r1, r2",
            0xFFF0_0001,
            0x0020_0002,
            0xFFFF_0003,
            None,
        ),
        // UQASX: low = 3 - 4 -> 0, high = FFFF + 1 -> FFFF.
        (
            "uqasx r0, r1, r2",
            0xFFFF_0003,
            0x0004_0001,
            0xFFFF_0000,
            None,
        ),
        // SHADD8: (-1-2)/2 = -1.5 -> -2, (1+0)/2 = 0, (127+127)/2 = 127, (-128-128)/2 = -128.
        (
            "shadd8 r0, r1, r2",
            0x807F_01FF,
            0x807F_00FE,
            0x807F_00FE,
            None,
        ),
        // SHSUB16: (1-2)/2 = -0.5 -> -1, (-32768-32767)/2 -> -32768.
        (
            "shsub16 r0, r1, r2",
            0x8000_0001,
            0x7FFF_0002,
            0x8000_FFFF,
            None,
        ),
        // UHSUB8: (1-3)/2 = -1 -> FF, (5-1)/2 = 2.
        (
            "uhsub8 r0, r1, r2",
            0x0000_0501,
            0x0000_0103,
            0x0000_02FF,
            None,
        ),
        // UHADD16: (1+2)/2 = 1, (FFFF+FFFF)/2 = FFFF: the carry is kept.
        (
            "uhadd16 r0, r1, r2",
            0xFFFF_0001,
            0xFFFF_0002,
            0xFFFF_0001,
            None,
        ),
        // UHADD8: (FF+FF)/2 = FF, (80+80)/2 = 80.
        (
            "uhadd8 r0, r1, r2",
            0x0000_80FF,
            0x0000_80FF,
            0x0000_80FF,
            None,
        ),
    ];
    for &(line, n, m, rd, expected_ge) in cases {
        // GE starts as 0b1010 so that "untouched" and "written" differ.
        let (result, apsr) = b.run(line, &[(1, n), (2, m)], ge(0b1010));
        assert_eq!(result, rd, "{line} with {n:#010x}, {m:#010x}");
        let expected_apsr = ge(expected_ge.unwrap_or(0b1010));
        assert_eq!(apsr, expected_apsr, "{line}: APSR");
    }
}

#[test]
fn every_parallel_instruction_matches_the_model() {
    let mut b = bench();
    let mut rng = Rng(0x1234_5678);
    for p in PREFIXES {
        for op in OPS {
            let line = format!("{p}{op} r0, r1, r2");
            let index = b.index(&line);
            for _ in 0..300 {
                let (n, m) = (rng.operand(), rng.operand());
                let (rd, model_ge) = model(p, op, n, m);
                let apsr_in = ge(rng.next() & 0xF);
                let core = b.exec(index, &[(1, n), (2, m)], apsr_in);
                assert_eq!(core.regs.r[0], rd, "{line} {n:#010x}, {m:#010x}");
                let expected = model_ge.map_or(apsr_in, ge);
                assert_eq!(
                    core.regs.apsr, expected,
                    "{line} {n:#010x}, {m:#010x}: APSR"
                );
                assert_eq!(
                    (core.regs.r[1], core.regs.r[2]),
                    (n, m),
                    "{line}: sources kept"
                );
            }
        }
    }
}

/// The flags a known emulator's SADD8 wiped: N, Z, C, V, Q, the IT bits, T and IPSR survive
/// every parallel instruction; only GE changes, and only for the GE-setting kinds.
#[test]
fn parallel_instructions_touch_nothing_but_ge() {
    let mut b = bench();
    for p in PREFIXES {
        for op in OPS {
            let line = format!("{p}{op} r0, r1, r2");
            let index = b.index(&line);
            // N, Z, C, V, Q set, GE = 0b0110; inside an ITTTT EQ block (Z set: it runs), in
            // Handler mode (IPSR 3).
            let apsr_in = psr::NZCV | psr::Q | ge(0b0110);
            let core = b.exec_with(index, &[(1, 0x0101_0101), (2, 0xFFFF_FFFF)], &|core| {
                core.regs.apsr = apsr_in;
                core.regs.itstate = 0x01;
                let control = core.regs.control;
                core.regs.set_mode(3, control);
            });
            let (_, model_ge) = model(p, op, 0x0101_0101, 0xFFFF_FFFF);
            let expected_apsr = match model_ge {
                Some(g) => (apsr_in & !psr::GE_MASK) | ge(g),
                None => apsr_in,
            };
            assert_eq!(core.regs.apsr, expected_apsr, "{line}: APSR");
            assert_eq!(core.regs.ipsr, 3, "{line}: IPSR");
            assert!(core.regs.thumb, "{line}: T");
            // The IT block advanced by exactly one instruction.
            assert_eq!(core.regs.itstate, 0x02, "{line}: ITSTATE");
            let xpsr = core.regs.xpsr();
            assert_eq!(xpsr & 0xF800_0000, 0xF800_0000, "{line}: xPSR NZCVQ");
            assert_eq!(xpsr & psr::IPSR_MASK, 3);
            assert_ne!(xpsr & psr::T, 0);
        }
    }
}

/// GE comes from each lane on its own: each byte lane of UADD8 and each halfword lane of
/// UADD16 sets exactly its bits.
#[test]
fn ge_is_set_per_lane() {
    let mut b = bench();
    for lane in 0..4 {
        let n = 0xFF << (8 * lane);
        let (_, apsr) = b.run("uadd8 r0, r1, r2", &[(1, n), (2, 0x0101_0101)], 0);
        assert_eq!(apsr, ge(1 << lane), "uadd8 carry in byte {lane} only");
        let (_, apsr) = b.run("usub8 r0, r1, r2", &[(1, !n), (2, 0x0101_0101)], 0);
        assert_eq!(apsr, ge(0xF & !(1 << lane)), "usub8 borrow in byte {lane}");
    }
    for lane in 0..2 {
        let n = 0xFFFF << (16 * lane);
        let (_, apsr) = b.run("uadd16 r0, r1, r2", &[(1, n), (2, 0x0001_0001)], 0);
        assert_eq!(apsr, ge(0b11 << (2 * lane)), "uadd16 carry in half {lane}");
        let (_, apsr) = b.run("sadd16 r0, r1, r2", &[(1, n), (2, 0x0000_0000)], 0);
        assert_eq!(
            apsr,
            ge(0b11 << (2 * (1 - lane))),
            "sadd16 -1 in half {lane}"
        );
    }
}

#[test]
fn sel_picks_bytes_by_ge() {
    let mut b = bench();
    let (n, m) = (0x1122_3344, 0xAABB_CCDD);
    let expected = [
        (0b0000, 0xAABB_CCDD),
        (0b1111, 0x1122_3344),
        (0b0101, 0xAA22_CC44),
        (0b1010, 0x11BB_33DD),
        (0b0001, 0xAABB_CC44),
        (0b1000, 0x11BB_CCDD),
    ];
    for (g, rd) in expected {
        let apsr_in = psr::N | psr::C | ge(g);
        let (result, apsr) = b.run("sel r0, r1, r2", &[(1, n), (2, m)], apsr_in);
        assert_eq!(result, rd, "sel with GE {g:#06b}");
        assert_eq!(apsr, apsr_in, "sel reads GE and writes no flag");
    }
}

#[test]
fn usad8_and_usada8() {
    let mut b = bench();
    // |01-FF| + |FF-01| + |10-20| + |80-80| = 254 + 254 + 16 + 0 = 524.
    let (n, m) = (0x01FF_1080, 0xFF01_2080);
    assert_eq!(b.run("usad8 r0, r1, r2", &[(1, n), (2, m)], 0), (524, 0));
    assert_eq!(
        b.run("usada8 r0, r1, r2, r3", &[(1, n), (2, m), (3, 1000)], 0),
        (1524, 0)
    );
    // The accumulation wraps at 32 bits and sets no flag.
    assert_eq!(
        b.run(
            "usada8 r0, r1, r2, r3",
            &[(1, n), (2, m), (3, 0xFFFF_FFFF)],
            0
        ),
        (523, 0)
    );
    // The largest sum: four differences of 255.
    assert_eq!(
        b.run("usad8 r0, r1, r2", &[(1, 0xFFFF_FFFF), (2, 0)], psr::Q),
        (1020, psr::Q)
    );
}
