//! GDB/MI on the simulated STM32G474RE: what VS Code cortex-debug sends to an external GDB server
//! (connect, `monitor bank`, `monitor reset halt`, `-target-download`, breakpoint, continue,
//! pause, detach), with the example firmware linked for G4 memory (`firmware-g4.elf`).

use crate::gdb_support;

use std::path::{Path, PathBuf};

use gdb_support::*;

const G474: &str = "STM32G474RE";
const FUNC: &str = "tick";
/// FLASH_OPTR, in the G4's FLASH register block at 0x4002_2000.
const FLASH_OPTR: u32 = 0x4002_2020;

fn firmware_g4() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/firmware/firmware-g4.elf")
}

fn done(r: &[String]) -> bool {
    r.last().is_some_and(|l| l.contains("^done"))
}

/// The value of `-data-evaluate-expression EXPR` as a number.
fn evaluate(mi: &mut Mi, expr: &str) -> u64 {
    let r = mi.cmd(&format!("-data-evaluate-expression \"{expr}\""));
    let last = r.last().unwrap();
    let value = last
        .split("value=\"")
        .nth(1)
        .and_then(|v| v.split('"').next())
        .unwrap_or_else(|| panic!("{expr}: {r:?}"));
    value.parse().unwrap_or_else(|_| panic!("{expr} = {value}"))
}

/// Continues to the next `*stopped` record and returns it.
fn continue_to_stop(mi: &mut Mi) -> String {
    let r = mi.cmd("-exec-continue --all");
    assert!(r.last().unwrap().contains("^running"), "{r:?}");
    mi.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT)
        .pop()
        .unwrap()
}

#[test]
fn cortex_debug_external_launch_sequence_on_g474() {
    let server = start_server(Some(G474));
    let addr = server.local_addr();
    let elf = firmware_g4();
    let elf = elf.to_string_lossy();

    let mut mi = Mi::start();
    for c in [
        "-enable-pretty-printing",
        "-gdb-set mi-async on",
        "-interpreter-exec console \"set output-radix 10\"",
        "-interpreter-exec console \"set input-radix 10\"",
    ] {
        let r = mi.cmd(c);
        assert!(done(&r), "{c}: {r:?}");
    }
    let r = mi.cmd(&format!("-file-exec-and-symbols \"{elf}\""));
    assert!(done(&r), "{r:?}");
    let r = mi.cmd(&format!("-target-select extended-remote {addr}"));
    assert!(r.last().unwrap().contains("^connected"), "{r:?}");

    // preLaunchCommands: the G4's bank mode (its factory state is dual bank).
    let r = mi.console("monitor bank");
    assert!(done(&r), "{r:?}");
    assert!(
        stream_text(&r, '@').contains("bank mode: dual (DBANK = 1"),
        "{r:?}"
    );

    // The default external launch: reset halt, download, reset halt.
    let r = mi.console("monitor reset halt");
    assert!(done(&r), "{r:?}");
    assert!(stream_text(&r, '@').contains("halted"), "{r:?}");
    let r = mi.cmd(&format!("-file-exec-file \"{elf}\""));
    assert!(done(&r), "{r:?}");
    let r = mi.cmd("-target-download");
    assert!(done(&r), "{r:?}");
    assert!(
        r.iter()
            .any(|l| l.contains("+download") || l.contains("address=")),
        "{r:?}"
    );
    let r = mi.console("monitor reset halt");
    assert!(done(&r), "{r:?}");
    // The reset vector the download wrote is where the core stands.
    let pc = evaluate(&mut mi, "(unsigned int)$pc");
    let reset_handler = evaluate(&mut mi, "(unsigned int)&reset_handler");
    assert_eq!(pc, reset_handler & !1, "pc after reset halt");

    // Registers and memory as the views fetch them; FLASH_OPTR holds the factory value.
    let r = mi.cmd("-data-list-register-names");
    assert!(r.last().unwrap().contains("\"xpsr\""), "{r:?}");
    let r = mi.cmd("-data-list-register-values x 15 25");
    assert!(r.last().unwrap().contains("^done,register-values"), "{r:?}");
    let r = mi.cmd(&format!("-data-read-memory-bytes {FLASH_OPTR:#x} 4"));
    assert!(r.last().unwrap().contains("contents=\"aaf8efff\""), "{r:?}");

    // Breakpoint, continue, stop, twice: the loop runs in G4 RAM (counter at 0x2000_0000).
    let r = mi.cmd(&format!("-break-insert {FUNC}"));
    assert!(r.last().unwrap().contains("^done,bkpt="), "{r:?}");
    let stop = continue_to_stop(&mut mi);
    assert!(
        stop.contains("breakpoint-hit") && stop.contains(FUNC),
        "{stop}"
    );
    let first = evaluate(&mut mi, "*(unsigned int *)&counter");
    let stop = continue_to_stop(&mut mi);
    assert!(
        stop.contains("breakpoint-hit") && stop.contains(FUNC),
        "{stop}"
    );
    assert_eq!(evaluate(&mut mi, "*(unsigned int *)&counter"), first + 1);
    assert_eq!(evaluate(&mut mi, "(unsigned int)&counter"), 0x2000_0000);

    // Pause (the pause button is -exec-interrupt).
    let r = mi.cmd("-break-delete");
    assert!(done(&r), "{r:?}");
    let r = mi.cmd("-exec-continue --all");
    assert!(r.last().unwrap().contains("^running"), "{r:?}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let r = mi.cmd("-exec-interrupt --all");
    assert!(done(&r), "{r:?}");
    let r = mi.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    assert!(r.last().unwrap().contains("SIGINT"), "{r:?}");
    assert!(evaluate(&mut mi, "*(unsigned int *)&counter") > first + 1);

    let r = mi.console("monitor halt");
    assert!(done(&r), "{r:?}");
    let r = mi.cmd("-target-detach");
    assert!(done(&r), "{r:?}");
    mi.quit();

    // The server serves the next client.
    let mut mi = Mi::start();
    let r = mi.cmd(&format!("-target-select extended-remote {addr}"));
    assert!(r.last().unwrap().contains("^connected"), "{r:?}");
    let r = mi.console("monitor bank");
    assert!(stream_text(&r, '@').contains("bank mode: dual"), "{r:?}");
    mi.cmd("-target-detach");
    mi.quit();
    server.shutdown().unwrap();
}
