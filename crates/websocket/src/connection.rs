//! One end of a connection after the handshake, with no I/O: bytes in, events and bytes out.
//!
//! [`Connection`] joins the [`Decoder`], the [`Assembler`] and the closing handshake
//! (RFC 6455 §5.5.1, §7): it answers pings, echoes a peer's close, and refuses data once the
//! peer has closed. Whatever it wants to send collects in [`Connection::output`]; the caller writes
//! those bytes and calls [`Connection::clear_output`].

use crate::budget::Budget;
use crate::close::{CloseCode, CloseFrame};
use crate::decoder::{Decoder, DecoderConfig};
use crate::deflate::{DeflateParams, Deflater, Inflater};
use crate::error::ProtocolError;
use crate::frame::{encode_frame, FrameHeader, MaskRule, RSV1};
use crate::inspect::WireFrame;
use crate::message::{Assembler, Message};
use crate::opcode::OpCode;
use std::fmt;

/// Which end we are: it decides who masks (RFC 6455 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Reads masked frames, sends unmasked ones.
    Server,
    /// Reads unmasked frames, sends masked ones.
    Client,
}

/// Where the closing handshake stands (RFC 6455 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseState {
    /// Messages flow both ways.
    Open,
    /// We sent a close frame and wait for the peer's; incoming data is still delivered.
    CloseSent,
    /// Both close frames have been exchanged: the TCP connection may be closed.
    Closed,
}

/// Settings for a [`Connection`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Our end.
    pub role: Role,
    /// Largest frame payload accepted.
    pub max_frame_size: u64,
    /// Largest (decompressed) message accepted.
    pub max_message_size: usize,
    /// permessage-deflate parameters, if it was agreed in the handshake.
    pub deflate: Option<DeflateParams>,
}

impl Config {
    /// Defaults for `role`: 16 MiB frames and messages, no compression.
    pub fn new(role: Role) -> Self {
        Config {
            role,
            max_frame_size: 16 << 20,
            max_message_size: 16 << 20,
            deflate: None,
        }
    }
}

/// What happened on the connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A text or binary message, a ping (already answered) or a pong.
    Message(Message),
    /// The peer's close frame. If we had not sent one, ours (echoing its code) is queued.
    Closed(Option<CloseFrame>),
}

/// A frame seen or sent, for a learner watching the protocol (`--verbose`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameTrace {
    /// Sent by us (`true`) or received.
    pub outgoing: bool,
    /// The header as on the wire.
    pub header: FrameHeader,
    /// The first bytes of the payload, unmasked (compressed bytes for a compressed message).
    pub preview: Vec<u8>,
}

/// Output allocation kept between writes; a larger one is freed once written.
const KEPT_OUTPUT: usize = 64 * 1024;

/// Smallest message [`Connection::send_owned`] writes from its own buffer rather than copying.
const GATHER_MIN: usize = 64 * 1024;

/// How many payload bytes a [`FrameTrace`] keeps.
pub const PREVIEW_LEN: usize = 32;

impl fmt::Display for FrameTrace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.header;
        write!(
            f,
            "{} {} fin={} rsv={:03b} {} len={}",
            if self.outgoing { "->" } else { "<-" },
            h.opcode,
            u8::from(h.fin),
            h.rsv(),
            match h.mask {
                Some(k) => format!("mask={:02x}{:02x}{:02x}{:02x}", k[0], k[1], k[2], k[3]),
                None => "unmasked".to_owned(),
            },
            h.payload_len
        )?;
        if self.preview.is_empty() {
            return Ok(());
        }
        let more = if (self.preview.len() as u64) < h.payload_len {
            "…"
        } else {
            ""
        };
        match (h.opcode, std::str::from_utf8(&self.preview)) {
            (OpCode::Close, _) if self.preview.len() >= 2 => {
                let code = CloseCode::from(u16::from_be_bytes([self.preview[0], self.preview[1]]));
                write!(
                    f,
                    " code={code} reason={:?}",
                    String::from_utf8_lossy(&self.preview[2..])
                )
            }
            (_, Ok(text)) if !h.rsv1 => write!(f, " {text:?}{more}"),
            _ => {
                f.write_str(" ")?;
                for b in &self.preview {
                    write!(f, "{b:02x}")?;
                }
                f.write_str(more)
            }
        }
    }
}

/// One end of a WebSocket connection. See the module docs.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    decoder: Decoder,
    assembler: Assembler,
    deflater: Option<Deflater>,
    state: CloseState,
    peer_closed: bool,
    output: Vec<u8>,
    /// A large payload queued by [`Connection::send_owned`], to be written after `output`.
    body: Vec<u8>,
    mask_state: u64,
    trace: Option<Vec<FrameTrace>>,
    /// While inspection is on, the payload bytes kept per frame.
    inspect_bytes: Option<usize>,
    /// Frames as on the wire, not yet taken (always empty while inspection is off).
    inspected: Vec<WireFrame>,
    /// Data messages received so far.
    messages: u64,
}

impl Connection {
    /// A connection in the open state. `mask_seed` seeds the masking keys a client sends
    /// (a server sends none). The keys come from a xorshift generator: each is cheap and differs
    /// per frame, but one key reveals the next. RFC 6455 §5.3 wants keys an attacker cannot
    /// predict, to stop a script in a browser from steering bytes through proxies; that matters
    /// for a client running untrusted code, not for a test or load client, which is what the
    /// client role here is for.
    pub fn new(config: Config, mask_seed: u64) -> Self {
        let mask = match config.role {
            Role::Server => MaskRule::Required,
            Role::Client => MaskRule::Forbidden,
        };
        let decoder = Decoder::new(DecoderConfig {
            mask,
            allowed_rsv: if config.deflate.is_some() { RSV1 } else { 0 },
            max_frame_size: config.max_frame_size,
        });
        // Each end inflates what the other compressed, with the other end's takeover rule.
        let (ours, theirs) = match (config.deflate, config.role) {
            (None, _) => (None, None),
            (Some(p), Role::Server) => (
                Some(p.server_no_context_takeover),
                Some(p.client_no_context_takeover),
            ),
            (Some(p), Role::Client) => (
                Some(p.client_no_context_takeover),
                Some(p.server_no_context_takeover),
            ),
        };
        Connection {
            config,
            decoder,
            assembler: Assembler::new(config.max_message_size, theirs.map(Inflater::new)),
            deflater: ours.map(Deflater::new),
            state: CloseState::Open,
            peer_closed: false,
            output: Vec::new(),
            body: Vec::new(),
            mask_state: mask_seed | 1,
            trace: None,
            inspect_bytes: None,
            inspected: Vec::new(),
            messages: 0,
        }
    }

    /// Charges what this connection buffers of incoming frames and messages (at their inflated
    /// size) to `budget`, shared with other connections; see [`crate::budget`].
    pub fn set_budget(&mut self, budget: Budget) {
        self.decoder.set_budget(budget.clone());
        self.assembler.set_budget(budget);
    }

    /// Keeps a [`FrameTrace`] of every frame; read them with [`Connection::take_trace`].
    pub fn enable_trace(&mut self) {
        self.trace = Some(Vec::new());
    }

    /// The frames traced since the last call.
    pub fn take_trace(&mut self) -> Vec<FrameTrace> {
        self.trace.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Keeps a [`WireFrame`] of every frame from now on: header bytes and the first
    /// `payload_bytes` of the payload as on the wire; read them with
    /// [`Connection::take_inspected`]. Until this is called nothing is copied.
    pub fn enable_inspection(&mut self, payload_bytes: usize) {
        self.decoder.capture_wire(Some(payload_bytes));
        self.inspect_bytes = Some(payload_bytes);
    }

    /// Stops keeping [`WireFrame`]s and forgets those not yet taken.
    pub fn disable_inspection(&mut self) {
        self.decoder.capture_wire(None);
        self.inspect_bytes = None;
        self.inspected = Vec::new();
    }

    /// The frames inspected since the last call, oldest first; the allocation is kept.
    pub fn take_inspected(&mut self) -> std::vec::Drain<'_, WireFrame> {
        self.inspected.drain(..)
    }

    /// The closing handshake's state.
    pub fn state(&self) -> CloseState {
        self.state
    }

    /// The settings in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Bytes held for a partial frame or message: what one connection costs in memory.
    pub fn buffered(&self) -> usize {
        self.decoder.buffered() + self.assembler.buffered()
    }

    /// Whether a frame or message has begun arriving and is not yet whole: what a server bounds
    /// in time, since pings between fragments keep a connection from ever being idle.
    pub fn in_message(&self) -> bool {
        self.assembler.in_message() || !self.decoder.is_between_frames()
    }

    /// Text and binary messages received so far: with [`Connection::in_message`], tells a
    /// message that is slow from a stream of messages that each end quickly.
    pub fn messages_received(&self) -> u64 {
        self.messages
    }

    /// Bytes waiting to be written to the peer, unless [`Connection::send_owned`] queued a large
    /// message: its payload is then in the second of [`Connection::output_parts`].
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Bytes waiting to be written to the peer, in two parts to write one after the other (with
    /// one vectored write): the output, then a payload [`Connection::send_owned`] did not copy.
    pub fn output_parts(&self) -> [&[u8]; 2] {
        [&self.output, &self.body]
    }

    /// Forgets the output once written; keeps the allocation for reuse unless it is large, so
    /// a connection that once sent a big message does not hold that memory while it idles.
    pub fn clear_output(&mut self) {
        self.body = Vec::new();
        self.output.clear();
        if self.output.capacity() > KEPT_OUTPUT {
            self.output = Vec::new();
        }
    }

    /// See [`Decoder::payload_room`]: where a large frame's next bytes can be read straight to.
    /// After appending, call [`Connection::receive`] (with no input, if nothing else came).
    pub fn payload_room(
        &mut self,
        min: usize,
        max: usize,
    ) -> Result<Option<(&mut Vec<u8>, usize)>, ProtocolError> {
        self.decoder.payload_room(min, max)
    }

    /// Consumes bytes from `input` and returns the next event, or `Ok(None)` once `input` is used
    /// up. Call again while `input` is not empty. On `Err`, fail the connection with
    /// [`Connection::fail`].
    pub fn receive(&mut self, input: &mut &[u8]) -> Result<Option<Event>, ProtocolError> {
        while !input.is_empty() || !self.decoder.is_between_frames() {
            let Some(frame) = self.decoder.decode(input)? else {
                return Ok(None);
            };
            if self.peer_closed {
                return Err(ProtocolError::FrameAfterClose);
            }
            if let Some(trace) = self.trace.as_mut() {
                let n = frame.payload.len().min(PREVIEW_LEN);
                trace.push(FrameTrace {
                    outgoing: false,
                    header: frame.header,
                    preview: frame.payload[..n].to_vec(),
                });
            }
            if self.inspect_bytes.is_some() {
                self.inspected.extend(self.decoder.take_wire());
            }
            let Some(message) = self.assembler.push(frame)? else {
                continue;
            };
            return Ok(Some(match message {
                Message::Ping(data) => {
                    // RFC 6455 §5.5.3: answer with the same application data, unless closing.
                    if self.state == CloseState::Open {
                        self.send_frame(OpCode::Pong, false, &data);
                    }
                    Event::Message(Message::Ping(data))
                }
                Message::Close(frame) => {
                    self.peer_closed = true;
                    if self.state == CloseState::Open {
                        // RFC 6455 §5.5.1: echo the status code we received.
                        let payload = frame.as_ref().map(|f| {
                            CloseFrame {
                                code: f.code,
                                reason: String::new(),
                            }
                            .payload()
                        });
                        self.send_frame(
                            OpCode::Close,
                            false,
                            payload.as_deref().unwrap_or_default(),
                        );
                    }
                    self.state = CloseState::Closed;
                    Event::Closed(frame)
                }
                other => {
                    self.messages += 1;
                    if let Message::Text(text) = &other {
                        self.note_message_len(false, text.len());
                    } else if let Message::Binary(data) = &other {
                        self.note_message_len(false, data.len());
                    }
                    Event::Message(other)
                }
            }));
        }
        Ok(None)
    }

    /// Hands back a message [`Connection::receive`] returned, once done with it: its buffer then
    /// holds the next small frame that arrives, instead of a new allocation per message.
    pub fn recycle(&mut self, message: Message) {
        let buf = match message {
            Message::Text(text) => text.into_bytes(),
            Message::Binary(data) | Message::Ping(data) | Message::Pong(data) => data,
            Message::Close(_) => return,
        };
        self.decoder.recycle(buf);
    }

    /// Queues a text or binary message whose buffer the caller gives up, as an echo does with
    /// the message it received; other messages are ignored, and so is any once we sent a close
    /// frame. A large one (64 KiB or more, sent uncompressed and unmasked, without trace or
    /// inspection) is not copied: its header goes to the output and its payload is written from
    /// its own buffer after it (see [`Connection::output_parts`]). A smaller one is copied, and
    /// its buffer holds the next frame that arrives, as with [`Connection::recycle`].
    pub fn send_owned(&mut self, message: Message) {
        let (opcode, data) = match message {
            Message::Text(text) => (OpCode::Text, text.into_bytes()),
            Message::Binary(data) => (OpCode::Binary, data),
            _ => return,
        };
        let gather = data.len() >= GATHER_MIN
            && self.state == CloseState::Open
            && self.body.is_empty()
            && self.deflater.is_none()
            && self.config.role == Role::Server
            && self.trace.is_none()
            && self.inspect_bytes.is_none();
        if !gather {
            self.send_message(opcode, &data);
            self.decoder.recycle(data);
            return;
        }
        FrameHeader::new(opcode, data.len() as u64).encode(&mut self.output);
        self.body = data;
    }

    /// Queues a text message. Ignored once we sent a close frame (RFC 6455 §5.5.1).
    pub fn send_text(&mut self, text: &str) {
        self.send_message(OpCode::Text, text.as_bytes());
    }

    /// Queues a binary message. Ignored once we sent a close frame.
    pub fn send_binary(&mut self, data: &[u8]) {
        self.send_message(OpCode::Binary, data);
    }

    /// Queues a ping (at most 125 bytes of `data` are sent).
    pub fn send_ping(&mut self, data: &[u8]) {
        if self.state == CloseState::Open {
            self.send_frame(OpCode::Ping, false, &data[..data.len().min(125)]);
        }
    }

    /// Starts the closing handshake with `code` and `reason`, unless a close was already sent.
    pub fn close(&mut self, code: CloseCode, reason: &str) {
        if self.state == CloseState::Open {
            let payload = CloseFrame {
                code,
                reason: reason.to_owned(),
            }
            .payload();
            self.send_frame(OpCode::Close, false, &payload);
            self.state = CloseState::CloseSent;
        }
    }

    /// Fails the connection for `err` (RFC 6455 §7.1.7): queues a close with its code and reason.
    pub fn fail(&mut self, err: &ProtocolError) {
        self.close(err.close_code(), &err.to_string());
    }

    fn send_message(&mut self, opcode: OpCode, data: &[u8]) {
        if self.state != CloseState::Open {
            return;
        }
        match self.deflater.as_mut() {
            Some(deflater) => {
                let mut compressed = Vec::with_capacity(data.len() / 2 + 16);
                deflater.compress(data, &mut compressed);
                self.send_frame(opcode, true, &compressed);
            }
            None => self.send_frame(opcode, false, data),
        }
        self.note_message_len(true, data.len());
    }

    /// Records a data message's (inflated) size on its last inspected frame.
    fn note_message_len(&mut self, outgoing: bool, len: usize) {
        if self.inspect_bytes.is_some() {
            let frames = self.inspected.iter_mut().rev();
            if let Some(last) = frames.into_iter().find(|f| f.outgoing == outgoing) {
                last.message_len = Some(len);
            }
        }
    }

    fn next_mask(&mut self) -> [u8; 4] {
        // xorshift64: cheap and different per frame; see `new` for what it does not promise.
        let mut x = self.mask_state;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.mask_state = x;
        (x as u32).to_ne_bytes()
    }

    fn send_frame(&mut self, opcode: OpCode, rsv1: bool, payload: &[u8]) {
        if !self.body.is_empty() {
            // A frame after a payload queued uncopied: keep the order by copying it after all.
            let body = std::mem::take(&mut self.body);
            self.output.extend_from_slice(&body);
        }
        let mut header = FrameHeader::new(opcode, payload.len() as u64);
        header.rsv1 = rsv1;
        if self.config.role == Role::Client {
            header.mask = Some(self.next_mask());
        }
        if let Some(trace) = self.trace.as_mut() {
            let n = payload.len().min(PREVIEW_LEN);
            trace.push(FrameTrace {
                outgoing: true,
                header,
                preview: payload[..n].to_vec(),
            });
        }
        let start = self.output.len();
        encode_frame(&mut self.output, &header, payload);
        if let Some(payload_bytes) = self.inspect_bytes {
            // Read back from the output: exactly the bytes that will be written.
            let (head, body) = self.output[start..].split_at(header.encoded_len());
            let kept = body[..body.len().min(payload_bytes)].to_vec();
            self.inspected
                .push(WireFrame::new(true, header, head, kept));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deflate::DeflateParams;

    fn client_frame(opcode: OpCode, fin: bool, payload: &[u8]) -> Vec<u8> {
        let mut header = FrameHeader::new(opcode, payload.len() as u64);
        header.fin = fin;
        header.mask = Some([0xA1, 0xB2, 0xC3, 0xD4]);
        let mut out = Vec::new();
        encode_frame(&mut out, &header, payload);
        out
    }

    fn all_events(conn: &mut Connection, bytes: &[u8]) -> Result<Vec<Event>, ProtocolError> {
        let mut input = bytes;
        let mut events = Vec::new();
        while let Some(e) = conn.receive(&mut input)? {
            events.push(e);
        }
        Ok(events)
    }

    // Captured on lo with `tcpdump -i lo -w ws.pcap` while Python's websockets 17.4 client
    // talked to `ws-chat --deflate` at /echo (permessage-deflate agreed, no parameters); payloads
    // pulled with `tshark -T fields -e tcp.payload`. Client frames are masked with its own keys.
    /// Client: text "Hello", compressed (RSV1).
    static PY_DEFLATE_HELLO: [u8; 13] = [
        0xc1, 0x87, 0xfa, 0x03, 0xb2, 0xd0, 0x08, 0x4b, 0x7f, 0x19, 0x33, 0x04, 0xb2,
    ];
    /// Server: the echo, compressed from a fresh context.
    static ECHO_DEFLATE_HELLO: [u8; 9] = [0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    /// Client: `ws.send(["Hel", "lo"])`, one compressed message over three frames.
    static PY_DEFLATE_FRAGMENTS: [&[u8]; 3] = [
        &[
            0x41, 0x89, 0x51, 0x00, 0x6d, 0xd2, 0xa3, 0x48, 0xa0, 0xd3, 0x51, 0x00, 0x6d, 0x2d,
            0xae,
        ],
        &[
            0x00, 0x88, 0xc4, 0xd0, 0x3d, 0x20, 0x0e, 0x19, 0x3a, 0x20, 0xc4, 0xd0, 0xc2, 0xdf,
        ],
        &[0x80, 0x81, 0xc1, 0x6c, 0x19, 0x78, 0xc1],
    ];
    /// Server: the second echo, which refers back to the first "Hello" (context takeover).
    static ECHO_DEFLATE_HELLO_AGAIN: [u8; 6] = [0xc1, 0x04, 0x02, 0x13, 0x00, 0x00];
    /// Client: close 1000; server: its echo.
    static PY_CLOSE_1000: [u8; 8] = [0x88, 0x82, 0xc7, 0x0c, 0x64, 0x1b, 0xc4, 0xe4];
    static ECHO_CLOSE_1000: [u8; 4] = [0x88, 0x02, 0x03, 0xe8];
    // Same capture, second connection, without compression (`compression=None`).
    static PY_HELLO: [u8; 11] = [
        0x81, 0x85, 0xf9, 0x95, 0x50, 0x6c, 0xb1, 0xf0, 0x3c, 0x00, 0x96,
    ];
    static ECHO_HELLO: [u8; 7] = [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f];
    static PY_PING: [u8; 10] = [0x89, 0x84, 0x1d, 0x47, 0x85, 0x29, 0x6d, 0x2e, 0xeb, 0x4e];
    static PONG: [u8; 6] = [0x8a, 0x04, 0x70, 0x69, 0x6e, 0x67];

    fn reply(conn: &mut Connection, bytes: &[u8]) -> (Vec<Event>, Vec<u8>) {
        let events = all_events(conn, bytes).unwrap();
        for event in &events {
            if let Event::Message(Message::Text(text)) = event {
                conn.send_text(text);
            }
        }
        let out = conn.output().to_vec();
        conn.clear_output();
        (events, out)
    }

    #[test]
    fn captured_python_exchange_with_deflate() {
        let mut conn = Connection::new(
            Config {
                deflate: Some(DeflateParams::default()),
                ..Config::new(Role::Server)
            },
            1,
        );
        let hello = Event::Message(Message::Text("Hello".into()));
        assert_eq!(
            reply(&mut conn, &PY_DEFLATE_HELLO),
            (vec![hello.clone()], ECHO_DEFLATE_HELLO.to_vec())
        );
        let fragments: Vec<u8> = PY_DEFLATE_FRAGMENTS.concat();
        assert_eq!(
            reply(&mut conn, &fragments),
            (vec![hello], ECHO_DEFLATE_HELLO_AGAIN.to_vec())
        );
        let (events, out) = reply(&mut conn, &PY_CLOSE_1000);
        assert_eq!(
            events,
            [Event::Closed(Some(CloseFrame {
                code: CloseCode::Normal,
                reason: String::new()
            }))]
        );
        assert_eq!(out, ECHO_CLOSE_1000);
    }

    #[test]
    fn captured_python_exchange_plain() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        assert_eq!(
            reply(&mut conn, &PY_HELLO),
            (
                vec![Event::Message(Message::Text("Hello".into()))],
                ECHO_HELLO.to_vec()
            )
        );
        assert_eq!(
            reply(&mut conn, &PY_PING),
            (
                vec![Event::Message(Message::Ping(b"ping".to_vec()))],
                PONG.to_vec()
            )
        );
        // Without deflate agreed, the compressed capture is refused for its RSV1 bit.
        let mut plain = Connection::new(Config::new(Role::Server), 1);
        assert_eq!(
            all_events(&mut plain, &PY_DEFLATE_HELLO),
            Err(ProtocolError::ReservedBits { rsv: 0b100 })
        );
    }

    #[test]
    fn ping_gets_a_pong_with_the_same_payload() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        let events = all_events(
            &mut conn,
            &client_frame(OpCode::Ping, true, b"are you there"),
        )
        .unwrap();
        assert_eq!(
            events,
            [Event::Message(Message::Ping(b"are you there".to_vec()))]
        );
        let mut expected = vec![0x8A, 13];
        expected.extend_from_slice(b"are you there");
        assert_eq!(conn.output(), expected);
    }

    #[test]
    fn peer_close_is_echoed_with_its_code_and_ends_the_connection() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        let events = all_events(
            &mut conn,
            &client_frame(OpCode::Close, true, &[0x0F, 0xA0, b'x']),
        )
        .unwrap();
        assert_eq!(
            events,
            [Event::Closed(Some(CloseFrame {
                code: CloseCode::Other(4000),
                reason: "x".into()
            }))]
        );
        assert_eq!(conn.output(), [0x88, 0x02, 0x0F, 0xA0]);
        assert_eq!(conn.state(), CloseState::Closed);
        assert_eq!(
            all_events(&mut conn, &client_frame(OpCode::Text, true, b"late")),
            Err(ProtocolError::FrameAfterClose)
        );
    }

    #[test]
    fn empty_close_is_echoed_empty() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        all_events(&mut conn, &client_frame(OpCode::Close, true, &[])).unwrap();
        assert_eq!(conn.output(), [0x88, 0x00]);
    }

    #[test]
    fn our_close_then_theirs() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        conn.close(CloseCode::GoingAway, "shutting down");
        assert_eq!(conn.state(), CloseState::CloseSent);
        assert_eq!(&conn.output()[..4], [0x88, 15, 0x03, 0xE9]);
        conn.clear_output();
        conn.send_text("dropped");
        assert!(conn.output().is_empty());
        let events =
            all_events(&mut conn, &client_frame(OpCode::Close, true, &[0x03, 0xE9])).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(conn.state(), CloseState::Closed);
        assert!(conn.output().is_empty(), "no second close frame");
    }

    #[test]
    fn fail_sends_the_errors_close_code() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        // Hand-made: unmasked text frame from a client.
        let err = all_events(&mut conn, &[0x81, 0x02, b'h', b'i']).unwrap_err();
        conn.fail(&err);
        assert_eq!(&conn.output()[2..4], 1002u16.to_be_bytes());
    }

    #[test]
    fn client_and_server_talk_with_and_without_deflate() {
        for deflate in [None, Some(DeflateParams::default())] {
            let mut server = Connection::new(
                Config {
                    deflate,
                    ..Config::new(Role::Server)
                },
                1,
            );
            let mut client = Connection::new(
                Config {
                    deflate,
                    ..Config::new(Role::Client)
                },
                42,
            );
            client.send_text("hello hello hello");
            client.send_binary(&[0, 1, 2, 3]);
            let bytes = client.output().to_vec();
            client.clear_output();
            let events = all_events(&mut server, &bytes).unwrap();
            assert_eq!(
                events,
                [
                    Event::Message(Message::Text("hello hello hello".into())),
                    Event::Message(Message::Binary(vec![0, 1, 2, 3]))
                ]
            );
            server.send_text("back");
            let bytes = server.output().to_vec();
            assert_eq!(
                all_events(&mut client, &bytes).unwrap(),
                [Event::Message(Message::Text("back".into()))]
            );
        }
    }

    #[test]
    fn trace_lines_read_like_the_protocol() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        conn.enable_trace();
        all_events(&mut conn, &client_frame(OpCode::Text, true, b"Hello")).unwrap();
        conn.close(CloseCode::Normal, "");
        let lines: Vec<String> = conn.take_trace().iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            [
                "<- text fin=1 rsv=000 mask=a1b2c3d4 len=5 \"Hello\"",
                "-> close fin=1 rsv=000 unmasked len=2 code=1000 Normal Closure reason=\"\""
            ]
        );
    }

    /// Feeds `bytes` one byte at a time, so headers arrive split as a slow network splits them.
    fn byte_by_byte(conn: &mut Connection, bytes: &[u8]) -> Vec<Event> {
        bytes
            .chunks(1)
            .flat_map(|byte| all_events(conn, byte).unwrap())
            .collect()
    }

    #[test]
    fn inspection_keeps_the_wire_bytes_both_ways() {
        for split in [false, true] {
            let mut conn = Connection::new(Config::new(Role::Server), 1);
            conn.enable_inspection(3);
            let events = if split {
                byte_by_byte(&mut conn, &PY_HELLO)
            } else {
                all_events(&mut conn, &PY_HELLO).unwrap()
            };
            assert_eq!(events, [Event::Message(Message::Text("Hello".into()))]);
            conn.send_text("Hello");
            let frames: Vec<WireFrame> = conn.take_inspected().collect();
            assert_eq!(frames.len(), 2, "split={split}");
            let (got, sent) = (&frames[0], &frames[1]);
            assert!(!got.outgoing && sent.outgoing);
            // The header with its key, and the first three payload bytes still masked.
            assert_eq!(got.header_bytes(), &PY_HELLO[..6]);
            assert_eq!(got.header.mask, Some([0xf9, 0x95, 0x50, 0x6c]));
            assert_eq!(got.payload_start, PY_HELLO[6..9]);
            assert_eq!(got.unmasked_start(), b"Hel");
            assert_eq!(got.message_len, Some(5));
            assert_eq!(sent.header_bytes(), &ECHO_HELLO[..2]);
            assert_eq!(sent.payload_start, b"Hel");
            assert_eq!(sent.message_len, Some(5));
            assert_eq!(conn.take_inspected().count(), 0, "taken once");
        }
    }

    #[test]
    fn inspection_shows_compressed_sizes_and_rsv1() {
        let mut conn = Connection::new(
            Config {
                deflate: Some(DeflateParams::default()),
                ..Config::new(Role::Server)
            },
            1,
        );
        conn.enable_inspection(64);
        let (_, out) = reply(&mut conn, &PY_DEFLATE_HELLO);
        assert_eq!(out, ECHO_DEFLATE_HELLO);
        let frames: Vec<WireFrame> = conn.take_inspected().collect();
        assert_eq!(frames.len(), 2);
        assert!(frames[0].header.rsv1 && frames[1].header.rsv1);
        assert_eq!(frames[0].header_bytes(), &PY_DEFLATE_HELLO[..6]);
        assert_eq!(frames[0].payload_start, PY_DEFLATE_HELLO[6..]);
        assert_eq!(frames[0].header.payload_len, 7);
        assert_eq!(frames[0].message_len, Some(5), "inflated size");
        assert_eq!(frames[1].header_bytes(), &ECHO_DEFLATE_HELLO[..2]);
        assert_eq!(frames[1].payload_start, ECHO_DEFLATE_HELLO[2..]);
        assert_eq!(frames[1].message_len, Some(5));
        // A message over three frames: its size is on the last one only.
        for bytes in PY_DEFLATE_FRAGMENTS {
            all_events(&mut conn, bytes).unwrap();
        }
        let lens: Vec<Option<usize>> = conn.take_inspected().map(|f| f.message_len).collect();
        assert_eq!(lens, [None, None, Some(5)]);
    }

    #[test]
    fn a_large_owned_message_is_written_from_its_own_buffer() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        let data = vec![7u8; GATHER_MIN];
        let ptr = data.as_ptr();
        conn.send_owned(Message::Binary(data));
        let [head, body] = conn.output_parts();
        // Hand-made: binary, 64-bit length 65536 (one more than the 16-bit form holds).
        assert_eq!(head, [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0]);
        assert_eq!((body.as_ptr(), body.len()), (ptr, GATHER_MIN), "not copied");
        // A frame queued behind it keeps the order: the payload is copied in before it.
        all_events(&mut conn, &PY_PING).unwrap();
        let [head, body] = conn.output_parts();
        assert!(body.is_empty());
        assert_eq!(head.len(), 10 + GATHER_MIN + PONG.len());
        assert!(head[10..10 + GATHER_MIN].iter().all(|&b| b == 7));
        assert_eq!(&head[10 + GATHER_MIN..], PONG);
        conn.clear_output();
        assert_eq!(conn.output_parts(), [&[][..], &[][..]]);
        // A small one is copied, the same bytes as send_text.
        conn.send_owned(Message::Text("Hello".into()));
        assert_eq!(conn.output_parts(), [&ECHO_HELLO[..], &[][..]]);
    }

    #[test]
    fn without_inspection_nothing_is_kept() {
        let mut conn = Connection::new(Config::new(Role::Server), 1);
        all_events(&mut conn, &PY_HELLO).unwrap();
        conn.send_text("Hello");
        assert_eq!(conn.take_inspected().count(), 0);
        conn.enable_inspection(8);
        conn.send_text("Hello");
        conn.disable_inspection();
        assert_eq!(
            conn.take_inspected().count(),
            0,
            "forgotten when turned off"
        );
        all_events(&mut conn, &PY_PING).unwrap();
        assert_eq!(conn.take_inspected().count(), 0);
    }
}
