//! raw-sniff's IP, UDP, ICMP and ICMPv6 lines, and each line's time, against `tcpdump -n`'s,
//! byte for byte: captures built by hand here (with correct checksums), read by both programs
//! with the same flags and the same `TZ`.

#[path = "tcpdump_lines.rs"]
mod lines;
#[path = "filter_packets.rs"]
mod packets;

use lines::{assert_same_lines, Capture};
use packets::{tcpdump_available, v4, v6};

/// Raw IP: the packet is the frame.
const LINKTYPE_RAW: u32 = 101;

/// A pcap file of raw IP packets, each `(seconds, fraction, captured bytes, length on the
/// wire)`; the fraction is in nanoseconds when `nano` (the nanosecond pcap magic), else in
/// microseconds.
fn pcap(nano: bool, packets: &[(u32, u32, Vec<u8>, u32)]) -> Vec<u8> {
    let magic: u32 = if nano { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut out = Vec::new();
    out.extend_from_slice(&magic.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]); // thiszone, sigfigs
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&LINKTYPE_RAW.to_le_bytes());
    for (secs, frac, data, wire) in packets {
        out.extend_from_slice(&secs.to_le_bytes());
        out.extend_from_slice(&frac.to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out.extend_from_slice(&wire.to_le_bytes());
        out.extend_from_slice(data);
    }
    out
}

/// Whole packets, one a second from `1_000_000`, microsecond stamps.
fn pcap_of(packets: &[Vec<u8>]) -> Vec<u8> {
    let timed: Vec<_> = packets
        .iter()
        .enumerate()
        .map(|(i, p)| (1_000_000 + i as u32, 250_000, p.clone(), p.len() as u32))
        .collect();
    pcap(false, &timed)
}

/// The Internet checksum of `bytes` added to `sum`.
fn checksum(mut sum: u32, bytes: &[u8]) -> u16 {
    for pair in bytes.chunks(2) {
        sum += u32::from(u16::from_be_bytes([pair[0], *pair.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

fn pseudo_sum(src: &[u8], dst: &[u8], proto: u8, len: usize) -> u32 {
    let mut pseudo = src.to_vec();
    pseudo.extend_from_slice(dst);
    if src.len() == 4 {
        pseudo.extend_from_slice(&[0, proto]);
        pseudo.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        pseudo.extend_from_slice(&(len as u32).to_be_bytes());
        pseudo.extend_from_slice(&[0, 0, 0, proto]);
    }
    pseudo
        .chunks(2)
        .map(|p| u32::from(u16::from_be_bytes([p[0], p[1]])))
        .sum()
}

/// An IPv4 header (ID 0x1234, TTL 64) with `flags_frag` (DF/MF and offset), options, and
/// its checksum, followed by `payload`; the total length says `total` when given.
fn ipv4_with(
    src: &str,
    dst: &str,
    proto: u8,
    flags_frag: u16,
    options: &[u8],
    payload: &[u8],
    total: Option<u16>,
) -> Vec<u8> {
    let hlen = 20 + options.len();
    assert_eq!(hlen % 4, 0, "options fill whole words");
    let total = total.unwrap_or((hlen + payload.len()) as u16);
    let mut v = vec![0x40 | (hlen / 4) as u8, 0];
    v.extend_from_slice(&total.to_be_bytes());
    v.extend_from_slice(&[0x12, 0x34]);
    v.extend_from_slice(&flags_frag.to_be_bytes());
    v.extend_from_slice(&[64, proto, 0, 0]);
    v.extend_from_slice(&v4(src));
    v.extend_from_slice(&v4(dst));
    v.extend_from_slice(options);
    let sum = checksum(0, &v);
    v[10..12].copy_from_slice(&sum.to_be_bytes());
    v.extend_from_slice(payload);
    v
}

fn ipv4(src: &str, dst: &str, proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_with(src, dst, proto, 0, &[], payload, None)
}

/// An IPv6 header (hop limit 64) whose first next header is `next`, followed by `payload`
/// (extension headers included).
fn ipv6(src: &str, dst: &str, next: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    v.extend_from_slice(&[next, 64]);
    v.extend_from_slice(&v6(src));
    v.extend_from_slice(&v6(dst));
    v.extend_from_slice(payload);
    v
}

/// A UDP datagram between `src` and `dst` (for the checksum) with `payload`; the length field
/// says `len` when given.
fn udp(src: &str, dst: &str, ports: (u16, u16), payload: &[u8], len: Option<u16>) -> Vec<u8> {
    let (s, d) = (addr(src), addr(dst));
    let real = 8 + payload.len();
    let mut v = ports.0.to_be_bytes().to_vec();
    v.extend_from_slice(&ports.1.to_be_bytes());
    v.extend_from_slice(&len.unwrap_or(real as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    let mut sum = checksum(pseudo_sum(&s, &d, 17, real), &v);
    if sum == 0 {
        sum = 0xffff;
    }
    v[6..8].copy_from_slice(&sum.to_be_bytes());
    v
}

/// An ICMP message: type, code, then `rest` (the 4 bytes after the checksum and the body).
fn icmp4(ty: u8, code: u8, rest: &[u8]) -> Vec<u8> {
    let mut v = vec![ty, code, 0, 0];
    v.extend_from_slice(rest);
    let sum = checksum(0, &v);
    v[2..4].copy_from_slice(&sum.to_be_bytes());
    v
}

/// An ICMPv6 message from `src` to `dst`: type, code, then `rest`.
fn icmp6(src: &str, dst: &str, ty: u8, code: u8, rest: &[u8]) -> Vec<u8> {
    let mut v = vec![ty, code, 0, 0];
    v.extend_from_slice(rest);
    let sum = checksum(pseudo_sum(&v6(src), &v6(dst), 58, v.len()), &v);
    v[2..4].copy_from_slice(&sum.to_be_bytes());
    v
}

fn addr(s: &str) -> Vec<u8> {
    if s.contains(':') {
        v6(s).to_vec()
    } else {
        v4(s).to_vec()
    }
}

/// A UDP packet over IPv4 with a few bytes, on ports tcpdump prints no protocol for.
fn plain_udp4() -> Vec<u8> {
    let (s, d) = ("192.0.2.1", "192.0.2.2");
    ipv4(s, d, 17, &udp(s, d, (40000, 40001), b"time", None))
}

/// Runs `assert_same_lines` for each flag set in each zone.
fn same_in_zones(capture: &Capture, flag_sets: &[&[&str]], zones: &[&str]) {
    for tz in zones {
        for flags in flag_sets {
            assert_same_lines(&capture.path, flags, tz);
        }
    }
}

/// Every time form, in zones east and west of UTC, in the IANA and the POSIX spelling, across
/// a daylight-saving change, midnight, a day's gap, a packet earlier than the one before, and a
/// second tcpdump will not convert.
#[test]
fn time_forms_equal_tcpdumps_in_each_zone() {
    if !tcpdump_available() {
        return;
    }
    let p = plain_udp4();
    let len = p.len() as u32;
    // 2024-03-10 07:00:00 UTC: New York moves from EST to EDT.
    let dst_starts = 1_710_054_000u32;
    let stamps = [
        (dst_starts - 1, 999_999),
        (dst_starts, 0),
        (dst_starts, 500_000),
        (dst_starts + 3 * 3600 + 59 * 60 + 59, 1),
        (dst_starts + 2 * 86_400 + 7, 42),
        (dst_starts + 100, 3),
        (0x7fff_ffff, 999_999),
        (0x8000_0000, 5),
    ];
    let packets: Vec<_> = stamps
        .iter()
        .map(|&(s, f)| (s, f, p.clone(), len))
        .collect();
    let capture = Capture::new("ip-time-forms", &pcap(false, &packets));
    let flag_sets: &[&[&str]] = &[
        &[],
        &["-t"],
        &["-tt"],
        &["-ttt"],
        &["-tttt"],
        &["-ttttt"],
        &["-tt", "--nano"],
        &["-ttt", "--time-stamp-precision", "nano"],
        &["-tttt", "--time-stamp-precision=nano"],
        &["-ttttt", "--nano"],
        &["--time-stamp-precision", "micro"],
    ];
    same_in_zones(
        &capture,
        flag_sets,
        &[
            "UTC",
            "America/New_York",
            "EST5EDT",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
        ],
    );
}

/// A nanosecond capture: tcpdump shows microseconds unless asked for nanoseconds, and cuts
/// (never rounds) the extra digits, deltas included.
#[test]
fn nanosecond_captures_in_each_precision() {
    if !tcpdump_available() {
        return;
    }
    let p = plain_udp4();
    let len = p.len() as u32;
    let stamps = [
        (1_700_000_000u32, 123_456_789u32),
        (1_700_000_000, 123_457_001),
        (1_700_000_001, 999_999_999),
        (1_700_000_002, 0),
    ];
    let packets: Vec<_> = stamps
        .iter()
        .map(|&(s, f)| (s, f, p.clone(), len))
        .collect();
    let capture = Capture::new("ip-time-nano", &pcap(true, &packets));
    let flag_sets: &[&[&str]] = &[
        &[],
        &["--nano"],
        &["-tt"],
        &["-tt", "--nano"],
        &["-ttt"],
        &["-ttt", "--nano"],
        &["-ttttt"],
        &["-tttt", "--micro"],
    ];
    same_in_zones(&capture, flag_sets, &["America/New_York"]);
}

/// The ICMPv4 echo request of `src` to `dst`.
fn echo4(src: &str, dst: &str, reply: bool) -> Vec<u8> {
    let ty = if reply { 0 } else { 8 };
    ipv4(src, dst, 1, &icmp4(ty, 0, b"\x12\x34\x00\x07echo data"))
}

/// The ICMPv6 echo request of `src` to `dst`.
fn echo6(src: &str, dst: &str, reply: bool) -> Vec<u8> {
    let ty = if reply { 129 } else { 128 };
    ipv6(
        src,
        dst,
        58,
        &icmp6(src, dst, ty, 0, b"\x43\x21\x00\x02echo data"),
    )
}

#[test]
fn echo_requests_and_replies() {
    if !tcpdump_available() {
        return;
    }
    let capture = Capture::new(
        "ip-echo",
        &pcap_of(&[
            echo4("192.0.2.1", "192.0.2.2", false),
            echo4("192.0.2.2", "192.0.2.1", true),
            echo6("2001:db8::1", "2001:db8::2", false),
            echo6("2001:db8::2", "2001:db8::1", true),
        ]),
    );
    assert_same_lines(&capture.path, &[], "UTC");
}
