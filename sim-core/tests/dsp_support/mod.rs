//! Test bench for single DSP instructions: the instructions are assembled once by the stock
//! `arm-none-eabi-as -mcpu=cortex-m7`, each at its own label; a case sets registers and APSR
//! from Rust, places the PC on one instruction, executes it with `Core::step`, and hands back
//! the core to be checked.

#![allow(dead_code)]

use crate::support::{assemble, boot, FlatBus};
use sim_core::regs::psr;
use sim_core::{Config, Core, Executed, Trap};

/// xPSR bits the DSP instructions never touch: N, Z, C, V (and Q when it is already set).
pub const NZCV: u32 = psr::NZCV;

/// One of every DSP instruction form (Rd = r0, or RdLo = r0 and RdHi = r1).
pub const ALL: &[&str] = &[
    "sadd8 r0, r1, r2",
    "sadd16 r0, r1, r2",
    "sasx r0, r1, r2",
    "ssax r0, r1, r2",
    "ssub8 r0, r1, r2",
    "ssub16 r0, r1, r2",
    "uadd8 r0, r1, r2",
    "uadd16 r0, r1, r2",
    "uasx r0, r1, r2",
    "usax r0, r1, r2",
    "usub8 r0, r1, r2",
    "usub16 r0, r1, r2",
    "qadd8 r0, r1, r2",
    "qadd16 r0, r1, r2",
    "qasx r0, r1, r2",
    "qsax r0, r1, r2",
    "qsub8 r0, r1, r2",
    "qsub16 r0, r1, r2",
    "uqadd8 r0, r1, r2",
    "uqadd16 r0, r1, r2",
    "uqasx r0, r1, r2",
    "uqsax r0, r1, r2",
    "uqsub8 r0, r1, r2",
    "uqsub16 r0, r1, r2",
    "shadd8 r0, r1, r2",
    "shadd16 r0, r1, r2",
    "shasx r0, r1, r2",
    "shsax r0, r1, r2",
    "shsub8 r0, r1, r2",
    "shsub16 r0, r1, r2",
    "uhadd8 r0, r1, r2",
    "uhadd16 r0, r1, r2",
    "uhasx r0, r1, r2",
    "uhsax r0, r1, r2",
    "uhsub8 r0, r1, r2",
    "uhsub16 r0, r1, r2",
    "sel r0, r1, r2",
    "usad8 r0, r1, r2",
    "usada8 r0, r1, r2, r3",
    "ssat16 r0, #16, r1",
    "usat16 r0, #15, r1",
    "qadd r0, r1, r2",
    "qsub r0, r1, r2",
    "qdadd r0, r1, r2",
    "qdsub r0, r1, r2",
    "smulbb r0, r1, r2",
    "smulbt r0, r1, r2",
    "smultb r0, r1, r2",
    "smultt r0, r1, r2",
    "smlabb r0, r1, r2, r3",
    "smlabt r0, r1, r2, r3",
    "smlatb r0, r1, r2, r3",
    "smlatt r0, r1, r2, r3",
    "smulwb r0, r1, r2",
    "smulwt r0, r1, r2",
    "smlawb r0, r1, r2, r3",
    "smlawt r0, r1, r2, r3",
    "smlalbb r0, r1, r2, r3",
    "smlalbt r0, r1, r2, r3",
    "smlaltb r0, r1, r2, r3",
    "smlaltt r0, r1, r2, r3",
    "smuad r0, r1, r2",
    "smuadx r0, r1, r2",
    "smusd r0, r1, r2",
    "smusdx r0, r1, r2",
    "smlad r0, r1, r2, r3",
    "smladx r0, r1, r2, r3",
    "smlsd r0, r1, r2, r3",
    "smlsdx r0, r1, r2, r3",
    "smlald r0, r1, r2, r3",
    "smlaldx r0, r1, r2, r3",
    "smlsld r0, r1, r2, r3",
    "smlsldx r0, r1, r2, r3",
    "smmul r0, r1, r2",
    "smmulr r0, r1, r2",
    "smmla r0, r1, r2, r3",
    "smmlar r0, r1, r2, r3",
    "smmls r0, r1, r2, r3",
    "smmlsr r0, r1, r2, r3",
    "umaal r0, r1, r2, r3",
    "sxtab r0, r1, r2",
    "sxtah r0, r1, r2, ror #8",
    "uxtab r0, r1, r2, ror #16",
    "uxtah r0, r1, r2, ror #24",
    "sxtab16 r0, r1, r2",
    "uxtab16 r0, r1, r2",
    "sxtb16 r0, r1",
    "uxtb16 r0, r1, ror #8",
    "pkhbt r0, r1, r2, lsl #4",
    "pkhtb r0, r1, r2, asr #4",
];

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
        let outcome = self.step_with(index, regs, setup);
        let line = &self.lines[index];
        assert_eq!(outcome, Ok(Executed::Completed), "{line}");
        assert_eq!(
            self.core.regs.r[15],
            address + 4,
            "{line} is one 32-bit instruction"
        );
        &self.core
    }

    /// Places the PC on instruction `index` with registers `regs` (others zero, SP
    /// 0x2000_1000), Thread mode, APSR 0, no IT block; runs `setup`, then one `Core::step`.
    pub fn step_with(
        &mut self,
        index: usize,
        regs: &[(usize, u32)],
        setup: &dyn Fn(&mut Core),
    ) -> Result<Executed, Trap> {
        self.core.regs.set_mode(0, 0);
        self.core.regs.r = [0; 16];
        self.core.regs.r[13] = 0x2000_1000;
        for &(r, v) in regs {
            self.core.regs.r[r] = v;
        }
        self.core.regs.apsr = 0;
        self.core.regs.itstate = 0;
        self.core.regs.thumb = true;
        self.core.regs.r[15] = self.addresses[index];
        setup(&mut self.core);
        self.core.step(&mut self.bus)
    }

    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn line(&self, index: usize) -> &str {
        &self.lines[index]
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
