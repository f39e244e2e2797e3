//! Message assembly (RFC 6455 §5.4): frames in, messages out, with every fragmentation rule.
//!
//! - A message is a text or binary frame followed by zero or more continuation frames, the last
//!   with FIN set.
//! - Control frames may arrive between fragments and are passed through at once.
//! - A continuation with no open message, or a text/binary frame while one is open, is an error.
//! - Text is checked as UTF-8 fragment by fragment ([`Utf8Validator`]), so a bad byte fails the
//!   message when its fragment arrives, not when the message ends.
//! - The size limit counts the (decompressed) message as it grows.

use crate::budget::{Budget, Charge};
use crate::close::CloseFrame;
use crate::deflate::Inflater;
use crate::error::ProtocolError;
use crate::frame::{Frame, MAX_CONTROL_PAYLOAD};
use crate::opcode::OpCode;
use crate::utf8::Utf8Validator;

/// A whole message or a control frame's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// A complete text message.
    Text(String),
    /// A complete binary message.
    Binary(Vec<u8>),
    /// A ping's application data (at most 125 bytes), to be answered with a pong.
    Ping(Vec<u8>),
    /// A pong's application data.
    Pong(Vec<u8>),
    /// A close frame: `None` if it carried no status code (reported locally as 1005).
    Close(Option<CloseFrame>),
}

/// A message being assembled from fragments.
#[derive(Debug)]
struct Partial {
    text: bool,
    compressed: bool,
    data: Vec<u8>,
    utf8: Utf8Validator,
    /// How much of `data` the validator has seen.
    checked: usize,
}

/// Frames in, messages out. See the module docs.
#[derive(Debug)]
pub struct Assembler {
    max_message_size: usize,
    partial: Option<Partial>,
    inflater: Option<Inflater>,
    /// The open message's allocation, charged at its inflated size.
    charge: Charge,
}

impl Assembler {
    /// An assembler that refuses messages over `max_message_size` bytes. With an `inflater`,
    /// messages whose first frame has RSV1 set are decompressed (RFC 7692).
    pub fn new(max_message_size: usize, inflater: Option<Inflater>) -> Self {
        Assembler {
            max_message_size,
            partial: None,
            inflater,
            charge: Charge::default(),
        }
    }

    /// Charges the open message's buffer to `budget` from now on: a growth the budget cannot
    /// cover fails the message with [`ProtocolError::BudgetSpent`].
    pub fn set_budget(&mut self, budget: Budget) {
        let held = self.charge.bytes();
        self.charge = Charge::new(Some(budget));
        // Cannot fail by much: whatever is held already was allocated without the budget.
        let _ = self.charge.set(held);
    }

    /// Whether a fragmented message is open.
    pub fn in_message(&self) -> bool {
        self.partial.is_some()
    }

    /// Bytes held for the open message.
    pub fn buffered(&self) -> usize {
        self.partial.as_ref().map_or(0, |p| p.data.len())
    }

    /// Takes the next frame; returns a message when one is complete.
    pub fn push(&mut self, frame: Frame) -> Result<Option<Message>, ProtocolError> {
        let Frame { header, payload } = frame;
        match header.opcode {
            OpCode::Ping | OpCode::Pong | OpCode::Close => {
                // Repeated here so frames that did not come through a Decoder obey it too.
                if header.payload_len > MAX_CONTROL_PAYLOAD {
                    return Err(ProtocolError::ControlFrameTooLong(header.payload_len));
                }
                if !header.fin {
                    return Err(ProtocolError::FragmentedControlFrame);
                }
                Ok(Some(match header.opcode {
                    OpCode::Ping => Message::Ping(payload),
                    OpCode::Pong => Message::Pong(payload),
                    _ => Message::Close(CloseFrame::parse(&payload)?),
                }))
            }
            OpCode::Text | OpCode::Binary => {
                if self.partial.is_some() {
                    return Err(ProtocolError::UnfinishedMessage);
                }
                let text = header.opcode == OpCode::Text;
                let compressed = header.rsv1;
                if compressed && self.inflater.is_none() {
                    return Err(ProtocolError::ReservedBits { rsv: header.rsv() });
                }
                if header.fin && !compressed {
                    // Fast path: an unfragmented, uncompressed message is checked once, whole.
                    self.check_size(payload.len())?;
                    return Ok(Some(finish_plain(text, payload)?));
                }
                self.partial = Some(Partial {
                    text,
                    compressed,
                    data: Vec::new(),
                    utf8: Utf8Validator::new(),
                    checked: 0,
                });
                self.append_or_drop(&payload, header.fin)
            }
            OpCode::Continuation => {
                if self.partial.is_none() {
                    return Err(ProtocolError::UnexpectedContinuation);
                }
                self.append_or_drop(&payload, header.fin)
            }
            OpCode::ReservedData(n) | OpCode::ReservedControl(n) => {
                Err(ProtocolError::ReservedOpcode(n))
            }
        }
    }

    fn check_size(&self, len: usize) -> Result<(), ProtocolError> {
        if len > self.max_message_size {
            return Err(ProtocolError::MessageTooLarge {
                len: len as u64,
                max: self.max_message_size as u64,
            });
        }
        Ok(())
    }

    /// [`Assembler::append`]; a message that fails is dropped at once, and its charge given
    /// back, rather than held until the connection goes.
    fn append_or_drop(
        &mut self,
        payload: &[u8],
        fin: bool,
    ) -> Result<Option<Message>, ProtocolError> {
        let result = self.append(payload, fin);
        if result.is_err() || fin {
            self.partial = None;
            // Only gives back: cannot fail.
            let _ = self.charge.set(0);
        }
        result
    }

    fn append(&mut self, payload: &[u8], fin: bool) -> Result<Option<Message>, ProtocolError> {
        let max = self.max_message_size;
        let charge = &mut self.charge;
        let Some(partial) = self.partial.as_mut() else {
            return Err(ProtocolError::UnexpectedContinuation);
        };
        if partial.compressed {
            let Some(inflater) = self.inflater.as_mut() else {
                return Err(ProtocolError::ReservedBits { rsv: 0b100 });
            };
            let mut grow = |out: &mut Vec<u8>, extra, max| charge.grow(out, extra, max);
            inflater.inflate_with(payload, &mut partial.data, max, &mut grow)?;
            if fin {
                inflater.finish_message_with(&mut partial.data, max, &mut grow)?;
            }
        } else {
            let len = partial.data.len() + payload.len();
            if len > max {
                return Err(ProtocolError::MessageTooLarge {
                    len: len as u64,
                    max: max as u64,
                });
            }
            charge.grow(&mut partial.data, payload.len(), max)?;
            partial.data.extend_from_slice(payload);
        }
        if partial.text {
            partial
                .utf8
                .feed(&partial.data[partial.checked..])
                .map_err(|e| ProtocolError::InvalidUtf8 { offset: e.offset })?;
            partial.checked = partial.data.len();
        }
        if !fin {
            return Ok(None);
        }
        let mut done = self
            .partial
            .take()
            .unwrap_or_else(|| unreachable!("checked above"));
        if done.text {
            done.utf8
                .finish()
                .map_err(|e| ProtocolError::InvalidUtf8 { offset: e.offset })?;
        }
        Ok(Some(finish_plain(done.text, done.data)?))
    }
}

fn finish_plain(text: bool, data: Vec<u8>) -> Result<Message, ProtocolError> {
    if !text {
        return Ok(Message::Binary(data));
    }
    String::from_utf8(data)
        .map(Message::Text)
        .map_err(|e| ProtocolError::InvalidUtf8 {
            offset: e.utf8_error().valid_up_to() as u64,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::close::CloseCode;
    use crate::deflate::Deflater;
    use crate::frame::FrameHeader;

    fn frame(opcode: OpCode, fin: bool, payload: &[u8]) -> Frame {
        let mut header = FrameHeader::new(opcode, payload.len() as u64);
        header.fin = fin;
        Frame {
            header,
            payload: payload.to_vec(),
        }
    }

    fn run(frames: Vec<Frame>) -> Result<Vec<Message>, ProtocolError> {
        let mut a = Assembler::new(1000, None);
        let mut out = Vec::new();
        for f in frames {
            if let Some(m) = a.push(f)? {
                out.push(m);
            }
        }
        Ok(out)
    }

    #[test]
    fn rfc6455_section_5_7_fragmented_hello() {
        let got = run(vec![
            frame(OpCode::Text, false, b"Hel"),
            frame(OpCode::Continuation, true, b"lo"),
        ]);
        assert_eq!(got, Ok(vec![Message::Text("Hello".into())]));
    }

    #[test]
    fn control_frames_interleave_with_fragments() {
        let got = run(vec![
            frame(OpCode::Binary, false, &[1]),
            frame(OpCode::Ping, true, b"p"),
            frame(OpCode::Continuation, false, &[2]),
            frame(OpCode::Pong, true, b""),
            frame(OpCode::Continuation, true, &[3]),
        ]);
        assert_eq!(
            got,
            Ok(vec![
                Message::Ping(b"p".to_vec()),
                Message::Pong(vec![]),
                Message::Binary(vec![1, 2, 3])
            ])
        );
    }

    #[test]
    fn fragmentation_errors() {
        assert_eq!(
            run(vec![frame(OpCode::Continuation, true, b"x")]),
            Err(ProtocolError::UnexpectedContinuation)
        );
        assert_eq!(
            run(vec![
                frame(OpCode::Text, false, b"a"),
                frame(OpCode::Text, true, b"b")
            ]),
            Err(ProtocolError::UnfinishedMessage)
        );
        assert_eq!(
            run(vec![
                frame(OpCode::Binary, false, b"a"),
                frame(OpCode::Binary, false, b"b")
            ]),
            Err(ProtocolError::UnfinishedMessage)
        );
        assert_eq!(
            run(vec![frame(OpCode::Ping, false, b"")]),
            Err(ProtocolError::FragmentedControlFrame)
        );
        assert_eq!(
            run(vec![frame(OpCode::Pong, true, &[0; 126])]),
            Err(ProtocolError::ControlFrameTooLong(126))
        );
        assert_eq!(
            run(vec![frame(OpCode::from(0x5), true, b"")]),
            Err(ProtocolError::ReservedOpcode(5))
        );
        let mut rsv1 = frame(OpCode::Text, true, b"x");
        rsv1.header.rsv1 = true;
        assert_eq!(
            run(vec![rsv1]),
            Err(ProtocolError::ReservedBits { rsv: 0b100 })
        );
        // Empty fragments are fine, including an empty final one.
        assert_eq!(
            run(vec![
                frame(OpCode::Text, false, b""),
                frame(OpCode::Continuation, false, b""),
                frame(OpCode::Continuation, true, b"")
            ]),
            Ok(vec![Message::Text(String::new())])
        );
    }

    #[test]
    fn invalid_utf8_fails_on_the_fragment_that_breaks_it() {
        let mut a = Assembler::new(1000, None);
        assert_eq!(
            a.push(frame(OpCode::Text, false, "κόσμε".as_bytes())),
            Ok(None)
        );
        // Hand-made: ED A0 starts a surrogate, impossible in UTF-8; the message is not finished.
        let err = a
            .push(frame(OpCode::Continuation, false, &[0xED, 0xA0, 0x80]))
            .unwrap_err();
        assert_eq!(err, ProtocolError::InvalidUtf8 { offset: 10 });
        assert_eq!(u16::from(err.close_code()), 1007);
        // Unfragmented text too, and a message ending mid-sequence.
        assert_eq!(
            run(vec![frame(OpCode::Text, true, &[b'a', 0xFF])]),
            Err(ProtocolError::InvalidUtf8 { offset: 1 })
        );
        assert_eq!(
            run(vec![
                frame(OpCode::Text, false, &[0xE2, 0x82]),
                frame(OpCode::Continuation, true, b"")
            ]),
            Err(ProtocolError::InvalidUtf8 { offset: 0 })
        );
        // A sequence split across fragments is fine.
        assert_eq!(
            run(vec![
                frame(OpCode::Text, false, &[0xE2, 0x82]),
                frame(OpCode::Continuation, true, &[0xAC])
            ]),
            Ok(vec![Message::Text("€".into())])
        );
    }

    #[test]
    fn size_limit_counts_the_whole_message() {
        assert!(run(vec![frame(OpCode::Binary, true, &[0; 1000])]).is_ok());
        assert_eq!(
            run(vec![frame(OpCode::Binary, true, &[0; 1001])]),
            Err(ProtocolError::MessageTooLarge {
                len: 1001,
                max: 1000
            })
        );
        let err = run(vec![
            frame(OpCode::Binary, false, &[0; 600]),
            frame(OpCode::Continuation, false, &[0; 600]),
        ])
        .unwrap_err();
        assert_eq!(
            err,
            ProtocolError::MessageTooLarge {
                len: 1200,
                max: 1000
            }
        );
        assert_eq!(u16::from(err.close_code()), 1009);
    }

    #[test]
    fn close_frames_are_parsed() {
        assert_eq!(
            run(vec![frame(OpCode::Close, true, &[0x03, 0xE9])]),
            Ok(vec![Message::Close(Some(CloseFrame {
                code: CloseCode::GoingAway,
                reason: String::new()
            }))])
        );
        assert_eq!(
            run(vec![frame(OpCode::Close, true, &[0x03, 0xEE])]),
            Err(ProtocolError::InvalidCloseCode(1006))
        );
    }

    #[test]
    fn held_messages_are_charged_to_the_budget_and_refused_past_it() {
        let budget = Budget::new(1 << 20);
        let mut wire = Vec::new();
        Deflater::new(false).compress(&vec![0u8; 3 << 20], &mut wire);
        assert!(wire.len() < 20_000);
        let mut a = Assembler::new(16 << 20, Some(Inflater::new(false)));
        a.set_budget(budget.clone());
        let mut first = frame(OpCode::Binary, false, &wire);
        first.header.rsv1 = true;
        let err = a.push(first).unwrap_err();
        assert!(matches!(err, ProtocolError::BudgetSpent { .. }), "{err:?}");
        assert_eq!(u16::from(err.close_code()), 1013);
        assert!(!a.in_message());
        assert_eq!(budget.used(), 0, "a refused message gives its share back");
        // A message that fits is charged while it is open, and given back when it is done.
        let mut b = Assembler::new(16 << 20, None);
        b.set_budget(budget.clone());
        assert_eq!(
            b.push(frame(OpCode::Binary, false, &[1; 300_000])),
            Ok(None)
        );
        let held = budget.used();
        assert!(
            (300_000 - crate::budget::FREE_BYTES..400_000).contains(&held),
            "{held}"
        );
        // Meanwhile another connection's small message needs nothing from the budget.
        let mut c = Assembler::new(16 << 20, None);
        c.set_budget(Budget::new(0));
        assert!(c.push(frame(OpCode::Text, false, b"small")).is_ok());
        assert!(c.push(frame(OpCode::Continuation, true, b" one")).is_ok());
        let done = b.push(frame(OpCode::Continuation, true, &[2; 10])).unwrap();
        assert!(matches!(done, Some(Message::Binary(d)) if d.len() == 300_010));
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn compressed_fragmented_message() {
        let mut wire = Vec::new();
        Deflater::new(false).compress("hello hello hello €".as_bytes(), &mut wire);
        let mut a = Assembler::new(1000, Some(Inflater::new(false)));
        let (head, tail) = wire.split_at(wire.len() / 2);
        let mut first = frame(OpCode::Text, false, head);
        first.header.rsv1 = true;
        assert_eq!(a.push(first), Ok(None));
        assert_eq!(
            a.push(frame(OpCode::Continuation, true, tail)),
            Ok(Some(Message::Text("hello hello hello €".into())))
        );
    }
}
