//! The DSP extension of ARMv7E-M: every instruction whose encoding the ARMv7-M ARM marks
//! "ARMv7E-M" (A5.3.3, A5.3.11–A5.3.17 and the per-instruction pages in A7.7).
//!
//! [`decode32`] claims exactly those encodings, on a core that has the extension, and answers
//! `None` for everything else: the base ARMv7-M instructions that share the same tables
//! (SXTB/SXTH/UXTB/UXTH, REV/RBIT/CLZ, MUL/MLA/MLS, SMULL/UMULL/SMLAL/UMLAL, SDIV/UDIV,
//! SSAT/USAT, the register shifts) and the table rows the architecture leaves UNDEFINED are
//! the integer decoder's, which also makes every DSP encoding UNDEFINED on a core without the
//! extension.
//!
//! Layout: `parallel` (parallel add/subtract, SEL, USAD8), `saturate` (QADD family,
//! SSAT16/USAT16), `multiply` (halfword, dual, most-significant-word multiplies, UMAAL),
//! `extend` (extend with rotation, extend and add, PKHBT/PKHTB).
//!
//! How the groups use [`Ops`]: `rd`, `rn`, `rm` as named in the ARM ARM; `ra` is Ra of the
//! accumulating multiplies, or RdHi of the long ones (then `rd` is RdLo); `imm` is the
//! rotation in bits (extends), the saturation width (SSAT16/USAT16) or the shift amount (PKH),
//! with `shift_type` the [`crate::alu::Shift`] of PKH. Operand-selection bits (N, M, X, R of
//! the multiplies) are group bits of `flags`, named in `multiply`.
//!
//! Flags: these instructions touch only APSR.GE (the parallel add/subtract of the "S" and "U"
//! kinds) and APSR.Q (set, never cleared, by the saturating and accumulating ones); N, Z, C, V,
//! the IT and T bits and IPSR are left alone.

mod extend;
mod multiply;
mod parallel;
mod saturate;

use crate::config::Config;
use crate::core::Core;
use crate::instr::{Instr, Ops};
use crate::regs::psr;

/// Every DSP instruction is a 32-bit encoding.
const LEN: u8 = 4;

/// Decodes a 32-bit encoding if it is a DSP-extension instruction on a core that has the
/// extension; `None` otherwise.
pub fn decode32(hw1: u16, hw2: u16, config: &Config) -> Option<Instr> {
    if !config.has_dsp() {
        return None;
    }
    match hw1 >> 4 {
        // A5.3.3, data processing (plain binary immediate): op 10010 / 11010 with
        // imm3:imm2 == 0 is SSAT16 / USAT16 (bit 10 is the encoding's (0)).
        0xF32 | 0xF3A | 0xF72 | 0xF7A => saturate::decode_sat16(hw1, hw2),
        // A5.3.11, data processing (shifted register): op 0110 is PKHBT/PKHTB.
        0xEAC | 0xEAD => extend::decode_pkh(hw1, hw2),
        // A5.3.12, data processing (register).
        0xFA0..=0xFAF => decode_data_processing_register(hw1, hw2),
        // A5.3.16, multiply, multiply accumulate and absolute difference.
        0xFB0..=0xFB7 => decode_multiply(hw1, hw2),
        // A5.3.17, long multiply, long multiply accumulate and divide.
        0xFB8..=0xFBF => multiply::decode_long(hw1, hw2),
        _ => None,
    }
}

/// A5.3.12 (Table A5-26): `11111010 op1 Rn | 1111 Rd op2 Rm`.
fn decode_data_processing_register(hw1: u16, hw2: u16) -> Option<Instr> {
    if hw2 >> 12 != 0b1111 {
        return None;
    }
    let op1 = (hw1 >> 4) & 0xF;
    let op2 = (hw2 >> 4) & 0xF;
    match (op1, op2) {
        // Extend (and add) with rotation; the register shifts (op2 0000) are base.
        (0b0000..=0b0111, 0b1000..=0b1111) => extend::decode_extend(hw1, hw2),
        // A5.3.13 / A5.3.14: parallel addition and subtraction, signed and unsigned.
        (0b1000..=0b1111, 0b0000..=0b0111) => parallel::decode_parallel(hw1, hw2),
        // A5.3.15, miscellaneous operations: QADD/QDADD/QSUB/QDSUB and SEL are DSP;
        // REV/REV16/RBIT/REVSH/CLZ are base.
        (0b1000, 0b1000..=0b1011) => saturate::decode_qadd(hw1, hw2),
        (0b1010, 0b1000) => parallel::decode_sel(hw1, hw2),
        _ => None,
    }
}

/// A5.3.16 (Table A5-28): `111110110 op1 Rn | Ra Rd 00 op2 Rm`.
fn decode_multiply(hw1: u16, hw2: u16) -> Option<Instr> {
    if (hw2 >> 6) & 0b11 != 0 {
        return None;
    }
    let op1 = (hw1 >> 4) & 0b111;
    let op2 = (hw2 >> 4) & 0b11;
    match (op1, op2) {
        // MUL/MLA/MLS are base ARMv7-M.
        (0b000, _) => None,
        (0b111, 0b00) => parallel::decode_usad8(hw1, hw2),
        (0b111, _) => None,
        _ => multiply::decode_multiply(hw1, hw2),
    }
}

/// The register fields of a 32-bit encoding: Rn = hw1[3:0], Rd = hw2[11:8], Rm = hw2[3:0],
/// Ra (or RdLo) = hw2[15:12].
#[derive(Debug, Clone, Copy)]
struct Fields {
    rn: u8,
    rd: u8,
    rm: u8,
    ra: u8,
}

impl Fields {
    fn of(hw1: u16, hw2: u16) -> Fields {
        Fields {
            rn: (hw1 & 0xF) as u8,
            rd: ((hw2 >> 8) & 0xF) as u8,
            rm: (hw2 & 0xF) as u8,
            ra: (hw2 >> 12) as u8,
        }
    }
}

/// R13 and R15 as operands of these instructions are UNPREDICTABLE (the ARM ARM's BadReg test,
/// `n IN {13,15}`).
fn bad_reg(r: u8) -> bool {
    r == 13 || r == 15
}

/// `Instr` for a decoded DSP instruction, or the UNPREDICTABLE one when a register check of the
/// instruction's decode pseudo-code fails (compilers never emit those).
fn instr(exec: crate::instr::ExecFn, ops: Ops, unpredictable: bool) -> Option<Instr> {
    if unpredictable {
        return Some(Instr::unpredictable(LEN));
    }
    Some(Instr::new(exec, ops, LEN))
}

/// A general-purpose register as an operand. Decoding rejects R13 and R15 for every operand of
/// these instructions, so this is a plain read of R0–R12 and R14.
#[inline(always)]
fn reg(core: &Core, n: u8) -> u32 {
    core.regs.r[usize::from(n & 0xF)]
}

/// Sets APSR.Q (sticky: only MSR clears it).
#[inline(always)]
fn set_q(core: &mut Core) {
    core.regs.apsr |= psr::Q;
}

/// Writes APSR.GE[3:0], leaving every other bit of the xPSR alone.
#[inline(always)]
fn set_ge(core: &mut Core, ge: u32) {
    core.regs.apsr = (core.regs.apsr & !psr::GE_MASK) | ((ge & 0xF) << psr::GE_SHIFT);
}

/// APSR.GE[3:0].
#[inline(always)]
fn ge(core: &Core) -> u32 {
    (core.regs.apsr >> psr::GE_SHIFT) & 0xF
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Arch;

    /// Encodings as `arm-none-eabi-as -mcpu=cortex-m7` writes them (hw1, hw2).
    const DSP: &[(u16, u16, &str)] = &[
        (0xFA82, 0xF043, "uadd8 r0, r2, r3"),
        (0xFAA1, 0xF082, "sel r0, r1, r2"),
        (0xFA12, 0xF093, "uxtah r0, r2, r3"),
        (0xFA2F, 0xF081, "sxtb16 r0, r1"),
        (0xFB12, 0xF003, "smulbb r0, r2, r3"),
        (0xFBE2, 0x1063, "umaal r1, r0, r2, r3"),
        (0xFA83, 0xF182, "qadd r1, r2, r3"),
        (0xF321, 0x0007, "ssat16 r0, #8, r1"),
        (0xEAC1, 0x2002, "pkhbt r0, r1, r2, lsl #8"),
    ];

    /// Base ARMv7-M encodings from the same tables: the integer decoder's.
    const BASE: &[(u16, u16, &str)] = &[
        (0xFA0F, 0xF081, "sxth r0, r1"),
        (0xFA5F, 0xF081, "uxtb r0, r1"),
        (0xFB02, 0xF003, "mul r0, r2, r3"),
        (0xFB02, 0x1013, "mls r0, r2, r3, r1"),
        (0xFB82, 0x1003, "smull r1, r0, r2, r3"),
        (0xFBB2, 0xF0F3, "udiv r0, r2, r3"),
        (0xF301, 0x0007, "ssat r0, #8, r1"),
        (0xF321, 0x1007, "ssat r0, #8, r1, asr #4"),
        (0xFA91, 0xF0A1, "rbit r0, r1"),
        (0xFAB1, 0xF081, "clz r0, r1"),
        (0xFA02, 0xF003, "lsl.w r0, r2, r3"),
        (0xEA41, 0x2002, "orr.w r0, r1, r2, lsl #8"),
        (0xFBC2, 0x0103, "smlal r0, r1, r2, r3"),
        (0xFBE2, 0x0103, "umlal r0, r1, r2, r3"),
        (0xF3A1, 0x0048, "usat r0, #8, r1, asr #1"),
        (0xFA99, 0xF889, "rev.w r8, r9"),
    ];

    #[test]
    fn claims_dsp_encodings_only_on_a_dsp_core() {
        let m4 = Config::cortex_m4f();
        let m3 = Config {
            arch: Arch::V7M,
            ..Config::cortex_m4f()
        };
        for &(hw1, hw2, name) in DSP {
            assert!(decode32(hw1, hw2, &m4).is_some(), "{name} on ARMv7E-M");
            assert!(decode32(hw1, hw2, &m3).is_none(), "{name} on ARMv7-M");
        }
        for &(hw1, hw2, name) in BASE {
            assert!(decode32(hw1, hw2, &m4).is_none(), "{name} is base ARMv7-M");
        }
    }
}
