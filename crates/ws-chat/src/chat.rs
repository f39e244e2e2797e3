//! The chat room: a map of connection ids to bounded queues, as in tokio's `chat.rs` example,
//! with backpressure on senders.
//!
//! Each member's queue holds at most [`MEMBER_QUEUE`] lines and [`MEMBER_BYTES`] bytes. A line is
//! delivered to every member at once, under the room's lock, or to none: when any member's queue
//! is full, [`Room::try_broadcast`] refuses and the sender waits ([`Room::broadcast`]) without
//! reading its own socket, so a burst slows the senders to the pace of the slowest reader instead
//! of dropping the readers. Because delivery is all-or-nothing under one lock, every member sees
//! the lines in one and the same order.
//!
//! Only a member that stops reading is dropped: one that, once found full, has not drained half
//! of what it held within the stall timeout (ws-chat passes `--idle-timeout`, the time it also
//! allows a blocked write). Its inbox then ends and its connection closes with 1008. A member
//! that reads at any useful pace drains half its queue in moments; one that takes a line now
//! and then would otherwise hold every sender to its trickle.
//!
//! A waiting sender must keep draining its own inbox, or two members each waiting on the other's
//! full queue would deadlock; the session's loop does that. Waiters are woken when a member that
//! was found full has drained to half its bounds, so a burst wakes them in batches, not per line.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::{mpsc, Notify};
use tokio::time::{sleep_until, Instant};

/// Lines waiting for one member before senders must wait.
pub const MEMBER_QUEUE: usize = 1024;

/// Bytes of lines waiting for one member before senders must wait. A line larger than this is
/// still delivered to an empty queue, so no line can wait forever.
pub const MEMBER_BYTES: usize = 8 << 20;

/// What a member's queue and its reader share. Counters change with `SeqCst` so that a sender
/// that marks a queue `wanted` and then still finds it full is sure to be woken by the reader's
/// take that brings it to half (each side writes, then reads what the other wrote).
#[derive(Debug, Default)]
struct Queue {
    lines: AtomicUsize,
    bytes: AtomicUsize,
    /// Lines ever taken: a stalled reader is one whose count barely moves.
    taken: AtomicU64,
    /// Set by a sender that found this queue full: the reader wakes the waiters once it has
    /// drained to half.
    wanted: AtomicBool,
}

impl Queue {
    fn has_room(&self, len: usize) -> bool {
        let bytes = self.bytes.load(Ordering::SeqCst);
        self.lines.load(Ordering::SeqCst) < MEMBER_QUEUE
            && (bytes == 0 || bytes + len <= MEMBER_BYTES)
    }
}

#[derive(Debug)]
struct Member {
    tx: mpsc::UnboundedSender<Arc<str>>,
    queue: Arc<Queue>,
    /// Found full: since when, and how many lines it must take (`taken` to reach) to count as
    /// reading again.
    stalled: Option<(Instant, u64)>,
}

/// A member's end: its lines, and the counters its senders watch.
#[derive(Debug)]
pub struct Inbox {
    rx: mpsc::UnboundedReceiver<Arc<str>>,
    queue: Arc<Queue>,
    space: Arc<Notify>,
}

impl Inbox {
    /// The next line, or `None` once the room dropped this member.
    pub async fn recv(&mut self) -> Option<Arc<str>> {
        let line = self.rx.recv().await?;
        let queue = &self.queue;
        let lines = queue.lines.fetch_sub(1, Ordering::SeqCst) - 1;
        let bytes = queue.bytes.fetch_sub(line.len(), Ordering::SeqCst) - line.len();
        queue.taken.fetch_add(1, Ordering::SeqCst);
        if (lines <= MEMBER_QUEUE / 2 && bytes <= MEMBER_BYTES / 2)
            && queue.wanted.swap(false, Ordering::SeqCst)
        {
            self.space.notify_waiters();
        }
        Some(line)
    }
}

/// The queue of a member that is full; see [`Room::try_broadcast`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Full {
    /// When to look again even if nobody drains: the moment a stalled member would be dropped.
    pub retry_at: Instant,
}

/// The members of the room.
#[derive(Debug, Clone)]
pub struct Room {
    members: Arc<Mutex<HashMap<u64, Member>>>,
    /// Notified when a full queue has drained to half, or a member left.
    space: Arc<Notify>,
    stall_timeout: Duration,
}

impl Room {
    /// An empty room that drops a member whose full queue has not moved for `stall_timeout`.
    pub fn new(stall_timeout: Duration) -> Room {
        Room {
            members: Arc::default(),
            space: Arc::default(),
            stall_timeout,
        }
    }

    /// Adds member `id` and returns its inbox and the number now in the room.
    pub fn join(&self, id: u64) -> (Inbox, usize) {
        let (tx, rx) = mpsc::unbounded_channel();
        let queue = Arc::new(Queue::default());
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.insert(
            id,
            Member {
                tx,
                queue: Arc::clone(&queue),
                stalled: None,
            },
        );
        let inbox = Inbox {
            rx,
            queue,
            space: Arc::clone(&self.space),
        };
        (inbox, members.len())
    }

    /// Removes member `id` (if still there) and returns the number left.
    pub fn leave(&self, id: u64) -> usize {
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        if members.remove(&id).is_some() {
            // Senders waiting for this member's queue can go on.
            self.space.notify_waiters();
        }
        members.len()
    }

    /// Queues `line` for every member if every queue has room, else queues it for none. A member
    /// found full that has not drained half of it within the stall timeout is dropped instead
    /// of waited for.
    pub fn try_broadcast(&self, line: &Arc<str>) -> Result<(), Full> {
        let now = Instant::now();
        let mut retry_at: Option<Instant> = None;
        let mut members = self.members.lock().unwrap_or_else(PoisonError::into_inner);
        members.retain(|_, member| {
            let queue = &member.queue;
            if let Some((since, drained_at)) = member.stalled {
                if queue.taken.load(Ordering::SeqCst) >= drained_at {
                    member.stalled = None; // it reads
                } else if now >= since + self.stall_timeout {
                    // Dropping the sender ends the member's inbox once it is empty: 1008.
                    return false;
                }
            }
            if queue.has_room(line.len()) {
                return true;
            }
            // Ask to be woken, then look again: the reader may have drained in between.
            queue.wanted.store(true, Ordering::SeqCst);
            if queue.has_room(line.len()) {
                return true;
            }
            let (since, _) = *member.stalled.get_or_insert_with(|| {
                let half = (queue.lines.load(Ordering::SeqCst) as u64 / 2).max(1);
                (now, queue.taken.load(Ordering::SeqCst) + half)
            });
            let deadline = since + self.stall_timeout;
            retry_at = Some(retry_at.map_or(deadline, |r| r.min(deadline)));
            true
        });
        if let Some(retry_at) = retry_at {
            return Err(Full { retry_at });
        }
        for member in members.values() {
            let queue = &member.queue;
            queue.lines.fetch_add(1, Ordering::SeqCst);
            queue.bytes.fetch_add(line.len(), Ordering::SeqCst);
            // A member whose inbox is gone is leaving; `leave` removes it.
            let _ = member.tx.send(Arc::clone(line));
        }
        Ok(())
    }

    /// Queues `line` for every member, waiting for room as long as it takes (bounded by the
    /// stall timeout of whichever member is full). Cancel-safe: the line is queued for all
    /// members in one step or not at all.
    pub async fn broadcast(&self, line: &Arc<str>) {
        loop {
            // Registered before looking, so a wake-up between the look and the wait counts.
            let space = self.space.notified();
            tokio::pin!(space);
            space.as_mut().enable();
            match self.try_broadcast(line) {
                Ok(()) => return,
                Err(Full { retry_at }) => {
                    tokio::select! {
                        () = space => {}
                        () = sleep_until(retry_at) => {}
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(text: &str) -> Arc<str> {
        Arc::from(text)
    }

    #[tokio::test]
    async fn a_full_queue_makes_senders_wait_not_readers_leave() {
        let room = Room::new(Duration::from_secs(60));
        let (mut a, _) = room.join(1);
        let (mut b, _) = room.join(2);
        for i in 0..MEMBER_QUEUE {
            room.try_broadcast(&line(&format!("line {i}"))).unwrap();
        }
        assert!(room.try_broadcast(&line("one more")).is_err());
        // Nobody was dropped, and nobody got the refused line.
        assert_eq!(room.members.lock().unwrap().len(), 2);
        // A waiting sender goes on once both have drained to half.
        let waiting = tokio::spawn({
            let room = room.clone();
            async move { room.broadcast(&line("one more")).await }
        });
        for i in 0..MEMBER_QUEUE {
            assert_eq!(
                a.recv().await.as_deref(),
                Some(format!("line {i}").as_str())
            );
            assert_eq!(
                b.recv().await.as_deref(),
                Some(format!("line {i}").as_str())
            );
        }
        waiting.await.unwrap();
        assert_eq!(a.recv().await.as_deref(), Some("one more"));
        assert_eq!(b.recv().await.as_deref(), Some("one more"));
    }

    #[tokio::test]
    async fn big_lines_are_bounded_by_bytes_but_always_fit_an_empty_queue() {
        let room = Room::new(Duration::from_secs(60));
        let (mut a, _) = room.join(1);
        let big = line(&"x".repeat(MEMBER_BYTES / 2 + 1));
        room.try_broadcast(&big).unwrap();
        assert!(room.try_broadcast(&big).is_err(), "two exceed the bound");
        a.recv().await.unwrap();
        let huge = line(&"y".repeat(MEMBER_BYTES + 1));
        room.try_broadcast(&huge).unwrap();
    }

    #[tokio::test]
    async fn only_a_member_that_stops_reading_is_dropped() {
        let room = Room::new(Duration::from_millis(100));
        let (mut reader, _) = room.join(1);
        let (mut stopped, _) = room.join(2);
        for i in 0..MEMBER_QUEUE {
            room.try_broadcast(&line(&format!("line {i}"))).unwrap();
        }
        stopped.recv().await.unwrap(); // it reads once (room for one more line), then stops
                                       // The reader drains its queue; the member that stopped keeps its queue full.
        let drain = tokio::spawn(async move {
            let mut n = 0;
            while reader.recv().await.is_some() {
                n += 1;
                if n == MEMBER_QUEUE + 2 {
                    break;
                }
            }
            n
        });
        room.broadcast(&line("after the stall")).await;
        room.broadcast(&line("and on")).await;
        assert_eq!(drain.await.unwrap(), MEMBER_QUEUE + 2);
        assert_eq!(
            room.members.lock().unwrap().len(),
            1,
            "the stopped member left"
        );
        // Its inbox yields what was queued, then ends: the session closes with 1008.
        let mut left = 0;
        while stopped.recv().await.is_some() {
            left += 1;
        }
        assert_eq!(left, MEMBER_QUEUE, "all but the line that found it stalled");
    }

    #[tokio::test]
    async fn a_member_that_takes_a_line_now_and_then_cannot_hold_the_room() {
        let room = Room::new(Duration::from_millis(100));
        let (mut reader, _) = room.join(1);
        let (mut trickle, _) = room.join(2);
        for i in 0..MEMBER_QUEUE {
            room.try_broadcast(&line(&format!("line {i}"))).unwrap();
        }
        tokio::spawn(async move { while reader.recv().await.is_some() {} });
        // One line every 10 ms: far from half its queue within the stall timeout.
        let trickle = tokio::spawn(async move {
            while trickle.recv().await.is_some() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
        for i in 0..MEMBER_QUEUE {
            room.broadcast(&line(&format!("more {i}"))).await;
        }
        assert_eq!(
            room.members.lock().unwrap().len(),
            1,
            "the trickle was dropped"
        );
        trickle.abort();
    }

    #[tokio::test]
    async fn two_members_waiting_on_each_other_both_get_through_while_draining() {
        let room = Room::new(Duration::from_secs(60));
        let (mut a, _) = room.join(1);
        let (mut b, _) = room.join(2);
        for i in 0..MEMBER_QUEUE {
            room.try_broadcast(&line(&format!("line {i}"))).unwrap();
        }
        // Each member waits to broadcast while draining its own inbox, and goes on reading
        // after, as a session does; it returns once it has both members' lines.
        async fn member(room: Room, inbox: &mut Inbox, text: &'static str) -> usize {
            let mut got = 0;
            let mut theirs = 0;
            let text: Arc<str> = Arc::from(text);
            let send = room.broadcast(&text);
            tokio::pin!(send);
            let mut sent = false;
            while !sent || theirs < 2 {
                tokio::select! {
                    () = &mut send, if !sent => sent = true,
                    Some(line) = inbox.recv() => {
                        got += 1;
                        theirs += usize::from(line.starts_with("from"));
                    }
                }
            }
            got
        }
        // Bounded, so a deadlock fails the test instead of hanging it.
        let both = tokio::time::timeout(Duration::from_secs(10), async {
            tokio::join!(
                member(room.clone(), &mut a, "from a"),
                member(room.clone(), &mut b, "from b")
            )
        });
        let (ga, gb) = both.await.expect("no deadlock");
        assert_eq!((ga, gb), (MEMBER_QUEUE + 2, MEMBER_QUEUE + 2));
    }
}
