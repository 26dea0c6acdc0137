//! A bounded byte queue between the RTT poller and a client's socket thread (or the console).
//!
//! The poller never waits on it: it asks for the free room and pushes at most that much. The
//! socket side waits (bounded) for bytes. Closing wakes both sides.

use std::collections::VecDeque;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

/// A bounded FIFO of bytes.
#[derive(Debug)]
pub struct ByteQueue {
    capacity: usize,
    inner: Mutex<Inner>,
    changed: Condvar,
}

#[derive(Debug, Default)]
struct Inner {
    bytes: VecDeque<u8>,
    closed: bool,
}

impl ByteQueue {
    /// An empty queue that holds at most `capacity` bytes.
    pub fn new(capacity: usize) -> ByteQueue {
        ByteQueue {
            capacity,
            inner: Mutex::new(Inner::default()),
            changed: Condvar::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// How many bytes fit now (0 once closed).
    pub fn room(&self) -> usize {
        let inner = self.lock();
        if inner.closed {
            0
        } else {
            self.capacity - inner.bytes.len()
        }
    }

    /// How many bytes are waiting.
    pub fn len(&self) -> usize {
        self.lock().bytes.len()
    }

    /// Whether no byte is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends as much of `bytes` as fits, without waiting; returns how much was taken.
    pub fn push(&self, bytes: &[u8]) -> usize {
        let mut inner = self.lock();
        if inner.closed {
            return 0;
        }
        let n = bytes.len().min(self.capacity - inner.bytes.len());
        inner.bytes.extend(&bytes[..n]);
        drop(inner);
        if n > 0 {
            self.changed.notify_all();
        }
        n
    }

    /// Appends all of `bytes`, waiting for room at most `timeout` in all; returns how much was
    /// taken (less than all on timeout or close).
    pub fn push_waiting(&self, mut bytes: &[u8], timeout: Duration) -> usize {
        let deadline = std::time::Instant::now() + timeout;
        let mut taken = 0;
        let mut inner = self.lock();
        while !bytes.is_empty() && !inner.closed {
            let n = bytes.len().min(self.capacity - inner.bytes.len());
            if n > 0 {
                inner.bytes.extend(&bytes[..n]);
                taken += n;
                bytes = &bytes[n..];
                self.changed.notify_all();
                continue;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            inner = self
                .changed
                .wait_timeout(inner, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        taken
    }

    /// The first `max` bytes, without removing them.
    pub fn peek(&self, max: usize) -> Vec<u8> {
        self.lock().bytes.iter().take(max).copied().collect()
    }

    /// Removes the first `n` bytes.
    pub fn consume(&self, n: usize) {
        let mut inner = self.lock();
        let n = n.min(inner.bytes.len());
        inner.bytes.drain(..n);
        drop(inner);
        self.changed.notify_all();
    }

    /// Takes up to `max` bytes, waiting at most `timeout` for the first; empty on timeout or
    /// once closed and drained.
    pub fn pop_waiting(&self, max: usize, timeout: Duration) -> Vec<u8> {
        let mut inner = self.lock();
        if inner.bytes.is_empty() && !inner.closed {
            inner = self
                .changed
                .wait_timeout(inner, timeout)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        let n = max.min(inner.bytes.len());
        let out: Vec<u8> = inner.bytes.drain(..n).collect();
        drop(inner);
        if !out.is_empty() {
            self.changed.notify_all();
        }
        out
    }

    /// Takes the first byte, if any, without waiting.
    pub fn pop(&self) -> Option<u8> {
        let mut inner = self.lock();
        let byte = inner.bytes.pop_front();
        drop(inner);
        if byte.is_some() {
            self.changed.notify_all();
        }
        byte
    }

    /// Closes the queue: pushes take nothing, waits end.
    pub fn close(&self) {
        self.lock().closed = true;
        self.changed.notify_all();
    }

    /// Whether [`ByteQueue::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.lock().closed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_takes_only_what_fits_and_pop_returns_in_order() {
        let q = ByteQueue::new(4);
        assert_eq!(q.push(b"abcdef"), 4);
        assert_eq!(q.room(), 0);
        assert_eq!(q.pop_waiting(3, Duration::ZERO), b"abc");
        assert_eq!(q.push(b"xy"), 2);
        assert_eq!(q.pop_waiting(10, Duration::ZERO), b"dxy");
        assert!(q.pop_waiting(10, Duration::from_millis(1)).is_empty());
    }

    #[test]
    fn peek_and_consume() {
        let q = ByteQueue::new(8);
        q.push(b"hello");
        assert_eq!(q.peek(3), b"hel");
        q.consume(2);
        assert_eq!(q.peek(10), b"llo");
    }

    #[test]
    fn closing_refuses_pushes_and_ends_waits() {
        let q = ByteQueue::new(2);
        q.push(b"ab");
        q.close();
        assert_eq!(q.push(b"c"), 0);
        assert_eq!(q.room(), 0);
        assert_eq!(q.push_waiting(b"c", Duration::from_secs(5)), 0);
        assert_eq!(q.pop_waiting(5, Duration::from_secs(5)), b"ab");
        assert!(q.pop_waiting(5, Duration::from_secs(5)).is_empty());
    }
}
