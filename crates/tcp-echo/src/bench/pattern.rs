//! The bytes each connection sends, so that every echoed byte can be checked.
//!
//! A connection's traffic is one endless byte sequence, a pure function of a per-run seed, the
//! connection's number and the byte's offset. Ping-pong sends it in message-sized pieces, stream
//! mode in large writes; either way the echo at offset `k` must equal byte `k` of the sequence.
//! Because the sequence differs per connection, bytes delivered to the wrong connection, lost,
//! repeated or reordered show up as a mismatch at a known offset.
//!
//! Making and checking the bytes must cost far less than the socket calls that carry them, or
//! the load generator, not the server, sets the pace. So every connection reads one shared
//! block of random bytes (a memcpy), from its own starting point, and XORs it with its own
//! 8-byte key (one operation per 8 bytes). Offset `k` holds
//! `BLOCK[(start + k) % PERIOD] ^ key[k % 8]`.
//!
//! The block's length `PERIOD` is an odd prime, so with the 8-byte key the sequence repeats only
//! after `8 * PERIOD` bytes (8 MiB): an echo that dropped or repeated exactly a multiple of that
//! would pass. Any other shift, and bytes from another connection or another run, are caught.

use std::fmt;
use std::sync::OnceLock;

/// Length of the shared block, and the period of every connection's sequence.
const PERIOD: usize = 1_048_573;

/// One connection's byte sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern {
    /// Where in the block the sequence starts.
    start: usize,
    key: u64,
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

/// The shared random block, made on first use.
fn block() -> &'static [u8] {
    static BLOCK: OnceLock<Box<[u8]>> = OnceLock::new();
    BLOCK.get_or_init(|| {
        let mut block = vec![0; PERIOD];
        for (i, chunk) in block.chunks_mut(8).enumerate() {
            let word = mix(i as u64).to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
        block.into_boxed_slice()
    })
}

impl Pattern {
    /// The sequence of connection `conn` in the run identified by `run`.
    pub fn new(run: u64, conn: u64) -> Self {
        let seed = mix(run ^ mix(conn));
        Pattern {
            start: (seed % PERIOD as u64) as usize,
            key: mix(seed),
        }
    }

    /// Writes bytes `offset .. offset + buf.len()` of the sequence into `buf`.
    pub fn fill(self, offset: u64, buf: &mut [u8]) {
        let block = block();
        let mut at = ((self.start as u64 + offset % PERIOD as u64) % PERIOD as u64) as usize;
        let mut done = 0;
        while done < buf.len() {
            let n = (PERIOD - at).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&block[at..at + n]);
            done += n;
            at = 0;
        }
        // Turn the key so that its byte `offset % 8` lines up with buf[0].
        let key = self.key.rotate_right(8 * (offset % 8) as u32);
        let mut words = buf.chunks_exact_mut(8);
        for chunk in &mut words {
            let word = u64::from_le_bytes(chunk.try_into().expect("chunks of 8"));
            chunk.copy_from_slice(&(word ^ key).to_le_bytes());
        }
        for (byte, k) in words.into_remainder().iter_mut().zip(key.to_le_bytes()) {
            *byte ^= k;
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
/// neighbouring inputs get unrelated outputs.
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
    fn the_sequence_wraps_around_the_block_seamlessly() {
        let p = Pattern::new(3, 8);
        // A stretch that crosses the end of the block, read whole and in pieces.
        let from = (PERIOD - p.start) as u64 - 20;
        let whole = bytes(p, from, 64);
        for cut in [1, 7, 19, 20, 21, 40] {
            let mut pieces = bytes(p, from, cut);
            pieces.extend(bytes(p, from + cut as u64, 64 - cut));
            assert_eq!(pieces, whole, "cut at {cut}");
        }
        // A shift by the block's length changes the key's phase; only 8 blocks repeat.
        assert_ne!(bytes(p, 5, 64), bytes(p, 5 + PERIOD as u64, 64));
        assert_eq!(bytes(p, 5, 64), bytes(p, 5 + 8 * PERIOD as u64, 64));
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
