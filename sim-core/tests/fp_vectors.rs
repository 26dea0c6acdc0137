//! Reference vectors (tests/data/fp_vectors.txt, made offline by tests/data/fp_vectors.py with
//! exact rational arithmetic) run through the core: each vector's instruction is assembled by
//! `arm-none-eabi-as` for the Cortex-M7 (FPv5-D16), its operands and FPSCR are set, one
//! `Core::step` executes it, and the result register, FPSCR's cumulative flags (and NZCV for
//! compares) must match.
//!
//! Covered: VADD, VSUB, VMUL, VDIV, VSQRT, VFMA, VMLA, VNMLS, VFNMA, VCMP, VCMPE, VMAXNM,
//! VMINNM, VCVT/VCVTR to S32/U32, VCVTA/N/P/M, VRINTA/N/P/M/Z/R/X, VCVT from S32/U32,
//! fixed-point VCVT (16/32-bit, every fbits used), VCVT F32<->F64, VCVTB F16<->F32/F64 (IEEE
//! and alternative half), in binary32 and binary64, under the four rounding modes, FZ and DN.

mod fp_util;

use std::collections::BTreeSet;

use fp_util::{Bench, Variant};

const VECTORS: &str = include_str!("data/fp_vectors.txt");

struct Vector<'a> {
    line: &'a str,
    op: &'a str,
    fpscr: u32,
    operands: Vec<u64>,
    result: u64,
    flags: u32,
}

fn parse(line: &str) -> Vector<'_> {
    let (lhs, rhs) = line.split_once(" -> ").expect("a vector has ' -> '");
    let mut fields = lhs.split_whitespace();
    let op = fields.next().expect("op");
    let hex = |s: &str| u64::from_str_radix(s, 16).expect("hex");
    let fpscr = hex(fields.next().expect("fpscr")) as u32;
    let operands = fields.map(hex).collect();
    let mut out = rhs.split_whitespace().map(hex);
    Vector {
        line,
        op,
        fpscr,
        operands,
        result: out.next().expect("result"),
        flags: out.next().expect("flags") as u32,
    }
}

fn label(op: &str) -> String {
    format!("op_{}", op.replace('.', "_"))
}

/// The kind of register an operand or result lives in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reg {
    S,
    D,
    /// The bottom half of an S register (VCVTB).
    Half,
}

/// How an op is laid out: its instruction, where each operand goes and where the result is.
/// Operands go to register 1, 2, … (S or D), or for ternary ops to 0 (accumulator), 1, 2; the
/// result comes from register 0, or FPSCR.NZCV for compares.
struct Shape {
    asm: String,
    operands: Vec<(Reg, usize)>,
    result: Option<Reg>,
}

fn shape(op: &str) -> Shape {
    let parts: Vec<&str> = op.split('.').collect();
    let tag = *parts.last().expect("tag");
    let (r, reg) = if tag == "f64" {
        ("d", Reg::D)
    } else {
        ("s", Reg::S)
    };
    let binary = |mnemonic: &str| Shape {
        asm: format!("{mnemonic}.{tag} {r}0, {r}1, {r}2"),
        operands: vec![(reg, 1), (reg, 2)],
        result: Some(reg),
    };
    let ternary = |mnemonic: &str| Shape {
        asm: format!("{mnemonic}.{tag} {r}0, {r}1, {r}2"),
        operands: vec![(reg, 0), (reg, 1), (reg, 2)],
        result: Some(reg),
    };
    let unary = |mnemonic: &str| Shape {
        asm: format!("{mnemonic}.{tag} {r}0, {r}1"),
        operands: vec![(reg, 1)],
        result: Some(reg),
    };
    let int_type = |u: &str| if u == "u" { "u32" } else { "s32" };
    match parts[0] {
        "add" => binary("vadd"),
        "sub" => binary("vsub"),
        "mul" => binary("vmul"),
        "div" => binary("vdiv"),
        "maxnm" => binary("vmaxnm"),
        "minnm" => binary("vminnm"),
        "sqrt" => unary("vsqrt"),
        "fma" => ternary("vfma"),
        "vmla" => ternary("vmla"),
        "vnmls" => ternary("vnmls"),
        "vfnma" => ternary("vfnma"),
        "cmp" | "cmpe" => Shape {
            asm: format!("v{}.{tag} {r}1, {r}2", parts[0]),
            operands: vec![(reg, 1), (reg, 2)],
            result: None,
        },
        "rinta" | "rintn" | "rintp" | "rintm" | "rintz" | "rintr" | "rintx" => {
            unary(&format!("v{}", parts[0]))
        }
        "tointz" | "tointr" | "cvta" | "cvtn" | "cvtp" | "cvtm" => {
            let mnemonic = match parts[0] {
                "tointz" => "vcvt".to_string(),
                "tointr" => "vcvtr".to_string(),
                other => format!("v{other}"),
            };
            Shape {
                asm: format!("{mnemonic}.{}.{tag} s0, {r}1", int_type(parts[1])),
                operands: vec![(reg, 1)],
                result: Some(Reg::S),
            }
        }
        "fromint" => Shape {
            asm: format!("vcvt.{tag}.{} {r}0, s2", int_type(parts[1])),
            operands: vec![(Reg::S, 2)],
            result: Some(reg),
        },
        "tofixed" | "fromfixed" => {
            let (ty, fbits) = (parts[1], parts[2]);
            let asm = if parts[0] == "tofixed" {
                format!("vcvt.{ty}.{tag} {r}0, {r}0, #{fbits}")
            } else {
                format!("vcvt.{tag}.{ty} {r}0, {r}0, #{fbits}")
            };
            Shape {
                asm,
                operands: vec![(reg, 0)],
                result: Some(reg),
            }
        }
        "cvt" => {
            let (dst, src) = (parts[1], parts[2]);
            let kind = |t: &str| match t {
                "f64" => Reg::D,
                "f32" => Reg::S,
                _ => Reg::Half,
            };
            let name = |t: &str, n: u8| match t {
                "f64" => format!("d{n}"),
                _ => format!("s{n}"),
            };
            let b = if dst == "f16" || src == "f16" {
                "b"
            } else {
                ""
            };
            Shape {
                asm: format!("vcvt{b}.{dst}.{src} {}, {}", name(dst, 0), name(src, 1)),
                operands: vec![(kind(src), 1)],
                result: Some(kind(dst)),
            }
        }
        other => panic!("no shape for {other}"),
    }
}

/// Bits above the half VCVTB writes, to check they are kept.
const UPPER_HALF_MARK: u32 = 0xA5A5_0000;

fn set(bench: &mut Bench, reg: Reg, n: usize, value: u64) {
    match reg {
        Reg::D => bench.core.fp.set_d(n, value),
        Reg::S | Reg::Half => bench.core.fp.s[n] = value as u32,
    }
}

fn get(bench: &Bench, reg: Reg, n: usize) -> u64 {
    match reg {
        Reg::D => bench.core.fp.d(n),
        Reg::S => u64::from(bench.core.fp.s[n]),
        Reg::Half => u64::from(bench.core.fp.s[n] & 0xFFFF),
    }
}

/// Whether FPv4-SP (Cortex-M4F) has the instruction of `op`: single precision, and none of
/// FPv5's additions.
fn on_fpv4(op: &str) -> bool {
    let fpv5_only = [
        "maxnm", "minnm", "rinta", "rintn", "rintp", "rintm", "rintz", "rintr", "rintx", "cvta",
        "cvtn", "cvtp", "cvtm",
    ];
    !op.contains("f64") && !fpv5_only.contains(&op.split('.').next().unwrap_or(""))
}

#[test]
fn reference_vectors_on_the_cortex_m7() {
    run_vectors(Variant::M7, |_| true);
}

#[test]
fn single_precision_reference_vectors_on_the_cortex_m4f() {
    run_vectors(Variant::M4, on_fpv4);
}

fn run_vectors(variant: Variant, keep: fn(&str) -> bool) {
    let vectors: Vec<Vector> = VECTORS
        .lines()
        .filter(|l| !l.is_empty())
        .map(parse)
        .filter(|v| keep(v.op))
        .collect();
    assert!(
        vectors.len() > 1000,
        "too few vectors kept: {}",
        vectors.len()
    );
    let ops: BTreeSet<&str> = vectors.iter().map(|v| v.op).collect();
    let mut body = String::new();
    for op in &ops {
        body.push_str(&format!("{}:\n    {}\n", label(op), shape(op).asm));
    }
    let mut bench = Bench::new(variant, &body);
    let shapes: std::collections::HashMap<&str, Shape> =
        ops.iter().map(|op| (*op, shape(op))).collect();
    let mut failures = Vec::new();
    for v in &vectors {
        let shape = &shapes[v.op];
        // Poison the result registers so a missing write shows.
        bench.core.fp.s = [0x7F80_1234; 32];
        bench.core.fp.s[0] = UPPER_HALF_MARK | 0x1234;
        for ((reg, n), value) in shape.operands.iter().zip(&v.operands) {
            set(&mut bench, *reg, *n, *value);
        }
        bench.core.fp.fpscr = v.fpscr;
        if let Err(trap) = bench.step_at(&label(v.op)) {
            failures.push(format!("{}: trapped {trap:?}", v.line));
            continue;
        }
        let fpscr = bench.core.fp.fpscr;
        let got = match shape.result {
            Some(reg) => get(&bench, reg, 0),
            None => u64::from(fpscr & 0xF000_0000),
        };
        let flags = fpscr & 0x9F;
        let mut wrong = got != v.result || flags != v.flags;
        if shape.result.is_some() && fpscr & 0xFFFF_FF60 != v.fpscr & 0xFFFF_FF60 {
            wrong = true;
        }
        if shape.result == Some(Reg::Half) && bench.core.fp.s[0] >> 16 != UPPER_HALF_MARK >> 16 {
            wrong = true;
        }
        if wrong {
            failures.push(format!(
                "{}: got {got:x} flags {flags:x} (fpscr {fpscr:08x}, s0 {:08x})",
                v.line, bench.core.fp.s[0]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} vectors failed:\n{}",
        failures.len(),
        vectors.len(),
        failures[..failures.len().min(60)].join("\n")
    );
}
