//! Reading a pcap of one million packets and decoding every one: packets per second,
//! including file reads, with the file handed to the reader as it is (`wire`, the reader
//! reading blocks of its own, as raw-sniff -r does) and through a `BufReader` (`bufreader`). The file is written once into Cargo's
//! target temp directory from the frames of `tests/data/lo-mixed.pcap` (TCP over IPv4 and
//! IPv6, UDP, ICMP), repeated.
//!
//! Run: `cargo bench -p wire --bench pcap_read`.

use std::fs::File;
use std::hint::black_box;
use std::io::{BufReader, BufWriter};
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use wire::pcap::{Reader, Timestamp, Writer};
use wire::{decode, LinkType};

const PACKETS: u64 = 1_000_000;

fn make_file() -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wire-bench-1m.pcap");
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/lo-mixed.pcap"
    ))
    .unwrap();
    let mut r = Reader::new(&bytes[..]).unwrap();
    let mut frames = Vec::new();
    while let Some(p) = r.next_packet().unwrap() {
        frames.push(p.data.to_vec());
    }
    let mut w = Writer::new(
        BufWriter::new(File::create(&path).unwrap()),
        LinkType::Ethernet,
        262_144,
        false,
    )
    .unwrap();
    for i in 0..PACKETS {
        let f = &frames[(i % frames.len() as u64) as usize];
        let ts = Timestamp {
            secs: 1_700_000_000 + i / 100_000,
            nanos: ((i % 100_000) * 10_000) as u32,
        };
        w.write_packet(ts, f, f.len() as u32).unwrap();
    }
    w.into_inner().unwrap();
    path
}

fn read_all(path: &PathBuf, buffered: bool) -> u64 {
    if buffered {
        let file = BufReader::with_capacity(1 << 16, File::open(path).unwrap());
        read_from(Reader::new(file).unwrap())
    } else {
        read_from(Reader::new(File::open(path).unwrap()).unwrap())
    }
}

fn read_from<R: std::io::Read>(mut r: Reader<R>) -> u64 {
    let mut n = 0u64;
    let mut acc = 0u64;
    while let Some(p) = r.next_packet().unwrap() {
        let d = decode(p.link, p.data);
        if let Some((s, dport)) = d.ports() {
            acc = acc.wrapping_add(u64::from(s) ^ u64::from(dport));
        }
        n += 1;
    }
    assert_eq!(n, PACKETS);
    acc
}

fn bench(c: &mut Criterion) {
    let path = make_file();
    let mut g = c.benchmark_group("pcap_read_decode_1m");
    g.throughput(Throughput::Elements(PACKETS));
    g.sample_size(10);
    g.bench_function("wire", |b| b.iter(|| black_box(read_all(&path, false))));
    g.bench_function("bufreader", |b| b.iter(|| black_box(read_all(&path, true))));
    g.finish();
    let _ = std::fs::remove_file(&path);
}

criterion_group! {
    name = benches;
    config = Criterion::default().warm_up_time(std::time::Duration::from_secs(1)).measurement_time(std::time::Duration::from_secs(5));
    targets = bench
}
criterion_main!(benches);
