//! A simulated STM32F76x/F77x or STM32G47x/G48x that probe-rs drives like a real board.
//!
//! The chip model (bus, FLASH controller and option store, boot peripherals, and the project's
//! own Cortex-M7 or M4F core `sim_core` with its debug block) sits under probe-rs at the DAP
//! level, so the code that drives hardware is the code every test runs. Common parts (bus,
//! core, DAP, probe, socket, state, faults) plus one model per family ([`family`]: [`flash`] and the
//! boot peripherals of [`f7`] for the F7, [`g4`] and [`g4_flash`] for the G4; the ST peripheral
//! IP both share is in [`periph`]). See `docs/simulator.md`.
//!
//! ```no_run
//! use stm32_opts::sim::Simulator;
//! let sim = Simulator::new("STM32F767ZI").unwrap();
//! let session = sim.attach().unwrap();
//! ```

pub mod bus;
pub mod chip;
pub mod dap;
pub mod f7;
pub mod family;
pub mod faults;
pub mod flash;
pub mod g0;
pub mod g4;
pub mod g4_flash;
pub mod geometry;
pub mod glasgow;
pub mod h7;
pub mod periph;
pub mod probe;
pub mod state;
pub mod variant;
pub mod worker;

use std::path::Path;

use probe_rs::probe::Probe;
use probe_rs::{Permissions, Session};

use chip::Chip;
use family::Model;
pub use flash::{FlashFaults, OptionStore, Timing};
pub use g4_flash::{G4Faults, G4Flash, G4OptionStore, G4Timing};
pub use periph::uart_link::{Dropped, UartLink};
pub use state::{StateError, StateFile};
pub use variant::{Family, UnknownVariant, Variant};
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
    /// The host end of the virtual COM port UART, if one was given.
    uart: Option<UartLink>,
}

impl Simulator {
    /// A factory-fresh chip (F7: OPTCR 0xFFFFAAFD, OPTCR1 0x00400080; G4: OPTR 0xFFEFF8AA;
    /// erased flash).
    pub fn new(chip: &str) -> Result<Self, SimError> {
        Self::open(chip, None, None)
    }

    /// A chip whose option store and flash persist in `path` (created on first use). The file
    /// is locked for this simulator's lifetime: another user of it gets [`StateError::InUse`].
    pub fn with_state_file(chip: &str, path: &Path) -> Result<Self, SimError> {
        Self::open(chip, Some(path), None)
    }

    /// A chip, persisted in `state` if given, whose virtual COM port UART (F7 USART3, G4
    /// LPUART1) is connected to `uart` before its core runs its first instruction.
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
                    Some(saved) => saved.into_model(variant),
                    None => Model::factory(variant),
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

    /// The F7 option store as programmed (what the next reset loads). Panics on a G4: use
    /// [`Simulator::g4_option_store`].
    pub fn option_store(&self) -> Result<OptionStore, SimGone> {
        let store = self.with(|chip| chip.bus.flash.f7().map(|f| f.store()))?;
        Ok(store.unwrap_or_else(|| panic!("{} has no F7 option store", self.variant.name)))
    }

    /// Sets how long BSY stays set for each FLASH operation (F7; panics on a G4: use
    /// [`Simulator::with_g4_flash`]).
    pub fn set_timing(&self, timing: Timing) -> Result<(), SimGone> {
        self.with_f7_flash(move |flash| flash.timing = timing)
    }

    /// Injects FLASH-controller faults (stuck BSY, error flags on OPTSTRT) on an F7 (panics on
    /// a G4: use [`Simulator::with_g4_flash`]).
    pub fn inject_flash_faults(&self, faults: FlashFaults) -> Result<(), SimGone> {
        self.with_f7_flash(move |flash| flash.faults = faults)
    }

    fn with_f7_flash(
        &self,
        f: impl FnOnce(&mut flash::Flash) + Send + 'static,
    ) -> Result<(), SimGone> {
        let done = self.with(move |chip| chip.bus.flash.f7_mut().map(f))?;
        done.unwrap_or_else(|| panic!("{} has no F7 FLASH model", self.variant.name));
        Ok(())
    }

    /// The G4 option store as programmed (what the next OBL_LAUNCH or power-on loads). Panics
    /// on an F7: use [`Simulator::option_store`].
    pub fn g4_option_store(&self) -> Result<G4OptionStore, SimGone> {
        self.with_g4_flash(|flash| flash.store())
    }

    /// Runs `f` on a G4's FLASH model (timing, fault injection, inspection). Panics on an F7.
    pub fn with_g4_flash<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut G4Flash) -> R + Send + 'static,
    ) -> Result<R, SimGone> {
        let result = self.with(move |chip| {
            let bus = &mut chip.bus;
            let g4 = bus.flash.g4_mut()?;
            let result = f(&mut g4.flash);
            // Whatever `f` changed is saved like any other change.
            g4.generation += 1;
            Some(result)
        })?;
        Ok(result.unwrap_or_else(|| panic!("{} has no G4 FLASH model", self.variant.name)))
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
