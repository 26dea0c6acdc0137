//! defmt frames to text lines, with the maintained `defmt-decoder` crate (pure: bytes in, lines
//! out; nothing here touches the chip or a socket).
//!
//! The firmware's ELF carries the table (format strings at the addresses of the symbols of its
//! `.defmt` section) and, when built with debug information, each log statement's file and line.
//! rzCOBS frames end with a 0x00 byte, so [`LineDecoder`] keeps the bytes of an unfinished frame
//! and hands each whole frame to a fresh `defmt-decoder` stream decoder; a frame it cannot decode
//! is dropped and the stream goes on with the next one. A frame whose index the table does not
//! know is reported once per index (a firmware newer than its ELF sends many).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use defmt_decoder::{DecodeError, Encoding, Frame, Locations, Table};

/// Why an ELF cannot be used for decoding.
#[derive(Debug, thiserror::Error)]
pub enum DefmtError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The ELF has no defmt table (no `.defmt` section and no version symbol).
    #[error("{0} has no defmt table (no `.defmt` section)")]
    NoTable(PathBuf),
    /// defmt-decoder refused the table.
    #[error("{path}: {why}")]
    BadTable {
        /// The file.
        path: PathBuf,
        /// defmt-decoder's words.
        why: String,
    },
}

/// The defmt table of one firmware image, with the log statements' locations when known.
pub struct DefmtElf {
    path: PathBuf,
    table: Table,
    locations: Locations,
}

impl std::fmt::Debug for DefmtElf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefmtElf")
            .field("path", &self.path)
            .field("entries", &self.table.indices().count())
            .field("locations", &self.locations.len())
            .finish()
    }
}

impl DefmtElf {
    /// Reads the table of the ELF at `path`.
    pub fn load(path: &Path) -> Result<DefmtElf, DefmtError> {
        let bytes = std::fs::read(path).map_err(|source| DefmtError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        DefmtElf::parse(path, &bytes)
    }

    /// The table of `elf` (the bytes of the file at `path`).
    pub fn parse(path: &Path, elf: &[u8]) -> Result<DefmtElf, DefmtError> {
        let bad = |why: anyhow::Error| DefmtError::BadTable {
            path: path.to_path_buf(),
            why: format!("{why:#}"),
        };
        let table = Table::parse(elf)
            .map_err(bad)?
            .ok_or_else(|| DefmtError::NoTable(path.to_path_buf()))?;
        // Locations come from DWARF; an ELF without it still decodes, without file:line.
        let locations = table.get_locations(elf).unwrap_or_else(|e| {
            log::info!(
                "defmt: {}: no log statement locations ({e:#})",
                path.display()
            );
            Locations::new()
        });
        Ok(DefmtElf {
            path: path.to_path_buf(),
            table,
            locations,
        })
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How many format strings the table has.
    pub fn entries(&self) -> usize {
        self.table.indices().count()
    }

    /// How many log statements have a file and line.
    pub fn locations(&self) -> usize {
        self.locations.len()
    }

    fn knows(&self, index: u64) -> bool {
        self.table.indices().any(|i| i as u64 == index)
    }

    /// `{timestamp} {LEVEL} {message}`, then ` (file:line)` when known.
    fn line(&self, frame: &Frame<'_>) -> String {
        let mut line = frame.display(false).to_string();
        if let Some(loc) = self.locations.get(&frame.index()) {
            let _ = write!(line, " ({}:{})", loc.file.display(), loc.line);
        }
        line
    }
}

/// What decoding produced, in stream order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Output {
    /// A decoded log line.
    Line(String),
    /// Something the user should know about the stream (said once per cause).
    Notice(String),
}

/// Decodes a byte stream of defmt frames into lines.
#[derive(Debug)]
pub struct LineDecoder {
    elf: DefmtElf,
    pending: Vec<u8>,
    unknown: BTreeSet<u64>,
    malformed: u64,
}

/// The most bytes kept for one unfinished frame. A real frame is far shorter; beyond this the
/// stream is not defmt (or lost its framing) and the bytes are dropped.
pub const MAX_FRAME: usize = 16 * 1024;

impl LineDecoder {
    /// A decoder for the stream of the firmware `elf` describes.
    pub fn new(elf: DefmtElf) -> LineDecoder {
        LineDecoder {
            elf,
            pending: Vec::new(),
            unknown: BTreeSet::new(),
            malformed: 0,
        }
    }

    /// The table in use.
    pub fn elf(&self) -> &DefmtElf {
        &self.elf
    }

    /// Takes a new table (a new ELF); an unfinished frame is kept and decoded with it.
    pub fn replace_elf(&mut self, elf: DefmtElf) {
        self.elf = elf;
        self.unknown.clear();
    }

    /// Frames the table did not decode so far.
    pub fn malformed(&self) -> u64 {
        self.malformed
    }

    /// Decodes what `bytes` completes.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Output> {
        self.pending.extend_from_slice(bytes);
        match self.elf.table.encoding() {
            Encoding::Raw => self.frames_raw(),
            // rzCOBS, and any later framed encoding the decoder's stream handles.
            _ => self.frames_rzcobs(),
        }
    }

    fn frames_rzcobs(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        let mut start = 0;
        while let Some(zero) = self.pending[start..].iter().position(|&b| b == 0) {
            let end = start + zero + 1;
            let frame = &self.pending[start..end];
            start = end;
            if frame.len() == 1 {
                continue; // separators between frames
            }
            let decoded = {
                let mut decoder = self.elf.table.new_stream_decoder();
                decoder.received(frame);
                decoder.decode().map(|f| self.elf.line(&f))
            };
            match decoded {
                Ok(line) => out.push(Output::Line(line)),
                Err(_) => {
                    let index = unrzcobs(&frame[..frame.len() - 1])
                        .filter(|f| f.len() >= 2)
                        .map(|f| u64::from(u16::from_le_bytes([f[0], f[1]])));
                    out.extend(self.undecodable(index));
                }
            }
        }
        self.pending.drain(..start);
        if self.pending.len() > MAX_FRAME {
            out.push(Output::Notice(format!(
                "defmt: {} bytes without a frame end dropped (is this channel defmt?)",
                self.pending.len()
            )));
            self.pending.clear();
        }
        out
    }

    fn frames_raw(&mut self) -> Vec<Output> {
        let mut out = Vec::new();
        loop {
            let decoded = match self.elf.table.decode(&self.pending) {
                Ok((frame, consumed)) => Ok((self.elf.line(&frame), consumed)),
                Err(e) => Err(e),
            };
            match decoded {
                Ok((line, consumed)) => {
                    out.push(Output::Line(line));
                    self.pending.drain(..consumed);
                }
                Err(DecodeError::UnexpectedEof) => break,
                Err(DecodeError::Malformed) => {
                    // Raw frames have no boundaries: nothing after a bad one can be trusted.
                    let index = (self.pending.len() >= 2)
                        .then(|| u64::from(u16::from_le_bytes([self.pending[0], self.pending[1]])));
                    out.extend(self.undecodable(index));
                    self.pending.clear();
                    break;
                }
            }
        }
        out
    }

    fn undecodable(&mut self, index: Option<u64>) -> Option<Output> {
        self.malformed += 1;
        match index {
            Some(index) if !self.elf.knows(index) => self.unknown.insert(index).then(|| {
                Output::Notice(format!(
                    "defmt: a frame with index {index} is not in the table of {} (reported once; is the ELF the running firmware's?)",
                    self.elf.path.display()
                ))
            }),
            _ => (self.malformed == 1 || self.malformed.is_power_of_two()).then(|| {
                Output::Notice(format!(
                    "defmt: {} frame(s) could not be decoded and were dropped",
                    self.malformed
                ))
            }),
        }
    }
}

/// Undoes rzCOBS for one frame (without its 0x00 end) to read its index when the decoder refused
/// it; `None` when the bytes are not rzCOBS. The format: read from the end, a byte 0x01..=0x7F
/// describes the 7 bytes before it (bit n set: byte n is 0x00, else it comes from the stream),
/// 0x80..=0xFE stands for (its low 7 bits + 7) stream bytes followed by one 0x00, 0xFF for 134
/// stream bytes.
fn unrzcobs(encoded: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut rest = encoded.iter().rev().copied();
    while let Some(code) = rest.next() {
        match code {
            0 => return None,
            0x01..=0x7F => {
                for bit in (0..7).rev() {
                    if code & (1 << bit) != 0 {
                        out.push(0);
                    } else {
                        out.push(rest.next()?);
                    }
                }
            }
            0x80..=0xFE => {
                out.push(0);
                for _ in 0..(code & 0x7F) + 7 {
                    out.push(rest.next()?);
                }
            }
            0xFF => {
                for _ in 0..134 {
                    out.push(rest.next()?);
                }
            }
        }
    }
    out.reverse();
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firmware_elf() -> DefmtElf {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/defmt.elf");
        DefmtElf::load(&path).unwrap()
    }

    #[test]
    fn the_test_firmware_table_is_accepted_by_the_decoder() {
        let elf = firmware_elf();
        // ERROR, INFO and WARN statements; the timestamp is not a log statement.
        assert_eq!(elf.entries(), 3);
        let mut decoder = LineDecoder::new(elf);
        // "line 0" (index 3) at 0.000125 s: 03 00 | 7d 00 00 00 | 00 00 00 00, rzCOBS:
        // group 1 = 03 00 7d 00 00 00 00 (zeros at 1, 3..=6), group 2 = 00 00 00 (padded).
        // The statement's location comes from the ELF's DWARF (the `ldr` of `line` in defmt.s).
        let line_0 = || vec![Output::Line("0.000125 INFO line 0 (defmt.s:95)".into())];
        let out = decoder.feed(&[0x03, 0x7d, 0x7a, 0x7f, 0x00]);
        assert_eq!(out, line_0());
        // Split anywhere, with a leading separator; then a frame the table does not know
        // (index 99), twice: reported once.
        assert!(decoder.feed(&[0x00, 0x03, 0x7d]).is_empty());
        assert_eq!(decoder.feed(&[0x7a, 0x7f, 0x00]), line_0());
        let unknown = [0x63, 0x7d, 0x7a, 0x7f, 0x00];
        let out = decoder.feed(&unknown);
        assert!(
            matches!(&out[..], [Output::Notice(n)] if n.contains("index 99")),
            "{out:?}"
        );
        assert!(decoder.feed(&unknown).is_empty(), "reported once");
        assert_eq!(decoder.malformed(), 2);
        // Garbage without a frame end is dropped past the limit, and decoding goes on.
        let out = decoder.feed(&vec![0x55; MAX_FRAME + 1]);
        assert!(matches!(&out[..], [Output::Notice(_)]), "{out:?}");
        assert_eq!(decoder.feed(&[0x03, 0x7d, 0x7a, 0x7f, 0x00]), line_0());
    }

    #[test]
    fn an_elf_without_a_table_is_refused() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/rtt.elf");
        assert!(matches!(DefmtElf::load(&path), Err(DefmtError::NoTable(_))));
        assert!(matches!(
            DefmtElf::load(Path::new("/nonexistent.elf")),
            Err(DefmtError::Read { .. })
        ));
    }

    #[test]
    fn rzcobs_groups_undo() {
        // 0x05 0x00 0x12 0x00 0x00 0x00 0x00: bits 1, 3..=6 are zeros; literals 0x05, 0x12.
        assert_eq!(
            unrzcobs(&[0x05, 0x12, 0b0111_1010]),
            Some(vec![0x05, 0, 0x12, 0, 0, 0, 0])
        );
        // Seven non-zero bytes then a zero.
        assert_eq!(
            unrzcobs(&[1, 2, 3, 4, 5, 6, 7, 0x80]),
            Some(vec![1, 2, 3, 4, 5, 6, 7, 0])
        );
        assert_eq!(unrzcobs(&[1, 0x80]), None, "too few bytes for the run");
        assert_eq!(unrzcobs(&[0]), None);
    }
}
