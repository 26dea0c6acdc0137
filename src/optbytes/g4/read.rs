//! Reading a G4: identity (DBGMCU_IDCODE, the flash size register at 0x1FFF_75E0), the option
//! registers (FLASH_CR for the locks, FLASH_OPTR and the WRP/PCROP/SEC words) and the stored
//! image (value/complement pairs at 0x1FFF_7800 and 0x1FFF_F800). Read-only.

use serde::Serialize;

use crate::chip::g4::registers::{
    FlashRegister, DBGMCU_IDCODE, FLASHSIZE_BASE, FLASH_CR_LOCK, FLASH_CR_OPTLOCK,
    OPTION_BYTES_BANK1_BASE, OPTION_BYTES_BANK2_BASE,
};
use crate::chip::g4::{G4Layout, G4Line, G4OptionImage, G4Options, G4Part, G4PartError};

use crate::optbytes::error::{Error, LeftState};
use crate::optbytes::target::Target;

/// The option registers in register order, as the snapshot reads them.
pub use crate::chip::g4::registers::OPTION_REGISTERS;

/// What a G4 says it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G4Identity {
    /// DBGMCU_IDCODE.
    pub idcode: u32,
    /// Flash size register (KB).
    pub flash_size_kb: u16,
}

impl G4Identity {
    /// DEV_ID (bits 11:0).
    pub fn dev_id(&self) -> u16 {
        (self.idcode & 0xFFF) as u16
    }

    /// REV_ID (bits 31:16).
    pub fn rev_id(&self) -> u16 {
        (self.idcode >> 16) as u16
    }

    /// The part.
    pub fn part(&self) -> Result<G4Part, G4PartError> {
        G4Part::from_ids(self.dev_id(), self.flash_size_kb)
    }

    /// e.g. "STM32G47x/G48x (DEV_ID 0x469, REV_ID 0x2000), 512 KB flash".
    pub fn describe(&self) -> String {
        format!(
            "{} (DEV_ID {:#05x}, REV_ID {:#06x}), {} KB flash",
            G4Line::from_dev_id(self.dev_id())
                .map(G4Line::label)
                .unwrap_or("unknown device"),
            self.dev_id(),
            self.rev_id(),
            self.flash_size_kb
        )
    }
}

/// A snapshot of a G4's option bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G4Snapshot {
    /// FLASH_CR (LOCK, OPTLOCK).
    pub cr: u32,
    /// The option registers as read: the values loaded at the last option load, or values
    /// written since.
    pub registers: G4Options,
    /// The stored option bytes, if readable.
    pub stored: Option<G4OptionImage>,
    /// DEV_ID/REV_ID and flash size.
    pub identity: G4Identity,
}

impl G4Snapshot {
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
    pub fn programmed(&self) -> G4Options {
        programmed_options(self.registers, self.stored.as_ref())
    }

    /// The programmed values, when they differ from the registers.
    pub fn pending(&self) -> Option<G4Options> {
        let p = self.programmed();
        (p != self.registers).then_some(p)
    }

    /// The page layout the registers select, when the part's size has one.
    pub fn layout(&self, part: &G4Part) -> Option<G4Layout> {
        G4Layout::new(part.flash_kb, self.registers.bank_mode()).ok()
    }
}

/// See [`G4Snapshot::programmed`].
pub(crate) fn programmed_options(
    registers: G4Options,
    stored: Option<&G4OptionImage>,
) -> G4Options {
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

pub(crate) fn read_identity<T: Target + ?Sized>(t: &mut T) -> Result<G4Identity, Error> {
    let state = LeftState::UNTOUCHED;
    let idcode = t
        .read32(DBGMCU_IDCODE)
        .map_err(|e| Error::probe("reading DBGMCU_IDCODE", e, state))?;
    let dev_id = (idcode & 0xFFF) as u16;
    if G4Line::from_dev_id(dev_id).is_none() {
        return Err(Error::UnsupportedChip {
            source: G4PartError::UnknownDevId { dev_id }.into(),
            state,
        });
    }
    // FLASHSIZE_BASE is word-aligned: the size is the low half-word.
    let word = t
        .read32(FLASHSIZE_BASE)
        .map_err(|e| Error::probe("reading the flash size register", e, state))?;
    Ok(G4Identity {
        idcode,
        flash_size_kb: word as u16,
    })
}

pub(crate) fn read_registers<T: Target + ?Sized>(
    t: &mut T,
    step: &str,
    state: LeftState,
) -> Result<G4Options, Error> {
    let mut v = [0u32; 11];
    for (slot, reg) in v.iter_mut().zip(OPTION_REGISTERS) {
        *slot = read_retrying(t, reg.address()).map_err(|e| Error::probe(step, e, state))?;
    }
    Ok(G4Options {
        optr: v[0],
        pcrop1sr: v[1],
        pcrop1er: v[2],
        wrp1ar: v[3],
        wrp1br: v[4],
        pcrop2sr: v[5],
        pcrop2er: v[6],
        wrp2ar: v[7],
        wrp2br: v[8],
        sec1r: v[9],
        sec2r: v[10],
    })
}

pub(crate) fn read_cr<T: Target + ?Sized>(t: &mut T, state: LeftState) -> Result<u32, Error> {
    read_retrying(t, FlashRegister::Cr.address())
        .map_err(|e| Error::probe("reading FLASH_CR", e, state))
}

pub(crate) fn read_image<T: Target + ?Sized>(t: &mut T) -> Result<G4OptionImage, probe_rs::Error> {
    let mut bank1 = [0u32; 12];
    let mut bank2 = [0u32; 12];
    t.read_block32(OPTION_BYTES_BANK1_BASE, &mut bank1)
        .or_else(|_| t.read_block32(OPTION_BYTES_BANK1_BASE, &mut bank1))?;
    t.read_block32(OPTION_BYTES_BANK2_BASE, &mut bank2)
        .or_else(|_| t.read_block32(OPTION_BYTES_BANK2_BASE, &mut bank2))?;
    Ok(G4OptionImage { bank1, bank2 })
}

pub(crate) fn read_image_if_readable<T: Target + ?Sized>(t: &mut T) -> Option<G4OptionImage> {
    read_image(t)
        .inspect_err(|e| {
            log::warn!("could not read the option bytes at 0x1FFF_7800/0x1FFF_F800: {e}")
        })
        .ok()
}

pub(crate) fn read_from<T: Target + ?Sized>(t: &mut T) -> Result<G4Snapshot, Error> {
    let identity = read_identity(t)?;
    let cr = read_cr(t, LeftState::UNTOUCHED)?;
    let registers = read_registers(t, "reading the option registers", LeftState::UNTOUCHED)?;
    let stored = read_image_if_readable(t);
    Ok(G4Snapshot {
        cr,
        registers,
        stored,
        identity,
    })
}

/// The part of the chip in `snapshot`, checked against the part named by `target_name`.
pub fn identify(snapshot: &G4Snapshot, target_name: &str) -> Result<G4Part, Error> {
    let unsupported = |source: G4PartError| Error::UnsupportedChip {
        source: source.into(),
        state: LeftState::UNTOUCHED,
    };
    let chip = snapshot.identity.part().map_err(unsupported)?;
    let named = G4Part::from_name(target_name).map_err(unsupported)?;
    if named != chip {
        return Err(Error::WrongChip {
            detail: format!(
                "{target_name} is {}, but the chip reports {}",
                named.describe(),
                snapshot.identity.describe()
            ),
            state: LeftState::UNTOUCHED,
        });
    }
    Ok(chip)
}

/// Read and identify (against the session's target name). The core keeps running.
pub fn inspect(session: &mut probe_rs::Session) -> Result<(G4Snapshot, G4Part), Error> {
    let target_name = session.target().name.clone();
    let mut core = session
        .core(0)
        .map_err(|e| Error::probe("opening core 0", e, LeftState::UNTOUCHED))?;
    let snapshot = read_from(&mut core)?;
    let part = identify(&snapshot, &target_name)?;
    Ok((snapshot, part))
}
