//! `--json`: one JSON object per packet and line, for jq and scripts. Each header is an object
//! keyed by Wireshark's protocol name (`eth`, `ip`, `tcp`) whose members are named after
//! Wireshark's display-filter fields (`ip.src`, `tcp.seq_raw`), so moving between the two is
//! easy. Options, which can repeat, are arrays under `<protocol>.options`.
//!
//! The object is written straight from wire's walk into one reused buffer: building a
//! `serde_json::Value` tree first cost more than everything else the printer does.

use std::fmt::Write as _;
use std::io::{self, Write};

use wire::field::Kind;
use wire::layout::{Field, Item, Role, Summary, Value};
use wire::{ipv6, ChecksumStatus, Decoded, Network, Transport};

use super::values::{hex, show};
use super::{PacketNumber, Printer};
use crate::capture::CapturedFrame;

/// Prints each packet as one JSON object on its own line.
pub struct JsonPrinter<W: Write> {
    out: W,
    text: String,
}

impl<W: Write> JsonPrinter<W> {
    /// A printer writing to `out`.
    pub fn new(out: W) -> Self {
        JsonPrinter {
            out,
            text: String::with_capacity(4096),
        }
    }
}

/// Writes the JSON object for frame number `n` (its place in the capture) to `out`, without a
/// newline.
pub fn write_packet(out: &mut String, n: u64, frame: &CapturedFrame<'_>, d: &Decoded<'_>) {
    let _ = write!(
        out,
        "{{\"frame\":{{\"frame.number\":{n},\"frame.time_epoch\":\"{}.{:09}\",\"frame.len\":{},\"frame.cap_len\":{},\"frame.link_type\":",
        frame.ts.secs,
        frame.ts.nanos,
        frame.orig_len,
        frame.data.len()
    );
    string(out, &frame.link.to_string());
    out.push('}');
    let mut objects = Objects::default();
    d.walk(frame.checksums(), |item| match item {
        Item::Header(h) => objects.open(out, h.key),
        Item::Field(f) => match f.role {
            Role::Header if objects.is_open() => {
                objects.member(out, f.def.name);
                value(out, &f);
                if let Some(status) = f.checksum {
                    objects.member(out, &format!("{}.status", f.def.name));
                    string(out, &status_text(status));
                }
            }
            Role::Option if objects.is_open() => {
                let entry = &mut objects.options;
                entry.push(if entry.is_empty() { '[' } else { ',' });
                entry.push_str("{\"name\":");
                string(entry, f.def.name);
                entry.push_str(",\"label\":");
                string(entry, f.def.label);
                entry.push_str(",\"value\":");
                string(entry, &show(&f));
                entry.push_str(",\"bytes\":\"");
                entry.push_str(&hex(f.bytes));
                entry.push_str("\"}");
            }
            _ => objects.close(out),
        },
        Item::Summary(Summary::Tcp { flags, payload_len }) if objects.is_open() => {
            objects.member(out, "tcp.flags");
            let _ = write!(out, "{}", flags.0);
            objects.member(out, "tcp.flags.str");
            string(out, &super::line::tcp_flags(flags));
            objects.member(out, "tcp.len");
            let _ = write!(out, "{}", tcp_len(d, payload_len));
        }
        Item::Summary(_) => {}
    });
    objects.close(out);
    if !d.payload.is_empty() {
        let _ = write!(
            out,
            ",\"data\":{{\"data.len\":{},\"data.data\":\"{}\"}}",
            d.payload.len(),
            hex(d.payload)
        );
    }
    if let Some(stop) = &d.stop {
        out.push_str(",\"error\":");
        string(out, &stop.to_string());
    }
    if d.truncated {
        out.push_str(",\"truncated\":true");
    }
    out.push('}');
}

/// `tcp.len` as tshark computes it: the segment's length by the IP header's length fields,
/// less the TCP header. A capture cut short holds less than that; `captured` is what it holds,
/// and the answer when the IP header cannot say (an IPv6 jumbogram's zero payload length).
pub(super) fn tcp_len(d: &Decoded<'_>, captured: usize) -> usize {
    let Some((t_at, Transport::Tcp(t))) = &d.transport else {
        return captured;
    };
    let end = match &d.network {
        Some((at, Network::Ipv4(p))) => at + usize::from(p.total_len()),
        Some((at, Network::Ipv6(p))) if p.payload_len() > 0 => {
            at + ipv6::HEADER_LEN + usize::from(p.payload_len())
        }
        _ => return captured,
    };
    end.saturating_sub(t_at + t.header_len())
}

/// The header objects of one packet: which one is open, its options so far, and the keys
/// used, so a second header of one kind (IPv6 extension headers) gets `key#2`.
#[derive(Default)]
struct Objects {
    key: Option<&'static str>,
    members: usize,
    options: String,
    used: Vec<&'static str>,
}

impl Objects {
    fn is_open(&self) -> bool {
        self.key.is_some()
    }

    fn open(&mut self, out: &mut String, key: &'static str) {
        self.close(out);
        out.push(',');
        let seen = self.used.iter().filter(|k| **k == key).count();
        if seen == 0 {
            string(out, key);
        } else {
            string(out, &format!("{key}#{}", seen + 1));
        }
        out.push_str(":{");
        self.used.push(key);
        self.key = Some(key);
        self.members = 0;
    }

    fn member(&mut self, out: &mut String, name: &str) {
        if self.members > 0 {
            out.push(',');
        }
        self.members += 1;
        string(out, name);
        out.push(':');
    }

    fn close(&mut self, out: &mut String) {
        let Some(key) = self.key.take() else {
            return;
        };
        if !self.options.is_empty() {
            self.member(out, &format!("{key}.options"));
            out.push_str(&self.options);
            out.push(']');
            self.options.clear();
        }
        out.push('}');
    }
}

/// A field's value as JSON: numbers as numbers, in the unit Wireshark's field of the same
/// name uses, so the same name means the same number in both; anything else as text.
fn value(out: &mut String, f: &Field<'_>) {
    match (f.value, f.def.kind) {
        (
            Value::Number(n),
            Kind::Units {
                unit,
                shown_in_bytes: true,
            },
        ) => {
            let _ = write!(out, "{}", n * u64::from(unit));
        }
        (Value::Number(n), Kind::Scaled { .. }) => {
            let _ = write!(out, "{}", f.def.kind.scaled(n).unwrap_or_default());
        }
        (Value::Number(n), _) => {
            let _ = write!(out, "{n}");
        }
        (Value::Signed(n), _) => {
            let _ = write!(out, "{n}");
        }
        // Valid UTF-8 as the string it is; anything else with its odd bytes escaped.
        (Value::Text(t), _) => match std::str::from_utf8(t) {
            Ok(s) => string(out, s),
            Err(_) => string(out, &t.escape_ascii().to_string()),
        },
        (Value::Bytes(_) | Value::Ipv4Option(_) | Value::TcpOption(_), _) => {
            out.push('"');
            out.push_str(&hex(f.bytes));
            out.push('"');
        }
        _ => string(out, &show(f)),
    }
}

fn status_text(status: ChecksumStatus) -> String {
    match status {
        ChecksumStatus::Good => "good".to_owned(),
        ChecksumStatus::Bad { expected, .. } => format!("bad, expected {expected:#06x}"),
        ChecksumStatus::Unverified(why) => format!("unverified: {why}"),
    }
}

/// A JSON string, escaped as serde_json escapes it (quote, backslash and control characters;
/// everything else as is), so the bytes match what a serde_json writer would produce.
pub(super) fn string(out: &mut String, s: &str) {
    out.push('"');
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let escape = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{b:04x}");
        } else {
            out.push_str(escape);
        }
        start = i + 1;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

impl<W: Write> Printer for JsonPrinter<W> {
    fn packet(
        &mut self,
        n: PacketNumber,
        frame: &CapturedFrame<'_>,
        d: &Decoded<'_>,
    ) -> io::Result<()> {
        self.text.clear();
        // Wireshark's frame.number is the frame's place in the capture, not among the matches.
        write_packet(&mut self.text, n.in_capture, frame, d);
        self.text.push('\n');
        self.out.write_all(self.text.as_bytes())
    }

    fn ws(&mut self, event: &crate::ws::WsEvent, _full: bool) -> io::Result<()> {
        // JSON is read by programs, which want every byte: never shortened, `--ws-full` or not.
        serde_json::to_writer(&mut self.out, &super::ws::json(event, true))?;
        self.out.write_all(b"\n")
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written strings are what serde_json writes for every character class.
    #[test]
    fn strings_escape_as_serde_json_does() {
        let all: String = (0u32..0x100)
            .filter_map(char::from_u32)
            .chain("é→😀\"\\/".chars())
            .collect();
        let mut ours = String::new();
        string(&mut ours, &all);
        assert_eq!(ours, serde_json::to_string(&all).unwrap());
    }

    /// Every packet of the capture files becomes one object that serde_json reads back, with
    /// a header object per layer.
    #[test]
    fn packets_parse_as_json() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../wire/tests/data");
        let mut packets = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            let mut reader = wire::pcap::Reader::new(&bytes[..]).unwrap();
            while let Ok(Some(record)) = reader.next_packet() {
                let frame = CapturedFrame {
                    ts: record.ts,
                    link: record.link,
                    data: record.data,
                    orig_len: record.orig_len,
                    csum_not_ready: false,
                };
                let d = wire::decode(frame.link, frame.data);
                let mut text = String::new();
                write_packet(&mut text, 1, &frame, &d);
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert!(v["frame"]["frame.number"] == 1, "{text}");
                if d.network.is_some() {
                    assert!(v.get("ip").or(v.get("ipv6")).or(v.get("arp")).is_some());
                }
                packets += 1;
            }
        }
        assert!(packets > 20);
    }
}
