//! The write guard on a simulated STM32G47x/G48x, through the real server: raw GDB packets over
//! TCP, the chip checked afterwards from a new client or from the simulator (option store,
//! flash array): flash packets outside the live main flash (option bytes, OTP, past the end,
//! the hole between the banks of a 256 KB part) and memory writes into flash, the FLASH option
//! registers and FLASH_OPTR's RDP are refused with nothing written; OPTLOCK (FLASH_CR bit 30)
//! left clear by allowed raw writes is set again at disconnect, and so is LOCK (bit 31) left
//! clear by FLASH_KEYR; the Cortex-M4's bit-band alias of the FLASH registers (0x4244_xxxx) is
//! judged as the registers themselves; `load` in the modes probe-rs has no algorithm for
//! programs through the FLASH registers, leaving neighbouring pages intact.

use crate::gdb_support;

use gdb_support::*;
use stm32_opts::gdb::{Server, ServerHandle};
use stm32_opts::sim::g4::G4Sim;
use stm32_opts::sim::Simulator;

const G474RE: &str = "STM32G474RE";
const G474RC: &str = "STM32G474RC";
/// The factory FLASH_OPTR of the simulated G4 (RDP level 0, DBANK = 1).
const FACTORY_OPTR: u32 = 0xFFEF_F8AA;
const FLASH_KEYR: u32 = 0x4002_2008;
const FLASH_OPTKEYR: u32 = 0x4002_200C;
const FLASH_CR: u32 = 0x4002_2014;
const FLASH_OPTR: u32 = 0x4002_2020;
/// FLASH_CR.OPTLOCK and LOCK.
const OPTLOCK: u32 = 1 << 30;
const LOCK: u32 = 1 << 31;
/// FLASH_OPTR.DBANK (bit 22).
const DBANK: u32 = 1 << 22;
/// The reply to a write the guard refused (EACCES).
const REFUSED: &str = "E0d";

fn serve(sim: &Simulator) -> ServerHandle {
    let _ = env_logger::builder().is_test(true).try_init();
    let session = sim.attach().expect("attach");
    Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server")
}

fn notices(c: &mut RawClient) -> String {
    monitor(c, "help").0
}

fn erased(sim: &Simulator) -> bool {
    sim.with_g4_flash(|f| f.array().iter().all(|&b| b == 0xFF))
        .unwrap()
}

#[test]
fn flash_packets_outside_the_main_flash_are_refused_with_nothing_written() {
    let sim = Simulator::new(G474RE).expect("simulated G474RE");
    let server = serve(&sim);
    let mut c = connect_client(server.local_addr());
    // Option bytes with RDP = 0xCC in the first word, both images.
    let level2 = [0xCC, 0xF8, 0xEF, 0xFF, 0x33, 0x07, 0x10, 0x00];
    for (head, data) in [
        ("vFlashWrite:1fff7800:", &level2[..]),
        ("vFlashWrite:1ffff800:", &level2[..]),
        ("vFlashWrite:1fff7000:", &[0u8; 8][..]),
        ("vFlashWrite:8080000:", &[0u8; 8][..]),
        ("vFlashWrite:1fff0000:", &[0u8; 8][..]),
    ] {
        assert_eq!(
            ask_binary(&mut c, head, data).as_deref(),
            Some(REFUSED),
            "{head}"
        );
        assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED), "{head}");
    }
    assert_eq!(c.ask("vFlashErase:1fff7800,30").as_deref(), Some(REFUSED));
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    // A range that starts in flash and runs past its end.
    assert_eq!(c.ask("vFlashErase:807f800,1000").as_deref(), Some(REFUSED));
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    let text = notices(&mut c);
    for expected in [
        "flash write of 0x8 bytes at 0x1FFF_7800 refused: that is the stored option bytes",
        "flash write of 0x8 bytes at 0x1FFF_F800 refused: that is the stored option bytes",
        "`monitor bank single|dual`",
        "at 0x1FFF_7000 refused: that is the one-time-programmable OTP area",
        "at 0x0808_0000 refused: that is no flash",
        "at 0x1FFF_0000 refused: that is read-only system memory",
        "runs past the end of the flash at 0x0808_0000",
        "`load` programs the main flash only: 0x0800_0000–0x0807_FFFF (dual bank",
        "nothing was written",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    drop(c);
    server.shutdown().unwrap();
    let store = sim.g4_option_store().unwrap();
    assert_eq!(store.optr, FACTORY_OPTR, "option store");
    assert!(erased(&sim), "the refused packets wrote flash");
}

#[test]
fn the_hole_between_the_banks_of_a_256_kb_part_is_refused() {
    let sim = Simulator::new(G474RC).expect("simulated G474RC");
    let server = serve(&sim);
    let mut c = connect_client(server.local_addr());
    assert_eq!(c.ask("vFlashErase:8020000,800").as_deref(), Some(REFUSED));
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    // From the end of bank 1 into the hole.
    assert_eq!(
        ask_binary(&mut c, "vFlashWrite:801fff0:", &[0x11; 0x20]).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    let text = notices(&mut c);
    assert!(
        text.contains(
            "at 0x0802_0000 refused: that is the unmapped hole between flash bank 1 and bank 2"
        ),
        "{text}"
    );
    assert!(
        text.contains("runs past the end of flash bank 1 at 0x0802_0000, into the unmapped hole"),
        "{text}"
    );
    assert!(
        text.contains("0x0800_0000–0x0801_FFFF and 0x0804_0000–0x0805_FFFF"),
        "{text}"
    );
    drop(c);
    server.shutdown().unwrap();
    assert!(erased(&sim), "the refused packets wrote flash");
}

#[test]
fn memory_writes_into_flash_otp_and_option_bytes_are_refused() {
    let sim = Simulator::new(G474RE).expect("simulated G474RE");
    let server = serve(&sim);
    let mut c = connect_client(server.local_addr());
    monitor(&mut c, "raw-option-writes allow");
    for addr in [
        0x0800_0000u32,
        0x0804_0000,
        0x1FFF_7000,
        0x1FFF_7800,
        0x1FFF_F800,
    ] {
        assert_eq!(
            write_mem(&mut c, addr, &[0; 4]).as_deref(),
            Some(REFUSED),
            "{addr:#x}"
        );
    }
    let text = notices(&mut c);
    assert!(
        text.contains("memory write at 0x0800_0000 refused: that is flash")
            && text.contains("flash is written with `load`"),
        "{text}"
    );
    assert!(
        text.contains("memory write at 0x1FFF_7000 refused: that is the one-time-programmable OTP"),
        "{text}"
    );
    assert!(
        text.contains("memory write at 0x1FFF_F800 refused: that is the stored option bytes"),
        "{text}"
    );
    // RAM still takes writes.
    assert_eq!(
        write_mem(&mut c, 0x2000_0000, &[1, 2, 3, 4]).as_deref(),
        Some("OK")
    );
    assert_eq!(read_bytes(&mut c, 0x2000_0000, 4), vec![1, 2, 3, 4]);
    drop(c);
    server.shutdown().unwrap();
    assert!(erased(&sim), "a refused memory write reached flash");
    assert_eq!(sim.g4_option_store().unwrap().optr, FACTORY_OPTR);
}

#[test]
fn the_raw_option_sequence_is_refused_by_default() {
    let sim = Simulator::new(G474RE).expect("simulated G474RE");
    let server = serve(&sim);
    let mut c = connect_client(server.local_addr());
    // The sequence: flash keys (FLASH_KEYR is not guarded), option keys, FLASH_OPTR, OPTSTRT.
    for key in [0x4567_0123u32, 0xCDEF_89AB] {
        assert_eq!(
            write_mem(&mut c, FLASH_KEYR, &key.to_le_bytes()).as_deref(),
            Some("OK")
        );
    }
    for key in [0x0819_2A3Bu32, 0x4C5D_6E7F] {
        assert_eq!(
            write_mem(&mut c, FLASH_OPTKEYR, &key.to_le_bytes()).as_deref(),
            Some(REFUSED)
        );
    }
    let single = FACTORY_OPTR & !DBANK;
    assert_eq!(
        write_mem(&mut c, FLASH_OPTR, &single.to_le_bytes()).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(
        write_mem(&mut c, FLASH_CR, &(1u32 << 17).to_le_bytes()).as_deref(),
        Some(REFUSED),
        "OPTSTRT"
    );
    assert_eq!(
        write_mem(&mut c, FLASH_CR, &(1u32 << 27).to_le_bytes()).as_deref(),
        Some(REFUSED),
        "OBL_LAUNCH"
    );
    assert_eq!(
        write_mem(&mut c, FLASH_CR, &[1]).as_deref(),
        Some(REFUSED),
        "PG"
    );
    // WRP1AR and SEC2R are guarded too.
    assert_eq!(
        write_mem(&mut c, 0x4002_202C, &[0; 4]).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(
        write_mem(&mut c, 0x4002_2074, &[0; 4]).as_deref(),
        Some(REFUSED)
    );
    let text = notices(&mut c);
    assert!(
        text.contains("memory write to FLASH_OPTKEYR (0x4002_200C) refused")
            && text.contains("monitor raw-option-writes allow")
            && text.contains("monitor bank single|dual"),
        "{text}"
    );
    assert!(
        text.contains("memory write to FLASH_CR (0x4002_2014) refused"),
        "{text}"
    );
    assert!(
        !text.contains("OPTLOCK is clear") && !text.contains("OPTLOCK and LOCK are clear"),
        "{text}"
    );
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(cr & OPTLOCK, OPTLOCK, "FLASH_CR = {cr:#010x}");
    assert_eq!(read_word(&mut c, FLASH_OPTR), FACTORY_OPTR);
    drop(c);
    server.shutdown().unwrap();
    assert_eq!(sim.g4_option_store().unwrap().optr, FACTORY_OPTR);
}

#[test]
fn allowed_raw_option_writes_never_set_rdp_level_2_and_optlock_is_relocked() {
    let sim = Simulator::new(G474RE).expect("simulated G474RE");
    let server = serve(&sim);
    let addr = server.local_addr();
    let mut c = connect_client(addr);
    let (text, reply) = monitor(&mut c, "raw-option-writes allow");
    assert_eq!(reply, "OK");
    assert!(text.contains("FLASH_OPTR holding RDP = 0xCC"), "{text}");
    for key in [0x4567_0123u32, 0xCDEF_89AB] {
        assert_eq!(
            write_mem(&mut c, FLASH_KEYR, &key.to_le_bytes()).as_deref(),
            Some("OK")
        );
    }
    for key in [0x0819_2A3Bu32, 0x4C5D_6E7F] {
        assert_eq!(
            write_mem(&mut c, FLASH_OPTKEYR, &key.to_le_bytes()).as_deref(),
            Some("OK"),
            "allowed"
        );
    }
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(cr & (OPTLOCK | LOCK), 0, "the keys unlocked: {cr:#010x}");
    // RDP = 0xCC as a word, a byte and a halfword (merged with the current value).
    let level2 = (FACTORY_OPTR & !0xFF) | 0xCC;
    assert_eq!(
        write_mem(&mut c, FLASH_OPTR, &level2.to_le_bytes()).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(
        write_mem(&mut c, FLASH_OPTR, &[0xCC]).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(
        write_mem(&mut c, FLASH_OPTR, &[0xCC, 0xF8]).as_deref(),
        Some(REFUSED)
    );
    // A block from FLASH_CR over FLASH_OPTR.
    let mut block = [0u8; 0x10];
    block[0x0C] = 0xCC;
    assert_eq!(
        write_mem(&mut c, FLASH_CR, &block).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(
        read_word(&mut c, FLASH_OPTR),
        FACTORY_OPTR,
        "nothing staged"
    );
    let text = notices(&mut c);
    assert!(
        text.contains("memory write to FLASH_OPTR refused: the register would hold 0xFFEF_F8CC with RDP = 0xCC")
            && text.contains("permanent-rdp2"),
        "{text}"
    );
    assert!(
        text.contains("FLASH_CR = ") && text.contains("OPTLOCK and LOCK are clear"),
        "{text}"
    );
    drop(c);
    // A new client finds OPTLOCK set again, and nothing in the option store changed.
    let mut c = connect_client(addr);
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(
        cr & OPTLOCK,
        OPTLOCK,
        "OPTLOCK set again at disconnect: {cr:#010x}"
    );
    assert_eq!(read_word(&mut c, FLASH_OPTR), FACTORY_OPTR);
    drop(c);
    server.shutdown().unwrap();
    let store = sim.g4_option_store().unwrap();
    assert_eq!(store.optr, FACTORY_OPTR);
    assert_eq!(store.rdp(), 0xAA);
}

/// Programs `data` at `addr` with one load of raw flash packets (erase one page, write, done).
fn raw_load(c: &mut RawClient, addr: u32, page: u32, data: &[u8]) {
    assert_eq!(
        c.ask(&format!("vFlashErase:{addr:x},{page:x}")).as_deref(),
        Some("OK")
    );
    assert_eq!(
        ask_binary(c, &format!("vFlashWrite:{addr:x}:"), data).as_deref(),
        Some("OK")
    );
    assert_eq!(c.ask("vFlashDone").as_deref(), Some("OK"), "{}", notices(c));
}

#[test]
fn load_on_a_256_kb_part_in_dual_bank_is_host_driven_and_keeps_neighbours() {
    let sim = Simulator::new(G474RC).expect("simulated G474RC");
    let server = serve(&sim);
    let addr = server.local_addr();
    let mut c = connect_client(addr);
    // Bank 2: a neighbour first, then the page below it.
    raw_load(&mut c, 0x0804_0800, 0x800, &[0xA5; 16]);
    let pattern: Vec<u8> = (1..=40).collect();
    raw_load(&mut c, 0x0804_0000, 0x800, &pattern);
    assert_eq!(read_bytes(&mut c, 0x0804_0000, 40), pattern);
    assert_eq!(
        read_bytes(&mut c, 0x0804_0028, 8),
        vec![0xFF; 8],
        "padded with 0xFF"
    );
    assert_eq!(
        read_bytes(&mut c, 0x0804_0800, 16),
        vec![0xA5; 16],
        "neighbour page intact"
    );
    // The last page of bank 1 next to the hole.
    raw_load(&mut c, 0x0801_F800, 0x800, &[0x3C; 0x800]);
    assert_eq!(read_bytes(&mut c, 0x0801_F800, 16), vec![0x3C; 16]);
    assert_eq!(read_bytes(&mut c, 0x0801_FFF0, 16), vec![0x3C; 16]);
    drop(c);

    // gdb-multiarch's load + compare-sections into bank 1.
    let run = batch(
        addr,
        Some(&firmware()),
        &cmds(&[
            "echo @@LOAD\\n",
            "load",
            "compare-sections",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;
    let s = section(t, "@@LOAD", "@@END");
    assert!(s.contains("Transfer rate"), "{t}");
    assert!(s.contains("matched") && !s.contains("MIS-MATCHED"), "{t}");
    let mut c = connect_client(addr);
    assert_eq!(
        read_bytes(&mut c, 0x0804_0800, 16),
        vec![0xA5; 16],
        "bank 2 untouched by the load"
    );
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(cr & LOCK, LOCK, "FLASH_CR locked again: {cr:#010x}");
    drop(c);
    server.shutdown().unwrap();
}

#[test]
fn a_host_driven_load_that_never_finishes_fails_bounded_and_relocks() {
    let sim = Simulator::new(G474RC).expect("simulated G474RC");
    let server = serve(&sim);
    let mut c = connect_client(server.local_addr());
    sim.with_g4_flash(|f| f.faults.stuck_bsy = true).unwrap();
    assert_eq!(c.ask("vFlashErase:8000000,800").as_deref(), Some("OK"));
    assert_eq!(
        ask_binary(&mut c, "vFlashWrite:8000000:", &[0x42; 16]).as_deref(),
        Some("OK")
    );
    let done = c.ask("vFlashDone").unwrap_or_default();
    assert!(done.starts_with('E'), "the load must fail: {done}");
    let text = notices(&mut c);
    assert!(
        text.contains("load failed") && text.contains("FLASH_SR.BSY still set"),
        "{text}"
    );
    sim.with_g4_flash(|f| f.faults.stuck_bsy = false).unwrap();
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(
        cr & LOCK,
        LOCK,
        "FLASH_CR locked again after the failure: {cr:#010x}"
    );
    drop(c);
    server.shutdown().unwrap();
}

/// The bit-band alias word of bit `bit` of the FLASH register at `register` (Cortex-M4 TRM
/// §3.7: 0x4200_0000 + byte offset from 0x4000_0000 × 32 + bit × 4).
fn alias(register: u32, bit: u32) -> u32 {
    let byte = register + bit / 8;
    0x4200_0000 + (byte - 0x4000_0000) * 32 + (bit % 8) * 4
}

#[test]
fn bit_band_writes_of_the_flash_registers_are_judged_as_the_registers() {
    let sim = Simulator::new(G474RE).expect("simulated G474RE");
    let server = serve(&sim);
    let addr = server.local_addr();
    let mut c = connect_client(addr);
    // By default the alias of a guarded register is refused like the register.
    let optlock = alias(FLASH_CR, 30);
    assert_eq!(optlock, 0x4244_02F8);
    assert_eq!(
        write_mem(&mut c, optlock, &0u32.to_le_bytes()).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(
        write_mem(&mut c, alias(FLASH_OPTR, 0), &[1]).as_deref(),
        Some(REFUSED)
    );
    let text = notices(&mut c);
    assert!(
        text.contains(
            "memory write at 0x4244_02F8 refused: that is the bit-band alias of FLASH_CR bit 30"
        ) && text.contains("raw writes into the FLASH option and programming registers"),
        "{text}"
    );
    // The alias reads the register's bits: OPTLOCK is set, RDP bit 1 (0xAA) is set.
    assert_eq!(read_word(&mut c, optlock), 1);
    assert_eq!(read_word(&mut c, alias(FLASH_OPTR, 1)), 1);

    // Allowed: unlock, then walk RDP from 0xAA to 0xCC one bit at a time through the alias.
    assert_eq!(monitor(&mut c, "raw-option-writes allow").1, "OK");
    for (register, key) in [
        (FLASH_KEYR, 0x4567_0123u32),
        (FLASH_KEYR, 0xCDEF_89AB),
        (FLASH_OPTKEYR, 0x0819_2A3B),
        (FLASH_OPTKEYR, 0x4C5D_6E7F),
    ] {
        assert_eq!(
            write_mem(&mut c, register, &key.to_le_bytes()).as_deref(),
            Some("OK")
        );
    }
    // 0xAA -> set bit 6 (0xEA) -> clear bit 5 (0xCA) -> set bit 2 (0xCE) -> clear bit 1 (0xCC).
    for (bit, value, rdp) in [(6, 1u32, 0xEAu32), (5, 0, 0xCA), (2, 1, 0xCE)] {
        assert_eq!(
            write_mem(&mut c, alias(FLASH_OPTR, bit), &value.to_le_bytes()).as_deref(),
            Some("OK"),
            "bit {bit}"
        );
        assert_eq!(read_word(&mut c, FLASH_OPTR) & 0xFF, rdp, "after bit {bit}");
    }
    assert_eq!(
        write_mem(&mut c, alias(FLASH_OPTR, 1), &0u32.to_le_bytes()).as_deref(),
        Some(REFUSED),
        "the bit that makes RDP 0xCC"
    );
    // A whole alias word is one access (bit 0 of its value: 1 keeps RDP 0xCE) ...
    assert_eq!(
        write_mem(&mut c, alias(FLASH_OPTR, 1), &[1, 0, 0, 0]).as_deref(),
        Some("OK")
    );
    // ... while bytes of a word written in part are one access each: 1, then 0 — refused.
    assert_eq!(
        write_mem(&mut c, alias(FLASH_OPTR, 1) + 1, &[1, 0]).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(read_word(&mut c, FLASH_OPTR), (FACTORY_OPTR & !0xFF) | 0xCE);
    let text = notices(&mut c);
    assert!(
        text.contains("that is the bit-band alias of FLASH_OPTR bit 1, and the guard judges it as a write of FLASH_OPTR itself")
            && text.contains("RDP = 0xCC"),
        "{text}"
    );
    // A write straddling the alias region's start is refused whole.
    assert_eq!(
        write_mem(&mut c, 0x41FF_FFFE, &[0; 4]).as_deref(),
        Some(REFUSED)
    );
    drop(c);
    // The client left FLASH_CR unlocked: both locks are set again, nothing was committed.
    let mut c = connect_client(addr);
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(
        cr & (OPTLOCK | LOCK),
        OPTLOCK | LOCK,
        "FLASH_CR = {cr:#010x}"
    );
    drop(c);
    server.shutdown().unwrap();
    let store = sim.g4_option_store().unwrap();
    assert_eq!(store.optr, FACTORY_OPTR);
}

#[test]
fn flash_cr_lock_cleared_by_a_client_is_set_again_when_it_leaves() {
    let sim = Simulator::new(G474RE).expect("simulated G474RE");
    let server = serve(&sim);
    let addr = server.local_addr();
    let mut c = connect_client(addr);
    // FLASH_KEYR is not a guarded register: the keys go through by default.
    for key in [0x4567_0123u32, 0xCDEF_89AB] {
        assert_eq!(
            write_mem(&mut c, FLASH_KEYR, &key.to_le_bytes()).as_deref(),
            Some("OK")
        );
    }
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(cr & LOCK, 0, "the keys unlocked: {cr:#010x}");
    let text = notices(&mut c);
    assert!(text.contains("LOCK is clear"), "{text}");
    drop(c);
    let mut c = connect_client(addr);
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(
        cr & (LOCK | OPTLOCK),
        LOCK | OPTLOCK,
        "FLASH_CR = {cr:#010x}"
    );
    drop(c);
    server.shutdown().unwrap();
}
