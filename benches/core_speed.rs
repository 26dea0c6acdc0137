//! How fast the simulated core executes, per family: instructions per second of a tight integer
//! loop run from SRAM (`adds`, `str`, `b`: three instructions per iteration, counted by the loop
//! itself in RAM), driven through probe-rs as a debugger would. Prints figures; asserts nothing
//! about time.
//!
//!     cargo bench --bench core_speed

use std::time::{Duration, Instant};

use probe_rs::{CoreRegister, MemoryInterface, RegisterId};
use stm32_opts::sim::Simulator;

/// How long each figure is measured.
const WINDOW: Duration = Duration::from_secs(3);

const SRAM: u64 = 0x2000_0000;
const COUNTER: u64 = 0x2000_1000;

/// `movs r0, #0; ldr r1, =COUNTER; loop: adds r0, #1; str r0, [r1]; b loop` (Thumb).
const LOOP: [u16; 8] = [
    0x2000, // movs r0, #0
    0x4902, // ldr r1, [pc, #8] -> the literal at SRAM + 0x0C
    0x3001, // loop: adds r0, #1
    0x6008, // str r0, [r1]
    0xE7FC, // b loop
    0xBF00, // nop (alignment)
    0x1000, // literal COUNTER, low half
    0x2000, // literal COUNTER, high half
];
const INSTRUCTIONS_PER_ITERATION: f64 = 3.0;

fn measure(chip: &str) {
    let sim = Simulator::new(chip).expect("simulated chip");
    let mut session = sim.attach().expect("attach");
    let mut core = session.core(0).expect("core 0");
    core.halt(Duration::from_secs(1)).expect("halt");
    let bytes: Vec<u8> = LOOP.iter().flat_map(|h| h.to_le_bytes()).collect();
    core.write(SRAM, &bytes).expect("program");
    core.write_word_32(COUNTER, 0).expect("counter");
    let pc: &CoreRegister = core.program_counter();
    let pc_id: RegisterId = pc.id();
    core.write_core_reg(pc_id, SRAM as u32).expect("pc");
    // xPSR with the T bit: the loop runs in Thumb state.
    core.write_core_reg(RegisterId(16), 0x0100_0000u32)
        .expect("xpsr");
    let start = Instant::now();
    core.run().expect("run");
    std::thread::sleep(WINDOW);
    core.halt(Duration::from_secs(1)).expect("halt");
    let elapsed = start.elapsed();
    let iterations = core.read_word_32(COUNTER).expect("counter");
    let ips = f64::from(iterations) * INSTRUCTIONS_PER_ITERATION / elapsed.as_secs_f64();
    println!(
        "{chip:<12} {:>8.2} M instructions/s  ({iterations} iterations in {:.2} s)",
        ips / 1e6,
        elapsed.as_secs_f64()
    );
}

fn main() {
    println!("simulated core speed (integer loop from SRAM, {WINDOW:?} each):");
    for chip in ["STM32F767ZI", "STM32G474RE"] {
        measure(chip);
    }
}
