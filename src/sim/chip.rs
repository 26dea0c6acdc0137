//! One simulated chip: the bus (memory, FLASH, peripherals), the Cortex-M core and the debug
//! port, tied together. Lives on the simulator thread (see [`super::worker`]).
//!
//! The core ([`sim_core::Core`]) owns what the architecture defines — execution, exceptions,
//! the System Control Space, halting debug, FPB, DWT — and reaches the rest of the chip through
//! the bus. The chip adds what belongs to the chip: resets (the FLASH interface and the
//! peripherals with the core, the boot address), the G4's option-load reset, NRST, and time.

use std::time::{Duration, Instant};

use sim_core::{Core, HaltReason, Stop};

use super::bus::{Bus, BusError, ChipEvent};
use super::dap::Dap;
use super::family::FamilyModel;
use super::faults::Faults;
use super::variant::Variant;

/// Core cycles run between two looks at the debugger's requests while the core runs.
pub const RUN_SLICE: u64 = 200_000;

/// The longest the simulator thread sleeps for a sleeping core before it looks again, so that
/// a wake-up it cannot see coming (a UART byte from a host client) is taken soon.
const MAX_IDLE_WAIT: Duration = Duration::from_millis(20);

/// Run state of the core as DHCSR reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoreState {
    Running,
    /// Asleep in WFI/WFE (DHCSR.S_SLEEP): running as far as the debugger is concerned.
    Sleeping,
    Halted,
    LockedUp,
}

/// What the simulator thread should do after a slice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Run the next slice at once.
    Run,
    /// The core sleeps: wait this long (or until a request comes), then call
    /// [`Chip::idle`] with the time that passed.
    Wait(Duration),
    /// Nothing will change until the debugger asks for something.
    Block,
}

pub struct Chip {
    pub variant: Variant,
    pub bus: Bus,
    pub core: Core,
    pub dap: Dap,
    pub faults: Faults,
    /// NRST held low by the probe.
    pub in_reset: bool,
}

impl Chip {
    /// A chip of `variant`'s family around its family model, as after power-on.
    pub fn with_model(variant: Variant, model: Box<dyn FamilyModel>) -> Self {
        let mut chip = Chip {
            variant,
            bus: Bus::new(variant, model),
            core: Core::new(variant.family.core_config()),
            dap: Dap::new(),
            faults: Faults::default(),
            in_reset: false,
        };
        chip.power_on_reset();
        chip
    }

    pub fn core_state(&self) -> CoreState {
        if self.core.is_locked_up() {
            CoreState::LockedUp
        } else if self.core.is_halted() {
            CoreState::Halted
        } else if self.core.is_sleeping() {
            CoreState::Sleeping
        } else {
            CoreState::Running
        }
    }

    /// Whether the core executes (or sleeps, waiting for time to pass).
    pub fn running(&self) -> bool {
        !self.in_reset && matches!(self.core_state(), CoreState::Running | CoreState::Sleeping)
    }

    /// Where and why the core is locked up, while it is.
    pub fn lockup_reason(&self) -> Option<String> {
        let pc = self.core.pc();
        self.core
            .lockup_reason()
            .map(|reason| format!("at 0x{pc:08X}: {reason}"))
    }

    /// Where the core finds its vector table after a reset (F7: FLASH_OPTCR1.BOOT_ADD0, BOOT0
    /// pin low; G4: main flash through the boot alias).
    fn boot_address(&self) -> u32 {
        self.bus.model.boot_address()
    }

    /// Power-on: the FLASH interface loads its options, the peripherals and the whole core
    /// (debug registers included) reset.
    fn power_on_reset(&mut self) {
        self.bus.model.power_on(Instant::now());
        self.bus.reset_peripherals();
        self.bus.events.clear();
        let vtor = self.boot_address();
        self.core.power_on_reset(&mut self.bus, vtor);
    }

    /// System reset (AIRCR.SYSRESETREQ or NRST): the FLASH interface resets (the F7's reloads
    /// the option bytes, the G4's does not), the peripherals reset, the core fetches SP and PC
    /// from the boot address and halts there if DEMCR.VC_CORERESET is set. Debug registers,
    /// FPB, DWT and RAM keep their contents, as on silicon.
    pub fn system_reset(&mut self) {
        self.bus.model.system_reset(Instant::now());
        self.bus.reset_peripherals();
        self.bus.events.clear();
        let vtor = self.boot_address();
        self.core.system_reset(&mut self.bus, vtor);
        log::debug!(
            "sim: system reset, vector table at 0x{vtor:08X}, {}",
            if self.core.is_halted() {
                "halted (vector catch)"
            } else {
                "running"
            }
        );
    }

    /// G4 OBL_LAUNCH took effect (the options are already reloaded): the whole chip resets as
    /// at power-on, its debug block included, and the debug link drops — the host must
    /// reconnect (reference §3 step 5, §12.2).
    fn option_load_reset(&mut self) {
        log::debug!("sim: OBL_LAUNCH: option load reset, the debug link drops");
        self.bus.next_reset = super::periph::ResetCause::OptionLoad;
        self.power_on_reset();
        self.dap.drop_link();
    }

    /// Carries out what the last accesses asked of the chip: a reset the core requested
    /// (AIRCR.SYSRESETREQ, from the debugger or the firmware), the G4's option-load reset.
    fn service_events(&mut self) {
        if self.core.reset_requested() {
            self.system_reset();
        }
        for event in std::mem::take(&mut self.bus.events) {
            match event {
                ChipEvent::OptionLoadReset => self.option_load_reset(),
            }
        }
    }

    /// Runs the core for one slice, if it is running, and says what the simulator thread should
    /// do next.
    pub fn run_slice(&mut self) -> Next {
        if !self.running() {
            return Next::Block;
        }
        let stop = self.core.run(&mut self.bus, RUN_SLICE);
        let next = match stop {
            Stop::Budget => Next::Run,
            Stop::Halted(reason) => {
                if !matches!(reason, HaltReason::Request | HaltReason::Step) {
                    log::debug!("sim: core halted ({reason:?}) at 0x{:08X}", self.core.pc());
                }
                Next::Block
            }
            Stop::Sleeping { wake_in_cycles } => Next::Wait(self.idle_wait(wake_in_cycles)),
            Stop::LockedUp { pc, reason } => {
                log::info!("sim: core lockup at 0x{pc:08X}: {reason}");
                Next::Block
            }
            Stop::ResetRequested => Next::Run,
        };
        self.service_events();
        if self.running() {
            next
        } else {
            Next::Block
        }
    }

    /// How long to wait for a sleeping core: until SysTick would wake it at the clock the RCC
    /// is set to (so an idle firmware runs in real time instead of spinning the host), bounded
    /// by [`MAX_IDLE_WAIT`].
    fn idle_wait(&self, wake_in_cycles: Option<u64>) -> Duration {
        let Some(cycles) = wake_in_cycles else {
            return MAX_IDLE_WAIT;
        };
        let hz = u64::from(self.bus.core_clock_hz().max(1));
        let nanos = cycles.saturating_mul(1_000_000_000) / hz;
        Duration::from_nanos(nanos).min(MAX_IDLE_WAIT)
    }

    /// `waited` of real time passed while the core slept: its cycles at the current clock pass
    /// for SysTick, the DWT and the peripherals.
    pub fn idle(&mut self, waited: Duration) {
        if !self.running() || !self.core.is_sleeping() {
            return;
        }
        let hz = u128::from(self.bus.core_clock_hz().max(1));
        let cycles = (waited.as_nanos() * hz / 1_000_000_000) as u64;
        self.core.advance_idle(&mut self.bus, cycles.max(1));
    }

    /// A debugger memory access through the AHB-AP.
    pub fn debug_read(&mut self, address: u32, size: u32) -> Result<u32, BusError> {
        self.core.debug_read(&mut self.bus, address, size)
    }

    pub fn debug_write(&mut self, address: u32, value: u32, size: u32) -> Result<(), BusError> {
        let result = self.core.debug_write(&mut self.bus, address, value, size);
        self.service_events();
        result
    }

    /// RDP level 2 closes the debug port for good.
    pub fn debug_port_closed(&self) -> bool {
        self.bus.model.debug_port_closed()
    }

    /// NRST: held low, the core does not run; released, the chip comes out of reset.
    pub fn set_nrst(&mut self, asserted: bool) {
        if asserted {
            self.in_reset = true;
        } else if self.in_reset {
            self.in_reset = false;
            self.bus.next_reset = super::periph::ResetCause::Pin;
            self.system_reset();
        }
    }
}
