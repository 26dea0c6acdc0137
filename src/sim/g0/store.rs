//! The option store of the simulated G0B0/G0B1/G0C1: the fourteen option registers as
//! programmed by OPTSTRT, what each line holds in them, and the stored image at 0x1FFF_7800.
//!
//! Written from the reference facts (§3, §7) and the CMSIS register layout, not from
//! `src/chip/g0`.

use serde::{Deserialize, Serialize};

/// Offsets of the option registers from 0x4002_2000, in FLASH_TypeDef order: OPTR, PCROP1ASR,
/// PCROP1AER, WRP1AR, WRP1BR, PCROP1BSR, PCROP1BER, PCROP2ASR, PCROP2AER, WRP2AR, WRP2BR,
/// PCROP2BSR, PCROP2BER, SECR.
pub const OPTION_OFFSETS: [u32; 14] = [
    0x20, 0x24, 0x28, 0x2C, 0x30, 0x34, 0x38, 0x44, 0x48, 0x4C, 0x50, 0x54, 0x58, 0x80,
];

/// Index of each register in [`OPTION_OFFSETS`].
pub mod idx {
    pub const OPTR: usize = 0;
    pub const PCROP1ASR: usize = 1;
    pub const PCROP1AER: usize = 2;
    pub const WRP1AR: usize = 3;
    pub const WRP1BR: usize = 4;
    pub const PCROP1BSR: usize = 5;
    pub const PCROP1BER: usize = 6;
    pub const PCROP2ASR: usize = 7;
    pub const PCROP2AER: usize = 8;
    pub const WRP2AR: usize = 9;
    pub const WRP2BR: usize = 10;
    pub const PCROP2BSR: usize = 11;
    pub const PCROP2BER: usize = 12;
    pub const SECR: usize = 13;
}

/// The stored image: value/complement pairs from here, one 8-byte entry per register in
/// [`OPTION_OFFSETS`] order (the L4 pattern; the G0's exact table was not read: UNVERIFIED).
pub const OPTION_AREA: u32 = 0x1FFF_7800;
/// Length of the stored image.
pub const OPTION_AREA_LEN: u32 = 14 * 8;

/// FLASH_OPTR bits the model acts on.
pub mod optr {
    pub const RDP_MASK: u32 = 0xFF;
    /// nSWAP_BANK, bit 20, active low.
    pub const NSWAP_BANK: u32 = 1 << 20;
    /// DUAL_BANK, bit 21.
    pub const DUAL_BANK: u32 = 1 << 21;
}

/// RDP bytes.
pub mod rdp {
    pub const LEVEL0: u8 = 0xAA;
    pub const LEVEL2: u8 = 0xCC;
}

/// Which option set the simulated chip has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum G0SimLine {
    /// G0B1, G0C1 (RM0444): every field and register.
    G0x1,
    /// G0B0 (RM0454): no BOR, nRST_SHDW, NRST_MODE or IRHEN in OPTR; no PCROP, no SECR.
    G0x0,
}

impl G0SimLine {
    /// Factory FLASH_OPTR: 0xFFFF_FEAA on G0x1 (BMP-G0, chibios#192), 0xDFFF_E1AA on G0x0
    /// (BMP-G0's G0x0 default; UNVERIFIED for the G0B0 itself).
    pub fn factory_optr(self) -> u32 {
        match self {
            G0SimLine::G0x1 => 0xFFFF_FEAA,
            G0SimLine::G0x0 => 0xDFFF_E1AA,
        }
    }

    /// FLASH_OPTR bits with no field, held at their factory value: 23, 30, 31 on G0x1; also
    /// 8–12 (BOR), 15 (nRST_SHDW), 27–29 (NRST_MODE, IRHEN) on G0x0.
    pub fn optr_fixed(self) -> u32 {
        let g0x1 = (1 << 23) | (1 << 30) | (1 << 31);
        match self {
            G0SimLine::G0x1 => g0x1,
            G0SimLine::G0x0 => g0x1 | (0x1F << 8) | (1 << 15) | (0x7 << 27),
        }
    }

    /// Writable bits of option register `i` (an [`idx`] value).
    pub fn writable(self, i: usize) -> u32 {
        let pcrop_and_secr = self == G0SimLine::G0x1;
        match i {
            idx::OPTR => !self.optr_fixed(),
            idx::WRP1AR | idx::WRP1BR | idx::WRP2AR | idx::WRP2BR => 0x007F_007F,
            _ if !pcrop_and_secr => 0,
            // PCROP1AER carries PCROP_RDP in bit 31.
            idx::PCROP1AER => 0x8000_01FF,
            idx::SECR => 0x0FF1_00FF,
            _ => 0x1FF,
        }
    }

    /// Whether option register `i` exists on this line.
    pub fn has(self, i: usize) -> bool {
        self.writable(i) != 0
    }
}

/// The non-volatile option store: what OPTSTRT programs and an option load reads. Saved in
/// `--sim-state` files as JSON (the register values; fault injection is not saved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct G0OptionStore {
    pub optr: u32,
    pub pcrop1asr: u32,
    pub pcrop1aer: u32,
    pub wrp1ar: u32,
    pub wrp1br: u32,
    pub pcrop1bsr: u32,
    pub pcrop1ber: u32,
    pub pcrop2asr: u32,
    pub pcrop2aer: u32,
    pub wrp2ar: u32,
    pub wrp2br: u32,
    pub pcrop2bsr: u32,
    pub pcrop2ber: u32,
    pub secr: u32,
    /// Entries whose complement word is corrupted (fault injection), by register index.
    #[serde(skip)]
    pub corrupt: [bool; 14],
}

impl G0OptionStore {
    /// Factory store of `line`: WRP and PCROP areas off (start > end, BMP-G0's defaults), no
    /// securable area. ST's factory words other than OPTR are not in the reference
    /// (UNVERIFIED). Registers the line lacks hold 0.
    pub fn factory(line: G0SimLine) -> Self {
        let mut words = [0u32; 14];
        words[idx::OPTR] = line.factory_optr();
        for i in [idx::WRP1AR, idx::WRP1BR, idx::WRP2AR, idx::WRP2BR] {
            words[i] = 0x7F;
        }
        for i in [
            idx::PCROP1ASR,
            idx::PCROP1BSR,
            idx::PCROP2ASR,
            idx::PCROP2BSR,
        ] {
            words[i] = 0x1FF;
        }
        // OPTR keeps its fixed bits; the other registers hold only what exists.
        for (i, w) in words.iter_mut().enumerate().skip(1) {
            *w &= line.writable(i);
        }
        Self::from_words(words)
    }

    /// The registers in [`OPTION_OFFSETS`] order.
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

    /// A store holding `words` (in [`OPTION_OFFSETS`] order), no corruption.
    pub fn from_words(w: [u32; 14]) -> Self {
        G0OptionStore {
            optr: w[0],
            pcrop1asr: w[1],
            pcrop1aer: w[2],
            wrp1ar: w[3],
            wrp1br: w[4],
            pcrop1bsr: w[5],
            pcrop1ber: w[6],
            pcrop2asr: w[7],
            pcrop2aer: w[8],
            wrp2ar: w[9],
            wrp2br: w[10],
            pcrop2bsr: w[11],
            pcrop2ber: w[12],
            secr: w[13],
            corrupt: [false; 14],
        }
    }

    pub fn rdp(&self) -> u8 {
        (self.optr & optr::RDP_MASK) as u8
    }

    pub fn dual_bank(&self) -> bool {
        self.optr & optr::DUAL_BANK != 0
    }

    /// nSWAP_BANK = 0.
    pub fn swapped(&self) -> bool {
        self.optr & optr::NSWAP_BANK == 0
    }

    /// The word at `address` in the stored image, if it is there. Registers the line lacks
    /// read as erased flash (UNVERIFIED).
    pub fn read_word(&self, address: u32, line: G0SimLine) -> Option<u32> {
        let offset = address.checked_sub(OPTION_AREA)?;
        if offset >= OPTION_AREA_LEN {
            return None;
        }
        let entry = (offset / 8) as usize;
        if !line.has(entry) {
            return Some(0xFFFF_FFFF);
        }
        let value = self.words()[entry];
        let complement = offset % 8 >= 4;
        Some(match (complement, self.corrupt[entry]) {
            (false, _) => value,
            (true, false) => !value,
            // A corrupted complement reads as the value itself.
            (true, true) => value,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn factory_stores() {
        let s = G0OptionStore::factory(G0SimLine::G0x1);
        assert_eq!(s.optr, 0xFFFF_FEAA);
        assert!(s.dual_bank() && !s.swapped());
        assert_eq!(s.rdp(), 0xAA);
        assert_eq!((s.wrp1ar, s.wrp2br), (0x7F, 0x7F));
        assert_eq!((s.pcrop1asr, s.pcrop1aer, s.pcrop2bsr), (0x1FF, 0, 0x1FF));
        assert_eq!(s.secr, 0);
        let b0 = G0OptionStore::factory(G0SimLine::G0x0);
        assert_eq!(b0.optr, 0xDFFF_E1AA);
        assert_eq!((b0.pcrop1asr, b0.wrp1ar), (0, 0x7F), "no PCROP on G0x0");
        assert_eq!(G0OptionStore::from_words(s.words()), s);
    }

    #[test]
    fn line_masks() {
        assert_eq!(G0SimLine::G0x1.optr_fixed(), 0xC080_0000);
        assert_eq!(G0SimLine::G0x0.optr_fixed(), 0xF880_9F00);
        assert_eq!(G0SimLine::G0x1.writable(idx::PCROP1AER), 0x8000_01FF);
        assert_eq!(G0SimLine::G0x1.writable(idx::SECR), 0x0FF1_00FF);
        assert_eq!(G0SimLine::G0x0.writable(idx::SECR), 0);
        assert!(G0SimLine::G0x0.has(idx::WRP2BR));
        assert!(!G0SimLine::G0x0.has(idx::PCROP2BER));
        assert_eq!(
            (0..14).filter(|&i| G0SimLine::G0x0.has(i)).count(),
            5,
            "OPTR and four WRP registers"
        );
    }

    #[test]
    fn the_image_holds_value_complement_pairs() {
        let mut s = G0OptionStore::factory(G0SimLine::G0x1);
        s.wrp2ar = 0x0003_0001;
        let line = G0SimLine::G0x1;
        assert_eq!(s.read_word(0x1FFF_7800, line), Some(0xFFFF_FEAA));
        assert_eq!(s.read_word(0x1FFF_7804, line), Some(0x0000_0155));
        assert_eq!(s.read_word(0x1FFF_7848, line), Some(0x0003_0001));
        assert_eq!(s.read_word(0x1FFF_784C, line), Some(!0x0003_0001));
        assert_eq!(s.read_word(0x1FFF_7868, line), Some(0), "SECR");
        assert_eq!(s.read_word(0x1FFF_7870, line), None);
        assert_eq!(s.read_word(0x1FFF_77FC, line), None);
        s.corrupt[idx::WRP2AR] = true;
        assert_eq!(s.read_word(0x1FFF_784C, line), Some(0x0003_0001));
        let b0 = G0OptionStore::factory(G0SimLine::G0x0);
        assert_eq!(
            b0.read_word(0x1FFF_7808, G0SimLine::G0x0),
            Some(0xFFFF_FFFF),
            "no PCROP1ASR on G0x0"
        );
    }

    #[test]
    fn serde_keeps_the_registers_not_the_faults() {
        let mut s = G0OptionStore::factory(G0SimLine::G0x1);
        s.optr &= !optr::NSWAP_BANK;
        s.corrupt[3] = true;
        let json = serde_json::to_string(&s).unwrap();
        assert!(json.contains("\"optr\":4293918378"), "{json}");
        assert!(!json.contains("corrupt"), "{json}");
        let back: G0OptionStore = serde_json::from_str(&json).unwrap();
        assert_eq!(back.words(), s.words());
        assert_eq!(back.corrupt, [false; 14]);
    }
}
