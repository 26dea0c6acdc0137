//! Bad input: mistyped monitor commands, monitor commands while the core runs, clients that
//! vanish mid-command, malformed packets and a second client. The server must stay up and
//! the chip must be in the expected state afterwards.

use crate::gdb_support;

use std::io::Write;
use std::net::SocketAddr;
use std::time::Duration;

use gdb_support::*;

const FLASH_OPTCR: u32 = 0x4002_3C14;
const DHCSR: u32 = 0xE000_EDF0;
const S_HALT: u32 = 1 << 17;

fn read_word(c: &mut RawClient, addr: u32) -> u32 {
    let r = c.ask(&format!("m{addr:x},4")).expect("memory reply");
    let b = hex_decode(&r);
    assert_eq!(b.len(), 4, "reply {r}");
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

fn handshake(addr: SocketAddr) -> RawClient {
    // The server notices a vanished client when its socket closes; until then a new client is
    // refused. Retry for a bounded time.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let (mut c, r) = loop {
        let mut c = RawClient::connect(addr);
        let r = c
            .ask("qSupported:multiprocess+;swbreak+;hwbreak+")
            .expect("qSupported");
        if !r.starts_with("E.") || std::time::Instant::now() > deadline {
            break (c, r);
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let _ = &mut c;
    assert!(r.contains("PacketSize=4000"), "{r}");
    assert!(r.contains("qXfer:memory-map:read+"), "{r}");
    c
}

#[test]
fn mistyped_monitor_commands_change_nothing() {
    let server = start_server(None);
    let mut c = handshake(server.local_addr());
    let optcr = read_word(&mut c, FLASH_OPTCR);
    for bad in [
        "frobnicate",
        "ndbank maybe",
        "ndbank true false",
        "optbytes set",
        "optbytes set nDBANK",
        "optbytes set NOSUCHFIELD=1",
        "optbytes set RDP=0xCC",
        "optbytes set RDP=0xCC yes",
        "reset sideways",
    ] {
        let (text, reply) = monitor(&mut c, bad);
        assert_eq!(reply, "OK", "{bad}");
        assert!(!text.is_empty(), "{bad}: no explanation");
        assert_eq!(
            read_word(&mut c, FLASH_OPTCR),
            optcr,
            "{bad} changed FLASH_OPTCR"
        );
    }
    let (text, _) = monitor(&mut c, "frobnicate");
    assert!(
        text.contains("usage") && text.contains("monitor ndbank"),
        "{text}"
    );
    let (text, _) = monitor(&mut c, "optbytes set RDP=0xCC yes");
    assert!(text.contains("permanent-rdp2"), "{text}");
    let (text, reply) = monitor_raw(&mut c, &[0xff, 0xfe, b'x']);
    assert_eq!(reply, "OK");
    assert!(text.contains("plain text"), "{text}");
    // Dry run shows the change and writes nothing.
    let (text, _) = monitor(&mut c, "optbytes set nDBANK=0 dry-run");
    assert!(text.contains("Dry run: nothing was written"), "{text}");
    assert_eq!(read_word(&mut c, FLASH_OPTCR), optcr);
    // The session is still usable.
    assert!(c.ask("?").unwrap().starts_with('S') || c.ask("?").unwrap().starts_with('T'));
    c.send(&packet("D"));
    drop(c);
    // The same through gdb-multiarch.
    let run = batch(
        server.local_addr(),
        None,
        &cmds(&[
            "monitor nosuchcommand",
            "monitor ndbank 7",
            "echo @@ALIVE\\n",
            "monitor ndbank",
            "detach",
        ]),
    );
    assert!(run.text.contains("unknown command"), "{}", run.text);
    assert!(run.text.contains("@@ALIVE"), "{}", run.text);
    assert!(run.text.contains("nDBANK = true"), "{}", run.text);
    server.shutdown().unwrap();
}

#[test]
fn monitor_commands_while_the_core_runs_restore_the_run_state() {
    let server = start_server(None);
    let mut c = handshake(server.local_addr());
    // A tight loop ("b ." = 0xE7FE) in RAM, started with a continue.
    assert_eq!(c.ask("M20000000,2:fee7").as_deref(), Some("OK"));
    assert_eq!(c.ask("P0f=00000020").as_deref(), Some("OK"));
    c.send(&packet("vCont;c"));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(read_word(&mut c, DHCSR) & S_HALT, 0, "core should run");
    // Monitor commands arriving now halt the core, do their work and let it run again.
    let (text, r) = monitor(&mut c, "ndbank");
    assert_eq!(r, "OK");
    assert!(text.contains("nDBANK = true"), "{text}");
    assert_eq!(
        read_word(&mut c, DHCSR) & S_HALT,
        0,
        "ndbank must leave it running"
    );
    let (text, _) = monitor(&mut c, "optbytes");
    assert!(text.contains("nDBANK"), "{text}");
    assert_eq!(
        read_word(&mut c, DHCSR) & S_HALT,
        0,
        "optbytes must leave it running"
    );
    let (text, _) = monitor(&mut c, "nosuchcommand");
    assert!(text.contains("usage"), "{text}");
    assert_eq!(read_word(&mut c, DHCSR) & S_HALT, 0);
    // `monitor halt` stops it, and GDB gets the stop it is waiting for.
    let (text, _) = monitor(&mut c, "halt");
    assert!(text.contains("halted"), "{text}");
    let stop = c.reply().expect("stop reply");
    c.send(b"+");
    assert!(stop.starts_with("S02") || stop.starts_with("T02"), "{stop}");
    assert_ne!(read_word(&mut c, DHCSR) & S_HALT, 0);
    // Halted: the switch leaves it halted (reset and halt), locked and in dual bank.
    let (text, _) = monitor(&mut c, "ndbank false");
    assert!(!text.contains("error"), "{text}");
    assert!(text.contains("run") && text.contains("reconnect"), "{text}");
    let optcr = read_word(&mut c, FLASH_OPTCR);
    assert_eq!(optcr & (1 << 29), 0, "dual bank now: {optcr:#010x}");
    assert_eq!(optcr & 1, 1, "OPTLOCK set: {optcr:#010x}");
    assert_ne!(
        read_word(&mut c, DHCSR) & S_HALT,
        0,
        "halted after the switch"
    );
    c.send(&packet("D"));
    server.shutdown().unwrap();
}

#[test]
fn clients_that_vanish_leave_the_server_up() {
    let server = start_server(None);
    let addr = server.local_addr();

    // 1. Gone while the core runs: the next client finds it halted.
    let mut c = handshake(addr);
    assert_eq!(c.ask("M20000000,2:fee7").as_deref(), Some("OK"));
    assert_eq!(c.ask("P0f=00000020").as_deref(), Some("OK"));
    c.send(&packet("vCont;c"));
    std::thread::sleep(Duration::from_millis(200));
    drop(c);

    // 2. Gone in the middle of a monitor command that programs option bytes.
    let mut c = handshake(addr);
    let hex: String = "ndbank false".bytes().map(|b| format!("{b:02x}")).collect();
    c.send(&packet(&format!("qRcmd,{hex}")));
    drop(c);

    // 3. Gone in the middle of a load (no vFlashDone).
    let mut c = handshake(addr);
    assert_eq!(c.ask("vFlashErase:08000000,4000").as_deref(), Some("OK"));
    c.send(b"$vFlashWrite:8000000:");
    let _ = c.stream.write_all(&[0x12, 0x34]);
    drop(c);

    // The server is up; the option registers are locked again and the core is halted.
    let mut c = handshake(addr);
    let optcr = read_word(&mut c, FLASH_OPTCR);
    assert_eq!(
        optcr & 1,
        1,
        "OPTLOCK must be set, FLASH_OPTCR = {optcr:#010x}"
    );
    assert_ne!(read_word(&mut c, DHCSR) & S_HALT, 0, "core halted");
    let (text, _) = monitor(&mut c, "ndbank");
    assert!(text.contains("nDBANK = "), "{text}");
    c.send(&packet("D"));
    server.shutdown().unwrap();
}

#[test]
fn malformed_packets_and_a_second_client() {
    let server = start_server(None);
    let addr = server.local_addr();
    let mut c = handshake(addr);

    // Stray bytes, a bad checksum, an over-long packet: refused, the session goes on.
    c.send(b"garbage\r\n");
    c.send(b"$g#00");
    let mut long = b"$M20000000,4000:".to_vec();
    long.extend(std::iter::repeat_n(b'0', 40_000));
    long.extend_from_slice(b"#00");
    c.send(&long);
    assert_eq!(
        c.reply().as_deref(),
        Some("E01"),
        "over-long packet refused"
    );
    let r = c.ask("m8000000,4").expect("still answering");
    assert_eq!(r.len(), 8, "{r}");
    // Unknown packets get the empty reply.
    assert_eq!(c.ask("qNoSuchThing").as_deref(), Some(""));

    // A second client while this one is connected is an observer: it reads, and what would
    // change the chip is refused with a reply that says why, without ending either session.
    let mut second = handshake(addr);
    assert_eq!(second.ask("m8000000,4").unwrap().len(), 8);
    let refusal = second
        .ask("M20000000,4:00000000")
        .expect("a refusal, not a hang");
    assert!(refusal.starts_with("E."), "{refusal}");
    assert!(refusal.contains("another GDB client"), "{refusal}");
    assert_eq!(second.ask("m8000000,4").unwrap().len(), 8);
    drop(second);
    // The first client is unaffected.
    assert_eq!(c.ask("m8000000,4").unwrap().len(), 8);

    // A well-framed but meaningless packet ends this session (gdbstub), not the server.
    c.send(&packet("mzz,zz"));
    std::thread::sleep(Duration::from_millis(300));
    drop(c);
    let mut c = handshake(addr);
    assert_eq!(c.ask("m8000000,4").unwrap().len(), 8);
    c.send(&packet("D"));
    drop(c);

    // gdb-multiarch still works afterwards.
    let run = batch(
        addr,
        None,
        &cmds(&["echo @@OK\\n", "x/wx 0x40023C14", "detach"]),
    );
    assert!(run.text.contains("@@OK"), "{}", run.text);
    assert!(run.text.contains("0x40023c14"), "{}", run.text);
    server.shutdown().unwrap();
}
