//! The pieces of `raw-sniff` that are worth testing alone: the capture-filter language and its
//! compiler to classic BPF. Capture backends and printers live beside `main.rs`.

pub mod filter;
