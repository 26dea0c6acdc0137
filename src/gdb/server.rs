//! Listening and serving clients: one controlling GDB client, and observers beside it.
//!
//! A tokio listener accepts connections. A connection touches the chip only once its first
//! packet has arrived ([`super::admission`]: asynchronous, at most
//! [`super::admission::MAX_WAITING`] waiting): one that closes before, or sends nothing for
//! [`FIRST_PACKET_TIMEOUT`], is dropped and the core is left as it was. Then it gets a role
//! ([`Clients`]): the first
//! client controls the chip (the core is halted for it, as GDB expects); while it does, further
//! clients are observers ([`super::observer`]): they leave the core as it is, read memory and
//! see the last stop's registers, and are refused anything that changes the chip. A client
//! that connects while the controlling one is finishing waits (at most [`HANDOVER_TIMEOUT`])
//! and takes control. At most [`MAX_OBSERVERS`] observers are served; more get an `E` reply to
//! their first packet.
//!
//! Each client is served by gdbstub's state machine on a blocking-pool thread, all of them on
//! one [`SharedChip`]: a client takes the chip while gdbstub answers one of its packets (or
//! looks once at a running core) and gives it back before it sends the reply or waits for its
//! socket, so a client that stops reading stalls only itself. In extended mode the session
//! outlives the program's end (semihosting SYS_EXIT): GDB may `run` it again. When the
//! probe stops answering, the controlling session ends with an error reply; with an opener
//! ([`Server::reopen_with`]) the next controlling client gets a newly opened probe, or a
//! message saying why there is none.

use crate::family::Family;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gdbstub::common::Signal;
use gdbstub::conn::ConnectionExt;
use gdbstub::stub::run_blocking::{Event, WaitForStopReasonError};
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, GdbStub};
use probe_rs::Session;
use tokio::sync::Notify;

use super::admission::{self, FirstPacket, WaitingRoom};
use super::conn::{Framer, GdbConnection};
use super::observer::{self, Clients, LastStop, Role, MAX_OBSERVERS};
pub use super::shared::SessionOpener;
use super::shared::SharedChip;
use super::target::{ChipTarget, Exec, StopReason, TargetFault};
use crate::rtt::RttService;

/// gdbstub's packet buffer: 16 KiB (advertised as `PacketSize=4000`), so `load` and large reads are
/// not cut into small round trips.
pub const PACKET_BUFFER_SIZE: usize = 16 * 1024;
/// How long the event loop waits for client input between two looks at a running core.
pub const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// Waits for the running core to stop or for client input, holding the chip only for each
/// look at the core. Console output is sent with the chip given back: a client that does not
/// read it stalls this loop (and a program waiting to print) but no other client.
fn wait_for_stop_reason(
    target: &mut ChipTarget<'_>,
    conn: &mut GdbConnection,
) -> Result<Event<StopReason>, WaitForStopReasonError<TargetFault, io::Error>> {
    loop {
        target.release();
        // Console output of the semihosting calls served so far reaches GDB first.
        target
            .forward_console_output(conn)
            .and_then(|()| conn.drain())
            .map_err(WaitForStopReasonError::Connection)?;
        if let Some(reason) = target.take_pending_stop() {
            return stopped(target, conn, reason);
        }
        // Waiting for input is the pause between two looks at the core; Ctrl-C arrives here.
        match conn.poll(POLL_INTERVAL) {
            Ok(Some(byte)) => return Ok(Event::IncomingData(byte)),
            Ok(None) => {}
            Err(e) => return Err(WaitForStopReasonError::Connection(e)),
        }
        if target.exec != Exec::Running {
            continue;
        }
        match target.poll_stop() {
            Ok(Some(reason)) => return stopped(target, conn, reason),
            Ok(None) => {}
            Err(e) => return Err(WaitForStopReasonError::Target(e.into())),
        }
    }
}

/// Reports a stop, the decoded defmt lines first when GDB is to see them at each stop.
fn stopped(
    target: &mut ChipTarget<'_>,
    conn: &mut GdbConnection,
    reason: StopReason,
) -> Result<Event<StopReason>, WaitForStopReasonError<TargetFault, io::Error>> {
    target
        .forward_defmt_at_stop(conn)
        .map_err(WaitForStopReasonError::Connection)?;
    Ok(Event::TargetStopped(reason))
}

/// The stop to report for Ctrl-C. An observer's core is never halted by it.
fn on_interrupt(target: &mut ChipTarget<'_>) -> Option<StopReason> {
    if target.is_observer() {
        log::info!("observer: ignoring an interrupt (Ctrl-C)");
        return None;
    }
    log::debug!("interrupt (Ctrl-C)");
    Some(target.interrupt().unwrap_or_else(|e| {
        log::warn!("halting on interrupt: {e}");
        StopReason::Signal(Signal::SIGINT)
    }))
}

/// The connection of the state machine, whatever its state.
fn conn_of<'a, 's>(
    gdb: &'a mut GdbStubStateMachine<'_, ChipTarget<'s>, GdbConnection>,
) -> &'a mut GdbConnection {
    match gdb {
        GdbStubStateMachine::Idle(gdb) => gdb.borrow_conn(),
        GdbStubStateMachine::Running(gdb) => gdb.borrow_conn(),
        GdbStubStateMachine::CtrlCInterrupt(gdb) => gdb.borrow_conn(),
        GdbStubStateMachine::Disconnected(gdb) => gdb.borrow_conn(),
    }
}

/// gdbstub's event loop, run so that the chip is held only while a packet is answered: the
/// reply is sent to the client, and the next byte read, with the chip given back.
fn run_session<'s>(
    stub: GdbStub<'_, ChipTarget<'s>, GdbConnection>,
    target: &mut ChipTarget<'s>,
) -> Result<DisconnectReason, String> {
    let mut gdb = stub.run_state_machine(target).map_err(|e| e.to_string());
    loop {
        // The packet is answered: let the others have the chip, then send the reply.
        target.release();
        let mut current = gdb?;
        conn_of(&mut current)
            .drain()
            .map_err(|e| format!("connection: {e}"))?;
        let next = match current {
            GdbStubStateMachine::Idle(mut gdb) => {
                let byte = gdb.borrow_conn().read().map_err(|e| e.to_string())?;
                gdb.incoming_data(target, byte)
            }
            GdbStubStateMachine::Running(mut gdb) => {
                match wait_for_stop_reason(target, gdb.borrow_conn()) {
                    Ok(Event::TargetStopped(reason)) => gdb.report_stop(target, reason),
                    Ok(Event::IncomingData(byte)) => gdb.incoming_data(target, byte),
                    Err(WaitForStopReasonError::Target(e)) => {
                        target.release();
                        return Err(format!("target: {e}"));
                    }
                    Err(WaitForStopReasonError::Connection(e)) => {
                        target.release();
                        return Err(format!("connection: {e}"));
                    }
                }
            }
            GdbStubStateMachine::CtrlCInterrupt(gdb) => {
                let stop = on_interrupt(target);
                gdb.interrupt_handled(target, stop)
            }
            GdbStubStateMachine::Disconnected(gdb) => match gdb.get_reason() {
                // gdbstub ends the session after reporting the program's end; in extended
                // mode GDB keeps the connection and may `run` again, so the session goes on.
                DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_)
                    if target.is_extended() =>
                {
                    log::info!("the program ended; the extended-remote session goes on (`run` starts it again)");
                    let mut gdb = gdb.return_to_idle();
                    conn_of(&mut gdb).program_ended();
                    Ok(gdb)
                }
                reason => return Ok(reason),
            },
        };
        gdb = next.map_err(|e| e.to_string());
    }
}

/// How long a new connection may take to send its first packet. A client that sends nothing
/// (a port check, a stalled tool) is dropped after it, without having touched the chip.
pub const FIRST_PACKET_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client waits for the chip while the previous session is still finishing (its
/// clean-up runs after its connection has closed). A client that gets no chip in this time is
/// refused: another one is being served.
pub const HANDOVER_TIMEOUT: Duration = Duration::from_secs(3);

/// How a client session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// GDB detached: the core was resumed.
    Detached,
    /// GDB killed the target (outside extended mode).
    Killed,
    /// The connection ended otherwise (closed, broken, protocol error): the core is halted.
    Dropped(String),
    /// The probe stopped answering: the session could not start, or not be cleaned up.
    ProbeLost(String),
}

/// Serves one client, whose first packet is waiting in `conn`, on `chip` until it goes away.
/// A controlling client's core is halted here, when the session really starts; an observer's
/// is left alone. `ended` runs when the client's session has ended, before the clean-up.
/// Never panics on client behaviour.
pub fn serve_client(
    chip: &SharedChip,
    last_stop: &LastStop,
    role: Role,
    rtt: &RttService,
    mut conn: GdbConnection,
    peer: &str,
    ended: impl FnOnce(),
) -> SessionEnd {
    if let Role::Observer { .. } = &role {
        let role = role.clone();
        let gate = Box::new(move |body: &[u8]| {
            observer::refuses_packet(body)
                .then(|| role.refusal())
                .flatten()
                .map(|why| observer::refusal_reply(&why))
        });
        if let Err(e) = conn.set_gate(gate) {
            return SessionEnd::Dropped(e.to_string());
        }
    }
    if matches!(role, Role::Controller) {
        // GDB offers symbol lookups once it has the ELF: `_SEGGER_RTT` tells RTT where to attach.
        let rtt = rtt.clone();
        conn.set_symbol_lookup(Box::new(move |body: &[u8]| {
            super::symbols::answer(body, &rtt)
        }));
    }
    let mut target = match ChipTarget::new(chip, last_stop, role) {
        Ok(target) => target.with_rtt(rtt.clone()),
        Err(e) => {
            log::warn!("{peer}: the probe does not answer: {e}");
            conn.reply_and_close(packet(&probe_lost_text(&e.to_string())).as_bytes());
            return SessionEnd::ProbeLost(e.to_string());
        }
    };
    let connected = target.on_connect();
    target.release();
    if let Err(e) = connected {
        log::warn!("{peer}: the probe does not answer: {e}");
        conn.reply_and_close(packet(&probe_lost_text(&e.to_string())).as_bytes());
        return SessionEnd::ProbeLost(e.to_string());
    }
    let stub = match GdbStub::<ChipTarget<'_>, GdbConnection>::builder(conn)
        .packet_buffer_size(PACKET_BUFFER_SIZE)
        .build()
    {
        Ok(stub) => stub,
        Err(e) => return SessionEnd::Dropped(format!("gdbstub: {e:?}")),
    };
    let result = run_session(stub, &mut target);
    ended();
    let end = match result {
        Ok(DisconnectReason::Disconnect) => SessionEnd::Detached,
        Ok(DisconnectReason::Kill) => SessionEnd::Killed,
        Ok(other) => SessionEnd::Dropped(format!("{other:?}")),
        Err(e) => SessionEnd::Dropped(e),
    };
    let resume = matches!(end, SessionEnd::Detached);
    let cleaned = target.on_disconnect(resume);
    target.release();
    if let Err(e) = cleaned {
        log::warn!("{peer}: cleaning up after the session: {e}");
        return SessionEnd::ProbeLost(format!("{end:?}; then cleaning up: {e}"));
    }
    end
}

/// The reply to a client's first packet when the probe does not answer.
pub fn probe_lost_text(why: &str) -> String {
    let why: String = why.chars().filter(|c| !"$#}*".contains(*c)).collect();
    format!(
        "E.stm32-opts: the debug probe does not answer ({why}); check the probe and its connection, then connect again"
    )
}

fn packet(body: &str) -> String {
    let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    format!("${body}#{sum:02x}")
}

/// The GDB server: a bound listener and the chip.
pub struct Server {
    listener: std::net::TcpListener,
    chip: SharedChip,
    rtt: RttService,
}

/// A server running on a background thread (for tests and benchmarks).
pub struct ServerHandle {
    addr: SocketAddr,
    shutdown: Arc<Notify>,
    thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl ServerHandle {
    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops accepting, waits for the client being served (if any) to finish, and returns.
    pub fn shutdown(mut self) -> anyhow::Result<()> {
        self.stop()
    }

    fn stop(&mut self) -> anyhow::Result<()> {
        self.shutdown.notify_one();
        match self.thread.take() {
            Some(t) => t
                .join()
                .map_err(|_| anyhow::anyhow!("the GDB server thread panicked"))?,
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) for the chip behind `session`.
    pub fn bind(session: Session, addr: SocketAddr) -> io::Result<Server> {
        let listener = std::net::TcpListener::bind(addr)?;
        Server::from_listener(listener, session)
    }

    /// A server on a listener that is already bound (so the address can be taken before the
    /// chip is opened). The chip's family is decided here, once, from the session's target;
    /// a target of no supported family is refused.
    pub fn from_listener(listener: std::net::TcpListener, session: Session) -> io::Result<Server> {
        let name = session.target().name.clone();
        let family = Family::for_target(&name).ok_or_else(|| {
            io::Error::other(format!(
                "`{name}` is not a part of a supported family ({})",
                crate::chip::family::names()
            ))
        })?;
        let memory_map = &session.target().memory_map;
        let ram = crate::rtt::scan::ram_regions(memory_map);
        let readable = crate::rtt::scan::readable_regions(memory_map);
        Ok(Server {
            listener,
            chip: SharedChip::new(session, family),
            rtt: RttService::new(ram, readable),
        })
    }

    /// The server's RTT service (`monitor rtt`, `--rtt`), shared by its clients. Its poller runs
    /// once the server serves, beside the clients, with or without one connected.
    pub fn rtt(&self) -> RttService {
        self.rtt.clone()
    }

    /// The chip the server serves, for services that run beside the GDB clients (each takes it
    /// for one short operation at a time).
    pub fn chip(&self) -> SharedChip {
        self.chip.clone()
    }

    /// How to open the chip again when the probe is lost: the session is then dropped, and the
    /// next client that connects gets a new one (or a message saying why there is none).
    /// Without an opener the server keeps the session it has.
    pub fn reopen_with(self, opener: SessionOpener) -> Server {
        self.chip.reopen_with(opener);
        self
    }

    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves clients until the process ends.
    pub fn serve_forever(self) -> anyhow::Result<()> {
        self.serve_until(Arc::new(Notify::new()))
    }

    /// Runs the server on a background thread.
    pub fn spawn(self) -> io::Result<ServerHandle> {
        let addr = self.local_addr()?;
        let shutdown = Arc::new(Notify::new());
        let stop = shutdown.clone();
        let thread = std::thread::Builder::new()
            .name("gdb-server".into())
            .spawn(move || self.serve_until(stop))?;
        Ok(ServerHandle {
            addr,
            shutdown,
            thread: Some(thread),
        })
    }

    fn serve_until(self, shutdown: Arc<Notify>) -> anyhow::Result<()> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()?;
        self.rtt.spawn_poller(Arc::new(self.chip.clone()))?;
        runtime.block_on(accept_loop(self.listener, self.chip, self.rtt, shutdown))
    }
}

/// The chip, and who uses it.
#[derive(Clone)]
struct Shared {
    chip: SharedChip,
    clients: Arc<Clients>,
    rtt: RttService,
    /// Connections waiting for their first packet.
    waiting: Arc<WaitingRoom>,
}

/// How long a new client waits for control while another client controls the chip, before it
/// becomes an observer: covers a controlling client that has just closed its connection but
/// whose end the server has not yet seen.
pub const OBSERVER_GRACE: Duration = Duration::from_millis(300);

async fn accept_loop(
    listener: std::net::TcpListener,
    chip: SharedChip,
    rtt: RttService,
    shutdown: Arc<Notify>,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let shared = Shared {
        chip,
        clients: Arc::new(Clients::default()),
        rtt,
        waiting: Arc::new(WaitingRoom::default()),
    };
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    log::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.notified() => break,
        };
        // Reap the connections that have ended.
        while connections.try_join_next().is_some() {}
        connections.spawn(connection(shared.clone(), stream, peer));
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// One connection: its first packet, then its role (waiting for the previous controlling
/// session to hand over), then the session. Everything before the session is asynchronous: a
/// connection costs a thread only once it is served.
async fn connection(shared: Shared, mut stream: tokio::net::TcpStream, peer: SocketAddr) {
    let place = shared.waiting.enter();
    let framer = match admission::first_packet(
        &mut stream,
        &place,
        FIRST_PACKET_TIMEOUT,
        PACKET_BUFFER_SIZE,
    )
    .await
    {
        FirstPacket::Arrived(framer) => framer,
        FirstPacket::Silent => {
            log::info!(
                "{peer} sent no packet within {} s: disconnected (the chip was not touched)",
                FIRST_PACKET_TIMEOUT.as_secs()
            );
            return;
        }
        FirstPacket::Evicted => {
            log::debug!("{peer} sent no packet and newer connections need its place: disconnected");
            return;
        }
        FirstPacket::Closed(e) => {
            log::debug!("{peer} closed before its first packet ({e}): the chip was not touched");
            return;
        }
    };
    drop(place);
    let peer_name = peer.to_string();
    let arrived = Instant::now();
    let controller = loop {
        match shared.clients.claim_control(&peer_name) {
            Ok(seat) => {
                let Some(conn) = session_connection(stream, framer, &peer) else {
                    return;
                };
                let served = tokio::task::spawn_blocking(move || {
                    serve_controller(&shared, seat, conn, &peer_name)
                })
                .await;
                if let Err(e) = served {
                    log::error!("GDB client {peer}: the session task failed: {e}");
                }
                return;
            }
            Err(busy) => {
                let wait = if busy.leaving {
                    HANDOVER_TIMEOUT
                } else {
                    OBSERVER_GRACE
                };
                if arrived.elapsed() >= wait {
                    break busy.controller;
                }
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let Some(seat) = shared.clients.observe() else {
        log::warn!(
            "refusing GDB client {peer}: {controller} controls the chip and {MAX_OBSERVERS} observers are connected"
        );
        admission::refuse(
            stream,
            packet(&observer::limit_reply(&controller)).as_bytes(),
        )
        .await;
        return;
    };
    let Some(conn) = session_connection(stream, framer, &peer) else {
        return;
    };
    let served = tokio::task::spawn_blocking(move || {
        let _seat = seat;
        log::info!("GDB client {peer} connected as an observer ({controller} controls the chip)");
        let role = Role::Observer {
            clients: shared.clients.clone(),
        };
        let last_stop = &shared.clients.last_stop;
        match serve_client(
            &shared.chip,
            last_stop,
            role,
            &shared.rtt,
            conn,
            &peer_name,
            || {},
        ) {
            SessionEnd::ProbeLost(why) => log::warn!("observer {peer}: the probe was lost: {why}"),
            end => log::info!("observer {peer} left ({end:?}); the core was not touched"),
        }
    })
    .await;
    if let Err(e) = served {
        log::error!("GDB client {peer}: the session task failed: {e}");
    }
}

/// The blocking connection a session is served on, with what the framing guard has taken.
fn session_connection(
    stream: tokio::net::TcpStream,
    framer: Framer,
    peer: &SocketAddr,
) -> Option<GdbConnection> {
    let conn = stream
        .into_std()
        .and_then(|s| {
            s.set_nonblocking(false)?;
            Ok(s)
        })
        .and_then(|s| GdbConnection::from_framer(s, framer));
    match conn {
        Ok(conn) => Some(conn),
        Err(e) => {
            log::warn!("{peer}: {e}");
            None
        }
    }
}

/// Serves the controlling client.
fn serve_controller(shared: &Shared, seat: observer::ControlSeat, conn: GdbConnection, peer: &str) {
    let chip = &shared.chip;
    if let Err(why) = chip.reopen_if_lost() {
        log::warn!("GDB client {peer}: {why}");
        conn.reply_and_close(packet(&probe_lost_text(&why)).as_bytes());
        return;
    }
    log::info!("GDB client {peer} connected (controls the chip)");
    let end = serve_client(
        chip,
        &shared.clients.last_stop,
        Role::Controller,
        &shared.rtt,
        conn,
        peer,
        || seat.leaving(),
    );
    match end {
        SessionEnd::Detached => log::info!("GDB client {peer} detached (core resumed)"),
        SessionEnd::Killed => log::info!("GDB client {peer} killed the session"),
        SessionEnd::Dropped(why) => {
            log::info!("GDB client {peer} disconnected: {why} (core halted)")
        }
        SessionEnd::ProbeLost(why) => {
            log::warn!("GDB client {peer}: the probe was lost: {why}");
            // Drop the broken session now (if it can be opened again); the next controlling
            // client gets a new one.
            chip.drop_session(&why);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packets_carry_their_checksum() {
        assert_eq!(packet("E01"), "$E01#a6");
        assert_eq!(packet("OK"), "$OK#9a");
        let lost = probe_lost_text("gone $#");
        assert!(lost.starts_with("E."));
        assert!(!lost.contains(['$', '#', '}', '*']));
    }

    #[test]
    fn conn_read_is_gdbstub_compatible() {
        // Compile-time check that the connection satisfies gdbstub's blocking loop.
        fn needs_ext<C: gdbstub::conn::ConnectionExt>() {}
        needs_ext::<GdbConnection>();
    }
}
