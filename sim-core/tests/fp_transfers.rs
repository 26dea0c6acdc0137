//! FP loads, stores and moves through `Core::step`: VLDR/VSTR (S, D, PC-relative, PPB),
//! VLDM/VSTM (IA, DB, writeback), VPUSH/VPOP, their faults (alignment, bus errors leaving the
//! registers unchanged), VMOV between core and extension registers, VMRS/VMSR.

mod fp_util;

use fp_util::{Bench, Variant, RAM, RAM_SIZE};
use sim_core::regs::psr;
use sim_core::{Bus, Initiator, Trap};

const BODY: &str = "
ldr_s:   vldr s3, [r0, #8]
ldr_d:   vldr d5, [r0, #-16]
str_s:   vstr s3, [r1, #4]
str_d:   vstr d5, [r1]
ldr_lit: vldr d2, lit_data
ldmia:   vldmia r2!, {s4-s7}
ldmdb:   vldmdb r3!, {d1-d2}
stmia:   vstmia r4, {d0-d1}
stmdb:   vstmdb r4!, {s8-s9}
push:    vpush {d8-d9}
pop:     vpop {s16-s17}
pop_d:   vpop {d0-d3}
mov_s:   vmov s5, r3
mov_r:   vmov r4, s5
mov_2s:  vmov s3, s4, r0, r1
mov_2r:  vmov r6, r7, s3, s4
mov_d:   vmov d3, r0, r1
mov_rd:  vmov r8, r9, d3
mov_x:   vmov.32 d1[1], r0
mov_rx:  vmov.32 r2, d1[1]
msr:     vmsr fpscr, r3
mrs:     vmrs r4, fpscr
mrs_f:   vmrs APSR_nzcv, fpscr
imm_s:   vmov.f32 s0, #1.0
imm_d:   vmov.f64 d1, #-0.5
mov_reg: vmov.f32 s1, s2
mov_rd2: vmov.f64 d4, d6
ld32:    vldmia r0, {s0-s31}
st32:    vstmia r1!, {s0-s31}
pop17:   .inst.w 0xecbd0a11   @ vpop {s0-s16}: VPOP lists at most 16 registers
odd_d:   .inst.w 0xec900b05   @ vldmia r0, {d0-d1} with imm8 = 5 (FLDMIAX)
    .align 3
lit_data:
    .word 0x11223344, 0x55667788
";

fn bench() -> Bench {
    Bench::new(Variant::M7, BODY)
}

fn poke(bench: &mut Bench, address: u32, value: u32) {
    bench
        .bus
        .write(address, value, 4, Initiator::Debug)
        .expect("RAM");
}

fn peek(bench: &mut Bench, address: u32) -> u32 {
    bench.bus.word(address)
}

#[test]
fn vldr_and_vstr_single_and_double() {
    let mut b = bench();
    let data = RAM + 0x100;
    for i in 0..8 {
        poke(&mut b, data - 16 + 4 * i, 0xA000_0000 + i);
    }
    b.core.regs.r[0] = data;
    b.step_at("ldr_s").unwrap();
    // [r0, #8] is word 6 of the block starting 16 bytes below r0.
    assert_eq!(b.core.fp.s[3], 0xA000_0006);
    b.step_at("ldr_d").unwrap();
    // D5 = S11:S10 = word at r0-12 : word at r0-16 (little-endian pair).
    assert_eq!(b.core.fp.d(5), 0xA000_0001_A000_0000);
    let out = RAM + 0x200;
    b.core.regs.r[1] = out;
    b.step_at("str_s").unwrap();
    assert_eq!(peek(&mut b, out + 4), 0xA000_0006);
    b.step_at("str_d").unwrap();
    assert_eq!(peek(&mut b, out), 0xA000_0000);
    assert_eq!(peek(&mut b, out + 4), 0xA000_0001);
    b.step_at("ldr_lit").unwrap();
    assert_eq!(b.core.fp.d(2), 0x5566_7788_1122_3344);
    // The PC moved past each instruction.
    assert_eq!(b.core.pc(), b.address("ldr_lit") + 4);
}

#[test]
fn vldr_reads_the_system_control_space() {
    let mut b = bench();
    b.core.regs.r[0] = 0xE000_ED88 - 8; // CPACR
    b.step_at("ldr_s").unwrap();
    assert_eq!(b.core.fp.s[3], fp_util::CPACR_FULL);
}

#[test]
fn unaligned_vldr_is_an_unaligned_usage_fault() {
    let mut b = bench();
    b.core.regs.r[0] = RAM + 0x102;
    b.core.fp.s[3] = 0x1234_5678;
    assert_eq!(b.step_at("ldr_s"), Err(Trap::Unaligned));
    assert_eq!(b.core.fp.s[3], 0x1234_5678);
    assert_eq!(b.core.pc(), b.address("ldr_s"));
}

#[test]
fn vldm_and_vstm_increment_after_and_decrement_before() {
    let mut b = bench();
    let data = RAM + 0x400;
    for i in 0..8 {
        poke(&mut b, data + 4 * i, 0xB000_0000 + i);
    }
    b.core.regs.r[2] = data;
    b.step_at("ldmia").unwrap();
    assert_eq!(
        &b.core.fp.s[4..8],
        &[0xB000_0000, 0xB000_0001, 0xB000_0002, 0xB000_0003]
    );
    assert_eq!(b.core.regs.r[2], data + 16);
    b.core.regs.r[3] = data + 32;
    b.step_at("ldmdb").unwrap();
    // DB: from r3-16, lowest register at the lowest address.
    assert_eq!(b.core.fp.d(1), 0xB000_0005_B000_0004);
    assert_eq!(b.core.fp.d(2), 0xB000_0007_B000_0006);
    assert_eq!(b.core.regs.r[3], data + 16);

    let out = RAM + 0x800;
    b.core.fp.set_d(0, 0x0000_0002_0000_0001);
    b.core.fp.set_d(1, 0x0000_0004_0000_0003);
    b.core.regs.r[4] = out;
    b.step_at("stmia").unwrap();
    assert_eq!(b.core.regs.r[4], out, "no writeback without !");
    for i in 0..4 {
        assert_eq!(peek(&mut b, out + 4 * i), i + 1);
    }
    b.core.fp.s[8] = 0xC8;
    b.core.fp.s[9] = 0xC9;
    b.step_at("stmdb").unwrap();
    assert_eq!(b.core.regs.r[4], out - 8);
    assert_eq!(peek(&mut b, out - 8), 0xC8);
    assert_eq!(peek(&mut b, out - 4), 0xC9);
}

#[test]
fn vpush_and_vpop_move_the_stack_pointer() {
    let mut b = bench();
    let sp = RAM + 0x1000;
    b.core.regs.r[13] = sp;
    b.core.fp.set_d(8, 0x8888_0001_8888_0000);
    b.core.fp.set_d(9, 0x9999_0001_9999_0000);
    b.step_at("push").unwrap();
    assert_eq!(b.core.regs.r[13], sp - 16);
    assert_eq!(peek(&mut b, sp - 16), 0x8888_0000);
    assert_eq!(peek(&mut b, sp - 12), 0x8888_0001);
    assert_eq!(peek(&mut b, sp - 8), 0x9999_0000);
    assert_eq!(peek(&mut b, sp - 4), 0x9999_0001);
    b.step_at("pop").unwrap();
    assert_eq!(b.core.regs.r[13], sp - 8);
    assert_eq!(b.core.fp.s[16], 0x8888_0000);
    assert_eq!(b.core.fp.s[17], 0x8888_0001);
}

#[test]
fn a_faulting_vpop_leaves_registers_and_sp_unchanged() {
    let mut b = bench();
    let end = RAM + RAM_SIZE;
    // 32 bytes from 16 below the end of RAM: the fifth word is a bus error.
    b.core.regs.r[13] = end - 16;
    for i in 0..8 {
        b.core.fp.s[i] = 0x5A5A_0000 + i as u32;
    }
    let before = b.core.fp.clone();
    assert_eq!(b.step_at("pop_d"), Err(Trap::DataBusError { address: end }));
    assert_eq!(b.core.fp, before);
    assert_eq!(b.core.regs.r[13], end - 16);
    assert_eq!(b.core.pc(), b.address("pop_d"));
}

#[test]
fn a_faulting_vldm_with_writeback_leaves_the_base_unchanged() {
    let mut b = bench();
    let end = RAM + RAM_SIZE;
    b.core.regs.r[2] = end - 8;
    b.core.fp.s[4] = 1;
    assert_eq!(b.step_at("ldmia"), Err(Trap::DataBusError { address: end }));
    assert_eq!(b.core.regs.r[2], end - 8);
    assert_eq!(b.core.fp.s[4], 1);
}

#[test]
fn a_faulting_vpush_keeps_sp() {
    let mut b = bench();
    // Below RAM is unmapped: the first word written faults.
    b.core.regs.r[13] = RAM + 8;
    assert_eq!(
        b.step_at("push"),
        Err(Trap::DataBusError { address: RAM - 8 })
    );
    assert_eq!(b.core.regs.r[13], RAM + 8);
}

#[test]
fn vmov_between_core_and_extension_registers() {
    let mut b = bench();
    b.core.regs.r[3] = 0x1357_9BDF;
    b.step_at("mov_s").unwrap();
    assert_eq!(b.core.fp.s[5], 0x1357_9BDF);
    b.step_at("mov_r").unwrap();
    assert_eq!(b.core.regs.r[4], 0x1357_9BDF);

    b.core.regs.r[0] = 0xAAAA_0000;
    b.core.regs.r[1] = 0xBBBB_0000;
    b.step_at("mov_2s").unwrap();
    assert_eq!((b.core.fp.s[3], b.core.fp.s[4]), (0xAAAA_0000, 0xBBBB_0000));
    b.step_at("mov_2r").unwrap();
    assert_eq!(
        (b.core.regs.r[6], b.core.regs.r[7]),
        (0xAAAA_0000, 0xBBBB_0000)
    );
    b.step_at("mov_d").unwrap();
    assert_eq!(b.core.fp.d(3), 0xBBBB_0000_AAAA_0000);
    b.step_at("mov_rd").unwrap();
    assert_eq!(
        (b.core.regs.r[8], b.core.regs.r[9]),
        (0xAAAA_0000, 0xBBBB_0000)
    );

    b.core.fp.set_d(1, 0x1111_1111_2222_2222);
    b.step_at("mov_x").unwrap();
    assert_eq!(b.core.fp.d(1), 0xAAAA_0000_2222_2222);
    b.step_at("mov_rx").unwrap();
    assert_eq!(b.core.regs.r[2], 0xAAAA_0000);
}

#[test]
fn vmsr_keeps_reserved_bits_zero_and_vmrs_reads_fpscr() {
    let mut b = bench();
    b.core.regs.r[3] = 0xFFFF_FFFF;
    b.step_at("msr").unwrap();
    // N Z C V, AHP DN FZ RMode, IDC IXC UFC OFC DZC IOC.
    assert_eq!(b.core.fp.fpscr, 0xF7C0_009F);
    b.step_at("mrs").unwrap();
    assert_eq!(b.core.regs.r[4], 0xF7C0_009F);
}

#[test]
fn vmrs_apsr_nzcv_copies_only_the_flags() {
    let mut b = bench();
    b.core.fp.fpscr = 0x6000_0010; // Z, C, IXC
    b.core.regs.apsr = psr::N | psr::V | psr::Q | (0b1010 << psr::GE_SHIFT);
    b.step_at("mrs_f").unwrap();
    assert_eq!(
        b.core.regs.apsr,
        psr::Z | psr::C | psr::Q | (0b1010 << psr::GE_SHIFT)
    );
    assert_eq!(b.core.fp.fpscr, 0x6000_0010);
}

#[test]
fn vmov_immediate_and_register() {
    let mut b = bench();
    b.step_at("imm_s").unwrap();
    assert_eq!(b.core.fp.s[0], 0x3F80_0000);
    b.core.fp.set_d(1, 0x1234_5678_9ABC_DEF0);
    b.step_at("imm_d").unwrap();
    assert_eq!(b.core.fp.d(1), 0xBFE0_0000_0000_0000);
    // VMOV copies bits: a signalling NaN stays signalling and raises nothing.
    b.core.fp.s[2] = 0x7F80_0001;
    b.step_at("mov_reg").unwrap();
    assert_eq!(b.core.fp.s[1], 0x7F80_0001);
    b.core.fp.set_d(6, 0xFFF0_0000_0000_0001);
    b.step_at("mov_rd2").unwrap();
    assert_eq!(b.core.fp.d(4), 0xFFF0_0000_0000_0001);
    assert_eq!(b.core.fp.fpscr, 0);
}

#[test]
fn double_register_transfers_exist_on_fpv4_sp() {
    let mut b = Bench::new(
        Variant::M4,
        "
ldr_d: vldr d5, [r0]
push:  vpush {d8-d9}
mov_d: vmov r6, r7, d5
",
    );
    poke(&mut b, RAM + 0x10, 0x0102_0304);
    poke(&mut b, RAM + 0x14, 0x0506_0708);
    b.core.regs.r[0] = RAM + 0x10;
    b.step_at("ldr_d").unwrap();
    assert_eq!(b.core.fp.d(5), 0x0506_0708_0102_0304);
    b.step_at("mov_d").unwrap();
    assert_eq!(
        (b.core.regs.r[6], b.core.regs.r[7]),
        (0x0102_0304, 0x0506_0708)
    );
    b.core.regs.r[13] = RAM + 0x100;
    b.core.fp.set_d(9, 0x99);
    b.step_at("push").unwrap();
    assert_eq!(b.core.regs.r[13], RAM + 0xF0);
    assert_eq!(peek(&mut b, RAM + 0xF8), 0x99);
}

#[test]
fn vldm_and_vstm_move_all_32_s_registers() {
    let mut b = bench();
    let data = RAM + 0x600;
    for i in 0..32 {
        poke(&mut b, data + 4 * i, 0x3000_0000 + i);
    }
    b.core.regs.r[0] = data;
    b.step_at("ld32").unwrap();
    for i in 0..32 {
        assert_eq!(b.core.fp.s[i], 0x3000_0000 + i as u32);
    }
    let out = RAM + 0x900;
    b.core.regs.r[1] = out;
    b.step_at("st32").unwrap();
    assert_eq!(b.core.regs.r[1], out + 128);
    assert_eq!(peek(&mut b, out + 124), 0x3000_001F);
}

#[test]
fn over_long_vpop_and_fldmx_are_unpredictable() {
    let mut b = bench();
    b.core.regs.r[13] = RAM + 0x100;
    assert!(matches!(b.step_at("pop17"), Err(Trap::Unmodelled(_))));
    assert!(matches!(b.step_at("odd_d"), Err(Trap::Unmodelled(_))));
    assert_eq!(b.core.regs.r[13], RAM + 0x100);
}
