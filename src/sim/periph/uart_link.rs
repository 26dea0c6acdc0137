//! The host end of the simulated Nucleo virtual COM port (`--sim-uart ADDR:PORT`): a TCP server
//! and a console copy of what the firmware transmits, as QEMU's serial port does.
//!
//! - It listens from the moment it is bound (before the chip starts), one client at a time: a
//!   second client gets one line saying who is connected and is closed.
//! - What the UART transmits goes to the client (raw bytes) and, if a console is given, to it
//!   (raw bytes: the CLI uses stdout, so firmware `printf` output reads as it would on a
//!   terminal). With no client connected, the TCP copy goes nowhere, as on an unplugged cable.
//! - What the client sends waits in a bounded buffer until the UART's receiver takes it; when
//!   the buffer is full the link stops reading the socket and TCP flow control slows the client.
//!
//! **The simulator thread never waits on the host.** Socket and console writes happen on threads
//! of their own, fed through bounded queues ([`CLIENT_BUFFER`], [`CONSOLE_BUFFER`]). When a queue
//! is full (a client that stopped reading, a console nobody drains) the UART keeps transmitting
//! at its own pace, as a real UART does whoever listens: the bytes that do not fit are
//! **dropped and counted** ([`UartLink::dropped`]), with a `log::warn!` when dropping starts and
//! one with the count when it ends.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use crate::rtt::queue::ByteQueue;

use super::usart::SerialLine;

/// Transmitted bytes waiting for the TCP client, at most.
pub const CLIENT_BUFFER: usize = 64 * 1024;
/// Transmitted bytes waiting for the console, at most.
pub const CONSOLE_BUFFER: usize = 64 * 1024;
/// Client bytes waiting for the UART's receiver, at most.
pub const INBOUND_BUFFER: usize = 4 * 1024;
/// The kernel's send buffer for the client's socket (the kernel may double it).
const SOCKET_BUFFER: usize = 64 * 1024;
/// How often the threads look at their stop flags.
const TICK: Duration = Duration::from_millis(50);
/// Bytes a writer thread takes from its queue at once.
const CHUNK: usize = 16 * 1024;

/// Transmitted bytes a consumer did not take because its queue was full.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Not sent to the TCP client.
    pub client: u64,
    /// Not written to the console.
    pub console: u64,
}

/// The host end of a simulated UART. Cheap to clone; the server stops when the last clone is
/// dropped.
#[derive(Clone)]
pub struct UartLink {
    shared: Arc<Shared>,
    _owner: Arc<Owner>,
}

impl std::fmt::Debug for UartLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UartLink")
            .field("addr", &self.shared.addr)
            .finish_non_exhaustive()
    }
}

/// One consumer's queue and its drop counters.
struct Outlet {
    queue: ByteQueue,
    /// Bytes dropped in all.
    dropped: AtomicU64,
    /// Bytes dropped since the queue last had room (for the log lines).
    episode: AtomicU64,
}

impl Outlet {
    fn new(capacity: usize) -> Self {
        Outlet {
            queue: ByteQueue::new(capacity),
            dropped: AtomicU64::new(0),
            episode: AtomicU64::new(0),
        }
    }

    /// Queues `byte` without waiting; counts it if the queue is full.
    fn offer(&self, byte: u8, uart: &str, whom: &dyn Fn() -> String) {
        if self.queue.push(&[byte]) == 1 {
            self.end_episode(uart, whom);
        } else if !self.queue.is_closed() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            if self.episode.fetch_add(1, Ordering::Relaxed) == 0 {
                log::warn!(
                    "{uart}: {} does not keep up: transmitted bytes are dropped (the UART does not wait, as on silicon)",
                    whom()
                );
            }
        }
    }

    fn end_episode(&self, uart: &str, whom: &dyn Fn() -> String) {
        let lost = self.episode.swap(0, Ordering::Relaxed);
        if lost > 0 {
            log::warn!("{uart}: {lost} transmitted bytes dropped for {}", whom());
        }
    }
}

struct Client {
    peer: SocketAddr,
    outlet: Outlet,
    stream: TcpStream,
}

impl Client {
    fn is_connected(&self) -> bool {
        !self.outlet.queue.is_closed()
    }

    fn disconnect(&self) {
        self.outlet.queue.close();
        let _ = self.stream.shutdown(std::net::Shutdown::Both);
    }
}

struct Shared {
    addr: SocketAddr,
    /// The UART's name once attached (for messages).
    name: OnceLock<&'static str>,
    stop: AtomicBool,
    client: Mutex<Option<Arc<Client>>>,
    inbound: ByteQueue,
    console: Option<Outlet>,
    /// Bytes dropped for clients that are gone.
    dropped_gone_clients: AtomicU64,
}

impl Shared {
    fn name(&self) -> &'static str {
        self.name.get().copied().unwrap_or("the simulated UART")
    }

    fn client(&self) -> Option<Arc<Client>> {
        let mut slot = self.client.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|c| !c.is_connected()) {
            if let Some(gone) = slot.take() {
                self.dropped_gone_clients.fetch_add(
                    gone.outlet.dropped.load(Ordering::Relaxed),
                    Ordering::Relaxed,
                );
            }
        }
        slot.clone()
    }
}

/// Stops the server when the last [`UartLink`] clone goes.
struct Owner {
    shared: Arc<Shared>,
}

impl Drop for Owner {
    fn drop(&mut self) {
        let shared = &self.shared;
        shared.stop.store(true, Ordering::SeqCst);
        let name = shared.name();
        if let Some(client) = shared.client() {
            client
                .outlet
                .end_episode(name, &|| format!("client {}", client.peer));
            client.disconnect();
        }
        if let Some(console) = &shared.console {
            console.end_episode(name, &|| "the console".to_string());
            console.queue.close();
        }
        shared.inbound.close();
    }
}

impl UartLink {
    /// Listens on `addr` (port 0 picks a free port) and, with `console`, copies what the UART
    /// transmits to it (the CLI passes stdout).
    pub fn bind(addr: SocketAddr, console: Option<Box<dyn Write + Send>>) -> io::Result<UartLink> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            addr: listener.local_addr()?,
            name: OnceLock::new(),
            stop: AtomicBool::new(false),
            client: Mutex::new(None),
            inbound: ByteQueue::new(INBOUND_BUFFER),
            console: console.as_ref().map(|_| Outlet::new(CONSOLE_BUFFER)),
            dropped_gone_clients: AtomicU64::new(0),
        });
        let accept = shared.clone();
        std::thread::Builder::new()
            .name("sim-uart-accept".into())
            .spawn(move || accept_loop(listener, accept))?;
        if let Some(out) = console {
            let writer = shared.clone();
            std::thread::Builder::new()
                .name("sim-uart-console".into())
                .spawn(move || console_loop(writer, out))?;
        }
        Ok(UartLink {
            _owner: Arc::new(Owner {
                shared: shared.clone(),
            }),
            shared,
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.shared.addr
    }

    /// Whether a TCP client is connected.
    pub fn has_client(&self) -> bool {
        self.shared.client().is_some()
    }

    /// The transmitted bytes dropped so far because a consumer's queue was full.
    pub fn dropped(&self) -> Dropped {
        let current = self
            .shared
            .client()
            .map_or(0, |c| c.outlet.dropped.load(Ordering::Relaxed));
        Dropped {
            client: self.shared.dropped_gone_clients.load(Ordering::Relaxed) + current,
            console: self
                .shared
                .console
                .as_ref()
                .map_or(0, |c| c.dropped.load(Ordering::Relaxed)),
        }
    }

    /// Names the UART this link serves, for its messages (the first name given stays).
    pub fn set_uart_name(&self, name: &'static str) {
        let _ = self.shared.name.set(name);
    }
}

impl SerialLine for UartLink {
    fn transmit(&mut self, byte: u8) {
        let shared = &self.shared;
        let name = shared.name();
        if let Some(console) = &shared.console {
            console.offer(byte, name, &|| "the console".to_string());
        }
        if let Some(client) = shared.client() {
            client
                .outlet
                .offer(byte, name, &|| format!("TCP client {}", client.peer));
        }
    }

    fn receive(&mut self) -> Option<u8> {
        self.shared.inbound.pop()
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, peer)) => {
                if let Err(e) = admit(stream, peer, &shared) {
                    log::warn!("{}: client {peer}: {e}", shared.name());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => std::thread::sleep(TICK),
            Err(e) => {
                log::warn!("{}: accepting a client: {e}", shared.name());
                std::thread::sleep(TICK);
            }
        }
    }
}

fn admit(mut stream: TcpStream, peer: SocketAddr, shared: &Arc<Shared>) -> io::Result<()> {
    stream.set_nonblocking(false)?;
    if let Some(current) = shared.client() {
        log::info!(
            "{}: refusing {peer}: {} is connected",
            shared.name(),
            current.peer
        );
        stream.set_write_timeout(Some(Duration::from_secs(1)))?;
        let _ = writeln!(
            stream,
            "stm32-opts: the simulated {} already has a client ({}); one at a time",
            shared.name(),
            current.peer
        );
        return Ok(());
    }
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(TICK))?;
    // Bounded in the kernel too: a client that stops reading is found out after a few buffers'
    // worth, not after megabytes of socket autotuning.
    socket2::SockRef::from(&stream).set_send_buffer_size(SOCKET_BUFFER)?;
    let client = Arc::new(Client {
        peer,
        outlet: Outlet::new(CLIENT_BUFFER),
        stream: stream.try_clone()?,
    });
    let writer = (client.clone(), stream.try_clone()?);
    std::thread::Builder::new()
        .name("sim-uart-to-client".into())
        .spawn(move || client_write_loop(writer.0, writer.1))?;
    let reader = (client.clone(), shared.clone());
    std::thread::Builder::new()
        .name("sim-uart-from-client".into())
        .spawn(move || client_read_loop(reader.0, reader.1, stream))?;
    log::info!("{}: client {peer} connected", shared.name());
    *shared.client.lock().unwrap_or_else(|e| e.into_inner()) = Some(client);
    Ok(())
}

fn client_write_loop(client: Arc<Client>, mut stream: TcpStream) {
    loop {
        let bytes = client.outlet.queue.pop_waiting(CHUNK, TICK);
        if bytes.is_empty() {
            if !client.is_connected() {
                return;
            }
            continue;
        }
        if let Err(e) = stream.write_all(&bytes) {
            log::debug!("sim UART: writing to {}: {e}", client.peer);
            client.disconnect();
            return;
        }
    }
}

fn client_read_loop(client: Arc<Client>, shared: Arc<Shared>, mut stream: TcpStream) {
    let mut buf = [0u8; 1024];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                let mut rest = &buf[..n];
                while !rest.is_empty() {
                    if !client.is_connected() || shared.inbound.is_closed() {
                        return;
                    }
                    // Waits while the receiver's buffer is full: TCP flow control does the rest.
                    let taken = shared.inbound.push_waiting(rest, TICK);
                    rest = &rest[taken..];
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
                log::debug!("sim UART: reading from {}: {e}", client.peer);
                break;
            }
        }
    }
    log::info!("{}: client {} disconnected", shared.name(), client.peer);
    client.disconnect();
}

fn console_loop(shared: Arc<Shared>, mut out: Box<dyn Write + Send>) {
    let Some(console) = &shared.console else {
        return;
    };
    loop {
        let bytes = console.queue.pop_waiting(CHUNK, TICK);
        if bytes.is_empty() {
            if console.queue.is_closed() {
                return;
            }
            continue;
        }
        if let Err(e) = out.write_all(&bytes).and_then(|()| out.flush()) {
            log::warn!("{}: the console copy stops: {e}", shared.name());
            console.queue.close();
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Instant;

    fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !done() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn loopback() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    fn connect(link: &UartLink) -> TcpStream {
        let stream = TcpStream::connect(link.local_addr()).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        wait_for("the client", || link.has_client());
        stream
    }

    /// A console that accepts nothing until told to.
    struct StuckConsole(mpsc::Receiver<()>);

    impl Write for StuckConsole {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let _ = self.0.recv();
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A console that shares what it gets.
    #[derive(Clone, Default)]
    struct Collect(Arc<Mutex<Vec<u8>>>);

    impl Write for Collect {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn bytes_flow_both_ways_and_to_the_console() {
        let console = Collect::default();
        let mut link = UartLink::bind(loopback(), Some(Box::new(console.clone()))).unwrap();
        link.set_uart_name("USART3");
        let mut client = connect(&link);
        for &b in b"hello" {
            link.transmit(b);
        }
        let mut got = [0u8; 5];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello");
        wait_for("the console copy", || console.0.lock().unwrap().len() == 5);
        assert_eq!(&*console.0.lock().unwrap(), b"hello");

        client.write_all(b"ok").unwrap();
        let mut received = Vec::new();
        wait_for("the client's bytes", || {
            received.extend(link.receive());
            received.len() == 2
        });
        assert_eq!(received, b"ok");
        assert_eq!(link.receive(), None);
        assert_eq!(link.dropped(), Dropped::default());
    }

    #[test]
    fn a_second_client_is_refused_with_a_line() {
        let mut link = UartLink::bind(loopback(), None).unwrap();
        link.set_uart_name("LPUART1");
        let _first = connect(&link);
        let mut second = TcpStream::connect(link.local_addr()).unwrap();
        second
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut text = String::new();
        second.read_to_string(&mut text).unwrap();
        assert!(
            text.contains("LPUART1 already has a client"),
            "refusal line: {text}"
        );
        assert!(link.has_client());
        link.transmit(b'x'); // still served
    }

    #[test]
    fn with_no_client_the_tcp_copy_goes_nowhere_and_nothing_counts_as_dropped() {
        let mut link = UartLink::bind(loopback(), None).unwrap();
        for _ in 0..(2 * CLIENT_BUFFER) {
            link.transmit(b'z');
        }
        assert_eq!(link.dropped(), Dropped::default());
    }

    #[test]
    fn a_console_that_does_not_keep_up_loses_bytes_counted_and_never_blocks() {
        let (release, stuck) = mpsc::channel();
        let mut link = UartLink::bind(loopback(), Some(Box::new(StuckConsole(stuck)))).unwrap();
        // The console thread holds one chunk in its stuck write; the queue holds the next
        // CONSOLE_BUFFER bytes; the rest is dropped. None of this waits.
        let total = CONSOLE_BUFFER + 3 * CHUNK;
        let start = Instant::now();
        for _ in 0..total {
            link.transmit(b'.');
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "transmit never waits"
        );
        let dropped = link.dropped().console;
        assert!(dropped > 0, "a full console queue drops");
        assert!(dropped as usize <= total - CONSOLE_BUFFER);
        // Once the console drains, bytes flow again.
        drop(release);
        wait_for("room in the console queue", || {
            link.shared.console.as_ref().unwrap().queue.room() > 0
        });
        link.transmit(b'!');
        assert_eq!(link.dropped().console, dropped);
    }

    #[test]
    fn a_client_that_does_not_read_loses_bytes_counted_and_never_blocks() {
        let mut link = UartLink::bind(loopback(), None).unwrap();
        let _client = connect(&link); // never reads
                                      // The kernel buffers fill first, then CLIENT_BUFFER, then bytes are dropped.
        let start = Instant::now();
        let deadline = start + Duration::from_secs(60);
        while link.dropped().client == 0 {
            assert!(Instant::now() < deadline, "nothing was dropped in 60 s");
            for _ in 0..CHUNK {
                link.transmit(b'#');
            }
        }
        assert!(link.has_client(), "the client stays connected");
    }

    #[test]
    fn dropping_the_link_closes_the_port_and_the_client() {
        let link = UartLink::bind(loopback(), None).unwrap();
        let addr = link.local_addr();
        let mut client = connect(&link);
        drop(link);
        let mut buf = [0u8; 1];
        assert_eq!(client.read(&mut buf).unwrap_or(0), 0, "closed");
        wait_for("the port to close", || TcpStream::connect(addr).is_err());
    }
}
