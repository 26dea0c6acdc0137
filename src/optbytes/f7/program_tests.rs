//! Unit tests of the programming sequence against a scripted fake target. The fake models only
//! what the sequence relies on; the integration tests run the same sequence on the simulator
//! through probe-rs.

use super::*;
use crate::chip::f7::registers::*;
use crate::chip::f7::{Field, OptionArea, Part};
use crate::optbytes::confirm::{Consent, Consents};
use crate::optbytes::f7::parse::parse_changes;
use crate::optbytes::f7::plan::plan;

#[derive(Debug)]
struct Fake {
    halted: bool,
    idcode: u32,
    flash_kb: u32,
    optcr: u32,
    optcr1: u32,
    store: OptionWords,
    keys_seen: u32,
    lock_stuck: bool,
    sr: u32,
    busy_polls: u32,
    busy_stuck: bool,
    /// BSY sticks once OPTSTRT is written.
    busy_sticks_on_start: bool,
    /// Key writes are accepted on the bus but do nothing.
    keys_ignored: bool,
    /// `pause` really sleeps, so that time-bounded waits reach their bound.
    pause_sleeps: bool,
    flags_on_start: u32,
    commit_on_start: bool,
    ignore_optcr1: bool,
    fail_write_to: Option<(u32, u32)>,
    fz: u32,
    writes: Vec<(u32, u32)>,
    events: Vec<String>,
}

impl Fake {
    fn new() -> Self {
        Fake {
            halted: false,
            idcode: 0x1001_6451,
            flash_kb: 2048,
            optcr: OptionWords::FACTORY.optcr,
            optcr1: OptionWords::FACTORY.optcr1,
            store: OptionWords::FACTORY.options_only(),
            keys_seen: 0,
            lock_stuck: false,
            sr: 0,
            busy_polls: 0,
            busy_stuck: false,
            busy_sticks_on_start: false,
            keys_ignored: false,
            pause_sleeps: false,
            flags_on_start: 0,
            commit_on_start: true,
            ignore_optcr1: false,
            fail_write_to: None,
            fz: 0,
            writes: Vec::new(),
            events: Vec::new(),
        }
    }

    fn locked(&self) -> bool {
        self.optcr & FLASH_OPTCR_OPTLOCK != 0
    }

    fn writes_to(&self, address: u32) -> Vec<u32> {
        self.writes
            .iter()
            .filter(|(a, _)| *a == address)
            .map(|&(_, v)| v)
            .collect()
    }
}

fn fault() -> probe_rs::Error {
    probe_rs::Error::Other("injected transfer fault".into())
}

impl Target for Fake {
    fn read32(&mut self, address: u32) -> Result<u32, probe_rs::Error> {
        Ok(match address {
            DBGMCU_IDCODE => self.idcode,
            DBGMCU_APB1_FZ => self.fz,
            0x1FF0_F440 => self.flash_kb << 16,
            FLASH_OPTCR => self.optcr,
            FLASH_OPTCR1 => self.optcr1,
            FLASH_SR => {
                if self.busy_stuck {
                    self.sr | FLASH_SR_BSY
                } else if self.busy_polls > 0 {
                    self.busy_polls -= 1;
                    self.sr | FLASH_SR_BSY
                } else {
                    self.optcr &= !FLASH_OPTCR_OPTSTRT;
                    self.sr
                }
            }
            _ => panic!("unexpected read at {address:#010x}"),
        })
    }

    fn read_block32(&mut self, address: u32, out: &mut [u32]) -> Result<(), probe_rs::Error> {
        match (address, out.len()) {
            (FLASH_OPTCR, 2) => {
                out[0] = self.optcr;
                out[1] = self.optcr1;
            }
            (OPTION_BYTES_BASE, 8) => {
                out.copy_from_slice(&OptionArea::from_options(&self.store).words);
            }
            _ => panic!("unexpected block read at {address:#010x}"),
        }
        Ok(())
    }

    fn write32(&mut self, address: u32, value: u32) -> Result<(), probe_rs::Error> {
        if self.fail_write_to == Some((address, value)) {
            self.fail_write_to = None;
            self.events.push(format!("fault {address:#x}"));
            return Err(fault());
        }
        self.writes.push((address, value));
        match address {
            DBGMCU_APB1_FZ => self.fz = value,
            FLASH_SR => self.sr &= !value,
            FLASH_OPTKEYR if self.keys_ignored => {}
            FLASH_OPTKEYR => {
                // A key on an unlocked register, or a wrong key, locks until reset.
                let expected = if self.keys_seen == 0 {
                    FLASH_OPTKEY1
                } else {
                    FLASH_OPTKEY2
                };
                if !self.locked() || self.lock_stuck || value != expected {
                    self.lock_stuck = true;
                    self.optcr |= FLASH_OPTCR_OPTLOCK;
                    return Err(fault());
                }
                self.keys_seen += 1;
                if self.keys_seen == 2 {
                    self.optcr &= !FLASH_OPTCR_OPTLOCK;
                    self.keys_seen = 0;
                }
            }
            FLASH_OPTCR1 if !self.locked() && !self.ignore_optcr1 => self.optcr1 = value,
            FLASH_OPTCR if !self.locked() => {
                self.optcr = value;
                if value & FLASH_OPTCR_OPTSTRT != 0 {
                    self.events.push("OPTSTRT".into());
                    if self.commit_on_start {
                        self.store = OptionWords::new(value, self.optcr1).options_only();
                    }
                    self.sr |= self.flags_on_start;
                    self.busy_stuck |= self.busy_sticks_on_start;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn is_halted(&mut self) -> Result<bool, probe_rs::Error> {
        Ok(self.halted)
    }

    fn halt_core(&mut self, _: Duration) -> Result<(), probe_rs::Error> {
        self.events.push("halt".into());
        self.halted = true;
        Ok(())
    }

    fn run_core(&mut self) -> Result<(), probe_rs::Error> {
        self.events.push("run".into());
        self.halted = false;
        Ok(())
    }

    fn reset_halted(&mut self, _: Duration) -> Result<(), probe_rs::Error> {
        self.events.push("reset".into());
        self.optcr = self.store.optcr | FLASH_OPTCR_OPTLOCK;
        self.optcr1 = self.store.optcr1;
        self.lock_stuck = false;
        self.halted = true;
        Ok(())
    }

    fn reset_running(&mut self) -> Result<(), probe_rs::Error> {
        self.reset_halted(Duration::ZERO)?;
        self.halted = false;
        Ok(())
    }

    fn pause(&mut self, duration: Duration) {
        if self.pause_sleeps {
            std::thread::sleep(duration);
        }
    }
}

fn zi() -> Part {
    Part::from_name("STM32F767ZI").unwrap()
}

fn plan_for(fake: &Fake, args: &[&str]) -> Plan {
    plan(
        OptionWords::new(fake.optcr, fake.optcr1),
        &parse_changes(args).unwrap(),
        &zi(),
    )
    .unwrap()
}

fn run(fake: &mut Fake, plan: &Plan, opts: ApplyOptions) -> (Result<Outcome, Error>, Vec<String>) {
    let mut lines = Vec::new();
    let result = execute(fake, plan, &opts, &mut |l: &str| lines.push(l.to_string()));
    (result, lines)
}

fn short_busy() -> ApplyOptions {
    ApplyOptions {
        busy_timeout: Some(Duration::from_millis(50)),
        ..ApplyOptions::default()
    }
}

#[test]
fn switches_to_dual_bank_with_the_full_sequence() {
    let mut fake = Fake::new();
    fake.busy_polls = 3;
    let p = plan_for(&fake, &["nDBANK=0"]);
    let (result, lines) = run(&mut fake, &p, ApplyOptions::default());
    let outcome = result.unwrap();
    assert!(outcome.written && outcome.reset && !outcome.pending_reset);
    assert_eq!(outcome.core, CoreAfter::Running);
    assert_eq!(outcome.words.optcr, 0xDFFF_AAFD);
    assert_eq!(fake.store.optcr, 0xDFFF_AAFC);
    assert!(fake.locked(), "OPTLOCK set at the end");
    assert_eq!(fake.fz & 0x1800, 0x1800, "watchdogs frozen");
    // Keys exactly once, in order; OPTCR1 before OPTCR; OPTCR without then with OPTSTRT.
    assert_eq!(
        fake.writes_to(FLASH_OPTKEYR),
        vec![FLASH_OPTKEY1, FLASH_OPTKEY2]
    );
    let order: Vec<u32> = fake
        .writes
        .iter()
        .map(|&(a, _)| a)
        .filter(|&a| a == FLASH_OPTCR || a == FLASH_OPTCR1)
        .collect();
    assert_eq!(
        order,
        vec![FLASH_OPTCR1, FLASH_OPTCR, FLASH_OPTCR, FLASH_OPTCR]
    );
    assert_eq!(
        fake.writes_to(FLASH_OPTCR),
        vec![0xDFFF_AAFC, 0xDFFF_AAFE, 0xDFFF_AAFD]
    );
    assert_eq!(fake.events, vec!["halt", "OPTSTRT", "reset", "run"]);
    let text = lines.join("\n");
    for expected in [
        "halting the core",
        "watchdog freeze set while the core is halted (DBGMCU_APB1_FZ.DBG_IWDG_STOP/DBG_WWDG_STOP)",
        "chip checked: STM32F76x/F77x (DEV_ID 0x451, rev Z), 2048 KB flash",
        "option registers unlocked",
        "writing FLASH_OPTCR1 = 0x00400080, FLASH_OPTCR = 0xdfffaafc",
        "programming the option bytes (OPTSTRT)",
        "option bytes programmed",
        "option registers locked again",
        "verified: FLASH_OPTCR/OPTCR1 and the option bytes at 0x1FFF_0000",
        "resetting the chip",
        "verified after reset",
        "core running",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

#[test]
fn never_writes_keys_to_an_unlocked_register() {
    let mut fake = Fake::new();
    fake.optcr &= !FLASH_OPTCR_OPTLOCK;
    let p = plan_for(&fake, &["BOOT_ADD1=0x2040"]);
    let (result, lines) = run(&mut fake, &p, ApplyOptions::default());
    result.unwrap();
    assert!(fake.writes_to(FLASH_OPTKEYR).is_empty());
    assert!(lines
        .iter()
        .any(|l| l.contains("already unlocked: no keys written")));
    assert!(fake.locked());
    assert_eq!(fake.store.optcr1, 0x2040_0080);
}

#[test]
fn no_reset_reports_pending_and_restores_run_state() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["nDBOOT=0"]);
    let opts = ApplyOptions {
        reset: false,
        ..ApplyOptions::default()
    };
    let (result, lines) = run(&mut fake, &p, opts);
    let outcome = result.unwrap();
    assert!(outcome.pending_reset && !outcome.reset);
    assert!(!fake.events.contains(&"reset".to_string()));
    assert_eq!(fake.store.optcr, 0xEFFF_AAFC);
    assert!(fake.locked());
    assert!(!fake.halted);
    assert!(lines.iter().any(|l| l.contains("pending until reset")));
}

#[test]
fn ndbank_is_never_left_pending_and_nothing_is_touched() {
    let mut fake = Fake::new();
    let before = fake.store;
    let p = plan_for(&fake, &["nDBANK=0", "nDBOOT=0"]);
    let opts = ApplyOptions {
        reset: false,
        ..ApplyOptions::default()
    };
    let (result, lines) = run(&mut fake, &p, opts);
    let e = result.unwrap_err();
    let text = e.to_string();
    assert!(text.contains("nDBANK is loaded at once"), "{text}");
    assert!(text.contains("option bytes unchanged"), "{text}");
    assert_eq!(e.left_state(), Some(LeftState::UNTOUCHED));
    assert!(fake.events.is_empty(), "{:?}", fake.events);
    assert!(lines.is_empty(), "{lines:?}");
    assert_eq!(fake.store, before);
}

#[test]
fn library_callers_can_leave_the_core_halted() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["nDBANK=0"]);
    let opts = ApplyOptions {
        leave_halted: true,
        ..ApplyOptions::default()
    };
    let outcome = run(&mut fake, &p, opts).0.unwrap();
    assert_eq!(outcome.core, CoreAfter::Halted);
    assert!(fake.halted);
    assert_eq!(fake.events, vec!["halt", "OPTSTRT", "reset"]);
}

#[test]
fn a_halted_core_is_not_halted_again_and_the_cli_leaves_it_running() {
    let mut fake = Fake::new();
    fake.halted = true;
    let p = plan_for(&fake, &["nDBANK=0"]);
    run(&mut fake, &p, ApplyOptions::default()).0.unwrap();
    assert_eq!(fake.events, vec!["OPTSTRT", "reset", "run"]);
}

#[test]
fn stuck_busy_times_out_locked_and_halted_without_reset() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["nDBANK=0"]);
    fake.busy_polls = 0;
    fake.busy_sticks_on_start = true;
    fake.pause_sleeps = true;
    let err = run(&mut fake, &p, short_busy()).0.unwrap_err();
    assert!(matches!(err, Error::BusyTimeout { .. }), "{err}");
    let state = err.left_state().unwrap();
    assert_eq!(state.lock, LockState::Locked);
    assert_eq!(state.options, OptionsState::Unknown);
    assert!(fake.locked());
    assert!(fake.halted, "left halted");
    assert!(!fake.events.contains(&"reset".to_string()));
    let text = err.to_string();
    assert!(text.contains("BSY still set"), "{text}");
    assert!(text.contains("OPTLOCK set"), "{text}");
    assert!(text.contains("not reset"), "{text}");
    // The relock never wrote OPTSTRT again.
    let last = *fake.writes_to(FLASH_OPTCR).last().unwrap();
    assert_eq!(
        last & (FLASH_OPTCR_OPTSTRT | FLASH_OPTCR_OPTLOCK),
        FLASH_OPTCR_OPTLOCK
    );
}

#[test]
fn busy_before_programming_times_out_unchanged() {
    let mut fake = Fake::new();
    fake.busy_stuck = true;
    let p = plan_for(&fake, &["nDBANK=0"]);
    // Real sleeps, so the 2 s idle bound is reached.
    fake.pause_sleeps = true;
    let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
    assert!(matches!(err, Error::BusyTimeout { .. }));
    assert_eq!(err.left_state().unwrap(), LeftState::UNCHANGED_LOCKED);
    assert!(fake.writes_to(FLASH_OPTKEYR).is_empty(), "never unlocked");
    assert_eq!(fake.store, OptionWords::FACTORY.options_only());
}

#[test]
fn error_flags_after_optstrt_are_reported_cleared_and_locked() {
    let mut fake = Fake::new();
    fake.flags_on_start = FLASH_SR_WRPERR;
    fake.commit_on_start = false;
    let p = plan_for(&fake, &["nDBANK=0"]);
    let (result, _) = run(&mut fake, &p, ApplyOptions::default());
    let err = result.unwrap_err();
    assert!(matches!(err, Error::FlashSr { sr, .. } if sr & FLASH_SR_WRPERR != 0));
    assert_eq!(err.left_state().unwrap(), LeftState::UNCHANGED_LOCKED);
    assert!(err.to_string().contains("WRPERR"));
    assert_eq!(fake.sr & FLASH_SR_ERRORS, 0, "flags cleared");
    assert!(fake.locked());
    assert!(!fake.events.contains(&"reset".to_string()));
    assert!(!fake.halted, "store unchanged: the core runs again");
}

#[test]
fn error_flags_with_committed_store_say_programmed() {
    let mut fake = Fake::new();
    fake.flags_on_start = FLASH_SR_PGPERR;
    let p = plan_for(&fake, &["nDBANK=0"]);
    let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
    assert_eq!(err.left_state().unwrap().options, OptionsState::Programmed);
    assert!(fake.locked());
    assert!(
        fake.halted,
        "something was committed: left halted for inspection"
    );
}

#[test]
fn transfer_fault_while_staging_restores_registers_and_relocks() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["nDBANK=0", "BOOT_ADD1=0x2040"]);
    fake.fail_write_to = Some((FLASH_OPTCR, 0xDFFF_AAFC));
    let (result, _) = run(&mut fake, &p, ApplyOptions::default());
    let err = result.unwrap_err();
    assert!(matches!(err, Error::Probe { .. }));
    assert_eq!(err.left_state().unwrap(), LeftState::UNCHANGED_LOCKED);
    let text = err.to_string();
    assert!(text.contains("writing FLASH_OPTCR1/FLASH_OPTCR"), "{text}");
    assert!(
        text.contains("option bytes unchanged, OPTLOCK set"),
        "{text}"
    );
    assert!(fake.locked());
    assert_eq!(fake.optcr1, 0x0040_0080, "OPTCR1 put back");
    assert_eq!(fake.store, OptionWords::FACTORY.options_only());
    assert!(!fake.events.contains(&"OPTSTRT".to_string()));
    assert!(!fake.halted, "nothing committed: the core runs again");
}

#[test]
fn transfer_fault_on_optstrt_is_settled_from_the_store_and_relocked() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["nDBANK=0"]);
    fake.fail_write_to = Some((FLASH_OPTCR, 0xDFFF_AAFE));
    let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
    let state = err.left_state().unwrap();
    // Whether OPTSTRT arrived is unknown until the option bytes are read back: here it did not.
    assert_eq!(state.options, OptionsState::Unchanged);
    assert_eq!(state.lock, LockState::Locked);
    assert!(fake.locked());
    assert!(err.to_string().contains("OPTSTRT"));
}

#[test]
fn failed_unlock_is_reported() {
    let mut fake = Fake::new();
    fake.lock_stuck = true;
    let p = plan_for(&fake, &["nDBANK=0"]);
    let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
    // The fake faults the key write, like a bus error on silicon.
    assert!(matches!(err, Error::Probe { .. }), "{err}");
    assert!(err.to_string().contains("FLASH_OPTKEYR"));
    assert_eq!(err.left_state().unwrap(), LeftState::UNCHANGED_LOCKED);
}

#[test]
fn unlock_that_does_not_clear_optlock_is_reported() {
    let mut fake = Fake::new();
    fake.keys_ignored = true;
    let p = plan_for(&fake, &["nDBANK=0"]);
    let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
    assert!(matches!(err, Error::LockStuck { .. }), "{err}");
    assert!(err.to_string().contains("OPTLOCK is still set"));
    assert_eq!(fake.store, OptionWords::FACTORY.options_only());
}

#[test]
fn wrong_chip_is_refused_before_any_flash_access() {
    for (idcode, kb) in [
        (0x1000_6413, 1024),
        (0x1000_6449, 1024),
        (0x1000_6451, 1024),
    ] {
        let mut fake = Fake::new();
        fake.idcode = idcode;
        fake.flash_kb = kb;
        let p = plan_for(&Fake::new(), &["nDBANK=0"]);
        let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
        assert!(
            matches!(err, Error::WrongChip { .. } | Error::UnsupportedChip { .. }),
            "{err}"
        );
        assert_eq!(err.left_state().unwrap(), LeftState::UNTOUCHED);
        assert!(
            fake.writes.iter().all(|&(a, _)| a == DBGMCU_APB1_FZ),
            "only the watchdog freeze was written: {:?}",
            fake.writes
        );
        assert_eq!(
            err.category(),
            crate::optbytes::error::ErrorCategory::Refused
        );
        assert_eq!(
            fake.events,
            vec!["halt", "run"],
            "the running core runs again"
        );
    }
}

#[test]
fn stale_plan_is_refused() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["nDBANK=0"]);
    // Someone programmed nDBOOT meanwhile.
    fake.optcr = 0xEFFF_AAFD;
    fake.store = OptionWords::new(0xEFFF_AAFD, fake.optcr1).options_only();
    let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
    assert!(matches!(err, Error::StaleOptions { .. }));
    assert_eq!(err.left_state().unwrap(), LeftState::UNCHANGED_LOCKED);
    assert!(fake.writes_to(FLASH_OPTKEYR).is_empty());
}

#[test]
fn uncommitted_register_values_are_not_a_stale_plan() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["nDBANK=0"]);
    // A value written to FLASH_OPTCR without OPTSTRT is not programmed: the plan still holds.
    fake.optcr = 0xEFFF_AAFD;
    let (result, _) = run(&mut fake, &p, ApplyOptions::default());
    result.unwrap();
    assert_eq!(fake.store.optcr, 0xDFFF_AAFC);
}

#[test]
fn missing_confirmation_touches_nothing() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["RDP=1"]);
    let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
    assert!(matches!(err, Error::Unconfirmed { .. }));
    assert!(fake.writes.is_empty());
    assert!(fake.events.is_empty());
    let ok = ApplyOptions {
        consents: Consents::NONE.with(Consent::Destructive),
        ..ApplyOptions::default()
    };
    run(&mut fake, &p, ok).0.unwrap();
    assert_eq!(fake.store.rdp(), 0x55);
}

#[test]
fn rdp2_resets_without_verifying_after() {
    let mut fake = Fake::new();
    let p = plan_for(&fake, &["RDP=2"]);
    let opts = ApplyOptions {
        consents: [Consent::Destructive, Consent::PermanentRdp2]
            .into_iter()
            .collect(),
        ..ApplyOptions::default()
    };
    let outcome = run(&mut fake, &p, opts).0.unwrap();
    assert_eq!(outcome.core, CoreAfter::Unreachable);
    assert_eq!(fake.store.rdp(), 0xCC);
}

#[test]
fn stale_error_flags_are_cleared_first() {
    let mut fake = Fake::new();
    fake.sr = FLASH_SR_PGAERR | FLASH_SR_EOP;
    let p = plan_for(&fake, &["nDBANK=0"]);
    let (result, lines) = run(&mut fake, &p, ApplyOptions::default());
    result.unwrap();
    assert_eq!(fake.writes_to(FLASH_SR)[0], FLASH_SR_PGAERR | FLASH_SR_EOP);
    assert!(lines
        .iter()
        .any(|l| l == "cleared stale FLASH_SR flags: EOP, PGAERR"));
    // Cleared before the keys were written.
    let sr_pos = fake
        .writes
        .iter()
        .position(|&(a, _)| a == FLASH_SR)
        .unwrap();
    let key_pos = fake
        .writes
        .iter()
        .position(|&(a, _)| a == FLASH_OPTKEYR)
        .unwrap();
    assert!(sr_pos < key_pos);
}

#[test]
fn verify_failure_is_reported() {
    let mut fake = Fake::new();
    fake.ignore_optcr1 = true;
    let p = plan_for(&fake, &["BOOT_ADD1=0x2040"]);
    let err = run(&mut fake, &p, ApplyOptions::default()).0.unwrap_err();
    assert!(matches!(err, Error::VerifyFailed { .. }), "{err}");
    assert_eq!(
        err.category(),
        crate::optbytes::error::ErrorCategory::Verify
    );
    assert!(err.to_string().contains("OPTCR1 0x20400080"), "{err}");
    assert!(fake.locked());
}

#[test]
fn several_fields_under_one_optstrt() {
    let mut fake = Fake::new();
    let p = plan_for(
        &fake,
        &["nDBANK=0", "nDBOOT=0", "BOOT_ADD1=0x2040", "BOR_LEV=3"],
    );
    run(&mut fake, &p, ApplyOptions::default()).0.unwrap();
    assert_eq!(
        fake.events.iter().filter(|e| *e == "OPTSTRT").count(),
        1,
        "one OPTSTRT"
    );
    assert_eq!(fake.store, OptionWords::new(0xCFFF_AAF0, 0x2040_0080));
    assert_eq!(fake.store.get(Field::BorLev), 0);
}
