//! `FIELD=VALUE` for the FLASH_OPTR fields of STM32G0B0/G0B1/G0C1, named as `stm32g0b1xx.h`
//! names them. Pure: bad input is refused before the probe is opened.

use serde::Serialize;

use crate::chip::g0::fields::{OptrField, FACTORY_OPTR_G0X1};
use crate::optbytes::values::{parse_bool, parse_number};

/// RDP byte written for level 1 (HAL `OB_RDP_LEVEL_1`); any byte but 0xAA/0xCC is level 1.
pub const RDP_LEVEL_1: u8 = 0xBB;

/// One requested change of an OPTR field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G0Change {
    /// The field.
    pub field: OptrField,
    /// New raw value (right-aligned).
    pub value: u32,
}

/// Why a G0 `FIELD=VALUE` argument was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum G0ParseError {
    /// No `=`.
    #[error(
        "`{arg}` is not FIELD=VALUE (e.g. nSWAP_BANK=0); accepted FLASH_OPTR fields (any case): {}",
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
        OptrField::DualBank => "1/true/dual (two banks) or 0/false/single (one bank)",
        OptrField::NSwapBank => "1/true/off (physical bank 1 at 0x0800_0000) or 0/false/on (banks swapped: physical bank 2 at 0x0800_0000); active low",
        OptrField::Rdp => "level 0, 1, 2 (also level0…, l0…) or a raw byte in hex: 0xAA = level 0, 0xCC = level 2, any other = level 1",
        OptrField::BorrLev | OptrField::BorfLev => "0–3 (HAL levels 1–4: 0 is the lowest threshold, 3 the highest)",
        OptrField::NrstMode => "1 (reset input only), 2 (GPIO), 3 (reset input and output, factory); also input, gpio, bidirectional",
        _ => "true/false, 1/0, yes/no, on/off",
    }
}

/// Parse the value of `field`.
pub fn parse_g0_value(field: OptrField, text: &str) -> Result<u32, G0ParseError> {
    let bad = |why: &str| G0ParseError::BadValue {
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
        OptrField::BorrLev | OptrField::BorfLev => match parse_number(&t) {
            Some(v) if v <= 3 => Ok(v as u32),
            _ => Err(bad("a BOR threshold is 0 to 3")),
        },
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
        OptrField::DualBank => match t.as_str() {
            "dual" => Ok(1),
            "single" => Ok(0),
            other => parse_bool(other)
                .map(u32::from)
                .ok_or_else(|| bad("not a bank mode")),
        },
        // Active low: the words name the swap, the digits the bit.
        OptrField::NSwapBank => match t.as_str() {
            "on" | "swapped" => Ok(0),
            "off" => Ok(1),
            other => parse_bool(other)
                .map(u32::from)
                .ok_or_else(|| bad("not a bit value")),
        },
        _ => parse_bool(&t)
            .map(u32::from)
            .ok_or_else(|| bad("not a boolean")),
    }
}

/// Parse one `FIELD=VALUE`.
pub fn parse_g0_change(arg: &str) -> Result<G0Change, G0ParseError> {
    let Some((name, value)) = arg.split_once('=') else {
        return Err(G0ParseError::NotAssignment {
            arg: arg.to_string(),
        });
    };
    let field = OptrField::from_name(name).ok_or_else(|| G0ParseError::UnknownField {
        name: name.trim().to_string(),
    })?;
    Ok(G0Change {
        field,
        value: parse_g0_value(field, value)?,
    })
}

/// Parse several, refusing duplicates and an empty list.
pub fn parse_g0_changes<I, S>(args: I) -> Result<Vec<G0Change>, G0ParseError>
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut out: Vec<G0Change> = Vec::new();
    for arg in args {
        let change = parse_g0_change(arg.as_ref())?;
        if out.iter().any(|c| c.field == change.field) {
            return Err(G0ParseError::Duplicate {
                field: change.field,
            });
        }
        out.push(change);
    }
    if out.is_empty() {
        return Err(G0ParseError::Empty);
    }
    Ok(out)
}

/// The value as people write it back (accepted by [`parse_g0_value`]).
pub fn format_g0_value(field: OptrField, value: u32) -> String {
    match field {
        OptrField::Rdp => format!("{value:#04x}"),
        _ => value.to_string(),
    }
}

/// The factory value of `field` on a G0B1/G0C1.
pub fn factory_value(field: OptrField) -> u32 {
    field.get(FACTORY_OPTR_G0X1)
}

impl From<G0ParseError> for crate::optbytes::Error {
    fn from(e: G0ParseError) -> Self {
        crate::optbytes::error::FamilyError::input(e).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_and_values() {
        let c = parse_g0_change("nswap_bank=on").unwrap();
        assert_eq!((c.field, c.value), (OptrField::NSwapBank, 0));
        assert_eq!(parse_g0_change("nSWAP_BANK=off").unwrap().value, 1);
        assert_eq!(parse_g0_change("nSWAP_BANK=0").unwrap().value, 0);
        assert_eq!(parse_g0_change("DUAL_BANK=single").unwrap().value, 0);
        assert_eq!(parse_g0_change("dual_bank=dual").unwrap().value, 1);
        assert_eq!(parse_g0_change("RDP=1").unwrap().value, 0xBB);
        assert_eq!(parse_g0_change("RDP=level2").unwrap().value, 0xCC);
        assert_eq!(parse_g0_change("BORR_LEV=3").unwrap().value, 3);
        assert_eq!(parse_g0_change("NRST_MODE=gpio").unwrap().value, 2);
        for bad in [
            "DUAL_BANK",
            "DBANK=0",
            "BORF_LEV=4",
            "RDP=7",
            "NRST_MODE=0",
            "nSWAP_BANK=maybe",
        ] {
            assert!(parse_g0_change(bad).is_err(), "{bad}");
        }
        let e = parse_g0_change("DBANK=0").unwrap_err().to_string();
        assert!(e.contains("nSWAP_BANK, DUAL_BANK"), "{e}");
        assert!(parse_g0_changes(["DUAL_BANK=0", "dual_bank=1"]).is_err());
        assert!(parse_g0_changes(Vec::<String>::new()).is_err());
    }

    #[test]
    fn every_field_accepts_its_formatted_factory_value() {
        for f in OptrField::ALL {
            let text = format_g0_value(f, factory_value(f));
            assert_eq!(parse_g0_value(f, &text), Ok(factory_value(f)), "{f}");
        }
    }
}
