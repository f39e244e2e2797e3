//! Finding a frame start in a stream joined mid-way (a `--ws-port` capture that began after the
//! handshake, or framing lost in a capture gap): bytes are looked through for a header this
//! direction could send under strict rules, whose frame is followed by another such header or
//! ends where the bytes so far end.

use websocket::frame::MAX_HEADER_LEN;
use websocket::{FrameHeader, MaskRule, OpCode};
use wire::reassembly::Direction;

use super::{DirDecoder, Note, Output, State};

/// Bytes looked through for a frame boundary before the oldest are dropped.
const HUNT_WINDOW: usize = 16 * 1024;

impl DirDecoder {
    /// Looks through `hunt` for a header that is plausible for this direction and whose frame
    /// either ends exactly where the bytes so far end or is followed by another plausible
    /// header.
    pub(super) fn hunt_step(&mut self, out: &mut Vec<Output>) {
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

/// Whether bytes start with a plausible header.
enum Verdict {
    /// Yes, and the frame is this many bytes long, header included.
    Yes(usize),
    /// No header this direction would send starts here.
    No,
    /// Not enough bytes yet to tell.
    Undecided,
}
