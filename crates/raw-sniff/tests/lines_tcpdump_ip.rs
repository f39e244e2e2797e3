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
    packets::word_sum(&pseudo)
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
    let sum = packets::internet_checksum(0, &v);
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
    let mut sum = packets::internet_checksum(pseudo_sum(&s, &d, 17, real), &v);
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
    let sum = packets::internet_checksum(0, &v);
    v[2..4].copy_from_slice(&sum.to_be_bytes());
    v
}

/// An ICMPv6 message from `src` to `dst`: type, code, then `rest`.
fn icmp6(src: &str, dst: &str, ty: u8, code: u8, rest: &[u8]) -> Vec<u8> {
    let mut v = vec![ty, code, 0, 0];
    v.extend_from_slice(rest);
    let sum = packets::internet_checksum(pseudo_sum(&v6(src), &v6(dst), 58, v.len()), &v);
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

/// `bytes` cut to `caplen` captured bytes, keeping the length on the wire.
fn cut(bytes: Vec<u8>, caplen: usize) -> (Vec<u8>, u32) {
    let wire = bytes.len() as u32;
    (bytes[..caplen.min(bytes.len())].to_vec(), wire)
}

/// Packets, some cut short, one a second.
fn pcap_cut(packets: &[(Vec<u8>, u32)]) -> Vec<u8> {
    let timed: Vec<_> = packets
        .iter()
        .enumerate()
        .map(|(i, (p, wire))| (1_000_000 + i as u32, 0, p.clone(), *wire))
        .collect();
    pcap(false, &timed)
}

/// The first 28 bytes of a UDP datagram from `src` to `dst`, as an ICMP error quotes it.
fn quoted_udp4(src: &str, dst: &str, dport: u16) -> Vec<u8> {
    let mut q = ipv4(
        src,
        dst,
        17,
        &udp(src, dst, (40000, dport), b"quoted!!", None),
    );
    q.truncate(28);
    q
}

/// An ICMP error from `router` about a datagram `src` sent to `dst`.
fn icmp4_error(ty: u8, code: u8, rest: [u8; 4], router: &str, quoted: &[u8]) -> Vec<u8> {
    let mut body = rest.to_vec();
    body.extend_from_slice(quoted);
    let src = "192.0.2.1";
    ipv4(router, src, 1, &icmp4(ty, code, &body))
}

#[test]
fn icmpv4_types_and_codes_in_tcpdumps_words() {
    if !tcpdump_available() {
        return;
    }
    let (a, b, r) = ("192.0.2.1", "198.51.100.7", "203.0.113.1");
    let q = quoted_udp4(a, b, 33434);
    let mut q_tcp = ipv4(
        a,
        b,
        6,
        &[0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 2],
    );
    q_tcp.truncate(28);
    let mut packets = Vec::new();
    for code in 0..=16 {
        let quoted = if code == 3 { &q_tcp } else { &q };
        packets.push(icmp4_error(3, code, [0, 0, 0x05, 0xdc], r, quoted));
    }
    // Port unreachable for UDP, and for a protocol tcpdump has no word for.
    packets.push(icmp4_error(3, 3, [0; 4], r, &q));
    let mut q_other = ipv4(a, b, 132, &[0x9c, 0x40, 0x13, 0x88, 0, 0, 0, 0]);
    q_other.truncate(28);
    packets.push(icmp4_error(3, 3, [0; 4], r, &q_other));
    packets.push(icmp4_error(3, 4, [0; 4], r, &q));
    for code in 0..=4 {
        packets.push(icmp4_error(5, code, [192, 0, 2, 254], r, &q));
    }
    for code in 0..=2 {
        packets.push(icmp4_error(11, code, [0; 4], r, &q));
    }
    packets.push(icmp4_error(12, 0, [20, 0, 0, 0], r, &q));
    packets.push(icmp4_error(12, 1, [0; 4], r, &q));
    packets.push(icmp4_error(4, 0, [0; 4], r, &q));
    // Router advertisement (two entries, then a lifetime over an hour and an odd size),
    // router solicitation.
    let advert = |n: u8, size: u8, life: u16| {
        let mut body = vec![n, size];
        body.extend_from_slice(&life.to_be_bytes());
        body.extend_from_slice(&[
            192, 0, 2, 1, 0, 0, 0, 5, 192, 0, 2, 2, 0xff, 0xff, 0xff, 0xff,
        ]);
        ipv4(r, "224.0.0.1", 1, &icmp4(9, 0, &body))
    };
    packets.push(advert(2, 2, 1800));
    packets.push(advert(1, 2, 45));
    packets.push(advert(1, 3, 7322));
    packets.push(ipv4(a, "224.0.0.2", 1, &icmp4(10, 0, &[0; 4])));
    // Timestamp request and reply, information request and reply, address mask.
    packets.push(ipv4(
        a,
        b,
        1,
        &icmp4(13, 0, &[0, 7, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0]),
    ));
    let ms = |v: u32| v.to_be_bytes();
    let mut ts = vec![0, 7, 0, 1];
    ts.extend_from_slice(&ms(1));
    ts.extend_from_slice(&ms(45_296_789));
    ts.extend_from_slice(&ms(86_399_999));
    packets.push(ipv4(b, a, 1, &icmp4(14, 0, &ts)));
    packets.push(ipv4(a, b, 1, &icmp4(15, 0, &[0, 1, 0, 1])));
    packets.push(ipv4(b, a, 1, &icmp4(16, 0, &[0, 1, 0, 1])));
    packets.push(ipv4(a, b, 1, &icmp4(17, 0, &[0, 1, 0, 1, 0, 0, 0, 0])));
    packets.push(ipv4(
        b,
        a,
        1,
        &icmp4(18, 0, &[0, 1, 0, 1, 255, 255, 255, 0]),
    ));
    // Types tcpdump has no name for.
    packets.push(ipv4(a, b, 1, &icmp4(42, 0, &[0; 8])));
    packets.push(ipv4(a, b, 1, &icmp4(253, 1, &[0; 4])));
    let capture = Capture::new("ip-icmp4", &pcap_of(&packets));
    assert_same_lines(&capture.path, &[], "UTC");
}

/// The first 48 bytes of a UDP datagram over IPv6 from `src` to `dst`, as an ICMPv6 error
/// quotes it.
fn quoted_udp6(src: &str, dst: &str, dport: u16) -> Vec<u8> {
    ipv6(
        src,
        dst,
        17,
        &udp(src, dst, (40000, dport), b"quoted!!", None),
    )
}

/// An ICMPv6 message with an 8-byte hop-by-hop header (router alert) before it, as MLD sends.
fn with_router_alert(src: &str, dst: &str, icmp: Vec<u8>) -> Vec<u8> {
    let mut payload = vec![58, 0, 5, 2, 0, 0, 1, 0];
    payload.extend_from_slice(&icmp);
    ipv6(src, dst, 0, &payload)
}

#[test]
fn icmpv6_types_in_tcpdumps_words() {
    if !tcpdump_available() {
        return;
    }
    let (a, b, r) = ("2001:db8::1", "2001:db8:2::7", "2001:db8:ff::1");
    let ll = "fe80::1";
    let target = v6("fe80::a00:27ff:fe46:e884");
    let six = |src: &str, dst: &str, ty: u8, code: u8, rest: &[u8]| {
        ipv6(src, dst, 58, &icmp6(src, dst, ty, code, rest))
    };
    let q = quoted_udp6(a, b, 33434);
    let mut packets = Vec::new();
    // Errors: each unreachable code (one tcpdump does not know), too big, time exceeded and
    // parameter problem codes.
    for code in [0u8, 1, 2, 3, 4, 9] {
        let mut rest = vec![0; 4];
        rest.extend_from_slice(&q);
        packets.push(six(r, a, 1, code, &rest));
    }
    let mut q_tcp = ipv6(a, b, 6, &[0x9c, 0x40, 0, 80, 0, 0, 0, 1]);
    q_tcp.truncate(48);
    let mut rest = vec![0; 4];
    rest.extend_from_slice(&q_tcp);
    packets.push(six(r, a, 1, 4, &rest));
    let mut rest = 1280u32.to_be_bytes().to_vec();
    rest.extend_from_slice(&q);
    packets.push(six(r, a, 2, 0, &rest));
    for code in 0..=2 {
        let mut rest = vec![0; 4];
        rest.extend_from_slice(&q);
        packets.push(six(r, a, 3, code, &rest));
    }
    for code in [0u8, 1, 2, 3, 7] {
        let mut rest = 40u32.to_be_bytes().to_vec();
        rest.extend_from_slice(&q);
        packets.push(six(r, a, 4, code, &rest));
    }
    // Neighbour discovery.
    let mut ns = vec![0; 4];
    ns.extend_from_slice(&target);
    packets.push(six("::", "ff02::1:ff46:e884", 135, 0, &ns));
    let mut na = vec![0x60, 0, 0, 0];
    na.extend_from_slice(&target);
    packets.push(six(ll, "ff02::1", 136, 0, &na));
    packets.push(six(ll, "ff02::2", 133, 0, &[0; 4]));
    packets.push(six(
        ll,
        "ff02::1",
        134,
        0,
        &[64, 0, 0x07, 0x08, 0, 0, 0, 0, 0, 0, 0, 0],
    ));
    let mut redirect = vec![0; 4];
    redirect.extend_from_slice(&v6("fe80::99"));
    redirect.extend_from_slice(&v6(b));
    packets.push(six(ll, a, 137, 0, &redirect));
    // MLD: version 1 query, report and done; version 2 queries and a report, behind a
    // hop-by-hop header.
    let mut mld = vec![0x03, 0xe8, 0, 0];
    mld.extend_from_slice(&v6("ff02::1:3"));
    for ty in [130u8, 131, 132] {
        packets.push(with_router_alert(
            ll,
            "ff02::1",
            icmp6(ll, "ff02::1", ty, 0, &mld),
        ));
    }
    let mut q2 = vec![0x27, 0x10, 0, 0];
    q2.extend_from_slice(&[0; 16]);
    q2.extend_from_slice(&[0x02, 125, 0, 0]);
    packets.push(with_router_alert(
        ll,
        "ff02::1",
        icmp6(ll, "ff02::1", 130, 0, &q2),
    ));
    let mut q2s = vec![0x27, 0x10, 0, 0];
    q2s.extend_from_slice(&v6("ff05::9"));
    q2s.extend_from_slice(&[0x02, 125, 0, 2]);
    q2s.extend_from_slice(&v6(a));
    q2s.extend_from_slice(&v6(b));
    packets.push(with_router_alert(
        ll,
        "ff05::9",
        icmp6(ll, "ff05::9", 130, 0, &q2s),
    ));
    let mut report = vec![0, 0, 0, 2];
    for group in ["ff02::fb", "ff02::1:ff46:e884"] {
        report.extend_from_slice(&[4, 0, 0, 0]);
        report.extend_from_slice(&v6(group));
    }
    packets.push(with_router_alert(
        ll,
        "ff02::16",
        icmp6(ll, "ff02::16", 143, 0, &report),
    ));
    // RPL: each code, a secured one and one tcpdump does not know.
    for code in [0u8, 1, 2, 3, 0x80, 9] {
        packets.push(six(ll, "ff02::1a", 155, code, &[0; 8]));
    }
    // Node information: KAME who-are-you, queries for node addresses with an IPv6 and an
    // IPv4 subject, a noop, and a reply listing two addresses.
    packets.push(six(ll, a, 139, 0, &[0; 8]));
    packets.push(six(ll, a, 139, 0, &[0; 4]));
    let ni = |qtype: u16, flags: u16, subject: &[u8]| {
        let mut v = qtype.to_be_bytes().to_vec();
        v.extend_from_slice(&flags.to_be_bytes());
        v.extend_from_slice(&[1, 2, 3, 4, 5, 6, 7, 8]);
        v.extend_from_slice(subject);
        v
    };
    packets.push(six(ll, a, 139, 0, &ni(3, 0x003e, &v6(a))));
    packets.push(six(ll, a, 139, 2, &ni(3, 0x0002, &v4("192.0.2.1"))));
    packets.push(six(ll, a, 139, 0, &ni(0, 0, &[])));
    packets.push(six(ll, a, 139, 0, &ni(1, 1, &[])));
    let mut addrs = Vec::new();
    for (ttl, addr) in [(0u32, "::1"), (3600, a)] {
        addrs.extend_from_slice(&ttl.to_be_bytes());
        addrs.extend_from_slice(&v6(addr));
    }
    packets.push(six(a, ll, 140, 0, &ni(3, 0x0003, &addrs)));
    packets.push(six(a, ll, 140, 1, &ni(3, 0, &[])));
    // Router renumbering: a command with one use part (and one announced but cut), a
    // result, a sequence number reset.
    let mut rr = 7u32.to_be_bytes().to_vec();
    rr.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
    rr.extend_from_slice(&[2, 7, 0, 48, 0, 128, 0, 0]);
    rr.extend_from_slice(&v6("fec0::"));
    rr.extend_from_slice(&[48, 16, 0xff, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0]);
    rr.extend_from_slice(&v6("3ffe:501:ffff::"));
    packets.push(six(a, a, 138, 0, &rr));
    let mut rr2 = rr.clone();
    rr2[13] = 11;
    packets.push(six(a, a, 138, 0, &rr2));
    packets.push(six(a, a, 138, 1, &rr[..12]));
    packets.push(six(a, a, 138, 255, &rr[..12]));
    // Types tcpdump has no words for: it adds their bytes in hex.
    packets.push(six(a, b, 42, 0, &[0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5]));
    packets.push(six(a, b, 160, 0, &[0; 20]));
    packets.push(six(a, b, 141, 0, &[0; 4]));
    let capture = Capture::new("ip-icmp6", &pcap_of(&packets));
    assert_same_lines(&capture.path, &[], "UTC");
}

/// An IPv6 fragment header (next header `next`, offset in bytes, more fragments) then
/// `rest`.
fn frag6(next: u8, offset: u16, more: bool, rest: &[u8]) -> Vec<u8> {
    let word = offset | u16::from(more);
    let mut v = vec![next, 0];
    v.extend_from_slice(&word.to_be_bytes());
    v.extend_from_slice(&[0, 0, 0x12, 0x34]);
    v.extend_from_slice(rest);
    v
}

#[test]
fn udp_fragments_and_extension_headers() {
    if !tcpdump_available() {
        return;
    }
    let (a, b) = ("192.0.2.1", "198.51.100.7");
    let (a6, b6) = ("2001:db8::1", "2001:db8:2::7");
    let data = [0x55u8; 40];
    let mut packets = vec![
        ipv4(a, b, 17, &udp(a, b, (40000, 9999), &data, None)),
        ipv6(a6, b6, 17, &udp(a6, b6, (40000, 9999), &data, None)),
        // The UDP length claims more than the IP header leaves, then less than a header.
        ipv4(a, b, 17, &udp(a, b, (40000, 9999), &data, Some(200))),
        ipv6(a6, b6, 17, &udp(a6, b6, (40000, 9999), &data, Some(60))),
        ipv4(a, b, 17, &udp(a, b, (40000, 9999), &data, Some(4))),
        // A first fragment (more to come: its UDP length is not judged) and a later one.
        ipv4_with(
            a,
            b,
            17,
            0x2000,
            &[],
            &udp(a, b, (40000, 9999), &data, Some(1000)),
            None,
        ),
        ipv4_with(a, b, 17, 0x0005, &[], &data, None),
        ipv4_with(a, b, 1, 0x0010, &[], &data, None),
    ];
    // The same over IPv6, with fragment headers.
    let first = frag6(17, 0, true, &udp(a6, b6, (40000, 9999), &data, Some(1000)));
    packets.push(ipv6(a6, b6, 44, &first));
    packets.push(ipv6(a6, b6, 44, &frag6(17, 1448, false, &data)));
    // Destination options before UDP, a type 0 routing header before ICMPv6, both before a
    // fragment.
    let mut dst_opts = vec![17, 0, 1, 4, 0, 0, 0, 0];
    dst_opts.extend_from_slice(&udp(a6, b6, (40000, 9999), &data, None));
    packets.push(ipv6(a6, b6, 60, &dst_opts));
    // (Arrived: no segments left, so the checksum's destination is the packet's.)
    let mut routing = vec![58, 4, 0, 0, 0, 0, 0, 0];
    routing.extend_from_slice(&v6("2001:db8:ff::1"));
    routing.extend_from_slice(&v6("2001:db8:ff::2"));
    routing.extend_from_slice(&icmp6(a6, b6, 128, 0, b"\x00\x01\x00\x02ping"));
    packets.push(ipv6(a6, b6, 43, &routing));
    let mut both = vec![44, 0, 1, 4, 0, 0, 0, 0];
    both.extend_from_slice(&frag6(
        17,
        0,
        true,
        &udp(a6, b6, (40000, 9999), &data, None),
    ));
    packets.push(ipv6(a6, b6, 60, &both));
    let capture = Capture::new("ip-udp-frag", &pcap_of(&packets));
    assert_same_lines(&capture.path, &[], "UTC");
}

/// Packets cut short by the capture, inside and after the headers tcpdump prints, and IP
/// headers claiming more than the frame held.
#[test]
fn cut_packets_keep_the_headers_lengths() {
    if !tcpdump_available() {
        return;
    }
    let (a, b) = ("192.0.2.1", "198.51.100.7");
    let (a6, b6) = ("2001:db8::1", "2001:db8:2::7");
    let data = [0x55u8; 400];
    let udp4 = ipv4(a, b, 17, &udp(a, b, (40000, 9999), &data, None));
    let udp6 = ipv6(a6, b6, 17, &udp(a6, b6, (40000, 9999), &data, None));
    let echo = ipv4(a, b, 1, &icmp4(8, 0, &[0, 1, 0, 2, 0x55, 0x55, 0x55, 0x55]));
    let echo6 = ipv6(
        a6,
        b6,
        58,
        &icmp6(a6, b6, 128, 0, &[0, 1, 0, 2, 0x55, 0x55]),
    );
    let six_ = |ty: u8, code: u8, rest: &[u8]| ipv6(a6, b6, 58, &icmp6(a6, b6, ty, code, rest));
    let mut ns = vec![0; 4];
    ns.extend_from_slice(&v6("fe80::7"));
    let ns = ipv6(
        "::",
        "ff02::1:ff00:7",
        58,
        &icmp6("::", "ff02::1:ff00:7", 135, 0, &ns),
    );
    let unreachable = {
        let mut q = ipv4(b, a, 17, &udp(b, a, (40000, 53), b"quoted", None));
        q.truncate(28);
        let mut body = vec![0; 4];
        body.extend_from_slice(&q);
        ipv4("203.0.113.1", b, 1, &icmp4(3, 3, &body))
    };
    let mut packets = vec![
        cut(udp4.clone(), 60),
        cut(udp6.clone(), 80),
        cut(udp4.clone(), 24),
        cut(udp4.clone(), 22),
        cut(udp4, 20),
        cut(udp6.clone(), 44),
        cut(udp6, 42),
        cut(echo.clone(), 26),
        cut(echo, 22),
        cut(ipv4(a, b, 1, &icmp4(4, 0, &[0; 4])), 22),
        cut(ipv4(a, b, 1, &icmp4(42, 3, &[0; 4])), 23),
        cut(ipv4(a, b, 1, &icmp4(4, 0, &[0; 4])), 21),
        cut(echo6.clone(), 46),
        cut(echo6, 42),
        cut(six_(133, 0, &[0; 4]), 43),
        cut(six_(3, 1, &[0; 4]), 42),
        cut(six_(155, 2, &[0; 4]), 44),
        cut(six_(155, 0x82, &[0; 4]), 44),
        cut(six_(131, 0, &[0; 20]), 44),
        cut(six_(99, 0, &[0; 20]), 45),
        cut(six_(2, 0, &[0; 20]), 45),
        cut(ns.clone(), 50),
        cut(ns, 60),
        cut(unreachable.clone(), 40),
        cut(unreachable, 50),
    ];
    // IP headers claiming more than the frame held, and an IPv4 length of 0.
    let short = ipv4_with(
        a,
        b,
        17,
        0,
        &[],
        &udp(a, b, (40000, 9999), b"abcd", None),
        Some(300),
    );
    packets.push((short.clone(), short.len() as u32));
    let mut long6 = ipv6(a6, b6, 17, &udp(a6, b6, (40000, 9999), b"abcd", None));
    long6[4..6].copy_from_slice(&500u16.to_be_bytes());
    packets.push((long6.clone(), long6.len() as u32));
    let bad_len = ipv4_with(
        a,
        b,
        17,
        0,
        &[],
        &udp(a, b, (40000, 9999), b"abcd", None),
        Some(0),
    );
    packets.push((bad_len.clone(), bad_len.len() as u32));
    let capture = Capture::new("ip-cut", &pcap_cut(&packets));
    assert_same_lines(&capture.path, &[], "UTC");
}
