//! The simulator thread. The whole chip lives on one thread and everything else talks to it
//! through [`SimHandle`], which is `Send + Sync + Clone`.
//!
//! While the core runs, the thread executes instructions in slices and looks at requests
//! between slices; while the core sleeps (WFI/WFE), the thread waits in real time until the
//! core's next timer event or a request, so an idle firmware costs no host CPU; while it is
//! halted, the thread sleeps until a request arrives.
//!
//! **Non-volatile like the chip.** With a state file, the thread saves the chip after every
//! request during or before which the flash array, the OTP area or the option store changed,
//! and only then answers the request. Whatever the debugger has seen (an option commit, a
//! programmed word, an erase, a flash algorithm that returned) is therefore on disk before
//! probe-rs gets the answer that shows it, and a process killed at any moment loses nothing it
//! acknowledged. A request batch (one call from the probe layer) is one save, not one per word.
//!
//! A save that fails is treated like a board that lost power: that request and every later
//! one answer [`SimGone::NotSaved`] with the cause, so the command that drove the chip fails
//! instead of reporting a change that would not survive.

use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Instant;

use super::chip::{Chip, Next};
use super::state::{StateError, StateFile};

/// The chip and, with `--sim-state`, where it persists; owned by the simulator thread.
struct Board {
    chip: Chip,
    persistence: Option<Persistence>,
}

struct Persistence {
    file: StateFile,
    /// `FamilyModel::generation` as last written to the file.
    saved_generation: u64,
    /// The save that failed; the board answers nothing after it.
    failed: Option<Arc<StateError>>,
}

impl Board {
    /// Saves the chip if its non-volatile content changed since the last save (or always, with
    /// `force`). Errors once a save has failed.
    fn persist(&mut self, force: bool) -> Result<(), SimGone> {
        let Some(p) = &mut self.persistence else {
            return Ok(());
        };
        if let Some(e) = &p.failed {
            return Err(SimGone::NotSaved(e.clone()));
        }
        let model = &*self.chip.bus.model;
        if !force && model.generation() == p.saved_generation {
            return Ok(());
        }
        match p.file.save(&self.chip.variant, model) {
            Ok(()) => {
                p.saved_generation = model.generation();
                Ok(())
            }
            Err(e) => {
                log::error!("{e}; the simulated chip stops answering");
                let e = Arc::new(e);
                p.failed = Some(e.clone());
                Err(SimGone::NotSaved(e))
            }
        }
    }

    fn lost_power(&self) -> Option<SimGone> {
        let failed = self.persistence.as_ref()?.failed.as_ref()?;
        Some(SimGone::NotSaved(failed.clone()))
    }
}

type Job = Box<dyn FnOnce(&mut Board) + Send>;

struct Inner {
    sender: Mutex<Option<Sender<Job>>>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // Closing the channel ends the thread, which saves what is left unsaved and releases the
        // state file's lock; wait for that, so a process that exits (or opens the file again)
        // right after dropping the session finds the file complete and unlocked.
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

/// The simulated chip does not answer.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SimGone {
    /// The simulator thread has stopped (it only stops when every handle is gone, or on a bug).
    #[error("the simulated chip is no longer running")]
    Stopped,
    /// Its state file could not be written: the chip stopped answering, as a board that lost
    /// power, so that nothing reports a change the file does not hold.
    #[error("the simulated chip stopped answering (as a board that lost power) because its state could not be saved")]
    NotSaved(#[source] Arc<StateError>),
}

impl SimHandle {
    /// Starts the thread. `make` builds the chip on it; with a `state` file the chip is saved
    /// there as described in the module documentation, and once more when the thread ends.
    pub fn spawn(
        make: impl FnOnce() -> Chip + Send + 'static,
        state: Option<StateFile>,
    ) -> SimHandle {
        let (sender, receiver) = mpsc::channel::<Job>();
        let thread = std::thread::Builder::new()
            .name("stm32-sim".into())
            .spawn(move || {
                let chip = make();
                let persistence = state.map(|file| Persistence {
                    file,
                    saved_generation: chip.bus.model.generation(),
                    failed: None,
                });
                let mut board = Board { chip, persistence };
                serve(&mut board, receiver);
                // Normally nothing is left: every change was saved before it was answered.
                let _ = board.persist(false);
            })
            .expect("spawn the simulator thread");
        SimHandle {
            inner: Arc::new(Inner {
                sender: Mutex::new(Some(sender)),
                thread: Mutex::new(Some(thread)),
            }),
        }
    }

    /// Runs `f` on the chip and returns its result, once any change it made (or the running
    /// core made before it) is saved. After a failed save, `f` is not run.
    pub fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Chip) -> R + Send + 'static,
    ) -> Result<R, SimGone> {
        self.run(move |board| {
            if let Some(gone) = board.lost_power() {
                return Err(gone);
            }
            let result = f(&mut board.chip);
            board.persist(false).map(|()| result)
        })
    }

    /// Writes the state file now, changed or not (nothing without a state file).
    pub fn save(&self) -> Result<(), SimGone> {
        self.run(|board| board.persist(true))
    }

    fn run<R: Send + 'static>(
        &self,
        job: impl FnOnce(&mut Board) -> Result<R, SimGone> + Send + 'static,
    ) -> Result<R, SimGone> {
        let (reply, result) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |board| {
            let _ = reply.send(job(board));
        });
        {
            let guard = self.inner.sender.lock().unwrap_or_else(|e| e.into_inner());
            guard
                .as_ref()
                .ok_or(SimGone::Stopped)?
                .send(job)
                .map_err(|_| SimGone::Stopped)?;
        }
        result.recv().map_err(|_| SimGone::Stopped)?
    }
}

fn serve(board: &mut Board, receiver: Receiver<Job>) {
    let mut next = Next::Run;
    loop {
        match next {
            Next::Run => {
                loop {
                    match receiver.try_recv() {
                        Ok(job) => job(board),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Disconnected) => return,
                    }
                }
                next = board.chip.run_slice();
            }
            Next::Wait(limit) => {
                // A sleeping core: real time passes until SysTick would wake it, or until the
                // debugger asks for something, whichever comes first.
                let start = Instant::now();
                match receiver.recv_timeout(limit) {
                    Ok(job) => {
                        board.chip.idle(start.elapsed());
                        job(board);
                    }
                    Err(RecvTimeoutError::Timeout) => board.chip.idle(start.elapsed()),
                    Err(RecvTimeoutError::Disconnected) => return,
                }
                next = board.chip.run_slice();
            }
            Next::Block => {
                match receiver.recv() {
                    Ok(job) => job(board),
                    Err(_) => return,
                }
                next = board.chip.run_slice();
            }
        }
    }
}
