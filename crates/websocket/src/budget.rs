//! A memory budget shared by every connection of a server, for the bytes they buffer.
//!
//! A compressed message can hold a thousand times more memory than it took on the wire, and a
//! peer can keep one unfinished for as long as it likes; `max_message_size` bounds one such
//! message, but not how many peers do it at once. A [`Budget`] bounds the sum: every buffer
//! that holds a partial frame or message charges its allocation (at the inflated size) through
//! a [`Charge`] before it grows, and a growth that does not fit is refused with
//! [`ProtocolError::BudgetSpent`] (close code 1013 Try Again Later) instead of allocating.
//!
//! Each [`Charge`] carries the first [`FREE_BYTES`] uncharged, so small messages never touch the
//! shared counter and are still served when large ones are being refused. The memory a server
//! can hold is therefore the budget plus `FREE_BYTES` per buffer (two per connection).

use crate::error::ProtocolError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Bytes each [`Charge`] may hold without drawing on its budget.
pub const FREE_BYTES: usize = 16 * 1024;

/// A byte budget shared by clones of it. See the module docs.
#[derive(Debug, Clone)]
pub struct Budget {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    limit: usize,
    used: AtomicUsize,
}

impl Budget {
    /// A budget of `limit` bytes, none of them used.
    pub fn new(limit: usize) -> Self {
        Budget {
            shared: Arc::new(Shared {
                limit,
                used: AtomicUsize::new(0),
            }),
        }
    }

    /// The limit it was made with.
    pub fn limit(&self) -> usize {
        self.shared.limit
    }

    /// Bytes charged now, by all holders.
    pub fn used(&self) -> usize {
        self.shared.used.load(Ordering::Relaxed)
    }

    /// Takes `n` bytes if they fit under the limit.
    fn take(&self, n: usize) -> bool {
        let limit = self.shared.limit;
        self.shared
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(n).filter(|&total| total <= limit)
            })
            .is_ok()
    }

    fn give_back(&self, n: usize) {
        self.shared.used.fetch_sub(n, Ordering::AcqRel);
    }
}

/// What one buffer holds against a [`Budget`], given back when it shrinks or is dropped. With
/// no budget it only keeps count.
#[derive(Debug, Default)]
pub struct Charge {
    budget: Option<Budget>,
    /// The size last set, of which all but [`FREE_BYTES`] is drawn from the budget.
    bytes: usize,
}

impl Charge {
    /// A charge of nothing against `budget` (or none).
    pub fn new(budget: Option<Budget>) -> Self {
        Charge { budget, bytes: 0 }
    }

    /// The size last set.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Charges the buffer at `bytes` (its allocation). Shrinking always succeeds; growing fails,
    /// charging nothing more, if the budget cannot cover it.
    pub fn set(&mut self, bytes: usize) -> Result<(), ProtocolError> {
        let before = self.bytes.saturating_sub(FREE_BYTES);
        let after = bytes.saturating_sub(FREE_BYTES);
        if let Some(budget) = &self.budget {
            if after > before {
                if !budget.take(after - before) {
                    return Err(ProtocolError::BudgetSpent {
                        wanted: bytes as u64,
                        limit: budget.limit() as u64,
                    });
                }
            } else if after < before {
                budget.give_back(before - after);
            }
        }
        self.bytes = bytes;
        Ok(())
    }

    /// Grows `buf` to fit `extra` more bytes, by at least a quarter of its allocation and at
    /// most to `cap` (unless `extra` needs more), charging the new allocation first. A quarter,
    /// not `Vec`'s doubling, keeps the slack under a fifth of what is charged.
    pub fn grow(
        &mut self,
        buf: &mut Vec<u8>,
        extra: usize,
        cap: usize,
    ) -> Result<(), ProtocolError> {
        let need = buf.len().saturating_add(extra);
        if need <= buf.capacity() {
            return Ok(());
        }
        let step = (buf.capacity() / 4).max(FREE_BYTES / 4);
        let target = need.max(buf.capacity().saturating_add(step).min(cap));
        self.set(target)?;
        buf.reserve_exact(target - buf.len());
        // The allocator may round up; charge what was really allocated.
        if buf.capacity() > target {
            self.set(buf.capacity())?;
        }
        Ok(())
    }
}

impl Drop for Charge {
    fn drop(&mut self) {
        // Cannot fail: it only gives back.
        let _ = self.set(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_add_up_and_are_given_back() {
        let budget = Budget::new(100_000);
        let mut a = Charge::new(Some(budget.clone()));
        let mut b = Charge::new(Some(budget.clone()));
        a.set(FREE_BYTES).unwrap();
        assert_eq!(budget.used(), 0, "the first FREE_BYTES are free");
        a.set(FREE_BYTES + 60_000).unwrap();
        assert_eq!(budget.used(), 60_000);
        let err = b.set(FREE_BYTES + 50_000).unwrap_err();
        assert_eq!(u16::from(err.close_code()), 1013);
        assert_eq!(b.bytes(), 0, "a refused growth charges nothing");
        assert_eq!(budget.used(), 60_000);
        b.set(FREE_BYTES + 40_000).unwrap();
        assert_eq!(budget.used(), 100_000);
        a.set(10).unwrap();
        assert_eq!(budget.used(), 40_000);
        drop(b);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn growth_by_quarters_within_the_cap() {
        let budget = Budget::new(1 << 30);
        let mut charge = Charge::new(Some(budget.clone()));
        let mut buf = Vec::new();
        for _ in 0..1000 {
            charge.grow(&mut buf, 10_000, 5_000_000).unwrap();
            buf.extend_from_slice(&[7; 10_000]);
            assert!(buf.capacity() <= 5_000_000.max(buf.len()));
            assert!(buf.capacity() * 4 <= buf.len() * 5 + FREE_BYTES * 4);
            assert_eq!(charge.bytes(), buf.capacity());
        }
        assert_eq!(budget.used(), buf.capacity() - FREE_BYTES);
        drop(charge);
        assert_eq!(budget.used(), 0);
    }
}
