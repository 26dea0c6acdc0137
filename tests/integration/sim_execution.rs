//! Real execution on the simulated core, through probe-rs: flashing with probe-rs's own
//! algorithms (run by the emulated CPU), reset, halt, step, breakpoints and watchpoints.

use crate::sim_support;

use std::time::Duration;

use probe_rs::{CoreStatus, HaltReason, MemoryInterface, RegisterId};
use sim_support::{flash_firmware, symbol};
use stm32_opts::sim::f7::{F7Model, F7Sim};
use stm32_opts::sim::Simulator;

const TIMEOUT: Duration = Duration::from_millis(500);
const PC: RegisterId = RegisterId(15);

fn wait_halted(core: &mut probe_rs::Core) -> HaltReason {
    for _ in 0..400 {
        if let CoreStatus::Halted(reason) = core.status().unwrap() {
            return reason;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("core did not halt within 2 s");
}

#[test]
fn flashes_and_runs_to_a_hardware_breakpoint() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    flash_firmware(&mut session, "stm32f7x_2048")
        .expect("single-bank algorithm programs and verifies");
    let mut core = session.core(0).unwrap();
    core.reset_and_halt(TIMEOUT).unwrap();
    // SP and PC come from the vector table (BOOT_ADD0 = 0x0080: flash on ITCM).
    let sp: u32 = core.read_core_reg(RegisterId(13)).unwrap();
    let pc: u32 = core.read_core_reg(PC).unwrap();
    assert_eq!(sp, 0x2008_0000);
    assert_eq!(pc, symbol("reset_handler"));

    let tick = symbol("tick");
    core.set_hw_breakpoint(tick as u64).unwrap();
    core.run().unwrap();
    assert!(matches!(wait_halted(&mut core), HaltReason::Breakpoint(_)));
    let pc: u32 = core.read_core_reg(PC).unwrap();
    assert_eq!(pc, tick);

    // Stepping executes one instruction at a time.
    let info = core.step().unwrap();
    assert_eq!(info.pc, u64::from(tick + 2));
    core.clear_hw_breakpoint(tick as u64).unwrap();
}

#[test]
fn a_dwt_watchpoint_halts_with_the_watchpoint_reason() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    flash_firmware(&mut session, "stm32f7x_2048").unwrap();
    let mut core = session.core(0).unwrap();
    core.reset_and_halt(TIMEOUT).unwrap();
    let counter = symbol("counter");
    // DEMCR.TRCENA, then comparator 0 on `counter`, function 6 = write.
    let demcr = core.read_word_32(0xE000_EDFC).unwrap();
    core.write_word_32(0xE000_EDFC, demcr | (1 << 24)).unwrap();
    core.write_word_32(0xE000_1020, counter).unwrap();
    core.write_word_32(0xE000_1024, 0).unwrap();
    core.write_word_32(0xE000_1028, 6).unwrap();
    core.run().unwrap();
    assert_eq!(wait_halted(&mut core), HaltReason::Watchpoint);
}

#[test]
fn halts_a_running_core_and_block_memory_round_trips() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    flash_firmware(&mut session, "stm32f7x_2048").unwrap();
    let mut core = session.core(0).unwrap();
    core.reset().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    assert_eq!(core.status().unwrap(), CoreStatus::Running);
    core.halt(TIMEOUT).unwrap();
    let counter = core.read_word_32(u64::from(symbol("counter"))).unwrap();
    assert!(counter > 0, "the firmware ran: counter = {counter}");

    let data: Vec<u8> = (0..8192u32).map(|i| (i * 7 + 3) as u8).collect();
    core.write(0x2001_0000, &data).unwrap();
    let mut back = vec![0u8; data.len()];
    core.read(0x2001_0000, &mut back).unwrap();
    assert_eq!(back, data);
}

#[test]
fn dual_bank_chip_flashes_with_the_dual_algorithm() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    // Put the store in dual-bank mode as if programmed earlier, then reset to load it.
    sim.with_model(|m: &mut F7Model| {
        let mut store = m.flash.store();
        store.optcr &= !(1 << 29);
        m.flash.set_store(store, std::time::Instant::now());
    })
    .unwrap();
    let mut session = sim.attach().unwrap();
    flash_firmware(&mut session, "stm32f7x_2048dual")
        .expect("dual-bank algorithm programs and verifies");
    let mut core = session.core(0).unwrap();
    core.reset_and_halt(TIMEOUT).unwrap();
    let pc: u32 = core.read_core_reg(PC).unwrap();
    assert_eq!(pc, symbol("reset_handler"));
}

#[test]
fn an_instruction_the_simulator_cannot_model_locks_the_core_up_without_harming_the_process() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    core.halt(TIMEOUT).unwrap();
    // `push {}` (0xB400): an empty register list, UNPREDICTABLE (A7.7.99): the simulator does
    // not guess what silicon does with it.
    core.write_16(0x2000_1000, &[0xB400, 0xE7FE]).unwrap();
    core.write_core_reg(PC, 0x2000_1000u32).unwrap();
    core.write_core_reg(RegisterId(16), 0x0100_0000u32).unwrap();
    core.run().unwrap();
    // The debugger sees the lockup (DHCSR.S_LOCKUP), and the simulator says what it was.
    let mut locked_up = false;
    for _ in 0..200 {
        if matches!(core.status().unwrap(), CoreStatus::LockedUp) {
            locked_up = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(locked_up, "the core did not lock up");
    let reason = sim.with(|chip| chip.lockup_reason()).unwrap();
    let reason = reason.expect("the core locked up");
    assert!(
        reason.contains("0x20001000") && reason.contains("0xB400"),
        "{reason}"
    );
    // The simulator still answers, and the debugger can take the core back.
    core.halt(TIMEOUT).unwrap();
    core.write_core_reg(PC, 0x2000_1004u32).unwrap();
    let pc: u32 = core.read_core_reg(PC).unwrap();
    assert_eq!(pc, 0x2000_1004);
}

fn dual_bank_store(sim: &Simulator) {
    sim.with_model(|m: &mut F7Model| {
        let mut store = m.flash.store();
        store.optcr &= !(1 << 29);
        m.flash.set_store(store, std::time::Instant::now());
    })
    .unwrap();
}

#[test]
fn one_mb_dual_bank_chip_flashes_bank_2_with_the_1024dual_algorithm() {
    let sim = Simulator::new("STM32F767ZG").unwrap();
    dual_bank_store(&sim);
    let mut session = sim.attach().unwrap();
    let image: Vec<u8> = (0..0x800u32).map(|i| (i * 13) as u8).collect();
    let mut loader = session.target().flash_loader();
    // Bank 2 of a 1 MB part starts at 0x0808_0000 (sector 12, SNB 0x10).
    loader.add_data(0x0808_0000, &image).unwrap();
    let mut options = probe_rs::flashing::DownloadOptions::default();
    options.verify = true;
    options.preferred_algos = vec!["stm32f7x_1024dual".into()];
    loader
        .commit(&mut session, options)
        .expect("programs and verifies bank 2");
    let mut core = session.core(0).unwrap();
    let mut back = vec![0u8; image.len()];
    core.read(0x0808_0000, &mut back).unwrap();
    assert_eq!(back, image);
}

#[test]
fn probe_rs_option_byte_algorithm_runs_unmodified() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    // The algorithm's page image is [FLASH_OPTCR, FLASH_OPTCR1]; dual bank, BOOT_ADD1 = 0x2040.
    let mut page = Vec::new();
    page.extend_from_slice(&0xDFFF_AAFCu32.to_le_bytes());
    page.extend_from_slice(&0x2040_0080u32.to_le_bytes());
    let mut loader = session.target().flash_loader();
    loader.add_data(0x1FFF_0000, &page).unwrap();
    let mut options = probe_rs::flashing::DownloadOptions::default();
    // Its verify compares the register image with the option-byte memory layout, which differ.
    options.verify = false;
    loader
        .commit(&mut session, options)
        .expect("stm32f76x_77x_opt programs the option bytes");
    let store = sim.option_store().unwrap();
    assert_eq!((store.optcr, store.optcr1), (0xDFFF_AAFC, 0x2040_0080));
}
