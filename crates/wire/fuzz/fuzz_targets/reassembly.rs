//! Feeds the reassembler segments described by arbitrary bytes (several flows, both
//! directions, any flags, sequence numbers near each other so overlaps and reordering are
//! common) with small caps, and checks the bounds and bookkeeping hold throughout.
#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use wire::reassembly::{Config, Event, Reassembler, Segment, SeqNum};
use wire::tcp::Flags;

fuzz_target!(|data: &[u8]| {
    let cfg = Config {
        max_buffered_per_flow: 600,
        max_buffered_total: 1000,
        max_flows: 4,
        idle_timeout: Duration::from_secs(5),
        max_window: 1 << 20,
        // Chunks are 6 bytes: the leftover says which way flows are reported.
        announce_at_first_delivery: data.len() % 2 == 1,
    };
    // Flows reported open: each delivers only in between its Opened and its Closed.
    let mut open = std::collections::HashSet::new();
    let mut r = Reassembler::new(cfg);
    let payload = [0xabu8; 64];
    let mut delivered = 0u64;
    let mut now = Duration::ZERO;
    for chunk in data.chunks_exact(6) {
        let flow = chunk[0] & 7;
        let from_client = chunk[0] & 8 != 0;
        let flags = Flags(u16::from(chunk[1]) & 0x1ff);
        let seq =
            SeqNum(u32::from(u16::from_be_bytes([chunk[2], chunk[3]])).wrapping_add(0xffff_ff00));
        let len = usize::from(chunk[4] % 65);
        now += Duration::from_millis(u64::from(chunk[5]) * 20);
        let a = SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(10, 0, 0, flow)),
            1000 + u16::from(flow),
        );
        let b = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 1, 1)), 80);
        let (src, dst) = if from_client { (a, b) } else { (b, a) };
        let seg = Segment {
            src,
            dst,
            seq,
            flags,
            payload: &payload[..len],
            missing: u32::from(chunk[5] & 3),
        };
        r.push(now, &seg, |e| check(e, &mut open, &mut delivered));
        let s = r.stats();
        assert!(s.buffered_now <= cfg.max_buffered_total);
        assert!(r.flow_count() <= cfg.max_flows);
    }
    r.finish(|e| check(e, &mut open, &mut delivered));
    assert!(open.is_empty());
    let s = r.stats();
    assert_eq!(s.buffered_now, 0);
    assert_eq!(s.delivered_bytes, delivered);
    assert_eq!(r.flow_count(), 0);
});

fn check(e: Event<'_>, open: &mut std::collections::HashSet<u64>, delivered: &mut u64) {
    match e {
        Event::Opened { flow, .. } => assert!(open.insert(flow)),
        Event::Data { flow, bytes, .. } => {
            assert!(open.contains(&flow));
            *delivered += bytes.len() as u64;
        }
        Event::Gap { flow, .. } => assert!(open.contains(&flow)),
        Event::Closed { flow, .. } => assert!(open.remove(&flow)),
    }
}
