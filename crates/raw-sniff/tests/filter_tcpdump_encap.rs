//! Encapsulations (`vlan`, `mpls`, `pppoed`, `pppoes`, `geneve`) and packet direction (`inbound`,
//! `outbound`) against the real tcpdump: for every expression here, the packets our compiled
//! program keeps are exactly those tcpdump keeps, on Ethernet and Linux cooked files holding
//! tagged, stacked and tunnelled frames and copies of them cut short inside each shim; and
//! every expression libpcap refuses is refused here too.
//!
//! Needs `tcpdump` on PATH; skipped with a message when it is missing, except under `CI=true`.

#[path = "filter_packets.rs"]
mod packets;

use packets::TempDir;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use packets::{pcap_file, v4, v6, Net, Transport, PCAP_FIRST_SECOND};
use raw_sniff::filter::{compile, parse, CompileError, Framing, SNAPLEN};

const MACS: [u8; 12] = [0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];

fn be16(x: u16) -> [u8; 2] {
    x.to_be_bytes()
}

fn ipv4(src: &str, dst: &str, proto: u8, payload: Transport) -> Vec<u8> {
    Net::V4 {
        src: v4(src),
        dst: v4(dst),
        proto,
        frag_offset: 0,
        more_fragments: false,
        option_words: 0,
        payload,
    }
    .bytes()
}

fn ipv6(src: &str, dst: &str, proto: u8, payload: Transport) -> Vec<u8> {
    Net::V6 {
        src: v6(src),
        dst: v6(dst),
        ext: Vec::new(),
        proto,
        payload,
    }
    .bytes()
}

/// An 802.1Q/802.1ad tag's last two bytes and the type after them: TCI, next type.
fn tag(tci: u16, next: u16) -> Vec<u8> {
    [be16(tci), be16(next)].concat()
}

/// An MPLS label stack entry with TTL 64.
fn mpls(label: u32, bottom: bool) -> Vec<u8> {
    ((label << 12) | (u32::from(bottom) << 8) | 64)
        .to_be_bytes()
        .to_vec()
}

/// A PPPoE session header (version/type 0x11, code 0) for `len` bytes of PPP after it,
/// followed by the PPP protocol field.
fn pppoes(sid: u16, ppp_proto: u16, len: usize) -> Vec<u8> {
    let mut v = vec![0x11, 0x00];
    v.extend_from_slice(&be16(sid));
    v.extend_from_slice(&be16(len as u16 + 2));
    v.extend_from_slice(&be16(ppp_proto));
    v
}

/// A UDP datagram to port `dport` carrying a Geneve header (version `version`, one word of
/// options) with VNI `vni` and `inner`: after an Ethernet header ending in `eth_type` (the
/// type, or tags then the type; protocol 0x6558), or with none when `eth_type` is empty (the
/// Geneve protocol field then says IPv4).
fn geneve_udp(dport: u16, version: u8, vni: u32, inner: &[u8], eth_type: &[u8]) -> Vec<u8> {
    let proto: u16 = if eth_type.is_empty() { 0x0800 } else { 0x6558 };
    let mut g = vec![(version << 6) | 1, 0];
    g.extend_from_slice(&be16(proto));
    g.extend_from_slice(&(vni << 8).to_be_bytes());
    g.extend_from_slice(&[0x01, 0x02, 0x00, 0x00]); // one word of options
    if !eth_type.is_empty() {
        g.extend_from_slice(&MACS);
        g.extend_from_slice(eth_type);
    }
    g.extend_from_slice(inner);
    let mut udp = be16(40000).to_vec();
    udp.extend_from_slice(&be16(dport));
    udp.extend_from_slice(&be16(8 + g.len() as u16));
    udp.extend_from_slice(&[0, 0]);
    udp.extend_from_slice(&g);
    Transport::Raw(udp).bytes(false)
}

/// Inner Ethernet types for [`geneve_udp`].
const ETH_IPV4: &[u8] = &[0x08, 0x00];
const ETH_IPV6: &[u8] = &[0x86, 0xdd];
const ETH_VLAN_10_IPV4: &[u8] = &[0x81, 0x00, 0x00, 0x0a, 0x08, 0x00];
const BARE: &[u8] = &[];

fn ethernet(parts: &[&[u8]]) -> Vec<u8> {
    let mut v = MACS.to_vec();
    for p in parts {
        v.extend_from_slice(p);
    }
    v
}

/// Ethernet frames: `(name, frame)`, each whole; cut copies are added by [`with_cuts`].
fn ethernet_frames() -> Vec<(&'static str, Vec<u8>)> {
    let tcp80 = ipv4("10.0.0.1", "10.0.0.2", 6, Transport::Tcp(1234, 80));
    let icmp = ipv4("10.0.0.3", "10.0.0.1", 1, Transport::Echo);
    let udp53_v6 = ipv6("2001:db8::1", "2001:db8::2", 17, Transport::Udp(5353, 53));
    let tcp_v6 = ipv6("2001:db8::3", "2001:db8::1", 6, Transport::Tcp(80, 4000));
    let udp53 = ipv4("10.0.0.9", "10.0.0.1", 17, Transport::Udp(53, 999));
    let arp = Net::Arp {
        rarp: false,
        spa: v4("10.0.0.9"),
        tpa: v4("10.0.0.1"),
    }
    .bytes();
    let padi = [0x11, 0x09, 0, 0, 0, 4, 0x01, 0x01, 0, 0];
    // Link-layer protocols inside the shims, for the link-layer words written after them.
    let bpdu: &[u8] = &[0x42, 0x42, 0x03, 0, 0, 0, 0, 0];
    let isis_psnp: &[u8] = &[0x83, 27, 1, 0, 0x1a, 1, 0, 0];
    let geneve_stp = ethernet(&[
        &be16(0x0800),
        &geneve4(6081, 0, 5, bpdu, 0, &be16(bpdu.len() as u16)),
    ]);
    // The same with the inner frame sent to broadcast: outer Ethernet, IPv4, UDP, then
    // Geneve's 8 bytes and one word of options come before the inner destination.
    let mut geneve_stp_broadcast = geneve_stp.clone();
    geneve_stp_broadcast[14 + 20 + 8 + 8 + 4..][..6].copy_from_slice(&[0xff; 6]);
    vec![
        ("geneve inner stp", geneve_stp),
        ("geneve inner broadcast stp", geneve_stp_broadcast),
        (
            "vlan 10 stp",
            ethernet(&[&be16(0x8100), &tag(10, bpdu.len() as u16), bpdu]),
        ),
        (
            "vlan 10 lldp",
            ethernet(&[&be16(0x8100), &tag(10, 0x88cc), &[0; 16]]),
        ),
        (
            "vlan 10 to broadcast",
            [
                &[0xff; 6][..],
                &MACS[6..],
                &be16(0x8100),
                &tag(10, 0x0800),
                &tcp80,
            ]
            .concat(),
        ),
        (
            "pppoes osi isis",
            ethernet(&[
                &be16(0x8864),
                &pppoes(0x1234, 0x0023, isis_psnp.len()),
                isis_psnp,
            ]),
        ),
        (
            "pppoes ipx",
            ethernet(&[&be16(0x8864), &pppoes(0x1234, 0x002b, 8), &[0xff; 8]]),
        ),
        (
            "pppoes bridged stp",
            ethernet(&[&be16(0x8864), &pppoes(0x1234, 0x0031, 8), &[0; 8]]),
        ),
        ("ipv4 tcp", ethernet(&[&be16(0x0800), &tcp80])),
        (
            "vlan 10 ipv4 tcp",
            ethernet(&[&be16(0x8100), &tag(10, 0x0800), &tcp80]),
        ),
        (
            "vlan 20 icmp",
            ethernet(&[&be16(0x8100), &tag(20, 0x0800), &icmp]),
        ),
        (
            "vlan 10 ipv6 udp",
            ethernet(&[&be16(0x8100), &tag(10, 0x86dd), &udp53_v6]),
        ),
        (
            "qinq 100/10 ipv4 tcp",
            ethernet(&[&be16(0x88a8), &tag(100, 0x8100), &tag(10, 0x0800), &tcp80]),
        ),
        (
            "tpid 0x9100 vlan 30 udp",
            ethernet(&[&be16(0x9100), &tag(30, 0x0800), &udp53]),
        ),
        (
            "vlan 10 arp",
            ethernet(&[&be16(0x8100), &tag(10, 0x0806), &arp]),
        ),
        (
            "vlan 10 with priority 7",
            ethernet(&[&be16(0x8100), &tag(0xe00a, 0x0800), &udp53]),
        ),
        (
            "mpls 100 ipv4 tcp",
            ethernet(&[&be16(0x8847), &mpls(100, true), &tcp80]),
        ),
        (
            "mpls 100/200 ipv6 udp",
            ethernet(&[
                &be16(0x8847),
                &mpls(100, false),
                &mpls(200, true),
                &udp53_v6,
            ]),
        ),
        (
            "mpls 200/100 ipv4 icmp",
            ethernet(&[&be16(0x8847), &mpls(200, false), &mpls(100, true), &icmp]),
        ),
        // The bottom-of-stack bit is not set: what follows is not IP.
        (
            "mpls 100 not bottom",
            ethernet(&[&be16(0x8847), &mpls(100, false), &tcp80]),
        ),
        (
            "vlan 10 mpls 16 ipv4",
            ethernet(&[&be16(0x8100), &tag(10, 0x8847), &mpls(16, true), &tcp80]),
        ),
        (
            "pppoes 0x1234 ipv4 tcp",
            ethernet(&[&be16(0x8864), &pppoes(0x1234, 0x21, tcp80.len()), &tcp80]),
        ),
        (
            "pppoes 7 ipv6 tcp",
            ethernet(&[&be16(0x8864), &pppoes(7, 0x57, tcp_v6.len()), &tcp_v6]),
        ),
        ("pppoed padi", ethernet(&[&be16(0x8863), &padi])),
        (
            "pppoes 5 mpls 99 ipv4",
            ethernet(&[
                &be16(0x8864),
                &pppoes(5, 0x0281, 4 + icmp.len()),
                &mpls(99, true),
                &icmp,
            ]),
        ),
        (
            "vlan 10 pppoes 1 ipv4 udp",
            ethernet(&[
                &be16(0x8100),
                &tag(10, 0x8864),
                &pppoes(1, 0x21, udp53.len()),
                &udp53,
            ]),
        ),
        ("arp", ethernet(&[&be16(0x0806), &arp])),
        ("ipv6 tcp", ethernet(&[&be16(0x86dd), &tcp_v6])),
        (
            "geneve 5 over ipv4, ethernet, tcp",
            ethernet(&[&be16(0x0800), &geneve4(6081, 0, 5, &tcp80, 0, ETH_IPV4)]),
        ),
        (
            "geneve 0x123456 over ipv4 with options, ethernet, icmp",
            ethernet(&[
                &be16(0x0800),
                &geneve4(6081, 0, 0x12_3456, &icmp, 2, ETH_IPV4),
            ]),
        ),
        (
            "geneve 7 over ipv6, ethernet, udp",
            ethernet(&[&be16(0x86dd), &geneve6(0, 7, &udp53, ETH_IPV4)]),
        ),
        (
            "geneve 9 over ipv4, bare ipv4 udp",
            ethernet(&[&be16(0x0800), &geneve4(6081, 0, 9, &udp53, 0, BARE)]),
        ),
        (
            "geneve 9 over ipv6, bare ipv4 tcp",
            ethernet(&[&be16(0x86dd), &geneve6(0, 9, &tcp80, BARE)]),
        ),
        (
            "geneve 4 over ipv4, ethernet, ipv6 tcp",
            ethernet(&[&be16(0x0800), &geneve4(6081, 0, 4, &tcp_v6, 0, ETH_IPV6)]),
        ),
        (
            "geneve 3 over ipv4, ethernet, vlan 10, udp",
            ethernet(&[
                &be16(0x0800),
                &geneve4(6081, 0, 3, &udp53, 0, ETH_VLAN_10_IPV4),
            ]),
        ),
        (
            "geneve version 1",
            ethernet(&[&be16(0x0800), &geneve4(6081, 1, 5, &tcp80, 0, ETH_IPV4)]),
        ),
        (
            "udp to 6082",
            ethernet(&[&be16(0x0800), &geneve4(6082, 0, 5, &tcp80, 0, ETH_IPV4)]),
        ),
        (
            "vlan 10 geneve 5, ethernet, icmp",
            ethernet(&[
                &be16(0x8100),
                &tag(10, 0x0800),
                &geneve4(6081, 0, 5, &icmp, 0, ETH_IPV4),
            ]),
        ),
        (
            "geneve 5 in geneve 6",
            ethernet(&[
                &be16(0x0800),
                &geneve4(
                    6081,
                    0,
                    6,
                    &geneve4(6081, 0, 5, &tcp80, 0, ETH_IPV4),
                    0,
                    BARE,
                ),
            ]),
        ),
    ]
}

/// IPv4 (with `option_words` of options) carrying [`geneve_udp`].
fn geneve4(
    dport: u16,
    version: u8,
    vni: u32,
    inner: &[u8],
    option_words: u8,
    eth_type: &[u8],
) -> Vec<u8> {
    Net::V4 {
        src: v4("10.0.0.5"),
        dst: v4("10.0.0.6"),
        proto: 17,
        frag_offset: 0,
        more_fragments: false,
        option_words,
        payload: Transport::Raw(geneve_udp(dport, version, vni, inner, eth_type)),
    }
    .bytes()
}

fn geneve6(version: u8, vni: u32, inner: &[u8], eth_type: &[u8]) -> Vec<u8> {
    Net::V6 {
        src: v6("2001:db8::5"),
        dst: v6("2001:db8::6"),
        ext: Vec::new(),
        proto: 17,
        payload: Transport::Raw(geneve_udp(6081, version, vni, inner, eth_type)),
    }
    .bytes()
}

/// Linux cooked frames with packet type `pkttype` (0 to us, 4 sent by us).
fn sll(pkttype: u16, protocol: u16, payload: &[&[u8]]) -> Vec<u8> {
    let mut v = be16(pkttype).to_vec();
    v.extend_from_slice(&[0, 1, 0, 6, 0x02, 0, 0, 0, 0, 1, 0, 0]);
    v.extend_from_slice(&be16(protocol));
    for p in payload {
        v.extend_from_slice(p);
    }
    v
}

fn sll_frames() -> Vec<(&'static str, Vec<u8>)> {
    let tcp80 = ipv4("10.0.0.1", "10.0.0.2", 6, Transport::Tcp(1234, 80));
    let udp_v6 = ipv6("2001:db8::1", "2001:db8::2", 17, Transport::Udp(5353, 53));
    vec![
        ("in ipv4", sll(0, 0x0800, &[&tcp80])),
        ("out ipv4", sll(4, 0x0800, &[&tcp80])),
        ("in ipv6", sll(0, 0x86dd, &[&udp_v6])),
        ("out ipv6", sll(4, 0x86dd, &[&udp_v6])),
        ("broadcast ipv4", sll(1, 0x0800, &[&tcp80])),
        (
            "pppoes ipv4",
            sll(0, 0x8864, &[&pppoes(0x1234, 0x21, tcp80.len()), &tcp80]),
        ),
        (
            "pppoes ipv6",
            sll(4, 0x8864, &[&pppoes(9, 0x57, udp_v6.len()), &udp_v6]),
        ),
        ("pppoed", sll(0, 0x8863, &[&[0x11, 0x09, 0, 0, 0, 0]])),
        ("vlan 10 ipv4", sll(0, 0x8100, &[&tag(10, 0x0800), &tcp80])),
    ]
}

/// A Linux cooked v2 header: protocol, interface index, packet type, then `payload`.
fn sll2(ifindex: u32, pkttype: u8, protocol: u16, payload: &[&[u8]]) -> Vec<u8> {
    let mut v = be16(protocol).to_vec();
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(&ifindex.to_be_bytes());
    v.extend_from_slice(&[0, 1, pkttype, 6, 0x02, 0, 0, 0, 0, 1, 0, 0]);
    for p in payload {
        v.extend_from_slice(p);
    }
    v
}

fn sll2_frames() -> Vec<(&'static str, Vec<u8>)> {
    let tcp80 = ipv4("10.0.0.1", "10.0.0.2", 6, Transport::Tcp(1234, 80));
    let udp_v6 = ipv6("2001:db8::1", "2001:db8::2", 17, Transport::Udp(5353, 53));
    vec![
        ("if 2 in ipv4", sll2(2, 0, 0x0800, &[&tcp80])),
        ("if 2 out ipv4", sll2(2, 4, 0x0800, &[&tcp80])),
        ("if 7 in ipv6", sll2(7, 0, 0x86dd, &[&udp_v6])),
        ("if 7 out ipv6", sll2(7, 4, 0x86dd, &[&udp_v6])),
        (
            "if 0x01000002 multicast ipv4",
            sll2(0x0100_0002, 2, 0x0800, &[&tcp80]),
        ),
        (
            "if 2 pppoes ipv4",
            sll2(2, 0, 0x8864, &[&pppoes(0x1234, 0x21, tcp80.len()), &tcp80]),
        ),
        (
            "if 3 pppoed",
            sll2(3, 0, 0x8863, &[&[0x11, 0x09, 0, 0, 0, 0]]),
        ),
    ]
}

/// Each frame whole, then copies cut short at each of `cuts` that falls inside it.
fn with_cuts(frames: Vec<(&'static str, Vec<u8>)>, cuts: &[usize]) -> Vec<(String, Vec<u8>, u32)> {
    let mut out = Vec::new();
    for (name, frame) in frames {
        let wire = frame.len() as u32;
        out.push((name.to_string(), frame.clone(), wire));
        for &cut in cuts {
            if cut < frame.len() {
                out.push((format!("{name} cut at {cut}"), frame[..cut].to_vec(), wire));
            }
        }
    }
    out
}

/// Cuts inside the first and second tag, an MPLS entry, the PPPoE header and PPP protocol,
/// the IP header after each shim, the Geneve header's version, protocol, VNI and options
/// (after IPv4, IPv4 with options, a tag, and IPv6), and the frame inside it.
const ETHERNET_CUTS: &[usize] = &[
    13, 15, 17, 19, 20, 21, 23, 27, 30, 35, 43, 45, 47, 49, 51, 53, 57, 63, 65, 69, 67, 71, 75, 79,
    83, 90, 93, 100,
];
const SLL_CUTS: &[usize] = &[1, 15, 19, 21, 23, 30];
/// Cuts inside the interface index, at the packet type, and inside the PPPoE header.
const SLL2_CUTS: &[usize] = &[6, 10, 11, 23, 27];

const ETHERNET_EXPRESSIONS: &[&str] = &[
    "vlan",
    "vlan 10",
    "vlan 20",
    "vlan 0x1e",
    "not vlan",
    "vlan and ip",
    "vlan 10 and ip",
    "vlan 10 and ip6",
    "vlan 10 and host 10.0.0.1",
    "vlan and net 10.0.0.0/24",
    "vlan and port 80",
    "vlan and udp port 53",
    "vlan 10 and tcp[13] & 0x10 != 0",
    "vlan and ip[9] = 17",
    "vlan and ether[12:2] = 0x8100",
    "vlan and arp",
    "vlan and host 10.0.0.9",
    "vlan and vlan",
    "vlan 100 and vlan 10",
    "vlan and vlan and tcp",
    "vlan 10 or vlan 20 and ip",
    "vlan 10 or vlan 20",
    "not vlan and ip",
    "ip or vlan and ip",
    "(vlan 10) and (icmp or udp)",
    "vlan and mpls",
    "vlan 10 and mpls 16 and ip",
    "vlan and pppoes and udp",
    "mpls",
    "mpls 100",
    "mpls and ip",
    "mpls and ip6",
    "mpls 100 and mpls 200",
    "mpls 200 and mpls 100 and icmp",
    "mpls and mpls and ip6",
    "mpls and tcp",
    "mpls and port 80",
    "mpls and host 10.0.0.1",
    "mpls and net 10.0.0.0/8",
    "mpls and ip[9] = 6",
    "mpls 100 and not mpls",
    "mpls and udp port 53",
    "mpls 100 or mpls 200",
    "mpls and ether[0] = 2",
    "pppoed",
    "pppoes",
    "pppoes 0x1234",
    "pppoes and ip",
    "pppoes and ip6",
    "pppoes 0x1234 and tcp port 80",
    "pppoes and host 10.0.0.1",
    "pppoes and ether[0:2] = 0x21",
    "pppoes and mpls 99 and ip",
    "pppoes and tcp[13] & 16 != 0",
    "pppoes and icmp6",
    "pppoed or pppoes",
    "pppoes 7 and ip6 and tcp",
    "pppoes 1 and pppoes",
    "ip and pppoes",
    "not pppoes and ip",
    "geneve",
    "geneve 5",
    "geneve 0x123456",
    "geneve 7",
    "not geneve",
    "ip6 and geneve",
    "vlan and geneve 5",
    "udp port 53 or geneve",
    "ip and geneve 5",
    "tcp or geneve",
    "geneve and ip",
    "geneve and ip6",
    "geneve and tcp port 80",
    "geneve 5 and host 10.0.0.1",
    "geneve and icmp",
    "geneve and udp port 53",
    "geneve and ether[12:2] = 0x800",
    "geneve and link[0] = 2",
    "geneve and ip[9] = 6",
    "geneve and tcp[13] & 16 != 0",
    "geneve and tcp[tcp[12] >> 4] = 0",
    "geneve and ip[ip[0] & 0xf] != 0",
    "geneve and link[ip[0] & 3] = 0",
    "geneve and ip6[len - len + 6] = 6",
    "geneve and vlan",
    "geneve and vlan 10 and udp port 53",
    "geneve and geneve",
    "geneve 6 and geneve 5 and tcp",
    "vlan and geneve 5 and icmp",
    "ip6 and geneve 9 and tcp",
    "geneve and (udp or icmp)",
    "geneve and not tcp",
    "not geneve or ip",
    "geneve and pppoes",
    "geneve and mpls",
];

// Link-layer words after a shim read the moved type field and link header.
const AFTER_SHIM_EXPRESSIONS: &[&str] = &[
    "vlan and stp",
    "vlan 10 and ether proto 0x88cc",
    "vlan and llc",
    "vlan and broadcast",
    "vlan and multicast",
    "vlan and ether dst ff:ff:ff:ff:ff:ff",
    "vlan and ether src 02:00:00:00:00:01",
    "pppoes and isis",
    "pppoes and psnp",
    "pppoes and iso",
    "pppoes and ipx",
    "pppoes and stp",
    "pppoes and ether proto 0x800",
    "geneve and stp",
    "geneve and broadcast",
    "geneve and ether dst ff:ff:ff:ff:ff:ff",
    "geneve and ether src 02:00:00:00:00:01",
];

const SLL_EXPRESSIONS: &[&str] = &[
    "inbound",
    "outbound",
    "not inbound",
    "outbound and ip",
    "inbound and ip6",
    "inbound or udp",
    "pppoes",
    "pppoes and ip",
    "pppoes 0x1234 and tcp",
    "pppoes and ip6 and udp port 53",
    "outbound and pppoes",
    "pppoed",
    "pppoes and link[0:2] = 0x57",
];

const SLL2_EXPRESSIONS: &[&str] = &[
    "ip",
    "tcp port 80",
    "host 10.0.0.1",
    "ifindex 2",
    "ifindex 7",
    "ifindex 0x01000002",
    "not ifindex 2",
    "inbound",
    "outbound",
    "outbound and ip6",
    "ifindex 2 and inbound",
    "pppoes and ip",
    "pppoes 0x1234 and tcp",
    "pppoed",
    "link[4:4] = 7",
];

/// Refused by libpcap, on the file type given (`false`: Ethernet, `true`: Linux cooked).
const REFUSED: &[(&str, bool)] = &[
    ("mpls and vlan", false),
    ("mpls and arp", false),
    ("mpls and arp host 10.0.0.1", false),
    ("mpls and pppoes", false),
    ("pppoes and vlan", false),
    ("vlan 4096", false),
    ("geneve 16777216", false),
    ("mpls 1048576", false),
    ("pppoes 65536", false),
    ("pppoed 3", false),
    ("vlan 10 or 20", false),
    ("vlan host 10.0.0.1", false),
    ("vlan 1.2", false),
    ("inbound", false),
    ("outbound and ip", false),
    ("ifindex 3", false),
    ("ifindex", false),
    ("pppoes and outbound", true),
    ("pppoes and inbound", true),
    ("vlan", true),
    ("vlan 10", true),
    ("mpls", true),
    ("ifindex 1", true),
    ("mpls and stp", false),
    ("mpls and ether proto 0x88cc", false),
    ("pppoes and llc", false),
    ("pppoes and ether host 1:2:3:4:5:6", false),
    ("pppoes and broadcast", false),
];

/// Packet positions (within the file) that tcpdump prints for `expr`.
fn tcpdump_matches(file: &Path, expr: &str) -> BTreeSet<usize> {
    let out = packets::tcpdump_output(file, &["-tt"], expr);
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.split('.').next()?.parse::<u32>().ok())
        .map(|sec| (sec - PCAP_FIRST_SECOND) as usize)
        .collect()
}

fn tcpdump_refuses(file: &Path, expr: &str) -> bool {
    let out = Command::new("tcpdump")
        .arg("-d")
        .arg("-r")
        .arg(file)
        .arg(expr)
        .output()
        .expect("run tcpdump");
    !out.status.success()
}

fn write_file(
    dir: &Path,
    name: &str,
    linktype: u32,
    packets: &[(String, Vec<u8>, u32)],
) -> PathBuf {
    let file = dir.join(name);
    let data: Vec<(Vec<u8>, u32)> = packets.iter().map(|(_, d, w)| (d.clone(), *w)).collect();
    std::fs::write(&file, pcap_file(linktype, &data)).unwrap();
    file
}

#[test]
fn encapsulations_match_like_tcpdump() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = TempDir(std::env::temp_dir().join(format!("filter-encap-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let mut failures = Vec::new();
    let mut kept_somewhere = 0;
    for (framing, linktype, frames, exprs) in [
        (
            Framing::Ethernet,
            1,
            with_cuts(ethernet_frames(), ETHERNET_CUTS),
            ETHERNET_EXPRESSIONS,
        ),
        (
            Framing::Ethernet,
            1,
            with_cuts(ethernet_frames(), ETHERNET_CUTS),
            AFTER_SHIM_EXPRESSIONS,
        ),
        (
            Framing::LinuxSll,
            113,
            with_cuts(sll_frames(), SLL_CUTS),
            SLL_EXPRESSIONS,
        ),
        (
            Framing::LinuxSll2,
            276,
            with_cuts(sll2_frames(), SLL2_CUTS),
            SLL2_EXPRESSIONS,
        ),
    ] {
        let file = write_file(&dir.0, &format!("{framing:?}.pcap"), linktype, &frames);
        for expr in exprs {
            let prog = parse(expr)
                .map_err(|e| e.to_string())
                .and_then(|e| compile(&e, framing).map_err(|e| e.to_string()));
            let prog = match prog {
                Ok(p) => p,
                // Refused as matching nothing, which libpcap must refuse too.
                Err(e) if e == CompileError::RejectsAll.to_string() => {
                    if !packets::tcpdump_rejects_all(&file, expr) {
                        failures.push(format!("{framing:?} '{expr}': refused here: {e}"));
                    }
                    continue;
                }
                Err(e) => {
                    failures.push(format!("{framing:?} '{expr}': refused here: {e}"));
                    continue;
                }
            };
            let ours: BTreeSet<usize> = frames
                .iter()
                .enumerate()
                .filter(|(_, (_, data, wire))| prog.run(data, *wire) == SNAPLEN)
                .map(|(i, _)| i)
                .collect();
            let theirs = tcpdump_matches(&file, expr);
            kept_somewhere += usize::from(!theirs.is_empty());

            if ours != theirs {
                let names = |s: &BTreeSet<usize>| -> Vec<&str> {
                    s.iter().map(|&i| frames[i].0.as_str()).collect()
                };
                failures.push(format!(
                    "{framing:?} '{expr}':\n  only ours:    {:?}\n  only tcpdump: {:?}\n{prog}",
                    names(&ours.difference(&theirs).copied().collect()),
                    names(&theirs.difference(&ours).copied().collect()),
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // Every expression above keeps something in tcpdump but a few; a table of filters that
    // match nothing would prove nothing.
    assert!(
        kept_somewhere + 8
            >= ETHERNET_EXPRESSIONS.len()
                + AFTER_SHIM_EXPRESSIONS.len()
                + SLL_EXPRESSIONS.len()
                + SLL2_EXPRESSIONS.len(),
        "only {kept_somewhere} expressions keep any packet"
    );
}

#[test]
fn what_libpcap_refuses_is_refused() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = TempDir(std::env::temp_dir().join(format!("filter-encap-no-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let eth = write_file(&dir.0, "eth.pcap", 1, &with_cuts(ethernet_frames(), &[]));
    let sll = write_file(&dir.0, "sll.pcap", 113, &with_cuts(sll_frames(), &[]));
    for &(expr, on_sll) in REFUSED {
        let (file, framing) = if on_sll {
            (&sll, Framing::LinuxSll)
        } else {
            (&eth, Framing::Ethernet)
        };
        assert!(tcpdump_refuses(file, expr), "tcpdump accepts '{expr}'");
        let ours = parse(expr).map(|e| compile(&e, framing));
        assert!(
            !matches!(ours, Ok(Ok(_))),
            "'{expr}' on {framing:?} is refused by libpcap but compiles here"
        );
        // One line, never a panic.
        let message = match ours {
            Err(e) => e.to_string(),
            Ok(Err(e)) => e.to_string(),
            Ok(Ok(_)) => unreachable!(),
        };
        assert!(!message.contains('\n'), "{message}");
    }
}

/// Refused by libpcap on Linux cooked v2 files.
const REFUSED_SLL2: &[&str] = &[
    "vlan",
    "mpls 3",
    "pppoes and ifindex 2",
    "pppoes and inbound",
    "ifindex 2 and pppoes and outbound",
];

#[test]
fn what_libpcap_refuses_on_cooked_v2_is_refused() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = TempDir(std::env::temp_dir().join(format!("filter-encap-v2-{}", std::process::id())));
    std::fs::create_dir_all(&dir.0).unwrap();
    let file = write_file(&dir.0, "sll2.pcap", 276, &with_cuts(sll2_frames(), &[]));
    for expr in REFUSED_SLL2 {
        assert!(tcpdump_refuses(&file, expr), "tcpdump accepts '{expr}'");
        let ours = parse(expr).map(|e| compile(&e, Framing::LinuxSll2));
        assert!(
            !matches!(ours, Ok(Ok(_))),
            "'{expr}' is refused by libpcap but compiles here"
        );
    }
}

/// After `geneve`, libpcap's program reads the inner frame at offsets stored in scratch memory
/// only where `geneve` matched; a primitive tested where it did not reads them unset (the
/// kernel refuses such a program). Such filters are refused here, and so are inbound and
/// ifindex after it.
#[test]
fn what_follows_geneve_on_its_false_path_is_refused() {
    for expr in [
        "geneve or ip",
        "not geneve and ip",
        "geneve 5 or host 10.0.0.1",
        "(geneve or tcp) and port 80",
    ] {
        let err = compile(&parse(expr).unwrap(), Framing::Ethernet).unwrap_err();
        assert!(
            err.to_string().contains("is not supported"),
            "'{expr}': {err}"
        );
    }
    for expr in ["geneve and inbound", "geneve and ifindex 1"] {
        let err = compile(&parse(expr).unwrap(), Framing::LinuxSll2).unwrap_err();
        assert!(
            err.to_string().contains("is not supported"),
            "'{expr}': {err}"
        );
    }
    // What does not read the packet needs no offset.
    assert!(compile(&parse("geneve or len > 100").unwrap(), Framing::Ethernet).is_ok());
}
