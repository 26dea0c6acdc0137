use super::*;

const MS: Duration = Duration::from_millis(1);

fn t0() -> Instant {
    Instant::now()
}

fn unlocked(kb: u32, now: Instant) -> G4Flash {
    let mut f = G4Flash::new(kb);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY1, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY2, now).unwrap();
    assert_eq!(f.read(reg::CR, now) & (cr::LOCK | cr::OPTLOCK), 0);
    f
}

/// Waits out BSY by moving the clock on.
fn after(now: Instant, d: Duration) -> Instant {
    now + d + MS
}

#[test]
fn factory_state() {
    let now = t0();
    let mut f = G4Flash::new(512);
    assert_eq!(f.read(reg::OPTR, now), 0xFFEF_F8AA);
    assert_eq!(f.read(reg::CR, now), cr::LOCK | cr::OPTLOCK);
    assert_eq!(f.read(reg::SR, now), 0);
    assert!(f.dual_bank());
    assert!(!f.flash_read_protected());
    assert_eq!(f.read_option_bytes(0x1FFF_7800), Some(0xFFEF_F8AA));
    assert_eq!(f.read_option_bytes(0x1FFF_7804), Some(0x0010_0755));
    assert_eq!(f.read_option_bytes(0x1FFF_7818), Some(0x7F), "WRP1AR off");
    assert_eq!(
        f.read_option_bytes(0x1FFF_F818),
        Some(0x7F),
        "WRP2AR in bank 2's area"
    );
    assert_eq!(f.read_option_bytes(0x1FFF_7830), None);
    assert_eq!(f.read_flash(0x0807_FFFC, true), Ok(0xFFFF_FFFF));
}

#[test]
fn key_sequences_unlock_in_order() {
    let now = t0();
    let mut f = G4Flash::new(512);
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
}

#[test]
fn wrong_key_locks_until_reset() {
    let now = t0();
    let mut f = G4Flash::new(512);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    assert_eq!(
        f.write(reg::KEYR, 0x1234_5678, now),
        Err(G4BusFault::WrongKey)
    );
    // Even the right sequence now faults.
    assert_eq!(
        f.write(reg::KEYR, key::KEY1, now),
        Err(G4BusFault::LockedUntilReset)
    );
    assert_ne!(f.read(reg::CR, now) & cr::LOCK, 0);
    f.system_reset();
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    assert_eq!(f.read(reg::CR, now) & cr::LOCK, 0);
    // A key sequence on an unlocked register is a wrong sequence too.
    assert_eq!(
        f.write(reg::KEYR, key::KEY1, now),
        Err(G4BusFault::WrongKey)
    );
    assert_ne!(f.read(reg::CR, now) & (cr::LOCK | cr::OPTLOCK), 0);
    let mut g = unlocked(512, now);
    assert_eq!(
        g.write(reg::OPTKEYR, key::OPTKEY1, now),
        Err(G4BusFault::WrongKey)
    );
}

#[test]
fn option_registers_ignore_writes_while_locked() {
    let now = t0();
    let mut f = G4Flash::new(512);
    f.write(reg::OPTR, 0, now).unwrap();
    f.write(reg::WRP1AR, 0, now).unwrap();
    assert_eq!(f.read(reg::OPTR, now), FACTORY_OPTR);
    assert_eq!(f.read(reg::WRP1AR, now), 0x7F);
}

#[test]
fn optstrt_commits_and_obl_launch_loads_with_a_reset() {
    let now = t0();
    let mut f = unlocked(512, now);
    let single = FACTORY_OPTR & !optr::DBANK;
    f.write(reg::OPTR, single, now).unwrap();
    // Staged: visible in the register, not in the store, geometry unchanged.
    assert_eq!(f.read(reg::OPTR, now), single);
    assert_eq!(f.store().optr, FACTORY_OPTR);
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::BSY, 0, "BSY while programming");
    let later = after(now, f.timing.option_program);
    assert_eq!(f.read(reg::SR, later) & sr::BSY, 0);
    assert_eq!(f.store().optr, single);
    assert_eq!(f.read_option_bytes(0x1FFF_7800), Some(single));
    assert_eq!(f.read_option_bytes(0x1FFF_7804), Some(!single));
    assert!(f.dual_bank(), "committed, not loaded");
    assert!(f.take_events().is_empty());
    // A system reset does not load it.
    f.system_reset();
    assert!(f.dual_bank());
    assert_eq!(
        f.read(reg::OPTR, later),
        FACTORY_OPTR,
        "staged edits vanish at reset"
    );
    // OBL_LAUNCH does, and asks for a reset.
    let mut f = unlocked(512, later);
    f.write(reg::OPTR, single, later).unwrap();
    f.write(reg::CR, cr::OPTSTRT, later).unwrap();
    let later = after(later, f.timing.option_program);
    f.write(reg::CR, cr::OBL_LAUNCH, later).unwrap();
    assert_eq!(f.take_events(), vec![G4Event::OptionLoadReset]);
    assert!(!f.dual_bank());
    assert_eq!(f.read(reg::OPTR, later), single);
    assert_eq!(
        f.read(reg::CR, later),
        cr::LOCK | cr::OPTLOCK,
        "locked after the load"
    );
}

#[test]
fn optstrt_with_options_locked_does_nothing() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.write(reg::OPTR, FACTORY_OPTR & !optr::DBANK, now)
        .unwrap();
    f.write(reg::CR, cr::OPTLOCK, now).unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_eq!(f.store().optr, FACTORY_OPTR);
    assert_eq!(f.read(reg::SR, now) & sr::BSY, 0);
}

#[test]
fn dbank_change_refused_while_pcrop_is_active() {
    let now = t0();
    let mut store = G4OptionStore::factory();
    store.pcrop1sr = 0;
    store.pcrop1er = 0x20;
    let mut f = G4Flash::with_store(512, store);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY1, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY2, now).unwrap();
    f.write(reg::OPTR, FACTORY_OPTR & !optr::DBANK, now)
        .unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::OPTVERR, 0);
    assert_eq!(f.store().optr, FACTORY_OPTR, "store unchanged");
    // OPTVERR is write-1-to-clear; other option changes are allowed.
    f.write(reg::SR, sr::OPTVERR, now).unwrap();
    assert_eq!(f.read(reg::SR, now), 0);
    f.write(reg::OPTR, FACTORY_OPTR & !(0b111 << 8) | (2 << 8), now)
        .unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_eq!((f.store().optr >> 8) & 0b111, 2);
}

#[test]
fn rdp_regression_mass_erases_and_level2_is_permanent() {
    let now = t0();
    let mut store = G4OptionStore::factory();
    store.optr = (FACTORY_OPTR & !0xFF) | 0xBB;
    let mut f = G4Flash::with_store(512, store);
    assert!(f.flash_read_protected());
    assert_eq!(
        f.read_flash(0x0800_0000, true),
        Err(G4BusFault::ReadProtected)
    );
    assert_eq!(
        f.read_flash(0x0800_0000, false),
        Ok(0xFFFF_FFFF),
        "the CPU still reads"
    );
    f.restore_array(&vec![0x5A; 512 * 1024]);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY1, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY2, now).unwrap();
    f.write(reg::OPTR, FACTORY_OPTR, now).unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert!(f.array().iter().all(|&b| b == 0xFF), "mass-erased");
    let busy_for = f.timing.option_program + f.timing.rdp_regression;
    assert_ne!(
        f.read(reg::SR, now + f.timing.option_program + MS) & sr::BSY,
        0
    );
    assert_eq!(f.read(reg::SR, after(now, busy_for)) & sr::BSY, 0);

    let mut store = G4OptionStore::factory();
    store.optr = (FACTORY_OPTR & !0xFF) | 0xCC;
    let mut f = G4Flash::with_store(512, store);
    assert!(f.debug_disabled());
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY1, now).unwrap();
    f.write(reg::OPTKEYR, key::OPTKEY2, now).unwrap();
    f.write(reg::OPTR, FACTORY_OPTR, now).unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_eq!(f.store().rdp(), 0xCC, "level 2 never changes");
}

fn fill_pattern(f: &mut G4Flash) {
    let n = f.array().len();
    f.restore_array(&vec![0x00; n]);
}

#[test]
fn page_erase_in_the_live_geometry_with_the_gap() {
    let now = t0();
    let mut f = unlocked(256, now);
    fill_pattern(&mut f);
    // Dual bank, 256 KB: bank 2 page 0 is at 0x0804_0000.
    f.write(reg::CR, cr::PER | cr::BKER, now).unwrap();
    f.write(reg::CR, cr::PER | cr::BKER | cr::STRT, now)
        .unwrap();
    assert_eq!(f.read(reg::SR, now) & !sr::BSY, 0);
    assert_eq!(f.read_flash(0x0804_0000, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0804_07FC, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0804_0800, true), Ok(0), "2 KB page");
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0), "bank 1 untouched");
    assert_eq!(
        f.read_flash(0x0802_0000, true),
        Err(G4BusFault::NoFlash),
        "the hole"
    );
    // PNB beyond the 64 pages of a 256 KB bank.
    let now = after(now, f.timing.page_erase);
    f.write(reg::CR, cr::PER | (64 << cr::PNB_SHIFT) | cr::STRT, now)
        .unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::PGSERR, 0);
}

#[test]
fn page_erase_single_bank_uses_4_kb_pages() {
    let now = t0();
    let mut store = G4OptionStore::factory();
    store.optr &= !optr::DBANK;
    let mut f = G4Flash::with_store(512, store);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    fill_pattern(&mut f);
    f.write(reg::CR, cr::PER | (64 << cr::PNB_SHIFT) | cr::STRT, now)
        .unwrap();
    assert_eq!(f.read_flash(0x0804_0000, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0804_0FFC, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0804_1000, true), Ok(0));
    assert_eq!(f.read_flash(0x0803_FFFC, true), Ok(0));
}

#[test]
fn mass_erase_per_bank_and_wrp_refusal() {
    let now = t0();
    let mut f = unlocked(512, now);
    fill_pattern(&mut f);
    f.write(reg::CR, cr::MER2 | cr::STRT, now).unwrap();
    assert_eq!(f.read_flash(0x0804_0000, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0807_FFFC, true), Ok(0xFFFF_FFFF));
    assert_eq!(f.read_flash(0x0803_FFFC, true), Ok(0), "bank 1 kept");
    // Both selected with PER is a sequence error.
    let now = after(now, f.timing.mass_erase);
    f.write(reg::CR, cr::MER1 | cr::PER | cr::STRT, now)
        .unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::PGSERR, 0);

    let mut store = G4OptionStore::factory();
    store.wrp1ar = 0x0000_0000; // page 0 of bank 1
    let mut f = G4Flash::with_store(512, store);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    fill_pattern(&mut f);
    f.write(reg::CR, cr::MER1 | cr::STRT, now).unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::WRPERR, 0);
    assert_eq!(f.read_flash(0x0800_1000, true), Ok(0), "nothing erased");
    f.write(reg::SR, sr::WRPERR, now).unwrap();
    f.write(reg::CR, cr::PER | cr::STRT, now).unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::WRPERR, 0, "protected page");
}

#[test]
fn double_word_programming_rules() {
    let now = t0();
    let mut f = unlocked(512, now);
    // Without PG: sequence error, nothing written.
    f.write_flash(0x0800_0000, 0x1111_1111, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::PGSERR);
    assert_eq!(f.read_flash(0x0800_0000, true), Ok(0xFFFF_FFFF));
    // PGSERR blocks nothing by itself, but PGAERR etc. do: clear and go on.
    f.write(reg::SR, sr::W1C, now).unwrap();
    f.write(reg::CR, cr::PG, now).unwrap();
    f.write_flash(0x0800_0000, 0x1111_1111, 4, now).unwrap();
    assert_eq!(
        f.read_flash(0x0800_0000, true),
        Ok(0xFFFF_FFFF),
        "half a double-word"
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
    // Into the hole of a 256 KB dual-bank part: a bus fault.
    let mut g = unlocked(256, now);
    g.write(reg::CR, cr::PG, now).unwrap();
    assert_eq!(
        g.write_flash(0x0803_0000, 0, 4, now),
        Err(G4BusFault::NoFlash)
    );
}

#[test]
fn programming_a_write_protected_page() {
    let now = t0();
    let mut store = G4OptionStore::factory();
    store.wrp2br = 0x0001_0001; // bank 2 page 1
    let mut f = G4Flash::with_store(512, store);
    f.write(reg::KEYR, key::KEY1, now).unwrap();
    f.write(reg::KEYR, key::KEY2, now).unwrap();
    f.write(reg::CR, cr::PG, now).unwrap();
    f.write_flash(0x0804_0800, 0, 4, now).unwrap();
    f.write_flash(0x0804_0804, 0, 4, now).unwrap();
    assert_eq!(f.read(reg::SR, now), sr::WRPERR);
    assert_eq!(f.read_flash(0x0804_0800, true), Ok(0xFFFF_FFFF));
}

#[test]
fn bsy_lasts_and_new_operations_while_busy_are_sequence_errors() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.timing.page_erase = Duration::from_millis(50);
    f.write(reg::CR, cr::PER | cr::STRT, now).unwrap();
    assert_ne!(f.read(reg::SR, now + MS) & sr::BSY, 0);
    f.write(reg::CR, cr::PER | cr::STRT, now + MS).unwrap();
    assert_ne!(f.read(reg::SR, now + MS) & sr::PGSERR, 0);
    assert_eq!(
        f.read(reg::SR, after(now, Duration::from_millis(50))) & sr::BSY,
        0
    );
    f.faults.stuck_bsy = true;
    let later = after(now, Duration::from_millis(50));
    f.write(reg::SR, sr::W1C, later).unwrap();
    f.write(reg::CR, cr::PER | cr::STRT, later).unwrap();
    assert_ne!(
        f.read(reg::SR, later + Duration::from_secs(3600)) & sr::BSY,
        0
    );
}

#[test]
fn injected_optstrt_errors_leave_the_store_unchanged() {
    let now = t0();
    let mut f = unlocked(512, now);
    f.faults.optstrt_error_flags = sr::OPERR;
    f.write(reg::OPTR, FACTORY_OPTR & !optr::DBANK, now)
        .unwrap();
    f.write(reg::CR, cr::OPTSTRT, now).unwrap();
    assert_ne!(f.read(reg::SR, now) & sr::OPERR, 0);
    assert_eq!(f.store().optr, FACTORY_OPTR);
}

#[test]
fn corrupted_complement_sets_optverr_at_load() {
    let now = t0();
    let mut f = G4Flash::new(512);
    f.store_mut().corrupt[3] = true; // WRP1AR entry
    assert_eq!(
        f.read_option_bytes(0x1FFF_781C),
        Some(0x7F),
        "complement equals value"
    );
    f.power_on_reset();
    assert_ne!(f.read(reg::SR, now) & sr::OPTVERR, 0);
    assert!(f.flash_read_protected(), "loads as RDP level 1");
    // A good commit rewrites the pairs; the next load is clean.
    f.store_mut().corrupt = [false; 12];
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
    f.write(reg::SR, sr::BSY | sr::PGSERR, now).unwrap();
    assert_eq!(f.read(reg::SR, now), 0);
}

#[test]
fn acr_resets_with_the_caches_on_and_reads_back_latency() {
    let now = t0();
    let mut f = G4Flash::new(512);
    assert_eq!(f.read(reg::ACR, now), 0x0000_0600);
    f.write(reg::ACR, acr::RESET | acr::PRFTEN | 4, now)
        .unwrap();
    assert_eq!(f.read(reg::ACR, now) & acr::LATENCY, 4);
    assert_eq!(f.read(reg::ACR, now), 0x0000_0704);
    f.system_reset();
    assert_eq!(f.read(reg::ACR, now), acr::RESET);
}
