//! The System Control Space as software on the Cortex-M0+ (`Config::cortex_m0plus()`) sees it:
//! the ARMv6-M register set (ARMv6-M ARM B3.2 SCB, B3.3 SysTick, B3.4 NVIC, B3.5 MPU), where
//! ARMv7-M's extra registers are reserved addresses, and word accesses only (B3.1.1).

mod support;
mod v6m_common;

use v6m_common::*;

/// Runs a program that first stores `writes` (address, value) with STR, then loads each of
/// `reads` with LDR into consecutive RAM words from 0x20000000; returns what it read.
fn software_view(writes: &[(u32, u32)], reads: &[u32]) -> Vec<u32> {
    let list = |pairs: &[u32]| -> String {
        pairs
            .iter()
            .map(|a| format!("0x{a:08X}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let flat: Vec<u32> = writes.iter().flat_map(|&(a, v)| [a, v]).collect();
    let program = program(
        &[],
        &format!(
            "_start:
    ldr r0, =writes
    movs r2, #{}
    cmp r2, #0
    beq reading
write:
    ldm r0!, {{r3, r4}}
    str r4, [r3]
    subs r2, #1
    bne write
reading:
    ldr r0, =reads
    ldr r1, =0x20000000
    movs r2, #{}
read:
    ldm r0!, {{r3}}
    ldr r3, [r3]
    stm r1!, {{r3}}
    subs r2, #1
    bne read
    bkpt #1
    .balign 4
writes:
    .word {}
reads:
    .word {}",
            writes.len(),
            reads.len(),
            if flat.is_empty() {
                "0".to_string()
            } else {
                list(&flat)
            },
            list(reads)
        ),
    );
    let (mut core, mut bus) = boot(&program);
    for i in 0..reads.len() as u32 {
        bus.ram[4 * i as usize..4 * i as usize + 4].copy_from_slice(&0xAAAA_AAAAu32.to_le_bytes());
    }
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    words(&mut bus, support::RAM, reads.len() as u32)
}

#[test]
fn identification_and_the_registers_armv6m_lacks() {
    let seen = software_view(
        &[],
        &[
            reg::CPUID,
            reg::ICTR,
            reg::ACTLR,
            reg::AIRCR,
            reg::CCR,
            reg::CFSR,
            reg::HFSR,
            reg::MMFAR,
            reg::BFAR,
            reg::CPACR,
            reg::FPCCR,
            reg::MVFR0,
            reg::SYST_CALIB,
            reg::MPU_TYPE,
        ],
    );
    assert_eq!(
        seen,
        [
            // Cortex-M0+ r0p1: implementer 0x41, variant 0, architecture 0xC (ARMv6-M),
            // part 0xC60, revision 1.
            0x410C_C601,
            // ICTR and ACTLR: not on the M0+.
            0,
            0,
            // AIRCR: VECTKEYSTAT 0xFA05, little-endian, no PRIGROUP.
            0xFA05_0000,
            // CCR: STKALIGN and UNALIGN_TRP read as one.
            0x0000_0208,
            // CFSR, HFSR, MMFAR, BFAR, CPACR, FPCCR, MVFR0: ARMv7-M's, reserved here.
            0,
            0,
            0,
            0,
            0,
            0,
            0,
            // SYST_CALIB as configured (0: no calibration value known for the G0B1).
            0,
            // MPU_TYPE: DREGION 8, unified.
            0x800,
        ]
    );
}

#[test]
fn writes_to_registers_that_are_fixed_or_absent_change_nothing() {
    let seen = software_view(
        &[
            (reg::CCR, 0),
            (reg::SHPR1, 0xFFFF_FFFF),
            // AIRCR with the key and PRIGROUP 5: no PRIGROUP on ARMv6-M.
            (reg::AIRCR, 0x05FA_0500),
            (reg::CFSR, 0xFFFF_FFFF),
            (reg::ACTLR, 0xFFFF_FFFF),
            // The MPU: region 2's RBAR, then a write to where ARMv7-M has the RBAR alias.
            (reg::MPU_RNR, 2),
            (reg::MPU_RBAR, 0x2000_0000),
            (reg::MPU_RBAR_A1, 0x3000_0000),
            // STIR (ARMv7-M) would pend IRQ 3.
            (reg::STIR, 3),
        ],
        &[
            reg::CCR,
            reg::SHPR1,
            reg::AIRCR,
            reg::CFSR,
            reg::ACTLR,
            reg::MPU_RBAR,
            reg::MPU_RBAR_A1,
            reg::ISPR,
        ],
    );
    assert_eq!(seen, [0x208, 0, 0xFA05_0000, 0, 0, 0x2000_0002, 0, 0]);
}

#[test]
fn priority_registers_keep_two_bits_and_only_existing_fields() {
    let seen = software_view(
        &[
            (reg::SHPR2, 0xFFFF_FFFF),
            (reg::SHPR3, 0xFFFF_FFFF),
            (reg::IPR0, 0xFFFF_FFFF),
            (reg::IPR0 + 0x1C, 0x7F3F_BF80),
            (reg::IPR0 + 0x20, 0xFFFF_FFFF),
            (reg::ISER, 0xFFFF_FFFF),
            (reg::ISER + 4, 0xFFFF_FFFF),
        ],
        &[
            reg::SHPR2,
            reg::SHPR3,
            reg::IPR0,
            reg::IPR0 + 0x1C,
            reg::IPR0 + 0x20,
            reg::ISER,
            reg::ISER + 4,
        ],
    );
    assert_eq!(
        seen,
        [
            // SHPR2: PRI_11 (SVCall) [31:30] only.
            0xC000_0000,
            // SHPR3: PRI_15 (SysTick) [31:30], PRI_14 (PendSV) [23:22].
            0xC0C0_0000,
            // NVIC_IPR0..7 hold IRQ 0–31, the top 2 bits of each byte.
            0xC0C0_C0C0,
            0x4000_8080,
            // No IRQ 32 and up.
            0,
            0xFFFF_FFFF,
            0,
        ]
    );
}

#[test]
fn byte_and_halfword_accesses_to_the_scs_do_nothing() {
    // ARMv6-M ARM B3.1.1: "The PPB address space only supports aligned word accesses. Byte and
    // halfword access is UNPREDICTABLE" (NVIC_IPR and SHPR included, unlike ARMv7-M). The
    // simulator does what Cortex-M0/M0+ parts are seen to do: the access reads zero and
    // writes nothing.
    let program = program(
        &[],
        "_start:
    ldr r0, =0xE000E400
    ldr r1, =0x40404040
    str r1, [r0]
    movs r2, #0xC0
    strb r2, [r0, #1]
    strh r2, [r0, #2]
    ldr r3, [r0]
    ldrb r4, [r0]
    ldrh r5, [r0, #2]
    ldr r0, =0xE000ED20
    strb r2, [r0, #3]
    ldr r6, [r0]
    ldr r0, =0xE000ED00
    ldrh r7, [r0, #2]
    bkpt #1",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 1);
    let r = &core.regs.r;
    assert_eq!(r[3], 0x4040_4040);
    assert_eq!((r[4], r[5], r[6], r[7]), (0, 0, 0, 0));
}

#[test]
fn unprivileged_code_cannot_reach_the_scs() {
    // With CONTROL.nPRIV set (the STM32G0's M0+ has the MPU, and with it unprivileged
    // execution), a load from the PPB is a bus error: HardFault (ARMv6-M ARM B3.1.1).
    let program = program(
        &[(HARD_FAULT, "hardfault")],
        "_start:
    movs r0, #1
    msr control, r0
    isb
    ldr r1, =0xE000ED00
faulting:
    ldr r2, [r1]
    bkpt #1
hardfault:
    mrs r3, msp
    ldr r3, [r3, #24]
    bkpt #3",
    );
    let (mut core, mut bus) = boot(&program);
    assert_eq!(run_to_bkpt(&mut core, &mut bus), 3);
    assert_eq!(core.regs.r[3], program.symbol("faulting"));
}
