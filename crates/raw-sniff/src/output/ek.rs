//! `--json-ek`: the newline-delimited Elasticsearch bulk format `tshark -T ek` writes, so what
//! reads tshark's (an Elasticsearch or OpenSearch `_bulk` request, Logstash, a script) reads
//! raw-sniff's. Each packet is two lines: an index line
//! `{"index":{"_index":"packets-YYYY-MM-DD","_type":"doc"}}` (the date of the packet in local
//! time, as tshark takes it) and a document `{"timestamp":"<ms>","layers":{…}}`.
//!
//! A layer is an object keyed by Wireshark's protocol name; its fields are named as tshark
//! forms them, the layer, an underscore and the display-filter name with its dots turned into
//! underscores (`ip_ip_src`, `tcp_tcp_srcport`), and typed as tshark 4.0 types them: numbers
//! as strings (decimal, or `0x` and as many digits as the field's type has where Wireshark
//! shows it in hex), flags as `true`/`false`, bytes as colon-separated hex. A layer that
//! occurs more than once in a packet (several WebSocket frames) becomes an array of objects.
//! The WebSocket frames a packet completes are layers of its document, as tshark shows them.
//!
//! What Wireshark has no field for keeps raw-sniff's name in the same form
//! (`frame_frame_link_type`, `websocket_ws_flow`); where decoding stopped, a cut capture and the
//! datagram an ICMP error quotes are in a `raw_sniff` layer. Nothing is shortened.

use std::fmt::Write as _;
use std::io::{self, Write};

use serde_json::Value as Json;
use wire::field::Kind;
use wire::layout::{Field, Item, Role, Summary, Value};
use wire::pcap::Timestamp;
use wire::{ChecksumStatus, Decoded, Unverified};

use super::json::{string, tcp_len};
use super::values::show;
use super::{PacketNumber, Printer};
use crate::capture::CapturedFrame;
use crate::ws::WsEvent;

/// Prints each packet as an index line and a document line.
pub struct EkPrinter<W: Write> {
    out: W,
    /// The document of the last packet, kept open for the WebSocket layers it completes.
    pending: Option<Document>,
    /// Time of the last packet, for WebSocket events that come after its document was written.
    last_ts: Timestamp,
    /// The time zone the index date is taken in.
    zone: jiff::tz::TimeZone,
    text: String,
}

/// A packet's layers, in order, each as its key and the members of its object.
struct Document {
    ts: Timestamp,
    layers: Vec<(String, String)>,
}

impl<W: Write> EkPrinter<W> {
    /// A printer writing to `out`, dating index names in the system's time zone.
    pub fn new(out: W) -> Self {
        Self::with_zone(out, jiff::tz::TimeZone::system())
    }

    /// A printer dating index names in `zone`.
    pub fn with_zone(out: W, zone: jiff::tz::TimeZone) -> Self {
        EkPrinter {
            out,
            pending: None,
            last_ts: Timestamp { secs: 0, nanos: 0 },
            zone,
            text: String::with_capacity(8192),
        }
    }

    fn write_pending(&mut self) -> io::Result<()> {
        let Some(doc) = self.pending.take() else {
            return Ok(());
        };
        self.text.clear();
        write_document(&mut self.text, &doc, &self.zone);
        self.out.write_all(self.text.as_bytes())
    }
}

/// The two lines of a document.
fn write_document(out: &mut String, doc: &Document, zone: &jiff::tz::TimeZone) {
    let date = i64::try_from(doc.ts.secs)
        .ok()
        .and_then(|s| jiff::Timestamp::from_second(s).ok())
        .map(|t| zone.to_datetime(t).date());
    match date {
        Some(d) => {
            let _ = writeln!(
                out,
                "{{\"index\":{{\"_index\":\"packets-{:04}-{:02}-{:02}\",\"_type\":\"doc\"}}}}",
                d.year(),
                d.month(),
                d.day()
            );
        }
        None => out.push_str("{\"index\":{\"_index\":\"packets\",\"_type\":\"doc\"}}\n"),
    }
    let ms = u128::from(doc.ts.secs) * 1000 + u128::from(doc.ts.nanos / 1_000_000);
    let _ = write!(out, "{{\"timestamp\":\"{ms}\",\"layers\":{{");
    // Layers of one key together, in the order each key first came: one object, or an array.
    let mut first = true;
    for (i, (key, _)) in doc.layers.iter().enumerate() {
        if doc.layers[..i].iter().any(|(k, _)| k == key) {
            continue;
        }
        if !first {
            out.push(',');
        }
        first = false;
        string(out, key);
        out.push(':');
        let same: Vec<&String> = doc
            .layers
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, body)| body)
            .collect();
        if same.len() > 1 {
            out.push('[');
        }
        for (j, body) in same.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            out.push('{');
            out.push_str(body);
            out.push('}');
        }
        if same.len() > 1 {
            out.push(']');
        }
    }
    out.push_str("}}\n");
}

/// The layers of one packet, as `write_document` takes them.
fn packet_layers(n: u64, frame: &CapturedFrame<'_>, d: &Decoded<'_>) -> Vec<(String, String)> {
    let mut layers = Vec::with_capacity(6);
    let mut body = String::with_capacity(256);
    let _ = write!(
        body,
        "\"frame_frame_number\":\"{}\",\"frame_frame_time_epoch\":\"{}.{:09}\",\"frame_frame_len\":\"{}\",\"frame_frame_cap_len\":\"{}\",\"frame_frame_link_type\":",
        n,
        frame.ts.secs,
        frame.ts.nanos,
        frame.orig_len,
        frame.data.len()
    );
    string(&mut body, &frame.link.to_string());
    layers.push(("frame".to_owned(), body));

    let ipv6 = matches!(d.network, Some((_, wire::Network::Ipv6(_))));
    let unused = icmp_unused(d);
    let mut current: Option<(String, String, String)> = None; // key, body, option bytes
    let close = |current: &mut Option<(String, String, String)>,
                 layers: &mut Vec<(String, String)>| {
        if let Some((key, mut body, options)) = current.take() {
            if !options.is_empty() {
                member(&mut body, &key, &format!("{key}.options"));
                body.push('"');
                body.push_str(&options);
                body.push('"');
            }
            layers.push((key, body));
        }
    };
    d.walk(frame.checksums(), |item| match item {
        Item::Header(h) => {
            close(&mut current, &mut layers);
            // A key with a dot (`ipv6.ext`) takes an underscore, as tshark's layer keys do.
            current = Some((h.key.replace('.', "_"), String::new(), String::new()));
        }
        Item::Field(f) => match (&mut current, f.role) {
            (Some((key, body, _)), Role::Header) => {
                if key == "ipv6_ext" && body.is_empty() {
                    *key = extension_layer(f.def.name);
                }
                match (f.def.name, unused) {
                    // Bytes 4-7 of an ICMP message, where its type leaves them unused.
                    ("icmp.rest" | "icmpv6.rest", Some(name)) => {
                        member(body, key, name);
                        colon_hex(body, f.bytes);
                    }
                    _ => {
                        member(body, key, tshark_name(f.def.name));
                        value(body, &f);
                    }
                }
                if let Some(status) = f.checksum {
                    member(body, key, &format!("{}.status", f.def.name));
                    let _ = write!(body, "\"{}\"", status_number(&f, status, ipv6));
                }
            }
            (Some((_, _, options)), Role::Option) => {
                for b in f.bytes {
                    if !options.is_empty() {
                        options.push(':');
                    }
                    let _ = write!(options, "{b:02x}");
                }
            }
            _ => close(&mut current, &mut layers),
        },
        Item::Summary(Summary::Tcp { flags, payload_len }) => {
            if let Some((key, body, _)) = &mut current {
                member(body, key, "tcp.flags");
                let _ = write!(body, "\"0x{:04x}\"", flags.0);
                member(body, key, "tcp.flags.str");
                string(body, &flags_text(flags.0));
                member(body, key, "tcp.len");
                let _ = write!(body, "\"{}\"", tcp_len(d, payload_len));
            }
        }
    });
    close(&mut current, &mut layers);

    // raw-sniff's own layer: what stopped decoding, a cut capture, an ICMP error's quote.
    let mut own = String::new();
    if !d.payload.is_empty() && d.stop.is_none() {
        // tshark shows what a TCP or UDP header carries as tcp.payload or udp.payload (and
        // UDP's in a data layer too, unless a short capture stops it); other data in a layer
        // of its own.
        let carrier = match d.transport {
            Some((_, wire::Transport::Tcp(_))) => Some("tcp"),
            Some((_, wire::Transport::Udp(_))) => Some("udp"),
            _ => None,
        };
        // An ICMP error's data is the datagram it quotes, whose headers tshark dissects (its
        // data.data is the quoted datagram's payload): raw-sniff's own field, not data.
        let quoted = match d.transport {
            Some((_, wire::Transport::Icmpv4(p))) => p.quoted().is_some(),
            Some((_, wire::Transport::Icmpv6(p))) => p.quoted().is_some(),
            _ => false,
        };
        match layers
            .iter_mut()
            .rev()
            .find(|(k, _)| Some(k.as_str()) == carrier)
        {
            Some((key, body)) => {
                let key = key.clone();
                member(body, &key, &format!("{key}.payload"));
                colon_hex(body, d.payload);
            }
            None if quoted => {
                member(&mut own, "raw_sniff", "quoted");
                colon_hex(&mut own, d.payload);
            }
            None => {
                let mut body = String::new();
                member(&mut body, "data", "data.data");
                colon_hex(&mut body, d.payload);
                member(&mut body, "data", "data.len");
                let _ = write!(body, "\"{}\"", d.payload.len());
                layers.push(("data".to_owned(), body));
            }
        }
    }
    if let Some(stop) = &d.stop {
        member(&mut own, "raw_sniff", "error");
        string(&mut own, &stop.to_string());
        // The bytes from where decoding stopped: not data, as no header said what they are.
        if !d.payload.is_empty() {
            member(&mut own, "raw_sniff", "undecoded");
            colon_hex(&mut own, d.payload);
        }
    }
    if d.truncated {
        member(&mut own, "raw_sniff", "truncated");
        own.push_str("true");
    }
    if !own.is_empty() {
        layers.push(("raw_sniff".to_owned(), own));
    }
    layers
}

/// Starts a member of a layer's object: the field named as tshark's EK output names it.
fn member(body: &mut String, layer: &str, field: &str) {
    if !body.is_empty() {
        body.push(',');
    }
    body.push('"');
    body.push_str(layer);
    body.push('_');
    for c in field.chars() {
        body.push(if c == '.' { '_' } else { c });
    }
    body.push_str("\":");
}

fn colon_hex(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02x}");
    }
    out.push('"');
}

/// Hex digits tshark writes for a field it shows in hex: its type's width, which the bytes
/// the field touches do not always tell (a 20-bit flow label in 4 bytes is a 24-bit field).
fn hex_digits(f: &Field<'_>) -> usize {
    match f.def.name {
        "ipv6.flow" => 6,
        "ipv6.fragment.id" => 8,
        "ipv6.tclass" => 8,
        "ip.flags" | "ip.dsfield" | "websocket.rsv" => 2,
        _ => 2 * f.def.len,
    }
}

/// tshark 4.0's name for a field Wireshark renamed: the NS bit of RFC 3540 (now historic) is
/// AccECN's AE bit there.
fn tshark_name(name: &'static str) -> &'static str {
    match name {
        "tcp.flags.ns" => "tcp.flags.ae",
        // tshark's ipv6.fragment is the frame holding a fragment; the header is fraghdr.
        "ipv6.fragment.nxt" => "ipv6.fraghdr.nxt",
        "ipv6.fragment.reserved_octet" => "ipv6.fraghdr.reserved_octet",
        "ipv6.fragment.offset" => "ipv6.fraghdr.offset",
        "ipv6.fragment.reserved_bits" => "ipv6.fraghdr.reserved_bits",
        "ipv6.fragment.more" => "ipv6.fraghdr.more",
        "ipv6.fragment.id" => "ipv6.fraghdr.ident",
        other => other,
    }
}

/// tshark's name for bytes 4-7 of an ICMP message whose type leaves them unused
/// (destination unreachable but for "fragmentation needed", which holds the MTU, and time
/// exceeded); `None` where they hold something (raw-sniff then keeps its `*.rest`).
fn icmp_unused(d: &Decoded<'_>) -> Option<&'static str> {
    use wire::{icmpv4, icmpv6};
    match d.transport {
        Some((_, wire::Transport::Icmpv4(p))) => match p.msg_type() {
            icmpv4::Message::DstUnreachable if p.code() != 4 => Some("icmp.unused"),
            icmpv4::Message::TimeExceeded => Some("icmp.unused"),
            _ => None,
        },
        Some((_, wire::Transport::Icmpv6(p))) => match p.msg_type() {
            icmpv6::Message::DstUnreachable | icmpv6::Message::TimeExceeded => {
                Some("icmpv6.reserved")
            }
            _ => None,
        },
        _ => None,
    }
}

/// The layer of an IPv6 extension header, by its first field: tshark's protocol for that
/// kind of header (`ipv6.hopopts`, `ipv6.fraghdr`), with the dot as an underscore.
fn extension_layer(first_field: &'static str) -> String {
    let protocol = tshark_name(first_field)
        .rsplit_once('.')
        .map_or("ipv6.ext", |(protocol, _)| protocol);
    protocol.replace('.', "_")
}

/// Fields Wireshark shows in hex although their wire kind is a plain number.
fn shown_in_hex(name: &str) -> bool {
    matches!(
        name,
        "icmpv6.echo.identifier"
            | "ipv6.tclass"
            | "ipv6.fragment.id"
            | "ipv6.fragment.reserved_octet"
    )
}

/// Fields Wireshark shows in decimal although their wire kind reads in hex.
fn shown_in_decimal(name: &str) -> bool {
    matches!(name, "sll.hatype")
}

/// Fields Wireshark types as bytes although they are a number here.
fn shown_as_bytes(name: &str) -> bool {
    matches!(name, "sll.unused")
}

/// Fields Wireshark types as booleans although they are more than one bit here.
fn boolean(name: &str) -> bool {
    matches!(name, "tcp.flags.res")
}

/// A field's value as tshark's EK output types it.
fn value(out: &mut String, f: &Field<'_>) {
    let n = match f.value {
        Value::Number(n) => n,
        Value::Signed(n) => {
            let _ = write!(out, "\"{n}\"");
            return;
        }
        Value::Text(t) => {
            match std::str::from_utf8(t) {
                Ok(s) => string(out, s),
                Err(_) => string(out, &t.escape_ascii().to_string()),
            }
            return;
        }
        Value::Bytes(_) | Value::Ipv4Option(_) | Value::TcpOption(_) => {
            colon_hex(out, f.bytes);
            return;
        }
        _ => {
            string(out, &show(f));
            return;
        }
    };
    match f.def.kind {
        _ if shown_as_bytes(f.def.name) => colon_hex(out, f.bytes),
        _ if shown_in_decimal(f.def.name) => {
            let _ = write!(out, "\"{n}\"");
        }
        _ if boolean(f.def.name) => out.push_str(if n != 0 { "true" } else { "false" }),
        Kind::Flag => out.push_str(if n != 0 { "true" } else { "false" }),
        Kind::Hex
        | Kind::Checksum
        | Kind::Code { hex: true, .. }
        | Kind::LittleEndian { hex: true } => {
            let _ = write!(out, "\"0x{n:0width$x}\"", width = hex_digits(f));
        }
        _ if shown_in_hex(f.def.name) => {
            let _ = write!(out, "\"0x{n:0width$x}\"", width = hex_digits(f));
        }
        Kind::Units {
            unit,
            shown_in_bytes: true,
        } => {
            let _ = write!(out, "\"{}\"", n * u64::from(unit));
        }
        Kind::Scaled { .. } => {
            let _ = write!(out, "\"{}\"", f.def.kind.scaled(n).unwrap_or_default());
        }
        _ => {
            let _ = write!(out, "\"{n}\"");
        }
    }
}

/// The checksum verdict as Wireshark's `*.checksum.status` numbers it: 0 bad, 1 good,
/// 2 unverified, 3 not present, 4 illegal. A UDP checksum of zero is "none sent" over IPv4,
/// fragment or not, and not allowed over IPv6 (RFC 8200 §8.1), whatever else is known.
fn status_number(f: &Field<'_>, status: ChecksumStatus, ipv6: bool) -> u8 {
    if f.def.name == "udp.checksum" && f.value == Value::Number(0) {
        return if ipv6 { 4 } else { 3 };
    }
    match status {
        ChecksumStatus::Bad { .. } => 0,
        ChecksumStatus::Good => 1,
        ChecksumStatus::Unverified(Unverified::Absent) => 3,
        ChecksumStatus::Unverified(_) => 2,
    }
}

/// `tcp.flags.str` as Wireshark writes it: twelve places, the three reserved bits then
/// NS (AE), CWR, ECE, URG, ACK, PSH, RST, SYN and FIN, each a letter when set and `·` when not.
fn flags_text(bits: u16) -> String {
    "RRRNCEUAPRSF"
        .chars()
        .enumerate()
        .map(|(i, c)| if bits & (1 << (11 - i)) != 0 { c } else { '·' })
        .collect()
}

/// A WebSocket event as a layer: its JSON object's members renamed and typed as above.
fn ws_layer(event: &WsEvent) -> Option<(String, String)> {
    let object = super::ws::json(event, true);
    let (key, fields) = object.as_object()?.iter().next()?;
    let fields = fields.as_object()?;
    let mut body = String::new();
    for (name, v) in fields {
        // tshark leaves out what is absent, and a close frame's reason when there is none.
        if v.is_null() || (name == "websocket.payload.close.reason" && v == "") {
            continue;
        }
        member(&mut body, key, name);
        ws_value(&mut body, name, v);
    }
    Some((key.clone(), body))
}

fn ws_value(out: &mut String, name: &str, v: &Json) {
    match v {
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Number(n) if name == "websocket.rsv" => {
            let _ = write!(out, "\"0x{:02x}\"", n.as_u64().unwrap_or_default());
        }
        Json::Number(n) => {
            let _ = write!(out, "\"{n}\"");
        }
        Json::String(s)
            if matches!(
                name,
                "websocket.masking_key" | "ws.payload" | "ws.message.data"
            ) =>
        {
            // Hex without separators in JSON; bytes as tshark writes them here.
            out.push('"');
            for (i, pair) in s.as_bytes().chunks(2).enumerate() {
                if i > 0 {
                    out.push(':');
                }
                out.push_str(std::str::from_utf8(pair).unwrap_or_default());
            }
            out.push('"');
        }
        Json::String(s) => string(out, s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                ws_value(out, name, item);
            }
            out.push(']');
        }
        other => string(out, &other.to_string()),
    }
}

impl<W: Write> Printer for EkPrinter<W> {
    fn packet(
        &mut self,
        n: PacketNumber,
        frame: &CapturedFrame<'_>,
        d: &Decoded<'_>,
    ) -> io::Result<()> {
        self.write_pending()?;
        // Wireshark's frame.number is the frame's place in the capture.
        let layers = packet_layers(n.in_capture, frame, d);
        self.last_ts = frame.ts;
        self.pending = Some(Document {
            ts: frame.ts,
            layers,
        });
        Ok(())
    }

    fn ws(&mut self, event: &WsEvent, _full: bool) -> io::Result<()> {
        let Some(layer) = ws_layer(event) else {
            return Ok(());
        };
        match &mut self.pending {
            Some(doc) => doc.layers.push(layer),
            // Its packet's document is out already (the capture went idle, or it ended):
            // a document of its own, at the last packet's time.
            None => {
                self.pending = Some(Document {
                    ts: self.last_ts,
                    layers: vec![layer],
                });
                self.write_pending()?;
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.write_pending()?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_as_wiresharks() {
        assert_eq!(flags_text(0x018), "·······AP···");
        assert_eq!(flags_text(0x002), "··········S·");
        assert_eq!(flags_text(0xfff), "RRRNCEUAPRSF");
    }

    /// Two WebSocket layers of one packet make an array; the index date is the local one.
    #[test]
    fn documents_group_repeated_layers_and_date_the_index() {
        let doc = Document {
            ts: Timestamp {
                secs: 1_700_000_000,
                nanos: 250_000_000,
            },
            layers: vec![
                ("frame".into(), "\"frame_frame_number\":\"1\"".into()),
                (
                    "websocket".into(),
                    "\"websocket_websocket_opcode\":\"1\"".into(),
                ),
                (
                    "websocket".into(),
                    "\"websocket_websocket_opcode\":\"8\"".into(),
                ),
            ],
        };
        let mut out = String::new();
        write_document(
            &mut out,
            &doc,
            &jiff::tz::TimeZone::fixed(jiff::tz::offset(9)),
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines[0],
            r#"{"index":{"_index":"packets-2023-11-15","_type":"doc"}}"#
        );
        let v: Json = serde_json::from_str(lines[1]).unwrap();
        assert_eq!(v["timestamp"], "1700000000250");
        assert_eq!(
            v["layers"]["websocket"][1]["websocket_websocket_opcode"],
            "8"
        );
    }
}
