//! The simulated chip served over probe-rs's Glasgow socket protocol (`probe-rs,v01`), so any
//! probe-rs based tool can attach to it with `--probe 20b7:9db1:tcp:HOST:PORT`.
//!
//! Framing: each packet is COBS(`[target, payload…]`) followed by 0x00; target 0 is the root
//! endpoint (identify, clock, reset), target 1 the SWD endpoint. Endpoints are byte streams, so
//! commands are parsed from a per-endpoint buffer regardless of packet boundaries. AP reads are
//! posted, as on the wire: an AP read answers with the previous AP read's data and DP RDBUFF
//! with the last one.
//!
//! A bus fault is handled as probe firmware handles it: the transfers of one packet are one
//! batch, and a transfer answered FAULT (or not answered) ends it. The transfers after it in the
//! same packet are not carried out and get no answer — probe-rs's driver stops reading a batch's
//! answers at the first failure, so an answer for them would be taken as the answer to its next
//! request — and the sticky error flags are cleared through DP ABORT, so the next request works.
//! Each client starts with clear sticky flags and no posted read.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};

use super::dap::Ack;
use super::Simulator;

const IDENTIFIER: &[u8; 12] = b"probe-rs,v01";
const TARGET_ROOT: u8 = 0;
const TARGET_SWD: u8 = 1;

mod root {
    pub const IDENTIFY: u8 = 0x00;
    pub const GET_REF_CLOCK: u8 = 0x10;
    pub const GET_DIVISOR: u8 = 0x11;
    pub const SET_DIVISOR: u8 = 0x12;
    pub const ASSERT_RESET: u8 = 0x20;
    pub const CLEAR_RESET: u8 = 0x21;
}

mod swd {
    pub const TRANSFER_MASK: u8 = 0xF0;
    pub const TRANSFER: u8 = 0x00;
    pub const SEQUENCE: u8 = 0x20;
    pub const SEQUENCE_MASK: u8 = 0xE0;
    pub const ACK_OK: u8 = 0b001;
    pub const ACK_FAULT: u8 = 0b100;
    pub const TYPE_DATA: u8 = 0x00;
    pub const TYPE_NO_DATA: u8 = 0x10;
    pub const TYPE_ERROR: u8 = 0x20;
}

/// A notional 48 MHz reference clock; the divisor only affects what `speed` reports.
const REF_CLOCK_HZ: u32 = 48_000_000;

/// COBS encoding (consistent overhead byte stuffing), without the trailing 0x00.
pub fn cobs_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 254 + 2);
    let mut code_index = 0;
    out.push(0);
    let mut code = 1u8;
    for &b in data {
        if b == 0 {
            out[code_index] = code;
            code_index = out.len();
            out.push(0);
            code = 1;
        } else {
            out.push(b);
            code += 1;
            if code == 0xFF {
                out[code_index] = code;
                code_index = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_index] = code;
    out
}

/// COBS decoding of one frame (without its 0x00 delimiter); `None` if malformed.
pub fn cobs_decode(frame: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(frame.len());
    let mut i = 0;
    while i < frame.len() {
        let code = frame[i] as usize;
        if code == 0 || i + code > frame.len() {
            return None;
        }
        out.extend_from_slice(&frame[i + 1..i + code]);
        i += code;
        if code < 0xFF && i < frame.len() {
            out.push(0);
        }
    }
    Some(out)
}

/// One client's protocol state.
struct Session {
    sim: Simulator,
    root_in: Vec<u8>,
    swd_in: Vec<u8>,
    divisor: u16,
    /// Data of the last AP read, returned by the next AP read or by RDBUFF.
    posted: u32,
}

impl Session {
    fn new(sim: Simulator) -> Self {
        Session {
            sim,
            root_in: Vec::new(),
            swd_in: Vec::new(),
            divisor: 11,
            posted: 0,
        }
    }

    /// Parses complete root commands; returns the reply bytes.
    fn root(&mut self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        while let Some(&cmd) = self.root_in.first() {
            let needed = if cmd == root::SET_DIVISOR { 3 } else { 1 };
            if self.root_in.len() < needed {
                break;
            }
            let args: Vec<u8> = self.root_in.drain(..needed).collect();
            match cmd {
                root::IDENTIFY => out.extend_from_slice(IDENTIFIER),
                root::GET_REF_CLOCK => out.extend_from_slice(&REF_CLOCK_HZ.to_le_bytes()),
                root::GET_DIVISOR => out.extend_from_slice(&self.divisor.to_le_bytes()),
                root::SET_DIVISOR => self.divisor = u16::from_le_bytes([args[1], args[2]]),
                root::ASSERT_RESET | root::CLEAR_RESET => {
                    let asserted = cmd == root::ASSERT_RESET;
                    self.sim
                        .with(move |chip| chip.set_nrst(asserted))
                        .map_err(|e| e.to_string())?;
                }
                other => return Err(format!("unknown root command 0x{other:02X}")),
            }
        }
        Ok(out)
    }

    /// Parses complete SWD commands and runs their transfers in one visit to the chip.
    fn swd(&mut self) -> Result<Vec<u8>, String> {
        let mut commands = Vec::new();
        while let Some(&cmd) = self.swd_in.first() {
            if cmd & swd::SEQUENCE_MASK == swd::SEQUENCE {
                if self.swd_in.len() < 5 {
                    break;
                }
                self.swd_in.drain(..5); // line resets and switch sequences: always ready
                continue;
            }
            if cmd & swd::TRANSFER_MASK != swd::TRANSFER {
                return Err(format!("unknown SWD command 0x{cmd:02X}"));
            }
            let read = cmd & 0b10 != 0;
            let needed = if read { 1 } else { 5 };
            if self.swd_in.len() < needed {
                break;
            }
            let bytes: Vec<u8> = self.swd_in.drain(..needed).collect();
            let value = if read {
                0
            } else {
                u32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]])
            };
            commands.push((cmd & 1 != 0, read, cmd & 0b1100, value));
        }
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        let mut posted = self.posted;
        let (out, posted) = self
            .sim
            .with(move |chip| {
                let mut out = Vec::new();
                for (ap, read, a, value) in commands {
                    let is_rdbuff = !ap && read && a == 0xC;
                    let ack = chip.dap_transfer(ap, read, a, value);
                    if !matches!(ack, Ack::Ok(_)) {
                        // The batch ends here (see the module documentation).
                        if ack == Ack::Fault {
                            chip.dap_clear_sticky();
                        }
                        out.push(match ack {
                            Ack::Fault => swd::TYPE_NO_DATA | swd::ACK_FAULT,
                            _ => swd::TYPE_ERROR,
                        });
                        break;
                    }
                    match ack {
                        Ack::Ok(v) if read => {
                            let data = if ap {
                                std::mem::replace(&mut posted, v)
                            } else if is_rdbuff {
                                posted
                            } else {
                                v
                            };
                            out.push(swd::TYPE_DATA | swd::ACK_OK);
                            out.extend_from_slice(&data.to_le_bytes());
                        }
                        Ack::Ok(_) => out.push(swd::TYPE_NO_DATA | swd::ACK_OK),
                        Ack::Fault | Ack::NoResponse => unreachable!("handled above"),
                    }
                }
                (out, posted)
            })
            .map_err(|e| e.to_string())?;
        self.posted = posted;
        Ok(out)
    }
}

fn frame(target: u8, payload: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(payload.len() + 1);
    data.push(target);
    data.extend_from_slice(payload);
    let mut out = cobs_encode(&data);
    out.push(0);
    out
}

/// Serves one client until it disconnects or breaks the protocol.
fn serve_client(sim: &Simulator, mut stream: TcpStream) -> Result<(), String> {
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    sim.with(|chip| chip.dap_new_host())
        .map_err(|e| e.to_string())?;
    let mut session = Session::new(sim.clone());
    let mut pending = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = stream.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        pending.extend_from_slice(&buf[..n]);
        let mut out = Vec::new();
        // Packet by packet: each packet's SWD transfers are one batch.
        while let Some(end) = pending.iter().position(|b| *b == 0) {
            let raw: Vec<u8> = pending.drain(..=end).collect();
            let packet = cobs_decode(&raw[..raw.len() - 1]).ok_or("malformed COBS frame")?;
            match packet.split_first() {
                Some((&TARGET_ROOT, payload)) => {
                    session.root_in.extend_from_slice(payload);
                    let root = session.root()?;
                    if !root.is_empty() {
                        out.extend(frame(TARGET_ROOT, &root));
                    }
                }
                Some((&TARGET_SWD, payload)) => {
                    session.swd_in.extend_from_slice(payload);
                    let swd = session.swd()?;
                    if !swd.is_empty() {
                        out.extend(frame(TARGET_SWD, &swd));
                    }
                }
                Some((other, _)) => return Err(format!("packet for unknown endpoint {other}")),
                None => return Err("empty packet".into()),
            }
        }
        if !out.is_empty() {
            stream.write_all(&out).map_err(|e| e.to_string())?;
        }
    }
}

/// A bound Glasgow server for a simulated chip.
pub struct GlasgowServer {
    listener: TcpListener,
    sim: Simulator,
}

impl GlasgowServer {
    /// Binds `addr` (port 0 picks a free port).
    pub fn bind(sim: Simulator, addr: SocketAddr) -> std::io::Result<Self> {
        Ok(Self::from_listener(TcpListener::bind(addr)?, sim))
    }

    /// A server on a listener that is already bound.
    pub fn from_listener(listener: TcpListener, sim: Simulator) -> Self {
        GlasgowServer { listener, sim }
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The probe-rs selector that reaches this server.
    pub fn selector(&self) -> std::io::Result<String> {
        Ok(format!("20b7:9db1:tcp:{}", self.local_addr()?))
    }

    /// Serves clients one after another, forever. The state file (if any) is saved after each.
    pub fn serve_forever(&self) -> std::io::Result<()> {
        for stream in self.listener.incoming() {
            let stream = stream?;
            let peer = stream
                .peer_addr()
                .map(|a| a.to_string())
                .unwrap_or_default();
            log::info!("sim-probe: client {peer} connected");
            match serve_client(&self.sim, stream) {
                Ok(()) => log::info!("sim-probe: client {peer} disconnected"),
                Err(e) => log::warn!("sim-probe: client {peer} dropped: {e}"),
            }
            if let Err(e) = self.sim.save() {
                log::error!("{e}");
            }
        }
        Ok(())
    }

    /// Serves in a background thread (for tests).
    pub fn spawn(self) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            let _ = self.serve_forever();
        })
    }
}

/// `stm32-opts sim-probe`: serves the simulated chip the options describe on `listen`.
pub fn serve(opts: &crate::probe::ProbeOptions, listen: SocketAddr) -> anyhow::Result<()> {
    // The address is taken before the chip starts: a sim-probe that cannot listen must leave a
    // --sim-state file untouched (not even create it).
    let listener =
        TcpListener::bind(listen).map_err(|e| anyhow::anyhow!("cannot listen on {listen}: {e}"))?;
    let sim = opts.simulator()?;
    let server = GlasgowServer::from_listener(listener, sim.clone());
    let addr = server.local_addr()?;
    if !addr.ip().is_loopback() {
        log::warn!(
            "sim-probe listening on {addr}, which is not a loopback address: anyone who can reach it controls the simulated chip"
        );
    }
    // The banner is for whoever started the server; a closed stdout (a supervisor that read the
    // address and went away) must not stop it.
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Simulated {} listening on {addr}", sim.variant().name)
        .and_then(|()| {
            writeln!(
                out,
                "Attach with: --probe 20b7:9db1:tcp:{addr} --chip {}",
                sim.variant().name
            )
        })
        .and_then(|()| out.flush());
    drop(out);
    server.serve_forever()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cobs_round_trips() {
        for data in [
            vec![],
            vec![0],
            vec![1, 0, 2],
            vec![0x11; 300],
            (0..=255u8).collect::<Vec<_>>(),
        ] {
            let encoded = cobs_encode(&data);
            assert!(!encoded.contains(&0));
            assert_eq!(cobs_decode(&encoded).unwrap(), data);
        }
        assert_eq!(
            cobs_encode(&[0x11, 0x22, 0x00, 0x33]),
            vec![0x03, 0x11, 0x22, 0x02, 0x33]
        );
    }
}
