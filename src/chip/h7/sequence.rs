//! The STM32H74x/H75x option-change sequence as data (reference §9: OOCD-H7
//! `stm32h7_write_option`, HAL-H7 `HAL_FLASH_OB_Launch`, stlink `_h7`):
//!
//! OPTKEYR ← keys (only while OPTLOCK is set) → write the changed `*_PRG` registers →
//! OPTCCR ← CLR_OPTCHANGEERR → OPTCR ← OPTSTART → poll OPTSR_CUR.OPT_BUSY (bounded) → fail if
//! OPTSR_CUR.OPTCHANGEERR → OPTCR ← OPTLOCK (on every path).
//!
//! There is **no OBL_LAUNCH**: after OPT_BUSY drops, OPTSR_CUR holds the new values, but the
//! bank mapping (OPTCR.SWAP_BANK) changes only at the next system reset or power-on (ST
//! article in reference §9). A tool says so and offers the reset. Which other fields act before
//! a reset is not in the sources read (reference §0: "other fields UNVERIFIED").

use std::time::Duration;

use serde::Serialize;

use super::fields::OptsrField;
use super::geometry::PhysicalBank;
use super::registers::{
    FlashRegister, FLASH_CR_LOCK, FLASH_KEY1, FLASH_KEY2, FLASH_OPTCCR_CLR_OPTCHANGEERR,
    FLASH_OPTCR_OPTLOCK, FLASH_OPTCR_OPTSTART, FLASH_OPTKEY1, FLASH_OPTKEY2,
};

/// How long to wait for OPT_BUSY to drop. Option writes stall the bank "for around 300ms"
/// (reference §9); the bound leaves a margin of more than ten times that.
pub const OPT_BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// The bound when the change lowers RDP to level 0, which mass-erases both banks first.
pub const OPT_BUSY_TIMEOUT_MASS_ERASE: Duration = Duration::from_secs(60);

/// A register bit the sequence reads or writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct RegisterBit {
    /// The register.
    #[serde(serialize_with = "register_name")]
    pub register: FlashRegister,
    /// The bit mask.
    pub mask: u32,
}

fn register_name<S: serde::Serializer>(r: &FlashRegister, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(r.name())
}

/// One step of the option change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OptionStep {
    /// Write both keys to `register`, only while `lock` reads set (a key on an unlocked
    /// register locks it until reset).
    Unlock {
        /// FLASH_OPTKEYR.
        #[serde(serialize_with = "register_name")]
        register: FlashRegister,
        /// OPTKEY1, OPTKEY2, in this order.
        keys: [u32; 2],
        /// FLASH_OPTCR.OPTLOCK.
        lock: RegisterBit,
    },
    /// Write each `*_PRG` register whose value changes (`H7Options::registers_to_write`).
    WriteProgramRegisters,
    /// Clear a stale OPTCHANGEERR: FLASH_OPTCCR ← CLR_OPTCHANGEERR.
    ClearChangeError(RegisterBit),
    /// Start: FLASH_OPTCR |= OPTSTART.
    Start(RegisterBit),
    /// Poll FLASH_OPTSR_CUR.OPT_BUSY until it reads 0, at most `timeout`.
    WaitWhileBusy {
        /// FLASH_OPTSR_CUR.OPT_BUSY.
        busy: RegisterBit,
        /// The bound ([`OPT_BUSY_TIMEOUT`], or the mass-erase one for an RDP regression).
        timeout: Duration,
    },
    /// Fail if FLASH_OPTSR_CUR.OPTCHANGEERR reads 1.
    CheckChangeError(RegisterBit),
    /// Relock: FLASH_OPTCR |= OPTLOCK. Runs on every path, failures included.
    Lock(RegisterBit),
}

/// FLASH_OPTCR.OPTLOCK.
pub const OPTLOCK: RegisterBit = RegisterBit {
    register: FlashRegister::Optcr,
    mask: FLASH_OPTCR_OPTLOCK,
};

fn optsr_cur(field: OptsrField) -> RegisterBit {
    RegisterBit {
        register: FlashRegister::OptsrCur,
        mask: field.mask(),
    }
}

/// The sequence, in order; `lowers_rdp_to_0` picks the longer bound for OPT_BUSY.
pub fn option_sequence(lowers_rdp_to_0: bool) -> [OptionStep; 7] {
    let timeout = if lowers_rdp_to_0 {
        OPT_BUSY_TIMEOUT_MASS_ERASE
    } else {
        OPT_BUSY_TIMEOUT
    };
    [
        OptionStep::Unlock {
            register: FlashRegister::Optkeyr,
            keys: [FLASH_OPTKEY1, FLASH_OPTKEY2],
            lock: OPTLOCK,
        },
        OptionStep::WriteProgramRegisters,
        OptionStep::ClearChangeError(RegisterBit {
            register: FlashRegister::Optccr,
            mask: FLASH_OPTCCR_CLR_OPTCHANGEERR,
        }),
        OptionStep::Start(RegisterBit {
            register: FlashRegister::Optcr,
            mask: FLASH_OPTCR_OPTSTART,
        }),
        OptionStep::WaitWhileBusy {
            busy: optsr_cur(OptsrField::OptBusy),
            timeout,
        },
        OptionStep::CheckChangeError(optsr_cur(OptsrField::OptChangeErr)),
        OptionStep::Lock(OPTLOCK),
    ]
}

/// The key sequence that unlocks physical `bank`'s FLASH_CRx for programming and erase:
/// KEYRx ← KEY1, KEY2, only while CRx.LOCK is set; relocked by CRx |= LOCK.
pub fn bank_unlock(bank: PhysicalBank) -> OptionStep {
    let regs = bank.registers();
    OptionStep::Unlock {
        register: regs.keyr,
        keys: [FLASH_KEY1, FLASH_KEY2],
        lock: RegisterBit {
            register: regs.cr,
            mask: FLASH_CR_LOCK,
        },
    }
}

/// When programmed option values take effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum OptionLoad {
    /// OPTSR_CUR holds the new values once OPT_BUSY drops; the bank swap takes effect at the
    /// next system reset or power-on. No OBL_LAUNCH exists; the link stays up.
    SwapAtNextReset,
}

/// The H74x/H75x load method.
pub const OPTION_LOAD: OptionLoad = OptionLoad::SwapAtNextReset;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_order_of_the_steps() {
        let names: Vec<&str> = option_sequence(false)
            .iter()
            .map(|step| match step {
                OptionStep::Unlock { .. } => "unlock",
                OptionStep::WriteProgramRegisters => "write PRG",
                OptionStep::ClearChangeError(_) => "clear OPTCHANGEERR",
                OptionStep::Start(_) => "OPTSTART",
                OptionStep::WaitWhileBusy { .. } => "wait OPT_BUSY",
                OptionStep::CheckChangeError(_) => "check OPTCHANGEERR",
                OptionStep::Lock(_) => "OPTLOCK",
            })
            .collect();
        assert_eq!(
            names,
            [
                "unlock",
                "write PRG",
                "clear OPTCHANGEERR",
                "OPTSTART",
                "wait OPT_BUSY",
                "check OPTCHANGEERR",
                "OPTLOCK"
            ]
        );
    }

    #[test]
    fn each_step_names_its_register_and_bit() {
        let steps = option_sequence(false);
        assert_eq!(
            steps[0],
            OptionStep::Unlock {
                register: FlashRegister::Optkeyr,
                keys: [0x0819_2A3B, 0x4C5D_6E7F],
                lock: RegisterBit {
                    register: FlashRegister::Optcr,
                    mask: 1
                }
            }
        );
        assert_eq!(
            steps[2],
            OptionStep::ClearChangeError(RegisterBit {
                register: FlashRegister::Optccr,
                mask: 1 << 30
            })
        );
        assert_eq!(
            steps[3],
            OptionStep::Start(RegisterBit {
                register: FlashRegister::Optcr,
                mask: 1 << 1
            })
        );
        assert_eq!(
            steps[4],
            OptionStep::WaitWhileBusy {
                busy: RegisterBit {
                    register: FlashRegister::OptsrCur,
                    mask: 1
                },
                timeout: OPT_BUSY_TIMEOUT
            }
        );
        assert_eq!(
            steps[5],
            OptionStep::CheckChangeError(RegisterBit {
                register: FlashRegister::OptsrCur,
                mask: 1 << 30
            })
        );
        assert_eq!(steps[6], OptionStep::Lock(OPTLOCK));
        assert!(!steps
            .iter()
            .any(|s| matches!(s, OptionStep::Start(b) if b.mask == 1 << 27)));
    }

    #[test]
    fn bounds() {
        assert!(OPT_BUSY_TIMEOUT >= Duration::from_millis(3000), "≫ 300 ms");
        let long = option_sequence(true);
        assert!(matches!(
            long[4],
            OptionStep::WaitWhileBusy { timeout, .. } if timeout == OPT_BUSY_TIMEOUT_MASS_ERASE
        ));
        assert!(OPT_BUSY_TIMEOUT_MASS_ERASE > OPT_BUSY_TIMEOUT);
    }

    #[test]
    fn each_bank_is_unlocked_through_its_own_keyr() {
        for (bank, keyr, cr) in [
            (PhysicalBank::Bank1, 0x5200_2004, 0x5200_200C),
            (PhysicalBank::Bank2, 0x5200_2104, 0x5200_210C),
        ] {
            let OptionStep::Unlock {
                register,
                keys,
                lock,
            } = bank_unlock(bank)
            else {
                panic!("an unlock step");
            };
            assert_eq!(register.address(), keyr);
            assert_eq!(keys, [0x4567_0123, 0xCDEF_89AB]);
            assert_eq!((lock.register.address(), lock.mask), (cr, 1));
        }
    }

    #[test]
    fn the_swap_waits_for_a_reset() {
        assert_eq!(OPTION_LOAD, OptionLoad::SwapAtNextReset);
        let json = serde_json::to_string(&option_sequence(false)[3]).unwrap();
        assert_eq!(json, r#"{"Start":{"register":"FLASH_OPTCR","mask":2}}"#);
    }
}
