//! The socket probe's wire format: probe-rs's Glasgow protocol (`probe-rs,v01`), shared by the
//! client ([`super::SocketProbe`]) and the simulator's server (`sim::glasgow`).
//!
//! Framing: each packet is COBS(`[endpoint, payload…]`) followed by 0x00. Endpoint 0 is the root
//! (identify, clock, reset), endpoint 1 the SWD engine. Endpoints are byte streams: packet
//! boundaries carry no meaning except that the server runs one packet's SWD transfers as one
//! batch, which a failed transfer ends.

/// What the root endpoint answers to IDENTIFY.
pub const IDENTIFIER: &[u8; 12] = b"probe-rs,v01";
/// The root endpoint (identify, clock, reset line).
pub const ENDPOINT_ROOT: u8 = 0;
/// The SWD endpoint (register transfers, line sequences).
pub const ENDPOINT_SWD: u8 = 1;

/// Root commands (little-endian arguments and answers).
pub mod root {
    /// → the 12 bytes of [`super::IDENTIFIER`].
    pub const IDENTIFY: u8 = 0x00;
    /// → u32, the reference clock in Hz.
    pub const GET_REF_CLOCK: u8 = 0x10;
    /// → u16; the SWD clock is the reference clock / (divisor + 1).
    pub const GET_DIVISOR: u8 = 0x11;
    /// + u16, no answer.
    pub const SET_DIVISOR: u8 = 0x12;
    /// nRESET low, no answer.
    pub const ASSERT_RESET: u8 = 0x20;
    /// nRESET released, no answer.
    pub const CLEAR_RESET: u8 = 0x21;
}

/// SWD commands and the status byte of their answers.
pub mod swd {
    /// `TRANSFER | APnDP | RnW << 1 | A[3:2]`, + u32 for a write; answered by a status byte
    /// (+ u32 when its type is [`TYPE_DATA`]).
    pub const TRANSFER: u8 = 0x00;
    pub const TRANSFER_MASK: u8 = 0xF0;
    pub const TRANSFER_AP: u8 = 0b0001;
    pub const TRANSFER_READ: u8 = 0b0010;
    pub const TRANSFER_ADDRESS: u8 = 0b1100;
    /// `SEQUENCE | length` (1–32 bits, 32 written as 0) + u32 of bits, LSB first; no answer.
    pub const SEQUENCE: u8 = 0x20;
    pub const SEQUENCE_MASK: u8 = 0xE0;
    pub const SEQUENCE_LENGTH: u8 = 0x1F;

    pub const ACK_MASK: u8 = 0b111;
    pub const ACK_OK: u8 = 0b001;
    pub const ACK_WAIT: u8 = 0b010;
    pub const ACK_FAULT: u8 = 0b100;
    pub const TYPE_MASK: u8 = 0x30;
    /// Read data follows (4 bytes).
    pub const TYPE_DATA: u8 = 0x00;
    /// No data: the ACK bits tell how the transfer went.
    pub const TYPE_NO_DATA: u8 = 0x10;
    /// Parity or protocol error: no answer from the target.
    pub const TYPE_ERROR: u8 = 0x20;

    /// The command byte of one register transfer; `a` is the register address (A[3:2]).
    pub fn transfer(ap: bool, read: bool, a: u8) -> u8 {
        TRANSFER
            | if ap { TRANSFER_AP } else { 0 }
            | if read { TRANSFER_READ } else { 0 }
            | (a & TRANSFER_ADDRESS)
    }
}

/// COBS encoding (consistent overhead byte stuffing), without the trailing 0x00.
pub fn cobs_encode(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 254 + 2);
    let mut code_index = 0;
    out.push(0);
    let mut code = 1u8;
    for &b in data {
        if b == 0 {
            out[code_index] = code;
            code_index = out.len();
            out.push(0);
            code = 1;
        } else {
            out.push(b);
            code += 1;
            if code == 0xFF {
                out[code_index] = code;
                code_index = out.len();
                out.push(0);
                code = 1;
            }
        }
    }
    out[code_index] = code;
    out
}

/// COBS decoding of one frame (without its 0x00 delimiter); `None` if malformed.
pub fn cobs_decode(frame: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(frame.len());
    let mut i = 0;
    while i < frame.len() {
        let code = frame[i] as usize;
        if code == 0 || i + code > frame.len() {
            return None;
        }
        out.extend_from_slice(&frame[i + 1..i + code]);
        i += code;
        if code < 0xFF && i < frame.len() {
            out.push(0);
        }
    }
    Some(out)
}

/// One packet for `endpoint`, framed and delimited, ready for the socket.
pub fn frame(endpoint: u8, payload: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(payload.len() + 1);
    data.push(endpoint);
    data.extend_from_slice(payload);
    let mut out = cobs_encode(&data);
    out.push(0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cobs_round_trips() {
        for data in [
            vec![],
            vec![0],
            vec![1, 0, 2],
            vec![0x11; 300],
            (0..=255u8).collect::<Vec<_>>(),
        ] {
            let encoded = cobs_encode(&data);
            assert!(!encoded.contains(&0));
            assert_eq!(cobs_decode(&encoded).unwrap(), data);
        }
        assert_eq!(
            cobs_encode(&[0x11, 0x22, 0x00, 0x33]),
            vec![0x03, 0x11, 0x22, 0x02, 0x33]
        );
    }

    #[test]
    fn transfer_commands_carry_port_direction_and_address() {
        assert_eq!(swd::transfer(false, true, 0x0), 0b0010); // DP read DPIDR
        assert_eq!(swd::transfer(true, false, 0xC), 0b1101); // AP write DRW
        assert_eq!(swd::transfer(false, true, 0xC), 0b1110); // DP read RDBUFF
    }
}
