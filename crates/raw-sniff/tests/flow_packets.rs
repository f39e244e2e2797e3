//! Hand-built TCP captures for the `--flow` and `--graph` tests (included with `#[path]`):
//! conversations segment by segment, so each thing a picture should show is in a known place.
//! Checksums are left zero: no picture reads them.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

pub const ACK: u8 = 0x10;
pub const PSH_ACK: u8 = 0x18;
pub const SYN: u8 = 0x02;
pub const SYN_ACK: u8 = 0x12;
pub const FIN_ACK: u8 = 0x11;
pub const RST_ACK: u8 = 0x14;

/// One TCP segment of a hand-built capture.
pub struct Seg {
    /// Microseconds after the capture's first second.
    pub at_us: u32,
    pub src: ([u8; 4], u16),
    pub dst: ([u8; 4], u16),
    pub seq: u32,
    pub ack: u32,
    pub flags: u8,
    pub win: u16,
    pub options: Vec<u8>,
    pub payload: Vec<u8>,
}

/// An IPv4 packet holding the segment (checksums left zero: the drawing reads none).
pub fn ipv4_tcp(s: &Seg) -> Vec<u8> {
    let mut options = s.options.clone();
    while options.len() % 4 != 0 {
        options.push(1); // NOP
    }
    let tcp_len = 20 + options.len();
    let total = 20 + tcp_len + s.payload.len();
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&s.src.0);
    p.extend_from_slice(&s.dst.0);
    p.extend_from_slice(&s.src.1.to_be_bytes());
    p.extend_from_slice(&s.dst.1.to_be_bytes());
    p.extend_from_slice(&s.seq.to_be_bytes());
    p.extend_from_slice(&s.ack.to_be_bytes());
    p.push(((tcp_len / 4) as u8) << 4);
    p.push(s.flags);
    p.extend_from_slice(&s.win.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0]);
    p.extend_from_slice(&options);
    p.extend_from_slice(&s.payload);
    p
}

/// A pcap file of raw IPv4 packets (link type 101) with microsecond timestamps.
pub fn pcap(segs: &[Seg]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&101u32.to_le_bytes());
    for s in segs {
        let data = ipv4_tcp(s);
        out.extend_from_slice(&(1_000_000 + s.at_us / 1_000_000).to_le_bytes());
        out.extend_from_slice(&(s.at_us % 1_000_000).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&data);
    }
    out
}

pub const MSS_1460: [u8; 4] = [2, 4, 0x05, 0xb4];

pub fn sack(left: u32, right: u32) -> Vec<u8> {
    let mut v = vec![1, 1, 5, 10];
    v.extend_from_slice(&left.to_be_bytes());
    v.extend_from_slice(&right.to_be_bytes());
    v
}

/// A segment from `from` to `to` (each an address and port).
#[allow(clippy::too_many_arguments)]
pub fn seg(
    at_us: u32,
    from: ([u8; 4], u16),
    to: ([u8; 4], u16),
    flags: u8,
    seq: u32,
    ack: u32,
    win: u16,
    payload: &[u8],
) -> Seg {
    Seg {
        at_us,
        src: from,
        dst: to,
        seq,
        ack,
        flags,
        win,
        options: Vec::new(),
        payload: payload.to_vec(),
    }
}

pub fn with_options(mut s: Seg, options: &[u8]) -> Seg {
    s.options = options.to_vec();
    s
}

pub const CLIENT: [u8; 4] = [10, 0, 0, 1];
pub const SERVER: [u8; 4] = [10, 0, 0, 2];

/// Stream 0, an echo with a lost segment: the handshake; "hello" and " world" from the client,
/// the server acknowledging nothing new but SACKing " world"; "hello" again; the server's
/// window shrinking as it acknowledges everything; the echo back; both FINs. Stream 1, a
/// connection refused, happens in between and ends first.
pub fn echo_and_refused() -> Vec<Seg> {
    let c = (CLIENT, 40000);
    let s = (SERVER, 7);
    let c2 = (CLIENT, 40001);
    let s2 = (SERVER, 9);
    vec![
        with_options(seg(0, c, s, SYN, 1000, 0, 65535, b""), &MSS_1460),
        with_options(
            seg(10_000, s, c, SYN_ACK, 5000, 1001, 65535, b""),
            &MSS_1460,
        ),
        seg(20_000, c, s, ACK, 1001, 5001, 65535, b""),
        seg(30_000, c, s, PSH_ACK, 1001, 5001, 65535, b"hello"),
        seg(31_000, c, s, PSH_ACK, 1006, 5001, 65535, b" world"),
        with_options(
            seg(40_000, s, c, ACK, 5001, 1001, 65535, b""),
            &sack(1006, 1012),
        ),
        seg(100_000, c2, s2, SYN, 7000, 0, 65535, b""),
        seg(100_500, s2, c2, RST_ACK, 0, 7001, 0, b""),
        seg(250_000, c, s, PSH_ACK, 1001, 5001, 65535, b"hello"),
        seg(260_000, s, c, ACK, 5001, 1012, 32768, b""),
        seg(270_000, s, c, PSH_ACK, 5001, 1012, 32768, b"hello world"),
        seg(280_000, c, s, ACK, 1012, 5012, 65535, b""),
        seg(290_000, c, s, FIN_ACK, 1012, 5012, 65535, b""),
        seg(300_000, s, c, FIN_ACK, 5012, 1013, 32768, b""),
        seg(310_000, c, s, ACK, 1013, 5013, 65535, b""),
    ]
}

/// A WebSocket conversation on port 8080: the Upgrade and its answer (RFC 6455 §1.3's key
/// and accept), a masked text frame "hi" from the client, the server's unmasked "hi!" back,
/// then a reset from the client.
pub fn websocket() -> Vec<Seg> {
    let c = (CLIENT, 40002);
    let s = (SERVER, 8080);
    let request = b"GET /chat HTTP/1.1\r\nHost: server\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
Sec-WebSocket-Version: 13\r\n\r\n";
    let response = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    let key = [1u8, 2, 3, 4];
    let mut masked = vec![0x81, 0x82];
    masked.extend_from_slice(&key);
    masked.extend(b"hi".iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
    let reply = [0x81, 0x03, b'h', b'i', b'!'];
    let rq = request.len() as u32;
    let rs = response.len() as u32;
    let m = masked.len() as u32;
    vec![
        seg(0, c, s, SYN, 100, 0, 64240, b""),
        seg(1_000, s, c, SYN_ACK, 900, 101, 65160, b""),
        seg(2_000, c, s, ACK, 101, 901, 64240, b""),
        seg(3_000, c, s, PSH_ACK, 101, 901, 64240, request),
        seg(4_000, s, c, PSH_ACK, 901, 101 + rq, 65160, response),
        seg(5_000, c, s, PSH_ACK, 101 + rq, 901 + rs, 64240, &masked),
        seg(6_000, s, c, PSH_ACK, 901 + rs, 101 + rq + m, 65160, &reply),
        seg(7_000, c, s, RST_ACK, 101 + rq + m, 906 + rs, 0, b""),
    ]
}

pub fn write_pcap(dir: &Path, name: &str, segs: &[Seg]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, pcap(segs)).unwrap();
    path
}

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raw-sniff-flow-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Several conversations interleaved, one of them reusing a finished one's ports.
pub fn several() -> Vec<Seg> {
    let mut all: Vec<Seg> = echo_and_refused();
    all.extend(websocket().into_iter().map(|mut s| {
        s.at_us += 35_000;
        s
    }));
    // The refused connection's ports again, after its reset: a new stream for tshark too.
    let c2 = (CLIENT, 40001);
    let s2 = (SERVER, 9);
    all.push(seg(400_000, c2, s2, SYN, 9000, 0, 65535, b""));
    all.push(seg(400_100, s2, c2, SYN_ACK, 3000, 9001, 65535, b""));
    all.push(seg(400_200, c2, s2, RST_ACK, 9001, 3001, 0, b""));
    all.sort_by_key(|s| s.at_us);
    all
}
