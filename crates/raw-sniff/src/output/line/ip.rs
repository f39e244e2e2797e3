//! The IP part of a line, in `tcpdump -n`'s words: addresses, IPv6 extension headers, the
//! transport's words, then checksum notes. Lengths come from the headers, as tcpdump takes
//! them, never from how much was captured; a header cut short ends the line with tcpdump's
//! `[|proto]`.

use std::fmt::Write as _;
use std::net::IpAddr;

use wire::checksum::ChecksumStatus;
use wire::decode::{Network, Transport};
use wire::ip::IpProtocol;
use wire::Decoded;

use super::{icmp, tcp};
use crate::capture::CapturedFrame;
use crate::output::relative_seq::RelativeSeq;
use crate::style::Style;

/// The words of an IPv4 or IPv6 packet, after the time: addresses, the transport's words, and
/// checksum notes. Returns whether the line says all tcpdump says of a packet cut short or a
/// header it could not read (its `[|tcp]`-style markers, or nothing where tcpdump's own line
/// shows nothing), so raw-sniff's own cut and stop notes are left out.
pub(super) fn ip_line(
    line: &mut String,
    seq: &mut RelativeSeq,
    s: Style,
    label: &str,
    frame: &CapturedFrame<'_>,
    d: &Decoded<'_>,
) -> bool {
    let (src, dst) = d.addrs().expect("network layer is IP");
    line.push_str(label);
    line.push(' ');
    let Some(ip) = IpHeader::of(frame, d) else {
        return false;
    };
    if let Some(missing) = ip.missing {
        match ip.v6 {
            false => {
                let _ = write!(line, "truncated-ip - {missing} bytes missing! ");
            }
            // tcpdump writes no space after this one.
            true => {
                let _ = write!(line, "truncated-ip6 - {missing} bytes missing!");
            }
        }
    }
    if let Some((_, Network::Ipv4(p))) = &d.network {
        let len = p.total_len_field();
        if usize::from(len) < p.header_len() {
            let _ = write!(line, "bad-len {len}");
            return true;
        }
    }
    let shown_cut = match &d.transport {
        // The TCP words say all tcpdump says of a cut or bad header (`[|tcp]`), and nothing of
        // cut data.
        Some((at, Transport::Tcp(tcp))) => {
            tcp::segment(line, seq, s, (src, dst), (*at, tcp), d);
            true
        }
        // A TCP header the capture cut short: what of it is there, as tcpdump shows it.
        None if tcp::is_cut_header(d) => {
            let cut = wire::tcp::Packet::new_unchecked(d.payload);
            tcp::segment(line, seq, s, (src, dst), (d.payload_offset, &cut), d);
            true
        }
        _ => {
            // Addresses first unless UDP prints them with its ports right after the IP
            // header.
            let udp_first = ip.first_next == IpProtocol::Udp && !ip.later_fragment;
            if !udp_first {
                let _ = write!(line, "{src} > {dst}: ");
            }
            if !extension_headers(line, d) {
                // A later fragment: nothing after its fragment header can be read.
                return true;
            }
            after_ip(line, (src, dst), udp_first, &ip, d) || cut_is_silent(d)
        }
    };
    if let Some(ChecksumStatus::Bad { found, expected }) = d.ip_checksum() {
        line.push_str(&s.warn(&format!(", bad IP cksum {found:#06x} (->{expected:#06x})!")));
    }
    // A packet the kernel marked as "checksum not filled in yet" is judged by nobody.
    if !frame.csum_not_ready {
        if let Some(ChecksumStatus::Bad { found, expected }) = d.transport_checksum() {
            line.push_str(&s.warn(&format!(", bad cksum {found:#06x} (->{expected:#06x})!")));
        }
    }
    shown_cut
}

/// What the IP header says, as tcpdump reads it.
pub(super) struct IpHeader {
    v6: bool,
    /// The protocol right after the fixed header (IPv6: before any extension header).
    first_next: IpProtocol,
    /// The transport's protocol (after IPv6 extension headers).
    protocol: IpProtocol,
    /// Bytes the IP header claims beyond what the frame held on the wire.
    missing: Option<usize>,
    /// A later IPv4 fragment: its transport header is in the first one.
    later_fragment: bool,
    /// Whether the IPv4 first fragment has more fragments after it (or IPv6 had a fragment
    /// header): UDP then does not judge its length.
    fragmented: bool,
    /// Length of what follows the IP header(s), as the headers say.
    pub(super) payload_len: usize,
}

impl IpHeader {
    pub(super) fn of(frame: &CapturedFrame<'_>, d: &Decoded<'_>) -> Option<IpHeader> {
        let (at, net) = d.network.as_ref()?;
        let on_wire = (frame.orig_len as usize).saturating_sub(*at);
        match net {
            Network::Ipv4(p) => {
                let total = usize::from(p.total_len());
                Some(IpHeader {
                    v6: false,
                    first_next: p.protocol(),
                    protocol: p.protocol(),
                    missing: (total > on_wire).then(|| total - on_wire),
                    later_fragment: p.frag_offset() != 0,
                    fragmented: p.more_frags(),
                    payload_len: total.saturating_sub(p.header_len()),
                })
            }
            Network::Ipv6(p) => {
                let total = 40 + usize::from(p.payload_len());
                let exts: usize = d.ext_headers().map(|e| e.header.header_len()).sum();
                let last = d.ext_headers().last();
                Some(IpHeader {
                    v6: true,
                    first_next: p.next_header(),
                    protocol: last.map_or(p.next_header(), |e| e.header.next_header()),
                    missing: (p.payload_len() != 0 && total > on_wire).then(|| total - on_wire),
                    later_fragment: false,
                    fragmented: d
                        .ext_headers()
                        .any(|e| e.header.kind() == IpProtocol::Ipv6Frag),
                    payload_len: total.saturating_sub(40 + exts),
                })
            }
            Network::Arp(_) => None,
        }
    }
}

/// IPv6 extension headers as tcpdump names them in its default line; `false` when the packet
/// is a later fragment (the line ends with its fragment header).
fn extension_headers(line: &mut String, d: &Decoded<'_>) -> bool {
    let Some((at, Network::Ipv6(ip6))) = &d.network else {
        return true;
    };
    for e in d.ext_headers() {
        let h = &e.header;
        match h.kind() {
            IpProtocol::HopByHop => line.push_str("HBH "),
            IpProtocol::Ipv6Opts => line.push_str("DSTOPT "),
            IpProtocol::Ipv6Frag => {
                // tcpdump's length: from the fragment header's end to the payload's end.
                let end = 40 + usize::from(ip6.payload_len());
                let len = end.saturating_sub(e.offset - at + 8);
                let _ = write!(line, "frag ({}|{len})", h.frag_offset() * 8);
                if h.frag_offset() != 0 {
                    return false;
                }
                line.push(' ');
            }
            IpProtocol::Ipv6Route => {
                if !routing_header(line, h) {
                    return false;
                }
            }
            other => {
                let _ = write!(line, "{other} ");
            }
        }
    }
    true
}

/// A routing header as tcpdump shows it: `RT6 (len=…, type=…, segleft=…, [0]addr, …) `;
/// `false` when tcpdump finds it invalid and stops there.
fn routing_header(line: &mut String, h: &wire::ipv6_ext::Header<&[u8]>) -> bool {
    let (len, ty) = (h.len_field(), h.routing_type());
    let _ = write!(line, "RT6 (len={len}, type={ty}");
    if ty == 0 {
        line.push_str(" [Deprecated]");
    }
    let _ = write!(line, ", segleft={}", h.segments_left());
    match ty {
        0 | 2 => {
            if h.routing_word() != 0 {
                let _ = write!(line, ", rsv=0x{:x}", h.routing_word());
            }
        }
        4 => {
            // Segment routing (RFC 8754 §2): last entry, flags and tag in the second word.
            let word = h.routing_word().to_be_bytes();
            let _ = write!(line, ", last-entry={}", word[0]);
            if word[1] != 0 {
                let _ = write!(line, ", flags=0x{:x}", word[1]);
            }
            let _ = write!(line, ", tag={:x}", u16::from_be_bytes([word[2], word[3]]));
        }
        _ => {
            line.push_str(" (unknown type) (invalid)");
            return false;
        }
    }
    if len % 2 == 1 {
        let _ = write!(line, " (invalid length {len}) (invalid)");
        return false;
    }
    for (i, addr) in h.routing_addresses().enumerate() {
        let _ = write!(line, ", [{i}]{addr}");
    }
    line.push_str(") ");
    true
}

/// The transport's words after the IP header(s); returns whether they show the packet was
/// cut.
fn after_ip(
    line: &mut String,
    (src, dst): (IpAddr, IpAddr),
    udp_first: bool,
    ip: &IpHeader,
    d: &Decoded<'_>,
) -> bool {
    if ip.later_fragment {
        let _ = write!(line, "ip-proto-{}", u8::from(ip.protocol));
        return true;
    }
    match &d.transport {
        Some((_, Transport::Udp(udp))) => {
            udp_words(
                line,
                (src, dst),
                udp_first,
                ip,
                udp.src_port(),
                udp.dst_port(),
                udp.len(),
            );
            false
        }
        Some((_, Transport::Icmpv4(p))) => icmp::icmpv4(line, p, ip.payload_len, d),
        Some((_, Transport::Icmpv6(p))) => icmp::icmpv6(line, p, ip.payload_len, d),
        Some((_, Transport::Tcp(_))) => false,
        None => match ip.protocol {
            // The header was cut short: as much as was captured, then tcpdump's marker.
            IpProtocol::Udp => {
                let b = d.payload;
                let field = |i: usize| Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]));
                match (field(0), field(2)) {
                    (Some(sport), Some(dport)) if udp_first => {
                        let _ = write!(line, "{src}.{sport} > {dst}.{dport}: ");
                    }
                    (Some(sport), Some(dport)) => {
                        let _ = write!(line, "{sport} > {dport}: ");
                    }
                    _ if udp_first => {
                        let _ = write!(line, "{src} > {dst}: ");
                    }
                    _ => {}
                }
                match field(4) {
                    Some(ulen) if ulen < 8 && field(2).is_some() => {
                        let _ = write!(line, "truncated-udplength {ulen}");
                        true
                    }
                    _ => {
                        line.push_str(" [|udp]");
                        true
                    }
                }
            }
            IpProtocol::Icmp => {
                icmp::icmpv4_cut(line, d.payload, ip.payload_len);
                true
            }
            IpProtocol::Icmpv6 => {
                icmp::icmpv6_cut(line, d.payload, ip.payload_len);
                true
            }
            proto => {
                let _ = write!(line, "{proto}, length {}", ip.payload_len);
                false
            }
        },
    }
}

/// UDP's words where tcpdump has no protocol of its own to print: the length from the UDP
/// header, or `bad length` when it claims more than the IP header leaves.
fn udp_words(
    line: &mut String,
    (src, dst): (IpAddr, IpAddr),
    udp_first: bool,
    ip: &IpHeader,
    sport: u16,
    dport: u16,
    ulen: u16,
) {
    if udp_first {
        let _ = write!(line, "{src}.{sport} > {dst}.{dport}: ");
    } else {
        let _ = write!(line, "{sport} > {dport}: ");
    }
    let ulen = usize::from(ulen);
    if ulen < 8 {
        let _ = write!(line, "truncated-udplength {ulen}");
        return;
    }
    let (ulen, room) = (ulen - 8, ip.payload_len.saturating_sub(8));
    if ulen > room && !ip.fragmented {
        let _ = write!(line, "UDP, bad length {ulen} > {room}");
    } else {
        let _ = write!(line, "UDP, length {ulen}");
    }
}

/// Whether tcpdump's line for this packet shows nothing of its being cut short: a UDP, ICMP or
/// ICMPv6 header it could read (their lengths come from the headers, whatever was captured).
fn cut_is_silent(d: &Decoded<'_>) -> bool {
    matches!(
        d.transport,
        Some((
            _,
            Transport::Udp(_) | Transport::Icmpv4(_) | Transport::Icmpv6(_)
        ))
    )
}
