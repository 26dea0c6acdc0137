//! A simulated STM32 (STM32F76x/F77x, STM32G47x/G48x) that probe-rs drives like a real board.
//!
//! The chip model (bus, FLASH controller and option store, boot peripherals, and the project's
//! own Cortex-M core `sim_core` with its debug block) sits under probe-rs at the DAP level, so
//! the code that drives hardware is the code every test runs. Common parts (bus, core, DAP,
//! probe, socket, state, faults) plus one model per family, each in its own folder ([`f7`],
//! [`g4`]) and registered once in [`family::FAMILIES`]; the ST peripheral IP the families share
//! is in [`periph`]. See `docs/simulator.md`.
//!
//! ```no_run
//! use stm32_opts::sim::Simulator;
//! let sim = Simulator::new("STM32F767ZI").unwrap();
//! let session = sim.attach().unwrap();
//! ```

pub mod bus;
pub mod chip;
pub mod dap;
pub mod family;
pub mod faults;
pub mod glasgow;
pub mod periph;
pub mod probe;
pub mod state;
pub mod variant;
pub mod worker;

families!(family::SimFamily: f7, g4, g0, h7);

use std::path::Path;

use probe_rs::probe::Probe;
use probe_rs::{Permissions, Session};

use chip::Chip;
pub use family::{FamilyModel, SimFamily};
pub use periph::uart_link::{Dropped, UartLink};
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

/// Why a family's model could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(transparent)]
    Gone(#[from] SimGone),
    /// The chip is of another family than the model asked for.
    #[error("{chip} is an {family} chip: it has no such model")]
    OtherFamily {
        chip: &'static str,
        family: &'static str,
    },
}

/// A running simulated chip. Cheap to clone; the chip lives until the last clone (and the last
/// probe made from it) is dropped. With a state file, every change is saved before it is
/// answered (see [`worker`]), and the file stays locked for this process until then.
#[derive(Clone, Debug)]
pub struct Simulator {
    handle: SimHandle,
    variant: Variant,
    /// The host end of the virtual COM port UART, if one was given.
    uart: Option<UartLink>,
}

impl Simulator {
    /// A factory-fresh chip (erased flash, the family's factory option bytes).
    pub fn new(chip: &str) -> Result<Self, SimError> {
        Self::open(chip, None, None)
    }

    /// A chip whose option store and flash persist in `path` (created on first use). The file
    /// is locked for this simulator's lifetime: another user of it gets [`StateError::InUse`].
    pub fn with_state_file(chip: &str, path: &Path) -> Result<Self, SimError> {
        Self::open(chip, Some(path), None)
    }

    /// A chip, persisted in `state` if given, whose virtual COM port UART (the family's, see
    /// [`SimFamily::vcp_uart`]) is connected to `uart` before its core runs its first
    /// instruction.
    pub fn open(
        chip: &str,
        state: Option<&Path>,
        uart: Option<UartLink>,
    ) -> Result<Self, SimError> {
        let variant = Variant::by_name(chip)?;
        let Some(path) = state else {
            return Ok(Self::start(variant, None, None, uart));
        };
        let (file, saved) = StateFile::open(path, &variant)?;
        let is_new = saved.is_none();
        let sim = Self::start(variant, saved, Some(file), uart);
        if is_new {
            // Create the file at once, so consecutive runs share it even if this one fails.
            sim.handle.save()?;
        }
        Ok(sim)
    }

    fn start(
        variant: Variant,
        saved: Option<state::Saved>,
        file: Option<StateFile>,
        uart: Option<UartLink>,
    ) -> Self {
        let link = uart.clone();
        let handle = SimHandle::spawn(
            move || {
                // A new process is a power-on: the options load from the store, and the core
                // boots from the restored flash.
                let model = match saved {
                    Some(saved) => saved(),
                    None => variant.family.factory(variant),
                };
                let mut chip = Chip::with_model(variant, model);
                if let Some(link) = link {
                    chip.bus.attach_vcp_uart(link);
                }
                chip
            },
            file,
        );
        Simulator {
            handle,
            variant,
            uart,
        }
    }

    /// The host end of the virtual COM port UART, if the simulator was opened with one.
    pub fn uart(&self) -> Option<&UartLink> {
        self.uart.as_ref()
    }

    /// The core clock (HCLK) the chip's RCC is set to, in Hz.
    pub fn core_clock_hz(&self) -> Result<u32, SimGone> {
        self.with(|chip| chip.bus.core_clock_hz())
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

    /// Runs `f` on the chip's family model, if it is an `M` (tests and tools that know the
    /// family: see each family's extension, e.g. `sim::f7::F7Sim`).
    pub fn with_model<M: std::any::Any, R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut M) -> R + Send + 'static,
    ) -> Result<R, ModelError> {
        let variant = self.variant;
        self.with(move |chip| chip.bus.model_mut::<M>().map(f))?
            .ok_or(ModelError::OtherFamily {
                chip: variant.name,
                family: variant.family.name(),
            })
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
