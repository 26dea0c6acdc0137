//! The socket probe: a debug probe reached over TCP with probe-rs's Glasgow protocol
//! (`probe-rs,v01`), as `stm32-opts sim-probe` serves it (`--probe 20b7:9db1:tcp:HOST:PORT`).
//!
//! stm32-opts speaks the protocol itself instead of through probe-rs's Glasgow driver, for two
//! reasons:
//! - **A probe that goes away is an error, not a hang.** probe-rs's driver takes the end of the
//!   connection for an empty read and waits for the rest of its answer forever, at full CPU.
//! - **Register writes do not wait for their answer.** probe-rs's driver waits for the answer of
//!   every write before it sends the next request, so writing a core register (three writes and a
//!   read) costs four round trips. Here writes are queued and go out with the next read, as
//!   probe firmware with a command queue (CMSIS-DAP) does; a write that fails is reported by the
//!   read or flush that sent it. This is most of the speed of `load` and memory reads on a
//!   socket probe.
//!
//! - [`wire`]: the protocol's framing and command codes (the simulator's server uses them too);
//! - [`batch`]: the queue of one packet's SWD commands and the reading of its answers;
//! - [`link`]: the TCP connection;
//! - [`driver`]: probe-rs's `DebugProbe` and `RawDapAccess` on top.

pub mod batch;
pub mod driver;
pub mod link;
pub mod wire;

pub use driver::{SocketProbe, SocketProbeError};
