//! The boot peripherals of the simulated STM32F767ZI and STM32G474RE (RCC, PWR, FLASH_ACR, GPIO)
//! and the Nucleo virtual COM port UART (F7 USART3, G4 LPUART1), driven from the debugger
//! through probe-rs, from small Thumb programs on the core, and through the real binary's
//! `--sim-uart`. Addresses and bits are the reference's (`real-firmware-on-the-sim.md` §3),
//! written here again so that a misunderstanding shared with the model fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use probe_rs::{Core, MemoryInterface, RegisterId};
use stm32_opts::sim::{Simulator, UartLink};

const TIMEOUT: Duration = Duration::from_millis(500);
/// Bounded waits: generous, never asserted on.
const PATIENCE: Duration = Duration::from_secs(60);

/// The facts one test table runs over.
struct Facts {
    chip: &'static str,
    rcc: u64,
    /// RCC_CR reset value.
    cr_reset: u32,
    pllon: u32,
    pllrdy: u32,
    cfgr: u64,
    /// CFGR.SW = PLL, and what SWS then reads.
    sw_pll: u32,
    sws_pll: u32,
    pllcfgr: u64,
    /// The vendor configuration (F7 HSI /8 ×216 /2 Q9; G4 HSI16 /4 ×85 /2 PLLREN).
    pllcfgr_vendor: u32,
    vendor_hz: u32,
    flash_acr: u64,
    vendor_latency: u32,
    csr: u64,
    rmvf: u32,
    sftrstf: u32,
    /// The GPIO clock enable register and GPIOA.
    gpio_enr: u64,
    gpioa: u64,
    /// The UART, its clock enable register and bit.
    uart: u64,
    uart_enr: u64,
    uart_en: u32,
}

const F767: Facts = Facts {
    chip: "STM32F767ZI",
    rcc: 0x4002_3800,
    cr_reset: 0x0000_0083,
    pllon: 1 << 24,
    pllrdy: 1 << 25,
    cfgr: 0x4002_3808,
    sw_pll: 2,
    sws_pll: 2 << 2,
    pllcfgr: 0x4002_3804,
    pllcfgr_vendor: (9 << 24) | (216 << 6) | 8,
    vendor_hz: 216_000_000,
    flash_acr: 0x4002_3C00,
    vendor_latency: 7,
    csr: 0x4002_3874,
    rmvf: 1 << 24,
    sftrstf: 1 << 28,
    gpio_enr: 0x4002_3830,
    gpioa: 0x4002_0000,
    uart: 0x4000_4800,
    uart_enr: 0x4002_3840,
    uart_en: 1 << 18,
};

const G474: Facts = Facts {
    chip: "STM32G474RE",
    rcc: 0x4002_1000,
    cr_reset: 0x0000_0500,
    pllon: 1 << 24,
    pllrdy: 1 << 25,
    cfgr: 0x4002_1008,
    sw_pll: 3,
    sws_pll: 3 << 2,
    pllcfgr: 0x4002_100C,
    pllcfgr_vendor: 0x0100_5532,
    vendor_hz: 170_000_000,
    flash_acr: 0x4002_2000,
    vendor_latency: 4,
    csr: 0x4002_1094,
    rmvf: 1 << 23,
    sftrstf: 1 << 28,
    gpio_enr: 0x4002_104C,
    gpioa: 0x4800_0000,
    uart: 0x4000_8000,
    uart_enr: 0x4002_105C,
    uart_en: 1 << 0,
};

const CHIPS: [&Facts; 2] = [&F767, &G474];

/// USART/LPUART registers and bits (the same IP on both).
mod uart {
    pub const CR1: u64 = 0x00;
    pub const ISR: u64 = 0x1C;
    pub const RDR: u64 = 0x24;
    pub const TDR: u64 = 0x28;
    pub const UE: u32 = 1 << 0;
    pub const RE: u32 = 1 << 2;
    pub const TE: u32 = 1 << 3;
    pub const RXNE: u32 = 1 << 5;
    pub const TC: u32 = 1 << 6;
    pub const TXE: u32 = 1 << 7;
    pub const TEACK: u32 = 1 << 21;
    pub const REACK: u32 = 1 << 22;
}

/// GPIO registers.
mod gpio {
    pub const MODER: u64 = 0x00;
    pub const IDR: u64 = 0x10;
    pub const ODR: u64 = 0x14;
    pub const BSRR: u64 = 0x18;
    pub const BRR: u64 = 0x28;
}

fn set_bits(core: &mut Core, address: u64, bits: u32) {
    let value = core.read_word_32(address).unwrap();
    core.write_word_32(address, value | bits).unwrap();
}

/// Reads `address` until `bits` are all set (each UART ISR read is a step of its time).
fn poll_until_set(core: &mut Core, address: u64, bits: u32, what: &str) -> u32 {
    for _ in 0..1000 {
        let value = core.read_word_32(address).unwrap();
        if value & bits == bits {
            return value;
        }
    }
    panic!("{what}: 0x{bits:08X} never set at 0x{address:08X}");
}

#[test]
fn rcc_ready_flags_the_clock_switch_and_flash_latency_through_the_debugger() {
    for facts in CHIPS {
        let sim = Simulator::new(facts.chip).unwrap();
        let mut session = sim.attach().unwrap();
        let mut core = session.core(0).unwrap();
        core.halt(TIMEOUT).unwrap();
        let cr = facts.rcc;
        assert_eq!(
            core.read_word_32(cr).unwrap(),
            facts.cr_reset,
            "{}",
            facts.chip
        );
        assert_eq!(sim.core_clock_hz().unwrap(), 16_000_000);

        // The vendor sequence: latency first, the PLL, then the switch.
        core.write_word_32(facts.flash_acr, facts.vendor_latency)
            .unwrap();
        assert_eq!(
            core.read_word_32(facts.flash_acr).unwrap() & 0xF,
            facts.vendor_latency,
            "{}: FLASH_ACR.LATENCY reads back",
            facts.chip
        );
        core.write_word_32(facts.pllcfgr, facts.pllcfgr_vendor)
            .unwrap();
        assert_eq!(
            core.read_word_32(facts.pllcfgr).unwrap(),
            facts.pllcfgr_vendor
        );
        set_bits(&mut core, cr, facts.pllon);
        assert_eq!(
            core.read_word_32(cr).unwrap() & facts.pllrdy,
            facts.pllrdy,
            "{}: PLLRDY follows PLLON",
            facts.chip
        );
        let cfgr = core.read_word_32(facts.cfgr).unwrap();
        core.write_word_32(facts.cfgr, (cfgr & !3) | facts.sw_pll)
            .unwrap();
        assert_eq!(
            core.read_word_32(facts.cfgr).unwrap() & 0xC,
            facts.sws_pll,
            "{}: SWS follows SW",
            facts.chip
        );
        assert_eq!(
            sim.core_clock_hz().unwrap(),
            facts.vendor_hz,
            "{}",
            facts.chip
        );

        // Back to HSI, PLL off: PLLRDY drops.
        let hsi = if facts.sw_pll == 2 { 0 } else { 1 };
        let cfgr = core.read_word_32(facts.cfgr).unwrap();
        core.write_word_32(facts.cfgr, (cfgr & !3) | hsi).unwrap();
        let value = core.read_word_32(cr).unwrap();
        core.write_word_32(cr, value & !facts.pllon).unwrap();
        assert_eq!(core.read_word_32(cr).unwrap() & facts.pllrdy, 0);
        assert_eq!(sim.core_clock_hz().unwrap(), 16_000_000);
    }
}

#[test]
fn a_debugger_reset_is_a_software_reset_for_rcc_csr_and_resets_the_rcc() {
    for facts in CHIPS {
        let sim = Simulator::new(facts.chip).unwrap();
        let mut session = sim.attach().unwrap();
        let mut core = session.core(0).unwrap();
        core.halt(TIMEOUT).unwrap();
        let power_on = core.read_word_32(facts.csr).unwrap();
        assert_eq!(power_on & facts.sftrstf, 0, "{}: a power-on", facts.chip);
        assert_ne!(power_on, 0);
        core.write_word_32(facts.csr, facts.rmvf).unwrap();
        assert_eq!(core.read_word_32(facts.csr).unwrap(), 0, "RMVF clears");
        set_bits(&mut core, facts.rcc, facts.pllon);
        core.reset_and_halt(TIMEOUT).unwrap();
        assert_eq!(
            core.read_word_32(facts.csr).unwrap() & facts.sftrstf,
            facts.sftrstf,
            "{}: SYSRESETREQ is a software reset",
            facts.chip
        );
        assert_eq!(core.read_word_32(facts.rcc).unwrap(), facts.cr_reset);
    }
}

#[test]
fn the_power_controllers_answer_the_vendor_waits() {
    let sim = Simulator::new("STM32F767ZI").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    core.halt(TIMEOUT).unwrap();
    // PWREN, then ODEN → ODRDY, ODSWEN → ODSWRDY; VOSRDY once the PLL runs.
    set_bits(&mut core, 0x4002_3840, 1 << 28);
    assert_eq!(core.read_word_32(0x4000_7000).unwrap(), 0x0000_C000);
    set_bits(&mut core, 0x4000_7000, 1 << 16);
    poll_until_set(&mut core, 0x4000_7004, 1 << 16, "ODRDY");
    set_bits(&mut core, 0x4000_7000, 1 << 17);
    poll_until_set(&mut core, 0x4000_7004, 1 << 17, "ODSWRDY");
    set_bits(&mut core, 0x4002_3800, 1 << 24);
    poll_until_set(&mut core, 0x4000_7004, 1 << 14, "VOSRDY");

    let sim = Simulator::new("STM32G474RE").unwrap();
    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    core.halt(TIMEOUT).unwrap();
    set_bits(&mut core, 0x4002_1058, 1 << 28);
    assert_eq!(core.read_word_32(0x4000_7000).unwrap(), 0x0000_0200);
    assert_eq!(core.read_word_32(0x4000_7080).unwrap(), 0x0000_0100);
    // Range 1 boost: R1MODE = 0 reads back; VOSF never holds anyone up.
    core.write_word_32(0x4000_7080, 0).unwrap();
    assert_eq!(core.read_word_32(0x4000_7080).unwrap(), 0);
    assert_eq!(core.read_word_32(0x4000_7014).unwrap() & (1 << 10), 0);
}

#[test]
fn gpio_bsrr_drives_odr_and_idr() {
    for facts in CHIPS {
        let sim = Simulator::new(facts.chip).unwrap();
        let mut session = sim.attach().unwrap();
        let mut core = session.core(0).unwrap();
        core.halt(TIMEOUT).unwrap();
        let gpioa = facts.gpioa;
        assert_eq!(
            core.read_word_32(gpioa + gpio::MODER).unwrap(),
            0,
            "{}: an unclocked port reads zero",
            facts.chip
        );
        set_bits(&mut core, facts.gpio_enr, 1);
        let moder = core.read_word_32(gpioa + gpio::MODER).unwrap();
        assert_eq!(moder >> 26, 0b10_1010, "{}: PA13/14/15 in AF", facts.chip);
        // PA5 as an output (both Nucleo boards have an LED there or on PB0/PB7/PB14).
        core.write_word_32(gpioa + gpio::MODER, (moder & !(0b11 << 10)) | (0b01 << 10))
            .unwrap();
        core.write_word_32(gpioa + gpio::BSRR, 1 << 5).unwrap();
        assert_eq!(core.read_word_32(gpioa + gpio::ODR).unwrap(), 1 << 5);
        assert_eq!(
            core.read_word_32(gpioa + gpio::IDR).unwrap() & (1 << 5),
            1 << 5
        );
        core.write_word_32(gpioa + gpio::BSRR, 1 << (5 + 16))
            .unwrap();
        assert_eq!(core.read_word_32(gpioa + gpio::ODR).unwrap(), 0);
        assert_eq!(core.read_word_32(gpioa + gpio::IDR).unwrap() & (1 << 5), 0);
        if facts.chip.starts_with("STM32G4") {
            core.write_word_32(gpioa + gpio::ODR, 0xFFFF).unwrap();
            core.write_word_32(gpioa + gpio::BRR, 1 << 5).unwrap();
            assert_eq!(core.read_word_32(gpioa + gpio::ODR).unwrap(), 0xFFDF);
        }
    }
}

/// A simulated chip whose UART is served on a free loopback port, and a client connected to it.
fn chip_with_uart(facts: &Facts) -> (Simulator, TcpStream) {
    let link = UartLink::bind("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let addr = link.local_addr();
    let sim = Simulator::open(facts.chip, None, Some(link)).unwrap();
    let client = TcpStream::connect(addr).unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    wait_for("the UART client", || sim.uart().unwrap().has_client());
    (sim, client)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Clock on, UE | TE | RE, and the acknowledgements HAL_UART_Init waits for.
fn enable_uart(core: &mut Core, facts: &Facts) {
    set_bits(core, facts.uart_enr, facts.uart_en);
    core.write_word_32(facts.uart + uart::CR1, uart::UE | uart::TE | uart::RE)
        .unwrap();
    poll_until_set(
        core,
        facts.uart + uart::ISR,
        uart::TEACK | uart::REACK | uart::TXE | uart::TC,
        "TEACK/REACK",
    );
}

#[test]
fn the_uart_talks_to_a_tcp_client_both_ways() {
    for facts in CHIPS {
        let (sim, mut client) = chip_with_uart(facts);
        let mut session = sim.attach().unwrap();
        let mut core = session.core(0).unwrap();
        core.halt(TIMEOUT).unwrap();
        enable_uart(&mut core, facts);

        // TX: the debugger writes TDR, the client gets the byte; TC clears, then comes back.
        core.write_word_32(facts.uart + uart::TDR, u32::from(b'Z'))
            .unwrap();
        let mut byte = [0u8; 1];
        client.read_exact(&mut byte).unwrap();
        assert_eq!(&byte, b"Z", "{}", facts.chip);
        poll_until_set(
            &mut core,
            facts.uart + uart::ISR,
            uart::TC | uart::TXE,
            "TC",
        );

        // RX: the client's bytes arrive in RDR one by one, with RXNE.
        client.write_all(b"ok").unwrap();
        for &expected in b"ok" {
            poll_until_set(&mut core, facts.uart + uart::ISR, uart::RXNE, "RXNE");
            assert_eq!(
                core.read_word_32(facts.uart + uart::RDR).unwrap(),
                u32::from(expected),
                "{}",
                facts.chip
            );
        }
        assert_eq!(
            core.read_word_32(facts.uart + uart::ISR).unwrap() & uart::RXNE,
            0,
            "reading RDR cleared RXNE"
        );
    }
}

/// Loads `code` at 0x2000_1000 with `registers` set and runs it.
fn run_thumb(core: &mut Core, code: &[u16], registers: &[(u16, u32)]) {
    core.halt(TIMEOUT).unwrap();
    core.write_16(0x2000_1000, code).unwrap();
    for &(n, value) in registers {
        core.write_core_reg(RegisterId(n), value).unwrap();
    }
    core.write_core_reg(RegisterId(16), 0x0100_0000u32).unwrap(); // xPSR: Thumb
    core.write_core_reg(core.program_counter(), 0x2000_1000u32)
        .unwrap();
    core.run().unwrap();
}

/// r0 = the UART: wait RXNE, read RDR, wait TXE, write it to TDR, again.
const ECHO: [u16; 9] = [
    0x69C1, // rx: ldr r1, [r0, #0x1C]   ISR
    0x068A, //     lsls r2, r1, #26      RXNE into N
    0xD5FC, //     bpl rx
    0x6A43, //     ldr r3, [r0, #0x24]   RDR
    0x69C1, // tx: ldr r1, [r0, #0x1C]
    0x060A, //     lsls r2, r1, #24      TXE into N
    0xD5FC, //     bpl tx
    0x6283, //     str r3, [r0, #0x28]   TDR
    0xE7F6, //     b rx
];

/// r0 = the UART, r3 = a character: wait TXE, write TDR, forever.
const FLOOD: [u16; 5] = [
    0x69C1, // tx: ldr r1, [r0, #0x1C]   ISR
    0x060A, //     lsls r2, r1, #24      TXE into N
    0xD5FC, //     bpl tx
    0x6283, //     str r3, [r0, #0x28]   TDR
    0xE7FA, //     b tx
];

#[test]
fn a_polling_firmware_echoes_what_the_client_sends() {
    for facts in CHIPS {
        let (sim, mut client) = chip_with_uart(facts);
        let mut session = sim.attach().unwrap();
        let mut core = session.core(0).unwrap();
        core.halt(TIMEOUT).unwrap();
        enable_uart(&mut core, facts);
        run_thumb(&mut core, &ECHO, &[(0, facts.uart as u32)]);
        client.write_all(b"ping\r\n").unwrap();
        let mut echoed = [0u8; 6];
        client.read_exact(&mut echoed).unwrap();
        assert_eq!(&echoed, b"ping\r\n", "{}", facts.chip);
        core.halt(TIMEOUT).unwrap();
    }
}

#[test]
fn a_client_that_stops_reading_does_not_stall_the_simulator() {
    let facts = &F767;
    let link = UartLink::bind("127.0.0.1:0".parse().unwrap(), None).unwrap();
    let sim = Simulator::open(facts.chip, None, Some(link.clone())).unwrap();
    // A client with a small receive window that never reads.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&link.local_addr().into()).unwrap();
    let client: TcpStream = socket.into();
    wait_for("the UART client", || link.has_client());

    let mut session = sim.attach().unwrap();
    let mut core = session.core(0).unwrap();
    core.halt(TIMEOUT).unwrap();
    enable_uart(&mut core, facts);
    run_thumb(
        &mut core,
        &FLOOD,
        &[(0, facts.uart as u32), (3, u32::from(b'U'))],
    );
    // The firmware transmits as fast as the core runs; the debugger keeps being answered while
    // the client's queue fills and the UART drops what does not fit.
    let deadline = Instant::now() + PATIENCE;
    while link.dropped().client == 0 {
        assert!(Instant::now() < deadline, "nothing was dropped");
        let isr = core.read_word_32(facts.uart + uart::ISR).unwrap();
        assert_eq!(isr & uart::TEACK, uart::TEACK);
        std::thread::sleep(Duration::from_millis(10));
    }
    core.halt(TIMEOUT).unwrap();
    assert!(link.has_client(), "the slow client stays connected");
    // What was queued is still there for it.
    let mut got = [0u8; 16];
    let mut client = client;
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    client.read_exact(&mut got).unwrap();
    assert_eq!(got, [b'U'; 16]);
}

struct Kill(std::process::Child);
impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sim_probe_serves_the_uart_and_copies_what_it_sends_to_stdout() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_stm32-opts"))
        .env_remove("RUST_LOG")
        .args([
            "sim-probe",
            "--listen",
            "127.0.0.1:0",
            "--sim-uart",
            "127.0.0.1:0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let _guard = Kill(child);
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(
        line.contains("virtual COM port (USART3) listening on"),
        "{line}"
    );
    let uart_addr = line
        .trim()
        .split(' ')
        .find(|w| w.starts_with("127.0.0.1:"))
        .unwrap();
    let uart_addr = uart_addr.to_string();
    line.clear();
    stdout.read_line(&mut line).unwrap();
    assert!(line.contains("listening on"), "{line}");
    let probe_addr = line.trim().rsplit(' ').next().unwrap().to_string();
    line.clear();
    stdout.read_line(&mut line).unwrap(); // "Attach with: …"

    let mut client = TcpStream::connect(&uart_addr).unwrap();
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    let selector: probe_rs::probe::DebugProbeSelector =
        format!("20b7:9db1:tcp:{probe_addr}").parse().unwrap();
    let mut session = probe_rs::probe::list::Lister::new()
        .open(selector)
        .unwrap()
        .attach(F767.chip, probe_rs::Permissions::default())
        .unwrap();
    let mut core = session.core(0).unwrap();
    core.halt(TIMEOUT).unwrap();
    enable_uart(&mut core, &F767);
    // The client may not be admitted yet when the first byte goes out: send until it sees one.
    let mut byte = [0u8; 1];
    client
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    loop {
        core.write_word_32(F767.uart + uart::TDR, u32::from(b'!'))
            .unwrap();
        if client.read_exact(&mut byte).is_ok() {
            break;
        }
        assert!(Instant::now() < deadline, "the client got nothing");
    }
    assert_eq!(&byte, b"!");
    for &b in b"hi\n" {
        core.write_word_32(F767.uart + uart::TDR, u32::from(b))
            .unwrap();
    }
    client.set_read_timeout(Some(PATIENCE)).unwrap();
    let mut text = [0u8; 3];
    client.read_exact(&mut text).unwrap();
    while text != *b"hi\n" {
        // Skip the extra '!' characters of the loop above.
        text.rotate_left(1);
        client.read_exact(&mut text[2..]).unwrap();
    }
    // The console copy on stdout: raw bytes, the same characters.
    let mut copied = String::new();
    stdout.read_line(&mut copied).unwrap();
    assert!(
        copied.starts_with('!') && copied.ends_with("hi\n"),
        "{copied:?}"
    );
}

#[test]
fn sim_uart_without_a_simulated_chip_is_refused() {
    let output = Command::new(env!("CARGO_BIN_EXE_stm32-opts"))
        .env_remove("RUST_LOG")
        .args([
            "--chip",
            "STM32F767ZI",
            "--sim-uart",
            "127.0.0.1:0",
            "optbytes",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--sim-uart") && stderr.contains("--sim"),
        "{stderr}"
    );
}

#[test]
fn sim_uart_beyond_loopback_is_served_with_a_warning() {
    let output = Command::new(env!("CARGO_BIN_EXE_stm32-opts"))
        .env_remove("RUST_LOG")
        .args(["--sim", "--sim-uart", "0.0.0.0:0", "optbytes", "--json"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("listening on 0.0.0.0:"), "{stderr}");
    assert!(stderr.contains("not a loopback address"), "{stderr}");
    // stdout stays the JSON (an erased chip transmits nothing).
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(json.is_object());
}
