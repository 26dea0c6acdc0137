use super::*;
use crate::sim::g0::store::OPTION_AREA;

const MS: Duration = Duration::from_millis(1);
const FACTORY: u32 = 0xFFFF_FEAA;
const SWAP_ON: u32 = FACTORY & !optr::NSWAP_BANK;
const SINGLE: u32 = FACTORY & !optr::DUAL_BANK;

fn t0() -> Instant {
    Instant::now()
}

fn g0b1(kb: u32) -> G0Flash {
    G0Flash::new(G0SimLine::G0x1, kb)
}

fn unlock(f: &mut G0Flash, now: Instant) {
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY1, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY2, now).unwrap();
    assert_eq!(f.read(reg::CR, now) & (cr::LOCK | cr::OPTLOCK), 0);
}

fn unlocked(kb: u32, now: Instant) -> G0Flash {
    let mut f = g0b1(kb);
    unlock(&mut f, now);
    f
}

/// A chip whose store holds `optr`, loaded, unlocked, its array filled with zeros.
fn loaded_with(kb: u32, optr: u32, now: Instant) -> G0Flash {
    let mut store = G0OptionStore::factory(G0SimLine::G0x1);
    store.optr = optr;
    let mut f = G0Flash::with_store(G0SimLine::G0x1, kb, store);
    let n = f.array().len();
    f.restore_array(&vec![0; n]);
    unlock(&mut f, now);
    f
}

/// Waits out BSY by moving the clock on.
fn after(now: Instant, d: Duration) -> Instant {
    now + d + MS
}

/// Programs, commits and loads `optr`; returns the time after the load.
fn commit_and_load(f: &mut G0Flash, optr: u32, now: Instant) -> Instant {
    f.write(reg::OPTR, optr, now).unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    let later = after(now, f.timing.option_program + f.timing.rdp_regression);
    assert_eq!(f.read(reg::SR, later) & sr::W1C & !sr::EOP, 0);
    f.write(reg::CR, cr::OBL_LAUNCH, later).unwrap();
    assert_eq!(f.take_events(), vec![G0Event::OptionLoadReset]);
    later
}

#[test]
fn factory_state() {
    let now = t0();
    let mut f = g0b1(512);
    assert_eq!(f.read(reg::OPTR, now), FACTORY);
    assert_eq!(f.read(reg::CR, now), cr::LOCK | cr::OPTLOCK);
    assert_eq!(f.read(reg::SR, now), 0);
    assert_eq!(f.read(reg::WRP1AR, now), 0x7F);
    assert_eq!(f.read(reg::SECR, now), 0);
    assert!(f.dual_bank() && !f.swapped());
    assert!(!f.flash_read_protected());
    assert_eq!(f.read_option_bytes(OPTION_AREA), Some(FACTORY));
    assert_eq!(f.read_option_bytes(OPTION_AREA + 4), Some(!FACTORY));
    assert_eq!(f.read_flash(0x0807_FFFC, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0808_0000, true), Err(G0BusFault::NoFlash));
    assert_eq!(f.physical_bank_at(0x0800_0000), Some(1));
    assert_eq!(f.physical_bank_at(0x0804_0000), Some(2));
    // Empty flash at the option load: PROGEMPTY.
    assert!(f.prog_empty());
    assert_eq!(f.read(reg::ACR, now), acr::RESET | acr::PROGEMPTY);
    // The 128 KB part is one bank whatever DUAL_BANK says.
    let small = g0b1(128);
    assert!(!small.dual_bank());
    assert_eq!(small.physical_bank_at(0x0801_0000), Some(1));
}

#[test]
fn key_sequences_unlock_in_order() {
    let now = t0();
    let mut f = g0b1(512);
    // Option keys while FLASH_CR is locked do nothing.
    f.write(reg::OPTKEYR, key::OPTKEY1, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY2, now).unwrap();
    assert_ne!(f.read(reg::CR, now) & cr::OPTLOCK, 0);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    assert_eq!(f.read(reg::CR, now), cr::OPTLOCK);
    f.write(reg::OPTKEYR, key::OPTKEY1, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY2, now).unwrap();
    assert_eq!(f.read(reg::CR, now), 0);
    // Setting the locks again works; clearing them by writing 0 does not.
    f.write(reg::CR, cr::OPTLOCK, now).unwrap();
    assert_eq!(f.read(reg::CR, now), cr::OPTLOCK);
    f.write(reg::CR, 0, now).unwrap();
    assert_eq!(f.read(reg::CR, now), cr::OPTLOCK);
    f.write(reg::CR, cr::LOCK, now).unwrap();
    f.write(reg::CR, cr::PG, now).unwrap();
    assert_eq!(
        f.read(reg::CR, now),
        cr::LOCK | cr::OPTLOCK,
        "locked CR ignores writes"
    );
}

#[test]
fn a_wrong_key_locks_until_reset() {
    let now = t0();
    let mut f = g0b1(512);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    assert_eq!(
        f.write(reg::KEYR, 0x1234_5678, now),
        Err(G0BusFault::WrongKey)
    );
    // Even the right sequence now faults.
    assert_eq!(
        f.write(reg::KEYR, key::KEY1, now),
        Err(G0BusFault::LockedUntilReset)
    );
    assert_eq!(
        f.write(reg::OPTKEYR, key::OPTKEY1, now),
        Err(G0BusFault::LockedUntilReset)
    );
    assert_ne!(f.read(reg::CR, now) & cr::LOCK, 0);
    f.system_reset();
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    assert_eq!(f.read(reg::CR, now) & cr::LOCK, 0);
    // A key on an unlocked register is a wrong sequence too.
    assert_eq!(
        f.write(reg::KEYR, key::KEY1, now),
        Err(G0BusFault::WrongKey)
    );
    assert_ne!(f.read(reg::CR, now) & (cr::LOCK | cr::OPTLOCK), 0);
    let mut g = unlocked(512, now);
    assert_eq!(
        g.write(reg::OPTKEYR, key::OPTKEY1, now),
        Err(G0BusFault::WrongKey)
    );
    // The OBL_LAUNCH reset clears the lock too.
    let mut h = g0b1(512);
    h.write(reg::KEYR, 0, now).unwrap_err();
    h.power_on_reset();
    h.write(reg::KEYR, key::KEY1, now).unwrap();
}

#[test]
fn option_registers_ignore_writes_while_locked() {
    let now = t0();
    let mut f = g0b1(512);
    f.write(reg::OPTR, 0, now).unwrap();
    f.write(reg::WRP1AR, 0, now).unwrap();
    assert_eq!(f.read(reg::OPTR, now), FACTORY);
    assert_eq!(f.read(reg::WRP1AR, now), 0x7F);
    // With FLASH_CR unlocked but OPTLOCK set, still ignored.
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    f.write(reg::OPTR, 0, now).unwrap();
    assert_eq!(f.read(reg::OPTR, now), FACTORY);
}

#[test]
fn optstrt_commits_and_obl_launch_loads_the_swap_with_a_reset() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.write(reg::OPTR, SWAP_ON, now).unwrap();
    // Staged: visible in the register, not in the store, mapping unchanged.
    assert_eq!(f.read(reg::OPTR, now), SWAP_ON);
    assert_eq!(f.store().optr, FACTORY);
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    let sr_now = f.read(reg::SR, now);
    assert_eq!(
        sr_now & (sr::BSY1 | sr::BSY2),
        sr::BSY1,
        "BSY1 while programming"
    );
    assert_ne!(sr_now & sr::CFGBSY, 0);
    let later = after(now, f.timing.option_program);
    assert_eq!(f.read(reg::SR, later) & (sr::BSY1 | sr::CFGBSY), 0);
    assert_eq!(f.store().optr, SWAP_ON);
    assert_eq!(f.read_option_bytes(OPTION_AREA), Some(SWAP_ON));
    assert_eq!(f.read_option_bytes(OPTION_AREA + 4), Some(!SWAP_ON));
    assert!(!f.swapped(), "committed, not loaded");
    assert!(f.take_events().is_empty());
    // A system reset does not load it; staged edits vanish.
    f.system_reset();
    assert!(!f.swapped());
    assert_eq!(f.read(reg::OPTR, later), FACTORY);
    // OBL_LAUNCH does, and asks for a reset.
    unlock(&mut f, later);
    f.write(reg::CR, cr::OBL_LAUNCH, later).unwrap();
    assert_eq!(f.take_events(), vec![G0Event::OptionLoadReset]);
    assert!(f.swapped());
    assert_eq!(f.physical_bank_at(0x0800_0000), Some(2));
    assert_eq!(f.read(reg::OPTR, later), SWAP_ON);
    assert_eq!(
        f.read(reg::CR, later),
        cr::LOCK | cr::OPTLOCK,
        "locked after the load"
    );
}

#[test]
fn the_swap_moves_content_between_windows() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.write(reg::CR, cr::PG, now).unwrap();
    f.write_flash(0x0800_0000, 0x1111_1111, 4, now).unwrap();
    f.write_flash(0x0800_0004, 0x1111_1112, 4, now).unwrap();
    f.write_flash(0x0804_0000, 0x2222_2221, 4, now).unwrap();
    f.write_flash(0x0804_0004, 0x2222_2222, 4, now).unwrap();
    f.write(reg::CR, 0, now).unwrap();
    let later = commit_and_load(&mut f, SWAP_ON, now);
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0x2222_2221));
    assert_eq!(f.read_flash(0x0804_0004, true), Ok(0x1111_1112));
    // And back.
    unlock(&mut f, later);
    commit_and_load(&mut f, FACTORY, later);
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0x1111_1111));
    // 256 KB: bank 2 at 0x0802_0000.
    let mut s = unlocked(256, now);
    s.write(reg::CR, cr::PG, now).unwrap();
    s.write_flash(0x0802_0000, 0xB2, 4, now).unwrap();
    s.write_flash(0x0802_0004, 0, 4, now).unwrap();
    s.write(reg::CR, 0, now).unwrap();
    commit_and_load(&mut s, SWAP_ON, now);
    assert_eq!(s.read_flash(0x0800_0000, true), Ok(0xB2));
    assert_eq!(s.read_flash(0x0804_0000, true), Err(G0BusFault::NoFlash));
}

#[test]
fn page_erase_names_the_physical_bank_under_swap() {
    let now = t0();
    // The wolfBoot 821 case: swapped, the user means the bank at 0x0804_0000 = physical 1.
    let mut f = loaded_with(512, SWAP_ON, now);
    assert!(f.swapped());
    // BKER = 1, PNB = 256: physical bank 2 page 0, which is at 0x0800_0000 now.
    f.write(reg::CR, cr::PER | cr::BKER | (256 << cr::PNB_SHIFT), now)
        .unwrap();
    f.write(
        reg::CR,
        cr::PER | cr::BKER | (256 << cr::PNB_SHIFT) | cr::STRT,
        now,
    )
    .unwrap();
    assert_eq!(f.read(reg::SR, now) & (sr::BSY1 | sr::BSY2), sr::BSY2);
    assert_eq!(f.read(reg::SR, now) & sr::W1C, 0);
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0800_07FC, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0800_0800, true), Ok(0), "one 2 KB page");
    assert_eq!(
        f.read_flash(0x0804_0000, true),
        Ok(0),
        "the other bank untouched"
    );
    // BKER = 0, PNB = 0: physical bank 1 page 0, at 0x0804_0000 now.
    let now = after(now, f.timing.page_erase);
    f.write(reg::CR, cr::PER | cr::STRT, now).unwrap();
    assert_eq!(f.read(reg::SR, now) & (sr::BSY1 | sr::BSY2), sr::BSY1);
    assert_eq!(f.read_flash(0x0804_0000, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0804_0800, true), Ok(0));
    // Bank 2 counted from 0 selects nothing.
    let now = after(now, f.timing.page_erase);
    f.write(
        reg::CR,
        cr::PER | cr::BKER | (1 << cr::PNB_SHIFT) | cr::STRT,
        now,
    )
    .unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::PGSERR, 0);
    assert_eq!(f.read_flash(0x0800_0800, true), Ok(0), "nothing erased");
    // Past the end of a 128-page bank.
    f.write(reg::SR, sr::W1C, now).unwrap();
    f.write(reg::CR, cr::PER | (128 << cr::PNB_SHIFT) | cr::STRT, now)
        .unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::PGSERR, 0);
}

#[test]
fn page_erase_in_256_kb_and_single_bank() {
    let now = t0();
    let mut f = loaded_with(256, FACTORY, now);
    f.write(
        reg::CR,
        cr::PER | cr::BKER | ((256 + 63) << cr::PNB_SHIFT) | cr::STRT,
        now,
    )
    .unwrap();
    assert_eq!(f.read_flash(0x0803_F800, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0803_F7FC, true), Ok(0));
    let now = after(now, f.timing.page_erase);
    f.write(
        reg::CR,
        cr::PER | cr::BKER | ((256 + 64) << cr::PNB_SHIFT) | cr::STRT,
        now,
    )
    .unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::PGSERR, 0, "64 pages per bank");
    // Single bank: 256 pages of 2 KB counted from 0x0800_0000, no BKER.
    let mut s = loaded_with(512, SINGLE, now);
    assert!(!s.dual_bank());
    s.write(reg::CR, cr::PER | (200 << cr::PNB_SHIFT) | cr::STRT, now)
        .unwrap();
    assert_eq!(s.read(reg::SR, now) & (sr::BSY1 | sr::BSY2), sr::BSY1);
    assert_eq!(s.read_flash(0x0806_4000, true), Ok(0xFFFF_FFFF));
    assert_eq!(s.read_flash(0x0806_47FC, true), Ok(0xFFFF_FFFF));
    assert_eq!(s.read_flash(0x0806_4800, true), Ok(0));
    // Single bank ignores nSWAP_BANK.
    let t = loaded_with(512, SINGLE & !optr::NSWAP_BANK, now);
    assert!(!t.swapped());
    assert_eq!(t.physical_bank_at(0x0800_0000), Some(1));
}

#[test]
fn mass_erase_per_physical_bank_and_wrp_refusal() {
    let now = t0();
    let mut f = loaded_with(512, SWAP_ON, now);
    // MER2 erases physical bank 2: the window at 0x0800_0000 while swapped.
    f.write(reg::CR, cr::MER2 | cr::STRT, now).unwrap();
    assert_eq!(f.read(reg::SR, now) & (sr::BSY1 | sr::BSY2), sr::BSY2);
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0803_FFFC, true), Ok(0xFFFF_FFFF));
    assert_eq!(
        f.read_flash(0x0804_0000, true),
        Ok(0),
        "physical bank 1 kept"
    );
    let now = after(now, f.timing.mass_erase);
    f.write(reg::CR, cr::MER1 | cr::MER2 | cr::STRT, now)
        .unwrap();
    assert_eq!(
        f.read(reg::SR, now) & (sr::BSY1 | sr::BSY2),
        sr::BSY1 | sr::BSY2
    );
    assert_eq!(f.read_flash(0x0807_FFFC, true), Ok(0xFFFF_FFFF));
    // PER with MER is a sequence error.
    let now = after(now, f.timing.mass_erase);
    f.write(reg::CR, cr::MER1 | cr::PER | cr::STRT, now)
        .unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::PGSERR, 0);

    // WRP2AR protects physical bank 2 page 0 — at 0x0800_0000 while swapped.
    let mut store = G0OptionStore::factory(G0SimLine::G0x1);
    store.optr = SWAP_ON;
    store.wrp2ar = 0x0000_0000;
    let mut g = G0Flash::with_store(G0SimLine::G0x1, 512, store);
    g.restore_array(&vec![0; 512 * 1024]);
    unlock(&mut g, now);
    g.write(reg::CR, cr::MER2 | cr::STRT, now).unwrap();
    assert_ne!(g.read(reg::SR, now) & sr::WRPERR, 0);
    assert_eq!(g.read_flash(0x0800_1000, true), Ok(0), "nothing erased");
    g.write(reg::SR, sr::W1C, now).unwrap();
    g.write(reg::CR, cr::MER1 | cr::STRT, now).unwrap();
    assert_eq!(
        g.read(reg::SR, now) & sr::WRPERR,
        0,
        "bank 1 is not covered"
    );
    assert_eq!(g.read_flash(0x0804_0000, true), Ok(0xFFFF_FFFF));
    let now = after(now, g.timing.mass_erase);
    g.write(
        reg::CR,
        cr::PER | cr::BKER | (256 << cr::PNB_SHIFT) | cr::STRT,
        now,
    )
    .unwrap();
    assert_ne!(g.read(reg::SR, now) & sr::WRPERR, 0, "protected page");
    g.write(reg::SR, sr::W1C, now).unwrap();
    g.write(reg::CR, cr::PG, now).unwrap();
    g.write_flash(0x0800_0010, 0, 4, now).unwrap();
    g.write_flash(0x0800_0014, 0, 4, now).unwrap();
    assert_ne!(g.read(reg::SR, now) & sr::WRPERR, 0, "programming it too");
}

#[test]
fn double_word_programming_rules() {
    let now = t0();
    let mut f = unlocked(512, now);
    // Without PG: sequence error, nothing written.
    f.write_flash(0x0800_0000, 0x1111_1111, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::PGSERR);
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0xFFFF_FFFF));
    f.write(reg::SR, sr::W1C, now).unwrap();
    f.write(reg::CR, cr::PG, now).unwrap();
    f.write_flash(0x0800_0000, 0x1111_1111, 4, now).unwrap();
    assert_eq!(
        f.read_flash(0x0800_0000, true),
        Ok(0xFFFF_FFFF),
        "half a double-word"
    );
    assert_eq!(
        f.read(reg::SR, now),
        sr::CFGBSY,
        "the configuration is in use"
    );
    f.write_flash(0x0800_0004, 0x2222_2222, 4, now).unwrap();
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0x1111_1111));
    assert_eq!(f.read_flash(0x0800_0004, true), Ok(0x2222_2222));
    assert_eq!(f.read(reg::SR, now), 0);
    // Misaligned first word.
    f.write_flash(0x0800_0014, 1, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::PGAERR);
    // While PGAERR is set, programming is a sequence error.
    f.write_flash(0x0800_0010, 1, 4, now).unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::PGSERR, 0);
    f.write(reg::SR, sr::W1C, now).unwrap();
    // Byte access.
    f.write_flash(0x0800_0010, 1, 1, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::SIZERR);
    f.write(reg::SR, sr::W1C, now).unwrap();
    // Second word not at +4.
    f.write_flash(0x0800_0010, 1, 4, now).unwrap();
    f.write_flash(0x0800_0018, 2, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::PGAERR);
    f.write(reg::SR, sr::W1C, now).unwrap();
    // Not erased: PROGERR; all-zero over programmed data is allowed (UNVERIFIED rule).
    f.write_flash(0x0800_0000, 0x0000_0001, 4, now).unwrap();
    f.write_flash(0x0800_0004, 0, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::PROGERR);
    f.write(reg::SR, sr::W1C, now).unwrap();
    f.write_flash(0x0800_0000, 0, 4, now).unwrap();
    f.write_flash(0x0800_0004, 0, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), 0);
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0));
    // Outside main flash: a bus fault.
    assert_eq!(
        f.write_flash(0x0808_0000, 0, 4, now),
        Err(G0BusFault::NoFlash)
    );
}

#[test]
fn cfgbsy_guards_the_configuration() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.timing.page_erase = Duration::from_millis(50);
    f.write(reg::CR, cr::PER | cr::STRT, now).unwrap();
    assert_eq!(
        f.read(reg::SR, now + MS) & (sr::BSY1 | sr::CFGBSY),
        sr::BSY1 | sr::CFGBSY
    );
    // Changing the configuration while busy: PGSERR, configuration kept.
    f.write(reg::CR, cr::PG, now + MS).unwrap();
    assert_ne!(f.read(reg::SR, now + MS) & sr::PGSERR, 0);
    assert_eq!(f.read(reg::CR, now + MS) & cr::CONFIG, cr::PER);
    // A new start while busy: PGSERR too.
    f.write(reg::SR, sr::W1C, now + MS).unwrap();
    f.write(reg::CR, cr::PER | cr::STRT, now + MS).unwrap();
    assert_ne!(f.read(reg::SR, now + MS) & sr::PGSERR, 0);
    // EOPIE may still change; locking still works.
    f.write(reg::CR, cr::PER | cr::EOPIE, now + MS).unwrap();
    assert_ne!(f.read(reg::CR, now + MS) & cr::EOPIE, 0);
    let later = after(now, Duration::from_millis(50));
    assert_eq!(f.read(reg::SR, later) & (sr::BSY1 | sr::CFGBSY), 0);
    // A half-written double-word is dropped when the configuration changes.
    f.write(reg::SR, sr::W1C, later).unwrap();
    f.write(reg::CR, cr::PG, later).unwrap();
    f.write_flash(0x0800_0100, 7, 4, later).unwrap();
    f.write(reg::CR, 0, later).unwrap();
    assert_eq!(f.read(reg::SR, later), sr::PGSERR);
    assert_eq!(
        f.read(reg::CR, later) & cr::PG,
        cr::PG,
        "kept while CFGBSY was set"
    );
    f.write(reg::SR, sr::W1C, later).unwrap();
    f.write_flash(0x0800_0104, 8, 4, later).unwrap();
    assert_eq!(
        f.read(reg::SR, later),
        sr::PGAERR,
        "the first word was lost"
    );
    assert_eq!(f.read_flash(0x0800_0100, true), Ok(0xFFFF_FFFF));
}

#[test]
fn bsy_lasts_and_can_stick() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.timing.mass_erase = Duration::from_millis(30);
    f.write(reg::CR, cr::MER1 | cr::STRT, now).unwrap();
    assert_ne!(f.read(reg::SR, now + MS) & sr::BSY1, 0);
    assert_eq!(
        f.read(reg::SR, after(now, Duration::from_millis(30))) & sr::BSY1,
        0
    );
    f.faults.stuck_bsy = true;
    let later = after(now, Duration::from_millis(30));
    f.write(reg::CR, cr::MER2 | cr::STRT, later).unwrap();
    assert_ne!(
        f.read(reg::SR, later + Duration::from_secs(3600)) & sr::BSY2,
        0
    );
}

#[test]
fn rdp_regression_mass_erases_and_level2_is_permanent() {
    let now = t0();
    let mut store = G0OptionStore::factory(G0SimLine::G0x1);
    store.optr = (FACTORY & !0xFF) | 0xBB;
    let mut f = G0Flash::with_store(G0SimLine::G0x1, 512, store);
    assert!(f.flash_read_protected());
    assert_eq!(
        f.read_flash(0x0800_0000, true),
        Err(G0BusFault::ReadProtected)
    );
    assert_eq!(
        f.read_flash(0x0800_0000, false),
        Ok(0xFFFF_FFFF),
        "the CPU still reads"
    );
    f.restore_array(&vec![0x5A; 512 * 1024]);
    f.restore_otp(&[0x33; 1024]);
    unlock(&mut f, now);
    f.write(reg::OPTR, FACTORY, now).unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert!(f.array().iter().all(|&b| b == 0xFF), "both banks erased");
    assert!(f.otp().iter().all(|&b| b == 0x33), "OTP stays");
    let busy_for = f.timing.option_program + f.timing.rdp_regression;
    assert_ne!(
        f.read(reg::SR, now + f.timing.option_program + MS) & sr::BSY1,
        0
    );
    assert_eq!(f.read(reg::SR, after(now, busy_for)) & sr::BSY1, 0);

    let mut store = G0OptionStore::factory(G0SimLine::G0x1);
    store.optr = (FACTORY & !0xFF) | 0xCC;
    let mut f = G0Flash::with_store(G0SimLine::G0x1, 512, store);
    assert!(f.debug_disabled());
    unlock(&mut f, now);
    f.write(reg::OPTR, FACTORY, now).unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_eq!(f.store().rdp(), 0xCC, "level 2 never changes");
}

#[test]
fn optstrt_with_options_locked_or_errors_injected_leaves_the_store() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.write(reg::OPTR, SINGLE, now).unwrap();
    f.write(reg::CR, cr::OPTLOCK, now).unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_eq!(f.store().optr, FACTORY);
    assert_eq!(f.read(reg::SR, now) & sr::BSY1, 0);

    let mut g = unlocked(512, now);
    g.faults.optstrt_error_flags = sr::OPERR;
    g.write(reg::OPTR, SINGLE, now).unwrap();
    g.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_ne!(g.read(reg::SR, now) & sr::OPERR, 0);
    assert_eq!(g.store().optr, FACTORY);
}

#[test]
fn a_dual_bank_change_loads_the_other_geometry() {
    let now = t0();
    let mut f = unlocked(512, now);
    commit_and_load(&mut f, SINGLE, now);
    assert!(!f.dual_bank());
    assert_eq!(f.physical_bank_at(0x0804_0000), Some(1));
    assert_eq!(f.store().optr, SINGLE);
}

#[test]
fn corrupted_complement_sets_optverr_at_load() {
    let now = t0();
    let mut f = g0b1(512);
    f.store_mut().corrupt[3] = true; // WRP1AR entry
    assert_eq!(
        f.read_option_bytes(OPTION_AREA + 0x1C),
        Some(0x7F),
        "complement equals value"
    );
    f.power_on_reset();
    assert_ne!(f.read(reg::SR, now) & sr::OPTVERR, 0);
    assert!(f.flash_read_protected(), "loads as RDP level 1");
    f.store_mut().corrupt = [false; 14];
    f.power_on_reset();
    assert_eq!(f.read(reg::SR, now), 0);
    assert!(!f.flash_read_protected());
}

#[test]
fn sr_errors_are_write_one_to_clear() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.write_flash(0x0800_0000, 0, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::PGSERR);
    f.write(reg::SR, 0, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::PGSERR, "writing 0 keeps it");
    f.write(reg::SR, sr::BSY1 | sr::PGSERR, now).unwrap();
    assert_eq!(f.read(reg::SR, now), 0);
}

#[test]
fn acr_latency_reads_back_and_progempty_follows_the_first_word() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.write(reg::ACR, acr::RESET | acr::PROGEMPTY | 2, now)
        .unwrap();
    assert_eq!(f.read(reg::ACR, now) & acr::LATENCY, 2);
    f.write(reg::CR, cr::PG, now).unwrap();
    f.write_flash(0x0800_0000, 0x2000_1000, 4, now).unwrap();
    f.write_flash(0x0800_0004, 0x0800_0101, 4, now).unwrap();
    assert!(f.prog_empty(), "only an option load looks again");
    f.system_reset();
    assert!(f.prog_empty(), "a system reset keeps it");
    assert_eq!(f.read(reg::ACR, now) & acr::LATENCY, 0);
    // Software (BMP) clears it; a reset keeps it clear.
    unlock(&mut f, now);
    f.write(reg::ACR, acr::RESET, now).unwrap();
    f.system_reset();
    assert!(!f.prog_empty());
    f.power_on_reset();
    assert!(!f.prog_empty(), "not empty any more");
    // Swapped, the empty check reads what is at 0x0800_0000 now: physical bank 2, empty.
    unlock(&mut f, now);
    commit_and_load(&mut f, SWAP_ON, now);
    assert!(f.prog_empty());
}

#[test]
fn otp_programs_once_and_never_erases() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.write(reg::CR, cr::PG, now).unwrap();
    f.write_flash(OTP_BASE + 8, 0xC0DE, 4, now).unwrap();
    f.write_flash(OTP_BASE + 12, 0xBEEF, 4, now).unwrap();
    assert_eq!(f.read_otp(OTP_BASE + 8), Some(0xC0DE));
    assert_eq!(f.read_otp(OTP_BASE + 12), Some(0xBEEF));
    assert_eq!(f.read(reg::SR, now), 0);
    // Once only, even zeros.
    f.write_flash(OTP_BASE + 8, 0, 4, now).unwrap();
    f.write_flash(OTP_BASE + 12, 0, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::PROGERR);
    assert_eq!(f.read_otp(OTP_BASE + 8), Some(0xC0DE));
    f.write(reg::SR, sr::W1C, now).unwrap();
    f.write(reg::CR, cr::MER1 | cr::MER2 | cr::STRT, now)
        .unwrap();
    assert_eq!(
        f.read_otp(OTP_BASE + 8),
        Some(0xC0DE),
        "mass erase spares OTP"
    );
    assert_eq!(f.read_otp(OTP_BASE + OTP_SIZE), None);
}

#[test]
fn the_g0b0_holds_only_its_fields_and_registers() {
    let now = t0();
    let mut f = G0Flash::new(G0SimLine::G0x0, 512);
    assert_eq!(f.read(reg::OPTR, now), 0xDFFF_E1AA);
    unlock(&mut f, now);
    // BOR, nRST_SHDW, NRST_MODE, IRHEN are fixed; nSWAP_BANK is not.
    f.write(reg::OPTR, 0, now).unwrap();
    assert_eq!(f.read(reg::OPTR, now), 0xDFFF_E1AA & 0xF880_9F00);
    f.write(reg::OPTR, 0xDFFF_E1AA & !optr::NSWAP_BANK, now)
        .unwrap();
    assert_eq!(f.read(reg::OPTR, now), 0xDFEF_E1AA);
    // No PCROP, no SECR: writes vanish, reads are 0, the image reads erased.
    f.write(reg::SECR, 0x10, now).unwrap();
    f.write(0x24, 0, now).unwrap();
    assert_eq!(f.read(reg::SECR, now), 0);
    assert_eq!(f.read(0x28, now), 0);
    f.write(reg::WRP2AR, 0x0001_0000, now).unwrap();
    assert_eq!(f.read(reg::WRP2AR, now), 0x0001_0000);
    commit_and_load(&mut f, 0xDFEF_E1AA, now);
    assert!(f.swapped());
    assert_eq!(f.read_option_bytes(OPTION_AREA + 8), Some(0xFFFF_FFFF));
    assert_eq!(f.read_option_bytes(OPTION_AREA + 0x48), Some(0x0001_0000));
}
