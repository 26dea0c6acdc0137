//! The "OPTR controller" of the L4/G4/G0/WB lineage (reference §3), one IP with per-family
//! register addresses and bit positions: option values are staged in writable registers
//! (FLASH_OPTR and the WRP/PCROP/SEC words), FLASH_CR.OPTSTRT commits them to a value/complement
//! image, FLASH_CR.OBL_LAUNCH loads them — and resets the chip, dropping the debug link. Named
//! after the IP as metapac names it; one sequence ([`sequence`]) for every family with this
//! controller, given the family's facts ([`Controller`]) and how it reads its own registers
//! ([`OptrFamily`]).

pub(crate) mod sequence;

use std::time::Duration;

use serde::Serialize;

use super::apply::CoreAfter;
use super::change::FamilyPlan;
use super::error::{Error, LeftState};
use super::target::Target;
use super::watchdogs::FreezeRegister;

/// A FLASH register, by address and by the reference manual's name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Register {
    pub address: u32,
    pub name: &'static str,
}

/// One family's OPTR controller: where its registers are and what its bits are.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Controller {
    /// FLASH_KEYR: clears FLASH_CR.LOCK.
    pub keyr: Register,
    /// FLASH_OPTKEYR: clears FLASH_CR.OPTLOCK.
    pub optkeyr: Register,
    /// FLASH_SR.
    pub sr: Register,
    /// FLASH_CR.
    pub cr: Register,
    /// FLASH_CR.LOCK, and its name for messages ("FLASH_CR.LOCK").
    pub lock: u32,
    pub lock_name: &'static str,
    /// FLASH_CR.OPTLOCK, and its name.
    pub optlock: u32,
    pub optlock_name: &'static str,
    /// FLASH_CR.OPTSTRT.
    pub optstrt: u32,
    /// FLASH_CR.OBL_LAUNCH.
    pub obl_launch: u32,
    /// The FLASH_SR bits set while an operation runs (BSY; on some families several).
    pub busy: u32,
    /// FLASH_SR.EOP.
    pub eop: u32,
    /// Every write-1-to-clear flag of FLASH_SR (EOP and the error flags, OPTVERR included).
    pub w1c: u32,
    /// The names of the FLASH_SR flags set in a value.
    pub flag_names: fn(u32) -> Vec<&'static str>,
    /// The DBGMCU register that freezes the watchdogs while the core is halted.
    pub freeze: FreezeRegister,
    /// Where the stored image is, in words (e.g. "0x1FFF_7800/0x1FFF_F800").
    pub image: &'static str,
}

/// A word of the stored image whose complement does not check out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ImageMismatch {
    /// Address of the value word.
    pub address: u32,
    /// Value word.
    pub value: u32,
    /// Complement word.
    pub complement: u32,
}

/// How a change on an OPTR controller ended, with the family's option registers `O`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct OptrOutcome<O> {
    /// Whether anything was programmed.
    pub written: bool,
    /// Whether OBL_LAUNCH loaded the values and they were verified after re-attaching.
    pub reset: bool,
    /// Programmed but not loaded: takes effect at the next OBL_LAUNCH or power-on.
    pub pending_reset: bool,
    /// The option registers as read at the end.
    pub registers: O,
    /// The core at the end.
    pub core: CoreAfter,
}

impl<O> OptrOutcome<O> {
    /// Nothing written: the registers are as planned from.
    pub fn unwritten(registers: O) -> Self {
        OptrOutcome {
            written: false,
            reset: false,
            pending_reset: false,
            registers,
            core: CoreAfter::Untouched,
        }
    }
}

/// What a family with an OPTR controller gives the sequence: its facts, its plan and how it
/// reads its option registers, its stored image and its identity.
pub(crate) trait OptrFamily {
    /// The option registers' values.
    type Options: Copy + PartialEq + std::fmt::Debug;
    /// The stored value/complement image.
    type Image;
    /// An identified part.
    type Part: Copy + PartialEq;
    /// A plan: old and new options, for a part.
    type Plan: FamilyPlan;

    /// The controller's facts.
    fn controller(&self) -> &'static Controller;

    /// The option registers with their values in `options`, in the order they are written.
    fn registers(&self, options: &Self::Options) -> Vec<(Register, u32)>;

    /// FLASH_OPTR in `options`, for messages.
    fn optr(&self, options: &Self::Options) -> u32;

    /// The options the plan was made from.
    fn planned_from(&self, plan: &Self::Plan) -> Self::Options;
    /// The options the plan programs.
    fn planned(&self, plan: &Self::Plan) -> Self::Options;
    /// The part the plan is for.
    fn part(&self, plan: &Self::Plan) -> Self::Part;
    /// The bound of the BSY wait after OPTSTRT.
    fn busy_timeout(&self, plan: &Self::Plan) -> Duration;
    /// Whether the plan sets RDP level 2 (the load then closes the debug port for good).
    fn sets_rdp2(&self, plan: &Self::Plan) -> bool;
    /// The bank bits the plan changes, in words for the progress line (e.g. "DBANK", "DUAL_BANK
    /// and nSWAP_BANK"), when the change moves the flash layout the chip runs (bank mode or
    /// mapping); `None` otherwise. Such a change is loaded even after an error once it is known
    /// to be stored ([`sequence::load_layout_after_error`]).
    fn layout_change(&self, plan: &Self::Plan) -> Option<&'static str>;

    /// The part in words, e.g. "STM32G47x/G48x, 512 KB flash".
    fn describe(&self, part: &Self::Part) -> String;

    /// Reads the option registers.
    fn read_options<T: Target + ?Sized>(
        &self,
        t: &mut T,
        step: &str,
        state: LeftState,
    ) -> Result<Self::Options, Error>;

    /// Reads the stored image.
    fn read_image<T: Target + ?Sized>(&self, t: &mut T) -> Result<Self::Image, probe_rs::Error>;

    /// The first value/complement pair of `image` that does not check out.
    fn image_mismatch(&self, image: &Self::Image) -> Option<ImageMismatch>;

    /// The options `image` holds.
    fn image_options(&self, image: &Self::Image) -> Self::Options;

    /// Reads DBGMCU_IDCODE and the flash size: the part they identify (or why none), and the
    /// chip in words. An error reading, or a DEV_ID of no part of the family, is `Err`.
    fn identify<T: Target + ?Sized>(
        &self,
        t: &mut T,
    ) -> Result<(Result<Self::Part, Error>, String), Error>;

    /// The family's own check of the chip against the plan before anything is written (the
    /// G4's DBANK exists only on DEV_ID 0x469).
    fn check_part(&self, part: &Self::Part, plan: &Self::Plan) -> Result<(), Error>;
}
