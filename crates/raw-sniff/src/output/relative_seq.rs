//! Relative TCP sequence numbers, computed exactly as tcpdump does, so the two tools' lines can
//! be compared. tcpdump keeps state only for segments with ACK set: the first such segment
//! of a conversation, and every SYN-ACK, is shown with absolute numbers and sets the bases
//! (its sequence number for its direction, its acknowledgement minus one for the other);
//! later ACK segments count from them in each direction, so `seq 1:6` reads as "bytes 1 to
//! 5 of this stream". A segment without ACK (a SYN, a bare RST) is always absolute and
//! touches nothing.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;

use wire::reassembly::lru::LruMap;
use wire::tcp::Flags;

/// One endpoint: address and port.
type End = (IpAddr, u16);

/// A conversation's two endpoints in a fixed order, packed into five words: per side a
/// family byte, the address (an IPv4 one in the first four bytes) and the port. A new
/// conversation hashes its key three times (looked up, inserted, and later removed to make
/// room), so the key is hashed as those words by the table's seeded hasher (wire's `LruMap`,
/// so crafted addresses cannot pile conversations into one bucket), not once per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key([u64; 5]);

impl Key {
    fn new(a: End, b: End) -> Key {
        let mut buf = [0u8; 40];
        for (side, (ip, port)) in buf.chunks_exact_mut(19).zip([a, b]) {
            match ip {
                IpAddr::V4(v4) => {
                    side[0] = 4;
                    side[1..5].copy_from_slice(&v4.octets());
                }
                IpAddr::V6(v6) => {
                    side[0] = 6;
                    side[1..17].copy_from_slice(&v6.octets());
                }
            }
            side[17..].copy_from_slice(&port.to_be_bytes());
        }
        // Held as words (the last two bytes zero): compared on every packet as five words,
        // where 38 bytes were compared by a call to `memcmp`.
        let mut words = [0u64; 5];
        for (word, bytes) in words.iter_mut().zip(buf.chunks_exact(8)) {
            let mut w = [0u8; 8];
            w.copy_from_slice(bytes);
            *word = u64::from_le_bytes(w);
        }
        Key(words)
    }
}

impl Hash for Key {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for word in self.0 {
            state.write_u64(word);
        }
    }
}

/// Conversations remembered at most: 65,536, sized for real captures (a busy server's holds
/// thousands of live conversations, not tens of thousands) at about 10 MB when full (per
/// conversation a 60-byte slot of key, bases and links, and an index bucket of some 45 bytes
/// in a table at most half full). Past that the least recently seen one is forgotten,
/// preferring one that never got past its handshake, so that a flood of new connections (a
/// SYN flood, a port scan) neither grows the table without bound nor takes their bases from
/// the conversations being watched. tcpdump's own table never forgets; the two differ only
/// past this many.
const MAX_CONVERSATIONS: usize = 65_536;

/// Each TCP conversation's initial sequence numbers, so the line printer can show sequence
/// and acknowledgement numbers relative to them, as tcpdump does.
#[derive(Debug)]
pub struct RelativeSeq {
    /// Keyed by the endpoints in a fixed order; the bases are for the direction from the
    /// first endpoint to the second. Established conversations are the protected tier.
    bases: LruMap<Key, Bases>,
}

impl Default for RelativeSeq {
    fn default() -> RelativeSeq {
        RelativeSeq {
            // Reserved whole so that the table never stops to rehash in the middle of a
            // flood, while a live capture's ring fills; untouched pages cost no memory.
            bases: LruMap::with_capacity(MAX_CONVERSATIONS),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bases {
    /// Base of the first endpoint's sequence numbers (tcpdump's `th->seq`).
    seq: u32,
    /// Base of the second endpoint's sequence numbers (tcpdump's `th->ack`).
    ack: u32,
    /// Each direction heard, first endpoint's first.
    heard: [bool; 2],
    /// A segment with neither SYN nor RST was seen, either way. RST is left out because a
    /// scanned closed port answers a SYN with one: that conversation never got going.
    past_syn: bool,
}

/// The numbers to print for one segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shown {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgement number.
    pub ack: u32,
    /// What to subtract from SACK block edges: the base of the peer's sequence numbers,
    /// or 0 when the segment has no ACK (tcpdump then shows blocks absolute).
    pub sack_base: u32,
}

impl RelativeSeq {
    /// The numbers to print for a segment from `src` to `dst` with `flags`.
    pub fn observe(&mut self, src: End, dst: End, flags: Flags, seq: u32, ack: u32) -> Shown {
        if !flags.contains(Flags::ACK) {
            return Shown {
                seq,
                ack,
                sack_base: 0,
            };
        }
        let syn = flags.contains(Flags::SYN);
        let reversed = src > dst;
        let key = if reversed {
            Key::new(dst, src)
        } else {
            Key::new(src, dst)
        };
        let (at, found) = match self.bases.touch(&key) {
            Some(at) => (at, true),
            None => {
                if self.bases.len() >= MAX_CONVERSATIONS {
                    if let Some(oldest) = self.bases.oldest() {
                        self.bases.remove(oldest);
                    }
                }
                let at = self.bases.insert(
                    key,
                    Bases {
                        seq: 0,
                        ack: 0,
                        heard: [false; 2],
                        past_syn: false,
                    },
                );
                (at, false)
            }
        };
        let b = self.bases.get_mut(at);
        b.heard[usize::from(reversed)] = true;
        let was_established = b.past_syn && b.heard == [true; 2];
        b.past_syn |= !syn && !flags.contains(Flags::RST);
        if !was_established && b.past_syn && b.heard == [true; 2] {
            // Both sides spoke and the handshake is over: a scan's conversations never get
            // here, so only they compete for room when the table is full.
            self.bases.promote(at);
        }
        let b = self.bases.get_mut(at);
        if !found || syn {
            // New conversation: this segment's numbers are the bases, shown absolute.
            if reversed {
                b.ack = seq;
                b.seq = ack.wrapping_sub(1);
            } else {
                b.seq = seq;
                b.ack = ack.wrapping_sub(1);
            }
            let sack_base = if reversed { b.seq } else { b.ack };
            return Shown {
                seq,
                ack,
                sack_base,
            };
        }
        if reversed {
            Shown {
                seq: seq.wrapping_sub(b.ack),
                ack: ack.wrapping_sub(b.seq),
                sack_base: b.seq,
            }
        } else {
            Shown {
                seq: seq.wrapping_sub(b.seq),
                ack: ack.wrapping_sub(b.ack),
                sack_base: b.ack,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SYN: Flags = Flags::SYN;
    const SYN_ACK: Flags = Flags(Flags::SYN.0 | Flags::ACK.0);
    const ACK: Flags = Flags::ACK;
    const RST: Flags = Flags::RST;
    const RST_ACK: Flags = Flags(Flags::RST.0 | Flags::ACK.0);

    /// Sequence and acknowledgement numbers shown.
    fn shown(
        rel: &mut RelativeSeq,
        from: End,
        to: End,
        f: Flags,
        seq: u32,
        ack: u32,
    ) -> (u32, u32) {
        let s = rel.observe(from, to, f, seq, ack);
        (s.seq, s.ack)
    }

    #[test]
    fn absolute_on_syn_ack_then_relative_in_both_directions() {
        let a = ("10.0.0.1".parse().unwrap(), 40000);
        let b = ("10.0.0.2".parse().unwrap(), 80);
        let mut rel = RelativeSeq::default();
        // Handshake: absolute numbers, as tcpdump prints them.
        assert_eq!(shown(&mut rel, a, b, SYN, 1000, 0), (1000, 0));
        assert_eq!(
            shown(&mut rel, b, a, SYN_ACK, u32::MAX, 1001),
            (u32::MAX, 1001)
        );
        assert_eq!(shown(&mut rel, a, b, ACK, 1001, 0), (1, 1));
        // Six bytes each way; the server's sequence space wraps past 2^32.
        assert_eq!(shown(&mut rel, a, b, ACK, 1001, 0), (1, 1));
        assert_eq!(shown(&mut rel, b, a, ACK, 0, 1007), (1, 7));
        assert_eq!(shown(&mut rel, b, a, ACK, 6, 1007), (7, 7));
        // SACK edges count from the peer's base.
        assert_eq!(rel.observe(a, b, ACK, 1007, 7).sack_base, u32::MAX);
        assert_eq!(rel.observe(b, a, ACK, 7, 1007).sack_base, 1000);
    }

    #[test]
    fn segments_without_ack_are_absolute_and_leave_no_state() {
        let a = ("10.0.0.1".parse().unwrap(), 40000);
        let b = ("10.0.0.2".parse().unwrap(), 80);
        let mut rel = RelativeSeq::default();
        // A SYN whose SYN-ACK was not captured: the next ACK starts the conversation, so it
        // is absolute, not "ack + 1".
        shown(&mut rel, a, b, SYN, 1000, 0);
        assert_eq!(shown(&mut rel, a, b, ACK, 1001, 7001), (1001, 7001));
        assert_eq!(shown(&mut rel, a, b, ACK, 1006, 7001), (5, 1));
        // A bare RST later is absolute, and its SACK blocks would be too.
        assert_eq!(rel.observe(b, a, RST, 7001, 0).sack_base, 0);
        assert_eq!(shown(&mut rel, b, a, RST, 7001, 0), (7001, 0));
        assert_eq!(rel.bases.len(), 1);
        // A RST-ACK answering an unknown conversation sets its bases: seq 0 means nothing.
        let c = ("10.0.0.3".parse().unwrap(), 179);
        assert_eq!(
            shown(&mut rel, c, a, RST_ACK, 0, 4_276_964_400),
            (0, 4_276_964_400)
        );
    }

    #[test]
    fn joining_mid_stream_counts_from_the_first_packet_seen() {
        let a = ("::1".parse().unwrap(), 5);
        let b = ("::1".parse().unwrap(), 6);
        let mut rel = RelativeSeq::default();
        assert_eq!(shown(&mut rel, b, a, ACK, 500, 900), (500, 900));
        assert_eq!(shown(&mut rel, b, a, ACK, 510, 900), (10, 1));
        assert_eq!(shown(&mut rel, a, b, ACK, 900, 510), (1, 10));
    }

    /// A scanner's endpoint `n`: distinct for each `n` below 2^32.
    fn scanner(n: u32) -> End {
        let addr = std::net::Ipv4Addr::from(0x0b00_0000 + n / 50_000);
        (IpAddr::V4(addr), 1 + (n % 50_000) as u16)
    }

    #[test]
    fn a_conversation_keeps_its_bases_through_a_port_scan() {
        let a = ("10.0.0.1".parse().unwrap(), 40000);
        let b = ("10.0.0.2".parse().unwrap(), 80);
        let mut rel = RelativeSeq::default();
        shown(&mut rel, a, b, SYN, 1000, 0);
        shown(&mut rel, b, a, SYN_ACK, 5000, 1001);
        shown(&mut rel, a, b, ACK, 1001, 5001);
        assert_eq!(shown(&mut rel, a, b, ACK, 1001, 5001), (1, 1));
        // More new conversations than the table holds: SYNs from distinct endpoints, each
        // answered, by a SYN-ACK from an open port never acknowledged, or by the RST-ACK of
        // a closed one. The table used to start over here, and the conversation's next
        // segment came out absolute.
        for n in 0..100_000 {
            shown(&mut rel, scanner(n), b, SYN, n, 0);
            if n % 2 == 0 {
                shown(&mut rel, b, scanner(n), RST_ACK, 0, n + 1);
            } else {
                shown(&mut rel, b, scanner(n), SYN_ACK, 7, n + 1);
            }
            assert!(rel.bases.len() <= MAX_CONVERSATIONS);
        }
        assert_eq!(shown(&mut rel, a, b, ACK, 1006, 5001), (6, 1));
        assert_eq!(shown(&mut rel, b, a, ACK, 5001, 1006), (1, 6));
        // Making room looked at one entry per conversation forgotten, not at the table.
        assert_eq!(rel.bases.examined(), 100_001 - MAX_CONVERSATIONS as u64);
    }

    #[test]
    fn the_least_recently_seen_conversation_is_forgotten_first() {
        let b = ("10.0.0.2".parse().unwrap(), 80);
        let mut rel = RelativeSeq::default();
        // Established conversations only, so the protected tier alone is full.
        for n in 0..MAX_CONVERSATIONS as u32 {
            shown(&mut rel, scanner(n), b, ACK, 100, 200);
            shown(&mut rel, b, scanner(n), ACK, 200, 101);
        }
        // Conversation 0 seen again, so 1 is now the least recently seen.
        assert_eq!(shown(&mut rel, scanner(0), b, ACK, 101, 200), (1, 1));
        shown(&mut rel, b, scanner(1_000_000), SYN_ACK, 7, 8);
        assert_eq!(shown(&mut rel, scanner(0), b, ACK, 102, 200), (2, 1));
        assert_eq!(shown(&mut rel, scanner(1), b, ACK, 101, 200), (101, 200));
    }
}
