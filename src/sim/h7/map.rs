//! The simulated STM32H743's address map below the private peripheral bus, decoded once into
//! a [`Region`] (reference §0/§9; RAM as probe-rs 0.32's `STM32H7_Series.yaml` lists it for
//! STM32H743ZI; the D2 SRAM alias at 0x1000_0000 and backup SRAM at 0x3880_0000 from CMSIS-H7
//! `D2_AXISRAM_BASE`/`D3_BKPSRAM_BASE`).

/// ITCM RAM.
pub const ITCM: u32 = 0x0000_0000;
pub const ITCM_SIZE: u32 = 64 * 1024;
/// The logical flash windows (bank at 0x0800_0000, bank at 0x0810_0000).
pub const FLASH: u32 = 0x0800_0000;
pub const FLASH_END: u32 = 0x0820_0000;
/// SRAM1–3 seen through the D2 alias (the same memory as at 0x3000_0000).
pub const D2_ALIAS: u32 = 0x1000_0000;
/// System memory (the ST bootloader), an idle loop here, read only. Its size (128 KB) is not
/// in the reference (UNVERIFIED); UID and flash size sit inside it.
pub const SYSTEM_MEMORY: u32 = 0x1FF0_0000;
pub const SYSTEM_MEMORY_SIZE: u32 = 128 * 1024;
/// 96-bit unique device ID.
pub const UID: u32 = 0x1FF1_E800;
/// Flash size in KB (u16), reference §0.
pub const FLASH_SIZE: u32 = 0x1FF1_E880;
/// DTCM RAM.
pub const DTCM: u32 = 0x2000_0000;
pub const DTCM_SIZE: u32 = 128 * 1024;
/// AXI SRAM (where probe-rs loads its flash algorithm, 0x2400_0020).
pub const AXI_SRAM: u32 = 0x2400_0000;
pub const AXI_SRAM_SIZE: u32 = 512 * 1024;
/// SRAM1 (128 KB), SRAM2 (128 KB), SRAM3 (32 KB), contiguous.
pub const SRAM1: u32 = 0x3000_0000;
pub const SRAM123_SIZE: u32 = (128 + 128 + 32) * 1024;
/// SRAM4 (D3).
pub const SRAM4: u32 = 0x3800_0000;
pub const SRAM4_SIZE: u32 = 64 * 1024;
/// Backup SRAM (4 KB). Plain RAM here: its clock and the backup-domain write protection are
/// not modelled.
pub const BACKUP_SRAM: u32 = 0x3880_0000;
pub const BACKUP_SRAM_SIZE: u32 = 4 * 1024;
/// Peripherals: read as zero, ignore writes, except the FLASH and DBGMCU blocks.
pub const PERIPHERALS: u32 = 0x4000_0000;
pub const PERIPHERALS_END: u32 = 0x6000_0000;
/// FLASH registers.
pub const FLASH_REGS: u32 = 0x5200_2000;
pub const FLASH_REGS_LEN: u32 = 0x400;
/// Start of the private peripheral bus (the common Cortex-M debug block).
pub const PPB: u32 = 0xE000_0000;
/// The system debug components on the debugger's AP 2 (ROM table, DBGMCU, trace): the
/// DBGMCU answers, the others read as zero (not modelled).
pub const SYSTEM_DEBUG: u32 = 0xE00E_0000;
pub const SYSTEM_DEBUG_END: u32 = 0xE010_0000;

/// One RAM of the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ram {
    Itcm,
    Dtcm,
    AxiSram,
    /// SRAM1–3, at 0x3000_0000 or through the D2 alias.
    Sram123,
    Sram4,
    BackupSram,
}

impl Ram {
    pub const ALL: [Ram; 6] = [
        Ram::Itcm,
        Ram::Dtcm,
        Ram::AxiSram,
        Ram::Sram123,
        Ram::Sram4,
        Ram::BackupSram,
    ];

    pub fn size(self) -> u32 {
        match self {
            Ram::Itcm => ITCM_SIZE,
            Ram::Dtcm => DTCM_SIZE,
            Ram::AxiSram => AXI_SRAM_SIZE,
            Ram::Sram123 => SRAM123_SIZE,
            Ram::Sram4 => SRAM4_SIZE,
            Ram::BackupSram => BACKUP_SRAM_SIZE,
        }
    }
}

/// Where an address lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// RAM, with the offset inside it.
    Ram(Ram, u32),
    /// The flash windows: the FLASH model maps the address (swap, holes).
    Flash,
    /// System memory, with the offset (UID and flash size inside).
    SystemMemory(u32),
    /// FLASH registers, with the offset.
    FlashRegisters(u32),
    /// DBGMCU (CPU view), with the offset.
    Dbgmcu(u32),
    /// Other peripherals: read as zero.
    Peripheral,
    /// Nothing: bus error.
    Unmapped,
}

/// The region of `address` (below the PPB).
pub fn decode(address: u32) -> Region {
    let within = |base: u32, size: u32| (base..base + size).contains(&address);
    let rams = [
        (ITCM, Ram::Itcm),
        (DTCM, Ram::Dtcm),
        (AXI_SRAM, Ram::AxiSram),
        (SRAM1, Ram::Sram123),
        (D2_ALIAS, Ram::Sram123),
        (SRAM4, Ram::Sram4),
        (BACKUP_SRAM, Ram::BackupSram),
    ];
    if let Some(&(base, ram)) = rams.iter().find(|(base, ram)| within(*base, ram.size())) {
        return Region::Ram(ram, address - base);
    }
    if (FLASH..FLASH_END).contains(&address) {
        Region::Flash
    } else if within(SYSTEM_MEMORY, SYSTEM_MEMORY_SIZE) {
        Region::SystemMemory(address - SYSTEM_MEMORY)
    } else if within(FLASH_REGS, FLASH_REGS_LEN) {
        Region::FlashRegisters(address - FLASH_REGS)
    } else if within(super::dbgmcu::CPU_BASE, super::dbgmcu::BLOCK_LEN) {
        Region::Dbgmcu(address - super::dbgmcu::CPU_BASE)
    } else if (PERIPHERALS..PERIPHERALS_END).contains(&address) {
        Region::Peripheral
    } else {
        Region::Unmapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regions() {
        assert_eq!(decode(0x0000_0000), Region::Ram(Ram::Itcm, 0));
        assert_eq!(decode(0x0000_FFFF), Region::Ram(Ram::Itcm, 0xFFFF));
        assert_eq!(decode(0x0001_0000), Region::Unmapped);
        assert_eq!(decode(0x2001_FFFF), Region::Ram(Ram::Dtcm, 0x1_FFFF));
        assert_eq!(decode(0x2002_0000), Region::Unmapped);
        assert_eq!(decode(0x2400_0020), Region::Ram(Ram::AxiSram, 0x20));
        assert_eq!(decode(0x2408_0000), Region::Unmapped);
        assert_eq!(decode(0x3004_7FFF), Region::Ram(Ram::Sram123, 0x4_7FFF));
        assert_eq!(decode(0x3004_8000), Region::Unmapped);
        assert_eq!(
            decode(0x1000_0004),
            Region::Ram(Ram::Sram123, 4),
            "the D2 alias"
        );
        assert_eq!(decode(0x3800_FFFF), Region::Ram(Ram::Sram4, 0xFFFF));
        assert_eq!(decode(0x3880_0000), Region::Ram(Ram::BackupSram, 0));
        assert_eq!(decode(0x0800_0000), Region::Flash);
        assert_eq!(decode(0x081F_FFFF), Region::Flash);
        assert_eq!(decode(0x0820_0000), Region::Unmapped);
        assert_eq!(decode(0x1FF1_E880), Region::SystemMemory(0x1_E880));
        assert_eq!(decode(0x5200_201C), Region::FlashRegisters(0x1C));
        assert_eq!(decode(0x5200_2110), Region::FlashRegisters(0x110));
        assert_eq!(decode(0x5C00_1000), Region::Dbgmcu(0));
        assert_eq!(decode(0x5802_4400), Region::Peripheral);
        assert_eq!(decode(0x6000_0000), Region::Unmapped);
        assert_eq!(decode(0xD000_0000), Region::Unmapped);
    }
}
