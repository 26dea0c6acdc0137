//! The integration tests, as one binary (one link of probe-rs) with a module per area. They run
//! the simulated chips through the real probe-rs stack, the real binary in separate processes, and
//! the real GNU debugger (gdb-multiarch) against the GDB server.

mod cli_support;
mod gdb_support;
mod sim_support;

mod bank_left_pending;
mod cli_erase_fault;
mod cli_g0;
mod cli_g4;
mod cli_input;
mod cli_optbytes;
mod detection;
mod detection_g0;
mod edges_agree;
mod firmware_build;
mod firmware_runs;
mod firmware_source;
mod g0_faults;
mod g4_debug;
mod g4_faults;
mod gdb_arch;
mod gdb_bad_input;
mod gdb_defmt;
mod gdb_erase;
mod gdb_faults;
mod gdb_g0;
mod gdb_g4;
mod gdb_guard;
mod gdb_guard_g4;
mod gdb_mi;
mod gdb_mi_g4;
mod gdb_monitor_width;
mod gdb_observers;
mod gdb_registers;
mod gdb_rtt;
mod gdb_rtt_boot;
mod gdb_rtt_g4;
mod gdb_semihosting;
mod gdb_semihosting_files;
mod gdb_semihosting_stall;
mod gdb_session;
mod gdb_sessions;
mod h7;
mod optbytes_faults;
mod semihosting_service;
mod sim_attach;
mod sim_execution;
mod sim_faults;
mod sim_flash_controller;
mod sim_g0;
mod sim_g4;
mod sim_glasgow;
mod sim_peripherals;
mod sim_state;
