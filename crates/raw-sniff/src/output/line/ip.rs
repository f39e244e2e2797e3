//! The IP part of a line: addresses, then the transport's words, then checksum notes.

use std::fmt::Write as _;

use wire::checksum::ChecksumStatus;
use wire::decode::{Network, Transport};
use wire::Decoded;

use super::{icmp, tcp};
use crate::capture::CapturedFrame;
use crate::output::relative_seq::RelativeSeq;
use crate::style::Style;

/// The words of an IPv4 or IPv6 packet, after the time: addresses, the transport's words, and
/// checksum notes.
pub(super) fn ip_line(
    line: &mut String,
    seq: &mut RelativeSeq,
    s: Style,
    label: &str,
    frame: &CapturedFrame<'_>,
    d: &Decoded<'_>,
) {
    let (src, dst) = d.addrs().expect("network layer is IP");
    line.push_str(label);
    line.push(' ');
    match &d.transport {
        Some((at, Transport::Tcp(tcp))) => tcp::segment(line, seq, s, (src, dst), (*at, tcp), d),
        Some((_, Transport::Udp(udp))) => {
            let _ = write!(
                line,
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
                line,
                "{src} > {dst}: ICMP {}, length {}",
                icmp::icmpv4_text(icmp, d.quoted().as_ref()),
                ip_payload_len(d)
            );
        }
        Some((_, Transport::Icmpv6(icmp))) => icmp::icmpv6(line, (src, dst), icmp, d),
        // A TCP header the capture cut short: what of it is there, as tcpdump shows it.
        None if tcp::is_cut_header(d) => {
            let cut = wire::tcp::Packet::new_unchecked(d.payload);
            tcp::segment(line, seq, s, (src, dst), (d.payload_offset, &cut), d);
        }
        None => {
            let proto = match &d.network {
                Some((_, Network::Ipv4(p))) => p.protocol(),
                Some((_, Network::Ipv6(p))) => p.next_header(),
                _ => unreachable!("ip_line is called for IP only"),
            };
            let _ = write!(line, "{src} > {dst}: {proto}, length {}", ip_payload_len(d));
        }
    }
    if let Some(ChecksumStatus::Bad { found, expected }) = d.ip_checksum() {
        line.push_str(&s.warn(&format!(", bad IP cksum {found:#06x} (->{expected:#06x})!")));
    }
    // A packet the kernel marked as "checksum not filled in yet" is judged by nobody.
    if !frame.csum_not_ready {
        if let Some(ChecksumStatus::Bad { found, expected }) = d.transport_checksum() {
            line.push_str(&s.warn(&format!(", bad cksum {found:#06x} (->{expected:#06x})!")));
        }
    }
}

/// Bytes after the IP header(s), as the length fields say.
pub(super) fn ip_payload_len(d: &Decoded<'_>) -> usize {
    match &d.transport {
        Some((at, _)) => d
            .frame
            .len()
            .saturating_sub(*at)
            .saturating_sub(d.trailer.len()),
        None => d.payload.len(),
    }
}
