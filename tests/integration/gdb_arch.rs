//! The target description of a Cortex-M core with FPU (the architecture's static one), its
//! register block and the memory-map XML as gdb-multiarch understands them, checked against a
//! tiny in-memory target (no chip, no probe). The descriptions of the other cores are checked
//! on the simulated chips (gdb_registers.rs).

use crate::gdb_support;

use std::net::TcpListener;

use gdbstub::common::Signal;
use gdbstub::stub::GdbStub;
use gdbstub::target::ext::base::singlethread::{
    SingleThreadBase, SingleThreadResume, SingleThreadResumeOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::memory_map::{MemoryMap, MemoryMapOps};
use gdbstub::target::{Target, TargetResult};
use stm32_opts::chip::f7::FlashLayout;
use stm32_opts::chip::BankMode;
use stm32_opts::gdb::arch::{CortexM, CortexMRegs};
use stm32_opts::gdb::f7::memory_map::memory_map_xml;

use gdb_support::*;

struct Fake {
    regs: CortexMRegs,
    map: String,
}

impl Target for Fake {
    type Arch = CortexM;
    type Error = ();
    fn base_ops(&mut self) -> BaseOps<'_, CortexM, ()> {
        BaseOps::SingleThread(self)
    }
    fn guard_rail_implicit_sw_breakpoints(&self) -> bool {
        true
    }
    fn support_memory_map(&mut self) -> Option<MemoryMapOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadBase for Fake {
    fn read_registers(&mut self, regs: &mut CortexMRegs) -> TargetResult<(), Self> {
        *regs = self.regs.clone();
        Ok(())
    }
    fn write_registers(&mut self, regs: &CortexMRegs) -> TargetResult<(), Self> {
        self.regs = regs.clone();
        Ok(())
    }
    fn read_addrs(&mut self, _start: u32, data: &mut [u8]) -> TargetResult<usize, Self> {
        data.fill(0);
        Ok(data.len())
    }
    fn write_addrs(&mut self, _start: u32, _data: &[u8]) -> TargetResult<(), Self> {
        Ok(())
    }
    fn support_resume(&mut self) -> Option<SingleThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadResume for Fake {
    fn resume(&mut self, _signal: Option<Signal>) -> Result<(), ()> {
        Ok(())
    }
}

impl MemoryMap for Fake {
    fn memory_map_xml(
        &self,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let doc = self.map.as_bytes();
        let start = (offset as usize).min(doc.len());
        let n = (doc.len() - start).min(length).min(buf.len());
        buf[..n].copy_from_slice(&doc[start..start + n]);
        Ok(n)
    }
}

/// Serves one GDB session on the fake target and returns GDB's output.
fn session(fake: Fake, commands: &[&str]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut fake = fake;
        let stub = GdbStub::<Fake, std::net::TcpStream>::new(stream);
        // Only the idle loop is needed: the fake never runs.
        let mut sm = stub.run_state_machine(&mut fake).unwrap();
        loop {
            use gdbstub::conn::ConnectionExt;
            use gdbstub::stub::state_machine::GdbStubStateMachine as S;
            sm = match sm {
                S::Idle(mut g) => match g.borrow_conn().read() {
                    Ok(b) => g.incoming_data(&mut fake, b).unwrap(),
                    Err(_) => break,
                },
                S::Disconnected(_) => break,
                S::CtrlCInterrupt(g) => g
                    .interrupt_handled(
                        &mut fake,
                        None::<gdbstub::stub::SingleThreadStopReason<u32>>,
                    )
                    .unwrap(),
                S::Running(g) => g
                    .report_stop(&mut fake, gdbstub::stub::SingleThreadStopReason::DoneStep)
                    .unwrap(),
            };
        }
    });
    let mut all = vec!["set architecture armv7e-m".to_string()];
    all.extend(commands.iter().map(|c| c.to_string()));
    all.push("detach".into());
    // `batch` connects with `target extended-remote`; plain remote is enough here.
    let run = batch(addr, None, &all);
    let _ = server.join();
    run.text
}

fn regs() -> CortexMRegs {
    let mut r = CortexMRegs::default();
    for (n, v) in r.r.iter_mut().enumerate() {
        *v = 0x1000 + n as u32;
    }
    r.r[15] = 0x0800_0198;
    r.xpsr = 0x0100_0000;
    r.msp = 0x2002_0000;
    r.psp = 0x2001_0000;
    // d1 = 1.5 as a double; d0 = s1:s0 = 0x40490fdb:0x3f800000 (s0 = 1.0f, s1 = 3.14159f).
    r.d[0] = 0x4049_0FDB_3F80_0000;
    r.d[1] = 1.5f64.to_bits();
    r.fpscr = 0x0300_0000;
    r
}

#[test]
fn gdb_reads_the_register_block_through_the_target_description() {
    let text = session(
        Fake {
            regs: regs(),
            map: memory_map_xml(None, 2048),
        },
        &[
            "echo @@R\\n",
            "printf \"r0=%#x r12=%#x sp=%#x lr=%#x pc=%#x xpsr=%#x\\n\", $r0, $r12, $sp, $lr, $pc, $xpsr",
            "printf \"msp=%#x psp=%#x fpscr=%#x\\n\", $msp, $psp, $fpscr",
            "p $s0",
            "p $s1",
            "p $d1",
            "p/x $d0",
            "info registers",
            "info all-registers",
            "echo @@END\\n",
        ],
    );
    let s = section(&text, "@@R", "@@END");
    assert!(
        s.contains("r0=0x1000 r12=0x100c sp=0x100d lr=0x100e pc=0x8000198 xpsr=0x1000000"),
        "{text}"
    );
    assert!(
        s.contains("msp=0x20020000 psp=0x20010000 fpscr=0x3000000"),
        "{text}"
    );
    assert!(s.contains("= 1\n"), "s0 = 1.0: {text}");
    assert!(s.contains("3.14159"), "s1: {text}");
    assert!(s.contains("= 1.5"), "d1: {text}");
    assert!(s.contains("0x40490fdb3f800000"), "d0: {text}");
    for reg in ["xpsr", "msp", "psp", "d15", "fpscr", "s31"] {
        assert!(s.contains(reg), "{reg} missing: {text}");
    }
    assert!(!text.contains("warning: Architecture rejected"), "{text}");
}

#[test]
fn gdb_accepts_the_memory_maps() {
    for (kb, mode, bank2) in [
        (2048, BankMode::Single, None),
        (
            2048,
            BankMode::Dual,
            Some("0x08100000 0x08110000 flash blocksize 0x4000"),
        ),
        (1024, BankMode::Single, None),
        (
            1024,
            BankMode::Dual,
            Some("0x08080000 0x08090000 flash blocksize 0x4000"),
        ),
    ] {
        let layout = FlashLayout::new(kb, mode).unwrap();
        let text = session(
            Fake {
                regs: regs(),
                map: memory_map_xml(Some(&layout), kb),
            },
            &[
                "echo @@M\\n",
                "info mem",
                "x/wx 0x40023C14",
                "x/wx 0xE000EDF0",
                "echo @@END\\n",
            ],
        );
        let s = section(&text, "@@M", "@@END");
        assert!(
            s.contains("Using memory regions provided by the target"),
            "{text}"
        );
        let first = if mode == BankMode::Single {
            "0x08000000 0x08020000 flash blocksize 0x8000"
        } else {
            "0x08000000 0x08010000 flash blocksize 0x4000"
        };
        assert!(s.contains(first), "{kb} {mode:?}: {text}");
        if let Some(b2) = bank2 {
            assert!(s.contains(b2), "{kb} {mode:?}: {text}");
        }
        assert!(
            s.contains("0x40023c14:\t0x00000000"),
            "peripheral read: {text}"
        );
        assert!(
            s.contains("0xe000edf0:\t0x00000000"),
            "system space read: {text}"
        );
        assert!(!s.contains("Cannot access memory"), "{text}");
    }
}
