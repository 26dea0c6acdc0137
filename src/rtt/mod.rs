//! SEGGER RTT (real-time transfer) for the debug server, protocol-free: nothing here knows GDB.
//!
//! The ring buffers and the control block are read and written by probe-rs's RTT implementation
//! ([`probe_rs::rtt`]); this module decides where to look, when, and where the bytes go:
//! - [`scan`]: the RAM to search for the control block (the chip's RAM regions, or an address
//!   range), searched in big reads, a bounded chip hold per step, for every place with the ID;
//! - [`block`]: checking one candidate control block from its bytes (pure);
//! - [`locate`]: choosing among the candidates the block the firmware writes to (pure);
//! - [`elf`]: the firmware ELF the server was told about (`_SEGGER_RTT`), read again on change;
//! - [`defmt`]: defmt frames to text lines with `defmt-decoder` (pure);
//! - [`decoded`]: the defmt decoder thread and where its lines go (console, text ports, GDB);
//! - [`channels`]: the table of up and down channels, as shown to the user;
//! - [`queue`]: a bounded byte queue between the poller and a client or the console;
//! - [`tcp`]: a loopback TCP server per channel (up-channel bytes to the client, client bytes to
//!   the down channel);
//! - [`service`]: the state (setup, started, attached) and the poller, which takes the chip for one
//!   short operation at a time through [`ChipAccess`].

pub mod block;
pub mod channels;
pub mod decoded;
pub mod defmt;
pub mod elf;
pub mod locate;
pub mod queue;
pub mod scan;
pub mod service;
pub mod tcp;

pub use channels::{ChannelInfo, ChannelTable, Direction};
pub use scan::{ScanArea, SetupError};
pub use service::{Activity, RttService, ServeError, StartReport, Symbol, SymbolSource};

use probe_rs::Core;

/// Why the chip could not be lent to the RTT poller for one operation.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// There is no chip to use (the probe was lost and is not open again).
    #[error("no chip: {0}")]
    Unavailable(String),
    /// probe-rs could not open core 0.
    #[error("probe: {0}")]
    Probe(#[from] probe_rs::Error),
}

/// Lends core 0 of the chip for one short operation. The RTT poller calls it from its own thread,
/// while a GDB client may be connected (running or halted) or not.
pub trait ChipAccess: Send + Sync {
    /// Runs `op` on core 0 with the chip held only for the duration of `op`.
    fn with_core(&self, op: &mut dyn FnMut(&mut Core<'_>)) -> Result<(), AccessError>;
}

/// Runs `op` through `access` and returns its result.
pub fn with_core<R>(
    access: &dyn ChipAccess,
    op: impl FnOnce(&mut Core<'_>) -> R,
) -> Result<R, AccessError> {
    let mut op = Some(op);
    let mut result = None;
    access.with_core(&mut |core| {
        if let Some(op) = op.take() {
            result = Some(op(core));
        }
    })?;
    result.ok_or_else(|| AccessError::Unavailable("the operation did not run".into()))
}
