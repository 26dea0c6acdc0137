//! The simulated H743's register facts as the model knows them, written from the reference
//! (`stm32-families.md` §0, §9) and the CMSIS-H7 bit names it cites — on purpose **not** taken
//! from `src/chip/h7`, so that a misunderstanding shared by the engine and the model shows up
//! as a failing test.

/// FLASH register offsets from 0x5200_2000. Bank 2's copies are 0x100 above bank 1's.
pub mod reg {
    pub const ACR: u32 = 0x00;
    pub const KEYR1: u32 = 0x04;
    pub const OPTKEYR: u32 = 0x08;
    pub const CR1: u32 = 0x0C;
    pub const SR1: u32 = 0x10;
    pub const CCR1: u32 = 0x14;
    pub const OPTCR: u32 = 0x18;
    pub const OPTSR_CUR: u32 = 0x1C;
    pub const OPTSR_PRG: u32 = 0x20;
    pub const OPTCCR: u32 = 0x24;
    pub const PRAR_CUR1: u32 = 0x28;
    pub const PRAR_PRG1: u32 = 0x2C;
    pub const SCAR_CUR1: u32 = 0x30;
    pub const SCAR_PRG1: u32 = 0x34;
    pub const WPSN_CUR1: u32 = 0x38;
    pub const WPSN_PRG1: u32 = 0x3C;
    pub const BOOT_CUR: u32 = 0x40;
    pub const BOOT_PRG: u32 = 0x44;
    /// Bank 2's KEYR/CR/SR/CCR/PRAR/SCAR/WPSN sit this far above bank 1's.
    pub const BANK2: u32 = 0x100;
    /// The decoded block (up to ECC_FA2 at +0x160).
    pub const BLOCK_LEN: u32 = 0x400;
}

/// Unlock keys (the same on every STM32, reference §0).
pub mod key {
    pub const KEY1: u32 = 0x4567_0123;
    pub const KEY2: u32 = 0xCDEF_89AB;
    pub const OPTKEY1: u32 = 0x0819_2A3B;
    pub const OPTKEY2: u32 = 0x4C5D_6E7F;
}

/// FLASH_CRx bits.
pub mod cr {
    pub const LOCK: u32 = 1 << 0;
    pub const PG: u32 = 1 << 1;
    pub const SER: u32 = 1 << 2;
    pub const BER: u32 = 1 << 3;
    pub const PSIZE: u32 = 0b11 << 4;
    pub const FW: u32 = 1 << 6;
    pub const START: u32 = 1 << 7;
    pub const SNB_SHIFT: u32 = 8;
    pub const SNB: u32 = 0b111 << SNB_SHIFT;
    pub const CRC_EN: u32 = 1 << 15;
    /// EOPIE … CRCRDERRIE (bits 28:16, 20 reserved): held, not acted on.
    pub const INTERRUPT_ENABLES: u32 = 0x1FEF_0000;
    /// Bits the register holds; FW and START are triggers.
    pub const STORED: u32 = LOCK | PG | SER | BER | PSIZE | SNB | CRC_EN | INTERRUPT_ENABLES;
}

/// FLASH_SRx bits. Flags clear through FLASH_CCRx (same positions), not by writing SRx.
pub mod sr {
    pub const BSY: u32 = 1 << 0;
    pub const WBNE: u32 = 1 << 1;
    pub const QW: u32 = 1 << 2;
    pub const EOP: u32 = 1 << 16;
    pub const WRPERR: u32 = 1 << 17;
    pub const PGSERR: u32 = 1 << 18;
    pub const STRBERR: u32 = 1 << 19;
    pub const INCERR: u32 = 1 << 21;
    pub const OPERR: u32 = 1 << 22;
    pub const RDPERR: u32 = 1 << 23;
    pub const RDSERR: u32 = 1 << 24;
    pub const SNECCERR: u32 = 1 << 25;
    pub const DBECCERR: u32 = 1 << 26;
    pub const CRCEND: u32 = 1 << 27;
    pub const CRCRDERR: u32 = 1 << 28;
    /// What FLASH_CCRx clears.
    pub const CLEARABLE: u32 = EOP
        | WRPERR
        | PGSERR
        | STRBERR
        | INCERR
        | OPERR
        | RDPERR
        | RDSERR
        | SNECCERR
        | DBECCERR
        | CRCEND
        | CRCRDERR;
}

/// FLASH_OPTCR bits.
pub mod optcr {
    pub const OPTLOCK: u32 = 1 << 0;
    pub const OPTSTART: u32 = 1 << 1;
    pub const MER: u32 = 1 << 4;
    pub const OPTCHANGEERRIE: u32 = 1 << 30;
    /// Read-only: the mapping in force.
    pub const SWAP_BANK: u32 = 1 << 31;
}

/// FLASH_OPTSR bits.
pub mod optsr {
    /// Status (OPTSR_CUR only).
    pub const OPT_BUSY: u32 = 1 << 0;
    pub const BOR_LEV: u32 = 0b11 << 2;
    pub const IWDG1_SW: u32 = 1 << 4;
    pub const NRST_STOP_D1: u32 = 1 << 6;
    pub const NRST_STBY_D1: u32 = 1 << 7;
    pub const RDP_SHIFT: u32 = 8;
    pub const RDP: u32 = 0xFF << RDP_SHIFT;
    pub const FZ_IWDG_STOP: u32 = 1 << 17;
    pub const FZ_IWDG_SDBY: u32 = 1 << 18;
    pub const ST_RAM_SIZE: u32 = 0b11 << 19;
    pub const SECURITY: u32 = 1 << 21;
    pub const IO_HSLV: u32 = 1 << 29;
    /// Status (OPTSR_CUR only).
    pub const OPTCHANGEERR: u32 = 1 << 30;
    pub const SWAP_BANK_OPT: u32 = 1 << 31;
    /// The option bits of a single-core part: what OPTSR_PRG holds. The dual-core bits (5,
    /// 22–25) and the reserved ones read 0 and ignore writes (UNVERIFIED).
    pub const PROGRAMMABLE: u32 = BOR_LEV
        | IWDG1_SW
        | NRST_STOP_D1
        | NRST_STBY_D1
        | RDP
        | FZ_IWDG_STOP
        | FZ_IWDG_SDBY
        | ST_RAM_SIZE
        | SECURITY
        | IO_HSLV
        | SWAP_BANK_OPT;
}

/// FLASH_OPTCCR.CLR_OPTCHANGEERR.
pub const OPTCCR_CLR_OPTCHANGEERR: u32 = 1 << 30;

/// Writable bits of the area and protection registers.
pub mod optmask {
    /// PRAR/SCAR: START 11:0, END 27:16, DMEP/DMES 31.
    pub const AREA: u32 = 0x8FFF_0FFF;
    /// WPSN: WRPSN 7:0 (0 = sector protected).
    pub const WPSN: u32 = 0xFF;
    /// BOOT: BOOT_ADD0 15:0, BOOT_ADD1 31:16.
    pub const BOOT: u32 = 0xFFFF_FFFF;
}

/// RDP bytes (reference §9: L0 0xAA, L2 0xCC, anything else L1).
pub mod rdp {
    pub const LEVEL0: u8 = 0xAA;
    pub const LEVEL2: u8 = 0xCC;
}
