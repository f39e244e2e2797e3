//! The pieces of `raw-sniff` that are worth testing alone: the capture-filter language and its
//! compiler to classic BPF, and the WebSocket stream tracker that finds and decodes WebSocket
//! conversations in captured TCP. Capture backends and printers live beside `main.rs`.
#![forbid(unsafe_code)]

pub mod filter;
pub mod ws;

/// The most bytes of one frame that raw-sniff keeps: tcpdump's default, enough for a 64 KiB
/// GRO/TSO super-packet on `lo` whole. It is the receive buffer of the capture sockets, the
/// value a matching filter program returns, and the snap length written into `-w` files.
pub const SNAPLEN: u32 = 262_144;
