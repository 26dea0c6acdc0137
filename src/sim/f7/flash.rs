//! The FLASH controller at 0x4002_3C00, the flash array behind it and the option store
//! (RM0410 §3; facts in `stm32f76x-flash.md` §1–§8).
//!
//! What it models, because tools get these wrong on real boards:
//! - KEYR/OPTKEYR key sequences; a wrong or repeated key locks the register until reset and the
//!   bus write faults.
//! - FLASH_SR error bits are write-1-to-clear; BSY stays set for a configurable time.
//! - FLASH_OPTCR/OPTCR1 are writable only while OPTLOCK is clear, and only OPTSTRT commits them
//!   to the option store. The store is loaded back into the registers and into the bank geometry
//!   only at reset.
//! - RDP: level 1 → 0 mass-erases; level 2 is permanent; level 1 blocks debug access to flash.
//! - Programming can only clear bits; erase fills a sector with 0xFF in the current geometry.

use std::time::{Duration, Instant};

use super::geometry::{self, Sector};
use crate::sim::variant::Variant;

/// Register offsets from FLASH_R_BASE (0x4002_3C00).
pub mod reg {
    pub const FLASH_ACR: u32 = 0x00;
    pub const FLASH_KEYR: u32 = 0x04;
    pub const FLASH_OPTKEYR: u32 = 0x08;
    pub const FLASH_SR: u32 = 0x0C;
    pub const FLASH_CR: u32 = 0x10;
    pub const FLASH_OPTCR: u32 = 0x14;
    pub const FLASH_OPTCR1: u32 = 0x18;
}

/// FLASH_KEYR / FLASH_OPTKEYR unlock keys.
pub mod key {
    pub const KEY1: u32 = 0x4567_0123;
    pub const KEY2: u32 = 0xCDEF_89AB;
    pub const OPTKEY1: u32 = 0x0819_2A3B;
    pub const OPTKEY2: u32 = 0x4C5D_6E7F;
}

/// FLASH_SR bits.
pub mod sr {
    pub const EOP: u32 = 1 << 0;
    pub const OPERR: u32 = 1 << 1;
    pub const WRPERR: u32 = 1 << 4;
    pub const PGAERR: u32 = 1 << 5;
    pub const PGPERR: u32 = 1 << 6;
    pub const ERSERR: u32 = 1 << 7;
    pub const BSY: u32 = 1 << 16;
    /// The write-1-to-clear bits.
    pub const W1C: u32 = EOP | OPERR | WRPERR | PGAERR | PGPERR | ERSERR;
}

/// FLASH_CR bits.
pub mod cr {
    pub const PG: u32 = 1 << 0;
    pub const SER: u32 = 1 << 1;
    pub const MER: u32 = 1 << 2;
    pub const SNB_SHIFT: u32 = 3;
    pub const SNB_MASK: u32 = 0x1F << SNB_SHIFT;
    pub const PSIZE_SHIFT: u32 = 8;
    pub const PSIZE_MASK: u32 = 0b11 << PSIZE_SHIFT;
    pub const MER2: u32 = 1 << 15;
    pub const STRT: u32 = 1 << 16;
    pub const EOPIE: u32 = 1 << 24;
    pub const ERRIE: u32 = 1 << 25;
    pub const LOCK: u32 = 1 << 31;
    /// Bits software can write (the rest read as zero).
    pub const WRITABLE: u32 =
        PG | SER | MER | SNB_MASK | PSIZE_MASK | MER2 | STRT | EOPIE | ERRIE | LOCK;
}

/// FLASH_OPTCR bits.
pub mod optcr {
    pub const OPTLOCK: u32 = 1 << 0;
    pub const OPTSTRT: u32 = 1 << 1;
    pub const RDP_SHIFT: u32 = 8;
    pub const RDP_MASK: u32 = 0xFF << RDP_SHIFT;
    pub const NDBOOT: u32 = 1 << 28;
    pub const NDBANK: u32 = 1 << 29;
    /// Bits 29:24 are reserved on F74x (no nDBANK/nDBOOT, 8 nWRP bits); they read as zero there.
    pub const F74X_RESERVED: u32 = 0x3F00_0000;
}

/// RDP byte values.
pub mod rdp {
    pub const LEVEL0: u8 = 0xAA;
    pub const LEVEL2: u8 = 0xCC;
}

/// Factory option values of F76x/F77x: single bank, RDP level 0, no write protection.
pub const FACTORY_OPTCR_F76X: u32 = 0xFFFF_AAFD;
/// Factory OPTCR of F74x (bits 29:24 reserved).
pub const FACTORY_OPTCR_F74X: u32 = 0xC0FF_AAFD;
/// Factory OPTCR1: BOOT_ADD0 = 0x0080 (flash on ITCM), BOOT_ADD1 = 0x0040 (system memory).
pub const FACTORY_OPTCR1: u32 = 0x0040_0080;

/// How long BSY stays set for each operation. Defaults are short so tests run quickly; use
/// [`Timing::datasheet`] to feel what a real board costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    pub word_program: Duration,
    pub erase_per_16k: Duration,
    pub mass_erase: Duration,
    pub option_program: Duration,
    /// Extra time when an option change lowers RDP and mass-erases.
    pub rdp_regression: Duration,
}

impl Default for Timing {
    fn default() -> Self {
        Timing {
            word_program: Duration::ZERO,
            erase_per_16k: Duration::from_micros(200),
            mass_erase: Duration::from_millis(50),
            option_program: Duration::from_millis(20),
            rdp_regression: Duration::from_millis(200),
        }
    }
}

impl Timing {
    /// Typical figures of the STM32F76x datasheet order of magnitude (x32 parallelism).
    pub fn datasheet() -> Self {
        Timing {
            word_program: Duration::from_micros(16),
            erase_per_16k: Duration::from_millis(250),
            mass_erase: Duration::from_secs(16),
            option_program: Duration::from_millis(500),
            rdp_regression: Duration::from_secs(16),
        }
    }
}

/// Faults the tests can inject into the FLASH controller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlashFaults {
    /// BSY never clears once an operation starts.
    pub stuck_bsy: bool,
    /// FLASH_SR bits raised when an OPTSTRT completes; the option store is then left unchanged.
    pub optstrt_error_flags: u32,
}

/// The non-volatile option store: what OPTSTRT programs and reset loads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionStore {
    /// FLASH_OPTCR image; bits 1:0 are not stored and read back as 0.
    pub optcr: u32,
    pub optcr1: u32,
}

impl OptionStore {
    pub fn factory(variant: &Variant) -> Self {
        let optcr = if super::family::has_ndbank(variant) {
            FACTORY_OPTCR_F76X
        } else {
            FACTORY_OPTCR_F74X
        };
        OptionStore {
            optcr: optcr & !(optcr::OPTLOCK | optcr::OPTSTRT),
            optcr1: FACTORY_OPTCR1,
        }
    }

    pub fn rdp(&self) -> u8 {
        ((self.optcr & optcr::RDP_MASK) >> optcr::RDP_SHIFT) as u8
    }

    pub fn dual_bank(&self, variant: &Variant) -> bool {
        super::family::has_ndbank(variant) && self.optcr & optcr::NDBANK == 0
    }

    /// The 32-byte user option area at 0x1FFF_0000: value half-words with their complements.
    pub fn option_word(&self, index: u32) -> u32 {
        let with_complement = |v: u32| (v & 0xFFFF) | ((!v & 0xFFFF) << 16);
        match index {
            // USER byte (bits 1:0 of the stored byte are unused and read as 1) and RDP.
            0 => with_complement((self.optcr & 0xFFFC) | 0x3),
            2 => with_complement(self.optcr >> 16),
            4 => with_complement(self.optcr1 & 0xFFFF),
            6 => with_complement(self.optcr1 >> 16),
            _ => 0xFFFF_FFFF,
        }
    }
}

/// Protection level as the hardware applies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RdpLevel {
    Level0,
    Level1,
    Level2,
}

pub fn rdp_level(byte: u8) -> RdpLevel {
    match byte {
        rdp::LEVEL0 => RdpLevel::Level0,
        rdp::LEVEL2 => RdpLevel::Level2,
        _ => RdpLevel::Level1,
    }
}

/// A bus write that the FLASH interface answers with a bus error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusFault;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    Locked,
    FirstKeySeen,
    Unlocked,
    /// A wrong sequence: stays locked until the next reset.
    LockedUntilReset,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operation {
    Program,
    Erase {
        offset: u32,
        size: u32,
    },
    MassErase {
        banks: [bool; 2],
    },
    OptionProgram {
        store: OptionStore,
        regression: bool,
    },
}

#[derive(Debug, Clone, Copy)]
struct Busy {
    until: Instant,
    op: Operation,
}

/// The FLASH interface, array and option store of one chip.
#[derive(Debug, Clone)]
pub struct Flash {
    variant: Variant,
    pub timing: Timing,
    pub faults: FlashFaults,
    acr: u32,
    cr: u32,
    sr: u32,
    optcr: u32,
    optcr1: u32,
    keyr_state: KeyState,
    optkeyr_state: KeyState,
    busy: Option<Busy>,
    /// Bank mode and protection loaded at the last reset: OPTSTRT changes the store, and
    /// FLASH_OPTCR keeps the written value, but the chip applies the values only at the next
    /// reset (reference `stm32f76x-flash.md` §4).
    loaded_dual: bool,
    loaded_rdp: RdpLevel,
    /// FLASH_OPTCR as loaded at the last reset (nWRP is enforced from it).
    loaded_optcr: u32,
    store: OptionStore,
    /// Two physical halves of the array (see [`geometry::physical`]).
    halves: [Vec<u8>; 2],
    otp: Vec<u8>,
    /// Set when an option-byte programming was cut by a reset: the store is then unreliable.
    pub interrupted_option_program: bool,
    /// Incremented whenever the array or the store changes, so persistence knows to save.
    pub generation: u64,
}

/// Size of the OTP area including its 16 lock bytes (0x1FF0_F000–0x1FF0_F41F).
pub const OTP_BYTES: usize = 1024 + 32;

impl Flash {
    pub fn new(variant: Variant, store: OptionStore) -> Self {
        let half = (variant.flash_bytes() / 2) as usize;
        let mut flash = Flash {
            variant,
            timing: Timing::default(),
            faults: FlashFaults::default(),
            acr: 0,
            cr: cr::LOCK,
            sr: 0,
            optcr: 0,
            optcr1: 0,
            keyr_state: KeyState::Locked,
            optkeyr_state: KeyState::Locked,
            busy: None,
            loaded_dual: false,
            loaded_rdp: RdpLevel::Level0,
            loaded_optcr: 0,
            store,
            halves: [vec![0xFF; half], vec![0xFF; half]],
            otp: vec![0xFF; OTP_BYTES],
            interrupted_option_program: false,
            generation: 0,
        };
        flash.reset(Instant::now());
        flash
    }

    pub fn variant(&self) -> &Variant {
        &self.variant
    }

    /// System reset: the option store is loaded into OPTCR/OPTCR1 and into the bank geometry.
    pub fn reset(&mut self, now: Instant) {
        self.tick(now);
        if let Some(busy) = self.busy.take() {
            if let Operation::OptionProgram { .. } = busy.op {
                // A reset during option programming leaves the option sector half-written.
                // Silicon has been seen to come back at RDP level 1; model exactly that.
                log::warn!(
                    "sim: reset while option bytes were being programmed; RDP falls to level 1"
                );
                self.store.optcr =
                    (self.store.optcr & !optcr::RDP_MASK) | (0x55 << optcr::RDP_SHIFT);
                self.interrupted_option_program = true;
                self.generation += 1;
            }
        }
        self.acr = 0;
        self.cr = cr::LOCK;
        self.sr = 0;
        self.keyr_state = KeyState::Locked;
        self.optkeyr_state = KeyState::Locked;
        self.optcr = self.store.optcr | optcr::OPTLOCK;
        self.optcr1 = self.store.optcr1;
        self.loaded_dual = self.store.dual_bank(&self.variant);
        self.loaded_rdp = rdp_level(self.store.rdp());
        self.loaded_optcr = self.store.optcr;
    }

    pub fn store(&self) -> OptionStore {
        self.store
    }

    pub fn dual_bank(&self) -> bool {
        self.loaded_dual
    }

    pub fn rdp(&self) -> RdpLevel {
        self.loaded_rdp
    }

    pub fn sectors(&self) -> Vec<Sector> {
        geometry::sectors(self.variant.flash_bytes(), self.loaded_dual)
    }

    /// Completes an operation whose time is up.
    fn tick(&mut self, now: Instant) {
        let Some(busy) = self.busy else { return };
        if self.faults.stuck_bsy || now < busy.until {
            return;
        }
        self.busy = None;
        match busy.op {
            Operation::Program => {}
            Operation::Erase { offset, size } => self.fill(offset, size),
            Operation::MassErase { banks } => {
                let half = self.variant.flash_bytes() / 2;
                if self.loaded_dual {
                    for (bank, erase) in banks.iter().enumerate() {
                        if *erase {
                            self.fill(bank as u32 * half, half);
                        }
                    }
                } else {
                    self.fill(0, self.variant.flash_bytes());
                }
            }
            Operation::OptionProgram { store, regression } => {
                self.optcr &= !optcr::OPTSTRT;
                if self.faults.optstrt_error_flags != 0 {
                    self.sr |= self.faults.optstrt_error_flags & sr::W1C;
                    return;
                }
                if regression {
                    // RDP 1 → 0: the whole array is erased before protection is lifted.
                    self.fill(0, self.variant.flash_bytes());
                }
                self.store = store;
                self.generation += 1;
            }
        }
        self.sr |= sr::EOP;
    }

    fn start(&mut self, now: Instant, duration: Duration, op: Operation) {
        self.busy = Some(Busy {
            until: now + duration,
            op,
        });
        self.tick(now);
    }

    fn is_busy(&mut self, now: Instant) -> bool {
        self.tick(now);
        self.busy.is_some()
    }

    /// Reads a FLASH register (word offset from 0x4002_3C00).
    pub fn read_reg(&mut self, offset: u32, now: Instant) -> u32 {
        self.tick(now);
        match offset {
            reg::FLASH_ACR => self.acr,
            // Write-only key registers read as zero.
            reg::FLASH_KEYR | reg::FLASH_OPTKEYR => 0,
            reg::FLASH_SR => self.sr | if self.busy.is_some() { sr::BSY } else { 0 },
            reg::FLASH_CR => self.cr,
            reg::FLASH_OPTCR => self.optcr,
            reg::FLASH_OPTCR1 => self.optcr1,
            _ => 0,
        }
    }

    /// Writes a FLASH register. `mask` has the written byte lanes set (0xFFFF_FFFF for a word).
    pub fn write_reg(
        &mut self,
        offset: u32,
        value: u32,
        mask: u32,
        now: Instant,
    ) -> Result<(), BusFault> {
        self.tick(now);
        let merge = |old: u32| (old & !mask) | (value & mask);
        match offset {
            reg::FLASH_ACR => self.acr = merge(self.acr) & 0x0B0F,
            reg::FLASH_KEYR => Self::key_write(
                &mut self.keyr_state,
                &mut self.cr,
                cr::LOCK,
                value,
                mask,
                [key::KEY1, key::KEY2],
                ("FLASH_KEYR", "FLASH_CR"),
            )?,
            reg::FLASH_OPTKEYR => Self::key_write(
                &mut self.optkeyr_state,
                &mut self.optcr,
                optcr::OPTLOCK,
                value,
                mask,
                [key::OPTKEY1, key::OPTKEY2],
                ("FLASH_OPTKEYR", "FLASH_OPTCR"),
            )?,
            reg::FLASH_SR => self.sr &= !(value & mask & sr::W1C),
            reg::FLASH_CR => self.write_cr(merge(self.cr), now),
            reg::FLASH_OPTCR => self.write_optcr(merge(self.optcr), now),
            reg::FLASH_OPTCR1 if self.optcr & optcr::OPTLOCK == 0 && !self.is_busy(now) => {
                self.optcr1 = merge(self.optcr1);
            }
            _ => {}
        }
        Ok(())
    }

    /// A write to a key register (`names.0`) that guards `lock_bit` of its control register
    /// (`names.1`): steps the key sequence and applies the result to the lock bit. A sequence gone
    /// wrong locks the control register until reset, and the write itself faults.
    fn key_write(
        state: &mut KeyState,
        control: &mut u32,
        lock_bit: u32,
        value: u32,
        mask: u32,
        keys: [u32; 2],
        names: (&str, &str),
    ) -> Result<(), BusFault> {
        *state = Self::key_step(*state, *control & lock_bit != 0, value, mask, keys);
        match *state {
            KeyState::Unlocked => *control &= !lock_bit,
            KeyState::LockedUntilReset => {
                *control |= lock_bit;
                log::warn!(
                    "sim: wrong {} sequence (0x{value:08X}); {} locked until reset",
                    names.0,
                    names.1
                );
                return Err(BusFault);
            }
            _ => {}
        }
        Ok(())
    }

    /// One key write. A write while the register is already unlocked, a wrong value, or a key
    /// after a wrong sequence, all lock the register until reset.
    fn key_step(state: KeyState, locked: bool, value: u32, mask: u32, keys: [u32; 2]) -> KeyState {
        if state == KeyState::LockedUntilReset {
            return KeyState::LockedUntilReset;
        }
        if !locked || mask != 0xFFFF_FFFF {
            return KeyState::LockedUntilReset;
        }
        match (state, value) {
            (KeyState::Locked, v) if v == keys[0] => KeyState::FirstKeySeen,
            (KeyState::FirstKeySeen, v) if v == keys[1] => KeyState::Unlocked,
            _ => KeyState::LockedUntilReset,
        }
    }

    fn write_cr(&mut self, new: u32, now: Instant) {
        if self.cr & cr::LOCK != 0 {
            // Locked: only the LOCK bit itself stays set; nothing else can be changed.
            return;
        }
        if new & cr::LOCK != 0 {
            self.cr = cr::LOCK | (new & cr::WRITABLE & !cr::STRT);
            self.keyr_state = KeyState::Locked;
            return;
        }
        if self.is_busy(now) {
            return;
        }
        self.cr = new & cr::WRITABLE & !cr::STRT;
        if new & cr::STRT != 0 {
            self.start_erase(new, now);
        }
    }

    fn start_erase(&mut self, cr_value: u32, now: Instant) {
        let ser = cr_value & cr::SER != 0;
        let mer1 = cr_value & cr::MER != 0;
        let mer2 = cr_value & cr::MER2 != 0;
        if ser && (mer1 || mer2) || !(ser || mer1 || mer2) {
            // Sector and mass erase together, or STRT with nothing selected.
            self.sr |= sr::ERSERR;
            return;
        }
        if ser {
            let snb = ((cr_value & cr::SNB_MASK) >> cr::SNB_SHIFT) as u8;
            let Some(sector) = self.sectors().into_iter().find(|s| s.snb == snb) else {
                log::warn!(
                    "sim: sector erase with SNB {snb:#x}, which does not exist in this bank mode"
                );
                self.sr |= sr::ERSERR;
                return;
            };
            if self.sector_protected(&sector) {
                self.sr |= sr::WRPERR;
                return;
            }
            let units = sector.size.div_ceil(16 * 1024);
            let duration = self.timing.erase_per_16k * units;
            self.start(
                now,
                duration,
                Operation::Erase {
                    offset: sector.offset,
                    size: sector.size,
                },
            );
        } else {
            let banks = if self.loaded_dual {
                [mer1, mer2]
            } else {
                [true, true]
            };
            let any_protected = self.sectors().iter().any(|s| {
                let bank = usize::from(s.snb & 0x10 != 0);
                banks[bank] && self.sector_protected(s)
            });
            if any_protected {
                self.sr |= sr::WRPERR;
                return;
            }
            self.start(now, self.timing.mass_erase, Operation::MassErase { banks });
        }
    }

    /// nWRP as loaded at reset: single bank bit i ↔ sector i; dual bank 2 MB bit i ↔ sectors
    /// 2i and 2i+1 of the 24; dual bank 1 MB: bank-1 sectors 0–7 ↔ bits 0–3 in pairs, bank 2 ↔
    /// bits 4–7 in pairs.
    fn sector_protected(&self, sector: &Sector) -> bool {
        let nwrp = (self.optcr_loaded() >> 16) & 0xFFF;
        let linear = if sector.snb & 0x10 != 0 {
            let per_bank = self.sectors().len() as u32 / 2;
            per_bank + u32::from(sector.snb & 0x0F)
        } else {
            u32::from(sector.snb)
        };
        let bit = if self.loaded_dual { linear / 2 } else { linear };
        nwrp & (1 << bit) == 0
    }

    fn optcr_loaded(&self) -> u32 {
        self.loaded_optcr
    }

    fn write_optcr(&mut self, new: u32, now: Instant) {
        if self.optcr & optcr::OPTLOCK != 0 {
            return;
        }
        let mut new = new;
        if !super::family::has_ndbank(&self.variant) {
            new &= !optcr::F74X_RESERVED;
        }
        if new & optcr::OPTLOCK != 0 {
            self.optcr = new & !optcr::OPTSTRT;
            self.optkeyr_state = KeyState::Locked;
            return;
        }
        if self.is_busy(now) {
            return;
        }
        let start = new & optcr::OPTSTRT != 0 && self.optcr & optcr::OPTSTRT == 0;
        self.optcr = new;
        if !start {
            self.optcr &= !optcr::OPTSTRT;
            return;
        }
        let target = OptionStore {
            optcr: new & !(optcr::OPTLOCK | optcr::OPTSTRT),
            optcr1: self.optcr1,
        };
        if self.loaded_rdp == RdpLevel::Level2 || rdp_level(self.store.rdp()) == RdpLevel::Level2 {
            // Level 2 is final: the option bytes can no longer be changed.
            self.optcr &= !optcr::OPTSTRT;
            self.sr |= sr::WRPERR;
            return;
        }
        let regression =
            self.loaded_rdp == RdpLevel::Level1 && rdp_level(target.rdp()) == RdpLevel::Level0;
        let duration = if regression {
            self.timing.option_program + self.timing.rdp_regression
        } else {
            self.timing.option_program
        };
        self.start(
            now,
            duration,
            Operation::OptionProgram {
                store: target,
                regression,
            },
        );
    }

    /// Reads `buf.len()` bytes of the array at `offset` from 0x0800_0000, in the loaded geometry.
    pub fn read_array(&self, offset: u32, buf: &mut [u8]) {
        let size = self.variant.flash_bytes();
        for (i, byte) in buf.iter_mut().enumerate() {
            let off = offset + i as u32;
            *byte = if off < size {
                let (half, pos) = geometry::physical(size, self.loaded_dual, off);
                self.halves[half][pos]
            } else {
                0xFF
            };
        }
    }

    fn fill(&mut self, offset: u32, size: u32) {
        let total = self.variant.flash_bytes();
        for off in offset..(offset + size).min(total) {
            let (half, pos) = geometry::physical(total, self.loaded_dual, off);
            self.halves[half][pos] = 0xFF;
        }
        self.generation += 1;
    }

    /// A bus write into the flash array at `offset` (AXIM), of `size` bytes (1, 2 or 4).
    ///
    /// Writes program only with FLASH_CR.PG set, in the FLASH_CR.PSIZE width, aligned, outside
    /// write-protected sectors; any violation raises the matching FLASH_SR error and programs
    /// nothing. Programming ANDs the data into the array: it can only clear bits.
    pub fn program(
        &mut self,
        offset: u32,
        value: u32,
        size: u32,
        now: Instant,
    ) -> Result<(), BusFault> {
        if self.is_busy(now) {
            self.sr |= sr::ERSERR;
            return Ok(());
        }
        if self.cr & cr::LOCK != 0 || self.cr & cr::PG == 0 {
            self.sr |= sr::ERSERR;
            return Ok(());
        }
        if !offset.is_multiple_of(size) {
            self.sr |= sr::PGAERR;
            return Ok(());
        }
        let psize_bytes = 1u32 << ((self.cr & cr::PSIZE_MASK) >> cr::PSIZE_SHIFT);
        // x64 parallelism is fed by word writes (two per double word).
        let expected = psize_bytes.min(4);
        if size != expected {
            self.sr |= sr::PGPERR;
            return Ok(());
        }
        if let Some(sector) = self
            .sectors()
            .into_iter()
            .find(|s| offset >= s.offset && offset < s.offset + s.size)
        {
            if self.sector_protected(&sector) {
                self.sr |= sr::WRPERR;
                return Ok(());
            }
        }
        let total = self.variant.flash_bytes();
        for i in 0..size {
            let off = offset + i;
            if off >= total {
                return Err(BusFault);
            }
            let (half, pos) = geometry::physical(total, self.loaded_dual, off);
            self.halves[half][pos] &= (value >> (8 * i)) as u8;
        }
        self.generation += 1;
        self.start(now, self.timing.word_program, Operation::Program);
        Ok(())
    }

    /// OTP is programmed like the array (PG, PSIZE), one-way, and never erased.
    pub fn program_otp(
        &mut self,
        offset: u32,
        value: u32,
        size: u32,
        now: Instant,
    ) -> Result<(), BusFault> {
        if self.cr & cr::LOCK != 0 || self.cr & cr::PG == 0 {
            self.sr |= sr::ERSERR;
            return Ok(());
        }
        for i in 0..size {
            let off = (offset + i) as usize;
            if off >= OTP_BYTES {
                return Err(BusFault);
            }
            self.otp[off] &= (value >> (8 * i)) as u8;
        }
        self.generation += 1;
        self.start(now, self.timing.word_program, Operation::Program);
        Ok(())
    }

    pub fn otp(&self) -> &[u8] {
        &self.otp
    }

    /// The physical array halves, for persistence.
    pub fn halves(&self) -> &[Vec<u8>; 2] {
        &self.halves
    }

    /// Restores persisted contents; sizes must match the variant.
    pub fn restore(&mut self, halves: [Vec<u8>; 2], otp: Vec<u8>) {
        let half = (self.variant.flash_bytes() / 2) as usize;
        if halves[0].len() == half && halves[1].len() == half && otp.len() == OTP_BYTES {
            self.halves = halves;
            self.otp = otp;
        }
    }

    /// Test hook: puts a store in place as if programmed long ago, then resets.
    pub fn set_store(&mut self, store: OptionStore, now: Instant) {
        self.store = store;
        self.generation += 1;
        self.reset(now);
    }
}
