//! `--json-ek` against `tshark -T ek` on the same captures, built here: Ethernet with IPv4
//! and IPv6, TCP, UDP and ICMP, packets cut by the snap length, IPv4 fragments and a
//! WebSocket conversation. Every line must be JSON, index and document lines must alternate,
//! the index lines and timestamps must be tshark's, and every field raw-sniff writes under a
//! name Wireshark has must be in tshark's document of that packet with the same value.

mod common;
mod json_captures;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use common::BIN;
use json_captures::{
    cooked_packets, ip_packets, write_pcap, write_pcap_of, ws_conversation, TempDir,
};
use serde_json::Value;
use test_support::{have, run};
use wire::LinkType;

/// Both programs date the index in local time: a zone where the captures' day differs from
/// UTC's shows they agree on which.
const ZONE: &str = "Asia/Tokyo";

fn lines(cmd: &mut Command) -> Vec<String> {
    let out = run(cmd.env("TZ", ZONE));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

fn tshark_ek(pcap: &Path) -> Vec<String> {
    lines(
        Command::new("tshark")
            .args(["-n", "-r"])
            .arg(pcap)
            // As raw-sniff does: fragments dissected on their own, every checksum judged.
            .args(["-o", "ip.defragment:FALSE"])
            .args(["-o", "ipv6.defragment:FALSE"])
            .args(["-o", "ip.check_checksum:TRUE"])
            .args(["-o", "tcp.check_checksum:TRUE"])
            .args(["-o", "udp.check_checksum:TRUE"])
            .args(["-T", "ek"]),
    )
}

/// Wireshark's field names, in the form EK gives them (dots as underscores), and its
/// protocols' names, which are the layers' keys.
fn wireshark_names() -> (BTreeSet<String>, BTreeSet<String>) {
    let fields = lines(Command::new("tshark").args(["-G", "fields"]))
        .iter()
        .filter_map(|l| {
            let mut cols = l.split('\t');
            (cols.next() == Some("F")).then(|| cols.nth(1).unwrap_or("").replace('.', "_"))
        })
        .collect();
    let protocols = lines(Command::new("tshark").args(["-G", "protocols"]))
        .iter()
        .filter_map(|l| l.split('\t').nth(2).map(|p| p.replace('.', "_")))
        .collect();
    (fields, protocols)
}

/// Every field of tshark's document, subtrees and repeated layers included, with all its
/// values.
fn flatten(v: &Value, out: &mut BTreeMap<String, Vec<Value>>) {
    match v {
        Value::Object(m) => {
            for (k, v) in m {
                match v {
                    Value::Object(_) => flatten(v, out),
                    Value::Array(items) if items.iter().all(Value::is_object) => {
                        items.iter().for_each(|i| flatten(i, out))
                    }
                    Value::Array(items) => out.entry(k.clone()).or_default().extend(items.clone()),
                    other => out.entry(k.clone()).or_default().push(other.clone()),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|i| flatten(i, out)),
        _ => {}
    }
}

/// Checks the EK lines as a bulk request needs them, and returns (index, document) pairs.
fn documents(lines: &[String], who: &str) -> Vec<(Value, Value)> {
    assert!(lines.len() % 2 == 0, "{who}: an odd number of lines");
    lines
        .chunks(2)
        .map(|pair| {
            let index: Value = serde_json::from_str(&pair[0]).unwrap();
            let doc: Value = serde_json::from_str(&pair[1]).unwrap();
            assert!(
                index.get("index").is_some(),
                "{who}: not an index line: {}",
                pair[0]
            );
            assert!(
                doc.get("layers").is_some(),
                "{who}: not a document: {}",
                pair[1]
            );
            (index, doc)
        })
        .collect()
}

/// Compares one capture; returns the names compared (and how often) and raw-sniff's own.
fn compare(
    pcap: &Path,
    (fields, protocols): &(BTreeSet<String>, BTreeSet<String>),
) -> (BTreeMap<String, usize>, BTreeSet<String>) {
    let theirs = documents(&tshark_ek(pcap), "tshark");
    let ours = documents(
        &lines(Command::new(BIN).arg("-r").arg(pcap).arg("--json-ek")),
        "raw-sniff",
    );
    assert_eq!(ours.len(), theirs.len(), "{}: documents", pcap.display());
    let mut compared = BTreeMap::<String, usize>::new();
    let mut own = BTreeSet::new();
    let mut wrong = Vec::new();
    for (n, ((our_index, our_doc), (their_index, their_doc))) in
        ours.iter().zip(&theirs).enumerate()
    {
        let n = n + 1;
        assert_eq!(our_index, their_index, "packet {n}: index line");
        assert_eq!(
            our_doc["timestamp"], their_doc["timestamp"],
            "packet {n}: timestamp"
        );
        let mut their_fields = BTreeMap::new();
        flatten(&their_doc["layers"], &mut their_fields);
        for (layer, objects) in our_doc["layers"].as_object().unwrap() {
            let objects = match objects {
                Value::Array(items) => items.clone(),
                one => vec![one.clone()],
            };
            for object in &objects {
                for (name, value) in object.as_object().unwrap() {
                    let field = name
                        .strip_prefix(&format!("{layer}_"))
                        .unwrap_or_else(|| panic!("packet {n}: {name} lacks its layer prefix"));
                    if !protocols.contains(layer) || !fields.contains(field) {
                        own.insert(name.clone());
                        continue;
                    }
                    *compared.entry(name.clone()).or_default() += 1;
                    match their_fields.get(name) {
                        Some(values) if values.contains(value) => {}
                        Some(values) => {
                            wrong.push(format!("packet {n}: {name} = {value}, tshark {values:?}"))
                        }
                        None => {
                            wrong.push(format!("packet {n}: {name} = {value}, tshark has none"))
                        }
                    }
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{}:\n{}",
        pcap.display(),
        wrong.join("\n")
    );
    (compared, own)
}

#[test]
fn ek_lines_equal_tsharks_field_for_field() {
    if !have("tshark") {
        return;
    }
    let wireshark = wireshark_names();
    assert!(
        wireshark.0.contains("tcp_srcport"),
        "tshark -G fields lists no fields"
    );
    assert!(
        wireshark.1.contains("websocket"),
        "tshark -G protocols lists no protocols"
    );
    let dir = TempDir::new("ek");
    let mut own = BTreeSet::new();
    let mut compared = BTreeMap::new();
    for (name, link, frames) in [
        ("ip.pcap", LinkType::Ethernet, ip_packets()),
        ("ws.pcap", LinkType::Ethernet, ws_conversation()),
        ("cooked.pcap", LinkType::LinuxSll, cooked_packets()),
    ] {
        let pcap = dir.path(name);
        write_pcap_of(&pcap, link, &frames);
        let (seen, theirs_not) = compare(&pcap, &wireshark);
        compared.extend(seen);
        own.extend(theirs_not);
    }
    for name in [
        "frame_frame_time_epoch",
        "eth_eth_type",
        "ip_ip_frag_offset",
        "ip_ip_checksum_status",
        "ipv6_ipv6_flow",
        "ipv6_fraghdr_ipv6_fraghdr_offset",
        "ipv6_hopopts_ipv6_hopopts_nxt",
        "tcp_tcp_len",
        "tcp_tcp_flags_str",
        "tcp_tcp_options",
        "tcp_tcp_payload",
        "udp_udp_length",
        "udp_udp_checksum_status",
        "icmp_icmp_type",
        "icmpv6_icmpv6_echo_identifier",
        "icmp_icmp_unused",
        "icmpv6_icmpv6_reserved",
        "sll_sll_hatype",
        "sll_sll_unused",
        "data_data_len",
        "websocket_websocket_masking_key",
        "websocket_websocket_payload_length_ext_64",
        "websocket_websocket_payload_text",
        "websocket_websocket_payload_close_status_code",
    ] {
        assert!(compared.contains_key(name), "{name} never compared");
    }
    // What Wireshark has no field for keeps raw-sniff's own name: only these.
    let expected_own = [
        "frame_frame_link_type",
        "raw_sniff_truncated",
        "raw_sniff_error",
        "raw_sniff_undecoded",
        "raw_sniff_quoted",
        // The IPv4 options' bytes: tshark has a field per option, none for them all.
        "ip_ip_options",
    ];
    for name in &own {
        assert!(
            expected_own.contains(&name.as_str())
                || name.starts_with("websocket_ws_")
                || name.starts_with("websocket_handshake_")
                || name.starts_with("websocket_message_")
                || name.starts_with("websocket_note_")
                // An IPv6 extension header's options, as bytes: tshark has a field per option.
                || name.ends_with("_ipv6_ext_data"),
            "{name} is neither a Wireshark field nor one of raw-sniff's own"
        );
    }
}

/// `-T ek` and `--output json-ek` are `--json-ek`, `-T json` is `--json`; `--ws-only` has no
/// meaning for documents that carry their packet's WebSocket layers, and is refused.
#[test]
fn every_spelling_of_the_formats_gives_the_same_lines() {
    let dir = TempDir::new("ek-spellings");
    let pcap = dir.path("ws.pcap");
    write_pcap(&pcap, &ws_conversation());
    let with = |args: &[&str]| lines(Command::new(BIN).arg("-r").arg(&pcap).args(args));
    let ek = with(&["--json-ek"]);
    assert!(
        ek[0].starts_with(r#"{"index":{"_index":"packets-"#),
        "{}",
        ek[0]
    );
    assert_eq!(with(&["-T", "ek"]), ek);
    assert_eq!(with(&["--output", "json-ek"]), ek);
    assert_eq!(with(&["-T", "json"]), with(&["--json"]));
    for args in [&["--json-ek", "--ws-only"][..], &["-T", "ek", "--ws-only"]] {
        let out = run(Command::new(BIN).arg("-r").arg(&pcap).args(args));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?} was accepted");
        assert!(err.contains("--ws-only"), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}
