//! One line per packet in the spirit of `tcpdump -n`: time, addresses and ports, protocol, TCP
//! flags, sequence numbers relative to the stream's start, window, length, and problems flagged.
//!
//! This file holds the printer and what every line shares (time, VLAN tags, the link layer's
//! words, the notes at the end); each protocol's words are in their own file.

mod ethertype_names;
mod icmp;
mod ip;
mod link;
mod link_header;
mod quick;
mod tcp;

use std::fmt::Write as _;
use std::io::{self, Write};

use wire::decode::{Network, Transport};
use wire::Decoded;

use super::relative_seq::RelativeSeq;
use super::time::{Clock, TimeFormat};
use super::{PacketNumber, Printer};
use crate::capture::CapturedFrame;
use crate::style::Style;
use link_header::IfNames;

pub use super::dump::Dump;
pub use tcp::{tcp_flags, tcp_options};

/// What tcpdump's output flags add to or take from each line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LineOptions {
    /// `-e`: the link header's words before the network layer.
    pub link_header: bool,
    /// `-q`: quick output, a TCP segment shown only by its ports and length.
    pub quick: bool,
    /// `-#`: each line starts with the packet's number.
    pub number: bool,
    /// `-x`, `-X`, `-A` and their doubles: the bytes under the line.
    pub dump: Dump,
}

/// Prints one line per packet, like `tcpdump -n`.
pub struct LinePrinter<W: Write> {
    out: W,
    style: Style,
    seq: RelativeSeq,
    line: String,
    opts: LineOptions,
    if_names: IfNames,
    clock: Clock,
}

impl<W: Write> LinePrinter<W> {
    /// A printer writing to `out` in `style`.
    pub fn new(out: W, style: Style) -> Self {
        Self::with_options(out, style, LineOptions::default())
    }

    /// A printer writing to `out` in `style`, with what tcpdump's output flags add.
    pub fn with_options(out: W, style: Style, opts: LineOptions) -> Self {
        LinePrinter {
            out,
            style,
            seq: RelativeSeq::default(),
            line: String::with_capacity(256),
            opts,
            if_names: IfNames::default(),
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
        if s.paints() {
            let mut time = String::new();
            self.clock.write(&mut time, frame.ts);
            if !time.is_empty() {
                let _ = write!(self.line, "{} ", s.dim(&time));
            }
        } else {
            // Unpainted, the time goes straight onto the line, with no String of its own.
            self.clock.write(&mut self.line, frame.ts);
            if !self.line.is_empty() {
                self.line.push(' ');
            }
        }
        if d.link_type == wire::LinkType::LinuxSll2 {
            link_header::sll2_always(&mut self.line, d, &mut self.if_names);
        }
        // With -e tcpdump names the link header, and the network layer goes unlabelled.
        let labelled = !self.opts.link_header;
        let mut link_named = false;
        // Without -e, tcpdump shows nothing of an Ethernet frame's VLAN tags, and only the
        // type each tag announces in a cooked header.
        if self.opts.link_header {
            link_named = link_header::link_header(&mut self.line, frame, d, self.opts.quick);
        } else if matches!(
            d.link_type,
            wire::LinkType::LinuxSll | wire::LinkType::LinuxSll2
        ) {
            link_header::sll_tags_without_e(&mut self.line, d, self.opts.quick);
        }
        // Whether the line already shows, in tcpdump's words, that the packet was cut.
        let mut cut_shown = false;
        match &d.network {
            Some((_, Network::Ipv4(_) | Network::Ipv6(_))) => {
                let label = match (&d.network, labelled) {
                    (_, false) => "",
                    (Some((_, Network::Ipv4(_))), true) => "IP",
                    _ => "IP6",
                };
                cut_shown = self.ip_words(label, frame, d);
            }
            Some((_, Network::Arp(arp))) => link::arp(&mut self.line, arp, labelled),
            // The link header's words already say what follows it, as tcpdump's do.
            None if link_named => {}
            None => link::no_network(&mut self.line, frame, d),
        }
        if d.truncated && !cut_shown {
            self.line
                .push_str(&s.warn(" [truncated by the capture's snap length]"));
        }
        if let (Some(stop), false) = (&d.stop, cut_shown) {
            self.line.push_str(&s.warn(&format!(" [{stop}]")));
        }
        if self.opts.dump != Dump::None {
            let link_len = match &d.network {
                Some((at, _)) => *at,
                // A link header cut short is all tcpdump takes for the link header; a frame
                // that ends right after it makes tcpdump give up, and dump all of it.
                None if d.link.is_none()
                    && matches!(
                        wire::link::for_link_type(d.link_type),
                        wire::link::Start::Header(_)
                    ) =>
                {
                    frame.data.len()
                }
                None if frame.data.len() <= d.payload_offset => 0,
                None => d.payload_offset,
            };
            self.opts.dump.write(&mut self.line, frame.data, link_len);
        }
        &self.line
    }

    /// An IP packet's words after its `label` (`IP`, `IP6`, or nothing with -e); returns
    /// whether they already show, in tcpdump's words, that the packet was cut.
    fn ip_words(&mut self, label: &str, frame: &CapturedFrame<'_>, d: &Decoded<'_>) -> bool {
        let s = self.style;
        match (&d.transport, d.addrs()) {
            (Some((at, Transport::Tcp(tcp))), Some(addrs)) if self.opts.quick => {
                if !label.is_empty() {
                    self.line.push_str(label);
                    self.line.push(' ');
                }
                quick::tcp(&mut self.line, s, frame, d, addrs, *at, tcp);
                // A quick TCP line shows nothing of the payload, so a capture cut inside it
                // leaves nothing the line shows missing.
                true
            }
            _ => {
                let at = self.line.len();
                let cut_shown = ip::ip_line(&mut self.line, &mut self.seq, s, label, frame, d);
                // Without a label, the space that would follow it goes too.
                if label.is_empty() && self.line[at..].starts_with(' ') {
                    self.line.remove(at);
                }
                cut_shown
            }
        }
    }
}

impl<W: Write> Printer for LinePrinter<W> {
    fn packet(
        &mut self,
        n: PacketNumber,
        frame: &CapturedFrame<'_>,
        d: &Decoded<'_>,
    ) -> io::Result<()> {
        if self.opts.number {
            // tcpdump counts the packets it prints, which are those the filter kept.
            write!(self.out, "{:5}  ", n.matched)?;
        }
        self.format(frame, d);
        self.out.write_all(self.line.as_bytes())?;
        self.out.write_all(b"\n")
    }

    fn ws(&mut self, event: &crate::ws::WsEvent, full: bool) -> io::Result<()> {
        // Into the line buffer the packets use, not a String of its own per event.
        self.line.clear();
        super::ws::push_line(&mut self.line, event, full);
        self.line.push('\n');
        self.out.write_all(self.line.as_bytes())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
