//! The websocket crate's receive path beside tungstenite's on the same bytes: a server reading
//! masked binary frames from memory and producing messages (parse, checks, copy, unmask).
//! Built only with `--features baselines`:
//! `cargo bench -p ws-chat --features baselines --bench codec_vs_tungstenite`

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

criterion_group!(benches, receive);
criterion_main!(benches);
