//! The full set of G4 option registers (OPTR, WRP, PCROP, securable areas), their write- and
//! read-protection areas decoded to pages in the live bank mode, and the stored option-byte
//! image (value/complement pairs at 0x1FFF_7800 and 0x1FFF_F800).

use serde::Serialize;

use super::fields::{OptrField, FACTORY_OPTR};
use super::geometry::{bank_mode_from_dbank, BankMode, G4Layout, FLASH_BASE};
use super::registers::{FlashRegister, OPTION_BYTES_BANK1_BASE, OPTION_BYTES_BANK2_BASE};

/// WRPxyR.WRPxy_STRT: bits 6:0 (7 bits on G47x/G48x).
pub const WRP_STRT: u32 = 0x7F;
/// WRPxyR.WRPxy_END: bits 22:16. There is no UNLOCK bit on G4 (that is U5/U3/WBA, bit 31).
pub const WRP_END: u32 = 0x7F << 16;
/// PCROPxSR.PCROPx_STRT / PCROPxER.PCROPx_END: bits 14:0.
pub const PCROP_OFFSET: u32 = 0x7FFF;
/// PCROP1ER.PCROP_RDP, bit 31: PCROP areas are erased when RDP goes from 1 to 0.
pub const PCROP1ER_PCROP_RDP: u32 = 1 << 31;
/// SEC1R.SEC_SIZE1 / SEC2R.SEC_SIZE2: bits 7:0, pages of the securable area.
pub const SEC_SIZE: u32 = 0xFF;
/// SEC1R.BOOT_LOCK, bit 16.
pub const SEC1R_BOOT_LOCK: u32 = 1 << 16;

/// The option registers of a G47x/G48x.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct G4Options {
    /// FLASH_OPTR.
    pub optr: u32,
    /// FLASH_PCROP1SR.
    pub pcrop1sr: u32,
    /// FLASH_PCROP1ER.
    pub pcrop1er: u32,
    /// FLASH_WRP1AR.
    pub wrp1ar: u32,
    /// FLASH_WRP1BR.
    pub wrp1br: u32,
    /// FLASH_PCROP2SR.
    pub pcrop2sr: u32,
    /// FLASH_PCROP2ER.
    pub pcrop2er: u32,
    /// FLASH_WRP2AR.
    pub wrp2ar: u32,
    /// FLASH_WRP2BR.
    pub wrp2br: u32,
    /// FLASH_SEC1R.
    pub sec1r: u32,
    /// FLASH_SEC2R.
    pub sec2r: u32,
}

impl G4Options {
    /// Factory state: OPTR 0xFFEF_F8AA (see [`FACTORY_OPTR`]); WRP and PCROP areas empty
    /// (start > end), no securable area. The non-OPTR factory words are not published in the
    /// sources read (UNVERIFIED); these are "area disabled" encodings.
    pub const FACTORY: G4Options = G4Options {
        optr: FACTORY_OPTR,
        pcrop1sr: PCROP_OFFSET,
        pcrop1er: 0,
        wrp1ar: WRP_STRT,
        wrp1br: WRP_STRT,
        pcrop2sr: PCROP_OFFSET,
        pcrop2er: 0,
        wrp2ar: WRP_STRT,
        wrp2br: WRP_STRT,
        sec1r: 0,
        sec2r: 0,
    };

    /// The value of one option register (`None` for a non-option register).
    pub fn register(&self, reg: FlashRegister) -> Option<u32> {
        Some(match reg {
            FlashRegister::Optr => self.optr,
            FlashRegister::Pcrop1sr => self.pcrop1sr,
            FlashRegister::Pcrop1er => self.pcrop1er,
            FlashRegister::Wrp1ar => self.wrp1ar,
            FlashRegister::Wrp1br => self.wrp1br,
            FlashRegister::Pcrop2sr => self.pcrop2sr,
            FlashRegister::Pcrop2er => self.pcrop2er,
            FlashRegister::Wrp2ar => self.wrp2ar,
            FlashRegister::Wrp2br => self.wrp2br,
            FlashRegister::Sec1r => self.sec1r,
            FlashRegister::Sec2r => self.sec2r,
            _ => return None,
        })
    }

    /// The bank mode these options select.
    pub fn bank_mode(&self) -> BankMode {
        bank_mode_from_dbank(OptrField::Dbank.get(self.optr) != 0)
    }

    /// The RDP byte.
    pub fn rdp(&self) -> u8 {
        OptrField::Rdp.get(self.optr) as u8
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

    /// The PCROP areas of both banks that are active (start ≤ end), decoded in `layout`.
    pub fn active_pcrop(&self, layout: &G4Layout) -> Vec<PcropRange> {
        [
            (PcropArea::Bank1, self.pcrop1sr, self.pcrop1er),
            (PcropArea::Bank2, self.pcrop2sr, self.pcrop2er),
        ]
        .into_iter()
        .filter_map(|(area, sr, er)| area.decode(sr, er, layout))
        .collect()
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
    /// Pages protected, as (bank, first PNB, last PNB) inclusive, in the live mode. `clipped`
    /// is true when the area names pages past the end of the bank (they do not exist).
    Protects {
        /// Bank holding the pages.
        bank: u8,
        /// First page number.
        first: u8,
        /// Last page number (inclusive).
        last: u8,
        /// First protected address.
        start: u32,
        /// One past the last protected address.
        end: u32,
        /// The register named pages beyond the bank.
        clipped: bool,
    },
    /// The area names only pages that do not exist in this mode.
    OutsideFlash,
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

    /// Decode a WRPxyR value in `layout`. Dual bank: offsets are page numbers in the area's own
    /// bank. Single bank: G4 cat 3 uses all four areas, each counting 4 KB pages from
    /// 0x0800_0000 (OpenOCD `F_USE_ALL_WRPXX`; not confirmed in RM0440, UNVERIFIED).
    pub fn decode(self, value: u32, layout: &G4Layout) -> WrpVerdict {
        let first = value & WRP_STRT;
        let last = (value & WRP_END) >> 16;
        if first > last {
            return WrpVerdict::Inactive;
        }
        let bank_number = match (layout.bank_mode, self) {
            (BankMode::Dual, WrpArea::Bank2A | WrpArea::Bank2B) => 2,
            _ => 1,
        };
        let bank = layout
            .bank(bank_number)
            .expect("bank 1 always, bank 2 in dual mode");
        if first >= bank.pages {
            return WrpVerdict::OutsideFlash;
        }
        let clipped = last >= bank.pages;
        let last = last.min(bank.pages - 1);
        WrpVerdict::Protects {
            bank: bank_number,
            first: first as u8,
            last: last as u8,
            start: bank.base + first * bank.page_size,
            end: bank.base + (last + 1) * bank.page_size,
            clipped,
        }
    }
}

/// A PCROP (proprietary code read-out protection) area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PcropArea {
    /// PCROP1SR/PCROP1ER.
    Bank1,
    /// PCROP2SR/PCROP2ER.
    Bank2,
}

/// An active PCROP area.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PcropRange {
    /// Which area.
    pub area: PcropArea,
    /// First protected address.
    pub start: u32,
    /// One past the last protected address.
    pub end: u32,
}

impl PcropArea {
    /// Decode a start/end register pair in `layout`; `None` when the area is off (start > end).
    ///
    /// Units (HAL-G4 `FLASH_OB_PCROPConfig`): dual bank, 8 bytes from the area's bank base;
    /// single bank, 16 bytes from 0x0800_0000 for both areas. The end register holds the offset
    /// of the last protected unit. HAL takes bank 2's base as FLASH_BASE + half the flash, which
    /// is 0x0804_0000 only on 512 KB parts; the geometry's bank 2 base (always 0x0804_0000) is
    /// used here (UNVERIFIED for 256/128 KB parts).
    pub fn decode(self, sr: u32, er: u32, layout: &G4Layout) -> Option<PcropRange> {
        let (first, last) = (sr & PCROP_OFFSET, er & PCROP_OFFSET);
        if first > last {
            return None;
        }
        let (base, unit) = match (layout.bank_mode, self) {
            (BankMode::Single, _) => (FLASH_BASE, 16),
            (BankMode::Dual, PcropArea::Bank1) => (FLASH_BASE, 8),
            (BankMode::Dual, PcropArea::Bank2) => (layout.bank2_base()?, 8),
        };
        Some(PcropRange {
            area: self,
            start: base + first * unit,
            end: base + (last + 1) * unit,
        })
    }
}

/// Offsets of the value/complement entries inside each option-byte area, in register order.
/// Bank 1 area (0x1FFF_7800): OPTR, PCROP1SR, PCROP1ER, WRP1AR, WRP1BR, SEC1R. Bank 2 area
/// (0x1FFF_F800): its first entry is unused, then PCROP2SR, PCROP2ER, WRP2AR, WRP2BR, SEC2R
/// (L4 layout; reference §3, NuttX G4 memory map; UNVERIFIED in RM0440). Each entry is the
/// value word followed by its complement word.
pub const IMAGE_ENTRIES: [(u32, FlashRegister, FlashRegister); 6] = [
    (0x00, FlashRegister::Optr, FlashRegister::Optr),
    (0x08, FlashRegister::Pcrop1sr, FlashRegister::Pcrop2sr),
    (0x10, FlashRegister::Pcrop1er, FlashRegister::Pcrop2er),
    (0x18, FlashRegister::Wrp1ar, FlashRegister::Wrp2ar),
    (0x20, FlashRegister::Wrp1br, FlashRegister::Wrp2br),
    (0x28, FlashRegister::Sec1r, FlashRegister::Sec2r),
];

/// The two stored option-byte areas, as twelve words each (value, complement, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct G4OptionImage {
    /// 0x1FFF_7800..0x1FFF_7830.
    pub bank1: [u32; 12],
    /// 0x1FFF_F800..0x1FFF_F830.
    pub bank2: [u32; 12],
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

impl G4OptionImage {
    /// The image after `options` were committed.
    pub fn from_options(options: &G4Options) -> Self {
        let mut bank1 = [0xFFFF_FFFF; 12];
        let mut bank2 = [0xFFFF_FFFF; 12];
        for (i, (_, reg1, reg2)) in IMAGE_ENTRIES.into_iter().enumerate() {
            let v1 = options.register(reg1).expect("option register");
            bank1[2 * i] = v1;
            bank1[2 * i + 1] = !v1;
            if i > 0 {
                let v2 = options.register(reg2).expect("option register");
                bank2[2 * i] = v2;
                bank2[2 * i + 1] = !v2;
            }
        }
        G4OptionImage { bank1, bank2 }
    }

    /// Entries whose second word is not the complement of the first.
    pub fn mismatches(&self) -> Vec<ImageMismatch> {
        let mut out = Vec::new();
        for (base, words, skip_first) in [
            (OPTION_BYTES_BANK1_BASE, &self.bank1, false),
            (OPTION_BYTES_BANK2_BASE, &self.bank2, true),
        ] {
            for (i, (offset, _, _)) in IMAGE_ENTRIES.into_iter().enumerate() {
                if skip_first && i == 0 {
                    continue;
                }
                let (value, complement) = (words[2 * i], words[2 * i + 1]);
                if value != !complement {
                    out.push(ImageMismatch {
                        address: base + offset,
                        value,
                        complement,
                    });
                }
            }
        }
        out
    }

    /// The stored option values (value words only).
    pub fn options(&self) -> G4Options {
        let v1 = |i: usize| self.bank1[2 * i];
        let v2 = |i: usize| self.bank2[2 * i];
        G4Options {
            optr: v1(0),
            pcrop1sr: v1(1),
            pcrop1er: v1(2),
            wrp1ar: v1(3),
            wrp1br: v1(4),
            sec1r: v1(5),
            pcrop2sr: v2(1),
            pcrop2er: v2(2),
            wrp2ar: v2(3),
            wrp2br: v2(4),
            sec2r: v2(5),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(kb: u32, mode: BankMode) -> G4Layout {
        G4Layout::new(kb, mode).unwrap()
    }

    #[test]
    fn factory_has_no_protection_and_is_dual_bank() {
        let f = G4Options::FACTORY;
        assert_eq!(f.bank_mode(), BankMode::Dual);
        assert_eq!(f.rdp(), 0xAA);
        for kb in [128, 256, 512] {
            for mode in [BankMode::Single, BankMode::Dual] {
                let l = layout(kb, mode);
                for (area, value) in f.wrp_areas() {
                    assert_eq!(area.decode(value, &l), WrpVerdict::Inactive, "{area:?}");
                }
                assert!(f.active_pcrop(&l).is_empty());
            }
        }
    }

    #[test]
    fn wrp_areas_in_dual_bank() {
        let l = layout(512, BankMode::Dual);
        // Pages 0..=3 of bank 1.
        assert_eq!(
            WrpArea::Bank1A.decode(0x0003_0000, &l),
            WrpVerdict::Protects {
                bank: 1,
                first: 0,
                last: 3,
                start: 0x0800_0000,
                end: 0x0800_2000,
                clipped: false
            }
        );
        // Page 10 of bank 2.
        assert_eq!(
            WrpArea::Bank2B.decode(0x000A_000A, &l),
            WrpVerdict::Protects {
                bank: 2,
                first: 10,
                last: 10,
                start: 0x0804_5000,
                end: 0x0804_5800,
                clipped: false
            }
        );
        // 256 KB: 64 pages per bank; an end of 0x7F is clipped, a start of 64 is outside.
        let small = layout(256, BankMode::Dual);
        assert_eq!(
            WrpArea::Bank2A.decode(0x007F_003F, &small),
            WrpVerdict::Protects {
                bank: 2,
                first: 63,
                last: 63,
                start: 0x0805_F800,
                end: 0x0806_0000,
                clipped: true
            }
        );
        assert_eq!(
            WrpArea::Bank1A.decode(0x007F_0040, &small),
            WrpVerdict::OutsideFlash
        );
    }

    #[test]
    fn wrp_areas_in_single_bank_count_4_kb_pages_from_the_start() {
        let l = layout(512, BankMode::Single);
        assert_eq!(
            WrpArea::Bank2A.decode(0x0001_0000, &l),
            WrpVerdict::Protects {
                bank: 1,
                first: 0,
                last: 1,
                start: 0x0800_0000,
                end: 0x0800_2000,
                clipped: false
            }
        );
        assert_eq!(
            WrpArea::Bank1B.decode(0x007F_007F, &l),
            WrpVerdict::Protects {
                bank: 1,
                first: 127,
                last: 127,
                start: 0x0807_F000,
                end: 0x0808_0000,
                clipped: false
            }
        );
    }

    #[test]
    fn pcrop_units_follow_the_bank_mode() {
        let dual = layout(512, BankMode::Dual);
        assert_eq!(
            PcropArea::Bank1.decode(0, 0x00FF, &dual),
            Some(PcropRange {
                area: PcropArea::Bank1,
                start: 0x0800_0000,
                end: 0x0800_0800
            })
        );
        assert_eq!(
            PcropArea::Bank2.decode(0x10, 0x10, &dual),
            Some(PcropRange {
                area: PcropArea::Bank2,
                start: 0x0804_0080,
                end: 0x0804_0088
            })
        );
        let single = layout(512, BankMode::Single);
        assert_eq!(
            PcropArea::Bank2.decode(0, 0x00FF, &single),
            Some(PcropRange {
                area: PcropArea::Bank2,
                start: 0x0800_0000,
                end: 0x0800_1000
            })
        );
        assert_eq!(PcropArea::Bank1.decode(0x7FFF, 0, &single), None);
        // PCROP_RDP in bit 31 of PCROP1ER does not count as an offset.
        assert_eq!(
            PcropArea::Bank1.decode(0x7FFF, PCROP1ER_PCROP_RDP, &single),
            None
        );
    }

    #[test]
    fn image_round_trip_and_complements() {
        let mut o = G4Options::FACTORY;
        o.optr = OptrField::Dbank.set(o.optr, 0);
        o.wrp2ar = 0x0005_0001;
        o.pcrop2er = 0x1234;
        let image = G4OptionImage::from_options(&o);
        assert!(image.mismatches().is_empty());
        assert_eq!(image.options(), o);
        assert_eq!(image.bank1[0], 0xFFAF_F8AA);
        assert_eq!(image.bank1[1], 0x0050_0755);
        // Bank 2's first entry is unused (erased).
        assert_eq!(image.bank2[0], 0xFFFF_FFFF);
        let mut bad = image;
        bad.bank2[7] = 0;
        assert_eq!(
            bad.mismatches(),
            vec![ImageMismatch {
                address: 0x1FFF_F818,
                value: 0x0005_0001,
                complement: 0
            }]
        );
    }
}
