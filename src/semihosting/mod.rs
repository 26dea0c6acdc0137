//! ARM semihosting served by the debugger: a program on the chip executes `BKPT 0xAB` with an
//! operation number in R0 and a parameter (often the address of a parameter block) in R1; the
//! core halts (DFSR.BKPT), the debugger carries out the operation, writes the result to R0 and
//! lets the core run on past the BKPT.
//!
//! probe-rs recognises the call when it reads the halt (`Core::status` reports
//! `HaltReason::Breakpoint(BreakpointCause::Semihosting(..))`) and decodes the operation
//! ([`probe_rs::semihosting`]); this module serves what the decoded call asks, on a probe-rs
//! `Core`, and says what the caller does next ([`Outcome`]). It knows nothing of GDB.
//!
//! - [`ops`]: operation numbers, exit reasons, errno values (facts, no I/O).
//! - [`files`]: the handles a program can open (`:tt`, `:semihosting-features`, and host files
//!   inside the base directory when one is set).
//! - [`basedir`]: the opt-in host directory and the rules for names inside it.
//! - [`host_console`]: the server's standard output and error, behind a bounded queue.
//! - [`serve`]: serving one call.

pub mod basedir;
pub mod files;
pub mod host_console;
pub mod ops;
pub mod serve;

pub use basedir::BaseDir;
pub use files::Stream;
pub use host_console::HostConsole;
pub use ops::Exit;
pub use serve::{halt_status, pending_call, Call, Outcome, Semihosting};

/// Where the program's console output goes on the server's side. Called with the chip held:
/// an implementation must never wait for its reader.
pub trait Console {
    /// Writes bytes the program sent to `stream` (standard input is never written).
    fn write(&mut self, stream: Stream, bytes: &[u8]);
}
