//! Printers. Each takes the frame's capture metadata and the frame decoded once by
//! `wire::decode`; none of them parses anything itself.

pub mod line;
pub mod relative_seq;

use std::io;

use wire::Decoded;

use crate::capture::Frame;

/// A way of showing packets.
pub trait Printer {
    /// Shows packet number `n` (1-based, counting packets that matched the filter).
    fn packet(&mut self, n: u64, frame: &Frame<'_>, decoded: &Decoded<'_>) -> io::Result<()>;

    /// Called when the capture has nothing for a moment and at the end: push out what is
    /// buffered so a person watching sees it at once.
    fn flush(&mut self) -> io::Result<()>;
}

/// Time of day (UTC) with microseconds, as tcpdump prints it.
pub fn time_of_day(ts: wire::pcap::Timestamp) -> String {
    let secs = ts.secs % 86_400;
    format!(
        "{:02}:{:02}:{:02}.{:06}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        ts.nanos / 1000
    )
}
