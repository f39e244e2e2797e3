//! `-v`: every header field of every layer, named as Wireshark names it, with its value and
//! the sentence that says what it is for.

use std::fmt::Write as _;
use std::io::{self, Write};

use wire::{ChecksumStatus, Decoded, FieldDef};

use super::layers::{layers, Layer};
use super::line::LinePrinter;
use super::values::{read, show};
use super::{Printer, Style};
use crate::capture::Frame;

pub struct VerbosePrinter<W: Write> {
    out: W,
    style: Style,
    /// The packet's summary line heads each block, as tcpdump -v prints it.
    line: LinePrinter<Vec<u8>>,
    text: String,
}

impl<W: Write> VerbosePrinter<W> {
    pub fn new(out: W, style: Style) -> Self {
        VerbosePrinter {
            out,
            style,
            line: LinePrinter::new(Vec::new(), style),
            text: String::with_capacity(4096),
        }
    }
}

/// The checksum verdict for a checksum field of `layer`, as the decoder judged it.
pub fn checksum_for(
    layer: &Layer<'_>,
    field: &FieldDef,
    frame: &Frame<'_>,
    d: &Decoded<'_>,
) -> Option<ChecksumStatus> {
    if !field.name.ends_with("checksum") {
        return None;
    }
    if layer.key == "ip" {
        return d.ip_checksum();
    }
    if frame.csum_not_ready {
        return Some(ChecksumStatus::Unverified(wire::Unverified::Offloaded));
    }
    d.transport_checksum()
}

impl<W: Write> Printer for VerbosePrinter<W> {
    fn packet(&mut self, n: u64, frame: &Frame<'_>, d: &Decoded<'_>) -> io::Result<()> {
        let s = self.style;
        self.text.clear();
        let summary = self.line.format(frame, d).to_owned();
        let _ = writeln!(
            self.text,
            "{}\n  packet {n}: {} bytes on the wire, {} captured, link type {}",
            summary,
            frame.orig_len,
            frame.data.len(),
            frame.link
        );
        for layer in layers(d) {
            let end = layer.offset + layer.bytes.len();
            let _ = writeln!(
                self.text,
                "  {} (bytes {}-{})",
                s.title(layer.title),
                layer.offset,
                end.saturating_sub(1)
            );
            for field in &layer.fields {
                let Some(bytes) = layer.field_bytes(field) else {
                    let _ = writeln!(
                        self.text,
                        "    {:<18} {} not captured",
                        field.label, field.name
                    );
                    continue;
                };
                let value = read(field, bytes);
                let checksum = checksum_for(&layer, field, frame, d);
                let _ = writeln!(
                    self.text,
                    "    {:<18} {} = {}",
                    field.label,
                    s.name(field.name),
                    show(field, &value, checksum)
                );
                let _ = writeln!(self.text, "    {:<18} {}", "", s.dim(field.meaning));
            }
        }
        if !d.payload.is_empty() {
            let _ = writeln!(
                self.text,
                "  {} (bytes {}-{}): {} bytes {}",
                s.title("Payload"),
                d.payload_offset,
                d.payload_offset + d.payload.len() - 1,
                d.payload.len(),
                super::quoted(d.payload, 64)
            );
        }
        if !d.trailer.is_empty() {
            let _ = writeln!(
                self.text,
                "  {}: {} bytes after the IP packet (Ethernet pads frames to 60 bytes)",
                s.title("Trailer"),
                d.trailer.len()
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
