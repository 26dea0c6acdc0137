//! The socket probe's connection: packets out, answers in, per endpoint.
//!
//! A probe that goes away is an error here, never a wait: the end of the connection, a reset
//! and a silence longer than [`ANSWER_TIMEOUT`] all fail the call that was waiting.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::wire::{cobs_decode, frame, ENDPOINT_ROOT, ENDPOINT_SWD};

/// The longest the probe may take to answer. Every request is answered at once by a socket
/// probe (long flash operations are polled by the host), so this only bounds a stalled probe.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the link failed.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("the socket probe closed the connection")]
    Closed,
    #[error("the socket probe did not answer within {0:?}")]
    Silent(Duration),
    #[error("the socket probe sent a malformed packet")]
    Malformed,
    #[error("the socket probe sent a packet for unknown endpoint {0}")]
    UnknownEndpoint(u8),
    #[error("the link to the socket probe failed: {0}")]
    Io(#[from] io::Error),
}

/// The connection to one socket probe.
#[derive(Debug)]
pub struct Link {
    stream: TcpStream,
    /// Bytes read but not yet ending in a packet delimiter.
    partial: Vec<u8>,
    /// Answer bytes per endpoint, not yet consumed.
    root_in: Vec<u8>,
    swd_in: Vec<u8>,
}

impl Link {
    /// Takes over a connected stream.
    pub fn new(stream: TcpStream) -> io::Result<Link> {
        // Requests are small and each waits for its answer: send them at once.
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(ANSWER_TIMEOUT))?;
        Ok(Link {
            stream,
            partial: Vec::new(),
            root_in: Vec::new(),
            swd_in: Vec::new(),
        })
    }

    /// Sends packets (endpoint, payload), in order, in one write.
    pub fn send(&mut self, packets: &[(u8, &[u8])]) -> Result<(), LinkError> {
        let mut out = Vec::new();
        for (endpoint, payload) in packets {
            if !payload.is_empty() {
                out.extend(frame(*endpoint, payload));
            }
        }
        if !out.is_empty() {
            self.stream.write_all(&out).map_err(lost)?;
        }
        Ok(())
    }

    /// Waits until `complete` finds a whole answer at the start of `endpoint`'s input (it
    /// returns the answer's length), and returns it.
    pub fn receive<T>(
        &mut self,
        endpoint: u8,
        mut complete: impl FnMut(&[u8]) -> Option<(T, usize)>,
    ) -> Result<T, LinkError> {
        loop {
            let input = match endpoint {
                ENDPOINT_ROOT => &mut self.root_in,
                _ => &mut self.swd_in,
            };
            if let Some((answer, used)) = complete(input) {
                input.drain(..used);
                return Ok(answer);
            }
            self.read_more()?;
        }
    }

    /// Reads what the socket has and sorts whole packets into the endpoints' input.
    fn read_more(&mut self) -> Result<(), LinkError> {
        let mut buf = [0u8; 64 * 1024];
        let n = self.stream.read(&mut buf).map_err(lost)?;
        if n == 0 {
            return Err(LinkError::Closed);
        }
        self.partial.extend_from_slice(&buf[..n]);
        while let Some(end) = self.partial.iter().position(|&b| b == 0) {
            let packet = cobs_decode(&self.partial[..end]).ok_or(LinkError::Malformed)?;
            self.partial.drain(..=end);
            match packet.split_first() {
                Some((&ENDPOINT_ROOT, payload)) => self.root_in.extend_from_slice(payload),
                Some((&ENDPOINT_SWD, payload)) => self.swd_in.extend_from_slice(payload),
                Some((&other, _)) => return Err(LinkError::UnknownEndpoint(other)),
                None => return Err(LinkError::Malformed),
            }
        }
        Ok(())
    }
}

/// A read timeout is a silent probe; anything else is passed on.
fn lost(e: io::Error) -> LinkError {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => LinkError::Silent(ANSWER_TIMEOUT),
        io::ErrorKind::UnexpectedEof => LinkError::Closed,
        _ => LinkError::Io(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn pair() -> (Link, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        (Link::new(client).unwrap(), server)
    }

    #[test]
    fn answers_are_sorted_by_endpoint_across_packet_boundaries() {
        let (mut link, mut server) = pair();
        let mut bytes = frame(ENDPOINT_SWD, &[1, 2]);
        bytes.extend(frame(ENDPOINT_ROOT, &[9]));
        bytes.extend(frame(ENDPOINT_SWD, &[3]));
        server.write_all(&bytes).unwrap();
        let swd = link
            .receive(ENDPOINT_SWD, |b| {
                (b.len() >= 3).then(|| (b[..3].to_vec(), 3))
            })
            .unwrap();
        assert_eq!(swd, [1, 2, 3]);
        let root = link
            .receive(ENDPOINT_ROOT, |b| b.first().map(|&x| (x, 1)))
            .unwrap();
        assert_eq!(root, 9);
    }

    #[test]
    fn a_probe_that_goes_away_is_an_error() {
        let (mut link, server) = pair();
        drop(server);
        let r = link.receive(ENDPOINT_SWD, |_| None::<((), usize)>);
        assert!(
            matches!(r, Err(LinkError::Closed) | Err(LinkError::Io(_))),
            "{r:?}"
        );
    }
}
