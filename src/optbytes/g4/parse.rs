//! `FIELD=VALUE` for the FLASH_OPTR fields of STM32G4, named as `stm32g474xx.h` names them.
//! Pure: bad input is refused before the probe is opened.

use serde::Serialize;

use crate::chip::g4::fields::{OptrField, FACTORY_OPTR};
use crate::optbytes::values::{parse_bool, parse_number};

/// RDP byte written for level 1 (HAL-G4 `OB_RDP_LEVEL_1`); any byte but 0xAA/0xCC is level 1.
pub const RDP_LEVEL_1: u8 = 0xBB;

/// One requested change of an OPTR field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G4Change {
    /// The field.
    pub field: OptrField,
    /// New raw value (right-aligned).
    pub value: u32,
}

/// Why a G4 `FIELD=VALUE` argument was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum G4ParseError {
    /// No `=`.
    #[error(
        "`{arg}` is not FIELD=VALUE (e.g. DBANK=0); accepted FLASH_OPTR fields (any case): {}",
        all_names()
    )]
    NotAssignment {
        /// The argument.
        arg: String,
    },
    /// Unknown field name.
    #[error(
        "unknown field `{name}`; accepted FLASH_OPTR fields (any case): {}",
        all_names()
    )]
    UnknownField {
        /// The name.
        name: String,
    },
    /// The value does not parse or is out of range.
    #[error("bad value `{value}` for {field}: {why}; accepted: {}", accepted_values(*.field))]
    BadValue {
        /// The field.
        field: OptrField,
        /// The value given.
        value: String,
        /// What is wrong.
        why: String,
    },
    /// The same field twice.
    #[error("{field} is given more than once")]
    Duplicate {
        /// The field.
        field: OptrField,
    },
    /// Nothing to do.
    #[error(
        "no FIELD=VALUE given; accepted FLASH_OPTR fields (any case): {}",
        all_names()
    )]
    Empty,
}

/// Every field name, comma-separated.
pub fn all_names() -> String {
    OptrField::ALL
        .iter()
        .map(|f| f.name())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What values `field` accepts.
pub fn accepted_values(field: OptrField) -> &'static str {
    match field {
        OptrField::Dbank => "1/true/dual (two banks of 2 KB pages) or 0/false/single (one bank of 4 KB pages)",
        OptrField::Rdp => "level 0, 1, 2 (also level0…, l0…) or a raw byte in hex: 0xAA = level 0, 0xCC = level 2, any other = level 1",
        OptrField::BorLev => "0–4 (also level0…level4): 0 is the lowest threshold (about 1.7 V), 4 the highest (about 2.8 V)",
        OptrField::NrstMode => "1 (reset input only), 2 (GPIO), 3 (bidirectional reset, factory); also input, gpio, bidirectional",
        _ => "true/false, 1/0, yes/no, on/off",
    }
}

/// Parse the value of `field`.
pub fn parse_g4_value(field: OptrField, text: &str) -> Result<u32, G4ParseError> {
    let bad = |why: &str| G4ParseError::BadValue {
        field,
        value: text.to_string(),
        why: why.to_string(),
    };
    let t = text.trim().to_ascii_lowercase();
    if t.is_empty() {
        return Err(bad("the value is empty"));
    }
    match field {
        OptrField::Rdp => {
            let level = t
                .strip_prefix("level")
                .or_else(|| t.strip_prefix('l'))
                .unwrap_or(&t)
                .trim();
            match level {
                "0" => return Ok(0xAA),
                "1" => return Ok(u32::from(RDP_LEVEL_1)),
                "2" => return Ok(0xCC),
                _ => {}
            }
            if !t.starts_with("0x") {
                return Err(bad("not a level 0/1/2 nor a hex byte"));
            }
            match parse_number(&t) {
                Some(v) if v <= 0xFF => Ok(v as u32),
                _ => Err(bad("a raw RDP value is one byte")),
            }
        }
        OptrField::BorLev => {
            let n = t.strip_prefix("level").unwrap_or(&t).trim();
            match parse_number(n) {
                Some(v) if v <= 4 => Ok(v as u32),
                _ => Err(bad("BOR_LEV is a level from 0 to 4")),
            }
        }
        OptrField::NrstMode => match t.as_str() {
            "input" | "reset-input" => Ok(1),
            "gpio" => Ok(2),
            "bidirectional" | "bidir" => Ok(3),
            other => match parse_number(other) {
                Some(v @ 1..=3) => Ok(v as u32),
                Some(0) => Err(bad("0 is reserved")),
                _ => Err(bad("NRST_MODE is 1, 2 or 3")),
            },
        },
        OptrField::Dbank => match t.as_str() {
            "dual" => Ok(1),
            "single" => Ok(0),
            other => parse_bool(other)
                .map(u32::from)
                .ok_or_else(|| bad("not a bank mode")),
        },
        _ => parse_bool(&t)
            .map(u32::from)
            .ok_or_else(|| bad("not a boolean")),
    }
}

/// Parse one `FIELD=VALUE`.
pub fn parse_g4_change(arg: &str) -> Result<G4Change, G4ParseError> {
    let Some((name, value)) = arg.split_once('=') else {
        return Err(G4ParseError::NotAssignment {
            arg: arg.to_string(),
        });
    };
    let field = OptrField::from_name(name).ok_or_else(|| G4ParseError::UnknownField {
        name: name.trim().to_string(),
    })?;
    Ok(G4Change {
        field,
        value: parse_g4_value(field, value)?,
    })
}

/// Parse several, refusing duplicates and an empty list.
pub fn parse_g4_changes<I, S>(args: I) -> Result<Vec<G4Change>, G4ParseError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<G4Change> = Vec::new();
    for arg in args {
        let change = parse_g4_change(arg.as_ref())?;
        if out.iter().any(|c| c.field == change.field) {
            return Err(G4ParseError::Duplicate {
                field: change.field,
            });
        }
        out.push(change);
    }
    if out.is_empty() {
        return Err(G4ParseError::Empty);
    }
    Ok(out)
}

/// The value as people write it back (accepted by [`parse_g4_value`]).
pub fn format_g4_value(field: OptrField, value: u32) -> String {
    match field {
        OptrField::Rdp => format!("{value:#04x}"),
        OptrField::BorLev | OptrField::NrstMode => value.to_string(),
        _ => value.to_string(),
    }
}

/// The factory value of `field`.
pub fn factory_value(field: OptrField) -> u32 {
    field.get(FACTORY_OPTR)
}

impl From<G4ParseError> for crate::optbytes::Error {
    fn from(e: G4ParseError) -> Self {
        crate::optbytes::error::FamilyError::input(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_values() {
        let c = parse_g4_change("dbank=single").unwrap();
        assert_eq!((c.field, c.value), (OptrField::Dbank, 0));
        assert_eq!(parse_g4_change("DBANK=dual").unwrap().value, 1);
        assert_eq!(parse_g4_change("RDP=1").unwrap().value, 0xBB);
        assert_eq!(parse_g4_change("RDP=level2").unwrap().value, 0xCC);
        assert_eq!(parse_g4_change("RDP=0x55").unwrap().value, 0x55);
        assert_eq!(parse_g4_change("BOR_LEV=4").unwrap().value, 4);
        assert_eq!(parse_g4_change("NRST_MODE=gpio").unwrap().value, 2);
        assert_eq!(parse_g4_change("nSWBOOT0=false").unwrap().value, 0);
        for bad in [
            "DBANK",
            "nDBANK=0",
            "BOR_LEV=5",
            "RDP=7",
            "NRST_MODE=0",
            "IWDG_SW=maybe",
        ] {
            assert!(parse_g4_change(bad).is_err(), "{bad}");
        }
        let e = parse_g4_change("nDBANK=0").unwrap_err().to_string();
        assert!(e.contains("DBANK, nBOOT1"), "{e}");
        assert!(parse_g4_changes(["DBANK=0", "dbank=1"]).is_err());
        assert!(parse_g4_changes(Vec::<String>::new()).is_err());
    }

    #[test]
    fn every_field_accepts_its_formatted_factory_value() {
        for f in OptrField::ALL {
            let text = format_g4_value(f, factory_value(f));
            assert_eq!(parse_g4_value(f, &text), Ok(factory_value(f)), "{f}");
        }
    }
}
