//! `-x/--explain`: the frame as hex, each run of bytes labelled with the header field it holds
//! and grouped by header, with a note on who strips each header off. This is the view of what
//! a raw socket hands over and a normal socket never shows.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::ops::Range;

use wire::layout::{Item, Role};
use wire::Decoded;

use super::values::{bit_picture, show};
use super::{PacketNumber, Printer, Style};
use crate::capture::CapturedFrame;

/// One labelled run of bytes, or a sub-byte field sharing the previous run's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// Absolute byte range; empty for a field sharing the bytes of the row above.
    pub bytes: Range<usize>,
    /// Layer title at the start of a layer, shown as a heading.
    pub heading: Option<String>,
    /// The field's label and Wireshark name, or what the bytes are.
    pub label: String,
    /// The field's value as shown, with its bits drawn for sub-byte fields.
    pub value: String,
}

/// Every byte of the frame in one row, in order, from wire's walk. The walk labels each byte
/// exactly once; the rows add a heading per header and name any bytes it does not describe.
pub fn rows(frame: &CapturedFrame<'_>, d: &Decoded<'_>) -> Vec<Row> {
    let mut rows = Vec::new();
    if d.link.is_none() && frame.link == wire::LinkType::Raw {
        rows.push(Row {
            heading: Some(
                "(no link header: a raw IP socket delivers packets from the IP header on)".into(),
            ),
            ..plain(0..0, "", "")
        });
    }
    // Bytes labelled so far, and where the current header's bytes end.
    let mut at = 0;
    let mut header_end = 0;
    let mut heading = None;
    d.walk(frame.checksums(), |item| match item {
        Item::Header(h) => {
            close_header(&mut rows, &mut at, header_end);
            if h.offset > at {
                rows.push(plain(at..h.offset, "bytes between headers", ""));
                at = h.offset;
            }
            heading = Some(format!("{}: {}", h.title, h.consumer));
            header_end = h.offset + h.bytes.len();
        }
        Item::Field(f) if matches!(f.role, Role::Header | Role::Option) => {
            let shares_bytes = f.def.at < at;
            if !shares_bytes && f.def.at > at {
                rows.push(Row {
                    heading: heading.take(),
                    ..plain(at..f.def.at, "(not described)", "")
                });
            }
            let mut shown = show(&f);
            if let Some(bits) = bit_picture(&f) {
                shown = format!("{shown}  {bits}");
            }
            rows.push(Row {
                bytes: if shares_bytes { at..at } else { f.def.range() },
                heading: heading.take(),
                label: format!("{:<22} {}", f.def.label, f.def.name),
                value: shown,
            });
            at = at.max(f.def.end());
        }
        Item::Field(f) => {
            close_header(&mut rows, &mut at, header_end);
            if f.def.at > at {
                rows.push(plain(at..f.def.at, "bytes not decoded", ""));
            }
            rows.push(match f.role {
                Role::Payload => Row {
                    heading: Some(format!(
                        "Payload: {} bytes, what the application reads",
                        f.bytes.len()
                    )),
                    ..plain(
                        f.def.range(),
                        if d.stop.is_some() {
                            "not decoded"
                        } else {
                            "payload"
                        },
                        &super::quoted(f.bytes, 32),
                    )
                },
                Role::Trailer => Row {
                    heading: Some(
                        "Trailer: after the IP packet's end (Ethernet pads frames to 60 bytes)"
                            .into(),
                    ),
                    ..plain(f.def.range(), "padding", "")
                },
                _ => plain(
                    f.def.range(),
                    &format!("{:<22} {}", f.def.label, f.def.name),
                    "",
                ),
            });
            at = f.def.end();
        }
        Item::Summary(_) => {}
    });
    close_header(&mut rows, &mut at, header_end);
    if d.frame.len() > at {
        rows.push(plain(at..d.frame.len(), "bytes not decoded", ""));
    }
    rows
}

/// Names the bytes of a header after its last described field (option data no table covers).
fn close_header(rows: &mut Vec<Row>, at: &mut usize, header_end: usize) {
    if header_end > *at {
        rows.push(plain(*at..header_end, "(option data)", ""));
        *at = header_end;
    }
}

fn plain(bytes: Range<usize>, label: &str, value: &str) -> Row {
    Row {
        bytes,
        heading: None,
        label: label.to_owned(),
        value: value.to_owned(),
    }
}

/// Prints each packet as a labelled hex dump (`-x`).
pub struct ExplainPrinter<W: Write> {
    out: W,
    style: Style,
    text: String,
}

impl<W: Write> ExplainPrinter<W> {
    /// A printer writing to `out` in `style`.
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
    fn packet(
        &mut self,
        n: PacketNumber,
        frame: &CapturedFrame<'_>,
        d: &Decoded<'_>,
    ) -> io::Result<()> {
        // Numbered among the matches, as tcpdump's `-#` numbers what it prints; JSON's
        // frame.number follows Wireshark instead and counts every frame of the capture.
        let n = n.matched;
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
    let hex = super::values::hex(bytes);
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

    fn frame(data: &[u8]) -> CapturedFrame<'_> {
        CapturedFrame {
            ts: wire::pcap::Timestamp { secs: 0, nanos: 0 },
            link: wire::LinkType::Ethernet,
            data,
            orig_len: data.len() as u32,
            csum_not_ready: false,
        }
    }

    /// ARP with other than Ethernet/IPv4 address sizes: the addresses are named as the walk
    /// names them, not left as "option data" after the fixed fields.
    #[test]
    fn arp_with_other_address_sizes_is_labelled() {
        let mut f = vec![0xff; 6];
        f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0x08, 0x06]);
        // Hardware type 6 (IEEE 802), 8-byte hardware addresses, 4-byte protocol addresses.
        f.extend_from_slice(&[0, 6, 0x08, 0x00, 8, 4, 0, 1]);
        f.extend_from_slice(&[0xaa; 24]);
        let rows = rows(&frame(&f), &wire::decode(wire::LinkType::Ethernet, &f));
        let labels: Vec<&str> = rows.iter().map(|r| r.label.as_str()).collect();
        assert!(
            labels.iter().any(|l| l.ends_with("arp.addresses")),
            "{labels:?}"
        );
        assert!(!labels.contains(&"(option data)"), "{labels:?}");
        let covered: usize = rows.iter().map(|r| r.bytes.len()).sum();
        assert_eq!(covered, f.len());
    }
}
