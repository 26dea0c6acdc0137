//! What a program can open through SYS_OPEN: the console `:tt` (standard input, output or error
//! by the open mode, as the specification's SH_EXT_STDOUT_STDERR extension defines) and the
//! read-only `:semihosting-features` file that tells a C library which extensions the debugger
//! has. Host files are never opened: whoever runs firmware must not get the host's files.
//! Pure bookkeeping, no I/O.

use std::collections::BTreeMap;

use super::ops::errno;

/// The console's special file name.
pub const CONSOLE: &str = ":tt";
/// The feature file's name.
pub const FEATURES: &str = ":semihosting-features";
/// Its contents: the magic `SHFB` and one byte of feature bits, SH_EXT_EXIT_EXTENDED (bit 0,
/// SYS_EXIT_EXTENDED is served) and SH_EXT_STDOUT_STDERR (bit 1, `:tt` opened for append is
/// standard error).
pub const FEATURE_BYTES: [u8; 5] = [b'S', b'H', b'F', b'B', 0b11];
/// More open handles than a program plausibly needs; beyond it SYS_OPEN fails.
const MAX_OPEN: usize = 64;

/// A console stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    /// Standard input.
    Stdin,
    /// Standard output (also SYS_WRITEC and SYS_WRITE0, the "debug channel").
    Stdout,
    /// Standard error.
    Stderr,
}

/// An open handle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenFile {
    /// A console stream.
    Console(Stream),
    /// `:semihosting-features`, with the read position.
    Features {
        /// The next byte to read.
        pos: u32,
    },
}

/// The open mode numbers of SYS_OPEN (ISO C `fopen` modes): 0–3 `r`, `rb`, `r+`, `r+b`;
/// 4–7 `w`…; 8–11 `a`….
pub fn console_stream(mode: u32) -> Option<Stream> {
    match mode {
        0..=3 => Some(Stream::Stdin),
        4..=7 => Some(Stream::Stdout),
        8..=11 => Some(Stream::Stderr),
        _ => None,
    }
}

/// The handles a program holds. Handles are nonzero, as SYS_OPEN requires.
#[derive(Debug, Default)]
pub struct Handles {
    open: BTreeMap<u32, OpenFile>,
}

impl Handles {
    /// Opens `name` with `mode`: the handle, or the errno of the failure.
    pub fn open(&mut self, name: &str, mode: u32) -> Result<u32, i32> {
        let file = match name {
            CONSOLE => OpenFile::Console(console_stream(mode).ok_or(errno::EINVAL)?),
            // Read-only: modes r and rb.
            FEATURES if mode <= 1 => OpenFile::Features { pos: 0 },
            FEATURES => return Err(errno::EINVAL),
            _ => return Err(errno::ENOENT),
        };
        if self.open.len() >= MAX_OPEN {
            return Err(EMFILE);
        }
        let handle = (1..).find(|h| !self.open.contains_key(h)).unwrap_or(1);
        self.open.insert(handle, file);
        Ok(handle)
    }

    /// Closes a handle.
    pub fn close(&mut self, handle: u32) -> Result<(), i32> {
        self.open.remove(&handle).map(|_| ()).ok_or(errno::EBADF)
    }

    /// The file behind a handle.
    pub fn get(&self, handle: u32) -> Result<OpenFile, i32> {
        self.open.get(&handle).copied().ok_or(errno::EBADF)
    }

    /// Reads up to `len` bytes of the feature file behind `handle` and moves on.
    pub fn read_features(&mut self, handle: u32, len: u32) -> Vec<u8> {
        match self.open.get_mut(&handle) {
            Some(OpenFile::Features { pos }) => {
                let start = (*pos as usize).min(FEATURE_BYTES.len());
                let end = start.saturating_add(len as usize).min(FEATURE_BYTES.len());
                *pos = end as u32;
                FEATURE_BYTES[start..end].to_vec()
            }
            _ => Vec::new(),
        }
    }

    /// SYS_SEEK: the console cannot seek (ESPIPE, as a host terminal); the feature file can,
    /// within its length.
    pub fn seek(&mut self, handle: u32, to: u32) -> Result<(), i32> {
        match self.open.get_mut(&handle) {
            None => Err(errno::EBADF),
            Some(OpenFile::Console(_)) => Err(errno::ESPIPE),
            Some(OpenFile::Features { pos }) if to as usize <= FEATURE_BYTES.len() => {
                *pos = to;
                Ok(())
            }
            Some(OpenFile::Features { .. }) => Err(errno::EINVAL),
        }
    }

    /// SYS_FLEN: 0 for the console (a terminal has no length, as a host's fstat says).
    pub fn length(&self, handle: u32) -> Result<u32, i32> {
        match self.get(handle)? {
            OpenFile::Console(_) => Ok(0),
            OpenFile::Features { .. } => Ok(FEATURE_BYTES.len() as u32),
        }
    }

    /// SYS_ISTTY: 1 for the console, 0 for a file.
    pub fn is_tty(&self, handle: u32) -> Result<u32, i32> {
        match self.get(handle)? {
            OpenFile::Console(_) => Ok(1),
            OpenFile::Features { .. } => Ok(0),
        }
    }
}

/// Too many open handles.
const EMFILE: i32 = 24;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_modes_pick_the_stream() {
        let mut h = Handles::default();
        let stdin = h.open(":tt", 0).unwrap();
        let stdout = h.open(":tt", 4).unwrap();
        let stderr = h.open(":tt", 8).unwrap();
        assert_ne!(stdin, 0, "handles are nonzero");
        assert_eq!(h.get(stdin), Ok(OpenFile::Console(Stream::Stdin)));
        assert_eq!(h.get(stdout), Ok(OpenFile::Console(Stream::Stdout)));
        assert_eq!(h.get(stderr), Ok(OpenFile::Console(Stream::Stderr)));
        assert_eq!(h.open(":tt", 12), Err(errno::EINVAL));
    }

    #[test]
    fn host_files_are_never_opened() {
        let mut h = Handles::default();
        assert_eq!(h.open("/etc/passwd", 0), Err(errno::ENOENT));
        assert_eq!(h.open("out.txt", 4), Err(errno::ENOENT));
    }

    #[test]
    fn closed_handles_are_bad_and_reused() {
        let mut h = Handles::default();
        let a = h.open(":tt", 4).unwrap();
        assert_eq!(h.close(a), Ok(()));
        assert_eq!(h.close(a), Err(errno::EBADF));
        assert_eq!(h.get(a), Err(errno::EBADF));
        assert_eq!(h.is_tty(99), Err(errno::EBADF));
        assert_eq!(h.open(":tt", 4), Ok(a));
    }

    #[test]
    fn console_has_no_length_and_cannot_seek() {
        let mut h = Handles::default();
        let out = h.open(":tt", 4).unwrap();
        assert_eq!(h.length(out), Ok(0));
        assert_eq!(h.is_tty(out), Ok(1));
        assert_eq!(h.seek(out, 0), Err(errno::ESPIPE));
    }

    #[test]
    fn feature_file_reads_its_magic_and_bits() {
        let mut h = Handles::default();
        assert_eq!(h.open(FEATURES, 4), Err(errno::EINVAL), "read-only");
        let f = h.open(FEATURES, 0).unwrap();
        assert_eq!(h.length(f), Ok(5));
        assert_eq!(h.is_tty(f), Ok(0));
        assert_eq!(h.read_features(f, 4), b"SHFB");
        assert_eq!(h.read_features(f, 4), vec![0b11]);
        assert!(h.read_features(f, 4).is_empty(), "end of file");
        assert_eq!(h.seek(f, 4), Ok(()));
        assert_eq!(h.read_features(f, 1), vec![0b11]);
        assert_eq!(h.seek(f, 6), Err(errno::EINVAL));
    }

    #[test]
    fn open_handles_are_bounded() {
        let mut h = Handles::default();
        for _ in 0..MAX_OPEN {
            h.open(":tt", 4).unwrap();
        }
        assert_eq!(h.open(":tt", 4), Err(EMFILE));
    }
}
