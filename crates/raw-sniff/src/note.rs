//! What a capture tells its user on the way that is not an error: it goes on, but not quite as
//! asked. The library prints nothing itself; it hands each note to its caller as it happens,
//! and the binary writes it to stderr.

use std::fmt;
use std::io;

/// Something worth telling the user while the capture goes on. `Display` is the sentence,
/// without the program's name in front.
#[derive(Debug)]
#[non_exhaustive]
pub enum Note {
    /// The mmap ring could not be set up, so frames are read one `recvfrom()` at a time.
    NoRing(io::Error),
    /// The kernel refused the capture filter (`SO_ATTACH_FILTER` failed: too long, out of
    /// socket memory, …), so every frame is read and the filter runs here, as libpcap does.
    FilterInUserSpace(io::Error),
    /// Connections seen while the WebSocket tracker was already examining its most: nothing
    /// of them was decoded as WebSocket.
    WsNotExamined {
        /// How many connections were passed over.
        skipped: u64,
        /// How many the tracker examines at once.
        at_once: usize,
    },
    /// `-G` with `-W`: the files asked for are complete, so the capture ended (tcpdump says
    /// "Maximum file limit reached").
    FileLimitReached(u32),
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Note::NoRing(err) => write!(f, "no mmap ring ({err}); falling back to recvfrom()"),
            Note::FilterInUserSpace(err) => write!(
                f,
                "the kernel refused the capture filter ({err}); filtering every packet in user space instead"
            ),
            Note::WsNotExamined { skipped, at_once } => write!(
                f,
                "{skipped} TCP connections were not examined for WebSocket ({at_once} were at once)"
            ),
            Note::FileLimitReached(files) => write!(
                f,
                "maximum file limit reached: {files} files written, capture ended (-G with -W)"
            ),
        }
    }
}
