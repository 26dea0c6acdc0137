//! Access to the FP extension and its context: CPACR (NOCP), the FPU variant (UNDEFINED
//! instructions), ExecuteFPCheck's new FP context (FPCCR.ASPEN, CONTROL.FPCA, FPDSCR) and lazy
//! state preservation (FPCCR.LSPACT, FPCAR), the IT block, and the claim of the encoding space.

mod fp_util;

use fp_util::{Bench, Variant, CPACR_FULL, RAM};
use sim_core::fp::context::{cpacr, fpccr};
use sim_core::regs::{control, psr};
use sim_core::{Arch, Bus, Config, Executed, Fpu, Initiator, Trap};

const BODY: &str = "
add:    vadd.f32 s0, s1, s2
ldr:    vldr s4, [r0]
imm:    vmov.f32 s0, #1.0
sel:    vselgt.f32 s0, s1, s2
rinta:  vrinta.f32 s0, s1
rintz:  vrintz.f32 s0, s1
";

/// s1 + s2 = 1 + 0.75 ulp: 0x3F800001 rounding to nearest, 0x3F800000 toward zero.
fn set_add_operands(b: &mut Bench) {
    b.core.fp.s[1] = 0x3F80_0000;
    b.core.fp.s[2] = 0x33C0_0000;
}

fn cpacr_both(value: u32) -> u32 {
    (value << cpacr::CP10_SHIFT) | (value << cpacr::CP11_SHIFT)
}

#[test]
fn cpacr_denied_is_nocp_and_changes_nothing() {
    let mut b = Bench::new(Variant::M7, BODY);
    b.core.sys.cpacr = 0;
    set_add_operands(&mut b);
    let before = b.core.fp.clone();
    assert_eq!(b.step_at("add"), Err(Trap::NoCoprocessor));
    assert_eq!(b.step_at("ldr"), Err(Trap::NoCoprocessor));
    assert_eq!(b.core.fp, before);
    assert_eq!(b.core.pc(), b.address("ldr"));
}

#[test]
fn cpacr_privileged_only_denies_unprivileged_thread_mode() {
    let mut b = Bench::new(Variant::M7, BODY);
    b.core.sys.cpacr = cpacr_both(cpacr::PRIVILEGED);
    set_add_operands(&mut b);
    assert_eq!(b.step_at("add"), Ok(Executed::Completed));
    // Unprivileged Thread mode.
    b.core.regs.set_mode(0, control::NPRIV);
    assert_eq!(b.step_at("add"), Err(Trap::NoCoprocessor));
    // Handler mode is privileged whatever CONTROL.nPRIV says.
    b.core.regs.set_mode(11, control::NPRIV);
    assert_eq!(b.step_at("add"), Ok(Executed::Completed));
    // Full access lets unprivileged code in.
    b.core.regs.set_mode(0, control::NPRIV);
    b.core.sys.cpacr = CPACR_FULL;
    assert_eq!(b.step_at("add"), Ok(Executed::Completed));
}

#[test]
fn cpacr_unpredictable_settings_stop_the_core() {
    let mut b = Bench::new(Variant::M7, BODY);
    b.core.sys.cpacr = cpacr::FULL << cpacr::CP10_SHIFT;
    assert!(matches!(b.step_at("add"), Err(Trap::Unmodelled(_))));
    b.core.sys.cpacr = cpacr_both(cpacr::RESERVED);
    assert!(matches!(b.step_at("add"), Err(Trap::Unmodelled(_))));
}

#[test]
fn a_core_without_fpu_traps_nocp_for_every_fp_encoding() {
    let program = fp_util::assemble(
        &format!("_start:\n{BODY}\nbad: .inst.w 0xee000a00\nundef: .inst.w 0xfe000a40\n"),
        "cortex-m7",
        "fpv5-d16",
    );
    let mut config = Config::cortex_m4f();
    config.fpu = Fpu::None;
    let (mut core, mut bus) = fp_util::boot(&program, config);
    core.sys.cpacr = CPACR_FULL;
    for label in ["add", "ldr", "imm", "sel", "bad", "undef"] {
        core.regs.r[15] = program.symbol(label);
        assert_eq!(core.step(&mut bus), Err(Trap::NoCoprocessor), "{label}");
    }
}

#[test]
fn armv6m_has_no_coprocessor_space() {
    let config = Config {
        arch: Arch::V6M,
        fpu: Fpu::None,
        ..Config::cortex_m4f()
    };
    assert!(sim_core::fp::decode32(0xEE30, 0x0A00, &config).is_none());
}

#[test]
fn the_decoder_claims_exactly_coprocessor_10_and_11() {
    let m7 = Config::cortex_m7_dp();
    // vadd.f32 / vadd.f64 (coprocessors 10, 11).
    assert!(sim_core::fp::decode32(0xEE30, 0x0A00, &m7).is_some());
    assert!(sim_core::fp::decode32(0xEE30, 0x0B00, &m7).is_some());
    // The same CDP on coprocessors 9 and 12, an LDC on coprocessor 1, and a non-coprocessor
    // encoding (LDR.W) are not FP instructions.
    assert!(sim_core::fp::decode32(0xEE30, 0x0900, &m7).is_none());
    assert!(sim_core::fp::decode32(0xEE30, 0x0C00, &m7).is_none());
    assert!(sim_core::fp::decode32(0xED90, 0x0100, &m7).is_none());
    assert!(sim_core::fp::decode32(0xF8D0, 0x0A00, &m7).is_none());
}

#[test]
fn fp_instructions_have_no_condition_of_their_own() {
    let m7 = Config::cortex_m7_dp();
    for (hw1, hw2) in [
        (0xEE30, 0x0A00), // vadd.f32
        (0xED90, 0x2A00), // vldr
        (0xEEF1, 0xFA10), // vmrs APSR_nzcv
        (0xFE30, 0x0A81), // vselgt
        (0xEC51, 0x0B13), // vmov r0, r1, d3
    ] {
        let instr = sim_core::fp::decode32(hw1, hw2, &m7).expect("claimed");
        assert_eq!(instr.cond, 14, "{hw1:04x} {hw2:04x}");
        assert_eq!(instr.len, 4);
    }
}

/// Instructions FPv4-SP lacks, encoded (so one program serves both cores).
const FPV5_ONLY: &str = "
vadd_d:   .inst.w 0xee310b02
vmov_d:   .inst.w 0xeeb00b41
vcvt_ds:  .inst.w 0xeeb70ae0
vcvt_sd:  .inst.w 0xeeb70bc1
vcvtb_d:  .inst.w 0xeeb20b60
vsel:     .inst.w 0xfe300a81
vmaxnm:   .inst.w 0xfe800a81
vrinta:   .inst.w 0xfeb80a60
vrintz:   .inst.w 0xeeb60ae0
vrintx:   .inst.w 0xeeb70a60
vcvta:    .inst.w 0xfebc0ae0
vmovimm_d: .inst.w 0xeebe0b00
";

#[test]
fn fpv4_sp_lacks_double_precision_and_fpv5_instructions() {
    let program = fp_util::assemble(&format!("_start:\n{FPV5_ONLY}\n"), "cortex-m7", "fpv5-d16");
    let labels = [
        "vadd_d",
        "vmov_d",
        "vcvt_ds",
        "vcvt_sd",
        "vcvtb_d",
        "vsel",
        "vmaxnm",
        "vrinta",
        "vrintz",
        "vrintx",
        "vcvta",
        "vmovimm_d",
    ];
    let (mut core, mut bus) = fp_util::boot(&program, Config::cortex_m4f());
    core.sys.cpacr = CPACR_FULL;
    for label in labels {
        core.regs.r[15] = program.symbol(label);
        assert_eq!(
            core.step(&mut bus),
            Err(Trap::Undefined),
            "{label} on FPv4-SP"
        );
    }
    // With CP10/CP11 disabled the coprocessor never sees them: NOCP.
    core.sys.cpacr = 0;
    for label in labels {
        core.regs.r[15] = program.symbol(label);
        assert_eq!(core.step(&mut bus), Err(Trap::NoCoprocessor), "{label}");
    }
    // The same encodings execute on FPv5.
    let (mut core, mut bus) = fp_util::boot(&program, Config::cortex_m7_dp());
    core.sys.cpacr = CPACR_FULL;
    for label in labels {
        core.regs.r[15] = program.symbol(label);
        assert_eq!(
            core.step(&mut bus),
            Ok(Executed::Completed),
            "{label} on FPv5"
        );
    }
}

#[test]
fn undefined_encodings_of_the_space() {
    let program = fp_util::assemble(
        "_start:
d16:    .inst.w 0xee710b02   @ vadd.f64 d16, d1, d2: no D16 on a D16 FPU
vdiv1:  .inst.w 0xee800a40   @ VDIV with op = 1
vmrs7:  .inst.w 0xeef70a10   @ VMRS of reg 0b0111 (MVFR0 on A-profile)
ldc2:   .inst.w 0xfd900a00   @ LDC2 on coprocessor 10
op1_0:  .inst.w 0xec000a00   @ op1 = 00000x
",
        "cortex-m7",
        "fpv5-d16",
    );
    let (mut core, mut bus) = fp_util::boot(&program, Config::cortex_m7_dp());
    core.sys.cpacr = CPACR_FULL;
    for label in ["d16", "vdiv1", "vmrs7", "ldc2", "op1_0"] {
        core.regs.r[15] = program.symbol(label);
        assert_eq!(core.step(&mut bus), Err(Trap::Undefined), "{label}");
    }
}

#[test]
fn the_first_fp_instruction_creates_a_new_context_from_fpdscr() {
    let mut b = Bench::new(Variant::M7, BODY);
    b.core.sys.fpccr = fpccr::ASPEN | fpccr::LSPEN;
    // FPDSCR: AHP, DN, FZ, RMode = RZ.
    b.core.sys.fpdscr = 0x07C0_0000;
    // The old FPSCR: N, Z, C, V and IDC set, RMode = RN.
    b.core.fp.fpscr = 0xF000_0080;
    set_add_operands(&mut b);
    b.step_at("add").unwrap();
    assert_ne!(b.core.regs.control & control::FPCA, 0, "FPCA set");
    // FPSCR<26:22> from FPDSCR, the rest kept; the addition ran under RZ (inexact).
    assert_eq!(b.core.fp.fpscr, 0xF7C0_0090);
    assert_eq!(b.core.fp.s[0], 0x3F80_0000);
    // An active context is not reset again.
    b.core.sys.fpdscr = 0;
    b.step_at("add").unwrap();
    assert_eq!(b.core.fp.fpscr, 0xF7C0_0090);
}

#[test]
fn without_aspen_fpca_is_left_alone() {
    let mut b = Bench::new(Variant::M7, BODY);
    b.core.sys.fpccr = 0;
    b.core.sys.fpdscr = 0x00C0_0000;
    set_add_operands(&mut b);
    b.step_at("add").unwrap();
    assert_eq!(b.core.regs.control & control::FPCA, 0);
    assert_eq!(b.core.fp.s[0], 0x3F80_0001, "RN from the untouched FPSCR");
}

#[test]
fn a_faulting_load_still_creates_the_fp_context() {
    // ExecuteFPCheck comes before the access (so the fault is stacked with FP state).
    let mut b = Bench::new(Variant::M7, BODY);
    b.core.sys.fpccr = fpccr::ASPEN;
    b.core.regs.r[0] = 0x6000_0000;
    assert_eq!(
        b.step_at("ldr"),
        Err(Trap::DataBusError {
            address: 0x6000_0000
        })
    );
    assert_ne!(b.core.regs.control & control::FPCA, 0);
}

#[test]
fn lazy_state_preservation_saves_s0_s15_and_fpscr_at_fpcar() {
    let mut b = Bench::new(Variant::M7, BODY);
    let fpcar = RAM + 0x300;
    b.core.sys.fpccr = fpccr::ASPEN | fpccr::LSPEN | fpccr::LSPACT;
    b.core.sys.fpcar = fpcar;
    b.core.sys.fpdscr = 0x0300_0000; // DN, FZ
    for i in 0..32 {
        b.core.fp.s[i] = 0x4000_0000 + i as u32;
    }
    b.core.fp.fpscr = 0x2000_0011;
    b.step_at("imm").unwrap();
    for i in 0..16u32 {
        assert_eq!(b.bus.word(fpcar + 4 * i), 0x4000_0000 + i, "S{i}");
    }
    // The interrupted context's FPSCR, saved before the new context's defaults load.
    assert_eq!(b.bus.word(fpcar + 0x40), 0x2000_0011);
    assert_eq!(b.bus.word(fpcar + 0x44), 0, "S16 is not part of the frame");
    assert_eq!(b.core.sys.fpccr & fpccr::LSPACT, 0);
    assert_eq!(b.core.fp.fpscr, 0x2300_0011);
    assert_eq!(b.core.fp.s[0], 0x3F80_0000);
    // Once preserved, nothing more is written.
    b.bus
        .write(fpcar, 0xDEAD, 4, Initiator::Debug)
        .expect("RAM");
    b.step_at("imm").unwrap();
    assert_eq!(b.bus.word(fpcar), 0xDEAD);
}

#[test]
fn a_fault_during_lazy_preservation_stops_the_core() {
    let mut b = Bench::new(Variant::M7, BODY);
    b.core.sys.fpccr = fpccr::LSPACT;
    b.core.sys.fpcar = 0x6000_0000;
    assert!(matches!(b.step_at("imm"), Err(Trap::Unmodelled(_))));
}

#[test]
fn fp_instructions_in_an_it_block_are_conditional() {
    let mut b = Bench::new(Variant::M7, BODY);
    set_add_operands(&mut b);
    b.core.fp.s[0] = 0x1234;
    // IT EQ (one instruction) with Z clear: skipped, and the block ends.
    b.core.regs.itstate = 0x08;
    b.core.regs.apsr = 0;
    assert_eq!(b.step_at("add"), Ok(Executed::Skipped));
    assert_eq!(b.core.fp.s[0], 0x1234);
    assert_eq!(b.core.regs.itstate, 0);
    assert_eq!(b.core.pc(), b.address("add") + 4);
    // IT EQ with Z set: executed.
    b.core.regs.itstate = 0x08;
    b.core.regs.apsr = psr::Z;
    assert_eq!(b.step_at("add"), Ok(Executed::Completed));
    assert_eq!(b.core.fp.s[0], 0x3F80_0001);
    assert_eq!(b.core.regs.itstate, 0);
    // VRINTZ has a condition and may be in an IT block (NE, Z clear: executed).
    b.core.regs.itstate = 0x18;
    b.core.regs.apsr = 0;
    b.core.fp.s[1] = 0x3FC0_0000; // 1.5
    assert_eq!(b.step_at("rintz"), Ok(Executed::Completed));
    assert_eq!(b.core.fp.s[0], 0x3F80_0000);
}

#[test]
fn unconditional_fpv5_instructions_in_an_it_block_are_unpredictable() {
    let mut b = Bench::new(Variant::M7, BODY);
    for label in ["sel", "rinta"] {
        b.core.regs.itstate = 0xE8; // IT AL
        assert!(
            matches!(b.step_at(label), Err(Trap::Unmodelled(_))),
            "{label}"
        );
    }
    b.core.regs.itstate = 0;
    assert_eq!(b.step_at("sel"), Ok(Executed::Completed));
}

#[test]
fn frame_helpers_round_trip_the_caller_saved_state() {
    let mut fp = sim_core::regs::FpRegs::default();
    for i in 0..32 {
        fp.s[i] = i as u32 * 3;
    }
    fp.fpscr = 0x8000_0001;
    let words = sim_core::fp::caller_saved(&fp);
    assert_eq!(words.len(), 18);
    assert_eq!(words[15], 45);
    assert_eq!(words[16], 0x8000_0001);
    assert_eq!(words[17], 0);
    let mut restored = sim_core::regs::FpRegs::default();
    let mut frame = words;
    frame[16] = 0xFFFF_FFFF;
    sim_core::fp::restore_caller_saved(&mut restored, &frame);
    assert_eq!(&restored.s[..16], &fp.s[..16]);
    assert_eq!(restored.s[16], 0);
    assert_eq!(restored.fpscr, 0xF7C0_009F, "reserved FPSCR bits stay zero");
}
