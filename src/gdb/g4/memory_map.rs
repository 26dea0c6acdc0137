//! The G4's memory map (RM0440): CCM SRAM on the code bus, the flash in the banks of the live
//! DBANK mode (a hole between them on parts below 512 KB), system memory with OTP, the two
//! option-byte images, SRAM, the peripherals and the Cortex-M4 system space; and which probe-rs
//! algorithm, if any, fits the live layout.

use crate::chip::g4::geometry::FLASH_BASE;
use crate::chip::g4::{AlgorithmFit, G4Layout, G4Part};
use crate::gdb::memory_map::{document, fixed_entries, flash_entry, rom_entry, FixedRegion};
use crate::optbytes::g4::live::{from_registers, WRP_AREAS};

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

/// The G4 flash from FLASH_OPTR and the flash size register (`None`: not a G4 DEV_ID or an
/// unknown size).
pub fn g4_from_registers(idcode: u32, flash_size_kb: u16, optr: u32) -> Option<G4Flash> {
    let live = from_registers(idcode, flash_size_kb, optr, WRP_AREAS.map(|a| (a, 0)));
    Some(G4Flash {
        optr,
        part: live.part?,
        layout: live.layout,
    })
}

/// Regions of an STM32G47x/G48x besides its flash (RM0440 memory map).
const G4_FIXED_REGIONS: &[FixedRegion] = &[
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
    memory_map(flash.layout.as_ref(), flash.part.flash_kb)
}

/// The document for a layout (`None`: flash unknown, listed as read-only with `flash_kb`).
pub fn memory_map(layout: Option<&G4Layout>, flash_kb: u32) -> String {
    let mut entries = fixed_entries(G4_FIXED_REGIONS);
    let blocks: Vec<(u32, u32, u32)> = layout.map_or(Vec::new(), |l| {
        l.banks
            .iter()
            .map(|b| (b.base, b.end() - b.base, b.page_size))
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
    use crate::chip::BankMode;
    use crate::gdb::memory_map::flash_elements;

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
}
