//! newlib's DSP string routines (Debian `libnewlib-arm-none-eabi` 3.3.0, multilib
//! `thumb/v7e-m+dp/hard`): `strlen`, `strcmp` and `memchr` find a NUL (or the searched byte)
//! four bytes at a time with UADD8 + SEL:
//!
//! - `uadd8 x, word, 0xFFFFFFFF` sets GE[i] exactly where byte i of `word` is non-zero (a
//!   carry out of the byte);
//! - `sel x, 0, 0xFFFFFFFF` then has 0xFF exactly in the zero bytes: the "syndrome";
//! - `uadd8 y, word2, 0xFFFFFFFF; sel y, x, 0xFFFFFFFF` folds a second word in;
//! - REV + CLZ of the syndrome, divided by 8, is the index of the first zero byte.
//!
//! `memchr` XORs each word with the searched byte replicated first and keeps the loop counter
//! in the flags across the UADD8/SEL (`subs; …; uadd8; sel; cbnz; bne`), so the DSP
//! instructions must leave N, Z, C, V alone.
//!
//! Step-by-step tests check the syndrome; two whole-program tests run a UADD8/SEL `strlen` loop
//! and the real `strlen`/`memchr` linked from the installed newlib.

mod support;

use sim_core::regs::psr;
use sim_core::{Config, Executed};
use support::{assemble, boot, run_to_bkpt};

/// The strlen inner step on two words, as newlib writes it (registers as there: ip = all ones,
/// r4 = 0).
const SYNDROME: &str = "_start:
    uadd8 r2, r2, ip
    sel r2, r4, ip
    uadd8 r3, r3, ip
    sel r3, r2, ip
    bkpt #0
";

/// Little-endian word of four string bytes.
fn word(bytes: &[u8; 4]) -> u32 {
    u32::from_le_bytes(*bytes)
}

/// Runs the syndrome sequence on two words with the given flags; returns (r2, r3, APSR).
fn syndrome(first: &[u8; 4], second: &[u8; 4], apsr: u32) -> (u32, u32, u32) {
    let program = assemble(SYNDROME, "cortex-m7", "fpv5-d16");
    let (mut core, mut bus) = boot(&program, Config::cortex_m7_dp());
    core.regs.r[2] = word(first);
    core.regs.r[3] = word(second);
    core.regs.r[4] = 0;
    core.regs.r[12] = 0xFFFF_FFFF;
    core.regs.apsr = apsr;
    for _ in 0..4 {
        assert_eq!(core.step(&mut bus), Ok(Executed::Completed));
    }
    (core.regs.r[2], core.regs.r[3], core.regs.apsr)
}

/// The index of the first zero byte from a syndrome, as strlen finishes: REV, CLZ, / 8.
fn first_zero(syndrome: u32) -> u32 {
    syndrome.swap_bytes().leading_zeros() / 8
}

#[test]
fn strlen_syndrome_finds_the_first_nul() {
    // No NUL in either word: both syndromes 0, the loop goes on.
    let (r2, r3, _) = syndrome(b"abcd", b"efgh", 0);
    assert_eq!((r2, r3), (0, 0));
    // NUL at byte 2 of the first word: 0xFF in byte 2; the second word's syndrome takes the
    // first's bytes where its own are non-zero.
    let (r2, r3, _) = syndrome(b"ab\0d", b"efgh", 0);
    assert_eq!((r2, r3), (0x00FF_0000, 0x00FF_0000));
    assert_eq!(first_zero(r2), 2);
    // NUL at byte 1 of the second word only.
    let (r2, r3, _) = syndrome(b"abcd", b"e\0gh", 0);
    assert_eq!((r2, r3), (0, 0x0000_FF00));
    assert_eq!(first_zero(r3), 1);
    // Zero bytes after the first do not matter to the index; a 0x80..0xFF byte is non-zero.
    let (r2, _, _) = syndrome(&[0xFF, 0x80, 0, 0], b"efgh", 0);
    assert_eq!(r2, 0xFFFF_0000);
    assert_eq!(first_zero(r2), 2);
    let (r2, _, _) = syndrome(&[0, 0x01, 0, 0x7F], b"efgh", 0);
    assert_eq!(first_zero(r2), 0);
}

#[test]
fn the_syndrome_steps_keep_the_loop_flags() {
    // memchr's loop counter lives in N, Z, C, V across UADD8/SEL; Q is kept too.
    for flags in [
        0,
        psr::Z,
        psr::N | psr::C,
        psr::NZCV | psr::Q,
        psr::C | psr::V,
    ] {
        let (_, _, apsr) = syndrome(b"ab\0d", b"efgh", flags);
        // GE ends as the second UADD8 left it: every byte of "efgh" is non-zero.
        assert_eq!(apsr, flags | psr::GE_MASK, "flags {flags:#010x}");
    }
}

/// A strlen written with the same idea, word by word.
#[test]
fn a_uadd8_sel_strlen_loop_runs() {
    let program = assemble(
        "_start:
    adr r0, text
    bl strlen_words
    mov r5, r0
    adr r0, empty
    bl strlen_words
    mov r6, r0
    bkpt #0

@ r0 = word-aligned string; returns its length.
strlen_words:
    push {r4}
    mov r1, r0
    mvn ip, #0
    movs r4, #0
1:  ldr r2, [r1], #4
    uadd8 r2, r2, ip
    sel r2, r4, ip
    cmp r2, #0
    beq 1b
    rev r2, r2
    clz r2, r2
    sub r0, r1, r0
    sub r0, r0, #4
    add r0, r0, r2, lsr #3
    pop {r4}
    bx lr

    .align 2
text:
    .asciz \"DSP string routines, word by word\"
    .align 2
empty:
    .word 0
",
        "cortex-m7",
        "fpv5-d16",
    );
    let (mut core, mut bus) = boot(&program, Config::cortex_m7_dp());
    run_to_bkpt(&mut core, &mut bus);
    assert_eq!(core.regs.r[5], 33);
    assert_eq!(core.regs.r[6], 0);
}

/// newlib's own `strlen` and `memchr`, linked from the installed multilib `libc.a`.
#[test]
fn newlib_strlen_and_memchr_run() {
    let body = "_start:
    ldr r0, =aligned
    bl strlen
    mov r5, r0
    ldr r0, =aligned + 3
    bl strlen
    mov r6, r0
    ldr r0, =aligned + 1
    movs r1, #'Z'
    movs r2, #61
    bl memchr
    mov r7, r0
    ldr r0, =aligned
    movs r1, #'?'
    movs r2, #60
    bl memchr
    mov r8, r0
    bkpt #0
    .ltorg

    .align 3
aligned:
    .asciz \"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ\"
";
    let (image, aligned) = link_with_newlib(body);
    let program = support::Program {
        image,
        symbols: [("aligned".to_string(), aligned)].into_iter().collect(),
    };
    let (mut core, mut bus) = boot(&program, Config::cortex_m7_dp());
    run_to_bkpt(&mut core, &mut bus);
    assert_eq!(core.regs.r[5], 62, "strlen from an aligned start");
    assert_eq!(core.regs.r[6], 59, "strlen from an unaligned start");
    assert_eq!(core.regs.r[7], aligned + 61, "memchr finds 'Z'");
    assert_eq!(core.regs.r[8], 0, "memchr of an absent byte");
}

/// The multilib of the stock Debian toolchain for `-mcpu=cortex-m7 -mfpu=fpv5-d16
/// -mfloat-abi=hard`.
const NEWLIB: &str = "/usr/lib/arm-none-eabi/newlib/thumb/v7e-m+dp/hard";

/// Assembles `body` as the support harness does and links it against newlib's `libc.a`
/// (only the members it calls are pulled in); returns the flat image and `aligned`'s address.
fn link_with_newlib(body: &str) -> (Vec<u8>, u32) {
    use std::process::Command;
    let libc = std::path::Path::new(NEWLIB).join("libc.a");
    assert!(
        libc.exists(),
        "{} is missing: install libnewlib-arm-none-eabi",
        libc.display()
    );
    let dir = std::env::temp_dir().join(format!("sim-core-dsp-newlib-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = format!(
        "    .syntax unified\n    .thumb\n    .section .vectors, \"ax\"\n    .word 0x{:08X}\n    .word _start + 1\n    .text\n    .thumb_func\n    .global _start\n{body}\n",
        support::RAM + support::RAM_SIZE
    );
    let (src, obj, elf, bin) = (
        dir.join("prog.s"),
        dir.join("prog.o"),
        dir.join("prog.elf"),
        dir.join("prog.bin"),
    );
    std::fs::write(&src, source).unwrap();
    let ok = |cmd: &mut Command| {
        let out = cmd.output().expect("run the toolchain");
        assert!(
            out.status.success(),
            "{cmd:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    ok(Command::new("arm-none-eabi-as")
        .args([
            "-mcpu=cortex-m7",
            "-mthumb",
            "-mfpu=fpv5-d16",
            "-mfloat-abi=hard",
            "-o",
        ])
        .arg(&obj)
        .arg(&src));
    ok(Command::new("arm-none-eabi-ld")
        .args([
            "-Ttext=0x8",
            "--section-start=.vectors=0",
            "-Tdata=0x20000000",
        ])
        .args(["-e", "_start", "-o"])
        .arg(&elf)
        .arg(&obj)
        .arg(&libc));
    ok(Command::new("arm-none-eabi-objcopy")
        .args([
            "-O",
            "binary",
            "--only-section=.vectors",
            "--only-section=.text",
        ])
        .arg(&elf)
        .arg(&bin));
    let nm = ok(Command::new("arm-none-eabi-nm").arg(&elf));
    let aligned = String::from_utf8_lossy(&nm)
        .lines()
        .find_map(|line| {
            let mut parts = line.split_whitespace();
            let value = parts.next()?;
            let _kind = parts.next()?;
            (parts.next()? == "aligned").then(|| u32::from_str_radix(value, 16).ok())?
        })
        .expect("symbol aligned");
    let image = std::fs::read(&bin).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (image, aligned)
}
