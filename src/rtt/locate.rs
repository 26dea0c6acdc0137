//! Which control block to attach to, from the candidates of successive search passes (pure).
//!
//! Without the symbol `_SEGGER_RTT`, the ID alone does not tell the live block from a copy: a
//! flash loader leaves the programmed image in its RAM buffer, and in a statically initialised
//! firmware that image holds a whole, valid control block. What tells them apart is that the
//! firmware writes to the live one. So every valid candidate is kept, and the first that is
//! *live* wins: an up channel holds unread bytes, or an offset moved since an earlier pass. A
//! firmware that has not written anything yet is attached to once its block has been the only
//! candidate for [`QUIET_ATTACH`] of running; the service keeps looking for a live one while
//! nothing moves through it.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::time::{Duration, Instant};

use super::block::{BlockImage, Invalid};

/// How long a lone candidate nobody writes to must have been seen, with the core running,
/// before it is attached to.
pub const QUIET_ATTACH: Duration = Duration::from_secs(2);

/// Why a block was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// It is at the symbol `_SEGGER_RTT`.
    Symbol,
    /// The firmware writes to it.
    Live,
    /// It is the only candidate, and nothing has been written to it yet.
    Only,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Reason::Symbol => "at _SEGGER_RTT",
            Reason::Live => "the firmware writes to it",
            Reason::Only => "the only candidate; nothing written to it yet",
        })
    }
}

/// What a pass decided.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Choice {
    /// Attach to the block at `address`.
    Attach {
        /// Where.
        address: u64,
        /// Why this one.
        reason: Reason,
    },
    /// Nothing to attach to yet.
    Wait(Waiting),
}

/// What a pass saw when it chose nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Waiting {
    /// Valid candidates nobody writes to yet.
    pub quiet: Vec<u64>,
    /// Places with the ID that are not control blocks, and why.
    pub rejected: Vec<(u64, Invalid)>,
}

impl fmt::Display for Waiting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |all: &[u64]| {
            all.iter()
                .map(|a| format!("{a:#010x}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self.quiet.as_slice() {
            [] => f.write_str("no control block found")?,
            [one] => write!(
                f,
                "a control block at {one:#010x}, which the firmware has not written to yet (a copy left by the flash loader looks the same)"
            )?,
            all => write!(
                f,
                "{} control blocks ({}), none written to yet: waiting for the firmware to write to one",
                all.len(),
                list(all)
            )?,
        }
        for (address, why) in &self.rejected {
            write!(f, "; ID at {address:#010x} is not a control block: {why}")?;
        }
        Ok(())
    }
}

#[derive(Clone, Debug)]
struct Seen {
    first: BlockImage,
}

/// The candidates seen so far, and since when the lone one has been quiet.
#[derive(Clone, Debug, Default)]
pub struct Locator {
    seen: BTreeMap<u64, Seen>,
    lone_quiet_since: Option<(u64, Instant)>,
}

impl Locator {
    /// Nothing seen yet.
    pub fn new() -> Locator {
        Locator::default()
    }

    /// Where valid candidates were seen (a short pass looks at them again).
    pub fn known(&self) -> Vec<u64> {
        self.seen.keys().copied().collect()
    }

    /// Where the known candidates' up buffers are: a live block usually sits near its buffers,
    /// and a copy points at the same buffers as the block it copies.
    pub fn buffer_hints(&self) -> Vec<u64> {
        let mut hints: Vec<u64> = self
            .seen
            .values()
            .filter_map(|s| s.first.first_up_buffer())
            .collect();
        hints.sort_unstable();
        hints.dedup();
        hints
    }

    /// Forgets every candidate (a reset: the firmware builds its block again).
    pub fn forget(&mut self) {
        *self = Locator::default();
    }

    /// Judges one pass: `looks` are the places where the ID was found with their verdicts,
    /// `running` whether the core runs, `ram` the chip's RAM regions.
    pub fn judge(
        &mut self,
        looks: Vec<(u64, Result<BlockImage, Invalid>)>,
        running: bool,
        ram: &[Range<u64>],
        now: Instant,
    ) -> Choice {
        let mut valid = Vec::new();
        let mut rejected = Vec::new();
        for (address, verdict) in looks {
            match verdict {
                Ok(image) => valid.push(image),
                Err(why) => rejected.push((address, why)),
            }
        }
        self.seen
            .retain(|address, _| valid.iter().any(|v| v.address == *address));
        let live: Vec<&BlockImage> = valid
            .iter()
            .filter(|v| {
                v.is_live()
                    || self
                        .seen
                        .get(&v.address)
                        .is_some_and(|s| v.moved_since(&s.first))
            })
            .collect();
        for v in &valid {
            self.seen
                .entry(v.address)
                .or_insert_with(|| Seen { first: v.clone() });
        }
        if let Some(address) = pick(&live, ram) {
            return Choice::Attach {
                address,
                reason: Reason::Live,
            };
        }
        match (valid.as_slice(), running) {
            ([only], true) => {
                let since = match self.lone_quiet_since {
                    Some((address, since)) if address == only.address => since,
                    _ => {
                        self.lone_quiet_since = Some((only.address, now));
                        now
                    }
                };
                if now.duration_since(since) >= QUIET_ATTACH {
                    return Choice::Attach {
                        address: only.address,
                        reason: Reason::Only,
                    };
                }
            }
            _ => self.lone_quiet_since = None,
        }
        Choice::Wait(Waiting {
            quiet: valid.iter().map(|v| v.address).collect(),
            rejected,
        })
    }
}

/// The live block to take among several: one whose up buffer is in the same RAM region as the
/// block itself (the same RAM seen at two addresses, as the G4's CCM SRAM, gives two identical
/// live candidates; the firmware was linked for the view its pointers use), then the lowest.
fn pick(live: &[&BlockImage], ram: &[Range<u64>]) -> Option<u64> {
    let region = |address: u64| ram.iter().position(|r| r.contains(&address));
    let same_view = |b: &&&BlockImage| {
        b.first_up_buffer()
            .is_some_and(|buffer| region(buffer) == region(b.address))
    };
    let chosen = live
        .iter()
        .filter(same_view)
        .chain(live.iter())
        .map(|b| b.address)
        .next()?;
    if live.len() > 1 {
        let others: Vec<String> = live
            .iter()
            .map(|b| b.address)
            .filter(|a| *a != chosen)
            .map(|a| format!("{a:#010x}"))
            .collect();
        log::warn!(
            "RTT: several control blocks are written to; using {chosen:#010x}, not {}",
            others.join(", ")
        );
    }
    Some(chosen)
}

#[cfg(test)]
mod tests {
    use super::super::block::tests::{block_bytes, memory, RAM};
    use super::*;

    fn image(address: u64, write: u32, read: u32) -> BlockImage {
        BlockImage::parse(address, &block_bytes(write, read), &memory()).unwrap()
    }

    #[test]
    fn a_copy_and_the_live_block_the_live_one_wins() {
        let mut locator = Locator::new();
        let now = Instant::now();
        let copy = image(0x2000_02dc, 0, 0);
        let live = image(0x2000_0400, 28, 0);
        let choice = locator.judge(
            vec![(copy.address, Ok(copy)), (live.address, Ok(live))],
            true,
            RAM,
            now,
        );
        assert_eq!(
            choice,
            Choice::Attach {
                address: 0x2000_0400,
                reason: Reason::Live
            }
        );
    }

    #[test]
    fn two_quiet_blocks_wait_until_one_moves() {
        let mut locator = Locator::new();
        let now = Instant::now();
        let looks = |w| {
            vec![
                (0x2000_02dc, Ok(image(0x2000_02dc, 0, 0))),
                (0x2000_0400, Ok(image(0x2000_0400, w, w))),
                (0x2000_0800, Err(Invalid::NoChannel)),
            ]
        };
        let Choice::Wait(waiting) = locator.judge(looks(0), true, RAM, now) else {
            panic!("nothing is live yet")
        };
        assert_eq!(waiting.quiet, vec![0x2000_02dc, 0x2000_0400]);
        let text = waiting.to_string();
        assert!(text.contains("2 control blocks"), "{text}");
        assert!(text.contains("0x20000800 is not a control block"), "{text}");
        // Much later, still nothing moved: two candidates are never attached to blindly.
        let later = now + QUIET_ATTACH * 3;
        assert!(matches!(
            locator.judge(looks(0), true, RAM, later),
            Choice::Wait(_)
        ));
        // The firmware wrote and the host... someone read: the offsets moved.
        assert_eq!(
            locator.judge(looks(40), true, RAM, later),
            Choice::Attach {
                address: 0x2000_0400,
                reason: Reason::Live
            }
        );
    }

    #[test]
    fn a_lone_quiet_block_is_taken_after_a_while_of_running() {
        let mut locator = Locator::new();
        let now = Instant::now();
        let looks = || vec![(0x2000_0400, Ok(image(0x2000_0400, 0, 0)))];
        assert!(matches!(
            locator.judge(looks(), false, RAM, now),
            Choice::Wait(_)
        ));
        // Halted time does not count.
        let t = now + QUIET_ATTACH * 2;
        assert!(matches!(
            locator.judge(looks(), true, RAM, t),
            Choice::Wait(_)
        ));
        assert_eq!(
            locator.judge(looks(), true, RAM, t + QUIET_ATTACH),
            Choice::Attach {
                address: 0x2000_0400,
                reason: Reason::Only
            }
        );
    }

    #[test]
    fn of_two_views_of_one_block_the_one_its_pointers_use_wins() {
        // The same live block seen at 0x1000_0000 (its buffers are at 0x1000_xxxx) and at an
        // alias in another region.
        let ram = [0x1000_0000..0x1000_8000, 0x2000_0000..0x2008_0000];
        let readable = [
            0x0800_0000..0x0820_0000,
            0x1000_0000..0x1000_8000,
            0x2000_0000..0x2008_0000,
        ];
        let m = super::super::block::Memory {
            ram: &ram,
            readable: &readable,
        };
        let mut bytes = block_bytes(28, 0);
        bytes[28..32].copy_from_slice(&0x1000_1000u32.to_le_bytes());
        bytes[52..56].copy_from_slice(&0x1000_2000u32.to_le_bytes());
        let alias = BlockImage::parse(0x2001_8000, &bytes, &m).unwrap();
        let own = BlockImage::parse(0x1000_0000, &bytes, &m).unwrap();
        let mut locator = Locator::new();
        assert_eq!(
            locator.judge(
                vec![(alias.address, Ok(alias)), (own.address, Ok(own))],
                true,
                &ram,
                Instant::now()
            ),
            Choice::Attach {
                address: 0x1000_0000,
                reason: Reason::Live
            }
        );
    }
}
