//! Filters on the raw IPv4 and raw IPv6 link types (pcap 228 and 229), against the real
//! tcpdump: libpcap trusts the link type, so on 228 every packet is read as IPv4 and on 229 as
//! IPv6, whatever its version nibble says. Both files here hold packets of both versions.
//!
//! Needs `tcpdump` on PATH; skipped with a message when it is missing, except under `CI=true`.

#[path = "filter_packets.rs"]
mod packets;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use packets::{v4, v6, Net, Transport};

const BIN: &str = env!("CARGO_BIN_EXE_raw-sniff");

const EXPRESSIONS: &[&str] = &[
    "ip",
    "ip6",
    "not ip",
    "not ip6",
    "tcp",
    "udp",
    "icmp",
    "icmp6",
    "port 80",
    "port 53",
    "tcp port 80",
    "host 10.0.0.1",
    "host 2001:db8::1",
    "net 10.0.0.0/8",
    "ip6 and udp",
    // Byte loads and relations read the packet as the link type says it is, too.
    "ip[9] = 6",
    "ip6[6] = 17",
    "tcp[13] & 2 != 0",
    "udp[2:2] = 53",
    "ip proto 17",
    "ip6 proto 6",
    "len > 40",
    "less 48",
];

fn ipv4(proto: u8, payload: Transport) -> Net {
    Net::V4 {
        src: v4("10.0.0.1"),
        dst: v4("10.0.0.2"),
        proto,
        frag_offset: 0,
        more_fragments: false,
        option_words: 0,
        payload,
    }
}

fn ipv6(proto: u8, payload: Transport) -> Net {
    Net::V6 {
        src: v6("2001:db8::1"),
        dst: v6("2001:db8::2"),
        ext: Vec::new(),
        proto,
        payload,
    }
}

/// Both versions, each with TCP, UDP and ICMP.
fn packets() -> Vec<Vec<u8>> {
    [
        ipv4(6, Transport::Tcp(1234, 80)),
        ipv6(6, Transport::Tcp(1234, 80)),
        ipv4(17, Transport::Udp(5353, 53)),
        ipv6(17, Transport::Udp(5353, 53)),
        ipv4(1, Transport::Echo),
        ipv6(58, Transport::Echo),
    ]
    .iter()
    .map(Net::bytes)
    .collect()
}

/// A classic pcap file in which packet `i` is stamped `i` microseconds after the epoch, so
/// the fraction both tools print names it whatever the time zone.
fn pcap_file(linktype: u32, packets: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for v in [0xa1b2_c3d4u32, 0x0004_0002, 0, 0, 262_144, linktype] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    for (i, data) in packets.iter().enumerate() {
        let len = data.len() as u32;
        for v in [0, i as u32, len, len] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out.extend_from_slice(data);
    }
    out
}

/// Positions of the packets a tool printed, from the microseconds of each line's timestamp.
fn positions(stdout: &[u8]) -> BTreeSet<usize> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| {
            let time = l.split(' ').next()?;
            let (hms, frac) = time.split_once('.')?;
            (hms.len() == 8 && hms.as_bytes()[2] == b':').then_some(())?;
            frac.parse().ok()
        })
        .collect()
}

fn tcpdump_matches(file: &Path, expr: &str) -> BTreeSet<usize> {
    positions(&packets::tcpdump_output(file, &[], expr))
}

fn our_matches(file: &Path, expr: &str) -> BTreeSet<usize> {
    let out = Command::new(BIN)
        .arg("-r")
        .arg(file)
        .arg(expr)
        .output()
        .expect("run raw-sniff");
    // Refused as matching nothing, as libpcap refuses it (`tcpdump_output` reads tcpdump's
    // refusal as no packets too).
    if String::from_utf8_lossy(&out.stderr).contains("the filter rejects every packet") {
        return BTreeSet::new();
    }
    assert!(
        out.status.success(),
        "raw-sniff -r {} '{expr}': {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    positions(&out.stdout)
}

#[test]
fn raw_ipv4_and_ipv6_links_filter_as_tcpdump_does_whatever_the_version_nibble() {
    if !packets::tcpdump_available() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("raw-sniff-raw-ip-links-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let packets = packets();
    let mut wrong = Vec::new();
    for (linktype, name) in [(228, "ipv4.pcap"), (229, "ipv6.pcap")] {
        let file = dir.join(name);
        std::fs::write(&file, pcap_file(linktype, &packets)).unwrap();
        // The oracle sees every packet, so a position missing below is a filter verdict.
        assert_eq!(tcpdump_matches(&file, "ip or not ip").len(), packets.len());
        for expr in EXPRESSIONS {
            let theirs = tcpdump_matches(&file, expr);
            let ours = our_matches(&file, expr);
            if ours != theirs {
                wrong.push(format!(
                    "link {linktype} '{expr}': tcpdump {theirs:?}, raw-sniff {ours:?}"
                ));
            }
        }
    }
    std::fs::remove_dir_all(&dir).ok();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
