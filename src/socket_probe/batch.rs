//! SWD commands queued for one packet, and the reading of their answers. Protocol-only, no I/O.
//!
//! Writes and line sequences are queued and go out with the next read (or an explicit flush),
//! so a register write costs no round trip of its own — as probe firmware with a command queue
//! (CMSIS-DAP) does. The server runs one packet's transfers as one batch and stops at the first
//! one that fails; the client learns of a failed write when the batch is answered.

use super::wire::swd;

/// The answer to one register transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    /// ACK OK; the data of a read.
    Ok(Option<u32>),
    /// ACK WAIT: the batch ended here.
    Wait,
    /// ACK FAULT: the batch ended here.
    Fault,
    /// No valid answer (parity or protocol error, or no target): the batch ended here.
    NoTarget,
}

impl Answer {
    fn ends_batch(self) -> bool {
        !matches!(self, Answer::Ok(_))
    }
}

/// The SWD commands of one packet.
#[derive(Debug, Default)]
pub struct Batch {
    bytes: Vec<u8>,
    /// Register transfers queued (each gets an answer; sequences get none).
    transfers: usize,
}

impl Batch {
    /// Queues a register write.
    pub fn write(&mut self, ap: bool, a: u8, value: u32) {
        self.bytes.push(swd::transfer(ap, false, a));
        self.bytes.extend_from_slice(&value.to_le_bytes());
        self.transfers += 1;
    }

    /// Queues a register read.
    pub fn read(&mut self, ap: bool, a: u8) {
        self.bytes.push(swd::transfer(ap, true, a));
        self.transfers += 1;
    }

    /// Queues a line sequence of `length` bits (1–32), LSB first.
    pub fn sequence(&mut self, length: u8, bits: u32) {
        debug_assert!((1..=32).contains(&length));
        self.bytes
            .push(swd::SEQUENCE | (length & swd::SEQUENCE_LENGTH));
        self.bytes.extend_from_slice(&bits.to_le_bytes());
    }

    /// Register transfers queued.
    pub fn transfers(&self) -> usize {
        self.transfers
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The packet payload and the number of answers it will get (at most), emptying the batch.
    pub fn take(&mut self) -> (Vec<u8>, usize) {
        let transfers = std::mem::take(&mut self.transfers);
        (std::mem::take(&mut self.bytes), transfers)
    }
}

/// Reads the answers to a batch of `expected` transfers from the start of `input`: `None` while
/// they are incomplete, else the answers (up to the first failure, which ends the batch) and the
/// bytes they took.
pub fn parse_answers(input: &[u8], expected: usize) -> Option<(Vec<Answer>, usize)> {
    let mut answers = Vec::with_capacity(expected);
    let mut at = 0;
    while answers.len() < expected {
        let status = *input.get(at)?;
        let answer = match status & swd::TYPE_MASK {
            swd::TYPE_DATA => {
                let data = input.get(at + 1..at + 5)?;
                at += 4;
                Answer::Ok(Some(u32::from_le_bytes(
                    data.try_into().expect("four bytes"),
                )))
            }
            swd::TYPE_NO_DATA => match status & swd::ACK_MASK {
                swd::ACK_OK => Answer::Ok(None),
                swd::ACK_WAIT => Answer::Wait,
                swd::ACK_FAULT => Answer::Fault,
                _ => Answer::NoTarget,
            },
            _ => Answer::NoTarget,
        };
        at += 1;
        answers.push(answer);
        if answer.ends_batch() {
            break;
        }
    }
    Some((answers, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_and_sequences_wait_for_the_read() {
        let mut b = Batch::default();
        b.sequence(32, 0xFFFF_FFFF);
        b.write(true, 0x4, 0x2000_0000);
        b.read(true, 0xC);
        b.read(false, 0xC);
        assert_eq!(b.transfers(), 3);
        let (bytes, expected) = b.take();
        assert_eq!(expected, 3);
        assert_eq!(
            bytes,
            [0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0x05, 0x00, 0x00, 0x00, 0x20, 0x0F, 0x0E]
        );
        assert!(b.is_empty() && b.transfers() == 0);
    }

    #[test]
    fn answers_are_read_as_they_complete() {
        let ok = swd::TYPE_NO_DATA | swd::ACK_OK;
        let data = swd::TYPE_DATA | swd::ACK_OK;
        let input = [ok, data, 0x78, 0x56, 0x34, 0x12, 0xAA];
        assert_eq!(parse_answers(&input[..4], 2), None, "data incomplete");
        assert_eq!(
            parse_answers(&input, 2),
            Some((vec![Answer::Ok(None), Answer::Ok(Some(0x1234_5678))], 6))
        );
        assert_eq!(parse_answers(&[], 0), Some((vec![], 0)));
    }

    #[test]
    fn a_failure_ends_the_batch() {
        let ok = swd::TYPE_NO_DATA | swd::ACK_OK;
        let fault = swd::TYPE_NO_DATA | swd::ACK_FAULT;
        assert_eq!(
            parse_answers(&[ok, fault], 5),
            Some((vec![Answer::Ok(None), Answer::Fault], 2))
        );
        assert_eq!(
            parse_answers(&[swd::TYPE_ERROR], 3),
            Some((vec![Answer::NoTarget], 1))
        );
        assert_eq!(
            parse_answers(&[swd::TYPE_NO_DATA | swd::ACK_WAIT], 3),
            Some((vec![Answer::Wait], 1))
        );
    }
}
