//! The client connection: a TCP stream with a framing guard in front of gdbstub.
//!
//! gdbstub treats a framing error (a stray byte, a bad checksum, an over-long packet) as fatal
//! for the session. The guard checks every packet before gdbstub sees it: stray bytes are
//! dropped, a packet with a bad checksum is answered with `-` (or `E01` once acknowledgements
//! are off), an over-long one with `E01`; `qCRC`, which gdbstub cannot parse, is answered as
//! unsupported. An observer's connection also has a gate ([`Gate`]) that answers the packets
//! an observer may not send. Other well-formed packets, acks and Ctrl-C pass through.
//!
//! Output never waits for the client while the chip may be held: gdbstub writes into a buffer,
//! its `flush` sends only what the socket takes at once, and the server sends the rest
//! ([`GdbConnection::drain`]) after it has given the chip back. A client that stops reading
//! then stalls only its own session. The buffer holds at most one reply and the console output
//! produced while answering it, because the server drains it before it reads the next packet.

use std::collections::VecDeque;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use gdbstub::conn::{Connection, ConnectionExt};

/// How long a refused client is given to read its reply before the connection closes.
pub(crate) const CLOSE_WAIT: Duration = Duration::from_secs(2);

/// Why the framing guard dropped input (counted for logs and tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Dropped {
    /// Bytes outside any packet that were not `+`, `-` or Ctrl-C.
    pub stray_bytes: usize,
    /// Packets whose checksum was missing, malformed or wrong.
    pub bad_checksums: usize,
    /// Packets longer than the packet buffer.
    pub oversized: usize,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Frame {
    Outside,
    Body,
    Checksum1,
    Checksum2,
}

/// Packets answered by the connection instead of gdbstub: the packet body (between `$` and
/// `#`) gives `Some(reply body)` to refuse it.
pub type Gate = Box<dyn Fn(&[u8]) -> Option<String> + Send>;

/// Answers `qSymbol` packets, which gdbstub does not handle (see [`super::symbols`]): the body
/// gives `Some(reply body)` for a `qSymbol` packet.
pub type SymbolLookup = Box<dyn Fn(&[u8]) -> Option<String> + Send>;

/// The framing guard, independent of the socket (unit-tested on its own).
pub struct Framer {
    state: Frame,
    packet: Vec<u8>,
    /// The longest packet accepted (including `$`, `#` and checksum).
    pub max_packet: usize,
    no_ack: bool,
    /// Checked bytes for gdbstub.
    pub ready: VecDeque<u8>,
    /// Replies the guard itself owes the client.
    pub replies: Vec<u8>,
    /// What was dropped so far.
    pub dropped: Dropped,
    gate: Option<Gate>,
    /// The program has ended (an extended-remote session goes on): `?` is answered "exited"
    /// until GDB starts or attaches to it again.
    ended: bool,
    symbols: Option<SymbolLookup>,
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

impl Framer {
    /// A guard for packets of at most `max_packet` bytes (including `$`, `#` and checksum).
    pub fn new(max_packet: usize) -> Framer {
        Framer {
            state: Frame::Outside,
            packet: Vec::new(),
            max_packet,
            no_ack: false,
            ready: VecDeque::new(),
            replies: Vec::new(),
            dropped: Dropped::default(),
            gate: None,
            ended: false,
            symbols: None,
        }
    }

    /// The program has ended: until the next `vRun`, `R` or `vAttach`, GDB's `?` gets "exited
    /// with status 0" (`W00`) and its thread list query (`qfThreadInfo`) an empty list from
    /// here. gdbstub's single-thread target always reports a stopped thread, and GDB, which
    /// looks for threads after an exit in extended mode, would then believe a program is still
    /// there (`[New Thread 1.1]`, and `continue` would run the core past its exit).
    pub fn program_ended(&mut self) {
        self.ended = true;
    }

    /// Answers `qSymbol` packets with `lookup` from now on.
    pub fn set_symbol_lookup(&mut self, lookup: SymbolLookup) {
        self.symbols = Some(lookup);
    }

    /// Answers the packets `gate` refuses from now on, and those already waiting for gdbstub.
    pub fn set_gate(&mut self, gate: Gate) {
        self.gate = Some(gate);
        // `ready` holds whole, checked packets and single bytes; check them again through the
        // gate, keeping a packet that is still arriving.
        let waiting: Vec<u8> = self.ready.drain(..).collect();
        let state = std::mem::replace(&mut self.state, Frame::Outside);
        let partial = std::mem::take(&mut self.packet);
        self.push(&waiting);
        self.state = state;
        self.packet = partial;
    }

    fn reject(&mut self) {
        if self.no_ack {
            self.replies.extend_from_slice(b"$E01#a6");
        } else {
            self.replies.push(b'-');
        }
    }

    /// Feeds raw bytes from the socket.
    pub fn push(&mut self, bytes: &[u8]) {
        for &b in bytes {
            match self.state {
                Frame::Outside => match b {
                    b'$' => {
                        self.packet.clear();
                        self.packet.push(b);
                        self.state = Frame::Body;
                    }
                    b'+' | b'-' | 0x03 => self.ready.push_back(b),
                    _ => {
                        self.dropped.stray_bytes += 1;
                        log::debug!("dropping stray byte {b:#04x} outside a packet");
                    }
                },
                Frame::Body | Frame::Checksum1 | Frame::Checksum2 => {
                    self.packet.push(b);
                    if self.packet.len() > self.max_packet {
                        self.dropped.oversized += 1;
                        log::warn!("dropping a packet longer than {} bytes", self.max_packet);
                        self.packet.clear();
                        // Skip the rest of it: resynchronise on the next '$' or ack.
                        self.state = Frame::Outside;
                        self.replies.extend_from_slice(b"$E01#a6");
                        continue;
                    }
                    self.state = match (self.state, b) {
                        (Frame::Body, b'#') => Frame::Checksum1,
                        (Frame::Body, _) => Frame::Body,
                        (Frame::Checksum1, _) => Frame::Checksum2,
                        _ => {
                            self.finish_packet();
                            Frame::Outside
                        }
                    };
                }
            }
        }
    }

    fn finish_packet(&mut self) {
        let n = self.packet.len();
        let body = &self.packet[1..n - 3];
        let sum = body.iter().fold(0u8, |acc, &x| acc.wrapping_add(x));
        let given = match (hex_value(self.packet[n - 2]), hex_value(self.packet[n - 1])) {
            (Some(h), Some(l)) => Some(h << 4 | l),
            _ => None,
        };
        if given != Some(sum) {
            self.dropped.bad_checksums += 1;
            log::warn!(
                "dropping a packet with a bad checksum: {}",
                String::from_utf8_lossy(&self.packet[..n.min(64)])
            );
            self.reject();
            return;
        }
        if body == b"QStartNoAckMode" {
            self.no_ack = true;
        }
        if self.ended {
            // No process: `?` says it exited, and the thread list is empty.
            let reply: Option<&[u8]> = match body {
                b"?" => Some(b"$W00#b7"),
                b"qfThreadInfo" => Some(b"$l#6c"),
                _ => None,
            };
            if let Some(reply) = reply {
                if !self.no_ack {
                    self.replies.push(b'+');
                }
                self.replies.extend_from_slice(reply);
                return;
            }
        }
        if [&b"vRun"[..], b"vAttach", b"R"]
            .iter()
            .any(|p| body.starts_with(p))
        {
            self.ended = false;
        }
        if body.starts_with(b"qCRC:") {
            // gdbstub 0.7 rejects qCRC as a malformed command, which ends the session. Answer
            // "not supported" here instead: GDB's `compare-sections` then reads the memory back
            // and compares it itself.
            if !self.no_ack {
                self.replies.push(b'+');
            }
            self.replies.extend_from_slice(b"$#00");
            return;
        }
        if let Some(reply) = self.symbols.as_ref().and_then(|lookup| lookup(body)) {
            if !self.no_ack {
                self.replies.push(b'+');
            }
            let sum = reply.bytes().fold(0u8, |a, b| a.wrapping_add(b));
            self.replies
                .extend_from_slice(format!("${reply}#{sum:02x}").as_bytes());
            return;
        }
        if let Some(reply) = self.gate.as_ref().and_then(|gate| gate(body)) {
            log::info!(
                "refused {}: {reply}",
                String::from_utf8_lossy(&body[..body.len().min(32)])
            );
            if !self.no_ack {
                self.replies.push(b'+');
            }
            let reply: String = reply.chars().filter(|c| !"$#}*".contains(*c)).collect();
            let sum = reply.bytes().fold(0u8, |a, b| a.wrapping_add(b));
            self.replies
                .extend_from_slice(format!("${reply}#{sum:02x}").as_bytes());
            return;
        }
        self.ready.extend(self.packet.iter().copied());
    }
}

/// A GDB client connection over TCP.
pub struct GdbConnection {
    stream: TcpStream,
    framer: Framer,
    out: Vec<u8>,
    read_timeout: Option<Duration>,
}

impl GdbConnection {
    /// Wraps an accepted stream; packets longer than `max_packet` bytes are refused.
    pub fn new(stream: TcpStream, max_packet: usize) -> io::Result<GdbConnection> {
        stream.set_nodelay(true)?;
        stream.set_read_timeout(None)?;
        Ok(GdbConnection {
            stream,
            framer: Framer::new(max_packet),
            out: Vec::new(),
            read_timeout: None,
        })
    }

    /// A connection whose first bytes the framing guard `framer` has already taken (while the
    /// server waited for the first packet).
    pub fn from_framer(stream: TcpStream, framer: Framer) -> io::Result<GdbConnection> {
        let mut conn = GdbConnection::new(stream, framer.max_packet)?;
        conn.framer = framer;
        Ok(conn)
    }

    /// The program has ended (see [`Framer::program_ended`]).
    pub fn program_ended(&mut self) {
        self.framer.program_ended();
    }

    /// Bytes written by gdbstub (or owed by the framing guard) that the client has not taken yet.
    pub fn pending_output(&self) -> usize {
        self.out.len()
    }

    /// Sends what the socket accepts now, without waiting: a client that does not read must
    /// not stop the caller, who may hold the chip. The rest stays for [`GdbConnection::drain`].
    pub fn send_ready(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        self.stream.set_nonblocking(true)?;
        let mut sent = 0;
        let result = loop {
            if sent == self.out.len() {
                break Ok(());
            }
            match Write::write(&mut self.stream, &self.out[sent..]) {
                Ok(0) => break Err(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break Ok(()),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Err(e),
            }
        };
        self.out.drain(..sent);
        self.stream.set_nonblocking(false)?;
        result
    }

    /// Sends everything still buffered, waiting for the client as long as it takes. Call it only
    /// with the chip given back: this is where a client that stops reading waits.
    pub fn drain(&mut self) -> io::Result<()> {
        if self.out.is_empty() {
            return Ok(());
        }
        let result = Write::write_all(&mut self.stream, &self.out);
        self.out.clear();
        result.and_then(|()| Write::flush(&mut self.stream))
    }

    /// Feeds bytes from the client to the framing guard and queues the guard's own replies.
    fn take_input(&mut self, bytes: &[u8]) {
        self.framer.push(bytes);
        if !self.framer.replies.is_empty() {
            let replies = std::mem::take(&mut self.framer.replies);
            self.out.extend_from_slice(&replies);
        }
    }

    /// What the framing guard dropped so far.
    pub fn dropped(&self) -> Dropped {
        self.framer.dropped
    }

    /// Answers `qSymbol` packets with `lookup` from now on (see [`Framer::set_symbol_lookup`]).
    pub fn set_symbol_lookup(&mut self, lookup: SymbolLookup) {
        self.framer.set_symbol_lookup(lookup);
    }

    /// Answers the packets `gate` refuses (see [`Framer::set_gate`]) from now on.
    pub fn set_gate(&mut self, gate: Gate) -> io::Result<()> {
        self.framer.set_gate(gate);
        if !self.framer.replies.is_empty() {
            let replies = std::mem::take(&mut self.framer.replies);
            self.out.extend_from_slice(&replies);
        }
        self.drain()
    }

    fn set_timeout(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        if self.read_timeout != timeout {
            self.stream.set_read_timeout(timeout)?;
            self.read_timeout = timeout;
        }
        Ok(())
    }

    /// Reads once from the socket (waiting at most `timeout`, or forever with `None`) and
    /// feeds the guard. Returns false when the wait timed out.
    fn fill(&mut self, timeout: Option<Duration>) -> io::Result<bool> {
        self.set_timeout(timeout)?;
        let mut buf = [0u8; 4096];
        let n = match Read::read(&mut self.stream, &mut buf) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the client closed the connection",
                ))
            }
            Ok(n) => n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(false)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Ok(true),
            Err(e) => return Err(e),
        };
        self.take_input(&buf[..n]);
        // The guard's own replies (a `-` for a bad checksum, an observer's refusal) go out
        // now if the socket takes them; reading happens with the chip given back.
        self.send_ready()?;
        Ok(true)
    }

    /// Answers the waiting first packet with `reply` (acknowledged, as a `$…#xx` packet) and
    /// closes the connection, giving the client a moment to read it.
    pub fn reply_and_close(mut self, reply: &[u8]) {
        let _ = self.drain();
        let _ = Write::write_all(&mut self.stream, b"+");
        let _ = Write::write_all(&mut self.stream, reply);
        let _ = Write::flush(&mut self.stream);
        let _ = self.stream.shutdown(std::net::Shutdown::Write);
        // Until the client closes its side (or the wait runs out), so it reads the reply first.
        let deadline = Instant::now() + CLOSE_WAIT;
        let mut buf = [0u8; 1024];
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.stream.set_read_timeout(Some(left)).is_err() {
                break;
            }
            if !matches!(Read::read(&mut self.stream, &mut buf), Ok(n) if n > 0) {
                break;
            }
        }
    }

    /// The next checked byte if one arrives within `timeout`.
    pub fn poll(&mut self, timeout: Duration) -> io::Result<Option<u8>> {
        if self.framer.ready.is_empty() {
            self.fill(Some(timeout))?;
        }
        Ok(self.framer.ready.pop_front())
    }
}

impl Connection for GdbConnection {
    type Error = io::Error;

    fn write(&mut self, byte: u8) -> io::Result<()> {
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(buf);
        Ok(())
    }

    /// gdbstub flushes while it answers a packet, with the chip held: only what the socket takes
    /// at once is sent here, the rest by [`GdbConnection::drain`].
    fn flush(&mut self) -> io::Result<()> {
        self.send_ready()
    }
}

impl ConnectionExt for GdbConnection {
    fn read(&mut self) -> io::Result<u8> {
        loop {
            if let Some(b) = self.framer.ready.pop_front() {
                return Ok(b);
            }
            self.fill(None)?;
        }
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        if self.framer.ready.is_empty() {
            self.fill(Some(Duration::from_millis(1)))?;
        }
        Ok(self.framer.ready.front().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready(f: &mut Framer) -> Vec<u8> {
        f.ready.drain(..).collect()
    }

    #[test]
    fn good_packets_acks_and_ctrl_c_pass() {
        let mut f = Framer::new(64);
        f.push(b"+$qSupported:multiprocess+#c6");
        f.push(&[0x03]);
        f.push(b"-$g#67");
        assert_eq!(
            ready(&mut f),
            b"+$qSupported:multiprocess+#c6\x03-$g#67".to_vec()
        );
        assert_eq!(f.dropped, Dropped::default());
        assert!(f.replies.is_empty());
    }

    #[test]
    fn qcrc_is_answered_as_unsupported_without_reaching_gdbstub() {
        let mut f = Framer::new(64);
        f.push(b"$qCRC:8000000,40#6b");
        assert!(f.ready.is_empty());
        assert_eq!(f.replies, b"+$#00".to_vec());
    }

    #[test]
    fn a_gate_answers_refused_packets_also_those_already_waiting() {
        let mut f = Framer::new(64);
        f.push(b"$c#63$g#67$m0");
        f.set_gate(Box::new(|body| (body == b"c").then(|| "E.no".to_string())));
        assert_eq!(f.replies, b"+$E.no#50".to_vec());
        f.push(b",4#fd$c#63");
        assert_eq!(ready(&mut f), b"$g#67$m0,4#fd".to_vec());
        assert_eq!(f.replies, b"+$E.no#50+$E.no#50".to_vec());
    }

    #[test]
    fn after_the_program_ended_the_status_query_says_so_until_it_runs_again() {
        let mut f = Framer::new(64);
        f.push(b"$?#3f");
        assert_eq!(
            ready(&mut f),
            b"$?#3f".to_vec(),
            "gdbstub answers while it runs"
        );
        f.program_ended();
        f.push(b"$?#3f");
        assert!(f.ready.is_empty());
        assert_eq!(f.replies, b"+$W00#b7".to_vec());
        f.replies.clear();
        f.push(b"$qfThreadInfo#bb");
        assert_eq!(f.replies, b"+$l#6c".to_vec());
        f.replies.clear();
        f.push(b"$vRun;#e6$?#3f");
        assert_eq!(ready(&mut f), b"$vRun;#e6$?#3f".to_vec());
        assert!(f.replies.is_empty());
    }

    #[test]
    fn split_packets_are_reassembled() {
        let mut f = Framer::new(64);
        for b in b"$m8000000,4#" {
            f.push(&[*b]);
        }
        assert!(f.ready.is_empty());
        f.push(b"2");
        f.push(b"5");
        assert_eq!(ready(&mut f), b"$m8000000,4#25".to_vec());
    }

    #[test]
    fn bad_checksums_are_refused() {
        let mut f = Framer::new(64);
        f.push(b"$g#00$g#zz");
        assert!(f.ready.is_empty());
        assert_eq!(f.dropped.bad_checksums, 2);
        assert_eq!(f.replies, b"--".to_vec());
        f.replies.clear();
        f.push(b"$QStartNoAckMode#b0");
        assert_eq!(ready(&mut f), b"$QStartNoAckMode#b0".to_vec());
        f.push(b"$g#01");
        assert_eq!(f.replies, b"$E01#a6".to_vec());
    }

    #[test]
    fn stray_bytes_and_oversized_packets_are_dropped() {
        let mut f = Framer::new(16);
        f.push(b"hello\n");
        assert_eq!(f.dropped.stray_bytes, 6);
        f.push(b"$0123456789abcdef0123#00");
        assert_eq!(f.dropped.oversized, 1);
        assert_eq!(f.replies, b"$E01#a6".to_vec());
        // The tail of the dropped packet is stray input; the next packet is fine.
        f.push(b"$g#67");
        assert_eq!(ready(&mut f), b"$g#67".to_vec());
    }
}
