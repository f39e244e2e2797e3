//! `--json` field for field against tshark's dissectors on the same capture files: the names
//! are Wireshark's, so the values must be too.

mod common;

use std::collections::BTreeMap;
use std::process::Command;

use common::BIN;
use test_support::{have, run};

/// Fields compared, as tshark names them; the JSON object holding each is its prefix.
const FIELDS: &[&str] = &[
    "eth.src",
    "eth.dst",
    "ip.src",
    "ip.dst",
    "ip.len",
    "ip.ttl",
    "ip.id",
    "ip.proto",
    "ip.hdr_len",
    "ipv6.src",
    "ipv6.dst",
    "ipv6.plen",
    "ipv6.hlim",
    "ipv6.nxt",
    "tcp.srcport",
    "tcp.dstport",
    "tcp.seq_raw",
    "tcp.ack_raw",
    "tcp.flags",
    "tcp.window_size_value",
    "tcp.len",
    "tcp.hdr_len",
    "tcp.urgent_pointer",
    "udp.srcport",
    "udp.dstport",
    "udp.length",
    "icmp.type",
    "icmp.code",
    "icmpv6.type",
    "icmpv6.code",
];

/// tshark's value for each field of each packet, with numbers made decimal.
fn tshark_fields(pcap: &str) -> Vec<BTreeMap<&'static str, String>> {
    let mut cmd = Command::new("tshark");
    cmd.args([
        "-n",
        "-r",
        pcap,
        "-T",
        "fields",
        "-E",
        "separator=/t",
        "-E",
        "occurrence=f",
    ]);
    for field in FIELDS {
        cmd.args(["-e", field]);
    }
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            FIELDS
                .iter()
                .zip(line.split('\t'))
                .filter(|(_, v)| !v.is_empty())
                .map(|(f, v)| (*f, normalise(v)))
                .collect()
        })
        .collect()
}

fn normalise(value: &str) -> String {
    match value.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16).map_or(value.to_owned(), |n| n.to_string()),
        None => value.to_owned(),
    }
}

/// Our value of each field, from the JSON objects.
fn our_fields(pcap: &str) -> Vec<BTreeMap<&'static str, String>> {
    let out = run(Command::new(BIN).args(["-r", pcap, "--json"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let packet: serde_json::Value = serde_json::from_str(line).unwrap();
            let mut fields = BTreeMap::new();
            for layer in packet.as_object().unwrap().values() {
                let Some(layer) = layer.as_object() else {
                    continue;
                };
                for field in FIELDS {
                    if let Some(v) = layer.get(*field) {
                        let text = match v {
                            serde_json::Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        fields.insert(*field, text);
                    }
                }
            }
            fields
        })
        .collect()
}

#[test]
fn json_fields_equal_tsharks() {
    if !have("tshark") {
        return;
    }
    for name in ["lo-mixed", "lo-ping", "any-sll-udp", "any-sll2-udp"] {
        let pcap = format!(
            "{}/../wire/tests/data/{name}.pcap",
            env!("CARGO_MANIFEST_DIR")
        );
        let theirs = tshark_fields(&pcap);
        let ours = our_fields(&pcap);
        assert_eq!(ours.len(), theirs.len(), "{name}: packet count");
        for (n, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            // tshark also reports the fields of an ICMP error's quoted packet; compare the
            // outer headers, which are the ones both report.
            for (field, value) in b {
                if let Some(mine) = a.get(field) {
                    assert_eq!(mine, value, "{name} packet {}: {field}", n + 1);
                }
            }
            for field in a.keys() {
                assert!(
                    b.contains_key(field),
                    "{name} packet {}: tshark has no {field}",
                    n + 1
                );
            }
        }
    }
}

/// `frame.number` is the frame's place in the file, as in Wireshark, not its place among the
/// packets a filter kept: lo-mixed.pcap starts with packets none of these filters keep.
#[test]
fn json_frame_numbers_with_a_filter_equal_tsharks() {
    if !have("tshark") {
        return;
    }
    let pcap = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../wire/tests/data/lo-mixed.pcap"
    );
    // Our capture filter, and tshark's display filter for the same packets.
    for (filter, display) in [("ip6", "ipv6"), ("icmp", "icmp"), ("udp", "udp && !icmp")] {
        let out = run(Command::new("tshark").args([
            "-n",
            "-r",
            pcap,
            "-Y",
            display,
            "-T",
            "fields",
            "-e",
            "frame.number",
        ]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let theirs: Vec<u64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| l.trim().parse().unwrap())
            .collect();
        let out = run(Command::new(BIN).args(["-r", pcap, "--json", filter]));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let ours: Vec<u64> = String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|line| {
                let packet: serde_json::Value = serde_json::from_str(line).unwrap();
                packet["frame"]["frame.number"].as_u64().unwrap()
            })
            .collect();
        assert!(!theirs.is_empty() && theirs[0] > 1, "{filter}: {theirs:?}");
        assert_eq!(ours, theirs, "frame.number of the packets '{filter}' keeps");
    }
}
