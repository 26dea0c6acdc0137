//! Tests of the simulated H743's FLASH controller, written against the reference facts: keys
//! per bank, lock until reset, 256-bit programming through the write buffer, erase of the
//! physical bank under the swap, the option change with OPT_BUSY and OPTCHANGEERR, the swap at
//! reset only, RDP.

use std::time::{Duration, Instant};

use super::*;
use crate::sim::h7::regs::{cr, key, optcr, optsr, reg, sr, OPTCCR_CLR_OPTCHANGEERR};

const KEYR: [u32; 2] = [reg::KEYR1, reg::KEYR1 + reg::BANK2];
const CR: [u32; 2] = [reg::CR1, reg::CR1 + reg::BANK2];
const SR: [u32; 2] = [reg::SR1, reg::SR1 + reg::BANK2];
const CCR: [u32; 2] = [reg::CCR1, reg::CCR1 + reg::BANK2];
const WPSN_PRG: [u32; 2] = [reg::WPSN_PRG1, reg::WPSN_PRG1 + reg::BANK2];
const WINDOW1: u32 = 0x0800_0000;
const WINDOW2: u32 = 0x0810_0000;

fn chip() -> (H7Flash, Instant) {
    (
        H7Flash::new(2048, H7OptionStore::factory()).unwrap(),
        Instant::now(),
    )
}

fn unlock(f: &mut H7Flash, bank: usize, now: Instant) {
    f.write_register(KEYR[bank], key::KEY1, now).unwrap();
    f.write_register(KEYR[bank], key::KEY2, now).unwrap();
    assert_eq!(
        f.read_register(CR[bank], now) & cr::LOCK,
        0,
        "bank {bank} unlocked"
    );
}

fn unlock_options(f: &mut H7Flash, now: Instant) {
    f.write_register(reg::OPTKEYR, key::OPTKEY1, now).unwrap();
    f.write_register(reg::OPTKEYR, key::OPTKEY2, now).unwrap();
    assert_eq!(f.read_register(reg::OPTCR, now) & optcr::OPTLOCK, 0);
}

/// Programs one whole flash word of `pattern` at logical `address` through bank `bank`'s PG.
fn program_word(f: &mut H7Flash, bank: usize, address: u32, pattern: u32, now: Instant) {
    f.write_register(CR[bank], cr::PG, now).unwrap();
    for i in 0..8 {
        f.write_flash(address + 4 * i, pattern ^ i, 4, false, now)
            .unwrap();
    }
    f.write_register(CR[bank], 0, now).unwrap();
}

fn read(f: &H7Flash, address: u32) -> u32 {
    f.read_flash(address, false).unwrap()
}

/// Runs the option change to its end: keys, staged OPTSR, OPTSTART, wait, relock.
fn change_options(f: &mut H7Flash, optsr_value: u32, now: Instant) -> Instant {
    unlock_options(f, now);
    f.write_register(reg::OPTSR_PRG, optsr_value, now).unwrap();
    f.write_register(reg::OPTCCR, OPTCCR_CLR_OPTCHANGEERR, now)
        .unwrap();
    f.write_register(reg::OPTCR, optcr::OPTSTART, now).unwrap();
    let later = now + Duration::from_secs(1);
    assert_eq!(f.read_register(reg::OPTSR_CUR, later) & optsr::OPT_BUSY, 0);
    f.write_register(reg::OPTCR, optcr::OPTLOCK, later).unwrap();
    later
}

#[test]
fn each_bank_has_its_own_keys() {
    let (mut f, now) = chip();
    for cr_offset in CR {
        assert_eq!(f.read_register(cr_offset, now) & cr::LOCK, cr::LOCK);
    }
    unlock(&mut f, 0, now);
    assert_eq!(
        f.read_register(CR[1], now) & cr::LOCK,
        cr::LOCK,
        "bank 2 still locked"
    );
    unlock(&mut f, 1, now);
    // LOCK is set again by a write, and only the keys clear it.
    f.write_register(CR[0], cr::LOCK, now).unwrap();
    assert_eq!(f.read_register(CR[0], now) & cr::LOCK, cr::LOCK);
    f.write_register(CR[0], cr::PG, now).unwrap();
    assert_eq!(
        f.read_register(CR[0], now) & (cr::LOCK | cr::PG),
        cr::LOCK,
        "ignored"
    );
}

#[test]
fn a_wrong_key_locks_that_bank_until_reset() {
    let (mut f, now) = chip();
    assert_eq!(
        f.write_register(KEYR[1], 0x1234_5678, now),
        Err(H7BusFault::WrongKey)
    );
    assert_eq!(
        f.write_register(KEYR[1], key::KEY1, now),
        Err(H7BusFault::LockedUntilReset)
    );
    assert_eq!(
        f.write_register(KEYR[1], key::KEY2, now),
        Err(H7BusFault::LockedUntilReset)
    );
    assert_eq!(f.read_register(CR[1], now) & cr::LOCK, cr::LOCK);
    // Bank 1's register set is not affected.
    unlock(&mut f, 0, now);
    // A key written to an unlocked register is a wrong key too.
    assert_eq!(
        f.write_register(KEYR[0], key::KEY1, now),
        Err(H7BusFault::WrongKey)
    );
    assert_eq!(f.read_register(CR[0], now) & cr::LOCK, cr::LOCK);
    // KEY2 first is out of order.
    f.reset();
    assert_eq!(
        f.write_register(KEYR[0], key::KEY2, now),
        Err(H7BusFault::WrongKey)
    );
    f.reset();
    unlock(&mut f, 0, now);
    unlock(&mut f, 1, now);
}

#[test]
fn a_flash_word_is_programmed_when_its_32_bytes_are_in_the_buffer() {
    let (mut f, now) = chip();
    f.timing.flash_word_program = Duration::from_millis(5);
    unlock(&mut f, 0, now);
    f.write_register(CR[0], cr::PG, now).unwrap();
    for i in 0..7 {
        f.write_flash(WINDOW1 + 4 * i, 0x1111_1111 * (i + 1), 4, false, now)
            .unwrap();
        assert_eq!(f.read_register(SR[0], now), sr::WBNE, "word {i} buffered");
        assert_eq!(read(&f, WINDOW1 + 4 * i), 0xFFFF_FFFF, "not yet programmed");
    }
    f.write_flash(WINDOW1 + 28, 0x8888_8888, 4, false, now)
        .unwrap();
    assert_eq!(f.read_register(SR[0], now), sr::BSY | sr::QW, "programming");
    assert_eq!(f.read_register(SR[1], now), 0, "the other bank is idle");
    let done = now + Duration::from_millis(5);
    assert_eq!(f.read_register(SR[0], done), sr::EOP);
    for i in 0..8 {
        assert_eq!(read(&f, WINDOW1 + 4 * i), 0x1111_1111 * (i + 1));
    }
    f.write_register(CCR[0], sr::EOP, done).unwrap();
    assert_eq!(f.read_register(SR[0], done), 0);
    // SR itself is read-only: writing 1s clears nothing.
    f.write_register(CR[0], cr::PG, done).unwrap();
    f.write_flash(WINDOW1 + 0x40, 0, 4, false, done).unwrap();
    f.write_register(SR[0], sr::WBNE, done).unwrap();
    assert_eq!(f.read_register(SR[0], done), sr::WBNE);
}

#[test]
fn byte_and_half_word_writes_fill_the_buffer_too() {
    let (mut f, now) = chip();
    unlock(&mut f, 1, now);
    f.write_register(CR[1], cr::PG, now).unwrap();
    for i in 0..16u32 {
        f.write_flash(WINDOW2 + 0x20 + 2 * i, 0xA500 | i, 2, false, now)
            .unwrap();
    }
    assert_eq!(read(&f, WINDOW2 + 0x20), 0xA501_A500);
    assert_eq!(read(&f, WINDOW2 + 0x3C), 0xA50F_A50E);
    f.write_flash(WINDOW2 + 0x40, 0x5A, 1, false, now).unwrap();
    assert_eq!(f.read_register(SR[1], now), sr::WBNE | sr::EOP);
}

#[test]
fn a_partial_flash_word_is_programmed_only_by_fw() {
    let (mut f, now) = chip();
    unlock(&mut f, 0, now);
    f.write_register(CR[0], cr::PG, now).unwrap();
    for i in 0..3 {
        f.write_flash(WINDOW1 + 0x100 + 4 * i, 0x0BAD_0000 | i, 4, false, now)
            .unwrap();
    }
    assert_eq!(read(&f, WINDOW1 + 0x100), 0xFFFF_FFFF);
    assert_eq!(f.read_register(SR[0], now), sr::WBNE);
    f.write_register(CR[0], cr::PG | cr::FW, now).unwrap();
    assert_eq!(f.read_register(SR[0], now) & sr::WBNE, 0);
    assert_eq!(f.read_register(CR[0], now) & cr::FW, 0, "FW is a trigger");
    assert_eq!(read(&f, WINDOW1 + 0x100), 0x0BAD_0000);
    assert_eq!(read(&f, WINDOW1 + 0x108), 0x0BAD_0002);
    assert_eq!(
        read(&f, WINDOW1 + 0x10C),
        0xFFFF_FFFF,
        "the missing bytes stay erased"
    );
    // FW with an empty buffer does nothing.
    let before = f.changes();
    f.write_register(CR[0], cr::PG | cr::FW, now).unwrap();
    assert_eq!(f.changes(), before);
}

#[test]
fn write_buffer_errors() {
    let (mut f, now) = chip();
    // No PG: a sequence error, nothing buffered.
    f.write_flash(WINDOW1, 0, 4, false, now).unwrap();
    assert_eq!(f.read_register(SR[0], now), sr::PGSERR);
    unlock(&mut f, 0, now);
    f.write_flash(WINDOW1, 0, 4, false, now).unwrap();
    assert_eq!(f.read_register(SR[0], now), sr::PGSERR);
    f.write_register(CCR[0], sr::PGSERR, now).unwrap();
    // The same byte twice: strobe error; the buffer keeps its data.
    f.write_register(CR[0], cr::PG, now).unwrap();
    f.write_flash(WINDOW1, 0x11, 1, false, now).unwrap();
    f.write_flash(WINDOW1, 0x22, 4, false, now).unwrap();
    assert_eq!(f.read_register(SR[0], now), sr::WBNE | sr::STRBERR);
    // Another flash word while the buffer holds data: inconsistency, the buffer discarded.
    f.write_flash(WINDOW1 + 0x20, 0x33, 4, false, now).unwrap();
    assert_eq!(f.read_register(SR[0], now), sr::STRBERR | sr::INCERR);
    f.write_register(CR[0], cr::PG | cr::FW, now).unwrap();
    assert_eq!(read(&f, WINDOW1), 0xFFFF_FFFF, "nothing was programmed");
    // PG cleared with data in the buffer: the data is lost, PGSERR.
    f.write_register(CCR[0], sr::STRBERR | sr::INCERR, now)
        .unwrap();
    f.write_flash(WINDOW1 + 0x40, 0x44, 4, false, now).unwrap();
    f.write_register(CR[0], 0, now).unwrap();
    assert_eq!(f.read_register(SR[0], now), sr::PGSERR);
    // No flash behind the address at all: a bus error.
    assert_eq!(
        f.write_flash(0x0820_0000, 0, 4, false, now),
        Err(H7BusFault::NoFlash)
    );
}

#[test]
fn programming_only_clears_bits() {
    let (mut f, now) = chip();
    unlock(&mut f, 0, now);
    program_word(&mut f, 0, WINDOW1, 0xF0F0_F0F0, now);
    program_word(&mut f, 0, WINDOW1, 0x0FFF_FFFF, now);
    assert_eq!(read(&f, WINDOW1), 0x00F0_F0F0);
}

#[test]
fn sector_and_bank_erase_name_the_physical_bank() {
    let (mut f, now) = chip();
    unlock(&mut f, 0, now);
    unlock(&mut f, 1, now);
    for (bank, window) in [(0, WINDOW1), (1, WINDOW2)] {
        for sector in [0, 1, 7] {
            program_word(&mut f, bank, window + sector * SECTOR, 0x1234_0000, now);
        }
    }
    // SER + SNB 1 + START in CR2: sector 1 of physical bank 2, seen at 0x0812_0000.
    f.write_register(CR[1], cr::SER | (1 << cr::SNB_SHIFT), now)
        .unwrap();
    f.write_register(CR[1], cr::SER | (1 << cr::SNB_SHIFT) | cr::START, now)
        .unwrap();
    assert_eq!(read(&f, WINDOW2 + SECTOR), 0xFFFF_FFFF);
    assert_eq!(read(&f, WINDOW2), 0x1234_0000);
    assert_eq!(
        read(&f, WINDOW1 + SECTOR),
        0x1234_0000,
        "bank 1's sector 1 untouched"
    );
    let later = now + Duration::from_secs(1);
    assert_eq!(f.read_register(SR[1], later), sr::EOP);
    // BER + START in CR1: all of physical bank 1.
    f.write_register(CR[0], cr::BER | cr::START, later).unwrap();
    for sector in [0, 1, 7] {
        assert_eq!(read(&f, WINDOW1 + sector * SECTOR), 0xFFFF_FFFF);
    }
    assert_eq!(
        read(&f, WINDOW2 + 7 * SECTOR),
        0x1234_0000,
        "bank 2 untouched"
    );
    assert_eq!(
        f.read_register(CR[0], later) & cr::START,
        0,
        "START is a trigger"
    );
}

#[test]
fn erase_sequence_errors() {
    let (mut f, now) = chip();
    unlock(&mut f, 0, now);
    // START with neither or both kinds of erase.
    f.write_register(CR[0], cr::START, now).unwrap();
    assert_eq!(f.read_register(SR[0], now), sr::PGSERR);
    f.write_register(CCR[0], sr::PGSERR, now).unwrap();
    f.write_register(CR[0], cr::SER | cr::BER | cr::START, now)
        .unwrap();
    assert_eq!(f.read_register(SR[0], now), sr::PGSERR);
    // A sector the 1 MB part's bank does not have.
    let mut small = H7Flash::new(1024, H7OptionStore::factory()).unwrap();
    unlock(&mut small, 0, now);
    small
        .write_register(CR[0], cr::SER | (4 << cr::SNB_SHIFT) | cr::START, now)
        .unwrap();
    assert_eq!(small.read_register(SR[0], now), sr::PGSERR);
    assert_eq!(small.changes(), 0, "nothing erased");
    small
        .write_register(CR[0], cr::SER | (3 << cr::SNB_SHIFT) | cr::START, now)
        .unwrap();
    assert_eq!(small.changes(), 1);
    // The 1 MB part has nothing at 0x0808_0000–0x0810_0000.
    assert_eq!(
        small.read_flash(0x0808_0000, false),
        Err(H7BusFault::NoFlash)
    );
    assert_eq!(small.read_flash(0x0817_FFFC, false).map(|_| ()), Ok(()));
    assert_eq!(
        small.read_flash(0x0818_0000, false),
        Err(H7BusFault::NoFlash)
    );
}

#[test]
fn write_protection_of_the_physical_sectors() {
    let (mut f, now) = chip();
    unlock_options(&mut f, now);
    // Protect sector 2 of physical bank 2 (its WRPSN bit cleared).
    f.write_register(WPSN_PRG[1], 0xFB, now).unwrap();
    f.write_register(reg::OPTCR, optcr::OPTSTART, now).unwrap();
    let now = now + Duration::from_secs(1);
    assert_eq!(f.read_register(reg::WPSN_CUR1 + reg::BANK2, now), 0xFB);
    unlock(&mut f, 1, now);
    f.write_register(CR[1], cr::SER | (2 << cr::SNB_SHIFT) | cr::START, now)
        .unwrap();
    assert_eq!(f.read_register(SR[1], now), sr::WRPERR);
    f.write_register(CCR[1], sr::WRPERR, now).unwrap();
    program_word(&mut f, 1, WINDOW2 + 2 * SECTOR, 0, now);
    assert_eq!(f.read_register(SR[1], now), sr::WRPERR);
    assert_eq!(read(&f, WINDOW2 + 2 * SECTOR), 0xFFFF_FFFF);
    f.write_register(CCR[1], sr::WRPERR, now).unwrap();
    f.write_register(CR[1], cr::BER | cr::START, now).unwrap();
    assert_eq!(
        f.read_register(SR[1], now),
        sr::WRPERR,
        "a bank erase is refused"
    );
    // Bank 1's sector 2 is not protected.
    unlock(&mut f, 0, now);
    program_word(&mut f, 0, WINDOW1 + 2 * SECTOR, 0, now);
    assert_eq!(read(&f, WINDOW1 + 2 * SECTOR), 0);
}

#[test]
fn mass_erase_clears_both_banks_once_both_are_unlocked() {
    let (mut f, now) = chip();
    unlock(&mut f, 0, now);
    unlock(&mut f, 1, now);
    program_word(&mut f, 0, WINDOW1, 0, now);
    program_word(&mut f, 1, WINDOW2 + 0x1000, 0, now);
    f.write_register(CR[1], cr::LOCK, now).unwrap();
    f.write_register(reg::OPTCR, optcr::MER, now).unwrap();
    assert_eq!(read(&f, WINDOW1), 0, "bank 2 locked: no mass erase");
    unlock(&mut f, 1, now);
    f.write_register(reg::OPTCR, optcr::MER, now).unwrap();
    assert_eq!(read(&f, WINDOW1), 0xFFFF_FFFF);
    assert_eq!(read(&f, WINDOW2 + 0x1000), 0xFFFF_FFFF);
    assert_ne!(
        f.read_register(SR[0], now) & sr::QW,
        0,
        "busy with the erase"
    );
}

#[test]
fn the_option_change_takes_opt_busy_time_then_shows_in_optsr_cur() {
    let (mut f, now) = chip();
    f.timing.option_change = Duration::from_millis(300);
    let factory = f.read_register(reg::OPTSR_CUR, now);
    assert_eq!(factory, H7OptionStore::factory().optsr);
    // OPTSR_PRG ignores writes while OPTLOCK is set.
    f.write_register(reg::OPTSR_PRG, factory | optsr::SWAP_BANK_OPT, now)
        .unwrap();
    assert_eq!(f.read_register(reg::OPTSR_PRG, now), factory);
    unlock_options(&mut f, now);
    let swapped = factory | optsr::SWAP_BANK_OPT;
    // The status bits and reserved bits cannot be staged.
    f.write_register(
        reg::OPTSR_PRG,
        swapped | optsr::OPT_BUSY | optsr::OPTCHANGEERR | (1 << 27),
        now,
    )
    .unwrap();
    assert_eq!(f.read_register(reg::OPTSR_PRG, now), swapped);
    assert_eq!(f.read_register(reg::OPTSR_CUR, now), factory, "staged only");
    f.write_register(reg::OPTCR, optcr::OPTSTART, now).unwrap();
    let mid = now + Duration::from_millis(150);
    assert_eq!(
        f.read_register(reg::OPTSR_CUR, mid),
        factory | optsr::OPT_BUSY
    );
    assert_eq!(
        f.read_register(reg::OPTCR, mid) & optcr::OPTSTART,
        optcr::OPTSTART
    );
    assert_eq!(f.store(), H7OptionStore::factory(), "not yet stored");
    let end = now + Duration::from_millis(300);
    assert_eq!(f.read_register(reg::OPTSR_CUR, end), swapped);
    assert_eq!(f.read_register(reg::OPTCR, end) & optcr::OPTSTART, 0);
    assert_eq!(
        f.take_events(),
        [H7Event::OptionsProgrammed {
            swap_at_next_reset: true
        }]
    );
    assert!(f.store().swap());
    assert_eq!(f.changes(), 1);
}

#[test]
fn the_swap_takes_effect_at_the_next_reset_and_only_then() {
    let (mut f, now) = chip();
    unlock(&mut f, 0, now);
    unlock(&mut f, 1, now);
    program_word(&mut f, 0, WINDOW1, 0xB001_0000, now);
    program_word(&mut f, 1, WINDOW2, 0xB002_0000, now);
    let now = change_options(
        &mut f,
        H7OptionStore::factory().optsr | optsr::SWAP_BANK_OPT,
        now,
    );
    // OPTSR_CUR has the new value; OPTCR.SWAP_BANK and the map do not, yet.
    assert_ne!(
        f.read_register(reg::OPTSR_CUR, now) & optsr::SWAP_BANK_OPT,
        0
    );
    assert_eq!(f.read_register(reg::OPTCR, now) & optcr::SWAP_BANK, 0);
    assert_eq!(read(&f, WINDOW1), 0xB001_0000);
    assert!(!f.swap_in_force());
    f.reset();
    assert_ne!(f.read_register(reg::OPTCR, now) & optcr::SWAP_BANK, 0);
    assert_eq!(
        read(&f, WINDOW1),
        0xB002_0000,
        "physical bank 2 at 0x0800_0000"
    );
    assert_eq!(
        read(&f, WINDOW2),
        0xB001_0000,
        "physical bank 1 at 0x0810_0000"
    );
    assert_eq!(f.physical(WINDOW1), Some((1, 0)));
    assert_eq!(f.physical(WINDOW2 + 4), Some((0, 4)));
    // And back.
    let now = change_options(&mut f, H7OptionStore::factory().optsr, now);
    assert_eq!(
        read(&f, WINDOW1),
        0xB002_0000,
        "still swapped before the reset"
    );
    f.reset();
    assert_eq!(f.read_register(reg::OPTCR, now) & optcr::SWAP_BANK, 0);
    assert_eq!(read(&f, WINDOW1), 0xB001_0000);
}

#[test]
fn under_the_swap_cr1_erases_what_is_seen_at_0x0810_0000() {
    let mut store = H7OptionStore::factory();
    store.optsr |= optsr::SWAP_BANK_OPT;
    let mut f = H7Flash::new(2048, store).unwrap();
    let now = Instant::now();
    unlock(&mut f, 0, now);
    unlock(&mut f, 1, now);
    // The running image at 0x0800_0000 lives in physical bank 2: written through CR2.PG.
    program_word(&mut f, 1, WINDOW1, 0x1A6E_0000, now);
    assert_eq!(
        f.array()[f.bank_bytes() as usize],
        0x00,
        "stored in physical bank 2"
    );
    // Writing it through CR1.PG instead is a sequence error of bank 2 (whose PG is clear).
    f.write_register(CR[0], cr::PG, now).unwrap();
    f.write_flash(WINDOW1 + 0x20, 0, 4, false, now).unwrap();
    assert_eq!(f.read_register(SR[1], now), sr::PGSERR | sr::EOP);
    assert_eq!(f.read_register(SR[0], now), 0);
    f.write_register(CR[0], 0, now).unwrap();
    program_word(&mut f, 0, WINDOW2, 0x0DD0_0000, now);
    // The user means "erase logical bank 2" (0x0810_0000 = physical bank 1): BER in CR1.
    f.write_register(CR[0], cr::BER | cr::START, now).unwrap();
    assert_eq!(read(&f, WINDOW2), 0xFFFF_FFFF);
    assert_eq!(
        read(&f, WINDOW1),
        0x1A6E_0000,
        "the image at 0x0800_0000 survives"
    );
    // The mistake the issue names (register set picked from the address): BER in CR2
    // erases the image at 0x0800_0000.
    let later = now + Duration::from_secs(1);
    f.write_register(CR[1], cr::BER | cr::START, later).unwrap();
    assert_eq!(read(&f, WINDOW1), 0xFFFF_FFFF);
    // Sector 0 of CR1 is the first sector at 0x0810_0000.
    program_word(&mut f, 0, WINDOW2, 0, later + Duration::from_secs(1));
    f.write_register(CR[0], cr::SER | cr::START, later + Duration::from_secs(2))
        .unwrap();
    assert_eq!(read(&f, WINDOW2), 0xFFFF_FFFF);
}

#[test]
fn a_forbidden_change_ends_with_optchangeerr() {
    let mut store = H7OptionStore::factory();
    store.optsr = (store.optsr & !optsr::RDP) | (0xCC << optsr::RDP_SHIFT);
    let mut f = H7Flash::new(2048, store).unwrap();
    let now = Instant::now();
    let level0 = (store.optsr & !optsr::RDP) | (0xAA << optsr::RDP_SHIFT);
    let now = change_options(&mut f, level0, now);
    let cur = f.read_register(reg::OPTSR_CUR, now);
    assert_eq!(cur & optsr::OPTCHANGEERR, optsr::OPTCHANGEERR);
    assert_eq!(cur & optsr::RDP, 0xCC << optsr::RDP_SHIFT, "level 2 stays");
    assert_eq!(f.store(), store);
    assert_eq!(f.take_events(), [H7Event::OptionChangeRefused]);
    assert_eq!(f.changes(), 0);
    // OPTCCR clears the flag; the lock holds.
    f.write_register(reg::OPTCCR, OPTCCR_CLR_OPTCHANGEERR, now)
        .unwrap();
    assert_eq!(
        f.read_register(reg::OPTSR_CUR, now) & optsr::OPTCHANGEERR,
        0
    );
    assert_ne!(f.read_register(reg::OPTCR, now) & optcr::OPTLOCK, 0);
    // Injected: any change fails.
    let (mut g, now) = chip();
    g.set_faults(H7Faults {
        force_optchangeerr: true,
        ..H7Faults::default()
    });
    let now = change_options(&mut g, H7OptionStore::factory().optsr | optsr::IO_HSLV, now);
    assert_ne!(
        g.read_register(reg::OPTSR_CUR, now) & optsr::OPTCHANGEERR,
        0
    );
    assert_eq!(g.store(), H7OptionStore::factory());
}

#[test]
fn option_keys_and_the_lock() {
    let (mut f, now) = chip();
    // OPTCR ignores OPTSTART while locked.
    f.write_register(reg::OPTCR, optcr::OPTSTART, now).unwrap();
    assert_eq!(f.read_register(reg::OPTSR_CUR, now) & optsr::OPT_BUSY, 0);
    assert_eq!(
        f.write_register(reg::OPTKEYR, key::KEY1, now),
        Err(H7BusFault::WrongKey),
        "the bank key is not an option key"
    );
    assert_eq!(
        f.write_register(reg::OPTKEYR, key::OPTKEY1, now),
        Err(H7BusFault::LockedUntilReset)
    );
    assert_ne!(f.read_register(reg::OPTCR, now) & optcr::OPTLOCK, 0);
    // The banks' keys still work.
    unlock(&mut f, 0, now);
    f.reset();
    unlock_options(&mut f, now);
    // A key while unlocked locks until reset.
    assert_eq!(
        f.write_register(reg::OPTKEYR, key::OPTKEY1, now),
        Err(H7BusFault::WrongKey)
    );
    assert_ne!(f.read_register(reg::OPTCR, now) & optcr::OPTLOCK, 0);
    // OPTLOCK set by a write.
    f.reset();
    unlock_options(&mut f, now);
    f.write_register(reg::OPTCR, optcr::OPTLOCK, now).unwrap();
    assert_ne!(f.read_register(reg::OPTCR, now) & optcr::OPTLOCK, 0);
    // SWAP_BANK in OPTCR is read-only.
    unlock_options(&mut f, now);
    f.write_register(reg::OPTCR, optcr::SWAP_BANK, now).unwrap();
    assert_eq!(f.read_register(reg::OPTCR, now) & optcr::SWAP_BANK, 0);
}

#[test]
fn a_reset_during_opt_busy_drops_the_change() {
    let (mut f, now) = chip();
    unlock_options(&mut f, now);
    f.write_register(
        reg::OPTSR_PRG,
        H7OptionStore::factory().optsr | optsr::SWAP_BANK_OPT,
        now,
    )
    .unwrap();
    f.write_register(reg::OPTCR, optcr::OPTSTART, now).unwrap();
    assert_ne!(f.read_register(reg::OPTSR_CUR, now) & optsr::OPT_BUSY, 0);
    f.reset();
    let later = now + Duration::from_secs(1);
    assert_eq!(
        f.read_register(reg::OPTSR_CUR, later),
        H7OptionStore::factory().optsr
    );
    assert_eq!(
        f.read_register(reg::OPTSR_PRG, later),
        H7OptionStore::factory().optsr
    );
    assert!(!f.swap_in_force());
    assert_ne!(f.read_register(reg::OPTCR, later) & optcr::OPTLOCK, 0);
}

#[test]
fn stuck_busy_flags_never_drop() {
    let (mut f, now) = chip();
    f.set_faults(H7Faults {
        stuck_bsy: true,
        stuck_opt_busy: true,
        ..H7Faults::default()
    });
    unlock(&mut f, 0, now);
    f.write_register(CR[0], cr::SER | cr::START, now).unwrap();
    unlock_options(&mut f, now);
    f.write_register(reg::OPTCR, optcr::OPTSTART, now).unwrap();
    let much_later = now + Duration::from_secs(3600);
    assert_eq!(f.read_register(SR[0], much_later), sr::BSY | sr::QW);
    assert_ne!(
        f.read_register(reg::OPTSR_CUR, much_later) & optsr::OPT_BUSY,
        0
    );
    // An erase while busy is a sequence error.
    f.write_register(CR[0], cr::SER | cr::START, much_later)
        .unwrap();
    assert_ne!(f.read_register(SR[0], much_later) & sr::PGSERR, 0);
}

#[test]
fn rdp_level_1_blocks_the_debugger_and_going_back_erases() {
    let (mut f, now) = chip();
    unlock(&mut f, 0, now);
    program_word(&mut f, 0, WINDOW1, 0, now);
    let factory = H7OptionStore::factory().optsr;
    let level1 = (factory & !optsr::RDP) | (0x55 << optsr::RDP_SHIFT);
    let now = change_options(&mut f, level1, now);
    assert_eq!(f.read_flash(WINDOW1, true), Err(H7BusFault::ReadProtected));
    assert_eq!(f.read_flash(WINDOW1, false), Ok(0), "the CPU still reads");
    assert_eq!(
        f.write_flash(WINDOW1, 0, 4, true, now),
        Err(H7BusFault::ReadProtected)
    );
    assert!(!f.debug_port_closed());
    f.timing.rdp_regression = Duration::from_millis(500);
    unlock_options(&mut f, now);
    f.write_register(reg::OPTSR_PRG, factory, now).unwrap();
    f.write_register(reg::OPTCR, optcr::OPTSTART, now).unwrap();
    let before_end = now + f.timing.option_change + Duration::from_millis(100);
    assert_ne!(
        f.read_register(reg::OPTSR_CUR, before_end) & optsr::OPT_BUSY,
        0,
        "the mass erase takes longer"
    );
    let end = now + Duration::from_secs(1);
    assert_eq!(f.read_register(reg::OPTSR_CUR, end) & optsr::OPT_BUSY, 0);
    assert_eq!(
        f.read_flash(WINDOW1, true),
        Ok(0xFFFF_FFFF),
        "erased, readable"
    );
}

#[test]
fn rdp_level_2_closes_the_debug_port_from_the_next_reset() {
    let (mut f, now) = chip();
    let level2 = (H7OptionStore::factory().optsr & !optsr::RDP) | (0xCC << optsr::RDP_SHIFT);
    let now = change_options(&mut f, level2, now);
    assert_eq!(f.store().rdp(), 0xCC);
    assert!(!f.debug_port_closed(), "the session that set it goes on");
    assert!(f.flash_read_protected());
    f.reset();
    assert!(f.debug_port_closed());
    // And the store never changes again.
    let now = change_options(&mut f, H7OptionStore::factory().optsr, now);
    assert_ne!(
        f.read_register(reg::OPTSR_CUR, now) & optsr::OPTCHANGEERR,
        0
    );
    assert_eq!(f.store().rdp(), 0xCC);
}

#[test]
fn the_other_option_registers_stage_and_commit() {
    let (mut f, now) = chip();
    unlock_options(&mut f, now);
    for (prg, value, masked) in [
        (reg::PRAR_PRG1, 0xFFFF_FFFF, 0x8FFF_0FFF),
        (reg::SCAR_PRG1 + reg::BANK2, 0x0001_0000, 0x0001_0000),
        (reg::WPSN_PRG1, 0xFFFF_FF7F, 0x7F),
        (reg::BOOT_PRG, 0x1FF0_2400, 0x1FF0_2400),
    ] {
        f.write_register(prg, value, now).unwrap();
        assert_eq!(f.read_register(prg, now), masked, "{prg:#x}");
        assert_ne!(
            f.read_register(prg - 4, now),
            masked,
            "{prg:#x}: CUR unchanged"
        );
    }
    f.write_register(reg::OPTCR, optcr::OPTSTART, now).unwrap();
    let later = now + Duration::from_secs(1);
    assert_eq!(f.read_register(reg::PRAR_CUR1, later), 0x8FFF_0FFF);
    assert_eq!(
        f.read_register(reg::SCAR_CUR1 + reg::BANK2, later),
        0x0001_0000
    );
    assert_eq!(f.read_register(reg::WPSN_CUR1, later), 0x7F);
    assert_eq!(f.read_register(reg::BOOT_CUR, later), 0x1FF0_2400);
    assert_eq!(f.store().boot_address0(), 0x2400_0000);
}

#[test]
fn register_map() {
    let (mut f, now) = chip();
    // Reserved words and the CRC/ECC registers read 0 and ignore writes.
    for offset in [0x48, 0x4C, 0x50, 0x100, 0x108, 0x118, 0x140, 0x160, 0x3FC] {
        f.write_register(offset, 0xFFFF_FFFF, now).unwrap();
        assert_eq!(f.read_register(offset, now), 0, "{offset:#x}");
    }
    // Write-only key registers read 0.
    for offset in [reg::KEYR1, reg::OPTKEYR, reg::KEYR1 + reg::BANK2] {
        assert_eq!(f.read_register(offset, now), 0);
    }
    assert_eq!(f.read_register(reg::ACR, now), 0x7);
    f.write_register(reg::ACR, 0x24, now).unwrap();
    assert_eq!(f.read_register(reg::ACR, now), 0x24);
    // The CUR registers are read-only.
    f.write_register(reg::OPTSR_CUR, 0, now).unwrap();
    assert_eq!(
        f.read_register(reg::OPTSR_CUR, now),
        H7OptionStore::factory().optsr
    );
    assert_eq!(f.read_register(CR[1], now), cr::LOCK | cr::PSIZE);
    assert_eq!(
        H7Flash::new(512, H7OptionStore::factory()).map(|_| ()),
        Err(UnsupportedFlashSize(512))
    );
}
