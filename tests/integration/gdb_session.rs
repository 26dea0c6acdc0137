//! gdb-multiarch in batch mode against the GDB server on the simulated chip: the whole
//! bank-switch-then-debug flow of docs/gdb.md.

use crate::gdb_support;

use gdb_support::*;

/// Firmware symbols the flow uses (examples/firmware): a function the main loop calls and a
/// RAM variable it writes.
const FUNC: &str = firmware_symbols::FUNC;
const VAR: &str = firmware_symbols::VAR;

mod firmware_symbols {
    pub const FUNC: &str = "tick";
    pub const VAR: &str = "counter";
}

fn hex_after(text: &str, key: &str) -> u32 {
    let i = text
        .find(key)
        .unwrap_or_else(|| panic!("`{key}` missing in:\n{text}"))
        + key.len();
    let rest = text[i..].trim_start();
    let rest = rest.trim_start_matches("0x");
    let end = rest
        .find(|c: char| !c.is_ascii_hexdigit())
        .unwrap_or(rest.len());
    u32::from_str_radix(&rest[..end], 16)
        .unwrap_or_else(|_| panic!("no hex after `{key}` in:\n{text}"))
}

#[test]
fn bank_switch_load_and_debug() {
    let server = start_server(None);
    let addr = server.local_addr();
    let elf = firmware();

    let run = batch(
        addr,
        Some(&elf),
        &[
            "echo @@NDBANK0\\n".into(),
            "monitor ndbank".into(),
            "echo @@SWITCH\\n".into(),
            "monitor ndbank false".into(),
            "echo @@OPTBYTES\\n".into(),
            "monitor optbytes".into(),
            "echo @@REGS\\n".into(),
            "maintenance flush register-cache".into(),
            "printf \"pc=%#x sp=%#x xpsr=%#x msp=%#x\\n\", $pc, $sp, $xpsr, $msp".into(),
            "printf \"vec_sp=%#x vec_pc=%#x\\n\", *(unsigned int *)0x08000000, *(unsigned int *)0x08000004".into(),
            "p $s0".into(),
            "p/x $d0".into(),
            "p/x $fpscr".into(),
            "echo @@STARTI\\n".into(),
            "starti".into(),
            "echo @@MEM\\n".into(),
            "info mem".into(),
            "echo @@LOAD\\n".into(),
            "load".into(),
            "compare-sections".into(),
            "echo @@RESET\\n".into(),
            "monitor reset halt".into(),
            "maintenance flush register-cache".into(),
            "printf \"pc=%#x vec_pc=%#x\\n\", $pc, *(unsigned int *)0x08000004".into(),
            "echo @@BREAK\\n".into(),
            format!("break {FUNC}"),
            "continue".into(),
            "printf \"stopped pc=%#x\\n\", $pc".into(),
            "echo @@STEPI\\n".into(),
            "printf \"before=%#x\\n\", $pc".into(),
            "stepi".into(),
            "printf \"after=%#x\\n\", $pc".into(),
            "echo @@NEXT\\n".into(),
            "next".into(),
            "printf \"next=%#x\\n\", $pc".into(),
            "echo @@WATCH\\n".into(),
            "delete".into(),
            // Assembly symbols carry no type: watch the word at the symbol.
            format!("watch *(unsigned int *)&{VAR}"),
            "continue".into(),
            "echo @@DETACH\\n".into(),
            "delete".into(),
            "detach".into(),
            "echo @@END\\n".into(),
        ],
    );
    let t = &run.text;

    // 1. monitor ndbank shows the factory value.
    let s = section(t, "@@NDBANK0", "@@SWITCH");
    assert!(s.contains("nDBANK = true"), "{t}");
    // 2. The switch runs the engine (progress lines), then optbytes shows nDBANK false.
    let s = section(t, "@@SWITCH", "@@OPTBYTES");
    assert!(s.lines().count() >= 3, "expected progress lines:\n{t}");
    assert!(
        s.contains("run") || s.contains("reconnect"),
        "map note missing:\n{t}"
    );
    let s = section(t, "@@OPTBYTES", "@@REGS");
    let ndbank_line = s
        .lines()
        .find(|l| l.contains("nDBANK"))
        .unwrap_or_else(|| panic!("no nDBANK row:\n{t}"));
    assert!(
        ndbank_line.contains("false")
            || ndbank_line.contains(" 0 ")
            || ndbank_line.contains("dual"),
        "{ndbank_line}\n{t}"
    );
    // 3. Registers after the reset and halt: pc and sp come from the vector table.
    let s = section(t, "@@REGS", "@@STARTI");
    let (pc, sp, xpsr) = (
        hex_after(s, "pc="),
        hex_after(s, "sp="),
        hex_after(s, "xpsr="),
    );
    let (vec_sp, vec_pc) = (hex_after(s, "vec_sp="), hex_after(s, "vec_pc="));
    assert_eq!(pc, vec_pc & !1, "{s}");
    assert_eq!(sp, vec_sp & !3, "{s}");
    assert_eq!(hex_after(s, "msp="), sp, "{s}");
    assert_ne!(xpsr & (1 << 24), 0, "Thumb bit: {s}");
    // p $s0, p/x $d0, p/x $fpscr print "$N = value".
    assert!(s.matches("\n$").count() >= 3, "FPU registers readable: {s}");
    // 4. After starti GDB has the dual-bank map: 16 KB sectors, bank 2 at 0x0810_0000.
    let s = section(t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08000000 0x08010000 flash blocksize 0x4000"),
        "{s}"
    );
    assert!(
        s.contains("0x08010000 0x08020000 flash blocksize 0x10000"),
        "{s}"
    );
    assert!(
        s.contains("0x08020000 0x08100000 flash blocksize 0x20000"),
        "{s}"
    );
    assert!(
        s.contains("0x08100000 0x08110000 flash blocksize 0x4000"),
        "{s}"
    );
    assert!(s.contains("0x40000000 0x60000000"), "{s}");
    // 5. load + compare-sections.
    let s = section(t, "@@LOAD", "@@RESET");
    assert!(s.contains("Transfer rate"), "{s}");
    assert!(s.contains("matched"), "{s}");
    assert!(!s.contains("MIS-MATCHED"), "{s}");
    let s = section(t, "@@RESET", "@@BREAK");
    assert_eq!(hex_after(s, "pc="), hex_after(s, "vec_pc=") & !1, "{s}");
    // 6. break + continue stops in the function.
    let s = section(t, "@@BREAK", "@@STEPI");
    assert!(s.contains("Breakpoint 1"), "{s}");
    assert!(s.contains(FUNC), "{s}");
    // 7. stepi and next move.
    let s = section(t, "@@STEPI", "@@NEXT");
    assert_ne!(hex_after(s, "before="), hex_after(s, "after="), "{s}");
    let s = section(t, "@@NEXT", "@@WATCH");
    assert!(s.contains("next="), "{s}");
    // 8. The watchpoint triggers.
    let s = section(t, "@@WATCH", "@@DETACH");
    assert!(s.contains("atchpoint"), "{s}");
    assert!(s.contains("New value"), "{s}");
    // 10. detach, then a reconnect works and still sees dual bank.
    let s = section(t, "@@DETACH", "@@END");
    assert!(s.contains("Detaching") || s.contains("detached"), "{s}");

    let again = batch(
        addr,
        None,
        &cmds(&[
            "echo @@MEM\\n",
            "info mem",
            "echo @@NDBANK\\n",
            "monitor ndbank",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let s = section(&again.text, "@@MEM", "@@NDBANK");
    assert!(
        s.contains("0x08100000 0x08110000 flash blocksize 0x4000"),
        "{}",
        again.text
    );
    let s = section(&again.text, "@@NDBANK", "@@END");
    assert!(s.contains("nDBANK = false"), "{}", again.text);
    server.shutdown().unwrap();
}

#[test]
fn ctrl_c_interrupts_a_running_core() {
    let server = start_server(None);
    let addr = server.local_addr();
    let elf = firmware();
    // Load, run, and let the test send SIGINT to gdb (what Ctrl-C does in a terminal).
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("s.gdb");
    std::fs::write(
        &script,
        format!(
            "set confirm off\nset pagination off\ntarget extended-remote {addr}\nload\nmonitor reset halt\n\
             echo @@RUN\\n\ncontinue\necho @@STOPPED\\n\nprintf \"pc=%#x\\n\", $pc\ndetach\necho @@END\\n\n"
        ),
    )
    .unwrap();
    let mut child = std::process::Command::new(gdb())
        .args(["-nx", "-q", "-batch", "-x"])
        .arg(&script)
        .arg(&elf)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read stdout until the core runs, then interrupt.
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let mut text = String::new();
    let deadline = std::time::Instant::now() + BATCH_TIMEOUT;
    let mut interrupted = false;
    loop {
        match rx.recv_timeout(std::time::Duration::from_millis(200)) {
            Ok(line) => {
                text.push_str(&line);
                text.push('\n');
                if line.contains("@@RUN") && !interrupted {
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    let ok = std::process::Command::new("kill")
                        .args(["-INT", &child.id().to_string()])
                        .status()
                        .unwrap()
                        .success();
                    assert!(ok);
                    interrupted = true;
                }
            }
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
            Err(_) => {}
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("gdb did not finish; output:\n{text}");
        }
    }
    let _ = child.wait();
    assert!(text.contains("SIGINT"), "{text}");
    assert!(text.contains("@@STOPPED"), "{text}");
    assert!(text.contains("@@END"), "{text}");
    server.shutdown().unwrap();
}
