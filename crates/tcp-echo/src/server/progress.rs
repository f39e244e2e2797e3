//! What every way of serving a connection (the echo, the PHP demo) shares: how a connection
//! ended, and the two deadlines of `--idle-timeout`, on reading and on writing.
//!
//! "Idle" means no progress either way: nothing read, or nothing of a reply taken by the client.

use std::io;
use std::time::Duration;

use tokio::net::TcpStream;

/// Why a connection ended, for the trace.
pub(super) enum Ended {
    PeerClosed,
    Idle(Duration),
    /// The client took none of an echo for this long: it sends but does not read.
    Stalled(Duration),
    ServerStopping,
    Failed(io::Error),
}

/// Writes all of `data`, or returns `Some(idle)` once the client has taken none of it for
/// `idle`. Any byte taken is progress and restarts the wait, so a slow reader is served.
pub(super) async fn write_all_or_stall(
    stream: &mut TcpStream,
    mut data: &[u8],
    idle: Option<Duration>,
) -> io::Result<Option<Duration>> {
    while !data.is_empty() {
        // Try first: a write that fits the socket buffer needs no timer at all.
        match stream.try_write(data) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => data = &data[n..],
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => match idle {
                None => stream.writable().await?,
                Some(after) => match tokio::time::timeout(after, stream.writable()).await {
                    Ok(ready) => ready?,
                    Err(_) => return Ok(Some(after)),
                },
            },
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(None)
}

/// Completes after `timeout`, or never when there is none.
pub(super) async fn idle(timeout: Option<Duration>) -> Duration {
    match timeout {
        Some(after) => {
            tokio::time::sleep(after).await;
            after
        }
        None => std::future::pending().await,
    }
}
