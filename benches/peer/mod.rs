//! The same work done by stm32-opts and by probe-rs (the tool a user would otherwise pick), on
//! the same simulated chip, in the same run: the simulated chip behind a socket probe server
//! (what `stm32-opts sim-probe` serves), stm32-opts's GDB server and probe-rs's commands as
//! separate processes, as a user runs them. Prints figures; asserts nothing about time.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use stm32_opts::sim::glasgow::GlasgowServer;
use stm32_opts::sim::Simulator;

/// How the peer is installed, for the line printed when it is missing.
pub const INSTALL_HINT: &str =
    "cargo install probe-rs-tools --locked (or set PROBE_RS=/path/to/probe-rs)";

/// Pairs per figure; the ratio printed is their median.
pub const PAIRS: usize = 3;

/// probe-rs's command-line tool: `$PROBE_RS`, else `probe-rs` on the `PATH`.
pub fn find_peer() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("PROBE_RS") {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("probe-rs"))
        .find(|p| p.is_file())
}

/// The peer's version line, e.g. "probe-rs 0.32.0 (git commit: …)".
pub fn peer_version(peer: &Path) -> String {
    Command::new(peer)
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|e| format!("unknown version ({e})"))
}

/// The machine the figures come from: CPU model, logical CPUs, load average, OS.
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into());
    format!(
        "{model}, {cpus} logical CPUs, load average {load}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

/// A simulated chip behind a socket probe server in this process (the code `stm32-opts
/// sim-probe` runs). It serves one client at a time.
pub struct SimChip {
    pub sim: Simulator,
    pub selector: String,
    pub chip: String,
}

impl SimChip {
    pub fn start(chip: &str) -> SimChip {
        let sim = Simulator::new(chip).expect("simulated chip");
        let server = GlasgowServer::bind(sim.clone(), "127.0.0.1:0".parse().unwrap())
            .expect("binding the socket probe");
        let selector = server.selector().expect("selector");
        server.spawn();
        SimChip {
            sim,
            selector,
            chip: chip.to_string(),
        }
    }

    /// DP/AP transfers the chip has answered so far.
    pub fn transfers(&self) -> u64 {
        self.sim.with(|chip| chip.faults.transfers).unwrap_or(0)
    }
}

/// A child process killed when dropped.
pub struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `stm32-opts --chip CHIP --probe SELECTOR gdb` on a free port: the process and its address.
pub fn start_our_server(chip: &SimChip) -> (Process, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stm32-opts"))
        .args(["--chip", &chip.chip, "--probe", &chip.selector])
        .args(["gdb", "--listen", "127.0.0.1:0"])
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting stm32-opts gdb");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the server's banner");
    // Whatever it prints later is read and dropped, so that it never writes into a closed pipe.
    std::thread::spawn(move || std::io::copy(&mut stdout, &mut std::io::sink()));
    // "Listening for GDB on 127.0.0.1:PORT"
    let addr = line
        .split_whitespace()
        .last()
        .and_then(|a| a.parse().ok())
        .unwrap_or_else(|| panic!("no address in {line:?}"));
    (Process(child), addr)
}

/// `probe-rs gdb` on `addr`, once it says it serves (it takes a connection for its one GDB
/// client, so it is not probed with one).
pub fn start_peer_server(peer: &Path, chip: &SimChip, addr: SocketAddr) -> Process {
    let mut child = Command::new(peer)
        .args(["gdb", "--non-interactive", "--chip", &chip.chip])
        .args(["--probe", &chip.selector])
        .args(["--gdb-connection-string", &addr.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starting probe-rs gdb");
    let stdout = child.stdout.take().unwrap();
    let process = Process(child);
    // "Firing up GDB stub for Armv7em cores at [127.0.0.1:PORT]"; the rest of its output is
    // read (and dropped) by a thread, so that the server never blocks on a full pipe.
    let (ready, up) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("GDB stub") {
                let _ = ready.send(());
            }
        }
    });
    up.recv_timeout(Duration::from_secs(30))
        .expect("probe-rs gdb did not start");
    process
}

/// A free loopback address.
pub fn free_addr() -> SocketAddr {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap()
}

/// Runs gdb-multiarch in batch mode with `commands`; returns its output (stdout and stderr).
pub fn gdb_batch(elf: Option<&Path>, commands: &[String]) -> String {
    let mut cmd = Command::new("gdb-multiarch");
    cmd.args(["-nx", "-q", "-batch", "-ex", "set confirm off"]);
    for c in commands {
        cmd.args(["-ex", c]);
    }
    if let Some(elf) = elf {
        cmd.arg(elf);
    }
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .expect("gdb-multiarch not found: apt-get install gdb-multiarch");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// GDB `load` of `elf` through our server at `addr` (connect, load with verify on, detach):
/// the time of the whole GDB run.
pub fn gdb_load(addr: SocketAddr, elf: &Path, bytes: usize) -> Duration {
    let start = Instant::now();
    let text = gdb_batch(
        Some(elf),
        &[
            format!("target extended-remote {addr}"),
            "load".into(),
            "detach".into(),
        ],
    );
    let t = start.elapsed();
    assert!(
        text.contains(&format!("load size {bytes}")),
        "gdb did not load the image:\n{text}"
    );
    t
}

/// `probe-rs download --verify` of `elf`: the time of the whole process.
pub fn peer_download(peer: &Path, chip: &SimChip, elf: &Path) -> Duration {
    let start = Instant::now();
    let out = Command::new(peer)
        .args([
            "download",
            "--verify",
            "--non-interactive",
            "--disable-progressbars",
        ])
        .args(["--chip", &chip.chip, "--probe", &chip.selector])
        .arg(elf)
        .stdin(Stdio::null())
        .output()
        .expect("running probe-rs download");
    let t = start.elapsed();
    assert!(
        out.status.success(),
        "probe-rs download failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    t
}

/// `dump binary memory` of `[start, start + len)` through the GDB server at `addr`, timed
/// inside GDB (its Python clock), so that only the reads count. A server that does not listen
/// yet is tried again (bounded).
pub fn gdb_dump(addr: SocketAddr, extended: bool, start: u32, len: u32) -> Duration {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dump.bin");
    let target = if extended {
        "extended-remote"
    } else {
        "remote"
    };
    let commands = [
        format!("target {target} {addr}"),
        "python import time; t0 = time.monotonic()".into(),
        format!(
            "dump binary memory {} {start:#x} {:#x}",
            file.display(),
            u64::from(start) + u64::from(len)
        ),
        "python print('dump took %.6f s' % (time.monotonic() - t0))".into(),
        "detach".into(),
    ];
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = gdb_batch(None, &commands);
        if !text.contains("Connection refused") || Instant::now() > deadline {
            break text;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let size = std::fs::metadata(&file).map_or(0, |m| m.len());
    assert_eq!(size, u64::from(len), "dump incomplete:\n{text}");
    let secs: f64 = text
        .split("dump took ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no time in:\n{text}"));
    Duration::from_secs_f64(secs)
}

/// An idle program at the start of flash: the initial SP, the reset vector (Thumb), and `b .`
/// at 0x0800_0008, where the ELF's entry point is too. Whatever a tool does after loading
/// (reset, resume at the entry point), the core then waits in that loop: random bytes run as
/// code could touch the FLASH controller and make one run differ from the next.
const IDLE_PROGRAM: [u8; 12] = [
    0x00, 0x00, 0x02, 0x20, // SP: 0x2002_0000
    0x09, 0x00, 0x00, 0x08, // reset: 0x0800_0008 | Thumb
    0xFE, 0xE7, 0xFE, 0xE7, // b . ; b .
];

/// An ELF with one loadable segment of `size` bytes at the start of flash: [`IDLE_PROGRAM`] then
/// varied data, made with binutils (arm-none-eabi-objcopy and -ld; .ci/run installs them). Each
/// `seed` gives other data.
pub fn flash_image(dir: &Path, size: usize, seed: u32) -> PathBuf {
    let blob = dir.join(format!("image-{size}-{seed}.bin"));
    let object = blob.with_extension("o");
    let elf = blob.with_extension("elf");
    let mut state = 0x1234_5678u32 ^ seed.wrapping_mul(0x9E37_79B9);
    let mut data: Vec<u8> = (0..size)
        .map(|_| {
            // xorshift: data that is neither erased (0xFF) nor trivially compressible.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    data[..IDLE_PROGRAM.len()].copy_from_slice(&IDLE_PROGRAM);
    std::fs::write(&blob, data).expect("write the image");
    run(Command::new("arm-none-eabi-objcopy")
        .args(["-I", "binary", "-O", "elf32-littlearm", "-B", "arm"])
        .args([
            "--rename-section",
            ".data=.text,alloc,load,contents,readonly,code",
        ])
        .arg(&blob)
        .arg(&object));
    // Linked, so that the image is a program segment (probe-rs loads segments, GDB sections).
    run(Command::new("arm-none-eabi-ld")
        .args(["-Ttext=0x08000000", "-e", "0x08000009", "-o"])
        .arg(&elf)
        .arg(&object));
    elf
}

fn run(cmd: &mut Command) {
    let status = cmd
        .status()
        .expect("binutils not found: apt-get install binutils-arm-none-eabi");
    assert!(status.success(), "{cmd:?} failed");
}

/// Times of one workload, in pairs (ours, the peer's).
#[derive(Debug, Default)]
pub struct Pairs(pub Vec<(Duration, Duration)>);

impl Pairs {
    /// Runs `PAIRS` pairs, alternating which side goes first, so that a drift in the machine's
    /// load does not favour one side.
    pub fn measure(
        mut ours: impl FnMut(usize) -> Duration,
        mut peer: impl FnMut(usize) -> Duration,
    ) -> Pairs {
        let mut pairs = Vec::new();
        for i in 0..PAIRS {
            let pair = if i % 2 == 0 {
                let o = ours(i);
                (o, peer(i))
            } else {
                let p = peer(i);
                (ours(i), p)
            };
            pairs.push(pair);
        }
        Pairs(pairs)
    }

    /// The ratio peer time / our time of each pair, and their median.
    pub fn ratios(&self) -> (Vec<f64>, f64) {
        let ratios: Vec<f64> = self
            .0
            .iter()
            .map(|(o, p)| p.as_secs_f64() / o.as_secs_f64())
            .collect();
        (ratios.clone(), median(ratios))
    }

    /// One line: medians of both sides and the median ratio, with each pair's ratio.
    pub fn line(&self, what: &str, peer_what: &str) -> String {
        let ours = median(self.0.iter().map(|(o, _)| o.as_secs_f64()).collect());
        let peer = median(self.0.iter().map(|(_, p)| p.as_secs_f64()).collect());
        let (each, ratio) = self.ratios();
        let each: Vec<String> = each.iter().map(|r| format!("{r:.2}")).collect();
        format!(
            "{what}: stm32-opts {ours:.3} s | {peer_what} {peer:.3} s | ratio {ratio:.2} (probe-rs time / ours; median of {} alternating pairs: {})",
            self.0.len(),
            each.join(", ")
        )
    }
}

/// The median (the mean of the middle two for an even count).
pub fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}
