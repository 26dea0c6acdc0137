//! Reading the fault state from a chip through probe-rs. Reads only: nothing is written, and
//! the run state of the core is left as found.

use probe_rs::{Core, MemoryInterface, RegisterId};

use super::decode::{frame_location, CoreContext, FaultRegisters, FrameLocation, StackedFrame};
use super::profile::Profile;
use super::registers::{regsel, BFAR, CFSR, DFSR, HFSR, MMFAR};

/// Why there is no stacked frame to show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameMissing {
    /// The core runs: its registers cannot be read.
    Running,
    /// No exception is active.
    ThreadMode,
    /// In a handler whose LR no longer holds EXC_RETURN.
    LrNotExcReturn,
    /// The frame's memory could not be read.
    Unreadable { address: u32 },
}

/// What a fault report is made of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FaultSnapshot {
    /// The lockup the core was halted out of, if it was locked up (see [`super::lockup`]).
    pub lockup: Option<super::lockup::Lockup>,
    pub regs: FaultRegisters,
    /// The core registers, when the core is halted.
    pub core: Option<CoreContext>,
    pub frame: Result<StackedFrame, FrameMissing>,
}

impl FaultSnapshot {
    /// The PC of the faulting instruction: the stacked return address (for a precise fault the
    /// instruction that faulted).
    pub fn faulting_pc(&self) -> Option<u32> {
        self.frame.as_ref().ok().map(|f| f.pc)
    }
}

/// Reads the fault status registers and, when the core is halted, the registers and the
/// stacked exception frame.
pub fn read(core: &mut Core<'_>) -> Result<FaultSnapshot, probe_rs::Error> {
    let profile = Profile::read(core)?;
    let regs = match profile {
        // ARMv6-M has DFSR only; the configurable-fault registers' addresses are reserved.
        Profile::V6M => FaultRegisters {
            profile,
            dfsr: core.read_word_32(DFSR.into())?,
            ..FaultRegisters::default()
        },
        Profile::V7M => FaultRegisters {
            profile,
            cfsr: core.read_word_32(CFSR.into())?,
            hfsr: core.read_word_32(HFSR.into())?,
            dfsr: core.read_word_32(DFSR.into())?,
            mmfar: core.read_word_32(MMFAR.into())?,
            bfar: core.read_word_32(BFAR.into())?,
        },
    };
    if !core.core_halted()? {
        return Ok(FaultSnapshot {
            lockup: None,
            regs,
            core: None,
            frame: Err(FrameMissing::Running),
        });
    }
    let mut reg = |n: u16| core.read_core_reg::<u32>(RegisterId(n));
    let context = CoreContext {
        pc: reg(regsel::PC)?,
        lr: reg(regsel::LR)?,
        xpsr: reg(regsel::XPSR)?,
        msp: reg(regsel::MSP)?,
        psp: reg(regsel::PSP)?,
    };
    let frame = match frame_location(&context) {
        FrameLocation::ThreadMode => Err(FrameMissing::ThreadMode),
        FrameLocation::Unknown => Err(FrameMissing::LrNotExcReturn),
        FrameLocation::At { stack, address } => {
            let mut words = [0u32; 8];
            match core.read_32(address.into(), &mut words) {
                Ok(()) => Ok(StackedFrame::from_words(stack, address, words)),
                Err(e) => {
                    log::debug!("fault frame at {address:#010x}: {e}");
                    Err(FrameMissing::Unreadable { address })
                }
            }
        }
    };
    Ok(FaultSnapshot {
        lockup: None,
        regs,
        core: Some(context),
        frame,
    })
}
