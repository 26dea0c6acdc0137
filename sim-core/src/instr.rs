//! A decoded instruction: the function that executes it and its operands, decoded once per
//! encoding (see [`crate::decode`]) and executed as often as it runs.
//!
//! Every instruction group (integer, DSP, floating point) decodes into the same [`Instr`] shape
//! and provides its own [`ExecFn`]s, so groups live in separate modules without a shared enum.

use crate::bus::Bus;
use crate::core::Core;

/// Executes one decoded instruction. On entry `core.regs.r[15]` is the instruction's address and
/// `core.next_pc` the address after it; the function writes results and, for a branch, sets the
/// next PC through the `Core` branch helpers. On `Err` nothing architecturally visible may have
/// changed except memory already written by a multi-word store (as on silicon, where a store
/// multiple that faults part-way leaves the words before the fault written).
pub type ExecFn = fn(&mut Core, &mut dyn Bus, &Ops) -> Result<(), Trap>;

/// Operand fields. Each group documents how it uses them; the names are only suggestions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ops {
    pub rd: u8,
    pub rn: u8,
    pub rm: u8,
    /// A fourth register (Ra, RdHi, Rt2…).
    pub ra: u8,
    /// An immediate, a register list, or a packed field set.
    pub imm: u32,
    /// Shift type (`alu::Shift as u8`) and amount, or any two small fields.
    pub shift_type: u8,
    pub shift_amount: u8,
    /// Flag bits: see [`flags`].
    pub flags: u8,
    /// A group-specific small field (condition of a conditional branch, size, precision…).
    pub extra: u8,
}

/// Bits of [`Ops::flags`] shared by every group.
pub mod flags {
    /// The instruction sets the condition flags (the `S` suffix, 32-bit encodings).
    pub const SETFLAGS: u8 = 1 << 0;
    /// A 16-bit encoding that sets the flags only outside an IT block.
    pub const SETFLAGS_OUTSIDE_IT: u8 = 1 << 1;
    /// Group-specific bits start here.
    pub const GROUP0: u8 = 1 << 2;
    pub const GROUP1: u8 = 1 << 3;
    pub const GROUP2: u8 = 1 << 4;
    pub const GROUP3: u8 = 1 << 5;
    pub const GROUP4: u8 = 1 << 6;
    pub const GROUP5: u8 = 1 << 7;
}

/// One decoded instruction.
#[derive(Clone, Copy)]
pub struct Instr {
    pub exec: ExecFn,
    pub ops: Ops,
    /// 2 or 4 bytes.
    pub len: u8,
    /// Its own condition (only the conditional branch `B<c>` outside an IT block has one other
    /// than AL = 14); inside an IT block the condition comes from ITSTATE.
    pub cond: u8,
    /// The instruction is IT itself: ITSTATE is set, not advanced, by it.
    pub is_it: bool,
    /// It executes whatever the IT condition (BKPT, A7.7.17: "unconditional, even inside an IT
    /// block").
    pub unconditional: bool,
}

impl std::fmt::Debug for Instr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Instr")
            .field("exec", &(self.exec as *const ()))
            .field("ops", &self.ops)
            .field("len", &self.len)
            .field("cond", &self.cond)
            .finish()
    }
}

/// The always condition.
pub const AL: u8 = 14;

impl Instr {
    pub fn new(exec: ExecFn, ops: Ops, len: u8) -> Instr {
        Instr {
            exec,
            ops,
            len,
            cond: AL,
            is_it: false,
            unconditional: false,
        }
    }

    /// An encoding that is UNDEFINED (UsageFault, UFSR.UNDEFINSTR, when executed).
    pub fn undefined(len: u8) -> Instr {
        Instr::new(exec_undefined, Ops::default(), len)
    }

    /// An encoding the architecture calls UNPREDICTABLE. Silicon does *something*; the
    /// simulator does not guess: executing it stops the core with a message naming it.
    pub fn unpredictable(len: u8) -> Instr {
        Instr::new(exec_unpredictable, Ops::default(), len)
    }
}

fn exec_undefined(_: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    Err(Trap::Undefined)
}

fn exec_unpredictable(_: &mut Core, _: &mut dyn Bus, _: &Ops) -> Result<(), Trap> {
    Err(Trap::Unmodelled("an UNPREDICTABLE encoding"))
}

/// Why an instruction did not complete. The PC stays on the instruction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trap {
    /// UsageFault, UFSR.UNDEFINSTR.
    Undefined,
    /// UsageFault, UFSR.INVSTATE: executed with EPSR.T = 0.
    InvalidState,
    /// UsageFault, UFSR.INVPC: an illegal EXC_RETURN or exception return state.
    InvalidPc,
    /// UsageFault, UFSR.NOCP: a coprocessor instruction for an absent or disabled coprocessor.
    NoCoprocessor,
    /// UsageFault, UFSR.UNALIGNED.
    Unaligned,
    /// UsageFault, UFSR.DIVBYZERO (CCR.DIV_0_TRP set).
    DivideByZero,
    /// Precise BusFault on a data access (BFSR.PRECISERR, BFAR = address).
    DataBusError { address: u32 },
    /// BusFault on the instruction fetch (BFSR.IBUSERR).
    InstructionBusError,
    /// BKPT #imm: a debug event (halt, or HardFault with HFSR.DEBUGEVT when halting debug is off).
    Breakpoint(u8),
    /// Something the simulator does not model. The core stops and says so; it never pretends.
    Unmodelled(&'static str),
}
