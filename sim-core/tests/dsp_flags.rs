//! Every DSP instruction leaves the rest of the core alone: N, Z, C, V, the IT bits (beyond
//! the one-step advance), T and IPSR never change; GE changes only for the twelve GE-setting
//! parallel instructions; Q is only ever set; no register other than the destination(s) is
//! written. (A known emulator's SADD8 wiped N, Z, C, V, Q, IT, T and IPSR.) A DSP instruction
//! whose IT condition fails is skipped without any effect.

mod dsp_support;
mod support;

use dsp_support::{Bench, ALL};
use sim_core::regs::psr;
use sim_core::{Core, Executed};

/// The parallel add/subtract instructions that write GE (A5.3.13, A5.3.14: the S and U kinds).
const SETS_GE: &[&str] = &[
    "sadd8", "sadd16", "sasx", "ssax", "ssub8", "ssub16", "uadd8", "uadd16", "uasx", "usax",
    "usub8", "usub16",
];

/// The instructions that write RdHi = r1 as well as RdLo = r0.
fn long(line: &str) -> bool {
    ["smlal", "smlsld", "umaal"]
        .iter()
        .any(|p| line.starts_with(p))
}

fn mnemonic(line: &str) -> &str {
    line.split_whitespace().next().unwrap_or("")
}

/// Register values with halfword and byte lanes of every sign, so that saturating forms
/// saturate and GE-setting forms produce mixed GE patterns.
const INPUTS: [(usize, u32); 14] = [
    (0, 0x7F80_01FF),
    (1, 0x8000_7FFF),
    (2, 0xFF01_8000),
    (3, 0x7FFF_FFFF),
    (4, 0x4444_4444),
    (5, 0x5555_5555),
    (6, 0x6666_6666),
    (7, 0x7777_7777),
    (8, 0x8888_8888),
    (9, 0x9999_9999),
    (10, 0xAAAA_AAAA),
    (11, 0xBBBB_BBBB),
    (12, 0xCCCC_CCCC),
    (14, 0xEEEE_EEEE),
];

#[test]
fn dsp_instructions_touch_only_their_destination_ge_and_q() {
    let mut b = Bench::new(ALL);
    for index in 0..b.len() {
        let line = b.line(index).to_string();
        for q in [0, psr::Q] {
            // ITTTT EQ with Z set (runs), Handler mode (IPSR 3), every flag set but Q.
            let apsr_in = psr::NZCV | q | (0b0110 << psr::GE_SHIFT);
            let before_sp = 0x2000_1000;
            let core = b.exec_with(index, &INPUTS, &|core: &mut Core| {
                core.regs.apsr = apsr_in;
                core.regs.itstate = 0x01;
                let control = core.regs.control;
                core.regs.set_mode(3, control);
            });
            let apsr = core.regs.apsr;
            assert_eq!(apsr & psr::NZCV, psr::NZCV, "{line}: N, Z, C, V");
            if q != 0 {
                assert_ne!(apsr & psr::Q, 0, "{line}: Q is sticky");
            }
            if !SETS_GE.contains(&mnemonic(&line)) {
                assert_eq!(apsr & psr::GE_MASK, 0b0110 << psr::GE_SHIFT, "{line}: GE");
            }
            assert_eq!(apsr & !psr::APSR_MASK, 0, "{line}: APSR has only APSR bits");
            assert_eq!(core.regs.itstate, 0x02, "{line}: ITSTATE advanced once");
            assert_eq!(core.regs.ipsr, 3, "{line}: IPSR");
            assert!(core.regs.thumb, "{line}: T");
            assert_eq!(core.regs.r[13], before_sp, "{line}: SP");
            let written: &[usize] = if long(&line) { &[0, 1] } else { &[0] };
            for &(r, v) in &INPUTS {
                if !written.contains(&r) {
                    assert_eq!(core.regs.r[r], v, "{line}: r{r} is not written");
                }
            }
        }
    }
}

#[test]
fn a_dsp_instruction_failing_its_it_condition_does_nothing() {
    let mut b = Bench::new(ALL);
    for index in 0..b.len() {
        let line = b.line(index).to_string();
        // ITTTT NE (IT = 0x1F) with Z set: the condition fails.
        let apsr_in = psr::Z | (0b1001 << psr::GE_SHIFT);
        let outcome = b.step_with(index, &INPUTS, &|core: &mut Core| {
            core.regs.apsr = apsr_in;
            core.regs.itstate = 0x1F;
        });
        assert_eq!(outcome, Ok(Executed::Skipped), "{line}");
        let core = &b.core;
        assert_eq!(core.regs.apsr, apsr_in, "{line}: APSR");
        assert_eq!(core.regs.itstate, 0x1E, "{line}: ITSTATE advanced once");
        for &(r, v) in &INPUTS {
            assert_eq!(core.regs.r[r], v, "{line}: r{r}");
        }
    }
}
