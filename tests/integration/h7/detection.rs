//! No `--chip` needed on an H7: the CLI and the GDB server, in their own processes, ask a chip
//! served by `stm32-opts sim-probe --chip STM32H743Zx` (another process) what it is — DEV_ID at
//! the H7's DBGMCU (0x5C00_1000) and the flash size through a generic Cortex-M attach, after the
//! other families' DBGMCU address read nothing — and attach as the probe-rs target of that size.
//! A `--chip` that disagrees is refused with nothing written.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Stdio};

use crate::cli_support::{bin, bin_process, RUN_TIMEOUT};
use crate::gdb_support::{batch, cmds, section};
use serde_json::Value;

use super::firmware::bank_report;

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

fn address_in(line: &str) -> &str {
    line.trim().rsplit(' ').next().expect("an address")
}

/// `stm32-opts sim-probe --chip CHIP` on a free port, and the `--probe` selector that reaches it.
fn sim_probe(chip: &str) -> (Running, String) {
    let args = ["sim-probe", "--chip", chip, "--listen", "127.0.0.1:0"];
    let (child, line) = start(&args, Stdio::null());
    assert!(line.contains("listening on"), "{line}");
    (
        Running(child),
        format!("20b7:9db1:tcp:{}", address_in(&line)),
    )
}

fn run(args: &[&str]) -> std::process::Output {
    bin()
        .args(args)
        .timeout(RUN_TIMEOUT)
        .output()
        .expect("the CLI runs")
}

#[test]
fn the_cli_detects_an_h743_of_either_size_without_chip() {
    for (chip, kb) in [("STM32H743ZI", 2048), ("STM32H743ZG", 1024)] {
        let detected = format!(
            "detected STM32H74x/H75x (DEV_ID 0x450), {kb} KB flash (STM32H7); attaching as {chip}"
        );
        let (_server, probe) = sim_probe(chip);
        let out = run(&["--probe", &probe, "optbytes", "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{chip}: {stderr}");
        assert!(stderr.contains(&detected), "{chip}: {stderr}");
        let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        assert_eq!(doc["chip"], chip, "{doc}");
        let out = run(&["--probe", &probe, "swap"]);
        assert!(
            String::from_utf8_lossy(&out.stdout).starts_with("bank swap: off"),
            "{chip}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = run(&["--probe", &probe, "fault", "--halt"]);
        assert!(
            out.status.success(),
            "{chip}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn a_chip_that_disagrees_with_chip_is_refused_on_an_h7() {
    let (_server, probe) = sim_probe("STM32H743ZI");
    let out = run(&["--probe", &probe, "--chip", "STM32G474RE", "bank", "single"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("wrong chip: --chip STM32G474RE is an STM32G4 part, but the chip says it is STM32H74x/H75x (DEV_ID 0x450), 2048 KB flash, an STM32H7 part"),
        "{stderr}"
    );
    let out = run(&["--probe", &probe, "--chip", "STM32H743ZG", "swap", "on"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("wrong chip"), "{stderr}");
    let out = run(&["--probe", &probe, "swap"]);
    assert!(
        String::from_utf8_lossy(&out.stdout).starts_with("bank swap: off"),
        "nothing written: {}",
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
fn gdb_load_without_chip_programs_the_detected_h743() {
    let (_server, probe) = sim_probe("STM32H743ZG");
    let (_gdb_server, addr, mut stderr) = gdb_server(&probe);
    let mut line = String::new();
    stderr.read_line(&mut line).expect("the detection line");
    assert_eq!(
        line.trim(),
        "detected STM32H74x/H75x (DEV_ID 0x450), 1024 KB flash (STM32H7); attaching as STM32H743ZG"
    );
    let run = batch(
        addr,
        Some(&bank_report(3)),
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
        s.contains("0x08000000 0x08080000 flash blocksize 0x20000"),
        "{t}"
    );
    assert!(
        s.contains("0x08100000 0x08180000 flash blocksize 0x20000"),
        "{t}"
    );
    let s = section(t, "@@LOAD", "@@END");
    assert!(s.contains("matched") && !s.contains("MIS-MATCHED"), "{t}");
}
