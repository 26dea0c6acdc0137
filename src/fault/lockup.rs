//! A locked-up core (DHCSR.S_LOCKUP, ARMv7-M ARM B1.5.15): where it stopped and what it was
//! executing, captured before anything else touches it.
//!
//! A core locks up when it meets a fault it cannot take (a fault at execution priority -1 or
//! above: in the HardFault or NMI handler, or while entering one), and on the simulated chip
//! also when it meets an instruction the simulator does not model. It executes nothing until it
//! is reset or halted; halting ends the lockup (the debugger can then read it), so the lockup is
//! captured at that moment and reported with the halfwords of the instruction at the PC.

use probe_rs::{Core, MemoryInterface, RegisterId};

use super::decode::{diagnose, FaultRegisters};
use super::registers::regsel;

/// How long a halt of the locked-up core may take.
const HALT_TIMEOUT: std::time::Duration = std::time::Duration::from_millis(500);

/// A lockup the debugger saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lockup {
    /// The PC when the core was halted out of the lockup: the instruction it could not go on
    /// from.
    pub pc: u32,
    /// That instruction's halfwords (one or two), if readable.
    pub instruction: Option<Vec<u16>>,
}

impl Lockup {
    /// The instruction as its halfwords, e.g. `0xF3EF 0x8811`.
    pub fn instruction_words(&self) -> String {
        match &self.instruction {
            Some(halfwords) => halfwords
                .iter()
                .map(|h| format!("{h:#06x}"))
                .collect::<Vec<_>>()
                .join(" "),
            None => "(unreadable)".into(),
        }
    }

    /// One line saying what happened and, from the fault status, why.
    pub fn line(&self, regs: &FaultRegisters) -> String {
        let cause = if diagnose(regs).exception.is_some() {
            "after a fault it could not take (see the fault status below: a fault at execution priority -1 or above)"
        } else {
            "with no fault status to explain it: the core cannot execute this instruction (on the simulated chip: an encoding the simulator does not model; its log names it)"
        };
        format!(
            "the core locked up (DHCSR.S_LOCKUP) at pc {:#010x}, instruction {} {cause}; it is halted now",
            self.pc,
            self.instruction_words()
        )
    }
}

/// Whether a first halfword starts a 32-bit Thumb instruction (ARMv7-M ARM A5.1).
fn is_32bit(hw1: u16) -> bool {
    hw1 >> 11 >= 0b11101
}

/// Halts a locked-up core (which ends the lockup) and records where it was.
pub fn capture(core: &mut Core<'_>) -> Result<Lockup, probe_rs::Error> {
    core.halt(HALT_TIMEOUT)?;
    let pc: u32 = core.read_core_reg(RegisterId(regsel::PC))?;
    let instruction = read_instruction(core, pc);
    let lockup = Lockup { pc, instruction };
    log::warn!(
        "the core locked up at {pc:#010x} (instruction {}); halted it",
        lockup.instruction_words()
    );
    Ok(lockup)
}

fn read_instruction(core: &mut Core<'_>, pc: u32) -> Option<Vec<u16>> {
    let mut first = [0u16; 1];
    core.read_16(u64::from(pc), &mut first).ok()?;
    if !is_32bit(first[0]) {
        return Some(first.to_vec());
    }
    let mut second = [0u16; 1];
    core.read_16(u64::from(pc) + 2, &mut second).ok()?;
    Some(vec![first[0], second[0]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_names_the_pc_the_instruction_and_the_cause() {
        let lockup = Lockup {
            pc: 0x0800_0124,
            instruction: Some(vec![0xB400]),
        };
        let none = FaultRegisters::default();
        let line = lockup.line(&none);
        assert!(
            line.contains("pc 0x08000124") && line.contains("0xb400"),
            "{line}"
        );
        assert!(line.contains("cannot execute this instruction"), "{line}");
        let forced = FaultRegisters {
            hfsr: 1 << 30,
            cfsr: 1 << 16,
            ..FaultRegisters::default()
        };
        assert!(lockup.line(&forced).contains("a fault it could not take"));
        let wide = Lockup {
            pc: 0,
            instruction: Some(vec![0xEE10, 0x0F10]),
        };
        assert_eq!(wide.instruction_words(), "0xee10 0x0f10");
        assert!(is_32bit(0xEE10) && !is_32bit(0xB400));
    }
}
