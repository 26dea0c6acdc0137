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

/// The family's Cortex-M core as the debugger identifies it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CoreParams {
    pub cpuid: u32,
    /// MVFR0, MVFR1, MVFR2 (the Cortex-M4 has no MVFR2: it reads as zero).
    pub mvfr: [u32; 3],
    /// FP_CTRL.NUM_CODE: the number of FPB instruction comparators.
    pub fpb_code_comparators: usize,
    /// FP_CTRL.REV: 0 = FPBv1 (comparators match code below 0x2000_0000, REPLACE selects the
    /// half-word), 1 = FPBv2 (BPADDR[31:1] with an enable bit).
    pub fpb_revision: u32,
    /// The Cortex-M3/M4 bit-band aliases (SRAM at 0x2200_0000, peripherals at 0x4200_0000);
    /// the Cortex-M7 has none.
    pub bitband: bool,
}

impl CoreParams {
    /// Cortex-M7 r1p0 with the double-precision FPv5 FPU, as on STM32F76x.
    pub const CORTEX_M7: CoreParams = CoreParams {
        cpuid: 0x411F_C270,
        mvfr: [0x1011_0221, 0x1200_0011, 0x0000_0040],
        fpb_code_comparators: 8,
        fpb_revision: 1,
        bitband: false,
    };

    /// Cortex-M4 r0p1 with the single-precision FPv4-SP FPU, as on STM32G4.
    pub const CORTEX_M4F: CoreParams = CoreParams {
        cpuid: 0x410F_C241,
        mvfr: [0x1011_0021, 0x1100_0011, 0],
        fpb_code_comparators: 6,
        fpb_revision: 0,
        bitband: true,
    };

    pub fn of(family: Family) -> CoreParams {
        match family {
            Family::F7 => CoreParams::CORTEX_M7,
            Family::G4 => CoreParams::CORTEX_M4F,
        }
    }
}
