//! The write guard: every write GDB asks for is judged here before anything reaches probe-rs.
//!
//! Two kinds of writes come from GDB besides the option-byte engine's own:
//!
//! - `load`'s flash packets (`vFlashErase`, `vFlashWrite`): [`check_main_flash_op`] accepts
//!   only the main flash array of the chip's live layout (bank mode and flash size as read from
//!   the chip, [`MainFlash`]). An alias of that flash on another bus (the F7's ITCM) is
//!   translated to the same bytes, so the loader erases the units of the live layout and no
//!   other. Option bytes, OTP, system memory, peripherals and anything past the end of the flash
//!   are refused; on a dual-bank part with a hole between its banks, nothing goes into the hole.
//! - plain memory writes (`M`/`X` packets: `set {int}…`, `restore`): the family's
//!   [`GuardRules::check_raw_write`] refuses, always, any write into OTP, into flash (any alias:
//!   flash is written with `load`), into read-only system memory and the stored option bytes,
//!   and any write after which an option register would hold RDP = 0xCC (level 2, permanent) or
//!   that would commit such a value. Other writes into the FLASH registers that unlock, stage or
//!   commit option bytes are refused unless the user allowed them for the session
//!   ([`RawOptionWrites::Allow`], `monitor raw-option-writes allow`). Every address that reaches
//!   a guarded register — a bit-band alias too — goes through the same rule.
//!
//! The rules that differ per family (its memory map, its option registers and their lock bits,
//! its words) are the family's [`GuardRules`], in its own folder (`gdb/<family>/guard.rs`); the
//! shapes of every verdict are here. The module is protocol-free: it knows chip facts and
//! nothing of gdbstub or probe-rs. The GDB target reads what the rules need from the chip and
//! applies the verdict.

use std::fmt;
use std::ops::Range;

use crate::chip::notation::hex32;

/// The peripheral address space.
pub const PERIPHERALS: (u32, u32) = (0x4000_0000, 0x6000_0000);
/// How many refusals are kept for the next monitor command (the oldest are dropped).
const MAX_NOTICES: usize = 8;

/// A family's words in its refusals: what its option bytes are and which commands change them.
#[derive(Debug, PartialEq, Eq)]
pub struct GuardWords {
    /// The stored option bytes, e.g. "the stored option bytes (RDP, nDBANK, nWRP, boot
    /// addresses…), changed only through FLASH_OPTCR".
    pub option_bytes: &'static str,
    /// The monitor commands that change option bytes safely.
    pub engine_commands: &'static str,
    /// The registers raw writes are refused into by default, for the refusal.
    pub guarded: &'static str,
    /// Whether those registers also program and erase flash (the refusal then points at `load`).
    pub program_flash_too: bool,
    /// The same registers as a list, for `monitor raw-option-writes`.
    pub register_list: &'static str,
    /// The commands that change option bytes, short, for `monitor raw-option-writes`.
    pub change_hint: &'static str,
    /// The register holding RDP, for `monitor raw-option-writes allow`.
    pub rdp_register: &'static str,
}

/// What lies at an address, as far as the guard cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// The main flash, within the live layout.
    Flash,
    /// The main flash through the Cortex-M7's ITCM interface, within the flash size.
    FlashItcm,
    /// The OTP area or its lock bytes, on either bus: one-time programmable.
    Otp,
    /// Read-only system memory besides OTP: bootloader, unique ID, flash size (either bus).
    SystemMemory,
    /// The stored option bytes, in the family's words.
    OptionBytes(&'static GuardWords),
    /// The peripheral space (0x4000_0000–0x5FFF_FFFF).
    Peripherals,
    /// Dual bank below the largest flash size: the unmapped hole between bank 1 and bank 2.
    FlashGap,
    /// The boot alias at 0x0000_0000 (main flash with the factory boot options).
    BootAlias,
    /// Anything else (RAM, the Cortex-M system space, nothing at all).
    Other,
}

impl Area {
    /// What the area is, for messages.
    pub fn description(self) -> &'static str {
        match self {
            Area::Flash => "the main flash",
            Area::FlashItcm => "the main flash through its ITCM alias",
            Area::Otp => "the one-time-programmable OTP area or its lock bytes",
            Area::SystemMemory => {
                "read-only system memory (bootloader, unique ID, flash size register)"
            }
            Area::OptionBytes(words) => words.option_bytes,
            Area::Peripherals => "the peripheral space",
            Area::FlashGap => "the unmapped hole between flash bank 1 and bank 2",
            Area::BootAlias => {
                "the boot alias at 0x0000_0000 (the main flash with the factory boot options; write it at 0x0800_0000)"
            }
            Area::Other => "no flash",
        }
    }
}

/// A FLASH register the guard judges, named as the family's reference manual names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GuardedRegister {
    /// e.g. `FLASH_OPTCR`.
    pub name: &'static str,
    /// Its address.
    pub address: u32,
}

/// A FLASH register with lock bits that raw writes can clear, and how to set them again.
#[derive(Debug)]
pub struct LockRegister {
    /// The register.
    pub register: GuardedRegister,
    /// The lock bits and their names, all set when locked.
    pub locks: &'static [(u32, &'static str)],
    /// The register's value with the locks set and nothing started.
    pub relocked: fn(u32) -> u32,
}

impl LockRegister {
    /// The names of the lock bits clear in `value`.
    pub fn clear_locks(&self, value: u32) -> Vec<&'static str> {
        self.locks
            .iter()
            .filter(|(bit, _)| value & bit == 0)
            .map(|&(_, name)| name)
            .collect()
    }
}

/// One family's rules for the guard. Implemented in the family's folder (`gdb/<family>/`).
pub trait GuardRules: Sync {
    /// What lies at `addr` on this family, whose live main flash is `flash`.
    fn area_at(&self, addr: u32, flash: &MainFlash) -> Area;

    /// Where the main flash appears again through another bus (the F7's ITCM): addresses there
    /// are translated to the main flash.
    fn flash_alias(&self) -> Option<u32> {
        None
    }

    /// Judges a plain memory write of `data` at `start`. `read(address)` reads a register word
    /// of the chip; it is called only for the registers the verdict depends on.
    fn check_raw_write(
        &self,
        start: u32,
        data: &[u8],
        policy: RawOptionWrites,
        read: &mut dyn FnMut(u32) -> Option<u32>,
    ) -> Result<RawWriteOk, RawRefusal>;

    /// The registers whose locks raw writes can clear.
    fn lock_registers(&self) -> &'static [LockRegister];

    /// FLASH_SR and its BSY bit: an operation raw writes started must finish before relocking.
    fn busy(&self) -> (GuardedRegister, u32);

    /// The family's words.
    fn words(&self) -> &'static GuardWords;
}

// ---------------------------------------------------------------------------------------------
// Flash packets (`load`).
// ---------------------------------------------------------------------------------------------

/// The two flash packets that carry an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashOp {
    /// `vFlashErase`.
    Erase,
    /// `vFlashWrite`.
    Write,
}

impl fmt::Display for FlashOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FlashOp::Erase => "flash erase",
            FlashOp::Write => "flash write",
        })
    }
}

/// One erase unit of the main flash: a sector or a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EraseUnit {
    /// First byte.
    pub address: u32,
    /// Size in bytes.
    pub size: u32,
}

impl EraseUnit {
    /// One past the last byte.
    pub fn end(&self) -> u32 {
        self.address + self.size
    }
}

/// What the guard and `load` need to know of the live main flash array, whatever the family.
#[derive(Clone)]
pub struct MainFlash {
    /// The family's rules.
    pub rules: &'static dyn GuardRules,
    /// The address ranges that hold flash, in order (two with a hole between on some dual-bank
    /// layouts).
    pub regions: Vec<Range<u32>>,
    /// The erase units (sectors, pages), in address order.
    pub erase_units: Vec<EraseUnit>,
    /// The layout in words, for messages.
    pub summary: String,
}

impl fmt::Debug for MainFlash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MainFlash")
            .field("regions", &self.regions)
            .field("erase_units", &self.erase_units.len())
            .field("summary", &self.summary)
            .finish()
    }
}

impl PartialEq for MainFlash {
    /// The same layout: regions, units and words (the rules follow from the family).
    fn eq(&self, other: &Self) -> bool {
        self.regions == other.regions
            && self.erase_units == other.erase_units
            && self.summary == other.summary
            && std::ptr::addr_eq(self.rules.words(), other.rules.words())
    }
}

impl Eq for MainFlash {}

impl MainFlash {
    /// Bytes of flash from the first region's start to the last region's end (gap included).
    pub fn span_bytes(&self) -> u32 {
        match (self.regions.first(), self.regions.last()) {
            (Some(first), Some(last)) => last.end - first.start,
            _ => 0,
        }
    }

    /// The region holding `addr`.
    pub fn region_at(&self, addr: u32) -> Option<&Range<u32>> {
        self.regions.iter().find(|r| r.contains(&addr))
    }

    /// What lies at `addr` on this family.
    pub fn area_at(&self, addr: u32) -> Area {
        self.rules.area_at(addr, self)
    }
}

/// An accepted flash range, on the main flash's own bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashRange {
    /// First byte (0x0800_0000 region).
    pub start: u32,
    /// Length in bytes.
    pub len: u32,
    /// Whether GDB addressed it through the ITCM alias.
    pub from_itcm: bool,
}

/// Why a flash packet was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashRefusalReason {
    /// The flash size of the chip is unknown, so nothing is known to be flash.
    LayoutUnknown,
    /// The range starts outside the main flash, in this area.
    NotFlash(Area),
    /// The range starts in flash but runs past the end of its region.
    PastTheEnd,
}

/// A refused `vFlashErase`/`vFlashWrite`: nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlashRefusal {
    /// Which packet.
    pub op: FlashOp,
    /// The address GDB gave.
    pub start: u32,
    /// The length GDB gave.
    pub len: u64,
    /// Why.
    pub reason: FlashRefusalReason,
    /// The live main flash, when known: what `load` can program.
    pub flash: Option<Box<MainFlash>>,
    /// Where the flash region the range starts in ends (for [`FlashRefusalReason::PastTheEnd`]).
    pub region_end: Option<u32>,
}

impl fmt::Display for FlashRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {:#x} bytes at {} refused: ",
            self.op,
            self.len,
            hex32(self.start)
        )?;
        match self.reason {
            FlashRefusalReason::LayoutUnknown => {
                f.write_str("the flash size of this chip is unknown (DBGMCU_IDCODE and the flash size register identify no known part)")?
            }
            FlashRefusalReason::NotFlash(area) => write!(f, "that is {}", area.description())?,
            FlashRefusalReason::PastTheEnd => {
                let end = self.region_end.map_or("?".into(), hex32);
                let last = self.flash.as_ref().and_then(|m| m.regions.last()).map(|r| r.end);
                if self.region_end == last {
                    write!(f, "it runs past the end of the flash at {end}")?
                } else {
                    write!(f, "it runs past the end of flash bank 1 at {end}, into the unmapped hole before bank 2")?
                }
            }
        }
        if let Some(flash) = &self.flash {
            let ranges: Vec<String> = flash
                .regions
                .iter()
                .map(|r| format!("{}–{}", hex32(r.start), hex32(r.end - 1)))
                .collect();
            write!(
                f,
                "; `load` programs the main flash only: {} ({})",
                ranges.join(" and "),
                flash.summary
            )?;
        }
        if let FlashRefusalReason::NotFlash(Area::OptionBytes(words)) = self.reason {
            write!(
                f,
                "; option bytes are changed with {}",
                words.engine_commands
            )?;
        }
        f.write_str("; nothing was written")
    }
}

/// Judges a flash packet against the live main flash of the chip (`None`: unknown). A range
/// must lie inside one region; an address in the family's flash alias is translated to the
/// main flash.
pub fn check_main_flash_op(
    op: FlashOp,
    start: u32,
    len: u64,
    flash: Option<&MainFlash>,
) -> Result<FlashRange, FlashRefusal> {
    let refusal = |reason, region_end| FlashRefusal {
        op,
        start,
        len,
        reason,
        flash: flash.cloned().map(Box::new),
        region_end,
    };
    let Some(main) = flash else {
        return Err(refusal(FlashRefusalReason::LayoutUnknown, None));
    };
    let Some(base) = main.regions.first().map(|r| r.start) else {
        return Err(refusal(FlashRefusalReason::LayoutUnknown, None));
    };
    let (bus_start, from_itcm) = match main.area_at(start) {
        Area::Flash => (start, false),
        Area::FlashItcm => match main.rules.flash_alias() {
            Some(alias) => (base + (start - alias), true),
            None => return Err(refusal(FlashRefusalReason::NotFlash(Area::FlashItcm), None)),
        },
        other => return Err(refusal(FlashRefusalReason::NotFlash(other), None)),
    };
    let Some(region) = main.region_at(bus_start).cloned() else {
        return Err(refusal(FlashRefusalReason::NotFlash(Area::Other), None));
    };
    if u64::from(bus_start) + len > u64::from(region.end) {
        return Err(refusal(FlashRefusalReason::PastTheEnd, Some(region.end)));
    }
    Ok(FlashRange {
        start: bus_start,
        // Bounded by the region just above.
        len: len as u32,
        from_itcm,
    })
}

// ---------------------------------------------------------------------------------------------
// Plain memory writes (`M`/`X`).
// ---------------------------------------------------------------------------------------------

/// Whether raw writes into the FLASH option registers are let through (never RDP 0xCC or OTP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RawOptionWrites {
    /// Refused, with a pointer to the engine's commands (the default for every client).
    #[default]
    Deny,
    /// Let through, after `monitor raw-option-writes allow`.
    Allow,
}

/// Why a plain memory write was refused: nothing was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawRefusal {
    /// Into the OTP area or its lock bytes.
    Otp {
        /// First byte of the write inside the area.
        addr: u32,
    },
    /// The option register holding RDP would hold RDP = 0xCC after the write.
    Rdp2 {
        /// The register.
        register: GuardedRegister,
        /// The value it would hold.
        value: u32,
    },
    /// The write starts option programming or an option load (`starts`) while the register
    /// holding RDP holds RDP = 0xCC.
    CommitRdp2 {
        /// The control register written.
        control: GuardedRegister,
        /// The bits that start it, in words, e.g. "OPTSTRT or OBL_LAUNCH".
        starts: &'static str,
        /// The register holding RDP.
        holder: GuardedRegister,
        /// Its value as read.
        value: u32,
    },
    /// The write would stage, or start programming, a protection the family treats as
    /// permanent besides RDP level 2 (`what`, e.g. the STM32H7's SECURITY = 1).
    Permanent {
        /// The register written.
        register: GuardedRegister,
        /// The value it would hold.
        value: u32,
        /// What it sets, in the family's words.
        what: &'static str,
    },
    /// Into flash (any alias).
    Flash {
        /// First byte of the write inside flash.
        addr: u32,
    },
    /// Into memory that no write changes: system memory, the stored option bytes.
    ReadOnly {
        /// First byte of the write inside the area.
        addr: u32,
        /// Which area.
        area: Area,
    },
    /// Into a guarded FLASH register while raw option writes are denied.
    OptionRegister {
        /// The register.
        register: GuardedRegister,
        /// The family's words.
        words: &'static GuardWords,
    },
    /// A register needed to judge the write could not be read.
    Unreadable(GuardedRegister),
    /// A write through the bit-band alias of a FLASH register, refused for what it would do to
    /// the register itself.
    ThroughBitBand {
        /// The alias address written.
        alias: u32,
        /// The register the alias reaches, and the bit.
        register: GuardedRegister,
        bit: u32,
        /// Why the same change written to the register itself is refused.
        cause: Box<RawRefusal>,
    },
    /// A single write that crosses the edge of the bit-band alias region (part alias, part
    /// not); it is judged only in separate writes.
    StraddlesBitBand {
        /// The first byte of the write.
        addr: u32,
    },
}

impl fmt::Display for RawRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RawRefusal::Otp { addr } => write!(
                f,
                "memory write at {} refused: that is {}, which can be written once and never again; this server never writes it",
                hex32(addr),
                Area::Otp.description()
            ),
            RawRefusal::Rdp2 { register, value } => write!(
                f,
                "memory write to {} refused: the register would hold {} with RDP = 0xCC, which OPTSTRT commits as read protection level 2 — permanent, the debug port is gone for good; level 2 is set only with `monitor optbytes set RDP=2 yes permanent-rdp2`",
                register.name,
                hex32(value)
            ),
            RawRefusal::CommitRdp2 {
                control,
                starts,
                holder,
                value,
            } => write!(
                f,
                "memory write to {} refused: it sets {starts} while {} = {} holds RDP = 0xCC (read protection level 2, permanent); level 2 is set only with `monitor optbytes set RDP=2 yes permanent-rdp2`",
                control.name,
                holder.name,
                hex32(value)
            ),
            RawRefusal::Flash { addr } => write!(
                f,
                "memory write at {} refused: that is flash, which memory writes cannot program; flash is written with `load` (GDB's flash packets)",
                hex32(addr)
            ),
            RawRefusal::ReadOnly { addr, area } => {
                write!(f, "memory write at {} refused: that is {}", hex32(addr), area.description())?;
                if let Area::OptionBytes(words) = area {
                    write!(f, ": use {}", words.engine_commands)?;
                }
                Ok(())
            }
            RawRefusal::OptionRegister { register, words } => write!(
                f,
                "memory write to {} ({}) refused: raw writes into {} are off; change option bytes with {}{}, or allow raw writes for this session with `monitor raw-option-writes allow` (RDP level 2 and OTP stay refused)",
                register.name,
                hex32(register.address),
                words.guarded,
                words.engine_commands,
                if words.program_flash_too { ", program flash with `load`" } else { "" }
            ),
            RawRefusal::Unreadable(register) => write!(
                f,
                "memory write to {} ({}) refused: its current value could not be read, so the write cannot be judged",
                register.name,
                hex32(register.address)
            ),
            RawRefusal::ThroughBitBand {
                alias,
                register,
                bit,
                ref cause,
            } => write!(
                f,
                "memory write at {} refused: that is the bit-band alias of {} bit {bit}, and the guard judges it as a write of {} itself — {cause}",
                hex32(alias),
                register.name,
                register.name
            ),
            RawRefusal::Permanent {
                register,
                value,
                what,
            } => write!(
                f,
                "memory write to {} refused: with {} it would set {what}, treated as permanent; it is set only through `monitor optbytes set` with `yes permanent-rdp2`",
                register.name,
                hex32(value)
            ),
            RawRefusal::StraddlesBitBand { addr } => write!(
                f,
                "memory write at {} refused: it crosses the edge of the bit-band alias region (0x4200_0000–0x43FF_FFFF, one word per peripheral bit); write the alias and the memory beside it separately",
                hex32(addr)
            ),
        }
    }
}

/// An accepted plain memory write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawWriteOk {
    /// The guarded FLASH registers it writes (allowed by [`RawOptionWrites::Allow`]).
    pub option_registers: Vec<GuardedRegister>,
    /// The value the family's option control register (F7 FLASH_OPTCR, G4 FLASH_CR) holds
    /// afterwards, when the write touches it.
    pub control_after: Option<(GuardedRegister, u32)>,
    /// Whether the write starts option programming or an option load (OPTSTRT, OBL_LAUNCH).
    pub starts_programming: bool,
    /// The write reaches FLASH_KEYR, the key register that clears FLASH_CR.LOCK: flash
    /// programming may be left unlocked.
    pub unlocks_flash: bool,
    /// A write into the bit-band alias: the accesses to make, exactly as judged.
    pub alias_accesses: Option<Vec<AliasAccess>>,
}

impl RawWriteOk {
    /// Whether the write sets OPTSTRT (or OBL_LAUNCH), i.e. commits or loads option bytes.
    pub fn starts_option_programming(&self) -> bool {
        self.starts_programming
    }
}

/// First byte of `[start, end)` inside `[lo, hi)`, if they overlap.
pub fn overlap(start: u64, end: u64, lo: u32, hi: u64) -> Option<u32> {
    (start < hi && end > u64::from(lo)).then(|| start.max(u64::from(lo)) as u32)
}

/// Whether a write of `[start, end)` touches the word register at `address`.
pub fn touches(start: u64, end: u64, address: u32) -> bool {
    overlap(start, end, address, u64::from(address) + 4).is_some()
}

/// The value a 32-bit register at `reg` holds after `data` is written at `start` over `current`.
pub fn merged_register(reg: u32, current: u32, start: u32, data: &[u8]) -> u32 {
    let mut bytes = current.to_le_bytes();
    for (i, byte) in bytes.iter_mut().enumerate() {
        let addr = u64::from(reg) + i as u64;
        if let Some(off) = addr.checked_sub(u64::from(start)) {
            if let Some(&b) = data.get(off as usize) {
                *byte = b;
            }
        }
    }
    u32::from_le_bytes(bytes)
}

/// One access the server makes for a write inside the bit-band alias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AliasAccess {
    pub address: u32,
    /// 1 or 4 bytes.
    pub size: u8,
    pub value: u32,
}

/// The accesses a write of `data` at `start` inside the bit-band alias is made of: a whole
/// aligned alias word is one word access, bytes of a word written in part are byte accesses.
/// The server makes exactly these (not whatever split the probe layer would choose), so the
/// guard judges what really reaches the chip: each access writes bit 0 of its value into the
/// bit its alias word stands for.
pub fn alias_accesses(start: u32, data: &[u8]) -> Vec<AliasAccess> {
    let mut accesses = Vec::new();
    let mut i = 0;
    while i < data.len() {
        let address = start + i as u32;
        if address.is_multiple_of(4) && data.len() - i >= 4 {
            let word = [data[i], data[i + 1], data[i + 2], data[i + 3]];
            accesses.push(AliasAccess {
                address,
                size: 4,
                value: u32::from_le_bytes(word),
            });
            i += 4;
        } else {
            accesses.push(AliasAccess {
                address,
                size: 1,
                value: u32::from(data[i]),
            });
            i += 1;
        }
    }
    accesses
}

/// What one client's session did with raw writes: the policy it chose, whether it wrote the
/// option registers, and the refusals not shown to the user yet.
#[derive(Debug, Default)]
pub struct GuardSession {
    /// The policy for FLASH option registers.
    pub policy: RawOptionWrites,
    option_registers_written: bool,
    notices: Vec<String>,
}

impl GuardSession {
    /// Remembers that raw writes went into the FLASH option registers (OPTLOCK may be clear).
    pub fn note_option_write(&mut self) {
        self.option_registers_written = true;
    }

    /// Whether raw writes went into the FLASH option registers in this session.
    pub fn wrote_option_registers(&self) -> bool {
        self.option_registers_written
    }

    /// Whether `register`, read now as `value`, shows a lock left clear by this session's raw
    /// writes.
    pub fn lock_left_clear(&self, register: &LockRegister, value: u32) -> bool {
        self.option_registers_written && !register.clear_locks(value).is_empty()
    }

    /// OPTLOCK was set again: nothing is left open.
    pub fn relocked(&mut self) {
        self.option_registers_written = false;
    }

    /// Queues a message for the next monitor command (GDB shows no text for an `E` reply).
    pub fn notice(&mut self, text: String) {
        if self.notices.len() == MAX_NOTICES {
            self.notices.remove(0);
        }
        self.notices.push(text);
    }

    /// The queued messages, oldest first; the queue is emptied.
    pub fn take_notices(&mut self) -> Vec<String> {
        std::mem::take(&mut self.notices)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_session_bounds_its_notices() {
        let mut s = GuardSession::default();
        assert_eq!(s.policy, RawOptionWrites::Deny);
        for i in 0..20 {
            s.notice(format!("refusal {i}"));
        }
        let notices = s.take_notices();
        assert_eq!(notices.len(), MAX_NOTICES);
        assert_eq!(notices.last().unwrap(), "refusal 19");
        assert!(s.take_notices().is_empty());
    }

    #[test]
    fn alias_accesses_are_words_where_whole_and_bytes_elsewhere() {
        // A whole alias word is one word access; a partial one is bytes.
        assert_eq!(
            alias_accesses(0x4240_0002, &[1, 0, 1, 0, 0, 0, 7]),
            vec![
                AliasAccess {
                    address: 0x4240_0002,
                    size: 1,
                    value: 1
                },
                AliasAccess {
                    address: 0x4240_0003,
                    size: 1,
                    value: 0
                },
                AliasAccess {
                    address: 0x4240_0004,
                    size: 4,
                    value: 1
                },
                AliasAccess {
                    address: 0x4240_0008,
                    size: 1,
                    value: 7
                },
            ]
        );
    }
}
