//! The GDB server's answers for STM32G0B0/G0B1/G0C1: the write guard's rules ([`guard`]), the
//! memory map ([`memory_map`]), and `load`.
//!
//! `load` is host-driven through the FLASH registers ([`crate::erase::g0::program`]) in every
//! mode: probe-rs 0.32's `stm32g0bx_512`, run on the simulated chip, erases the physical bank
//! an address names without the swap (with the swap on, a page of the bank the user did not
//! mean), and fails to erase bank 2 on the model (tests/integration/sim_g0.rs). The host-driven
//! path erases and programs each page by the physical bank the live layout maps at its address.

pub mod guard;
pub mod memory_map;

use probe_rs::Core;

use crate::chip::family::ChipFamily;
use crate::chip::g0::G0Part;
use crate::erase::g0::program;
use crate::gdb::family::{GdbFamily, LiveFlash, Load};
use crate::gdb::guard::GuardRules;
use crate::optbytes::g0::live::read_live;

/// The G0 family's GDB answers.
pub struct G0;

/// The family's object, registered in [`crate::gdb::FAMILIES`].
pub static FAMILY: G0 = G0;

impl GdbFamily for G0 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::g0::FAMILY
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
            let flash_kb = G0Part::from_name(target_name).map_or(512, |p| p.flash_kb);
            return Ok(LiveFlash {
                main: None,
                memory_map: memory_map::memory_map(None, flash_kb),
                load: Load::Refused(format!(
                    "DBG_IDCODE {:#010x} with {} KB of flash is no known STM32G0B0/G0B1/G0C1 part, refusing to program it",
                    live.idcode, live.flash_kb
                )),
                summary: "layout unknown".into(),
            });
        };
        // A mapping written and not loaded: which silicon answers at an address is not known,
        // so no flash packet is accepted and `load` is refused until an option load settles it.
        let unsettled = live.unsettled();
        let load = match unsettled.clone() {
            Some(why) => Load::Refused(why),
            None => Load::HostDriven(format!(
                "the chip is in {}; stm32-opts programs it through the FLASH registers, each page by the physical bank mapped at its address",
                layout.summary()
            )),
        };
        Ok(LiveFlash {
            main: unsettled.is_none().then(|| guard::main_flash(&layout)),
            memory_map: memory_map::memory_map(Some(&layout), layout.flash_kb),
            load,
            summary: layout.summary(),
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
            "{} pages erased, {} double words programmed, {} bytes verified; written to {}",
            report.counts.pages_erased,
            report.counts.double_words,
            report.counts.verified_bytes,
            report.banks.join(" and ")
        ))
    }
}
