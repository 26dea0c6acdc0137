//! The decode cache returns what a fresh decode returns, for hits, misses and encodings that
//! evict each other, on every architecture.

mod int_common;
mod support;

use int_common::{m7, v6m, v7m};
use sim_core::decode::{decode, DecodeCache};
use sim_core::Instr;

/// Everything observable of a decoded instruction (`Instr` has a function pointer, compared
/// by address).
fn key(instr: &Instr) -> (usize, sim_core::Ops, u8, u8, bool) {
    (
        instr.exec as usize,
        instr.ops,
        instr.len,
        instr.cond,
        instr.is_it,
    )
}

/// A deterministic sample of encodings: every 16-bit encoding with a stride, and 32-bit ones
/// from a linear congruential sequence over every first-halfword prefix.
fn sample() -> Vec<(u16, u16)> {
    let mut encodings: Vec<(u16, u16)> =
        (0..0xE800u32).step_by(7).map(|hw| (hw as u16, 0)).collect();
    let mut x: u32 = 0x1234_5678;
    for _ in 0..20_000 {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        let hw1 = 0xE800 + ((x >> 16) % 0x1800) as u16;
        encodings.push((hw1, x as u16));
    }
    encodings
}

#[test]
fn cached_decodes_equal_fresh_decodes() {
    for config in [m7(), v7m(), v6m()] {
        let mut cache = DecodeCache::new();
        let encodings = sample();
        // Twice over: the first pass mostly misses, the second hits or re-decodes evicted
        // entries; both must agree with a fresh decode.
        for _ in 0..2 {
            for &(hw1, hw2) in &encodings {
                let fresh = decode(hw1, hw2, &config);
                let cached = cache.get(hw1, hw2, &config);
                assert_eq!(key(&cached), key(&fresh), "{hw1:04X} {hw2:04X}");
            }
        }
    }
}

/// Executes every 16-bit encoding and a large sample of 32-bit ones from a state where the
/// registers point into RAM: whatever each does (complete, trap, stop as UNPREDICTABLE), the
/// host must not panic (a guest must never crash the host).
#[test]
fn no_encoding_panics_the_host() {
    use sim_core::{Bus, Core, Initiator};
    use support::{FlatBus, RAM};

    const AT: u32 = 0x1000;
    for config in [m7(), v7m(), v6m()] {
        let mut core = Core::new(config);
        let mut bus = FlatBus::new(&[]);
        let mut run = |hw1: u16, hw2: u16| {
            bus.write(AT, u32::from(hw1), 2, Initiator::Debug).unwrap();
            bus.write(AT + 2, u32::from(hw2), 2, Initiator::Debug)
                .unwrap();
            core.regs = Default::default();
            for n in 0..13 {
                core.regs.r[n] = RAM + 0x100 * n as u32;
            }
            core.regs.r[13] = RAM + 0x2_0000;
            core.regs.r[14] = 0x2001;
            core.regs.r[15] = AT;
            core.exclusive = None;
            let _ = core.step(&mut bus);
        };
        for hw in 0..0xE800u16 {
            run(hw, 0);
        }
        let mut x: u32 = 0x9E37_79B9;
        for _ in 0..100_000 {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            run(0xE800 + ((x >> 16) % 0x1800) as u16, x as u16);
        }
    }
}
