//! The ICMP and ICMPv6 parts of a line, in tcpdump's words.

use std::fmt::Write as _;
use std::net::IpAddr;

use wire::decode::Transport;
use wire::Decoded;

/// An ICMPv6 message's words, from the addresses on.
pub(super) fn icmpv6(
    line: &mut String,
    (src, dst): (IpAddr, IpAddr),
    icmp: &wire::icmpv6::Packet<&[u8]>,
    d: &Decoded<'_>,
) {
    let _ = write!(line, "{src} > {dst}: ICMP6, {}", icmp.msg_type());
    if let Some(name) = wire::icmpv6::code_name(icmp.msg_type(), icmp.code()) {
        let _ = write!(line, " ({name})");
    }
    if matches!(
        icmp.msg_type(),
        wire::icmpv6::Message::EchoRequest | wire::icmpv6::Message::EchoReply
    ) {
        let _ = write!(
            line,
            ", id {}, seq {}",
            icmp.echo_ident(),
            icmp.echo_seq_no()
        );
    }
    let _ = write!(line, ", length {}", super::ip::ip_payload_len(d));
}

/// An ICMPv4 message as tcpdump words it; errors name what the quoted packet was sent to.
pub(super) fn icmpv4_text(
    icmp: &wire::icmpv4::Packet<&[u8]>,
    quoted: Option<&Decoded<'_>>,
) -> String {
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
