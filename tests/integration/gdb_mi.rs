//! GDB/MI: replays what VS Code cortex-debug sends to an external GDB server (launch, monitor
//! commands from launch.json, breakpoints, continue, pause, detach) and checks the MI records.

use crate::gdb_support;

use gdb_support::*;

const FUNC: &str = "tick";

fn has(lines: &[String], needle: &str) -> bool {
    lines.iter().any(|l| l.contains(needle))
}

#[test]
fn cortex_debug_external_launch_sequence() {
    let server = start_server(None);
    let addr = server.local_addr();
    let elf = firmware();
    let elf = elf.to_string_lossy();

    let mut mi = Mi::start();
    // Init, as cortex-debug does it.
    for c in [
        "-interpreter-exec console \"set print demangle on\"",
        "-interpreter-exec console \"set print asm-demangle on\"",
        "-enable-pretty-printing",
        "-gdb-set mi-async on",
        "-interpreter-exec console \"set output-radix 10\"",
        "-interpreter-exec console \"set input-radix 10\"",
    ] {
        let r = mi.cmd(c);
        assert!(r.last().unwrap().contains("^done"), "{c}: {r:?}");
    }
    let r = mi.cmd(&format!("-file-exec-and-symbols \"{elf}\""));
    assert!(r.last().unwrap().contains("^done"), "{r:?}");

    // Connect.
    let r = mi.cmd(&format!("-target-select extended-remote {addr}"));
    assert!(r.last().unwrap().contains("^connected"), "{r:?}");

    // preLaunchCommands from examples/vscode/launch.json.
    let r = mi.console("monitor ndbank");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    assert!(stream_text(&r, '@').contains("nDBANK = true"), "{r:?}");
    let r = mi.console("monitor ndbank false");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    let switched = stream_text(&r, '@');
    assert!(
        switched.lines().count() >= 3,
        "progress lines expected: {switched}"
    );

    // The default external launch: reset halt, download, reset halt.
    let r = mi.console("monitor reset halt");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    assert!(stream_text(&r, '@').contains("halted"), "{r:?}");
    let r = mi.cmd(&format!("-file-exec-file \"{elf}\""));
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    let r = mi.cmd("-target-download");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    assert!(has(&r, "+download") || has(&r, "address="), "{r:?}");
    let r = mi.console("monitor reset halt");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");

    // postLaunchCommands.
    let r = mi.console("monitor ndbank");
    assert!(stream_text(&r, '@').contains("nDBANK = false"), "{r:?}");

    // Registers and memory as the views fetch them.
    let r = mi.cmd("-data-list-register-names");
    assert!(
        r.last().unwrap().contains("\"xpsr\"") && r.last().unwrap().contains("\"d15\""),
        "{r:?}"
    );
    let r = mi.cmd("-data-list-register-values x 15 25");
    assert!(r.last().unwrap().contains("^done,register-values"), "{r:?}");
    let r = mi.cmd("-data-read-memory-bytes 0x40023c14 4");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");

    // Breakpoint, continue, stop.
    let r = mi.cmd(&format!("-break-insert {FUNC}"));
    assert!(r.last().unwrap().contains("^done,bkpt="), "{r:?}");
    let r = mi.cmd("-exec-continue --all");
    assert!(r.last().unwrap().contains("^running"), "{r:?}");
    let r = mi.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    let stop = r.last().unwrap();
    assert!(stop.contains("breakpoint-hit"), "{stop}");
    assert!(stop.contains(FUNC), "{stop}");

    // Pause (the pause button is -exec-interrupt).
    let r = mi.cmd("-break-delete");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    let r = mi.cmd("-exec-continue --all");
    assert!(r.last().unwrap().contains("^running"), "{r:?}");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let r = mi.cmd("-exec-interrupt --all");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    let r = mi.wait_for(|l| l.starts_with("*stopped"), MI_TIMEOUT);
    assert!(r.last().unwrap().contains("SIGINT"), "{r:?}");

    // Attach-style halt while already halted, then detach.
    let r = mi.console("monitor halt");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    let r = mi.cmd("-target-detach");
    assert!(r.last().unwrap().contains("^done"), "{r:?}");
    mi.quit();

    // The server serves the next client.
    let mut mi = Mi::start();
    let r = mi.cmd(&format!("-target-select extended-remote {addr}"));
    assert!(r.last().unwrap().contains("^connected"), "{r:?}");
    let r = mi.cmd("-interpreter-exec console \"monitor help\"");
    let help = stream_text(&r, '@');
    assert!(
        help.contains("monitor ndbank") && help.contains("monitor optbytes"),
        "{help}"
    );
    mi.cmd("-target-detach");
    mi.quit();
    server.shutdown().unwrap();
}
