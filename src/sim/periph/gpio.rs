//! One ST GPIO port (the same IP on STM32F7 and STM32G4; the G4's adds BRR).
//!
//! Modelled (`real-firmware-on-the-sim.md` §3.1/§3.2; layouts DF7/DG4 `GPIO_TypeDef`):
//! - MODER, OTYPER, OSPEEDR, PUPDR, AFRL/AFRH hold what is written, from per-port reset values;
//! - ODR holds what is written; BSRR sets ODR bits with [15:0] and clears them with [31:16];
//!   BRR (G4) clears them with [15:0]; BSRR and BRR read as 0;
//! - IDR: an output pin reads its ODR bit; nothing outside drives the pins, so an input or
//!   alternate-function pin reads its pull (pull-up 1, otherwise 0) and an analog pin reads 0;
//! - LCKR: the lock key sequence (write LCKK=1, LCKK=0, LCKK=1 with the same LCK[15:0], then
//!   read LCKR) freezes the configuration of the pins in LCK[15:0] until the next reset.
//!
//! UNVERIFIED (not in the reference): when one BSRR write both sets and resets a pin, the set
//! wins (RM0410/RM0440 "BSx has priority", from memory of the manuals); the pull level of a
//! floating input (0 here); that the lock takes effect at the read that ends the sequence.

use super::merge;

/// Register offsets from the port's base.
pub mod reg {
    pub const MODER: u32 = 0x00;
    pub const OTYPER: u32 = 0x04;
    pub const OSPEEDR: u32 = 0x08;
    pub const PUPDR: u32 = 0x0C;
    pub const IDR: u32 = 0x10;
    pub const ODR: u32 = 0x14;
    pub const BSRR: u32 = 0x18;
    pub const LCKR: u32 = 0x1C;
    pub const AFRL: u32 = 0x20;
    pub const AFRH: u32 = 0x24;
    /// G4 only.
    pub const BRR: u32 = 0x28;
}

/// MODER values (two bits per pin).
pub mod mode {
    pub const INPUT: u32 = 0b00;
    pub const OUTPUT: u32 = 0b01;
    pub const ALTERNATE: u32 = 0b10;
    pub const ANALOG: u32 = 0b11;
}

/// PUPDR values (two bits per pin).
pub mod pull {
    pub const PULL_UP: u32 = 0b01;
}

/// LCKR fields.
pub mod lckr {
    /// LCK[15:0]: the pins to lock.
    pub const LCK: u32 = 0xFFFF;
    /// LCKK: the lock key; reads 1 once the port is locked.
    pub const LCKK: u32 = 1 << 16;
}

/// The 16 pins of a port.
pub const PINS: usize = 16;
/// Valid bits of the pin-wide registers (OTYPER, IDR, ODR).
const PIN_MASK: u32 = 0xFFFF;

/// Reset values of one port that differ between ports (the debug pins start in their
/// alternate function; G4 pins start analog).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PortReset {
    pub moder: u32,
    pub ospeedr: u32,
    pub pupdr: u32,
}

/// Where the lock key sequence stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LockStep {
    Idle,
    /// LCKK=1 + LCK written.
    First(u32),
    /// LCKK=0 + the same LCK written.
    Second(u32),
    /// LCKK=1 + the same LCK written: the next LCKR read locks.
    Third(u32),
}

/// One GPIO port.
#[derive(Debug, Clone)]
pub struct Gpio {
    reset_values: PortReset,
    has_brr: bool,
    moder: u32,
    otyper: u32,
    ospeedr: u32,
    pupdr: u32,
    odr: u32,
    afr: [u32; 2],
    /// LCK[15:0] as last written.
    lck: u32,
    step: LockStep,
    /// The locked pins (bit per pin); 0 until the key sequence completes.
    locked: u32,
}

impl Gpio {
    /// A port out of reset; `has_brr` for the G4's BRR register.
    pub fn new(reset_values: PortReset, has_brr: bool) -> Self {
        let mut gpio = Gpio {
            reset_values,
            has_brr,
            moder: 0,
            otyper: 0,
            ospeedr: 0,
            pupdr: 0,
            odr: 0,
            afr: [0; 2],
            lck: 0,
            step: LockStep::Idle,
            locked: 0,
        };
        gpio.reset();
        gpio
    }

    /// System reset (or the port's RCC reset): reset values, no lock.
    pub fn reset(&mut self) {
        let r = self.reset_values;
        self.moder = r.moder;
        self.otyper = 0;
        self.ospeedr = r.ospeedr;
        self.pupdr = r.pupdr;
        self.odr = 0;
        self.afr = [0; 2];
        self.lck = 0;
        self.step = LockStep::Idle;
        self.locked = 0;
    }

    /// MODER of pin `n`.
    fn mode(&self, n: usize) -> u32 {
        (self.moder >> (2 * n)) & 0b11
    }

    /// IDR: outputs read back their ODR bit; inputs and alternate functions read their pull.
    pub fn idr(&self) -> u32 {
        (0..PINS)
            .filter(|&n| match self.mode(n) {
                mode::OUTPUT => self.odr & (1 << n) != 0,
                mode::INPUT | mode::ALTERNATE => (self.pupdr >> (2 * n)) & 0b11 == pull::PULL_UP,
                _ => false, // mode::ANALOG reads 0
            })
            .fold(0, |idr, n| idr | (1 << n))
    }

    /// The bits of a register with `width` bits per pin that belong to unlocked pins.
    fn unlocked(&self, width: u32) -> u32 {
        let field = (1u32 << width) - 1;
        (0..PINS as u32)
            .filter(|&n| self.locked & (1 << n) == 0)
            .fold(0, |mask, n| mask | (field << (n * width)))
    }

    /// The unlocked bits of AFRL (`high` = false) or AFRH.
    fn unlocked_afr(&self, high: bool) -> u32 {
        let pins = if high { 8..16 } else { 0..8 };
        pins.filter(|&n| self.locked & (1 << n) == 0)
            .fold(0, |mask, n| mask | (0xF << (4 * (n % 8))))
    }

    pub fn read(&mut self, offset: u32) -> u32 {
        match offset {
            reg::MODER => self.moder,
            reg::OTYPER => self.otyper,
            reg::OSPEEDR => self.ospeedr,
            reg::PUPDR => self.pupdr,
            reg::IDR => self.idr(),
            reg::ODR => self.odr,
            reg::LCKR => self.read_lckr(),
            reg::AFRL => self.afr[0],
            reg::AFRH => self.afr[1],
            // BSRR and BRR are write-only; reserved offsets read as zero.
            _ => 0,
        }
    }

    pub fn write(&mut self, offset: u32, value: u32, lanes: u32) {
        match offset {
            reg::MODER => self.moder = merge(self.moder, value, lanes & self.unlocked(2)),
            reg::OTYPER => {
                self.otyper = merge(self.otyper, value, lanes & PIN_MASK & self.unlocked(1))
            }
            reg::OSPEEDR => self.ospeedr = merge(self.ospeedr, value, lanes & self.unlocked(2)),
            reg::PUPDR => self.pupdr = merge(self.pupdr, value, lanes & self.unlocked(2)),
            reg::ODR => self.odr = merge(self.odr, value, lanes & PIN_MASK),
            reg::BSRR => {
                let value = value & lanes;
                let set = value & PIN_MASK;
                let reset = value >> 16;
                // Set wins over reset for the same pin.
                self.odr = (self.odr & !reset) | set;
            }
            reg::BRR if self.has_brr => self.odr &= !(value & lanes & PIN_MASK),
            reg::LCKR => self.write_lckr(merge(self.lck, value, lanes)),
            reg::AFRL => self.afr[0] = merge(self.afr[0], value, lanes & self.unlocked_afr(false)),
            reg::AFRH => self.afr[1] = merge(self.afr[1], value, lanes & self.unlocked_afr(true)),
            _ => {} // IDR is read-only
        }
    }

    fn write_lckr(&mut self, value: u32) {
        if self.locked != 0 {
            return; // frozen until reset
        }
        let lck = value & lckr::LCK;
        let key = value & lckr::LCKK != 0;
        self.lck = lck;
        self.step = match (self.step, key) {
            (LockStep::First(l), false) if l == lck => LockStep::Second(lck),
            (LockStep::Second(l), true) if l == lck => LockStep::Third(lck),
            (_, true) => LockStep::First(lck),
            _ => LockStep::Idle,
        };
    }

    fn read_lckr(&mut self) -> u32 {
        if let LockStep::Third(lck) = self.step {
            self.locked = lck;
            self.step = LockStep::Idle;
        }
        let key = if self.locked != 0 { lckr::LCKK } else { 0 };
        key | self.lck
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: u32 = 0xFFFF_FFFF;

    fn port() -> Gpio {
        Gpio::new(PortReset::default(), true)
    }

    #[test]
    fn reset_values_come_from_the_port() {
        let reset = PortReset {
            moder: 0xA800_0000,
            ospeedr: 0x0C00_0000,
            pupdr: 0x6400_0000,
        };
        let mut gpio = Gpio::new(reset, false);
        assert_eq!(gpio.read(reg::MODER), 0xA800_0000);
        assert_eq!(gpio.read(reg::OSPEEDR), 0x0C00_0000);
        assert_eq!(gpio.read(reg::PUPDR), 0x6400_0000);
        assert_eq!(gpio.read(reg::ODR), 0);
        gpio.write(reg::MODER, 0x5555_5555, ALL);
        gpio.reset();
        assert_eq!(gpio.read(reg::MODER), 0xA800_0000);
    }

    #[test]
    fn bsrr_sets_and_resets_odr_and_set_wins() {
        let mut gpio = port();
        gpio.write(reg::BSRR, 0x0000_0081, ALL);
        assert_eq!(gpio.read(reg::ODR), 0x81);
        gpio.write(reg::BSRR, 0x0001_0000, ALL);
        assert_eq!(gpio.read(reg::ODR), 0x80);
        // Both set and reset of pin 7: set has priority.
        gpio.write(reg::BSRR, 0x0080_0080, ALL);
        assert_eq!(gpio.read(reg::ODR), 0x80);
        assert_eq!(gpio.read(reg::BSRR), 0, "BSRR reads as zero");
        // A half-word write to the upper half resets only.
        gpio.write(reg::BSRR, 0x0080_0000, 0xFFFF_0000);
        assert_eq!(gpio.read(reg::ODR), 0);
    }

    #[test]
    fn brr_resets_odr_bits_on_g4_only() {
        let mut gpio = port();
        gpio.write(reg::ODR, 0xFFFF, ALL);
        gpio.write(reg::BRR, 0x00F0, ALL);
        assert_eq!(gpio.read(reg::ODR), 0xFF0F);
        let mut f7 = Gpio::new(PortReset::default(), false);
        f7.write(reg::ODR, 0xFFFF, ALL);
        f7.write(reg::BRR, 0x00F0, ALL);
        assert_eq!(f7.read(reg::ODR), 0xFFFF, "no BRR on the F7");
    }

    #[test]
    fn idr_reflects_outputs_and_pulls() {
        let mut gpio = port();
        // Pin 0 output high, pin 1 output low, pin 2 input pull-up, pin 3 input pull-down,
        // pin 4 analog with pull-up.
        gpio.write(reg::MODER, 0b11_00_00_01_01, ALL);
        gpio.write(reg::PUPDR, (0b01 << 8) | (0b10 << 6) | (0b01 << 4), ALL);
        gpio.write(reg::ODR, 0b01, ALL);
        assert_eq!(gpio.read(reg::IDR), 0b0101);
        gpio.write(reg::BSRR, 0b10, ALL);
        assert_eq!(gpio.read(reg::IDR), 0b0111);
        gpio.write(reg::IDR, 0, ALL);
        assert_eq!(gpio.read(reg::IDR), 0b0111, "IDR is read-only");
    }

    #[test]
    fn the_lock_sequence_freezes_the_configuration_of_locked_pins() {
        let mut gpio = port();
        let lck = 0x0003; // pins 0 and 1
        gpio.write(reg::LCKR, lckr::LCKK | lck, ALL);
        gpio.write(reg::LCKR, lck, ALL);
        gpio.write(reg::LCKR, lckr::LCKK | lck, ALL);
        assert_eq!(gpio.read(reg::LCKR), lckr::LCKK | lck);
        assert_eq!(gpio.read(reg::LCKR) & lckr::LCKK, lckr::LCKK);
        gpio.write(reg::MODER, 0xFFFF_FFFF, ALL);
        assert_eq!(
            gpio.read(reg::MODER),
            0xFFFF_FFF0,
            "pins 0 and 1 keep their mode"
        );
        gpio.write(reg::AFRL, 0xFFFF_FFFF, ALL);
        assert_eq!(gpio.read(reg::AFRL), 0xFFFF_FF00);
        // ODR is not locked.
        gpio.write(reg::ODR, 0x3, ALL);
        assert_eq!(gpio.read(reg::ODR), 0x3);
        gpio.reset();
        assert_eq!(gpio.read(reg::LCKR), 0);
    }

    #[test]
    fn a_broken_lock_sequence_locks_nothing() {
        let mut gpio = port();
        gpio.write(reg::LCKR, lckr::LCKK | 0x1, ALL);
        gpio.write(reg::LCKR, 0x2, ALL); // a different LCK
        gpio.write(reg::LCKR, lckr::LCKK | 0x2, ALL);
        assert_eq!(gpio.read(reg::LCKR) & lckr::LCKK, 0);
        gpio.write(reg::MODER, 0x5, ALL);
        assert_eq!(gpio.read(reg::MODER), 0x5);
    }
}
