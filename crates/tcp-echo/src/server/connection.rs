//! One client's connection: echo every byte back until the client closes, goes idle too long, or
//! the server stops.
//!
//! "Idle" means no progress either way: nothing read, or nothing of an echo taken by the client.
//! A client that sends and never reads makes every write block; without a deadline on those
//! writes it would hold the task, and both ends' socket buffers (megabytes), forever.

use std::io;
use std::net::SocketAddr;

use tokio::io::AsyncWriteExt; // shutdown()
use tokio::net::TcpStream;

use super::progress::{idle, write_all_or_stall, Ended};
use super::Shared;

/// The first read buffer; it doubles up to `MAX_BUF` while reads keep filling it, so a bulk
/// stream gets large reads and a chatty client small ones.
const MIN_BUF: usize = 4 * 1024;
const MAX_BUF: usize = 64 * 1024;

pub async fn serve(mut stream: TcpStream, peer: SocketAddr, shared: &Shared) {
    let ended = if shared.php_demo {
        super::php_demo::serve(&mut stream, peer, shared).await
    } else {
        echo(&mut stream, peer, shared).await
    };
    let trace = shared.trace;
    match ended {
        Ok(Ended::PeerClosed) => trace.say(format_args!(
            "{peer}: read() returned 0: the client closed its side; shutdown(SHUT_WR), close()"
        )),
        Ok(Ended::Idle(after)) => trace.say(format_args!(
            "{peer}: idle for {after:?} (--idle-timeout); close()"
        )),
        Ok(Ended::Stalled(after)) => trace.say(format_args!(
            "{peer}: took none of our write for {after:?} (--idle-timeout): it sends but does not \
             read; close()"
        )),
        Ok(Ended::ServerStopping) => trace.say(format_args!(
            "{peer}: server stopping; shutdown(SHUT_WR), close()"
        )),
        Ok(Ended::Failed(err)) | Err(err) => trace.say(format_args!("{peer}: {err}; close()")),
    }
    // Sends FIN after everything written so far; the client sees a clean end of stream.
    let _ = stream.shutdown().await;
}

/// RFC 862: whatever arrives goes straight back.
///
/// The buffer exists only while data flows: an idle connection holds a socket and a parked task,
/// nothing more, which is what lets one process keep tens of thousands of them.
async fn echo(stream: &mut TcpStream, peer: SocketAddr, shared: &Shared) -> io::Result<Ended> {
    // Registered once per connection: making a new cancellation future for every message would
    // take the token's lock on every round trip.
    let stopping = shared.stop.cancelled();
    tokio::pin!(stopping);
    loop {
        tokio::select! {
            // Shutdown first, then input, then the timer: after a spell in which the worker was
            // busy with other connections, the timer and the client's bytes can be ready at
            // once, and bytes that arrived are progress, not idleness.
            biased;
            () = &mut stopping => {
                // What the client already sent is in flight: echo it, then stop.
                return Ok(match echo_pending(stream, peer, shared).await? {
                    Some(ended @ (Ended::Failed(_) | Ended::Stalled(_))) => ended,
                    _ => Ended::ServerStopping,
                });
            }
            ready = stream.readable() => ready?,
            after = idle(shared.idle_timeout) => return Ok(Ended::Idle(after)),
        }
        if let Some(ended) = echo_pending(stream, peer, shared).await? {
            return Ok(ended);
        }
    }
}

/// Echoes everything the socket holds now; `None` once it would block, else how it ended.
async fn echo_pending(
    stream: &mut TcpStream,
    peer: SocketAddr,
    shared: &Shared,
) -> io::Result<Option<Ended>> {
    // Capacity only: try_read_buf reads into it without zeroing it first.
    let mut buf = Vec::with_capacity(MIN_BUF);
    loop {
        buf.clear();
        match stream.try_read_buf(&mut buf) {
            Ok(0) => return Ok(Some(Ended::PeerClosed)),
            Ok(n) => {
                if let Some(stalled) = write_back(stream, &buf, peer, shared).await? {
                    return Ok(Some(stalled));
                }
                if n == buf.capacity() && n < MAX_BUF {
                    buf.reserve(n * 2);
                }
            }
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return Ok(None),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return Ok(Some(Ended::Failed(err))),
        }
    }
}

/// Echoes one read's bytes; `Some(Stalled)` when the client stopped taking them.
async fn write_back(
    stream: &mut TcpStream,
    data: &[u8],
    peer: SocketAddr,
    shared: &Shared,
) -> io::Result<Option<Ended>> {
    shared
        .trace
        .say(format_args!("{peer}: read() = {} bytes", data.len()));
    if let Some(after) = write_all_or_stall(stream, data, shared.idle_timeout).await? {
        return Ok(Some(Ended::Stalled(after)));
    }
    shared
        .trace
        .say(format_args!("{peer}: write({} bytes) done", data.len()));
    shared.stats.add_bytes(data.len());
    Ok(None)
}
