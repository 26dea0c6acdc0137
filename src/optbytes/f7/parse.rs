//! Parsing `FIELD=VALUE` requests. Pure: runs before any probe access, so bad input never
//! reaches the chip.

use serde::Serialize;

use crate::chip::f7::fields::{boot_add_for, BorLevel, Field, FieldKind, RdpLevel};
use crate::optbytes::values::{parse_bool, parse_number};

/// One requested change: a field and its new raw value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Change {
    /// The field.
    pub field: Field,
    /// New raw field value (right-aligned).
    pub value: u32,
}

/// Why a `FIELD=VALUE` argument was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// No `=`.
    #[error(
        "`{arg}` is not FIELD=VALUE (e.g. nDBANK=0); accepted fields (any case): {}",
        Field::all_names()
    )]
    NotAssignment {
        /// The argument.
        arg: String,
    },
    /// Unknown field name.
    #[error(
        "unknown field `{name}`; accepted fields (any case): {}",
        Field::all_names()
    )]
    UnknownField {
        /// The name given.
        name: String,
    },
    /// OPTLOCK/OPTSTRT named.
    #[error("`{name}` is a control bit of FLASH_OPTCR that this tool drives itself, not an option byte; accepted fields: {}", Field::all_names())]
    ControlBit {
        /// The name given.
        name: String,
    },
    /// The value does not parse or is out of range.
    #[error("bad value `{value}` for {field}: {why}; accepted: {}", accepted_values(*.field))]
    BadValue {
        /// The field.
        field: Field,
        /// The value given.
        value: String,
        /// What is wrong.
        why: String,
    },
    /// The same field twice.
    #[error("{field} is given more than once")]
    Duplicate {
        /// The field.
        field: Field,
    },
    /// Nothing to do.
    #[error(
        "no FIELD=VALUE given; accepted fields (any case): {}",
        Field::all_names()
    )]
    Empty,
}

/// What values `field` accepts, for messages and help.
pub fn accepted_values(field: Field) -> &'static str {
    match field.kind() {
        FieldKind::Bit if field == Field::NDBank => {
            "1/true/single (single bank) or 0/false/dual (dual bank)"
        }
        FieldKind::Bit => "true/false, 1/0, yes/no, on/off, 0x1/0x0",
        FieldKind::BorLevel => {
            "off, 1, 2, 3 (also level1, level2, level3); raw bits are not accepted because 0b00 is level 3 and 0b11 is off"
        }
        FieldKind::Rdp => {
            "level 0, 1, 2 (also level0…, l0…) or a raw byte in hex: 0xAA = level 0, 0xCC = level 2, any other = level 1"
        }
        FieldKind::WriteProtectMask => {
            "a 12-bit mask 0x000–0xFFF (a 0 bit protects; 8 bits on F74x), or `none` (= 0xFFF)"
        }
        FieldKind::BootAddress => {
            "a BOOT_ADDx value 0x0000–0xFFFF (address >> 14), a 16 KB aligned address such as 0x08100000, or itcm-ram, system, flash-itcm, flash, dtcm"
        }
    }
}

/// Parse a value for an nDBANK argument (the `ndbank VALUE` command): a boolean, or single/dual.
pub fn parse_ndbank(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "single" => Some(true),
        "dual" => Some(false),
        other => parse_bool(other),
    }
}

/// Parse the value of `field`.
pub fn parse_value(field: Field, text: &str) -> Result<u32, ParseError> {
    let bad = |why: &str| ParseError::BadValue {
        field,
        value: text.to_string(),
        why: why.to_string(),
    };
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(bad("the value is empty"));
    }
    match field.kind() {
        FieldKind::Bit => {
            let parsed = if field == Field::NDBank {
                parse_ndbank(&t)
            } else {
                parse_bool(&t)
            };
            parsed.map(u32::from).ok_or_else(|| bad("not a boolean"))
        }
        FieldKind::BorLevel => {
            let level = match t.as_str() {
                "off" => BorLevel::Off,
                "1" | "level1" | "l1" => BorLevel::Level1,
                "2" | "level2" | "l2" => BorLevel::Level2,
                "3" | "level3" | "l3" => BorLevel::Level3,
                _ => return Err(bad("not a BOR level name")),
            };
            Ok(level.bits())
        }
        FieldKind::Rdp => {
            let level = match t.as_str() {
                "0" | "level0" | "l0" => Some(RdpLevel::Level0),
                "1" | "level1" | "l1" => Some(RdpLevel::Level1),
                "2" | "level2" | "l2" => Some(RdpLevel::Level2),
                _ => None,
            };
            if let Some(level) = level {
                return Ok(u32::from(crate::chip::f7::fields::rdp_byte(level)));
            }
            if !t.starts_with("0x") {
                return Err(bad("write a level (0, 1, 2) or a raw byte in hex (0x..)"));
            }
            match parse_number(&t) {
                Some(byte) if byte <= 0xFF => Ok(byte as u32),
                Some(_) => Err(bad("RDP is one byte (0x00–0xFF)")),
                None => Err(bad("not a hex byte")),
            }
        }
        FieldKind::WriteProtectMask => {
            if t == "none" {
                return Ok(field.max());
            }
            match parse_number(&t) {
                Some(v) if v <= u64::from(field.max()) => Ok(v as u32),
                Some(_) => Err(bad("nWRP has 12 bits (0x000–0xFFF)")),
                None => Err(bad("not a number")),
            }
        }
        FieldKind::BootAddress => {
            let named = match t.as_str() {
                "itcm-ram" => Some(0x0000),
                "system" | "bootloader" => Some(0x0040),
                "flash-itcm" => Some(0x0080),
                "flash" | "flash-axim" => Some(0x2000),
                "dtcm" => Some(0x8000),
                _ => None,
            };
            if let Some(v) = named {
                return Ok(v);
            }
            match parse_number(&t) {
                Some(v) if v <= 0xFFFF => Ok(v as u32),
                Some(v) if v <= u64::from(u32::MAX) => boot_add_for(v as u32)
                    .map(u32::from)
                    .ok_or_else(|| {
                        bad("as an address it must be 16 KB aligned (a multiple of 0x4000) and below 0x4000_0000")
                    }),
                Some(_) => Err(bad("larger than 32 bits")),
                None => Err(bad("not a number or a known name")),
            }
        }
    }
}

/// Parse one `FIELD=VALUE` argument.
pub fn parse_change(arg: &str) -> Result<Change, ParseError> {
    let (name, value) = arg
        .split_once('=')
        .ok_or_else(|| ParseError::NotAssignment {
            arg: arg.to_string(),
        })?;
    let name = name.trim();
    let field = match Field::from_name(name) {
        Some(field) => field,
        None if ["optlock", "optstrt"].contains(&name.to_ascii_lowercase().as_str()) => {
            return Err(ParseError::ControlBit {
                name: name.to_string(),
            })
        }
        None => {
            return Err(ParseError::UnknownField {
                name: name.to_string(),
            })
        }
    };
    Ok(Change {
        field,
        value: parse_value(field, value)?,
    })
}

/// Parse every argument; at least one, each field at most once.
pub fn parse_changes<I, S>(args: I) -> Result<Vec<Change>, ParseError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut changes: Vec<Change> = Vec::new();
    for arg in args {
        let change = parse_change(arg.as_ref())?;
        if changes.iter().any(|c| c.field == change.field) {
            return Err(ParseError::Duplicate {
                field: change.field,
            });
        }
        changes.push(change);
    }
    if changes.is_empty() {
        return Err(ParseError::Empty);
    }
    Ok(changes)
}

impl From<ParseError> for crate::optbytes::Error {
    fn from(e: ParseError) -> Self {
        crate::optbytes::error::FamilyError::input(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(arg: &str) -> (Field, u32) {
        let c = parse_change(arg).unwrap_or_else(|e| panic!("{arg}: {e}"));
        (c.field, c.value)
    }

    fn err(arg: &str) -> String {
        parse_change(arg).unwrap_err().to_string()
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("0x2040"), Some(0x2040));
        assert_eq!(parse_number("0X08_10_00_00"), Some(0x0810_0000));
        assert_eq!(parse_number("0b11"), Some(3));
        assert_eq!(parse_number("42"), Some(42));
        assert_eq!(parse_number(" 7 "), Some(7));
        assert_eq!(parse_number("0x"), None);
        assert_eq!(parse_number("-1"), None);
        assert_eq!(parse_number("ten"), None);
    }

    #[test]
    fn booleans() {
        for t in ["true", "TRUE", "1", "yes", "on", "0x1", "0b1"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "False", "0", "no", "off", "0x0", "0x00"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        for bad in ["2", "maybe", "", "0x2", "tru"] {
            assert_eq!(parse_bool(bad), None, "{bad}");
        }
        assert_eq!(parse_ndbank("single"), Some(true));
        assert_eq!(parse_ndbank("DUAL"), Some(false));
        assert_eq!(parse_ndbank("false"), Some(false));
    }

    #[test]
    fn bit_fields_any_case() {
        assert_eq!(ok("nDBANK=0"), (Field::NDBank, 0));
        assert_eq!(ok("ndbank=true"), (Field::NDBank, 1));
        assert_eq!(ok("NDBANK=dual"), (Field::NDBank, 0));
        assert_eq!(ok("nDBOOT=false"), (Field::NDBoot, 0));
        assert_eq!(ok("iwdg_sw=0x1"), (Field::IwdgSw, 1));
        assert_eq!(ok("WWDG_SW=off"), (Field::WwdgSw, 0));
        assert_eq!(ok("nRST_STOP=1"), (Field::NRstStop, 1));
        assert_eq!(ok("nrst_stdby=0"), (Field::NRstStdby, 0));
        assert_eq!(ok("IWDG_STDBY=no"), (Field::IwdgStdby, 0));
        assert_eq!(ok("iwdg_stop=yes"), (Field::IwdgStop, 1));
        assert_eq!(ok(" nDBANK = 1 "), (Field::NDBank, 1));
        let e = err("nDBANK=2");
        assert!(e.contains("bad value `2` for nDBANK"), "{e}");
        assert!(e.contains("single"), "{e}");
        let e = err("nDBOOT=single");
        assert!(e.contains("true/false"), "{e}");
    }

    #[test]
    fn bor_levels_by_name_only() {
        assert_eq!(ok("BOR_LEV=off"), (Field::BorLev, 0b11));
        assert_eq!(ok("bor_lev=OFF"), (Field::BorLev, 0b11));
        assert_eq!(ok("BOR_LEV=1"), (Field::BorLev, 0b10));
        assert_eq!(ok("BOR_LEV=level2"), (Field::BorLev, 0b01));
        assert_eq!(ok("BOR_LEV=L3"), (Field::BorLev, 0b00));
        for bad in ["0", "0x3", "0b11", "4", "level4"] {
            let e = err(&format!("BOR_LEV={bad}"));
            assert!(e.contains("not a BOR level name"), "{e}");
            assert!(e.contains("off, 1, 2, 3"), "{e}");
        }
    }

    #[test]
    fn rdp_levels_and_bytes() {
        assert_eq!(ok("RDP=0"), (Field::Rdp, 0xAA));
        assert_eq!(ok("RDP=1"), (Field::Rdp, 0x55));
        assert_eq!(ok("rdp=2"), (Field::Rdp, 0xCC));
        assert_eq!(ok("RDP=level1"), (Field::Rdp, 0x55));
        assert_eq!(ok("RDP=l0"), (Field::Rdp, 0xAA));
        assert_eq!(ok("RDP=0xBB"), (Field::Rdp, 0xBB));
        assert_eq!(ok("RDP=0xcc"), (Field::Rdp, 0xCC));
        let e = err("RDP=170");
        assert!(e.contains("raw byte in hex"), "{e}");
        let e = err("RDP=0x1AA");
        assert!(e.contains("one byte"), "{e}");
        let e = err("RDP=0xZZ");
        assert!(e.contains("not a hex byte"), "{e}");
        assert!(e.contains("0xCC = level 2"), "{e}");
    }

    #[test]
    fn nwrp_masks() {
        assert_eq!(ok("nWRP=0xFFF"), (Field::NWrp, 0xFFF));
        assert_eq!(ok("nwrp=0xffe"), (Field::NWrp, 0xFFE));
        assert_eq!(ok("nWRP=none"), (Field::NWrp, 0xFFF));
        assert_eq!(ok("nWRP=0"), (Field::NWrp, 0));
        assert!(err("nWRP=0x1000").contains("12 bits"));
        assert!(err("nWRP=all").contains("not a number"));
    }

    #[test]
    fn boot_addresses() {
        assert_eq!(ok("BOOT_ADD1=0x2040"), (Field::BootAdd1, 0x2040));
        assert_eq!(ok("boot_add0=0x0080"), (Field::BootAdd0, 0x0080));
        assert_eq!(ok("BOOT_ADD1=0x08100000"), (Field::BootAdd1, 0x2040));
        assert_eq!(ok("BOOT_ADD1=0x0810_0000"), (Field::BootAdd1, 0x2040));
        assert_eq!(ok("BOOT_ADD0=system"), (Field::BootAdd0, 0x0040));
        assert_eq!(ok("BOOT_ADD0=bootloader"), (Field::BootAdd0, 0x0040));
        assert_eq!(ok("BOOT_ADD0=flash"), (Field::BootAdd0, 0x2000));
        assert_eq!(ok("BOOT_ADD0=flash-itcm"), (Field::BootAdd0, 0x0080));
        assert_eq!(ok("BOOT_ADD0=itcm-ram"), (Field::BootAdd0, 0x0000));
        assert_eq!(ok("BOOT_ADD0=dtcm"), (Field::BootAdd0, 0x8000));
        assert_eq!(ok("BOOT_ADD0=0x20000000"), (Field::BootAdd0, 0x8000));
        assert!(err("BOOT_ADD0=0x08100004").contains("16 KB aligned"));
        assert!(err("BOOT_ADD0=0x40000000").contains("16 KB aligned"));
        assert!(err("BOOT_ADD0=0x100000000").contains("larger than 32 bits"));
        assert!(err("BOOT_ADD0=sram").contains("not a number or a known name"));
    }

    #[test]
    fn malformed_arguments() {
        let e = err("nDBANK");
        assert!(e.contains("is not FIELD=VALUE"), "{e}");
        assert!(e.contains("BOOT_ADD1"), "lists fields: {e}");
        let e = err("DBANK=0");
        assert!(e.contains("unknown field `DBANK`"), "{e}");
        assert!(e.contains("nDBANK"), "{e}");
        let e = err("OPTLOCK=0");
        assert!(e.contains("control bit"), "{e}");
        let e = err("optstrt=1");
        assert!(e.contains("control bit"), "{e}");
        let e = err("nDBANK=");
        assert!(e.contains("empty"), "{e}");
    }

    #[test]
    fn several_changes() {
        let changes = parse_changes(["nDBANK=0", "nDBOOT=0", "BOOT_ADD1=0x2040"]).unwrap();
        assert_eq!(
            changes,
            vec![
                Change {
                    field: Field::NDBank,
                    value: 0
                },
                Change {
                    field: Field::NDBoot,
                    value: 0
                },
                Change {
                    field: Field::BootAdd1,
                    value: 0x2040
                },
            ]
        );
        let e = parse_changes(["nDBANK=0", "ndbank=1"]).unwrap_err();
        assert_eq!(
            e,
            ParseError::Duplicate {
                field: Field::NDBank
            }
        );
        assert_eq!(e.to_string(), "nDBANK is given more than once");
        assert_eq!(parse_changes(Vec::<String>::new()), Err(ParseError::Empty));
        // The first bad argument wins and nothing is returned.
        assert!(parse_changes(["nDBANK=0", "bogus=1"]).is_err());
    }

    #[test]
    fn every_field_accepts_its_own_formatted_value() {
        use crate::chip::f7::fields::format_value;
        for field in Field::ALL {
            let samples: Vec<u32> = match field.kind() {
                FieldKind::BorLevel => vec![],
                _ => vec![0, field.max()],
            };
            for v in samples {
                let text = format!("{}={}", field.name(), format_value(field, v));
                assert_eq!(parse_change(&text).unwrap().value, v, "{text}");
            }
        }
    }
}
