//! Bit-banding (ARMv7-M ARM A3.7; Cortex-M3/M4 only, `Config::bitband`): each word of the
//! alias regions stands for one bit of the bit-band regions.
//!
//! | bit-band region            | alias region               |
//! |----------------------------|----------------------------|
//! | 0x2000_0000–0x200F_FFFF SRAM | 0x2200_0000–0x23FF_FFFF |
//! | 0x4000_0000–0x400F_FFFF peripherals | 0x4200_0000–0x43FF_FFFF |
//!
//! Alias word `alias + 4 * (8 * byte_offset + bit)` is bit `bit` of byte `base + byte_offset`.
//! A read returns the bit in bit 0; a write of bit 0 of the value read-modify-writes the target
//! through the bus, the two accesses back to back (the bus matrix makes them one locked
//! transfer). The access to the target has the size of the access to the alias (A3.7.2), so a
//! peripheral register that must be written as a word is. The debugger's accesses go through
//! the same aliasing (the Cortex-M4 AHB-AP enters the bus matrix that does it).

use crate::bus::{Bus, BusError, Initiator};

const SRAM: u32 = 0x2000_0000;
const SRAM_ALIAS: u32 = 0x2200_0000;
const PERIPHERAL: u32 = 0x4000_0000;
const PERIPHERAL_ALIAS: u32 = 0x4200_0000;
/// Each alias region is 32 MB.
const ALIAS_SIZE: u32 = 0x0200_0000;

/// Whether `address` is in an alias region.
#[inline]
pub fn is_alias(address: u32) -> bool {
    matches!(address >> 25, 0x11 | 0x21)
}

/// The target of alias `address` for an access of `size` bytes: the aligned address in the
/// bit-band region and the bit within the value accessed there.
pub fn target(address: u32, size: u32) -> Option<(u32, u32)> {
    let (base, alias) = if (SRAM_ALIAS..SRAM_ALIAS + ALIAS_SIZE).contains(&address) {
        (SRAM, SRAM_ALIAS)
    } else if (PERIPHERAL_ALIAS..PERIPHERAL_ALIAS + ALIAS_SIZE).contains(&address) {
        (PERIPHERAL, PERIPHERAL_ALIAS)
    } else {
        return None;
    };
    let bit_number = (address - alias) >> 2;
    let byte = base + bit_number / 8;
    let aligned = byte & !(size - 1);
    let bit = (byte - aligned) * 8 + bit_number % 8;
    Some((aligned, bit))
}

/// A read of alias `address`: 0 or 1.
pub fn read(bus: &mut dyn Bus, address: u32, size: u32, who: Initiator) -> Result<u32, BusError> {
    let (target, bit) = target(address, size).ok_or(BusError { address })?;
    let value = bus
        .read(target, size, who)
        .map_err(|_| BusError { address })?;
    Ok((value >> bit) & 1)
}

/// A write of alias `address`: bit 0 of `value` into the target bit.
pub fn write(
    bus: &mut dyn Bus,
    address: u32,
    value: u32,
    size: u32,
    who: Initiator,
) -> Result<(), BusError> {
    let (target, bit) = target(address, size).ok_or(BusError { address })?;
    let old = bus
        .read(target, size, who)
        .map_err(|_| BusError { address })?;
    let new = if value & 1 != 0 {
        old | (1 << bit)
    } else {
        old & !(1 << bit)
    };
    bus.write(target, new, size, who)
        .map_err(|_| BusError { address })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_addresses_map_to_byte_and_bit() {
        // ARM's example (A3.7.1): 0x2200_0000 + 0x300 * 32 + 2 * 4 = bit 2 of 0x2000_0300.
        assert_eq!(target(0x2200_6008, 1), Some((0x2000_0300, 2)));
        // The last alias word is bit 7 of the last byte.
        assert_eq!(target(0x23FF_FFFC, 1), Some((0x200F_FFFF, 7)));
        // A word access to the alias of bit 5 of 0x4002_0016 is a word access to 0x4002_0014,
        // bit 21.
        let alias = PERIPHERAL_ALIAS + (0x2_0016 * 32) + 5 * 4;
        assert_eq!(target(alias, 4), Some((0x4002_0014, 21)));
        assert!(is_alias(0x2200_0000) && is_alias(0x43FF_FFFC));
        assert!(!is_alias(0x2400_0000) && !is_alias(0x4400_0000) && !is_alias(0x6200_0000));
    }
}
