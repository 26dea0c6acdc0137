//! SW-DP and the AHB-AP (ADIv5): what the probe's register transfers reach.

use super::chip::Chip;

/// SW-DP DPIDR of the STM32F7 (designer ARM, DPv2), which the simulated G4 answers too: the
/// default of [`super::family::SimFamily::dpidr`].
pub const DPIDR: u32 = 0x5BA0_2477;
/// AHB-AP IDR (MEM-AP, AMBA AHB).
pub const AP_IDR: u32 = 0x7477_0001;

mod ctrl_stat {
    pub const STICKYORUN: u32 = 1 << 1;
    pub const STICKYCMP: u32 = 1 << 4;
    pub const STICKYERR: u32 = 1 << 5;
    pub const WDATAERR: u32 = 1 << 7;
    pub const CDBGPWRUPREQ: u32 = 1 << 28;
    pub const CDBGPWRUPACK: u32 = 1 << 29;
    pub const CSYSPWRUPREQ: u32 = 1 << 30;
    pub const CSYSPWRUPACK: u32 = 1 << 31;
    pub const STICKY: u32 = STICKYORUN | STICKYCMP | STICKYERR | WDATAERR;
}

mod abort {
    pub const STKCMPCLR: u32 = 1 << 1;
    pub const STKERRCLR: u32 = 1 << 2;
    pub const WDERRCLR: u32 = 1 << 3;
    pub const ORUNERRCLR: u32 = 1 << 4;
}

mod csw {
    pub const SIZE_MASK: u32 = 0b111;
    pub const ADDRINC_SHIFT: u32 = 4;
    pub const DEVICE_EN: u32 = 1 << 6;
    pub const WRITABLE: u32 = 0xFF00_0F37;
}

/// What a transfer answers on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ack {
    Ok(u32),
    /// FAULT: a sticky error is set (or was just raised).
    Fault,
    /// No answer at all: the debug port is closed or the probe is gone.
    NoResponse,
}

#[derive(Debug, Clone)]
pub struct Dap {
    ctrl_stat: u32,
    select: u32,
    csw: u32,
    tar: u32,
    /// The debug port was powered and then powered down: the session ended.
    pub power_down_seen: bool,
    /// The chip reset its debug port under the host (G4 OBL_LAUNCH): nothing answers until
    /// the host reconnects, i.e. (after its line reset) reads DPIDR.
    pub link_lost: bool,
}

impl Default for Dap {
    fn default() -> Self {
        Self::new()
    }
}

impl Dap {
    pub fn new() -> Self {
        Dap {
            ctrl_stat: 0,
            select: 0,
            csw: csw::DEVICE_EN | 0x0300_0002,
            tar: 0,
            power_down_seen: false,
            link_lost: false,
        }
    }

    /// The debug port resets to its power-on state and drops the host's connection.
    pub fn drop_link(&mut self) {
        *self = Dap::new();
        self.link_lost = true;
    }
}

impl Chip {
    /// A new debugger takes over the debug port (a fresh probe connection): it starts without
    /// the sticky error flags an earlier one may have left set.
    pub fn dap_new_host(&mut self) {
        self.dap.ctrl_stat &= !ctrl_stat::STICKY;
    }

    /// Clears the sticky error flags through DP ABORT, as probe firmware does after a FAULT.
    pub fn dap_clear_sticky(&mut self) -> Ack {
        self.dap_transfer(
            false,
            false,
            0x0,
            abort::STKCMPCLR | abort::STKERRCLR | abort::WDERRCLR | abort::ORUNERRCLR,
        )
    }

    /// One DP or AP register transfer. `a` is the register address A[3:2] (0x0, 0x4, 0x8, 0xC).
    pub fn dap_transfer(&mut self, ap: bool, read: bool, a: u8, value: u32) -> Ack {
        if self.faults.disconnected || self.debug_port_closed() {
            return Ack::NoResponse;
        }
        if self.dap.link_lost {
            // SWD after a line reset: the first transfer must read DPIDR; it reconnects.
            if !ap && read && a == 0x0 {
                self.dap.link_lost = false;
                return Ack::Ok(self.variant.family.dpidr());
            }
            return Ack::NoResponse;
        }
        self.faults.transfers += 1;
        if self.faults.fault_at_transfer == Some(self.faults.transfers) {
            log::info!("sim: injected FAULT at transfer {}", self.faults.transfers);
            self.dap.ctrl_stat |= ctrl_stat::STICKYERR;
            return Ack::Fault;
        }
        let sticky = self.dap.ctrl_stat & ctrl_stat::STICKY != 0;
        if ap {
            if sticky {
                return Ack::Fault;
            }
            let ack = self.ap_transfer(read, a, value);
            if self.dap.link_lost {
                // The access reset the chip (OBL_LAUNCH): its acknowledge never comes.
                return Ack::NoResponse;
            }
            ack
        } else {
            // With a sticky error, only DPIDR, CTRL/STAT and ABORT answer.
            let allowed = matches!(
                (read, a),
                (true, 0x0) | (true, 0x4) | (false, 0x0) | (false, 0x4)
            );
            if sticky && !allowed {
                return Ack::Fault;
            }
            self.dp_transfer(read, a, value)
        }
    }

    fn dp_transfer(&mut self, read: bool, a: u8, value: u32) -> Ack {
        let dp_bank = self.dap.select & 0xF;
        match (read, a) {
            (true, 0x0) => Ack::Ok(self.variant.family.dpidr()),
            (false, 0x0) => {
                let mut clear = 0;
                if value & abort::STKCMPCLR != 0 {
                    clear |= ctrl_stat::STICKYCMP;
                }
                if value & abort::STKERRCLR != 0 {
                    clear |= ctrl_stat::STICKYERR;
                }
                if value & abort::WDERRCLR != 0 {
                    clear |= ctrl_stat::WDATAERR;
                }
                if value & abort::ORUNERRCLR != 0 {
                    clear |= ctrl_stat::STICKYORUN;
                }
                self.dap.ctrl_stat &= !clear;
                Ack::Ok(0)
            }
            (true, 0x4) if dp_bank == 0 => Ack::Ok(self.dap.ctrl_stat),
            (true, 0x4) => Ack::Ok(0),
            (false, 0x4) if dp_bank == 0 => {
                let was_powered = self.dap.ctrl_stat & ctrl_stat::CDBGPWRUPREQ != 0;
                let keep = self.dap.ctrl_stat & ctrl_stat::STICKY;
                let mut v = (value & !ctrl_stat::STICKY & 0x5000_0F00) | keep;
                // Power-up requests are acknowledged at once.
                if v & ctrl_stat::CDBGPWRUPREQ != 0 {
                    v |= ctrl_stat::CDBGPWRUPACK;
                }
                if v & ctrl_stat::CSYSPWRUPREQ != 0 {
                    v |= ctrl_stat::CSYSPWRUPACK;
                }
                if was_powered && v & ctrl_stat::CDBGPWRUPREQ == 0 {
                    self.dap.power_down_seen = true;
                }
                self.dap.ctrl_stat = v;
                Ack::Ok(0)
            }
            (false, 0x4) => Ack::Ok(0),
            (true, 0x8) => Ack::Ok(0), // RESEND: nothing to resend in this model
            (false, 0x8) => {
                self.dap.select = value;
                Ack::Ok(0)
            }
            (true, 0xC) => Ack::Ok(0), // RDBUFF: AP reads are not posted in process
            (false, 0xC) => Ack::Ok(0), // TARGETSEL: single-drop
            _ => Ack::Ok(0),
        }
    }

    fn ap_transfer(&mut self, read: bool, a: u8, value: u32) -> Ack {
        let apsel = self.dap.select >> 24;
        let bank = self.dap.select & 0xF0;
        let reg = bank | u32::from(a);
        if apsel != 0 {
            // The core's AP is AP 0; any other is the family model's (an absent one reads as
            // zero).
            let answer = self.bus.model.access_port(apsel, read, reg, value);
            if answer == Some(Ack::Fault) {
                self.dap.ctrl_stat |= ctrl_stat::STICKYERR;
            }
            return answer.unwrap_or(Ack::Ok(0));
        }
        match (reg, read) {
            (0x00, true) => Ack::Ok(self.dap.csw),
            (0x00, false) => {
                self.dap.csw = (value & csw::WRITABLE) | csw::DEVICE_EN;
                Ack::Ok(0)
            }
            (0x04, true) => Ack::Ok(self.dap.tar),
            (0x04, false) => {
                self.dap.tar = value;
                Ack::Ok(0)
            }
            (0x0C, _) => {
                let size = match self.dap.csw & csw::SIZE_MASK {
                    0 => 1,
                    1 => 2,
                    _ => 4,
                };
                let address = self.dap.tar;
                let lane = 8 * (address & 3);
                let result = if read {
                    self.debug_read(address, size).map(|v| v << lane)
                } else {
                    self.debug_write(address, value >> lane, size).map(|_| 0)
                };
                match result {
                    Ok(v) => {
                        if (self.dap.csw >> csw::ADDRINC_SHIFT) & 0b11 == 0b01 {
                            // Auto-increment wraps within a 1 KB block, as the AP does.
                            let next = (address & 0x3FF) + size;
                            self.dap.tar = (address & !0x3FF) | (next & 0x3FF);
                        }
                        Ack::Ok(v)
                    }
                    Err(e) => {
                        log::debug!(
                            "sim: bus error at 0x{:08X} (AP {})",
                            e.address,
                            if read { "read" } else { "write" }
                        );
                        self.dap.ctrl_stat |= ctrl_stat::STICKYERR;
                        Ack::Fault
                    }
                }
            }
            (0x10..=0x1C, _) => {
                let address = (self.dap.tar & !0xF) | (reg - 0x10);
                let result = if read {
                    self.debug_read(address, 4)
                } else {
                    self.debug_write(address, value, 4).map(|_| 0)
                };
                match result {
                    Ok(v) => Ack::Ok(v),
                    Err(_) => {
                        self.dap.ctrl_stat |= ctrl_stat::STICKYERR;
                        Ack::Fault
                    }
                }
            }
            (0xF4, true) => Ack::Ok(0), // CFG: little-endian, 32-bit
            (0xF8, true) => Ack::Ok(0), // BASE: no ROM table is modelled
            (0xFC, true) => Ack::Ok(AP_IDR),
            _ => Ack::Ok(0),
        }
    }
}
