//! Differential tests: this crate and `pnet_packet` read the same bytes, field by field, over
//! the captured frames in `tests/data/`, frames built from random headers, and randomly
//! mutated copies of both. Wherever this crate accepts a header, every field must equal
//! pnet's reading of it, and checksum verdicts must agree with pnet's computed checksums.

use std::net::IpAddr;

use proptest::prelude::*;
use wire::checksum::{ChecksumStatus, PseudoHeader};
use wire::decode::{Network, Transport};
use wire::{decode, ethernet, ipv4, ipv6, tcp, udp, IpProtocol, LinkType};

fn compare(link: LinkType, frame: &[u8]) {
    let d = decode(link, frame);
    if let Some(f) = d.link.and_then(|l| l.ethernet()) {
        let p = pnet_packet::ethernet::EthernetPacket::new(frame).expect("pnet ethernet");
        assert_eq!(f.dst_addr().0, p.get_destination().octets());
        assert_eq!(f.src_addr().0, p.get_source().octets());
        assert_eq!(u16::from(f.ethertype()), p.get_ethertype().0);
    }
    match d.network {
        Some((at, Network::Ipv4(ours))) => compare_ipv4(&ours, &frame[at..]),
        Some((at, Network::Ipv6(ours))) => compare_ipv6(&ours, &frame[at..]),
        _ => {}
    }
    let Some((at, t)) = d.transport else { return };
    let pseudo = d.pseudo_header().unwrap();
    // pnet computes checksums over its whole buffer, so give it exactly the segment when the
    // capture holds all of it.
    let seg_end = match d.network {
        Some((nat, Network::Ipv4(p))) => nat + usize::from(p.total_len()),
        Some((nat, Network::Ipv6(p))) => nat + 40 + usize::from(p.payload_len()),
        _ => unreachable!(),
    };
    let whole = seg_end <= frame.len();
    let seg = &frame[at..seg_end.min(frame.len())];
    let verdict = d.transport_checksum().unwrap();
    match t {
        Transport::Tcp(ours) => {
            let p = pnet_packet::tcp::TcpPacket::new(seg).expect("pnet tcp");
            assert_eq!(ours.src_port(), p.get_source());
            assert_eq!(ours.dst_port(), p.get_destination());
            assert_eq!(ours.seq_number(), p.get_sequence());
            assert_eq!(ours.ack_number(), p.get_acknowledgement());
            assert_eq!(ours.header_len(), usize::from(p.get_data_offset()) * 4);
            // pnet splits the 12 bits as 4 reserved (holding NS) + 8 flags.
            assert_eq!(ours.flags().0 & 0xff, u16::from(p.get_flags()));
            assert_eq!(
                (ours.reserved() << 1) | (ours.flags().0 >> 8) as u8,
                p.get_reserved()
            );
            assert_eq!(ours.window_len(), p.get_window());
            assert_eq!(ours.checksum(), p.get_checksum());
            assert_eq!(ours.urgent_at(), p.get_urgent_ptr());
            if tcp::Repr::parse(&ours).is_ok() {
                let mine: Vec<u8> = ours
                    .options()
                    .map(|o| o.unwrap())
                    .filter(|o| o.option != tcp::TcpOption::EndOfList)
                    .map(|o| kind_of(&o.option))
                    .collect();
                let theirs: Vec<u8> = p
                    .get_options_iter()
                    .map(|o| o.get_number().0)
                    .take_while(|&k| k != 0)
                    .collect();
                assert_eq!(mine, theirs);
            }
            if whole {
                let expected = match pseudo {
                    PseudoHeader::V4 { src, dst } => {
                        pnet_packet::tcp::ipv4_checksum(&p, &src, &dst)
                    }
                    PseudoHeader::V6 { src, dst } => {
                        pnet_packet::tcp::ipv6_checksum(&p, &src, &dst)
                    }
                };
                check_verdict(verdict, ours.checksum(), expected);
            }
        }
        Transport::Udp(ours) => {
            let p = pnet_packet::udp::UdpPacket::new(seg).expect("pnet udp");
            assert_eq!(ours.src_port(), p.get_source());
            assert_eq!(ours.dst_port(), p.get_destination());
            assert_eq!(ours.len(), p.get_length());
            assert_eq!(ours.checksum(), p.get_checksum());
            if whole && usize::from(ours.len()) == seg.len() && ours.checksum() != 0 {
                let expected = match pseudo {
                    PseudoHeader::V4 { src, dst } => {
                        pnet_packet::udp::ipv4_checksum(&p, &src, &dst)
                    }
                    PseudoHeader::V6 { src, dst } => {
                        pnet_packet::udp::ipv6_checksum(&p, &src, &dst)
                    }
                };
                check_verdict(verdict, ours.checksum(), expected);
            }
        }
        Transport::Icmpv4(ours) => {
            let p = pnet_packet::icmp::IcmpPacket::new(seg).expect("pnet icmp");
            assert_eq!(u8::from(ours.msg_type()), p.get_icmp_type().0);
            assert_eq!(ours.code(), p.get_icmp_code().0);
            assert_eq!(ours.checksum(), p.get_checksum());
            if let Some(e) = pnet_packet::icmp::echo_request::EchoRequestPacket::new(seg) {
                assert_eq!(ours.echo_ident(), e.get_identifier());
                assert_eq!(ours.echo_seq_no(), e.get_sequence_number());
            }
            if whole {
                check_verdict(verdict, ours.checksum(), pnet_packet::icmp::checksum(&p));
            }
        }
        Transport::Icmpv6(ours) => {
            let p = pnet_packet::icmpv6::Icmpv6Packet::new(seg).expect("pnet icmpv6");
            assert_eq!(u8::from(ours.msg_type()), p.get_icmpv6_type().0);
            assert_eq!(ours.code(), p.get_icmpv6_code().0);
            assert_eq!(ours.checksum(), p.get_checksum());
            if let (true, PseudoHeader::V6 { src, dst }) = (whole, pseudo) {
                check_verdict(
                    verdict,
                    ours.checksum(),
                    pnet_packet::icmpv6::checksum(&p, &src, &dst),
                );
            }
        }
    }
}

fn kind_of(o: &tcp::TcpOption<'_>) -> u8 {
    use tcp::option_kind as k;
    match *o {
        tcp::TcpOption::EndOfList => k::EOL,
        tcp::TcpOption::Nop => k::NOP,
        tcp::TcpOption::Mss(_) => k::MSS,
        tcp::TcpOption::WindowScale(_) => k::WINDOW_SCALE,
        tcp::TcpOption::SackPermitted => k::SACK_PERMITTED,
        tcp::TcpOption::Sack(_) => k::SACK,
        tcp::TcpOption::Timestamps { .. } => k::TIMESTAMPS,
        tcp::TcpOption::Unknown { kind, .. } => kind,
    }
}

/// Our verdict must agree with the checksum pnet computes: good exactly when the field
/// holds it, and when bad, our expected value is pnet's.
fn check_verdict(verdict: ChecksumStatus, found: u16, pnet_expected: u16) {
    // 0x0000 and 0xffff are the same number in ones' complement.
    let same = |a: u16, b: u16| a == b || (a == 0 || a == 0xffff) && (b == 0 || b == 0xffff);
    match verdict {
        ChecksumStatus::Good => assert!(
            same(found, pnet_expected),
            "good but pnet expects {pnet_expected:#06x}, found {found:#06x}"
        ),
        ChecksumStatus::Bad { found: f, expected } => {
            assert_eq!(f, found);
            assert!(
                same(expected, pnet_expected),
                "expected {expected:#06x}, pnet {pnet_expected:#06x}"
            );
            assert!(!same(found, pnet_expected));
        }
        ChecksumStatus::Unverified(_) => {}
    }
}

fn compare_ipv4(ours: &ipv4::Packet<&[u8]>, bytes: &[u8]) {
    let p = pnet_packet::ipv4::Ipv4Packet::new(bytes).expect("pnet ipv4");
    assert_eq!(ours.version(), p.get_version());
    assert_eq!(ours.header_len(), usize::from(p.get_header_length()) * 4);
    assert_eq!(ours.dscp(), p.get_dscp());
    assert_eq!(ours.ecn(), p.get_ecn());
    assert_eq!(ours.total_len_field(), p.get_total_length());
    assert_eq!(ours.ident(), p.get_identification());
    let flags = (u8::from(ours.reserved_flag()) << 2)
        | (u8::from(ours.dont_frag()) << 1)
        | u8::from(ours.more_frags());
    assert_eq!(flags, p.get_flags());
    assert_eq!(ours.frag_offset(), p.get_fragment_offset());
    assert_eq!(ours.ttl(), p.get_ttl());
    assert_eq!(u8::from(ours.protocol()), p.get_next_level_protocol().0);
    assert_eq!(ours.checksum(), p.get_checksum());
    assert_eq!(ours.src_addr(), p.get_source());
    assert_eq!(ours.dst_addr(), p.get_destination());
    check_verdict(
        ours.verify_checksum(),
        ours.checksum(),
        pnet_packet::ipv4::checksum(&p),
    );
}

fn compare_ipv6(ours: &ipv6::Packet<&[u8]>, bytes: &[u8]) {
    let p = pnet_packet::ipv6::Ipv6Packet::new(bytes).expect("pnet ipv6");
    assert_eq!(ours.version(), p.get_version());
    assert_eq!(ours.traffic_class(), p.get_traffic_class());
    assert_eq!(ours.flow_label(), p.get_flow_label());
    assert_eq!(ours.payload_len(), p.get_payload_length());
    assert_eq!(u8::from(ours.next_header()), p.get_next_header().0);
    assert_eq!(ours.hop_limit(), p.get_hop_limit());
    assert_eq!(ours.src_addr(), p.get_source());
    assert_eq!(ours.dst_addr(), p.get_destination());
}

fn captured() -> Vec<(LinkType, Vec<u8>)> {
    let mut out = Vec::new();
    for name in [
        "lo-mixed.pcap",
        "lo-ping.pcap",
        "any-sll-udp.pcap",
        "any-sll2-udp.pcap",
    ] {
        let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
        let bytes = std::fs::read(&path).unwrap();
        let mut r = wire::pcap::Reader::new(&bytes[..]).unwrap();
        while let Some(p) = r.next_packet().unwrap() {
            out.push((p.link, p.data.to_vec()));
        }
    }
    out
}

#[test]
fn captured_frames_agree() {
    let frames = captured();
    assert!(frames.len() >= 20);
    for (lt, f) in &frames {
        compare(*lt, f);
    }
}

/// Builds Ethernet + IPv4/IPv6 + TCP/UDP/ICMP from random header values with this crate's
/// `emit`, so pnet sees well-formed packets with every field varied.
fn build(v6: bool, which: u8, seed: &Seed) -> Vec<u8> {
    let (src4, dst4) = (seed.a4.into(), seed.b4.into());
    let (src6, dst6) = (seed.a16.into(), seed.b16.into());
    let pseudo = if v6 {
        PseudoHeader::V6 {
            src: src6,
            dst: dst6,
        }
    } else {
        PseudoHeader::V4 {
            src: src4,
            dst: dst4,
        }
    };
    let mut l4 = Vec::new();
    let proto = match which % 3 {
        0 => {
            let r = tcp::Repr {
                src_port: seed.p1,
                dst_port: seed.p2,
                seq_number: seed.w1,
                ack_number: seed.w2,
                flags: tcp::Flags(seed.p1 & 0x1ff),
                window_len: seed.p2,
                urgent_at: seed.p1 ^ seed.p2,
                options: tcp::OptionsRepr {
                    mss: Some(seed.p1),
                    window_scale: Some(seed.small),
                    sack_permitted: seed.flag,
                    sack: [None; 4],
                    timestamps: Some((seed.w1, seed.w2)),
                },
                payload: &seed.data,
            };
            l4.resize(r.buffer_len(), 0);
            r.emit(&mut tcp::Packet::new_unchecked(&mut l4[..]), &pseudo);
            IpProtocol::Tcp
        }
        1 => {
            let r = udp::Repr {
                src_port: seed.p1,
                dst_port: seed.p2,
                payload: &seed.data,
            };
            l4.resize(r.buffer_len(), 0);
            r.emit(&mut udp::Packet::new_unchecked(&mut l4[..]), &pseudo);
            IpProtocol::Udp
        }
        _ => {
            if v6 {
                let r = wire::icmpv6::Repr::EchoRequest {
                    ident: seed.p1,
                    seq_no: seed.p2,
                    data: &seed.data,
                };
                l4.resize(r.buffer_len(), 0);
                r.emit(
                    &mut wire::icmpv6::Packet::new_unchecked(&mut l4[..]),
                    &pseudo,
                );
                IpProtocol::Icmpv6
            } else {
                let r = wire::icmpv4::Repr::EchoReply {
                    ident: seed.p1,
                    seq_no: seed.p2,
                    data: &seed.data,
                };
                l4.resize(r.buffer_len(), 0);
                r.emit(&mut wire::icmpv4::Packet::new_unchecked(&mut l4[..]));
                IpProtocol::Icmp
            }
        }
    };
    let mut f = vec![0u8; 14];
    let eth = ethernet::Repr {
        src_addr: ethernet::MacAddr(seed.mac),
        dst_addr: ethernet::MacAddr::BROADCAST,
        ethertype: if v6 {
            ethernet::EtherType::Ipv6
        } else {
            ethernet::EtherType::Ipv4
        },
    };
    eth.emit(&mut ethernet::Frame::new_unchecked(&mut f[..]));
    if v6 {
        let r = ipv6::Repr {
            src_addr: src6,
            dst_addr: dst6,
            next_header: proto,
            payload_len: l4.len(),
            hop_limit: seed.small,
            traffic_class: seed.small ^ 0x5a,
            flow_label: seed.w1 & 0xfffff,
        };
        let mut ip = vec![0u8; 40];
        r.emit(&mut ipv6::Packet::new_unchecked(&mut ip[..]));
        f.extend(ip);
    } else {
        let r = ipv4::Repr {
            src_addr: src4,
            dst_addr: dst4,
            protocol: proto,
            payload_len: l4.len(),
            ttl: seed.small,
            dscp: seed.small & 0x3f,
            ecn: seed.small & 3,
            ident: seed.p2,
            dont_frag: seed.flag,
            more_frags: false,
            frag_offset: 0,
            options: &[],
        };
        let mut ip = vec![0u8; r.buffer_len()];
        r.emit(&mut ipv4::Packet::new_unchecked(&mut ip[..]));
        f.extend(ip);
    }
    f.extend(l4);
    f
}

#[derive(Debug, Clone)]
struct Seed {
    a4: [u8; 4],
    b4: [u8; 4],
    a16: [u8; 16],
    b16: [u8; 16],
    p1: u16,
    p2: u16,
    w1: u32,
    w2: u32,
    small: u8,
    flag: bool,
    mac: [u8; 6],
    data: Vec<u8>,
}

fn seed() -> impl Strategy<Value = Seed> {
    (
        any::<([u8; 4], [u8; 4], [u8; 16], [u8; 16])>(),
        any::<(u16, u16, u32, u32, u8, bool, [u8; 6])>(),
        proptest::collection::vec(any::<u8>(), 0..80),
    )
        .prop_map(
            |((a4, b4, a16, b16), (p1, p2, w1, w2, small, flag, mac), data)| Seed {
                a4,
                b4,
                a16,
                b16,
                p1,
                p2,
                w1,
                w2,
                small,
                flag,
                mac,
                data,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn generated_frames_agree(v6: bool, which: u8, s in seed()) {
        let f = build(v6, which, &s);
        let d = decode(LinkType::Ethernet, &f);
        prop_assert!(d.stop.is_none(), "{:?}", d.stop);
        prop_assert!(matches!(d.transport_checksum(), Some(ChecksumStatus::Good)));
        let (src, _) = d.addrs().unwrap();
        prop_assert_eq!(src, if v6 { IpAddr::from(s.a16) } else { IpAddr::from(s.a4) });
        compare(LinkType::Ethernet, &f);
    }

    #[test]
    fn mutated_frames_agree(v6: bool, which: u8, s in seed(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>()) {
        let mut f = build(v6, which, &s);
        for (i, v) in edits {
            let i = i.index(f.len());
            f[i] = v;
        }
        let cut = cut.index(f.len() + 1);
        compare(LinkType::Ethernet, &f[..cut]);
    }

    #[test]
    fn mutated_captures_agree(which in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4)) {
        let frames = captured();
        let (lt, f) = &frames[which.index(frames.len())];
        let mut f = f.clone();
        for (i, v) in edits {
            let i = i.index(f.len());
            f[i] = v;
        }
        compare(*lt, &f);
    }
}
