//! The chat room: a map of connection ids to bounded channels, as in tokio's `chat.rs` example.
//!
//! Broadcast never waits. A member counts as too slow, and is dropped from the room (its
//! connection then closes with 1008), when its queue holds [`MEMBER_QUEUE`] lines or
//! [`MEMBER_BYTES`] bytes: one stalled reader cannot hold back everyone else, and the lines
//! waiting for it cannot grow without bound even when they are large.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::mpsc;

/// Lines waiting for one member before it counts as too slow.
pub const MEMBER_QUEUE: usize = 1024;

/// Bytes of lines waiting for one member before it counts as too slow.
pub const MEMBER_BYTES: usize = 32 << 20;

#[derive(Debug)]
struct Member {
    tx: mpsc::Sender<Arc<str>>,
    queued_bytes: Arc<AtomicUsize>,
}

/// A member's end: its lines, and the count of bytes still queued for it.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::Receiver<Arc<str>>,
    queued_bytes: Arc<AtomicUsize>,
}

impl Inbox {
    /// The next line, or `None` once the room dropped this member.
    pub async fn recv(&mut self) -> Option<Arc<str>> {
        let line = self.rx.recv().await?;
        self.queued_bytes.fetch_sub(line.len(), Ordering::Relaxed);
        Some(line)
    }
}

/// The members of the room.
#[derive(Debug, Default, Clone)]
pub struct Room {
    members: Arc<Mutex<HashMap<u64, Member>>>,
}

impl Room {
    /// Adds member `id` and returns its inbox and the number now in the room.
    pub fn join(&self, id: u64) -> (Inbox, usize) {
        let (tx, rx) = mpsc::channel(MEMBER_QUEUE);
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.insert(
            id,
            Member {
                tx,
                queued_bytes: Arc::clone(&queued_bytes),
            },
        );
        (Inbox { rx, queued_bytes }, members.len())
    }

    /// Removes member `id` and returns the number left.
    pub fn leave(&self, id: u64) -> usize {
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.remove(&id);
        members.len()
    }

    /// Sends `line` to every member, dropping those that cannot take it.
    pub fn broadcast(&self, line: &str) {
        let line: Arc<str> = Arc::from(line);
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.retain(|_, member| {
            let queued = member.queued_bytes.fetch_add(line.len(), Ordering::Relaxed) + line.len();
            queued <= MEMBER_BYTES && member.tx.try_send(Arc::clone(&line)).is_ok()
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slow_members_are_dropped_by_count_and_by_bytes() {
        let room = Room::default();
        let (mut fast, _) = room.join(1);
        let (_slow, _) = room.join(2);
        for i in 0..MEMBER_QUEUE + 1 {
            room.broadcast(&format!("line {i}"));
            assert_eq!(
                fast.recv().await.as_deref(),
                Some(format!("line {i}").as_str())
            );
        }
        assert_eq!(room.leave(1), 0, "the member that never read was dropped");

        let room = Room::default();
        let (_slow, _) = room.join(1);
        let big = "x".repeat(MEMBER_BYTES / 2 + 1);
        room.broadcast(&big);
        assert_eq!(room.members.lock().unwrap().len(), 1);
        room.broadcast(&big);
        assert_eq!(
            room.members.lock().unwrap().len(),
            0,
            "two big lines exceed the byte bound"
        );
    }
}
