//! What a program can open through SYS_OPEN: the console `:tt` (standard input, output or error
//! by the open mode, as the specification's SH_EXT_STDOUT_STDERR extension defines), the
//! read-only `:semihosting-features` file that tells a C library which extensions the debugger
//! has, and — only when a base directory is set ([`super::basedir`]) — host files inside it.
//! Without one, host files are never opened: whoever runs firmware must not get the host's
//! files. The handle table is bounded ([`MAX_OPEN`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};

use super::basedir::{io_errno, BaseDir};
use super::ops::errno;

/// The console's special file name.
pub const CONSOLE: &str = ":tt";
/// The feature file's name.
pub const FEATURES: &str = ":semihosting-features";
/// Its contents: the magic `SHFB` and one byte of feature bits, SH_EXT_EXIT_EXTENDED (bit 0,
/// SYS_EXIT_EXTENDED is served) and SH_EXT_STDOUT_STDERR (bit 1, `:tt` opened for append is
/// standard error).
pub const FEATURE_BYTES: [u8; 5] = [b'S', b'H', b'F', b'B', 0b11];
/// More open handles than a program plausibly needs; beyond it SYS_OPEN fails (EMFILE).
pub const MAX_OPEN: usize = 64;

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

/// What a handle refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A console stream.
    Console(Stream),
    /// `:semihosting-features`.
    Features,
    /// A file in the base directory.
    Host,
}

/// An open handle.
#[derive(Debug)]
enum OpenFile {
    Console(Stream),
    /// `:semihosting-features`, with the read position.
    Features {
        pos: u32,
    },
    Host(File),
}

impl OpenFile {
    fn kind(&self) -> Kind {
        match self {
            OpenFile::Console(s) => Kind::Console(*s),
            OpenFile::Features { .. } => Kind::Features,
            OpenFile::Host(_) => Kind::Host,
        }
    }
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
    /// Opens `name` with `mode`: the handle, or the errno of the failure. Names other than the
    /// two special ones are host files in `base`, if there is one.
    pub fn open(&mut self, name: &str, mode: u32, base: Option<&BaseDir>) -> Result<u32, i32> {
        if self.open.len() >= MAX_OPEN {
            return Err(errno::EMFILE);
        }
        let file = match name {
            CONSOLE => OpenFile::Console(console_stream(mode).ok_or(errno::EINVAL)?),
            // Read-only: modes r and rb.
            FEATURES if mode <= 1 => OpenFile::Features { pos: 0 },
            FEATURES => return Err(errno::EINVAL),
            _ => match base {
                None => return Err(errno::ENOENT),
                Some(base) => match base.open(name, mode) {
                    Ok(file) => OpenFile::Host(file),
                    Err(e) => {
                        log::warn!(
                            "semihosting: SYS_OPEN {name:?} in {}: {e}",
                            base.root().display()
                        );
                        return Err(e.errno());
                    }
                },
            },
        };
        let handle = (1..).find(|h| !self.open.contains_key(h)).unwrap_or(1);
        self.open.insert(handle, file);
        Ok(handle)
    }

    /// Closes a handle (a host file is closed on the host).
    pub fn close(&mut self, handle: u32) -> Result<(), i32> {
        self.open.remove(&handle).map(|_| ()).ok_or(errno::EBADF)
    }

    /// Closes every handle: the program starts again.
    pub fn close_all(&mut self) {
        self.open.clear();
    }

    /// What a handle refers to.
    pub fn get(&self, handle: u32) -> Result<Kind, i32> {
        self.open
            .get(&handle)
            .map(OpenFile::kind)
            .ok_or(errno::EBADF)
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

    fn host_file(&mut self, handle: u32) -> Result<&mut File, i32> {
        match self.open.get_mut(&handle) {
            Some(OpenFile::Host(file)) => Ok(file),
            Some(_) => Err(errno::EBADF),
            None => Err(errno::EBADF),
        }
    }

    /// Reads up to `len` bytes of a host file (fewer at its end).
    pub fn read_host(&mut self, handle: u32, len: usize) -> Result<Vec<u8>, i32> {
        let file = self.host_file(handle)?;
        let mut bytes = Vec::with_capacity(len);
        file.take(len as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| io_errno(&e))?;
        Ok(bytes)
    }

    /// Writes `bytes` to a host file.
    pub fn write_host(&mut self, handle: u32, bytes: &[u8]) -> Result<(), i32> {
        let file = self.host_file(handle)?;
        file.write_all(bytes).map_err(|e| io_errno(&e))
    }

    /// SYS_SEEK: the console cannot seek (ESPIPE, as a host terminal); the feature file can,
    /// within its length; a host file anywhere.
    pub fn seek(&mut self, handle: u32, to: u32) -> Result<(), i32> {
        match self.open.get_mut(&handle) {
            None => Err(errno::EBADF),
            Some(OpenFile::Console(_)) => Err(errno::ESPIPE),
            Some(OpenFile::Features { pos }) if to as usize <= FEATURE_BYTES.len() => {
                *pos = to;
                Ok(())
            }
            Some(OpenFile::Features { .. }) => Err(errno::EINVAL),
            Some(OpenFile::Host(file)) => file
                .seek(SeekFrom::Start(u64::from(to)))
                .map(|_| ())
                .map_err(|e| io_errno(&e)),
        }
    }

    /// SYS_FLEN: 0 for the console (a terminal has no length, as a host's fstat says).
    pub fn length(&self, handle: u32) -> Result<u32, i32> {
        match self.open.get(&handle) {
            None => Err(errno::EBADF),
            Some(OpenFile::Console(_)) => Ok(0),
            Some(OpenFile::Features { .. }) => Ok(FEATURE_BYTES.len() as u32),
            Some(OpenFile::Host(file)) => {
                let len = file.metadata().map_err(|e| io_errno(&e))?.len();
                // The answer is a signed 32-bit number: larger files cannot be described.
                u32::try_from(len)
                    .ok()
                    .filter(|&l| l <= i32::MAX as u32)
                    .ok_or(errno::EINVAL)
            }
        }
    }

    /// SYS_ISTTY: 1 for the console, 0 for a file.
    pub fn is_tty(&self, handle: u32) -> Result<u32, i32> {
        match self.get(handle)? {
            Kind::Console(_) => Ok(1),
            Kind::Features | Kind::Host => Ok(0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn console_modes_pick_the_stream() {
        let mut h = Handles::default();
        let stdin = h.open(":tt", 0, None).unwrap();
        let stdout = h.open(":tt", 4, None).unwrap();
        let stderr = h.open(":tt", 8, None).unwrap();
        assert_ne!(stdin, 0, "handles are nonzero");
        assert_eq!(h.get(stdin), Ok(Kind::Console(Stream::Stdin)));
        assert_eq!(h.get(stdout), Ok(Kind::Console(Stream::Stdout)));
        assert_eq!(h.get(stderr), Ok(Kind::Console(Stream::Stderr)));
        assert_eq!(h.open(":tt", 12, None), Err(errno::EINVAL));
    }

    #[test]
    fn host_files_are_never_opened_without_a_base_directory() {
        let mut h = Handles::default();
        assert_eq!(h.open("/etc/passwd", 0, None), Err(errno::ENOENT));
        assert_eq!(h.open("out.txt", 4, None), Err(errno::ENOENT));
    }

    #[test]
    fn closed_handles_are_bad_and_reused() {
        let mut h = Handles::default();
        let a = h.open(":tt", 4, None).unwrap();
        assert_eq!(h.close(a), Ok(()));
        assert_eq!(h.close(a), Err(errno::EBADF));
        assert_eq!(h.get(a), Err(errno::EBADF));
        assert_eq!(h.is_tty(99), Err(errno::EBADF));
        assert_eq!(h.open(":tt", 4, None), Ok(a));
    }

    #[test]
    fn console_has_no_length_and_cannot_seek() {
        let mut h = Handles::default();
        let out = h.open(":tt", 4, None).unwrap();
        assert_eq!(h.length(out), Ok(0));
        assert_eq!(h.is_tty(out), Ok(1));
        assert_eq!(h.seek(out, 0), Err(errno::ESPIPE));
    }

    #[test]
    fn feature_file_reads_its_magic_and_bits() {
        let mut h = Handles::default();
        assert_eq!(h.open(FEATURES, 4, None), Err(errno::EINVAL), "read-only");
        let f = h.open(FEATURES, 0, None).unwrap();
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
            h.open(":tt", 4, None).unwrap();
        }
        assert_eq!(h.open(":tt", 4, None), Err(errno::EMFILE));
    }

    #[test]
    fn host_files_in_the_base_directory_read_write_seek_and_close() {
        let dir = tempfile::tempdir().unwrap();
        let base = BaseDir::new(dir.path()).unwrap();
        let mut h = Handles::default();
        let w = h.open("result.txt", 6, Some(&base)).unwrap();
        assert_eq!(h.get(w), Ok(Kind::Host));
        assert_eq!(h.is_tty(w), Ok(0));
        h.write_host(w, b"written by the chip").unwrap();
        assert_eq!(h.length(w), Ok(19));
        h.seek(w, 11).unwrap();
        assert_eq!(h.read_host(w, 64), Ok(b"the chip".to_vec()));
        assert_eq!(h.read_host(w, 64), Ok(Vec::new()), "end of file");
        h.close(w).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("result.txt")).unwrap(),
            "written by the chip"
        );
        assert_eq!(h.open("missing", 0, Some(&base)), Err(errno::ENOENT));
        assert_eq!(h.open("/etc/passwd", 0, Some(&base)), Err(errno::EACCES));
        assert_eq!(h.open("../x", 4, Some(&base)), Err(errno::EACCES));
        let c = h.open(":tt", 4, Some(&base)).unwrap();
        assert_eq!(
            h.write_host(c, b"x"),
            Err(errno::EBADF),
            "the console is no host file"
        );
        h.close_all();
        assert_eq!(h.get(c), Err(errno::EBADF));
    }
}
