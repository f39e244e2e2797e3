//! The reader and writer together, on captures tcpdump and editcap made and on damaged copies.

use super::pcapng::{NG_BYTE_ORDER, NG_EPB, NG_IDB, NG_SHB, NG_SPB};
use super::*;

static LO_MIXED: &[u8] = include_bytes!("../../tests/data/lo-mixed.pcap");
static SLL2: &[u8] = include_bytes!("../../tests/data/any-sll2-udp.pcap");

/// One record, owned: timestamp, link type, bytes, original length.
type Owned = (Timestamp, LinkType, Vec<u8>, u32);

fn all(bytes: &[u8]) -> (Vec<Owned>, Option<PcapError>) {
    let mut r = match Reader::new(bytes) {
        Ok(r) => r,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut out = Vec::new();
    loop {
        match r.next_packet() {
            Ok(Some(p)) => out.push((p.ts, p.link, p.data.to_vec(), p.orig_len)),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

#[test]
fn reads_tcpdump_file() {
    let (pkts, err) = all(LO_MIXED);
    assert!(err.is_none());
    assert_eq!(pkts.len(), 19);
    assert!(pkts.iter().all(|p| p.1 == LinkType::Ethernet));
    assert_eq!(pkts[0].2.len(), 74);
    assert_eq!(pkts[0].3, 74);
    let (pkts, _) = all(SLL2);
    assert_eq!(pkts[0].1, LinkType::LinuxSll2);
}

#[test]
fn cut_file_yields_complete_packets_then_error() {
    // Every cut point: the packets wholly before it come out, then exactly one error
    // (or none when the cut falls on a record boundary).
    let (full, _) = all(LO_MIXED);
    let mut boundaries = vec![24usize];
    for p in &full {
        boundaries.push(boundaries.last().unwrap() + 16 + p.2.len());
    }
    for cut in 0..LO_MIXED.len() {
        let (pkts, err) = all(&LO_MIXED[..cut]);
        let complete = boundaries.iter().skip(1).filter(|&&b| b <= cut).count();
        assert_eq!(pkts.len(), complete, "cut at {cut}");
        assert_eq!(pkts[..], full[..complete]);
        let on_boundary = boundaries.contains(&cut);
        assert_eq!(err.is_none(), on_boundary, "cut at {cut}: {err:?}");
        if let Some(PcapError::Truncated { offset, .. }) = err {
            if cut >= 24 {
                assert_eq!(offset as usize, boundaries[complete]);
            }
        }
    }
}

#[test]
fn write_then_read_both_resolutions_and_byte_orders() {
    let (full, _) = all(LO_MIXED);
    for nanos in [false, true] {
        let mut w = Writer::new(Vec::new(), LinkType::Ethernet, 65535, nanos).unwrap();
        for p in &full {
            w.write_packet(p.0, &p.2, p.3).unwrap();
        }
        let bytes = w.into_inner().unwrap();
        let (back, err) = all(&bytes);
        assert!(err.is_none());
        assert_eq!(back, full);
        // The same file in big-endian order must read the same.
        let mut be = bytes.clone();
        swap_pcap(&mut be);
        assert_eq!(all(&be).0, full);
    }
}

fn swap_pcap(b: &mut [u8]) {
    for (at, w) in [(0, 4), (4, 2), (6, 2), (8, 4), (12, 4), (16, 4), (20, 4)] {
        b[at..at + w].reverse();
    }
    let mut pos = 24;
    while pos + 16 <= b.len() {
        let incl = u32::from_le_bytes([b[pos + 8], b[pos + 9], b[pos + 10], b[pos + 11]]) as usize;
        for k in 0..4 {
            b[pos + 4 * k..pos + 4 * k + 4].reverse();
        }
        pos += 16 + incl;
    }
}

#[test]
fn snaplen_cut_on_write() {
    let mut w = Writer::new(Vec::new(), LinkType::Raw, 10, false).unwrap();
    w.write_packet(
        Timestamp {
            secs: 1,
            nanos: 2_000,
        },
        &[7u8; 30],
        30,
    )
    .unwrap();
    let bytes = w.into_inner().unwrap();
    let (p, _) = all(&bytes);
    assert_eq!(
        p[0],
        (
            Timestamp {
                secs: 1,
                nanos: 2_000
            },
            LinkType::Raw,
            vec![7u8; 10],
            30
        )
    );
}

/// Builds a pcapng file by hand following the pcapng draft (section 4): SHB, two IDBs
/// (Ethernet µs, raw IP with if_tsresol 9 = ns), EPBs on both, an unknown block, an SPB.
pub(crate) fn sample_pcapng(big: bool) -> Vec<u8> {
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let block = |t: u32, body: &[u8]| {
        let mut body = body.to_vec();
        while body.len() % 4 != 0 {
            body.push(0);
        }
        let total = (12 + body.len()) as u32;
        let mut b = Vec::new();
        b.extend_from_slice(&u32b(t));
        b.extend_from_slice(&u32b(total));
        b.extend_from_slice(&body);
        b.extend_from_slice(&u32b(total));
        b
    };
    let mut f = Vec::new();
    let mut shb = Vec::new();
    shb.extend_from_slice(&u32b(NG_BYTE_ORDER));
    shb.extend_from_slice(&u16b(1));
    shb.extend_from_slice(&u16b(0));
    shb.extend_from_slice(&[0xff; 8]);
    f.extend(block(NG_SHB, &shb));
    let mut idb0 = Vec::new();
    idb0.extend_from_slice(&u16b(1));
    idb0.extend_from_slice(&u16b(0));
    idb0.extend_from_slice(&u32b(262_144));
    f.extend(block(NG_IDB, &idb0));
    let mut idb1 = Vec::new();
    idb1.extend_from_slice(&u16b(101));
    idb1.extend_from_slice(&u16b(0));
    idb1.extend_from_slice(&u32b(0));
    idb1.extend_from_slice(&u16b(9));
    idb1.extend_from_slice(&u16b(1));
    idb1.extend_from_slice(&[9, 0, 0, 0]);
    idb1.extend_from_slice(&[0, 0, 0, 0]);
    f.extend(block(NG_IDB, &idb1));
    let epb = |iface: u32, units: u64, data: &[u8]| {
        let mut e = Vec::new();
        e.extend_from_slice(&u32b(iface));
        e.extend_from_slice(&u32b((units >> 32) as u32));
        e.extend_from_slice(&u32b(units as u32));
        e.extend_from_slice(&u32b(data.len() as u32));
        e.extend_from_slice(&u32b(data.len() as u32 + 1));
        e.extend_from_slice(data);
        block(NG_EPB, &e)
    };
    f.extend(epb(0, 1_700_000_000_123_456, &[1, 2, 3, 4, 5]));
    f.extend(block(0x0000_0bad, &[1, 2, 3, 4]));
    f.extend(epb(1, 1_700_000_000_123_456_789, &[0x45; 20]));
    let mut spb = Vec::new();
    spb.extend_from_slice(&u32b(3));
    spb.extend_from_slice(&[9, 9, 9]);
    f.extend(block(NG_SPB, &spb));
    f
}

#[test]
fn pcapng_both_byte_orders() {
    for big in [false, true] {
        let f = sample_pcapng(big);
        let (p, err) = all(&f);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[0],
            (
                Timestamp {
                    secs: 1_700_000_000,
                    nanos: 123_456_000
                },
                LinkType::Ethernet,
                vec![1, 2, 3, 4, 5],
                6
            )
        );
        assert_eq!(
            p[1],
            (
                Timestamp {
                    secs: 1_700_000_000,
                    nanos: 123_456_789
                },
                LinkType::Raw,
                vec![0x45; 20],
                21
            )
        );
        assert_eq!(
            (p[2].1, &p[2].2[..], p[2].3),
            (LinkType::Ethernet, &[9u8, 9, 9][..], 3)
        );
        // Cut anywhere: complete packets, then one error unless on a block boundary.
        for cut in 0..f.len() {
            let (q, _) = all(&f[..cut]);
            assert_eq!(q[..], p[..q.len()]);
        }
    }
}

// `editcap -F pcapng lo-ping.pcap lo-ping.pcapng` (Wireshark 4.0): a real writer's SHB,
// IDB and EPBs, with options, for the same four packets.
#[test]
fn pcapng_from_editcap_matches_pcap() {
    let ng = all(include_bytes!("../../tests/data/lo-ping.pcapng"));
    let classic = all(include_bytes!("../../tests/data/lo-ping.pcap"));
    assert!(ng.1.is_none() && classic.1.is_none());
    assert_eq!(ng.0.len(), 4);
    assert_eq!(ng.0, classic.0);
}

#[test]
fn pcapng_sections_switch_byte_order() {
    let mut f = sample_pcapng(false);
    f.extend(sample_pcapng(true));
    let (p, err) = all(&f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(p.len(), 6);
    assert_eq!(p[4].1, LinkType::Raw);
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    assert!(matches!(
        Reader::new(&b"hello world, not a capture"[..]),
        Err(PcapError::BadMagic(_))
    ));
    let mut f = LO_MIXED[..40].to_vec();
    f[32..36].copy_from_slice(&u32::MAX.to_le_bytes());
    let (_, err) = all(&f);
    assert!(matches!(err, Some(PcapError::Malformed { offset: 24, .. })));
}

/// Reads a little-endian u32 of the sample file, to check where its blocks are.
fn le32(f: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(f[at..at + 4].try_into().unwrap())
}

#[test]
fn pcapng_link_type_is_known_when_opened() {
    // The sample with its first interface made Linux cooked, and a block before it.
    let mut f = sample_pcapng(false);
    assert_eq!(le32(&f, 28), NG_IDB);
    f[36..38].copy_from_slice(&113u16.to_le_bytes());
    let unknown: Vec<u8> = [0x0bad, 16, 0x0403_0201, 16u32]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    f.splice(28..28, unknown);
    let r = Reader::new(&f[..]).unwrap();
    assert_eq!(r.link_type(), Some(LinkType::LinuxSll));
    let (p, err) = all(&f);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(p.len(), 3);
    assert_eq!(p[0].1, LinkType::LinuxSll);
}

#[test]
fn pcapng_packet_before_any_interface_is_an_error_when_opened() {
    // The sample without its two interface descriptions: the section header, then a packet.
    let mut f = sample_pcapng(false);
    assert_eq!(
        (le32(&f, 28), le32(&f, 48), le32(&f, 80)),
        (NG_IDB, NG_IDB, NG_EPB)
    );
    f.drain(28..80);
    assert!(matches!(
        Reader::new(&f[..]),
        Err(PcapError::Malformed { offset: 28, .. })
    ));
    // A section header alone is a file with no packets and no link type.
    let r = Reader::new(&f[..28]).unwrap();
    assert_eq!(r.link_type(), None);
}

#[test]
fn reader_tells_the_writers_byte_order() {
    let mut w = Writer::new(Vec::new(), LinkType::Null, 65535, false).unwrap();
    w.write_packet(Timestamp { secs: 1, nanos: 0 }, &[2, 0, 0, 0, 0x45], 5)
        .unwrap();
    let little = w.into_inner().unwrap();
    let mut big = little.clone();
    swap_pcap(&mut big);
    for (bytes, want) in [(&little, false), (&big, true)] {
        let r = Reader::new(&bytes[..]).unwrap();
        assert_eq!(r.big_endian(), want);
    }
    for big in [false, true] {
        let ng = sample_pcapng(big);
        assert_eq!(Reader::new(&ng[..]).unwrap().big_endian(), big);
    }
}
