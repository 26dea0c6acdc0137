//! The Cortex-M core as GDB sees it: the gdbstub architecture, the `g`-packet register block
//! and the remote register numbers. Which registers a core has is its [`RegisterSet`]
//! ([`super::description`]); the block carries its set, so that it is packed as the
//! description the client was given says.
//!
//! Remote register numbers (`p`/`P`), one per register on every core: r0–r15 = 0–15,
//! xpsr = 25 (16–24 is the historic FPA block), msp = 26, psp = 27, d0–d15 = 28–43, fpscr = 44,
//! primask = 45, basepri = 46, faultmask = 47, control = 48. A core lacks some of them (an
//! ARMv6-M core has no d registers, fpscr, basepri or faultmask); the `g` packet carries the
//! registers of the core's set in ascending number, without gaps (GDB packs it by remote
//! number).

use std::num::NonZeroUsize;

use gdbstub::arch::{Arch, RegId, Registers};

pub use super::description::RegisterSet;

/// Remote register number of xPSR.
pub const XPSR_REGNUM: usize = 25;
/// Remote register number of MSP.
pub const MSP_REGNUM: usize = 26;
/// Remote register number of PSP.
pub const PSP_REGNUM: usize = 27;
/// Remote register number of d0 (d1–d15 follow).
pub const D0_REGNUM: usize = 28;
/// Remote register number of FPSCR.
pub const FPSCR_REGNUM: usize = 44;
/// Remote register number of PRIMASK.
pub const PRIMASK_REGNUM: usize = 45;
/// Remote register number of BASEPRI.
pub const BASEPRI_REGNUM: usize = 46;
/// Remote register number of FAULTMASK.
pub const FAULTMASK_REGNUM: usize = 47;
/// Remote register number of CONTROL.
pub const CONTROL_REGNUM: usize = 48;

/// Any supported Cortex-M core (ARMv6-M, ARMv7-M, ARMv7E-M with or without FPU) as a gdbstub
/// architecture. Its static description is the one of an ARMv7E-M core with FPU; the server
/// sends each client the description of the core it serves instead
/// ([`RegisterSet::target_xml`]).
pub enum CortexM {}

impl Arch for CortexM {
    type Usize = u32;
    type Registers = CortexMRegs;
    type BreakpointKind = gdbstub_arch::arm::ArmBreakpointKind;
    type RegId = CortexMRegId;

    fn target_description_xml() -> Option<&'static str> {
        Some(RegisterSet::V7MFp.target_xml())
    }
}

/// Every register of the `g` packet, and which of them the core has.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CortexMRegs {
    /// The registers the core has: only these are packed, read and written.
    pub set: RegisterSet,
    /// r0–r12, sp (r13), lr (r14), pc (r15).
    pub r: [u32; 16],
    /// Combined program status register.
    pub xpsr: u32,
    /// Main stack pointer.
    pub msp: u32,
    /// Process stack pointer.
    pub psp: u32,
    /// d0–d15; d_n = s_{2n} (low word) | s_{2n+1} << 32.
    pub d: [u64; 16],
    /// Floating-point status and control register.
    pub fpscr: u32,
    /// PRIMASK (bit 0).
    pub primask: u8,
    /// BASEPRI (ARMv7-M only).
    pub basepri: u8,
    /// FAULTMASK (bit 0; ARMv7-M only).
    pub faultmask: u8,
    /// CONTROL (nPRIV, SPSEL, and FPCA with an FPU).
    pub control: u8,
}

impl CortexMRegs {
    /// All zero, for a core with the registers of `set`.
    pub fn of(set: RegisterSet) -> CortexMRegs {
        CortexMRegs {
            set,
            ..CortexMRegs::default()
        }
    }

    /// The value of one register, little endian, in its size.
    pub fn get(&self, reg: CortexMRegId) -> Vec<u8> {
        match reg {
            CortexMRegId::Core(n) => self.r[usize::from(n) % 16].to_le_bytes().to_vec(),
            CortexMRegId::Xpsr => self.xpsr.to_le_bytes().to_vec(),
            CortexMRegId::Msp => self.msp.to_le_bytes().to_vec(),
            CortexMRegId::Psp => self.psp.to_le_bytes().to_vec(),
            CortexMRegId::D(n) => self.d[usize::from(n) % 16].to_le_bytes().to_vec(),
            CortexMRegId::Fpscr => self.fpscr.to_le_bytes().to_vec(),
            CortexMRegId::Primask => vec![self.primask],
            CortexMRegId::Basepri => vec![self.basepri],
            CortexMRegId::Faultmask => vec![self.faultmask],
            CortexMRegId::Control => vec![self.control],
        }
    }

    /// Sets one register from its little-endian bytes; false (nothing changed) unless `val`
    /// has the register's size.
    pub fn set(&mut self, reg: CortexMRegId, val: &[u8]) -> bool {
        if val.len() != reg.size() {
            return false;
        }
        let word = || u32::from_le_bytes(val.try_into().expect("size checked"));
        match reg {
            CortexMRegId::Core(n) if n < 16 => self.r[usize::from(n)] = word(),
            CortexMRegId::Xpsr => self.xpsr = word(),
            CortexMRegId::Msp => self.msp = word(),
            CortexMRegId::Psp => self.psp = word(),
            CortexMRegId::D(n) if n < 16 => {
                self.d[usize::from(n)] = u64::from_le_bytes(val.try_into().expect("size checked"))
            }
            CortexMRegId::Fpscr => self.fpscr = word(),
            CortexMRegId::Primask => self.primask = val[0],
            CortexMRegId::Basepri => self.basepri = val[0],
            CortexMRegId::Faultmask => self.faultmask = val[0],
            CortexMRegId::Control => self.control = val[0],
            CortexMRegId::Core(_) | CortexMRegId::D(_) => return false,
        }
        true
    }

    /// The register block as the `g` packet carries it for its set (little endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.set.g_len());
        for reg in self.set.registers() {
            out.extend_from_slice(&self.get(reg));
        }
        out
    }

    /// Parses a `G` payload: the set is the one whose `g` packet has this length (the sets'
    /// lengths differ); `None` if none has.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        let set = RegisterSet::from_g_len(bytes.len())?;
        let mut regs = CortexMRegs::of(set);
        let mut at = 0;
        for reg in set.registers() {
            let size = reg.size();
            regs.set(reg, &bytes[at..at + size]);
            at += size;
        }
        Some(regs)
    }
}

impl Registers for CortexMRegs {
    type ProgramCounter = u32;

    fn pc(&self) -> u32 {
        self.r[15]
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        for b in self.to_bytes() {
            write_byte(Some(b));
        }
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        *self = CortexMRegs::from_bytes(bytes).ok_or(())?;
        Ok(())
    }
}

/// One register, by remote register number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CortexMRegId {
    /// r0–r15 (13 = sp, 14 = lr, 15 = pc).
    Core(u8),
    /// xPSR.
    Xpsr,
    /// MSP.
    Msp,
    /// PSP.
    Psp,
    /// d0–d15.
    D(u8),
    /// FPSCR.
    Fpscr,
    /// PRIMASK.
    Primask,
    /// BASEPRI.
    Basepri,
    /// FAULTMASK.
    Faultmask,
    /// CONTROL.
    Control,
}

impl CortexMRegId {
    /// The remote register number.
    pub fn regnum(self) -> usize {
        match self {
            CortexMRegId::Core(n) => n as usize,
            CortexMRegId::Xpsr => XPSR_REGNUM,
            CortexMRegId::Msp => MSP_REGNUM,
            CortexMRegId::Psp => PSP_REGNUM,
            CortexMRegId::D(n) => D0_REGNUM + n as usize,
            CortexMRegId::Fpscr => FPSCR_REGNUM,
            CortexMRegId::Primask => PRIMASK_REGNUM,
            CortexMRegId::Basepri => BASEPRI_REGNUM,
            CortexMRegId::Faultmask => FAULTMASK_REGNUM,
            CortexMRegId::Control => CONTROL_REGNUM,
        }
    }

    /// Size in bytes. The four special registers are one byte each: DCRSR's combined
    /// CONTROL/FAULTMASK/BASEPRI/PRIMASK transfer gives each a byte lane.
    pub fn size(self) -> usize {
        match self {
            CortexMRegId::D(_) => 8,
            CortexMRegId::Primask
            | CortexMRegId::Basepri
            | CortexMRegId::Faultmask
            | CortexMRegId::Control => 1,
            _ => 4,
        }
    }

    /// The register's name in the target description (and in GDB).
    pub fn name(self) -> String {
        match self {
            CortexMRegId::Core(13) => "sp".into(),
            CortexMRegId::Core(14) => "lr".into(),
            CortexMRegId::Core(15) => "pc".into(),
            CortexMRegId::Core(n) => format!("r{n}"),
            CortexMRegId::Xpsr => "xpsr".into(),
            CortexMRegId::Msp => "msp".into(),
            CortexMRegId::Psp => "psp".into(),
            CortexMRegId::D(n) => format!("d{n}"),
            CortexMRegId::Fpscr => "fpscr".into(),
            CortexMRegId::Primask => "primask".into(),
            CortexMRegId::Basepri => "basepri".into(),
            CortexMRegId::Faultmask => "faultmask".into(),
            CortexMRegId::Control => "control".into(),
        }
    }
}

impl RegId for CortexMRegId {
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        let reg = match id {
            0..=15 => CortexMRegId::Core(id as u8),
            XPSR_REGNUM => CortexMRegId::Xpsr,
            MSP_REGNUM => CortexMRegId::Msp,
            PSP_REGNUM => CortexMRegId::Psp,
            D0_REGNUM..=43 => CortexMRegId::D((id - D0_REGNUM) as u8),
            FPSCR_REGNUM => CortexMRegId::Fpscr,
            PRIMASK_REGNUM => CortexMRegId::Primask,
            BASEPRI_REGNUM => CortexMRegId::Basepri,
            FAULTMASK_REGNUM => CortexMRegId::Faultmask,
            CONTROL_REGNUM => CortexMRegId::Control,
            _ => return None,
        };
        Some((reg, NonZeroUsize::new(reg.size())))
    }

    fn to_raw_id(&self) -> Option<usize> {
        Some(self.regnum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(set: RegisterSet) -> CortexMRegs {
        let mut regs = CortexMRegs::of(set);
        for (n, r) in regs.r.iter_mut().enumerate() {
            *r = 0x1000_0000 + n as u32;
        }
        regs.xpsr = 0x0100_0000;
        regs.msp = 0x2002_0000;
        regs.psp = 0x2001_0000;
        regs.primask = 1;
        regs.control = 2;
        if set != RegisterSet::V6M {
            regs.basepri = 0x40;
            regs.faultmask = 1;
        }
        if set == RegisterSet::V7MFp {
            regs.d[0] = 0x1111_2222_3333_4444;
            regs.d[15] = 0x5555_6666_7777_8888;
            regs.fpscr = 0x0300_0000;
        }
        regs
    }

    #[test]
    fn g_packet_layout_matches_gdb_numbering_with_an_fpu() {
        let regs = sample(RegisterSet::V7MFp);
        let bytes = regs.to_bytes();
        assert_eq!(bytes.len(), 212);
        assert_eq!(&bytes[0..4], &0x1000_0000u32.to_le_bytes());
        assert_eq!(&bytes[60..64], &0x1000_000Fu32.to_le_bytes());
        assert_eq!(&bytes[64..68], &0x0100_0000u32.to_le_bytes());
        assert_eq!(&bytes[68..72], &0x2002_0000u32.to_le_bytes());
        assert_eq!(&bytes[72..76], &0x2001_0000u32.to_le_bytes());
        // d0 low word = s0 comes first (little endian).
        assert_eq!(&bytes[76..80], &0x3333_4444u32.to_le_bytes());
        assert_eq!(&bytes[80..84], &0x1111_2222u32.to_le_bytes());
        assert_eq!(&bytes[196..204], &0x5555_6666_7777_8888u64.to_le_bytes());
        assert_eq!(&bytes[204..208], &0x0300_0000u32.to_le_bytes());
        // primask 45, basepri 46, faultmask 47, control 48.
        assert_eq!(&bytes[208..212], &[1, 0x40, 1, 2]);
        assert_eq!(CortexMRegs::from_bytes(&bytes), Some(regs.clone()));

        let mut parsed = CortexMRegs::default();
        assert!(parsed.gdb_deserialize(&bytes).is_ok());
        assert_eq!(parsed, regs);
        assert!(parsed.gdb_deserialize(&bytes[..200]).is_err());
        // The 208-byte block of a description without the special registers fits no core.
        assert!(parsed.gdb_deserialize(&bytes[..208]).is_err());
    }

    #[test]
    fn g_packet_layout_of_an_armv6m_core_has_no_fp_basepri_or_faultmask() {
        let regs = sample(RegisterSet::V6M);
        let bytes = regs.to_bytes();
        assert_eq!(bytes.len(), 16 * 4 + 3 * 4 + 2);
        assert_eq!(&bytes[72..76], &0x2001_0000u32.to_le_bytes());
        assert_eq!(&bytes[76..78], &[1, 2], "primask, control");
        let parsed = CortexMRegs::from_bytes(&bytes).unwrap();
        assert_eq!(parsed.set, RegisterSet::V6M);
        assert_eq!(parsed, regs);

        let v7 = sample(RegisterSet::V7M).to_bytes();
        assert_eq!(v7.len(), 16 * 4 + 3 * 4 + 4);
        assert_eq!(&v7[76..80], &[1, 0x40, 1, 2]);
        assert_eq!(
            CortexMRegs::from_bytes(&v7).unwrap(),
            sample(RegisterSet::V7M)
        );
    }

    #[test]
    fn register_numbers() {
        let id = |n| CortexMRegId::from_raw_id(n).map(|(r, s)| (r, s.map(|s| s.get())));
        assert_eq!(id(0), Some((CortexMRegId::Core(0), Some(4))));
        assert_eq!(id(15), Some((CortexMRegId::Core(15), Some(4))));
        for gap in 16..25 {
            assert_eq!(id(gap), None);
        }
        assert_eq!(id(25), Some((CortexMRegId::Xpsr, Some(4))));
        assert_eq!(id(26), Some((CortexMRegId::Msp, Some(4))));
        assert_eq!(id(27), Some((CortexMRegId::Psp, Some(4))));
        assert_eq!(id(28), Some((CortexMRegId::D(0), Some(8))));
        assert_eq!(id(43), Some((CortexMRegId::D(15), Some(8))));
        assert_eq!(id(44), Some((CortexMRegId::Fpscr, Some(4))));
        assert_eq!(id(45), Some((CortexMRegId::Primask, Some(1))));
        assert_eq!(id(46), Some((CortexMRegId::Basepri, Some(1))));
        assert_eq!(id(47), Some((CortexMRegId::Faultmask, Some(1))));
        assert_eq!(id(48), Some((CortexMRegId::Control, Some(1))));
        assert_eq!(id(49), None);
        for n in (0..16).chain(25..49) {
            assert_eq!(CortexMRegId::from_raw_id(n).unwrap().0.regnum(), n);
        }
    }

    #[test]
    fn one_register_at_a_time() {
        let mut regs = CortexMRegs::of(RegisterSet::V6M);
        assert!(regs.set(CortexMRegId::Core(15), &0x0800_0040u32.to_le_bytes()));
        assert!(regs.set(CortexMRegId::Control, &[3]));
        assert!(
            !regs.set(CortexMRegId::Control, &[3, 0, 0, 0]),
            "wrong size"
        );
        assert!(!regs.set(CortexMRegId::Core(16), &[0; 4]));
        assert_eq!(
            regs.get(CortexMRegId::Core(15)),
            0x0800_0040u32.to_le_bytes()
        );
        assert_eq!(regs.get(CortexMRegId::Control), [3]);
    }
}
