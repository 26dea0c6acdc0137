//! The GDB server's answers for STM32H74x/H75x: the write guard's rules ([`guard`]), the memory
//! map of the mapping in force ([`memory_map`]), and `load`: with probe-rs's `stm32h7x_2048`
//! while the banks are not swapped, host-driven through the FLASH registers
//! ([`crate::erase::h7::program`]) while they are — whether that algorithm erases through the
//! register set of the physical bank behind an address is not known, and guessing wrong erases
//! the bank the user did not mean.

pub mod guard;
pub mod memory_map;

use probe_rs::Core;

use crate::chip::family::ChipFamily;
use crate::chip::h7::geometry::AlgorithmFit;
use crate::chip::h7::H7Part;
use crate::erase::h7::program;
use crate::gdb::family::{GdbFamily, LiveFlash, Load};
use crate::gdb::guard::GuardRules;
use crate::optbytes::h7::live::read_live;
use crate::optbytes::h7::report::mapping_text;

/// The H7 family's GDB answers.
pub struct H7;

/// The family's object, registered in [`crate::gdb::FAMILIES`].
pub static FAMILY: H7 = H7;

impl GdbFamily for H7 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::h7::FAMILY
    }

    fn guard(&self) -> &'static dyn GuardRules {
        &guard::RULES
    }

    fn live_flash(
        &self,
        core: &mut Core<'_>,
        target_name: &str,
    ) -> Result<LiveFlash, probe_rs::Error> {
        let live = read_live(core)?;
        let Some(layout) = live.layout else {
            let flash_kb = H7Part::from_name(target_name).map_or(2048, |p| p.flash_kb);
            return Ok(LiveFlash {
                main: None,
                memory_map: memory_map::memory_map(None, flash_kb),
                load: Load::Refused(format!(
                    "DBGMCU_IDCODE {:#010x} with flash size register {} is no known STM32H74x/H75x part, refusing to program it",
                    live.idcode, live.flash_size_raw
                )),
                summary: "layout unknown".into(),
            });
        };
        let load = match layout.probe_rs_algorithm() {
            AlgorithmFit::Matches(name) => Load::Algorithm(name),
            AlgorithmFit::SwapNotKnownToBeHonoured(name) => Load::HostDriven(format!(
                "the banks are swapped ({}); it is not known whether probe-rs's {name} erases through the register set of the physical bank behind an address, so the flash is programmed through the FLASH registers instead",
                mapping_text(layout.swap)
            )),
        };
        Ok(LiveFlash {
            main: Some(guard::main_flash(&layout)),
            memory_map: memory_map::memory_map(Some(&layout), layout.flash_kb),
            load,
            summary: format!("{}; {}", layout.summary(), mapping_text(layout.swap)),
        })
    }

    fn program_host(
        &self,
        core: &mut Core<'_>,
        chunks: &[(u32, Vec<u8>)],
        progress: &mut dyn FnMut(&str),
    ) -> Result<String, String> {
        let live = read_live(core).map_err(|e| format!("reading the flash configuration: {e}"))?;
        let layout = live
            .layout
            .ok_or("no sector layout is known for this chip, refusing to program it")?;
        let protected = |s: &crate::chip::h7::Sector| live.protected(s);
        let report = program::program(core, &layout, &protected, chunks, &mut |line| {
            progress(&line)
        })
        .map_err(|e| format!("programming {}: {e}", layout.summary()))?;
        Ok(format!(
            "{} sectors erased, {} flash words of 256 bits programmed, {} bytes verified ({})",
            report.sectors_erased,
            report.flash_words,
            report.verified_bytes,
            mapping_text(layout.swap)
        ))
    }
}
