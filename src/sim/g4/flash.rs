//! The FLASH controller of a simulated STM32G47x/G48x at 0x4002_2000, its flash array and its
//! option store (RM0440; facts in `stm32-families.md` §0, §3, §6, §12).
//!
//! Written from the reference facts, not from `src/chip/g4`: a misunderstanding shared with the
//! engine then fails a test instead of hiding. Standalone: the chip glue maps its registers and
//! arrays onto the bus, passes the time of each access, and turns [`G4Event`]s into resets.
//!
//! What it models:
//! - KEYR then OPTKEYR key sequences; a wrong key, or a key while unlocked, locks FLASH_CR until
//!   the next reset and the write answers a bus fault.
//! - SR error flags are write-1-to-clear; BSY stays set for a modelled time per operation.
//! - OPTR/WRP/PCROP/SEC registers are writable images while OPTLOCK is clear; OPTSTRT commits them
//!   to the option store (value/complement pairs at 0x1FFF_7800 and 0x1FFF_F800).
//! - OBL_LAUNCH reloads the store into the registers and the geometry, then asks for a system
//!   reset that drops the debug link ([`G4Event::OptionLoadReset`]).
//! - RDP: 1 → 0 mass-erases; 0xCC is permanent; level 1 blocks debugger reads of flash.
//! - Page erase with PNB/BKER in the *loaded* geometry (2 KB pages in two banks, bank 2 at
//!   0x0804_0000, or 4 KB pages in one bank); mass erase per bank.
//! - Double-word (64-bit) programming with PG: two 32-bit writes, first 8-byte aligned.
//!
//! Details the reference does not settle are marked UNVERIFIED where they are modelled.

use std::time::{Duration, Instant};

/// Register offsets from 0x4002_2000.
pub mod reg {
    pub const ACR: u32 = 0x00;
    pub const PDKEYR: u32 = 0x04;
    pub const KEYR: u32 = 0x08;
    pub const OPTKEYR: u32 = 0x0C;
    pub const SR: u32 = 0x10;
    pub const CR: u32 = 0x14;
    pub const ECCR: u32 = 0x18;
    pub const OPTR: u32 = 0x20;
    pub const PCROP1SR: u32 = 0x24;
    pub const PCROP1ER: u32 = 0x28;
    pub const WRP1AR: u32 = 0x2C;
    pub const WRP1BR: u32 = 0x30;
    pub const PCROP2SR: u32 = 0x44;
    pub const PCROP2ER: u32 = 0x48;
    pub const WRP2AR: u32 = 0x4C;
    pub const WRP2BR: u32 = 0x50;
    pub const SEC1R: u32 = 0x70;
    pub const SEC2R: u32 = 0x74;
}

/// FLASH_ACR fields (`real-firmware-on-the-sim.md` §3.2). Every bit reads back as written;
/// nothing acts on the caches or the prefetch.
pub mod acr {
    pub const LATENCY: u32 = 0xF;
    pub const PRFTEN: u32 = 1 << 8;
    pub const ICEN: u32 = 1 << 9;
    pub const DCEN: u32 = 1 << 10;
    pub const ICRST: u32 = 1 << 11;
    pub const DCRST: u32 = 1 << 12;
    /// Instruction and data caches on (SVD 0x0000_0600), after every reset.
    pub const RESET: u32 = ICEN | DCEN;
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
    pub const BSY: u32 = 1 << 16;
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
    pub const PNB_MASK: u32 = 0x7F << PNB_SHIFT;
    pub const BKER: u32 = 1 << 11;
    pub const MER2: u32 = 1 << 15;
    pub const STRT: u32 = 1 << 16;
    pub const OPTSTRT: u32 = 1 << 17;
    pub const FSTPG: u32 = 1 << 18;
    pub const EOPIE: u32 = 1 << 24;
    pub const ERRIE: u32 = 1 << 25;
    pub const RDERRIE: u32 = 1 << 26;
    pub const OBL_LAUNCH: u32 = 1 << 27;
    pub const SEC_PROT1: u32 = 1 << 28;
    pub const SEC_PROT2: u32 = 1 << 29;
    pub const OPTLOCK: u32 = 1 << 30;
    pub const LOCK: u32 = 1 << 31;
    /// Bits held in the register (the triggers STRT/OPTSTRT/OBL_LAUNCH are acted on, and read
    /// back as set only while the operation runs).
    pub const STORED: u32 = PG
        | PER
        | MER1
        | PNB_MASK
        | BKER
        | MER2
        | FSTPG
        | EOPIE
        | ERRIE
        | RDERRIE
        | SEC_PROT1
        | SEC_PROT2
        | OPTLOCK
        | LOCK;
}

/// FLASH_OPTR bits the model acts on.
pub mod optr {
    pub const RDP_MASK: u32 = 0xFF;
    pub const DBANK: u32 = 1 << 22;
    /// Reserved bits 11, 15, 21, 31: read as 1 (they are 1 in the factory word).
    pub const RESERVED: u32 = (1 << 11) | (1 << 15) | (1 << 21) | (1 << 31);
}

/// Writable bits of the other option registers (7-bit WRP offsets, 15-bit PCROP offsets).
pub mod optmask {
    pub const WRP: u32 = 0x007F_007F;
    pub const PCROP_SR: u32 = 0x7FFF;
    pub const PCROP1_ER: u32 = 0x8000_7FFF;
    pub const PCROP2_ER: u32 = 0x7FFF;
    pub const SEC1R: u32 = 0x0001_00FF;
    pub const SEC2R: u32 = 0xFF;
}

/// RDP bytes.
pub mod rdp {
    pub const LEVEL0: u8 = 0xAA;
    pub const LEVEL2: u8 = 0xCC;
}

/// Factory FLASH_OPTR (BMP's G4 default): dual bank, RDP level 0. Sources disagree about the
/// factory bank mode (stlink PR #1506 says single bank); this model follows BMP/modm/embassy.
pub const FACTORY_OPTR: u32 = 0xFFEF_F8AA;

/// Main flash base; bank 2 always at 0x0804_0000 in dual-bank mode.
pub const FLASH_BASE: u32 = 0x0800_0000;
pub const BANK2_BASE: u32 = 0x0804_0000;
/// Option-byte areas (value word then complement word per 8-byte entry).
pub const OPTION_AREA1: u32 = 0x1FFF_7800;
pub const OPTION_AREA2: u32 = 0x1FFF_F800;
pub const OPTION_AREA_LEN: u32 = 0x30;

/// How long BSY stays set. Short defaults keep tests quick.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct G4Timing {
    pub double_word_program: Duration,
    pub page_erase: Duration,
    pub mass_erase: Duration,
    pub option_program: Duration,
    /// Extra time when an option commit lowers RDP and mass-erases.
    pub rdp_regression: Duration,
}

impl Default for G4Timing {
    fn default() -> Self {
        G4Timing {
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
pub struct G4Faults {
    /// BSY never clears once an operation starts.
    pub stuck_bsy: bool,
    /// SR bits raised when an OPTSTRT completes; the store is then left unchanged.
    pub optstrt_error_flags: u32,
}

/// The non-volatile option store: what OPTSTRT programs and an option load reads. A state file
/// keeps the values under `g4`; a corrupted complement is not kept (a new process reads it as
/// written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
pub struct G4OptionStore {
    pub optr: u32,
    pub pcrop1sr: u32,
    pub pcrop1er: u32,
    pub wrp1ar: u32,
    pub wrp1br: u32,
    pub sec1r: u32,
    pub pcrop2sr: u32,
    pub pcrop2er: u32,
    pub wrp2ar: u32,
    pub wrp2br: u32,
    pub sec2r: u32,
    /// Entries whose complement word was corrupted (fault injection): index 0..6 bank 1,
    /// 6..12 bank 2.
    #[serde(skip)]
    pub corrupt: [bool; 12],
}

impl G4OptionStore {
    /// Factory store. WRP/PCROP words: "area off" (start > end); the real factory words are not
    /// in the reference (UNVERIFIED).
    pub fn factory() -> Self {
        G4OptionStore {
            optr: FACTORY_OPTR,
            pcrop1sr: 0x7FFF,
            pcrop1er: 0,
            wrp1ar: 0x7F,
            wrp1br: 0x7F,
            sec1r: 0,
            pcrop2sr: 0x7FFF,
            pcrop2er: 0,
            wrp2ar: 0x7F,
            wrp2br: 0x7F,
            sec2r: 0,
            corrupt: [false; 12],
        }
    }

    pub fn rdp(&self) -> u8 {
        (self.optr & optr::RDP_MASK) as u8
    }

    pub fn dual_bank(&self) -> bool {
        self.optr & optr::DBANK != 0
    }

    /// The word at `address` in the option areas, if it is there.
    pub fn read_word(&self, address: u32) -> Option<u32> {
        let (area, offset) = if (OPTION_AREA1..OPTION_AREA1 + OPTION_AREA_LEN).contains(&address) {
            (0, address - OPTION_AREA1)
        } else if (OPTION_AREA2..OPTION_AREA2 + OPTION_AREA_LEN).contains(&address) {
            (1, address - OPTION_AREA2)
        } else {
            return None;
        };
        let entry = (offset / 8) as usize;
        let value = match (area, entry) {
            (0, 0) => self.optr,
            (0, 1) => self.pcrop1sr,
            (0, 2) => self.pcrop1er,
            (0, 3) => self.wrp1ar,
            (0, 4) => self.wrp1br,
            (0, 5) => self.sec1r,
            (1, 0) => return Some(0xFFFF_FFFF),
            (1, 1) => self.pcrop2sr,
            (1, 2) => self.pcrop2er,
            (1, 3) => self.wrp2ar,
            (1, 4) => self.wrp2br,
            _ => self.sec2r,
        };
        let complement = offset % 8 >= 4;
        let word = if complement { !value } else { value };
        let corrupt = self.corrupt[area * 6 + entry];
        Some(if complement && corrupt { !word } else { word })
    }
}

/// The option registers as the CPU sees them (loaded at the last option load, or written since).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OptionRegs {
    optr: u32,
    pcrop1sr: u32,
    pcrop1er: u32,
    wrp1ar: u32,
    wrp1br: u32,
    sec1r: u32,
    pcrop2sr: u32,
    pcrop2er: u32,
    wrp2ar: u32,
    wrp2br: u32,
    sec2r: u32,
}

impl OptionRegs {
    fn from_store(s: &G4OptionStore) -> Self {
        OptionRegs {
            optr: s.optr | optr::RESERVED,
            pcrop1sr: s.pcrop1sr,
            pcrop1er: s.pcrop1er,
            wrp1ar: s.wrp1ar,
            wrp1br: s.wrp1br,
            sec1r: s.sec1r,
            pcrop2sr: s.pcrop2sr,
            pcrop2er: s.pcrop2er,
            wrp2ar: s.wrp2ar,
            wrp2br: s.wrp2br,
            sec2r: s.sec2r,
        }
    }
}

/// Something the chip glue must act on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum G4Event {
    /// OBL_LAUNCH: the options were reloaded; the glue resets the system (core and debug
    /// link: the DAP must answer as after a reset, the write that set OBL_LAUNCH may be left
    /// unacknowledged) — reference §3 step 5, §12.2.
    OptionLoadReset,
}

/// A bus access the FLASH interface answers with an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum G4BusFault {
    #[error("FLASH_CR is locked until reset after a wrong key sequence")]
    LockedUntilReset,
    #[error("wrong key sequence: FLASH_CR locked until reset")]
    WrongKey,
    #[error("flash read blocked: RDP level 1 with a debugger attached")]
    ReadProtected,
    #[error("no flash at this address in the loaded bank mode")]
    NoFlash,
}

/// One erase/program/option operation in progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Busy {
    until: Instant,
}

/// Key sequence state of KEYR or OPTKEYR.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum KeyState {
    Idle,
    FirstKeySeen,
}

/// The FLASH controller, the flash array and the option store of one G47x/G48x.
#[derive(Debug, Clone)]
pub struct G4Flash {
    flash_kb: u32,
    /// Physical array: bank 1 is the first half, bank 2 the second, in both modes.
    array: Vec<u8>,
    store: G4OptionStore,
    /// The option registers as read and written by the CPU (staged edits included).
    regs: OptionRegs,
    /// The option values in force since the last option load.
    loaded_regs: OptionRegs,
    /// DBANK as loaded: the live geometry.
    loaded_dual_bank: bool,
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
    events: Vec<G4Event>,
    pub timing: G4Timing,
    pub faults: G4Faults,
}

impl G4Flash {
    /// A factory-fresh chip with `flash_kb` (128, 256 or 512) of erased flash.
    pub fn new(flash_kb: u32) -> Self {
        Self::with_store(flash_kb, G4OptionStore::factory())
    }

    /// A chip whose option store holds `store`, as after a power-on reset.
    pub fn with_store(flash_kb: u32, store: G4OptionStore) -> Self {
        assert!(matches!(flash_kb, 128 | 256 | 512), "G47x/G48x flash sizes");
        let mut f = G4Flash {
            flash_kb,
            array: vec![0xFF; (flash_kb * 1024) as usize],
            store,
            regs: OptionRegs::from_store(&store),
            loaded_regs: OptionRegs::from_store(&store),
            loaded_dual_bank: store.dual_bank(),
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
            timing: G4Timing::default(),
            faults: G4Faults::default(),
        };
        f.load_options();
        f
    }

    pub fn flash_kb(&self) -> u32 {
        self.flash_kb
    }

    /// The option store (what the next option load reads).
    pub fn store(&self) -> G4OptionStore {
        self.store
    }

    /// Mutable store access for fault injection (e.g. a corrupted complement).
    pub fn store_mut(&mut self) -> &mut G4OptionStore {
        &mut self.store
    }

    /// The physical flash array (state persistence).
    pub fn array(&self) -> &[u8] {
        &self.array
    }

    /// Restores a saved array (state persistence); ignored if the length does not match.
    pub fn restore_array(&mut self, bytes: &[u8]) {
        if bytes.len() == self.array.len() {
            self.array.copy_from_slice(bytes);
        }
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<G4Event> {
        std::mem::take(&mut self.events)
    }

    /// Whether the loaded options select dual-bank mode.
    pub fn dual_bank(&self) -> bool {
        self.loaded_dual_bank
    }

    /// Loaded RDP level 2: the glue must close the debug port.
    pub fn debug_disabled(&self) -> bool {
        self.loaded_rdp == rdp::LEVEL2
    }

    /// Loaded RDP level 1 (or 2): the debugger may not read flash.
    pub fn flash_read_protected(&self) -> bool {
        self.loaded_rdp != rdp::LEVEL0
    }

    fn page_size(&self) -> u32 {
        if self.loaded_dual_bank {
            2048
        } else {
            4096
        }
    }

    fn pages_per_bank(&self) -> u32 {
        let bytes = self.flash_kb * 1024;
        if self.loaded_dual_bank {
            bytes / 2 / 2048
        } else {
            bytes / 4096
        }
    }

    /// Physical array offset of a bus address in the loaded geometry.
    fn physical(&self, address: u32) -> Option<usize> {
        let bytes = self.flash_kb * 1024;
        if self.loaded_dual_bank {
            let half = bytes / 2;
            if (FLASH_BASE..FLASH_BASE + half).contains(&address) {
                Some((address - FLASH_BASE) as usize)
            } else if (BANK2_BASE..BANK2_BASE + half).contains(&address) {
                Some((address - BANK2_BASE + half) as usize)
            } else {
                None
            }
        } else {
            (FLASH_BASE..FLASH_BASE + bytes)
                .contains(&address)
                .then(|| (address - FLASH_BASE) as usize)
        }
    }

    /// (bank, page in bank) of a bus address in the loaded geometry.
    fn page_of(&self, address: u32) -> Option<(u8, u32)> {
        let phys = self.physical(address)? as u32;
        if self.loaded_dual_bank {
            let half = self.flash_kb * 1024 / 2;
            let bank = if phys < half { 1 } else { 2 };
            Some((bank, (phys % half) / 2048))
        } else {
            Some((1, phys / 4096))
        }
    }

    fn page_range(&self, bank: u8, page: u32) -> std::ops::Range<usize> {
        let size = self.page_size();
        let start = if self.loaded_dual_bank && bank == 2 {
            self.flash_kb * 1024 / 2 + page * size
        } else {
            page * size
        };
        start as usize..(start + size) as usize
    }

    /// Whether a page is covered by a loaded WRP area. Dual bank: WRP1x count pages of bank 1,
    /// WRP2x of bank 2. Single bank: all four areas count 4 KB pages from the start (OpenOCD;
    /// UNVERIFIED).
    fn write_protected(&self, bank: u8, page: u32) -> bool {
        let inside = |w: u32| {
            let (start, end) = (w & 0x7F, (w >> 16) & 0x7F);
            start <= end && (start..=end).contains(&page)
        };
        let bank1 = [self.regs_loaded().wrp1ar, self.regs_loaded().wrp1br];
        let bank2 = [self.regs_loaded().wrp2ar, self.regs_loaded().wrp2br];
        match (self.loaded_dual_bank, bank) {
            (true, 1) => bank1.into_iter().any(inside),
            (true, _) => bank2.into_iter().any(inside),
            (false, _) => bank1.into_iter().chain(bank2).any(inside),
        }
    }

    /// Protection acts on the values in force, not on staged register edits.
    fn regs_loaded(&self) -> &OptionRegs {
        &self.loaded_regs
    }

    fn is_busy(&mut self, now: Instant) -> bool {
        match self.busy {
            Some(b) if self.faults.stuck_bsy || now < b.until => true,
            Some(_) => {
                self.busy = None;
                false
            }
            None => false,
        }
    }

    fn start_busy(&mut self, now: Instant, duration: Duration) {
        self.busy = Some(Busy {
            until: now + duration,
        });
    }

    fn end_of_operation(&mut self) {
        // EOP is set only when EOPIE is enabled (L4-lineage RM; UNVERIFIED on G4).
        if self.cr & cr::EOPIE != 0 {
            self.sr |= sr::EOP;
        }
    }

    /// Option load (OBL_LAUNCH or power-on): registers and geometry from the store. A corrupted
    /// value/complement pair sets OPTVERR and loads RDP level 1 (the safe reading; UNVERIFIED).
    fn load_options(&mut self) {
        self.regs = OptionRegs::from_store(&self.store);
        if self.store.corrupt.iter().any(|&c| c) {
            self.sr |= sr::OPTVERR;
            self.regs.optr = (self.regs.optr & !optr::RDP_MASK) | 0xBB;
        } else {
            self.sr &= !sr::OPTVERR;
        }
        self.loaded_regs = self.regs;
        self.loaded_dual_bank = self.regs.optr & optr::DBANK != 0;
        self.loaded_rdp = (self.regs.optr & optr::RDP_MASK) as u8;
    }

    /// System reset (SYSRESETREQ, NRST): locks both registers, forgets key state and the
    /// lock-until-reset, aborts nothing in the array. Options are **not** reloaded: only
    /// OBL_LAUNCH or a power-on reset do that (reference §3; UNVERIFIED on G4).
    pub fn system_reset(&mut self) {
        self.acr = acr::RESET;
        self.cr = cr::LOCK | cr::OPTLOCK;
        self.sr &= sr::OPTVERR;
        self.key = KeyState::Idle;
        self.optkey = KeyState::Idle;
        self.locked_until_reset = false;
        self.busy = None;
        self.pending_word = None;
        self.regs = self.loaded_regs;
    }

    /// Power-on reset: a system reset that also loads the options.
    pub fn power_on_reset(&mut self) {
        self.sr = 0;
        self.system_reset();
        self.load_options();
    }

    /// Reads a FLASH register at `offset` from 0x4002_2000.
    pub fn read(&mut self, offset: u32, now: Instant) -> u32 {
        let busy = self.is_busy(now);
        match offset {
            reg::ACR => self.acr,
            reg::SR => self.sr | if busy { sr::BSY } else { 0 },
            reg::CR => self.cr,
            reg::OPTR => self.regs.optr,
            reg::PCROP1SR => self.regs.pcrop1sr,
            reg::PCROP1ER => self.regs.pcrop1er,
            reg::WRP1AR => self.regs.wrp1ar,
            reg::WRP1BR => self.regs.wrp1br,
            reg::PCROP2SR => self.regs.pcrop2sr,
            reg::PCROP2ER => self.regs.pcrop2er,
            reg::WRP2AR => self.regs.wrp2ar,
            reg::WRP2BR => self.regs.wrp2br,
            reg::SEC1R => self.regs.sec1r,
            reg::SEC2R => self.regs.sec2r,
            // KEYR, OPTKEYR, PDKEYR are write-only; ECCR reports no ECC event.
            _ => 0,
        }
    }

    /// Writes a FLASH register at `offset` from 0x4002_2000.
    pub fn write(&mut self, offset: u32, value: u32, now: Instant) -> Result<(), G4BusFault> {
        let busy = self.is_busy(now);
        match offset {
            reg::ACR => self.acr = value,
            reg::KEYR => return self.key_write(value, false),
            reg::OPTKEYR => return self.key_write(value, true),
            reg::SR => self.sr &= !(value & sr::W1C),
            reg::CR => self.cr_write(value, busy, now),
            reg::OPTR
            | reg::PCROP1SR
            | reg::PCROP1ER
            | reg::WRP1AR
            | reg::WRP1BR
            | reg::PCROP2SR
            | reg::PCROP2ER
            | reg::WRP2AR
            | reg::WRP2BR
            | reg::SEC1R
            | reg::SEC2R => self.option_register_write(offset, value),
            _ => {}
        }
        Ok(())
    }

    fn key_write(&mut self, value: u32, option: bool) -> Result<(), G4BusFault> {
        if self.locked_until_reset {
            return Err(G4BusFault::LockedUntilReset);
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
                Err(G4BusFault::WrongKey)
            }
        }
    }

    fn option_register_write(&mut self, offset: u32, value: u32) {
        if self.cr & (cr::LOCK | cr::OPTLOCK) != 0 {
            // Locked option registers ignore writes (UNVERIFIED: ignored rather than faulting).
            return;
        }
        let r = &mut self.regs;
        match offset {
            reg::OPTR => r.optr = value | optr::RESERVED,
            reg::PCROP1SR => r.pcrop1sr = value & optmask::PCROP_SR,
            reg::PCROP1ER => r.pcrop1er = value & optmask::PCROP1_ER,
            reg::WRP1AR => r.wrp1ar = value & optmask::WRP,
            reg::WRP1BR => r.wrp1br = value & optmask::WRP,
            reg::PCROP2SR => r.pcrop2sr = value & optmask::PCROP_SR,
            reg::PCROP2ER => r.pcrop2er = value & optmask::PCROP2_ER,
            reg::WRP2AR => r.wrp2ar = value & optmask::WRP,
            reg::WRP2BR => r.wrp2br = value & optmask::WRP,
            reg::SEC1R => r.sec1r = value & optmask::SEC1R,
            _ => r.sec2r = value & optmask::SEC2R,
        }
    }

    fn cr_write(&mut self, value: u32, busy: bool, now: Instant) {
        if self.cr & cr::LOCK != 0 {
            // Locked: FLASH_CR ignores writes.
            return;
        }
        let triggers = value & (cr::STRT | cr::OPTSTRT | cr::OBL_LAUNCH);
        // LOCK/OPTLOCK can be set by software, never cleared (only the key sequences do that).
        let locks = (self.cr | value) & (cr::LOCK | cr::OPTLOCK);
        self.cr = (value & cr::STORED & !(cr::LOCK | cr::OPTLOCK)) | locks;
        if triggers == 0 {
            return;
        }
        if busy {
            // A new operation while BSY: sequence error (UNVERIFIED; real hardware stalls).
            self.sr |= sr::PGSERR;
            return;
        }
        if triggers & cr::OBL_LAUNCH != 0 {
            self.option_load();
        } else if triggers & cr::OPTSTRT != 0 {
            self.option_commit(now);
        } else {
            self.erase(now);
        }
    }

    fn option_load(&mut self) {
        self.load_options();
        self.system_reset();
        self.events.push(G4Event::OptionLoadReset);
    }

    fn pcrop_active(r: &OptionRegs) -> bool {
        (r.pcrop1sr & 0x7FFF) <= (r.pcrop1er & 0x7FFF)
            || (r.pcrop2sr & 0x7FFF) <= (r.pcrop2er & 0x7FFF)
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
        let staged = self.regs;
        let changes_dbank = (staged.optr ^ self.store.optr) & optr::DBANK != 0;
        if changes_dbank && Self::pcrop_active(&self.loaded_regs) {
            // DBANK must not change while PCROP is defined (HAL-G4 DBankConfig). What the
            // hardware flags is not known: this model refuses the commit with OPTVERR
            // (UNVERIFIED).
            self.sr |= sr::OPTVERR;
            return;
        }
        let mut duration = self.timing.option_program;
        let new_rdp = (staged.optr & optr::RDP_MASK) as u8;
        if self.faults.optstrt_error_flags != 0 {
            self.sr |= self.faults.optstrt_error_flags;
            self.start_busy(now, duration);
            return;
        }
        let regression = self.store.rdp() != rdp::LEVEL0 && new_rdp == rdp::LEVEL0;
        if regression {
            // RDP 1 → 0 mass-erases the flash (and, with PCROP_RDP, the PCROP areas).
            self.array.fill(0xFF);
            duration += self.timing.rdp_regression;
        }
        let corrupt = self.store.corrupt;
        self.store = G4OptionStore {
            optr: staged.optr,
            pcrop1sr: staged.pcrop1sr,
            pcrop1er: staged.pcrop1er,
            wrp1ar: staged.wrp1ar,
            wrp1br: staged.wrp1br,
            sec1r: staged.sec1r,
            pcrop2sr: staged.pcrop2sr,
            pcrop2er: staged.pcrop2er,
            wrp2ar: staged.wrp2ar,
            wrp2br: staged.wrp2br,
            sec2r: staged.sec2r,
            // A fresh commit rewrites every pair.
            corrupt: corrupt.map(|_| false),
        };
        self.start_busy(now, duration);
        self.end_of_operation();
    }

    fn erase(&mut self, now: Instant) {
        if self.sr & sr::BLOCK_PROGRAMMING != 0 {
            self.sr |= sr::PGSERR;
            return;
        }
        let c = self.cr;
        let mass = c & (cr::MER1 | cr::MER2);
        if c & cr::PER != 0 && mass == 0 {
            let page = (c & cr::PNB_MASK) >> cr::PNB_SHIFT;
            let bank = if self.loaded_dual_bank && c & cr::BKER != 0 {
                2
            } else {
                1
            };
            // BKER in single-bank mode is ignored (UNVERIFIED); PNB beyond the bank is an error.
            if page >= self.pages_per_bank() {
                self.sr |= sr::PGSERR;
                return;
            }
            if self.write_protected(bank, page) {
                self.sr |= sr::WRPERR;
                return;
            }
            let range = self.page_range(bank, page);
            self.array[range].fill(0xFF);
            self.start_busy(now, self.timing.page_erase);
        } else if mass != 0 && c & cr::PER == 0 {
            let banks: Vec<u8> = if self.loaded_dual_bank {
                [(cr::MER1, 1u8), (cr::MER2, 2u8)]
                    .into_iter()
                    .filter(|(bit, _)| mass & bit != 0)
                    .map(|(_, b)| b)
                    .collect()
            } else {
                // Single bank: MER1 or MER2 erases the one bank (UNVERIFIED).
                vec![1]
            };
            let pages = self.pages_per_bank();
            if banks
                .iter()
                .any(|&b| (0..pages).any(|p| self.write_protected(b, p)))
            {
                // Mass erase is refused while a WRP area covers the bank (UNVERIFIED).
                self.sr |= sr::WRPERR;
                return;
            }
            for b in banks {
                let start = self.page_range(b, 0).start;
                let end = self.page_range(b, pages - 1).end;
                self.array[start..end].fill(0xFF);
            }
            self.start_busy(now, self.timing.mass_erase);
        } else {
            // STRT with nothing (or PER and MER together) selected.
            self.sr |= sr::PGSERR;
            return;
        }
        self.end_of_operation();
    }

    /// A debugger (or CPU) read of main flash in the loaded geometry.
    pub fn read_flash(&self, address: u32, debugger: bool) -> Result<u32, G4BusFault> {
        if debugger && self.flash_read_protected() {
            return Err(G4BusFault::ReadProtected);
        }
        let aligned = address & !3;
        let phys = self.physical(aligned).ok_or(G4BusFault::NoFlash)?;
        Ok(u32::from_le_bytes(
            self.array[phys..phys + 4].try_into().expect("4 bytes"),
        ))
    }

    /// A write to main flash. With PG set, two 32-bit writes program one double-word: the first
    /// at an 8-byte aligned address, the second at +4. `size` is the access size in bytes.
    /// Rules (L4-lineage RM0440 behaviour as the reference describes the error flags; the exact
    /// conditions are UNVERIFIED): not 32-bit → SIZERR; misplaced word → PGAERR; PG clear or a
    /// blocking error still set → PGSERR; target not erased (and not all-zero) → PROGERR; page
    /// in a WRP area → WRPERR.
    pub fn write_flash(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        now: Instant,
    ) -> Result<(), G4BusFault> {
        let phys = self.physical(address & !3).ok_or(G4BusFault::NoFlash)?;
        let busy = self.is_busy(now);
        if self.cr & cr::PG == 0 || self.cr & cr::LOCK != 0 || busy {
            self.sr |= sr::PGSERR;
            self.pending_word = None;
            return Ok(());
        }
        if self.sr & sr::BLOCK_PROGRAMMING != 0 {
            self.sr |= sr::PGSERR;
            self.pending_word = None;
            return Ok(());
        }
        if size != 4 {
            self.sr |= sr::SIZERR;
            self.pending_word = None;
            return Ok(());
        }
        match self.pending_word.take() {
            None => {
                if !address.is_multiple_of(8) {
                    self.sr |= sr::PGAERR;
                    return Ok(());
                }
                self.pending_word = Some((address, value));
                Ok(())
            }
            Some((first_address, first_value)) => {
                if address != first_address + 4 {
                    self.sr |= sr::PGAERR;
                    return Ok(());
                }
                let (bank, page) = self.page_of(first_address).expect("checked above");
                if self.write_protected(bank, page) {
                    self.sr |= sr::WRPERR;
                    return Ok(());
                }
                let start = phys - 4;
                let old = &self.array[start..start + 8];
                let new_dw = (u64::from(value) << 32) | u64::from(first_value);
                if old.iter().any(|&b| b != 0xFF) && new_dw != 0 {
                    self.sr |= sr::PROGERR;
                    return Ok(());
                }
                self.array[start..start + 8].copy_from_slice(&new_dw.to_le_bytes());
                self.start_busy(now, self.timing.double_word_program);
                self.end_of_operation();
                Ok(())
            }
        }
    }

    /// A read of the option-byte areas (0x1FFF_7800.., 0x1FFF_F800..).
    pub fn read_option_bytes(&self, address: u32) -> Option<u32> {
        self.store.read_word(address)
    }
}

#[cfg(test)]
#[path = "flash_tests.rs"]
mod tests;
