//! The G0B0/G0B1/G0C1 memory map: the flash in the banks of the live layout (2 KB pages; with
//! the swap on the same addresses, other silicon), system memory with OTP, the option-byte
//! image, SRAM, the peripherals and the Cortex-M0+ system space.

use crate::chip::g0::geometry::FLASH_BASE;
use crate::chip::g0::G0Layout;
use crate::gdb::memory_map::{document, fixed_entries, flash_entry, rom_entry, FixedRegion};

/// Regions of a G0B0/G0B1/G0C1 besides its flash (probe-rs's memory map; reference §7).
const G0_FIXED_REGIONS: &[FixedRegion] = &[
    ("ram", 0x1FFF_0000, 0x0000_7000, "system memory"),
    (
        "ram",
        0x1FFF_7000,
        0x0000_1000,
        "OTP, device information, option bytes",
    ),
    ("ram", 0x2000_0000, 0x0002_4000, "SRAM (144 KB)"),
    ("ram", 0x4000_0000, 0x2000_0000, "peripherals"),
    ("ram", 0xE000_0000, 0x2000_0000, "Cortex-M0+ system space"),
];

/// The document for a layout (`None`: flash unknown, listed as read-only with `flash_kb`): one
/// `flash` element per bank in address order, 2 KB `blocksize`, each commented with the
/// physical bank behind it.
pub fn memory_map(layout: Option<&G0Layout>, flash_kb: u32) -> String {
    let mut entries = fixed_entries(G0_FIXED_REGIONS);
    let blocks: Vec<(u32, u32, u32)> = layout.map_or(Vec::new(), |l| {
        l.banks()
            .iter()
            .map(|b| (b.base, b.end() - b.base, crate::chip::g0::geometry::PAGE_SIZE))
            .collect()
    });
    let flash = layout.and_then(|l| flash_entry(&l.summary(), &blocks));
    entries.push(flash.unwrap_or_else(|| {
        rom_entry(
            "flash: layout unknown, read-only",
            FLASH_BASE,
            flash_kb * 1024,
        )
    }));
    document(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::Swap;
    use crate::chip::BankMode;
    use crate::gdb::memory_map::flash_elements;

    #[test]
    fn the_map_follows_the_bank_mode() {
        let dual = G0Layout::new(512, BankMode::Dual, Swap::On).unwrap();
        let xml = memory_map(Some(&dual), 512);
        assert_eq!(
            flash_elements(&xml),
            vec![
                (0x0800_0000, 0x4_0000, 0x800),
                (0x0804_0000, 0x4_0000, 0x800)
            ]
        );
        assert!(xml.contains("swapped: physical bank 2 at 0x0800_0000"), "{xml}");
        let single = G0Layout::new(512, BankMode::Single, Swap::Off).unwrap();
        assert_eq!(
            flash_elements(&memory_map(Some(&single), 512)),
            vec![(0x0800_0000, 0x8_0000, 0x800)]
        );
        assert!(flash_elements(&memory_map(None, 512)).is_empty());
    }
}
