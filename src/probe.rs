//! Opening a probe-rs `Session` from the common options, for a real probe or the simulator.
//!
//! Everything above this module sees only probe-rs types: whether the chip is simulated is
//! decided here and nowhere else.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::Duration;

use probe_rs::config::{Registry, Target};
use probe_rs::probe::list::Lister;
use probe_rs::probe::{DebugProbeInfo, DebugProbeSelector, Probe, WireProtocol};
use probe_rs::{MemoryInterface, Permissions, Session};

use crate::chip::family::{self, DetectError, Detected};
use crate::chip::program_pages::widen_program_pages;
use crate::sim::{SimError, Simulator, UartLink};
use crate::socket_probe::SocketProbe;

/// The USB ids probe-rs gives the Glasgow protocol's probes; with a `tcp:` serial, a socket probe.
const GLASGOW_USB_ID: (u16, u16) = (0x20b7, 0x9db1);

/// The chip the simulator is when `--sim` is given without `--chip`.
pub const DEFAULT_SIM_CHIP: &str = "STM32F767ZI";
/// The probe-rs target the tool attaches with while it asks the chip what it is: a generic
/// ARMv6-M core, whose debug architecture every supported core (Cortex-M0+, M4, M7) has. Only
/// memory reads are made through it.
pub const DETECTION_TARGET: &str = "Cortex-M0";
/// How long the reachability check of a socket probe waits for the connection.
const SOCKET_CHECK_TIMEOUT: Duration = Duration::from_secs(3);

/// The common probe options, as probe-rs users know them.
#[derive(Clone, Debug, Default)]
pub struct ProbeOptions {
    /// probe-rs target name, e.g. `STM32F767ZI`.
    pub chip: Option<String>,
    /// `VID:PID[:SERIAL]` selector (hex); the serial may contain colons (`tcp:host:port`).
    pub probe: Option<String>,
    /// SWD/JTAG clock in kHz.
    pub speed_khz: Option<u32>,
    /// Wire protocol.
    pub protocol: Option<WireProtocol>,
    /// Attach with NRST asserted.
    pub connect_under_reset: bool,
    /// Use the simulated chip in this process.
    pub sim: bool,
    /// Persisted simulator state (implies `sim`).
    pub sim_state: Option<PathBuf>,
    /// Serve the simulated chip's virtual COM port UART on this address (simulator only).
    pub sim_uart: Option<SocketAddr>,
}

impl ProbeOptions {
    /// Whether the simulated chip is asked for.
    pub fn simulated(&self) -> bool {
        self.sim || self.sim_state.is_some()
    }

    /// These options with the chip named, decided once: `--chip` as given, the simulator's
    /// default part with `--sim`, or else the part the chip says it is — its family's DEV_ID and
    /// flash size, read through a generic Cortex-M attach — with what was detected (announced
    /// on stderr).
    pub fn named(&self) -> Result<(ProbeOptions, Option<Detected>), ProbeError> {
        if self.chip.is_some() || self.simulated() {
            return Ok((self.clone(), None));
        }
        let detected = detect(self)?;
        let target = detected.target().ok_or_else(|| ProbeError::NoTarget {
            detected: detected.to_string(),
        })?;
        // stderr: stdout carries the command's result.
        eprintln!(
            "detected {detected} ({}); attaching as {target}",
            detected.family.name()
        );
        let named = ProbeOptions {
            chip: Some(target.to_string()),
            ..self.clone()
        };
        Ok((named, Some(detected)))
    }

    /// The chip name: as given, or the simulator's default part.
    pub fn chip_name(&self) -> Result<String, ProbeError> {
        match (&self.chip, self.simulated()) {
            (Some(chip), _) => Ok(chip.clone()),
            (None, true) => Ok(DEFAULT_SIM_CHIP.to_string()),
            (None, false) => Err(ProbeError::NoChip),
        }
    }

    /// Starts the simulated chip these options describe (`--sim`, `--sim-state`), its virtual
    /// COM port served on `--sim-uart` (bound first: a port that cannot be had leaves a state
    /// file untouched).
    pub fn simulator(&self) -> Result<Simulator, ProbeError> {
        let chip = self.chip_name()?;
        let uart = match self.sim_uart {
            Some(addr) => Some(bind_uart(addr)?),
            None => None,
        };
        let sim = Simulator::open(&chip, self.sim_state.as_deref(), uart)?;
        if let Some(link) = sim.uart() {
            // stderr: stdout carries what the UART transmits.
            eprintln!(
                "Simulated {} virtual COM port ({}) listening on {} (raw bytes; its output is also copied to stdout)",
                sim.variant().name,
                sim.variant().family.vcp_uart(),
                link.local_addr()
            );
        }
        Ok(sim)
    }

    /// `--sim-uart` is only for a simulated chip.
    fn check_uart(&self) -> Result<(), ProbeError> {
        if self.sim_uart.is_some() && !self.simulated() {
            return Err(ProbeError::UartWithoutSim);
        }
        Ok(())
    }
}

/// Listens for the simulated UART's client on `addr`; what the UART transmits is also copied
/// to stdout.
fn bind_uart(addr: SocketAddr) -> Result<UartLink, ProbeError> {
    let link = UartLink::bind(addr, Some(Box::new(std::io::stdout())))
        .map_err(|source| ProbeError::UartListen { addr, source })?;
    let bound = link.local_addr();
    if !bound.ip().is_loopback() {
        log::warn!(
            "--sim-uart listening on {bound}, which is not a loopback address: anyone who can reach it talks to the simulated chip's serial port"
        );
    }
    Ok(link)
}

/// Why no session could be opened.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("no chip given: pass --chip (e.g. --chip STM32F767ZI), or leave it out where the chip is detected")]
    NoChip,
    #[error("could not tell which chip this is")]
    Detect(#[from] DetectError),
    #[error("the chip is {detected}, a part of a supported family, but no probe-rs target of that size is known to attach with: pass --chip")]
    NoTarget { detected: String },
    #[error("wrong chip: --chip {chip} is an {named} part, but the chip says it is {detected}, an {found} part; pass the chip's own part name with --chip, or leave --chip out to detect it; nothing was changed")]
    WrongFamily {
        chip: String,
        named: &'static str,
        detected: String,
        found: &'static str,
    },
    #[error("no debug probe found; attach one (check USB and udev permissions), select one with --probe VID:PID[:SERIAL], or use the simulated chip with --sim")]
    NoProbe,
    #[error("--probe and --sim cannot be combined: --sim runs the simulated chip in this process; to reach a simulator over a socket use --probe 20b7:9db1:tcp:HOST:PORT without --sim")]
    ProbeAndSim,
    #[error("bad --probe selector '{0}': expected VID:PID[:SERIAL] in hex, e.g. 0483:374b or 20b7:9db1:tcp:127.0.0.1:4444")]
    Selector(String),
    #[error("the simulated chip cannot start")]
    Sim(#[from] SimError),
    #[error("cannot attach to {chip}")]
    Attach {
        chip: String,
        source: probe_rs::Error,
    },
    #[error("cannot reach the socket probe at {address}: {reason}; is `stm32-opts sim-probe --listen {address}` (or another probe-rs socket server) running there?")]
    SocketUnreachable { address: String, reason: String },
    #[error("cannot open the debug probe")]
    Probe(#[from] probe_rs::probe::DebugProbeError),
    #[error("--sim-uart serves the simulated chip's serial port: it needs --sim or --sim-state (or `sim-probe`)")]
    UartWithoutSim,
    #[error("cannot listen on {addr} for the simulated UART (--sim-uart)")]
    UartListen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Opens a session on the chip the options name. The simulator, when asked for, lives as long
/// as the session does.
pub fn open_session(opts: &ProbeOptions) -> Result<Session, ProbeError> {
    opts.check_uart()?;
    let chip = opts.chip_name()?;
    let mut probe = if opts.simulated() {
        if opts.probe.is_some() {
            return Err(ProbeError::ProbeAndSim);
        }
        opts.simulator()?.probe()
    } else {
        open_probe(opts.probe.as_deref())?
    };
    if let Some(protocol) = opts.protocol {
        probe.select_protocol(protocol)?;
    }
    if let Some(khz) = opts.speed_khz {
        probe.set_speed(khz)?;
    }
    let target = target_description(&chip).map_err(|source| ProbeError::Attach {
        chip: chip.clone(),
        source,
    })?;
    let attached = if opts.connect_under_reset {
        probe.attach_under_reset(target, Permissions::default())
    } else {
        probe.attach(target, Permissions::default())
    };
    let mut session = attached.map_err(|source| ProbeError::Attach {
        chip: chip.clone(),
        source,
    })?;
    check_family(&mut session, &chip)?;
    Ok(session)
}

/// Refuses a session whose chip says it is of another family than the target it was opened
/// with (`--chip` for another family's part). A chip that says nothing recognisable is left to
/// the family's own identity checks, which refuse it in their terms.
fn check_family(session: &mut Session, chip: &str) -> Result<(), ProbeError> {
    let Some(named) = family::for_target(chip) else {
        return Ok(());
    };
    let mut core = session.core(0).map_err(|source| ProbeError::Attach {
        chip: chip.to_string(),
        source,
    })?;
    match family::detect(&mut |a| core.read_word_32(u64::from(a))) {
        Ok(detected) if detected.family.name() != named.name() => Err(ProbeError::WrongFamily {
            chip: chip.to_string(),
            named: named.name(),
            detected: detected.to_string(),
            found: detected.family.name(),
        }),
        _ => Ok(()),
    }
}

/// Asks the chip behind the probe the options name what it is: a generic Cortex-M attach, then
/// [`family::detect`] (each registered family's DBGMCU_IDCODE in turn, a bus error meaning "not
/// this family", and the flash size register of the family found). Reads only.
pub fn detect(opts: &ProbeOptions) -> Result<Detected, ProbeError> {
    opts.check_uart()?;
    let mut probe = open_probe(opts.probe.as_deref())?;
    if let Some(protocol) = opts.protocol {
        probe.select_protocol(protocol)?;
    }
    if let Some(khz) = opts.speed_khz {
        probe.set_speed(khz)?;
    }
    let generic = |source| ProbeError::Attach {
        chip: DETECTION_TARGET.to_string(),
        source,
    };
    let mut session = if opts.connect_under_reset {
        probe.attach_under_reset(DETECTION_TARGET, Permissions::default())
    } else {
        probe.attach(DETECTION_TARGET, Permissions::default())
    }
    .map_err(generic)?;
    let mut core = session.core(0).map_err(generic)?;
    Ok(family::detect(&mut |a| core.read_word_32(u64::from(a)))?)
}

/// probe-rs's description of `chip`, with the larger program pages of
/// [`crate::chip::program_pages`] (fewer flash-algorithm calls per `load`).
fn target_description(chip: &str) -> Result<Target, probe_rs::Error> {
    let mut target = Registry::from_builtin_families().get_target_by_name(chip)?;
    for w in widen_program_pages(&mut target) {
        log::debug!(
            "{}: program pages of {} bytes instead of {}",
            w.algorithm,
            w.to,
            w.from
        );
    }
    Ok(target)
}

fn open_probe(selector: Option<&str>) -> Result<Probe, ProbeError> {
    let lister = Lister::new();
    match selector {
        Some(text) => {
            let selector: DebugProbeSelector = text
                .parse()
                .map_err(|_| ProbeError::Selector(text.to_string()))?;
            match socket_address(&selector) {
                Some(address) => {
                    let stream = check_socket_probe(address)?;
                    let probe = SocketProbe::connect(stream)?;
                    Ok(Probe::from_specific_probe(Box::new(probe)))
                }
                None => Ok(lister.open(selector)?),
            }
        }
        None => {
            let probes = lister.list_all();
            let first = probes.first().ok_or(ProbeError::NoProbe)?;
            Ok(first.open()?)
        }
    }
}

/// The host:port of a probe reached over TCP (probe-rs's Glasgow socket selector,
/// `20b7:9db1:tcp:HOST:PORT`, which `stm32-opts sim-probe` serves). stm32-opts drives it with
/// its own client ([`crate::socket_probe`]).
fn socket_address(selector: &DebugProbeSelector) -> Option<&str> {
    if (selector.vendor_id, selector.product_id) != GLASGOW_USB_ID {
        return None;
    }
    selector.serial_number.as_deref()?.strip_prefix("tcp:")
}

/// Connects to a socket probe, saying what is wrong when that fails (probe-rs would report it
/// as a failure of the USB probes it tried next, which names the wrong thing).
fn check_socket_probe(address: &str) -> Result<TcpStream, ProbeError> {
    let unreachable = |reason: String| ProbeError::SocketUnreachable {
        address: address.to_string(),
        reason,
    };
    let targets: Vec<SocketAddr> = address
        .to_socket_addrs()
        .map_err(|e| unreachable(e.to_string()))?
        .collect();
    let mut last = String::from("the address resolves to nothing");
    for target in targets {
        match TcpStream::connect_timeout(&target, SOCKET_CHECK_TIMEOUT) {
            Ok(stream) => return Ok(stream),
            Err(e) => last = e.to_string(),
        }
    }
    Err(unreachable(last))
}

/// The debug probes attached to this machine (socket probes such as a `sim-probe` are never
/// listed: they are reached only through an explicit `--probe` selector).
pub fn list_probes() -> Vec<DebugProbeInfo> {
    Lister::new().list_all()
}
