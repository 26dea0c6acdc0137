//! The defmt stream: a thread that decodes the bytes of the defmt channel ([`super::defmt`]) and
//! hands the lines to the server's console (stdout), to the clients of the text ports
//! (`rtt server start PORT defmt`) and, when asked, to GDB at each stop.
//!
//! The poller only pushes bytes into the bounded input queue (as much as it has room for, so a
//! slow consumer slows the channel, it does not lose bytes); decoding and every write to a socket
//! or to stdout happen here, never with the chip held. A text client whose queue stays full for
//! [`super::service::STALL_LIMIT`] is disconnected, as on a raw channel port.

use std::collections::{BTreeMap, VecDeque};
use std::io::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::defmt::{DefmtElf, LineDecoder, Output};
use super::queue::ByteQueue;
use super::tcp::ChannelServer;

/// Bytes of the defmt channel waiting to be decoded, at most.
pub const INPUT_BUFFER: usize = 64 * 1024;
/// Lines kept for GDB between two stops, at most (the oldest go first).
pub const GDB_LINES: usize = 500;
/// How long the thread waits for bytes before looking at its other duties.
const TICK: Duration = Duration::from_millis(50);

struct Shared {
    input: ByteQueue,
    next_elf: Mutex<Option<DefmtElf>>,
    servers: Mutex<BTreeMap<u16, ChannelServer>>,
    to_gdb: Mutex<Option<VecDeque<String>>>,
    console: AtomicBool,
    /// Bytes taken from the input and fully handled (lines delivered).
    handled: AtomicU64,
    /// Bytes pushed into the input.
    pushed: AtomicU64,
    path: Mutex<String>,
    channel: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A running defmt stream. Dropping it ends the thread and closes its text ports.
pub struct DefmtStream {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for DefmtStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefmtStream")
            .field("path", &*lock(&self.shared.path))
            .finish_non_exhaustive()
    }
}

impl Drop for DefmtStream {
    fn drop(&mut self) {
        self.shared.input.close();
    }
}

/// A text port, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its client, if one is connected.
    pub client: Option<SocketAddr>,
}

impl DefmtStream {
    /// Starts decoding with the table of `elf`; lines go to the console when `console`.
    /// `channel` is only for the log lines of its text ports.
    pub fn start(elf: DefmtElf, console: bool, channel: usize) -> std::io::Result<DefmtStream> {
        let shared = Arc::new(Shared {
            input: ByteQueue::new(INPUT_BUFFER),
            path: Mutex::new(elf.path().display().to_string()),
            next_elf: Mutex::new(None),
            servers: Mutex::new(BTreeMap::new()),
            to_gdb: Mutex::new(None),
            console: AtomicBool::new(console),
            handled: AtomicU64::new(0),
            pushed: AtomicU64::new(0),
            channel,
        });
        let thread_shared = shared.clone();
        std::thread::Builder::new()
            .name("rtt-defmt".into())
            .spawn(move || decode_loop(thread_shared, LineDecoder::new(elf)))?;
        Ok(DefmtStream { shared })
    }

    /// The ELF whose table decodes.
    pub fn path(&self) -> String {
        lock(&self.shared.path).clone()
    }

    /// Room in the input queue.
    pub fn room(&self) -> usize {
        self.shared.input.room()
    }

    /// Queues channel bytes for decoding (at most [`DefmtStream::room`] are taken).
    pub fn push(&self, bytes: &[u8]) -> usize {
        let n = self.shared.input.push(bytes);
        self.shared.pushed.fetch_add(n as u64, Ordering::SeqCst);
        n
    }

    /// Decodes with the table of `elf` from the next bytes on.
    pub fn replace_elf(&self, elf: DefmtElf) {
        *lock(&self.shared.path) = elf.path().display().to_string();
        *lock(&self.shared.next_elf) = Some(elf);
    }

    /// Whether lines go to the console.
    pub fn set_console(&self, on: bool) {
        self.shared.console.store(on, Ordering::SeqCst);
    }

    /// Serves the decoded lines on 127.0.0.1:`port` (0 picks a free port).
    pub fn serve(&self, port: u16) -> std::io::Result<SocketAddr> {
        let server = ChannelServer::bind(port, self.shared.channel)?;
        let addr = server.local_addr();
        lock(&self.shared.servers).insert(addr.port(), server);
        Ok(addr)
    }

    /// Whether `port` is one of its text ports.
    pub fn serves(&self, port: u16) -> bool {
        lock(&self.shared.servers).contains_key(&port)
    }

    /// Closes the text port `port`; whether there was one.
    pub fn unserve(&self, port: u16) -> bool {
        let server = lock(&self.shared.servers).remove(&port);
        // Dropped outside the lock: it waits for its accept thread.
        server.is_some()
    }

    /// The text ports.
    pub fn servers(&self) -> Vec<TextServer> {
        lock(&self.shared.servers)
            .values()
            .map(|s| TextServer {
                addr: s.local_addr(),
                client: s.client().map(|c| c.peer),
            })
            .collect()
    }

    /// Keeps the lines for GDB (to show at each stop), or stops keeping them.
    pub fn set_gdb(&self, on: bool) {
        let mut to_gdb = lock(&self.shared.to_gdb);
        match (on, to_gdb.is_some()) {
            (true, false) => *to_gdb = Some(VecDeque::new()),
            (false, _) => *to_gdb = None,
            _ => {}
        }
    }

    /// Whether lines are kept for GDB.
    pub fn gdb(&self) -> bool {
        lock(&self.shared.to_gdb).is_some()
    }

    /// A handle on the lines kept for GDB, usable without holding the stream.
    pub fn gdb_lines(&self) -> GdbLines {
        GdbLines {
            shared: self.shared.clone(),
        }
    }
}

/// The lines kept for GDB (a handle: it does not keep the stream running).
pub struct GdbLines {
    shared: Arc<Shared>,
}

impl GdbLines {
    /// Waits (at most `timeout`) until every byte pushed so far has been decoded and delivered.
    pub fn settle(&self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.shared.handled.load(Ordering::SeqCst) < self.shared.pushed.load(Ordering::SeqCst)
            && Instant::now() < deadline
            && !self.shared.input.is_closed()
        {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// The lines kept since the last call.
    pub fn take(&self) -> Vec<String> {
        lock(&self.shared.to_gdb)
            .as_mut()
            .map(|lines| lines.drain(..).collect())
            .unwrap_or_default()
    }
}

fn decode_loop(shared: Arc<Shared>, mut decoder: LineDecoder) {
    log::info!(
        "defmt: decoding with {} ({} format strings, {} with file:line)",
        decoder.elf().path().display(),
        decoder.elf().entries(),
        decoder.elf().locations()
    );
    loop {
        if let Some(elf) = lock(&shared.next_elf).take() {
            let notice = format!(
                "defmt: table read again from {} ({} format strings)",
                elf.path().display(),
                elf.entries()
            );
            decoder.replace_elf(elf);
            deliver(&shared, Output::Notice(notice));
        }
        let bytes = shared.input.pop_waiting(4096, TICK);
        if bytes.is_empty() {
            if shared.input.is_closed() {
                return;
            }
            drop_client_input(&shared);
            continue;
        }
        for output in decoder.feed(&bytes) {
            deliver(&shared, output);
        }
        shared
            .handled
            .fetch_add(bytes.len() as u64, Ordering::SeqCst);
    }
}

/// Text ports are one way: what a client types is read and dropped.
fn drop_client_input(shared: &Shared) {
    for server in lock(&shared.servers).values() {
        if let Some(client) = server.client() {
            let n = client.from_client.len();
            client.from_client.consume(n);
        }
    }
}

fn deliver(shared: &Shared, output: Output) {
    let line = match output {
        Output::Line(line) => line,
        Output::Notice(notice) => {
            log::warn!("{notice}");
            format!("stm32-opts: {notice}")
        }
    };
    if shared.console.load(Ordering::SeqCst) {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
    if let Some(lines) = lock(&shared.to_gdb).as_mut() {
        if lines.len() == GDB_LINES {
            lines.pop_front();
        }
        lines.push_back(line.clone());
    }
    let clients: Vec<_> = lock(&shared.servers)
        .values()
        .filter_map(ChannelServer::client)
        .collect();
    let text = format!("{line}\n");
    for client in clients {
        let taken = client
            .to_client
            .push_waiting(text.as_bytes(), super::service::STALL_LIMIT);
        if taken < text.len() {
            log::warn!(
                "defmt text port: client {} has not read for {} s: disconnected",
                client.peer,
                super::service::STALL_LIMIT.as_secs()
            );
            client.disconnect();
        }
    }
}
