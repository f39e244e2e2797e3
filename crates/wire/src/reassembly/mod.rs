//! TCP stream reassembly: turns captured segments into each connection's two byte streams.
//!
//! Connections are keyed by their address/port 4-tuple (IPv4 or IPv6) and hold one
//! [`Direction`] per side. Bytes come out in order from the initial sequence number, or from
//! the first segment seen when the SYN was missed. Out-of-order segments wait in a buffer
//! until the hole before them fills; when bytes are lost for good the reassembler says so
//! with [`Event::Gap`] and moves on rather than waiting forever. A flow opens on a SYN or
//! on the first segment carrying data; a bare ACK, FIN or RST for an unknown flow is
//! ignored. A consumer that only reads bytes can have flows reported only once they deliver
//! something ([`Config::announce_at_first_delivery`]), so that SYNs which go nowhere cost it
//! nothing.
//!
//! # Overlap policy
//! The first copy of a byte wins: bytes already delivered are never delivered again, and
//! a later segment overlapping buffered bytes only contributes the bytes nobody sent yet.
//! Retransmissions therefore change nothing, and a conflicting overlap (which only an
//! attacker or a broken stack sends) cannot rewrite what was already shown.
//!
//! # Memory
//! Buffered out-of-order bytes are capped per flow and in total, each buffered segment
//! counted with a fixed overhead so that floods of one-byte segments are bounded too. When a
//! segment would exceed a cap, the flow skips ahead: every hole before its buffered data is
//! reported as a gap, the buffered data and the new segment are delivered, and the buffer is
//! empty again. The number of flows is capped as well; to make room the reassembler closes
//! the least recently active flow that is not yet established, or when every flow is, the
//! least recently active one. A flood of SYNs or random segments can therefore cost at most
//! the caps, whatever it contains.
//!
//! # Which flow makes room
//! A flow is *established* once both sides were heard and one sent a segment without SYN:
//! the client's ACK of the handshake, or data both ways when the capture joined mid-stream.
//! A SYN flood (answered or not) or a port scan opens flows that never get there, so under
//! such a flood only those compete for room, and a conversation someone is watching is kept
//! even through quiet spells (until the idle timeout). Within each group it is the least
//! recently *seen* flow that goes, not the first opened: closing the first opened would
//! close the longest conversations first.
//!
//! # Time
//! The work per segment does not grow with the number of flows. Each group is kept in the
//! order its flows were last seen, so the flow to close for room, and each idle one, is found
//! at the front in constant time, not by a scan.

pub mod lru;
mod seq;

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use crate::decode::Decoded;
use crate::tcp::Flags;
use lru::Tier;

pub use seq::SeqNum;

/// Bytes charged for each buffered segment on top of its data (map entry and allocation).
pub const SEGMENT_OVERHEAD: usize = 64;

/// Flows the table has room for from the start (at most `max_flows`), so that it never
/// stops to grow while a live capture's ring fills: the default `max_flows`, and also an
/// upper bound for a larger cap, which grows past it as needed.
const RESERVED_FLOWS: usize = 1 << 16;

/// Limits and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Config {
    /// Most out-of-order bytes buffered for one flow (both directions).
    pub max_buffered_per_flow: usize,
    /// Most out-of-order bytes buffered across all flows.
    pub max_buffered_total: usize,
    /// Most flows tracked at once.
    pub max_flows: usize,
    /// A flow with no segment for this long is closed.
    pub idle_timeout: Duration,
    /// Segments starting further than this beyond the next expected byte are dropped as
    /// out of window (TCP windows are at most 2^30 bytes, RFC 7323 §2.3).
    pub max_window: u32,
    /// Report a flow only once it has something to report: its [`Event::Opened`] comes
    /// just before its first [`Event::Data`] or [`Event::Gap`] (and nothing of any other
    /// flow comes between them), and a flow that never delivers a byte or a gap (a SYN that
    /// went nowhere, a scan's probe) is never reported at all, not even its
    /// [`Event::Closed`]. For a consumer that only looks at bytes, so that a flood of new
    /// flows costs it nothing. Off by default: every flow is reported when it opens.
    pub announce_at_first_delivery: bool,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            max_buffered_per_flow: 1 << 20,
            max_buffered_total: 64 << 20,
            max_flows: 65_536,
            idle_timeout: Duration::from_secs(120),
            max_window: 1 << 30,
            announce_at_first_delivery: false,
        }
    }
}

/// Which way bytes flow. The client is the side that sent the SYN, or, when the SYN was
/// not seen, the sender of the first segment seen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// From the client to the server.
    ClientToServer,
    /// From the server to the client.
    ServerToClient,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::ClientToServer => 0,
            Direction::ServerToClient => 1,
        }
    }
}

/// Why a flow ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// Both sides sent FIN and all their bytes arrived.
    Fin,
    /// A side sent RST.
    Reset,
    /// No segment for the idle timeout.
    IdleTimeout,
    /// Closed to make room for a new flow.
    Evicted,
    /// The input ended ([`Reassembler::finish`]).
    EndOfInput,
}

/// What the reassembler reports. Flows are named by a number unique within one
/// reassembler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// A new flow; with [`Config::announce_at_first_delivery`], one about to deliver its
    /// first bytes or gap.
    Opened {
        /// Flow number.
        flow: u64,
        /// Client side.
        client: SocketAddr,
        /// Server side.
        server: SocketAddr,
        /// True when the flow started with a SYN, so offsets count from the ISN.
        syn_seen: bool,
    },
    /// The next bytes of one direction, in order.
    Data {
        /// Flow number.
        flow: u64,
        /// Direction.
        dir: Direction,
        /// Stream offset of the first byte (0 = first byte after the SYN or first seen).
        offset: u64,
        /// The bytes.
        bytes: &'a [u8],
    },
    /// Bytes of one direction that will never arrive.
    Gap {
        /// Flow number.
        flow: u64,
        /// Direction.
        dir: Direction,
        /// Stream offset of the first missing byte.
        offset: u64,
        /// Number of missing bytes.
        len: u64,
    },
    /// The flow ended; no more events for it. Only for flows that were [`Event::Opened`].
    Closed {
        /// Flow number.
        flow: u64,
        /// Why.
        reason: CloseReason,
    },
}

/// What a consumer wants of a flow after one of its events, as it tells
/// [`Reassembler::push_wanted`]: a consumer that looks at some flows only (a WebSocket
/// tracker, which drops every connection that does not start like HTTP) says so, and the
/// flows it dropped cost no copy of their bytes any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wanted {
    /// Go on delivering the flow's bytes and gaps.
    Bytes,
    /// No more [`Event::Data`] or [`Event::Gap`] for this flow; its [`Event::Closed`] still
    /// comes. The flow is followed as before, sequence numbers, out-of-order ranges, caps
    /// and all, so it closes, is evicted and counts against the caps exactly as it would
    /// have: only its bytes are no longer kept or handed out.
    CloseOnly,
}

/// Counters, for a learner to see what reassembly did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stats {
    /// Segments pushed.
    pub segments: u64,
    /// Bytes delivered in `Data` events.
    pub delivered_bytes: u64,
    /// Bytes reported missing in `Gap` events.
    pub gap_bytes: u64,
    /// Bytes received again after they were delivered or buffered.
    pub duplicate_bytes: u64,
    /// Bytes dropped as out of window.
    pub out_of_window_bytes: u64,
    /// Flows opened.
    pub flows_opened: u64,
    /// Flows closed to make room.
    pub flows_evicted: u64,
    /// Times a flow skipped ahead because a buffer cap was reached.
    pub cap_evictions: u64,
    /// Out-of-order bytes (plus overhead) buffered right now.
    pub buffered_now: usize,
}

/// One TCP segment as the reassembler needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// Sender.
    pub src: SocketAddr,
    /// Receiver.
    pub dst: SocketAddr,
    /// Sequence number.
    pub seq: SeqNum,
    /// Flags.
    pub flags: Flags,
    /// Captured data.
    pub payload: &'a [u8],
    /// Data bytes the segment carried on the wire beyond `payload` (cut by the snap
    /// length); they are reported as a gap.
    pub missing: u32,
}

impl<'a> Segment<'a> {
    /// Extracts the segment from a decoded frame holding IPv4 or IPv6 and TCP.
    pub fn from_decoded(d: &Decoded<'a>) -> Option<Segment<'a>> {
        let tcp = d.tcp()?;
        let (src, dst) = d.addrs()?;
        let (t_at, _) = d.transport?;
        let (n_at, net) = d.network?;
        let ip_end = match net {
            crate::decode::Network::Ipv4(p) => n_at + usize::from(p.total_len()),
            crate::decode::Network::Ipv6(p) => {
                n_at + crate::ipv6::HEADER_LEN + usize::from(p.payload_len())
            }
            crate::decode::Network::Arp(_) => return None,
        };
        let wire_payload = ip_end.saturating_sub(t_at + tcp.header_len());
        let payload = tcp.payload();
        let payload = &payload[..payload.len().min(wire_payload)];
        Some(Segment {
            src: SocketAddr::new(src, tcp.src_port()),
            dst: SocketAddr::new(dst, tcp.dst_port()),
            seq: SeqNum(tcp.seq_number()),
            flags: tcp.flags(),
            payload,
            missing: (wire_payload - payload.len()) as u32,
        })
    }
}

/// Order-independent key of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FlowKey(SocketAddr, SocketAddr);

/// Hashed as one 36-byte string (each side's address as IPv6, then its port): the table's
/// seeded hasher (see [`lru`], so crafted addresses cannot pile flows into one bucket) then
/// runs once over it rather than once per field, on every segment. Keys that are equal encode
/// equally, which is all `Hash` needs.
impl Hash for FlowKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut buf = [0u8; 36];
        for (side, addr) in buf.chunks_exact_mut(18).zip([self.0, self.1]) {
            let ip = match addr.ip() {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            side[..16].copy_from_slice(&ip.octets());
            side[16..].copy_from_slice(&addr.port().to_be_bytes());
        }
        state.write(&buf);
    }
}

impl FlowKey {
    fn new(a: SocketAddr, b: SocketAddr) -> FlowKey {
        if a <= b {
            FlowKey(a, b)
        } else {
            FlowKey(b, a)
        }
    }
}

#[derive(Debug, Default)]
struct Half {
    started: bool,
    /// Sequence number of the byte at stream offset `delivered`.
    next: SeqNum,
    /// Bytes of this direction delivered or reported as gaps.
    delivered: u64,
    /// Out-of-order data by stream offset; ranges never overlap.
    ooo: BTreeMap<u64, Held>,
    /// Charged bytes in `ooo`.
    buffered: usize,
    /// Stream offset just past the last byte, once FIN is seen.
    fin_at: Option<u64>,
    finished: bool,
}

/// A range of out-of-order bytes: its length, and the bytes unless nobody wants them
/// ([`Wanted::CloseOnly`]), when only the range is kept.
#[derive(Debug)]
struct Held {
    len: usize,
    bytes: Vec<u8>,
}

#[derive(Debug)]
struct Flow {
    id: u64,
    client: SocketAddr,
    half: [Half; 2],
    last_seen: Duration,
    /// Per direction: a segment was seen.
    heard: [bool; 2],
    /// A segment without SYN was seen, either way.
    past_syn: bool,
    /// Both sides heard and one past its SYN; the flow moved to the protected tier.
    established: bool,
    /// Whether the flow opened on a SYN, for an [`Event::Opened`] reported late.
    syn_seen: bool,
    /// [`Event::Opened`] was reported.
    announced: bool,
    /// The consumer wants no more of its bytes ([`Wanted::CloseOnly`]).
    ignored: bool,
}

impl Flow {
    /// The [`Event::Opened`] of this flow, known by `key`.
    fn opened(&self, key: FlowKey) -> Event<'static> {
        Event::Opened {
            flow: self.id,
            client: self.client,
            server: if key.0 == self.client { key.1 } else { key.0 },
            syn_seen: self.syn_seen,
        }
    }
}

/// Flows by key, least recently seen first; established flows are the protected tier.
type FlowTable = lru::LruMap<FlowKey, Flow>;

struct Ctx<'s, F> {
    cfg: Config,
    total: &'s mut usize,
    stats: &'s mut Stats,
    sink: &'s mut F,
    /// The flow's [`Event::Opened`], while it is still to be reported before its first
    /// delivery ([`Config::announce_at_first_delivery`]).
    announce: Option<Event<'static>>,
    /// The consumer wants no more of this flow's bytes: they are counted, not delivered.
    ignored: bool,
}

impl<F: FnMut(Event<'_>) -> Wanted> Ctx<'_, F> {
    fn data(&mut self, flow: u64, dir: Direction, offset: u64, bytes: &[u8]) {
        if !bytes.is_empty() {
            self.stats.delivered_bytes += bytes.len() as u64;
            self.announce();
            if self.ignored {
                return;
            }
            let wanted = (self.sink)(Event::Data {
                flow,
                dir,
                offset,
                bytes,
            });
            self.ignored = wanted == Wanted::CloseOnly;
        }
    }

    fn gap(&mut self, flow: u64, dir: Direction, offset: u64, len: u64) {
        if len > 0 {
            self.stats.gap_bytes += len;
            self.announce();
            if self.ignored {
                return;
            }
            let wanted = (self.sink)(Event::Gap {
                flow,
                dir,
                offset,
                len,
            });
            self.ignored = wanted == Wanted::CloseOnly;
        }
    }

    fn announce(&mut self) {
        if let Some(opened) = self.announce.take() {
            self.ignored |= (self.sink)(opened) == Wanted::CloseOnly;
        }
    }
}

impl Half {
    fn advance(&mut self, n: u64) {
        self.delivered += n;
        self.next = self.next + n as u32;
    }

    /// Delivers buffered segments that now touch the delivered edge.
    fn drain<F: FnMut(Event<'_>) -> Wanted>(
        &mut self,
        id: u64,
        dir: Direction,
        cx: &mut Ctx<'_, F>,
    ) {
        while let Some(entry) = self.ooo.first_entry() {
            let at = *entry.key();
            if at > self.delivered {
                break;
            }
            let held = entry.remove();
            let charge = held.len + SEGMENT_OVERHEAD;
            self.buffered -= charge;
            *cx.total -= charge;
            let skip = (self.delivered - at) as usize;
            if skip < held.len {
                // Bytes not kept were not wanted: `data` hands nothing out for such a flow.
                cx.data(
                    id,
                    dir,
                    self.delivered,
                    held.bytes.get(skip..).unwrap_or(&[]),
                );
                self.advance((held.len - skip) as u64);
            }
        }
        if self.fin_at.is_some_and(|f| f <= self.delivered) {
            self.finished = true;
        }
    }

    /// Gives up on every hole: reports each as a gap and delivers all buffered data.
    fn flush<F: FnMut(Event<'_>) -> Wanted>(
        &mut self,
        id: u64,
        dir: Direction,
        cx: &mut Ctx<'_, F>,
    ) {
        while let Some((&at, _)) = self.ooo.first_key_value() {
            if at > self.delivered {
                cx.gap(id, dir, self.delivered, at - self.delivered);
                self.advance(at - self.delivered);
            }
            self.drain(id, dir, cx);
        }
    }

    fn segment<F: FnMut(Event<'_>) -> Wanted>(
        &mut self,
        id: u64,
        dir: Direction,
        seg: &Segment<'_>,
        flow_buffered: usize,
        cx: &mut Ctx<'_, F>,
    ) {
        let syn = seg.flags.contains(Flags::SYN);
        let data_seq = if syn { seg.seq + 1 } else { seg.seq };
        if !self.started {
            self.started = true;
            self.next = data_seq;
        }
        let rel = i64::from(data_seq.diff(self.next));
        let len = seg.payload.len() as u64 + u64::from(seg.missing);
        if rel > i64::from(cx.cfg.max_window) || rel < -i64::from(cx.cfg.max_window) {
            cx.stats.out_of_window_bytes += len;
            return;
        }
        let start = self.delivered as i64 + rel;
        let end = start + len as i64;
        if seg.flags.contains(Flags::FIN) && self.fin_at.is_none() && end >= 0 {
            self.fin_at = Some(end as u64);
        }
        let delivered = self.delivered as i64;
        if end <= delivered {
            cx.stats.duplicate_bytes += len;
        } else {
            let skip = (delivered - start).max(0) as usize;
            cx.stats.duplicate_bytes += skip as u64;
            let start = start.max(delivered) as u64;
            let captured = seg.payload.get(skip..).unwrap_or(&[]);
            let missing = len - skip as u64 - captured.len() as u64;
            if start == self.delivered {
                cx.data(id, dir, start, captured);
                self.advance(captured.len() as u64);
                cx.gap(id, dir, self.delivered, missing);
                self.advance(missing);
                self.drain(id, dir, cx);
            } else {
                self.buffer(id, dir, start, captured, flow_buffered, cx);
            }
        }
        if self.fin_at.is_some_and(|f| f <= self.delivered) {
            self.finished = true;
        }
    }

    fn buffer<F: FnMut(Event<'_>) -> Wanted>(
        &mut self,
        id: u64,
        dir: Direction,
        start: u64,
        bytes: &[u8],
        flow_buffered: usize,
        cx: &mut Ctx<'_, F>,
    ) {
        // The parts of [start, end) no buffered segment holds yet: the first copy wins.
        let end = start + bytes.len() as u64;
        let mut pieces: Vec<(u64, u64)> = Vec::new();
        let mut cursor = start;
        // Ranges never overlap, so of those starting before `start` only the last can reach
        // into the segment: it and those starting inside it are all there is to look at, not
        // every range held below its end.
        let before = self.ooo.range(..start).next_back();
        for (&k, v) in before.into_iter().chain(self.ooo.range(start..end)) {
            let kend = k + v.len as u64;
            if kend <= cursor {
                continue;
            }
            if k > cursor {
                pieces.push((cursor, k));
            }
            cursor = cursor.max(kend);
        }
        if cursor < end {
            pieces.push((cursor, end));
        }
        let fresh: u64 = pieces.iter().map(|(a, b)| b - a).sum();
        cx.stats.duplicate_bytes += bytes.len() as u64 - fresh;
        let charge = fresh as usize + pieces.len() * SEGMENT_OVERHEAD;
        let over_flow = flow_buffered + charge > cx.cfg.max_buffered_per_flow;
        let over_total = *cx.total + charge > cx.cfg.max_buffered_total;
        if over_flow || over_total {
            // Skip ahead instead of growing: report the holes, deliver what is held and
            // then this segment, and keep nothing.
            cx.stats.cap_evictions += 1;
            self.flush(id, dir, cx);
            if start > self.delivered {
                cx.gap(id, dir, self.delivered, start - self.delivered);
                self.advance(start - self.delivered);
            }
            let skip = (self.delivered - start) as usize;
            if skip < bytes.len() {
                cx.data(id, dir, self.delivered, &bytes[skip..]);
                self.advance((bytes.len() - skip) as u64);
            }
            return;
        }
        for (a, b) in pieces {
            let off = (a - start) as usize;
            let len = (b - a) as usize;
            // A flow nobody wants the bytes of keeps only the range, charged all the same.
            let bytes = match cx.ignored {
                false => bytes[off..off + len].to_vec(),
                true => Vec::new(),
            };
            self.ooo.insert(a, Held { len, bytes });
        }
        self.buffered += charge;
        *cx.total += charge;
    }
}

/// Reassembles every TCP connection in a capture.
#[derive(Debug)]
pub struct Reassembler {
    cfg: Config,
    flows: FlowTable,
    next_id: u64,
    total: usize,
    stats: Stats,
}

impl Reassembler {
    /// A reassembler with the given limits.
    pub fn new(cfg: Config) -> Reassembler {
        Reassembler {
            cfg,
            flows: FlowTable::with_capacity(cfg.max_flows.min(RESERVED_FLOWS)),
            next_id: 0,
            total: 0,
            stats: Stats::default(),
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> Stats {
        Stats {
            buffered_now: self.total,
            ..self.stats
        }
    }

    /// Flows currently tracked.
    pub fn flow_count(&self) -> usize {
        self.flows.len()
    }

    /// Feeds one segment captured at `now`; events go to `sink` as they happen. Flows idle
    /// for the idle timeout are closed first.
    pub fn push(&mut self, now: Duration, seg: &Segment<'_>, mut sink: impl FnMut(Event<'_>)) {
        self.push_wanted(now, seg, |e| {
            sink(e);
            Wanted::Bytes
        });
    }

    /// [`Reassembler::push`] for a consumer that answers each event with what it still
    /// wants of that event's flow: after [`Wanted::CloseOnly`] the flow's bytes are neither
    /// kept nor delivered, and only its [`Event::Closed`] is still reported. The answer to
    /// an event of another flow than the segment's (one closed to make room or for being
    /// idle, which is already on its way out) changes nothing.
    pub fn push_wanted(
        &mut self,
        now: Duration,
        seg: &Segment<'_>,
        mut sink: impl FnMut(Event<'_>) -> Wanted,
    ) {
        self.stats.segments += 1;
        self.expire_wanted(now, &mut sink);
        let key = FlowKey::new(seg.src, seg.dst);
        let rst = seg.flags.contains(Flags::RST);
        let at = match self.flows.touch(&key) {
            Some(at) => at,
            None => {
                // Nothing to deliver and no SYN: opening a flow here would only make a ghost
                // of the final ACK of a connection that just closed.
                let has_data = !seg.payload.is_empty() || seg.missing > 0;
                if rst || !(has_data || seg.flags.contains(Flags::SYN)) {
                    return;
                }
                if self.flows.len() >= self.cfg.max_flows {
                    self.evict_oldest(&mut sink);
                }
                let syn_only = seg.flags.contains(Flags::SYN) && !seg.flags.contains(Flags::ACK);
                let synack = seg.flags.contains(Flags::SYN) && seg.flags.contains(Flags::ACK);
                let (client, server) = if synack {
                    (seg.dst, seg.src)
                } else {
                    (seg.src, seg.dst)
                };
                let id = self.next_id;
                self.next_id += 1;
                self.stats.flows_opened += 1;
                let announced = !self.cfg.announce_at_first_delivery;
                let mut ignored = false;
                if announced {
                    ignored = sink(Event::Opened {
                        flow: id,
                        client,
                        server,
                        syn_seen: syn_only || synack,
                    }) == Wanted::CloseOnly;
                }
                self.flows.insert(
                    key,
                    Flow {
                        id,
                        client,
                        half: [Half::default(), Half::default()],
                        last_seen: now,
                        heard: [false; 2],
                        past_syn: false,
                        established: false,
                        syn_seen: syn_only || synack,
                        announced,
                        ignored,
                    },
                )
            }
        };
        let flow = self.flows.get_mut(at);
        flow.last_seen = now;
        let dir = if seg.src == flow.client {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let flow_buffered = flow.half[0].buffered + flow.half[1].buffered;
        flow.heard[dir.index()] = true;
        flow.past_syn |= !seg.flags.contains(Flags::SYN);
        let promote = !flow.established && flow.past_syn && flow.heard == [true; 2];
        flow.established |= promote;
        let mut cx = Ctx {
            cfg: self.cfg,
            total: &mut self.total,
            stats: &mut self.stats,
            sink: &mut sink,
            announce: (!flow.announced).then(|| flow.opened(key)),
            ignored: flow.ignored,
        };
        let id = flow.id;
        let reason = if rst {
            Some(CloseReason::Reset)
        } else {
            flow.half[dir.index()].segment(id, dir, seg, flow_buffered, &mut cx);
            flow.half
                .iter()
                .all(|h| h.finished)
                .then_some(CloseReason::Fin)
        };
        flow.announced = cx.announce.is_none();
        flow.ignored = cx.ignored;
        if let Some(reason) = reason {
            let (_, mut flow) = self.flows.remove(at);
            Self::close(&mut flow, reason, &mut cx);
        } else if promote {
            self.flows.promote(at);
        }
    }

    fn close<F: FnMut(Event<'_>) -> Wanted>(
        flow: &mut Flow,
        reason: CloseReason,
        cx: &mut Ctx<'_, F>,
    ) {
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let h = &mut flow.half[dir.index()];
            h.flush(flow.id, dir, cx);
            if let Some(f) = h.fin_at {
                if f > h.delivered {
                    cx.gap(flow.id, dir, h.delivered, f - h.delivered);
                    h.advance(f - h.delivered);
                }
            }
        }
        // A flow still unannounced delivered nothing, even now: it was never reported.
        if cx.announce.is_none() {
            (cx.sink)(Event::Closed {
                flow: flow.id,
                reason,
            });
        }
    }

    fn remove_with<F: FnMut(Event<'_>) -> Wanted>(
        &mut self,
        at: u32,
        reason: CloseReason,
        sink: &mut F,
    ) {
        let (key, mut flow) = self.flows.remove(at);
        let mut cx = Ctx {
            cfg: self.cfg,
            total: &mut self.total,
            stats: &mut self.stats,
            sink,
            announce: (!flow.announced).then(|| flow.opened(key)),
            ignored: flow.ignored,
        };
        Self::close(&mut flow, reason, &mut cx);
    }

    fn evict_oldest<F: FnMut(Event<'_>) -> Wanted>(&mut self, sink: &mut F) {
        if let Some(at) = self.flows.oldest() {
            self.stats.flows_evicted += 1;
            self.remove_with(at, CloseReason::Evicted, sink);
        }
    }

    /// Closes flows idle since before `now - idle_timeout`, least recently seen first in
    /// each group (not yet established, then established).
    ///
    /// Only the idle flows and the first active one of each group are looked at. Flows are
    /// ordered by arrival; a capture whose timestamps step backwards may keep a flow behind
    /// a later one a little past its timeout, never close one before it.
    pub fn expire(&mut self, now: Duration, mut sink: impl FnMut(Event<'_>)) {
        self.expire_wanted(now, &mut |e| {
            sink(e);
            Wanted::Bytes
        });
    }

    fn expire_wanted<F: FnMut(Event<'_>) -> Wanted>(&mut self, now: Duration, sink: &mut F) {
        for tier in [Tier::Probation, Tier::Protected] {
            while let Some(at) = self.flows.oldest_in(tier) {
                if now.saturating_sub(self.flows.get(at).last_seen) < self.cfg.idle_timeout {
                    break;
                }
                self.remove_with(at, CloseReason::IdleTimeout, sink);
            }
        }
    }

    /// Entries of the flow table looked at to choose flows to close.
    #[cfg(test)]
    fn table_examined(&self) -> u64 {
        self.flows.examined()
    }

    /// Ends the input: every flow reports its remaining holes and buffered data, then
    /// closes, in the order the flows opened.
    pub fn finish(&mut self, mut sink: impl FnMut(Event<'_>)) {
        let mut all: Vec<(u64, u32)> = self.flows.values().map(|(at, f)| (f.id, at)).collect();
        all.sort_unstable_by_key(|(id, _)| *id);
        let mut sink = |e: Event<'_>| {
            sink(e);
            Wanted::Bytes
        };
        for (_, at) in all {
            self.remove_with(at, CloseReason::EndOfInput, &mut sink);
        }
    }
}

#[cfg(test)]
mod tests;
