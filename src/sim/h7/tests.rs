//! Tests of the simulated H743 through its memory map, as the core and the debugger see it.

use std::time::{Duration, Instant};

use sim_core::Initiator::{Cpu, Debug};

use super::*;

const FLASH_REGS: u32 = 0x5200_2000;
const KEYR1: u32 = FLASH_REGS + 0x04;
const OPTKEYR: u32 = FLASH_REGS + 0x08;
const CR1: u32 = FLASH_REGS + 0x0C;
const OPTCR: u32 = FLASH_REGS + 0x18;
const OPTSR_CUR: u32 = FLASH_REGS + 0x1C;
const OPTSR_PRG: u32 = FLASH_REGS + 0x20;
const KEYR2: u32 = FLASH_REGS + 0x104;
const CR2: u32 = FLASH_REGS + 0x10C;

fn h743() -> (H7Model, Instant) {
    (H7Model::factory(2048).unwrap(), Instant::now())
}

fn unlock(m: &mut H7Model, keyr: u32, now: Instant) {
    m.write(keyr, 0x4567_0123, 4, Debug, now).unwrap();
    m.write(keyr, 0xCDEF_89AB, 4, Debug, now).unwrap();
}

fn program(m: &mut H7Model, cr: u32, address: u32, value: u32, now: Instant) {
    m.write(cr, 1 << 1, 4, Debug, now).unwrap();
    for i in 0..8 {
        m.write(address + 4 * i, value, 4, Debug, now).unwrap();
    }
    m.write(cr, 0, 4, Debug, now).unwrap();
}

#[test]
fn memory_map_of_the_h743() {
    let (mut m, now) = h743();
    for (ram, size) in [
        (0x0000_0000, 64 * 1024),
        (0x2000_0000, 128 * 1024),
        (0x2400_0000, 512 * 1024),
        (0x3000_0000, 288 * 1024),
        (0x3800_0000, 64 * 1024),
    ] {
        m.write(ram, 0xC0DE_0001, 4, Debug, now).unwrap();
        m.write(ram + size - 4, 0xC0DE_0002, 4, Cpu, now).unwrap();
        assert_eq!(m.read(ram, 4, Cpu, now), Ok(0xC0DE_0001));
        assert_eq!(m.read(ram + size - 2, 2, Debug, now), Ok(0xC0DE));
        assert_eq!(
            m.read(ram + size, 4, Debug, now),
            Err(BusError {
                address: ram + size
            }),
            "{ram:#x}: nothing beyond"
        );
    }
    // SRAM1 is also seen through the D2 alias.
    m.write(0x3000_0010, 0xA11A_5000, 4, Cpu, now).unwrap();
    assert_eq!(m.read(0x1000_0010, 4, Cpu, now), Ok(0xA11A_5000));
    // Identity: DEV_ID 0x450 in the CPU view, the flash size (u16, KB).
    assert_eq!(
        m.read(0x5C00_1000, 4, Cpu, now).map(|v| v & 0xFFF),
        Ok(0x450)
    );
    assert_eq!(m.read(0x1FF1_E880, 2, Debug, now), Ok(2048));
    let small = H7Model::factory(1024).unwrap();
    let mut small = small;
    assert_eq!(small.read(0x1FF1_E880, 2, Debug, now), Ok(1024));
    // System memory reads (an idle loop) but is read only.
    assert_eq!(m.read(0x1FF0_0000, 2, Cpu, now), Ok(0xE7FE));
    assert!(m.write(0x1FF0_0000, 0, 4, Debug, now).is_err());
    assert!(m.write(0x1FF1_E880, 0, 2, Debug, now).is_err());
    // Other peripherals read as zero; the gaps answer a bus error.
    assert_eq!(m.read(0x5802_4400, 4, Debug, now), Ok(0));
    assert!(m.read(0x0820_0000, 4, Debug, now).is_err());
    assert!(m.read(0x6000_0000, 4, Debug, now).is_err());
    assert!(
        small.read(0x0808_0000, 4, Debug, now).is_err(),
        "the 1 MB part's hole"
    );
    assert!(H7Model::claims(0xDFFF_FFFF));
    assert!(!H7Model::claims(0xE000_E000));
}

#[test]
fn dbgmcu_in_both_views_and_through_ap2() {
    let (mut m, now) = h743();
    assert_eq!(m.read_system_debug(0xE00E_1000), Some(0x2003_0450));
    // probe-rs's sequence: memory interface on AP 2, read-modify-write DBGMCU_CR.
    assert_eq!(m.ap2_transfer(true, 0xFC, 0), Ap2Ack::Ok(ap2::IDR));
    m.ap2_transfer(false, 0x00, (1 << 31) | (1 << 4));
    m.ap2_transfer(false, 0x04, 0xE00E_1004);
    assert_eq!(m.ap2_transfer(true, 0x0C, 0), Ap2Ack::Ok(0));
    m.ap2_transfer(false, 0x04, 0xE00E_1004);
    assert_eq!(m.ap2_transfer(false, 0x0C, 0x0070_003F), Ap2Ack::Ok(0));
    // The CPU sees the same register at 0x5C00_1004.
    assert_eq!(m.read(0x5C00_1004, 4, Cpu, now), Ok(0x0070_003F));
    m.write(0x5C00_1004, 0x07, 1, Cpu, now).unwrap();
    assert_eq!(m.read_system_debug(0xE00E_1004), Some(0x0070_0007));
    assert_eq!(m.write_system_debug(0xE00E_1004, 0), Some(()));
    assert_eq!(m.read_system_debug(0xE010_0000), None);
    // A system reset keeps DBGMCU (the debugger's settings); a power-on clears it.
    m.write_system_debug(0xE00E_1004, 7);
    m.system_reset();
    assert_eq!(m.read_system_debug(0xE00E_1004), Some(7));
    m.power_on_reset();
    assert_eq!(m.read_system_debug(0xE00E_1004), Some(0));
    assert_eq!(
        m.ap2_transfer(true, 0x00, 0),
        Ap2Ack::Ok(0x42),
        "AP 2 reset too"
    );
}

#[test]
fn a_half_key_is_a_wrong_key() {
    let (mut m, now) = h743();
    // A 16-bit write reaches KEYR1 merged with lanes that read 0.
    assert!(m.write(KEYR1, 0x0123, 2, Debug, now).is_err());
    assert!(
        m.write(KEYR1, 0x4567_0123, 4, Debug, now).is_err(),
        "locked until reset"
    );
    m.system_reset();
    unlock(&mut m, KEYR1, now);
    assert_eq!(m.read(CR1, 4, Debug, now).map(|v| v & 1), Ok(0));
    // A byte write to CR1's second lane (SNB) keeps the first (PSIZE).
    m.write(CR1 + 1, 0x07, 1, Debug, now).unwrap();
    assert_eq!(m.read(CR1, 4, Debug, now), Ok(0x730));
}

#[test]
fn the_swap_through_the_map() {
    let (mut m, now) = h743();
    unlock(&mut m, KEYR1, now);
    unlock(&mut m, KEYR2, now);
    program(&mut m, CR1, 0x0800_0000, 0x0000_B1B1, now);
    program(&mut m, CR2, 0x0810_0000, 0x0000_B2B2, now);
    assert_eq!(m.generation(), 2);
    m.write(OPTKEYR, 0x0819_2A3B, 4, Debug, now).unwrap();
    m.write(OPTKEYR, 0x4C5D_6E7F, 4, Debug, now).unwrap();
    let cur = m.read(OPTSR_CUR, 4, Debug, now).unwrap();
    m.write(OPTSR_PRG, cur | (1 << 31), 4, Debug, now).unwrap();
    m.write(OPTCR, 1 << 1, 4, Debug, now).unwrap();
    let later = now + Duration::from_secs(1);
    assert_eq!(m.read(OPTSR_CUR, 4, Debug, later), Ok(cur | (1 << 31)));
    m.write(OPTCR, 1, 4, Debug, later).unwrap();
    assert_eq!(m.generation(), 3);
    assert_eq!(
        m.take_events(),
        [H7Event::OptionsProgrammed {
            swap_at_next_reset: true
        }]
    );
    assert_eq!(
        m.read(0x0800_0000, 4, Cpu, later),
        Ok(0x0000_B1B1),
        "not before a reset"
    );
    assert_eq!(m.read(OPTCR, 4, Debug, later).map(|v| v >> 31), Ok(0));
    m.system_reset();
    assert_eq!(m.read(OPTCR, 4, Debug, later).map(|v| v >> 31), Ok(1));
    assert_eq!(m.read(0x0800_0000, 4, Cpu, later), Ok(0x0000_B2B2));
    assert_eq!(m.read(0x0810_0000, 4, Debug, later), Ok(0x0000_B1B1));
    assert_eq!(m.read(0x0800_0000, 2, Debug, later), Ok(0xB2B2));
    // The boot address is BOOT_ADD0 = 0x0800_0000: the core now boots physical bank 2.
    assert_eq!(m.boot_address(), 0x0800_0000);
    // The store persists as JSON and a new chip (a power-on) comes up swapped.
    let json = serde_json::to_string(&m.store()).unwrap();
    let store: H7OptionStore = serde_json::from_str(&json).unwrap();
    let mut again = H7Model::new(2048, store).unwrap();
    again.flash.restore_array(m.flash.array());
    assert_eq!(again.read(0x0800_0000, 4, Cpu, later), Ok(0x0000_B2B2));
}

#[test]
fn rdp_level_1_blocks_only_the_debugger() {
    let (mut m, now) = h743();
    unlock(&mut m, KEYR1, now);
    program(&mut m, CR1, 0x0800_0000, 0x1234_5678, now);
    m.write(OPTKEYR, 0x0819_2A3B, 4, Debug, now).unwrap();
    m.write(OPTKEYR, 0x4C5D_6E7F, 4, Debug, now).unwrap();
    let cur = m.read(OPTSR_CUR, 4, Debug, now).unwrap();
    m.write(OPTSR_PRG, (cur & !0xFF00) | 0x5500, 4, Debug, now)
        .unwrap();
    m.write(OPTCR, 1 << 1, 4, Debug, now).unwrap();
    let later = now + Duration::from_secs(1);
    assert_eq!(
        m.read(OPTSR_CUR, 4, Debug, later).map(|v| v & 0xFF00),
        Ok(0x5500)
    );
    assert!(m.read(0x0800_0000, 4, Debug, later).is_err());
    assert_eq!(m.read(0x0800_0000, 4, Cpu, later), Ok(0x1234_5678));
    // RAM and registers stay reachable.
    assert!(m.read(0x2400_0000, 4, Debug, later).is_ok());
    assert!(!m.debug_port_closed());
}

#[test]
fn a_new_chip_needs_a_supported_size() {
    assert!(H7Model::factory(2048).is_ok());
    assert!(H7Model::factory(1024).is_ok());
    assert_eq!(
        H7Model::factory(128).err(),
        Some(UnsupportedFlashSize(128)),
        "the one-bank STM32H750 is not simulated"
    );
}

/// The engine's facts (`chip::h7`) drive the model, which was written without them: the
/// option sequence as data sets the swap, and after the reset every sector the facts name for
/// a logical address is the one the model erases. A misunderstanding on either side fails here.
mod facts_drive_the_model {
    use super::*;
    use crate::chip::h7::registers::{FLASH_CR_PG, FLASH_CR_START};
    use crate::chip::h7::{
        option_sequence, sequence, BankSwap, H7Layout, H7Options, OptionStep, OptsrField,
    };

    fn run_option_sequence(m: &mut H7Model, target: &H7Options, mut now: Instant) -> Instant {
        let current = H7Options {
            optsr: m.read(OPTSR_CUR, 4, Debug, now).unwrap()
                & !(OptsrField::OptBusy.mask() | OptsrField::OptChangeErr.mask()),
            ..H7Options::FACTORY
        };
        for step in option_sequence(false) {
            match step {
                OptionStep::Unlock {
                    register,
                    keys,
                    lock,
                } => {
                    if m.read(lock.register.address(), 4, Debug, now).unwrap() & lock.mask != 0 {
                        for k in keys {
                            m.write(register.address(), k, 4, Debug, now).unwrap();
                        }
                    }
                }
                OptionStep::WriteProgramRegisters => {
                    for (register, value) in current.registers_to_write(target) {
                        m.write(register.address(), value, 4, Debug, now).unwrap();
                    }
                }
                OptionStep::ClearChangeError(bit) | OptionStep::Start(bit) => {
                    m.write(bit.register.address(), bit.mask, 4, Debug, now)
                        .unwrap();
                }
                OptionStep::WaitWhileBusy { busy, timeout } => {
                    let deadline = now + timeout;
                    while m.read(busy.register.address(), 4, Debug, now).unwrap() & busy.mask != 0 {
                        assert!(now < deadline, "OPT_BUSY stays set");
                        now += Duration::from_millis(5);
                    }
                }
                OptionStep::CheckChangeError(bit) => {
                    let value = m.read(bit.register.address(), 4, Debug, now).unwrap();
                    assert_eq!(value & bit.mask, 0, "OPTCHANGEERR");
                }
                OptionStep::Lock(bit) => {
                    let value = m.read(bit.register.address(), 4, Debug, now).unwrap();
                    m.write(bit.register.address(), value | bit.mask, 4, Debug, now)
                        .unwrap();
                }
            }
        }
        now
    }

    fn unlock_bank(m: &mut H7Model, bank: crate::chip::h7::PhysicalBank, now: Instant) {
        let OptionStep::Unlock { register, keys, .. } = sequence::bank_unlock(bank) else {
            panic!("an unlock step");
        };
        for k in keys {
            m.write(register.address(), k, 4, Debug, now).unwrap();
        }
    }

    #[test]
    fn the_option_sequence_sets_the_swap_and_the_facts_name_the_sectors() {
        for flash_kb in [1024, 2048] {
            for swap in [BankSwap::NotSwapped, BankSwap::Swapped] {
                let (mut m, now) = (H7Model::factory(flash_kb).unwrap(), Instant::now());
                let target = H7Options {
                    optsr: OptsrField::SwapBankOpt
                        .set(H7Options::FACTORY.optsr, u32::from(swap.bit())),
                    ..H7Options::FACTORY
                };
                let mut now = run_option_sequence(&mut m, &target, now);
                assert_eq!(m.store().swap(), swap.bit(), "{flash_kb} KB {swap:?}");
                m.system_reset();
                let layout = H7Layout::new(flash_kb, swap).unwrap();
                for bank in layout.physical_banks() {
                    unlock_bank(&mut m, *bank, now);
                }
                // Mark every sector through the register set the facts name for it.
                for sector in layout.sectors() {
                    let cr = sector.registers().cr.address();
                    m.write(cr, FLASH_CR_PG, 4, Debug, now).unwrap();
                    for i in 0..8 {
                        m.write(sector.address + 4 * i, sector.address, 4, Debug, now)
                            .unwrap();
                    }
                    m.write(cr, 0, 4, Debug, now).unwrap();
                    assert_eq!(m.read(sector.address, 4, Debug, now), Ok(sector.address));
                }
                // Erase each sector as the facts say; only that logical sector goes.
                let sectors = layout.sectors();
                for (n, sector) in sectors.iter().enumerate() {
                    now += Duration::from_secs(1);
                    let cr = sector.registers().cr.address();
                    m.write(cr, sector.erase_bits(), 4, Debug, now).unwrap();
                    m.write(cr, sector.erase_bits() | FLASH_CR_START, 4, Debug, now)
                        .unwrap();
                    for (k, other) in sectors.iter().enumerate() {
                        let expected = if k <= n { 0xFFFF_FFFF } else { other.address };
                        assert_eq!(
                            m.read(other.address, 4, Debug, now),
                            Ok(expected),
                            "{flash_kb} KB {swap:?}: erasing {sector:?} reached {other:?}"
                        );
                    }
                }
            }
        }
    }
}
