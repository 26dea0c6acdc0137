//! The ST USART / LPUART register IP (the same on STM32F7 and STM32G4; the G4's adds PRESC and
//! a FIFO mode): USART3 is the NUCLEO-F767ZI's virtual COM port, LPUART1 the NUCLEO-G474RE's.
//!
//! Modelled (`real-firmware-on-the-sim.md` §3; layouts and bit positions DF7/DG4):
//! - CR1, CR2, CR3, BRR, GTPR, RTOR, PRESC hold what is written (BRR 16 bits on a USART, 20 on
//!   an LPUART); ISR resets to TXE | TC;
//! - TEACK follows TE and REACK follows RE while UE is set, at once;
//! - a TDR write (UE and TE set) hands the character to the serial line at once and clears TXE
//!   and TC; both set again at the USART's next step (the character has left);
//! - at a step, with UE and RE set and RXNE clear, the next character waiting on the line moves
//!   to RDR and RXNE sets; reading RDR clears RXNE; IDLE sets at the first step that finds the
//!   line empty after a reception;
//! - ICR clears ORE, IDLE and TC (ORECF, IDLECF, TCCF); RQR.RXFRQ drops RDR (clears RXNE),
//!   RQR.TXFRQ sets TXE;
//! - the interrupt line is UE & (RXNEIE & (RXNE | ORE) | TXEIE & TXE | TCIE & TC | IDLEIE & IDLE
//!   | CR3.EIE & ORE).
//!
//! **Time.** The simulator does not pace time by the clock yet, so a step is "one character
//! time": it happens after every ISR read (the value read is the one before the step, so a
//! polling driver sees TXE or RXNE change on its next look) and whenever the core polls the
//! interrupt lines ([`crate::sim::bus::Bus::irq_lines_changed`]).
//!
//! **Receive policy.** The line never overruns: a character waits on the host side until RDR is
//! free (the TCP link stops reading from its client when its buffer is full, so TCP flow control
//! slows the client down). ORE therefore never sets from the link; the bit, ORECF and the ORE
//! interrupt are there for drivers that look. Characters that arrive while the receiver is
//! disabled wait too (on silicon they would be lost).
//!
//! Not modelled: baud-rate timing, parity, framing and noise errors, break, LIN, smartcard,
//! IrDA, synchronous and half-duplex modes, hardware flow control, DMA requests, wake-up from
//! Stop, receiver timeout, auto baud rate, and the G4 FIFO mode (FIFOEN is stored; TXFNF and
//! RXFNE are the one-deep TXE and RXNE).

use super::{merge, merge_writable};

/// Register offsets from the USART's base.
pub mod reg {
    pub const CR1: u32 = 0x00;
    pub const CR2: u32 = 0x04;
    pub const CR3: u32 = 0x08;
    pub const BRR: u32 = 0x0C;
    pub const GTPR: u32 = 0x10;
    pub const RTOR: u32 = 0x14;
    pub const RQR: u32 = 0x18;
    pub const ISR: u32 = 0x1C;
    pub const ICR: u32 = 0x20;
    pub const RDR: u32 = 0x24;
    pub const TDR: u32 = 0x28;
    /// G4 only.
    pub const PRESC: u32 = 0x2C;
}

/// USART_CR1 bits.
pub mod cr1 {
    pub const UE: u32 = 1 << 0;
    pub const RE: u32 = 1 << 2;
    pub const TE: u32 = 1 << 3;
    pub const IDLEIE: u32 = 1 << 4;
    pub const RXNEIE: u32 = 1 << 5;
    pub const TCIE: u32 = 1 << 6;
    pub const TXEIE: u32 = 1 << 7;
    pub const PCE: u32 = 1 << 10;
    /// Word length bit 0 (M0; `M` on the F7 header).
    pub const M0: u32 = 1 << 12;
    pub const OVER8: u32 = 1 << 15;
    /// Word length bit 1.
    pub const M1: u32 = 1 << 28;
    /// G4 only: FIFO mode enable.
    pub const FIFOEN: u32 = 1 << 29;
}

/// USART_CR3 bits.
pub mod cr3 {
    /// Error interrupt enable (ORE, NE, FE).
    pub const EIE: u32 = 1 << 0;
}

/// USART_ISR bits.
pub mod isr {
    pub const PE: u32 = 1 << 0;
    pub const FE: u32 = 1 << 1;
    pub const NE: u32 = 1 << 2;
    pub const ORE: u32 = 1 << 3;
    pub const IDLE: u32 = 1 << 4;
    /// RXNE (RXFNE in FIFO mode).
    pub const RXNE: u32 = 1 << 5;
    pub const TC: u32 = 1 << 6;
    /// TXE (TXFNF in FIFO mode).
    pub const TXE: u32 = 1 << 7;
    pub const BUSY: u32 = 1 << 16;
    pub const TEACK: u32 = 1 << 21;
    pub const REACK: u32 = 1 << 22;
    /// Reset value: transmitter empty and complete.
    pub const RESET: u32 = TXE | TC;
}

/// USART_ICR bits (write 1 to clear the ISR flag).
pub mod icr {
    pub const PECF: u32 = 1 << 0;
    pub const FECF: u32 = 1 << 1;
    pub const NECF: u32 = 1 << 2;
    pub const ORECF: u32 = 1 << 3;
    pub const IDLECF: u32 = 1 << 4;
    pub const TCCF: u32 = 1 << 6;
}

/// USART_RQR bits.
pub mod rqr {
    /// Receive data flush: RDR is dropped, RXNE clears.
    pub const RXFRQ: u32 = 1 << 3;
    /// Transmit data flush: TXE sets.
    pub const TXFRQ: u32 = 1 << 4;
}

/// The far end of a UART's TX and RX pins. Neither method may wait: the simulator thread calls
/// them.
pub trait SerialLine {
    /// A character the UART transmitted.
    fn transmit(&mut self, byte: u8);
    /// The next character waiting for the UART's receiver, if any.
    fn receive(&mut self) -> Option<u8>;
}

/// What differs between instances of the IP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UsartKind {
    /// The instance's name in ST's manuals (USART3, LPUART1).
    pub name: &'static str,
    /// BRR's width: BRR[15:0] on a USART, BRR[19:0] on an LPUART.
    pub brr_mask: u32,
    /// PRESC exists (G4).
    pub has_presc: bool,
    /// GTPR and RTOR exist (USART, not LPUART).
    pub has_gtpr_rtor: bool,
}

impl UsartKind {
    /// STM32F7 USART3 (the NUCLEO-F767ZI virtual COM port).
    pub const F7_USART3: UsartKind = UsartKind {
        name: "USART3",
        brr_mask: 0xFFFF,
        has_presc: false,
        has_gtpr_rtor: true,
    };

    /// STM32G4 LPUART1 (the NUCLEO-G474RE virtual COM port).
    pub const G4_LPUART1: UsartKind = UsartKind {
        name: "LPUART1",
        brr_mask: 0xF_FFFF,
        has_presc: true,
        has_gtpr_rtor: false,
    };
}

/// TDR[8:0].
const TDR_MASK: u32 = 0x1FF;
/// PRESC[3:0].
const PRESC_MASK: u32 = 0xF;
/// GTPR[15:0].
const GTPR_MASK: u32 = 0xFFFF;
/// RTOR: RTO[23:0], BLEN[31:24].
const RTOR_MASK: u32 = 0xFFFF_FFFF;

/// One USART or LPUART.
pub struct Usart {
    kind: UsartKind,
    cr1: u32,
    cr2: u32,
    cr3: u32,
    brr: u32,
    gtpr: u32,
    rtor: u32,
    presc: u32,
    rdr: u32,
    /// TDR as last written (TDR[8:0] is read/write).
    tdr: u32,
    txe: bool,
    tc: bool,
    rxne: bool,
    ore: bool,
    idle: bool,
    /// A character was handed to the line and has not "left" yet (TXE/TC clear).
    tx_in_flight: bool,
    /// A character was received since IDLE last set.
    rx_since_idle: bool,
    line: Option<Box<dyn SerialLine>>,
    /// Something happened that may have moved the interrupt line.
    touched: bool,
}

impl std::fmt::Debug for Usart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Usart")
            .field("kind", &self.kind.name)
            .field("cr1", &self.cr1)
            .field("isr", &self.isr())
            .field("line", &self.line.is_some())
            .finish_non_exhaustive()
    }
}

impl Usart {
    /// An instance out of reset with nothing on its pins.
    pub fn new(kind: UsartKind) -> Self {
        let mut usart = Usart {
            kind,
            cr1: 0,
            cr2: 0,
            cr3: 0,
            brr: 0,
            gtpr: 0,
            rtor: 0,
            presc: 0,
            rdr: 0,
            tdr: 0,
            txe: true,
            tc: true,
            rxne: false,
            ore: false,
            idle: false,
            tx_in_flight: false,
            rx_since_idle: false,
            line: None,
            touched: false,
        };
        usart.reset();
        usart
    }

    pub fn kind(&self) -> UsartKind {
        self.kind
    }

    /// Connects the TX and RX pins to `line` (it stays connected across resets).
    pub fn attach(&mut self, line: Box<dyn SerialLine>) {
        self.line = Some(line);
    }

    /// System reset (or the instance's RCC reset): reset values; the line stays connected.
    pub fn reset(&mut self) {
        self.cr1 = 0;
        self.cr2 = 0;
        self.cr3 = 0;
        self.brr = 0;
        self.gtpr = 0;
        self.rtor = 0;
        self.presc = 0;
        self.rdr = 0;
        self.tdr = 0;
        self.txe = true;
        self.tc = true;
        self.rxne = false;
        self.ore = false;
        self.idle = false;
        self.tx_in_flight = false;
        self.rx_since_idle = false;
        self.touched = true;
    }

    fn enabled(&self) -> bool {
        self.cr1 & cr1::UE != 0
    }

    fn transmitter(&self) -> bool {
        self.enabled() && self.cr1 & cr1::TE != 0
    }

    fn receiver(&self) -> bool {
        self.enabled() && self.cr1 & cr1::RE != 0
    }

    /// The data bits of a character: 7, 8 or 9 by M1:M0, one fewer with parity; at most the
    /// 8 a byte on the line carries.
    fn data_mask(&self) -> u32 {
        let bits = match (self.cr1 & cr1::M1 != 0, self.cr1 & cr1::M0 != 0) {
            (true, _) => 7,
            (false, true) => 9,
            (false, false) => 8,
        } - u32::from(self.cr1 & cr1::PCE != 0);
        (1 << bits.min(8)) - 1
    }

    /// ISR as the driver reads it.
    pub fn isr(&self) -> u32 {
        let flag = |on: bool, bit: u32| if on { bit } else { 0 };
        flag(self.ore, isr::ORE)
            | flag(self.idle, isr::IDLE)
            | flag(self.rxne, isr::RXNE)
            | flag(self.tc, isr::TC)
            | flag(self.txe, isr::TXE)
            | flag(self.transmitter(), isr::TEACK)
            | flag(self.receiver(), isr::REACK)
    }

    /// The interrupt line.
    pub fn irq(&self) -> bool {
        let on = |enable: u32, flag: bool| self.cr1 & enable != 0 && flag;
        self.enabled()
            && (on(cr1::RXNEIE, self.rxne || self.ore)
                || on(cr1::TXEIE, self.txe)
                || on(cr1::TCIE, self.tc)
                || on(cr1::IDLEIE, self.idle)
                || (self.cr3 & cr3::EIE != 0 && self.ore))
    }

    /// Whether the interrupt line may have changed since the last call.
    pub fn take_touched(&mut self) -> bool {
        std::mem::take(&mut self.touched)
    }

    /// One character time: a character in flight has left (TXE, TC set); the next waiting
    /// character moves into a free RDR.
    pub fn step(&mut self) {
        if !self.enabled() {
            return;
        }
        if self.tx_in_flight {
            self.tx_in_flight = false;
            self.txe = true;
            self.tc = true;
            self.touched = true;
        }
        if !self.receiver() || self.rxne {
            return;
        }
        match self.line.as_mut().and_then(|line| line.receive()) {
            Some(byte) => {
                self.rdr = u32::from(byte) & self.data_mask();
                self.rxne = true;
                self.rx_since_idle = true;
                self.touched = true;
            }
            None if self.rx_since_idle => {
                self.idle = true;
                self.rx_since_idle = false;
                self.touched = true;
            }
            None => {}
        }
    }

    pub fn read(&mut self, offset: u32) -> u32 {
        match offset {
            reg::CR1 => self.cr1,
            reg::CR2 => self.cr2,
            reg::CR3 => self.cr3,
            reg::BRR => self.brr,
            reg::GTPR if self.kind.has_gtpr_rtor => self.gtpr,
            reg::RTOR if self.kind.has_gtpr_rtor => self.rtor,
            reg::ISR => {
                let value = self.isr();
                self.step();
                value
            }
            reg::RDR => {
                if self.rxne {
                    self.rxne = false;
                    self.touched = true;
                }
                self.rdr
            }
            reg::TDR => self.tdr,
            reg::PRESC if self.kind.has_presc => self.presc,
            _ => 0,
        }
    }

    pub fn write(&mut self, offset: u32, value: u32, lanes: u32) {
        self.touched = true;
        match offset {
            reg::CR1 => self.cr1 = merge(self.cr1, value, lanes),
            reg::CR2 => self.cr2 = merge(self.cr2, value, lanes),
            reg::CR3 => self.cr3 = merge(self.cr3, value, lanes),
            reg::BRR => self.brr = merge_writable(self.brr, value, lanes, self.kind.brr_mask),
            reg::GTPR if self.kind.has_gtpr_rtor => {
                self.gtpr = merge_writable(self.gtpr, value, lanes, GTPR_MASK)
            }
            reg::RTOR if self.kind.has_gtpr_rtor => {
                self.rtor = merge_writable(self.rtor, value, lanes, RTOR_MASK)
            }
            reg::RQR => self.request(value & lanes),
            reg::ICR => self.clear(value & lanes),
            reg::TDR => self.transmit(value & lanes),
            reg::PRESC if self.kind.has_presc => {
                self.presc = merge_writable(self.presc, value, lanes, PRESC_MASK)
            }
            _ => {} // ISR and RDR are read-only
        }
    }

    fn request(&mut self, value: u32) {
        if value & rqr::RXFRQ != 0 {
            self.rxne = false;
        }
        if value & rqr::TXFRQ != 0 {
            self.txe = true;
        }
    }

    fn clear(&mut self, value: u32) {
        if value & icr::ORECF != 0 {
            self.ore = false;
        }
        if value & icr::IDLECF != 0 {
            self.idle = false;
        }
        if value & icr::TCCF != 0 {
            self.tc = false;
        }
        // PE, FE and NE never set (no parity, framing or noise errors on the link).
    }

    fn transmit(&mut self, value: u32) {
        self.tdr = value & TDR_MASK;
        if !self.transmitter() {
            log::debug!(
                "sim: {} TDR written with UE or TE clear: the character is not sent",
                self.kind.name
            );
            return;
        }
        let byte = (value & self.data_mask()) as u8;
        if let Some(line) = self.line.as_mut() {
            line.transmit(byte);
        }
        self.txe = false;
        self.tc = false;
        self.tx_in_flight = true;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    const ALL: u32 = 0xFFFF_FFFF;

    /// A line whose two ends the test holds.
    #[derive(Clone, Default)]
    pub(crate) struct Wire {
        pub sent: Rc<RefCell<Vec<u8>>>,
        pub to_uart: Rc<RefCell<VecDeque<u8>>>,
    }

    impl SerialLine for Wire {
        fn transmit(&mut self, byte: u8) {
            self.sent.borrow_mut().push(byte);
        }
        fn receive(&mut self) -> Option<u8> {
            self.to_uart.borrow_mut().pop_front()
        }
    }

    fn usart() -> (Usart, Wire) {
        let mut usart = Usart::new(UsartKind::F7_USART3);
        let wire = Wire::default();
        usart.attach(Box::new(wire.clone()));
        (usart, wire)
    }

    fn enable(usart: &mut Usart, extra: u32) {
        usart.write(reg::CR1, cr1::UE | cr1::TE | cr1::RE | extra, ALL);
    }

    #[test]
    fn reset_values() {
        let (mut usart, _) = usart();
        assert_eq!(usart.read(reg::ISR), isr::RESET);
        assert_eq!(usart.read(reg::CR1), 0);
        assert_eq!(usart.read(reg::BRR), 0);
        assert!(!usart.irq());
    }

    #[test]
    fn teack_and_reack_follow_te_and_re_while_ue() {
        let (mut usart, _) = usart();
        usart.write(reg::CR1, cr1::TE | cr1::RE, ALL);
        assert_eq!(usart.read(reg::ISR) & (isr::TEACK | isr::REACK), 0);
        usart.write(reg::CR1, cr1::UE | cr1::TE, ALL);
        assert_eq!(usart.read(reg::ISR) & (isr::TEACK | isr::REACK), isr::TEACK);
        usart.write(reg::CR1, cr1::UE | cr1::TE | cr1::RE, ALL);
        assert_eq!(
            usart.read(reg::ISR) & (isr::TEACK | isr::REACK),
            isr::TEACK | isr::REACK
        );
    }

    #[test]
    fn a_tdr_write_sends_and_clears_txe_and_tc_until_the_next_step() {
        let (mut usart, wire) = usart();
        enable(&mut usart, 0);
        usart.write(reg::TDR, u32::from(b'A'), ALL);
        assert_eq!(*wire.sent.borrow(), b"A");
        // The first look sees the character on its way, the next one sees it gone.
        assert_eq!(usart.read(reg::ISR) & (isr::TXE | isr::TC), 0);
        assert_eq!(
            usart.read(reg::ISR) & (isr::TXE | isr::TC),
            isr::TXE | isr::TC
        );
        // TCCF clears TC; TXE stays.
        usart.write(reg::ICR, icr::TCCF, ALL);
        assert_eq!(usart.read(reg::ISR) & (isr::TXE | isr::TC), isr::TXE);
    }

    #[test]
    fn nothing_is_sent_without_ue_and_te() {
        let (mut usart, wire) = usart();
        usart.write(reg::CR1, cr1::TE, ALL);
        usart.write(reg::TDR, 0x55, ALL);
        usart.write(reg::CR1, cr1::UE | cr1::RE, ALL);
        usart.write(reg::TDR, 0x55, ALL);
        assert!(wire.sent.borrow().is_empty());
        assert_eq!(usart.read(reg::ISR) & isr::TXE, isr::TXE);
    }

    #[test]
    fn a_received_character_sets_rxne_and_reading_rdr_clears_it() {
        let (mut usart, wire) = usart();
        enable(&mut usart, 0);
        wire.to_uart.borrow_mut().extend(b"hi");
        assert_eq!(usart.read(reg::ISR) & isr::RXNE, 0, "arrives at the step");
        assert_eq!(usart.read(reg::ISR) & isr::RXNE, isr::RXNE);
        // The second character waits: no overrun.
        usart.step();
        usart.step();
        assert_eq!(usart.read(reg::ISR) & isr::ORE, 0);
        assert_eq!(usart.read(reg::RDR), u32::from(b'h'));
        assert_eq!(usart.isr() & isr::RXNE, 0);
        usart.step();
        assert_eq!(usart.read(reg::RDR), u32::from(b'i'));
        // The line is quiet now: IDLE at the next step, cleared by IDLECF.
        usart.step();
        assert_eq!(usart.isr() & isr::IDLE, isr::IDLE);
        usart.write(reg::ICR, icr::IDLECF, ALL);
        assert_eq!(usart.isr() & isr::IDLE, 0);
        usart.step();
        assert_eq!(usart.isr() & isr::IDLE, 0, "IDLE once per reception");
    }

    #[test]
    fn the_receiver_takes_nothing_while_disabled() {
        let (mut usart, wire) = usart();
        usart.write(reg::CR1, cr1::UE | cr1::TE, ALL);
        wire.to_uart.borrow_mut().push_back(b'x');
        usart.step();
        assert_eq!(usart.isr() & isr::RXNE, 0);
        assert_eq!(wire.to_uart.borrow().len(), 1, "the character waits");
        usart.write(reg::CR1, cr1::UE | cr1::TE | cr1::RE, ALL);
        usart.step();
        assert_eq!(usart.read(reg::RDR), u32::from(b'x'));
    }

    #[test]
    fn seven_bit_words_drop_the_top_bit() {
        let (mut usart, wire) = usart();
        enable(&mut usart, cr1::M1);
        usart.write(reg::TDR, 0xC1, ALL);
        assert_eq!(*wire.sent.borrow(), [0x41]);
        wire.to_uart.borrow_mut().push_back(0xFF);
        usart.step();
        usart.step();
        assert_eq!(usart.read(reg::RDR), 0x7F);
    }

    #[test]
    fn rqr_flushes() {
        let (mut usart, wire) = usart();
        enable(&mut usart, 0);
        wire.to_uart.borrow_mut().push_back(b'z');
        usart.step();
        assert_eq!(usart.isr() & isr::RXNE, isr::RXNE);
        usart.write(reg::RQR, rqr::RXFRQ, ALL);
        assert_eq!(usart.isr() & isr::RXNE, 0);
        usart.write(reg::TDR, b'a'.into(), ALL);
        usart.write(reg::RQR, rqr::TXFRQ, ALL);
        assert_eq!(usart.isr() & isr::TXE, isr::TXE);
    }

    #[test]
    fn the_interrupt_line_follows_enabled_flags() {
        let (mut usart, wire) = usart();
        enable(&mut usart, 0);
        assert!(!usart.irq(), "no interrupt enabled");
        enable(&mut usart, cr1::TXEIE);
        assert!(usart.irq(), "TXE is set");
        usart.write(reg::TDR, b'a'.into(), ALL);
        assert!(!usart.irq(), "TXE cleared by the TDR write");
        usart.step();
        assert!(usart.irq());
        enable(&mut usart, cr1::TCIE);
        assert!(usart.irq(), "TC is set");
        usart.write(reg::ICR, icr::TCCF, ALL);
        assert!(!usart.irq());
        enable(&mut usart, cr1::RXNEIE);
        assert!(!usart.irq());
        wire.to_uart.borrow_mut().push_back(b'q');
        usart.step();
        assert!(usart.irq(), "RXNE");
        assert!(usart.take_touched());
        usart.read(reg::RDR);
        assert!(!usart.irq());
        assert!(usart.take_touched());
        assert!(!usart.take_touched());
        // UE clear masks everything.
        usart.write(reg::CR1, cr1::TXEIE, ALL);
        assert!(!usart.irq());
    }

    #[test]
    fn lpuart_has_presc_and_a_20_bit_brr() {
        let mut lpuart = Usart::new(UsartKind::G4_LPUART1);
        lpuart.write(reg::BRR, 0xFFFF_FFFF, ALL);
        assert_eq!(lpuart.read(reg::BRR), 0xF_FFFF);
        lpuart.write(reg::PRESC, 0xFF, ALL);
        assert_eq!(lpuart.read(reg::PRESC), 0xF);
        lpuart.write(reg::GTPR, 0xFF, ALL);
        assert_eq!(lpuart.read(reg::GTPR), 0, "no GTPR on an LPUART");
        let mut usart = Usart::new(UsartKind::F7_USART3);
        usart.write(reg::BRR, 0x5C3B2, ALL);
        assert_eq!(usart.read(reg::BRR), 0xC3B2);
        usart.write(reg::PRESC, 0xFF, ALL);
        assert_eq!(usart.read(reg::PRESC), 0, "no PRESC on the F7");
    }
}
