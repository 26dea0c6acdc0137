//! The bit-band regions of the Cortex-M3/M4 (Cortex-M4 Technical Reference Manual §3.7,
//! "Bit-banding"; the Cortex-M7 of the STM32F7 has none): each bit of the first 1 MB of SRAM
//! (0x2000_0000) and of the peripherals (0x4000_0000) has a word of its own in a 32 MB alias
//! region (0x2200_0000, 0x4200_0000). A write to an alias word sets the bit to bit 0 of the value
//! written; the access is a read-modify-write of the byte that holds the bit.
//!
//! The write guard needs this: a bit written through the alias reaches the register as surely
//! as a write of the register itself.

/// One bit-band region: the bit-band area and its alias.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitBandRegion {
    /// First byte of the area whose bits are aliased.
    pub base: u32,
    /// First byte of the alias region.
    pub alias: u32,
}

/// Size of a bit-band area (1 MB); its alias is 32 times larger.
pub const AREA_BYTES: u32 = 0x0010_0000;
/// Size of an alias region (32 MB).
pub const ALIAS_BYTES: u32 = AREA_BYTES * 32;

/// The SRAM region: 0x2000_0000–0x200F_FFFF aliased at 0x2200_0000–0x23FF_FFFF.
pub const SRAM: BitBandRegion = BitBandRegion {
    base: 0x2000_0000,
    alias: 0x2200_0000,
};

/// The peripheral region: 0x4000_0000–0x400F_FFFF aliased at 0x4200_0000–0x43FF_FFFF.
pub const PERIPHERALS: BitBandRegion = BitBandRegion {
    base: 0x4000_0000,
    alias: 0x4200_0000,
};

/// The bit an alias address stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AliasedBit {
    /// The byte in the bit-band area that holds the bit.
    pub byte: u32,
    /// The bit within that byte (0–7).
    pub bit: u8,
}

impl AliasedBit {
    /// The word that holds the bit, and the bit's position in it (little-endian).
    pub fn word_and_bit(self) -> (u32, u32) {
        (self.byte & !3, (self.byte & 3) * 8 + u32::from(self.bit))
    }
}

impl BitBandRegion {
    /// The alias addresses, as a half-open range.
    pub fn alias_range(self) -> std::ops::Range<u64> {
        u64::from(self.alias)..u64::from(self.alias) + u64::from(ALIAS_BYTES)
    }

    /// The bit `address` aliases, if it lies in this region's alias. The low two address bits
    /// do not select anything: every byte of an alias word stands for the same bit.
    pub fn bit_at(self, address: u32) -> Option<AliasedBit> {
        let offset = address.checked_sub(self.alias)?;
        if offset >= ALIAS_BYTES {
            return None;
        }
        Some(AliasedBit {
            byte: self.base + offset / 32,
            bit: ((offset / 4) % 8) as u8,
        })
    }

    /// The alias word of bit `bit` of the byte at `byte`.
    pub fn alias_of(self, byte: u32, bit: u8) -> u32 {
        self.alias + (byte - self.base) * 32 + u32::from(bit) * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_addresses_map_to_bits() {
        // The Cortex-M4 TRM's example: 0x4200_0000 + 0x20000*32 + 0*4 is bit 0 of 0x4002_0000.
        assert_eq!(
            PERIPHERALS.bit_at(0x4240_0000),
            Some(AliasedBit {
                byte: 0x4002_0000,
                bit: 0
            })
        );
        // FLASH_OPTR (0x4002_2020) bit 7: byte 0x4002_2020, alias 0x4244_0400 + 7*4.
        let bit = PERIPHERALS.bit_at(0x4244_041C).unwrap();
        assert_eq!(
            bit,
            AliasedBit {
                byte: 0x4002_2020,
                bit: 7
            }
        );
        assert_eq!(bit.word_and_bit(), (0x4002_2020, 7));
        // Bit 30 of FLASH_CR (0x4002_2014): byte 0x4002_2017 bit 6.
        let optlock = PERIPHERALS.alias_of(0x4002_2017, 6);
        assert_eq!(optlock, 0x4244_02F8);
        assert_eq!(
            PERIPHERALS.bit_at(optlock).unwrap().word_and_bit(),
            (0x4002_2014, 30)
        );
        // Any byte of the alias word is the same bit.
        assert_eq!(PERIPHERALS.bit_at(optlock + 3), PERIPHERALS.bit_at(optlock));
        assert_eq!(PERIPHERALS.bit_at(0x4400_0000), None);
        assert_eq!(PERIPHERALS.bit_at(0x41FF_FFFF), None);
        assert_eq!(
            SRAM.bit_at(0x2200_0004),
            Some(AliasedBit {
                byte: 0x2000_0000,
                bit: 1
            })
        );
    }
}
