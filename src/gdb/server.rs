//! Listening and serving clients: one GDB client at a time, many one after another.
//!
//! A tokio listener accepts connections. A connection touches the chip only once its first
//! packet has arrived: one that closes before, or sends nothing for [`FIRST_PACKET_TIMEOUT`],
//! is dropped and the core is left as it was. The client then waits (at most
//! [`HANDOVER_TIMEOUT`]) for the previous session to finish, and is served by gdbstub's blocking
//! event loop on a blocking-pool thread; a client that connects while another one is being served
//! is told so (an `E` reply to its first packet) and disconnected. When the probe stops
//! answering, the session ends with an error reply; with an opener
//! ([`Server::reopen_with`]) the next client gets a newly opened probe, or a message saying why
//! there is none.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use gdbstub::common::Signal;
use gdbstub::stub::run_blocking::{BlockingEventLoop, Event, WaitForStopReasonError};
use gdbstub::stub::{DisconnectReason, GdbStub};
use probe_rs::Session;
use tokio::sync::{Mutex, Notify};

use super::conn::GdbConnection;
use super::target::{ChipTarget, Exec, StopReason, TargetFault};

/// gdbstub's packet buffer: 16 KiB (advertised as `PacketSize=4000`), so `load` and large reads are
/// not cut into small round trips.
pub const PACKET_BUFFER_SIZE: usize = 16 * 1024;
/// How long the event loop waits for client input between two looks at a running core.
pub const POLL_INTERVAL: Duration = Duration::from_millis(5);

/// The blocking event loop for one client.
struct ChipEventLoop<'s>(std::marker::PhantomData<&'s ()>);

impl<'s> BlockingEventLoop for ChipEventLoop<'s> {
    type Target = ChipTarget<'s>;
    type Connection = GdbConnection;
    type StopReason = StopReason;

    fn wait_for_stop_reason(
        target: &mut ChipTarget<'s>,
        conn: &mut GdbConnection,
    ) -> Result<Event<StopReason>, WaitForStopReasonError<TargetFault, io::Error>> {
        loop {
            if let Some(reason) = target.take_pending_stop() {
                return Ok(Event::TargetStopped(reason));
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
            target.poll_rtt();
            match target.poll_stop() {
                Ok(Some(reason)) => return Ok(Event::TargetStopped(reason)),
                Ok(None) => {}
                Err(e) => return Err(WaitForStopReasonError::Target(e.into())),
            }
        }
    }

    fn on_interrupt(target: &mut ChipTarget<'s>) -> Result<Option<StopReason>, TargetFault> {
        log::debug!("interrupt (Ctrl-C)");
        Ok(Some(target.interrupt().unwrap_or_else(|e| {
            log::warn!("halting on interrupt: {e}");
            StopReason::Signal(Signal::SIGINT)
        })))
    }
}

/// How long a new connection may take to send its first packet. A client that sends nothing
/// (a port check, a stalled tool) is dropped after it, without having touched the chip.
pub const FIRST_PACKET_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a client waits for the chip while the previous session is still finishing (its
/// clean-up runs after its connection has closed). A client that gets no chip in this time is
/// refused: another one is being served.
pub const HANDOVER_TIMEOUT: Duration = Duration::from_secs(3);

/// Opens the chip again after the probe was lost (`stm32-opts gdb` opens it from the probe
/// options, as at start).
pub type SessionOpener = Box<dyn FnMut() -> anyhow::Result<Session> + Send>;

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

/// Serves one client, whose first packet is waiting in `conn`, on `session` until it goes away.
/// The core is halted here, when the session really starts. Never panics on client behaviour.
pub fn serve_client(
    session: &mut Session,
    rtt: &crate::rtt::RttService,
    conn: GdbConnection,
    peer: &str,
) -> SessionEnd {
    let mut target = ChipTarget::new(session).with_rtt(rtt.clone());
    if let Err(e) = target.on_connect() {
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
    let result = stub.run_blocking::<ChipEventLoop<'_>>(&mut target);
    let end = match result {
        Ok(DisconnectReason::Disconnect) => SessionEnd::Detached,
        Ok(DisconnectReason::Kill) => SessionEnd::Killed,
        Ok(other) => SessionEnd::Dropped(format!("{other:?}")),
        Err(e) => SessionEnd::Dropped(e.to_string()),
    };
    let resume = matches!(end, SessionEnd::Detached);
    if let Err(e) = target.on_disconnect(resume) {
        log::warn!("{peer}: cleaning up after the session: {e}");
        return SessionEnd::ProbeLost(format!("{end:?}; then cleaning up: {e}"));
    }
    end
}

/// The refusal a second client gets, as the reply to its first packet. GDB shows an `E.text`
/// reply to qSupported as "Remote failure reply: E.text".
pub fn refusal_text(holder: &str) -> String {
    format!(
        "E.stm32-opts: another GDB client ({holder}) is using the chip; one client at a time is served"
    )
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

/// The chip as the server holds it: the session (none once the probe was lost and could not be
/// opened again) and how to open it again.
struct ChipSlot {
    session: Option<Session>,
    opener: Option<SessionOpener>,
    rtt: crate::rtt::RttService,
}

impl ChipSlot {
    /// The session, opened again first if the probe was lost.
    fn session(&mut self) -> Result<&mut Session, String> {
        if self.session.is_none() {
            let opener = self
                .opener
                .as_mut()
                .ok_or("the probe was lost and there is no way to open it again")?;
            log::info!("opening the probe again");
            let session =
                opener().map_err(|e| format!("the probe was lost; opening it again: {e:#}"))?;
            self.session = Some(session);
        }
        Ok(self.session.as_mut().expect("just opened"))
    }
}

/// The GDB server: a bound listener and the chip.
pub struct Server {
    listener: std::net::TcpListener,
    session: Session,
    opener: Option<SessionOpener>,
    rtt: crate::rtt::RttService,
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
        Ok(Server::from_listener(listener, session))
    }

    /// A server on a listener that is already bound (so the address can be taken before the
    /// chip is opened).
    pub fn from_listener(listener: std::net::TcpListener, session: Session) -> Server {
        let ram = crate::rtt::scan::ram_regions(&session.target().memory_map);
        Server {
            listener,
            session,
            opener: None,
            rtt: crate::rtt::RttService::new(ram),
        }
    }

    /// The server's RTT service (`monitor rtt`, `--rtt`), shared by all its clients.
    pub fn rtt(&self) -> crate::rtt::RttService {
        self.rtt.clone()
    }

    /// How to open the chip again when the probe is lost: the session is then dropped, and the
    /// next client that connects gets a new one (or a message saying why there is none).
    /// Without an opener the server keeps the session it has.
    pub fn reopen_with(mut self, opener: SessionOpener) -> Server {
        self.opener = Some(opener);
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
        let chip = ChipSlot {
            session: Some(self.session),
            opener: self.opener,
            rtt: self.rtt,
        };
        runtime.block_on(accept_loop(self.listener, chip, shutdown))
    }
}

/// The chip, and who holds it.
#[derive(Clone)]
struct Shared {
    chip: Arc<Mutex<ChipSlot>>,
    holder: Arc<std::sync::Mutex<String>>,
}

async fn accept_loop(
    listener: std::net::TcpListener,
    chip: ChipSlot,
    shutdown: Arc<Notify>,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let shared = Shared {
        chip: Arc::new(Mutex::new(chip)),
        holder: Arc::new(std::sync::Mutex::new(String::new())),
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
        let std_stream = match stream.into_std().and_then(|s| {
            s.set_nonblocking(false)?;
            Ok(s)
        }) {
            Ok(s) => s,
            Err(e) => {
                log::warn!("{peer}: {e}");
                continue;
            }
        };
        connections.spawn(connection(shared.clone(), std_stream, peer));
    }
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// One connection: its first packet, then the chip (waiting for the previous session to hand
/// it over) or a refusal.
async fn connection(shared: Shared, stream: std::net::TcpStream, peer: SocketAddr) {
    let first = tokio::task::spawn_blocking(move || {
        let mut conn = GdbConnection::new(stream, PACKET_BUFFER_SIZE)?;
        Ok::<_, io::Error>(conn.wait_for_packet(FIRST_PACKET_TIMEOUT)?.then_some(conn))
    })
    .await;
    let conn = match first {
        Ok(Ok(Some(conn))) => conn,
        Ok(Ok(None)) => {
            log::info!(
                "{peer} sent no packet within {} s: disconnected (the chip was not touched)",
                FIRST_PACKET_TIMEOUT.as_secs()
            );
            return;
        }
        Ok(Err(e)) => {
            log::debug!("{peer} closed before its first packet ({e}): the chip was not touched");
            return;
        }
        Err(e) => {
            log::warn!("{peer}: {e}");
            return;
        }
    };
    let guard = match tokio::time::timeout(HANDOVER_TIMEOUT, shared.chip.clone().lock_owned()).await
    {
        Ok(guard) => guard,
        Err(_) => {
            let who = shared.holder.lock().unwrap().clone();
            log::warn!("refusing GDB client {peer}: {who} is connected");
            let _ = tokio::task::spawn_blocking(move || {
                conn.reply_and_close(packet(&refusal_text(&who)).as_bytes())
            })
            .await;
            return;
        }
    };
    *shared.holder.lock().unwrap() = peer.to_string();
    let served = tokio::task::spawn_blocking(move || serve_holding(guard, conn, peer)).await;
    if let Err(e) = served {
        log::error!("GDB client {peer}: the session task failed: {e}");
    }
}

/// Serves a client with the chip held.
fn serve_holding(
    mut guard: tokio::sync::OwnedMutexGuard<ChipSlot>,
    conn: GdbConnection,
    peer: SocketAddr,
) {
    let peer = peer.to_string();
    let rtt = guard.rtt.clone();
    let session = match guard.session() {
        Ok(session) => session,
        Err(why) => {
            log::warn!("GDB client {peer}: {why}");
            conn.reply_and_close(packet(&probe_lost_text(&why)).as_bytes());
            return;
        }
    };
    log::info!("GDB client {peer} connected");
    match serve_client(session, &rtt, conn, &peer) {
        SessionEnd::Detached => log::info!("GDB client {peer} detached (core resumed)"),
        SessionEnd::Killed => log::info!("GDB client {peer} killed the session"),
        SessionEnd::Dropped(why) => {
            log::info!("GDB client {peer} disconnected: {why} (core halted)")
        }
        SessionEnd::ProbeLost(why) => {
            log::warn!("GDB client {peer}: the probe was lost: {why}");
            if guard.opener.is_some() {
                // Drop the broken session now; the next client gets a new one.
                guard.session = None;
            }
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
        let refusal = refusal_text("127.0.0.1:5000");
        assert!(refusal.starts_with("E."));
        assert!(!refusal.contains(['$', '#', '}', '*']));
    }

    #[test]
    fn conn_read_is_gdbstub_compatible() {
        // Compile-time check that the connection satisfies gdbstub's blocking loop.
        fn needs_ext<C: gdbstub::conn::ConnectionExt>() {}
        needs_ext::<GdbConnection>();
    }
}
