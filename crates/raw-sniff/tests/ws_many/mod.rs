//! A busy WebSocket server's capture, built here: N clients each open a TCP connection
//! (SYN, SYN-ACK, ACK), upgrade it (an HTTP Upgrade request with its own key, answered by
//! `101 Switching Protocols` with the matching Sec-WebSocket-Accept), send one masked text
//! frame and get one server frame, and never close. Every step is taken by all clients before
//! the next begins, so all N connections are open at once.
#![allow(dead_code)]

use std::io::BufWriter;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use websocket::handshake::accept_key;
use websocket::{encode_frame, FrameHeader, OpCode};
use wire::pcap::{Timestamp, Writer};
use wire::tcp::Flags;
use wire::LinkType;

pub const SERVER: (Ipv4Addr, u16) = (Ipv4Addr::new(10, 255, 0, 1), 8080);
const CLIENT_ISN: u32 = 1_000;
const SERVER_ISN: u32 = 7_000_000;

/// Packets per connection.
pub const STEPS: u32 = 7;

/// Client `n`'s address: one host per client, so no two connections share a key.
pub fn client(n: u32) -> (Ipv4Addr, u16) {
    (
        Ipv4Addr::from(0x0a00_0000 + n),
        40_000 + (n % 20_000) as u16,
    )
}

/// Client `n`'s Sec-WebSocket-Key: 16 bytes in base64 (22 characters and `==`), its own.
fn key(n: u32) -> String {
    format!("c2NhbGUtdGVzd{n:09}==")
}

fn request(n: u32) -> Vec<u8> {
    format!(
        "GET /feed HTTP/1.1\r\nHost: 10.255.0.1:8080\r\nUpgrade: websocket\r\n\
         Connection: Upgrade\r\nSec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
        key(n)
    )
    .into_bytes()
}

fn response(n: u32) -> Vec<u8> {
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {}\r\n\r\n",
        accept_key(&key(n))
    )
    .into_bytes()
}

/// The masked text frame client `n` sends.
fn client_frame(n: u32) -> Vec<u8> {
    let text = format!("hello from {n}");
    let mut h = FrameHeader::new(OpCode::Text, text.len() as u64);
    h.mask = Some((n ^ 0x5a5a_5a5a).to_be_bytes());
    let mut out = Vec::new();
    encode_frame(&mut out, &h, text.as_bytes());
    out
}

/// The unmasked text frame the server answers with.
fn server_frame(n: u32) -> Vec<u8> {
    let text = format!("welcome {n}");
    let mut out = Vec::new();
    encode_frame(
        &mut out,
        &FrameHeader::new(OpCode::Text, text.len() as u64),
        text.as_bytes(),
    );
    out
}

/// Step `step` (0..STEPS) of connection `n`, as an Ethernet frame.
pub fn packet(n: u32, step: u32) -> Vec<u8> {
    let c = client(n);
    let (req, resp) = (request(n).len() as u32, response(n).len() as u32);
    let cf = client_frame(n).len() as u32;
    let (c1, s1) = (CLIENT_ISN + 1, SERVER_ISN + 1);
    let ack = Flags::ACK;
    let push = Flags(Flags::ACK.0 | Flags::PSH.0);
    let tcp = test_support::frames::ethernet_ipv4_tcp;
    match step {
        0 => tcp(c, SERVER, CLIENT_ISN, 0, Flags::SYN, &[]),
        1 => tcp(
            SERVER,
            c,
            SERVER_ISN,
            c1,
            Flags(Flags::SYN.0 | Flags::ACK.0),
            &[],
        ),
        2 => tcp(c, SERVER, c1, s1, ack, &[]),
        3 => tcp(c, SERVER, c1, s1, push, &request(n)),
        4 => tcp(SERVER, c, s1, c1 + req, push, &response(n)),
        5 => tcp(c, SERVER, c1 + req, s1 + resp, push, &client_frame(n)),
        6 => tcp(SERVER, c, s1 + resp, c1 + req + cf, push, &server_frame(n)),
        _ => unreachable!("a connection has {STEPS} packets"),
    }
}

/// Every packet of `conns` connections, step by step across all of them, with its timestamp.
pub fn for_each_packet(conns: u32, mut f: impl FnMut(Timestamp, Vec<u8>)) {
    let mut i: u64 = 0;
    for step in 0..STEPS {
        for n in 0..conns {
            let ts = Timestamp {
                secs: 1_700_000_000 + i / 1_000_000,
                nanos: (i % 1_000_000) as u32 * 1000,
            };
            i += 1;
            f(ts, packet(n, step));
        }
    }
}

/// Writes the capture of `conns` connections to a file of its own and returns its path.
pub fn write_capture(conns: u32, name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raw-sniff-ws-many-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    write_to(&path, conns);
    path
}

fn write_to(path: &Path, conns: u32) {
    let file = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut w = Writer::new(file, LinkType::Ethernet, 65_535, false).unwrap();
    for_each_packet(conns, |ts, p| {
        w.write_packet(ts, &p, p.len() as u32).unwrap()
    });
    w.flush().unwrap();
}
