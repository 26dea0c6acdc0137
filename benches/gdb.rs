//! GDB server figures on the simulated chip: memory-read throughput, `load` throughput and the
//! `monitor ndbank` round trip. Prints figures; asserts nothing about time.
//!
//!     cargo bench --bench gdb
//!
//! Needs gdb-multiarch and arm-none-eabi-objcopy (both installed by `.ci/run`).

#[path = "../tests/gdb_support/mod.rs"]
mod gdb_support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use stm32_opts::gdb::Server;
use stm32_opts::probe::{open_session, ProbeOptions};

fn packet(body: &[u8]) -> Vec<u8> {
    let sum = body.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    let mut p = vec![b'$'];
    p.extend_from_slice(body);
    p.extend_from_slice(format!("#{sum:02x}").as_bytes());
    p
}

struct Client {
    stream: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Client {
        let stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        stream.set_nodelay(true).unwrap();
        let mut c = Client { stream };
        c.ask(b"QStartNoAckMode");
        c
    }

    fn reply(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        let mut inside = false;
        loop {
            self.stream.read_exact(&mut b).expect("reply");
            match (inside, b[0]) {
                (false, b'$') => inside = true,
                (false, _) => {}
                (true, b'#') => {
                    let mut sum = [0u8; 2];
                    self.stream.read_exact(&mut sum).unwrap();
                    return gdb_support::expand_rle(&out);
                }
                (true, x) => out.push(x),
            }
        }
    }

    fn ask(&mut self, body: &[u8]) -> Vec<u8> {
        self.stream.write_all(&packet(body)).unwrap();
        let r = self.reply();
        let _ = self.stream.write_all(b"+");
        r
    }

    /// qRcmd: collects `O` output until the final OK.
    fn monitor(&mut self, cmd: &str) -> String {
        let hex: String = cmd.bytes().map(|b| format!("{b:02x}")).collect();
        self.stream
            .write_all(&packet(format!("qRcmd,{hex}").as_bytes()))
            .unwrap();
        let mut text = String::new();
        loop {
            let r = self.reply();
            // Acknowledge every packet: harmless once acknowledgements are off, needed before.
            let _ = self.stream.write_all(b"+");
            // `OK` ends the command; any other packet starting with `O` is console output.
            if r == b"OK" {
                return text;
            }
            if let Some(h) = r.strip_prefix(b"O") {
                let bytes: Vec<u8> = h
                    .chunks(2)
                    .filter_map(|c| u8::from_str_radix(std::str::from_utf8(c).ok()?, 16).ok())
                    .collect();
                text.push_str(&String::from_utf8_lossy(&bytes));
            } else {
                panic!(
                    "monitor {cmd}: unexpected reply {}",
                    String::from_utf8_lossy(&r)
                );
            }
        }
    }
}

fn sim_server() -> stm32_opts::gdb::ServerHandle {
    let opts = ProbeOptions {
        chip: None,
        probe: None,
        speed_khz: None,
        protocol: None,
        connect_under_reset: false,
        sim: true,
        sim_state: None,
    };
    let session = open_session(&opts).expect("simulated chip");
    Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("bind")
        .spawn()
        .expect("spawn")
}

fn rate(bytes: usize, t: Duration) -> String {
    format!("{:.1} KiB/s", bytes as f64 / 1024.0 / t.as_secs_f64())
}

fn memory_read(addr: SocketAddr) {
    let mut c = Client::connect(addr);
    let total = 128 * 1024usize;
    for chunk in [1024usize, 4096, 8000] {
        let start = Instant::now();
        let mut done = 0;
        while done < total {
            let n = chunk.min(total - done);
            let r = c.ask(format!("m{:x},{:x}", 0x2000_0000 + done, n).as_bytes());
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
    let _ = c.ask(b"D");
}

fn monitor_round_trip(addr: SocketAddr) {
    let mut c = Client::connect(addr);
    let start = Instant::now();
    let shown = c.monitor("ndbank");
    println!(
        "monitor ndbank (read): {:?} -> {}",
        start.elapsed(),
        shown.trim()
    );
    for value in ["false", "true"] {
        let start = Instant::now();
        let out = c.monitor(&format!("ndbank {value}"));
        println!(
            "monitor ndbank {value} (program, verify, reset): {:?} ({} output lines)",
            start.elapsed(),
            out.lines().count()
        );
    }
    let _ = c.ask(b"D");
}

/// Size of the image `load` writes: large enough that the figure measures flashing, not setup.
const LOAD_IMAGE_BYTES: usize = 256 * 1024;

/// An ELF with one loadable section of `LOAD_IMAGE_BYTES` of varied data at the start of flash,
/// made with arm-none-eabi-objcopy (installed by .ci/run with binutils-arm-none-eabi).
fn load_image(dir: &Path) -> PathBuf {
    let blob = dir.join("image.bin");
    let elf = dir.join("image.elf");
    let mut state = 0x1234_5678u32;
    let data: Vec<u8> = (0..LOAD_IMAGE_BYTES)
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

fn load(addr: SocketAddr) {
    let dir = std::env::temp_dir().join(format!("stm32-opts-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let elf = load_image(&dir);
    let start = Instant::now();
    let out = Command::new("gdb-multiarch")
        .args(["-nx", "-q", "-batch"])
        .args(["-ex", "set confirm off"])
        .args(["-ex", &format!("target extended-remote {addr}")])
        .args(["-ex", "load"])
        .args(["-ex", "detach"])
        .arg(&elf)
        .stdin(Stdio::null())
        .output()
        .expect("gdb-multiarch not found: apt-get install gdb-multiarch");
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
        LOAD_IMAGE_BYTES,
        "gdb did not load the whole image:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("lma 0x8000000"),
        "the image must go to flash:\n{text}"
    );
    println!(
        "load of {bytes} bytes with gdb-multiarch (erase, program, verify), connect to detach: {:?} ({})",
        t,
        rate(bytes, t)
    );
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    env_logger::init();
    let server = sim_server();
    let addr = server.local_addr();
    println!("GDB server on the simulated STM32F767ZI at {addr}");
    memory_read(addr);
    load(addr);
    monitor_round_trip(addr);
    server.shutdown().expect("shutdown");
}
