//! WebSocket conversations in captured traffic: the second input of the printers.
//!
//! Every TCP connection goes through `wire`'s reassembler. A connection whose client opens
//! with an HTTP request is watched until the server answers; a request with
//! `Upgrade: websocket` answered by `101 Switching Protocols` turns it into a WebSocket
//! connection, whatever the port, and from then on each direction's bytes go to a
//! [`frames::DirDecoder`]. Anything else stops being looked at after its first bytes.
//!
//! Memory is bounded by the reassembler's caps, [`MAX_HTTP_BUFFER`] per direction while the
//! handshake is read, per direction one frame (at most `max_frame`) once upgraded, and at
//! most `max_conns` connections examined at once ([`DEFAULT_MAX_CONNS`]). A connection whose
//! client does not open with something like a request method costs nothing here past its
//! first bytes, and one that carries no byte (a SYN flood's, a port scan's) costs nothing at
//! all: the reassembler reports a flow only when its first bytes come.

pub mod frames;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use websocket::handshake::{accept_key, Request, Response};
use wire::reassembly::{CloseReason, Config, Direction, Event, Reassembler, Segment, Wanted};
use wire::Decoded;

use frames::{DirDecoder, Output};
pub use frames::{GapOutcome, Note, SeenFrame, SeenMessage};

/// Most bytes of one direction held while the handshake is being read.
pub const MAX_HTTP_BUFFER: usize = 16 * 1024;

/// Largest frame decoded whole by default; larger frames keep their first 64 KiB.
pub const DEFAULT_MAX_FRAME: u64 = 64 * 1024;

/// What the tracker reports, for the printers.
#[derive(Debug, Clone)]
pub enum WsEvent {
    /// A WebSocket opening handshake completed.
    Handshake(Handshake),
    /// Decoding started on a `--ws-port` connection without a captured handshake.
    Joined {
        /// The TCP flow's number, shared by every event of the connection.
        flow: u64,
        /// The connection's client side, as the TCP reassembler told them apart.
        client: SocketAddr,
        /// The connection's server side.
        server: SocketAddr,
    },
    /// One frame.
    Frame {
        /// The TCP flow's number.
        flow: u64,
        /// Who sent it.
        dir: Direction,
        /// The frame.
        frame: SeenFrame,
    },
    /// A whole data message (with `--ws-messages`, or when it was compressed).
    Message {
        /// The TCP flow's number.
        flow: u64,
        /// Who sent it.
        dir: Direction,
        /// The message.
        message: SeenMessage,
    },
    /// A gap, resynchronisation or giving up.
    Note {
        /// The TCP flow's number.
        flow: u64,
        /// The direction it is about.
        dir: Direction,
        /// What happened.
        note: Note,
    },
    /// A WebSocket connection's TCP flow ended.
    Closed {
        /// The TCP flow's number.
        flow: u64,
        /// How the flow ended.
        reason: CloseReason,
    },
}

impl WsEvent {
    /// A text, binary or continuation frame that went into a message: with `--ws-messages`
    /// the message stands for it.
    pub fn is_plain_data_frame(&self) -> bool {
        matches!(self, WsEvent::Frame { frame, .. }
            if !frame.header.opcode.is_control()
                && !frame.header.opcode.is_reserved()
                && frame.violations.is_empty()
                && frame.assembled)
    }
}

/// The opening handshake as captured.
#[derive(Debug, Clone)]
pub struct Handshake {
    /// The TCP flow's number, shared by every event of the connection.
    pub flow: u64,
    /// The side that sent the Upgrade request.
    pub client: SocketAddr,
    /// The side that answered it.
    pub server: SocketAddr,
    /// The request target (`GET /chat HTTP/1.1` gives `/chat`).
    pub path: String,
    /// `Sec-WebSocket-Key` as sent (RFC 6455 §4.1).
    pub key: String,
    /// `Sec-WebSocket-Accept` as answered, if the response had one.
    pub accept: Option<String>,
    /// Whether `accept` is what the key asks for (RFC 6455 §4.2.2).
    pub accept_ok: bool,
    /// `Sec-WebSocket-Extensions` as the server agreed them (RFC 6455 §9.1).
    pub extensions: Option<String>,
    /// `Sec-WebSocket-Protocol` as the server chose it (RFC 6455 §1.9).
    pub protocol: Option<String>,
}

/// How the tracker follows streams.
#[derive(Debug, Clone)]
pub struct WsConfig {
    /// Ports decoded as WebSocket from their first byte, handshake or not.
    pub ports: Vec<u16>,
    /// Largest frame decoded whole.
    pub max_frame: u64,
    /// Report whole messages (fragments joined, inflated), not only frames.
    pub messages: bool,
    /// Most connections examined at once; see [`DEFAULT_MAX_CONNS`].
    pub max_conns: usize,
    /// Payload bytes the printer shows of a frame, when it shows only the start (a line
    /// without `--ws-full`): a text frame then keeps only those bytes, all of it checked
    /// all the same. `None` keeps every payload whole (JSON, `--ws-full`).
    pub preview: Option<usize>,
}

impl Default for WsConfig {
    fn default() -> WsConfig {
        WsConfig {
            ports: Vec::new(),
            max_frame: 0,
            messages: false,
            max_conns: DEFAULT_MAX_CONNS,
            preview: None,
        }
    }
}

enum FlowState {
    /// Reading the HTTP heads.
    Http(Box<Http>),
    /// Upgraded: one decoder per direction.
    Ws(Box<[DirDecoder; 2]>),
}

struct Http {
    client: SocketAddr,
    server: SocketAddr,
    /// Each direction's bytes not yet consumed, and the stream offset of their first byte.
    buf: [Vec<u8>; 2],
    start: [u64; 2],
    /// Request heads consumed, oldest first: `Some` for an upgrade request. Boxed, since a
    /// `Vec` keeps room for four from its first push and most connections ask once.
    pending: Vec<Option<Box<Handshake>>>,
    /// No more requests are parsed once an upgrade is asked for: what follows are frames.
    upgrade_asked: bool,
}

/// Most connections examined at once by default (reading a handshake or decoding frames):
/// the reassembler's own flow cap, so a server with tens of thousands of open connections has
/// every one decoded. A larger cap could never be reached, since a flow the reassembler evicts
/// is forgotten here too. An idle upgraded connection costs about 300 bytes (its decoders
/// allocate only while a frame is partly in); a busy one holds at most a few times
/// `max_frame` or [`MAX_HTTP_BUFFER`] bytes per direction, so the cap bounds memory whatever
/// the traffic. Connections past it are counted, not examined.
pub const DEFAULT_MAX_CONNS: usize = 65_536;

/// The flows being examined, by the reassembler's flow number: at most `max_conns`.
/// A flow that is not HTTP (or not WebSocket once its first exchange is seen) is never put
/// here or is dropped at once, so nothing here is looked at but the flow of each event.
#[derive(Default)]
struct Flows {
    /// Looked up on every event of an examined connection: by the reassembler's own seeded
    /// hasher (see `wire::reassembly::lru`), not SipHash.
    map: HashMap<u64, FlowState, foldhash::fast::RandomState>,
    /// The flow the reassembler just reported opened, with its client and server: its first
    /// bytes or gap are the very next event, which decides whether it goes into `map`. One
    /// slot is enough, since the reassembler reports a flow only then.
    opening: Option<(u64, SocketAddr, SocketAddr)>,
    /// Connections not examined because `max_conns` were already.
    skipped: u64,
    /// What a decoder reports for one segment, on its way to the caller's events: one
    /// buffer for every segment, not one allocated per segment.
    outputs: Vec<Output>,
}

impl Flows {
    fn forget(&mut self, flow: u64) -> Option<FlowState> {
        self.map.remove(&flow)
    }

    /// The client and server of `flow` if it was just opened and nothing decided yet.
    fn take_opening(&mut self, flow: u64) -> Option<(SocketAddr, SocketAddr)> {
        match self.opening {
            Some((f, client, server)) if f == flow => {
                self.opening = None;
                Some((client, server))
            }
            _ => None,
        }
    }
}

/// Follows every TCP connection and decodes the WebSocket ones.
pub struct Tracker {
    reassembler: Reassembler,
    flows: Flows,
    config: WsConfig,
}

fn index(dir: Direction) -> usize {
    match dir {
        Direction::ClientToServer => 0,
        Direction::ServerToClient => 1,
    }
}

impl Tracker {
    /// A tracker with nothing seen yet.
    pub fn new(config: WsConfig) -> Tracker {
        Tracker {
            reassembler: Reassembler::new(Config {
                // Flows that carry nothing are no business of the tracker: a SYN flood then
                // costs it nothing.
                announce_at_first_delivery: true,
                ..Config::default()
            }),
            flows: Flows::default(),
            config,
        }
    }

    /// Connections that were not examined because too many were at once.
    pub fn skipped(&self) -> u64 {
        self.flows.skipped
    }

    /// Most connections examined at once.
    pub fn max_conns(&self) -> usize {
        self.config.max_conns
    }

    /// Connections being examined now.
    #[cfg(test)]
    fn examined(&self) -> usize {
        self.flows.map.len()
    }

    /// Feeds one captured frame; what it completes goes to `out`.
    pub fn packet(&mut self, ts: Duration, decoded: &Decoded<'_>, out: &mut Vec<WsEvent>) {
        let Some(seg) = Segment::from_decoded(decoded) else {
            return;
        };
        self.segment(ts, &seg, out);
    }

    /// One TCP segment, as [`Tracker::packet`] hands it on after decoding: the entry point
    /// for segments that come from somewhere other than a captured frame (the fuzz target).
    pub fn segment(&mut self, ts: Duration, seg: &Segment<'_>, out: &mut Vec<WsEvent>) {
        let (flows, config) = (&mut self.flows, &self.config);
        self.reassembler
            .push_wanted(ts, seg, |e| event(flows, config, e, out));
    }

    /// Ends the input: flushes every flow.
    pub fn finish(&mut self, out: &mut Vec<WsEvent>) {
        let (flows, config) = (&mut self.flows, &self.config);
        self.reassembler.finish(|e| {
            event(flows, config, e, out);
        });
    }
}

/// Handles one event of the reassembler, and tells it whether the event's flow is still of
/// interest: a flow neither examined nor just opened never will be again (only the flow just
/// opened can be taken into `map`, and one that leaves it never comes back), so from then on
/// its bytes need not be kept or handed over.
fn event(flows: &mut Flows, config: &WsConfig, e: Event<'_>, out: &mut Vec<WsEvent>) -> Wanted {
    let flow = match e {
        Event::Opened { flow, .. }
        | Event::Data { flow, .. }
        | Event::Gap { flow, .. }
        | Event::Closed { flow, .. } => flow,
    };
    handle(flows, config, e, out);
    let opening = flows.opening.is_some_and(|(f, ..)| f == flow);
    if opening || flows.map.contains_key(&flow) {
        Wanted::Bytes
    } else {
        Wanted::CloseOnly
    }
}

fn handle(flows: &mut Flows, config: &WsConfig, e: Event<'_>, out: &mut Vec<WsEvent>) {
    match e {
        Event::Opened {
            flow,
            client,
            server,
            ..
        } => flows.opening = Some((flow, client, server)),
        Event::Data {
            flow,
            dir,
            offset,
            bytes,
        } => data(flows, config, flow, dir, offset, bytes, out),
        Event::Gap {
            flow,
            dir,
            offset,
            len,
        } => match flows.map.get_mut(&flow) {
            Some(FlowState::Ws(dirs)) => {
                let mut outputs = Vec::new();
                dirs[index(dir)].gap(offset, len, &mut outputs);
                push_outputs(flow, dir, outputs, out);
            }
            // A handshake with a hole cannot be read; a flow that sent nothing yet is
            // joined after the gap only if --ws-port names it.
            Some(FlowState::Http(_)) => {
                flows.forget(flow);
            }
            None => {
                if let Some((client, server)) = flows.take_opening(flow) {
                    if is_ws_port(config, client, server) {
                        start_joined(flows, config, flow, client, server, out);
                        if let Some(FlowState::Ws(dirs)) = flows.map.get_mut(&flow) {
                            let mut outputs = Vec::new();
                            dirs[index(dir)].gap(offset, len, &mut outputs);
                            push_outputs(flow, dir, outputs, out);
                        }
                    }
                }
            }
        },
        Event::Closed { flow, reason } => {
            flows.take_opening(flow);
            if let Some(FlowState::Ws(_)) = flows.forget(flow) {
                out.push(WsEvent::Closed { flow, reason });
            }
        }
    }
}

fn is_ws_port(config: &WsConfig, client: SocketAddr, server: SocketAddr) -> bool {
    config.ports.contains(&server.port()) || config.ports.contains(&client.port())
}

/// Starts decoding a `--ws-port` flow that has no handshake to read.
fn start_joined(
    flows: &mut Flows,
    config: &WsConfig,
    flow: u64,
    client: SocketAddr,
    server: SocketAddr,
    out: &mut Vec<WsEvent>,
) {
    if flows.map.len() >= config.max_conns {
        flows.skipped += 1;
        return;
    }
    out.push(WsEvent::Joined {
        flow,
        client,
        server,
    });
    let max = config.max_frame;
    let joining = |dir| {
        // Whether permessage-deflate was agreed is unknown, so RSV1 is taken as it would be
        // (browsers agree it by default); such messages are shown compressed.
        DirDecoder::joining(dir, 0, websocket::frame::RSV1, max)
            .with_messages(config.messages, None, max_message(max))
            .previewing(config.preview)
    };
    flows.map.insert(
        flow,
        FlowState::Ws(Box::new([
            joining(Direction::ClientToServer),
            joining(Direction::ServerToClient),
        ])),
    );
}

fn data(
    flows: &mut Flows,
    config: &WsConfig,
    flow: u64,
    dir: Direction,
    offset: u64,
    bytes: &[u8],
    out: &mut Vec<WsEvent>,
) {
    if let Some((client, server)) = flows.take_opening(flow) {
        if is_ws_port(config, client, server) {
            start_joined(flows, config, flow, client, server, out);
        } else if dir == Direction::ClientToServer
            && offset == 0
            && bytes.first().is_some_and(u8::is_ascii_uppercase)
        {
            // Starts like a request method: worth reading as HTTP.
            if flows.map.len() >= config.max_conns {
                flows.skipped += 1;
                return;
            }
            flows.map.insert(
                flow,
                FlowState::Http(Box::new(Http {
                    client,
                    server,
                    buf: [Vec::new(), Vec::new()],
                    start: [0, 0],
                    pending: Vec::new(),
                    upgrade_asked: false,
                })),
            );
        } else {
            // Not HTTP, or the server spoke first: never looked at again.
            return;
        }
    }
    let Some(state) = flows.map.get_mut(&flow) else {
        return;
    };
    let forget = match state {
        FlowState::Ws(dirs) => {
            let outputs = &mut flows.outputs;
            dirs[index(dir)].data(bytes, outputs);
            drain_outputs(flow, dir, outputs, out);
            false
        }
        FlowState::Http(http) => {
            let i = index(dir);
            if http.buf[i].is_empty() {
                http.start[i] = offset;
            }
            http.buf[i].extend_from_slice(bytes);
            match http.step(flow, config, out) {
                Step::Wait => http.buf.iter().any(|b| b.len() > MAX_HTTP_BUFFER),
                Step::NotHttp => true,
                Step::Upgraded(mut dirs, rest) => {
                    for (d, bytes) in [
                        (Direction::ClientToServer, rest[0].as_slice()),
                        (Direction::ServerToClient, rest[1].as_slice()),
                    ] {
                        let mut outputs = Vec::new();
                        dirs[index(d)].data(bytes, &mut outputs);
                        push_outputs(flow, d, outputs, out);
                    }
                    *state = FlowState::Ws(dirs);
                    false
                }
            }
        }
    };
    if forget {
        flows.forget(flow);
    }
}

enum Step {
    Wait,
    NotHttp,
    Upgraded(Box<[DirDecoder; 2]>, [Vec<u8>; 2]),
}

impl Http {
    /// Consumes whatever complete heads the buffers hold.
    fn step(&mut self, flow: u64, config: &WsConfig, out: &mut Vec<WsEvent>) -> Step {
        let max_frame = config.max_frame;
        // Requests: each head consumed; a request with a body (rare before an upgrade) ends
        // the watch, since its length would have to be tracked.
        while !self.upgrade_asked && !self.buf[0].is_empty() {
            match Request::parse(&self.buf[0]) {
                Ok(None) => break,
                Err(_) => return Step::NotHttp,
                Ok(Some((req, n))) => {
                    if req
                        .header("content-length")
                        .is_some_and(|v| v.trim() != "0")
                        || req.header("transfer-encoding").is_some()
                    {
                        return Step::NotHttp;
                    }
                    self.buf[0].drain(..n);
                    self.start[0] += n as u64;
                    if req.wants_websocket() {
                        self.upgrade_asked = true;
                        self.pending.push(Some(Box::new(Handshake {
                            flow,
                            client: self.client,
                            server: self.server,
                            path: req.path.clone(),
                            key: req
                                .header("sec-websocket-key")
                                .unwrap_or_default()
                                .to_owned(),
                            accept: None,
                            accept_ok: false,
                            extensions: None,
                            protocol: None,
                        })));
                    } else {
                        self.pending.push(None);
                    }
                }
            }
        }
        // Responses, matched to requests in order.
        while !self.buf[1].is_empty() && !self.pending.is_empty() {
            let (resp, n) = match Response::parse(&self.buf[1]) {
                Ok(None) => return Step::Wait,
                Err(_) => return Step::NotHttp,
                Ok(Some(found)) => found,
            };
            if (100..200).contains(&resp.status) && resp.status != 101 {
                self.buf[1].drain(..n);
                self.start[1] += n as u64;
                continue;
            }
            let request = self.pending.remove(0);
            match (request, resp.status) {
                (Some(mut hs), 101) => {
                    self.buf[1].drain(..n);
                    self.start[1] += n as u64;
                    hs.accept = resp.header("sec-websocket-accept").map(str::to_owned);
                    hs.accept_ok = hs.accept.as_deref() == Some(accept_key(&hs.key).as_str());
                    hs.extensions = resp.header("sec-websocket-extensions").map(str::to_owned);
                    hs.protocol = resp.header("sec-websocket-protocol").map(str::to_owned);
                    // The parameters the server accepted (RFC 7692 §7.1): each side's
                    // compressor resets per message when its no_context_takeover was agreed.
                    let deflate = hs.extensions.as_deref().and_then(|e| {
                        websocket::deflate::parse_extensions([e])
                            .into_iter()
                            .find(|o| o.name == websocket::deflate::EXTENSION_NAME)
                    });
                    let takeover = |name: &str| {
                        deflate
                            .as_ref()
                            .map(|o| o.params.iter().any(|(k, _)| k == name))
                    };
                    let rsv = if deflate.is_some() {
                        websocket::frame::RSV1
                    } else {
                        0
                    };
                    out.push(WsEvent::Handshake(*hs));
                    let max = max_message(max_frame);
                    let dirs = Box::new([
                        DirDecoder::new(Direction::ClientToServer, self.start[0], rsv, max_frame)
                            .with_messages(
                                config.messages,
                                takeover("client_no_context_takeover"),
                                max,
                            )
                            .previewing(config.preview),
                        DirDecoder::new(Direction::ServerToClient, self.start[1], rsv, max_frame)
                            .with_messages(
                                config.messages,
                                takeover("server_no_context_takeover"),
                                max,
                            )
                            .previewing(config.preview),
                    ]);
                    let rest = [
                        std::mem::take(&mut self.buf[0]),
                        std::mem::take(&mut self.buf[1]),
                    ];
                    return Step::Upgraded(dirs, rest);
                }
                (upgrade, _) => {
                    // A response with a body: skip it by Content-Length, or stop watching.
                    let body = match resp.header("content-length") {
                        Some(v) => match v.trim().parse::<usize>() {
                            Ok(len) => len,
                            Err(_) => return Step::NotHttp,
                        },
                        None if resp.status == 204 || resp.status == 304 => 0,
                        None => return Step::NotHttp,
                    };
                    // The length is the peer's word, up to 2^64 - 1. A head and body larger
                    // than the buffer may hold can never be skipped whole, so such a length
                    // is treated like a malformed one (checked, so it cannot wrap either).
                    let end = match n.checked_add(body) {
                        Some(end) if end <= MAX_HTTP_BUFFER => end,
                        _ => return Step::NotHttp,
                    };
                    if self.buf[1].len() < end {
                        // Put the request back and wait for the whole body.
                        self.pending.insert(0, upgrade);
                        return Step::Wait;
                    }
                    if upgrade.is_some() {
                        // The upgrade was refused: HTTP goes on.
                        self.upgrade_asked = false;
                    }
                    self.buf[1].drain(..end);
                    self.start[1] += end as u64;
                }
            }
        }
        if !self.upgrade_asked && !self.buf[0].is_empty() {
            return self.step_again(flow, config, out);
        }
        Step::Wait
    }

    /// After a refused upgrade, requests that were held back may now be parsed.
    fn step_again(&mut self, flow: u64, config: &WsConfig, out: &mut Vec<WsEvent>) -> Step {
        if self.buf[0].is_empty() || Request::parse(&self.buf[0]).ok().flatten().is_none() {
            return Step::Wait;
        }
        self.step(flow, config, out)
    }
}

/// Largest message assembled: messages are held whole until their last frame.
fn max_message(max_frame: u64) -> usize {
    (max_frame as usize).saturating_mul(16)
}

fn push_outputs(flow: u64, dir: Direction, mut outputs: Vec<Output>, out: &mut Vec<WsEvent>) {
    drain_outputs(flow, dir, &mut outputs, out);
}

/// [`push_outputs`] from a buffer that is kept, empty, for the next segment.
fn drain_outputs(flow: u64, dir: Direction, outputs: &mut Vec<Output>, out: &mut Vec<WsEvent>) {
    for o in outputs.drain(..) {
        out.push(match o {
            Output::Frame(frame) => WsEvent::Frame { flow, dir, frame },
            Output::Message(message) => WsEvent::Message { flow, dir, message },
            Output::Note(note) => WsEvent::Note { flow, dir, note },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{IpAddr, Ipv4Addr};
    use wire::reassembly::SeqNum;
    use wire::tcp::Flags;

    fn client(n: u32) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n)), 40_000)
    }

    const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 255, 0, 1)), 80);

    fn send(t: &mut Tracker, n: u32, payload: &[u8]) {
        let seg = Segment {
            src: client(n),
            dst: SERVER,
            seq: SeqNum(1),
            flags: Flags(Flags::ACK.0 | Flags::PSH.0),
            payload,
            missing: 0,
        };
        t.segment(Duration::from_secs(1), &seg, &mut Vec::new());
    }

    #[test]
    fn thousands_of_unfinished_handshakes_cost_at_most_the_cap() {
        const MAX_CONNS: usize = 1024;
        let mut t = Tracker::new(WsConfig {
            max_frame: DEFAULT_MAX_FRAME,
            max_conns: MAX_CONNS,
            ..WsConfig::default()
        });
        // Hand-made: a request head that never ends, from 5000 clients.
        for n in 0..5000 {
            send(&mut t, n, b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n");
        }
        assert_eq!(t.examined(), MAX_CONNS);
        assert_eq!(t.skipped(), 5000 - MAX_CONNS as u64);
    }

    #[test]
    fn a_connection_that_ends_frees_its_place_under_the_cap() {
        let mut t = Tracker::new(WsConfig {
            max_frame: DEFAULT_MAX_FRAME,
            max_conns: 2,
            ..WsConfig::default()
        });
        let head = b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n";
        send(&mut t, 1, head);
        send(&mut t, 2, head);
        assert_eq!(t.examined(), 2);
        let reset = Segment {
            src: client(1),
            dst: SERVER,
            seq: SeqNum(1 + head.len() as u32),
            flags: Flags(Flags::RST.0 | Flags::ACK.0),
            payload: &[],
            missing: 0,
        };
        t.segment(Duration::from_secs(1), &reset, &mut Vec::new());
        assert_eq!(t.examined(), 1);
        // Its place is taken by the next connection; the one after finds none.
        send(&mut t, 3, head);
        assert_eq!((t.examined(), t.skipped()), (2, 0));
        send(&mut t, 4, head);
        assert_eq!((t.examined(), t.skipped()), (2, 1));
    }

    #[test]
    fn a_connection_the_reassembler_evicts_is_forgotten_and_its_place_reused() {
        let mut t = Tracker::new(WsConfig {
            max_frame: DEFAULT_MAX_FRAME,
            ..WsConfig::default()
        });
        // More connections than the reassembler follows: each past its cap evicts the least
        // recently used one, which the tracker forgets at once, so at the default cap no
        // connection is ever turned away.
        let head = b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n";
        for n in 0..DEFAULT_MAX_CONNS as u32 + 1000 {
            send(&mut t, n, head);
        }
        assert_eq!(t.examined(), DEFAULT_MAX_CONNS);
        assert_eq!(t.skipped(), 0);
    }

    fn answer(t: &mut Tracker, n: u32, seq: u32, payload: &[u8]) {
        let seg = Segment {
            src: SERVER,
            dst: client(n),
            seq: SeqNum(seq),
            flags: Flags(Flags::ACK.0 | Flags::PSH.0),
            payload,
            missing: 0,
        };
        t.segment(Duration::from_secs(1), &seg, &mut Vec::new());
    }

    #[test]
    fn a_content_length_too_large_to_add_is_malformed_not_a_panic() {
        let mut t = Tracker::new(WsConfig {
            max_frame: DEFAULT_MAX_FRAME,
            ..WsConfig::default()
        });
        // Hand-made: a refused upgrade whose response claims a body of u64::MAX bytes, whose
        // end would lie past the end of memory; then one claiming more than is ever held.
        for (n, length) in [(1, u64::MAX.to_string()), (2, (1u64 << 40).to_string())] {
            send(
                &mut t,
                n,
                b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                  Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
            );
            assert_eq!(t.examined(), 1);
            let head = format!("HTTP/1.1 400 Bad Request\r\nContent-Length: {length}\r\n\r\nno");
            answer(&mut t, n, 1, head.as_bytes());
            // Such a body can never be skipped within the buffer's bound: the connection
            // is no longer watched.
            assert_eq!(t.examined(), 0, "Content-Length {length}");
        }
    }

    #[test]
    fn connections_that_are_not_http_are_dropped_at_their_first_bytes() {
        let mut t = Tracker::new(WsConfig {
            max_frame: DEFAULT_MAX_FRAME,
            ..WsConfig::default()
        });
        for n in 0..5000 {
            send(&mut t, n, &[0x16, 0x03, 0x01, 0x02, 0x00]); // a TLS record's first bytes
        }
        assert_eq!(t.examined(), 0);
        assert!(t.flows.map.is_empty());
        assert_eq!(t.skipped(), 0);
    }

    fn syn(
        t: &mut Tracker,
        from: SocketAddr,
        to: SocketAddr,
        flags: Flags,
        seq: u32,
    ) -> Vec<WsEvent> {
        let seg = Segment {
            src: from,
            dst: to,
            seq: SeqNum(seq),
            flags,
            payload: &[],
            missing: 0,
        };
        let mut out = Vec::new();
        t.segment(Duration::from_secs(1), &seg, &mut out);
        out
    }

    /// A scanner's endpoint `n`, distinct for each `n` below 2^24.
    fn prober(n: u32) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + n)), 1024)
    }

    #[test]
    fn a_syn_flood_costs_no_entry_and_a_handshake_through_it_is_decoded() {
        let mut t = Tracker::new(WsConfig {
            max_frame: DEFAULT_MAX_FRAME,
            ..WsConfig::default()
        });
        let c = client(1);
        syn(&mut t, c, SERVER, Flags::SYN, 0);
        syn(&mut t, SERVER, c, Flags(Flags::SYN.0 | Flags::ACK.0), 0);
        syn(&mut t, c, SERVER, Flags::ACK, 1);
        // More SYNs from distinct endpoints than the reassembler follows at once, half of
        // them answered by the SYN-ACK of an open port.
        for n in 0..100_000 {
            let mut out = syn(&mut t, prober(n), SERVER, Flags::SYN, n);
            if n % 2 == 0 {
                out.extend(syn(
                    &mut t,
                    SERVER,
                    prober(n),
                    Flags(Flags::SYN.0 | Flags::ACK.0),
                    7,
                ));
            }
            assert!(out.is_empty());
        }
        // Not one was recorded: the map never even allocated.
        assert_eq!(t.flows.map.capacity(), 0);
        assert!(t.flows.opening.is_none());
        // The connection that was established before the flood is still followed.
        let mut out = Vec::new();
        let request = b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\
                        Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
                        Sec-WebSocket-Version: 13\r\n\r\n";
        let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
                         Connection: Upgrade\r\n\
                         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n\
                         \x81\x02hi";
        for (src, dst, payload) in [(c, SERVER, &request[..]), (SERVER, c, &response[..])] {
            let seg = Segment {
                src,
                dst,
                seq: SeqNum(1),
                flags: Flags(Flags::ACK.0 | Flags::PSH.0),
                payload,
                missing: 0,
            };
            t.segment(Duration::from_secs(1), &seg, &mut out);
        }
        assert!(
            matches!(&out[..], [WsEvent::Handshake(hs), WsEvent::Frame { .. }]
                if hs.client == c && hs.server == SERVER && hs.accept_ok),
            "{out:?}"
        );
        assert_eq!(t.examined(), 1);
    }

    #[test]
    fn a_connection_whose_server_speaks_first_is_never_examined() {
        let mut t = Tracker::new(WsConfig {
            max_frame: DEFAULT_MAX_FRAME,
            ..WsConfig::default()
        });
        let c = client(1);
        syn(&mut t, c, SERVER, Flags::SYN, 0);
        syn(&mut t, SERVER, c, Flags(Flags::SYN.0 | Flags::ACK.0), 0);
        syn(&mut t, c, SERVER, Flags::ACK, 1);
        answer(&mut t, 1, 1, b"220 mail.example ESMTP\r\n");
        // A request-like first line from the client after the banner is not the start of
        // the stream: as before, nothing is examined.
        send(&mut t, 1, b"GET /chat HTTP/1.1\r\nUpgrade: websocket\r\n");
        assert_eq!(t.examined(), 0);
        assert_eq!(t.flows.map.capacity(), 0);
    }
}
