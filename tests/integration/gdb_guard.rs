//! The write guard, through the real server on the simulated chip: raw GDB packets over TCP and
//! gdb-multiarch. Every test checks the chip afterwards from a new client (the stored option
//! bytes at 0x1FFF_0000, FLASH_OPTCR, OTP, flash), often after a reset, which is when a
//! committed RDP level 2 would show.

use crate::gdb_support;

use gdb_support::*;

const FLASH_OPTCR: u32 = 0x4002_3C14;
const OPTLOCK: u32 = 1;
const FACTORY_OPTCR: u32 = 0xFFFF_AAFD;
const OPTION_BYTES: u32 = 0x1FFF_0000;
/// The stored option words at 0x1FFF_0000, +8, +0x10, +0x18 on a factory chip.
const FACTORY_AREA: [u32; 4] = [0x5500_AAFF, 0x0000_FFFF, 0xFF7F_0080, 0xFFBF_0040];
/// The reply to a write the guard refused (EACCES).
const REFUSED: &str = "E0d";

fn option_area(c: &mut RawClient) -> [u32; 4] {
    [0, 8, 0x10, 0x18].map(|off| read_word(c, OPTION_BYTES + off))
}

/// A new client finds the option bytes as on a factory chip, also after a reset.
fn assert_factory_options(addr: std::net::SocketAddr) {
    let mut c = connect_client(addr);
    assert_eq!(option_area(&mut c), FACTORY_AREA, "stored option bytes");
    assert_eq!(read_word(&mut c, FLASH_OPTCR), FACTORY_OPTCR, "FLASH_OPTCR");
    let (text, reply) = monitor(&mut c, "reset halt");
    assert_eq!(reply, "OK");
    assert!(text.contains("reset; core halted"), "{text}");
    assert_eq!(
        read_word(&mut c, FLASH_OPTCR),
        FACTORY_OPTCR,
        "FLASH_OPTCR after a reset"
    );
}

#[test]
fn flash_packets_into_the_option_bytes_are_refused() {
    let server = start_server(None);
    let mut c = connect_client(server.local_addr());
    // RDP = 0xCC (level 2) in the first stored word, as probe-rs's option algorithm takes it.
    assert_eq!(c.ask("vFlashErase:1fff0000,20").as_deref(), Some(REFUSED));
    let level2 = [0xFF, 0xCC, 0x00, 0x33, 0xFF, 0xFF, 0xFF, 0xFF];
    assert_eq!(
        ask_binary(&mut c, "vFlashWrite:1fff0000:", &level2).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    // nDBANK through the second word.
    assert_eq!(
        ask_binary(&mut c, "vFlashWrite:1fff0008:", &[0xFF, 0xDF, 0x00, 0x20]).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    // The reason reaches the user with the next monitor command.
    let (text, _) = monitor(&mut c, "help");
    assert!(
        text.contains("earlier refused: flash erase of 0x20 bytes at 0x1FFF_0000 refused: that is the stored option bytes"),
        "{text}"
    );
    assert!(
        text.contains("`load` programs the main flash only: 0x0800_0000–0x081F_FFFF")
            && text.contains("monitor optbytes set"),
        "{text}"
    );
    drop(c);
    assert_factory_options(server.local_addr());
    server.shutdown().unwrap();
}

#[test]
fn flash_packets_into_otp_and_its_lock_bytes_are_refused() {
    let server = start_server(None);
    let mut c = connect_client(server.local_addr());
    assert_eq!(c.ask("vFlashErase:1ff0f000,40").as_deref(), Some(REFUSED));
    assert_eq!(
        ask_binary(&mut c, "vFlashWrite:1ff0f000:", &[0x00; 16]).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    assert_eq!(
        ask_binary(&mut c, "vFlashWrite:1ff0f400:", &[0x00]).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    // Plain memory writes there too, whatever the policy.
    let (_, reply) = monitor(&mut c, "raw-option-writes allow");
    assert_eq!(reply, "OK");
    assert_eq!(c.ask("M1ff0f000,4:00000000").as_deref(), Some(REFUSED));
    assert_eq!(c.ask("M1ff0f400,1:00").as_deref(), Some(REFUSED));
    let (text, _) = monitor(&mut c, "help");
    assert!(
        text.contains("0x1FF0_F400") && text.contains("OTP"),
        "{text}"
    );
    drop(c);

    let mut c = connect_client(server.local_addr());
    assert_eq!(
        read_bytes(&mut c, 0x1FF0_F000, 64),
        vec![0xFF; 64],
        "OTP block 0"
    );
    assert_eq!(
        read_bytes(&mut c, 0x1FF0_F400, 16),
        vec![0xFF; 16],
        "OTP lock bytes"
    );
    // The server waits for its client before it stops.
    drop(c);
    server.shutdown().unwrap();
}

#[test]
fn an_itcm_alias_write_on_a_dual_bank_chip_erases_only_its_own_sector() {
    let server = start_server(None);
    let mut c = connect_client(server.local_addr());
    let (text, _) = monitor(&mut c, "ndbank false");
    assert!(text.contains("nDBANK"), "{text}");
    let (text, _) = monitor(&mut c, "ndbank");
    assert!(text.contains("nDBANK = false"), "{text}");
    // Dual bank: sectors 0, 1, 2 are 16 KB at 0x0800_0000, 0x0800_4000, 0x0800_8000.
    assert_eq!(c.ask("vFlashErase:08000000,c000").as_deref(), Some("OK"));
    for (addr, byte) in [
        (0x0800_0000u32, 0x11u8),
        (0x0800_4000, 0x22),
        (0x0800_8000, 0x33),
    ] {
        assert_eq!(
            ask_binary(&mut c, &format!("vFlashWrite:{addr:x}:"), &[byte; 64]).as_deref(),
            Some("OK")
        );
    }
    assert_eq!(c.ask("vFlashDone").as_deref(), Some("OK"));
    // Sector 1 again, through the ITCM alias.
    assert_eq!(c.ask("vFlashErase:00204000,4000").as_deref(), Some("OK"));
    assert_eq!(
        ask_binary(&mut c, "vFlashWrite:00204010:", &[0xA5; 16]).as_deref(),
        Some("OK")
    );
    assert_eq!(c.ask("vFlashDone").as_deref(), Some("OK"));
    drop(c);

    let mut c = connect_client(server.local_addr());
    assert_eq!(
        read_bytes(&mut c, 0x0800_0000, 64),
        vec![0x11; 64],
        "sector 0"
    );
    let mut sector1 = vec![0xFF; 64];
    sector1[0x10..0x20].fill(0xA5);
    assert_eq!(read_bytes(&mut c, 0x0800_4000, 64), sector1, "sector 1");
    assert_eq!(
        read_bytes(&mut c, 0x0020_4000, 64),
        sector1,
        "sector 1 via ITCM"
    );
    assert_eq!(
        read_bytes(&mut c, 0x0800_8000, 64),
        vec![0x33; 64],
        "sector 2"
    );
    // The server waits for its client before it stops.
    drop(c);
    server.shutdown().unwrap();
}

#[test]
fn a_huge_erase_is_refused_and_the_server_goes_on() {
    let server = start_server(None);
    let mut c = connect_client(server.local_addr());
    for _ in 0..2 {
        assert_eq!(
            c.ask("vFlashErase:8000000,ffffffff").as_deref(),
            Some(REFUSED)
        );
        assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    }
    // Past the end by one sector of a 2 MB part, and from the last byte.
    assert_eq!(c.ask("vFlashErase:81c0000,80000").as_deref(), Some(REFUSED));
    assert_eq!(c.ask("vFlashErase:ffffffff,2").as_deref(), Some(REFUSED));
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    // The same client is still served.
    assert_eq!(read_word(&mut c, FLASH_OPTCR), FACTORY_OPTCR);
    let (text, _) = monitor(&mut c, "help");
    assert!(
        text.contains("runs past the end of the flash at 0x0820_0000"),
        "{text}"
    );
    // And a real load afterwards works.
    assert_eq!(c.ask("vFlashErase:08000000,8000").as_deref(), Some("OK"));
    assert_eq!(
        ask_binary(&mut c, "vFlashWrite:8000000:", &[0x5A; 32]).as_deref(),
        Some("OK")
    );
    assert_eq!(c.ask("vFlashDone").as_deref(), Some("OK"));
    drop(c);
    let mut c = connect_client(server.local_addr());
    assert_eq!(read_bytes(&mut c, 0x0800_0000, 32), vec![0x5A; 32]);
    // The server waits for its client before it stops.
    drop(c);
    server.shutdown().unwrap();
}

#[test]
fn memory_writes_into_flash_get_an_error_naming_load() {
    let server = start_server(None);
    let addr = server.local_addr();
    let mut c = connect_client(addr);
    assert_eq!(c.ask("M8000000,4:11223344").as_deref(), Some(REFUSED));
    assert_eq!(
        ask_binary(&mut c, "X8000010,4:", &[1, 2, 3, 4]).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(c.ask("M200000,4:11223344").as_deref(), Some(REFUSED));
    // GDB's probe for X support writes nothing and is answered.
    assert_eq!(
        ask_binary(&mut c, "X8000000,0:", &[]).as_deref(),
        Some("OK")
    );
    let (text, _) = monitor(&mut c, "help");
    assert!(
        text.contains("memory write at 0x0800_0000 refused: that is flash")
            && text.contains("flash is written with `load`"),
        "{text}"
    );
    assert_eq!(read_bytes(&mut c, 0x0800_0000, 32), vec![0xFF; 32]);
    drop(c);

    // What a GDB user sees. GDB itself refuses memory writes into the map's flash regions
    // ("Writing to flash memory forbidden in this context"); with the map overridden it sends
    // them, and the server refuses.
    let run = batch_each(
        addr,
        None,
        &cmds(&[
            "delete mem",
            "mem 0x08000000 0x08001000 rw",
            "set {int}0x08000000 = 0x12345678",
            "monitor help",
            "x/wx 0x08000000",
            "detach",
        ]),
    );
    assert!(
        run.text
            .contains("Cannot access memory at address 0x8000000"),
        "{}",
        run.text
    );
    assert!(
        run.text.contains("flash is written with `load`"),
        "{}",
        run.text
    );
    assert!(run.text.contains("0x8000000:\t0xffffffff"), "{}", run.text);
    server.shutdown().unwrap();
}

/// The four commands of a raw RDP level 2 commit: both option keys, then FLASH_OPTCR with
/// RDP = 0xCC and OPTLOCK clear, then the same with OPTSTRT.
const RAW_LEVEL2: [&str; 4] = [
    "set {int}0x40023C08 = 0x08192A3B",
    "set {int}0x40023C08 = 0x4C5D6E7F",
    "set {int}0x40023C14 = 0xFFFFCCFC",
    "set {int}0x40023C14 = 0xFFFFCCFE",
];

#[test]
fn raw_option_register_writes_are_refused_by_default() {
    let server = start_server(None);
    let addr = server.local_addr();
    let mut commands = cmds(&RAW_LEVEL2);
    commands.extend(cmds(&["monitor raw-option-writes", "detach"]));
    let run = batch_each(addr, None, &commands);
    for reg in ["0x40023c08", "0x40023c14"] {
        assert!(
            run.text
                .contains(&format!("Cannot access memory at address {reg}")),
            "{}",
            run.text
        );
    }
    assert!(
        run.text
            .contains("memory write to FLASH_OPTKEYR (0x4002_3C08) refused")
            && run.text.contains("monitor optbytes set")
            && run.text.contains("monitor raw-option-writes allow"),
        "{}",
        run.text
    );
    assert!(run.text.contains("RDP = 0xCC"), "{}", run.text);
    assert!(
        !run.text.contains("OPTLOCK is clear") && !run.text.contains("OPTLOCK and"),
        "{}",
        run.text
    );
    assert_factory_options(addr);
    server.shutdown().unwrap();
}

#[test]
fn allowed_raw_option_writes_still_never_set_rdp_level_2_and_optlock_is_relocked() {
    let server = start_server(None);
    let addr = server.local_addr();
    let mut commands = cmds(&["monitor raw-option-writes allow"]);
    commands.extend(cmds(&RAW_LEVEL2));
    commands.extend(cmds(&["monitor raw-option-writes", "detach"]));
    let run = batch_each(addr, None, &commands);
    assert!(
        !run.text
            .contains("Cannot access memory at address 0x40023c08"),
        "the keys are let through once allowed:\n{}",
        run.text
    );
    assert_eq!(
        run.text
            .matches("Cannot access memory at address 0x40023c14")
            .count(),
        2,
        "{}",
        run.text
    );
    assert!(
        run.text.contains("RDP = 0xCC") && run.text.contains("permanent-rdp2"),
        "{}",
        run.text
    );
    // The keys left OPTLOCK clear: said at the next monitor command.
    assert!(run.text.contains("OPTLOCK is clear"), "{}", run.text);
    // Relocked when the client left; nothing committed.
    let mut c = connect_client(addr);
    let optcr = read_word(&mut c, FLASH_OPTCR);
    assert_eq!(optcr & OPTLOCK, OPTLOCK, "OPTLOCK set again: {optcr:#010x}");
    drop(c);
    assert_factory_options(addr);
    server.shutdown().unwrap();
}

#[test]
fn allowed_raw_option_writes_commit_other_values_and_judge_byte_writes() {
    let server = start_server(None);
    let addr = server.local_addr();
    let mut c = connect_client(addr);
    let (text, _) = monitor(&mut c, "raw-option-writes allow");
    assert!(text.contains("allowed for this session"), "{text}");
    assert_eq!(c.ask("M40023c08,4:3b2a1908").as_deref(), Some("OK"));
    assert_eq!(c.ask("M40023c08,4:7f6e5d4c").as_deref(), Some("OK"));
    // RDP is byte 0x4002_3C15: a byte and a halfword write of 0xCC are judged as the register.
    assert_eq!(c.ask("M40023c15,1:cc").as_deref(), Some(REFUSED));
    assert_eq!(c.ask("M40023c14,2:fecc").as_deref(), Some(REFUSED));
    // nDBANK = 0 with OPTLOCK clear, then OPTSTRT in a later byte write: committed.
    assert_eq!(c.ask("M40023c14,4:fcaaffdf").as_deref(), Some("OK"));
    assert_eq!(c.ask("M40023c14,1:fe").as_deref(), Some("OK"));
    let (text, _) = monitor(&mut c, "help");
    assert!(text.contains("OPTLOCK is clear"), "{text}");
    drop(c);

    let mut c = connect_client(addr);
    let optcr = read_word(&mut c, FLASH_OPTCR);
    assert_eq!(
        optcr & OPTLOCK,
        OPTLOCK,
        "relocked at disconnect: {optcr:#010x}"
    );
    let area = option_area(&mut c);
    assert_eq!(area[0], FACTORY_AREA[0], "RDP and the user bits unchanged");
    assert_eq!(area[1], 0x2000_DFFF, "nDBANK = 0 committed");
    // A new client starts with raw option writes refused again.
    assert_eq!(c.ask("M40023c14,4:fdaaffff").as_deref(), Some(REFUSED));
    // The server waits for its client before it stops.
    drop(c);
    server.shutdown().unwrap();
}

#[test]
fn flash_cr_lock_cleared_by_a_client_is_set_again_when_it_leaves() {
    const FLASH_KEYR: u32 = 0x4002_3C04;
    const FLASH_CR: u32 = 0x4002_3C10;
    const LOCK: u32 = 1 << 31;
    let server = start_server(None);
    let addr = server.local_addr();
    let mut c = connect_client(addr);
    for key in [0x4567_0123u32, 0xCDEF_89AB] {
        assert_eq!(
            write_mem(&mut c, FLASH_KEYR, &key.to_le_bytes()).as_deref(),
            Some("OK")
        );
    }
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(cr & LOCK, 0, "the keys unlocked FLASH_CR: {cr:#010x}");
    let (text, _) = monitor(&mut c, "help");
    assert!(
        text.contains("FLASH_CR") && text.contains("LOCK is clear"),
        "{text}"
    );
    drop(c);
    let mut c = connect_client(addr);
    let cr = read_word(&mut c, FLASH_CR);
    assert_eq!(cr & LOCK, LOCK, "LOCK set again at disconnect: {cr:#010x}");
    drop(c);
    server.shutdown().unwrap();
}
