//! The write guard: every write GDB asks for is judged here before anything reaches probe-rs.
//!
//! Two kinds of writes come from GDB besides the option-byte engine's own:
//!
//! - `load`'s flash packets (`vFlashErase`, `vFlashWrite`): [`check_flash_op`] accepts only the
//!   main flash array of the chip's live layout (bank mode and flash size as read from the
//!   chip). The ITCM alias of that flash is translated to the same bytes on the AXI bus, so the
//!   loader erases the sectors of the live layout and no other. Option bytes, OTP, system
//!   memory, peripherals and anything past the end of the flash are refused.
//! - plain memory writes (`M`/`X` packets: `set {int}…`, `restore`): [`check_raw_write`]
//!   refuses, always, any write into OTP, into flash (either alias: flash is written with
//!   `load`), into the read-only system memory and the stored option bytes, and any write after
//!   which FLASH_OPTCR would hold RDP = 0xCC (level 2, permanent). Other writes into the FLASH
//!   option registers (FLASH_OPTKEYR, FLASH_OPTCR, FLASH_OPTCR1) are refused unless the user
//!   allowed them for the session ([`RawOptionWrites::Allow`], `monitor raw-option-writes allow`).
//!
//! The module is protocol-free: it knows the chip facts of [`crate::chip`] and nothing of
//! gdbstub or probe-rs. The GDB target reads what it needs from the chip and applies the verdict.

use std::fmt;

use crate::chip::fields::RDP_LEVEL_2;
use crate::chip::geometry::{hex32, FlashLayout, FLASH_AXIM_BASE, FLASH_ITCM_BASE};
use crate::chip::registers::{
    FLASH_OPTCR, FLASH_OPTCR1, FLASH_OPTCR_OPTLOCK, FLASH_OPTCR_OPTSTRT, FLASH_OPTKEYR,
    OPTION_BYTES_BASE, OTP_BASE, OTP_END, SYSTEM_MEMORY_BASE, SYSTEM_MEMORY_END,
    SYSTEM_MEMORY_ITCM_BASE,
};

/// The largest STM32F7 flash (2 MB): how far both flash aliases reach, whatever the part.
pub const FLASH_MAX_BYTES: u32 = 2 * 1024 * 1024;
/// The block the stored option bytes live in (the memory map lists 4 KB; RM0410 uses 32 bytes).
const OPTION_BYTES_BLOCK: u32 = 0x1000;
/// The peripheral address space.
const PERIPHERALS: (u32, u32) = (0x4000_0000, 0x6000_0000);
/// How many refusals are kept for the next monitor command (the oldest are dropped).
const MAX_NOTICES: usize = 8;

/// What lies at an address, as far as the guard cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Area {
    /// The main flash on the AXI bus (0x0800_0000), within the flash size.
    Flash,
    /// The main flash through the ITCM interface (0x0020_0000), within the flash size.
    FlashItcm,
    /// The OTP area or its lock bytes, on either bus: one-time programmable.
    Otp,
    /// Read-only system memory besides OTP: bootloader, unique ID, flash size (either bus).
    SystemMemory,
    /// The stored option bytes (0x1FFF_0000).
    OptionBytes,
    /// The peripheral space (0x4000_0000–0x5FFF_FFFF).
    Peripherals,
    /// Anything else (RAM, the Cortex-M7 system space, nothing at all).
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
            Area::OptionBytes => "the stored option bytes (RDP, nDBANK, nWRP, boot addresses…)",
            Area::Peripherals => "the peripheral space",
            Area::Other => "no flash",
        }
    }
}

/// The OTP area's offsets inside system memory, the same through both buses.
fn otp_span(system_base: u32) -> (u32, u32) {
    (
        system_base + (OTP_BASE - SYSTEM_MEMORY_BASE),
        system_base + (OTP_END - SYSTEM_MEMORY_BASE),
    )
}

/// The area at `addr`, for a chip with `flash_bytes` of main flash.
pub fn area_at(addr: u32, flash_bytes: u32) -> Area {
    let system_len = SYSTEM_MEMORY_END - SYSTEM_MEMORY_BASE;
    let within =
        |base: u32, len: u32| addr >= base && u64::from(addr) < u64::from(base) + u64::from(len);
    let in_span = |(lo, hi): (u32, u32)| (lo..hi).contains(&addr);
    if within(FLASH_AXIM_BASE, flash_bytes) {
        Area::Flash
    } else if within(FLASH_ITCM_BASE, flash_bytes) {
        Area::FlashItcm
    } else if in_span(otp_span(SYSTEM_MEMORY_BASE)) || in_span(otp_span(SYSTEM_MEMORY_ITCM_BASE)) {
        Area::Otp
    } else if within(SYSTEM_MEMORY_BASE, system_len) || within(SYSTEM_MEMORY_ITCM_BASE, system_len)
    {
        Area::SystemMemory
    } else if within(OPTION_BYTES_BASE, OPTION_BYTES_BLOCK) {
        Area::OptionBytes
    } else if in_span(PERIPHERALS) {
        Area::Peripherals
    } else {
        Area::Other
    }
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

/// An accepted flash range, on the AXI bus.
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
    /// The range starts in flash but runs past its end.
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
    /// What `load` can program: the main flash's AXI range and layout summary, when known.
    pub flash: Option<(u32, u64, String)>,
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
            FlashRefusalReason::PastTheEnd => write!(
                f,
                "it runs past the end of the flash at {}",
                self.flash
                    .as_ref()
                    .map_or("?".into(), |(_, end, _)| hex32(*end as u32))
            )?,
        }
        if let Some((start, end, summary)) = &self.flash {
            write!(
                f,
                "; `load` programs the main flash only: {}–{} ({summary})",
                hex32(*start),
                hex32((*end - 1) as u32)
            )?;
        }
        if self.reason == FlashRefusalReason::NotFlash(Area::OptionBytes) {
            f.write_str("; option bytes are changed with `monitor optbytes set FIELD=VALUE …` or `monitor ndbank true|false`")?;
        }
        f.write_str("; nothing was written")
    }
}

/// Judges a flash packet against the live layout (`None`: unknown). ITCM-alias addresses are
/// translated to the AXI bus, so the loader erases the live layout's sectors for them.
pub fn check_flash_op(
    op: FlashOp,
    start: u32,
    len: u64,
    layout: Option<&FlashLayout>,
) -> Result<FlashRange, FlashRefusal> {
    let refusal = |reason, flash| FlashRefusal {
        op,
        start,
        len,
        reason,
        flash,
    };
    let Some(layout) = layout else {
        return Err(refusal(FlashRefusalReason::LayoutUnknown, None));
    };
    let flash_bytes = layout.flash_kb * 1024;
    let flash = Some((
        FLASH_AXIM_BASE,
        u64::from(FLASH_AXIM_BASE) + u64::from(flash_bytes),
        layout.summary(),
    ));
    let (base, from_itcm) = match area_at(start, flash_bytes) {
        Area::Flash => (FLASH_AXIM_BASE, false),
        Area::FlashItcm => (FLASH_ITCM_BASE, true),
        other => return Err(refusal(FlashRefusalReason::NotFlash(other), flash)),
    };
    let offset = start - base;
    if u64::from(offset) + len > u64::from(flash_bytes) {
        return Err(refusal(FlashRefusalReason::PastTheEnd, flash));
    }
    Ok(FlashRange {
        start: FLASH_AXIM_BASE + offset,
        // Bounded by the flash size just above.
        len: len as u32,
        from_itcm,
    })
}

// ---------------------------------------------------------------------------------------------
// Plain memory writes (`M`/`X`).
// ---------------------------------------------------------------------------------------------

/// The FLASH registers that unlock or hold the option bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionRegister {
    /// FLASH_OPTKEYR: the unlock keys.
    OptKeyr,
    /// FLASH_OPTCR: the user option bytes, OPTLOCK and OPTSTRT.
    OptCr,
    /// FLASH_OPTCR1: the boot addresses.
    OptCr1,
}

impl OptionRegister {
    /// All of them, in address order.
    pub const ALL: [OptionRegister; 3] = [
        OptionRegister::OptKeyr,
        OptionRegister::OptCr,
        OptionRegister::OptCr1,
    ];

    /// The register's address.
    pub fn address(self) -> u32 {
        match self {
            OptionRegister::OptKeyr => FLASH_OPTKEYR,
            OptionRegister::OptCr => FLASH_OPTCR,
            OptionRegister::OptCr1 => FLASH_OPTCR1,
        }
    }

    /// RM0410's name.
    pub fn name(self) -> &'static str {
        match self {
            OptionRegister::OptKeyr => "FLASH_OPTKEYR",
            OptionRegister::OptCr => "FLASH_OPTCR",
            OptionRegister::OptCr1 => "FLASH_OPTCR1",
        }
    }
}

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawRefusal {
    /// Into the OTP area or its lock bytes.
    Otp {
        /// First byte of the write inside the area.
        addr: u32,
    },
    /// FLASH_OPTCR would hold RDP = 0xCC after the write.
    Rdp2 {
        /// The value FLASH_OPTCR would hold.
        optcr: u32,
    },
    /// Into flash (either alias).
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
    /// Into a FLASH option register while raw option writes are denied.
    OptionRegister(OptionRegister),
    /// FLASH_OPTCR could not be read, so the write cannot be judged.
    OptcrUnreadable,
}

const ENGINE_COMMANDS: &str = "`monitor optbytes set FIELD=VALUE … [yes] [permanent-rdp2]` or `monitor ndbank true|false` (they unlock, check, verify and relock)";

impl fmt::Display for RawRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RawRefusal::Otp { addr } => write!(
                f,
                "memory write at {} refused: that is {}, which can be written once and never again; this server never writes it",
                hex32(addr),
                Area::Otp.description()
            ),
            RawRefusal::Rdp2 { optcr } => write!(
                f,
                "memory write to FLASH_OPTCR refused: the register would hold {} with RDP = 0xCC, which OPTSTRT commits as read protection level 2 — permanent, the debug port is gone for good; level 2 is set only with `monitor optbytes set RDP=2 yes permanent-rdp2`",
                hex32(optcr)
            ),
            RawRefusal::Flash { addr } => write!(
                f,
                "memory write at {} refused: that is flash, which memory writes cannot program; flash is written with `load` (GDB's flash packets)",
                hex32(addr)
            ),
            RawRefusal::ReadOnly { addr, area } => {
                write!(f, "memory write at {} refused: that is {}", hex32(addr), area.description())?;
                if area == Area::OptionBytes {
                    write!(f, ", changed only through FLASH_OPTCR: use {ENGINE_COMMANDS}")?;
                }
                Ok(())
            }
            RawRefusal::OptionRegister(register) => write!(
                f,
                "memory write to {} ({}) refused: raw writes into the FLASH option registers are off; change option bytes with {ENGINE_COMMANDS}, or allow raw writes for this session with `monitor raw-option-writes allow` (RDP level 2 and OTP stay refused)",
                register.name(),
                hex32(register.address())
            ),
            RawRefusal::OptcrUnreadable => f.write_str(
                "memory write to FLASH_OPTCR refused: its current value could not be read, so the write cannot be judged",
            ),
        }
    }
}

/// An accepted plain memory write.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RawWriteOk {
    /// The FLASH option registers it writes (allowed by [`RawOptionWrites::Allow`]).
    pub option_registers: Vec<OptionRegister>,
    /// The value FLASH_OPTCR holds afterwards, when the write touches it.
    pub optcr_after: Option<u32>,
}

impl RawWriteOk {
    /// Whether the write sets OPTSTRT, i.e. commits the option registers to the option bytes.
    pub fn starts_option_programming(&self) -> bool {
        self.optcr_after
            .is_some_and(|v| v & FLASH_OPTCR_OPTSTRT != 0)
    }
}

/// First byte of `[start, end)` inside `[lo, hi)`, if they overlap.
fn overlap(start: u64, end: u64, lo: u32, hi: u64) -> Option<u32> {
    (start < hi && end > u64::from(lo)).then(|| start.max(u64::from(lo)) as u32)
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

/// Judges a plain memory write of `data` at `start`. `current_optcr` reads FLASH_OPTCR; it is
/// called only when the write touches that register.
pub fn check_raw_write(
    start: u32,
    data: &[u8],
    policy: RawOptionWrites,
    current_optcr: impl FnOnce() -> Option<u32>,
) -> Result<RawWriteOk, RawRefusal> {
    if data.is_empty() {
        // GDB probes for X support with an empty write: nothing is written.
        return Ok(RawWriteOk::default());
    }
    let (s, e) = (u64::from(start), u64::from(start) + data.len() as u64);
    let system_len = u64::from(SYSTEM_MEMORY_END - SYSTEM_MEMORY_BASE);

    for base in [SYSTEM_MEMORY_BASE, SYSTEM_MEMORY_ITCM_BASE] {
        let (lo, hi) = otp_span(base);
        if let Some(addr) = overlap(s, e, lo, u64::from(hi)) {
            return Err(RawRefusal::Otp { addr });
        }
    }

    let touched: Vec<OptionRegister> = OptionRegister::ALL
        .into_iter()
        .filter(|r| overlap(s, e, r.address(), u64::from(r.address()) + 4).is_some())
        .collect();
    let optcr_after = if touched.contains(&OptionRegister::OptCr) {
        let current = current_optcr().ok_or(RawRefusal::OptcrUnreadable)?;
        let after = merged_register(FLASH_OPTCR, current, start, data);
        if (after >> 8) as u8 == RDP_LEVEL_2 {
            return Err(RawRefusal::Rdp2 { optcr: after });
        }
        Some(after)
    } else {
        None
    };

    for base in [FLASH_AXIM_BASE, FLASH_ITCM_BASE] {
        if let Some(addr) = overlap(s, e, base, u64::from(base) + u64::from(FLASH_MAX_BYTES)) {
            return Err(RawRefusal::Flash { addr });
        }
    }
    for (lo, len, area) in [
        (SYSTEM_MEMORY_ITCM_BASE, system_len, Area::SystemMemory),
        (SYSTEM_MEMORY_BASE, system_len, Area::SystemMemory),
        (
            OPTION_BYTES_BASE,
            u64::from(OPTION_BYTES_BLOCK),
            Area::OptionBytes,
        ),
    ] {
        if let Some(addr) = overlap(s, e, lo, u64::from(lo) + len) {
            return Err(RawRefusal::ReadOnly { addr, area });
        }
    }

    if let (RawOptionWrites::Deny, Some(&first)) = (policy, touched.first()) {
        return Err(RawRefusal::OptionRegister(first));
    }
    Ok(RawWriteOk {
        option_registers: touched,
        optcr_after,
    })
}

/// FLASH_OPTCR with OPTLOCK set and OPTSTRT clear: relocks without committing anything.
pub fn relocked_optcr(optcr: u32) -> u32 {
    (optcr & !FLASH_OPTCR_OPTSTRT) | FLASH_OPTCR_OPTLOCK
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

    /// Whether `optcr`, read now, shows OPTLOCK left clear by this session's raw writes.
    pub fn optlock_left_clear(&self, optcr: u32) -> bool {
        self.option_registers_written && optcr & FLASH_OPTCR_OPTLOCK == 0
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
    use crate::chip::geometry::BankMode;

    const FACTORY_OPTCR: u32 = 0xFFFF_AAFD;
    const UNLOCKED_OPTCR: u32 = 0xFFFF_AAFC;

    fn layout(kb: u32, mode: BankMode) -> FlashLayout {
        FlashLayout::new(kb, mode).unwrap()
    }

    #[test]
    fn areas() {
        let two_mb = FLASH_MAX_BYTES;
        assert_eq!(area_at(0x0800_0000, two_mb), Area::Flash);
        assert_eq!(area_at(0x081F_FFFF, two_mb), Area::Flash);
        assert_eq!(area_at(0x0820_0000, two_mb), Area::Other);
        assert_eq!(area_at(0x0810_0000, 1024 * 1024), Area::Other);
        assert_eq!(area_at(0x0020_0010, two_mb), Area::FlashItcm);
        assert_eq!(area_at(0x1FF0_F000, two_mb), Area::Otp);
        assert_eq!(area_at(0x1FF0_F400, two_mb), Area::Otp);
        assert_eq!(area_at(0x1FF0_F41F, two_mb), Area::Otp);
        assert_eq!(area_at(0x0010_F400, two_mb), Area::Otp);
        assert_eq!(area_at(0x1FF0_F420, two_mb), Area::SystemMemory);
        assert_eq!(area_at(0x1FF0_0000, two_mb), Area::SystemMemory);
        assert_eq!(area_at(0x0010_0000, two_mb), Area::SystemMemory);
        assert_eq!(area_at(0x1FFF_0000, two_mb), Area::OptionBytes);
        assert_eq!(area_at(0x4002_3C14, two_mb), Area::Peripherals);
        assert_eq!(area_at(0x2000_0000, two_mb), Area::Other);
        assert_eq!(area_at(0xFFFF_FFFF, two_mb), Area::Other);
    }

    #[test]
    fn flash_packets_inside_the_main_flash_pass() {
        let single = layout(2048, BankMode::Single);
        assert_eq!(
            check_flash_op(FlashOp::Erase, 0x0800_0000, 0x20_0000, Some(&single)),
            Ok(FlashRange {
                start: 0x0800_0000,
                len: 0x20_0000,
                from_itcm: false
            })
        );
        assert!(check_flash_op(FlashOp::Write, 0x081F_FFFC, 4, Some(&single)).is_ok());
    }

    #[test]
    fn the_itcm_alias_is_translated_to_the_axi_bus() {
        let dual = layout(2048, BankMode::Dual);
        assert_eq!(
            check_flash_op(FlashOp::Write, 0x0020_4010, 16, Some(&dual)),
            Ok(FlashRange {
                start: 0x0800_4010,
                len: 16,
                from_itcm: true
            })
        );
        // The translated address lies in the live layout's sector (dual bank: sector 1).
        assert_eq!(dual.sector_at(0x0800_4010).unwrap().index, 1);
        let one_mb = layout(1024, BankMode::Dual);
        assert!(check_flash_op(FlashOp::Write, 0x0030_0000, 4, Some(&one_mb)).is_err());
    }

    #[test]
    fn flash_packets_outside_the_main_flash_are_refused() {
        let single = layout(2048, BankMode::Single);
        for (addr, len, reason) in [
            (
                0x1FFF_0000,
                0x20,
                FlashRefusalReason::NotFlash(Area::OptionBytes),
            ),
            (0x1FF0_F000, 0x10, FlashRefusalReason::NotFlash(Area::Otp)),
            (0x1FF0_F400, 1, FlashRefusalReason::NotFlash(Area::Otp)),
            (
                0x1FF0_0000,
                4,
                FlashRefusalReason::NotFlash(Area::SystemMemory),
            ),
            (
                0x4002_3C14,
                4,
                FlashRefusalReason::NotFlash(Area::Peripherals),
            ),
            (0x2000_0000, 4, FlashRefusalReason::NotFlash(Area::Other)),
            (0x0820_0000, 4, FlashRefusalReason::NotFlash(Area::Other)),
            (0x0800_0000, 0xFFFF_FFFF, FlashRefusalReason::PastTheEnd),
            (0x081F_FFFC, 8, FlashRefusalReason::PastTheEnd),
        ] {
            let r = check_flash_op(FlashOp::Erase, addr, len, Some(&single)).unwrap_err();
            assert_eq!(r.reason, reason, "{addr:#x}");
            let text = r.to_string();
            assert!(text.contains(&hex32(addr)), "{text}");
            assert!(text.contains("0x0800_0000–0x081F_FFFF"), "{text}");
            assert!(text.contains("nothing was written"), "{text}");
        }
        let text = check_flash_op(FlashOp::Write, 0x1FFF_0000, 8, Some(&single))
            .unwrap_err()
            .to_string();
        assert!(text.contains("monitor optbytes set"), "{text}");
        // A 1 MB part ends at 0x0810_0000.
        let one_mb = layout(1024, BankMode::Single);
        let r = check_flash_op(FlashOp::Write, 0x0810_0000, 4, Some(&one_mb)).unwrap_err();
        assert!(r.to_string().contains("0x080F_FFFF"), "{r}");
        // Unknown size: nothing is flash.
        let r = check_flash_op(FlashOp::Erase, 0x0800_0000, 4, None).unwrap_err();
        assert_eq!(r.reason, FlashRefusalReason::LayoutUnknown);
    }

    fn raw(start: u32, data: &[u8], policy: RawOptionWrites) -> Result<RawWriteOk, RawRefusal> {
        check_raw_write(start, data, policy, || Some(UNLOCKED_OPTCR))
    }

    #[test]
    fn ram_and_peripheral_writes_pass_without_reading_optcr() {
        for (addr, len) in [
            (0x2000_0000, 4),
            (0x4002_3C10, 4),
            (0x4002_3C0C, 4),
            (0xE000_EDF0, 4),
        ] {
            let ok = check_raw_write(addr, &vec![0; len], RawOptionWrites::Deny, || {
                panic!("FLASH_OPTCR read for a write at {addr:#x}")
            })
            .unwrap();
            assert!(ok.option_registers.is_empty());
        }
        // An empty write (GDB's X probe) writes nothing, wherever it points.
        assert!(raw(0x1FF0_F000, &[], RawOptionWrites::Deny).is_ok());
    }

    #[test]
    fn otp_is_refused_always() {
        for policy in [RawOptionWrites::Deny, RawOptionWrites::Allow] {
            assert_eq!(
                raw(0x1FF0_F000, &[0], policy),
                Err(RawRefusal::Otp { addr: 0x1FF0_F000 })
            );
            assert_eq!(
                raw(0x1FF0_F400, &[0], policy),
                Err(RawRefusal::Otp { addr: 0x1FF0_F400 })
            );
            assert_eq!(
                raw(0x0010_F000, &[0; 4], policy),
                Err(RawRefusal::Otp { addr: 0x0010_F000 })
            );
            // A write that runs into OTP from below.
            assert_eq!(
                raw(0x1FF0_EFFC, &[0; 8], policy),
                Err(RawRefusal::Otp { addr: 0x1FF0_F000 })
            );
        }
    }

    #[test]
    fn flash_system_memory_and_option_bytes_are_refused() {
        assert_eq!(
            raw(0x0800_0000, &[0; 4], RawOptionWrites::Allow),
            Err(RawRefusal::Flash { addr: 0x0800_0000 })
        );
        assert_eq!(
            raw(0x0020_0010, &[0; 4], RawOptionWrites::Allow),
            Err(RawRefusal::Flash { addr: 0x0020_0010 })
        );
        assert_eq!(
            raw(0x1FFF_0000, &[0xFF, 0xCC, 0, 0x33], RawOptionWrites::Allow),
            Err(RawRefusal::ReadOnly {
                addr: 0x1FFF_0000,
                area: Area::OptionBytes
            })
        );
        assert_eq!(
            raw(0x1FF0_0000, &[0], RawOptionWrites::Allow),
            Err(RawRefusal::ReadOnly {
                addr: 0x1FF0_0000,
                area: Area::SystemMemory
            })
        );
        let text = RawRefusal::Flash { addr: 0x0800_0000 }.to_string();
        assert!(
            text.contains("`load`") && text.contains("0x0800_0000"),
            "{text}"
        );
    }

    #[test]
    fn option_registers_are_refused_by_default_and_allowed_on_request() {
        let keys = 0x0819_2A3Bu32.to_le_bytes();
        assert_eq!(
            raw(0x4002_3C08, &keys, RawOptionWrites::Deny),
            Err(RawRefusal::OptionRegister(OptionRegister::OptKeyr))
        );
        assert_eq!(
            raw(0x4002_3C18, &[0; 4], RawOptionWrites::Deny),
            Err(RawRefusal::OptionRegister(OptionRegister::OptCr1))
        );
        assert_eq!(
            raw(
                0x4002_3C14,
                &0xDFFF_AAFCu32.to_le_bytes(),
                RawOptionWrites::Deny
            ),
            Err(RawRefusal::OptionRegister(OptionRegister::OptCr))
        );
        // A block over the whole FLASH register file touches all three.
        let ok = raw(0x4002_3C00, &[0; 0x20], RawOptionWrites::Allow).unwrap();
        assert_eq!(ok.option_registers, OptionRegister::ALL.to_vec());
        assert_eq!(ok.optcr_after, Some(0));
        let text = RawRefusal::OptionRegister(OptionRegister::OptKeyr).to_string();
        assert!(
            text.contains("monitor optbytes set")
                && text.contains("monitor ndbank")
                && text.contains("monitor raw-option-writes allow"),
            "{text}"
        );
        let ok = raw(0x4002_3C08, &keys, RawOptionWrites::Allow).unwrap();
        assert_eq!(ok.option_registers, vec![OptionRegister::OptKeyr]);
        assert!(!ok.starts_option_programming());
        let ok = raw(
            0x4002_3C14,
            &0xDFFF_AAFEu32.to_le_bytes(),
            RawOptionWrites::Allow,
        )
        .unwrap();
        assert_eq!(ok.optcr_after, Some(0xDFFF_AAFE));
        assert!(ok.starts_option_programming());
    }

    #[test]
    fn rdp_level_2_is_refused_always_whatever_the_access_size() {
        for policy in [RawOptionWrites::Deny, RawOptionWrites::Allow] {
            // The word writes of the published sequence.
            assert_eq!(
                raw(0x4002_3C14, &0xFFFF_CCFCu32.to_le_bytes(), policy),
                Err(RawRefusal::Rdp2 { optcr: 0xFFFF_CCFC })
            );
            assert_eq!(
                raw(0x4002_3C14, &0xFFFF_CCFEu32.to_le_bytes(), policy),
                Err(RawRefusal::Rdp2 { optcr: 0xFFFF_CCFE })
            );
            // RDP is byte 0x4002_3C15: a byte write, and a halfword write over bytes 0x14-0x15.
            assert_eq!(
                raw(0x4002_3C15, &[0xCC], policy),
                Err(RawRefusal::Rdp2 { optcr: 0xFFFF_CCFC })
            );
            assert_eq!(
                raw(0x4002_3C14, &[0xFE, 0xCC], policy),
                Err(RawRefusal::Rdp2 { optcr: 0xFFFF_CCFE })
            );
            // OPTSTRT in a later write while the register already holds RDP = 0xCC.
            assert_eq!(
                check_raw_write(0x4002_3C14, &[0xFE], policy, || Some(0xFFFF_CCFC)),
                Err(RawRefusal::Rdp2 { optcr: 0xFFFF_CCFE })
            );
            // A block that covers OPTCR among other registers.
            let mut block = [0u8; 0x10];
            block[0x0D] = 0xCC;
            assert_eq!(
                raw(0x4002_3C08, &block, policy),
                Err(RawRefusal::Rdp2 { optcr: 0x0000_CC00 })
            );
            // Unreadable register: refused rather than guessed.
            assert_eq!(
                check_raw_write(0x4002_3C14, &[0xFE], policy, || None),
                Err(RawRefusal::OptcrUnreadable)
            );
        }
        // Other RDP bytes pass when allowed (level 1 is reversible).
        assert!(raw(0x4002_3C15, &[0x55], RawOptionWrites::Allow).is_ok());
        let text = RawRefusal::Rdp2 { optcr: 0xFFFF_CCFE }.to_string();
        assert!(
            text.contains("permanent-rdp2") && text.contains("0xCC"),
            "{text}"
        );
    }

    #[test]
    fn merging_bytes_into_a_register() {
        assert_eq!(
            merged_register(0x4002_3C14, FACTORY_OPTCR, 0x4002_3C15, &[0x55]),
            0xFFFF_55FD
        );
        assert_eq!(
            merged_register(0x4002_3C14, FACTORY_OPTCR, 0x4002_3C12, &[1, 2, 3, 4]),
            0xFFFF_0403
        );
        assert_eq!(
            merged_register(0x4002_3C14, FACTORY_OPTCR, 0x4002_3C18, &[0]),
            FACTORY_OPTCR
        );
        assert_eq!(relocked_optcr(0xDFFF_AAFE), 0xDFFF_AAFD);
        assert_eq!(relocked_optcr(UNLOCKED_OPTCR), FACTORY_OPTCR);
    }

    #[test]
    fn the_session_remembers_option_writes_and_bounds_its_notices() {
        let mut s = GuardSession::default();
        assert_eq!(s.policy, RawOptionWrites::Deny);
        assert!(
            !s.optlock_left_clear(UNLOCKED_OPTCR),
            "nothing written by this session"
        );
        s.note_option_write();
        assert!(s.optlock_left_clear(UNLOCKED_OPTCR));
        assert!(!s.optlock_left_clear(FACTORY_OPTCR));
        s.relocked();
        assert!(!s.wrote_option_registers());
        for i in 0..20 {
            s.notice(format!("refusal {i}"));
        }
        let notices = s.take_notices();
        assert_eq!(notices.len(), MAX_NOTICES);
        assert_eq!(notices.last().unwrap(), "refusal 19");
        assert!(s.take_notices().is_empty());
    }
}
