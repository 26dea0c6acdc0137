//! The write guard's rules on STM32G47x/G48x (RM0440; reference §6): the main flash in the banks
//! of the live DBANK mode (the hole between the banks of a 256 KB part refused), the boot alias
//! at 0, system memory with OTP, the two option-byte images, and the FLASH registers that
//! unlock, stage, commit or load option bytes or program flash. RDP is FLASH_OPTR's low byte;
//! OPTSTRT and OBL_LAUNCH in FLASH_CR commit and load it. The Cortex-M4's bit-band alias of the
//! peripherals reaches those registers one bit per word, and is judged bit by bit as the
//! register write it amounts to.

use crate::chip::bitband;
use crate::chip::g4::registers::{
    FlashRegister, OPTION_REGISTERS, FLASH_BASE, FLASH_CR_FSTPG, FLASH_CR_LOCK, FLASH_CR_MER1, FLASH_CR_MER2,
    FLASH_CR_OBL_LAUNCH, FLASH_CR_OPTLOCK, FLASH_CR_OPTSTRT, FLASH_CR_PER, FLASH_CR_PG,
    FLASH_CR_STRT, FLASH_SR_BSY,
};
use crate::chip::g4::G4Layout;
use crate::chip::rdp::RDP_LEVEL_2;
use crate::gdb::guard::{
    alias_accesses, merged_register, overlap, touches, Area, EraseUnit, GuardRules, GuardWords,
    GuardedRegister, LockRegister, MainFlash, RawOptionWrites, RawRefusal, RawWriteOk, PERIPHERALS,
};

/// The bits of FLASH_CR that commit or load option bytes, in words.
pub const COMMIT_BITS: &str = "OPTSTRT or OBL_LAUNCH";

/// A G4 FLASH register as the guard names it.
pub fn guarded(register: FlashRegister) -> GuardedRegister {
    GuardedRegister {
        name: register.name(),
        address: register.address(),
    }
}

/// The G4's words in refusals.
pub static WORDS: GuardWords = GuardWords {
    option_bytes: "the stored option bytes (RDP, DBANK, WRP, PCROP, boot options…), changed only through FLASH_OPTR and OPTSTRT",
    engine_commands: "`monitor optbytes set FIELD=VALUE … [yes] [permanent-rdp2]` or `monitor bank single|dual` (they unlock, check, verify and relock)",
    guarded: "the FLASH option and programming registers (FLASH_OPTKEYR, FLASH_CR, FLASH_OPTR, PCROP, WRP, SEC)",
    program_flash_too: true,
    register_list: "FLASH_OPTKEYR, FLASH_CR, FLASH_OPTR and the PCROP/WRP/SEC registers",
    change_hint: "`monitor optbytes set …` or `monitor bank …`, flash with `load`",
    rdp_register: "FLASH_OPTR",
};

/// FLASH_CR with OPTLOCK and LOCK, and how to set them again without starting anything.
pub static LOCK_REGISTERS: [LockRegister; 1] = [LockRegister {
    register: GuardedRegister {
        name: "FLASH_CR",
        address: FlashRegister::Cr.address(),
    },
    locks: &[(FLASH_CR_OPTLOCK, "OPTLOCK"), (FLASH_CR_LOCK, "LOCK")],
    relocked: relocked_g4_cr,
}];

/// The G4's rules.
pub struct G4Rules;

/// The rules object the G4's GDB family hands out.
pub static RULES: G4Rules = G4Rules;

impl GuardRules for G4Rules {
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
        check_raw_write_g4(start, data, policy, |r: FlashRegister| read(r.address()))
    }

    fn lock_registers(&self) -> &'static [LockRegister] {
        &LOCK_REGISTERS
    }

    fn busy(&self) -> (GuardedRegister, u32) {
        (guarded(FlashRegister::Sr), FLASH_SR_BSY)
    }

    fn words(&self) -> &'static GuardWords {
        &WORDS
    }
}

/// The main flash of the live page layout: one region per bank (two with the hole between on
/// parts below 512 KB in dual-bank mode), pages as erase units.
pub fn main_flash(layout: &G4Layout) -> MainFlash {
    MainFlash {
        rules: &RULES,
        regions: layout.regions(),
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

/// The STM32G4 memory map (RM0440; reference §6): the flash window of the largest part, system
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
    pub const OPTION_IMAGE_1: (u32, u32) = (
        crate::chip::g4::registers::OPTION_BYTES_BANK1_BASE,
        0x1FFF_8000,
    );
    /// The block holding the bank 2 option-byte image.
    pub const OPTION_IMAGE_2: (u32, u32) = (
        crate::chip::g4::registers::OPTION_BYTES_BANK2_BASE,
        0x2000_0000,
    );
}

/// The area at `addr` of an STM32G4 whose live flash is `flash`.
pub fn area_at(addr: u32, flash: &MainFlash) -> Area {
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
        Area::OptionBytes(&WORDS)
    } else if in_span(PERIPHERALS) {
        Area::Peripherals
    } else {
        Area::Other
    }
}

/// The STM32G4 FLASH registers raw writes reach only when allowed: they unlock the option
/// registers (FLASH_OPTKEYR), start option programming or an option load (FLASH_CR: OPTSTRT,
/// OBL_LAUNCH), program or erase flash (FLASH_CR: PG, PER, MER1, MER2), or stage option bytes
/// (the option registers).
pub fn guarded_registers() -> impl Iterator<Item = FlashRegister> {
    [FlashRegister::Optkeyr, FlashRegister::Cr]
        .into_iter()
        .chain(OPTION_REGISTERS)
}

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
    read: impl FnMut(FlashRegister) -> Option<u32>,
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

/// Judges a write inside the peripheral bit-band alias, access by access (see
/// [`alias_accesses`]). A bit of a FLASH register is judged as the word write of that register
/// holding the bit's new value, given the values the earlier accesses left. The accepted write
/// carries the accesses to make.
pub fn check_bitband_write_g4(
    start: u32,
    data: &[u8],
    policy: RawOptionWrites,
    mut read: impl FnMut(FlashRegister) -> Option<u32>,
) -> Result<RawWriteOk, RawRefusal> {
    let mut staged: Vec<(FlashRegister, u32)> = Vec::new();
    let accesses = alias_accesses(start, data);
    let mut accepted = RawWriteOk::default();
    for access in &accesses {
        let Some(target) = bitband::PERIPHERALS.bit_at(access.address) else {
            continue;
        };
        let (word, bit) = target.word_and_bit();
        let Some(register) = word
            .checked_sub(FLASH_BASE)
            .and_then(FlashRegister::from_offset)
        else {
            continue;
        };
        let mut current = |r: FlashRegister| match staged.iter().find(|(s, _)| *s == r) {
            Some(&(_, value)) => Some(value),
            None => read(r),
        };
        let before = current(register).ok_or(RawRefusal::Unreadable(guarded(register)))?;
        let after = (before & !(1 << bit)) | ((access.value & 1) << bit);
        let verdict = check_register_write_g4(word, &after.to_le_bytes(), policy, |r| {
            match r == register {
                true => Some(before),
                false => current(r),
            }
        });
        let ok = verdict.map_err(|cause| RawRefusal::ThroughBitBand {
            alias: access.address,
            register: guarded(register),
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
        accepted.control_after = ok.control_after.or(accepted.control_after);
        accepted.starts_programming |= ok.starts_programming;
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
    mut read: impl FnMut(FlashRegister) -> Option<u32>,
) -> Result<RawWriteOk, RawRefusal> {
    let (s, e) = (u64::from(start), u64::from(start) + data.len() as u64);
    let span = |(lo, hi): (u32, u32)| overlap(s, e, lo, u64::from(hi));

    if let Some(addr) = span(g4_map::OTP) {
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
        if g4_rdp(after) == RDP_LEVEL_2 {
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
            if g4_rdp(optr_now) == RDP_LEVEL_2 {
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
        (g4_map::OPTION_IMAGE_1, Area::OptionBytes(&WORDS)),
        (g4_map::OPTION_IMAGE_2, Area::OptionBytes(&WORDS)),
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

/// FLASH_CR of a G4 with LOCK and OPTLOCK set and nothing started: relocks flash programming
/// and the option registers without committing, loading, programming or erasing anything.
pub fn relocked_g4_cr(cr: u32) -> u32 {
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
    use crate::chip::BankMode;
    use crate::gdb::guard::{
        check_main_flash_op, AliasAccess, FlashOp, FlashRefusalReason, GuardSession,
    };

    fn g4(kb: u32, mode: BankMode) -> MainFlash {
        main_flash(&G4Layout::new(kb, mode).unwrap())
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
        assert_eq!(re.area_at(0x1FFF_7800), Area::OptionBytes(&WORDS));
        assert_eq!(re.area_at(0x1FFF_F800), Area::OptionBytes(&WORDS));
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
            FlashRegister::Optr => Some(G4_OPTR),
            FlashRegister::Cr => Some(G4_CR_UNLOCKED),
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
                Err(RawRefusal::Rdp2 {
                    register: guarded(FlashRegister::Optr),
                    value: 0xFFEF_F8CC
                })
            );
            assert_eq!(
                g4_raw(0x4002_2020, &0xFFEF_F8CCu32.to_le_bytes(), policy),
                Err(RawRefusal::Rdp2 {
                    register: guarded(FlashRegister::Optr),
                    value: 0xFFEF_F8CC
                })
            );
            assert_eq!(
                check_raw_write_g4(0x4002_2016, &[0x02], policy, |r| match r {
                    FlashRegister::Optr => Some(0xFFEF_F8CC),
                    _ => Some(0),
                }),
                Err(RawRefusal::CommitRdp2 {
                    control: guarded(FlashRegister::Cr),
                    starts: COMMIT_BITS,
                    holder: guarded(FlashRegister::Optr),
                    value: 0xFFEF_F8CC
                }),
                "OPTSTRT with RDP = 0xCC staged"
            );
            assert!(matches!(
                g4_raw(0x1FFF_F800, &[0], policy),
                Err(RawRefusal::ReadOnly {
                    area: Area::OptionBytes(words),
                    ..
                }) if words == &WORDS
            ));
        }
        for (addr, register) in [
            (0x4002_200C, FlashRegister::Optkeyr),
            (0x4002_2014, FlashRegister::Cr),
            (0x4002_2020, FlashRegister::Optr),
            (0x4002_2074, FlashRegister::Sec2r),
        ] {
            assert_eq!(
                g4_raw(addr, &[0; 4], RawOptionWrites::Deny),
                Err(RawRefusal::OptionRegister {
                    register: guarded(register),
                    words: &WORDS
                })
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
        assert!(s.lock_left_clear(&LOCK_REGISTERS[0], 0));
        assert!(!s.lock_left_clear(&LOCK_REGISTERS[0], 0xC000_0000));
    }

    /// The bit-band alias word of bit `bit` of the FLASH register at `register`.
    fn alias(register: FlashRegister, bit: u32) -> u32 {
        bitband::PERIPHERALS.alias_of(register.address() + bit / 8, (bit % 8) as u8)
    }

    #[test]
    fn g4_bit_band_writes_are_judged_as_register_writes() {
        let optr_bit0 = alias(FlashRegister::Optr, 0);
        assert_eq!(optr_bit0, 0x4244_0400);
        // Denied by default, like the register.
        let r = g4_raw(optr_bit0, &[1, 0, 0, 0], RawOptionWrites::Deny).unwrap_err();
        assert_eq!(
            r,
            RawRefusal::ThroughBitBand {
                alias: optr_bit0,
                register: guarded(FlashRegister::Optr),
                bit: 0,
                cause: Box::new(RawRefusal::OptionRegister {
                    register: guarded(FlashRegister::Optr),
                    words: &WORDS
                }),
            }
        );
        assert!(
            r.to_string().contains("bit-band alias of FLASH_OPTR bit 0"),
            "{r}"
        );
        // Allowed: 0xAA -> 0xCC one bit per alias word, in one packet; the last bit is refused.
        let mut packet = Vec::new();
        let first = alias(FlashRegister::Optr, 1);
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
        assert_eq!(
            *cause,
            RawRefusal::Rdp2 {
                register: guarded(FlashRegister::Optr),
                value: 0xFFEF_F8CC
            }
        );
        assert_eq!(bit, 6, "refused at the bit that completes 0xCC");
        // The same bits stopping short of 0xCC pass, naming the register they reach.
        let ok = g4_raw(first, &packet[4..20], RawOptionWrites::Allow).unwrap();
        assert_eq!(ok.option_registers, vec![guarded(FlashRegister::Optr)]);
        // OPTSTRT through the alias while FLASH_OPTR holds RDP 0xCC.
        let optstrt = alias(FlashRegister::Cr, 17);
        let r = check_raw_write_g4(optstrt, &[1], RawOptionWrites::Allow, |r| match r {
            FlashRegister::Optr => Some(0xFFEF_F8CC),
            _ => Some(0),
        })
        .unwrap_err();
        assert!(
            matches!(&r, RawRefusal::ThroughBitBand { cause, .. } if **cause == RawRefusal::CommitRdp2 {
                control: guarded(FlashRegister::Cr),
                starts: COMMIT_BITS,
                holder: guarded(FlashRegister::Optr),
                value: 0xFFEF_F8CC
            }),
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
        let keyr = check_raw_write_g4(
            alias(FlashRegister::Keyr, 0),
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
    }
}
