//! The parts the simulator can be: family, identity (DBGMCU_IDCODE) and flash size. Each family
//! ([`super::family::SimFamily`]) says which names it simulates.

use std::fmt;

use super::family::{simulated_parts, SimFamily, FAMILIES};

/// One simulated part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The probe-rs target name, e.g. `STM32F767ZI`.
    pub name: &'static str,
    /// The family model the part runs on.
    pub family: &'static dyn SimFamily,
    /// DBGMCU_IDCODE.DEV_ID.
    pub dev_id: u16,
    /// DBGMCU_IDCODE.REV_ID.
    pub rev_id: u16,
    /// Flash size in KiB, as the flash-size register reports it.
    pub flash_kib: u32,
}

impl Variant {
    /// Flash size in bytes.
    pub fn flash_bytes(&self) -> u32 {
        self.flash_kib * 1024
    }

    /// DBGMCU_IDCODE as the chip reports it.
    pub fn idcode(&self) -> u32 {
        (u32::from(self.rev_id) << 16) | u32::from(self.dev_id)
    }

    /// Looks a part up by name, ignoring case and a package suffix (`STM32F767ZITx`), in every
    /// family the simulator models.
    pub fn by_name(name: &str) -> Result<Variant, UnknownVariant> {
        let upper = name.trim().to_ascii_uppercase();
        FAMILIES
            .iter()
            .find_map(|f| f.variant(&upper))
            .ok_or_else(|| UnknownVariant(name.to_string()))
    }
}

/// Part names are few and live for the whole process; interning keeps `Variant` `Copy`.
pub fn leak_name(name: &str) -> &'static str {
    use std::collections::HashSet;
    use std::sync::Mutex;
    static NAMES: Mutex<Option<HashSet<&'static str>>> = Mutex::new(None);
    let mut guard = NAMES.lock().unwrap_or_else(|e| e.into_inner());
    let set = guard.get_or_insert_with(HashSet::new);
    if let Some(existing) = set.get(name) {
        return existing;
    }
    let leaked: &'static str = Box::leak(name.to_string().into_boxed_str());
    set.insert(leaked);
    leaked
}

impl fmt::Display for Variant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (DEV_ID 0x{:03X}, {} KB flash)",
            self.name, self.dev_id, self.flash_kib
        )
    }
}

/// A part name the simulator does not model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the simulator does not model '{name}'; it simulates {parts}", name = .0, parts = simulated_parts())]
pub struct UnknownVariant(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_names_are_refused_with_the_accepted_list() {
        let err = Variant::by_name("STM32F407VG").unwrap_err();
        assert!(err.to_string().contains("STM32F767ZI"));
        assert!(Variant::by_name("STM32F7").is_err());
        assert!(Variant::by_name("STM32F777ZG").is_err());
        assert!(Variant::by_name("STM32G491RE").is_err());
        assert!(Variant::by_name("STM32G431RB").is_err());
        assert!(Variant::by_name("STM32G4").is_err());
    }
}
