//! Decodes arbitrary bytes as every link type, reads what a printer would read, checks that
//! the field walk labels every captured byte exactly once, and that any header
//! `Repr::parse` accepts survives emit → parse unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::checksum::PseudoHeader;
use wire::decode::{Network, Transport};
use wire::layout::{Checksums, Item};
use wire::{decode, ipv4, tcp, udp, LinkType};

const LINKS: &[LinkType] = wire::link::DECODED;

/// Every captured byte belongs to exactly one field of the walk; fields sharing bytes (flag
/// bits) split them by mask.
fn labelled_once(d: &wire::Decoded<'_>) {
    let mut count = vec![0u8; d.frame.len()];
    let mut group: Option<(usize, usize, u32)> = None;
    d.walk(Checksums::Judge, |item| {
        let Item::Field(f) = item else { return };
        let def = f.def;
        assert!(def.end() <= d.frame.len(), "{} past the frame", def.name);
        assert_eq!(f.bytes.len(), def.len);
        if def.mask != 0 {
            if let Some((at, len, seen)) = group {
                if at == def.at && len == def.len {
                    assert_eq!(seen & def.mask, 0, "{} overlaps its siblings", def.name);
                    group = Some((at, len, seen | def.mask));
                    return;
                }
            }
            group = Some((def.at, def.len, def.mask));
        } else {
            group = None;
        }
        for c in &mut count[def.range()] {
            *c += 1;
        }
    });
    if let Some(i) = count.iter().position(|&c| c != 1) {
        panic!("byte {i} labelled {} times", count[i]);
    }
}

fn walk(d: &wire::Decoded<'_>, depth: u8) {
    let _ = (
        d.ip_checksum(),
        d.transport_checksum(),
        d.addrs(),
        d.ports(),
    );
    if let Some(e) = d.stop {
        assert!(e.offset() <= d.frame.len());
        let _ = e.to_string();
    }
    for t in d.vlan_tags() {
        let _ = (t.tag.vid(), t.tag.pcp(), t.tag.ethertype());
    }
    for h in d.ext_headers() {
        for o in h.header.options() {
            let _ = o;
        }
        let _ = wire::ipv6_ext::Repr::parse(&h.header).map(|r| r.to_string());
    }
    match d.network {
        Some((_, Network::Ipv4(p))) => {
            for o in p.options() {
                let _ = o.map(|o| o.field());
            }
            if let Ok(r) = ipv4::Repr::parse(&p) {
                let mut buf = vec![0u8; r.buffer_len() + r.payload_len];
                r.emit(&mut ipv4::Packet::new_unchecked(&mut buf[..]));
                assert_eq!(
                    ipv4::Repr::parse(&ipv4::Packet::new_unchecked(&buf[..])).unwrap(),
                    r
                );
            }
        }
        Some((_, Network::Ipv6(p))) => {
            let _ = wire::ipv6::Repr::parse(&p).map(|r| r.to_string());
        }
        Some((_, Network::Arp(p))) => {
            let _ = wire::arp::Repr::parse(&p).map(|r| r.to_string());
        }
        None => {}
    }
    let pseudo = PseudoHeader::V4 {
        src: [10, 0, 0, 1].into(),
        dst: [10, 0, 0, 2].into(),
    };
    match d.transport {
        Some((_, Transport::Tcp(p))) => {
            for o in p.options() {
                let _ = o.map(|o| o.field());
            }
            if let Ok(r) = tcp::Repr::parse(&p) {
                let _ = r.to_string();
                let mut buf = vec![0u8; r.buffer_len()];
                r.emit(&mut tcp::Packet::new_unchecked(&mut buf[..]), &pseudo);
                assert_eq!(
                    tcp::Repr::parse(&tcp::Packet::new_unchecked(&buf[..])).unwrap(),
                    r
                );
            }
        }
        Some((_, Transport::Udp(p))) => {
            if let Ok(r) = udp::Repr::parse(&p) {
                let mut buf = vec![0u8; r.buffer_len()];
                r.emit(&mut udp::Packet::new_unchecked(&mut buf[..]), &pseudo);
                assert_eq!(
                    udp::Repr::parse(&udp::Packet::new_unchecked(&buf[..])).unwrap(),
                    r
                );
            }
        }
        Some((_, Transport::Icmpv4(p))) => {
            let _ = wire::icmpv4::Repr::parse(&p).map(|r| r.to_string());
            if let (Some(q), true) = (p.quoted(), depth < 2) {
                walk(&decode(LinkType::Ipv4, q), depth + 1);
            }
        }
        Some((_, Transport::Icmpv6(p))) => {
            let _ = wire::icmpv6::Repr::parse(&p).map(|r| r.to_string());
            if let (Some(q), true) = (p.quoted(), depth < 2) {
                walk(&decode(LinkType::Ipv6, q), depth + 1);
            }
        }
        None => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&which, frame)) = data.split_first() else {
        return;
    };
    let d = decode(LINKS[usize::from(which) % LINKS.len()], frame);
    labelled_once(&d);
    walk(&d, 0);
});
