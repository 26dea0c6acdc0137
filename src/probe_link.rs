//! The link to a socket probe (`--probe 20b7:9db1:tcp:HOST:PORT`), made so that a probe that
//! goes away is an error and not a hang.
//!
//! probe-rs's socket driver waits for a reply by reading until it is complete, and takes an
//! end of stream for an empty read: when the probe server exits (its socket closes normally),
//! the driver reads "nothing" forever, at full CPU, inside whatever call was running. So
//! probe-rs is not given the probe's socket itself. It connects to a relay on loopback, which
//! copies bytes both ways; when the probe's side ends or fails, the relay resets probe-rs's
//! connection (an abortive close, RST, no end of stream), and probe-rs's read reports the
//! reset as an error. The probe's end sees probe-rs's end of stream when the session closes.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// How long the relay waits for probe-rs to connect to it.
const ACCEPT_TIMEOUT: Duration = Duration::from_secs(10);

/// Starts a relay to the probe behind `upstream` (connected) and returns the loopback address
/// probe-rs should connect to instead. The relay serves one connection and then ends.
pub fn relay(upstream: TcpStream) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0))?;
    let addr = listener.local_addr()?;
    upstream.set_nodelay(true)?;
    std::thread::Builder::new()
        .name("probe-link".into())
        .spawn(move || {
            let Some(downstream) = accept_one(&listener) else {
                log::warn!("probe link: probe-rs did not connect to the relay");
                return;
            };
            drop(listener);
            if let Err(e) = run(upstream, downstream) {
                log::debug!("probe link: {e}");
            }
        })?;
    Ok(addr)
}

/// The one connection from probe-rs, within [`ACCEPT_TIMEOUT`].
fn accept_one(listener: &TcpListener) -> Option<TcpStream> {
    listener.set_nonblocking(true).ok()?;
    let deadline = Instant::now() + ACCEPT_TIMEOUT;
    while Instant::now() < deadline {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).ok()?;
                return Some(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(5));
            }
            Err(_) => return None,
        }
    }
    None
}

fn run(upstream: TcpStream, downstream: TcpStream) -> io::Result<()> {
    downstream.set_nodelay(true)?;
    let (mut up_read, mut up_write) = (upstream.try_clone()?, upstream);
    let (mut down_read, mut down_write) = (downstream.try_clone()?, downstream);
    // probe-rs → probe: when probe-rs closes, pass the end of stream on (and stop reading
    // from the probe, which ends the other direction too).
    let to_probe = std::thread::Builder::new()
        .name("probe-link-out".into())
        .spawn(move || {
            let _ = copy(&mut down_read, &mut up_write);
            let _ = up_write.shutdown(Shutdown::Both);
            down_read
        })?;
    // probe → probe-rs: when the probe ends, reset probe-rs's connection instead.
    let _ = copy(&mut up_read, &mut down_write);
    socket2::SockRef::from(&down_write).set_linger(Some(Duration::ZERO))?;
    // Wakes the other direction's read (no packet is sent for this); once both copies of the
    // socket are closed, the zero linger time makes the close a reset.
    let _ = down_write.shutdown(Shutdown::Read);
    let down_read = to_probe
        .join()
        .map_err(|_| io::Error::other("the relay thread panicked"))?;
    drop(down_read);
    drop(down_write);
    Ok(())
}

/// Copies until the reader ends or either side fails.
fn copy(from: &mut TcpStream, to: &mut TcpStream) -> io::Result<()> {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = from.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        to.write_all(&buf[..n])?;
    }
}
