//! The TCP part of a line, word for word as `tcpdump -n` (4.99) prints it: ports, flags,
//! relative sequence numbers, window, urgent pointer, options, length; and for a header the
//! capture cut short, as much of that as tcpdump shows before its `[|tcp]` marker.

mod options;

use std::fmt::Write as _;
use std::net::IpAddr;

use wire::decode::Network;
use wire::tcp::{Flags, Packet};
use wire::Decoded;

use crate::output::relative_seq::RelativeSeq;
use crate::output::text::{push_ip, push_u64};
use crate::style::Style;

/// A TCP segment's words, from the ports on. `tcp` may be shorter than its header (cut by
/// the snap length); `at` is its offset in the frame.
pub(super) fn segment(
    line: &mut String,
    rel: &mut RelativeSeq,
    s: Style,
    (src, dst): (IpAddr, IpAddr),
    (at, tcp): (usize, &Packet<&[u8]>),
    d: &Decoded<'_>,
) {
    let captured = tcp.into_inner().len();
    if captured < 4 {
        // Not even the ports: tcpdump names the hosts only.
        let _ = write!(line, "{src} > {dst}: [|tcp]");
        return;
    }
    // `{src}.{sport} > {dst}.{dport}: `, without core::fmt: this is every TCP line.
    push_ip(line, src);
    line.push('.');
    push_u64(line, u64::from(tcp.src_port()));
    line.push_str(" > ");
    push_ip(line, dst);
    line.push('.');
    push_u64(line, u64::from(tcp.dst_port()));
    line.push_str(": ");
    if !tcp.has_fixed_header() {
        line.push_str(" [|tcp]");
        return;
    }
    // tcpdump's `length`: what the IP header says the segment holds, not what was captured.
    let stated = stated_len(d, at).unwrap_or(captured) as u32;
    let hlen = tcp.header_len() as u32;
    if hlen < 20 {
        let _ = write!(
            line,
            " tcp {} [bad hdr length {hlen} - too short, < 20]",
            stated.wrapping_sub(hlen)
        );
        return;
    }
    let flags = tcp.flags();
    line.push_str("Flags [");
    if s.paints() {
        line.push_str(&s.flags(&tcpdump_flags(flags), flags));
    } else {
        push_tcpdump_flags(line, flags);
    }
    line.push(']');
    let shown = rel.observe(
        (src, tcp.src_port()),
        (dst, tcp.dst_port()),
        flags,
        tcp.seq_number(),
        tcp.ack_number(),
    );
    if hlen > stated {
        let _ = write!(line, " [bad hdr length {hlen} - too long, > {stated}]");
        return;
    }
    let len = stated - hlen;
    if len > 0 || flags.0 & (Flags::SYN.0 | Flags::FIN.0 | Flags::RST.0) != 0 {
        line.push_str(", seq ");
        push_u64(line, u64::from(shown.seq));
        if len > 0 {
            line.push(':');
            push_u64(line, u64::from(shown.seq.wrapping_add(len)));
        }
    }
    if flags.contains(Flags::ACK) {
        line.push_str(", ack ");
        push_u64(line, u64::from(shown.ack));
    }
    line.push_str(", win ");
    push_u64(line, u64::from(tcp.window_len()));
    if flags.contains(Flags::URG) {
        let _ = write!(line, ", urg {}", tcp.urgent_at());
    }
    let mut protocol = "tcp";
    if hlen > 20 {
        let whole = captured >= stated as usize;
        let context = options::Context {
            flags,
            sack_base: shown.sack_base,
            whole_segment_captured: whole,
            bytes_after_header: captured > hlen as usize,
        };
        match options::list(line, tcp, &context) {
            Some(p) => protocol = p,
            None => return,
        }
    }
    line.push_str(", length ");
    push_u64(line, u64::from(len));
    if len > 0 && captured < hlen as usize {
        // Options ended (EOL) before the cut; tcpdump then stops short of the data.
        let _ = write!(
            line,
            " [remaining caplen({captured}) < header length({hlen})] [|{protocol}]"
        );
    }
}

/// Whether decoding stopped inside a TCP header that the capture cut short (as opposed to a
/// header that is malformed, or a later fragment): `d.payload` then holds what is there.
pub(super) fn is_cut_header(d: &Decoded<'_>) -> bool {
    use wire::error::{Layer, WireError};
    let tcp = match &d.network {
        Some((_, Network::Ipv4(p))) => p.protocol() == wire::ip::IpProtocol::Tcp,
        Some((_, Network::Ipv6(_))) => {
            d.ext_headers().last().map_or_else(
                || d.ipv6().map(|p| p.next_header()),
                |h| Some(h.header.next_header()),
            ) == Some(wire::ip::IpProtocol::Tcp)
        }
        _ => false,
    };
    tcp && d.transport.is_none()
        && matches!(
            d.stop,
            Some(
                WireError::Truncated {
                    layer: Layer::Tcp,
                    ..
                } | WireError::Malformed {
                    layer: Layer::Tcp,
                    ..
                }
            )
        )
}

/// Bytes of TCP segment the IP header says there are after offset `at` of the frame.
fn stated_len(d: &Decoded<'_>, at: usize) -> Option<usize> {
    let end = match &d.network {
        Some((ip_at, Network::Ipv4(p))) => ip_at + usize::from(p.total_len()),
        Some((ip_at, Network::Ipv6(p))) => ip_at + 40 + usize::from(p.payload_len()),
        _ => return None,
    };
    Some(end.saturating_sub(at))
}

/// The flag letters JSON's `tcp.flags.str` carries: S F R P U E W N, `.` for ACK, or `none`.
/// Unlike the line's, they show every one of the nine bits, NS too.
pub fn tcp_flags(flags: Flags) -> String {
    if flags.0 == 0 {
        "none".to_owned()
    } else {
        flags.to_string()
    }
}

/// tcpdump's flag letters, in its order (F S R P . U E W). It prints the low eight bits only:
/// the ninth (NS, now AE) shows as nothing.
const LETTERS: [(Flags, char); 8] = [
    (Flags::FIN, 'F'),
    (Flags::SYN, 'S'),
    (Flags::RST, 'R'),
    (Flags::PSH, 'P'),
    (Flags::ACK, '.'),
    (Flags::URG, 'U'),
    (Flags::ECE, 'E'),
    (Flags::CWR, 'W'),
];

/// tcpdump's flag letters, or `none`.
fn tcpdump_flags(flags: Flags) -> String {
    let mut text = String::new();
    push_tcpdump_flags(&mut text, flags);
    text
}

/// [`tcpdump_flags`] appended to `line`, with no `String` of its own.
fn push_tcpdump_flags(line: &mut String, flags: Flags) {
    let before = line.len();
    for (f, c) in LETTERS {
        if flags.contains(f) {
            line.push(c);
        }
    }
    if line.len() == before {
        line.push_str("none");
    }
}

/// Options the way tcpdump lists them: `mss 65495,sackOK,TS val 1 ecr 0,nop,wscale 7`, with
/// SACK edges absolute (no conversation state here).
pub fn tcp_options(tcp: &Packet<&[u8]>) -> String {
    let mut out = String::new();
    let context = options::Context {
        flags: tcp.flags(),
        sack_base: 0,
        whole_segment_captured: true,
        bytes_after_header: tcp.into_inner().len() > tcp.header_len(),
    };
    options::list(&mut out, tcp, &context);
    out.strip_prefix(", options [")
        .map(|s| s.strip_suffix(']').unwrap_or(s).to_owned())
        .unwrap_or(out)
}
