//! The real binary without any probe or simulator: bad input fails before probe access, `list`
//! with no probe, and the documented exit codes in `--help`.

use crate::cli_support;

use cli_support::bin;
use predicates::prelude::*;

#[test]
fn bad_input_fails_before_any_probe_access() {
    // No simulator and a probe that does not exist: only parsing can fail first.
    for (args, needle) in [
        (vec!["optbytes", "set", "DBANK=0"], "unknown field `DBANK`"),
        (
            vec!["optbytes", "set", "nDBANK=2"],
            "bad value `2` for nDBANK",
        ),
        (
            vec!["optbytes", "set", "BOR_LEV=0b11"],
            "not a BOR level name",
        ),
        (vec!["optbytes", "set", "RDP=170"], "raw byte in hex"),
        (vec!["optbytes", "set", "OPTLOCK=0"], "control bit"),
        (vec!["optbytes", "set", "nDBANK"], "is not FIELD=VALUE"),
        (
            vec!["optbytes", "set", "nDBANK=0", "ndbank=1"],
            "given more than once",
        ),
        (
            vec!["optbytes", "set", "BOOT_ADD0=0x08100004"],
            "16 KB aligned",
        ),
    ] {
        bin()
            .args(["--chip", "STM32F767ZI", "--probe", "1234:5678"])
            .args(&args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(needle))
            .stderr(
                predicate::str::contains("accepted").or(predicate::str::contains("more than once")),
            );
    }
    bin()
        .args([
            "--chip",
            "STM32F767ZI",
            "--probe",
            "1234:5678",
            "ndbank",
            "maybe",
        ])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a bank mode"));
}

#[test]
fn list_says_when_no_probe_is_attached() {
    let out = bin().arg("list").assert().success();
    let stdout = String::from_utf8_lossy(&out.get_output().stdout).to_string();
    // Build machines have no probe; on a desk with probes attached each is listed instead.
    if stdout.starts_with("No debug probes found") {
        assert!(stdout.contains("--sim"), "{stdout}");
    } else {
        assert!(stdout.lines().all(|l| l.starts_with('[')), "{stdout}");
    }
}

#[test]
fn help_documents_the_exit_codes() {
    bin()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes:"))
        .stdout(predicate::str::contains("3  refused"));
    // The commands clap sees only as "another word" are listed per family, from the family.
    let help = bin().arg("--help").output().unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    let families = help
        .split("Commands of each family")
        .nth(1)
        .unwrap_or_else(|| panic!("no family commands in --help:\n{help}"));
    for (family, commands) in [
        ("STM32F7", &["ndbank", "bank"][..]),
        ("STM32G4", &["bank"][..]),
        ("STM32G0", &["bank", "swap"][..]),
        ("STM32H7", &["swap"][..]),
    ] {
        let section = families
            .split(&format!("  {family}:\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("{family} missing:\n{families}"));
        let listed: Vec<&str> = section
            .lines()
            .take_while(|l| l.starts_with("    "))
            .filter(|l| !l.starts_with("     "))
            .map(|l| l.split_whitespace().next().unwrap())
            .collect();
        assert_eq!(listed, commands, "{family}:\n{section}");
    }
    bin()
        .args(["optbytes", "set", "--help"])
        .assert()
        .success()
        .stdout(predicate::str::contains("--i-understand-rdp2-is-permanent"));
}

#[test]
fn rdp_level_2_is_checked_against_the_chip_before_its_confirmations() {
    // Validity before confirmation: without a probe there is nothing to confirm yet.
    for extra in [
        vec![],
        vec!["--yes"],
        vec!["--i-understand-rdp2-is-permanent"],
    ] {
        bin()
            .args(["--chip", "STM32F767ZI", "--probe", "1234:5678"])
            .args(["optbytes", "set", "RDP=2"])
            .args(&extra)
            .assert()
            .code(1)
            .stderr(predicate::str::contains("could not open a debug session"))
            .stderr(predicate::str::contains("PERMANENT").not());
    }
    // A field the part does not have is named, not a missing confirmation (STM32F746: no
    // nDBANK).
    bin()
        .args(["--chip", "STM32F746ZG", "--sim"])
        .args(["optbytes", "set", "RDP=2", "nDBANK=0"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("nDBANK"))
        .stderr(predicate::str::contains("PERMANENT").not())
        .stderr(predicate::str::contains("--i-understand-rdp2-is-permanent").not());
    bin()
        .args(["--chip", "STM32F767ZI", "--sim"])
        .args(["optbytes", "set", "RDP=2"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("PERMANENT"))
        .stderr(predicate::str::contains(
            "--yes and --i-understand-rdp2-is-permanent",
        ))
        .stderr(predicate::str::contains("option bytes unchanged"));
}

#[test]
fn a_missing_probe_is_a_chip_error_naming_the_way_out() {
    bin()
        .args(["--chip", "STM32F767ZI", "--probe", "1234:5678", "ndbank"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("could not open a debug session"));
}

#[test]
fn an_unreachable_socket_probe_is_named() {
    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let selector = format!("20b7:9db1:tcp:127.0.0.1:{port}");
    bin()
        .args(["--chip", "STM32F767ZI", "--probe", &selector, "ndbank"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains(format!(
            "cannot reach the socket probe at 127.0.0.1:{port}"
        )))
        .stderr(predicate::str::contains("stm32-opts sim-probe"))
        .stderr(predicate::str::contains("USB").not());
}
