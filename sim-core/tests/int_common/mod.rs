//! Helpers shared by the integer instruction tests (`tests/int_*.rs`): cores of each kind,
//! running an assembled program to its BKPT, and stepping raw encodings placed by hand.

#![allow(dead_code)]

use sim_core::{Arch, Bus, Config, Core, Fpu, Initiator, Stop, Trap};

use crate::support::{self, FlatBus, RAM, RAM_SIZE};

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
