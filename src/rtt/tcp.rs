//! A loopback TCP server for one RTT channel (`rtt server start PORT CHANNEL`).
//!
//! One client at a time; a second one is told so in one line and closed. Each client has two
//! threads, so that socket I/O never runs on the poller: a writer that sends what the poller
//! queued (up-channel bytes, at most [`CLIENT_BUFFER`] waiting), and a reader that queues what
//! the client sends (down-channel bytes, at most [`INBOUND_BUFFER`] waiting; beyond that the
//! reader stops reading and TCP flow control slows the client down).

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::queue::ByteQueue;

/// Up-channel bytes waiting for one client, at most.
pub const CLIENT_BUFFER: usize = 64 * 1024;
/// Client bytes waiting for the down channel, at most.
pub const INBOUND_BUFFER: usize = 4 * 1024;
/// How often the threads look at their stop flags.
const TICK: Duration = Duration::from_millis(50);

/// A connected client of a channel server.
#[derive(Debug)]
pub struct Client {
    /// Its address.
    pub peer: SocketAddr,
    /// Up-channel bytes for it.
    pub to_client: ByteQueue,
    /// Bytes it sent, for the down channel.
    pub from_client: ByteQueue,
    /// Since when its buffer has been full.
    stalled_since: Mutex<Option<Instant>>,
    stream: TcpStream,
    channel: usize,
}

impl Client {
    /// Whether it is still connected.
    pub fn is_connected(&self) -> bool {
        !self.to_client.is_closed()
    }

    /// Records whether its buffer is full now. A client whose buffer stays full for `limit` is
    /// disconnected with a log line (the firmware would otherwise wait for it, or drop its
    /// output, forever); returns whether that happened.
    pub fn note_full(&self, full: bool, limit: Duration) -> bool {
        let mut since = self.stalled_since.lock().unwrap_or_else(|e| e.into_inner());
        if !full {
            *since = None;
            return false;
        }
        let start = *since.get_or_insert_with(Instant::now);
        if start.elapsed() < limit {
            return false;
        }
        log::warn!(
            "RTT channel {}: client {} has not read for {} s with {} KB waiting: disconnected",
            self.channel,
            self.peer,
            limit.as_secs(),
            CLIENT_BUFFER / 1024
        );
        self.disconnect();
        true
    }

    /// Ends the connection (the threads end on their own).
    pub fn disconnect(&self) {
        if !self.to_client.is_closed() {
            log::info!(
                "RTT channel {}: client {} disconnected",
                self.channel,
                self.peer
            );
        }
        self.to_client.close();
        self.from_client.close();
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

#[derive(Debug, Default)]
struct Shared {
    stop: AtomicBool,
    client: Mutex<Option<Arc<Client>>>,
}

/// A listening channel server.
#[derive(Debug)]
pub struct ChannelServer {
    channel: usize,
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept_thread: Option<JoinHandle<()>>,
}

impl ChannelServer {
    /// Listens on 127.0.0.1:`port` (0 picks a free port) for channel `channel`.
    pub fn bind(port: u16, channel: usize) -> io::Result<ChannelServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let accept_shared = shared.clone();
        let accept_thread = std::thread::Builder::new()
            .name(format!("rtt-server-{}", addr.port()))
            .spawn(move || accept_loop(listener, channel, accept_shared))?;
        log::info!("RTT channel {channel}: listening on {addr}");
        Ok(ChannelServer {
            channel,
            addr,
            shared,
            accept_thread: Some(accept_thread),
        })
    }

    /// The channel it serves.
    pub fn channel(&self) -> usize {
        self.channel
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The connected client, if any.
    pub fn client(&self) -> Option<Arc<Client>> {
        let mut client = self.shared.client.lock().unwrap_or_else(|e| e.into_inner());
        if client.as_ref().is_some_and(|c| !c.is_connected()) {
            *client = None;
        }
        client.clone()
    }

    fn shut(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.accept_thread.take() {
            let _ = t.join();
        }
        if let Some(c) = self.client() {
            c.disconnect();
        }
    }
}

impl Drop for ChannelServer {
    fn drop(&mut self) {
        self.shut();
        log::info!(
            "RTT channel {}: stopped listening on {}",
            self.channel,
            self.addr
        );
    }
}

fn accept_loop(listener: TcpListener, channel: usize, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                if let Err(e) = admit(stream, peer, channel, &shared) {
                    log::warn!("RTT channel {channel}: client {peer}: {e}");
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(TICK),
            Err(e) => {
                log::warn!("RTT channel {channel}: accepting a client: {e}");
                std::thread::sleep(TICK);
            }
        }
    }
}

fn admit(
    mut stream: TcpStream,
    peer: SocketAddr,
    channel: usize,
    shared: &Shared,
) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    let mut slot = shared.client.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(current) = slot.as_ref().filter(|c| c.is_connected()).map(|c| c.peer) {
        // The poller looks at the slot: never write to a socket while holding it.
        drop(slot);
        log::info!("RTT channel {channel}: refusing {peer}: {current} is connected");
        stream.set_write_timeout(Some(Duration::from_secs(1)))?;
        let _ = writeln!(
            stream,
            "stm32-opts: RTT channel {channel} already has a client ({current}); one at a time"
        );
        return Ok(());
    }
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(TICK))?;
    let client = Arc::new(Client {
        peer,
        to_client: ByteQueue::new(CLIENT_BUFFER),
        from_client: ByteQueue::new(INBOUND_BUFFER),
        stalled_since: Mutex::new(None),
        stream: stream.try_clone()?,
        channel,
    });
    let writer = client.clone();
    let writer_stream = stream.try_clone()?;
    std::thread::Builder::new()
        .name(format!("rtt-{channel}-to-client"))
        .spawn(move || write_loop(writer, writer_stream))?;
    let reader = client.clone();
    std::thread::Builder::new()
        .name(format!("rtt-{channel}-from-client"))
        .spawn(move || read_loop(reader, stream))?;
    log::info!("RTT channel {channel}: client {peer} connected");
    *slot = Some(client);
    Ok(())
}

fn write_loop(client: Arc<Client>, mut stream: TcpStream) {
    loop {
        let bytes = client.to_client.pop_waiting(16 * 1024, TICK);
        if bytes.is_empty() {
            if client.to_client.is_closed() {
                return;
            }
            continue;
        }
        if let Err(e) = stream.write_all(&bytes) {
            log::debug!(
                "RTT channel {}: writing to {}: {e}",
                client.channel,
                client.peer
            );
            client.disconnect();
            return;
        }
    }
}

fn read_loop(client: Arc<Client>, mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => {
                client.disconnect();
                return;
            }
            Ok(n) => {
                let mut rest = &buf[..n];
                while !rest.is_empty() {
                    let taken = client.from_client.push_waiting(rest, TICK);
                    rest = &rest[taken..];
                    if client.from_client.is_closed() {
                        return;
                    }
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                if !client.is_connected() {
                    return;
                }
            }
            Err(e) => {
                log::debug!(
                    "RTT channel {}: reading from {}: {e}",
                    client.channel,
                    client.peer
                );
                client.disconnect();
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn bytes_flow_both_ways_and_a_second_client_is_refused() {
        let server = ChannelServer::bind(0, 3).unwrap();
        let mut first = TcpStream::connect(server.local_addr()).unwrap();
        first
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        wait_for("the client", || server.client().is_some());
        let client = server.client().unwrap();
        assert_eq!(client.to_client.push(b"up bytes"), 8);
        let mut got = [0u8; 8];
        first.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"up bytes");
        first.write_all(b"down").unwrap();
        wait_for("the client's bytes", || client.from_client.len() == 4);
        assert_eq!(client.from_client.peek(10), b"down");

        let mut second = TcpStream::connect(server.local_addr()).unwrap();
        second
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut text = String::new();
        second.read_to_string(&mut text).unwrap();
        assert!(text.contains("already has a client"), "{text}");
        assert!(server.client().is_some());

        drop(first);
        wait_for("the disconnect", || server.client().is_none());
    }

    #[test]
    fn a_client_whose_buffer_stays_full_is_disconnected() {
        let server = ChannelServer::bind(0, 0).unwrap();
        let mut stream = TcpStream::connect(server.local_addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        wait_for("the client", || server.client().is_some());
        let client = server.client().unwrap();
        let limit = Duration::from_millis(50);
        assert!(!client.note_full(true, limit));
        assert!(
            !client.note_full(false, limit),
            "room again: the clock restarts"
        );
        assert!(!client.note_full(true, limit));
        std::thread::sleep(limit * 2);
        assert!(client.note_full(true, limit));
        assert!(!client.is_connected());
        let mut rest = Vec::new();
        assert_eq!(
            stream.read_to_end(&mut rest).unwrap(),
            0,
            "closed by the server"
        );
        wait_for("the slot to empty", || server.client().is_none());
    }

    #[test]
    fn a_port_in_use_is_an_error() {
        let server = ChannelServer::bind(0, 0).unwrap();
        let port = server.local_addr().port();
        assert!(ChannelServer::bind(port, 0).is_err());
    }
}
