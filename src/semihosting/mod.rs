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
//! - [`files`]: the handles a program can open (`:tt`, `:semihosting-features`).
//! - [`serve`]: serving one call.

pub mod files;
pub mod ops;
pub mod serve;

use std::io::Write;

pub use files::Stream;
pub use ops::Exit;
pub use serve::{halt_status, pending_call, Call, Outcome, Semihosting};

/// Where the program's console output goes on the server's side.
pub trait Console {
    /// Writes bytes the program sent to `stream` (standard input is never written).
    fn write(&mut self, stream: Stream, bytes: &[u8]);
}

/// The server's own standard output (SYS_WRITEC, SYS_WRITE0, `:tt` opened for writing) and
/// standard error (`:tt` opened for appending), flushed at once so lines appear as they are
/// written.
#[derive(Debug, Default)]
pub struct HostConsole;

impl Console for HostConsole {
    fn write(&mut self, stream: Stream, bytes: &[u8]) {
        let result = match stream {
            Stream::Stderr => {
                let mut err = std::io::stderr().lock();
                err.write_all(bytes).and_then(|_| err.flush())
            }
            Stream::Stdout | Stream::Stdin => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|_| out.flush())
            }
        };
        if let Err(e) = result {
            log::debug!("semihosting: console output lost: {e}");
        }
    }
}
