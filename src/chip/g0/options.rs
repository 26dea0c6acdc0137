//! The full set of G0 option registers (OPTR, WRP, PCROP, SECR), their protection areas decoded
//! to pages and addresses in the live layout (swap included), and the stored option-byte image.
//!
//! Every area names a **physical** bank: WRP1x/PCROP1x protect physical bank 1 wherever it is
//! mapped, WRP2x/PCROP2x physical bank 2 (HAL-G0 computes the PCROP1 base as the second half of
//! the flash when nSWAP_BANK = 0: "Bank swap, bank 1 read only protection is on second half of
//! Flash").

use serde::Serialize;

use super::fields::{factory_optr, optr_reserved, OptrField};
use super::geometry::{BankMode, G0GeometryError, G0Layout, PhysicalBank, Swap};
use super::part::G0Line;
use super::registers::{FlashRegister, OPTION_BYTES_BASE};

/// WRPxyR.WRPxy_STRT: bits 6:0 — a page number inside the area's bank.
pub const WRP_STRT: u32 = 0x7F;
/// WRPxyR.WRPxy_END: bits 22:16.
pub const WRP_END: u32 = 0x7F << 16;
/// PCROPxySR.PCROPxy_STRT / PCROPxyER.PCROPxy_END: bits 8:0, in 512-byte units.
pub const PCROP_OFFSET: u32 = 0x1FF;
/// PCROP granularity (HAL-G0 `FLASH_PCROP_GRANULARITY`, 512 bytes).
pub const PCROP_UNIT: u32 = 512;
/// PCROP1AER.PCROP_RDP, bit 31: PCROP areas are erased when RDP goes from 1 to 0.
pub const PCROP1AER_PCROP_RDP: u32 = 1 << 31;
/// SECR.SEC_SIZE: bits 7:0, pages of bank 1 in the securable area.
pub const SECR_SEC_SIZE: u32 = 0xFF;
/// SECR.BOOT_LOCK, bit 16: boot forced to main flash.
pub const SECR_BOOT_LOCK: u32 = 1 << 16;
/// SECR.SEC_SIZE2: bits 27:20, pages of bank 2 in the securable area.
pub const SECR_SEC_SIZE2: u32 = 0xFF << 20;

/// The option registers of a G0B0/G0B1/G0C1 (on the G0B0, the PCROP and SECR words are held at
/// their "off" values: the registers do not exist there).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct G0Options {
    /// FLASH_OPTR.
    pub optr: u32,
    /// FLASH_PCROP1ASR.
    pub pcrop1asr: u32,
    /// FLASH_PCROP1AER.
    pub pcrop1aer: u32,
    /// FLASH_WRP1AR.
    pub wrp1ar: u32,
    /// FLASH_WRP1BR.
    pub wrp1br: u32,
    /// FLASH_PCROP1BSR.
    pub pcrop1bsr: u32,
    /// FLASH_PCROP1BER.
    pub pcrop1ber: u32,
    /// FLASH_PCROP2ASR.
    pub pcrop2asr: u32,
    /// FLASH_PCROP2AER.
    pub pcrop2aer: u32,
    /// FLASH_WRP2AR.
    pub wrp2ar: u32,
    /// FLASH_WRP2BR.
    pub wrp2br: u32,
    /// FLASH_PCROP2BSR.
    pub pcrop2bsr: u32,
    /// FLASH_PCROP2BER.
    pub pcrop2ber: u32,
    /// FLASH_SECR.
    pub secr: u32,
}

impl G0Options {
    /// Factory state of `line`: OPTR per [`factory_optr`]; WRP and PCROP areas off (start >
    /// end), no securable area, no BOOT_LOCK. The non-OPTR words are BMP-G0's defaults
    /// (`option erase`), cut to the registers' fields; ST's own factory words are not in the
    /// sources read (UNVERIFIED).
    pub fn factory(line: G0Line) -> G0Options {
        G0Options {
            optr: factory_optr(line),
            pcrop1asr: PCROP_OFFSET,
            pcrop1aer: 0,
            wrp1ar: WRP_STRT,
            wrp1br: WRP_STRT,
            pcrop1bsr: PCROP_OFFSET,
            pcrop1ber: 0,
            pcrop2asr: PCROP_OFFSET,
            pcrop2aer: 0,
            wrp2ar: WRP_STRT,
            wrp2br: WRP_STRT,
            pcrop2bsr: PCROP_OFFSET,
            pcrop2ber: 0,
            secr: 0,
        }
    }

    fn slot(&mut self, reg: FlashRegister) -> Option<&mut u32> {
        Some(match reg {
            FlashRegister::Optr => &mut self.optr,
            FlashRegister::Pcrop1asr => &mut self.pcrop1asr,
            FlashRegister::Pcrop1aer => &mut self.pcrop1aer,
            FlashRegister::Wrp1ar => &mut self.wrp1ar,
            FlashRegister::Wrp1br => &mut self.wrp1br,
            FlashRegister::Pcrop1bsr => &mut self.pcrop1bsr,
            FlashRegister::Pcrop1ber => &mut self.pcrop1ber,
            FlashRegister::Pcrop2asr => &mut self.pcrop2asr,
            FlashRegister::Pcrop2aer => &mut self.pcrop2aer,
            FlashRegister::Wrp2ar => &mut self.wrp2ar,
            FlashRegister::Wrp2br => &mut self.wrp2br,
            FlashRegister::Pcrop2bsr => &mut self.pcrop2bsr,
            FlashRegister::Pcrop2ber => &mut self.pcrop2ber,
            FlashRegister::Secr => &mut self.secr,
            _ => return None,
        })
    }

    /// The value of one option register (`None` for a non-option register).
    pub fn register(&self, reg: FlashRegister) -> Option<u32> {
        let index = FlashRegister::OPTIONS.iter().position(|r| *r == reg)?;
        Some(self.words()[index])
    }

    /// Sets one option register; `false` for a non-option register.
    pub fn set_register(&mut self, reg: FlashRegister, value: u32) -> bool {
        match self.slot(reg) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// The fourteen registers in [`FlashRegister::OPTIONS`] order.
    pub fn words(&self) -> [u32; 14] {
        [
            self.optr,
            self.pcrop1asr,
            self.pcrop1aer,
            self.wrp1ar,
            self.wrp1br,
            self.pcrop1bsr,
            self.pcrop1ber,
            self.pcrop2asr,
            self.pcrop2aer,
            self.wrp2ar,
            self.wrp2br,
            self.pcrop2bsr,
            self.pcrop2ber,
            self.secr,
        ]
    }

    /// The registers from fourteen words in [`FlashRegister::OPTIONS`] order.
    pub fn from_words(words: [u32; 14]) -> G0Options {
        let mut o = G0Options::factory(G0Line::G0B1);
        for (reg, value) in FlashRegister::OPTIONS.into_iter().zip(words) {
            o.set_register(reg, value);
        }
        o
    }

    /// The RDP byte.
    pub fn rdp(&self) -> u8 {
        OptrField::Rdp.get(self.optr) as u8
    }

    /// The layout these options select on a part with `flash_kb`.
    pub fn layout(&self, flash_kb: u32) -> Result<G0Layout, G0GeometryError> {
        G0Layout::from_option_bits(
            flash_kb,
            OptrField::DualBank.get(self.optr) != 0,
            OptrField::NSwapBank.get(self.optr) != 0,
        )
    }

    /// The four WRP areas.
    pub fn wrp_areas(&self) -> [(WrpArea, u32); 4] {
        [
            (WrpArea::Bank1A, self.wrp1ar),
            (WrpArea::Bank1B, self.wrp1br),
            (WrpArea::Bank2A, self.wrp2ar),
            (WrpArea::Bank2B, self.wrp2br),
        ]
    }

    /// The four PCROP areas with their start and end words.
    pub fn pcrop_areas(&self) -> [(PcropArea, u32, u32); 4] {
        [
            (PcropArea::Bank1A, self.pcrop1asr, self.pcrop1aer),
            (PcropArea::Bank1B, self.pcrop1bsr, self.pcrop1ber),
            (PcropArea::Bank2A, self.pcrop2asr, self.pcrop2aer),
            (PcropArea::Bank2B, self.pcrop2bsr, self.pcrop2ber),
        ]
    }

    /// The PCROP areas that protect something in `layout`.
    pub fn active_pcrop(&self, layout: &G0Layout) -> Vec<PcropRange> {
        self.pcrop_areas()
            .into_iter()
            .filter_map(|(area, sr, er)| area.decode(sr, er, layout))
            .collect()
    }

    /// The securable area and BOOT_LOCK.
    pub fn securable_area(&self) -> SecurableArea {
        SecurableArea {
            bank1_pages: self.secr & SECR_SEC_SIZE,
            bank2_pages: (self.secr & SECR_SEC_SIZE2) >> 20,
            boot_lock: self.secr & SECR_BOOT_LOCK != 0,
        }
    }

    /// These options as `line` holds them: reserved OPTR bits at their factory values, the
    /// registers the line lacks at their factory ("off") values.
    pub fn as_on(&self, line: G0Line) -> G0Options {
        let factory = G0Options::factory(line);
        let reserved = optr_reserved(line);
        let mut out = *self;
        out.optr = (self.optr & !reserved) | (factory.optr & reserved);
        for reg in FlashRegister::OPTIONS {
            if !reg.exists_on(line) {
                out.set_register(reg, factory.register(reg).unwrap_or(0));
            }
        }
        out
    }

    /// The swap these options select on a part with `flash_kb` (off where it cannot act).
    pub fn swap(&self, flash_kb: u32) -> Option<Swap> {
        self.layout(flash_kb).ok().map(|l| l.swap)
    }
}

/// A write-protection area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum WrpArea {
    /// FLASH_WRP1AR.
    Bank1A,
    /// FLASH_WRP1BR.
    Bank1B,
    /// FLASH_WRP2AR.
    Bank2A,
    /// FLASH_WRP2BR.
    Bank2B,
}

/// What a WRP area protects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum WrpVerdict {
    /// start > end: the area is off.
    Inactive,
    /// Pages `first..=last` of physical bank `bank`, at `start..end` in the mapping in force.
    /// `clipped` is true when the area names pages past the end of the bank.
    Protects {
        /// Physical bank holding the pages.
        bank: PhysicalBank,
        /// First page number.
        first: u32,
        /// Last page number (inclusive).
        last: u32,
        /// First protected address.
        start: u32,
        /// One past the last protected address.
        end: u32,
        /// The register named pages beyond the bank.
        clipped: bool,
    },
    /// The area names only pages that do not exist.
    OutsideFlash,
    /// A bank-2 area in single-bank mode: HAL-G0 offers zones 2A/2B only with two banks; what
    /// the chip does with them then is UNVERIFIED.
    NotInThisMode,
}

impl WrpArea {
    /// The register holding this area.
    pub fn register(self) -> FlashRegister {
        match self {
            WrpArea::Bank1A => FlashRegister::Wrp1ar,
            WrpArea::Bank1B => FlashRegister::Wrp1br,
            WrpArea::Bank2A => FlashRegister::Wrp2ar,
            WrpArea::Bank2B => FlashRegister::Wrp2br,
        }
    }

    /// The physical bank whose pages it counts.
    pub fn bank(self) -> PhysicalBank {
        match self {
            WrpArea::Bank1A | WrpArea::Bank1B => PhysicalBank::Bank1,
            WrpArea::Bank2A | WrpArea::Bank2B => PhysicalBank::Bank2,
        }
    }

    /// Decode a WRPxyR value in `layout`. Offsets are page numbers in the area's physical bank;
    /// in single-bank mode the bank-1 areas count pages from 0x0800_0000 and, being 7 bits,
    /// reach only the first 128 pages (UNVERIFIED beyond HAL-G0's `IS_FLASH_PAGE`).
    pub fn decode(self, value: u32, layout: &G0Layout) -> WrpVerdict {
        let first = value & WRP_STRT;
        let last = (value & WRP_END) >> 16;
        if first > last {
            return WrpVerdict::Inactive;
        }
        if layout.bank_mode == BankMode::Single && self.bank() == PhysicalBank::Bank2 {
            return WrpVerdict::NotInThisMode;
        }
        let pages = layout.pages_per_bank();
        if first >= pages {
            return WrpVerdict::OutsideFlash;
        }
        let clipped = last >= pages;
        let last = last.min(pages - 1);
        match (
            layout.page(self.bank(), first),
            layout.page(self.bank(), last),
        ) {
            (Some(a), Some(b)) => WrpVerdict::Protects {
                bank: self.bank(),
                first,
                last,
                start: a.address,
                end: b.end(),
                clipped,
            },
            _ => WrpVerdict::OutsideFlash,
        }
    }
}

/// A PCROP (proprietary code read-out protection) area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PcropArea {
    /// PCROP1ASR/PCROP1AER.
    Bank1A,
    /// PCROP1BSR/PCROP1BER.
    Bank1B,
    /// PCROP2ASR/PCROP2AER.
    Bank2A,
    /// PCROP2BSR/PCROP2BER.
    Bank2B,
}

/// An active PCROP area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PcropRange {
    /// Which area.
    pub area: PcropArea,
    /// First protected address in the mapping in force.
    pub start: u32,
    /// One past the last protected address.
    pub end: u32,
}

impl PcropArea {
    /// The physical bank it protects.
    pub fn bank(self) -> PhysicalBank {
        match self {
            PcropArea::Bank1A | PcropArea::Bank1B => PhysicalBank::Bank1,
            PcropArea::Bank2A | PcropArea::Bank2B => PhysicalBank::Bank2,
        }
    }

    /// Decode a start/end register pair in `layout`; `None` when the area is off (start >
    /// end) or its bank is not mapped (bank 2 in single-bank mode). Units of 512 bytes from the
    /// base of the area's physical bank as it is mapped now (HAL-G0 `FLASH_OB_PCROP1AConfig`);
    /// the end register holds the offset of the last protected unit. Parts of an area beyond
    /// the bank are cut off.
    pub fn decode(self, sr: u32, er: u32, layout: &G0Layout) -> Option<PcropRange> {
        let (first, last) = (sr & PCROP_OFFSET, er & PCROP_OFFSET);
        if first > last {
            return None;
        }
        let base = layout.base_of(self.bank())?;
        let bank_end = base + layout.bank_bytes();
        let start = base + first * PCROP_UNIT;
        (start < bank_end).then(|| PcropRange {
            area: self,
            start,
            end: (base + (last + 1) * PCROP_UNIT).min(bank_end),
        })
    }
}

/// FLASH_SECR decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SecurableArea {
    /// SEC_SIZE: pages of physical bank 1 from its start that FLASH_CR.SEC_PROT can hide.
    pub bank1_pages: u32,
    /// SEC_SIZE2: the same for bank 2 (SEC_PROT2).
    pub bank2_pages: u32,
    /// BOOT_LOCK: boot forced to main flash. How it is cleared again is not in the sources
    /// read (UNVERIFIED).
    pub boot_lock: bool,
}

/// Size of one value/complement entry of the stored image.
pub const IMAGE_ENTRY_SIZE: u32 = 8;

/// The address of the stored value word of `reg`: entries of 8 bytes (value, complement) from
/// 0x1FFF_7800 in FLASH_TypeDef order. The order is the L4 pattern and the register order
/// probe-rs's option algorithms cover; RM0444's table was not read (UNVERIFIED).
pub fn image_address(reg: FlashRegister) -> Option<u32> {
    let index = FlashRegister::OPTIONS.iter().position(|r| *r == reg)?;
    Some(OPTION_BYTES_BASE + index as u32 * IMAGE_ENTRY_SIZE)
}

/// The stored option bytes, as value/complement pairs (see [`image_address`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G0OptionImage {
    /// 0x1FFF_7800..0x1FFF_7870: value, complement, … per register.
    pub words: [u32; 28],
}

/// An entry whose complement does not check out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ImageMismatch {
    /// Address of the value word.
    pub address: u32,
    /// Value word.
    pub value: u32,
    /// Complement word.
    pub complement: u32,
}

impl G0OptionImage {
    /// The image after `options` were committed.
    pub fn from_options(options: &G0Options) -> Self {
        let mut words = [0u32; 28];
        for (i, v) in options.words().into_iter().enumerate() {
            words[2 * i] = v;
            words[2 * i + 1] = !v;
        }
        G0OptionImage { words }
    }

    /// Entries whose second word is not the complement of the first.
    pub fn mismatches(&self) -> Vec<ImageMismatch> {
        FlashRegister::OPTIONS
            .into_iter()
            .enumerate()
            .filter_map(|(i, reg)| {
                let (value, complement) = (self.words[2 * i], self.words[2 * i + 1]);
                (value != !complement).then(|| ImageMismatch {
                    address: image_address(reg).unwrap_or(OPTION_BYTES_BASE),
                    value,
                    complement,
                })
            })
            .collect()
    }

    /// The stored option values (value words only).
    pub fn options(&self) -> G0Options {
        let mut words = [0u32; 14];
        for (i, w) in words.iter_mut().enumerate() {
            *w = self.words[2 * i];
        }
        G0Options::from_words(words)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chip::g0::geometry::PAGE_SIZE;
    use PhysicalBank::{Bank1, Bank2};

    fn layout(kb: u32, mode: BankMode, swap: Swap) -> G0Layout {
        G0Layout::new(kb, mode, swap).unwrap()
    }

    fn every_layout() -> Vec<G0Layout> {
        [128, 256, 512]
            .into_iter()
            .flat_map(|kb| {
                [
                    (BankMode::Single, Swap::Off),
                    (BankMode::Dual, Swap::Off),
                    (BankMode::Dual, Swap::On),
                ]
                .into_iter()
                .filter_map(move |(m, s)| G0Layout::new(kb, m, s).ok())
            })
            .collect()
    }

    #[test]
    fn factory_has_no_protection_and_is_dual_bank_unswapped() {
        let f = G0Options::factory(G0Line::G0B1);
        assert_eq!(f.rdp(), 0xAA);
        let l = f.layout(512).unwrap();
        assert_eq!((l.bank_mode, l.swap), (BankMode::Dual, Swap::Off));
        assert_eq!(f.layout(128).unwrap().bank_mode, BankMode::Single);
        for l in every_layout() {
            for (area, value) in f.wrp_areas() {
                assert_eq!(area.decode(value, &l), WrpVerdict::Inactive, "{area:?}");
            }
            assert!(f.active_pcrop(&l).is_empty());
        }
        assert_eq!(
            f.securable_area(),
            SecurableArea {
                bank1_pages: 0,
                bank2_pages: 0,
                boot_lock: false
            }
        );
    }

    #[test]
    fn registers_by_name_and_words() {
        let mut o = G0Options::factory(G0Line::G0B1);
        for (i, reg) in FlashRegister::OPTIONS.into_iter().enumerate() {
            assert!(o.set_register(reg, 0x100 + i as u32));
        }
        for (i, reg) in FlashRegister::OPTIONS.into_iter().enumerate() {
            assert_eq!(o.register(reg), Some(0x100 + i as u32), "{reg}");
        }
        assert!(!o.set_register(FlashRegister::Cr, 1));
        assert_eq!(o.register(FlashRegister::Sr), None);
        assert_eq!(o.register(FlashRegister::Secr), Some(0x100 + 13));
        assert_eq!(o.wrp2ar, 0x100 + 9);
        assert_eq!(G0Options::from_words(o.words()), o);
    }

    #[test]
    fn wrp_areas_follow_their_physical_bank_through_the_swap() {
        let plain = layout(512, BankMode::Dual, Swap::Off);
        let swapped = layout(512, BankMode::Dual, Swap::On);
        // WRP1A pages 0..=3: bank 1 at 0x0800_0000, or at 0x0804_0000 when swapped.
        assert_eq!(
            WrpArea::Bank1A.decode(0x0003_0000, &plain),
            WrpVerdict::Protects {
                bank: Bank1,
                first: 0,
                last: 3,
                start: 0x0800_0000,
                end: 0x0800_2000,
                clipped: false
            }
        );
        assert_eq!(
            WrpArea::Bank1A.decode(0x0003_0000, &swapped),
            WrpVerdict::Protects {
                bank: Bank1,
                first: 0,
                last: 3,
                start: 0x0804_0000,
                end: 0x0804_2000,
                clipped: false
            }
        );
        // WRP2B page 10: bank 2.
        assert_eq!(
            WrpArea::Bank2B.decode(0x000A_000A, &swapped),
            WrpVerdict::Protects {
                bank: Bank2,
                first: 10,
                last: 10,
                start: 0x0800_5000,
                end: 0x0800_5800,
                clipped: false
            }
        );
        // 256 KB: 64 pages per bank, bank 2 at 0x0802_0000.
        let small = layout(256, BankMode::Dual, Swap::Off);
        assert_eq!(
            WrpArea::Bank2A.decode(0x007F_003F, &small),
            WrpVerdict::Protects {
                bank: Bank2,
                first: 63,
                last: 63,
                start: 0x0803_F800,
                end: 0x0804_0000,
                clipped: true
            }
        );
        assert_eq!(
            WrpArea::Bank1A.decode(0x007F_0040, &small),
            WrpVerdict::OutsideFlash
        );
        let single = layout(512, BankMode::Single, Swap::Off);
        assert_eq!(
            WrpArea::Bank2A.decode(0, &single),
            WrpVerdict::NotInThisMode
        );
        assert!(matches!(
            WrpArea::Bank1B.decode(0x007F_007F, &single),
            WrpVerdict::Protects {
                start: 0x0803_F800,
                ..
            }
        ));
    }

    #[test]
    fn every_wrp_page_decodes_inside_its_bank() {
        for l in every_layout() {
            for area in [
                WrpArea::Bank1A,
                WrpArea::Bank1B,
                WrpArea::Bank2A,
                WrpArea::Bank2B,
            ] {
                for page in 0..=0x7F {
                    let verdict = area.decode(page | (page << 16), &l);
                    if let WrpVerdict::Protects {
                        bank, start, end, ..
                    } = verdict
                    {
                        assert_eq!(bank, area.bank());
                        assert_eq!(end - start, PAGE_SIZE);
                        let p = l.page_at(start).unwrap();
                        assert_eq!((p.bank, p.page), (bank, page), "{l:?} {area:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn pcrop_units_and_the_swap() {
        let plain = layout(512, BankMode::Dual, Swap::Off);
        let swapped = layout(512, BankMode::Dual, Swap::On);
        assert_eq!(
            PcropArea::Bank1A.decode(0, 3, &plain),
            Some(PcropRange {
                area: PcropArea::Bank1A,
                start: 0x0800_0000,
                end: 0x0800_0800
            })
        );
        assert_eq!(
            PcropArea::Bank1A.decode(0, 3, &swapped),
            Some(PcropRange {
                area: PcropArea::Bank1A,
                start: 0x0804_0000,
                end: 0x0804_0800
            })
        );
        assert_eq!(
            PcropArea::Bank2B.decode(0x10, 0x10, &swapped),
            Some(PcropRange {
                area: PcropArea::Bank2B,
                start: 0x0800_2000,
                end: 0x0800_2200
            })
        );
        // 9 bits of 512 bytes reach the whole 256 KB bank; a 128 KB bank cuts the rest off.
        assert_eq!(
            PcropArea::Bank2A.decode(0, 0x1FF, &plain).unwrap().end,
            0x0808_0000
        );
        let small = layout(256, BankMode::Dual, Swap::Off);
        assert_eq!(
            PcropArea::Bank1A.decode(0xFF, 0x1FF, &small).unwrap(),
            PcropRange {
                area: PcropArea::Bank1A,
                start: 0x0801_FE00,
                end: 0x0802_0000
            }
        );
        assert_eq!(PcropArea::Bank1A.decode(0x100, 0x1FF, &small), None);
        let single = layout(512, BankMode::Single, Swap::Off);
        assert_eq!(PcropArea::Bank2A.decode(0, 1, &single), None);
        // Off, and PCROP_RDP does not count as an offset.
        assert_eq!(
            PcropArea::Bank1A.decode(0x1FF, PCROP1AER_PCROP_RDP, &plain),
            None
        );
    }

    #[test]
    fn secr_fields() {
        let o = G0Options {
            secr: 0x0120_0010 | SECR_BOOT_LOCK,
            ..G0Options::factory(G0Line::G0B1)
        };
        assert_eq!(
            o.securable_area(),
            SecurableArea {
                bank1_pages: 0x10,
                bank2_pages: 0x12,
                boot_lock: true
            }
        );
    }

    #[test]
    fn a_g0b0_holds_only_its_registers() {
        let mut o = G0Options::factory(G0Line::G0B1);
        o.pcrop1asr = 0;
        o.pcrop1aer = 4;
        o.secr = 3;
        o.optr = 0;
        let b0 = o.as_on(G0Line::G0B0);
        assert_eq!(b0.pcrop1aer, 0, "no PCROP on G0B0");
        assert_eq!(b0.secr, 0, "no SECR on G0B0");
        assert_eq!(
            b0.optr, FACTORY_B0_RESERVED,
            "reserved bits at the factory values"
        );
        assert_eq!(o.as_on(G0Line::G0B1).pcrop1aer, 4);
        assert_eq!(o.as_on(G0Line::G0B1).optr, 0xC080_0000);
    }
    const FACTORY_B0_RESERVED: u32 = 0xDFFF_E1AA & 0xF880_9F00;

    #[test]
    fn image_round_trip_and_complements() {
        let mut o = G0Options::factory(G0Line::G0B1);
        o.optr = OptrField::NSwapBank.set(o.optr, 0);
        o.wrp2ar = 0x0005_0001;
        o.secr = 0x10;
        let image = G0OptionImage::from_options(&o);
        assert!(image.mismatches().is_empty());
        assert_eq!(image.options(), o);
        assert_eq!(image.words[0], 0xFFEF_FEAA);
        assert_eq!(image.words[1], 0x0010_0155);
        assert_eq!(image_address(FlashRegister::Optr), Some(0x1FFF_7800));
        assert_eq!(image_address(FlashRegister::Wrp2ar), Some(0x1FFF_7848));
        assert_eq!(image_address(FlashRegister::Secr), Some(0x1FFF_7868));
        assert_eq!(image_address(FlashRegister::Cr), None);
        let mut bad = image;
        bad.words[19] = 0;
        assert_eq!(
            bad.mismatches(),
            vec![ImageMismatch {
                address: 0x1FFF_7848,
                value: 0x0005_0001,
                complement: 0
            }]
        );
    }
}
