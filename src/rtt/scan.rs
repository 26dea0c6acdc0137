//! Where to look for the RTT control block, and the search itself.
//!
//! A search pass ([`Pass`]) reads the area in big reads ([`READ_SIZE`] bytes, as many per step as
//! fit in a time budget, so a step holds the chip briefly whatever the probe's speed) and notes
//! every 4-byte aligned place where the ID sits, not only the first: the flash loader's leftover
//! copy of a block may sit below the live one. Reads overlap by the length of the ID less one, so
//! an ID across a border is still found. [`read_block`] then reads each place and checks it
//! ([`super::block`]).

use std::fmt;
use std::ops::Range;

use std::time::{Duration, Instant};

use probe_rs::config::MemoryRegion;
use probe_rs::{Core, MemoryInterface};

use super::block::{BlockImage, Invalid, Memory, HEADER_LEN, ID};

/// The ID a control block starts with; the only one probe-rs's RTT recognises.
pub const RTT_ID: &str = "SEGGER RTT";

/// A refused `setup`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The size is zero.
    #[error(
        "the size must be at least {} bytes (one control block header)",
        HEADER_LEN
    )]
    TooSmall,
    /// The range is not inside one RAM region.
    #[error(
        "{range} is not inside the chip's RAM ({ram}); reading other memory can have side effects"
    )]
    NotInRam {
        /// The range asked for.
        range: String,
        /// The RAM regions of the chip.
        ram: String,
    },
    /// An ID other than "SEGGER RTT".
    #[error(
        "control block ID `{0}` is not supported: probe-rs's RTT only recognises \"SEGGER RTT\""
    )]
    UnsupportedId(String),
}

/// The RAM to search.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScanArea {
    ranges: Vec<Range<u64>>,
    whole_ram: bool,
}

/// Flash and RAM regions of the chip (where a channel name may be read from), merged.
pub fn readable_regions(memory_map: &[MemoryRegion]) -> Vec<Range<u64>> {
    let mut ranges = ram_regions(memory_map);
    ranges.extend(
        memory_map
            .iter()
            .filter_map(MemoryRegion::as_nvm_region)
            .map(|r| r.range.clone()),
    );
    merge(ranges)
}

fn merge(mut ranges: Vec<Range<u64>>) -> Vec<Range<u64>> {
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<u64>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(last) if last.end >= r.start => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// The chip's RAM regions (probe-rs's target description), without aliases, consecutive regions
/// merged.
pub fn ram_regions(memory_map: &[MemoryRegion]) -> Vec<Range<u64>> {
    merge(
        memory_map
            .iter()
            .filter_map(MemoryRegion::as_ram_region)
            .filter(|r| !r.is_alias)
            .map(|r| r.range.clone())
            .collect(),
    )
}

fn describe_ranges(ranges: &[Range<u64>]) -> String {
    if ranges.is_empty() {
        return "none known".into();
    }
    ranges
        .iter()
        .map(describe_range)
        .collect::<Vec<_>>()
        .join(", ")
}

fn describe_range(r: &Range<u64>) -> String {
    let size = r.end - r.start;
    if size.is_multiple_of(1024) {
        format!("{:#010x}..{:#010x} ({} KB)", r.start, r.end, size / 1024)
    } else {
        format!("{:#010x}..{:#010x} ({size} bytes)", r.start, r.end)
    }
}

impl ScanArea {
    /// All of the chip's RAM.
    pub fn whole_ram(ram: &[Range<u64>]) -> ScanArea {
        ScanArea {
            ranges: ram.to_vec(),
            whole_ram: true,
        }
    }

    /// `size` bytes from `address`, which must lie inside one RAM region of `ram`; `id`, when
    /// given, must be "SEGGER RTT".
    pub fn range(
        address: u64,
        size: u64,
        id: Option<&str>,
        ram: &[Range<u64>],
    ) -> Result<ScanArea, SetupError> {
        if let Some(id) = id {
            if id != RTT_ID {
                return Err(SetupError::UnsupportedId(id.to_string()));
            }
        }
        if size < HEADER_LEN as u64 {
            return Err(SetupError::TooSmall);
        }
        let end = address.checked_add(size);
        let inside = end.is_some_and(|end| ram.iter().any(|r| r.start <= address && end <= r.end));
        if !inside {
            return Err(SetupError::NotInRam {
                range: match end {
                    Some(end) => describe_range(&(address..end)),
                    None => format!("{address:#x} + {size:#x}"),
                },
                ram: describe_ranges(ram),
            });
        }
        Ok(ScanArea {
            ranges: std::iter::once(address..address + size).collect(),
            whole_ram: false,
        })
    }

    /// The parts of this area within `reach` bytes of `points` (each clipped to the range it is
    /// in, merged); empty when no point is inside the area.
    pub fn around(&self, points: &[u64], reach: u64) -> ScanArea {
        let mut ranges = Vec::new();
        for &p in points {
            if let Some(r) = self.ranges.iter().find(|r| r.contains(&p)) {
                let start = p.saturating_sub(reach).max(r.start) & !3;
                ranges.push(start..p.saturating_add(reach).min(r.end));
            }
        }
        ScanArea {
            ranges: merge(ranges),
            whole_ram: false,
        }
    }

    /// Whether this is all of the chip's RAM (the default), not a range the user chose.
    pub fn is_whole_ram(&self) -> bool {
        self.whole_ram
    }

    /// The ranges searched.
    pub fn ranges(&self) -> &[Range<u64>] {
        &self.ranges
    }

    /// The reads one search pass makes, in order.
    pub fn chunks(&self) -> Vec<Range<u64>> {
        let overlap = RTT_ID.len() as u64 - 1;
        let mut chunks = Vec::new();
        for r in &self.ranges {
            let mut start = r.start;
            loop {
                let end = (start + READ_SIZE).min(r.end);
                chunks.push(start..end);
                if end == r.end {
                    break;
                }
                start = end - overlap;
            }
        }
        chunks
    }
}

impl fmt::Display for ScanArea {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.whole_ram {
            write!(f, "the chip's RAM, {}", describe_ranges(&self.ranges))
        } else {
            write!(f, "{}", describe_ranges(&self.ranges))
        }
    }
}

/// How many bytes one read of the search takes.
pub const READ_SIZE: u64 = 16 * 1024;

/// One search pass over an area: every 4-byte aligned place where the ID sits, read in big reads,
/// as many per [`Pass::step`] as fit in the time given (at least one), so the chip is held for a
/// bounded time per step whatever the probe's speed.
#[derive(Clone, Debug)]
pub struct Pass {
    reads: Vec<Range<u64>>,
    next: usize,
    found: Vec<u64>,
    /// Time spent reading so far (for the log).
    busy: Duration,
}

impl Pass {
    /// A new pass over `area`.
    pub fn new(area: &ScanArea) -> Pass {
        Pass {
            reads: area.chunks(),
            next: 0,
            found: Vec::new(),
            busy: Duration::ZERO,
        }
    }

    /// Whether every read is done.
    pub fn is_done(&self) -> bool {
        self.next >= self.reads.len()
    }

    /// Where the ID was found so far, in address order per range.
    pub fn found(&self) -> &[u64] {
        &self.found
    }

    /// Reads on for about `budget` (at least one read). A read that fails ends the step with the
    /// probe's error; the pass goes on with the next read next time.
    pub fn step(&mut self, core: &mut Core<'_>, budget: Duration) -> Result<(), probe_rs::Error> {
        let start = Instant::now();
        let mut buf = Vec::new();
        while let Some(read) = self.reads.get(self.next).cloned() {
            self.next += 1;
            buf.resize((read.end - read.start) as usize, 0);
            core.read(read.start, &mut buf)?;
            for address in id_addresses(read.start, &buf) {
                if !self.found.contains(&address) {
                    self.found.push(address);
                }
            }
            if start.elapsed() >= budget {
                break;
            }
        }
        self.busy += start.elapsed();
        if self.is_done() {
            log::debug!(
                "RTT search: {} reads in {:?} of chip time, ID at {:x?}",
                self.reads.len(),
                self.busy,
                self.found
            );
        }
        Ok(())
    }

    /// Runs the whole pass now; returns where the ID sits.
    pub fn run(mut self, core: &mut Core<'_>) -> Result<Vec<u64>, probe_rs::Error> {
        while !self.is_done() {
            self.step(core, Duration::MAX)?;
        }
        Ok(self.found)
    }
}

/// The 4-byte aligned addresses where the 16-byte ID of a control block starts in `bytes`, read
/// from `base`.
pub fn id_addresses(base: u64, bytes: &[u8]) -> impl Iterator<Item = u64> + '_ {
    bytes
        .windows(ID.len())
        .enumerate()
        .map(move |(i, w)| (base + i as u64, w))
        .filter(|(address, w)| address % 4 == 0 && w[0] == ID[0] && *w == ID)
        .map(|(address, _)| address)
}

/// Reads the control block at `address` and checks it: the probe's error, or the verdict.
pub fn read_block(
    core: &mut Core<'_>,
    address: u64,
    memory: &Memory<'_>,
) -> Result<Result<BlockImage, Invalid>, probe_rs::Error> {
    let readable = |len: usize| {
        memory
            .ram
            .iter()
            .any(|r| r.start <= address && address + len as u64 <= r.end)
    };
    if !readable(HEADER_LEN) {
        return Ok(Err(Invalid::Truncated));
    }
    let mut bytes = vec![0u8; HEADER_LEN];
    core.read(address, &mut bytes)?;
    let len = match BlockImage::len_from_header(&bytes) {
        Ok(len) => len,
        Err(why) => return Ok(Err(why)),
    };
    if !readable(len) {
        return Ok(Err(Invalid::Truncated));
    }
    bytes.resize(len, 0);
    core.read(address + HEADER_LEN as u64, &mut bytes[HEADER_LEN..])?;
    Ok(BlockImage::parse(address, &bytes, memory))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The RAM of an STM32F767ZI as probe-rs describes it (DTCM and SRAM, merged).
    fn f76x_ram() -> Vec<Range<u64>> {
        let target = probe_rs::config::Registry::from_builtin_families()
            .get_target_by_name("STM32F767ZI")
            .unwrap();
        ram_regions(&target.memory_map)
    }

    #[test]
    fn the_f767_ram_is_dtcm_and_sram_in_one_range() {
        assert_eq!(
            f76x_ram(),
            std::iter::once(0x2000_0000..0x2008_0000).collect::<Vec<_>>()
        );
    }

    #[test]
    fn the_g474_ram_includes_both_views_of_the_ccm_sram() {
        let target = probe_rs::config::Registry::from_builtin_families()
            .get_target_by_name("STM32G474RE")
            .unwrap();
        // probe-rs lists CCM SRAM at 0x1000_0000 (ICODE) and at 0x2001_8000 (DCODE, merged with
        // SRAM1 and SRAM2), neither as an alias: a control block in CCM SRAM is found twice.
        let ram = ram_regions(&target.memory_map);
        assert_eq!(
            ram,
            vec![0x1000_0000..0x1000_8000, 0x2000_0000..0x2002_0000]
        );
    }

    #[test]
    fn chunks_cover_the_area_and_overlap_by_an_id_less_one() {
        let area = ScanArea::whole_ram(&f76x_ram());
        let chunks = area.chunks();
        assert_eq!(chunks.first().unwrap().start, 0x2000_0000);
        assert_eq!(chunks.last().unwrap().end, 0x2008_0000);
        for pair in chunks.windows(2) {
            assert_eq!(pair[0].end - pair[1].start, RTT_ID.len() as u64 - 1);
        }
        assert!(chunks.iter().all(|c| c.end - c.start <= READ_SIZE));
    }

    #[test]
    fn every_aligned_id_is_found_also_across_read_borders() {
        let mut ram = vec![0u8; 64];
        ram[8..24].copy_from_slice(&ID);
        ram[42..58].copy_from_slice(&ID); // not aligned: not a control block
        assert_eq!(
            id_addresses(0x2000_0000, &ram).collect::<Vec<_>>(),
            vec![0x2000_0008]
        );
        // A read starting 15 bytes before a border (the overlap) keeps absolute alignment.
        assert_eq!(
            id_addresses(0x2000_0001, &ram[1..]).collect::<Vec<_>>(),
            vec![0x2000_0008]
        );
    }

    #[test]
    fn the_area_around_points_is_clipped_and_merged() {
        let area = ScanArea::whole_ram(&f76x_ram());
        let near = area.around(
            &[0x2000_1000, 0x2000_3000, 0x2007_ff00, 0x0800_0000],
            0x2000,
        );
        assert_eq!(
            near.ranges(),
            &[0x2000_0000..0x2000_5000, 0x2007_df00..0x2008_0000]
        );
        assert!(!near.is_whole_ram());
    }

    #[test]
    fn a_small_range_is_one_chunk() {
        let ram = f76x_ram();
        let area = ScanArea::range(0x2002_0000, 1024, None, &ram).unwrap();
        assert_eq!(area.chunks(), vec![0x2002_0000..0x2002_0400]);
        assert!(area.to_string().contains("0x20020000..0x20020400 (1 KB)"));
    }

    #[test]
    fn ranges_outside_ram_and_other_ids_are_refused() {
        let ram = f76x_ram();
        assert!(matches!(
            ScanArea::range(0x0800_0000, 1024, None, &ram),
            Err(SetupError::NotInRam { .. })
        ));
        assert!(matches!(
            ScanArea::range(0x2007_ff00, 0x200, None, &ram),
            Err(SetupError::NotInRam { .. })
        ));
        assert!(matches!(
            ScanArea::range(u64::MAX - 4, 0x200, None, &ram),
            Err(SetupError::NotInRam { .. })
        ));
        assert_eq!(
            ScanArea::range(0x2000_0000, 0, None, &ram),
            Err(SetupError::TooSmall)
        );
        assert_eq!(
            ScanArea::range(0x2000_0000, 1024, Some("MY RTT"), &ram),
            Err(SetupError::UnsupportedId("MY RTT".into()))
        );
        assert!(ScanArea::range(0x2000_0000, 1024, Some("SEGGER RTT"), &ram).is_ok());
    }
}
