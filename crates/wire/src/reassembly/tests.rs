use super::*;
use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An owned copy of an event, so tests can collect them.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Opened { client: SocketAddr, syn_seen: bool },
    Data(Direction, u64, Vec<u8>),
    Gap(Direction, u64, u64),
    Closed(CloseReason),
}

fn own(e: Event<'_>) -> Ev {
    match e {
        Event::Opened {
            client, syn_seen, ..
        } => Ev::Opened { client, syn_seen },
        Event::Data {
            dir, offset, bytes, ..
        } => Ev::Data(dir, offset, bytes.to_vec()),
        Event::Gap {
            dir, offset, len, ..
        } => Ev::Gap(dir, offset, len),
        Event::Closed { reason, .. } => Ev::Closed(reason),
    }
}

fn client() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)), 40000)
}

fn server() -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)), 80)
}

fn seg(from_client: bool, seq: u32, flags: Flags, payload: &[u8]) -> Segment<'_> {
    let (src, dst) = if from_client {
        (client(), server())
    } else {
        (server(), client())
    };
    Segment {
        src,
        dst,
        seq: SeqNum(seq),
        flags,
        payload,
        missing: 0,
    }
}

struct Run {
    r: Reassembler,
    events: Vec<Ev>,
    now: Duration,
}

impl Run {
    fn new(cfg: Config) -> Run {
        Run {
            r: Reassembler::new(cfg),
            events: Vec::new(),
            now: Duration::from_secs(1),
        }
    }

    fn push(&mut self, s: Segment<'_>) {
        let events = &mut self.events;
        self.r.push(self.now, &s, |e| events.push(own(e)));
    }

    fn finish(&mut self) {
        let events = &mut self.events;
        self.r.finish(|e| events.push(own(e)));
    }

    /// The bytes of one direction with gaps as `?`, checking offsets are contiguous.
    fn stream(&self, dir: Direction) -> Vec<u8> {
        let mut out = Vec::new();
        for e in &self.events {
            match e {
                Ev::Data(d, off, b) if *d == dir => {
                    assert_eq!(*off, out.len() as u64, "data offset");
                    out.extend_from_slice(b);
                }
                Ev::Gap(d, off, len) if *d == dir => {
                    assert_eq!(*off, out.len() as u64, "gap offset");
                    out.extend(std::iter::repeat_n(b'?', *len as usize));
                }
                _ => {}
            }
        }
        out
    }
}

const C2S: Direction = Direction::ClientToServer;
const S2C: Direction = Direction::ServerToClient;
const SYN: Flags = Flags::SYN;
const ACK: Flags = Flags::ACK;
const PA: Flags = Flags(Flags::PSH.0 | Flags::ACK.0);
const FA: Flags = Flags(Flags::FIN.0 | Flags::ACK.0);

fn handshake(run: &mut Run, c_isn: u32, s_isn: u32) {
    run.push(seg(true, c_isn, SYN, b""));
    run.push(seg(false, s_isn, SYN | ACK, b""));
    run.push(seg(true, c_isn.wrapping_add(1), ACK, b""));
}

#[test]
fn in_order_connection() {
    let mut run = Run::new(Config::default());
    handshake(&mut run, 1000, 5000);
    run.push(seg(true, 1001, PA, b"GET / "));
    run.push(seg(true, 1007, PA, b"HTTP/1.1\r\n"));
    run.push(seg(false, 5001, PA, b"200 OK"));
    run.push(seg(true, 1017, FA, b""));
    run.push(seg(false, 5007, FA, b""));
    assert_eq!(
        run.events[0],
        Ev::Opened {
            client: client(),
            syn_seen: true
        }
    );
    assert_eq!(run.stream(C2S), b"GET / HTTP/1.1\r\n");
    assert_eq!(run.stream(S2C), b"200 OK");
    assert_eq!(run.events.last(), Some(&Ev::Closed(CloseReason::Fin)));
    assert_eq!(run.r.flow_count(), 0);
}

#[test]
fn reordered_and_duplicated() {
    let mut run = Run::new(Config::default());
    handshake(&mut run, 7, 9);
    run.push(seg(true, 18, PA, b"klmno"));
    run.push(seg(true, 13, PA, b"fghij"));
    run.push(seg(true, 13, PA, b"fghij"));
    assert_eq!(run.stream(C2S), b"");
    run.push(seg(true, 8, PA, b"abcde"));
    run.push(seg(true, 8, PA, b"abcde"));
    assert_eq!(run.stream(C2S), b"abcdefghijklmno");
    assert_eq!(run.r.stats().duplicate_bytes, 10);
    assert_eq!(run.r.stats().buffered_now, 0);
}

#[test]
fn overlaps_first_copy_wins() {
    let mut run = Run::new(Config::default());
    handshake(&mut run, 0, 0);
    run.push(seg(true, 1, PA, b"abcd"));
    // Overlaps delivered bytes with different content: only the new tail counts.
    run.push(seg(true, 3, PA, b"XXef"));
    // Buffered first, then a conflicting overlap of the buffered range.
    run.push(seg(true, 9, PA, b"ijkl"));
    run.push(seg(true, 8, PA, b"hYYYYmn"));
    run.push(seg(true, 7, PA, b"g"));
    assert_eq!(run.stream(C2S), b"abcdefghijklmn");
}

#[test]
fn lost_segment_reported_at_close() {
    let mut run = Run::new(Config::default());
    handshake(&mut run, 100, 200);
    run.push(seg(true, 101, PA, b"one "));
    run.push(seg(true, 110, PA, b"three"));
    run.push(seg(true, 115, FA, b""));
    run.push(seg(false, 201, FA, b""));
    // The client's FIN waits for the hole; the flow closes at end of input.
    run.finish();
    assert_eq!(run.stream(C2S), b"one ?????three");
    assert!(run.events.contains(&Ev::Gap(C2S, 4, 5)));
    assert_eq!(
        run.events.last(),
        Some(&Ev::Closed(CloseReason::EndOfInput))
    );
}

#[test]
fn idle_timeout_closes_with_gap() {
    let cfg = Config {
        idle_timeout: Duration::from_secs(10),
        ..Config::default()
    };
    let mut run = Run::new(cfg);
    handshake(&mut run, 0, 0);
    run.push(seg(true, 5, PA, b"late"));
    run.now += Duration::from_secs(11);
    let events = &mut run.events;
    run.r.expire(run.now, |e| events.push(own(e)));
    assert_eq!(run.stream(C2S), b"????late");
    assert_eq!(
        run.events.last(),
        Some(&Ev::Closed(CloseReason::IdleTimeout))
    );
    assert_eq!(run.r.flow_count(), 0);
}

#[test]
fn sequence_wraparound() {
    let mut run = Run::new(Config::default());
    handshake(&mut run, 0xffff_fffa, 1);
    // Data from 0xfffffffb across the wrap to 0x00000004.
    run.push(seg(true, 0x0000_0000, PA, b"fghij"));
    run.push(seg(true, 0xffff_fffb, PA, b"abcde"));
    run.push(seg(true, 0x0000_0005, FA, b"k"));
    run.push(seg(false, 2, FA, b""));
    assert_eq!(run.stream(C2S), b"abcdefghijk");
    assert_eq!(run.events.last(), Some(&Ev::Closed(CloseReason::Fin)));
}

#[test]
fn midstream_pickup_and_reset() {
    let mut run = Run::new(Config::default());
    run.push(seg(false, 777, PA, b"reply"));
    run.push(seg(true, 333, PA, b"req"));
    assert_eq!(
        run.events[0],
        Ev::Opened {
            client: server(),
            syn_seen: false
        }
    );
    assert_eq!(run.stream(S2C), b"req");
    assert_eq!(run.stream(C2S), b"reply");
    run.push(seg(true, 336, Flags::RST, b""));
    assert_eq!(run.events.last(), Some(&Ev::Closed(CloseReason::Reset)));
    // A RST for an unknown flow opens nothing.
    run.push(seg(true, 1, Flags::RST, b""));
    assert_eq!(run.r.flow_count(), 0);
}

#[test]
fn out_of_window_dropped() {
    let mut run = Run::new(Config {
        max_window: 1000,
        ..Config::default()
    });
    handshake(&mut run, 0, 0);
    run.push(seg(true, 5000, PA, b"far"));
    assert_eq!(run.r.stats().out_of_window_bytes, 3);
    assert_eq!(run.r.stats().buffered_now, 0);
}

#[test]
fn per_flow_cap_skips_ahead_with_gap() {
    let cfg = Config {
        max_buffered_per_flow: 2 * SEGMENT_OVERHEAD + 10,
        ..Config::default()
    };
    let mut run = Run::new(cfg);
    handshake(&mut run, 0, 0);
    run.push(seg(true, 11, PA, b"kkkkk"));
    run.push(seg(true, 21, PA, b"uuuuu"));
    assert_eq!(run.r.stats().buffered_now, 2 * SEGMENT_OVERHEAD + 10);
    run.push(seg(true, 31, PA, b"EEEEE"));
    assert_eq!(run.r.stats().buffered_now, 0);
    assert_eq!(run.r.stats().cap_evictions, 1);
    assert_eq!(run.stream(C2S), b"??????????kkkkk?????uuuuu?????EEEEE");
    // The late segment that would have filled the first hole is now a duplicate.
    run.push(seg(true, 1, PA, b"aaaaaaaaaa"));
    assert_eq!(run.stream(C2S).len(), 35);
}

#[test]
fn syn_flood_is_bounded() {
    let cfg = Config {
        max_flows: 100,
        ..Config::default()
    };
    let mut r = Reassembler::new(cfg);
    let mut opened = 0;
    let mut closed = 0;
    for i in 0..10_000u32 {
        let src = SocketAddr::new(
            IpAddr::V6(Ipv6Addr::from(u128::from(i) << 16)),
            (i % 60000) as u16,
        );
        let s = Segment {
            src,
            dst: server(),
            seq: SeqNum(i.wrapping_mul(2_654_435_761)),
            flags: SYN,
            payload: &[],
            missing: 0,
        };
        r.push(Duration::from_millis(u64::from(i)), &s, |e| match e {
            Event::Opened { .. } => opened += 1,
            Event::Closed {
                reason: CloseReason::Evicted,
                ..
            } => closed += 1,
            _ => {}
        });
        assert!(r.flow_count() <= 100);
    }
    assert_eq!((opened, closed), (10_000, 9_900));
    assert_eq!(r.stats().flows_evicted, 9_900);
}

#[test]
fn truncated_capture_reports_missing_tail() {
    let mut run = Run::new(Config::default());
    handshake(&mut run, 0, 0);
    let mut s = seg(true, 1, PA, b"abc");
    s.missing = 4;
    run.push(s);
    run.push(seg(true, 8, PA, b"hij"));
    assert_eq!(run.stream(C2S), b"abc????hij");
}

#[test]
fn segment_from_snaplen_cut_frame() {
    // The real "hello\n" segment cut after two data bytes, as a 68-byte snap length would.
    let d = crate::decode(
        crate::LinkType::Ethernet,
        &crate::testdata::ETH_IPV4_TCP_DATA[..68],
    );
    let s = Segment::from_decoded(&d).unwrap();
    assert_eq!((s.payload, s.missing), (&b"he"[..], 4));
    assert_eq!(s.src.port(), 36778);
    let d = crate::decode(crate::LinkType::Ethernet, &crate::testdata::ETH_IPV4_UDP);
    assert!(Segment::from_decoded(&d).is_none());
}

#[test]
fn real_capture_streams() {
    let bytes = include_bytes!("../../tests/data/lo-mixed.pcap");
    let mut rd = crate::pcap::Reader::new(&bytes[..]).unwrap();
    let mut r = Reassembler::new(Config::default());
    let mut data: Vec<(u64, Direction, Vec<u8>)> = Vec::new();
    let mut closed = Vec::new();
    while let Some(p) = rd.next_packet().unwrap() {
        let d = crate::decode(p.link, p.data);
        if let Some(s) = Segment::from_decoded(&d) {
            let now = Duration::new(p.ts.secs, p.ts.nanos);
            r.push(now, &s, |e| match e {
                Event::Data {
                    flow, dir, bytes, ..
                } => data.push((flow, dir, bytes.to_vec())),
                Event::Closed { flow, reason } => closed.push((flow, reason)),
                _ => {}
            });
        }
    }
    assert_eq!(
        data,
        [
            (0, C2S, b"hello\n".to_vec()),
            (1, C2S, b"hello6\n".to_vec())
        ]
    );
    assert_eq!(closed, [(0, CloseReason::Fin), (1, CloseReason::Fin)]);
}

/// Splits `data` into segments at random cut points, shuffles them, duplicates some and
/// adds overlapping copies.
fn segments(
    data: &[u8],
    cuts: &[prop::sample::Index],
    order: &[prop::sample::Index],
    dups: &[(prop::sample::Index, prop::sample::Index)],
) -> Vec<(usize, usize)> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c.index(data.len() + 1)).collect();
    points.push(0);
    points.push(data.len());
    points.sort_unstable();
    points.dedup();
    let mut segs: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
    for (a, b) in dups {
        let (a, b) = (a.index(data.len() + 1), b.index(data.len() + 1));
        segs.push((a.min(b), a.max(b)));
    }
    for (i, o) in order.iter().enumerate() {
        if !segs.is_empty() {
            let j = o.index(segs.len());
            let i = i % segs.len();
            segs.swap(i, j);
        }
    }
    segs
}

proptest! {
    #[test]
    fn any_segmentation_and_order_gives_the_stream(
        data in proptest::collection::vec(any::<u8>(), 1..400),
        isn: u32,
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..20),
        order in proptest::collection::vec(any::<prop::sample::Index>(), 0..30),
        dups in proptest::collection::vec(any::<(prop::sample::Index, prop::sample::Index)>(), 0..5),
    ) {
        let mut run = Run::new(Config::default());
        run.push(seg(true, isn, SYN, b""));
        for (a, b) in segments(&data, &cuts, &order, &dups) {
            run.push(seg(true, isn.wrapping_add(1).wrapping_add(a as u32), PA, &data[a..b]));
        }
        prop_assert_eq!(run.stream(C2S), data);
        prop_assert_eq!(run.r.stats().buffered_now, 0);
        prop_assert!(!run.events.iter().any(|e| matches!(e, Ev::Gap(..))));
    }

    #[test]
    fn bounded_memory_with_losses(
        data in proptest::collection::vec(1u8..=255, 1..600),
        isn: u32,
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
        order in proptest::collection::vec(any::<prop::sample::Index>(), 0..40),
        lose in proptest::collection::vec(any::<bool>(), 40),
        cap in 0usize..400,
    ) {
        let cfg = Config { max_buffered_per_flow: cap, max_buffered_total: cap / 2 + 100, ..Config::default() };
        let mut run = Run::new(cfg);
        run.push(seg(true, isn, SYN, b""));
        for (i, (a, b)) in segments(&data, &cuts, &order, &[]).into_iter().enumerate() {
            if lose[i % lose.len()] && i % 3 == 0 {
                continue;
            }
            run.push(seg(true, isn.wrapping_add(1).wrapping_add(a as u32), PA, &data[a..b]));
            prop_assert!(run.r.stats().buffered_now <= cap.min(cap / 2 + 100));
        }
        run.finish();
        let got = run.stream(C2S);
        // Every byte delivered is the right one; the rest are reported gaps.
        prop_assert!(got.len() <= data.len());
        for (g, d) in got.iter().zip(&data) {
            prop_assert!(*g == b'?' || g == d);
        }
        let s = run.r.stats();
        prop_assert_eq!(s.delivered_bytes + s.gap_bytes, got.len() as u64);
        prop_assert_eq!(s.buffered_now, 0);
    }
}

/// A flood of SYNs, each from its own endpoint, one every millisecond from `start`.
fn flood(r: &mut Reassembler, start: u32, count: u32, mut sink: impl FnMut(Event<'_>)) {
    for i in start..start + count {
        let src = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | i)), 1024);
        let s = Segment {
            src,
            dst: server(),
            seq: SeqNum(i.wrapping_mul(2_654_435_761)),
            flags: SYN,
            payload: &[],
            missing: 0,
        };
        r.push(Duration::from_millis(u64::from(i)), &s, &mut sink);
    }
}

/// Establishes connections `from..from + count` from 192.168.x.y, three segments each.
fn conversations(
    r: &mut Reassembler,
    from: u32,
    count: u32,
    now: Duration,
    mut sink: impl FnMut(Event<'_>),
) {
    for i in from..from + count {
        let c = SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0xc0a8_0000 | i)), 5000);
        let s = server();
        for (src, dst, flags) in [(c, s, SYN), (s, c, SYN | ACK), (c, s, ACK)] {
            let seg = Segment {
                src,
                dst,
                seq: SeqNum(i),
                flags,
                payload: &[],
                missing: 0,
            };
            r.push(now, &seg, &mut sink);
        }
    }
}

/// The work of choosing which flow to close, counted as flow-table entries examined, is the
/// same whatever the table's size: a table that scans for its oldest flow does work in
/// proportion to its size on every eviction (here 100 or 10,000 entries per SYN), and so
/// quadratic work for a flood.
#[test]
fn flow_table_work_per_segment_does_not_grow_with_flows() {
    let examined = |max_flows: usize| {
        let mut r = Reassembler::new(Config {
            max_flows,
            ..Config::default()
        });
        // Some established flows, so both groups are looked at.
        conversations(&mut r, 0, 50, Duration::ZERO, |_| {});
        flood(&mut r, 0, 30_000, |_| {});
        assert_eq!(r.stats().flows_evicted, 30_050 - max_flows as u64);
        (r.table_examined(), r.stats().segments)
    };
    let (small, segments) = examined(100);
    assert!(
        small <= 3 * segments,
        "{small} entries examined for {segments} segments"
    );
    let (large, segments) = examined(10_000);
    assert!(
        large <= 3 * segments,
        "{large} entries examined for {segments} segments"
    );
    // At most one look at the oldest flow of each group for the idle check, and one per
    // eviction: never more for a larger table.
    assert!(
        large <= small,
        "a 100-times larger table examined {large} entries, a small one {small}"
    );
}

/// Idle flows are closed as time passes, each found at the front of the table: a flood
/// whose flows time out costs the same small work per segment as one that fills the table.
#[test]
fn idle_flows_expire_without_a_scan() {
    let mut r = Reassembler::new(Config {
        idle_timeout: Duration::from_secs(1),
        ..Config::default()
    });
    let mut idle = 0;
    flood(&mut r, 0, 30_000, |e| {
        if let Event::Closed { reason, .. } = e {
            assert_eq!(reason, CloseReason::IdleTimeout);
            idle += 1;
        }
    });
    // One SYN a millisecond and a one-second timeout: a second's worth stays open.
    assert_eq!(r.flow_count(), 1_000);
    assert_eq!(idle, 29_000);
    assert_eq!(r.stats().flows_evicted, 0);
    assert!(r.table_examined() <= 3 * 30_000, "{}", r.table_examined());
}

/// The flow closed for room is the one seen least recently, not the first opened: a
/// conversation that keeps sending outlives a flood ten times the table's size.
#[test]
fn eviction_spares_a_conversation_that_keeps_talking() {
    let mut run = Run::new(Config {
        max_flows: 100,
        ..Config::default()
    });
    run.now = Duration::ZERO;
    handshake(&mut run, 1000, 5000);
    let mut sent = Vec::new();
    let mut evicted = 0;
    for round in 0..20u32 {
        let events = &mut run.events;
        flood(&mut run.r, 1 + round * 50, 50, |e| {
            if matches!(
                e,
                Event::Closed {
                    reason: CloseReason::Evicted,
                    ..
                }
            ) {
                evicted += 1;
            } else if !matches!(e, Event::Opened { .. }) {
                events.push(own(e));
            }
        });
        let byte = [b'a' + round as u8];
        run.now = Duration::from_millis(u64::from(1 + round * 50 + 50));
        run.push(seg(true, 1001 + round, PA, &byte));
        sent.push(byte[0]);
    }
    // 1,000 SYNs went through a table of 100: 901 flows were evicted, none of them the
    // conversation, which got every byte and is still open.
    assert_eq!(evicted, 901);
    assert_eq!(run.stream(C2S), sent);
    assert!(!run.events.iter().any(|e| matches!(e, Ev::Closed(_))));
    assert_eq!(run.r.flow_count(), 100);
}

/// Flows that never got past the SYN make room first: established conversations that go
/// quiet survive a flood ten times the table's size. Once every flow is established, the
/// least recently seen one makes room.
#[test]
fn eviction_spares_established_flows_through_quiet_spells() {
    let mut r = Reassembler::new(Config {
        max_flows: 100,
        ..Config::default()
    });
    conversations(&mut r, 0, 10, Duration::ZERO, |_| {});
    let mut closed = Vec::new();
    flood(&mut r, 0, 1_000, |e| {
        if let Event::Closed { flow, reason } = e {
            assert_eq!(reason, CloseReason::Evicted);
            closed.push(flow);
        }
    });
    // Flows 0..10 are the conversations, 10.. the SYNs; the first 910 SYNs made room.
    assert_eq!(closed, (10..920).collect::<Vec<u64>>());

    let mut r = Reassembler::new(Config {
        max_flows: 3,
        ..Config::default()
    });
    conversations(&mut r, 0, 3, Duration::ZERO, |_| {});
    // Conversation 0, the first opened, speaks again; 1 is now the least recently seen.
    let ack = Segment {
        src: SocketAddr::new(IpAddr::V4(Ipv4Addr::from(0xc0a8_0000)), 5000),
        dst: server(),
        seq: SeqNum(1),
        flags: ACK,
        payload: &[],
        missing: 0,
    };
    r.push(Duration::from_secs(1), &ack, |_| {});
    let mut closed = Vec::new();
    conversations(&mut r, 3, 1, Duration::from_secs(2), |e| {
        if let Event::Closed { flow, .. } = e {
            closed.push(flow);
        }
    });
    assert_eq!(closed, [1]);
    // A SYN answered by a SYN-ACK (a SYN flood on an open port) is not established: it
    // takes the room of established flow 2, then is the first to make room itself.
    let half_open = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 9, 9, 9)), 6000);
    let syn = Segment {
        src: half_open,
        dst: server(),
        seq: SeqNum(7),
        flags: SYN,
        payload: &[],
        missing: 0,
    };
    let synack = Segment {
        src: server(),
        dst: half_open,
        flags: SYN | ACK,
        ..syn
    };
    let mut sink = |e: Event<'_>| {
        if let Event::Closed { flow, .. } = e {
            closed.push(flow);
        }
    };
    r.push(Duration::from_secs(3), &syn, &mut sink);
    r.push(Duration::from_secs(3), &synack, &mut sink);
    flood(&mut r, 4_000, 1, &mut sink);
    assert_eq!(closed, [1, 2, 4]);
}

fn announcing() -> Config {
    Config {
        announce_at_first_delivery: true,
        ..Config::default()
    }
}

#[test]
fn announced_at_first_delivery_a_flow_with_data_reports_the_same_events() {
    let script = |run: &mut Run| {
        handshake(run, 1000, 5000);
        run.push(seg(true, 1001, PA, b"GET / "));
        run.push(seg(false, 5001, PA, b"200 OK"));
        run.push(seg(true, 1007, FA, b""));
        run.push(seg(false, 5007, FA, b""));
    };
    let mut early = Run::new(Config::default());
    script(&mut early);
    let mut late = Run::new(announcing());
    script(&mut late);
    assert_eq!(late.events, early.events);
    assert_eq!(
        late.events[0],
        Ev::Opened {
            client: client(),
            syn_seen: true
        }
    );
    assert_eq!(late.events.last(), Some(&Ev::Closed(CloseReason::Fin)));
}

#[test]
fn announced_at_first_delivery_opened_names_both_sides_and_comes_just_before_the_bytes() {
    let mut r = Reassembler::new(announcing());
    let mut events = Vec::new();
    // The capture missed the SYN: the SYN-ACK names the client as its receiver.
    for s in [
        seg(false, 5000, SYN | ACK, b""),
        seg(true, 1001, ACK, b""),
        seg(true, 1001, PA, b"hi"),
    ] {
        r.push(Duration::from_secs(1), &s, |e| {
            events.push(match e {
                Event::Opened {
                    client,
                    server,
                    syn_seen,
                    ..
                } => format!("opened {client} {server} {syn_seen}"),
                e => format!("{:?}", own(e)),
            })
        });
    }
    assert_eq!(
        events,
        [
            "opened 10.0.0.1:40000 10.0.0.2:80 true".to_owned(),
            format!("{:?}", Ev::Data(C2S, 0, b"hi".to_vec())),
        ]
    );
}

#[test]
fn announced_at_first_delivery_silent_flows_are_never_reported() {
    let mut r = Reassembler::new(Config {
        max_flows: 100,
        ..announcing()
    });
    let mut events = 0;
    for i in 0..10_000u32 {
        let src = SocketAddr::new(IpAddr::V6(Ipv6Addr::from(u128::from(i) << 16)), 1024);
        let s = Segment {
            src,
            dst: server(),
            seq: SeqNum(i.wrapping_mul(2_654_435_761)),
            flags: SYN,
            payload: &[],
            missing: 0,
        };
        r.push(Duration::from_millis(u64::from(i)), &s, |_| events += 1);
        // Every other probe answered by a closed port's RST, which closes its flow.
        if i % 2 == 0 {
            let rst = Segment {
                src: server(),
                dst: src,
                seq: SeqNum(0),
                flags: Flags(Flags::RST.0 | Flags::ACK.0),
                payload: &[],
                missing: 0,
            };
            r.push(Duration::from_millis(u64::from(i)), &rst, |_| events += 1);
        }
    }
    // Some time out, the rest end with the input: still nothing to say about any.
    r.expire(Duration::from_secs(9_000 + 120), |_| events += 1);
    let mut more = Run::new(announcing());
    more.push(seg(true, 1000, SYN, b""));
    more.push(seg(false, 5000, SYN | ACK, b""));
    more.push(seg(true, 1001, ACK, b""));
    more.finish();
    r.finish(|_| events += 1);
    assert_eq!(events, 0);
    assert!(more.events.is_empty(), "{:?}", more.events);
    assert_eq!(r.stats().flows_opened, 10_000);
    assert!(r.stats().flows_evicted > 0);
}

#[test]
fn announced_at_first_delivery_bytes_flushed_at_the_end_are_reported_whole() {
    let mut early = Run::new(Config::default());
    let mut late = Run::new(announcing());
    for run in [&mut early, &mut late] {
        // The first segment after the handshake was lost: the next waits in the buffer
        // until the input ends, then comes out after a gap.
        handshake(run, 1000, 5000);
        run.push(seg(true, 1004, PA, b"later"));
        assert!(run.events.iter().all(|e| matches!(e, Ev::Opened { .. })));
        run.finish();
    }
    assert_eq!(late.events, early.events);
    assert_eq!(
        late.events,
        [
            Ev::Opened {
                client: client(),
                syn_seen: true
            },
            Ev::Gap(C2S, 0, 3),
            Ev::Data(C2S, 3, b"later".to_vec()),
            Ev::Closed(CloseReason::EndOfInput),
        ]
    );
}
