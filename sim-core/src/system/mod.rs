//! The system level of the core: the memory-mapped registers the architecture defines (System
//! Control Space with SCB, NVIC, SysTick, MPU, FP and Cortex-M7 cache registers; DWT; FPB; the
//! bit-band aliases), the exception model (priorities, pending/active state, entry and return,
//! faults, escalation and lockup), sleep, time, halting debug and the run loop.
//!
//! Written from the ARMv7-M ARM (DDI0403E) B1.5, B3.2–B3.5, C1.4–C1.11, and the ARMv6-M ARM
//! where `Config::arch` is `Arch::V6M`.
//!
//! # The API a chip uses
//!
//! ```text
//! let mut core = Core::new(Config::cortex_m7_dp());
//! core.power_on_reset(&mut bus, boot_address);   // everything, debug registers included
//! loop {
//!     match core.run(&mut bus, slice) {
//!         Stop::Budget => {}                                   // keep going
//!         Stop::Halted(reason) => { /* debugger's turn */ }    // core.is_halted()
//!         Stop::Sleeping { wake_in_cycles } => {
//!             // WFI/WFE/sleep-on-exit: nothing to execute. Wait (host time) until a
//!             // peripheral raises a line or `wake_in_cycles` (SysTick) pass, then
//!             core.advance_idle(&mut bus, cycles_waited);
//!         }
//!         Stop::LockedUp { pc, reason } => { /* stays locked up until reset or halt */ }
//!         Stop::ResetRequested => {                             // AIRCR.SYSRESETREQ
//!             /* reset the peripherals */ core.system_reset(&mut bus, boot_address);
//!         }
//!     }
//! }
//! // Debugger accesses through the AHB-AP (core registers here, the rest to `bus` with
//! // Initiator::Debug, bit-band aliases translated):
//! core.debug_read(&mut bus, address, size); core.debug_write(&mut bus, address, value, size);
//! ```
//!
//! - Time: `core.cycles` counts one cycle per instruction and the cycles passed with
//!   [`Core::advance_idle`]. The chip's [`Bus::advance`] is called with the cycles passed at
//!   least every [`run::TIME_QUANTUM`] cycles and whenever `run` returns. At the same points
//!   [`Bus::irq_lines_changed`] is asked, and [`Bus::irq_lines`] read when it says so; the
//!   lines are also read after every exception return (level-sensitive lines pend again).
//! - Interrupts: the chip's lines come through [`Bus::irq_lines`]. [`Core::pend_irq`],
//!   [`Core::pend_nmi`] and [`Core::pend_exception`] pend directly (tests, NMI sources).
//! - State: [`Core::is_halted`], [`Core::halt_reason`], [`Core::is_locked_up`],
//!   [`Core::lockup_reason`], [`Core::is_sleeping`], [`Core::reset_requested`] (check it after
//!   a debugger write too: the debugger resets a halted core through AIRCR);
//!   [`Core::external_debug_request`] (EDBGRQ).
//!
//! - Interrupt lines are level-sensitive (B3.4.1): an asserted line pends its interrupt unless
//!   it is active, a line rising while it is active pends it again, NVIC_ICPR cannot clear an
//!   asserted line, and a line still asserted at the exception return pends it again.
//! - Budget: `run(bus, n)` runs at most n cycles' worth of instructions (one cycle each, a
//!   breakpoint hit included). `run(bus, 0)` only takes what is pending.
//!
//! Choices where the architecture leaves room, or where the simulator simplifies:
//! - Tail-chaining is an exception return followed by an entry: the same frame is written
//!   again with the same values, so SP, frame and EXC_RETURN are those silicon produces.
//! - A derived fault on entry (stacking) is made pending and compared with the exception being
//!   entered; one on return (unstacking, INVPC) is taken at once without stacking, LR = the
//!   EXC_RETURN (B1.5.8 pseudo-code).
//! - Lockup keeps the PC on the instruction that could not go on (silicon's PC reads
//!   0xFFFF_FFFE), for the debugger; only a reset or a halt ends it (an NMI does not).
//! - AIRCR.VECTRESET (while halted) asks for a reset as SYSRESETREQ does.
//! - After a system reset the core runs unless DEMCR.VC_CORERESET halts it (C_HALT cleared).
//! - The debugger's DebugReturnAddress (REGSEL 15) write clears bit 0; EPSR.T is set through
//!   xPSR (REGSEL 16).
//! - A BKPT or FPB match with halting debug off sets DFSR.BKPT as well as HFSR.DEBUGEVT.
//! - ARMv6-M (`Config::cortex_m0plus`): every fault is a HardFault; the registers ARMv6-M lacks
//!   are reserved addresses (read as zero, writes ignored); a byte or halfword access to the
//!   core's registers (UNPREDICTABLE there) reads as zero and writes nothing, and the core's own
//!   accesses to the debug registers (SHCSR, DFSR, DHCSR, DCRSR, DCRDR, DEMCR, DWT, BPU) read as
//!   zero and write nothing, as on the Cortex-M0/M0+ (see [`v6m`]). The exception returns
//!   ARMv6-M calls UNPREDICTABLE (an EXC_RETURN that is not 0xFFFFFFF1/F9/FD, a return to
//!   Thread mode with other exceptions active, a stacked IPSR that does not match the mode)
//!   are taken as HardFaults, where ARMv7-M's checks raise INVPC.
//!
//! What is not modelled (and says so where it matters): MPU enforcement ([`mpu`]), flash
//! patching ([`fpb`]), DWT trace packets, data-value matching and profiling counters ([`dwt`]),
//! lazy FP state preservation (stacked eagerly, see [`entry`]), CCR.BFHFNMIGN (stored; a bus
//! fault at priority -1 or above locks up as with the bit clear), the Debug Monitor's stepping
//! (DEMCR.MON_STEP), caches (maintenance operations are accepted and do nothing), SysTick's
//! CLKSOURCE (it always counts core cycles, see [`systick`]), the CPUID-scheme ID registers
//! (ID_PFR0…ID_ISAR4 read as zero), AFSR (reads as zero).

pub mod bitband;
pub mod debug;
pub mod dwt;
pub mod entry;
pub mod exceptions;
pub mod fault;
pub mod fpb;
pub mod ids;
pub mod mpu;
pub mod run;
pub mod scs;
pub mod special;
pub mod systick;
pub mod v6m;

use crate::bus::{Bus, BusError, Initiator};
use crate::config::Config;
use crate::core::{size_mask, Core};
use crate::regs::{FpRegs, Regs};

use self::debug::{demcr, dfsr, Debug};
use self::dwt::Dwt;
use self::entry::fpccr;
use self::exceptions::{number, Exceptions};
use self::fault::FaultStatus;
use self::fpb::Fpb;
use self::mpu::Mpu;
use self::scs::Accessor;
use self::systick::SysTick;

/// SCB_CCR bits (B3.2.8).
pub mod ccr {
    pub const NONBASETHRDENA: u32 = 1 << 0;
    pub const USERSETMPEND: u32 = 1 << 1;
    pub const UNALIGN_TRP: u32 = 1 << 3;
    pub const DIV_0_TRP: u32 = 1 << 4;
    pub const BFHFNMIGN: u32 = 1 << 8;
    pub const STKALIGN: u32 = 1 << 9;
    /// Cortex-M7: L1 data cache, instruction cache, branch prediction enables.
    pub const DC: u32 = 1 << 16;
    pub const IC: u32 = 1 << 17;
    pub const BP: u32 = 1 << 18;
}

/// SCB_SCR bits (B3.2.7).
pub mod scr {
    pub const SLEEPONEXIT: u32 = 1 << 1;
    pub const SLEEPDEEP: u32 = 1 << 2;
    pub const SEVONPEND: u32 = 1 << 4;
    pub const MASK: u32 = SLEEPONEXIT | SLEEPDEEP | SEVONPEND;
}

/// CPACR.CP10 `[21:20]` and CP11 `[23:22]` (B3.2.20).
pub const CPACR_CP10_CP11: u32 = 0xF << 20;
/// FPDSCR: AHP, DN, FZ, RMode (B3.2.22).
pub const FPDSCR_MASK: u32 = 0x07C0_0000;

/// The private peripheral bus (B3.1).
const PPB: u32 = 0xE000_0000;
const PPB_END: u32 = 0xE010_0000;
/// The ITM's 4 KB block (0xE000_0000), by address >> 12.
const ITM_BLOCK: u32 = 0xE0000;

/// Why [`Core::run`] returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    /// The budget ran out; the core keeps running.
    Budget,
    /// The core is in Debug state (DHCSR.S_HALT).
    Halted(HaltReason),
    /// The core sleeps (WFI, WFE, sleep-on-exit; DHCSR.S_SLEEP) and executes nothing until
    /// an interrupt or event wakes it. `wake_in_cycles`: core cycles until SysTick would pend
    /// its exception, `None` when nothing in the core will wake it (only the chip's lines or
    /// a debugger can).
    Sleeping { wake_in_cycles: Option<u64> },
    /// The core is locked up (DHCSR.S_LOCKUP): a fault it could not take, or an instruction
    /// the simulator cannot execute. `pc` is the instruction's address.
    LockedUp { pc: u32, reason: String },
    /// Software wrote AIRCR.SYSRESETREQ: the chip resets its peripherals and calls
    /// [`Core::system_reset`].
    ResetRequested,
}

/// Why the core entered Debug state (and the DFSR bit it set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HaltReason {
    /// DHCSR.C_HALT was written (DFSR.HALTED).
    Request,
    /// A single step completed (DFSR.HALTED).
    Step,
    /// A BKPT instruction (DFSR.BKPT); the PC is on it. The immediate is there for the
    /// chip (semihosting uses BKPT 0xAB).
    Bkpt(u8),
    /// An FPB comparator matched the instruction at the PC (DFSR.BKPT); it has not executed.
    Breakpoint,
    /// A DWT comparator matched (DFSR.DWTTRAP): after a data access's instruction, or before
    /// an instruction address match's instruction.
    Watchpoint,
    /// Vector catch (DFSR.VCATCH): the PC is the handler's first instruction (the frame is
    /// stacked), or the reset vector.
    VectorCatch,
    /// The external debug request (DFSR.EXTERNAL).
    External,
}

/// The lockup state: where and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedUp {
    pub pc: u32,
    pub reason: String,
}

/// How the core went to sleep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sleep {
    Wfi,
    Wfe,
    /// SCR.SLEEPONEXIT on the return to Thread mode (woken as by WFI).
    OnExit,
}

/// The state behind the memory-mapped system registers, the exceptions, debug and the run
/// loop.
#[derive(Debug, Clone)]
pub struct System {
    /// SCB_CCR.
    pub ccr: u32,
    /// SCB_CPACR (CP10 `[21:20]`, CP11 `[23:22]`).
    pub cpacr: u32,
    /// FPCCR, FPCAR, FPDSCR (B3.2.20–B3.2.22).
    pub fpccr: u32,
    pub fpcar: u32,
    pub fpdscr: u32,
    /// SCB_VTOR.
    pub vtor: u32,
    /// SCB_SCR.
    pub scr: u32,
    /// ACTLR: stored, no effect.
    pub actlr: u32,
    /// CSSELR (Cortex-M7).
    pub csselr: u32,
    /// Cortex-M7 ITCMCR, DTCMCR, AHBPCR, CACR, AHBSCR, (reserved), ABFSR: stored, no effect.
    pub m7_control: [u32; 7],
    /// CFSR, HFSR, MMFAR, BFAR.
    pub status: FaultStatus,
    pub exceptions: Exceptions,
    pub systick: SysTick,
    pub dwt: Dwt,
    pub fpb: Fpb,
    pub mpu: Mpu,
    pub debug: Debug,
    /// The event register (B1.5.18).
    pub event: bool,
    /// Set whenever the run loop must look at something before the next instruction.
    pub(crate) attention: bool,
    /// The core cycle at which the run loop next looks at time (bus, lines, SysTick).
    pub(crate) deadline: u64,
    /// The core cycle up to which the bus has been told time passed.
    pub(crate) bus_time: u64,
    pub(crate) sleep: Option<Sleep>,
    /// WFI/WFE/sleep-on-exit asked for by the instruction (or return) just completed.
    pub(crate) sleep_request: Option<Sleep>,
    pub(crate) reset_requested: bool,
    pub(crate) lockup: Option<LockedUp>,
    /// The interrupt lines must be sampled whether or not the bus says they changed (after a
    /// reset cleared the pending state of lines still asserted).
    pub(crate) lines_stale: bool,
    /// A DWT comparator watches data accesses (DEMCR.TRCENA set).
    pub(crate) data_watch: bool,
    /// An FPB comparator or a DWT instruction-address comparator is armed.
    pub(crate) code_watch: bool,
    /// System exceptions (bit n = exception n) whose entry halts for vector catch: armed when
    /// a fault whose DEMCR VC_* bit is set is raised.
    pub(crate) vector_catch: u32,
    /// A sub-word access to a word-only register (ARMv6-M) has been logged.
    pub(crate) subword_logged: bool,
}

impl System {
    pub fn new(config: &Config) -> System {
        let mut sys = System {
            ccr: 0,
            cpacr: 0,
            fpccr: 0,
            fpcar: 0,
            fpdscr: 0,
            vtor: 0,
            scr: 0,
            actlr: 0,
            csselr: 0,
            m7_control: [0; 7],
            status: FaultStatus::default(),
            exceptions: Exceptions::new(config),
            systick: SysTick::default(),
            dwt: Dwt::new(config),
            fpb: Fpb::new(config),
            mpu: Mpu::default(),
            debug: Debug::default(),
            event: false,
            attention: true,
            deadline: 0,
            bus_time: 0,
            sleep: None,
            sleep_request: None,
            reset_requested: false,
            lockup: None,
            lines_stale: true,
            data_watch: false,
            code_watch: false,
            vector_catch: 0,
            subword_logged: false,
        };
        sys.reset_core_state(config, 0);
        sys.debug.power_on_reset();
        sys
    }

    /// The reset of everything but the debug registers, FPB and DWT (B1.5.5, C1.4).
    fn reset_core_state(&mut self, config: &Config, now: u64) {
        self.ccr = scs::ccr_reset(config);
        self.cpacr = 0;
        self.fpccr = if config.has_fpu() { fpccr::RESET } else { 0 };
        self.fpcar = 0;
        self.fpdscr = 0;
        self.vtor = 0;
        self.scr = 0;
        self.actlr = 0;
        self.csselr = 0;
        self.m7_control = [0; 7];
        self.status = FaultStatus::default();
        self.exceptions.reset();
        // DEMCR.MON_EN survives a system reset with the rest of DEMCR.
        self.exceptions.monitor_enabled = self.debug.demcr & demcr::MON_EN != 0;
        self.systick.reset(now);
        self.mpu.reset();
        self.event = false;
        self.attention = true;
        self.deadline = now;
        self.sleep = None;
        self.sleep_request = None;
        self.reset_requested = false;
        self.lockup = None;
        self.lines_stale = true;
        self.vector_catch = 0;
        self.update_watch_flags();
    }

    /// CCR.UNALIGN_TRP: every unaligned access faults.
    #[inline]
    pub fn unaligned_trap(&self) -> bool {
        self.ccr & ccr::UNALIGN_TRP != 0
    }

    /// CCR.DIV_0_TRP: SDIV/UDIV by zero faults (else the result is 0).
    #[inline]
    pub fn divide_by_zero_trap(&self) -> bool {
        self.ccr & ccr::DIV_0_TRP != 0
    }

    /// A data access by the core, for the DWT comparators (costs one test when none watches).
    #[inline]
    pub fn watch_data(&mut self, address: u32, size: u32, write: bool) {
        if self.data_watch && self.dwt.match_data(address, size, write) {
            self.attention = true;
        }
    }

    /// The current execution priority (B1.5.4): lower is more urgent; 256 in Thread mode with
    /// no mask set.
    pub fn execution_priority(&self, regs: &Regs) -> i16 {
        self.exceptions.execution_priority(regs)
    }

    /// Re-decides which per-access and per-instruction checks the debug units need.
    pub(crate) fn update_watch_flags(&mut self) {
        let trcena = self.debug.trcena();
        self.data_watch = trcena && self.dwt.watches_data();
        self.code_watch = self.fpb.active() || (trcena && self.dwt.watches_code());
    }

    /// An interrupt went from not pending to pending: with SCR.SEVONPEND that is an event
    /// (B1.5.18); the run loop looks at it before the next instruction.
    pub(crate) fn interrupt_became_pending(&mut self) {
        if self.scr & scr::SEVONPEND != 0 {
            self.event = true;
        }
        self.attention = true;
    }
}

/// Whether the core itself handles the core's accesses to `address` rather than the chip's
/// bus: the private peripheral bus 0xE000_0000–0xE00F_FFFF (its DWT, FPB and SCS blocks are
/// the core's registers; the rest — ITM, TPIU, ETM, ROM tables, vendor blocks such as DBGMCU —
/// is passed on to the bus after the privilege check the architecture makes for the whole
/// PPB) and the bit-band aliases where the core has them. Called for every load and store:
/// two comparisons on the common path.
#[inline]
pub fn claims(config: &Config, address: u32) -> bool {
    if address >= PPB {
        address < PPB_END
    } else {
        config.bitband && bitband::is_alias(address)
    }
}

/// Whether `address` is in a block whose registers the core holds (DWT, FPB, SCS).
#[inline]
fn core_block(address: u32) -> bool {
    matches!(address >> 12, 0xE0001 | 0xE0002 | 0xE000E)
}

/// Unprivileged accesses to the private peripheral bus are BusFaults (B3.2.1, B3.4.6), except
/// STIR with CCR.USERSETMPEND, and the ITM block, whose stimulus ports the ITM itself guards
/// (ITM_TPR), so the chip decides.
fn unprivileged_allowed(core: &Core, address: u32, write: bool) -> bool {
    (write && address & !3 == scs::address::STIR && core.sys.ccr & ccr::USERSETMPEND != 0)
        || address >> 12 == ITM_BLOCK
}

/// Whether a byte or halfword access to a register the core holds is ignored: ARMv6-M allows
/// word accesses only (see [`v6m`]); it reads as zero and writes nothing. Logged once.
fn subword_ignored(core: &mut Core, address: u32, size: u32) -> bool {
    if size == 4 || !v6m::word_accesses_only(&core.config) {
        return false;
    }
    if !core.sys.subword_logged {
        core.sys.subword_logged = true;
        log::warn!(
            "a {size}-byte access to the system register at 0x{address:08X}: ARMv6-M allows word \
             accesses only (byte and halfword accesses are UNPREDICTABLE); it reads as zero and \
             writes nothing, as Cortex-M0/M0+ silicon has been seen to do (logged once)"
        );
    }
    true
}

/// A read by the core of an address it [`claims`] (aligned to `size`).
pub fn cpu_read(
    core: &mut Core,
    bus: &mut dyn Bus,
    address: u32,
    size: u32,
    privileged: bool,
) -> Result<u32, BusError> {
    if address < PPB {
        return bitband::read(bus, address, size, Initiator::Cpu);
    }
    if !privileged && !unprivileged_allowed(core, address, false) {
        return Err(BusError { address });
    }
    if !core_block(address) {
        return bus.read(address, size, Initiator::Cpu);
    }
    if subword_ignored(core, address, size) {
        return Ok(0);
    }
    let word = scs::read_word(core, address & !3, Accessor::Cpu);
    Ok((word >> (8 * (address & 3))) & size_mask(size))
}

/// A write by the core to an address it [`claims`] (aligned to `size`, `value` already
/// masked to it).
pub fn cpu_write(
    core: &mut Core,
    bus: &mut dyn Bus,
    address: u32,
    value: u32,
    size: u32,
    privileged: bool,
) -> Result<(), BusError> {
    if address < PPB {
        return bitband::write(bus, address, value, size, Initiator::Cpu);
    }
    if !privileged && !unprivileged_allowed(core, address, true) {
        return Err(BusError { address });
    }
    if !core_block(address) {
        return bus.write(address, value, size, Initiator::Cpu);
    }
    if subword_ignored(core, address, size) {
        return Ok(());
    }
    let shift = 8 * (address & 3);
    let lanes = size_mask(size) << shift;
    scs::write_word(
        core,
        bus,
        address & !3,
        value << shift,
        lanes,
        Accessor::Cpu,
    );
    Ok(())
}

impl Core {
    /// Power-on reset: the core, the system registers and the debug registers (DHCSR, DEMCR,
    /// DFSR, FPB, DWT) all reset; SP and PC come from the vector table at `vtor` (the chip's
    /// boot address, which VTOR resets to). DHCSR.S_RESET_ST is set.
    pub fn power_on_reset(&mut self, bus: &mut dyn Bus, vtor: u32) {
        self.cycles = 0;
        self.sys = System::new(&self.config);
        self.take_reset(bus, vtor);
    }

    /// System reset (AIRCR.SYSRESETREQ, NRST): the core and the System Control Space reset;
    /// the debug registers (DHCSR's C_DEBUGEN and C_MASKINTS, DEMCR, DFSR, DCRDR), the FPB and
    /// the DWT keep their values as on silicon (C1.4). S_RESET_ST is set, and with
    /// DEMCR.VC_CORERESET (and C_DEBUGEN) the core halts at the reset vector.
    pub fn system_reset(&mut self, bus: &mut dyn Bus, vtor: u32) {
        let now = self.cycles;
        let config = self.config;
        self.sys.reset_core_state(&config, now);
        let d = &mut self.sys.debug;
        d.dhcsr &= debug::dhcsr::C_DEBUGEN | debug::dhcsr::C_MASKINTS;
        d.halted = None;
        d.code_break_pc = None;
        d.skip_code_watch_at = None;
        d.reset_st = true;
        self.take_reset(bus, vtor);
    }

    /// Reset as the skeleton named it: a power-on reset.
    pub fn reset(&mut self, bus: &mut dyn Bus, vtor: u32) {
        self.power_on_reset(bus, vtor);
    }

    /// TakeReset (B1.5.5) after the system state has been reset.
    fn take_reset(&mut self, bus: &mut dyn Bus, vtor: u32) {
        self.regs = Regs::default();
        self.fp = FpRegs::default();
        self.next_pc = 0;
        self.pending_exception_return = None;
        self.exclusive = None;
        self.sys.vtor = vtor & scs::vtor_mask(&self.config);
        self.sys.bus_time = self.cycles;
        self.sys.deadline = self.cycles;
        self.sys.debug.reset_st = true;
        let table = self.sys.vtor;
        let sp = bus.read(table, 4, Initiator::Cpu);
        let pc = bus.read(table.wrapping_add(4), 4, Initiator::Cpu);
        self.regs.r[14] = 0xFFFF_FFFF;
        match (sp, pc) {
            (Ok(sp), Ok(pc)) => {
                self.regs.r[13] = sp & !3;
                self.regs.thumb = pc & 1 != 0;
                self.regs.r[15] = pc & !1;
            }
            _ => {
                self.lock_up(format!("the reset vectors at 0x{table:08X} cannot be read"));
                return;
            }
        }
        if self.sys.debug.debug_enabled() && self.sys.debug.demcr & demcr::VC_CORERESET != 0 {
            self.halt(HaltReason::VectorCatch, dfsr::VCATCH);
        }
    }

    /// A debugger read through the AHB-AP: the core's registers, the bit-band aliases, and
    /// everything else from `bus` with [`Initiator::Debug`].
    pub fn debug_read(
        &mut self,
        bus: &mut dyn Bus,
        address: u32,
        size: u32,
    ) -> Result<u32, BusError> {
        if !matches!(size, 1 | 2 | 4) {
            return Err(BusError { address });
        }
        if address & (size - 1) != 0 {
            let mut value = 0;
            for i in 0..size {
                value |= self.debug_read(bus, address.wrapping_add(i), 1)? << (8 * i);
            }
            return Ok(value);
        }
        if self.config.bitband && bitband::is_alias(address) {
            return bitband::read(bus, address, size, Initiator::Debug);
        }
        if !core_block(address) {
            return bus.read(address, size, Initiator::Debug);
        }
        if subword_ignored(self, address, size) {
            return Ok(0);
        }
        let word = scs::read_word(self, address & !3, Accessor::Debugger);
        Ok((word >> (8 * (address & 3))) & size_mask(size))
    }

    /// A debugger write through the AHB-AP (see [`Core::debug_read`]). A DHCSR write that
    /// steps the core runs the step before returning.
    pub fn debug_write(
        &mut self,
        bus: &mut dyn Bus,
        address: u32,
        value: u32,
        size: u32,
    ) -> Result<(), BusError> {
        if !matches!(size, 1 | 2 | 4) {
            return Err(BusError { address });
        }
        if address & (size - 1) != 0 {
            for i in 0..size {
                self.debug_write(bus, address.wrapping_add(i), value >> (8 * i), 1)?;
            }
            return Ok(());
        }
        let value = value & size_mask(size);
        if self.config.bitband && bitband::is_alias(address) {
            return bitband::write(bus, address, value, size, Initiator::Debug);
        }
        if !core_block(address) {
            return bus.write(address, value, size, Initiator::Debug);
        }
        if subword_ignored(self, address, size) {
            return Ok(());
        }
        let shift = 8 * (address & 3);
        let lanes = size_mask(size) << shift;
        scs::write_word(
            self,
            bus,
            address & !3,
            value << shift,
            lanes,
            Accessor::Debugger,
        );
        Ok(())
    }

    /// Whether the core is in Debug state.
    pub fn is_halted(&self) -> bool {
        self.sys.debug.halted.is_some()
    }

    pub fn halt_reason(&self) -> Option<HaltReason> {
        self.sys.debug.halted
    }

    pub fn is_locked_up(&self) -> bool {
        self.sys.lockup.is_some()
    }

    /// Why the core locked up, while it is.
    pub fn lockup_reason(&self) -> Option<&str> {
        self.sys.lockup.as_ref().map(|l| l.reason.as_str())
    }

    pub fn is_sleeping(&self) -> bool {
        self.sys.sleep.is_some()
    }

    /// Whether AIRCR.SYSRESETREQ (or VECTRESET) was written and the chip has not reset yet.
    /// `run` reports it as [`Stop::ResetRequested`] even while halted; a chip that does not
    /// call `run` on a halted core checks this after each [`Core::debug_write`] (probe-rs
    /// halts, sets VC_CORERESET and writes SYSRESETREQ from the debugger).
    pub fn reset_requested(&self) -> bool {
        self.sys.reset_requested
    }

    /// Makes external interrupt `irq` pending (as NVIC_ISPR does).
    pub fn pend_irq(&mut self, irq: u16) {
        self.pend_exception(number::IRQ0.saturating_add(irq));
    }

    /// Makes NMI pending (the chip's NMI source, or ICSR.NMIPENDSET).
    pub fn pend_nmi(&mut self) {
        self.pend_exception(number::NMI);
    }

    /// Makes exception `n` pending (ignored for numbers the core does not have).
    pub fn pend_exception(&mut self, n: u16) {
        if self.sys.exceptions.set_pending(n) && n >= number::PENDSV {
            self.sys.interrupt_became_pending();
        }
        self.sys.attention = true;
    }

    /// SVC #imm has executed: SVCall is taken before the next instruction, or — when its
    /// priority does not preempt — HardFault (HFSR.FORCED), or lockup at priority -1 or
    /// above (B1.5.4).
    pub fn supervisor_call(&mut self, _imm: u8) {
        self.raise_fault(fault::Fault::supervisor_call());
    }

    /// WFI has executed: the core sleeps unless an exception that would preempt if PRIMASK
    /// were clear is pending (B1.5.19).
    pub fn wait_for_interrupt(&mut self) {
        self.sys.sleep_request = Some(Sleep::Wfi);
        self.sys.attention = true;
    }

    /// WFE has executed: a set event register is cleared and the core goes on; otherwise it
    /// sleeps until an event or an exception it would take (B1.5.18).
    pub fn wait_for_event(&mut self) {
        self.sys.sleep_request = Some(Sleep::Wfe);
        self.sys.attention = true;
    }

    /// SEV has executed: it sets the event register (of this, the only, core).
    pub fn send_event(&mut self) {
        self.sys.event = true;
    }
}
