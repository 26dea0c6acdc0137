//! The write guard's rules on STM32H74x/H75x (reference §9): the main flash in the windows of the
//! mapping in force (the hole of the 1 MB parts refused), read-only system memory (bootloader,
//! unique ID, flash size), and the FLASH registers that unlock, stage or start an option change
//! or program and erase flash. RDP is FLASH_OPTSR_PRG bits 15:8; FLASH_OPTCR.OPTSTART programs
//! what the `*_PRG` registers hold. The Cortex-M7 has no bit-band alias, and the H74x/H75x no
//! OTP area; no other bus reaches the FLASH registers as far as the reference says.

use crate::chip::h7::fields::OptsrField;
use crate::chip::h7::registers::{
    FlashRegister, FLASH_CR_LOCK, FLASH_CR_PSIZE, FLASH_OPTCR_OPTCHANGEERRIE,
    FLASH_OPTCR_OPTLOCK, FLASH_OPTCR_OPTSTART,
};
use crate::chip::h7::H7Layout;
use crate::chip::rdp::RDP_LEVEL_2;
use crate::gdb::guard::{
    merged_register, overlap, touches, Area, EraseUnit, GuardRules, GuardWords, GuardedRegister,
    LockRegister, MainFlash, RawOptionWrites, RawRefusal, RawWriteOk, PERIPHERALS,
};

/// The bit of FLASH_OPTCR that starts an option change, in words.
pub const COMMIT_BITS: &str = "OPTSTART";

/// An H7 FLASH register as the guard names it.
pub fn guarded(register: FlashRegister) -> GuardedRegister {
    GuardedRegister {
        name: register.name(),
        address: register.address(),
    }
}

/// The H7's words in refusals.
pub static WORDS: GuardWords = GuardWords {
    option_bytes: "the option bytes (RDP, SWAP_BANK_OPT, WPSN, PCROP, boot addresses…), changed only through the *_PRG registers and OPTSTART",
    engine_commands: "`monitor optbytes set FIELD=VALUE … [yes] [permanent-rdp2]` or `monitor swap on|off` (they unlock, check, verify and relock)",
    guarded: "the FLASH option and programming registers (FLASH_OPTKEYR, FLASH_OPTCR, FLASH_OPTCCR, the *_PRG registers, FLASH_KEYR1/2, FLASH_CR1/2)",
    program_flash_too: true,
    register_list: "FLASH_OPTKEYR, FLASH_OPTCR, FLASH_OPTCCR, FLASH_OPTSR_PRG, the PRAR/SCAR/WPSN/BOOT _PRG registers, FLASH_KEYR1/2 and FLASH_CR1/2",
    change_hint: "`monitor optbytes set …` or `monitor swap …`, flash with `load`",
    rdp_register: "FLASH_OPTSR_PRG",
};

fn relocked_optcr(optcr: u32) -> u32 {
    (optcr & FLASH_OPTCR_OPTCHANGEERRIE) | FLASH_OPTCR_OPTLOCK
}

fn relocked_cr(cr: u32) -> u32 {
    (cr & FLASH_CR_PSIZE) | FLASH_CR_LOCK
}

/// FLASH_OPTCR (OPTLOCK), FLASH_CR1 and FLASH_CR2 (LOCK, bit 0), and how to set them again
/// without starting, selecting or programming anything.
pub static LOCK_REGISTERS: [LockRegister; 3] = [
    LockRegister {
        register: GuardedRegister {
            name: "FLASH_OPTCR",
            address: FlashRegister::Optcr.address(),
        },
        locks: &[(FLASH_OPTCR_OPTLOCK, "OPTLOCK")],
        relocked: relocked_optcr,
    },
    LockRegister {
        register: GuardedRegister {
            name: "FLASH_CR1",
            address: FlashRegister::Cr1.address(),
        },
        locks: &[(FLASH_CR_LOCK, "LOCK")],
        relocked: relocked_cr,
    },
    LockRegister {
        register: GuardedRegister {
            name: "FLASH_CR2",
            address: FlashRegister::Cr2.address(),
        },
        locks: &[(FLASH_CR_LOCK, "LOCK")],
        relocked: relocked_cr,
    },
];

/// The H7's rules.
pub struct H7Rules;

/// The rules object the H7's GDB family hands out.
pub static RULES: H7Rules = H7Rules;

impl GuardRules for H7Rules {
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
        check_raw_write_h7(start, data, policy, |r: FlashRegister| read(r.address()))
    }

    fn lock_registers(&self) -> &'static [LockRegister] {
        &LOCK_REGISTERS
    }

    /// FLASH_OPTSR_CUR.OPT_BUSY: an option change raw writes started ends before relocking.
    fn busy(&self) -> (GuardedRegister, u32) {
        (guarded(FlashRegister::OptsrCur), OptsrField::OptBusy.mask())
    }

    fn words(&self) -> &'static GuardWords {
        &WORDS
    }
}

/// The main flash of the mapping in force: one region per bank, sectors as erase units.
pub fn main_flash(layout: &H7Layout) -> MainFlash {
    MainFlash {
        rules: &RULES,
        regions: layout.regions(),
        erase_units: layout
            .sectors()
            .iter()
            .map(|s| EraseUnit {
                address: s.address,
                size: s.size,
            })
            .collect(),
        summary: layout.summary(),
    }
}

/// The STM32H74x/H75x memory map as the guard needs it (reference §9; CMSIS-H7).
pub mod h7_map {
    /// Both flash windows of the 2 MB parts.
    pub const FLASH_WINDOW: (u32, u32) = (0x0800_0000, 0x0820_0000);
    /// System memory: the ST bootloader, the unique ID and the flash size register (read only).
    pub const SYSTEM_MEMORY: (u32, u32) = (0x1FF0_0000, 0x1FF2_0000);
}

/// The area at `addr` of an H7 whose live flash is `flash`.
pub fn area_at(addr: u32, flash: &MainFlash) -> Area {
    let in_span = |(lo, hi): (u32, u32)| (lo..hi).contains(&addr);
    if flash.region_at(addr).is_some() {
        Area::Flash
    } else if in_span(h7_map::FLASH_WINDOW) {
        let first = flash.regions.first().map_or(0, |r| r.start);
        let last = flash.regions.last().map_or(0, |r| r.end);
        if addr > first && addr < last {
            Area::FlashGap
        } else {
            Area::Other
        }
    } else if in_span(h7_map::SYSTEM_MEMORY) {
        Area::SystemMemory
    } else if in_span(PERIPHERALS) {
        Area::Peripherals
    } else {
        Area::Other
    }
}

/// The FLASH registers raw writes reach only when allowed: they unlock (OPTKEYR, KEYRx), start
/// an option change or a mass erase (OPTCR), clear its error (OPTCCR), stage option bytes (the
/// `*_PRG` registers), or program and erase flash (CRx).
pub const GUARDED_REGISTERS: [FlashRegister; 15] = [
    FlashRegister::Optkeyr,
    FlashRegister::Optcr,
    FlashRegister::OptsrPrg,
    FlashRegister::Optccr,
    FlashRegister::PrarPrg1,
    FlashRegister::ScarPrg1,
    FlashRegister::WpsnPrg1,
    FlashRegister::BootPrg,
    FlashRegister::PrarPrg2,
    FlashRegister::ScarPrg2,
    FlashRegister::WpsnPrg2,
    FlashRegister::Keyr1,
    FlashRegister::Cr1,
    FlashRegister::Keyr2,
    FlashRegister::Cr2,
];

fn rdp(optsr: u32) -> u8 {
    OptsrField::Rdp.get(optsr) as u8
}

/// SECURITY in `optsr` turned on where FLASH_OPTSR_CUR has it off: treated as permanent
/// (chip::h7::dangers), so never through raw writes.
fn turns_security_on(optsr: u32, current: u32) -> bool {
    let security = OptsrField::Security;
    security.get(optsr) == 1 && security.get(current) == 0
}

/// What [`RawRefusal::Permanent`] says SECURITY = 1 sets.
const SECURITY_WORDS: &str = "FLASH_OPTSR.SECURITY = 1 (secure access mode)";

/// Judges a plain memory write of `data` at `start` on an H7. `read` reads a FLASH register; it
/// is called only for FLASH_OPTSR_PRG, FLASH_OPTSR_CUR and FLASH_OPTCR when the write touches
/// FLASH_OPTSR_PRG or FLASH_OPTCR.
pub fn check_raw_write_h7(
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
    let touched: Vec<FlashRegister> = GUARDED_REGISTERS
        .into_iter()
        .filter(|r| touches(s, e, r.address()))
        .collect();
    let (prg, optcr) = (FlashRegister::OptsrPrg, FlashRegister::Optcr);
    let prg_after = if touched.contains(&prg) {
        let current = read(prg).ok_or(RawRefusal::Unreadable(guarded(prg)))?;
        let after = merged_register(prg.address(), current, start, data);
        if rdp(after) == RDP_LEVEL_2 {
            return Err(RawRefusal::Rdp2 {
                register: guarded(prg),
                value: after,
            });
        }
        let cur = FlashRegister::OptsrCur;
        let in_force = read(cur).ok_or(RawRefusal::Unreadable(guarded(cur)))?;
        if turns_security_on(after, in_force) {
            return Err(RawRefusal::Permanent {
                register: guarded(prg),
                value: after,
                what: SECURITY_WORDS,
            });
        }
        Some(after)
    } else {
        None
    };
    let optcr_after = if touched.contains(&optcr) {
        let current = read(optcr).ok_or(RawRefusal::Unreadable(guarded(optcr)))?;
        let after = merged_register(optcr.address(), current, start, data);
        if after & FLASH_OPTCR_OPTSTART != 0 {
            // What OPTSTART programs is FLASH_OPTSR_PRG as it is now.
            let staged = match prg_after {
                Some(v) => v,
                None => read(prg).ok_or(RawRefusal::Unreadable(guarded(prg)))?,
            };
            if rdp(staged) == RDP_LEVEL_2 {
                return Err(RawRefusal::CommitRdp2 {
                    control: guarded(optcr),
                    starts: COMMIT_BITS,
                    holder: guarded(prg),
                    value: staged,
                });
            }
            let cur = FlashRegister::OptsrCur;
            let in_force = read(cur).ok_or(RawRefusal::Unreadable(guarded(cur)))?;
            if turns_security_on(staged, in_force) {
                return Err(RawRefusal::Permanent {
                    register: guarded(optcr),
                    value: after,
                    what: SECURITY_WORDS,
                });
            }
        }
        Some(after)
    } else {
        None
    };
    if let Some(addr) = span(h7_map::FLASH_WINDOW) {
        return Err(RawRefusal::Flash { addr });
    }
    if let Some(addr) = span(h7_map::SYSTEM_MEMORY) {
        return Err(RawRefusal::ReadOnly {
            addr,
            area: Area::SystemMemory,
        });
    }
    if let (RawOptionWrites::Deny, Some(&first)) = (policy, touched.first()) {
        return Err(RawRefusal::OptionRegister {
            register: guarded(first),
            words: &WORDS,
        });
    }
    Ok(RawWriteOk {
        option_registers: touched.iter().copied().map(guarded).collect(),
        control_after: optcr_after.map(|v| (guarded(optcr), v)),
        starts_programming: optcr_after.is_some_and(|v| v & FLASH_OPTCR_OPTSTART != 0),
        unlocks_flash: touched
            .iter()
            .any(|r| matches!(r, FlashRegister::Keyr1 | FlashRegister::Keyr2)),
        alias_accesses: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::h7::BankSwap;
    use crate::gdb::guard::{check_main_flash_op, FlashOp};

    fn read_factory(r: FlashRegister) -> Option<u32> {
        match r {
            FlashRegister::OptsrPrg | FlashRegister::OptsrCur => Some(0x0006_AAD0),
            FlashRegister::Optcr => Some(FLASH_OPTCR_OPTLOCK),
            _ => Some(0),
        }
    }

    #[test]
    fn areas_follow_the_mapping_in_force() {
        let half = main_flash(&H7Layout::new(1024, BankSwap::Swapped).unwrap());
        assert_eq!(half.area_at(0x0807_FFFF), Area::Flash);
        assert_eq!(half.area_at(0x0808_0000), Area::FlashGap);
        assert_eq!(half.area_at(0x0810_0000), Area::Flash);
        assert_eq!(half.area_at(0x0818_0000), Area::Other);
        assert_eq!(half.area_at(0x1FF1_E880), Area::SystemMemory);
        assert_eq!(half.area_at(0x5200_2020), Area::Peripherals);
        assert_eq!(half.area_at(0x0000_0100), Area::Other, "ITCM RAM");
        assert_eq!(half.erase_units.len(), 8);
        let full = main_flash(&H7Layout::new(2048, BankSwap::NotSwapped).unwrap());
        assert!(check_main_flash_op(FlashOp::Erase, 0x0810_0000, 0x2_0000, Some(&full)).is_ok());
        assert!(check_main_flash_op(FlashOp::Write, 0x1FF0_0000, 4, Some(&full)).is_err());
    }

    #[test]
    fn raw_writes_into_the_option_registers() {
        let deny = RawOptionWrites::Deny;
        let allow = RawOptionWrites::Allow;
        let prg = FlashRegister::OptsrPrg.address();
        let e = check_raw_write_h7(prg, &0x0006_CCD0u32.to_le_bytes(), allow, read_factory)
            .unwrap_err();
        assert!(matches!(e, RawRefusal::Rdp2 { .. }), "{e:?}");
        let e = check_raw_write_h7(prg + 1, &[0xCC], allow, read_factory).unwrap_err();
        assert!(matches!(e, RawRefusal::Rdp2 { .. }), "a byte write too: {e:?}");
        let e = check_raw_write_h7(prg, &0x8006_AAD0u32.to_le_bytes(), deny, read_factory)
            .unwrap_err();
        assert!(e.to_string().contains("monitor swap on|off"), "{e}");
        let ok = check_raw_write_h7(prg, &0x8006_AAD0u32.to_le_bytes(), allow, read_factory)
            .unwrap();
        assert_eq!(ok.option_registers.len(), 1);
        let staged_rdp2 = |r: FlashRegister| match r {
            FlashRegister::OptsrPrg => Some(0x0006_CCD0),
            _ => Some(0),
        };
        let optcr = FlashRegister::Optcr.address();
        let e = check_raw_write_h7(optcr, &2u32.to_le_bytes(), allow, staged_rdp2).unwrap_err();
        assert!(matches!(e, RawRefusal::CommitRdp2 { .. }), "{e:?}");
        let ok = check_raw_write_h7(optcr, &2u32.to_le_bytes(), allow, read_factory).unwrap();
        assert!(ok.starts_option_programming());
        // SECURITY = 1 (treated as permanent) neither staged nor started.
        let e = check_raw_write_h7(prg, &0x0026_AAD0u32.to_le_bytes(), allow, read_factory)
            .unwrap_err();
        assert!(matches!(e, RawRefusal::Permanent { .. }), "{e:?}");
        assert!(e.to_string().contains("SECURITY = 1"), "{e}");
        let staged_security = |r: FlashRegister| match r {
            FlashRegister::OptsrPrg => Some(0x0026_AAD0),
            _ => Some(0),
        };
        let e = check_raw_write_h7(optcr, &2u32.to_le_bytes(), allow, staged_security)
            .unwrap_err();
        assert!(matches!(e, RawRefusal::Permanent { .. }), "{e:?}");
        let keyr2 = FlashRegister::Keyr2.address();
        assert!(check_raw_write_h7(keyr2, &[0; 4], deny, read_factory).is_err());
        assert!(check_raw_write_h7(keyr2, &[0; 4], allow, read_factory).unwrap().unlocks_flash);
        let e = check_raw_write_h7(0x0810_0000, &[0], allow, read_factory).unwrap_err();
        assert!(matches!(e, RawRefusal::Flash { .. }), "{e:?}");
        assert!(check_raw_write_h7(0x2400_0000, &[0; 8], deny, read_factory).is_ok());
        assert!(check_raw_write_h7(0x1FF1_E880, &[0], allow, read_factory).is_err());
    }
}
