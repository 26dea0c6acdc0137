//! The simulated core's fault model through probe-rs: faults set CFSR/HFSR/BFAR as the ARMv7-M
//! ARM defines them, are taken (stacking a frame, vectoring through VTOR) or escalate to
//! HardFault, and halt on entry when DEMCR asks for a vector catch.

use crate::sim_support;

use std::time::Duration;

use probe_rs::{CoreStatus, HaltReason, MemoryInterface, RegisterId};
use sim_support::{faults_elf, faults_symbol, flash_elf};
use stm32_opts::sim::Simulator;

const TIMEOUT: Duration = Duration::from_millis(500);
const PC: RegisterId = RegisterId(15);
const SP: RegisterId = RegisterId(13);
const LR: RegisterId = RegisterId(14);
const XPSR: RegisterId = RegisterId(16);

const CFSR: u64 = 0xE000_ED28;
const HFSR: u64 = 0xE000_ED2C;
const DFSR: u64 = 0xE000_ED30;
const BFAR: u64 = 0xE000_ED38;
const DEMCR: u64 = 0xE000_EDFC;
const VC_HARDERR: u32 = 1 << 10;
const VC_BUSERR: u32 = 1 << 8;
const VC_STATERR: u32 = 1 << 7;
const VC_CHKERR: u32 = 1 << 6;
const TRCENA: u32 = 1 << 24;
const DFSR_VCATCH: u32 = 1 << 3;
const UNDEFINSTR: u32 = 1 << 16;
const DIVBYZERO: u32 = 1 << 25;
const PRECISERR: u32 = 1 << 9;
const BFARVALID: u32 = 1 << 15;
const FORCED: u32 = 1 << 30;
const ENABLE_HANDLERS: u32 = 0x100;

/// Flashes the fault firmware, selects `case`, sets DEMCR to `demcr` and lets it run from reset
/// until it halts; returns the simulator for more checks.
fn run_case(case: u32, demcr: u32) -> (Simulator, probe_rs::Session) {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    flash_elf(&mut session, &faults_elf(), "stm32f7x_2048").unwrap();
    {
        let mut core = session.core(0).unwrap();
        core.reset_and_halt(TIMEOUT).unwrap();
        core.write_word_32(faults_symbol("fault_select") as u64, case)
            .unwrap();
        core.write_word_32(DEMCR, demcr).unwrap();
        core.write_word_32(DFSR, 0x1F).unwrap();
        core.run().unwrap();
    }
    (sim, session)
}

/// Waits (bounded) for the core to halt on a vector catch (probe-rs reads and clears DFSR and
/// reports VCATCH as an exception); returns the PC.
fn halted_pc(session: &mut probe_rs::Session) -> u32 {
    let mut core = session.core(0).unwrap();
    for _ in 0..400 {
        if let CoreStatus::Halted(reason) = core.status().unwrap() {
            assert_eq!(reason, HaltReason::Exception);
            return core.read_core_reg(PC).unwrap();
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    panic!("core did not halt within 2 s");
}

/// Runs for a while and halts by request; returns the PC.
fn pc_after_running(session: &mut probe_rs::Session) -> u32 {
    std::thread::sleep(Duration::from_millis(50));
    let mut core = session.core(0).unwrap();
    core.halt(TIMEOUT).unwrap();
    core.read_core_reg(PC).unwrap()
}

/// The stacked PC of the exception frame on the main stack.
fn stacked_pc(session: &mut probe_rs::Session) -> u32 {
    let mut core = session.core(0).unwrap();
    let sp: u32 = core.read_core_reg(SP).unwrap();
    core.read_word_32(u64::from(sp) + 0x18).unwrap()
}

fn read(session: &mut probe_rs::Session, address: u64) -> u32 {
    session.core(0).unwrap().read_word_32(address).unwrap()
}

#[test]
fn undefined_instruction_is_caught_on_usagefault_entry() {
    let (_sim, mut session) = run_case(1 | ENABLE_HANDLERS, VC_STATERR | TRCENA);
    assert_eq!(halted_pc(&mut session), faults_symbol("usagefault_handler"));
    assert_eq!(read(&mut session, CFSR), UNDEFINSTR);
    assert_eq!(stacked_pc(&mut session), faults_symbol("fault_udf"));
    let mut core = session.core(0).unwrap();
    // Handler mode, exception 6; EXC_RETURN to Thread mode on the main stack; DEMCR kept.
    let xpsr: u32 = core.read_core_reg(XPSR).unwrap();
    assert_eq!(xpsr & 0x1FF, 6);
    let lr: u32 = core.read_core_reg(LR).unwrap();
    assert_eq!(lr, 0xFFFF_FFF9);
    assert_eq!(core.read_word_32(DEMCR).unwrap(), VC_STATERR | TRCENA);
}

#[test]
fn divide_by_zero_with_div_0_trp_is_a_usagefault() {
    let (_sim, mut session) = run_case(3 | ENABLE_HANDLERS, VC_CHKERR);
    assert_eq!(halted_pc(&mut session), faults_symbol("usagefault_handler"));
    assert_eq!(read(&mut session, CFSR), DIVBYZERO);
    assert_eq!(stacked_pc(&mut session), faults_symbol("fault_div"));
    // CCR.DIV_0_TRP, set by the firmware, reads back through the debugger.
    assert_eq!(read(&mut session, 0xE000_ED14) & (1 << 4), 1 << 4);
}

#[test]
fn load_from_an_unmapped_address_is_a_precise_busfault() {
    let (_sim, mut session) = run_case(2 | ENABLE_HANDLERS, VC_BUSERR);
    assert_eq!(halted_pc(&mut session), faults_symbol("busfault_handler"));
    assert_eq!(read(&mut session, CFSR), (PRECISERR | BFARVALID));
    assert_eq!(read(&mut session, BFAR), 0x3000_0000);
    assert_eq!(stacked_pc(&mut session), faults_symbol("fault_bus"));
}

#[test]
fn a_disabled_fault_escalates_to_hardfault_with_forced() {
    // Handlers not enabled in SHCSR: the BusFault becomes a HardFault.
    let (_sim, mut session) = run_case(2, VC_HARDERR | VC_BUSERR);
    assert_eq!(halted_pc(&mut session), faults_symbol("hardfault_handler"));
    assert_eq!(read(&mut session, HFSR), FORCED);
    assert_eq!(read(&mut session, CFSR), PRECISERR | BFARVALID);
    assert_eq!(stacked_pc(&mut session), faults_symbol("fault_bus"));
    // HFSR and CFSR are write-1-to-clear.
    let mut core = session.core(0).unwrap();
    core.write_word_32(HFSR, FORCED).unwrap();
    core.write_word_32(CFSR, PRECISERR).unwrap();
    assert_eq!(core.read_word_32(HFSR).unwrap(), 0);
    assert_eq!(core.read_word_32(CFSR).unwrap(), BFARVALID);
}

#[test]
fn without_vector_catch_the_fault_is_taken_into_its_handler() {
    let (_sim, mut session) = run_case(1 | ENABLE_HANDLERS, TRCENA);
    assert_eq!(
        pc_after_running(&mut session),
        faults_symbol("usagefault_handler")
    );
    assert_eq!(read(&mut session, CFSR), UNDEFINSTR);
    assert_eq!(read(&mut session, DFSR) & DFSR_VCATCH, 0);
    assert_eq!(stacked_pc(&mut session), faults_symbol("fault_udf"));
}

#[test]
fn divide_by_zero_without_div_0_trp_gives_zero() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    core.halt(TIMEOUT).unwrap();
    // udiv r0, r1, r2 ; b .
    core.write_16(0x2000_1000, &[0xFBB1, 0xF0F2, 0xE7FE])
        .unwrap();
    core.write_core_reg(PC, 0x2000_1000u32).unwrap();
    core.write_core_reg(XPSR, 0x0100_0000u32).unwrap();
    core.write_core_reg(RegisterId(0), 0x1234u32).unwrap();
    core.write_core_reg(RegisterId(1), 7u32).unwrap();
    core.write_core_reg(RegisterId(2), 0u32).unwrap();
    core.step().unwrap();
    let pc: u32 = core.read_core_reg(PC).unwrap();
    let r0: u32 = core.read_core_reg(RegisterId(0)).unwrap();
    assert_eq!((pc, r0), (0x2000_1004, 0));
    assert_eq!(core.read_word_32(CFSR).unwrap() & DIVBYZERO, 0);
}

#[test]
fn a_fault_in_the_hardfault_handler_locks_the_core_up() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    // Erased flash: the reset vector is 0xFFFF_FFFF, so is the HardFault vector.
    core.reset().unwrap();
    std::thread::sleep(Duration::from_millis(20));
    assert!(matches!(core.status().unwrap(), CoreStatus::LockedUp));
    let reason = sim.with(|chip| chip.lockup_reason()).unwrap();
    let reason = reason.expect("locked up");
    assert!(reason.contains("0xFFFFFFFE"), "{reason}");
}
