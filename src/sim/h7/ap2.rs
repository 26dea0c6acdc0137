//! Access port 2 of the simulated H743: the APB memory access port to the system debug bus,
//! where the debugger finds DBGMCU at 0xE00E_1000 (reference §9; probe-rs 0.32's
//! `Stm32h7Line::H7` sequence opens a memory interface on AP 2 and reads and writes
//! DBGMCU_CR there at attach).
//!
//! Self-contained so the chip's DAP can hand it every transfer whose DP SELECT.APSEL is 2:
//! [`Ap2::transfer`] takes the AP register address (APBANKSEL and A[3:2]) and answers like the
//! AHB-AP of AP 0 does, over a [`SystemDebugBus`] (the H7 model implements it). What probe-rs
//! needs of it: IDR with TYPE = APB2/APB3 and CLASS = MEM-AP (it picks its `AmbaApb2Apb3`
//! driver from that), CSW and CFG readable, CSW written back with DbgSwEnable and single
//! auto-increment, TAR, DRW; 32-bit transfers only (an APB-AP has no other size).
//!
//! Values the reference does not give (UNVERIFIED): IDR 0x5477_0002 (ARM designer, MEM-AP,
//! APB; the revision is a choice), BASE 0 (no ROM table modelled), CFG 0.

/// AP register addresses.
mod register {
    pub const CSW: u32 = 0x00;
    pub const TAR: u32 = 0x04;
    pub const DRW: u32 = 0x0C;
    pub const BD0: u32 = 0x10;
    pub const BD3: u32 = 0x1C;
    pub const CFG: u32 = 0xF4;
    pub const BASE: u32 = 0xF8;
    pub const IDR: u32 = 0xFC;
}

/// IDR: revision 5, designer ARM (JEP106 0x23B), class MEM-AP, type APB2/APB3.
pub const IDR: u32 = 0x5477_0002;

mod csw {
    /// DbgSwEnable.
    pub const DBG_SW_ENABLE: u32 = 1 << 31;
    /// DeviceEn (read-only, always 1 here).
    pub const DEVICE_EN: u32 = 1 << 6;
    /// AddrInc, bits 5:4.
    pub const ADDR_INC: u32 = 0b11 << 4;
    /// AddrInc = single.
    pub const ADDR_INC_SINGLE: u32 = 0b01 << 4;
    /// Size = 32 bits (fixed on an APB-AP).
    pub const SIZE_32: u32 = 0b010;
    /// What a write can change.
    pub const WRITABLE: u32 = DBG_SW_ENABLE | ADDR_INC;
}

/// The bus behind AP 2: word accesses by address; `None` answers a FAULT.
pub trait SystemDebugBus {
    /// A 32-bit read.
    fn read_word(&mut self, address: u32) -> Option<u32>;
    /// A 32-bit write.
    fn write_word(&mut self, address: u32, value: u32) -> Option<()>;
}

/// What a transfer answers on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ap2Ack {
    /// OK, with the read value (0 for writes).
    Ok(u32),
    /// FAULT: the DAP sets STICKYERR.
    Fault,
}

/// The AP's registers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ap2 {
    csw: u32,
    tar: u32,
}

impl Default for Ap2 {
    fn default() -> Self {
        Self::new()
    }
}

impl Ap2 {
    /// After a power-on (and a new debug session: the AP is reset with the debug port).
    pub fn new() -> Self {
        Ap2 {
            csw: csw::DEVICE_EN | csw::SIZE_32,
            tar: 0,
        }
    }

    /// One AP register transfer: `register` is the AP register address (APBANKSEL << 4 |
    /// A[3:2]), `value` the data written.
    pub fn transfer(
        &mut self,
        bus: &mut dyn SystemDebugBus,
        read: bool,
        register: u32,
        value: u32,
    ) -> Ap2Ack {
        match (register, read) {
            (register::CSW, true) => Ap2Ack::Ok(self.csw),
            (register::CSW, false) => {
                self.csw = (self.csw & !csw::WRITABLE) | (value & csw::WRITABLE);
                Ap2Ack::Ok(0)
            }
            (register::TAR, true) => Ap2Ack::Ok(self.tar),
            (register::TAR, false) => {
                self.tar = value;
                Ap2Ack::Ok(0)
            }
            (register::DRW, _) => {
                let address = self.tar & !3;
                let answer = self.access(bus, read, address, value);
                if answer != Ap2Ack::Fault && self.csw & csw::ADDR_INC == csw::ADDR_INC_SINGLE {
                    // Auto-increment wraps inside a 1 KB block, as on the AHB-AP.
                    self.tar = (address & !0x3FF) | ((address + 4) & 0x3FF);
                }
                answer
            }
            (register::BD0..=register::BD3, _) => {
                let address = (self.tar & !0xF) | (register - register::BD0);
                self.access(bus, read, address, value)
            }
            (register::CFG, true) | (register::BASE, true) => Ap2Ack::Ok(0),
            (register::IDR, true) => Ap2Ack::Ok(IDR),
            _ => Ap2Ack::Ok(0),
        }
    }

    fn access(
        &mut self,
        bus: &mut dyn SystemDebugBus,
        read: bool,
        address: u32,
        value: u32,
    ) -> Ap2Ack {
        if self.csw & csw::DBG_SW_ENABLE == 0 {
            // Without DbgSwEnable the AP refuses the access (ADIv5 MEM-AP; probe-rs sets it).
            return Ap2Ack::Fault;
        }
        let answer = if read {
            bus.read_word(address)
        } else {
            bus.write_word(address, value).map(|()| 0)
        };
        answer.map_or(Ap2Ack::Fault, Ap2Ack::Ok)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bus with one register at 0xE00E_1004 and IDCODE at 0xE00E_1000.
    struct Bus {
        cr: u32,
    }

    impl SystemDebugBus for Bus {
        fn read_word(&mut self, address: u32) -> Option<u32> {
            match address {
                0xE00E_1000 => Some(0x2003_0450),
                0xE00E_1004 => Some(self.cr),
                0xE00E_1008..=0xE00E_13FF => Some(0),
                _ => None,
            }
        }
        fn write_word(&mut self, address: u32, value: u32) -> Option<()> {
            (address == 0xE00E_1004).then(|| self.cr = value)
        }
    }

    #[test]
    fn probe_rs_opens_it_as_an_apb_mem_ap() {
        let mut ap = Ap2::new();
        let mut bus = Bus { cr: 0 };
        let Ap2Ack::Ok(idr) = ap.transfer(&mut bus, true, 0xFC, 0) else {
            panic!("IDR answers");
        };
        assert_eq!(idr & 0xF, 0x2, "TYPE: APB2/APB3");
        assert_eq!((idr >> 13) & 0xF, 0x8, "CLASS: MEM-AP");
        assert_eq!((idr >> 17) & 0x7FF, 0x23B, "designer: ARM");
        // probe-rs reads CSW and CFG, then writes CSW with DbgSwEnable and AddrInc single.
        let Ap2Ack::Ok(csw) = ap.transfer(&mut bus, true, 0x00, 0) else {
            panic!("CSW answers");
        };
        assert_eq!(ap.transfer(&mut bus, true, 0xF4, 0), Ap2Ack::Ok(0));
        ap.transfer(&mut bus, false, 0x00, csw | (1 << 31) | (0b01 << 4));
        assert_eq!(
            ap.transfer(&mut bus, true, 0x00, 0),
            Ap2Ack::Ok(0x8000_0052)
        );
        // A size other than 32 bits cannot be set.
        ap.transfer(&mut bus, false, 0x00, (1 << 31) | (0b01 << 4));
        assert_eq!(
            ap.transfer(&mut bus, true, 0x00, 0),
            Ap2Ack::Ok(0x8000_0052)
        );
    }

    #[test]
    fn dbgmcu_through_tar_and_drw() {
        let mut ap = Ap2::new();
        let mut bus = Bus { cr: 0 };
        ap.transfer(&mut bus, false, 0x00, (1 << 31) | (0b01 << 4));
        ap.transfer(&mut bus, false, 0x04, 0xE00E_1000);
        assert_eq!(
            ap.transfer(&mut bus, true, 0x0C, 0),
            Ap2Ack::Ok(0x2003_0450)
        );
        assert_eq!(
            ap.transfer(&mut bus, true, 0x04, 0),
            Ap2Ack::Ok(0xE00E_1004),
            "incremented"
        );
        assert_eq!(
            ap.transfer(&mut bus, false, 0x0C, 0x0070_0007),
            Ap2Ack::Ok(0)
        );
        assert_eq!(bus.cr, 0x0070_0007);
        // Banked data registers: BD1 = TAR[31:4] + 4.
        ap.transfer(&mut bus, false, 0x04, 0xE00E_1000);
        assert_eq!(
            ap.transfer(&mut bus, true, 0x14, 0),
            Ap2Ack::Ok(0x0070_0007)
        );
        // An address with nothing behind it faults, and TAR stays.
        ap.transfer(&mut bus, false, 0x04, 0xE00E_2000);
        assert_eq!(ap.transfer(&mut bus, true, 0x0C, 0), Ap2Ack::Fault);
        assert_eq!(
            ap.transfer(&mut bus, true, 0x04, 0),
            Ap2Ack::Ok(0xE00E_2000)
        );
    }

    #[test]
    fn no_access_without_dbg_sw_enable_and_wrapping_inside_1_kb() {
        let mut ap = Ap2::new();
        let mut bus = Bus { cr: 0 };
        ap.transfer(&mut bus, false, 0x04, 0xE00E_1000);
        assert_eq!(ap.transfer(&mut bus, true, 0x0C, 0), Ap2Ack::Fault);
        ap.transfer(&mut bus, false, 0x00, (1 << 31) | (0b01 << 4));
        ap.transfer(&mut bus, false, 0x04, 0xE00E_13FC);
        assert_eq!(ap.transfer(&mut bus, true, 0x0C, 0), Ap2Ack::Ok(0));
        assert_eq!(
            ap.transfer(&mut bus, true, 0x04, 0),
            Ap2Ack::Ok(0xE00E_1000),
            "wrapped"
        );
    }
}
