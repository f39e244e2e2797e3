//! Header parsing speed against `pnet_packet` and `etherparse` (`SlicedPacket`), each reading
//! the same fields of the same frames in the same run; checksum verification is a separate
//! row. Frames are two captured loopback data segments of `tests/data/lo-mixed.pcap` (TCP
//! timestamps included), with checksums completed so every library checks real sums.
//!
//! What each checks before its fields are read differs, and that is part of the comparison:
//! wire checks every length and header-length field (IHL at least 5 and within the buffer,
//! total length not below the header, TCP data offset at least 5 and within the buffer, UDP
//! length at least 8), as does etherparse; pnet_packet checks only that each fixed header
//! fits in the buffer and clamps what its length fields say.
//!
//! Run: `cargo bench -p wire --bench decode`. Rows are ns per packet: `decode_<frame>` reads
//! every header field, `checksum_<frame>` decodes and verifies the IP and TCP checksums, each
//! with a `wire`, `pnet_packet` and `etherparse` row; the checksum groups' `wire` row calls
//! `wire::verify_checksums`, and their `wire_decoded` row gets the same verdicts from a
//! `Decoded` (`ip_checksum()` and `transport_checksum()`). `scripts/bench-decode.sh` runs it and
//! prints the medians as one markdown table, with wire's speed relative to pnet_packet's.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use etherparse::{LinkSlice, NetSlice, SlicedPacket, TransportSlice};
use pnet_packet::ethernet::EthernetPacket;
use pnet_packet::ipv4::Ipv4Packet;
use pnet_packet::ipv6::Ipv6Packet;
use pnet_packet::tcp::TcpPacket;
use pnet_packet::Packet as _;
use wire::decode::Network;
use wire::{decode, tcp, LinkType};

fn frames() -> (Vec<u8>, Vec<u8>) {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/lo-mixed.pcap"
    ))
    .unwrap();
    let mut r = wire::pcap::Reader::new(&bytes[..]).unwrap();
    let mut all = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        all.push(p.data.to_vec());
    }
    // #4: IPv4 PSH,ACK with timestamps and 6 data bytes; #12: the same over IPv6.
    let (mut v4, mut v6) = (all[3].clone(), all[11].clone());
    for f in [&mut v4, &mut v6] {
        let d = decode(LinkType::Ethernet, f);
        let pseudo = d.pseudo_header().unwrap();
        let (t_at, _) = d.transport.unwrap();
        let v4 = matches!(d.network, Some((_, Network::Ipv4(_))));
        if v4 {
            wire::ipv4::Packet::new_unchecked(&mut f[14..]).fill_checksum();
        }
        tcp::Packet::new_unchecked(&mut f[t_at..]).fill_checksum(&pseudo);
    }
    (v4, v6)
}

fn ours(frame: &[u8]) -> u64 {
    let d = decode(LinkType::Ethernet, frame);
    let mut acc = 0u64;
    if let Some(e) = d.link.and_then(|l| l.ethernet()) {
        acc += u64::from(e.src_addr().0[5])
            + u64::from(e.dst_addr().0[5])
            + u64::from(u16::from(e.ethertype()));
    }
    match d.network {
        Some((_, Network::Ipv4(p))) => {
            acc += u64::from(u32::from(p.src_addr())) + u64::from(u32::from(p.dst_addr()));
            acc += u64::from(p.ttl())
                + u64::from(p.total_len())
                + u64::from(p.ident())
                + u64::from(u8::from(p.protocol()));
            acc += u64::from(p.dont_frag()) + u64::from(p.checksum());
        }
        Some((_, Network::Ipv6(p))) => {
            acc += u64::from(p.src_addr().octets()[15]) + u64::from(p.dst_addr().octets()[15]);
            acc += u64::from(p.hop_limit())
                + u64::from(p.payload_len())
                + u64::from(u8::from(p.next_header()))
                + u64::from(p.flow_label());
        }
        _ => {}
    }
    if let Some(t) = d.tcp() {
        acc += u64::from(t.src_port())
            + u64::from(t.dst_port())
            + u64::from(t.seq_number())
            + u64::from(t.ack_number());
        acc += u64::from(t.flags().0)
            + u64::from(t.window_len())
            + u64::from(t.checksum())
            + u64::from(t.urgent_at());
        acc += t.header_len() as u64 + t.payload().len() as u64;
    }
    acc
}

fn good(c: Option<wire::ChecksumStatus>) -> u64 {
    u64::from(c == Some(wire::ChecksumStatus::Good))
}

/// Decoding and both checksums in one call, for a caller that wants only the verdicts.
fn ours_checksums(frame: &[u8]) -> u64 {
    let v = wire::verify_checksums(LinkType::Ethernet, frame);
    good(v.ip) + good(v.transport)
}

/// The same verdicts through a whole `Decoded`, as a caller that also reads its fields gets
/// them.
fn ours_checksums_decoded(frame: &[u8]) -> u64 {
    let d = decode(LinkType::Ethernet, frame);
    good(d.ip_checksum()) + good(d.transport_checksum())
}

fn pnet_tcp(t: Option<TcpPacket<'_>>) -> u64 {
    let Some(t) = t else { return 0 };
    let mut acc = u64::from(t.get_source())
        + u64::from(t.get_destination())
        + u64::from(t.get_sequence())
        + u64::from(t.get_acknowledgement());
    acc += u64::from(t.get_flags())
        + u64::from(t.get_reserved() & 1) * 256
        + u64::from(t.get_window())
        + u64::from(t.get_checksum())
        + u64::from(t.get_urgent_ptr());
    acc + u64::from(t.get_data_offset()) * 4 + t.payload().len() as u64
}

fn pnet(frame: &[u8]) -> u64 {
    let mut acc = 0u64;
    let Some(e) = EthernetPacket::new(frame) else {
        return 0;
    };
    acc += u64::from(e.get_source().5)
        + u64::from(e.get_destination().5)
        + u64::from(e.get_ethertype().0);
    match e.get_ethertype().0 {
        0x0800 => {
            let Some(p) = Ipv4Packet::new(e.payload()) else {
                return acc;
            };
            acc += u64::from(u32::from(p.get_source())) + u64::from(u32::from(p.get_destination()));
            acc += u64::from(p.get_ttl())
                + u64::from(p.get_total_length())
                + u64::from(p.get_identification())
                + u64::from(p.get_next_level_protocol().0);
            acc += u64::from((p.get_flags() >> 1) & 1) + u64::from(p.get_checksum());
            acc + pnet_tcp(TcpPacket::new(p.payload()))
        }
        0x86dd => {
            let Some(p) = Ipv6Packet::new(e.payload()) else {
                return acc;
            };
            acc += u64::from(p.get_source().octets()[15])
                + u64::from(p.get_destination().octets()[15]);
            acc += u64::from(p.get_hop_limit())
                + u64::from(p.get_payload_length())
                + u64::from(p.get_next_header().0)
                + u64::from(p.get_flow_label());
            acc + pnet_tcp(TcpPacket::new(p.payload()))
        }
        _ => acc,
    }
}

fn pnet_checksums(frame: &[u8]) -> u64 {
    let e = EthernetPacket::new(frame).unwrap();
    match e.get_ethertype().0 {
        0x0800 => {
            let p = Ipv4Packet::new(e.payload()).unwrap();
            let t = TcpPacket::new(p.payload()).unwrap();
            u64::from(pnet_packet::ipv4::checksum(&p) == p.get_checksum())
                + u64::from(
                    pnet_packet::tcp::ipv4_checksum(&t, &p.get_source(), &p.get_destination())
                        == t.get_checksum(),
                )
        }
        _ => {
            let p = Ipv6Packet::new(e.payload()).unwrap();
            let t = TcpPacket::new(p.payload()).unwrap();
            u64::from(
                pnet_packet::tcp::ipv6_checksum(&t, &p.get_source(), &p.get_destination())
                    == t.get_checksum(),
            )
        }
    }
}

fn etherparse_fields(frame: &[u8]) -> u64 {
    let Ok(s) = SlicedPacket::from_ethernet(frame) else {
        return 0;
    };
    let mut acc = 0u64;
    if let Some(LinkSlice::Ethernet2(e)) = &s.link {
        acc +=
            u64::from(e.source()[5]) + u64::from(e.destination()[5]) + u64::from(e.ether_type().0);
    }
    match &s.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header();
            acc +=
                u64::from(u32::from(h.source_addr())) + u64::from(u32::from(h.destination_addr()));
            acc += u64::from(h.ttl())
                + u64::from(h.total_len())
                + u64::from(h.identification())
                + u64::from(h.protocol().0);
            acc += u64::from(h.dont_fragment()) + u64::from(h.header_checksum());
        }
        Some(NetSlice::Ipv6(ip)) => {
            let h = ip.header();
            acc += u64::from(h.source()[15]) + u64::from(h.destination()[15]);
            acc += u64::from(h.hop_limit())
                + u64::from(h.payload_length())
                + u64::from(h.next_header().0)
                + u64::from(h.flow_label().value());
        }
        None => {}
    }
    if let Some(TransportSlice::Tcp(t)) = &s.transport {
        acc += u64::from(t.source_port())
            + u64::from(t.destination_port())
            + u64::from(t.sequence_number())
            + u64::from(t.acknowledgment_number());
        let flags = u16::from(t.fin())
            | u16::from(t.syn()) << 1
            | u16::from(t.rst()) << 2
            | u16::from(t.psh()) << 3
            | u16::from(t.ack()) << 4
            | u16::from(t.urg()) << 5
            | u16::from(t.ece()) << 6
            | u16::from(t.cwr()) << 7
            | u16::from(t.ns()) << 8;
        acc += u64::from(flags)
            + u64::from(t.window_size())
            + u64::from(t.checksum())
            + u64::from(t.urgent_pointer());
        acc += u64::from(t.data_offset()) * 4 + t.payload().len() as u64;
    }
    acc
}

fn etherparse_checksums(frame: &[u8]) -> u64 {
    let s = SlicedPacket::from_ethernet(frame).unwrap();
    let Some(TransportSlice::Tcp(t)) = &s.transport else {
        return 0;
    };
    match &s.net {
        Some(NetSlice::Ipv4(ip)) => {
            let h = ip.header();
            u64::from(h.to_header().calc_header_checksum() == h.header_checksum())
                + u64::from(
                    t.calc_checksum_ipv4(h.source(), h.destination()).unwrap() == t.checksum(),
                )
        }
        Some(NetSlice::Ipv6(ip)) => {
            let h = ip.header();
            u64::from(t.calc_checksum_ipv6(h.source(), h.destination()).unwrap() == t.checksum())
        }
        None => 0,
    }
}

fn bench(c: &mut Criterion) {
    let (v4, v6) = frames();
    // All three must read the same values, or the comparison is meaningless.
    for f in [&v4, &v6] {
        assert_eq!(ours(f), pnet(f));
        assert_eq!(ours(f), etherparse_fields(f));
        assert_eq!(ours_checksums(f), pnet_checksums(f));
        assert_eq!(ours_checksums_decoded(f), pnet_checksums(f));
        assert_eq!(ours_checksums(f), etherparse_checksums(f));
    }
    for (name, f) in [("eth_ipv4_tcp", &v4), ("eth_ipv6_tcp", &v6)] {
        let mut g = c.benchmark_group(format!("decode_{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("wire", |b| b.iter(|| ours(black_box(f))));
        g.bench_function("pnet_packet", |b| b.iter(|| pnet(black_box(f))));
        g.bench_function("etherparse", |b| b.iter(|| etherparse_fields(black_box(f))));
        g.finish();
        let mut g = c.benchmark_group(format!("checksum_{name}"));
        g.throughput(Throughput::Elements(1));
        g.bench_function("wire", |b| b.iter(|| ours_checksums(black_box(f))));
        g.bench_function("wire_decoded", |b| {
            b.iter(|| ours_checksums_decoded(black_box(f)))
        });
        g.bench_function("pnet_packet", |b| b.iter(|| pnet_checksums(black_box(f))));
        g.bench_function("etherparse", |b| {
            b.iter(|| etherparse_checksums(black_box(f)))
        });
        g.finish();
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_millis(500)).measurement_time(std::time::Duration::from_secs(2));
    targets = bench
}
criterion_main!(benches);
