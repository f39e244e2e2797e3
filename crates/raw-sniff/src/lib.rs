//! The pieces of `raw-sniff` that are worth testing alone: the capture-filter language and its
//! compiler to classic BPF, and the WebSocket stream tracker that finds and decodes WebSocket
//! conversations in captured TCP. Capture backends and printers live beside `main.rs`.
#![forbid(unsafe_code)]

pub mod filter;
pub mod ws;
