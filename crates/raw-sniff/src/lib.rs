//! The engine of `raw-sniff`, a packet sniffer on raw sockets that decodes every layer itself.
//! The binary parses the command line into a [`session::Config`] and runs a
//! [`session::Session`]; everything it does with packets is here.
//!
//! # Brief overview
//!
//! - [`capture`]: where packets come from. Every source (the Linux `AF_PACKET` ring, IP raw
//!   sockets, Windows' `SIO_RCVALL` socket, a capture file) sits behind the
//!   [`capture::Capture`] trait and yields borrowed [`capture::CapturedFrame`]s.
//! - [`filter`]: the capture-filter language (a subset of tcpdump's), parsed to an AST and
//!   compiled to classic BPF, which the kernel or [`filter::run`] executes.
//! - [`ws`]: the WebSocket tracker, which finds WebSocket conversations in reassembled TCP
//!   and decodes their frames and messages.
//! - [`output`]: the printers (line, verbose, explain, JSON), each an [`output::Printer`] over a
//!   frame decoded once by [`wire::decode()`] and the tracker's events.
//! - [`flow`]: pictures of TCP conversations (`--flow`'s ladder diagrams).
//! - [`session`]: the capture loop that ties them together, with the `-w` file, the stop
//!   conditions and the summary.
//!
//! Errors are typed ([`capture::CaptureError`], [`user_filter::FilterError`],
//! [`session::SessionError`]), each with the failed system call's `io::Error` as its source
//! where there is one. The library writes nothing to stderr: the caller prints the
//! [`session::Summary`], and [`note::Note`]s reach it through a callback as they happen.
//!
//! `unsafe` lives only in the capture backends that talk to the kernel, each block with a
//! `// SAFETY:` comment; everything else is safe code.
//!
//! ```
//! use raw_sniff::capture::{Capture, Next};
//! use raw_sniff::output::{line::LinePrinter, PacketNumber, Printer, Style};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../wire/tests/data/lo-mixed.pcap");
//! let mut file = raw_sniff::capture::file::PcapFile::open(path.as_ref())?;
//! let mut printer = LinePrinter::new(Vec::new(), Style::new(false));
//! let mut n = 0;
//! while let Next::Frame(frame) = file.next()? {
//!     n += 1;
//!     let decoded = wire::decode(frame.link, frame.data);
//!     printer.packet(PacketNumber::unfiltered(n), &frame, &decoded)?;
//! }
//! assert!(n > 0);
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]
#![deny(missing_docs)]

pub mod capture;
pub mod filter;
pub mod flow;
pub mod interfaces;
pub mod note;
pub mod output;
pub mod session;
pub mod style;
mod summary;
pub mod user_filter;
pub mod ws;

/// The most bytes of one frame that raw-sniff keeps: tcpdump's default, enough for a 64 KiB
/// GRO/TSO super-packet on `lo` whole. It is the receive buffer of the capture sockets, the
/// value a matching filter program returns, and the snap length written into `-w` files.
pub const SNAPLEN: u32 = 262_144;
