//! `-x/--explain`: the frame as hex, each run of bytes labelled with the header field it holds
//! and grouped by header, with a note on who strips each header off. This is the view of what
//! a raw socket hands over and a normal socket never shows.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;

use wire::Decoded;

use super::layers::{layers, Layer};
use super::values::{bit_picture, hex, read, show};
use super::verbose::checksum_for;
use super::{Printer, Style};
use crate::capture::Frame;

/// One labelled run of bytes, or a sub-byte field sharing the previous run's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Absolute byte range; empty for a field sharing the bytes of the row above.
    pub bytes: Range<usize>,
    /// Layer title at the start of a layer, shown as a heading.
    pub heading: Option<String>,
    pub label: String,
    pub value: String,
}

/// Every byte of the frame in exactly one row, in order.
pub fn rows(frame: &Frame<'_>, d: &Decoded<'_>) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut at = 0;
    if d.link.is_none() && frame.link == wire::LinkType::Raw {
        rows.push(Row {
            bytes: 0..0,
            heading: Some(
                "(no link header: a raw IP socket delivers packets from the IP header on)".into(),
            ),
            label: String::new(),
            value: String::new(),
        });
    }
    for layer in layers(d) {
        if layer.offset > at {
            rows.push(plain(at..layer.offset, "bytes between headers", ""));
        }
        layer_rows(&layer, frame, d, &mut rows);
        at = at.max(layer.offset + layer.bytes.len());
    }
    let payload = d.payload_offset..d.payload_offset + d.payload.len();
    if !payload.is_empty() && payload.start >= at {
        if payload.start > at {
            rows.push(plain(at..payload.start, "bytes not decoded", ""));
        }
        let what = if d.stop.is_some() {
            "not decoded"
        } else {
            "payload"
        };
        rows.push(Row {
            heading: Some(format!(
                "Payload: {} bytes, what the application reads",
                d.payload.len()
            )),
            ..plain(payload.clone(), what, &super::quoted(d.payload, 32))
        });
        at = payload.end;
    }
    let trailer_start = d.frame.len() - d.trailer.len();
    if trailer_start > at {
        rows.push(plain(at..trailer_start, "bytes not decoded", ""));
        at = trailer_start;
    }
    if !d.trailer.is_empty() {
        rows.push(Row {
            heading: Some(
                "Trailer: after the IP packet's end (Ethernet pads frames to 60 bytes)".into(),
            ),
            ..plain(at..d.frame.len(), "padding", "")
        });
    }
    rows
}

fn plain(bytes: Range<usize>, label: &str, value: &str) -> Row {
    Row {
        bytes,
        heading: None,
        label: label.to_owned(),
        value: value.to_owned(),
    }
}

fn layer_rows(layer: &Layer<'_>, frame: &Frame<'_>, d: &Decoded<'_>, rows: &mut Vec<Row>) {
    let base = layer.offset;
    let captured = layer.bytes.len();
    let mut covered = 0;
    let mut heading = Some(format!("{}: {}", layer.title, layer.consumer));
    for field in &layer.fields {
        let shares_bytes = field.at < covered;
        if !shares_bytes && field.at.min(captured) > covered {
            rows.push(Row {
                heading: heading.take(),
                ..plain(
                    base + covered..base + field.at.min(captured),
                    "(not described)",
                    "",
                )
            });
            covered = field.at.min(captured);
        }
        let Some(bytes) = layer.field_bytes(field) else {
            // The capture ends inside this field: label what is there and stop.
            if !shares_bytes && field.at < captured {
                rows.push(Row {
                    heading: heading.take(),
                    ..plain(
                        base + field.at..base + captured,
                        field.name,
                        "(cut off by the capture)",
                    )
                });
                covered = captured;
            }
            continue;
        };
        let value = read(field, bytes);
        let mut shown = show(field, &value, checksum_for(layer, field, frame, d));
        if let Some(bits) = bit_picture(field, bytes) {
            shown = format!("{shown}  {bits}");
        }
        let range = if shares_bytes {
            base..base
        } else {
            base + field.at..base + field.end()
        };
        rows.push(Row {
            bytes: range,
            heading: heading.take(),
            label: format!("{:<22} {}", field.label, field.name),
            value: shown,
        });
        covered = covered.max(field.end());
    }
    if captured > covered {
        rows.push(plain(base + covered..base + captured, "(option data)", ""));
    }
}

pub struct ExplainPrinter<W: Write> {
    out: W,
    style: Style,
    text: String,
}

impl<W: Write> ExplainPrinter<W> {
    pub fn new(out: W, style: Style) -> Self {
        ExplainPrinter {
            out,
            style,
            text: String::with_capacity(8192),
        }
    }
}

/// Bytes shown on one line of the dump; longer runs continue on the lines below.
const PER_LINE: usize = 16;
/// Lines shown for one run (a large payload) before the rest is summarised.
const MAX_LINES: usize = 4;

impl<W: Write> Printer for ExplainPrinter<W> {
    fn packet(&mut self, n: u64, frame: &Frame<'_>, d: &Decoded<'_>) -> io::Result<()> {
        let s = self.style;
        self.text.clear();
        let _ = writeln!(
            self.text,
            "packet {n}: {} bytes captured, link type {}",
            frame.data.len(),
            frame.link
        );
        for row in rows(frame, d) {
            if let Some(heading) = &row.heading {
                let _ = writeln!(self.text, "  {}", s.title(heading));
            }
            let bytes = &frame.data[row.bytes.clone()];
            if bytes.is_empty() && row.label.is_empty() {
                continue;
            }
            let mut chunks = bytes.chunks(PER_LINE);
            let first = chunks.next().unwrap_or(&[]);
            let offset = if bytes.is_empty() {
                String::new()
            } else {
                format!("{:>5}", row.bytes.start)
            };
            let _ = writeln!(
                self.text,
                "  {offset:>5}  {:<47}  {}  {}",
                spaced(first),
                s.name(&format!("{:<40}", row.label)),
                row.value
            );
            for (i, chunk) in chunks.enumerate() {
                if i + 1 == MAX_LINES {
                    let rest = bytes.len() - PER_LINE * MAX_LINES;
                    let _ = writeln!(self.text, "  {:>5}  … {rest} more bytes", "");
                    break;
                }
                let _ = writeln!(
                    self.text,
                    "  {:>5}  {}",
                    row.bytes.start + PER_LINE * (i + 1),
                    spaced(chunk)
                );
            }
        }
        if let Some(stop) = &d.stop {
            let _ = writeln!(
                self.text,
                "  {}",
                s.warn(&format!("decoding stopped: {stop}"))
            );
        }
        self.text.push('\n');
        self.out.write_all(self.text.as_bytes())
    }

    fn ws(&mut self, event: &crate::ws::WsEvent, full: bool) -> io::Result<()> {
        writeln!(self.out, "{}", super::ws::line(event, full))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn spaced(bytes: &[u8]) -> String {
    let hex = hex(bytes);
    let mut out = String::with_capacity(bytes.len() * 3);
    for (i, pair) in hex.as_bytes().chunks(2).enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(std::str::from_utf8(pair).unwrap_or("??"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte of every packet of the capture files is in exactly one row.
    #[test]
    fn every_byte_is_labelled_exactly_once() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../wire/tests/data");
        let mut packets = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let file = std::fs::File::open(&path).unwrap();
            let mut reader = wire::pcap::Reader::new(std::io::BufReader::new(file)).unwrap();
            while let Ok(Some(record)) = reader.next_packet() {
                let frame = Frame {
                    ts: record.ts,
                    link: record.link,
                    data: record.data,
                    orig_len: record.orig_len,
                    csum_not_ready: false,
                };
                let d = wire::decode(frame.link, frame.data);
                let mut next = 0;
                for row in rows(&frame, &d) {
                    if row.bytes.is_empty() {
                        continue;
                    }
                    assert_eq!(
                        row.bytes.start,
                        next,
                        "{}: gap or overlap at {next}: {row:?}",
                        path.display()
                    );
                    next = row.bytes.end;
                }
                assert_eq!(
                    next,
                    frame.data.len(),
                    "{}: bytes after {next} unlabelled",
                    path.display()
                );
                packets += 1;
            }
        }
        assert!(packets > 20);
    }

    /// Damaged frames are labelled too: cut anywhere, nothing is lost or counted twice.
    #[test]
    fn cut_frames_are_labelled_exactly_once() {
        let file = std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../wire/tests/data/lo-mixed.pcap"
        ))
        .unwrap();
        let mut reader = wire::pcap::Reader::new(&file[..]).unwrap();
        while let Ok(Some(record)) = reader.next_packet() {
            for cut in 0..=record.data.len() {
                let data = &record.data[..cut];
                let frame = Frame {
                    ts: record.ts,
                    link: record.link,
                    data,
                    orig_len: record.orig_len,
                    csum_not_ready: false,
                };
                let d = wire::decode(frame.link, data);
                let mut next = 0;
                for row in rows(&frame, &d) {
                    if row.bytes.is_empty() {
                        continue;
                    }
                    assert_eq!(row.bytes.start, next, "cut at {cut}: {row:?}");
                    next = row.bytes.end;
                }
                assert_eq!(next, cut, "cut at {cut}");
            }
        }
    }
}
