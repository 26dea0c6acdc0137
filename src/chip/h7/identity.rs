//! Where an STM32H74x/H75x tells who it is: DBGMCU_IDCODE in its two views, the flash size
//! register and the unique ID (reference §0, §9; CMSIS-H7 `stm32h743xx.h` for the DBGMCU
//! block layout and bits).
//!
//! The DBGMCU block has two addresses. The CPU reaches it at 0x5C00_1000; a debugger reaches it
//! at **0xE00E_1000 through access port 2** (the system debug APB), which is how probe-rs 0.32's
//! STM32H7 sequence writes DBGMCU_CR at attach (PRS-H7SEQ). The core's AHB-AP (AP 0) is not the
//! way to read DEV_ID on this family. probe-rs also writes DBGMCU_CR through the core's own
//! memory interface when it stops the core's debug (`debug_core_stop`); whether AP 0 reaches
//! 0xE00E_1000 on silicon is not stated in the sources read (UNVERIFIED).

/// DEV_ID of STM32H74x/H75x, dual-core H745/H747/H755/H757 included (OOCD-H7).
pub const DEV_ID_H74X: u16 = 0x450;
/// DEV_ID of STM32H7A/H7B (not this module's parts).
pub const DEV_ID_H7AX: u16 = 0x480;
/// DEV_ID of STM32H72x/H73x: one bank, no swap (not this module's parts).
pub const DEV_ID_H72X: u16 = 0x483;

/// DBGMCU block, CPU view (`DBGMCU_BASE`).
pub const DBGMCU_BASE_CPU: u32 = 0x5C00_1000;
/// DBGMCU block, debugger view on the system debug bus.
pub const DBGMCU_BASE_DEBUG: u32 = 0xE00E_1000;
/// The access port the debugger reaches [`DBGMCU_BASE_DEBUG`] through (probe-rs `Stm32h7Line::H7`).
pub const DBGMCU_ACCESS_PORT: u8 = 2;
/// The access port of the Cortex-M7 core (probe-rs target description: `ap: !v1 0`).
pub const CORE_ACCESS_PORT: u8 = 0;

/// A DBGMCU register, by offset from either base (CMSIS `DBGMCU_TypeDef`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DbgmcuRegister {
    /// DBGMCU_IDCODE: REV_ID 31:16, DEV_ID 11:0.
    Idcode,
    /// DBGMCU_CR: debug in low-power modes, debug clocks.
    Cr,
    /// DBGMCU_APB3FZ1: WWDG1 freeze.
    Apb3fz1,
    /// DBGMCU_APB1LFZ1.
    Apb1lfz1,
    /// DBGMCU_APB1HFZ1.
    Apb1hfz1,
    /// DBGMCU_APB2FZ1.
    Apb2fz1,
    /// DBGMCU_APB4FZ1: IWDG1 freeze.
    Apb4fz1,
}

impl DbgmcuRegister {
    /// Every register, in offset order.
    pub const ALL: [DbgmcuRegister; 7] = [
        DbgmcuRegister::Idcode,
        DbgmcuRegister::Cr,
        DbgmcuRegister::Apb3fz1,
        DbgmcuRegister::Apb1lfz1,
        DbgmcuRegister::Apb1hfz1,
        DbgmcuRegister::Apb2fz1,
        DbgmcuRegister::Apb4fz1,
    ];

    /// Offset from the block's base.
    pub const fn offset(self) -> u32 {
        match self {
            DbgmcuRegister::Idcode => 0x00,
            DbgmcuRegister::Cr => 0x04,
            DbgmcuRegister::Apb3fz1 => 0x34,
            DbgmcuRegister::Apb1lfz1 => 0x3C,
            DbgmcuRegister::Apb1hfz1 => 0x44,
            DbgmcuRegister::Apb2fz1 => 0x4C,
            DbgmcuRegister::Apb4fz1 => 0x54,
        }
    }

    /// Address in the CPU's view.
    pub const fn cpu_address(self) -> u32 {
        DBGMCU_BASE_CPU + self.offset()
    }

    /// Address in the debugger's view (through [`DBGMCU_ACCESS_PORT`]).
    pub const fn debug_address(self) -> u32 {
        DBGMCU_BASE_DEBUG + self.offset()
    }

    /// RM0433 name.
    pub fn name(self) -> &'static str {
        match self {
            DbgmcuRegister::Idcode => "DBGMCU_IDCODE",
            DbgmcuRegister::Cr => "DBGMCU_CR",
            DbgmcuRegister::Apb3fz1 => "DBGMCU_APB3FZ1",
            DbgmcuRegister::Apb1lfz1 => "DBGMCU_APB1LFZ1",
            DbgmcuRegister::Apb1hfz1 => "DBGMCU_APB1HFZ1",
            DbgmcuRegister::Apb2fz1 => "DBGMCU_APB2FZ1",
            DbgmcuRegister::Apb4fz1 => "DBGMCU_APB4FZ1",
        }
    }

    /// The register at `offset` from either base.
    pub fn from_offset(offset: u32) -> Option<DbgmcuRegister> {
        DbgmcuRegister::ALL
            .into_iter()
            .find(|r| r.offset() == offset)
    }
}

/// DBGMCU_IDCODE.DEV_ID mask (bits 11:0).
pub const DBGMCU_IDCODE_DEV_ID: u32 = 0xFFF;
/// Position of DBGMCU_IDCODE.REV_ID (bits 31:16).
pub const DBGMCU_IDCODE_REV_ID_POS: u32 = 16;

/// DEV_ID of an IDCODE word.
pub fn dev_id(idcode: u32) -> u16 {
    (idcode & DBGMCU_IDCODE_DEV_ID) as u16
}

/// REV_ID of an IDCODE word.
pub fn rev_id(idcode: u32) -> u16 {
    (idcode >> DBGMCU_IDCODE_REV_ID_POS) as u16
}

/// DBGMCU_CR.DBG_SLEEPD1: debug in D1 Sleep.
pub const DBGMCU_CR_DBG_SLEEPD1: u32 = 1 << 0;
/// DBGMCU_CR.DBG_STOPD1: debug in D1 Stop.
pub const DBGMCU_CR_DBG_STOPD1: u32 = 1 << 1;
/// DBGMCU_CR.DBG_STANDBYD1: debug in D1 Standby.
pub const DBGMCU_CR_DBG_STANDBYD1: u32 = 1 << 2;
/// DBGMCU_CR.DBG_TRACECKEN: trace clock enable.
pub const DBGMCU_CR_DBG_TRACECKEN: u32 = 1 << 20;
/// DBGMCU_CR.DBG_CKD1EN: D1 debug clock enable.
pub const DBGMCU_CR_DBG_CKD1EN: u32 = 1 << 21;
/// DBGMCU_CR.DBG_CKD3EN: D3 debug clock enable.
pub const DBGMCU_CR_DBG_CKD3EN: u32 = 1 << 22;
/// DBGMCU_CR.DBG_TRGOEN: external trigger output enable.
pub const DBGMCU_CR_DBG_TRGOEN: u32 = 1 << 28;
/// DBGMCU_APB3FZ1.DBG_WWDG1: WWDG1 stopped while the core is halted.
pub const DBGMCU_APB3FZ1_DBG_WWDG1: u32 = 1 << 6;
/// DBGMCU_APB4FZ1.DBG_IWDG1: IWDG1 stopped while the core is halted.
pub const DBGMCU_APB4FZ1_DBG_IWDG1: u32 = 1 << 18;

/// Flash size register (u16, KB), `FLASHSIZE_BASE` (reference §0). CMSIS-H7 reads 0xFFFF and 0
/// as 2 MB and keeps bits 11:0 otherwise (`FLASH_SIZE` macro).
pub const FLASHSIZE_BASE: u32 = 0x1FF1_E880;
/// 96-bit unique device ID (`UID_BASE`).
pub const UID_BASE: u32 = 0x1FF1_E800;
/// System memory (ST bootloader), the default BOOT_ADD1 (0x1FF0 << 16).
pub const SYSTEM_MEMORY_BASE: u32 = 0x1FF0_0000;

/// The flash size in KB a raw flash size register value stands for, as CMSIS-H7 decodes it.
pub fn flash_size_kb(raw: u16) -> u32 {
    match raw {
        0xFFFF | 0 => 2048,
        other => u32::from(other & 0x0FFF),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dbgmcu_in_both_views() {
        assert_eq!(DbgmcuRegister::Idcode.cpu_address(), 0x5C00_1000);
        assert_eq!(DbgmcuRegister::Idcode.debug_address(), 0xE00E_1000);
        assert_eq!(DbgmcuRegister::Cr.debug_address(), 0xE00E_1004);
        assert_eq!(DBGMCU_ACCESS_PORT, 2);
        assert_eq!(CORE_ACCESS_PORT, 0);
        let expected = [
            (DbgmcuRegister::Idcode, 0x00, "DBGMCU_IDCODE"),
            (DbgmcuRegister::Cr, 0x04, "DBGMCU_CR"),
            (DbgmcuRegister::Apb3fz1, 0x34, "DBGMCU_APB3FZ1"),
            (DbgmcuRegister::Apb1lfz1, 0x3C, "DBGMCU_APB1LFZ1"),
            (DbgmcuRegister::Apb1hfz1, 0x44, "DBGMCU_APB1HFZ1"),
            (DbgmcuRegister::Apb2fz1, 0x4C, "DBGMCU_APB2FZ1"),
            (DbgmcuRegister::Apb4fz1, 0x54, "DBGMCU_APB4FZ1"),
        ];
        for (reg, offset, name) in expected {
            assert_eq!((reg.offset(), reg.name()), (offset, name));
            assert_eq!(DbgmcuRegister::from_offset(offset), Some(reg));
            assert_eq!(
                reg.debug_address() - reg.cpu_address(),
                0xE00E_1000 - 0x5C00_1000
            );
        }
        assert_eq!(DbgmcuRegister::from_offset(0x08), None);
    }

    #[test]
    fn idcode_fields() {
        assert_eq!(dev_id(0x2003_6450), DEV_ID_H74X);
        assert_eq!(rev_id(0x2003_6450), 0x2003);
        assert_eq!(dev_id(0x1000_6451), 0x451, "an F7 is not an H7");
        assert_ne!(DEV_ID_H74X, DEV_ID_H7AX);
        assert_ne!(DEV_ID_H74X, DEV_ID_H72X);
    }

    #[test]
    fn dbgmcu_cr_bits() {
        assert_eq!(
            DBGMCU_CR_DBG_SLEEPD1 | DBGMCU_CR_DBG_STOPD1 | DBGMCU_CR_DBG_STANDBYD1,
            0x7
        );
        assert_eq!(
            DBGMCU_CR_DBG_TRACECKEN | DBGMCU_CR_DBG_CKD1EN | DBGMCU_CR_DBG_CKD3EN,
            0x0070_0000
        );
        assert_eq!(DBGMCU_CR_DBG_TRGOEN, 0x1000_0000);
        assert_eq!(DBGMCU_APB3FZ1_DBG_WWDG1, 0x40);
        assert_eq!(DBGMCU_APB4FZ1_DBG_IWDG1, 0x0004_0000);
    }

    #[test]
    fn flash_size_register() {
        assert_eq!(FLASHSIZE_BASE, 0x1FF1_E880);
        assert_eq!(UID_BASE, 0x1FF1_E800);
        assert_eq!(flash_size_kb(2048), 2048);
        assert_eq!(flash_size_kb(1024), 1024);
        assert_eq!(flash_size_kb(128), 128);
        assert_eq!(flash_size_kb(0xFFFF), 2048, "unprogrammed reads as 2 MB");
        assert_eq!(flash_size_kb(0), 2048);
        assert_eq!(flash_size_kb(0xF800), 2048, "bits 15:12 are not the size");
    }
}
