//! The user option bytes as stored in system memory at 0x1FFF_0000 (RM0410 §3.4).
//!
//! Four entries on an 8-byte stride; each word holds a value in bits 15:0 and its complement in
//! bits 31:16. This shows what was last *programmed* (by OPTSTRT), while FLASH_OPTCR/OPTCR1 show
//! what was *loaded* at the last reset — so a difference means "pending until reset".
//! (The exact F76x table is only partially confirmed by sources; the words at +4/+0xC/+0x14/+0x1C
//! are not used.)

use serde::Serialize;

use super::fields::OptionWords;
use super::registers::FLASH_OPTCR_CONTROL;

/// Byte offsets of the four value/complement words from 0x1FFF_0000.
pub const ENTRY_OFFSETS: [u32; 4] = [0x00, 0x08, 0x10, 0x18];
/// What each entry holds, for messages.
pub const ENTRY_NAMES: [&str; 4] = [
    "USER/RDP (OPTCR[15:0])",
    "nWRP/nDBOOT/nDBANK/IWDG (OPTCR[31:16])",
    "BOOT_ADD0",
    "BOOT_ADD1",
];

/// The 32 bytes at 0x1FFF_0000, as eight little-endian words.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize)]
pub struct OptionArea {
    /// The raw words, index = offset / 4.
    pub words: [u32; 8],
}

/// One value/complement entry that does not check out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ComplementMismatch {
    /// Byte offset from 0x1FFF_0000.
    pub offset: u32,
    /// The raw word.
    pub word: u32,
}

impl OptionArea {
    /// Wrap eight words read from 0x1FFF_0000.
    pub fn new(words: [u32; 8]) -> Self {
        OptionArea { words }
    }

    /// The area as it looks after `options` were programmed (value | !value << 16).
    /// OPTCR bits 1:0 are stored as 1s (the factory word at 0x1FFF_0000 ends in 0xFF).
    pub fn from_options(options: &OptionWords) -> Self {
        let entry = |v: u32| (v & 0xFFFF) | ((!v & 0xFFFF) << 16);
        let mut words = [0xFFFF_FFFF; 8];
        words[0] = entry(options.optcr | FLASH_OPTCR_CONTROL);
        words[2] = entry(options.optcr >> 16);
        words[4] = entry(options.optcr1);
        words[6] = entry(options.optcr1 >> 16);
        OptionArea { words }
    }

    fn entry(&self, i: usize) -> u32 {
        self.words[(ENTRY_OFFSETS[i] / 4) as usize]
    }

    /// Entries whose upper half is not the complement of the lower half.
    pub fn complement_mismatches(&self) -> Vec<ComplementMismatch> {
        (0..4)
            .filter(|&i| {
                let w = self.entry(i);
                (w >> 16) != (!w & 0xFFFF)
            })
            .map(|i| ComplementMismatch {
                offset: ENTRY_OFFSETS[i],
                word: self.entry(i),
            })
            .collect()
    }

    /// The stored option values in FLASH_OPTCR/OPTCR1 layout, with OPTLOCK/OPTSTRT cleared.
    pub fn options(&self) -> OptionWords {
        let low = |i: usize| self.entry(i) & 0xFFFF;
        OptionWords {
            optcr: ((low(1) << 16) | low(0)) & !FLASH_OPTCR_CONTROL,
            optcr1: (low(3) << 16) | low(2),
        }
    }

    /// The eight words as bytes, for a block read buffer.
    pub fn from_le_bytes(bytes: &[u8; 32]) -> Self {
        let mut words = [0u32; 8];
        for (i, chunk) in bytes.chunks_exact(4).enumerate() {
            words[i] = u32::from_le_bytes(chunk.try_into().expect("4-byte chunk"));
        }
        OptionArea { words }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_area_matches_published_words() {
        let area = OptionArea::from_options(&OptionWords::FACTORY);
        // Published F7 defaults for 0x1FFF_0010/0x1FFF_0018 (BOOT_ADD0 0x0080, BOOT_ADD1 0x0040).
        assert_eq!(area.words[4], 0xFF7F_0080);
        assert_eq!(area.words[6], 0xFFBF_0040);
        // RDP 0xAA, USER 0xFF; the F74x header lists 0x5500AAFF.
        assert_eq!(area.words[0], 0x5500_AAFF);
        // OPTCR[31:16] = 0xFFFF on F76x factory (nDBANK = 1).
        assert_eq!(area.words[2], 0x0000_FFFF);
        assert!(area.complement_mismatches().is_empty());
        assert_eq!(area.options(), OptionWords::FACTORY.options_only());
    }

    #[test]
    fn round_trip_any_options() {
        for (optcr, optcr1) in [
            (0xDFFF_AAFD, 0x2040_0080),
            (0x0000_0000, 0x0000_0000),
            (0xEFFF_55F0, 0xFFFF_FFFF),
            (0x1234_5678, 0x9ABC_DEF0),
        ] {
            let w = OptionWords::new(optcr, optcr1);
            let area = OptionArea::from_options(&w);
            assert!(area.complement_mismatches().is_empty());
            assert_eq!(area.options(), w.options_only());
        }
    }

    #[test]
    fn ndbank_lives_in_bit_13_of_the_second_word() {
        let dual = OptionArea::from_options(
            &OptionWords::FACTORY.with(crate::chip::f7::fields::Field::NDBank, 0),
        );
        assert_eq!(dual.words[2] & (1 << 13), 0);
        assert_eq!(dual.words[2], 0x2000_DFFF);
    }

    #[test]
    fn complement_errors_are_reported_with_offsets() {
        let mut area = OptionArea::from_options(&OptionWords::FACTORY);
        area.words[4] = 0xFFFF_0080;
        area.words[6] = 0;
        let bad = area.complement_mismatches();
        assert_eq!(
            bad,
            vec![
                ComplementMismatch {
                    offset: 0x10,
                    word: 0xFFFF_0080
                },
                ComplementMismatch {
                    offset: 0x18,
                    word: 0
                },
            ]
        );
    }

    #[test]
    fn bytes_are_little_endian() {
        let mut bytes = [0u8; 32];
        bytes[..4].copy_from_slice(&[0xFF, 0xAA, 0x00, 0x55]);
        let area = OptionArea::from_le_bytes(&bytes);
        assert_eq!(area.words[0], 0x5500_AAFF);
    }
}
