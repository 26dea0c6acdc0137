//! The GDB remote-protocol server (`stm32-opts gdb`), built on gdbstub.
//!
//! - [`server`]: listening (tokio), one controlling client and observers, the event loop.
//! - [`admission`]: from an accepted socket to a client with a first packet (bounded waiting).
//! - [`shared`]: the probe-rs session shared by clients and services, one operation at a time.
//! - [`observer`]: what a client may do while another one controls the chip.
//! - [`target`]: the gdbstub target over a probe-rs session (registers, memory).
//! - [`arch`]: the Cortex-M register block and register numbers; [`description`]: which
//!   registers the core has (read from the chip) and the target description that says so.
//! - [`execution`], [`breakpoints`], [`watchpoints`], [`memory_map`], [`flash`], [`monitor`],
//!   [`extended`]: one protocol extension each; [`rtt`]: the `monitor rtt` words;
//!   [`symbols`]: GDB's `qSymbol` lookup of `_SEGGER_RTT`.
//! - [`guard`]: the write guard every GDB-originated write goes through (protocol-free).
//! - [`conn`]: the TCP connection with its framing guard.
//! - [`console_width`]: monitor answers fitted to an 80-column console.
//!
//! See `docs/gdb.md` for usage.

pub mod admission;
pub mod arch;
pub mod breakpoints;
pub mod conn;
pub mod console_width;
pub mod description;
pub mod execution;
pub mod extended;
pub mod family;
pub mod flash;
pub mod guard;
pub mod load_times;
pub mod memory_map;
pub mod monitor;
pub mod observer;
pub mod registers;
pub mod rtt;
pub mod server;
pub mod shared;
pub mod symbols;
pub mod target;
pub mod watchpoints;

families!(family::GdbFamily: f7, g4, g0, h7);

use std::io::Write;
use std::net::SocketAddr;

pub use server::{Server, ServerHandle, PACKET_BUFFER_SIZE};
pub use shared::SharedChip;
pub use target::ChipTarget;

/// The default listening address: loopback only, OpenOCD's port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3333";

/// RTT at server start (`stm32-opts gdb --rtt --rtt-console --elf ELF --defmt ELF`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RttOptions {
    /// Search the chip's RAM for the control block until it appears.
    pub start: bool,
    /// Show channel 0 on the console.
    pub console: bool,
    /// The firmware's ELF: RTT attaches at its `_SEGGER_RTT` (read again when the file changes).
    pub elf: Option<std::path::PathBuf>,
    /// Decode the defmt channel with this ELF's table (lines on the console).
    pub defmt: Option<std::path::PathBuf>,
}

/// Opens the chip and serves GDB on `listen` until the process ends (blocking).
///
/// Prints `Listening for GDB on ADDRESS` on stdout once bound (port 0 picks a free port).
pub fn run(
    opts: &crate::probe::ProbeOptions,
    listen: SocketAddr,
    rtt: RttOptions,
) -> anyhow::Result<()> {
    // The address is taken before the chip is opened: a server that cannot listen must leave
    // the chip (and a --sim-state file) untouched.
    let listener = std::net::TcpListener::bind(listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    // Without --chip the chip says what it is, once; `load` then gets the flash algorithm of
    // the probe-rs target of its part and size.
    let (named, _) = opts.named()?;
    let opts = &named;
    let session = crate::probe::open_session(opts)?;
    let mut server = Server::from_listener(listener, session)?;
    // A probe can go away and come back; the in-process simulator cannot (opening it again
    // would start a different chip).
    if !opts.simulated() {
        let reopen = opts.clone();
        server = server.reopen_with(Box::new(move || Ok(crate::probe::open_session(&reopen)?)));
    }
    if rtt.console {
        server.rtt().set_console(true);
    }
    if let Some(elf) = &rtt.elf {
        match server.rtt().set_elf(elf) {
            Ok(Some(address)) => log::info!("RTT: _SEGGER_RTT at {address:#010x}"),
            Ok(None) => log::warn!(
                "{} does not define _SEGGER_RTT: RTT searches the RAM",
                elf.display()
            ),
            Err(e) => anyhow::bail!("--elf {}: {e}", elf.display()),
        }
    }
    if let Some(elf) = &rtt.defmt {
        server
            .rtt()
            .defmt_on(elf)
            .map_err(|e| anyhow::anyhow!("--defmt: {e}"))?;
    }
    if rtt.start {
        server.rtt().start_in_background();
    }
    let addr = server.local_addr()?;
    if !addr.ip().is_loopback() {
        log::warn!(
            "listening on {addr}, which is not a loopback address: anyone who can reach it controls the chip"
        );
    }
    println!("Listening for GDB on {addr}");
    std::io::stdout().flush()?;
    server.serve_forever()
}
