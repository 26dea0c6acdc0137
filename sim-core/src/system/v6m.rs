//! The access rules of the ARMv6-M system level (Cortex-M0, Cortex-M0+) that differ from
//! ARMv7-M. The registers ARMv6-M lacks (CFSR, HFSR, MMFAR, BFAR, SHPR1, NVIC_IABR, STIR, ICTR,
//! the FP and cache registers) are left out where they are decoded, in [`super::scs`]; this
//! module holds the rules about *how* the rest may be accessed.
//!
//! - Word accesses only. ARMv6-M ARM B3.1.1 (General rules for PPB register accesses): "The PPB
//!   address space only supports aligned word accesses. Byte and halfword access is
//!   UNPREDICTABLE." There is no exception for NVIC_IPR and SHPR2/3 as ARMv7-M makes (the
//!   Cortex-M0 TRM 5.1 says the same of every NVIC register). Silicon has been seen to ignore
//!   such a write and to read zero (NVIC_IPR byte writes having no effect on STM32F0 Cortex-M0
//!   and on Cortex-M0+ parts): the simulator does that for a byte or halfword access to the
//!   registers it holds (SCS, DWT, BPU), the core's and the debugger's alike, and logs it.
//! - Debug registers are the debugger's. ARMv6-M ARM C1: "The DWT, BPU, ROM table, DCB, and
//!   debug registers in the SCS are accessible through the DAP interface. Access from the
//!   processor is IMPLEMENTATION DEFINED." The Cortex-M0 and M0+ give the processor none (CMSIS
//!   `core_cm0plus.h`: "DCB registers, SHCSR, and DFSR are only accessible over DAP and not via
//!   processor"; software on a Cortex-M0+ reads DHCSR as 0). The core's own accesses to SHCSR,
//!   DFSR, DHCSR, DCRSR, DCRDR, DEMCR and the DWT and BPU blocks therefore read as zero and
//!   ignore writes.

use crate::config::{Arch, Config};

use super::scs::address;
use super::{dwt, fpb};

/// Whether sub-word accesses to the core's registers are ignored (ARMv6-M: word accesses only).
#[inline]
pub fn word_accesses_only(config: &Config) -> bool {
    config.arch == Arch::V6M
}

/// Whether `address` (word aligned) is a debug register of the ARMv6-M debug extension: SHCSR,
/// DFSR, the debug control block (DHCSR, DCRSR, DCRDR, DEMCR), the DWT and the BPU.
pub fn is_debug_register(address: u32) -> bool {
    matches!(
        address,
        address::SHCSR | address::DFSR | address::DHCSR..=address::DEMCR
    ) || matches!(address & !0xFFF, dwt::BASE | fpb::BASE)
}

/// Whether the core's own loads and stores cannot reach the register at `address` (it reads as
/// zero and ignores writes for them; the debugger reaches it).
#[inline]
pub fn hidden_from_core(config: &Config, address: u32) -> bool {
    config.arch == Arch::V6M && is_debug_register(address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_registers_of_armv6m() {
        for a in [
            0xE000_ED24,
            0xE000_ED30,
            0xE000_EDF0,
            0xE000_EDF4,
            0xE000_EDF8,
            0xE000_EDFC,
            0xE000_1000,
            0xE000_1028,
            0xE000_2000,
            0xE000_2008,
        ] {
            assert!(is_debug_register(a), "0x{a:08X}");
            assert!(hidden_from_core(&Config::cortex_m0plus(), a));
            assert!(!hidden_from_core(&Config::cortex_m4f(), a));
        }
        for a in [
            0xE000_ED00,
            0xE000_ED04,
            0xE000_ED20,
            0xE000_E400,
            0xE000_E010,
        ] {
            assert!(!is_debug_register(a), "0x{a:08X}");
        }
    }
}
