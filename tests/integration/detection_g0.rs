//! No `--chip` needed for the G0 either: the CLI and the GDB server, in their own processes, ask
//! a chip served by `stm32-opts sim-probe --chip STM32G0B1Rx` what it is — DEV_ID 0x467 at
//! DBG_IDCODE 0x4001_5800 (after the F7/G4 address, where the Cortex-M0+ has nothing) and the
//! flash size — and attach as the probe-rs target of a G0B1 of that size. A `--chip` of
//! another family is refused.

use crate::cli_support;
use crate::gdb_support;

use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};

use cli_support::{bin, bin_process};
use gdb_support::{batch, cmds, section, word_of};
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

fn address_in(line: &str) -> &str {
    line.trim().rsplit(' ').next().expect("an address")
}

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
        .timeout(cli_support::RUN_TIMEOUT)
        .output()
        .expect("the CLI runs")
}

#[test]
fn the_cli_detects_a_g0_without_chip() {
    for (chip, kb, target) in [
        ("STM32G0B1RE", 512, "STM32G0B1RE"),
        ("STM32G0B1RC", 256, "STM32G0B1RC"),
    ] {
        let (_server, probe) = sim_probe(chip);
        let detected = format!(
            "detected STM32G0B0/G0B1/G0C1 (DEV_ID 0x467), {kb} KB flash (STM32G0); attaching as {target}"
        );
        let out = run(&["--probe", &probe, "optbytes", "--json"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{chip}: {stderr}");
        assert!(stderr.contains(&detected), "{chip}: {stderr}");
        let doc: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
        assert_eq!(doc["chip"]["flash_size_kb"], kb, "{chip}: {doc}");
        let swap = run(&["--probe", &probe, "swap"]);
        assert!(
            String::from_utf8_lossy(&swap.stdout).starts_with("swap: off (nSWAP_BANK = 1)"),
            "{chip}: {}",
            String::from_utf8_lossy(&swap.stderr)
        );
        let fault = run(&["--probe", &probe, "fault", "--halt"]);
        let text = String::from_utf8_lossy(&fault.stdout);
        assert!(
            fault.status.success(),
            "{chip}: {}",
            String::from_utf8_lossy(&fault.stderr)
        );
        assert!(text.contains("ARMv6-M"), "{chip}: {text}");
    }
}

#[test]
fn a_swap_and_an_erase_without_chip_follow_the_chip() {
    let (_server, probe) = sim_probe("STM32G0B1RE");
    let out = run(&["--probe", &probe, "swap", "on"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--probe", &probe, "erase", "bank2", "--yes"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("erased logical bank 2 (256 KB at 0x0804_0000) = physical bank 1"),
        "{stderr}"
    );
}

#[test]
fn a_chip_of_another_family_is_refused() {
    let (_server, probe) = sim_probe("STM32G0B1RE");
    let out = run(&["--probe", &probe, "--chip", "STM32G474RE", "bank", "single"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("wrong chip: --chip STM32G474RE is an STM32G4 part, but the chip says it is STM32G0B0/G0B1/G0C1 (DEV_ID 0x467), 512 KB flash, an STM32G0 part"), "{stderr}");
    let out = run(&["--probe", &probe, "--chip", "STM32G0B1RC", "swap", "on"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["--probe", &probe, "swap"]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("swap: off"));
}

#[test]
fn gdb_load_without_chip_programs_the_detected_layout() {
    let (_server, probe) = sim_probe("STM32G0B1RE");
    let args = ["--probe", &probe, "gdb", "--listen", "127.0.0.1:0"];
    let (mut child, line) = start(&args, Stdio::piped());
    let addr = address_in(&line).parse().expect("an address");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let _server = Running(child);
    let mut line = String::new();
    stderr.read_line(&mut line).expect("the detection line");
    assert_eq!(
        line.trim(),
        "detected STM32G0B0/G0B1/G0C1 (DEV_ID 0x467), 512 KB flash (STM32G0); attaching as STM32G0B1RE"
    );
    let elf = super::gdb_g0::image(2);
    let run = batch(
        addr,
        Some(&elf),
        &cmds(&[
            "echo @@MEM\\n",
            "info mem",
            "echo @@LOAD\\n",
            "load",
            "compare-sections",
            "monitor reset halt",
            "hbreak spin",
            "continue",
            "printf \"IMAGE=%#x\\n\", *(unsigned int *)&report_image",
            "echo @@END\\n",
            "delete",
            "detach",
        ]),
    );
    let t = &run.text;
    assert!(
        section(t, "@@MEM", "@@LOAD").contains("0x08040000 0x08080000 flash blocksize 0x800"),
        "{t}"
    );
    let s = section(t, "@@LOAD", "@@END");
    assert!(s.contains("matched") && !s.contains("MIS-MATCHED"), "{t}");
    assert_eq!(word_of(t, "IMAGE"), 0xB0B0_0002, "{t}");
}
