//! The write guard's rules on STM32G0B0/G0B1/G0C1 (reference §3, §7): the main flash of the
//! live layout (2 KB pages; the swap changes which silicon an address names, not which
//! addresses are flash), the boot alias at 0, system memory with OTP, the option-byte image at
//! 0x1FFF_7800, and the FLASH registers that unlock, stage, commit or load option bytes or
//! program flash. RDP is FLASH_OPTR's low byte; OPTSTRT and OBL_LAUNCH in FLASH_CR commit and
//! load it. The Cortex-M0+ has no bit-band alias, so every address of a register is the
//! register itself.

use crate::chip::g0::registers::{
    FlashRegister, FLASH_CR_FSTPG, FLASH_CR_LOCK, FLASH_CR_MER1, FLASH_CR_MER2,
    FLASH_CR_OBL_LAUNCH, FLASH_CR_OPTLOCK, FLASH_CR_OPTSTRT, FLASH_CR_PER, FLASH_CR_PG,
    FLASH_CR_STRT, FLASH_SR_ANY_BUSY,
};
use crate::chip::g0::G0Layout;
use crate::chip::rdp::RDP_LEVEL_2;
use crate::gdb::guard::{
    merged_register, overlap, touches, Area, EraseUnit, GuardRules, GuardWords, GuardedRegister,
    LockRegister, MainFlash, RawOptionWrites, RawRefusal, RawWriteOk, PERIPHERALS,
};

/// The bits of FLASH_CR that commit or load option bytes, in words.
pub const COMMIT_BITS: &str = "OPTSTRT or OBL_LAUNCH";

/// A G0 FLASH register as the guard names it.
pub fn guarded(register: FlashRegister) -> GuardedRegister {
    GuardedRegister {
        name: register.name(),
        address: register.address(),
    }
}

/// The G0's words in refusals.
pub static WORDS: GuardWords = GuardWords {
    option_bytes: "the stored option bytes (RDP, DUAL_BANK, nSWAP_BANK, WRP, PCROP, boot options…), changed only through FLASH_OPTR and OPTSTRT",
    engine_commands: "`monitor optbytes set FIELD=VALUE … [yes] [permanent-rdp2]`, `monitor bank single|dual` or `monitor swap on|off` (they unlock, check, verify and relock)",
    guarded: "the FLASH option and programming registers (FLASH_OPTKEYR, FLASH_CR, FLASH_OPTR, PCROP, WRP, SECR)",
    program_flash_too: true,
    register_list: "FLASH_OPTKEYR, FLASH_CR, FLASH_OPTR and the PCROP/WRP/SECR registers",
    change_hint: "`monitor optbytes set …`, `monitor bank …` or `monitor swap …`, flash with `load`",
    rdp_register: "FLASH_OPTR",
};

/// FLASH_CR with OPTLOCK and LOCK, and how to set them again without starting anything.
pub static LOCK_REGISTERS: [LockRegister; 1] = [LockRegister {
    register: GuardedRegister {
        name: "FLASH_CR",
        address: FlashRegister::Cr.address(),
    },
    locks: &[(FLASH_CR_OPTLOCK, "OPTLOCK"), (FLASH_CR_LOCK, "LOCK")],
    relocked: relocked_g0_cr,
}];

/// The G0's rules.
pub struct G0Rules;

/// The rules object the G0's GDB family hands out.
pub static RULES: G0Rules = G0Rules;

impl GuardRules for G0Rules {
    fn area_at(&self, addr: u32, flash: &MainFlash) -> Area {
        area_at(addr, flash)
    }

    fn check_raw_write(
        &self,
        start: u32,
        data: &[u8],
        policy: RawOptionWrites,
        read: &mut dyn FnMut(u32) -> Option<u32>,
    ) -> Result<RawWriteOk, RawRefusal> {
        check_raw_write_g0(start, data, policy, |r: FlashRegister| read(r.address()))
    }

    fn lock_registers(&self) -> &'static [LockRegister] {
        &LOCK_REGISTERS
    }

    fn busy(&self) -> (GuardedRegister, u32) {
        (guarded(FlashRegister::Sr), FLASH_SR_ANY_BUSY)
    }

    fn words(&self) -> &'static GuardWords {
        &WORDS
    }
}

/// The main flash of the live layout: one region (the banks are contiguous in every mode), its
/// 2 KB pages as erase units in address order.
pub fn main_flash(layout: &G0Layout) -> MainFlash {
    let base = crate::chip::g0::geometry::FLASH_BASE;
    MainFlash {
        rules: &RULES,
        regions: std::iter::once(base..layout.end()).collect(),
        erase_units: layout
            .pages()
            .iter()
            .map(|p| EraseUnit {
                address: p.address,
                size: p.size,
            })
            .collect(),
        summary: layout.summary(),
    }
}

/// The STM32G0B0/G0B1/G0C1 memory map (reference §0, §7; probe-rs's memory map).
pub mod g0_map {
    /// The boot alias of the booted memory.
    pub const BOOT_ALIAS: u32 = 0x0000_0000;
    /// Main flash window of the largest (512 KB) part.
    pub const FLASH_WINDOW: (u32, u32) = (0x0800_0000, 0x0808_0000);
    /// System memory (the ST bootloader).
    pub const SYSTEM_MEMORY: (u32, u32) = (0x1FFF_0000, 0x1FFF_7000);
    /// The OTP area: 1 KB, one-time programmable.
    pub const OTP: (u32, u32) = (0x1FFF_7000, 0x1FFF_7400);
    /// Engineering bytes, package, unique ID and flash size: read only.
    pub const DEVICE_INFO: (u32, u32) = (0x1FFF_7400, 0x1FFF_7800);
    /// The block holding the option-byte image.
    pub const OPTION_IMAGE: (u32, u32) = (0x1FFF_7800, 0x1FFF_8000);
}

/// The area at `addr` of a G0 whose live flash is `flash`.
pub fn area_at(addr: u32, flash: &MainFlash) -> Area {
    let in_span = |(lo, hi): (u32, u32)| (lo..hi).contains(&addr);
    if flash.region_at(addr).is_some() {
        Area::Flash
    } else if in_span(g0_map::FLASH_WINDOW) {
        Area::Other
    } else if addr < g0_map::BOOT_ALIAS + flash.span_bytes() {
        Area::BootAlias
    } else if in_span(g0_map::OTP) {
        Area::Otp
    } else if in_span(g0_map::SYSTEM_MEMORY) || in_span(g0_map::DEVICE_INFO) {
        Area::SystemMemory
    } else if in_span(g0_map::OPTION_IMAGE) {
        Area::OptionBytes(&WORDS)
    } else if in_span(PERIPHERALS) {
        Area::Peripherals
    } else {
        Area::Other
    }
}

/// The G0 FLASH registers raw writes reach only when allowed: FLASH_OPTKEYR (unlocks the option
/// registers), FLASH_CR (OPTSTRT, OBL_LAUNCH; PG, PER, MER1, MER2, STRT) and the option
/// registers.
pub fn guarded_registers() -> impl Iterator<Item = FlashRegister> {
    [FlashRegister::Optkeyr, FlashRegister::Cr]
        .into_iter()
        .chain(FlashRegister::OPTIONS)
}

fn g0_rdp(optr: u32) -> u8 {
    optr as u8
}

/// Judges a plain memory write of `data` at `start` on a G0. `read` reads a FLASH register; it
/// is called only for FLASH_OPTR and FLASH_CR when the write touches them.
pub fn check_raw_write_g0(
    start: u32,
    data: &[u8],
    policy: RawOptionWrites,
    mut read: impl FnMut(FlashRegister) -> Option<u32>,
) -> Result<RawWriteOk, RawRefusal> {
    if data.is_empty() {
        return Ok(RawWriteOk::default());
    }
    let (s, e) = (u64::from(start), u64::from(start) + data.len() as u64);
    let span = |(lo, hi): (u32, u32)| overlap(s, e, lo, u64::from(hi));

    if let Some(addr) = span(g0_map::OTP) {
        return Err(RawRefusal::Otp { addr });
    }
    let touched: Vec<FlashRegister> = guarded_registers()
        .filter(|r| touches(s, e, r.address()))
        .collect();
    let optr = FlashRegister::Optr;
    let cr = FlashRegister::Cr;
    let optr_after = if touched.contains(&optr) {
        let current = read(optr).ok_or(RawRefusal::Unreadable(guarded(optr)))?;
        let after = merged_register(optr.address(), current, start, data);
        if g0_rdp(after) == RDP_LEVEL_2 {
            return Err(RawRefusal::Rdp2 {
                register: guarded(optr),
                value: after,
            });
        }
        Some(after)
    } else {
        None
    };
    let cr_after = if touched.contains(&cr) {
        let current = read(cr).ok_or(RawRefusal::Unreadable(guarded(cr)))?;
        let after = merged_register(cr.address(), current, start, data);
        if after & (FLASH_CR_OPTSTRT | FLASH_CR_OBL_LAUNCH) != 0 {
            // What OPTSTRT commits (and OBL_LAUNCH loads) is FLASH_OPTR as it is now.
            let optr_now = match optr_after {
                Some(v) => v,
                None => read(optr).ok_or(RawRefusal::Unreadable(guarded(optr)))?,
            };
            if g0_rdp(optr_now) == RDP_LEVEL_2 {
                return Err(RawRefusal::CommitRdp2 {
                    control: guarded(cr),
                    starts: COMMIT_BITS,
                    holder: guarded(optr),
                    value: optr_now,
                });
            }
        }
        Some(after)
    } else {
        None
    };
    for window in [
        g0_map::FLASH_WINDOW,
        (
            g0_map::BOOT_ALIAS,
            g0_map::FLASH_WINDOW.1 - g0_map::FLASH_WINDOW.0,
        ),
    ] {
        if let Some(addr) = span(window) {
            return Err(RawRefusal::Flash { addr });
        }
    }
    for (window, area) in [
        (g0_map::SYSTEM_MEMORY, Area::SystemMemory),
        (g0_map::DEVICE_INFO, Area::SystemMemory),
        (g0_map::OPTION_IMAGE, Area::OptionBytes(&WORDS)),
    ] {
        if let Some(addr) = span(window) {
            return Err(RawRefusal::ReadOnly { addr, area });
        }
    }
    if let (RawOptionWrites::Deny, Some(&first)) = (policy, touched.first()) {
        return Err(RawRefusal::OptionRegister {
            register: guarded(first),
            words: &WORDS,
        });
    }
    let keyr = FlashRegister::Keyr.address();
    Ok(RawWriteOk {
        option_registers: touched.into_iter().map(guarded).collect(),
        control_after: cr_after.map(|v| (guarded(cr), v)),
        starts_programming: cr_after
            .is_some_and(|v| v & (FLASH_CR_OPTSTRT | FLASH_CR_OBL_LAUNCH) != 0),
        unlocks_flash: touches(s, e, keyr),
        alias_accesses: None,
    })
}

/// FLASH_CR of a G0 with LOCK and OPTLOCK set and nothing started.
pub fn relocked_g0_cr(cr: u32) -> u32 {
    let operations = FLASH_CR_OPTSTRT
        | FLASH_CR_OBL_LAUNCH
        | FLASH_CR_STRT
        | FLASH_CR_PG
        | FLASH_CR_PER
        | FLASH_CR_MER1
        | FLASH_CR_MER2
        | FLASH_CR_FSTPG;
    (cr & !operations) | FLASH_CR_OPTLOCK | FLASH_CR_LOCK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::Swap;
    use crate::chip::BankMode;

    fn re(mode: BankMode, swap: Swap) -> MainFlash {
        main_flash(&G0Layout::new(512, mode, swap).unwrap())
    }

    #[test]
    fn areas() {
        let f = re(BankMode::Dual, Swap::On);
        assert_eq!(f.regions, vec![0x0800_0000..0x0808_0000]);
        assert_eq!(f.area_at(0x0807_FFFF), Area::Flash);
        assert_eq!(f.area_at(0x0000_0100), Area::BootAlias);
        assert_eq!(f.area_at(0x1FFF_7000), Area::Otp);
        assert_eq!(f.area_at(0x1FFF_75E0), Area::SystemMemory);
        assert_eq!(f.area_at(0x1FFF_7800), Area::OptionBytes(&WORDS));
        assert_eq!(f.area_at(0x4002_2020), Area::Peripherals);
        assert_eq!(f.erase_units.len(), 256);
        let rc = main_flash(&G0Layout::new(256, BankMode::Dual, Swap::Off).unwrap());
        assert_eq!(rc.area_at(0x0804_0000), Area::Other);
    }

    #[test]
    fn raw_writes() {
        let read = |r: FlashRegister| match r {
            FlashRegister::Optr => Some(0xFFFF_FEAA),
            FlashRegister::Cr => Some(0xC000_0000),
            _ => Some(0),
        };
        let e = check_raw_write_g0(0x4002_2020, &0xFFFF_FECCu32.to_le_bytes(), RawOptionWrites::Allow, read).unwrap_err();
        assert!(matches!(e, RawRefusal::Rdp2 { .. }), "{e:?}");
        let e = check_raw_write_g0(0x4002_2020, &0xFFEF_FEAAu32.to_le_bytes(), RawOptionWrites::Deny, read).unwrap_err();
        assert!(matches!(e, RawRefusal::OptionRegister { .. }), "{e:?}");
        assert!(check_raw_write_g0(0x4002_2020, &0xFFEF_FEAAu32.to_le_bytes(), RawOptionWrites::Allow, read).is_ok());
        assert!(matches!(check_raw_write_g0(0x1FFF_7000, &[0], RawOptionWrites::Allow, read), Err(RawRefusal::Otp { .. })));
        assert!(matches!(check_raw_write_g0(0x0804_0000, &[0], RawOptionWrites::Allow, read), Err(RawRefusal::Flash { .. })));
        assert!(matches!(check_raw_write_g0(0x1FFF_7800, &[0], RawOptionWrites::Allow, read), Err(RawRefusal::ReadOnly { .. })));
        assert!(check_raw_write_g0(0x2000_0000, &[0; 8], RawOptionWrites::Deny, read).is_ok());
        assert_eq!(relocked_g0_cr(FLASH_CR_OPTSTRT | FLASH_CR_PG), FLASH_CR_LOCK | FLASH_CR_OPTLOCK);
    }
}
