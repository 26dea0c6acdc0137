//! `FIELD=VALUE` for the FLASH_OPTSR fields of the STM32H74x/H75x, named as CMSIS-H7 names them.
//! Pure: bad input is refused before the probe is opened. Whether a field exists on the part
//! (the dual-core fields, the H750's missing SWAP_BANK_OPT, the status bits) is the plan's
//! question, asked once the part is known.

use serde::Serialize;

use crate::chip::h7::fields::OptsrField;
use crate::optbytes::values::{parse_bool, parse_number};

/// RDP byte written for level 1 (HAL-H7 `OB_RDP_LEVEL_1`); any byte but 0xAA/0xCC is level 1.
pub const RDP_LEVEL_1: u8 = 0x55;

/// One requested change of an OPTSR field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct H7Change {
    /// The field.
    pub field: OptsrField,
    /// New raw value (right-aligned).
    pub value: u32,
}

/// Why an H7 `FIELD=VALUE` argument was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum H7ParseError {
    /// No `=`.
    #[error("`{arg}` is not FIELD=VALUE (e.g. SWAP_BANK_OPT=1); accepted FLASH_OPTSR fields (any case): {}", field_names())]
    NotAssignment {
        /// The argument.
        arg: String,
    },
    /// Unknown field name.
    #[error("unknown field `{name}`; accepted FLASH_OPTSR fields (any case): {}", field_names())]
    UnknownField {
        /// The name.
        name: String,
    },
    /// The value does not parse or is out of range.
    #[error("bad value `{value}` for {field}: {why}; accepted: {}", accepted_values(*.field))]
    BadValue {
        /// The field.
        field: OptsrField,
        /// The value given.
        value: String,
        /// What is wrong.
        why: String,
    },
    /// The same field twice.
    #[error("{field} is given more than once")]
    Duplicate {
        /// The field.
        field: OptsrField,
    },
    /// Nothing to do.
    #[error("no FIELD=VALUE given; accepted FLASH_OPTSR fields (any case): {}", field_names())]
    Empty,
}

/// The fields a single-core H74x/H75x programs, comma-separated (status bits and the dual-core
/// fields left out; they are refused by name once the part is known).
pub fn field_names() -> String {
    OptsrField::ALL
        .iter()
        .filter(|f| !f.is_status() && !f.is_dual_core_only())
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What values `field` accepts.
pub fn accepted_values(field: OptsrField) -> &'static str {
    match field {
        OptsrField::SwapBankOpt => "1/on/true/swapped (physical bank 2 at 0x0800_0000 from the next reset) or 0/off/false (physical bank 1 at 0x0800_0000)",
        OptsrField::Rdp => "level 0, 1, 2 (also level0…, l0…) or a raw byte in hex: 0xAA = level 0, 0xCC = level 2, any other = level 1",
        OptsrField::BorLev => "0–3 (also level0…level3): 0 is the lowest threshold (about 1.6 V), 3 the highest (about 2.7 V)",
        OptsrField::StRamSize => "0–3 or 2kb, 4kb, 8kb, 16kb (RAM reserved to ST code)",
        _ => "true/false, 1/0, yes/no, on/off",
    }
}

/// Parse the value of `field`.
pub fn parse_h7_value(field: OptsrField, text: &str) -> Result<u32, H7ParseError> {
    let bad = |why: &str| H7ParseError::BadValue {
        field,
        value: text.to_string(),
        why: why.to_string(),
    };
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(bad("the value is empty"));
    }
    match field {
        OptsrField::Rdp => parse_rdp(&t).ok_or_else(|| bad("not a level 0/1/2 nor a hex byte")),
        OptsrField::BorLev => {
            let n = t.strip_prefix("level").unwrap_or(&t).trim();
            match parse_number(n) {
                Some(v) if v <= 3 => Ok(v as u32),
                _ => Err(bad("BOR_LEV is a level from 0 to 3")),
            }
        }
        OptsrField::StRamSize => match t.as_str() {
            "2kb" => Ok(0),
            "4kb" => Ok(1),
            "8kb" => Ok(2),
            "16kb" => Ok(3),
            other => match parse_number(other) {
                Some(v) if v <= 3 => Ok(v as u32),
                _ => Err(bad("ST_RAM_SIZE is 0 to 3")),
            },
        },
        OptsrField::SwapBankOpt => match t.as_str() {
            "swapped" => Ok(1),
            "normal" => Ok(0),
            other => parse_bool(other)
                .map(u32::from)
                .ok_or_else(|| bad("not a swap setting")),
        },
        _ => parse_bool(&t)
            .map(u32::from)
            .ok_or_else(|| bad("not a boolean")),
    }
}

fn parse_rdp(t: &str) -> Option<u32> {
    let level = t
        .strip_prefix("level")
        .or_else(|| t.strip_prefix('l'))
        .unwrap_or(t)
        .trim();
    match level {
        "0" => return Some(0xAA),
        "1" => return Some(u32::from(RDP_LEVEL_1)),
        "2" => return Some(0xCC),
        _ => {}
    }
    if !t.starts_with("0x") {
        return None;
    }
    parse_number(t).filter(|&v| v <= 0xFF).map(|v| v as u32)
}

/// Parse one `FIELD=VALUE`.
pub fn parse_h7_change(arg: &str) -> Result<H7Change, H7ParseError> {
    let Some((name, value)) = arg.split_once('=') else {
        return Err(H7ParseError::NotAssignment {
            arg: arg.to_string(),
        });
    };
    let field = OptsrField::from_name(name).ok_or_else(|| H7ParseError::UnknownField {
        name: name.trim().to_string(),
    })?;
    Ok(H7Change {
        field,
        value: parse_h7_value(field, value)?,
    })
}

/// Parse several, refusing duplicates and an empty list.
pub fn parse_h7_changes<I, S>(args: I) -> Result<Vec<H7Change>, H7ParseError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<H7Change> = Vec::new();
    for arg in args {
        let change = parse_h7_change(arg.as_ref())?;
        if out.iter().any(|c| c.field == change.field) {
            return Err(H7ParseError::Duplicate {
                field: change.field,
            });
        }
        out.push(change);
    }
    if out.is_empty() {
        return Err(H7ParseError::Empty);
    }
    Ok(out)
}

/// The value as people write it back (accepted by [`parse_h7_value`]).
pub fn format_h7_value(field: OptsrField, value: u32) -> String {
    match field {
        OptsrField::Rdp => format!("{value:#04x}"),
        _ => value.to_string(),
    }
}

impl From<H7ParseError> for crate::optbytes::Error {
    fn from(e: H7ParseError) -> Self {
        crate::optbytes::error::FamilyError::input(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::h7::FACTORY_OPTSR;

    #[test]
    fn fields_and_values() {
        let c = parse_h7_change("swap_bank_opt=on").unwrap();
        assert_eq!((c.field, c.value), (OptsrField::SwapBankOpt, 1));
        assert_eq!(parse_h7_change("SWAP_BANK_OPT=off").unwrap().value, 0);
        assert_eq!(parse_h7_change("RDP=1").unwrap().value, 0x55);
        assert_eq!(parse_h7_change("RDP=level2").unwrap().value, 0xCC);
        assert_eq!(parse_h7_change("RDP=0xBB").unwrap().value, 0xBB);
        assert_eq!(parse_h7_change("BOR_LEV=3").unwrap().value, 3);
        assert_eq!(parse_h7_change("ST_RAM_SIZE=16kb").unwrap().value, 3);
        assert_eq!(parse_h7_change("IWDG1_SW=false").unwrap().value, 0);
        // Parsed here, refused by the plan on a single-core part.
        assert_eq!(
            parse_h7_change("BCM4=1").unwrap().field,
            OptsrField::Bcm4
        );
        for bad in ["SWAP_BANK_OPT", "DBANK=1", "BOR_LEV=4", "RDP=7", "IO_HSLV=maybe"] {
            assert!(parse_h7_change(bad).is_err(), "{bad}");
        }
        let e = parse_h7_change("nSWAP_BANK=0").unwrap_err().to_string();
        assert!(e.contains("SWAP_BANK_OPT"), "{e}");
        assert!(!e.contains("BCM4"), "{e}");
        assert!(parse_h7_changes(["RDP=0", "rdp=1"]).is_err());
        assert!(parse_h7_changes(Vec::<String>::new()).is_err());
    }

    #[test]
    fn every_field_accepts_its_formatted_factory_value() {
        for f in OptsrField::ALL {
            let v = f.get(FACTORY_OPTSR);
            assert_eq!(parse_h7_value(f, &format_h7_value(f, v)), Ok(v), "{f}");
        }
    }
}
