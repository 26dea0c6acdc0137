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
use crate::socket_probe::wire::{
    cobs_decode, frame, root, swd, ENDPOINT_ROOT as TARGET_ROOT, ENDPOINT_SWD as TARGET_SWD,
    IDENTIFIER,
};

/// A notional 48 MHz reference clock; the divisor only affects what `speed` reports.
const REF_CLOCK_HZ: u32 = 48_000_000;

/// One client's protocol state.
struct Session {
    sim: Simulator,
    root_in: Vec<u8>,
    swd_in: Vec<u8>,
    divisor: u16,
    /// Data of the last AP read, returned by the next AP read or by RDBUFF.
    posted: u32,
    traffic: Traffic,
}

impl Session {
    fn new(sim: Simulator) -> Self {
        Session {
            sim,
            root_in: Vec::new(),
            swd_in: Vec::new(),
            divisor: 11,
            posted: 0,
            traffic: Traffic::default(),
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
            let read = cmd & swd::TRANSFER_READ != 0;
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
            commands.push((
                cmd & swd::TRANSFER_AP != 0,
                read,
                cmd & swd::TRANSFER_ADDRESS,
                value,
            ));
        }
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        self.traffic.transfers += commands.len() as u64;
        self.traffic.chip_visits += 1;
        if log::log_enabled!(log::Level::Trace) {
            let text: Vec<String> = commands
                .iter()
                .take(12)
                .map(|(ap, read, a, v)| {
                    let port = if *ap { "AP" } else { "DP" };
                    if *read {
                        format!("{port}r{a:X}")
                    } else {
                        format!("{port}w{a:X}={v:08X}")
                    }
                })
                .collect();
            log::trace!("batch of {}: {}", commands.len(), text.join(" "));
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

/// What one client asked of the probe: the figures that decide how long its work takes (each
/// exchange is a round trip the client waits for).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Traffic {
    /// Reads from the socket that carried at least one whole packet: the client's round trips.
    pub exchanges: u64,
    /// SWD register transfers carried out.
    pub transfers: u64,
    /// Visits to the simulator thread.
    pub chip_visits: u64,
}

impl std::fmt::Display for Traffic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} exchanges, {} SWD transfers, {} visits to the chip",
            self.exchanges, self.transfers, self.chip_visits
        )
    }
}

/// Serves one client until it disconnects or breaks the protocol.
fn serve_client(
    sim: &Simulator,
    mut stream: TcpStream,
    traffic: &mut Traffic,
) -> Result<(), String> {
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
        if pending.contains(&0) {
            session.traffic.exchanges += 1;
        }
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
        *traffic = session.traffic;
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
            let mut traffic = Traffic::default();
            match serve_client(&self.sim, stream, &mut traffic) {
                Ok(()) => log::info!("sim-probe: client {peer} disconnected ({traffic})"),
                Err(e) => log::warn!("sim-probe: client {peer} dropped: {e} ({traffic})"),
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
