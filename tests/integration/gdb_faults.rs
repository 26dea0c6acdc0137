//! Fault triage through gdb-multiarch on the simulated chip running examples/firmware/faults.s:
//! `monitor vector_catch` stops the core on the fault with a signal that fits it and one line
//! naming the fault in GDB's console, `monitor fault` names the fault bits and the faulting PC
//! (checked against the ELF symbol); without vector catch the fault is taken into its handler
//! (or escalates to HardFault) and is still decoded.

use crate::gdb_support;
use crate::sim_support;

use gdb_support::*;
use sim_support::faults_symbol;

const ENABLE_HANDLERS: u32 = 0x100;

/// Loads the fault firmware, selects `case`, runs `setup`, continues to the stop and shows
/// `monitor fault`; returns the text from the continue on.
fn fault_run(case: u32, setup: &[&str]) -> String {
    let server = start_server(None);
    let mut commands = cmds(&["load", "monitor reset halt"]);
    commands.push(format!("set {{unsigned int}}&fault_select = {case:#x}"));
    commands.extend(setup.iter().map(|s| s.to_string()));
    commands.extend(cmds(&[
        "maintenance flush register-cache",
        "echo @@CONTINUE\\n",
        "continue",
        "echo @@FAULT\\n",
        "monitor fault",
        "printf \"@@PC=%#x\\n\", $pc",
        "echo @@END\\n",
    ]));
    let run = batch(server.local_addr(), Some(&fault_firmware()), &commands);
    assert!(run.success, "{}", run.text);
    let text = section(&run.text, "@@CONTINUE", "@@END").to_string();
    eprintln!("{text}");
    text
}

fn pc_line(pc: u32) -> String {
    format!("at pc {pc:#010x}")
}

fn stopped_pc(text: &str) -> u32 {
    let at = text.find("@@PC=0x").unwrap_or_else(|| panic!("{text}")) + 7;
    let hex: String = text[at..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .collect();
    u32::from_str_radix(&hex, 16).unwrap()
}

#[test]
fn undefined_instruction_stops_with_sigill_and_is_named() {
    let text = fault_run(1 | ENABLE_HANDLERS, &["monitor vector_catch all"]);
    assert!(text.contains("SIGILL"), "{text}");
    let expected = format!(
        "UsageFault: undefined instruction (UFSR.UNDEFINSTR) {}",
        pc_line(faults_symbol("fault_udf"))
    );
    assert!(text.contains(&expected), "{expected} missing:\n{text}");
    assert!(text.contains("stacked frame on MSP"), "{text}");
    assert_eq!(stopped_pc(&text), faults_symbol("usagefault_handler"));
    // The stop itself names the fault in GDB's console, before GDB reports the signal.
    let console_line = format!("vector catch: {expected}");
    let line_at = text
        .find(&console_line)
        .unwrap_or_else(|| panic!("{console_line} missing from GDB's output:\n{text}"));
    let signal_at = text.find("SIGILL").unwrap();
    let monitor_at = text.find("@@FAULT").unwrap();
    assert!(line_at < signal_at && line_at < monitor_at, "{text}");
}

#[test]
fn bus_fault_stops_with_sigbus_and_names_bfar() {
    let text = fault_run(2 | ENABLE_HANDLERS, &["monitor vector_catch bus_err"]);
    assert!(text.contains("SIGBUS"), "{text}");
    let expected = format!(
        "BusFault: precise data bus error (BFSR.PRECISERR) {}, address 0x30000000 (BFAR)",
        pc_line(faults_symbol("fault_bus"))
    );
    assert!(text.contains(&expected), "{expected} missing:\n{text}");
    assert!(text.contains("BFSR.BFARVALID"), "{text}");
}

#[test]
fn divide_by_zero_stops_with_sigfpe() {
    let text = fault_run(3 | ENABLE_HANDLERS, &["monitor vector_catch chk_err"]);
    assert!(text.contains("SIGFPE"), "{text}");
    let expected = format!(
        "UsageFault: divide by zero with CCR.DIV_0_TRP (UFSR.DIVBYZERO) {}",
        pc_line(faults_symbol("fault_div"))
    );
    assert!(text.contains(&expected), "{expected} missing:\n{text}");
}

#[test]
fn without_vector_catch_the_fault_reaches_its_handler_and_is_still_decoded() {
    let text = fault_run(
        1 | ENABLE_HANDLERS,
        &["monitor vector_catch none", "break usagefault_handler"],
    );
    assert!(!text.contains("SIGILL"), "{text}");
    assert!(text.contains("Breakpoint 1"), "{text}");
    assert!(text.contains(&format!(
        "(UFSR.UNDEFINSTR) {}",
        pc_line(faults_symbol("fault_udf"))
    )));
}

#[test]
fn a_disabled_fault_escalates_to_hardfault_and_says_so() {
    let text = fault_run(2, &["monitor vector_catch hard_err"]);
    assert!(text.contains("SIGBUS"), "{text}");
    let expected = format!(
        "HardFault (escalated from BusFault, HFSR.FORCED): precise data bus error (BFSR.PRECISERR) {}",
        pc_line(faults_symbol("fault_bus"))
    );
    assert!(text.contains(&expected), "{expected} missing:\n{text}");
    assert_eq!(stopped_pc(&text), faults_symbol("hardfault_handler"));
}

#[test]
fn vector_catch_shows_sets_and_keeps_the_other_demcr_bits() {
    let server = start_server(None);
    let run = batch(
        server.local_addr(),
        None,
        &cmds(&[
            "set {unsigned int}0xE000EDFC = 0x01000000",
            "echo @@SET\\n",
            "monitor vector_catch hard_err bus_err",
            "printf \"demcr=%#x\\n\", *(unsigned int *)0xE000EDFC",
            "echo @@BAD\\n",
            "monitor vector_catch hard_err sideways",
            "printf \"demcr=%#x\\n\", *(unsigned int *)0xE000EDFC",
            "echo @@SHOW\\n",
            "monitor reset halt",
            "monitor vector_catch",
            "echo @@NONE\\n",
            "monitor vector_catch none",
            "printf \"demcr=%#x\\n\", *(unsigned int *)0xE000EDFC",
            "echo @@END\\n",
        ]),
    );
    assert!(run.success, "{}", run.text);
    let set = section(&run.text, "@@SET", "@@BAD");
    // TRCENA (bit 24) kept, VC_HARDERR (10) and VC_BUSERR (8) set.
    assert!(set.contains("demcr=0x1000500"), "{set}");
    assert!(set.contains("hard_err  on"), "{set}");
    let bad = section(&run.text, "@@BAD", "@@SHOW");
    assert!(bad.contains("unknown vector catch `sideways`"), "{bad}");
    assert!(bad.contains("demcr=0x1000500"), "nothing changed: {bad}");
    // A reset keeps the setting (probe-rs's reset catch restores DEMCR).
    let show = section(&run.text, "@@SHOW", "@@NONE");
    assert!(show.contains("bus_err   on"), "{show}");
    assert!(show.contains("reset     off"), "{show}");
    assert!(show.contains("mm_err    off"), "{show}");
    let none = section(&run.text, "@@NONE", "@@END");
    assert!(none.contains("demcr=0x1000000"), "{none}");
}
