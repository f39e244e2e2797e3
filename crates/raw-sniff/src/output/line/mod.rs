//! One line per packet in the spirit of `tcpdump -n`: time, addresses and ports, protocol, TCP
//! flags, sequence numbers relative to the stream's start, window, length, and problems flagged.
//!
//! This file holds the printer and what every line shares (time, VLAN tags, the link layer's
//! words, the notes at the end); each protocol's words are in their own file.

mod icmp;
mod ip;
mod link;
mod tcp;

use std::fmt::Write as _;
use std::io::{self, Write};

use wire::decode::Network;
use wire::Decoded;

use super::relative_seq::RelativeSeq;
use super::time::{Clock, TimeFormat};
use super::{PacketNumber, Printer};
use crate::capture::CapturedFrame;
use crate::style::Style;

pub use tcp::{tcp_flags, tcp_options};

/// Prints one line per packet, like `tcpdump -n`.
pub struct LinePrinter<W: Write> {
    out: W,
    style: Style,
    seq: RelativeSeq,
    line: String,
    clock: Clock,
}

impl<W: Write> LinePrinter<W> {
    /// A printer writing to `out` in `style`.
    pub fn new(out: W, style: Style) -> Self {
        LinePrinter {
            out,
            style,
            seq: RelativeSeq::default(),
            line: String::with_capacity(256),
            clock: Clock::default(),
        }
    }

    /// The same printer writing each line's time in `time` (tcpdump's `-t` forms).
    pub fn with_time(mut self, time: TimeFormat) -> Self {
        self.clock = Clock::new(time);
        self
    }

    /// The line for one packet, without the trailing newline.
    pub fn format(&mut self, frame: &CapturedFrame<'_>, d: &Decoded<'_>) -> &str {
        self.line.clear();
        let s = self.style;
        let mut time = String::new();
        self.clock.write(&mut time, frame.ts);
        if !time.is_empty() {
            let _ = write!(self.line, "{} ", s.dim(&time));
        }
        for tag in d.vlan_tags() {
            let _ = write!(self.line, "vlan {}, ", tag.tag.vid());
        }
        // Whether the line already shows, in tcpdump's words, that the packet was cut.
        let mut cut_shown = false;
        match &d.network {
            Some((_, Network::Ipv4(_))) => {
                cut_shown = ip::ip_line(&mut self.line, &mut self.seq, s, "IP", frame, d)
            }
            Some((_, Network::Ipv6(_))) => {
                cut_shown = ip::ip_line(&mut self.line, &mut self.seq, s, "IP6", frame, d)
            }
            Some((_, Network::Arp(arp))) => link::arp(&mut self.line, arp),
            None => link::no_network(&mut self.line, frame, d),
        }
        // tcpdump says nothing of a cut packet whose headers it could read; UDP, ICMP and
        // ICMPv6 lines say what tcpdump says.
        let cut_shown = cut_shown || ip::cut_is_silent(d);
        if d.truncated && !cut_shown {
            self.line
                .push_str(&s.warn(" [truncated by the capture's snap length]"));
        }
        if let (Some(stop), false) = (&d.stop, cut_shown) {
            self.line.push_str(&s.warn(&format!(" [{stop}]")));
        }
        &self.line
    }
}

impl<W: Write> Printer for LinePrinter<W> {
    fn packet(
        &mut self,
        _n: PacketNumber,
        frame: &CapturedFrame<'_>,
        d: &Decoded<'_>,
    ) -> io::Result<()> {
        self.format(frame, d);
        self.out.write_all(self.line.as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn ws(&mut self, event: &crate::ws::WsEvent, full: bool) -> io::Result<()> {
        writeln!(self.out, "{}", super::ws::line(event, full))
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
