//! `--read`: capture files decode as live captures do, and damaged files lose nothing that
//! was complete.

mod common;

use std::process::Command;

use common::BIN;
use test_support::run;

/// Real loopback traffic (TCP, UDP, ICMP over IPv4 and IPv6) captured with tcpdump.
const LO_MIXED: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../wire/tests/data/lo-mixed.pcap"
);

fn sniff(args: &[&str]) -> (bool, String, String) {
    let out = run(Command::new(BIN).args(args));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("raw-sniff-read-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[test]
fn a_capture_file_prints_one_line_per_packet() {
    let (ok, out, err) = sniff(&["-r", LO_MIXED]);
    assert!(ok, "{err}");
    let n = out.lines().count();
    assert!(n > 5, "{out}");
    assert!(
        err.contains(&format!("{n} packets seen, {n} matched")),
        "{err}"
    );
    assert!(
        out.lines()
            .all(|l| l.contains(" IP ") || l.contains(" IP6 ") || l.contains("ARP")),
        "{out}"
    );
}

#[test]
fn a_file_cut_mid_record_yields_every_complete_packet_then_an_error() {
    let full = std::fs::read(LO_MIXED).unwrap();
    let (_, whole, _) = sniff(&["-r", LO_MIXED]);
    let whole: Vec<&str> = whole.lines().collect();
    // Cut 10 bytes into the last record's data: everything before it is intact.
    let cut = temp("cut.pcap");
    let (_, last_len) = last_record(&full);
    std::fs::write(&cut, &full[..full.len() - last_len + 10]).unwrap();
    let (ok, out, err) = sniff(&["-r", cut.to_str().unwrap()]);
    assert!(!ok, "a damaged file is an error");
    let got: Vec<&str> = out.lines().collect();
    assert_eq!(
        got,
        whole[..whole.len() - 1],
        "every complete packet is still shown"
    );
    assert!(err.contains("cut off"), "{err}");
    assert!(
        err.contains(&format!("{} packets seen", whole.len() - 1)),
        "summary still printed: {err}"
    );
}

#[test]
fn not_a_capture_file_is_one_clear_line() {
    let junk = temp("junk.pcap");
    std::fs::write(&junk, b"this is not a pcap file at all").unwrap();
    let (ok, _, err) = sniff(&["-r", junk.to_str().unwrap()]);
    assert!(!ok);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not a pcap or pcapng file"), "{err}");
    let (ok, _, err) = sniff(&["-r", "/nonexistent/file.pcap"]);
    assert!(!ok);
    assert!(err.contains("cannot open /nonexistent/file.pcap"), "{err}");
}

#[test]
fn read_then_write_keeps_every_packet() {
    let copy = temp("copy.pcap");
    let (ok, first, err) = sniff(&["-r", LO_MIXED, "-w", copy.to_str().unwrap()]);
    assert!(ok, "{err}");
    let (ok, second, _) = sniff(&["-r", copy.to_str().unwrap()]);
    assert!(ok);
    assert_eq!(first, second);
    if test_support::have("tcpdump") {
        let out = run(Command::new("tcpdump").args(["-nr", copy.to_str().unwrap()]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout).lines().count(),
            first.lines().count()
        );
    }
}

/// Offset and length (header + data) of the last record of a little- or big-endian pcap.
fn last_record(file: &[u8]) -> (usize, usize) {
    let big = file[0..4] == [0xa1, 0xb2, 0xc3, 0xd4] || file[0..4] == [0xa1, 0xb2, 0x3c, 0x4d];
    let u32_at = |at: usize| {
        let b: [u8; 4] = file[at..at + 4].try_into().unwrap();
        if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    };
    let mut at = 24;
    let mut last = (at, 0);
    while at + 16 <= file.len() {
        let len = 16 + u32_at(at + 8) as usize;
        last = (at, len);
        at += len;
    }
    last
}

/// The one-line output is tcpdump's `-n` output, line for line, on real captures.
pub fn assert_same_lines_as_tcpdump(pcap: &str) {
    let out = run(Command::new("tcpdump").env("TZ", "UTC").args(["-nr", pcap]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs = String::from_utf8_lossy(&out.stdout).into_owned();
    let (ok, ours, err) = sniff(&["-r", pcap]);
    assert!(ok, "{err}");
    for (n, (a, b)) in theirs.lines().zip(ours.lines()).enumerate() {
        assert_eq!(b, a, "line {} of {pcap} differs from tcpdump's", n + 1);
    }
    assert_eq!(ours.lines().count(), theirs.lines().count());
}

#[test]
fn lines_match_tcpdump_on_real_captures() {
    if !test_support::have("tcpdump") {
        return;
    }
    for name in ["lo-mixed", "lo-ping", "any-sll-udp"] {
        let pcap = format!(
            "{}/../wire/tests/data/{name}.pcap",
            env!("CARGO_MANIFEST_DIR")
        );
        assert_same_lines_as_tcpdump(&pcap);
    }
}

/// lo-mixed.pcap's frames with the Ethernet header swapped for a Linux cooked one, as
/// `(seconds, microseconds, frame)`.
fn lo_mixed_as_linux_sll() -> Vec<(u32, u32, Vec<u8>)> {
    let mut reader = wire::pcap::Reader::new(std::fs::File::open(LO_MIXED).unwrap()).unwrap();
    let mut frames = Vec::new();
    while let Some(p) = reader.next_packet().unwrap() {
        // Packet type 0 (to us), ARPHRD_LOOPBACK, 6-byte address, padding, protocol.
        let mut f = vec![0, 0, 3, 4, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0];
        f.extend_from_slice(&p.data[12..]);
        let micros = p.ts.nanos / 1000;
        frames.push((p.ts.secs as u32, micros, f));
    }
    frames
}

/// A little-endian pcapng file: a section header, one interface of `linktype` (microsecond
/// timestamps), an enhanced packet block for each frame.
fn pcapng_file(linktype: u16, frames: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
    let block = |kind: u32, body: &[u8]| {
        let mut body = body.to_vec();
        body.resize(body.len().div_ceil(4) * 4, 0);
        let total = (12 + body.len()) as u32;
        let mut b = [kind, total].map(u32::to_le_bytes).concat();
        b.extend_from_slice(&body);
        b.extend_from_slice(&total.to_le_bytes());
        b
    };
    let mut shb = [0x1a2b_3c4du32.to_le_bytes(), [1, 0, 0, 0]].concat();
    shb.extend_from_slice(&[0xff; 8]);
    let mut out = block(0x0a0d_0d0a, &shb);
    let mut idb = linktype.to_le_bytes().to_vec();
    idb.extend_from_slice(&[0, 0]);
    idb.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend(block(1, &idb));
    for (secs, micros, data) in frames {
        let units = u64::from(*secs) * 1_000_000 + u64::from(*micros);
        let len = data.len() as u32;
        let mut epb = [0, (units >> 32) as u32, units as u32, len, len]
            .map(u32::to_le_bytes)
            .concat();
        epb.extend_from_slice(data);
        out.extend(block(6, &epb));
    }
    out
}

/// The same frames as a classic pcap file.
fn pcap_file(linktype: u32, frames: &[(u32, u32, Vec<u8>)]) -> Vec<u8> {
    let mut out = [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, linktype]
        .map(u32::to_le_bytes)
        .concat();
    for (secs, micros, data) in frames {
        let len = data.len() as u32;
        out.extend([*secs, *micros, len, len].map(u32::to_le_bytes).concat());
        out.extend_from_slice(data);
    }
    out
}

#[test]
fn a_pcapng_file_names_its_interfaces_link_type_and_filters_as_its_pcap_twin() {
    let frames = lo_mixed_as_linux_sll();
    let ng = temp("sll.pcapng");
    let classic = temp("sll.pcap");
    std::fs::write(&ng, pcapng_file(113, &frames)).unwrap();
    std::fs::write(&classic, pcap_file(113, &frames)).unwrap();
    let (ng, classic) = (ng.to_str().unwrap(), classic.to_str().unwrap());

    let (ok, all, err) = sniff(&["-r", ng]);
    assert!(ok, "{err}");
    assert_eq!(
        err.lines().next().unwrap(),
        format!("raw-sniff: reading from file {ng}, link type LINUX_SLL")
    );
    assert_eq!(all.lines().count(), frames.len());
    for filter in ["udp", "ip6", "icmp", "tcp port 47001"] {
        let (ok, ours, err) = sniff(&["-r", ng, filter]);
        assert!(ok, "{err}");
        assert!(
            err.lines()
                .next()
                .unwrap()
                .contains(", link type LINUX_SLL, "),
            "{err}"
        );
        let (ok, twin, err) = sniff(&["-r", classic, filter]);
        assert!(ok, "{err}");
        assert!(
            !ours.is_empty() && ours.lines().count() < frames.len(),
            "{filter}: {ours}"
        );
        assert_eq!(ours, twin, "'{filter}' on the pcapng and the pcap file");
    }
}
