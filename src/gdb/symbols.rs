//! GDB's symbol lookup (`qSymbol`): once GDB has the firmware's ELF it offers to look symbols up
//! for the server, which asks for `_SEGGER_RTT` so that RTT attaches at the firmware's own control
//! block (not at a copy with the same bytes). gdbstub 0.7 has no `qSymbol` support, so the
//! connection's framing guard ([`super::conn`]) hands these packets to [`answer`].
//!
//! The exchange: GDB sends `qSymbol::` ("ask me"); the server replies `qSymbol:NAME` (hex); GDB
//! sends `qSymbol:VALUE:NAME` (hex, VALUE empty when it has no such symbol); the server replies
//! `OK` (nothing more to ask).

use crate::rtt::elf::RTT_SYMBOL;
use crate::rtt::RttService;

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    text.chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).ok()?, 16).ok())
        .collect()
}

/// The reply to a `qSymbol` packet (`body` between `$` and `#`), `None` for any other packet.
/// A value GDB gives for `_SEGGER_RTT` goes to `rtt`.
pub fn answer(body: &[u8], rtt: &RttService) -> Option<String> {
    let rest = body.strip_prefix(b"qSymbol:")?;
    if rest == b":" {
        return Some(format!("qSymbol:{}", hex(RTT_SYMBOL)));
    }
    let (value, name) = match rest.iter().position(|&b| b == b':') {
        Some(colon) => (&rest[..colon], &rest[colon + 1..]),
        None => return Some("OK".into()),
    };
    if unhex(name).as_deref() == Some(RTT_SYMBOL.as_bytes()) {
        let address = std::str::from_utf8(value)
            .ok()
            .filter(|v| !v.is_empty())
            .and_then(|v| u64::from_str_radix(v, 16).ok());
        match address {
            Some(a) => log::info!("GDB: {RTT_SYMBOL} = {a:#010x}"),
            None => log::info!("GDB: its ELF has no {RTT_SYMBOL}"),
        }
        rtt.set_gdb_symbol(address);
    }
    Some("OK".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> RttService {
        let ram = std::iter::once(0x2000_0000..0x2008_0000).collect::<Vec<_>>();
        RttService::new(ram.clone(), ram)
    }

    #[test]
    fn the_server_asks_for_the_rtt_symbol_and_takes_the_answer() {
        let rtt = service();
        assert_eq!(
            answer(b"qSymbol::", &rtt).as_deref(),
            Some("qSymbol:5f5345474745525f525454")
        );
        assert_eq!(
            answer(b"qSymbol:20020000:5f5345474745525f525454", &rtt).as_deref(),
            Some("OK")
        );
        let symbol = rtt.status().symbol.unwrap();
        assert_eq!(symbol.address, 0x2002_0000);
        assert_eq!(symbol.source, crate::rtt::SymbolSource::Gdb);
        // GDB's next ELF has none.
        assert_eq!(
            answer(b"qSymbol::5f5345474745525f525454", &rtt).as_deref(),
            Some("OK")
        );
        assert_eq!(rtt.status().symbol, None);
        assert_eq!(
            answer(b"qSymbol:1234:6d61696e", &rtt).as_deref(),
            Some("OK")
        );
        assert_eq!(answer(b"qSupported", &rtt), None);
    }
}
