//! The websocket crate's receive path beside tungstenite's on the same bytes: a server reading
//! masked binary frames from memory and producing messages (parse, checks, copy, unmask).
//! `cargo bench -p ws-baselines --bench codec_vs_tungstenite`

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use std::io::Cursor;
use websocket::{encode_frame, Config, Connection, Event, FrameHeader, Message, OpCode, Role};

fn masked_stream(payload_len: usize, frames: usize) -> Vec<u8> {
    let payload: Vec<u8> = (0..payload_len).map(|i| (i % 251) as u8).collect();
    let mut out = Vec::new();
    for i in 0..frames {
        let mut header = FrameHeader::new(OpCode::Binary, payload_len as u64);
        header.mask = Some([0x37, 0xfa, 0x21, i as u8]);
        encode_frame(&mut out, &header, &payload);
    }
    out
}

fn receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("receive_masked_binary");
    for (payload_len, frames) in [(64usize, 1024usize), (16 * 1024, 64), (1 << 20, 4)] {
        let stream = masked_stream(payload_len, frames);
        group.throughput(Throughput::Bytes(stream.len() as u64));
        let label = format!("{payload_len}B");
        group.bench_with_input(
            BenchmarkId::new("websocket", &label),
            &stream,
            |b, stream| {
                b.iter_batched(
                    || stream.clone(),
                    |bytes| {
                        let mut conn = Connection::new(Config::new(Role::Server), 1);
                        let mut input = &bytes[..];
                        let mut n = 0;
                        while let Some(event) = conn.receive(&mut input).unwrap() {
                            if let Event::Message(Message::Binary(data)) = event {
                                n += data.len();
                            }
                        }
                        black_box(n)
                    },
                    BatchSize::LargeInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("tungstenite", &label),
            &stream,
            |b, stream| {
                b.iter_batched(
                    || stream.clone(),
                    |bytes| {
                        let config = tungstenite::protocol::WebSocketConfig::default()
                            .max_message_size(Some(16 << 20))
                            .max_frame_size(Some(16 << 20));
                        let mut ws = tungstenite::WebSocket::from_raw_socket(
                            Cursor::new(bytes),
                            tungstenite::protocol::Role::Server,
                            Some(config),
                        );
                        let mut n = 0;
                        for _ in 0..frames {
                            n += ws.read().unwrap().len();
                        }
                        black_box(n)
                    },
                    BatchSize::LargeInput,
                )
            },
        );
    }
    group.finish();
}

/// Encoding a masked 1 MiB frame, as a client sends it: header, copy, mask. tungstenite's
/// unmasking function is private, so masking is compared through each library's public encoder.
fn encode_masked(c: &mut Criterion) {
    let payload: &'static [u8] = Box::leak(
        (0..1usize << 20)
            .map(|i| (i % 251) as u8)
            .collect::<Vec<u8>>()
            .into_boxed_slice(),
    );
    let mut group = c.benchmark_group("encode_masked_binary");
    group.throughput(Throughput::Bytes(payload.len() as u64));
    let mut out = Vec::with_capacity(payload.len() + 14);
    group.bench_function("websocket/1048576B", |b| {
        b.iter(|| {
            out.clear();
            let mut header = FrameHeader::new(OpCode::Binary, 0);
            header.mask = Some([0x37, 0xfa, 0x21, 0x3d]);
            encode_frame(&mut out, &header, black_box(payload));
            black_box(out.len())
        })
    });
    group.bench_function("tungstenite/1048576B", |b| {
        b.iter(|| {
            out.clear();
            let header = tungstenite::protocol::frame::FrameHeader {
                opcode: tungstenite::protocol::frame::coding::OpCode::Data(
                    tungstenite::protocol::frame::coding::Data::Binary,
                ),
                mask: Some([0x37, 0xfa, 0x21, 0x3d]),
                ..Default::default()
            };
            let frame = tungstenite::protocol::frame::Frame::from_payload(
                header,
                tungstenite::Bytes::from_static(black_box(payload)),
            );
            frame.format(&mut out).unwrap();
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, receive, encode_masked);
criterion_main!(benches);
