//! A simulated STM32F76x/F77x that probe-rs drives like a real board.
//!
//! The chip model (bus, FLASH controller and option store, Cortex-M7 debug block with FPB and
//! DWT, a real CPU through armagnac) sits under probe-rs at the DAP level, so the code that
//! drives hardware is the code every test runs. See `docs/simulator.md`.
//!
//! ```no_run
//! use stm32_opts::sim::Simulator;
//! let sim = Simulator::new("STM32F767ZI").unwrap();
//! let session = sim.attach().unwrap();
//! ```

pub mod bus;
pub mod chip;
pub mod cpu;
pub mod dap;
pub mod exception;
pub mod faults;
pub mod flash;
pub mod g4_flash;
pub mod geometry;
pub mod glasgow;
pub mod probe;
pub mod state;
pub mod variant;
pub mod worker;

use std::path::Path;

use probe_rs::probe::Probe;
use probe_rs::{Permissions, Session};

use chip::Chip;
pub use flash::{FlashFaults, OptionStore, Timing};
pub use state::{StateError, StateFile};
pub use variant::{UnknownVariant, Variant};
pub use worker::{SimGone, SimHandle};

/// Why a simulator could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Variant(#[from] UnknownVariant),
    #[error(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    Gone(#[from] SimGone),
    #[error("attaching probe-rs to the simulated chip failed")]
    Attach(#[from] probe_rs::Error),
}

/// A running simulated chip. Cheap to clone; the chip lives until the last clone (and the last
/// probe made from it) is dropped. With a state file, every change is saved before it is
/// answered (see [`worker`]), and the file stays locked for this process until then.
#[derive(Clone, Debug)]
pub struct Simulator {
    handle: SimHandle,
    variant: Variant,
}

impl Simulator {
    /// A factory-fresh chip (OPTCR 0xFFFFAAFD, OPTCR1 0x00400080, erased flash).
    pub fn new(chip: &str) -> Result<Self, SimError> {
        let variant = Variant::by_name(chip)?;
        Ok(Self::start(variant, None, None))
    }

    /// A chip whose option store and flash persist in `path` (created on first use). The file
    /// is locked for this simulator's lifetime: another user of it gets [`StateError::InUse`].
    pub fn with_state_file(chip: &str, path: &Path) -> Result<Self, SimError> {
        let variant = Variant::by_name(chip)?;
        let (file, saved) = StateFile::open(path, &variant)?;
        let is_new = saved.is_none();
        let sim = Self::start(variant, saved, Some(file));
        if is_new {
            // Create the file at once, so consecutive runs share it even if this one fails.
            sim.handle.save()?;
        }
        Ok(sim)
    }

    fn start(variant: Variant, saved: Option<state::Saved>, file: Option<StateFile>) -> Self {
        let handle = SimHandle::spawn(
            move || {
                let store = saved
                    .as_ref()
                    .map(|s| s.store)
                    .unwrap_or_else(|| OptionStore::factory(&variant));
                let mut chip = Chip::new(variant, store);
                if let Some(saved) = saved {
                    chip.bus.borrow_mut().flash.restore(saved.halves, saved.otp);
                    // Power-on: the core boots from the restored flash, not the blank one.
                    chip.system_reset();
                }
                chip
            },
            file,
        );
        Simulator { handle, variant }
    }

    /// Writes the state file now (every change is also saved as it happens).
    pub fn save(&self) -> Result<(), SimError> {
        Ok(self.handle.save()?)
    }

    pub fn variant(&self) -> &Variant {
        &self.variant
    }

    /// A probe-rs probe connected to this chip.
    pub fn probe(&self) -> Probe {
        Probe::from_specific_probe(Box::new(probe::SimProbe::new(self.handle.clone())))
    }

    /// Attaches probe-rs to this chip, by its name, as a user would.
    pub fn attach(&self) -> Result<Session, SimError> {
        Ok(self
            .probe()
            .attach(self.variant.name, Permissions::default())?)
    }

    /// Runs `f` on the chip model itself (tests and inspection; the debugger never does this).
    pub fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Chip) -> R + Send + 'static,
    ) -> Result<R, SimGone> {
        self.handle.with(f)
    }

    /// The option store as programmed (what the next reset loads).
    pub fn option_store(&self) -> Result<OptionStore, SimGone> {
        self.with(|chip| chip.bus.borrow().flash.store())
    }

    /// Sets how long BSY stays set for each FLASH operation.
    pub fn set_timing(&self, timing: Timing) -> Result<(), SimGone> {
        self.with(move |chip| chip.bus.borrow_mut().flash.timing = timing)
    }

    /// Injects FLASH-controller faults (stuck BSY, error flags on OPTSTRT).
    pub fn inject_flash_faults(&self, faults: FlashFaults) -> Result<(), SimGone> {
        self.with(move |chip| chip.bus.borrow_mut().flash.faults = faults)
    }

    /// Answers the `n`th DAP transfer from now with FAULT (n = 1 is the next one).
    pub fn inject_transfer_fault(&self, n: u64) -> Result<(), SimGone> {
        self.with(move |chip| {
            chip.faults.transfers = 0;
            chip.faults.fault_at_transfer = Some(n);
        })
    }

    /// Unplugs (or plugs back) the simulated probe: transfers go unanswered.
    pub fn set_disconnected(&self, disconnected: bool) -> Result<(), SimGone> {
        self.with(move |chip| chip.faults.disconnected = disconnected)
    }
}
