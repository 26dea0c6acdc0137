//! The memory-map XML (`qXfer:memory-map:read`), generated from the live chip on every request.
//!
//! Flash regions follow the current FLASH_OPTCR.nDBANK and the flash size register, one
//! `flash` element per run of equal sectors with the sector size as `blocksize`, so that GDB's
//! `load` erases and writes real sectors. RAMs, the peripheral space and the system areas are
//! listed as `ram` so that GDB does not refuse reads such as `x/wx 0x40023C14`.

use std::fmt::Write as _;

use probe_rs::{Core, MemoryInterface};

use crate::chip::f7::geometry::{FlashLayout, FLASH_AXIM_BASE, FLASH_ITCM_BASE};
use crate::chip::f7::registers::{DBGMCU_IDCODE, FLASHSIZE_BASE, FLASH_OPTCR};
use crate::chip::f7::Part;
use crate::chip::g4::registers::{
    FlashRegister as G4FlashRegister, FLASHSIZE_BASE as G4_FLASHSIZE_BASE,
};
use crate::chip::g4::{AlgorithmFit, G4Layout, G4Line, G4Part, OptrField};
use crate::chip::BankMode;

/// FLASH_OPTCR.nDBANK (bit 29): 1 = single bank, 0 = dual bank.
pub const OPTCR_NDBANK: u32 = 1 << 29;

/// Regions listed besides the flash: (type, start, length, what).
const FIXED_REGIONS: &[(&str, u32, u32, &str)] = &[
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

/// What the server knows about the chip's flash right now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LiveFlash {
    /// FLASH_OPTCR as read (F7; 0 on a G4).
    pub optcr: u32,
    /// The part, when DBGMCU_IDCODE and the flash size register identify it (F7).
    pub part: Option<Part>,
    /// The sector layout in the current bank mode, when known (F7).
    pub layout: Option<FlashLayout>,
    /// On an STM32G4: its page layout in the bank mode FLASH_OPTR.DBANK shows (the family
    /// hook; `layout` and `part` are `None` then).
    pub g4: Option<G4Flash>,
}

/// The flash of an STM32G4 as the server sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct G4Flash {
    /// FLASH_OPTR as read.
    pub optr: u32,
    /// The part.
    pub part: G4Part,
    /// The pages in the mode DBANK selects (`None` for a flash size without a known layout).
    pub layout: Option<G4Layout>,
}

impl G4Flash {
    /// The probe-rs algorithm for `load` in this mode, or why there is none.
    pub fn algorithm(&self) -> Result<&'static str, String> {
        let layout = self.layout.as_ref().ok_or_else(|| {
            format!(
                "no page layout is known for {}: refusing to program it",
                self.part.describe()
            )
        })?;
        match layout.probe_rs_algorithm() {
            AlgorithmFit::Matches(name) => Ok(name),
            AlgorithmFit::NoneMatches { default, why, .. } => Err(format!(
                "load refused: the chip is in {} and probe-rs 0.32 has no flash algorithm for this mode ({default}: {why}); nothing was erased or written. {}",
                layout.summary(),
                if layout.flash_kb == 512 {
                    "Switch to dual bank (`monitor bank dual`) or program it another way"
                } else {
                    "Program it another way (the ST bootloader, STM32CubeProgrammer)"
                }
            )),
        }
    }
}

impl LiveFlash {
    /// FLASH_OPTCR.nDBANK (true = single bank).
    pub fn ndbank(&self) -> bool {
        self.optcr & OPTCR_NDBANK != 0
    }
}

/// Works out the layout from raw register values; `fallback_kb` is the flash size of the chip
/// name the session was opened with, used when the size register is unusable.
pub fn layout_from_registers(
    idcode: u32,
    flash_size_kb: u16,
    optcr: u32,
    fallback_kb: Option<u32>,
) -> LiveFlash {
    let ndbank = optcr & OPTCR_NDBANK != 0;
    let dev_id = (idcode & 0xFFF) as u16;
    let part = Part::from_ids(dev_id, flash_size_kb).ok();
    let layout = match part {
        Some(part) => Some(part.layout_for_ndbank(ndbank)),
        None => [Some(u32::from(flash_size_kb)), fallback_kb]
            .into_iter()
            .flatten()
            .find_map(|kb| {
                FlashLayout::new(kb, crate::chip::f7::geometry::bank_mode_from_ndbank(ndbank)).ok()
            }),
    };
    LiveFlash {
        optcr,
        part,
        layout,
        g4: None,
    }
}

/// The G4 flash from FLASH_OPTR and the flash size register (`None`: not a G4 DEV_ID or an
/// unknown size).
pub fn g4_from_registers(idcode: u32, flash_size_kb: u16, optr: u32) -> Option<G4Flash> {
    let part = G4Part::from_ids((idcode & 0xFFF) as u16, flash_size_kb).ok()?;
    let dual = part.line.has_dbank() && OptrField::Dbank.get(optr) != 0;
    let mode = if dual {
        BankMode::Dual
    } else {
        BankMode::Single
    };
    Some(G4Flash {
        optr,
        part,
        layout: G4Layout::new(part.flash_kb, mode).ok(),
    })
}

/// Reads FLASH_OPTCR, DBGMCU_IDCODE and the flash size register through the core.
pub fn read_live_flash(core: &mut Core, target_name: &str) -> Result<LiveFlash, probe_rs::Error> {
    // DBGMCU_IDCODE is at the same address on both families: it says which registers to read.
    let idcode = core.read_word_32(u64::from(DBGMCU_IDCODE))?;
    if G4Line::from_dev_id((idcode & 0xFFF) as u16).is_some() {
        let optr = core.read_word_32(u64::from(G4FlashRegister::Optr.address()))?;
        let size = core.read_word_32(u64::from(G4_FLASHSIZE_BASE))? as u16;
        return Ok(LiveFlash {
            optcr: 0,
            part: None,
            layout: None,
            g4: g4_from_registers(idcode, size, optr),
        });
    }
    let optcr = core.read_word_32(u64::from(FLASH_OPTCR))?;
    let idcode = core.read_word_32(u64::from(DBGMCU_IDCODE))?;
    // The size register is a half-word at 0x1FF0_F442: read the aligned word around it.
    let size_word = core.read_word_32(u64::from(FLASHSIZE_BASE & !3))?;
    let flash_size_kb = (size_word >> (8 * (FLASHSIZE_BASE & 3))) as u16;
    let fallback = Part::from_name(target_name).ok().map(|p| p.flash_kb);
    Ok(layout_from_registers(
        idcode,
        flash_size_kb,
        optcr,
        fallback,
    ))
}

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
    let mut regions: Vec<(u32, String)> = FIXED_REGIONS
        .iter()
        .map(|&(kind, start, len, what)| {
            (
                start,
                format!(
                    "  <!-- {what} -->\n  <memory type=\"{kind}\" start=\"{start:#x}\" length=\"{len:#x}\"/>\n"
                ),
            )
        })
        .collect();
    let flash_bytes = layout.map_or(fallback_flash_kb, |l| l.flash_kb) * 1024;
    regions.push((
        FLASH_ITCM_BASE,
        format!(
            "  <!-- flash through ITCM (read-only alias) -->\n  <memory type=\"rom\" start=\"{FLASH_ITCM_BASE:#x}\" length=\"{flash_bytes:#x}\"/>\n"
        ),
    ));
    match layout {
        Some(layout) => {
            let mut text = format!("  <!-- flash: {} -->\n", layout.summary());
            for (start, len, size) in flash_blocks(layout) {
                let _ = writeln!(
                    text,
                    "  <memory type=\"flash\" start=\"{start:#x}\" length=\"{len:#x}\"><property name=\"blocksize\">{size:#x}</property></memory>"
                );
            }
            regions.push((FLASH_AXIM_BASE, text));
        }
        None => regions.push((
            FLASH_AXIM_BASE,
            format!(
                "  <!-- flash: layout unknown, read-only -->\n  <memory type=\"rom\" start=\"{FLASH_AXIM_BASE:#x}\" length=\"{flash_bytes:#x}\"/>\n"
            ),
        )),
    }
    regions.sort_by_key(|(start, _)| *start);
    let mut xml = String::from(concat!(
        "<?xml version=\"1.0\"?>\n",
        "<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map V1.0//EN\" ",
        "\"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n",
        "<memory-map>\n"
    ));
    for (_, text) in regions {
        xml.push_str(&text);
    }
    xml.push_str("</memory-map>\n");
    xml
}

/// Regions of an STM32G47x/G48x besides its flash (RM0440 memory map).
const G4_FIXED_REGIONS: &[(&str, u32, u32, &str)] = &[
    ("ram", 0x1000_0000, 0x8000, "CCM SRAM (code bus)"),
    ("ram", 0x1FFF_0000, 0x0000_7000, "system memory"),
    (
        "ram",
        0x1FFF_7000,
        0x0000_1000,
        "OTP, flash size, option bytes (bank 1)",
    ),
    ("ram", 0x1FFF_F800, 0x0000_0800, "option bytes (bank 2)"),
    (
        "ram",
        0x2000_0000,
        0x0002_0000,
        "SRAM1, SRAM2 and the CCM SRAM alias",
    ),
    ("ram", 0x4000_0000, 0x2000_0000, "peripherals"),
    ("ram", 0xE000_0000, 0x2000_0000, "Cortex-M4 system space"),
];

/// The memory-map document of an STM32G4: one `flash` element per bank with its page size as
/// `blocksize` (2 KB pages in two banks with the gap on parts below 512 KB, or 4 KB pages in one
/// bank), so GDB's `load` erases real pages.
pub fn g4_memory_map_xml(flash: &G4Flash) -> String {
    let mut regions: Vec<(u32, String)> = G4_FIXED_REGIONS
        .iter()
        .map(|&(kind, start, len, what)| {
            (
                start,
                format!(
                    "  <!-- {what} -->\n  <memory type=\"{kind}\" start=\"{start:#x}\" length=\"{len:#x}\"/>\n"
                ),
            )
        })
        .collect();
    match &flash.layout {
        Some(layout) => {
            let mut text = format!("  <!-- flash: {} -->\n", layout.summary());
            for b in &layout.banks {
                let _ = writeln!(
                    text,
                    "  <memory type=\"flash\" start=\"{:#x}\" length=\"{:#x}\"><property name=\"blocksize\">{:#x}</property></memory>",
                    b.base,
                    b.end() - b.base,
                    b.page_size
                );
            }
            regions.push((0x0800_0000, text));
        }
        None => regions.push((
            0x0800_0000,
            format!(
                "  <!-- flash: layout unknown, read-only -->\n  <memory type=\"rom\" start=\"0x8000000\" length=\"{:#x}\"/>\n",
                flash.part.flash_kb * 1024
            ),
        )),
    }
    regions.sort_by_key(|(start, _)| *start);
    let mut xml = String::from(concat!(
        "<?xml version=\"1.0\"?>\n",
        "<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map V1.0//EN\" ",
        "\"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n",
        "<memory-map>\n"
    ));
    for (_, text) in regions {
        xml.push_str(&text);
    }
    xml.push_str("</memory-map>\n");
    xml
}

/// Copies `document[offset..]` into `buf` as qXfer wants it; returns the number of bytes.
pub fn copy_chunk(document: &[u8], offset: u64, buf: &mut [u8]) -> usize {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(document.len());
    let n = (document.len() - start).min(buf.len());
    buf[..n].copy_from_slice(&document[start..start + n]);
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn g4_map_follows_dbank() {
        let dual = g4_from_registers(0x2000_6469, 512, 0xFFEF_F8AA).unwrap();
        let xml = g4_memory_map_xml(&dual);
        assert_eq!(
            flash_elements(&xml),
            vec![
                (0x0800_0000, 0x4_0000, 0x800),
                (0x0804_0000, 0x4_0000, 0x800)
            ]
        );
        assert_eq!(dual.algorithm(), Ok("stm32g47x-8x_512"));
        let single = g4_from_registers(0x2000_6469, 512, 0xFFAF_F8AA).unwrap();
        assert_eq!(
            flash_elements(&g4_memory_map_xml(&single)),
            vec![(0x0800_0000, 0x8_0000, 0x1000)]
        );
        let e = single.algorithm().unwrap_err();
        assert!(
            e.contains("single bank") && e.contains("no flash algorithm"),
            "{e}"
        );
        assert!(e.contains("nothing was erased"), "{e}");
        // 256 KB dual bank: two 128 KB banks with the gap; no algorithm fits.
        let rc = g4_from_registers(0x2000_6469, 256, 0xFFEF_F8AA).unwrap();
        assert_eq!(
            flash_elements(&g4_memory_map_xml(&rc)),
            vec![
                (0x0800_0000, 0x2_0000, 0x800),
                (0x0804_0000, 0x2_0000, 0x800)
            ]
        );
        assert!(rc.algorithm().is_err());
        let rc_single = g4_from_registers(0x2000_6469, 256, 0xFFAF_F8AA).unwrap();
        let e = rc_single.algorithm().unwrap_err();
        assert!(e.contains("2 KB units"), "{e}");
        // G49x: bit 22 is not DBANK, the part is single bank whatever it holds.
        let g491 = g4_from_registers(0x2000_6479, 512, 0xFFEF_F8AA);
        assert!(g491.is_none_or(|f| f.layout.is_none_or(|l| l.bank_mode == BankMode::Single)));
    }

    const OPTCR_FACTORY: u32 = 0xFFFF_AAFD;
    const OPTCR_DUAL: u32 = OPTCR_FACTORY & !OPTCR_NDBANK;
    const IDCODE_F76X: u32 = 0x1000_6451;

    fn flash_elements(xml: &str) -> Vec<(u32, u32, u32)> {
        xml.lines()
            .filter(|l| l.contains("type=\"flash\""))
            .map(|l| {
                let attr = |name: &str| {
                    let i = l.find(&format!("{name}=\"0x")).unwrap() + name.len() + 4;
                    let end = l[i..].find('"').unwrap();
                    u32::from_str_radix(&l[i..i + end], 16).unwrap()
                };
                let b = l.find("\"blocksize\">0x").unwrap() + 14;
                let e = l[b..].find('<').unwrap();
                (
                    attr("start"),
                    attr("length"),
                    u32::from_str_radix(&l[b..b + e], 16).unwrap(),
                )
            })
            .collect()
    }

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

    #[test]
    fn chunks() {
        let doc = b"0123456789";
        let mut buf = [0u8; 4];
        assert_eq!(copy_chunk(doc, 0, &mut buf), 4);
        assert_eq!(&buf, b"0123");
        assert_eq!(copy_chunk(doc, 8, &mut buf), 2);
        assert_eq!(&buf[..2], b"89");
        assert_eq!(copy_chunk(doc, 10, &mut buf), 0);
        assert_eq!(copy_chunk(doc, u64::MAX, &mut buf), 0);
    }
}
