//! The rules a frame can only be judged on with its payload or the frames before it: message
//! order (continuations, unfinished messages), UTF-8 in text, the close payload. Broken rules
//! are flagged on the frame, never used to stop. Then the frame is reported, and handed to
//! message assembly.

use websocket::{OpCode, ProtocolError};

use super::assemble::assemble;
use super::{DirDecoder, Output, Pending, SeenFrame};

/// A frame's payload as [`DirDecoder::finish`] is given it: owned (the decoder assembled
/// it), or borrowed whole from the stream to be checked and then kept only as a preview.
pub(super) enum Payload<'a> {
    Owned(Vec<u8>),
    Preview(&'a [u8], usize),
}

impl DirDecoder {
    /// Checks what needs the payload or earlier frames, then reports the frame.
    pub(super) fn finish(&mut self, p: Pending, payload: Vec<u8>, out: &mut Vec<Output>) {
        self.judge(p, Payload::Owned(payload), out);
    }

    /// [`DirDecoder::finish`] for a payload given as [`Payload`]: every rule is judged on the
    /// whole of it either way, and only what is kept differs.
    pub(super) fn judge(&mut self, mut p: Pending, body: Payload<'_>, out: &mut Vec<Output>) {
        let payload: &[u8] = match &body {
            Payload::Owned(v) => v,
            Payload::Preview(b, _) => b,
        };
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
                    self.check_text(payload, whole, h.fin, &mut p.violations);
                }
            }
            OpCode::Continuation => match self.open_message {
                None => p
                    .violations
                    .push(ProtocolError::UnexpectedContinuation.to_string()),
                Some(text) => {
                    if text && !self.compressed {
                        self.check_text(payload, whole, h.fin, &mut p.violations);
                    }
                    if h.fin {
                        self.open_message = None;
                    }
                }
            },
            OpCode::Close if whole => {
                if let Err(err) = websocket::CloseFrame::parse(payload) {
                    p.violations.push(err.to_string());
                }
            }
            _ => {}
        }
        let mut inflated = None;
        let mut message = None;
        if let Some(m) = &mut self.messages {
            message = assemble(m, &h, payload, whole, p.offset, &mut p.violations);
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
        let (payload, elided) = match body {
            Payload::Owned(v) => (v, 0),
            // Only text is shown by its first bytes alone: a binary frame's line (and the
            // ladder's note) also asks whether the whole payload happens to be UTF-8.
            Payload::Preview(b, _) if !text => (b.to_vec(), 0),
            Payload::Preview(b, keep) => {
                let kept = b[..b.len().min(keep)].to_vec();
                let elided = (b.len() - kept.len()) as u64;
                (kept, elided)
            }
        };
        out.push(Output::Frame(SeenFrame {
            header: h,
            len_field: p.len_field,
            header_len: p.header_len,
            payload,
            elided,
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
}
