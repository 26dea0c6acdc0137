//! GDB `load` into flash: vFlashErase / vFlashWrite / vFlashDone.
//!
//! Erases and writes are collected; `flash_done` programs them with probe-rs's `FlashLoader`
//! (verify on), using the flash algorithm that matches the live nDBANK value and flash size:
//! `stm32f7x_2048` in single-bank mode (1 MB parts too), `stm32f7x_2048dual` or
//! `stm32f7x_1024dual` in dual-bank mode. The loader erases the sectors it writes; a sector
//! GDB asked to erase without writing anything into it is written with 0xFF.

use std::collections::BTreeMap;

use gdbstub::target::ext::flash::Flash;
use gdbstub::target::{TargetError, TargetResult};
use probe_rs::flashing::DownloadOptions;
use probe_rs::MemoryInterface;

use super::registers;
use super::target::ChipTarget;

/// RAM the flash loader may use for its algorithm and buffers (DTCM, SRAM1, SRAM2, ITCM RAM).
const LOADER_RAM: [(u32, u32); 2] = [(0x2000_0000, 0x2008_0000), (0x0000_0000, 0x0000_4000)];

/// Collected flash operations of one `load`.
#[derive(Debug, Default)]
pub struct PendingFlash {
    erases: Vec<(u32, u32)>,
    writes: BTreeMap<u32, Vec<u8>>,
    /// RAM sections GDB wrote during the load (before `vFlashDone`): written again after
    /// programming, since the flash algorithm runs from RAM.
    ram_writes: Vec<(u32, Vec<u8>)>,
}

impl PendingFlash {
    /// Whether nothing was collected.
    pub fn is_empty(&self) -> bool {
        self.erases.is_empty() && self.writes.is_empty()
    }

    /// Records an erase request.
    pub fn erase(&mut self, start: u32, len: u32) {
        self.erases.push((start, len));
    }

    /// Records a write, joining it to the previous chunk when they touch.
    pub fn write(&mut self, start: u32, data: &[u8]) {
        if let Some((&prev, chunk)) = self.writes.range_mut(..=start).next_back() {
            if prev as u64 + chunk.len() as u64 == start as u64 {
                chunk.extend_from_slice(data);
                return;
            }
        }
        self.writes.insert(start, data.to_vec());
    }

    /// Chunks to program: the writes, plus 0xFF for erased ranges that received no data.
    pub fn chunks(&self) -> Vec<(u32, Vec<u8>)> {
        let mut out: Vec<(u32, Vec<u8>)> =
            self.writes.iter().map(|(&a, d)| (a, d.clone())).collect();
        for &(start, len) in &self.erases {
            let end = u64::from(start) + u64::from(len);
            let touched = self.writes.iter().any(|(&a, d)| {
                u64::from(a) < end && u64::from(a) + d.len() as u64 > u64::from(start)
            });
            if !touched && len > 0 {
                out.push((start, vec![0xFF; len as usize]));
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
            self.ram_writes.push((start, data.to_vec()));
        }
    }

    /// RAM writes to repeat after programming.
    pub fn ram_writes(&self) -> &[(u32, Vec<u8>)] {
        &self.ram_writes
    }

    /// Total bytes written by GDB.
    pub fn written_bytes(&self) -> usize {
        self.writes.values().map(Vec::len).sum()
    }
}

impl ChipTarget<'_> {
    /// Programs the collected data; returns a message for the log on failure.
    fn program_pending(&mut self, pending: &PendingFlash) -> Result<(), String> {
        let live = self
            .live_flash()
            .map_err(|e| format!("reading the flash configuration: {e}"))?;
        let (algorithm, summary) = match &live.g4 {
            // STM32G4: the algorithm that matches the live DBANK, or a refusal before anything
            // is erased (probe-rs has none for 512 KB single bank or 256 KB dual bank).
            Some(g4) => (
                g4.algorithm()?,
                g4.layout.as_ref().map(|l| l.summary()).unwrap_or_default(),
            ),
            None => {
                let layout = live
                    .layout
                    .ok_or("the flash size of this chip is unknown, refusing to program it")?;
                (layout.probe_rs_algorithm(), layout.summary())
            }
        };
        log::info!(
            "programming {} bytes with {algorithm} ({summary})",
            pending.written_bytes(),
        );

        // The flash algorithm runs on the core: keep the registers GDB knows.
        let fpu = self.fpu();
        let saved = self
            .core()
            .and_then(|mut core| registers::read_all(&mut core, fpu))
            .map_err(|e| format!("saving registers: {e}"))?;

        let session = self.session();
        let mut loader = session.target().flash_loader();
        let mut result = Ok(());
        for (addr, data) in pending.chunks() {
            if let Err(e) = loader.add_data(u64::from(addr), &data) {
                result = Err(format!("{} bytes at {addr:#010x}: {e}", data.len()));
                break;
            }
        }
        if result.is_ok() {
            let mut options = DownloadOptions::default();
            options.verify = true;
            options.preferred_algos = vec![algorithm.to_string()];
            result = loader
                .commit(session, options)
                .map_err(|e| format!("flashing with {algorithm}: {e}"));
        }

        self.forget_registers();
        if let Err(e) = self
            .core()
            .and_then(|mut core| registers::write_all(&mut core, &saved, None, fpu))
        {
            log::warn!("restoring registers after flashing: {e}");
        }
        for (addr, data) in pending.ram_writes() {
            if let Err(e) = self
                .core()
                .and_then(|mut core| core.write(u64::from(*addr), data))
            {
                log::warn!(
                    "rewriting {} bytes of RAM at {addr:#010x} after flashing: {e}",
                    data.len()
                );
            }
        }
        result
    }
}

impl Flash for ChipTarget<'_> {
    fn flash_erase(&mut self, start_addr: u32, length: u32) -> TargetResult<(), Self> {
        self.flash.erase(start_addr, length);
        Ok(())
    }

    fn flash_write(&mut self, start_addr: u32, data: &[u8]) -> TargetResult<(), Self> {
        self.flash.write(start_addr, data);
        Ok(())
    }

    fn flash_done(&mut self) -> TargetResult<(), Self> {
        let pending = std::mem::take(&mut self.flash);
        if pending.is_empty() {
            return Ok(());
        }
        match self.program_pending(&pending) {
            Ok(()) => Ok(()),
            Err(message) => {
                log::error!("load failed: {message}");
                Err(TargetError::NonFatal)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adjacent_writes_are_joined() {
        let mut p = PendingFlash::default();
        p.erase(0x0800_0000, 0x4000);
        p.write(0x0800_0000, &[1, 2]);
        p.write(0x0800_0002, &[3, 4]);
        p.write(0x0800_1000, &[5]);
        assert_eq!(
            p.chunks(),
            vec![(0x0800_0000, vec![1, 2, 3, 4]), (0x0800_1000, vec![5])]
        );
        assert_eq!(p.written_bytes(), 5);
    }

    #[test]
    fn erased_but_unwritten_ranges_are_filled() {
        let mut p = PendingFlash::default();
        p.erase(0x0800_0000, 0x4000);
        p.erase(0x0800_4000, 0x10);
        p.write(0x0800_0100, &[9]);
        assert_eq!(
            p.chunks(),
            vec![(0x0800_0100, vec![9]), (0x0800_4000, vec![0xFF; 0x10])]
        );
        assert!(!p.is_empty());
        assert!(PendingFlash::default().is_empty());
    }

    #[test]
    fn ram_writes_during_a_load_are_kept() {
        let mut idle = PendingFlash::default();
        idle.note_memory_write(0x2000_0000, &[1]);
        assert!(idle.ram_writes().is_empty(), "no load in progress");
        let mut p = PendingFlash::default();
        p.erase(0x0800_0000, 0x4000);
        p.note_memory_write(0x2000_0100, &[1, 2]);
        p.note_memory_write(0x4002_3C14, &[0; 4]);
        p.note_memory_write(0x0000_0010, &[3]);
        assert_eq!(
            p.ram_writes(),
            &[(0x2000_0100, vec![1, 2]), (0x0000_0010, vec![3])]
        );
    }
}
