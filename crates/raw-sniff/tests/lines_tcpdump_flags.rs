//! tcpdump's output flags, each compared with tcpdump 4.99 byte for byte on captures built
//! here: `-e` on every link type raw-sniff prints a link header for (Ethernet with and without
//! VLAN tags, Linux cooked v1 and v2 in every direction, raw IP, BSD loopback in both byte
//! orders), `-q`, the dumps (`-A`, `-x`, `-xx`, `-X`, `-XX`), `-#`, `--count` and `-F`.
//!
//! The packets carry correct checksums (raw-sniff notes a bad one, tcpdump -n does not), and
//! some are cut short by the capture inside the headers the line shows.

#[path = "tcpdump_lines.rs"]
mod lines;
#[path = "filter_packets.rs"]
mod packets;

use lines::{assert_same_lines, raw_sniff_lines, tcpdump_lines, Capture};
use packets::{pcap_file, tcpdump_available, v4, v6};

// A zone half an hour off the hour: the lines must carry local time as tcpdump's do.
const TZ: &str = "Asia/Kolkata";
const MAC_A: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B: [u8; 6] = [0x02, 0, 0, 0, 0, 0x0b];

/// An IPv4 packet around `body` (a transport header and payload whose checksum field, at
/// `csum_at` in `body`, is filled in here; `None` for none).
fn ipv4(src: &str, dst: &str, proto: u8, mut body: Vec<u8>, csum_at: Option<usize>) -> Vec<u8> {
    let (s, d) = (v4(src), v4(dst));
    if let Some(at) = csum_at {
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&s);
        pseudo.extend_from_slice(&d);
        pseudo.extend_from_slice(&[0, proto]);
        pseudo.extend_from_slice(&(body.len() as u16).to_be_bytes());
        pseudo.extend_from_slice(&body);
        let sum = packets::internet_checksum(0, &pseudo);
        body[at..at + 2].copy_from_slice(&sum.to_be_bytes());
    }
    let total = (20 + body.len()) as u16;
    let mut h = vec![0x45, 0];
    h.extend_from_slice(&total.to_be_bytes());
    h.extend_from_slice(&[0x4d, 0x2e, 0x40, 0, 64, proto, 0, 0]);
    h.extend_from_slice(&s);
    h.extend_from_slice(&d);
    let sum = packets::internet_checksum(0, &h);
    h[10..12].copy_from_slice(&sum.to_be_bytes());
    h.extend_from_slice(&body);
    h
}

/// An IPv6 packet around `body`, the transport checksum at `csum_at` filled in.
fn ipv6(src: &str, dst: &str, next: u8, mut body: Vec<u8>, csum_at: usize) -> Vec<u8> {
    let (s, d) = (v6(src), v6(dst));
    let mut pseudo = Vec::new();
    pseudo.extend_from_slice(&s);
    pseudo.extend_from_slice(&d);
    pseudo.extend_from_slice(&(body.len() as u32).to_be_bytes());
    pseudo.extend_from_slice(&[0, 0, 0, next]);
    pseudo.extend_from_slice(&body);
    let sum = packets::internet_checksum(0, &pseudo);
    body[csum_at..csum_at + 2].copy_from_slice(&sum.to_be_bytes());
    let mut h = vec![0x60, 0, 0, 0];
    h.extend_from_slice(&(body.len() as u16).to_be_bytes());
    h.extend_from_slice(&[next, 64]);
    h.extend_from_slice(&s);
    h.extend_from_slice(&d);
    h.extend_from_slice(&body);
    h
}

/// A TCP header (no options) with `flags`, then `payload`.
fn tcp(sport: u16, dport: u16, seq: u32, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = sport.to_be_bytes().to_vec();
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&seq.to_be_bytes());
    v.extend_from_slice(&0x0102_0304u32.to_be_bytes());
    v.extend_from_slice(&[0x50, flags, 0x7f, 0xff, 0, 0, 0, 0]);
    v.extend_from_slice(payload);
    v
}

fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = sport.to_be_bytes().to_vec();
    v.extend_from_slice(&dport.to_be_bytes());
    v.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
    v.extend_from_slice(&[0, 0]);
    v.extend_from_slice(payload);
    v
}

fn icmp_echo(payload: &[u8]) -> Vec<u8> {
    let mut v = vec![8, 0, 0, 0, 0x12, 0x34, 0, 7];
    v.extend_from_slice(payload);
    let sum = packets::internet_checksum(0, &v);
    v[2..4].copy_from_slice(&sum.to_be_bytes());
    v
}

/// Text with the bytes -A treats apart: CR LF pairs, a lone CR, a tab, unprintable bytes.
const TEXT: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: example\r\n\r\nline\rwith\ttab\x01\x7f";

/// IP packets whose lines raw-sniff and tcpdump print alike without flags (TCP only as a SYN:
/// the words of later segments are another matter), each protocol the flags change: TCP, UDP
/// (on ports tcpdump decodes nothing on) with text and with an odd length, ICMP, IPv6.
fn ip_packets() -> Vec<(u16, Vec<u8>)> {
    vec![
        (
            0x0800,
            ipv4(
                "10.0.0.1",
                "10.0.0.2",
                6,
                tcp(40000, 9000, 1000, 0x02, b""),
                Some(16),
            ),
        ),
        (
            0x0800,
            ipv4("10.0.0.1", "10.0.0.2", 17, udp(41000, 42000, TEXT), Some(6)),
        ),
        (
            0x0800,
            ipv4(
                "10.0.0.2",
                "10.0.0.1",
                17,
                udp(42000, 41000, b"odd"),
                Some(6),
            ),
        ),
        (
            0x0800,
            ipv4(
                "10.0.0.1",
                "10.0.0.2",
                1,
                icmp_echo(b"0123456789abcdefg"),
                None,
            ),
        ),
        (
            0x86dd,
            ipv6("fd00::1", "fd00::2", 6, tcp(40002, 9001, 7, 0x02, b""), 16),
        ),
    ]
}

/// TCP segments carrying data, for -q, whose words for them are only ports and length.
fn tcp_data_capture() -> Capture {
    let list = vec![
        ethernet(
            &[0x0800],
            &ipv4(
                "10.0.0.1",
                "10.0.0.2",
                6,
                tcp(40000, 80, 1001, 0x18, TEXT),
                Some(16),
            ),
        ),
        ethernet(
            &[0x86dd],
            &ipv6(
                "fd00::1",
                "fd00::2",
                6,
                tcp(40002, 443, 7, 0x10, b"hello"),
                16,
            ),
        ),
    ];
    // Again, cut short inside the payload: -q counts what the IP header says was sent, and
    // shows nothing that was not captured.
    let mut cut = list.clone();
    cut.extend(list.clone());
    let bytes = pcap_file(1, &frames(cut, &[(2, 60), (3, 76)]));
    Capture::new("flags-tcp-data", &bytes)
}

fn ethernet(types: &[u16], payload: &[u8]) -> Vec<u8> {
    let mut v = MAC_B.to_vec();
    v.extend_from_slice(&MAC_A);
    for t in types {
        v.extend_from_slice(&t.to_be_bytes());
    }
    v.extend_from_slice(payload);
    v
}

fn arp(op: u16) -> Vec<u8> {
    let mut v = vec![0, 1, 8, 0, 6, 4];
    v.extend_from_slice(&op.to_be_bytes());
    v.extend_from_slice(&MAC_A);
    v.extend_from_slice(&v4("10.0.0.1"));
    v.extend_from_slice(&[0; 6]);
    v.extend_from_slice(&v4("10.0.0.2"));
    v
}

/// Whole frames, and how much of each was captured.
fn frames(list: Vec<Vec<u8>>, cut: &[(usize, usize)]) -> Vec<(Vec<u8>, u32)> {
    list.into_iter()
        .enumerate()
        .map(|(i, mut f)| {
            let len = f.len() as u32;
            if let Some((_, keep)) = cut.iter().find(|(n, _)| *n == i) {
                f.truncate(*keep);
            }
            (f, len)
        })
        .collect()
}

fn ethernet_capture() -> Capture {
    let mut list: Vec<Vec<u8>> = ip_packets()
        .into_iter()
        .map(|(t, p)| ethernet(&[t], &p))
        .collect();
    list.push(ethernet(&[0x0806], &arp(1)));
    list.push(ethernet(&[0x0806], &arp(2)));
    let bytes = pcap_file(1, &frames(list, &[]));
    Capture::new("flags-ethernet", &bytes)
}

/// VLAN-tagged frames: one tag; two (QinQ outside), the inner with priority and DEI; and an
/// ARP in a tag. raw-sniff's lines without -e name the tags where tcpdump's do not, so these
/// are compared with -e only.
fn vlan_capture() -> Capture {
    let tagged = |tags: &[(u16, u16)], inner: u16, payload: &[u8]| {
        let mut v = Vec::new();
        for (i, (tpid, tci)) in tags.iter().enumerate() {
            if i > 0 {
                v.extend_from_slice(&tpid.to_be_bytes());
            }
            v.extend_from_slice(&tci.to_be_bytes());
        }
        v.extend_from_slice(&inner.to_be_bytes());
        v.extend_from_slice(payload);
        ethernet(&[tags[0].0], &v)
    };
    let (_, udp4) = &ip_packets()[1];
    let (_, tcp6) = &ip_packets()[4];
    let list = vec![
        tagged(&[(0x8100, 100)], 0x0800, udp4),
        tagged(&[(0x88a8, 200), (0x8100, 0xb000 | 300)], 0x0800, udp4),
        tagged(&[(0x8100, 0x4000 | 7)], 0x86dd, tcp6),
        tagged(&[(0x8100, 5)], 0x0806, &arp(1)),
    ];
    let bytes = pcap_file(1, &frames(list, &[]));
    Capture::new("flags-vlan", &bytes)
}

fn sll_capture() -> Capture {
    let mut list = Vec::new();
    for (i, (t, p)) in ip_packets().into_iter().enumerate() {
        // Packet types 0 to 4 in turn: In, B, M, P, Out.
        let mut v = (i as u16).to_be_bytes().to_vec();
        v.extend_from_slice(&[0, 1, 0, 6]);
        v.extend_from_slice(&MAC_A);
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&t.to_be_bytes());
        v.extend_from_slice(&p);
        list.push(v);
    }
    let bytes = pcap_file(113, &frames(list, &[]));
    Capture::new("flags-sll", &bytes)
}

/// A cooked v1 frame with a VLAN tag after its header, where libpcap puts it; compared with
/// -e only, as with Ethernet.
fn sll_vlan_capture() -> Capture {
    let (_, udp4) = &ip_packets()[2];
    let mut v = vec![0, 0, 0, 1, 0, 6];
    v.extend_from_slice(&MAC_B);
    v.extend_from_slice(&[0, 0, 0x81, 0]);
    v.extend_from_slice(&(0x2000u16 | 42).to_be_bytes());
    v.extend_from_slice(&0x0800u16.to_be_bytes());
    v.extend_from_slice(udp4);
    let bytes = pcap_file(113, &frames(vec![v], &[]));
    Capture::new("flags-sll-vlan", &bytes)
}

fn sll2_capture() -> Capture {
    let mut list = Vec::new();
    for (i, (t, p)) in ip_packets().into_iter().enumerate() {
        let mut v = t.to_be_bytes().to_vec();
        v.extend_from_slice(&[0, 0]);
        // Interface 1 is lo on Linux; 4000 is nobody, which tcpdump prints as `?`.
        let index: u32 = if i == 3 { 4000 } else { 1 };
        v.extend_from_slice(&index.to_be_bytes());
        v.extend_from_slice(&[0, 1, i as u8, 6]);
        v.extend_from_slice(&MAC_A);
        v.extend_from_slice(&[0, 0]);
        v.extend_from_slice(&p);
        list.push(v);
    }
    let bytes = pcap_file(276, &frames(list, &[]));
    Capture::new("flags-sll2", &bytes)
}

fn raw_capture() -> Capture {
    let list: Vec<Vec<u8>> = ip_packets().into_iter().map(|(_, p)| p).collect();
    let bytes = pcap_file(101, &frames(list, &[]));
    Capture::new("flags-raw", &bytes)
}

/// BSD loopback: `NULL` with the family in this (little-endian) host's order, and IPv6 as
/// FreeBSD and macOS number it; `LOOP` with the family in network order.
fn loopback_captures() -> (Capture, Capture) {
    let null: Vec<Vec<u8>> = ip_packets()
        .into_iter()
        .enumerate()
        .map(|(i, (t, p))| {
            let family: u32 = match (t, i % 2) {
                (0x0800, _) => 2,
                (_, 0) => 28,
                _ => 30,
            };
            let mut v = family.to_le_bytes().to_vec();
            v.extend_from_slice(&p);
            v
        })
        .collect();
    let looped: Vec<Vec<u8>> = ip_packets()
        .into_iter()
        .map(|(t, p)| {
            let family: u32 = if t == 0x0800 { 2 } else { 24 };
            let mut v = family.to_be_bytes().to_vec();
            v.extend_from_slice(&p);
            v
        })
        .collect();
    (
        Capture::new("flags-null", &pcap_file(0, &frames(null, &[]))),
        Capture::new("flags-loop", &pcap_file(108, &frames(looped, &[]))),
    )
}

/// PPP (with and without address and control, the protocol field whole and compressed) and
/// Cisco HDLC (unicast and broadcast).
fn serial_captures() -> (Capture, Capture) {
    let ip = ip_packets();
    let heads: [&[u8]; 5] = [
        &[0xff, 0x03, 0x00, 0x21],
        &[0x00, 0x21],
        &[0xff, 0x03, 0x21],
        &[0x21],
        &[0xff, 0x03, 0x00, 0x57],
    ];
    let ppp: Vec<Vec<u8>> = heads
        .iter()
        .zip(&ip)
        .map(|(head, (_, p))| [head.to_vec(), p.clone()].concat())
        .collect();
    let hdlc: Vec<Vec<u8>> = ip
        .iter()
        .enumerate()
        .map(|(i, (t, p))| {
            let cast = if i % 2 == 0 { 0x0f } else { 0x8f };
            let mut v = vec![cast, 0];
            v.extend_from_slice(&t.to_be_bytes());
            v.extend_from_slice(p);
            v
        })
        .collect();
    (
        Capture::new("flags-ppp", &pcap_file(9, &frames(ppp, &[]))),
        Capture::new("flags-chdlc", &pcap_file(104, &frames(hdlc, &[]))),
    )
}

fn all_captures() -> Vec<Capture> {
    let (null, looped) = loopback_captures();
    vec![
        ethernet_capture(),
        sll_capture(),
        sll2_capture(),
        raw_capture(),
        null,
        looped,
    ]
}

/// What `raw-sniff --no-color FLAGS -r FILE EXPR` prints: the expression last, where
/// raw-sniff takes trailing words.
fn ours_filtered(file: &std::path::Path, flags: &[&str], expr: &str) -> String {
    let out = std::process::Command::new(lines::BIN)
        .arg("--no-color")
        .args(flags)
        .arg("-r")
        .arg(file)
        .args(expr.split_whitespace())
        .env("TZ", TZ)
        .output()
        .expect("run raw-sniff");
    assert!(
        out.status.success(),
        "raw-sniff {flags:?} {expr}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// What `tcpdump -n FLAGS -r FILE EXPR` prints.
fn theirs_filtered(file: &std::path::Path, flags: &[&str], expr: &str) -> String {
    let mut all = vec!["-n"];
    all.extend_from_slice(flags);
    all.extend(expr.split_whitespace());
    tcpdump_lines(file, &all, TZ)
}

#[test]
fn link_header_on_every_link_type_is_tcpdumps() {
    if !tcpdump_available() {
        return;
    }
    let mut captures = all_captures();
    captures.extend([vlan_capture(), sll_vlan_capture()]);
    for capture in &captures {
        for flags in [&["-e"][..], &["-e", "-q"], &["-e", "-x"], &["-e", "-XX"]] {
            assert_same_lines(&capture.path, flags, TZ);
        }
    }
    assert_same_lines(&tcp_data_capture().path, &["-e", "-q"], TZ);
    // The serial links' words (where their dumps start is another matter).
    let (ppp, hdlc) = serial_captures();
    for capture in [ppp, hdlc] {
        assert_same_lines(&capture.path, &["-e"], TZ);
        assert_same_lines(&capture.path, &["-e", "-q"], TZ);
    }
    let ours = raw_sniff_lines(&vlan_capture().path, &["-e"], TZ);
    assert!(
        ours.contains("ethertype 802.1Q-QinQ (0x88a8), length 108: vlan 200, p 0, ethertype 802.1Q (0x8100), vlan 300, p 5, DEI, ethertype IPv4 (0x0800), 10.0.0.1.41000 > "),
        "{ours}"
    );
}

#[test]
fn default_lines_of_cooked_v2_name_the_interface() {
    if !tcpdump_available() {
        return;
    }
    let capture = sll2_capture();
    assert_same_lines(&capture.path, &[], TZ);
    let ours = raw_sniff_lines(&capture.path, &[], TZ);
    assert!(ours.contains(" ?     P   IP "), "{ours}");
}

#[test]
fn quick_output_is_tcpdumps() {
    if !tcpdump_available() {
        return;
    }
    let mut captures = all_captures();
    captures.push(tcp_data_capture());
    for capture in &captures {
        assert_same_lines(&capture.path, &["-q"], TZ);
    }
    let ours = raw_sniff_lines(&tcp_data_capture().path, &["-q"], TZ);
    assert!(ours.contains(": tcp 58\n"), "{ours}");
}

#[test]
fn dumps_under_the_line_are_tcpdumps() {
    if !tcpdump_available() {
        return;
    }
    for capture in all_captures() {
        for flags in [
            &["-A"][..],
            &["-AA"],
            &["-x"],
            &["-xx"],
            &["-X"],
            &["-XX"],
            &["-q", "-x"],
        ] {
            assert_same_lines(&capture.path, flags, TZ);
        }
    }
    // Whole and cut short: a dump holds what was captured.
    for flags in [&["-q", "-A"][..], &["-q", "-x"], &["-q", "-XX"]] {
        assert_same_lines(&tcp_data_capture().path, flags, TZ);
    }
    let ours = raw_sniff_lines(&ethernet_capture().path, &["-A"], TZ);
    assert!(
        ours.contains("\nHost: example\n\nline.with\ttab.."),
        "{ours}"
    );
}

#[test]
fn dumps_of_frames_cut_in_their_link_header_are_tcpdumps() {
    if !tcpdump_available() {
        return;
    }
    // Cut inside the link header, right after it, and inside the IP header. The lines of such
    // frames are raw-sniff's own (it says where decoding stopped); the dumps under them are
    // compared.
    let (_, udp4) = &ip_packets()[2];
    let whole = ethernet(&[0x0800], udp4);
    let list = vec![whole.clone(), whole.clone(), whole];
    let capture = Capture::new(
        "flags-cut-link",
        &pcap_file(1, &frames(list, &[(0, 10), (1, 14), (2, 20)])),
    );
    let dump_lines = |text: String| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with('\t'))
            .map(str::to_owned)
            .collect()
    };
    for flags in [&["-x"][..], &["-xx"], &["-X"], &["-XX"]] {
        let ours = dump_lines(raw_sniff_lines(&capture.path, flags, TZ));
        let theirs = dump_lines(theirs_filtered(&capture.path, flags, ""));
        assert_eq!(ours, theirs, "{flags:?}");
        assert!(!ours.is_empty());
    }
}

#[test]
fn link_header_of_what_raw_sniff_does_not_decode_is_tcpdumps() {
    if !tcpdump_available() {
        return;
    }
    // An EtherType nobody names, and an IPv4 header cut off after the link header: the
    // link words are tcpdump's, and nothing repeats them. (What follows them is each
    // program's own: tcpdump dumps the unknown payload, and each says where it stopped.)
    let (_, udp4) = &ip_packets()[1];
    let list = vec![
        ethernet(&[0x1234], b"not a protocol anyone decodes"),
        ethernet(&[0x0800], udp4),
    ];
    let capture = Capture::new("flags-undecoded", &pcap_file(1, &frames(list, &[(1, 14)])));
    let heads = |text: String| -> Vec<String> {
        text.lines()
            .filter(|l| !l.starts_with('\t'))
            .map(|l| l.split(": ").next().unwrap_or("").to_owned() + ": ")
            .collect()
    };
    let ours = heads(raw_sniff_lines(&capture.path, &["-e"], TZ));
    assert_eq!(ours, heads(theirs_filtered(&capture.path, &["-e"], "")));
    let whole = raw_sniff_lines(&capture.path, &["-e"], TZ);
    assert!(
        whole.starts_with(
            "19:16:40.000000 02:00:00:00:00:0a > 02:00:00:00:00:0b, ethertype Unknown (0x1234), length 43: \n"
        ),
        "{whole}"
    );
}

#[test]
fn numbers_count_the_packets_printed() {
    if !tcpdump_available() {
        return;
    }
    let capture = ethernet_capture();
    assert_same_lines(&capture.path, &["-#"], TZ);
    // Numbered among those the filter kept, as tcpdump numbers them.
    let ours = ours_filtered(&capture.path, &["-#", "-e"], "udp");
    assert_eq!(ours, theirs_filtered(&capture.path, &["-#", "-e"], "udp"));
    assert!(ours.starts_with("    1  "), "{ours}");
    assert!(ours.contains("\n    2  "), "{ours}");
}

#[test]
fn count_prints_only_the_number_of_matches() {
    if !tcpdump_available() {
        return;
    }
    let capture = ethernet_capture();
    for filter in ["", "tcp", "arp", "icmp", "port 9"] {
        let ours = ours_filtered(&capture.path, &["--count"], filter);
        assert_eq!(
            ours,
            theirs_filtered(&capture.path, &["--count"], filter),
            "--count {filter:?}"
        );
    }
    assert_eq!(
        ours_filtered(&capture.path, &["--count"], "icmp"),
        "1 packet\n"
    );
}

#[test]
fn filter_file_takes_comments_as_tcpdump_does() {
    if !tcpdump_available() {
        return;
    }
    let capture = ethernet_capture();
    let file = capture.path.with_extension("filter");
    std::fs::write(
        &file,
        "# only the web\nudp port 42000 # one way\n  or arp # and who-has\n",
    )
    .expect("write filter file");
    let f = file.to_str().expect("utf-8 path");
    assert_same_lines(&capture.path, &["-F", f], TZ);
    // An expression on the command line too is ignored, in favour of the file's.
    let ours = ours_filtered(&capture.path, &["-F", f], "icmp");
    assert_eq!(ours, theirs_filtered(&capture.path, &["-F", f], "icmp"));
    assert!(
        ours.contains("ARP, Request") && !ours.contains("ICMP"),
        "{ours}"
    );
}

#[test]
fn short_x_is_hex_and_explain_keeps_its_long_name() {
    let capture = ethernet_capture();
    let hex = raw_sniff_lines(&capture.path, &["-x", "-c", "1"], TZ);
    assert!(hex.contains("\n\t0x0000:  4500 0028"), "{hex}");
    let explain = raw_sniff_lines(&capture.path, &["--explain", "-c", "1"], TZ);
    assert!(!explain.contains("\t0x0000:"), "{explain}");
    assert_ne!(explain, hex);
}

#[test]
fn tagged_frames_without_e_are_tcpdumps() {
    if !tcpdump_available() {
        return;
    }
    for capture in [vlan_capture(), sll_vlan_capture()] {
        assert_same_lines(&capture.path, &[], TZ);
        assert_same_lines(&capture.path, &["-q"], TZ);
    }
}
