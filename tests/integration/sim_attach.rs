//! The simulated chip through the real probe-rs stack: attach, identity, halt, registers.

use std::time::Duration;

use probe_rs::MemoryInterface;
use stm32_opts::sim::Simulator;

const FLASH_OPTCR: u64 = 0x4002_3C14;
const FLASH_OPTCR1: u64 = 0x4002_3C18;

#[test]
fn attaches_to_a_factory_f767zi_and_reads_the_option_registers() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim
        .attach()
        .expect("probe-rs attaches to the simulated chip");
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_32(FLASH_OPTCR).unwrap(), 0xFFFF_AAFD);
    assert_eq!(core.read_word_32(FLASH_OPTCR1).unwrap(), 0x0040_0080);
    assert_eq!(core.read_word_32(0xE004_2000).unwrap() & 0xFFF, 0x451);
    assert_eq!(core.read_word_16(0x1FF0_F442).unwrap(), 2048);
}

#[test]
fn attaches_to_a_1mb_f767zg() {
    let sim = Simulator::new("STM32F767ZG").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_16(0x1FF0_F442).unwrap(), 1024);
}

#[test]
fn halts_and_round_trips_core_and_fpu_registers() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    core.halt(Duration::from_millis(500)).unwrap();
    assert!(core.core_halted().unwrap());
    core.write_core_reg(probe_rs::RegisterId(0), 0x1234_5678u32)
        .unwrap();
    let v: u32 = core.read_core_reg(probe_rs::RegisterId(0)).unwrap();
    assert_eq!(v, 0x1234_5678);
    assert!(core.fpu_support().unwrap());
    core.write_core_reg(probe_rs::RegisterId(64 + 3), 0x4049_0FDBu32)
        .unwrap();
    let s3: u32 = core.read_core_reg(probe_rs::RegisterId(64 + 3)).unwrap();
    assert_eq!(s3, 0x4049_0FDB);
    core.write_core_reg(probe_rs::RegisterId(33), 0x0300_0000u32)
        .unwrap();
    let fpscr: u32 = core.read_core_reg(probe_rs::RegisterId(33)).unwrap();
    assert_eq!(fpscr, 0x0300_0000);
}
