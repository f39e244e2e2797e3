//! `-v`: every header field of every layer, named as Wireshark names it, with its value and
//! the sentence that says what it is for.

use std::fmt::Write as _;
use std::io::{self, Write};

use wire::layout::{Item, Role};
use wire::Decoded;

use super::line::LinePrinter;
use super::values::show;
use super::{PacketNumber, Printer, Style};
use crate::capture::CapturedFrame;

/// Prints every field of every header with its value and meaning (`-v`).
pub struct VerbosePrinter<W: Write> {
    out: W,
    style: Style,
    /// The packet's summary line heads each block, as tcpdump -v prints it.
    line: LinePrinter<Vec<u8>>,
    text: String,
}

impl<W: Write> VerbosePrinter<W> {
    /// A printer writing to `out` in `style`.
    pub fn new(out: W, style: Style) -> Self {
        VerbosePrinter {
            out,
            style,
            line: LinePrinter::new(Vec::new(), style),
            text: String::with_capacity(4096),
        }
    }
}

impl<W: Write> Printer for VerbosePrinter<W> {
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
        let summary = self.line.format(frame, d).to_owned();
        let _ = writeln!(
            self.text,
            "{}\n  packet {n}: {} bytes on the wire, {} captured, link type {}",
            summary,
            frame.orig_len,
            frame.data.len(),
            frame.link
        );
        let text = &mut self.text;
        d.walk(frame.checksums(), |item| match item {
            Item::Header(h) => {
                let end = h.offset + h.bytes.len();
                let _ = writeln!(
                    text,
                    "  {} (bytes {}-{})",
                    s.title(h.title),
                    h.offset,
                    end.saturating_sub(1)
                );
            }
            Item::Field(f) => match f.role {
                Role::Header | Role::Option => {
                    let _ = writeln!(
                        text,
                        "    {:<18} {} = {}",
                        f.def.label,
                        s.name(f.def.name),
                        show(&f)
                    );
                    let _ = writeln!(text, "    {:<18} {}", "", s.dim(f.def.meaning));
                }
                Role::Payload => {
                    let _ = writeln!(
                        text,
                        "  {} (bytes {}-{}): {} bytes {}",
                        s.title("Payload"),
                        f.def.at,
                        f.def.end() - 1,
                        f.bytes.len(),
                        super::quoted(f.bytes, 64)
                    );
                }
                Role::BeyondLength => {}
                Role::Trailer => {
                    let _ = writeln!(
                        text,
                        "  {}: {} bytes after the IP packet (Ethernet pads frames to 60 bytes)",
                        s.title("Trailer"),
                        f.bytes.len()
                    );
                }
            },
            Item::Summary(_) => {}
        });
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
