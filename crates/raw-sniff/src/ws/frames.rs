//! One direction of a WebSocket connection: reassembled stream bytes in, frames out.
//!
//! Frames are decoded by `websocket`'s streaming [`Decoder`], the one the server runs, set to
//! accept anything a header can say. Whether that was allowed depends on who sent it and on
//! what was negotiated, so the rules are checked here and broken ones flagged, never used to
//! stop: an observer must show what was sent, including what a peer would refuse.
//!
//! Before the decoder sees a header, it is parsed here too. A frame the decoder cannot take
//! (reserved opcode, length not in its shortest form, over the size kept for display) is
//! stepped over by its declared length, so framing survives it.

use websocket::deflate::Inflater;
use websocket::frame::MAX_HEADER_LEN;
use websocket::mask::apply_mask;
use websocket::{
    Assembler, Decoder, DecoderConfig, Frame, FrameHeader, MaskRule, Message, OpCode, ProtocolError,
};

use wire::reassembly::Direction;

/// Payload bytes kept for a frame the decoder does not hold whole.
const KEPT_PREFIX: usize = 64 * 1024;

/// Bytes looked through for a frame boundary before the oldest are dropped.
const HUNT_WINDOW: usize = 16 * 1024;

/// A frame as seen on the wire.
#[derive(Debug, Clone)]
pub struct SeenFrame {
    /// Its header.
    pub header: FrameHeader,
    /// The 7-bit length field as sent: the length, or 126/127 for the extended forms.
    pub len_field: u8,
    /// Header bytes.
    pub header_len: usize,
    /// Payload, unmasked; only the first bytes when `payload.len() < header.payload_len`.
    pub payload: Vec<u8>,
    /// Payload bytes lost in a capture gap (filled with zeros in `payload`).
    pub lost: u64,
    /// Rules the frame breaks.
    pub violations: Vec<String>,
    /// Whether the payload is (part of) an uncompressed text message.
    pub text: bool,
    /// Stream offset of the frame's first byte.
    pub offset: u64,
    /// On the last frame of a compressed message: the message inflated.
    pub inflated: Option<Vec<u8>>,
    /// When permessage-deflate was negotiated: whether RSV1 marks this frame compressed.
    pub pmc: Option<bool>,
    /// Whether the frame went into a message being assembled (which will stand for it).
    pub assembled: bool,
}

/// A whole data message, fragments joined and inflated.
#[derive(Debug, Clone)]
pub struct SeenMessage {
    /// Text or binary.
    pub text: bool,
    /// The message (inflated when it was compressed).
    pub data: Vec<u8>,
    /// Bytes on the wire when the message was compressed.
    pub compressed_len: Option<u64>,
    /// Frames it came in.
    pub frames: u32,
    /// Stream offset of its first frame.
    pub offset: u64,
}

/// Something a direction has to say besides frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// A gap in the capture.
    Gap {
        /// Stream offset of the first byte lost.
        offset: u64,
        /// Bytes lost.
        len: u64,
        /// What the loss did to framing.
        outcome: GapOutcome,
    },
    /// A frame boundary was found again.
    Resync {
        /// Stream offset of the frame header found.
        offset: u64,
        /// Bytes passed over while looking for it.
        skipped: u64,
    },
    /// Decoding of this direction stopped for good.
    GaveUp {
        /// Stream offset where decoding stopped.
        offset: u64,
        /// Why.
        why: String,
    },
}

/// What a gap did to framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapOutcome {
    /// The bytes lost were inside one frame's payload: framing is intact.
    InsidePayload,
    /// Framing is lost; the next plausible frame header is being looked for.
    Hunting,
}

/// What decoding produced, in stream order.
#[derive(Debug, Clone)]
pub enum Output {
    /// A frame, decoded.
    Frame(SeenFrame),
    /// A whole data message, assembled.
    Message(SeenMessage),
    /// Something else worth saying.
    Note(Note),
}

#[derive(Debug)]
enum State {
    /// Collecting header bytes (`head[..len]`) before handing them to the decoder.
    Header,
    /// The decoder holds this frame and is collecting its payload.
    Decoding(Pending),
    /// Stepping over a frame's payload by its declared length.
    Skipping(Pending, u64),
    /// Framing lost: looking for the next plausible header in `hunt`.
    Hunting,
    /// Given up.
    Dead,
}

#[derive(Debug)]
struct Pending {
    header: FrameHeader,
    len_field: u8,
    header_len: usize,
    violations: Vec<String>,
    offset: u64,
    kept: Vec<u8>,
    lost: u64,
    /// Payload bytes seen so far (kept or not).
    seen: u64,
}

/// The decoder for one direction.
#[derive(Debug)]
pub struct DirDecoder {
    dir: Direction,
    decoder: Decoder,
    state: State,
    head: [u8; MAX_HEADER_LEN],
    head_len: usize,
    hunt: Vec<u8>,
    hunt_skipped: u64,
    /// Stream offset of the next byte to arrive.
    offset: u64,
    /// RSV bits the handshake allowed (RSV1 under permessage-deflate).
    allowed_rsv: u8,
    /// Whether a fragmented message is open, and whether it is text (for UTF-8 checks).
    open_message: Option<bool>,
    utf8: websocket::Utf8Validator,
    /// Whether the open message is compressed (its text is checked after inflating, not here).
    compressed: bool,
    messages: Option<Messages>,
}

/// Message assembly, when messages are shown or compressed ones must be inflated.
#[derive(Debug)]
struct Messages {
    assembler: Assembler,
    /// `Some(no_context_takeover)` when permessage-deflate was negotiated.
    inflate: Option<bool>,
    /// Every message is reported, not only compressed ones.
    all: bool,
    max: usize,
    /// The open message: wire bytes, frames, first offset, compressed; `None` when broken.
    open: Option<(u64, u32, u64, bool)>,
    /// A compressed message was lost while the compressor's context carries over, so no
    /// later message can be inflated.
    context_lost: bool,
    /// Whether the last frame fed went into a message.
    last_assembled: bool,
}

impl Messages {
    fn reset(&mut self) {
        if self.inflate == Some(false) && self.open.is_some_and(|o| o.3) {
            self.context_lost = true;
        }
        self.assembler = Assembler::new(self.max, self.inflate.map(Inflater::new));
        self.open = None;
    }
}

impl DirDecoder {
    /// A decoder starting at a frame boundary at stream offset `offset`. `max_frame` is the
    /// largest frame held whole; larger ones keep only their first bytes.
    pub fn new(dir: Direction, offset: u64, allowed_rsv: u8, max_frame: u64) -> DirDecoder {
        DirDecoder {
            dir,
            decoder: Decoder::new(DecoderConfig {
                mask: MaskRule::Either,
                allowed_rsv: 0b111,
                max_frame_size: max_frame,
            }),
            state: State::Header,
            head: [0; MAX_HEADER_LEN],
            head_len: 0,
            hunt: Vec::new(),
            hunt_skipped: 0,
            offset,
            allowed_rsv,
            open_message: None,
            utf8: websocket::Utf8Validator::new(),
            compressed: false,
            messages: None,
        }
    }

    /// Assembles messages: all of them (`all`), or only to inflate compressed ones.
    /// `inflate` is `Some(no_context_takeover)` when permessage-deflate was negotiated.
    pub fn with_messages(mut self, all: bool, inflate: Option<bool>, max: usize) -> DirDecoder {
        if all || inflate.is_some() {
            self.messages = Some(Messages {
                assembler: Assembler::new(max, inflate.map(Inflater::new)),
                inflate,
                all,
                max,
                open: None,
                context_lost: false,
                last_assembled: false,
            });
        }
        self
    }

    /// A decoder joining a stream at an unknown point: it looks for a frame boundary first.
    pub fn joining(dir: Direction, offset: u64, allowed_rsv: u8, max_frame: u64) -> DirDecoder {
        let mut d = DirDecoder::new(dir, offset, allowed_rsv, max_frame);
        d.state = State::Hunting;
        d
    }

    /// Decodes the next bytes of the stream.
    pub fn data(&mut self, mut input: &[u8], out: &mut Vec<Output>) {
        while !input.is_empty() {
            match &mut self.state {
                State::Dead => {
                    self.offset += input.len() as u64;
                    return;
                }
                State::Hunting => {
                    self.hunt.extend_from_slice(input);
                    self.offset += input.len() as u64;
                    input = &[];
                    self.hunt_step(out);
                }
                State::Header => {
                    let used = self.header_step(input, out);
                    input = &input[used..];
                }
                State::Decoding(_) => {
                    let before = input.len();
                    let result = self.decoder.decode(&mut input);
                    let used = before - input.len();
                    self.offset += used as u64;
                    let State::Decoding(p) = &mut self.state else {
                        unreachable!()
                    };
                    p.seen += used as u64;
                    match result {
                        Ok(Some(frame)) => {
                            let State::Decoding(p) =
                                std::mem::replace(&mut self.state, State::Header)
                            else {
                                unreachable!()
                            };
                            self.finish(p, frame.payload, out);
                        }
                        Ok(None) => {}
                        Err(err) => self.give_up(format!("decoder: {err}"), out),
                    }
                }
                State::Skipping(p, remaining) => {
                    let take = (*remaining).min(input.len() as u64) as usize;
                    let room = KEPT_PREFIX.saturating_sub(p.kept.len()).min(take);
                    if room > 0 {
                        let at = p.kept.len();
                        p.kept.extend_from_slice(&input[..room]);
                        if let Some(key) = p.header.mask {
                            apply_mask(&mut p.kept[at..], key, at % 4);
                        }
                    }
                    *remaining -= take as u64;
                    p.seen += take as u64;
                    self.offset += take as u64;
                    input = &input[take..];
                    if *remaining == 0 {
                        let State::Skipping(mut p, _) =
                            std::mem::replace(&mut self.state, State::Header)
                        else {
                            unreachable!()
                        };
                        let kept = std::mem::take(&mut p.kept);
                        self.finish(p, kept, out);
                    }
                }
            }
        }
    }

    /// Bytes lost in the capture. Inside a frame's payload the frame is kept (its lost bytes
    /// read as zeros) and framing goes on; anywhere else framing is lost and a header is
    /// looked for after the gap.
    pub fn gap(&mut self, offset: u64, len: u64, out: &mut Vec<Output>) {
        let remaining = match &self.state {
            State::Decoding(p) | State::Skipping(p, _) => p.header.payload_len - p.seen,
            _ => 0,
        };
        if matches!(self.state, State::Dead) {
            self.offset += len;
            return;
        }
        if len <= remaining && (len as usize) <= KEPT_PREFIX.max(1 << 20) {
            out.push(Output::Note(Note::Gap {
                offset,
                len,
                outcome: GapOutcome::InsidePayload,
            }));
            let mut filler = vec![0u8; len as usize];
            if let State::Decoding(p) | State::Skipping(p, _) = &mut self.state {
                p.lost += len;
                // The decoder has no way to skip bytes, so it is given bytes that unmask
                // to zeros in their place.
                if let Some(key) = p.header.mask {
                    apply_mask(&mut filler, key, (p.seen % 4) as usize);
                }
            }
            self.data(&filler, out);
            return;
        }
        out.push(Output::Note(Note::Gap {
            offset,
            len,
            outcome: GapOutcome::Hunting,
        }));
        self.decoder = Decoder::new(*self.decoder.config());
        self.head_len = 0;
        self.hunt.clear();
        self.hunt_skipped = 0;
        self.open_message = None;
        self.state = State::Hunting;
        self.offset += len;
    }

    fn give_up(&mut self, why: String, out: &mut Vec<Output>) {
        out.push(Output::Note(Note::GaveUp {
            offset: self.offset,
            why,
        }));
        self.state = State::Dead;
        self.hunt = Vec::new();
    }

    /// Takes header bytes from `input`; returns how many were used.
    fn header_step(&mut self, input: &[u8], out: &mut Vec<Output>) -> usize {
        let take = (MAX_HEADER_LEN - self.head_len).min(input.len());
        self.head[self.head_len..self.head_len + take].copy_from_slice(&input[..take]);
        let have = self.head_len + take;
        let start = self.offset - self.head_len as u64;
        let parsed = FrameHeader::parse(&self.head[..have]);
        let (header, n, violations) = match parsed {
            Ok(None) => {
                self.head_len = have;
                self.offset += take as u64;
                return take;
            }
            Ok(Some((header, n))) => (header, n, Vec::new()),
            Err(ProtocolError::NonMinimalLength { len, form }) => {
                // The length is readable, only wastefully sent: build the header by hand
                // so the frame can be shown and stepped over.
                let b0 = self.head[0];
                let masked = self.head[1] & 0x80 != 0;
                let n = 2 + usize::from(form / 8) + if masked { 4 } else { 0 };
                if have < n {
                    self.head_len = have;
                    self.offset += take as u64;
                    return take;
                }
                let at = n - 4;
                let header = FrameHeader {
                    fin: b0 & 0x80 != 0,
                    rsv1: b0 & 0x40 != 0,
                    rsv2: b0 & 0x20 != 0,
                    rsv3: b0 & 0x10 != 0,
                    opcode: OpCode::from(b0),
                    mask: masked.then(|| {
                        [
                            self.head[at],
                            self.head[at + 1],
                            self.head[at + 2],
                            self.head[at + 3],
                        ]
                    }),
                    payload_len: len,
                };
                let why = ProtocolError::NonMinimalLength { len, form }.to_string();
                (header, n, vec![why])
            }
            Err(err) => {
                self.offset += take as u64;
                self.give_up(format!("frame header at offset {start}: {err}"), out);
                return take;
            }
        };
        let used = n - self.head_len;
        self.offset += used as u64;
        let head = self.head;
        self.head_len = 0;
        let mut pending = Pending {
            header,
            len_field: head[1] & 0x7f,
            header_len: n,
            violations,
            offset: start,
            kept: Vec::new(),
            lost: 0,
            seen: 0,
        };
        self.check_header(&mut pending);
        let decodable = pending.violations.is_empty()
            && header.validate(MaskRule::Either, 0b111).is_ok()
            && header.payload_len <= self.decoder.config().max_frame_size;
        if decodable {
            let mut bytes = &head[..n];
            match self.decoder.decode(&mut bytes) {
                Ok(Some(frame)) => self.finish(pending, frame.payload, out),
                Ok(None) => self.state = State::Decoding(pending),
                Err(err) => self.give_up(format!("decoder: {err}"), out),
            }
        } else if header.payload_len == 0 {
            self.finish(pending, Vec::new(), out);
        } else {
            let len = header.payload_len;
            self.state = State::Skipping(pending, len);
        }
        used
    }

    /// The per-header rules, with the direction and the negotiated extensions known.
    fn check_header(&self, p: &mut Pending) {
        let h = &p.header;
        let v = &mut p.violations;
        match (self.dir, h.mask.is_some()) {
            (Direction::ClientToServer, false) => v.push(ProtocolError::UnmaskedFrame.to_string()),
            (Direction::ServerToClient, true) => v.push(ProtocolError::MaskedFrame.to_string()),
            _ => {}
        }
        if let Err(err) = h.validate(MaskRule::Either, self.allowed_rsv) {
            v.push(err.to_string());
        }
    }

    /// Checks what needs the payload or earlier frames, then reports the frame.
    fn finish(&mut self, mut p: Pending, payload: Vec<u8>, out: &mut Vec<Output>) {
        let h = p.header;
        let whole = payload.len() as u64 == h.payload_len && p.lost == 0;
        let text = match h.opcode {
            OpCode::Text => !h.rsv1,
            OpCode::Continuation => self.open_message == Some(true) && !self.compressed,
            _ => false,
        };
        match h.opcode {
            OpCode::Text | OpCode::Binary => {
                if self.open_message.is_some() {
                    p.violations
                        .push(ProtocolError::UnfinishedMessage.to_string());
                }
                self.open_message = (!h.fin).then_some(h.opcode == OpCode::Text);
                self.compressed = h.rsv1;
                self.utf8 = websocket::Utf8Validator::new();
                if h.opcode == OpCode::Text && !h.rsv1 {
                    self.check_text(&payload, whole, h.fin, &mut p.violations);
                }
            }
            OpCode::Continuation => match self.open_message {
                None => p
                    .violations
                    .push(ProtocolError::UnexpectedContinuation.to_string()),
                Some(text) => {
                    if text && !self.compressed {
                        self.check_text(&payload, whole, h.fin, &mut p.violations);
                    }
                    if h.fin {
                        self.open_message = None;
                    }
                }
            },
            OpCode::Close if whole => {
                if let Err(err) = websocket::CloseFrame::parse(&payload) {
                    p.violations.push(err.to_string());
                }
            }
            _ => {}
        }
        let mut inflated = None;
        let mut message = None;
        if let Some(m) = &mut self.messages {
            message = assemble(m, &h, &payload, whole, p.offset, &mut p.violations);
            if let Some(msg) = &message {
                if msg.compressed_len.is_some() {
                    inflated = Some(msg.data.clone());
                }
            }
            if !m.all
                && message
                    .as_ref()
                    .is_some_and(|msg| msg.compressed_len.is_none())
            {
                message = None;
            }
        }
        out.push(Output::Frame(SeenFrame {
            header: h,
            len_field: p.len_field,
            header_len: p.header_len,
            payload,
            lost: p.lost,
            violations: p.violations,
            offset: p.offset,
            text,
            inflated,
            pmc: (self.allowed_rsv & websocket::frame::RSV1 != 0).then_some(h.rsv1),
            assembled: self.messages.as_ref().is_some_and(|m| m.last_assembled),
        }));
        if let Some(msg) = message {
            out.push(Output::Message(msg));
        }
    }

    fn check_text(&mut self, payload: &[u8], whole: bool, fin: bool, v: &mut Vec<String>) {
        if !whole {
            // Part of the text is missing; no verdict can be given on it.
            self.utf8 = websocket::Utf8Validator::new();
            return;
        }
        let result =
            self.utf8
                .feed(payload)
                .and_then(|()| if fin { self.utf8.finish() } else { Ok(()) });
        if let Err(err) = result {
            v.push(ProtocolError::InvalidUtf8 { offset: err.offset }.to_string());
            self.utf8 = websocket::Utf8Validator::new();
        }
    }

    /// Looks through `hunt` for a header that is plausible for this direction and whose frame
    /// either ends exactly where the bytes so far end or is followed by another plausible
    /// header.
    fn hunt_step(&mut self, out: &mut Vec<Output>) {
        let buf_start = self.offset - self.hunt.len() as u64;
        let mut found = None;
        for i in 0..self.hunt.len() {
            match self.plausible(&self.hunt[i..]) {
                Verdict::No => continue,
                Verdict::Undecided => break,
                Verdict::Yes(end) => {
                    let end = i + end;
                    let next = if end >= self.hunt.len() {
                        // Ends where the bytes so far end, or needs bytes not yet here.
                        if end == self.hunt.len() {
                            Verdict::Yes(0)
                        } else {
                            Verdict::Undecided
                        }
                    } else {
                        self.plausible(&self.hunt[end..])
                    };
                    match next {
                        Verdict::Yes(_) => {
                            found = Some(i);
                            break;
                        }
                        Verdict::Undecided => break,
                        Verdict::No => continue,
                    }
                }
            }
        }
        match found {
            Some(i) => {
                let rest = std::mem::take(&mut self.hunt);
                let skipped = self.hunt_skipped + i as u64;
                out.push(Output::Note(Note::Resync {
                    offset: buf_start + i as u64,
                    skipped,
                }));
                self.hunt_skipped = 0;
                self.state = State::Header;
                self.offset = buf_start + i as u64;
                self.open_message = None;
                self.data(&rest[i..], out);
            }
            None if self.hunt.len() > HUNT_WINDOW => {
                let drop = self.hunt.len() - MAX_HEADER_LEN;
                self.hunt.drain(..drop);
                self.hunt_skipped += drop as u64;
            }
            None => {}
        }
    }

    /// Whether `bytes` start with a header this direction could send under strict rules,
    /// and if so the frame's total length.
    fn plausible(&self, bytes: &[u8]) -> Verdict {
        let (h, n) = match FrameHeader::parse(bytes) {
            Ok(Some(found)) => found,
            Ok(None) => return Verdict::Undecided,
            Err(_) => return Verdict::No,
        };
        let rule = match self.dir {
            Direction::ClientToServer => MaskRule::Required,
            Direction::ServerToClient => MaskRule::Forbidden,
        };
        if h.validate(rule, self.allowed_rsv).is_err()
            || h.opcode == OpCode::Continuation
            || h.payload_len > 1 << 24
        {
            return Verdict::No;
        }
        Verdict::Yes(n + h.payload_len as usize)
    }
}

enum Verdict {
    Yes(usize),
    No,
    Undecided,
}

/// Feeds one data frame to the assembler; returns the message it completes.
fn assemble(
    m: &mut Messages,
    h: &FrameHeader,
    payload: &[u8],
    whole: bool,
    offset: u64,
    violations: &mut Vec<String>,
) -> Option<SeenMessage> {
    m.last_assembled = false;
    if h.opcode.is_control() {
        return None;
    }
    if matches!(h.opcode, OpCode::Text | OpCode::Binary) {
        if m.assembler.in_message() {
            m.reset();
        }
        m.open = Some((0, 0, offset, h.rsv1));
    }
    let Some(open) = &mut m.open else {
        return None;
    };
    if !whole || h.opcode.is_reserved() || (open.3 && (m.context_lost || m.inflate.is_none())) {
        // Part of the message is missing, or it cannot be inflated (context lost, or the
        // handshake that agreed compression was not seen): its frames stand alone.
        m.reset();
        return None;
    }
    open.0 += payload.len() as u64;
    open.1 += 1;
    let (wire_len, frames, first, compressed) = *open;
    let frame = Frame {
        header: *h,
        payload: payload.to_vec(),
    };
    let pushed = m.assembler.push(frame);
    m.last_assembled = pushed.is_ok();
    match pushed {
        Ok(Some(msg)) => {
            m.open = None;
            let (text, data) = match msg {
                Message::Text(t) => (true, t.into_bytes()),
                Message::Binary(b) => (false, b),
                _ => return None,
            };
            Some(SeenMessage {
                text,
                data,
                compressed_len: compressed.then_some(wire_len),
                frames,
                offset: first,
            })
        }
        Ok(None) => None,
        Err(err) => {
            let why = match err {
                ProtocolError::MessageTooLarge { .. } => {
                    format!("not assembled: {err} kept for display")
                }
                _ => err.to_string(),
            };
            if !violations.contains(&why) {
                violations.push(why);
            }
            m.reset();
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use websocket::encode_frame;

    fn frames_of(d: &mut DirDecoder, chunks: &[&[u8]]) -> Vec<(FrameHeader, Vec<u8>)> {
        let mut out = Vec::new();
        for chunk in chunks {
            d.data(chunk, &mut out);
        }
        out.into_iter()
            .filter_map(|o| match o {
                Output::Frame(f) => {
                    assert!(f.violations.is_empty(), "{:?}", f.violations);
                    Some((f.header, f.payload))
                }
                _ => None,
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Frames come out the same however the stream is cut, whether the decoder holds
        /// them (up to `max_frame`) or they are stepped over by length.
        #[test]
        fn any_chunking_gives_the_frames_sent(
            payloads in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..300), 1..6),
            key in any::<[u8; 4]>(),
            cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..10),
        ) {
            let mut stream = Vec::new();
            let mut sent = Vec::new();
            for p in &payloads {
                let mut h = FrameHeader::new(OpCode::Binary, p.len() as u64);
                h.mask = Some(key);
                encode_frame(&mut stream, &h, p);
                sent.push((h, p.clone()));
            }
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(stream.len() + 1)).collect();
            cuts.sort_unstable();
            let mut chunks = Vec::new();
            let mut last = 0;
            for cut in cuts.into_iter().chain([stream.len()]) {
                chunks.push(&stream[last..cut]);
                last = cut;
            }
            let mut d = DirDecoder::new(Direction::ClientToServer, 0, 0, 100);
            prop_assert_eq!(frames_of(&mut d, &chunks), sent);
        }
    }

    #[test]
    fn a_gap_between_frames_is_hunted_across() {
        let mut stream = Vec::new();
        for text in ["first frame", "second frame", "third frame"] {
            let h = FrameHeader::new(OpCode::Text, text.len() as u64);
            encode_frame(&mut stream, &h, text.as_bytes());
        }
        // Bytes 5..20 lost: the end of the first frame and the second's header.
        let mut d = DirDecoder::new(Direction::ServerToClient, 0, 0, 1 << 16);
        let mut out = Vec::new();
        d.data(&stream[..5], &mut out);
        d.gap(5, 15, &mut out);
        d.data(&stream[20..], &mut out);
        let notes: Vec<&Note> = out
            .iter()
            .filter_map(|o| match o {
                Output::Note(n) => Some(n),
                _ => None,
            })
            .collect();
        assert!(matches!(
            notes[0],
            Note::Gap {
                outcome: GapOutcome::Hunting,
                ..
            }
        ));
        assert_eq!(
            notes[1],
            &Note::Resync {
                offset: 27,
                skipped: 7
            }
        );
        let frames: Vec<&[u8]> = out
            .iter()
            .filter_map(|o| match o {
                Output::Frame(f) => Some(&f.payload[..]),
                _ => None,
            })
            .collect();
        assert_eq!(frames, [&b"third frame"[..]]);
    }
}
