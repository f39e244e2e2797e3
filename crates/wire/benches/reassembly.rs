//! Reassembly cost per segment as the number of flows grows: one connection's in-order
//! data segments, against SYNs each from its own endpoint (a port scan or SYN flood) that
//! fill the flow table and then make it close a flow for every new one. The work per
//! segment should not depend on how many flows there are, so the rows should be close.
//!
//! Run: `cargo bench -p wire --bench reassembly`. Rows are ns per segment.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use wire::reassembly::{Config, Event, Reassembler, Segment, SeqNum};
use wire::tcp::Flags;

/// Segments per row: a million, so the distinct-flow row goes well past the table's
/// default cap of 65,536 flows.
const SEGMENTS: u32 = 1_000_000;

static PAYLOAD: [u8; 64] = [0x5a; 64];

fn addr(ip: u32, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)
}

/// One connection: a handshake, then the client's data in order, 1 to 64 bytes a segment.
fn one_flow() -> Vec<(Duration, Segment<'static>)> {
    let (c, s) = (addr(0x0a00_0001, 40000), addr(0x0a00_0002, 10000));
    let seg = |src, dst, seq: u32, flags, payload: &'static [u8]| Segment {
        src,
        dst,
        seq: SeqNum(seq),
        flags,
        payload,
        missing: 0,
    };
    let mut out = vec![
        seg(c, s, 1000, Flags::SYN, &[]),
        seg(s, c, 5000, Flags(Flags::SYN.0 | Flags::ACK.0), &[]),
        seg(c, s, 1001, Flags::ACK, &[]),
    ];
    let mut seq = 1001u32;
    for i in 0..SEGMENTS as usize - 3 {
        let payload = &PAYLOAD[..1 + i % 64];
        out.push(seg(c, s, seq, Flags(Flags::PSH.0 | Flags::ACK.0), payload));
        seq = seq.wrapping_add(payload.len() as u32);
    }
    timed(out)
}

/// `SEGMENTS` SYNs, each from its own address: as many flows.
fn distinct_flows() -> Vec<(Duration, Segment<'static>)> {
    let s = addr(0x0aff_fffe, 10000);
    timed(
        (0..SEGMENTS)
            .map(|i| Segment {
                src: addr(0x0a00_0000 | i, 1024),
                dst: s,
                seq: SeqNum(i.wrapping_mul(2_654_435_761)),
                flags: Flags::SYN,
                payload: &[],
                missing: 0,
            })
            .collect(),
    )
}

/// One segment a microsecond, as a busy capture would have them.
fn timed(segs: Vec<Segment<'static>>) -> Vec<(Duration, Segment<'static>)> {
    segs.into_iter()
        .enumerate()
        .map(|(i, s)| (Duration::from_micros(i as u64), s))
        .collect()
}

fn run(segs: &[(Duration, Segment<'_>)]) -> u64 {
    let mut r = Reassembler::new(Config::default());
    let mut events = 0u64;
    for (now, seg) in segs {
        r.push(*now, seg, |e: Event<'_>| {
            black_box(&e);
            events += 1;
        });
    }
    events
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("reassembly");
    g.sample_size(10);
    g.throughput(Throughput::Elements(u64::from(SEGMENTS)));
    for (name, segs) in [
        ("push_1_flow_1m_segments", one_flow()),
        ("push_1m_flows_1m_syns", distinct_flows()),
    ] {
        g.bench_function(name, |b| {
            b.iter_batched(|| (), |()| run(black_box(&segs)), BatchSize::PerIteration)
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
