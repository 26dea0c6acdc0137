//! Register addresses, bit masks and key values, spelled as in RM0410 / CMSIS.
//!
//! Only what the option-byte engine and the reports need lives here; the simulator keeps its
//! own model of what the hardware *does* with these registers.

// ---------------------------------------------------------------------------------------------
// FLASH interface (RM0410 §3.7), register block at 0x4002_3C00.
// ---------------------------------------------------------------------------------------------

/// Base address of the FLASH register block.
pub const FLASH_BASE: u32 = 0x4002_3C00;
/// FLASH_ACR: access control (latency, ART, prefetch).
pub const FLASH_ACR: u32 = FLASH_BASE;
/// FLASH_KEYR: unlocks FLASH_CR (write-only). Not needed for option programming.
pub const FLASH_KEYR: u32 = FLASH_BASE + 0x04;
/// FLASH_OPTKEYR: unlocks FLASH_OPTCR/FLASH_OPTCR1 (write-only).
pub const FLASH_OPTKEYR: u32 = FLASH_BASE + 0x08;
/// FLASH_SR: status (BSY, write-1-to-clear error flags).
pub const FLASH_SR: u32 = FLASH_BASE + 0x0C;
/// FLASH_CR: main-flash programming control.
pub const FLASH_CR: u32 = FLASH_BASE + 0x10;
/// FLASH_OPTCR: option control (the user option bytes plus OPTLOCK/OPTSTRT).
pub const FLASH_OPTCR: u32 = FLASH_BASE + 0x14;
/// FLASH_OPTCR1: boot addresses BOOT_ADD0/BOOT_ADD1.
pub const FLASH_OPTCR1: u32 = FLASH_BASE + 0x18;

/// The keys are the same in every STM32 family.
pub use crate::chip::keys::{FLASH_KEY1, FLASH_KEY2, FLASH_OPTKEY1, FLASH_OPTKEY2};

/// FLASH_SR.EOP: end of operation (write 1 to clear).
pub const FLASH_SR_EOP: u32 = 1 << 0;
/// FLASH_SR.OPERR: operation error (write 1 to clear).
pub const FLASH_SR_OPERR: u32 = 1 << 1;
/// FLASH_SR.WRPERR: write-protection error (write 1 to clear).
pub const FLASH_SR_WRPERR: u32 = 1 << 4;
/// FLASH_SR.PGAERR: programming alignment error (write 1 to clear).
pub const FLASH_SR_PGAERR: u32 = 1 << 5;
/// FLASH_SR.PGPERR: programming parallelism error (write 1 to clear).
pub const FLASH_SR_PGPERR: u32 = 1 << 6;
/// FLASH_SR.ERSERR: erase sequence error (write 1 to clear).
pub const FLASH_SR_ERSERR: u32 = 1 << 7;
/// FLASH_SR.BSY: a flash or option operation is in progress.
pub const FLASH_SR_BSY: u32 = 1 << 16;
/// Every FLASH_SR error flag of F76x/F77x (RDERR exists only on F72x/F73x).
pub const FLASH_SR_ERRORS: u32 =
    FLASH_SR_OPERR | FLASH_SR_WRPERR | FLASH_SR_PGAERR | FLASH_SR_PGPERR | FLASH_SR_ERSERR;

/// The FLASH_SR flags with their RM0410 names, for messages.
pub const FLASH_SR_FLAG_NAMES: [(u32, &str); 7] = [
    (FLASH_SR_EOP, "EOP"),
    (FLASH_SR_OPERR, "OPERR"),
    (FLASH_SR_WRPERR, "WRPERR"),
    (FLASH_SR_PGAERR, "PGAERR"),
    (FLASH_SR_PGPERR, "PGPERR"),
    (FLASH_SR_ERSERR, "ERSERR"),
    (FLASH_SR_BSY, "BSY"),
];

/// Names of the FLASH_SR flags set in `sr`, e.g. `["WRPERR", "BSY"]`.
pub fn flash_sr_flag_names(sr: u32) -> Vec<&'static str> {
    FLASH_SR_FLAG_NAMES
        .iter()
        .filter(|(bit, _)| sr & bit != 0)
        .map(|&(_, name)| name)
        .collect()
}

/// FLASH_OPTCR.OPTLOCK: 1 = FLASH_OPTCR/FLASH_OPTCR1 are locked.
pub const FLASH_OPTCR_OPTLOCK: u32 = 1 << 0;
/// FLASH_OPTCR.OPTSTRT: write 1 to program the option bytes; cleared by hardware with BSY.
pub const FLASH_OPTCR_OPTSTRT: u32 = 1 << 1;
/// The two control bits of FLASH_OPTCR that are not option bytes.
pub const FLASH_OPTCR_CONTROL: u32 = FLASH_OPTCR_OPTLOCK | FLASH_OPTCR_OPTSTRT;

/// FLASH_CR.SER: sector erase.
pub const FLASH_CR_SER: u32 = 1 << 1;
/// FLASH_CR.MER: mass erase (bank 1, or the whole array in single-bank mode).
pub const FLASH_CR_MER: u32 = 1 << 2;
/// FLASH_CR.SNB: sector number, bits 7:3 (bank-2 sectors carry the 0x10 bit).
pub const FLASH_CR_SNB_SHIFT: u32 = 3;
/// FLASH_CR.SNB field mask.
pub const FLASH_CR_SNB_MASK: u32 = 0x1F << FLASH_CR_SNB_SHIFT;
/// FLASH_CR.PSIZE = 0b10: x32 parallelism (VDD 2.7–3.6 V), the width erases run at.
pub const FLASH_CR_PSIZE_X32: u32 = 0b10 << 8;
/// FLASH_CR.MER2: mass erase of bank 2 (dual-bank mode).
pub const FLASH_CR_MER2: u32 = 1 << 15;
/// FLASH_CR.STRT: starts the selected erase.
pub const FLASH_CR_STRT: u32 = 1 << 16;
/// FLASH_CR.LOCK: 1 = FLASH_CR is locked (set by software, cleared by the FLASH_KEYR sequence).
pub const FLASH_CR_LOCK: u32 = 1 << 31;

// ---------------------------------------------------------------------------------------------
// DBGMCU (RM0410 §40.16).
// ---------------------------------------------------------------------------------------------

/// DBGMCU_IDCODE: DEV_ID in bits 11:0, REV_ID in bits 31:16.
pub const DBGMCU_IDCODE: u32 = 0xE004_2000;
/// DBGMCU_CR: debug in low-power modes.
pub const DBGMCU_CR: u32 = 0xE004_2004;
/// DBGMCU_APB1_FZ: freezes APB1 peripherals (incl. the watchdogs) while the core is halted.
pub const DBGMCU_APB1_FZ: u32 = 0xE004_2008;
/// DBGMCU_APB1_FZ.DBG_WWDG_STOP: window watchdog stopped while the core is halted.
pub const DBGMCU_APB1_FZ_DBG_WWDG_STOP: u32 = 1 << 11;
/// DBGMCU_APB1_FZ.DBG_IWDG_STOP: independent watchdog stopped while the core is halted.
pub const DBGMCU_APB1_FZ_DBG_IWDG_STOP: u32 = 1 << 12;

/// DEV_ID field of DBGMCU_IDCODE.
pub fn dbgmcu_dev_id(idcode: u32) -> u16 {
    (idcode & 0xFFF) as u16
}

/// REV_ID field of DBGMCU_IDCODE.
pub fn dbgmcu_rev_id(idcode: u32) -> u16 {
    (idcode >> 16) as u16
}

// ---------------------------------------------------------------------------------------------
// System memory: identity and the option bytes themselves.
// ---------------------------------------------------------------------------------------------

/// Flash size register (u16, KB) of F74x/F75x and F76x/F77x (CMSIS `FLASHSIZE_BASE`).
pub const FLASHSIZE_BASE: u32 = 0x1FF0_F442;
/// Flash size register of F72x/F73x — a different address (0x1FF0_7A22, not 0x1FF0_F7A22).
pub const FLASHSIZE_BASE_F72X: u32 = 0x1FF0_7A22;
/// 96-bit unique device ID.
pub const UID_BASE: u32 = 0x1FF0_F420;
/// The user option bytes as stored (value/complement pairs), RM0410 §3.4.
pub const OPTION_BYTES_BASE: u32 = 0x1FFF_0000;
/// Length of the user option-byte area in bytes.
pub const OPTION_BYTES_LEN: u32 = 0x20;
/// System memory on the AXI bus (bootloader, OTP, unique ID, flash size, package): read-only
/// except the OTP area, which the FLASH controller programs once (RM0410 §3.3, table 5).
pub const SYSTEM_MEMORY_BASE: u32 = 0x1FF0_0000;
/// One past the system-memory block on the AXI bus.
pub const SYSTEM_MEMORY_END: u32 = 0x1FF1_0000;
/// The same system memory seen through the ITCM interface (HAL `OB_BOOTADDR_SYSTEM`).
pub const SYSTEM_MEMORY_ITCM_BASE: u32 = 0x0010_0000;
/// The OTP area: 16 blocks of 64 bytes, one-time programmable (RM0410 §3.3; CMSIS `FLASH_OTP_BASE`).
pub const OTP_BASE: u32 = 0x1FF0_F000;
/// The OTP lock bytes, one per block: programming one locks its block for good.
pub const OTP_LOCK_BASE: u32 = 0x1FF0_F400;
/// One past the OTP area and its lock bytes (CMSIS `FLASH_OTP_END` is 0x1FF0_F41F).
pub const OTP_END: u32 = 0x1FF0_F420;

// ---------------------------------------------------------------------------------------------
// Cortex-M7 system control.
// ---------------------------------------------------------------------------------------------

/// AIRCR (reset is done through probe-rs, which writes VECTKEY | SYSRESETREQ here).
pub const SCB_AIRCR: u32 = 0xE000_ED0C;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flash_register_offsets() {
        assert_eq!(FLASH_ACR, 0x4002_3C00);
        assert_eq!(FLASH_KEYR, 0x4002_3C04);
        assert_eq!(FLASH_OPTKEYR, 0x4002_3C08);
        assert_eq!(FLASH_SR, 0x4002_3C0C);
        assert_eq!(FLASH_CR, 0x4002_3C10);
        assert_eq!(FLASH_OPTCR, 0x4002_3C14);
        assert_eq!(FLASH_OPTCR1, 0x4002_3C18);
    }

    #[test]
    fn keys() {
        assert_eq!(FLASH_OPTKEY1, 0x0819_2A3B);
        assert_eq!(FLASH_OPTKEY2, 0x4C5D_6E7F);
        assert_eq!(FLASH_KEY1, 0x4567_0123);
        assert_eq!(FLASH_KEY2, 0xCDEF_89AB);
    }

    #[test]
    fn sr_error_mask_matches_tools() {
        // OpenOCD FLASH_ERROR and BMP's 0xF2: bits 7,6,5,4,1.
        assert_eq!(FLASH_SR_ERRORS, 0xF2);
        assert_eq!(FLASH_SR_BSY, 0x1_0000);
    }

    #[test]
    fn sr_flag_names() {
        assert_eq!(flash_sr_flag_names(0), Vec::<&str>::new());
        assert_eq!(flash_sr_flag_names(0x1_0010), vec!["WRPERR", "BSY"]);
        assert_eq!(
            flash_sr_flag_names(0x1_00F3),
            vec!["EOP", "OPERR", "WRPERR", "PGAERR", "PGPERR", "ERSERR", "BSY"]
        );
        // Reserved bits are not named.
        assert_eq!(flash_sr_flag_names(0x0000_0100), Vec::<&str>::new());
    }

    #[test]
    fn idcode_fields() {
        assert_eq!(dbgmcu_dev_id(0x1000_6451), 0x451);
        assert_eq!(dbgmcu_rev_id(0x1000_6451), 0x1000);
        assert_eq!(dbgmcu_dev_id(0x1001_0449), 0x449);
        assert_eq!(dbgmcu_rev_id(0x1001_0449), 0x1001);
    }

    #[test]
    fn dbgmcu_freeze_bits() {
        assert_eq!(DBGMCU_APB1_FZ, 0xE004_2008);
        assert_eq!(
            DBGMCU_APB1_FZ_DBG_WWDG_STOP | DBGMCU_APB1_FZ_DBG_IWDG_STOP,
            0x1800
        );
    }

    #[test]
    fn system_memory_addresses() {
        assert_eq!(FLASHSIZE_BASE, 0x1FF0_F442);
        assert_eq!(OPTION_BYTES_BASE, 0x1FFF_0000);
        assert_eq!(OPTION_BYTES_LEN, 32);
        assert_eq!(OTP_LOCK_BASE - OTP_BASE, 16 * 64);
        const { assert!(SYSTEM_MEMORY_BASE <= OTP_BASE && OTP_END <= SYSTEM_MEMORY_END) };
        assert_eq!(OTP_END, UID_BASE);
        assert_eq!(SYSTEM_MEMORY_END - SYSTEM_MEMORY_BASE, 0x1_0000);
    }
}
