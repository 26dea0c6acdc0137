//! The GDB server's answers for STM32G47x/G48x: the write guard's rules ([`guard`]), the memory
//! map ([`memory_map`]), and `load`: with `stm32g47x-8x_512` where it fits the live layout (512
//! KB dual bank), host-driven through the FLASH registers ([`crate::erase::g4::program`]) where
//! probe-rs has no right algorithm.

pub mod guard;
pub mod memory_map;

use probe_rs::Core;

use crate::chip::family::ChipFamily;
use crate::chip::g4::G4Part;
use crate::erase::g4::program;
use crate::gdb::family::{GdbFamily, LiveFlash, Load};
use crate::gdb::guard::GuardRules;
use crate::optbytes::g4::live::read_live;

use memory_map::G4Flash;

/// The G4 family's GDB answers.
pub struct G4;

/// The family's object, registered in [`crate::gdb::FAMILIES`].
pub static FAMILY: G4 = G4;

impl GdbFamily for G4 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::g4::FAMILY
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
        let Some(part) = live.part else {
            let flash_kb = G4Part::from_name(target_name).map_or(512, |p| p.flash_kb);
            return Ok(LiveFlash {
                main: None,
                memory_map: memory_map::memory_map(None, flash_kb),
                load: Load::Refused(format!(
                    "DBGMCU_IDCODE {:#010x} with {} KB of flash is no known STM32G4 part, refusing to program it",
                    live.idcode, live.flash_kb
                )),
                summary: "layout unknown".into(),
            });
        };
        // A bank mode written and not loaded: which pages the chip has is not known, so no
        // flash packet is accepted and `load` is refused until an option load settles one mode.
        let unsettled = live.unsettled();
        let flash = G4Flash {
            optr: live.optr,
            part,
            layout: live.layout,
        };
        let load = match (&flash.layout, flash.algorithm()) {
            _ if unsettled.is_some() => Load::Refused(unsettled.clone().unwrap_or_default()),
            (None, _) => Load::Refused(format!(
                "no page layout is known for {}, refusing to program it",
                part.describe()
            )),
            (Some(_), Ok(algorithm)) => Load::Algorithm(algorithm),
            (Some(_), Err(why)) => Load::HostDriven(why),
        };
        Ok(LiveFlash {
            main: flash
                .layout
                .as_ref()
                .filter(|_| unsettled.is_none())
                .map(guard::main_flash),
            memory_map: memory_map::g4_memory_map_xml(&flash),
            load,
            summary: flash
                .layout
                .as_ref()
                .map_or("layout unknown".to_string(), |l| l.summary()),
        })
    }

    fn program_host(
        &self,
        core: &mut Core<'_>,
        chunks: &[(u32, Vec<u8>)],
        progress: &mut dyn FnMut(&str),
    ) -> Result<String, String> {
        let live = read_live(core).map_err(|e| format!("reading the flash configuration: {e}"))?;
        if let Some(why) = live.unsettled() {
            return Err(why);
        }
        let layout = live
            .layout
            .ok_or("no page layout is known for this chip, refusing to program it")?;
        let report = program::program(core, &layout, chunks, &mut |line| progress(&line))
            .map_err(|e| format!("programming {}: {e}", layout.summary()))?;
        Ok(format!(
            "{} pages erased, {} double words programmed, {} bytes verified",
            report.pages_erased, report.double_words, report.verified_bytes
        ))
    }
}
