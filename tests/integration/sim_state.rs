//! `--sim-state FILE` behaves like a board's non-volatile memory: what a command was told is
//! done survives SIGTERM and kill -9 of the process, one process at a time uses a file, and a
//! file that cannot be written fails the command. Everything runs the real binary in separate
//! processes and checks the board from a new process afterwards.

use crate::cli_support;
use crate::gdb_support;

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use predicates::prelude::*;
use serde_json::Value;

use cli_support::{bin, bin_process, ServerProcess};
use gdb_support::{batch, cmds, firmware, hex_decode, packet, section, RawClient};

/// Upper bound for a server to start listening, or to end after a signal.
const SERVER_TIMEOUT: Duration = Duration::from_secs(60);

/// `stm32-opts --sim-state FILE gdb` in its own process.
fn gdb_process(state: &Path) -> ServerProcess {
    let state = state.as_os_str();
    ServerProcess::start(
        &[
            "--sim-state".as_ref(),
            state,
            "gdb".as_ref(),
            "--listen".as_ref(),
            "127.0.0.1:0".as_ref(),
        ],
        SERVER_TIMEOUT,
    )
}

/// `stm32-opts --sim-state FILE optbytes --json` in a new process.
fn board_json(state: &Path) -> Value {
    let out = bin()
        .arg("--sim-state")
        .arg(state)
        .args(["optbytes", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "optbytes --json failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("optbytes --json prints JSON")
}

fn field(v: &Value, name: &str) -> u64 {
    v["fields"][name]["value"]
        .as_u64()
        .unwrap_or_else(|| panic!("no field {name} in {v:#}"))
}

/// The first bytes of flash as GDB reads them from a new server process on `state`.
fn flash_start(state: &Path) -> String {
    let server = gdb_process(state);
    let run = batch(
        server.addr,
        None,
        &cmds(&["echo <flash>\\n", "x/16xb 0x08000000", "echo </flash>\\n"]),
    );
    section(&run.text, "<flash>", "</flash>").trim().to_string()
}

/// `monitor ndbank false` and `load` of the example firmware in one GDB session, then `signal`:
/// a new process sees both.
fn a_load_and_an_option_change_survive(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("board.json");
    let server = gdb_process(&state);
    let run = batch(
        server.addr,
        Some(&firmware()),
        &cmds(&[
            "monitor ndbank false",
            "load",
            "echo <flash>\\n",
            "x/16xb 0x08000000",
            "echo </flash>\\n",
        ]),
    );
    assert!(run.text.contains("written"), "ndbank false:\n{}", run.text);
    assert!(run.text.contains("Start address"), "load:\n{}", run.text);
    let loaded = section(&run.text, "<flash>", "</flash>").trim().to_string();
    let erased = loaded
        .lines()
        .all(|l| l.split_whitespace().skip(1).all(|b| b == "0xff"));
    assert!(
        loaded.starts_with("0x8000000:") && !erased,
        "the firmware is in flash before the signal:\n{loaded}"
    );
    server.stop_with(signal);

    let v = board_json(&state);
    assert_eq!(field(&v, "nDBANK"), 0, "nDBANK after SIG{signal}");
    assert_eq!(v["flash"]["bank_mode"], "dual");
    assert_eq!(
        flash_start(&state),
        loaded,
        "the flash after SIG{signal} holds what was loaded"
    );
}

#[test]
fn a_load_and_an_option_change_survive_sigterm() {
    a_load_and_an_option_change_survive("TERM");
}

#[test]
fn a_load_and_an_option_change_survive_kill_9() {
    a_load_and_an_option_change_survive("KILL");
}

#[test]
fn a_second_process_is_refused_while_the_first_uses_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("board.json");
    let server = gdb_process(&state);
    let run = batch(server.addr, None, &cmds(&["monitor ndbank false"]));
    assert!(run.text.contains("written"), "{}", run.text);
    let in_use = || {
        predicate::str::contains("in use by another stm32-opts process")
            .and(predicate::str::contains(state.display().to_string()))
    };
    // A writer and a read-only run: both refused, neither reverts the server's change.
    bin()
        .arg("--sim-state")
        .arg(&state)
        .args(["ndbank", "true"])
        .assert()
        .failure()
        .stderr(in_use())
        .stdout(predicate::str::contains("written").not());
    bin()
        .arg("--sim-state")
        .arg(&state)
        .args(["optbytes", "--json"])
        .assert()
        .failure()
        .stderr(in_use())
        .stdout(predicate::str::is_empty());
    server.stop_with("TERM");
    assert_eq!(
        field(&board_json(&state), "nDBANK"),
        0,
        "the first change is kept"
    );
}

#[test]
fn concurrent_cli_changes_are_never_lost_silently() {
    for round in 0..5 {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("board.json");
        let runs: Vec<_> = [
            vec!["optbytes", "set", "BOOT_ADD1=0x2041"],
            vec!["ndbank", "false"],
            vec!["optbytes", "--json"],
        ]
        .into_iter()
        .map(|args| {
            let state = state.clone();
            std::thread::spawn(move || {
                let out = bin_process()
                    .arg("--sim-state")
                    .arg(&state)
                    .args(&args)
                    .stdin(Stdio::null())
                    .output()
                    .unwrap();
                (args, out)
            })
        })
        // Started all before any is waited for, so that they run at the same time.
        .collect::<Vec<_>>()
        .into_iter()
        .map(|t| t.join().unwrap())
        .collect();
        let v = board_json(&state);
        for (args, out) in runs {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !out.status.success() {
                assert!(
                    stderr.contains("in use by another stm32-opts process"),
                    "round {round}: {args:?} failed for another reason: {stderr}"
                );
                continue;
            }
            match args[0] {
                "ndbank" => assert_eq!(field(&v, "nDBANK"), 0, "round {round}: lost {args:?}"),
                "optbytes" if args.len() > 2 => {
                    assert_eq!(
                        field(&v, "BOOT_ADD1"),
                        0x2041,
                        "round {round}: lost {args:?}"
                    )
                }
                _ => {}
            }
        }
    }
}

/// A state file under a missing directory, and one whose parent is a regular file: no one, not
/// even root, can create them. The command fails before it changes anything, with the OS error.
#[test]
fn a_state_file_that_cannot_be_created_fails_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let parent_is_a_file = dir.path().join("not-a-directory");
    std::fs::write(&parent_is_a_file, b"a file").unwrap();
    for (state, os_error) in [
        (
            dir.path().join("missing").join("board.json"),
            "No such file or directory",
        ),
        (parent_is_a_file.join("board.json"), "Not a directory"),
    ] {
        for args in [
            vec!["ndbank", "false"],
            vec!["optbytes", "set", "nDBANK=0", "--json"],
        ] {
            bin()
                .arg("--sim-state")
                .arg(&state)
                .args(&args)
                .assert()
                .failure()
                .stderr(
                    predicate::str::contains(state.display().to_string())
                        .and(predicate::str::contains(os_error)),
                )
                .stdout(predicate::str::contains("written").not())
                .stdout(predicate::str::contains("nDBANK =").not());
        }
    }
}

/// A state file that exists and reads, in a directory where a save cannot create its temporary
/// file (the name leaves no room for the temporary file's suffix): the change fails, also with
/// `--json`, and the file keeps what it had.
#[test]
fn a_save_that_fails_fails_the_command() {
    let dir = tempfile::tempdir().unwrap();
    let short = dir.path().join("board.json");
    board_json(&short);
    let long = dir.path().join(format!("{}.json", "b".repeat(245)));
    std::fs::rename(&short, &long).unwrap();
    assert_eq!(field(&board_json(&long), "nDBANK"), 1, "readable before");
    for args in [
        vec!["ndbank", "false"],
        vec!["optbytes", "set", "nDBANK=0", "--json"],
    ] {
        bin()
            .arg("--sim-state")
            .arg(&long)
            .args(&args)
            .assert()
            .failure()
            .stderr(
                predicate::str::contains("cannot write the simulator state file")
                    .and(predicate::str::contains("File name too long")),
            )
            .stdout(predicate::str::contains("written").not())
            .stdout(predicate::str::contains("\"written\"").not());
    }
    assert_eq!(
        field(&board_json(&long), "nDBANK"),
        1,
        "the file is unchanged"
    );
}

#[test]
fn a_save_that_fails_under_a_gdb_server_is_reported_in_gdb() {
    let dir = tempfile::tempdir().unwrap();
    let boards = dir.path().join("boards");
    std::fs::create_dir(&boards).unwrap();
    let server = gdb_process(&boards.join("board.json"));
    std::fs::remove_dir_all(&boards).unwrap();
    let run = batch(server.addr, None, &cmds(&["monitor ndbank false"]));
    assert!(
        run.text.contains("its state could not be saved")
            && run.text.contains("cannot write the simulator state file"),
        "{}",
        run.text
    );
    assert!(
        !run.text.contains("written, the chip was reset"),
        "{}",
        run.text
    );
}

/// What the writer thread of [`a_tmp_named_state_file_survives_kill_9_during_writes`] knows.
#[derive(Default)]
struct Writes {
    acknowledged: Option<u64>,
    in_flight: Option<u64>,
    count: usize,
}

/// `monitor optbytes set BOOT_ADD1=…` over and over until the connection ends.
fn keep_writing(addr: SocketAddr, first: u64, writes: Arc<Mutex<Writes>>) {
    let mut c = RawClient::connect(addr);
    for k in 0..200u64 {
        let value = 0x2000 + (first + k) % 0x80;
        writes.lock().unwrap().in_flight = Some(value);
        let cmd = format!("optbytes set BOOT_ADD1={value:#06x}");
        let hex: String = cmd.bytes().map(|b| format!("{b:02x}")).collect();
        if c.stream
            .set_write_timeout(Some(Duration::from_secs(5)))
            .is_err()
            || std::io::Write::write_all(&mut c.stream, &packet(&format!("qRcmd,{hex}"))).is_err()
        {
            return;
        }
        let mut text = String::new();
        loop {
            let Some(r) = c.reply() else { return };
            let _ = std::io::Write::write_all(&mut c.stream, b"+");
            match r.strip_prefix('O') {
                Some(h) if !h.is_empty() && r != "OK" => {
                    text.push_str(&String::from_utf8_lossy(&hex_decode(h)))
                }
                _ => break,
            }
        }
        assert!(text.contains("written"), "BOOT_ADD1={value:#x}: {text}");
        let mut w = writes.lock().unwrap();
        w.acknowledged = Some(value);
        w.count += 1;
    }
}

#[test]
fn a_tmp_named_state_file_survives_kill_9_during_writes() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("x.tmp");
    let factory = field(&board_json(&state), "BOOT_ADD1");
    let mut acknowledged_total = 0;
    let mut previous = factory;
    for round in 0..6u64 {
        let server = gdb_process(&state);
        let writes = Arc::new(Mutex::new(Writes::default()));
        let writer = {
            let (addr, writes) = (server.addr, writes.clone());
            std::thread::spawn(move || keep_writing(addr, round * 37, writes))
        };
        std::thread::sleep(Duration::from_millis(300 + round * 90));
        server.stop_with("KILL");
        writer.join().expect("the writer thread");
        let w = writes.lock().unwrap();
        acknowledged_total += w.count;
        // The file must parse, and hold the last acknowledged value (or the one in flight,
        // which may have been committed before its answer was lost).
        let found = field(&board_json(&state), "BOOT_ADD1");
        let expected: Vec<u64> = [w.acknowledged.or(Some(previous)), w.in_flight]
            .into_iter()
            .flatten()
            .collect();
        assert!(
            expected.contains(&found),
            "round {round}: BOOT_ADD1 = {found:#x} after kill -9, expected one of {expected:x?}"
        );
        previous = found;
    }
    assert!(
        acknowledged_total > 0,
        "no write was acknowledged before a kill: the test proves nothing"
    );
}

#[test]
fn nothing_creates_the_file_before_the_chip_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("board.json");
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    bin()
        .arg("--sim-state")
        .arg(&state)
        .args(["gdb", "--listen", &addr])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot listen"));
    bin()
        .arg("--sim-state")
        .arg(&state)
        .args(["sim-probe", "--listen", &addr])
        .assert()
        .failure()
        .stderr(predicate::str::contains("cannot listen"));
    bin()
        .arg("--sim-state")
        .arg(&state)
        .arg("--help")
        .assert()
        .success();
    bin()
        .arg("--sim-state")
        .arg(&state)
        .args(["optbytes", "set"])
        .assert()
        .failure();
    bin()
        .arg("--sim-state")
        .arg(&state)
        .args(["gdb", "--listen", "not-an-address"])
        .assert()
        .failure();
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "files were created: {left:?}");
}
