//! The G0 option programming sequence: the OPTR controller's ([`crate::optbytes::optr`]) with
//! the G0's facts (reference §3, §7): FLASH_KEYR/FLASH_OPTKEYR, FLASH_CR.OPTSTRT and OBL_LAUNCH
//! at 0x4002_2000, busy = BSY1 | BSY2 | CFGBSY, the fourteen option registers (those the line
//! has), the image at 0x1FFF_7800, DBG_APB_FZ1 at 0x4001_5808 for the watchdogs.

use std::time::Duration;

use crate::chip::g0::registers::{
    flash_sr_flag_names, FlashRegister, DBG_APB_FZ1, DBG_APB_FZ1_DBG_IWDG_STOP,
    DBG_APB_FZ1_DBG_WWDG_STOP, FLASH_CR_LOCK, FLASH_CR_OBL_LAUNCH, FLASH_CR_OPTLOCK,
    FLASH_CR_OPTSTRT, FLASH_SR_ANY_BUSY, FLASH_SR_EOP, FLASH_SR_W1C,
};
use crate::chip::g0::{G0Line, G0OptionImage, G0Options, G0Part};
use crate::optbytes::apply::ApplyOptions;
use crate::optbytes::change::{FamilyPlan, Link};
use crate::optbytes::error::{Error, LeftState};
use crate::optbytes::optr::{
    sequence, Controller, ImageMismatch, OptrFamily, OptrOutcome, Register,
};
use crate::optbytes::target::Target;
use crate::optbytes::watchdogs::FreezeRegister;

use super::plan::G0Plan;
use super::read::{identify_chip, read_image, read_registers};

/// How a G0 change ended.
pub type G0Outcome = OptrOutcome<G0Options>;

impl G0Outcome {
    /// Nothing written.
    pub fn nothing_written(plan: &G0Plan) -> Self {
        OptrOutcome::unwritten(plan.old)
    }
}

const fn register(r: FlashRegister, name: &'static str) -> Register {
    Register {
        address: r.address(),
        name,
    }
}

/// The G0B0/G0B1/G0C1 OPTR controller at 0x4002_2000 (CMSIS `stm32g0b1xx.h`): the G4's IP with
/// two bank busy bits and CFGBSY, all three waited for (HAL-G0 `FLASH_WaitForLastOperation`).
pub(crate) static CONTROLLER: Controller = Controller {
    keyr: register(FlashRegister::Keyr, "FLASH_KEYR"),
    optkeyr: register(FlashRegister::Optkeyr, "FLASH_OPTKEYR"),
    sr: register(FlashRegister::Sr, "FLASH_SR"),
    cr: register(FlashRegister::Cr, "FLASH_CR"),
    lock: FLASH_CR_LOCK,
    lock_name: "FLASH_CR.LOCK",
    optlock: FLASH_CR_OPTLOCK,
    optlock_name: "FLASH_CR.OPTLOCK",
    optstrt: FLASH_CR_OPTSTRT,
    obl_launch: FLASH_CR_OBL_LAUNCH,
    busy: FLASH_SR_ANY_BUSY,
    eop: FLASH_SR_EOP,
    w1c: FLASH_SR_W1C,
    flag_names: flash_sr_flag_names,
    freeze: FreezeRegister {
        address: DBG_APB_FZ1,
        name: "DBG_APB_FZ1",
        bits: DBG_APB_FZ1_DBG_IWDG_STOP | DBG_APB_FZ1_DBG_WWDG_STOP,
        bit_names: "DBG_IWDG_STOP/DBG_WWDG_STOP",
    },
    image: "0x1FFF_7800",
};

/// The G0's side of the OPTR sequence, for the line the plan is for (the registers it has).
pub(crate) struct G0Optr {
    pub line: G0Line,
}

impl OptrFamily for G0Optr {
    type Options = G0Options;
    type Image = G0OptionImage;
    type Part = G0Part;
    type Plan = G0Plan;

    fn controller(&self) -> &'static Controller {
        &CONTROLLER
    }

    /// Only the registers the line has: the G0B0's PCROP and SECR are never written.
    fn registers(&self, options: &G0Options) -> Vec<(Register, u32)> {
        FlashRegister::OPTIONS
            .into_iter()
            .filter(|r| r.exists_on(self.line))
            .filter_map(|r| {
                let value = options.register(r)?;
                Some((
                    Register {
                        address: r.address(),
                        name: r.name(),
                    },
                    value,
                ))
            })
            .collect()
    }

    fn optr(&self, options: &G0Options) -> u32 {
        options.optr
    }

    fn planned_from(&self, plan: &G0Plan) -> G0Options {
        plan.old
    }

    fn planned(&self, plan: &G0Plan) -> G0Options {
        plan.new
    }

    fn part(&self, plan: &G0Plan) -> G0Part {
        plan.part
    }

    fn busy_timeout(&self, plan: &G0Plan) -> Duration {
        plan.busy_timeout
    }

    fn layout_change(&self, plan: &G0Plan) -> Option<&'static str> {
        plan.layout_bits()
    }

    fn sets_rdp2(&self, plan: &G0Plan) -> bool {
        plan.sets_rdp2()
    }

    fn describe(&self, part: &G0Part) -> String {
        part.describe()
    }

    fn read_options<T: Target + ?Sized>(
        &self,
        t: &mut T,
        step: &str,
        state: LeftState,
    ) -> Result<G0Options, Error> {
        read_registers(t, self.line, step, state)
    }

    fn read_image<T: Target + ?Sized>(&self, t: &mut T) -> Result<G0OptionImage, probe_rs::Error> {
        read_image(t, self.line)
    }

    fn image_mismatch(&self, image: &G0OptionImage) -> Option<ImageMismatch> {
        image.mismatches().first().map(|m| ImageMismatch {
            address: m.address,
            value: m.value,
            complement: m.complement,
        })
    }

    fn image_options(&self, image: &G0OptionImage) -> G0Options {
        image.options()
    }

    /// DEV_ID 0x467 and the flash size, read now; the line is the plan's (the chip cannot tell
    /// its line).
    fn identify<T: Target + ?Sized>(
        &self,
        t: &mut T,
    ) -> Result<(Result<G0Part, Error>, String), Error> {
        identify_chip(t, self.line)
    }

    /// The part's own refusals were checked by the plan; DUAL_BANK needs a bank mode, which the
    /// flash size just read confirms (the plan's part was checked against it).
    fn check_part(&self, _part: &G0Part, _plan: &G0Plan) -> Result<(), Error> {
        Ok(())
    }
}

/// Program, load (OBL_LAUNCH, re-attach) unless `opts.reset` is false, verify.
///
/// A change of DUAL_BANK or nSWAP_BANK that moves the layout is refused without the load, before
/// anything is touched: FLASH_OPTR reads the written value at once while the chip keeps the
/// mapping it loaded, so until the next option load erase and `load` — which learn the mapping
/// from FLASH_OPTR — would address the physical bank of the pending mapping, not of the live one.
/// The change path refuses it earlier, before the dry run and the confirmations
/// ([`FamilyPlan::check_left_pending`]); this is for a caller that runs a plan on its own. After
/// an error, such a change is still loaded once it is known to be stored
/// ([`sequence::load_layout_after_error`]).
pub(crate) fn apply(
    link: &mut dyn Link,
    plan: &G0Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<G0Outcome, Error> {
    if !opts.reset && !plan.is_noop() {
        plan.check_left_pending()?;
    }
    let family = G0Optr {
        line: plan.part.line,
    };
    sequence::apply(&family, link, plan, opts, progress)
        .or_else(|error| sequence::load_layout_after_error(&family, link, plan, opts, error, progress))
}
