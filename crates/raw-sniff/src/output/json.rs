//! `--json`: one JSON object per packet and line, for jq and scripts. Each header is an object
//! keyed by Wireshark's protocol name (`eth`, `ip`, `tcp`) whose members are named after
//! Wireshark's display-filter fields (`ip.src`, `tcp.seq_raw`), so moving between the two is
//! easy. Options, which can repeat, are arrays under `<protocol>.options`.

use std::io::{self, Write};

use serde_json::{json, Map, Value as Json};
use wire::field::Kind;
use wire::layout::{Checksums, Field, Item, Role, Summary, Value};
use wire::{ChecksumStatus, Decoded};

use super::values::{hex, show};
use super::Printer;
use crate::capture::Frame;

pub struct JsonPrinter<W: Write> {
    out: W,
}

impl<W: Write> JsonPrinter<W> {
    pub fn new(out: W) -> Self {
        JsonPrinter { out }
    }
}

/// The JSON object for one packet.
pub fn packet_json(n: u64, frame: &Frame<'_>, d: &Decoded<'_>) -> Json {
    let mut packet = Map::new();
    packet.insert(
        "frame".into(),
        json!({
            "frame.number": n,
            "frame.time_epoch": format!("{}.{:09}", frame.ts.secs, frame.ts.nanos),
            "frame.len": frame.orig_len,
            "frame.cap_len": frame.data.len(),
            "frame.link_type": frame.link.to_string(),
        }),
    );
    let checksums = if frame.csum_not_ready {
        Checksums::TransportNotFilledIn
    } else {
        Checksums::Judge
    };
    // The header being filled: its key, its fields, and its options (which can repeat).
    let mut open: Option<(&'static str, Map<String, Json>, Vec<Json>)> = None;
    d.walk(checksums, |item| match item {
        Item::Header(h) => {
            close(&mut packet, open.take());
            open = Some((h.layer.key(), Map::new(), Vec::new()));
        }
        Item::Field(f) => {
            let Some((_, fields, options)) = open.as_mut() else {
                return;
            };
            match f.role {
                Role::Header => {
                    fields.insert(f.def.name.into(), value_json(&f));
                    if let Some(status) = f.checksum {
                        fields.insert(format!("{}.status", f.def.name), status_json(status));
                    }
                }
                Role::Option => options.push(json!({
                    "name": f.def.name,
                    "label": f.def.label,
                    "value": show(&f),
                    "bytes": hex(f.bytes),
                })),
                Role::Payload | Role::BeyondLength | Role::Trailer => {
                    close(&mut packet, open.take())
                }
            }
        }
        Item::Summary(Summary::Tcp { flags, payload_len }) => {
            if let Some((_, fields, _)) = open.as_mut() {
                fields.insert("tcp.flags".into(), json!(flags.0));
                fields.insert("tcp.flags.str".into(), json!(super::line::tcp_flags(flags)));
                fields.insert("tcp.len".into(), json!(payload_len));
            }
        }
    });
    close(&mut packet, open.take());
    if !d.payload.is_empty() {
        packet.insert(
            "data".into(),
            json!({ "data.len": d.payload.len(), "data.data": hex(d.payload) }),
        );
    }
    if let Some(stop) = &d.stop {
        packet.insert("error".into(), json!(stop.to_string()));
    }
    if d.truncated {
        packet.insert("truncated".into(), json!(true));
    }
    Json::Object(packet)
}

/// Puts a finished header's object into the packet under its key.
fn close(packet: &mut Map<String, Json>, header: Option<(&str, Map<String, Json>, Vec<Json>)>) {
    let Some((key, mut fields, options)) = header else {
        return;
    };
    if !options.is_empty() {
        fields.insert(format!("{key}.options"), Json::Array(options));
    }
    // A frame can hold two headers of one kind (IPv6 extension headers); keep both.
    let key = unique_key(packet, key);
    packet.insert(key, Json::Object(fields));
}

fn unique_key(map: &Map<String, Json>, key: &str) -> String {
    if !map.contains_key(key) {
        return key.to_owned();
    }
    (2..)
        .map(|i| format!("{key}#{i}"))
        .find(|k| !map.contains_key(k))
        .unwrap_or_default()
}

/// A field's value as JSON: numbers as numbers, in the unit Wireshark's field of the same
/// name uses, so the same name means the same number in both; anything else as text.
fn value_json(f: &Field<'_>) -> Json {
    match (f.value, f.def.kind) {
        (
            Value::Number(n),
            Kind::Units {
                unit,
                shown_in_bytes: true,
            },
        ) => json!(n * u32::from(unit)),
        (Value::Number(n), _) => json!(n),
        (Value::Bytes(_) | Value::Ipv4Option(_) | Value::TcpOption(_), _) => json!(hex(f.bytes)),
        _ => json!(show(f)),
    }
}

fn status_json(status: ChecksumStatus) -> Json {
    match status {
        ChecksumStatus::Good => json!("good"),
        ChecksumStatus::Bad { expected, .. } => json!(format!("bad, expected {expected:#06x}")),
        ChecksumStatus::Unverified(why) => json!(format!("unverified: {why}")),
    }
}

impl<W: Write> Printer for JsonPrinter<W> {
    fn packet(&mut self, n: u64, frame: &Frame<'_>, d: &Decoded<'_>) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &packet_json(n, frame, d))?;
        self.out.write_all(b"\n")
    }

    fn ws(&mut self, event: &crate::ws::WsEvent, full: bool) -> io::Result<()> {
        serde_json::to_writer(&mut self.out, &super::ws::json(event, full))?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
