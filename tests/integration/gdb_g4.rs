//! gdb-multiarch in batch mode against the GDB server on a simulated STM32G474RE: the memory map
//! follows the live DBANK, `load` + `compare-sections` with the probe-rs algorithm of the mode
//! where one exists and through the FLASH registers where none does (single bank, 4 KB pages),
//! the monitor's bank and option-byte commands, and the Cortex-M4F register set.

use crate::gdb_support;

use gdb_support::*;
use stm32_opts::gdb::Server;
use stm32_opts::sim::g4::G4Sim;
use stm32_opts::sim::Simulator;

const G474: &str = "STM32G474RE";
/// FLASH_OPTR.DBANK (bit 22).
const DBANK: u32 = 1 << 22;

#[test]
fn dual_bank_map_load_and_registers() {
    let server = start_server(Some(G474));
    let run = batch(
        server.local_addr(),
        Some(&firmware()),
        &cmds(&[
            "echo @@BANK\\n",
            "monitor bank",
            "echo @@OPTBYTES\\n",
            "monitor optbytes",
            "echo @@NDBANK\\n",
            "monitor ndbank",
            "echo @@MEM\\n",
            "info mem",
            "echo @@LOAD\\n",
            "load",
            "compare-sections",
            "echo @@REGS\\n",
            "p/x $pc",
            "p $s0",
            "p/x $d0",
            "p/x $fpscr",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;
    let s = section(t, "@@BANK", "@@OPTBYTES");
    assert!(s.contains("bank mode: dual (DBANK = 1"), "{t}");
    let s = section(t, "@@OPTBYTES", "@@NDBANK");
    assert!(s.contains("FLASH_OPTR   = 0xffeff8aa"), "{t}");
    let s = section(t, "@@NDBANK", "@@MEM");
    assert!(s.contains("has no nDBANK"), "{t}");
    let s = section(t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08000000 0x08040000 flash blocksize 0x800"),
        "{s}"
    );
    assert!(
        s.contains("0x08040000 0x08080000 flash blocksize 0x800"),
        "{s}"
    );
    let s = section(t, "@@LOAD", "@@REGS");
    assert!(s.contains("Transfer rate"), "{s}");
    assert!(s.contains("matched"), "{s}");
    assert!(!s.contains("MIS-MATCHED"), "{s}");
    let s = section(t, "@@REGS", "@@END");
    assert!(s.contains("$1 = 0x"), "{s}");
    assert!(!s.contains("Invalid register"), "{s}");
    server.shutdown().unwrap();
}

#[test]
fn monitor_bank_single_then_4_kb_pages_and_load_is_host_driven() {
    let sim = Simulator::new(G474).expect("simulated G474RE");
    let session = sim.attach().expect("attach");
    let server = Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server");
    let addr = server.local_addr();
    let run = batch(
        addr,
        Some(&firmware()),
        &cmds(&[
            "echo @@SWITCH\\n",
            "monitor bank single",
            "echo @@BANK\\n",
            "monitor bank",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;
    let s = section(t, "@@SWITCH", "@@BANK");
    assert!(s.contains("OBL_LAUNCH"), "{t}");
    assert!(s.contains("re-attaching"), "{t}");
    assert!(s.contains("loaded by OBL_LAUNCH"), "{t}");
    let s = section(t, "@@BANK", "@@END");
    assert!(s.contains("bank mode: single (DBANK = 0"), "{t}");
    assert_eq!(sim.g4_option_store().unwrap().optr & DBANK, 0);

    // Old content: page 0 (4 KB) holds stale bytes past the firmware, page 1 a marker.
    sim.with_g4_flash(|f| {
        let mut array = f.array().to_vec();
        array[..0x1000].fill(0x5A);
        array[0x1000..0x2000].fill(0xA5);
        f.restore_array(&array);
    })
    .unwrap();

    // A new GDB connection reads the single-bank map; load programs through the FLASH
    // registers (probe-rs has no algorithm with 4 KB pages).
    let run = batch(
        addr,
        Some(&firmware()),
        &cmds(&[
            "echo @@MEM\\n",
            "info mem",
            "echo @@LOAD\\n",
            "load",
            "compare-sections",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;
    let s = section(t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08000000 0x08080000 flash blocksize 0x1000"),
        "{t}"
    );
    let s = section(t, "@@LOAD", "@@END");
    assert!(s.contains("Transfer rate"), "{t}");
    assert!(s.contains("matched") && !s.contains("MIS-MATCHED"), "{t}");
    let array = sim.with_g4_flash(|f| f.array().to_vec()).unwrap();
    assert_ne!(array[..4], [0xFF; 4], "the firmware is in flash");
    assert_eq!(
        array[0x800..0x1000],
        [0xFF; 0x800],
        "all of the 4 KB page 0 was erased"
    );
    assert_eq!(array[0x1000..0x2000], [0xA5; 0x1000], "page 1 intact");

    // Back to dual bank: load + compare-sections with the probe-rs algorithm.
    let run = batch(
        addr,
        Some(&firmware()),
        &cmds(&["monitor bank dual", "detach"]),
    );
    assert!(run.text.contains("loaded by OBL_LAUNCH"), "{}", run.text);
    let run = batch(
        addr,
        Some(&firmware()),
        &cmds(&[
            "echo @@MEM\\n",
            "info mem",
            "echo @@LOAD\\n",
            "load",
            "compare-sections",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;
    let s = section(t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08040000 0x08080000 flash blocksize 0x800"),
        "{t}"
    );
    let s = section(t, "@@LOAD", "@@END");
    assert!(s.contains("matched") && !s.contains("MIS-MATCHED"), "{t}");
    server.shutdown().unwrap();
}

#[test]
fn monitor_bank_no_reset_is_refused_other_fields_stay_pending() {
    let sim = Simulator::new(G474).expect("simulated G474RE");
    let session = sim.attach().expect("attach");
    let server = Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server");
    let run = batch(
        server.local_addr(),
        None,
        &cmds(&[
            "echo @@BANK\\n",
            "monitor bank single no-reset",
            "echo @@BOR\\n",
            "monitor optbytes set BOR_LEV=2 no-reset",
            "echo @@MEM\\n",
            "info mem",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;
    let s = section(t, "@@BANK", "@@BOR");
    assert!(s.contains("DBANK is loaded at once (OBL_LAUNCH)"), "{t}");
    assert!(s.contains("change DBANK without `no-reset`"), "{t}");
    let s = section(t, "@@BOR", "@@MEM");
    assert!(s.contains("pending until the next option load"), "{t}");
    let s = section(t, "@@MEM", "@@END");
    assert!(
        s.contains("0x08040000 0x08080000 flash blocksize 0x800"),
        "{t}"
    );
    server.shutdown().unwrap();
    let optr = sim.g4_option_store().unwrap().optr;
    assert_eq!(optr & DBANK, DBANK, "DBANK untouched: {optr:#010x}");
    assert_eq!((optr >> 8) & 7, 2, "BOR_LEV pending: {optr:#010x}");
}
