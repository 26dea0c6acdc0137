//! The GDB server's answers for STM32F76x/F77x and F74x/F75x: the write guard's rules
//! ([`guard`]), the memory map ([`memory_map`]), and `load` with probe-rs's algorithm for the
//! live sector layout (`stm32f7x_2048` single bank, `stm32f7x_2048dual`/`stm32f7x_1024dual`).

pub mod guard;
pub mod memory_map;

use probe_rs::Core;

use crate::chip::f7::Part;
use crate::chip::family::ChipFamily;
use crate::gdb::family::{GdbFamily, LiveFlash, Load};
use crate::gdb::guard::GuardRules;
use crate::optbytes::f7::live::read_live_flash;

/// The F7 family's GDB answers.
pub struct F7;

/// The family's object, registered in [`crate::gdb::FAMILIES`].
pub static FAMILY: F7 = F7;

impl GdbFamily for F7 {
    fn chip(&self) -> &'static dyn ChipFamily {
        &crate::chip::f7::FAMILY
    }

    fn guard(&self) -> &'static dyn GuardRules {
        &guard::RULES
    }

    fn live_flash(
        &self,
        core: &mut Core<'_>,
        target_name: &str,
    ) -> Result<LiveFlash, probe_rs::Error> {
        let live = read_live_flash(core, target_name)?;
        let fallback_kb = Part::from_name(target_name).map_or(2048, |p| p.flash_kb);
        let layout = live.layout.as_ref();
        // A bank mode written and not loaded: which sectors the chip has is not known, so no
        // flash packet is accepted and `load` is refused until a reset loads one mode.
        let unsettled = live.unsettled();
        Ok(LiveFlash {
            main: layout
                .filter(|_| unsettled.is_none())
                .map(guard::main_flash),
            memory_map: memory_map::memory_map_xml(layout, fallback_kb),
            load: match (layout, unsettled) {
                (_, Some(why)) => Load::Refused(why),
                (Some(layout), None) => Load::Algorithm(layout.probe_rs_algorithm()),
                (None, None) => Load::Refused(
                    "the flash size of this chip is unknown, refusing to program it".into(),
                ),
            },
            summary: format!(
                "nDBANK={} ({})",
                u8::from(live.ndbank()),
                layout.map_or("layout unknown".to_string(), |l| l.summary())
            ),
        })
    }
}
