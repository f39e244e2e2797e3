//! What an idle upgraded WebSocket connection costs the tracker, in heap bytes: 50,000
//! connections of a busy server (handshake and one frame each way, none closed) go through
//! the tracker in this process, and a counting allocator says how many bytes stay allocated.
//!
//! The allocator is the only `unsafe` here: it forwards every call to the system allocator
//! unchanged and only counts. It lives in this test binary alone, so it counts nothing but
//! this file's single test.

mod ws_many;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use raw_sniff::ws::{Tracker, WsConfig, DEFAULT_MAX_FRAME};
use wire::LinkType;

/// The system allocator, counting the bytes it has handed out and not yet been given back.
struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
/// The most `LIVE` has been since it was last reset.
static PEAK: AtomicUsize = AtomicUsize::new(0);

fn count_alloc(size: usize) {
    let live = LIVE.fetch_add(size, Ordering::Relaxed) + size;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: every method forwards to `System` with the caller's own arguments, so `System`'s
// guarantees are the caller's; the counter changes nothing about the memory returned.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller upholds `alloc`'s contract (non-zero size), passed on as is.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count_alloc(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, that is from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` came from `System` with `layout`; the caller upholds the rest.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            count_alloc(new_size);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const CONNS: u32 = 50_000;

/// Heap bytes that stay allocated once `CONNS` connections went through a tracker examining
/// at most `max_conns` of them at once, beyond what the new tracker held: the new tracker's,
/// the most at any time (while every handshake is half done), and what stays at the end.
fn heap_after_all_connections(max_conns: usize) -> (usize, usize, usize) {
    let before = LIVE.load(Ordering::Relaxed);
    let mut tracker = Tracker::new(WsConfig {
        max_frame: DEFAULT_MAX_FRAME,
        max_conns,
        ..WsConfig::default()
    });
    let fixed = LIVE.load(Ordering::Relaxed) - before;
    PEAK.store(LIVE.load(Ordering::Relaxed), Ordering::Relaxed);
    let mut events = Vec::with_capacity(16);
    let mut frames = 0;
    ws_many::for_each_packet(CONNS, |ts, p| {
        let decoded = wire::decode(LinkType::Ethernet, &p);
        let ts = Duration::new(ts.secs, ts.nanos);
        tracker.packet(ts, &decoded, &mut events);
        frames += events
            .drain(..)
            .filter(|e| matches!(e, raw_sniff::ws::WsEvent::Frame { .. }))
            .count();
    });
    let grown = LIVE.load(Ordering::Relaxed) - before - fixed;
    let peak = PEAK.load(Ordering::Relaxed) - before - fixed;
    assert_eq!(frames, 2 * max_conns.min(CONNS as usize), "frames decoded");
    assert_eq!(
        tracker.skipped(),
        CONNS as u64 - max_conns.min(CONNS as usize) as u64
    );
    drop(tracker);
    (fixed, peak, grown)
}

#[test]
fn an_idle_upgraded_connection_costs_the_tracker_little() {
    // The reassembler alone: the tracker examines a single connection.
    let (fixed, reassembler_peak, reassembler) = heap_after_all_connections(1);
    // The reassembler and the tracker, examining every connection.
    let (_, both_peak, both) = heap_after_all_connections(CONNS as usize);
    let per_conn = |bytes: usize| bytes / CONNS as usize;
    let tracker = both.saturating_sub(reassembler);
    let tracker_peak = both_peak.saturating_sub(reassembler_peak);
    println!(
        "{CONNS} idle upgraded WebSocket connections: {} heap bytes each for the WebSocket \
         tracker ({} at most, while every handshake was half done), {} more for the TCP \
         reassembler's flow; the reassembler's table was allocated up front: {fixed} bytes",
        per_conn(tracker),
        per_conn(tracker_peak),
        per_conn(reassembler),
    );
    // Two decoders between frames, boxed, and the map's entry: a few hundred bytes. (Holding
    // a frame decoder, message assembly and a pending frame inline cost 1,152.)
    assert!(per_conn(tracker) <= 512, "{} bytes", per_conn(tracker));
    // A handshake half done: its HTTP state, the request's leftover buffer and the upgrade
    // asked for, boxed. (A pending list with room for four handshakes inline cost 1,179.)
    assert!(
        per_conn(tracker_peak) <= 1024,
        "{} bytes",
        per_conn(tracker_peak)
    );
}
