//! The parts the simulator can be: family, identity (DBGMCU_IDCODE) and flash size.

use std::fmt;

/// DEV_ID of STM32F76x/F77x (RM0410), the parts with the nDBANK option bit.
pub const DEV_ID_F76X: u16 = 0x451;
/// DEV_ID of STM32F74x/F75x (RM0385), which have no nDBANK bit and no dual-bank mode.
pub const DEV_ID_F74X: u16 = 0x449;
/// DEV_ID of the STM32G4 category-3 parts G47x/G48x (RM0440), the ones with the DBANK bit.
pub const DEV_ID_G47X: u16 = 0x469;
/// REV_ID the simulated G47x/G48x reports. The reference gives no revision codes for 0x469;
/// 0x1000 (revision A, as on the F7 of the same vintage) is a choice, not a fact.
pub const REV_ID_G47X: u16 = 0x1000;

/// Which chip model the simulator runs: each family has its own memory map, FLASH controller,
/// option store and Cortex-M core.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// STM32F74x–F77x: Cortex-M7, FLASH_OPTCR/OPTCR1 controller at 0x4002_3C00.
    F7,
    /// STM32G47x/G48x: Cortex-M4F, FLASH_OPTR controller at 0x4002_2000.
    G4,
}

/// One simulated part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Variant {
    /// The probe-rs target name, e.g. `STM32F767ZI`.
    pub name: &'static str,
    pub family: Family,
    /// DBGMCU_IDCODE.DEV_ID.
    pub dev_id: u16,
    /// DBGMCU_IDCODE.REV_ID (0x1000 = revision A, 0x1001 = revision Z on 0x451).
    pub rev_id: u16,
    /// Flash size in KiB, as the flash-size register reports it.
    pub flash_kib: u32,
}

impl Variant {
    /// Whether FLASH_OPTCR has the nDBANK and nDBOOT bits (DEV_ID 0x451 only).
    pub fn has_ndbank(&self) -> bool {
        self.dev_id == DEV_ID_F76X
    }

    /// Flash size in bytes.
    pub fn flash_bytes(&self) -> u32 {
        self.flash_kib * 1024
    }

    /// DBGMCU_IDCODE as the chip reports it.
    pub fn idcode(&self) -> u32 {
        (u32::from(self.rev_id) << 16) | u32::from(self.dev_id)
    }

    /// Looks a part up by name, ignoring case and a package suffix (`STM32F767ZITx`).
    ///
    /// F76x/F77x names map to their flash size by the size letter: `G` = 1 MB, `I` = 2 MB.
    pub fn by_name(name: &str) -> Result<Variant, UnknownVariant> {
        let upper = name.trim().to_ascii_uppercase();
        let unknown = || UnknownVariant(name.to_string());
        if upper.starts_with("STM32G4") {
            return Self::g4_by_name(&upper).ok_or_else(unknown);
        }
        // STM32F7 + line (2 digits) + pin count letter + size letter (+ package/temp suffix).
        let rest = upper.strip_prefix("STM32F7").ok_or_else(unknown)?;
        let bytes = rest.as_bytes();
        if bytes.len() < 4 {
            return Err(unknown());
        }
        let line = &rest[..2];
        let size_letter = bytes[3] as char;
        let canonical = &upper[..11];
        let (dev_id, flash_kib) = match (line, size_letter) {
            ("65" | "67" | "69", 'G') => (DEV_ID_F76X, 1024),
            ("65" | "67" | "68" | "69", 'I') => (DEV_ID_F76X, 2048),
            ("77" | "78" | "79", 'I') => (DEV_ID_F76X, 2048),
            ("45" | "46" | "56", 'G') => (DEV_ID_F74X, 1024),
            ("45" | "46", 'E') => (DEV_ID_F74X, 512),
            _ => return Err(unknown()),
        };
        Ok(Variant {
            name: leak_name(canonical),
            family: Family::F7,
            dev_id,
            rev_id: 0x1001,
            flash_kib,
        })
    }
}

impl Variant {
    /// STM32G471/473/474/483/484 + pin-count letter + size letter (B = 128 KB, C = 256 KB,
    /// E = 512 KB), as probe-rs names them (`STM32G474RE`, `STM32G473RC`); the G48x come only
    /// with 512 KB.
    fn g4_by_name(upper: &str) -> Option<Variant> {
        let line = upper.get(5..9)?;
        let bytes = upper.as_bytes();
        if bytes.len() < 11 || !bytes[9].is_ascii_alphabetic() {
            return None;
        }
        let flash_kib = match (line, bytes[10] as char) {
            ("G471" | "G473" | "G474", 'B') => 128,
            ("G471" | "G473" | "G474", 'C') => 256,
            ("G471" | "G473" | "G474" | "G483" | "G484", 'E') => 512,
            _ => return None,
        };
        Some(Variant {
            name: leak_name(&upper[..11]),
            family: Family::G4,
            dev_id: DEV_ID_G47X,
            rev_id: REV_ID_G47X,
            flash_kib,
        })
    }
}

/// Part names are few and live for the whole process; interning keeps `Variant` `Copy`.
fn leak_name(name: &str) -> &'static str {
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
#[error(
    "the simulator does not model '{0}'; it simulates STM32F765/767/768/769/777/778/779 with size letter G (1 MB) or I (2 MB), e.g. STM32F767ZI or STM32F767ZG, STM32F745/746/756 (no nDBANK), e.g. STM32F746ZG, and STM32G471/473/474 with size letter B (128 KB), C (256 KB) or E (512 KB) and STM32G483/484xE, e.g. STM32G474RE or STM32G474RC"
)]
pub struct UnknownVariant(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_to_flash_size_and_dev_id() {
        let zi = Variant::by_name("STM32F767ZI").unwrap();
        assert_eq!(
            (zi.dev_id, zi.flash_kib, zi.has_ndbank()),
            (0x451, 2048, true)
        );
        let zg = Variant::by_name("stm32f767zgtx").unwrap();
        assert_eq!((zg.name, zg.flash_kib), ("STM32F767ZG", 1024));
        let f779 = Variant::by_name("STM32F779NI").unwrap();
        assert_eq!(f779.flash_kib, 2048);
        let f746 = Variant::by_name("STM32F746ZG").unwrap();
        assert_eq!((f746.dev_id, f746.has_ndbank()), (0x449, false));
        assert_eq!(zi.idcode() & 0xFFF, 0x451);
    }

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

    #[test]
    fn g4_names_map_to_category_3_parts() {
        let re = Variant::by_name("stm32g474retx").unwrap();
        assert_eq!(
            (re.name, re.family, re.dev_id, re.flash_kib, re.has_ndbank()),
            ("STM32G474RE", Family::G4, 0x469, 512, false)
        );
        assert_eq!(Variant::by_name("STM32G474RC").unwrap().flash_kib, 256);
        assert_eq!(Variant::by_name("STM32G473RC").unwrap().flash_kib, 256);
        assert_eq!(Variant::by_name("STM32G484VE").unwrap().flash_kib, 512);
        assert!(Variant::by_name("STM32G484VC").is_err());
        assert_eq!(re.idcode(), 0x1000_0469);
    }
}
