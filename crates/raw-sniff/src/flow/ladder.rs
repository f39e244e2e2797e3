//! A TCP conversation drawn as a ladder: the client's line on the left, the server's on the
//! right, one arrow per segment from sender to receiver in time order, the time at the left
//! edge. What a learner reads in words elsewhere (the handshake, data and its
//! acknowledgments, a window that shrinks, a retransmission, the FINs or a reset) shows as a
//! shape here.

use std::fmt::Write as _;

use wire::tcp::Flags;

use super::track::{Conversation, Ending, Seg, Side};
use crate::style::Style;

/// Columns before the client's line: the time in seconds and a space.
const TIME_COLUMNS: usize = 11;

/// The narrowest drawing: a narrower terminal gets lines that wrap.
pub const MIN_WIDTH: usize = 40;

/// The characters a drawing is made of.
#[derive(Debug, Clone, Copy)]
pub struct Glyphs {
    bar: char,
    line: char,
    /// The line of an arrow that carries a retransmission.
    again: char,
    right: char,
    left: char,
    /// Stands for what was cut off the end of a line too long for the drawing.
    more: &'static str,
}

impl Glyphs {
    /// Box-drawing lines and triangles.
    pub const UNICODE: Glyphs = Glyphs {
        bar: '│',
        line: '─',
        again: '╌',
        right: '▶',
        left: '◀',
        more: "…",
    };

    /// Only ASCII, for a terminal or font without the box-drawing characters.
    pub const ASCII: Glyphs = Glyphs {
        bar: '|',
        line: '-',
        again: '~',
        right: '>',
        left: '<',
        more: "...",
    };
}

/// How to draw.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    /// Columns of the whole drawing (at least [`MIN_WIDTH`]).
    pub width: usize,
    /// Which characters.
    pub glyphs: Glyphs,
    /// Colours or not.
    pub style: Style,
}

/// Flag names in Wireshark's order and words: `SYN, ACK`, `FIN, PSH, ACK`.
pub fn flag_names(flags: Flags) -> String {
    const NAMES: [(Flags, &str); 9] = [
        (Flags::FIN, "FIN"),
        (Flags::SYN, "SYN"),
        (Flags::RST, "RST"),
        (Flags::PSH, "PSH"),
        (Flags::ACK, "ACK"),
        (Flags::URG, "URG"),
        (Flags::ECE, "ECE"),
        (Flags::CWR, "CWR"),
        (Flags::NS, "NS"),
    ];
    let names: Vec<&str> = NAMES
        .iter()
        .filter(|(f, _)| flags.contains(*f))
        .map(|(_, n)| *n)
        .collect();
    if names.is_empty() {
        "no flags".to_owned()
    } else {
        names.join(", ")
    }
}

/// The words on a segment's arrow: flags, relative numbers, length, and the window in bytes
/// (scaled, once the SYNs agreed a scale) where it is news: on a SYN, and whenever it
/// changed.
pub fn label(seg: &Seg) -> String {
    let mut s = flag_names(seg.flags);
    let _ = write!(s, " seq={}", seg.seq);
    if let Some(ack) = seg.ack {
        let _ = write!(s, " ack={ack}");
    }
    if seg.len > 0 {
        let _ = write!(s, " len={}", seg.len);
    }
    if seg.flags.contains(Flags::SYN) || seg.win_changed {
        let _ = write!(s, " win={}", seg.win_bytes);
    }
    if let Some(mss) = seg.mss {
        let _ = write!(s, " mss={mss}");
    }
    if let Some(ws) = seg.wscale {
        let _ = write!(s, " wscale={ws}");
    }
    for (l, r) in &seg.sack {
        let _ = write!(s, " sack={l}-{r}");
    }
    s
}

fn width_of(s: &str) -> usize {
    s.chars().count()
}

/// `s` cut to `max` characters, ending in `more` when anything was cut.
fn fit(s: &str, max: usize, more: &str) -> String {
    if width_of(s) <= max {
        return s.to_owned();
    }
    let keep = max.saturating_sub(width_of(more));
    let mut out: String = s.chars().take(keep).collect();
    out.push_str(more);
    out
}

/// The whole drawing of one conversation, every line ending in a newline.
pub fn draw(c: &Conversation, look: &Look) -> String {
    let width = look.width.max(MIN_WIDTH);
    let inner = width - TIME_COLUMNS - 2;
    let g = look.glyphs;
    let s = look.style;
    let mut out = String::new();
    let how = if c.by_syn {
        "the client sent the SYN"
    } else {
        "no SYN captured: the client sent the first packet"
    };
    let _ = writeln!(
        out,
        "{}",
        s.title(&format!(
            "TCP stream {}: {} {} {} ({how})",
            c.stream,
            c.client,
            if g.bar == '|' { "->" } else { "→" },
            c.server
        ))
    );
    let gap = (inner + 2).saturating_sub("client".len() + "server".len());
    let _ = writeln!(
        out,
        "{:>w$} client{}server",
        "time",
        " ".repeat(gap),
        w = TIME_COLUMNS - 1
    );
    for seg in &c.segments {
        draw_segment(&mut out, seg, inner, look);
    }
    if c.omitted > 0 {
        let _ = writeln!(
            out,
            "{:w$}{}",
            "",
            s.warn(&format!(
                "{} more segments not drawn: a drawing keeps the first {}",
                c.omitted, c.cap
            )),
            w = TIME_COLUMNS
        );
    }
    let end = match c.ending {
        Some(Ending::Fin) => "closed: both sides sent FIN and both FINs were acknowledged".into(),
        Some(Ending::Reset(Side::Client)) => "reset by the client".into(),
        Some(Ending::Reset(Side::Server)) => "reset by the server".into(),
        None => "still open when the capture ended".to_owned(),
    };
    let mut totals = format!(
        "{} segments, {} bytes client→server, {} bytes server→client",
        c.total,
        c.bytes_from(Side::Client),
        c.bytes_from(Side::Server)
    );
    if g.bar == '|' {
        totals = totals.replace('→', "->");
    }
    if c.retransmissions > 0 {
        let _ = write!(totals, ", {} retransmitted", c.retransmissions);
    }
    let _ = writeln!(out, "{}", s.dim(&end));
    let _ = writeln!(out, "{}", s.dim(&totals));
    out
}

fn draw_segment(out: &mut String, seg: &Seg, inner: usize, look: &Look) {
    let g = look.glyphs;
    let s = look.style;
    // An arrow is at least a line and a head either side of its words, and a cut label
    // still says it is a retransmission.
    let marker = if seg.retransmission {
        " (retransmission)"
    } else {
        ""
    };
    let room = (inner - 5).saturating_sub(width_of(marker));
    let text = fit(&label(seg), room, g.more) + marker;
    let fill = inner - 4 - width_of(&text);
    let line = if seg.retransmission { g.again } else { g.line };
    // A retransmission or a window closed to zero is trouble on the wire.
    let painted = if seg.retransmission || (seg.win_changed && seg.win_bytes == 0) {
        s.warn(&text)
    } else {
        s.flags(&text, seg.flags)
    };
    let arrow = match seg.from {
        Side::Client => format!(
            "{line} {painted} {}{}",
            line.to_string().repeat(fill),
            g.right
        ),
        Side::Server => format!(
            "{}{} {painted} {line}",
            g.left,
            line.to_string().repeat(fill)
        ),
    };
    let time = format!("{:>10.6}", seg.at.as_secs_f64());
    let _ = writeln!(out, "{} {}{arrow}{}", s.dim(&time), g.bar, g.bar);
    for note in &seg.notes {
        let note = fit(note, inner - 4, g.more);
        let pad = inner - 2 - width_of(&note);
        let (left, right) = match seg.from {
            Side::Client => (2, pad),
            Side::Server => (pad, 2),
        };
        let _ = writeln!(
            out,
            "{:w$}{}{}{}{}{}",
            "",
            g.bar,
            " ".repeat(left),
            s.name(&note),
            " ".repeat(right),
            g.bar,
            w = TIME_COLUMNS
        );
    }
}
