//! The FLASH unlock keys, the same on every STM32 family (reference §0).

/// First key for FLASH_KEYR.
pub const FLASH_KEY1: u32 = 0x4567_0123;
/// Second key for FLASH_KEYR.
pub const FLASH_KEY2: u32 = 0xCDEF_89AB;
/// First key for FLASH_OPTKEYR.
pub const FLASH_OPTKEY1: u32 = 0x0819_2A3B;
/// Second key for FLASH_OPTKEYR.
pub const FLASH_OPTKEY2: u32 = 0x4C5D_6E7F;
