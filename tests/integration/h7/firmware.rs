//! The H7's bank-report firmware (`bank_report.S`), built at test time with the stock
//! `arm-none-eabi-gcc`, once per image number and test run, linked at 0x0800_0000.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

static BUILDING: Mutex<()> = Mutex::new(());

/// The ELF of image `image` (1, 2, …).
pub fn bank_report(image: u32) -> PathBuf {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/integration/h7/bank_report.S");
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("firmware");
    std::fs::create_dir_all(&out_dir).expect("firmware output directory");
    let text = std::fs::read(&source).expect("bank_report.S");
    let stamp = text
        .iter()
        .fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
    let elf = out_dir.join(format!("h7-bank-report-{image}-{stamp:016x}.elf"));
    let _guard = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    if elf.exists() {
        return elf;
    }
    let partial = elf.with_extension(format!("{}.tmp", std::process::id()));
    let out = Command::new("arm-none-eabi-gcc")
        .args(["-mcpu=cortex-m7", "-mthumb", "-nostdlib", "-g"])
        .arg(format!("-DIMAGE={image}"))
        .args([
            "-Wl,--section-start=.vectors=0x08000000",
            "-Wl,-Ttext=0x08000400",
            "-Wl,-e,reset",
        ])
        .arg("-o")
        .arg(&partial)
        .arg(&source)
        .output()
        .expect("arm-none-eabi-gcc is installed (apt-get install gcc-arm-none-eabi)");
    assert!(
        out.status.success(),
        "building bank_report.S failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(&partial, &elf).expect("caching the firmware");
    elf
}
