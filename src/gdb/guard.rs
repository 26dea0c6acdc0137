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
//! On an STM32G47x/G48x ([`check_main_flash_op`] with a [`MainFlash`] from its `G4Layout`,
//! [`check_raw_write_g4`]) the same rules hold with its addresses: the main flash is the banks
//! of the live DBANK mode (the hole between the banks of a 256 KB part refused), FLASH_OPTR
//! holds RDP in its low byte, and FLASH_OPTKEYR, FLASH_CR (OPTSTRT, OBL_LAUNCH, PG, PER, MER),
//! FLASH_OPTR and the PCROP/WRP/SEC registers are the ones refused unless allowed.
//!
//! The module is protocol-free: it knows the chip facts of [`crate::chip`] and nothing of
//! gdbstub or probe-rs. The GDB target reads what it needs from the chip and applies the verdict.

use std::fmt;
use std::ops::Range;

use crate::chip::bitband;
use crate::chip::f7::geometry::{hex32, FlashLayout, FLASH_AXIM_BASE, FLASH_ITCM_BASE};
use crate::chip::f7::registers::{
    FLASH_CR_LOCK as FLASH_CR_LOCK_F7, FLASH_CR_STRT as FLASH_CR_STRT_F7, FLASH_KEYR, FLASH_OPTCR,
    FLASH_OPTCR1, FLASH_OPTCR_OPTLOCK, FLASH_OPTCR_OPTSTRT, FLASH_OPTKEYR, OPTION_BYTES_BASE,
    OTP_BASE, OTP_END, SYSTEM_MEMORY_BASE, SYSTEM_MEMORY_END, SYSTEM_MEMORY_ITCM_BASE,
};
use crate::chip::g4::registers::{
    FlashRegister as G4FlashRegister, FLASH_BASE as G4_FLASH_BASE, FLASH_CR_FSTPG,
    FLASH_CR_LOCK as G4_FLASH_CR_LOCK, FLASH_CR_MER1, FLASH_CR_MER2, FLASH_CR_OBL_LAUNCH,
    FLASH_CR_OPTLOCK as G4_FLASH_CR_OPTLOCK, FLASH_CR_OPTSTRT as G4_FLASH_CR_OPTSTRT, FLASH_CR_PER,
    FLASH_CR_PG, FLASH_CR_STRT, OPTION_BYTES_BANK1_BASE, OPTION_BYTES_BANK2_BASE,
};
use crate::chip::g4::G4Layout;
use crate::chip::rdp::RDP_LEVEL_2;

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
    /// STM32G4: the option-byte images (value/complement pairs at 0x1FFF_7800 and 0x1FFF_F800).
    OptionImages,
    /// STM32G4 dual bank below 512 KB: the unmapped hole between bank 1 and bank 2.
    FlashGap,
    /// STM32G4: the boot alias at 0x0000_0000 (main flash with the factory boot options).
    BootAlias,
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
            Area::OptionImages => {
                "the stored option bytes (RDP, DBANK, WRP, PCROP, boot options…), changed only through FLASH_OPTR and OPTSTRT"
            }
            Area::FlashGap => "the unmapped hole between flash bank 1 and bank 2",
            Area::BootAlias => {
                "the boot alias at 0x0000_0000 (the main flash with the factory boot options; write it at 0x0800_0000)"
            }
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

/// The chip family a guard decision follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuardFamily {
    /// STM32F74x–F77x: flash on the AXI bus and through ITCM, FLASH_OPTCR option registers.
    F7,
    /// STM32G47x/G48x: flash in one or two banks, FLASH_OPTR option registers.
    G4,
}

/// One erase unit of the main flash: an F7 sector or a G4 page.
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MainFlash {
    /// The family the layout belongs to.
    pub family: GuardFamily,
    /// The address ranges that hold flash, in order (two on G4 dual bank below 512 KB).
    pub regions: Vec<Range<u32>>,
    /// The erase units (sectors, pages), in address order.
    pub erase_units: Vec<EraseUnit>,
    /// Where the flash appears again through ITCM (F7), translated to `regions`.
    pub itcm_base: Option<u32>,
    /// The layout in words, for messages.
    pub summary: String,
}

impl From<&FlashLayout> for MainFlash {
    fn from(layout: &FlashLayout) -> Self {
        MainFlash {
            family: GuardFamily::F7,
            regions: std::iter::once(FLASH_AXIM_BASE..FLASH_AXIM_BASE + layout.flash_kb * 1024)
                .collect(),
            erase_units: layout
                .sectors
                .iter()
                .map(|s| EraseUnit {
                    address: s.address,
                    size: s.size,
                })
                .collect(),
            itcm_base: Some(FLASH_ITCM_BASE),
            summary: layout.summary(),
        }
    }
}

impl From<&G4Layout> for MainFlash {
    fn from(layout: &G4Layout) -> Self {
        MainFlash {
            family: GuardFamily::G4,
            regions: layout.regions(),
            erase_units: layout
                .pages()
                .iter()
                .map(|p| EraseUnit {
                    address: p.address,
                    size: p.size,
                })
                .collect(),
            itcm_base: None,
            summary: layout.summary(),
        }
    }
}

impl MainFlash {
    /// Bytes of flash from the first region's start to the last region's end (gap included).
    fn span_bytes(&self) -> u32 {
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
        match self.family {
            GuardFamily::F7 => area_at(addr, self.span_bytes()),
            GuardFamily::G4 => g4_area_at(addr, self),
        }
    }
}

/// STM32G4 memory map (RM0440; reference §6): the flash window of the largest part, system
/// memory with OTP inside it, the two option-byte images.
pub mod g4_map {
    /// The boot alias of the booted memory (main flash with the factory options).
    pub const BOOT_ALIAS: u32 = 0x0000_0000;
    /// Main flash window of the largest (512 KB) part: bank 2 of smaller parts still sits at
    /// 0x0804_0000 in dual-bank mode.
    pub const FLASH_WINDOW: (u32, u32) = (0x0800_0000, 0x0808_0000);
    /// System memory (the ST bootloader).
    pub const SYSTEM_MEMORY: (u32, u32) = (0x1FFF_0000, 0x1FFF_7000);
    /// The OTP area: 1 KB, one-time programmable.
    pub const OTP: (u32, u32) = (0x1FFF_7000, 0x1FFF_7400);
    /// Engineering bytes, package, unique ID and flash size: read only.
    pub const DEVICE_INFO: (u32, u32) = (0x1FFF_7400, 0x1FFF_7800);
    /// The block holding the bank 1 option-byte image.
    pub const OPTION_IMAGE_1: (u32, u32) = (super::OPTION_BYTES_BANK1_BASE, 0x1FFF_8000);
    /// The block holding the bank 2 option-byte image.
    pub const OPTION_IMAGE_2: (u32, u32) = (super::OPTION_BYTES_BANK2_BASE, 0x2000_0000);
}

/// The area at `addr` of an STM32G4 whose live flash is `flash`.
fn g4_area_at(addr: u32, flash: &MainFlash) -> Area {
    let in_span = |(lo, hi): (u32, u32)| (lo..hi).contains(&addr);
    if flash.region_at(addr).is_some() {
        Area::Flash
    } else if in_span(g4_map::FLASH_WINDOW) {
        let first = flash.regions.first().map_or(0, |r| r.start);
        let last = flash.regions.last().map_or(0, |r| r.end);
        if addr > first && addr < last {
            Area::FlashGap
        } else {
            Area::Other
        }
    } else if addr < g4_map::BOOT_ALIAS + flash.span_bytes() {
        Area::BootAlias
    } else if in_span(g4_map::OTP) {
        Area::Otp
    } else if in_span(g4_map::SYSTEM_MEMORY) || in_span(g4_map::DEVICE_INFO) {
        Area::SystemMemory
    } else if in_span(g4_map::OPTION_IMAGE_1) || in_span(g4_map::OPTION_IMAGE_2) {
        Area::OptionImages
    } else if in_span(PERIPHERALS) {
        Area::Peripherals
    } else {
        Area::Other
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
    pub flash: Option<MainFlash>,
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
        match (self.reason, self.flash.as_ref().map(|m| m.family)) {
            (FlashRefusalReason::NotFlash(Area::OptionBytes), _) => f.write_str("; option bytes are changed with `monitor optbytes set FIELD=VALUE …` or `monitor ndbank true|false`")?,
            (FlashRefusalReason::NotFlash(Area::OptionImages), _) => f.write_str("; option bytes are changed with `monitor optbytes set FIELD=VALUE …` or `monitor bank single|dual`")?,
            _ => {}
        }
        f.write_str("; nothing was written")
    }
}

/// Judges a flash packet against the live F7 layout (`None`: unknown). ITCM-alias addresses are
/// translated to the AXI bus, so the loader erases the live layout's sectors for them.
pub fn check_flash_op(
    op: FlashOp,
    start: u32,
    len: u64,
    layout: Option<&FlashLayout>,
) -> Result<FlashRange, FlashRefusal> {
    check_main_flash_op(op, start, len, layout.map(MainFlash::from).as_ref())
}

/// Judges a flash packet against the live main flash of either family (`None`: unknown). A
/// range must lie inside one region: on a G4 in dual bank below 512 KB, nothing goes into the
/// hole between the banks.
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
        flash: flash.cloned(),
        region_end,
    };
    let Some(main) = flash else {
        return Err(refusal(FlashRefusalReason::LayoutUnknown, None));
    };
    let base = main.regions.first().map_or(FLASH_AXIM_BASE, |r| r.start);
    let (bus_start, from_itcm) = match main.area_at(start) {
        Area::Flash => (start, false),
        Area::FlashItcm => match main.itcm_base {
            Some(itcm) => (base + (start - itcm), true),
            None => return Err(refusal(FlashRefusalReason::NotFlash(Area::FlashItcm), None)),
        },
        other => return Err(refusal(FlashRefusalReason::NotFlash(other), None)),
    };
    let region = main
        .region_at(bus_start)
        .cloned()
        .expect("the area says it is flash");
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

/// The FLASH registers that unlock or hold the option bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OptionRegister {
    /// FLASH_OPTKEYR: the unlock keys.
    OptKeyr,
    /// FLASH_OPTCR: the user option bytes, OPTLOCK and OPTSTRT.
    OptCr,
    /// FLASH_OPTCR1: the boot addresses.
    OptCr1,
    /// An STM32G4 FLASH register that unlocks, stages or commits option bytes, or programs and
    /// erases flash: FLASH_OPTKEYR, FLASH_CR, FLASH_OPTR and the PCROP/WRP/SEC registers.
    G4(G4FlashRegister),
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
            OptionRegister::G4(register) => register.address(),
        }
    }

    /// RM0410's name.
    pub fn name(self) -> &'static str {
        match self {
            OptionRegister::OptKeyr => "FLASH_OPTKEYR",
            OptionRegister::OptCr => "FLASH_OPTCR",
            OptionRegister::OptCr1 => "FLASH_OPTCR1",
            OptionRegister::G4(register) => register.name(),
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// STM32G4: FLASH_OPTR would hold RDP = 0xCC after the write.
    G4Rdp2 {
        /// The value FLASH_OPTR would hold.
        optr: u32,
    },
    /// STM32G4: the write sets OPTSTRT or OBL_LAUNCH while FLASH_OPTR holds RDP = 0xCC.
    G4CommitRdp2 {
        /// FLASH_OPTR as read.
        optr: u32,
    },
    /// STM32G4: a register needed to judge the write could not be read.
    G4Unreadable(G4FlashRegister),
    /// STM32G4: a write through the Cortex-M4's bit-band alias of a FLASH register, refused for
    /// what it would do to the register itself.
    ThroughBitBand {
        /// The alias address written.
        alias: u32,
        /// The register the alias reaches, and the bit.
        register: G4FlashRegister,
        bit: u32,
        /// Why the same change written to the register itself is refused.
        cause: Box<RawRefusal>,
    },
    /// STM32G4: a single write that crosses the edge of the bit-band alias region (part alias,
    /// part not); it is judged only in separate writes.
    StraddlesBitBand {
        /// The first byte of the write.
        addr: u32,
    },
}

const G4_ENGINE_COMMANDS: &str = "`monitor optbytes set FIELD=VALUE … [yes] [permanent-rdp2]` or `monitor bank single|dual` (they unlock, check, verify and relock)";

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
                if area == Area::OptionImages {
                    write!(f, ": use {G4_ENGINE_COMMANDS}")?;
                }
                Ok(())
            }
            RawRefusal::G4Rdp2 { optr } => write!(
                f,
                "memory write to FLASH_OPTR refused: the register would hold {} with RDP = 0xCC, which OPTSTRT commits as read protection level 2 — permanent, the debug port is gone for good; level 2 is set only with `monitor optbytes set RDP=2 yes permanent-rdp2`",
                hex32(optr)
            ),
            RawRefusal::G4CommitRdp2 { optr } => write!(
                f,
                "memory write to FLASH_CR refused: it sets OPTSTRT or OBL_LAUNCH while FLASH_OPTR = {} holds RDP = 0xCC (read protection level 2, permanent); level 2 is set only with `monitor optbytes set RDP=2 yes permanent-rdp2`",
                hex32(optr)
            ),
            RawRefusal::G4Unreadable(register) => write!(
                f,
                "memory write to {} refused: the current value of {} could not be read, so the write cannot be judged",
                hex32(register.address()),
                register.name()
            ),
            RawRefusal::OptionRegister(OptionRegister::G4(register)) => write!(
                f,
                "memory write to {} ({}) refused: raw writes into the FLASH option and programming registers (FLASH_OPTKEYR, FLASH_CR, FLASH_OPTR, PCROP, WRP, SEC) are off; change option bytes with {G4_ENGINE_COMMANDS}, program flash with `load`, or allow raw writes for this session with `monitor raw-option-writes allow` (RDP level 2 and OTP stay refused)",
                register.name(),
                hex32(register.address())
            ),
            RawRefusal::OptionRegister(register) => write!(
                f,
                "memory write to {} ({}) refused: raw writes into the FLASH option registers are off; change option bytes with {ENGINE_COMMANDS}, or allow raw writes for this session with `monitor raw-option-writes allow` (RDP level 2 and OTP stay refused)",
                register.name(),
                hex32(register.address())
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
                register.name(),
                register.name()
            ),
            RawRefusal::StraddlesBitBand { addr } => write!(
                f,
                "memory write at {} refused: it crosses the edge of the bit-band alias region (0x4200_0000–0x43FF_FFFF, one word per peripheral bit); write the alias and the memory beside it separately",
                hex32(addr)
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
    /// STM32G4: the value FLASH_CR holds afterwards, when the write touches it.
    pub g4_cr_after: Option<u32>,
    /// The write reaches FLASH_KEYR, the key register that clears FLASH_CR.LOCK: flash
    /// programming may be left unlocked.
    pub unlocks_flash: bool,
    /// A write into the bit-band alias: the accesses to make, exactly as judged.
    pub alias_accesses: Option<Vec<AliasAccess>>,
}

impl RawWriteOk {
    /// Whether the write sets OPTSTRT, i.e. commits the option registers to the option bytes.
    pub fn starts_option_programming(&self) -> bool {
        self.optcr_after
            .is_some_and(|v| v & FLASH_OPTCR_OPTSTRT != 0)
            || self
                .g4_cr_after
                .is_some_and(|v| v & (G4_FLASH_CR_OPTSTRT | FLASH_CR_OBL_LAUNCH) != 0)
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
        g4_cr_after: None,
        unlocks_flash: overlap(s, e, FLASH_KEYR, u64::from(FLASH_KEYR) + 4).is_some(),
        alias_accesses: None,
    })
}

/// The STM32G4 FLASH registers raw writes reach only when allowed: they unlock the option
/// registers, start option programming or an option load (FLASH_CR: OPTSTRT, OBL_LAUNCH),
/// program or erase flash (FLASH_CR: PG, PER, MER1, MER2), or stage option bytes.
pub const G4_GUARDED_REGISTERS: [G4FlashRegister; 13] = [
    G4FlashRegister::Optkeyr,
    G4FlashRegister::Cr,
    G4FlashRegister::Optr,
    G4FlashRegister::Pcrop1sr,
    G4FlashRegister::Pcrop1er,
    G4FlashRegister::Wrp1ar,
    G4FlashRegister::Wrp1br,
    G4FlashRegister::Pcrop2sr,
    G4FlashRegister::Pcrop2er,
    G4FlashRegister::Wrp2ar,
    G4FlashRegister::Wrp2br,
    G4FlashRegister::Sec1r,
    G4FlashRegister::Sec2r,
];

/// FLASH_OPTR.RDP: bits 7:0.
fn g4_rdp(optr: u32) -> u8 {
    optr as u8
}

/// Judges a plain memory write of `data` at `start` on an STM32G4. `read` reads a FLASH
/// register; it is called only for FLASH_OPTR and FLASH_CR when the write touches them (or
/// their bits through the bit-band alias).
///
/// The Cortex-M4's bit-band alias of the peripherals reaches the FLASH registers one bit per
/// word: such a write is judged bit by bit as the register write it amounts to, under the same
/// rules (see [`check_bitband_write_g4`]).
pub fn check_raw_write_g4(
    start: u32,
    data: &[u8],
    policy: RawOptionWrites,
    read: impl FnMut(G4FlashRegister) -> Option<u32>,
) -> Result<RawWriteOk, RawRefusal> {
    if data.is_empty() {
        return Ok(RawWriteOk::default());
    }
    let (s, e) = (u64::from(start), u64::from(start) + data.len() as u64);
    let alias = bitband::PERIPHERALS.alias_range();
    if s < alias.end && e > alias.start {
        if s < alias.start || e > alias.end {
            return Err(RawRefusal::StraddlesBitBand { addr: start });
        }
        return check_bitband_write_g4(start, data, policy, read);
    }
    check_register_write_g4(start, data, policy, read)
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

/// Judges a write inside the peripheral bit-band alias, access by access (see
/// [`alias_accesses`]). A bit of a FLASH register is judged as the word write of that register
/// holding the bit's new value, given the values the earlier accesses left. The accepted write
/// carries the accesses to make.
pub fn check_bitband_write_g4(
    start: u32,
    data: &[u8],
    policy: RawOptionWrites,
    mut read: impl FnMut(G4FlashRegister) -> Option<u32>,
) -> Result<RawWriteOk, RawRefusal> {
    let mut staged: Vec<(G4FlashRegister, u32)> = Vec::new();
    let accesses = alias_accesses(start, data);
    let mut accepted = RawWriteOk::default();
    for access in &accesses {
        let Some(target) = bitband::PERIPHERALS.bit_at(access.address) else {
            continue;
        };
        let (word, bit) = target.word_and_bit();
        let Some(register) = word
            .checked_sub(G4_FLASH_BASE)
            .and_then(G4FlashRegister::from_offset)
        else {
            continue;
        };
        let mut current = |r: G4FlashRegister| match staged.iter().find(|(s, _)| *s == r) {
            Some(&(_, value)) => Some(value),
            None => read(r),
        };
        let before = current(register).ok_or(RawRefusal::G4Unreadable(register))?;
        let after = (before & !(1 << bit)) | ((access.value & 1) << bit);
        let verdict = check_register_write_g4(word, &after.to_le_bytes(), policy, |r| {
            match r == register {
                true => Some(before),
                false => current(r),
            }
        });
        let ok = verdict.map_err(|cause| RawRefusal::ThroughBitBand {
            alias: access.address,
            register,
            bit,
            cause: Box::new(cause),
        })?;
        match staged.iter_mut().find(|(s, _)| *s == register) {
            Some(entry) => entry.1 = after,
            None => staged.push((register, after)),
        }
        for r in ok.option_registers {
            if !accepted.option_registers.contains(&r) {
                accepted.option_registers.push(r);
            }
        }
        accepted.g4_cr_after = ok.g4_cr_after.or(accepted.g4_cr_after);
        accepted.unlocks_flash |= ok.unlocks_flash;
    }
    accepted.alias_accesses = Some(accesses);
    Ok(accepted)
}

/// Judges a write of the registers and memory themselves (no alias).
fn check_register_write_g4(
    start: u32,
    data: &[u8],
    policy: RawOptionWrites,
    mut read: impl FnMut(G4FlashRegister) -> Option<u32>,
) -> Result<RawWriteOk, RawRefusal> {
    let (s, e) = (u64::from(start), u64::from(start) + data.len() as u64);
    let span = |(lo, hi): (u32, u32)| overlap(s, e, lo, u64::from(hi));

    if let Some(addr) = span(g4_map::OTP) {
        return Err(RawRefusal::Otp { addr });
    }
    let touched: Vec<G4FlashRegister> = G4_GUARDED_REGISTERS
        .into_iter()
        .filter(|r| overlap(s, e, r.address(), u64::from(r.address()) + 4).is_some())
        .collect();
    let optr = G4FlashRegister::Optr;
    let cr = G4FlashRegister::Cr;
    let optr_after = if touched.contains(&optr) {
        let current = read(optr).ok_or(RawRefusal::G4Unreadable(optr))?;
        let after = merged_register(optr.address(), current, start, data);
        if g4_rdp(after) == RDP_LEVEL_2 {
            return Err(RawRefusal::G4Rdp2 { optr: after });
        }
        Some(after)
    } else {
        None
    };
    let cr_after = if touched.contains(&cr) {
        let current = read(cr).ok_or(RawRefusal::G4Unreadable(cr))?;
        let after = merged_register(cr.address(), current, start, data);
        if after & (G4_FLASH_CR_OPTSTRT | FLASH_CR_OBL_LAUNCH) != 0 {
            // What OPTSTRT commits (and OBL_LAUNCH loads) is FLASH_OPTR as it is now.
            let optr_now = match optr_after {
                Some(v) => v,
                None => read(optr).ok_or(RawRefusal::G4Unreadable(optr))?,
            };
            if g4_rdp(optr_now) == RDP_LEVEL_2 {
                return Err(RawRefusal::G4CommitRdp2 { optr: optr_now });
            }
        }
        Some(after)
    } else {
        None
    };

    for window in [
        g4_map::FLASH_WINDOW,
        (
            g4_map::BOOT_ALIAS,
            g4_map::FLASH_WINDOW.1 - g4_map::FLASH_WINDOW.0,
        ),
    ] {
        if let Some(addr) = span(window) {
            return Err(RawRefusal::Flash { addr });
        }
    }
    for (window, area) in [
        (g4_map::SYSTEM_MEMORY, Area::SystemMemory),
        (g4_map::DEVICE_INFO, Area::SystemMemory),
        (g4_map::OPTION_IMAGE_1, Area::OptionImages),
        (g4_map::OPTION_IMAGE_2, Area::OptionImages),
    ] {
        if let Some(addr) = span(window) {
            return Err(RawRefusal::ReadOnly { addr, area });
        }
    }

    if let (RawOptionWrites::Deny, Some(&first)) = (policy, touched.first()) {
        return Err(RawRefusal::OptionRegister(OptionRegister::G4(first)));
    }
    let keyr = G4FlashRegister::Keyr.address();
    Ok(RawWriteOk {
        option_registers: touched.into_iter().map(OptionRegister::G4).collect(),
        optcr_after: None,
        g4_cr_after: cr_after,
        unlocks_flash: overlap(s, e, keyr, u64::from(keyr) + 4).is_some(),
        alias_accesses: None,
    })
}

/// FLASH_CR of a G4 with LOCK and OPTLOCK set and nothing started: relocks flash programming
/// and the option registers without committing, loading, programming or erasing anything.
pub fn relocked_g4_cr(cr: u32) -> u32 {
    let operations = G4_FLASH_CR_OPTSTRT
        | FLASH_CR_OBL_LAUNCH
        | FLASH_CR_STRT
        | FLASH_CR_PG
        | FLASH_CR_PER
        | FLASH_CR_MER1
        | FLASH_CR_MER2
        | FLASH_CR_FSTPG;
    (cr & !operations) | G4_FLASH_CR_OPTLOCK | G4_FLASH_CR_LOCK
}

/// FLASH_CR of an F7 with LOCK set and nothing started (STRT clear): relocks flash programming.
pub fn relocked_f7_cr(cr: u32) -> u32 {
    (cr & !FLASH_CR_STRT_F7) | FLASH_CR_LOCK_F7
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

    /// STM32G4: whether FLASH_CR, read now, shows OPTLOCK or LOCK left clear by this
    /// session's writes.
    pub fn g4_optlock_left_clear(&self, cr: u32) -> bool {
        let locks = G4_FLASH_CR_OPTLOCK | G4_FLASH_CR_LOCK;
        self.option_registers_written && cr & locks != locks
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
    use crate::chip::BankMode;

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

    fn g4(kb: u32, mode: BankMode) -> MainFlash {
        MainFlash::from(&G4Layout::new(kb, mode).unwrap())
    }

    #[test]
    fn g4_areas_follow_the_live_banks() {
        let rc_dual = g4(256, BankMode::Dual);
        assert_eq!(rc_dual.area_at(0x0801_FFFF), Area::Flash);
        assert_eq!(rc_dual.area_at(0x0802_0000), Area::FlashGap);
        assert_eq!(rc_dual.area_at(0x0804_0000), Area::Flash);
        assert_eq!(rc_dual.area_at(0x0806_0000), Area::Other);
        let rc_single = g4(256, BankMode::Single);
        assert_eq!(rc_single.area_at(0x0803_FFFF), Area::Flash);
        assert_eq!(rc_single.area_at(0x0804_0000), Area::Other);
        let re = g4(512, BankMode::Dual);
        assert_eq!(re.regions, vec![0x0800_0000..0x0808_0000]);
        assert_eq!(re.area_at(0x0000_0100), Area::BootAlias);
        assert_eq!(re.area_at(0x1FFF_0000), Area::SystemMemory);
        assert_eq!(re.area_at(0x1FFF_7000), Area::Otp);
        assert_eq!(re.area_at(0x1FFF_73FF), Area::Otp);
        assert_eq!(re.area_at(0x1FFF_7400), Area::SystemMemory);
        assert_eq!(re.area_at(0x1FFF_7800), Area::OptionImages);
        assert_eq!(re.area_at(0x1FFF_F800), Area::OptionImages);
        assert_eq!(re.area_at(0x4002_2020), Area::Peripherals);
        assert_eq!(re.area_at(0x2000_0000), Area::Other);
        assert_eq!(re.erase_units.len(), 256);
        assert_eq!(
            g4(512, BankMode::Single).erase_units[1].address,
            0x0800_1000
        );
    }

    #[test]
    fn g4_flash_packets_stay_inside_one_region() {
        let rc_dual = g4(256, BankMode::Dual);
        let ok = check_main_flash_op(FlashOp::Erase, 0x0804_0000, 0x800, Some(&rc_dual)).unwrap();
        assert_eq!(
            (ok.start, ok.len, ok.from_itcm),
            (0x0804_0000, 0x800, false)
        );
        let r = check_main_flash_op(FlashOp::Write, 0x0801_FFF0, 0x20, Some(&rc_dual)).unwrap_err();
        assert_eq!(r.reason, FlashRefusalReason::PastTheEnd);
        assert!(
            r.to_string()
                .contains("past the end of flash bank 1 at 0x0802_0000"),
            "{r}"
        );
        let r = check_main_flash_op(FlashOp::Erase, 0x0802_0000, 4, Some(&rc_dual)).unwrap_err();
        assert_eq!(r.reason, FlashRefusalReason::NotFlash(Area::FlashGap));
        // No ITCM alias on G4: 0x0020_0000 is not flash, and the boot alias is not written.
        let re = g4(512, BankMode::Single);
        let r = check_main_flash_op(FlashOp::Write, 0x0020_0000, 4, Some(&re)).unwrap_err();
        assert_eq!(r.reason, FlashRefusalReason::NotFlash(Area::Other));
        let r = check_main_flash_op(FlashOp::Write, 0x0000_0100, 4, Some(&re)).unwrap_err();
        assert_eq!(r.reason, FlashRefusalReason::NotFlash(Area::BootAlias));
        let r = check_main_flash_op(FlashOp::Write, 0x1FFF_7800, 8, Some(&re)).unwrap_err();
        assert!(r.to_string().contains("monitor bank single|dual"), "{r}");
    }

    const G4_OPTR: u32 = 0xFFEF_F8AA;
    const G4_CR_UNLOCKED: u32 = 0;

    fn g4_raw(start: u32, data: &[u8], policy: RawOptionWrites) -> Result<RawWriteOk, RawRefusal> {
        check_raw_write_g4(start, data, policy, |r| match r {
            G4FlashRegister::Optr => Some(G4_OPTR),
            G4FlashRegister::Cr => Some(G4_CR_UNLOCKED),
            other => panic!("{} read", other.name()),
        })
    }

    #[test]
    fn g4_raw_writes() {
        for policy in [RawOptionWrites::Deny, RawOptionWrites::Allow] {
            assert_eq!(
                g4_raw(0x1FFF_7000, &[0], policy),
                Err(RawRefusal::Otp { addr: 0x1FFF_7000 })
            );
            assert_eq!(
                g4_raw(0x0807_FFFC, &[0; 4], policy),
                Err(RawRefusal::Flash { addr: 0x0807_FFFC })
            );
            assert_eq!(
                g4_raw(0x4002_2020, &[0xCC], policy),
                Err(RawRefusal::G4Rdp2 { optr: 0xFFEF_F8CC })
            );
            assert_eq!(
                g4_raw(0x4002_2020, &0xFFEF_F8CCu32.to_le_bytes(), policy),
                Err(RawRefusal::G4Rdp2 { optr: 0xFFEF_F8CC })
            );
            assert_eq!(
                check_raw_write_g4(0x4002_2016, &[0x02], policy, |r| match r {
                    G4FlashRegister::Optr => Some(0xFFEF_F8CC),
                    _ => Some(0),
                }),
                Err(RawRefusal::G4CommitRdp2 { optr: 0xFFEF_F8CC }),
                "OPTSTRT with RDP = 0xCC staged"
            );
            assert!(matches!(
                g4_raw(0x1FFF_F800, &[0], policy),
                Err(RawRefusal::ReadOnly {
                    area: Area::OptionImages,
                    ..
                })
            ));
        }
        for (addr, register) in [
            (0x4002_200C, G4FlashRegister::Optkeyr),
            (0x4002_2014, G4FlashRegister::Cr),
            (0x4002_2020, G4FlashRegister::Optr),
            (0x4002_2074, G4FlashRegister::Sec2r),
        ] {
            assert_eq!(
                g4_raw(addr, &[0; 4], RawOptionWrites::Deny),
                Err(RawRefusal::OptionRegister(OptionRegister::G4(register)))
            );
            assert!(g4_raw(addr, &[0; 4], RawOptionWrites::Allow).is_ok());
        }
        // FLASH_KEYR, SR, RAM: not guarded, nothing read.
        for addr in [0x4002_2008, 0x4002_2010, 0x2000_0000] {
            assert!(check_raw_write_g4(addr, &[0; 4], RawOptionWrites::Deny, |_| panic!()).is_ok());
        }
        let ok = g4_raw(
            0x4002_2014,
            &(1u32 << 27).to_le_bytes(),
            RawOptionWrites::Allow,
        )
        .unwrap();
        assert!(ok.starts_option_programming());
        assert_eq!(relocked_g4_cr(0x0802_0001), 0xC000_0000);
        let mut s = GuardSession::default();
        s.note_option_write();
        assert!(s.g4_optlock_left_clear(0));
        assert!(!s.g4_optlock_left_clear(0xC000_0000));
    }

    /// The bit-band alias word of bit `bit` of the FLASH register at `register`.
    fn alias(register: G4FlashRegister, bit: u32) -> u32 {
        bitband::PERIPHERALS.alias_of(register.address() + bit / 8, (bit % 8) as u8)
    }

    #[test]
    fn g4_bit_band_writes_are_judged_as_register_writes() {
        let optr_bit0 = alias(G4FlashRegister::Optr, 0);
        assert_eq!(optr_bit0, 0x4244_0400);
        // Denied by default, like the register.
        let r = g4_raw(optr_bit0, &[1, 0, 0, 0], RawOptionWrites::Deny).unwrap_err();
        assert_eq!(
            r,
            RawRefusal::ThroughBitBand {
                alias: optr_bit0,
                register: G4FlashRegister::Optr,
                bit: 0,
                cause: Box::new(RawRefusal::OptionRegister(OptionRegister::G4(
                    G4FlashRegister::Optr
                ))),
            }
        );
        assert!(
            r.to_string().contains("bit-band alias of FLASH_OPTR bit 0"),
            "{r}"
        );
        // Allowed: 0xAA -> 0xCC one bit per alias word, in one packet; the last bit is refused.
        let mut packet = Vec::new();
        let first = alias(G4FlashRegister::Optr, 1);
        for bit in 1..=6u32 {
            let value: u8 = match bit {
                1 | 5 => 0,
                2 | 6 => 1,
                _ => ((G4_OPTR >> bit) & 1) as u8,
            };
            packet.extend_from_slice(&[value, 0, 0, 0]);
        }
        let r = g4_raw(first, &packet, RawOptionWrites::Allow).unwrap_err();
        let RawRefusal::ThroughBitBand { bit, cause, .. } = r else {
            panic!("{r:?}");
        };
        assert_eq!(*cause, RawRefusal::G4Rdp2 { optr: 0xFFEF_F8CC });
        assert_eq!(bit, 6, "refused at the bit that completes 0xCC");
        // The same bits stopping short of 0xCC pass, naming the register they reach.
        let ok = g4_raw(first, &packet[4..20], RawOptionWrites::Allow).unwrap();
        assert_eq!(
            ok.option_registers,
            vec![OptionRegister::G4(G4FlashRegister::Optr)]
        );
        // OPTSTRT through the alias while FLASH_OPTR holds RDP 0xCC.
        let optstrt = alias(G4FlashRegister::Cr, 17);
        let r = check_raw_write_g4(optstrt, &[1], RawOptionWrites::Allow, |r| match r {
            G4FlashRegister::Optr => Some(0xFFEF_F8CC),
            _ => Some(0),
        })
        .unwrap_err();
        assert!(
            matches!(&r, RawRefusal::ThroughBitBand { cause, .. } if **cause == RawRefusal::G4CommitRdp2 { optr: 0xFFEF_F8CC }),
            "{r:?}"
        );
        // Other peripherals' bits, and FLASH_KEYR (unguarded, but it unlocks flash).
        let other =
            check_raw_write_g4(0x4240_0000, &[1], RawOptionWrites::Deny, |_| panic!()).unwrap();
        assert!(other.option_registers.is_empty() && !other.unlocks_flash);
        assert_eq!(
            other.alias_accesses,
            Some(vec![AliasAccess {
                address: 0x4240_0000,
                size: 1,
                value: 1
            }])
        );
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
        let keyr = check_raw_write_g4(
            alias(G4FlashRegister::Keyr, 0),
            &[1],
            RawOptionWrites::Deny,
            |_| Some(0),
        )
        .unwrap();
        assert!(keyr.unlocks_flash);
        // Across the edge of the alias region: refused whole.
        assert_eq!(
            g4_raw(0x43FF_FFFE, &[0; 4], RawOptionWrites::Allow),
            Err(RawRefusal::StraddlesBitBand { addr: 0x43FF_FFFE })
        );
        assert!(
            g4_raw(0x4002_2008, &[0; 4], RawOptionWrites::Deny)
                .unwrap()
                .unlocks_flash
        );
        assert_eq!(relocked_g4_cr(0), 0xC000_0000);
        assert_eq!(relocked_f7_cr(0x0001_0002), 0x8000_0002);
    }
}
