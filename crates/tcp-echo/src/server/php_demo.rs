//! The PHP manual's socket server example ("Example #1 Socket example: Simple TCP/IP server"),
//! reproduced byte for byte on the wire so its clients work unchanged.

use std::io;
use std::net::SocketAddr;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::connection::{idle, write_all_or_stall, Ended};
use super::Shared;

/// Sent on connect, exactly as the PHP example writes it (note the space before the first `\n`).
pub const GREETING: &[u8] =
    b"\nWelcome to the PHP Test Server. \nTo quit, type 'quit'. To shut down the server type 'shutdown'.\n";

/// `socket_read($sock, 2048, PHP_NORMAL_READ)`: a line is at most 2048 bytes; a longer one is
/// handed over in 2048-byte pieces, which also bounds what one client can make the server hold.
const MAX_LINE: usize = 2048;

/// What one line of input asks for.
#[derive(Debug, PartialEq, Eq)]
pub enum Reply {
    /// Nothing: the PHP example skips lines that trim to nothing.
    Ignore,
    Quit,
    Shutdown,
    Say(Vec<u8>),
}

/// The PHP example's decision for one line, before or after trimming.
pub fn reply_to(line: &[u8]) -> Reply {
    let line = php_trim(line);
    // `if (!$buf = trim($buf)) continue;` — PHP treats "0" as false too, so the original ignores
    // a line holding just 0; so does this one, to stay byte-exact.
    if line.is_empty() || line == b"0" {
        return Reply::Ignore;
    }
    match line {
        b"quit" => Reply::Quit,
        b"shutdown" => Reply::Shutdown,
        _ => {
            let mut talkback = b"PHP: You said '".to_vec();
            talkback.extend_from_slice(line);
            talkback.extend_from_slice(b"'.\n");
            Reply::Say(talkback)
        }
    }
}

/// PHP's `trim()`: strips " \t\n\r\0\x0B" from both ends.
fn php_trim(bytes: &[u8]) -> &[u8] {
    let strip = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0B');
    let start = bytes.iter().position(|b| !strip(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !strip(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// Splits off the next complete line: up to and including `\n` or `\r` (PHP_NORMAL_READ stops at
/// either), or `MAX_LINE` bytes when no line end came that soon.
pub fn next_line(pending: &mut Vec<u8>) -> Option<Vec<u8>> {
    let end = match pending.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(i) if i < MAX_LINE => i + 1,
        _ if pending.len() >= MAX_LINE => MAX_LINE,
        _ => return None,
    };
    Some(pending.drain(..end).collect())
}

pub(super) async fn serve(
    stream: &mut TcpStream,
    peer: SocketAddr,
    shared: &Shared,
) -> io::Result<Ended> {
    let trace = shared.trace;
    if let Some(after) = write_all_or_stall(stream, GREETING, shared.idle_timeout).await? {
        return Ok(Ended::Stalled(after));
    }
    trace.say(format_args!(
        "{peer}: write({} bytes): greeting",
        GREETING.len()
    ));

    let mut pending = Vec::new();
    let mut chunk = [0u8; 512];
    let stopping = shared.stop.cancelled();
    tokio::pin!(stopping);
    loop {
        while let Some(line) = next_line(&mut pending) {
            trace.say(format_args!(
                "{peer}: line {:?}",
                String::from_utf8_lossy(php_trim(&line))
            ));
            match reply_to(&line) {
                Reply::Ignore => {}
                Reply::Quit => return Ok(Ended::PeerClosed),
                Reply::Shutdown => {
                    shared.stop.cancel();
                    return Ok(Ended::ServerStopping);
                }
                Reply::Say(talkback) => {
                    // A client that sends lines and never reads its replies is cut off here.
                    let wrote = write_all_or_stall(stream, &talkback, shared.idle_timeout).await?;
                    if let Some(after) = wrote {
                        return Ok(Ended::Stalled(after));
                    }
                    shared.stats.add_bytes(talkback.len());
                }
            }
        }
        let n = tokio::select! {
            read = stream.read(&mut chunk) => read?,
            () = &mut stopping => return Ok(Ended::ServerStopping),
            after = idle(shared.idle_timeout) => return Ok(Ended::Idle(after)),
        };
        if n == 0 {
            return Ok(Ended::PeerClosed);
        }
        trace.say(format_args!("{peer}: read() = {n} bytes"));
        pending.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_match_the_php_example() {
        assert_eq!(
            reply_to(b"  hello world \r\n"),
            Reply::Say(b"PHP: You said 'hello world'.\n".to_vec())
        );
        assert_eq!(reply_to(b"quit\n"), Reply::Quit);
        assert_eq!(reply_to(b"\tshutdown\r"), Reply::Shutdown);
        assert_eq!(reply_to(b"\n"), Reply::Ignore);
        assert_eq!(reply_to(b"0\n"), Reply::Ignore);
        assert_eq!(
            reply_to(b"QUIT\n"),
            Reply::Say(b"PHP: You said 'QUIT'.\n".to_vec())
        );
    }

    #[test]
    fn lines_end_at_newline_or_carriage_return() {
        let mut pending = b"one\r\ntwo\nthr".to_vec();
        assert_eq!(next_line(&mut pending).unwrap(), b"one\r");
        assert_eq!(next_line(&mut pending).unwrap(), b"\n");
        assert_eq!(next_line(&mut pending).unwrap(), b"two\n");
        assert_eq!(next_line(&mut pending), None);
        assert_eq!(pending, b"thr");
    }

    #[test]
    fn long_lines_come_in_2048_byte_pieces() {
        let mut pending = vec![b'x'; 5000];
        assert_eq!(next_line(&mut pending).unwrap().len(), 2048);
        assert_eq!(next_line(&mut pending).unwrap().len(), 2048);
        assert_eq!(next_line(&mut pending), None);
        assert_eq!(pending.len(), 904);
    }
}
