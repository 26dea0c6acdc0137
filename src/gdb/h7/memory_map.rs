//! The STM32H74x/H75x memory map (RM0433; probe-rs's `STM32H7_Series.yaml` RAMs, CMSIS-H7): the
//! RAMs, system memory, the flash in the windows of the mapping in force (one `flash` element
//! per bank, 128 KB sectors), the peripherals and the Cortex-M7 system space.

use crate::chip::h7::geometry::FLASH_BANK1_BASE;
use crate::chip::h7::H7Layout;
use crate::gdb::memory_map::{document, fixed_entries, flash_entry, rom_entry, FixedRegion};

/// Regions of an STM32H743 besides its flash.
const H7_FIXED_REGIONS: &[FixedRegion] = &[
    ("ram", 0x0000_0000, 0x0001_0000, "ITCM RAM"),
    ("ram", 0x1000_0000, 0x0004_8000, "SRAM1-3 (D2 alias)"),
    ("ram", 0x1FF0_0000, 0x0002_0000, "system memory, unique ID, flash size"),
    ("ram", 0x2000_0000, 0x0002_0000, "DTCM RAM"),
    ("ram", 0x2400_0000, 0x0008_0000, "AXI SRAM"),
    ("ram", 0x3000_0000, 0x0004_8000, "SRAM1-3"),
    ("ram", 0x3800_0000, 0x0001_0000, "SRAM4"),
    ("ram", 0x3880_0000, 0x0000_1000, "backup SRAM"),
    ("ram", 0x4000_0000, 0x2000_0000, "peripherals"),
    ("ram", 0xE000_0000, 0x2000_0000, "Cortex-M7 system space"),
];

/// The document for the mapping in force (`None`: flash unknown, listed read-only with
/// `flash_kb`).
pub fn memory_map(layout: Option<&H7Layout>, flash_kb: u32) -> String {
    let mut entries = fixed_entries(H7_FIXED_REGIONS);
    let blocks: Vec<(u32, u32, u32)> = layout.map_or(Vec::new(), |l| {
        l.placements()
            .iter()
            .map(|p| (p.base, p.size, crate::chip::h7::geometry::SECTOR_SIZE.min(p.size)))
            .collect()
    });
    let summary = layout.map(|l| {
        let banks: Vec<String> = l.placements().iter().map(|p| p.to_string()).collect();
        format!("{}; {}", l.summary(), banks.join(", "))
    });
    let flash = summary.and_then(|s| flash_entry(&s, &blocks));
    entries.push(flash.unwrap_or_else(|| {
        rom_entry(
            "flash: layout unknown, read-only",
            FLASH_BANK1_BASE,
            flash_kb * 1024,
        )
    }));
    document(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::h7::BankSwap;
    use crate::gdb::memory_map::flash_elements;

    #[test]
    fn the_map_names_the_physical_banks() {
        let swapped = H7Layout::new(2048, BankSwap::Swapped).unwrap();
        let xml = memory_map(Some(&swapped), 2048);
        assert_eq!(
            flash_elements(&xml),
            vec![
                (0x0800_0000, 0x10_0000, 0x2_0000),
                (0x0810_0000, 0x10_0000, 0x2_0000)
            ]
        );
        assert!(xml.contains("logical 0x0800_0000 = physical bank 2"), "{xml}");
        let half = H7Layout::new(1024, BankSwap::NotSwapped).unwrap();
        assert_eq!(
            flash_elements(&memory_map(Some(&half), 1024)),
            vec![
                (0x0800_0000, 0x8_0000, 0x2_0000),
                (0x0810_0000, 0x8_0000, 0x2_0000)
            ]
        );
        assert!(memory_map(None, 2048).contains("type=\"rom\""));
    }
}
