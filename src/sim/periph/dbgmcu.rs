//! The DBGMCU block (ST's MCU debug configuration): DBGMCU_IDCODE, DBGMCU_CR and the two freeze
//! registers, as F7 and G4 place them at 0xE004_2000. Each family maps it where it has it.

/// Offsets inside the block.
pub mod reg {
    pub const IDCODE: u32 = 0x00;
    pub const CR: u32 = 0x04;
    /// F7 DBGMCU_APB1_FZ, G4 DBGMCU_APB1FZR1.
    pub const APB1_FZ: u32 = 0x08;
    /// F7 DBGMCU_APB2_FZ, G4 DBGMCU_APB1FZR2.
    pub const APB2_FZ: u32 = 0x0C;
}

/// The block's registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dbgmcu {
    /// DBGMCU_IDCODE: REV_ID and DEV_ID (read only).
    pub idcode: u32,
    pub cr: u32,
    pub apb1_fz: u32,
    pub apb2_fz: u32,
}

impl Dbgmcu {
    /// The block of a chip whose DBGMCU_IDCODE is `idcode`, as after power-on.
    pub fn new(idcode: u32) -> Self {
        Dbgmcu {
            idcode,
            cr: 0,
            apb1_fz: 0,
            apb2_fz: 0,
        }
    }

    /// The word at `offset`; `None` outside the block.
    pub fn read(&self, offset: u32) -> Option<u32> {
        Some(match offset {
            reg::IDCODE => self.idcode,
            reg::CR => self.cr,
            reg::APB1_FZ => self.apb1_fz,
            reg::APB2_FZ => self.apb2_fz,
            _ => return None,
        })
    }

    /// Writes the word at `offset` (IDCODE ignores writes); `None` outside the block.
    pub fn write(&mut self, offset: u32, value: u32) -> Option<()> {
        match offset {
            reg::IDCODE => {}
            // DBG_SLEEP, DBG_STOP, DBG_STANDBY.
            reg::CR => self.cr = value & 0x7,
            reg::APB1_FZ => self.apb1_fz = value,
            reg::APB2_FZ => self.apb2_fz = value,
            _ => return None,
        }
        Some(())
    }

    /// A read the core passed on from the private peripheral bus, with the block at `base`:
    /// the block's registers there, zero elsewhere (the CoreSight blocks the model leaves out:
    /// ITM, TPIU, ETM, ROM table).
    pub fn read_ppb(&self, base: u32, address: u32, size: u32) -> u32 {
        let word = address
            .checked_sub(base)
            .and_then(|offset| self.read(offset & !3))
            .unwrap_or(0);
        let value = word >> (8 * (address & 3));
        match size {
            1 => value & 0xFF,
            2 => value & 0xFFFF,
            _ => value,
        }
    }

    /// A write of `value` (right-aligned, as the access carries it) the core passed on from
    /// the private peripheral bus, with the block at `base`; ignored outside the block. The
    /// registers take the word the access makes, its value shifted into its byte lanes.
    pub fn write_ppb(&mut self, base: u32, address: u32, value: u32) {
        if let Some(offset) = address.checked_sub(base) {
            let _ = self.write(offset & !3, value << (8 * (address & 3)));
        }
    }

    /// The debug domain's power-on: DBGMCU_CR clears. The freeze registers are kept, as the
    /// model always kept them across an option load (what else a power-on of the debug domain
    /// clears is UNVERIFIED here).
    pub fn power_on(&mut self) {
        self.cr = 0;
    }
}
