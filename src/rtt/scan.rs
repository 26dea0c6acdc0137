//! Where to look for the RTT control block, and the search itself.
//!
//! The search reads RAM a chunk at a time ([`CHUNK`] bytes) and asks probe-rs's finder
//! ([`probe_rs::rtt::Rtt::find_control_block`]) about each chunk, so one step holds the chip only
//! for one short read. Chunks overlap by the length of the ID less one, so an ID across a chunk
//! border is still found.

use std::fmt;
use std::ops::Range;

use probe_rs::config::MemoryRegion;
use probe_rs::rtt::{Error as RttError, Rtt, ScanRegion};
use probe_rs::Core;

/// The ID a control block starts with; the only one probe-rs's RTT recognises.
pub const RTT_ID: &str = "SEGGER RTT";
/// How many bytes one search step reads.
pub const CHUNK: u64 = 4 * 1024;

/// A refused `setup`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    /// The size is zero.
    #[error(
        "the size must be at least {} bytes (one control block header)",
        Rtt::control_block_size()
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

/// The chip's RAM regions (probe-rs's target description), without aliases, consecutive regions
/// merged.
pub fn ram_regions(memory_map: &[MemoryRegion]) -> Vec<Range<u64>> {
    let mut ranges: Vec<Range<u64>> = memory_map
        .iter()
        .filter_map(MemoryRegion::as_ram_region)
        .filter(|r| !r.is_alias)
        .map(|r| r.range.clone())
        .collect();
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
        if size < Rtt::control_block_size() as u64 {
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

    /// The ranges searched.
    pub fn ranges(&self) -> &[Range<u64>] {
        &self.ranges
    }

    /// The chunks one search pass reads, in order.
    pub fn chunks(&self) -> Vec<Range<u64>> {
        let overlap = RTT_ID.len() as u64 - 1;
        let mut chunks = Vec::new();
        for r in &self.ranges {
            let mut start = r.start;
            loop {
                let end = (start + CHUNK).min(r.end);
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

/// What one search step found out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// More chunks to read.
    Searching,
    /// The pass is over: exactly one control block, here.
    Found(u64),
    /// The pass is over: none.
    NotFound,
    /// The pass is over: more than one (the user has to choose with an address range).
    Several(Vec<u64>),
}

/// A search pass over an area, one chunk per [`Search::step`].
#[derive(Clone, Debug)]
pub struct Search {
    chunks: Vec<Range<u64>>,
    next: usize,
    found: Vec<u64>,
}

impl Search {
    /// A new pass over `area`.
    pub fn new(area: &ScanArea) -> Search {
        Search {
            chunks: area.chunks(),
            next: 0,
            found: Vec::new(),
        }
    }

    /// Reads the next chunk. A chunk that cannot be read ends the step with the probe's error; the
    /// pass goes on with the next chunk next time.
    pub fn step(&mut self, core: &mut Core<'_>) -> Result<Step, probe_rs::Error> {
        if let Some(chunk) = self.chunks.get(self.next).cloned() {
            self.next += 1;
            match Rtt::find_control_block(core, &ScanRegion::range(chunk)) {
                Ok(address) => self.note(address),
                Err(RttError::MultipleControlBlocksFound(all)) => {
                    all.into_iter().for_each(|a| self.note(a))
                }
                Err(RttError::Probe(e)) => return Err(e),
                Err(_) => {}
            }
        }
        if self.next < self.chunks.len() {
            return Ok(Step::Searching);
        }
        Ok(match self.found.as_slice() {
            [] => Step::NotFound,
            [one] => Step::Found(*one),
            several => Step::Several(several.to_vec()),
        })
    }

    /// Runs the whole pass now.
    pub fn run(mut self, core: &mut Core<'_>) -> Result<Step, probe_rs::Error> {
        loop {
            match self.step(core)? {
                Step::Searching => {}
                done => return Ok(done),
            }
        }
    }

    fn note(&mut self, address: u64) {
        if !self.found.contains(&address) {
            self.found.push(address);
        }
    }
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
        assert!(chunks.iter().all(|c| c.end - c.start <= CHUNK));
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
