//! Sector layout of the simulated flash array, per bank mode and flash size (RM0410 §3.3).
//!
//! Written from the reference manual's tables for the simulator's own use, independently of the
//! option-byte engine's geometry, so that a misunderstanding in one shows up against the other.

/// One erasable sector as FLASH_CR.SNB addresses it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sector {
    /// The FLASH_CR.SNB value that selects this sector (bank-2 sectors are `0x10 | k`).
    pub snb: u8,
    /// Offset from the start of flash (0x0800_0000).
    pub offset: u32,
    /// Size in bytes.
    pub size: u32,
}

const KB: u32 = 1024;

/// The sectors of a flash array of `flash_bytes` in single-bank (`dual == false`) or dual-bank mode.
pub fn sectors(flash_bytes: u32, dual: bool) -> Vec<Sector> {
    let mut out = Vec::new();
    if dual {
        // Each bank is half the array: 4 × 16 KB, 64 KB, then 128 KB sectors.
        let bank = flash_bytes / 2;
        for (bank_index, snb_base) in [(0u32, 0u8), (1, 0x10)] {
            push_bank(
                &mut out,
                bank_index * bank,
                bank,
                snb_base,
                [16 * KB, 64 * KB, 128 * KB],
            );
        }
    } else {
        // One bank: 4 × 32 KB, 128 KB, then 256 KB sectors.
        push_bank(&mut out, 0, flash_bytes, 0, [32 * KB, 128 * KB, 256 * KB]);
    }
    out
}

fn push_bank(out: &mut Vec<Sector>, start: u32, len: u32, snb_base: u8, sizes: [u32; 3]) {
    let [small, medium, large] = sizes;
    let mut offset = start;
    let mut k = 0u8;
    while offset < start + len {
        let size = match k {
            0..=3 => small,
            4 => medium,
            _ => large,
        };
        out.push(Sector {
            snb: snb_base | k,
            offset,
            size,
        });
        offset += size;
        k += 1;
    }
}

/// Maps a flash offset (as seen at 0x0800_0000) to its place in the two physical halves of the
/// array.
///
/// The array is two 128-bit-wide halves. In dual-bank mode each half is one bank. In single-bank
/// mode a 256-bit row is made of one 128-bit line of each half, so consecutive 16-byte chunks
/// alternate between the halves. RM0410 does not document this mapping; it is the simulator's
/// model of why firmware written in one mode reads back scrambled in the other (the symptom users
/// report), and it keeps the two geometries consistent: single-bank sector 0 (32 KB) is exactly
/// dual-bank sectors 0 and 12 (16 KB each).
pub fn physical(flash_bytes: u32, dual: bool, offset: u32) -> (usize, usize) {
    let half = flash_bytes / 2;
    if dual {
        ((offset / half) as usize, (offset % half) as usize)
    } else {
        let row = offset / 32;
        let within = offset % 32;
        ((within / 16) as usize, (row * 16 + within % 16) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_bank_2mb_has_12_sectors() {
        let s = sectors(2048 * KB, false);
        assert_eq!(s.len(), 12);
        assert_eq!(
            s[4],
            Sector {
                snb: 4,
                offset: 0x20000,
                size: 128 * KB
            }
        );
        assert_eq!(
            s[11],
            Sector {
                snb: 11,
                offset: 0x1C0000,
                size: 256 * KB
            }
        );
    }

    #[test]
    fn dual_bank_2mb_has_24_sectors_with_bank2_snb() {
        let s = sectors(2048 * KB, true);
        assert_eq!(s.len(), 24);
        assert_eq!(
            s[12],
            Sector {
                snb: 0x10,
                offset: 0x100000,
                size: 16 * KB
            }
        );
        assert_eq!(
            s[16],
            Sector {
                snb: 0x14,
                offset: 0x110000,
                size: 64 * KB
            }
        );
        assert_eq!(
            s[23],
            Sector {
                snb: 0x1B,
                offset: 0x1E0000,
                size: 128 * KB
            }
        );
    }

    #[test]
    fn one_mb_parts_have_no_sectors_8_to_11() {
        let single = sectors(1024 * KB, false);
        assert_eq!(single.len(), 8);
        let dual = sectors(1024 * KB, true);
        assert_eq!(dual.len(), 16);
        assert_eq!(
            dual[8],
            Sector {
                snb: 0x10,
                offset: 0x80000,
                size: 16 * KB
            }
        );
        assert_eq!(dual.last().unwrap().offset, 0xE0000);
    }

    #[test]
    fn single_sector0_is_dual_sectors_0_and_12() {
        let size = 2048 * KB;
        let mut halves = [0usize; 2];
        for off in 0..32 * KB {
            let (h, p) = physical(size, false, off);
            assert!(
                p < 16 * 1024,
                "offset {off:#x} lands outside dual sector 0/12"
            );
            halves[h] += 1;
        }
        assert_eq!(halves, [16 * 1024, 16 * 1024]);
    }
}
