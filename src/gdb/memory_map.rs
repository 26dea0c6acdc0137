//! The memory-map XML (`qXfer:memory-map:read`): how a family's map is written. Each family
//! lists its regions (`gdb/<family>/memory_map.rs`), generated from the live chip on every
//! request: flash follows the live bank mode and flash size, one `flash` element per run of
//! equal erase units with the unit size as `blocksize`, so that GDB's `load` erases and writes
//! real sectors or pages. RAMs, the peripheral space and the system areas are listed as `ram`
//! so that GDB does not refuse reads such as `x/wx 0x40023C14`.

use std::fmt::Write as _;

/// A region listed besides the flash: (type, start, length, what).
pub type FixedRegion = (&'static str, u32, u32, &'static str);

/// One entry of the document: where it starts, and its XML (comment included).
pub type Entry = (u32, String);

/// The entries of fixed regions.
pub fn fixed_entries(regions: &[FixedRegion]) -> Vec<Entry> {
    regions
        .iter()
        .map(|&(kind, start, len, what)| {
            (
                start,
                format!(
                    "  <!-- {what} -->\n  <memory type=\"{kind}\" start=\"{start:#x}\" length=\"{len:#x}\"/>\n"
                ),
            )
        })
        .collect()
}

/// A read-only region (flash through an alias, or flash of unknown layout).
pub fn rom_entry(what: &str, start: u32, len: u32) -> Entry {
    (
        start,
        format!(
            "  <!-- {what} -->\n  <memory type=\"rom\" start=\"{start:#x}\" length=\"{len:#x}\"/>\n"
        ),
    )
}

/// The flash of a known layout: a comment with its summary, then one `flash` element per
/// (start, length, block size).
pub fn flash_entry(summary: &str, blocks: &[(u32, u32, u32)]) -> Option<Entry> {
    let start = blocks.first()?.0;
    let mut text = format!("  <!-- flash: {summary} -->\n");
    for (start, len, size) in blocks {
        let _ = writeln!(
            text,
            "  <memory type=\"flash\" start=\"{start:#x}\" length=\"{len:#x}\"><property name=\"blocksize\">{size:#x}</property></memory>"
        );
    }
    Some((start, text))
}

/// The document: the entries in address order.
pub fn document(mut entries: Vec<Entry>) -> String {
    entries.sort_by_key(|(start, _)| *start);
    let mut xml = String::from(concat!(
        "<?xml version=\"1.0\"?>\n",
        "<!DOCTYPE memory-map PUBLIC \"+//IDN gnu.org//DTD GDB Memory Map V1.0//EN\" ",
        "\"http://sourceware.org/gdb/gdb-memory-map.dtd\">\n",
        "<memory-map>\n"
    ));
    for (_, text) in entries {
        xml.push_str(&text);
    }
    xml.push_str("</memory-map>\n");
    xml
}

/// Copies `document[offset..]` into `buf` as qXfer wants it; returns the number of bytes.
pub fn copy_chunk(document: &[u8], offset: u64, buf: &mut [u8]) -> usize {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(document.len());
    let n = (document.len() - start).min(buf.len());
    buf[..n].copy_from_slice(&document[start..start + n]);
    n
}

/// The `flash` elements of a document: (start, length, block size), for tests.
#[cfg(test)]
pub(crate) fn flash_elements(xml: &str) -> Vec<(u32, u32, u32)> {
    xml.lines()
        .filter(|l| l.contains("type=\"flash\""))
        .map(|l| {
            let attr = |name: &str| {
                let i = l.find(&format!("{name}=\"0x")).unwrap() + name.len() + 4;
                let end = l[i..].find('"').unwrap();
                u32::from_str_radix(&l[i..i + end], 16).unwrap()
            };
            let b = l.find("\"blocksize\">0x").unwrap() + 14;
            let e = l[b..].find('<').unwrap();
            (
                attr("start"),
                attr("length"),
                u32::from_str_radix(&l[b..b + e], 16).unwrap(),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks() {
        let doc = b"0123456789";
        let mut buf = [0u8; 4];
        assert_eq!(copy_chunk(doc, 0, &mut buf), 4);
        assert_eq!(&buf, b"0123");
        assert_eq!(copy_chunk(doc, 8, &mut buf), 2);
        assert_eq!(&buf[..2], b"89");
        assert_eq!(copy_chunk(doc, 10, &mut buf), 0);
        assert_eq!(copy_chunk(doc, u64::MAX, &mut buf), 0);
    }
}
