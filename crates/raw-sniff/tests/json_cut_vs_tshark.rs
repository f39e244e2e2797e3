//! `--json` values against tshark's `-T json` on hand-made packets that a plain capture of
//! real traffic rarely holds: fragments, and packets cut short by the snap length (captured
//! length below the length on the wire), where the lengths to report are the headers' own.

mod common;
mod json_captures;

use std::collections::BTreeMap;
use std::process::Command;

use common::BIN;
use json_captures::{ip_packets, write_pcap, TempDir};
use serde_json::Value;
use test_support::{have, run};

/// Every `name.with.dots: value` of tshark's `-T json` packet, subtrees included; a name
/// that occurs more than once keeps its first value, as the outer header comes first.
fn flatten(v: &Value, out: &mut BTreeMap<String, String>) {
    if let Value::Object(m) = v {
        for (k, v) in m {
            match v {
                Value::String(s) => {
                    out.entry(k.clone()).or_insert_with(|| s.clone());
                }
                other => flatten(other, out),
            }
        }
    }
}

fn tshark_packets(pcap: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let out = run(Command::new("tshark")
        .args(["-n", "-r"])
        .arg(pcap)
        // raw-sniff does not reassemble IP fragments: each is dissected on its own.
        .args(["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"])
        .args(["-T", "json"]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let all: Value = serde_json::from_slice(&out.stdout).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let mut m = BTreeMap::new();
            flatten(&p["_source"]["layers"], &mut m);
            m
        })
        .collect()
}

/// Our header fields with a number or text value, by name, as text.
fn our_packets(pcap: &std::path::Path) -> Vec<BTreeMap<String, String>> {
    let out = run(Command::new(BIN).arg("-r").arg(pcap).arg("--json"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let p: Value = serde_json::from_str(l).unwrap();
            let mut m = BTreeMap::new();
            for (layer, fields) in p.as_object().unwrap() {
                let (Some(fields), false) = (fields.as_object(), layer.contains('#')) else {
                    continue;
                };
                for (k, v) in fields {
                    let text = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        _ => continue,
                    };
                    m.insert(k.clone(), text);
                }
            }
            m
        })
        .collect()
}

/// tshark's value as ours is written: hex numbers in decimal, bytes without colons.
fn normalise(value: &str) -> String {
    if let Some(hex) = value.strip_prefix("0x") {
        if let Ok(n) = u64::from_str_radix(hex, 16) {
            return n.to_string();
        }
    }
    if value.len() > 2
        && value
            .split(':')
            .all(|b| b.len() == 2 && u8::from_str_radix(b, 16).is_ok())
    {
        return value.replace(':', "");
    }
    value.to_owned()
}

/// Fields whose value raw-sniff words its own way under tshark's name: the checksum verdict
/// (tshark gives a status number) and the flags string (tcpdump's letters).
const WORDED_APART: &[&str] = &["tcp.flags.str"];

#[test]
fn lengths_and_offsets_of_cut_packets_and_fragments_equal_tsharks() {
    if !have("tshark") {
        return;
    }
    let dir = TempDir::new("json-cut");
    let pcap = dir.path("ip.pcap");
    write_pcap(&pcap, &ip_packets());
    let theirs = tshark_packets(&pcap);
    let ours = our_packets(&pcap);
    assert_eq!(ours.len(), theirs.len());
    let mut compared = BTreeMap::<String, usize>::new();
    let mut wrong = Vec::new();
    for (n, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        // An ICMP error's data is, for raw-sniff, the datagram it quotes; tshark dissects that
        // datagram and calls only its payload data.
        let icmp_error = a.get("icmp.type").is_some_and(|t| t == "3")
            || a.get("icmpv6.type").is_some_and(|t| t == "1");
        for (field, mine) in a {
            if WORDED_APART.contains(&field.as_str()) || field.ends_with(".status") {
                continue;
            }
            if icmp_error && field.starts_with("data.") {
                continue;
            }
            if let Some(value) = b.get(field) {
                *compared.entry(field.clone()).or_default() += 1;
                if *mine != *value && *mine != normalise(value) {
                    wrong.push(format!(
                        "packet {}: {field} = {mine}, tshark {value}",
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for field in [
        "ip.len",
        "ip.frag_offset",
        "tcp.len",
        "udp.length",
        "ipv6.plen",
        "icmp.type",
    ] {
        assert!(
            compared.contains_key(field),
            "{field} never compared: {compared:?}"
        );
    }
}
