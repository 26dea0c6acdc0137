//! Reading numbers and booleans as users type them, for every family's `FIELD=VALUE` parser.

/// Parse a number: decimal, `0x` hex or `0b` binary, `_` allowed as separator.
pub fn parse_number(text: &str) -> Option<u64> {
    let clean: String = text.trim().chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    if let Some(hex) = lower.strip_prefix("0x") {
        u64::from_str_radix(hex, 16).ok()
    } else if let Some(bin) = lower.strip_prefix("0b") {
        u64::from_str_radix(bin, 2).ok()
    } else {
        lower.parse::<u64>().ok()
    }
}

/// Parse a boolean: true/false, 1/0, yes/no, on/off, 0x1/0x0 (any case).
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" => Some(true),
        "false" | "no" | "off" => Some(false),
        other => match parse_number(other) {
            Some(1) => Some(true),
            Some(0) => Some(false),
            _ => None,
        },
    }
}
