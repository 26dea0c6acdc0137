//! Shared by the `sys_*` tests: a flat memory with a hand-built vector table, and short names
//! for register accesses. Encodings used (ARMv7-M ARM A7.7): UDF #0 = 0xDE00 (permanently
//! UNDEFINED: a UsageFault UNDEFINSTR whatever else the decoder knows), `b .` = 0xE7FE.

#![allow(dead_code)]

#[path = "../support/mod.rs"]
mod support;

pub use support::FlatBus;

use sim_core::{Bus, BusError, Config, Core, Initiator, Mem};

pub const UDF: u16 = 0xDE00;
pub const B_SELF: u16 = 0xE7FE;

/// Where Thread code starts (the reset vector) and the initial main stack.
pub const CODE: u32 = 0x0000_1000;
pub const STACK_TOP: u32 = 0x2000_8000;
/// Exception n's handler is at `HANDLERS + 0x10 * n` (filled with `b .`).
pub const HANDLERS: u32 = 0x0000_2000;

/// SCS registers used by the tests (ARMv7-M ARM B3.2.2, B3.3.2, B3.4.3, C1.6).
pub mod reg {
    pub const ICTR: u32 = 0xE000_E004;
    pub const SYST_CSR: u32 = 0xE000_E010;
    pub const SYST_RVR: u32 = 0xE000_E014;
    pub const SYST_CVR: u32 = 0xE000_E018;
    pub const SYST_CALIB: u32 = 0xE000_E01C;
    pub const ISER0: u32 = 0xE000_E100;
    pub const ICER0: u32 = 0xE000_E180;
    pub const ISPR0: u32 = 0xE000_E200;
    pub const ICPR0: u32 = 0xE000_E280;
    pub const IABR0: u32 = 0xE000_E300;
    pub const IPR0: u32 = 0xE000_E400;
    pub const CPUID: u32 = 0xE000_ED00;
    pub const ICSR: u32 = 0xE000_ED04;
    pub const VTOR: u32 = 0xE000_ED08;
    pub const AIRCR: u32 = 0xE000_ED0C;
    pub const SCR: u32 = 0xE000_ED10;
    pub const CCR: u32 = 0xE000_ED14;
    pub const SHPR1: u32 = 0xE000_ED18;
    pub const SHPR2: u32 = 0xE000_ED1C;
    pub const SHPR3: u32 = 0xE000_ED20;
    pub const SHCSR: u32 = 0xE000_ED24;
    pub const CFSR: u32 = 0xE000_ED28;
    pub const HFSR: u32 = 0xE000_ED2C;
    pub const DFSR: u32 = 0xE000_ED30;
    pub const MMFAR: u32 = 0xE000_ED34;
    pub const BFAR: u32 = 0xE000_ED38;
    pub const CLIDR: u32 = 0xE000_ED78;
    pub const CTR: u32 = 0xE000_ED7C;
    pub const CCSIDR: u32 = 0xE000_ED80;
    pub const CSSELR: u32 = 0xE000_ED84;
    pub const CPACR: u32 = 0xE000_ED88;
    pub const MPU_TYPE: u32 = 0xE000_ED90;
    pub const DHCSR: u32 = 0xE000_EDF0;
    pub const DCRSR: u32 = 0xE000_EDF4;
    pub const DCRDR: u32 = 0xE000_EDF8;
    pub const DEMCR: u32 = 0xE000_EDFC;
    pub const STIR: u32 = 0xE000_EF00;
    pub const FPCCR: u32 = 0xE000_EF34;
    pub const FPCAR: u32 = 0xE000_EF38;
    pub const FPDSCR: u32 = 0xE000_EF3C;
    pub const MVFR0: u32 = 0xE000_EF40;
    pub const MVFR1: u32 = 0xE000_EF44;
    pub const MVFR2: u32 = 0xE000_EF48;
    pub const DCISW: u32 = 0xE000_EF60;
    pub const ICIALLU: u32 = 0xE000_EF50;
    pub const DWT_CTRL: u32 = 0xE000_1000;
    pub const DWT_CYCCNT: u32 = 0xE000_1004;
    pub const DWT_COMP0: u32 = 0xE000_1020;
    pub const DWT_MASK0: u32 = 0xE000_1024;
    pub const DWT_FUNCTION0: u32 = 0xE000_1028;
    pub const FP_CTRL: u32 = 0xE000_2000;
    pub const FP_COMP0: u32 = 0xE000_2008;
}

/// DHCSR writes.
pub const DBGKEY: u32 = 0xA05F_0000;
pub const C_DEBUGEN: u32 = 1 << 0;
pub const C_HALT: u32 = 1 << 1;
pub const C_STEP: u32 = 1 << 2;
pub const C_MASKINTS: u32 = 1 << 3;
pub const S_REGRDY: u32 = 1 << 16;
pub const S_HALT: u32 = 1 << 17;
pub const S_SLEEP: u32 = 1 << 18;
pub const S_LOCKUP: u32 = 1 << 19;
pub const S_RETIRE_ST: u32 = 1 << 24;
pub const S_RESET_ST: u32 = 1 << 25;

/// The handler address of exception `n`.
pub fn handler(n: u32) -> u32 {
    HANDLERS + 0x10 * n
}

/// A flash image: vector table at 0 (SP = STACK_TOP, reset = CODE, exception n → handler(n),
/// Thumb bit set), `b .` at every handler, `code` at CODE followed by UDFs.
pub fn image(config: &Config, code: &[u16]) -> Vec<u8> {
    let mut image = vec![0u8; 0x4000];
    let entries = 16 + u32::from(config.irq_count);
    let put32 = |image: &mut Vec<u8>, at: u32, v: u32| {
        image[at as usize..at as usize + 4].copy_from_slice(&v.to_le_bytes());
    };
    put32(&mut image, 0, STACK_TOP);
    put32(&mut image, 4, CODE | 1);
    for n in 2..entries {
        put32(&mut image, 4 * n, handler(n) | 1);
    }
    let put16 = |image: &mut Vec<u8>, at: u32, v: u16| {
        image[at as usize..at as usize + 2].copy_from_slice(&v.to_le_bytes());
    };
    for n in 0..entries {
        for i in 0..8 {
            put16(&mut image, handler(n) + 2 * i, B_SELF);
        }
    }
    for i in 0..0x100 {
        put16(
            &mut image,
            CODE + 2 * i,
            code.get(i as usize).copied().unwrap_or(UDF),
        );
    }
    image
}

/// A core of `config` after power-on reset into [`image`]`(code)`.
pub fn boot(config: Config, code: &[u16]) -> (Core, FlatBus) {
    let mut bus = FlatBus::new(&image(&config, code));
    let mut core = Core::new(config);
    core.power_on_reset(&mut bus, 0);
    (core, bus)
}

/// A debugger word read that must succeed.
pub fn rd(core: &mut Core, bus: &mut dyn Bus, address: u32) -> u32 {
    core.debug_read(bus, address, 4)
        .unwrap_or_else(|e| panic!("debug read of 0x{address:08X} failed: {e:?}"))
}

/// A debugger word write that must succeed.
pub fn wr(core: &mut Core, bus: &mut dyn Bus, address: u32, value: u32) {
    core.debug_write(bus, address, value, 4)
        .unwrap_or_else(|e| panic!("debug write of 0x{address:08X} failed: {e:?}"))
}

/// A privileged load by the core.
pub fn load(core: &mut Core, bus: &mut dyn Bus, address: u32, size: u32) -> u32 {
    core.read(bus, address, size, Mem::Aligned)
        .unwrap_or_else(|t| panic!("load from 0x{address:08X} trapped: {t:?}"))
}

/// A privileged store by the core.
pub fn store(core: &mut Core, bus: &mut dyn Bus, address: u32, value: u32, size: u32) {
    core.write(bus, address, value, size, Mem::Aligned)
        .unwrap_or_else(|t| panic!("store to 0x{address:08X} trapped: {t:?}"))
}

/// A RAM word.
pub fn ram(bus: &mut FlatBus, address: u32) -> u32 {
    bus.word(address)
}

/// Takes pending exceptions without executing an instruction.
pub fn service(core: &mut Core, bus: &mut dyn Bus) -> sim_core::Stop {
    core.run(bus, 0)
}

/// Enables halting debug.
pub fn debugen(core: &mut Core, bus: &mut dyn Bus) {
    wr(core, bus, reg::DHCSR, DBGKEY | C_DEBUGEN);
}

/// A bus around a FlatBus with interrupt lines a test drives, and a record of the time the
/// core reported.
pub struct LineBus {
    pub mem: FlatBus,
    pub lines: [u32; 8],
    pub changed: bool,
    pub advanced: u64,
}

impl LineBus {
    pub fn new(mem: FlatBus) -> LineBus {
        LineBus {
            mem,
            lines: [0; 8],
            changed: false,
            advanced: 0,
        }
    }

    pub fn set_line(&mut self, irq: usize, level: bool) {
        if level {
            self.lines[irq / 32] |= 1 << (irq % 32);
        } else {
            self.lines[irq / 32] &= !(1 << (irq % 32));
        }
        self.changed = true;
    }
}

impl Bus for LineBus {
    fn read(&mut self, address: u32, size: u32, who: Initiator) -> Result<u32, BusError> {
        self.mem.read(address, size, who)
    }

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
    ) -> Result<(), BusError> {
        self.mem.write(address, value, size, who)
    }

    fn irq_lines_changed(&mut self) -> bool {
        std::mem::take(&mut self.changed)
    }

    fn irq_lines(&mut self, lines: &mut [u32; 8]) {
        *lines = self.lines;
    }

    fn advance(&mut self, cycles: u64) {
        self.advanced += cycles;
    }
}
