//! The transport checksum verdict from the two layers it depends on.

use super::{Network, Transport};
use crate::checksum::{ChecksumStatus, PseudoHeader, Unverified};
use crate::ipv6;

/// The verdict for `transport` at offset `t_at`, carried by `network` at `net_at`;
/// `ipv6_fragment` says whether an IPv6 fragment header precedes it, asked only of IPv6. None when the network
/// layer gives no pseudo-header (ARP).
///
/// Decides as one look at the network layer what used to take three (pseudo-header, the
/// length the IP header gives the segment, fragment or not), in the same order of precedence:
/// no pseudo-header, then a fragment, then the transport's own verdict.
#[inline(always)]
pub(super) fn transport(
    network: Network<'_>,
    net_at: usize,
    transport: Transport<'_>,
    t_at: usize,
    ipv6_fragment: impl FnOnce() -> bool,
) -> Option<ChecksumStatus> {
    // Length the IP layer gives the transport segment, from the length fields rather than
    // the buffer.
    let (pseudo, len, fragment) = match network {
        Network::Ipv4(p) => (
            PseudoHeader::V4 {
                src: p.src_addr(),
                dst: p.dst_addr(),
            },
            (net_at + usize::from(p.total_len())).saturating_sub(t_at),
            p.is_fragment(),
        ),
        Network::Ipv6(p) => (
            // IPv6 routing headers change the final destination; this uses the address in
            // the fixed header, as a receiver has it.
            PseudoHeader::V6 {
                src: p.src_addr(),
                dst: p.dst_addr(),
            },
            (net_at + ipv6::HEADER_LEN + usize::from(p.payload_len())).saturating_sub(t_at),
            ipv6_fragment(),
        ),
        Network::Arp(_) => return None,
    };
    if fragment {
        return Some(ChecksumStatus::Unverified(Unverified::Fragment));
    }
    Some(match transport {
        Transport::Tcp(p) => p.verify_checksum(&pseudo, len),
        Transport::Udp(p) => p.verify_checksum(&pseudo),
        Transport::Icmpv4(p) => p.verify_checksum(len),
        Transport::Icmpv6(p) => p.verify_checksum(&pseudo, len),
    })
}

#[cfg(test)]
mod tests {
    use super::super::{decode, verify_checksums, Decoded, LinkType, Network, Transport};
    use crate::checksum::{self, ChecksumStatus, Unverified};
    use crate::ip::IpProtocol;
    use crate::testdata::*;
    use crate::{ipv4, ipv6, tcp, udp};
    use proptest::prelude::*;

    /// The verdicts as `ip_checksum` and `transport_checksum` reached them before they were
    /// taken apart: the IPv4 header summed as a slice of any length; pseudo-header, segment
    /// length and fragment each read from the network layer in turn.
    fn reference(d: &Decoded<'_>) -> (Option<ChecksumStatus>, Option<ChecksumStatus>) {
        let ip = d.ipv4().map(|p| {
            let b = p.into_inner();
            checksum::judge(&b[..p.header_len()], 0, p.checksum(), false)
        });
        let transport = (|| {
            let (t_at, t) = d.transport?;
            let pseudo = d.pseudo_header()?;
            let len = match d.network {
                Some((at, Network::Ipv4(p))) => {
                    (at + usize::from(p.total_len())).saturating_sub(t_at)
                }
                Some((at, Network::Ipv6(p))) => {
                    (at + ipv6::HEADER_LEN + usize::from(p.payload_len())).saturating_sub(t_at)
                }
                _ => return None,
            };
            let fragment = match d.network {
                Some((_, Network::Ipv4(p))) => p.is_fragment(),
                Some((_, Network::Ipv6(_))) => d
                    .ext_headers()
                    .any(|h| h.header.kind() == IpProtocol::Ipv6Frag),
                _ => false,
            };
            if fragment {
                return Some(ChecksumStatus::Unverified(Unverified::Fragment));
            }
            Some(match t {
                Transport::Tcp(p) => p.verify_checksum(&pseudo, len),
                Transport::Udp(p) => p.verify_checksum(&pseudo),
                Transport::Icmpv4(p) => p.verify_checksum(len),
                Transport::Icmpv6(p) => p.verify_checksum(&pseudo, len),
            })
        })();
        (ip, transport)
    }

    /// The methods, the one-call entry point and the reference all agree; returns the
    /// verdicts.
    fn agree(link: LinkType, frame: &[u8]) -> (Option<ChecksumStatus>, Option<ChecksumStatus>) {
        let d = decode(link, frame);
        let methods = (d.ip_checksum(), d.transport_checksum());
        assert_eq!(methods, reference(&d), "{link}: {frame:02x?}");
        let v = verify_checksums(link, frame);
        assert_eq!((v.ip, v.transport), methods, "{link}: {frame:02x?}");
        methods
    }

    /// The real frames, as captured (loopback: TCP and UDP checksums offloaded) and with
    /// every checksum completed; an IPv4 header with options and an IPv6 fragment header
    /// made from them by hand.
    fn frames() -> Vec<(LinkType, Vec<u8>)> {
        let captured = crate::testdata::captured();
        let mut all: Vec<(LinkType, Vec<u8>)> =
            captured.iter().map(|&(l, f)| (l, f.to_vec())).collect();
        for (link, f) in captured.iter().filter(|(l, _)| *l == LinkType::Ethernet) {
            let mut f = f.to_vec();
            complete(&mut f);
            all.push((*link, f.clone()));
            all.push((LinkType::Raw, f[14..].to_vec()));
        }
        // IPv4 with a 4-byte option (NOP, NOP, NOP, EOL), checksums completed.
        let mut f = ETH_IPV4_TCP_DATA.to_vec();
        f.splice(34..34, [1, 1, 1, 0]);
        f[14] = 0x46;
        let total = u16::from_be_bytes([f[16], f[17]]) + 4;
        f[16..18].copy_from_slice(&total.to_be_bytes());
        complete(&mut f);
        all.push((LinkType::Ethernet, f));
        // IPv6 with a fragment header (first fragment) before TCP.
        let mut f = ETH_IPV6_TCP_DATA[..54].to_vec();
        f[20] = 44;
        let len = u16::from_be_bytes([f[18], f[19]]) + 8;
        f[18..20].copy_from_slice(&len.to_be_bytes());
        f.extend_from_slice(&[6, 0, 0, 1, 0, 0, 0, 7]);
        f.extend_from_slice(&ETH_IPV6_TCP_DATA[54..]);
        all.push((LinkType::Ethernet, f));
        all
    }

    /// Fills in the IPv4 header checksum and the TCP or UDP checksum.
    fn complete(f: &mut [u8]) {
        let d = decode(LinkType::Ethernet, f);
        let (Some(pseudo), Some((t_at, t))) = (d.pseudo_header(), d.transport) else {
            return;
        };
        let (is_v4, is_tcp, is_udp) = (
            d.ipv4().is_some(),
            matches!(t, Transport::Tcp(_)),
            matches!(t, Transport::Udp(_)),
        );
        if is_v4 {
            ipv4::Packet::new_unchecked(&mut f[14..]).fill_checksum();
        }
        if is_tcp {
            tcp::Packet::new_unchecked(&mut f[t_at..]).fill_checksum(&pseudo);
        } else if is_udp {
            udp::Packet::new_unchecked(&mut f[t_at..]).fill_checksum(&pseudo);
        }
    }

    #[test]
    fn every_verdict_kind_is_covered() {
        let verdicts: Vec<_> = frames().iter().map(|(l, f)| agree(*l, f)).collect();
        let seen = |want: fn(&ChecksumStatus) -> bool| {
            verdicts
                .iter()
                .any(|(ip, t)| ip.as_ref().is_some_and(want) || t.as_ref().is_some_and(want))
        };
        assert!(seen(|c| *c == ChecksumStatus::Good));
        assert!(seen(
            |c| *c == ChecksumStatus::Unverified(Unverified::Offloaded)
        ));
        assert!(seen(
            |c| *c == ChecksumStatus::Unverified(Unverified::Fragment)
        ));
        // The completed IPv4 header with options is judged good.
        let (link, f) = &frames()[frames().len() - 2];
        assert_eq!(agree(*link, f).0, Some(ChecksumStatus::Good));
    }

    #[test]
    fn agree_at_every_length() {
        let mut truncated = 0;
        for (link, f) in frames() {
            for cut in 0..=f.len() {
                let (_, t) = agree(link, &f[..cut]);
                truncated +=
                    usize::from(t == Some(ChecksumStatus::Unverified(Unverified::Truncated)));
            }
        }
        assert!(truncated > 0);
    }

    /// Every value in every byte: wrong checksums (bad verdicts, with what they should be),
    /// other lengths, header lengths, fragment fields and protocols.
    #[test]
    fn agree_on_every_single_byte_edit() {
        let mut bad = 0;
        for (link, f) in frames() {
            let mut g = f.clone();
            for at in 0..f.len() {
                for v in 0..=255 {
                    g[at] = v;
                    let (ip, t) = agree(link, &g);
                    bad += usize::from(matches!(ip, Some(ChecksumStatus::Bad { .. })));
                    bad += usize::from(matches!(t, Some(ChecksumStatus::Bad { .. })));
                }
                g[at] = f[at];
            }
        }
        assert!(bad > 1000, "only {bad} bad verdicts");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        /// Several edits at once, a cut, bytes added at the end.
        #[test]
        fn agree_on_edited_frames(which in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4), cut in any::<prop::sample::Index>(), grow in 0usize..24) {
            let frames = frames();
            let (link, f) = &frames[which.index(frames.len())];
            let mut f = f.clone();
            f.resize(f.len() + grow, 0);
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            let cut = cut.index(f.len() + 1);
            agree(*link, &f[..cut]);
        }
    }
}
