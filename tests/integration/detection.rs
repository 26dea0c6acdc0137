//! No `--chip` needed: the CLI and the GDB server, in their own processes, ask a chip served by
//! `stm32-opts sim-probe --chip X` (another process) what it is — its family's DEV_ID and flash
//! size through a generic Cortex-M attach — and attach as the probe-rs target of that part. A
//! `--chip` that disagrees with the chip is refused. The simulator decides the chip (`--chip X`);
//! the tools are not told.

use crate::cli_support;
use crate::gdb_support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};

use cli_support::{bin, bin_process};
use gdb_support::{batch, cmds, firmware, section};
use serde_json::Value;

/// A background process, killed when the test ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `stm32-opts ARGS` in the background, and the first line it prints on stdout (its banner).
fn start(args: &[&str], stderr: Stdio) -> (Child, String) {
    let mut child = bin_process()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(stderr)
        .spawn()
        .expect("the binary starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("the banner");
    (child, line)
}

/// The address at the end of a banner line.
fn address_in(line: &str) -> &str {
    line.trim().rsplit(' ').next().expect("an address")
}

/// `stm32-opts sim-probe --chip CHIP` on a free port, and the `--probe` selector that reaches it.
fn sim_probe(chip: &str) -> (Running, String) {
    let args = ["sim-probe", "--chip", chip, "--listen", "127.0.0.1:0"];
    let (child, line) = start(&args, Stdio::null());
    assert!(line.contains("listening on"), "{line}");
    let selector = format!("20b7:9db1:tcp:{}", address_in(&line));
    (Running(child), selector)
}

/// What each simulated part is detected as: the class line and the target attached with.
const PARTS: [(&str, &str); 4] = [
    (
        "STM32F767ZI",
        "detected STM32F76x/F77x (DEV_ID 0x451), 2048 KB flash (STM32F7); attaching as STM32F767ZI",
    ),
    (
        "STM32F767ZG",
        "detected STM32F76x/F77x (DEV_ID 0x451), 1024 KB flash (STM32F7); attaching as STM32F767ZG",
    ),
    (
        "STM32G474RE",
        "detected STM32G47x/G48x (DEV_ID 0x469), 512 KB flash (STM32G4); attaching as STM32G474RE",
    ),
    (
        "STM32G474RC",
        "detected STM32G47x/G48x (DEV_ID 0x469), 256 KB flash (STM32G4); attaching as STM32G474RC",
    ),
];

#[test]
fn the_cli_detects_each_family_without_chip() {
    for (chip, detected) in PARTS {
        let (_server, probe) = sim_probe(chip);
        let out = bin()
            .args(["--probe", &probe, "optbytes", "--json"])
            .timeout(cli_support::RUN_TIMEOUT)
            .output()
            .expect("the CLI runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{chip}: {stderr}");
        assert!(stderr.contains(detected), "{chip}: {stderr}");
        let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        assert_eq!(doc["chip"]["name"], chip, "{chip}: {doc}");

        // The family's own command, and a family-free one, without --chip too.
        let bank = bin()
            .args(["--probe", &probe, "bank"])
            .timeout(cli_support::RUN_TIMEOUT)
            .output()
            .expect("the CLI runs");
        assert!(bank.status.success(), "{chip}");
        assert!(
            String::from_utf8_lossy(&bank.stdout).starts_with("bank mode: single")
                || String::from_utf8_lossy(&bank.stdout).starts_with("bank mode: dual"),
            "{chip}: {}",
            String::from_utf8_lossy(&bank.stdout)
        );
        let fault = bin()
            .args(["--probe", &probe, "fault", "--halt"])
            .timeout(cli_support::RUN_TIMEOUT)
            .output()
            .expect("the CLI runs");
        assert!(
            fault.status.success(),
            "{chip}: {}",
            String::from_utf8_lossy(&fault.stderr)
        );
        assert!(String::from_utf8_lossy(&fault.stderr).contains(detected));
    }
}

#[test]
fn erase_without_chip_uses_the_detected_layout() {
    let (_server, probe) = sim_probe("STM32G474RC");
    let out = bin()
        .args(["--probe", &probe, "erase", "page", "70"])
        .timeout(cli_support::RUN_TIMEOUT)
        .output()
        .expect("the CLI runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("erase page 70: 1 page(s) erased"),
        "{stdout}"
    );
    let (_server, probe) = sim_probe("STM32F767ZI");
    let out = bin()
        .args(["--probe", &probe, "erase", "sector", "11"])
        .timeout(cli_support::RUN_TIMEOUT)
        .output()
        .expect("the CLI runs");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("erase sector 11: 1 sector(s) erased"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_chip_that_disagrees_with_chip_is_refused() {
    let (_server, probe) = sim_probe("STM32F767ZI");
    // Another family.
    let out = bin()
        .args(["--probe", &probe, "--chip", "STM32G474RE", "bank", "single"])
        .timeout(cli_support::RUN_TIMEOUT)
        .output()
        .expect("the CLI runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("wrong chip: --chip STM32G474RE is an STM32G4 part, but the chip says it is STM32F76x/F77x (DEV_ID 0x451), 2048 KB flash, an STM32F7 part"),
        "{stderr}"
    );
    // The same family, another size.
    let out = bin()
        .args([
            "--probe",
            &probe,
            "--chip",
            "STM32F767ZG",
            "ndbank",
            "false",
        ])
        .timeout(cli_support::RUN_TIMEOUT)
        .output()
        .expect("the CLI runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("wrong chip"), "{stderr}");
    // Nothing was written: the chip still says single bank.
    let out = bin()
        .args(["--probe", &probe, "ndbank"])
        .timeout(cli_support::RUN_TIMEOUT)
        .output()
        .expect("the CLI runs");
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("nDBANK = true"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `stm32-opts gdb` without `--chip` on `probe`, its listening address and its stderr.
fn gdb_server(probe: &str) -> (Running, SocketAddr, BufReader<std::process::ChildStderr>) {
    let args = ["--probe", probe, "gdb", "--listen", "127.0.0.1:0"];
    let (mut child, line) = start(&args, Stdio::piped());
    let addr = address_in(&line)
        .parse()
        .unwrap_or_else(|_| panic!("no address in {line:?}"));
    let stderr = BufReader::new(child.stderr.take().expect("stderr"));
    (Running(child), addr, stderr)
}

#[test]
fn gdb_load_without_chip_programs_with_the_detected_parts_flash() {
    for (chip, detected, flash) in [
        (
            "STM32F767ZG",
            PARTS[1].1,
            "0x08040000 0x08100000 flash blocksize 0x40000",
        ),
        (
            "STM32G474RE",
            PARTS[2].1,
            "0x08000000 0x08040000 flash blocksize 0x800",
        ),
    ] {
        let (_server, probe) = sim_probe(chip);
        let (_gdb_server, addr, mut stderr) = gdb_server(&probe);
        let mut line = String::new();
        stderr.read_line(&mut line).expect("the detection line");
        assert_eq!(line.trim(), detected, "{chip}");
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
        assert!(section(t, "@@MEM", "@@LOAD").contains(flash), "{chip}: {t}");
        let s = section(t, "@@LOAD", "@@END");
        assert!(s.contains("Transfer rate"), "{chip}: {t}");
        assert!(
            s.contains("matched") && !s.contains("MIS-MATCHED"),
            "{chip}: {t}"
        );
    }
}
