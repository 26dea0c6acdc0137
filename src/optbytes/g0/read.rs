//! Reading a G0B0/G0B1/G0C1: identity (DBG_IDCODE at 0x4001_5800, the flash size register at
//! 0x1FFF_75E0), the option registers (FLASH_CR for the locks, FLASH_OPTR and the WRP/PCROP/SECR
//! words) and the stored image (value/complement pairs from 0x1FFF_7800). Read-only.
//!
//! The three lines share DEV_ID 0x467; which one the chip is comes from the target name. The
//! registers a line lacks (the G0B0's PCROP and SECR) are taken at their factory ("off")
//! values, whatever the bus answers there, so that every comparison is over the registers the
//! part has.

use serde::Serialize;

use crate::chip::family::{dev_id, rev_id};
use crate::chip::g0::registers::{
    FlashRegister, DBG_IDCODE, FLASHSIZE_BASE, FLASH_CR_LOCK, FLASH_CR_OPTLOCK,
    OPTION_BYTES_BASE,
};
use crate::chip::g0::{G0Detected, G0Layout, G0Line, G0OptionImage, G0Options, G0Part, G0PartError};

use crate::optbytes::error::{Error, LeftState};
use crate::optbytes::target::Target;

/// What a G0 says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G0Identity {
    /// DBG_IDCODE.
    pub idcode: u32,
    /// Flash size register (KB).
    pub flash_size_kb: u16,
}

impl G0Identity {
    /// DEV_ID (bits 11:0).
    pub fn dev_id(&self) -> u16 {
        dev_id(self.idcode)
    }

    /// REV_ID (bits 31:16).
    pub fn rev_id(&self) -> u16 {
        rev_id(self.idcode)
    }

    /// The class and size the chip reports.
    pub fn detected(&self) -> Result<G0Detected, G0PartError> {
        G0Detected::from_ids(self.dev_id(), self.flash_size_kb)
    }

    /// e.g. "STM32G0B0/G0B1/G0C1 (DEV_ID 0x467, REV_ID 0x1000), 512 KB flash".
    pub fn describe(&self) -> String {
        format!(
            "{} (DEV_ID {:#05x}, REV_ID {:#06x}), {} KB flash",
            if self.dev_id() == crate::chip::g0::part::DEV_ID_G0B_G0C {
                "STM32G0B0/G0B1/G0C1"
            } else {
                "unknown device"
            },
            self.dev_id(),
            self.rev_id(),
            self.flash_size_kb
        )
    }
}

/// A snapshot of a G0's option bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G0Snapshot {
    /// FLASH_CR (LOCK, OPTLOCK).
    pub cr: u32,
    /// The option registers as read: the values loaded at the last option load, or values
    /// written since.
    pub registers: G0Options,
    /// The stored option bytes, if readable.
    pub stored: Option<G0OptionImage>,
    /// DEV_ID/REV_ID and flash size.
    pub identity: G0Identity,
}

impl G0Snapshot {
    /// FLASH_CR.OPTLOCK.
    pub fn optlock(&self) -> bool {
        self.cr & FLASH_CR_OPTLOCK != 0
    }

    /// FLASH_CR.LOCK.
    pub fn lock(&self) -> bool {
        self.cr & FLASH_CR_LOCK != 0
    }

    /// The values the next option load (OBL_LAUNCH, power-on) brings: the stored image when its
    /// complements check out, else the registers.
    pub fn programmed(&self) -> G0Options {
        programmed_options(self.registers, self.stored.as_ref())
    }

    /// The programmed values, when they differ from the registers.
    pub fn pending(&self) -> Option<G0Options> {
        let p = self.programmed();
        (p != self.registers).then_some(p)
    }

    /// The layout the registers select.
    pub fn layout(&self, part: &G0Part) -> Option<G0Layout> {
        self.registers.layout(part.flash_kb).ok()
    }
}

/// See [`G0Snapshot::programmed`].
pub(crate) fn programmed_options(
    registers: G0Options,
    stored: Option<&G0OptionImage>,
) -> G0Options {
    match stored {
        Some(image) if image.mismatches().is_empty() => image.options(),
        _ => registers,
    }
}

/// A read tried twice: these reads have no side effects.
fn read_retrying<T: Target + ?Sized>(t: &mut T, address: u32) -> Result<u32, probe_rs::Error> {
    t.read32(address).or_else(|e| {
        log::warn!("reading {address:#010x} failed ({e}); trying once more");
        t.read32(address)
    })
}

pub(crate) fn read_identity<T: Target + ?Sized>(t: &mut T) -> Result<G0Identity, Error> {
    let state = LeftState::UNTOUCHED;
    let idcode = t
        .read32(DBG_IDCODE)
        .map_err(|e| Error::probe("reading DBG_IDCODE", e, state))?;
    if dev_id(idcode) != crate::chip::g0::part::DEV_ID_G0B_G0C {
        return Err(Error::UnsupportedChip {
            source: G0PartError::UnknownDevId {
                dev_id: dev_id(idcode),
            }
            .into(),
            state,
        });
    }
    // FLASHSIZE_BASE is word-aligned: the size is the low half-word.
    let word = t
        .read32(FLASHSIZE_BASE)
        .map_err(|e| Error::probe("reading the flash size register", e, state))?;
    Ok(G0Identity {
        idcode,
        flash_size_kb: word as u16,
    })
}

/// The registers `line` has, as read; the others at their factory values.
pub(crate) fn read_registers<T: Target + ?Sized>(
    t: &mut T,
    line: G0Line,
    step: &str,
    state: LeftState,
) -> Result<G0Options, Error> {
    let mut options = G0Options::factory(line);
    for reg in FlashRegister::OPTIONS.into_iter().filter(|r| r.exists_on(line)) {
        let value = read_retrying(t, reg.address()).map_err(|e| Error::probe(step, e, state))?;
        options.set_register(reg, value);
    }
    Ok(options)
}

pub(crate) fn read_cr<T: Target + ?Sized>(t: &mut T, state: LeftState) -> Result<u32, Error> {
    read_retrying(t, FlashRegister::Cr.address())
        .map_err(|e| Error::probe("reading FLASH_CR", e, state))
}

/// The stored image; the entries of registers `line` lacks at their factory values.
pub(crate) fn read_image<T: Target + ?Sized>(
    t: &mut T,
    line: G0Line,
) -> Result<G0OptionImage, probe_rs::Error> {
    let mut words = [0u32; 28];
    t.read_block32(OPTION_BYTES_BASE, &mut words)
        .or_else(|_| t.read_block32(OPTION_BYTES_BASE, &mut words))?;
    let factory = G0Options::factory(line);
    for (i, reg) in FlashRegister::OPTIONS.into_iter().enumerate() {
        if !reg.exists_on(line) {
            let value = factory.register(reg).unwrap_or(0);
            words[2 * i] = value;
            words[2 * i + 1] = !value;
        }
    }
    Ok(G0OptionImage { words })
}

pub(crate) fn read_image_if_readable<T: Target + ?Sized>(
    t: &mut T,
    line: G0Line,
) -> Option<G0OptionImage> {
    read_image(t, line)
        .inspect_err(|e| log::warn!("could not read the option bytes at 0x1FFF_7800: {e}"))
        .ok()
}

pub(crate) fn read_from<T: Target + ?Sized>(t: &mut T, line: G0Line) -> Result<G0Snapshot, Error> {
    let identity = read_identity(t)?;
    let cr = read_cr(t, LeftState::UNTOUCHED)?;
    let registers = read_registers(t, line, "reading the option registers", LeftState::UNTOUCHED)?;
    let stored = read_image_if_readable(t, line);
    Ok(G0Snapshot {
        cr,
        registers,
        stored,
        identity,
    })
}

/// The part `target_name` names, checked against what the chip reports.
pub fn identify(identity: &G0Identity, target_name: &str) -> Result<G0Part, Error> {
    let unsupported = |source: G0PartError| Error::UnsupportedChip {
        source: source.into(),
        state: LeftState::UNTOUCHED,
    };
    let named = G0Part::from_name(target_name).map_err(unsupported)?;
    named
        .check_ids(identity.dev_id(), identity.flash_size_kb)
        .map_err(|e| match e {
            G0PartError::SizeMismatch { .. } => Error::WrongChip {
                detail: format!(
                    "{target_name} is {}, but the chip reports {}",
                    named.describe(),
                    identity.describe()
                ),
                state: LeftState::UNTOUCHED,
            },
            other => unsupported(other),
        })?;
    Ok(named)
}

/// Read and identify (against the session's target name). The core keeps running.
pub fn inspect(session: &mut probe_rs::Session) -> Result<(G0Snapshot, G0Part), Error> {
    let target_name = session.target().name.clone();
    let mut core = session
        .core(0)
        .map_err(|e| Error::probe("opening core 0", e, LeftState::UNTOUCHED))?;
    let identity = read_identity(&mut core)?;
    let part = identify(&identity, &target_name)?;
    let snapshot = read_from(&mut core, part.line)?;
    Ok((snapshot, part))
}

/// The part of `line` with the flash size the chip reports now, and the chip in words; an error
/// reading, or another DEV_ID, is `Err`.
pub(crate) fn identify_chip<T: Target + ?Sized>(
    t: &mut T,
    line: G0Line,
) -> Result<(Result<G0Part, Error>, String), Error> {
    let identity = read_identity(t)?;
    let part = identity
        .detected()
        .map(|d| G0Part {
            line,
            flash_kb: d.flash_kb,
        })
        .map_err(|source| Error::UnsupportedChip {
            source: source.into(),
            state: LeftState::UNTOUCHED,
        });
    Ok((part, identity.describe()))
}
