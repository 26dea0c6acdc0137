//! Shared helpers for the GDB server tests: the server on the simulated chip (in process),
//! gdb-multiarch in batch and MI mode with bounded waits, and a raw protocol client.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use stm32_opts::gdb::{Server, ServerHandle};
use stm32_opts::probe::{open_session, ProbeOptions};

/// Upper bound for one GDB batch run.
pub const BATCH_TIMEOUT: Duration = Duration::from_secs(120);
/// Upper bound for one MI command.
pub const MI_TIMEOUT: Duration = Duration::from_secs(60);

/// The GDB executable, or a failing test that says how to install it.
pub fn gdb() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|p| p.join("gdb-multiarch"))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "gdb-multiarch is not installed: apt-get install gdb-multiarch (the GDB tests need it)"
        )
    })
}

/// Probe options for a fresh simulated STM32F767ZI (or `chip`).
pub fn sim_options(chip: Option<&str>) -> ProbeOptions {
    ProbeOptions {
        chip: chip.map(str::to_string),
        probe: None,
        speed_khz: None,
        protocol: None,
        connect_under_reset: false,
        sim: true,
        sim_state: None,
        sim_uart: None,
    }
}

/// The GDB server on a fresh simulated chip, on a free loopback port.
pub fn start_server(chip: Option<&str>) -> ServerHandle {
    let _ = env_logger::builder().is_test(true).try_init();
    let session = open_session(&sim_options(chip)).expect("opening the simulated chip");
    let server = Server::bind(session, "127.0.0.1:0".parse().unwrap()).expect("binding");
    server.spawn().expect("starting the server")
}

/// The example firmware (ELF) from examples/firmware.
pub fn firmware() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/firmware.elf")
}

/// The fault test firmware (examples/firmware/faults.s).
pub fn fault_firmware() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/faults.elf")
}

/// A test firmware from examples/firmware by name (`semihosting-loop`), built for `chip`: the
/// `-g4` build for an STM32G4, the plain one otherwise.
pub fn firmware_for(name: &str, chip: &str) -> PathBuf {
    let suffix = if chip.starts_with("STM32G4") {
        "-g4"
    } else {
        ""
    };
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("examples/firmware/{name}{suffix}.elf"))
}

/// Sends `signal` (`STOP`, `CONT`, `INT`, …) to process `pid` with the shell's own `kill`.
pub fn send_signal(pid: u32, signal: &str) {
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("kill -s {signal} {pid}"))
        .status()
        .expect("running sh -c kill");
    assert!(status.success(), "kill -s {signal} {pid} failed");
}

/// The RTT test firmware (examples/firmware/rtt.s).
pub fn rtt_firmware() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/rtt.elf")
}

/// Output of a finished GDB run.
pub struct GdbRun {
    /// stdout and stderr, interleaved as GDB wrote them.
    pub text: String,
    /// Exit status success.
    pub success: bool,
}

fn wait_bounded(mut child: Child, output: std::io::PipeReader, timeout: Duration) -> GdbRun {
    // One pipe carries stdout and stderr, so the text keeps GDB's own order (monitor output
    // goes to stderr in batch mode, echo markers to stdout).
    let mut output = output;
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = output.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    drop(child);
    let text = reader.join().unwrap_or_default();
    match status {
        Some(s) => GdbRun {
            text,
            success: s.success(),
        },
        None => panic!("gdb did not finish within {timeout:?}; output so far:\n{text}"),
    }
}

/// The settings every batch session starts with, before it connects.
const SESSION_SETUP: [&str; 4] = [
    "set confirm off",
    "set pagination off",
    "set width 0",
    "set remotetimeout 30",
];

/// Runs gdb-multiarch in batch mode on `elf` (if any) with `commands` after connecting to `addr`.
pub fn batch(addr: SocketAddr, elf: Option<&Path>, commands: &[String]) -> GdbRun {
    batch_with(addr, elf, &SESSION_SETUP, commands)
}

/// As [`batch`], with `setup` instead of the usual settings before connecting.
pub fn batch_with(
    addr: SocketAddr,
    elf: Option<&Path>,
    setup: &[&str],
    commands: &[String],
) -> GdbRun {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("session.gdb");
    let mut text = String::new();
    for setup in setup {
        text.push_str(setup);
        text.push('\n');
    }
    text.push_str(&format!("target extended-remote {addr}\n"));
    for c in commands {
        text.push_str(c);
        text.push('\n');
    }
    std::fs::write(&script, text).unwrap();
    let mut cmd = Command::new(gdb());
    cmd.args(["-nx", "-q", "-batch", "-x"]).arg(&script);
    if let Some(elf) = elf {
        cmd.arg(elf);
    }
    run_batch(cmd)
}

/// Starts `cmd` (a gdb-multiarch batch run) with stdout and stderr in one pipe, and waits for
/// it, bounded by [`BATCH_TIMEOUT`].
fn run_batch(mut cmd: Command) -> GdbRun {
    let (reader, writer) = std::io::pipe().expect("a pipe for gdb's output");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(writer.try_clone().expect("pipe clone"))
        .stderr(writer)
        .spawn()
        .expect("starting gdb-multiarch");
    // The command keeps the write ends; dropping it here leaves only the child's.
    drop(cmd);
    wait_bounded(child, reader, BATCH_TIMEOUT)
}

/// Builds a command list from string literals.
pub fn cmds(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The text between `begin` and `end` echo markers in a batch output.
pub fn section<'a>(text: &'a str, begin: &str, end: &str) -> &'a str {
    let b = text
        .find(begin)
        .unwrap_or_else(|| panic!("marker {begin} missing in:\n{text}"))
        + begin.len();
    let e = text[b..]
        .find(end)
        .map(|i| b + i)
        .unwrap_or_else(|| panic!("marker {end} missing in:\n{text}"));
    &text[b..e]
}

/// The word a GDB `printf "NAME=%#x"` printed in `text`.
pub fn word_of(text: &str, name: &str) -> u32 {
    let key = format!("{name}=0x");
    let at = text
        .find(&key)
        .unwrap_or_else(|| panic!("{key} missing in:\n{text}"))
        + key.len();
    let hex: String = text[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    u32::from_str_radix(&hex, 16).unwrap()
}

/// gdb-multiarch driven through GDB/MI, as VS Code cortex-debug drives it.
pub struct Mi {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    token: u32,
    /// Every line received so far.
    pub log: Vec<String>,
}

impl Mi {
    /// Starts `gdb-multiarch -q --interpreter=mi2`.
    pub fn start() -> Mi {
        let mut child = Command::new(gdb())
            .args(["-nx", "-q", "--interpreter=mi2"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting gdb-multiarch");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                match line {
                    Ok(l) => {
                        if tx.send(l).is_err() {
                            break;
                        }
                    }
                    Err(_) => break,
                }
            }
        });
        let mut mi = Mi {
            child,
            stdin,
            lines: rx,
            token: 0,
            log: Vec::new(),
        };
        mi.wait_for(|l| l.starts_with("(gdb)"), MI_TIMEOUT);
        // As the batch sessions do: the tests run in parallel on a loaded machine, where a reply
        // can take longer than GDB's 2 s default; a late reply to `qSupported` would then be
        // taken as the reply to `vMustReplyEmpty` and GDB would give up the connection.
        let r = mi.cmd("-gdb-set remotetimeout 30");
        assert!(r.last().is_some_and(|l| l.contains("^done")), "{r:?}");
        mi
    }

    /// Waits for a line matching `pred`; returns every line received until then (inclusive).
    pub fn wait_for(&mut self, pred: impl Fn(&str) -> bool, timeout: Duration) -> Vec<String> {
        let deadline = Instant::now() + timeout;
        let mut got = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.log.push(line.clone());
                    let done = pred(&line);
                    got.push(line);
                    if done {
                        return got;
                    }
                }
                Err(RecvTimeoutError::Timeout) => panic!(
                    "no matching MI record within {timeout:?}; transcript:\n{}",
                    self.log.join("\n")
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    panic!("gdb exited; transcript:\n{}", self.log.join("\n"))
                }
            }
        }
    }

    /// Sends `<token><command>` and waits for its result record; returns the lines.
    pub fn cmd(&mut self, command: &str) -> Vec<String> {
        self.token += 1;
        let token = self.token;
        writeln!(self.stdin, "{token}{command}").unwrap();
        self.stdin.flush().unwrap();
        let prefix = format!("{token}^");
        self.wait_for(|l| l.starts_with(&prefix), MI_TIMEOUT)
    }

    /// A console command the way cortex-debug sends it.
    pub fn console(&mut self, command: &str) -> Vec<String> {
        let escaped = command.replace('\\', "\\\\").replace('"', "\\\"");
        self.cmd(&format!("-interpreter-exec console \"{escaped}\""))
    }

    /// The gdb process id (to signal it: SIGSTOP/SIGCONT as Ctrl-Z and `fg` would).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `<token><command>` without waiting for its result; returns the token.
    pub fn send(&mut self, command: &str) -> u32 {
        self.token += 1;
        writeln!(self.stdin, "{}{command}", self.token).unwrap();
        self.stdin.flush().unwrap();
        self.token
    }

    /// Forgets the lines received so far (a long console output need not be kept).
    pub fn clear_log(&mut self) {
        self.log.clear();
    }

    /// Ends gdb (bounded).
    pub fn quit(mut self) {
        let _ = writeln!(self.stdin, "-gdb-exit");
        let _ = self.stdin.flush();
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Mi {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The console text of MI `~"…"`/`@"…"` records, unescaped and joined.
pub fn stream_text(lines: &[String], kind: char) -> String {
    lines
        .iter()
        .filter_map(|l| l.strip_prefix(kind))
        .map(|s| unescape(s.trim_matches('"')))
        .collect()
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('"') => out.push('"'),
                Some('\\') => out.push('\\'),
                Some(other) => {
                    out.push('\\');
                    out.push(other)
                }
                None => {}
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A minimal remote-protocol client on a raw socket.
pub struct RawClient {
    /// The socket.
    pub stream: TcpStream,
}

/// Expands run-length encoding (`c*n`: `c` repeated `n - 29` more times), as GDB does.
pub fn expand_rle(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        if body[i] == b'*' && i + 1 < body.len() && !out.is_empty() {
            let last = *out.last().unwrap();
            let count = body[i + 1].saturating_sub(29) as usize;
            out.extend(std::iter::repeat_n(last, count));
            i += 2;
        } else {
            out.push(body[i]);
            i += 1;
        }
    }
    out
}

/// `$body#xx`.
pub fn packet(body: &str) -> Vec<u8> {
    let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    format!("${body}#{sum:02x}").into_bytes()
}

impl RawClient {
    /// Connects with a read timeout and Nagle's algorithm off.
    pub fn connect(addr: SocketAddr) -> RawClient {
        let stream = TcpStream::connect(addr).expect("connecting");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        // Small request/ack writes, as GDB sends them: without this, Nagle's algorithm holds
        // each one back for the peer's delayed ACK.
        stream.set_nodelay(true).unwrap();
        RawClient { stream }
    }

    /// Sends raw bytes.
    pub fn send(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).unwrap();
    }

    /// Reads one reply packet body (skipping acks); `None` on timeout or close.
    pub fn reply(&mut self) -> Option<String> {
        let mut body = Vec::new();
        let mut in_packet = false;
        let mut byte = [0u8; 1];
        loop {
            match self.stream.read(&mut byte) {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
            match (in_packet, byte[0]) {
                (false, b'$') => in_packet = true,
                (false, _) => {}
                (true, b'#') => {
                    let mut sum = [0u8; 2];
                    self.stream.read_exact(&mut sum).ok()?;
                    return Some(String::from_utf8_lossy(&expand_rle(&body)).into_owned());
                }
                (true, b) => body.push(b),
            }
        }
    }

    /// Sends a packet and returns the reply (acks are sent for replies).
    pub fn ask(&mut self, body: &str) -> Option<String> {
        self.send(&packet(body));
        let r = self.reply();
        self.send(b"+");
        r
    }
}

/// Decodes a hex reply body.
pub fn hex_decode(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

/// `monitor` through qRcmd: the console text and the final reply (`OK` or an error).
pub fn monitor(c: &mut RawClient, cmd: &str) -> (String, String) {
    monitor_raw(c, cmd.as_bytes())
}

/// As [`monitor`], for a command that need not be text.
pub fn monitor_raw(c: &mut RawClient, bytes: &[u8]) -> (String, String) {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    c.send(&packet(&format!("qRcmd,{hex}")));
    let mut text = String::new();
    loop {
        let r = c.reply().expect("monitor reply");
        c.send(b"+");
        // `OK` ends the command; any other packet starting with `O` is console output.
        match r.strip_prefix('O') {
            Some(h) if !h.is_empty() && r != "OK" => {
                text.push_str(&String::from_utf8_lossy(&hex_decode(h)))
            }
            _ => return (text, r),
        }
    }
}

/// Connects and sends `qSupported`, retrying for a bounded time while the server still holds
/// the previous client (it notices a closed connection only when it next reads from it).
pub fn connect_client(addr: SocketAddr) -> RawClient {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut c = RawClient::connect(addr);
        let r = c
            .ask("qSupported:multiprocess+;swbreak+;hwbreak+")
            .unwrap_or_default();
        if r.contains("PacketSize=") {
            return c;
        }
        assert!(
            Instant::now() < deadline,
            "the server kept refusing a new client: {r}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads `len` bytes with an `m` packet.
pub fn read_bytes(c: &mut RawClient, addr: u32, len: usize) -> Vec<u8> {
    let r = c.ask(&format!("m{addr:x},{len:x}")).expect("memory reply");
    let bytes = hex_decode(&r);
    assert_eq!(
        bytes.len(),
        len,
        "reading {len} bytes at {addr:#x}: reply {r}"
    );
    bytes
}

/// Reads one little-endian word with an `m` packet.
/// An `M` packet writing `bytes` at `addr`; the reply.
pub fn write_mem(c: &mut RawClient, addr: u32, bytes: &[u8]) -> Option<String> {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    c.ask(&format!("M{addr:x},{:x}:{hex}", bytes.len()))
}

pub fn read_word(c: &mut RawClient, addr: u32) -> u32 {
    let b = read_bytes(c, addr, 4);
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Sends `head` followed by binary `data` (escaped as the protocol wants, e.g. for
/// `vFlashWrite:ADDR:` or `XADDR,LEN:`) and returns the reply.
pub fn ask_binary(c: &mut RawClient, head: &str, data: &[u8]) -> Option<String> {
    let mut body = head.as_bytes().to_vec();
    for &b in data {
        if matches!(b, b'#' | b'$' | b'}' | b'*') {
            body.extend_from_slice(&[b'}', b ^ 0x20]);
        } else {
            body.push(b);
        }
    }
    let sum = body.iter().fold(0u8, |a, b| a.wrapping_add(*b));
    let mut bytes = vec![b'$'];
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(format!("#{sum:02x}").as_bytes());
    c.send(&bytes);
    let r = c.reply();
    c.send(b"+");
    r
}

/// Runs gdb-multiarch in batch mode with every command as its own `-ex`, so that a command that
/// fails (a refused memory write, say) does not end the run as it would end a script.
pub fn batch_each(addr: SocketAddr, elf: Option<&Path>, commands: &[String]) -> GdbRun {
    let mut cmd = Command::new(gdb());
    cmd.args(["-nx", "-q", "-batch"]);
    for setup in SESSION_SETUP {
        cmd.args(["-ex", setup]);
    }
    cmd.args(["-ex", &format!("target extended-remote {addr}")]);
    for c in commands {
        cmd.args(["-ex", c]);
    }
    if let Some(elf) = elf {
        cmd.arg(elf);
    }
    run_batch(cmd)
}
