//! Filters on the link types whose type field is not an Ethernet one (SLIP, PPP, PPP in HDLC
//! framing, Cisco HDLC, Frame Relay, 802.11, radiotap, NFLOG, IPoIB, PKTAP), against the real
//! tcpdump: for each, capture files of hand-built frames (and copies cut short inside the
//! link header and the fields read), a table of expressions whose kept packets must be
//! tcpdump's, packet for packet, and expressions libpcap refuses there, which must be refused
//! here too.
//!
//! Needs `tcpdump` on PATH; skipped with a message when it is missing, except under `CI=true`.

#[path = "filter_packets.rs"]
mod packets;

use packets::TempDir;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use packets::{pcap_file, v4, v6, Net, Transport, PCAP_FIRST_SECOND};
use raw_sniff::user_filter;

const BIN: &str = env!("CARGO_BIN_EXE_raw-sniff");

// ---------------------------------------------------------------------------------------
// Network-layer payloads, the same on every link type.

fn ipv4(proto: u8, payload: Transport) -> Vec<u8> {
    Net::V4 {
        src: v4("10.0.0.1"),
        dst: v4("192.168.7.9"),
        proto,
        frag_offset: 0,
        more_fragments: false,
        option_words: 0,
        payload,
    }
    .bytes()
}

fn ipv4_options_udp() -> Vec<u8> {
    Net::V4 {
        src: v4("172.16.0.5"),
        dst: v4("10.0.0.1"),
        proto: 17,
        frag_offset: 0,
        more_fragments: false,
        option_words: 2,
        payload: Transport::Udp(5353, 53),
    }
    .bytes()
}

fn ipv6(proto: u8, payload: Transport) -> Vec<u8> {
    Net::V6 {
        src: v6("2001:db8::1"),
        dst: v6("ff02::fb"),
        ext: Vec::new(),
        proto,
        payload,
    }
    .bytes()
}

fn arp() -> Vec<u8> {
    Net::Arp {
        rarp: false,
        spa: v4("10.0.0.1"),
        tpa: v4("10.0.0.254"),
    }
    .bytes()
}

/// An OSI packet: NLPID, then (for IS-IS) a header whose fifth byte is the PDU type.
fn osi(nlpid: u8, pdu_type: u8) -> Vec<u8> {
    vec![nlpid, 27, 1, 0, pdu_type, 1, 0, 0, 0, 0, 0, 0]
}

/// The payloads each link type carries, with the value its type field gives them.
struct Payloads {
    v4_tcp: Vec<u8>,
    v4_udp: Vec<u8>,
    v6_udp: Vec<u8>,
    v6_tcp: Vec<u8>,
    arp: Vec<u8>,
}

fn payloads() -> Payloads {
    Payloads {
        v4_tcp: ipv4(6, Transport::Tcp(1234, 80)),
        v4_udp: ipv4_options_udp(),
        v6_udp: ipv6(17, Transport::Udp(5353, 53)),
        v6_tcp: ipv6(6, Transport::Tcp(443, 50000)),
        arp: arp(),
    }
}

// ---------------------------------------------------------------------------------------
// Frames of each link type.

fn with_header(header: &[u8], payload: &[u8]) -> Vec<u8> {
    let mut v = header.to_vec();
    v.extend_from_slice(payload);
    v
}

fn slip_frames() -> Vec<Vec<u8>> {
    let p = payloads();
    let mut compressed = [0u8; 15];
    compressed[0] = 0x45;
    // The direction byte is what libpcap's `ip` reads: 0 (in), 1 (out), and values whose
    // high nibble is 4 or 6.
    let header = |dir: u8| {
        let mut h = vec![dir];
        h.extend_from_slice(&compressed);
        h
    };
    vec![
        with_header(&header(0), &p.v4_tcp),
        with_header(&header(1), &p.v4_udp),
        with_header(&header(0x40), &p.v4_tcp),
        with_header(&header(0x41), &p.v4_udp),
        with_header(&header(0x60), &p.v6_udp),
        with_header(&header(0x6f), &p.v6_tcp),
    ]
}

fn ppp_frames() -> Vec<Vec<u8>> {
    let p = payloads();
    let ppp = |proto: u16, payload: &[u8]| {
        let mut h = vec![0xff, 0x03];
        h.extend_from_slice(&proto.to_be_bytes());
        with_header(&h, payload)
    };
    let mut mpls = vec![0x00, 0x01, 0x41, 0x40];
    mpls.extend_from_slice(&p.v4_tcp);
    let mut pppoe = vec![0x11, 0x00, 0x12, 0x34, 0, 0, 0x00, 0x21];
    pppoe.extend_from_slice(&p.v4_udp);
    vec![
        ppp(0x0021, &p.v4_tcp),
        ppp(0x0021, &p.v4_udp),
        ppp(0x0057, &p.v6_udp),
        ppp(0x0057, &p.v6_tcp),
        ppp(0x0806, &p.arp),
        ppp(0x0023, &osi(0x81, 0)),
        ppp(0x0023, &osi(0x83, 0x1a)),
        ppp(0x0281, &mpls),
        ppp(0x8864, &pppoe),
        ppp(0xc021, &[1, 1, 0, 4]),
        ppp(0x0031, &[0; 20]),
        ppp(0x002b, &[0xff; 20]),
    ]
}

fn chdlc_frames() -> Vec<Vec<u8>> {
    let p = payloads();
    let chdlc = |addr: u8, ty: u16, payload: &[u8]| {
        let mut h = vec![addr, 0x00];
        h.extend_from_slice(&ty.to_be_bytes());
        with_header(&h, payload)
    };
    let mut mpls = vec![0x00, 0x01, 0x41, 0x40];
    mpls.extend_from_slice(&p.v6_udp);
    let mut padded_osi = vec![0];
    padded_osi.extend_from_slice(&osi(0x83, 0x18));
    let mut clnp = vec![0];
    clnp.extend_from_slice(&osi(0x81, 0));
    let rarp = Net::Arp {
        rarp: true,
        spa: v4("10.0.0.7"),
        tpa: v4("10.0.0.1"),
    }
    .bytes();
    vec![
        chdlc(0x0f, 0x0800, &p.v4_tcp),
        chdlc(0x8f, 0x0800, &p.v4_udp),
        chdlc(0x0f, 0x86dd, &p.v6_udp),
        chdlc(0x0f, 0x86dd, &p.v6_tcp),
        chdlc(0x0f, 0x0806, &p.arp),
        chdlc(0x0f, 0x8035, &rarp),
        chdlc(0x0f, 0xfefe, &clnp),
        chdlc(0x0f, 0xfefe, &padded_osi),
        chdlc(0x0f, 0x8847, &mpls),
        chdlc(0x8f, 0x8035, &[0; 28]),
        chdlc(0x0f, 0x0042, &[0; 20]),
    ]
}

fn frame_relay_frames() -> Vec<Vec<u8>> {
    let p = payloads();
    let fr = |nlpid: u8, payload: &[u8]| with_header(&[0x04, 0x01, 0x03, nlpid], payload);
    vec![
        fr(0xcc, &p.v4_tcp),
        fr(0xcc, &p.v4_udp),
        fr(0x8e, &p.v6_udp),
        fr(0x8e, &p.v6_tcp),
        fr(0x81, &osi(0x81, 0)[1..]),
        fr(0x82, &osi(0x82, 0)[1..]),
        fr(0x83, &osi(0x83, 0x14)[1..]),
        fr(0x80, &[0, 0, 0, 0x08, 0x06, 0, 1, 8, 0, 6, 4]),
        // libpcap reads the network header at offset 0: a frame whose own bytes look like
        // an IPv4 header there.
        with_header(&[0x45, 0x00, 0x03, 0xcc], &p.v4_udp[4..]),
    ]
}

fn llc_snap(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0xaa, 0xaa, 0x03, 0, 0, 0];
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

/// An 802.11 MAC header: frame control, duration, three addresses, sequence control, and
/// the optional fourth address and QoS control.
fn mac_header(fc0: u8, fc1: u8, addr4: bool, qos: bool) -> Vec<u8> {
    let mut h = vec![fc0, fc1, 0x2c, 0x00];
    h.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x01]);
    h.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x02]);
    h.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    h.extend_from_slice(&[0x10, 0x00]);
    if addr4 {
        h.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x04]);
    }
    if qos {
        h.extend_from_slice(&[0x00, 0x00]);
    }
    h
}

fn wlan_frames() -> Vec<Vec<u8>> {
    let p = payloads();
    let data =
        |fc1: u8, payload: Vec<u8>| with_header(&mac_header(0x08, fc1, false, false), &payload);
    let qos =
        |fc1: u8, payload: Vec<u8>| with_header(&mac_header(0x88, fc1, false, true), &payload);
    let four = |qos: bool, payload: Vec<u8>| {
        with_header(
            &mac_header(if qos { 0x88 } else { 0x08 }, 0x03, true, qos),
            &payload,
        )
    };
    let mut netbeui = vec![0xf0, 0xf0, 0x03];
    netbeui.extend_from_slice(&[0; 20]);
    let mut stp = vec![0x42, 0x42, 0x03];
    stp.extend_from_slice(&[0; 20]);
    let mut clnp = vec![0xfe, 0xfe, 0x03];
    clnp.extend_from_slice(&osi(0x81, 0));
    let mut isis = vec![0xfe, 0xfe, 0x03];
    isis.extend_from_slice(&osi(0x83, 0x12));
    let mut atalk = vec![0xaa, 0xaa, 0x03, 0x08, 0x00, 0x07, 0x80, 0x9b];
    atalk.extend_from_slice(&[0; 20]);
    let beacon = {
        let mut v = mac_header(0x80, 0x00, false, false);
        v.extend_from_slice(&[0; 12]);
        v.extend_from_slice(&[0, 4, b't', b'e', b's', b't']);
        v
    };
    // A management frame whose body happens to hold an IPv4 SNAP header where a data
    // frame's would be: only the frame type tells them apart.
    let action = with_header(
        &mac_header(0xd0, 0x00, false, false),
        &llc_snap(0x0800, &p.v4_tcp),
    );
    vec![
        data(0x01, llc_snap(0x0800, &p.v4_tcp)),
        data(0x02, llc_snap(0x0800, &p.v4_udp)),
        data(0x01, llc_snap(0x86dd, &p.v6_udp)),
        data(0x02, llc_snap(0x0806, &p.arp)),
        qos(0x01, llc_snap(0x0800, &p.v4_tcp)),
        qos(0x02, llc_snap(0x86dd, &p.v6_tcp)),
        four(false, llc_snap(0x0800, &p.v4_udp)),
        four(true, llc_snap(0x86dd, &p.v6_udp)),
        // Protected: the body is encrypted, but libpcap reads it as LLC all the same.
        data(0x41, llc_snap(0x0800, &p.v4_tcp)),
        data(0x41, vec![0x5a; 60]),
        data(0x01, netbeui),
        data(0x01, stp),
        data(0x01, clnp),
        qos(0x01, isis),
        data(0x02, atalk),
        // Null data (subtype 4) and QoS null (subtype 12) frames.
        with_header(&mac_header(0x48, 0x01, false, false), &[]),
        with_header(&mac_header(0xc8, 0x01, false, true), &[]),
        beacon,
        action,
        // Control frames: ACK, and an RTS.
        vec![0xd4, 0x00, 0, 0, 0x02, 0, 0, 0, 0, 0x01],
        vec![
            0xb4, 0x00, 0, 0, 0x02, 0, 0, 0, 0, 0x01, 0x02, 0, 0, 0, 0, 0x02,
        ],
        // Reserved frame type 3.
        with_header(
            &mac_header(0x0c, 0x00, false, false),
            &llc_snap(0x0800, &p.v4_tcp),
        ),
        // Addresses: a broadcast and a multicast first address, within a BSS (no DS bits)
        // and from the DS; a multicast third address to the DS; a broadcast probe request.
        with_addr1(data(0x00, llc_snap(0x0800, &p.v4_udp)), [0xff; 6]),
        with_addr1(
            data(0x02, llc_snap(0x86dd, &p.v6_udp)),
            [0x33, 0x33, 0, 0, 0, 0xfb],
        ),
        with_addr3(
            data(0x01, llc_snap(0x0800, &p.v4_udp)),
            [0x01, 0, 0x5e, 0, 0, 0xfb],
        ),
        with_addr1(mac_header(0x40, 0x00, false, false), [0xff; 6]),
        // VLAN tags inside the SNAP header: one (with and without QoS), and two.
        data(0x01, llc_snap(0x8100, &tagged(&[5], 0x0800, &p.v4_tcp))),
        qos(0x02, llc_snap(0x88a8, &tagged(&[7], 0x86dd, &p.v6_udp))),
        data(
            0x02,
            llc_snap(0x8100, &tagged(&[5, 0x8100, 9], 0x0800, &p.v4_udp)),
        ),
        with_header(
            &mac_header(0x80, 0x00, false, false),
            &llc_snap(0x8100, &tagged(&[5], 0x0800, &p.v4_tcp)),
        ),
        // An ACK and a CTS followed by bytes where a second address would be (they have
        // none), and a PS-Poll, which has one.
        vec![0xd4, 0, 0, 0, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2],
        vec![0xc4, 0, 0, 0, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2],
        vec![0xa4, 0, 0, 0, 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2],
    ]
}

/// An 802.1Q tag's TCI (and for each further tag its TPID and TCI), then the ethertype and
/// payload, as they follow a VLAN TPID.
fn tagged(tags: &[u16], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v: Vec<u8> = tags.iter().flat_map(|t| t.to_be_bytes()).collect();
    v.extend_from_slice(&ethertype.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn with_addr1(mut frame: Vec<u8>, mac: [u8; 6]) -> Vec<u8> {
    frame[4..10].copy_from_slice(&mac);
    frame
}

fn with_addr3(mut frame: Vec<u8>, mac: [u8; 6]) -> Vec<u8> {
    frame[16..22].copy_from_slice(&mac);
    frame
}

/// A radiotap header of the given presence word and fields, its length as given (at least
/// the fields' end), before `frame`.
fn radiotap(present: u32, fields: &[u8], len: u16, frame: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0];
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(&present.to_le_bytes());
    v.extend_from_slice(fields);
    v.resize(usize::from(len), 0);
    v.extend_from_slice(frame);
    v
}

fn radiotap_frames() -> Vec<Vec<u8>> {
    let wlan = wlan_frames();
    let mut out = Vec::new();
    // Headers of several lengths: bare (8), flags without data padding (9, 12), TSFT then
    // flags (17), flags with data padding (9 and 17: the LLC header is rounded up to 4
    // bytes), an extended presence word (whose flags libpcap does not look for), and a
    // length past the end of the frame.
    let headers: Vec<(u32, Vec<u8>, u16)> = vec![
        (0, vec![], 8),
        (0x2, vec![0x10], 9),
        (0x2, vec![0x00], 12),
        (0x3, vec![1, 2, 3, 4, 5, 6, 7, 8, 0x10], 17),
        (0x2, vec![0x20], 9),
        (0x2, vec![0x30], 10),
        (0x3, vec![0; 8].into_iter().chain([0x20]).collect(), 17),
        (0x8000_0002, vec![0x20, 0, 0, 0, 0x20], 13),
        (0x2, vec![0x20], 14),
    ];
    for (i, frame) in wlan.iter().enumerate() {
        let (present, fields, len) = &headers[i % headers.len()];
        out.push(radiotap(*present, fields, *len, frame));
        let (present, fields, len) = &headers[(i + 4) % headers.len()];
        out.push(radiotap(*present, fields, *len, frame));
    }
    // Padding applied to a data frame with and without QoS, on IPv4.
    for (present, fields, len) in &headers {
        out.push(radiotap(*present, fields, *len, &wlan[0]));
        out.push(radiotap(*present, fields, *len, &wlan[4]));
    }
    out.push(radiotap(0, &[], 0x4000, &wlan[0]));
    out
}

/// Frames of the link types libpcap only reads with `link[…]` and `len`.
fn opaque_frames() -> Vec<Vec<u8>> {
    let p = payloads();
    vec![
        with_header(&[2, 0, 0, 0, 8, 0, 1, 0], &p.v4_tcp),
        with_header(&[10, 0, 0, 5], &p.v6_udp),
        vec![1, 2, 3],
    ]
}

/// Each frame whole, then copies of it cut short at every length up to `cut_to` (wire length
/// kept), so every load a filter makes meets a truncated frame.
fn with_truncations(frames: &[Vec<u8>], cut_to: usize) -> Vec<(Vec<u8>, u32)> {
    let mut out: Vec<(Vec<u8>, u32)> = frames.iter().map(|f| (f.clone(), f.len() as u32)).collect();
    for f in frames {
        for cut in 1..f.len().min(cut_to) {
            out.push((f[..cut].to_vec(), f.len() as u32));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// The comparison.

fn temp_dir(tag: &str) -> TempDir {
    let dir = std::env::temp_dir().join(format!("filter-linktypes-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    TempDir(dir)
}

/// What our program, compiled as a capture of `link` is, keeps; or our error.
fn we_keep(
    link: wire::LinkType,
    packets: &[(Vec<u8>, u32)],
    expr: &str,
) -> Result<BTreeSet<usize>, String> {
    let e = user_filter::parse(expr).map_err(|e| e.to_string())?;
    let prog = user_filter::compile(&e, link).map_err(|e| {
        let mut msg = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            source = s.source();
        }
        msg
    })?;
    Ok(packets
        .iter()
        .enumerate()
        .filter(|(_, (data, wire))| prog.run(data, *wire) != 0)
        .map(|(i, _)| i)
        .collect())
}

/// Expressions asked of every link type; most mean something on all of them.
const COMMON: &[&str] = &[
    "",
    "ip",
    "ip6",
    "arp",
    "rarp",
    "not ip",
    "tcp",
    "udp",
    "icmp",
    "host 10.0.0.1",
    "src host 10.0.0.1",
    "dst host 10.0.0.1",
    "host 2001:db8::1",
    "dst host ff02::fb",
    "net 192.168.0.0/16",
    "net 2001:db8::/32",
    "port 80",
    "port 53",
    "tcp dst port 80",
    "udp src port 5353",
    "portrange 50-500",
    "ip6 and tcp port 443",
    "ip proto 17",
    "ip6 proto 6",
    "proto 17",
    "ip6 protochain 17",
    "link[0] = 0",
    "link[0] & 0x40 != 0",
    "link[1:2] = 0x0021",
    "link[2:2] = 0x0800",
    "link[2:2] = 0x03cc",
    "ip[0] = 0x45",
    "ip[9] = 6",
    "ip6[6] = 17",
    "tcp[13] & 2 != 0",
    "tcp[0:2] = 1234",
    "udp[2:2] = 53",
    "len > 60",
    "less 50",
    "greater 80",
    "ip multicast",
    "ip6 multicast",
    "ip broadcast",
    "arp host 10.0.0.1",
    "rarp host 10.0.0.1",
    "ether proto 0x800",
    "link proto 0x86dd",
    "ether proto 0x806",
    "ether proto 0x42",
    "ether proto 100",
    "iso",
    "clnp",
    "esis",
    "isis",
    "l1",
    "l2",
    "lsp",
    "iso proto 0x81",
    "isis proto 0x14",
    "stp",
    "ipx",
    "netbeui",
    "atalk",
    "aarp",
    "decnet",
    "lat",
    "decnet host 1.1",
    "pppoed",
    "pppoes",
    "pppoes and ip",
    "ip or arp or ip6",
    "not (tcp or udp)",
    "geneve",
];

/// Expressions libpcap refuses on every link type here.
const REFUSED_EVERYWHERE: &[&str] = &["ifindex 1"];

/// The 802.11 words, which libpcap refuses on every other link type.
const WIRELESS_ONLY: &[&str] = &[
    "type mgt",
    "subtype beacon",
    "dir tods",
    "wlan addr1 02:00:00:00:00:01",
    "wlan ta 02:00:00:00:00:01",
];

/// What 802.11 and radiotap captures share: addresses, frame types, directions, and the
/// encapsulations inside LLC.
const WLAN: &[&str] = &[
    "wlan host 02:00:00:00:00:01",
    "wlan src 02:00:00:00:00:02",
    "wlan src ff:ff:ff:ff:ff:ff",
    "wlan src 02:00:00:00:00:04",
    "ether src 02:00:00:00:00:04 or wlan dst ff:ff:ff:ff:ff:ff",
    "ether dst 02:00:00:00:00:01",
    "wlan src and dst 02:00:00:00:00:01",
    "wlan host 02:00:00:00:00:02 and ip",
    "broadcast",
    "multicast",
    "ether broadcast",
    "ether multicast and udp",
    "not broadcast and ip6",
    "type mgt",
    "type ctl",
    "type data",
    "type 8 and ip",
    "subtype beacon",
    "subtype ack or subtype rts",
    "type data subtype qos-data",
    "type data subtype null or subtype qos",
    "type mgt subtype probe-req",
    "dir nods",
    "dir tods",
    "dir fromds and udp",
    "dir dstods",
    "dir 4",
    "direction 1",
    "wlan addr1 ff:ff:ff:ff:ff:ff",
    "wlan addr1 02:00:00:00:00:01",
    "wlan address2 02:00:00:00:00:02",
    "wlan addr2 host 02:00:00:00:00:02 and not type data",
    "wlan addr3 ff:ff:ff:ff:ff:ff",
    "wlan addr3 01:00:5e:00:00:fb",
    "wlan addr4 02:00:00:00:00:04",
    "wlan ra 02:00:00:00:00:01",
    "wlan ta 02:00:00:00:00:02",
    "ether addr1 33:33:00:00:00:fb",
    "vlan",
    "vlan 5",
    "vlan 7 and udp port 53",
    "vlan and ip",
    "vlan and vlan 9 and udp",
    "vlan and host 10.0.0.1",
    "not vlan and ip",
    "vlan or arp",
    "vlan and llc",
    "vlan and stp",
];

struct Case {
    name: &'static str,
    link: wire::LinkType,
    linktype: u32,
    frames: Vec<Vec<u8>>,
    /// Expressions for this link type alone, on top of `COMMON` (and `WLAN` for 802.11 and
    /// radiotap).
    extra: &'static [&'static str],
    /// Expressions libpcap refuses here, and a word our message must hold.
    refused: &'static [&'static str],
    /// What our refusals must name.
    named: &'static str,
}

/// Compares every expression on one capture file; returns how many (expression, packet)
/// matches there were and how many frames the file holds.
fn compare(case: &Case, dir: &Path) -> Vec<String> {
    let packets = with_truncations(&case.frames, 64);
    let file = dir.join(format!("{}.pcap", case.name));
    std::fs::write(&file, pcap_file(case.linktype, &packets)).expect("write pcap");
    let mut failures = Vec::new();
    let mut kept = 0;
    let wlan: &[&str] = match case.link {
        wire::LinkType::Ieee80211 | wire::LinkType::Radiotap => WLAN,
        _ => &[],
    };
    for expr in COMMON.iter().chain(wlan).chain(case.extra) {
        match (
            we_keep(case.link, &packets, expr),
            packets::tcpdump_keeps(&file, expr),
        ) {
            (Ok(ours), Ok(theirs)) => {
                kept += ours.len();
                if ours != theirs {
                    let only_ours: Vec<_> = ours.difference(&theirs).take(8).collect();
                    let only_theirs: Vec<_> = theirs.difference(&ours).take(8).collect();
                    failures.push(format!(
                        "{} '{expr}': only we keep {only_ours:?}, only tcpdump keeps {only_theirs:?}",
                        case.name
                    ));
                }
            }
            (Err(_), Err(_)) => {}
            (Ok(_), Err(theirs)) => failures.push(format!(
                "{} '{expr}': tcpdump refuses it ({}), we accept it",
                case.name,
                theirs.trim()
            )),
            (Err(ours), Ok(_)) => failures.push(format!(
                "{} '{expr}': we refuse it ({ours}), tcpdump accepts it",
                case.name
            )),
        }
    }
    if kept < 20 {
        failures.push(format!(
            "{}: only {kept} matches, too few to prove anything",
            case.name
        ));
    }
    let wireless = matches!(
        case.link,
        wire::LinkType::Ieee80211 | wire::LinkType::Radiotap
    );
    let elsewhere = if wireless { &[][..] } else { WIRELESS_ONLY };
    for expr in case
        .refused
        .iter()
        .chain(REFUSED_EVERYWHERE)
        .chain(elsewhere)
    {
        if let Ok(kept) = packets::tcpdump_keeps(&file, expr) {
            failures.push(format!(
                "{} '{expr}': listed as refused, but tcpdump keeps {kept:?}",
                case.name
            ));
        }
        match we_keep(case.link, &packets, expr) {
            Ok(_) => failures.push(format!(
                "{} '{expr}': libpcap refuses it, we accept it",
                case.name
            )),
            Err(msg) if msg.contains('\n') && !msg.starts_with("bad filter") => {
                failures.push(format!("{} '{expr}': not one line: {msg}", case.name))
            }
            Err(msg)
                if (case.refused.contains(expr) || elsewhere.contains(expr))
                    && !msg.contains(case.named) =>
            {
                failures.push(format!(
                    "{} '{expr}': the error does not name {}: {msg}",
                    case.name, case.named
                ))
            }
            Err(_) => {}
        }
    }
    failures
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "slip",
            link: wire::LinkType::Slip,
            linktype: 8,
            frames: slip_frames(),
            extra: &["inbound", "outbound", "inbound and ip", "outbound and ip6"],
            refused: &["vlan", "mpls", "llc", "ether multicast"],
            named: "SLIP",
        },
        Case {
            name: "ppp",
            link: wire::LinkType::Ppp,
            linktype: 9,
            frames: ppp_frames(),
            extra: &[
                "mpls",
                "mpls 20",
                "mpls and ip",
                "mpls 20 and host 10.0.0.1",
                "pppoes 0x1234",
                "pppoes and udp port 53",
                "link proto 0xc021",
            ],
            refused: &["vlan", "llc", "inbound", "outbound", "ether multicast"],
            named: "PPP",
        },
        Case {
            name: "ppp-hdlc",
            link: wire::LinkType::PppHdlc,
            linktype: 50,
            frames: ppp_frames(),
            extra: &[
                "pppoes 0x1234",
                "pppoes and udp port 53",
                "link proto 0xc021",
            ],
            refused: &["vlan", "mpls", "llc", "inbound", "ether multicast"],
            named: "PPP",
        },
        Case {
            name: "c-hdlc",
            link: wire::LinkType::CHdlc,
            linktype: 104,
            frames: chdlc_frames(),
            extra: &[
                "mpls",
                "mpls 20 and ip6",
                "mpls and udp port 53",
                "link[0] = 0x8f",
                "ether proto 0xfefe",
            ],
            refused: &["vlan", "llc", "inbound", "broadcast", "ether multicast"],
            named: "Cisco HDLC",
        },
        Case {
            name: "frame-relay",
            link: wire::LinkType::FrameRelay,
            linktype: 107,
            frames: frame_relay_frames(),
            extra: &[
                "ether proto 0xfe",
                "iso proto 0x82",
                "isis proto 0x14",
                "esis or isis",
            ],
            refused: &[
                "vlan",
                "mpls",
                "llc",
                "outbound",
                "broadcast",
                "ether multicast",
            ],
            named: "Frame Relay",
        },
        Case {
            name: "ieee80211",
            link: wire::LinkType::Ieee80211,
            linktype: 105,
            frames: wlan_frames(),
            extra: &[
                "llc",
                "llc i",
                "llc s",
                "llc u",
                "link[0] = 0x88",
                "link[1] & 3 = 3",
                "udp and link[24:2] = 0",
                "geneve and ip",
            ],
            refused: &[
                "mpls",
                "inbound",
                "ip6 protochain 17",
                "type 2",
                "type data subtype beacon",
                "dir sideways",
            ],
            named: "802.11",
        },
        Case {
            name: "radiotap",
            link: wire::LinkType::Radiotap,
            linktype: 127,
            frames: radiotap_frames(),
            extra: &["llc", "llc s", "link[0] = 0x88", "link[1] & 0x40 != 0"],
            refused: &[
                "mpls",
                "outbound",
                "ip protochain 6",
                "type 2",
                "type data subtype beacon",
                "dir sideways",
            ],
            named: "802.11",
        },
        Case {
            name: "nflog",
            link: wire::LinkType::Nflog,
            linktype: 239,
            frames: opaque_frames(),
            extra: &[],
            refused: &[
                "ip",
                "tcp",
                "host 10.0.0.1",
                "ip[0] = 0x45",
                "vlan",
                "mpls",
                "stp",
                "llc",
                "inbound",
            ],
            named: "NFLOG",
        },
        Case {
            name: "ipoib",
            link: wire::LinkType::Ipoib,
            linktype: 242,
            frames: opaque_frames(),
            extra: &[],
            refused: &["ip6", "udp port 53", "arp", "pppoes", "vlan", "iso proto 1"],
            named: "Infiniband",
        },
        Case {
            name: "pktap",
            link: wire::LinkType::Pktap,
            linktype: 258,
            frames: opaque_frames(),
            extra: &[],
            refused: &["ip", "net 10.0.0.0/8", "decnet host 1.1", "mpls", "clnp"],
            named: "PKTAP",
        },
    ]
}

#[test]
fn every_link_type_filters_as_tcpdump_does() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = temp_dir("all");
    let mut failures = Vec::new();
    for case in cases() {
        failures.extend(compare(&case, &dir.0));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Where libpcap's arithmetic overwrites the scratch slot holding the LLC header's offset
/// (`link[0] = 0x88 or ip6` reads the type field at offset 0x88 + 6 in tcpdump), the filter
/// still reads it where it is.
#[test]
fn arithmetic_leaves_the_wireless_offsets_alone() {
    let frames = wlan_frames();
    let keeps = |expr: &str, frame: &[u8]| {
        let e = user_filter::parse(expr).unwrap();
        let prog = user_filter::compile(&e, wire::LinkType::Ieee80211).unwrap();
        prog.run(frame, frame.len() as u32) != 0
    };
    // frames[2]: IPv6 in a plain data frame; frames[0]: IPv4; frames[4]: QoS, IPv4.
    assert!(keeps("link[0] = 0x88 or ip6", &frames[2]));
    assert!(!keeps("link[0] = 0x88 or ip6", &frames[0]));
    assert!(keeps("link[0] = 0x88 or ip6", &frames[4]));
    assert!(keeps("len < 40 or ip", &frames[0]));
    assert!(keeps("len < 40 or ip", &frames[4]));
    assert!(!keeps("len < 40 or ip", &frames[2]));
    assert!(keeps("ip[0] + 1 = 0x48 and udp", &frames[1]));
}

/// Link type 14 is OpenBSD's raw IP, which libpcap does not read from a file: there is no
/// filter of libpcap's to follow, and the filter is refused.
#[test]
fn link_type_14_is_refused() {
    let e = user_filter::parse("ip").unwrap();
    let err = user_filter::compile(&e, wire::LinkType::RawDlt14).unwrap_err();
    assert!(err.to_string().contains("not supported"), "{err}");
}

/// The same through the binary: `raw-sniff -r FILE EXPR` keeps what tcpdump keeps on a PPP
/// and an 802.11 capture.
#[test]
fn the_binary_filters_these_captures_as_tcpdump_does() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = temp_dir("bin");
    for (name, linktype, frames) in [
        ("ppp", 9, ppp_frames()),
        ("wlan", 105, wlan_frames()),
        ("radiotap", 127, radiotap_frames()),
    ] {
        let packets: Vec<(Vec<u8>, u32)> =
            frames.iter().map(|f| (f.clone(), f.len() as u32)).collect();
        let file = dir.0.join(format!("{name}.pcap"));
        std::fs::write(&file, pcap_file(linktype, &packets)).expect("write pcap");
        for expr in [
            "ip",
            "ip6",
            "tcp port 80",
            "udp",
            "not ip",
            "arp or ip6",
            "host 10.0.0.1",
        ] {
            let theirs = packets::tcpdump_keeps(&file, expr).expect("tcpdump accepts it");
            let out = Command::new(BIN)
                .args(["--output", "json", "-r"])
                .arg(&file)
                .arg(expr)
                .output()
                .expect("run raw-sniff");
            assert!(
                out.status.success(),
                "raw-sniff -r {name} '{expr}': {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let ours = json_positions(&out.stdout);
            assert_eq!(ours, theirs, "{name} '{expr}'");
        }
    }
}

/// Positions of the packets in raw-sniff's JSON lines, from each one's timestamp.
fn json_positions(stdout: &[u8]) -> BTreeSet<usize> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).ok()?;
            let time = v.get("frame")?.get("frame.time_epoch")?.as_str()?;
            let sec: u32 = time.split('.').next()?.parse().ok()?;
            Some((sec - PCAP_FIRST_SECOND) as usize)
        })
        .collect()
}
