//! Which fault and debug model the core has, by its architecture (not its chip family): ARMv7-M
//! (Cortex-M3/M4/M7: configurable faults with CFSR, HFSR, MMFAR and BFAR, eight vector catches)
//! or ARMv6-M (Cortex-M0/M0+: HardFault only, none of those registers, vector catch of HardFault
//! and reset only). Read from SCB_CPUID.ARCHITECTURE (bits 19:16: 0xC for ARMv6-M, 0xF for
//! ARMv7-M; ARMv6-M ARM B3.2.2, ARMv7-M ARM B3.2.3).

use probe_rs::{Core, MemoryInterface};

/// SCB_CPUID.
pub const CPUID: u32 = 0xE000_ED00;

/// The fault model of a core.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Profile {
    /// ARMv7-M: MemManage, BusFault, UsageFault and HardFault, with their status registers.
    #[default]
    V7M,
    /// ARMv6-M: every fault is a HardFault, and nothing records its cause.
    V6M,
}

impl Profile {
    /// The profile SCB_CPUID names.
    pub fn from_cpuid(cpuid: u32) -> Profile {
        if (cpuid >> 16) & 0xF == 0xC {
            Profile::V6M
        } else {
            Profile::V7M
        }
    }

    /// Reads SCB_CPUID.
    pub fn read(core: &mut Core<'_>) -> Result<Profile, probe_rs::Error> {
        Ok(Profile::from_cpuid(core.read_word_32(CPUID.into())?))
    }

    /// What the core cannot report, in words, when there is something it cannot (ARMv6-M).
    pub fn limits(self) -> Option<&'static str> {
        match self {
            Profile::V7M => None,
            Profile::V6M => Some(
                "ARMv6-M core (Cortex-M0/M0+): every fault is a HardFault and the core records no cause — CFSR, HFSR, MMFAR and BFAR do not exist; the stacked frame shows where it happened",
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpuid_names_the_profile() {
        assert_eq!(Profile::from_cpuid(0x410C_C601), Profile::V6M, "Cortex-M0+");
        assert_eq!(Profile::from_cpuid(0x410F_C241), Profile::V7M, "Cortex-M4");
        assert_eq!(Profile::from_cpuid(0x411F_C270), Profile::V7M, "Cortex-M7");
        assert!(Profile::V6M.limits().unwrap().contains("HardFault"));
    }
}
