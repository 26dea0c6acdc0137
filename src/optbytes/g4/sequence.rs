//! The G4 option programming sequence: the OPTR controller's ([`crate::optbytes::optr`]) with
//! the G4's facts (reference §3; RM0440 "Option bytes programming"): FLASH_KEYR/FLASH_OPTKEYR,
//! FLASH_CR.OPTSTRT and OBL_LAUNCH at 0x4002_2000, the eleven option registers, the image at
//! 0x1FFF_7800/0x1FFF_F800, DBGMCU_APB1FZR1 for the watchdogs, and DBANK only on DEV_ID 0x469.

use std::time::Duration;

use crate::chip::g4::registers::{
    flash_sr_flag_names, FlashRegister, DBGMCU_APB1FZR1, DBGMCU_APB1FZR1_DBG_IWDG_STOP,
    DBGMCU_APB1FZR1_DBG_WWDG_STOP, FLASH_CR_LOCK, FLASH_CR_OBL_LAUNCH, FLASH_CR_OPTLOCK,
    FLASH_CR_OPTSTRT, FLASH_SR_BSY, FLASH_SR_EOP, FLASH_SR_W1C,
};
use crate::chip::g4::{G4OptionImage, G4Options, G4Part};
use crate::optbytes::apply::ApplyOptions;
use crate::optbytes::change::{FamilyPlan, Link};
use crate::optbytes::error::{Error, LeftState};
use crate::optbytes::optr::{
    sequence, Controller, ImageMismatch, OptrFamily, OptrOutcome, Register,
};
use crate::optbytes::target::Target;
use crate::optbytes::watchdogs::FreezeRegister;

use super::plan::{G4Plan, G4PlanError};
use super::read::{read_identity, read_image, read_registers, OPTION_REGISTERS};

/// How a G4 change ended.
pub type G4Outcome = OptrOutcome<G4Options>;

impl G4Outcome {
    /// Nothing written.
    pub fn nothing_written(plan: &G4Plan) -> Self {
        OptrOutcome::unwritten(plan.old)
    }
}

/// A G4 FLASH register as the sequence names it.
const fn register(r: FlashRegister, name: &'static str) -> Register {
    Register {
        address: r.address(),
        name,
    }
}

/// The G47x/G48x OPTR controller at 0x4002_2000 (RM0440 §3.7; CMSIS `stm32g474xx.h`).
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
    busy: FLASH_SR_BSY,
    eop: FLASH_SR_EOP,
    w1c: FLASH_SR_W1C,
    flag_names: flash_sr_flag_names,
    freeze: FreezeRegister {
        address: DBGMCU_APB1FZR1,
        name: "DBGMCU_APB1FZR1",
        bits: DBGMCU_APB1FZR1_DBG_IWDG_STOP | DBGMCU_APB1FZR1_DBG_WWDG_STOP,
        bit_names: "DBG_IWDG_STOP/DBG_WWDG_STOP",
    },
    image: "0x1FFF_7800/0x1FFF_F800",
};

/// The G4's side of the OPTR sequence.
pub(crate) struct G4Optr;

impl OptrFamily for G4Optr {
    type Options = G4Options;
    type Image = G4OptionImage;
    type Part = G4Part;
    type Plan = G4Plan;

    fn controller(&self) -> &'static Controller {
        &CONTROLLER
    }

    fn registers(&self, options: &G4Options) -> Vec<(Register, u32)> {
        OPTION_REGISTERS
            .iter()
            .filter_map(|&r| {
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

    fn optr(&self, options: &G4Options) -> u32 {
        options.optr
    }

    fn planned_from(&self, plan: &G4Plan) -> G4Options {
        plan.old
    }

    fn planned(&self, plan: &G4Plan) -> G4Options {
        plan.new
    }

    fn part(&self, plan: &G4Plan) -> G4Part {
        plan.part
    }

    fn busy_timeout(&self, plan: &G4Plan) -> Duration {
        plan.busy_timeout
    }

    fn layout_change(&self, plan: &G4Plan) -> Option<&'static str> {
        plan.changes_bank_mode().then_some("DBANK")
    }

    fn sets_rdp2(&self, plan: &G4Plan) -> bool {
        plan.sets_rdp2()
    }

    fn describe(&self, part: &G4Part) -> String {
        part.describe()
    }

    fn read_options<T: Target + ?Sized>(
        &self,
        t: &mut T,
        step: &str,
        state: LeftState,
    ) -> Result<G4Options, Error> {
        read_registers(t, step, state)
    }

    fn read_image<T: Target + ?Sized>(&self, t: &mut T) -> Result<G4OptionImage, probe_rs::Error> {
        read_image(t)
    }

    fn image_mismatch(&self, image: &G4OptionImage) -> Option<ImageMismatch> {
        image.mismatches().first().map(|m| ImageMismatch {
            address: m.address,
            value: m.value,
            complement: m.complement,
        })
    }

    fn image_options(&self, image: &G4OptionImage) -> G4Options {
        image.options()
    }

    fn identify<T: Target + ?Sized>(
        &self,
        t: &mut T,
    ) -> Result<(Result<G4Part, Error>, String), Error> {
        let identity = read_identity(t)?;
        let part = identity.part().map_err(|source| Error::UnsupportedChip {
            source: source.into(),
            state: LeftState::UNTOUCHED,
        });
        Ok((part, identity.describe()))
    }

    /// DBANK only where bit 22 is DBANK: DEV_ID 0x469, read from the chip just now.
    fn check_part(&self, part: &G4Part, plan: &G4Plan) -> Result<(), Error> {
        if plan.changes_bank_mode() {
            part.line
                .check_dbank()
                .map_err(|r| Error::from(G4PlanError::Refused(r.into())))?;
        }
        Ok(())
    }
}

/// Program, load (OBL_LAUNCH, re-attach) unless `opts.reset` is false, verify. A DBANK change
/// is refused without the load (the change path refuses it earlier, before the confirmations;
/// this is for a caller that runs a plan on its own), and loaded after an error once it is
/// known to be stored ([`sequence::load_layout_after_error`]).
pub(crate) fn apply(
    link: &mut dyn Link,
    plan: &G4Plan,
    opts: &ApplyOptions,
    progress: &mut dyn FnMut(&str),
) -> Result<G4Outcome, Error> {
    if !opts.reset && !plan.is_noop() {
        plan.check_left_pending()?;
    }
    sequence::apply(&G4Optr, link, plan, opts, progress).or_else(|error| {
        sequence::load_layout_after_error(&G4Optr, link, plan, opts, error, progress)
    })
}

#[cfg(test)]
#[path = "sequence_tests.rs"]
mod tests;
