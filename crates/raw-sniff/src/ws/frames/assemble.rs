//! Message assembly: data frames joined into messages, compressed ones inflated
//! (permessage-deflate, RFC 7692), when messages are shown or compressed ones must be inflated.

use websocket::deflate::Inflater;
use websocket::{Assembler, Frame, FrameHeader, Message, OpCode, ProtocolError};

use super::SeenMessage;

/// Message assembly, when messages are shown or compressed ones must be inflated.
#[derive(Debug)]
pub(super) struct Messages {
    assembler: Assembler,
    /// `Some(no_context_takeover)` when permessage-deflate was negotiated.
    inflate: Option<bool>,
    /// Every message is reported, not only compressed ones.
    pub(super) all: bool,
    max: usize,
    /// The open message: wire bytes, frames, first offset, compressed; `None` when broken.
    open: Option<(u64, u32, u64, bool)>,
    /// A compressed message was lost while the compressor's context carries over, so no
    /// later message can be inflated.
    context_lost: bool,
    /// Whether the last frame fed went into a message.
    pub(super) last_assembled: bool,
}

impl Messages {
    /// Assembly of all messages (`all`) or only compressed ones; `inflate` is
    /// `Some(no_context_takeover)` when permessage-deflate was negotiated.
    pub(super) fn new(all: bool, inflate: Option<bool>, max: usize) -> Messages {
        Messages {
            assembler: Assembler::new(max, inflate.map(Inflater::new)),
            inflate,
            all,
            max,
            open: None,
            context_lost: false,
            last_assembled: false,
        }
    }

    fn reset(&mut self) {
        if self.inflate == Some(false) && self.open.is_some_and(|o| o.3) {
            self.context_lost = true;
        }
        self.assembler = Assembler::new(self.max, self.inflate.map(Inflater::new));
        self.open = None;
    }
}

/// Feeds one data frame to the assembler; returns the message it completes.
pub(super) fn assemble(
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
