//! GDB server figures on the simulated chip: memory-read throughput, `load` throughput and the
//! `monitor ndbank` round trip. Prints figures; asserts nothing about time.
//!
//!     cargo bench --bench gdb
//!
//! Needs gdb-multiarch and arm-none-eabi-objcopy (both installed by `.ci/run`).

#[path = "../tests/integration/gdb_support/mod.rs"]
mod gdb_support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use gdb_support::{monitor, start_server, RawClient};

/// A raw protocol client with acknowledgements off, as GDB runs once connected.
fn connect(addr: SocketAddr) -> RawClient {
    let mut c = RawClient::connect(addr);
    assert_eq!(c.ask("QStartNoAckMode").as_deref(), Some("OK"));
    c
}

fn rate(bytes: usize, t: Duration) -> String {
    format!("{:.1} KiB/s", bytes as f64 / 1024.0 / t.as_secs_f64())
}

fn memory_read(addr: SocketAddr) {
    let mut c = connect(addr);
    let total = 128 * 1024usize;
    for chunk in [1024usize, 4096, 8000] {
        let start = Instant::now();
        let mut done = 0;
        while done < total {
            let n = chunk.min(total - done);
            let r = c
                .ask(&format!("m{:x},{:x}", 0x2000_0000 + done, n))
                .expect("memory reply");
            assert_eq!(r.len(), 2 * n, "short read");
            done += n;
        }
        let t = start.elapsed();
        println!(
            "memory read, {total} bytes of DTCM in {chunk}-byte packets: {:?} ({})",
            t,
            rate(total, t)
        );
    }
    let _ = c.ask("D");
}

/// A monitor command's console text; it must end with `OK`.
fn monitor_ok(c: &mut RawClient, cmd: &str) -> String {
    let (text, reply) = monitor(c, cmd);
    assert_eq!(reply, "OK", "monitor {cmd}: unexpected reply\n{text}");
    text
}

fn monitor_round_trip(addr: SocketAddr) {
    let mut c = connect(addr);
    let start = Instant::now();
    let shown = monitor_ok(&mut c, "ndbank");
    println!(
        "monitor ndbank (read): {:?} -> {}",
        start.elapsed(),
        shown.trim()
    );
    for value in ["false", "true"] {
        let start = Instant::now();
        let out = monitor_ok(&mut c, &format!("ndbank {value}"));
        println!(
            "monitor ndbank {value} (program, verify, reset): {:?} ({} output lines)",
            start.elapsed(),
            out.lines().count()
        );
    }
    let _ = c.ask("D");
}

/// Size of the image `load` writes: large enough that the figure measures flashing, not setup.
const LOAD_IMAGE_BYTES: usize = 256 * 1024;
/// Bank 1 of a 256 KB STM32G4 in dual-bank mode: the largest image below the hole.
const G4_BANK1_BYTES: usize = 128 * 1024;

/// An ELF with one loadable section of `LOAD_IMAGE_BYTES` of varied data at the start of flash,
/// made with arm-none-eabi-objcopy (installed by .ci/run with binutils-arm-none-eabi).
fn load_image(dir: &Path, size: usize) -> PathBuf {
    let blob = dir.join("image.bin");
    let elf = dir.join("image.elf");
    let mut state = 0x1234_5678u32;
    let data: Vec<u8> = (0..size)
        .map(|_| {
            // xorshift: data that is neither erased (0xFF) nor trivially compressible.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    std::fs::write(&blob, data).expect("write the image");
    let status = Command::new("arm-none-eabi-objcopy")
        .args(["-I", "binary", "-O", "elf32-littlearm", "-B", "arm"])
        .args([
            "--rename-section",
            ".data=.text,alloc,load,contents,readonly,code",
        ])
        .args(["--change-section-address", ".data=0x08000000"])
        .arg(&blob)
        .arg(&elf)
        .status()
        .expect("arm-none-eabi-objcopy not found: apt-get install binutils-arm-none-eabi");
    assert!(status.success(), "arm-none-eabi-objcopy failed");
    elf
}

fn load(addr: SocketAddr, size: usize, how: &str) {
    let dir = std::env::temp_dir().join(format!("stm32-opts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let elf = load_image(&dir, size);
    let start = Instant::now();
    let out = Command::new(gdb_support::gdb())
        .args(["-nx", "-q", "-batch"])
        .args(["-ex", "set confirm off"])
        .args(["-ex", &format!("target extended-remote {addr}")])
        .args(["-ex", "load"])
        .args(["-ex", "detach"])
        .arg(&elf)
        .stdin(Stdio::null())
        .output()
        .expect("running gdb-multiarch");
    let t = start.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    let text = String::from_utf8_lossy(&out.stdout);
    // "Loading section .text, size 0x40000 lma 0x8000000"
    let bytes: usize = text
        .lines()
        .filter_map(|l| {
            let size = l.split("size 0x").nth(1)?.split_whitespace().next()?;
            usize::from_str_radix(size, 16).ok()
        })
        .sum();
    assert_eq!(
        bytes,
        size,
        "gdb did not load the whole image:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("lma 0x8000000"),
        "the image must go to flash:\n{text}"
    );
    println!(
        "load of {bytes} bytes with gdb-multiarch ({how}: erase, program, verify), connect to detach: {:?} ({})",
        t,
        rate(bytes, t)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let server = start_server(None);
    let addr = server.local_addr();
    println!("GDB server on the simulated STM32F767ZI at {addr}");
    memory_read(addr);
    load(addr, LOAD_IMAGE_BYTES, "probe-rs stm32f7x_2048");
    monitor_round_trip(addr);
    server.shutdown().expect("shutdown");

    // STM32G4: the probe-rs algorithm in 512 KB dual bank, host-driven on a 256 KB part.
    let server = start_server(Some("STM32G474RE"));
    println!("GDB server on the simulated STM32G474RE (dual bank)");
    load(
        server.local_addr(),
        LOAD_IMAGE_BYTES,
        "probe-rs stm32g47x-8x_512",
    );
    server.shutdown().expect("shutdown");
    let server = start_server(Some("STM32G474RC"));
    println!("GDB server on the simulated STM32G474RC (dual bank, 2 × 128 KB)");
    load(
        server.local_addr(),
        G4_BANK1_BYTES,
        "host-driven through FLASH_CR",
    );
    server.shutdown().expect("shutdown");
}
