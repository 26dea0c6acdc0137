//! The committed test firmware is what its source builds to (so the ELFs the tests and docs use
//! cannot drift from `examples/firmware/firmware.s`, `faults.s`, `semihosting.s`,
//! `semihosting-loop.s`, `semihosting-files.s` and `rtt.s`),
//! for the STM32F767 (`firmware.ld`) and the STM32G474 (`g4.ld`, the `-g4.elf` files); and
//! `rtt-boot.s` and `defmt.s` (initialised data, a defmt table) by `data.ld` and `data-g4.ld`.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn committed_firmware_matches_its_source() {
    committed_elf_matches_its_source("firmware");
}

#[test]
fn committed_fault_firmware_matches_its_source() {
    committed_elf_matches_its_source("faults");
}

#[test]
fn committed_rtt_firmware_matches_its_source() {
    committed_elf_matches_its_source("rtt");
}

#[test]
fn committed_semihosting_firmware_matches_its_source() {
    committed_elf_matches_its_source("semihosting");
}

#[test]
fn committed_semihosting_loop_firmware_matches_its_source() {
    committed_elf_matches_its_source("semihosting-loop");
}

#[test]
fn committed_semihosting_files_firmware_matches_its_source() {
    committed_elf_matches_its_source("semihosting-files");
}

#[test]
fn committed_g4_semihosting_loop_firmware_matches_its_source() {
    committed_g4_elf_matches_its_source("semihosting-loop");
}

#[test]
fn committed_g4_semihosting_files_firmware_matches_its_source() {
    committed_g4_elf_matches_its_source("semihosting-files");
}

#[test]
fn committed_g4_firmware_matches_its_source() {
    committed_g4_elf_matches_its_source("firmware");
}

#[test]
fn committed_g4_fault_firmware_matches_its_source() {
    committed_g4_elf_matches_its_source("faults");
}

#[test]
fn committed_g4_rtt_firmware_matches_its_source() {
    committed_g4_elf_matches_its_source("rtt");
}

#[test]
fn committed_g4_semihosting_firmware_matches_its_source() {
    committed_g4_elf_matches_its_source("semihosting");
}

#[test]
fn committed_boot_rtt_firmware_matches_its_source() {
    build_and_compare("rtt-boot", "cortex-m7", "data.ld", "rtt-boot.elf");
    build_and_compare("rtt-boot", "cortex-m4", "data-g4.ld", "rtt-boot-g4.elf");
}

#[test]
fn committed_defmt_firmware_matches_its_source() {
    build_and_compare("defmt", "cortex-m7", "data.ld", "defmt.elf");
    build_and_compare("defmt", "cortex-m4", "data-g4.ld", "defmt-g4.elf");
}

/// Builds `examples/firmware/NAME.s` as `build.sh` does and compares it with `NAME.elf`.
fn committed_elf_matches_its_source(name: &str) {
    build_and_compare(name, "cortex-m7", "firmware.ld", &format!("{name}.elf"));
}

/// The same for the G474 build, `NAME-g4.elf`, and checks it is linked for G4 memory.
fn committed_g4_elf_matches_its_source(name: &str) {
    build_and_compare(name, "cortex-m4", "g4.ld", &format!("{name}-g4.elf"));
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/firmware");
    let nm = Command::new("arm-none-eabi-nm")
        .arg(dir.join(format!("{name}-g4.elf")))
        .output()
        .expect("arm-none-eabi-nm");
    let symbols = String::from_utf8_lossy(&nm.stdout);
    let stack_top = symbols
        .lines()
        .find(|l| l.ends_with(" _stack_top"))
        .and_then(|l| u32::from_str_radix(&l[..8], 16).ok())
        .expect("_stack_top");
    // SRAM1 + SRAM2 of a G474 end at 0x2001_8000 (96 KB); F7's RAM at 0x2002_0000+ is not there.
    assert_eq!(stack_top, 0x2001_8000, "{name}-g4.elf: stack top");
}

fn build_and_compare(name: &str, cpu: &str, script: &str, committed_name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/firmware");
    let out = tempfile::tempdir().unwrap();
    let obj = out.path().join(format!("{name}.o"));
    let elf = out.path().join(format!("{name}.elf"));
    let as_status = Command::new("arm-none-eabi-as")
        .arg(format!("-mcpu={cpu}"))
        .args(["-mthumb", "-o"])
        .arg(&obj)
        .arg(dir.join(format!("{name}.s")))
        .status()
        .unwrap_or_else(|e| {
            panic!("arm-none-eabi-as is missing ({e}): apt-get install binutils-arm-none-eabi")
        });
    assert!(as_status.success());
    let ld_status = Command::new("arm-none-eabi-ld")
        .arg("-T")
        .arg(dir.join(script))
        .arg("-o")
        .arg(&elf)
        .arg(&obj)
        .status()
        .expect("arm-none-eabi-ld");
    assert!(ld_status.success());
    // Compare the loadable bytes (debug info carries build paths).
    let dump = |path: &PathBuf| {
        let o = Command::new("arm-none-eabi-objcopy")
            .args([
                "-O",
                "binary",
                "--only-section=.vectors",
                "--only-section=.text",
                "--only-section=.data",
            ])
            .arg(path)
            .arg(out.path().join("image.bin"))
            .status()
            .expect("arm-none-eabi-objcopy");
        assert!(o.success());
        std::fs::read(out.path().join("image.bin")).unwrap()
    };
    let built = dump(&elf);
    let committed = dump(&dir.join(committed_name));
    assert!(!built.is_empty());
    assert_eq!(
        built, committed,
        "examples/firmware/{committed_name} is stale: run examples/firmware/build.sh"
    );
    // The defmt table is symbols, not loaded bytes.
    let symbols = |path: &PathBuf| {
        let o = Command::new("arm-none-eabi-nm")
            .arg(path)
            .output()
            .expect("arm-none-eabi-nm");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    assert_eq!(
        symbols(&elf),
        symbols(&dir.join(committed_name)),
        "examples/firmware/{committed_name} is stale (symbols): run examples/firmware/build.sh"
    );
}
