//! FLASH, DBG and system-memory addresses of STM32G0B0/G0B1/G0C1 (RM0444/RM0454), spelled as
//! ST's CMSIS headers `stm32g0b1xx.h` / `stm32g0c1xx.h` / `stm32g0b0xx.h` spell them.
//!
//! The FLASH block is the "OPTR controller" of L4/G4 (reference §3) with G0 bit positions:
//! BKER is bit 13 (G4: 11), PNB is 10 bits wide (G4: 7), SR has one busy flag per bank (BSY1,
//! BSY2) plus CFGBSY, and the register file after +0x30 differs (PCROP1B, bank 2's PCROP/WRP,
//! SECR at +0x80). On the G0B0 the PCROP and SECR registers are reserved.
//!
//! The debug MCU block is **not** at the Cortex-M DBGMCU address 0xE004_2000 but on the APB at
//! 0x4001_5800 (CMSIS `DBG_BASE`; reference §0).

use super::geometry::PhysicalBank;
use super::part::G0Line;

/// Base address of the FLASH register block (`FLASH_R_BASE` = AHBPERIPH_BASE + 0x2000).
pub const FLASH_BASE: u32 = 0x4002_2000;

/// A FLASH register, by its offset from [`FLASH_BASE`] (CMSIS `FLASH_TypeDef` of
/// `stm32g0b1xx.h`). There is no PDKEYR on G0: offset 0x04 is reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlashRegister {
    /// FLASH_ACR: latency, prefetch, instruction cache, PROGEMPTY, DBG_SWEN.
    Acr,
    /// FLASH_KEYR: unlocks FLASH_CR (write-only).
    Keyr,
    /// FLASH_OPTKEYR: clears FLASH_CR.OPTLOCK (write-only).
    Optkeyr,
    /// FLASH_SR: status, write-1-to-clear error flags, BSY1/BSY2/CFGBSY.
    Sr,
    /// FLASH_CR: programming control, OPTSTRT, OBL_LAUNCH, locks.
    Cr,
    /// FLASH_ECCR: ECC status of bank 1.
    Eccr,
    /// FLASH_ECC2R: ECC status of bank 2.
    Ecc2r,
    /// FLASH_OPTR: user option bytes (RDP, BOR, nSWAP_BANK, DUAL_BANK, …).
    Optr,
    /// FLASH_PCROP1ASR: bank 1 PCROP area A start.
    Pcrop1asr,
    /// FLASH_PCROP1AER: bank 1 PCROP area A end and PCROP_RDP.
    Pcrop1aer,
    /// FLASH_WRP1AR: bank 1 write protection area A.
    Wrp1ar,
    /// FLASH_WRP1BR: bank 1 write protection area B.
    Wrp1br,
    /// FLASH_PCROP1BSR: bank 1 PCROP area B start.
    Pcrop1bsr,
    /// FLASH_PCROP1BER: bank 1 PCROP area B end.
    Pcrop1ber,
    /// FLASH_PCROP2ASR: bank 2 PCROP area A start.
    Pcrop2asr,
    /// FLASH_PCROP2AER: bank 2 PCROP area A end.
    Pcrop2aer,
    /// FLASH_WRP2AR: bank 2 write protection area A.
    Wrp2ar,
    /// FLASH_WRP2BR: bank 2 write protection area B.
    Wrp2br,
    /// FLASH_PCROP2BSR: bank 2 PCROP area B start.
    Pcrop2bsr,
    /// FLASH_PCROP2BER: bank 2 PCROP area B end.
    Pcrop2ber,
    /// FLASH_SECR: securable area sizes of both banks and BOOT_LOCK.
    Secr,
}

impl FlashRegister {
    /// Every register, in offset order.
    pub const ALL: [FlashRegister; 21] = [
        FlashRegister::Acr,
        FlashRegister::Keyr,
        FlashRegister::Optkeyr,
        FlashRegister::Sr,
        FlashRegister::Cr,
        FlashRegister::Eccr,
        FlashRegister::Ecc2r,
        FlashRegister::Optr,
        FlashRegister::Pcrop1asr,
        FlashRegister::Pcrop1aer,
        FlashRegister::Wrp1ar,
        FlashRegister::Wrp1br,
        FlashRegister::Pcrop1bsr,
        FlashRegister::Pcrop1ber,
        FlashRegister::Pcrop2asr,
        FlashRegister::Pcrop2aer,
        FlashRegister::Wrp2ar,
        FlashRegister::Wrp2br,
        FlashRegister::Pcrop2bsr,
        FlashRegister::Pcrop2ber,
        FlashRegister::Secr,
    ];

    /// The option registers (writable images while OPTLOCK is clear, committed by OPTSTRT), in
    /// offset order. probe-rs's `stm32g0x1_db_opt` range is 0x38 bytes long: exactly these
    /// fourteen words (its input layout is undocumented; reference §11).
    pub const OPTIONS: [FlashRegister; 14] = [
        FlashRegister::Optr,
        FlashRegister::Pcrop1asr,
        FlashRegister::Pcrop1aer,
        FlashRegister::Wrp1ar,
        FlashRegister::Wrp1br,
        FlashRegister::Pcrop1bsr,
        FlashRegister::Pcrop1ber,
        FlashRegister::Pcrop2asr,
        FlashRegister::Pcrop2aer,
        FlashRegister::Wrp2ar,
        FlashRegister::Wrp2br,
        FlashRegister::Pcrop2bsr,
        FlashRegister::Pcrop2ber,
        FlashRegister::Secr,
    ];

    /// Offset from [`FLASH_BASE`].
    pub const fn offset(self) -> u32 {
        match self {
            FlashRegister::Acr => 0x00,
            FlashRegister::Keyr => 0x08,
            FlashRegister::Optkeyr => 0x0C,
            FlashRegister::Sr => 0x10,
            FlashRegister::Cr => 0x14,
            FlashRegister::Eccr => 0x18,
            FlashRegister::Ecc2r => 0x1C,
            FlashRegister::Optr => 0x20,
            FlashRegister::Pcrop1asr => 0x24,
            FlashRegister::Pcrop1aer => 0x28,
            FlashRegister::Wrp1ar => 0x2C,
            FlashRegister::Wrp1br => 0x30,
            FlashRegister::Pcrop1bsr => 0x34,
            FlashRegister::Pcrop1ber => 0x38,
            FlashRegister::Pcrop2asr => 0x44,
            FlashRegister::Pcrop2aer => 0x48,
            FlashRegister::Wrp2ar => 0x4C,
            FlashRegister::Wrp2br => 0x50,
            FlashRegister::Pcrop2bsr => 0x54,
            FlashRegister::Pcrop2ber => 0x58,
            FlashRegister::Secr => 0x80,
        }
    }

    /// Bus address.
    pub const fn address(self) -> u32 {
        FLASH_BASE + self.offset()
    }

    /// RM0444 name, e.g. `FLASH_OPTR`.
    pub fn name(self) -> &'static str {
        match self {
            FlashRegister::Acr => "FLASH_ACR",
            FlashRegister::Keyr => "FLASH_KEYR",
            FlashRegister::Optkeyr => "FLASH_OPTKEYR",
            FlashRegister::Sr => "FLASH_SR",
            FlashRegister::Cr => "FLASH_CR",
            FlashRegister::Eccr => "FLASH_ECCR",
            FlashRegister::Ecc2r => "FLASH_ECC2R",
            FlashRegister::Optr => "FLASH_OPTR",
            FlashRegister::Pcrop1asr => "FLASH_PCROP1ASR",
            FlashRegister::Pcrop1aer => "FLASH_PCROP1AER",
            FlashRegister::Wrp1ar => "FLASH_WRP1AR",
            FlashRegister::Wrp1br => "FLASH_WRP1BR",
            FlashRegister::Pcrop1bsr => "FLASH_PCROP1BSR",
            FlashRegister::Pcrop1ber => "FLASH_PCROP1BER",
            FlashRegister::Pcrop2asr => "FLASH_PCROP2ASR",
            FlashRegister::Pcrop2aer => "FLASH_PCROP2AER",
            FlashRegister::Wrp2ar => "FLASH_WRP2AR",
            FlashRegister::Wrp2br => "FLASH_WRP2BR",
            FlashRegister::Pcrop2bsr => "FLASH_PCROP2BSR",
            FlashRegister::Pcrop2ber => "FLASH_PCROP2BER",
            FlashRegister::Secr => "FLASH_SECR",
        }
    }

    /// The register at `offset` from [`FLASH_BASE`], if there is one.
    pub fn from_offset(offset: u32) -> Option<FlashRegister> {
        FlashRegister::ALL
            .into_iter()
            .find(|r| r.offset() == offset)
    }

    /// The register named `name` (`FLASH_WRP2AR` or `WRP2AR`, case-insensitive).
    pub fn from_name(name: &str) -> Option<FlashRegister> {
        let name = name.trim();
        FlashRegister::ALL.into_iter().find(|r| {
            r.name().eq_ignore_ascii_case(name) || r.name()[6..].eq_ignore_ascii_case(name)
        })
    }

    /// Whether this is an option register.
    pub fn is_option(self) -> bool {
        FlashRegister::OPTIONS.contains(&self)
    }

    /// Whether the register exists on `line`: the G0B0 has no PCROP and no securable area
    /// (CMSIS `stm32g0b0xx.h` reserves 0x24/0x28, 0x34/0x38, 0x44/0x48, 0x54/0x58, 0x80).
    pub fn exists_on(self, line: G0Line) -> bool {
        let pcrop_or_sec = matches!(
            self,
            FlashRegister::Pcrop1asr
                | FlashRegister::Pcrop1aer
                | FlashRegister::Pcrop1bsr
                | FlashRegister::Pcrop1ber
                | FlashRegister::Pcrop2asr
                | FlashRegister::Pcrop2aer
                | FlashRegister::Pcrop2bsr
                | FlashRegister::Pcrop2ber
                | FlashRegister::Secr
        );
        !pcrop_or_sec || line.has_pcrop_and_securable_area()
    }
}

/// Serialised as its RM0444 name (`"FLASH_WRP2AR"`).
impl serde::Serialize for FlashRegister {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl std::fmt::Display for FlashRegister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The keys are the same in every STM32 family (reference §0).
pub use crate::chip::keys::{FLASH_KEY1, FLASH_KEY2, FLASH_OPTKEY1, FLASH_OPTKEY2};

// ---------------------------------------------------------------------------------------------
// FLASH_ACR (CMSIS `FLASH_ACR_*_Pos`).
// ---------------------------------------------------------------------------------------------

/// FLASH_ACR.LATENCY, bits 2:0: wait states.
pub const FLASH_ACR_LATENCY: u32 = 0x7;
/// FLASH_ACR.PRFTEN: prefetch.
pub const FLASH_ACR_PRFTEN: u32 = 1 << 8;
/// FLASH_ACR.ICEN: instruction cache.
pub const FLASH_ACR_ICEN: u32 = 1 << 9;
/// FLASH_ACR.ICRST: instruction cache reset.
pub const FLASH_ACR_ICRST: u32 = 1 << 11;
/// FLASH_ACR.PROGEMPTY: main flash found empty at the last option load — the chip then boots
/// the system memory; BMP clears it after programming the first word so that a reset boots the
/// new firmware without a power cycle (BMP-G0 `FLASH_ACR_EMPTY`; not in the reference sheet).
pub const FLASH_ACR_PROGEMPTY: u32 = 1 << 16;
/// FLASH_ACR.DBG_SWEN: software may disable the debug port by clearing it.
pub const FLASH_ACR_DBG_SWEN: u32 = 1 << 18;

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
/// FLASH_SR.RDERR: PCROP read error (not on G0B0, which has no PCROP).
pub const FLASH_SR_RDERR: u32 = 1 << 14;
/// FLASH_SR.OPTVERR: option validity error (set at option load when a value/complement pair
/// does not match).
pub const FLASH_SR_OPTVERR: u32 = 1 << 15;
/// FLASH_SR.BSY1: an operation on bank 1 is in progress.
pub const FLASH_SR_BSY1: u32 = 1 << 16;
/// FLASH_SR.BSY2: an operation on bank 2 is in progress.
pub const FLASH_SR_BSY2: u32 = 1 << 17;
/// FLASH_SR.CFGBSY: the programming/erase configuration (PG, PER, MERx, PNB) is in use; HAL-G0
/// `FLASH_WaitForLastOperation` waits for it after BSY1/BSY2 (reference §7).
pub const FLASH_SR_CFGBSY: u32 = 1 << 18;
/// Either bank busy: what OpenOCD waits on in dual-bank mode (`sr_bsy_mask`, reference §7).
pub const FLASH_SR_BSY: u32 = FLASH_SR_BSY1 | FLASH_SR_BSY2;
/// Everything a complete wait must see clear: BSY1, BSY2 and CFGBSY.
pub const FLASH_SR_ANY_BUSY: u32 = FLASH_SR_BSY | FLASH_SR_CFGBSY;

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

/// The FLASH_SR flags with their RM0444 names, for messages.
pub const FLASH_SR_FLAG_NAMES: [(u32, &str); 14] = [
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
    (FLASH_SR_BSY1, "BSY1"),
    (FLASH_SR_BSY2, "BSY2"),
    (FLASH_SR_CFGBSY, "CFGBSY"),
];

/// Names of the FLASH_SR flags set in `sr`, in bit order.
pub fn flash_sr_flag_names(sr: u32) -> Vec<&'static str> {
    FLASH_SR_FLAG_NAMES
        .iter()
        .filter(|(bit, _)| sr & bit != 0)
        .map(|&(_, name)| name)
        .collect()
}

/// The busy flag of an operation on `bank`.
pub fn flash_sr_bsy_of(bank: PhysicalBank) -> u32 {
    match bank {
        PhysicalBank::Bank1 => FLASH_SR_BSY1,
        PhysicalBank::Bank2 => FLASH_SR_BSY2,
    }
}

// ---------------------------------------------------------------------------------------------
// FLASH_CR (CMSIS `FLASH_CR_*_Pos`).
// ---------------------------------------------------------------------------------------------

/// FLASH_CR.PG: programming.
pub const FLASH_CR_PG: u32 = 1 << 0;
/// FLASH_CR.PER: page erase.
pub const FLASH_CR_PER: u32 = 1 << 1;
/// FLASH_CR.MER1: mass erase of **physical** bank 1.
pub const FLASH_CR_MER1: u32 = 1 << 2;
/// Position of FLASH_CR.PNB, the page number.
pub const FLASH_CR_PNB_POS: u32 = 3;
/// Width of FLASH_CR.PNB on G0 (10 bits; 7 on G4, 8 on L4).
pub const FLASH_CR_PNB_WIDTH: u32 = 10;
/// FLASH_CR.PNB mask (bits 12:3).
pub const FLASH_CR_PNB: u32 = ((1 << FLASH_CR_PNB_WIDTH) - 1) << FLASH_CR_PNB_POS;
/// FLASH_CR.BKER: page erase in **physical** bank 2 (bit 13 on G0; bit 11 on G4). It names the
/// silicon bank, not the address window: with nSWAP_BANK = 0 the bank at 0x0800_0000 is
/// erased with BKER = 1 (reference §7, apache/nuttx#20054).
pub const FLASH_CR_BKER: u32 = 1 << 13;
/// FLASH_CR.MER2: mass erase of **physical** bank 2.
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
/// FLASH_CR.RDERRIE: PCROP read error interrupt enable (not on G0B0).
pub const FLASH_CR_RDERRIE: u32 = 1 << 26;
/// FLASH_CR.OBL_LAUNCH: load the option bytes — **resets the chip** and drops the debug link.
pub const FLASH_CR_OBL_LAUNCH: u32 = 1 << 27;
/// FLASH_CR.SEC_PROT: bank 1 securable area protection (not on G0B0).
pub const FLASH_CR_SEC_PROT: u32 = 1 << 28;
/// FLASH_CR.SEC_PROT2: bank 2 securable area protection (not on G0B0).
pub const FLASH_CR_SEC_PROT2: u32 = 1 << 29;
/// FLASH_CR.OPTLOCK: option registers locked.
pub const FLASH_CR_OPTLOCK: u32 = 1 << 30;
/// FLASH_CR.LOCK: FLASH_CR locked.
pub const FLASH_CR_LOCK: u32 = 1 << 31;

/// Bank 2's pages are numbered from 256 in FLASH_CR.PNB, whatever the bank size: page `k` of
/// physical bank 2 is erased with PNB = 256 + k and BKER = 1. Not in the reference sheet: BMP-G0
/// (`FLASH_BANK2_START_PAGE 256`) and Zephyr's G0 driver ("Dual bank device's bank 2 starts
/// from page 256") both do so; HAL-G0 passes the caller's page number unchanged. What the
/// chip does with BKER = 1 and PNB < 256 is UNVERIFIED.
pub const FLASH_CR_PNB_BANK2_FIRST: u32 = 256;

/// The FLASH_CR.PNB value of page `page` (counted inside its bank) of `bank`.
pub fn pnb_of(bank: PhysicalBank, page: u32) -> u32 {
    match bank {
        PhysicalBank::Bank1 => page,
        PhysicalBank::Bank2 => FLASH_CR_PNB_BANK2_FIRST + page,
    }
}

/// FLASH_CR bits for erasing page `page` (counted inside its bank) of **physical** bank
/// `bank`: PER | PNB | BKER. STRT is written separately, after these are set. A page number
/// too large for PNB is cut to the field and cannot spill into BKER.
pub fn page_erase_bits(bank: PhysicalBank, page: u32) -> u32 {
    let bker = match bank {
        PhysicalBank::Bank1 => 0,
        PhysicalBank::Bank2 => FLASH_CR_BKER,
    };
    FLASH_CR_PER | ((pnb_of(bank, page) << FLASH_CR_PNB_POS) & FLASH_CR_PNB) | bker
}

/// FLASH_CR bit for a mass erase of **physical** bank `bank` (MER1 or MER2). STRT is written
/// separately.
pub fn mass_erase_bit(bank: PhysicalBank) -> u32 {
    match bank {
        PhysicalBank::Bank1 => FLASH_CR_MER1,
        PhysicalBank::Bank2 => FLASH_CR_MER2,
    }
}

// ---------------------------------------------------------------------------------------------
// DBG (the G0's debug MCU block), RCC's debug clock, identity, system memory.
// ---------------------------------------------------------------------------------------------

/// Base of the debug MCU block (`DBG_BASE` = APBPERIPH_BASE + 0x15800).
pub const DBG_BASE: u32 = 0x4001_5800;
/// DBG_IDCODE: DEV_ID bits 11:0, REV_ID bits 31:16 (reference §0: **0x4001_5800**, not the
/// 0xE004_2000 of F7/G4).
pub const DBG_IDCODE: u32 = DBG_BASE;
/// DBG_IDCODE.DEV_ID mask.
pub const DBG_IDCODE_DEV_ID: u32 = 0xFFF;
/// DBG_CR: debug in low-power modes.
pub const DBG_CR: u32 = DBG_BASE + 0x04;
/// DBG_CR.DBG_STOP.
pub const DBG_CR_DBG_STOP: u32 = 1 << 1;
/// DBG_CR.DBG_STANDBY.
pub const DBG_CR_DBG_STANDBY: u32 = 1 << 2;
/// DBG_APB_FZ1: freezes APB peripherals while the core is halted.
pub const DBG_APB_FZ1: u32 = DBG_BASE + 0x08;
/// DBG_APB_FZ1.DBG_WWDG_STOP.
pub const DBG_APB_FZ1_DBG_WWDG_STOP: u32 = 1 << 11;
/// DBG_APB_FZ1.DBG_IWDG_STOP.
pub const DBG_APB_FZ1_DBG_IWDG_STOP: u32 = 1 << 12;
/// DBG_APB_FZ2.
pub const DBG_APB_FZ2: u32 = DBG_BASE + 0x0C;

/// RCC block (`RCC_BASE` = AHBPERIPH_BASE + 0x1000).
pub const RCC_BASE: u32 = 0x4002_1000;
/// RCC_APBENR1: holds DBGEN, the debug block's clock (probe-rs's G0 sequence and BMP set it
/// before touching DBG_CR).
pub const RCC_APBENR1: u32 = RCC_BASE + 0x3C;
/// RCC_APBENR1.DBGEN.
pub const RCC_APBENR1_DBGEN: u32 = 1 << 27;

/// Flash size register (u16, KB), `FLASHSIZE_BASE`.
pub const FLASHSIZE_BASE: u32 = 0x1FFF_75E0;
/// 96-bit unique device ID (`UID_BASE`).
pub const UID_BASE: u32 = 0x1FFF_7590;
/// Package data register (`PACKAGE_BASE`); HAL-G0 reads an undocumented "sales type" in bits
/// 25:24 of the word here to count the banks (reference §7, Zephyr PR #37480).
pub const PACKAGE_BASE: u32 = 0x1FFF_7500;
/// The sales-type field of the word at [`PACKAGE_BASE`] (HAL-G0 `FLASH_SALES_TYPE`).
pub const PACKAGE_SALES_TYPE: u32 = 0x3 << 24;
/// One-time-programmable area: 1 KB at 0x1FFF_7000, programmed in double-words (probe-rs
/// `stm32g0xx_otp`, BMP-G0 `FLASH_OTP_START`/`FLASH_OTP_SIZE`). Permanent.
pub const OTP_BASE: u32 = 0x1FFF_7000;
/// Size of the OTP area.
pub const OTP_SIZE: u32 = 0x400;
/// The stored option bytes (value/complement pairs) start here (reference §3).
pub const OPTION_BYTES_BASE: u32 = 0x1FFF_7800;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_offsets_match_flash_typedef() {
        let expected = [
            (FlashRegister::Acr, 0x4002_2000),
            (FlashRegister::Keyr, 0x4002_2008),
            (FlashRegister::Optkeyr, 0x4002_200C),
            (FlashRegister::Sr, 0x4002_2010),
            (FlashRegister::Cr, 0x4002_2014),
            (FlashRegister::Eccr, 0x4002_2018),
            (FlashRegister::Ecc2r, 0x4002_201C),
            (FlashRegister::Optr, 0x4002_2020),
            (FlashRegister::Pcrop1asr, 0x4002_2024),
            (FlashRegister::Pcrop1aer, 0x4002_2028),
            (FlashRegister::Wrp1ar, 0x4002_202C),
            (FlashRegister::Wrp1br, 0x4002_2030),
            (FlashRegister::Pcrop1bsr, 0x4002_2034),
            (FlashRegister::Pcrop1ber, 0x4002_2038),
            (FlashRegister::Pcrop2asr, 0x4002_2044),
            (FlashRegister::Pcrop2aer, 0x4002_2048),
            (FlashRegister::Wrp2ar, 0x4002_204C),
            (FlashRegister::Wrp2br, 0x4002_2050),
            (FlashRegister::Pcrop2bsr, 0x4002_2054),
            (FlashRegister::Pcrop2ber, 0x4002_2058),
            (FlashRegister::Secr, 0x4002_2080),
        ];
        assert_eq!(expected.len(), FlashRegister::ALL.len());
        for (reg, address) in expected {
            assert_eq!(reg.address(), address, "{reg}");
            assert_eq!(FlashRegister::from_offset(reg.offset()), Some(reg));
            assert_eq!(FlashRegister::from_name(reg.name()), Some(reg));
            assert_eq!(FlashRegister::from_name(&reg.name()[6..]), Some(reg));
            assert!(reg.name().starts_with("FLASH_"));
        }
        // No PDKEYR on G0, and the gaps are empty.
        for gap in [0x04, 0x3C, 0x40, 0x5C, 0x70, 0x74, 0x7C, 0x84] {
            assert_eq!(FlashRegister::from_offset(gap), None, "{gap:#x}");
        }
        assert_eq!(FlashRegister::from_name("FLASH_PDKEYR"), None);
        assert_eq!(FlashRegister::from_name("SEC1R"), None, "that is the G4's");
    }

    #[test]
    fn option_registers_and_their_presence() {
        assert_eq!(FlashRegister::OPTIONS.len(), 14);
        assert_eq!(
            FlashRegister::OPTIONS.len() * 4,
            0x38,
            "probe-rs db_opt range"
        );
        let option_count = FlashRegister::ALL.iter().filter(|r| r.is_option()).count();
        assert_eq!(option_count, 14);
        assert!(!FlashRegister::Cr.is_option());
        let on_b0: Vec<FlashRegister> = FlashRegister::OPTIONS
            .into_iter()
            .filter(|r| r.exists_on(G0Line::G0B0))
            .collect();
        assert_eq!(
            on_b0,
            vec![
                FlashRegister::Optr,
                FlashRegister::Wrp1ar,
                FlashRegister::Wrp1br,
                FlashRegister::Wrp2ar,
                FlashRegister::Wrp2br
            ]
        );
        assert_eq!(on_b0.len() * 4, 0x14, "probe-rs stm32g0x0_db_opt range");
        for line in [G0Line::G0B1, G0Line::G0C1] {
            assert!(FlashRegister::ALL.iter().all(|r| r.exists_on(line)));
        }
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
        assert_eq!(FLASH_CR_PNB, 0x0000_1FF8);
        assert_eq!(FLASH_CR_BKER, 0x0000_2000);
        assert_eq!(FLASH_CR_MER2, 0x0000_8000);
        assert_eq!(FLASH_CR_STRT, 0x0001_0000);
        assert_eq!(FLASH_CR_OPTSTRT, 0x0002_0000);
        assert_eq!(FLASH_CR_OBL_LAUNCH, 0x0800_0000);
        assert_eq!(FLASH_CR_OPTLOCK, 0x4000_0000);
        assert_eq!(FLASH_CR_LOCK, 0x8000_0000);
        // BKER sits right above the 10-bit PNB; the G4's bit 11 is inside the G0's PNB.
        assert_eq!(FLASH_CR_PNB & FLASH_CR_BKER, 0);
        assert_ne!(FLASH_CR_PNB & (1 << 11), 0);
    }

    #[test]
    fn page_erase_encoding_names_the_physical_bank() {
        use PhysicalBank::{Bank1, Bank2};
        assert_eq!(page_erase_bits(Bank1, 0), FLASH_CR_PER);
        assert_eq!(page_erase_bits(Bank1, 255), FLASH_CR_PER | (255 << 3));
        assert_eq!(
            page_erase_bits(Bank2, 0),
            FLASH_CR_PER | (256 << 3) | FLASH_CR_BKER
        );
        assert_eq!(
            page_erase_bits(Bank2, 127),
            FLASH_CR_PER | (383 << 3) | FLASH_CR_BKER
        );
        assert_eq!(pnb_of(Bank2, 5), 261);
        // An out-of-range page number cannot spill into BKER or MER2.
        assert_eq!(page_erase_bits(Bank1, 0xFFFF) & !FLASH_CR_PNB, FLASH_CR_PER);
        assert_eq!(mass_erase_bit(Bank1), FLASH_CR_MER1);
        assert_eq!(mass_erase_bit(Bank2), FLASH_CR_MER2);
    }

    #[test]
    fn sr_bits_and_names() {
        assert_eq!(FLASH_SR_BSY1, 0x0001_0000);
        assert_eq!(FLASH_SR_BSY2, 0x0002_0000);
        assert_eq!(FLASH_SR_CFGBSY, 0x0004_0000);
        assert_eq!(FLASH_SR_ANY_BUSY, 0x0007_0000);
        assert_eq!(FLASH_SR_OPTVERR, 0x0000_8000);
        assert_eq!(FLASH_SR_PROGRAM_ERRORS, 0xFA);
        assert_eq!(FLASH_SR_W1C & FLASH_SR_ANY_BUSY, 0);
        assert_eq!(
            flash_sr_flag_names(0x0006_8010),
            vec!["WRPERR", "OPTVERR", "BSY2", "CFGBSY"]
        );
        assert!(flash_sr_flag_names(1 << 2).is_empty(), "bit 2 is reserved");
        assert_eq!(flash_sr_bsy_of(PhysicalBank::Bank1), FLASH_SR_BSY1);
        assert_eq!(flash_sr_bsy_of(PhysicalBank::Bank2), FLASH_SR_BSY2);
    }

    #[test]
    fn identity_and_debug_addresses() {
        assert_eq!(DBG_IDCODE, 0x4001_5800);
        assert_eq!(DBG_CR, 0x4001_5804);
        assert_eq!(DBG_APB_FZ1, 0x4001_5808);
        assert_eq!(RCC_APBENR1, 0x4002_103C);
        assert_eq!(RCC_APBENR1_DBGEN, 0x0800_0000);
        assert_eq!(FLASHSIZE_BASE, 0x1FFF_75E0);
        assert_eq!(OPTION_BYTES_BASE, 0x1FFF_7800);
        assert_eq!(OTP_BASE + OTP_SIZE, 0x1FFF_7400);
        assert_eq!(PACKAGE_SALES_TYPE, 0x0300_0000);
        assert_eq!(FLASH_ACR_PROGEMPTY, 0x0001_0000);
    }
}
