//! The write guard's rules on STM32F76x/F77x and F74x/F75x (RM0410 §2.2, §3): the main flash on
//! the AXI bus and through ITCM, system memory with OTP on both buses, the stored option bytes,
//! and FLASH_OPTKEYR/FLASH_OPTCR/FLASH_OPTCR1 as the registers raw writes reach only when
//! allowed. RDP sits in FLASH_OPTCR bits 15:8, and OPTSTRT is in the same register: a write
//! that leaves RDP = 0xCC there is refused whatever it starts.

use crate::chip::f7::geometry::{FlashLayout, FLASH_AXIM_BASE, FLASH_ITCM_BASE};
use crate::chip::f7::registers::{
    FLASH_CR, FLASH_CR_LOCK, FLASH_CR_STRT, FLASH_KEYR, FLASH_OPTCR, FLASH_OPTCR1,
    FLASH_OPTCR_OPTLOCK, FLASH_OPTCR_OPTSTRT, FLASH_OPTKEYR, FLASH_SR, FLASH_SR_BSY,
    OPTION_BYTES_BASE, OTP_BASE, OTP_END, SYSTEM_MEMORY_BASE, SYSTEM_MEMORY_END,
    SYSTEM_MEMORY_ITCM_BASE,
};
use crate::chip::rdp::RDP_LEVEL_2;
use crate::gdb::guard::{
    merged_register, overlap, touches, Area, EraseUnit, GuardRules, GuardWords, GuardedRegister,
    LockRegister, MainFlash, RawOptionWrites, RawRefusal, RawWriteOk, PERIPHERALS,
};

/// The largest STM32F7 flash (2 MB): how far both flash aliases reach, whatever the part.
pub const FLASH_MAX_BYTES: u32 = 2 * 1024 * 1024;
/// The block the stored option bytes live in (the memory map lists 4 KB; RM0410 uses 32 bytes).
const OPTION_BYTES_BLOCK: u32 = 0x1000;

/// FLASH_OPTKEYR: the option unlock keys.
pub const OPTKEYR: GuardedRegister = GuardedRegister {
    name: "FLASH_OPTKEYR",
    address: FLASH_OPTKEYR,
};
/// FLASH_OPTCR: the user option bytes, OPTLOCK and OPTSTRT.
pub const OPTCR: GuardedRegister = GuardedRegister {
    name: "FLASH_OPTCR",
    address: FLASH_OPTCR,
};
/// FLASH_OPTCR1: the boot addresses.
pub const OPTCR1: GuardedRegister = GuardedRegister {
    name: "FLASH_OPTCR1",
    address: FLASH_OPTCR1,
};
/// The FLASH registers that unlock or hold the option bytes, in address order.
pub const OPTION_REGISTERS: [GuardedRegister; 3] = [OPTKEYR, OPTCR, OPTCR1];

/// The F7's words in refusals.
pub static WORDS: GuardWords = GuardWords {
    option_bytes: "the stored option bytes (RDP, nDBANK, nWRP, boot addresses…), changed only through FLASH_OPTCR",
    engine_commands: "`monitor optbytes set FIELD=VALUE … [yes] [permanent-rdp2]` or `monitor ndbank true|false` (they unlock, check, verify and relock)",
    guarded: "the FLASH option registers",
    program_flash_too: false,
    register_list: "FLASH_OPTKEYR, FLASH_OPTCR and FLASH_OPTCR1",
    change_hint: "`monitor optbytes set …` or `monitor ndbank …`",
    rdp_register: "FLASH_OPTCR",
};

/// FLASH_OPTCR.OPTLOCK and FLASH_CR.LOCK, and how to set each again without starting anything.
pub static LOCK_REGISTERS: [LockRegister; 2] = [
    LockRegister {
        register: OPTCR,
        locks: &[(FLASH_OPTCR_OPTLOCK, "OPTLOCK")],
        relocked: relocked_optcr,
    },
    LockRegister {
        register: GuardedRegister {
            name: "FLASH_CR",
            address: FLASH_CR,
        },
        locks: &[(FLASH_CR_LOCK, "LOCK")],
        relocked: relocked_f7_cr,
    },
];

/// The F7's rules.
pub struct F7Rules;

/// The rules object the F7's GDB family hands out.
pub static RULES: F7Rules = F7Rules;

impl GuardRules for F7Rules {
    fn area_at(&self, addr: u32, flash: &MainFlash) -> Area {
        area_at(addr, flash.span_bytes())
    }

    fn flash_alias(&self) -> Option<u32> {
        Some(FLASH_ITCM_BASE)
    }

    fn check_raw_write(
        &self,
        start: u32,
        data: &[u8],
        policy: RawOptionWrites,
        read: &mut dyn FnMut(u32) -> Option<u32>,
    ) -> Result<RawWriteOk, RawRefusal> {
        check_raw_write(start, data, policy, || read(FLASH_OPTCR))
    }

    fn lock_registers(&self) -> &'static [LockRegister] {
        &LOCK_REGISTERS
    }

    fn busy(&self) -> (GuardedRegister, u32) {
        let sr = GuardedRegister {
            name: "FLASH_SR",
            address: FLASH_SR,
        };
        (sr, FLASH_SR_BSY)
    }

    fn words(&self) -> &'static GuardWords {
        &WORDS
    }
}

/// The main flash of the live sector layout: the AXI bus range, sectors as erase units.
pub fn main_flash(layout: &FlashLayout) -> MainFlash {
    MainFlash {
        rules: &RULES,
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
        summary: layout.summary(),
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
        Area::OptionBytes(&WORDS)
    } else if in_span(PERIPHERALS) {
        Area::Peripherals
    } else {
        Area::Other
    }
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

    let touched: Vec<GuardedRegister> = OPTION_REGISTERS
        .into_iter()
        .filter(|r| touches(s, e, r.address))
        .collect();
    let optcr_after = if touched.contains(&OPTCR) {
        let current = current_optcr().ok_or(RawRefusal::Unreadable(OPTCR))?;
        let after = merged_register(FLASH_OPTCR, current, start, data);
        if (after >> 8) as u8 == RDP_LEVEL_2 {
            return Err(RawRefusal::Rdp2 {
                register: OPTCR,
                value: after,
            });
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
            Area::OptionBytes(&WORDS),
        ),
    ] {
        if let Some(addr) = overlap(s, e, lo, u64::from(lo) + len) {
            return Err(RawRefusal::ReadOnly { addr, area });
        }
    }

    if let (RawOptionWrites::Deny, Some(&first)) = (policy, touched.first()) {
        return Err(RawRefusal::OptionRegister {
            register: first,
            words: &WORDS,
        });
    }
    Ok(RawWriteOk {
        option_registers: touched,
        control_after: optcr_after.map(|v| (OPTCR, v)),
        starts_programming: optcr_after.is_some_and(|v| v & FLASH_OPTCR_OPTSTRT != 0),
        unlocks_flash: touches(s, e, FLASH_KEYR),
        alias_accesses: None,
    })
}

/// FLASH_CR of an F7 with LOCK set and nothing started (STRT clear): relocks flash programming.
pub fn relocked_f7_cr(cr: u32) -> u32 {
    (cr & !FLASH_CR_STRT) | FLASH_CR_LOCK
}

/// FLASH_OPTCR with OPTLOCK set and OPTSTRT clear: relocks without committing anything.
pub fn relocked_optcr(optcr: u32) -> u32 {
    (optcr & !FLASH_OPTCR_OPTSTRT) | FLASH_OPTCR_OPTLOCK
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::notation::hex32;
    use crate::chip::BankMode;
    use crate::gdb::guard::{
        check_main_flash_op, FlashOp, FlashRange, FlashRefusal, FlashRefusalReason, GuardSession,
    };

    /// Judges a flash packet against the live F7 layout (`None`: unknown).
    fn check_flash_op(
        op: FlashOp,
        start: u32,
        len: u64,
        layout: Option<&FlashLayout>,
    ) -> Result<FlashRange, FlashRefusal> {
        check_main_flash_op(op, start, len, layout.map(main_flash).as_ref())
    }

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
        assert_eq!(area_at(0x1FFF_0000, two_mb), Area::OptionBytes(&WORDS));
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
                FlashRefusalReason::NotFlash(Area::OptionBytes(&WORDS)),
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
                area: Area::OptionBytes(&WORDS)
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
            Err(RawRefusal::OptionRegister {
                register: OPTKEYR,
                words: &WORDS
            })
        );
        assert_eq!(
            raw(0x4002_3C18, &[0; 4], RawOptionWrites::Deny),
            Err(RawRefusal::OptionRegister {
                register: OPTCR1,
                words: &WORDS
            })
        );
        assert_eq!(
            raw(
                0x4002_3C14,
                &0xDFFF_AAFCu32.to_le_bytes(),
                RawOptionWrites::Deny
            ),
            Err(RawRefusal::OptionRegister {
                register: OPTCR,
                words: &WORDS
            })
        );
        // A block over the whole FLASH register file touches all three.
        let ok = raw(0x4002_3C00, &[0; 0x20], RawOptionWrites::Allow).unwrap();
        assert_eq!(ok.option_registers, OPTION_REGISTERS.to_vec());
        assert_eq!(ok.control_after, Some((OPTCR, 0)));
        let text = RawRefusal::OptionRegister {
            register: OPTKEYR,
            words: &WORDS,
        }
        .to_string();
        assert!(
            text.contains("monitor optbytes set")
                && text.contains("monitor ndbank")
                && text.contains("monitor raw-option-writes allow"),
            "{text}"
        );
        let ok = raw(0x4002_3C08, &keys, RawOptionWrites::Allow).unwrap();
        assert_eq!(ok.option_registers, vec![OPTKEYR]);
        assert!(!ok.starts_option_programming());
        let ok = raw(
            0x4002_3C14,
            &0xDFFF_AAFEu32.to_le_bytes(),
            RawOptionWrites::Allow,
        )
        .unwrap();
        assert_eq!(ok.control_after, Some((OPTCR, 0xDFFF_AAFE)));
        assert!(ok.starts_option_programming());
    }

    #[test]
    fn rdp_level_2_is_refused_always_whatever_the_access_size() {
        for policy in [RawOptionWrites::Deny, RawOptionWrites::Allow] {
            // The word writes of the published sequence.
            assert_eq!(
                raw(0x4002_3C14, &0xFFFF_CCFCu32.to_le_bytes(), policy),
                Err(RawRefusal::Rdp2 {
                    register: OPTCR,
                    value: 0xFFFF_CCFC
                })
            );
            assert_eq!(
                raw(0x4002_3C14, &0xFFFF_CCFEu32.to_le_bytes(), policy),
                Err(RawRefusal::Rdp2 {
                    register: OPTCR,
                    value: 0xFFFF_CCFE
                })
            );
            // RDP is byte 0x4002_3C15: a byte write, and a halfword write over bytes 0x14-0x15.
            assert_eq!(
                raw(0x4002_3C15, &[0xCC], policy),
                Err(RawRefusal::Rdp2 {
                    register: OPTCR,
                    value: 0xFFFF_CCFC
                })
            );
            assert_eq!(
                raw(0x4002_3C14, &[0xFE, 0xCC], policy),
                Err(RawRefusal::Rdp2 {
                    register: OPTCR,
                    value: 0xFFFF_CCFE
                })
            );
            // OPTSTRT in a later write while the register already holds RDP = 0xCC.
            assert_eq!(
                check_raw_write(0x4002_3C14, &[0xFE], policy, || Some(0xFFFF_CCFC)),
                Err(RawRefusal::Rdp2 {
                    register: OPTCR,
                    value: 0xFFFF_CCFE
                })
            );
            // A block that covers OPTCR among other registers.
            let mut block = [0u8; 0x10];
            block[0x0D] = 0xCC;
            assert_eq!(
                raw(0x4002_3C08, &block, policy),
                Err(RawRefusal::Rdp2 {
                    register: OPTCR,
                    value: 0x0000_CC00
                })
            );
            // Unreadable register: refused rather than guessed.
            assert_eq!(
                check_raw_write(0x4002_3C14, &[0xFE], policy, || None),
                Err(RawRefusal::Unreadable(OPTCR))
            );
        }
        // Other RDP bytes pass when allowed (level 1 is reversible).
        assert!(raw(0x4002_3C15, &[0x55], RawOptionWrites::Allow).is_ok());
        let text = RawRefusal::Rdp2 {
            register: OPTCR,
            value: 0xFFFF_CCFE,
        }
        .to_string();
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
        assert_eq!(relocked_f7_cr(0x0001_0002), 0x8000_0002);
    }

    #[test]
    fn the_session_remembers_option_writes() {
        let optcr = &LOCK_REGISTERS[0];
        let mut s = GuardSession::default();
        assert_eq!(s.policy, RawOptionWrites::Deny);
        assert!(
            !s.lock_left_clear(optcr, UNLOCKED_OPTCR),
            "nothing written by this session"
        );
        s.note_option_write();
        assert!(s.lock_left_clear(optcr, UNLOCKED_OPTCR));
        assert!(!s.lock_left_clear(optcr, FACTORY_OPTCR));
        s.relocked();
        assert!(!s.wrote_option_registers());
    }
}
