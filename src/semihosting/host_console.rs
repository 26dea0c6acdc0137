//! The server's own console for the program's output: its standard output (SYS_WRITEC,
//! SYS_WRITE0, `:tt` opened for writing) and standard error (`:tt` opened for appending).
//!
//! Serving a call happens with the chip held, so the call must never wait for the terminal: a
//! pipe that nobody drains (`stm32-opts gdb | less`) would hold the chip, and with it every
//! client, for as long as it stays full. The call therefore only queues the bytes, in a bounded
//! queue ([`HOST_CONSOLE_BUFFER`]); one writer thread per process moves them to the streams. When
//! the queue is full the bytes are **dropped and counted**: the program runs on (its output still
//! reaches GDB's console, which is the session's own), a warning goes to the log, and once the
//! streams take bytes again a line on standard output says how many were lost.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock};

use super::files::Stream;
use super::Console;

/// Program output waiting for the server's streams, at most (bytes).
pub const HOST_CONSOLE_BUFFER: usize = 64 * 1024;

/// The queue between the calls and the writer thread.
#[derive(Debug)]
struct Outbox {
    state: Mutex<Pending>,
    ready: Condvar,
    capacity: usize,
}

#[derive(Debug, Default)]
struct Pending {
    /// Bytes to write, in order, each run with its stream.
    chunks: VecDeque<(Stream, Vec<u8>)>,
    /// Their total length.
    len: usize,
    /// Bytes dropped since the process started.
    dropped_total: u64,
    /// Bytes dropped since the last notice on the stream.
    dropped_unreported: u64,
}

/// Where a line about lost output goes, and the bytes themselves go: the process's streams, or
/// (in tests) anything that writes.
pub trait HostStreams: Send + 'static {
    /// Writes `bytes` to `stream` and flushes; waits as long as the stream does.
    fn write(&mut self, stream: Stream, bytes: &[u8]) -> std::io::Result<()>;
}

/// The process's standard output and standard error.
#[derive(Debug, Default)]
pub struct ProcessStreams;

impl HostStreams for ProcessStreams {
    fn write(&mut self, stream: Stream, bytes: &[u8]) -> std::io::Result<()> {
        match stream {
            Stream::Stderr => {
                let mut err = std::io::stderr().lock();
                err.write_all(bytes).and_then(|_| err.flush())
            }
            Stream::Stdout | Stream::Stdin => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|_| out.flush())
            }
        }
    }
}

/// A handle on a bounded host console: cheap to clone, every clone feeds the same writer.
#[derive(Clone, Debug)]
pub struct HostConsole {
    outbox: Arc<Outbox>,
}

impl Default for HostConsole {
    /// The process's console (one writer thread for the whole process, started on first use).
    fn default() -> HostConsole {
        static PROCESS: OnceLock<HostConsole> = OnceLock::new();
        PROCESS
            .get_or_init(|| HostConsole::spawn(ProcessStreams, HOST_CONSOLE_BUFFER))
            .clone()
    }
}

impl HostConsole {
    /// A console whose writer thread writes to `streams`, with `capacity` bytes of queue.
    pub fn spawn(streams: impl HostStreams, capacity: usize) -> HostConsole {
        let outbox = Arc::new(Outbox {
            state: Mutex::new(Pending::default()),
            ready: Condvar::new(),
            capacity,
        });
        let writer = Arc::downgrade(&outbox);
        let spawned = std::thread::Builder::new()
            .name("semihosting-console".into())
            .spawn(move || write_loop(writer, streams));
        if let Err(e) = spawned {
            // Without a writer everything queued is dropped and counted, as for a full pipe.
            log::warn!("semihosting: no console writer thread ({e}); output to the server's console is dropped");
        }
        HostConsole { outbox }
    }

    /// Bytes dropped so far because the server's streams were not taking them.
    pub fn dropped(&self) -> u64 {
        self.outbox.lock().dropped_total
    }

    /// Bytes waiting for the streams.
    pub fn waiting(&self) -> usize {
        self.outbox.lock().len
    }
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Console for HostConsole {
    fn write(&mut self, stream: Stream, bytes: &[u8]) {
        let mut pending = self.outbox.lock();
        let room = self.outbox.capacity.saturating_sub(pending.len);
        let taken = bytes.len().min(room);
        if taken > 0 {
            pending.len += taken;
            match pending.chunks.back_mut() {
                Some((last, chunk)) if *last == stream => chunk.extend_from_slice(&bytes[..taken]),
                _ => pending.chunks.push_back((stream, bytes[..taken].to_vec())),
            }
        }
        let lost = (bytes.len() - taken) as u64;
        if lost > 0 {
            if pending.dropped_unreported == 0 {
                log::warn!(
                    "semihosting: the server's standard output is not being read ({} KiB waiting): the program's output to it is dropped (GDB's console still gets it) until it is read again",
                    pending.len / 1024
                );
            }
            pending.dropped_total += lost;
            pending.dropped_unreported += lost;
        }
        drop(pending);
        if taken > 0 {
            self.outbox.ready.notify_one();
        }
    }
}

/// The line written once output flows again after some was dropped.
pub fn dropped_notice(bytes: u64) -> String {
    format!(
        "\n[stm32-opts: {bytes} bytes of semihosting output were dropped here: the server's standard output was not being read]\n"
    )
}

/// Writes what the calls queued until every console handle is gone.
fn write_loop(outbox: std::sync::Weak<Outbox>, mut streams: impl HostStreams) {
    loop {
        let Some(outbox) = outbox.upgrade() else {
            return;
        };
        let (stream, bytes) = {
            let mut pending = outbox.lock();
            loop {
                if let Some((stream, bytes)) = pending.chunks.pop_front() {
                    pending.len -= bytes.len();
                    break (stream, bytes);
                }
                if pending.dropped_unreported > 0 {
                    let lost = std::mem::take(&mut pending.dropped_unreported);
                    log::warn!(
                        "semihosting: {lost} bytes of output to the server's console were dropped"
                    );
                    break (Stream::Stdout, dropped_notice(lost).into_bytes());
                }
                // Wake up now and then to notice that every handle is gone.
                let (next, _) = outbox
                    .ready
                    .wait_timeout(pending, std::time::Duration::from_millis(200))
                    .unwrap_or_else(|e| e.into_inner());
                pending = next;
                if Arc::strong_count(&outbox) == 1 && pending.chunks.is_empty() {
                    return;
                }
            }
        };
        // Written with nothing held: the stream may wait as long as it likes.
        drop(outbox);
        if let Err(e) = streams.write(stream, &bytes) {
            log::debug!("semihosting: console output lost: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::{Duration, Instant};

    /// Streams that block until the test lets them go, then record what they got.
    struct Gated {
        open: mpsc::Receiver<()>,
        got: Arc<Mutex<Vec<u8>>>,
    }

    impl HostStreams for Gated {
        fn write(&mut self, _stream: Stream, bytes: &[u8]) -> std::io::Result<()> {
            let _ = self.open.recv();
            self.got.lock().unwrap().extend_from_slice(bytes);
            Ok(())
        }
    }

    #[test]
    fn a_stream_that_does_not_take_bytes_never_blocks_the_caller_and_drops_are_counted() {
        let (open, gate) = mpsc::channel();
        let got = Arc::new(Mutex::new(Vec::new()));
        let mut console = HostConsole::spawn(
            Gated {
                open: gate,
                got: got.clone(),
            },
            16,
        );
        let start = Instant::now();
        for _ in 0..100 {
            console.write(Stream::Stdout, b"0123456789");
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "the caller waited"
        );
        assert!(console.waiting() <= 16);
        // The writer took the first chunk and waits in the stream; the queue holds 16 more.
        assert!(console.dropped() >= 1000 - 10 - 16, "{}", console.dropped());
        for _ in 0..10 {
            let _ = open.send(());
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while !String::from_utf8_lossy(&got.lock().unwrap()).contains("were dropped") {
            assert!(Instant::now() < deadline, "no notice of the drop");
            std::thread::sleep(Duration::from_millis(10));
        }
        let text = String::from_utf8_lossy(&got.lock().unwrap()).into_owned();
        assert!(text.starts_with("0123456789"), "{text}");
        assert!(
            text.contains(&format!("{} bytes", console.dropped())),
            "{text}"
        );
    }
}
