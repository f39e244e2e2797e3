//! The bytes each connection sends, so that every echoed byte can be checked.
//!
//! A connection's traffic is one endless byte sequence, a pure function of a per-run seed, the
//! connection's number and the byte's offset. Ping-pong sends it in message-sized pieces, stream
//! mode in large writes; either way the echo at offset `k` must equal byte `k` of the sequence.
//! Because the sequence differs per connection, bytes delivered to the wrong connection, lost,
//! repeated or reordered show up as a mismatch at a known offset.

use std::fmt;

/// One connection's byte sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    seed: u64,
}

/// The first echoed byte that differs from what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mismatch {
    /// Offset of the byte in the connection's stream (0 is the first byte ever sent).
    pub offset: u64,
    pub sent: u8,
    pub got: u8,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "echo differs at byte {}: sent {:#04x}, got {:#04x}",
            self.offset, self.sent, self.got
        )
    }
}

impl Pattern {
    /// The sequence of connection `conn` in the run identified by `run`.
    pub fn new(run: u64, conn: u64) -> Self {
        Pattern {
            seed: mix(run ^ mix(conn)),
        }
    }

    /// Eight bytes of the sequence, starting at offset `8 * index`.
    fn word(self, index: u64) -> [u8; 8] {
        // Distinct inputs to `mix` for every index; mix then spreads them over all 64 bits.
        mix(self
            .seed
            .wrapping_add(index.wrapping_mul(0x9e37_79b9_7f4a_7c15)))
        .to_le_bytes()
    }

    /// Writes bytes `offset .. offset + buf.len()` of the sequence into `buf`.
    pub fn fill(self, offset: u64, buf: &mut [u8]) {
        // An unaligned start takes the rest of one word; then whole words, which compile to
        // plain 8-byte stores; then the start of one more word.
        let skip = (offset % 8) as usize;
        let head = ((8 - skip) % 8).min(buf.len());
        if head > 0 {
            buf[..head].copy_from_slice(&self.word(offset / 8)[skip..skip + head]);
        }
        let mut index = (offset + head as u64) / 8;
        let mut words = buf[head..].chunks_exact_mut(8);
        for chunk in &mut words {
            chunk.copy_from_slice(&self.word(index));
            index += 1;
        }
        let tail = words.into_remainder();
        if !tail.is_empty() {
            let len = tail.len();
            tail.copy_from_slice(&self.word(index)[..len]);
        }
    }

    /// Checks that `got` is bytes `offset ..` of the sequence. `scratch` is reused between calls
    /// so the check allocates only when a larger buffer arrives.
    pub fn check(self, offset: u64, got: &[u8], scratch: &mut Vec<u8>) -> Result<(), Mismatch> {
        scratch.resize(got.len(), 0);
        self.fill(offset, scratch);
        first_difference(offset, scratch, got)
    }
}

/// Compares what was sent with what came back, both starting at stream offset `offset`.
pub fn first_difference(offset: u64, sent: &[u8], got: &[u8]) -> Result<(), Mismatch> {
    if sent == got {
        return Ok(());
    }
    let (i, (&sent, &got)) = sent
        .iter()
        .zip(got)
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .expect("slices of equal length that differ have a differing byte");
    Err(Mismatch {
        offset: offset + i as u64,
        sent,
        got,
    })
}

/// The splitmix64 finaliser: a cheap bijection on u64 whose outputs look random, so
/// neighbouring offsets and connections get unrelated bytes.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(p: Pattern, offset: u64, len: usize) -> Vec<u8> {
        let mut buf = vec![0; len];
        p.fill(offset, &mut buf);
        buf
    }

    #[test]
    fn any_slice_matches_the_whole_sequence() {
        let p = Pattern::new(7, 3);
        let whole = bytes(p, 0, 100);
        for start in 0..40 {
            for len in 0..=60 {
                assert_eq!(
                    bytes(p, start as u64, len),
                    &whole[start..start + len],
                    "offset {start} length {len}"
                );
            }
        }
    }

    #[test]
    fn connections_and_runs_get_different_bytes() {
        let a = bytes(Pattern::new(1, 0), 0, 64);
        let b = bytes(Pattern::new(1, 1), 0, 64);
        let c = bytes(Pattern::new(2, 0), 0, 64);
        assert_ne!(a, b);
        assert_ne!(a, c);
        // Not a sequence that repeats after a message: offset 64 differs from offset 0.
        assert_ne!(a, bytes(Pattern::new(1, 0), 64, 64));
    }

    #[test]
    fn check_accepts_the_echo_and_finds_the_first_bad_byte() {
        let p = Pattern::new(9, 42);
        let mut scratch = Vec::new();
        let mut echo = bytes(p, 1000, 256);
        assert_eq!(p.check(1000, &echo, &mut scratch), Ok(()));

        let sent = echo[17];
        echo[17] ^= 0x01;
        echo[200] ^= 0xff;
        let err = p.check(1000, &echo, &mut scratch).unwrap_err();
        assert_eq!(
            err,
            Mismatch {
                offset: 1017,
                sent,
                got: sent ^ 0x01
            }
        );
        assert!(err
            .to_string()
            .starts_with("echo differs at byte 1017: sent 0x"));
    }

    #[test]
    fn bytes_from_another_connection_are_caught() {
        let mut scratch = Vec::new();
        let other = bytes(Pattern::new(5, 2), 0, 64);
        assert!(Pattern::new(5, 1).check(0, &other, &mut scratch).is_err());
    }

    #[test]
    fn a_shifted_echo_is_caught() {
        let p = Pattern::new(5, 1);
        let mut scratch = Vec::new();
        // The echo of the previous message arriving again instead of this one.
        let repeat = bytes(p, 0, 64);
        assert!(p.check(64, &repeat, &mut scratch).is_err());
    }
}
