//! The merge: what the capture threads print, put back into capture-time order and written to
//! stdout by one thread.
//!
//! Each thread sends batches of (capture time, printed bytes), one entry per packet, and with
//! each batch how far it has read: `settled`, a time before which it will send nothing more.
//! A thread's socket delivers frames in about the order they were captured, so `settled` is
//! the latest capture time it has read (or the clock, when its socket had nothing waiting),
//! less [`SETTLE`] for frames that reach a ring slightly out of order or wait in a block the
//! kernel has not handed over yet. Entries wait in a heap until every thread still running
//! has settled past them, then go out oldest first.
//!
//! The window is bounded: past [`HELD_LIMIT`] bytes waiting (a thread stalled while the others
//! run on) the oldest entries go out anyway. An entry that arrives after later ones went out
//! is written at once, out of order, rather than lost.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use crate::capture::Timestamp;

/// How far behind the latest capture time a thread has read it may still deliver a frame:
/// a TPACKET_V3 block is handed over within about two 10 ms timeouts, and frames captured on
/// different CPUs reach a ring in nearly, not exactly, the order of their timestamps.
pub(super) const SETTLE: Duration = Duration::from_millis(200);
/// Most bytes held for ordering before the oldest are written regardless.
const HELD_LIMIT: usize = 64 << 20;
/// Batches each thread may have in the channel before it waits for the merge.
pub(super) const CHANNEL_BATCHES: usize = 64;
/// What is written reaches stdout within this long (threads report at least this often, even
/// with nothing to print), so a reader of a pipe sees a slow capture as it goes.
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// What a capture thread printed for a run of packets.
pub(super) struct Batch {
    thread: usize,
    /// Each packet's capture time and output, in the order the thread read them.
    entries: Vec<(Timestamp, Vec<u8>)>,
    bytes: usize,
    /// The thread will send nothing captured before this.
    settled: Timestamp,
}

/// A message to the merge.
pub(super) enum Message {
    /// A thread's output so far.
    Batch(Batch),
}

impl Batch {
    pub(super) fn new(thread: usize) -> Batch {
        Batch {
            thread,
            entries: Vec::new(),
            bytes: 0,
            settled: Timestamp::default(),
        }
    }

    pub(super) fn push(&mut self, ts: Timestamp, bytes: Vec<u8>) {
        self.bytes += bytes.len();
        self.entries.push((ts, bytes));
    }

    /// Whether the batch should go now that a packet captured at `ts` is in it.
    pub(super) fn due(&self, ts: Timestamp) -> bool {
        self.entries.len() >= super::worker::BATCH_PACKETS
            || self.bytes >= super::worker::BATCH_BYTES
            || self
                .entries
                .first()
                .is_some_and(|(first, _)| earlier(ts, super::worker::BATCH_SPAN) >= *first)
    }

    /// The batch as it is, to send with `settled`, leaving an empty one in its place.
    pub(super) fn take(&mut self, settled: Timestamp) -> Batch {
        let mut sent = std::mem::replace(self, Batch::new(self.thread));
        sent.settled = settled;
        sent
    }
}

/// `ts` less `by` (the epoch at the earliest).
pub(super) fn earlier(ts: Timestamp, by: Duration) -> Timestamp {
    let at = Duration::new(ts.secs, ts.nanos).saturating_sub(by);
    Timestamp {
        secs: at.as_secs(),
        nanos: at.subsec_nanos(),
    }
}

/// One packet's output waiting its turn: by capture time, then arrival.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Held {
    ts: Timestamp,
    arrival: u64,
    bytes: Vec<u8>,
}

/// Merges what `threads` threads send until all have hung up, writing to stdout; flushes
/// after each write when `line_buffered` (or stdout is a terminal).
pub(super) fn run(from: Receiver<Message>, threads: usize, line_buffered: bool) -> io::Result<()> {
    let terminal = line_buffered || io::stdout().is_terminal();
    merge_into(from, threads, terminal, io::stdout())
}

/// [`run`], writing to `to` through a buffer that is flushed at least every [`FLUSH_EVERY`],
/// and after every write when `terminal`.
fn merge_into(
    from: Receiver<Message>,
    threads: usize,
    terminal: bool,
    to: impl Write,
) -> io::Result<()> {
    let mut out = BufWriter::with_capacity(64 * 1024, to);
    let mut merge = Merge::new(threads, HELD_LIMIT);
    let mut flushed = Instant::now();
    loop {
        match from.recv_timeout(FLUSH_EVERY) {
            Ok(Message::Batch(batch)) => {
                merge.add(batch);
                if merge.release(&mut out)? && terminal {
                    out.flush()?;
                }
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if flushed.elapsed() >= FLUSH_EVERY {
            out.flush()?;
            flushed = Instant::now();
        }
    }
    merge.release_all(&mut out)?;
    out.flush()
}

/// The heap of waiting output and how far each thread has settled.
struct Merge {
    held: BinaryHeap<Reverse<Held>>,
    held_bytes: usize,
    /// Past this many bytes held, the oldest go out whether settled or not.
    limit: usize,
    settled: Vec<Timestamp>,
    arrivals: u64,
}

impl Merge {
    fn new(threads: usize, limit: usize) -> Merge {
        Merge {
            held: BinaryHeap::new(),
            held_bytes: 0,
            limit,
            settled: vec![Timestamp::default(); threads],
            arrivals: 0,
        }
    }

    fn add(&mut self, batch: Batch) {
        let settled = &mut self.settled[batch.thread];
        *settled = (*settled).max(batch.settled);
        for (ts, bytes) in batch.entries {
            self.held_bytes += bytes.len();
            self.arrivals += 1;
            self.held.push(Reverse(Held {
                ts,
                arrival: self.arrivals,
                bytes,
            }));
        }
    }

    /// Writes every entry all threads have settled past, and the oldest beyond the held
    /// limit; says whether it wrote anything.
    fn release(&mut self, out: &mut impl Write) -> io::Result<bool> {
        let horizon = self.settled.iter().min().copied().unwrap_or_default();
        let mut wrote = false;
        while let Some(Reverse(oldest)) = self.held.peek() {
            if oldest.ts > horizon && self.held_bytes <= self.limit {
                break;
            }
            let Reverse(oldest) = self.held.pop().expect("peeked");
            self.held_bytes -= oldest.bytes.len();
            out.write_all(&oldest.bytes)?;
            wrote = true;
        }
        Ok(wrote)
    }

    fn release_all(&mut self, out: &mut impl Write) -> io::Result<()> {
        while let Some(Reverse(oldest)) = self.held.pop() {
            out.write_all(&oldest.bytes)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(ms: u64) -> Timestamp {
        Timestamp {
            secs: ms / 1000,
            nanos: (ms % 1000) as u32 * 1_000_000,
        }
    }

    fn batch(thread: usize, entries: &[(u64, &str)], settled: u64) -> Batch {
        let mut b = Batch::new(thread);
        for (ms, text) in entries {
            b.push(ts(*ms), text.as_bytes().to_vec());
        }
        b.take(ts(settled))
    }

    #[test]
    fn output_waits_until_every_thread_has_settled_past_it() {
        let mut merge = Merge::new(2, HELD_LIMIT);
        let mut out = Vec::new();
        merge.add(batch(0, &[(10, "a"), (30, "c")], 30));
        // Thread 1 has said nothing yet: it may still have something from before 10.
        assert!(!merge.release(&mut out).unwrap());
        merge.add(batch(1, &[(20, "b"), (40, "d")], 25));
        merge.release(&mut out).unwrap();
        assert_eq!(out, b"ab");
        merge.add(batch(1, &[], 1000));
        merge.release(&mut out).unwrap();
        assert_eq!(out, b"abc");
        merge.release_all(&mut out).unwrap();
        assert_eq!(out, b"abcd");
    }

    #[test]
    fn a_stalled_thread_holds_back_no_more_than_the_limit() {
        // Thread 1 never reports: past 4 bytes held, the oldest go out anyway, in order.
        let mut merge = Merge::new(2, 4);
        let mut out = Vec::new();
        merge.add(batch(0, &[(1, "a"), (2, "b"), (3, "c")], 3));
        merge.release(&mut out).unwrap();
        assert_eq!(out, b"");
        merge.add(batch(0, &[(4, "d"), (5, "e"), (6, "f")], 6));
        merge.release(&mut out).unwrap();
        assert_eq!(out, b"ab");
        // One arriving after later ones went out is written, late, not lost.
        merge.add(batch(1, &[(0, "z")], 0));
        merge.release(&mut out).unwrap();
        assert_eq!(out, b"abz");
    }

    /// A writer that keeps what reaches it, shared with the test.
    #[derive(Clone, Default)]
    struct Kept(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl Write for Kept {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_steady_trickle_reaches_the_writer_before_the_end() {
        let (send, receive) = std::sync::mpsc::sync_channel(CHANNEL_BATCHES);
        let kept = Kept::default();
        let merging = {
            let kept = kept.clone();
            std::thread::spawn(move || merge_into(receive, 1, false, kept))
        };
        // A batch every 10 ms, each settling the one before: the merge is never quiet for
        // long, as with capture threads reporting on a busy link. Bounded: 1000 batches.
        let mut reached = false;
        for n in 0..1000u64 {
            send.send(Message::Batch(batch(0, &[(n * 10, "line\n")], n * 10)))
                .unwrap();
            std::thread::sleep(Duration::from_millis(10));
            if !kept.0.lock().unwrap().is_empty() {
                reached = true;
                break;
            }
        }
        drop(send);
        merging.join().unwrap().unwrap();
        assert!(reached, "nothing was written until the end");
    }

    #[test]
    fn equal_times_keep_their_arrival_order() {
        let mut merge = Merge::new(1, HELD_LIMIT);
        let mut out = Vec::new();
        merge.add(batch(0, &[(5, "x"), (5, "y"), (4, "w")], 100));
        merge.release(&mut out).unwrap();
        assert_eq!(out, b"wxy");
    }
}
