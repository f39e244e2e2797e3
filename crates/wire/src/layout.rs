//! Where every byte of a decoded frame belongs: [`Decoded::walk_fields`] reports each header
//! field (fixed fields from the protocols' tables, options and extension headers as decoded)
//! at its absolute offset, then the payload and any trailer, so an explain printer can label
//! every byte exactly once without parsing anything itself.

use crate::decode::{Decoded, Network, Transport};
use crate::field::FieldDef;
use crate::{arp, ipv4, ipv6, tcp, udp, vlan};

/// Bytes after the last decoded header.
pub const PAYLOAD: FieldDef = FieldDef {
    name: "data",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Payload",
    meaning: "Bytes after the last decoded header: application data, or what could not be decoded (see the stop reason).",
};

/// Bytes after the network packet's stated length.
pub const TRAILER: FieldDef = FieldDef {
    name: "eth.trailer",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Padding",
    meaning: "Bytes past the IP packet's length: Ethernet pads frames to 60 bytes (IEEE 802.3 §3.2.8), some NICs add trailers.",
};

/// Bytes inside the IP packet after the end the transport header states.
pub const BEYOND_LENGTH: FieldDef = FieldDef {
    name: "data.beyond_length",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Past the datagram",
    meaning: "Bytes inside the IP packet but after the end the UDP length field states: not part of the datagram, so no application receives them (RFC 768).",
};

/// Option bytes that do not parse.
const BAD_OPTIONS: FieldDef = FieldDef {
    name: "options.malformed",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Malformed options",
    meaning: "Option bytes whose type/length structure is broken; shown raw.",
};

/// The part of an extension header after its fixed fields.
const EXT_DATA: FieldDef = FieldDef {
    name: "ipv6.ext.data",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Options / data",
    meaning: "The rest of an IPv6 extension header: option TLVs and padding, routing addresses, or authentication data (RFC 8200 §4).",
};

/// ARP with other than Ethernet/IPv4 address sizes.
const ARP_ADDRESSES: FieldDef = FieldDef {
    name: "arp.addresses",
    at: 0,
    len: 0,
    mask: 0,
    kind: crate::field::Kind::Bytes,
    label: "Addresses",
    meaning: "Sender and target hardware and protocol addresses, sized by the two length fields (RFC 826).",
};

fn table(f: &mut impl FnMut(FieldDef), fields: &[FieldDef], base: usize) {
    for d in fields {
        f(d.shifted(base));
    }
}

fn placed(f: FieldDef, at: usize, len: usize) -> FieldDef {
    FieldDef { at, len, ..f }
}

impl Decoded<'_> {
    /// Calls `f` with every field of every decoded layer, in wire order, each placed at its
    /// absolute offset (`FieldDef::at`). Sub-byte fields share bytes and are reported one by
    /// one with their masks. Does not allocate.
    pub fn walk_fields(&self, mut f: impl FnMut(FieldDef)) {
        let f = &mut f;
        for l in self.links() {
            l.walk_fields(f);
        }
        for t in self.vlan_tags() {
            table(f, vlan::field::FIELDS, t.offset);
        }
        match self.network {
            Some((at, Network::Ipv4(p))) => {
                table(f, ipv4::field::FIELDS, at);
                let end = at + p.header_len();
                let mut pos = at + ipv4::HEADER_LEN;
                for o in p.options() {
                    match o {
                        Ok(o) => {
                            let d = o.field();
                            f(placed(d, at + d.at, d.len));
                            pos = at + d.at + d.len;
                        }
                        Err(_) => break,
                    }
                }
                if pos < end {
                    f(placed(BAD_OPTIONS, pos, end - pos));
                }
            }
            Some((at, Network::Ipv6(_))) => {
                table(f, ipv6::field::FIELDS, at);
                for h in self.ext_headers() {
                    let fixed = h.header.fields();
                    table(f, fixed, h.offset);
                    let fixed_len = fixed.last().map_or(0, FieldDef::end);
                    let len = h.header.header_len();
                    if len > fixed_len {
                        f(placed(EXT_DATA, h.offset + fixed_len, len - fixed_len));
                    }
                }
            }
            Some((at, Network::Arp(p))) => {
                if p.hardware_len() == 6 && p.protocol_len() == 4 {
                    table(f, arp::field::FIELDS, at);
                } else {
                    table(f, &arp::field::FIELDS[..5], at);
                    let n = 2 * (usize::from(p.hardware_len()) + usize::from(p.protocol_len()));
                    if n > 0 {
                        f(placed(ARP_ADDRESSES, at + 8, n));
                    }
                }
            }
            None => {}
        }
        match self.transport {
            Some((at, Transport::Tcp(p))) => {
                table(f, tcp::field::FIELDS, at);
                let end = at + p.header_len();
                let mut pos = at + tcp::HEADER_LEN;
                for o in p.options() {
                    match o {
                        Ok(o) => {
                            f(o.field().shifted(at));
                            pos = at + o.at + o.len;
                        }
                        Err(_) => break,
                    }
                }
                if pos < end {
                    f(placed(BAD_OPTIONS, pos, end - pos));
                }
            }
            Some((at, Transport::Udp(_))) => table(f, udp::field::FIELDS, at),
            Some((at, Transport::Icmpv4(p))) => table(f, p.fields(), at),
            Some((at, Transport::Icmpv6(p))) => table(f, p.fields(), at),
            None => {}
        }
        if !self.payload.is_empty() {
            f(placed(PAYLOAD, self.payload_offset, self.payload.len()));
        }
        // UDP bounds its payload by its own length field, which may end before the IP packet.
        let payload_end = self.payload_offset + self.payload.len();
        let trailer_at = self.frame.len() - self.trailer.len();
        if self.transport.is_some() && payload_end < trailer_at {
            f(placed(BEYOND_LENGTH, payload_end, trailer_at - payload_end));
        }
        if !self.trailer.is_empty() {
            f(placed(
                TRAILER,
                self.frame.len() - self.trailer.len(),
                self.trailer.len(),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{decode, LinkType};
    use crate::testdata::*;
    use proptest::prelude::*;

    /// Counts how often each byte is labelled; masked fields over the same bytes count once
    /// as a group, and their masks must not overlap.
    fn coverage(d: &Decoded<'_>) -> Vec<u32> {
        let mut count = vec![0u32; d.frame.len()];
        let mut group: Option<(usize, usize, u32)> = None;
        d.walk_fields(|fd| {
            assert!(
                fd.end() <= d.frame.len(),
                "{} at {} len {} beyond {}",
                fd.name,
                fd.at,
                fd.len,
                d.frame.len()
            );
            if fd.mask != 0 {
                if let Some((at, len, seen)) = group {
                    if at == fd.at && len == fd.len {
                        assert_eq!(seen & fd.mask, 0, "{} overlaps its siblings", fd.name);
                        group = Some((at, len, seen | fd.mask));
                        return;
                    }
                }
                group = Some((fd.at, fd.len, fd.mask));
            } else {
                group = None;
            }
            for c in &mut count[fd.range()] {
                *c += 1;
            }
        });
        count
    }

    fn every_byte_once(d: &Decoded<'_>) {
        let c = coverage(d);
        for (i, n) in c.iter().enumerate() {
            assert_eq!(*n, 1, "byte {i} labelled {n} times (stop: {:?})", d.stop);
        }
    }

    #[test]
    fn real_frames_labelled_exactly_once() {
        let frames: [(LinkType, &[u8]); 11] = [
            (LinkType::Ethernet, &ETH_IPV4_TCP_SYN),
            (LinkType::Ethernet, &ETH_IPV4_TCP_SYNACK),
            (LinkType::Ethernet, &ETH_IPV4_TCP_DATA),
            (LinkType::Ethernet, &ETH_IPV6_TCP_SYN),
            (LinkType::Ethernet, &ETH_IPV6_TCP_DATA),
            (LinkType::Ethernet, &ETH_IPV4_ICMP_UNREACH),
            (LinkType::Ethernet, &ETH_IPV4_UDP),
            (LinkType::Ethernet, &ETH_IPV4_ICMP_ECHO),
            (LinkType::Ethernet, &ETH_IPV6_ICMPV6_ECHO),
            (LinkType::LinuxSll, &SLL_IPV4_UDP),
            (LinkType::LinuxSll2, &SLL2_IPV4_UDP),
        ];
        for (lt, f) in frames {
            for cut in 0..=f.len() {
                every_byte_once(&decode(lt, &f[..cut]));
            }
        }
        // Names a printer shows for the SYN: the table's, then each option's.
        let d = decode(LinkType::Ethernet, &ETH_IPV4_TCP_SYN);
        let mut names = Vec::new();
        d.walk_fields(|fd| names.push((fd.at, fd.name)));
        assert!(names.contains(&(22, "ip.ttl")));
        assert!(names.contains(&(54, "tcp.options.mss_val")));
        assert_eq!(names.last(), Some(&(71, "tcp.options.wscale.shift")));
    }

    #[test]
    fn every_link_type_labelled_exactly_once() {
        for (lt, f) in other_link_frames() {
            let d = decode(lt, &f);
            assert!(d.stop.is_none(), "{lt}: {:?}", d.stop);
            for cut in 0..=f.len() {
                every_byte_once(&decode(lt, &f[..cut]));
            }
        }
        // The 802.11 data frame goes through LLC/SNAP to IP, each header labelled.
        let (lt, f) = other_link_frames().pop().unwrap();
        let d = decode(lt, &f);
        let keys: Vec<&str> = d.links().map(|l| l.def.key).collect();
        assert_eq!(keys, ["radiotap", "wlan", "llc"]);
        let mut names = Vec::new();
        d.walk_fields(|fd| names.push(fd.name));
        assert!(names.contains(&"radiotap.datarate") && names.contains(&"wlan.qos"));
        assert!(names.contains(&"llc.type") && names.contains(&"ip.dst"));
    }

    #[test]
    fn padding_vlan_and_extension_headers() {
        let mut f = ETH_IPV4_UDP.to_vec();
        f.extend_from_slice(&[0; 16]);
        every_byte_once(&decode(LinkType::Ethernet, &f));
        // Hand-made: a VLAN tag and an IPv6 hop-by-hop header around the real packets.
        let mut v = vec![0u8; 12];
        v.extend_from_slice(&[0x81, 0x00, 0x00, 0x14, 0x08, 0x00]);
        v.extend_from_slice(&ETH_IPV4_UDP[14..]);
        every_byte_once(&decode(LinkType::Ethernet, &v));
        let mut x = ETH_IPV6_TCP_SYN[..54].to_vec();
        x[20] = 0;
        x[18..20].copy_from_slice(&48u16.to_be_bytes());
        x.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]);
        x.extend_from_slice(&ETH_IPV6_TCP_SYN[54..]);
        let d = decode(LinkType::Ethernet, &x);
        assert_eq!(d.ext_headers().count(), 1);
        every_byte_once(&d);
    }

    #[test]
    fn udp_length_shorter_than_the_ip_packet() {
        // Hand-made from the real datagram: UDP length 8 (header only) where IP carries 10, so
        // its two payload bytes belong to neither the datagram nor the Ethernet padding.
        let mut f = ETH_IPV4_UDP.to_vec();
        f[38..40].copy_from_slice(&8u16.to_be_bytes());
        let d = decode(LinkType::Ethernet, &f);
        assert!(d.payload.is_empty() && d.trailer.is_empty());
        every_byte_once(&d);
        let mut last = None;
        d.walk_fields(|fd| last = Some((fd.name, fd.at, fd.len)));
        assert_eq!(last, Some(("data.beyond_length", 42, 2)));
    }

    proptest! {
        #[test]
        fn mutated_frames_labelled_exactly_once(which in 0usize..4, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
            let frames: [&[u8]; 4] = [&ETH_IPV4_TCP_SYN, &ETH_IPV6_TCP_DATA, &ETH_IPV4_ICMP_UNREACH, &ETH_IPV4_UDP];
            let mut f = frames[which].to_vec();
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            every_byte_once(&decode(LinkType::Ethernet, &f));
        }

        #[test]
        fn random_bytes_labelled_exactly_once(link in 0u32..3, bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let lt = [LinkType::Ethernet, LinkType::Raw, LinkType::LinuxSll2][link as usize];
            every_byte_once(&decode(lt, &bytes));
        }

        #[test]
        fn other_links_mutated_labelled_exactly_once(which in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
            let frames = other_link_frames();
            let (lt, f) = &frames[which.index(frames.len())];
            let mut f = f.clone();
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            let cut = cut.index(f.len() + 1);
            every_byte_once(&decode(*lt, &f[..cut]));
        }

        #[test]
        fn other_links_random_bytes_labelled_exactly_once(link in any::<prop::sample::Index>(), bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let frames = other_link_frames();
            every_byte_once(&decode(frames[link.index(frames.len())].0, &bytes));
        }
    }
}
