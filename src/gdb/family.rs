//! What the GDB server asks a family beside its option bytes and erase: the chip's flash as it
//! is now (the main flash for the write guard and `load`, the memory map GDB gets, how `load`
//! programs it), the write guard's rules, and host-driven programming where probe-rs has no
//! flash algorithm for the live layout. Each family answers in its own folder (`gdb/<family>/`)
//! and is registered once, in [`FAMILIES`] (the `families!` line of `gdb/mod.rs`).

use probe_rs::Core;

use crate::chip::family::ChipFamily;

use super::guard::{GuardRules, MainFlash};

/// How `load` programs the live layout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Load {
    /// With probe-rs's flash algorithm of this name, which the session's target must pick.
    Algorithm(&'static str),
    /// Through the FLASH registers from the host ([`GdbFamily::program_host`]): probe-rs has no
    /// algorithm that is right for this layout (why).
    HostDriven(String),
    /// Not at all, and why (nothing is erased or written).
    Refused(String),
}

/// The chip's flash as the GDB server sees it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveFlash {
    /// The main flash array, when the layout is known.
    pub main: Option<MainFlash>,
    /// The memory-map document for GDB (`qXfer:memory-map:read`).
    pub memory_map: String,
    /// How `load` programs it.
    pub load: Load,
    /// The bank mode and layout in words, for the log.
    pub summary: String,
}

/// One family's answers to the GDB server.
pub trait GdbFamily: Sync {
    /// The family's facts.
    fn chip(&self) -> &'static dyn ChipFamily;

    /// The write guard's rules.
    fn guard(&self) -> &'static dyn GuardRules;

    /// Reads the chip's flash as it is now (bank mode, size, layout) through `core`.
    /// `target_name` is the probe-rs target the session was opened with.
    fn live_flash(
        &self,
        core: &mut Core<'_>,
        target_name: &str,
    ) -> Result<LiveFlash, probe_rs::Error>;

    /// Programs `chunks` (erased units filled with 0xFF included) through the FLASH registers
    /// from the host, on a halted core, in the live layout, with read-back verify; for a
    /// [`Load::HostDriven`] layout. Returns what was done, in words.
    fn program_host(
        &self,
        _core: &mut Core<'_>,
        _chunks: &[(u32, Vec<u8>)],
        _progress: &mut dyn FnMut(&str),
    ) -> Result<String, String> {
        Err(format!(
            "{} flash is programmed with probe-rs's algorithms only",
            self.chip().name()
        ))
    }
}

pub use super::FAMILIES;

/// The GDB answers of the family whose facts are `chip`.
pub fn for_chip(chip: &'static dyn ChipFamily) -> Option<&'static dyn GdbFamily> {
    FAMILIES
        .iter()
        .copied()
        .find(|f| f.chip().name() == chip.name())
}
