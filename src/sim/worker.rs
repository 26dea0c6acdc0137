//! The simulator thread. The CPU emulator is not `Send`, so the whole chip lives on one thread
//! and everything else talks to it through [`SimHandle`], which is `Send + Sync + Clone`.
//!
//! While the core runs, the thread executes instructions in slices and looks at requests
//! between slices; while it is halted, the thread sleeps until a request arrives.

use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::chip::Chip;

type Job = Box<dyn FnOnce(&mut Chip) + Send>;

struct Inner {
    sender: Mutex<Option<Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which then saves the state; wait for that so a
        // process that exits right after dropping the session keeps its state file.
        self.sender.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(thread) = self.thread.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = thread.join();
        }
    }
}

/// A cheap, thread-safe handle to a running simulated chip.
#[derive(Clone)]
pub struct SimHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimHandle")
    }
}

/// The simulator thread has stopped (it only stops when every handle is gone, or on a bug).
#[derive(Debug, Clone, Copy, thiserror::Error)]
#[error("the simulated chip is no longer running")]
pub struct SimGone;

impl SimHandle {
    /// Starts the thread. `make` builds the chip on it; `on_exit` runs there when it ends.
    pub fn spawn(
        make: impl FnOnce() -> Chip + Send + 'static,
        on_exit: impl FnOnce(&mut Chip) + Send + 'static,
    ) -> SimHandle {
        quiet_emulator_panics();
        let (sender, receiver) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("stm32-sim".into())
            .spawn(move || {
                let mut chip = make();
                serve(&mut chip, receiver);
                on_exit(&mut chip);
            })
            .expect("spawn the simulator thread");
        SimHandle {
            inner: Arc::new(Inner {
                sender: Mutex::new(Some(sender)),
                thread: Mutex::new(Some(thread)),
            }),
        }
    }

    /// Runs `f` on the chip and returns its result.
    pub fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Chip) -> R + Send + 'static,
    ) -> Result<R, SimGone> {
        let (reply, result) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |chip| {
            let _ = reply.send(f(chip));
        });
        {
            let guard = self.inner.sender.lock().unwrap_or_else(|e| e.into_inner());
            guard
                .as_ref()
                .ok_or(SimGone)?
                .send(job)
                .map_err(|_| SimGone)?;
        }
        result.recv().map_err(|_| SimGone)
    }
}

fn serve(chip: &mut Chip, receiver: Receiver<Job>) {
    loop {
        if chip.running() {
            loop {
                match receiver.try_recv() {
                    Ok(job) => job(chip),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => return,
                }
            }
            chip.run_slice();
        } else {
            match receiver.recv() {
                Ok(job) => job(chip),
                Err(_) => return,
            }
        }
    }
}

/// The CPU emulator panics on some guest actions; the simulator turns those into a core lockup
/// with a log line, so the default panic message on the simulator thread is only noise.
fn quiet_emulator_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if std::thread::current().name() != Some("stm32-sim") {
                previous(info);
            }
        }));
    });
}
