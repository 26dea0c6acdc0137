//! gdb-multiarch and raw packets against the GDB server on a simulated STM32G0B1RE: `monitor
//! bank`/`monitor swap` name the physical bank at 0x0800_0000; `load` + `compare-sections` in
//! every bank/swap mode with a firmware that reports which image runs (tests/firmware/g0_bank.S,
//! built as image 1 and image 2), the images checked in the simulator's physical array; erase of
//! logical bank 2 with the swap on; the write guard over raw packets; the Cortex-M0+'s debug and
//! fault model (BPU breakpoint, DWT watchpoint, HardFault only, two vector catches).

use crate::gdb_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use gdb_support::*;
use stm32_opts::gdb::{Server, ServerHandle};
use stm32_opts::sim::g0::{G0Model, G0Sim};
use stm32_opts::sim::Simulator;

const G0B1: &str = "STM32G0B1RE";
/// FLASH_OPTR factory value of a G0B1 (dual bank, no swap).
const FACTORY_OPTR: u32 = 0xFFFF_FEAA;
const NSWAP_BANK: u32 = 1 << 20;
const FLASH_KEYR: u32 = 0x4002_2008;
const FLASH_CR: u32 = 0x4002_2014;
const FLASH_OPTR: u32 = 0x4002_2020;
const OPTLOCK: u32 = 1 << 30;
const LOCK: u32 = 1 << 31;
/// One physical bank of a 512 KB part.
const BANK: usize = 256 * 1024;
/// The reply to a write the guard refused (EACCES).
const REFUSED: &str = "E0d";

static BUILDING: Mutex<()> = Mutex::new(());

/// tests/firmware/g0_bank.S built for the Cortex-M0+ as image `n` (1 or 2).
pub fn image(n: u32) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/firmware");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("firmware");
    std::fs::create_dir_all(&out).unwrap();
    let source = std::fs::read(dir.join("g0_bank.S")).unwrap();
    let script = std::fs::read(dir.join("g0b1.ld")).unwrap();
    let stamp = source.iter().chain(&script).fold(0u64, |h, &b| {
        h.wrapping_mul(0x100_0000_01B3).wrapping_add(u64::from(b))
    });
    let elf = out.join(format!("g0_bank-{n}-{stamp:016x}.elf"));
    let _guard = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
    if elf.exists() {
        return elf;
    }
    let partial = elf.with_extension(format!("{}.tmp", std::process::id()));
    let result = Command::new("arm-none-eabi-gcc")
        .current_dir(&dir)
        .args(["-mthumb", "-mcpu=cortex-m0plus", "-nostdlib", "-g"])
        .arg(format!("-DIMAGE={n}"))
        .args(["-L", "."])
        .args(["-T", "g0b1.ld", "g0_bank.S", "-o"])
        .arg(&partial)
        .output()
        .expect("arm-none-eabi-gcc (apt-get install gcc-arm-none-eabi, as .ci/run does)");
    assert!(
        result.status.success(),
        "building g0_bank.S failed:\n{}",
        String::from_utf8_lossy(&result.stderr)
    );
    std::fs::rename(&partial, &elf).unwrap();
    elf
}

/// A factory G0B1RE whose empty check acts: with FLASH_ACR.PROGEMPTY set (erased flash at the
/// last option load) it boots the system memory, so a `load` that leaves it set would not run.
fn chip() -> Simulator {
    let sim = Simulator::new(G0B1).expect("simulated G0B1RE");
    sim.with_model(|m: &mut G0Model| m.empty_check_boot = true)
        .unwrap();
    sim
}

fn serve(sim: &Simulator) -> ServerHandle {
    let _ = env_logger::builder().is_test(true).try_init();
    let session = sim.attach().expect("attach");
    Server::bind(session, "127.0.0.1:0".parse().unwrap())
        .expect("binding")
        .spawn()
        .expect("starting the server")
}

/// `load` + `compare-sections` of image `n`, then a reset and a run to `spin` (a BPU
/// breakpoint): the report the image that runs wrote.
fn load_and_run(server: &ServerHandle, n: u32) -> String {
    let run = batch(
        server.local_addr(),
        Some(&image(n)),
        &cmds(&[
            "echo @@MEM\\n",
            "info mem",
            "echo @@LOAD\\n",
            "load",
            "compare-sections",
            "echo @@RUN\\n",
            "monitor reset halt",
            "hbreak spin",
            "continue",
            "printf \"IMAGE=%#x\\n\", *(unsigned int *)&report_image",
            "printf \"OPTR=%#x\\n\", *(unsigned int *)&report_optr",
            "echo @@END\\n",
            "delete",
            "detach",
        ]),
    );
    let t = run.text;
    let s = section(&t, "@@LOAD", "@@RUN");
    assert!(s.contains("Transfer rate"), "{t}");
    assert!(s.contains("matched") && !s.contains("MIS-MATCHED"), "{t}");
    t
}

fn monitor_batch(server: &ServerHandle, commands: &[&str]) -> String {
    let mut list = cmds(commands);
    list.push("detach".into());
    batch(server.local_addr(), None, &list).text
}

/// The first word of each physical bank in the simulator's array.
fn bank_heads(sim: &Simulator) -> (u32, u32) {
    let array = sim.with_g0_flash(|f| f.array().to_vec()).unwrap();
    let word =
        |at: usize| u32::from_le_bytes([array[at], array[at + 1], array[at + 2], array[at + 3]]);
    // Word 4 is `image_id` (0xB0B0_000n); 0xFFFF_FFFF when erased.
    (word(16), word(BANK + 16))
}

#[test]
fn load_and_compare_in_every_bank_and_swap_mode_and_the_image_reports_its_bank() {
    let sim = chip();
    let server = serve(&sim);

    // Factory: dual bank, no swap. Image 1 goes to physical bank 1.
    let t = monitor_batch(&server, &["monitor bank", "monitor swap"]);
    assert!(t.contains("bank mode: dual (DUAL_BANK = 1"), "{t}");
    assert!(
        t.contains("physical bank 1 is mapped at 0x0800_0000"),
        "{t}"
    );
    assert!(t.contains("swap: off (nSWAP_BANK = 1): physical bank 1 at 0x0800_0000, physical bank 2 at 0x0804_0000"), "{t}");
    let t = load_and_run(&server, 1);
    let s = section(&t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08000000 0x08040000 flash blocksize 0x800"),
        "{t}"
    );
    assert!(
        s.contains("0x08040000 0x08080000 flash blocksize 0x800"),
        "{t}"
    );
    assert_eq!(word_of(&t, "IMAGE"), 0xB0B0_0001, "{t}");
    assert_eq!(bank_heads(&sim), (0xB0B0_0001, 0xFFFF_FFFF));

    // Swap on: physical bank 2 is at 0x0800_0000; image 2 loaded there lands in physical bank 2
    // and image 1 stays in physical bank 1 (now at 0x0804_0000).
    let t = monitor_batch(&server, &["monitor swap on", "monitor swap"]);
    assert!(t.contains("loaded by OBL_LAUNCH"), "{t}");
    assert!(t.contains("swap: on (nSWAP_BANK = 0): physical bank 2 at 0x0800_0000, physical bank 1 at 0x0804_0000"), "{t}");
    let t = load_and_run(&server, 2);
    assert_eq!(word_of(&t, "IMAGE"), 0xB0B0_0002, "{t}");
    assert_eq!(word_of(&t, "OPTR") & NSWAP_BANK, 0, "{t}");
    assert_eq!(bank_heads(&sim), (0xB0B0_0001, 0xB0B0_0002));

    // Swap off again: physical bank 1 boots, image 1 answers without a new load.
    let t = monitor_batch(&server, &["monitor swap off"]);
    assert!(t.contains("loaded by OBL_LAUNCH"), "{t}");
    let run = batch(
        server.local_addr(),
        Some(&image(1)),
        &cmds(&[
            "monitor reset halt",
            "hbreak spin",
            "continue",
            "printf \"IMAGE=%#x\\n\", *(unsigned int *)&report_image",
            "delete",
            "detach",
        ]),
    );
    assert_eq!(word_of(&run.text, "IMAGE"), 0xB0B0_0001, "{}", run.text);

    // Single bank: one flash element, load and compare still match.
    let t = monitor_batch(&server, &["monitor bank single"]);
    assert!(t.contains("loaded by OBL_LAUNCH"), "{t}");
    let t = load_and_run(&server, 2);
    let s = section(&t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08000000 0x08080000 flash blocksize 0x800"),
        "{t}"
    );
    assert_eq!(word_of(&t, "IMAGE"), 0xB0B0_0002, "{t}");
    let t = monitor_batch(&server, &["monitor bank dual"]);
    assert!(t.contains("loaded by OBL_LAUNCH"), "{t}");
    assert_eq!(sim.g0_option_store().unwrap().optr, FACTORY_OPTR);
    server.shutdown().unwrap();
}

#[test]
fn monitor_erase_of_logical_bank_2_with_the_swap_on_erases_physical_bank_1() {
    let sim = chip();
    let server = serve(&sim);
    let t = monitor_batch(&server, &["monitor swap on"]);
    assert!(t.contains("loaded by OBL_LAUNCH"), "{t}");
    sim.with_g0_flash(|f| {
        let mut bytes = vec![0x11u8; BANK];
        bytes.extend(vec![0x22u8; BANK]);
        f.restore_array(&bytes);
    })
    .unwrap();
    let t = monitor_batch(&server, &["monitor erase bank2"]);
    assert!(
        t.contains(
            "erased logical bank 2 (256 KB at 0x0804_0000) = physical bank 1 (mass erase MER1)"
        ),
        "{t}"
    );
    let array = sim.with_g0_flash(|f| f.array().to_vec()).unwrap();
    assert!(
        array[..BANK].iter().all(|&b| b == 0xFF),
        "physical bank 1 erased"
    );
    assert!(
        array[BANK..].iter().all(|&b| b == 0x22),
        "physical bank 2 kept"
    );
    server.shutdown().unwrap();
}

#[test]
fn the_guard_refuses_raw_writes_into_flash_otp_and_the_option_registers() {
    let sim = chip();
    let server = serve(&sim);
    let mut c = connect_client(server.local_addr());
    // Flash packets outside the live main flash.
    for head in [
        "vFlashErase:1fff7800,800",
        "vFlashErase:1fff7000,400",
        "vFlashErase:08080000,800",
    ] {
        let reply = c.ask(head).unwrap_or_default();
        assert!(reply.starts_with('E'), "{head}: {reply}");
    }
    // Plain memory writes: flash (either window), OTP, the option image, FLASH_OPTR (RDP 2
    // even when raw option writes are allowed).
    for (addr, bytes) in [
        (0x0804_0000u32, vec![0u8; 4]),
        (0x0000_0100, vec![0u8; 4]),
        (0x1FFF_7000, vec![0u8; 4]),
        (0x1FFF_7800, vec![0u8; 4]),
        (
            FLASH_OPTR,
            (FACTORY_OPTR & !NSWAP_BANK).to_le_bytes().to_vec(),
        ),
    ] {
        assert_eq!(
            write_mem(&mut c, addr, &bytes).as_deref(),
            Some(REFUSED),
            "{addr:#x}"
        );
    }
    let (out, _) = monitor(&mut c, "raw-option-writes allow");
    assert!(out.contains("allow"), "{out}");
    let level2 = ((FACTORY_OPTR & !0xFF) | 0xCC).to_le_bytes();
    assert_eq!(
        write_mem(&mut c, FLASH_OPTR, &level2).as_deref(),
        Some(REFUSED)
    );
    // Allowed raw writes that unlock FLASH_CR are relocked at disconnect.
    assert_eq!(
        write_mem(&mut c, FLASH_KEYR, &0x4567_0123u32.to_le_bytes()).as_deref(),
        Some("OK")
    );
    assert_eq!(
        write_mem(&mut c, FLASH_KEYR, &0xCDEF_89ABu32.to_le_bytes()).as_deref(),
        Some("OK")
    );
    assert_eq!(read_word(&mut c, FLASH_CR) & LOCK, 0);
    c.send(&packet("D"));
    drop(c);
    let mut c = connect_client(server.local_addr());
    assert_eq!(
        read_word(&mut c, FLASH_CR) & (LOCK | OPTLOCK),
        LOCK | OPTLOCK
    );
    assert_eq!(read_word(&mut c, FLASH_OPTR), FACTORY_OPTR);
    c.send(&packet("D"));
    drop(c);
    assert_eq!(sim.g0_option_store().unwrap().optr, FACTORY_OPTR);
    assert!(sim
        .with_g0_flash(|f| f.array().iter().all(|&b| b == 0xFF))
        .unwrap());
    server.shutdown().unwrap();
}

#[test]
fn the_cortex_m0plus_debug_and_fault_model() {
    let sim = chip();
    let server = serve(&sim);
    load_and_run(&server, 1);
    let run = batch(
        server.local_addr(),
        Some(&image(1)),
        &cmds(&[
            "echo @@VC\\n",
            "monitor vector_catch",
            "echo @@VCBUS\\n",
            "monitor vector_catch bus_err",
            "echo @@WATCH\\n",
            "monitor reset halt",
            "watch *(unsigned int *)&counter",
            "continue",
            "delete",
            "echo @@FAULT\\n",
            "monitor vector_catch hard_err",
            "set $pc = fault_now",
            "continue",
            "monitor fault",
            "echo @@END\\n",
            "detach",
        ]),
    );
    let t = &run.text;
    let s = section(t, "@@VC", "@@VCBUS");
    assert!(s.contains("hard_err"), "{t}");
    assert!(s.contains("reset"), "{t}");
    assert!(!s.contains("bus_err   off"), "{t}");
    assert!(s.contains("catches only these"), "{t}");
    let s = section(t, "@@VCBUS", "@@WATCH");
    assert!(s.contains("cannot catch bus_err"), "{t}");
    let s = section(t, "@@WATCH", "@@FAULT");
    assert!(s.contains("atchpoint 1: *(unsigned int *)&counter"), "{t}");
    assert!(s.contains("New value"), "{t}");
    let s = section(t, "@@FAULT", "@@END");
    assert!(
        s.contains("vector catch: HardFault: cause not recorded"),
        "the stop names the fault: {t}"
    );
    assert!(
        s.contains("HardFault: cause not recorded (ARMv6-M has no CFSR/HFSR) at pc 0x08000030"),
        "{t}"
    );
    assert!(s.contains("CFSR, HFSR, MMFAR and BFAR do not exist"), "{t}");
    server.shutdown().unwrap();
}

#[test]
fn a_256_kb_part_splits_at_0x0802_0000_and_follows_the_swap() {
    let sim = Simulator::new("STM32G0B1RC").expect("simulated G0B1RC");
    sim.with_model(|m: &mut G0Model| m.empty_check_boot = true)
        .unwrap();
    let server = serve(&sim);
    let t = monitor_batch(&server, &["monitor swap on", "monitor swap"]);
    assert!(
        t.contains("swap: on (nSWAP_BANK = 0): physical bank 2 at 0x0800_0000, physical bank 1 at 0x0802_0000"),
        "{t}"
    );
    let t = load_and_run(&server, 2);
    let s = section(&t, "@@MEM", "@@LOAD");
    assert!(
        s.contains("0x08000000 0x08020000 flash blocksize 0x800"),
        "{t}"
    );
    assert!(
        s.contains("0x08020000 0x08040000 flash blocksize 0x800"),
        "{t}"
    );
    assert_eq!(word_of(&t, "IMAGE"), 0xB0B0_0002, "{t}");
    let half = 128 * 1024;
    let array = sim.with_g0_flash(|f| f.array().to_vec()).unwrap();
    assert_eq!(
        array[half + 16..half + 20],
        0xB0B0_0002u32.to_le_bytes(),
        "in physical bank 2"
    );
    assert_eq!(array[16..20], [0xFF; 4], "physical bank 1 untouched");
    let t = monitor_batch(&server, &["monitor erase bank1"]);
    assert!(
        t.contains(
            "erased logical bank 1 (128 KB at 0x0800_0000) = physical bank 2 (mass erase MER2)"
        ),
        "{t}"
    );
    let array = sim.with_g0_flash(|f| f.array().to_vec()).unwrap();
    assert!(array.iter().all(|&b| b == 0xFF));
    server.shutdown().unwrap();
}

#[test]
fn the_cortex_m0plus_has_four_breakpoints_and_two_watchpoints() {
    let sim = chip();
    let server = serve(&sim);
    load_and_run(&server, 1);
    let mut list = cmds(&["monitor reset halt"]);
    for address in [
        "0x08000014",
        "0x08000016",
        "0x08000018",
        "0x0800001a",
        "0x0800001c",
    ] {
        list.push(format!("hbreak *{address}"));
    }
    list.push("continue".into());
    let run = batch(server.local_addr(), Some(&image(1)), &list);
    assert!(
        run.text.contains("Cannot insert hardware breakpoint 5"),
        "{}",
        run.text
    );
    assert!(
        !run.text.contains("Cannot insert hardware breakpoint 4"),
        "{}",
        run.text
    );
    // Two DWT comparators: two watchpoints work together, a third cannot be inserted.
    let run = batch(
        server.local_addr(),
        Some(&image(1)),
        &cmds(&[
            "monitor reset halt",
            "set var *(unsigned int *)&report_pc = 0",
            "watch *(unsigned int *)&counter",
            "watch *(unsigned int *)&report_pc",
            "continue",
            "echo @@THIRD\\n",
            "watch *(unsigned int *)&report_optr",
            "continue",
        ]),
    );
    let t = &run.text;
    let (two, three) = t.split_at(t.find("@@THIRD").unwrap_or_else(|| panic!("{t}")));
    assert!(two.contains("New value"), "{t}");
    assert!(!two.contains("Could not insert"), "{t}");
    assert!(
        three.contains("Could not insert hardware watchpoint"),
        "{t}"
    );
    server.shutdown().unwrap();
}
