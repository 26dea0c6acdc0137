//! The few operations the engine needs from a debug target, so the sequence is written once
//! against probe-rs's `Core` and can be unit-tested against a scripted fake.

use std::time::Duration;

use probe_rs::{Core, MemoryInterface};

/// A halted-or-running Cortex-M core with memory access.
pub(crate) trait Target {
    /// Read a 32-bit word.
    fn read32(&mut self, address: u32) -> Result<u32, probe_rs::Error>;
    /// Read consecutive 32-bit words (one block transfer).
    fn read_block32(&mut self, address: u32, out: &mut [u32]) -> Result<(), probe_rs::Error>;
    /// Write a 32-bit word and make sure it reached the chip (flush), so a failure surfaces
    /// at the step that caused it.
    fn write32(&mut self, address: u32, value: u32) -> Result<(), probe_rs::Error>;
    /// Whether the core is halted.
    fn is_halted(&mut self) -> Result<bool, probe_rs::Error>;
    /// Halt the core.
    fn halt_core(&mut self, timeout: Duration) -> Result<(), probe_rs::Error>;
    /// Let the core run.
    fn run_core(&mut self) -> Result<(), probe_rs::Error>;
    /// System reset, core halted at the reset vector.
    fn reset_halted(&mut self, timeout: Duration) -> Result<(), probe_rs::Error>;
    /// System reset, core running.
    fn reset_running(&mut self) -> Result<(), probe_rs::Error>;
    /// Wait between polls.
    fn pause(&mut self, duration: Duration) {
        std::thread::sleep(duration);
    }
}

impl Target for Core<'_> {
    fn read32(&mut self, address: u32) -> Result<u32, probe_rs::Error> {
        self.read_word_32(u64::from(address))
    }

    fn read_block32(&mut self, address: u32, out: &mut [u32]) -> Result<(), probe_rs::Error> {
        self.read_32(u64::from(address), out)
    }

    fn write32(&mut self, address: u32, value: u32) -> Result<(), probe_rs::Error> {
        self.write_word_32(u64::from(address), value)?;
        self.flush()
    }

    fn is_halted(&mut self) -> Result<bool, probe_rs::Error> {
        Ok(self.status()?.is_halted())
    }

    fn halt_core(&mut self, timeout: Duration) -> Result<(), probe_rs::Error> {
        self.halt(timeout).map(|_| ())
    }

    fn run_core(&mut self) -> Result<(), probe_rs::Error> {
        self.run()
    }

    fn reset_halted(&mut self, timeout: Duration) -> Result<(), probe_rs::Error> {
        self.reset_and_halt(timeout).map(|_| ())
    }

    fn reset_running(&mut self) -> Result<(), probe_rs::Error> {
        self.reset()
    }
}
