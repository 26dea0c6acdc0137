//! The 16-bit Thumb instructions (ARMv7-M ARM A5.2; ARMv6-M ARM A5.2).
//!
//! The decoder follows the manual's tables: [`decode`] is the table of A5.2 (opcode = bits 15:10),
//! and each function below is one of the sub-tables A5.2.1–A5.2.6 with its rows in the
//! manual's order. Execution is in [`crate::int`].
//!
//! ARMv6-M has the same 16-bit encodings except CBZ, CBNZ and IT (UNDEFINED there) and CPS
//! with F (its CPS has only PRIMASK). It has no IT blocks, so "sets flags outside an IT block"
//! means always.

// Binary literals are grouped as the manual's tables split their opcode columns.
#![allow(clippy::unusual_byte_groupings)]

use crate::alu::{decode_imm_shift, Shift};
use crate::config::{Arch, Config};
use crate::instr::{flags, ExecFn, Instr, Ops};
use crate::int::data::{self, extend_kind, op, operand};
use crate::int::load_store::{self, mode, size};
use crate::int::{access, branch, misc, multiple, multiply};

const LEN: u8 = 2;

/// Bits `hi..=lo` of `hw`.
#[inline]
fn bits(hw: u16, hi: u32, lo: u32) -> u32 {
    (u32::from(hw) >> lo) & ((1 << (hi - lo + 1)) - 1)
}

#[inline]
fn bit(hw: u16, n: u32) -> bool {
    (hw >> n) & 1 != 0
}

/// Low register field (3 bits) at `lo`.
#[inline]
fn reg3(hw: u16, lo: u32) -> u8 {
    bits(hw, lo + 2, lo) as u8
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

/// The access kind of a word or halfword load/store: MemU on ARMv7-M, aligned only on ARMv6-M.
fn unaligned_access(config: &Config) -> u8 {
    if config.arch == Arch::V6M {
        access::ALIGNED
    } else {
        access::UNALIGNED
    }
}

/// A5.2 16-bit Thumb instruction encoding, by opcode = bits 15:10.
pub fn decode(hw: u16, config: &Config) -> Instr {
    match bits(hw, 15, 10) {
        0b00_0000..=0b00_1111 => shift_add_subtract_move_compare(hw),
        0b01_0000 => data_processing(hw),
        0b01_0001 => special_data_and_branch_exchange(hw),
        0b01_0010 | 0b01_0011 => load_literal(hw, config),
        0b01_0100..=0b10_0111 => load_store_single(hw, config),
        0b10_1000 | 0b10_1001 => adr(hw),
        0b10_1010 | 0b10_1011 => add_sp_immediate(hw),
        0b10_1100..=0b10_1111 => miscellaneous(hw, config),
        0b11_0000 | 0b11_0001 => store_multiple(hw),
        0b11_0010 | 0b11_0011 => load_multiple(hw),
        0b11_0100..=0b11_0111 => conditional_branch_and_supervisor_call(hw),
        0b11_1000 | 0b11_1001 => unconditional_branch(hw),
        // 0b11101x, 0b1111xx are the first halfwords of 32-bit instructions, which never
        // reach this decoder.
        _ => undefined(),
    }
}

/// A 16-bit ALU instruction that sets the flags outside an IT block.
fn alu_outside_it(exec: ExecFn, ops: Ops) -> Instr {
    instr(
        exec,
        Ops {
            flags: flags::SETFLAGS_OUTSIDE_IT,
            ..ops
        },
    )
}

/// A5.2.1 Shift (immediate), add, subtract, move, and compare (opcode = bits 13:9).
fn shift_add_subtract_move_compare(hw: u16) -> Instr {
    let rd = reg3(hw, 0);
    let rn = reg3(hw, 3);
    let imm5 = bits(hw, 10, 6) as u8;
    let shifted = |type_bits: u8| {
        let (shift, amount) = decode_imm_shift(type_bits, imm5);
        alu_outside_it(
            data::alu::<{ op::MOV }, { operand::SHIFTED }>,
            Ops {
                rd,
                rm: rn,
                shift_type: shift as u8,
                shift_amount: amount,
                ..Ops::default()
            },
        )
    };
    let rdn8 = reg3(hw, 8);
    let imm8 = bits(hw, 7, 0);
    match bits(hw, 13, 9) {
        // LSL (immediate) T1; imm5 == 0 is MOV (register) T2 (MOVS Rd, Rm).
        0b000_00..=0b000_11 if imm5 == 0 => instr(
            data::movs_t2,
            Ops {
                rd,
                rm: rn,
                ..Ops::default()
            },
        ),
        0b000_00..=0b000_11 => shifted(Shift::Lsl as u8),
        0b001_00..=0b001_11 => shifted(Shift::Lsr as u8),
        0b010_00..=0b010_11 => shifted(Shift::Asr as u8),
        // ADD / SUB (register) T1.
        0b011_00 | 0b011_01 => {
            let ops = Ops {
                rd,
                rn,
                rm: reg3(hw, 6),
                ..Ops::default()
            };
            if bit(hw, 9) {
                alu_outside_it(data::alu::<{ op::SUB }, { operand::REG }>, ops)
            } else {
                alu_outside_it(data::alu::<{ op::ADD }, { operand::REG }>, ops)
            }
        }
        // ADD / SUB (immediate) T1, imm3.
        0b011_10 | 0b011_11 => {
            let ops = Ops {
                rd,
                rn,
                imm: bits(hw, 8, 6),
                ..Ops::default()
            };
            if bit(hw, 9) {
                alu_outside_it(data::alu::<{ op::SUB }, { operand::IMM }>, ops)
            } else {
                alu_outside_it(data::alu::<{ op::ADD }, { operand::IMM }>, ops)
            }
        }
        // MOV (immediate) T1: the carry is unchanged (imm_carry::KEEP).
        0b100_00..=0b100_11 => alu_outside_it(
            data::alu::<{ op::MOV }, { operand::IMM }>,
            Ops {
                rd: rdn8,
                imm: imm8,
                ..Ops::default()
            },
        ),
        // CMP (immediate) T1: always sets the flags.
        0b101_00..=0b101_11 => instr(
            data::alu::<{ op::CMP }, { operand::IMM }>,
            Ops {
                rn: rdn8,
                imm: imm8,
                flags: flags::SETFLAGS,
                ..Ops::default()
            },
        ),
        // ADD / SUB (immediate) T2, Rdn and imm8.
        0b110_00..=0b110_11 => alu_outside_it(
            data::alu::<{ op::ADD }, { operand::IMM }>,
            Ops {
                rd: rdn8,
                rn: rdn8,
                imm: imm8,
                ..Ops::default()
            },
        ),
        _ => alu_outside_it(
            data::alu::<{ op::SUB }, { operand::IMM }>,
            Ops {
                rd: rdn8,
                rn: rdn8,
                imm: imm8,
                ..Ops::default()
            },
        ),
    }
}

/// A5.2.2 Data processing (opcode = bits 9:6), Rdn in bits 2:0 and Rm in bits 5:3.
fn data_processing(hw: u16) -> Instr {
    let rdn = reg3(hw, 0);
    let rm = reg3(hw, 3);
    // The two-operand form "Rdn = Rdn op Rm".
    let binary = Ops {
        rd: rdn,
        rn: rdn,
        rm,
        ..Ops::default()
    };
    let compare = Ops {
        rn: rdn,
        rm,
        flags: flags::SETFLAGS,
        ..Ops::default()
    };
    // The register-controlled shifts: Rdn shifted by Rm.
    let shift = Ops {
        rd: rdn,
        rn: rdn,
        rm,
        ..Ops::default()
    };
    match bits(hw, 9, 6) {
        0b0000 => alu_outside_it(data::alu::<{ op::AND }, { operand::REG }>, binary),
        0b0001 => alu_outside_it(data::alu::<{ op::EOR }, { operand::REG }>, binary),
        0b0010 => alu_outside_it(data::shift_by_register::<{ Shift::Lsl as u8 }>, shift),
        0b0011 => alu_outside_it(data::shift_by_register::<{ Shift::Lsr as u8 }>, shift),
        0b0100 => alu_outside_it(data::shift_by_register::<{ Shift::Asr as u8 }>, shift),
        0b0101 => alu_outside_it(data::alu::<{ op::ADC }, { operand::REG }>, binary),
        0b0110 => alu_outside_it(data::alu::<{ op::SBC }, { operand::REG }>, binary),
        0b0111 => alu_outside_it(data::shift_by_register::<{ Shift::Ror as u8 }>, shift),
        0b1000 => instr(data::alu::<{ op::TST }, { operand::REG }>, compare),
        // RSB (immediate) T1: RSBS Rd, Rn, #0 (Rn in bits 5:3).
        0b1001 => alu_outside_it(
            data::alu::<{ op::RSB }, { operand::IMM }>,
            Ops {
                rd: rdn,
                rn: rm,
                imm: 0,
                ..Ops::default()
            },
        ),
        0b1010 => instr(data::alu::<{ op::CMP }, { operand::REG }>, compare),
        0b1011 => instr(data::alu::<{ op::CMN }, { operand::REG }>, compare),
        0b1100 => alu_outside_it(data::alu::<{ op::ORR }, { operand::REG }>, binary),
        // MUL T1: MULS Rdm, Rn, Rdm.
        0b1101 => alu_outside_it(
            multiply::mul,
            Ops {
                rd: rdn,
                rn: rm,
                rm: rdn,
                ..Ops::default()
            },
        ),
        0b1110 => alu_outside_it(data::alu::<{ op::BIC }, { operand::REG }>, binary),
        _ => alu_outside_it(
            data::alu::<{ op::MVN }, { operand::REG }>,
            Ops {
                rd: rdn,
                rm,
                ..Ops::default()
            },
        ),
    }
}

/// A5.2.3 Special data instructions and branch and exchange (opcode = bits 9:6). The
/// registers are 4 bits: D:Rd (bit 7, bits 2:0) and Rm (bits 6:3).
fn special_data_and_branch_exchange(hw: u16) -> Instr {
    let rdn = (u8::from(bit(hw, 7)) << 3) | reg3(hw, 0);
    let rm = bits(hw, 6, 3) as u8;
    match bits(hw, 9, 6) {
        // ADD (register) T2, incl. ADD (SP plus register) T1/T2: no flags.
        0b0000..=0b0011 => {
            if rdn == 15 && rm == 15 {
                unpredictable()
            } else if rdn == 15 {
                instr(
                    data::add_to_pc,
                    Ops {
                        rm,
                        ..Ops::default()
                    },
                )
            } else {
                instr(
                    data::alu::<{ op::ADD }, { operand::REG }>,
                    Ops {
                        rd: rdn,
                        rn: rdn,
                        rm,
                        ..Ops::default()
                    },
                )
            }
        }
        // CMP (register) T2: both low registers, or either one the PC, is UNPREDICTABLE
        // (0b0100 is the both-low row of the table).
        0b0100..=0b0111 => {
            if (rdn < 8 && rm < 8) || rdn == 15 || rm == 15 {
                unpredictable()
            } else {
                instr(
                    data::alu::<{ op::CMP }, { operand::REG }>,
                    Ops {
                        rn: rdn,
                        rm,
                        flags: flags::SETFLAGS,
                        ..Ops::default()
                    },
                )
            }
        }
        // MOV (register) T1: no flags; to the PC it is a branch (ALUWritePC).
        0b1000..=0b1011 => {
            if rdn == 15 {
                instr(
                    data::mov_to_pc,
                    Ops {
                        rm,
                        ..Ops::default()
                    },
                )
            } else {
                instr(
                    data::alu::<{ op::MOV }, { operand::REG }>,
                    Ops {
                        rd: rdn,
                        rm,
                        ..Ops::default()
                    },
                )
            }
        }
        // BX / BLX (register): bits 2:0 are (0)(0)(0); BLX PC is UNPREDICTABLE.
        opcode => {
            let link = opcode & 0b0010 != 0;
            if bits(hw, 2, 0) != 0 || (link && rm == 15) {
                return unpredictable();
            }
            let ops = Ops {
                rm,
                ..Ops::default()
            };
            if link {
                instr(branch::blx, ops)
            } else {
                instr(branch::bx, ops)
            }
        }
    }
}

/// LDR (literal) T1: Rt = bits 10:8, offset imm8 × 4 from Align(PC, 4).
fn load_literal(hw: u16, config: &Config) -> Instr {
    instr(
        load_store::load::<{ size::WORD }, { mode::LITERAL }>,
        Ops {
            rd: reg3(hw, 8),
            imm: bits(hw, 7, 0) << 2,
            extra: unaligned_access(config),
            ..Ops::default()
        },
    )
}

/// A5.2.4 Load/store single data item (opA = bits 15:12, opB = bits 11:9).
fn load_store_single(hw: u16, config: &Config) -> Instr {
    let rt = reg3(hw, 0);
    let rn = reg3(hw, 3);
    let unaligned = unaligned_access(config);
    let opa = bits(hw, 15, 12);
    let opb = bits(hw, 11, 9);
    if opa == 0b0101 {
        // Register offset, no shift.
        let ops = Ops {
            rd: rt,
            rn,
            rm: reg3(hw, 6),
            extra: unaligned,
            ..Ops::default()
        };
        let byte = Ops {
            extra: access::UNALIGNED,
            ..ops
        };
        return match opb {
            0b000 => instr(load_store::store::<{ size::WORD }, { mode::REG }>, ops),
            0b001 => instr(load_store::store::<{ size::HALF }, { mode::REG }>, ops),
            0b010 => instr(load_store::store::<{ size::BYTE }, { mode::REG }>, byte),
            0b011 => instr(
                load_store::load::<{ size::SIGNED_BYTE }, { mode::REG }>,
                byte,
            ),
            0b100 => instr(load_store::load::<{ size::WORD }, { mode::REG }>, ops),
            0b101 => instr(load_store::load::<{ size::HALF }, { mode::REG }>, ops),
            0b110 => instr(load_store::load::<{ size::BYTE }, { mode::REG }>, byte),
            _ => instr(
                load_store::load::<{ size::SIGNED_HALF }, { mode::REG }>,
                ops,
            ),
        };
    }
    let load = opb & 0b100 != 0;
    let imm5 = bits(hw, 10, 6);
    let (exec, ops): (ExecFn, Ops) = match opa {
        // STR / LDR (immediate) T1: imm5 × 4.
        0b0110 => (
            if load {
                load_store::load::<{ size::WORD }, { mode::OFFSET }>
            } else {
                load_store::store::<{ size::WORD }, { mode::OFFSET }>
            },
            Ops {
                rd: rt,
                rn,
                imm: imm5 << 2,
                extra: unaligned,
                ..Ops::default()
            },
        ),
        // STRB / LDRB (immediate) T1: imm5.
        0b0111 => (
            if load {
                load_store::load::<{ size::BYTE }, { mode::OFFSET }>
            } else {
                load_store::store::<{ size::BYTE }, { mode::OFFSET }>
            },
            Ops {
                rd: rt,
                rn,
                imm: imm5,
                extra: access::UNALIGNED,
                ..Ops::default()
            },
        ),
        // STRH / LDRH (immediate) T1: imm5 × 2.
        0b1000 => (
            if load {
                load_store::load::<{ size::HALF }, { mode::OFFSET }>
            } else {
                load_store::store::<{ size::HALF }, { mode::OFFSET }>
            },
            Ops {
                rd: rt,
                rn,
                imm: imm5 << 1,
                extra: unaligned,
                ..Ops::default()
            },
        ),
        // STR / LDR (immediate) T2, SP-relative: Rt = bits 10:8, imm8 × 4.
        _ => (
            if load {
                load_store::load::<{ size::WORD }, { mode::OFFSET }>
            } else {
                load_store::store::<{ size::WORD }, { mode::OFFSET }>
            },
            Ops {
                rd: reg3(hw, 8),
                rn: 13,
                imm: bits(hw, 7, 0) << 2,
                extra: unaligned,
                ..Ops::default()
            },
        ),
    };
    instr(exec, ops)
}

/// ADR T1: Rd = Align(PC, 4) + imm8 × 4.
fn adr(hw: u16) -> Instr {
    instr(
        data::adr,
        Ops {
            rd: reg3(hw, 8),
            imm: bits(hw, 7, 0) << 2,
            ..Ops::default()
        },
    )
}

/// ADD (SP plus immediate) T1: Rd = SP + imm8 × 4, no flags.
fn add_sp_immediate(hw: u16) -> Instr {
    instr(
        data::alu::<{ op::ADD }, { operand::IMM }>,
        Ops {
            rd: reg3(hw, 8),
            rn: 13,
            imm: bits(hw, 7, 0) << 2,
            ..Ops::default()
        },
    )
}

/// A5.2.5 Miscellaneous 16-bit instructions (opcode = bits 11:5).
fn miscellaneous(hw: u16, config: &Config) -> Instr {
    let v6m = config.arch == Arch::V6M;
    let opcode = bits(hw, 11, 5);
    let rd = reg3(hw, 0);
    let rm = reg3(hw, 3);
    let extend = |exec: ExecFn| {
        instr(
            exec,
            Ops {
                rd,
                rm,
                ..Ops::default()
            },
        )
    };
    match opcode {
        // ADD (SP plus immediate) T2 / SUB (SP minus immediate) T1: SP ± imm7 × 4.
        0b000_0000..=0b000_0111 => {
            let ops = Ops {
                rd: 13,
                rn: 13,
                imm: bits(hw, 6, 0) << 2,
                ..Ops::default()
            };
            if opcode & 0b100 == 0 {
                instr(data::alu::<{ op::ADD }, { operand::IMM }>, ops)
            } else {
                instr(data::alu::<{ op::SUB }, { operand::IMM }>, ops)
            }
        }
        // CBZ / CBNZ: 1011 op 0 i 1 imm5 Rn (ARMv7-M only).
        _ if opcode & 0b010_1000 == 0b000_1000 => {
            if v6m {
                return undefined();
            }
            let ops = Ops {
                rn: rd,
                imm: (u32::from(bit(hw, 9)) << 6) | (bits(hw, 7, 3) << 1),
                ..Ops::default()
            };
            if bit(hw, 11) {
                instr(branch::compare_branch::<true>, ops)
            } else {
                instr(branch::compare_branch::<false>, ops)
            }
        }
        0b001_0000 | 0b001_0001 => extend(data::extend::<{ extend_kind::SXTH }>),
        0b001_0010 | 0b001_0011 => extend(data::extend::<{ extend_kind::SXTB }>),
        0b001_0100 | 0b001_0101 => extend(data::extend::<{ extend_kind::UXTH }>),
        0b001_0110 | 0b001_0111 => extend(data::extend::<{ extend_kind::UXTB }>),
        // PUSH T1: registers = '0':M:'000000':register_list.
        0b010_0000..=0b010_1111 => {
            let list = (u32::from(bit(hw, 8)) << 14) | bits(hw, 7, 0);
            if list == 0 {
                return unpredictable();
            }
            instr(
                multiple::store_multiple::<true>,
                Ops {
                    rn: 13,
                    imm: list,
                    flags: multiple::WBACK,
                    ..Ops::default()
                },
            )
        }
        // CPS: 1011 0110 011 im (0) (0) I F (ARMv6-M: I only, F is (0)).
        0b011_0011 => change_processor_state(hw, v6m),
        0b101_0000 | 0b101_0001 => extend(data::rev),
        0b101_0010 | 0b101_0011 => extend(data::rev16),
        0b101_0110 | 0b101_0111 => extend(data::revsh),
        // POP T1: registers = P:'0000000':register_list.
        0b110_0000..=0b110_1111 => {
            let list = (u32::from(bit(hw, 8)) << 15) | bits(hw, 7, 0);
            if list == 0 {
                return unpredictable();
            }
            instr(
                multiple::load_multiple::<false>,
                Ops {
                    rn: 13,
                    imm: list,
                    flags: multiple::WBACK,
                    ..Ops::default()
                },
            )
        }
        0b111_0000..=0b111_0111 => Instr {
            unconditional: true,
            ..instr(
                misc::bkpt,
                Ops {
                    imm: bits(hw, 7, 0),
                    ..Ops::default()
                },
            )
        },
        0b111_1000..=0b111_1111 => if_then_and_hints(hw, v6m),
        // Among others 0xBA80–0xBABF (bits 11:6 = 101010), UNDEFINED on ARMv7-M and ARMv6-M.
        _ => undefined(),
    }
}

/// CPS (ARMv7-M ARM B5.2.1; the ARMv6-M form has only PRIMASK).
fn change_processor_state(hw: u16, v6m: bool) -> Instr {
    if bits(hw, 3, 2) != 0 {
        return unpredictable();
    }
    let (i, f) = (bit(hw, 1), bit(hw, 0));
    // ARMv7-M: "if I == '0' && F == '0' then UNPREDICTABLE"; ARMv6-M: bits 1:0 are (1)(0).
    let unpredictable_fields = if v6m { !i || f } else { !i && !f };
    if unpredictable_fields {
        return unpredictable();
    }
    let mut imm = 0;
    if bit(hw, 4) {
        imm |= misc::cps::DISABLE;
    }
    if i {
        imm |= misc::cps::I;
    }
    if f {
        imm |= misc::cps::F;
    }
    instr(
        misc::change_state,
        Ops {
            imm,
            ..Ops::default()
        },
    )
}

/// If-Then, and hints (the last rows of A5.2.5): opA = bits 7:4, opB = bits 3:0.
fn if_then_and_hints(hw: u16, v6m: bool) -> Instr {
    let first_cond = bits(hw, 7, 4);
    let mask = bits(hw, 3, 0);
    if mask != 0 {
        if v6m {
            return undefined();
        }
        // "if firstcond == '1111' || (firstcond == '1110' && BitCount(mask) != 1)".
        if first_cond == 0b1111 || (first_cond == 0b1110 && mask.count_ones() != 1) {
            return unpredictable();
        }
        let mut it = instr(
            branch::it,
            Ops {
                imm: (first_cond << 4) | mask,
                ..Ops::default()
            },
        );
        it.is_it = true;
        return it;
    }
    let exec: ExecFn = match first_cond {
        0b0010 => misc::wfe,
        0b0011 => misc::wfi,
        0b0100 => misc::sev,
        // NOP, YIELD, and the unallocated hints, which execute as NOPs.
        _ => misc::nop,
    };
    instr(exec, Ops::default())
}

/// STM T1: STMIA Rn!, {list} (always writeback).
fn store_multiple(hw: u16) -> Instr {
    let list = bits(hw, 7, 0);
    if list == 0 {
        return unpredictable();
    }
    instr(
        multiple::store_multiple::<false>,
        Ops {
            rn: reg3(hw, 8),
            imm: list,
            flags: multiple::WBACK,
            ..Ops::default()
        },
    )
}

/// LDM T1: LDMIA Rn{!}, {list}; writeback when Rn is not in the list.
fn load_multiple(hw: u16) -> Instr {
    let rn = reg3(hw, 8);
    let list = bits(hw, 7, 0);
    if list == 0 {
        return unpredictable();
    }
    let wback = if list & (1 << rn) == 0 {
        multiple::WBACK
    } else {
        0
    };
    instr(
        multiple::load_multiple::<false>,
        Ops {
            rn,
            imm: list,
            flags: wback,
            ..Ops::default()
        },
    )
}

/// A5.2.6 Conditional branch, and Supervisor Call (opcode = bits 11:8).
fn conditional_branch_and_supervisor_call(hw: u16) -> Instr {
    let imm8 = bits(hw, 7, 0);
    match bits(hw, 11, 8) {
        // UDF T1: permanently UNDEFINED.
        0b1110 => undefined(),
        0b1111 => instr(
            misc::svc,
            Ops {
                imm: imm8,
                ..Ops::default()
            },
        ),
        cond => {
            let mut b = instr(
                branch::b_cond,
                Ops {
                    imm: sign_extend(imm8 << 1, 9),
                    ..Ops::default()
                },
            );
            b.cond = cond as u8;
            b
        }
    }
}

/// B T2: imm11 × 2, signed.
fn unconditional_branch(hw: u16) -> Instr {
    instr(
        branch::b,
        Ops {
            imm: sign_extend(bits(hw, 10, 0) << 1, 12),
            ..Ops::default()
        },
    )
}
