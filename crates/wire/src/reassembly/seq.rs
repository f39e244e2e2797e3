//! TCP sequence numbers: 32-bit and wrapping, compared by serial-number arithmetic
//! (RFC 1982, RFC 9293 §3.4), so 0x0000_0010 comes after 0xffff_fff0.

use core::cmp::Ordering;
use core::fmt;

/// A TCP sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// Signed distance from `other` to `self`: positive when `self` is later. Meaningful
    /// while the two are less than 2^31 apart, which TCP's window limit guarantees.
    pub fn diff(self, other: SeqNum) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }
}

impl core::ops::Add<u32> for SeqNum {
    type Output = SeqNum;

    /// The number `n` bytes later, wrapping.
    fn add(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(n))
    }
}

impl PartialOrd for SeqNum {
    /// Orders by serial arithmetic; numbers exactly 2^31 apart are unordered.
    fn partial_cmp(&self, other: &SeqNum) -> Option<Ordering> {
        match self.diff(*other) {
            0 => Some(Ordering::Equal),
            i32::MIN => None,
            d if d > 0 => Some(Ordering::Greater),
            _ => Some(Ordering::Less),
        }
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps() {
        let a = SeqNum(0xffff_fff0);
        let b = a + 0x20;
        assert_eq!(b, SeqNum(0x10));
        assert!(b > a);
        assert_eq!(b.diff(a), 0x20);
        assert_eq!(a.diff(b), -0x20);
        assert_eq!(SeqNum(0).partial_cmp(&SeqNum(0x8000_0000)), None);
    }
}
