//! TCP conversations followed segment by segment, for the pictures: which side is the client,
//! what each segment said in relative numbers, which segments were retransmissions, and when a
//! conversation is over. Conversations are numbered as tshark's `tcp.stream` numbers them.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

use wire::tcp::{Flags, TcpOption};
use wire::Decoded;

/// Most segments kept for one conversation by default; later ones are counted, not kept.
pub const MAX_SEGMENTS: usize = 1000;

/// Most conversations kept at once; a conversation that starts while this many are kept is
/// counted, not kept.
pub const MAX_CONVERSATIONS: usize = 256;

/// Most addresses remembered for numbering: past this, conversations already finished are
/// forgotten, and a late packet of one of them would start a new number.
const MAX_KNOWN: usize = 65_536;

/// Which way a segment went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// From the client (the side that sent the SYN, or else the first sender).
    Client,
    /// From the server.
    Server,
}

impl Side {
    fn index(self) -> usize {
        match self {
            Side::Client => 0,
            Side::Server => 1,
        }
    }
}

/// One segment as the pictures show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seg {
    /// Since the conversation's first packet.
    pub at: Duration,
    /// Who sent it.
    pub from: Side,
    /// Its flags.
    pub flags: Flags,
    /// Sequence number relative to the sender's initial one (the SYN is 0).
    pub seq: u32,
    /// Acknowledgment number relative to the receiver's initial sequence number, when ACK is
    /// set.
    pub ack: Option<u32>,
    /// Payload bytes.
    pub len: u32,
    /// The window field as sent (not scaled).
    pub win: u16,
    /// The window in bytes: the field shifted by the sender's window scale once both SYNs
    /// agreed one (RFC 7323 §2.3; SYNs are never scaled).
    pub win_bytes: u64,
    /// The window in bytes differs from the sender's previous segment's.
    pub win_changed: bool,
    /// MSS option (SYNs).
    pub mss: Option<u16>,
    /// Window scale option (SYNs).
    pub wscale: Option<u8>,
    /// SACK blocks, relative to the receiver's initial sequence number (RFC 2018).
    pub sack: Vec<(u32, u32)>,
    /// It carried sequence space (data, SYN or FIN) that this side had already sent.
    pub retransmission: bool,
    /// What else the segment completed (WebSocket frames and messages), one line each.
    pub notes: Vec<String>,
}

impl Seg {
    /// Sequence space the segment occupies: its payload, plus one for SYN and for FIN.
    pub fn space(&self) -> u32 {
        self.len
            + u32::from(self.flags.contains(Flags::SYN))
            + u32::from(self.flags.contains(Flags::FIN))
    }
}

/// How a conversation ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// Both sides sent FIN and each FIN was acknowledged.
    Fin,
    /// A reset, from this side.
    Reset(Side),
}

/// What one side has sent so far.
#[derive(Debug, Clone, Default)]
struct DirState {
    /// The sequence number relative numbers count from.
    base: Option<u32>,
    /// Relative end of the highest sequence space sent.
    high: Option<u32>,
    last_win: Option<u64>,
    wscale: Option<u8>,
    /// Relative end of this side's FIN, once sent.
    fin_end: Option<u32>,
    fin_acked: bool,
    bytes: u64,
}

/// One TCP conversation.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// tshark's `tcp.stream` number: 0-based, in order of first packet.
    pub stream: u64,
    /// The client's address.
    pub client: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// Whether a SYN told the sides apart (otherwise the first sender is the client).
    pub by_syn: bool,
    /// When its first packet was captured.
    pub start: Duration,
    /// Its segments in capture order, the first `cap`.
    pub segments: Vec<Seg>,
    /// Most segments kept.
    pub cap: usize,
    /// Segments after the first `cap`, counted only.
    pub omitted: u64,
    /// Segments seen in all, kept or not.
    pub total: u64,
    /// Retransmissions seen in all.
    pub retransmissions: u64,
    /// How it ended, if it did.
    pub ending: Option<Ending>,
    dirs: [DirState; 2],
}

impl Conversation {
    /// Payload bytes this side sent (retransmissions included).
    pub fn bytes_from(&self, side: Side) -> u64 {
        self.dirs[side.index()].bytes
    }

    /// The window scale `side` may apply, once both SYNs carried the option.
    fn scale(&self, side: Side) -> u8 {
        match (self.dirs[0].wscale, self.dirs[1].wscale) {
            (Some(_), Some(_)) => self.dirs[side.index()].wscale.unwrap_or(0).min(14),
            _ => 0,
        }
    }

    fn add(&mut self, at: Duration, from: Side, tcp: &wire::tcp::Packet<&[u8]>, len: u32) {
        let flags = tcp.flags();
        let me = from.index();
        let other = 1 - me;
        let raw_seq = tcp.seq_number();
        let base = *self.dirs[me].base.get_or_insert_with(|| {
            // Without its SYN, the first sequence number seen counts as 1, as after a SYN.
            if flags.contains(Flags::SYN) {
                raw_seq
            } else {
                raw_seq.wrapping_sub(1)
            }
        });
        let seq = raw_seq.wrapping_sub(base);
        let ack = flags.contains(Flags::ACK).then(|| {
            let raw_ack = tcp.ack_number();
            // The peer's next byte is what this side acknowledges: number from there when the
            // peer has said nothing yet.
            let peer_base = *self.dirs[other]
                .base
                .get_or_insert_with(|| raw_ack.wrapping_sub(1));
            raw_ack.wrapping_sub(peer_base)
        });
        let (mut mss, mut wscale, mut sack) = (None, None, Vec::new());
        for placed in tcp.options().flatten() {
            match placed.option {
                TcpOption::Mss(v) => mss = Some(v),
                TcpOption::WindowScale(v) => wscale = Some(v),
                TcpOption::Sack(blocks) => {
                    let peer_base = self.dirs[other].base.unwrap_or(0);
                    sack.extend(
                        blocks
                            .iter()
                            .flatten()
                            .map(|&(l, r)| (l.wrapping_sub(peer_base), r.wrapping_sub(peer_base))),
                    )
                }
                _ => {}
            }
        }
        if flags.contains(Flags::SYN) {
            self.dirs[me].wscale = wscale;
        }
        let win = tcp.window_len();
        let win_bytes = if flags.contains(Flags::SYN) {
            u64::from(win)
        } else {
            u64::from(win) << self.scale(from)
        };
        let mut seg = Seg {
            at,
            from,
            flags,
            seq,
            ack,
            len,
            win,
            win_bytes,
            win_changed: self.dirs[me].last_win.is_some_and(|w| w != win_bytes),
            mss,
            wscale,
            sack,
            retransmission: false,
            notes: Vec::new(),
        };
        let space = seg.space();
        let d = &mut self.dirs[me];
        d.last_win = Some(win_bytes);
        d.bytes += u64::from(len);
        if space > 0 {
            let end = seq.wrapping_add(space);
            match d.high {
                // Any of its range sent before: sequence numbers compare modulo 2^32.
                Some(high) if (seq.wrapping_sub(high) as i32) < 0 => {
                    seg.retransmission = true;
                    if (end.wrapping_sub(high) as i32) > 0 {
                        d.high = Some(end);
                    }
                }
                _ => d.high = Some(end),
            }
        }
        if flags.contains(Flags::FIN) {
            d.fin_end = Some(seq.wrapping_add(space));
        }
        if let (Some(ack), Some(fin_end)) = (ack, self.dirs[other].fin_end) {
            if (ack.wrapping_sub(fin_end) as i32) >= 0 {
                self.dirs[other].fin_acked = true;
            }
        }
        if flags.contains(Flags::RST) {
            self.ending.get_or_insert(Ending::Reset(from));
        } else if self.dirs.iter().all(|d| d.fin_acked) {
            self.ending.get_or_insert(Ending::Fin);
        }
        self.total += 1;
        if seg.retransmission {
            self.retransmissions += 1;
        }
        if self.segments.len() < self.cap {
            self.segments.push(seg);
        } else {
            self.omitted += 1;
        }
    }

    /// Adds a note to the last segment kept, if it is the conversation's last segment.
    pub fn note_last(&mut self, note: String) {
        if self.omitted == 0 {
            if let Some(seg) = self.segments.last_mut() {
                seg.notes.push(note);
            }
        }
    }
}

/// The two ends of a connection, in a fixed order whichever way a packet goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key(SocketAddr, SocketAddr);

impl Key {
    /// The key of a packet from `a` to `b`.
    pub fn new(a: SocketAddr, b: SocketAddr) -> Key {
        if a <= b {
            Key(a, b)
        } else {
            Key(b, a)
        }
    }
}

/// What is remembered of a connection's address pair.
#[derive(Debug)]
enum Known {
    /// Being followed.
    Kept(Box<Conversation>),
    /// Numbered, but not followed: not the stream asked for, or too many at once.
    Skipped { ended: bool },
    /// Handed out finished; late packets of it are ignored.
    Done,
}

/// What [`Tracker::packet`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seen {
    /// Not TCP, or a conversation not kept.
    Nothing,
    /// Added to the kept conversation with this key.
    Added(Key),
}

/// Every TCP conversation of a capture, numbered; the ones asked for are kept.
#[derive(Debug)]
pub struct Tracker {
    only: Option<u64>,
    cap: usize,
    known: HashMap<Key, Known>,
    next_stream: u64,
    kept: usize,
    /// Conversations not kept because [`MAX_CONVERSATIONS`] were kept already.
    pub not_kept: u64,
    /// Ended conversations whose ports a new connection took before they were handed out.
    set_aside: Vec<Conversation>,
}

impl Tracker {
    /// A tracker keeping every conversation, or only stream `only`, each with its first
    /// [`MAX_SEGMENTS`] segments.
    pub fn new(only: Option<u64>) -> Tracker {
        Tracker::with_cap(only, MAX_SEGMENTS)
    }

    /// The same, keeping the first `cap` segments of each conversation.
    pub fn with_cap(only: Option<u64>, cap: usize) -> Tracker {
        Tracker {
            only,
            cap,
            known: HashMap::new(),
            next_stream: 0,
            kept: 0,
            not_kept: 0,
            set_aside: Vec::new(),
        }
    }

    /// How many streams were numbered.
    pub fn streams(&self) -> u64 {
        self.next_stream
    }

    /// Follows one decoded packet captured at `ts`.
    pub fn packet(&mut self, ts: Duration, decoded: &Decoded<'_>) -> Seen {
        let (Some(tcp), Some((src, dst))) = (decoded.tcp(), decoded.addrs()) else {
            return Seen::Nothing;
        };
        let src = SocketAddr::new(src, tcp.src_port());
        let dst = SocketAddr::new(dst, tcp.dst_port());
        let key = Key::new(src, dst);
        let flags = tcp.flags();
        let opening = flags.contains(Flags::SYN) && !flags.contains(Flags::ACK);
        let fresh = match self.known.get(&key) {
            None => true,
            // A new SYN on a finished connection's addresses is a new connection, as tshark
            // numbers it.
            Some(Known::Done) | Some(Known::Skipped { ended: true, .. }) => opening,
            Some(Known::Kept(c)) => opening && c.ending.is_some(),
            Some(Known::Skipped { .. }) => false,
        };
        if fresh {
            self.start(key, ts, src, dst, flags);
        }
        let len = decoded.payload.len() as u32;
        match self.known.get_mut(&key) {
            Some(Known::Kept(c)) => {
                let from = if src == c.client {
                    Side::Client
                } else {
                    Side::Server
                };
                c.add(ts.saturating_sub(c.start), from, tcp, len);
                Seen::Added(key)
            }
            Some(Known::Skipped { ended, .. }) => {
                *ended |= flags.contains(Flags::RST) || flags.contains(Flags::FIN);
                Seen::Nothing
            }
            _ => Seen::Nothing,
        }
    }

    fn start(&mut self, key: Key, ts: Duration, src: SocketAddr, dst: SocketAddr, flags: Flags) {
        if self.known.len() >= MAX_KNOWN {
            self.known.retain(|_, k| !matches!(k, Known::Done));
        }
        let stream = self.next_stream;
        self.next_stream += 1;
        if let Some(Known::Kept(old)) = self.known.remove(&key) {
            // It ended but was not handed out yet: the new one takes its place in the map,
            // and it waits to be handed out with the others that ended.
            self.kept -= 1;
            self.set_aside.push(*old);
        }
        let wanted = self.only.map_or(true, |n| n == stream);
        if !wanted || self.kept >= MAX_CONVERSATIONS {
            if wanted {
                self.not_kept += 1;
            }
            self.known.insert(key, Known::Skipped { ended: false });
            return;
        }
        // A SYN-ACK's sender is the server; otherwise the sender of the first packet is the
        // client.
        let (client, server) = if flags.contains(Flags::SYN) && flags.contains(Flags::ACK) {
            (dst, src)
        } else {
            (src, dst)
        };
        self.kept += 1;
        self.known.insert(
            key,
            Known::Kept(Box::new(Conversation {
                stream,
                client,
                server,
                by_syn: flags.contains(Flags::SYN),
                start: ts,
                segments: Vec::new(),
                cap: self.cap,
                omitted: 0,
                total: 0,
                retransmissions: 0,
                ending: None,
                dirs: Default::default(),
            })),
        );
    }

    /// The kept conversation with this key.
    pub fn get_mut(&mut self, key: &Key) -> Option<&mut Conversation> {
        match self.known.get_mut(key) {
            Some(Known::Kept(c)) => Some(c),
            _ => None,
        }
    }

    /// Hands out the kept conversations that have ended, in stream order, and forgets them.
    pub fn take_ended(&mut self) -> Vec<Conversation> {
        self.take(|c| c.ending.is_some())
    }

    /// Hands out every kept conversation, ended or not, in stream order.
    pub fn take_all(&mut self) -> Vec<Conversation> {
        self.take(|_| true)
    }

    fn take(&mut self, which: impl Fn(&Conversation) -> bool) -> Vec<Conversation> {
        let keys: Vec<Key> = self
            .known
            .iter()
            .filter(|(_, k)| matches!(k, Known::Kept(c) if which(c)))
            .map(|(key, _)| *key)
            .collect();
        let mut out: Vec<Conversation> = self.set_aside.drain(..).collect();
        for key in keys {
            let Some(Known::Kept(c)) = self.known.remove(&key) else {
                continue;
            };
            self.known.insert(key, Known::Done);
            self.kept -= 1;
            out.push(*c);
        }
        out.sort_by_key(|c| c.stream);
        out
    }

    /// The one stream kept, if only one was asked for.
    pub fn only(&self) -> Option<u64> {
        self.only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A raw IPv4 packet holding a TCP segment with no options or payload.
    fn segment(sport: u16, dport: u16, seq: u32, ack: u32, flags: u8) -> Vec<u8> {
        let mut p = vec![
            0x45, 0, 0, 40, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
        ];
        if sport > dport {
            // From the client (the higher port here): keep 10.0.0.1 as its address.
        } else {
            p[12..16].copy_from_slice(&[10, 0, 0, 2]);
            p[16..20].copy_from_slice(&[10, 0, 0, 1]);
        }
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ack.to_be_bytes());
        p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        p
    }

    fn feed(tracker: &mut Tracker, ms: u64, bytes: &[u8]) {
        let decoded = wire::decode(wire::LinkType::Raw, bytes);
        tracker.packet(Duration::from_millis(ms), &decoded);
    }

    #[test]
    fn a_new_syn_on_ports_not_yet_handed_out_keeps_both_conversations() {
        let mut tracker = Tracker::new(None);
        feed(&mut tracker, 0, &segment(40000, 80, 100, 0, 0x02));
        feed(&mut tracker, 1, &segment(80, 40000, 0, 101, 0x14));
        // The same ports again before anyone took the first: it is still handed out.
        feed(&mut tracker, 2, &segment(40000, 80, 500, 0, 0x02));
        feed(&mut tracker, 3, &segment(80, 40000, 0, 501, 0x14));
        let ended = tracker.take_ended();
        let streams: Vec<u64> = ended.iter().map(|c| c.stream).collect();
        assert_eq!(streams, [0, 1]);
        assert!(ended.iter().all(|c| c.total == 2));
        assert!(tracker.take_all().is_empty());
    }
}
