//! Hand-checked FP semantics through `Core::step`: each expected value is derived in the
//! comment next to it from the ARMv7-M ARM A2.5 pseudo-code (the reference vectors in
//! fp_vectors.rs cover the same ground in bulk; these name the rules one by one). Binary32
//! patterns: 1.0 = 0x3F800000, 2.0 = 0x40000000, largest finite 0x7F7FFFFF, +inf 0x7F800000,
//! default NaN 0x7FC00000.

mod fp_util;

use fp_util::{f32_bits, Bench, Variant};
use sim_core::regs::psr;

const RP: u32 = 0b01 << 22;
const RM: u32 = 0b10 << 22;
const RZ: u32 = 0b11 << 22;
const FZ: u32 = 1 << 24;
const DN: u32 = 1 << 25;
const AHP: u32 = 1 << 26;
const IOC: u32 = 0x01;
const DZC: u32 = 0x02;
const OFC: u32 = 0x04;
const UFC: u32 = 0x08;
const IXC: u32 = 0x10;
const IDC: u32 = 0x80;

const ONE: u32 = 0x3F80_0000;
const TWO: u32 = 0x4000_0000;
const MAX: u32 = 0x7F7F_FFFF;
const INF: u32 = 0x7F80_0000;
const QNAN: u32 = 0x7FC0_0000;

const BODY: &str = "
add:    vadd.f32 s0, s1, s2
sub:    vsub.f32 s0, s1, s2
mul:    vmul.f32 s0, s1, s2
nmul:   vnmul.f32 s0, s1, s2
div:    vdiv.f32 s0, s1, s2
sqrt:   vsqrt.f32 s0, s1
neg:    vneg.f32 s0, s1
abs:    vabs.f32 s0, s1
mla:    vmla.f32 s0, s1, s2
fma:    vfma.f32 s0, s1, s2
fms:    vfms.f32 s0, s1, s2
cmp:    vcmp.f32 s1, s2
cmpe:   vcmpe.f32 s1, s2
cmp0:   vcmp.f32 s1, #0
tos:    vcvt.s32.f32 s0, s1
tou:    vcvt.u32.f32 s0, s1
tosr:   vcvtr.s32.f32 s0, s1
tos_a:  vcvta.s32.f32 s0, s1
tos_n:  vcvtn.s32.f32 s0, s1
tos_p:  vcvtp.s32.f32 s0, s1
tos_m:  vcvtm.s32.f32 s0, s1
froms:  vcvt.f32.s32 s0, s1
fromu:  vcvt.f32.u32 s0, s1
fx_s16: vcvt.s16.f32 s0, s0, #8
fx_u16: vcvt.u16.f32 s0, s0, #4
fx_fu16: vcvt.f32.u16 s0, s0, #4
fx_fs16: vcvt.f32.s16 s0, s0, #1
fx_fs32: vcvt.f32.s32 s0, s0, #16
fx_d32: vcvt.s32.f64 d0, d0, #32
fx_d16: vcvt.s32.f64 d0, d0, #16
rintx:  vrintx.f32 s0, s1
rintr:  vrintr.f32 s0, s1
rinta:  vrinta.f32 s0, s1
rintz:  vrintz.f32 s0, s1
rintm:  vrintm.f32 s0, s1
rintp:  vrintp.f32 s0, s1
rintn:  vrintn.f32 s0, s1
rintm_d: vrintm.f64 d0, d1
tohalf: vcvtb.f16.f32 s0, s1
tohalft: vcvtt.f16.f32 s0, s1
fromhalf: vcvtb.f32.f16 s0, s1
fromhalft: vcvtt.f32.f16 s0, s1
dfromhalf: vcvtb.f64.f16 d0, s2
dtohalf: vcvtb.f16.f64 s0, d1
maxnm:  vmaxnm.f32 s0, s1, s2
minnm:  vminnm.f32 s0, s1, s2
selgt:  vselgt.f32 s0, s1, s2
seleq:  vseleq.f32 s0, s1, s2
selvs:  vselvs.f32 s0, s1, s2
selge:  vselge.f32 s0, s1, s2
ddiv:   vdiv.f64 d0, d1, d2
dsqrt:  vsqrt.f64 d0, d1
tos_d:  vcvt.s32.f64 s0, d1
";

fn bench() -> Bench {
    Bench::new(Variant::M7, BODY)
}

/// Runs `label` with S0, S1, S2 and FPSCR set; returns S0 and the cumulative flags raised.
fn run(b: &mut Bench, label: &str, fpscr: u32, s0: u32, s1: u32, s2: u32) -> (u32, u32) {
    b.core.fp.s[0] = s0;
    b.core.fp.s[1] = s1;
    b.core.fp.s[2] = s2;
    b.core.fp.fpscr = fpscr;
    b.step_at(label).expect("executes");
    (b.core.fp.s[0], b.core.fp.fpscr & 0x9F)
}

/// As [`run`] for binary64 with D0, D1, D2.
fn run_d(b: &mut Bench, label: &str, fpscr: u32, d1: u64, d2: u64) -> (u64, u32) {
    b.core.fp.set_d(0, 0);
    b.core.fp.set_d(1, d1);
    b.core.fp.set_d(2, d2);
    b.core.fp.fpscr = fpscr;
    b.step_at(label).expect("executes");
    (b.core.fp.d(0), b.core.fp.fpscr & 0x9F)
}

fn op(b: &mut Bench, label: &str, fpscr: u32, s1: u32, s2: u32) -> (u32, u32) {
    run(b, label, fpscr, 0, s1, s2)
}

#[test]
fn exact_zero_results_take_their_sign_from_the_rounding_mode() {
    let mut b = bench();
    // +0 + -0: signs differ, the exact sum is 0: +0 except when rounding toward -inf.
    assert_eq!(op(&mut b, "add", 0, 0, 0x8000_0000), (0, 0));
    assert_eq!(op(&mut b, "add", RM, 0, 0x8000_0000), (0x8000_0000, 0));
    // Same-signed zeros keep their sign in every mode.
    assert_eq!(
        op(&mut b, "add", 0, 0x8000_0000, 0x8000_0000),
        (0x8000_0000, 0)
    );
    // x - x.
    assert_eq!(op(&mut b, "sub", 0, ONE, ONE), (0, 0));
    assert_eq!(op(&mut b, "sub", RM, ONE, ONE), (0x8000_0000, 0));
    // +0 - +0 = +0 + -0.
    assert_eq!(op(&mut b, "sub", RM, 0, 0), (0x8000_0000, 0));
    // A product's zero has the XOR of the signs.
    assert_eq!(
        op(&mut b, "mul", 0, 0x8000_0000, 0x40A0_0000),
        (0x8000_0000, 0)
    );
}

#[test]
fn invalid_operations_and_division_by_zero() {
    let mut b = bench();
    assert_eq!(op(&mut b, "div", 0, 0, 0), (QNAN, IOC));
    assert_eq!(op(&mut b, "div", 0, ONE, 0), (INF, DZC));
    assert_eq!(op(&mut b, "div", 0, 0xBF80_0000, 0), (0xFF80_0000, DZC));
    // inf / 0 is an exact infinity: no Division by Zero.
    assert_eq!(op(&mut b, "div", 0, INF, 0), (INF, 0));
    assert_eq!(op(&mut b, "add", 0, INF, 0xFF80_0000), (QNAN, IOC));
    assert_eq!(op(&mut b, "mul", 0, INF, 0), (QNAN, IOC));
    assert_eq!(op(&mut b, "sqrt", 0, 0xBF80_0000, 0), (QNAN, IOC));
    assert_eq!(op(&mut b, "sqrt", 0, 0xFF80_0000, 0), (QNAN, IOC));
    // sqrt(-0) = -0.
    assert_eq!(op(&mut b, "sqrt", 0, 0x8000_0000, 0), (0x8000_0000, 0));
    // A quiet NaN addend does not hide inf * 0 in a fused multiply-add: default NaN.
    assert_eq!(run(&mut b, "fma", 0, 0x7FC0_0001, INF, 0), (QNAN, IOC));
}

#[test]
fn nan_operands_follow_arm_rules_not_the_hosts() {
    let mut b = bench();
    // A signalling NaN wins over an earlier quiet one, and is quietened (bit 22 set).
    assert_eq!(
        op(&mut b, "add", 0, 0x7FC0_0015, 0xFF80_002A),
        (0xFFC0_002A, IOC)
    );
    // Two signalling NaNs: the first.
    assert_eq!(
        op(&mut b, "add", 0, 0x7F80_0001, 0x7F80_0002),
        (0x7FC0_0001, IOC)
    );
    // Two quiet NaNs: the first, no exception.
    assert_eq!(
        op(&mut b, "add", 0, 0x7FC0_0015, 0xFFC0_0003),
        (0x7FC0_0015, 0)
    );
    // A quiet NaN second operand, its sign kept (also by VSUB).
    assert_eq!(op(&mut b, "add", 0, ONE, 0xFFC0_0003), (0xFFC0_0003, 0));
    assert_eq!(op(&mut b, "sub", 0, ONE, 0xFFC0_0003), (0xFFC0_0003, 0));
    // Default NaN mode.
    assert_eq!(op(&mut b, "mul", DN, 0x7FC0_0015, ONE), (QNAN, 0));
    assert_eq!(op(&mut b, "mul", DN, 0xFF80_0015, ONE), (QNAN, IOC));
    // VNMUL negates whatever FPMul returns, a NaN included.
    assert_eq!(op(&mut b, "nmul", 0, 0x7FC0_0001, ONE), (0xFFC0_0001, 0));
    // VNEG and VABS only touch the sign bit: a signalling NaN stays signalling, no IOC.
    assert_eq!(op(&mut b, "neg", 0, 0x7F80_0001, 0), (0xFF80_0001, 0));
    assert_eq!(op(&mut b, "abs", 0, 0xFF80_0001, 0), (0x7F80_0001, 0));
    // FPMulAdd's order is addend, op1, op2; signalling before quiet.
    assert_eq!(
        run(&mut b, "fma", 0, 0x7FC0_0005, 0x7F80_0009, ONE),
        (0x7FC0_0009, IOC)
    );
    // VFMS negates op1 before the operation: the NaN comes out negated.
    assert_eq!(
        run(&mut b, "fms", 0, 0x7FC0_0005, 0x7F80_0009, ONE),
        (0xFFC0_0009, IOC)
    );
}

#[test]
fn vmla_rounds_twice_and_vfma_once() {
    let mut b = bench();
    // a = b = 1 + 2^-12: a*b = 1 + 2^-11 + 2^-24, half an ulp above 1 + 2^-11, which is even:
    // VMUL rounds to 0x3F801000. With c = -(1 + 2^-11):
    let (a, c) = (0x3F80_0800, 0xBF80_1000);
    // VMLA: round(c + round(a*b)) = +0, Inexact from the product.
    assert_eq!(run(&mut b, "mla", 0, c, a, a), (0, IXC));
    // VFMA: c + a*b exactly = 2^-24.
    assert_eq!(run(&mut b, "fma", 0, c, a, a), (0x3380_0000, 0));
}

#[test]
fn flush_to_zero_of_inputs_and_outputs() {
    let mut b = bench();
    // The smallest denormal plus zero is exact without FZ.
    assert_eq!(op(&mut b, "add", 0, 1, 0), (1, 0));
    // With FZ the input is flushed (IDC) and the result is +0.
    assert_eq!(op(&mut b, "add", FZ, 1, 0), (0, IDC));
    // -denormal flushed to -0; -0 + +0 = +0 (RN).
    assert_eq!(op(&mut b, "add", FZ, 0x8000_0001, 0), (0, IDC));
    // 2^-100 * 2^-30 = 2^-130, an exact denormal: no Underflow without FZ (exact)...
    assert_eq!(
        op(&mut b, "mul", 0, 0x0D80_0000, 0x3080_0000),
        (0x0008_0000, 0)
    );
    // ...flushed to +0 with Underflow (and no Inexact) with FZ.
    assert_eq!(op(&mut b, "mul", FZ, 0x0D80_0000, 0x3080_0000), (0, UFC));
}

#[test]
fn tininess_is_detected_before_rounding() {
    let mut b = bench();
    // (1 - 2^-24) * 2^-126 = 2^-126 - 2^-150: below the smallest normal before rounding, so
    // Underflow is raised although round-to-nearest gives the smallest normal 0x00800000
    // (an IEEE after-rounding implementation, e.g. x86 SSE, raises no underflow here).
    assert_eq!(
        op(&mut b, "mul", 0, 0x3F7F_FFFF, 0x0080_0000),
        (0x0080_0000, UFC | IXC)
    );
    assert_eq!(
        op(&mut b, "mul", RZ, 0x3F7F_FFFF, 0x0080_0000),
        (0x007F_FFFF, UFC | IXC)
    );
    // With FZ the unrounded value is tiny, so it is flushed.
    assert_eq!(op(&mut b, "mul", FZ, 0x3F7F_FFFF, 0x0080_0000), (0, UFC));
}

#[test]
fn overflow_goes_to_infinity_or_the_largest_finite_number_by_mode() {
    let mut b = bench();
    assert_eq!(op(&mut b, "mul", 0, MAX, TWO), (INF, OFC | IXC));
    assert_eq!(op(&mut b, "mul", RP, MAX, TWO), (INF, OFC | IXC));
    assert_eq!(op(&mut b, "mul", RM, MAX, TWO), (MAX, OFC | IXC));
    assert_eq!(op(&mut b, "mul", RZ, MAX, TWO), (MAX, OFC | IXC));
    let neg_max = MAX | 0x8000_0000;
    assert_eq!(
        op(&mut b, "mul", RM, neg_max, TWO),
        (0xFF80_0000, OFC | IXC)
    );
    assert_eq!(op(&mut b, "mul", RP, neg_max, TWO), (neg_max, OFC | IXC));
    // MAX + half its ulp (2^103 = 0x73000000): a tie, MAX is odd, so RN overflows; RZ stays
    // at MAX without Overflow.
    assert_eq!(op(&mut b, "add", 0, MAX, 0x7300_0000), (INF, OFC | IXC));
    assert_eq!(op(&mut b, "add", RZ, MAX, 0x7300_0000), (MAX, IXC));
}

#[test]
fn float_to_integer_rounds_and_saturates() {
    let mut b = bench();
    let three_e9 = f32_bits(3.0e9);
    assert_eq!(op(&mut b, "tos", 0, three_e9, 0), (0x7FFF_FFFF, IOC));
    assert_eq!(
        op(&mut b, "tos", 0, three_e9 | 0x8000_0000, 0),
        (0x8000_0000, IOC)
    );
    assert_eq!(op(&mut b, "tos", 0, QNAN, 0), (0, IOC));
    assert_eq!(op(&mut b, "tos", 0, INF, 0), (0x7FFF_FFFF, IOC));
    assert_eq!(op(&mut b, "tou", 0, 0xBF80_0000, 0), (0, IOC));
    // -0.5 toward zero is 0: in range, only inexact.
    assert_eq!(op(&mut b, "tou", 0, 0xBF00_0000, 0), (0, IXC));
    // 2^32 - 256 fits a U32; 2^32 saturates.
    assert_eq!(op(&mut b, "tou", 0, 0x4F7F_FFFF, 0), (0xFFFF_FF00, 0));
    assert_eq!(op(&mut b, "tou", 0, 0x4F80_0000, 0), (0xFFFF_FFFF, IOC));
    let m2_5 = 0xC020_0000; // -2.5
    let p2_5 = 0x4020_0000;
    // VCVT rounds toward zero whatever FPSCR says; VCVTR uses FPSCR.
    assert_eq!(op(&mut b, "tos", RP, m2_5, 0), (0xFFFF_FFFE, IXC));
    assert_eq!(op(&mut b, "tosr", 0, p2_5, 0), (2, IXC));
    assert_eq!(op(&mut b, "tosr", 0, m2_5, 0), (0xFFFF_FFFE, IXC));
    assert_eq!(op(&mut b, "tosr", RP, p2_5, 0), (3, IXC));
    assert_eq!(op(&mut b, "tosr", RM, p2_5, 0), (2, IXC));
    // VCVTA: ties away; N: ties to even; P: up; M: down (FPSCR ignored).
    assert_eq!(op(&mut b, "tos_a", RZ, p2_5, 0), (3, IXC));
    assert_eq!(op(&mut b, "tos_a", 0, m2_5, 0), (0xFFFF_FFFD, IXC));
    assert_eq!(op(&mut b, "tos_n", 0, 0x4060_0000, 0), (4, IXC)); // 3.5
    assert_eq!(op(&mut b, "tos_p", 0, 0xBFC0_0000, 0), (0xFFFF_FFFF, IXC)); // -1.5
    assert_eq!(op(&mut b, "tos_m", 0, 0xBFC0_0000, 0), (0xFFFF_FFFE, IXC));
    // 2147483647.5 rounds toward zero into range; 2^31 does not fit.
    let mut d = bench();
    d.core.fp.set_d(1, 0x41DF_FFFF_FFE0_0000);
    d.core.fp.fpscr = 0;
    d.step_at("tos_d").unwrap();
    assert_eq!((d.core.fp.s[0], d.core.fp.fpscr), (0x7FFF_FFFF, IXC));
    d.core.fp.set_d(1, 0x41E0_0000_0000_0000);
    d.core.fp.fpscr = 0;
    d.step_at("tos_d").unwrap();
    assert_eq!((d.core.fp.s[0], d.core.fp.fpscr), (0x7FFF_FFFF, IOC));
}

#[test]
fn integer_to_float_rounds_in_fpscr_mode() {
    let mut b = bench();
    // 2^31 - 1 needs 31 bits: to nearest it is 2^31, toward zero 2^31 - 128.
    assert_eq!(op(&mut b, "froms", 0, 0x7FFF_FFFF, 0), (0x4F00_0000, IXC));
    assert_eq!(op(&mut b, "froms", RZ, 0x7FFF_FFFF, 0), (0x4EFF_FFFF, IXC));
    assert_eq!(op(&mut b, "fromu", 0, 0xFFFF_FFFF, 0), (0x4F80_0000, IXC));
    assert_eq!(op(&mut b, "froms", 0, 0xFFFF_FFFF, 0), (0xBF80_0000, 0));
    assert_eq!(op(&mut b, "froms", 0, 0, 0), (0, 0));
}

#[test]
fn fixed_point_conversions() {
    let mut b = bench();
    // 1.5 * 2^8 = 384.
    assert_eq!(run(&mut b, "fx_s16", 0, 0x3FC0_0000, 0, 0), (0x180, 0));
    // 200 * 256 = 51200 > 32767: saturated, sign-extended to 32 bits.
    assert_eq!(run(&mut b, "fx_s16", 0, 0x4348_0000, 0, 0), (0x7FFF, IOC));
    assert_eq!(
        run(&mut b, "fx_s16", 0, 0xC348_0000, 0, 0),
        (0xFFFF_8000, IOC)
    );
    // 0.001 * 256 = 0.256 -> 0 toward zero.
    assert_eq!(run(&mut b, "fx_s16", 0, f32_bits(0.001), 0, 0), (0, IXC));
    assert_eq!(run(&mut b, "fx_u16", 0, 0xC040_0000, 0, 0), (0, IOC));
    // From fixed point: only the low 16 bits count; 24 / 16 = 1.5.
    assert_eq!(
        run(&mut b, "fx_fu16", 0, 0xABCD_0018, 0, 0),
        (0x3FC0_0000, 0)
    );
    // 0xFFFF as S16 is -1: -1 / 2 = -0.5.
    assert_eq!(
        run(&mut b, "fx_fs16", 0, 0x0000_FFFF, 0, 0),
        (0xBF00_0000, 0)
    );
    // Fixed to float rounds to nearest even under any FPSCR mode:
    // (2^31 - 1) / 2^16 = 32767.99998 -> 32768.0 (RZ would give 0x46FFFFFF).
    assert_eq!(
        run(&mut b, "fx_fs32", RZ, 0x7FFF_FFFF, 0, 0),
        (0x4700_0000, IXC)
    );
    // Into a D register the integer is extended to 64 bits.
    b.core.fp.set_d(0, 0x3FD0_0000_0000_0000); // 0.25
    b.core.fp.fpscr = 0;
    b.step_at("fx_d32").unwrap();
    assert_eq!(b.core.fp.d(0), 0x4000_0000);
    b.core.fp.set_d(0, 0xBFF0_0000_0000_0000); // -1.0
    b.step_at("fx_d16").unwrap();
    assert_eq!(b.core.fp.d(0), 0xFFFF_FFFF_FFFF_0000);
}

#[test]
fn round_to_integral() {
    let mut b = bench();
    let p2_5 = 0x4020_0000;
    // VRINTX signals Inexact, VRINTR does not.
    assert_eq!(op(&mut b, "rintx", 0, p2_5, 0), (TWO, IXC));
    assert_eq!(op(&mut b, "rintr", 0, p2_5, 0), (TWO, 0));
    assert_eq!(op(&mut b, "rintr", RP, p2_5, 0), (0x4040_0000, 0));
    assert_eq!(op(&mut b, "rinta", 0, p2_5, 0), (0x4040_0000, 0));
    assert_eq!(op(&mut b, "rinta", 0, 0xC020_0000, 0), (0xC040_0000, 0));
    // Zero results keep the operand's sign.
    assert_eq!(op(&mut b, "rintz", 0, 0xBF00_0000, 0), (0x8000_0000, 0));
    assert_eq!(op(&mut b, "rintp", 0, 0xBF00_0000, 0), (0x8000_0000, 0));
    assert_eq!(op(&mut b, "rintn", 0, 0x3F00_0000, 0), (0, 0));
    assert_eq!(op(&mut b, "rintm", 0, 0xBF00_0000, 0), (0xBF80_0000, 0));
    assert_eq!(op(&mut b, "rintx", 0, 0x7F80_0001, 0), (0x7FC0_0001, IOC));
    let (d, flags) = run_d(&mut b, "rintm_d", 0, 0xBFF4_0000_0000_0000, 0); // -1.25
    assert_eq!((d, flags), (0xC000_0000_0000_0000, 0));
}

#[test]
fn half_precision_ieee_and_alternative() {
    let mut b = bench();
    let keep = 0x1234_0000;
    let f65520 = 0x477F_F000;
    // 65520 is halfway between 65504 (0x7BFF) and 65536: to nearest even overflows.
    assert_eq!(
        run(&mut b, "tohalf", 0, keep, f65520, 0),
        (keep | 0x7C00, OFC | IXC)
    );
    assert_eq!(
        run(&mut b, "tohalf", RZ, keep, f65520, 0),
        (keep | 0x7BFF, IXC)
    );
    // In the alternative format 0x7C00 is 65536, an ordinary number.
    assert_eq!(
        run(&mut b, "tohalf", AHP, keep, f65520, 0),
        (keep | 0x7C00, IXC)
    );
    // Beyond its range (131008): the largest magnitude, Invalid Operation, no Inexact.
    assert_eq!(
        run(&mut b, "tohalf", AHP, keep, f32_bits(1.0e6), 0),
        (keep | 0x7FFF, IOC)
    );
    assert_eq!(
        run(&mut b, "tohalf", AHP, keep, 0xFF80_0000, 0),
        (keep | 0xFFFF, IOC)
    );
    // NaNs become +0 in the alternative format.
    assert_eq!(
        run(&mut b, "tohalf", AHP, keep, 0xFFC0_0001, 0),
        (keep, IOC)
    );
    // IEEE: the payload's top bits are kept, the NaN quietened: 0x412345 >> 13 = 0x209.
    assert_eq!(
        run(&mut b, "tohalf", 0, keep, 0x7FC1_2345, 0),
        (keep | 0x7E09, 0)
    );
    assert_eq!(
        run(&mut b, "tohalf", 0, keep, 0x7F81_2345, 0),
        (keep | 0x7E09, IOC)
    );
    assert_eq!(
        run(&mut b, "tohalf", DN, keep, 0x7F81_2345, 0),
        (keep | 0x7E00, IOC)
    );
    // 2^-24 is the smallest half denormal; 2^-25 is a tie with 0: even, Underflow (FZ never
    // applies to half precision).
    assert_eq!(
        run(&mut b, "tohalf", FZ, keep, 0x3380_0000, 0),
        (keep | 0x0001, 0)
    );
    assert_eq!(
        run(&mut b, "tohalf", FZ, keep, 0x3300_0000, 0),
        (keep, UFC | IXC)
    );
    // VCVTT writes the top half.
    assert_eq!(
        run(&mut b, "tohalft", 0, 0x0000_5678, ONE, 0),
        (0x3C00_5678, 0)
    );
    // From half: a signalling NaN quietened, payload shifted up by 13.
    assert_eq!(run(&mut b, "fromhalf", 0, 0, 0x7C01, 0), (0x7FC0_2000, IOC));
    // A half denormal is a normal binary32, even under FZ.
    assert_eq!(run(&mut b, "fromhalf", FZ, 0, 0x0001, 0), (0x3380_0000, 0));
    // AHP: exponent 31 is a number, 0x7FFF = 131008.
    assert_eq!(run(&mut b, "fromhalf", AHP, 0, 0x7FFF, 0), (0x47FF_E000, 0));
    assert_eq!(run(&mut b, "fromhalft", 0, 0, 0x3C00_0000, 0), (ONE, 0));
    // Binary64 <-> half (FPv5): 0x3555 = 0.333251953125 exactly; 1/3 rounds to it.
    b.core.fp.s[2] = 0x3555;
    b.core.fp.fpscr = 0;
    b.step_at("dfromhalf").unwrap();
    assert_eq!(b.core.fp.d(0), 0x3FD5_5400_0000_0000);
    b.core.fp.set_d(1, 0x3FD5_5555_5555_5555);
    b.core.fp.s[0] = 0;
    b.step_at("dtohalf").unwrap();
    assert_eq!((b.core.fp.s[0], b.core.fp.fpscr), (0x3555, IXC));
}

#[test]
fn vmaxnm_and_vminnm_prefer_numbers_to_quiet_nans() {
    let mut b = bench();
    assert_eq!(op(&mut b, "maxnm", 0, 0x7FC0_0001, ONE), (ONE, 0));
    assert_eq!(op(&mut b, "minnm", 0, ONE, 0x7FC0_0001), (ONE, 0));
    // A signalling NaN still propagates.
    assert_eq!(op(&mut b, "maxnm", 0, 0x7F80_0001, ONE), (0x7FC0_0001, IOC));
    // Two quiet NaNs: the first.
    assert_eq!(
        op(&mut b, "maxnm", 0, 0x7FC0_0001, 0xFFC0_0002),
        (0x7FC0_0001, 0)
    );
    assert_eq!(op(&mut b, "maxnm", 0, 0, 0x8000_0000), (0, 0));
    assert_eq!(op(&mut b, "maxnm", 0, 0x8000_0000, 0), (0, 0));
    assert_eq!(op(&mut b, "minnm", 0, 0, 0x8000_0000), (0x8000_0000, 0));
    assert_eq!(op(&mut b, "minnm", 0, 0xBF80_0000, ONE), (0xBF80_0000, 0));
}

#[test]
fn compares_set_fpscr_nzcv() {
    let mut b = bench();
    let nzcv = |b: &Bench| b.core.fp.fpscr >> 28;
    op(&mut b, "cmp", 0, ONE, TWO);
    assert_eq!(nzcv(&b), 0b1000);
    op(&mut b, "cmp", 0, ONE, ONE);
    assert_eq!(nzcv(&b), 0b0110);
    op(&mut b, "cmp", 0, TWO, ONE);
    assert_eq!(nzcv(&b), 0b0010);
    // Unordered: C and V. VCMP signals only signalling NaNs, VCMPE any NaN.
    assert_eq!(op(&mut b, "cmp", 0, QNAN, ONE).1, 0);
    assert_eq!(nzcv(&b), 0b0011);
    assert_eq!(op(&mut b, "cmpe", 0, QNAN, ONE).1, IOC);
    assert_eq!(op(&mut b, "cmp", 0, 0x7F80_0001, ONE).1, IOC);
    // -0 == +0; -inf < 0.
    op(&mut b, "cmp0", 0, 0x8000_0000, 0);
    assert_eq!(nzcv(&b), 0b0110);
    op(&mut b, "cmp0", 0, 0xFF80_0000, 0);
    assert_eq!(nzcv(&b), 0b1000);
    // A flushed denormal compares equal to zero and raises IDC.
    assert_eq!(op(&mut b, "cmp0", FZ, 1, 0).1, IDC);
    assert_eq!(nzcv(&b), 0b0110);
}

#[test]
fn vsel_tests_the_apsr_flags() {
    let mut b = bench();
    let (s1, s2) = (0x1111_1111, 0x2222_2222);
    b.core.regs.apsr = 0;
    assert_eq!(op(&mut b, "selgt", 0, s1, s2).0, s1);
    assert_eq!(op(&mut b, "seleq", 0, s1, s2).0, s2);
    assert_eq!(op(&mut b, "selvs", 0, s1, s2).0, s2);
    assert_eq!(op(&mut b, "selge", 0, s1, s2).0, s1);
    b.core.regs.apsr = psr::N;
    assert_eq!(op(&mut b, "selge", 0, s1, s2).0, s2);
    assert_eq!(op(&mut b, "selgt", 0, s1, s2).0, s2);
    b.core.regs.apsr = psr::Z | psr::V | psr::N;
    assert_eq!(op(&mut b, "seleq", 0, s1, s2).0, s1);
    assert_eq!(op(&mut b, "selvs", 0, s1, s2).0, s1);
    assert_eq!(op(&mut b, "selge", 0, s1, s2).0, s1);
    assert_eq!(op(&mut b, "selgt", 0, s1, s2).0, s2);
}

#[test]
fn double_precision_rounding_modes() {
    let mut b = bench();
    let (one, three) = (0x3FF0_0000_0000_0000, 0x4008_0000_0000_0000);
    // 1/3 = 0x3FD5555555555555 + 1/3 ulp.
    assert_eq!(
        run_d(&mut b, "ddiv", 0, one, three),
        (0x3FD5_5555_5555_5555, IXC)
    );
    assert_eq!(
        run_d(&mut b, "ddiv", RP, one, three),
        (0x3FD5_5555_5555_5556, IXC)
    );
    assert_eq!(
        run_d(&mut b, "ddiv", RZ, one, three),
        (0x3FD5_5555_5555_5555, IXC)
    );
    let minus_one = one | (1 << 63);
    assert_eq!(
        run_d(&mut b, "ddiv", RM, minus_one, three),
        (0xBFD5_5555_5555_5556, IXC)
    );
    // sqrt(2) = 1.41421356237309504880...; 0x3FF6A09E667F3BCD is just above it.
    let two = 0x4000_0000_0000_0000;
    assert_eq!(
        run_d(&mut b, "dsqrt", 0, two, 0),
        (0x3FF6_A09E_667F_3BCD, IXC)
    );
    assert_eq!(
        run_d(&mut b, "dsqrt", RM, two, 0),
        (0x3FF6_A09E_667F_3BCC, IXC)
    );
    assert_eq!(
        run_d(&mut b, "dsqrt", RP, two, 0),
        (0x3FF6_A09E_667F_3BCD, IXC)
    );
    // Exact square root: no Inexact.
    assert_eq!(
        run_d(&mut b, "dsqrt", 0, 0x4022_0000_0000_0000, 0),
        (three, 0)
    );
}
