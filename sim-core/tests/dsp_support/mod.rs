//! Test bench for single DSP instructions: the instructions are assembled once by the stock
//! `arm-none-eabi-as -mcpu=cortex-m7`, each at its own label; a case sets registers and APSR
//! from Rust, places the PC on one instruction, executes it with `Core::step`, and hands back
//! the core to be checked.

#![allow(dead_code)]

use crate::support::{assemble, boot, FlatBus};
use sim_core::regs::psr;
use sim_core::{Config, Core, Executed};

/// xPSR bits the DSP instructions never touch: N, Z, C, V (and Q when it is already set).
pub const NZCV: u32 = psr::NZCV;

pub struct Bench {
    pub core: Core,
    pub bus: FlatBus,
    addresses: Vec<u32>,
    lines: Vec<String>,
}

impl Bench {
    /// Assembles `lines` (one instruction each) for a Cortex-M7 and boots a Cortex-M7 core.
    pub fn new(lines: &[&str]) -> Bench {
        Bench::for_core(lines, "cortex-m7", "fpv5-d16", Config::cortex_m7_dp())
    }

    pub fn for_core(lines: &[&str], cpu: &str, fpu: &str, config: Config) -> Bench {
        let mut body = String::from("_start:\n");
        for (i, line) in lines.iter().enumerate() {
            body.push_str(&format!("i{i}:\n    {line}\n"));
        }
        body.push_str("    bkpt #0\n");
        let program = assemble(&body, cpu, fpu);
        let addresses = (0..lines.len())
            .map(|i| program.symbol(&format!("i{i}")))
            .collect();
        let (core, bus) = boot(&program, config);
        Bench {
            core,
            bus,
            addresses,
            lines: lines.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The index of an instruction by its text.
    pub fn index(&self, line: &str) -> usize {
        self.lines
            .iter()
            .position(|l| l == line)
            .unwrap_or_else(|| panic!("{line} is not on the bench"))
    }

    /// Executes instruction `index` with registers `regs` (others zero) and APSR `apsr`, in
    /// Thread mode outside an IT block; checks that it completed as one 32-bit instruction
    /// and returns the core.
    pub fn exec(&mut self, index: usize, regs: &[(usize, u32)], apsr: u32) -> &Core {
        self.exec_with(index, regs, &|core| core.regs.apsr = apsr)
    }

    /// As [`Bench::exec`], with `setup` run on the core after the registers are set.
    pub fn exec_with(
        &mut self,
        index: usize,
        regs: &[(usize, u32)],
        setup: &dyn Fn(&mut Core),
    ) -> &Core {
        let address = self.addresses[index];
        self.core.regs.set_mode(0, 0);
        self.core.regs.r = [0; 16];
        self.core.regs.r[13] = 0x2000_1000;
        for &(r, v) in regs {
            self.core.regs.r[r] = v;
        }
        self.core.regs.apsr = 0;
        self.core.regs.itstate = 0;
        self.core.regs.thumb = true;
        self.core.regs.r[15] = address;
        setup(&mut self.core);
        let line = &self.lines[index];
        match self.core.step(&mut self.bus) {
            Ok(Executed::Completed) => {}
            other => panic!("{line}: {other:?}"),
        }
        assert_eq!(
            self.core.regs.r[15],
            address + 4,
            "{line} is one 32-bit instruction"
        );
        &self.core
    }

    /// As [`Bench::exec`] by instruction text; returns (R0, APSR) — the tests put Rd in R0.
    pub fn run(&mut self, line: &str, regs: &[(usize, u32)], apsr: u32) -> (u32, u32) {
        let index = self.index(line);
        let core = self.exec(index, regs, apsr);
        (core.regs.r[0], core.regs.apsr)
    }
}

/// A small deterministic generator (xorshift32) for operand sweeps.
pub struct Rng(pub u32);

impl Rng {
    pub fn next(&mut self) -> u32 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        self.0 = x;
        x
    }

    /// A word whose bytes are drawn from the edge values of byte and halfword arithmetic
    /// half of the time, uniformly otherwise.
    pub fn operand(&mut self) -> u32 {
        const EDGES: [u8; 10] = [0x00, 0x01, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x40, 0xC0, 0x3F];
        let r = self.next();
        if r & 1 == 0 {
            return self.next();
        }
        let mut w = 0u32;
        for i in 0..4 {
            let e = EDGES[(self.next() % EDGES.len() as u32) as usize];
            w |= u32::from(e) << (8 * i);
        }
        w
    }
}
