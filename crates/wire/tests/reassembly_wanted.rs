//! `Reassembler::push_wanted`: a flow its consumer answers `Wanted::CloseOnly` for delivers
//! no more bytes or gaps, and everything else (flow numbers, when and why flows close, the
//! bytes charged against the caps) is what it would have been.
//!
//! The segments are made by hand: two connections whose data arrives out of order, one
//! with a hole that is filled late, then both closed with FIN.

use std::net::SocketAddr;
use std::time::Duration;

use wire::reassembly::{
    CloseReason, Config, Direction, Event, Reassembler, Segment, SeqNum, Wanted,
};
use wire::tcp::Flags;

/// What a test keeps of an event: (flow, what, detail).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Opened(u64),
    Data(u64, Direction, u64, Vec<u8>),
    Gap(u64, Direction, u64, u64),
    Closed(u64, CloseReason),
}

fn seen(e: &Event<'_>) -> Seen {
    match *e {
        Event::Opened { flow, .. } => Seen::Opened(flow),
        Event::Data {
            flow,
            dir,
            offset,
            bytes,
        } => Seen::Data(flow, dir, offset, bytes.to_vec()),
        Event::Gap {
            flow,
            dir,
            offset,
            len,
        } => Seen::Gap(flow, dir, offset, len),
        Event::Closed { flow, reason } => Seen::Closed(flow, reason),
    }
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// (src, dst, seq, flags, payload) of every segment, in capture order.
fn segments() -> Vec<(SocketAddr, SocketAddr, u32, Flags, Vec<u8>)> {
    let (a, b) = (addr("10.0.0.1:40000"), addr("10.0.0.2:80"));
    let (c, d) = (addr("10.0.0.3:40001"), addr("10.0.0.2:80"));
    let syn = Flags::SYN;
    let ack = Flags(Flags::ACK.0 | Flags::PSH.0);
    let fin = Flags(Flags::FIN.0 | Flags::ACK.0);
    let mut v = Vec::new();
    for (client, server, isn) in [(a, b, 100u32), (c, d, 9000u32)] {
        v.push((client, server, isn, syn, Vec::new()));
        v.push((server, client, 7, Flags(syn.0 | Flags::ACK.0), Vec::new()));
        // In order, then two segments past a hole of 5 bytes.
        v.push((client, server, isn + 1, ack, b"first".to_vec()));
        v.push((client, server, isn + 11, ack, b"third".to_vec()));
        v.push((client, server, isn + 21, ack, b"fifth".to_vec()));
        // An overlapping retransmission of buffered bytes.
        v.push((client, server, isn + 13, ack, b"irdfo".to_vec()));
    }
    // The first connection's hole is filled, and both close.
    v.push((a, b, 101 + 5, ack, b"secon".to_vec()));
    v.push((a, b, 101 + 15, ack, b"forth".to_vec()));
    for (client, server, isn, end) in [(a, b, 100u32, 25u32), (c, d, 9000, 25)] {
        v.push((client, server, isn + 1 + end, fin, Vec::new()));
        v.push((server, client, 8, fin, Vec::new()));
    }
    v
}

/// Runs every segment through a reassembler with small caps (so the out-of-order bytes
/// reach the total cap); `ignore` names the flows answered `CloseOnly` after their first
/// delivery. Returns the events and the bytes charged after each segment.
fn run(ignore: &[u64]) -> (Vec<Seen>, Vec<usize>) {
    let mut r = Reassembler::new(Config {
        max_buffered_total: 3 * (5 + wire::reassembly::SEGMENT_OVERHEAD),
        ..Config::default()
    });
    let mut events = Vec::new();
    let mut charged = Vec::new();
    for (i, (src, dst, seq, flags, payload)) in segments().iter().enumerate() {
        let seg = Segment {
            src: *src,
            dst: *dst,
            seq: SeqNum(*seq),
            flags: *flags,
            payload,
            missing: 0,
        };
        r.push_wanted(Duration::from_secs(i as u64), &seg, |e| {
            let s = seen(&e);
            let ignored = match &s {
                Seen::Data(f, ..) | Seen::Gap(f, ..) => ignore.contains(f),
                _ => false,
            };
            events.push(s);
            match ignored {
                true => Wanted::CloseOnly,
                false => Wanted::Bytes,
            }
        });
        charged.push(r.stats().buffered_now);
    }
    r.finish(|e| events.push(seen(&e)));
    (events, charged)
}

#[test]
fn an_unwanted_flow_delivers_nothing_more_and_closes_as_it_would_have() {
    let (all, charged_all) = run(&[]);
    // Sanity: the run without answers delivers bytes of both flows past the first, a gap
    // forced by the total cap, and closes both by FIN.
    assert!(all
        .iter()
        .any(|e| matches!(e, Seen::Data(0, _, off, _) if *off > 0)));
    assert!(all.iter().any(|e| matches!(e, Seen::Gap(..))));
    for flow in [0, 1] {
        assert!(
            all.contains(&Seen::Closed(flow, CloseReason::Fin)),
            "{all:?}"
        );
    }

    let (some, charged_some) = run(&[0]);
    // Flow 0's first bytes came, and none after them.
    let first = all
        .iter()
        .position(|e| matches!(e, Seen::Data(0, ..)))
        .unwrap();
    let expected: Vec<Seen> = all
        .iter()
        .enumerate()
        .filter(|(i, e)| *i <= first || !matches!(e, Seen::Data(0, ..) | Seen::Gap(0, ..)))
        .map(|(_, e)| e.clone())
        .collect();
    assert_eq!(some, expected);
    // The out-of-order ranges were charged as if their bytes had been kept, so flow 1 met
    // the total cap just as before.
    assert_eq!(charged_some, charged_all);
}
