//! Counters the summary reports, shared by every connection task without a lock.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Default)]
pub struct Stats {
    inner: Arc<Counters>,
}

#[derive(Debug, Default)]
struct Counters {
    open: AtomicUsize,
    served: AtomicU64,
    refused: AtomicU64,
    /// Refusals not yet reported on stderr; see `take_unreported_refusals`.
    unreported: AtomicU64,
    bytes: AtomicU64,
}

/// Held by a connection's task; dropping it marks the connection closed.
#[derive(Debug)]
pub struct OpenGuard {
    inner: Arc<Counters>,
    number: u64,
}

impl OpenGuard {
    /// 1 for the first connection the server accepted, 2 for the next, …
    pub fn number(&self) -> u64 {
        self.number
    }
}

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.inner.open.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Stats {
    /// Counts a new connection unless `max` are already open.
    pub fn try_open(&self, max: usize) -> Option<OpenGuard> {
        // Several accept loops run at once: only a compare-and-swap keeps the count at `max`.
        let counted = self
            .inner
            .open
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |open| {
                (open < max).then_some(open + 1)
            });
        if counted.is_err() {
            self.inner.refused.fetch_add(1, Ordering::Relaxed);
            self.inner.unreported.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let number = self.inner.served.fetch_add(1, Ordering::Relaxed) + 1;
        Some(OpenGuard {
            inner: Arc::clone(&self.inner),
            number,
        })
    }

    /// Refusals since the last call: each is counted here once, by whichever call takes it.
    pub fn take_unreported_refusals(&self) -> u64 {
        self.inner.unreported.swap(0, Ordering::Relaxed)
    }

    pub fn open(&self) -> usize {
        self.inner.open.load(Ordering::Relaxed)
    }

    pub fn add_bytes(&self, n: usize) {
        self.inner.bytes.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// One line for the end of a run; `verb` says what happened to the bytes ("echoed", "sent").
    pub fn summary(&self, uptime: Duration, verb: &str) -> String {
        let served = self.inner.served.load(Ordering::Relaxed);
        let refused = self.inner.refused.load(Ordering::Relaxed);
        let bytes = self.inner.bytes.load(Ordering::Relaxed);
        let mut line = format!(
            "summary: {served} connection{} served, {bytes} bytes {verb} in {:.1}s",
            if served == 1 { "" } else { "s" },
            uptime.as_secs_f64()
        );
        if refused > 0 {
            line.push_str(&format!(", {refused} refused (--max-conns)"));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_connections_are_capped_and_released() {
        let stats = Stats::default();
        let first = stats.try_open(2).unwrap();
        let second = stats.try_open(2).unwrap();
        assert_eq!((first.number(), second.number()), (1, 2));
        assert!(stats.try_open(2).is_none());
        assert_eq!(stats.take_unreported_refusals(), 1);
        assert_eq!(stats.take_unreported_refusals(), 0);
        drop(first);
        assert_eq!(stats.open(), 1);
        assert_eq!(stats.try_open(2).unwrap().number(), 3);
        stats.add_bytes(10);
        let summary = stats.summary(Duration::from_secs(2), "echoed");
        assert_eq!(
            summary,
            "summary: 3 connections served, 10 bytes echoed in 2.0s, 1 refused (--max-conns)"
        );
    }
}
