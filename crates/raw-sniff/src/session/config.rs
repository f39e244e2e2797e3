//! What a capture session is asked to do, as plain decided values: no defaults left to apply,
//! no flags that override other flags. The command line is turned into one of these by the
//! binary; everything in a [`Session`](super::Session) reads only this.

use std::path::PathBuf;
use std::time::Duration;

use super::SaveOptions;
use crate::capture::{Direction, LinkType};
use crate::filter::Expr;
pub use crate::flow::FlowOptions;
use crate::output::line::LineOptions;
use crate::output::time::TimeFormat;

/// Everything a [`Session`](super::Session) needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where packets come from.
    pub source: Source,
    /// The capture filter, parsed; `None` keeps every packet.
    pub filter: Option<Expr>,
    /// How each packet is shown on stdout.
    pub output: Output,
    /// Colour the output (decided by the caller: a terminal, and nobody said no).
    pub color: bool,
    /// How WebSocket conversations are followed and shown.
    pub ws: WsOptions,
    /// Save the packets that match to this pcap file.
    pub write: Option<PathBuf>,
    /// Stop after this many packets have matched.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
    /// After opening the source, run as this user (Unix only).
    pub user: Option<String>,
    /// How the line printer writes each packet's time (tcpdump's `-t` forms).
    pub time: TimeFormat,
    /// How the `-w` file is written: pcap or pcapng, and its rotation.
    pub save: SaveOptions,
    /// What the one-line output adds to each line (`-e`, `-q`, `-#`, the dumps under it).
    pub line: LineOptions,
    /// Keep at most this many bytes of each frame a live capture delivers (`-s`); also the
    /// snap length in the `-w` file's header.
    pub snaplen: u32,
    /// Flush stdout after every line (`-l`), not only on a terminal.
    pub line_buffered: bool,
    /// Flush the `-w` file after every packet (`-U`), so a reader sees each one at once.
    pub packet_buffered: bool,
    /// Pictures of TCP conversations (`--flow`) instead of packet lines, if asked for.
    pub flow: Option<FlowOptions>,
}

/// Where packets come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A pcap or pcapng file.
    File(PathBuf),
    /// IP raw sockets: IP packets this host receives, with no link header (on Windows, the
    /// `SIO_RCVALL` socket, which is the only live source there).
    IpRaw,
    /// A live interface: an `AF_PACKET` socket on Linux, `SIO_RCVALL` on Windows.
    Interface(Live),
}

/// A live capture on an interface.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Live {
    /// The interface; `None` for all of them (`any` on Linux, the first address on Windows).
    pub iface: Option<String>,
    /// Also take frames addressed to other hosts.
    pub promisc: bool,
    /// Bytes of kernel buffer (the mmap ring's size on Linux).
    pub buffer: usize,
    /// Use the TPACKET_V3 mmap ring on Linux (otherwise `recvfrom`).
    pub ring: bool,
    /// The link type asked for (`-y`); `None` for the interface's default.
    pub link: Option<LinkType>,
    /// Keep only packets going this way (`-Q`).
    pub direction: Direction,
    /// Capture with this many threads, each reading its own socket of a `PACKET_FANOUT`
    /// group (Linux); 1 reads one socket on the session's own thread.
    pub threads: usize,
}

/// How packets are shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// Nothing per packet (the capture may still be saved); streams are not followed either.
    Quiet,
    /// One line per packet, like `tcpdump -n`.
    Line,
    /// Every header field of every layer with its value and meaning.
    Verbose,
    /// A hex dump with each byte range labelled by the field it holds.
    Explain,
    /// One JSON object per line, fields named after Wireshark's display filters.
    Json,
    /// Elasticsearch bulk lines as `tshark -T ek` writes them: an index line, then the
    /// packet's document.
    JsonEk,
    /// Nothing per packet; at the end, how many packets matched (`--count`), on stdout.
    Count,
}

/// How WebSocket conversations are followed and shown.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WsOptions {
    /// Decode these TCP ports as WebSocket even without a captured handshake.
    pub ports: Vec<u16>,
    /// Show payloads whole, and decode frames up to 16 MiB whole.
    pub full: bool,
    /// Show whole messages instead of data frames.
    pub messages: bool,
    /// Show only WebSocket lines, not the packets that carry them.
    pub only: bool,
    /// Most connections examined for WebSocket at once.
    pub max_conns: usize,
}

impl Output {
    /// Whether this output is for machines, which get every byte: WebSocket payloads are
    /// decoded and shown whole (as with `--ws-full`) whatever the flags say.
    pub fn never_shortens(self) -> bool {
        matches!(self, Output::Json | Output::JsonEk)
    }
}
