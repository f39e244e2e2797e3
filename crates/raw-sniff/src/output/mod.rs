//! Printers. Each takes the frame's capture metadata and the frame decoded once by
//! `wire::decode`; none of them parses anything itself.

pub mod dump;
pub mod ek;
pub mod explain;
pub mod json;
pub mod line;
pub mod relative_seq;
pub mod text;
pub mod time;
pub mod values;
pub mod verbose;
pub mod ws;

use std::io;

use wire::Decoded;

use crate::capture::CapturedFrame;
pub use crate::style::Style;
use crate::ws::WsEvent;
pub use time::time_of_day;

/// A packet's two numbers, both 1-based; they differ once a filter has dropped packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketNumber {
    /// Its place among the packets the filter kept, as tcpdump's `-#` counts.
    pub matched: u64,
    /// Its place in the file, or among the frames a live capture delivered, matched or not:
    /// Wireshark's `frame.number`.
    pub in_capture: u64,
}

impl PacketNumber {
    /// The numbers of the `n`th packet where nothing was filtered out, so both are `n`.
    pub fn unfiltered(n: u64) -> PacketNumber {
        PacketNumber {
            matched: n,
            in_capture: n,
        }
    }
}

/// A way of showing packets.
pub trait Printer {
    /// Shows the packet numbered `n`.
    fn packet(
        &mut self,
        n: PacketNumber,
        frame: &CapturedFrame<'_>,
        decoded: &Decoded<'_>,
    ) -> io::Result<()>;

    /// Shows a WebSocket event that the last packet completed (decoded once, by
    /// [`crate::ws::Tracker`]); `full` asks for payloads unshortened.
    fn ws(&mut self, event: &WsEvent, full: bool) -> io::Result<()>;

    /// Called when the capture has nothing for a moment and at the end: push out what is
    /// buffered so a person watching sees it at once.
    fn flush(&mut self) -> io::Result<()>;

    /// Called once when the capture is over, after the last event: a printer that holds
    /// something back until the end (a drawing of a conversation still open) shows it now.
    fn finish(&mut self) -> io::Result<()> {
        self.flush()
    }
}

/// Bytes as a quoted string when they are mostly text, else as hex; shortened to `max` bytes.
pub fn quoted(bytes: &[u8], max: usize) -> String {
    let shown = &bytes[..bytes.len().min(max)];
    let text = shown
        .iter()
        .filter(|&&b| (0x20..0x7f).contains(&b) || b == b'\n' || b == b'\r' || b == b'\t')
        .count();
    let mut out = if text * 10 >= shown.len() * 9 {
        format!("{:?}", String::from_utf8_lossy(shown))
    } else {
        values::hex(shown)
    };
    if bytes.len() > max {
        out.push_str(&format!(" … ({} more)", bytes.len() - max));
    }
    out
}
