//! The Cortex-M7 architecture as GDB sees it: the target description (m-profile, m-system and
//! VFP features), the `g`-packet register block and the remote register numbers.
//!
//! Register numbering (remote numbers, as used by `p`/`P`): r0–r15 = 0–15, xpsr = 25 (the gap
//! 16–24 is the historic FPA block), msp = 26, psp = 27, d0–d15 = 28–43, fpscr = 44. The `g`
//! packet carries them contiguously in that order: 16 × 4 + 3 × 4 + 16 × 8 + 4 = 208 bytes.

use std::num::NonZeroUsize;

use gdbstub::arch::{Arch, RegId, Registers};

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
/// Size of the `g` packet payload in bytes.
pub const G_PACKET_LEN: usize = 16 * 4 + 3 * 4 + 16 * 8 + 4;

/// The target description sent for `qXfer:features:read:target.xml`.
pub const TARGET_XML: &str = r#"<?xml version="1.0"?>
<!DOCTYPE target SYSTEM "gdb-target.dtd">
<target version="1.0">
  <architecture>arm</architecture>
  <feature name="org.gnu.gdb.arm.m-profile">
    <reg name="r0" bitsize="32" regnum="0"/>
    <reg name="r1" bitsize="32"/>
    <reg name="r2" bitsize="32"/>
    <reg name="r3" bitsize="32"/>
    <reg name="r4" bitsize="32"/>
    <reg name="r5" bitsize="32"/>
    <reg name="r6" bitsize="32"/>
    <reg name="r7" bitsize="32"/>
    <reg name="r8" bitsize="32"/>
    <reg name="r9" bitsize="32"/>
    <reg name="r10" bitsize="32"/>
    <reg name="r11" bitsize="32"/>
    <reg name="r12" bitsize="32"/>
    <reg name="sp" bitsize="32" type="data_ptr"/>
    <reg name="lr" bitsize="32"/>
    <reg name="pc" bitsize="32" type="code_ptr"/>
    <reg name="xpsr" bitsize="32" regnum="25"/>
  </feature>
  <feature name="org.gnu.gdb.arm.m-system">
    <reg name="msp" bitsize="32" type="data_ptr"/>
    <reg name="psp" bitsize="32" type="data_ptr"/>
  </feature>
  <feature name="org.gnu.gdb.arm.vfp">
    <reg name="d0" bitsize="64" type="ieee_double"/>
    <reg name="d1" bitsize="64" type="ieee_double"/>
    <reg name="d2" bitsize="64" type="ieee_double"/>
    <reg name="d3" bitsize="64" type="ieee_double"/>
    <reg name="d4" bitsize="64" type="ieee_double"/>
    <reg name="d5" bitsize="64" type="ieee_double"/>
    <reg name="d6" bitsize="64" type="ieee_double"/>
    <reg name="d7" bitsize="64" type="ieee_double"/>
    <reg name="d8" bitsize="64" type="ieee_double"/>
    <reg name="d9" bitsize="64" type="ieee_double"/>
    <reg name="d10" bitsize="64" type="ieee_double"/>
    <reg name="d11" bitsize="64" type="ieee_double"/>
    <reg name="d12" bitsize="64" type="ieee_double"/>
    <reg name="d13" bitsize="64" type="ieee_double"/>
    <reg name="d14" bitsize="64" type="ieee_double"/>
    <reg name="d15" bitsize="64" type="ieee_double"/>
    <reg name="fpscr" bitsize="32" type="int" group="float"/>
  </feature>
</target>
"#;

/// The Cortex-M7 (ARMv7E-M with double-precision FPU) as a gdbstub architecture.
pub enum CortexM7 {}

impl Arch for CortexM7 {
    type Usize = u32;
    type Registers = CortexM7Regs;
    type BreakpointKind = gdbstub_arch::arm::ArmBreakpointKind;
    type RegId = CortexM7RegId;

    fn target_description_xml() -> Option<&'static str> {
        Some(TARGET_XML)
    }
}

/// Every register of the `g` packet.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CortexM7Regs {
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
}

impl CortexM7Regs {
    /// The register block as the `g` packet carries it (little endian, 208 bytes).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(G_PACKET_LEN);
        for r in self.r {
            out.extend_from_slice(&r.to_le_bytes());
        }
        for w in [self.xpsr, self.msp, self.psp] {
            out.extend_from_slice(&w.to_le_bytes());
        }
        for d in self.d {
            out.extend_from_slice(&d.to_le_bytes());
        }
        out.extend_from_slice(&self.fpscr.to_le_bytes());
        out
    }

    /// Parses a `G` payload; `None` unless it is exactly [`G_PACKET_LEN`] bytes.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != G_PACKET_LEN {
            return None;
        }
        let word = |i: usize| u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap());
        let dword = |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().unwrap());
        let mut regs = CortexM7Regs::default();
        for (n, r) in regs.r.iter_mut().enumerate() {
            *r = word(4 * n);
        }
        regs.xpsr = word(64);
        regs.msp = word(68);
        regs.psp = word(72);
        for (n, d) in regs.d.iter_mut().enumerate() {
            *d = dword(76 + 8 * n);
        }
        regs.fpscr = word(204);
        Some(regs)
    }
}

impl Registers for CortexM7Regs {
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
        *self = CortexM7Regs::from_bytes(bytes).ok_or(())?;
        Ok(())
    }
}

/// One register, by remote register number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CortexM7RegId {
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
}

impl CortexM7RegId {
    /// The remote register number.
    pub fn regnum(self) -> usize {
        match self {
            CortexM7RegId::Core(n) => n as usize,
            CortexM7RegId::Xpsr => XPSR_REGNUM,
            CortexM7RegId::Msp => MSP_REGNUM,
            CortexM7RegId::Psp => PSP_REGNUM,
            CortexM7RegId::D(n) => D0_REGNUM + n as usize,
            CortexM7RegId::Fpscr => FPSCR_REGNUM,
        }
    }

    /// Size in bytes.
    pub fn size(self) -> usize {
        match self {
            CortexM7RegId::D(_) => 8,
            _ => 4,
        }
    }
}

impl RegId for CortexM7RegId {
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        let reg = match id {
            0..=15 => CortexM7RegId::Core(id as u8),
            XPSR_REGNUM => CortexM7RegId::Xpsr,
            MSP_REGNUM => CortexM7RegId::Msp,
            PSP_REGNUM => CortexM7RegId::Psp,
            D0_REGNUM..=43 => CortexM7RegId::D((id - D0_REGNUM) as u8),
            FPSCR_REGNUM => CortexM7RegId::Fpscr,
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

    #[test]
    fn g_packet_layout_matches_gdb_numbering() {
        let mut regs = CortexM7Regs::default();
        for (n, r) in regs.r.iter_mut().enumerate() {
            *r = 0x1000_0000 + n as u32;
        }
        regs.xpsr = 0x0100_0000;
        regs.msp = 0x2002_0000;
        regs.psp = 0x2001_0000;
        regs.d[0] = 0x1111_2222_3333_4444;
        regs.d[15] = 0x5555_6666_7777_8888;
        regs.fpscr = 0x0300_0000;
        let bytes = regs.to_bytes();
        assert_eq!(bytes.len(), 208);
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
        assert_eq!(CortexM7Regs::from_bytes(&bytes), Some(regs.clone()));

        let mut parsed = CortexM7Regs::default();
        assert!(parsed.gdb_deserialize(&bytes).is_ok());
        assert_eq!(parsed, regs);
        assert!(parsed.gdb_deserialize(&bytes[..200]).is_err());
    }

    #[test]
    fn register_numbers() {
        let id = |n| CortexM7RegId::from_raw_id(n).map(|(r, s)| (r, s.map(|s| s.get())));
        assert_eq!(id(0), Some((CortexM7RegId::Core(0), Some(4))));
        assert_eq!(id(15), Some((CortexM7RegId::Core(15), Some(4))));
        for gap in 16..25 {
            assert_eq!(id(gap), None);
        }
        assert_eq!(id(25), Some((CortexM7RegId::Xpsr, Some(4))));
        assert_eq!(id(26), Some((CortexM7RegId::Msp, Some(4))));
        assert_eq!(id(27), Some((CortexM7RegId::Psp, Some(4))));
        assert_eq!(id(28), Some((CortexM7RegId::D(0), Some(8))));
        assert_eq!(id(43), Some((CortexM7RegId::D(15), Some(8))));
        assert_eq!(id(44), Some((CortexM7RegId::Fpscr, Some(4))));
        assert_eq!(id(45), None);
        for n in (0..16).chain(25..45) {
            assert_eq!(CortexM7RegId::from_raw_id(n).unwrap().0.regnum(), n);
        }
    }

    #[test]
    fn target_xml_declares_the_features_in_order() {
        let m = TARGET_XML.find("org.gnu.gdb.arm.m-profile").unwrap();
        let s = TARGET_XML.find("org.gnu.gdb.arm.m-system").unwrap();
        let v = TARGET_XML.find("org.gnu.gdb.arm.vfp").unwrap();
        assert!(m < s && s < v);
        assert!(TARGET_XML.contains(r#"<reg name="xpsr" bitsize="32" regnum="25"/>"#));
        assert_eq!(TARGET_XML.matches("<reg ").count(), 16 + 1 + 2 + 16 + 1);
        assert_eq!(TARGET_XML.matches("bitsize=\"64\"").count(), 16);
    }
}
