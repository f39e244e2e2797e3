//! Relative TCP sequence numbers, as tcpdump shows them: each direction of a connection counts
//! from its initial sequence number, so `seq 1:6` reads as "bytes 1 to 5 of this stream".

use std::collections::HashMap;
use std::net::IpAddr;

/// One direction of a connection.
type Direction = (IpAddr, u16, IpAddr, u16);

/// Connections remembered at most; past that the table starts over rather than grow without
/// bound under a flood of new connections.
const MAX_DIRECTIONS: usize = 65_536;

#[derive(Debug, Default)]
pub struct RelativeSeq {
    isn: HashMap<Direction, u32>,
}

impl RelativeSeq {
    /// Records the segment and returns (relative seq, relative ack) for printing. The first
    /// segment seen in a direction sets its base (a SYN's sequence number, when the handshake
    /// was captured); an ack is made relative to the other direction's base, if known.
    pub fn observe(&mut self, dir: Direction, seq: u32, ack: Option<u32>) -> (u32, Option<u32>) {
        if self.isn.len() >= MAX_DIRECTIONS && !self.isn.contains_key(&dir) {
            self.isn.clear();
        }
        let base = *self.isn.entry(dir).or_insert(seq);
        let reverse = (dir.2, dir.3, dir.0, dir.1);
        let ack = ack.map(|a| match self.isn.get(&reverse) {
            Some(&peer) => a.wrapping_sub(peer),
            None => a,
        });
        (seq.wrapping_sub(base), ack)
    }

    /// Forgets a connection after it closed, so a new one on the same ports starts over.
    pub fn forget(&mut self, dir: Direction) {
        self.isn.remove(&dir);
        self.isn.remove(&(dir.2, dir.3, dir.0, dir.1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_count_from_their_own_start() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let mut rel = RelativeSeq::default();
        assert_eq!(rel.observe((a, 1, b, 2), 1000, None), (0, None));
        assert_eq!(
            rel.observe((b, 2, a, 1), u32::MAX, Some(1001)),
            (0, Some(1))
        );
        // Wraparound of the 32-bit space still counts forward.
        assert_eq!(rel.observe((b, 2, a, 1), 4, Some(1001)), (5, Some(1)));
        assert_eq!(rel.observe((a, 1, b, 2), 1001, Some(5)), (1, Some(6)));
        rel.forget((a, 1, b, 2));
        assert_eq!(rel.observe((a, 1, b, 2), 7, None), (0, None));
    }
}
