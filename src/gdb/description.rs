//! Which registers the core has, and the target description that tells GDB so.
//!
//! The set follows the core's architecture, read from the chip — never its family name:
//! SCB_CPUID.ARCHITECTURE (the rule [`crate::fault::Profile`] follows) and, on ARMv7-M, MVFR0.
//!
//! | set | cores | features |
//! |---|---|---|
//! | [`RegisterSet::V6M`] | Cortex-M0/M0+ (STM32G0) | m-profile; m-system: msp, psp, primask, control |
//! | [`RegisterSet::V7M`] | Cortex-M3, M4 without FPU | m-profile; m-system: msp, psp, primask, basepri, faultmask, control |
//! | [`RegisterSet::V7MFp`] | Cortex-M4F (STM32G4), M7 (STM32F7, H7) | the same, and vfp: d0–d15, fpscr |
//!
//! ARMv6-M has PRIMASK and CONTROL but no BASEPRI or FAULTMASK and no FP extension (ARMv6-M
//! ARM B1.4.3); ARMv7-M adds BASEPRI and FAULTMASK (ARMv7-M ARM B1.4.3), and the FP extension's
//! register file when MVFR0.A_SIMD registers (bits 3:0) is non-zero (B4.6.1): 32 single- or
//! 16 double-word registers, which GDB gets as d0–d15 (it derives s0–s31 itself).

use std::sync::OnceLock;

use super::arch::{CortexMRegId, CONTROL_REGNUM};
use crate::fault::Profile;

/// SCB_CPUID (ARMv6-M ARM B3.2.2, ARMv7-M ARM B3.2.3).
pub const CPUID: u32 = crate::fault::profile::CPUID;
/// MVFR0, Media and VFP Feature Register 0 (ARMv7-M ARM B4.6.1); reserved on ARMv6-M.
pub const MVFR0: u32 = 0xE000_EF40;
/// MVFR0.A_SIMD registers: 0 = no FP register file, 1 = 16 double-word registers.
const MVFR0_REGISTERS: u32 = 0xF;

/// The registers a Cortex-M core has, as far as GDB is concerned.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RegisterSet {
    /// ARMv6-M (Cortex-M0/M0+): no FP registers, no BASEPRI or FAULTMASK.
    V6M,
    /// ARMv7-M without the FP extension (Cortex-M3, a Cortex-M4 without FPU).
    V7M,
    /// ARMv7-M with the FP extension (Cortex-M4F with FPv4-SP, Cortex-M7 with FPv5).
    #[default]
    V7MFp,
}

impl RegisterSet {
    /// The set SCB_CPUID names, with MVFR0 (read on ARMv7-M cores only: the address is
    /// reserved on ARMv6-M).
    pub fn from_ids(cpuid: u32, mvfr0: Option<u32>) -> RegisterSet {
        match Profile::from_cpuid(cpuid) {
            Profile::V6M => RegisterSet::V6M,
            Profile::V7M if mvfr0.unwrap_or(0) & MVFR0_REGISTERS != 0 => RegisterSet::V7MFp,
            Profile::V7M => RegisterSet::V7M,
        }
    }

    /// Whether the core has this register.
    pub fn has(self, reg: CortexMRegId) -> bool {
        match reg {
            CortexMRegId::Core(n) => n < 16,
            CortexMRegId::Xpsr
            | CortexMRegId::Msp
            | CortexMRegId::Psp
            | CortexMRegId::Primask
            | CortexMRegId::Control => true,
            CortexMRegId::Basepri | CortexMRegId::Faultmask => self != RegisterSet::V6M,
            CortexMRegId::D(n) => n < 16 && self == RegisterSet::V7MFp,
            CortexMRegId::Fpscr => self == RegisterSet::V7MFp,
        }
    }

    /// Whether the core has the FP extension's registers.
    pub fn has_fpu(self) -> bool {
        self == RegisterSet::V7MFp
    }

    /// The core's registers in ascending remote number: the order of the `g` packet.
    pub fn registers(self) -> impl Iterator<Item = CortexMRegId> {
        let numbers = (0..16).chain(25..=CONTROL_REGNUM);
        numbers
            .filter_map(|n| {
                <CortexMRegId as gdbstub::arch::RegId>::from_raw_id(n).map(|(reg, _)| reg)
            })
            .filter(move |reg| self.has(*reg))
    }

    /// Length of the `g` packet's payload in bytes.
    pub fn g_len(self) -> usize {
        self.registers().map(CortexMRegId::size).sum()
    }

    /// The set whose `g` packet has `len` bytes (every set's length is different).
    pub fn from_g_len(len: usize) -> Option<RegisterSet> {
        [RegisterSet::V6M, RegisterSet::V7M, RegisterSet::V7MFp]
            .into_iter()
            .find(|set| set.g_len() == len)
    }

    /// The core, in words (for the log).
    pub fn describe(self) -> &'static str {
        match self {
            RegisterSet::V6M => "ARMv6-M core: no FPU, no BASEPRI/FAULTMASK",
            RegisterSet::V7M => "ARMv7-M core without FPU",
            RegisterSet::V7MFp => "ARMv7-M core with FPU",
        }
    }

    /// The target description (`qXfer:features:read:target.xml`).
    pub fn target_xml(self) -> &'static str {
        static XML: [OnceLock<String>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        XML[self as usize].get_or_init(|| build_xml(self))
    }
}

/// The GDB feature a register belongs to.
fn feature(reg: CortexMRegId) -> &'static str {
    match reg {
        CortexMRegId::Core(_) | CortexMRegId::Xpsr => "org.gnu.gdb.arm.m-profile",
        CortexMRegId::D(_) | CortexMRegId::Fpscr => "org.gnu.gdb.arm.vfp",
        _ => "org.gnu.gdb.arm.m-system",
    }
}

/// GDB's type of a register (none: a plain integer).
fn gdb_type(reg: CortexMRegId) -> Option<&'static str> {
    match reg {
        CortexMRegId::Core(13) | CortexMRegId::Msp | CortexMRegId::Psp => Some("data_ptr"),
        CortexMRegId::Core(15) => Some("code_ptr"),
        CortexMRegId::D(_) => Some("ieee_double"),
        CortexMRegId::Fpscr => Some("int"),
        // GDB shows a plain 8-bit integer as a character; uint8 prints as a number.
        CortexMRegId::Primask
        | CortexMRegId::Basepri
        | CortexMRegId::Faultmask
        | CortexMRegId::Control => Some("uint8"),
        _ => None,
    }
}

fn build_xml(set: RegisterSet) -> String {
    let mut xml = String::from(concat!(
        "<?xml version=\"1.0\"?>\n",
        "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n",
        "<target version=\"1.0\">\n",
        "  <architecture>arm</architecture>\n",
    ));
    // GDB numbers a register without `regnum` one past the register before it in the
    // document; every other register says its number.
    let mut next = None;
    for name in [
        "org.gnu.gdb.arm.m-profile",
        "org.gnu.gdb.arm.m-system",
        "org.gnu.gdb.arm.vfp",
    ] {
        let regs: Vec<CortexMRegId> = set.registers().filter(|r| feature(*r) == name).collect();
        if regs.is_empty() {
            continue;
        }
        xml.push_str(&format!("  <feature name=\"{name}\">\n"));
        for reg in regs {
            let n = reg.regnum();
            xml.push_str(&format!(
                "    <reg name=\"{}\" bitsize=\"{}\"",
                reg.name(),
                reg.size() * 8
            ));
            if next != Some(n) {
                xml.push_str(&format!(" regnum=\"{n}\""));
            }
            if let Some(t) = gdb_type(reg) {
                xml.push_str(&format!(" type=\"{t}\""));
            }
            if reg == CortexMRegId::Fpscr {
                xml.push_str(" group=\"float\"");
            }
            xml.push_str("/>\n");
            next = Some(n + 1);
        }
        xml.push_str("  </feature>\n");
    }
    xml.push_str("</target>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    const M0PLUS: u32 = 0x410C_C601;
    const M4: u32 = 0x410F_C241;
    const M7: u32 = 0x411F_C270;

    fn names(set: RegisterSet) -> Vec<String> {
        set.registers().map(CortexMRegId::name).collect()
    }

    #[test]
    fn the_set_follows_cpuid_and_mvfr0() {
        assert_eq!(RegisterSet::from_ids(M0PLUS, None), RegisterSet::V6M);
        // A stray MVFR0 value does not give an ARMv6-M core an FPU.
        assert_eq!(
            RegisterSet::from_ids(M0PLUS, Some(0x1011_0021)),
            RegisterSet::V6M
        );
        assert_eq!(
            RegisterSet::from_ids(M4, Some(0x1011_0021)),
            RegisterSet::V7MFp
        );
        assert_eq!(
            RegisterSet::from_ids(M7, Some(0x1011_0221)),
            RegisterSet::V7MFp
        );
        assert_eq!(RegisterSet::from_ids(M4, Some(0)), RegisterSet::V7M);
        assert_eq!(RegisterSet::from_ids(0x412F_C230, None), RegisterSet::V7M);
    }

    #[test]
    fn armv6m_has_no_fp_basepri_or_faultmask() {
        let v6 = names(RegisterSet::V6M);
        let expected: Vec<String> = (0..13)
            .map(|n| format!("r{n}"))
            .chain(["sp", "lr", "pc", "xpsr", "msp", "psp", "primask", "control"].map(String::from))
            .collect();
        assert_eq!(v6, expected);
        assert_eq!(RegisterSet::V6M.g_len(), 78);
        assert!(!RegisterSet::V6M.has(CortexMRegId::D(0)));
        assert!(!RegisterSet::V6M.has(CortexMRegId::Fpscr));
        assert!(!RegisterSet::V6M.has(CortexMRegId::Basepri));
        assert!(!RegisterSet::V6M.has(CortexMRegId::Faultmask));
    }

    #[test]
    fn armv7m_sets() {
        let v7 = names(RegisterSet::V7M);
        assert_eq!(v7.len(), 16 + 1 + 2 + 4);
        assert!(v7.contains(&"basepri".into()) && !v7.contains(&"d0".into()));
        let fp = names(RegisterSet::V7MFp);
        assert_eq!(fp.len(), 16 + 1 + 2 + 16 + 1 + 4);
        assert_eq!(fp[19], "d0");
        assert_eq!(fp[35], "fpscr");
        assert_eq!(fp[36], "primask");
        let lens: Vec<usize> = [RegisterSet::V6M, RegisterSet::V7M, RegisterSet::V7MFp]
            .map(RegisterSet::g_len)
            .to_vec();
        assert_eq!(lens, [78, 80, 212]);
        for set in [RegisterSet::V6M, RegisterSet::V7M, RegisterSet::V7MFp] {
            assert_eq!(RegisterSet::from_g_len(set.g_len()), Some(set));
        }
        assert_eq!(RegisterSet::from_g_len(208), None);
    }

    #[test]
    fn target_xml_of_each_set() {
        let fp = RegisterSet::V7MFp.target_xml();
        let m = fp.find("org.gnu.gdb.arm.m-profile").unwrap();
        let s = fp.find("org.gnu.gdb.arm.m-system").unwrap();
        let v = fp.find("org.gnu.gdb.arm.vfp").unwrap();
        assert!(m < s && s < v);
        assert!(fp.contains(r#"<reg name="r0" bitsize="32" regnum="0"/>"#));
        assert!(fp.contains(r#"<reg name="xpsr" bitsize="32" regnum="25"/>"#));
        assert!(fp.contains(r#"<reg name="msp" bitsize="32" type="data_ptr"/>"#));
        assert!(fp.contains(r#"<reg name="primask" bitsize="8" regnum="45" type="uint8"/>"#));
        assert!(fp.contains(r#"<reg name="d0" bitsize="64" regnum="28" type="ieee_double"/>"#));
        assert!(fp.contains(r#"<reg name="fpscr" bitsize="32" type="int" group="float"/>"#));
        assert_eq!(fp.matches("<reg ").count(), 16 + 1 + 2 + 4 + 16 + 1);
        assert_eq!(fp.matches("bitsize=\"64\"").count(), 16);

        let v6 = RegisterSet::V6M.target_xml();
        assert!(!v6.contains("org.gnu.gdb.arm.vfp"));
        assert!(!v6.contains("basepri") && !v6.contains("faultmask") && !v6.contains("fpscr"));
        assert!(v6.contains(r#"<reg name="control" bitsize="8" regnum="48" type="uint8"/>"#));
        assert_eq!(v6.matches("<reg ").count(), 16 + 1 + 4);

        let v7 = RegisterSet::V7M.target_xml();
        assert!(!v7.contains("org.gnu.gdb.arm.vfp") && v7.contains("faultmask"));
        assert!(v7.contains(r#"<reg name="basepri" bitsize="8" type="uint8"/>"#));
    }
}
