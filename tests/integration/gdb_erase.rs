//! `monitor erase` through gdb-multiarch on the simulated chip, in both bank modes: the named
//! sectors read back erased (0xFF), the others keep their contents, and bad arguments are
//! refused with nothing changed.

use crate::gdb_support;

use gdb_support::*;
use stm32_opts::gdb::Server;
use stm32_opts::sim::Simulator;

/// Programs 64 bytes of a distinct pattern at each address (single-bank algorithm).
fn program(sim: &Simulator, addresses: &[u32]) {
    let mut session = sim.attach().unwrap();
    let mut loader = session.target().flash_loader();
    for (n, &a) in addresses.iter().enumerate() {
        let data: Vec<u8> = (0..64u8)
            .map(|i| i.wrapping_mul(7) ^ (n as u8 + 1))
            .collect();
        loader.add_data(a.into(), &data).unwrap();
    }
    let mut options = probe_rs::flashing::DownloadOptions::default();
    options.verify = true;
    loader.commit(&mut session, options).unwrap();
}

fn read_words(tag: &str) -> Vec<String> {
    vec![
        format!("echo @@{tag}\\n"),
        "printf \"s0=%#x s1=%#x s2=%#x\\n\", *(unsigned int *)0x08000000, *(unsigned int *)0x08008000, *(unsigned int *)0x08010000".into(),
    ]
}

#[test]
fn erase_in_single_then_dual_bank_mode() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    // Sectors 0, 1 and 2 of the single-bank layout (32 KB each).
    program(&sim, &[0x0800_0000, 0x0800_8000, 0x0801_0000]);
    let server = Server::bind(sim.attach().unwrap(), "127.0.0.1:0".parse().unwrap())
        .unwrap()
        .spawn()
        .unwrap();
    let mut commands = read_words("BEFORE");
    commands.extend(cmds(&[
        "echo @@BAD\\n",
        "monitor erase bank1",
        "monitor erase sector 12",
        "monitor erase sector",
        "monitor erase everything",
    ]));
    commands.extend(read_words("AFTERBAD"));
    commands.extend(cmds(&[
        "monitor reset run",
        "echo @@ERASE\\n",
        "monitor erase sector 1",
        "monitor halt",
    ]));
    commands.extend(read_words("AFTERERASE"));
    commands.extend(cmds(&[
        "echo @@SWITCH\\n",
        "monitor ndbank false",
        "printf \"b1=%#x b2=%#x b2s13=%#x\\n\", *(unsigned int *)0x08000000, *(unsigned int *)0x08100000, *(unsigned int *)0x08104000",
        "echo @@BANK2\\n",
        "monitor erase bank2",
        "printf \"b1=%#x b2=%#x b2end=%#x\\n\", *(unsigned int *)0x08000000, *(unsigned int *)0x08100000, *(unsigned int *)0x081FFFFC",
        "echo @@DUALSECTOR\\n",
        "monitor erase sector 24",
        "monitor erase sector 0",
        "printf \"b1=%#x\\n\", *(unsigned int *)0x08000000",
        "echo @@WRP\\n",
        "monitor optbytes set nWRP=0xFFE",
        "monitor erase sector 1",
        "monitor erase all",
        "echo @@END\\n",
    ]));
    let run = batch(server.local_addr(), None, &commands);
    assert!(run.success, "{}", run.text);
    let text = &run.text;

    let before = section(text, "@@BEFORE", "@@BAD");
    let (s0, s1, s2) = (
        word_of(before, "s0"),
        word_of(before, "s1"),
        word_of(before, "s2"),
    );
    assert!([s0, s1, s2].iter().all(|&w| w != 0xFFFF_FFFF), "{before}");

    let bad = section(text, "@@BAD", "@@AFTERBAD");
    assert!(
        bad.contains("bank1 needs dual-bank mode, but the chip is in single-bank mode"),
        "{bad}"
    );
    assert!(
        bad.contains("there is no sector 12 in this layout"),
        "{bad}"
    );
    assert!(bad.contains("valid sectors: 0-11"), "{bad}");
    assert!(bad.contains("sector needs a number"), "{bad}");
    assert!(bad.contains("`everything` is not an erase target"), "{bad}");
    let after_bad = section(text, "@@AFTERBAD", "@@ERASE");
    assert_eq!(
        (
            word_of(after_bad, "s0"),
            word_of(after_bad, "s1"),
            word_of(after_bad, "s2")
        ),
        (s0, s1, s2),
        "refused commands change nothing"
    );

    let erase = section(text, "@@ERASE", "@@AFTERERASE");
    assert!(
        erase.contains("erased sector 1 (32 KB at 0x08008000, bank 1) [1/1]"),
        "{erase}"
    );
    assert!(erase.contains("1 sector(s) erased; core halted"), "{erase}");
    // The core was running; the erase halted it and left it halted.
    assert!(erase.contains("already halted at pc"), "{erase}");
    let after = section(text, "@@AFTERERASE", "@@SWITCH");
    assert_eq!(
        (
            word_of(after, "s0"),
            word_of(after, "s1"),
            word_of(after, "s2")
        ),
        (s0, 0xFFFF_FFFF, s2)
    );

    // After the switch the halves of the old single-bank rows are the two banks: bank 2 holds
    // data too, so erasing it shows.
    let switched = section(text, "@@SWITCH", "@@BANK2");
    let b1 = word_of(switched, "b1");
    assert_ne!(word_of(switched, "b2"), 0xFFFF_FFFF, "{switched}");
    let bank2 = section(text, "@@BANK2", "@@DUALSECTOR");
    assert!(
        bank2.contains("erased sector 12 (16 KB at 0x08100000, bank 2) [1/12]"),
        "{bank2}"
    );
    assert!(
        bank2.contains("erased sector 23 (128 KB at 0x081e0000, bank 2) [12/12]"),
        "{bank2}"
    );
    assert_eq!(word_of(bank2, "b1"), b1, "bank 1 intact: {bank2}");
    assert_eq!(word_of(bank2, "b2"), 0xFFFF_FFFF);
    assert_eq!(word_of(bank2, "b2end"), 0xFFFF_FFFF);

    let dual = section(text, "@@DUALSECTOR", "@@WRP");
    assert!(dual.contains("valid sectors: 0-11, 12-23"), "{dual}");
    assert!(
        dual.contains("erased sector 0 (16 KB at 0x08000000, bank 1) [1/1]"),
        "{dual}"
    );
    assert_eq!(word_of(dual, "b1"), 0xFFFF_FFFF);

    // nWRP bit 0 guards sectors 0 and 1 in dual-bank mode: refused before anything is erased.
    let wrp = section(text, "@@WRP", "@@END");
    assert!(
        wrp.contains("sector 1 is write-protected (nWRP bit clear); nothing erased"),
        "{wrp}"
    );
    assert!(wrp.contains("sectors 0, 1 are write-protected"), "{wrp}");
    assert!(!wrp.contains("erased sector"), "{wrp}");
}
