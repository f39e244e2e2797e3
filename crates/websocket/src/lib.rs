//! RFC 6455 WebSocket protocol pieces with no I/O: frame codec, streaming decoder, close codes,
//! opening handshake and incremental UTF-8 validation.
#![forbid(unsafe_code)]
#![deny(missing_docs)]
