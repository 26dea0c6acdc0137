//! The firmware ELF the server was told about (`--elf`, `--defmt`, `monitor rtt defmt ELF`), read
//! again whenever the file changes: a new build is usually written just before GDB's `load`, and
//! the address of `_SEGGER_RTT` and the defmt table are the new build's from then on.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The symbol of the RTT control block in firmware built with SEGGER's code, `rtt-target` or
/// `defmt-rtt`.
pub const RTT_SYMBOL: &str = "_SEGGER_RTT";

/// One ELF file, with what was last seen of it.
#[derive(Debug)]
pub struct ElfWatch {
    path: PathBuf,
    seen: Option<(SystemTime, u64)>,
}

impl ElfWatch {
    /// Watches `path` (not read yet: the first [`ElfWatch::changed`] reads it).
    pub fn new(path: &Path) -> ElfWatch {
        ElfWatch {
            path: path.to_path_buf(),
            seen: None,
        }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file's bytes when it is new or changed (time or size) since the last call; `Err`
    /// when it cannot be read (each time it changes).
    pub fn changed(&mut self) -> Option<std::io::Result<Vec<u8>>> {
        let stamp = std::fs::metadata(&self.path)
            .and_then(|m| Ok((m.modified()?, m.len())))
            .ok();
        if stamp.is_some() && stamp == self.seen {
            return None;
        }
        if stamp.is_none() && self.seen.is_none() {
            // Missing before and still missing: say so once, at the first look.
            self.seen = Some((SystemTime::UNIX_EPOCH, u64::MAX));
        } else if stamp.is_none() {
            return None;
        } else {
            self.seen = stamp;
        }
        Some(std::fs::read(&self.path))
    }
}

/// The address of `_SEGGER_RTT` in `elf`, through probe-rs's own lookup; `None` when the ELF does
/// not define it or is not an ELF.
pub fn rtt_symbol(elf: &[u8]) -> Option<u64> {
    probe_rs::rtt::find_rtt_control_block_in_raw_file(elf)
        .ok()
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn firmware(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("examples/firmware")
            .join(name)
    }

    #[test]
    fn the_rtt_firmware_names_its_control_block() {
        let bytes = std::fs::read(firmware("rtt.elf")).unwrap();
        let address = rtt_symbol(&bytes).expect("_SEGGER_RTT");
        assert!(
            (0x2002_0000..0x2008_0000).contains(&address),
            "{address:#x}"
        );
        assert_eq!(rtt_symbol(b"not an elf"), None);
        let plain = std::fs::read(firmware("firmware.elf")).unwrap();
        assert_eq!(rtt_symbol(&plain), None);
    }

    #[test]
    fn a_file_is_read_again_only_when_it_changes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fw.elf");
        let mut watch = ElfWatch::new(&path);
        assert!(watch.changed().unwrap().is_err(), "missing: said once");
        assert!(watch.changed().is_none());
        std::fs::write(&path, b"one").unwrap();
        assert_eq!(watch.changed().unwrap().unwrap(), b"one");
        assert!(watch.changed().is_none());
        std::fs::write(&path, b"three").unwrap();
        assert_eq!(watch.changed().unwrap().unwrap(), b"three");
    }
}
