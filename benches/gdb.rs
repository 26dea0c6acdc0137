//! GDB server figures on the simulated chips, each beside the same work done by probe-rs (the
//! tool a user would otherwise pick) on the same simulated chip, in the same run:
//! - GDB `load` (verify on) against `probe-rs download --verify` of the same ELF: 64 KiB and
//!   1 MiB on the STM32F767ZI, 64 KiB and 512 KiB (the whole flash) on the STM32G474RE;
//! - a 256 KiB SRAM read through GDB (`dump binary memory`) against `probe-rs gdb`;
//! - `monitor ndbank false` against the fewest debug-port transfers the sequence needs;
//! - stm32-opts alone: memory reads by packet size, the host-driven G4 load.
//!
//! Both tools reach the simulated chip through the socket probe (the code `stm32-opts
//! sim-probe` runs) and run as separate processes. probe-rs is found through `PROBE_RS` or the
//! `PATH`; without it only stm32-opts's figures are printed. Prints figures; asserts nothing
//! about time.
//!
//!     cargo bench --bench gdb
//!     cargo bench --bench gdb -- read ndbank     # only the sections named so (load-f7, load-g4,
//!                                                # read, ndbank, packets, host-driven)
//!
//! Needs gdb-multiarch and binutils-arm-none-eabi (both installed by `.ci/run`).

#[path = "../tests/integration/gdb_support/mod.rs"]
mod gdb_support;
mod peer;

use std::path::Path;
use std::time::{Duration, Instant};

use gdb_support::{monitor, RawClient};
use peer::{
    flash_image, free_addr, gdb_dump, gdb_load, median, peer_download, start_our_server,
    start_peer_server, Pairs, SimChip,
};

/// SRAM1 + SRAM2 of the STM32F767ZI start here; the read covers 256 KiB of it.
const SRAM: u32 = 0x2002_0000;
const READ_BYTES: u32 = 256 * 1024;

fn rate(bytes: usize, t: Duration) -> String {
    format!("{:.1} KiB/s", bytes as f64 / 1024.0 / t.as_secs_f64())
}

fn kib(bytes: usize) -> String {
    if bytes >= 1 << 20 {
        format!("{} MiB", bytes >> 20)
    } else {
        format!("{} KiB", bytes >> 10)
    }
}

/// Our side of a load: `stm32-opts gdb` attaches (its start-up counts), then GDB connects,
/// loads and detaches; the server exits afterwards, freeing the probe for the peer.
fn our_load(chip: &SimChip, elf: &Path, bytes: usize) -> (Duration, Duration) {
    let start = Instant::now();
    let (server, addr) = start_our_server(chip);
    let attach = start.elapsed();
    let load = gdb_load(addr, elf, bytes);
    drop(server);
    (attach, load)
}

fn loads(peer: Option<&Path>, part: &str, sizes: &[usize], dir: &Path) {
    let chip = SimChip::start(part);
    for (n, &bytes) in sizes.iter().enumerate() {
        let elf = flash_image(dir, bytes, n as u32);
        let what = format!("load {} into {part} flash (verify on)", kib(bytes));
        let mut attaches = Vec::new();
        let mut ours = |_| {
            let (attach, load) = our_load(&chip, &elf, bytes);
            attaches.push(attach.as_secs_f64());
            attach + load
        };
        match peer {
            Some(peer) => {
                let pairs = Pairs::measure(&mut ours, |_| peer_download(peer, &chip, &elf));
                println!("{}", pairs.line(&what, "probe-rs download --verify"));
            }
            None => {
                let t: Vec<f64> = (0..peer::PAIRS).map(|i| ours(i).as_secs_f64()).collect();
                println!(
                    "{what}: stm32-opts {:.3} s (median of {})",
                    median(t),
                    peer::PAIRS
                );
            }
        }
        println!(
            "    (stm32-opts's time counts the server's start-up and attach, median {:.3} s, and GDB's connect, load and detach)",
            median(attaches)
        );
    }
}

fn ram_read(peer: Option<&Path>) {
    let chip = SimChip::start("STM32F767ZI");
    let what = format!(
        "read {} of SRAM through GDB (dump binary memory)",
        kib(READ_BYTES as usize)
    );
    let ours = |_| {
        let (_server, addr) = start_our_server(&chip);
        gdb_dump(addr, true, SRAM, READ_BYTES)
    };
    match peer {
        Some(peer) => {
            let pairs = Pairs::measure(ours, |_| {
                let addr = free_addr();
                let _server = start_peer_server(peer, &chip, addr);
                gdb_dump(addr, false, SRAM, READ_BYTES)
            });
            println!("{}", pairs.line(&what, "probe-rs gdb"));
        }
        None => {
            let t: Vec<f64> = (0..peer::PAIRS).map(|i| ours(i).as_secs_f64()).collect();
            println!(
                "{what}: stm32-opts {:.4} s (median of {})",
                median(t),
                peer::PAIRS
            );
        }
    }
}

/// The fewest DP/AP transfers an nDBANK change needs on an SW-DP with a MEM-AP, counted from
/// the sequence RM0410 gives for an option change plus what any tool needs to see the result:
/// read FLASH_OPTCR; write the two OPTKEYR keys; write FLASH_OPTCR with the new value; set
/// OPTSTRT; read FLASH_SR once (BSY clear); set OPTLOCK; request a system reset (AIRCR); read
/// FLASH_OPTCR after the reset. A write costs a TAR write and a DRW write, a read a TAR write, a
/// DRW read and the RDBUFF read of the posted data; SELECT and CSW are written once.
fn minimum_ndbank_transfers() -> u64 {
    let (reads, writes) = (3, 6);
    2 + writes * 2 + reads * 3
}

fn ndbank(chip: &SimChip) {
    let (_server, addr) = start_our_server(chip);
    let mut c = RawClient::connect(addr);
    assert_eq!(c.ask("QStartNoAckMode").as_deref(), Some("OK"));
    let minimum = minimum_ndbank_transfers();
    for value in ["false", "true"] {
        let before = chip.transfers();
        let start = Instant::now();
        let (text, reply) = monitor(&mut c, &format!("ndbank {value}"));
        let t = start.elapsed();
        assert_eq!(reply, "OK", "monitor ndbank {value}:\n{text}");
        let used = chip.transfers() - before;
        println!(
            "monitor ndbank {value} (halt, freeze watchdogs, identify, program, verify, reset, verify): {t:?}, {used} DP/AP transfers | the fewest the change needs: {minimum} | ratio {:.1} (ours / fewest)",
            used as f64 / minimum as f64
        );
    }
    let _ = c.ask("D");
}

/// Memory reads of our server in packets of several sizes (GDB asks for at most the packet
/// size it was offered; 8000 bytes is close to that).
fn memory_read_by_packet(chip: &SimChip) {
    let (_server, addr) = start_our_server(chip);
    let mut c = RawClient::connect(addr);
    assert_eq!(c.ask("QStartNoAckMode").as_deref(), Some("OK"));
    let total = 128 * 1024usize;
    for size in [1024usize, 4096, 8000] {
        let start = Instant::now();
        let mut done = 0;
        while done < total {
            let n = size.min(total - done);
            let r = c
                .ask(&format!("m{:x},{:x}", 0x2000_0000 + done, n))
                .expect("memory reply");
            assert_eq!(r.len(), 2 * n, "short read");
            done += n;
        }
        let t = start.elapsed();
        println!(
            "stm32-opts alone: memory read, {total} bytes of DTCM in {size}-byte packets: {t:?} ({})",
            rate(total, t)
        );
    }
    let _ = c.ask("D");
}

fn host_driven_g4(dir: &Path) {
    // A 256 KB STM32G4: probe-rs has no algorithm of that geometry, so nothing to compare with.
    let chip = SimChip::start("STM32G474RC");
    let bytes = 128 * 1024;
    let elf = flash_image(dir, bytes, 7);
    let (attach, load) = our_load(&chip, &elf, bytes);
    println!(
        "stm32-opts alone: load {} into STM32G474RC flash, host-driven through FLASH_CR (probe-rs has no algorithm for it): {load:?} ({}) after an attach of {attach:?}",
        kib(bytes),
        rate(bytes, load)
    );
}

/// Whether the section `name` runs: every section without arguments, else those whose name
/// holds one of them (`cargo bench --bench gdb -- read ndbank`).
fn wanted(name: &str) -> bool {
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    filters.is_empty() || filters.iter().any(|f| name.contains(f.as_str()))
}

fn main() {
    println!("machine: {}", peer::machine());
    let peer = peer::find_peer();
    match &peer {
        Some(p) => println!(
            "peer: {} ({}), through the same socket probe",
            peer::peer_version(p),
            p.display()
        ),
        None => println!(
            "probe-rs not found: only stm32-opts's figures follow. For probe-rs's beside them: {}",
            peer::INSTALL_HINT
        ),
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let peer = peer.as_deref();
    if wanted("load-f7") {
        loads(peer, "STM32F767ZI", &[64 * 1024, 1024 * 1024], dir.path());
    }
    if wanted("load-g4") {
        loads(peer, "STM32G474RE", &[64 * 1024, 512 * 1024], dir.path());
    }
    if wanted("read") {
        ram_read(peer);
    }
    let f7 = SimChip::start("STM32F767ZI");
    if wanted("ndbank") {
        ndbank(&f7);
    }
    if wanted("packets") {
        memory_read_by_packet(&f7);
    }
    if wanted("host-driven") {
        host_driven_g4(dir.path());
    }
}
