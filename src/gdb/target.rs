//! The gdbstub target: one Cortex-M7 core of a probe-rs `Session`, as a single-thread target.
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

/// The GDB view of the chip behind a probe-rs session.
pub struct ChipTarget<'s> {
    session: RefCell<&'s mut Session>,
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
    /// Wraps a session. Call [`ChipTarget::on_connect`] before serving a client.
    pub fn new(session: &'s mut Session) -> ChipTarget<'s> {
        let target_name = session.target().name.clone();
        ChipTarget {
            session: RefCell::new(session),
            target_name,
            fpu: true,
            exec: Exec::Halted,
            breakpoints: BreakpointTable::default(),
            watchpoints: WatchTable::default(),
            flash: PendingFlash::default(),
            map_doc: RefCell::new(Vec::new()),
            last_regs: None,
            rtt: None,
        }
    }

    /// The RTT service `monitor rtt` drives (the server's, shared by its clients).
    pub fn with_rtt(mut self, rtt: crate::rtt::RttService) -> ChipTarget<'s> {
        self.rtt = Some(rtt);
        self
    }

    /// One RTT poll, when the service has work (called by the event loop while the core runs).
    pub(crate) fn poll_rtt(&mut self) {
        let Some(rtt) = self.rtt.clone() else {
            return;
        };
        if !rtt.wants_chip() {
            return;
        }
        match self.core() {
            Ok(mut core) => {
                rtt.poll(&mut core);
            }
            Err(e) => log::debug!("RTT poll: {e}"),
        }
    }

    /// The RTT service, if the server has one.
    pub(crate) fn rtt(&self) -> Option<&crate::rtt::RttService> {
        self.rtt.as_ref()
    }

    /// The probe-rs target name the session was opened with.
    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// Core 0 of the session.
    pub(crate) fn core(&mut self) -> Result<Core<'_>, probe_rs::Error> {
        self.session.get_mut().core(0)
    }

    /// Core 0 together with the breakpoint and watchpoint tables, which record what the core's
    /// FPB and DWT comparators hold and so change together with them.
    pub(crate) fn core_with_tables(
        &mut self,
    ) -> Result<(Core<'_>, &mut BreakpointTable, &mut WatchTable), probe_rs::Error> {
        let core = self.session.get_mut().core(0)?;
        Ok((core, &mut self.breakpoints, &mut self.watchpoints))
    }

    /// The session (for the flash loader and the option-byte engine).
    pub(crate) fn session(&mut self) -> &mut Session {
        self.session.get_mut()
    }

    /// A new client: halt the core (GDB expects a stopped target) and start from a clean slate.
    pub fn on_connect(&mut self) -> Result<(), probe_rs::Error> {
        let mut core = self.core()?;
        if !core.core_halted()? {
            core.halt(HALT_TIMEOUT)?;
        }
        let fpu = registers::has_fpu(&mut core);
        drop(core);
        self.fpu = fpu;
        self.exec = Exec::Halted;
        self.last_regs = None;
        self.flash = PendingFlash::default();
        Ok(())
    }

    /// The client is gone: remove every breakpoint and watchpoint it left behind.
    /// `resume` lets the core run (after `detach`); otherwise it is left halted.
    pub fn on_disconnect(&mut self, resume: bool) -> Result<(), probe_rs::Error> {
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
        let fpu = self.fpu;
        let mut core = soft("core", self.core())?;
        *regs = soft("reading registers", registers::read_all(&mut core, fpu))?;
        drop(core);
        self.last_regs = Some(regs.clone());
        Ok(())
    }

    fn write_registers(&mut self, regs: &CortexM7Regs) -> TargetResult<(), Self> {
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
                let mut session = self.session.borrow_mut();
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
