//! The RTT service: what was set up, whether RTT runs, the attached control block, the channel
//! servers and the console, and the poller that moves the bytes.
//!
//! Locking: the chip is always taken before the service's state (the poller takes the chip
//! through [`ChipAccess`] and then the state; a monitor command runs with the chip held and then
//! takes the state), never the other way round. Socket I/O never happens under either: the
//! poller only fills and drains bounded queues ([`super::queue`]), the socket threads
//! ([`super::tcp`]) do the rest.
//!
//! Finding the block: with the address of `_SEGGER_RTT` (from GDB's `qSymbol`, or from the ELF
//! given with `--elf`/`--defmt`, read again when the file changes) only that address is looked
//! at. Without it, search passes over the RAM ([`super::scan::Pass`], big reads in steps of a
//! bounded chip hold) find every place with the ID, each is checked ([`super::block`]), and the
//! [`Locator`] attaches to the one the firmware writes to.
//!
//! Resets: the control block of a reset chip is rebuilt by its firmware, so
//! [`RttService::chip_reset`] drops the attached block and searches again (setup, started state,
//! servers, clients and the console stay). A change the service was not told about (the firmware
//! resetting itself, another tool) shows up as a read offset that moved or a block that no longer
//! checks out, and has the same effect.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use probe_rs::rtt::{Error as RttError, Rtt};
use probe_rs::Core;

use super::block::Memory;
use super::channels::ChannelTable;
use super::decoded::{DefmtStream, TextServer};
use super::defmt::{DefmtElf, DefmtError};
use super::elf::{rtt_symbol, ElfWatch, RTT_SYMBOL};
use super::locate::{Choice, Locator, Reason};
use super::queue::ByteQueue;
use super::scan::{read_block, Pass, ScanArea};
use super::tcp::{ChannelServer, Client};
use super::{with_core, ChipAccess};

/// The poll interval while bytes move or a search runs: short, so a ring buffer that the
/// firmware fills (and waits on, in the blocking mode) is emptied again soon.
pub const POLL_BUSY: Duration = Duration::from_millis(2);
/// The longest poll interval: idle polls double the interval up to this.
pub const POLL_IDLE: Duration = Duration::from_millis(80);
/// The pause between two search passes that attached to nothing.
pub const SEARCH_PAUSE: Duration = Duration::from_millis(200);
/// How long one search step may hold the chip (it reads on until this is spent).
pub const STEP_BUDGET: Duration = Duration::from_millis(10);
/// While attached to a block nothing has moved through yet (it may be a copy), a search pass
/// looks for a live one this often.
pub const RESCAN_QUIET: Duration = Duration::from_secs(1);
/// While quiet candidates are known, passes look only near their buffers ([`NEAR_BUFFERS`]
/// bytes either side), and one pass in this many looks at all of the area.
pub const FULL_PASS_EVERY: u32 = 4;
/// How far from a candidate's buffer a short pass looks for the live block.
pub const NEAR_BUFFERS: u64 = 16 * 1024;
/// How often the ELF files are looked at for changes.
pub const ELF_CHECK: Duration = Duration::from_millis(500);
/// How long GDB's stop waits for the defmt lines of the bytes read at the stop.
pub const DEFMT_SETTLE: Duration = Duration::from_millis(200);
/// How long a client may leave its buffer full before it is disconnected.
pub const STALL_LIMIT: Duration = Duration::from_secs(5);
/// The most bytes read from one up channel per poll.
pub const READ_MAX: usize = 16 * 1024;
/// Console bytes waiting to be written, at most.
pub const CONSOLE_BUFFER: usize = 64 * 1024;
/// The channel the console shows.
pub const CONSOLE_CHANNEL: usize = 0;
/// The most channel servers at once: a server per channel of any usual control block (SEGGER's
/// default has 3 up and 3 down channels, defmt uses one). Each costs a listening socket and up
/// to three threads (accept, and a reader and a writer for its client).
pub const MAX_CHANNEL_SERVERS: usize = 16;

/// What `start` found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartReport {
    /// A control block, with its channels.
    Attached(ChannelTable),
    /// None yet: the poller keeps searching `area`; `why` says what the search saw.
    Searching {
        /// Where it searches.
        area: ScanArea,
        /// What the last search found instead of one control block.
        why: String,
    },
}

/// Where the address of `_SEGGER_RTT` came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SymbolSource {
    /// GDB answered a `qSymbol` lookup (from the ELF it debugs).
    Gdb,
    /// The ELF file given to the server.
    Elf(PathBuf),
}

/// The address of the control block, known from the firmware's symbols.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// The address of `_SEGGER_RTT`.
    pub address: u64,
    /// Who said so.
    pub source: SymbolSource,
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{RTT_SYMBOL} = {:#010x} ", self.address)?;
        match &self.source {
            SymbolSource::Gdb => f.write_str("(from GDB)"),
            SymbolSource::Elf(path) => write!(f, "(from {})", path.display()),
        }
    }
}

/// What `defmt on` reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefmtInfo {
    /// The ELF.
    pub path: String,
    /// How many format strings its table has.
    pub entries: usize,
    /// How many log statements have a file and line.
    pub locations: usize,
    /// The address of `_SEGGER_RTT` in it, if it has one.
    pub symbol: Option<u64>,
}

/// A refused `server start`/`server stop`.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The control block has no such channel.
    #[error("channel {channel} does not exist: the control block has {}", match .last { Some(last) => format!("channels 0..={last}"), None => "no channels".to_string() })]
    NoSuchChannel {
        /// The channel asked for.
        channel: usize,
        /// The highest channel number there is.
        last: Option<usize>,
    },
    /// The port already serves a channel.
    #[error("port {port} already serves RTT channel {channel}")]
    PortServed {
        /// The port.
        port: u16,
        /// The channel it serves.
        channel: usize,
    },
    /// The port cannot be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// `server stop` on a port without a server.
    #[error("no RTT server on port {0}")]
    NotServed(u16),
    /// Every server place is taken.
    #[error("{limit} RTT channel servers are running, the most served at once; stop one first (`rtt server stop PORT`)")]
    TooMany {
        /// [`MAX_CHANNEL_SERVERS`].
        limit: usize,
    },
    /// A text port for defmt lines while defmt decoding is off.
    #[error("defmt decoding is off: `rtt defmt ELF` (or `stm32-opts gdb --defmt ELF`) first")]
    DefmtOff,
}

/// What one poll did (the poller adapts its interval to it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    /// Nothing to do or nothing moved.
    Idle,
    /// Bytes moved.
    Moved,
    /// A search step ran.
    Searching,
    /// The chip did not answer.
    Failed,
}

/// A channel server, as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerInfo {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The channel it serves.
    pub channel: usize,
    /// Its client, if one is connected.
    pub client: Option<SocketAddr>,
}

/// The service's state, as shown by `rtt channels`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    /// Whether RTT runs (`start`ed).
    pub started: bool,
    /// Where the control block is searched.
    pub area: ScanArea,
    /// The attached control block.
    pub table: Option<ChannelTable>,
    /// Why it was chosen.
    pub reason: Option<Reason>,
    /// What the last search saw, when it attached to nothing.
    pub waiting: Option<String>,
    /// The address of `_SEGGER_RTT`, when known.
    pub symbol: Option<Symbol>,
    /// The channel servers.
    pub servers: Vec<ServerInfo>,
    /// Whether channel 0 is shown on the console.
    pub console: bool,
    /// defmt decoding: its ELF, the channel it decodes, its text ports, whether lines go to GDB.
    pub defmt: Option<DefmtStatus>,
}

/// defmt decoding, as shown by `rtt channels`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DefmtStatus {
    /// The ELF whose table decodes.
    pub path: String,
    /// The up channel decoded (once attached).
    pub channel: Option<usize>,
    /// The text ports.
    pub servers: Vec<TextServer>,
    /// Whether the lines are shown in GDB at each stop.
    pub gdb: bool,
}

struct Attached {
    rtt: Rtt,
    table: ChannelTable,
    reason: Reason,
    /// Nothing has come through it yet, and it was taken without proof that it is live.
    quiet: bool,
    rescan_at: Instant,
    /// The up channel defmt is decoded from: the one named "defmt", else 0.
    defmt_channel: usize,
}

struct State {
    area: ScanArea,
    started: bool,
    attached: Option<Attached>,
    search: Option<Pass>,
    next_search: Instant,
    short_passes: u32,
    locator: Locator,
    waiting: Option<String>,
    symbol: Option<Symbol>,
    symbol_elf: Option<ElfWatch>,
    defmt: Option<DefmtStream>,
    defmt_elf: Option<ElfWatch>,
    next_elf_check: Instant,
    servers: BTreeMap<u16, ChannelServer>,
    console: bool,
}

impl State {
    /// The servers counted against [`MAX_CHANNEL_SERVERS`]: channel servers and defmt text
    /// ports alike (each holds a listener and its threads).
    fn server_count(&self) -> usize {
        self.servers.len() + self.defmt.as_ref().map_or(0, |d| d.servers().len())
    }
}

struct Inner {
    ram: Vec<Range<u64>>,
    readable: Vec<Range<u64>>,
    state: Mutex<State>,
    console: Arc<ByteQueue>,
    console_thread: AtomicBool,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Ends the console thread; the servers close with the state.
        self.console.close();
    }
}

/// The RTT service of one chip. Cheap to clone (all clones are the same service).
#[derive(Clone)]
pub struct RttService {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for RttService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RttService").finish_non_exhaustive()
    }
}

impl RttService {
    /// A stopped service for a chip with these RAM regions (searched by default) and these
    /// readable regions (RAM and flash: where a channel name may be).
    pub fn new(ram: Vec<Range<u64>>, readable: Vec<Range<u64>>) -> RttService {
        let area = ScanArea::whole_ram(&ram);
        RttService {
            inner: Arc::new(Inner {
                ram,
                readable,
                state: Mutex::new(State {
                    area,
                    started: false,
                    attached: None,
                    search: None,
                    next_search: Instant::now(),
                    short_passes: 0,
                    locator: Locator::new(),
                    waiting: None,
                    symbol: None,
                    symbol_elf: None,
                    defmt: None,
                    defmt_elf: None,
                    next_elf_check: Instant::now(),
                    servers: BTreeMap::new(),
                    console: false,
                }),
                console: Arc::new(ByteQueue::new(CONSOLE_BUFFER)),
                console_thread: AtomicBool::new(false),
            }),
        }
    }

    /// The chip's RAM regions.
    pub fn ram(&self) -> &[Range<u64>] {
        &self.inner.ram
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Where to search from now on (`None`: the whole RAM). Drops the attached block.
    pub fn setup(&self, area: Option<ScanArea>) -> ScanArea {
        let area = area.unwrap_or_else(|| ScanArea::whole_ram(&self.inner.ram));
        let mut state = self.state();
        state.area = area.clone();
        state.forget_block();
        area
    }

    fn memory(&self) -> Memory<'_> {
        Memory {
            ram: &self.inner.ram,
            readable: &self.inner.readable,
        }
    }

    /// Starts RTT and searches once now, on `core` (the caller holds the chip). When nothing is
    /// attached to, RTT stays started and the poller keeps searching.
    pub fn start(&self, core: &mut Core<'_>) -> StartReport {
        let mut state = self.state();
        state.started = true;
        if let Some(attached) = &state.attached {
            return StartReport::Attached(attached.table.clone());
        }
        state.search = None;
        let why = match state.symbol_in_use() {
            Some(symbol) => match state.try_symbol(core, &symbol, &self.memory()) {
                Ok(true) => None,
                Ok(false) => state.waiting.clone(),
                Err(e) => Some(format!("reading RAM: {e}")),
            },
            None => match Pass::new(&state.area).run(core) {
                Ok(found) => state.judge_pass(core, found, self).err(),
                Err(e) => Some(format!("reading RAM: {e}")),
            },
        };
        if let Some(attached) = &state.attached {
            return StartReport::Attached(attached.table.clone());
        }
        state.next_search = Instant::now() + SEARCH_PAUSE;
        StartReport::Searching {
            area: state.area.clone(),
            why: why.unwrap_or_else(|| "no control block found".into()),
        }
    }

    /// Starts RTT without searching now: the poller searches (`stm32-opts gdb --rtt`).
    pub fn start_in_background(&self) {
        let mut state = self.state();
        state.started = true;
        state.next_search = Instant::now();
    }

    /// Stops RTT: no more polling or searching. Servers and the console setting stay.
    pub fn stop(&self) -> bool {
        let mut state = self.state();
        let was = state.started;
        state.started = false;
        state.forget_block();
        was
    }

    /// The chip was reset (or loaded): the control block is rebuilt by the firmware, so search
    /// again (and look at the ELF files now: a `load` usually follows a new build).
    pub fn chip_reset(&self) {
        let mut state = self.state();
        if state.attached.is_some() {
            log::info!("RTT: chip reset; searching for the control block again");
        }
        state.forget_block();
        state.locator.forget();
        state.next_elf_check = Instant::now();
    }

    /// The address of `_SEGGER_RTT` as GDB's `qSymbol` lookup gave it (`None`: GDB's ELF does
    /// not define it).
    pub fn set_gdb_symbol(&self, address: Option<u64>) {
        let symbol = address.map(|address| Symbol {
            address,
            source: SymbolSource::Gdb,
        });
        let mut state = self.state();
        match symbol {
            Some(symbol) => state.set_symbol(symbol),
            None if state
                .symbol
                .as_ref()
                .is_some_and(|s| s.source == SymbolSource::Gdb) =>
            {
                state.symbol = None;
            }
            None => {}
        }
    }

    /// Takes `_SEGGER_RTT` from the ELF at `path` (`--elf`), now and whenever the file changes.
    pub fn set_elf(&self, path: &Path) -> Result<Option<u64>, std::io::Error> {
        let mut watch = ElfWatch::new(path);
        let bytes = watch.changed().unwrap_or_else(|| std::fs::read(path))?;
        let address = rtt_symbol(&bytes);
        let mut state = self.state();
        state.symbol_elf = Some(watch);
        state.elf_symbol(path, address);
        Ok(address)
    }

    /// Decodes defmt with the table of the ELF at `path` (its `_SEGGER_RTT` is used too, unless
    /// `--elf` named another ELF). The lines go to the console, to the text ports and, when on,
    /// to GDB.
    pub fn defmt_on(&self, path: &Path) -> Result<DefmtInfo, DefmtError> {
        let read_error = |source| DefmtError::Read {
            path: path.to_path_buf(),
            source,
        };
        let mut watch = ElfWatch::new(path);
        let bytes = watch
            .changed()
            .unwrap_or_else(|| std::fs::read(path))
            .map_err(read_error)?;
        let elf = DefmtElf::parse(path, &bytes)?;
        let symbol = rtt_symbol(&bytes);
        let info = DefmtInfo {
            path: path.display().to_string(),
            entries: elf.entries(),
            locations: elf.locations(),
            symbol,
        };
        let mut state = self.state();
        match &state.defmt {
            Some(stream) => stream.replace_elf(elf),
            None => {
                let channel = state.attached.as_ref().map_or(0, |a| a.defmt_channel);
                let stream = DefmtStream::start(elf, true, channel).map_err(read_error)?;
                state.defmt = Some(stream);
            }
        }
        state.defmt_elf = Some(watch);
        if state.symbol_elf.is_none() {
            state.symbol_elf = Some(ElfWatch::new(path));
            // Already read: mark it seen so the next look only reacts to a change.
            if let Some(w) = state.symbol_elf.as_mut() {
                let _ = w.changed();
            }
            state.elf_symbol(path, symbol);
        }
        Ok(info)
    }

    /// Stops decoding defmt (its text ports close); whether it was on.
    pub fn defmt_off(&self) -> bool {
        let mut state = self.state();
        state.defmt_elf = None;
        let stream = state.defmt.take();
        drop(state);
        stream.is_some()
    }

    /// Shows the defmt lines in GDB at each stop, or not; `false` when defmt decoding is off.
    pub fn defmt_to_gdb(&self, on: bool) -> bool {
        match &self.state().defmt {
            Some(stream) => {
                stream.set_gdb(on);
                true
            }
            None => false,
        }
    }

    /// Whether defmt lines are kept for GDB's stops.
    pub fn defmt_gdb_wanted(&self) -> bool {
        self.state().defmt.as_ref().is_some_and(DefmtStream::gdb)
    }

    /// The defmt lines decoded since the last stop, after those of the bytes already read have
    /// been decoded (waits at most [`DEFMT_SETTLE`]). Call without the chip held.
    pub fn defmt_lines_for_gdb(&self) -> Vec<String> {
        let lines = match self.state().defmt.as_ref() {
            Some(stream) if stream.gdb() => stream.gdb_lines(),
            _ => return Vec::new(),
        };
        // Waited for outside the state lock: the poller takes it while holding the chip.
        lines.settle(DEFMT_SETTLE);
        lines.take()
    }

    /// Serves the decoded defmt lines on 127.0.0.1:`port` (0 picks a free port).
    pub fn serve_defmt(&self, port: u16) -> Result<SocketAddr, ServeError> {
        let state = self.state();
        let stream = state.defmt.as_ref().ok_or(ServeError::DefmtOff)?;
        if let Some(s) = state.servers.get(&port) {
            return Err(ServeError::PortServed {
                port,
                channel: s.channel(),
            });
        }
        if port != 0 && stream.serves(port) {
            return Err(ServeError::PortServed {
                port,
                channel: state.attached.as_ref().map_or(0, |a| a.defmt_channel),
            });
        }
        if state.server_count() >= MAX_CHANNEL_SERVERS {
            return Err(ServeError::TooMany {
                limit: MAX_CHANNEL_SERVERS,
            });
        }
        stream
            .serve(port)
            .map_err(|source| ServeError::Bind { port, source })
    }

    /// Looks at the ELF files (off the chip): a changed file gives a new `_SEGGER_RTT` and a new
    /// defmt table. The poller calls it; it does something at most every [`ELF_CHECK`].
    pub fn check_elfs(&self) {
        let mut state = self.state();
        let now = Instant::now();
        if now < state.next_elf_check {
            return;
        }
        state.next_elf_check = now + ELF_CHECK;
        if let Some(watch) = state.symbol_elf.as_mut() {
            let path = watch.path().to_path_buf();
            match watch.changed() {
                Some(Ok(bytes)) => {
                    log::info!("RTT: {} changed", path.display());
                    state.elf_symbol(&path, rtt_symbol(&bytes));
                }
                Some(Err(e)) => log::warn!("RTT: cannot read {}: {e}", path.display()),
                None => {}
            }
        }
        if let Some(watch) = state.defmt_elf.as_mut() {
            let path = watch.path().to_path_buf();
            match watch.changed() {
                Some(Ok(bytes)) => match DefmtElf::parse(&path, &bytes) {
                    Ok(elf) => {
                        if let Some(stream) = &state.defmt {
                            stream.replace_elf(elf);
                        }
                    }
                    Err(e) => log::warn!("defmt: {e}; decoding goes on with the table before"),
                },
                Some(Err(e)) => log::warn!("defmt: cannot read {}: {e}", path.display()),
                None => {}
            }
        }
    }

    /// What `rtt channels` shows.
    pub fn status(&self) -> Status {
        let state = self.state();
        Status {
            started: state.started,
            area: state.area.clone(),
            table: state.attached.as_ref().map(|a| a.table.clone()),
            reason: state.attached.as_ref().map(|a| a.reason),
            waiting: state.waiting.clone(),
            symbol: state.symbol.clone(),
            servers: state
                .servers
                .values()
                .map(|s| ServerInfo {
                    addr: s.local_addr(),
                    channel: s.channel(),
                    client: s.client().map(|c| c.peer),
                })
                .collect(),
            console: state.console,
            defmt: state.defmt.as_ref().map(|d| DefmtStatus {
                path: d.path(),
                channel: state.attached.as_ref().map(|a| a.defmt_channel),
                servers: d.servers(),
                gdb: d.gdb(),
            }),
        }
    }

    /// Serves `channel` on 127.0.0.1:`port` (0 picks a free port); returns the address.
    pub fn serve(&self, port: u16, channel: usize) -> Result<SocketAddr, ServeError> {
        let mut state = self.state();
        if let Some(table) = state.attached.as_ref().map(|a| &a.table) {
            if !table.has(channel) {
                return Err(ServeError::NoSuchChannel {
                    channel,
                    last: table.last_number(),
                });
            }
        }
        if let Some(s) = state.servers.get(&port) {
            return Err(ServeError::PortServed {
                port,
                channel: s.channel(),
            });
        }
        if port != 0 && state.defmt.as_ref().is_some_and(|d| d.serves(port)) {
            return Err(ServeError::PortServed { port, channel });
        }
        if state.server_count() >= MAX_CHANNEL_SERVERS {
            return Err(ServeError::TooMany {
                limit: MAX_CHANNEL_SERVERS,
            });
        }
        let server = ChannelServer::bind(port, channel)
            .map_err(|source| ServeError::Bind { port, source })?;
        let addr = server.local_addr();
        state.servers.insert(addr.port(), server);
        Ok(addr)
    }

    /// Stops the server on `port` (its client is disconnected); a defmt text port is
    /// reported as the channel it decodes.
    pub fn unserve(&self, port: u16) -> Result<usize, ServeError> {
        let mut state = self.state();
        if let Some(stream) = state.defmt.as_ref().filter(|d| d.serves(port)) {
            stream.unserve(port);
            return Ok(state.attached.as_ref().map_or(0, |a| a.defmt_channel));
        }
        let server = state
            .servers
            .remove(&port)
            .ok_or(ServeError::NotServed(port))?;
        drop(state);
        let channel = server.channel();
        // Dropped outside the state lock: it waits for its accept thread.
        drop(server);
        Ok(channel)
    }

    /// Shows channel 0 on the server's console (stdout), or stops showing it.
    pub fn set_console(&self, on: bool) {
        if on && !self.inner.console_thread.swap(true, Ordering::SeqCst) {
            let queue = self.inner.console.clone();
            let spawned = std::thread::Builder::new()
                .name("rtt-console".into())
                .spawn(move || console_loop(queue));
            if let Err(e) = spawned {
                log::warn!("RTT console: {e}");
                self.inner.console_thread.store(false, Ordering::SeqCst);
                return;
            }
        }
        self.state().console = on;
    }

    /// Whether a poll would touch the chip now (the poller asks before taking it).
    pub fn wants_chip(&self) -> bool {
        let state = self.state();
        if !state.started {
            return false;
        }
        let now = Instant::now();
        match &state.attached {
            None => {
                state.search.is_some()
                    || now >= state.next_search
                    || state.symbol_in_use().is_some()
            }
            Some(a) => {
                state.console
                    || state.defmt.is_some()
                    || state.servers.values().any(|s| s.client().is_some())
                    || (a.quiet && (state.search.is_some() || now >= a.rescan_at))
            }
        }
    }

    /// One poll on `core` (the caller holds the chip): a search step, or moving the bytes of
    /// every channel that has a reader or pending input.
    pub fn poll(&self, core: &mut Core<'_>) -> Activity {
        let mut state = self.state();
        if !state.started {
            return Activity::Idle;
        }
        if state.attached.is_none() {
            return state.search_step(core, self);
        }
        let clients: Vec<(usize, Arc<Client>)> = state
            .servers
            .values()
            .filter_map(|s| s.client().map(|c| (s.channel(), c)))
            .collect();
        let console = state.console.then(|| self.inner.console.clone());
        let State {
            attached, defmt, ..
        } = &mut *state;
        let attached = attached.as_mut().expect("checked above");
        let readers = Readers {
            clients: &clients,
            console: console.as_deref(),
            defmt: defmt.as_ref(),
        };
        let activity = match pump(attached, core, &readers) {
            Ok(moved) => {
                if moved.up && attached.quiet {
                    log::info!(
                        "RTT: the firmware writes to the control block at {:#010x}",
                        attached.table.address
                    );
                    attached.quiet = false;
                }
                if moved.any() {
                    Activity::Moved
                } else {
                    Activity::Idle
                }
            }
            Err(RttError::Probe(e)) => {
                log::debug!("RTT poll: {e}");
                return Activity::Failed;
            }
            Err(e) => {
                log::info!("RTT: the control block changed ({e}); searching again");
                state.forget_block();
                return Activity::Searching;
            }
        };
        match state.attached.as_ref() {
            Some(a) if a.quiet && (state.search.is_some() || Instant::now() >= a.rescan_at) => {
                state.rescan_step(core, self)
            }
            _ => activity,
        }
    }

    /// Polls on a background thread, taking the chip through `access` for one poll at a time,
    /// until the last clone of the service is dropped.
    pub fn spawn_poller(&self, access: Arc<dyn ChipAccess>) -> std::io::Result<()> {
        let weak = Arc::downgrade(&self.inner);
        std::thread::Builder::new()
            .name("rtt-poller".into())
            .spawn(move || poll_loop(weak, access))?;
        Ok(())
    }
}

impl State {
    fn forget_block(&mut self) {
        self.attached = None;
        self.search = None;
        self.short_passes = 0;
        self.waiting = None;
        self.next_search = Instant::now();
    }

    /// The symbol, when it decides where the block is: known, and the search area is the default
    /// (a range the user chose wins).
    fn symbol_in_use(&self) -> Option<Symbol> {
        self.symbol.clone().filter(|_| self.area.is_whole_ram())
    }

    fn set_symbol(&mut self, symbol: Symbol) {
        if self.symbol.as_ref().map(|s| s.address) != Some(symbol.address) {
            log::info!("RTT: {symbol}");
            let elsewhere = self
                .attached
                .as_ref()
                .is_some_and(|a| a.table.address != symbol.address);
            if elsewhere && self.area.is_whole_ram() {
                log::info!("RTT: the control block is elsewhere; attaching there");
                self.forget_block();
            }
        }
        self.symbol = Some(symbol);
    }

    /// The ELF at `path` gives `_SEGGER_RTT` at `address` (or not at all).
    fn elf_symbol(&mut self, path: &Path, address: Option<u64>) {
        match address {
            Some(address) => self.set_symbol(Symbol {
                address,
                source: SymbolSource::Elf(path.to_path_buf()),
            }),
            None => {
                log::info!("RTT: {} does not define {RTT_SYMBOL}", path.display());
                if matches!(&self.symbol, Some(Symbol { source: SymbolSource::Elf(p), .. }) if p == path)
                {
                    self.symbol = None;
                }
            }
        }
    }

    fn attach(&mut self, mut rtt: Rtt, reason: Reason) -> ChannelTable {
        let table = ChannelTable::of(&mut rtt);
        log::info!(
            "RTT: control block at {:#010x} ({reason}), {} up and {} down channel(s)",
            table.address,
            table.up.len(),
            table.down.len()
        );
        for (port, server) in &self.servers {
            if !table.has(server.channel()) {
                log::warn!(
                    "RTT: the server on port {port} serves channel {}, which this control block does not have",
                    server.channel()
                );
            }
        }
        let defmt_channel = table
            .up
            .iter()
            .find(|c| c.name.as_deref() == Some("defmt"))
            .map_or(0, |c| c.number);
        self.search = None;
        self.waiting = None;
        self.attached = Some(Attached {
            rtt,
            table: table.clone(),
            reason,
            quiet: reason == Reason::Only,
            rescan_at: Instant::now() + RESCAN_QUIET,
            defmt_channel,
        });
        table
    }

    /// Attaches at the symbol if the block there checks out. `Ok(false)`: not yet (the reason is
    /// in `waiting`).
    fn try_symbol(
        &mut self,
        core: &mut Core<'_>,
        symbol: &Symbol,
        memory: &Memory<'_>,
    ) -> Result<bool, probe_rs::Error> {
        let why = match read_block(core, symbol.address, memory)? {
            Ok(_) => match Rtt::attach_at(core, symbol.address) {
                Ok(rtt) => {
                    self.attach(rtt, Reason::Symbol);
                    return Ok(true);
                }
                Err(e) => e.to_string(),
            },
            Err(why) => why.to_string(),
        };
        self.waiting = Some(format!(
            "the control block at {symbol} is not set up yet ({why})"
        ));
        Ok(false)
    }

    /// The next search pass: near the known candidates' buffers while there are some (the live
    /// block of a firmware whose copy was found is usually there: quick to find), all of the area
    /// every [`FULL_PASS_EVERY`] passes.
    fn next_pass(&mut self) -> Pass {
        let near = self.area.around(&self.locator.buffer_hints(), NEAR_BUFFERS);
        if near.ranges().is_empty() || self.short_passes + 1 >= FULL_PASS_EVERY {
            self.short_passes = 0;
            return Pass::new(&self.area);
        }
        self.short_passes += 1;
        Pass::new(&near)
    }

    /// Checks every place of a finished pass and attaches if one is chosen; `Err` says why not.
    fn judge_pass(
        &mut self,
        core: &mut Core<'_>,
        found: Vec<u64>,
        service: &RttService,
    ) -> Result<(), String> {
        let memory = service.memory();
        // A short pass does not cover every candidate seen before: look at those again too.
        let mut found = found;
        for known in self.locator.known() {
            if !found.contains(&known) {
                found.push(known);
            }
        }
        found.sort_unstable();
        let mut looked = || -> Result<_, probe_rs::Error> {
            let mut looks = Vec::new();
            for address in &found {
                looks.push((*address, read_block(core, *address, &memory)?));
            }
            let running = !core.core_halted()?;
            Ok((looks, running))
        };
        let (looks, running) = looked().map_err(|e| format!("reading RAM: {e}"))?;
        match self
            .locator
            .judge(looks, running, service.ram(), Instant::now())
        {
            Choice::Attach { address, reason } => match Rtt::attach_at(core, address) {
                Ok(rtt) => {
                    self.attach(rtt, reason);
                    Ok(())
                }
                Err(e) => Err(format!(
                    "the control block at {address:#010x} is not usable yet: {e}"
                )),
            },
            Choice::Wait(waiting) => Err(waiting.to_string()),
        }
    }

    fn search_step(&mut self, core: &mut Core<'_>, service: &RttService) -> Activity {
        if let Some(symbol) = self.symbol_in_use() {
            // A short read per poll, without pauses: the block is there as soon as the firmware
            // has built it.
            return match self.try_symbol(core, &symbol, &service.memory()) {
                Ok(true) => Activity::Moved,
                Ok(false) => Activity::Idle,
                Err(e) => {
                    log::debug!("RTT: reading the control block: {e}");
                    Activity::Failed
                }
            };
        }
        let now = Instant::now();
        if self.search.is_none() && now < self.next_search {
            return Activity::Idle;
        }
        if self.search.is_none() {
            self.search = Some(self.next_pass());
        }
        let pass = self.search.as_mut().expect("set above");
        if let Err(e) = pass.step(core, STEP_BUDGET) {
            log::debug!("RTT search: {e}");
            self.search = None;
            self.next_search = now + SEARCH_PAUSE;
            return Activity::Failed;
        }
        if !pass.is_done() {
            return Activity::Searching;
        }
        let found = pass.found().to_vec();
        self.search = None;
        match self.judge_pass(core, found, service) {
            Ok(()) => Activity::Moved,
            Err(why) => {
                if self.waiting.as_deref() != Some(why.as_str()) {
                    log::info!("RTT: {why}");
                }
                self.waiting = Some(why);
                self.next_search = Instant::now() + SEARCH_PAUSE;
                Activity::Searching
            }
        }
    }

    /// While attached to a quiet block: one step of a pass looking for a live block elsewhere.
    fn rescan_step(&mut self, core: &mut Core<'_>, service: &RttService) -> Activity {
        let area = self.area.clone();
        let pass = self.search.get_or_insert_with(|| Pass::new(&area));
        if pass.step(core, STEP_BUDGET).is_err() || !pass.is_done() {
            return Activity::Searching;
        }
        let found = pass.found().to_vec();
        self.search = None;
        let current = self.attached.as_ref().map(|a| a.table.address);
        let memory = service.memory();
        let mut looks = Vec::new();
        for address in found {
            match read_block(core, address, &memory) {
                Ok(verdict) => looks.push((address, verdict)),
                Err(_) => return Activity::Failed,
            }
        }
        let running = core.core_halted().map(|h| !h).unwrap_or(false);
        if let Choice::Attach {
            address,
            reason: Reason::Live,
        } = self
            .locator
            .judge(looks, running, service.ram(), Instant::now())
        {
            if Some(address) != current {
                if let Ok(rtt) = Rtt::attach_at(core, address) {
                    log::info!(
                        "RTT: the firmware writes to the control block at {address:#010x}, not to the one at {:#010x}; switching",
                        current.unwrap_or(0)
                    );
                    self.attach(rtt, Reason::Live);
                    return Activity::Moved;
                }
            }
        }
        if let Some(a) = self.attached.as_mut() {
            a.rescan_at = Instant::now() + RESCAN_QUIET;
        }
        Activity::Searching
    }
}

/// Who reads the up channels this poll.
struct Readers<'a> {
    clients: &'a [(usize, Arc<Client>)],
    console: Option<&'a ByteQueue>,
    defmt: Option<&'a DefmtStream>,
}

/// What one poll moved.
#[derive(Clone, Copy, Debug, Default)]
struct Moved {
    up: bool,
    down: bool,
}

impl Moved {
    fn any(self) -> bool {
        self.up || self.down
    }
}

/// Moves the bytes of one poll.
fn pump(
    attached: &mut Attached,
    core: &mut Core<'_>,
    readers: &Readers<'_>,
) -> Result<Moved, RttError> {
    let mut moved = Moved::default();
    let mut buf = vec![0u8; READ_MAX];
    let defmt_channel = attached.defmt_channel;
    for up in attached.rtt.up_channels() {
        let number = up.number();
        let clients: Vec<&Arc<Client>> = readers
            .clients
            .iter()
            .filter(|(c, _)| *c == number)
            .map(|(_, client)| client)
            .collect();
        let defmt = readers.defmt.filter(|_| number == defmt_channel);
        // The raw console shows channel 0 unless it carries defmt (decoded lines go there).
        let console = readers
            .console
            .filter(|_| number == CONSOLE_CHANNEL && defmt.is_none());
        if clients.is_empty() && console.is_none() && defmt.is_none() {
            continue;
        }
        let mut room = console.map_or(READ_MAX, ByteQueue::room);
        if let Some(defmt) = defmt {
            room = room.min(defmt.room());
        }
        for client in &clients {
            let client_room = client.to_client.room();
            client.note_full(client_room == 0, STALL_LIMIT);
            room = room.min(client_room);
        }
        let want = room.min(READ_MAX).min(up.buffer_size());
        if want == 0 {
            continue;
        }
        let n = up.read(core, &mut buf[..want])?;
        if n == 0 {
            continue;
        }
        moved.up = true;
        for client in &clients {
            client.to_client.push(&buf[..n]);
        }
        if let Some(console) = console {
            console.push(&buf[..n]);
        }
        if let Some(defmt) = defmt {
            defmt.push(&buf[..n]);
        }
    }
    for (number, client) in readers.clients {
        if client.from_client.is_empty() {
            continue;
        }
        let Some(down) = attached
            .rtt
            .down_channels()
            .iter_mut()
            .find(|d| d.number() == *number)
        else {
            let n = client.from_client.len();
            log::warn!(
                "RTT channel {number} has no down channel: {n} byte(s) from {} dropped",
                client.peer
            );
            client.from_client.consume(n);
            continue;
        };
        let pending = client.from_client.peek(down.buffer_size());
        let n = down.write(core, &pending)?;
        if n > 0 {
            client.from_client.consume(n);
            moved.down = true;
        }
    }
    Ok(moved)
}

fn poll_loop(service: Weak<Inner>, access: Arc<dyn ChipAccess>) {
    let mut interval = POLL_BUSY;
    let mut last_failure: Option<Instant> = None;
    loop {
        std::thread::sleep(interval);
        let Some(inner) = service.upgrade() else {
            return;
        };
        let service = RttService { inner };
        service.check_elfs();
        if !service.wants_chip() {
            interval = (interval * 2).min(POLL_IDLE);
            continue;
        }
        let activity = match with_core(access.as_ref(), |core| service.poll(core)) {
            Ok(activity) => activity,
            Err(e) => {
                if last_failure.is_none_or(|t| t.elapsed() > Duration::from_secs(10)) {
                    log::warn!("RTT: the chip is not available: {e}");
                    last_failure = Some(Instant::now());
                }
                Activity::Failed
            }
        };
        interval = match activity {
            Activity::Moved | Activity::Searching => POLL_BUSY,
            Activity::Idle => (interval * 2).min(POLL_IDLE),
            Activity::Failed => POLL_IDLE,
        };
    }
}

fn console_loop(queue: Arc<ByteQueue>) {
    use std::io::Write;
    loop {
        let bytes = queue.pop_waiting(4096, Duration::from_millis(200));
        if bytes.is_empty() {
            if queue.is_closed() {
                return;
            }
            continue;
        }
        let mut out = std::io::stdout().lock();
        let _ = out.write_all(&bytes);
        let _ = out.flush();
    }
}
