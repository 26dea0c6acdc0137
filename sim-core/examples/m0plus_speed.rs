//! Instructions per second of the Cortex-M0+ configuration (`Config::cortex_m0plus()`, the
//! STM32G0B1's core) on a tight ARMv6-M integer loop (ALU, shift, a store and a load, a
//! three-register add, a conditional branch). Prints the rate; asserts nothing about time.
//! Run it optimised:
//!
//! ```text
//! cargo run --release -p stm32-opts-sim-core --example m0plus_speed [iterations]
//! ```

use std::time::Instant;

use sim_core::{Bus, BusError, Config, Core, HaltReason, Initiator, Stop};

const CODE: u32 = 0x0000_0000;
const RAM: u32 = 0x2000_0000;
const RAM_SIZE: u32 = 64 * 1024;
/// DHCSR (ARMv6-M ARM C1) and the write that enables halting debug: DBGKEY | C_DEBUGEN.
/// With it the final BKPT halts the core instead of escalating to HardFault.
const DHCSR: u32 = 0xE000_EDF0;
const DBGKEY_C_DEBUGEN: u32 = 0xA05F_0001;

/// The loop, encoded by hand from the ARMv6-M Thumb encodings (A6.7; checked against the
/// stock assembler for `-mcpu=cortex-m0plus`):
///
/// ```text
/// 0x00  2000      movs r0, #0
/// 0x02  4905      ldr r1, [pc, #20]     ; the literal at 0x18: iterations
/// 0x04  3003  loop: adds r0, #3
/// 0x06  4042      eors r2, r0
/// 0x08  0093      lsls r3, r2, #2
/// 0x0A  9301      str r3, [sp, #4]
/// 0x0C  9D01      ldr r5, [sp, #4]
/// 0x0E  182E      adds r6, r5, r0
/// 0x10  3901      subs r1, #1
/// 0x12  D1F7      bne loop
/// 0x14  BE00      bkpt #0
/// 0x16  0000      (padding)
/// 0x18            .word iterations
/// ```
fn program(iterations: u32) -> Vec<u16> {
    vec![
        0x2000,
        0x4905,
        0x3003,
        0x4042,
        0x0093,
        0x9301,
        0x9D01,
        0x182E,
        0x3901,
        0xD1F7,
        0xBE00,
        0x0000,
        iterations as u16,
        (iterations >> 16) as u16,
    ]
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
    let mut core = Core::new(Config::cortex_m0plus());
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
