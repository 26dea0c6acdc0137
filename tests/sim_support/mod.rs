//! Shared helpers for the simulator tests.
#![allow(dead_code)]

use std::path::PathBuf;

use probe_rs::flashing::{download_file_with_options, DownloadOptions, ElfLoader, ElfOptions};
use probe_rs::Session;

pub fn firmware_elf() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/firmware.elf")
}

/// The fault test firmware (examples/firmware/faults.s).
pub fn faults_elf() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/faults.elf")
}

/// Address of a symbol of the test firmware (from its source: see examples/firmware).
pub fn symbol(name: &str) -> u32 {
    symbol_in(&firmware_elf(), name)
}

/// Address of a symbol of the fault test firmware.
pub fn faults_symbol(name: &str) -> u32 {
    symbol_in(&faults_elf(), name)
}

fn symbol_in(elf: &std::path::Path, name: &str) -> u32 {
    let data = std::fs::read(elf).unwrap();
    elf_symbol(&data, name).unwrap_or_else(|| panic!("symbol {name} not in {}", elf.display()))
}

/// A minimal ELF32 symbol-table lookup (enough for the test firmware).
fn elf_symbol(data: &[u8], name: &str) -> Option<u32> {
    let u16_at = |o: usize| u16::from_le_bytes([data[o], data[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(data[o..o + 4].try_into().unwrap());
    let shoff = u32_at(0x20) as usize;
    let shentsize = u16_at(0x2E);
    let shnum = u16_at(0x30);
    for i in 0..shnum {
        let sh = shoff + i * shentsize;
        if u32_at(sh + 4) != 2 {
            continue; // SHT_SYMTAB
        }
        let (off, size, link) = (
            u32_at(sh + 0x10) as usize,
            u32_at(sh + 0x14) as usize,
            u32_at(sh + 0x18) as usize,
        );
        let strtab = u32_at(shoff + link * shentsize + 0x10) as usize;
        for s in (off..off + size).step_by(16) {
            let name_off = strtab + u32_at(s) as usize;
            let end = data[name_off..].iter().position(|b| *b == 0)?;
            if &data[name_off..name_off + end] == name.as_bytes() {
                return Some(u32_at(s + 4) & !1);
            }
        }
    }
    None
}

/// Flashes the test firmware with the given probe-rs algorithm, verifying.
pub fn flash_firmware(
    session: &mut Session,
    algorithm: &str,
) -> Result<(), probe_rs::flashing::FileDownloadError> {
    flash_elf(session, &firmware_elf(), algorithm)
}

/// Flashes an ELF with the given probe-rs algorithm, verifying.
pub fn flash_elf(
    session: &mut Session,
    elf: &std::path::Path,
    algorithm: &str,
) -> Result<(), probe_rs::flashing::FileDownloadError> {
    let mut options = DownloadOptions::default();
    options.verify = true;
    options.preferred_algos = vec![algorithm.to_string()];
    download_file_with_options(session, elf, ElfLoader(ElfOptions::default()), options)
}
