//! One RTT control block as it sits in RAM, judged from a copy of its bytes (pure: no probe).
//!
//! The ID "SEGGER RTT" is found in more places than the live control block: the flash loader
//! leaves the image it programmed in its RAM buffer (a statically initialised block is in that
//! image, ID included), a previous firmware's block survives a reset, a buffer may hold the text.
//! A place counts as a candidate only when all of it makes sense ([`BlockImage::parse`]): a 4-byte
//! aligned address (the block is a C struct of 32-bit fields), sane channel counts, every used
//! channel's buffer inside one RAM region and outside the block, its offsets inside the buffer,
//! a valid mode, a name pointer into readable memory. Whether the firmware writes to a candidate
//! ([`BlockImage::is_live`], [`BlockImage::moved_since`]) tells the live block from a copy with
//! the same bytes.

use std::fmt;
use std::ops::Range;

/// The 16 bytes a control block starts with.
pub const ID: [u8; 16] = *b"SEGGER RTT\0\0\0\0\0\0";
/// The header: the ID, then the numbers of up and down channels (32-bit each).
pub const HEADER_LEN: usize = 24;
/// One channel descriptor: name, buffer, size, write offset, read offset, flags (32-bit each).
pub const DESCRIPTOR_LEN: usize = 24;
/// The most channels per direction a block may declare. SEGGER's default is 3; a count beyond
/// this is not a configuration but other bytes after a stray ID.
pub const MAX_CHANNELS: u32 = 32;
/// The longest a control block can be.
pub const MAX_LEN: usize = HEADER_LEN + 2 * MAX_CHANNELS as usize * DESCRIPTOR_LEN;

/// Up (target to host) or down (host to target), for the reasons below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Way {
    /// Target to host.
    Up,
    /// Host to target.
    Down,
}

impl fmt::Display for Way {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Way::Up => "up",
            Way::Down => "down",
        })
    }
}

/// Why a place with the ID is not a control block.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Invalid {
    /// Not on a 4-byte boundary.
    #[error("not 4-byte aligned")]
    Misaligned,
    /// The bytes do not start with the ID.
    #[error("no \"SEGGER RTT\" ID")]
    NoId,
    /// Channel counts no firmware declares.
    #[error("{up} up and {down} down channels declared")]
    ChannelCounts {
        /// Up channels declared.
        up: u32,
        /// Down channels declared.
        down: u32,
    },
    /// The block would run past the end of RAM (or past the bytes read).
    #[error("the block runs past the end of RAM")]
    Truncated,
    /// No channel has a buffer.
    #[error("no channel has a buffer")]
    NoChannel,
    /// A channel's buffer is not inside one RAM region.
    #[error("{way} channel {number}: buffer {buffer:#010x}+{size} is not inside RAM")]
    BufferOutsideRam {
        /// Its direction.
        way: Way,
        /// Its number.
        number: usize,
        /// The buffer's address.
        buffer: u32,
        /// Its size.
        size: u32,
    },
    /// A channel's buffer overlaps the control block.
    #[error("{way} channel {number}: buffer overlaps the control block")]
    BufferOverlapsBlock {
        /// Its direction.
        way: Way,
        /// Its number.
        number: usize,
    },
    /// A channel's offsets are outside its buffer.
    #[error(
        "{way} channel {number}: offsets write {write}, read {read} outside a {size}-byte buffer"
    )]
    OffsetOutside {
        /// Its direction.
        way: Way,
        /// Its number.
        number: usize,
        /// The write offset.
        write: u32,
        /// The read offset.
        read: u32,
        /// The buffer's size.
        size: u32,
    },
    /// A channel's mode bits are 3, which no RTT implementation defines.
    #[error("{way} channel {number}: invalid mode (flags {flags:#x})")]
    BadMode {
        /// Its direction.
        way: Way,
        /// Its number.
        number: usize,
        /// The flags word.
        flags: u32,
    },
    /// A channel's name pointer points outside readable memory.
    #[error("{way} channel {number}: name pointer {name:#010x} is not in RAM or flash")]
    NameUnreadable {
        /// Its direction.
        way: Way,
        /// Its number.
        number: usize,
        /// The name pointer.
        name: u32,
    },
}

/// Where a control block's pointers may point.
#[derive(Clone, Copy, Debug)]
pub struct Memory<'a> {
    /// RAM: control blocks and channel buffers.
    pub ram: &'a [Range<u64>],
    /// Memory a channel name may be read from (RAM and flash).
    pub readable: &'a [Range<u64>],
}

fn inside(ranges: &[Range<u64>], start: u64, len: u64) -> bool {
    let Some(end) = start.checked_add(len) else {
        return false;
    };
    ranges.iter().any(|r| r.start <= start && end <= r.end)
}

/// One channel descriptor, as read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Descriptor {
    /// Pointer to the name (0: none).
    pub name: u32,
    /// Pointer to the ring buffer (0: the channel is not used).
    pub buffer: u32,
    /// The ring buffer's size.
    pub size: u32,
    /// Where the writer writes next.
    pub write: u32,
    /// Where the reader reads next.
    pub read: u32,
    /// Mode (bits 1:0) and other flags.
    pub flags: u32,
}

impl Descriptor {
    fn from_bytes(b: &[u8]) -> Descriptor {
        let word = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        Descriptor {
            name: word(0),
            buffer: word(4),
            size: word(8),
            write: word(12),
            read: word(16),
            flags: word(20),
        }
    }

    /// Whether the channel is used (has a buffer).
    pub fn is_used(&self) -> bool {
        self.buffer != 0
    }

    fn check(
        &self,
        way: Way,
        number: usize,
        block: Range<u64>,
        memory: &Memory<'_>,
    ) -> Result<(), Invalid> {
        let (buffer, size) = (u64::from(self.buffer), u64::from(self.size));
        // A ring of one byte holds nothing: no firmware uses it.
        if size < 2 || !inside(memory.ram, buffer, size) {
            return Err(Invalid::BufferOutsideRam {
                way,
                number,
                buffer: self.buffer,
                size: self.size,
            });
        }
        if buffer < block.end && block.start < buffer + size {
            return Err(Invalid::BufferOverlapsBlock { way, number });
        }
        if self.write >= self.size || self.read >= self.size {
            return Err(Invalid::OffsetOutside {
                way,
                number,
                write: self.write,
                read: self.read,
                size: self.size,
            });
        }
        if self.flags & 3 == 3 {
            return Err(Invalid::BadMode {
                way,
                number,
                flags: self.flags,
            });
        }
        if self.name != 0 && !inside(memory.readable, u64::from(self.name), 1) {
            return Err(Invalid::NameUnreadable {
                way,
                number,
                name: self.name,
            });
        }
        Ok(())
    }
}

/// A control block that checked out, as it was when read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockImage {
    /// Where it is.
    pub address: u64,
    /// Up channel descriptors, by number.
    pub up: Vec<Descriptor>,
    /// Down channel descriptors, by number.
    pub down: Vec<Descriptor>,
}

impl BlockImage {
    /// How many bytes the whole block takes, from its header; why not, when the header is not a
    /// control block's.
    pub fn len_from_header(header: &[u8]) -> Result<usize, Invalid> {
        if header.len() < HEADER_LEN {
            return Err(Invalid::Truncated);
        }
        if header[..16] != ID {
            return Err(Invalid::NoId);
        }
        let up = u32::from_le_bytes([header[16], header[17], header[18], header[19]]);
        let down = u32::from_le_bytes([header[20], header[21], header[22], header[23]]);
        if up > MAX_CHANNELS || down > MAX_CHANNELS || up + down == 0 {
            return Err(Invalid::ChannelCounts { up, down });
        }
        Ok(HEADER_LEN + (up + down) as usize * DESCRIPTOR_LEN)
    }

    /// Checks the block whose bytes (at least its whole length) were read at `address`.
    pub fn parse(address: u64, bytes: &[u8], memory: &Memory<'_>) -> Result<BlockImage, Invalid> {
        if !address.is_multiple_of(4) {
            return Err(Invalid::Misaligned);
        }
        let len = Self::len_from_header(bytes)?;
        if bytes.len() < len || !inside(memory.ram, address, len as u64) {
            return Err(Invalid::Truncated);
        }
        let up_count = u32::from_le_bytes([bytes[16], bytes[17], bytes[18], bytes[19]]) as usize;
        let descriptors: Vec<Descriptor> = bytes[HEADER_LEN..len]
            .chunks_exact(DESCRIPTOR_LEN)
            .map(Descriptor::from_bytes)
            .collect();
        let (up, down) = descriptors.split_at(up_count);
        let block = address..address + len as u64;
        for (way, list) in [(Way::Up, up), (Way::Down, down)] {
            for (number, d) in list.iter().enumerate().filter(|(_, d)| d.is_used()) {
                d.check(way, number, block.clone(), memory)?;
            }
        }
        if !descriptors.iter().any(Descriptor::is_used) {
            return Err(Invalid::NoChannel);
        }
        Ok(BlockImage {
            address,
            up: up.to_vec(),
            down: down.to_vec(),
        })
    }

    /// How many bytes the block takes.
    pub fn len(&self) -> usize {
        HEADER_LEN + (self.up.len() + self.down.len()) * DESCRIPTOR_LEN
    }

    /// Whether the block has no channel descriptors (never true of a parsed block).
    pub fn is_empty(&self) -> bool {
        self.up.is_empty() && self.down.is_empty()
    }

    /// Whether an up channel holds bytes nobody has read: the firmware has written to this
    /// block. A copy of a statically initialised block (what a flash loader leaves behind) has
    /// every offset at its initial 0.
    pub fn is_live(&self) -> bool {
        self.up.iter().any(|d| d.is_used() && d.write != d.read)
    }

    /// Whether any offset differs from an `earlier` look at the same place: someone (the
    /// firmware) writes to it.
    pub fn moved_since(&self, earlier: &BlockImage) -> bool {
        let offsets = |b: &BlockImage| -> Vec<(u32, u32)> {
            b.up.iter()
                .chain(&b.down)
                .map(|d| (d.write, d.read))
                .collect()
        };
        self.address == earlier.address && offsets(self) != offsets(earlier)
    }

    /// The first used up channel's buffer address, if any (to tell which RAM view a block was
    /// linked for, when the same RAM is seen at two addresses).
    pub fn first_up_buffer(&self) -> Option<u64> {
        self.up
            .iter()
            .find(|d| d.is_used())
            .map(|d| u64::from(d.buffer))
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[allow(clippy::single_range_in_vec_init)] // one RAM range, on purpose
    pub(crate) const RAM: &[Range<u64>] = &[0x2000_0000..0x2008_0000];
    pub(crate) const READABLE: &[Range<u64>] =
        &[0x0800_0000..0x0820_0000, 0x2000_0000..0x2008_0000];

    pub(crate) fn memory() -> Memory<'static> {
        Memory {
            ram: RAM,
            readable: READABLE,
        }
    }

    /// The bytes of a block with one up channel (1024 bytes at 0x2000_1000, offsets `write`,
    /// `read`) and one down channel (16 bytes at 0x2000_2000), names in flash.
    pub(crate) fn block_bytes(write: u32, read: u32) -> Vec<u8> {
        let mut b = ID.to_vec();
        for word in [1u32, 1] {
            b.extend(word.to_le_bytes());
        }
        for word in [0x0800_0100u32, 0x2000_1000, 1024, write, read, 2] {
            b.extend(word.to_le_bytes());
        }
        for word in [0x0800_0100u32, 0x2000_2000, 16, 0, 0, 0] {
            b.extend(word.to_le_bytes());
        }
        b
    }

    fn set_word(b: &mut [u8], at: usize, value: u32) {
        b[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn a_well_formed_block_parses() {
        let image = BlockImage::parse(0x2000_0400, &block_bytes(0, 0), &memory()).unwrap();
        assert_eq!(image.len(), 72);
        assert_eq!(image.up.len(), 1);
        assert_eq!(image.down.len(), 1);
        assert_eq!(image.first_up_buffer(), Some(0x2000_1000));
        assert!(!image.is_live());
    }

    #[test]
    fn unread_bytes_or_moved_offsets_make_a_block_live() {
        let quiet = BlockImage::parse(0x2000_0400, &block_bytes(0, 0), &memory()).unwrap();
        let written = BlockImage::parse(0x2000_0400, &block_bytes(14, 0), &memory()).unwrap();
        let drained = BlockImage::parse(0x2000_0400, &block_bytes(14, 14), &memory()).unwrap();
        assert!(written.is_live());
        assert!(!drained.is_live());
        assert!(drained.moved_since(&quiet));
        assert!(!quiet.moved_since(&quiet.clone()));
        let elsewhere = BlockImage::parse(0x2000_0500, &block_bytes(14, 14), &memory()).unwrap();
        assert!(
            !elsewhere.moved_since(&quiet),
            "another place is not a move"
        );
    }

    #[test]
    fn every_part_of_a_block_is_checked() {
        let m = memory();
        let good = block_bytes(0, 0);
        let check = |bytes: &[u8]| BlockImage::parse(0x2000_0400, bytes, &m);
        assert_eq!(
            BlockImage::parse(0x2000_0402, &good, &m),
            Err(Invalid::Misaligned)
        );
        let mut b = good.clone();
        b[3] = b'X';
        assert_eq!(check(&b), Err(Invalid::NoId));
        let mut b = good.clone();
        set_word(&mut b, 16, 0x4147_4745);
        assert!(matches!(check(&b), Err(Invalid::ChannelCounts { .. })));
        let mut b = good.clone();
        set_word(&mut b, 16, 0);
        set_word(&mut b, 20, 0);
        assert!(matches!(check(&b), Err(Invalid::ChannelCounts { .. })));
        assert_eq!(check(&good[..60]), Err(Invalid::Truncated));
        assert_eq!(
            BlockImage::parse(0x2007_fff0, &good, &m),
            Err(Invalid::Truncated)
        );
        let mut b = good.clone();
        set_word(&mut b, 28, 0x0800_0000);
        assert!(matches!(check(&b), Err(Invalid::BufferOutsideRam { .. })));
        let mut b = good.clone();
        set_word(&mut b, 28, 0x2007_ff00);
        assert!(matches!(check(&b), Err(Invalid::BufferOutsideRam { .. })));
        let mut b = good.clone();
        set_word(&mut b, 28, 0x2000_0400);
        assert!(matches!(
            check(&b),
            Err(Invalid::BufferOverlapsBlock { .. })
        ));
        let mut b = good.clone();
        set_word(&mut b, 36, 1024);
        assert!(matches!(check(&b), Err(Invalid::OffsetOutside { .. })));
        let mut b = good.clone();
        set_word(&mut b, 44, 3);
        assert!(matches!(check(&b), Err(Invalid::BadMode { .. })));
        let mut b = good.clone();
        set_word(&mut b, 48, 0x6000_0000);
        assert!(matches!(
            check(&b),
            Err(Invalid::NameUnreadable { way: Way::Down, .. })
        ));
        // Unused channels (no buffer) are not checked, but one channel must be used.
        let mut b = good.clone();
        for at in (48..72).step_by(4) {
            set_word(&mut b, at, 0xFFFF_FFFF);
        }
        set_word(&mut b, 52, 0);
        assert!(check(&b).is_ok());
        set_word(&mut b, 28, 0);
        assert_eq!(check(&b), Err(Invalid::NoChannel));
    }
}
