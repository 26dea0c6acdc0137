//! The simulated STM32G47x/G48x through the real probe-rs stack: attach by probe-rs's own target
//! names, identity, the FLASH controller and its option sequence driven by plain memory writes
//! (OBL_LAUNCH drops the link, a new attach sees the loaded options), probe-rs's own G4 flash
//! algorithms in the bank mode each is right for (and one that is not), `--sim-state` and the
//! Glasgow socket probe.

use crate::sim_support;

use std::time::{Duration, Instant};

use probe_rs::probe::list::Lister;
use probe_rs::{MemoryInterface, Permissions, Session};
use stm32_opts::sim::g4::G4OptionStore;
use stm32_opts::sim::g4::G4Sim;
use stm32_opts::sim::glasgow::GlasgowServer;
use stm32_opts::sim::Simulator;

use sim_support::g4::*;

/// Every wait on the simulated FLASH controller is bounded by this.
const BSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Waits for FLASH_SR.BSY to clear, through probe-rs.
fn wait_not_busy(session: &mut Session) {
    let start = Instant::now();
    let mut core = session.core(0).unwrap();
    while core.read_word_32(FLASH_SR).unwrap() & SR_BSY != 0 {
        assert!(start.elapsed() < BSY_TIMEOUT, "BSY stuck");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// KEYR then OPTKEYR, each only when locked (as the reference's sequence says).
fn unlock_options(session: &mut Session) {
    let mut core = session.core(0).unwrap();
    if core.read_word_32(FLASH_CR).unwrap() & CR_LOCK != 0 {
        core.write_word_32(FLASH_KEYR, KEY1).unwrap();
        core.write_word_32(FLASH_KEYR, KEY2).unwrap();
    }
    if core.read_word_32(FLASH_CR).unwrap() & CR_OPTLOCK != 0 {
        core.write_word_32(FLASH_OPTKEYR, OPTKEY1).unwrap();
        core.write_word_32(FLASH_OPTKEYR, OPTKEY2).unwrap();
    }
    let cr = core.read_word_32(FLASH_CR).unwrap();
    assert_eq!(cr & (CR_LOCK | CR_OPTLOCK), 0, "unlocked: CR 0x{cr:08X}");
}

/// Writes OPTR, commits it with OPTSTRT and waits; the options are not loaded yet.
fn commit_optr(session: &mut Session, optr: u32) {
    unlock_options(session);
    wait_not_busy(session);
    {
        let mut core = session.core(0).unwrap();
        core.write_word_32(FLASH_SR, SR_ERRORS).unwrap();
        core.write_word_32(FLASH_OPTR, optr).unwrap();
        core.write_word_32(FLASH_CR, CR_OPTSTRT).unwrap();
    }
    wait_not_busy(session);
    let mut core = session.core(0).unwrap();
    let sr = core.read_word_32(FLASH_SR).unwrap();
    assert_eq!(sr & SR_ERRORS, 0, "no error after OPTSTRT: SR 0x{sr:08X}");
}

/// OBL_LAUNCH: the chip resets and the write is never acknowledged; the session is dead.
fn launch_option_load(mut session: Session) {
    let mut core = session.core(0).unwrap();
    let result = core.write_word_32(FLASH_CR, CR_OBL_LAUNCH);
    let flushed = result.and_then(|()| core.flush());
    assert!(
        flushed.is_err(),
        "the OBL_LAUNCH write must not be acknowledged: the chip resets under the debugger"
    );
    drop(core);
    drop(session);
}

/// Puts the chip in `dual` bank mode the way a debugger would, leaving it attached anew.
fn set_bank_mode(sim: &Simulator, dual: bool) -> Session {
    let mut session = sim.attach().unwrap();
    let optr = session.core(0).unwrap().read_word_32(FLASH_OPTR).unwrap();
    let optr = if dual {
        optr | OPTR_DBANK
    } else {
        optr & !OPTR_DBANK
    };
    commit_optr(&mut session, optr);
    launch_option_load(session);
    sim.attach().expect("re-attach after the option load")
}

#[test]
fn attaches_to_a_factory_g474re_by_its_probe_rs_name() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().expect("probe-rs attaches to STM32G474RE");
    let mut core = session.core(0).unwrap();
    let idcode = core.read_word_32(DBGMCU_IDCODE).unwrap();
    assert_eq!(idcode & 0xFFF, 0x469, "DEV_ID of G47x/G48x: 0x{idcode:08X}");
    assert_eq!(core.read_word_16(FLASH_SIZE_REG).unwrap(), 512);
    assert_eq!(core.read_word_32(FLASH_OPTR).unwrap(), FACTORY_OPTR);
    assert_eq!(
        core.read_word_32(FLASH_CR).unwrap() & (CR_LOCK | CR_OPTLOCK),
        CR_LOCK | CR_OPTLOCK,
        "FLASH_CR comes out of reset locked"
    );
    // The option bytes in memory: value then complement.
    assert_eq!(core.read_word_32(OPTION_BYTES).unwrap(), FACTORY_OPTR);
    assert_eq!(core.read_word_32(OPTION_BYTES + 4).unwrap(), !FACTORY_OPTR);
    // A Cortex-M4 with the single-precision FPU, 6 FPB code comparators, 4 DWT comparators.
    assert_eq!(core.read_word_32(CPUID).unwrap(), 0x410F_C241);
    assert_eq!(core.read_word_32(MVFR0).unwrap(), 0x1011_0021);
    assert_eq!((core.read_word_32(FP_CTRL).unwrap() >> 4) & 0xF, 6);
    assert_eq!(core.read_word_32(DWT_CTRL).unwrap() >> 28, 4);
    // RAMs: SRAM1, SRAM2 and CCM SRAM, which is also seen at 0x1000_0000.
    core.write_word_32(SRAM1, 0x1111_1111).unwrap();
    core.write_word_32(SRAM2, 0x2222_2222).unwrap();
    core.write_word_32(CCM_SRAM + 8, 0x3333_3333).unwrap();
    assert_eq!(core.read_word_32(SRAM1).unwrap(), 0x1111_1111);
    assert_eq!(core.read_word_32(SRAM2).unwrap(), 0x2222_2222);
    assert_eq!(core.read_word_32(CCM_ALIAS + 8).unwrap(), 0x3333_3333);
    assert!(core.read_word_32(0x2002_0000).is_err(), "end of SRAM");
    // Dual-bank 512 KB: both banks, no gap.
    assert_eq!(core.read_word_32(0x0807_FFFC).unwrap(), 0xFFFF_FFFF);
    assert!(core.read_word_32(0x0808_0000).is_err());
    // A 256 KB part: bank 2 still starts at 0x0804_0000, with a gap before it.
    drop(core);
    drop(session);
    let small = Simulator::new("STM32G474RC").unwrap();
    let mut session = small.attach().expect("probe-rs attaches to STM32G474RC");
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_16(FLASH_SIZE_REG).unwrap(), 256);
    assert_eq!(core.read_word_32(0x0801_FFFC).unwrap(), 0xFFFF_FFFF);
    assert!(core.read_word_32(0x0802_0000).is_err(), "the gap");
    assert_eq!(core.read_word_32(0x0804_0000).unwrap(), 0xFFFF_FFFF);
    assert!(core.read_word_32(0x0806_0000).is_err());
}

#[test]
fn the_option_sequence_through_probe_rs_switches_to_single_bank_on_obl_launch() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().unwrap();
    commit_optr(&mut session, FACTORY_OPTR & !OPTR_DBANK);
    // Committed to the store, not loaded: OPTR still reads the loaded register image, and the
    // geometry is still dual bank.
    assert_eq!(
        sim.g4_option_store().unwrap().optr,
        FACTORY_OPTR & !OPTR_DBANK
    );
    {
        let mut core = session.core(0).unwrap();
        assert_eq!(
            core.read_word_32(OPTION_BYTES).unwrap(),
            FACTORY_OPTR & !OPTR_DBANK
        );
    }
    assert!(sim.with_g4_flash(|f| f.dual_bank()).unwrap());
    launch_option_load(session);

    let mut session = sim.attach().expect("re-attach after OBL_LAUNCH");
    let mut core = session.core(0).unwrap();
    assert_eq!(
        core.read_word_32(FLASH_OPTR).unwrap() & OPTR_DBANK,
        0,
        "DBANK loaded as 0"
    );
    assert_eq!(
        core.read_word_32(FLASH_CR).unwrap() & (CR_LOCK | CR_OPTLOCK),
        CR_LOCK | CR_OPTLOCK,
        "the option load reset locked FLASH_CR again"
    );
    assert!(!sim.with_g4_flash(|f| f.dual_bank()).unwrap());
}

#[test]
fn a_system_reset_does_not_load_committed_options() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().unwrap();
    commit_optr(&mut session, FACTORY_OPTR & !OPTR_DBANK);
    session.core(0).unwrap().reset().unwrap();
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_32(FLASH_OPTR).unwrap(), FACTORY_OPTR);
    assert!(sim.with_g4_flash(|f| f.dual_bank()).unwrap());
}

#[test]
fn a_wrong_key_faults_and_locks_flash_cr_until_reset() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    core.write_word_32(FLASH_KEYR, KEY1).unwrap();
    let wrong = core
        .write_word_32(FLASH_KEYR, 0x1234_5678)
        .and_then(|()| core.flush());
    assert!(wrong.is_err(), "a wrong key is a bus error");
    // Even the right sequence is refused now.
    let again = core
        .write_word_32(FLASH_KEYR, KEY1)
        .and_then(|()| core.flush());
    assert!(again.is_err(), "locked until reset");
    assert_ne!(core.read_word_32(FLASH_CR).unwrap() & CR_LOCK, 0);
    drop(core);
    session.core(0).unwrap().reset().unwrap();
    unlock_options(&mut session);
}

#[test]
fn rdp_level_2_is_permanent_and_closes_the_debug_port() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().unwrap();
    commit_optr(&mut session, (FACTORY_OPTR & !0xFF) | RDP_LEVEL2);
    launch_option_load(session);
    assert!(
        sim.attach().is_err(),
        "after loading RDP level 2 the debug port no longer answers"
    );
    // The store cannot be changed any more, not even by the chip itself.
    let locked = sim
        .with_g4_flash(|f| {
            let now = Instant::now();
            let _ = f.write(0x08, KEY1, now);
            let _ = f.write(0x08, KEY2, now);
            let _ = f.write(0x0C, OPTKEY1, now);
            let _ = f.write(0x0C, OPTKEY2, now);
            let _ = f.write(0x20, FACTORY_OPTR, now);
            let _ = f.write(0x14, CR_OPTSTRT, now);
            f.store().rdp()
        })
        .unwrap();
    assert_eq!(locked, RDP_LEVEL2 as u8);
    // A power cycle (a new simulator on the same store) keeps level 2.
    let store = sim.g4_option_store().unwrap();
    assert_eq!(store.rdp(), RDP_LEVEL2 as u8);
}

#[test]
fn rdp_level_1_blocks_debugger_flash_reads_and_regression_erases() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().unwrap();
    program(
        &mut session,
        "stm32g47x-8x_512",
        0x0800_0000,
        &image(0x0800_0000, 2048),
    );
    commit_optr(&mut session, (FACTORY_OPTR & !0xFF) | 0xBB);
    launch_option_load(session);
    let mut session = sim.attach().unwrap();
    {
        let mut core = session.core(0).unwrap();
        assert!(
            core.read_word_32(0x0800_0000).is_err(),
            "flash read blocked"
        );
        assert_eq!(core.read_word_32(FLASH_OPTR).unwrap() & 0xFF, 0xBB);
    }
    // Back to level 0: the commit mass-erases the flash.
    commit_optr(&mut session, FACTORY_OPTR);
    launch_option_load(session);
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_32(0x0800_0000).unwrap(), 0xFFFF_FFFF);
}

/// What the flash array holds at `address`, read from the model, not through the debugger.
fn model_word(sim: &Simulator, address: u32) -> u32 {
    sim.with_g4_flash(move |f| f.read_flash(address, false).unwrap())
        .unwrap()
}

/// A test image: `len` bytes at `address` that differ per word.
fn image(address: u32, len: usize) -> Vec<u8> {
    (0..len / 4)
        .flat_map(|i| (address.wrapping_add(4 * i as u32) ^ 0x5A5A_0000).to_le_bytes())
        .collect()
}

fn program(session: &mut Session, algorithm: &str, address: u32, data: &[u8]) {
    let mut loader = session.target().flash_loader();
    loader
        .add_data(u64::from(address), data)
        .expect("data inside the flash map");
    let mut options = probe_rs::flashing::DownloadOptions::default();
    options.verify = true;
    options.preferred_algos = vec![algorithm.to_string()];
    loader
        .commit(session, options)
        .unwrap_or_else(|e| panic!("{algorithm} programs at 0x{address:08X}: {e:?}"));
}

fn assert_model_holds(sim: &Simulator, address: u32, data: &[u8]) {
    for (i, word) in data.chunks(4).enumerate() {
        let at = address + 4 * i as u32;
        let want = u32::from_le_bytes(word.try_into().unwrap());
        assert_eq!(model_word(sim, at), want, "flash at 0x{at:08X}");
    }
}

#[test]
fn probe_rs_512_algorithm_programs_a_dual_bank_g474re_in_both_banks() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().unwrap();
    // Bank 1 start, across the bank boundary's last pages, and in bank 2.
    let low = image(0x0800_0000, 6 * 1024);
    let high = image(0x0803_F000, 8 * 1024);
    program(&mut session, "stm32g47x-8x_512", 0x0800_0000, &low);
    program(&mut session, "stm32g47x-8x_512", 0x0803_F000, &high);
    assert_model_holds(&sim, 0x0800_0000, &low);
    assert_model_holds(&sim, 0x0803_F000, &high);
    // Nothing else was touched.
    assert_eq!(model_word(&sim, 0x0800_1800), 0xFFFF_FFFF);
    assert_eq!(model_word(&sim, 0x0804_1000), 0xFFFF_FFFF);
    // And a page re-erased in bank 2 is the page the algorithm meant (2 KB at 0x0804_0000).
    let again = image(0x0804_0000, 2048);
    let again: Vec<u8> = again.iter().map(|b| !b).collect();
    program(&mut session, "stm32g47x-8x_512", 0x0804_0000, &again);
    assert_model_holds(&sim, 0x0804_0000, &again);
    assert_model_holds(&sim, 0x0804_0800, &high[0x1800..]);
    assert_model_holds(&sim, 0x0803_F000, &high[..0x1000]);
}

/// Puts `words` into the flash array at a physical offset, as if programmed long ago.
fn plant(sim: &Simulator, physical: usize, words: &[u32]) {
    let words = words.to_vec();
    sim.with_g4_flash(move |f| {
        let mut array = f.array().to_vec();
        for (i, w) in words.iter().enumerate() {
            array[physical + 4 * i..physical + 4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        f.restore_array(&array);
    })
    .unwrap();
}

fn try_program(
    session: &mut Session,
    algorithm: &str,
    address: u32,
    data: &[u8],
) -> Result<(), probe_rs::flashing::FlashError> {
    let mut loader = session.target().flash_loader();
    loader.add_data(u64::from(address), data).unwrap();
    let mut options = probe_rs::flashing::DownloadOptions::default();
    options.verify = true;
    options.preferred_algos = vec![algorithm.to_string()];
    loader.commit(session, options)
}

// probe-rs 0.32's `stm32g47x-8x_256` describes 4 KB sectors but numbers the page it erases
// in 2 KB units (PNB = offset / 2048, whatever DBANK says): on a dual-bank 256 KB part it
// erases only the first half of each sector, on a single-bank one it erases another page.
// The model follows RM0440's geometry, so neither mode is right for it; these two tests pin
// what a user would see.

#[test]
fn probe_rs_256_algorithm_erases_half_of_each_sector_on_a_dual_bank_g474rc() {
    let sim = Simulator::new("STM32G474RC").unwrap();
    let mut session = sim.attach().unwrap();
    // On an erased chip the half-erase goes unnoticed: program and verify succeed.
    let first = image(0x0801_E000, 8 * 1024);
    program(&mut session, "stm32g47x-8x_256", 0x0801_E000, &first);
    assert_model_holds(&sim, 0x0801_E000, &first);
    // Programming it again needs the sectors erased; the upper 2 KB of each are not, and the
    // controller refuses to program over them (PROGERR): an error, not wrong content.
    let second: Vec<u8> = first.iter().map(|b| b ^ 0x0F).collect();
    let outcome = try_program(&mut session, "stm32g47x-8x_256", 0x0801_E000, &second);
    assert!(outcome.is_err(), "{outcome:?}");
    assert_model_holds(&sim, 0x0801_E800, &first[0x800..0x1000]);
}

#[test]
fn probe_rs_256_algorithm_on_a_single_bank_g474rc_erases_another_page() {
    let sim = Simulator::new("STM32G474RC").unwrap();
    let mut session = set_bank_mode(&sim, false);
    // Old content at the target (4 KB page 30) and in 4 KB page 60.
    plant(&sim, 0x1_E000, &[0x1111_1111]);
    plant(&sim, 0x3_C000, &[0x6060_6060]);
    let data = image(0x0801_E000, 4 * 1024);
    let outcome = try_program(&mut session, "stm32g47x-8x_256", 0x0801_E000, &data);
    // It erased PNB 60 (its 2 KB numbering of 0x0801_E000), i.e. 0x0803_C000 in single-bank
    // mode, and then could not program the page it never erased.
    assert_eq!(model_word(&sim, 0x0803_C000), 0xFFFF_FFFF, "page 60 erased");
    assert!(outcome.is_err(), "{outcome:?}");
    assert_eq!(model_word(&sim, 0x0801_E000), 0x1111_1111);
}

#[test]
fn probe_rs_512_algorithm_on_a_single_bank_g474re_erases_whole_4kb_pages() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = set_bank_mode(&sim, false);
    // Content in the lower half of 4 KB page 0, outside the image.
    plant(&sim, 0x0, &[0x0BAD_F00D]);
    // `stm32g47x-8x_512` follows DBANK (PNB = offset / 4096 in single-bank mode) but probe-rs
    // believes its sectors are 2 KB: erasing "sector" 0x0800_0800 erases the whole 4 KB page.
    let data = image(0x0800_0800, 2048);
    program(&mut session, "stm32g47x-8x_512", 0x0800_0800, &data);
    assert_model_holds(&sim, 0x0800_0800, &data);
    assert_eq!(
        model_word(&sim, 0x0800_0000),
        0xFFFF_FFFF,
        "the other 2 KB of the 4 KB page were erased too"
    );
    // With images in whole 4 KB pages it programs a single-bank part correctly.
    let whole = image(0x0804_0000, 8 * 1024);
    program(&mut session, "stm32g47x-8x_512", 0x0804_0000, &whole);
    assert_model_holds(&sim, 0x0804_0000, &whole);
}

#[test]
fn sim_state_keeps_a_committed_option_across_processes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g4.json");
    {
        let sim = Simulator::with_state_file("STM32G474RE", &path).unwrap();
        let mut session = sim.attach().unwrap();
        program(
            &mut session,
            "stm32g47x-8x_512",
            0x0804_0000,
            &image(0x0804_0000, 2048),
        );
        commit_optr(&mut session, FACTORY_OPTR & !OPTR_DBANK);
    }
    // A new simulator on the file is a power-on: the committed options load.
    let sim = Simulator::with_state_file("STM32G474RE", &path).unwrap();
    let store: G4OptionStore = sim.g4_option_store().unwrap();
    assert_eq!(store.optr, FACTORY_OPTR & !OPTR_DBANK);
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_32(FLASH_OPTR).unwrap() & OPTR_DBANK, 0);
    // In single-bank mode the bank-2 half of the array follows bank 1 at 0x0804_0000 too
    // (512 KB: the halves meet there), so the programmed page is still where it was.
    assert_eq!(
        core.read_word_32(0x0804_0000).unwrap(),
        0x0804_0000 ^ 0x5A5A_0000
    );
    drop(core);
    drop(session);
    drop(sim);
    // The file names its chip: an F7 cannot open it.
    let err = Simulator::with_state_file("STM32F767ZI", &path).unwrap_err();
    assert!(err.to_string().contains("STM32G474RE"), "{err}");
}

#[test]
fn sim_probe_serves_a_g4_over_the_glasgow_protocol() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let server = GlasgowServer::bind(sim.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let selector = server.selector().unwrap();
    server.spawn();
    let open = || {
        Lister::new()
            .open(
                selector
                    .parse::<probe_rs::probe::DebugProbeSelector>()
                    .unwrap(),
            )
            .unwrap()
    };
    let mut session = open()
        .attach("STM32G474RE", Permissions::default())
        .unwrap();
    assert_eq!(
        session.core(0).unwrap().read_word_32(FLASH_OPTR).unwrap(),
        FACTORY_OPTR
    );
    let data = image(0x0800_0000, 4096);
    program(&mut session, "stm32g47x-8x_512", 0x0800_0000, &data);
    assert_model_holds(&sim, 0x0800_0000, &data);
    // The option sequence over the socket, and a new client after the link dropped.
    commit_optr(&mut session, FACTORY_OPTR & !OPTR_DBANK);
    launch_option_load(session);
    let mut session = open()
        .attach("STM32G474RE", Permissions::default())
        .unwrap();
    assert_eq!(
        session.core(0).unwrap().read_word_32(FLASH_OPTR).unwrap() & OPTR_DBANK,
        0
    );
}

#[test]
fn an_fpb_v1_breakpoint_halts_code_running_from_the_ccm_alias() {
    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    core.halt(Duration::from_millis(500)).unwrap();
    // nop; nop; nop; b . — in CCM SRAM written through its data-bus address, run from its
    // code-region alias (FPBv1 comparators match code below 0x2000_0000 only).
    core.write_16(CCM_SRAM, &[0xBF00, 0xBF00, 0xBF00, 0xE7FE])
        .unwrap();
    assert_eq!(core.read_word_32(CCM_ALIAS).unwrap(), 0xBF00_BF00);
    core.write_core_reg(core.program_counter(), 0x1000_0000u32)
        .unwrap();
    core.set_hw_breakpoint(0x1000_0004).unwrap();
    core.run().unwrap();
    core.wait_for_core_halted(Duration::from_secs(5)).unwrap();
    let pc: u32 = core.read_core_reg(core.program_counter()).unwrap();
    assert_eq!(pc, 0x1000_0004, "halted at the breakpoint");
    assert_eq!(core.available_breakpoint_units().unwrap(), 6);
}
