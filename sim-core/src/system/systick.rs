//! SysTick (ARMv7-M ARM B3.3): a 24-bit down counter clocked by the core clock.
//!
//! The counter is not ticked per instruction: it holds its value at a cycle count and is
//! brought up to date (`catch_up`) when it is read, written, or the core reaches the cycle at
//! which it next wraps ([`SysTick::cycles_to_wrap`]), so counting costs nothing per instruction.
//!
//! CLKSOURCE is stored but ignored: the counter always counts core cycles. On the STM32s
//! CLKSOURCE = 0 selects HCLK/8; vendor code (`SysTick_Config`, `HAL_InitTick`) selects the
//! core clock (CLKSOURCE = 1), which is what is modelled.

/// SYST_CSR bits (B3.3.3).
pub mod csr {
    pub const ENABLE: u32 = 1 << 0;
    pub const TICKINT: u32 = 1 << 1;
    pub const CLKSOURCE: u32 = 1 << 2;
    pub const COUNTFLAG: u32 = 1 << 16;
    pub const WRITABLE: u32 = ENABLE | TICKINT | CLKSOURCE;
}

/// SYST_CALIB.NOREF (B3.3.6): no reference clock; CLKSOURCE then reads as one.
pub const CALIB_NOREF: u32 = 1 << 31;

/// The 24-bit RELOAD and CURRENT fields.
pub const COUNTER_MASK: u32 = 0x00FF_FFFF;

#[derive(Debug, Clone, Default)]
pub struct SysTick {
    /// ENABLE, TICKINT, CLKSOURCE and COUNTFLAG.
    csr: u32,
    rvr: u32,
    /// The counter's value at core cycle `at`.
    cvr: u32,
    at: u64,
}

impl SysTick {
    /// Reset: disabled, counter and reload zero (their reset values are UNKNOWN in B3.3; zero
    /// is what software that does not initialise them would most likely see).
    pub fn reset(&mut self, now: u64) {
        *self = SysTick {
            at: now,
            ..SysTick::default()
        };
    }

    fn enabled(&self) -> bool {
        self.csr & csr::ENABLE != 0
    }

    /// Brings the counter to core cycle `now`. Returns whether it wrapped (counted from 1 to 0)
    /// at least once, which sets COUNTFLAG; the caller pends SysTick if [`SysTick::tickint`].
    pub fn catch_up(&mut self, now: u64) -> bool {
        let elapsed = now.saturating_sub(self.at);
        self.at = now;
        if !self.enabled() || elapsed == 0 {
            return false;
        }
        let wrapped = self.count(elapsed);
        if wrapped {
            self.csr |= csr::COUNTFLAG;
        }
        wrapped
    }

    /// Counts `ticks` clock ticks: a tick at 0 reloads RVR, any other tick decrements, and a
    /// decrement to 0 is a wrap (B3.3.1). Returns whether a wrap happened.
    fn count(&mut self, ticks: u64) -> bool {
        let mut ticks = ticks;
        let mut wrapped = false;
        if self.cvr > 0 {
            let cvr = u64::from(self.cvr);
            if ticks < cvr {
                self.cvr -= ticks as u32;
                return false;
            }
            ticks -= cvr;
            self.cvr = 0;
            wrapped = true;
        }
        if ticks == 0 || self.rvr == 0 {
            // A RELOAD of 0 keeps the counter at 0 and never wraps again.
            return wrapped;
        }
        let period = u64::from(self.rvr) + 1;
        let rest = ticks % period;
        wrapped |= ticks >= period;
        self.cvr = if rest == 0 {
            0
        } else {
            self.rvr - (rest - 1) as u32
        };
        wrapped
    }

    /// Core cycles from the last catch-up until the counter next wraps, if it is counting.
    pub fn cycles_to_wrap(&self) -> Option<u64> {
        if !self.enabled() {
            return None;
        }
        if self.cvr > 0 {
            return Some(u64::from(self.cvr));
        }
        (self.rvr != 0).then(|| u64::from(self.rvr) + 1)
    }

    /// The core cycle at which the counter next wraps.
    pub fn next_wrap(&self) -> Option<u64> {
        self.cycles_to_wrap().map(|c| self.at + c)
    }

    pub fn tickint(&self) -> bool {
        self.csr & csr::TICKINT != 0
    }

    /// SYST_CSR read (caught up by the caller): COUNTFLAG reads and clears (B3.3.3).
    pub fn read_csr(&mut self, calib: u32) -> u32 {
        let mut value = self.csr;
        if calib & CALIB_NOREF != 0 {
            value |= csr::CLKSOURCE;
        }
        self.csr &= !csr::COUNTFLAG;
        value
    }

    /// The CSR as a debugger sees it without side effects.
    pub fn peek_csr(&self) -> u32 {
        self.csr
    }

    pub fn write_csr(&mut self, value: u32) {
        self.csr = (self.csr & csr::COUNTFLAG) | (value & csr::WRITABLE);
    }

    pub fn rvr(&self) -> u32 {
        self.rvr
    }

    pub fn write_rvr(&mut self, value: u32) {
        self.rvr = value & COUNTER_MASK;
    }

    pub fn cvr(&self) -> u32 {
        self.cvr
    }

    /// Any write clears the counter and COUNTFLAG (B3.3.5).
    pub fn write_cvr(&mut self) {
        self.cvr = 0;
        self.csr &= !csr::COUNTFLAG;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn running(rvr: u32) -> SysTick {
        let mut t = SysTick::default();
        t.write_rvr(rvr);
        t.write_cvr();
        t.write_csr(csr::ENABLE | csr::TICKINT | csr::CLKSOURCE);
        t
    }

    #[test]
    fn counts_reload_then_down_to_zero() {
        // RVR 3: from 0 the first tick loads 3, then 2, 1, 0 (wrap): a period of 4 ticks.
        let mut t = running(3);
        assert!(!t.catch_up(1));
        assert_eq!(t.cvr(), 3);
        assert!(!t.catch_up(3));
        assert_eq!(t.cvr(), 1);
        assert!(t.catch_up(4));
        assert_eq!(t.cvr(), 0);
        assert_eq!(t.read_csr(0) & csr::COUNTFLAG, csr::COUNTFLAG);
        // Read clears COUNTFLAG.
        assert_eq!(t.read_csr(0) & csr::COUNTFLAG, 0);
    }

    #[test]
    fn long_jumps_wrap_and_land_on_the_right_value() {
        let mut t = running(999);
        // 2500 ticks: wraps at 1000 and 2000, then reload + 499 decrements: 999 - 499 = 500.
        assert!(t.catch_up(2500));
        assert_eq!(t.cvr(), 500);
        assert_eq!(t.cycles_to_wrap(), Some(500));
        assert_eq!(t.next_wrap(), Some(3000));
    }

    #[test]
    fn cvr_write_clears_value_and_countflag_and_disabled_counter_holds() {
        let mut t = running(10);
        t.catch_up(11);
        t.write_cvr();
        assert_eq!(t.cvr(), 0);
        assert_eq!(t.read_csr(0) & csr::COUNTFLAG, 0);
        t.write_csr(0);
        assert!(!t.catch_up(100));
        assert_eq!(t.cvr(), 0);
        assert_eq!(t.cycles_to_wrap(), None);
    }

    #[test]
    fn noref_reads_clksource_as_one() {
        let mut t = SysTick::default();
        assert_eq!(t.read_csr(CALIB_NOREF) & csr::CLKSOURCE, csr::CLKSOURCE);
        assert_eq!(t.read_csr(0) & csr::CLKSOURCE, 0);
    }
}
