//! The packet bytes under a line, as tcpdump prints them: `-x` in hex, `-X` in hex and ASCII,
//! `-A` in ASCII; each from the network layer on, or with the link header when doubled (`-xx`,
//! `-XX`, `-AA`).
//!
//! Hex lines start with a newline and a tab, then the offset (`0x0010:`), then up to eight
//! groups of two bytes; `-X` pads the groups to their full width and adds the bytes as ASCII,
//! a dot for each byte that is not printable. `-A` prints the bytes as they are, but a dot for
//! a byte that is neither printable nor white space, and leaves out the carriage return of a
//! CR LF pair.

use std::fmt::Write as _;

/// What to print under each line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Dump {
    /// Nothing (the default).
    #[default]
    None,
    /// `-x` / `-xx`: hex.
    Hex {
        /// Include the link header (`-xx`).
        link: bool,
    },
    /// `-X` / `-XX`: hex and ASCII.
    HexAscii {
        /// Include the link header (`-XX`).
        link: bool,
    },
    /// `-A` / `-AA`: ASCII.
    Ascii {
        /// Include the link header (`-AA`).
        link: bool,
    },
}

/// Bytes per hex line.
const PER_LINE: usize = 16;
/// Width of a full line's hex groups: eight times a space and four digits.
const HEX_WIDTH: usize = 40;

impl Dump {
    /// Whether the dump starts at the frame's first byte rather than after the link header.
    fn with_link(self) -> bool {
        matches!(
            self,
            Dump::Hex { link: true } | Dump::HexAscii { link: true } | Dump::Ascii { link: true }
        )
    }

    /// Appends to `out` the dump of `frame` (the captured bytes), whose link header takes its
    /// first `link_len` bytes. Without the link header and nothing after it, nothing.
    pub fn write(self, out: &mut String, frame: &[u8], link_len: usize) {
        let bytes = if self.with_link() {
            frame
        } else {
            match frame.get(link_len..) {
                Some(rest) if !rest.is_empty() => rest,
                _ => return,
            }
        };
        match self {
            Dump::None => {}
            Dump::Hex { .. } => hex(out, bytes),
            Dump::HexAscii { .. } => hex_ascii(out, bytes),
            Dump::Ascii { .. } => ascii(out, bytes),
        }
    }
}

/// tcpdump's `-x`: offsets and groups of two bytes, the last group of an odd length alone.
fn hex(out: &mut String, bytes: &[u8]) {
    for (n, chunk) in bytes.chunks(PER_LINE).enumerate() {
        let _ = write!(out, "\n\t0x{:04x}: ", n * PER_LINE);
        for pair in chunk.chunks(2) {
            let _ = match pair {
                [a, b] => write!(out, " {a:02x}{b:02x}"),
                [a] => write!(out, " {a:02x}"),
                _ => Ok(()),
            };
        }
    }
}

/// tcpdump's `-X`: as `-x`, the hex padded to full width, then two spaces and the bytes as
/// ASCII.
fn hex_ascii(out: &mut String, bytes: &[u8]) {
    for (n, chunk) in bytes.chunks(PER_LINE).enumerate() {
        let mut groups = String::with_capacity(HEX_WIDTH);
        for pair in chunk.chunks(2) {
            let _ = match pair {
                [a, b] => write!(groups, " {a:02x}{b:02x}"),
                [a] => write!(groups, " {a:02x}"),
                _ => Ok(()),
            };
        }
        let text: String = chunk
            .iter()
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
            .collect();
        let _ = write!(
            out,
            "\n\t0x{:04x}: {groups:<HEX_WIDTH$}  {text}",
            n * PER_LINE
        );
    }
}

/// tcpdump's `-A`: a newline, then the bytes themselves where printable or white space.
fn ascii(out: &mut String, bytes: &[u8]) {
    out.push('\n');
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'\r' {
            // tcpdump drops a CR before a line feed and near the end, and dots the others.
            let left = bytes.len() - i - 1;
            if left > 1 && bytes[i + 1] != b'\n' {
                out.push('.');
            }
        } else if b.is_ascii_graphic() || matches!(b, b'\t' | b' ' | b'\n') {
            out.push(b as char);
        } else {
            out.push('.');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dump(d: Dump, bytes: &[u8], link_len: usize) -> String {
        let mut out = String::new();
        d.write(&mut out, bytes, link_len);
        out
    }

    #[test]
    fn hex_groups_two_bytes_and_starts_after_the_link_header() {
        let bytes: Vec<u8> = (0u8..19).collect();
        assert_eq!(
            dump(Dump::Hex { link: false }, &bytes, 2),
            "\n\t0x0000:  0203 0405 0607 0809 0a0b 0c0d 0e0f 1011\n\t0x0010:  12"
        );
        assert_eq!(dump(Dump::Hex { link: false }, &bytes[..2], 2), "");
        assert!(dump(Dump::Hex { link: true }, &bytes, 2).starts_with("\n\t0x0000:  0001"));
    }

    #[test]
    fn hex_ascii_pads_the_last_line() {
        assert_eq!(
            dump(Dump::HexAscii { link: true }, b"Hi!\x00", 0),
            format!("\n\t0x0000:  4869 2100{}  Hi!.", " ".repeat(30))
        );
    }

    #[test]
    fn ascii_drops_cr_before_lf() {
        assert_eq!(
            dump(Dump::Ascii { link: true }, b"a\r\nb\rc\x01d", 0),
            "\na\nb.c.d"
        );
    }
}
