//! One simulated chip: the bus, the core and the debug port, tied together. Lives on the
//! simulator thread (see [`super::worker`]); nothing here is `Send`.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use super::bus::{scs, Bus, CoreRequest, CoreState, Initiator};
use super::cpu::{Cpu, Stop};
use super::dap::Dap;
use super::exception::Fault;
use super::family::Model;
use super::faults::Faults;
use super::flash::{Flash, OptionStore};
use super::variant::Variant;

/// Instructions run between two looks at the debugger's requests while the core runs.
pub const RUN_SLICE: usize = 20_000;

pub struct Chip {
    pub variant: Variant,
    pub bus: Rc<RefCell<Bus>>,
    pub cpu: Cpu,
    pub dap: Dap,
    pub faults: Faults,
    /// NRST held low by the probe.
    pub in_reset: bool,
    /// Set when the last stop was a lockup: what the emulator could not execute.
    pub lockup_reason: Option<String>,
}

impl Chip {
    /// An F7 chip whose option store holds `store`.
    pub fn new(variant: Variant, store: OptionStore) -> Self {
        Self::with_model(variant, Model::F7(Flash::new(variant, store)))
    }

    /// A chip of `variant`'s family around its family model.
    pub fn with_model(variant: Variant, model: Model) -> Self {
        let bus = Rc::new(RefCell::new(Bus::new(variant, model)));
        let cpu = Cpu::new(&bus);
        let mut chip = Chip {
            variant,
            bus,
            cpu,
            dap: Dap::new(),
            faults: Faults::default(),
            in_reset: false,
            lockup_reason: None,
        };
        chip.system_reset();
        chip
    }

    pub fn core_state(&self) -> CoreState {
        self.bus.borrow().core
    }

    pub fn running(&self) -> bool {
        !self.in_reset && self.core_state() == CoreState::Running
    }

    /// System reset (AIRCR.SYSRESETREQ or NRST): the FLASH interface resets (the F7's reloads
    /// the option bytes, the G4's does not), the core fetches SP and PC from the boot address
    /// (F7: FLASH_OPTCR1.BOOT_ADD0, BOOT0 pin low; G4: main flash) and halts there if
    /// DEMCR.VC_CORERESET is set. Debug registers, FPB, DWT and RAM keep their
    /// contents, as on silicon.
    pub fn system_reset(&mut self) {
        let vtor = {
            let mut bus = self.bus.borrow_mut();
            bus.flash.system_reset(Instant::now());
            bus.reset_peripherals();
            bus.requests.clear();
            bus.reset_sticky = true;
            bus.watch_hit = None;
            // The fault status and address registers reset with the core; CFSR, CCR and SHCSR
            // live in the CPU model and reset with it.
            bus.hfsr = 0;
            bus.mmfar = 0;
            bus.bfar = 0;
            bus.flash.boot_address()
        };
        self.cpu.reset(&self.bus, vtor);
        self.lockup_reason = None;
        let mut bus = self.bus.borrow_mut();
        let catch =
            bus.demcr & scs::DEMCR_VC_CORERESET != 0 && bus.dhcsr_ctrl & scs::C_DEBUGEN != 0;
        if catch {
            bus.core = CoreState::Halted;
            bus.dhcsr_ctrl |= scs::C_HALT;
            bus.dfsr |= scs::DFSR_VCATCH;
        } else {
            bus.core = CoreState::Running;
        }
        log::debug!(
            "sim: system reset, vector table at 0x{vtor:08X}, {}",
            if catch {
                "halted (vector catch)"
            } else {
                "running"
            }
        );
    }

    pub(super) fn halt_for(&mut self, dfsr: u32) {
        self.halt(dfsr);
    }

    fn halt(&mut self, dfsr: u32) {
        let mut bus = self.bus.borrow_mut();
        bus.core = CoreState::Halted;
        // Entering Debug state sets C_HALT, as on silicon; a later write of C_HALT = 0 resumes.
        bus.dhcsr_ctrl |= scs::C_HALT;
        bus.dfsr |= dfsr;
    }

    /// Carries out what the last debug writes asked of the core.
    pub fn service_requests(&mut self) {
        loop {
            let request = {
                let mut bus = self.bus.borrow_mut();
                if bus.requests.is_empty() {
                    return;
                }
                bus.requests.remove(0)
            };
            match request {
                CoreRequest::Halt => {
                    log::trace!("sim: halt request at 0x{:08X}", self.cpu.pc());
                    if self.core_state() != CoreState::Halted {
                        self.halt(scs::DFSR_HALTED);
                    }
                }
                CoreRequest::Resume { step } => {
                    log::trace!("sim: resume (step: {step}) at 0x{:08X}", self.cpu.pc());
                    if self.in_reset {
                        continue;
                    }
                    self.bus.borrow_mut().core = CoreState::Running;
                    self.lockup_reason = None;
                    if step {
                        let stop = self.cpu.run(&self.bus, 1);
                        match stop {
                            Stop::Budget => self.halt(scs::DFSR_HALTED),
                            other => self.handle_stop(other),
                        }
                        if self.core_state() == CoreState::Running {
                            self.halt(scs::DFSR_HALTED);
                        }
                    }
                }
                CoreRequest::RegisterTransfer { regsel, write } => {
                    let mut bus = self.bus.borrow_mut();
                    if write {
                        let value = bus.dcrdr;
                        drop(bus);
                        log::trace!("sim: core register {regsel} <- 0x{value:08X}");
                        if !self.cpu.write_register(regsel, value) {
                            log::debug!("sim: write to unknown core register {regsel}");
                        }
                    } else {
                        bus.dcrdr = self.cpu.read_register(regsel).unwrap_or(0);
                    }
                }
                CoreRequest::SystemReset => self.system_reset(),
                CoreRequest::OptionLoadReset => self.option_load_reset(),
            }
        }
    }

    fn handle_stop(&mut self, stop: Stop) {
        match stop {
            Stop::Budget => {}
            Stop::Bkpt(pc) if self.bus.borrow().dhcsr_ctrl & scs::C_DEBUGEN == 0 => {
                // With halting debug disabled a BKPT escalates to HardFault (HFSR.DEBUGEVT).
                self.take_fault(Fault::DebugEvent { pc })
            }
            Stop::Bkpt(_) | Stop::Breakpoint(_) => self.halt(scs::DFSR_BKPT),
            Stop::Fault(fault) => self.take_fault(fault),
            Stop::Watchpoint(_) => self.halt(scs::DFSR_DWTTRAP),
            Stop::ResetRequest => self.system_reset(),
            Stop::Lockup(what) => {
                self.bus.borrow_mut().core = CoreState::LockedUp;
                self.lockup_reason = Some(what);
            }
        }
    }

    /// Runs the core for one slice, if it is running.
    pub fn run_slice(&mut self) {
        if !self.running() {
            return;
        }
        let stop = self.cpu.run(&self.bus, RUN_SLICE);
        self.handle_stop(stop);
        self.service_requests();
    }

    /// A debugger memory access through the AHB-AP.
    pub fn debug_read(&mut self, address: u32, size: u32) -> Result<u32, super::bus::BusError> {
        if held_by_cpu_model(address) {
            let word = self.cpu.scb_word(address & !3);
            return Ok((word >> (8 * (address & 3))) & size_mask(size));
        }
        self.bus.borrow_mut().read(address, size, Initiator::Debug)
    }

    pub fn debug_write(
        &mut self,
        address: u32,
        value: u32,
        size: u32,
    ) -> Result<(), super::bus::BusError> {
        if held_by_cpu_model(address) {
            let word_address = address & !3;
            let shift = 8 * (address & 3);
            let lanes = size_mask(size) << shift;
            let value = (value << shift) & lanes;
            let old = self.cpu.scb_word(word_address);
            let new = if word_address == scs::CFSR {
                old & !value // write-1-to-clear
            } else {
                (old & !lanes) | value
            };
            self.cpu.set_scb_word(word_address, new);
            return Ok(());
        }
        let result = self
            .bus
            .borrow_mut()
            .write(address, value, size, Initiator::Debug);
        self.service_requests();
        result
    }

    /// RDP level 2 closes the debug port for good.
    pub fn debug_port_closed(&self) -> bool {
        self.bus.borrow().flash.debug_port_closed()
    }

    /// NRST: held low, the core does not run; released, the chip comes out of reset.
    pub fn set_nrst(&mut self, asserted: bool) {
        if asserted {
            self.in_reset = true;
        } else if self.in_reset {
            self.in_reset = false;
            self.bus.borrow_mut().next_reset = super::periph::ResetCause::Pin;
            self.system_reset();
        }
    }
}

/// The system-control registers the CPU model keeps (it reads and writes them itself), so the
/// debugger reaches the same copy.
fn held_by_cpu_model(address: u32) -> bool {
    matches!(address & !3, scs::CCR | scs::SHCSR | scs::CFSR)
        || (scs::SHPR1..=scs::SHPR3).contains(&(address & !3))
}

fn size_mask(size: u32) -> u32 {
    match size {
        1 => 0xFF,
        2 => 0xFFFF,
        _ => 0xFFFF_FFFF,
    }
}
