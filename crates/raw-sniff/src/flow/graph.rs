//! A TCP conversation as a time-sequence graph, the picture Stevens drew in *TCP/IP
//! Illustrated* and tcptrace made common: time across, relative sequence number up. Each data
//! segment is a vertical bar with serifs (an I-beam) from its first byte to its last, so a
//! steady transfer is a staircase; the receiver's ACK line follows beneath and its window line
//! (ACK plus window) above, so a sender held back by the window is seen touching it (a window
//! far above the data, as a small exchange has, runs off the top rather than flattening the
//! data onto the axis);
//! retransmissions stand out in red, SACK blocks as purple bars.
//!
//! The data shown is one direction's, the one that carried more bytes; the ACK and window
//! lines are the other side's. The SVG is written by hand: a few element kinds, every text
//! escaped, no scripts or external references, so a browser opens the file as it is.

use std::fmt::Write as _;

use super::track::{Conversation, Side};

const WIDTH: f64 = 960.0;
const HEIGHT: f64 = 600.0;
const LEFT: f64 = 100.0;
const RIGHT: f64 = 30.0;
const TOP: f64 = 80.0;
const BOTTOM: f64 = 60.0;
/// Half the width of an I-beam's serifs, in pixels.
const SERIF: f64 = 3.0;
/// Lines are 2 pixels wide: wherever one falls, it covers some pixel whole, in its own
/// colour.
const STROKE: f64 = 2.0;

const DATA_COLOUR: &str = "#1f4e9c";
const RETRANSMISSION_COLOUR: &str = "#d62728";
const ACK_COLOUR: &str = "#2ca02c";
const WINDOW_COLOUR: &str = "#d08c00";
const SACK_COLOUR: &str = "#9467bd";

/// The side whose data a graph of `c` shows: the one that sent more payload bytes (the
/// client on a tie).
pub fn sender(c: &Conversation) -> Side {
    if c.bytes_from(Side::Server) > c.bytes_from(Side::Client) {
        Side::Server
    } else {
        Side::Client
    }
}

/// Text made safe inside an SVG element or attribute.
fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// A round step for about `target` ticks over `0..=range`: 1, 2 or 5 times a power of ten.
fn tick_step(range: f64, target: f64) -> f64 {
    let raw = (range / target).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    step.max(f64::MIN_POSITIVE)
}

/// Decimals that show a tick step of `step` exactly enough.
fn decimals(step: f64) -> usize {
    (-step.log10().floor()).clamp(0.0, 9.0) as usize
}

/// Maps time and sequence numbers onto the plot.
struct Scale {
    t_max: f64,
    s_max: f64,
}

impl Scale {
    fn x(&self, t: f64) -> f64 {
        LEFT + t / self.t_max * (WIDTH - LEFT - RIGHT)
    }

    fn y(&self, s: f64) -> f64 {
        HEIGHT - BOTTOM - s / self.s_max * (HEIGHT - TOP - BOTTOM)
    }
}

/// The whole SVG document for one conversation.
pub fn svg(c: &Conversation) -> String {
    let from = sender(c);
    let data: Vec<_> = c
        .segments
        .iter()
        .filter(|s| s.from == from && s.len > 0)
        .collect();
    let acks: Vec<_> = c
        .segments
        .iter()
        .filter(|s| s.from != from && s.ack.is_some())
        .collect();
    let t_end = c
        .segments
        .last()
        .map_or(0.0, |s| s.at.as_secs_f64())
        .max(1e-6);
    let mut data_top = 1.0f64;
    for seg in &data {
        data_top = data_top.max(f64::from(seg.seq) + f64::from(seg.len));
    }
    let mut window_top = 0.0f64;
    for seg in &acks {
        let ack = f64::from(seg.ack.unwrap_or(0));
        data_top = data_top.max(ack);
        window_top = window_top.max(ack + seg.win_bytes as f64);
    }
    // The data is the picture: a window far above it (64 KiB offered to a 20-byte echo)
    // would flatten the staircase onto the axis, so such a window line runs off the top.
    let window_clipped = window_top > 2.0 * data_top;
    let s_top = if window_clipped {
        data_top * 1.1
    } else {
        data_top.max(window_top)
    };
    let t_step = tick_step(t_end, 8.0);
    let s_step = tick_step(s_top, 8.0);
    // The axes end on a tick, so the highest line is not on the plot's edge.
    let scale = Scale {
        t_max: (t_end / t_step).ceil() * t_step,
        s_max: (s_top / s_step).ceil() * s_step,
    };

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let (who, sender_addr, receiver_addr) = match from {
        Side::Client => ("client", c.client, c.server),
        Side::Server => ("server", c.server, c.client),
    };
    let title = format!(
        "TCP stream {}: data from the {who} {sender_addr} to {receiver_addr}",
        c.stream
    );
    let _ = writeln!(out, "<title>{}</title>", escape(&title));
    let _ = writeln!(
        out,
        r#"<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="24" font-size="16" font-weight="bold" text-anchor="middle">{}</text>"#,
        WIDTH / 2.0,
        escape(&title)
    );
    legend(&mut out);
    axes(&mut out, &scale, t_step, s_step);
    let _ = writeln!(
        out,
        r#"<clipPath id="plot"><rect x="{LEFT}" y="{TOP}" width="{}" height="{}"/></clipPath>"#,
        WIDTH - LEFT - RIGHT,
        HEIGHT - TOP - BOTTOM
    );
    if window_clipped {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" fill="{WINDOW_COLOUR}" text-anchor="end">the window line runs above the top, up to {window_top:.0}</text>"#,
            WIDTH - RIGHT - 4.0,
            TOP + 14.0
        );
    }

    // The window line first, then the ACK line, then the data over both.
    step_line(
        &mut out,
        &scale,
        "window",
        WINDOW_COLOUR,
        acks.iter().map(|s| {
            (
                s.at.as_secs_f64(),
                f64::from(s.ack.unwrap_or(0)) + s.win_bytes as f64,
            )
        }),
    );
    step_line(
        &mut out,
        &scale,
        "ack",
        ACK_COLOUR,
        acks.iter()
            .map(|s| (s.at.as_secs_f64(), f64::from(s.ack.unwrap_or(0)))),
    );
    for seg in &acks {
        for &(l, r) in &seg.sack {
            let x = scale.x(seg.at.as_secs_f64());
            let _ = writeln!(
                out,
                r#"<path class="sack" d="M{x:.1} {:.1}V{:.1}" stroke="{SACK_COLOUR}" stroke-width="4"/>"#,
                scale.y(f64::from(l)),
                scale.y(f64::from(r)),
            );
        }
    }
    for seg in &data {
        let x = scale.x(seg.at.as_secs_f64());
        let low = scale.y(f64::from(seg.seq));
        let high = scale.y(f64::from(seg.seq) + f64::from(seg.len));
        let (class, colour) = if seg.retransmission {
            ("seg retrans", RETRANSMISSION_COLOUR)
        } else {
            ("seg", DATA_COLOUR)
        };
        let _ = writeln!(
            out,
            r#"<path class="{class}" d="M{x:.1} {low:.1}V{high:.1}M{:.1} {low:.1}H{:.1}M{:.1} {high:.1}H{:.1}" stroke="{colour}" stroke-width="{STROKE}" fill="none"/>"#,
            x - SERIF,
            x + SERIF,
            x - SERIF,
            x + SERIF,
        );
    }
    if c.omitted > 0 {
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}" fill="{RETRANSMISSION_COLOUR}" text-anchor="end">{} later segments not shown: a graph keeps the first {}</text>"#,
            WIDTH - RIGHT,
            TOP - 8.0,
            c.omitted,
            c.cap
        );
    }
    out.push_str("</svg>\n");
    out
}

/// The lines and labels of both axes, with a light grid.
fn axes(out: &mut String, scale: &Scale, t_step: f64, s_step: f64) {
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let (y0, y1) = (HEIGHT - BOTTOM, TOP);
    let t_decimals = decimals(t_step);
    let ticks = |max: f64, step: f64| {
        let n = (max / step).round() as u64;
        (0..=n).map(move |i| i as f64 * step)
    };
    for t in ticks(scale.t_max, t_step) {
        let x = scale.x(t);
        let _ = writeln!(
            out,
            r##"<path d="M{x:.1} {y0}V{y1}" stroke="#e4e4e4"/><text x="{x:.1}" y="{}" text-anchor="middle">{t:.t_decimals$}</text>"##,
            y0 + 18.0
        );
    }
    for s in ticks(scale.s_max, s_step) {
        let y = scale.y(s);
        let _ = writeln!(
            out,
            r##"<path d="M{x0} {y:.1}H{x1}" stroke="#e4e4e4"/><text x="{}" y="{:.1}" text-anchor="end">{s:.0}</text>"##,
            x0 - 6.0,
            y + 4.0
        );
    }
    let _ = writeln!(
        out,
        r#"<path d="M{x0} {y1}V{y0}H{x1}" stroke="black" fill="none"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{}" text-anchor="middle">time since the conversation's first packet (s)</text>"#,
        (x0 + x1) / 2.0,
        HEIGHT - 16.0
    );
    let _ = writeln!(
        out,
        r#"<text transform="translate(20 {:.1}) rotate(-90)" text-anchor="middle">relative sequence number (bytes)</text>"#,
        (y0 + y1) / 2.0
    );
}

/// What each colour means, in a row under the title.
fn legend(out: &mut String) {
    let items = [
        (DATA_COLOUR, "data segment"),
        (RETRANSMISSION_COLOUR, "retransmission"),
        (ACK_COLOUR, "ACK"),
        (WINDOW_COLOUR, "ACK + receive window"),
        (SACK_COLOUR, "SACK block"),
    ];
    let mut x = LEFT;
    for (colour, name) in items {
        let _ = writeln!(
            out,
            r#"<path d="M{x} 50H{}" stroke="{colour}" stroke-width="3"/><text x="{}" y="54">{name}</text>"#,
            x + 18.0,
            x + 24.0
        );
        x += 40.0 + 7.0 * name.len() as f64;
    }
}

/// A line that holds each value until the next one, as an ACK or window edge does, drawn to
/// the end of the time axis.
fn step_line(
    out: &mut String,
    scale: &Scale,
    class: &str,
    colour: &str,
    points: impl Iterator<Item = (f64, f64)>,
) {
    let mut d = String::new();
    for (t, v) in points {
        let (x, y) = (scale.x(t), scale.y(v));
        if d.is_empty() {
            let _ = write!(d, "M{x:.1} {y:.1}");
        } else {
            let _ = write!(d, "H{x:.1}V{y:.1}");
        }
    }
    if d.is_empty() {
        return;
    }
    let _ = write!(d, "H{:.1}", scale.x(scale.t_max));
    let _ = writeln!(
        out,
        r#"<path class="{class}" d="{d}" stroke="{colour}" stroke-width="{STROKE}" fill="none" clip-path="url(#plot)"/>"#
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape(r#"<a href="x">&'"#),
            "&lt;a href=&quot;x&quot;&gt;&amp;&apos;"
        );
    }

    #[test]
    fn ticks_are_round() {
        assert_eq!(tick_step(0.031, 8.0), 0.005);
        assert_eq!(tick_step(65536.0, 8.0), 10000.0);
        assert_eq!(tick_step(1.0, 8.0), 0.2);
        assert_eq!(decimals(0.005), 3);
        assert_eq!(decimals(10000.0), 0);
    }
}
