//! Opening a probe-rs `Session` from the common options, for a real probe or the simulator.
//!
//! PLACEHOLDER on the `optbytes` branch so the CLI compiles before the lead's probe layer lands
//! on main; it is to be replaced by main's version at merge time (same public contract).

use std::path::PathBuf;

use probe_rs::probe::list::Lister;
use probe_rs::probe::{DebugProbeInfo, DebugProbeSelector, WireProtocol};
use probe_rs::{Permissions, Session};

/// Common probe options.
#[derive(Clone, Debug, Default)]
pub struct ProbeOptions {
    /// probe-rs target name.
    pub chip: Option<String>,
    /// `VID:PID[:SERIAL]` selector.
    pub probe: Option<String>,
    /// SWD/JTAG clock.
    pub speed_khz: Option<u32>,
    /// Wire protocol.
    pub protocol: Option<WireProtocol>,
    /// Attach with NRST asserted.
    pub connect_under_reset: bool,
    /// Use the simulated chip.
    pub sim: bool,
    /// Persisted simulator state (implies `sim`).
    pub sim_state: Option<PathBuf>,
}

/// Why no session could be opened.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// No chip name.
    #[error("no chip given: pass --chip (e.g. --chip STM32F767ZI); probe-rs cannot detect STM32F7 parts")]
    NoChip,
    /// No probe attached.
    #[error("no debug probe found; attach one, select one with --probe VID:PID[:SERIAL], or use the simulated chip with --sim")]
    NoProbe,
    /// The simulator is not in this build yet.
    #[error("the simulated chip is not available in this build")]
    SimUnavailable,
    /// Bad selector.
    #[error("bad --probe selector `{0}`: expected VID:PID[:SERIAL] in hex")]
    Selector(String),
    /// probe-rs failed.
    #[error("{0}")]
    ProbeRs(#[from] probe_rs::Error),
    /// probe-level failure.
    #[error("{0}")]
    DebugProbe(#[from] probe_rs::probe::DebugProbeError),
}

/// Open a session.
pub fn open_session(opts: &ProbeOptions) -> Result<Session, ProbeError> {
    if opts.sim || opts.sim_state.is_some() {
        return Err(ProbeError::SimUnavailable);
    }
    let chip = opts.chip.as_deref().ok_or(ProbeError::NoChip)?;
    let lister = Lister::new();
    let mut probe = match &opts.probe {
        Some(sel) => {
            let selector: DebugProbeSelector =
                sel.parse().map_err(|_| ProbeError::Selector(sel.clone()))?;
            lister.open(selector)?
        }
        None => lister
            .list_all()
            .first()
            .ok_or(ProbeError::NoProbe)?
            .open()?,
    };
    if let Some(p) = opts.protocol {
        probe.select_protocol(p)?;
    }
    if let Some(khz) = opts.speed_khz {
        probe.set_speed(khz)?;
    }
    let session = if opts.connect_under_reset {
        probe.attach_under_reset(chip, Permissions::default())?
    } else {
        probe.attach(chip, Permissions::default())?
    };
    Ok(session)
}

/// Attached probes.
pub fn list_probes() -> Vec<DebugProbeInfo> {
    Lister::new().list_all()
}
