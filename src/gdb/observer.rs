//! Observers: clients served while another one controls the chip (live watch).
//!
//! One client controls the chip; further clients (at most [`MAX_OBSERVERS`]) observe it: they
//! connect without halting the core, read memory (also while the core runs) and see the
//! registers of the controlling session's last stop. Everything that would change execution,
//! breakpoints, registers, memory or flash is refused with a reply that says another client
//! controls the chip: packets by the connection's gate ([`refuses_packet`]) before gdbstub sees
//! them, monitor commands unless they only read ([`Command::is_read_only`]). A refusal names the
//! client that controls the chip when it is given, not the one that did when the observer came.
//!
//! [`Clients`] records who controls and how many observe; the server asks it for a role when a
//! client's first packet arrives.

use std::sync::{Arc, Mutex};

use gdbstub::target::{TargetError, TargetResult};

use super::arch::{CortexMRegId, CortexMRegs};
use super::monitor::Command;
use super::registers;
use super::target::{soft, ChipTarget};

/// How many observers may be connected at once.
pub const MAX_OBSERVERS: usize = 4;

/// What a client may do.
#[derive(Clone, Debug)]
pub enum Role {
    /// It controls the chip: everything.
    Controller,
    /// Another client controls the chip (or did when this one came): read only.
    Observer {
        /// Who controls the chip now.
        clients: Arc<Clients>,
    },
}

impl Role {
    /// The refusal for an observer's request, naming the client in control now; `None` for
    /// the controlling client.
    pub fn refusal(&self) -> Option<String> {
        match self {
            Role::Controller => None,
            Role::Observer { clients } => Some(refusal(clients.controller().as_deref())),
        }
    }
}

/// The registers of the controlling session's last stop (what GDB read when the core stopped).
#[derive(Debug, Default)]
pub struct LastStop(Mutex<Option<CortexMRegs>>);

impl LastStop {
    /// Records the registers the controlling client read.
    pub fn publish(&self, regs: &CortexMRegs) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = Some(regs.clone());
    }

    /// Follows a register the controlling client wrote (GDB sets the pc after `load` this
    /// way), so that observers see what the core will run from.
    pub fn patch(&self, reg: CortexMRegId, val: &[u8]) {
        let mut last = self.0.lock().unwrap_or_else(|p| p.into_inner());
        let Some(regs) = last.as_mut() else {
            return;
        };
        // Not a register of the recorded core, or not a value GDB would send: the record can
        // no longer be trusted.
        if !regs.set.has(reg) || !regs.set(reg, val) {
            *last = None;
        }
    }

    /// Forgets them (a new controlling session starts).
    pub fn clear(&self) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// The registers of the last stop, if any.
    pub fn get(&self) -> Option<CortexMRegs> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// What an observer cannot do.
const OBSERVER_LIMITS: &str =
    "it reads memory and registers but cannot run, step, reset, set breakpoints or write";

/// Why an observer's request was refused, as GDB shows it (no `$`, `#`, `}` or `*`), naming the
/// client in control now (`None`: nobody, the one that was has left).
pub fn refusal(controller: Option<&str>) -> String {
    match controller {
        Some(controller) => format!(
            "another GDB client ({controller}) controls the chip; this client is an observer: {OBSERVER_LIMITS}"
        ),
        None => format!(
            "no GDB client controls the chip now (the one that did has left), but this client connected as an observer and stays one: {OBSERVER_LIMITS}; reconnect to take control"
        ),
    }
}

/// The reply to a refused packet: `E.` and the text (GDB shows it as "Remote failure reply").
pub fn refusal_reply(refusal: &str) -> String {
    format!("E.stm32-opts: {refusal}")
}

/// The reply to a client that finds every observer place taken.
pub fn limit_reply(controller: &str) -> String {
    format!(
        "E.stm32-opts: another GDB client ({controller}) controls the chip and {MAX_OBSERVERS} observers are connected, the most served at once; disconnect one and connect again"
    )
}

/// Whether an observer's packet (its body, between `$` and `#`) is refused: everything that
/// resumes or steps the core, changes breakpoints, watchpoints, registers, memory or flash,
/// or restarts, attaches to or kills the program. Reads, queries, `?`, `vCont?`, `D` (an
/// observer's detach leaves the core alone) and `qRcmd` (checked per command) pass.
pub fn refuses_packet(body: &[u8]) -> bool {
    const REFUSED_PREFIXES: &[&[u8]] = &[
        b"vCont;",
        b"vFlashErase",
        b"vFlashWrite",
        b"vFlashDone",
        b"vRun",
        b"vAttach",
        b"vKill",
        b"bc",
        b"bs",
    ];
    if REFUSED_PREFIXES.iter().any(|p| body.starts_with(p)) {
        return true;
    }
    // One-letter packets: continue, step (with signal), cycle step, breakpoints, register and
    // memory writes, kill, restart.
    matches!(
        body.first(),
        Some(
            b'c' | b'C'
                | b's'
                | b'S'
                | b'i'
                | b'I'
                | b'Z'
                | b'z'
                | b'G'
                | b'P'
                | b'M'
                | b'X'
                | b'k'
                | b'R'
        )
    )
}

impl ChipTarget<'_> {
    /// An `E` reply (and a log line) if this client is an observer.
    pub(crate) fn refuse_if_observer(&self, what: &str) -> TargetResult<(), Self> {
        match self.role().refusal() {
            None => Ok(()),
            Some(why) => {
                log::info!("observer: refused {what}: {why}");
                Err(TargetError::NonFatal)
            }
        }
    }

    /// The registers an observer sees: those of the controlling session's last stop; with
    /// none, those of a halted core (reading them does not disturb it); a running core with no
    /// stop yet gives an error.
    pub(crate) fn observed_registers(&mut self) -> TargetResult<CortexMRegs, Self> {
        if let Some(regs) = self.last_stop_registers() {
            return Ok(regs);
        }
        let set = self.register_set();
        let mut core = soft("core", self.core())?;
        if !soft("core status", core.core_halted())? {
            log::info!("observer: no stop recorded and the core runs: no registers to show");
            return Err(TargetError::NonFatal);
        }
        soft("reading registers", registers::read_all(&mut core, set))
    }

    /// A monitor command for an observer: `Some(text)` to print instead of running it.
    pub(crate) fn observer_monitor_refusal(&self, cmd: &Command) -> Option<String> {
        if cmd.is_read_only() {
            return None;
        }
        self.role().refusal().map(|why| {
            format!(
                "refused: {why}\nobservers may run: {}",
                super::monitor::READ_ONLY_COMMANDS.join(", ")
            )
        })
    }
}

#[derive(Debug, Default)]
struct Seats {
    /// The controlling client's address, and whether it is leaving (its session has ended and
    /// its clean-up runs).
    controller: Option<(String, bool)>,
    observers: usize,
}

/// Who controls the chip and how many observe it.
#[derive(Debug, Default)]
pub struct Clients {
    seats: Mutex<Seats>,
    /// The registers of the controlling session's last stop.
    pub last_stop: LastStop,
}

/// Control of the chip, held by one client; given up when dropped.
pub struct ControlSeat(Arc<Clients>);

/// An observer's place; given up when dropped.
pub struct ObserverSeat(Arc<Clients>);

/// Why a client did not get control.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Busy {
    /// Who controls.
    pub controller: String,
    /// Whether that client is leaving (its clean-up runs): control is free soon.
    pub leaving: bool,
}

impl Clients {
    fn seats(&self) -> std::sync::MutexGuard<'_, Seats> {
        self.seats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Control for `peer` if nobody has it.
    pub fn claim_control(self: &Arc<Self>, peer: &str) -> Result<ControlSeat, Busy> {
        let mut seats = self.seats();
        match &seats.controller {
            Some((controller, leaving)) => Err(Busy {
                controller: controller.clone(),
                leaving: *leaving,
            }),
            None => {
                seats.controller = Some((peer.to_string(), false));
                Ok(ControlSeat(self.clone()))
            }
        }
    }

    /// An observer's place, if fewer than [`MAX_OBSERVERS`] are taken.
    pub fn observe(self: &Arc<Self>) -> Option<ObserverSeat> {
        let mut seats = self.seats();
        if seats.observers >= MAX_OBSERVERS {
            return None;
        }
        seats.observers += 1;
        Some(ObserverSeat(self.clone()))
    }

    /// How many observers are connected.
    pub fn observers(&self) -> usize {
        self.seats().observers
    }

    /// The address of the client in control now, if one is.
    pub fn controller(&self) -> Option<String> {
        self.seats().controller.as_ref().map(|(c, _)| c.clone())
    }
}

impl ControlSeat {
    /// The controlling client's session has ended; its clean-up runs. A client that connects
    /// now waits for control instead of becoming an observer.
    pub fn leaving(&self) {
        if let Some((_, leaving)) = &mut self.0.seats().controller {
            *leaving = true;
        }
    }
}

impl Drop for ControlSeat {
    fn drop(&mut self) {
        self.0.seats().controller = None;
    }
}

impl Drop for ObserverSeat {
    fn drop(&mut self) {
        let mut seats = self.0.seats();
        seats.observers = seats.observers.saturating_sub(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gdb::description::RegisterSet;

    #[test]
    fn observers_may_read_but_not_change() {
        for refused in [
            "c",
            "c08000000",
            "C05",
            "s",
            "S05",
            "vCont;c",
            "vCont;s:1",
            "Z1,8000100,2",
            "z0,8000100,2",
            "Z2,20000000,4",
            "G00",
            "P0=00000000",
            "M20000000,4:00000000",
            "X20000000,0:",
            "vFlashErase:08000000,8000",
            "vFlashWrite:08000000:x",
            "vFlashDone",
            "vRun;",
            "vAttach;1",
            "vKill;1",
            "k",
            "R00",
            "i",
            "bc",
        ] {
            assert!(
                refuses_packet(refused.as_bytes()),
                "{refused} should be refused"
            );
        }
        for allowed in [
            "?",
            "g",
            "p0f",
            "m20000000,4",
            "qSupported:multiprocess+",
            "vCont?",
            "D",
            "D;1",
            "qRcmd,68656c70",
            "qXfer:memory-map:read::0,ffb",
            "Hg0",
            "qAttached:1",
            "T1",
            "vMustReplyEmpty",
            "QStartNoAckMode",
            "qfThreadInfo",
            "!",
        ] {
            assert!(!refuses_packet(allowed.as_bytes()), "{allowed} should pass");
        }
    }

    #[test]
    fn a_register_write_updates_the_last_stop() {
        let last = LastStop::default();
        last.patch(CortexMRegId::Core(15), &0x0800_0040u32.to_le_bytes());
        assert!(last.get().is_none(), "nothing recorded, nothing patched");
        last.publish(&CortexMRegs::default());
        last.patch(CortexMRegId::Core(15), &0x0800_0040u32.to_le_bytes());
        last.patch(CortexMRegId::D(1), &7u64.to_le_bytes());
        last.patch(CortexMRegId::Basepri, &[0x40]);
        let regs = last.get().unwrap();
        assert_eq!(
            (regs.r[15], regs.d[1], regs.basepri),
            (0x0800_0040, 7, 0x40)
        );
        last.patch(CortexMRegId::Xpsr, &[1, 2]);
        assert!(last.get().is_none());

        // An ARMv6-M core's record: its registers follow, one it lacks ends the record.
        last.publish(&CortexMRegs::of(RegisterSet::V6M));
        last.patch(CortexMRegId::Control, &[2]);
        assert_eq!(last.get().unwrap().control, 2);
        last.patch(CortexMRegId::D(0), &7u64.to_le_bytes());
        assert!(last.get().is_none());
    }

    #[test]
    fn refusals_say_who_controls_now_and_fit_a_packet() {
        let reply = refusal_reply(&refusal(Some("127.0.0.1:5000")));
        assert!(reply.starts_with("E."));
        assert!(reply.contains("127.0.0.1:5000") && reply.contains("observer"));
        assert!(!reply.contains(['$', '#', '}', '*']));
        assert!(!limit_reply("x").contains(['$', '#', '}', '*']));
        let nobody = refusal_reply(&refusal(None));
        assert!(
            nobody.contains("no GDB client controls the chip now"),
            "{nobody}"
        );
        assert!(!nobody.contains(['$', '#', '}', '*']));

        let clients = Arc::new(Clients::default());
        let first = clients.claim_control("127.0.0.1:1").unwrap();
        let role = Role::Observer {
            clients: clients.clone(),
        };
        assert!(role.refusal().unwrap().contains("127.0.0.1:1"));
        drop(first);
        assert!(role.refusal().unwrap().contains("no GDB client controls"));
        let _second = clients.claim_control("127.0.0.1:2").unwrap();
        let now = role.refusal().unwrap();
        assert!(
            now.contains("127.0.0.1:2") && !now.contains("127.0.0.1:1"),
            "{now}"
        );
        assert!(Role::Controller.refusal().is_none());
    }

    #[test]
    fn one_controller_and_a_bounded_number_of_observers() {
        let clients = Arc::new(Clients::default());
        let seat = clients.claim_control("a").unwrap();
        let busy = clients.claim_control("b").err().unwrap();
        assert_eq!(busy.controller, "a");
        assert!(!busy.leaving);
        seat.leaving();
        assert!(clients.claim_control("b").err().unwrap().leaving);
        drop(seat);
        let _b = clients.claim_control("b").unwrap();

        let seats: Vec<_> = (0..MAX_OBSERVERS)
            .map(|_| clients.observe().unwrap())
            .collect();
        assert!(clients.observe().is_none());
        drop(seats);
        assert_eq!(clients.observers(), 0);
        assert!(clients.observe().is_some());
    }
}
