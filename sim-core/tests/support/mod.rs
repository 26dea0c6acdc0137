//! Test support: assemble a program with the stock `arm-none-eabi-as`, load it into a flat
//! memory, and run it on the core until it hits a BKPT.
//!
//! A program is Thumb assembly placed after a two-word vector table (initial SP = top of RAM,
//! reset = `_start`); it starts at `_start` and ends with `bkpt`. `.ci/run` installs
//! binutils-arm-none-eabi; without it these tests fail and say what to install.

#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::process::Command;

use sim_core::{Bus, BusError, Config, Core, HaltReason, Initiator, Stop};

pub const FLASH: u32 = 0x0000_0000;
pub const FLASH_SIZE: u32 = 256 * 1024;
pub const RAM: u32 = 0x2000_0000;
pub const RAM_SIZE: u32 = 256 * 1024;

/// Flash at 0 (read-only for the core), RAM at 0x2000_0000; anything else is a bus error.
pub struct FlatBus {
    pub flash: Vec<u8>,
    pub ram: Vec<u8>,
}

impl FlatBus {
    pub fn new(image: &[u8]) -> FlatBus {
        let mut flash = vec![0xFF; FLASH_SIZE as usize];
        flash[..image.len()].copy_from_slice(image);
        FlatBus {
            flash,
            ram: vec![0; RAM_SIZE as usize],
        }
    }

    fn region(&mut self, address: u32, size: u32) -> Option<(&mut Vec<u8>, usize, bool)> {
        let end = u64::from(address) + u64::from(size);
        if end <= u64::from(FLASH + FLASH_SIZE) {
            return Some((&mut self.flash, (address - FLASH) as usize, false));
        }
        if address >= RAM && end <= u64::from(RAM + RAM_SIZE) {
            return Some((&mut self.ram, (address - RAM) as usize, true));
        }
        None
    }

    pub fn word(&mut self, address: u32) -> u32 {
        self.read(address, 4, Initiator::Debug).expect("mapped")
    }
}

impl Bus for FlatBus {
    fn read(&mut self, address: u32, size: u32, _who: Initiator) -> Result<u32, BusError> {
        let (mem, off, _) = self.region(address, size).ok_or(BusError { address })?;
        let mut bytes = [0u8; 4];
        bytes[..size as usize].copy_from_slice(&mem[off..off + size as usize]);
        Ok(u32::from_le_bytes(bytes))
    }

    fn write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        who: Initiator,
    ) -> Result<(), BusError> {
        let (mem, off, writable) = self.region(address, size).ok_or(BusError { address })?;
        if !writable && who == Initiator::Cpu {
            return Err(BusError { address });
        }
        mem[off..off + size as usize].copy_from_slice(&value.to_le_bytes()[..size as usize]);
        Ok(())
    }
}

/// An assembled program.
pub struct Program {
    pub image: Vec<u8>,
    pub symbols: HashMap<String, u32>,
}

impl Program {
    pub fn symbol(&self, name: &str) -> u32 {
        *self
            .symbols
            .get(name)
            .unwrap_or_else(|| panic!("no symbol {name} in the test program"))
    }
}

fn tool(name: &str) -> String {
    let exe = format!("arm-none-eabi-{name}");
    if Command::new(&exe).arg("--version").output().is_err() {
        panic!("{exe} is not installed: install binutils-arm-none-eabi (`apt-get install binutils-arm-none-eabi`, as .ci/run does)");
    }
    exe
}

fn run(cmd: &mut Command) {
    let out = cmd.output().expect("run the assembler tool");
    assert!(
        out.status.success(),
        "{:?} failed:\n{}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Assembles `body` for `cpu` (`cortex-m7`, `cortex-m4`, `cortex-m0plus`…) with `fpu`
/// (`fpv5-d16`, `fpv4-sp-d16`, or "" for none).
pub fn assemble(body: &str, cpu: &str, fpu: &str) -> Program {
    let dir = tempdir();
    let src = dir.join("prog.s");
    let source = format!(
        "    .syntax unified\n    .thumb\n    .section .vectors, \"ax\"\n    .word 0x{:08X}\n    .word _start + 1\n    .text\n    .thumb_func\n    .global _start\n{body}\n",
        RAM + RAM_SIZE
    );
    std::fs::write(&src, source).unwrap();
    let obj = dir.join("prog.o");
    let elf = dir.join("prog.elf");
    let bin = dir.join("prog.bin");
    let mut as_cmd = Command::new(tool("as"));
    as_cmd.arg(format!("-mcpu={cpu}")).arg("-mthumb");
    if !fpu.is_empty() {
        as_cmd.arg(format!("-mfpu={fpu}")).arg("-mfloat-abi=hard");
    }
    run(as_cmd.arg("-o").arg(&obj).arg(&src));
    run(Command::new(tool("ld"))
        .arg("-Ttext=0x8")
        .arg("--section-start=.vectors=0")
        .arg("-Tdata=0x20000000")
        .arg("-e")
        .arg("_start")
        .arg("-o")
        .arg(&elf)
        .arg(&obj));
    run(Command::new(tool("objcopy"))
        .arg("-O")
        .arg("binary")
        .arg("--only-section=.vectors")
        .arg("--only-section=.text")
        .arg(&elf)
        .arg(&bin));
    let image = std::fs::read(&bin).unwrap();
    let nm = Command::new(tool("nm")).arg(&elf).output().unwrap();
    let symbols = String::from_utf8_lossy(&nm.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let value = u32::from_str_radix(parts.next()?, 16).ok()?;
            let _kind = parts.next()?;
            Some((parts.next()?.to_string(), value))
        })
        .collect();
    let _ = std::fs::remove_dir_all(&dir);
    Program { image, symbols }
}

fn tempdir() -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let dir = std::env::temp_dir().join(format!(
        "sim-core-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// DHCSR, DEMCR, CFSR and HFSR (ARMv7-M ARM C1.6.2, C1.6.5, B3.2.15, B3.2.16).
pub const DHCSR: u32 = 0xE000_EDF0;
pub const DEMCR: u32 = 0xE000_EDFC;
pub const CFSR: u32 = 0xE000_ED28;
pub const HFSR: u32 = 0xE000_ED2C;
/// DHCSR write: DBGKEY | C_DEBUGEN.
pub const DEBUGEN: u32 = 0xA05F_0001;
/// DEMCR: vector catch on HardFault, fault entry/return errors, BusFault, UsageFault state,
/// checking and coprocessor errors, MemManage.
pub const CATCH_FAULTS: u32 = 0x0000_07F0;

/// A core of `config` reset into `program`, with halting debug enabled (DHCSR.C_DEBUGEN, so
/// a BKPT halts instead of escalating to HardFault) and vector catch on every fault (so a
/// fault halts on its handler's first instruction, the frame stacked, instead of running
/// into the program's absent handlers; see [`run_to_fault`]).
pub fn boot(program: &Program, config: Config) -> (Core, FlatBus) {
    let mut bus = FlatBus::new(&program.image);
    let mut core = Core::new(config);
    core.power_on_reset(&mut bus, 0);
    enable_debug(&mut core, &mut bus);
    (core, bus)
}

/// Halting debug and vector catch on faults, as [`boot`] sets them.
pub fn enable_debug(core: &mut Core, bus: &mut FlatBus) {
    core.debug_write(bus, DHCSR, DEBUGEN, 4)
        .expect("DHCSR is writable");
    core.debug_write(bus, DEMCR, CATCH_FAULTS, 4)
        .expect("DEMCR is writable");
}

/// Leaves Debug state (after a BKPT or another halt) so `run` executes again: what a
/// debugger's "continue" writes to DHCSR. Move the PC first to step over a BKPT.
pub fn resume(core: &mut Core, bus: &mut FlatBus) {
    core.debug_write(bus, DHCSR, DEBUGEN, 4)
        .expect("DHCSR is writable");
}

/// Runs until the core stops on something other than its budget; panics after `limit`
/// instructions.
pub fn run_to_stop(core: &mut Core, bus: &mut FlatBus, limit: u64) -> Stop {
    match core.run(bus, limit) {
        Stop::Budget => panic!(
            "the program did not stop within {limit} instructions (pc 0x{:08X})",
            core.pc()
        ),
        stop => stop,
    }
}

/// Runs until a BKPT and returns its address; panics on any other stop (naming the fault,
/// for a fault).
pub fn run_to_bkpt(core: &mut Core, bus: &mut FlatBus) -> u32 {
    match run_to_stop(core, bus, 10_000_000) {
        Stop::Halted(HaltReason::Bkpt(_)) => core.pc(),
        Stop::Halted(HaltReason::VectorCatch) => {
            panic!("expected a BKPT, got {}", fault_taken(core, bus))
        }
        other => panic!("expected a BKPT, got {other:?}"),
    }
}

/// A fault the core took, as seen on its handler's first instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FaultTaken {
    /// The exception entered (3 HardFault, 4 MemManage, 5 BusFault, 6 UsageFault).
    pub exception: u16,
    pub cfsr: u32,
    pub hfsr: u32,
    /// The stacked return address: the faulting instruction.
    pub pc: u32,
}

impl std::fmt::Display for FaultTaken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exception {} for the instruction at 0x{:08X} (CFSR 0x{:08X}, HFSR 0x{:08X})",
            self.exception, self.pc, self.cfsr, self.hfsr
        )
    }
}

/// The fault a core halted by vector catch is entering.
pub fn fault_taken(core: &mut Core, bus: &mut FlatBus) -> FaultTaken {
    let frame = core.regs.r[13];
    FaultTaken {
        exception: core.regs.ipsr,
        cfsr: core.debug_read(bus, CFSR, 4).unwrap_or(0),
        hfsr: core.debug_read(bus, HFSR, 4).unwrap_or(0),
        pc: core.debug_read(bus, frame + 0x18, 4).unwrap_or(0),
    }
}

/// Runs until a fault halts the core (vector catch, as [`boot`] arms it) and returns it;
/// panics on any other stop.
pub fn run_to_fault(core: &mut Core, bus: &mut FlatBus) -> FaultTaken {
    match run_to_stop(core, bus, 10_000_000) {
        Stop::Halted(HaltReason::VectorCatch) => fault_taken(core, bus),
        other => panic!("expected a fault, got {other:?}"),
    }
}

pub fn exists(path: &Path) -> bool {
    path.exists()
}
