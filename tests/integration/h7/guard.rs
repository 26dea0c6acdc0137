//! The write guard on a simulated STM32H743, through the real server: raw GDB packets over TCP,
//! the chip checked afterwards from a new client or from the simulator. Flash packets outside the
//! main flash of the mapping in force (the hole of a 1 MB part, system memory) and memory writes
//! into flash or the FLASH option registers are refused with nothing written; allowed raw writes
//! never stage RDP = 0xCC or SECURITY = 1 in FLASH_OPTSR_PRG nor start OPTSTART with them
//! staged, and OPTLOCK and LOCK they left clear are set again at disconnect.

use crate::gdb_support::*;
use stm32_opts::gdb::{Server, ServerHandle};
use stm32_opts::sim::h7::{H7Model, H7Sim};
use stm32_opts::sim::Simulator;

const FLASH_KEYR1: u32 = 0x5200_2004;
const FLASH_OPTKEYR: u32 = 0x5200_2008;
const FLASH_CR1: u32 = 0x5200_200C;
const FLASH_OPTCR: u32 = 0x5200_2018;
const FLASH_OPTSR_PRG: u32 = 0x5200_2020;
/// The factory OPTSR of the simulated store (RDP 0xAA in bits 15:8).
const FACTORY_OPTSR: u32 = 0x0006_AAD0;
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

fn erased(sim: &Simulator) -> bool {
    sim.with_model(|m: &mut H7Model| m.flash.array().iter().all(|&b| b == 0xFF))
        .unwrap()
}

#[test]
fn flash_packets_and_memory_writes_outside_the_rules_are_refused() {
    let sim = Simulator::new("STM32H743ZG").expect("simulated H743ZG");
    let server = serve(&sim);
    let mut c = connect_client(server.local_addr());
    for (head, data) in [
        ("vFlashWrite:8080000:", &[0u8; 32][..]),
        ("vFlashWrite:1ff00000:", &[0u8; 32][..]),
        ("vFlashWrite:8200000:", &[0u8; 32][..]),
    ] {
        assert_eq!(
            ask_binary(&mut c, head, data).as_deref(),
            Some(REFUSED),
            "{head}"
        );
        assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED), "{head}");
    }
    assert_eq!(c.ask("vFlashErase:8060000,40000").as_deref(), Some(REFUSED));
    assert_eq!(c.ask("vFlashDone").as_deref(), Some(REFUSED));
    let text = monitor(&mut c, "help").0;
    for expected in [
        "at 0x0808_0000 refused: that is the unmapped hole between flash bank 1 and bank 2",
        "at 0x1FF0_0000 refused: that is read-only system memory",
        "runs past the end of flash bank 1 at 0x0808_0000",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    for (address, data) in [
        (0x0800_0000, &[0u8; 4][..]),
        (0x0810_0000, &[0u8; 4][..]),
        (FLASH_OPTKEYR, &0x0819_2A3Bu32.to_le_bytes()[..]),
        (FLASH_KEYR1, &0x4567_0123u32.to_le_bytes()[..]),
        (
            FLASH_OPTSR_PRG,
            &(FACTORY_OPTSR | 1 << 31).to_le_bytes()[..],
        ),
        (0x1FF1_E880, &[0u8; 2][..]),
    ] {
        assert_eq!(
            write_mem(&mut c, address, data).as_deref(),
            Some(REFUSED),
            "{address:#x}"
        );
    }
    let text = monitor(&mut c, "help").0;
    for expected in [
        "memory write at 0x0810_0000 refused: that is flash",
        "memory write to FLASH_OPTKEYR",
        "`monitor swap on|off`",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
    assert_eq!(
        write_mem(&mut c, 0x2400_0000, &[1, 2, 3, 4]).as_deref(),
        Some("OK")
    );
    drop(c);
    server.shutdown().unwrap();
    assert!(erased(&sim), "a refused packet reached flash");
    assert_eq!(sim.h7_option_store().unwrap().optsr, FACTORY_OPTSR);
}

#[test]
fn allowed_raw_option_writes_never_reach_rdp_level_2_and_the_locks_are_set_again() {
    let sim = Simulator::new("STM32H743ZI").expect("simulated H743ZI");
    let server = serve(&sim);
    let addr = server.local_addr();
    let mut c = connect_client(addr);
    let (_, reply) = monitor(&mut c, "raw-option-writes allow");
    assert_eq!(reply, "OK");
    for (register, keys) in [
        (FLASH_OPTKEYR, [0x0819_2A3Bu32, 0x4C5D_6E7F]),
        (FLASH_KEYR1, [0x4567_0123, 0xCDEF_89AB]),
    ] {
        for key in keys {
            assert_eq!(
                write_mem(&mut c, register, &key.to_le_bytes()).as_deref(),
                Some("OK")
            );
        }
    }
    assert_eq!(read_word(&mut c, FLASH_OPTCR) & 1, 0, "OPTLOCK clear");
    assert_eq!(read_word(&mut c, FLASH_CR1) & 1, 0, "LOCK clear");
    // RDP = 0xCC as a word and as the byte at bits 15:8.
    let level2 = (FACTORY_OPTSR & !0xFF00) | 0xCC00;
    assert_eq!(
        write_mem(&mut c, FLASH_OPTSR_PRG, &level2.to_le_bytes()).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(
        write_mem(&mut c, FLASH_OPTSR_PRG + 1, &[0xCC]).as_deref(),
        Some(REFUSED)
    );
    // SECURITY = 1, treated as permanent like RDP level 2.
    let security = FACTORY_OPTSR | 1 << 21;
    assert_eq!(
        write_mem(&mut c, FLASH_OPTSR_PRG, &security.to_le_bytes()).as_deref(),
        Some(REFUSED)
    );
    assert_eq!(
        read_word(&mut c, FLASH_OPTSR_PRG),
        FACTORY_OPTSR,
        "nothing staged"
    );
    let text = monitor(&mut c, "help").0;
    assert!(
        text.contains("memory write to FLASH_OPTSR_PRG refused")
            && text.contains("RDP = 0xCC")
            && text.contains("SECURITY = 1 (secure access mode), treated as permanent"),
        "{text}"
    );
    drop(c);
    // A new client finds OPTLOCK and LOCK set again; the store never changed.
    let mut c = connect_client(addr);
    assert_eq!(read_word(&mut c, FLASH_OPTCR) & 1, 1, "OPTLOCK set again");
    assert_eq!(read_word(&mut c, FLASH_CR1) & 1, 1, "LOCK set again");
    drop(c);
    server.shutdown().unwrap();
    let store = sim.h7_option_store().unwrap();
    assert_eq!(store.optsr, FACTORY_OPTSR);
    assert_eq!(store.rdp(), 0xAA);
}
