//! `--json`: one JSON object per packet and line, for jq and scripts. Each header is an object
//! keyed by Wireshark's protocol name (`eth`, `ip`, `tcp`) whose members are named after
//! Wireshark's display-filter fields (`ip.src`, `tcp.seq_raw`), so moving between the two is
//! easy. Options, which can repeat, are arrays under `<protocol>.options`.

use std::io::{self, Write};

use serde_json::{json, Map, Value as Json};
use wire::decode::Transport;
use wire::{ChecksumStatus, Decoded};

use super::layers::layers;
use super::values::{hex, read, show, Value};
use super::verbose::checksum_for;
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
    for layer in layers(d) {
        let mut fields = Map::new();
        let mut options = Vec::new();
        for (i, field) in layer.fields.iter().enumerate() {
            let Some(bytes) = layer.field_bytes(field) else {
                continue;
            };
            let value = read(field, bytes);
            if i < layer.fixed {
                fields.insert(field.name.into(), to_json(&as_wireshark(field.name, value)));
                if let Some(status) = checksum_for(&layer, field, frame, d) {
                    fields.insert(format!("{}.status", field.name), status_json(status));
                }
            } else {
                options.push(json!({
                    "name": field.name,
                    "label": field.label,
                    "value": show(field, &value, None),
                    "bytes": hex(bytes),
                }));
            }
        }
        if let Some(Transport::Tcp(tcp)) = d
            .transport
            .as_ref()
            .map(|(_, t)| t)
            .filter(|_| layer.key == "tcp")
        {
            fields.insert("tcp.flags".into(), json!(tcp.flags().0));
            fields.insert(
                "tcp.flags.str".into(),
                json!(super::line::tcp_flags(tcp.flags())),
            );
            fields.insert("tcp.len".into(), json!(d.payload.len()));
        }
        if !options.is_empty() {
            fields.insert(format!("{}.options", layer.key), Json::Array(options));
        }
        // A frame can hold two headers of one kind (IPv6 extension headers); keep both.
        let key = unique_key(&packet, layer.key);
        packet.insert(key, Json::Object(fields));
    }
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

fn unique_key(map: &Map<String, Json>, key: &str) -> String {
    if !map.contains_key(key) {
        return key.to_owned();
    }
    (2..)
        .map(|i| format!("{key}#{i}"))
        .find(|k| !map.contains_key(k))
        .unwrap_or_default()
}

/// Wireshark gives some fields in bytes where the header counts in larger units; the JSON
/// follows Wireshark so that the same name means the same number in both.
fn as_wireshark(name: &str, value: Value) -> Value {
    match (name, value) {
        ("ip.hdr_len" | "tcp.hdr_len", Value::Number(words)) => Value::Number(words * 4),
        ("ip.frag_offset", Value::Number(units)) => Value::Number(units * 8),
        (_, value) => value,
    }
}

fn to_json(value: &Value) -> Json {
    match value {
        Value::Number(n) => json!(n),
        other => json!(other.to_string()),
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
