//! The gdbstub target: one Cortex-M core of a probe-rs `Session`, as a single-thread target.
//!
//! The session is shared ([`SharedChip`]): the target takes the chip the first time a packet
//! needs it and the server gives it back ([`ChipTarget::release`]) once the packet is answered,
//! so that other clients and background services get their turn between two packets. A target
//! serves either the controlling client or an observer ([`Role`]), which may look but not touch.
//!
//! This file holds the target's state and the base operations (registers and memory). Each
//! protocol extension lives in its own file: [`super::execution`] (resume, step, stop
//! reasons), [`super::breakpoints`], [`super::watchpoints`], [`super::memory_map`] (the XML),
//! [`super::flash`] (`load`), [`super::monitor`] and [`super::extended`].

use std::cell::RefCell;
use std::time::{Duration, Instant};

use gdbstub::common::Signal;
use gdbstub::stub::SingleThreadStopReason;
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::ext::base::singlethread::{SingleThreadBase, SingleThreadResumeOps};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::BreakpointsOps;
use gdbstub::target::ext::extended_mode::ExtendedModeOps;
use gdbstub::target::ext::flash::FlashOps;
use gdbstub::target::ext::memory_map::{MemoryMap, MemoryMapOps};
use gdbstub::target::ext::monitor_cmd::MonitorCmdOps;
use gdbstub::target::ext::target_description_xml_override::{
    TargetDescriptionXmlOverride, TargetDescriptionXmlOverrideOps,
};
use gdbstub::target::{Target, TargetError, TargetResult};
use probe_rs::{Core, MemoryInterface, Session};

use super::observer::{LastStop, Role};
use super::shared::{ChipGuard, SharedChip};

use super::arch::{CortexM, CortexMRegId, CortexMRegs};
use super::breakpoints::BreakpointTable;
use super::description::RegisterSet;
use super::family::LiveFlash;
use super::flash::PendingFlash;
use super::guard::{GuardSession, LockRegister, RawWriteOk};
use super::memory_map::copy_chunk;
use super::registers;
use super::watchpoints::WatchTable;
use crate::family::Family;
use crate::semihosting::Semihosting;

/// How long to wait for the core to halt on request.
pub const HALT_TIMEOUT: Duration = Duration::from_millis(500);

/// The error number of a write the guard refused: EACCES, so GDB gets `E0d`.
pub const REFUSED: u8 = 13;

/// How long relocking waits for an option programming that raw writes started (FLASH_SR.BSY):
/// RDP 1 → 0 mass-erases the flash, which can take 32 s on 2 MB parts.
const RELOCK_BSY_TIMEOUT: Duration = Duration::from_secs(40);

/// A failure that ends the GDB session (the probe stopped answering, typically).
#[derive(Debug, thiserror::Error)]
pub enum TargetFault {
    /// probe-rs reported an error where the protocol has no way to report it to GDB.
    #[error("probe: {0}")]
    Probe(#[from] probe_rs::Error),
}

/// Stop reasons as reported to GDB.
pub type StopReason = SingleThreadStopReason<u32>;

/// Where the core is, as far as the GDB session knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exec {
    /// Halted and reported.
    Halted,
    /// Running after a continue; the event loop polls it.
    Running,
    /// Halted, with a stop that still has to be reported (after a step).
    Stopped(StopReason),
}

/// Turns a probe-rs error into an `E` reply (the session continues), with a log line.
pub(crate) fn soft<T, E>(what: &str, r: Result<T, probe_rs::Error>) -> Result<T, TargetError<E>> {
    r.map_err(|e| {
        log::warn!("{what}: {e}");
        TargetError::NonFatal
    })
}

/// The GDB view of the chip behind a shared probe-rs session.
pub struct ChipTarget<'s> {
    chip: &'s SharedChip,
    /// The chip while one packet is being answered; `None` between packets.
    held: RefCell<Option<ChipGuard<'s>>>,
    role: Role,
    /// The registers of the controlling session's last stop, shown to observers.
    last_stop: &'s LastStop,
    target_name: String,
    /// The chip's family, decided once for the server.
    family: Family,
    /// The registers the core has (read from the chip when a client connects).
    register_set: RegisterSet,
    pub(crate) exec: Exec,
    pub(crate) breakpoints: BreakpointTable,
    pub(crate) watchpoints: WatchTable,
    pub(crate) flash: PendingFlash,
    /// The write guard's state for this client (raw option-write policy, queued refusals).
    pub(crate) guard: GuardSession,
    map_doc: RefCell<Vec<u8>>,
    last_regs: Option<CortexMRegs>,
    rtt: Option<crate::rtt::RttService>,
    /// `monitor arm semihosting`: off until enabled, for this client's session.
    pub(crate) semihosting: Semihosting,
    /// Server text for GDB's console (the line naming a caught fault), sent as `O` packets
    /// before the stop it belongs to.
    pub(crate) console: Vec<u8>,
    /// The lockup the core was last halted out of, for `monitor fault`; cleared when the core
    /// runs again.
    pub(crate) last_lockup: Option<crate::fault::Lockup>,
    /// GDB asked for extended mode (`!`, `target extended-remote`): the session outlives the
    /// program's end.
    pub(crate) extended: bool,
}

impl<'s> ChipTarget<'s> {
    /// A target for `role` on `chip`. Call [`ChipTarget::on_connect`] before serving a client.
    pub fn new(
        chip: &'s SharedChip,
        last_stop: &'s LastStop,
        role: Role,
    ) -> Result<ChipTarget<'s>, probe_rs::Error> {
        let target_name = chip.with_session(|s| s.target().name.clone())?;
        Ok(ChipTarget {
            chip,
            held: RefCell::new(None),
            role,
            last_stop,
            target_name,
            family: chip.family(),
            register_set: RegisterSet::default(),
            exec: Exec::Halted,
            breakpoints: BreakpointTable::default(),
            watchpoints: WatchTable::default(),
            flash: PendingFlash::default(),
            guard: GuardSession::default(),
            map_doc: RefCell::new(Vec::new()),
            last_regs: None,
            rtt: None,
            semihosting: Semihosting::default(),
            console: Vec::new(),
            last_lockup: None,
            extended: false,
        })
    }

    /// Whether the client asked for extended mode (`target extended-remote`).
    pub fn is_extended(&self) -> bool {
        self.extended
    }

    /// The RTT service `monitor rtt` drives (the server's, shared by its clients).
    pub fn with_rtt(mut self, rtt: crate::rtt::RttService) -> ChipTarget<'s> {
        self.rtt = Some(rtt);
        self
    }

    /// The RTT service, if the server has one.
    pub(crate) fn rtt(&self) -> Option<&crate::rtt::RttService> {
        self.rtt.as_ref()
    }

    /// What this client may do.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// Whether this client only observes (another one controls the chip).
    pub fn is_observer(&self) -> bool {
        matches!(self.role, Role::Observer { .. })
    }

    /// The registers of the controlling session's last stop.
    pub(crate) fn last_stop_registers(&self) -> Option<CortexMRegs> {
        // A record of another core's registers (none is expected) is not shown.
        self.last_stop.get().filter(|r| r.set == self.register_set)
    }

    /// Gives the chip back (between two packets). The next use takes it again.
    pub fn release(&mut self) {
        *self.held.get_mut() = None;
    }

    /// The session, taken for the current packet if it is not held yet.
    fn held_session(&mut self) -> Result<&mut Session, probe_rs::Error> {
        take_held(self.chip, self.held.get_mut())
    }

    /// Takes the chip for the current packet now, so that [`ChipTarget::session`] cannot fail
    /// before [`ChipTarget::release`].
    pub(crate) fn hold(&mut self) -> Result<(), probe_rs::Error> {
        self.held_session().map(|_| ())
    }

    /// The chip's family.
    pub(crate) fn family(&self) -> Family {
        self.family
    }

    /// The probe-rs target name the session was opened with.
    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// Core 0 of the session.
    pub(crate) fn core(&mut self) -> Result<Core<'_>, probe_rs::Error> {
        self.held_session()?.core(0)
    }

    /// Core 0 together with the breakpoint and watchpoint tables, which record what the core's
    /// FPB and DWT comparators hold and so change together with them.
    pub(crate) fn core_with_tables(
        &mut self,
    ) -> Result<(Core<'_>, &mut BreakpointTable, &mut WatchTable), probe_rs::Error> {
        let core = take_held(self.chip, self.held.get_mut())?.core(0)?;
        Ok((core, &mut self.breakpoints, &mut self.watchpoints))
    }

    /// Core 0 together with the semihosting service, which serves calls on it.
    pub(crate) fn core_with_semihosting(
        &mut self,
    ) -> Result<(Core<'_>, &mut Semihosting), probe_rs::Error> {
        let core = take_held(self.chip, self.held.get_mut())?.core(0)?;
        Ok((core, &mut self.semihosting))
    }

    /// The session (for the flash loader and the option-byte engine).
    ///
    /// The session exists while a controlling client is served (it is opened before and dropped
    /// only after); an observer's monitor command takes the chip first ([`ChipTarget::hold`]).
    pub(crate) fn session(&mut self) -> Result<&mut Session, probe_rs::Error> {
        self.held_session()
    }

    /// A new client. The controlling one halts the core (GDB expects a stopped target) and starts
    /// from a clean slate; an observer leaves the core as it is.
    pub fn on_connect(&mut self) -> Result<(), probe_rs::Error> {
        let observer = self.is_observer();
        let mut core = self.core()?;
        if !observer && !core.core_halted()? {
            core.halt(HALT_TIMEOUT)?;
        }
        let set = registers::register_set(&mut core);
        drop(core);
        log::debug!("target description: {}", set.describe());
        self.register_set = set;
        self.exec = Exec::Halted;
        self.last_regs = None;
        self.flash = PendingFlash::default();
        if !observer {
            self.last_stop.clear();
        }
        Ok(())
    }

    /// The client is gone: remove every breakpoint and watchpoint it left behind.
    /// `resume` lets the core run (after `detach`); otherwise it is left halted.
    /// An observer set nothing and leaves the core as it is.
    pub fn on_disconnect(&mut self, resume: bool) -> Result<(), probe_rs::Error> {
        if self.is_observer() {
            return Ok(());
        }
        // Relocking comes first and its failure does not skip the rest of the clean-up.
        if let Err(e) = self.relock_left_open() {
            log::warn!("setting OPTLOCK after raw writes: {e}");
        }
        self.clear_debug_units()?;
        let mut core = self.core()?;
        if resume {
            if core.core_halted()? {
                core.run()?;
            }
        } else if !core.core_halted()? {
            core.halt(HALT_TIMEOUT)?;
        }
        Ok(())
    }

    /// Clears every FPB and DWT comparator this session set.
    pub(crate) fn clear_debug_units(&mut self) -> Result<(), probe_rs::Error> {
        let (mut core, bps, wps) = self.core_with_tables()?;
        bps.clear_all(&mut core)?;
        wps.clear_all(&mut core)?;
        Ok(())
    }

    /// The cached registers are stale (after a reset, a flash operation, …).
    pub(crate) fn forget_registers(&mut self) {
        self.last_regs = None;
    }

    /// Reads the live flash configuration, as the family reads it.
    pub(crate) fn live_flash(&mut self) -> Result<LiveFlash, probe_rs::Error> {
        let name = self.target_name.clone();
        let gdb = self.family.gdb;
        let mut core = self.core()?;
        gdb.live_flash(&mut core, &name)
    }

    /// The registers the core has: the only ones read, written and described to GDB.
    pub(crate) fn register_set(&self) -> RegisterSet {
        self.register_set
    }

    /// An `E` reply (and a log line) for a register the core does not have: GDB does not ask
    /// for one (the description does not name it), a raw `p`/`P` packet can.
    fn refuse_missing_register(&self, reg: CortexMRegId) -> TargetResult<(), Self> {
        if self.register_set.has(reg) {
            return Ok(());
        }
        log::info!(
            "register {} (remote number {}) does not exist on this core ({})",
            reg.name(),
            reg.regnum(),
            self.register_set.describe()
        );
        Err(TargetError::NonFatal)
    }

    /// Reset the chip and halt at the reset vector.
    pub(crate) fn reset_and_halt(&mut self) -> Result<(), probe_rs::Error> {
        self.last_regs = None;
        // The program starts again: its semihosting handles (host files too) are closed.
        self.semihosting.restart();
        if let Some(rtt) = &self.rtt {
            // The firmware rebuilds its RTT control block after the reset.
            rtt.chip_reset();
        }
        self.core()?.reset_and_halt(HALT_TIMEOUT)?;
        // While GDB waits for a stop (exec = Running) the event loop reports this halt.
        Ok(())
    }

    /// The stop to report when GDB interrupts (Ctrl-C).
    pub(crate) fn interrupt(&mut self) -> Result<StopReason, probe_rs::Error> {
        let halted = self.core()?.core_halted()?;
        if halted {
            if let Some(reason) = self.poll_stop()? {
                return Ok(reason);
            }
            // A caught fault `poll_stop` held back for its console line: the reply to Ctrl-C
            // carries no console text, so the line stays in the log only (not shown later,
            // before some other stop).
            if let Some(reason) = self.take_pending_stop() {
                self.console.clear();
                return Ok(reason);
            }
        }
        // Running, or resumed just now past a semihosting call that `poll_stop` served.
        if !self.core()?.core_halted()? {
            self.core()?.halt(HALT_TIMEOUT)?;
        }
        self.exec = Exec::Halted;
        Ok(StopReason::Signal(Signal::SIGINT))
    }
}

/// The session held for the current packet, taken from `chip` if it is not held yet. A free
/// function, so that callers can borrow other fields of the target beside it.
fn take_held<'a, 's>(
    chip: &'s SharedChip,
    held: &'a mut Option<ChipGuard<'s>>,
) -> Result<&'a mut Session, probe_rs::Error> {
    if held.is_none() {
        *held = Some(chip.lock()?);
    }
    Ok(held.as_mut().expect("just taken"))
}

/// The write guard's side effects on the chip: refusals, raw option writes, relocking.
impl ChipTarget<'_> {
    /// A word of the chip as it is now (a FLASH register the write guard asks for).
    fn read_word(&mut self, address: u32) -> Result<u32, probe_rs::Error> {
        self.core()?.read_word_32(u64::from(address))
    }

    /// Tells the user why a write was refused: a warning in the server's log and, since GDB
    /// shows no text for an `E` reply, a line at the next monitor command.
    pub(crate) fn refuse_write(&mut self, message: String) {
        log::warn!("{message}");
        self.guard.notice(message);
    }

    /// Logs an allowed raw write into the FLASH option registers and what it left behind.
    fn note_raw_option_write(&mut self, start: u32, len: usize, accepted: &RawWriteOk) {
        self.guard.note_option_write();
        let mut names: Vec<&str> = accepted.option_registers.iter().map(|r| r.name).collect();
        if accepted.unlocks_flash {
            names.push("FLASH_KEYR");
        }
        log::warn!(
            "raw write of {len} bytes at {start:#010x} into {}; the server sets the FLASH locks again when this client leaves",
            names.join(", ")
        );
        if let Some((register, value)) = accepted
            .control_after
            .filter(|_| accepted.starts_option_programming())
        {
            log::warn!(
                "raw write started option programming or an option load: {} = {value:#010x}",
                register.name
            );
        }
        if let Some(warning) = self.optlock_warning() {
            log::warn!("{warning}");
        }
    }

    /// The lock registers whose lock bits are clear now: name, register and value.
    fn open_locks(&mut self) -> Result<Vec<(&'static LockRegister, u32)>, probe_rs::Error> {
        let registers = self.family.gdb.guard().lock_registers();
        let mut core = self.core()?;
        let mut values = Vec::new();
        for register in registers {
            values.push((
                register,
                core.read_word_32(u64::from(register.register.address))?,
            ));
        }
        drop(core);
        values.retain(|(register, value)| self.guard.lock_left_clear(register, *value));
        Ok(values)
    }

    /// A warning when this session's raw writes left a FLASH lock (OPTLOCK, LOCK) clear.
    pub(crate) fn optlock_warning(&mut self) -> Option<String> {
        if !self.guard.wrote_option_registers() {
            return None;
        }
        let open = self.open_locks().ok()?;
        let (register, value) = open.first()?;
        let clear = register.clear_locks(*value);
        Some(format!(
            "warning: {} = {value:#010x}: {} {} clear, raw memory writes of this session unlocked the FLASH registers; `monitor raw-option-writes deny` relocks them now, and the server relocks them when this client disconnects",
            register.register.name,
            clear.join(" and "),
            if clear.len() == 1 { "is" } else { "are" }
        ))
    }

    /// Sets OPTLOCK and LOCK again if this session's raw writes left them clear (with nothing
    /// started: no OPTSTRT, STRT, OBL_LAUNCH). Returns whether it had to.
    pub(crate) fn relock_left_open(&mut self) -> Result<bool, probe_rs::Error> {
        if !self.guard.wrote_option_registers() {
            return Ok(false);
        }
        let open = self.open_locks()?;
        if open.is_empty() {
            self.guard.relocked();
            return Ok(false);
        }
        let (sr, bsy) = self.family.gdb.guard().busy();
        let sr = sr.address;
        let mut core = self.core()?;
        // An operation the raw writes started may still run: let it finish first.
        let deadline = Instant::now() + RELOCK_BSY_TIMEOUT;
        while core.read_word_32(u64::from(sr))? & bsy != 0 {
            if Instant::now() > deadline {
                log::warn!(
                    "FLASH_SR.BSY still set after {RELOCK_BSY_TIMEOUT:?}; setting the locks anyway"
                );
                break;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut all_set = true;
        for (register, before) in open {
            let address = u64::from(register.register.address);
            let now = core.read_word_32(address)?;
            core.write_word_32(address, (register.relocked)(now))?;
            let after = core.read_word_32(address)?;
            if !register.clear_locks(after).is_empty() {
                log::error!(
                    "{} = {after:#010x}: the lock bits did not set; a reset relocks them",
                    register.register.name
                );
                all_set = false;
            } else {
                log::warn!(
                    "raw memory writes had left {} unlocked ({before:#010x}); relocked: {after:#010x}",
                    register.register.name
                );
            }
        }
        drop(core);
        if all_set {
            self.guard.relocked();
        }
        Ok(all_set)
    }
}

impl Target for ChipTarget<'_> {
    type Arch = CortexM;
    type Error = TargetFault;

    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::SingleThread(self)
    }

    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    fn support_monitor_cmd(&mut self) -> Option<MonitorCmdOps<'_, Self>> {
        Some(self)
    }

    fn support_extended_mode(&mut self) -> Option<ExtendedModeOps<'_, Self>> {
        Some(self)
    }

    fn support_memory_map(&mut self) -> Option<MemoryMapOps<'_, Self>> {
        Some(self)
    }

    fn support_flash_operations(&mut self) -> Option<FlashOps<'_, Self>> {
        Some(self)
    }

    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<TargetDescriptionXmlOverrideOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadBase for ChipTarget<'_> {
    fn read_registers(&mut self, regs: &mut CortexMRegs) -> TargetResult<(), Self> {
        if self.is_observer() {
            *regs = self.observed_registers()?;
            return Ok(());
        }
        let set = self.register_set;
        let mut core = soft("core", self.core())?;
        *regs = soft("reading registers", registers::read_all(&mut core, set))?;
        drop(core);
        self.last_regs = Some(regs.clone());
        self.last_stop.publish(regs);
        Ok(())
    }

    fn write_registers(&mut self, regs: &CortexMRegs) -> TargetResult<(), Self> {
        self.refuse_if_observer("writing registers")?;
        if regs.set != self.register_set {
            log::info!(
                "a `G` packet of {} bytes does not fit this core ({}: {} bytes): nothing written",
                regs.set.g_len(),
                self.register_set.describe(),
                self.register_set.g_len()
            );
            return Err(TargetError::NonFatal);
        }
        let old = self.last_regs.take();
        let mut core = soft("core", self.core())?;
        soft(
            "writing registers",
            registers::write_all(&mut core, regs, old.as_ref()),
        )?;
        drop(core);
        self.last_regs = Some(regs.clone());
        // Observers see what the core will run from (after `load`, GDB sets the entry point).
        self.last_stop.publish(regs);
        Ok(())
    }

    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, (), Self>> {
        // An observer sees the registers of the last stop as one block (`g`).
        if self.is_observer() {
            return None;
        }
        Some(self)
    }

    fn read_addrs(&mut self, start_addr: u32, data: &mut [u8]) -> TargetResult<usize, Self> {
        let mut core = soft("core", self.core())?;
        match core.read(u64::from(start_addr), data) {
            Ok(()) => Ok(data.len()),
            Err(e) => {
                log::debug!("reading {} bytes at {start_addr:#010x}: {e}", data.len());
                Err(TargetError::NonFatal)
            }
        }
    }

    fn write_addrs(&mut self, start_addr: u32, data: &[u8]) -> TargetResult<(), Self> {
        self.refuse_if_observer("writing memory")?;
        let policy = self.guard.policy;
        let rules = self.family.gdb.guard();
        let verdict =
            rules.check_raw_write(start_addr, data, policy, &mut |a| self.read_word(a).ok());
        let accepted = match verdict {
            Ok(accepted) => accepted,
            Err(refusal) => {
                self.refuse_write(refusal.to_string());
                return Err(TargetError::Errno(REFUSED));
            }
        };
        let mut core = soft("core", self.core())?;
        let r = match &accepted.alias_accesses {
            // Bit-band alias writes are made exactly as the guard judged them.
            Some(accesses) => accesses.iter().try_for_each(|a| match a.size {
                4 => core.write_word_32(u64::from(a.address), a.value),
                _ => core.write_word_8(u64::from(a.address), a.value as u8),
            }),
            None => core.write(u64::from(start_addr), data),
        }
        .and_then(|_| core.flush());
        drop(core);
        self.flash.note_memory_write(start_addr, data);
        // A write to the stack or to SCS registers can change what GDB would read back.
        self.last_regs = None;
        if !accepted.option_registers.is_empty() || accepted.unlocks_flash {
            self.note_raw_option_write(start_addr, data.len(), &accepted);
        }
        soft(
            &format!("writing {} bytes at {start_addr:#010x}", data.len()),
            r,
        )
    }

    fn support_resume(&mut self) -> Option<SingleThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<()> for ChipTarget<'_> {
    fn read_register(
        &mut self,
        _tid: (),
        reg_id: CortexMRegId,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        self.refuse_missing_register(reg_id)?;
        let mut core = soft("core", self.core())?;
        soft(
            &format!("reading {reg_id:?}"),
            registers::read_one(&mut core, reg_id, buf),
        )
    }

    fn write_register(
        &mut self,
        _tid: (),
        reg_id: CortexMRegId,
        val: &[u8],
    ) -> TargetResult<(), Self> {
        self.refuse_if_observer("writing a register")?;
        self.refuse_missing_register(reg_id)?;
        self.last_regs = None;
        let set = self.register_set;
        let mut core = soft("core", self.core())?;
        let written = soft(
            &format!("writing {reg_id:?}"),
            registers::write_one(&mut core, set, reg_id, val),
        )?;
        drop(core);
        match written {
            true => {
                self.last_stop.patch(reg_id, val);
                Ok(())
            }
            false => Err(TargetError::NonFatal),
        }
    }
}

/// The description of the core this client is served: its registers, read from the chip when
/// the client connected ([`ChipTarget::on_connect`]).
impl TargetDescriptionXmlOverride for ChipTarget<'_> {
    fn target_description_xml(
        &self,
        annex: &[u8],
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if annex != b"target.xml" {
            log::info!(
                "no target description document {:?} (only target.xml)",
                String::from_utf8_lossy(annex)
            );
            return Err(TargetError::NonFatal);
        }
        let doc = self.register_set.target_xml().as_bytes();
        let len = length.min(buf.len());
        Ok(copy_chunk(doc, offset, &mut buf[..len]))
    }
}

impl MemoryMap for ChipTarget<'_> {
    fn memory_map_xml(
        &self,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let mut doc = self.map_doc.borrow_mut();
        if offset == 0 || doc.is_empty() {
            let live = {
                let mut held = self.held.borrow_mut();
                if held.is_none() {
                    *held = Some(soft("the chip", self.chip.lock().map_err(Into::into))?);
                }
                let Some(session) = held.as_mut() else {
                    return Err(TargetError::NonFatal);
                };
                let mut core = soft("core", session.core(0))?;
                soft(
                    "reading the flash configuration",
                    self.family.gdb.live_flash(&mut core, &self.target_name),
                )?
            };
            log::debug!("memory map for {}", live.summary);
            *doc = live.memory_map.into_bytes();
        }
        let len = length.min(buf.len());
        Ok(copy_chunk(&doc, offset, &mut buf[..len]))
    }
}
