//! The Internet checksum (RFC 1071) and how a capture should report it.
//!
//! Checksums are reported, never enforced: a packet captured on the sending host is often seen
//! before the network card (or the loopback driver) fills its checksum in, so a mismatch there
//! is not a corrupt packet. [`ChecksumStatus::Unverified`] says why a checksum was not judged.

use core::fmt;
use std::net::{Ipv4Addr, Ipv6Addr};

/// Outcome of checking one checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChecksumStatus {
    /// The checksum matches the data.
    Good,
    /// The checksum does not match; `expected` is what the field should hold.
    Bad {
        /// Value in the packet.
        found: u16,
        /// Value that would make the packet valid.
        expected: u16,
    },
    /// The checksum could not be judged.
    Unverified(Unverified),
}

/// Why a checksum was not judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unverified {
    /// Part of the covered bytes are missing from the capture (snap length).
    Truncated,
    /// The field holds only the pseudo-header sum: the sender left the rest to checksum
    /// offload, and the packet was captured before the card (or loopback) completed it.
    Offloaded,
    /// UDP over IPv4 with checksum 0: the sender chose not to compute one (RFC 768).
    Absent,
    /// An IP fragment: the transport checksum covers the whole reassembled datagram.
    Fragment,
}

impl fmt::Display for ChecksumStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            ChecksumStatus::Good => f.write_str("good"),
            ChecksumStatus::Bad { found, expected } => {
                write!(f, "bad 0x{found:04x} (expected 0x{expected:04x})")
            }
            ChecksumStatus::Unverified(why) => write!(f, "unverified ({why})"),
        }
    }
}

impl fmt::Display for Unverified {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unverified::Truncated => "truncated capture",
            Unverified::Offloaded => "checksum offload",
            Unverified::Absent => "no checksum sent",
            Unverified::Fragment => "IP fragment",
        })
    }
}

/// Ones'-complement sum of `data` as big-endian 16-bit words, folded to 16 bits but not
/// complemented. An odd final byte is padded with zero on the right (RFC 1071 §4.1).
/// Results of several calls (and pseudo-header sums) can be added and then [`fold`]ed.
pub fn sum(data: &[u8]) -> u64 {
    sum_words(data)
}

/// [`sum`] of a buffer whose length is known when compiling, such as the 20 bytes of an IPv4
/// header without options: its loop and tail unroll to three loads and three adds.
#[inline(always)]
pub(crate) fn sum_array<const N: usize>(data: &[u8; N]) -> u64 {
    sum_words(data)
}

/// The body of [`sum`], inlined where the length is a constant.
#[inline(always)]
fn sum_words(data: &[u8]) -> u64 {
    // The ones'-complement sum does not depend on byte order (RFC 1071 §2(B)): summing
    // native little-endian 64-bit words with end-around carry and swapping the folded
    // result gives the big-endian sum, with an eighth of the additions and no byte swaps.
    let mut acc: u64 = 0;
    let mut carries: u64 = 0;
    let mut chunks = data.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        let (s, o) = acc.overflowing_add(u64::from_le_bytes(w));
        acc = s;
        carries += u64::from(o);
    }
    // The tail (0..=7 bytes), zero-padded at the end, in at most three loads rather than a
    // variable-length copy.
    let mut rest = chunks.remainder();
    let mut tail: u64 = 0;
    let mut shift = 0;
    if let Some((four, more)) = rest.split_first_chunk::<4>() {
        tail = u64::from(u32::from_le_bytes(*four));
        rest = more;
        shift = 32;
    }
    if let Some((two, more)) = rest.split_first_chunk::<2>() {
        tail |= u64::from(u16::from_le_bytes(*two)) << shift;
        rest = more;
        shift += 16;
    }
    if let Some(&b) = rest.first() {
        tail |= u64::from(b) << shift;
    }
    let (s, o) = acc.overflowing_add(tail);
    carries += u64::from(o);
    // Fold 64 -> 16 bits in little-endian word space (carries < 2^61, so no overflow),
    // then swap to network order.
    let mut f = (s & 0xffff_ffff) + (s >> 32) + carries;
    f = (f & 0xffff) + (f >> 16);
    f = (f & 0xffff) + (f >> 16);
    f = (f & 0xffff) + (f >> 16);
    f = (f & 0xffff) + (f >> 16);
    u64::from((f as u16).swap_bytes())
}

/// Folds an accumulated sum to 16 bits with end-around carry.
pub fn fold(mut acc: u64) -> u16 {
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u16
}

/// The checksum to put in a header: the complement of the folded sum of `data`.
pub fn checksum(data: &[u8]) -> u16 {
    !fold(sum(data))
}

/// Sum of the IPv4 pseudo-header (RFC 793 §3.1, RFC 768).
pub fn pseudo_header_v4(src: Ipv4Addr, dst: Ipv4Addr, protocol: u8, len: u32) -> u64 {
    // Each address added as one 32-bit number: 2^16 is 1 modulo 0xffff, so it counts the
    // same as its two 16-bit words once folded, without a call to `sum` for four bytes.
    u64::from(u32::from(src)) + u64::from(u32::from(dst)) + u64::from(protocol) + u64::from(len)
}

/// Sum of the IPv6 pseudo-header (RFC 8200 §8.1).
pub fn pseudo_header_v6(src: Ipv6Addr, dst: Ipv6Addr, next_header: u8, len: u32) -> u64 {
    // As for IPv4: the addresses' 32-bit words, which fold to the sum of their 16-bit words.
    let words = |a: Ipv6Addr| {
        let v = u128::from(a);
        (0..4)
            .map(|i| (v >> (32 * i)) as u32)
            .map(u64::from)
            .sum::<u64>()
    };
    words(src) + words(dst) + u64::from(next_header) + u64::from(len)
}

/// The addresses a transport checksum covers besides its own bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PseudoHeader {
    /// Carried by IPv4.
    V4 {
        /// Source address.
        src: Ipv4Addr,
        /// Destination address.
        dst: Ipv4Addr,
    },
    /// Carried by IPv6 (addresses as seen by the final destination, RFC 8200 §8.1).
    V6 {
        /// Source address.
        src: Ipv6Addr,
        /// Destination address.
        dst: Ipv6Addr,
    },
}

impl PseudoHeader {
    /// The pseudo-header sum for an upper-layer packet of `len` bytes of `protocol`.
    pub fn sum(&self, protocol: u8, len: u32) -> u64 {
        match *self {
            PseudoHeader::V4 { src, dst } => pseudo_header_v4(src, dst, protocol, len),
            PseudoHeader::V6 { src, dst } => pseudo_header_v6(src, dst, protocol, len),
        }
    }

    /// True for IPv4, where UDP may omit its checksum.
    pub fn is_v4(&self) -> bool {
        matches!(self, PseudoHeader::V4 { .. })
    }
}

/// Judges a checksum whose field (`found`) lies inside `data`, with `pseudo` the
/// pseudo-header sum (0 for checksums without one). `offload_possible` enables recognising a
/// field that holds only the pseudo-header sum.
// Inlined on request: its callers are generic views compiled in the caller's crate, where
// the constant `pseudo` and `offload_possible` of the IPv4 header checksum fold away.
#[inline]
pub(crate) fn judge(
    data: &[u8],
    pseudo: u64,
    found: u16,
    offload_possible: bool,
) -> ChecksumStatus {
    judge_sum(sum(data), pseudo, found, offload_possible)
}

/// [`judge`] for data already summed (`data_sum` is [`sum`] of the covered bytes).
#[inline]
pub(crate) fn judge_sum(
    data_sum: u64,
    pseudo: u64,
    found: u16,
    offload_possible: bool,
) -> ChecksumStatus {
    let total = data_sum + pseudo;
    if fold(total) == 0xffff {
        return ChecksumStatus::Good;
    }
    if offload_possible && pseudo != 0 && found == fold(pseudo) {
        return ChecksumStatus::Unverified(Unverified::Offloaded);
    }
    // Remove the field from the sum (adding its complement) to get what it should have been.
    let without = fold(total + u64::from(!found));
    let mut expected = !without;
    if expected == 0 && found == 0xffff {
        expected = 0xffff;
    }
    ChecksumStatus::Bad { found, expected }
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 1071 §3 worked example: the words 0001 f203 f4f5 f6f7 sum to ddf2 (2ddf0 before
    // the end-around carry).
    #[test]
    fn rfc1071_example() {
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(&data)), 0xddf2);
        assert_eq!(checksum(&data), !0xddf2);
    }

    #[test]
    fn odd_length_pads_right() {
        assert_eq!(fold(sum(&[0xab])), 0xab00);
        assert_eq!(fold(sum(&[0x12, 0x34, 0x56])), 0x1234 + 0x5600);
    }

    fn naive(data: &[u8]) -> u16 {
        let mut acc: u32 = 0;
        for pair in data.chunks(2) {
            let w = u32::from(pair[0]) << 8 | u32::from(*pair.get(1).unwrap_or(&0));
            acc += w;
            acc = (acc & 0xffff) + (acc >> 16);
        }
        acc as u16
    }

    proptest::proptest! {
        #[test]
        fn wide_sum_equals_word_sum(data in proptest::collection::vec(proptest::num::u8::ANY, 0..3000)) {
            proptest::prop_assert_eq!(fold(sum(&data)), naive(&data));
        }
    }

    proptest::proptest! {
        /// Sums of constant length (an IPv4 header's 20 bytes, and lengths around it, odd
        /// ones included) equal the word-by-word sum, at every alignment of the data.
        #[test]
        fn array_sum_equals_word_sum(data in proptest::collection::vec(proptest::num::u8::ANY, 40), skew in 0usize..8) {
            let d = &data[skew..];
            proptest::prop_assert_eq!(fold(sum_array::<20>(d[..20].try_into().unwrap())), naive(&d[..20]));
            proptest::prop_assert_eq!(fold(sum_array::<19>(d[..19].try_into().unwrap())), naive(&d[..19]));
            proptest::prop_assert_eq!(fold(sum_array::<21>(d[..21].try_into().unwrap())), naive(&d[..21]));
            proptest::prop_assert_eq!(fold(sum_array::<32>(d[..32].try_into().unwrap())), naive(&d[..32]));
            proptest::prop_assert_eq!(fold(sum(&d[..31])), naive(&d[..31]));
        }
    }

    #[test]
    fn fold_edges() {
        assert_eq!(fold(0), 0);
        assert_eq!(fold(0xffff), 0xffff);
        assert_eq!(fold(0x1_0000), 1);
        assert_eq!(fold(0x1_fffe), 0xffff);
        assert_eq!(fold(u64::MAX), 0xffff);
        assert_eq!(fold(0xffff_0000_0000), 0xffff);
        assert_eq!(fold(0x0001_0000_ffff_ffff), 1);
    }

    proptest::proptest! {
        /// The pseudo-header sums fold to what summing the header's bytes gives.
        #[test]
        fn pseudo_headers_fold_as_their_bytes(a in proptest::num::u128::ANY, b in proptest::num::u128::ANY, proto in proptest::num::u8::ANY, len in proptest::num::u32::ANY) {
            let (a4, b4) = (Ipv4Addr::from(a as u32), Ipv4Addr::from(b as u32));
            let mut v4 = [a4.octets(), b4.octets()].concat();
            v4.extend_from_slice(&[0, proto]);
            v4.extend_from_slice(&(len as u16).to_be_bytes());
            proptest::prop_assert_eq!(
                fold(pseudo_header_v4(a4, b4, proto, u32::from(len as u16))),
                fold(sum(&v4))
            );
            let (a6, b6) = (Ipv6Addr::from(a), Ipv6Addr::from(b));
            let mut v6 = [a6.octets(), b6.octets()].concat();
            v6.extend_from_slice(&len.to_be_bytes());
            v6.extend_from_slice(&[0, 0, 0, proto]);
            proptest::prop_assert_eq!(fold(pseudo_header_v6(a6, b6, proto, len)), fold(sum(&v6)));
        }
    }

    #[test]
    fn judge_reports_expected_value() {
        let mut data = [
            0x45u8, 0, 0, 20, 0, 0, 0, 0, 64, 6, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
        ];
        let good = checksum(&data);
        data[10..12].copy_from_slice(&good.to_be_bytes());
        assert_eq!(judge(&data, 0, good, false), ChecksumStatus::Good);
        data[10..12].copy_from_slice(&[0x12, 0x34]);
        assert_eq!(
            judge(&data, 0, 0x1234, false),
            ChecksumStatus::Bad {
                found: 0x1234,
                expected: good
            }
        );
    }
}
