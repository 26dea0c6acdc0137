//! How large a piece of flash probe-rs's loader hands to each call of a flash algorithm's
//! ProgramPage, for the algorithms of the supported parts.
//!
//! probe-rs's target descriptions give these algorithms 1 KiB program pages, and its loader calls
//! ProgramPage once per page: the arguments go into five core registers, the core is stepped and
//! run, its state polled, R0 and the stack guard read back — some thirty debug-port accesses for
//! every KiB, most of them waiting for an answer. Their ProgramPage routines program any length
//! in one call: they loop over the words (F7) or double words (G4) of the length they are given,
//! with a BSY wait after each, as their code shows. So stm32-opts describes them with larger
//! program pages, bounded by:
//! - the smallest erase sector of the algorithm, so that a page never spans two sectors (the
//!   loader decides what to erase from the pages that hold data);
//! - the algorithm's ProgramPage timeout at the datasheet's slowest word time (F7: 16 KiB is
//!   4096 words × 100 µs = 410 ms of the 1000 ms allowed);
//! - RAM: two page buffers (double buffering) and the algorithm must fit in the target's largest
//!   stretch of RAM (checked; on the F7 and the G4 they fit many times over).
//!
//! Erase, verify and the algorithm choice are untouched.

use probe_rs::config::{MemoryRegion, Target};

/// The program page stm32-opts gives an algorithm, where it differs from probe-rs's: the
/// family whose algorithm it is says ([`crate::chip::ChipFamily::program_page_bytes`]).
pub fn program_page_bytes(algorithm: &str) -> Option<u32> {
    super::family::FAMILIES
        .iter()
        .find_map(|f| f.program_page_bytes(algorithm))
}

/// One algorithm whose program page was enlarged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WidenedPages {
    pub algorithm: String,
    pub from: u32,
    pub to: u32,
}

/// Room an algorithm needs in RAM besides its two page buffers: its code and its stack (a few
/// hundred bytes and 4 KiB here), with a margin.
const ALGORITHM_ROOM: u64 = 16 * 1024;

/// The largest stretch of RAM in `target`'s memory map (adjacent regions joined, as probe-rs
/// joins them to place an algorithm and its buffers).
fn largest_ram(target: &Target) -> u64 {
    let mut ranges: Vec<std::ops::Range<u64>> = target
        .memory_map
        .iter()
        .filter_map(MemoryRegion::as_ram_region)
        .map(|r| r.range.clone())
        .collect();
    ranges.sort_by_key(|r| r.start);
    let mut largest = 0;
    let mut current: Option<std::ops::Range<u64>> = None;
    for r in ranges {
        current = match current {
            Some(c) if r.start <= c.end => Some(c.start..c.end.max(r.end)),
            Some(c) => {
                largest = largest.max(c.end - c.start);
                Some(r)
            }
            None => Some(r),
        };
    }
    current.map_or(largest, |c| largest.max(c.end - c.start))
}

/// Gives the algorithms of `target` the program pages of [`program_page_bytes`], where that is
/// larger than their own, divides every sector they list and two such pages fit in RAM beside
/// the algorithm; returns what changed.
pub fn widen_program_pages(target: &mut Target) -> Vec<WidenedPages> {
    let ram = largest_ram(target);
    let mut changed = Vec::new();
    for algorithm in &mut target.flash_algorithms {
        let Some(wanted) = program_page_bytes(&algorithm.name) else {
            continue;
        };
        let props = &mut algorithm.flash_properties;
        let fits_sectors = props.sectors.iter().all(|s| {
            s.size > 0 && s.size % u64::from(wanted) == 0 && s.address % u64::from(wanted) == 0
        });
        let fits_ram = 2 * u64::from(wanted) + ALGORITHM_ROOM <= ram;
        if wanted <= props.page_size || wanted % props.page_size != 0 || !fits_sectors || !fits_ram
        {
            continue;
        }
        changed.push(WidenedPages {
            algorithm: algorithm.name.clone(),
            from: props.page_size,
            to: wanted,
        });
        props.page_size = wanted;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;
    use probe_rs::config::Registry;

    fn target(name: &str) -> Target {
        Registry::from_builtin_families()
            .get_target_by_name(name)
            .unwrap()
    }

    fn page_size(t: &Target, algorithm: &str) -> u32 {
        t.flash_algorithms
            .iter()
            .find(|a| a.name == algorithm)
            .unwrap()
            .flash_properties
            .page_size
    }

    #[test]
    fn f7_main_flash_algorithms_get_16_kib_pages_and_nothing_else_changes() {
        let original = target("STM32F767ZI");
        let mut t = original.clone();
        let changed = widen_program_pages(&mut t);
        let names: Vec<&str> = changed.iter().map(|c| c.algorithm.as_str()).collect();
        assert!(names.contains(&"stm32f7x_2048"), "{names:?}");
        assert!(names.contains(&"stm32f7x_2048dual"), "{names:?}");
        assert!(changed.iter().all(|c| c.from == 1024 && c.to == 16 * 1024));
        assert_eq!(page_size(&t, "stm32f7x_2048dual"), 16 * 1024);
        // The option-byte and TCM algorithms keep theirs.
        assert_eq!(
            page_size(&t, "stm32f76x_77x_opt"),
            page_size(&original, "stm32f76x_77x_opt")
        );
        for (a, b) in t.flash_algorithms.iter().zip(&original.flash_algorithms) {
            assert_eq!(a.flash_properties.sectors, b.flash_properties.sectors);
            assert_eq!(a.instructions, b.instructions);
            assert_eq!(a.default, b.default);
        }
    }

    #[test]
    fn the_g4_algorithm_gets_pages_of_one_sector() {
        let mut t = target("STM32G474RE");
        let changed = widen_program_pages(&mut t);
        assert_eq!(
            changed,
            vec![WidenedPages {
                algorithm: "stm32g47x-8x_512".into(),
                from: 1024,
                to: 2048
            }]
        );
    }

    #[test]
    fn pages_that_do_not_fit_twice_in_ram_are_left_alone() {
        let mut t = target("STM32F767ZI");
        assert!(largest_ram(&t) >= 128 * 1024);
        t.memory_map.retain(|r| r.as_ram_region().is_none());
        assert_eq!(largest_ram(&t), 0);
        assert!(widen_program_pages(&mut t).is_empty());
    }

    #[test]
    fn unknown_algorithms_and_pages_that_would_span_sectors_are_left_alone() {
        assert_eq!(program_page_bytes("nrf52"), None);
        let mut t = target("STM32F767ZI");
        for a in &mut t.flash_algorithms {
            for s in &mut a.flash_properties.sectors {
                s.size = 8 * 1024;
            }
        }
        assert!(widen_program_pages(&mut t).is_empty());
    }
}
