//! Watchpoints on the DWT comparators, programmed directly (probe-rs has no watchpoint API).
//!
//! DWT_COMPn = 0xE000_1020 + 16·n, DWT_MASKn = +4, DWT_FUNCTIONn = +8; FUNCTION 5 = read,
//! 6 = write, 7 = read or write; FUNCTION.MATCHED (bit 24) tells which comparator fired and
//! clears on read. DEMCR.TRCENA (bit 24) must be set for the DWT to work.

use gdbstub::target::ext::breakpoints::{HwWatchpoint, WatchKind};
use gdbstub::target::TargetResult;
use probe_rs::{Core, MemoryInterface};

use super::target::{soft, ChipTarget};

/// DWT_CTRL (NUMCOMP in bits 31:28).
pub const DWT_CTRL: u64 = 0xE000_1000;
/// DWT_COMP0; comparator n is at `DWT_COMP0 + 16 * n`.
pub const DWT_COMP0: u64 = 0xE000_1020;
/// DEMCR.
pub const DEMCR: u64 = 0xE000_EDFC;
/// DEMCR.TRCENA.
pub const DEMCR_TRCENA: u32 = 1 << 24;
/// DWT_FUNCTION.MATCHED.
pub const FUNCTION_MATCHED: u32 = 1 << 24;
/// Comparators on the Cortex-M7.
pub const MAX_COMPARATORS: usize = 4;
/// Largest DWT_MASK this server programs (a 32 KiB window).
pub const MAX_MASK: u32 = 15;

/// DWT_FUNCTION value for a kind of access.
pub fn function_for(kind: WatchKind) -> u32 {
    match kind {
        WatchKind::Read => 5,
        WatchKind::Write => 6,
        WatchKind::ReadWrite => 7,
    }
}

/// Comparator address and DWT_MASK covering `len` bytes at `addr`: the smallest aligned
/// power-of-two window holding them. `None` if the window would be too large.
pub fn window(addr: u32, len: u32) -> Option<(u32, u32)> {
    if len == 0 {
        return None;
    }
    let last = addr.checked_add(len - 1)?;
    let mask = (0..=MAX_MASK).find(|&k| addr >> k == last >> k)?;
    Some((addr & !((1u32 << mask) - 1), mask))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Watch {
    addr: u32,
    len: u32,
    kind: WatchKind,
}

/// Watchpoints this session placed, by comparator.
#[derive(Debug, Default)]
pub struct WatchTable {
    slots: [Option<Watch>; MAX_COMPARATORS],
}

fn function_reg(n: usize) -> u64 {
    DWT_COMP0 + 16 * n as u64 + 8
}

impl WatchTable {
    /// Number of comparators in use.
    pub fn len(&self) -> usize {
        self.slots.iter().flatten().count()
    }

    /// Whether no watchpoint is set.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds a watchpoint; `Ok(false)` if no comparator is free or the range cannot be covered.
    pub fn add(
        &mut self,
        core: &mut Core,
        addr: u32,
        len: u32,
        kind: WatchKind,
    ) -> Result<bool, probe_rs::Error> {
        let Some((comp, mask)) = window(addr, len) else {
            log::info!("cannot watch {len} bytes at {addr:#010x} with one DWT comparator");
            return Ok(false);
        };
        let numcomp = ((core.read_word_32(DWT_CTRL)? >> 28) as usize).min(MAX_COMPARATORS);
        let Some(n) = (0..numcomp).find(|&n| self.slots[n].is_none()) else {
            log::info!("no free DWT comparator for {addr:#010x}");
            return Ok(false);
        };
        let demcr = core.read_word_32(DEMCR)?;
        if demcr & DEMCR_TRCENA == 0 {
            core.write_word_32(DEMCR, demcr | DEMCR_TRCENA)?;
        }
        let base = DWT_COMP0 + 16 * n as u64;
        core.write_word_32(base + 8, 0)?;
        core.write_word_32(base, comp)?;
        core.write_word_32(base + 4, mask)?;
        core.write_word_32(base + 8, function_for(kind))?;
        core.flush()?;
        self.slots[n] = Some(Watch { addr, len, kind });
        Ok(true)
    }

    /// Removes a watchpoint; `Ok(false)` if there was none like it.
    pub fn remove(
        &mut self,
        core: &mut Core,
        addr: u32,
        len: u32,
        kind: WatchKind,
    ) -> Result<bool, probe_rs::Error> {
        let wanted = Some(Watch { addr, len, kind });
        let Some(n) = self.slots.iter().position(|s| *s == wanted) else {
            return Ok(false);
        };
        core.write_word_32(function_reg(n), 0)?;
        core.flush()?;
        self.slots[n] = None;
        Ok(true)
    }

    /// The watchpoint that fired: the comparator with MATCHED set, or the only one in use.
    pub fn hit(&mut self, core: &mut Core) -> Result<Option<(u32, WatchKind)>, probe_rs::Error> {
        let mut matched = None;
        for n in 0..MAX_COMPARATORS {
            if let Some(w) = self.slots[n] {
                if core.read_word_32(function_reg(n))? & FUNCTION_MATCHED != 0 && matched.is_none()
                {
                    matched = Some((w.addr, w.kind));
                }
            }
        }
        if matched.is_none() && self.len() == 1 {
            matched = self.slots.iter().flatten().next().map(|w| (w.addr, w.kind));
        }
        Ok(matched)
    }

    /// Disables every comparator of this table.
    pub fn clear_all(&mut self, core: &mut Core) -> Result<(), probe_rs::Error> {
        for n in 0..MAX_COMPARATORS {
            if self.slots[n].take().is_some() {
                core.write_word_32(function_reg(n), 0)?;
            }
        }
        core.flush()
    }
}

impl HwWatchpoint for ChipTarget<'_> {
    fn add_hw_watchpoint(
        &mut self,
        addr: u32,
        len: u32,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        let result = self
            .core_with_tables()
            .and_then(|(mut core, _, table)| table.add(&mut core, addr, len, kind));
        soft(&format!("watchpoint at {addr:#010x}"), result)
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u32,
        len: u32,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        let result = self
            .core_with_tables()
            .and_then(|(mut core, _, table)| table.remove(&mut core, addr, len, kind));
        soft(&format!("watchpoint at {addr:#010x}"), result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_cover_the_range_with_the_smallest_mask() {
        assert_eq!(window(0x2000_0100, 1), Some((0x2000_0100, 0)));
        assert_eq!(window(0x2000_0100, 2), Some((0x2000_0100, 1)));
        assert_eq!(window(0x2000_0100, 4), Some((0x2000_0100, 2)));
        assert_eq!(window(0x2000_0100, 8), Some((0x2000_0100, 3)));
        // Unaligned: a larger window that holds every byte.
        assert_eq!(window(0x2000_0102, 4), Some((0x2000_0100, 3)));
        assert_eq!(window(0x2000_0103, 2), Some((0x2000_0100, 3)));
        assert_eq!(window(0x2000_0100, 0), None);
        assert_eq!(window(0x2000_0100, 0x1_0000), None);
        assert_eq!(window(0xFFFF_FFFF, 2), None);
    }

    #[test]
    fn function_codes() {
        assert_eq!(function_for(WatchKind::Read), 5);
        assert_eq!(function_for(WatchKind::Write), 6);
        assert_eq!(function_for(WatchKind::ReadWrite), 7);
    }
}
