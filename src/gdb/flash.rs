//! GDB `load` into flash: vFlashErase / vFlashWrite / vFlashDone, on every family.
//!
//! Every erase and write is first judged by the write guard ([`super::guard::check_main_flash_op`])
//! against the chip's live layout, read at the first packet of a load: only the main flash is
//! accepted (its ITCM alias is translated to the AXI bus), anything else is refused with `E0d`
//! and a message, before any memory is reserved. A refused packet ends the load: what was
//! collected is dropped and `vFlashDone` reports the failure; the next flash packet starts a
//! new load.
//!
//! Accepted erases and writes are collected (as disjoint ranges, so what is pending never
//! exceeds the flash size); `flash_done` checks the layout again and programs them with
//! probe-rs's `FlashLoader` (verify on), using the flash algorithm that matches the live nDBANK
//! value and flash size: `stm32f7x_2048` in single-bank mode (1 MB parts too),
//! `stm32f7x_2048dual` or `stm32f7x_1024dual` in dual-bank mode. The loader erases the sectors
//! it writes; a sector GDB asked to erase without writing anything into it is written with 0xFF.
//!
//! The family's [`GdbFamily::live_flash`](super::family::GdbFamily::live_flash) says which: on an
//! STM32G4 the pages and banks of the live DBANK mode are the layout, 512 KB dual bank is
//! programmed with `stm32g47x-8x_512`, and the modes probe-rs has no right algorithm for are
//! programmed host-driven through the FLASH registers ([`super::family::Load::HostDriven`]).

use std::collections::BTreeMap;
use std::ops::Range;

use gdbstub::target::ext::flash::Flash;
use gdbstub::target::{TargetError, TargetResult};
use probe_rs::config::MemoryRegion;
use probe_rs::flashing::{DownloadOptions, FlashProgress};
use probe_rs::MemoryInterface;

use super::family::Load;
use super::guard::{check_main_flash_op, FlashOp, FlashRange, MainFlash};
use super::load_times::LoadClock;
use super::registers;
use super::target::{ChipTarget, TargetFault, REFUSED};

/// RAM the flash loader may use for its algorithm and buffers (DTCM, SRAM1, SRAM2, ITCM RAM).
const LOADER_RAM: [(u32, u32); 2] = [(0x2000_0000, 0x2008_0000), (0x0000_0000, 0x0000_4000)];

/// Bytes at addresses, kept as disjoint, non-touching chunks: a later write replaces what it
/// overlaps, so the total never exceeds the span written into.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Overlay(BTreeMap<u32, Vec<u8>>);

impl Overlay {
    /// Writes `data` at `start`, joining the chunks it overlaps or touches.
    pub fn write(&mut self, start: u32, data: &[u8]) {
        if data.is_empty() {
            return;
        }
        let (s, e) = (u64::from(start), u64::from(start) + data.len() as u64);
        let upper = u32::try_from(e).unwrap_or(u32::MAX);
        let joined: Vec<u32> = self
            .0
            .range(..=upper)
            .rev()
            .take_while(|(&a, d)| u64::from(a) + d.len() as u64 >= s)
            .map(|(&a, _)| a)
            .collect();
        let lo = joined.iter().map(|&a| u64::from(a)).fold(s, u64::min);
        let hi = joined
            .iter()
            .map(|a| u64::from(*a) + self.0[a].len() as u64)
            .fold(e, u64::max);
        let mut merged = vec![0u8; (hi - lo) as usize];
        for a in joined {
            let old = self.0.remove(&a).expect("chunk listed above");
            let off = (u64::from(a) - lo) as usize;
            merged[off..off + old.len()].copy_from_slice(&old);
        }
        let off = (s - lo) as usize;
        merged[off..off + data.len()].copy_from_slice(data);
        self.0.insert(lo as u32, merged);
    }

    /// The chunks in address order.
    pub fn chunks(&self) -> impl Iterator<Item = (u32, &[u8])> {
        self.0.iter().map(|(&a, d)| (a, d.as_slice()))
    }

    /// Whether any byte in `[lo, hi)` was written.
    pub fn touches(&self, lo: u64, hi: u64) -> bool {
        self.chunks()
            .any(|(a, d)| u64::from(a) < hi && u64::from(a) + d.len() as u64 > lo)
    }

    /// Total bytes held.
    pub fn len(&self) -> usize {
        self.0.values().map(Vec::len).sum()
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Address ranges kept merged (start → end), so repeated or overlapping erases cost nothing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RangeSet(BTreeMap<u32, u64>);

impl RangeSet {
    /// Adds `[start, start + len)`.
    pub fn add(&mut self, start: u32, len: u32) {
        if len == 0 {
            return;
        }
        let (s, e) = (u64::from(start), u64::from(start) + u64::from(len));
        let upper = u32::try_from(e).unwrap_or(u32::MAX);
        let joined: Vec<(u32, u64)> = self
            .0
            .range(..=upper)
            .rev()
            .take_while(|(_, &end)| end >= s)
            .map(|(&a, &end)| (a, end))
            .collect();
        let lo = joined.iter().map(|&(a, _)| u64::from(a)).fold(s, u64::min);
        let hi = joined.iter().map(|&(_, end)| end).fold(e, u64::max);
        for (a, _) in joined {
            self.0.remove(&a);
        }
        self.0.insert(lo as u32, hi);
    }

    /// The ranges in address order.
    pub fn ranges(&self) -> impl Iterator<Item = Range<u64>> + '_ {
        self.0.iter().map(|(&a, &end)| u64::from(a)..end)
    }

    /// Whether nothing was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Collected flash operations of one `load`.
#[derive(Debug, Default)]
pub struct PendingFlash {
    /// The layout this load's packets were checked against (read at its first packet).
    layout: Option<MainFlash>,
    erases: RangeSet,
    writes: Overlay,
    /// RAM sections GDB wrote during the load (before `vFlashDone`): written again after
    /// programming, since the flash algorithm runs from RAM.
    ram_writes: Overlay,
    /// A packet of this load was refused: nothing of it is programmed.
    refused: bool,
    /// Where this load's time goes (logged when it is programmed).
    clock: LoadClock,
}

impl PendingFlash {
    /// Whether nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.erases.is_empty() && self.writes.is_empty()
    }

    /// Whether this is a fresh load: nothing collected, no layout read, nothing refused.
    fn is_fresh(&self) -> bool {
        self.is_empty() && self.layout.is_none() && !self.refused
    }

    /// Starts a load checked against `layout`.
    fn start(layout: Option<MainFlash>) -> PendingFlash {
        PendingFlash {
            layout,
            clock: LoadClock::start(),
            ..PendingFlash::default()
        }
    }

    /// Drops everything collected and remembers that the load failed.
    fn refuse(&mut self) {
        *self = PendingFlash {
            refused: true,
            ..PendingFlash::default()
        };
    }

    /// Records an accepted erase (AXI bus addresses).
    pub fn erase(&mut self, range: FlashRange) {
        self.erases.add(range.start, range.len);
    }

    /// Records an accepted write (AXI bus addresses).
    pub fn write(&mut self, range: FlashRange, data: &[u8]) {
        self.writes.write(range.start, &data[..range.len as usize]);
    }

    /// Chunks to program: the writes, plus 0xFF for the erased parts of sectors (pages) of
    /// `layout` that received no data (the loader erases only sectors it writes into).
    pub fn chunks(&self, layout: &MainFlash) -> Vec<(u32, Vec<u8>)> {
        let mut out: Vec<(u32, Vec<u8>)> =
            self.writes.chunks().map(|(a, d)| (a, d.to_vec())).collect();
        for sector in &layout.erase_units {
            let (lo, hi) = (u64::from(sector.address), u64::from(sector.end()));
            if self.writes.touches(lo, hi) {
                continue;
            }
            for r in self.erases.ranges() {
                let (a, b) = (r.start.max(lo), r.end.min(hi));
                if a < b {
                    out.push((a as u32, vec![0xFF; (b - a) as usize]));
                }
            }
        }
        out.sort_by_key(|(a, _)| *a);
        out
    }

    /// Notes a plain memory write made while a load is in progress (RAM only).
    pub fn note_memory_write(&mut self, start: u32, data: &[u8]) {
        if self.is_empty() {
            return;
        }
        let end = u64::from(start) + data.len() as u64;
        if LOADER_RAM
            .iter()
            .any(|&(lo, hi)| u64::from(start) < u64::from(hi) && end > u64::from(lo))
        {
            self.ram_writes.write(start, data);
        }
    }

    /// RAM writes to repeat after programming.
    pub fn ram_writes(&self) -> Vec<(u32, Vec<u8>)> {
        self.ram_writes
            .chunks()
            .map(|(a, d)| (a, d.to_vec()))
            .collect()
    }

    /// Total bytes written by GDB.
    pub fn written_bytes(&self) -> usize {
        self.writes.len()
    }
}

/// The algorithm probe-rs's `FlashLoader` picks for the flash region `region` with `preferred`
/// as the preferred algorithm, by the loader's rule: of the algorithms whose range holds the
/// region, the only one; else the preferred one; else the single default. `None` if the rule
/// finds none or several.
pub fn loader_algorithm<'a>(
    algorithms: &'a [(String, Range<u64>, bool)],
    region: &Range<u64>,
    preferred: &str,
) -> Option<&'a str> {
    let fitting: Vec<&(String, Range<u64>, bool)> = algorithms
        .iter()
        .filter(|(_, range, _)| range.start <= region.start && region.end <= range.end)
        .collect();
    if let [(name, _, _)] = fitting.as_slice() {
        return Some(name);
    }
    if let Some((name, _, _)) = fitting.iter().find(|(name, _, _)| name == preferred) {
        return Some(name);
    }
    match fitting
        .iter()
        .filter(|(_, _, default)| *default)
        .collect::<Vec<_>>()
        .as_slice()
    {
        [(name, _, _)] => Some(name),
        _ => None,
    }
}

impl ChipTarget<'_> {
    /// Judges a flash packet; on refusal the load is dropped and the user told why.
    fn accept_flash_op(
        &mut self,
        op: FlashOp,
        start: u32,
        len: u64,
    ) -> Result<FlashRange, TargetError<TargetFault>> {
        if self.flash.is_fresh() || self.flash.refused {
            // A new load: judge it against the chip as it is now.
            match self.live_flash() {
                Ok(live) => self.flash = PendingFlash::start(live.main),
                Err(e) => {
                    self.flash.refuse();
                    log::warn!("{op} at {start:#010x}: reading the flash configuration: {e}");
                    return Err(TargetError::NonFatal);
                }
            }
        }
        match check_main_flash_op(op, start, len, self.flash.layout.as_ref()) {
            Ok(range) => {
                self.flash.clock.packet();
                if range.from_itcm {
                    log::info!(
                        "{op} at {start:#010x} (ITCM alias) goes to {:#010x} on the AXI bus",
                        range.start
                    );
                }
                Ok(range)
            }
            Err(refusal) => {
                self.flash.refuse();
                self.refuse_write(refusal.to_string());
                Err(TargetError::Errno(REFUSED))
            }
        }
    }

    /// Programs the collected data; returns a message for the log on failure.
    fn program_pending(
        &mut self,
        pending: &PendingFlash,
        clock: &mut LoadClock,
    ) -> Result<(), String> {
        let live = self
            .live_flash()
            .map_err(|e| format!("reading the flash configuration: {e}"))?;
        let main = live.main.clone().ok_or_else(|| match &live.load {
            Load::Refused(why) => why.clone(),
            _ => "the flash layout of this chip is unknown, refusing to program it".to_string(),
        })?;
        if pending.layout.as_ref() != Some(&main) {
            return Err(format!(
                "the flash layout changed during the load (now {}); nothing was written, run `load` again",
                main.summary
            ));
        }
        let chunks = pending.chunks(&main);
        match live.load {
            Load::Algorithm(algorithm) => {
                self.program_with_loader(pending, &chunks, algorithm, &main, clock)
            }
            Load::HostDriven(why) => {
                // No probe-rs algorithm fits this mode: the host programs it instead.
                log::debug!("probe-rs algorithm: {why}");
                clock.begin("host-driven erase, program and verify");
                let result = self.program_host_driven(&main, &chunks, pending.written_bytes());
                clock.end();
                result
            }
            Load::Refused(why) => Err(why),
        }
    }

    /// Programs through the FLASH registers from the host, core halted, in the live layout (the
    /// family's sequence).
    fn program_host_driven(
        &mut self,
        main: &MainFlash,
        chunks: &[(u32, Vec<u8>)],
        written: usize,
    ) -> Result<(), String> {
        log::info!(
            "programming {written} bytes through the FLASH registers (host-driven: probe-rs has no algorithm for {})",
            main.summary
        );
        let gdb = self.family().gdb;
        let mut core = self.core().map_err(|e| format!("core: {e}"))?;
        let halted = core
            .core_halted()
            .map_err(|e| format!("reading the core state: {e}"))?;
        if !halted {
            core.halt(super::target::HALT_TIMEOUT)
                .map_err(|e| format!("halting the core before programming: {e}"))?;
        }
        let started = std::time::Instant::now();
        let result = gdb.program_host(&mut core, chunks, &mut |line| log::info!("load: {line}"));
        drop(core);
        self.forget_registers();
        let done = result?;
        log::info!("load: {done} in {:?}", started.elapsed());
        Ok(())
    }

    /// Programs with probe-rs's `FlashLoader` and the algorithm `wanted`, which the loader must
    /// be going to pick for the main flash.
    fn program_with_loader(
        &mut self,
        pending: &PendingFlash,
        chunks: &[(u32, Vec<u8>)],
        wanted: &str,
        main: &MainFlash,
        clock: &mut LoadClock,
    ) -> Result<(), String> {
        let base = main.regions.first().map_or(0, |r| r.start);
        let algorithm = self.algorithm_for_main_flash(wanted, base)?;
        log::info!(
            "programming {} bytes with {algorithm} ({})",
            pending.written_bytes(),
            main.summary
        );

        // The flash algorithm runs on the core: keep the registers GDB knows.
        clock.begin("save registers");
        let set = self.register_set();
        let saved = self
            .core()
            .and_then(|mut core| registers::read_all(&mut core, set))
            .map_err(|e| format!("saving registers: {e}"))?;

        let session = self.session().map_err(|e| format!("the chip: {e}"))?;
        let mut loader = session.target().flash_loader();
        let mut result = Ok(());
        for (addr, data) in chunks {
            if let Err(e) = loader.add_data(u64::from(*addr), data) {
                result = Err(format!("{} bytes at {addr:#010x}: {e}", data.len()));
                break;
            }
        }
        if result.is_ok() {
            clock.end();
            let mut options = DownloadOptions::default();
            options.verify = true;
            options.preferred_algos = vec![algorithm.clone()];
            options.progress = FlashProgress::new(|event| clock.on_progress(&event));
            result = loader
                .commit(session, options)
                .map_err(|e| format!("flashing with {algorithm}: {e}"));
        }

        clock.begin("restore registers and RAM");
        self.forget_registers();
        if let Err(e) = self
            .core()
            .and_then(|mut core| registers::write_all(&mut core, &saved, None))
        {
            log::warn!("restoring registers after flashing: {e}");
        }
        for (addr, data) in pending.ram_writes() {
            if let Err(e) = self
                .core()
                .and_then(|mut core| core.write(u64::from(addr), &data))
            {
                log::warn!(
                    "rewriting {} bytes of RAM at {addr:#010x} after flashing: {e}",
                    data.len()
                );
            }
        }
        clock.end();
        result
    }

    /// The algorithm the loader will use for the main flash, which must be `wanted`.
    fn algorithm_for_main_flash(&mut self, wanted: &str, base: u32) -> Result<String, String> {
        let target = self
            .session()
            .map_err(|e| format!("the chip: {e}"))?
            .target();
        let region = target
            .memory_map
            .iter()
            .filter_map(MemoryRegion::as_nvm_region)
            .find(|r| r.range.contains(&u64::from(base)))
            .map(|r| r.range.clone())
            .ok_or_else(|| {
                format!(
                    "the probe-rs target {} has no flash region at {base:#010x}",
                    target.name
                )
            })?;
        let algorithms: Vec<(String, Range<u64>, bool)> = target
            .flash_algorithms
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    a.flash_properties.address_range.clone(),
                    a.default,
                )
            })
            .collect();
        match loader_algorithm(&algorithms, &region, wanted) {
            Some(name) if name == wanted => Ok(name.to_string()),
            other => Err(format!(
                "the probe-rs target {} would program the flash with {}, not {wanted} as the chip's layout needs; nothing was written",
                target.name,
                other.unwrap_or("no algorithm")
            )),
        }
    }
}

impl Flash for ChipTarget<'_> {
    fn flash_erase(&mut self, start_addr: u32, length: u32) -> TargetResult<(), Self> {
        let range = self.accept_flash_op(FlashOp::Erase, start_addr, u64::from(length))?;
        self.flash.erase(range);
        Ok(())
    }

    fn flash_write(&mut self, start_addr: u32, data: &[u8]) -> TargetResult<(), Self> {
        let range = self.accept_flash_op(FlashOp::Write, start_addr, data.len() as u64)?;
        self.flash.write(range, data);
        Ok(())
    }

    fn flash_done(&mut self) -> TargetResult<(), Self> {
        let mut pending = std::mem::take(&mut self.flash);
        pending.clock.packets_done();
        if pending.refused {
            log::warn!("load not programmed: one of its flash packets was refused");
            return Err(TargetError::Errno(REFUSED));
        }
        if pending.is_empty() {
            return Ok(());
        }
        let mut clock = pending.clock.clone();
        let result = self.program_pending(&pending, &mut clock);
        log::info!(
            "load of {} bytes: {}",
            pending.written_bytes(),
            clock.summary()
        );
        match result {
            Ok(()) => Ok(()),
            Err(message) => {
                log::error!("load failed: {message}");
                self.guard.notice(format!("load failed: {message}"));
                Err(TargetError::NonFatal)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::f7::geometry::{BankMode, FlashLayout};
    use crate::gdb::f7::guard::main_flash;

    fn axim(start: u32, len: u32) -> FlashRange {
        FlashRange {
            start,
            len,
            from_itcm: false,
        }
    }

    fn dual() -> MainFlash {
        main_flash(&FlashLayout::new(2048, BankMode::Dual).unwrap())
    }

    #[test]
    fn adjacent_writes_are_joined() {
        let mut p = PendingFlash::default();
        p.erase(axim(0x0800_0000, 0x4000));
        p.write(axim(0x0800_0000, 2), &[1, 2]);
        p.write(axim(0x0800_0002, 2), &[3, 4]);
        p.write(axim(0x0800_1000, 1), &[5]);
        assert_eq!(
            p.chunks(&dual()),
            vec![(0x0800_0000, vec![1, 2, 3, 4]), (0x0800_1000, vec![5])]
        );
        assert_eq!(p.written_bytes(), 5);
    }

    #[test]
    fn overlapping_writes_replace_instead_of_piling_up() {
        let mut o = Overlay::default();
        for i in 0..1000u32 {
            o.write(0x0800_0000 + (i % 7), &[i as u8; 0x100]);
        }
        assert_eq!(o.len(), 0x100 + 6, "bounded by the span written");
        o.write(0x0800_0010, &[0xAB; 4]);
        o.write(0x0800_0200, &[1]);
        o.write(0x0800_0106, &[2]);
        let chunks: Vec<(u32, usize)> = o.chunks().map(|(a, d)| (a, d.len())).collect();
        assert_eq!(chunks, vec![(0x0800_0000, 0x107), (0x0800_0200, 1)]);
        assert!(o.chunks().next().unwrap().1[0x10..0x14] == [0xAB; 4]);
        // The top of the address space.
        o.write(0xFFFF_FFFE, &[1, 2]);
        assert!(o.touches(0xFFFF_FFFF, 0x1_0000_0000));
    }

    #[test]
    fn erases_merge() {
        let mut r = RangeSet::default();
        for _ in 0..100 {
            r.add(0x0800_0000, 0x4000);
        }
        r.add(0x0800_4000, 0x4000);
        r.add(0x0801_0000, 0x10);
        r.add(0x0800_2000, 0x100);
        let ranges: Vec<Range<u64>> = r.ranges().collect();
        assert_eq!(
            ranges,
            vec![0x0800_0000..0x0800_8000, 0x0801_0000..0x0801_0010]
        );
    }

    #[test]
    fn erased_but_unwritten_sectors_are_filled() {
        let mut p = PendingFlash::default();
        p.erase(axim(0x0800_0000, 0x4000));
        p.erase(axim(0x0800_4000, 0x10));
        p.write(axim(0x0800_0100, 1), &[9]);
        // Dual bank: 0x0800_4000 is sector 1, which received no data.
        assert_eq!(
            p.chunks(&dual()),
            vec![(0x0800_0100, vec![9]), (0x0800_4000, vec![0xFF; 0x10])]
        );
        // Single bank: both lie in sector 0 (32 KB), which the loader erases anyway.
        let single = main_flash(&FlashLayout::new(2048, BankMode::Single).unwrap());
        assert_eq!(p.chunks(&single), vec![(0x0800_0100, vec![9])]);
        assert!(!p.is_empty());
        assert!(PendingFlash::default().is_empty());
    }

    #[test]
    fn ram_writes_during_a_load_are_kept() {
        let mut idle = PendingFlash::default();
        idle.note_memory_write(0x2000_0000, &[1]);
        assert!(idle.ram_writes().is_empty(), "no load in progress");
        let mut p = PendingFlash::default();
        p.erase(axim(0x0800_0000, 0x4000));
        p.note_memory_write(0x2000_0100, &[1, 2]);
        p.note_memory_write(0x4002_3C14, &[0; 4]);
        p.note_memory_write(0x0000_0010, &[3]);
        p.note_memory_write(0x2000_0100, &[4]);
        assert_eq!(
            p.ram_writes(),
            vec![(0x0000_0010, vec![3]), (0x2000_0100, vec![4, 2])]
        );
    }

    #[test]
    fn a_refused_packet_drops_the_load() {
        let mut p = PendingFlash::start(Some(dual()));
        p.erase(axim(0x0800_0000, 0x4000));
        p.refuse();
        assert!(p.is_empty() && p.refused && p.layout.is_none());
        assert!(!p.is_fresh());
    }

    fn algos() -> Vec<(String, Range<u64>, bool)> {
        vec![
            ("stm32f7x_2048".into(), 0x0800_0000..0x0820_0000, true),
            ("stm32f7x_2048dual".into(), 0x0800_0000..0x0820_0000, false),
            ("stm32f7xtcm_2048".into(), 0x0020_0000..0x0040_0000, true),
            ("stm32f76x_77x_opt".into(), 0x1FFF_0000..0x1FFF_0008, false),
        ]
    }

    #[test]
    fn the_loader_rule_picks_the_preferred_algorithm_for_the_main_flash() {
        let main = 0x0800_0000..0x0820_0000;
        let a = algos();
        assert_eq!(
            loader_algorithm(&a, &main, "stm32f7x_2048dual"),
            Some("stm32f7x_2048dual")
        );
        assert_eq!(
            loader_algorithm(&a, &main, "stm32f7x_2048"),
            Some("stm32f7x_2048")
        );
        // A preferred name that does not fit falls back to the default: the caller sees the
        // difference and refuses.
        assert_eq!(
            loader_algorithm(&a, &main, "stm32f7x_1024dual"),
            Some("stm32f7x_2048")
        );
        // A region only one algorithm holds gets it, whatever is preferred.
        assert_eq!(
            loader_algorithm(&a, &(0x1FFF_0000..0x1FFF_0008), "stm32f7x_2048dual"),
            Some("stm32f76x_77x_opt")
        );
        assert_eq!(loader_algorithm(&a, &(0x3000_0000..0x3000_0010), "x"), None);
    }
}
