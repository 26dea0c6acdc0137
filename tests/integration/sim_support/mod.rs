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

/// STM32G47x/G48x addresses and register fields, from the reference facts (RM0440 through
/// `stm32-families.md` §0, §3, §6), for the G4 simulator tests.
pub mod g4 {
    pub const DBGMCU_IDCODE: u64 = 0xE004_2000;
    pub const FLASH_SIZE_REG: u64 = 0x1FFF_75E0;
    pub const OPTION_BYTES: u64 = 0x1FFF_7800;
    pub const FLASH_KEYR: u64 = 0x4002_2008;
    pub const FLASH_OPTKEYR: u64 = 0x4002_200C;
    pub const FLASH_SR: u64 = 0x4002_2010;
    pub const FLASH_CR: u64 = 0x4002_2014;
    pub const FLASH_OPTR: u64 = 0x4002_2020;
    pub const KEY1: u32 = 0x4567_0123;
    pub const KEY2: u32 = 0xCDEF_89AB;
    pub const OPTKEY1: u32 = 0x0819_2A3B;
    pub const OPTKEY2: u32 = 0x4C5D_6E7F;
    pub const SR_BSY: u32 = 1 << 16;
    /// OPTVERR, PGSERR, SIZERR, PGAERR, WRPERR, PROGERR, OPERR (write-1-to-clear).
    pub const SR_ERRORS: u32 = (1 << 15) | 0xFA;
    pub const CR_OPTSTRT: u32 = 1 << 17;
    pub const CR_OBL_LAUNCH: u32 = 1 << 27;
    pub const CR_OPTLOCK: u32 = 1 << 30;
    pub const CR_LOCK: u32 = 1 << 31;
    pub const OPTR_DBANK: u32 = 1 << 22;
    pub const RDP_LEVEL2: u32 = 0xCC;
    /// Factory OPTR (dual bank, RDP level 0), as the reference gives it.
    pub const FACTORY_OPTR: u32 = 0xFFEF_F8AA;
    pub const CPUID: u64 = 0xE000_ED00;
    pub const MVFR0: u64 = 0xE000_EF40;
    pub const FP_CTRL: u64 = 0xE000_2000;
    pub const DWT_CTRL: u64 = 0xE000_1000;
    pub const SRAM1: u64 = 0x2000_0000;
    pub const SRAM2: u64 = 0x2001_4000;
    pub const CCM_SRAM: u64 = 0x2001_8000;
    pub const CCM_ALIAS: u64 = 0x1000_0000;
}
