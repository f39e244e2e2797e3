//! The PHP manual's socket server example ("Example #1 Socket example: Simple TCP/IP server"),
//! reproduced byte for byte on the wire so its clients work unchanged.

use std::io;
use std::net::SocketAddr;

use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

use super::progress::{idle, write_all_or_stall, Ended};
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
pub fn php_trim(bytes: &[u8]) -> &[u8] {
    let strip = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\0' | b'\x0B');
    let start = bytes.iter().position(|b| !strip(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !strip(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

/// The length of the complete line `pending` starts with: up to and including `\n` or `\r`
/// (PHP_NORMAL_READ stops at either), or `MAX_LINE` bytes when no line end came that soon.
///
/// Callers walk the buffer by offset and drop what they used once per read: splitting each line
/// off the front would move the rest every time, a cost per byte that grows with the number of
/// lines in a read (256 moves per byte for a read of 512 bytes of empty lines).
pub fn line_len(pending: &[u8]) -> Option<usize> {
    let scan = &pending[..pending.len().min(MAX_LINE)];
    match scan.iter().position(|&b| b == b'\n' || b == b'\r') {
        Some(i) => Some(i + 1),
        None if pending.len() >= MAX_LINE => Some(MAX_LINE),
        None => None,
    }
}

/// Bytes read at once; every complete line in them is answered with one write.
const READ_CHUNK: usize = 4096;

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
    let mut replies = Vec::new();
    let mut chunk = [0u8; READ_CHUNK];
    let stopping = shared.stop.cancelled();
    tokio::pin!(stopping);
    loop {
        let mut used = 0;
        let mut ending = None;
        while let Some(len) = line_len(&pending[used..]) {
            let line = &pending[used..used + len];
            used += len;
            trace.say(format_args!(
                "{peer}: line {:?}",
                String::from_utf8_lossy(php_trim(line))
            ));
            match reply_to(line) {
                Reply::Ignore => {}
                Reply::Quit => {
                    ending = Some(Ended::PeerClosed);
                    break;
                }
                Reply::Shutdown => {
                    ending = Some(Ended::ServerStopping);
                    break;
                }
                Reply::Say(talkback) => replies.extend_from_slice(&talkback),
            }
        }
        pending.drain(..used);
        // One write for all the replies a read produced: a client sending many lines at once
        // costs a system call per read, not one per line. A client that sends lines and never
        // reads the replies is cut off here.
        if !replies.is_empty() {
            if let Some(after) = write_all_or_stall(stream, &replies, shared.idle_timeout).await? {
                return Ok(Ended::Stalled(after));
            }
            shared.stats.add_bytes(replies.len());
            replies.clear();
        }
        match ending {
            Some(Ended::ServerStopping) => {
                shared.stop.cancel();
                return Ok(Ended::ServerStopping);
            }
            Some(ended) => return Ok(ended),
            None => {}
        }
        let n = tokio::select! {
            // Shutdown first, then input, then the timer: after a spell in which the worker was
            // busy with other connections, the timer and the client's bytes can be ready at
            // once, and bytes that arrived are progress, not idleness.
            biased;
            () = &mut stopping => return Ok(Ended::ServerStopping),
            read = stream.read(&mut chunk) => read?,
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

    /// Splits `bytes` the way `serve` walks its buffer; returns the lines and the rest.
    fn lines(bytes: &[u8]) -> (Vec<&[u8]>, &[u8]) {
        let mut at = 0;
        let mut found = Vec::new();
        while let Some(len) = line_len(&bytes[at..]) {
            found.push(&bytes[at..at + len]);
            at += len;
        }
        (found, &bytes[at..])
    }

    #[test]
    fn lines_end_at_newline_or_carriage_return() {
        let (found, rest) = lines(b"one\r\ntwo\nthr");
        assert_eq!(found, [&b"one\r"[..], b"\n", b"two\n"]);
        assert_eq!(rest, b"thr");
    }

    #[test]
    fn long_lines_come_in_2048_byte_pieces() {
        let long = vec![b'x'; 5000];
        let (found, rest) = lines(&long);
        assert_eq!(
            found.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [2048, 2048]
        );
        assert_eq!(rest.len(), 904);
        // A line end beyond the first 2048 bytes does not make a longer line.
        let mut late_end = vec![b'y'; 3000];
        late_end.push(b'\n');
        let (found, rest) = lines(&late_end);
        assert_eq!(
            found.iter().map(|l| l.len()).collect::<Vec<_>>(),
            [2048, 953]
        );
        assert!(rest.is_empty());
    }
}
