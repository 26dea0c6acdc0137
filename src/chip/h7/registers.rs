//! The FLASH register block of STM32H74x/H75x (RM0433), spelled as ST's CMSIS header
//! `stm32h743xx.h` spells it (`FLASH_TypeDef`, `FLASH_CR_*`, `FLASH_SR_*`, …).
//!
//! Sources: reference §9 for the block, the option registers and their offsets; the bits of
//! FLASH_CR, FLASH_SR and FLASH_CCR, which the reference does not list, were read in the same
//! CMSIS-H7 snapshot the reference cites (`cmsis_device_h7@13ba9da7`, `stm32h743xx.h`).
//!
//! One block serves both banks: bank 1's KEYR/CR/SR/CCR and protection registers sit at the
//! offsets below, **bank 2's copies 0x100 higher**. Each set controls one *physical* bank,
//! whatever the bank swap maps at 0x0800_0000 (see [`super::geometry`]).

use super::geometry::PhysicalBank;

/// Base address of the FLASH register block (`FLASH_R_BASE` = D1_AHB1PERIPH_BASE + 0x2000).
pub const FLASH_BASE: u32 = 0x5200_2000;
/// Offset of bank 2's copy of a bank register from bank 1's (reference §9).
pub const BANK2_REGISTER_OFFSET: u32 = 0x100;
/// Length of the register block as decoded: up to FLASH_ECC_FA2 (+0x160) inclusive.
pub const FLASH_BLOCK_LEN: u32 = 0x164;

/// A FLASH register, by its offset from [`FLASH_BASE`] (CMSIS `FLASH_TypeDef`, single-core
/// H743: BOOT_CUR/BOOT_PRG at +0x40/+0x44; the dual-core parts have BOOT7/BOOT4 there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FlashRegister {
    /// FLASH_ACR: latency and programming delay (shared by both banks).
    Acr,
    /// FLASH_KEYR1: unlocks FLASH_CR1 (write-only).
    Keyr1,
    /// FLASH_OPTKEYR: clears FLASH_OPTCR.OPTLOCK (write-only).
    Optkeyr,
    /// FLASH_CR1: bank 1 programming and erase control.
    Cr1,
    /// FLASH_SR1: bank 1 status (read-only; flags clear through FLASH_CCR1).
    Sr1,
    /// FLASH_CCR1: bank 1 flag clear register.
    Ccr1,
    /// FLASH_OPTCR: option control (OPTLOCK, OPTSTART, MER, SWAP_BANK in force).
    Optcr,
    /// FLASH_OPTSR_CUR: option status in force (and OPT_BUSY, OPTCHANGEERR).
    OptsrCur,
    /// FLASH_OPTSR_PRG: option status to program.
    OptsrPrg,
    /// FLASH_OPTCCR: option flag clear register.
    Optccr,
    /// FLASH_PRAR_CUR1: bank 1 PCROP area in force.
    PrarCur1,
    /// FLASH_PRAR_PRG1: bank 1 PCROP area to program.
    PrarPrg1,
    /// FLASH_SCAR_CUR1: bank 1 secure-only area in force.
    ScarCur1,
    /// FLASH_SCAR_PRG1: bank 1 secure-only area to program.
    ScarPrg1,
    /// FLASH_WPSN_CUR1: bank 1 sector write protection in force.
    WpsnCur1,
    /// FLASH_WPSN_PRG1: bank 1 sector write protection to program.
    WpsnPrg1,
    /// FLASH_BOOT_CUR: boot addresses in force.
    BootCur,
    /// FLASH_BOOT_PRG: boot addresses to program.
    BootPrg,
    /// FLASH_CRCCR1: bank 1 CRC control.
    Crccr1,
    /// FLASH_CRCSADD1: bank 1 CRC start address.
    Crcsadd1,
    /// FLASH_CRCEADD1: bank 1 CRC end address.
    Crceadd1,
    /// FLASH_CRCDATA: CRC result.
    Crcdata,
    /// FLASH_ECC_FA1: bank 1 ECC fail address.
    EccFa1,
    /// FLASH_KEYR2: unlocks FLASH_CR2 (write-only).
    Keyr2,
    /// FLASH_CR2: bank 2 programming and erase control.
    Cr2,
    /// FLASH_SR2: bank 2 status.
    Sr2,
    /// FLASH_CCR2: bank 2 flag clear register.
    Ccr2,
    /// FLASH_PRAR_CUR2: bank 2 PCROP area in force.
    PrarCur2,
    /// FLASH_PRAR_PRG2: bank 2 PCROP area to program.
    PrarPrg2,
    /// FLASH_SCAR_CUR2: bank 2 secure-only area in force.
    ScarCur2,
    /// FLASH_SCAR_PRG2: bank 2 secure-only area to program.
    ScarPrg2,
    /// FLASH_WPSN_CUR2: bank 2 sector write protection in force.
    WpsnCur2,
    /// FLASH_WPSN_PRG2: bank 2 sector write protection to program.
    WpsnPrg2,
    /// FLASH_CRCCR2: bank 2 CRC control.
    Crccr2,
    /// FLASH_CRCSADD2: bank 2 CRC start address.
    Crcsadd2,
    /// FLASH_CRCEADD2: bank 2 CRC end address.
    Crceadd2,
    /// FLASH_CRCDATA2: bank 2 CRC result.
    Crcdata2,
    /// FLASH_ECC_FA2: bank 2 ECC fail address.
    EccFa2,
}

impl FlashRegister {
    /// Every register, in offset order.
    pub const ALL: [FlashRegister; 38] = [
        FlashRegister::Acr,
        FlashRegister::Keyr1,
        FlashRegister::Optkeyr,
        FlashRegister::Cr1,
        FlashRegister::Sr1,
        FlashRegister::Ccr1,
        FlashRegister::Optcr,
        FlashRegister::OptsrCur,
        FlashRegister::OptsrPrg,
        FlashRegister::Optccr,
        FlashRegister::PrarCur1,
        FlashRegister::PrarPrg1,
        FlashRegister::ScarCur1,
        FlashRegister::ScarPrg1,
        FlashRegister::WpsnCur1,
        FlashRegister::WpsnPrg1,
        FlashRegister::BootCur,
        FlashRegister::BootPrg,
        FlashRegister::Crccr1,
        FlashRegister::Crcsadd1,
        FlashRegister::Crceadd1,
        FlashRegister::Crcdata,
        FlashRegister::EccFa1,
        FlashRegister::Keyr2,
        FlashRegister::Cr2,
        FlashRegister::Sr2,
        FlashRegister::Ccr2,
        FlashRegister::PrarCur2,
        FlashRegister::PrarPrg2,
        FlashRegister::ScarCur2,
        FlashRegister::ScarPrg2,
        FlashRegister::WpsnCur2,
        FlashRegister::WpsnPrg2,
        FlashRegister::Crccr2,
        FlashRegister::Crcsadd2,
        FlashRegister::Crceadd2,
        FlashRegister::Crcdata2,
        FlashRegister::EccFa2,
    ];

    /// Offset from [`FLASH_BASE`].
    pub const fn offset(self) -> u32 {
        use FlashRegister::*;
        match self {
            Acr => 0x00,
            Keyr1 => 0x04,
            Optkeyr => 0x08,
            Cr1 => 0x0C,
            Sr1 => 0x10,
            Ccr1 => 0x14,
            Optcr => 0x18,
            OptsrCur => 0x1C,
            OptsrPrg => 0x20,
            Optccr => 0x24,
            PrarCur1 => 0x28,
            PrarPrg1 => 0x2C,
            ScarCur1 => 0x30,
            ScarPrg1 => 0x34,
            WpsnCur1 => 0x38,
            WpsnPrg1 => 0x3C,
            BootCur => 0x40,
            BootPrg => 0x44,
            Crccr1 => 0x50,
            Crcsadd1 => 0x54,
            Crceadd1 => 0x58,
            Crcdata => 0x5C,
            EccFa1 => 0x60,
            Keyr2 => 0x104,
            Cr2 => 0x10C,
            Sr2 => 0x110,
            Ccr2 => 0x114,
            PrarCur2 => 0x128,
            PrarPrg2 => 0x12C,
            ScarCur2 => 0x130,
            ScarPrg2 => 0x134,
            WpsnCur2 => 0x138,
            WpsnPrg2 => 0x13C,
            Crccr2 => 0x150,
            Crcsadd2 => 0x154,
            Crceadd2 => 0x158,
            Crcdata2 => 0x15C,
            EccFa2 => 0x160,
        }
    }

    /// Bus address.
    pub const fn address(self) -> u32 {
        FLASH_BASE + self.offset()
    }

    /// RM0433 name, e.g. `FLASH_OPTSR_PRG`.
    pub fn name(self) -> &'static str {
        use FlashRegister::*;
        match self {
            Acr => "FLASH_ACR",
            Keyr1 => "FLASH_KEYR1",
            Optkeyr => "FLASH_OPTKEYR",
            Cr1 => "FLASH_CR1",
            Sr1 => "FLASH_SR1",
            Ccr1 => "FLASH_CCR1",
            Optcr => "FLASH_OPTCR",
            OptsrCur => "FLASH_OPTSR_CUR",
            OptsrPrg => "FLASH_OPTSR_PRG",
            Optccr => "FLASH_OPTCCR",
            PrarCur1 => "FLASH_PRAR_CUR1",
            PrarPrg1 => "FLASH_PRAR_PRG1",
            ScarCur1 => "FLASH_SCAR_CUR1",
            ScarPrg1 => "FLASH_SCAR_PRG1",
            WpsnCur1 => "FLASH_WPSN_CUR1",
            WpsnPrg1 => "FLASH_WPSN_PRG1",
            BootCur => "FLASH_BOOT_CUR",
            BootPrg => "FLASH_BOOT_PRG",
            Crccr1 => "FLASH_CRCCR1",
            Crcsadd1 => "FLASH_CRCSADD1",
            Crceadd1 => "FLASH_CRCEADD1",
            Crcdata => "FLASH_CRCDATA",
            EccFa1 => "FLASH_ECC_FA1",
            Keyr2 => "FLASH_KEYR2",
            Cr2 => "FLASH_CR2",
            Sr2 => "FLASH_SR2",
            Ccr2 => "FLASH_CCR2",
            PrarCur2 => "FLASH_PRAR_CUR2",
            PrarPrg2 => "FLASH_PRAR_PRG2",
            ScarCur2 => "FLASH_SCAR_CUR2",
            ScarPrg2 => "FLASH_SCAR_PRG2",
            WpsnCur2 => "FLASH_WPSN_CUR2",
            WpsnPrg2 => "FLASH_WPSN_PRG2",
            Crccr2 => "FLASH_CRCCR2",
            Crcsadd2 => "FLASH_CRCSADD2",
            Crceadd2 => "FLASH_CRCEADD2",
            Crcdata2 => "FLASH_CRCDATA2",
            EccFa2 => "FLASH_ECC_FA2",
        }
    }

    /// The register at `offset` from [`FLASH_BASE`], if there is one.
    pub fn from_offset(offset: u32) -> Option<FlashRegister> {
        FlashRegister::ALL
            .into_iter()
            .find(|r| r.offset() == offset)
    }

    /// The register at bus address `address`, if there is one.
    pub fn at(address: u32) -> Option<FlashRegister> {
        FlashRegister::from_offset(address.checked_sub(FLASH_BASE)?)
    }

    /// Whether writing this register can change the option bytes or the protections: the
    /// option key, control and `*_PRG` registers (what a write guard must keep for the engine).
    pub fn is_option_register(self) -> bool {
        use FlashRegister::*;
        matches!(
            self,
            Optkeyr
                | Optcr
                | OptsrPrg
                | Optccr
                | PrarPrg1
                | ScarPrg1
                | WpsnPrg1
                | BootPrg
                | PrarPrg2
                | ScarPrg2
                | WpsnPrg2
        )
    }

    /// The physical bank whose register set this register belongs to (`None` for the shared
    /// ones: ACR, the option registers, BOOT, CRCDATA).
    pub fn bank(self) -> Option<PhysicalBank> {
        PhysicalBank::ALL
            .into_iter()
            .find(|b| b.registers().all().contains(&self))
    }
}

impl std::fmt::Display for FlashRegister {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The register set of one physical bank.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BankRegisters {
    /// FLASH_KEYRx.
    pub keyr: FlashRegister,
    /// FLASH_CRx.
    pub cr: FlashRegister,
    /// FLASH_SRx.
    pub sr: FlashRegister,
    /// FLASH_CCRx.
    pub ccr: FlashRegister,
    /// FLASH_PRAR_CURx.
    pub prar_cur: FlashRegister,
    /// FLASH_PRAR_PRGx.
    pub prar_prg: FlashRegister,
    /// FLASH_SCAR_CURx.
    pub scar_cur: FlashRegister,
    /// FLASH_SCAR_PRGx.
    pub scar_prg: FlashRegister,
    /// FLASH_WPSN_CURx.
    pub wpsn_cur: FlashRegister,
    /// FLASH_WPSN_PRGx.
    pub wpsn_prg: FlashRegister,
    /// FLASH_CRCCRx.
    pub crccr: FlashRegister,
    /// FLASH_CRCSADDx.
    pub crcsadd: FlashRegister,
    /// FLASH_CRCEADDx.
    pub crceadd: FlashRegister,
    /// FLASH_ECC_FAx.
    pub ecc_fa: FlashRegister,
}

impl BankRegisters {
    /// Every register of the set.
    pub fn all(&self) -> [FlashRegister; 14] {
        [
            self.keyr,
            self.cr,
            self.sr,
            self.ccr,
            self.prar_cur,
            self.prar_prg,
            self.scar_cur,
            self.scar_prg,
            self.wpsn_cur,
            self.wpsn_prg,
            self.crccr,
            self.crcsadd,
            self.crceadd,
            self.ecc_fa,
        ]
    }
}

/// Bank 1's register set.
pub const BANK1_REGISTERS: BankRegisters = BankRegisters {
    keyr: FlashRegister::Keyr1,
    cr: FlashRegister::Cr1,
    sr: FlashRegister::Sr1,
    ccr: FlashRegister::Ccr1,
    prar_cur: FlashRegister::PrarCur1,
    prar_prg: FlashRegister::PrarPrg1,
    scar_cur: FlashRegister::ScarCur1,
    scar_prg: FlashRegister::ScarPrg1,
    wpsn_cur: FlashRegister::WpsnCur1,
    wpsn_prg: FlashRegister::WpsnPrg1,
    crccr: FlashRegister::Crccr1,
    crcsadd: FlashRegister::Crcsadd1,
    crceadd: FlashRegister::Crceadd1,
    ecc_fa: FlashRegister::EccFa1,
};

/// Bank 2's register set: bank 1's offsets + [`BANK2_REGISTER_OFFSET`].
pub const BANK2_REGISTERS: BankRegisters = BankRegisters {
    keyr: FlashRegister::Keyr2,
    cr: FlashRegister::Cr2,
    sr: FlashRegister::Sr2,
    ccr: FlashRegister::Ccr2,
    prar_cur: FlashRegister::PrarCur2,
    prar_prg: FlashRegister::PrarPrg2,
    scar_cur: FlashRegister::ScarCur2,
    scar_prg: FlashRegister::ScarPrg2,
    wpsn_cur: FlashRegister::WpsnCur2,
    wpsn_prg: FlashRegister::WpsnPrg2,
    crccr: FlashRegister::Crccr2,
    crcsadd: FlashRegister::Crcsadd2,
    crceadd: FlashRegister::Crceadd2,
    ecc_fa: FlashRegister::EccFa2,
};

/// The keys are the same in every STM32 family (reference §0).
pub use crate::chip::keys::{FLASH_KEY1, FLASH_KEY2, FLASH_OPTKEY1, FLASH_OPTKEY2};

// ---------------------------------------------------------------------------------------------
// FLASH_CRx (CMSIS `FLASH_CR_*_Pos`). Note LOCK is bit 0 here (bit 31 on F7/G4).
// ---------------------------------------------------------------------------------------------

/// FLASH_CR.LOCK: the register is locked (set by writing 1, cleared by the KEYR sequence).
pub const FLASH_CR_LOCK: u32 = 1 << 0;
/// FLASH_CR.PG: writes to the bank fill the write buffer and program flash words.
pub const FLASH_CR_PG: u32 = 1 << 1;
/// FLASH_CR.SER: sector erase request.
pub const FLASH_CR_SER: u32 = 1 << 2;
/// FLASH_CR.BER: bank erase request (the *physical* bank of this register set).
pub const FLASH_CR_BER: u32 = 1 << 3;
/// Position of FLASH_CR.PSIZE (program/erase parallelism).
pub const FLASH_CR_PSIZE_POS: u32 = 4;
/// FLASH_CR.PSIZE mask (bits 5:4).
pub const FLASH_CR_PSIZE: u32 = 0b11 << FLASH_CR_PSIZE_POS;
/// FLASH_CR.FW: force-write the partly filled write buffer as one flash word.
pub const FLASH_CR_FW: u32 = 1 << 6;
/// FLASH_CR.START: start the selected erase.
pub const FLASH_CR_START: u32 = 1 << 7;
/// Position of FLASH_CR.SNB (sector number inside the physical bank).
pub const FLASH_CR_SNB_POS: u32 = 8;
/// Width of FLASH_CR.SNB: 3 bits, sectors 0–7.
pub const FLASH_CR_SNB_WIDTH: u32 = 3;
/// FLASH_CR.SNB mask (bits 10:8).
pub const FLASH_CR_SNB: u32 = ((1 << FLASH_CR_SNB_WIDTH) - 1) << FLASH_CR_SNB_POS;
/// FLASH_CR.CRC_EN: CRC calculation enable.
pub const FLASH_CR_CRC_EN: u32 = 1 << 15;
/// FLASH_CR.EOPIE: end-of-program interrupt enable.
pub const FLASH_CR_EOPIE: u32 = 1 << 16;
/// FLASH_CR.WRPERRIE.
pub const FLASH_CR_WRPERRIE: u32 = 1 << 17;
/// FLASH_CR.PGSERRIE.
pub const FLASH_CR_PGSERRIE: u32 = 1 << 18;
/// FLASH_CR.STRBERRIE.
pub const FLASH_CR_STRBERRIE: u32 = 1 << 19;
/// FLASH_CR.INCERRIE.
pub const FLASH_CR_INCERRIE: u32 = 1 << 21;
/// FLASH_CR.OPERRIE.
pub const FLASH_CR_OPERRIE: u32 = 1 << 22;
/// FLASH_CR.RDPERRIE.
pub const FLASH_CR_RDPERRIE: u32 = 1 << 23;
/// FLASH_CR.RDSERRIE.
pub const FLASH_CR_RDSERRIE: u32 = 1 << 24;
/// FLASH_CR.SNECCERRIE.
pub const FLASH_CR_SNECCERRIE: u32 = 1 << 25;
/// FLASH_CR.DBECCERRIE.
pub const FLASH_CR_DBECCERRIE: u32 = 1 << 26;
/// FLASH_CR.CRCENDIE.
pub const FLASH_CR_CRCENDIE: u32 = 1 << 27;
/// FLASH_CR.CRCRDERRIE.
pub const FLASH_CR_CRCRDERRIE: u32 = 1 << 28;

/// FLASH_CR.PSIZE values (HAL-H7 `FLASH_PSIZE_*` / `FLASH_VOLTAGE_RANGE_*`): the parallelism
/// of programming and erase, chosen from the supply voltage. It does not change the unit of
/// programming, which is always one 256-bit flash word.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum ProgramSize {
    /// 0b00: 8 bits (voltage range 1).
    X8,
    /// 0b01: 16 bits (voltage range 2).
    X16,
    /// 0b10: 32 bits (voltage range 3).
    X32,
    /// 0b11: 64 bits (voltage range 4).
    X64,
}

impl ProgramSize {
    /// Every value, by encoding.
    pub const ALL: [ProgramSize; 4] = [
        ProgramSize::X8,
        ProgramSize::X16,
        ProgramSize::X32,
        ProgramSize::X64,
    ];

    /// The 2-bit encoding.
    pub fn bits(self) -> u32 {
        match self {
            ProgramSize::X8 => 0b00,
            ProgramSize::X16 => 0b01,
            ProgramSize::X32 => 0b10,
            ProgramSize::X64 => 0b11,
        }
    }

    /// FLASH_CR bits selecting this size.
    pub fn cr_bits(self) -> u32 {
        self.bits() << FLASH_CR_PSIZE_POS
    }

    /// The size FLASH_CR selects.
    pub fn from_cr(cr: u32) -> ProgramSize {
        match (cr & FLASH_CR_PSIZE) >> FLASH_CR_PSIZE_POS {
            0b00 => ProgramSize::X8,
            0b01 => ProgramSize::X16,
            0b10 => ProgramSize::X32,
            _ => ProgramSize::X64,
        }
    }

    /// Parallelism in bits.
    pub fn bits_wide(self) -> u32 {
        8 << self.bits()
    }
}

/// FLASH_CR bits for erasing sector `snb` of the register set's physical bank: SER | SNB.
/// PSIZE is kept by the caller; START is written separately, after these are set.
pub fn sector_erase_bits(snb: u8) -> u32 {
    FLASH_CR_SER | ((u32::from(snb) << FLASH_CR_SNB_POS) & FLASH_CR_SNB)
}

/// FLASH_CR bits for erasing the register set's whole physical bank: BER.
pub const BANK_ERASE_BITS: u32 = FLASH_CR_BER;

// ---------------------------------------------------------------------------------------------
// FLASH_SRx (CMSIS `FLASH_SR_*_Pos`), read-only; cleared through FLASH_CCRx.
// ---------------------------------------------------------------------------------------------

/// FLASH_SR.BSY: a program or erase operation is being executed.
pub const FLASH_SR_BSY: u32 = 1 << 0;
/// FLASH_SR.WBNE: the write buffer holds data of a flash word not yet programmed.
pub const FLASH_SR_WBNE: u32 = 1 << 1;
/// FLASH_SR.QW: an operation is queued or running (the flag to poll for completion).
pub const FLASH_SR_QW: u32 = 1 << 2;
/// FLASH_SR.CRC_BUSY.
pub const FLASH_SR_CRC_BUSY: u32 = 1 << 3;
/// FLASH_SR.EOP: end of program/erase.
pub const FLASH_SR_EOP: u32 = 1 << 16;
/// FLASH_SR.WRPERR: write protection error.
pub const FLASH_SR_WRPERR: u32 = 1 << 17;
/// FLASH_SR.PGSERR: programming sequence error.
pub const FLASH_SR_PGSERR: u32 = 1 << 18;
/// FLASH_SR.STRBERR: strobe error.
pub const FLASH_SR_STRBERR: u32 = 1 << 19;
/// FLASH_SR.INCERR: inconsistency error.
pub const FLASH_SR_INCERR: u32 = 1 << 21;
/// FLASH_SR.OPERR: write/erase error.
pub const FLASH_SR_OPERR: u32 = 1 << 22;
/// FLASH_SR.RDPERR: read protection error.
pub const FLASH_SR_RDPERR: u32 = 1 << 23;
/// FLASH_SR.RDSERR: secure error.
pub const FLASH_SR_RDSERR: u32 = 1 << 24;
/// FLASH_SR.SNECCERR: single ECC error corrected.
pub const FLASH_SR_SNECCERR: u32 = 1 << 25;
/// FLASH_SR.DBECCERR: double ECC error detected.
pub const FLASH_SR_DBECCERR: u32 = 1 << 26;
/// FLASH_SR.CRCEND: CRC calculation done.
pub const FLASH_SR_CRCEND: u32 = 1 << 27;
/// FLASH_SR.CRCRDERR: CRC read error.
pub const FLASH_SR_CRCRDERR: u32 = 1 << 28;

/// The errors a program or erase can end with (HAL-H7 `FLASH_FLAG_ALL_ERRORS_BANK1` without the
/// ECC and CRC flags, which reads raise): WRPERR, PGSERR, STRBERR, INCERR, OPERR.
pub const FLASH_SR_PROGRAM_ERRORS: u32 =
    FLASH_SR_WRPERR | FLASH_SR_PGSERR | FLASH_SR_STRBERR | FLASH_SR_INCERR | FLASH_SR_OPERR;
/// The flags FLASH_CCR can clear: EOP and every error, bits 28:16 (bit 20 reserved).
pub const FLASH_SR_CLEARABLE: u32 = FLASH_SR_EOP
    | FLASH_SR_PROGRAM_ERRORS
    | FLASH_SR_RDPERR
    | FLASH_SR_RDSERR
    | FLASH_SR_SNECCERR
    | FLASH_SR_DBECCERR
    | FLASH_SR_CRCEND
    | FLASH_SR_CRCRDERR;
/// The state flags of FLASH_SR (not clearable): BSY, WBNE, QW, CRC_BUSY.
pub const FLASH_SR_STATE: u32 = FLASH_SR_BSY | FLASH_SR_WBNE | FLASH_SR_QW | FLASH_SR_CRC_BUSY;

/// The FLASH_SR flags with their CMSIS names, for messages.
pub const FLASH_SR_FLAG_NAMES: [(u32, &str); 16] = [
    (FLASH_SR_BSY, "BSY"),
    (FLASH_SR_WBNE, "WBNE"),
    (FLASH_SR_QW, "QW"),
    (FLASH_SR_CRC_BUSY, "CRC_BUSY"),
    (FLASH_SR_EOP, "EOP"),
    (FLASH_SR_WRPERR, "WRPERR"),
    (FLASH_SR_PGSERR, "PGSERR"),
    (FLASH_SR_STRBERR, "STRBERR"),
    (FLASH_SR_INCERR, "INCERR"),
    (FLASH_SR_OPERR, "OPERR"),
    (FLASH_SR_RDPERR, "RDPERR"),
    (FLASH_SR_RDSERR, "RDSERR"),
    (FLASH_SR_SNECCERR, "SNECCERR"),
    (FLASH_SR_DBECCERR, "DBECCERR"),
    (FLASH_SR_CRCEND, "CRCEND"),
    (FLASH_SR_CRCRDERR, "CRCRDERR"),
];

/// Names of the FLASH_SR flags set in `sr`, in bit order.
pub fn flash_sr_flag_names(sr: u32) -> Vec<&'static str> {
    FLASH_SR_FLAG_NAMES
        .iter()
        .filter(|(bit, _)| sr & bit != 0)
        .map(|&(_, name)| name)
        .collect()
}

/// The FLASH_CCR value that clears every flag set in `sr`: FLASH_CCR.CLR_x sits at the bit of
/// FLASH_SR.x (CMSIS `FLASH_CCR_CLR_*_Pos` = `FLASH_SR_*_Pos`).
pub fn ccr_clearing(sr: u32) -> u32 {
    sr & FLASH_SR_CLEARABLE
}

// ---------------------------------------------------------------------------------------------
// FLASH_OPTCR and FLASH_OPTCCR (reference §9).
// ---------------------------------------------------------------------------------------------

/// FLASH_OPTCR.OPTLOCK: option registers locked (set by writing 1; cleared by OPTKEYR).
pub const FLASH_OPTCR_OPTLOCK: u32 = 1 << 0;
/// FLASH_OPTCR.OPTSTART: start programming the `*_PRG` values into the option bytes.
pub const FLASH_OPTCR_OPTSTART: u32 = 1 << 1;
/// FLASH_OPTCR.MER: mass erase of both banks.
pub const FLASH_OPTCR_MER: u32 = 1 << 4;
/// FLASH_OPTCR.OPTCHANGEERRIE: option change error interrupt enable.
pub const FLASH_OPTCR_OPTCHANGEERRIE: u32 = 1 << 30;
/// FLASH_OPTCR.SWAP_BANK (read-only): the bank mapping **in force**; it follows
/// OPTSR.SWAP_BANK_OPT only at the next system reset or power-on (reference §9, ST article).
pub const FLASH_OPTCR_SWAP_BANK: u32 = 1 << 31;

/// FLASH_OPTCCR.CLR_OPTCHANGEERR: clears FLASH_OPTSR_CUR.OPTCHANGEERR.
pub const FLASH_OPTCCR_CLR_OPTCHANGEERR: u32 = 1 << 30;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_offsets_match_flash_typedef() {
        let expected: [(FlashRegister, u32); 38] = [
            (FlashRegister::Acr, 0x5200_2000),
            (FlashRegister::Keyr1, 0x5200_2004),
            (FlashRegister::Optkeyr, 0x5200_2008),
            (FlashRegister::Cr1, 0x5200_200C),
            (FlashRegister::Sr1, 0x5200_2010),
            (FlashRegister::Ccr1, 0x5200_2014),
            (FlashRegister::Optcr, 0x5200_2018),
            (FlashRegister::OptsrCur, 0x5200_201C),
            (FlashRegister::OptsrPrg, 0x5200_2020),
            (FlashRegister::Optccr, 0x5200_2024),
            (FlashRegister::PrarCur1, 0x5200_2028),
            (FlashRegister::PrarPrg1, 0x5200_202C),
            (FlashRegister::ScarCur1, 0x5200_2030),
            (FlashRegister::ScarPrg1, 0x5200_2034),
            (FlashRegister::WpsnCur1, 0x5200_2038),
            (FlashRegister::WpsnPrg1, 0x5200_203C),
            (FlashRegister::BootCur, 0x5200_2040),
            (FlashRegister::BootPrg, 0x5200_2044),
            (FlashRegister::Crccr1, 0x5200_2050),
            (FlashRegister::Crcsadd1, 0x5200_2054),
            (FlashRegister::Crceadd1, 0x5200_2058),
            (FlashRegister::Crcdata, 0x5200_205C),
            (FlashRegister::EccFa1, 0x5200_2060),
            (FlashRegister::Keyr2, 0x5200_2104),
            (FlashRegister::Cr2, 0x5200_210C),
            (FlashRegister::Sr2, 0x5200_2110),
            (FlashRegister::Ccr2, 0x5200_2114),
            (FlashRegister::PrarCur2, 0x5200_2128),
            (FlashRegister::PrarPrg2, 0x5200_212C),
            (FlashRegister::ScarCur2, 0x5200_2130),
            (FlashRegister::ScarPrg2, 0x5200_2134),
            (FlashRegister::WpsnCur2, 0x5200_2138),
            (FlashRegister::WpsnPrg2, 0x5200_213C),
            (FlashRegister::Crccr2, 0x5200_2150),
            (FlashRegister::Crcsadd2, 0x5200_2154),
            (FlashRegister::Crceadd2, 0x5200_2158),
            (FlashRegister::Crcdata2, 0x5200_215C),
            (FlashRegister::EccFa2, 0x5200_2160),
        ];
        for (reg, address) in expected {
            assert_eq!(reg.address(), address, "{reg}");
            assert_eq!(FlashRegister::from_offset(reg.offset()), Some(reg));
            assert_eq!(FlashRegister::at(address), Some(reg));
            assert!(reg.name().starts_with("FLASH_"));
            assert!(reg.offset() < FLASH_BLOCK_LEN);
        }
        // Reserved words: 0x48/0x4C, 0x64–0x100, 0x108, 0x118–0x124, 0x140–0x14C.
        for gap in [0x48, 0x4C, 0x64, 0x100, 0x108, 0x118, 0x124, 0x140, 0x14C] {
            assert_eq!(FlashRegister::from_offset(gap), None, "{gap:#x}");
        }
        assert_eq!(FlashRegister::at(0x4002_2000), None);
        let mut offsets: Vec<u32> = FlashRegister::ALL.iter().map(|r| r.offset()).collect();
        offsets.dedup();
        assert_eq!(
            offsets.len(),
            FlashRegister::ALL.len(),
            "in offset order, once"
        );
        assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn bank_2_copies_sit_0x100_above_bank_1() {
        let pairs = BANK1_REGISTERS.all().into_iter().zip(BANK2_REGISTERS.all());
        for (one, two) in pairs {
            assert_eq!(two.offset(), one.offset() + BANK2_REGISTER_OFFSET, "{two}");
            assert_eq!(one.bank(), Some(PhysicalBank::Bank1), "{one}");
            assert_eq!(two.bank(), Some(PhysicalBank::Bank2), "{two}");
            assert_eq!(
                &two.name()[..two.name().len() - 1],
                &one.name()[..one.name().len() - 1]
            );
        }
        for shared in [
            FlashRegister::Acr,
            FlashRegister::Optkeyr,
            FlashRegister::Optcr,
            FlashRegister::OptsrCur,
            FlashRegister::OptsrPrg,
            FlashRegister::Optccr,
            FlashRegister::BootCur,
            FlashRegister::BootPrg,
            FlashRegister::Crcdata,
            FlashRegister::Crcdata2,
        ] {
            assert_eq!(shared.bank(), None, "{shared}");
        }
    }

    #[test]
    fn option_registers_are_the_key_control_and_prg_ones() {
        let option: Vec<&str> = FlashRegister::ALL
            .into_iter()
            .filter(|r| r.is_option_register())
            .map(FlashRegister::name)
            .collect();
        assert_eq!(
            option,
            [
                "FLASH_OPTKEYR",
                "FLASH_OPTCR",
                "FLASH_OPTSR_PRG",
                "FLASH_OPTCCR",
                "FLASH_PRAR_PRG1",
                "FLASH_SCAR_PRG1",
                "FLASH_WPSN_PRG1",
                "FLASH_BOOT_PRG",
                "FLASH_PRAR_PRG2",
                "FLASH_SCAR_PRG2",
                "FLASH_WPSN_PRG2",
            ]
        );
    }

    #[test]
    fn keys_are_the_common_ones() {
        assert_eq!(FLASH_KEY1, 0x4567_0123);
        assert_eq!(FLASH_KEY2, 0xCDEF_89AB);
        assert_eq!(FLASH_OPTKEY1, 0x0819_2A3B);
        assert_eq!(FLASH_OPTKEY2, 0x4C5D_6E7F);
    }

    #[test]
    fn cr_bits_match_cmsis() {
        let expected: [(u32, u32); 21] = [
            (FLASH_CR_LOCK, 0x0000_0001),
            (FLASH_CR_PG, 0x0000_0002),
            (FLASH_CR_SER, 0x0000_0004),
            (FLASH_CR_BER, 0x0000_0008),
            (FLASH_CR_PSIZE, 0x0000_0030),
            (FLASH_CR_FW, 0x0000_0040),
            (FLASH_CR_START, 0x0000_0080),
            (FLASH_CR_SNB, 0x0000_0700),
            (FLASH_CR_CRC_EN, 0x0000_8000),
            (FLASH_CR_EOPIE, 0x0001_0000),
            (FLASH_CR_WRPERRIE, 0x0002_0000),
            (FLASH_CR_PGSERRIE, 0x0004_0000),
            (FLASH_CR_STRBERRIE, 0x0008_0000),
            (FLASH_CR_INCERRIE, 0x0020_0000),
            (FLASH_CR_OPERRIE, 0x0040_0000),
            (FLASH_CR_RDPERRIE, 0x0080_0000),
            (FLASH_CR_RDSERRIE, 0x0100_0000),
            (FLASH_CR_SNECCERRIE, 0x0200_0000),
            (FLASH_CR_DBECCERRIE, 0x0400_0000),
            (FLASH_CR_CRCENDIE, 0x0800_0000),
            (FLASH_CR_CRCRDERRIE, 0x1000_0000),
        ];
        let mut union = 0;
        for (bits, mask) in expected {
            assert_eq!(bits, mask, "{bits:#010x}");
            assert_eq!(union & bits, 0, "{bits:#010x} overlaps");
            union |= bits;
        }
        // Each interrupt enable sits at its SR flag's position.
        assert_eq!(FLASH_CR_EOPIE, FLASH_SR_EOP);
        assert_eq!(FLASH_CR_INCERRIE, FLASH_SR_INCERR);
        assert_eq!(FLASH_CR_CRCRDERRIE, FLASH_SR_CRCRDERR);
    }

    #[test]
    fn program_size_encoding() {
        for (size, bits, cr, wide) in [
            (ProgramSize::X8, 0b00, 0x00, 8),
            (ProgramSize::X16, 0b01, 0x10, 16),
            (ProgramSize::X32, 0b10, 0x20, 32),
            (ProgramSize::X64, 0b11, 0x30, 64),
        ] {
            assert_eq!(size.bits(), bits);
            assert_eq!(size.cr_bits(), cr);
            assert_eq!(size.bits_wide(), wide);
            assert_eq!(ProgramSize::from_cr(cr | FLASH_CR_PG | FLASH_CR_SNB), size);
        }
    }

    #[test]
    fn erase_encodings() {
        assert_eq!(sector_erase_bits(0), FLASH_CR_SER);
        assert_eq!(sector_erase_bits(7), FLASH_CR_SER | 0x700);
        // An out-of-range sector cannot spill into the bits above SNB.
        assert_eq!(sector_erase_bits(0xFF) & !(FLASH_CR_SER | FLASH_CR_SNB), 0);
        assert_eq!(BANK_ERASE_BITS, 0x8);
        assert_eq!(sector_erase_bits(3) & (FLASH_CR_START | FLASH_CR_BER), 0);
    }

    #[test]
    fn sr_bits_match_cmsis() {
        assert_eq!(
            [FLASH_SR_BSY, FLASH_SR_WBNE, FLASH_SR_QW, FLASH_SR_CRC_BUSY],
            [1, 2, 4, 8]
        );
        assert_eq!(FLASH_SR_EOP, 0x0001_0000);
        assert_eq!(FLASH_SR_WRPERR, 0x0002_0000);
        assert_eq!(FLASH_SR_PGSERR, 0x0004_0000);
        assert_eq!(FLASH_SR_STRBERR, 0x0008_0000);
        assert_eq!(FLASH_SR_INCERR, 0x0020_0000);
        assert_eq!(FLASH_SR_OPERR, 0x0040_0000);
        assert_eq!(FLASH_SR_RDPERR, 0x0080_0000);
        assert_eq!(FLASH_SR_RDSERR, 0x0100_0000);
        assert_eq!(FLASH_SR_SNECCERR, 0x0200_0000);
        assert_eq!(FLASH_SR_DBECCERR, 0x0400_0000);
        assert_eq!(FLASH_SR_CRCEND, 0x0800_0000);
        assert_eq!(FLASH_SR_CRCRDERR, 0x1000_0000);
        assert_eq!(
            FLASH_SR_CLEARABLE, 0x1FEF_0000,
            "bits 28:16 but reserved 20"
        );
        assert_eq!(FLASH_SR_CLEARABLE & FLASH_SR_STATE, 0);
        assert_eq!(FLASH_SR_PROGRAM_ERRORS, 0x006E_0000);
        assert_eq!(
            flash_sr_flag_names(FLASH_SR_QW | FLASH_SR_WRPERR | FLASH_SR_INCERR),
            vec!["QW", "WRPERR", "INCERR"]
        );
        assert!(
            flash_sr_flag_names(1 << 20).is_empty(),
            "bit 20 is reserved"
        );
        assert_eq!(ccr_clearing(0xFFFF_FFFF), FLASH_SR_CLEARABLE);
        assert_eq!(ccr_clearing(FLASH_SR_QW | FLASH_SR_EOP), FLASH_SR_EOP);
    }

    #[test]
    fn option_control_bits() {
        assert_eq!(FLASH_OPTCR_OPTLOCK, 0x1);
        assert_eq!(FLASH_OPTCR_OPTSTART, 0x2);
        assert_eq!(FLASH_OPTCR_MER, 0x10);
        assert_eq!(FLASH_OPTCR_OPTCHANGEERRIE, 0x4000_0000);
        assert_eq!(FLASH_OPTCR_SWAP_BANK, 0x8000_0000);
        assert_eq!(FLASH_OPTCCR_CLR_OPTCHANGEERR, 0x4000_0000);
    }
}
