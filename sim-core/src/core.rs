//! The core: registers, the decode cache, and the execution of one instruction (fetch, decode,
//! condition and IT state, execute, commit). Exceptions, interrupts, halting debug and the
//! memory-mapped system registers are in [`crate::system`]; the instruction groups are in
//! [`crate::thumb16`], [`crate::thumb32`], [`crate::dsp`] and [`crate::fp`].

use crate::bus::{Bus, BusError, Initiator};
use crate::config::Config;
use crate::decode::DecodeCache;
use crate::instr::Trap;
use crate::regs::{FpRegs, Regs};
use crate::system::System;

/// How a load or store treats alignment and privilege (the ARM ARM's MemA, MemU, MemU_unpriv).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mem {
    /// MemA: an unaligned address is an UNALIGNED UsageFault (LDM/STM, LDRD/STRD, LDREX/STREX,
    /// PUSH/POP, VLDR/VSTR, VLDM/VSTM, stacking).
    Aligned,
    /// MemU: unaligned halfword and word accesses are allowed (split into bytes) unless
    /// CCR.UNALIGN_TRP is set (LDR/STR/LDRH/STRH and their signed forms).
    Unaligned,
    /// MemU_unpriv: as `Unaligned`, made as an unprivileged access (LDRT/STRT).
    UnalignedUnprivileged,
}

/// What one instruction did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Executed {
    /// It ran (a branch may have moved the PC anywhere).
    Completed,
    /// Its condition failed: it was skipped.
    Skipped,
}

/// One Cortex-M core.
pub struct Core {
    pub config: Config,
    pub regs: Regs,
    pub fp: FpRegs,
    /// The memory-mapped system registers and the state of exceptions and debug.
    pub sys: System,
    /// The address of the next instruction, set to the fall-through address before an
    /// instruction executes; branches overwrite it.
    pub next_pc: u32,
    /// An EXC_RETURN value written to the PC in Handler mode by the instruction executing now;
    /// the exception return happens once the instruction has completed.
    pub pending_exception_return: Option<u32>,
    /// The local exclusive monitor: the address LDREX tagged, if any (A3.4).
    pub exclusive: Option<u32>,
    /// Core clock cycles so far (one per instruction).
    pub cycles: u64,
    pub(crate) cache: DecodeCache,
}

impl Core {
    pub fn new(config: Config) -> Core {
        Core {
            sys: System::new(&config),
            config,
            regs: Regs::default(),
            fp: FpRegs::default(),
            next_pc: 0,
            pending_exception_return: None,
            exclusive: None,
            cycles: 0,
            cache: DecodeCache::new(),
        }
    }

    /// The address of the instruction executing now (or the next one, between instructions).
    #[inline]
    pub fn pc(&self) -> u32 {
        self.regs.r[15]
    }

    /// A register as an operand: R15 reads as the instruction's address + 4 (Thumb).
    #[inline]
    pub fn reg(&self, n: u8) -> u32 {
        if n == 15 {
            self.regs.r[15].wrapping_add(4)
        } else {
            self.regs.r[n as usize]
        }
    }

    /// Writes R0–R14. R13 ignores bits [1:0] (B1.4.1). Writes of R15 go through the branch
    /// helpers below.
    #[inline]
    pub fn set_reg(&mut self, n: u8, value: u32) {
        debug_assert!(n != 15, "PC writes go through the branch helpers");
        if n == 13 {
            self.regs.r[13] = value & !3;
        } else {
            self.regs.r[n as usize] = value;
        }
    }

    /// Align(PC, 4) as literal loads and ADR use it.
    #[inline]
    pub fn pc_aligned(&self) -> u32 {
        self.reg(15) & !3
    }

    /// BranchWritePC (also ALUWritePC on ARMv7-M): bit 0 is ignored.
    #[inline]
    pub fn branch_write_pc(&mut self, address: u32) {
        self.next_pc = address & !1;
    }

    /// BXWritePC (also LoadWritePC): interworking branch. In Handler mode an address of
    /// 0xFxxx_xxxx is an EXC_RETURN: the exception return happens when the instruction
    /// completes. Bit 0 clear sets EPSR.T to 0, so the next instruction faults (INVSTATE).
    #[inline]
    pub fn bx_write_pc(&mut self, address: u32) {
        if self.regs.handler_mode() && address >> 28 == 0xF {
            self.pending_exception_return = Some(address);
            return;
        }
        self.regs.thumb = address & 1 != 0;
        self.next_pc = address & !1;
    }

    /// Whether a 16-bit or 32-bit instruction with these flags sets the condition flags now.
    #[inline]
    pub fn sets_flags(&self, ops: &crate::instr::Ops) -> bool {
        use crate::instr::flags;
        ops.flags & flags::SETFLAGS != 0
            || (ops.flags & flags::SETFLAGS_OUTSIDE_IT != 0 && !self.regs.in_it_block())
    }

    /// A data read by an instruction.
    pub fn read(
        &mut self,
        bus: &mut dyn Bus,
        address: u32,
        size: u32,
        kind: Mem,
    ) -> Result<u32, Trap> {
        if address & (size - 1) == 0 {
            return self.read_aligned(bus, address, size, kind);
        }
        self.check_unaligned(kind)?;
        let mut value = 0;
        for i in 0..size {
            let byte = self.read_aligned(bus, address.wrapping_add(i), 1, kind)?;
            value |= byte << (8 * i);
        }
        Ok(value)
    }

    /// A data write by an instruction.
    pub fn write(
        &mut self,
        bus: &mut dyn Bus,
        address: u32,
        value: u32,
        size: u32,
        kind: Mem,
    ) -> Result<(), Trap> {
        if address & (size - 1) == 0 {
            return self.write_aligned(bus, address, value, size, kind);
        }
        self.check_unaligned(kind)?;
        for i in 0..size {
            self.write_aligned(bus, address.wrapping_add(i), value >> (8 * i), 1, kind)?;
        }
        Ok(())
    }

    fn check_unaligned(&self, kind: Mem) -> Result<(), Trap> {
        if kind == Mem::Aligned || self.sys.unaligned_trap() {
            return Err(Trap::Unaligned);
        }
        Ok(())
    }

    fn privileged_access(&self, kind: Mem) -> bool {
        kind != Mem::UnalignedUnprivileged && self.regs.privileged()
    }

    #[inline]
    fn read_aligned(
        &mut self,
        bus: &mut dyn Bus,
        address: u32,
        size: u32,
        kind: Mem,
    ) -> Result<u32, Trap> {
        self.sys.watch_data(address, size, false);
        let privileged = self.privileged_access(kind);
        if crate::system::claims(&self.config, address) {
            return crate::system::cpu_read(self, bus, address, size, privileged)
                .map_err(|e| Trap::DataBusError { address: e.address });
        }
        bus.read(address, size, Initiator::Cpu)
            .map_err(|e| Trap::DataBusError { address: e.address })
    }

    #[inline]
    fn write_aligned(
        &mut self,
        bus: &mut dyn Bus,
        address: u32,
        value: u32,
        size: u32,
        kind: Mem,
    ) -> Result<(), Trap> {
        self.sys.watch_data(address, size, true);
        let privileged = self.privileged_access(kind);
        let value = value & size_mask(size);
        if crate::system::claims(&self.config, address) {
            return crate::system::cpu_write(self, bus, address, value, size, privileged)
                .map_err(|e| Trap::DataBusError { address: e.address });
        }
        bus.write(address, value, size, Initiator::Cpu)
            .map_err(|e: BusError| Trap::DataBusError { address: e.address })
    }

    /// Fetches the instruction at the PC: its first half-word, and the second one when the
    /// first says it is a 32-bit instruction (A5.1).
    pub fn fetch(&mut self, bus: &mut dyn Bus) -> Result<(u16, u16), Trap> {
        let pc = self.regs.r[15];
        let hw1 = bus.fetch(pc).map_err(|_| Trap::InstructionBusError)?;
        if !is_32bit(hw1) {
            return Ok((hw1, 0));
        }
        let hw2 = bus
            .fetch(pc.wrapping_add(2))
            .map_err(|_| Trap::InstructionBusError)?;
        Ok((hw1, hw2))
    }

    /// Executes the instruction at the PC: fetch, decode (cached per encoding), the condition
    /// (ITSTATE inside an IT block), execute, then commit the PC and advance ITSTATE. An
    /// exception return the instruction asked for is left in `pending_exception_return` for
    /// [`crate::system`] to carry out. On `Err` the PC stays on the instruction.
    pub fn step(&mut self, bus: &mut dyn Bus) -> Result<Executed, Trap> {
        if !self.regs.thumb {
            return Err(Trap::InvalidState);
        }
        let (hw1, hw2) = self.fetch(bus)?;
        let instr = self.cache.get(hw1, hw2, &self.config);
        let pc = self.regs.r[15];
        self.next_pc = pc.wrapping_add(u32::from(instr.len));
        let cond = if instr.unconditional {
            crate::instr::AL
        } else if self.regs.in_it_block() {
            self.regs.itstate >> 4
        } else {
            instr.cond
        };
        if cond != crate::instr::AL && !self.regs.condition_passed(cond) {
            self.regs.advance_it();
            self.regs.r[15] = self.next_pc;
            return Ok(Executed::Skipped);
        }
        (instr.exec)(self, bus, &instr.ops)?;
        if !instr.is_it {
            self.regs.advance_it();
        }
        self.regs.r[15] = self.next_pc;
        Ok(Executed::Completed)
    }
}

/// Whether a first half-word starts a 32-bit instruction (0b11101, 0b11110, 0b11111).
#[inline]
pub fn is_32bit(hw1: u16) -> bool {
    hw1 >> 11 >= 0b11101
}

#[inline]
pub fn size_mask(size: u32) -> u32 {
    match size {
        1 => 0xFF,
        2 => 0xFFFF,
        _ => 0xFFFF_FFFF,
    }
}
