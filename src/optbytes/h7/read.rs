//! Reading an STM32H74x/H75x: identity (DBGMCU_IDCODE at 0x5C00_1000 as the core sees it, the
//! flash size register at 0x1FF1_E880), FLASH_OPTCR (OPTLOCK, and SWAP_BANK: the mapping in
//! force) and both images of the option registers: `*_CUR` (in force) and `*_PRG` (what the
//! next OPTSTART programs). Read-only.

use serde::Serialize;

use crate::chip::h7::identity::{dev_id, rev_id, DBGMCU_BASE_CPU, DEV_ID_H74X, FLASHSIZE_BASE};
use crate::chip::h7::registers::{FlashRegister, FLASH_OPTCR_OPTLOCK};
pub use crate::chip::h7::registers::FLASH_OPTCR_SWAP_BANK;
use crate::chip::h7::{BankSwap, H7Layout, H7Options, H7Part, H7PartError};

use crate::optbytes::error::{Error, LeftState};
use crate::optbytes::target::Target;

/// The status bits of FLASH_OPTSR_CUR (OPT_BUSY, OPTCHANGEERR): never part of an image.
pub const OPTSR_STATUS: u32 = (1 << 0) | (1 << 30);

/// What an H74x/H75x says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct H7Identity {
    /// DBGMCU_IDCODE.
    pub idcode: u32,
    /// The flash size register (KB, 0xFFFF reads as 2 MB).
    pub flash_size_raw: u16,
}

impl H7Identity {
    /// DEV_ID (bits 11:0).
    pub fn dev_id(&self) -> u16 {
        dev_id(self.idcode)
    }

    /// The part as DEV_ID and the flash size identify it (H742/H743/H753 read alike: H743).
    pub fn part(&self) -> Result<H7Part, H7PartError> {
        H7Part::from_ids(self.dev_id(), self.flash_size_raw)
    }

    /// e.g. "STM32H74x/H75x (DEV_ID 0x450, REV_ID 0x2003), 2048 KB flash".
    pub fn describe(&self) -> String {
        format!(
            "{} (DEV_ID {:#05x}, REV_ID {:#06x}), {} KB flash",
            if self.dev_id() == DEV_ID_H74X {
                "STM32H74x/H75x"
            } else {
                "unknown device"
            },
            self.dev_id(),
            rev_id(self.idcode),
            crate::chip::h7::identity::flash_size_kb(self.flash_size_raw)
        )
    }
}

/// A snapshot of an H7's option registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct H7Snapshot {
    /// FLASH_OPTCR (OPTLOCK, SWAP_BANK).
    pub optcr: u32,
    /// FLASH_OPTSR_CUR as read, status bits included.
    pub optsr_cur: u32,
    /// The `*_CUR` registers: the values in force (status bits cleared).
    pub cur: H7Options,
    /// The `*_PRG` registers: what the next OPTSTART programs.
    pub prg: H7Options,
    /// DEV_ID/REV_ID and flash size.
    pub identity: H7Identity,
}

impl H7Snapshot {
    /// FLASH_OPTCR.OPTLOCK.
    pub fn optlock(&self) -> bool {
        self.optcr & FLASH_OPTCR_OPTLOCK != 0
    }

    /// The bank mapping in force (FLASH_OPTCR.SWAP_BANK).
    pub fn swap_in_force(&self) -> BankSwap {
        BankSwap::from_bit(self.optcr & FLASH_OPTCR_SWAP_BANK != 0)
    }

    /// The programmed SWAP_BANK_OPT, when it differs from the mapping in force: it takes effect
    /// at the next reset.
    pub fn swap_pending(&self) -> Option<BankSwap> {
        let programmed = self.cur.swap();
        (programmed != self.swap_in_force()).then_some(programmed)
    }

    /// The sector layout in force, when the part's size has one.
    pub fn layout(&self, part: &H7Part) -> Option<H7Layout> {
        H7Layout::new(part.flash_kb, self.swap_in_force()).ok()
    }
}

/// A read tried twice: these reads have no side effects.
fn read_retrying<T: Target + ?Sized>(t: &mut T, address: u32) -> Result<u32, probe_rs::Error> {
    t.read32(address).or_else(|e| {
        log::warn!("reading {address:#010x} failed ({e}); trying once more");
        t.read32(address)
    })
}

pub(crate) fn read_identity<T: Target + ?Sized>(t: &mut T) -> Result<H7Identity, Error> {
    let state = LeftState::UNTOUCHED;
    let idcode = read_retrying(t, DBGMCU_BASE_CPU)
        .map_err(|e| Error::probe("reading DBGMCU_IDCODE", e, state))?;
    if dev_id(idcode) != DEV_ID_H74X {
        return Err(Error::UnsupportedChip {
            source: H7PartError::UnknownDevId {
                dev_id: dev_id(idcode),
            }
            .into(),
            state,
        });
    }
    // FLASHSIZE_BASE is word-aligned: the size is the low half-word.
    let word = read_retrying(t, FLASHSIZE_BASE)
        .map_err(|e| Error::probe("reading the flash size register", e, state))?;
    Ok(H7Identity {
        idcode,
        flash_size_raw: word as u16,
    })
}

/// The `*_CUR` registers in order: OPTSR, PRAR1, SCAR1, WPSN1, PRAR2, SCAR2, WPSN2, BOOT.
const CUR: [FlashRegister; 8] = [
    FlashRegister::OptsrCur,
    FlashRegister::PrarCur1,
    FlashRegister::ScarCur1,
    FlashRegister::WpsnCur1,
    FlashRegister::PrarCur2,
    FlashRegister::ScarCur2,
    FlashRegister::WpsnCur2,
    FlashRegister::BootCur,
];

/// The `*_PRG` registers in the same order.
const PRG: [FlashRegister; 8] = [
    FlashRegister::OptsrPrg,
    FlashRegister::PrarPrg1,
    FlashRegister::ScarPrg1,
    FlashRegister::WpsnPrg1,
    FlashRegister::PrarPrg2,
    FlashRegister::ScarPrg2,
    FlashRegister::WpsnPrg2,
    FlashRegister::BootPrg,
];

/// Which image of the option registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Image {
    /// `*_CUR`: in force.
    Current,
    /// `*_PRG`: to program.
    Program,
}

/// One image of the option registers (status bits of OPTSR cleared).
pub(crate) fn read_image<T: Target + ?Sized>(
    t: &mut T,
    image: Image,
    step: &str,
    state: LeftState,
) -> Result<H7Options, Error> {
    let registers = match image {
        Image::Current => CUR,
        Image::Program => PRG,
    };
    let mut v = [0u32; 8];
    for (slot, reg) in v.iter_mut().zip(registers) {
        *slot = read_retrying(t, reg.address()).map_err(|e| Error::probe(step, e, state))?;
    }
    Ok(H7Options {
        optsr: v[0] & !OPTSR_STATUS,
        prar1: v[1],
        scar1: v[2],
        wpsn1: v[3],
        prar2: v[4],
        scar2: v[5],
        wpsn2: v[6],
        boot: v[7],
    })
}

/// FLASH_OPTCR.
pub(crate) fn read_optcr<T: Target + ?Sized>(t: &mut T, state: LeftState) -> Result<u32, Error> {
    read_retrying(t, FlashRegister::Optcr.address())
        .map_err(|e| Error::probe("reading FLASH_OPTCR", e, state))
}

/// FLASH_OPTSR_CUR with its status bits.
pub(crate) fn read_optsr_cur<T: Target + ?Sized>(
    t: &mut T,
    step: &str,
    state: LeftState,
) -> Result<u32, Error> {
    read_retrying(t, FlashRegister::OptsrCur.address()).map_err(|e| Error::probe(step, e, state))
}

pub(crate) fn read_from<T: Target + ?Sized>(t: &mut T) -> Result<H7Snapshot, Error> {
    let untouched = LeftState::UNTOUCHED;
    let identity = read_identity(t)?;
    let optcr = read_optcr(t, untouched)?;
    let optsr_cur = read_optsr_cur(t, "reading FLASH_OPTSR_CUR", untouched)?;
    let cur = read_image(t, Image::Current, "reading the *_CUR registers", untouched)?;
    let prg = read_image(t, Image::Program, "reading the *_PRG registers", untouched)?;
    Ok(H7Snapshot {
        optcr,
        optsr_cur,
        cur,
        prg,
        identity,
    })
}

/// The part of the chip in `snapshot`, checked against the part named by `target_name`. DEV_ID
/// and the flash size cannot tell an H742, H743 and H753 apart: the name says which line, the
/// chip must agree on the family and the size.
pub fn identify(snapshot: &H7Snapshot, target_name: &str) -> Result<H7Part, Error> {
    let unsupported = |source: H7PartError| Error::UnsupportedChip {
        source: source.into(),
        state: LeftState::UNTOUCHED,
    };
    let chip = snapshot.identity.part().map_err(unsupported)?;
    let named = H7Part::from_name(target_name).map_err(unsupported)?;
    if named.flash_kb != chip.flash_kb {
        return Err(Error::WrongChip {
            detail: format!(
                "{target_name} is {}, but the chip reports {}",
                named.describe(),
                snapshot.identity.describe()
            ),
            state: LeftState::UNTOUCHED,
        });
    }
    Ok(named)
}

/// Read and identify (against the session's target name). The core keeps running.
pub fn inspect(session: &mut probe_rs::Session) -> Result<(H7Snapshot, H7Part), Error> {
    let target_name = session.target().name.clone();
    let mut core = session
        .core(0)
        .map_err(|e| Error::probe("opening core 0", e, LeftState::UNTOUCHED))?;
    let snapshot = read_from(&mut core)?;
    let part = identify(&snapshot, &target_name)?;
    Ok((snapshot, part))
}
