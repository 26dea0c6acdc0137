//! `--sim-state FILE`: the option store and the flash contents kept between runs, so that
//! consecutive command-line runs behave like one board.
//!
//! The file is JSON: the chip variant, the family model's option store (and whatever else it
//! keeps: the F7's OTP area), and the non-erased 1 KiB chunks of the physical flash array, in
//! hex, as two physical halves (on the G4: bank 1's and bank 2's half of the array). An F7 file
//! holds `optcr`/`optcr1` and `otp`; a G4 file holds `g4` (its option registers as stored). The
//! family reads and writes its own fields ([`super::family::FamilyModel::saved`],
//! [`super::family::SimFamily::restore`]); this module the rest.
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

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::family::{FamilyModel, ModelBuilder};
use super::variant::Variant;

const FORMAT: &str = "stm32-opts simulated chip state";
const VERSION: u32 = 1;
const CHUNK: usize = 1024;
const ERASED_CHUNK: [u8; CHUNK] = [0xFF; CHUNK];

/// Why a state file could not be used. The OS error is part of the message, not a `source()`,
/// so that it is printed once whether the error is shown alone or with its chain.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error("cannot read the simulator state file {path}: {cause}")]
    Read {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot write the simulator state file {path}: {cause}")]
    Write {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("cannot lock the simulator state file {path} (through {lock}): {cause}")]
    Lock {
        path: PathBuf,
        lock: PathBuf,
        cause: std::io::Error,
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

#[derive(Deserialize)]
struct Chunk {
    /// Which physical half of the array (0 or 1).
    half: usize,
    offset: usize,
    hex: String,
}

/// What every state file holds, whatever the family: the family's own fields are read by the
/// family from the whole document.
#[derive(Deserialize)]
struct Contents {
    format: String,
    version: u32,
    chip: String,
    flash: Vec<Chunk>,
}

/// What a state file holds: the family model to build, as after a power-on.
pub type Saved = ModelBuilder;

/// Saves happen after every flash operation the debugger sees, so the encoding stays cheap even
/// in an unoptimised build: one table lookup per byte, bulk copies, no per-byte formatting.
pub(crate) fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    const PAIRS: [[u8; 2]; 256] = {
        let mut table = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            table[i] = [DIGITS[i >> 4], DIGITS[i & 0xF]];
            i += 1;
        }
        table
    };
    let mut out = Vec::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.extend_from_slice(&PAIRS[usize::from(b)]);
    }
    String::from_utf8(out).expect("hex digits are ASCII")
}

pub(crate) fn from_hex(text: &str) -> Option<Vec<u8>> {
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
        Err(cause) => {
            return Err(StateError::Read {
                path: path.into(),
                cause,
            })
        }
    };
    let foreign = |detail: String| StateError::Foreign {
        path: path.into(),
        detail,
    };
    let document: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| foreign(e.to_string()))?;
    let file = Contents::deserialize(&document).map_err(|e| foreign(e.to_string()))?;
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
    let model = variant
        .family
        .restore(*variant, &document, halves)
        .map_err(foreign)?;
    Ok(Some(model))
}

/// The state file of a running simulated chip, locked against every other user.
#[derive(Debug)]
pub struct StateFile {
    path: PathBuf,
    /// The locked `FILE.lock`; closing it (when this is dropped) releases the lock.
    _lock: File,
    encoded: EncodedChunks,
}

/// How long opening waits for another holder of the lock to let go before the file is in use.
const LOCK_WAIT: Duration = Duration::from_millis(1500);
/// How often opening tries the lock again meanwhile.
const LOCK_RETRY: Duration = Duration::from_millis(25);

impl StateFile {
    /// Locks `path` for this process and loads it; `None` when the file does not exist yet.
    /// Another process holding the lock (for longer than [`LOCK_WAIT`]) is an error
    /// ([`StateError::InUse`]); nothing is
    /// created but the lock file, and only in a directory that exists.
    pub fn open(path: &Path, variant: &Variant) -> Result<(StateFile, Option<Saved>), StateError> {
        let lock_path = lock_path(path);
        let lock_err = |cause| StateError::Lock {
            path: path.into(),
            lock: lock_path.clone(),
            cause,
        };
        let lock = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&lock_path)
            .map_err(lock_err)?;
        // A holder that is just ending (a process exiting, or a copy of the lock's descriptor
        // that a concurrent spawn holds until it execs) lets go within moments: wait a little
        // before calling the file in use, bounded.
        let deadline = Instant::now() + LOCK_WAIT;
        loop {
            match fs4::FileExt::try_lock(&lock) {
                Ok(()) => break,
                Err(fs4::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(LOCK_RETRY);
                }
                Err(fs4::TryLockError::WouldBlock) => {
                    return Err(StateError::InUse {
                        path: path.into(),
                        lock: lock_path,
                    })
                }
                Err(fs4::TryLockError::Error(cause)) => return Err(lock_err(cause)),
            }
        }
        let saved = load(path, variant)?;
        let file = StateFile {
            path: path.into(),
            _lock: lock,
            encoded: EncodedChunks::default(),
        };
        Ok((file, saved))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes the chip's non-volatile state: to a unique temporary file beside the state file,
    /// flushed to disk, then renamed over it (and the directory flushed, so the rename itself
    /// survives a power cut). On any error the previous file is left as it was.
    pub fn save(&mut self, variant: &Variant, model: &dyn FamilyModel) -> Result<(), StateError> {
        let text = serialize(variant, model, &mut self.encoded);
        let write_err = |cause| StateError::Write {
            path: self.path.clone(),
            cause,
        };
        let tmp = temp_path(&self.path);
        let written = File::options()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .and_then(|mut f| {
                f.write_all(text.as_bytes())?;
                // The data must be on disk before the rename makes it the state file.
                f.sync_data()
            })
            .and_then(|()| std::fs::rename(&tmp, &self.path));
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(write_err(e));
        }
        sync_dir(&self.path).map_err(write_err)?;
        log::debug!("saved {} ({} bytes)", self.path.display(), text.len());
        Ok(())
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

/// The hex text of the flash chunks as last saved, so that a save encodes only the chunks that
/// changed since (a `load` saves after every page it programs).
#[derive(Debug, Default)]
struct EncodedChunks(HashMap<(usize, usize), (Vec<u8>, String)>);

impl EncodedChunks {
    fn hex(&mut self, half: usize, offset: usize, bytes: &[u8]) -> &str {
        let entry = self
            .0
            .entry((half, offset))
            .or_insert_with(|| (Vec::new(), String::new()));
        if entry.0 != bytes {
            *entry = (bytes.to_vec(), to_hex(bytes));
        }
        &entry.1
    }
}

/// The file's JSON, written directly rather than through serde: the hex strings (up to 4 MiB)
/// need no escaping, and serde's escaping scan costs more than the rest of a save.
/// [`load`] reads it back with serde ([`Contents`], and the family its own fields).
fn serialize(variant: &Variant, model: &dyn FamilyModel, encoded: &mut EncodedChunks) -> String {
    use std::fmt::Write as _;
    let saved = model.saved();
    let mut out = String::with_capacity(4096);
    let quoted = |text: &str| serde_json::to_string(text).expect("a string serializes");
    let _ = write!(
        out,
        "{{\n  \"format\": {},\n  \"version\": {VERSION},\n  \"chip\": {},\n{}  \"flash\": [",
        quoted(FORMAT),
        quoted(variant.name),
        saved.fields,
    );
    write_chunks(&mut out, saved.halves, encoded);
    out.push_str(&saved.tail);
    out.push_str("\n}\n");
    out
}

/// The `flash` array's entries (the non-erased chunks of both halves) and its closing bracket.
fn write_chunks(out: &mut String, halves: [&[u8]; 2], encoded: &mut EncodedChunks) {
    use std::fmt::Write as _;
    let mut first = true;
    for (half, data) in halves.iter().enumerate() {
        for (i, chunk) in data.chunks(CHUNK).enumerate() {
            // Slice comparisons (memcmp), not per-byte scans: 2 MiB are checked on every save.
            if chunk == &ERASED_CHUNK[..chunk.len()] {
                continue;
            }
            let offset = i * CHUNK;
            let separator = if first { "" } else { "," };
            first = false;
            let _ = write!(
                out,
                "{separator}\n    {{ \"half\": {half}, \"offset\": {offset}, \"hex\": \""
            );
            out.push_str(encoded.hex(half, offset, chunk));
            out.push_str("\" }");
        }
    }
    let _ = write!(out, "{}]", if first { "" } else { "\n  " });
}
