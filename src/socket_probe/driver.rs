//! The socket probe as a probe-rs debug probe, at the DAP level: probe-rs's ADIv5, MEM-AP,
//! Cortex-M, vendor sequences and flashing code run on top of it, as on any probe.

use std::net::TcpStream;
use std::sync::Arc;

use probe_rs::architecture::arm::sequences::ArmDebugSequence;
use probe_rs::architecture::arm::{
    ArmCommunicationInterface, ArmDebugInterface, ArmError, DapError, DapProbe, RawDapAccess,
    RegisterAddress,
};
use probe_rs::probe::{DebugProbe, DebugProbeError, WireProtocol};
use probe_rs::CoreStatus;

use super::batch::{parse_answers, Answer, Batch};
use super::link::{Link, LinkError};
use super::wire::{root, ENDPOINT_ROOT, ENDPOINT_SWD, IDENTIFIER};

/// DP RDBUFF (A[3:2] = 0xC): the data of the last posted AP read.
const RDBUFF: u8 = 0xC;
/// The nRESET pin in `swj_pins` (the only pin this probe drives).
const PIN_NRESET: u32 = 0x80;
/// Queued transfers after which a write sends the batch without waiting for a read, so the
/// queue stays bounded (a 1 KiB block write is 256 transfers).
const MAX_QUEUED_TRANSFERS: usize = 4096;

/// Why the socket probe failed.
#[derive(Debug, thiserror::Error)]
pub enum SocketProbeError {
    #[error(transparent)]
    Link(#[from] LinkError),
    #[error("the socket server is not a probe-rs,v01 probe (it identifies as {0:?})")]
    NotAProbe(String),
    #[error("the socket probe answered a read without data")]
    NoData,
}

impl probe_rs::probe::ProbeError for SocketProbeError {}

fn probe_error(e: impl Into<SocketProbeError>) -> DebugProbeError {
    DebugProbeError::from(e.into())
}

fn arm_error(e: impl Into<SocketProbeError>) -> ArmError {
    ArmError::Probe(probe_error(e))
}

/// A probe reached over TCP with probe-rs's Glasgow protocol (what `stm32-opts sim-probe`
/// serves), which queues register writes until a read needs an answer.
#[derive(Debug)]
pub struct SocketProbe {
    link: Link,
    batch: Batch,
    ref_clock_hz: u32,
    divisor: u16,
}

impl SocketProbe {
    /// Identifies the probe at the other end of `stream` and reads its clock.
    pub fn connect(stream: TcpStream) -> Result<SocketProbe, DebugProbeError> {
        let link = Link::new(stream).map_err(|e| probe_error(LinkError::Io(e)))?;
        let mut probe = SocketProbe {
            link,
            batch: Batch::default(),
            ref_clock_hz: 0,
            divisor: 0,
        };
        let id = probe.root_query(&[root::IDENTIFY], IDENTIFIER.len())?;
        if id != IDENTIFIER {
            return Err(probe_error(SocketProbeError::NotAProbe(
                String::from_utf8_lossy(&id).into_owned(),
            )));
        }
        let clock = probe.root_query(&[root::GET_REF_CLOCK], 4)?;
        probe.ref_clock_hz = u32::from_le_bytes(clock.try_into().expect("four bytes"));
        probe.divisor = probe.read_divisor()?;
        Ok(probe)
    }

    /// Sends a root command and waits for its `answer_len` bytes. Queued SWD transfers go
    /// first, so everything reaches the probe in the order it was asked for.
    fn root_query(
        &mut self,
        command: &[u8],
        answer_len: usize,
    ) -> Result<Vec<u8>, DebugProbeError> {
        self.flush().map_err(|e| match e {
            ArmError::Probe(p) => p,
            other => DebugProbeError::Other(other.to_string()),
        })?;
        self.link
            .send(&[(ENDPOINT_ROOT, command)])
            .map_err(probe_error)?;
        self.link
            .receive(ENDPOINT_ROOT, |input| {
                (input.len() >= answer_len).then(|| (input[..answer_len].to_vec(), answer_len))
            })
            .map_err(probe_error)
    }

    fn read_divisor(&mut self) -> Result<u16, DebugProbeError> {
        let d = self.root_query(&[root::GET_DIVISOR], 2)?;
        Ok(u16::from_le_bytes([d[0], d[1]]))
    }

    /// Sends the queued commands and returns the answers of their transfers, all OK.
    fn send_batch(&mut self) -> Result<Vec<Answer>, ArmError> {
        if self.batch.is_empty() {
            return Ok(Vec::new());
        }
        let (payload, expected) = self.batch.take();
        self.link
            .send(&[(ENDPOINT_SWD, &payload)])
            .map_err(arm_error)?;
        let answers = self
            .link
            .receive(ENDPOINT_SWD, |input| parse_answers(input, expected))
            .map_err(arm_error)?;
        match answers.last() {
            Some(Answer::Wait) => Err(DapError::WaitResponse.into()),
            Some(Answer::Fault) => Err(DapError::FaultResponse.into()),
            Some(Answer::NoTarget) => Err(DapError::Protocol(WireProtocol::Swd).into()),
            _ => Ok(answers),
        }
    }

    /// Sends the queue and returns the data of its last `n` answers.
    fn read_last(&mut self, n: usize) -> Result<Vec<u32>, ArmError> {
        let answers = self.send_batch()?;
        let tail = answers
            .len()
            .checked_sub(n)
            .ok_or_else(|| arm_error(SocketProbeError::NoData))?;
        answers[tail..]
            .iter()
            .map(|a| match a {
                Answer::Ok(Some(v)) => Ok(*v),
                _ => Err(arm_error(SocketProbeError::NoData)),
            })
            .collect()
    }

    /// Sends everything queued; a failed transfer among them is reported here.
    fn flush(&mut self) -> Result<(), ArmError> {
        self.send_batch().map(|_| ())
    }

    /// Sends the queue now if it has grown long.
    fn bound_queue(&mut self) -> Result<(), ArmError> {
        if self.batch.transfers() >= MAX_QUEUED_TRANSFERS {
            self.flush()?;
        }
        Ok(())
    }

    fn reset_line(&mut self, asserted: bool) -> Result<(), DebugProbeError> {
        let command = if asserted {
            root::ASSERT_RESET
        } else {
            root::CLEAR_RESET
        };
        self.root_query(&[command], 0).map(|_| ())
    }
}

impl DebugProbe for SocketProbe {
    fn get_name(&self) -> &str {
        "socket probe (probe-rs,v01)"
    }

    fn speed_khz(&self) -> u32 {
        self.ref_clock_hz / (u32::from(self.divisor) + 1) / 1000
    }

    fn set_speed(&mut self, speed_khz: u32) -> Result<u32, DebugProbeError> {
        let wanted_hz = speed_khz.max(1).saturating_mul(1000);
        // The fastest clock not above the one asked for: ref / (divisor + 1) <= wanted.
        let divisor = self.ref_clock_hz.div_ceil(wanted_hz).saturating_sub(1);
        let divisor = u16::try_from(divisor).unwrap_or(u16::MAX).to_le_bytes();
        self.root_query(&[root::SET_DIVISOR, divisor[0], divisor[1]], 0)?;
        self.divisor = self.read_divisor()?;
        Ok(self.speed_khz())
    }

    fn attach(&mut self) -> Result<(), DebugProbeError> {
        Ok(())
    }

    fn detach(&mut self) -> Result<(), probe_rs::Error> {
        self.flush()?;
        Ok(())
    }

    fn target_reset(&mut self) -> Result<(), DebugProbeError> {
        // As probe-rs's own driver for this protocol: resets go through assert/deassert.
        Err(DebugProbeError::CommandNotSupportedByProbe {
            command_name: "target_reset",
        })
    }

    fn target_reset_assert(&mut self) -> Result<(), DebugProbeError> {
        self.reset_line(true)
    }

    fn target_reset_deassert(&mut self) -> Result<(), DebugProbeError> {
        self.reset_line(false)
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
        // The probe answers FAULT at once and never WAIT: no overrun detection needed.
        Ok(ArmCommunicationInterface::create(self, sequence, false))
    }
}

impl DapProbe for SocketProbe {}

impl RawDapAccess for SocketProbe {
    fn raw_read_register(&mut self, address: RegisterAddress) -> Result<u32, ArmError> {
        let mut value = 0;
        if address.is_ap() {
            self.raw_read_block(address, std::slice::from_mut(&mut value))?;
        } else {
            self.batch.read(false, address.lsb());
            value = self.read_last(1)?[0];
        }
        Ok(value)
    }

    fn raw_read_block(
        &mut self,
        address: RegisterAddress,
        values: &mut [u32],
    ) -> Result<(), ArmError> {
        if !address.is_ap() {
            for value in values.iter_mut() {
                *value = self.raw_read_register(address)?;
            }
            return Ok(());
        }
        // AP reads are posted: each answers with the previous one's data, and RDBUFF with the
        // last. So the last `n` answers of "n AP reads, RDBUFF" are the n values.
        for _ in 0..values.len() {
            self.batch.read(true, address.lsb());
        }
        self.batch.read(false, RDBUFF);
        values.copy_from_slice(&self.read_last(values.len())?);
        Ok(())
    }

    fn raw_write_register(&mut self, address: RegisterAddress, value: u32) -> Result<(), ArmError> {
        self.batch.write(address.is_ap(), address.lsb(), value);
        self.bound_queue()
    }

    fn raw_write_block(
        &mut self,
        address: RegisterAddress,
        values: &[u32],
    ) -> Result<(), ArmError> {
        for &value in values {
            self.batch.write(address.is_ap(), address.lsb(), value);
        }
        self.bound_queue()
    }

    fn raw_flush(&mut self) -> Result<(), ArmError> {
        self.flush()
    }

    fn jtag_sequence(&mut self, _cycles: u8, _tms: bool, _tdi: u64) -> Result<(), DebugProbeError> {
        Err(DebugProbeError::CommandNotSupportedByProbe {
            command_name: "jtag_sequence",
        })
    }

    fn swj_sequence(&mut self, bit_len: u8, bits: u64) -> Result<(), DebugProbeError> {
        // At most 32 bits per command.
        let mut left = bit_len;
        let mut bits = bits;
        while left > 0 {
            let n = left.min(32);
            self.batch.sequence(n, bits as u32);
            bits = bits.checked_shr(32).unwrap_or(0);
            left -= n;
        }
        Ok(())
    }

    fn swj_pins(
        &mut self,
        pin_out: u32,
        pin_select: u32,
        pin_wait: u32,
    ) -> Result<u32, DebugProbeError> {
        if pin_select != PIN_NRESET || pin_wait != 0 {
            return Err(DebugProbeError::CommandNotSupportedByProbe {
                command_name: "swj_pins",
            });
        }
        self.reset_line(pin_out & PIN_NRESET == 0)?;
        // The pins cannot be read back: report them all high (nRESET released).
        Ok(u32::MAX)
    }

    fn into_probe(self: Box<Self>) -> Box<dyn DebugProbe> {
        self
    }

    fn core_status_notification(&mut self, _state: CoreStatus) -> Result<(), DebugProbeError> {
        Ok(())
    }
}

impl Drop for SocketProbe {
    fn drop(&mut self) {
        // Writes still queued (the last ones of a session) reach the chip before the link closes.
        if let Err(e) = self.flush() {
            log::debug!("socket probe: sending the last queued transfers: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::glasgow::GlasgowServer;
    use crate::sim::Simulator;
    use probe_rs::architecture::arm::dp::DpRegisterAddress;

    fn dp(address: u8) -> RegisterAddress {
        RegisterAddress::DpRegister(DpRegisterAddress {
            address,
            bank: None,
        })
    }

    const CTRL_STAT: u8 = 0x4;
    const SELECT: u8 = 0x8;
    const CSW: u8 = 0x0;
    const TAR: u8 = 0x4;
    const DRW: u8 = 0xC;

    /// A socket probe on a fresh simulated STM32F767ZI, debug port powered, AP 0 selected with
    /// 32-bit auto-incrementing accesses.
    fn probe() -> SocketProbe {
        let sim = Simulator::new("STM32F767ZI").unwrap();
        let server = GlasgowServer::bind(sim, "127.0.0.1:0".parse().unwrap()).unwrap();
        let addr = server.local_addr().unwrap();
        server.spawn();
        let mut p = SocketProbe::connect(TcpStream::connect(addr).unwrap()).unwrap();
        assert_eq!(p.raw_read_register(dp(0x0)).unwrap(), 0x5BA0_2477);
        p.raw_write_register(dp(CTRL_STAT), 0x5000_0000).unwrap();
        p.raw_write_register(dp(SELECT), 0).unwrap();
        p.raw_write_register(RegisterAddress::ApRegister(CSW), 0x2300_0012)
            .unwrap();
        p
    }

    #[test]
    fn queued_writes_reach_the_chip_before_the_read_that_sends_them() {
        let mut p = probe();
        p.raw_write_register(RegisterAddress::ApRegister(TAR), 0x2000_0100)
            .unwrap();
        p.raw_write_block(RegisterAddress::ApRegister(DRW), &[1, 2, 3])
            .unwrap();
        p.raw_write_register(RegisterAddress::ApRegister(TAR), 0x2000_0100)
            .unwrap();
        let mut back = [0u32; 3];
        // Posted AP reads: the answers are shifted by one and RDBUFF carries the last.
        p.raw_read_block(RegisterAddress::ApRegister(DRW), &mut back)
            .unwrap();
        assert_eq!(back, [1, 2, 3]);
        assert!(p.speed_khz() > 0);
        assert_eq!(p.set_speed(1000).unwrap(), 1000);
    }

    #[test]
    fn a_queued_write_that_faults_fails_the_read_that_sends_it() {
        let mut p = probe();
        // Nothing answers at 0x3000_0000: the write faults on the bus.
        p.raw_write_register(RegisterAddress::ApRegister(TAR), 0x3000_0000)
            .unwrap();
        p.raw_write_register(RegisterAddress::ApRegister(DRW), 1)
            .unwrap();
        let r = p.raw_read_register(dp(CTRL_STAT));
        assert!(
            matches!(r, Err(ArmError::Dap(DapError::FaultResponse))),
            "{r:?}"
        );
        // The probe cleared the sticky error: the next access works.
        p.raw_write_register(RegisterAddress::ApRegister(TAR), 0x2000_0000)
            .unwrap();
        assert!(p
            .raw_read_register(RegisterAddress::ApRegister(DRW))
            .is_ok());
        p.raw_flush().unwrap();
    }
}
