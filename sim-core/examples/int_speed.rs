//! Instructions per second of the core on a tight integer loop (ALU, shift, a store and a load,
//! a 32-bit shifted-register add, a conditional branch). Prints the rate; asserts nothing about
//! time. Run it optimised:
//!
//! ```text
//! cargo run --release -p stm32-opts-sim-core --example int_speed [iterations]
//! ```

use std::time::Instant;

use sim_core::{Bus, BusError, Config, Core, HaltReason, Initiator, Stop};

const CODE: u32 = 0x0000_0000;
const RAM: u32 = 0x2000_0000;
const RAM_SIZE: u32 = 64 * 1024;
/// DHCSR (ARMv7-M ARM C1.6.2) and the write that enables halting debug: DBGKEY | C_DEBUGEN.
/// With it the final BKPT halts the core instead of escalating to HardFault.
const DHCSR: u32 = 0xE000_EDF0;
const DBGKEY_C_DEBUGEN: u32 = 0xA05F_0001;

/// The loop, as the stock assembler encodes it for a Cortex-M4:
///
/// ```text
///     movs r0, #0
///     movw r1, #lo(iterations)
///     movt r1, #hi(iterations)
/// loop:
///     adds r0, #3
///     eors r2, r0
///     lsls r3, r2, #2
///     str r3, [sp, #4]
///     ldr r5, [sp, #4]
///     add.w r6, r5, r0, lsl #1
///     subs r1, #1
///     bne loop
///     bkpt #0
/// ```
fn program(iterations: u32) -> Vec<u16> {
    let lo = iterations & 0xFFFF;
    let hi = iterations >> 16;
    // MOVW/MOVT T3: hw1 = 11110 i 10 0 1/0 0 imm4, hw2 = 0 imm3 Rd imm8.
    let movw = |imm16: u32, top: bool| -> [u16; 2] {
        let hw1 = 0xF240
            | (u16::from(top) << 7)
            | ((imm16 >> 12) as u16)
            | (((imm16 >> 11) & 1) << 10) as u16;
        let hw2 = ((((imm16 >> 8) & 7) << 12) as u16) | (1 << 8) | (imm16 & 0xFF) as u16;
        [hw1, hw2]
    };
    let mut code = vec![0x2000];
    code.extend_from_slice(&movw(lo, false));
    code.extend_from_slice(&movw(hi, true));
    code.extend_from_slice(&[
        0x3003, 0x4042, 0x0093, 0x9301, 0x9D01, 0xEB05, 0x0640, 0x3901, 0xD1F6, 0xBE00,
    ]);
    code
}

/// Code at 0 (read-only), RAM at 0x2000_0000.
struct SpeedBus {
    code: Vec<u8>,
    ram: Vec<u8>,
}

impl SpeedBus {
    fn slice(&mut self, address: u32, size: u32) -> Option<&mut [u8]> {
        let (mem, offset) = if address >= RAM {
            (&mut self.ram, (address - RAM) as usize)
        } else {
            (&mut self.code, (address - CODE) as usize)
        };
        mem.get_mut(offset..offset + size as usize)
    }
}

impl Bus for SpeedBus {
    fn read(&mut self, address: u32, size: u32, _: Initiator) -> Result<u32, BusError> {
        let bytes = self.slice(address, size).ok_or(BusError { address })?;
        let mut word = [0u8; 4];
        word[..bytes.len()].copy_from_slice(bytes);
        Ok(u32::from_le_bytes(word))
    }

    fn write(&mut self, address: u32, value: u32, size: u32, _: Initiator) -> Result<(), BusError> {
        if address < RAM {
            return Err(BusError { address });
        }
        let bytes = self.slice(address, size).ok_or(BusError { address })?;
        bytes.copy_from_slice(&value.to_le_bytes()[..size as usize]);
        Ok(())
    }
}

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let code: Vec<u8> = program(iterations)
        .iter()
        .flat_map(|hw| hw.to_le_bytes())
        .collect();
    let mut bus = SpeedBus {
        code,
        ram: vec![0; RAM_SIZE as usize],
    };
    let mut core = Core::new(Config::cortex_m4f());
    core.regs.r[13] = RAM + RAM_SIZE - 16;
    core.regs.r[15] = CODE;
    if let Err(e) = core.debug_write(&mut bus, DHCSR, DBGKEY_C_DEBUGEN, 4) {
        eprintln!("cannot enable halting debug: {e:?}");
        std::process::exit(1);
    }

    let start = Instant::now();
    let stop = core.run(&mut bus, u64::MAX);
    let elapsed = start.elapsed();
    match stop {
        Stop::Halted(HaltReason::Bkpt(_)) => {}
        other => {
            eprintln!("the loop did not end at its BKPT: {other:?}");
            std::process::exit(1);
        }
    }
    // `run` counts a cycle per instruction attempted: the BKPT that halted is one, but it
    // did not complete.
    let executed = core.cycles - 1;
    println!(
        "{executed} instructions in {:.3} s: {:.1} million instructions per second",
        elapsed.as_secs_f64(),
        executed as f64 / elapsed.as_secs_f64() / 1e6,
    );
}
