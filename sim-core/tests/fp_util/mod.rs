//! Shared by the `fp_*` tests: a core with one assembled instruction per label, executed one at
//! a time with `Core::step` after the registers are set from Rust (the integer instructions a
//! whole program would need are written in parallel on another branch).

#![allow(dead_code)]

#[path = "../support/mod.rs"]
mod support;

#[allow(unused_imports)]
pub use support::{assemble, boot, FlatBus, Program, RAM, RAM_SIZE};

use sim_core::fp::context::cpacr;
use sim_core::{Config, Core, Executed, Trap};

/// CPACR with CP10 and CP11 at full access.
pub const CPACR_FULL: u32 = (cpacr::FULL << cpacr::CP10_SHIFT) | (cpacr::FULL << cpacr::CP11_SHIFT);

/// Which core and FPU the program is assembled for and runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    /// Cortex-M7, FPv5-D16 with double precision.
    M7,
    /// Cortex-M4F, FPv4-SP-D16.
    M4,
}

impl Variant {
    pub fn config(self) -> Config {
        match self {
            Variant::M7 => Config::cortex_m7_dp(),
            Variant::M4 => Config::cortex_m4f(),
        }
    }

    fn cpu_fpu(self) -> (&'static str, &'static str) {
        match self {
            Variant::M7 => ("cortex-m7", "fpv5-d16"),
            Variant::M4 => ("cortex-m4", "fpv4-sp-d16"),
        }
    }
}

/// A core reset into a program of labelled instructions, FP access enabled, automatic FP state
/// preservation off (so FPSCR keeps what a test writes), not in an IT block.
pub struct Bench {
    pub core: Core,
    pub bus: FlatBus,
    pub program: Program,
}

impl Bench {
    /// `body` is assembly with labels; `_start:` is added in front.
    pub fn new(variant: Variant, body: &str) -> Bench {
        let (cpu, fpu) = variant.cpu_fpu();
        let program = assemble(&format!("_start:\n{body}\n    bkpt #0\n"), cpu, fpu);
        let (mut core, bus) = support::boot(&program, variant.config());
        core.sys.cpacr = CPACR_FULL;
        core.sys.fpccr = 0;
        Bench { core, bus, program }
    }

    /// Executes the instruction at `label` once (the PC is moved there first).
    pub fn step_at(&mut self, label: &str) -> Result<Executed, Trap> {
        self.core.regs.r[15] = self.program.symbol(label);
        self.core.step(&mut self.bus)
    }

    pub fn address(&self, label: &str) -> u32 {
        self.program.symbol(label)
    }
}

/// A binary32 bit pattern from a host float (only for readable test values; the simulator's
/// results are never computed on the host).
pub fn f32_bits(value: f32) -> u32 {
    value.to_bits()
}

pub fn f64_bits(value: f64) -> u64 {
    value.to_bits()
}
