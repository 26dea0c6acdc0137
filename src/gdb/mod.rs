//! The GDB remote-protocol server (`stm32-opts gdb`), built on gdbstub.
//!
//! - [`server`]: listening (tokio), one client at a time, the blocking event loop.
//! - [`target`]: the gdbstub target over a probe-rs session (registers, memory).
//! - [`arch`]: the Cortex-M7 target description and register block.
//! - [`execution`], [`breakpoints`], [`watchpoints`], [`memory_map`], [`flash`], [`monitor`],
//!   [`extended`]: one protocol extension each.
//! - [`guard`]: the write guard every GDB-originated write goes through (protocol-free).
//! - [`conn`]: the TCP connection with its framing guard.
//!
//! See `docs/gdb.md` for usage.

pub mod arch;
pub mod breakpoints;
pub mod conn;
pub mod execution;
pub mod extended;
pub mod flash;
pub mod guard;
pub mod memory_map;
pub mod monitor;
pub mod registers;
pub mod server;
pub mod target;
pub mod watchpoints;

use std::io::Write;
use std::net::SocketAddr;

pub use server::{Server, ServerHandle, PACKET_BUFFER_SIZE};
pub use target::ChipTarget;

/// The default listening address: loopback only, OpenOCD's port.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:3333";

/// Opens the chip and serves GDB on `listen` until the process ends (blocking).
///
/// Prints `Listening for GDB on ADDRESS` on stdout once bound (port 0 picks a free port).
pub fn run(opts: &crate::probe::ProbeOptions, listen: SocketAddr) -> anyhow::Result<()> {
    let session = crate::probe::open_session(opts)?;
    let server = Server::bind(session, listen)
        .map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
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
