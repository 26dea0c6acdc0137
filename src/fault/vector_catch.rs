//! DEMCR vector catch, with OpenOCD's words for the bits (`hard_err`, `bus_err`, …).

use probe_rs::{Core, MemoryInterface};

use super::profile::Profile;
use super::registers::{DEMCR, VECTOR_CATCHES, VECTOR_CATCH_MASK};

/// A vector-catch word that is not one of the accepted ones.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown vector catch `{word}`; accepted: {}, or all, or none",
    accepted()
)]
pub struct UnknownCatch {
    pub word: String,
}

fn accepted() -> String {
    VECTOR_CATCHES
        .iter()
        .map(|c| c.word)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The VC_* bits named by `words`: `all`, `none`, or a list of names (any case). The list
/// replaces the setting, as in OpenOCD.
pub fn parse(words: &[&str]) -> Result<u32, UnknownCatch> {
    let mut mask = 0;
    for word in words {
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "all" => mask |= VECTOR_CATCH_MASK,
            "none" => {}
            _ => {
                let found = VECTOR_CATCHES
                    .iter()
                    .find(|c| c.word == lower)
                    .ok_or_else(|| UnknownCatch {
                        word: word.to_string(),
                    })?;
                mask |= found.mask;
            }
        }
    }
    Ok(mask)
}

/// One line per catch: `hard_err  on   VC_HARDERR  HardFault`.
pub fn describe(demcr: u32) -> Vec<String> {
    VECTOR_CATCHES
        .iter()
        .map(|c| {
            format!(
                "{:<9} {:<3}  {:<12} {}",
                c.word,
                if demcr & c.mask != 0 { "on" } else { "off" },
                c.name,
                c.meaning
            )
        })
        .collect()
}

/// Sets exactly the VC_* bits of `mask`, keeping DEMCR's other bits (TRCENA, monitor bits).
/// Returns the new DEMCR.
pub fn apply(core: &mut Core<'_>, mask: u32) -> Result<u32, probe_rs::Error> {
    let demcr = core.read_word_32(DEMCR.into())?;
    let new = (demcr & !VECTOR_CATCH_MASK) | (mask & VECTOR_CATCH_MASK);
    core.write_word_32(DEMCR.into(), new)?;
    core.flush()?;
    core.read_word_32(DEMCR.into())
}

/// The current DEMCR.
pub fn current(core: &mut Core<'_>) -> Result<u32, probe_rs::Error> {
    core.read_word_32(DEMCR.into())
}

/// The catches a core of `profile` has: ARMv6-M has VC_HARDERR and VC_CORERESET only (its other
/// DEMCR bits are reserved), ARMv7-M all of them.
pub fn supported(profile: Profile) -> u32 {
    match profile {
        Profile::V7M => VECTOR_CATCH_MASK,
        Profile::V6M => (1 << 10) | 1,
    }
}

/// The catches of `profile`'s core as [`describe`] lines, and on ARMv6-M what it cannot catch.
pub fn describe_for(profile: Profile, demcr: u32) -> Vec<String> {
    let has = supported(profile);
    let mut lines: Vec<String> = VECTOR_CATCHES
        .iter()
        .zip(describe(demcr))
        .filter(|(c, _)| c.mask & has != 0)
        .map(|(_, line)| line)
        .collect();
    if profile == Profile::V6M {
        lines.push(format!(
            "(an ARMv6-M core such as the Cortex-M0+ catches only these: every fault is a HardFault; {} do not exist on it)",
            unsupported_words(!has)
        ));
    }
    lines
}

fn unsupported_words(mask: u32) -> String {
    VECTOR_CATCHES
        .iter()
        .filter(|c| c.mask & mask != 0)
        .map(|c| c.word)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `monitor vector_catch`: shows the catches (`None`) or sets exactly `mask`, for the core's
/// profile. `all` means every catch the core has; a catch the core does not have is refused
/// and nothing changes.
pub fn run(core: &mut Core<'_>, mask: Option<u32>) -> Result<Vec<String>, String> {
    let profile = Profile::read(core).map_err(|e| format!("reading SCB_CPUID: {e}"))?;
    let has = supported(profile);
    let demcr = match mask {
        None => current(core),
        Some(mask) => {
            let mask = if mask == VECTOR_CATCH_MASK { has } else { mask };
            if mask & !has != 0 {
                return Err(format!(
                    "this core (ARMv6-M) cannot catch {}: it has hard_err and reset only (every fault is a HardFault); nothing changed",
                    unsupported_words(mask & !has)
                ));
            }
            apply(core, mask)
        }
    }
    .map_err(|e| format!("DEMCR: {e}"))?;
    Ok(describe_for(profile, demcr))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_map_to_demcr_bits() {
        assert_eq!(parse(&["hard_err"]), Ok(1 << 10));
        assert_eq!(parse(&["BUS_ERR", "chk_err"]), Ok((1 << 8) | (1 << 6)));
        assert_eq!(parse(&["all"]), Ok(0x7F1));
        assert_eq!(parse(&["none"]), Ok(0));
        assert_eq!(parse(&["reset"]), Ok(1));
        let err = parse(&["hard_err", "bogus"]).unwrap_err();
        assert_eq!(err.word, "bogus");
        assert!(err.to_string().contains("hard_err, int_err, bus_err"));
    }

    #[test]
    fn an_armv6m_core_has_two_catches() {
        let lines = describe_for(Profile::V6M, 1 << 10);
        assert_eq!(lines.len(), 3);
        assert!(lines[0].starts_with("hard_err  on"), "{}", lines[0]);
        assert!(lines[1].starts_with("reset     off"), "{}", lines[1]);
        assert!(
            lines[2]
                .contains("int_err, bus_err, state_err, chk_err, nocp_err, mm_err do not exist"),
            "{}",
            lines[2]
        );
        assert_eq!(describe_for(Profile::V7M, 0).len(), 8);
    }

    #[test]
    fn the_description_shows_each_bit() {
        let lines = describe(1 << 10);
        assert_eq!(lines.len(), 8);
        assert!(lines[0].starts_with("hard_err  on"), "{}", lines[0]);
        assert!(lines[2].starts_with("bus_err   off"), "{}", lines[2]);
    }
}
