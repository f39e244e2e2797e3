//! Frames built with wire's own emitters, for tests and benches that need traffic of their
//! own: checksums filled in, so every reader (raw-sniff, tshark, tcpdump) takes them as real.

use std::net::Ipv4Addr;

use wire::checksum::PseudoHeader;
use wire::tcp::Flags;
use wire::{ethernet, ipv4, tcp, IpProtocol};

/// One TCP segment from `src` to `dst` (address and port) in an IPv4 packet (TTL 64, DF) in an
/// Ethernet II frame with zero MAC addresses.
pub fn ethernet_ipv4_tcp(
    src: (Ipv4Addr, u16),
    dst: (Ipv4Addr, u16),
    seq: u32,
    ack: u32,
    flags: Flags,
    payload: &[u8],
) -> Vec<u8> {
    let t = tcp::Repr {
        src_port: src.1,
        dst_port: dst.1,
        seq_number: seq,
        ack_number: ack,
        flags,
        window_len: 65_535,
        urgent_at: 0,
        options: tcp::OptionsRepr::default(),
        payload,
    };
    let mut l4 = vec![0u8; t.buffer_len()];
    let pseudo = PseudoHeader::V4 {
        src: src.0,
        dst: dst.0,
    };
    t.emit(&mut tcp::Packet::new_unchecked(&mut l4[..]), &pseudo);
    let ip = ipv4::Repr {
        src_addr: src.0,
        dst_addr: dst.0,
        protocol: IpProtocol::Tcp,
        payload_len: l4.len(),
        ttl: 64,
        dscp: 0,
        ecn: 0,
        ident: 1,
        dont_frag: true,
        more_frags: false,
        frag_offset: 0,
        options: &[],
    };
    let mut f = vec![0u8; ethernet::HEADER_LEN + ip.buffer_len()];
    ethernet::Repr {
        src_addr: ethernet::MacAddr([0; 6]),
        dst_addr: ethernet::MacAddr([0; 6]),
        ethertype: ethernet::EtherType::Ipv4,
    }
    .emit(&mut ethernet::Frame::new_unchecked(
        &mut f[..ethernet::HEADER_LEN],
    ));
    ip.emit(&mut ipv4::Packet::new_unchecked(
        &mut f[ethernet::HEADER_LEN..],
    ));
    f.extend(l4);
    f
}
