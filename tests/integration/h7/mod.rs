//! The STM32H74x/H75x family end to end: the simulated STM32H743 through the real probe-rs stack
//! (its DBGMCU through access port 2), the CLI across processes on `--sim-state`, the GDB server
//! with gdb-multiarch.

mod cli;
mod detection;
mod faults;
mod firmware;
mod gdb;
mod guard;
mod sim;
