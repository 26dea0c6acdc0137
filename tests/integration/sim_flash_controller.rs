//! Every FLASH-controller rule of the simulated chip, exercised through a probe-rs session the
//! way a tool on a real board would.

use crate::sim_support;

use std::time::{Duration, Instant};

use probe_rs::{Core, MemoryInterface};
use stm32_opts::sim::f7::F7Sim;
use stm32_opts::sim::f7::{FlashFaults, Timing};
use stm32_opts::sim::Simulator;

const KEYR: u64 = 0x4002_3C04;
const OPTKEYR: u64 = 0x4002_3C08;
const SR: u64 = 0x4002_3C0C;
const CR: u64 = 0x4002_3C10;
const OPTCR: u64 = 0x4002_3C14;
const OPTCR1: u64 = 0x4002_3C18;
const AIRCR: u64 = 0xE000_ED0C;
const FLASH: u64 = 0x0800_0000;

const KEY1: u32 = 0x4567_0123;
const KEY2: u32 = 0xCDEF_89AB;
const OPTKEY1: u32 = 0x0819_2A3B;
const OPTKEY2: u32 = 0x4C5D_6E7F;

const BSY: u32 = 1 << 16;
const WRPERR: u32 = 1 << 4;
const PGPERR: u32 = 1 << 6;
const ERSERR: u32 = 1 << 7;
const OPTLOCK: u32 = 1;
const OPTSTRT: u32 = 2;
const NDBANK: u32 = 1 << 29;

fn session(sim: &Simulator) -> probe_rs::Session {
    let mut s = sim.attach().unwrap();
    s.core(0).unwrap().halt(Duration::from_millis(500)).unwrap();
    s
}

fn wait_not_busy(core: &mut Core) {
    let start = Instant::now();
    while core.read_word_32(SR).unwrap() & BSY != 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "BSY never cleared"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn unlock_options(core: &mut Core) {
    core.write_word_32(OPTKEYR, OPTKEY1).unwrap();
    core.write_word_32(OPTKEYR, OPTKEY2).unwrap();
    assert_eq!(core.read_word_32(OPTCR).unwrap() & OPTLOCK, 0);
}

fn unlock_flash(core: &mut Core) {
    core.write_word_32(KEYR, KEY1).unwrap();
    core.write_word_32(KEYR, KEY2).unwrap();
    assert_eq!(core.read_word_32(CR).unwrap() >> 31, 0);
}

/// Writes OPTCR and commits with OPTSTRT.
fn program_optcr(core: &mut Core, value: u32) {
    core.write_word_32(OPTCR, value & !3).unwrap();
    core.write_word_32(OPTCR, (value & !3) | OPTSTRT).unwrap();
    wait_not_busy(core);
}

fn system_reset(core: &mut Core) {
    core.write_word_32(AIRCR, 0x05FA_0004).unwrap();
    let _ = core.halt(Duration::from_millis(500));
}

#[test]
fn a_wrong_option_key_faults_and_locks_until_reset() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    core.write_word_32(OPTKEYR, OPTKEY1).unwrap();
    assert!(
        core.write_word_32(OPTKEYR, 0xDEAD_BEEF).is_err(),
        "a wrong key is a bus error"
    );
    // Even the right sequence no longer unlocks.
    let _ = core.write_word_32(OPTKEYR, OPTKEY1);
    let _ = core.write_word_32(OPTKEYR, OPTKEY2);
    assert_eq!(core.read_word_32(OPTCR).unwrap() & OPTLOCK, OPTLOCK);
    system_reset(&mut core);
    unlock_options(&mut core);
}

#[test]
fn keys_written_to_an_unlocked_register_lock_it_until_reset() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    unlock_options(&mut core);
    assert!(core.write_word_32(OPTKEYR, OPTKEY1).is_err());
    assert_eq!(core.read_word_32(OPTCR).unwrap() & OPTLOCK, OPTLOCK);
    // FLASH_KEYR behaves the same way.
    unlock_flash(&mut core);
    assert!(core.write_word_32(KEYR, KEY1).is_err());
    assert_eq!(core.read_word_32(CR).unwrap() >> 31, 1);
}

#[test]
fn option_registers_change_only_unlocked_and_load_only_at_reset() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    // Locked: writes are ignored.
    core.write_word_32(OPTCR, 0xDFFF_AAFC).unwrap();
    assert_eq!(core.read_word_32(OPTCR).unwrap(), 0xFFFF_AAFD);
    unlock_options(&mut core);
    // Unlocked, without OPTSTRT: the register changes, the store does not.
    core.write_word_32(OPTCR1, 0x2040_0080).unwrap();
    core.write_word_32(OPTCR, 0xDFFF_AAFC).unwrap();
    assert_eq!(core.read_word_32(OPTCR).unwrap(), 0xDFFF_AAFC);
    assert_eq!(sim.option_store().unwrap().optcr, 0xFFFF_AAFC);
    // A reset without OPTSTRT loses the change.
    system_reset(&mut core);
    assert_eq!(core.read_word_32(OPTCR).unwrap(), 0xFFFF_AAFD);
    // OPTSTRT commits OPTCR and OPTCR1 together; the option bytes in memory show it at once.
    unlock_options(&mut core);
    core.write_word_32(OPTCR1, 0x2040_0080).unwrap();
    program_optcr(&mut core, 0xDFFF_AAFC);
    assert_eq!(
        core.read_word_32(OPTCR).unwrap() & OPTSTRT,
        0,
        "OPTSTRT self-clears"
    );
    assert_eq!(core.read_word_32(0x1FFF_0008).unwrap(), 0x2000_DFFF);
    assert_eq!(core.read_word_32(0x1FFF_0018).unwrap(), 0xDFBF_2040);
    let store = sim.option_store().unwrap();
    assert_eq!((store.optcr, store.optcr1), (0xDFFF_AAFC, 0x2040_0080));
    // The bank geometry is still the old one until reset: SNB 0x10 does not exist yet.
    unlock_flash(&mut core);
    core.write_word_32(CR, (0x10 << 3) | 2 | (2 << 8)).unwrap();
    core.write_word_32(CR, (0x10 << 3) | 2 | (2 << 8) | (1 << 16))
        .unwrap();
    assert_eq!(core.read_word_32(SR).unwrap() & ERSERR, ERSERR);
    // Byte-wide RDP writes (as HAL does at 0x40023C15) are accepted too.
    system_reset(&mut core);
    assert_eq!(core.read_word_32(OPTCR).unwrap(), 0xDFFF_AAFD);
    assert_eq!(core.read_word_32(OPTCR1).unwrap(), 0x2040_0080);
    unlock_options(&mut core);
    core.write_word_8(0x4002_3C15, 0x55).unwrap();
    assert_eq!(core.read_word_32(OPTCR).unwrap() >> 8 & 0xFF, 0x55);
}

#[test]
fn status_errors_are_write_one_to_clear_and_bsy_lasts() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    sim.set_timing(Timing {
        option_program: Duration::from_millis(300),
        ..Timing::default()
    })
    .unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    unlock_flash(&mut core);
    core.write_word_32(FLASH, 0).unwrap(); // PG clear: a sequence error
    let sr = core.read_word_32(SR).unwrap();
    assert_eq!(sr & ERSERR, ERSERR);
    core.write_word_32(SR, 0).unwrap();
    assert_eq!(
        core.read_word_32(SR).unwrap() & ERSERR,
        ERSERR,
        "writing 0 clears nothing"
    );
    core.write_word_32(SR, ERSERR).unwrap();
    assert_eq!(core.read_word_32(SR).unwrap() & ERSERR, 0);
    // BSY is visible after OPTSTRT and clears by itself.
    unlock_options(&mut core);
    core.write_word_32(OPTCR, 0xFFFF_AAFC | OPTSTRT).unwrap();
    assert_eq!(core.read_word_32(SR).unwrap() & BSY, BSY);
    wait_not_busy(&mut core);
}

#[test]
fn programming_clears_bits_only_and_checks_width_and_sequence() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    unlock_flash(&mut core);
    core.write_word_32(CR, 1 | (2 << 8)).unwrap(); // PG, PSIZE x32
    core.write_word_32(FLASH, 0x1234_5678).unwrap();
    core.write_word_32(FLASH, 0xFFFF_00FF).unwrap();
    assert_eq!(core.read_word_32(FLASH).unwrap(), 0x1234_0078);
    core.write_word_8(FLASH + 8, 0).unwrap(); // byte write with PSIZE x32
    assert_eq!(core.read_word_32(SR).unwrap() & PGPERR, PGPERR);
    assert_eq!(core.read_word_32(FLASH + 8).unwrap(), 0xFFFF_FFFF);
    // Sector 0 erase restores 0xFF.
    core.write_word_32(SR, 0xF2).unwrap();
    core.write_word_32(CR, 2 | (2 << 8)).unwrap();
    core.write_word_32(CR, 2 | (2 << 8) | (1 << 16)).unwrap();
    wait_not_busy(&mut core);
    assert_eq!(core.read_word_32(FLASH).unwrap(), 0xFFFF_FFFF);
}

#[test]
fn write_protected_sectors_refuse_erase() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    unlock_options(&mut core);
    program_optcr(&mut core, 0xFFFE_AAFC); // nWRP0 = 0: sector 0 protected
                                           // Programmed, not loaded: the chip still applies the protection it loaded at the last reset
                                           // (values are applied at the next reset), while FLASH_OPTCR already reads the new nWRP.
    assert_eq!(core.read_word_32(OPTCR).unwrap() & (1 << 16), 0);
    unlock_flash(&mut core);
    core.write_word_32(CR, 2 | (2 << 8) | (1 << 16)).unwrap();
    wait_not_busy(&mut core);
    assert_eq!(core.read_word_32(SR).unwrap() & WRPERR, 0);
    system_reset(&mut core);
    unlock_flash(&mut core);
    core.write_word_32(CR, 2 | (2 << 8) | (1 << 16)).unwrap();
    assert_eq!(core.read_word_32(SR).unwrap() & WRPERR, WRPERR);
}

#[test]
fn rdp_level_1_blocks_debug_reads_and_regression_mass_erases() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    sim_support::flash_firmware(&mut s, "stm32f7x_2048").unwrap();
    let mut core = s.core(0).unwrap();
    core.halt(Duration::from_millis(500)).ok();
    unlock_options(&mut core);
    program_optcr(&mut core, 0xFFFF_55FC);
    system_reset(&mut core);
    assert!(
        core.read_word_32(FLASH).is_err(),
        "flash is not readable at level 1"
    );
    unlock_options(&mut core);
    program_optcr(&mut core, 0xFFFF_AAFC);
    system_reset(&mut core);
    assert_eq!(
        core.read_word_32(FLASH).unwrap(),
        0xFFFF_FFFF,
        "1 → 0 mass-erased the flash"
    );
}

#[test]
fn rdp_level_2_is_permanent_and_closes_the_debug_port() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    unlock_options(&mut core);
    program_optcr(&mut core, 0xFFFF_CCFC);
    core.write_word_32(AIRCR, 0x05FA_0004).ok();
    assert!(
        core.read_word_32(0x2000_0000).is_err(),
        "the debug port no longer answers"
    );
    drop(core);
    drop(s);
    assert!(sim.attach().is_err());
    assert_eq!(sim.option_store().unwrap().optcr >> 8 & 0xFF, 0xCC);
}

#[test]
fn injected_stuck_bsy_and_optstrt_errors() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    sim.inject_flash_faults(FlashFaults {
        optstrt_error_flags: PGPERR,
        ..Default::default()
    })
    .unwrap();
    unlock_options(&mut core);
    program_optcr(&mut core, 0xDFFF_AAFC);
    assert_eq!(core.read_word_32(SR).unwrap() & PGPERR, PGPERR);
    assert_eq!(
        sim.option_store().unwrap().optcr & NDBANK,
        NDBANK,
        "store unchanged"
    );
    sim.inject_flash_faults(FlashFaults {
        stuck_bsy: true,
        ..Default::default()
    })
    .unwrap();
    core.write_word_32(OPTCR, 0xDFFF_AAFC | OPTSTRT).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(core.read_word_32(SR).unwrap() & BSY, BSY);
}

#[test]
fn an_nd_bank_change_does_not_keep_the_old_contents_in_place() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    sim_support::flash_firmware(&mut s, "stm32f7x_2048").unwrap();
    let mut core = s.core(0).unwrap();
    core.halt(Duration::from_millis(500)).ok();
    let mut before = vec![0u8; 0x70];
    core.read(FLASH, &mut before).unwrap();
    unlock_options(&mut core);
    program_optcr(&mut core, 0xDFFF_AAFC);
    system_reset(&mut core);
    let mut after = vec![0u8; 0x70];
    core.read(FLASH, &mut after).unwrap();
    assert_ne!(
        before, after,
        "single-bank firmware reads back changed in dual-bank mode"
    );
}

#[test]
fn the_single_bank_algorithm_on_a_dual_bank_chip_does_not_silently_succeed() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    {
        let mut core = s.core(0).unwrap();
        // Dual bank, and old data where the single-bank algorithm's sector 0 (32 KB) extends
        // past dual-bank sector 0 (16 KB).
        unlock_options(&mut core);
        program_optcr(&mut core, 0xDFFF_AAFC);
        system_reset(&mut core);
        unlock_flash(&mut core);
        core.write_word_32(CR, 1 | (2 << 8)).unwrap();
        core.write_word_32(FLASH + 0x4000, 0).unwrap();
        core.write_word_32(CR, 1 << 31).unwrap();
    }
    let mut loader = s.target().flash_loader();
    let image: Vec<u8> = (0..0x8000u32).map(|i| (i % 251) as u8 | 1).collect();
    loader.add_data(FLASH, &image).unwrap();
    let mut options = probe_rs::flashing::DownloadOptions::default();
    options.verify = true;
    options.preferred_algos = vec!["stm32f7x_2048".into()];
    let result = loader.commit(&mut s, options);
    let mut core = s.core(0).unwrap();
    core.halt(Duration::from_millis(500)).ok();
    let mut back = vec![0u8; image.len()];
    core.read(FLASH, &mut back).unwrap();
    assert!(
        result.is_err() || back != image,
        "reported success with the content in place"
    );
    assert!(result.is_err(), "verify must catch it: {result:?}");
}

#[test]
fn state_files_persist_and_refuse_another_chip() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("board.json");
    {
        let sim = Simulator::with_state_file("STM32F767ZI", &path).unwrap();
        let mut s = session(&sim);
        let mut core = s.core(0).unwrap();
        unlock_options(&mut core);
        program_optcr(&mut core, 0xDFFF_AAFC);
    }
    let sim = Simulator::with_state_file("STM32F767ZI", &path).unwrap();
    assert_eq!(sim.option_store().unwrap().optcr, 0xDFFF_AAFC);
    drop(sim);
    let saved = std::fs::read(&path).unwrap();
    let err = Simulator::with_state_file("STM32F767ZG", &path).unwrap_err();
    assert!(err.to_string().contains("STM32F767ZI"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), saved, "file untouched");
    let corrupt = dir.path().join("corrupt.json");
    std::fs::write(&corrupt, b"{not json").unwrap();
    let err = Simulator::with_state_file("STM32F767ZI", &corrupt).unwrap_err();
    assert!(
        err.to_string()
            .contains("not a stm32-opts simulator state file"),
        "{err}"
    );
    assert_eq!(std::fs::read(&corrupt).unwrap(), b"{not json");
}

#[test]
fn mass_erase_follows_the_bank_mode_and_wrong_widths_are_refused() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut s = session(&sim);
    let mut core = s.core(0).unwrap();
    unlock_options(&mut core);
    program_optcr(&mut core, 0xDFFF_AAFC);
    system_reset(&mut core);
    unlock_flash(&mut core);
    core.write_word_32(CR, 1 | (2 << 8)).unwrap();
    core.write_word_32(FLASH, 0).unwrap();
    core.write_word_32(0x0810_0000, 0).unwrap();
    core.write_word_32(SR, 0xF2).unwrap();
    core.write_word_16(FLASH + 0x102, 0).unwrap(); // x16 write with PSIZE x32: PGPERR
    assert_eq!(core.read_word_32(SR).unwrap() & PGPERR, PGPERR);
    core.write_word_32(SR, 0xF2).unwrap();
    // MER2 erases bank 2 only.
    core.write_word_32(CR, 1 << 15).unwrap();
    core.write_word_32(CR, (1 << 15) | (1 << 16)).unwrap();
    wait_not_busy(&mut core);
    assert_eq!(core.read_word_32(0x0810_0000).unwrap(), 0xFFFF_FFFF);
    assert_eq!(core.read_word_32(FLASH).unwrap(), 0, "bank 1 untouched");
    // MER (MER1) then erases bank 1.
    core.write_word_32(CR, 1 << 2).unwrap();
    core.write_word_32(CR, (1 << 2) | (1 << 16)).unwrap();
    wait_not_busy(&mut core);
    assert_eq!(core.read_word_32(FLASH).unwrap(), 0xFFFF_FFFF);
}
