//! The G4 sequence against a scripted fake of the OPTR controller: only what the sequence relies
//! on (locks and keys, BSY, OPTSTRT committing to a store, OBL_LAUNCH loading it with a reset
//! whose write is not acknowledged). The simulator runs the same sequence through probe-rs.

use super::*;
use crate::chip::g4::registers::*;
use crate::chip::g4::{G4OptionImage, G4Part, OptrField};
use crate::optbytes::apply::{ApplyOptions, CoreAfter};
use crate::optbytes::error::{LockState, OptionsState};
use crate::optbytes::g4::parse::parse_g4_changes;
use crate::optbytes::g4::plan::plan_g4;

#[derive(Debug)]
struct Fake {
    halted: bool,
    idcode: u32,
    cr: u32,
    sr: u32,
    regs: G4Options,
    store: G4Options,
    /// A key written while unlocked, or a wrong key: locked until reset.
    locked_until_reset: bool,
    keyr_stage: u8,
    optkeyr_stage: u8,
    busy_polls_after_start: u32,
    flags_on_start: u32,
    resets: u32,
    writes: Vec<(u32, u32)>,
}

impl Fake {
    fn new() -> Self {
        Fake {
            halted: false,
            idcode: 0x2000_6469,
            cr: FLASH_CR_LOCK | FLASH_CR_OPTLOCK,
            sr: 0,
            regs: G4Options::FACTORY,
            store: G4Options::FACTORY,
            locked_until_reset: false,
            keyr_stage: 0,
            optkeyr_stage: 0,
            busy_polls_after_start: 2,
            flags_on_start: 0,
            resets: 0,
            writes: Vec::new(),
        }
    }

    fn reg_ptr(&mut self, address: u32) -> Option<&mut u32> {
        let r = &mut self.regs;
        Some(
            match FlashRegister::from_offset(address.wrapping_sub(FLASH_BASE))? {
                FlashRegister::Optr => &mut r.optr,
                FlashRegister::Pcrop1sr => &mut r.pcrop1sr,
                FlashRegister::Pcrop1er => &mut r.pcrop1er,
                FlashRegister::Wrp1ar => &mut r.wrp1ar,
                FlashRegister::Wrp1br => &mut r.wrp1br,
                FlashRegister::Pcrop2sr => &mut r.pcrop2sr,
                FlashRegister::Pcrop2er => &mut r.pcrop2er,
                FlashRegister::Wrp2ar => &mut r.wrp2ar,
                FlashRegister::Wrp2br => &mut r.wrp2br,
                FlashRegister::Sec1r => &mut r.sec1r,
                FlashRegister::Sec2r => &mut r.sec2r,
                _ => return None,
            },
        )
    }

    fn reset(&mut self) {
        self.resets += 1;
        self.regs = self.store;
        self.cr = FLASH_CR_LOCK | FLASH_CR_OPTLOCK;
        self.locked_until_reset = false;
        self.keyr_stage = 0;
        self.optkeyr_stage = 0;
        self.halted = false;
    }

    fn writes_to(&self, address: u32) -> Vec<u32> {
        self.writes
            .iter()
            .filter(|w| w.0 == address)
            .map(|w| w.1)
            .collect()
    }
}

fn fault() -> probe_rs::Error {
    probe_rs::Error::Other("no acknowledgement".into())
}

impl Target for Fake {
    fn read32(&mut self, address: u32) -> Result<u32, probe_rs::Error> {
        if let Some(v) = self.reg_ptr(address) {
            return Ok(*v);
        }
        Ok(match address {
            DBGMCU_IDCODE => self.idcode,
            DBGMCU_APB1FZR1 => 0,
            FLASHSIZE_BASE => 512,
            a if a == FlashRegister::Cr.address() => self.cr,
            a if a == FlashRegister::Sr.address() => {
                if self.busy_polls_after_start > 0 && self.sr & FLASH_SR_BSY != 0 {
                    self.busy_polls_after_start -= 1;
                } else {
                    self.sr &= !FLASH_SR_BSY;
                }
                self.sr
            }
            _ => panic!("unexpected read at {address:#010x}"),
        })
    }

    fn read_block32(&mut self, address: u32, out: &mut [u32]) -> Result<(), probe_rs::Error> {
        let image = G4OptionImage::from_options(&self.store);
        match (address, out.len()) {
            (OPTION_BYTES_BANK1_BASE, 12) => out.copy_from_slice(&image.bank1),
            (OPTION_BYTES_BANK2_BASE, 12) => out.copy_from_slice(&image.bank2),
            _ => panic!("unexpected block read at {address:#010x}"),
        }
        Ok(())
    }

    fn write32(&mut self, address: u32, value: u32) -> Result<(), probe_rs::Error> {
        self.writes.push((address, value));
        let keyr = FlashRegister::Keyr.address();
        let optkeyr = FlashRegister::Optkeyr.address();
        let cr = FlashRegister::Cr.address();
        let sr = FlashRegister::Sr.address();
        if address == keyr {
            if self.cr & FLASH_CR_LOCK == 0 || self.locked_until_reset {
                self.locked_until_reset = true;
                return Err(fault());
            }
            match (self.keyr_stage, value) {
                (0, FLASH_KEY1) => self.keyr_stage = 1,
                (1, FLASH_KEY2) => {
                    self.keyr_stage = 0;
                    self.cr &= !FLASH_CR_LOCK;
                }
                _ => {
                    self.locked_until_reset = true;
                    return Err(fault());
                }
            }
        } else if address == optkeyr {
            if self.cr & FLASH_CR_OPTLOCK == 0 || self.cr & FLASH_CR_LOCK != 0 {
                self.locked_until_reset = true;
                return Err(fault());
            }
            match (self.optkeyr_stage, value) {
                (0, FLASH_OPTKEY1) => self.optkeyr_stage = 1,
                (1, FLASH_OPTKEY2) => {
                    self.optkeyr_stage = 0;
                    self.cr &= !FLASH_CR_OPTLOCK;
                }
                _ => {
                    self.locked_until_reset = true;
                    return Err(fault());
                }
            }
        } else if address == cr {
            if self.cr & FLASH_CR_LOCK != 0 && value & FLASH_CR_LOCK == 0 {
                return Ok(()); // locked: ignored
            }
            if value & FLASH_CR_OBL_LAUNCH != 0 {
                assert_eq!(
                    self.cr & FLASH_CR_OPTLOCK,
                    0,
                    "OBL_LAUNCH needs OPTLOCK clear"
                );
                self.reset();
                return Err(fault());
            }
            if value & FLASH_CR_OPTSTRT != 0 {
                assert_eq!(self.cr & FLASH_CR_OPTLOCK, 0, "OPTSTRT with OPTLOCK set");
                self.sr |= FLASH_SR_BSY | self.flags_on_start;
                if self.flags_on_start == 0 {
                    self.store = self.regs;
                }
            }
            // LOCK also sets OPTLOCK.
            let mut v = value & !(FLASH_CR_OPTSTRT | FLASH_CR_OBL_LAUNCH);
            if v & FLASH_CR_LOCK != 0 {
                v |= FLASH_CR_OPTLOCK;
            }
            self.cr = v;
        } else if address == sr {
            self.sr &= !(value & FLASH_SR_W1C);
        } else if address == DBGMCU_APB1FZR1 {
        } else if self.cr & FLASH_CR_OPTLOCK != 0 && self.reg_ptr(address).is_some() {
            // Locked option registers ignore writes.
        } else if let Some(reg) = self.reg_ptr(address) {
            *reg = value;
        } else {
            panic!("unexpected write at {address:#010x}");
        }
        Ok(())
    }

    fn is_halted(&mut self) -> Result<bool, probe_rs::Error> {
        Ok(self.halted)
    }
    fn halt_core(&mut self, _: Duration) -> Result<(), probe_rs::Error> {
        self.halted = true;
        Ok(())
    }
    fn run_core(&mut self) -> Result<(), probe_rs::Error> {
        self.halted = false;
        Ok(())
    }
    fn reset_halted(&mut self, _: Duration) -> Result<(), probe_rs::Error> {
        panic!("G4 options load with OBL_LAUNCH, never a plain reset");
    }
    fn reset_running(&mut self) -> Result<(), probe_rs::Error> {
        panic!("G4 options load with OBL_LAUNCH, never a plain reset");
    }
    fn pause(&mut self, _: Duration) {}
}

fn single_bank_plan() -> G4Plan {
    plan_g4(
        G4Options::FACTORY,
        &parse_g4_changes(["DBANK=0"]).unwrap(),
        &G4Part::G474RE,
    )
    .unwrap()
}

/// The engine's apply without a probe: program, launch, then verify on the same fake (the
/// fake's reset stands for the drop and re-attach).
fn run(fake: &mut Fake, plan: &G4Plan, opts: &ApplyOptions) -> Result<G4Outcome, Error> {
    let mut lines = Vec::new();
    let mut progress = |l: &str| lines.push(l.to_string());
    if let Some(done) = sequence::program(&G4Optr, fake, plan, opts, &mut progress)? {
        return Ok(done);
    }
    sequence::launch(&CONTROLLER, fake, &mut progress);
    sequence::verify_loaded(&G4Optr, fake, plan, opts, &mut progress)
}

#[test]
fn dbank_switch_unlocks_both_writes_optr_starts_launches_and_verifies() {
    let mut fake = Fake::new();
    let plan = single_bank_plan();
    let out = run(&mut fake, &plan, &ApplyOptions::default()).unwrap();
    assert!(out.written && out.reset && !out.pending_reset);
    assert_eq!(out.core, CoreAfter::Running);
    assert_eq!(fake.resets, 1, "one OBL_LAUNCH reset");
    assert_eq!(fake.store.optr, 0xFFAF_F8AA);
    assert_eq!(fake.regs.optr, 0xFFAF_F8AA);
    assert_eq!(
        fake.writes_to(FlashRegister::Keyr.address()),
        [FLASH_KEY1, FLASH_KEY2]
    );
    assert_eq!(
        fake.writes_to(FlashRegister::Optkeyr.address()),
        [FLASH_OPTKEY1, FLASH_OPTKEY2]
    );
    // Only OPTR changes, so only OPTR is written.
    assert_eq!(
        fake.writes_to(FlashRegister::Wrp1ar.address()),
        Vec::<u32>::new()
    );
    assert_eq!(fake.writes_to(FlashRegister::Optr.address()), [0xFFAF_F8AA]);
    assert!(!fake.locked_until_reset);
    assert_eq!(
        fake.cr & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK),
        FLASH_CR_LOCK | FLASH_CR_OPTLOCK
    );
}

#[test]
fn no_keys_are_written_to_an_unlocked_register() {
    let mut fake = Fake::new();
    fake.cr = 0; // both unlocked already (left by someone else)
    let plan = single_bank_plan();
    run(&mut fake, &plan, &ApplyOptions::default()).unwrap();
    assert!(fake.writes_to(FlashRegister::Keyr.address()).is_empty());
    assert!(fake.writes_to(FlashRegister::Optkeyr.address()).is_empty());
    let mut fake = Fake::new();
    fake.cr = FLASH_CR_OPTLOCK; // LOCK clear, OPTLOCK set
    run(&mut fake, &plan, &ApplyOptions::default()).unwrap();
    assert!(fake.writes_to(FlashRegister::Keyr.address()).is_empty());
    assert_eq!(fake.writes_to(FlashRegister::Optkeyr.address()).len(), 2);
}

#[test]
fn no_reset_relocks_and_reports_pending() {
    let mut fake = Fake::new();
    let plan = plan_g4(
        G4Options::FACTORY,
        &parse_g4_changes(["BOR_LEV=2"]).unwrap(),
        &G4Part::G474RE,
    )
    .unwrap();
    let opts = ApplyOptions {
        reset: false,
        leave_halted: true,
        ..ApplyOptions::default()
    };
    let out = run(&mut fake, &plan, &opts).unwrap();
    assert!(out.pending_reset && !out.reset);
    assert_eq!(out.core, CoreAfter::Halted);
    assert_eq!(fake.resets, 0);
    assert_eq!(fake.store.optr, 0xFFEF_FAAA);
    assert_eq!(
        fake.cr & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK),
        FLASH_CR_LOCK | FLASH_CR_OPTLOCK
    );
}

#[test]
fn an_optverr_after_optstrt_relocks_and_says_so() {
    let mut fake = Fake::new();
    fake.flags_on_start = FLASH_SR_OPTVERR;
    let plan = single_bank_plan();
    let e = run(&mut fake, &plan, &ApplyOptions::default()).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("OPTVERR"), "{text}");
    assert!(text.contains("OPTLOCK set"), "{text}");
    assert_eq!(e.left_state().unwrap().options, OptionsState::Unchanged);
    assert_eq!(fake.resets, 0, "no OBL_LAUNCH after an error");
    assert_eq!(
        fake.cr & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK),
        FLASH_CR_LOCK | FLASH_CR_OPTLOCK
    );
    assert_eq!(fake.store, G4Options::FACTORY);
}

#[test]
fn dbank_is_refused_on_a_g49x_chip_before_any_flash_register_is_touched() {
    let mut fake = Fake::new();
    fake.idcode = 0x2000_6479;
    // A plan made for a G474RE, run on a chip that says G49x: the part check stops it.
    let plan = single_bank_plan();
    let e = run(&mut fake, &plan, &ApplyOptions::default()).unwrap_err();
    assert!(
        matches!(e, Error::UnsupportedChip { .. } | Error::WrongChip { .. }),
        "{e:?}"
    );
    assert!(
        fake.writes.iter().all(|w| w.0 == DBGMCU_APB1FZR1),
        "{:?}",
        fake.writes
    );
}

#[test]
fn a_stale_plan_is_refused_unlocked_nothing() {
    let mut fake = Fake::new();
    fake.store.optr = OptrField::BorLev.set(fake.store.optr, 2);
    fake.regs = fake.store;
    let plan = single_bank_plan();
    let e = run(&mut fake, &plan, &ApplyOptions::default()).unwrap_err();
    assert!(matches!(e, Error::StaleOptions { .. }), "{e:?}");
    assert!(fake.writes_to(FlashRegister::Keyr.address()).is_empty());
}

#[test]
fn a_lost_obl_launch_is_reported_and_relocked() {
    // A fake whose CR ignores OBL_LAUNCH: no reset, the registers stay unlocked.
    let mut fake = Fake::new();
    let plan = single_bank_plan();
    let mut progress = |_: &str| {};
    assert!(sequence::program(
        &G4Optr,
        &mut fake,
        &plan,
        &ApplyOptions::default(),
        &mut progress
    )
    .unwrap()
    .is_none());
    let e = sequence::verify_loaded(
        &G4Optr,
        &mut fake,
        &plan,
        &ApplyOptions::default(),
        &mut progress,
    )
    .unwrap_err();
    assert!(e.to_string().contains("did not reset"), "{e}");
    assert_eq!(e.left_state().unwrap().lock, LockState::Locked);
    assert_eq!(
        fake.cr & (FLASH_CR_LOCK | FLASH_CR_OPTLOCK),
        FLASH_CR_LOCK | FLASH_CR_OPTLOCK
    );
}
