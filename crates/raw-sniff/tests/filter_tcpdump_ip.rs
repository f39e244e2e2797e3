//! Names, address forms and IP protocol words against the real tcpdump: for each expression
//! in the tables, the packets our compiled program keeps from a capture file must be exactly
//! those `tcpdump -r FILE EXPR` prints, and what tcpdump refuses we refuse.
//!
//! Names come from the machine both run on: `localhost` from /etc/hosts, services from
//! /etc/services, networks from /etc/networks, protocols from /etc/protocols (netbase
//! provides the last three on Debian). No name here is one a resolver would send to DNS.
//!
//! The frames are built here, on Ethernet, Linux cooked and raw IP links: IPv4 with SCTP, IGMP, PIM, VRRP, AH, ESP; IPv6 with chains of
//! extension headers (hop-by-hop, routing, destination options, fragment, AH), some longer
//! than our `protochain` walk goes; and frames cut short inside the fields read.
//!
//! Needs `tcpdump` on PATH; skipped with a message when it is missing, except under `CI=true`.

#[path = "filter_packets.rs"]
mod packets;

use packets::TempDir;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use packets::{pcap_file, v4, v6, Frame, Link, Net, Transport, PCAP_FIRST_SECOND};
use raw_sniff::filter::{compile, parse, CompileError, Framing, SNAPLEN};

/// Expressions whose matches must equal tcpdump's.
const EXPRESSIONS: &[&str] = &[
    // Services.
    "port http",
    "port www",
    "tcp port domain",
    "udp port domain",
    "port domain",
    "sctp port domain",
    "port bootpc",
    "port ftp-data",
    "src port ssh or dst port http",
    "port amqp",
    "portrange 67-bootpc",
    "portrange bootps-bootpc",
    "portrange http-https",
    "tcp portrange 67-bootpc",
    "udp portrange http-443",
    "portrange 1-ftp-data",
    "portrange 010-020",
    "portrange 1-2x",
    "portrange 70000-bootpc",
    "portrange 7",
    "portrange 0x14",
    "dst portrange 07",
    // Hosts and networks by name.
    "host localhost",
    "src host localhost",
    "dst localhost",
    "ip host localhost",
    "arp host localhost",
    "net loopback",
    "net LOOPBACK",
    "net link-local",
    "ip dst net loopback",
    "arp net loopback",
    // Address forms.
    "net 10",
    "net 192.168",
    "net 10.1.2",
    "host 10.1",
    "src 10.1 or 10.2",
    "host 10",
    "dst 443",
    "host 0xc0a80001",
    "net 0xc0a80000",
    "net 0",
    "host 0",
    "host 010.0.0.1",
    "net 10.0.0.0 mask 255.0.255.0",
    "net 10.0 mask 255.255",
    "net 10.0.0.0 mask 255.255.0.255",
    "net 10.0.0.0 / 8",
    "net 10.0.0.0/ 8",
    "net 10.0.0.0 /8",
    "net 10.0/16",
    "net 10.0.0.0/0x8",
    "host ::1/128",
    "net 2001:db8:: / 32",
    "net 2001:db8::/0x20",
    "",
    // IP protocol words.
    "sctp",
    "igmp",
    "pim",
    "vrrp",
    "carp",
    "ah",
    "esp",
    "proto 6",
    "proto \\sctp",
    "proto ospf",
    "ip proto ospf",
    "ip6 proto \\pim",
    "ip proto \\IPv6-ICMP",
    "proto 300",
    "not proto 17",
    "sctp port 80",
    "sctp src port 53",
    "sctp portrange 1-100",
    "sctp[0:2] = 10",
    "sctp[2:2] > 10",
    "igmp[0] = 0x11",
    "igrp",
    "not igrp",
    "igrp[0] = 0",
    "pim[0] & 0xf = 0",
    "vrrp[0] = 0x21",
    "carp[1] = 1",
    // protochain.
    "ip6 protochain 6",
    "ip6 protochain 17",
    "ip6 protochain 44",
    "ip6 protochain 0",
    "ip6 protochain 51",
    "ip6 protochain 59",
    "ip6 protochain 32",
    "ip6 protochain 135",
    "ip protochain 6",
    "ip protochain 51",
    "ip protochain 17",
    "protochain 6",
    "protochain \\tcp",
    "not protochain 6",
    "ip6 protochain 6 or ip6",
    "ip6 or ip6 protochain 6",
    "proto 6 or 17",
    "ip proto 6 or 17",
    "ip6 proto 58 or \\tcp",
    "ip6 protochain 6 or 17",
    // DECnet addresses.
    "decnet host 1.2",
    "decnet src 1.3",
    "decnet dst 1.2",
    "decnet src and dst 1.2",
    "decnet dst host 2.5 or 1.2",
    "decnet host 64.1",
    "decnet host 1026",
    "decnet src or dst net 1.3",
    "not decnet host 1.2",
];

/// Expressions tcpdump refuses; so must we.
const REJECTED: &[&str] = &[
    "udp port http",
    "tcp port bootpc",
    "sctp port http",
    "port nosuchservice",
    "port HTTP",
    "port 80-90",
    "portrange http",
    "portrange ftp-data-ssh",
    "portrange 0x10-021",
    "portrange 0x43-bootpc",
    "portrange 1-70000",
    "portrange 80-",
    "portrange 08",
    "udp portrange http-ssh",
    "port 080",
    "net default",
    "net localhost",
    "net loopback mask 255.0.0.0",
    "net loopback/8",
    "ip6 net loopback",
    "ip6 net 10",
    "ip6 host localhost",
    "host ::/64",
    "host ::1/64",
    "host 10.0.0.0/8",
    "host 10.0.0.1/32",
    "host 1.2.3.256",
    "net 10/8",
    "net 10.0.0.0 mask 255",
    "net 10 mask 255.0.0.0",
    "net 10.0.0.0/33",
    "net 1.2.3.4 mask 255.255.255.0",
    "net 10.0.0.0 mask 255.255.0.0.0",
    "net 10.0.0.0 mask ::",
    "ah[0] = 1",
    "esp[0] = 1",
    "proto \\carp",
    "proto \\icmp6",
    "ip proto \\ip6",
    "ip proto esp",
    "tcp proto 6",
    "src proto 6",
    "tcp protochain 6",
    "protochain tcp",
    "gateway localhost",
    "decnet port 1",
    "decnet 1.2",
    "src decnet 1.2",
    "decnet host ::1",
    "decnet host localhost",
    "decnet host 1.2 mask 255.255",
    "decnet host 1.2 or tcp or 1.3",
    "proto 6 or tcp or 17",
];

/// Captured bytes and length on the wire, per packet.
type Packets = Vec<(Vec<u8>, u32)>;

const TCP: u8 = 6;
const UDP: u8 = 17;
const AH: u8 = 51;

fn tcp(s: u16, d: u16) -> Transport {
    Transport::Tcp(s, d)
}

fn ip4(src: &str, dst: &str, proto: u8, payload: Transport) -> Net {
    Net::V4 {
        src: v4(src),
        dst: v4(dst),
        proto,
        frag_offset: 0,
        more_fragments: false,
        option_words: 0,
        payload,
    }
}

fn ip6(src: &str, dst: &str, proto: u8, payload: Transport) -> Net {
    Net::V6 {
        src: v6(src),
        dst: v6(dst),
        ext: Vec::new(),
        proto,
        payload,
    }
}

/// An IPv6 packet whose payload is a chain of headers `(type, length field)` and then
/// `last` with `tail`: extension headers take `(len + 1) * 8` bytes, AH `(len + 2) * 4`.
fn chain(headers: &[(u8, u8)], last: u8, tail: Transport) -> Net {
    let mut bytes = Vec::new();
    for (i, &(ty, len)) in headers.iter().enumerate() {
        let next = headers.get(i + 1).map_or(last, |h| h.0);
        let size = if ty == AH {
            (usize::from(len) + 2) * 4
        } else {
            (usize::from(len) + 1) * 8
        };
        let mut h = vec![0u8; size];
        h[0] = next;
        h[1] = len;
        bytes.extend_from_slice(&h);
    }
    bytes.extend_from_slice(&tail.bytes(false));
    ip6(
        "2001:db8::1",
        "2001:db8::2",
        headers.first().map_or(last, |h| h.0),
        Transport::Raw(bytes),
    )
}

/// IPv4 with an AH header (length field `len`) in front of `last`.
fn ah4(len: u8, last: u8, tail: Transport) -> Net {
    let mut bytes = vec![0u8; (usize::from(len) + 2) * 4];
    bytes[0] = last;
    bytes[1] = len;
    bytes.extend_from_slice(&tail.bytes(false));
    ip4("10.0.0.1", "10.0.0.2", AH, Transport::Raw(bytes))
}

/// A DECnet routing header (ethertype 0x6003) after its 2-byte length: `pad` bytes of
/// padding (the first says how many), the flags (2: short form, 6: long form), then the
/// destination and source addresses, area.node, little-endian.
fn decnet(pad: u8, long: bool, dst: (u16, u16), src: (u16, u16)) -> Net {
    let le = |(area, node): (u16, u16)| ((area << 10) | node).to_le_bytes();
    let mut p = vec![0x20, 0x00];
    for i in 0..pad {
        p.push(if i == 0 { 0x80 | pad } else { 0 });
    }
    if long {
        p.extend_from_slice(&[0x06, 0, 0, 0xaa, 0, 4, 0]);
        p.extend_from_slice(&le(dst));
        p.extend_from_slice(&[0, 0, 0xaa, 0, 4, 0]);
        p.extend_from_slice(&le(src));
        p.extend_from_slice(&[0, 0, 0, 0]);
    } else {
        p.push(0x02);
        p.extend_from_slice(&le(dst));
        p.extend_from_slice(&le(src));
        p.push(0);
    }
    Net::Other {
        ethertype: 0x6003,
        payload: p,
    }
}

/// The frames, by name; `cut` keeps that many bytes of the network layer.
fn corpus() -> Vec<(&'static str, Net, Option<usize>)> {
    let dst_opts = |n: usize| vec![(60u8, 0u8); n];
    vec![
        (
            "tcp 10.1.2.3>192.168.0.1:80",
            ip4("10.1.2.3", "192.168.0.1", TCP, tcp(1234, 80)),
            None,
        ),
        (
            "udp 10.2.0.1:67>:68",
            ip4("10.2.0.1", "10.0.0.10", UDP, Transport::Udp(67, 68)),
            None,
        ),
        (
            "udp lo 53",
            ip4("127.0.0.1", "127.0.0.1", UDP, Transport::Udp(53, 5353)),
            None,
        ),
        (
            "tcp lo 22>20",
            ip4("127.0.0.1", "127.0.0.1", TCP, tcp(22, 20)),
            None,
        ),
        (
            "tcp 169.254.0.0:443>0.0.1.187:5672",
            ip4("169.254.0.0", "0.0.1.187", TCP, tcp(443, 5672)),
            None,
        ),
        (
            "sctp 10.0.5.0:53>10.1.0.0:80",
            ip4("10.0.5.0", "10.1.0.0", 132, Transport::Sctp(53, 80)),
            None,
        ),
        (
            "sctp 10.0.0.10:15>10.0.0.0:7",
            ip4("10.0.0.10", "10.0.0.0", 132, Transport::Sctp(15, 7)),
            None,
        ),
        (
            "udp 0.0.0.10:10>10.0.0.1:20",
            ip4("0.0.0.10", "10.0.0.1", UDP, Transport::Udp(10, 20)),
            None,
        ),
        (
            "udp 0.0.0.0>192.168.0.1:443",
            ip4("0.0.0.0", "192.168.0.1", UDP, Transport::Udp(4000, 443)),
            None,
        ),
        (
            "tcp 10.255.0.7>10.0.0.1:1",
            ip4("10.255.0.7", "10.0.0.1", TCP, tcp(2, 1)),
            None,
        ),
        (
            "igmp",
            ip4(
                "10.0.0.1",
                "224.0.0.1",
                2,
                Transport::Raw(vec![0x11, 0x64, 0, 0, 224, 0, 0, 1]),
            ),
            None,
        ),
        (
            "pim",
            ip4(
                "10.0.0.1",
                "224.0.0.13",
                103,
                Transport::Raw(vec![0x20, 0, 0, 0, 0, 1, 0, 0]),
            ),
            None,
        ),
        (
            "vrrp",
            ip4(
                "10.0.0.1",
                "224.0.0.18",
                112,
                Transport::Raw(vec![0x21, 1, 100, 1, 0, 1, 0, 0]),
            ),
            None,
        ),
        (
            "esp",
            ip4(
                "10.0.0.1",
                "10.0.0.2",
                50,
                Transport::Raw(vec![0, 0, 1, 0, 0, 0, 0, 1]),
            ),
            None,
        ),
        (
            "ospf",
            ip4(
                "10.0.0.1",
                "224.0.0.5",
                89,
                Transport::Raw(vec![2, 1, 0, 44]),
            ),
            None,
        ),
        (
            "proto 300?",
            ip4("10.0.0.1", "10.0.0.2", 44, Transport::Raw(vec![0; 8])),
            None,
        ),
        ("ah4>tcp", ah4(4, TCP, tcp(1, 80)), None),
        ("ah4>udp", ah4(1, UDP, Transport::Udp(1, 2)), None),
        ("ah4 cut", ah4(4, TCP, tcp(1, 80)), Some(21)),
        (
            "tcp later fragment :80",
            Net::V4 {
                src: v4("10.1.2.3"),
                dst: v4("10.1.0.1"),
                proto: TCP,
                frag_offset: 100,
                more_fragments: false,
                option_words: 0,
                payload: tcp(80, 80),
            },
            None,
        ),
        (
            "sctp with options :80",
            Net::V4 {
                src: v4("10.1.2.3"),
                dst: v4("10.1.0.1"),
                proto: 132,
                frag_offset: 0,
                more_fragments: false,
                option_words: 2,
                payload: Transport::Sctp(9, 80),
            },
            None,
        ),
        (
            "arp 127.0.0.1>10.1.0.5",
            Net::Arp {
                rarp: false,
                spa: v4("127.0.0.1"),
                tpa: v4("10.1.0.5"),
            },
            None,
        ),
        (
            "rarp 10.1.0.5>127.0.0.0",
            Net::Arp {
                rarp: true,
                spa: v4("10.1.0.5"),
                tpa: v4("127.0.0.0"),
            },
            None,
        ),
        ("tcp6 ::1:80", ip6("::1", "::1", TCP, tcp(5000, 80)), None),
        (
            "udp6 db8 53",
            ip6("2001:db8::1", "2001:db8::2", UDP, Transport::Udp(53, 9)),
            None,
        ),
        (
            "udp6 db9 53",
            ip6("2001:db9::1", "::1", UDP, Transport::Udp(53, 9)),
            None,
        ),
        (
            "sctp6 :80",
            ip6("2001:db8::1", "2001:db8::2", 132, Transport::Sctp(1, 80)),
            None,
        ),
        (
            "pim6",
            ip6(
                "2001:db8::1",
                "ff02::d",
                103,
                Transport::Raw(vec![0x20, 0, 0, 0]),
            ),
            None,
        ),
        (
            "esp6",
            ip6("2001:db8::1", "2001:db8::2", 50, Transport::Raw(vec![0; 8])),
            None,
        ),
        ("hop>tcp", chain(&[(0, 0)], TCP, tcp(1, 2)), None),
        (
            "hop16>rt>dst24>tcp",
            chain(&[(0, 1), (43, 0), (60, 2)], TCP, tcp(1, 2)),
            None,
        ),
        (
            "frag>udp",
            chain(&[(44, 0)], UDP, Transport::Udp(1, 2)),
            None,
        ),
        (
            "hop>frag>tcp",
            chain(&[(0, 0), (44, 0)], TCP, tcp(1, 2)),
            None,
        ),
        ("16 dst>tcp", chain(&dst_opts(16), TCP, tcp(1, 2)), None),
        ("15 dst>tcp", chain(&dst_opts(15), TCP, tcp(1, 2)), None),
        ("ah6>tcp", chain(&[(AH, 4)], TCP, tcp(1, 2)), None),
        (
            "hop>ah6>udp",
            chain(&[(0, 0), (AH, 1)], UDP, Transport::Udp(1, 2)),
            None,
        ),
        (
            "ah6>dst>tcp",
            chain(&[(AH, 4), (60, 0)], TCP, tcp(1, 2)),
            None,
        ),
        (
            "hop>none",
            chain(&[(0, 0)], 59, Transport::Raw(vec![])),
            None,
        ),
        (
            "hop>mobility>tcp",
            chain(&[(0, 0), (135, 0)], TCP, tcp(1, 2)),
            None,
        ),
        (
            "decnet short 1.3>1.2",
            decnet(0, false, (1, 2), (1, 3)),
            None,
        ),
        (
            "decnet short pad 1.2>1.3",
            decnet(1, false, (1, 3), (1, 2)),
            None,
        ),
        ("decnet long 1.2>2.5", decnet(0, true, (2, 5), (1, 2)), None),
        (
            "decnet long pad 1.2>1.2",
            decnet(1, true, (1, 2), (1, 2)),
            None,
        ),
        (
            "decnet short 2 pads 1.3>1.2",
            decnet(2, false, (1, 2), (1, 3)),
            None,
        ),
        (
            "decnet short 0.1>0.1",
            decnet(0, false, (0, 1), (0, 1)),
            None,
        ),
        (
            "decnet long cut in src",
            decnet(0, true, (9, 9), (1, 2)),
            Some(2 + 15),
        ),
        (
            "decnet short cut in dst",
            decnet(0, false, (1, 2), (1, 3)),
            Some(4),
        ),
        // Cut short inside what the primitives read.
        (
            "tcp cut in dst addr",
            ip4("10.1.2.3", "192.168.0.1", TCP, tcp(1234, 80)),
            Some(18),
        ),
        (
            "tcp cut in ports",
            ip4("10.1.2.3", "192.168.0.1", TCP, tcp(1234, 80)),
            Some(21),
        ),
        (
            "sctp cut in ports",
            ip4("10.0.5.0", "10.1.0.0", 132, Transport::Sctp(53, 80)),
            Some(22),
        ),
        (
            "igmp cut",
            ip4(
                "10.0.0.1",
                "224.0.0.1",
                2,
                Transport::Raw(vec![0x11, 0x64, 0, 0]),
            ),
            Some(20),
        ),
        (
            "hop cut in length",
            chain(&[(0, 0)], TCP, tcp(1, 2)),
            Some(40),
        ),
        (
            "3 ext cut in third",
            chain(&[(0, 1), (43, 0), (60, 2)], TCP, tcp(1, 2)),
            Some(40 + 16 + 8),
        ),
        ("ah6 cut", chain(&[(AH, 4)], TCP, tcp(1, 2)), Some(41)),
        (
            "v6 cut in src",
            ip6("::1", "::1", TCP, tcp(5000, 80)),
            Some(20),
        ),
    ]
}

/// Frames for one link type: everything on Ethernet and Linux cooked, the IP frames on raw IP.
fn frames(link: Link, corpus: &[(&'static str, Net, Option<usize>)]) -> Vec<(usize, Frame)> {
    corpus
        .iter()
        .enumerate()
        .filter_map(|(i, (_, net, cut))| {
            let is_ip = matches!(net, Net::V4 { .. } | Net::V6 { .. });
            if link == Link::Raw && !is_ip {
                return None;
            }
            let head = match link {
                Link::Raw => 0,
                Link::Sll => 16,
                Link::Ethernet { .. } => 14,
            };
            let frame = Frame {
                link,
                net: net.clone(),
                caplen: cut.map(|c| c + head),
            };
            Some((i, frame))
        })
        .collect()
}

/// Packet positions (within the file) that tcpdump prints for `expr`.
fn tcpdump_matches(file: &Path, expr: &str) -> BTreeSet<usize> {
    let out = packets::tcpdump_output(file, &["-tt"], expr);
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split('.').next()?.parse::<u32>().ok())
        .map(|sec| (sec - PCAP_FIRST_SECOND) as usize)
        .collect()
}

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("filter-ip-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

/// The capture file for `link` and its frames' names and bytes.
fn capture(
    dir: &TempDir,
    link: Link,
    corpus: &[(&'static str, Net, Option<usize>)],
) -> (PathBuf, Vec<&'static str>, Packets) {
    let frames = frames(link, corpus);
    let names = frames.iter().map(|(i, _)| corpus[*i].0).collect();
    let packets: Vec<(Vec<u8>, u32)> = frames.iter().map(|(_, f)| f.bytes()).collect();
    let file = dir.0.join(format!("{}.pcap", link.pcap_linktype()));
    std::fs::write(&file, pcap_file(link.pcap_linktype(), &packets)).unwrap();
    (file, names, packets)
}

/// Positions of the packets our program for `expr` keeps.
fn ours(expr: &str, framing: Framing, packets: &[(Vec<u8>, u32)]) -> BTreeSet<usize> {
    let e = parse(expr).unwrap_or_else(|e| panic!("we refuse '{expr}': {e}"));
    let prog = compile(&e, framing).unwrap_or_else(|e| panic!("'{expr}': {e}"));
    packets
        .iter()
        .enumerate()
        .filter(|(_, (data, wire))| prog.run(data, *wire) == SNAPLEN)
        .map(|(i, _)| i)
        .collect()
}

#[test]
fn matches_equal_tcpdumps() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = TempDir::new("oracle");
    let corpus = corpus();
    let mut failures = Vec::new();
    let mut compared = 0;
    for (link, framing) in [
        (Link::Ethernet { vlan: None }, Framing::Ethernet),
        (Link::Sll, Framing::LinuxSll),
        (Link::Raw, Framing::RawIp),
    ] {
        let (file, names, packets) = capture(&dir, link, &corpus);
        for expr in EXPRESSIONS {
            // Refused as matching nothing (`ip6 and igrp`), which libpcap must refuse too.
            if compile(&parse(expr).unwrap(), framing) == Err(CompileError::RejectsAll) {
                if !packets::tcpdump_rejects_all(&file, expr) {
                    failures.push(format!("{framing:?} '{expr}': refused as matching nothing"));
                }
                continue;
            }
            let mine = ours(expr, framing, &packets);
            let theirs = tcpdump_matches(&file, expr);
            compared += 1;
            if mine != theirs {
                let name =
                    |s: BTreeSet<usize>| -> Vec<&str> { s.iter().map(|&i| names[i]).collect() };
                failures.push(format!(
                    "{framing:?} '{expr}':\n  only ours:    {:?}\n  only tcpdump: {:?}",
                    name(mine.difference(&theirs).copied().collect()),
                    name(theirs.difference(&mine).copied().collect()),
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {compared} comparisons failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{compared} filter/link-type pairs agree with tcpdump");
}

/// The walk stops after 16 headers, where libpcap's loop goes on: up to 16 both keep the
/// packet, beyond that only tcpdump does. This pins the limit the module docs state.
#[test]
fn protochain_beyond_its_limit_is_the_documented_difference() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = TempDir::new("chain");
    let corpus: Vec<(&'static str, Net, Option<usize>)> = [16usize, 17, 20, 40]
        .iter()
        .map(|&n| ("chain", chain(&vec![(60u8, 0u8); n], TCP, tcp(1, 2)), None))
        .collect();
    let (file, _, packets) = capture(&dir, Link::Ethernet { vlan: None }, &corpus);
    let expr = "ip6 protochain 6";
    assert_eq!(
        tcpdump_matches(&file, expr),
        BTreeSet::from([0, 1, 2, 3]),
        "libpcap walks any chain"
    );
    assert_eq!(ours(expr, Framing::Ethernet, &packets), BTreeSet::from([0]));
}

#[test]
fn rejected_expressions_are_rejected_by_tcpdump_too() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = TempDir::new("reject");
    let file = dir.0.join("e.pcap");
    std::fs::write(&file, pcap_file(1, &[])).unwrap();
    for expr in REJECTED {
        let compiles = parse(expr).is_ok_and(|e| compile(&e, Framing::Ethernet).is_ok());
        assert!(!compiles, "we accept '{expr}'");
        let out = Command::new("tcpdump")
            .args(["-d", "-r"])
            .arg(&file)
            .arg(expr)
            .output()
            .expect("run tcpdump");
        assert!(!out.status.success(), "tcpdump accepts '{expr}'");
        // Ours is one line, and says what is wrong rather than "expected 'and'".
        let e = parse(expr).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!e.contains('\n'), "'{expr}': {e}");
    }
}

/// `tcpdump -d ''` and `raw-sniff -d ''` list the same one instruction, and so does a filter
/// of spaces alone.
#[test]
fn empty_filter_lists_as_tcpdump_lists_it() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = TempDir::new("empty");
    let (file, _, _) = capture(&dir, Link::Ethernet { vlan: None }, &corpus());
    for expr in ["", "   "] {
        let theirs = Command::new("tcpdump")
            .args(["-d", "-r"])
            .arg(&file)
            .arg(expr)
            .output()
            .expect("run tcpdump");
        assert!(theirs.status.success());
        let mine = Command::new(env!("CARGO_BIN_EXE_raw-sniff"))
            .args(["-r"])
            .arg(&file)
            .args(["-d", expr])
            .output()
            .expect("run raw-sniff");
        assert!(
            mine.status.success(),
            "{}",
            String::from_utf8_lossy(&mine.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&mine.stdout),
            String::from_utf8_lossy(&theirs.stdout)
        );
    }
}

/// Name files of the test's own, mounted over /etc for tcpdump and raw-sniff alike in a
/// private mount namespace (so nothing outside the two processes sees them): a host with
/// several IPv4 and IPv6 addresses, a service with different TCP and UDP numbers, one
/// listed only for SCTP, networks written short.
const SERVICES: &str = "http 80/tcp www\nhttps 443/tcp\nhttps 443/udp\noddsvc 100/tcp\n\
                        oddsvc 101/udp\nudponly 300/udp\nsctponly 4242/sctp\n";
const HOSTS: &str = "127.0.0.1 localhost\n10.9.9.1 multi\n10.9.9.2 multi\n2001:db8::99 multi\n\
                     ::1 six\n";
const NETWORKS: &str = "ten 10\nnet192 192.168\nlo 127.0.0.0\nzero 0\n";

const PRIVATE_NAMES: &[&str] = &[
    "host multi",
    "ip host multi",
    "ip6 host multi",
    "src host multi",
    "dst multi or six",
    "port oddsvc",
    "tcp port oddsvc",
    "port udponly",
    "udp port udponly",
    "portrange oddsvc-udponly",
    "portrange https-oddsvc",
    "portrange udponly-udponly",
    "net ten",
    "net net192",
    "dst net lo",
];

const PRIVATE_REJECTED: &[&str] = &[
    "udp port oddsvc",
    "tcp port udponly",
    "port sctponly",
    "net zero",
    "arp host multi",
    "ip6 net ten",
];

/// Whether the name files can be mounted privately: root and `unshare`; else the test
/// says why and skips (but fails in CI, which runs as root).
fn private_mounts_available() -> bool {
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let unshare = Command::new("unshare")
        .args(["-m", "true"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !(root && unshare) {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("CI=true needs root and unshare(1) to test names from private files");
        }
        eprintln!("skipping: needs root and unshare(1) to mount name files privately");
    }
    root && unshare
}

/// Runs `program args…` with the test's name files mounted over /etc.
fn with_names(dir: &TempDir, program: &str, args: &[&std::ffi::OsStr]) -> std::process::Output {
    let script = "mount --bind \"$1\" /etc/services && mount --bind \"$2\" /etc/hosts && \
                  mount --bind \"$3\" /etc/networks && shift 3 && exec \"$@\"";
    Command::new("unshare")
        .args(["-m", "sh", "-c", script, "sh"])
        .arg(dir.0.join("services"))
        .arg(dir.0.join("hosts"))
        .arg(dir.0.join("networks"))
        .arg(program)
        .args(args)
        .output()
        .expect("run unshare")
}

#[test]
fn names_from_private_files_match_tcpdumps() {
    if !packets::tcpdump_available() || !private_mounts_available() {
        return;
    }
    let dir = TempDir::new("names");
    for (name, text) in [
        ("services", SERVICES),
        ("hosts", HOSTS),
        ("networks", NETWORKS),
    ] {
        std::fs::write(dir.0.join(name), text).unwrap();
    }
    let corpus: Vec<(&'static str, Net, Option<usize>)> = vec![
        (
            "tcp 10.9.9.1:100",
            ip4("10.9.9.1", "10.0.0.1", TCP, tcp(100, 5)),
            None,
        ),
        (
            "udp >10.9.9.2:101",
            ip4("10.1.1.1", "10.9.9.2", UDP, Transport::Udp(7, 101)),
            None,
        ),
        (
            "udp 300>10.9.9.3",
            ip4("10.1.1.1", "10.9.9.3", UDP, Transport::Udp(300, 9)),
            None,
        ),
        (
            "tcp 192.168.1.1:443",
            ip4("192.168.1.1", "127.0.0.1", TCP, tcp(443, 9)),
            None,
        ),
        (
            "udp 127.0.0.0:443",
            ip4("127.0.0.0", "127.0.0.1", UDP, Transport::Udp(443, 9)),
            None,
        ),
        (
            "sctp 4242",
            ip4("10.1.1.1", "10.1.1.2", 132, Transport::Sctp(4242, 1)),
            None,
        ),
        (
            "tcp6 multi:100",
            ip6("2001:db8::99", "::2", TCP, tcp(100, 9)),
            None,
        ),
        (
            "udp6 >six:101",
            ip6("::2", "::1", UDP, Transport::Udp(9, 101)),
            None,
        ),
        (
            "arp 10.9.9.2",
            Net::Arp {
                rarp: false,
                spa: v4("10.9.9.2"),
                tpa: v4("10.0.0.1"),
            },
            None,
        ),
        (
            "tcp 10.9.9.1 cut",
            ip4("10.9.9.1", "10.0.0.1", TCP, tcp(100, 5)),
            Some(18),
        ),
    ];
    let (file, names, _) = capture(&dir, Link::Ethernet { vlan: None }, &corpus);
    let raw_sniff = env!("CARGO_BIN_EXE_raw-sniff");
    let mut failures = Vec::new();
    for expr in PRIVATE_NAMES {
        let e = std::ffi::OsStr::new(expr);
        let theirs = with_names(
            &dir,
            "tcpdump",
            &[
                "-n".as_ref(),
                "-tt".as_ref(),
                "-r".as_ref(),
                file.as_os_str(),
                e,
            ],
        );
        assert!(
            theirs.status.success(),
            "tcpdump '{expr}': {}",
            String::from_utf8_lossy(&theirs.stderr)
        );
        let theirs: BTreeSet<usize> = String::from_utf8_lossy(&theirs.stdout)
            .lines()
            .filter_map(|l| l.split('.').next()?.parse::<u32>().ok())
            .map(|sec| (sec - PCAP_FIRST_SECOND) as usize)
            .collect();
        let mine = with_names(
            &dir,
            raw_sniff,
            &["-r".as_ref(), file.as_os_str(), "--json".as_ref(), e],
        );
        assert!(
            mine.status.success(),
            "raw-sniff '{expr}': {}",
            String::from_utf8_lossy(&mine.stderr)
        );
        let mine: BTreeSet<usize> = String::from_utf8_lossy(&mine.stdout)
            .lines()
            .filter_map(|l| {
                let n = l.split("\"frame.number\":").nth(1)?;
                n.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse::<usize>()
                    .ok()
            })
            .map(|n| n - 1)
            .collect();
        if mine != theirs {
            let name = |s: BTreeSet<usize>| -> Vec<&str> { s.iter().map(|&i| names[i]).collect() };
            failures.push(format!(
                "'{expr}':\n  only ours:    {:?}\n  only tcpdump: {:?}",
                name(mine.difference(&theirs).copied().collect()),
                name(theirs.difference(&mine).copied().collect()),
            ));
        }
    }
    for expr in PRIVATE_REJECTED {
        let e = std::ffi::OsStr::new(expr);
        let theirs = with_names(
            &dir,
            "tcpdump",
            &["-d".as_ref(), "-r".as_ref(), file.as_os_str(), e],
        );
        let mine = with_names(
            &dir,
            raw_sniff,
            &["-r".as_ref(), file.as_os_str(), "-d".as_ref(), e],
        );
        if theirs.status.success() || mine.status.success() {
            failures.push(format!(
                "'{expr}': tcpdump {}, raw-sniff {}",
                if theirs.status.success() {
                    "accepts"
                } else {
                    "refuses"
                },
                if mine.status.success() {
                    "accepts"
                } else {
                    "refuses"
                },
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
