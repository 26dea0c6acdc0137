//! Listening and serving clients: one GDB client at a time, many one after another.
//!
//! A tokio listener accepts connections. The client that gets the chip is served by gdbstub's
//! blocking event loop on a blocking-pool thread; a client that connects while another one is
//! being served is told so (a console message and an `E` reply) and disconnected.

use std::io::{self, Read, Write};
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
            // Console output of the semihosting calls served so far reaches GDB first.
            target
                .forward_console_output(conn)
                .map_err(WaitForStopReasonError::Connection)?;
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

/// How a client session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// GDB detached: the core was resumed.
    Detached,
    /// GDB killed the target (outside extended mode).
    Killed,
    /// The connection ended otherwise (closed, broken, protocol error): the core is halted.
    Dropped(String),
}

/// Serves one client on `session` until it goes away. Never panics on client behaviour.
pub fn serve_client(session: &mut Session, stream: std::net::TcpStream) -> SessionEnd {
    let peer = stream
        .peer_addr()
        .map_or("unknown peer".to_string(), |a| a.to_string());
    let conn = match GdbConnection::new(stream, PACKET_BUFFER_SIZE) {
        Ok(c) => c,
        Err(e) => return SessionEnd::Dropped(format!("setting up the connection: {e}")),
    };
    let mut target = ChipTarget::new(session);
    if let Err(e) = target.on_connect() {
        log::warn!("{peer}: halting the core on connect: {e}");
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

/// Answers a client's first packet with the refusal, then closes the connection.
fn refuse(mut stream: std::net::TcpStream, holder: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    // Wait for the client's first packet (usually qSupported) so the refusal is its reply.
    let mut buf = [0u8; 1024];
    let _ = Read::read(&mut stream, &mut buf);
    let _ = Write::write_all(&mut stream, b"+");
    let _ = Write::write_all(&mut stream, packet(&refusal_text(holder)).as_bytes());
    let _ = Write::flush(&mut stream);
    let _ = stream.shutdown(std::net::Shutdown::Write);
    // Give the client a moment to read before the socket goes away.
    let _ = Read::read(&mut stream, &mut buf);
}

fn packet(body: &str) -> String {
    let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    format!("${body}#{sum:02x}")
}

/// The GDB server: a bound listener and the chip.
pub struct Server {
    listener: std::net::TcpListener,
    session: Session,
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
        Ok(Server { listener, session })
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
        runtime.block_on(accept_loop(self.listener, self.session, shutdown))
    }
}

async fn accept_loop(
    listener: std::net::TcpListener,
    session: Session,
    shutdown: Arc<Notify>,
) -> anyhow::Result<()> {
    listener.set_nonblocking(true)?;
    let listener = tokio::net::TcpListener::from_std(listener)?;
    // The chip, and who holds it.
    let chip = Arc::new(Mutex::new(session));
    let holder = Arc::new(std::sync::Mutex::new(String::new()));
    let mut active: Option<tokio::task::JoinHandle<()>> = None;
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
        match chip.clone().try_lock_owned() {
            Ok(mut guard) => {
                *holder.lock().unwrap() = peer.to_string();
                log::info!("GDB client {peer} connected");
                active = Some(tokio::task::spawn_blocking(move || {
                    let end = serve_client(&mut guard, std_stream);
                    match &end {
                        SessionEnd::Detached => {
                            log::info!("GDB client {peer} detached (core resumed)")
                        }
                        SessionEnd::Killed => log::info!("GDB client {peer} killed the session"),
                        SessionEnd::Dropped(why) => {
                            log::info!("GDB client {peer} disconnected: {why} (core halted)")
                        }
                    }
                }));
            }
            Err(_) => {
                let who = holder.lock().unwrap().clone();
                log::warn!("refusing GDB client {peer}: {who} is connected");
                tokio::task::spawn_blocking(move || refuse(std_stream, &who));
            }
        }
    }
    if let Some(task) = active {
        let _ = task.await;
    }
    Ok(())
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
