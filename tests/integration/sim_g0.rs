//! The simulated STM32G0B0/G0B1/G0C1 through the real probe-rs stack: attach by probe-rs's own
//! target names (probe-rs's ARMv6-M ST sequence enables the DBG clock through RCC_APBENR1), the
//! identity at DBG_IDCODE 0x4001_5800, the Cortex-M0+ core, and the FLASH controller's option
//! sequence driven by plain memory writes: nSWAP_BANK committed by OPTSTRT, loaded by OBL_LAUNCH
//! (the link drops, a new attach sees physical bank 2 at 0x0800_0000).

use std::time::{Duration, Instant};

use probe_rs::{MemoryInterface, Session};
use stm32_opts::sim::g0::G0Sim;
use stm32_opts::sim::Simulator;

const DBG_IDCODE: u64 = 0x4001_5800;
const FLASH_SIZE_REG: u64 = 0x1FFF_75E0;
const FLASH_KEYR: u64 = 0x4002_2008;
const FLASH_OPTKEYR: u64 = 0x4002_200C;
const FLASH_SR: u64 = 0x4002_2010;
const FLASH_CR: u64 = 0x4002_2014;
const FLASH_OPTR: u64 = 0x4002_2020;
const OPTION_BYTES: u64 = 0x1FFF_7800;
const CPUID: u64 = 0xE000_ED00;
const FP_CTRL: u64 = 0xE000_2000;
const DWT_CTRL: u64 = 0xE000_1000;

const KEY1: u32 = 0x4567_0123;
const KEY2: u32 = 0xCDEF_89AB;
const OPTKEY1: u32 = 0x0819_2A3B;
const OPTKEY2: u32 = 0x4C5D_6E7F;
const CR_LOCK: u32 = 1 << 31;
const CR_OPTLOCK: u32 = 1 << 30;
const CR_OPTSTRT: u32 = 1 << 17;
const CR_OBL_LAUNCH: u32 = 1 << 27;
/// BSY1, BSY2, CFGBSY.
const SR_BUSY: u32 = (1 << 16) | (1 << 17) | (1 << 18);
const SR_ERRORS: u32 = 0xC3FB;
const FACTORY_OPTR: u32 = 0xFFFF_FEAA;
const OPTR_NSWAP_BANK: u32 = 1 << 20;

fn wait_not_busy(session: &mut Session) {
    let start = Instant::now();
    let mut core = session.core(0).unwrap();
    while core.read_word_32(FLASH_SR).unwrap() & SR_BUSY != 0 {
        assert!(start.elapsed() < Duration::from_secs(5), "BSY stuck");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn attaches_to_a_factory_g0b1re_by_its_probe_rs_name() {
    let sim = Simulator::new("STM32G0B1RETx").unwrap();
    let mut session = sim.attach().expect("probe-rs attaches to STM32G0B1RETx");
    let mut core = session.core(0).unwrap();
    let idcode = core.read_word_32(DBG_IDCODE).unwrap();
    assert_eq!(
        idcode & 0xFFF,
        0x467,
        "DEV_ID of G0B0/G0B1/G0C1: {idcode:#010x}"
    );
    assert_eq!(core.read_word_16(FLASH_SIZE_REG).unwrap(), 512);
    assert_eq!(core.read_word_32(FLASH_OPTR).unwrap(), FACTORY_OPTR);
    assert_eq!(
        core.read_word_32(FLASH_CR).unwrap() & (CR_LOCK | CR_OPTLOCK),
        CR_LOCK | CR_OPTLOCK
    );
    assert_eq!(core.read_word_32(OPTION_BYTES).unwrap(), FACTORY_OPTR);
    assert_eq!(core.read_word_32(OPTION_BYTES + 4).unwrap(), !FACTORY_OPTR);
    // A Cortex-M0+: BPU with 4 comparators, 2 DWT comparators.
    assert_eq!(core.read_word_32(CPUID).unwrap(), 0x410C_C601);
    assert_eq!((core.read_word_32(FP_CTRL).unwrap() >> 4) & 0xF, 4);
    assert_eq!(core.read_word_32(DWT_CTRL).unwrap() >> 28, 2);
    // Both banks of a 512 KB part; nothing after them.
    assert_eq!(core.read_word_32(0x0807_FFFC).unwrap(), 0xFFFF_FFFF);
    assert!(core.read_word_32(0x0808_0000).is_err());
    drop(core);
    drop(session);
    let small = Simulator::new("STM32G0B1RC").unwrap();
    let mut session = small.attach().expect("probe-rs attaches to STM32G0B1RC");
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_16(FLASH_SIZE_REG).unwrap(), 256);
}

#[test]
fn nswap_bank_through_probe_rs_maps_physical_bank_2_first_after_obl_launch() {
    let sim = Simulator::new("STM32G0B1RE").unwrap();
    let mut session = sim.attach().unwrap();
    {
        let mut core = session.core(0).unwrap();
        core.write_word_32(FLASH_KEYR, KEY1).unwrap();
        core.write_word_32(FLASH_KEYR, KEY2).unwrap();
        core.write_word_32(FLASH_OPTKEYR, OPTKEY1).unwrap();
        core.write_word_32(FLASH_OPTKEYR, OPTKEY2).unwrap();
        assert_eq!(
            core.read_word_32(FLASH_CR).unwrap() & (CR_LOCK | CR_OPTLOCK),
            0
        );
    }
    wait_not_busy(&mut session);
    {
        let mut core = session.core(0).unwrap();
        core.write_word_32(FLASH_SR, SR_ERRORS).unwrap();
        core.write_word_32(FLASH_OPTR, FACTORY_OPTR & !OPTR_NSWAP_BANK)
            .unwrap();
        core.write_word_32(FLASH_CR, CR_OPTSTRT).unwrap();
    }
    wait_not_busy(&mut session);
    assert_eq!(
        sim.g0_option_store().unwrap().optr,
        FACTORY_OPTR & !OPTR_NSWAP_BANK
    );
    assert!(
        !sim.with_g0_flash(|f| f.swapped()).unwrap(),
        "not loaded yet"
    );
    {
        let mut core = session.core(0).unwrap();
        let result = core
            .write_word_32(FLASH_CR, CR_OBL_LAUNCH)
            .and_then(|()| core.flush());
        assert!(
            result.is_err(),
            "OBL_LAUNCH resets the chip under the debugger"
        );
    }
    drop(session);
    let mut session = sim.attach().expect("re-attach after OBL_LAUNCH");
    let mut core = session.core(0).unwrap();
    assert_eq!(
        core.read_word_32(FLASH_OPTR).unwrap() & OPTR_NSWAP_BANK,
        0,
        "nSWAP_BANK loaded as 0"
    );
    assert!(sim.with_g0_flash(|f| f.swapped()).unwrap());
    assert_eq!(
        sim.with_g0_flash(|f| f.physical_bank_at(0x0800_0000))
            .unwrap(),
        Some(2)
    );
}

#[test]
fn the_option_store_and_flash_persist_in_a_state_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g0.json");
    {
        let sim = Simulator::with_state_file("STM32G0B1RE", &path).unwrap();
        sim.with_g0_flash(|f| {
            let mut store = f.store();
            store.optr &= !OPTR_NSWAP_BANK;
            *f.store_mut() = store;
            let mut otp = f.otp().to_vec();
            otp[..4].copy_from_slice(&[1, 2, 3, 4]);
            f.restore_otp(&otp);
            let mut array = f.array().to_vec();
            array[256 * 1024] = 0x42;
            f.restore_array(&array);
        })
        .unwrap();
    }
    let sim = Simulator::with_state_file("STM32G0B1RE", &path).unwrap();
    assert_eq!(
        sim.g0_option_store().unwrap().optr,
        FACTORY_OPTR & !OPTR_NSWAP_BANK
    );
    // Restored as after a power-on: the swap is loaded; OTP and both halves kept.
    assert!(sim.with_g0_flash(|f| f.swapped()).unwrap());
    assert_eq!(
        sim.with_g0_flash(|f| f.otp()[..4].to_vec()).unwrap(),
        [1, 2, 3, 4]
    );
    assert_eq!(sim.with_g0_flash(|f| f.array()[256 * 1024]).unwrap(), 0x42);
}

/// A G0B1RE whose physical bank 1 page 0 holds 0x11 bytes, loaded with nSWAP_BANK = `nswap`.
fn planted(nswap: bool) -> Simulator {
    let sim = Simulator::new("STM32G0B1RE").unwrap();
    sim.with_g0_flash(move |f| {
        let mut store = f.store();
        if !nswap {
            store.optr &= !OPTR_NSWAP_BANK;
        }
        *f.store_mut() = store;
        let mut array = f.array().to_vec();
        array[..2048].fill(0x11);
        f.restore_array(&array);
        f.power_on_reset();
    })
    .unwrap();
    sim
}

/// probe-rs's loader with `stm32g0bx_512` writing 2 KB at `address`.
fn algorithm_load(sim: &Simulator, address: u64, data: &[u8]) -> Result<(), String> {
    let mut session = sim.attach().unwrap();
    let mut loader = session.target().flash_loader();
    loader.add_data(address, data).unwrap();
    let mut options = probe_rs::flashing::DownloadOptions::default();
    options.verify = true;
    options.preferred_algos = vec!["stm32g0bx_512".to_string()];
    loader
        .commit(&mut session, options)
        .map_err(|e| format!("{e:?}"))
}

/// What probe-rs 0.32's own G0B/G0C algorithm (`stm32g0bx_512`, unmodified, run on the simulated
/// core) does, which is why `load` on a G0 is host-driven: with the swap on it erases the page of
/// the physical bank the address names *without* the swap — physical bank 1 page 0 for
/// 0x0800_0000, which is physical bank 2's now — and programs the right one, destroying a page
/// the user did not mean (the wolfBoot 821 bug). On this model it also cannot erase bank 2
/// (0x0804_0000) without the swap: its erase routine reports an error (which of the model's and
/// the algorithm's bank-2 page numbering is right is UNVERIFIED on silicon).
#[test]
fn probe_rs_g0_algorithm_erases_the_bank_the_user_did_not_mean_with_the_swap_on() {
    let data: Vec<u8> = (0..2048u32).map(|i| (i * 7) as u8).collect();
    let half = 256 * 1024;

    let plain = planted(true);
    algorithm_load(&plain, 0x0800_0000, &data).unwrap();
    let array = plain.with_g0_flash(|f| f.array().to_vec()).unwrap();
    assert_eq!(array[..2048], data[..], "no swap: physical bank 1");

    let swapped = planted(false);
    algorithm_load(&swapped, 0x0800_0000, &data).unwrap();
    let array = swapped.with_g0_flash(|f| f.array().to_vec()).unwrap();
    assert_eq!(
        array[half..half + 2048],
        data[..],
        "swap on: physical bank 2 programmed"
    );
    assert!(
        array[..2048].iter().all(|&b| b == 0xFF),
        "swap on: physical bank 1 page 0 erased though the image is not there"
    );

    let bank2 = planted(true);
    let err = algorithm_load(&bank2, 0x0804_0000, &data).unwrap_err();
    assert!(err.contains("erase_sector"), "{err}");
}
