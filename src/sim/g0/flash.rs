//! The FLASH controller of a simulated STM32G0B0/G0B1/G0C1 at 0x4002_2000, its flash array, its
//! OTP area and its option store (RM0444/RM0454; facts in `stm32-families.md` §0, §3, §7, §12).
//!
//! Written from the reference facts and the CMSIS register layout, not from `src/chip/g0`: a
//! misunderstanding shared with the engine then fails a test instead of hiding. Standalone: the
//! chip glue ([`super::G0Model`]) maps its registers and arrays onto the bus, passes the time of
//! each access, and turns [`G0Event`]s into resets.
//!
//! What it models:
//! - KEYR then OPTKEYR key sequences; a wrong key, or a key while unlocked, locks FLASH_CR until
//!   the next reset and the write answers a bus fault.
//! - SR error flags are write-1-to-clear. BSY1/BSY2 stay set for a modelled time per operation
//!   on physical bank 1/2 (option programming: BSY1, UNVERIFIED); CFGBSY is set while an
//!   operation runs and while the first word of a double-word waits for its second (the
//!   programming configuration is in use; reference §7 and HAL-G0's wait on it).
//! - A FLASH_CR write that changes PG/PER/MERx/PNB/BKER or starts something while CFGBSY is set
//!   is a sequence error (PGSERR) and leaves the configuration alone; a half-written
//!   double-word is then dropped (UNVERIFIED: what silicon does is not in the reference).
//! - Option registers are writable images while OPTLOCK is clear; OPTSTRT commits them to the
//!   store; OBL_LAUNCH reloads the store into the registers and the geometry (DUAL_BANK,
//!   nSWAP_BANK), then asks for a reset that drops the debug link ([`G0Event::OptionLoadReset`]).
//! - RDP: 1 → 0 mass-erases both banks; 0xCC is permanent; level 1 blocks debugger reads.
//! - Page erase and mass erase select **physical** banks ([`super::banks`]); addresses follow
//!   the loaded swap.
//! - Double-word (64-bit) programming with PG: two 32-bit writes, the first 8-byte aligned;
//!   the same for the 1 KB OTP area at 0x1FFF_7000, which is never erased.
//! - FLASH_ACR.PROGEMPTY: set at an option load when the first word at 0x0800_0000 is erased
//!   (BMP-G0; not in the reference sheet); software may clear it.
//!
//! Details the reference does not settle are marked UNVERIFIED where they are modelled.

use std::time::{Duration, Instant};

use super::banks::{Bank, Loaded, FLASH_BASE};
use super::store::{idx, optr, rdp, G0OptionStore, G0SimLine, OPTION_OFFSETS};

/// Register offsets from 0x4002_2000.
pub mod reg {
    pub const ACR: u32 = 0x00;
    pub const KEYR: u32 = 0x08;
    pub const OPTKEYR: u32 = 0x0C;
    pub const SR: u32 = 0x10;
    pub const CR: u32 = 0x14;
    pub const ECCR: u32 = 0x18;
    pub const ECC2R: u32 = 0x1C;
    pub const OPTR: u32 = 0x20;
    pub const WRP1AR: u32 = 0x2C;
    pub const WRP2AR: u32 = 0x4C;
    pub const SECR: u32 = 0x80;
}

/// FLASH_ACR fields (CMSIS `stm32g0b1xx.h`). LATENCY reads back as written (vendor clock code
/// checks it); nothing acts on the cache or the prefetch.
pub mod acr {
    pub const LATENCY: u32 = 0x7;
    pub const PRFTEN: u32 = 1 << 8;
    pub const ICEN: u32 = 1 << 9;
    pub const ICRST: u32 = 1 << 11;
    pub const PROGEMPTY: u32 = 1 << 16;
    pub const DBG_SWEN: u32 = 1 << 18;
    pub const WRITABLE: u32 = LATENCY | PRFTEN | ICEN | ICRST | PROGEMPTY | DBG_SWEN;
    /// Instruction cache and debug enabled after a reset (reset value not in the reference:
    /// UNVERIFIED). Clearing DBG_SWEN would shut the debug port on silicon; not modelled.
    pub const RESET: u32 = ICEN | DBG_SWEN;
}

/// Unlock keys (the same on every STM32).
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
    pub const PROGERR: u32 = 1 << 3;
    pub const WRPERR: u32 = 1 << 4;
    pub const PGAERR: u32 = 1 << 5;
    pub const SIZERR: u32 = 1 << 6;
    pub const PGSERR: u32 = 1 << 7;
    pub const MISERR: u32 = 1 << 8;
    pub const FASTERR: u32 = 1 << 9;
    pub const RDERR: u32 = 1 << 14;
    pub const OPTVERR: u32 = 1 << 15;
    pub const BSY1: u32 = 1 << 16;
    pub const BSY2: u32 = 1 << 17;
    pub const CFGBSY: u32 = 1 << 18;
    /// Write-1-to-clear flags.
    pub const W1C: u32 = EOP
        | OPERR
        | PROGERR
        | WRPERR
        | PGAERR
        | SIZERR
        | PGSERR
        | MISERR
        | FASTERR
        | RDERR
        | OPTVERR;
    /// Flags that make a new programming operation a sequence error while they are set.
    pub const BLOCK_PROGRAMMING: u32 = PROGERR | WRPERR | PGAERR | SIZERR | MISERR | FASTERR;
}

/// FLASH_CR bits.
pub mod cr {
    pub const PG: u32 = 1 << 0;
    pub const PER: u32 = 1 << 1;
    pub const MER1: u32 = 1 << 2;
    pub const PNB_SHIFT: u32 = 3;
    /// PNB[9:0].
    pub const PNB_MASK: u32 = 0x3FF << PNB_SHIFT;
    pub const BKER: u32 = 1 << 13;
    pub const MER2: u32 = 1 << 15;
    pub const STRT: u32 = 1 << 16;
    pub const OPTSTRT: u32 = 1 << 17;
    pub const FSTPG: u32 = 1 << 18;
    pub const EOPIE: u32 = 1 << 24;
    pub const ERRIE: u32 = 1 << 25;
    pub const RDERRIE: u32 = 1 << 26;
    pub const OBL_LAUNCH: u32 = 1 << 27;
    pub const SEC_PROT: u32 = 1 << 28;
    pub const SEC_PROT2: u32 = 1 << 29;
    pub const OPTLOCK: u32 = 1 << 30;
    pub const LOCK: u32 = 1 << 31;
    /// The programming/erase configuration CFGBSY guards.
    pub const CONFIG: u32 = PG | PER | MER1 | PNB_MASK | BKER | MER2 | FSTPG;
    /// What starts an operation.
    pub const TRIGGERS: u32 = STRT | OPTSTRT | OBL_LAUNCH;
    /// Bits held in the register (the triggers are acted on and read back as 0).
    pub const STORED: u32 =
        CONFIG | EOPIE | ERRIE | RDERRIE | SEC_PROT | SEC_PROT2 | OPTLOCK | LOCK;
}

/// The 1 KB OTP area (probe-rs `stm32g0xx_otp`, BMP-G0).
pub const OTP_BASE: u32 = 0x1FFF_7000;
pub const OTP_SIZE: u32 = 0x400;

/// How long BSY1/BSY2 stay set. Short defaults keep tests quick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct G0Timing {
    pub double_word_program: Duration,
    pub page_erase: Duration,
    pub mass_erase: Duration,
    pub option_program: Duration,
    /// Extra time when an option commit lowers RDP and mass-erases.
    pub rdp_regression: Duration,
}

impl Default for G0Timing {
    fn default() -> Self {
        G0Timing {
            double_word_program: Duration::ZERO,
            page_erase: Duration::from_micros(200),
            mass_erase: Duration::from_millis(20),
            option_program: Duration::from_millis(10),
            rdp_regression: Duration::from_millis(100),
        }
    }
}

/// Faults tests can inject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct G0Faults {
    /// BSY never clears once an operation starts.
    pub stuck_bsy: bool,
    /// SR bits raised when an OPTSTRT completes; the store is then left unchanged.
    pub optstrt_error_flags: u32,
}

/// Something the chip glue must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum G0Event {
    /// OBL_LAUNCH: the options were reloaded; the glue resets the system (core and debug link:
    /// the DAP answers as after a reset, the write that set OBL_LAUNCH may be left
    /// unacknowledged) — reference §3 step 5, §12.2.
    OptionLoadReset,
}

/// A bus access the FLASH interface answers with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum G0BusFault {
    #[error("FLASH_CR is locked until reset after a wrong key sequence")]
    LockedUntilReset,
    #[error("wrong key sequence: FLASH_CR locked until reset")]
    WrongKey,
    #[error("flash read blocked: RDP level 1 with a debugger attached")]
    ReadProtected,
    #[error("no flash at this address")]
    NoFlash,
}

/// One erase/program/option operation in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Busy {
    until: Instant,
    /// BSY1 and/or BSY2.
    flags: u32,
}

/// Key sequence state of KEYR or OPTKEYR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    Idle,
    FirstKeySeen,
}

/// Where a double-word being programmed goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// Main flash: physical bank, page in bank, array offset.
    Main { bank: Bank, page: u32, phys: usize },
    /// The OTP area, offset in it.
    Otp(usize),
}

/// The FLASH controller, the flash array, the OTP area and the option store of one
/// G0B0/G0B1/G0C1.
#[derive(Debug, Clone)]
pub struct G0Flash {
    line: G0SimLine,
    flash_kb: u32,
    /// Physical array: bank 1 is the first half, bank 2 the second, in every mode.
    array: Vec<u8>,
    otp: Vec<u8>,
    store: G0OptionStore,
    /// The option registers as read and written by the CPU (staged edits included).
    regs: [u32; 14],
    /// The option values in force since the last option load.
    loaded_regs: [u32; 14],
    /// DUAL_BANK and nSWAP_BANK as loaded: the live geometry.
    loaded: Loaded,
    /// RDP as loaded.
    loaded_rdp: u8,
    acr: u32,
    cr: u32,
    sr: u32,
    key: KeyState,
    optkey: KeyState,
    locked_until_reset: bool,
    busy: Option<Busy>,
    /// First word of a double-word being programmed: (address, value).
    pending_word: Option<(u32, u32)>,
    events: Vec<G0Event>,
    pub timing: G0Timing,
    pub faults: G0Faults,
}

impl G0Flash {
    /// A factory-fresh chip of `line` with `flash_kb` (128, 256 or 512) of erased flash.
    pub fn new(line: G0SimLine, flash_kb: u32) -> Self {
        Self::with_store(line, flash_kb, G0OptionStore::factory(line))
    }

    /// A chip whose option store holds `store`, as after a power-on reset.
    pub fn with_store(line: G0SimLine, flash_kb: u32, store: G0OptionStore) -> Self {
        assert!(matches!(flash_kb, 128 | 256 | 512), "G0B/G0C flash sizes");
        let words = Self::as_held(line, store.words());
        let mut f = G0Flash {
            line,
            flash_kb,
            array: vec![0xFF; (flash_kb * 1024) as usize],
            otp: vec![0xFF; OTP_SIZE as usize],
            store,
            regs: words,
            loaded_regs: words,
            loaded: Loaded::new(flash_kb, store.dual_bank(), !store.swapped()),
            loaded_rdp: store.rdp(),
            acr: acr::RESET,
            cr: cr::LOCK | cr::OPTLOCK,
            sr: 0,
            key: KeyState::Idle,
            optkey: KeyState::Idle,
            locked_until_reset: false,
            busy: None,
            pending_word: None,
            events: Vec::new(),
            timing: G0Timing::default(),
            faults: G0Faults::default(),
        };
        f.power_on_reset();
        f
    }

    /// Option words as the line's registers hold them: fixed OPTR bits at their factory
    /// values, missing registers 0.
    fn as_held(line: G0SimLine, mut words: [u32; 14]) -> [u32; 14] {
        let fixed = line.optr_fixed();
        words[idx::OPTR] = (words[idx::OPTR] & !fixed) | (line.factory_optr() & fixed);
        for (i, w) in words.iter_mut().enumerate().skip(1) {
            *w &= line.writable(i);
        }
        words
    }

    pub fn line(&self) -> G0SimLine {
        self.line
    }

    pub fn flash_kb(&self) -> u32 {
        self.flash_kb
    }

    /// The option store (what the next option load reads).
    pub fn store(&self) -> G0OptionStore {
        self.store
    }

    /// Mutable store access for fault injection (e.g. a corrupted complement).
    pub fn store_mut(&mut self) -> &mut G0OptionStore {
        &mut self.store
    }

    /// The physical flash array, bank 1 then bank 2 (state persistence).
    pub fn array(&self) -> &[u8] {
        &self.array
    }

    /// Restores a saved array (state persistence); ignored if the length does not match.
    pub fn restore_array(&mut self, bytes: &[u8]) {
        if bytes.len() == self.array.len() {
            self.array.copy_from_slice(bytes);
        }
    }

    /// The OTP area (state persistence).
    pub fn otp(&self) -> &[u8] {
        &self.otp
    }

    /// Restores a saved OTP area; ignored if the length does not match.
    pub fn restore_otp(&mut self, bytes: &[u8]) {
        if bytes.len() == self.otp.len() {
            self.otp.copy_from_slice(bytes);
        }
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<G0Event> {
        std::mem::take(&mut self.events)
    }

    /// Whether the loaded options select dual-bank mode (always false on 128 KB parts).
    pub fn dual_bank(&self) -> bool {
        self.loaded.dual
    }

    /// Whether physical bank 2 is mapped at 0x0800_0000 (loaded nSWAP_BANK = 0, dual bank).
    pub fn swapped(&self) -> bool {
        self.loaded.swapped
    }

    /// The physical bank (1 or 2) behind a main-flash address in the loaded mapping.
    pub fn physical_bank_at(&self, address: u32) -> Option<u8> {
        self.loaded.locate(address).map(|(bank, _)| bank)
    }

    /// FLASH_OPTR as loaded at the last option load (boot selection, RDP, banks).
    pub fn loaded_optr(&self) -> u32 {
        self.loaded_regs[idx::OPTR]
    }

    /// Loaded RDP level 2: the glue must close the debug port.
    pub fn debug_disabled(&self) -> bool {
        self.loaded_rdp == rdp::LEVEL2
    }

    /// Loaded RDP level 1 (or 2): the debugger may not read flash.
    pub fn flash_read_protected(&self) -> bool {
        self.loaded_rdp != rdp::LEVEL0
    }

    /// FLASH_ACR.PROGEMPTY now: main flash was found empty at the last option load and
    /// software has not cleared the bit since.
    pub fn prog_empty(&self) -> bool {
        self.acr & acr::PROGEMPTY != 0
    }

    fn is_busy(&mut self, now: Instant) -> bool {
        self.busy_flags(now) != 0
    }

    /// BSY1/BSY2 now.
    fn busy_flags(&mut self, now: Instant) -> u32 {
        match self.busy {
            Some(b) if self.faults.stuck_bsy || now < b.until => b.flags,
            Some(_) => {
                self.busy = None;
                0
            }
            None => 0,
        }
    }

    /// CFGBSY now: an operation runs or a double-word is half written.
    fn config_busy(&mut self, now: Instant) -> bool {
        self.is_busy(now) || self.pending_word.is_some()
    }

    fn start_busy(&mut self, now: Instant, duration: Duration, flags: u32) {
        self.busy = Some(Busy {
            until: now + duration,
            flags,
        });
    }

    fn bsy_of(&self, bank: Bank) -> u32 {
        if bank == 2 {
            sr::BSY2
        } else {
            sr::BSY1
        }
    }

    fn end_of_operation(&mut self) {
        // EOP is set only when EOPIE is enabled (L4-lineage RM; UNVERIFIED on G0).
        if self.cr & cr::EOPIE != 0 {
            self.sr |= sr::EOP;
        }
    }

    /// Option load (OBL_LAUNCH or power-on): registers and geometry from the store. A corrupted
    /// value/complement pair sets OPTVERR and loads RDP level 1 (the safe reading; UNVERIFIED).
    fn load_options(&mut self) {
        self.regs = Self::as_held(self.line, self.store.words());
        if self.store.corrupt.iter().any(|&c| c) {
            self.sr |= sr::OPTVERR;
            self.regs[idx::OPTR] = (self.regs[idx::OPTR] & !optr::RDP_MASK) | 0xBB;
        } else {
            self.sr &= !sr::OPTVERR;
        }
        self.loaded_regs = self.regs;
        let optr_word = self.regs[idx::OPTR];
        self.loaded = Loaded::new(
            self.flash_kb,
            optr_word & optr::DUAL_BANK != 0,
            optr_word & optr::NSWAP_BANK != 0,
        );
        self.loaded_rdp = (optr_word & optr::RDP_MASK) as u8;
        // The empty check reads the first word the CPU would boot from.
        let empty = self
            .loaded
            .physical(FLASH_BASE)
            .is_some_and(|p| self.array[p..p + 4] == [0xFF; 4]);
        self.acr = (self.acr & !acr::PROGEMPTY) | if empty { acr::PROGEMPTY } else { 0 };
    }

    /// System reset (SYSRESETREQ, NRST): locks both registers, forgets key state and the
    /// lock-until-reset, drops staged option edits. Options are **not** reloaded: only
    /// OBL_LAUNCH or a power-on do that (reference §3; UNVERIFIED on G0). PROGEMPTY keeps its
    /// value: BMP clears it so that a reset boots new firmware without a power cycle.
    pub fn system_reset(&mut self) {
        self.acr = acr::RESET | (self.acr & acr::PROGEMPTY);
        self.cr = cr::LOCK | cr::OPTLOCK;
        self.sr &= sr::OPTVERR;
        self.key = KeyState::Idle;
        self.optkey = KeyState::Idle;
        self.locked_until_reset = false;
        self.busy = None;
        self.pending_word = None;
        self.regs = self.loaded_regs;
    }

    /// Power-on reset: loads the options, then resets like a system reset.
    pub fn power_on_reset(&mut self) {
        self.sr = 0;
        self.load_options();
        self.system_reset();
    }

    /// Reads a FLASH register at `offset` from 0x4002_2000.
    pub fn read(&mut self, offset: u32, now: Instant) -> u32 {
        let bsy = self.busy_flags(now);
        let cfgbsy = if self.config_busy(now) { sr::CFGBSY } else { 0 };
        match offset {
            reg::ACR => self.acr,
            reg::SR => self.sr | bsy | cfgbsy,
            reg::CR => self.cr,
            _ => match OPTION_OFFSETS.iter().position(|&o| o == offset) {
                Some(i) => self.regs[i],
                // KEYR, OPTKEYR are write-only; ECCR/ECC2R report no ECC event.
                None => 0,
            },
        }
    }

    /// Writes a FLASH register at `offset` from 0x4002_2000.
    pub fn write(&mut self, offset: u32, value: u32, now: Instant) -> Result<(), G0BusFault> {
        match offset {
            reg::ACR => {
                self.acr = (self.acr & !acr::WRITABLE) | (value & acr::WRITABLE);
            }
            reg::KEYR => return self.key_write(value, false),
            reg::OPTKEYR => return self.key_write(value, true),
            reg::SR => self.sr &= !(value & sr::W1C),
            reg::CR => self.cr_write(value, now),
            _ => {
                if let Some(i) = OPTION_OFFSETS.iter().position(|&o| o == offset) {
                    self.option_register_write(i, value);
                }
            }
        }
        Ok(())
    }

    fn key_write(&mut self, value: u32, option: bool) -> Result<(), G0BusFault> {
        if self.locked_until_reset {
            return Err(G0BusFault::LockedUntilReset);
        }
        let (lock_bit, first, second) = if option {
            (cr::OPTLOCK, key::OPTKEY1, key::OPTKEY2)
        } else {
            (cr::LOCK, key::KEY1, key::KEY2)
        };
        // OPTKEYR only works once FLASH_CR itself is unlocked (KEYR first, reference §3 step 1);
        // while LOCK is set the option keys are ignored (UNVERIFIED: ignored, not a wrong key).
        if option && self.cr & cr::LOCK != 0 {
            return Ok(());
        }
        let state = if option { self.optkey } else { self.key };
        let next = match (state, value) {
            _ if self.cr & lock_bit == 0 => None,
            (KeyState::Idle, v) if v == first => Some(KeyState::FirstKeySeen),
            (KeyState::FirstKeySeen, v) if v == second => {
                self.cr &= !lock_bit;
                Some(KeyState::Idle)
            }
            _ => None,
        };
        match next {
            Some(s) => {
                if option {
                    self.optkey = s;
                } else {
                    self.key = s;
                }
                Ok(())
            }
            None => {
                // Wrong key, keys out of order, or a key while already unlocked.
                self.locked_until_reset = true;
                self.cr |= cr::LOCK | cr::OPTLOCK;
                self.key = KeyState::Idle;
                self.optkey = KeyState::Idle;
                Err(G0BusFault::WrongKey)
            }
        }
    }

    fn option_register_write(&mut self, i: usize, value: u32) {
        if self.cr & (cr::LOCK | cr::OPTLOCK) != 0 {
            // Locked option registers ignore writes (UNVERIFIED: ignored rather than faulting).
            return;
        }
        let writable = self.line.writable(i);
        self.regs[i] = (self.regs[i] & !writable) | (value & writable);
    }

    fn cr_write(&mut self, value: u32, now: Instant) {
        if self.cr & cr::LOCK != 0 {
            // Locked: FLASH_CR ignores writes.
            return;
        }
        let triggers = value & cr::TRIGGERS;
        // LOCK/OPTLOCK can be set by software, never cleared (only the key sequences do that).
        let locks = (self.cr | value) & (cr::LOCK | cr::OPTLOCK);
        if self.config_busy(now) {
            let touches_config = (value ^ self.cr) & cr::CONFIG != 0;
            if touches_config || triggers != 0 {
                // The configuration is in use (CFGBSY): the write cannot change it or start
                // anything, and a half-written double-word is lost (UNVERIFIED).
                self.sr |= sr::PGSERR;
                self.pending_word = None;
            }
            let others = cr::STORED & !cr::CONFIG & !(cr::LOCK | cr::OPTLOCK);
            self.cr = (self.cr & cr::CONFIG) | (value & others) | locks;
            return;
        }
        self.cr = (value & cr::STORED & !(cr::LOCK | cr::OPTLOCK)) | locks;
        if triggers & cr::OBL_LAUNCH != 0 {
            self.option_load();
        } else if triggers & cr::OPTSTRT != 0 {
            self.option_commit(now);
        } else if triggers & cr::STRT != 0 {
            self.erase(now);
        }
    }

    fn option_load(&mut self) {
        self.load_options();
        self.system_reset();
        self.events.push(G0Event::OptionLoadReset);
    }

    fn option_commit(&mut self, now: Instant) {
        if self.cr & cr::OPTLOCK != 0 {
            // OPTSTRT with the options locked does nothing (UNVERIFIED).
            return;
        }
        if self.loaded_rdp == rdp::LEVEL2 {
            // Level 2 is permanent: the store never changes again.
            return;
        }
        if self.sr & sr::BLOCK_PROGRAMMING != 0 {
            self.sr |= sr::PGSERR;
            return;
        }
        let mut duration = self.timing.option_program;
        if self.faults.optstrt_error_flags != 0 {
            self.sr |= self.faults.optstrt_error_flags;
            self.start_busy(now, duration, sr::BSY1);
            return;
        }
        let staged = self.regs;
        let new_rdp = (staged[idx::OPTR] & optr::RDP_MASK) as u8;
        if self.store.rdp() != rdp::LEVEL0 && new_rdp == rdp::LEVEL0 {
            // RDP 1 → 0 mass-erases both banks (PCROP areas kept or not by PCROP_RDP is not
            // modelled: everything goes; UNVERIFIED). The OTP area stays.
            self.array.fill(0xFF);
            duration += self.timing.rdp_regression;
        }
        // A fresh commit rewrites every pair.
        self.store = G0OptionStore::from_words(staged);
        self.start_busy(now, duration, sr::BSY1);
        self.end_of_operation();
    }

    fn erase(&mut self, now: Instant) {
        if self.sr & sr::BLOCK_PROGRAMMING != 0 {
            self.sr |= sr::PGSERR;
            return;
        }
        let c = self.cr;
        let (mer1, mer2) = (c & cr::MER1 != 0, c & cr::MER2 != 0);
        if c & cr::PER != 0 && !mer1 && !mer2 {
            let pnb = (c & cr::PNB_MASK) >> cr::PNB_SHIFT;
            let Some((bank, page)) = self.loaded.selected_page(pnb, c & cr::BKER != 0) else {
                // A page that does not exist (UNVERIFIED which flag silicon raises).
                self.sr |= sr::PGSERR;
                return;
            };
            if self.write_protected(bank, page) {
                self.sr |= sr::WRPERR;
                return;
            }
            let range = self.loaded.page_range(bank, page);
            self.array[range].fill(0xFF);
            self.start_busy(now, self.timing.page_erase, self.bsy_of(bank));
        } else if (mer1 || mer2) && c & cr::PER == 0 {
            let banks = self.loaded.mass_erase_banks(mer1, mer2);
            let pages = self.loaded.pages_per_bank();
            if banks
                .iter()
                .any(|&b| (0..pages).any(|p| self.write_protected(b, p)))
            {
                // Mass erase is refused while a WRP area covers the bank (UNVERIFIED).
                self.sr |= sr::WRPERR;
                return;
            }
            let mut flags = 0;
            for b in banks {
                let range = self.loaded.bank_range(b);
                self.array[range].fill(0xFF);
                flags |= self.bsy_of(b);
            }
            self.start_busy(now, self.timing.mass_erase, flags);
        } else {
            // STRT with nothing (or PER and MERx together) selected.
            self.sr |= sr::PGSERR;
            return;
        }
        self.end_of_operation();
    }

    /// Whether a page is covered by a loaded WRP area. Dual bank: WRP1x count pages of
    /// physical bank 1, WRP2x of physical bank 2, whatever the swap. Single bank: WRP1x count
    /// pages from 0x0800_0000 and WRP2x do nothing (UNVERIFIED).
    fn write_protected(&self, bank: Bank, page: u32) -> bool {
        let inside = |w: u32| {
            let (start, end) = (w & 0x7F, (w >> 16) & 0x7F);
            start <= end && (start..=end).contains(&page)
        };
        let r = &self.loaded_regs;
        let areas = match bank {
            2 => [r[idx::WRP2AR], r[idx::WRP2BR]],
            _ => [r[idx::WRP1AR], r[idx::WRP1BR]],
        };
        areas.into_iter().any(inside)
    }

    /// A debugger (or CPU) read of main flash in the loaded mapping.
    pub fn read_flash(&self, address: u32, debugger: bool) -> Result<u32, G0BusFault> {
        if debugger && self.flash_read_protected() {
            return Err(G0BusFault::ReadProtected);
        }
        let phys = self
            .loaded
            .physical(address & !3)
            .ok_or(G0BusFault::NoFlash)?;
        Ok(u32::from_le_bytes([
            self.array[phys],
            self.array[phys + 1],
            self.array[phys + 2],
            self.array[phys + 3],
        ]))
    }

    /// A read of the OTP area.
    pub fn read_otp(&self, address: u32) -> Option<u32> {
        let off = address.checked_sub(OTP_BASE)? & !3;
        (off < OTP_SIZE).then(|| {
            let o = off as usize;
            u32::from_le_bytes([
                self.otp[o],
                self.otp[o + 1],
                self.otp[o + 2],
                self.otp[o + 3],
            ])
        })
    }

    /// Whether `address` is in the OTP area.
    pub fn is_otp(address: u32) -> bool {
        (OTP_BASE..OTP_BASE + OTP_SIZE).contains(&address)
    }

    fn target(&self, address: u32) -> Option<Target> {
        if Self::is_otp(address) {
            return Some(Target::Otp((address - OTP_BASE) as usize));
        }
        let (bank, page) = self.loaded.page_of(address)?;
        let phys = self.loaded.physical(address)?;
        Some(Target::Main { bank, page, phys })
    }

    /// A write to main flash or the OTP area. With PG set, two 32-bit writes program one
    /// double-word: the first at an 8-byte aligned address, the second at +4. `size` is the
    /// access size in bytes. Rules (L4-lineage behaviour as the reference describes the error
    /// flags; the exact conditions are UNVERIFIED): not 32-bit → SIZERR; misplaced word →
    /// PGAERR; PG clear, FLASH_CR locked, busy, or a blocking error still set → PGSERR; target
    /// not erased (and, in main flash, not all-zero) → PROGERR; page in a WRP area → WRPERR.
    pub fn write_flash(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        now: Instant,
    ) -> Result<(), G0BusFault> {
        self.target(address & !3).ok_or(G0BusFault::NoFlash)?;
        let busy = self.is_busy(now);
        let out_of_sequence = self.cr & cr::PG == 0
            || self.cr & cr::LOCK != 0
            || busy
            || self.sr & sr::BLOCK_PROGRAMMING != 0;
        let refused = if out_of_sequence {
            sr::PGSERR
        } else if size != 4 {
            sr::SIZERR
        } else {
            0
        };
        if refused != 0 {
            self.sr |= refused;
            self.pending_word = None;
            return Ok(());
        }
        match self.pending_word.take() {
            None if !address.is_multiple_of(8) => self.sr |= sr::PGAERR,
            None => self.pending_word = Some((address, value)),
            Some((first, _)) if address != first + 4 => self.sr |= sr::PGAERR,
            Some((first, first_value)) => self.program_double_word(first, first_value, value, now),
        }
        Ok(())
    }

    fn program_double_word(&mut self, address: u32, low: u32, high: u32, now: Instant) {
        let double = (u64::from(high) << 32) | u64::from(low);
        let (cells, bank, is_otp) = match self.target(address) {
            Some(Target::Main { bank, page, phys }) => {
                if self.write_protected(bank, page) {
                    self.sr |= sr::WRPERR;
                    return;
                }
                (phys..phys + 8, bank, false)
            }
            Some(Target::Otp(off)) => (off..off + 8, 1, true),
            None => return,
        };
        let memory = if is_otp {
            &mut self.otp
        } else {
            &mut self.array
        };
        let erased = memory[cells.clone()].iter().all(|&b| b == 0xFF);
        // Main flash accepts all-zero over programmed data (UNVERIFIED); OTP only once.
        if !erased && (is_otp || double != 0) {
            self.sr |= sr::PROGERR;
            return;
        }
        memory[cells].copy_from_slice(&double.to_le_bytes());
        self.start_busy(now, self.timing.double_word_program, self.bsy_of(bank));
        self.end_of_operation();
    }

    /// A read of the stored option bytes (0x1FFF_7800..).
    pub fn read_option_bytes(&self, address: u32) -> Option<u32> {
        self.store.read_word(address, self.line)
    }
}

#[cfg(test)]
#[path = "flash_tests.rs"]
mod tests;
