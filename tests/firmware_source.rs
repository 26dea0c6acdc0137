//! The committed test firmware is what its source builds to (so the ELFs the tests and docs use
//! cannot drift from `examples/firmware/firmware.s`, `faults.s`, `semihosting.s` and `rtt.s`).

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

/// Builds `examples/firmware/NAME.s` as `build.sh` does and compares it with `NAME.elf`.
fn committed_elf_matches_its_source(name: &str) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/firmware");
    let out = tempfile::tempdir().unwrap();
    let obj = out.path().join(format!("{name}.o"));
    let elf = out.path().join(format!("{name}.elf"));
    let as_status = Command::new("arm-none-eabi-as")
        .args(["-mcpu=cortex-m7", "-mthumb", "-o"])
        .arg(&obj)
        .arg(dir.join(format!("{name}.s")))
        .status()
        .unwrap_or_else(|e| {
            panic!("arm-none-eabi-as is missing ({e}): apt-get install binutils-arm-none-eabi")
        });
    assert!(as_status.success());
    let ld_status = Command::new("arm-none-eabi-ld")
        .arg("-T")
        .arg(dir.join("firmware.ld"))
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
            ])
            .arg(path)
            .arg(out.path().join("image.bin"))
            .status()
            .expect("arm-none-eabi-objcopy");
        assert!(o.success());
        std::fs::read(out.path().join("image.bin")).unwrap()
    };
    let built = dump(&elf);
    let committed = dump(&dir.join(format!("{name}.elf")));
    assert!(!built.is_empty());
    assert_eq!(
        built, committed,
        "examples/firmware/{name}.elf is stale: run examples/firmware/build.sh"
    );
}
