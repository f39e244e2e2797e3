//! Incremental UTF-8 validation for text messages that arrive in fragments (RFC 6455 §5.6, §8.1).
//!
//! A validator is fed the pieces of a message in order and fails on the first byte after which
//! the bytes so far can no longer begin a valid string, not when the message ends: a server
//! can then close with 1007 before buffering the rest. The standard library's `from_utf8` does
//! the work; its `error_len() == None` already means "a valid but unfinished sequence", so only
//! the up-to-3-byte tail carried between pieces needs handling here.

/// Validates a byte stream as UTF-8, piece by piece.
#[derive(Debug, Clone, Default)]
pub struct Utf8Validator {
    /// Bytes of a sequence begun in an earlier piece and not yet complete.
    carry: [u8; 4],
    carry_len: usize,
    /// Bytes fed before the current piece, for error offsets.
    offset: u64,
}

/// Where validation failed: the offset in the whole stream of the first byte that cannot belong
/// to a valid string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Utf8Error {
    /// Offset of the offending byte (or of the unfinished sequence's start, at [`Utf8Validator::finish`]).
    pub offset: u64,
}

/// Width of the sequence a lead byte starts, 0 if it cannot start one.
fn sequence_width(lead: u8) -> usize {
    match lead {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => 0,
    }
}

impl Utf8Validator {
    /// A validator at the start of a stream.
    pub fn new() -> Self {
        Self::default()
    }

    /// Feeds the next piece. Fails as soon as the bytes so far can no longer be UTF-8.
    pub fn feed(&mut self, mut piece: &[u8]) -> Result<(), Utf8Error> {
        let start = self.offset;
        if self.carry_len > 0 {
            // Finish the sequence begun earlier, taking only the bytes it still needs.
            let width = sequence_width(self.carry[0]);
            let take = (width - self.carry_len).min(piece.len());
            let mut seq = self.carry;
            seq[self.carry_len..self.carry_len + take].copy_from_slice(&piece[..take]);
            let seq_len = self.carry_len + take;
            match std::str::from_utf8(&seq[..seq_len]) {
                Ok(_) => {}
                Err(e) if e.error_len().is_none() => {
                    // Still a valid prefix and the piece is used up.
                    self.carry = seq;
                    self.carry_len = seq_len;
                    self.offset += piece.len() as u64;
                    return Ok(());
                }
                Err(_) => {
                    return Err(Utf8Error {
                        offset: start - self.carry_len as u64,
                    });
                }
            }
            self.carry_len = 0;
            piece = &piece[take..];
            self.offset += take as u64;
        }
        match std::str::from_utf8(piece) {
            Ok(_) => {
                self.offset += piece.len() as u64;
                Ok(())
            }
            Err(e) => {
                let valid = e.valid_up_to();
                if e.error_len().is_some() {
                    return Err(Utf8Error {
                        offset: self.offset + valid as u64,
                    });
                }
                let tail = &piece[valid..];
                self.carry[..tail.len()].copy_from_slice(tail);
                self.carry_len = tail.len();
                self.offset += piece.len() as u64;
                Ok(())
            }
        }
    }

    /// Ends the stream: an unfinished sequence is an error.
    pub fn finish(&mut self) -> Result<(), Utf8Error> {
        if self.carry_len > 0 {
            return Err(Utf8Error {
                offset: self.offset - self.carry_len as u64,
            });
        }
        Ok(())
    }

    /// Whether a sequence is open, so the stream could not end here.
    pub fn is_incomplete(&self) -> bool {
        self.carry_len > 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn feed_all(pieces: &[&[u8]]) -> Result<(), Utf8Error> {
        let mut v = Utf8Validator::new();
        for piece in pieces {
            v.feed(piece)?;
        }
        v.finish()
    }

    #[test]
    fn split_sequences_are_accepted() {
        let euro = "€".as_bytes(); // e2 82 ac
        assert_eq!(feed_all(&[&euro[..1], &euro[1..2], &euro[2..]]), Ok(()));
        let emoji = "a😀b".as_bytes(); // 61 f0 9f 98 80 62
        for cut in 0..emoji.len() {
            assert_eq!(
                feed_all(&[&emoji[..cut], &emoji[cut..]]),
                Ok(()),
                "cut {cut}"
            );
        }
        assert_eq!(
            feed_all(&[&emoji[..2], &[], &emoji[2..3], &emoji[3..]]),
            Ok(())
        );
    }

    #[test]
    fn fails_at_the_first_impossible_byte_not_at_the_end() {
        // Hand-made: "κόσμε" then ED A0 80 (a UTF-16 surrogate, never valid). The validator must
        // fail on the A0 fed alone, before the rest of the message arrives.
        let mut v = Utf8Validator::new();
        v.feed("κόσμε".as_bytes()).unwrap();
        v.feed(&[0xED]).unwrap();
        assert_eq!(v.feed(&[0xA0]), Err(Utf8Error { offset: 10 }));
        // F4 90 is above U+10FFFF: invalid as soon as the second byte is seen.
        let mut v = Utf8Validator::new();
        v.feed(&[0xF4]).unwrap();
        assert_eq!(v.feed(&[0x90]), Err(Utf8Error { offset: 0 }));
        // C0 and F5 can never start a sequence.
        assert_eq!(
            Utf8Validator::new().feed(&[b'a', 0xC0]),
            Err(Utf8Error { offset: 1 })
        );
        assert_eq!(
            Utf8Validator::new().feed(&[0xF5]),
            Err(Utf8Error { offset: 0 })
        );
        // A lone continuation byte.
        assert_eq!(
            Utf8Validator::new().feed(&[0x80]),
            Err(Utf8Error { offset: 0 })
        );
        // Overlong encodings: E0 80, F0 80.
        let mut v = Utf8Validator::new();
        v.feed(&[0xE0]).unwrap();
        assert_eq!(v.feed(&[0x80]), Err(Utf8Error { offset: 0 }));
    }

    #[test]
    fn unfinished_sequence_fails_only_at_finish() {
        let mut v = Utf8Validator::new();
        v.feed(&[b'o', b'k', 0xE2, 0x82]).unwrap();
        assert!(v.is_incomplete());
        assert_eq!(v.finish(), Err(Utf8Error { offset: 2 }));
    }

    proptest! {
        #[test]
        fn any_split_agrees_with_from_utf8(bytes in proptest::collection::vec(any::<u8>(), 0..40),
                                            s in ".{0,12}", cuts in proptest::collection::vec(0usize..60, 0..6)) {
            // Mix valid text with arbitrary bytes so both outcomes are exercised.
            let mut data = s.into_bytes();
            if bytes.len() % 2 == 0 { data.extend_from_slice(&bytes); }
            let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c.min(data.len())).collect();
            cuts.sort_unstable();
            let mut v = Utf8Validator::new();
            let mut result = Ok(());
            let mut last = 0;
            for cut in cuts.into_iter().chain([data.len()]) {
                result = v.feed(&data[last..cut]);
                last = cut;
                if result.is_err() { break; }
            }
            if result.is_ok() { result = v.finish(); }
            match std::str::from_utf8(&data) {
                Ok(_) => prop_assert_eq!(result, Ok(())),
                Err(e) => prop_assert_eq!(result, Err(Utf8Error { offset: e.valid_up_to() as u64 })),
            }
        }
    }
}
