//! The test harness itself: a program assembles, boots from its vector table and runs.

mod support;

use sim_core::Config;
use support::*;

#[test]
fn a_program_boots_from_its_vector_table() {
    let program = assemble("_start:\n    bkpt #0\n", "cortex-m7", "fpv5-d16");
    let (core, _bus) = boot(&program, Config::cortex_m7_dp());
    assert_eq!(core.pc(), program.symbol("_start"));
    assert_eq!(core.regs.r[13], RAM + RAM_SIZE);
}
