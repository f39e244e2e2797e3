//! The reader's input, read in large blocks: records are lent out of the block they arrived
//! in rather than copied out of a `BufReader` into a buffer of their own, and the stream is
//! asked for as much as the block has room for, so a file is read in a few hundred large
//! reads however small its packets are.
//!
//! A read asks only for what fits, and returns as soon as the bytes wanted are in: on a pipe
//! being written (`tcpdump -w - | raw-sniff -r -`), a record is handed out as soon as it has
//! arrived whole, never held back to fill a block.

use std::io::{self, Read};
use std::ops::Range;

/// Bytes asked of the stream at once: large enough that a read's fixed cost is spread over
/// thousands of small packets, small enough that a block just read is still in the cache
/// when its packets are decoded.
const BLOCK_LEN: usize = 1 << 20;

/// A byte stream read in blocks, with the bytes not taken yet at `buf[start..end]`.
#[derive(Debug)]
pub(super) struct Blocks<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
}

impl<R: Read> Blocks<R> {
    pub(super) fn new(inner: R) -> Blocks<R> {
        Blocks {
            inner,
            buf: Vec::new(),
            start: 0,
            end: 0,
        }
    }

    /// Makes `n` bytes available in one piece, fewer only where the stream ends first;
    /// returns how many are.
    fn fill(&mut self, n: usize) -> io::Result<usize> {
        if self.end - self.start >= n {
            return Ok(n);
        }
        if self.start + n > self.buf.len() {
            // What is left of the block moves to its front; a record larger than a block
            // (at most the reader's record bound) grows it. A new block is allocated zeroed
            // (pages the system zeroes as they are first touched), not filled in a loop.
            let len = n.max(BLOCK_LEN);
            if self.buf.len() < len {
                let mut grown = vec![0; len];
                grown[..self.end - self.start].copy_from_slice(&self.buf[self.start..self.end]);
                self.buf = grown;
            } else {
                self.buf.copy_within(self.start..self.end, 0);
            }
            self.end -= self.start;
            self.start = 0;
        }
        while self.end - self.start < n {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => break,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((self.end - self.start).min(n))
    }

    /// Takes the next `n` bytes, fewer where the stream ends first: where they lie, for
    /// [`Blocks::bytes`], until the next call that takes.
    pub(super) fn take(&mut self, n: usize) -> io::Result<Range<usize>> {
        let have = self.fill(n)?;
        let at = self.start;
        self.start += have;
        Ok(at..at + have)
    }

    /// Copies the next bytes into `out` until it is full or the stream ends; returns how
    /// many were copied.
    pub(super) fn read_full(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let range = self.take(out.len())?;
        let n = range.len();
        out[..n].copy_from_slice(&self.buf[range]);
        Ok(n)
    }

    /// Bytes a [`Blocks::take`] returned.
    pub(super) fn bytes(&self, range: Range<usize>) -> &[u8] {
        &self.buf[range]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stream that hands out at most `step` bytes per read, as a pipe may.
    struct Trickle<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len());
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn pieces_across_block_ends_and_larger_than_a_block_come_out_whole() {
        let data: Vec<u8> = (0..3 * BLOCK_LEN + 17).map(|i| (i % 251) as u8).collect();
        let mut b = Blocks::new(Trickle {
            data: &data,
            step: 4093,
        });
        let mut at = 0;
        // Pieces that end past each block's end, and one larger than a block.
        for n in [7, BLOCK_LEN - 3, 10, BLOCK_LEN + 5, 100] {
            let r = b.take(n).unwrap();
            assert_eq!(b.bytes(r), &data[at..at + n]);
            at += n;
        }
        let mut rest = vec![0; data.len()];
        let n = b.read_full(&mut rest).unwrap();
        assert_eq!(&rest[..n], &data[at..]);
        assert_eq!(b.take(1).unwrap().len(), 0);
    }

    #[test]
    fn a_read_returns_once_the_bytes_wanted_are_in() {
        struct OneRecordThenStall(bool);
        impl Read for OneRecordThenStall {
            fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
                // A pipe whose writer has written one record and not yet the next: a
                // second read would wait, here it fails the test.
                assert!(!self.0, "read again after the record was in");
                self.0 = true;
                out[..16].fill(1);
                Ok(16)
            }
        }
        let mut b = Blocks::new(OneRecordThenStall(false));
        assert_eq!(b.take(16).unwrap().len(), 16);
    }
}
