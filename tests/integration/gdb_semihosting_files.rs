//! Host files through semihosting, through gdb-multiarch on both families, with
//! examples/firmware/semihosting-files.s: off by default (SYS_OPEN of a host name fails), and
//! with `monitor arm semihosting_basedir DIR` the program writes and reads files inside DIR,
//! reads one the harness put there, and is refused `/etc/passwd`, `../x` and symbolic links that
//! lead out of DIR, with nothing created outside. Both runs happen in one GDB session (`run`
//! after the program's exit).

use crate::gdb_support::*;

use std::path::Path;

/// What the firmware prints for the names that must be refused.
const REFUSALS: [&str; 4] = [
    "/etc/passwd refused",
    "../x refused",
    "outside/x refused",
    "secret-link refused",
];

/// DIR with the harness's input file and two symbolic links out of it, beside a directory and a
/// secret file outside it.
fn sandbox(top: &Path) -> std::path::PathBuf {
    let dir = top.join("sandbox");
    std::fs::create_dir(&dir).unwrap();
    std::fs::create_dir(top.join("outside")).unwrap();
    std::fs::write(top.join("secret.txt"), "not for the chip\n").unwrap();
    std::fs::write(dir.join("input.txt"), "from the harness\n").unwrap();
    std::os::unix::fs::symlink(top.join("outside"), dir.join("outside")).unwrap();
    std::os::unix::fs::symlink(top.join("secret.txt"), dir.join("secret-link")).unwrap();
    dir
}

fn host_files(chip: &str) {
    let top = tempfile::tempdir().unwrap();
    let dir = sandbox(top.path());
    let server = start_server(Some(chip));
    let commands = vec![
        "load".to_string(),
        "monitor arm semihosting enable".into(),
        "monitor arm semihosting_basedir".into(),
        "echo @@OFF\\n".into(),
        "run".into(),
        "echo @@ON\\n".into(),
        format!("monitor arm semihosting_basedir {}", dir.display()),
        "run".into(),
        "echo @@END\\n".into(),
    ];
    let run = batch(
        server.local_addr(),
        Some(&firmware_for("semihosting-files", chip)),
        &commands,
    );
    eprintln!("{}", run.text);

    let off = section(&run.text, "@@OFF", "@@ON");
    assert!(
        run.text.contains("semihosting host files: off"),
        "{}",
        run.text
    );
    assert!(
        off.contains("result.txt not opened: host files are off"),
        "{off}"
    );
    for refused in REFUSALS {
        assert!(off.contains(refused), "`{refused}` missing:\n{off}");
    }
    assert!(off.contains("exited normally"), "{off}");

    let on = section(&run.text, "@@ON", "@@END");
    assert!(on.contains("semihosting host files: inside"), "{on}");
    assert!(on.contains("wrote result.txt"), "{on}");
    assert!(on.contains("read back: written by the chip"), "{on}");
    assert!(on.contains("input.txt: from the harness"), "{on}");
    for refused in REFUSALS {
        assert!(on.contains(refused), "`{refused}` missing:\n{on}");
    }
    assert!(!on.contains("OPENED"), "{on}");
    assert!(on.contains("host files done"), "{on}");
    assert!(on.contains("exited normally"), "{on}");

    assert_eq!(
        std::fs::read_to_string(dir.join("result.txt")).unwrap(),
        "written by the chip\n"
    );
    assert!(!top.path().join("x").exists(), "../x was created");
    assert!(
        !top.path().join("outside/x").exists(),
        "outside/x was created"
    );
    assert_eq!(
        std::fs::read_to_string(top.path().join("secret.txt")).unwrap(),
        "not for the chip\n"
    );
}

#[test]
fn semihosting_basedir_confines_host_files_f7() {
    host_files("STM32F767ZI");
}

#[test]
fn semihosting_basedir_confines_host_files_g4() {
    host_files("STM32G474RE");
}

#[test]
fn a_basedir_that_is_no_directory_is_refused_and_changes_nothing() {
    let top = tempfile::tempdir().unwrap();
    let file = top.path().join("file");
    std::fs::write(&file, "").unwrap();
    let server = start_server(None);
    let mut c = RawClient::connect(server.local_addr());
    let (text, reply) = monitor(
        &mut c,
        &format!("arm semihosting_basedir {}", file.display()),
    );
    assert_eq!(reply, "OK");
    assert!(
        text.contains("is not a directory") && text.contains("host files unchanged"),
        "{text}"
    );
    let (text, _) = monitor(&mut c, "arm semihosting_basedir");
    assert!(text.contains("host files: off"), "{text}");
}
