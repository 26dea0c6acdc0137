//! The DBGMCU block of the simulated H743: one block, two views (reference §9). The CPU sees
//! it at 0x5C00_1000; the debugger at 0xE00E_1000 on the system debug bus behind access port 2
//! ([`super::ap2`]), as probe-rs 0.32's STM32H7 sequence reaches it.

/// DBGMCU block, CPU view.
pub const CPU_BASE: u32 = 0x5C00_1000;
/// DBGMCU block, debugger view (system debug bus).
pub const DEBUG_BASE: u32 = 0xE00E_1000;
/// Size of the decoded block.
pub const BLOCK_LEN: u32 = 0x400;

/// DEV_ID of STM32H74x/H75x (reference §9).
pub const DEV_ID: u16 = 0x450;
/// REV_ID the model reports. The reference gives no revision codes for 0x450: 0x2003 is a
/// choice, not a fact.
pub const REV_ID: u16 = 0x2003;

mod offset {
    pub const IDCODE: u32 = 0x00;
    pub const CR: u32 = 0x04;
    pub const APB3FZ1: u32 = 0x34;
    pub const APB1LFZ1: u32 = 0x3C;
    pub const APB1HFZ1: u32 = 0x44;
    pub const APB2FZ1: u32 = 0x4C;
    pub const APB4FZ1: u32 = 0x54;
}

/// The block's registers. Nothing acts on them (low-power debug, clocks and freezes are not
/// modelled); they hold what is written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dbgmcu {
    cr: u32,
    apb3fz1: u32,
    apb1lfz1: u32,
    apb1hfz1: u32,
    apb2fz1: u32,
    apb4fz1: u32,
}

impl Dbgmcu {
    /// DBGMCU_IDCODE.
    pub fn idcode() -> u32 {
        (u32::from(REV_ID) << 16) | u32::from(DEV_ID)
    }

    /// A register at `offset` from either base (0 for the reserved words).
    pub fn read(&self, offset: u32) -> u32 {
        match offset & !3 {
            offset::IDCODE => Self::idcode(),
            offset::CR => self.cr,
            offset::APB3FZ1 => self.apb3fz1,
            offset::APB1LFZ1 => self.apb1lfz1,
            offset::APB1HFZ1 => self.apb1hfz1,
            offset::APB2FZ1 => self.apb2fz1,
            offset::APB4FZ1 => self.apb4fz1,
            _ => 0,
        }
    }

    /// A word write at `offset` from either base (IDCODE is read-only).
    pub fn write(&mut self, offset: u32, value: u32) {
        match offset & !3 {
            offset::CR => self.cr = value,
            offset::APB3FZ1 => self.apb3fz1 = value,
            offset::APB1LFZ1 => self.apb1lfz1 = value,
            offset::APB1HFZ1 => self.apb1hfz1 = value,
            offset::APB2FZ1 => self.apb2fz1 = value,
            offset::APB4FZ1 => self.apb4fz1 = value,
            _ => {}
        }
    }

    /// A power-on reset clears the block. A system reset keeps it (the debugger's settings
    /// survive a reset it asked for; UNVERIFIED on the H743).
    pub fn power_on_reset(&mut self) {
        *self = Dbgmcu::default();
    }
}

/// The system debug bus behind AP 2: DBGMCU at 0xE00E_1000; the other components between
/// 0xE00E_0000 and 0xE010_0000 (ROM table, trace funnels, TPIU…) are not modelled and read as
/// zero (UNVERIFIED); anything else faults.
impl super::ap2::SystemDebugBus for Dbgmcu {
    fn read_word(&mut self, address: u32) -> Option<u32> {
        if (DEBUG_BASE..DEBUG_BASE + BLOCK_LEN).contains(&address) {
            Some(self.read(address - DEBUG_BASE))
        } else {
            on_system_debug_bus(address).then_some(0)
        }
    }

    fn write_word(&mut self, address: u32, value: u32) -> Option<()> {
        if (DEBUG_BASE..DEBUG_BASE + BLOCK_LEN).contains(&address) {
            self.write(address - DEBUG_BASE, value);
            Some(())
        } else {
            on_system_debug_bus(address).then_some(())
        }
    }
}

fn on_system_debug_bus(address: u32) -> bool {
    (super::map::SYSTEM_DEBUG..super::map::SYSTEM_DEBUG_END).contains(&address)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_and_registers() {
        let mut d = Dbgmcu::default();
        assert_eq!(Dbgmcu::idcode(), 0x2003_0450);
        assert_eq!(d.read(0) & 0xFFF, 0x450);
        d.write(0, 0x1234);
        assert_eq!(d.read(0), 0x2003_0450, "IDCODE is read-only");
        d.write(4, 0x0070_003F);
        assert_eq!(d.read(4), 0x0070_003F);
        d.write(0x54, 1 << 18);
        assert_eq!(d.read(0x54), 1 << 18);
        assert_eq!(d.read(0x08), 0);
        d.power_on_reset();
        assert_eq!((d.read(4), d.read(0x54)), (0, 0));
    }

    #[test]
    fn the_debuggers_view() {
        use super::super::ap2::SystemDebugBus;
        let mut d = Dbgmcu::default();
        assert_eq!(d.read_word(0xE00E_1000), Some(0x2003_0450));
        assert_eq!(d.write_word(0xE00E_1004, 0x0060_0007), Some(()));
        assert_eq!(d.read(4), 0x0060_0007, "one block, two views");
        assert_eq!(
            d.read_word(0xE00F_3000),
            Some(0),
            "a trace funnel: not modelled"
        );
        assert_eq!(d.read_word(0xE010_0000), None);
        assert_eq!(
            d.write_word(0x5C00_1004, 1),
            None,
            "the CPU view is not on this bus"
        );
    }
}
