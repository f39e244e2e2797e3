//! `-q`, tcpdump's quick output: a TCP segment is only its addresses, ports and how many bytes
//! it carries (`IP 10.0.0.1.40000 > 10.0.0.2.80: tcp 0`). Every other protocol's words are
//! already as short as tcpdump's `-q` makes them (`UDP, length 4`, the ICMP words).

use std::fmt::Write as _;
use std::net::IpAddr;

use wire::checksum::ChecksumStatus;
use wire::decode::Network;
use wire::Decoded;

use crate::capture::CapturedFrame;
use crate::style::Style;

/// The quick words of a TCP segment in `tcp`, after the label: addresses and ports, then
/// `tcp N` where N is what the IP length leaves after the TCP header (captured or not), then
/// the same checksum notes as every other line.
pub(super) fn tcp(
    line: &mut String,
    s: Style,
    frame: &CapturedFrame<'_>,
    d: &Decoded<'_>,
    (src, dst): (IpAddr, IpAddr),
    tcp_at: usize,
    tcp: &wire::tcp::Packet<&[u8]>,
) {
    let _ = write!(
        line,
        "{src}.{} > {dst}.{}: tcp {}",
        tcp.src_port(),
        tcp.dst_port(),
        segment_len(d, tcp_at).saturating_sub(tcp.header_len())
    );
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

/// Bytes from the TCP header at `tcp_at` to the end of the IP datagram, as the IP header's
/// length field says.
fn segment_len(d: &Decoded<'_>, tcp_at: usize) -> usize {
    let end = match &d.network {
        Some((at, Network::Ipv4(ip))) => at + usize::from(ip.total_len()),
        Some((at, Network::Ipv6(ip))) => at + 40 + usize::from(ip.payload_len()),
        _ => d.frame.len(),
    };
    end.saturating_sub(tcp_at)
}
