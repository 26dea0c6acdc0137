//! `--sim-state FILE`: the option store and the flash contents kept between runs, so that
//! consecutive command-line runs behave like one board.
//!
//! The file is JSON: the chip variant, the option store, and the non-erased 1 KiB chunks of the
//! physical flash array and the OTP area, in hex.

use std::path::{Path, PathBuf};

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
struct StateFile {
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
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

/// Loads `path` for `variant`; `Ok(None)` when the file does not exist yet.
pub fn load(path: &Path, variant: &Variant) -> Result<Option<Saved>, StateError> {
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
    let file: StateFile = serde_json::from_str(&text).map_err(|e| foreign(e.to_string()))?;
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

/// Writes the chip's non-volatile state to `path` (atomically, through a temporary file).
pub fn save(path: &Path, variant: &Variant, flash: &Flash) -> Result<(), StateError> {
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
    let file = StateFile {
        format: FORMAT.into(),
        version: VERSION,
        chip: variant.name.into(),
        optcr: store.optcr,
        optcr1: store.optcr1,
        flash: chunks,
        otp: to_hex(flash.otp()),
    };
    let text = serde_json::to_string_pretty(&file).expect("state serializes");
    let tmp = path.with_extension("tmp");
    let write_err = |source| StateError::Write {
        path: path.into(),
        source,
    };
    std::fs::write(&tmp, text).map_err(write_err)?;
    std::fs::rename(&tmp, path).map_err(write_err)
}
