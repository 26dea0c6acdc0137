use super::flash::{acr, cr, key, reg, sr};
use super::store::optr;
use super::*;

const FACTORY: u32 = 0xFFFF_FEAA;
const FLASH_REG: u32 = map::FLASH_REGS;

fn g0b1re() -> G0Model {
    G0Model::factory(G0SimPart::by_name("STM32G0B1RE").unwrap())
}

fn now() -> Instant {
    Instant::now()
}

fn read32(m: &mut G0Model, address: u32) -> u32 {
    m.read(address, 4, Initiator::Debug, now()).unwrap()
}

fn write32(m: &mut G0Model, address: u32, value: u32) {
    m.write(address, value, 4, now()).unwrap();
}

/// Unlocks what is locked (a key to an unlocked register would lock it until reset).
fn unlock(m: &mut G0Model) {
    if read32(m, FLASH_REG + reg::CR) & cr::LOCK != 0 {
        write32(m, FLASH_REG + reg::KEYR, key::KEY1);
        write32(m, FLASH_REG + reg::KEYR, key::KEY2);
    }
    if read32(m, FLASH_REG + reg::CR) & cr::OPTLOCK != 0 {
        write32(m, FLASH_REG + reg::OPTKEYR, key::OPTKEY1);
        write32(m, FLASH_REG + reg::OPTKEYR, key::OPTKEY2);
    }
}

/// Programs a double-word through the bus.
fn program(m: &mut G0Model, address: u32, low: u32, high: u32) {
    write32(m, FLASH_REG + reg::CR, cr::PG);
    write32(m, address, low);
    write32(m, address + 4, high);
    write32(m, FLASH_REG + reg::CR, 0);
}

/// Commits `optr` and launches the option load through the bus, as a debugger would.
fn commit_and_launch(m: &mut G0Model, optr_value: u32) {
    unlock(m);
    write32(m, FLASH_REG + reg::OPTR, optr_value);
    write32(m, FLASH_REG + reg::CR, cr::OPTSTRT);
    m.flash.timing.option_program = std::time::Duration::ZERO;
    let later = now() + std::time::Duration::from_millis(20);
    assert_eq!(
        m.read(FLASH_REG + reg::SR, 4, Initiator::Debug, later)
            .unwrap()
            & sr::BSY1,
        0
    );
    m.write(FLASH_REG + reg::CR, cr::OBL_LAUNCH, 4, later)
        .unwrap();
    assert_eq!(m.take_events(), vec![G0Event::OptionLoadReset]);
}

#[test]
fn part_names() {
    for (name, line, kb) in [
        ("STM32G0B1RE", G0SimLine::G0x1, 512),
        ("stm32g0b1retx", G0SimLine::G0x1, 512),
        ("STM32G0B1KC", G0SimLine::G0x1, 256),
        ("STM32G0B1CB", G0SimLine::G0x1, 128),
        ("STM32G0C1VE", G0SimLine::G0x1, 512),
        ("STM32G0B0RE", G0SimLine::G0x0, 512),
    ] {
        assert_eq!(
            G0SimPart::by_name(name),
            Some(G0SimPart {
                line,
                flash_kib: kb
            }),
            "{name}"
        );
    }
    for name in [
        "STM32G0B0RC",
        "STM32G0C1RB",
        "STM32G071RB",
        "STM32G474RE",
        "STM32G0B1",
    ] {
        assert_eq!(G0SimPart::by_name(name), None, "{name}");
    }
}

#[test]
fn identity_at_the_g0_addresses() {
    let mut m = g0b1re();
    // DBG_IDCODE is on the APB at 0x4001_5800, not at 0xE004_2000.
    assert_eq!(read32(&mut m, 0x4001_5800) & 0xFFF, 0x467);
    assert_eq!(read32(&mut m, 0x4001_5800), 0x1000_0467);
    assert!(
        !G0Model::claims(0xE004_2000),
        "the PPB is the common debug block's"
    );
    assert!(G0Model::claims(0x4001_5800));
    assert_eq!(m.read(map::FLASH_SIZE, 2, Initiator::Debug, now()), Ok(512));
    assert_eq!(read32(&mut m, map::PACKAGE) & 0x0300_0000, 1 << 24);
    let small = G0Model::factory(G0SimPart::by_name("STM32G0B1RB").unwrap());
    assert_eq!(small.part().package_word() & 0x0300_0000, 0);
    let uid = [
        read32(&mut m, map::UID),
        read32(&mut m, map::UID + 4),
        read32(&mut m, map::UID + 8),
    ];
    assert!(uid.iter().all(|w| *w != 0 && *w != 0xFFFF_FFFF));
}

#[test]
fn memory_map_bounds() {
    let mut m = g0b1re();
    write32(&mut m, 0x2002_3FFC, 0xCAFE_F00D);
    assert_eq!(read32(&mut m, 0x2002_3FFC), 0xCAFE_F00D);
    assert_eq!(
        m.read(0x2002_4000, 4, Initiator::Debug, now()),
        Err(BusError {
            address: 0x2002_4000
        })
    );
    assert!(m.write(0x2002_4000, 0, 4, now()).is_err());
    assert_eq!(read32(&mut m, 0x0807_FFFC), 0xFFFF_FFFF);
    assert!(m.read(0x0808_0000, 4, Initiator::Debug, now()).is_err());
    assert_eq!(read32(&mut m, map::OTP), 0xFFFF_FFFF);
    assert_eq!(read32(&mut m, 0x1FFF_7800), FACTORY);
    assert_eq!(read32(&mut m, 0x1FFF_7804), !FACTORY);
    // Read-only areas answer writes with a bus error.
    for address in [
        map::SYSTEM_MEMORY,
        0x1FFF_7800,
        map::UID,
        map::FLASH_SIZE,
        0x0000_0000,
    ] {
        assert!(m.write(address, 0, 4, now()).is_err(), "{address:#x}");
    }
    // Unmodelled peripherals read 0 and take writes.
    write32(&mut m, 0x4000_7000, 0x1234);
    assert_eq!(read32(&mut m, 0x4000_7000), 0);
    // Byte and half-word reads pick their lanes.
    write32(&mut m, 0x2000_0000, 0x4433_2211);
    assert_eq!(m.read(0x2000_0002, 2, Initiator::Cpu, now()), Ok(0x4433));
    assert_eq!(m.read(0x1FFF_7801, 1, Initiator::Debug, now()), Ok(0xFE));
}

#[test]
fn the_boot_alias_and_0x0800_0000_follow_the_swap() {
    let mut m = g0b1re();
    unlock(&mut m);
    program(&mut m, 0x0800_0000, 0x2000_1000, 0x0800_0101);
    program(&mut m, 0x0804_0000, 0x2000_2000, 0x0804_0201);
    assert_eq!(read32(&mut m, 0x0000_0004), 0x0800_0101);
    assert_eq!(m.boot_address(), 0x0800_0000);
    let generation = m.generation;
    commit_and_launch(&mut m, FACTORY & !optr::NSWAP_BANK);
    assert!(m.generation > generation, "the store changed");
    assert!(m.flash.swapped());
    // Physical bank 2 now answers at 0x0800_0000 and at the alias: its firmware boots.
    assert_eq!(read32(&mut m, 0x0800_0004), 0x0804_0201);
    assert_eq!(read32(&mut m, 0x0000_0004), 0x0804_0201);
    assert_eq!(read32(&mut m, 0x0804_0004), 0x0800_0101);
    assert_eq!(m.flash.physical_bank_at(0x0800_0000), Some(2));
    // Locked after the load.
    assert_eq!(
        read32(&mut m, FLASH_REG + reg::CR) & (cr::LOCK | cr::OPTLOCK),
        cr::LOCK | cr::OPTLOCK
    );
}

#[test]
fn erasing_the_logical_bank_2_under_swap_takes_bker_0() {
    let mut m = g0b1re();
    unlock(&mut m);
    program(&mut m, 0x0800_0000, 1, 1);
    program(&mut m, 0x0804_0000, 2, 2);
    commit_and_launch(&mut m, FACTORY & !optr::NSWAP_BANK);
    unlock(&mut m);
    // The user means 0x0804_0000: physical bank 1, page 0, BKER = 0.
    write32(&mut m, FLASH_REG + reg::CR, cr::PER);
    write32(&mut m, FLASH_REG + reg::CR, cr::PER | cr::STRT);
    assert_eq!(read32(&mut m, 0x0804_0000), 0xFFFF_FFFF);
    assert_eq!(read32(&mut m, 0x0800_0000), 2, "the running bank survives");
}

#[test]
fn narrow_writes_to_flash_registers() {
    let mut m = g0b1re();
    // A half-word key is a wrong key: FLASH_CR locks until reset.
    let result = m.write(FLASH_REG + reg::KEYR, 0x0123, 2, now());
    assert!(result.is_err());
    assert!(m.write(FLASH_REG + reg::KEYR, key::KEY1, 4, now()).is_err());
    m.system_reset();
    unlock(&mut m);
    // A byte write to the upper byte of FLASH_CR sets OPTLOCK and keeps the rest.
    write32(&mut m, FLASH_REG + reg::CR, cr::PG);
    m.write(FLASH_REG + reg::CR + 3, 0x40, 1, now()).unwrap();
    assert_eq!(read32(&mut m, FLASH_REG + reg::CR), cr::PG | cr::OPTLOCK);
}

#[test]
fn boot_space_follows_the_boot_options() {
    let part = G0SimPart::by_name("STM32G0B1RE").unwrap();
    let with = |optr_value: u32| {
        let mut store = G0OptionStore::factory(G0SimLine::G0x1);
        store.optr = optr_value;
        G0Model::new(part, store)
    };
    let (n_boot_sel, n_boot1, n_boot0) = (1 << 24, 1 << 25, 1 << 26);
    assert_eq!(with(FACTORY).boot_space(), BootSpace::MainFlash);
    // nBOOT_SEL = 1, nBOOT0 = 0: BOOT0 = 1 → nBOOT1 picks system memory or SRAM.
    let system = with(FACTORY & !n_boot0);
    assert_eq!(system.boot_space(), BootSpace::SystemMemory);
    assert_eq!(system.boot_address(), map::SYSTEM_MEMORY);
    let sram = with(FACTORY & !n_boot0 & !n_boot1);
    assert_eq!(sram.boot_address(), map::SRAM);
    // nBOOT_SEL = 0: the pin (low) decides, whatever nBOOT0 says.
    assert_eq!(
        with(FACTORY & !n_boot_sel & !n_boot0).boot_space(),
        BootSpace::MainFlash
    );
    // The system memory boots into an idle loop with a valid vector table.
    let mut s = system;
    assert_eq!(read32(&mut s, 0), 0x2000_4000);
    assert_eq!(read32(&mut s, 4), map::SYSTEM_MEMORY + 9);
    assert_eq!(
        s.read(map::SYSTEM_MEMORY + 8, 2, Initiator::Cpu, now()),
        Ok(0xE7FE),
        "b ."
    );
}

#[test]
fn the_empty_check_boots_the_bootloader_until_progempty_is_cleared() {
    let mut m = g0b1re();
    m.empty_check_boot = true;
    assert!(m.flash.prog_empty());
    assert_eq!(m.boot_space(), BootSpace::SystemMemory);
    unlock(&mut m);
    program(&mut m, 0x0800_0000, 0x2000_1000, 0x0800_0101);
    m.system_reset();
    assert_eq!(
        m.boot_space(),
        BootSpace::SystemMemory,
        "a system reset does not look again"
    );
    // What BMP does after programming: clear PROGEMPTY.
    let acr_now = read32(&mut m, FLASH_REG + reg::ACR);
    write32(&mut m, FLASH_REG + reg::ACR, acr_now & !acr::PROGEMPTY);
    m.system_reset();
    assert_eq!(m.boot_space(), BootSpace::MainFlash);
    // Off (the default), an empty chip still boots main flash.
    let plain = g0b1re();
    assert_eq!(plain.boot_space(), BootSpace::MainFlash);
}

#[test]
fn rdp_level_1_blocks_debugger_reads_only() {
    let part = G0SimPart::by_name("STM32G0B1RE").unwrap();
    let mut store = G0OptionStore::factory(G0SimLine::G0x1);
    store.optr = (FACTORY & !0xFF) | 0xBB;
    let mut m = G0Model::new(part, store);
    assert!(m.read(0x0800_0000, 4, Initiator::Debug, now()).is_err());
    assert!(
        m.read(0x0000_0000, 4, Initiator::Debug, now()).is_err(),
        "the alias too"
    );
    assert_eq!(
        m.read(0x0800_0000, 4, Initiator::Cpu, now()),
        Ok(0xFFFF_FFFF)
    );
    assert!(!m.debug_port_closed());
    store.optr = (FACTORY & !0xFF) | 0xCC;
    assert!(G0Model::new(part, store).debug_port_closed());
}

#[test]
fn option_registers_and_peripherals_through_the_bus() {
    let mut m = g0b1re();
    assert_eq!(read32(&mut m, FLASH_REG + reg::OPTR), FACTORY);
    assert_eq!(read32(&mut m, FLASH_REG + reg::WRP1AR), 0x7F);
    // RCC at 0x4002_1000: the debug clock probe-rs sets, then DBG_CR.
    write32(&mut m, 0x4002_103C, 1 << 27);
    assert_eq!(read32(&mut m, 0x4002_103C), 1 << 27);
    write32(&mut m, 0x4001_5804, 0x6);
    assert_eq!(read32(&mut m, 0x4001_5804), 0x6);
    m.reset_peripherals(ResetCause::OptionLoad);
    assert_eq!(
        read32(&mut m, 0x4001_5804),
        0,
        "dropped with the debug link"
    );
    assert_eq!(m.core_clock_hz(), 16_000_000);
    assert_eq!(m.irq_lines(), IrqLines::default());
}

#[test]
fn writes_to_flash_and_otp_count_as_changes() {
    let mut m = g0b1re();
    let g0 = m.generation;
    unlock(&mut m);
    write32(&mut m, FLASH_REG + reg::CR, cr::PG);
    write32(&mut m, map::OTP, 0x1234_5678);
    write32(&mut m, map::OTP + 4, 0x9ABC_DEF0);
    assert_eq!(read32(&mut m, map::OTP), 0x1234_5678);
    assert!(m.generation > g0);
    assert_eq!(m.flash.otp()[..4], [0x78, 0x56, 0x34, 0x12]);
}
