//! permessage-deflate (RFC 7692): parameter negotiation and the per-message compressor and
//! decompressor.
//!
//! A compressed message has RSV1 on its first frame; its payload is raw DEFLATE data flushed
//! with a sync flush, minus the trailing `00 00 ff ff` the flush always ends with (§7.2.1). The
//! receiver appends those four bytes back before inflating (§7.2.2).
//!
//! Negotiation policy of [`negotiate`], as a server: accept the first `permessage-deflate` offer
//! whose parameters are all known, unrepeated and in range. `server_no_context_takeover` is
//! honoured (the compressor resets after every message). `server_max_window_bits` below 15 makes
//! the offer declined, because the DEFLATE backend here (flate2 on miniz_oxide) always uses a
//! 32 KiB window and cannot promise a smaller one; 15 is accepted. `client_max_window_bits` needs
//! nothing from us (the decompressor accepts any window) so it is not echoed.
//! `client_no_context_takeover` is echoed and the decompressor resets per message.

use crate::error::ProtocolError;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The extension's registered name.
pub const EXTENSION_NAME: &str = "permessage-deflate";

/// The four bytes a sync flush ends with, stripped on send and put back on receive.
const SYNC_TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// Parameters both ends agreed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeflateParams {
    /// The server resets its compressor after each message (RFC 7692 §7.1.1.1).
    pub server_no_context_takeover: bool,
    /// The client resets its compressor after each message (RFC 7692 §7.1.1.2).
    pub client_no_context_takeover: bool,
    /// LZ77 window the server compresses with, 8–15 (RFC 7692 §7.1.2.1).
    pub server_max_window_bits: u8,
    /// LZ77 window the client compresses with, 8–15 (RFC 7692 §7.1.2.2).
    pub client_max_window_bits: u8,
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: 15,
            client_max_window_bits: 15,
        }
    }
}

/// One extension offer from a `Sec-WebSocket-Extensions` header: a name and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionOffer {
    /// Extension token, e.g. `permessage-deflate`.
    pub name: String,
    /// Parameters in order, with quotes removed from values.
    pub params: Vec<(String, Option<String>)>,
}

/// Splits `Sec-WebSocket-Extensions` values (RFC 6455 §9.1) into offers. Several headers may be
/// given; each may list several comma-separated offers.
pub fn parse_extensions<'a>(values: impl IntoIterator<Item = &'a str>) -> Vec<ExtensionOffer> {
    let mut offers = Vec::new();
    for value in values {
        for offer in value.split(',') {
            let mut parts = offer.split(';').map(str::trim);
            let Some(name) = parts.next().filter(|n| !n.is_empty()) else {
                continue;
            };
            let params = parts
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (
                        k.trim().to_ascii_lowercase(),
                        Some(v.trim().trim_matches('"').to_owned()),
                    ),
                    None => (p.to_ascii_lowercase(), None),
                })
                .collect();
            offers.push(ExtensionOffer {
                name: name.to_ascii_lowercase(),
                params,
            });
        }
    }
    offers
}

fn window_bits(value: &str) -> Option<u8> {
    // RFC 7692 §7.1.2: 1*DIGIT in 8..=15, no leading zero.
    if value.starts_with('0') {
        return None;
    }
    value.parse::<u8>().ok().filter(|b| (8..=15).contains(b))
}

/// Checks one offer's parameters (RFC 7692 §7.1); `None` if the offer must be declined.
fn accept_offer(offer: &ExtensionOffer) -> Option<(DeflateParams, String)> {
    if offer.name != EXTENSION_NAME {
        return None;
    }
    let mut params = DeflateParams::default();
    let mut seen: Vec<&str> = Vec::new();
    let mut response = String::from(EXTENSION_NAME);
    for (name, value) in &offer.params {
        if seen.contains(&name.as_str()) {
            return None; // §7.1: a parameter may not appear twice in one offer
        }
        seen.push(name);
        match (name.as_str(), value.as_deref()) {
            ("server_no_context_takeover", None) => {
                params.server_no_context_takeover = true;
                response.push_str("; server_no_context_takeover");
            }
            ("client_no_context_takeover", None) => {
                params.client_no_context_takeover = true;
                response.push_str("; client_no_context_takeover");
            }
            ("server_max_window_bits", Some(v)) => match window_bits(v)? {
                15 => response.push_str("; server_max_window_bits=15"),
                _ => return None, // cannot compress with a window under 32 KiB: decline
            },
            ("client_max_window_bits", None) => {}
            ("client_max_window_bits", Some(v)) => {
                params.client_max_window_bits = window_bits(v)?;
            }
            _ => return None,
        }
    }
    Some((params, response))
}

/// Picks the first acceptable permessage-deflate offer. Returns the agreed parameters and the
/// `Sec-WebSocket-Extensions` value to answer with, or `None` to go on uncompressed.
pub fn negotiate(offers: &[ExtensionOffer]) -> Option<(DeflateParams, String)> {
    offers.iter().find_map(accept_offer)
}

/// Compresses outgoing messages.
pub struct Deflater {
    compress: Compress,
    reset_each_message: bool,
}

impl std::fmt::Debug for Deflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deflater")
            .field("reset_each_message", &self.reset_each_message)
            .finish()
    }
}

impl Deflater {
    /// A compressor; `no_context_takeover` resets it after every message.
    pub fn new(no_context_takeover: bool) -> Self {
        Deflater {
            compress: Compress::new(Compression::fast(), false),
            reset_each_message: no_context_takeover,
        }
    }

    /// Appends `message` compressed, without the sync-flush tail, to `out`.
    pub fn compress(&mut self, message: &[u8], out: &mut Vec<u8>) {
        let start = out.len();
        let mut input = message;
        loop {
            out.reserve(input.len() / 2 + 64);
            let before = self.compress.total_in();
            // Status is not needed: progress is read from the counters.
            let _ = self.compress.compress_vec(input, out, FlushCompress::Sync);
            input = &input[(self.compress.total_in() - before) as usize..];
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
        if out[start..].ends_with(&SYNC_TAIL) {
            out.truncate(out.len() - SYNC_TAIL.len());
        }
        if self.reset_each_message {
            self.compress.reset();
        }
    }
}

/// Decompresses incoming messages, frame by frame, with a cap on the output.
pub struct Inflater {
    decompress: Decompress,
    reset_each_message: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("reset_each_message", &self.reset_each_message)
            .finish()
    }
}

impl Inflater {
    /// A decompressor; `no_context_takeover` resets it after every message.
    pub fn new(no_context_takeover: bool) -> Self {
        Inflater {
            decompress: Decompress::new(false),
            reset_each_message: no_context_takeover,
        }
    }

    /// Inflates one frame's payload, appending to `out`. Fails with
    /// [`ProtocolError::MessageTooLarge`] as soon as `out` would pass `max` bytes, so a small
    /// "zip bomb" frame cannot make a large allocation.
    pub fn inflate(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max: usize,
    ) -> Result<(), ProtocolError> {
        let mut input = input;
        loop {
            if out.len() > max {
                return Err(ProtocolError::MessageTooLarge {
                    len: out.len() as u64,
                    max: max as u64,
                });
            }
            if out.len() == out.capacity() {
                // At most one byte past the limit, to tell "exactly max" from "over max".
                out.reserve((input.len() * 4 + 256).min(max + 1 - out.len()).max(1));
            }
            let (before_in, before_out) = (self.decompress.total_in(), self.decompress.total_out());
            let status = self
                .decompress
                .decompress_vec(input, out, FlushDecompress::Sync)
                .map_err(|e| ProtocolError::Inflate(e.to_string()))?;
            let used = (self.decompress.total_in() - before_in) as usize;
            let produced = self.decompress.total_out() - before_out;
            input = &input[used..];
            if status == Status::StreamEnd {
                // A block with BFINAL ends the DEFLATE stream; whatever follows starts anew.
                self.decompress.reset(false);
            }
            if out.len() > max {
                return Err(ProtocolError::MessageTooLarge {
                    len: out.len() as u64,
                    max: max as u64,
                });
            }
            if input.is_empty() && out.len() < out.capacity() {
                return Ok(());
            }
            if used == 0 && produced == 0 && out.len() < out.capacity() {
                return Err(ProtocolError::Inflate("no progress".into()));
            }
        }
    }

    /// Ends a message: feeds the stripped sync-flush tail and resets if agreed.
    pub fn finish_message(&mut self, out: &mut Vec<u8>, max: usize) -> Result<(), ProtocolError> {
        self.inflate(&SYNC_TAIL, out, max)?;
        if self.reset_each_message {
            self.decompress.reset(false);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offers(header: &str) -> Vec<ExtensionOffer> {
        parse_extensions([header])
    }

    #[test]
    fn rfc7692_section_7_2_3_1_hello_vector() {
        // RFC 7692 §7.2.3.1: "Hello" compressed is f2 48 cd c9 c9 07 00.
        let mut inflater = Inflater::new(false);
        let mut out = Vec::new();
        inflater
            .inflate(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00], &mut out, 100)
            .unwrap();
        inflater.finish_message(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
        // §7.2.3.2: the second "Hello" with context takeover refers back to the first.
        let mut out = Vec::new();
        inflater
            .inflate(&[0xf2, 0x00, 0x11, 0x00, 0x00], &mut out, 100)
            .unwrap();
        inflater.finish_message(&mut out, 100).unwrap();
        assert_eq!(out, b"Hello");
    }

    #[test]
    fn round_trip_with_and_without_context_takeover() {
        for reset in [false, true] {
            let mut deflater = Deflater::new(reset);
            let mut inflater = Inflater::new(reset);
            for message in [&b"Hello"[..], b"", &[7u8; 100_000], b"Hello"] {
                let mut wire = Vec::new();
                deflater.compress(message, &mut wire);
                assert!(!wire.ends_with(&SYNC_TAIL));
                let mut out = Vec::new();
                inflater.inflate(&wire, &mut out, 1 << 20).unwrap();
                inflater.finish_message(&mut out, 1 << 20).unwrap();
                assert_eq!(out, message);
            }
        }
    }

    #[test]
    fn inflate_stops_at_the_limit() {
        let mut deflater = Deflater::new(false);
        let mut wire = Vec::new();
        deflater.compress(&vec![0u8; 1 << 20], &mut wire);
        assert!(wire.len() < 10_000);
        let mut out = Vec::new();
        let err = Inflater::new(false)
            .inflate(&wire, &mut out, 1000)
            .unwrap_err();
        assert!(matches!(
            err,
            ProtocolError::MessageTooLarge { max: 1000, .. }
        ));
        assert!(out.capacity() <= 1001 + 256 * 4);
        assert_eq!(u16::from(err.close_code()), 1009);
    }

    #[test]
    fn garbage_is_an_inflate_error_with_1007() {
        // Hand-made: 0xFF starts a block of the reserved type 11.
        let err = Inflater::new(false)
            .inflate(&[0xFF, 0xFF, 0xFF], &mut Vec::new(), 1000)
            .unwrap_err();
        assert!(matches!(err, ProtocolError::Inflate(_)));
        assert_eq!(u16::from(err.close_code()), 1007);
    }

    #[test]
    fn negotiation() {
        let (p, resp) = negotiate(&offers("permessage-deflate; client_max_window_bits")).unwrap();
        assert_eq!(
            (p, resp.as_str()),
            (DeflateParams::default(), "permessage-deflate")
        );
        let (p, resp) = negotiate(&offers(
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15",
        ))
        .unwrap();
        assert!(p.server_no_context_takeover && p.client_no_context_takeover);
        assert_eq!(
            resp,
            "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=15"
        );
        // A smaller server window cannot be honoured: that offer is declined, the fallback taken.
        let (_, resp) = negotiate(&offers(
            "permessage-deflate; server_max_window_bits=10, permessage-deflate",
        ))
        .unwrap();
        assert_eq!(resp, "permessage-deflate");
        assert_eq!(
            negotiate(&offers("permessage-deflate; server_max_window_bits=10")),
            None
        );
        // Declined: unknown parameter, repeated parameter, bad values, value on a flag.
        for bad in [
            "permessage-deflate; foo",
            "permessage-deflate; client_no_context_takeover; client_no_context_takeover",
            "permessage-deflate; client_max_window_bits=16",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=010",
            "permessage-deflate; server_max_window_bits",
            "permessage-deflate; server_no_context_takeover=1",
            "x-webkit-deflate-frame",
        ] {
            assert_eq!(negotiate(&offers(bad)), None, "{bad}");
        }
        let (p, _) =
            negotiate(&offers("permessage-deflate; client_max_window_bits=\"10\"")).unwrap();
        assert_eq!(p.client_max_window_bits, 10);
    }
}
