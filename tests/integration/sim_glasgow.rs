//! The simulated chip over probe-rs's Glasgow socket protocol: the real probe-rs driver, selector
//! parsing and posted AP reads, against the real `stm32-opts sim-probe` binary.

use crate::sim_support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use probe_rs::probe::list::Lister;
use probe_rs::{MemoryInterface, Permissions};
use stm32_opts::sim::glasgow::GlasgowServer;
use stm32_opts::sim::Simulator;

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn a_probe_rs_session_through_sim_probe_reads_optcr() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stm32-opts"))
        .args(["sim-probe", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _guard = Kill(child);
    let mut line = String::new();
    // The reader (and so the pipe) stays open while the server runs.
    let mut banner = BufReader::new(stdout);
    banner.read_line(&mut line).unwrap();
    let addr = line.trim().rsplit(' ').next().unwrap().to_string();
    assert!(line.contains("listening on"), "{line}");

    let selector = format!("20b7:9db1:tcp:{addr}");
    let probe = Lister::new()
        .open(
            selector
                .parse::<probe_rs::probe::DebugProbeSelector>()
                .unwrap(),
        )
        .unwrap();
    let mut session = probe.attach("STM32F767ZI", Permissions::default()).unwrap();
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_32(0x4002_3C14).unwrap(), 0xFFFF_AAFD);
}

#[test]
fn flashing_over_glasgow_uses_posted_reads_correctly() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let server = GlasgowServer::bind(sim.clone(), "127.0.0.1:0".parse().unwrap()).unwrap();
    let selector = server.selector().unwrap();
    server.spawn();
    let probe = Lister::new()
        .open(
            selector
                .parse::<probe_rs::probe::DebugProbeSelector>()
                .unwrap(),
        )
        .unwrap();
    let mut session = probe.attach("STM32F767ZI", Permissions::default()).unwrap();
    sim_support::flash_firmware(&mut session, "stm32f7x_2048")
        .expect("program and verify over the socket");
    let mut core = session.core(0).unwrap();
    let mut block = [0u32; 64];
    core.read_32(0x0800_0000, &mut block).unwrap();
    assert_eq!(
        block[0], 0x2008_0000,
        "initial SP of the firmware's vector table"
    );
}

/// `stm32-opts sim-probe --listen 127.0.0.1:0`, its address and the child (killed when dropped).
fn sim_probe_process(listen: &str) -> (String, Kill, BufReader<std::process::ChildStdout>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stm32-opts"))
        .env_remove("RUST_LOG")
        .args(["sim-probe", "--listen", listen])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut banner = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    banner.read_line(&mut line).unwrap();
    assert!(line.contains("listening on"), "{line}");
    let addr = line.trim().rsplit(' ').next().unwrap().to_string();
    (addr, Kill(child), banner)
}

fn attach(addr: &str) -> probe_rs::Session {
    let selector = format!("20b7:9db1:tcp:{addr}");
    Lister::new()
        .open(
            selector
                .parse::<probe_rs::probe::DebugProbeSelector>()
                .unwrap(),
        )
        .unwrap()
        .attach("STM32F767ZI", Permissions::default())
        .unwrap()
}

#[test]
fn a_bus_fault_fails_only_the_faulting_access_for_a_probe_rs_client() {
    let (addr, _child, _banner) = sim_probe_process("127.0.0.1:0");
    {
        // As `probe-rs read` does: the probe-rs library on the Glasgow selector.
        let mut session = attach(&addr);
        let mut core = session.core(0).unwrap();
        core.halt(std::time::Duration::from_millis(500)).unwrap();
        assert!(core.read_word_32(0xFFFF_FFFC).is_err(), "unmapped read");
        assert_eq!(core.read_word_32(0x4002_3C14).unwrap(), 0xFFFF_AAFD);
        let mut block = [0u32; 16];
        assert!(
            core.read_32(0xFFFF_FF00, &mut block).is_err(),
            "unmapped block"
        );
        core.read_32(0x2000_0000, &mut block).unwrap();
        assert!(
            core.write_word_32(0xFFFF_FFF0, 1).is_err(),
            "unmapped write"
        );
        core.write_word_32(0x2000_0000, 0xA5A5_5A5A).unwrap();
        assert_eq!(core.read_word_32(0x2000_0000).unwrap(), 0xA5A5_5A5A);
        // This client leaves with a fault as its last access.
        assert!(core.read_word_32(0xFFFF_FFFC).is_err());
    }
    // A later client starts clean.
    let mut session = attach(&addr);
    let mut core = session.core(0).unwrap();
    assert_eq!(core.read_word_32(0x2000_0000).unwrap(), 0xA5A5_5A5A);
}

#[test]
fn sim_probe_warns_when_listening_beyond_loopback() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stm32-opts"))
        .env_remove("RUST_LOG")
        .args(["sim-probe", "--listen", "0.0.0.0:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut banner = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    // The warning comes before the banner; once the banner is out, stop the server and read
    // everything it wrote to stderr.
    banner.read_line(&mut line).unwrap();
    assert!(line.contains("listening on 0.0.0.0:"), "{line}");
    let _ = child.kill();
    let _ = child.wait();
    let mut text = String::new();
    BufReader::new(stderr).read_to_string(&mut text).unwrap();
    assert!(text.contains("not a loopback address"), "stderr: {text}");

    // Loopback: no warning.
    let mut child = Command::new(env!("CARGO_BIN_EXE_stm32-opts"))
        .env_remove("RUST_LOG")
        .args(["sim-probe", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut banner = BufReader::new(child.stdout.take().unwrap());
    banner.read_line(&mut line).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let mut text = String::new();
    BufReader::new(stderr).read_to_string(&mut text).unwrap();
    assert!(!text.contains("loopback"), "stderr: {text}");
}
