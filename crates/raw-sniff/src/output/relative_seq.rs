//! Relative TCP sequence numbers, computed exactly as tcpdump does, so the two tools' lines can
//! be compared: the first packet seen of a conversation, and every SYN, is shown with absolute
//! numbers and sets the bases; later packets count from them in each direction, so `seq 1:6`
//! reads as "bytes 1 to 5 of this stream".

use std::collections::HashMap;
use std::net::IpAddr;

/// One endpoint: address and port.
type End = (IpAddr, u16);

/// Conversations remembered at most; past that the table starts over rather than grow without
/// bound under a flood of new connections.
const MAX_CONVERSATIONS: usize = 65_536;

#[derive(Debug, Default)]
pub struct RelativeSeq {
    /// Keyed by the endpoints in a fixed order; the bases are for the direction from the
    /// first endpoint to the second.
    bases: HashMap<(End, End), Bases>,
}

#[derive(Debug, Clone, Copy)]
struct Bases {
    seq: u32,
    ack: u32,
}

impl RelativeSeq {
    /// The (seq, ack) to print for a segment from `src` to `dst`.
    pub fn observe(&mut self, src: End, dst: End, syn: bool, seq: u32, ack: u32) -> (u32, u32) {
        let reversed = src > dst;
        let key = if reversed { (dst, src) } else { (src, dst) };
        match self.bases.get(&key) {
            Some(b) if !syn => {
                if reversed {
                    (seq.wrapping_sub(b.ack), ack.wrapping_sub(b.seq))
                } else {
                    (seq.wrapping_sub(b.seq), ack.wrapping_sub(b.ack))
                }
            }
            _ => {
                if self.bases.len() >= MAX_CONVERSATIONS {
                    self.bases.clear();
                }
                let bases = if reversed {
                    Bases {
                        seq: ack.wrapping_sub(1),
                        ack: seq,
                    }
                } else {
                    Bases {
                        seq,
                        ack: ack.wrapping_sub(1),
                    }
                };
                self.bases.insert(key, bases);
                (seq, ack)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_on_syn_then_relative_in_both_directions() {
        let a = ("10.0.0.1".parse().unwrap(), 40000);
        let b = ("10.0.0.2".parse().unwrap(), 80);
        let mut rel = RelativeSeq::default();
        // Handshake: absolute numbers, as tcpdump prints them.
        assert_eq!(rel.observe(a, b, true, 1000, 0), (1000, 0));
        assert_eq!(rel.observe(b, a, true, u32::MAX, 1001), (u32::MAX, 1001));
        assert_eq!(rel.observe(a, b, false, 1001, 0), (1, 1));
        // Six bytes each way; the server's sequence space wraps past 2^32.
        assert_eq!(rel.observe(a, b, false, 1001, 0), (1, 1));
        assert_eq!(rel.observe(b, a, false, 0, 1007), (1, 7));
        assert_eq!(rel.observe(b, a, false, 6, 1007), (7, 7));
    }

    #[test]
    fn joining_mid_stream_counts_from_the_first_packet_seen() {
        let a = ("::1".parse().unwrap(), 5);
        let b = ("::1".parse().unwrap(), 6);
        let mut rel = RelativeSeq::default();
        assert_eq!(rel.observe(b, a, false, 500, 900), (500, 900));
        assert_eq!(rel.observe(b, a, false, 510, 900), (10, 1));
        assert_eq!(rel.observe(a, b, false, 900, 510), (1, 10));
    }
}
