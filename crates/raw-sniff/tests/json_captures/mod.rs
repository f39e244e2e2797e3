//! Captures built here for the JSON tests: a WebSocket conversation with payloads far over
//! what a terminal line shows, and hand-made IP packets (fragments, cut captures) whose header
//! lengths say more than was captured. Each is written with `wire`'s pcap writer.
#![allow(dead_code)]

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use websocket::{encode_frame, FrameHeader, OpCode};
use wire::pcap::{Timestamp, Writer};
use wire::tcp::Flags;
use wire::LinkType;

pub const CLIENT: (Ipv4Addr, u16) = (Ipv4Addr::new(127, 0, 0, 1), 40_000);
pub const SERVER: (Ipv4Addr, u16) = (Ipv4Addr::new(127, 0, 0, 1), 80);

/// Hand-made: the opening handshake of RFC 6455 §1.3, with its key and accept value.
const REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// A directory for one test's files, removed with them when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("raw-sniff-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Writes Ethernet frames, each with its length on the wire, as a pcap file.
pub fn write_pcap(path: &Path, frames: &[(Vec<u8>, u32)]) {
    write_pcap_of(path, LinkType::Ethernet, frames);
}

/// Writes frames of link type `link` as a pcap file.
pub fn write_pcap_of(path: &Path, link: LinkType, frames: &[(Vec<u8>, u32)]) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = Writer::new(file, link, 262_144, false).unwrap();
    for (i, (data, wire_len)) in frames.iter().enumerate() {
        let ts = Timestamp {
            secs: 1_700_000_000 + i as u64,
            nanos: 250_000,
        };
        w.write_packet(ts, data, *wire_len).unwrap();
    }
    w.flush().unwrap();
}

/// The text messages of [`ws_conversation`]: one of 300 bytes, so longer than a line shows,
/// and one of 100,000 bytes, longer than the 64 KiB a frame keeps unless decoded whole.
pub fn ws_texts() -> (String, String) {
    let short: String = (0..300u32)
        .map(|i| (b'a' + (i % 26) as u8) as char)
        .collect();
    let long: String = (0..100_000u32)
        .map(|i| (b'A' + (i % 26) as u8) as char)
        .collect();
    (short, long)
}

fn segment(from_client: bool, seq: u32, ack: u32, flags: Flags, payload: &[u8]) -> (Vec<u8>, u32) {
    let (src, dst) = if from_client {
        (CLIENT, SERVER)
    } else {
        (SERVER, CLIENT)
    };
    let f = test_support::frames::ethernet_ipv4_tcp(src, dst, seq, ack, flags, payload);
    let len = f.len() as u32;
    (f, len)
}

/// A WebSocket conversation on port 80: handshake, the client's masked 300-byte text, the
/// server's 100,000-byte text in 1,400-byte segments, a ping and both closes.
pub fn ws_conversation() -> Vec<(Vec<u8>, u32)> {
    let (short, long) = ws_texts();
    let mut c = Vec::new();
    let mut s = Vec::new();
    let mut h = FrameHeader::new(OpCode::Text, 0);
    h.mask = Some([0x5a, 0x6b, 0x7c, 0x8d]);
    encode_frame(&mut c, &h, short.as_bytes());
    encode_frame(&mut s, &FrameHeader::new(OpCode::Text, 0), long.as_bytes());
    let mut ping = FrameHeader::new(OpCode::Ping, 0);
    ping.mask = Some([1, 2, 3, 4]);
    let c_data_end = c.len();
    encode_frame(&mut c, &ping, b"are you there?");
    let mut close = FrameHeader::new(OpCode::Close, 0);
    close.mask = Some([9, 8, 7, 6]);
    encode_frame(
        &mut c,
        &close,
        &[&1000u16.to_be_bytes()[..], b"bye"].concat(),
    );
    encode_frame(
        &mut s,
        &FrameHeader::new(OpCode::Close, 0),
        &1000u16.to_be_bytes(),
    );

    const CISN: u32 = 1000;
    const SISN: u32 = 7_000_000;
    let ack = Flags(Flags::ACK.0 | Flags::PSH.0);
    let mut out = vec![
        segment(true, CISN, 0, Flags::SYN, &[]),
        segment(
            false,
            SISN,
            CISN + 1,
            Flags(Flags::SYN.0 | Flags::ACK.0),
            &[],
        ),
        segment(true, CISN + 1, SISN + 1, Flags::ACK, &[]),
        segment(true, CISN + 1, SISN + 1, ack, REQUEST.as_bytes()),
    ];
    let c0 = CISN + 1 + REQUEST.len() as u32;
    out.push(segment(false, SISN + 1, c0, ack, RESPONSE.as_bytes()));
    let s0 = SISN + 1 + RESPONSE.len() as u32;
    out.push(segment(true, c0, s0, ack, &c[..c_data_end]));
    let c1 = c0 + c_data_end as u32;
    // The server's frames without its close, in segments.
    let s_close = s.len() - 4;
    for (i, chunk) in s[..s_close].chunks(1400).enumerate() {
        out.push(segment(false, s0 + (i * 1400) as u32, c1, ack, chunk));
    }
    let s1 = s0 + s_close as u32;
    out.push(segment(true, c1, s1, ack, &c[c_data_end..]));
    let c2 = c0 + c.len() as u32;
    out.push(segment(false, s1, c2, ack, &s[s_close..]));
    let s2 = s0 + s.len() as u32;
    let fin = Flags(Flags::FIN.0 | Flags::ACK.0);
    out.push(segment(false, s2, c2, fin, &[]));
    out.push(segment(true, c2, s2 + 1, fin, &[]));
    out.push(segment(false, s2 + 1, c2 + 1, Flags::ACK, &[]));
    out
}

/// An Ethernet frame around an IPv4 packet from 10.0.0.1 to 10.0.0.2 with header checksum
/// filled in; `total` overrides the total length field, `frag` is (offset in 8-byte units,
/// more fragments).
pub fn ipv4(proto: u8, body: &[u8], frag: (u16, bool)) -> Vec<u8> {
    ipv4_with_options(proto, &[], body, frag)
}

/// [`ipv4`] with `options` (a multiple of 4 bytes) after the fixed header.
pub fn ipv4_with_options(proto: u8, options: &[u8], body: &[u8], frag: (u16, bool)) -> Vec<u8> {
    let hlen = 20 + options.len();
    let total = (hlen + body.len()) as u16;
    let flags = (frag.0 & 0x1fff) | if frag.1 { 0x2000 } else { 0 };
    let mut ip = vec![0x40 | (hlen / 4) as u8, 0];
    ip.extend_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&[0x12, 0x34]);
    ip.extend_from_slice(&flags.to_be_bytes());
    ip.extend_from_slice(&[64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
    ip.extend_from_slice(options);
    let sum = internet_checksum(&ip);
    ip[10..12].copy_from_slice(&sum.to_be_bytes());
    ip.extend_from_slice(body);
    ether(0x0800, &ip)
}

/// An Ethernet frame around an IPv6 packet from fd00::1 to fd00::2.
pub fn ipv6(next: u8, body: &[u8]) -> Vec<u8> {
    let mut ip = vec![0x60, 0x01, 0x23, 0x45];
    ip.extend_from_slice(&(body.len() as u16).to_be_bytes());
    ip.extend_from_slice(&[next, 64]);
    ip.extend_from_slice(&"fd00::1".parse::<std::net::Ipv6Addr>().unwrap().octets());
    ip.extend_from_slice(&"fd00::2".parse::<std::net::Ipv6Addr>().unwrap().octets());
    ip.extend_from_slice(body);
    ether(0x86dd, &ip)
}

/// The IPv4 packet of [`ipv4`], without its Ethernet header.
pub fn ipv4_bytes(proto: u8, body: &[u8]) -> Vec<u8> {
    ipv4(proto, body, (0, false))[14..].to_vec()
}

/// The IPv6 packet of [`ipv6`], without its Ethernet header.
pub fn ipv6_bytes(next: u8, body: &[u8]) -> Vec<u8> {
    ipv6(next, body)[14..].to_vec()
}

/// Destination unreachable, port unreachable (ICMP type 3 code 3, or ICMPv6 type 1 code 4)
/// quoting `quoted`; the ICMP checksum filled in, the ICMPv6 one left zero.
pub fn icmp_error(v6: bool, quoted: &[u8]) -> Vec<u8> {
    let mut m = if v6 {
        vec![1, 4, 0, 0, 0, 0, 0, 0]
    } else {
        vec![3, 3, 0, 0, 0, 0, 0, 0]
    };
    m.extend_from_slice(quoted);
    if !v6 {
        let sum = internet_checksum(&m);
        m[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    m
}

/// Linux cooked (v1) frames, as `-i any` captures them: an IPv4 UDP datagram from the
/// loopback interface, then one sent out of an Ethernet one.
pub fn cooked_packets() -> Vec<(Vec<u8>, u32)> {
    let ip = ipv4_bytes(17, &udp(b"cooked"));
    [(0u16, 772u16), (4, 1)]
        .iter()
        .map(|(packet_type, hatype)| {
            let mut f = packet_type.to_be_bytes().to_vec();
            f.extend_from_slice(&hatype.to_be_bytes());
            f.extend_from_slice(&[0, 6, 2, 0, 0, 0, 0, 1, 0, 0, 0x08, 0x00]);
            f.extend_from_slice(&ip);
            whole(f)
        })
        .collect()
}

fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1];
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// A TCP header (20 bytes, ACK|PSH, checksum left zero) and payload.
pub fn tcp(payload: &[u8]) -> Vec<u8> {
    let mut t = vec![
        0x04, 0xd2, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x18, 0xff, 0xff,
    ];
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// A TCP header with options (MSS 1460, two NOPs, timestamps: 40 bytes, SYN) and payload.
pub fn tcp_with_options(payload: &[u8]) -> Vec<u8> {
    let mut t = vec![
        0x04, 0xd2, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x90, 0x02, 0xff, 0xff,
    ];
    t.extend_from_slice(&[0, 0, 0, 0]);
    t.extend_from_slice(&[2, 4, 0x05, 0xb4, 1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 0]);
    t.extend_from_slice(payload);
    t
}

/// A UDP header to port 50000, which no tshark dissector claims (checksum zero: none sent),
/// and payload.
pub fn udp(payload: &[u8]) -> Vec<u8> {
    let mut u = vec![0x04, 0xd2, 0xc3, 0x50];
    u.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    u.extend_from_slice(&[0, 0]);
    u.extend_from_slice(payload);
    u
}

/// An ICMP (or ICMPv6, `v6`) echo request with checksum filled in (for ICMPv6 left zero).
pub fn echo(v6: bool, data: &[u8]) -> Vec<u8> {
    let mut m = vec![if v6 { 128 } else { 8 }, 0, 0, 0, 0x43, 0x21, 0, 7];
    m.extend_from_slice(data);
    if !v6 {
        let sum = internet_checksum(&m);
        m[2..4].copy_from_slice(&sum.to_be_bytes());
    }
    m
}

pub fn internet_checksum(bytes: &[u8]) -> u16 {
    let mut sum: u32 = bytes
        .chunks(2)
        .map(|c| u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)])))
        .sum();
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// `frame` as captured with only its first `keep` bytes.
pub fn cut(frame: Vec<u8>, keep: usize) -> (Vec<u8>, u32) {
    let len = frame.len() as u32;
    (frame[..keep.min(frame.len())].to_vec(), len)
}

/// `frame` captured whole.
pub fn whole(frame: Vec<u8>) -> (Vec<u8>, u32) {
    let len = frame.len() as u32;
    (frame, len)
}

/// Hand-made IP packets, whole and cut: TCP, UDP and ICMP over IPv4 and IPv6, and IPv4
/// fragments (the second at offset 185 × 8 bytes).
pub fn ip_packets() -> Vec<(Vec<u8>, u32)> {
    let data = b"hello world, some payload bytes here";
    vec![
        whole(ipv4(6, &tcp(data), (0, false))),
        cut(ipv4(6, &tcp(data), (0, false)), 14 + 20 + 20 + 5),
        cut(ipv4(6, &tcp(data), (0, false)), 14 + 20 + 10),
        whole(ipv4(17, &udp(data), (0, false))),
        cut(ipv4(17, &udp(data), (0, false)), 14 + 20 + 8 + 3),
        whole(ipv4(1, &echo(false, data), (0, false))),
        cut(ipv4(1, &echo(false, data), (0, false)), 14 + 20 + 8 + 4),
        whole(ipv4(17, &udp(&[0x11; 40]), (0, true))),
        whole(ipv4(17, &[0x22; 40], (185, true))),
        whole(ipv4(17, &[0x33; 16], (190, false))),
        cut(ipv4(17, &[0x44; 40], (185, true)), 14 + 20 + 6),
        whole(ipv6(6, &tcp(data))),
        cut(ipv6(6, &tcp(data)), 14 + 40 + 20 + 7),
        whole(ipv6(17, &udp(data))),
        cut(ipv6(17, &udp(data)), 14 + 40 + 8 + 1),
        whole(ipv6(58, &echo(true, data))),
        whole(ipv4(6, &tcp_with_options(&[]), (0, false))),
        whole(ipv4_with_options(17, &[1, 1, 1, 0], &udp(data), (0, false))),
        // A hop-by-hop options header (PadN) before UDP.
        whole(ipv6(
            0,
            &[&[17, 0, 1, 4, 0, 0, 0, 0][..], &udp(data)].concat(),
        )),
        // ICMP errors quoting the datagram that caused them.
        whole(ipv4(
            1,
            &icmp_error(false, &ipv4_bytes(17, &udp(b"x\n"))),
            (0, false),
        )),
        whole(ipv6(58, &icmp_error(true, &ipv6_bytes(17, &udp(b"x\n"))))),
        // Fragment headers: the first fragment (more to come), then one at 185 × 8 bytes.
        whole(ipv6(
            44,
            &[&[17, 0, 0, 1, 0xca, 0xfe, 0, 1][..], &udp(data)].concat(),
        )),
        whole(ipv6(
            44,
            &[&[17, 0, 0x05, 0xc8, 0xca, 0xfe, 0, 1][..], &[0x55; 24]].concat(),
        )),
    ]
}
