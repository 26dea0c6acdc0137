//! A bank bit left pending: after OPTSTRT without the load, the option register (F7
//! FLASH_OPTCR, G4 and G0 FLASH_OPTR) reads the written value while the chip keeps the flash layout it
//! loaded (reference `stm32f76x-flash.md` §4, `stm32-families.md` §12 notes 2 and 3). The
//! simulators model that, checked here through the real probe-rs stack; erase, `load`, the memory
//! map and the write guard learn the layout from that register, so the engine refuses to leave
//! nDBANK / DBANK pending (`no-reset`) and nothing is written — and an erase afterwards erases the
//! sector or page it names, in the layout the chip runs.

use crate::gdb_support;

use std::time::{Duration, Instant};

use gdb_support::{monitor, packet, read_bytes, RawClient};
use probe_rs::MemoryInterface;
use stm32_opts::gdb::Server;
use stm32_opts::sim::f7::{F7Model, F7Sim};
use stm32_opts::sim::g0::G0Sim;
use stm32_opts::sim::g4::G4Sim;
use stm32_opts::sim::Simulator;

const F767: &str = "STM32F767ZI";
const G474: &str = "STM32G474RE";
const G0B1: &str = "STM32G0B1RE";

/// F7 FLASH registers (RM0410 §3.7).
const F7_OPTKEYR: u64 = 0x4002_3C08;
const F7_SR: u64 = 0x4002_3C0C;
const F7_OPTCR: u64 = 0x4002_3C14;
const F7_NDBANK: u32 = 1 << 29;
const F7_OPTLOCK: u32 = 1;
const F7_OPTSTRT: u32 = 1 << 1;

/// G4 FLASH registers (RM0440 §5.7).
const G4_KEYR: u64 = 0x4002_2008;
const G4_OPTKEYR: u64 = 0x4002_200C;
const G4_SR: u64 = 0x4002_2010;
const G4_CR: u64 = 0x4002_2014;
const G4_OPTR: u64 = 0x4002_2020;
const G4_DBANK: u32 = 1 << 22;
const G4_OPTSTRT: u32 = 1 << 17;

const BSY: u32 = 1 << 16;

fn wait_not_busy(core: &mut probe_rs::Core<'_>, sr: u64) {
    let start = Instant::now();
    while core.read_word_32(sr).unwrap() & BSY != 0 {
        assert!(start.elapsed() < Duration::from_secs(5), "BSY stuck");
        std::thread::sleep(Duration::from_millis(2));
    }
}

fn f7_loaded_dual(sim: &Simulator) -> bool {
    sim.with_model(|m: &mut F7Model| m.flash.dual_bank())
        .unwrap()
}

#[test]
fn f7_optcr_keeps_the_written_ndbank_and_the_chip_its_loaded_bank_mode_until_reset() {
    let sim = Simulator::new(F767).expect("simulated F767ZI");
    let mut session = sim.attach().expect("attach");
    let mut core = session.core(0).unwrap();
    core.halt(Duration::from_millis(500)).unwrap();
    core.write_word_32(F7_OPTKEYR, 0x0819_2A3B).unwrap();
    core.write_word_32(F7_OPTKEYR, 0x4C5D_6E7F).unwrap();
    let optcr = core.read_word_32(F7_OPTCR).unwrap();
    assert_eq!(optcr & (F7_OPTLOCK | F7_NDBANK), F7_NDBANK, "{optcr:#010x}");
    let staged = optcr & !F7_NDBANK;
    core.write_word_32(F7_OPTCR, staged).unwrap();
    core.write_word_32(F7_OPTCR, staged | F7_OPTSTRT).unwrap();
    wait_not_busy(&mut core, F7_SR);
    let after = core.read_word_32(F7_OPTCR).unwrap();
    assert_eq!(
        after, staged,
        "OPTCR keeps the written value, OPTSTRT clear"
    );
    assert_eq!(sim.option_store().unwrap().optcr & F7_NDBANK, 0, "stored");
    assert!(!f7_loaded_dual(&sim), "the chip still runs single bank");
    core.reset_and_halt(Duration::from_secs(2)).unwrap();
    assert!(f7_loaded_dual(&sim), "the reset loads dual bank");
    let loaded = core.read_word_32(F7_OPTCR).unwrap();
    assert_eq!(
        loaded & (F7_NDBANK | F7_OPTLOCK),
        F7_OPTLOCK,
        "{loaded:#010x}"
    );
}

#[test]
fn g4_optr_keeps_the_written_dbank_and_the_chip_its_loaded_bank_mode_until_the_option_load() {
    let sim = Simulator::new(G474).expect("simulated G474RE");
    let mut session = sim.attach().expect("attach");
    let mut core = session.core(0).unwrap();
    core.halt(Duration::from_millis(500)).unwrap();
    core.write_word_32(G4_KEYR, 0x4567_0123).unwrap();
    core.write_word_32(G4_KEYR, 0xCDEF_89AB).unwrap();
    core.write_word_32(G4_OPTKEYR, 0x0819_2A3B).unwrap();
    core.write_word_32(G4_OPTKEYR, 0x4C5D_6E7F).unwrap();
    let optr = core.read_word_32(G4_OPTR).unwrap();
    assert_eq!(optr & G4_DBANK, G4_DBANK, "factory dual bank: {optr:#010x}");
    core.write_word_32(G4_OPTR, optr & !G4_DBANK).unwrap();
    let cr = core.read_word_32(G4_CR).unwrap();
    core.write_word_32(G4_CR, cr | G4_OPTSTRT).unwrap();
    wait_not_busy(&mut core, G4_SR);
    let after = core.read_word_32(G4_OPTR).unwrap();
    assert_eq!(after, optr & !G4_DBANK, "OPTR keeps the written value");
    let store = sim.g4_option_store().unwrap();
    assert_eq!(store.optr & G4_DBANK, 0, "stored");
    assert!(
        sim.with_g4_flash(|f| f.dual_bank()).unwrap(),
        "the chip still runs dual bank until OBL_LAUNCH or power-on"
    );
}

fn serve(sim: &Simulator) -> (stm32_opts::gdb::ServerHandle, RawClient) {
    let session = sim.attach().expect("attach");
    let server = Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server");
    let mut client = RawClient::connect(server.local_addr());
    let hello = client
        .ask("qSupported:multiprocess+;swbreak+;hwbreak+")
        .expect("qSupported");
    assert!(hello.contains("PacketSize"), "{hello}");
    (server, client)
}

fn word(client: &mut RawClient, address: u32) -> u32 {
    let b = read_bytes(client, address, 4);
    u32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// `monitor ndbank false no-reset` on a single-bank F767ZI whose flash holds zeros: refused,
/// nothing written, FLASH_OPTCR still single bank; `monitor erase sector 4` then erases the
/// single-bank sector 4 (128 KB at 0x0802_0000) and says so — not the dual-bank one (64 KB at
/// 0x0801_0000) while the chip erases another.
#[test]
fn f7_ndbank_left_pending_is_refused_and_erase_names_the_sector_the_chip_erases() {
    let sim = Simulator::new(F767).expect("simulated F767ZI");
    sim.with_model(|m: &mut F7Model| {
        let half = m.flash.halves()[0].len();
        let otp = m.flash.otp().to_vec();
        m.flash.restore([vec![0; half], vec![0; half]], otp);
    })
    .unwrap();
    let factory = sim.option_store().unwrap();
    let (server, mut client) = serve(&sim);
    let (refusal, reply) = monitor(&mut client, "ndbank false no-reset");
    assert_eq!(reply, "OK");
    let optcr = word(&mut client, F7_OPTCR as u32);
    let (erased, reply) = monitor(&mut client, "erase sector 4");
    assert_eq!(reply, "OK");
    let at_64k = word(&mut client, 0x0801_0000);
    let at_128k = word(&mut client, 0x0802_0000);
    client.send(&packet("D"));
    drop(client);
    server.shutdown().unwrap();
    let seen = format!(
        "refusal: {refusal}\nOPTCR {optcr:#010x}\nerase: {erased}\n0x0801_0000 = {at_64k:#x}, 0x0802_0000 = {at_128k:#x}"
    );
    assert!(refusal.contains("nDBANK is loaded at once"), "{seen}");
    assert!(refusal.contains("without `no-reset`"), "{seen}");
    assert!(refusal.contains("option bytes unchanged"), "{seen}");
    assert_eq!(sim.option_store().unwrap(), factory, "{seen}");
    assert_eq!(optcr & F7_NDBANK, F7_NDBANK, "{seen}");
    assert!(!f7_loaded_dual(&sim), "{seen}");
    assert!(erased.contains("128 KB at 0x08020000"), "{seen}");
    assert_eq!((at_64k, at_128k), (0, 0xFFFF_FFFF), "{seen}");
}

/// `monitor bank single no-reset` on a dual-bank G474RE whose flash holds zeros: refused,
/// nothing written, FLASH_OPTR still dual bank; `monitor erase page 1` then erases the dual-bank
/// page 1 (2 KB at 0x0800_0800) and says so — not the single-bank one (4 KB at 0x0800_1000)
/// while the chip erases another.
#[test]
fn g4_dbank_left_pending_is_refused_and_erase_names_the_page_the_chip_erases() {
    let sim = Simulator::new(G474).expect("simulated G474RE");
    sim.with_g4_flash(|f| {
        let zeros = vec![0; f.array().len()];
        f.restore_array(&zeros);
    })
    .unwrap();
    let factory = sim.g4_option_store().unwrap();
    let (server, mut client) = serve(&sim);
    let (refusal, reply) = monitor(&mut client, "bank single no-reset");
    assert_eq!(reply, "OK");
    let optr = word(&mut client, G4_OPTR as u32);
    let (erased, reply) = monitor(&mut client, "erase page 1");
    assert_eq!(reply, "OK");
    let at_2k = word(&mut client, 0x0800_0800);
    let at_4k = word(&mut client, 0x0800_1000);
    client.send(&packet("D"));
    drop(client);
    server.shutdown().unwrap();
    let seen = format!(
        "refusal: {refusal}\nOPTR {optr:#010x}\nerase: {erased}\n0x0800_0800 = {at_2k:#x}, 0x0800_1000 = {at_4k:#x}"
    );
    assert!(refusal.contains("DBANK is loaded at once"), "{seen}");
    assert!(refusal.contains("without `no-reset`"), "{seen}");
    assert!(refusal.contains("option bytes unchanged"), "{seen}");
    assert_eq!(sim.g4_option_store().unwrap(), factory, "{seen}");
    assert_eq!(optr & G4_DBANK, G4_DBANK, "{seen}");
    assert!(sim.with_g4_flash(|f| f.dual_bank()).unwrap(), "{seen}");
    assert!(erased.contains("2 KB at 0x08000800"), "{seen}");
    assert_eq!((at_2k, at_4k), (0xFFFF_FFFF, 0), "{seen}");
}

/// A bank switch whose OPTSTRT fails (error flags injected) leaves the staged bank bit in the
/// option register and the store unchanged: the tool cannot tell which layout the chip runs from
/// the register, sees it differ from the stored option bytes, and refuses to erase or program
/// until a reset / option load settles it.
fn refused_after_a_failed_switch(sim: &Simulator, switch: &str, erase: &str, says: &str) {
    let (server, mut client) = serve(sim);
    let (failed, reply) = monitor(&mut client, switch);
    assert_eq!(reply, "OK");
    assert!(failed.contains("error: "), "{failed}");
    let (refused, reply) = monitor(&mut client, erase);
    assert_eq!(reply, "OK");
    let flash_erase = client.ask("vFlashErase:08000000,800").unwrap_or_default();
    client.send(&packet("D"));
    drop(client);
    server.shutdown().unwrap();
    let seen = format!("switch: {failed}\nerase: {refused}\nvFlashErase: {flash_erase}");
    assert!(refused.contains(says), "{seen}");
    assert!(refused.contains("nothing was erased or written"), "{seen}");
    assert!(flash_erase.starts_with('E'), "{seen}");
}

#[test]
fn f7_erase_and_load_refuse_a_bank_mode_left_staged_by_a_failed_switch() {
    let sim = Simulator::new(F767).expect("simulated F767ZI");
    let factory = sim.option_store().unwrap();
    sim.inject_flash_faults(stm32_opts::sim::f7::FlashFaults {
        optstrt_error_flags: 1 << 6,
        ..Default::default()
    })
    .unwrap();
    refused_after_a_failed_switch(
        &sim,
        "ndbank false",
        "erase sector 4",
        "FLASH_OPTCR.nDBANK = 0 differs from the option bytes at 0x1FFF_0000 (nDBANK = 1)",
    );
    assert_eq!(sim.option_store().unwrap(), factory);
    assert!(!f7_loaded_dual(&sim));
}

#[test]
fn g4_erase_and_load_refuse_a_bank_mode_left_staged_by_a_failed_switch() {
    let sim = Simulator::new(G474).expect("simulated G474RE");
    let factory = sim.g4_option_store().unwrap();
    sim.with_g4_flash(|f| f.faults.optstrt_error_flags = 1 << 4)
        .unwrap();
    refused_after_a_failed_switch(
        &sim,
        "bank single",
        "erase page 1",
        "FLASH_OPTR.DBANK = 0 differs from the option bytes at 0x1FFF_7800 (DBANK = 1)",
    );
    assert_eq!(sim.g4_option_store().unwrap(), factory);
    assert!(sim.with_g4_flash(|f| f.dual_bank()).unwrap());
}

#[test]
fn g0_erase_and_load_refuse_a_mapping_left_staged_by_a_failed_swap() {
    let sim = Simulator::new(G0B1).expect("simulated G0B1RE");
    let factory = sim.g0_option_store().unwrap();
    sim.with_g0_flash(|f| f.faults.optstrt_error_flags = 1 << 4)
        .unwrap();
    refused_after_a_failed_switch(
        &sim,
        "swap on",
        "erase page 1",
        "FLASH_OPTR (DUAL_BANK = 1, nSWAP_BANK = 0) differs from the option bytes at 0x1FFF_7800 (DUAL_BANK = 1, nSWAP_BANK = 1)",
    );
    assert_eq!(sim.g0_option_store().unwrap(), factory);
    assert!(!sim.with_g0_flash(|f| f.swapped()).unwrap());
}
