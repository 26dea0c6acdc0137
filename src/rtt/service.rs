//! The RTT service: what was set up, whether RTT runs, the attached control block, the channel
//! servers and the console, and the poller that moves the bytes.
//!
//! Locking: the chip is always taken before the service's state (the poller takes the chip
//! through [`ChipAccess`] and then the state; a monitor command runs with the chip held and then
//! takes the state), never the other way round. Socket I/O never happens under either: the
//! poller only fills and drains bounded queues ([`super::queue`]), the socket threads
//! ([`super::tcp`]) do the rest.
//!
//! Resets: the control block of a reset chip is rebuilt by its firmware, so
//! [`RttService::chip_reset`] drops the attached block and searches again (setup, started state,
//! servers, clients and the console stay). A change the service was not told about (the firmware
//! resetting itself, another tool) shows up as a read offset that moved or a block that no longer
//! checks out, and has the same effect.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use probe_rs::rtt::{Error as RttError, Rtt};
use probe_rs::Core;

use super::channels::ChannelTable;
use super::queue::ByteQueue;
use super::scan::{ScanArea, Search, Step};
use super::tcp::{ChannelServer, Client};
use super::{with_core, ChipAccess};

/// The poll interval while bytes move or a search runs.
pub const POLL_BUSY: Duration = Duration::from_millis(10);
/// The longest poll interval: idle polls double the interval up to this.
pub const POLL_IDLE: Duration = Duration::from_millis(80);
/// The pause between two search passes that found nothing.
pub const SEARCH_PAUSE: Duration = Duration::from_secs(1);
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
    /// The addresses of the last search, when it found more than one block.
    pub several: Vec<u64>,
    /// The channel servers.
    pub servers: Vec<ServerInfo>,
    /// Whether channel 0 is shown on the console.
    pub console: bool,
}

struct Attached {
    rtt: Rtt,
    table: ChannelTable,
}

struct State {
    area: ScanArea,
    started: bool,
    attached: Option<Attached>,
    search: Option<Search>,
    next_search: Instant,
    several: Vec<u64>,
    servers: BTreeMap<u16, ChannelServer>,
    console: bool,
}

struct Inner {
    ram: Vec<Range<u64>>,
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
    /// A stopped service for a chip with these RAM regions (searched by default).
    pub fn new(ram: Vec<Range<u64>>) -> RttService {
        let area = ScanArea::whole_ram(&ram);
        RttService {
            inner: Arc::new(Inner {
                ram,
                state: Mutex::new(State {
                    area,
                    started: false,
                    attached: None,
                    search: None,
                    next_search: Instant::now(),
                    several: Vec::new(),
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

    /// Starts RTT and searches once now, on `core` (the caller holds the chip). When nothing is
    /// found RTT stays started and the poller keeps searching.
    pub fn start(&self, core: &mut Core<'_>) -> StartReport {
        let mut state = self.state();
        state.started = true;
        if let Some(attached) = &state.attached {
            return StartReport::Attached(attached.table.clone());
        }
        state.search = None;
        let why = match Search::new(&state.area).run(core) {
            Ok(Step::Found(address)) => match Rtt::attach_at(core, address) {
                Ok(rtt) => return StartReport::Attached(state.attach(rtt)),
                Err(e) => format!("the control block at {address:#010x} is not usable yet: {e}"),
            },
            Ok(Step::Several(all)) => {
                let text = several_text(&all);
                state.several = all;
                text
            }
            Ok(_) => "no control block found".to_string(),
            Err(e) => format!("reading RAM: {e}"),
        };
        state.next_search = Instant::now() + SEARCH_PAUSE;
        StartReport::Searching {
            area: state.area.clone(),
            why,
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
    /// again.
    pub fn chip_reset(&self) {
        let mut state = self.state();
        if state.attached.is_some() {
            log::info!("RTT: chip reset; searching for the control block again");
        }
        state.forget_block();
    }

    /// What `rtt channels` shows.
    pub fn status(&self) -> Status {
        let state = self.state();
        Status {
            started: state.started,
            area: state.area.clone(),
            table: state.attached.as_ref().map(|a| a.table.clone()),
            several: state.several.clone(),
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
        if state.servers.len() >= MAX_CHANNEL_SERVERS {
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

    /// Stops the server on `port` (its client is disconnected).
    pub fn unserve(&self, port: u16) -> Result<usize, ServeError> {
        let server = self
            .state()
            .servers
            .remove(&port)
            .ok_or(ServeError::NotServed(port))?;
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
        match &state.attached {
            None => state.search.is_some() || Instant::now() >= state.next_search,
            Some(_) => state.console || state.servers.values().any(|s| s.client().is_some()),
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
            return state.search_step(core);
        }
        let clients: Vec<(usize, Arc<Client>)> = state
            .servers
            .values()
            .filter_map(|s| s.client().map(|c| (s.channel(), c)))
            .collect();
        let console = state.console.then(|| self.inner.console.clone());
        let attached = state.attached.as_mut().expect("checked above");
        match pump(attached, core, &clients, console.as_deref()) {
            Ok(true) => Activity::Moved,
            Ok(false) => Activity::Idle,
            Err(RttError::Probe(e)) => {
                log::debug!("RTT poll: {e}");
                Activity::Failed
            }
            Err(e) => {
                log::info!("RTT: the control block changed ({e}); searching again");
                state.forget_block();
                Activity::Searching
            }
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
        self.several.clear();
        self.next_search = Instant::now();
    }

    fn attach(&mut self, mut rtt: Rtt) -> ChannelTable {
        let table = ChannelTable::of(&mut rtt);
        log::info!(
            "RTT: control block at {:#010x}, {} up and {} down channel(s)",
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
        self.several.clear();
        self.search = None;
        self.attached = Some(Attached {
            rtt,
            table: table.clone(),
        });
        table
    }

    fn search_step(&mut self, core: &mut Core<'_>) -> Activity {
        let now = Instant::now();
        if self.search.is_none() {
            if now < self.next_search {
                return Activity::Idle;
            }
            self.search = Some(Search::new(&self.area));
        }
        let step = self.search.as_mut().expect("set above").step(core);
        match step {
            Ok(Step::Searching) => return Activity::Searching,
            Ok(Step::Found(address)) => match Rtt::attach_at(core, address) {
                Ok(rtt) => {
                    self.attach(rtt);
                    return Activity::Moved;
                }
                Err(e) => log::debug!("RTT: the control block at {address:#010x}: {e}"),
            },
            Ok(Step::Several(all)) => {
                if all != self.several {
                    log::warn!("RTT: {}", several_text(&all));
                }
                self.several = all;
            }
            Ok(Step::NotFound) => {}
            Err(e) => {
                log::debug!("RTT search: {e}");
                self.search = None;
                self.next_search = now + SEARCH_PAUSE;
                return Activity::Failed;
            }
        }
        self.search = None;
        self.next_search = now + SEARCH_PAUSE;
        Activity::Searching
    }
}

fn several_text(all: &[u64]) -> String {
    let list: Vec<String> = all.iter().map(|a| format!("{a:#010x}")).collect();
    format!(
        "several control blocks found ({}); choose one with `rtt setup ADDRESS SIZE`",
        list.join(", ")
    )
}

/// Moves the bytes of one poll. Returns whether any moved.
fn pump(
    attached: &mut Attached,
    core: &mut Core<'_>,
    clients: &[(usize, Arc<Client>)],
    console: Option<&ByteQueue>,
) -> Result<bool, RttError> {
    let mut moved = false;
    let mut buf = vec![0u8; READ_MAX];
    for up in attached.rtt.up_channels() {
        let number = up.number();
        let readers: Vec<&Arc<Client>> = clients
            .iter()
            .filter(|(c, _)| *c == number)
            .map(|(_, client)| client)
            .collect();
        let console = console.filter(|_| number == CONSOLE_CHANNEL);
        if readers.is_empty() && console.is_none() {
            continue;
        }
        let mut room = console.map_or(READ_MAX, ByteQueue::room);
        for client in &readers {
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
        moved = true;
        for client in &readers {
            client.to_client.push(&buf[..n]);
        }
        if let Some(console) = console {
            console.push(&buf[..n]);
        }
    }
    for (number, client) in clients {
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
            moved = true;
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
