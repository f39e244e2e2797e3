//! The frames nearly all traffic is made of, decoded in one straight pass: an Ethernet II,
//! raw IP or IPv4/IPv6 link, then IPv4 or IPv6 without extension headers, then TCP or UDP,
//! every header whole and valid. Each header is checked once, as a fixed-size array, so
//! reading its fields afterwards needs no further length test; values stay in registers and
//! the [`Decoded`] is built once at the end instead of field by field as the general path
//! goes.
//!
//! This path decides nothing the general path would decide differently: it checks all that
//! the general path checks (buffer lengths, IHL, total length against the header, data
//! offset, UDP length), and at the first frame that is anything else (a VLAN tag, an 802.3
//! length, an IPv4 fragment after the first, an extension header, ICMP, a truncated or
//! malformed header) it returns `None` and [`super::decode`] runs the general path, which
//! then finds and reports what it is. The tests below feed both paths real frames, cut and
//! edited every way they can enumerate and thousands of random ways, and check that they give
//! the same `Decoded` whenever this path takes the frame.

use super::{verdict, ChecksumVerdicts, Decoded, Link, LinkType, Network, Transport};
use crate::field::u8_at;
use crate::ip::IpProtocol;
use crate::{ethernet, ipv4, ipv6, tcp, udp};

/// The network layer as found: the view, its header length, what follows it, the bytes past
/// its stated length, and whether the capture holds less than it states.
struct Ip<'a> {
    view: Network<'a>,
    header_len: usize,
    /// The protocol number, compared as read: converting it to an [`IpProtocol`] first
    /// costs a table lookup the comparison does not need.
    protocol: u8,
    payload: &'a [u8],
    trailer: &'a [u8],
    truncated: bool,
}

/// What a common frame holds beyond a `Decoded` with nothing decoded.
pub(super) struct Common<'a> {
    link: Option<Link<'a>>,
    network: (usize, Network<'a>),
    transport: (usize, Transport<'a>),
    payload: &'a [u8],
    payload_offset: usize,
    trailer: &'a [u8],
    truncated: bool,
}

impl<'a> Common<'a> {
    /// The whole `Decoded`, built in one go.
    #[inline(always)]
    pub(super) fn into_decoded(self, link: LinkType, frame: &'a [u8]) -> Decoded<'a> {
        Decoded {
            link: self.link,
            network: Some(self.network),
            transport: Some(self.transport),
            payload: self.payload,
            payload_offset: self.payload_offset,
            trailer: self.trailer,
            truncated: self.truncated,
            ..Decoded::nothing(link, frame)
        }
    }
}

impl Common<'_> {
    /// The checksum verdicts the `Decoded` would give, from the two layers alone. A common
    /// frame has no IPv6 extension headers, so no IPv6 fragment header either.
    #[inline(always)]
    pub(super) fn checksums(self) -> ChecksumVerdicts {
        let (net_at, network) = self.network;
        let (t_at, transport) = self.transport;
        ChecksumVerdicts {
            ip: match network {
                Network::Ipv4(p) => Some(p.verify_checksum()),
                _ => None,
            },
            transport: verdict::transport(network, net_at, transport, t_at, || false),
        }
    }
}

/// The frame's layers, if it is one of the common kinds; `None` sends it to the general path.
#[inline(always)]
pub(super) fn decode(link: LinkType, frame: &[u8]) -> Option<Common<'_>> {
    let (link_header, at, ip) = match link {
        LinkType::Ethernet => {
            let (header, rest) = frame.split_first_chunk::<{ ethernet::HEADER_LEN }>()?;
            let ip = match ethernet::Frame::new_unchecked(&header[..]).ethertype() {
                ethernet::EtherType::Ipv4 => ipv4(rest)?,
                ethernet::EtherType::Ipv6 => ipv6(rest)?,
                _ => return None,
            };
            (Some(&header[..]), ethernet::HEADER_LEN, ip)
        }
        LinkType::Raw | LinkType::RawDlt12 | LinkType::RawDlt14 => {
            let ip = match frame.first()? >> 4 {
                4 => ipv4(frame)?,
                6 => ipv6(frame)?,
                _ => return None,
            };
            (None, 0, ip)
        }
        LinkType::Ipv4 => (None, 0, ipv4(frame)?),
        LinkType::Ipv6 => (None, 0, ipv6(frame)?),
        _ => return None,
    };
    let t_at = at + ip.header_len;
    let (transport, transport_len, payload) = transport(ip.protocol, ip.payload)?;
    Some(Common {
        link: link_header.map(|header| Link {
            def: &ethernet::LINK,
            offset: 0,
            header,
        }),
        network: (at, ip.view),
        transport: (t_at, transport),
        payload,
        payload_offset: t_at + transport_len,
        trailer: ip.trailer,
        truncated: ip.truncated,
    })
}

/// An IPv4 header that is whole and valid, not of a fragment after the first (which
/// carries no transport header).
#[inline(always)]
fn ipv4(bytes: &[u8]) -> Option<Ip<'_>> {
    let header = bytes.first_chunk::<{ ipv4::HEADER_LEN }>()?;
    let fixed = ipv4::Packet::new_unchecked(&header[..]);
    let header_len = fixed.header_len();
    if fixed.version() != 4 || header_len < ipv4::HEADER_LEN || header_len > bytes.len() {
        return None;
    }
    // Total length 0 is what segmentation offload leaves: the capture gives the length.
    let total = match usize::from(fixed.total_len_field()) {
        0 => bytes.len().min(usize::from(u16::MAX)),
        n if n < header_len => return None,
        n => n,
    };
    if fixed.frag_offset() != 0 {
        return None;
    }
    let end = total.min(bytes.len());
    let (packet, trailer) = bytes.split_at(end);
    Some(Ip {
        view: Network::Ipv4(ipv4::Packet::new_unchecked(packet)),
        header_len,
        protocol: u8_at(header, ipv4::field::PROTOCOL),
        payload: &packet[header_len..],
        trailer,
        truncated: total > bytes.len(),
    })
}

/// An IPv6 fixed header followed directly by the upper layer.
#[inline(always)]
fn ipv6(bytes: &[u8]) -> Option<Ip<'_>> {
    let header = bytes.first_chunk::<{ ipv6::HEADER_LEN }>()?;
    let fixed = ipv6::Packet::new_unchecked(&header[..]);
    // An extension header next is neither TCP nor UDP: `transport` turns it down.
    if fixed.version() != 6 {
        return None;
    }
    let stated = ipv6::HEADER_LEN + usize::from(fixed.payload_len());
    let end = stated.min(bytes.len());
    let (packet, trailer) = bytes.split_at(end);
    Some(Ip {
        view: Network::Ipv6(ipv6::Packet::new_unchecked(packet)),
        header_len: ipv6::HEADER_LEN,
        protocol: u8_at(header, ipv6::field::NEXT_HEADER),
        payload: &packet[ipv6::HEADER_LEN..],
        trailer,
        truncated: stated > bytes.len(),
    })
}

/// A whole, valid TCP or UDP header: the view, its length, and the data after it.
#[inline(always)]
fn transport(protocol: u8, bytes: &[u8]) -> Option<(Transport<'_>, usize, &[u8])> {
    if protocol == u8::from(IpProtocol::Tcp) {
        let fixed = bytes.first_chunk::<{ tcp::HEADER_LEN }>()?;
        let header_len = tcp::Packet::new_unchecked(&fixed[..]).header_len();
        if header_len < tcp::HEADER_LEN || header_len > bytes.len() {
            return None;
        }
        let view = tcp::Packet::new_unchecked(bytes);
        Some((Transport::Tcp(view), header_len, &bytes[header_len..]))
    } else if protocol == u8::from(IpProtocol::Udp) {
        let fixed = bytes.first_chunk::<{ udp::HEADER_LEN }>()?;
        let stated = usize::from(udp::Packet::new_unchecked(&fixed[..]).len());
        if stated < udp::HEADER_LEN {
            return None;
        }
        let view = udp::Packet::new_unchecked(bytes);
        let end = stated.min(bytes.len());
        Some((
            Transport::Udp(view),
            udp::HEADER_LEN,
            &bytes[udp::HEADER_LEN..end],
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Decoded, LinkType};
    use crate::testdata::*;
    use proptest::prelude::*;

    /// The real frames of the kinds this path takes, under every link type it takes: the
    /// Ethernet captures as they are, and their IP packets as raw IP.
    fn common_frames() -> Vec<(LinkType, Vec<u8>)> {
        let ethernet: [&[u8]; 6] = [
            &ETH_IPV4_TCP_SYN,
            &ETH_IPV4_TCP_SYNACK,
            &ETH_IPV4_TCP_DATA,
            &ETH_IPV6_TCP_SYN,
            &ETH_IPV6_TCP_DATA,
            &ETH_IPV4_UDP,
        ];
        let mut all = Vec::new();
        for f in ethernet {
            let ip = f[14..].to_vec();
            let bare = if ip[0] >> 4 == 4 {
                LinkType::Ipv4
            } else {
                LinkType::Ipv6
            };
            all.push((LinkType::Ethernet, f.to_vec()));
            for raw in [LinkType::Raw, LinkType::RawDlt12, LinkType::RawDlt14, bare] {
                all.push((raw, ip.clone()));
            }
        }
        all
    }

    /// This path's decoding, if it takes the frame.
    fn decode(link: LinkType, frame: &[u8]) -> Option<Decoded<'_>> {
        super::decode(link, frame).map(|found| found.into_decoded(link, frame))
    }

    /// Whatever this path takes, the general path decodes to exactly the same.
    fn agrees(link: LinkType, frame: &[u8]) -> bool {
        match decode(link, frame) {
            Some(d) => {
                assert_eq!(d, Decoded::decode_any(link, frame), "{link}: {frame:02x?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn takes_the_common_frames_and_agrees() {
        for (link, f) in common_frames() {
            assert!(agrees(link, &f), "{link}: {f:02x?} not taken");
        }
    }

    #[test]
    fn leaves_the_rest_to_the_general_path() {
        // ICMP, ICMPv6, cooked captures: not taken.
        for (link, f) in [
            (LinkType::Ethernet, &ETH_IPV4_ICMP_ECHO[..]),
            (LinkType::Ethernet, &ETH_IPV4_ICMP_UNREACH[..]),
            (LinkType::Ethernet, &ETH_IPV6_ICMPV6_ECHO[..]),
            (LinkType::LinuxSll, &SLL_IPV4_UDP[..]),
        ] {
            assert!(decode(link, f).is_none(), "{link}");
        }
        // Hand-made from the real SYN: a later fragment, IHL 4, a total length below the
        // header, a data offset of 4, an IPv6 hop-by-hop header, an 802.1Q tag.
        let edits: [(usize, u8); 4] = [(21, 1), (14, 0x44), (17, 19), (46, 0x40)];
        for (at, v) in edits {
            let mut f = ETH_IPV4_TCP_SYN;
            f[at] = v;
            assert!(decode(LinkType::Ethernet, &f).is_none(), "byte {at} = {v}");
            assert!(Decoded::decode_any(LinkType::Ethernet, &f)
                .transport
                .is_none());
        }
        let mut f = ETH_IPV6_TCP_SYN;
        f[20] = 0;
        assert!(decode(LinkType::Ethernet, &f).is_none());
        let mut f = ETH_IPV4_TCP_SYN.to_vec();
        f.splice(12..12, [0x81, 0x00, 0x00, 0x0a]);
        assert!(decode(LinkType::Ethernet, &f).is_none());
        assert!(Decoded::decode_any(LinkType::Ethernet, &f).tcp().is_some());
    }

    /// Hand-made from the real data segment: total length 0, as segmentation offload leaves
    /// it on a captured outgoing segment, with more data than a frame holds.
    #[test]
    fn takes_offloaded_segments_and_agrees() {
        let mut f = ETH_IPV4_TCP_DATA.to_vec();
        f[16..18].fill(0);
        f.resize(3000, b'x');
        for cut in 0..=f.len() {
            agrees(LinkType::Ethernet, &f[..cut]);
        }
        assert!(agrees(LinkType::Ethernet, &f));
        assert!(agrees(LinkType::Raw, &f[14..]));
    }

    #[test]
    fn agrees_at_every_length() {
        for (link, f) in common_frames() {
            for cut in 0..=f.len() {
                agrees(link, &f[..cut]);
            }
        }
    }

    /// Every value in every byte, one byte at a time: each length, version, offset and type
    /// field takes each of its values once.
    #[test]
    fn agrees_on_every_single_byte_edit() {
        for (link, f) in common_frames() {
            let mut taken = 0;
            for at in 0..f.len() {
                let mut g = f.clone();
                for v in 0..=255 {
                    g[at] = v;
                    taken += usize::from(agrees(link, &g));
                }
            }
            // Payload bytes, ports, addresses and the like leave the frame common.
            assert!(taken > f.len() * 100, "{link}: only {taken} taken");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Edits anywhere in the headers (lengths, versions, offsets, types) and cuts.
        #[test]
        fn agrees_on_edited_frames(which in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), prop_oneof![any::<u8>(), 0u8..80]), 1..4), cut in any::<prop::sample::Index>(), grow in 0usize..24) {
            let frames = common_frames();
            let (link, f) = &frames[which.index(frames.len())];
            let mut f = f.clone();
            f.resize(f.len() + grow, 0);
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            let cut = cut.index(f.len() + 1);
            agrees(*link, &f[..cut]);
        }
    }
}
