//! Admission: from an accepted socket to a client whose first packet has arrived.
//!
//! Waiting for that packet costs a task and a socket, no thread: it is asynchronous, and the
//! framing guard ([`Framer`]) checks the bytes as they come. At most [`MAX_WAITING`] connections
//! wait at once ([`WaitingRoom`]); one more closes the connection that has waited longest. An
//! idle-connection flood therefore cannot hold the server's sockets, threads or attention: a
//! real client, which sends its first packet (GDB's `qSupported`) right after connecting,
//! passes, and the flood's connections are closed in turn. A connection that sends nothing for
//! the first-packet timeout is closed too. Refusals (every observer place taken) are answered
//! here as well, without a thread.

use std::collections::VecDeque;
use std::io;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Notify;

use super::conn::{Framer, CLOSE_WAIT};

/// The most connections waiting for their first packet at once.
pub const MAX_WAITING: usize = 32;

/// The connections waiting for their first packet, oldest first.
#[derive(Debug, Default)]
pub struct WaitingRoom {
    room: Mutex<Room>,
}

#[derive(Debug, Default)]
struct Room {
    next: u64,
    waiting: VecDeque<(u64, Arc<Notify>)>,
    /// Connections closed to make room, since the server started.
    evicted: u64,
}

/// A place in the waiting room; given up when dropped.
#[derive(Debug)]
pub struct Place {
    room: Arc<WaitingRoom>,
    id: u64,
    /// Notified when the place is taken away for a newer connection.
    evicted: Arc<Notify>,
}

impl WaitingRoom {
    fn lock(&self) -> MutexGuard<'_, Room> {
        self.room.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A place for a new connection; when the room is full, the connection that has waited
    /// longest is told to close.
    pub fn enter(self: &Arc<Self>) -> Place {
        let mut room = self.lock();
        if room.waiting.len() >= MAX_WAITING {
            if let Some((_, oldest)) = room.waiting.pop_front() {
                oldest.notify_one();
                room.evicted += 1;
                if room.evicted.is_power_of_two() {
                    log::warn!(
                        "{} connections closed so far because more than {MAX_WAITING} sent no packet (an idle-connection flood?)",
                        room.evicted
                    );
                }
            }
        }
        let id = room.next;
        room.next += 1;
        let evicted = Arc::new(Notify::new());
        room.waiting.push_back((id, evicted.clone()));
        Place {
            room: self.clone(),
            id,
            evicted,
        }
    }

    /// How many connections wait now.
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        self.room.lock().waiting.retain(|(id, _)| *id != self.id);
    }
}

/// How the wait for the first packet ended.
pub enum FirstPacket {
    /// A whole, checked packet is waiting in the framing guard.
    Arrived(Framer),
    /// Nothing within the timeout.
    Silent,
    /// Closed to make room for a newer connection.
    Evicted,
    /// The client closed, or the socket failed.
    Closed(io::Error),
}

/// Waits for the first whole packet on `stream`, at most `timeout`, while `place` lasts.
pub async fn first_packet(
    stream: &mut TcpStream,
    place: &Place,
    timeout: Duration,
    max_packet: usize,
) -> FirstPacket {
    let mut framer = Framer::new(max_packet);
    let deadline = tokio::time::Instant::now() + timeout;
    let mut buf = [0u8; 4096];
    loop {
        let n = tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) => return FirstPacket::Closed(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => n,
                Err(e) => return FirstPacket::Closed(e),
            },
            _ = place.evicted.notified() => return FirstPacket::Evicted,
            _ = tokio::time::sleep_until(deadline) => return FirstPacket::Silent,
        };
        framer.push(&buf[..n]);
        if !framer.replies.is_empty() {
            let replies = std::mem::take(&mut framer.replies);
            if let Err(e) = stream.write_all(&replies).await {
                return FirstPacket::Closed(e);
            }
        }
        if framer.ready.contains(&b'$') {
            return FirstPacket::Arrived(framer);
        }
    }
}

/// Answers the waiting first packet with `reply` (a framed `$…#xx` packet, acknowledged) and
/// closes the connection, giving the client a moment to read it.
pub async fn refuse(mut stream: TcpStream, reply: &[u8]) {
    let _ = stream.write_all(b"+").await;
    let _ = stream.write_all(reply).await;
    let _ = stream.shutdown().await;
    // Until the client closes its side (or the wait runs out), so it reads the reply first.
    let mut buf = [0u8; 1024];
    let _ = tokio::time::timeout(CLOSE_WAIT, async {
        while matches!(stream.read(&mut buf).await, Ok(n) if n > 0) {}
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_room_closes_the_longest_waiting_connection() {
        let room = Arc::new(WaitingRoom::default());
        let places: Vec<Place> = (0..MAX_WAITING).map(|_| room.enter()).collect();
        assert_eq!(room.waiting(), MAX_WAITING);
        let newest = room.enter();
        assert_eq!(room.waiting(), MAX_WAITING);
        // The oldest was told (a permit is stored until it waits), the others were not.
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        runtime.block_on(async {
            let told = |p: &Place| {
                let evicted = p.evicted.clone();
                async move {
                    tokio::time::timeout(Duration::from_millis(20), evicted.notified())
                        .await
                        .is_ok()
                }
            };
            assert!(told(&places[0]).await);
            assert!(!told(&places[1]).await);
            assert!(!told(&newest).await);
        });
        drop(places);
        assert_eq!(room.waiting(), 1, "only the newest is left");
        drop(newest);
        assert_eq!(room.waiting(), 0);
    }
}
