//! The simulated chip over probe-rs's Glasgow socket protocol: the real probe-rs driver, selector
//! parsing and posted AP reads, against the real `stm32-opts sim-probe` binary.

mod sim_support;

use std::io::{BufRead, BufReader};
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
