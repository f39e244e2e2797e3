//! raw-sniff's TCP lines against `tcpdump -n`'s (4.99), byte for byte: flag letters, relative
//! sequence and acknowledgement numbers as tcpdump's per-conversation table decides them, SACK
//! blocks, the urgent pointer, every option tcpdump names (MPTCP, Fast Open, MD5, ...) and its
//! markers for bad and cut options, and headers cut by the snap length at every byte.
//!
//! The captures are built here by hand, with correct checksums (raw-sniff notes a bad one,
//! tcpdump -n does not).

#[path = "tcpdump_lines.rs"]
mod lines;
#[path = "filter_packets.rs"]
mod packets;

use std::net::IpAddr;

use lines::{assert_same_lines, Capture};
use packets::{pcap_file, tcpdump_available};
use test_support::Rng;

/// Link type of the captures: raw IP, no link header.
const RAW: u32 = 101;

const FIN: u16 = 0x01;
const SYN: u16 = 0x02;
const RST: u16 = 0x04;
const PSH: u16 = 0x08;
const ACK: u16 = 0x10;
const URG: u16 = 0x20;
const ECE: u16 = 0x40;
const CWR: u16 = 0x80;
const NS: u16 = 0x100;

/// One TCP segment to build.
#[derive(Clone)]
struct Seg {
    src: IpAddr,
    dst: IpAddr,
    ports: (u16, u16),
    seq: u32,
    ack: u32,
    flags: u16,
    win: u16,
    urg: u16,
    options: Vec<u8>,
    data: Vec<u8>,
    /// Data offset in 32-bit words, when not the one the options give.
    offset: Option<u8>,
}

impl Seg {
    fn new(src: &str, sport: u16, dst: &str, dport: u16, flags: u16) -> Seg {
        Seg {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            ports: (sport, dport),
            seq: 0,
            ack: 0,
            flags,
            win: 512,
            urg: 0,
            options: Vec::new(),
            data: Vec::new(),
            offset: None,
        }
    }

    fn seq(mut self, seq: u32, ack: u32) -> Seg {
        self.seq = seq;
        self.ack = ack;
        self
    }

    fn options(mut self, options: &[u8]) -> Seg {
        self.options = options.to_vec();
        self
    }

    fn data(mut self, data: &[u8]) -> Seg {
        self.data = data.to_vec();
        self
    }

    /// The TCP header and data, checksum filled in over the pseudo-header.
    fn tcp(&self) -> Vec<u8> {
        let mut options = self.options.clone();
        while options.len() % 4 != 0 {
            options.push(0);
        }
        let words = self.offset.unwrap_or(((20 + options.len()) / 4) as u8);
        let mut t = Vec::new();
        t.extend_from_slice(&self.ports.0.to_be_bytes());
        t.extend_from_slice(&self.ports.1.to_be_bytes());
        t.extend_from_slice(&self.seq.to_be_bytes());
        t.extend_from_slice(&self.ack.to_be_bytes());
        t.extend_from_slice(&((u16::from(words) << 12) | self.flags).to_be_bytes());
        t.extend_from_slice(&self.win.to_be_bytes());
        t.extend_from_slice(&[0, 0]);
        t.extend_from_slice(&self.urg.to_be_bytes());
        t.extend_from_slice(&options);
        t.extend_from_slice(&self.data);
        let pseudo = match (self.src, self.dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                packets::word_sum(&s.octets()) + packets::word_sum(&d.octets()) + 6 + t.len() as u32
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                packets::word_sum(&s.octets()) + packets::word_sum(&d.octets()) + 6 + t.len() as u32
            }
            _ => panic!("mixed address families"),
        };
        let c = packets::internet_checksum(pseudo, &t);
        t[16..18].copy_from_slice(&c.to_be_bytes());
        t
    }

    /// The IP packet carrying it.
    fn packet(&self) -> Vec<u8> {
        ip(self.src, self.dst, &self.tcp())
    }
}

/// An IPv4 or IPv6 packet (by the addresses' family) with protocol TCP around `payload`.
fn ip(src: IpAddr, dst: IpAddr, payload: &[u8]) -> Vec<u8> {
    match (src, dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let mut h = vec![0x45, 0];
            h.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
            h.extend_from_slice(&[0x12, 0x34, 0x40, 0, 64, 6, 0, 0]);
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            let c = packets::internet_checksum(0, &h);
            h[10..12].copy_from_slice(&c.to_be_bytes());
            h.extend_from_slice(payload);
            h
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let mut h = vec![0x60, 0, 0, 0];
            h.extend_from_slice(&(payload.len() as u16).to_be_bytes());
            h.extend_from_slice(&[6, 64]);
            h.extend_from_slice(&s.octets());
            h.extend_from_slice(&d.octets());
            h.extend_from_slice(payload);
            h
        }
        _ => panic!("mixed address families"),
    }
}

/// Whole packets, each captured in full.
fn whole(segs: &[Seg]) -> Vec<(Vec<u8>, u32)> {
    segs.iter()
        .map(|s| {
            let p = s.packet();
            let n = p.len() as u32;
            (p, n)
        })
        .collect()
}

/// Compares both programs' lines on `packets` (raw IP), with no flags and with `-v`'s
/// summary lines left to other tests.
fn check(name: &str, packets: &[(Vec<u8>, u32)]) {
    let file = Capture::new(name, &pcap_file(RAW, packets));
    assert_same_lines(&file.path, &[], "America/New_York");
}

#[test]
fn every_flag_combination_in_tcpdumps_letters() {
    if !tcpdump_available() {
        return;
    }
    // All nine bits in every combination, with the urgent pointer set so `urg` shows with URG;
    // every third segment carries data, so `seq` shows with and without it.
    let segs: Vec<Seg> = (0..0x200u16)
        .map(|f| {
            let mut s =
                Seg::new("10.0.0.1", 40000, "10.0.0.2", 5001, f).seq(1000 + u32::from(f), 5000);
            s.urg = 0x1234;
            if f % 3 == 0 {
                s.data = b"abc".to_vec();
            }
            s
        })
        .collect();
    check("flags", &whole(&segs));
}

#[test]
fn flag_letters_spelled_out() {
    if !tcpdump_available() {
        return;
    }
    // The combinations seen in real captures, one conversation each so that every line is
    // absolute or relative as its own table entry says.
    let combos = [
        SYN | ECE | CWR,
        SYN | ACK | ECE,
        SYN | ACK | CWR,
        ACK | CWR,
        ACK | ECE,
        PSH | ACK | ECE | NS,
        ACK | NS,
        NS,
        0,
        SYN | PSH | URG | ECE | NS,
        FIN | SYN | RST | PSH | ACK | URG | ECE | CWR | NS,
    ];
    let segs: Vec<Seg> = combos
        .iter()
        .enumerate()
        .map(|(i, &f)| Seg::new("10.0.0.1", 40000 + i as u16, "10.0.0.2", 5001, f).seq(7, 9))
        .collect();
    check("flag-letters", &whole(&segs));
}

#[test]
fn relative_numbers_follow_tcpdumps_table() {
    if !tcpdump_available() {
        return;
    }
    let a = "192.0.2.1";
    let b = "192.0.2.2";
    let segs = vec![
        // A handshake, data both ways (the server's space wraps past 2^32), close.
        Seg::new(a, 40000, b, 5001, SYN).seq(1000, 0),
        Seg::new(b, 5001, a, 40000, SYN | ACK).seq(u32::MAX - 2, 1001),
        Seg::new(a, 40000, b, 5001, ACK).seq(1001, u32::MAX - 1),
        Seg::new(a, 40000, b, 5001, PSH | ACK)
            .seq(1001, u32::MAX - 1)
            .data(b"hello"),
        Seg::new(b, 5001, a, 40000, PSH | ACK)
            .seq(u32::MAX - 1, 1006)
            .data(b"world!"),
        Seg::new(a, 40000, b, 5001, FIN | ACK).seq(1006, 4),
        Seg::new(b, 5001, a, 40000, FIN | ACK).seq(4, 1007),
        Seg::new(a, 40000, b, 5001, ACK).seq(1007, 5),
        // A SYN whose SYN-ACK was not captured: the next ACK starts the conversation.
        Seg::new(a, 40001, b, 5001, SYN).seq(2000, 0),
        Seg::new(a, 40001, b, 5001, ACK).seq(2001, 9001),
        Seg::new(a, 40001, b, 5001, PSH | ACK)
            .seq(2001, 9001)
            .data(b"late"),
        // A bare RST, and a RST-ACK answering a conversation never seen.
        Seg::new(b, 5001, a, 40001, RST).seq(9001, 0),
        Seg::new(b, 5179, a, 43415, RST | ACK).seq(0, 4_276_964_400),
        // A SYN-ACK again on a known conversation starts it over.
        Seg::new(b, 5001, a, 40000, SYN | ACK).seq(77, 3001),
        Seg::new(a, 40000, b, 5001, ACK).seq(3001, 78),
        // Equal ports: the addresses order the conversation.
        Seg::new(b, 5000, a, 5000, ACK).seq(10, 20),
        Seg::new(a, 5000, b, 5000, ACK).seq(20, 15),
        Seg::new(b, 5000, a, 5000, PSH | ACK).seq(15, 25).data(b"x"),
        // IPv6, joined mid-stream.
        Seg::new("2001:db8::1", 5443, "2001:db8::2", 50000, PSH | ACK)
            .seq(123_456, 654_321)
            .data(b"abcdef"),
        Seg::new("2001:db8::2", 50000, "2001:db8::1", 5443, ACK).seq(654_321, 123_462),
    ];
    check("relative", &whole(&segs));
}

/// SACK option with `blocks`.
fn sack(blocks: &[(u32, u32)]) -> Vec<u8> {
    let mut o = vec![1, 1, 5, (2 + 8 * blocks.len()) as u8];
    for (l, r) in blocks {
        o.extend_from_slice(&l.to_be_bytes());
        o.extend_from_slice(&r.to_be_bytes());
    }
    o
}

#[test]
fn sack_blocks_relative_to_the_peers_base() {
    if !tcpdump_available() {
        return;
    }
    let a = "198.51.100.1";
    let b = "198.51.100.2";
    let segs = vec![
        Seg::new(a, 5022, b, 62146, SYN | ACK).seq(5000, 100),
        // From either side, one to four blocks.
        Seg::new(b, 62146, a, 5022, ACK)
            .seq(100, 5001)
            .options(&sack(&[(5282, 5283)])),
        Seg::new(a, 5022, b, 62146, ACK)
            .seq(5001, 100)
            .options(&sack(&[(150, 160), (170, 180)])),
        Seg::new(b, 62146, a, 5022, ACK)
            .seq(100, 5001)
            .options(&sack(&[(5010, 5020), (5030, 5040), (5050, 5060)])),
        Seg::new(b, 62146, a, 5022, ACK)
            .seq(100, 5001)
            .options(&sack(&[(1, 2), (3, 4), (5, 6), (7, 8)])),
        // Without ACK, blocks are absolute.
        Seg::new(b, 62146, a, 5022, RST)
            .seq(100, 0)
            .options(&sack(&[(5282, 5283)])),
    ];
    check("sack", &whole(&segs));
}

/// MPTCP option (kind 30) with `data` after kind and length.
fn mptcp(data: &[u8]) -> Vec<u8> {
    let mut o = vec![30, (2 + data.len()) as u8];
    o.extend_from_slice(data);
    o
}

fn join(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

#[test]
fn mptcp_options_in_tcpdumps_words() {
    if !tcpdump_available() {
        return;
    }
    let key1 = [0x73, 0xbb, 0x15, 0x03, 0x58, 0xa0, 0xae, 0xcb];
    let key2 = [0x8f, 0x0c, 0x7c, 0x64, 0xa6, 0xa3, 0x2a, 0xc1];
    let hmac20 = [0x5a; 20];
    let opts: Vec<(u16, Vec<u8>)> = vec![
        // MP_CAPABLE: v1 on SYN without key, v0 with checksum and key, SYN-ACK, third ACK
        // (with and without data-level length), an unknown version, a form the flags forbid.
        (SYN, mptcp(&[0x01, 0x01])),
        (SYN, mptcp(&join(&[&[0x00, 0x81], &key1]))),
        (SYN | ACK, mptcp(&join(&[&[0x01, 0x01], &key1]))),
        (ACK, mptcp(&join(&[&[0x01, 0x01], &key2, &key1]))),
        (
            PSH | ACK,
            mptcp(&join(&[&[0x01, 0x01], &key2, &key1, &[0, 16]])),
        ),
        (SYN, mptcp(&join(&[&[0x03, 0x01], &key1]))),
        (ACK, mptcp(&join(&[&[0x01, 0x01], &key1]))),
        // MP_JOIN on SYN (backup), SYN-ACK, ACK; and on a segment that fits none.
        (SYN, mptcp(&[0x11, 2, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7])),
        (SYN | ACK, mptcp(&join(&[&[0x10, 3], &key1, &[1, 2, 3, 4]]))),
        (ACK, mptcp(&join(&[&[0x10, 0], &hmac20]))),
        (ACK, mptcp(&[0x10, 2, 0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 7])),
        // DSS: 4-byte ack; 8-byte ack; mapping with 4-byte DSN and checksum; 8-byte DSN
        // without checksum and DATA_FIN; on a SYN; one byte over.
        (ACK, mptcp(&[0x20, 0x01, 0xd1, 0xb9, 0x83, 0x51])),
        (ACK, mptcp(&join(&[&[0x20, 0x03], &key1]))),
        (
            PSH | ACK,
            mptcp(&[
                0x20, 0x05, 0xd5, 0x2a, 0xcc, 0x6b, 0xd1, 0xb9, 0x84, 0x21, 0, 0, 7, 0x2a, 0, 0x70,
                0x34, 0x9e,
            ]),
        ),
        (
            FIN | ACK,
            mptcp(&join(&[&[0x20, 0x1f], &key1, &key2, &[0, 0, 0, 0, 0, 1]])),
        ),
        (SYN, mptcp(&[0x20, 0x01, 0, 0, 0, 1])),
        (ACK, mptcp(&[0x20, 0x01, 0, 0, 0, 1, 0])),
        // ADD_ADDR: v1 IPv4 with HMAC, echo with port, v0 IPv4/IPv6 forms, IPv6 with port and
        // HMAC, a bad version nibble, a bad length.
        (ACK, mptcp(&join(&[&[0x30, 1, 10, 0, 2, 1], &key1]))),
        (ACK, mptcp(&[0x31, 1, 192, 168, 136, 225, 0x1f, 0x90])),
        (ACK, mptcp(&[0x34, 5, 10, 1, 1, 1])),
        (
            ACK,
            mptcp(&join(&[
                &[0x36, 6],
                &packets::v6("2001:db8::7"),
                &[0x01, 0xbb],
                &key2,
            ])),
        ),
        (
            ACK,
            mptcp(&join(&[&[0x30, 6], &packets::v6("2001:db8::8")])),
        ),
        (ACK, mptcp(&[0x3a, 1, 10, 0, 2, 1])),
        (ACK, mptcp(&[0x30, 1, 10, 0, 2])),
        // REMOVE_ADDR, MP_PRIO (both forms), MP_FAIL, MP_FASTCLOSE, MP_TCPRST, and too short.
        (ACK, mptcp(&[0x40, 3, 4, 5])),
        (ACK, mptcp(&[0x51])),
        (ACK, mptcp(&[0x50, 9])),
        (ACK, mptcp(&join(&[&[0x60, 0], &key1]))),
        (RST | ACK, mptcp(&join(&[&[0x70, 0], &key2]))),
        (RST | ACK, mptcp(&[0x80, 0x01])),
        (ACK, mptcp(&[0x40])),
        (ACK, mptcp(&[])),
    ];
    let segs: Vec<Seg> = opts
        .iter()
        .enumerate()
        .map(|(i, (f, o))| {
            // Timestamps first, as Linux sends them, so a bad MPTCP option is not the first.
            let mut all = vec![1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8];
            if i % 2 == 0 {
                all.clear();
            }
            all.extend_from_slice(o);
            Seg::new("10.0.1.1", 33306 + i as u16, "10.0.2.1", 10004, *f)
                .seq(100, 200)
                .options(&all)
        })
        .collect();
    check("mptcp", &whole(&segs));
}

#[test]
fn other_named_options_in_tcpdumps_words() {
    if !tcpdump_available() {
        return;
    }
    let digest: Vec<u8> = (0x10..0x20).collect();
    let md5 = join(&[&[19, 18], &digest]);
    let opts: Vec<(u16, Vec<u8>, &[u8])> = vec![
        // Fast Open: request, cookie, a cookie of a length RFC 7413 forbids; the RFC 6994 form.
        (SYN, vec![34, 2], b""),
        (
            SYN,
            vec![2, 4, 5, 0xb4, 34, 10, 9, 9, 9, 9, 0, 0, 1, 2],
            b"GET",
        ),
        (SYN, vec![34, 5, 1, 2, 3], b""),
        (SYN, vec![254, 4, 0xf9, 0x89], b""),
        (SYN | ACK, vec![254, 10, 0xf9, 0x89, 9, 9, 9, 9, 0, 0], b""),
        (SYN, vec![254, 7, 0xf9, 0x89, 1, 2, 3], b""),
        // AccECN's experimental forms and another experiment; an experiment without ExID.
        (
            SYN | ACK,
            vec![254, 12, 0xac, 0xc0, 0, 0, 1, 0, 0, 0, 0, 0],
            b"",
        ),
        (ACK, vec![1, 1, 254, 8, 0xac, 0xc1, 0, 0, 0, 0], b""),
        (ACK, vec![254, 6, 0x12, 0x34, 0xff, 0xff], b""),
        (ACK, vec![1, 254, 3, 0xac], b""),
        // MD5 signature, with and without data.
        (ACK, md5.clone(), b""),
        (PSH | ACK, join(&[&md5, &[1, 1]]), b"bgp"),
        // User timeout in seconds and in minutes; SCPS; TCP-AO with and without MAC, invalid.
        (SYN, vec![28, 4, 0x00, 0x14], b""),
        (SYN, vec![28, 4, 0x80, 0x05], b""),
        (SYN, vec![20, 4, 0xa0, 7], b""),
        (ACK, vec![29, 4, 1, 2], b""),
        (ACK, vec![29, 10, 1, 2, 0xde, 0xad, 0xbe, 0xef, 0, 1], b""),
        (ACK, vec![1, 29, 3, 9], b""),
        // The obsolete echo and CC options (CC.ECHO has an empty name in tcpdump).
        (SYN, vec![6, 6, 0, 0, 1, 0, 7, 6, 0, 0, 0, 9], b""),
        (
            SYN,
            vec![11, 6, 0, 0, 0, 1, 12, 6, 0, 0, 0, 2, 13, 6, 0, 0, 0, 3],
            b"",
        ),
        // Unknown kinds with and without data, and EOL in the middle.
        (ACK, vec![161, 2], b""),
        (ACK, vec![99, 5, 0xab, 0xcd, 0xef], b""),
        (SYN, vec![2, 4, 5, 0xb4, 0, 0, 0, 3, 3, 7], b""),
        // What tcpdump gives up on: a length below 2, a length past the header, a field past
        // the option's end (first and later in the list).
        (ACK, vec![1, 1, 99, 1], b""),
        (ACK, vec![99, 1], b""),
        (ACK, vec![1, 1, 99, 9, 0, 0], b""),
        (SYN, vec![20, 2], b""),
        (SYN, vec![2, 4, 5, 0xb4, 1, 1, 20, 2], b""),
        (SYN, vec![28, 3, 1, 1], b""),
        // Fixed-size options of another length: tcpdump reads their fields anyway, notes the
        // length, and reads on right after the fields (inside a long option, or past a short
        // one); a SACK no number of blocks fills.
        (SYN, vec![2, 6, 5, 0xb4, 1, 1, 3, 3, 7], b""),
        (SYN, vec![2, 3, 5, 0xb4, 1, 1], b""),
        (SYN, vec![3, 4, 7, 1, 1, 1], b""),
        (SYN, vec![4, 3, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2], b""),
        (SYN, vec![8, 12, 0, 0, 0, 1, 0, 0, 0, 2, 1, 1], b""),
        (ACK, vec![1, 1, 5, 11, 0, 0, 0, 1, 0, 0, 0, 2, 9], b""),
        (ACK, vec![1, 1, 5, 2, 1, 1], b""),
        (
            ACK,
            vec![
                19, 17, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 1, 1, 1,
            ],
            b"",
        ),
        (SYN, vec![20, 6, 1, 2, 3, 4], b""),
        (SYN, vec![2, 4, 5, 0xb4, 2, 6, 5, 0xb4], b""),
    ];
    let segs: Vec<Seg> = opts
        .iter()
        .enumerate()
        .map(|(i, (f, o, data))| {
            Seg::new("203.0.113.5", 5179, "203.0.113.6", 50000 + i as u16, *f)
                .seq(7, 8)
                .options(o)
                .data(data)
        })
        .collect();
    check("options", &whole(&segs));
}

#[test]
fn headers_cut_at_every_byte() {
    if !tcpdump_available() {
        return;
    }
    let digest = [0x42u8; 16];
    let segs = [
        // A SYN's options, a data segment's, SACK blocks, an unknown option then MPTCP (the
        // marker then names MPTCP), TCP-AO, an MD5 signature, EOL ahead of the end, none.
        Seg::new("10.0.0.1", 40000, "10.0.0.2", 5001, SYN)
            .seq(1000, 0)
            .options(&[
                2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
            ]),
        Seg::new("10.0.0.1", 40000, "10.0.0.2", 5001, PSH | ACK)
            .seq(1001, 5001)
            .options(&[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2])
            .data(b"hello"),
        Seg::new("10.0.0.2", 5001, "10.0.0.1", 40000, ACK)
            .seq(5001, 1006)
            .options(&sack(&[(1100, 1200), (1300, 1400)])),
        Seg::new("10.0.0.2", 5001, "10.0.0.1", 40000, ACK)
            .seq(5001, 1006)
            .options(&join(&[
                &[99, 6, 1, 2, 3, 4],
                &mptcp(&[0x20, 0x01, 0, 0, 0, 9]),
                &[1, 1],
            ])),
        Seg::new("10.0.0.2", 5001, "10.0.0.1", 40000, ACK)
            .seq(5001, 1006)
            .options(&[1, 1, 29, 8, 3, 4, 0xaa, 0xbb, 0xcc, 0xdd]),
        Seg::new("10.0.0.1", 40000, "10.0.0.2", 5179, PSH | ACK)
            .seq(1001, 5001)
            .options(&join(&[&[19, 18], &digest, &[1, 1]]))
            .data(b"bgp"),
        Seg::new("10.0.0.1", 40000, "10.0.0.2", 5001, PSH | ACK)
            .seq(1001, 5001)
            .options(&[1, 0, 0, 0, 9, 9, 9, 9])
            .data(b"data"),
        Seg::new("2001:db8::1", 40000, "2001:db8::2", 5001, PSH | ACK)
            .seq(1001, 5001)
            .data(b"six"),
        Seg::new("2001:db8::1", 40000, "2001:db8::2", 5001, SYN)
            .seq(1000, 0)
            .options(&[2, 4, 5, 0xa0, 1, 3, 3, 7, 34, 2]),
    ];
    for (n, seg) in segs.iter().enumerate() {
        let p = seg.packet();
        let ip_len = if seg.src.is_ipv4() { 20 } else { 40 };
        // From no TCP byte at all to the whole packet, each captured length once. The first
        // packet whole sets the conversation's table entry, as the cut ones would.
        let packets: Vec<(Vec<u8>, u32)> = (ip_len..=p.len())
            .map(|cap| (p[..cap].to_vec(), p.len() as u32))
            .collect();
        check(&format!("cut-{n}"), &packets);
    }
}

#[test]
fn bad_header_lengths() {
    if !tcpdump_available() {
        return;
    }
    let mut short = Seg::new("10.0.0.1", 1, "10.0.0.2", 2, ACK)
        .seq(1, 2)
        .data(b"12345678");
    short.offset = Some(4);
    let mut long = Seg::new("10.0.0.1", 3, "10.0.0.2", 4, SYN)
        .seq(1, 2)
        .data(b"1234");
    long.offset = Some(15);
    let mut zero = Seg::new("2001:db8::1", 5, "2001:db8::2", 6, ACK).seq(1, 2);
    zero.offset = Some(0);
    check("bad-hdr", &whole(&[short, long, zero]));
}

#[test]
fn options_cut_where_tcpdump_reads_by_size_not_length() {
    if !tcpdump_available() {
        return;
    }
    // (options, bytes of them captured, data): each cut inside its last option's length but
    // after what tcpdump reads of it.
    let cases: Vec<(Vec<u8>, usize, &[u8])> = vec![
        // wscale of length 8: its one byte is there, then the next "option" is cut.
        (
            vec![2, 4, 0xb8, 0x20, 3, 8, 16, 0x41, 0x1d, 0x11, 6],
            11,
            b"abc",
        ),
        // An MD5 option whose 16 bytes would run past the header: bad, though cut.
        (
            vec![19, 10, 0xf6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
            3,
            b"abc",
        ),
        // CC.NEW of length 12: its value is there, then what follows is read as options.
        (
            vec![12, 12, 0x22, 0xf7, 0x58, 0xb1, 0xe1, 0xcf, 0xdf, 0xe5, 1, 1],
            10,
            b"",
        ),
        // sackOK of length 11, and a SACK no number of blocks fills.
        (vec![4, 11, 0xde, 0xd9, 0xd6, 0, 0, 0, 0, 0, 0, 0], 5, b""),
        (vec![1, 1, 5, 7, 1, 2, 3, 4, 5, 1, 1, 1], 6, b""),
        // A TCP-AO option too short to hold its key IDs.
        (vec![29, 3, 1, 1], 3, b""),
        // An option kind in the header's last byte, with and without a byte after the header.
        (vec![1, 1, 1, 0x90], 4, b""),
        (vec![1, 1, 1, 0x90], 4, b"x"),
        // After an MPTCP option, tcpdump's marker names MPTCP.
        (vec![30, 6, 0x80, 1, 2, 3, 0, 0, 0, 0, 0, 0], 7, b"late"),
    ];
    let mut packets = Vec::new();
    for (i, (options, keep, data)) in cases.iter().enumerate() {
        let seg = Seg::new("10.0.0.1", 40000 + i as u16, "10.0.0.2", 5001, PSH | ACK)
            .seq(1, 2)
            .options(options)
            .data(data);
        let p = seg.packet();
        let whole = p.len();
        packets.push((p[..20 + 20 + keep].to_vec(), whole as u32));
        packets.push((p, whole as u32));
    }
    check("cut-by-size", &packets);
}

#[test]
fn random_option_lists_cut_anywhere() {
    if !tcpdump_available() {
        return;
    }
    // Option lists drawn from the kinds tcpdump names (and some it does not), mostly of
    // their proper lengths, sometimes of any; flags and captured lengths at random too.
    const KINDS: [u8; 22] = [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 19, 20, 27, 28, 29, 30, 34, 253, 254, 99,
    ];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut packets = Vec::new();
    for i in 0..3000u32 {
        let mut options = Vec::new();
        for _ in 0..rng.below(7) {
            let kind = KINDS[rng.below(KINDS.len())];
            if kind <= 1 {
                options.push(kind);
                continue;
            }
            let len = if rng.below(7) == 0 {
                rng.below(13) as u8
            } else {
                match kind {
                    2 | 20 | 28 | 253 => 4,
                    3 => 3,
                    4 => 2,
                    5 => 2 + 8 * (1 + rng.below(3) as u8),
                    8 => 10,
                    19 => 18,
                    29 | 99 => 2 + rng.below(10) as u8,
                    30 => [4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26][rng.below(12)],
                    34 => [2, 5, 6, 10][rng.below(4)],
                    254 => [4, 6, 8, 12][rng.below(4)],
                    _ => 6,
                }
            };
            options.extend_from_slice(&[kind, len]);
            for j in 0..len.saturating_sub(2) {
                let mut b = rng.next_u64() as u8;
                if kind == 30 && j == 0 {
                    b = (rng.below(9) as u8) << 4 | (b & 0x0f);
                }
                if kind == 254 && j < 2 && rng.below(2) == 0 {
                    b = [0xf9, 0x89][usize::from(j)];
                }
                options.push(b);
            }
        }
        options.truncate(40);
        let flags = [SYN, SYN | ACK, ACK, PSH | ACK, FIN | ACK, RST, RST | ACK][rng.below(7)];
        let data: &[u8] = if rng.below(3) == 0 { b"xyz" } else { b"" };
        let seg = Seg::new("10.0.0.1", 40000 + (i % 50) as u16, "10.0.0.2", 5001, flags)
            .seq(rng.next_u64() as u32, rng.next_u64() as u32)
            .options(&options)
            .data(data);
        let p = seg.packet();
        let whole = p.len();
        let keep = if rng.below(10) < 7 {
            whole
        } else {
            20 + rng.below(whole - 19)
        };
        packets.push((p[..keep].to_vec(), whole as u32));
    }
    check("random-options", &packets);
}
