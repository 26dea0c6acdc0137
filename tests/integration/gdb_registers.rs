//! The registers GDB is told about follow the core, read from the chip: gdb-multiarch against
//! the server on a simulated STM32G0B1RE (Cortex-M0+, ARMv6-M: no FPU, no BASEPRI/FAULTMASK),
//! STM32F767ZI (Cortex-M7, FPv5-DP), STM32G474RE (Cortex-M4F, FPv4-SP) and STM32H743ZI
//! (Cortex-M7); raw `p`/`P`/`G` packets for registers the core lacks.

use crate::gdb_support;

use gdb_support::*;
use stm32_opts::gdb::{Server, ServerHandle};
use stm32_opts::sim::Simulator;

const G0B1: &str = "STM32G0B1RE";

/// Every register the server describes on an ARMv6-M core, in GDB's order.
const M0PLUS_REGISTERS: [&str; 21] = [
    "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "r10", "r11", "r12", "sp", "lr",
    "pc", "xpsr", "msp", "psp", "primask", "control",
];

fn serve(sim: &Simulator) -> ServerHandle {
    let _ = env_logger::builder().is_test(true).try_init();
    let session = sim.attach().expect("attach");
    Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server")
}

/// The first word of each line: the register names an `info registers` listing shows.
fn names(listing: &str) -> Vec<&str> {
    listing
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect()
}

/// A core register of the simulated chip by DCRSR REGSEL, read beside the debugger.
fn core_register(sim: &Simulator, regsel: u32) -> u32 {
    sim.with(move |chip| chip.core.read_core_register(regsel))
        .unwrap()
        .expect("a register the core has")
}

#[test]
fn gdb_shows_exactly_the_cortex_m0plus_registers() {
    let sim = Simulator::new(G0B1).expect("simulated G0B1RE");
    let server = serve(&sim);
    let elf = crate::gdb_g0::image(1);
    // Each command on its own: the ones about missing registers fail, and the run goes on.
    let run = batch_each(
        server.local_addr(),
        Some(&elf),
        &cmds(&[
            "load",
            "monitor reset halt",
            "maintenance flush register-cache",
            "hbreak spin",
            "continue",
            "delete",
            "echo @@REGS\\n",
            "info registers",
            "echo @@ALL\\n",
            "info all-registers",
            "echo @@SYS\\n",
            "info registers primask control",
            "echo @@MISSING\\n",
            "info registers s0",
            "info registers d0",
            "info registers fpscr",
            "info registers basepri",
            "info registers faultmask",
            "p $s0",
            "echo @@TDESC\\n",
            "maintenance print xml-tdesc",
            "echo @@WRITE\\n",
            "set $r0 = 0x12345678",
            "set $primask = 1",
            "maintenance flush register-cache",
            "printf \"r0=%#x primask=%#x control=%#x\\n\", $r0, $primask, $control",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;

    let regs = section(t, "@@REGS", "@@ALL");
    assert_eq!(names(regs), M0PLUS_REGISTERS, "info registers:\n{t}");
    let all = section(t, "@@ALL", "@@SYS");
    assert_eq!(names(all), M0PLUS_REGISTERS, "info all-registers:\n{t}");

    let sys = section(t, "@@SYS", "@@MISSING");
    assert_eq!(names(sys), ["primask", "control"], "{t}");
    // At `spin` the firmware runs privileged on MSP with interrupts enabled.
    assert!(
        sys.lines()
            .filter(|l| !l.is_empty())
            .all(|l| l.split_whitespace().nth(1) == Some("0x0")),
        "{t}"
    );

    let missing = section(t, "@@MISSING", "@@TDESC");
    for reg in ["s0", "d0", "fpscr", "basepri", "faultmask"] {
        assert!(
            missing.contains(&format!("Invalid register `{reg}'")),
            "{reg}: {t}"
        );
    }
    // `$s0` is no register here: GDB takes it for an unset convenience variable.
    assert!(missing.contains("= void"), "{t}");

    let tdesc = section(t, "@@TDESC", "@@WRITE");
    assert!(tdesc.contains("org.gnu.gdb.arm.m-profile"), "{t}");
    assert!(tdesc.contains("org.gnu.gdb.arm.m-system"), "{t}");
    assert!(!tdesc.contains("org.gnu.gdb.arm.vfp"), "{t}");
    for reg in ["basepri", "faultmask", "fpscr", "d0"] {
        assert!(!tdesc.contains(&format!("name=\"{reg}\"")), "{reg}: {t}");
    }

    let write = section(t, "@@WRITE", "@@END");
    assert!(
        write.contains("r0=0x12345678 primask=0x1 control=0\n"),
        "{t}"
    );
    // The writes reached the core: r0, and PRIMASK in the combined CONTROL/PRIMASK register.
    assert_eq!(core_register(&sim, 0), 0x1234_5678);
    assert_eq!(core_register(&sim, 20), 0x0000_0001);
    assert!(!t.contains("Remote failure reply"), "{t}");
    server.shutdown().unwrap();
}

#[test]
fn raw_packets_for_registers_an_armv6m_core_lacks_are_refused_and_the_session_goes_on() {
    let sim = Simulator::new(G0B1).expect("simulated G0B1RE");
    let server = serve(&sim);
    let mut c = connect_client(server.local_addr());

    // r0–r15, xpsr, msp, psp (4 bytes each), primask and control (1 byte each).
    let g = c.ask("g").expect("g reply");
    assert_eq!(g.len(), 2 * (19 * 4 + 2), "{g}");

    // d0 (28), fpscr (44), basepri (46), faultmask (47): not on this core.
    for n in [0x1c, 0x2b, 0x2c, 0x2e, 0x2f] {
        let r = c.ask(&format!("p{n:x}")).unwrap();
        assert!(r.starts_with('E'), "p{n:x}: {r}");
    }
    for p in ["P1c=0000000000000000", "P2c=00000000", "P2e=40", "P2f=01"] {
        let r = c.ask(p).unwrap();
        assert!(r.starts_with('E'), "{p}: {r}");
    }
    // A `G` block of a core with an FPU (212 bytes) does not fit: nothing is written.
    let r0_before = core_register(&sim, 0);
    let big = format!("G{}", "11".repeat(212));
    assert!(c.ask(&big).unwrap().starts_with('E'));
    assert_eq!(core_register(&sim, 0), r0_before);

    // primask (45) and control (48) are one byte each; r0 four.
    let primask = c.ask("p2d").unwrap();
    assert_eq!(primask.len(), 2, "{primask}");
    assert_eq!(c.ask("P0=78563412").as_deref(), Some("OK"));
    assert_eq!(c.ask("P2d=01").as_deref(), Some("OK"));
    assert_eq!(c.ask("p0").as_deref(), Some("78563412"));
    assert_eq!(c.ask("p2d").as_deref(), Some("01"));
    assert_eq!(core_register(&sim, 0), 0x1234_5678);
    assert_eq!(core_register(&sim, 20) & 0xFF, 1);

    // The block GDB would write back (78 bytes) is accepted.
    let g = c.ask("g").unwrap();
    assert_eq!(c.ask(&format!("G{g}")).as_deref(), Some("OK"));
    assert_eq!(c.ask("p2d").as_deref(), Some("01"));
    let _ = c.ask("D");
    server.shutdown().unwrap();
}

#[test]
fn cores_with_an_fpu_keep_their_fp_registers_and_gain_the_system_registers() {
    for chip in ["STM32F767ZI", "STM32G474RE", "STM32H743ZI"] {
        let sim = Simulator::new(chip).expect("simulated chip");
        let server = serve(&sim);
        let run = batch(
            server.local_addr(),
            None,
            &cmds(&[
                "echo @@REGS\\n",
                "info registers",
                "echo @@ALL\\n",
                "info all-registers",
                "echo @@SET\\n",
                "set $basepri = 0x40",
                "set $d1 = 1.5",
                "set $s0 = 2.5",
                "set $fpscr = 0x00c00000",
                "maintenance flush register-cache",
                "printf \"basepri=%#x faultmask=%#x fpscr=%#x\\n\", $basepri, $faultmask, $fpscr",
                "p $d1",
                "p $s0",
                "echo @@END\\n",
                "detach",
            ]),
        );
        let t = &run.text;
        let regs = names(section(t, "@@REGS", "@@ALL"));
        for reg in [
            "r0",
            "pc",
            "xpsr",
            "msp",
            "psp",
            "primask",
            "basepri",
            "faultmask",
            "control",
        ] {
            assert!(regs.contains(&reg), "{chip}: {reg} missing:\n{t}");
        }
        let all = names(section(t, "@@ALL", "@@SET"));
        for reg in ["d0", "d15", "s0", "s31", "fpscr", "basepri", "faultmask"] {
            assert!(all.contains(&reg), "{chip}: {reg} missing:\n{t}");
        }
        let set = section(t, "@@SET", "@@END");
        assert!(
            set.contains("basepri=0x40 faultmask=0 fpscr=0xc00000"),
            "{chip}:\n{t}"
        );
        assert!(set.contains("= 1.5"), "{chip}:\n{t}");
        assert!(set.contains("= 2.5"), "{chip}:\n{t}");
        // The values reached the core: BASEPRI in the combined word, S0 and D1 = S3:S2.
        assert_eq!(core_register(&sim, 20) & 0xFF00, 0x4000, "{chip}");
        assert_eq!(core_register(&sim, 64), 2.5f32.to_bits(), "{chip}");
        let d1 = u64::from(core_register(&sim, 66)) | u64::from(core_register(&sim, 67)) << 32;
        assert_eq!(d1, 1.5f64.to_bits(), "{chip}");
        server.shutdown().unwrap();
    }
}
