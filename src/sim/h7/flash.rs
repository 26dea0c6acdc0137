//! The FLASH controller of the simulated STM32H743 at 0x5200_2000, its two-bank flash array and
//! its option store (reference §0, §9, §12). Standalone: the memory map in [`super`] passes
//! register offsets, logical flash addresses and the time of each access.
//!
//! The array is two **physical** banks; the mapping of 0x0800_0000/0x0810_0000 onto them is
//! the SWAP_BANK_OPT value **loaded at the last reset** (FLASH_OPTCR.SWAP_BANK). Each register
//! set (KEYRx/CRx/SRx/CCRx, [`super::bank`]) programs and erases its own physical bank: with
//! the swap in force, BER in FLASH_CR1 erases what is seen at 0x0810_0000. A write to a flash
//! address goes to the physical bank behind it and is governed by *that* bank's CRx.PG and
//! reported in its SRx (derived from the statement; UNVERIFIED on silicon).
//!
//! Also modelled: sector erase (SER + SNB in the physical bank; an SNB beyond the bank is a
//! PGSERR, UNVERIFIED), bank erase (BER), mass erase (OPTCR.MER, both banks), sector write
//! protection from WPSN_CUR (WRPERR; a bank or mass erase with a protected sector is refused,
//! UNVERIFIED), RDP (level 1 blocks debugger access to flash; 1 → 0 mass-erases; level 2
//! closes the debug port from the next reset on, a choice: the reference does not say when).
//! Not modelled: PCROP and secure-only areas (stored, not enforced), ECC (programming a
//! flash word twice ANDs the bits; silicon would report ECC errors on read), CRC, the
//! interrupts, FLASH_ACR's effect.

use std::time::{Duration, Instant};

use super::bank::{BankController, BufferOutcome, CrRequest, H7BusFault, Operation, WriteBuffer};
use super::options::{ChangeOutcome, OptionControl};
use super::regs::{optmask, optsr, rdp, reg, sr};
use super::store::H7OptionStore;

/// Start of the window at 0x0800_0000.
pub const FLASH_BASE: u32 = 0x0800_0000;
/// Start of the window at 0x0810_0000, whatever the flash size (reference §9).
pub const BANK2_BASE: u32 = 0x0810_0000;
/// Sector size.
pub const SECTOR: u32 = 128 * 1024;

/// How long each operation keeps BSY/QW (or OPT_BUSY) set. Short defaults keep tests quick;
/// the reference gives "around 300 ms" for an option change on silicon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H7Timing {
    pub flash_word_program: Duration,
    pub sector_erase: Duration,
    pub bank_erase: Duration,
    pub option_change: Duration,
    /// Extra time when an option change lowers RDP to level 0 and mass-erases.
    pub rdp_regression: Duration,
}

impl Default for H7Timing {
    fn default() -> Self {
        H7Timing {
            flash_word_program: Duration::ZERO,
            sector_erase: Duration::from_micros(200),
            bank_erase: Duration::from_millis(20),
            option_change: Duration::from_millis(10),
            rdp_regression: Duration::from_millis(100),
        }
    }
}

/// Faults tests can inject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct H7Faults {
    /// BSY/QW of both banks never drop once an operation starts.
    pub stuck_bsy: bool,
    /// OPT_BUSY never drops once a change starts.
    pub stuck_opt_busy: bool,
    /// Every option change ends with OPTCHANGEERR.
    pub force_optchangeerr: bool,
}

/// Something the chip glue may act on or log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H7Event {
    /// An option change ended and the store changed. `swap_at_next_reset`: the programmed
    /// SWAP_BANK_OPT differs from the mapping in force.
    OptionsProgrammed { swap_at_next_reset: bool },
    /// An option change ended with OPTCHANGEERR.
    OptionChangeRefused,
}

/// Why a model cannot be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the simulated STM32H743 comes with 1024 or 2048 KB of flash, not {0} KB")]
pub struct UnsupportedFlashSize(pub u32);

/// A register of the block, decoded once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Register {
    Acr,
    Keyr(usize),
    Optkeyr,
    Cr(usize),
    Sr(usize),
    Ccr(usize),
    Optcr,
    OptsrCur,
    OptsrPrg,
    Optccr,
    PrarCur(usize),
    PrarPrg(usize),
    ScarCur(usize),
    ScarPrg(usize),
    WpsnCur(usize),
    WpsnPrg(usize),
    BootCur,
    BootPrg,
    /// Reserved words and the CRC/ECC registers: read 0, ignore writes.
    Other,
}

impl Register {
    fn decode(offset: u32) -> Register {
        let banked = |o: u32| -> Option<(u32, usize)> {
            match o {
                reg::KEYR1 | reg::CR1 | reg::SR1 | reg::CCR1 => Some((o, 0)),
                reg::PRAR_CUR1..=reg::WPSN_PRG1 => Some((o, 0)),
                _ if o >= reg::BANK2 => match o - reg::BANK2 {
                    inner @ (reg::KEYR1 | reg::CR1 | reg::SR1 | reg::CCR1) => Some((inner, 1)),
                    inner @ reg::PRAR_CUR1..=reg::WPSN_PRG1 => Some((inner, 1)),
                    _ => None,
                },
                _ => None,
            }
        };
        if let Some((inner, bank)) = banked(offset) {
            return match inner {
                reg::KEYR1 => Register::Keyr(bank),
                reg::CR1 => Register::Cr(bank),
                reg::SR1 => Register::Sr(bank),
                reg::CCR1 => Register::Ccr(bank),
                reg::PRAR_CUR1 => Register::PrarCur(bank),
                reg::PRAR_PRG1 => Register::PrarPrg(bank),
                reg::SCAR_CUR1 => Register::ScarCur(bank),
                reg::SCAR_PRG1 => Register::ScarPrg(bank),
                reg::WPSN_CUR1 => Register::WpsnCur(bank),
                _ => Register::WpsnPrg(bank),
            };
        }
        match offset {
            reg::ACR => Register::Acr,
            reg::OPTKEYR => Register::Optkeyr,
            reg::OPTCR => Register::Optcr,
            reg::OPTSR_CUR => Register::OptsrCur,
            reg::OPTSR_PRG => Register::OptsrPrg,
            reg::OPTCCR => Register::Optccr,
            reg::BOOT_CUR => Register::BootCur,
            reg::BOOT_PRG => Register::BootPrg,
            _ => Register::Other,
        }
    }
}

/// FLASH_ACR after a reset: LATENCY 7 wait states (CMSIS-H7 `FLASH_LATENCY_DEFAULT`; the rest
/// of the reset value is not in the reference, UNVERIFIED).
const ACR_RESET: u32 = 0x7;

/// The FLASH controller, array and option store of one H743.
#[derive(Debug, Clone)]
pub struct H7Flash {
    bank_bytes: u32,
    /// Physical bank 1, then physical bank 2.
    array: Vec<u8>,
    banks: [BankController; 2],
    options: OptionControl,
    store: H7OptionStore,
    /// SWAP_BANK_OPT as loaded at the last reset: the mapping in force.
    swap_in_force: bool,
    /// RDP as in force now (loaded at reset, updated when a change ends).
    rdp_in_force: u8,
    /// RDP as loaded at the last reset (level 2 closes the debug port).
    rdp_at_reset: u8,
    acr: u32,
    events: Vec<H7Event>,
    changes: u64,
    pub timing: H7Timing,
}

impl H7Flash {
    /// A chip of `flash_kb` (1024 or 2048) whose store holds `store`, as after a power-on
    /// reset, with erased flash.
    pub fn new(flash_kb: u32, store: H7OptionStore) -> Result<Self, UnsupportedFlashSize> {
        if !matches!(flash_kb, 1024 | 2048) {
            return Err(UnsupportedFlashSize(flash_kb));
        }
        Ok(H7Flash {
            bank_bytes: flash_kb * 1024 / 2,
            array: vec![0xFF; (flash_kb * 1024) as usize],
            banks: [BankController::new(), BankController::new()],
            options: OptionControl::new(&store),
            store,
            swap_in_force: store.swap(),
            rdp_in_force: store.rdp(),
            rdp_at_reset: store.rdp(),
            acr: ACR_RESET,
            events: Vec::new(),
            changes: 0,
            timing: H7Timing::default(),
        })
    }

    /// Injects faults (or clears them).
    pub fn set_faults(&mut self, faults: H7Faults) {
        for bank in &mut self.banks {
            bank.stuck_busy = faults.stuck_bsy;
        }
        self.options.stuck_busy = faults.stuck_opt_busy;
        self.options.force_change_error = faults.force_optchangeerr;
    }

    /// The option store (what the next reset loads).
    pub fn store(&self) -> H7OptionStore {
        self.store
    }

    /// The physical array: bank 1 then bank 2 (state persistence).
    pub fn array(&self) -> &[u8] {
        &self.array
    }

    /// Restores a saved array; ignored if the length does not match.
    pub fn restore_array(&mut self, bytes: &[u8]) {
        if bytes.len() == self.array.len() {
            self.array.copy_from_slice(bytes);
        }
    }

    /// Counts changes of the non-volatile content (array and store), for persistence.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// Events since the last call.
    pub fn take_events(&mut self) -> Vec<H7Event> {
        std::mem::take(&mut self.events)
    }

    /// Whether physical bank 2 is seen at 0x0800_0000 now.
    pub fn swap_in_force(&self) -> bool {
        self.swap_in_force
    }

    /// RDP level 2 loaded at the last reset: the debug port is closed.
    pub fn debug_port_closed(&self) -> bool {
        self.rdp_at_reset == rdp::LEVEL2
    }

    /// RDP level 1 or 2 in force: the debugger may not touch flash.
    pub fn flash_read_protected(&self) -> bool {
        self.rdp_in_force != rdp::LEVEL0
    }

    /// Size of one bank in bytes.
    pub fn bank_bytes(&self) -> u32 {
        self.bank_bytes
    }

    /// A system reset (SYSRESETREQ, NRST) or a power-on: the registers lock, the option
    /// values — the bank swap among them — are loaded from the store. The swap takes effect
    /// here and nowhere else (reference §9).
    pub fn reset(&mut self) {
        for bank in &mut self.banks {
            bank.reset();
        }
        self.options.reset(&self.store);
        self.swap_in_force = self.store.swap();
        self.rdp_in_force = self.store.rdp();
        self.rdp_at_reset = self.store.rdp();
        self.acr = ACR_RESET;
    }

    /// Ends whatever operations are due at `now` (called before every access).
    pub fn settle(&mut self, now: Instant) {
        for bank in &mut self.banks {
            bank.settle(now);
        }
        match self.options.settle(now) {
            Some(ChangeOutcome::Programmed { store, regression }) => {
                if regression {
                    self.array.fill(0xFF);
                }
                self.store = store;
                self.rdp_in_force = store.rdp();
                self.changes += 1;
                self.events.push(H7Event::OptionsProgrammed {
                    swap_at_next_reset: store.swap() != self.swap_in_force,
                });
            }
            Some(ChangeOutcome::Refused) => self.events.push(H7Event::OptionChangeRefused),
            None => {}
        }
    }

    /// The physical (bank, offset) behind logical `address` under the mapping in force.
    pub fn physical(&self, address: u32) -> Option<(usize, u32)> {
        let (window, offset) = if (FLASH_BASE..FLASH_BASE + self.bank_bytes).contains(&address) {
            (0, address - FLASH_BASE)
        } else if (BANK2_BASE..BANK2_BASE + self.bank_bytes).contains(&address) {
            (1, address - BANK2_BASE)
        } else {
            return None;
        };
        let bank = if self.swap_in_force {
            1 - window
        } else {
            window
        };
        Some((bank, offset))
    }

    fn index(&self, bank: usize, offset: u32) -> usize {
        bank * self.bank_bytes as usize + offset as usize
    }

    /// A read of main flash (32-bit word containing `address`).
    pub fn read_flash(&self, address: u32, debugger: bool) -> Result<u32, H7BusFault> {
        if debugger && self.flash_read_protected() {
            return Err(H7BusFault::ReadProtected);
        }
        let (bank, offset) = self.physical(address & !3).ok_or(H7BusFault::NoFlash)?;
        let i = self.index(bank, offset);
        let mut word = [0u8; 4];
        word.copy_from_slice(&self.array[i..i + 4]);
        Ok(u32::from_le_bytes(word))
    }

    /// A write of `size` bytes of `value` at logical `address`: into the write buffer of the
    /// physical bank behind it.
    pub fn write_flash(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
        debugger: bool,
        now: Instant,
    ) -> Result<(), H7BusFault> {
        self.settle(now);
        if debugger && self.flash_read_protected() {
            return Err(H7BusFault::ReadProtected);
        }
        let (bank, offset) = self.physical(address).ok_or(H7BusFault::NoFlash)?;
        let bytes = &value.to_le_bytes()[..size as usize];
        match self.banks[bank].buffer_write(offset, bytes, now) {
            BufferOutcome::Program(buffer) => self.program(bank, buffer, now),
            BufferOutcome::Buffered | BufferOutcome::Refused => {}
        }
        Ok(())
    }

    fn write_protected(&self, bank: usize, sector: u32) -> bool {
        self.store.wpsn(bank) & (1 << sector) == 0
    }

    fn program(&mut self, bank: usize, buffer: WriteBuffer, now: Instant) {
        if self.write_protected(bank, buffer.word / SECTOR) {
            self.banks[bank].flag(sr::WRPERR);
            return;
        }
        let start = self.index(bank, buffer.word);
        for (cell, (byte, lane)) in self.array[start..start + buffer.data.len()]
            .iter_mut()
            .zip(buffer.data.iter().zip(0..))
        {
            if buffer.filled & (1 << lane) != 0 {
                // Flash can only clear bits.
                *cell &= byte;
            }
        }
        self.changes += 1;
        self.banks[bank].start_busy(now, self.timing.flash_word_program, Operation::Program);
    }

    fn erase(
        &mut self,
        bank: usize,
        sectors: std::ops::Range<u32>,
        duration: Duration,
        now: Instant,
    ) {
        if sectors.clone().any(|s| self.write_protected(bank, s)) {
            self.banks[bank].flag(sr::WRPERR);
            return;
        }
        let start = self.index(bank, sectors.start * SECTOR);
        let end = self.index(bank, sectors.end * SECTOR);
        self.array[start..end].fill(0xFF);
        self.changes += 1;
        self.banks[bank].start_busy(now, duration, Operation::Erase);
    }

    fn sectors_per_bank(&self) -> u32 {
        self.bank_bytes / SECTOR
    }

    /// Reads a FLASH register at `offset` from 0x5200_2000.
    pub fn read_register(&mut self, offset: u32, now: Instant) -> u32 {
        self.settle(now);
        let s = &self.store;
        let staged = self.options.staged();
        match Register::decode(offset) {
            Register::Acr => self.acr,
            Register::Cr(b) => self.banks[b].read_cr(),
            Register::Sr(b) => self.banks[b].read_sr(now),
            Register::Optcr => self.options.read_optcr(self.swap_in_force),
            Register::OptsrCur => {
                let mut value = s.optsr;
                if self.options.busy() {
                    value |= optsr::OPT_BUSY;
                }
                if self.options.change_error() {
                    value |= optsr::OPTCHANGEERR;
                }
                value
            }
            Register::OptsrPrg => staged.optsr,
            Register::PrarCur(b) => pick(b, s.prar1, s.prar2),
            Register::PrarPrg(b) => pick(b, staged.prar1, staged.prar2),
            Register::ScarCur(b) => pick(b, s.scar1, s.scar2),
            Register::ScarPrg(b) => pick(b, staged.scar1, staged.scar2),
            Register::WpsnCur(b) => s.wpsn(b),
            Register::WpsnPrg(b) => staged.wpsn(b),
            Register::BootCur => s.boot,
            Register::BootPrg => staged.boot,
            // The key registers are write-only; CCRx/OPTCCR read as 0 (UNVERIFIED).
            Register::Keyr(_)
            | Register::Optkeyr
            | Register::Ccr(_)
            | Register::Optccr
            | Register::Other => 0,
        }
    }

    /// Writes a FLASH register at `offset` from 0x5200_2000 (a whole word: the bus merges
    /// narrower writes first).
    pub fn write_register(
        &mut self,
        offset: u32,
        value: u32,
        now: Instant,
    ) -> Result<(), H7BusFault> {
        self.settle(now);
        match Register::decode(offset) {
            Register::Acr => self.acr = value & 0x3F,
            Register::Keyr(b) => return self.banks[b].write_keyr(value),
            Register::Cr(b) => {
                let request = self.banks[b].write_cr(value, now);
                self.act_on(b, request, now);
            }
            Register::Ccr(b) => self.banks[b].write_ccr(value),
            Register::Optkeyr => return self.options.write_optkeyr(value),
            Register::Optcr => {
                let request = self.options.write_optcr(value);
                if request.mass_erase {
                    self.mass_erase(now);
                }
                if request.start {
                    let t = self.timing;
                    self.options
                        .start(&self.store, now, t.option_change, t.rdp_regression);
                }
            }
            Register::Optccr => self.options.write_optccr(value),
            Register::OptsrPrg => self
                .options
                .stage(|s| s.optsr = value & optsr::PROGRAMMABLE),
            Register::PrarPrg(b) => self.options.stage(|s| {
                *pick_mut(b, &mut s.prar1, &mut s.prar2) = value & optmask::AREA;
            }),
            Register::ScarPrg(b) => self.options.stage(|s| {
                *pick_mut(b, &mut s.scar1, &mut s.scar2) = value & optmask::AREA;
            }),
            Register::WpsnPrg(b) => self.options.stage(|s| {
                *pick_mut(b, &mut s.wpsn1, &mut s.wpsn2) = value & optmask::WPSN;
            }),
            Register::BootPrg => self.options.stage(|s| s.boot = value & optmask::BOOT),
            // Status and `*_CUR` registers are read-only.
            Register::Sr(_)
            | Register::OptsrCur
            | Register::PrarCur(_)
            | Register::ScarCur(_)
            | Register::WpsnCur(_)
            | Register::BootCur
            | Register::Other => {}
        }
        Ok(())
    }

    fn act_on(&mut self, bank: usize, request: CrRequest, now: Instant) {
        match request {
            CrRequest::None => {}
            CrRequest::ForceWrite(buffer) => self.program(bank, buffer, now),
            CrRequest::SectorErase { snb } if snb < self.sectors_per_bank() => {
                self.erase(bank, snb..snb + 1, self.timing.sector_erase, now)
            }
            CrRequest::SectorErase { .. } => self.banks[bank].flag(sr::PGSERR),
            CrRequest::BankErase => self.erase(
                bank,
                0..self.sectors_per_bank(),
                self.timing.bank_erase,
                now,
            ),
        }
    }

    /// OPTCR.MER: both banks, when both CRx are unlocked (UNVERIFIED; see [`super::options`]).
    fn mass_erase(&mut self, now: Instant) {
        if self.banks.iter().any(BankController::locked) {
            return;
        }
        for bank in 0..2 {
            if self.banks[bank].is_busy(now) {
                self.banks[bank].flag(sr::PGSERR);
                continue;
            }
            self.erase(
                bank,
                0..self.sectors_per_bank(),
                self.timing.bank_erase,
                now,
            );
        }
    }
}

fn pick(bank: usize, one: u32, two: u32) -> u32 {
    if bank == 0 {
        one
    } else {
        two
    }
}

fn pick_mut<'a>(bank: usize, one: &'a mut u32, two: &'a mut u32) -> &'a mut u32 {
    if bank == 0 {
        one
    } else {
        two
    }
}

#[cfg(test)]
#[path = "flash_tests.rs"]
mod tests;
