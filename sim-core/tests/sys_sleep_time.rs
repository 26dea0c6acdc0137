//! Sleep (WFI, WFE, SEV, SLEEPONEXIT, SEVONPEND; ARMv7-M ARM B1.5.18–B1.5.19) and time
//! (SysTick B3.3, DWT_CYCCNT C1.8.8, the chip's `Bus::advance`). WFI/WFE/SEV are driven
//! through the hooks their instructions call; time through `Core::cycles` and
//! `Core::advance_idle`.

mod sys_support;

use sim_core::{Config, Core, Stop};
use sys_support::*;

const SCR_SLEEPONEXIT: u32 = 1 << 1;
const SCR_SEVONPEND: u32 = 1 << 4;

/// SysTick counting core cycles with TICKINT, reload `rvr`.
fn start_systick(core: &mut Core, bus: &mut dyn sim_core::Bus, rvr: u32) {
    wr(core, bus, reg::SYST_RVR, rvr);
    wr(core, bus, reg::SYST_CVR, 0);
    wr(core, bus, reg::SYST_CSR, 0b111);
}

#[test]
fn systick_pends_and_is_taken_when_it_wraps() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[]);
    start_systick(&mut core, &mut bus, 99);
    // A period is RELOAD + 1 = 100 cycles.
    core.cycles += 99;
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 0);
    assert_eq!(rd(&mut core, &mut bus, reg::SYST_CVR), 1);
    core.cycles += 1;
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 15);
    assert_eq!(core.pc(), handler(15));
    assert_ne!(
        rd(&mut core, &mut bus, reg::SYST_CSR) & (1 << 16),
        0,
        "COUNTFLAG"
    );
}

#[test]
fn the_chip_sees_the_cycles_that_passed() {
    let (core, mem) = boot(Config::cortex_m4f(), &[]);
    let mut core = core;
    let mut bus = LineBus::new(mem);
    core.cycles += 1234;
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert_eq!(bus.advanced, 1234);
    core.advance_idle(&mut bus, 66);
    assert_eq!(bus.advanced, 1300);
    assert_eq!(core.cycles, 1300);
}

#[test]
fn wfi_sleeps_until_an_interrupt_and_the_handler_returns_after_the_wfi() {
    let (core, mem) = boot(Config::cortex_m4f(), &[]);
    let mut core = core;
    let mut bus = LineBus::new(mem);
    wr(&mut core, &mut bus, reg::ISER0, 1 << 7);
    // WFI at CODE has executed: the PC is on the next instruction.
    core.regs.r[15] = CODE + 2;
    core.wait_for_interrupt();
    assert_eq!(
        core.run(&mut bus, 100),
        Stop::Sleeping {
            wake_in_cycles: None
        }
    );
    assert!(core.is_sleeping());
    assert_ne!(rd(&mut core, &mut bus, reg::DHCSR) & S_SLEEP, 0);
    // Nothing happens while asleep.
    assert!(matches!(core.run(&mut bus, 100), Stop::Sleeping { .. }));
    assert_eq!(core.pc(), CODE + 2);
    bus.set_line(7, true);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert!(!core.is_sleeping());
    assert_eq!(core.regs.ipsr, 16 + 7);
    assert_eq!(ram(&mut bus.mem, core.regs.r[13] + 0x18), CODE + 2);
}

#[test]
fn a_sleeping_core_reports_when_systick_will_wake_it() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[]);
    start_systick(&mut core, &mut bus, 999);
    core.wait_for_interrupt();
    assert_eq!(
        core.run(&mut bus, 10),
        Stop::Sleeping {
            wake_in_cycles: Some(1000)
        }
    );
    core.advance_idle(&mut bus, 600);
    assert_eq!(
        core.run(&mut bus, 10),
        Stop::Sleeping {
            wake_in_cycles: Some(400)
        }
    );
    core.advance_idle(&mut bus, 400);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert_eq!(core.regs.ipsr, 15);
}

#[test]
fn wfi_wakes_with_primask_set_without_taking_the_interrupt() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    wr(&mut core, &mut bus, reg::ISER0, 1);
    core.regs.primask = true;
    core.wait_for_interrupt();
    assert!(matches!(core.run(&mut bus, 0), Stop::Sleeping { .. }));
    core.pend_irq(0);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert!(!core.is_sleeping());
    assert_eq!(core.regs.ipsr, 0);
    // An interrupt masked by BASEPRI does not wake WFI.
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    wr(&mut core, &mut bus, reg::ISER0, 1);
    core.debug_write(&mut bus, reg::IPR0, 0x80, 1).expect("IPR");
    core.regs.basepri = 0x40;
    core.wait_for_interrupt();
    core.pend_irq(0);
    assert!(matches!(core.run(&mut bus, 0), Stop::Sleeping { .. }));
}

#[test]
fn wfe_consumes_the_event_register_and_sev_sets_it() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    // The event register is clear after reset: WFE sleeps.
    core.wait_for_event();
    assert!(matches!(core.run(&mut bus, 0), Stop::Sleeping { .. }));
    core.halt_and_resume_for_test(&mut bus);
    // HAL's `__SEV(); __WFE(); __WFE();`: the first WFE returns at once, the second sleeps.
    core.send_event();
    core.wait_for_event();
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert!(!core.sys.event);
    core.wait_for_event();
    assert!(matches!(core.run(&mut bus, 0), Stop::Sleeping { .. }));
}

#[test]
fn exception_entry_and_return_set_the_event_register() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    wr(&mut core, &mut bus, reg::ICSR, 1 << 28);
    service(&mut core, &mut bus);
    core.sys.event = false;
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert!(core.sys.event);
    core.wait_for_event();
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
}

#[test]
fn sevonpend_makes_a_new_pending_interrupt_an_event() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    // IRQ 3 is disabled: pending it cannot be taken.
    core.wait_for_event();
    assert!(matches!(core.run(&mut bus, 0), Stop::Sleeping { .. }));
    core.pend_irq(3);
    assert!(matches!(core.run(&mut bus, 0), Stop::Sleeping { .. }));
    wr(&mut core, &mut bus, reg::SCR, SCR_SEVONPEND);
    core.pend_irq(4);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert!(!core.is_sleeping());
    assert_eq!(core.regs.ipsr, 0);
}

#[test]
fn sleeponexit_sleeps_on_the_return_to_thread_mode() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    wr(&mut core, &mut bus, reg::SCR, SCR_SLEEPONEXIT);
    wr(&mut core, &mut bus, reg::ISER0, 1);
    wr(&mut core, &mut bus, reg::ICSR, 1 << 28);
    service(&mut core, &mut bus);
    assert_eq!(core.regs.ipsr, 14);
    // With another exception pending the return tail-chains instead of sleeping.
    core.pend_irq(0);
    core.regs.primask = false;
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert_eq!(core.regs.ipsr, 16);
    core.exception_return(&mut bus, 0xFFFF_FFF9);
    assert!(matches!(core.run(&mut bus, 0), Stop::Sleeping { .. }));
    assert_eq!(core.regs.ipsr, 0);
    assert_eq!(core.pc(), CODE);
    core.pend_irq(0);
    assert_eq!(core.run(&mut bus, 0), Stop::Budget);
    assert_eq!(core.regs.ipsr, 16);
}

#[test]
fn cyccnt_counts_instructions_and_idle_cycles() {
    let (mut core, mut bus) = boot(Config::cortex_m7_dp(), &[]);
    wr(&mut core, &mut bus, reg::DEMCR, 1 << 24);
    wr(&mut core, &mut bus, reg::DWT_CYCCNT, 0);
    let ctrl = rd(&mut core, &mut bus, reg::DWT_CTRL);
    wr(&mut core, &mut bus, reg::DWT_CTRL, ctrl | 1);
    // One instruction (the UDF at CODE faults, but it was attempted: a cycle).
    core.run(&mut bus, 1);
    core.wait_for_interrupt();
    core.run(&mut bus, 0);
    core.advance_idle(&mut bus, 500);
    assert_eq!(rd(&mut core, &mut bus, reg::DWT_CYCCNT), 501);
}

#[test]
fn halting_a_sleeping_core_ends_the_sleep() {
    let (mut core, mut bus) = boot(Config::cortex_m4f(), &[]);
    debugen(&mut core, &mut bus);
    core.wait_for_interrupt();
    assert!(matches!(core.run(&mut bus, 0), Stop::Sleeping { .. }));
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
    let dhcsr = rd(&mut core, &mut bus, reg::DHCSR);
    assert_eq!(dhcsr & (S_HALT | S_SLEEP), S_HALT);
    wr(&mut core, &mut bus, reg::DHCSR, DBGKEY | C_DEBUGEN);
    assert!(!core.is_sleeping());
}

/// Gets a test core out of sleep the way a debugger would.
trait ForTest {
    fn halt_and_resume_for_test(&mut self, bus: &mut FlatBus);
}

impl ForTest for Core {
    fn halt_and_resume_for_test(&mut self, bus: &mut FlatBus) {
        debugen(self, bus);
        wr(self, bus, reg::DHCSR, DBGKEY | C_DEBUGEN | C_HALT);
        wr(self, bus, reg::DHCSR, DBGKEY);
    }
}
