//! Helpers shared by the integer instruction tests (`tests/int_*.rs`): cores of each kind,
//! running an assembled program to its BKPT, stepping raw encodings placed by hand, and
//! checking the exception entry of a fault, an SVC, or another exception an instruction raises.

#![allow(dead_code)]

use sim_core::{Arch, Bus, Config, Core, Fpu, Initiator, Stop, Trap};

use crate::support::{self, FaultTaken, FlatBus, Program, RAM, RAM_SIZE};

/// Where [`place`] puts hand-encoded instructions (in flash).
pub const CODE: u32 = 0x1000;

/// Cortex-M7 with FPv5-D16 (ARMv7E-M).
pub fn m7() -> Config {
    Config::cortex_m7_dp()
}

/// A Cortex-M3-like core: ARMv7-M without the DSP extension or an FPU.
pub fn v7m() -> Config {
    Config {
        arch: Arch::V7M,
        fpu: Fpu::None,
        mvfr: [0; 3],
        ..Config::cortex_m4f()
    }
}

/// A Cortex-M0+-like core: ARMv6-M.
pub fn v6m() -> Config {
    Config {
        arch: Arch::V6M,
        fpu: Fpu::None,
        mvfr: [0; 3],
        priority_bits: 2,
        bitband: false,
        ..Config::cortex_m4f()
    }
}

/// Assembles `src` for a Cortex-M7 and runs it to its BKPT.
pub fn run_m7(src: &str) -> (Core, FlatBus) {
    run(src, "cortex-m7", "fpv5-d16", m7())
}

/// Assembles `src` for `cpu`/`fpu`, boots a core of `config` and runs it to its BKPT.
pub fn run(src: &str, cpu: &str, fpu: &str, config: Config) -> (Core, FlatBus) {
    let program = support::assemble(src, cpu, fpu);
    let (mut core, mut bus) = support::boot(&program, config);
    support::run_to_bkpt(&mut core, &mut bus);
    (core, bus)
}

/// Assembles `src` for a Cortex-M7, runs it to its BKPT, and returns the program too (for
/// its symbols).
pub fn run_m7_program(src: &str) -> (support::Program, Core, FlatBus) {
    let program = support::assemble(src, "cortex-m7", "fpv5-d16");
    let (mut core, mut bus) = support::boot(&program, m7());
    support::run_to_bkpt(&mut core, &mut bus);
    (program, core, bus)
}

/// Assembles `src` for a Cortex-M7 and runs it until it stops; returns the stop.
pub fn run_m7_to_stop(src: &str) -> (Core, FlatBus, Stop) {
    let program = support::assemble(src, "cortex-m7", "fpv5-d16");
    let (mut core, mut bus) = support::boot(&program, m7());
    let stop = support::run_to_stop(&mut core, &mut bus, 100_000);
    (core, bus, stop)
}

/// Assembles `src` for a Cortex-M7 and runs it until it stops; returns the program too (for
/// its symbols).
pub fn run_m7_program_to_stop(src: &str) -> (Program, Core, FlatBus, Stop) {
    let program = support::assemble(src, "cortex-m7", "fpv5-d16");
    let (mut core, mut bus) = support::boot(&program, m7());
    let stop = support::run_to_stop(&mut core, &mut bus, 100_000);
    (program, core, bus, stop)
}

/// A core of `config` with `halfwords` placed at [`CODE`], PC there, SP at the top of RAM.
pub fn place(config: Config, halfwords: &[u16]) -> (Core, FlatBus) {
    let mut bus = FlatBus::new(&[]);
    for (i, hw) in halfwords.iter().enumerate() {
        bus.write(CODE + 2 * i as u32, u32::from(*hw), 2, Initiator::Debug)
            .expect("flash is writable by the debugger");
    }
    let mut core = Core::new(config);
    core.regs.r[13] = RAM + RAM_SIZE;
    core.regs.r[15] = CODE;
    (core, bus)
}

/// Executes the single instruction `halfwords` on a fresh core of `config`.
pub fn step_one(config: Config, halfwords: &[u16]) -> Result<(Core, FlatBus), Trap> {
    let (mut core, mut bus) = place(config, halfwords);
    core.step(&mut bus)?;
    Ok((core, bus))
}

/// The trap (if any) of executing `halfwords` on a fresh core of `config`.
pub fn trap_of(config: Config, halfwords: &[u16]) -> Option<Trap> {
    step_one(config, halfwords).err()
}

/// Splits a 32-bit encoding written as `hw1 << 16 | hw2` into its halfwords.
pub fn wide(encoding: u32) -> [u16; 2] {
    [(encoding >> 16) as u16, encoding as u16]
}

/// APSR flags as MRS reads them.
pub const N: u32 = 1 << 31;
pub const Z: u32 = 1 << 30;
pub const C: u32 = 1 << 29;
pub const V: u32 = 1 << 28;
pub const Q: u32 = 1 << 27;

/// Exception numbers (ARMv7-M ARM B1.5.2).
pub const HARD_FAULT: u16 = 3;
pub const SVCALL: u16 = 11;

/// CFSR bits (B3.2.15): BFSR.PRECISERR and BFARVALID; UFSR.UNDEFINSTR, INVSTATE, NOCP,
/// UNALIGNED, DIVBYZERO.
pub const PRECISERR: u32 = 1 << 9;
pub const BFARVALID: u32 = 1 << 15;
pub const UNDEFINSTR: u32 = 1 << 16;
pub const INVSTATE: u32 = 1 << 17;
pub const NOCP: u32 = 1 << 19;
pub const UNALIGNED: u32 = 1 << 24;
pub const DIVBYZERO: u32 = 1 << 25;
/// HFSR.FORCED (B3.2.16): a configurable fault escalated to HardFault (the test cores leave
/// SHCSR's fault enables at their reset value, clear).
pub const FORCED: u32 = 1 << 30;
/// BFAR (B3.2.18).
pub const BFAR: u32 = 0xE000_ED38;
/// EPSR.T in xPSR (B1.4.2).
pub const EPSR_T: u32 = 1 << 24;
/// EXC_RETURN to Thread mode on the main stack with a basic frame (B1.5.8).
pub const EXC_RETURN_THREAD_MSP: u32 = 0xFFFF_FFF9;
/// CCR.STKALIGN (B3.2.8): frames 8-byte aligned.
const STKALIGN: u32 = 1 << 9;
/// xPSR bit 9 of a stacked frame: a padding word realigned it (B1.5.7).
const FRAME_REALIGNED: u32 = 1 << 9;

/// The registers exception entry stacks or changes, as they were before an instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    pub r: [u32; 16],
    pub xpsr: u32,
}

impl Snapshot {
    pub fn of(core: &Core) -> Snapshot {
        Snapshot {
            r: core.regs.r,
            xpsr: core.regs.xpsr(),
        }
    }
}

/// Assembles for `cpu`/`fpu` a program that runs `setup`, then `bkpt #1`, then `rest`; boots a
/// core of `config`, runs it to that BKPT, steps the PC over it and leaves Debug state. Returns
/// the program, the core and bus ready to run `rest`'s first instruction, and the registers
/// there.
pub fn stopped_before(
    setup: &str,
    rest: &str,
    cpu: &str,
    fpu: &str,
    config: Config,
) -> (Program, Core, FlatBus, Snapshot) {
    let program = support::assemble(
        &format!("_start:\n{setup}\n    bkpt #1\n{rest}\n"),
        cpu,
        fpu,
    );
    let (mut core, mut bus) = support::boot(&program, config);
    support::run_to_bkpt(&mut core, &mut bus);
    // Over the 16-bit BKPT, as a debugger does before it resumes.
    core.regs.r[15] += 2;
    support::resume(&mut core, &mut bus);
    let before = Snapshot::of(&core);
    (program, core, bus, before)
}

/// [`stopped_before`] for a Cortex-M7.
pub fn m7_before(setup: &str, rest: &str) -> (Program, Core, FlatBus, Snapshot) {
    stopped_before(setup, rest, "cortex-m7", "fpv5-d16", m7())
}

/// Runs `core`, which is on the instruction `before` was taken at, until that instruction
/// faults; checks the exception entry (see [`assert_exception_entry`]: no register but SP, LR
/// and PC changed, the frame holds the old values with the faulting instruction as return
/// address) and returns the fault for the caller to check its kind.
pub fn run_into_fault(core: &mut Core, bus: &mut FlatBus, before: &Snapshot) -> FaultTaken {
    let fault = support::run_to_fault(core, bus);
    assert_eq!(
        fault.pc, before.r[15],
        "the return address is the faulting instruction ({fault})"
    );
    assert_exception_entry(
        core,
        bus,
        fault.exception,
        before,
        before.r[15],
        before.xpsr,
    );
    fault
}

/// Checks that `core` has just entered `exception` from Thread mode on the main stack, with
/// no FP context, when its registers were `before` (B1.5.6 ExceptionEntry and PushStack, B1.5.7 stack alignment):
/// R0–R12 are unchanged; SP moved down by the 0x20-byte basic frame (and to an 8-byte
/// boundary under CCR.STKALIGN); LR is EXC_RETURN 0xFFFFFFF9; IPSR is the exception; the PC is
/// its vector; the frame holds R0–R3, R12, LR, `return_address` and `xpsr` (bit 9 set when a
/// padding word realigned the frame).
pub fn assert_exception_entry(
    core: &mut Core,
    bus: &mut FlatBus,
    exception: u16,
    before: &Snapshot,
    return_address: u32,
    xpsr: u32,
) {
    assert_eq!(
        &core.regs.r[..13],
        &before.r[..13],
        "R0-R12 unchanged by the instruction and the entry"
    );
    let sp = before.r[13];
    let aligned = core.sys.ccr & STKALIGN != 0;
    let realigned = aligned && sp & 4 != 0;
    let frame = if aligned {
        sp.wrapping_sub(0x20) & !7
    } else {
        sp.wrapping_sub(0x20)
    };
    assert_eq!(core.regs.r[13], frame, "SP moved by the frame");
    assert_eq!(core.regs.r[14], EXC_RETURN_THREAD_MSP, "LR = EXC_RETURN");
    assert_eq!(core.regs.ipsr, exception, "IPSR");
    let vector = bus.word((core.sys.vtor & !0x7F) + 4 * u32::from(exception));
    assert_eq!(core.pc(), vector & !1, "PC = the handler");
    let stacked: Vec<u32> = (0..8).map(|i| bus.word(frame + 4 * i)).collect();
    let r = &before.r;
    let xpsr = if realigned {
        xpsr | FRAME_REALIGNED
    } else {
        xpsr
    };
    assert_eq!(
        stacked,
        [r[0], r[1], r[2], r[3], r[12], r[14], return_address, xpsr],
        "the frame: R0-R3, R12, LR, return address, xPSR"
    );
}

/// The fault's CFSR and HFSR: `cfsr` escalated to HardFault (HFSR.FORCED), as the test
/// cores take every configurable fault.
pub fn assert_forced(fault: &FaultTaken, cfsr: u32) {
    assert_eq!(
        (fault.exception, fault.cfsr, fault.hfsr),
        (HARD_FAULT, cfsr, FORCED),
        "{fault}"
    );
}

/// A precise data bus error at `address` (BFSR.PRECISERR with BFAR valid, B3.2.15, B3.2.18),
/// escalated to HardFault.
pub fn assert_precise_bus_error(
    core: &mut Core,
    bus: &mut FlatBus,
    fault: &FaultTaken,
    address: u32,
) {
    assert_forced(fault, PRECISERR | BFARVALID);
    assert_eq!(core.debug_read(bus, BFAR, 4), Ok(address), "BFAR");
}
