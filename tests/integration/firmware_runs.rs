//! Real firmware on the simulated chips, driven by gdb-multiarch as a user would: the project's
//! C programs (tests/firmware), built at test time by the stock arm-none-eabi-gcc and newlib
//! (see `firmware_build`), loaded with `load` through `stm32-opts gdb` on the simulated
//! STM32F767ZI (Cortex-M7, FPv5-D16) and STM32G474RE (Cortex-M4, FPv4-SP):
//!
//! - newlib over rdimon semihosting, with both float ABIs: stdio, the DSP string routines,
//!   malloc, argv, `%f`, and the exit status;
//! - the vendor-style clock start-up to the maximum clock (PLL, over-drive or boost, wait
//!   states, caches on the F7), a SysTick millisecond and a blinking LED;
//! - a two-task preemptive scheduler (PendSV on PSP, BASEPRI critical sections, FP context in
//!   both tasks checked exactly);
//! - the DWT cycle counter and a firmware-initiated reset that boots again;
//! - printf through the Nucleo board's UART to a TCP client of `--sim-uart`, and the client's
//!   bytes echoed back, by a polled driver and by an interrupt-driven one.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use stm32_opts::gdb::Server;
use stm32_opts::sim::periph::uart_link::UartLink;
use stm32_opts::sim::Simulator;

use crate::firmware_build::{Chip, Firmware, Float, Runtime};
use crate::gdb_support::{batch, cmds, section, start_server, word_of};

const BOTH: [Chip; 2] = [Chip::F767, Chip::G474];

/// Loads `elf` on a fresh simulated `chip`, resets it halted, runs `commands`, and returns
/// GDB's output (the script ends with `@@END`).
fn session(chip: Chip, elf: &std::path::Path, commands: &[&str]) -> String {
    let text = session_text(chip, elf, commands);
    assert!(
        text.contains("@@END"),
        "the GDB script on {} did not finish:\n{text}",
        chip.name()
    );
    text
}

/// As [`session`], for a program that exits: the output up to GDB's report of the exit.
fn session_text(chip: Chip, elf: &std::path::Path, commands: &[&str]) -> String {
    let server = start_server(Some(chip.name()));
    let mut script = cmds(&["load", "monitor reset halt"]);
    script.extend(commands.iter().map(|c| c.to_string()));
    script.push("echo @@END\\n".to_string());
    batch(server.local_addr(), Some(elf), &script).text
}

/// Each of `lines` appears in `text`, in this order.
fn assert_in_order(text: &str, lines: &[&str]) {
    let mut rest = text;
    for line in lines {
        let at = rest
            .find(line)
            .unwrap_or_else(|| panic!("`{line}` missing or out of order in:\n{text}"));
        rest = &rest[at + line.len()..];
    }
}

#[test]
fn newlib_runs_over_semihosting_with_both_float_abis_and_reports_exit_code_3() {
    for chip in BOTH {
        for float in [Float::Soft, Float::Hard] {
            let elf = Firmware {
                source: "hello.c",
                chip,
                float,
                runtime: Runtime::Rdimon,
                defines: &[],
            }
            .elf();
            let text = session_text(
                chip,
                &elf,
                &[
                    "monitor arm semihosting enable",
                    "monitor arm semihosting_cmdline hello first second",
                    "continue",
                ],
            );
            assert_in_order(
                &text,
                &[
                    "hello from newlib",
                    "puts works",
                    "to stderr",
                    "strlen=5",
                    "strcmp=-1",
                    "memchr=2",
                    "malloc=heap copy",
                    "argc=3 argv[0]=hello argv[1]=first argv[2]=second",
                    "double=1.570796 float=0.100 sum=3.24159",
                    "[Inferior 1 (process 1) exited with code 03]",
                ],
            );
            assert!(
                !text.contains("locked up") && !text.contains("SIGSEGV"),
                "{chip:?} {float:?}:\n{text}"
            );
        }
    }
}

#[test]
fn the_vendor_clock_start_up_reaches_the_maximum_clock_and_the_led_blinks() {
    for (chip, hz) in [(Chip::F767, 216_000_000u32), (Chip::G474, 170_000_000)] {
        let elf = Firmware::new("clock.c", chip).elf();
        let text = session(
            chip,
            &elf,
            &[
                "break clock_ready",
                "continue",
                "printf \"@@CLOCK clock_error=0x%x hz=0x%x\\n\", clock_error, system_core_clock",
                "delete",
                "break led_toggled",
                "continue",
                "printf \"@@FIRST ticks=0x%x toggles=0x%x odr=0x%x\\n\", ticks, toggles, *(unsigned *)(0x14 + (LED_GPIO_BASE_FOR_GDB))",
                "continue",
                "printf \"@@SECOND ticks=0x%x toggles=0x%x odr=0x%x\\n\", ticks, toggles, *(unsigned *)(0x14 + (LED_GPIO_BASE_FOR_GDB))",
            ]
            .map(|c| c.replace("LED_GPIO_BASE_FOR_GDB", led_gpio_base(chip)))
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        );
        let clock = section(&text, "@@CLOCK", "\n");
        assert_eq!(word_of(clock, "clock_error"), 0, "{chip:?}:\n{text}");
        assert_eq!(word_of(clock, "hz"), hz, "{chip:?}:\n{text}");
        let first = section(&text, "@@FIRST", "\n");
        let second = section(&text, "@@SECOND", "\n");
        let (t1, t2) = (word_of(first, "ticks"), word_of(second, "ticks"));
        assert!(
            t1 >= 10 && t2 >= t1 + 10,
            "SysTick counts milliseconds, 10 per toggle: {t1} then {t2} ({chip:?})"
        );
        assert_eq!(word_of(second, "toggles"), word_of(first, "toggles") + 1);
        let pin = led_pin(chip);
        let (o1, o2) = (word_of(first, "odr"), word_of(second, "odr"));
        assert_ne!(
            o1 & pin,
            o2 & pin,
            "the LED pin toggles in ODR: {o1:#x} then {o2:#x} ({chip:?})"
        );
    }
}

/// The LED's GPIO port (NUCLEO-F767ZI LD1 on PB0, NUCLEO-G474RE LD2 on PA5).
fn led_gpio_base(chip: Chip) -> &'static str {
    match chip {
        Chip::F767 => "0x40020400",
        Chip::G474 => "0x48000000",
    }
}

fn led_pin(chip: Chip) -> u32 {
    match chip {
        Chip::F767 => 1 << 0,
        Chip::G474 => 1 << 5,
    }
}

#[test]
fn a_preemptive_scheduler_keeps_each_tasks_fp_context_across_switches() {
    for chip in BOTH {
        let elf = Firmware::new("scheduler.c", chip).elf();
        let text = session(
            chip,
            &elf,
            &[
                "break milestone",
                "continue",
                "printf \"@@STATE switches=0x%x a=0x%x b=0x%x bad_a=0x%x bad_b=0x%x violations=0x%x shared=0x%x\\n\", switches, rounds[0], rounds[1], mismatches[0], mismatches[1], critical_violations, shared_counter",
            ],
        );
        let state = section(&text, "@@STATE", "\n");
        let value = |name| word_of(state, name);
        assert!(value("switches") >= 20, "{chip:?}: {state}");
        assert!(
            value("a") >= 5 && value("b") >= 5,
            "both tasks ran: {state} ({chip:?})"
        );
        assert_eq!(
            (value("bad_a"), value("bad_b")),
            (0, 0),
            "FP results exact and S16-S31 kept across switches: {state} ({chip:?})"
        );
        assert_eq!(
            value("violations"),
            0,
            "no switch inside a BASEPRI critical section: {state} ({chip:?})"
        );
        // The task at the milestone has counted its increment, not yet its round.
        assert_eq!(value("shared"), value("a") + value("b") + 1, "{state}");
    }
}

#[test]
fn the_cycle_counter_counts_and_a_firmware_reset_boots_again() {
    for chip in BOTH {
        let elf = Firmware::new("timing.c", chip).elf();
        let text = session(
            chip,
            &elf,
            &[
                "break boots_done",
                "continue",
                "printf \"@@BOOTS boots=0x%x flags=0x%x\\n\", boots, reset_flags",
                "break delay_done",
                "continue",
                "continue",
                "printf \"@@DELAYS delays=0x%x cycles=0x%x\\n\", delays, last_delay_cycles",
            ],
        );
        let boots = section(&text, "@@BOOTS", "\n");
        assert_eq!(word_of(boots, "boots"), 3, "{chip:?}:\n{text}");
        // RCC_CSR.SFTRSTF (bit 28 on both families): the last boot came from a software reset.
        assert_ne!(word_of(boots, "flags") & (1 << 28), 0, "{chip:?}: {boots}");
        let delays = section(&text, "@@DELAYS", "\n");
        assert_eq!(word_of(delays, "delays"), 2, "{chip:?}: {delays}");
        let cycles = word_of(delays, "cycles");
        assert!(
            (200_000..210_000).contains(&cycles),
            "one delay is 200000 cycles of DWT_CYCCNT: {cycles} ({chip:?})"
        );
    }
}

/// Loads the UART firmware (`defines`) with GDB on a simulated `chip` whose VCP UART is served
/// on a loopback port, lets it run (GDB detaches), and checks a TCP client of the port: the
/// firmware's printf arrives, and the bytes the client sends are echoed back.
fn uart_echo(chip: Chip, defines: &'static [&'static str], banner: &str) {
    let link = UartLink::bind("127.0.0.1:0".parse().unwrap(), None).expect("UART port");
    let uart = link.local_addr();
    let sim = Simulator::open(chip.name(), None, Some(link)).expect("simulated chip");
    let mut client = TcpStream::connect(uart).expect("connecting to the UART");
    client
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let server = Server::bind(
        sim.attach().expect("attach"),
        "127.0.0.1:0".parse().unwrap(),
    )
    .expect("binding")
    .spawn()
    .expect("starting the server");
    let elf = Firmware {
        defines,
        ..Firmware::new("uart.c", chip)
    }
    .elf();
    let run = batch(
        server.local_addr(),
        Some(&elf),
        &cmds(&["load", "monitor reset halt", "detach", "echo @@END\\n"]),
    );
    assert!(run.text.contains("@@END"), "{}", run.text);
    let mut received = Vec::new();
    read_until(&mut client, &mut received, banner.as_bytes());
    client.write_all(b"echo me\r\n").unwrap();
    read_until(&mut client, &mut received, b"echo me\r\n");
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with(banner), "{chip:?}: {text:?}");
    drop(server);
}

/// Reads from `client` into `received` until it holds `wanted`.
fn read_until(client: &mut TcpStream, received: &mut Vec<u8>, wanted: &[u8]) {
    let mut buf = [0u8; 256];
    while !received.windows(wanted.len()).any(|w| w == wanted) {
        let n = client.read(&mut buf).unwrap_or_else(|e| {
            panic!(
                "waiting for {:?}, got {:?}: {e}",
                String::from_utf8_lossy(wanted),
                String::from_utf8_lossy(received)
            )
        });
        assert!(n > 0, "the UART port closed");
        received.extend_from_slice(&buf[..n]);
    }
}

#[test]
fn printf_reaches_the_uart_client_and_a_polled_driver_echoes() {
    for chip in BOTH {
        uart_echo(chip, &[], "uart ready (polled), 42\n");
    }
}

#[test]
fn an_interrupt_driven_uart_driver_echoes() {
    for chip in BOTH {
        uart_echo(chip, &["UART_INTERRUPTS"], "uart ready (interrupts), 42\n");
    }
}

/// Runs the undefined-encodings firmware to `main`'s first encoding, then `commands`; GDB's
/// output.
fn undefined_session(chip: Chip, commands: &[&str]) -> String {
    let elf = Firmware::new("undefined.S", chip).elf();
    let mut all = vec!["tbreak at_udf", "continue"];
    all.extend_from_slice(commands);
    session(chip, &elf, &all)
}

#[test]
fn undefined_encodings_take_the_usagefault_escalated_as_on_silicon() {
    for chip in BOTH {
        // stepi onto UDF: the step takes the UsageFault, escalated to HardFault (SHCSR.USGFAULTENA
        // is clear), and stops on the handler's first instruction with the UDF's address stacked.
        let text = undefined_session(
            chip,
            &[
                "stepi",
                "printf \"@@STEP pc=0x%x handler=0x%x stacked=0x%x at=0x%x\\n\", $pc, &HardFault_Handler, *(unsigned *)($sp + 24), &at_udf",
                "monitor fault",
                "echo @@FAULT_END\\n",
            ],
        );
        let step = section(&text, "@@STEP", "\n");
        assert_eq!(
            word_of(step, "pc"),
            word_of(step, "handler"),
            "{chip:?}:\n{text}"
        );
        assert_eq!(
            word_of(step, "stacked"),
            word_of(step, "at"),
            "{chip:?}:\n{text}"
        );
        let fault = section(&text, "@@STEP", "@@FAULT_END");
        assert!(
            fault.contains("HardFault (escalated from UsageFault, HFSR.FORCED)")
                && fault.contains("UFSR.UNDEFINSTR"),
            "{chip:?}:\n{text}"
        );
        assert!(!text.contains("locked up"), "{text}");

        // continue onto 0xBA80 with the UsageFault handler enabled: it runs, and stops at its
        // BKPT; `monitor fault` names the undefined instruction at 0xBA80's address.
        let text = undefined_session(
            chip,
            &[
                "set {int}0xE000ED24 = *(int *)0xE000ED24 | (1 << 18)",
                "set $pc = &at_ba80",
                "continue",
                "printf \"@@CONT pc=0x%x handler=0x%x\\n\", $pc, &UsageFault_Handler",
                "monitor fault",
                "echo @@FAULT_END\\n",
            ],
        );
        let cont = section(&text, "@@CONT", "\n");
        assert_eq!(
            word_of(cont, "pc"),
            word_of(cont, "handler"),
            "{chip:?}:\n{text}"
        );
        let fault = section(&text, "@@CONT", "@@FAULT_END");
        assert!(
            fault.contains("UsageFault: ") && fault.contains("UFSR.UNDEFINSTR"),
            "{chip:?}:\n{text}"
        );

        // stepi onto MRC p15: no coprocessor 15 on a Cortex-M: UFSR.NOCP.
        let text = undefined_session(
            chip,
            &[
                "set $pc = &at_mrc",
                "stepi",
                "monitor fault",
                "echo @@FAULT_END\\n",
            ],
        );
        assert!(text.contains("UFSR.NOCP"), "{chip:?}:\n{text}");
    }
}

#[test]
fn an_encoding_the_simulator_does_not_model_stops_with_its_halfwords_never_as_a_step() {
    for chip in BOTH {
        for how in ["stepi", "continue"] {
            let text = undefined_session(
                chip,
                &[
                    "set $pc = &at_unpredictable",
                    how,
                    "printf \"@@AFTER pc=0x%x at=0x%x\\n\", $pc, &at_unpredictable",
                    "monitor fault",
                    "echo @@FAULT_END\\n",
                ],
            );
            let after = section(&text, "@@AFTER", "\n");
            assert_eq!(
                word_of(after, "pc"),
                word_of(after, "at"),
                "the PC stays on the instruction ({chip:?}, {how}):\n{text}"
            );
            let at = word_of(after, "at");
            let line =
                format!("the core locked up (DHCSR.S_LOCKUP) at pc {at:#010x}, instruction 0xb400");
            assert!(
                text.contains(&line) && text.contains("Program received signal SIGILL"),
                "GDB is told ({chip:?}, {how}):\n{text}"
            );
            let fault = section(&text, "@@AFTER", "@@FAULT_END");
            assert!(
                fault.contains(&line),
                "monitor fault ({chip:?}, {how}):\n{text}"
            );
        }
    }
}

#[test]
fn gdb_reads_and_writes_the_live_fp_registers() {
    for chip in BOTH {
        let elf = Firmware::new("scheduler.c", chip).elf();
        let text = session(
            chip,
            &elf,
            &[
                "break milestone",
                "continue",
                // The task at the milestone holds its pattern in S16-S31: task A 1.0..16.0,
                // task B -1.0..-16.0.
                "printf \"@@FP s16=%d s31=%d\\n\", (int)$s16, (int)$s31",
                "set $s0 = 2.5",
                "set $fpscr = 0x00c00000",
                "printf \"@@SET s0x4=%d fpscr=0x%x\\n\", (int)($s0 * 4), $fpscr",
                "echo @@D\\n",
                "info registers d8 s16 s17",
                "echo @@D_END\\n",
            ],
        );
        let fp = section(&text, "@@FP", "\n");
        assert!(
            fp.contains("s16=1 s31=16") || fp.contains("s16=-1 s31=-16"),
            "{chip:?}: {fp}\n{text}"
        );
        let set = section(&text, "@@SET", "\n");
        assert_eq!(word_of(set, "fpscr"), 0x00C0_0000, "{chip:?}: {set}");
        assert!(set.contains("s0x4=10"), "{chip:?}: {set}");
        // `info registers` shows each register's raw bits: D8 is S17:S16.
        let regs = section(&text, "@@D", "@@D_END");
        let raw = |name: &str| -> u64 {
            let line = regs
                .lines()
                .find(|l| l.split_whitespace().next() == Some(name))
                .unwrap_or_else(|| panic!("{name} missing in {regs}"));
            let hex = line.rsplit("raw 0x").next().expect("raw value");
            u64::from_str_radix(hex.trim_end_matches(')').trim(), 16).unwrap()
        };
        assert_eq!(
            raw("d8"),
            raw("s16") | (raw("s17") << 32),
            "{chip:?}: {regs}"
        );
        assert!(
            raw("s16") == 0x3F80_0000 || raw("s16") == 0xBF80_0000,
            "{regs}"
        );
    }
}
