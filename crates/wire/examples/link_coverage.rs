//! How far `wire::decode` gets into each packet of some capture files, by link type: used by
//! `scripts/decode-coverage.sh`.
//!
//! Each packet is one of: `network` (an IPv4, IPv6 or ARP header was decoded), `none` (every
//! link-level header was read and what they announce is not a network layer this crate
//! decodes: 802.11 management, PPP LCP, spanning tree, an unknown EtherType), or `failed`
//! (unknown link type, a broken link header, or a network layer announced but not decoded).
//! A file counts as decoded when none of its packets failed.
//!
//! Prints one tab-separated line per file: link type, file, packets, network, none, failed.

use std::fs::File;
use std::io::BufReader;

use wire::decode::Network;
use wire::ethernet::EtherType;
use wire::link::{self, Next, Start};
use wire::pcap::Reader;

fn classify(link: wire::LinkType, frame: &[u8]) -> &'static str {
    let d = wire::decode(link, frame);
    if matches!(
        d.network,
        Some((_, Network::Ipv4(_) | Network::Ipv6(_) | Network::Arp(_)))
    ) {
        return "network";
    }
    let announced = match (link::for_link_type(link), d.links().last()) {
        (Start::Unknown, _) => return "failed",
        (Start::Bare(next), None) => next,
        (Start::Header(_), None) => return "failed",
        // A header announcing another that did not parse ends here with `Next::Link`.
        (_, Some(l)) => l.next(),
    };
    match announced {
        Next::Ipv4 | Next::Ipv6 | Next::Ip | Next::Link(_) => "failed",
        Next::EtherType(EtherType::Ipv4 | EtherType::Ipv6 | EtherType::Arp) => "failed",
        Next::EtherType(et) if et.is_vlan() => {
            if d.stop.is_some() {
                "failed"
            } else {
                "none"
            }
        }
        Next::EtherType(_) | Next::Named(_) | Next::Undecoded => "none",
    }
}

fn main() {
    for path in std::env::args().skip(1) {
        let Ok(file) = File::open(&path) else {
            continue;
        };
        let Ok(mut reader) = Reader::new(BufReader::new(file)) else {
            continue;
        };
        let (mut packets, mut network, mut none, mut failed) = (0, 0, 0, 0);
        let mut link_name = String::from("?");
        while let Ok(Some(record)) = reader.next_packet() {
            link_name = record.link.to_string();
            packets += 1;
            match classify(record.link, record.data) {
                "network" => network += 1,
                "none" => none += 1,
                _ => failed += 1,
            }
        }
        if link_name == "?" {
            if let Some(l) = reader.link_type() {
                link_name = l.to_string();
            }
        }
        println!("{link_name}\t{path}\t{packets}\t{network}\t{none}\t{failed}");
    }
}
