//! The link-layer primitives against the real tcpdump: Ethernet addresses, `ether proto`, the
//! link-layer protocol words (`stp`, `ipx`, `isis`, `l1`, …), `llc`, `rarp host`, broadcast and
//! multicast. For every expression of a table, the frames our compiled program keeps in a
//! capture file must be exactly those `tcpdump -r FILE EXPR` prints, on Ethernet and on Linux
//! cooked files of the same frames, and on copies of each frame cut short inside the fields
//! the primitives read. Where libpcap refuses an expression for a link type, we must refuse
//! it too, and the reverse.
//!
//! Needs `tcpdump` on PATH; skipped with a message when it is missing, except under `CI=true`.

#[path = "filter_packets.rs"]
mod packets;

use packets::TempDir;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use packets::{pcap_file, v4, v6, PCAP_FIRST_SECOND};
use raw_sniff::filter::{compile, parse, Framing};
use raw_sniff::user_filter::filter_link;

const HOST_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const HOST_B: [u8; 6] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];
const BROADCAST: [u8; 6] = [0xff; 6];

const EXPRESSIONS: &[&str] = &[
    // Ethernet addresses, in every notation libpcap takes.
    "ether host 00:11:22:33:44:55",
    "ether src 0:11:22:33:44:55",
    "ether dst 0011.2233.4455",
    "ether src and dst 00-11-22-33-44-55",
    "ether src or dst host 001122334455",
    "ether dst host 0.11.22.33.44.55",
    "ether host 00:11:22:33:44:55 or 66:77:88:99:AA:BB",
    "ether src 66:77:88:99:aa:bb and not ether dst ff:ff:ff:ff:ff:ff",
    "link host 0:11:22:33:44:55",
    "link dst 1:0:5e:0:0:fb",
    "wlan src 66:77:88:99:aa:bb or fddi dst 0:11:22:33:44:55",
    "tr host 0:11:22:33:44:55 and ppp proto 0x800",
    "slip multicast",
    "wlan[0] & 1 = 1",
    // Ethertypes and SAPs.
    "ether proto 0x800",
    "ether proto \\ip",
    "ether proto \\ip6",
    "ether proto \\arp",
    "ether proto \\rarp",
    "ether proto \\atalk",
    "ether proto \\aarp",
    "ether proto \\decnet",
    "ether proto \\sca",
    "ether proto \\lat",
    "ether proto \\mopdl",
    "ether proto \\moprc",
    "ether proto \\iso",
    "ether proto \\stp",
    "ether proto \\ipx",
    "ether proto \\netbeui",
    "ether proto 6",
    "ether proto 0xaa",
    "ether proto 1500",
    "ether proto 1501",
    "ether proto 0",
    "ether proto 0x88cc",
    "ether proto 0xffff",
    "ether proto 0x10000",
    "link proto 0x86dd",
    "link proto 0xe0",
    "ether proto 0x800 or 0x806",
    "ether proto \\ip or \\arp",
    // Link-layer protocols standing alone.
    "rarp",
    "decnet",
    "lat",
    "sca",
    "moprc",
    "mopdl",
    "atalk",
    "aarp",
    "stp",
    "ipx",
    "netbeui",
    "iso",
    "clnp",
    "esis",
    "isis",
    "l1",
    "l2",
    "iih",
    "lsp",
    "snp",
    "csnp",
    "psnp",
    "isis and not l1",
    "iso proto 0x81",
    "iso proto 0x83",
    "iso proto 0xfe",
    "isis proto 0x12",
    "isis proto 27",
    "isis proto 0x3a",
    // Loads from the link-layer protocols libpcap allows them for: each checks its protocol,
    // then counts from the network header (AppleTalk's whether or not SNAP came first).
    "decnet[0] = 0x81",
    "decnet[2:2] != 0x8181",
    "lat[0] = 0",
    "sca[0:4] = 0",
    "moprc[1] = 0",
    "mopdl[0:2] = 0",
    "atalk[0] = 0",
    "atalk[0] = 0xaa",
    "atalk[8:2] = 0x809b",
    // RARP addresses and loads.
    "rarp host 10.0.0.5",
    "rarp src 10.0.0.5",
    "rarp dst host 10.0.0.9",
    "rarp src and dst 10.0.0.5",
    "rarp net 10.0.0.0/24",
    "rarp src 10.0.0.5 or 10.0.0.9",
    "rarp[7] = 3",
    "rarp[24:4] = 0x0a000009",
    // LLC frames and their types.
    "llc",
    "llc i",
    "llc s",
    "llc u",
    "llc rr",
    "llc rnr",
    "llc rej",
    "llc ui",
    "llc ua",
    "llc disc",
    "llc dm",
    "llc sabme",
    "llc test",
    "llc xid",
    "llc frmr",
    "not llc",
    "llc ui and stp",
    // Broadcast and multicast.
    "broadcast",
    "multicast",
    "ether broadcast",
    "ether multicast",
    "link broadcast",
    "link multicast",
    "ip multicast",
    "ip6 multicast",
    "ip broadcast",
    "multicast and not broadcast",
    "ip multicast or ip6 multicast or arp",
];

/// Network-layer expressions whose link-layer test differs on loopback and raw IP.
const NETWORK_EXPRESSIONS: &[&str] = &[
    "ip",
    "ip6",
    "arp",
    "tcp",
    "udp",
    "host 10.0.0.1",
    "ip6 host 2001:db8::2",
    "port 53",
    "udp src port 12345",
    "ip[0] = 0x45",
    "ip6[6] = 17",
    "link[0] = 2",
    "link[3] = 2",
    "len > 40",
];

/// Expressions libpcap refuses on every link type (checked against `tcpdump -d`, Ethernet).
const REJECTED: &[&str] = &[
    "aarp[0] = 0",
    "stp[0] = 0",
    "ipx[0:2] = 0xffff",
    "netbeui[0] = 0",
    "iso[0] = 0",
    "clnp[0] = 0",
    "esis[0] = 0",
    "isis[4] = 0x1a",
    "ether 1:2:3:4:5:6",
    "ether",
    "ppp",
    "wlan",
    "ether src",
    "ether host aa:bb:cc:dd:ee",
    "ether host aa:bb:cc:dd:ee:ff:00",
    "ether host aa:bb-cc:dd:ee:ff",
    "ether host abb.ccdd.eeff",
    "ether host aabbccddee",
    "ether host 1.2.3.4",
    "ether host no-such-ethers-name",
    "ether net 1:2:3:4:5:6",
    "ether port 1",
    "ether src broadcast",
    "ether proto",
    "ether proto tcp",
    "ether proto \\tcp",
    "ether proto 1e",
    "ether proto 0x",
    "ether proto 0x100000000",
    "ether proto 0x800 and 1.2.3.4",
    "host 1:2:3:4:5:6",
    "src 1:2:3:4:5:6",
    "ip host 1:2:3:4:5:6",
    "ether host 1:2:3:4:5:6 or 1.2.3.4",
    "ether dst 1:2:3:4:5:6 and \\ip",
    "llc foo",
    "llc 3",
    "llc i or ui",
    "stp host 1.2.3.4",
    "ipx src 1.2.3.4",
    "rarp host ::1",
    "rarp proto 1",
    "ip6 broadcast",
    "arp multicast",
    "tcp broadcast",
    "ip multicast or 1.2.3.4",
    "clnp proto 1",
    "esis proto 1",
    "iso proto",
    "isis proto tcp",
];

/// What carries a frame's payload: an ethertype, 802.2 LLC, or Novell's raw 802.3.
#[derive(Debug, Clone, Copy)]
enum Carrier {
    Ethertype(u16),
    Llc,
    Novell,
}

/// A link-layer frame, written as Ethernet or as Linux cooked.
#[derive(Debug, Clone)]
struct Frame {
    dst: [u8; 6],
    src: [u8; 6],
    carrier: Carrier,
    payload: Vec<u8>,
}

impl Frame {
    fn ethernet(&self) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&self.dst);
        v.extend_from_slice(&self.src);
        let field = match self.carrier {
            Carrier::Ethertype(t) => t,
            Carrier::Llc | Carrier::Novell => self.payload.len() as u16,
        };
        v.extend_from_slice(&field.to_be_bytes());
        v.extend_from_slice(&self.payload);
        v
    }

    fn cooked(&self) -> Vec<u8> {
        let packet_type: u16 = if self.dst == BROADCAST {
            1
        } else if self.dst[0] & 1 == 1 {
            2
        } else {
            0
        };
        let mut v = Vec::new();
        v.extend_from_slice(&packet_type.to_be_bytes());
        v.extend_from_slice(&1u16.to_be_bytes()); // ARPHRD_ETHER
        v.extend_from_slice(&6u16.to_be_bytes());
        v.extend_from_slice(&self.src);
        v.extend_from_slice(&[0, 0]);
        let protocol = match self.carrier {
            Carrier::Ethertype(t) => t,
            Carrier::Llc => 4,
            Carrier::Novell => 1,
        };
        v.extend_from_slice(&protocol.to_be_bytes());
        v.extend_from_slice(&self.payload);
        v
    }
}

fn frame(dst: [u8; 6], src: [u8; 6], carrier: Carrier, payload: Vec<u8>) -> Frame {
    Frame {
        dst,
        src,
        carrier,
        payload,
    }
}

/// An IPv4 header (and 8 bytes of UDP) from `src` to `dst`.
fn ipv4(src: &str, dst: &str) -> Vec<u8> {
    let mut p = vec![0x45, 0, 0, 28, 0, 1, 0, 0, 64, 17, 0, 0];
    p.extend_from_slice(&v4(src));
    p.extend_from_slice(&v4(dst));
    p.extend_from_slice(&[0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0]);
    p
}

/// An IPv6 header (and 8 bytes of UDP) from `src` to `dst`.
fn ipv6(src: &str, dst: &str) -> Vec<u8> {
    let mut p = vec![0x60, 0, 0, 0, 0, 8, 17, 64];
    p.extend_from_slice(&v6(src));
    p.extend_from_slice(&v6(dst));
    p.extend_from_slice(&[0x30, 0x39, 0x00, 0x35, 0, 8, 0, 0]);
    p
}

/// An Ethernet/IPv4 ARP or RARP packet.
fn arp(op: u16, sender: &str, target: &str) -> Vec<u8> {
    let mut p = vec![0, 1, 8, 0, 6, 4];
    p.extend_from_slice(&op.to_be_bytes());
    p.extend_from_slice(&HOST_B);
    p.extend_from_slice(&v4(sender));
    p.extend_from_slice(&HOST_A);
    p.extend_from_slice(&v4(target));
    p
}

/// LLC with these SAPs and control byte, then `rest`.
fn llc(dsap: u8, ssap: u8, control: u8, rest: &[u8]) -> Vec<u8> {
    let mut p = vec![dsap, ssap, control];
    p.extend_from_slice(rest);
    // Ethernet pads short frames; a few bytes of it keep the frames realistic.
    p.resize(p.len().max(30), 0);
    p
}

/// LLC + SNAP with this organisation code and type.
fn snap(org: [u8; 3], ptype: u16, rest: &[u8]) -> Vec<u8> {
    let mut body = org.to_vec();
    body.extend_from_slice(&ptype.to_be_bytes());
    body.extend_from_slice(rest);
    llc(0xaa, 0xaa, 0x03, &body)
}

/// An IS-IS PDU of this type, over OSI LLC.
fn isis(pdu_type: u8) -> Vec<u8> {
    // NLPID, header length, version, ID length, PDU type, version, reserved, max areas.
    llc(0xfe, 0xfe, 0x03, &[0x83, 27, 1, 0, pdu_type, 1, 0, 0, 0, 0])
}

fn frames() -> Vec<Frame> {
    use Carrier::*;
    let (a, b, bc) = (HOST_A, HOST_B, BROADCAST);
    let mcast4 = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
    let mcast6 = [0x33, 0x33, 0x00, 0x00, 0x00, 0x01];
    let stp_dst = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x00];
    let mut v = vec![
        frame(b, a, Ethertype(0x0800), ipv4("10.0.0.1", "10.0.0.2")),
        frame(a, b, Ethertype(0x0800), ipv4("10.0.0.2", "10.0.0.1")),
        frame(a, a, Ethertype(0x0800), ipv4("10.0.0.1", "10.0.0.1")),
        frame(
            mcast4,
            a,
            Ethertype(0x0800),
            ipv4("10.0.0.1", "224.0.0.251"),
        ),
        frame(
            bc,
            a,
            Ethertype(0x0800),
            ipv4("10.0.0.1", "255.255.255.255"),
        ),
        frame(bc, a, Ethertype(0x0800), ipv4("0.0.0.0", "0.0.0.0")),
        frame(bc, a, Ethertype(0x0800), ipv4("10.0.0.1", "10.0.0.255")),
        frame(b, a, Ethertype(0x0800), ipv4("10.0.0.1", "239.1.2.3")),
        frame(mcast6, a, Ethertype(0x86dd), ipv6("fe80::1", "ff02::1")),
        frame(b, a, Ethertype(0x86dd), ipv6("2001:db8::1", "2001:db8::2")),
        frame(bc, b, Ethertype(0x0806), arp(1, "10.0.0.5", "10.0.0.9")),
        frame(bc, b, Ethertype(0x8035), arp(3, "10.0.0.5", "10.0.0.9")),
        frame(a, b, Ethertype(0x8035), arp(4, "10.0.0.9", "10.0.0.5")),
        frame(a, b, Ethertype(0x8035), arp(3, "10.0.1.5", "10.0.0.5")),
        frame(b, a, Ethertype(0x6003), vec![0x81; 40]),
        frame(b, a, Ethertype(0x6004), vec![0; 40]),
        frame(b, a, Ethertype(0x6007), vec![0; 40]),
        frame(b, a, Ethertype(0x6001), vec![0; 40]),
        frame(b, a, Ethertype(0x6002), vec![0; 40]),
        frame(b, a, Ethertype(0x809b), vec![0; 40]),
        frame(b, a, Llc, snap([0x08, 0x00, 0x07], 0x809b, &[0; 20])),
        frame(b, a, Llc, snap([0x00, 0x00, 0x00], 0x809b, &[0; 20])),
        frame(b, a, Ethertype(0x80f3), vec![0; 40]),
        frame(b, a, Llc, snap([0x00, 0x00, 0x00], 0x80f3, &[0; 20])),
        frame(b, a, Ethertype(0x8137), vec![0xff; 40]),
        frame(b, a, Llc, snap([0x00, 0x00, 0x00], 0x8137, &[0xff; 20])),
        frame(b, a, Llc, llc(0xe0, 0xe0, 0x03, &[0xff; 20])),
        frame(b, a, Novell, vec![0xff; 40]),
        frame(stp_dst, a, Llc, llc(0x42, 0x42, 0x03, &[0; 35])),
        frame(b, a, Llc, llc(0xf0, 0xf0, 0x03, &[0; 20])),
        frame(b, a, Llc, llc(0xf0, 0xf1, 0x03, &[0; 20])),
        frame(
            b,
            a,
            Llc,
            llc(0x06, 0x06, 0x03, &ipv4("10.0.0.1", "10.0.0.2")),
        ),
        frame(b, a, Llc, llc(0xfe, 0xfe, 0x03, &[0x81, 0, 0, 0, 0, 0])),
        frame(b, a, Llc, llc(0xfe, 0xfe, 0x03, &[0x82, 0, 0, 0, 0, 0])),
        // CDP: SNAP with another organisation.
        frame(b, a, Llc, snap([0x00, 0x00, 0x0c], 0x2000, &[0; 20])),
        frame(
            [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e],
            a,
            Ethertype(0x88cc),
            vec![0; 40],
        ),
        frame(b, a, Ethertype(1501), vec![0; 40]),
        frame(b, a, Ethertype(0xffff), vec![0; 40]),
        frame(b, a, Llc, llc(0x00, 0x00, 0x03, &[0; 20])),
        frame(b, a, Llc, llc(0xaa, 0x00, 0x03, &[0; 20])),
    ];
    // An LLC payload of exactly 1500 bytes: the largest length, not an ethertype.
    v.push(frame(b, a, Llc, llc(0x42, 0x42, 0x03, &[0; 1497])));
    // IS-IS: every PDU type, and a byte with bits past the 5-bit type set.
    for t in [15, 16, 17, 18, 20, 24, 25, 26, 27, 0x3a, 1] {
        v.push(frame(b, a, Llc, isis(t)));
    }
    // LLC control bytes: I frames, supervisory frames, unnumbered frames (with and without
    // the poll/final bit).
    for control in [
        0x00, 0x02, 0x01, 0x05, 0x09, 0x0d, 0x03, 0x13, 0x63, 0x73, 0x43, 0x0f, 0x1f, 0x6f, 0xe3,
        0xf3, 0xaf, 0xbf, 0x87, 0x97,
    ] {
        v.push(frame(b, a, Llc, llc(0x42, 0x42, control, &[0; 20])));
    }
    v
}

/// Where frames are cut short: through every field the primitives read (addresses, type,
/// LLC, SNAP, NLPID and PDU type, ARP addresses, IPv4 and IPv6 destinations).
const CUTS: &[usize] = &[
    1, 2, 4, 5, 6, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25, 28, 30, 31, 34,
    38, 40, 41, 42, 44, 50,
];

/// Every frame whole, then copies cut at each point inside it.
fn packets(whole: &[Vec<u8>]) -> Vec<(Vec<u8>, u32)> {
    let mut out: Vec<(Vec<u8>, u32)> = whole.iter().map(|f| (f.clone(), f.len() as u32)).collect();
    for f in whole {
        for &cut in CUTS {
            if cut < f.len() {
                out.push((f[..cut].to_vec(), f.len() as u32));
            }
        }
    }
    out
}

/// The packets our program keeps, or the error that refuses the expression.
fn we_keep(
    framing: Framing,
    packets: &[(Vec<u8>, u32)],
    expr: &str,
) -> Result<BTreeSet<usize>, String> {
    let e = parse(expr).map_err(|e| e.to_string())?;
    let prog = compile(&e, framing).map_err(|e| e.to_string())?;
    Ok(packets
        .iter()
        .enumerate()
        .filter(|(_, (data, wire))| prog.run(data, *wire) != 0)
        .map(|(i, _)| i)
        .collect())
}

fn temp_dir(tag: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("filter-link-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    TempDir(dir)
}

/// Compares every expression on one capture file; returns how many (expression, packet)
/// matches there were, so the caller can see the table proves something.
fn compare_all(
    dir: &Path,
    name: &str,
    linktype: u32,
    framing: Framing,
    packets: &[(Vec<u8>, u32)],
    exprs: &[&str],
) -> (usize, usize) {
    let file = dir.join(format!("{name}.pcap"));
    std::fs::write(&file, pcap_file(linktype, packets)).expect("write pcap");
    let mut failures = Vec::new();
    let (mut kept, mut refused) = (0, 0);
    for &expr in exprs {
        match (
            we_keep(framing, packets, expr),
            packets::tcpdump_keeps(&file, expr),
        ) {
            (Ok(ours), Ok(theirs)) => {
                kept += ours.len();
                if ours != theirs {
                    let only_ours: Vec<_> = ours.difference(&theirs).collect();
                    let only_theirs: Vec<_> = theirs.difference(&ours).collect();
                    failures.push(format!(
                        "{name} '{expr}': only we keep {only_ours:?}, only tcpdump keeps {only_theirs:?}"
                    ));
                }
            }
            (Err(_), Err(_)) => refused += 1,
            (Ok(_), Err(e)) => failures.push(format!(
                "{name} '{expr}': tcpdump refuses it ({}) but we accept it",
                e.trim()
            )),
            (Err(e), Ok(_)) => failures.push(format!(
                "{name} '{expr}': tcpdump accepts it but we refuse it: {e}"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    (kept, refused)
}

#[test]
fn link_primitives_keep_what_tcpdump_keeps_on_ethernet_and_cooked_files() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = temp_dir("eth-sll");
    let frames = frames();
    let eth = packets(&frames.iter().map(Frame::ethernet).collect::<Vec<_>>());
    let sll = packets(&frames.iter().map(Frame::cooked).collect::<Vec<_>>());
    let (kept, refused) = compare_all(&dir.0, "eth", 1, Framing::Ethernet, &eth, EXPRESSIONS);
    assert_eq!(
        refused, 0,
        "every expression of the table compiles on Ethernet"
    );
    assert!(kept > 1000, "too few matches on Ethernet ({kept})");
    let (kept, refused) = compare_all(&dir.0, "sll", 113, Framing::LinuxSll, &sll, EXPRESSIONS);
    assert!(kept > 500, "too few matches on Linux cooked ({kept})");
    // Ethernet addresses, llc, broadcast and multicast are refused on cooked captures.
    assert!(
        refused >= 20,
        "too few refusals on Linux cooked ({refused})"
    );
}

#[test]
fn link_primitives_on_raw_ip_files() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = temp_dir("raw");
    let raw: Vec<Vec<u8>> = vec![
        ipv4("10.0.0.1", "10.0.0.2"),
        ipv4("10.0.0.1", "224.0.0.251"),
        ipv4("10.0.0.1", "255.255.255.255"),
        ipv4("0.0.0.0", "0.0.0.0"),
        ipv6("fe80::1", "ff02::1"),
        ipv6("2001:db8::1", "2001:db8::2"),
    ];
    let all = packets(&raw);
    let (kept, refused) = compare_all(&dir.0, "raw", 101, Framing::RawIp, &all, EXPRESSIONS);
    assert!(kept > 20, "too few matches on raw IP ({kept})");
    assert!(refused >= 20, "too few refusals on raw IP ({refused})");
    // The one-version link types: the link type, not the version nibble, says what is there.
    let (v4s, v6s) = raw.split_at(4);
    let exprs: Vec<&str> = NETWORK_EXPRESSIONS
        .iter()
        .chain(EXPRESSIONS)
        .copied()
        .collect();
    let (kept, _) = compare_all(&dir.0, "ipv4", 228, Framing::Ipv4, &packets(v4s), &exprs);
    assert!(kept > 20, "too few matches on raw IPv4 ({kept})");
    let (kept, _) = compare_all(&dir.0, "ipv6", 229, Framing::Ipv6, &packets(v6s), &exprs);
    assert!(kept > 20, "too few matches on raw IPv6 ({kept})");
}

/// A classic pcap file as a big-endian host writes it.
fn pcap_file_big_endian(linktype: u32, packets: &[(Vec<u8>, u32)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_be_bytes());
    out.extend_from_slice(&2u16.to_be_bytes());
    out.extend_from_slice(&4u16.to_be_bytes());
    for word in [0, 0, 262_144, linktype] {
        out.extend_from_slice(&word.to_be_bytes());
    }
    for (i, (data, wire)) in packets.iter().enumerate() {
        for word in [PCAP_FIRST_SECOND + i as u32, 0, data.len() as u32, *wire] {
            out.extend_from_slice(&word.to_be_bytes());
        }
        out.extend_from_slice(data);
    }
    out
}

/// IPv4 and IPv6 packets behind a 4-byte loopback header holding `family` as written.
fn loopback_packets(family_bytes: impl Fn(u32) -> [u8; 4]) -> Vec<(Vec<u8>, u32)> {
    let mut whole = Vec::new();
    let v4s = [
        ipv4("10.0.0.1", "10.0.0.2"),
        ipv4("10.0.0.1", "224.0.0.251"),
        ipv4("10.0.0.1", "255.255.255.255"),
    ];
    let v6s = [
        ipv6("fe80::1", "ff02::1"),
        ipv6("2001:db8::1", "2001:db8::2"),
    ];
    // 2 is AF_INET everywhere; 24, 28 and 30 are AF_INET6 on NetBSD/OpenBSD, FreeBSD and
    // Darwin; 10 is Linux's AF_INET6, which BSD loopback never carries.
    for family in [2, 24, 28, 30, 10, 0] {
        for p in v4s.iter().chain(&v6s) {
            let mut f = family_bytes(family).to_vec();
            f.extend_from_slice(p);
            whole.push(f);
        }
    }
    // The family in the other byte order: not what the capturing host wrote.
    let mut f = family_bytes(2).to_vec();
    f.reverse();
    f.extend_from_slice(&v4s[0]);
    whole.push(f);
    packets(&whole)
}

#[test]
fn loopback_and_dlt12_files_filter_as_tcpdump_does() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = temp_dir("loop");
    let exprs: Vec<&str> = NETWORK_EXPRESSIONS
        .iter()
        .chain(EXPRESSIONS)
        .copied()
        .collect();
    let null_framing = filter_link(wire::LinkType::Null).expect("NULL is filtered");
    let loop_framing = filter_link(wire::LinkType::Loop).expect("LOOP is filtered");
    // NULL, written by a little-endian host (as the files raw-sniff reads are taken to be).
    let null = loopback_packets(u32::to_le_bytes);
    let (kept, refused) = compare_all(&dir.0, "null", 0, null_framing, &null, &exprs);
    assert!(kept > 500, "too few matches on NULL ({kept})");
    assert!(refused >= 20, "too few refusals on NULL ({refused})");
    // LOOP: network byte order whoever wrote it.
    let lo = loopback_packets(u32::to_be_bytes);
    let (kept, _) = compare_all(&dir.0, "loop", 108, loop_framing, &lo, &exprs);
    assert!(kept > 500, "too few matches on LOOP ({kept})");
    // NULL written by a big-endian host: libpcap reads the family in the file's byte order.
    let file = dir.0.join("null-be.pcap");
    let null_be = loopback_packets(u32::to_be_bytes);
    std::fs::write(&file, pcap_file_big_endian(0, &null_be)).expect("write pcap");
    let framing = Framing::Null { big_endian: true };
    for expr in ["ip", "ip6", "tcp or udp", "host 10.0.0.1", "ip6 multicast"] {
        assert_eq!(
            we_keep(framing, &null_be, expr),
            packets::tcpdump_keeps(&file, expr),
            "big-endian NULL '{expr}'"
        );
    }
    // Link type 12 is raw IP to libpcap.
    let raw: Vec<Vec<u8>> = vec![
        ipv4("10.0.0.1", "10.0.0.2"),
        ipv4("10.0.0.1", "224.0.0.251"),
        ipv6("2001:db8::1", "2001:db8::2"),
        vec![0x50; 40],
    ];
    let dlt12 = packets(&raw);
    let framing = filter_link(wire::LinkType::RawDlt12).expect("link type 12 is filtered");
    let (kept, _) = compare_all(&dir.0, "dlt12", 12, framing, &dlt12, &exprs);
    assert!(kept > 50, "too few matches on link type 12 ({kept})");
}

/// The "N packets seen, M matched" count of `raw-sniff -r FILE -f EXPR`.
fn raw_sniff_matched(file: &Path, expr: &str) -> usize {
    let out = Command::new(env!("CARGO_BIN_EXE_raw-sniff"))
        .arg("-r")
        .arg(file)
        .args(["-f", expr])
        .output()
        .expect("run raw-sniff");
    assert!(out.status.success(), "raw-sniff -f '{expr}': {out:?}");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines()
        .find_map(|l| l.strip_suffix(" matched")?.rsplit(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no match count in {text}"))
}

/// A capture file says which byte order its writer used; reading one, raw-sniff reads a NULL
/// header's family in that order, as libpcap does.
#[test]
fn null_files_are_filtered_in_their_writers_byte_order() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = temp_dir("null-order");
    let little = dir.0.join("null-le.pcap");
    let big = dir.0.join("null-be.pcap");
    std::fs::write(&little, pcap_file(0, &loopback_packets(u32::to_le_bytes))).unwrap();
    std::fs::write(
        &big,
        pcap_file_big_endian(0, &loopback_packets(u32::to_be_bytes)),
    )
    .unwrap();
    for file in [&little, &big] {
        for expr in ["ip", "ip6", "udp port 53"] {
            let theirs = packets::tcpdump_keeps(file, expr).expect("tcpdump filters NULL files");
            assert!(!theirs.is_empty(), "'{expr}' keeps something");
            assert_eq!(
                raw_sniff_matched(file, expr),
                theirs.len(),
                "'{expr}' on {}",
                file.display()
            );
        }
    }
}

#[test]
fn expressions_tcpdump_rejects_are_rejected() {
    if !packets::tcpdump_available() {
        return;
    }
    for expr in REJECTED {
        let accepted = parse(expr).is_ok_and(|e| compile(&e, Framing::Ethernet).is_ok());
        assert!(!accepted, "we accept '{expr}'");
        let out = Command::new("tcpdump")
            .args(["-d", expr])
            .output()
            .expect("run tcpdump");
        assert!(!out.status.success(), "tcpdump accepts '{expr}'");
    }
}
