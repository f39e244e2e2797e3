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
//!
//! This file holds the per-direction state machine: collecting a header, feeding the decoder
//! or stepping over a payload, and capture gaps. Around it, one job per file: `header.rs`
//! reads headers, `rules.rs` judges and reports whole frames, `hunt.rs` finds a frame start
//! in a stream joined mid-way, `assemble.rs` joins and inflates messages, and `seen.rs` holds
//! what is reported.

mod assemble;
mod header;
mod hunt;
mod rules;
mod seen;

use websocket::frame::MAX_HEADER_LEN;
use websocket::mask::apply_mask;
use websocket::{Decoder, DecoderConfig, FrameHeader, MaskRule};

use wire::reassembly::Direction;

use assemble::Messages;
pub use seen::{GapOutcome, Note, Output, SeenFrame, SeenMessage};

/// Payload bytes kept for a frame the decoder does not hold whole.
const KEPT_PREFIX: usize = 64 * 1024;

#[derive(Debug)]
enum State {
    /// Collecting header bytes (`head[..len]`) before handing them to the decoder.
    Header,
    /// A decoder holds this frame and is collecting its payload. Boxed, like `Skipping`'s:
    /// only a frame split across segments waits here, and an idle connection's state stays
    /// small.
    Decoding(Box<InFrame>),
    /// Stepping over a frame's payload by its declared length.
    Skipping(Box<Pending>, u64),
    /// Framing lost: looking for the next plausible header in `hunt`.
    Hunting,
    /// Given up.
    Dead,
}

/// A frame being decoded, and the decoder that holds it: made when the frame's header
/// arrives and dropped with the frame, so that a connection between frames holds none.
#[derive(Debug)]
struct InFrame {
    pending: Pending,
    decoder: Decoder,
}

impl State {
    /// The frame whose payload is arriving, if one is.
    fn pending(&mut self) -> Option<&mut Pending> {
        match self {
            State::Decoding(f) => Some(&mut f.pending),
            State::Skipping(p, _) => Some(p),
            _ => None,
        }
    }
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
    /// Largest frame a decoder holds whole.
    max_frame: u64,
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
    /// Boxed: most connections assemble nothing, and an idle one should cost little.
    messages: Option<Box<Messages>>,
    /// Payload bytes a text frame keeps when the printer shows only its start; `None` keeps
    /// every payload whole.
    preview: Option<usize>,
}

impl DirDecoder {
    /// A decoder starting at a frame boundary at stream offset `offset`. `max_frame` is the
    /// largest frame held whole; larger ones keep only their first bytes.
    pub fn new(dir: Direction, offset: u64, allowed_rsv: u8, max_frame: u64) -> DirDecoder {
        DirDecoder {
            dir,
            max_frame,
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
            preview: None,
        }
    }

    /// Keeps only the first `keep` bytes of a text frame's payload when the printer shows no
    /// more (`None`: keep every payload whole). A frame whose payload arrives whole in one
    /// piece of the stream is then checked where it lies (unmasked into a buffer shared by
    /// the thread's decoders), not assembled in a buffer of its own. Messages being
    /// assembled need their frames whole, so this applies only to decoders that assemble
    /// none.
    pub fn previewing(mut self, keep: Option<usize>) -> DirDecoder {
        self.preview = keep;
        self
    }

    /// Assembles messages: all of them (`all`), or only to inflate compressed ones.
    /// `inflate` is `Some(no_context_takeover)` when permessage-deflate was negotiated.
    pub fn with_messages(mut self, all: bool, inflate: Option<bool>, max: usize) -> DirDecoder {
        if all || inflate.is_some() {
            self.messages = Some(Box::new(Messages::new(all, inflate, max)));
        }
        self
    }

    /// A decoder joining a stream at an unknown point: it looks for a frame boundary first.
    pub fn joining(dir: Direction, offset: u64, allowed_rsv: u8, max_frame: u64) -> DirDecoder {
        let mut d = DirDecoder::new(dir, offset, allowed_rsv, max_frame);
        d.state = State::Hunting;
        d
    }

    /// A decoder for one frame, set to accept anything a header can say (the rules are
    /// checked here, not by it).
    fn frame_decoder(&self) -> Decoder {
        Decoder::new(DecoderConfig {
            mask: MaskRule::Either,
            allowed_rsv: 0b111,
            max_frame_size: self.max_frame,
        })
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
                State::Decoding(f) => {
                    let before = input.len();
                    let result = f.decoder.decode(&mut input);
                    let used = before - input.len();
                    f.pending.seen += used as u64;
                    self.offset += used as u64;
                    match result {
                        Ok(Some(frame)) => {
                            let State::Decoding(f) =
                                std::mem::replace(&mut self.state, State::Header)
                            else {
                                unreachable!()
                            };
                            self.finish(f.pending, frame.payload, out);
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
                        self.finish(*p, kept, out);
                    }
                }
            }
        }
    }

    /// Bytes lost in the capture. Inside a frame's payload the frame is kept (its lost bytes
    /// read as zeros) and framing goes on; anywhere else framing is lost and a header is
    /// looked for after the gap.
    pub fn gap(&mut self, offset: u64, len: u64, out: &mut Vec<Output>) {
        let remaining = self
            .state
            .pending()
            .map_or(0, |p| p.header.payload_len - p.seen);
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
            if let Some(p) = self.state.pending() {
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use websocket::{encode_frame, OpCode};

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
