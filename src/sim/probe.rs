//! The simulated chip as a probe-rs debug probe, at the DAP level: probe-rs's own ADIv5, MEM-AP,
//! Cortex-M, STM32 sequence and flashing code all run unmodified on top of it.

use std::sync::Arc;

use probe_rs::architecture::arm::sequences::ArmDebugSequence;
use probe_rs::architecture::arm::{
    ArmCommunicationInterface, ArmDebugInterface, ArmError, DapError, DapProbe, RawDapAccess,
    RegisterAddress,
};
use probe_rs::probe::{DebugProbe, DebugProbeError, WireProtocol};
use probe_rs::CoreStatus;

use super::dap::Ack;
use super::worker::{SimGone, SimHandle};

/// Why the simulated link failed.
#[derive(Debug, thiserror::Error)]
pub enum SimLinkError {
    #[error("the simulated probe was disconnected")]
    Disconnected,
    /// The chip does not answer: its thread stopped, or its state file could not be saved.
    #[error(transparent)]
    Chip(#[from] SimGone),
}

impl probe_rs::probe::ProbeError for SimLinkError {}

fn link_error(e: SimLinkError) -> DebugProbeError {
    DebugProbeError::ProbeSpecific(e.into())
}

/// A probe-rs probe wired to a simulated chip in this process.
#[derive(Debug)]
pub struct SimProbe {
    sim: SimHandle,
    speed_khz: u32,
}

impl SimProbe {
    pub fn new(sim: SimHandle) -> Self {
        SimProbe {
            sim,
            speed_khz: 4000,
        }
    }

    fn transfers(
        &self,
        ap: bool,
        read: bool,
        address: RegisterAddress,
        values: Vec<u32>,
    ) -> Result<Vec<u32>, ArmError> {
        let a = address.lsb() & 0xC;
        let acks = self
            .sim
            .with(move |chip| {
                let mut out = Vec::with_capacity(values.len());
                for v in values {
                    let ack = chip.dap_transfer(ap, read, a, v);
                    let stop = !matches!(ack, Ack::Ok(_));
                    out.push(ack);
                    if stop {
                        if ack == Ack::Fault {
                            // As probe firmware does after a FAULT: clear the sticky error flags
                            // through DP ABORT, so the next transfer is not refused too.
                            chip.dap_clear_sticky();
                        }
                        break;
                    }
                }
                out
            })
            .map_err(|e| ArmError::Probe(link_error(e.into())))?;
        acks.into_iter()
            .map(|ack| match ack {
                Ack::Ok(v) => Ok(v),
                Ack::Fault => Err(ArmError::from(DapError::FaultResponse)),
                Ack::NoResponse => Err(ArmError::from(DapError::NoAcknowledge)),
            })
            .collect()
    }
}

impl DebugProbe for SimProbe {
    fn get_name(&self) -> &str {
        "stm32-opts simulated STM32"
    }

    fn speed_khz(&self) -> u32 {
        self.speed_khz
    }

    fn set_speed(&mut self, speed_khz: u32) -> Result<u32, DebugProbeError> {
        self.speed_khz = speed_khz.max(1);
        Ok(self.speed_khz)
    }

    fn attach(&mut self) -> Result<(), DebugProbeError> {
        let disconnected = self
            .sim
            .with(|chip| chip.faults.disconnected)
            .map_err(|e| link_error(e.into()))?;
        if disconnected {
            return Err(link_error(SimLinkError::Disconnected));
        }
        Ok(())
    }

    fn detach(&mut self) -> Result<(), probe_rs::Error> {
        Ok(())
    }

    fn target_reset(&mut self) -> Result<(), DebugProbeError> {
        self.target_reset_assert()?;
        self.target_reset_deassert()
    }

    fn target_reset_assert(&mut self) -> Result<(), DebugProbeError> {
        self.sim
            .with(|chip| chip.set_nrst(true))
            .map_err(|e| link_error(e.into()))
    }

    fn target_reset_deassert(&mut self) -> Result<(), DebugProbeError> {
        self.sim
            .with(|chip| chip.set_nrst(false))
            .map_err(|e| link_error(e.into()))
    }

    fn select_protocol(&mut self, protocol: WireProtocol) -> Result<(), DebugProbeError> {
        match protocol {
            WireProtocol::Swd => Ok(()),
            other => Err(DebugProbeError::UnsupportedProtocol(other)),
        }
    }

    fn active_protocol(&self) -> Option<WireProtocol> {
        Some(WireProtocol::Swd)
    }

    fn into_probe(self: Box<Self>) -> Box<dyn DebugProbe> {
        self
    }

    fn has_arm_interface(&self) -> bool {
        true
    }

    fn try_as_dap_probe(&mut self) -> Option<&mut dyn DapProbe> {
        Some(self)
    }

    fn try_get_arm_debug_interface<'probe>(
        self: Box<Self>,
        sequence: Arc<dyn ArmDebugSequence>,
    ) -> Result<Box<dyn ArmDebugInterface + 'probe>, (Box<dyn DebugProbe>, ArmError)> {
        // Transfers answer at once (no posting, no WAIT), so no overrun detection is needed.
        Ok(ArmCommunicationInterface::create(self, sequence, false))
    }
}

impl DapProbe for SimProbe {}

impl RawDapAccess for SimProbe {
    fn raw_read_register(&mut self, address: RegisterAddress) -> Result<u32, ArmError> {
        let v = self.transfers(address.is_ap(), true, address, vec![0])?;
        Ok(v[0])
    }

    fn raw_read_block(
        &mut self,
        address: RegisterAddress,
        values: &mut [u32],
    ) -> Result<(), ArmError> {
        let v = self.transfers(address.is_ap(), true, address, vec![0; values.len()])?;
        values.copy_from_slice(&v);
        Ok(())
    }

    fn raw_write_register(&mut self, address: RegisterAddress, value: u32) -> Result<(), ArmError> {
        self.transfers(address.is_ap(), false, address, vec![value])
            .map(|_| ())
    }

    fn raw_write_block(
        &mut self,
        address: RegisterAddress,
        values: &[u32],
    ) -> Result<(), ArmError> {
        self.transfers(address.is_ap(), false, address, values.to_vec())
            .map(|_| ())
    }

    fn jtag_sequence(&mut self, _cycles: u8, _tms: bool, _tdi: u64) -> Result<(), DebugProbeError> {
        Ok(())
    }

    fn swj_sequence(&mut self, _bit_len: u8, _bits: u64) -> Result<(), DebugProbeError> {
        // Line resets and JTAG-to-SWD switches: the simulated SW-DP is always ready.
        Ok(())
    }

    fn swj_pins(
        &mut self,
        _pin_out: u32,
        _pin_select: u32,
        _pin_wait: u32,
    ) -> Result<u32, DebugProbeError> {
        // nRESET (bit 7) reads high: nothing holds the line low.
        Ok(0x80)
    }

    fn into_probe(self: Box<Self>) -> Box<dyn DebugProbe> {
        self
    }

    fn core_status_notification(&mut self, _state: CoreStatus) -> Result<(), DebugProbeError> {
        Ok(())
    }
}
