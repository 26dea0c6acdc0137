//! Read protection: the RDP byte and its levels, the same on every STM32 family (each family
//! writes its own byte for level 1).

use serde::Serialize;

/// RDP byte for level 0 (no protection).
pub const RDP_LEVEL_0: u8 = 0xAA;
/// RDP byte for level 2 — permanent: debug access is gone for good. Any byte other than 0xAA
/// and 0xCC is level 1.
pub const RDP_LEVEL_2: u8 = 0xCC;

/// Read-protection level decoded from the RDP byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum RdpLevel {
    /// 0xAA: no protection.
    Level0,
    /// Any byte but 0xAA/0xCC: debugger cannot read flash; back to level 0 mass-erases.
    Level1,
    /// 0xCC: permanent; debug access disabled for good.
    Level2,
}

impl RdpLevel {
    /// Level of an RDP byte.
    pub fn from_byte(byte: u8) -> RdpLevel {
        match byte {
            RDP_LEVEL_0 => RdpLevel::Level0,
            RDP_LEVEL_2 => RdpLevel::Level2,
            _ => RdpLevel::Level1,
        }
    }

    /// 0, 1 or 2.
    pub fn number(self) -> u8 {
        match self {
            RdpLevel::Level0 => 0,
            RdpLevel::Level1 => 1,
            RdpLevel::Level2 => 2,
        }
    }
}
