//! The 32-bit Thumb-2 instructions of ARMv7-M (A5.3) and the few ARMv6-M has (BL, MRS, MSR,
//! DMB, DSB, ISB, UDF.W), except the DSP extension ([`crate::dsp`]) and the floating-point
//! extension ([`crate::fp`]).
//!
//! The decoder follows the manual's tables: [`decode`] is the table of A5.3 (op1 = hw1[12:11],
//! op2 = hw1[10:4], op = hw2[15]) and each function below is one of the sub-tables
//! A5.3.1–A5.3.18, named as the manual names it. Fields are read from the word
//! `w = hw1:hw2`, so hw1 bit n is `w` bit 16 + n.
//!
//! The DSP-extension rows of these tables reach this decoder only on a core without the
//! extension (the DSP decoder claims them first on a core with it): they are UNDEFINED here.
//! Coprocessor-space encodings for a coprocessor the core lacks are NOCP UsageFaults.

// Binary literals are grouped as the manual's tables split their opcode columns.
#![allow(clippy::unusual_byte_groupings)]

use crate::alu::{decode_imm_shift, thumb_expand_imm_c, Shift};
use crate::config::{Arch, Config};
use crate::instr::{flags, ExecFn, Instr, Ops};
use crate::int::data::{self, extend_kind, imm_carry, op, operand};
use crate::int::load_store::{self, mode, size};
use crate::int::{access, branch, exclusive, misc, multiple, multiply};

const LEN: u8 = 4;
const PC: u8 = 15;
const SP: u8 = 13;

/// Bits `hi..=lo` of `w`.
#[inline]
fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & (((1u64 << (hi - lo + 1)) - 1) as u32)
}

#[inline]
fn bit(w: u32, n: u32) -> bool {
    (w >> n) & 1 != 0
}

#[inline]
fn reg(w: u32, lo: u32) -> u8 {
    bits(w, lo + 3, lo) as u8
}

/// The pseudo-code's BadReg(n): SP or PC, which most Thumb-2 encodings may not name.
#[inline]
fn bad_reg(r: u8) -> bool {
    r == SP || r == PC
}

fn instr(exec: ExecFn, ops: Ops) -> Instr {
    Instr::new(exec, ops, LEN)
}

fn unpredictable() -> Instr {
    Instr::unpredictable(LEN)
}

fn undefined() -> Instr {
    Instr::undefined(LEN)
}

/// Sign-extends the low `width` bits of `value`.
fn sign_extend(value: u32, width: u32) -> u32 {
    let shift = 32 - width;
    (((value << shift) as i32) >> shift) as u32
}

/// `+imm` or `-imm` as a two's complement offset.
fn signed_offset(add: bool, imm: u32) -> u32 {
    if add {
        imm
    } else {
        imm.wrapping_neg()
    }
}

/// A5.3 32-bit Thumb instruction encoding.
pub fn decode(hw1: u16, hw2: u16, config: &Config) -> Instr {
    let w = (u32::from(hw1) << 16) | u32::from(hw2);
    if !config.has_thumb2() {
        return decode_v6m(w, config);
    }
    let op1 = bits(w, 28, 27);
    let op2 = bits(w, 26, 20);
    let op = bit(w, 15);
    match op1 {
        0b01 => {
            if op2 & 0b110_0100 == 0b000_0000 {
                load_store_multiple(w)
            } else if op2 & 0b110_0100 == 0b000_0100 {
                load_store_dual_exclusive_table_branch(w)
            } else if op2 & 0b110_0000 == 0b010_0000 {
                data_processing_shifted_register(w)
            } else {
                coprocessor(w, config)
            }
        }
        0b10 => {
            if op {
                branches_and_miscellaneous_control(w, config)
            } else if op2 & 0b010_0000 == 0 {
                data_processing_modified_immediate(w)
            } else {
                data_processing_plain_binary_immediate(w)
            }
        }
        0b11 => {
            if op2 & 0b111_0001 == 0b000_0000 {
                store_single(w)
            } else if op2 & 0b110_0111 == 0b000_0001 {
                load_byte_and_hints(w)
            } else if op2 & 0b110_0111 == 0b000_0011 {
                load_halfword_and_hints(w)
            } else if op2 & 0b110_0111 == 0b000_0101 {
                load_word(w)
            } else if op2 & 0b111_0000 == 0b010_0000 {
                data_processing_register(w)
            } else if op2 & 0b111_1000 == 0b011_0000 {
                multiply_and_absolute_difference(w)
            } else if op2 & 0b111_1000 == 0b011_1000 {
                long_multiply_and_divide(w)
            } else if op2 & 0b100_0000 != 0 {
                coprocessor(w, config)
            } else {
                // 00xx111, and 001xxx0 (no store encodings there on M-profile).
                undefined()
            }
        }
        _ => undefined(),
    }
}

/// ARMv6-M (ARMv6-M ARM A5.3): only the branch-and-miscellaneous-control space with
/// op1 = 10 and hw2[15] = 1 exists, and in it only MSR, MRS, DMB/DSB/ISB, UDF.W and BL.
fn decode_v6m(w: u32, config: &Config) -> Instr {
    if bits(w, 28, 27) != 0b10 || !bit(w, 15) {
        return undefined();
    }
    let op1 = bits(w, 14, 12);
    let op = bits(w, 26, 20);
    if op1 & 0b101 == 0b101 {
        return branch_with_link(w);
    }
    if op1 == 0b010 && op == 0b111_1111 {
        return undefined();
    }
    if op1 & 0b101 != 0b000 {
        return undefined();
    }
    match op {
        0b011_1000 | 0b011_1001 => move_to_special(w, config),
        0b011_1011 => miscellaneous_control(w, true),
        0b011_1110 | 0b011_1111 => move_from_special(w),
        _ => undefined(),
    }
}

/// A5.3.5 Load/store multiple (op = hw1[8:7], L = hw1[4], W:Rn = hw1[5], hw1[3:0]).
fn load_store_multiple(w: u32) -> Instr {
    let rn = reg(w, 16);
    let load = bit(w, 20);
    let wback = bit(w, 21);
    let list = bits(w, 15, 0);
    let count = list.count_ones();
    let (p, m) = (bit(w, 15), bit(w, 14));
    let ops = Ops {
        rn,
        imm: list,
        flags: if wback { multiple::WBACK } else { 0 },
        ..Ops::default()
    };
    let base_in_list = list & (1 << rn) != 0;
    let db = match bits(w, 24, 23) {
        0b01 => false,
        0b10 => true,
        // SRS and RFE do not exist on M-profile.
        _ => return undefined(),
    };
    if load {
        // LDM T2 / LDMDB T1 / POP T2 (LDM SP!): registers = P:M:'0':register_list.
        // "if n == 15 || BitCount(registers) < 2 || (P == '1' && M == '1') then
        // UNPREDICTABLE; if wback && registers<n> == '1' then UNPREDICTABLE".
        if rn == PC || count < 2 || (p && m) || bit(w, 13) || (wback && base_in_list) {
            return unpredictable();
        }
        if db {
            instr(multiple::load_multiple::<true>, ops)
        } else {
            instr(multiple::load_multiple::<false>, ops)
        }
    } else {
        // STM T2 / STMDB T1 / PUSH T2: registers = '0':M:'0':register_list.
        if rn == PC || count < 2 || p || bit(w, 13) || (wback && base_in_list) {
            return unpredictable();
        }
        if db {
            instr(multiple::store_multiple::<true>, ops)
        } else {
            instr(multiple::store_multiple::<false>, ops)
        }
    }
}

/// A5.3.6 Load/store dual or exclusive, table branch (op1 = hw1[8:7], op2 = hw1[5:4],
/// op3 = hw2[7:4]).
fn load_store_dual_exclusive_table_branch(w: u32) -> Instr {
    let op1 = bits(w, 24, 23);
    let op2 = bits(w, 21, 20);
    let op3 = bits(w, 7, 4);
    let rn = reg(w, 16);
    let rt = reg(w, 12);
    match (op1, op2) {
        (0b00, 0b00) => {
            // STREX: Rd = hw2[11:8], offset imm8 × 4.
            let rd = reg(w, 8);
            if bad_reg(rd) || bad_reg(rt) || rn == PC || rd == rn || rd == rt {
                return unpredictable();
            }
            instr(
                exclusive::store_exclusive::<4>,
                Ops {
                    rd: rt,
                    ra: rd,
                    rn,
                    imm: bits(w, 7, 0) << 2,
                    ..Ops::default()
                },
            )
        }
        (0b00, 0b01) => {
            // LDREX: hw2[11:8] = (1)(1)(1)(1).
            if bad_reg(rt) || rn == PC || bits(w, 11, 8) != 0b1111 {
                return unpredictable();
            }
            instr(
                exclusive::load_exclusive::<4>,
                Ops {
                    rd: rt,
                    rn,
                    imm: bits(w, 7, 0) << 2,
                    ..Ops::default()
                },
            )
        }
        (0b01, 0b00) => {
            // STREXB / STREXH: hw2 = Rt (1111) 010x Rd.
            let rd = reg(w, 0);
            let exec: ExecFn = match op3 {
                0b0100 => exclusive::store_exclusive::<1>,
                0b0101 => exclusive::store_exclusive::<2>,
                _ => return undefined(),
            };
            if bad_reg(rd)
                || bad_reg(rt)
                || rn == PC
                || rd == rn
                || rd == rt
                || bits(w, 11, 8) != 0b1111
            {
                return unpredictable();
            }
            instr(
                exec,
                Ops {
                    rd: rt,
                    ra: rd,
                    rn,
                    ..Ops::default()
                },
            )
        }
        (0b01, 0b01) => match op3 {
            // TBB / TBH: hw2 = (1111)(0000) 000 H Rm.
            0b0000 | 0b0001 => {
                let rm = reg(w, 0);
                if rn == SP || bad_reg(rm) || bits(w, 15, 8) != 0b1111_0000 {
                    return unpredictable();
                }
                let ops = Ops {
                    rn,
                    rm,
                    ..Ops::default()
                };
                if op3 == 0b0001 {
                    instr(branch::table_branch::<true>, ops)
                } else {
                    instr(branch::table_branch::<false>, ops)
                }
            }
            // LDREXB / LDREXH: hw2 = Rt (1111) 010x (1111).
            0b0100 | 0b0101 => {
                if bad_reg(rt) || rn == PC || bits(w, 11, 8) != 0b1111 || bits(w, 3, 0) != 0b1111 {
                    return unpredictable();
                }
                let ops = Ops {
                    rd: rt,
                    rn,
                    ..Ops::default()
                };
                if op3 == 0b0101 {
                    instr(exclusive::load_exclusive::<2>, ops)
                } else {
                    instr(exclusive::load_exclusive::<1>, ops)
                }
            }
            _ => undefined(),
        },
        // The rest is LDRD/STRD (immediate, literal): P = hw1[8], U = hw1[7], W = hw1[5],
        // L = hw1[4]; P == W == 0 was the exclusive space above.
        _ => load_store_dual(w),
    }
}

/// LDRD (immediate, literal) and STRD (immediate): offset imm8 × 4, MemA.
fn load_store_dual(w: u32) -> Instr {
    let (p, u, wback, load) = (bit(w, 24), bit(w, 23), bit(w, 21), bit(w, 20));
    let rn = reg(w, 16);
    let rt = reg(w, 12);
    let rt2 = reg(w, 8);
    let ops = Ops {
        rd: rt,
        ra: rt2,
        rn,
        imm: signed_offset(u, bits(w, 7, 0) << 2),
        extra: access::ALIGNED,
        ..Ops::default()
    };
    if load {
        if rn == PC {
            // LDRD (literal): "if W == '1' then UNPREDICTABLE" (P is 1 here).
            if bad_reg(rt) || bad_reg(rt2) || rt == rt2 || wback {
                return unpredictable();
            }
            return instr(load_store::load_dual::<{ mode::LITERAL }>, ops);
        }
        if (wback && (rn == rt || rn == rt2)) || bad_reg(rt) || bad_reg(rt2) || rt == rt2 {
            return unpredictable();
        }
        match (p, wback) {
            (true, false) => instr(load_store::load_dual::<{ mode::OFFSET }>, ops),
            (true, true) => instr(load_store::load_dual::<{ mode::PRE }>, ops),
            _ => instr(load_store::load_dual::<{ mode::POST }>, ops),
        }
    } else {
        if (wback && (rn == rt || rn == rt2)) || rn == PC || bad_reg(rt) || bad_reg(rt2) {
            return unpredictable();
        }
        match (p, wback) {
            (true, false) => instr(load_store::store_dual::<{ mode::OFFSET }>, ops),
            (true, true) => instr(load_store::store_dual::<{ mode::PRE }>, ops),
            _ => instr(load_store::store_dual::<{ mode::POST }>, ops),
        }
    }
}

/// The ALU function for `op` with operand form `kind`.
fn alu_exec(alu_op: u8, kind: u8) -> ExecFn {
    macro_rules! pick {
        ($kind:expr, $($op:ident),*) => {
            match alu_op {
                $(op::$op => match $kind {
                    operand::IMM => data::alu::<{ op::$op }, { operand::IMM }>,
                    operand::REG => data::alu::<{ op::$op }, { operand::REG }>,
                    _ => data::alu::<{ op::$op }, { operand::SHIFTED }>,
                },)*
                // `alu_row` yields only the sixteen operations above.
                _ => data::no_such_operation,
            }
        };
    }
    pick!(kind, AND, EOR, ORR, ORN, BIC, MOV, MVN, TST, TEQ, ADD, ADC, SUB, SBC, RSB, CMP, CMN)
}

/// Which register rules an ALU instruction of A5.3.1 / A5.3.11 follows, after the "SEE"
/// redirections (TST for AND with Rd = PC and S, MOV for ORR with Rn = PC, …).
#[derive(Clone, Copy, PartialEq, Eq)]
enum AluRule {
    /// "if BadReg(d) || BadReg(n) [|| BadReg(m)]": AND, BIC, EOR, ADC, SBC, RSB.
    Plain,
    /// "if BadReg(d) || n == 13 [|| BadReg(m)]": ORR, ORN (n == 15 is MOV / MVN).
    OrLike,
    /// MOV, MVN: no Rn.
    Move,
    /// TST, TEQ: "if BadReg(n) [|| BadReg(m)]".
    TestLogical,
    /// CMP, CMN: "if n == 15 [|| BadReg(m)]".
    Compare,
    /// ADD, SUB: "if BadReg(d) || n == 15 [|| BadReg(m)]"; with Rn = SP, "if d == 15" only
    /// (and for the register forms, a shift other than LSL #0–3 when d == SP).
    AddSub,
}

/// Maps the `op` field (hw1[8:5]) of A5.3.1 / A5.3.11 with its Rn/Rd/S "SEE" rows to an ALU
/// operation and its register rule; `None` for an UNDEFINED row. PKHBT/PKHTB (op 0110,
/// register form) is DSP and UNDEFINED here.
fn alu_row(op_field: u32, rn: u8, rd: u8, s: bool) -> Option<(u8, AluRule)> {
    let test = rd == PC && s;
    Some(match op_field {
        0b0000 if test => (op::TST, AluRule::TestLogical),
        0b0000 => (op::AND, AluRule::Plain),
        0b0001 => (op::BIC, AluRule::Plain),
        0b0010 if rn == PC => (op::MOV, AluRule::Move),
        0b0010 => (op::ORR, AluRule::OrLike),
        0b0011 if rn == PC => (op::MVN, AluRule::Move),
        0b0011 => (op::ORN, AluRule::OrLike),
        0b0100 if test => (op::TEQ, AluRule::TestLogical),
        0b0100 => (op::EOR, AluRule::Plain),
        0b1000 if test => (op::CMN, AluRule::Compare),
        0b1000 => (op::ADD, AluRule::AddSub),
        0b1010 => (op::ADC, AluRule::Plain),
        0b1011 => (op::SBC, AluRule::Plain),
        0b1101 if test => (op::CMP, AluRule::Compare),
        0b1101 => (op::SUB, AluRule::AddSub),
        0b1110 => (op::RSB, AluRule::Plain),
        _ => return None,
    })
}

/// Whether the registers of an ALU instruction break its rule (UNPREDICTABLE). `rm` is `None`
/// for the immediate forms.
fn alu_registers_unpredictable(rule: AluRule, rd: u8, rn: u8, rm: Option<u8>) -> bool {
    let m_bad = rm.is_some_and(bad_reg);
    match rule {
        AluRule::Plain => bad_reg(rd) || bad_reg(rn) || m_bad,
        AluRule::OrLike => bad_reg(rd) || rn == SP || m_bad,
        AluRule::Move => bad_reg(rd) || m_bad,
        AluRule::TestLogical => bad_reg(rn) || m_bad,
        AluRule::Compare => rn == PC || m_bad,
        // ADD/SUB (SP plus/minus immediate/register): "if d == 15".
        AluRule::AddSub if rn == SP => rd == PC || m_bad,
        AluRule::AddSub => bad_reg(rd) || rn == PC || m_bad,
    }
}

/// A5.3.1 Data processing (modified immediate): op = hw1[8:5], S = hw1[4], i:imm3:imm8.
fn data_processing_modified_immediate(w: u32) -> Instr {
    let rn = reg(w, 16);
    let rd = reg(w, 8);
    let s = bit(w, 20);
    let Some((alu_op, rule)) = alu_row(bits(w, 24, 21), rn, rd, s) else {
        return undefined();
    };
    if alu_registers_unpredictable(rule, rd, rn, None) {
        return unpredictable();
    }
    let imm12 = (u32::from(bit(w, 26)) << 11) | (bits(w, 14, 12) << 8) | bits(w, 7, 0);
    let Some((value, carry)) = thumb_expand_imm_c(imm12, false) else {
        return unpredictable();
    };
    // ThumbExpandImm_C: the carry out is APSR.C unless the constant is rotated.
    let extra = if imm12 >> 10 == 0 {
        imm_carry::KEEP
    } else if carry {
        imm_carry::SET
    } else {
        imm_carry::CLEAR
    };
    let setflags = s || matches!(rule, AluRule::TestLogical | AluRule::Compare);
    instr(
        alu_exec(alu_op, operand::IMM),
        Ops {
            rd,
            rn,
            imm: value,
            extra,
            flags: if setflags { flags::SETFLAGS } else { 0 },
            ..Ops::default()
        },
    )
}

/// A5.3.3 Data processing (plain binary immediate): op = hw1[8:4].
fn data_processing_plain_binary_immediate(w: u32) -> Instr {
    let rn = reg(w, 16);
    let rd = reg(w, 8);
    let imm12 = (u32::from(bit(w, 26)) << 11) | (bits(w, 14, 12) << 8) | bits(w, 7, 0);
    let imm16 = (bits(w, 19, 16) << 12) | imm12;
    // imm3:imm2, the lsb or shift amount of the saturate and bit-field rows.
    let imm5 = (bits(w, 14, 12) << 2) | bits(w, 7, 6);
    let field = bits(w, 4, 0);
    // The saturate and bit-field rows have (0) at hw1[10] (the i bit of the others) and hw2[5].
    match bits(w, 24, 20) {
        // ADD (immediate) T4 (ADDW), ADR T3.
        0b00000 | 0b01010 => {
            let add = bits(w, 24, 20) == 0b00000;
            if rn == PC {
                if bad_reg(rd) {
                    return unpredictable();
                }
                return instr(
                    data::adr,
                    Ops {
                        rd,
                        imm: signed_offset(add, imm12),
                        ..Ops::default()
                    },
                );
            }
            // ADD/SUB (SP plus/minus immediate) T4/T3: "if d == 15"; else BadReg(d).
            if (rn == SP && rd == PC) || (rn != SP && bad_reg(rd)) {
                return unpredictable();
            }
            let ops = Ops {
                rd,
                rn,
                imm: imm12,
                ..Ops::default()
            };
            if add {
                instr(data::alu::<{ op::ADD }, { operand::IMM }>, ops)
            } else {
                instr(data::alu::<{ op::SUB }, { operand::IMM }>, ops)
            }
        }
        // MOV (immediate) T3 (MOVW) and MOVT.
        0b00100 | 0b01100 => {
            if bad_reg(rd) {
                return unpredictable();
            }
            let ops = Ops {
                rd,
                imm: imm16,
                ..Ops::default()
            };
            if bit(w, 23) {
                instr(data::movt, ops)
            } else {
                instr(data::alu::<{ op::MOV }, { operand::IMM }>, ops)
            }
        }
        // SSAT / USAT: sh = hw1[5]; sh == 1 with imm3:imm2 == 0 is SSAT16 / USAT16 (DSP).
        0b10000 | 0b10010 | 0b11000 | 0b11010 => {
            let sh = bit(w, 21);
            if sh && imm5 == 0 {
                return undefined();
            }
            if bad_reg(rd) || bad_reg(rn) || bit(w, 26) || bit(w, 5) {
                return unpredictable();
            }
            let unsigned = bit(w, 23);
            let (shift, amount) = decode_imm_shift((u8::from(sh)) << 1, imm5 as u8);
            let ops = Ops {
                rd,
                rn,
                imm: if unsigned { field } else { field + 1 },
                shift_type: shift as u8,
                shift_amount: amount,
                ..Ops::default()
            };
            if unsigned {
                instr(data::usat, ops)
            } else {
                instr(data::ssat, ops)
            }
        }
        // SBFX / UBFX: lsb = imm3:imm2, widthminus1 = hw2[4:0].
        0b10100 | 0b11100 => {
            let (lsb, width) = (imm5, field + 1);
            let msb = lsb + width - 1;
            if bad_reg(rd) || bad_reg(rn) || msb > 31 || bit(w, 26) || bit(w, 5) {
                return unpredictable();
            }
            if bit(w, 23) {
                instr(
                    data::ubfx,
                    Ops {
                        rd,
                        rn,
                        shift_amount: lsb as u8,
                        imm: ((1u64 << width) - 1) as u32,
                        ..Ops::default()
                    },
                )
            } else {
                instr(
                    data::sbfx,
                    Ops {
                        rd,
                        rn,
                        shift_amount: (31 - msb) as u8,
                        imm: 32 - width,
                        ..Ops::default()
                    },
                )
            }
        }
        // BFI (Rn != PC) / BFC (Rn == PC): lsb = imm3:imm2, msb = hw2[4:0].
        0b10110 => {
            let (lsb, msb) = (imm5, field);
            if bad_reg(rd) || rn == SP || msb < lsb || bit(w, 26) || bit(w, 5) {
                return unpredictable();
            }
            let mask = (((1u64 << (msb + 1)) - 1) as u32) & !((1u32 << lsb) - 1);
            let ops = Ops {
                rd,
                rn,
                imm: mask,
                shift_amount: lsb as u8,
                ..Ops::default()
            };
            if rn == PC {
                instr(data::bfc, ops)
            } else {
                instr(data::bfi, ops)
            }
        }
        _ => undefined(),
    }
}

/// A5.3.4 Branches and miscellaneous control (op1 = hw2[14:12], op = hw1[10:4]).
fn branches_and_miscellaneous_control(w: u32, config: &Config) -> Instr {
    let op1 = bits(w, 14, 12);
    let op = bits(w, 26, 20);
    if op1 & 0b101 == 0b000 {
        if op1 == 0b010 && op == 0b111_1111 {
            // UDF.W: permanently UNDEFINED.
            return undefined();
        }
        if op & 0b011_1000 != 0b011_1000 {
            return conditional_branch(w);
        }
        return match op {
            0b011_1000 | 0b011_1001 => move_to_special(w, config),
            0b011_1010 => hints(w),
            0b011_1011 => miscellaneous_control(w, false),
            0b011_1110 | 0b011_1111 => move_from_special(w),
            _ => undefined(),
        };
    }
    match op1 & 0b101 {
        0b001 => unconditional_branch(w),
        // BLX (immediate): no ARM state to switch to on M-profile.
        0b100 => undefined(),
        _ => branch_with_link(w),
    }
}

/// B T3: S:J2:J1:imm6:imm11:'0', condition hw1[9:6].
fn conditional_branch(w: u32) -> Instr {
    let imm = (u32::from(bit(w, 26)) << 20)
        | (u32::from(bit(w, 11)) << 19)
        | (u32::from(bit(w, 13)) << 18)
        | (bits(w, 21, 16) << 12)
        | (bits(w, 10, 0) << 1);
    let mut b = instr(
        branch::b_cond,
        Ops {
            imm: sign_extend(imm, 21),
            ..Ops::default()
        },
    );
    b.cond = bits(w, 25, 22) as u8;
    b
}

/// The T4 offset of B and BL: S:I1:I2:imm10:imm11:'0' with I1 = NOT(J1 EOR S),
/// I2 = NOT(J2 EOR S).
fn branch_offset_t4(w: u32) -> u32 {
    let s = bit(w, 26);
    let i1 = !(bit(w, 13) ^ s);
    let i2 = !(bit(w, 11) ^ s);
    let imm = (u32::from(s) << 24)
        | (u32::from(i1) << 23)
        | (u32::from(i2) << 22)
        | (bits(w, 25, 16) << 12)
        | (bits(w, 10, 0) << 1);
    sign_extend(imm, 25)
}

/// B T4.
fn unconditional_branch(w: u32) -> Instr {
    instr(
        branch::b,
        Ops {
            imm: branch_offset_t4(w),
            ..Ops::default()
        },
    )
}

/// BL.
fn branch_with_link(w: u32) -> Instr {
    instr(
        branch::bl,
        Ops {
            imm: branch_offset_t4(w),
            ..Ops::default()
        },
    )
}

/// MSR (register): hw1 = 11110 0 1110 0 (0) Rn, hw2 = 10 (0) 0 mask (0)(0) SYSm.
/// ARMv7-M: "if mask == '00' || (mask != '10' && !(UInt(SYSm) IN {0..3})) then
/// UNPREDICTABLE; if BadReg(n) ... then UNPREDICTABLE", and writing the GE bits (mask<0>)
/// without the DSP extension is UNPREDICTABLE (B5.2.3). ARMv6-M has no mask field: bits 11:8
/// are (1)(0)(0)(0). The SYSm set is checked when it executes (`special::sysm_exists`).
fn move_to_special(w: u32, config: &Config) -> Instr {
    let rn = reg(w, 16);
    let mask = bits(w, 11, 10) as u8;
    let sysm = bits(w, 7, 0);
    let reserved = bit(w, 20) || bit(w, 13) || bits(w, 9, 8) != 0;
    let mask_bad = if config.arch == Arch::V6M {
        mask != 0b10
    } else {
        mask == 0b00 || (mask != 0b10 && sysm > 3) || (mask & 0b01 != 0 && !config.has_dsp())
    };
    if bad_reg(rn) || reserved || mask_bad {
        return unpredictable();
    }
    instr(
        misc::msr,
        Ops {
            rn,
            imm: sysm,
            extra: mask,
            ..Ops::default()
        },
    )
}

/// MRS: hw1 = 11110 0 1111 1 (0)(1)(1)(1)(1), hw2 = 10 (0) 0 Rd SYSm.
fn move_from_special(w: u32) -> Instr {
    let rd = reg(w, 8);
    if bad_reg(rd) || bit(w, 20) || bits(w, 19, 16) != 0b1111 || bit(w, 13) {
        return unpredictable();
    }
    instr(
        misc::mrs,
        Ops {
            rd,
            imm: bits(w, 7, 0),
            ..Ops::default()
        },
    )
}

/// Change Processor State, and hints (ARMv7-M: op1 = hw2[10:8], op2 = hw2[7:0]). There is no
/// 32-bit CPS on M-profile: op1 != 000 is UNDEFINED.
fn hints(w: u32) -> Instr {
    if bits(w, 10, 8) != 0 {
        return undefined();
    }
    if bits(w, 19, 16) != 0b1111 || bit(w, 13) || bit(w, 11) {
        return unpredictable();
    }
    let exec: ExecFn = match bits(w, 7, 0) {
        0b0000_0010 => misc::wfe,
        0b0000_0011 => misc::wfi,
        0b0000_0100 => misc::sev,
        // NOP.W, YIELD.W, DBG #option (no debug hint to act on), and the unallocated hints,
        // which execute as NOPs.
        _ => misc::nop,
    };
    instr(exec, Ops::default())
}

/// Miscellaneous control instructions (op = hw2[7:4]): CLREX (ARMv7-M only), DSB, DMB, ISB.
fn miscellaneous_control(w: u32, v6m: bool) -> Instr {
    let exec: ExecFn = match bits(w, 7, 4) {
        0b0010 if !v6m => exclusive::clear_exclusive,
        0b0100..=0b0110 => misc::nop,
        _ => return undefined(),
    };
    if bits(w, 19, 16) != 0b1111 || bit(w, 13) || bits(w, 11, 8) != 0b1111 {
        return unpredictable();
    }
    instr(exec, Ops::default())
}

/// The offset-or-index forms shared by the single loads and stores of A5.3.7–A5.3.10 (with
/// Rn != PC): imm12 (hw1[7] = 1), or op2 = hw2[11:6] selecting register, negative imm8,
/// unprivileged, and the pre/post-indexed forms.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SingleForm {
    /// [Rn, #imm12] or [Rn, #-imm8]: `mode::OFFSET`.
    Offset(u32),
    /// [Rn, #±imm8]!.
    Pre(u32),
    /// [Rn], #±imm8.
    Post(u32),
    /// [Rn, #imm8] unprivileged (LDRT etc.).
    Unprivileged(u32),
    /// [Rn, Rm, LSL #imm2].
    Register { rm: u8, shift: u8 },
    /// P == 0 && W == 0, or an op2 that is none of the above.
    Undefined,
}

fn single_form(w: u32) -> SingleForm {
    if bit(w, 23) {
        return SingleForm::Offset(bits(w, 11, 0));
    }
    let op2 = bits(w, 11, 6);
    if op2 == 0 {
        return SingleForm::Register {
            rm: reg(w, 0),
            shift: bits(w, 5, 4) as u8,
        };
    }
    if op2 & 0b10_0000 == 0 {
        return SingleForm::Undefined;
    }
    let (p, u, wback) = (bit(w, 10), bit(w, 9), bit(w, 8));
    let imm8 = bits(w, 7, 0);
    match (p, u, wback) {
        (true, true, false) => SingleForm::Unprivileged(imm8),
        (true, false, false) => SingleForm::Offset(imm8.wrapping_neg()),
        (true, _, true) => SingleForm::Pre(signed_offset(u, imm8)),
        (false, _, true) => SingleForm::Post(signed_offset(u, imm8)),
        (false, _, false) => SingleForm::Undefined,
    }
}

/// The load or the store of `SIZE` in addressing mode `MODE`.
fn load_or_store<const SIZE: u8, const MODE: u8>(store: bool) -> ExecFn {
    if store {
        load_store::store::<SIZE, MODE>
    } else {
        load_store::load::<SIZE, MODE>
    }
}

/// The exec function of a load (`store` false) or store of `SIZE` in `form`, with its access
/// kind; `None` for `SingleForm::Undefined`.
fn single_exec<const SIZE: u8>(store: bool, form: SingleForm) -> Option<(ExecFn, Ops)> {
    let (exec, ops): (ExecFn, Ops) = match form {
        SingleForm::Offset(imm) => (
            load_or_store::<SIZE, { mode::OFFSET }>(store),
            Ops {
                imm,
                ..Ops::default()
            },
        ),
        SingleForm::Unprivileged(imm) => (
            load_or_store::<SIZE, { mode::OFFSET }>(store),
            Ops {
                imm,
                extra: access::UNPRIVILEGED,
                ..Ops::default()
            },
        ),
        SingleForm::Pre(imm) => (
            load_or_store::<SIZE, { mode::PRE }>(store),
            Ops {
                imm,
                ..Ops::default()
            },
        ),
        SingleForm::Post(imm) => (
            load_or_store::<SIZE, { mode::POST }>(store),
            Ops {
                imm,
                ..Ops::default()
            },
        ),
        SingleForm::Register { rm, shift } => (
            load_or_store::<SIZE, { mode::REG }>(store),
            Ops {
                rm,
                shift_amount: shift,
                ..Ops::default()
            },
        ),
        SingleForm::Undefined => return None,
    };
    Some((exec, ops))
}

/// The literal form of a load: Align(PC, 4) ± imm12 (U = hw1[7]).
fn literal_offset(w: u32) -> u32 {
    signed_offset(bit(w, 23), bits(w, 11, 0))
}

/// Whether a form writes back its base.
fn form_writes_back(form: SingleForm) -> bool {
    matches!(form, SingleForm::Pre(_) | SingleForm::Post(_))
}

/// A5.3.10 Store single data item: op1 = hw1[7:5] (hw1[6:5] the size: 00 byte, 01 halfword,
/// 10 word), op2 = hw2[11:6].
fn store_single(w: u32) -> Instr {
    let rn = reg(w, 16);
    let rt = reg(w, 12);
    let size_bits = bits(w, 22, 21);
    // "if Rn == '1111' then UNDEFINED" for every store.
    if rn == PC || size_bits == 0b11 {
        return undefined();
    }
    let form = single_form(w);
    let picked = match size_bits {
        0b00 => single_exec::<{ size::BYTE }>(true, form),
        0b01 => single_exec::<{ size::HALF }>(true, form),
        _ => single_exec::<{ size::WORD }>(true, form),
    };
    let Some((exec, ops)) = picked else {
        return undefined();
    };
    // STR: "if t == 15 ..."; STRB, STRH (and every T form): "if BadReg(t) ...".
    let t_bad = if size_bits == 0b10 && !matches!(form, SingleForm::Unprivileged(_)) {
        rt == PC
    } else {
        bad_reg(rt)
    };
    let m_bad = matches!(form, SingleForm::Register { rm, .. } if bad_reg(rm));
    if t_bad || m_bad || (form_writes_back(form) && rn == rt) {
        return unpredictable();
    }
    instr(exec, Ops { rd: rt, rn, ..ops })
}

/// A load of a byte or halfword (A5.3.8, A5.3.9) once its table has excluded Rt = PC.
fn load_narrow<const SIZE: u8>(w: u32, rn: u8, rt: u8) -> Instr {
    if rn == PC {
        // LDRB/LDRSB/LDRH/LDRSH (literal): "if t == 13 then UNPREDICTABLE".
        if rt == SP {
            return unpredictable();
        }
        return instr(
            load_store::load::<SIZE, { mode::LITERAL }>,
            Ops {
                rd: rt,
                imm: literal_offset(w),
                ..Ops::default()
            },
        );
    }
    let form = single_form(w);
    let Some((exec, ops)) = single_exec::<SIZE>(false, form) else {
        return undefined();
    };
    let m_bad = matches!(form, SingleForm::Register { rm, .. } if bad_reg(rm));
    if rt == SP || m_bad || (form_writes_back(form) && rn == rt) {
        return unpredictable();
    }
    instr(exec, Ops { rd: rt, rn, ..ops })
}

/// The Rt = PC rows of A5.3.8 / A5.3.9: PLD, PLI and the unallocated memory hints execute as
/// NOPs; the writeback and unprivileged forms are UNPREDICTABLE; P == W == 0 is UNDEFINED.
fn memory_hint(w: u32, rn: u8) -> Instr {
    if rn == PC {
        return instr(load_store::memory_hint, Ops::default());
    }
    match single_form(w) {
        SingleForm::Offset(_) => instr(load_store::memory_hint, Ops::default()),
        // PLD/PLI (register): "if BadReg(m) then UNPREDICTABLE".
        SingleForm::Register { rm, .. } if bad_reg(rm) => unpredictable(),
        SingleForm::Register { .. } => instr(load_store::memory_hint, Ops::default()),
        SingleForm::Pre(_) | SingleForm::Post(_) | SingleForm::Unprivileged(_) => unpredictable(),
        SingleForm::Undefined => undefined(),
    }
}

/// A5.3.9 Load byte, memory hints (op1 = hw1[8:7]: hw1[8] signed).
fn load_byte_and_hints(w: u32) -> Instr {
    let rn = reg(w, 16);
    let rt = reg(w, 12);
    if rt == PC {
        return memory_hint(w, rn);
    }
    if bit(w, 24) {
        load_narrow::<{ size::SIGNED_BYTE }>(w, rn, rt)
    } else {
        load_narrow::<{ size::BYTE }>(w, rn, rt)
    }
}

/// A5.3.8 Load halfword, memory hints (op1 = hw1[8:7]: hw1[8] signed). The Rt = PC rows are
/// unallocated memory hints (NOP) on ARMv7-M.
fn load_halfword_and_hints(w: u32) -> Instr {
    let rn = reg(w, 16);
    let rt = reg(w, 12);
    if rt == PC {
        return memory_hint(w, rn);
    }
    if bit(w, 24) {
        load_narrow::<{ size::SIGNED_HALF }>(w, rn, rt)
    } else {
        load_narrow::<{ size::HALF }>(w, rn, rt)
    }
}

/// A5.3.7 Load word (op1 = hw1[8:7]; 1x is UNDEFINED). Rt = PC is LoadWritePC
/// ([`load_store::load_pc`]), which the GNU ld veneer `ldr.w pc, [pc, #-0]` uses.
fn load_word(w: u32) -> Instr {
    if bit(w, 24) {
        return undefined();
    }
    let rn = reg(w, 16);
    let rt = reg(w, 12);
    if rn == PC {
        let ops = Ops {
            rd: rt,
            imm: literal_offset(w),
            ..Ops::default()
        };
        return if rt == PC {
            instr(load_store::load_pc::<{ mode::LITERAL }>, ops)
        } else {
            instr(load_store::load::<{ size::WORD }, { mode::LITERAL }>, ops)
        };
    }
    let form = single_form(w);
    let Some((exec, ops)) = single_exec::<{ size::WORD }>(false, form) else {
        return undefined();
    };
    let m_bad = matches!(form, SingleForm::Register { rm, .. } if bad_reg(rm));
    let wback = form_writes_back(form);
    let unprivileged = matches!(form, SingleForm::Unprivileged(_));
    // LDRT: "if BadReg(t)"; the others: "(wback && n == t)", and BadReg(m) for the register
    // form. Rt = PC is a branch, allowed only last in an IT block (checked at execution).
    if m_bad || (wback && rn == rt) || (unprivileged && bad_reg(rt)) {
        return unpredictable();
    }
    let ops = Ops { rd: rt, rn, ..ops };
    if rt == PC {
        let exec: ExecFn = match form {
            SingleForm::Pre(_) => load_store::load_pc::<{ mode::PRE }>,
            SingleForm::Post(_) => load_store::load_pc::<{ mode::POST }>,
            SingleForm::Register { .. } => load_store::load_pc::<{ mode::REG }>,
            _ => load_store::load_pc::<{ mode::OFFSET }>,
        };
        return instr(exec, ops);
    }
    instr(exec, ops)
}

/// A5.3.12 Data processing (register): hw2[15:12] must be 1111; op1 = hw1[7:4],
/// op2 = hw2[7:4].
fn data_processing_register(w: u32) -> Instr {
    if bits(w, 15, 12) != 0b1111 {
        return undefined();
    }
    let op1 = bits(w, 23, 20);
    let op2 = bits(w, 7, 4);
    let rn = reg(w, 16);
    let rd = reg(w, 8);
    let rm = reg(w, 0);
    if op1 & 0b1000 == 0 && op2 == 0 {
        // LSL, LSR, ASR, ROR (register) T2: type = op1[2:1], S = op1[0].
        if bad_reg(rd) || bad_reg(rn) || bad_reg(rm) {
            return unpredictable();
        }
        let exec: ExecFn = match Shift::from_bits(bits(w, 22, 21) as u8) {
            Shift::Lsl => data::shift_by_register::<{ Shift::Lsl as u8 }>,
            Shift::Lsr => data::shift_by_register::<{ Shift::Lsr as u8 }>,
            Shift::Asr => data::shift_by_register::<{ Shift::Asr as u8 }>,
            _ => data::shift_by_register::<{ Shift::Ror as u8 }>,
        };
        return instr(
            exec,
            Ops {
                rd,
                rn,
                rm,
                flags: if bit(w, 20) { flags::SETFLAGS } else { 0 },
                ..Ops::default()
            },
        );
    }
    if op1 & 0b1000 == 0 && op2 & 0b1000 != 0 {
        // The extends: only the Rn = PC forms of SXTAH, UXTAH, SXTAB, UXTAB are not DSP.
        let exec: ExecFn = match op1 {
            0b0000 => data::extend::<{ extend_kind::SXTH }>,
            0b0001 => data::extend::<{ extend_kind::UXTH }>,
            0b0100 => data::extend::<{ extend_kind::SXTB }>,
            0b0101 => data::extend::<{ extend_kind::UXTB }>,
            // SXTAB16/SXTB16, UXTAB16/UXTB16 (DSP) and unallocated rows.
            _ => return undefined(),
        };
        if rn != PC {
            return undefined();
        }
        // hw2[6] is (0).
        if bad_reg(rd) || bad_reg(rm) || bit(w, 6) {
            return unpredictable();
        }
        return instr(
            exec,
            Ops {
                rd,
                rm,
                shift_amount: (bits(w, 5, 4) * 8) as u8,
                ..Ops::default()
            },
        );
    }
    if op1 & 0b1100 == 0b1000 && op2 & 0b1100 == 0b1000 {
        return miscellaneous_operations(w, rn, rd, rm);
    }
    // Parallel addition and subtraction (A5.3.13, A5.3.14) are DSP; the rest is unallocated.
    undefined()
}

/// A5.3.15 Miscellaneous operations (op1 = hw1[5:4], op2 = hw2[5:4]). QADD, QDADD, QSUB,
/// QDSUB and SEL are DSP (UNDEFINED here). Rm is encoded twice (hw1[3:0] and hw2[3:0]):
/// "if !Consistent(m) || BadReg(d) || BadReg(m) then UNPREDICTABLE".
fn miscellaneous_operations(w: u32, rn: u8, rd: u8, rm: u8) -> Instr {
    let exec: ExecFn = match (bits(w, 21, 20), bits(w, 5, 4)) {
        (0b01, 0b00) => data::rev,
        (0b01, 0b01) => data::rev16,
        (0b01, 0b10) => data::rbit,
        (0b01, 0b11) => data::revsh,
        (0b11, 0b00) => data::clz,
        _ => return undefined(),
    };
    if rn != rm || bad_reg(rd) || bad_reg(rm) {
        return unpredictable();
    }
    instr(
        exec,
        Ops {
            rd,
            rm,
            ..Ops::default()
        },
    )
}

/// A5.3.16 Multiply, multiply accumulate, and absolute difference (op1 = hw1[6:4],
/// op2 = hw2[5:4]; hw2[7:6] must be 00). Only MUL, MLA, MLS are not DSP.
fn multiply_and_absolute_difference(w: u32) -> Instr {
    if bits(w, 7, 6) != 0 || bits(w, 22, 20) != 0 {
        return undefined();
    }
    let rn = reg(w, 16);
    let ra = reg(w, 12);
    let rd = reg(w, 8);
    let rm = reg(w, 0);
    let ops = Ops {
        rd,
        rn,
        rm,
        ra,
        ..Ops::default()
    };
    let dnm_bad = bad_reg(rd) || bad_reg(rn) || bad_reg(rm);
    match bits(w, 5, 4) {
        0b00 if ra == PC => {
            if dnm_bad {
                return unpredictable();
            }
            instr(multiply::mul, ops)
        }
        0b00 => {
            if dnm_bad || ra == SP {
                return unpredictable();
            }
            instr(multiply::mla, ops)
        }
        0b01 => {
            if dnm_bad || bad_reg(ra) {
                return unpredictable();
            }
            instr(multiply::mls, ops)
        }
        _ => undefined(),
    }
}

/// A5.3.17 Long multiply, long multiply accumulate, and divide (op1 = hw1[6:4],
/// op2 = hw2[7:4]). SMLAL<x><y>, SMLALD, SMLSLD, UMAAL are DSP.
fn long_multiply_and_divide(w: u32) -> Instr {
    let rn = reg(w, 16);
    let rd_lo = reg(w, 12);
    let rd_hi = reg(w, 8);
    let rm = reg(w, 0);
    let exec: ExecFn = match (bits(w, 22, 20), bits(w, 7, 4)) {
        (0b000, 0b0000) => multiply::smull,
        (0b010, 0b0000) => multiply::umull,
        (0b100, 0b0000) => multiply::smlal,
        (0b110, 0b0000) => multiply::umlal,
        (0b001, 0b1111) | (0b011, 0b1111) => {
            // SDIV / UDIV: hw2 = (1)(1)(1)(1) Rd 1111 Rm.
            if bad_reg(rd_hi) || bad_reg(rn) || bad_reg(rm) || rd_lo != PC {
                return unpredictable();
            }
            let exec: ExecFn = if bit(w, 21) {
                multiply::udiv
            } else {
                multiply::sdiv
            };
            return instr(
                exec,
                Ops {
                    rd: rd_hi,
                    rn,
                    rm,
                    ..Ops::default()
                },
            );
        }
        _ => return undefined(),
    };
    // "if BadReg(dLo) || BadReg(dHi) || BadReg(n) || BadReg(m) then UNPREDICTABLE;
    // if dHi == dLo then UNPREDICTABLE".
    if bad_reg(rd_lo) || bad_reg(rd_hi) || bad_reg(rn) || bad_reg(rm) || rd_lo == rd_hi {
        return unpredictable();
    }
    instr(
        exec,
        Ops {
            rd: rd_lo,
            ra: rd_hi,
            rn,
            rm,
            ..Ops::default()
        },
    )
}

/// A5.3.11 Data processing (shifted register): op = hw1[8:5], S = hw1[4], Rn, Rd,
/// imm3:imm2 and type the shift of Rm. hw2[15] is (0).
fn data_processing_shifted_register(w: u32) -> Instr {
    let rn = reg(w, 16);
    let rd = reg(w, 8);
    let rm = reg(w, 0);
    let s = bit(w, 20);
    let Some((alu_op, rule)) = alu_row(bits(w, 24, 21), rn, rd, s) else {
        // Includes PKHBT/PKHTB (op 0110), DSP.
        return undefined();
    };
    let (shift, amount) = decode_imm_shift(
        bits(w, 5, 4) as u8,
        bits(w, 14, 12) as u8 * 4 + bits(w, 7, 6) as u8,
    );
    let unshifted = shift == Shift::Lsl && amount == 0;
    let bad = if alu_op == op::MOV && unshifted {
        // MOV (register) T3: "if setflags && (BadReg(d) || BadReg(m)) then UNPREDICTABLE;
        // if !setflags && (d == 15 || m == 15 || (d == 13 && m == 13)) then UNPREDICTABLE".
        if s {
            bad_reg(rd) || bad_reg(rm)
        } else {
            rd == PC || rm == PC || (rd == SP && rm == SP)
        }
    } else {
        // ADD/SUB (SP plus/minus register): "if d == 13 && (shift_t != SRType_LSL ||
        // shift_n > 3) then UNPREDICTABLE".
        let sp_shift =
            rule == AluRule::AddSub && rn == SP && rd == SP && (shift != Shift::Lsl || amount > 3);
        alu_registers_unpredictable(rule, rd, rn, Some(rm)) || sp_shift
    };
    if bad || bit(w, 15) {
        return unpredictable();
    }
    let setflags = s || matches!(rule, AluRule::TestLogical | AluRule::Compare);
    let kind = if unshifted {
        operand::REG
    } else {
        operand::SHIFTED
    };
    instr(
        alu_exec(alu_op, kind),
        Ops {
            rd,
            rn,
            rm,
            shift_type: shift as u8,
            shift_amount: amount,
            flags: if setflags { flags::SETFLAGS } else { 0 },
            ..Ops::default()
        },
    )
}

/// A5.3.18 Coprocessor instructions (op1 = hw1[9:4], coproc = hw2[11:8]). 00000x and 11xxxx
/// are UNDEFINED; every other row (STC, LDC, MCRR, MRRC, CDP, MCR, MRC and their "2" forms)
/// names a coprocessor. Coprocessors 10 and 11 are the FP extension, decoded before this
/// ([`crate::fp::decode32`]); one reaching here on a core with an FPU is an encoding the FP
/// extension does not define (UNDEFINED). Any other coprocessor, or 10/11 without an FPU, is
/// absent: UsageFault NOCP, which is what a Cortex-M does with e.g. `mrc p15, ...`.
fn coprocessor(w: u32, config: &Config) -> Instr {
    let op1 = bits(w, 25, 20);
    if op1 & 0b11_1110 == 0 || op1 & 0b11_0000 == 0b11_0000 {
        return undefined();
    }
    let coproc = bits(w, 11, 8);
    if (coproc == 10 || coproc == 11) && config.has_fpu() {
        return undefined();
    }
    instr(misc::no_coprocessor, Ops::default())
}
