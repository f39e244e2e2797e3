//! Codec throughput: decoding (header parse, bounds checks, copy, unmask) and unmasking alone.
//! Criterion reports bytes per second; the bench names carry the payload size.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::hint::black_box;
use websocket::mask::{apply_mask, apply_mask_simple};
use websocket::{encode_frame, Decoder, DecoderConfig, FrameHeader, OpCode, Utf8Validator};

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

fn decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("decode_masked");
    for (payload_len, frames) in [(64usize, 1024usize), (16 * 1024, 64), (1 << 20, 1)] {
        let stream = masked_stream(payload_len, frames);
        group.throughput(Throughput::Bytes(stream.len() as u64));
        group.bench_with_input(
            BenchmarkId::from_parameter(format!("{payload_len}B")),
            &stream,
            |b, stream| {
                b.iter(|| {
                    let mut decoder = Decoder::new(DecoderConfig::server());
                    let mut input = &stream[..];
                    let mut n = 0;
                    while let Some(frame) = decoder.decode(&mut input).unwrap() {
                        n += frame.payload.len();
                    }
                    black_box(n)
                })
            },
        );
    }
    group.finish();
}

fn unmask(c: &mut Criterion) {
    let mut group = c.benchmark_group("unmask");
    let mut buf = vec![0x5au8; 1 << 20];
    group.throughput(Throughput::Bytes(buf.len() as u64));
    group.bench_function("word_1MiB", |b| {
        b.iter(|| apply_mask(black_box(&mut buf), [1, 2, 3, 4], 0))
    });
    group.bench_function("bytewise_1MiB", |b| {
        b.iter(|| apply_mask_simple(black_box(&mut buf), [1, 2, 3, 4], 0))
    });
    group.finish();
}

fn utf8(c: &mut Criterion) {
    let text = "ws-chat κόσμε 😀 ".repeat(40_000);
    let bytes = text.as_bytes();
    let mut group = c.benchmark_group("utf8_incremental");
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("1000B_fragments", |b| {
        b.iter(|| {
            let mut v = Utf8Validator::new();
            for piece in bytes.chunks(1000) {
                v.feed(piece).unwrap();
            }
            v.finish().unwrap();
        })
    });
    group.finish();
}

criterion_group!(benches, decode, unmask, utf8);
criterion_main!(benches);
