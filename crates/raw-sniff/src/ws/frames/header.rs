//! Reading a frame header before the decoder sees it. A header the decoder cannot take
//! (reserved opcode, length not in its shortest form, frame over the size kept for display) is
//! still read here, so the frame can be shown and stepped over by its declared length and
//! framing survives it. The header's own rules (masking by direction, RSV bits the handshake
//! allowed) are checked here too.

use websocket::frame::MAX_HEADER_LEN;
use websocket::{FrameHeader, MaskRule, OpCode, ProtocolError};
use wire::reassembly::Direction;

use std::cell::RefCell;

use websocket::mask::apply_mask;

use super::rules::Payload;
use super::{DirDecoder, InFrame, Output, Pending, State};

thread_local! {
    /// Where a masked payload checked in place is unmasked: one buffer for every decoder on
    /// the thread, so that an idle connection holds none. At most the largest frame decoded
    /// whole (`max_frame`).
    static UNMASKED: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl DirDecoder {
    /// Takes header bytes from `input`; returns how many were used.
    pub(super) fn header_step(&mut self, input: &[u8], out: &mut Vec<Output>) -> usize {
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
            && header.payload_len <= self.max_frame;
        let len = header.payload_len as usize;
        if decodable
            && self.preview.is_some()
            && self.messages.is_none()
            && input.len() >= used + len
        {
            // The whole payload is here: checked where it lies, and only what is shown of it
            // kept (see `previewing`).
            let keep = self.preview.unwrap_or(usize::MAX);
            let body = &input[used..used + len];
            self.offset += len as u64;
            pending.seen = len as u64;
            match header.mask {
                None => self.judge(pending, Payload::Preview(body, keep), out),
                Some(key) => UNMASKED.with_borrow_mut(|buf| {
                    buf.clear();
                    buf.extend_from_slice(body);
                    apply_mask(buf, key, 0);
                    self.judge(pending, Payload::Preview(buf, keep), out);
                }),
            }
            return used + len;
        }
        if decodable {
            let mut decoder = self.frame_decoder();
            let mut bytes = &head[..n];
            match decoder.decode(&mut bytes) {
                Ok(Some(frame)) => self.finish(pending, frame.payload, out),
                Ok(None) => self.state = State::Decoding(Box::new(InFrame { pending, decoder })),
                Err(err) => self.give_up(format!("decoder: {err}"), out),
            }
        } else if header.payload_len == 0 {
            self.finish(pending, Vec::new(), out);
        } else {
            let len = header.payload_len;
            self.state = State::Skipping(Box::new(pending), len);
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
}
