//! Where packets come from. Every source — an AF_PACKET ring, plain raw sockets, Windows'
//! SIO_RCVALL socket, a capture file — sits behind one small trait, so everything after the
//! socket (filtering, decoding, printing, writing) is the same code whatever the source.
//!
//! `unsafe` in raw-sniff lives only in these backends (the mmap ring, socket options the
//! safe wrappers do not cover, dropping privileges), each block with a `// SAFETY:` comment.

#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub mod afpacket;
mod direction;
mod error;
pub mod file;
pub mod link_types;
#[cfg(unix)]
#[allow(unsafe_code)]
pub mod privileges;
#[cfg(target_os = "linux")]
#[allow(unsafe_code)]
pub mod sock_raw;
#[cfg(windows)]
#[allow(unsafe_code)]
pub mod windows;

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub use direction::Direction;
pub use error::CaptureError;
pub use wire::LinkType;

pub use wire::pcap::Timestamp;

/// The time now, for backends whose kernel interface gives no timestamp.
pub fn now() -> Timestamp {
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp {
        secs: since.as_secs(),
        nanos: since.subsec_nanos(),
    }
}

/// One captured frame. `data` may be shorter than `orig_len` when the capture was truncated.
#[derive(Debug, Clone, Copy)]
pub struct CapturedFrame<'a> {
    /// When the frame was captured (by the kernel where it says, else when it was read).
    pub ts: Timestamp,
    /// What the first byte of `data` is the start of.
    pub link: LinkType,
    /// The captured bytes, from the link header on (from the IP header for `Raw`).
    pub data: &'a [u8],
    /// The frame's length on the wire.
    pub orig_len: u32,
    /// The kernel said this packet's checksum is not filled in yet (checksum offload on the
    /// sending side), so a "wrong" checksum is expected and means nothing.
    pub csum_not_ready: bool,
}

impl CapturedFrame<'_> {
    /// Which checksums wire's walk should judge for this frame: all of them, unless the kernel
    /// said the transport checksum is not filled in yet.
    pub fn checksums(&self) -> wire::layout::Checksums {
        if self.csum_not_ready {
            wire::layout::Checksums::TransportNotFilledIn
        } else {
            wire::layout::Checksums::Judge
        }
    }
}

/// What a backend has for the capture loop.
#[derive(Debug)]
pub enum Next<'a> {
    /// A frame, borrowed until the next call (so ring blocks can go back to the kernel).
    Frame(CapturedFrame<'a>),
    /// Nothing arrived for a short while: the loop may check Ctrl-C, `--duration` and flush.
    Idle,
    /// The source is exhausted (end of a capture file).
    End,
}

/// Counters a backend can report at the end of a capture.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets the kernel queued for this socket (after the kernel filter), where it says.
    pub kernel_received: Option<u64>,
    /// Packets the kernel had to drop because this socket's buffer was full.
    pub kernel_dropped: Option<u64>,
}

/// What a live source may still hold when the capture is told to stop: frames the kernel took
/// before the stop but that this process has not read yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drain {
    /// How long a frame already taken by the kernel can take to become readable: a TPACKET_V3
    /// block is handed over only when full or when its timeout runs out, so a frame can sit
    /// unseen for up to about two timeouts. Zero for a socket queue (readable at once).
    pub settle: Duration,
    /// Frame timestamps are the kernel's capture times, so a frame stamped after the stop was
    /// captured after it and ends the drain. Sources that stamp at read time cannot tell.
    pub stamped_by_kernel: bool,
}

/// A packet source.
pub trait Capture {
    /// The next frame, `Idle` after a short wait with nothing, or `End`.
    fn next(&mut self) -> io::Result<Next<'_>>;

    /// The next frame, as `next` gives it, with the name of the interface it came in on where
    /// the source names one per frame (a pcapng file's interface descriptions).
    fn next_named(&mut self) -> io::Result<(Next<'_>, Option<&str>)> {
        Ok((self.next()?, None))
    }

    /// Counters so far (the kernel's, where the source has a kernel behind it).
    fn stats(&mut self) -> Stats;

    /// The link type of the frames (a file may mix several; this is its first).
    fn link_type(&self) -> LinkType;

    /// Whether the frames come from a big-endian host (a capture file's byte order), which
    /// decides how a BSD loopback header's host-order address family reads. Live captures
    /// here never deliver such headers.
    fn written_big_endian(&self) -> bool {
        false
    }

    /// How packets are received, for the line printed when the capture starts.
    fn describe(&self) -> String;

    /// What to read after a stop request so nothing captured before it is lost; `None` when
    /// nothing is in flight (a file: stopping means stopping).
    fn drain(&self) -> Option<Drain> {
        None
    }

    /// True when the kernel applies the capture filter (a BPF program attached to the socket),
    /// false when the capture loop must apply it.
    fn filters_in_kernel(&self) -> bool {
        false
    }
}
