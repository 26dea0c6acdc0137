//! FLASH, DBGMCU and system-memory addresses of STM32G47x/G48x (RM0440), spelled as ST's CMSIS
//! header `stm32g474xx.h` spells them.
//!
//! The FLASH block is the "OPTR controller" shared with L4/L4+/G0/WB (reference §3): option
//! values are staged in writable registers, OPTSTRT commits them, OBL_LAUNCH loads them (and
//! resets the chip).

/// Base address of the FLASH register block (`FLASH_R_BASE`, AHB1).
pub const FLASH_BASE: u32 = 0x4002_2000;

/// A FLASH register, by its offset from [`FLASH_BASE`] (CMSIS `FLASH_TypeDef`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlashRegister {
    /// FLASH_ACR: latency, prefetch, caches.
    Acr,
    /// FLASH_PDKEYR: power-down key (run mode power-down).
    Pdkeyr,
    /// FLASH_KEYR: unlocks FLASH_CR (write-only).
    Keyr,
    /// FLASH_OPTKEYR: clears FLASH_CR.OPTLOCK (write-only).
    Optkeyr,
    /// FLASH_SR: status, write-1-to-clear error flags, BSY.
    Sr,
    /// FLASH_CR: programming control, OPTSTRT, OBL_LAUNCH, locks.
    Cr,
    /// FLASH_ECCR: ECC status.
    Eccr,
    /// FLASH_OPTR: user option bytes (RDP, BOR, DBANK, …).
    Optr,
    /// FLASH_PCROP1SR: bank 1 PCROP area start.
    Pcrop1sr,
    /// FLASH_PCROP1ER: bank 1 PCROP area end and PCROP_RDP.
    Pcrop1er,
    /// FLASH_WRP1AR: bank 1 write protection area A.
    Wrp1ar,
    /// FLASH_WRP1BR: bank 1 write protection area B.
    Wrp1br,
    /// FLASH_PCROP2SR: bank 2 PCROP area start.
    Pcrop2sr,
    /// FLASH_PCROP2ER: bank 2 PCROP area end.
    Pcrop2er,
    /// FLASH_WRP2AR: bank 2 write protection area A.
    Wrp2ar,
    /// FLASH_WRP2BR: bank 2 write protection area B.
    Wrp2br,
    /// FLASH_SEC1R: bank 1 securable area size and BOOT_LOCK.
    Sec1r,
    /// FLASH_SEC2R: bank 2 securable area size.
    Sec2r,
}

impl FlashRegister {
    /// Every register, in offset order.
    pub const ALL: [FlashRegister; 18] = [
        FlashRegister::Acr,
        FlashRegister::Pdkeyr,
        FlashRegister::Keyr,
        FlashRegister::Optkeyr,
        FlashRegister::Sr,
        FlashRegister::Cr,
        FlashRegister::Eccr,
        FlashRegister::Optr,
        FlashRegister::Pcrop1sr,
        FlashRegister::Pcrop1er,
        FlashRegister::Wrp1ar,
        FlashRegister::Wrp1br,
        FlashRegister::Pcrop2sr,
        FlashRegister::Pcrop2er,
        FlashRegister::Wrp2ar,
        FlashRegister::Wrp2br,
        FlashRegister::Sec1r,
        FlashRegister::Sec2r,
    ];

    /// Offset from [`FLASH_BASE`].
    pub const fn offset(self) -> u32 {
        match self {
            FlashRegister::Acr => 0x00,
            FlashRegister::Pdkeyr => 0x04,
            FlashRegister::Keyr => 0x08,
            FlashRegister::Optkeyr => 0x0C,
            FlashRegister::Sr => 0x10,
            FlashRegister::Cr => 0x14,
            FlashRegister::Eccr => 0x18,
            FlashRegister::Optr => 0x20,
            FlashRegister::Pcrop1sr => 0x24,
            FlashRegister::Pcrop1er => 0x28,
            FlashRegister::Wrp1ar => 0x2C,
            FlashRegister::Wrp1br => 0x30,
            FlashRegister::Pcrop2sr => 0x44,
            FlashRegister::Pcrop2er => 0x48,
            FlashRegister::Wrp2ar => 0x4C,
            FlashRegister::Wrp2br => 0x50,
            FlashRegister::Sec1r => 0x70,
            FlashRegister::Sec2r => 0x74,
        }
    }

    /// Bus address.
    pub const fn address(self) -> u32 {
        FLASH_BASE + self.offset()
    }

    /// RM0440 name, e.g. `FLASH_OPTR`.
    pub fn name(self) -> &'static str {
        match self {
            FlashRegister::Acr => "FLASH_ACR",
            FlashRegister::Pdkeyr => "FLASH_PDKEYR",
            FlashRegister::Keyr => "FLASH_KEYR",
            FlashRegister::Optkeyr => "FLASH_OPTKEYR",
            FlashRegister::Sr => "FLASH_SR",
            FlashRegister::Cr => "FLASH_CR",
            FlashRegister::Eccr => "FLASH_ECCR",
            FlashRegister::Optr => "FLASH_OPTR",
            FlashRegister::Pcrop1sr => "FLASH_PCROP1SR",
            FlashRegister::Pcrop1er => "FLASH_PCROP1ER",
            FlashRegister::Wrp1ar => "FLASH_WRP1AR",
            FlashRegister::Wrp1br => "FLASH_WRP1BR",
            FlashRegister::Pcrop2sr => "FLASH_PCROP2SR",
            FlashRegister::Pcrop2er => "FLASH_PCROP2ER",
            FlashRegister::Wrp2ar => "FLASH_WRP2AR",
            FlashRegister::Wrp2br => "FLASH_WRP2BR",
            FlashRegister::Sec1r => "FLASH_SEC1R",
            FlashRegister::Sec2r => "FLASH_SEC2R",
        }
    }

    /// The register at `offset` from [`FLASH_BASE`], if there is one.
    pub fn from_offset(offset: u32) -> Option<FlashRegister> {
        FlashRegister::ALL
            .into_iter()
            .find(|r| r.offset() == offset)
    }
}

/// The option registers: the values OPTSTRT commits and an option load loads, in register
/// order.
pub const OPTION_REGISTERS: [FlashRegister; 11] = [
    FlashRegister::Optr,
    FlashRegister::Pcrop1sr,
    FlashRegister::Pcrop1er,
    FlashRegister::Wrp1ar,
    FlashRegister::Wrp1br,
    FlashRegister::Pcrop2sr,
    FlashRegister::Pcrop2er,
    FlashRegister::Wrp2ar,
    FlashRegister::Wrp2br,
    FlashRegister::Sec1r,
    FlashRegister::Sec2r,
];

/// The keys are the same in every STM32 family (reference §0).
pub use crate::chip::keys::{FLASH_KEY1, FLASH_KEY2, FLASH_OPTKEY1, FLASH_OPTKEY2};

// ---------------------------------------------------------------------------------------------
// FLASH_SR (CMSIS `FLASH_SR_*_Pos`).
// ---------------------------------------------------------------------------------------------

/// FLASH_SR.EOP: end of operation (set only with EOPIE; write 1 to clear).
pub const FLASH_SR_EOP: u32 = 1 << 0;
/// FLASH_SR.OPERR: operation error.
pub const FLASH_SR_OPERR: u32 = 1 << 1;
/// FLASH_SR.PROGERR: programming error (double-word not erased).
pub const FLASH_SR_PROGERR: u32 = 1 << 3;
/// FLASH_SR.WRPERR: write-protection error.
pub const FLASH_SR_WRPERR: u32 = 1 << 4;
/// FLASH_SR.PGAERR: programming alignment error.
pub const FLASH_SR_PGAERR: u32 = 1 << 5;
/// FLASH_SR.SIZERR: size error (access not 32-bit).
pub const FLASH_SR_SIZERR: u32 = 1 << 6;
/// FLASH_SR.PGSERR: programming sequence error.
pub const FLASH_SR_PGSERR: u32 = 1 << 7;
/// FLASH_SR.MISERR: fast programming data miss.
pub const FLASH_SR_MISERR: u32 = 1 << 8;
/// FLASH_SR.FASTERR: fast programming error.
pub const FLASH_SR_FASTERR: u32 = 1 << 9;
/// FLASH_SR.RDERR: PCROP read error.
pub const FLASH_SR_RDERR: u32 = 1 << 14;
/// FLASH_SR.OPTVERR: option validity error (set at option load when a value/complement pair
/// does not match).
pub const FLASH_SR_OPTVERR: u32 = 1 << 15;
/// FLASH_SR.BSY: an operation is in progress.
pub const FLASH_SR_BSY: u32 = 1 << 16;

/// The programming/erase error flags OpenOCD checks (`FLASH_ERROR`: PGSERR, SIZERR, PGAERR,
/// WRPERR, PROGERR, OPERR).
pub const FLASH_SR_PROGRAM_ERRORS: u32 = FLASH_SR_OPERR
    | FLASH_SR_PROGERR
    | FLASH_SR_WRPERR
    | FLASH_SR_PGAERR
    | FLASH_SR_SIZERR
    | FLASH_SR_PGSERR;
/// Every write-1-to-clear flag of FLASH_SR, OPTVERR included.
pub const FLASH_SR_W1C: u32 = FLASH_SR_EOP
    | FLASH_SR_PROGRAM_ERRORS
    | FLASH_SR_MISERR
    | FLASH_SR_FASTERR
    | FLASH_SR_RDERR
    | FLASH_SR_OPTVERR;

/// The FLASH_SR flags with their RM0440 names, for messages.
pub const FLASH_SR_FLAG_NAMES: [(u32, &str); 12] = [
    (FLASH_SR_EOP, "EOP"),
    (FLASH_SR_OPERR, "OPERR"),
    (FLASH_SR_PROGERR, "PROGERR"),
    (FLASH_SR_WRPERR, "WRPERR"),
    (FLASH_SR_PGAERR, "PGAERR"),
    (FLASH_SR_SIZERR, "SIZERR"),
    (FLASH_SR_PGSERR, "PGSERR"),
    (FLASH_SR_MISERR, "MISERR"),
    (FLASH_SR_FASTERR, "FASTERR"),
    (FLASH_SR_RDERR, "RDERR"),
    (FLASH_SR_OPTVERR, "OPTVERR"),
    (FLASH_SR_BSY, "BSY"),
];

/// Names of the FLASH_SR flags set in `sr`, in bit order.
pub fn flash_sr_flag_names(sr: u32) -> Vec<&'static str> {
    FLASH_SR_FLAG_NAMES
        .iter()
        .filter(|(bit, _)| sr & bit != 0)
        .map(|&(_, name)| name)
        .collect()
}

// ---------------------------------------------------------------------------------------------
// FLASH_CR (CMSIS `FLASH_CR_*_Pos`).
// ---------------------------------------------------------------------------------------------

/// FLASH_CR.PG: programming.
pub const FLASH_CR_PG: u32 = 1 << 0;
/// FLASH_CR.PER: page erase.
pub const FLASH_CR_PER: u32 = 1 << 1;
/// FLASH_CR.MER1: mass erase of bank 1.
pub const FLASH_CR_MER1: u32 = 1 << 2;
/// Position of FLASH_CR.PNB, the page number inside the selected bank.
pub const FLASH_CR_PNB_POS: u32 = 3;
/// Width of FLASH_CR.PNB on G4 (7 bits; 8 on L4, 10 on G0).
pub const FLASH_CR_PNB_WIDTH: u32 = 7;
/// FLASH_CR.PNB mask (bits 9:3).
pub const FLASH_CR_PNB: u32 = ((1 << FLASH_CR_PNB_WIDTH) - 1) << FLASH_CR_PNB_POS;
/// FLASH_CR.BKER: page erase in bank 2 (bit 11 on G4; bit 13 on G0).
pub const FLASH_CR_BKER: u32 = 1 << 11;
/// FLASH_CR.MER2: mass erase of bank 2.
pub const FLASH_CR_MER2: u32 = 1 << 15;
/// FLASH_CR.STRT: start an erase.
pub const FLASH_CR_STRT: u32 = 1 << 16;
/// FLASH_CR.OPTSTRT: commit the option registers to the option bytes.
pub const FLASH_CR_OPTSTRT: u32 = 1 << 17;
/// FLASH_CR.FSTPG: fast programming.
pub const FLASH_CR_FSTPG: u32 = 1 << 18;
/// FLASH_CR.EOPIE: end-of-operation interrupt enable (also gates SR.EOP).
pub const FLASH_CR_EOPIE: u32 = 1 << 24;
/// FLASH_CR.ERRIE: error interrupt enable.
pub const FLASH_CR_ERRIE: u32 = 1 << 25;
/// FLASH_CR.RDERRIE: PCROP read error interrupt enable.
pub const FLASH_CR_RDERRIE: u32 = 1 << 26;
/// FLASH_CR.OBL_LAUNCH: load the option bytes — **resets the chip** and drops the debug link.
pub const FLASH_CR_OBL_LAUNCH: u32 = 1 << 27;
/// FLASH_CR.SEC_PROT1: bank 1 securable area protection.
pub const FLASH_CR_SEC_PROT1: u32 = 1 << 28;
/// FLASH_CR.SEC_PROT2: bank 2 securable area protection.
pub const FLASH_CR_SEC_PROT2: u32 = 1 << 29;
/// FLASH_CR.OPTLOCK: option registers locked.
pub const FLASH_CR_OPTLOCK: u32 = 1 << 30;
/// FLASH_CR.LOCK: FLASH_CR locked.
pub const FLASH_CR_LOCK: u32 = 1 << 31;

/// FLASH_CR bits for erasing page `pnb` of bank `bank` (1 or 2): PER | PNB | BKER.
/// STRT is written separately, after these are set.
pub fn page_erase_bits(bank: u8, pnb: u8) -> u32 {
    let bker = if bank == 2 { FLASH_CR_BKER } else { 0 };
    FLASH_CR_PER | ((u32::from(pnb) << FLASH_CR_PNB_POS) & FLASH_CR_PNB) | bker
}

// ---------------------------------------------------------------------------------------------
// DBGMCU (RM0440 §47), identity, system memory.
// ---------------------------------------------------------------------------------------------

/// DBGMCU_IDCODE: DEV_ID bits 11:0, REV_ID bits 31:16 (same address as F7, reference §0).
pub const DBGMCU_IDCODE: u32 = 0xE004_2000;
/// DBGMCU_APB1FZR1: freezes APB1 peripherals while the core is halted. The watchdog bit positions
/// below are those of the L4-lineage CMSIS headers (`DBGMCU_APB1FZR1_DBG_*_STOP_Pos`); not checked
/// in `stm32g474xx.h` itself (UNVERIFIED).
pub const DBGMCU_APB1FZR1: u32 = 0xE004_2008;
/// DBGMCU_APB1FZR1.DBG_WWDG_STOP.
pub const DBGMCU_APB1FZR1_DBG_WWDG_STOP: u32 = 1 << 11;
/// DBGMCU_APB1FZR1.DBG_IWDG_STOP.
pub const DBGMCU_APB1FZR1_DBG_IWDG_STOP: u32 = 1 << 12;

/// Flash size register (u16, KB), `FLASHSIZE_BASE`.
pub const FLASHSIZE_BASE: u32 = 0x1FFF_75E0;
/// 96-bit unique device ID (`UID_BASE`).
pub const UID_BASE: u32 = 0x1FFF_7590;
/// Package data register.
pub const PACKAGE_BASE: u32 = 0x1FFF_7500;

/// Option bytes of bank 1 (and OPTR) as stored, value/complement pairs: 0x1FFF_7800–0x1FFF_782F
/// (probe-rs, BMP, OpenOCD; NuttX `STM32_OPTION_BASE`).
pub const OPTION_BYTES_BANK1_BASE: u32 = 0x1FFF_7800;
/// Option bytes of bank 2 as stored: 0x1FFF_F800–0x1FFF_F82F per NuttX's G4 memory map
/// (`STM32_OPTION_BASE2`), the L4 layout. stlink's G4 chip files name 0x1FFF_F800 as *the* option
/// base where everyone else uses 0x1FFF_7800; this second area may be what it means. Not
/// confirmed in RM0440 (UNVERIFIED).
pub const OPTION_BYTES_BANK2_BASE: u32 = 0x1FFF_F800;
/// Length of each option-byte area: six 8-byte value/complement entries.
pub const OPTION_BYTES_AREA_LEN: u32 = 0x30;

/// SYSCFG_MEMRMP: FB_MODE (bank swap as booted by BFB2) lives here.
pub const SYSCFG_MEMRMP: u32 = 0x4001_0000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_offsets_match_flash_typedef() {
        let expected = [
            (FlashRegister::Acr, 0x4002_2000),
            (FlashRegister::Pdkeyr, 0x4002_2004),
            (FlashRegister::Keyr, 0x4002_2008),
            (FlashRegister::Optkeyr, 0x4002_200C),
            (FlashRegister::Sr, 0x4002_2010),
            (FlashRegister::Cr, 0x4002_2014),
            (FlashRegister::Eccr, 0x4002_2018),
            (FlashRegister::Optr, 0x4002_2020),
            (FlashRegister::Pcrop1sr, 0x4002_2024),
            (FlashRegister::Pcrop1er, 0x4002_2028),
            (FlashRegister::Wrp1ar, 0x4002_202C),
            (FlashRegister::Wrp1br, 0x4002_2030),
            (FlashRegister::Pcrop2sr, 0x4002_2044),
            (FlashRegister::Pcrop2er, 0x4002_2048),
            (FlashRegister::Wrp2ar, 0x4002_204C),
            (FlashRegister::Wrp2br, 0x4002_2050),
            (FlashRegister::Sec1r, 0x4002_2070),
            (FlashRegister::Sec2r, 0x4002_2074),
        ];
        for (reg, address) in expected {
            assert_eq!(reg.address(), address, "{}", reg.name());
            assert_eq!(FlashRegister::from_offset(reg.offset()), Some(reg));
            assert!(reg.name().starts_with("FLASH_"));
        }
        assert_eq!(FlashRegister::from_offset(0x1C), None);
        assert_eq!(FlashRegister::from_offset(0x34), None);
    }

    #[test]
    fn keys_are_the_common_ones() {
        assert_eq!(FLASH_KEY1, 0x4567_0123);
        assert_eq!(FLASH_KEY2, 0xCDEF_89AB);
        assert_eq!(FLASH_OPTKEY1, 0x0819_2A3B);
        assert_eq!(FLASH_OPTKEY2, 0x4C5D_6E7F);
    }

    #[test]
    fn cr_bits() {
        assert_eq!(FLASH_CR_PNB, 0x0000_03F8);
        assert_eq!(FLASH_CR_BKER, 0x0000_0800);
        assert_eq!(FLASH_CR_MER2, 0x0000_8000);
        assert_eq!(FLASH_CR_STRT, 0x0001_0000);
        assert_eq!(FLASH_CR_OPTSTRT, 0x0002_0000);
        assert_eq!(FLASH_CR_OBL_LAUNCH, 0x0800_0000);
        assert_eq!(FLASH_CR_OPTLOCK, 0x4000_0000);
        assert_eq!(FLASH_CR_LOCK, 0x8000_0000);
        // L4's BKER and G0's sit elsewhere: a G4 BKER must not overlap PNB.
        assert_eq!(FLASH_CR_PNB & FLASH_CR_BKER, 0);
    }

    #[test]
    fn page_erase_encoding() {
        assert_eq!(page_erase_bits(1, 0), FLASH_CR_PER);
        assert_eq!(page_erase_bits(1, 127), FLASH_CR_PER | (127 << 3));
        assert_eq!(
            page_erase_bits(2, 5),
            FLASH_CR_PER | (5 << 3) | FLASH_CR_BKER
        );
        // An out-of-range page number cannot spill into BKER.
        assert_eq!(page_erase_bits(1, 0xFF) & FLASH_CR_BKER, 0);
    }

    #[test]
    fn sr_bits_and_names() {
        assert_eq!(FLASH_SR_BSY, 0x0001_0000);
        assert_eq!(FLASH_SR_OPTVERR, 0x0000_8000);
        // OpenOCD's FLASH_ERROR mask for the L4 controller.
        assert_eq!(FLASH_SR_PROGRAM_ERRORS, 0xFA);
        assert_eq!(FLASH_SR_W1C & FLASH_SR_BSY, 0);
        assert_eq!(
            flash_sr_flag_names(0x0001_8010),
            vec!["WRPERR", "OPTVERR", "BSY"]
        );
        assert!(flash_sr_flag_names(1 << 2).is_empty(), "bit 2 is reserved");
    }

    #[test]
    fn identity_addresses() {
        assert_eq!(DBGMCU_IDCODE, 0xE004_2000);
        assert_eq!(FLASHSIZE_BASE, 0x1FFF_75E0);
        assert_eq!(OPTION_BYTES_BANK1_BASE, 0x1FFF_7800);
        assert_eq!(OPTION_BYTES_BANK2_BASE, 0x1FFF_F800);
    }
}
