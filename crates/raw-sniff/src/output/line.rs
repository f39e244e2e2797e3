//! One line per packet in the spirit of `tcpdump -n`: time, addresses and ports, protocol, TCP
//! flags, sequence numbers relative to the stream's start, window, length, and problems flagged.

use std::fmt::Write as _;
use std::io::{self, Write};
use std::net::IpAddr;

use wire::checksum::ChecksumStatus;
use wire::decode::{Network, Transport};
use wire::tcp::Flags;
use wire::Decoded;

use super::relative_seq::RelativeSeq;
use super::{time_of_day, PacketNumber, Printer};
use crate::capture::CapturedFrame;
use crate::style::Style;

/// Prints one line per packet, like `tcpdump -n`.
pub struct LinePrinter<W: Write> {
    out: W,
    style: Style,
    seq: RelativeSeq,
    line: String,
}

impl<W: Write> LinePrinter<W> {
    /// A printer writing to `out` in `style`.
    pub fn new(out: W, style: Style) -> Self {
        LinePrinter {
            out,
            style,
            seq: RelativeSeq::default(),
            line: String::with_capacity(256),
        }
    }

    /// The line for one packet, without the trailing newline.
    pub fn format(&mut self, frame: &CapturedFrame<'_>, d: &Decoded<'_>) -> &str {
        self.line.clear();
        let s = self.style;
        let _ = write!(self.line, "{} ", s.dim(&time_of_day(frame.ts)));
        for tag in d.vlan_tags() {
            let _ = write!(self.line, "vlan {}, ", tag.tag.vid());
        }
        match &d.network {
            Some((_, Network::Ipv4(_))) => self.ip_line("IP", frame, d),
            Some((_, Network::Ipv6(_))) => self.ip_line("IP6", frame, d),
            Some((_, Network::Arp(arp))) => {
                let _ = match arp.operation() {
                    wire::arp::Operation::Request => write!(
                        self.line,
                        "ARP, Request who-has {} tell {}",
                        addr_text(arp.target_protocol_addr()),
                        addr_text(arp.sender_protocol_addr())
                    ),
                    wire::arp::Operation::Reply => write!(
                        self.line,
                        "ARP, Reply {} is-at {}",
                        addr_text(arp.sender_protocol_addr()),
                        mac_text(arp.sender_hardware_addr())
                    ),
                    other => write!(self.line, "ARP, {other}"),
                };
                let _ = write!(self.line, ", length {}", arp.header_len());
            }
            None => {
                let _ = write!(self.line, "{}, length {}", link_name(d), frame.orig_len);
            }
        }
        if d.truncated {
            self.line
                .push_str(&s.warn(" [truncated by the capture's snap length]"));
        }
        if let Some(stop) = &d.stop {
            self.line.push_str(&s.warn(&format!(" [{stop}]")));
        }
        &self.line
    }

    fn ip_line(&mut self, label: &str, frame: &CapturedFrame<'_>, d: &Decoded<'_>) {
        let s = self.style;
        let (src, dst) = d.addrs().expect("network layer is IP");
        self.line.push_str(label);
        self.line.push(' ');
        match &d.transport {
            Some((_, Transport::Tcp(tcp))) => {
                let _ = write!(
                    self.line,
                    "{}.{} > {}.{}: Flags [{}]",
                    src,
                    tcp.src_port(),
                    dst,
                    tcp.dst_port(),
                    s.flags(&tcp_flags(tcp.flags()), tcp.flags())
                );
                let flags = tcp.flags();
                let (seq, ack) = self.seq.observe(
                    (src, tcp.src_port()),
                    (dst, tcp.dst_port()),
                    flags,
                    tcp.seq_number(),
                    tcp.ack_number(),
                );
                let len = d.payload.len() as u32;
                if len > 0 {
                    let _ = write!(self.line, ", seq {}:{}", seq, seq.wrapping_add(len));
                } else if flags.contains(Flags::SYN)
                    || flags.contains(Flags::FIN)
                    || flags.contains(Flags::RST)
                {
                    // A bare ACK carries no sequence space worth showing, as in tcpdump.
                    let _ = write!(self.line, ", seq {seq}");
                }
                if flags.contains(Flags::ACK) {
                    let _ = write!(self.line, ", ack {ack}");
                }
                let _ = write!(self.line, ", win {}", tcp.window_len());
                let options = tcp_options(tcp);
                if !options.is_empty() {
                    let _ = write!(self.line, ", options [{options}]");
                }
                let _ = write!(self.line, ", length {}", d.payload.len());
            }
            Some((_, Transport::Udp(udp))) => {
                let _ = write!(
                    self.line,
                    "{}.{} > {}.{}: UDP, length {}",
                    src,
                    udp.src_port(),
                    dst,
                    udp.dst_port(),
                    d.payload.len()
                );
            }
            Some((_, Transport::Icmpv4(icmp))) => {
                let _ = write!(
                    self.line,
                    "{src} > {dst}: ICMP {}, length {}",
                    icmpv4_text(icmp, d.quoted().as_ref()),
                    ip_payload_len(d)
                );
            }
            Some((_, Transport::Icmpv6(icmp))) => {
                let _ = write!(self.line, "{src} > {dst}: ICMP6, {}", icmp.msg_type());
                if let Some(name) = wire::icmpv6::code_name(icmp.msg_type(), icmp.code()) {
                    let _ = write!(self.line, " ({name})");
                }
                if matches!(
                    icmp.msg_type(),
                    wire::icmpv6::Message::EchoRequest | wire::icmpv6::Message::EchoReply
                ) {
                    let _ = write!(
                        self.line,
                        ", id {}, seq {}",
                        icmp.echo_ident(),
                        icmp.echo_seq_no()
                    );
                }
                let _ = write!(self.line, ", length {}", ip_payload_len(d));
            }
            None => {
                let proto = match &d.network {
                    Some((_, Network::Ipv4(p))) => p.protocol(),
                    Some((_, Network::Ipv6(p))) => p.next_header(),
                    _ => unreachable!("ip_line is called for IP only"),
                };
                let _ = write!(
                    self.line,
                    "{src} > {dst}: {proto}, length {}",
                    ip_payload_len(d)
                );
            }
        }
        if let Some(ChecksumStatus::Bad { found, expected }) = d.ip_checksum() {
            self.line
                .push_str(&s.warn(&format!(", bad IP cksum {found:#06x} (->{expected:#06x})!")));
        }
        // A packet the kernel marked as "checksum not filled in yet" is judged by nobody.
        if !frame.csum_not_ready {
            if let Some(ChecksumStatus::Bad { found, expected }) = d.transport_checksum() {
                self.line
                    .push_str(&s.warn(&format!(", bad cksum {found:#06x} (->{expected:#06x})!")));
            }
        }
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

/// tcpdump's flag letters (S F R P U E W N, `.` for ACK), or `none`.
pub fn tcp_flags(flags: Flags) -> String {
    if flags.0 == 0 {
        "none".to_owned()
    } else {
        flags.to_string()
    }
}

/// Options the way tcpdump lists them: `mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7`.
pub fn tcp_options(tcp: &wire::tcp::Packet<&[u8]>) -> String {
    let mut out = String::new();
    for placed in tcp.options() {
        if !out.is_empty() {
            out.push(',');
        }
        match placed {
            Ok(placed) => out.push_str(&super::values::tcp_option_text(&placed.option)),
            Err(_) => {
                out.push_str("bad opts");
                break;
            }
        }
    }
    out
}

/// An ICMPv4 message as tcpdump words it; errors name what the quoted packet was sent to.
fn icmpv4_text(icmp: &wire::icmpv4::Packet<&[u8]>, quoted: Option<&Decoded<'_>>) -> String {
    use wire::icmpv4::Message;
    let quoted_dst = quoted.and_then(|q| q.addrs()).map(|(_, dst)| dst);
    match (icmp.msg_type(), icmp.code(), quoted_dst) {
        (Message::EchoRequest | Message::EchoReply, _, _) => format!(
            "{}, id {}, seq {}",
            icmp.msg_type(),
            icmp.echo_ident(),
            icmp.echo_seq_no()
        ),
        (Message::DstUnreachable, 0, Some(dst)) => format!("net {dst} unreachable"),
        (Message::DstUnreachable, 1, Some(dst)) => format!("host {dst} unreachable"),
        (Message::DstUnreachable, 2, Some(dst)) => {
            let proto = quoted
                .and_then(|q| q.ipv4())
                .map(|ip| u8::from(ip.protocol()));
            format!("{dst} protocol {} unreachable", proto.unwrap_or(0))
        }
        (Message::DstUnreachable, 3, Some(dst)) => {
            match quoted.map(|q| (&q.transport, q.ports())) {
                Some((Some((_, Transport::Udp(_))), Some((_, port)))) => {
                    format!("{dst} udp port {port} unreachable")
                }
                Some((Some((_, Transport::Tcp(_))), Some((_, port)))) => {
                    format!("{dst} tcp port {port} unreachable")
                }
                _ => format!("{dst} port unreachable"),
            }
        }
        (Message::TimeExceeded, 0, _) => "time exceeded in-transit".to_owned(),
        (Message::TimeExceeded, 1, _) => "ip reassembly time exceeded".to_owned(),
        (msg, code, _) => match wire::icmpv4::code_name(msg, code) {
            Some(name) => format!("{msg} ({name})"),
            None => msg.to_string(),
        },
    }
}

/// Bytes after the IP header(s), as the length fields say.
fn ip_payload_len(d: &Decoded<'_>) -> usize {
    match &d.transport {
        Some((at, _)) => d
            .frame
            .len()
            .saturating_sub(*at)
            .saturating_sub(d.trailer.len()),
        None => d.payload.len(),
    }
}

fn addr_text(bytes: &[u8]) -> String {
    match bytes.len() {
        4 => IpAddr::from(<[u8; 4]>::try_from(bytes).unwrap_or_default()).to_string(),
        16 => IpAddr::from(<[u8; 16]>::try_from(bytes).unwrap_or_default()).to_string(),
        _ => super::values::hex(bytes),
    }
}

fn mac_text(bytes: &[u8]) -> String {
    let parts: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
    parts.join(":")
}

fn link_name(d: &Decoded<'_>) -> String {
    match d.links().last().map(|l| l.next()) {
        Some(wire::link::Next::EtherType(et)) => format!("ethertype {et}"),
        Some(wire::link::Next::Named(name)) => name.to_string(),
        _ => format!("{}", d.link_type),
    }
}
