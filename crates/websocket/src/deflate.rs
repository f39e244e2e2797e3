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
//!
//! Inflating works through one fixed 32 KiB ring, the LZ77 window itself (RFC 1951 §2.2): each
//! call decompresses into the ring and copies what came out to the message, so a tiny frame
//! costs a tiny amount of work however large the message already is, and the message buffer
//! grows in steps of a quarter ([`Charge::grow`], never doubling), keeping memory close to the bytes held. The
//! ring also outlives the end of a DEFLATE stream: a sender may end one with a BFINAL block
//! (RFC 7692 §7.2.3.4) and the next block, in this message or a later one, starts a new stream
//! that may still refer back into the window when context takeover was agreed.

use crate::budget::Charge;
use crate::error::ProtocolError;
use flate2::{Compress, Compression, FlushCompress};
use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

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
    /// Made on the first message: its tables are large (a few hundred KiB of address space,
    /// about 100 KiB touched), and many connections never send a compressed message.
    compress: Option<Compress>,
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
            compress: None,
            reset_each_message: no_context_takeover,
        }
    }

    /// Appends `message` compressed, without the sync-flush tail, to `out`.
    pub fn compress(&mut self, message: &[u8], out: &mut Vec<u8>) {
        let compress = self
            .compress
            .get_or_insert_with(|| Compress::new(Compression::fast(), false));
        let start = out.len();
        let mut input = message;
        loop {
            out.reserve(input.len() / 2 + 64);
            let before = compress.total_in();
            // Status is not needed: progress is read from the counters.
            let _ = compress.compress_vec(input, out, FlushCompress::Sync);
            input = &input[(compress.total_in() - before) as usize..];
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
        }
        if out[start..].ends_with(&SYNC_TAIL) {
            out.truncate(out.len() - SYNC_TAIL.len());
        }
        if self.reset_each_message {
            compress.reset();
        }
    }
}

/// How a caller makes room in a message buffer: `grow(out, extra, max)` must let `out` take
/// `extra` more bytes, or refuse.
pub type Grow<'a> = dyn FnMut(&mut Vec<u8>, usize, usize) -> Result<(), ProtocolError> + 'a;

/// The LZ77 window: the farthest back a DEFLATE match may reach (RFC 1951 §3.2.5).
const WINDOW: usize = 32 * 1024;

/// The decompressor and its window.
struct Ring {
    core: DecompressorOxide,
    /// The LZ77 window as a ring.
    window: [u8; WINDOW],
}

/// Decompresses incoming messages, frame by frame, with a cap on the output.
pub struct Inflater {
    /// Made on the first compressed message: ~43 KiB that an idle connection does not need.
    ring: Option<Box<Ring>>,
    /// Where the next byte goes in the ring.
    pos: usize,
    /// The last block had BFINAL set: the DEFLATE stream is over, and any further data starts
    /// a new one on the same window.
    ended: bool,
    /// The decompressor holds output that did not fit before the ring's end.
    more_output: bool,
    reset_each_message: bool,
}

impl std::fmt::Debug for Inflater {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inflater")
            .field("reset_each_message", &self.reset_each_message)
            .field("ended", &self.ended)
            .finish()
    }
}

impl Inflater {
    /// A decompressor; `no_context_takeover` resets it after every message.
    pub fn new(no_context_takeover: bool) -> Self {
        Inflater {
            ring: None,
            pos: 0,
            ended: false,
            more_output: false,
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
        self.inflate_with(input, out, max, &mut |out, extra, max| {
            Charge::default().grow(out, extra, max)
        })
    }

    /// [`Inflater::inflate`], with `grow(out, extra, max)` called to make room for `extra`
    /// more bytes before each append: the caller decides how the buffer grows and may refuse,
    /// as [`Charge::grow`] does when a memory budget is spent.
    pub fn inflate_with(
        &mut self,
        input: &[u8],
        out: &mut Vec<u8>,
        max: usize,
        grow: &mut Grow<'_>,
    ) -> Result<(), ProtocolError> {
        let mut input = input;
        if input.is_empty() && !self.more_output {
            return Ok(());
        }
        let ring = self.ring.get_or_insert_with(|| {
            Box::new(Ring {
                core: DecompressorOxide::new(),
                window: [0; WINDOW],
            })
        });
        loop {
            if input.is_empty() && !self.more_output {
                return Ok(());
            }
            if self.ended {
                // A new DEFLATE stream after a BFINAL block, on the same window.
                ring.core.init();
                self.ended = false;
            }
            let (status, used, produced) = decompress(
                &mut ring.core,
                input,
                &mut ring.window,
                self.pos,
                inflate_flags::TINFL_FLAG_HAS_MORE_INPUT,
            );
            input = &input[used..];
            if produced > 0 {
                let len = out.len() + produced;
                if len > max {
                    return Err(ProtocolError::MessageTooLarge {
                        len: len as u64,
                        max: max as u64,
                    });
                }
                grow(out, produced, max)?;
                out.extend_from_slice(&ring.window[self.pos..self.pos + produced]);
                self.pos = (self.pos + produced) % WINDOW;
            }
            self.more_output = status == TINFLStatus::HasMoreOutput;
            match status {
                TINFLStatus::Done => self.ended = true,
                TINFLStatus::NeedsMoreInput | TINFLStatus::HasMoreOutput => {}
                other => {
                    return Err(ProtocolError::Inflate(format!(
                        "invalid DEFLATE data ({other:?})"
                    )))
                }
            }
            // A call that filled the ring to its end reports more output even when none is
            // left; the next one then needs input, which is fine once all has been taken.
            if used == 0 && produced == 0 && status != TINFLStatus::Done && !input.is_empty() {
                return Err(ProtocolError::Inflate("no progress".into()));
            }
        }
    }

    /// Ends a message: feeds the stripped sync-flush tail and resets if agreed.
    pub fn finish_message(&mut self, out: &mut Vec<u8>, max: usize) -> Result<(), ProtocolError> {
        self.finish_message_with(out, max, &mut |out, extra, max| {
            Charge::default().grow(out, extra, max)
        })
    }

    /// [`Inflater::finish_message`] with a caller's growth rule, as for
    /// [`Inflater::inflate_with`].
    pub fn finish_message_with(
        &mut self,
        out: &mut Vec<u8>,
        max: usize,
        grow: &mut Grow<'_>,
    ) -> Result<(), ProtocolError> {
        // A message whose data ends with a BFINAL block has ended its DEFLATE stream: the tail
        // a receiver appends (RFC 7692 §7.2.2) lies past that end and, like zlib, we ignore it.
        // Feeding it to a fresh stream would leave a half-read stored block that fails the
        // next message.
        if !self.ended {
            self.inflate_with(&SYNC_TAIL, out, max, grow)?;
        }
        if self.reset_each_message {
            if let Some(ring) = self.ring.as_mut() {
                ring.core.init();
            }
            self.ended = false;
            self.more_output = false;
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

    fn inflate_message(inflater: &mut Inflater, payload: &[u8]) -> Result<Vec<u8>, ProtocolError> {
        let mut out = Vec::new();
        inflater.inflate(payload, &mut out, 1000)?;
        inflater.finish_message(&mut out, 1000)?;
        Ok(out)
    }

    #[test]
    fn rfc7692_section_7_2_3_4_bfinal_block_twice_then_a_back_reference() {
        // RFC 7692 §7.2.3.4: "Hello" in a block with BFINAL set, then 0x00 starting the empty
        // stored block that the appended 00 00 ff ff completes.
        let rfc = [0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
        // The same without the last octet: the stream ends with the BFINAL block and the tail
        // the receiver appends lies past its end (once made the next message fail with 1007).
        let bare = &rfc[..7];
        // RFC 7692 §7.2.3.2: "Hello" again as a back-reference to the previous one.
        let again = [0xf2, 0x00, 0x11, 0x00, 0x00];
        let mut inflater = Inflater::new(false);
        for payload in [bare, bare, &rfc, &rfc, &again, bare, &again] {
            assert_eq!(
                inflate_message(&mut inflater, payload).as_deref(),
                Ok(&b"Hello"[..]),
                "{payload:02x?}"
            );
        }
        // Split anywhere across frames, the same holds.
        for cut in 0..=rfc.len() {
            let mut inflater = Inflater::new(false);
            for _ in 0..2 {
                let mut out = Vec::new();
                inflater.inflate(&rfc[..cut], &mut out, 100).unwrap();
                inflater.inflate(&rfc[cut..], &mut out, 100).unwrap();
                inflater.finish_message(&mut out, 100).unwrap();
                assert_eq!(out, b"Hello", "cut at {cut}");
            }
        }
        // Several blocks in one message, one of them final: what follows starts a new stream.
        let mut two = bare.to_vec();
        two.extend_from_slice(&rfc);
        assert_eq!(
            inflate_message(&mut Inflater::new(false), &two).as_deref(),
            Ok(&b"HelloHello"[..])
        );
    }

    #[test]
    fn messages_that_fill_the_window_exactly() {
        let mut deflater = Deflater::new(false);
        let mut inflater = Inflater::new(false);
        for len in [WINDOW - 1, WINDOW, WINDOW + 1, 2 * WINDOW, 5 * WINDOW] {
            let message: Vec<u8> = (0..len).map(|i| (i % 7) as u8).collect();
            let mut wire = Vec::new();
            deflater.compress(&message, &mut wire);
            let mut out = Vec::new();
            inflater.inflate(&wire, &mut out, 1 << 20).unwrap();
            inflater.finish_message(&mut out, 1 << 20).unwrap();
            assert!(out == message, "{len}");
        }
    }

    #[test]
    fn tiny_frames_after_a_large_one_leave_the_buffer_alone() {
        let mut deflater = Deflater::new(false);
        let mut wire = Vec::new();
        deflater.compress(&vec![0u8; 3_000_000], &mut wire);
        wire.extend_from_slice(&SYNC_TAIL);
        let mut inflater = Inflater::new(false);
        let mut out = Vec::new();
        inflater.inflate(&wire, &mut out, 16 << 20).unwrap();
        assert_eq!(out.len(), 3_000_000);
        // Growth by quarters: the slack is at most a fifth of the allocation.
        assert!(out.capacity() * 4 <= out.len() * 5, "{}", out.capacity());
        let capacity = out.capacity();
        for _ in 0..20_000 {
            // Hand-made: an empty stored block.
            inflater
                .inflate(&[0x00, 0x00, 0x00, 0xff, 0xff], &mut out, 16 << 20)
                .unwrap();
        }
        inflater.finish_message(&mut out, 16 << 20).unwrap();
        assert_eq!((out.len(), out.capacity()), (3_000_000, capacity));
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
