//! The seam between the common simulator (bus, debug block, CPU, DAP, probe, socket, state,
//! faults) and the one model per chip family: which model answers the family's regions, and
//! the parameters of the family's Cortex-M core.
//!
//! The F7 model is [`Flash`] with the F7 memory map that [`super::bus`] has always held; the G4
//! model is [`G4Model`], which owns everything below the private peripheral bus.

use std::ops::{Deref, DerefMut};
use std::time::Instant;

use super::flash::{Flash, OptionStore, RdpLevel};
use super::g4::G4Model;
use super::g4_flash::G4OptionStore;
use super::variant::{Family, Variant};

/// The family model of one simulated chip.
pub enum Model {
    F7(Flash),
    G4(G4Model),
}

impl Model {
    /// A factory-fresh model for `variant`.
    pub fn factory(variant: Variant) -> Self {
        match variant.family {
            Family::F7 => Model::F7(Flash::new(variant, OptionStore::factory(&variant))),
            Family::G4 => Model::G4(G4Model::new(variant, G4OptionStore::factory())),
        }
    }

    pub fn f7(&self) -> Option<&Flash> {
        match self {
            Model::F7(f) => Some(f),
            Model::G4(_) => None,
        }
    }

    pub fn f7_mut(&mut self) -> Option<&mut Flash> {
        match self {
            Model::F7(f) => Some(f),
            Model::G4(_) => None,
        }
    }

    pub fn g4(&self) -> Option<&G4Model> {
        match self {
            Model::G4(g) => Some(g),
            Model::F7(_) => None,
        }
    }

    pub fn g4_mut(&mut self) -> Option<&mut G4Model> {
        match self {
            Model::G4(g) => Some(g),
            Model::F7(_) => None,
        }
    }

    /// System reset (SYSRESETREQ, NRST). The F7 loads its option store here; the G4 does not
    /// (only OBL_LAUNCH or a power-on reset do).
    pub fn system_reset(&mut self, now: Instant) {
        match self {
            Model::F7(f) => f.reset(now),
            Model::G4(g) => g.system_reset(),
        }
    }

    /// Where the core finds its vector table after a reset.
    pub fn boot_address(&self) -> u32 {
        match self {
            // FLASH_OPTCR1.BOOT_ADD0 (BOOT0 pin low) counts 16 KB units.
            Model::F7(f) => (f.store().optcr1 & 0xFFFF) << 14,
            Model::G4(g) => g.boot_address(),
        }
    }

    /// RDP level 2: the debug port no longer answers.
    pub fn debug_port_closed(&self) -> bool {
        match self {
            Model::F7(f) => f.rdp() == RdpLevel::Level2,
            Model::G4(g) => g.debug_port_closed(),
        }
    }

    /// Changes whenever the non-volatile content (array, OTP, option store) may have changed.
    pub fn generation(&self) -> u64 {
        match self {
            Model::F7(f) => f.generation,
            Model::G4(g) => g.generation,
        }
    }
}

/// The F7 model's own API, as the F7 tests and tools reach it (`chip.bus.borrow().flash.store()`).
/// On a G4 chip this is a programming error: use [`Model::g4`].
impl Deref for Model {
    type Target = Flash;

    fn deref(&self) -> &Flash {
        self.f7()
            .expect("the F7 FLASH model was asked for on a simulated G4 (use Model::g4)")
    }
}

impl DerefMut for Model {
    fn deref_mut(&mut self) -> &mut Flash {
        self.f7_mut()
            .expect("the F7 FLASH model was asked for on a simulated G4 (use Model::g4_mut)")
    }
}

/// The family's Cortex-M core: the F76x/F77x Cortex-M7 r1p0 with the double-precision FPv5
/// FPU (FPBv2, 8 code comparators, 16 KB caches), the G4 Cortex-M4 r0p1 with FPv4-SP (FPBv1,
/// 6 code comparators, bit-banding).
pub fn core_config(family: Family) -> sim_core::Config {
    match family {
        Family::F7 => sim_core::Config::cortex_m7_dp(),
        Family::G4 => sim_core::Config::cortex_m4f(),
    }
}
