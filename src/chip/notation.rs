//! Addresses and sizes as ST's reference manuals print them, for every family's messages.

/// "2 MB", "1 MB", "512 KB".
pub fn size_text(kb: u32) -> String {
    if kb >= 1024 && kb.is_multiple_of(1024) {
        format!("{} MB", kb / 1024)
    } else {
        format!("{kb} KB")
    }
}

/// An address as the reference manuals print it: `0x0810_0000`.
pub fn hex32(value: u32) -> String {
    format!("0x{:04X}_{:04X}", value >> 16, value & 0xFFFF)
}
