//! The F7's memory map (RM0410 §2.2): ITCM RAM, the flash on the AXI bus in the live sector
//! layout and through ITCM (read only), system memory, the option bytes, DTCM and SRAM, the
//! peripherals and the Cortex-M7 system space.

use crate::chip::f7::geometry::{FlashLayout, FLASH_AXIM_BASE, FLASH_ITCM_BASE};
use crate::gdb::memory_map::{document, fixed_entries, flash_entry, rom_entry, FixedRegion};

/// Regions listed besides the flash: (type, start, length, what).
const FIXED_REGIONS: &[FixedRegion] = &[
    ("ram", 0x0000_0000, 0x4000, "ITCM RAM"),
    (
        "ram",
        0x1FF0_0000,
        0x0001_0000,
        "system memory, OTP, unique ID, flash size",
    ),
    ("ram", 0x1FFF_0000, 0x0000_1000, "option bytes"),
    ("ram", 0x2000_0000, 0x0002_0000, "DTCM RAM"),
    ("ram", 0x2002_0000, 0x0006_0000, "SRAM1 and SRAM2"),
    ("ram", 0x4000_0000, 0x2000_0000, "peripherals"),
    ("ram", 0xE000_0000, 0x2000_0000, "Cortex-M7 system space"),
];

/// Runs of equal, contiguous sectors: (start, total length, sector size).
pub fn flash_blocks(layout: &FlashLayout) -> Vec<(u32, u32, u32)> {
    let mut blocks: Vec<(u32, u32, u32)> = Vec::new();
    for s in &layout.sectors {
        match blocks.last_mut() {
            Some((start, len, size)) if *size == s.size && *start + *len == s.address => {
                *len += s.size
            }
            _ => blocks.push((s.address, s.size, s.size)),
        }
    }
    blocks
}

/// The memory-map document for a layout (`None`: flash unknown, listed as read-only).
pub fn memory_map_xml(layout: Option<&FlashLayout>, fallback_flash_kb: u32) -> String {
    let mut entries = fixed_entries(FIXED_REGIONS);
    let flash_bytes = layout.map_or(fallback_flash_kb, |l| l.flash_kb) * 1024;
    entries.push(rom_entry(
        "flash through ITCM (read-only alias)",
        FLASH_ITCM_BASE,
        flash_bytes,
    ));
    let flash = layout.and_then(|l| flash_entry(&l.summary(), &flash_blocks(l)));
    entries.push(flash.unwrap_or_else(|| {
        rom_entry(
            "flash: layout unknown, read-only",
            FLASH_AXIM_BASE,
            flash_bytes,
        )
    }));
    document(entries)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::f7::fields::FLASH_OPTCR_NDBANK;
    use crate::gdb::memory_map::flash_elements;
    use crate::optbytes::f7::live::layout_from_registers;

    const OPTCR_FACTORY: u32 = 0xFFFF_AAFD;
    const OPTCR_DUAL: u32 = OPTCR_FACTORY & !FLASH_OPTCR_NDBANK;
    const IDCODE_F76X: u32 = 0x1000_6451;

    fn xml_for(optcr: u32, kb: u16) -> String {
        let live = layout_from_registers(IDCODE_F76X, kb, optcr, None);
        memory_map_xml(live.layout.as_ref(), u32::from(kb))
    }

    #[test]
    fn two_mb_single_bank() {
        let xml = xml_for(OPTCR_FACTORY, 2048);
        assert_eq!(
            flash_elements(&xml),
            vec![
                (0x0800_0000, 0x2_0000, 0x8000),
                (0x0802_0000, 0x2_0000, 0x2_0000),
                (0x0804_0000, 0x1C_0000, 0x4_0000),
            ]
        );
    }

    #[test]
    fn two_mb_dual_bank() {
        let xml = xml_for(OPTCR_DUAL, 2048);
        assert_eq!(
            flash_elements(&xml),
            vec![
                (0x0800_0000, 0x1_0000, 0x4000),
                (0x0801_0000, 0x1_0000, 0x1_0000),
                (0x0802_0000, 0xE_0000, 0x2_0000),
                (0x0810_0000, 0x1_0000, 0x4000),
                (0x0811_0000, 0x1_0000, 0x1_0000),
                (0x0812_0000, 0xE_0000, 0x2_0000),
            ]
        );
    }

    #[test]
    fn one_mb_single_bank() {
        let xml = xml_for(OPTCR_FACTORY, 1024);
        assert_eq!(
            flash_elements(&xml),
            vec![
                (0x0800_0000, 0x2_0000, 0x8000),
                (0x0802_0000, 0x2_0000, 0x2_0000),
                (0x0804_0000, 0xC_0000, 0x4_0000),
            ]
        );
    }

    #[test]
    fn one_mb_dual_bank_has_bank2_at_0x0808_0000() {
        let xml = xml_for(OPTCR_DUAL, 1024);
        assert_eq!(
            flash_elements(&xml),
            vec![
                (0x0800_0000, 0x1_0000, 0x4000),
                (0x0801_0000, 0x1_0000, 0x1_0000),
                (0x0802_0000, 0x6_0000, 0x2_0000),
                (0x0808_0000, 0x1_0000, 0x4000),
                (0x0809_0000, 0x1_0000, 0x1_0000),
                (0x080A_0000, 0x6_0000, 0x2_0000),
            ]
        );
    }

    #[test]
    fn ram_peripherals_and_system_areas_are_listed() {
        let xml = xml_for(OPTCR_FACTORY, 2048);
        for needle in [
            r#"<memory type="ram" start="0x0" length="0x4000"/>"#,
            r#"<memory type="ram" start="0x20000000" length="0x20000"/>"#,
            r#"<memory type="ram" start="0x20020000" length="0x60000"/>"#,
            r#"<memory type="ram" start="0x40000000" length="0x20000000"/>"#,
            r#"<memory type="ram" start="0x1ff00000" length="0x10000"/>"#,
            r#"<memory type="ram" start="0x1fff0000" length="0x1000"/>"#,
            r#"<memory type="ram" start="0xe0000000" length="0x20000000"/>"#,
            r#"<memory type="rom" start="0x200000" length="0x200000"/>"#,
        ] {
            assert!(xml.contains(needle), "missing {needle} in\n{xml}");
        }
        // Regions are in address order and do not overlap.
        let spans: Vec<(u64, u64)> = xml
            .lines()
            .filter(|l| l.contains("<memory "))
            .map(|l| {
                let get = |name: &str| {
                    let i = l.find(&format!("{name}=\"0x")).unwrap() + name.len() + 4;
                    let end = l[i..].find('"').unwrap();
                    u64::from_str_radix(&l[i..i + end], 16).unwrap()
                };
                (get("start"), get("length"))
            })
            .collect();
        let sorted = {
            let mut s = spans.clone();
            s.sort();
            s
        };
        assert_eq!(spans, sorted);
        spans
            .windows(2)
            .for_each(|w| assert!(w[0].0 + w[0].1 <= w[1].0));
        assert!(xml.starts_with("<?xml"));
        assert!(xml.trim_end().ends_with("</memory-map>"));
    }

    #[test]
    fn unknown_chip_falls_back_to_the_session_size() {
        let live = layout_from_registers(0x0000_0000, 0xFFFF, OPTCR_DUAL, Some(1024));
        assert!(live.part.is_none());
        assert!(!live.ndbank());
        assert_eq!(live.layout.as_ref().unwrap().flash_kb, 1024);
        let live = layout_from_registers(0, 0xFFFF, OPTCR_DUAL, None);
        let xml = memory_map_xml(live.layout.as_ref(), 2048);
        assert!(flash_elements(&xml).is_empty());
        assert!(xml.contains(r#"<memory type="rom" start="0x8000000" length="0x200000"/>"#));
    }
}
