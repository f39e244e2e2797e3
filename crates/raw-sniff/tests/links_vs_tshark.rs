//! The link-layer headers of `--json` field for field against tshark's dissectors. For every
//! link type wire decodes besides Ethernet, SLL, NULL and raw IP, the test writes a small
//! capture of hand-built frames, runs both programs on it, and compares each field raw-sniff
//! reports for a link-level header with tshark's field of the same name. It also checks that
//! raw-sniff reaches the network layer wherever tshark does.

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::BIN;
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use test_support::{have, run};
use wire::decode::LinkType;
use wire::pcap::{Timestamp, Writer};

/// JSON objects raw-sniff writes for link-level headers (`wlan` behind `radiotap`, `llc`
/// behind `wlan` and 802.3, `eth` behind PKTAP).
const LINK_KEYS: &[&str] = &[
    "ppp", "chdlc", "slip", "fr", "nflog", "ipoib", "pktap", "radiotap", "wlan", "llc", "eth",
];

/// Network-layer objects both programs name alike.
const NETWORK_KEYS: &[&str] = &["ip", "ipv6", "arp"];

/// Fields whose values are known to differ from tshark's, each with what tshark shows. Every
/// entry must still differ somewhere, so one that has been fixed has to leave the list.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[(
    "fr.ea",
    "tshark names the EA bit of both address bytes fr.ea; raw-sniff calls the second fr.ea_last",
)];

// ---------------------------------------------------------------------------------------------
// Frames.

const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
const MAC_B: [u8; 6] = [0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb];
const MAC_C: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0c];
const MAC_D: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x0d];

/// An IPv4 UDP datagram with a correct header checksum and four bytes of payload.
fn ipv4_udp() -> Vec<u8> {
    let mut p = vec![
        0x45, 0x00, 0x00, 0x20, 0x12, 0x34, 0x40, 0x00, 0x40, 0x11, 0x00, 0x00, 192, 168, 1, 1,
        192, 168, 1, 2,
    ];
    let sum = p.chunks(2).fold(0u32, |acc, w| {
        acc + u32::from(u16::from_be_bytes([w[0], w[1]]))
    });
    let sum = !(((sum & 0xffff) + (sum >> 16)) as u16);
    p[10..12].copy_from_slice(&sum.to_be_bytes());
    p.extend_from_slice(&[0x30, 0x39, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00]);
    p.extend_from_slice(b"ping");
    p
}

/// An IPv6 UDP datagram with four bytes of payload.
fn ipv6_udp() -> Vec<u8> {
    let mut p = vec![0x60, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x11, 0x40];
    p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    p.extend_from_slice(&[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    p.extend_from_slice(&[0x30, 0x39, 0x00, 0x35, 0x00, 0x0c, 0x00, 0x00]);
    p.extend_from_slice(b"pong");
    p
}

/// An ARP request for 192.168.1.2 over Ethernet-sized addresses.
fn arp_request() -> Vec<u8> {
    let mut p = vec![0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01];
    p.extend_from_slice(&MAC_A);
    p.extend_from_slice(&[192, 168, 1, 1]);
    p.extend_from_slice(&[0; 6]);
    p.extend_from_slice(&[192, 168, 1, 2]);
    p
}

fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// RFC 1042 LLC/SNAP carrying `ethertype`.
fn snap(ethertype: u16) -> Vec<u8> {
    let [hi, lo] = ethertype.to_be_bytes();
    vec![0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, hi, lo]
}

fn ppp() -> Vec<Vec<u8>> {
    vec![
        cat(&[&[0xff, 0x03, 0x00, 0x21], &ipv4_udp()]),
        cat(&[&[0xff, 0x03, 0x00, 0x57], &ipv6_udp()]),
        // LCP echo request, magic number 0x01020304.
        cat(&[
            &[0xff, 0x03, 0xc0, 0x21],
            &[0x09, 0x07, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04],
        ]),
    ]
}

fn ppp_hdlc() -> Vec<Vec<u8>> {
    vec![
        cat(&[&[0xff, 0x03, 0x00, 0x21], &ipv4_udp()]),
        cat(&[&[0xff, 0x03, 0x00, 0x57], &ipv6_udp()]),
    ]
}

fn chdlc() -> Vec<Vec<u8>> {
    vec![
        cat(&[&[0x0f, 0x00, 0x08, 0x00], &ipv4_udp()]),
        cat(&[&[0x8f, 0x00, 0x86, 0xdd], &ipv6_udp()]),
        cat(&[&[0x0f, 0x00, 0x08, 0x06], &arp_request()]),
        // SLARP keepalive: code 2, my sequence 7, your sequence 6, reliability 0xffff.
        cat(&[
            &[0x8f, 0x00, 0x80, 0x35],
            &[0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 6, 0xff, 0xff],
        ]),
    ]
}

fn slip() -> Vec<Vec<u8>> {
    let header = |dir: u8| {
        let mut h = vec![0u8; 16];
        h[0] = dir;
        h[1] = 0x40;
        h
    };
    vec![
        cat(&[&header(0), &ipv4_udp()]),
        cat(&[&header(1), &ipv4_udp()]),
    ]
}

fn frame_relay() -> Vec<Vec<u8>> {
    // DLCI 100: 18 41.
    vec![
        cat(&[&[0x18, 0x41, 0x03, 0xcc], &ipv4_udp()]),
        cat(&[&[0x18, 0x41, 0x03, 0x8e], &ipv6_udp()]),
        // Pad byte, then SNAP carrying IPv4; and ARP with FECN and DE set.
        cat(&[
            &[0x18, 0x41, 0x03, 0x00, 0x80],
            &snap(0x0800)[3..],
            &ipv4_udp(),
        ]),
        cat(&[
            &[0x18, 0x4b, 0x03, 0x00, 0x80],
            &snap(0x0806)[3..],
            &arp_request(),
        ]),
    ]
}

fn nflog() -> Vec<Vec<u8>> {
    let tlv = |kind: u16, value: &[u8]| {
        let len = 4 + value.len();
        let mut t = (len as u16).to_le_bytes().to_vec();
        t.extend_from_slice(&kind.to_le_bytes());
        t.extend_from_slice(value);
        t.resize(len.div_ceil(4) * 4, 0);
        t
    };
    vec![
        cat(&[
            &[2, 0, 0, 5],
            &tlv(1, &[0x08, 0x00, 0x03, 0x00]),
            &tlv(10, b"drop-in\0"),
            &tlv(9, &ipv4_udp()),
        ]),
        cat(&[&[10, 0, 0, 7], &tlv(10, b"v6\0"), &tlv(9, &ipv6_udp())]),
    ]
}

fn ipoib() -> Vec<Vec<u8>> {
    let header = |ethertype: u16| {
        let mut h = vec![0u8; 44];
        h[0..4].copy_from_slice(&[0x00, 0x00, 0x04, 0x48]);
        h[4..6].copy_from_slice(&[0xfe, 0x80]);
        h[19] = 0x02;
        h[20..24].copy_from_slice(&[0x00, 0xff, 0xff, 0xff]);
        h[24..26].copy_from_slice(&[0xff, 0x12]);
        h[39] = 0x01;
        h[40..42].copy_from_slice(&ethertype.to_be_bytes());
        h
    };
    vec![
        cat(&[&header(0x0800), &ipv4_udp()]),
        cat(&[&header(0x86dd), &ipv6_udp()]),
    ]
}

fn ethernet(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    cat(&[&MAC_B, &MAC_A, &ethertype.to_be_bytes(), payload])
}

fn pktap() -> Vec<Vec<u8>> {
    let header = |family: u32, pid: u32, out: bool| {
        let mut h = vec![0u8; 108];
        h[0..4].copy_from_slice(&108u32.to_le_bytes());
        h[4..8].copy_from_slice(&1u32.to_le_bytes());
        h[8..12].copy_from_slice(&1u32.to_le_bytes());
        h[12..15].copy_from_slice(b"en0");
        h[36..40].copy_from_slice(&(if out { 2u32 } else { 1 }).to_le_bytes());
        h[40..44].copy_from_slice(&family.to_le_bytes());
        h[44..48].copy_from_slice(&14u32.to_le_bytes());
        h[52..56].copy_from_slice(&pid.to_le_bytes());
        h[56..60].copy_from_slice(b"curl");
        h[76..80].copy_from_slice(&0x64u32.to_le_bytes());
        h[80..82].copy_from_slice(&6u16.to_le_bytes());
        h[84..88].copy_from_slice(&pid.to_le_bytes());
        h[88..92].copy_from_slice(b"curl");
        h
    };
    vec![
        cat(&[&header(2, 4321, true), &ethernet(0x0800, &ipv4_udp())]),
        cat(&[&header(30, 99, false), &ethernet(0x86dd, &ipv6_udp())]),
    ]
}

/// 802.11 data frames: to the access point, from it with QoS, and across a wireless bridge
/// (four addresses), each with LLC/SNAP; then a beacon and an ACK.
fn ieee80211() -> Vec<Vec<u8>> {
    let duration = [0x2c, 0x00];
    vec![
        cat(&[
            &[0x08, 0x01],
            &duration,
            &MAC_C,
            &MAC_A,
            &MAC_B,
            &[0x10, 0x00],
            &snap(0x0800),
            &ipv4_udp(),
        ]),
        cat(&[
            &[0x88, 0x02],
            &duration,
            &MAC_B,
            &MAC_C,
            &MAC_A,
            &[0x20, 0x01],
            &[0x05, 0x00],
            &snap(0x86dd),
            &ipv6_udp(),
        ]),
        cat(&[
            &[0x08, 0x0b],
            &duration,
            &MAC_C,
            &MAC_D,
            &MAC_B,
            &[0x31, 0x00],
            &MAC_A,
            &snap(0x0806),
            &arp_request(),
        ]),
        // Beacon: timestamp, interval 100 TU, capabilities, SSID "lab".
        cat(&[
            &[0x80, 0x00, 0x00, 0x00],
            &[0xff; 6],
            &MAC_C,
            &MAC_C,
            &[0x40, 0x02],
            &[1, 2, 3, 4, 5, 6, 7, 8, 0x64, 0x00, 0x11, 0x04],
            &[0x00, 0x03, b'l', b'a', b'b'],
        ]),
        cat(&[&[0xd4, 0x00, 0x00, 0x00], &MAC_A]),
    ]
}

/// Radiotap with TSFT, flags, rate, channel and signal in front of a data frame; then one
/// with flags, rate, channel, signal, noise and antenna (no TSFT) in front of QoS data.
fn radiotap() -> Vec<Vec<u8>> {
    let wlan = ieee80211();
    let first = [
        0x00, 0x00, 0x18, 0x00, 0x2f, 0x00, 0x00, 0x00, // version, pad, length 24, present
        1, 2, 3, 4, 5, 6, 7, 8,    // TSFT
        0x02, // flags: short preamble
        0x0c, // rate: 6 Mb/s
        0x85, 0x09, 0xa0, 0x00, // channel 2437 MHz, 2 GHz OFDM
        0xd8, // signal -40 dBm
        0x00, // padding to the length
    ];
    let second = [
        0x00, 0x00, 0x12, 0x00, 0x6e, 0x08, 0x00, 0x00, // length 18, present 0x86e
        0x00, // flags
        0x6c, // rate: 54 Mb/s
        0x3c, 0x14, 0x40, 0x01, // channel 5180 MHz, 5 GHz OFDM
        0xc4, // signal -60 dBm
        0xa1, // noise -95 dBm
        0x01, // antenna 1
        0x00,
    ];
    vec![cat(&[&first, &wlan[0]]), cat(&[&second, &wlan[1]])]
}

/// IEEE 802.3 frames whose type field is a length: LLC/SNAP to IPv4, and a spanning-tree
/// configuration BPDU behind a plain SAP.
fn ieee8023() -> Vec<Vec<u8>> {
    let body = cat(&[&snap(0x0800), &ipv4_udp()]);
    let bpdu: [u8; 35] = [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00,
        0x00, 0x00, 0x80, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x80, 0x01, 0x00, 0x00, 0x14,
        0x00, 0x02, 0x00, 0x0f, 0x00,
    ];
    let stp = cat(&[&[0x42, 0x42, 0x03], &bpdu]);
    let stp_dst = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x00];
    vec![
        ethernet(body.len() as u16, &body),
        cat(&[&stp_dst, &MAC_A, &(stp.len() as u16).to_be_bytes(), &stp]),
    ]
}

/// One capture per link type: a name for messages, the link type and its frames.
fn cases() -> Vec<(&'static str, u32, Vec<Vec<u8>>)> {
    vec![
        ("ppp", 9, ppp()),
        ("ppp-hdlc", 50, ppp_hdlc()),
        ("chdlc", 104, chdlc()),
        ("slip", 8, slip()),
        ("frame-relay", 107, frame_relay()),
        ("nflog", 239, nflog()),
        ("ipoib", 242, ipoib()),
        ("pktap", 258, pktap()),
        ("ieee80211", 105, ieee80211()),
        ("radiotap", 127, radiotap()),
        ("ieee8023", 1, ieee8023()),
    ]
}

// ---------------------------------------------------------------------------------------------
// Reading both programs' JSON, keeping repeated keys (tshark repeats a field's name for every
// occurrence, raw-sniff for NFLOG's attributes).

/// A JSON value whose objects keep every member in order, repeated keys included.
#[derive(Debug)]
enum Node {
    Leaf(String),
    List(Vec<Node>),
    Object(Vec<(String, Node)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Node, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JSON")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Leaf(u8::from(v).to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Leaf(v.to_string()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Node, E> {
        Ok(Node::Leaf(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Leaf(v.to_string()))
    }
    fn visit_str<E>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Leaf(v.to_owned()))
    }
    fn visit_unit<E>(self) -> Result<Node, E> {
        Ok(Node::Leaf(String::new()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Node::List(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut members = Vec::new();
        while let Some(member) = map.next_entry()? {
            members.push(member);
        }
        Ok(Node::Object(members))
    }
}

impl Node {
    fn members(&self) -> &[(String, Node)] {
        match self {
            Node::Object(m) => m,
            _ => &[],
        }
    }

    fn get(&self, key: &str) -> Option<&Node> {
        self.members()
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Every leaf under this node as (field name, normalised value), in document order.
    fn flatten(&self, into: &mut Vec<(String, String)>) {
        for (k, v) in self.members() {
            match v {
                Node::Leaf(s) => into.push((k.clone(), normalise(s))),
                Node::Object(_) => v.flatten(into),
                Node::List(items) => {
                    for item in items {
                        match item {
                            Node::Leaf(s) => into.push((k.clone(), normalise(s))),
                            other => other.flatten(into),
                        }
                    }
                }
            }
        }
    }
}

/// One spelling for both programs: hex numbers as decimal, colon-separated bytes (tshark's
/// bytes and both programs' MAC addresses) as bare hex, booleans as 0 and 1.
fn normalise(value: &str) -> String {
    if let Some(hex) = value.strip_prefix("0x") {
        if let Ok(n) = u64::from_str_radix(hex, 16) {
            return n.to_string();
        }
    }
    match value {
        "True" | "true" => return "1".to_owned(),
        "False" | "false" => return "0".to_owned(),
        _ => {}
    }
    let pairs = value
        .split(':')
        .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    if value.contains(':') && pairs {
        return value.replace(':', "").to_ascii_lowercase();
    }
    value.to_owned()
}

/// One packet as each program reports it.
struct Packet {
    /// Fields of the link-level headers, in order, with the object holding each.
    link: Vec<(String, String, String)>,
    /// Every field of every layer.
    all: Vec<(String, String)>,
    /// Layer names.
    layers: Vec<String>,
}

fn ours(pcap: &Path) -> Vec<Packet> {
    let out = run(Command::new(BIN).arg("-r").arg(pcap).arg("--json"));
    assert!(
        out.status.success(),
        "raw-sniff: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let node: Node = serde_json::from_str(line).unwrap();
            let mut link = Vec::new();
            let mut all = Vec::new();
            let mut layers = Vec::new();
            for (key, layer) in node.members() {
                let base = key.split('#').next().unwrap_or(key);
                layers.push(base.to_owned());
                let mut fields = Vec::new();
                layer.flatten(&mut fields);
                if LINK_KEYS.contains(&base) {
                    link.extend(
                        fields
                            .iter()
                            .map(|(n, v)| (key.clone(), n.clone(), v.clone())),
                    );
                }
                all.extend(fields);
            }
            Packet { link, all, layers }
        })
        .collect()
}

fn tsharks(pcap: &Path) -> Vec<Packet> {
    let out = run(Command::new("tshark")
        .args(["-n", "-T", "json", "-r"])
        .arg(pcap));
    assert!(
        out.status.success(),
        "tshark: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Node = serde_json::from_slice(&out.stdout).unwrap();
    let Node::List(packets) = doc else {
        panic!("tshark -T json did not write a list");
    };
    packets
        .iter()
        .map(|p| {
            let layers = p
                .get("_source")
                .and_then(|s| s.get("layers"))
                .expect("tshark packet without layers");
            let mut all = Vec::new();
            layers.flatten(&mut all);
            Packet {
                link: Vec::new(),
                all,
                layers: layers.members().iter().map(|(k, _)| k.clone()).collect(),
            }
        })
        .collect()
}

fn write_pcap(dir: &Path, name: &str, link: u32, frames: &[Vec<u8>]) -> PathBuf {
    let path = dir.join(format!("{name}.pcap"));
    let file = std::fs::File::create(&path).unwrap();
    let mut w = Writer::new(file, LinkType::from(link), 65535, false).unwrap();
    for (i, frame) in frames.iter().enumerate() {
        let ts = Timestamp {
            secs: 1_700_000_000 + i as u64,
            nanos: 0,
        };
        w.write_packet(ts, frame, frame.len() as u32).unwrap();
    }
    w.flush().unwrap();
    path
}

/// What one capture's comparison found.
#[derive(Default)]
struct Findings {
    /// Fields whose values differ: the name, whether it is a known difference, and
    /// "case packet n: field: ours, tshark's".
    differ: Vec<(String, bool, String)>,
    /// Names raw-sniff emits that tshark does not report for the packet.
    unknown: BTreeMap<String, ()>,
    /// Packets where tshark reaches a network layer raw-sniff does not.
    missing_network: Vec<String>,
    /// How many field values each capture compared.
    compared: BTreeMap<String, usize>,
}

fn compare(name: &str, ours: &[Packet], theirs: &[Packet], found: &mut Findings) {
    assert_eq!(ours.len(), theirs.len(), "{name}: packet count");
    for (n, (a, b)) in ours.iter().zip(theirs).enumerate() {
        let at = format!("{name} packet {}", n + 1);
        for key in NETWORK_KEYS {
            if b.layers.iter().any(|l| l == key) && !a.layers.iter().any(|l| l == key) {
                found.missing_network.push(format!(
                    "{at}: tshark has {key}, raw-sniff has {:?}",
                    a.layers
                ));
            }
        }
        // The n-th occurrence of a name in ours is compared with the n-th in tshark's.
        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (_, field, value) in &a.link {
            let i = seen.entry(field.as_str()).or_default();
            let theirs: Vec<&String> = b
                .all
                .iter()
                .filter(|(f, _)| f == field)
                .map(|(_, v)| v)
                .collect();
            let mine = a.all.iter().filter(|(f, _)| f == field).count();
            if !theirs.is_empty() {
                *found.compared.entry(name.to_owned()).or_default() += 1;
            }
            let known = KNOWN_DIFFERENCES.iter().any(|(f, _)| f == field);
            if theirs.is_empty() {
                found.unknown.insert(field.clone(), ());
            } else if theirs.len() != mine || *theirs[*i] != *value {
                found.differ.push((
                    field.clone(),
                    known,
                    format!(
                        "{at}: {field}: raw-sniff {value:?} (of {mine}), tshark {:?}",
                        theirs
                    ),
                ));
            }
            *i += 1;
        }
    }
}

#[test]
fn link_headers_equal_tsharks() {
    if !have("tshark") {
        return;
    }
    let dir = std::env::temp_dir().join(format!("links-vs-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let files: Vec<_> = cases()
        .into_iter()
        .map(|(name, link, frames)| (name, write_pcap(&dir, name, link, &frames)))
        .collect();
    // tshark takes most of the time; two at once halves it.
    let results: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = files
            .iter()
            .map(|(name, path)| s.spawn(move || (*name, ours(path), tsharks(path))))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut found = Findings::default();
    for (name, a, b) in &results {
        compare(name, a, b, &mut found);
    }
    if std::env::var_os("LINKS_VS_TSHARK_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    } else {
        eprintln!("captures kept in {}", dir.display());
    }
    if !found.unknown.is_empty() {
        eprintln!(
            "raw-sniff field names tshark does not report: {:?}",
            found.unknown.keys().collect::<Vec<_>>()
        );
    }
    let mut problems = found.missing_network;
    // tshark has no dissector for libpcap's SLIP pseudo-header; every other capture must
    // have been compared, or the test would pass on nothing.
    for (name, _) in files.iter().filter(|(name, _)| *name != "slip") {
        if found.compared.get(*name).copied().unwrap_or(0) == 0 {
            problems.push(format!("{name}: no field compared with tshark"));
        }
    }
    for (_, known, text) in &found.differ {
        if *known {
            eprintln!("known difference: {text}");
        } else {
            problems.push(text.clone());
        }
    }
    for (field, why) in KNOWN_DIFFERENCES {
        if !found.differ.iter().any(|(f, _, _)| f == field) {
            problems.push(format!(
                "{field} is listed as differing ({why}) but now agrees with tshark: take it off the list"
            ));
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}
