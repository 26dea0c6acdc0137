//! Breakpoints on the Flash Patch and Breakpoint unit (8 comparators on the Cortex-M7).
//!
//! Both GDB kinds use the FPB: "software" breakpoints cannot patch flash, and a comparator
//! works everywhere. The two kinds share the comparators; `Ok(false)` tells GDB when all are
//! in use.

use std::collections::BTreeMap;

use gdbstub::target::ext::breakpoints::{
    Breakpoints, HwBreakpoint, HwBreakpointOps, HwWatchpointOps, SwBreakpoint, SwBreakpointOps,
};
use gdbstub::target::TargetResult;
use gdbstub_arch::arm::ArmBreakpointKind;
use probe_rs::Core;

use super::target::{soft, ChipTarget};

/// Which GDB packet inserted the breakpoint at an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakpointUse {
    /// `Z0`.
    Software,
    /// `Z1`.
    Hardware,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Uses {
    software: u32,
    hardware: u32,
}

/// Breakpoints this session placed, by address.
#[derive(Debug, Default)]
pub struct BreakpointTable {
    entries: BTreeMap<u32, Uses>,
}

impl BreakpointTable {
    /// Number of distinct addresses (= FPB comparators in use).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no breakpoint is set.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The kind that explains a stop at `pc` (software wins when both are set).
    pub fn use_at(&self, pc: u32) -> Option<BreakpointUse> {
        self.entries.get(&pc).map(|u| {
            if u.software > 0 {
                BreakpointUse::Software
            } else {
                BreakpointUse::Hardware
            }
        })
    }

    /// Adds a breakpoint; `Ok(false)` when every comparator is in use.
    pub fn add(
        &mut self,
        core: &mut Core,
        addr: u32,
        kind: BreakpointUse,
    ) -> Result<bool, probe_rs::Error> {
        if !self.entries.contains_key(&addr) {
            let units = core.available_breakpoint_units()? as usize;
            if self.entries.len() >= units {
                log::info!("no free breakpoint comparator for {addr:#010x} ({units} in use)");
                return Ok(false);
            }
            if let Err(e) = core.set_hw_breakpoint(u64::from(addr)) {
                log::warn!("setting a breakpoint at {addr:#010x}: {e}");
                return Ok(false);
            }
        }
        let uses = self.entries.entry(addr).or_default();
        match kind {
            BreakpointUse::Software => uses.software += 1,
            BreakpointUse::Hardware => uses.hardware += 1,
        }
        Ok(true)
    }

    /// Removes a breakpoint; `Ok(false)` if there was none of that kind there.
    pub fn remove(
        &mut self,
        core: &mut Core,
        addr: u32,
        kind: BreakpointUse,
    ) -> Result<bool, probe_rs::Error> {
        let Some(uses) = self.entries.get_mut(&addr) else {
            return Ok(false);
        };
        let count = match kind {
            BreakpointUse::Software => &mut uses.software,
            BreakpointUse::Hardware => &mut uses.hardware,
        };
        if *count == 0 {
            return Ok(false);
        }
        *count -= 1;
        if uses.software == 0 && uses.hardware == 0 {
            self.entries.remove(&addr);
            core.clear_hw_breakpoint(u64::from(addr))?;
        }
        Ok(true)
    }

    /// Removes every breakpoint of this table from the FPB.
    pub fn clear_all(&mut self, core: &mut Core) -> Result<(), probe_rs::Error> {
        let mut result = Ok(());
        for addr in std::mem::take(&mut self.entries).into_keys() {
            if let Err(e) = core.clear_hw_breakpoint(u64::from(addr)) {
                log::warn!("clearing the breakpoint at {addr:#010x}: {e}");
                result = Err(e);
            }
        }
        result
    }
}

impl Breakpoints for ChipTarget<'_> {
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl ChipTarget<'_> {
    fn change_breakpoint(
        &mut self,
        addr: u32,
        kind: BreakpointUse,
        add: bool,
    ) -> TargetResult<bool, Self> {
        let result = self.core_with_tables().and_then(|(mut core, table, _)| {
            if add {
                table.add(&mut core, addr, kind)
            } else {
                table.remove(&mut core, addr, kind)
            }
        });
        soft(&format!("breakpoint at {addr:#010x}"), result)
    }
}

impl SwBreakpoint for ChipTarget<'_> {
    fn add_sw_breakpoint(
        &mut self,
        addr: u32,
        _kind: ArmBreakpointKind,
    ) -> TargetResult<bool, Self> {
        self.change_breakpoint(addr, BreakpointUse::Software, true)
    }

    fn remove_sw_breakpoint(
        &mut self,
        addr: u32,
        _kind: ArmBreakpointKind,
    ) -> TargetResult<bool, Self> {
        self.change_breakpoint(addr, BreakpointUse::Software, false)
    }
}

impl HwBreakpoint for ChipTarget<'_> {
    fn add_hw_breakpoint(
        &mut self,
        addr: u32,
        _kind: ArmBreakpointKind,
    ) -> TargetResult<bool, Self> {
        self.change_breakpoint(addr, BreakpointUse::Hardware, true)
    }

    fn remove_hw_breakpoint(
        &mut self,
        addr: u32,
        _kind: ArmBreakpointKind,
    ) -> TargetResult<bool, Self> {
        self.change_breakpoint(addr, BreakpointUse::Hardware, false)
    }
}
