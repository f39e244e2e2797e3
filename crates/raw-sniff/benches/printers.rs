//! What showing a packet costs, apart from capturing and decoding it: each printer (line,
//! verbose, explain, JSON) over every packet of the capture files in `crates/wire/tests/data/`,
//! decoded once before timing and printed to `io::sink()`; and the WebSocket tracker over a
//! WebSocket conversation built here (handshake, then masked client and unmasked server text
//! frames, one per segment), since no stored capture holds one.
//!
//! Run: `cargo bench -p raw-sniff --bench printers`. Throughput is packets per second; the time
//! per iteration divided by the packet count in each row's name is the cost per packet.

use std::hint::black_box;
use std::io;
use std::net::Ipv4Addr;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use raw_sniff::capture::{CapturedFrame, Timestamp};
use raw_sniff::output::explain::ExplainPrinter;
use raw_sniff::output::json::JsonPrinter;
use raw_sniff::output::line::LinePrinter;
use raw_sniff::output::verbose::VerbosePrinter;
use raw_sniff::output::{PacketNumber, Printer, Style};
use raw_sniff::ws::{Tracker, WsConfig, WsEvent, DEFAULT_MAX_FRAME};
use websocket::{encode_frame, FrameHeader, OpCode};
use wire::tcp::Flags;
use wire::LinkType;

/// A captured frame, owned, so decoded views can borrow it for the whole run.
struct Captured {
    ts: Timestamp,
    link: LinkType,
    data: Vec<u8>,
    orig_len: u32,
}

impl Captured {
    fn frame(&self) -> CapturedFrame<'_> {
        CapturedFrame {
            ts: self.ts,
            link: self.link,
            data: &self.data,
            orig_len: self.orig_len,
            csum_not_ready: false,
        }
    }
}

/// Every packet of every capture in wire's test data.
fn test_data() -> Vec<Captured> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../wire/tests/data");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    paths.sort();
    let mut all = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        let mut r = wire::pcap::Reader::new(&bytes[..]).unwrap();
        while let Some(p) = r.next_packet().unwrap() {
            all.push(Captured {
                ts: p.ts,
                link: p.link,
                data: p.data.to_vec(),
                orig_len: p.orig_len,
            });
        }
    }
    all
}

fn printers(c: &mut Criterion) {
    let packets = test_data();
    let frames: Vec<CapturedFrame<'_>> = packets.iter().map(Captured::frame).collect();
    let decoded: Vec<_> = frames
        .iter()
        .map(|f| wire::decode(f.link, f.data))
        .collect();
    let n = frames.len();
    let mut g = c.benchmark_group("print");
    g.throughput(Throughput::Elements(n as u64));
    let style = Style::new(false);
    let mut run = |name: &str, printer: &mut dyn Printer| {
        g.bench_function(format!("{name}_{n}_packets"), |b| {
            b.iter(|| {
                for (i, (frame, d)) in frames.iter().zip(&decoded).enumerate() {
                    printer
                        .packet(PacketNumber::unfiltered(i as u64 + 1), frame, d)
                        .unwrap();
                }
                printer.flush().unwrap();
            })
        });
    };
    run("line", &mut LinePrinter::new(io::sink(), style));
    run("verbose", &mut VerbosePrinter::new(io::sink(), style));
    run("explain", &mut ExplainPrinter::new(io::sink(), style));
    run("json", &mut JsonPrinter::new(io::sink()));
    g.finish();
}

const CLIENT: (Ipv4Addr, u16) = (Ipv4Addr::new(127, 0, 0, 1), 40_000);
const SERVER: (Ipv4Addr, u16) = (Ipv4Addr::new(127, 0, 0, 1), 9_001);
const CLIENT_ISN: u32 = 1_000;
const SERVER_ISN: u32 = 5_000_000;
/// Data frames each way.
const FRAMES: usize = 500;
/// Payload bytes of each.
const PAYLOAD: usize = 100;

/// Hand-made: the opening handshake of RFC 6455 §1.3, with its key and accept value.
const REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
const RESPONSE: &str = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";

/// An Ethernet/IPv4/TCP frame of the conversation.
fn packet(from_client: bool, seq: u32, ack: u32, flags: Flags, payload: &[u8]) -> Vec<u8> {
    let (src, dst) = if from_client {
        (CLIENT, SERVER)
    } else {
        (SERVER, CLIENT)
    };
    test_support::frames::ethernet_ipv4_tcp(src, dst, seq, ack, flags, payload)
}

/// The handshake, then `FRAMES` text frames each way, alternating, one per segment.
fn ws_conversation() -> Vec<Vec<u8>> {
    let psh = Flags(Flags::ACK.0 | Flags::PSH.0);
    let mut c_seq = CLIENT_ISN + 1;
    let mut s_seq = SERVER_ISN + 1;
    let mut packets = vec![
        packet(true, CLIENT_ISN, 0, Flags::SYN, &[]),
        packet(
            false,
            SERVER_ISN,
            c_seq,
            Flags(Flags::SYN.0 | Flags::ACK.0),
            &[],
        ),
        packet(true, c_seq, s_seq, Flags::ACK, &[]),
        packet(true, c_seq, s_seq, psh, REQUEST.as_bytes()),
    ];
    c_seq += REQUEST.len() as u32;
    packets.push(packet(false, s_seq, c_seq, psh, RESPONSE.as_bytes()));
    s_seq += RESPONSE.len() as u32;
    let text: Vec<u8> = (0..PAYLOAD).map(|i| b'a' + (i % 26) as u8).collect();
    for i in 0..FRAMES {
        let mut h = FrameHeader::new(OpCode::Text, text.len() as u64);
        h.mask = Some((i as u32).to_be_bytes());
        let mut bytes = Vec::new();
        encode_frame(&mut bytes, &h, &text);
        packets.push(packet(true, c_seq, s_seq, psh, &bytes));
        c_seq += bytes.len() as u32;

        let h = FrameHeader::new(OpCode::Text, text.len() as u64);
        let mut bytes = Vec::new();
        encode_frame(&mut bytes, &h, &text);
        packets.push(packet(false, s_seq, c_seq, psh, &bytes));
        s_seq += bytes.len() as u32;
    }
    packets
}

fn ws_tracker(c: &mut Criterion) {
    let packets = ws_conversation();
    let decoded: Vec<_> = packets
        .iter()
        .map(|p| wire::decode(LinkType::Ethernet, p))
        .collect();
    let n = decoded.len();
    // The conversation must be seen as WebSocket, or the rows would time the tracker giving up.
    let mut tracker = Tracker::new(WsConfig::default());
    let mut events = Vec::new();
    for d in &decoded {
        tracker.packet(Duration::ZERO, d, &mut events);
    }
    let frames = events
        .iter()
        .filter(|e| matches!(e, WsEvent::Frame { .. }))
        .count();
    assert_eq!(frames, 2 * FRAMES);
    let mut g = c.benchmark_group("ws_tracker");
    g.throughput(Throughput::Elements(n as u64));
    for (name, messages) in [("frames", false), ("messages", true)] {
        g.bench_function(format!("{name}_{n}_packets"), |b| {
            b.iter_batched_ref(
                || {
                    Tracker::new(WsConfig {
                        ports: Vec::new(),
                        max_frame: DEFAULT_MAX_FRAME,
                        messages,
                        ..WsConfig::default()
                    })
                },
                |tracker| {
                    let mut events = Vec::new();
                    for (i, d) in decoded.iter().enumerate() {
                        tracker.packet(Duration::from_micros(i as u64), d, &mut events);
                        events.clear();
                    }
                    tracker.finish(&mut events);
                    black_box(events.len())
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, printers, ws_tracker);
criterion_main!(benches);
