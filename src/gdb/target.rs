//! The gdbstub target: one Cortex-M7 core of a probe-rs `Session`, as a single-thread target.
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
use std::time::Duration;

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
use gdbstub::target::{Target, TargetError, TargetResult};
use probe_rs::{Core, MemoryInterface, Session};

use super::observer::{LastStop, Role};
use super::shared::{ChipGuard, SharedChip};

use super::arch::{CortexM7, CortexM7RegId, CortexM7Regs};
use super::breakpoints::BreakpointTable;
use super::flash::PendingFlash;
use super::memory_map::{copy_chunk, memory_map_xml, read_live_flash, LiveFlash};
use super::registers;
use super::watchpoints::WatchTable;

/// How long to wait for the core to halt on request.
pub const HALT_TIMEOUT: Duration = Duration::from_millis(500);

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
    fpu: bool,
    pub(crate) exec: Exec,
    pub(crate) breakpoints: BreakpointTable,
    pub(crate) watchpoints: WatchTable,
    pub(crate) flash: PendingFlash,
    map_doc: RefCell<Vec<u8>>,
    last_regs: Option<CortexM7Regs>,
    rtt: Option<crate::rtt::RttService>,
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
            fpu: true,
            exec: Exec::Halted,
            breakpoints: BreakpointTable::default(),
            watchpoints: WatchTable::default(),
            flash: PendingFlash::default(),
            map_doc: RefCell::new(Vec::new()),
            last_regs: None,
            rtt: None,
        })
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
    pub(crate) fn last_stop_registers(&self) -> Option<CortexM7Regs> {
        self.last_stop.get()
    }

    /// Gives the chip back (between two packets). The next use takes it again.
    pub fn release(&mut self) {
        *self.held.get_mut() = None;
    }

    /// The session, taken for the current packet if it is not held yet.
    fn held_session(&mut self) -> Result<&mut Session, probe_rs::Error> {
        let chip = self.chip;
        let held = self.held.get_mut();
        if held.is_none() {
            *held = Some(chip.lock()?);
        }
        Ok(held.as_mut().expect("just taken"))
    }

    /// Takes the chip for the current packet now, so that [`ChipTarget::session`] cannot fail
    /// before [`ChipTarget::release`].
    pub(crate) fn hold(&mut self) -> Result<(), probe_rs::Error> {
        self.held_session().map(|_| ())
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
        let chip = self.chip;
        let held = self.held.get_mut();
        if held.is_none() {
            *held = Some(chip.lock()?);
        }
        let core = held.as_mut().expect("just taken").core(0)?;
        Ok((core, &mut self.breakpoints, &mut self.watchpoints))
    }

    /// The session (for the flash loader and the option-byte engine).
    ///
    /// The session exists while a controlling client is served (it is opened before and dropped
    /// only after); an observer's monitor command takes the chip first ([`ChipTarget::hold`]).
    pub(crate) fn session(&mut self) -> &mut Session {
        self.held_session()
            .expect("the chip is open while a client uses the session")
    }

    /// A new client. The controlling one halts the core (GDB expects a stopped target) and starts
    /// from a clean slate; an observer leaves the core as it is.
    pub fn on_connect(&mut self) -> Result<(), probe_rs::Error> {
        let observer = self.is_observer();
        let mut core = self.core()?;
        if !observer && !core.core_halted()? {
            core.halt(HALT_TIMEOUT)?;
        }
        let fpu = registers::has_fpu(&mut core);
        drop(core);
        self.fpu = fpu;
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

    /// Reads the live flash configuration.
    pub(crate) fn live_flash(&mut self) -> Result<LiveFlash, probe_rs::Error> {
        let name = self.target_name.clone();
        let mut core = self.core()?;
        read_live_flash(&mut core, &name)
    }

    /// Whether the FPU registers are read and written.
    pub(crate) fn fpu(&self) -> bool {
        self.fpu
    }

    /// Reset the chip and halt at the reset vector.
    pub(crate) fn reset_and_halt(&mut self) -> Result<(), probe_rs::Error> {
        self.last_regs = None;
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
        } else {
            self.core()?.halt(HALT_TIMEOUT)?;
        }
        self.exec = Exec::Halted;
        Ok(StopReason::Signal(Signal::SIGINT))
    }
}

impl Target for ChipTarget<'_> {
    type Arch = CortexM7;
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
}

impl SingleThreadBase for ChipTarget<'_> {
    fn read_registers(&mut self, regs: &mut CortexM7Regs) -> TargetResult<(), Self> {
        if self.is_observer() {
            *regs = self.observed_registers()?;
            return Ok(());
        }
        let fpu = self.fpu;
        let mut core = soft("core", self.core())?;
        *regs = soft("reading registers", registers::read_all(&mut core, fpu))?;
        drop(core);
        self.last_regs = Some(regs.clone());
        self.last_stop.publish(regs);
        Ok(())
    }

    fn write_registers(&mut self, regs: &CortexM7Regs) -> TargetResult<(), Self> {
        self.refuse_if_observer("writing registers")?;
        let fpu = self.fpu;
        let old = self.last_regs.take();
        let mut core = soft("core", self.core())?;
        soft(
            "writing registers",
            registers::write_all(&mut core, regs, old.as_ref(), fpu),
        )?;
        drop(core);
        self.last_regs = Some(regs.clone());
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
        let mut core = soft("core", self.core())?;
        let r = core
            .write(u64::from(start_addr), data)
            .and_then(|_| core.flush());
        drop(core);
        self.flash.note_memory_write(start_addr, data);
        // A write to the stack or to SCS registers can change what GDB would read back.
        self.last_regs = None;
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
        reg_id: CortexM7RegId,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        if matches!(reg_id, CortexM7RegId::D(_) | CortexM7RegId::Fpscr) && !self.fpu {
            return Err(TargetError::NonFatal);
        }
        let mut core = soft("core", self.core())?;
        soft(
            &format!("reading {reg_id:?}"),
            registers::read_one(&mut core, reg_id, buf),
        )
    }

    fn write_register(
        &mut self,
        _tid: (),
        reg_id: CortexM7RegId,
        val: &[u8],
    ) -> TargetResult<(), Self> {
        self.refuse_if_observer("writing a register")?;
        self.last_regs = None;
        let mut core = soft("core", self.core())?;
        match soft(
            &format!("writing {reg_id:?}"),
            registers::write_one(&mut core, reg_id, val),
        )? {
            true => Ok(()),
            false => Err(TargetError::NonFatal),
        }
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
                let session = held.as_mut().expect("just taken");
                let mut core = soft("core", session.core(0))?;
                soft(
                    "reading the flash configuration",
                    read_live_flash(&mut core, &self.target_name),
                )?
            };
            let fallback_kb = crate::chip::Part::from_name(&self.target_name)
                .map(|p| p.flash_kb)
                .unwrap_or(2048);
            let xml = memory_map_xml(live.layout.as_ref(), fallback_kb);
            log::debug!(
                "memory map for nDBANK={} ({})",
                u8::from(live.ndbank()),
                live.layout
                    .as_ref()
                    .map_or("layout unknown".to_string(), |l| l.summary())
            );
            *doc = xml.into_bytes();
        }
        let len = length.min(buf.len());
        Ok(copy_chunk(&doc, offset, &mut buf[..len]))
    }
}
