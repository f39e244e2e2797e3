//! A streaming frame decoder: feed it whatever the socket returned, one byte or a megabyte, and
//! take out whole frames.
//!
//! Buffering is bounded: the decoder holds at most one partial header ([`MAX_HEADER_LEN`] bytes)
//! or one frame's payload, and the payload's declared length is checked against
//! [`DecoderConfig::max_frame_size`] as soon as the header parses, before any of it is stored.
//! Storage then grows only as payload bytes really arrive, so a header that promises 16 MiB and
//! sends nothing costs nothing.

use crate::budget::{Budget, Charge};
use crate::error::ProtocolError;
use crate::frame::{Frame, FrameHeader, MaskRule, MAX_HEADER_LEN};
use crate::inspect::WireFrame;
use crate::mask::apply_mask;

/// The limits and rules a [`Decoder`] applies to each header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecoderConfig {
    /// Which frames must be masked.
    pub mask: MaskRule,
    /// RSV bits an extension defines (RSV1 = `0b100` under permessage-deflate); others are errors.
    pub allowed_rsv: u8,
    /// Largest payload one frame may declare.
    pub max_frame_size: u64,
}

impl DecoderConfig {
    /// Rules for a server reading a client: masked frames, no RSV bits, 16 MiB frames.
    pub fn server() -> Self {
        DecoderConfig {
            mask: MaskRule::Required,
            allowed_rsv: 0,
            max_frame_size: 16 << 20,
        }
    }

    /// Rules for a client reading a server: unmasked frames, no RSV bits, 16 MiB frames.
    pub fn client() -> Self {
        DecoderConfig {
            mask: MaskRule::Forbidden,
            ..Self::server()
        }
    }

    /// Rules for an observer, such as a sniffer decoding both directions of captured streams:
    /// either masking, RSV1 allowed (most real traffic is compressed), 16 MiB frames.
    pub fn observer() -> Self {
        DecoderConfig {
            mask: MaskRule::Either,
            allowed_rsv: crate::frame::RSV1,
            ..Self::server()
        }
    }
}

/// Where the decoder is in the current frame.
#[derive(Debug)]
enum State {
    /// Collecting header bytes that arrived split (`len` of them so far).
    Header {
        bytes: [u8; MAX_HEADER_LEN],
        len: usize,
    },
    /// Header known, collecting the payload.
    Payload {
        header: FrameHeader,
        payload: Vec<u8>,
    },
}

/// Turns a byte stream into frames. See the module docs.
#[derive(Debug)]
pub struct Decoder {
    config: DecoderConfig,
    state: State,
    /// The partial payload's allocation.
    charge: Charge,
    /// Set by [`Decoder::capture_wire`]: what to keep of each frame as it arrived.
    capture: Option<Capture>,
    /// An emptied payload buffer handed back by [`Decoder::recycle`], taken by the next payload
    /// that fits it: a connection that echoes small messages allocates once, not per frame.
    spare: Vec<u8>,
}

/// Wire bytes kept for the frame in progress and the last one decoded.
#[derive(Debug)]
struct Capture {
    /// Payload bytes to keep per frame.
    payload_bytes: usize,
    header: [u8; MAX_HEADER_LEN],
    header_len: usize,
    last: Option<WireFrame>,
}

/// Smallest initial payload allocation cap; past it, storage grows with the bytes that arrive.
const INITIAL_PAYLOAD_CAPACITY: usize = 64 * 1024;

/// Largest buffer [`Decoder::recycle`] keeps. Well under the bytes a [`Charge`] holds free of
/// the budget, so keeping one never draws on it; larger payloads are rare enough to allocate.
const MAX_SPARE: usize = 4 * 1024;

impl Decoder {
    /// A decoder between frames.
    pub fn new(config: DecoderConfig) -> Self {
        Decoder {
            config,
            state: State::Header {
                bytes: [0; MAX_HEADER_LEN],
                len: 0,
            },
            charge: Charge::default(),
            capture: None,
            spare: Vec::new(),
        }
    }

    /// Hands back a payload buffer that a returned frame carried, once its contents are no
    /// longer needed; the next payload that fits is stored in it. Large buffers are dropped.
    pub fn recycle(&mut self, mut buf: Vec<u8>) {
        if buf.capacity() <= MAX_SPARE && buf.capacity() > self.spare.capacity() {
            buf.clear();
            self.spare = buf;
        }
    }

    /// With `Some(n)`, keeps each frame's header bytes and the first `n` bytes of its payload as
    /// they arrived, before unmasking; read them with [`Decoder::take_wire`] after
    /// [`Decoder::decode`] returns the frame. `None` (the default) keeps and copies nothing.
    pub fn capture_wire(&mut self, payload_bytes: Option<usize>) {
        self.capture = payload_bytes.map(|payload_bytes| Capture {
            payload_bytes,
            header: [0; MAX_HEADER_LEN],
            header_len: 0,
            last: None,
        });
    }

    /// The wire bytes of the frame the last [`Decoder::decode`] returned, if capturing.
    pub fn take_wire(&mut self) -> Option<WireFrame> {
        self.capture.as_mut().and_then(|c| c.last.take())
    }

    /// Charges the partial payload's buffer to `budget` from now on: a growth the budget cannot
    /// cover fails with [`ProtocolError::BudgetSpent`].
    pub fn set_budget(&mut self, budget: Budget) {
        let held = self.charge.bytes();
        self.charge = Charge::new(Some(budget));
        // Whatever is held already was allocated without the budget: count it, fit or not.
        let _ = self.charge.set(held);
    }

    /// The rules in force.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// Changes the rules, for instance to allow RSV1 once permessage-deflate is agreed.
    pub fn set_config(&mut self, config: DecoderConfig) {
        self.config = config;
    }

    /// Bytes held for the frame in progress.
    pub fn buffered(&self) -> usize {
        match &self.state {
            State::Header { len, .. } => *len,
            State::Payload { payload, .. } => payload.len(),
        }
    }

    /// Whether the decoder sits exactly between two frames.
    pub fn is_between_frames(&self) -> bool {
        matches!(self.state, State::Header { len: 0, .. })
    }

    /// While a frame's payload is arriving and at least `min` bytes of it are still missing:
    /// the payload buffer, with room allocated (and charged to the budget) for the next
    /// `min(missing, max)` bytes, and that count. The caller appends at most that many of the
    /// frame's bytes, straight from the socket, then calls [`Decoder::decode`] (with the input
    /// that follows them, or none), which finishes the frame once all of it is there. A large
    /// payload then reaches its buffer without a copy through a read buffer.
    pub fn payload_room(
        &mut self,
        min: usize,
        max: usize,
    ) -> Result<Option<(&mut Vec<u8>, usize)>, ProtocolError> {
        let State::Payload { header, payload } = &mut self.state else {
            return Ok(None);
        };
        let total = header.payload_len as usize;
        let missing = total.saturating_sub(payload.len());
        if missing == 0 || missing < min {
            return Ok(None);
        }
        let spare = payload.capacity() - payload.len();
        // Room for what has not arrived is bounded as `decode`'s first allocation is: up to
        // four times what arrived (at least INITIAL_PAYLOAD_CAPACITY), so a header that
        // promises much and sends little still costs little. Growing to that at once, rather
        // than by `decode`'s quarters, saves copies: every growth of a large buffer may copy it.
        let earned = payload
            .len()
            .saturating_mul(4)
            .max(INITIAL_PAYLOAD_CAPACITY)
            .min(total);
        let room = missing
            .min(max)
            .min(spare.max(earned.saturating_sub(payload.len())));
        if room > spare {
            // Charged before it allocates.
            self.charge.grow(payload, room, total)?;
        }
        Ok(Some((payload, room)))
    }

    /// Consumes bytes from the front of `input` and returns the next whole frame, with its payload
    /// unmasked, or `Ok(None)` once `input` is used up without finishing one. Call again while
    /// `input` is not empty: one call yields at most one frame. After an error the connection
    /// must be failed; the decoder's state is then unspecified.
    pub fn decode(&mut self, input: &mut &[u8]) -> Result<Option<Frame>, ProtocolError> {
        if let State::Header { bytes, len } = &mut self.state {
            let parsed = if *len == 0 {
                // Common case: the whole header is in `input`, parse it in place.
                match FrameHeader::parse(input)? {
                    Some((header, n)) => {
                        if let Some(capture) = self.capture.as_mut() {
                            capture.header[..n].copy_from_slice(&input[..n]);
                            capture.header_len = n;
                        }
                        *input = &input[n..];
                        header
                    }
                    None => {
                        // Shorter than the header it starts, so shorter than MAX_HEADER_LEN.
                        bytes[..input.len()].copy_from_slice(input);
                        *len = input.len();
                        *input = &[];
                        return Ok(None);
                    }
                }
            } else {
                let take = (MAX_HEADER_LEN - *len).min(input.len());
                bytes[*len..*len + take].copy_from_slice(&input[..take]);
                match FrameHeader::parse(&bytes[..*len + take])? {
                    Some((header, n)) => {
                        if let Some(capture) = self.capture.as_mut() {
                            capture.header[..n].copy_from_slice(&bytes[..n]);
                            capture.header_len = n;
                        }
                        *input = &input[n - *len..];
                        header
                    }
                    None => {
                        *len += take;
                        *input = &input[take..];
                        return Ok(None);
                    }
                }
            };
            parsed.validate(self.config.mask, self.config.allowed_rsv)?;
            let too_large = ProtocolError::FrameTooLarge {
                len: parsed.payload_len,
                max: self.config.max_frame_size,
            };
            if parsed.payload_len > self.config.max_frame_size {
                return Err(too_large);
            }
            let payload_len = usize::try_from(parsed.payload_len).map_err(|_| too_large)?;
            // At most four times what has arrived (or 64 KiB): a bulk sender gets one
            // allocation for its frame, a header with nothing behind it gets a small one.
            let capacity =
                payload_len.min(INITIAL_PAYLOAD_CAPACITY.max(input.len().saturating_mul(4)));
            let payload = if capacity <= self.spare.capacity() {
                // Allocated already: its size is charged, as a new one's would be.
                let spare = std::mem::take(&mut self.spare);
                self.charge.set(spare.capacity())?;
                spare
            } else {
                self.charge.set(capacity)?;
                Vec::with_capacity(capacity)
            };
            self.state = State::Payload {
                header: parsed,
                payload,
            };
        }
        let State::Payload { header, payload } = &mut self.state else {
            unreachable!("header state returns or moves to payload above");
        };
        // A caller of `payload_room` that appended more than the frame holds would have
        // taken the next frame's bytes: the stream is then corrupt, which the next header
        // shows, but nothing here may underflow.
        payload.truncate(header.payload_len as usize);
        let missing = header.payload_len as usize - payload.len();
        let take = missing.min(input.len());
        // Growth by quarters, never past the declared length, charged before it allocates.
        self.charge
            .grow(payload, take, header.payload_len as usize)?;
        payload.extend_from_slice(&input[..take]);
        *input = &input[take..];
        if take < missing {
            return Ok(None);
        }
        let State::Payload {
            header,
            mut payload,
        } = std::mem::replace(
            &mut self.state,
            State::Header {
                bytes: [0; MAX_HEADER_LEN],
                len: 0,
            },
        )
        else {
            unreachable!("matched above");
        };
        // The payload leaves with the frame; whoever keeps it charges it.
        let _ = self.charge.set(0);
        if let Some(capture) = self.capture.as_mut() {
            // Still masked: these are the bytes the peer put on the wire.
            let kept = payload[..payload.len().min(capture.payload_bytes)].to_vec();
            let header_bytes = &capture.header[..capture.header_len];
            capture.last = Some(WireFrame::new(false, header, header_bytes, kept));
        }
        if let Some(key) = header.mask {
            apply_mask(&mut payload, key, 0);
        }
        Ok(Some(Frame { header, payload }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame::encode_frame;
    use crate::opcode::OpCode;
    use proptest::prelude::*;

    fn decode_chunks(config: DecoderConfig, chunks: &[&[u8]]) -> Result<Vec<Frame>, ProtocolError> {
        let mut decoder = Decoder::new(config);
        let mut frames = Vec::new();
        for chunk in chunks {
            let mut input = *chunk;
            while let Some(frame) = decoder.decode(&mut input)? {
                frames.push(frame);
            }
            assert!(input.is_empty());
        }
        Ok(frames)
    }

    // RFC 6455 §5.7: a masked "Hello" as a client sends it.
    const MASKED_HELLO: [u8; 11] = [
        0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58,
    ];

    /// Feeds `wire` to a decoder as a server reading large payloads straight into their buffer
    /// would: through `decode` in `read`-sized pieces, except that while at least `min` bytes of
    /// a payload are missing, the next `step` bytes go into the room `payload_room` gives.
    fn decode_direct(wire: &[u8], read: usize, min: usize, step: usize) -> Vec<Frame> {
        let mut decoder = Decoder::new(DecoderConfig::server());
        let mut frames = Vec::new();
        let mut at = 0;
        while at < wire.len() {
            if let Some((payload, room)) = decoder.payload_room(min, step).unwrap() {
                let n = room.min(wire.len() - at);
                payload.extend_from_slice(&wire[at..at + n]);
                at += n;
                let mut none: &[u8] = &[];
                frames.extend(decoder.decode(&mut none).unwrap());
                continue;
            }
            let end = (at + read).min(wire.len());
            let mut input = &wire[at..end];
            while let Some(frame) = decoder.decode(&mut input).unwrap() {
                frames.push(frame);
            }
            at = end;
        }
        frames
    }

    #[test]
    fn payloads_read_straight_into_their_buffer_decode_as_fed_ones() {
        let mut wire = Vec::new();
        let mut sent = Vec::new();
        for (i, len) in [300_000usize, 5, 0, 70_000, 1_048_576, 126, 65_536]
            .iter()
            .enumerate()
        {
            let mut header = FrameHeader::new(OpCode::Binary, *len as u64);
            header.mask = Some([i as u8, 0x5a, 0xc3, 7]);
            let payload: Vec<u8> = (0..*len).map(|b| (b * 31 + i) as u8).collect();
            encode_frame(&mut wire, &header, &payload);
            sent.push(payload);
        }
        for (read, min, step) in [
            (4096, 1, 1),
            (4096, 16_384, 262_144),
            (1000, 1, 7),
            (65_536, 100_000, 1 << 20),
        ] {
            let frames = decode_direct(&wire, read, min, step);
            let got: Vec<&Vec<u8>> = frames.iter().map(|f| &f.payload).collect();
            assert_eq!(
                got,
                sent.iter().collect::<Vec<_>>(),
                "read {read} min {min} step {step}"
            );
        }
    }

    #[test]
    fn no_room_between_frames_or_for_a_small_rest() {
        let mut decoder = Decoder::new(DecoderConfig::server());
        assert_eq!(decoder.payload_room(1, 100).unwrap(), None);
        let mut header = FrameHeader::new(OpCode::Binary, 1000);
        header.mask = Some([1, 2, 3, 4]);
        let mut wire = Vec::new();
        encode_frame(&mut wire, &header, &[0; 1000]);
        let mut input = &wire[..wire.len() - 600];
        assert_eq!(decoder.decode(&mut input), Ok(None));
        assert_eq!(decoder.payload_room(601, 100).unwrap(), None);
        let (payload, room) = decoder.payload_room(600, 10_000).unwrap().unwrap();
        assert_eq!(room, 600, "never past the frame");
        assert!(payload.capacity() - payload.len() >= 600);
    }

    #[test]
    fn room_grows_with_what_arrived_not_with_what_the_header_promised() {
        let mut decoder = Decoder::new(DecoderConfig::server());
        let mut header = FrameHeader::new(OpCode::Binary, 16 << 20);
        header.mask = Some([1, 2, 3, 4]);
        let mut wire = Vec::new();
        encode_frame(&mut wire, &header, &vec![0; 16 << 20]);
        let mut input = &wire[..14 + 10];
        assert_eq!(decoder.decode(&mut input), Ok(None));
        let (payload, room) = decoder.payload_room(1, 1 << 20).unwrap().unwrap();
        assert!(room <= INITIAL_PAYLOAD_CAPACITY, "{room}");
        assert!(
            payload.capacity() <= INITIAL_PAYLOAD_CAPACITY,
            "{}",
            payload.capacity()
        );
        // Once bytes arrive, the room follows them: at most four times what is there.
        while let Some((payload, room)) = decoder.payload_room(1, 1 << 20).unwrap() {
            let had = payload.len();
            assert!(
                had + room <= (had * 4).max(INITIAL_PAYLOAD_CAPACITY),
                "{had} + {room}"
            );
            payload.extend(std::iter::repeat_n(0, room));
            assert!(payload.capacity() <= (payload.len() * 4).max(INITIAL_PAYLOAD_CAPACITY) + room);
        }
    }

    #[test]
    fn room_is_charged_before_it_is_filled() {
        let budget = Budget::new(100_000);
        let mut decoder = Decoder::new(DecoderConfig::server());
        decoder.set_budget(budget.clone());
        let mut header = FrameHeader::new(OpCode::Binary, 1_000_000);
        header.mask = Some([1, 2, 3, 4]);
        let mut wire = Vec::new();
        encode_frame(&mut wire, &header, &vec![0; 1_000_000]);
        // The header and the first allocation's worth of payload fit the budget ...
        for piece in [&wire[..14], &wire[14..14 + INITIAL_PAYLOAD_CAPACITY]] {
            let mut input = piece;
            assert_eq!(decoder.decode(&mut input), Ok(None));
        }
        // ... room for four times that does not, and is refused before it is allocated.
        let err = decoder.payload_room(1, 1_000_000).unwrap_err();
        assert_eq!(u16::from(err.close_code()), 1013);
    }

    #[test]
    fn a_partial_payload_is_charged_as_it_grows() {
        let budget = Budget::new(600_000);
        let mut decoder = Decoder::new(DecoderConfig::server());
        decoder.set_budget(budget.clone());
        let mut header = FrameHeader::new(OpCode::Binary, 1_000_000);
        header.mask = Some([1, 2, 3, 4]);
        let mut bytes = Vec::new();
        encode_frame(&mut bytes, &header, &vec![0; 1_000_000]);
        let mut input = &bytes[..100_000];
        assert_eq!(decoder.decode(&mut input), Ok(None));
        let used = budget.used();
        // The first allocation is up to four times what arrived, and all of it is charged.
        assert!(
            (100_000 - crate::budget::FREE_BYTES..=400_000).contains(&used),
            "{used}"
        );
        let mut rest = &bytes[100_000..];
        let err = decoder.decode(&mut rest).unwrap_err();
        assert_eq!(u16::from(err.close_code()), 1013);
        drop(decoder);
        assert_eq!(budget.used(), 0);
        // A frame that fits gives its share back once it is out.
        let mut decoder = Decoder::new(DecoderConfig::server());
        decoder.set_budget(budget.clone());
        let mut header = FrameHeader::new(OpCode::Binary, 150_000);
        header.mask = Some([1, 2, 3, 4]);
        let mut bytes = Vec::new();
        encode_frame(&mut bytes, &header, &vec![9; 150_000]);
        let frames = {
            let mut input = &bytes[..];
            let mut frames = Vec::new();
            while let Some(f) = decoder.decode(&mut input).unwrap() {
                frames.push(f);
            }
            frames
        };
        assert_eq!(frames[0].payload.len(), 150_000);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_recycled_buffer_holds_the_next_small_payload() {
        let budget = Budget::new(1 << 20);
        let mut decoder = Decoder::new(DecoderConfig::server());
        decoder.set_budget(budget.clone());
        let mut stream = MASKED_HELLO.to_vec();
        stream.extend_from_slice(&MASKED_HELLO);
        let mut input = &stream[..];
        let first = decoder.decode(&mut input).unwrap().unwrap();
        let buf = first.payload;
        let (ptr, capacity) = (buf.as_ptr(), buf.capacity());
        decoder.recycle(buf);
        let second = decoder.decode(&mut input).unwrap().unwrap();
        assert_eq!(second.payload, b"Hello", "unmasked into the old buffer");
        assert_eq!(
            (second.payload.as_ptr(), second.payload.capacity()),
            (ptr, capacity),
            "the same allocation"
        );
        assert_eq!(budget.used(), 0);
        // A large buffer is not kept: the next frame gets one of its own size.
        decoder.recycle(Vec::with_capacity(MAX_SPARE + 1));
        let mut input = &MASKED_HELLO[..];
        let third = decoder.decode(&mut input).unwrap().unwrap();
        assert!(
            third.payload.capacity() < MAX_SPARE,
            "{}",
            third.payload.capacity()
        );
    }

    #[test]
    fn one_byte_at_a_time() {
        let mut decoder = Decoder::new(DecoderConfig::server());
        for (i, byte) in MASKED_HELLO.iter().enumerate() {
            let mut input: &[u8] = std::slice::from_ref(byte);
            let got = decoder.decode(&mut input).unwrap();
            assert!(input.is_empty());
            if i + 1 < MASKED_HELLO.len() {
                assert_eq!(got, None, "byte {i}");
                assert!(decoder.buffered() <= MAX_HEADER_LEN.max(5));
            } else {
                let frame = got.unwrap();
                assert_eq!(frame.payload, b"Hello");
                assert_eq!(frame.header.opcode, OpCode::Text);
            }
        }
        assert!(decoder.is_between_frames());
    }

    #[test]
    fn two_frames_in_one_chunk_come_out_one_per_call() {
        let mut both = MASKED_HELLO.to_vec();
        both.extend_from_slice(&[0x89, 0x80, 1, 2, 3, 4]); // masked empty ping
        let mut decoder = Decoder::new(DecoderConfig::server());
        let mut input = &both[..];
        assert_eq!(
            decoder.decode(&mut input).unwrap().unwrap().payload,
            b"Hello"
        );
        assert_eq!(input.len(), 6);
        let ping = decoder.decode(&mut input).unwrap().unwrap();
        assert_eq!((ping.header.opcode, ping.payload.len()), (OpCode::Ping, 0));
        assert_eq!(decoder.decode(&mut input).unwrap(), None);
    }

    #[test]
    fn oversized_frame_is_refused_before_its_payload_arrives() {
        let config = DecoderConfig {
            max_frame_size: 1000,
            ..DecoderConfig::server()
        };
        // Hand-made header: binary, masked, 64-bit length 2^40, and no payload at all.
        let header = [0x82, 0xFF, 0, 0, 0x01, 0, 0, 0, 0, 0, 9, 9, 9, 9];
        let err = decode_chunks(config, &[&header]).unwrap_err();
        assert_eq!(
            err,
            ProtocolError::FrameTooLarge {
                len: 1 << 40,
                max: 1000
            }
        );
        assert_eq!(u16::from(err.close_code()), 1009);
    }

    #[test]
    fn unmasked_client_frame_is_refused() {
        let err = decode_chunks(
            DecoderConfig::server(),
            &[&[0x81, 0x05, b'H', b'e', b'l', b'l', b'o']],
        )
        .unwrap_err();
        assert_eq!(err, ProtocolError::UnmaskedFrame);
        assert_eq!(u16::from(err.close_code()), 1002);
    }

    #[test]
    fn header_errors_surface_with_split_headers() {
        // Hand-made: a non-minimal 16-bit length, fed one byte at a time.
        let bytes = [0x82u8, 0xFE, 0x00, 0x05, 1, 2, 3, 4];
        let chunks: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(
            decode_chunks(DecoderConfig::server(), &chunks),
            Err(ProtocolError::NonMinimalLength { len: 5, form: 16 })
        );
    }

    #[test]
    fn buffering_grows_only_with_arriving_bytes() {
        let config = DecoderConfig {
            max_frame_size: 1 << 30,
            ..DecoderConfig::server()
        };
        let mut decoder = Decoder::new(config);
        // Hand-made: a header announcing 2^29 bytes followed by 10 of them.
        let mut bytes = vec![0x82, 0xFF, 0, 0, 0, 0, 0x20, 0, 0, 0, 1, 2, 3, 4];
        bytes.extend_from_slice(&[0; 10]);
        let mut input = &bytes[..];
        assert_eq!(decoder.decode(&mut input).unwrap(), None);
        assert_eq!(decoder.buffered(), 10);
        let State::Payload { payload, .. } = &decoder.state else {
            panic!("in payload")
        };
        assert!(payload.capacity() <= INITIAL_PAYLOAD_CAPACITY);
    }

    #[test]
    fn observer_reads_both_directions() {
        // RFC 6455 §5.7: an unmasked and a masked "Hello" back to back, as a sniffer sees them.
        let mut stream = vec![0x81, 0x05, b'H', b'e', b'l', b'l', b'o'];
        stream.extend_from_slice(&MASKED_HELLO);
        let frames = decode_chunks(DecoderConfig::observer(), &[&stream]).unwrap();
        assert_eq!(frames.len(), 2);
        assert!(frames.iter().all(|f| f.payload == b"Hello"));
        assert_eq!(
            decode_chunks(DecoderConfig::client(), &[&MASKED_HELLO]),
            Err(ProtocolError::MaskedFrame)
        );
    }

    fn arb_frame() -> impl Strategy<Value = (u8, bool, Vec<u8>, [u8; 4])> {
        (
            prop_oneof![Just(0x1u8), Just(0x2), Just(0x0), Just(0x9), Just(0xA)],
            any::<bool>(),
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..130),
                proptest::collection::vec(any::<u8>(), 126..70_000),
            ],
            any::<[u8; 4]>(),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_chunking_gives_the_same_frames(frames in proptest::collection::vec(arb_frame(), 1..5),
                                              cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12)) {
            let mut stream = Vec::new();
            let mut expected = Vec::new();
            for (op, fin, mut payload, key) in frames {
                let opcode = OpCode::from(op);
                if opcode.is_control() { payload.truncate(125); }
                let mut header = FrameHeader::new(opcode, payload.len() as u64);
                header.fin = fin || opcode.is_control();
                header.mask = Some(key);
                encode_frame(&mut stream, &header, &payload);
                header.payload_len = payload.len() as u64;
                expected.push(Frame { header, payload });
            }
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for cut in cuts.into_iter().chain([stream.len()]) {
                chunks.push(&stream[last..cut]);
                last = cut;
            }
            let got = decode_chunks(DecoderConfig::server(), &chunks).unwrap();
            prop_assert_eq!(got, expected);
        }
    }
}
