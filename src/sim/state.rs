//! `--sim-state FILE`: the option store and the flash contents kept between runs, so that
//! consecutive command-line runs behave like one board.
//!
//! The file is JSON: the chip variant, the option store, and the non-erased 1 KiB chunks of the
//! physical flash array and the OTP area, in hex.
//!
//! A [`StateFile`] is the file in use by one simulated chip: it holds an exclusive lock for as
//! long as the chip runs, and every save replaces the file atomically (a unique temporary file
//! beside it, written and flushed to disk, then renamed over it), so the file is always either
//! the previous state or the new one, whatever happens to the process.
//!
//! **Why a sibling lock file.** The lock is taken with `fs4` on `FILE.lock`, a file that is never
//! renamed or rewritten. Locking the state file itself would not work with atomic saves: the
//! rename puts a new inode at the path, and a lock on the old inode protects nothing, so every
//! locker would have to re-check the inode after locking and retry. A lock file that never
//! moves has one inode for its whole life; the lock is released by the kernel when the process
//! ends, however it ends, so a lock file left behind is harmless.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use super::flash::{Flash, OptionStore, OTP_BYTES};
use super::variant::Variant;

const FORMAT: &str = "stm32-opts simulated chip state";
const VERSION: u32 = 1;
const CHUNK: usize = 1024;

#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the simulator state file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the simulator state file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot lock the simulator state file {path} (through {lock}): {source}")]
    Lock {
        path: PathBuf,
        lock: PathBuf,
        source: std::io::Error,
    },
    #[error("the simulator state file {path} is in use by another stm32-opts process (it holds {lock}); nothing was changed — wait for that process to end, or use another --sim-state file")]
    InUse { path: PathBuf, lock: PathBuf },
    #[error("{path} is not a stm32-opts simulator state file ({detail}); it was left untouched — pass another --sim-state path, or delete this file to start from a factory-fresh chip")]
    Foreign { path: PathBuf, detail: String },
    #[error("{path} holds a simulated {found}, not a {wanted}; it was left untouched — use --chip {found}, or another --sim-state file")]
    WrongChip {
        path: PathBuf,
        found: String,
        wanted: String,
    },
}

#[derive(Serialize, Deserialize)]
struct Chunk {
    /// Which physical half of the array (0 or 1).
    half: usize,
    offset: usize,
    hex: String,
}

#[derive(Serialize, Deserialize)]
struct Contents {
    format: String,
    version: u32,
    chip: String,
    optcr: u32,
    optcr1: u32,
    flash: Vec<Chunk>,
    otp: String,
}

/// What a state file holds, ready to build a chip from.
pub struct Saved {
    pub store: OptionStore,
    pub halves: [Vec<u8>; 2],
    pub otp: Vec<u8>,
}

fn to_hex(bytes: &[u8]) -> String {
    // Saves happen after every flash operation the debugger sees, so this stays cheap.
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xF)] as char);
    }
    out
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Loads `path` for `variant`; `Ok(None)` when the file does not exist yet. Callers hold the
/// file's lock (see [`StateFile::open`]).
fn load(path: &Path, variant: &Variant) -> Result<Option<Saved>, StateError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(StateError::Read {
                path: path.into(),
                source,
            })
        }
    };
    let foreign = |detail: String| StateError::Foreign {
        path: path.into(),
        detail,
    };
    let file: Contents = serde_json::from_str(&text).map_err(|e| foreign(e.to_string()))?;
    if file.format != FORMAT || file.version != VERSION {
        return Err(foreign(format!(
            "format '{}' version {}",
            file.format, file.version
        )));
    }
    if !file.chip.eq_ignore_ascii_case(variant.name) {
        return Err(StateError::WrongChip {
            path: path.into(),
            found: file.chip,
            wanted: variant.name.into(),
        });
    }
    let half = (variant.flash_bytes() / 2) as usize;
    let mut halves = [vec![0xFF; half], vec![0xFF; half]];
    for chunk in &file.flash {
        let data =
            from_hex(&chunk.hex).ok_or_else(|| foreign("bad hex in a flash chunk".into()))?;
        let target = halves
            .get_mut(chunk.half)
            .ok_or_else(|| foreign("bad flash half".into()))?;
        let end = chunk
            .offset
            .checked_add(data.len())
            .filter(|end| *end <= half);
        let end = end.ok_or_else(|| foreign("flash chunk out of range".into()))?;
        target[chunk.offset..end].copy_from_slice(&data);
    }
    let otp = from_hex(&file.otp)
        .filter(|o| o.len() == OTP_BYTES)
        .ok_or_else(|| foreign("bad OTP".into()))?;
    Ok(Some(Saved {
        store: OptionStore {
            optcr: file.optcr,
            optcr1: file.optcr1,
        },
        halves,
        otp,
    }))
}

/// The state file of a running simulated chip, locked against every other user.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// The locked `FILE.lock`; closing it (when this is dropped) releases the lock.
    _lock: File,
}

impl StateFile {
    /// Locks `path` for this process and loads it; `None` when the file does not exist yet.
    /// Another process holding the lock is an error ([`StateError::InUse`]); nothing is
    /// created but the lock file, and only in a directory that exists.
    pub fn open(path: &Path, variant: &Variant) -> Result<(StateFile, Option<Saved>), StateError> {
        let lock_path = lock_path(path);
        let lock_err = |source| StateError::Lock {
            path: path.into(),
            lock: lock_path.clone(),
            source,
        };
        let lock = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(lock_err)?;
        match fs4::FileExt::try_lock(&lock) {
            Ok(()) => {}
            Err(fs4::TryLockError::WouldBlock) => {
                return Err(StateError::InUse {
                    path: path.into(),
                    lock: lock_path,
                })
            }
            Err(fs4::TryLockError::Error(source)) => return Err(lock_err(source)),
        }
        let saved = load(path, variant)?;
        let file = StateFile {
            path: path.into(),
            _lock: lock,
        };
        Ok((file, saved))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the chip's non-volatile state: to a unique temporary file beside the state file,
    /// flushed to disk, then renamed over it (and the directory flushed, so the rename itself
    /// survives a power cut). On any error the previous file is left as it was.
    pub fn save(&self, variant: &Variant, flash: &Flash) -> Result<(), StateError> {
        let text = serialize(variant, flash);
        let write_err = |source| StateError::Write {
            path: self.path.clone(),
            source,
        };
        let tmp = temp_path(&self.path);
        let written = File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| {
                f.write_all(text.as_bytes())?;
                f.sync_all()
            })
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(write_err(e));
        }
        sync_dir(&self.path).map_err(write_err)
    }
}

/// `FILE.lock` beside `FILE`.
fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    path.with_file_name(name)
}

/// `.FILE.PID.N.tmp` beside `FILE`: unique within this process (the counter) and among
/// processes (the pid); only the lock holder writes, so no other process races for the name.
fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}.{n}.tmp", std::process::id()));
    path.with_file_name(name)
}

/// Flushes the directory entry of `path` (the rename) to disk. Only Unix can open a directory
/// for this; elsewhere the rename is as durable as the file system makes it.
fn sync_dir(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

fn serialize(variant: &Variant, flash: &Flash) -> String {
    let mut chunks = Vec::new();
    for (half, data) in flash.halves().iter().enumerate() {
        for (i, chunk) in data.chunks(CHUNK).enumerate() {
            if chunk.iter().any(|b| *b != 0xFF) {
                chunks.push(Chunk {
                    half,
                    offset: i * CHUNK,
                    hex: to_hex(chunk),
                });
            }
        }
    }
    let store = flash.store();
    let file = Contents {
        format: FORMAT.into(),
        version: VERSION,
        chip: variant.name.into(),
        optcr: store.optcr,
        optcr1: store.optcr1,
        flash: chunks,
        otp: to_hex(flash.otp()),
    };
    serde_json::to_string_pretty(&file).expect("state serializes")
}
