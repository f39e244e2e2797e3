//! One entry point, [`decode`], turning a captured frame into every layer it can: link, VLAN
//! tags, network layer and IPv6 extension chain, transport, payload, each with its start
//! offset. Decoding is lax: it keeps every complete layer and records in
//! [`Decoded::stop`] why it went no further, so a damaged or truncated frame still shows
//! what it holds. It does not allocate, and no input makes it panic.

use std::net::IpAddr;

use crate::checksum::{ChecksumStatus, PseudoHeader};
use crate::error::{Layer, Reason, WireError};
use crate::ethernet::EtherType;
use crate::field::FieldDef;
use crate::ip::IpProtocol;
use crate::link::{self, LinkDef, Next, Start};
use crate::{arp, icmpv4, icmpv6, ipv4, ipv6, ipv6_ext, tcp, udp, vlan};

mod common;
mod verdict;

enum_with_unknown! {
    /// Link-layer header type of a capture (tcpdump.org "LINK-LAYER HEADER TYPES").
    pub enum LinkType(u32) {
        /// BSD loopback, family in host byte order.
        Null = 0 => "NULL",
        /// Ethernet II.
        Ethernet = 1 => "EN10MB",
        /// SLIP with libpcap's 16-byte pseudo-header.
        Slip = 8 => "SLIP",
        /// PPP, with or without address and control.
        Ppp = 9 => "PPP",
        /// PPP in HDLC-like framing (RFC 1662), or Cisco HDLC.
        PppHdlc = 50 => "PPP_HDLC",
        /// Cisco HDLC.
        CHdlc = 104 => "C_HDLC",
        /// IEEE 802.11 without radio information.
        Ieee80211 = 105 => "IEEE802_11",
        /// Frame Relay.
        FrameRelay = 107 => "FRELAY",
        /// Radiotap header, then IEEE 802.11.
        Radiotap = 127 => "IEEE802_11_RADIOTAP",
        /// Linux netfilter log.
        Nflog = 239 => "NFLOG",
        /// IP over InfiniBand.
        Ipoib = 242 => "IPOIB",
        /// Apple PKTAP.
        Pktap = 258 => "PKTAP",
        /// Raw IPv4 or IPv6 (version nibble decides): what an `AF_INET` `SOCK_RAW` yields.
        Raw = 101 => "RAW",
        /// Raw IP under its DLT number 12, which some older or BSD-written files carry.
        RawDlt12 = 12 => "RAW (DLT 12)",
        /// Raw IP under DLT number 14, as OpenBSD's libpcap writes it.
        RawDlt14 = 14 => "RAW (DLT 14)",
        /// BSD loopback, family in network byte order.
        Loop = 108 => "LOOP",
        /// Linux cooked capture v1.
        LinuxSll = 113 => "LINUX_SLL",
        /// Raw IPv4 only.
        Ipv4 = 228 => "IPV4",
        /// Raw IPv6 only.
        Ipv6 = 229 => "IPV6",
        /// Linux cooked capture v2.
        LinuxSll2 = 276 => "LINUX_SLL2",
    }
}

/// A link-level header found: which kind, where, and its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link<'a> {
    /// The header's entry in the link registry.
    pub def: &'static LinkDef,
    /// Offset of its first byte in the frame.
    pub offset: usize,
    /// Exactly its bytes.
    pub header: &'a [u8],
}

impl<'a> Link<'a> {
    /// Bytes the header takes.
    pub fn header_len(&self) -> usize {
        self.header.len()
    }

    /// What follows the header.
    pub fn next(&self) -> Next {
        (self.def.parse)(self.header).map_or(Next::Undecoded, |p| p.next)
    }

    /// The Ethernet II view, if this is one.
    pub fn ethernet(&self) -> Option<crate::ethernet::Frame<&'a [u8]>> {
        (self.def == &crate::ethernet::LINK)
            .then(|| crate::ethernet::Frame::new_unchecked(self.header))
    }

    /// The Linux cooked capture view, if this is one (either version).
    pub fn sll(&self) -> Option<crate::sll::Packet<&'a [u8]>> {
        let version = if self.def == &crate::sll::LINK {
            crate::sll::Version::V1
        } else if self.def == &crate::sll::LINK_V2 {
            crate::sll::Version::V2
        } else {
            return None;
        };
        Some(crate::sll::Packet::new_unchecked(self.header, version))
    }

    /// Calls `f` with each field of the header at its absolute offset in the frame.
    pub fn walk_fields(&self, f: &mut dyn FnMut(FieldDef)) {
        let at = self.offset;
        (self.def.walk)(self.header, &mut |d: FieldDef| f(d.shifted(at)));
    }
}

/// Most link-level headers decoded in a row (PKTAP, radiotap, 802.11, LLC).
pub const MAX_LINKS: usize = 4;

/// Most VLAN tags kept; deeper stacks stop decoding.
pub const MAX_VLANS: usize = 4;
/// Most IPv6 extension headers walked; longer chains stop decoding.
pub const MAX_EXT_HEADERS: usize = 8;

/// A VLAN tag and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VlanTag<'a> {
    /// Offset of the tag (after its 0x8100/0x88a8 EtherType).
    pub offset: usize,
    /// The tag.
    pub tag: vlan::Packet<&'a [u8]>,
}

/// An IPv6 extension header and where it starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtHeader<'a> {
    /// Offset of the header.
    pub offset: usize,
    /// The header.
    pub header: ipv6_ext::Header<&'a [u8]>,
}

/// The network layer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Network<'a> {
    /// IPv4; the view spans the header and as much of the datagram as was captured.
    Ipv4(ipv4::Packet<&'a [u8]>),
    /// IPv6; the view spans the fixed header and the captured payload.
    Ipv6(ipv6::Packet<&'a [u8]>),
    /// ARP.
    Arp(arp::Packet<&'a [u8]>),
}

/// The transport layer found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport<'a> {
    /// TCP.
    Tcp(tcp::Packet<&'a [u8]>),
    /// UDP.
    Udp(udp::Packet<&'a [u8]>),
    /// ICMP for IPv4.
    Icmpv4(icmpv4::Packet<&'a [u8]>),
    /// ICMP for IPv6.
    Icmpv6(icmpv6::Packet<&'a [u8]>),
}

/// Everything decoded from one frame. Layers borrow the frame; offsets are absolute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decoded<'a> {
    /// The whole frame.
    pub frame: &'a [u8],
    /// Link type it was decoded as.
    pub link_type: LinkType,
    /// Outermost link-level header, at offset 0 (none for raw IP); see [`Decoded::links`]
    /// for the ones inside it.
    pub link: Option<Link<'a>>,
    /// Offsets, lengths and kinds of the link-level headers inside `link`.
    inner_links: [(u32, u32, Option<&'static LinkDef>); MAX_LINKS - 1],
    /// Offsets of the VLAN tags, outermost first (see [`Decoded::vlan_tags`]). Offsets
    /// rather than views keep `Decoded` small, which the per-packet copy pays for.
    vlan_at: [u32; MAX_VLANS],
    vlan_count: u8,
    /// Network layer and its offset.
    pub network: Option<(usize, Network<'a>)>,
    /// Offsets of the IPv6 extension headers (see [`Decoded::ext_headers`]).
    ext_at: [u32; MAX_EXT_HEADERS],
    /// Their kinds, apart from the offsets so that both clear in a store or two.
    ext_kind: [u8; MAX_EXT_HEADERS],
    ext_count: u8,
    /// Transport layer and its offset.
    pub transport: Option<(usize, Transport<'a>)>,
    /// What is left after the last decoded header (application data, or undecoded bytes).
    pub payload: &'a [u8],
    /// Offset of `payload`.
    pub payload_offset: usize,
    /// Bytes after the network packet's stated length: Ethernet padding or trailers.
    pub trailer: &'a [u8],
    /// True when the capture holds less than the IP header's length says (snap length).
    pub truncated: bool,
    /// Why decoding stopped before reaching the payload, if it did.
    pub stop: Option<WireError>,
}

/// Decodes a frame captured with link type `link`. Never panics and never allocates.
///
/// Frames of the common kinds (Ethernet or raw IP, IPv4 or IPv6, TCP or UDP, all valid)
/// take a straight path that is inlined into the caller; everything else, and every frame
/// with something to report, goes through the general decoder.
#[inline(always)]
pub fn decode(link: LinkType, frame: &[u8]) -> Decoded<'_> {
    match common::decode(link, frame) {
        Some(found) => found.into_decoded(link, frame),
        None => Decoded::decode_any(link, frame),
    }
}

/// The checksum verdicts of one frame: what [`Decoded::ip_checksum`] and
/// [`Decoded::transport_checksum`] give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChecksumVerdicts {
    /// The IPv4 header checksum verdict (None without IPv4).
    pub ip: Option<ChecksumStatus>,
    /// The transport checksum verdict (None without a transport layer).
    pub transport: Option<ChecksumStatus>,
}

/// Decodes a frame as [`decode`] does and judges its checksums: the same verdicts as
/// `decode(link, frame)` followed by [`Decoded::ip_checksum`] and
/// [`Decoded::transport_checksum`], for a caller that wants only those. Never panics and
/// never allocates.
///
/// The common frames are judged straight from their views, so no [`Decoded`] is built and
/// stored for them; everything else goes through the general decoder.
#[inline(always)]
pub fn verify_checksums(link: LinkType, frame: &[u8]) -> ChecksumVerdicts {
    match common::decode(link, frame) {
        Some(found) => found.checksums(),
        None => Decoded::checksums_any(link, frame),
    }
}

impl<'a> Decoded<'a> {
    /// [`verify_checksums`] through the general decoder, kept out of line as it is.
    #[inline(never)]
    fn checksums_any(link: LinkType, frame: &'a [u8]) -> ChecksumVerdicts {
        let d = Decoded::decode_any(link, frame);
        ChecksumVerdicts {
            ip: d.ip_checksum(),
            transport: d.transport_checksum(),
        }
    }

    /// A frame with nothing decoded yet: all of it is payload.
    #[inline]
    fn nothing(link: LinkType, frame: &'a [u8]) -> Decoded<'a> {
        Decoded {
            frame,
            link_type: link,
            link: None,
            inner_links: [(0, 0, None); MAX_LINKS - 1],
            vlan_at: [0; MAX_VLANS],
            vlan_count: 0,
            network: None,
            ext_at: [0; MAX_EXT_HEADERS],
            ext_kind: [0; MAX_EXT_HEADERS],
            ext_count: 0,
            transport: None,
            payload: frame,
            payload_offset: 0,
            trailer: &[],
            truncated: false,
            stop: None,
        }
    }

    /// The general decoder: every link type, layer and error. Kept out of line so that
    /// [`decode`], inlined into its callers, stays small.
    #[inline(never)]
    fn decode_any(link: LinkType, frame: &'a [u8]) -> Decoded<'a> {
        let mut d = Decoded::nothing(link, frame);
        match link::for_link_type(link) {
            Start::Header(def) => d.links_from(0, def),
            Start::Bare(next) => d.next(0, next),
            Start::Unknown => {}
        }
        d
    }
}

impl<'a> Decoded<'a> {
    fn set_payload(&mut self, at: usize) {
        let at = at.min(self.frame.len());
        self.payload = &self.frame[at..];
        self.payload_offset = at;
    }

    /// Decodes link-level headers from `at`, each announcing the next, then what the last
    /// one announces.
    fn links_from(&mut self, mut at: usize, mut def: &'static LinkDef) {
        let mut n = 0;
        loop {
            let parsed = match (def.parse)(&self.frame[at..]) {
                Ok(p) => p,
                Err(e) => {
                    self.stop = Some(e.add_offset(at));
                    return;
                }
            };
            let len = parsed.len.min(self.frame.len() - at);
            if n == 0 {
                self.link = Some(Link {
                    def,
                    offset: at,
                    header: &self.frame[at..at + len],
                });
            } else {
                self.inner_links[n - 1] = (at as u32, len as u32, Some(def));
            }
            n += 1;
            at += len;
            self.set_payload(at);
            match parsed.next {
                Next::Link(inner) if n < MAX_LINKS => def = inner,
                Next::Link(_) => return,
                other => return self.next(at, other),
            }
        }
    }

    /// Decodes what a link header (or the link type itself) says starts at `at`.
    fn next(&mut self, at: usize, next: Next) {
        match next {
            Next::EtherType(et) => self.ethertype(at, et),
            Next::Ipv4 => self.decode_ipv4(at),
            Next::Ipv6 => self.decode_ipv6(at),
            Next::Ip => match self.frame.get(at).map(|b| b >> 4) {
                Some(4) => self.decode_ipv4(at),
                Some(6) => self.decode_ipv6(at),
                Some(v) => {
                    self.stop = Some(WireError::malformed(
                        Layer::Ipv4,
                        at,
                        &ipv4::field::VERSION,
                        Reason::Other(if v == 0 {
                            "0: neither IPv4 nor IPv6"
                        } else {
                            "neither 4 nor 6"
                        }),
                    ))
                }
                None => self.stop = Some(WireError::truncated(Layer::Ipv4, 1, 0).add_offset(at)),
            },
            Next::Link(def) if self.link.is_none() => self.links_from(at, def),
            Next::Link(_) | Next::Named(_) | Next::Undecoded => {}
        }
    }

    /// Every link-level header decoded, outermost first.
    pub fn links(&self) -> impl Iterator<Item = Link<'a>> + '_ {
        let frame = self.frame;
        self.link
            .into_iter()
            .chain(self.inner_links.iter().filter_map(move |&(at, len, def)| {
                let (at, len) = (at as usize, len as usize);
                def.map(|def| Link {
                    def,
                    offset: at,
                    header: &frame[at..at + len],
                })
            }))
    }

    fn ethertype(&mut self, mut at: usize, mut et: EtherType) {
        let mut n = 0;
        while et.is_vlan() {
            if n == MAX_VLANS {
                self.stop = Some(WireError::malformed(
                    Layer::Vlan,
                    at,
                    &vlan::field::TYPE,
                    Reason::Above {
                        value: n as u64 + 1,
                        max: MAX_VLANS as u64,
                    },
                ));
                return;
            }
            match vlan::Packet::new_checked(&self.frame[at..]) {
                Ok(tag) => {
                    self.vlan_at[n] = at as u32;
                    n += 1;
                    self.vlan_count = n as u8;
                    et = tag.ethertype();
                    at += vlan::HEADER_LEN;
                    self.set_payload(at);
                }
                Err(e) => {
                    self.stop = Some(e.add_offset(at));
                    return;
                }
            }
        }
        match et {
            EtherType::Ipv4 => self.decode_ipv4(at),
            EtherType::Ipv6 => self.decode_ipv6(at),
            EtherType::Arp => match arp::Packet::new_checked(&self.frame[at..]) {
                Ok(p) => {
                    self.network = Some((at, Network::Arp(p)));
                    self.set_payload(at + p.header_len());
                    self.trailer = self.payload;
                    self.payload = &[];
                }
                Err(e) => self.stop = Some(e.add_offset(at)),
            },
            _ => {}
        }
    }

    fn decode_ipv4(&mut self, at: usize) {
        let bytes = &self.frame[at..];
        let p = ipv4::Packet::new_unchecked(bytes);
        if let Err(e) = p.check_header_len() {
            self.stop = Some(e.add_offset(at));
            return;
        }
        if p.version() != 4 {
            self.stop = Some(WireError::malformed(
                Layer::Ipv4,
                at,
                &ipv4::field::VERSION,
                Reason::NotEqual {
                    value: p.version().into(),
                    expected: 4,
                },
            ));
            return;
        }
        let total = usize::from(p.total_len());
        let end = total.min(bytes.len());
        let p = ipv4::Packet::new_unchecked(&bytes[..end]);
        self.truncated = total > bytes.len();
        self.trailer = &bytes[end..];
        self.network = Some((at, Network::Ipv4(p)));
        let hl = p.header_len();
        // check_header_len guarantees hl <= end; `get` keeps that a non-panicking fact.
        let payload = bytes.get(hl..end).unwrap_or(&[]);
        self.payload = payload;
        self.payload_offset = at + hl;
        if p.frag_offset() != 0 {
            // Later fragments carry no transport header.
            return;
        }
        self.transport(at + hl, p.protocol(), payload);
    }

    fn decode_ipv6(&mut self, at: usize) {
        let bytes = &self.frame[at..];
        let p = ipv6::Packet::new_unchecked(bytes);
        if let Err(e) = p.check_header_len() {
            self.stop = Some(e.add_offset(at));
            return;
        }
        if p.version() != 6 {
            self.stop = Some(WireError::malformed(
                Layer::Ipv6,
                at,
                &ipv6::field::VERSION,
                Reason::NotEqual {
                    value: p.version().into(),
                    expected: 6,
                },
            ));
            return;
        }
        let end = (ipv6::HEADER_LEN + usize::from(p.payload_len())).min(bytes.len());
        let p = ipv6::Packet::new_unchecked(&bytes[..end]);
        self.truncated = p.is_truncated();
        self.trailer = &bytes[end..];
        self.network = Some((at, Network::Ipv6(p)));
        let mut next = p.next_header();
        let mut rest = p.payload();
        let mut pos = at + ipv6::HEADER_LEN;
        self.set_payload(pos);
        self.payload = rest;
        let mut n = 0;
        while next.is_ipv6_extension() {
            if n == MAX_EXT_HEADERS {
                self.stop = Some(WireError::malformed(
                    Layer::Ipv6Ext,
                    pos,
                    &ipv6::field::NEXT_HEADER,
                    Reason::Above {
                        value: n as u64 + 1,
                        max: MAX_EXT_HEADERS as u64,
                    },
                ));
                return;
            }
            let h = match ipv6_ext::Header::new_checked(rest, next) {
                Ok(h) => h,
                Err(e) => {
                    self.stop = Some(e.add_offset(pos));
                    return;
                }
            };
            self.ext_at[n] = pos as u32;
            self.ext_kind[n] = next.into();
            n += 1;
            self.ext_count = n as u8;
            let hl = h.header_len();
            pos += hl;
            rest = &rest[hl..];
            self.payload = rest;
            self.payload_offset = pos;
            next = h.next_header();
            if h.kind() == IpProtocol::Ipv6Frag && h.frag_offset() != 0 {
                return;
            }
        }
        self.transport(pos, next, rest);
    }

    fn transport(&mut self, at: usize, proto: IpProtocol, bytes: &'a [u8]) {
        let result = match proto {
            IpProtocol::Tcp => tcp::Packet::new_checked(bytes)
                .map(|p| (Transport::Tcp(p), p.header_len(), p.payload())),
            IpProtocol::Udp => {
                let p = udp::Packet::new_unchecked(bytes);
                p.check_header_len()
                    .map(|()| (Transport::Udp(p), udp::HEADER_LEN, p.payload()))
            }
            IpProtocol::Icmp => icmpv4::Packet::new_checked(bytes)
                .map(|p| (Transport::Icmpv4(p), icmpv4::HEADER_LEN, p.payload())),
            IpProtocol::Icmpv6 => icmpv6::Packet::new_checked(bytes)
                .map(|p| (Transport::Icmpv6(p), icmpv6::HEADER_LEN, p.payload())),
            _ => return,
        };
        match result {
            Ok((t, hl, payload)) => {
                self.transport = Some((at, t));
                self.payload = payload;
                self.payload_offset = at + hl;
            }
            Err(e) => self.stop = Some(e.add_offset(at)),
        }
    }

    /// The IPv4 view, if the network layer is IPv4.
    pub fn ipv4(&self) -> Option<&ipv4::Packet<&'a [u8]>> {
        match &self.network {
            Some((_, Network::Ipv4(p))) => Some(p),
            _ => None,
        }
    }

    /// The IPv6 view, if the network layer is IPv6.
    pub fn ipv6(&self) -> Option<&ipv6::Packet<&'a [u8]>> {
        match &self.network {
            Some((_, Network::Ipv6(p))) => Some(p),
            _ => None,
        }
    }

    /// The TCP view, if any.
    pub fn tcp(&self) -> Option<&tcp::Packet<&'a [u8]>> {
        match &self.transport {
            Some((_, Transport::Tcp(p))) => Some(p),
            _ => None,
        }
    }

    /// The UDP view, if any.
    pub fn udp(&self) -> Option<&udp::Packet<&'a [u8]>> {
        match &self.transport {
            Some((_, Transport::Udp(p))) => Some(p),
            _ => None,
        }
    }

    /// VLAN tags found, outermost first.
    pub fn vlan_tags(&self) -> impl Iterator<Item = VlanTag<'a>> + '_ {
        let frame = self.frame;
        self.vlan_at[..usize::from(self.vlan_count)]
            .iter()
            .map(move |&at| {
                let offset = at as usize;
                VlanTag {
                    offset,
                    tag: vlan::Packet::new_unchecked(&frame[offset..]),
                }
            })
    }

    /// IPv6 extension headers found, in chain order; each view ends where the IPv6
    /// packet does.
    pub fn ext_headers(&self) -> impl Iterator<Item = ExtHeader<'a>> + '_ {
        let frame = self.frame;
        let end = match self.network {
            Some((at, Network::Ipv6(p))) => at + p.into_inner().len(),
            _ => 0,
        };
        let n = usize::from(self.ext_count);
        self.ext_at[..n]
            .iter()
            .zip(&self.ext_kind[..n])
            .map(move |(&at, &kind)| {
                let offset = at as usize;
                ExtHeader {
                    offset,
                    header: ipv6_ext::Header::new_unchecked(
                        &frame[offset..end.max(offset)],
                        IpProtocol::from(kind),
                    ),
                }
            })
    }

    /// The datagram an ICMP or ICMPv6 error message quotes, decoded as raw IP. It is usually
    /// cut a few bytes into its transport header, which decoding tolerates.
    pub fn quoted(&self) -> Option<Decoded<'a>> {
        let bytes = match self.transport {
            Some((_, Transport::Icmpv4(p))) => p.quoted(),
            Some((_, Transport::Icmpv6(p))) => p.quoted(),
            _ => None,
        }?;
        Some(decode(LinkType::Raw, bytes))
    }

    /// Source and destination IP addresses.
    pub fn addrs(&self) -> Option<(IpAddr, IpAddr)> {
        match &self.network {
            Some((_, Network::Ipv4(p))) => Some((p.src_addr().into(), p.dst_addr().into())),
            Some((_, Network::Ipv6(p))) => Some((p.src_addr().into(), p.dst_addr().into())),
            _ => None,
        }
    }

    /// Source and destination ports of TCP or UDP, also when decoding stopped inside a TCP
    /// or UDP header that still holds its first four bytes: ICMP errors quote only the first
    /// 8 bytes of the offending segment, which is enough to say which connection it was.
    pub fn ports(&self) -> Option<(u16, u16)> {
        match &self.transport {
            Some((_, Transport::Tcp(p))) => Some((p.src_port(), p.dst_port())),
            Some((_, Transport::Udp(p))) => Some((p.src_port(), p.dst_port())),
            Some(_) => None,
            None => match self.stop {
                Some(WireError::Truncated {
                    layer: Layer::Tcp | Layer::Udp,
                    offset,
                    ..
                }) => {
                    let b = self.frame.get(offset..offset.checked_add(4)?)?;
                    Some((
                        u16::from_be_bytes([b[0], b[1]]),
                        u16::from_be_bytes([b[2], b[3]]),
                    ))
                }
                _ => None,
            },
        }
    }

    /// The pseudo-header for the transport checksum. IPv6 routing headers change the final
    /// destination; this uses the address in the fixed header, as a receiver has it.
    pub fn pseudo_header(&self) -> Option<PseudoHeader> {
        match &self.network {
            Some((_, Network::Ipv4(p))) => Some(PseudoHeader::V4 {
                src: p.src_addr(),
                dst: p.dst_addr(),
            }),
            Some((_, Network::Ipv6(p))) => Some(PseudoHeader::V6 {
                src: p.src_addr(),
                dst: p.dst_addr(),
            }),
            _ => None,
        }
    }

    /// The IPv4 header checksum verdict (None without IPv4).
    pub fn ip_checksum(&self) -> Option<ChecksumStatus> {
        self.ipv4().map(|p| p.verify_checksum())
    }

    /// The transport checksum verdict (None without a transport layer). Computed on
    /// request, so decoding alone stays cheap.
    pub fn transport_checksum(&self) -> Option<ChecksumStatus> {
        let (t_at, transport) = self.transport?;
        let (net_at, network) = self.network?;
        verdict::transport(network, net_at, transport, t_at, || {
            self.ext_kind[..usize::from(self.ext_count)].contains(&u8::from(IpProtocol::Ipv6Frag))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checksum::Unverified;
    use crate::testdata::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn ethernet_ipv4_tcp() {
        let d = decode(LinkType::Ethernet, &ETH_IPV4_TCP_DATA);
        assert!(d.stop.is_none());
        assert_eq!(d.link.unwrap().def, &crate::ethernet::LINK);
        assert_eq!(d.link.unwrap().header_len(), 14);
        assert_eq!(d.network.unwrap().0, 14);
        assert_eq!(d.transport.unwrap().0, 34);
        assert_eq!(d.payload, b"hello\n");
        assert_eq!(d.payload_offset, 66);
        assert_eq!(
            d.addrs(),
            Some((Ipv4Addr::LOCALHOST.into(), Ipv4Addr::LOCALHOST.into()))
        );
        assert_eq!(d.ports(), Some((36778, 47001)));
        assert_eq!(d.ip_checksum(), Some(ChecksumStatus::Good));
        assert_eq!(
            d.transport_checksum(),
            Some(ChecksumStatus::Unverified(Unverified::Offloaded))
        );
        assert!(!d.truncated && d.trailer.is_empty());
    }

    #[test]
    fn ethernet_ipv6_and_icmp() {
        let d = decode(LinkType::Ethernet, &ETH_IPV6_TCP_DATA);
        assert_eq!(d.payload, b"hello6\n");
        assert_eq!(d.addrs().unwrap().0, IpAddr::from(Ipv6Addr::LOCALHOST));
        let d = decode(LinkType::Ethernet, &ETH_IPV6_ICMPV6_ECHO);
        assert!(matches!(d.transport, Some((54, Transport::Icmpv6(_)))));
        assert_eq!(d.transport_checksum(), Some(ChecksumStatus::Good));
        let d = decode(LinkType::Ethernet, &ETH_IPV4_ICMP_ECHO);
        assert_eq!(d.transport_checksum(), Some(ChecksumStatus::Good));
        assert_eq!(d.payload, b"socklab-ping");
    }

    #[test]
    fn icmp_error_quote_decodes_laxly() {
        let d = decode(LinkType::Ethernet, &ETH_IPV4_ICMP_UNREACH);
        let Some((_, Transport::Icmpv4(icmp))) = d.transport else {
            panic!("no icmp")
        };
        let inner = decode(LinkType::Ipv4, icmp.quoted().unwrap());
        assert_eq!(inner.ports(), Some((58188, 47003)));
        assert_eq!(inner.udp().unwrap().payload(), b"udp-hello\n");
        // Hand-made: what an ICMP error quotes of a TCP segment, the IP header and the first
        // 8 bytes of TCP. The header is incomplete, but the ports are there.
        let quote = &ETH_IPV4_TCP_SYN[14..42];
        let inner = decode(LinkType::Ipv4, quote);
        assert!(inner.tcp().is_none());
        assert_eq!(inner.stop.unwrap().layer(), Layer::Tcp);
        assert_eq!(inner.ports(), Some((36778, 47001)));
        assert_eq!(decode(LinkType::Ipv4, &quote[..22]).ports(), None);
    }

    #[test]
    fn cooked_and_raw() {
        for (lt, frame) in [
            (LinkType::LinuxSll, &SLL_IPV4_UDP[..]),
            (LinkType::LinuxSll2, &SLL2_IPV4_UDP[..]),
        ] {
            let d = decode(lt, frame);
            assert!(d.stop.is_none());
            assert_eq!(d.payload, b"udp-hello\n");
            assert_eq!(d.ports(), Some((58188, 47003)));
        }
        let d = decode(LinkType::Raw, &ETH_IPV4_UDP[14..]);
        assert!(d.link.is_none());
        assert_eq!(
            decode(LinkType::from(14), &ETH_IPV4_UDP[14..]).payload,
            b"x\n"
        );
        assert_eq!(d.network.unwrap().0, 0);
        assert_eq!(d.payload, b"x\n");
        let d = decode(LinkType::Raw, &ETH_IPV6_TCP_SYN[14..]);
        assert!(d.ipv6().is_some() && d.tcp().is_some());
        let mut null = vec![2u8, 0, 0, 0];
        null.extend_from_slice(&ETH_IPV4_UDP[14..]);
        let d = decode(LinkType::Null, &null);
        assert_eq!(d.payload_offset, 4 + 28);
    }

    // The following frames are the real ones above, cut or broken by hand.
    #[test]
    fn snaplen_truncation_keeps_headers() {
        let d = decode(LinkType::Ethernet, &ETH_IPV4_TCP_DATA[..68]);
        assert!(d.truncated);
        assert!(d.stop.is_none());
        assert_eq!(d.payload, b"he");
        assert_eq!(
            d.transport_checksum(),
            Some(ChecksumStatus::Unverified(Unverified::Truncated))
        );
        let d = decode(LinkType::Ethernet, &ETH_IPV4_TCP_DATA[..40]);
        assert_eq!(
            d.stop,
            Some(WireError::Truncated {
                layer: Layer::Tcp,
                offset: 34,
                needed: 20,
                have: 6
            })
        );
        assert!(d.ipv4().is_some());
        assert_eq!(d.payload_offset, 34);
    }

    #[test]
    fn malformed_stops_with_absolute_offsets() {
        let mut f = ETH_IPV4_TCP_SYN;
        f[14] = 0x43;
        let d = decode(LinkType::Ethernet, &f);
        assert_eq!(
            d.stop.unwrap().to_string(),
            "ipv4 at byte 14: ip.hdr_len 3 (< 5)"
        );
        assert!(d.link.is_some() && d.network.is_none());
        let mut f = ETH_IPV4_TCP_SYN;
        f[46] = 0x30;
        let d = decode(LinkType::Ethernet, &f);
        assert_eq!(
            d.stop.unwrap().to_string(),
            "tcp at byte 46: tcp.hdr_len 3 (< 5)"
        );
        assert!(d.ipv4().is_some());
    }

    #[test]
    fn padding_is_trailer() {
        let mut f = ETH_IPV4_UDP.to_vec();
        f.extend_from_slice(&[0; 16]);
        let d = decode(LinkType::Ethernet, &f);
        assert_eq!(d.trailer.len(), 16);
        assert_eq!(d.payload, b"x\n");
    }

    // Hand-made from the real datagrams by setting fragment fields.
    #[test]
    fn ipv4_fragments() {
        let mut f = ETH_IPV4_UDP;
        f[20] |= 0x20; // MF: the first fragment still carries the UDP header
        let d = decode(LinkType::Ethernet, &f);
        assert!(d.udp().is_some());
        assert_eq!(
            d.transport_checksum(),
            Some(ChecksumStatus::Unverified(Unverified::Fragment))
        );
        let mut f = ETH_IPV4_UDP;
        f[21] = 1; // offset 8 bytes: a later fragment, no transport header
        let d = decode(LinkType::Ethernet, &f);
        assert!(d.ipv4().is_some() && d.transport.is_none() && d.stop.is_none());
        assert_eq!(d.payload.len(), 10);
        assert_eq!(d.payload_offset, 34);
    }

    #[test]
    fn ipv6_fragment_header() {
        let build = |offset_units: u16, more: bool| {
            let mut f = ETH_IPV6_TCP_SYN[..54].to_vec();
            f[20] = 44;
            f[18..20].copy_from_slice(&(40u16 + 8).to_be_bytes());
            let w = (offset_units << 3) | u16::from(more);
            f.extend_from_slice(&[6, 0]);
            f.extend_from_slice(&w.to_be_bytes());
            f.extend_from_slice(&[0, 0, 0, 7]);
            f.extend_from_slice(&ETH_IPV6_TCP_SYN[54..]);
            f
        };
        let first = build(0, true);
        let d = decode(LinkType::Ethernet, &first);
        assert_eq!(d.ext_headers().count(), 1);
        assert!(d.tcp().is_some());
        assert_eq!(
            d.transport_checksum(),
            Some(ChecksumStatus::Unverified(Unverified::Fragment))
        );
        let later = build(100, false);
        let d = decode(LinkType::Ethernet, &later);
        assert!(d.tcp().is_none() && d.stop.is_none());
        assert_eq!(d.payload_offset, 62);
        assert_eq!(d.payload.len(), 40);
    }

    #[test]
    fn vlan_stack() {
        // Hand-made: 802.1ad outer tag VID 10, 802.1Q inner tag VID 20, then the real IPv4 UDP.
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0xa8, 0x00, 0x0a, 0x81, 0x00, 0x00, 0x14, 0x08, 0x00]);
        f.extend_from_slice(&ETH_IPV4_UDP[14..]);
        let d = decode(LinkType::Ethernet, &f);
        let vids: Vec<u16> = d.vlan_tags().map(|t| t.tag.vid()).collect();
        assert_eq!(vids, [10, 20]);
        assert_eq!(d.network.unwrap().0, 22);
        assert_eq!(d.payload, b"x\n");
    }

    #[test]
    fn ipv6_extension_chain() {
        // Hand-made: the real IPv6 SYN with a hop-by-hop header (PadN) and a destination
        // options header inserted before TCP.
        let mut f = ETH_IPV6_TCP_SYN[..54].to_vec();
        f[20] = 0; // next header: hop-by-hop
        f[18..20].copy_from_slice(&(40u16 + 16).to_be_bytes());
        f.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
        f.extend_from_slice(&[6, 0, 1, 4, 0, 0, 0, 0]);
        f.extend_from_slice(&ETH_IPV6_TCP_SYN[54..]);
        let d = decode(LinkType::Ethernet, &f);
        assert!(d.stop.is_none(), "{:?}", d.stop);
        let kinds: Vec<IpProtocol> = d.ext_headers().map(|h| h.header.kind()).collect();
        assert_eq!(kinds, [IpProtocol::HopByHop, IpProtocol::Ipv6Opts]);
        assert_eq!(d.transport.unwrap().0, 70);
        assert_eq!(d.tcp().unwrap().dst_port(), 47002);
    }

    /// Reads every field and walks every option of everything decoded, the way a printer
    /// would, and checks the offsets are consistent. Used on arbitrary bytes: any panic in
    /// a getter after a successful check is a bug.
    fn exercise(d: &Decoded<'_>, depth: u8) {
        let n = d.frame.len();
        assert!(d.payload_offset <= n);
        assert!(d.frame[d.payload_offset..].starts_with(d.payload));
        let _ = (
            d.ip_checksum(),
            d.transport_checksum(),
            d.addrs(),
            d.ports(),
            d.pseudo_header(),
        );
        if let Some(e) = d.stop {
            assert!(e.offset() <= n, "{e} beyond {n}");
            let _ = e.to_string();
        }
        let mut link_end = 0;
        for l in d.links() {
            assert_eq!(l.offset, link_end, "link headers follow one another");
            link_end = l.offset + l.header_len();
            assert!(link_end <= n);
            let _ = l.next();
            l.walk_fields(&mut |f| assert!(f.end() <= link_end, "{} beyond its header", f.name));
            exercise_link(&l);
        }
        for t in d.vlan_tags() {
            let _ = vlan::Repr::parse(&t.tag).map(|r| r.to_string());
        }
        let mut last = 0;
        match d.network {
            Some((at, Network::Ipv4(p))) => {
                last = at;
                let _ = (
                    p.dscp(),
                    p.ecn(),
                    p.ident(),
                    p.dont_frag(),
                    p.more_frags(),
                    p.frag_offset(),
                    p.ttl(),
                    p.protocol(),
                    p.reserved_flag(),
                );
                for o in p.options() {
                    let _ = o.map(|o| o.field());
                }
                let _ = ipv4::Repr::parse(&p).map(|r| r.to_string());
            }
            Some((at, Network::Ipv6(p))) => {
                last = at;
                let _ = (
                    p.traffic_class(),
                    p.flow_label(),
                    p.next_header(),
                    p.hop_limit(),
                );
                let _ = ipv6::Repr::parse(&p).map(|r| r.to_string());
                for h in d.ext_headers() {
                    assert!(h.offset > last);
                    last = h.offset;
                    let _ = (
                        h.header.fields(),
                        h.header.routing_type(),
                        h.header.segments_left(),
                        h.header.frag_ident(),
                    );
                    for o in h.header.options() {
                        let _ = o.map(|o| o.kind.to_string());
                    }
                    let _ = ipv6_ext::Repr::parse(&h.header).map(|r| r.to_string());
                }
            }
            Some((at, Network::Arp(p))) => {
                last = at;
                let _ = (
                    p.sender_hardware_addr(),
                    p.target_protocol_addr(),
                    p.operation(),
                );
                let _ = arp::Repr::parse(&p).map(|r| r.to_string());
            }
            None => {}
        }
        if let Some((at, t)) = d.transport {
            assert!(at > last && at <= n);
            match t {
                Transport::Tcp(p) => {
                    let _ = (
                        p.seq_number(),
                        p.ack_number(),
                        p.flags().to_string(),
                        p.window_len(),
                        p.urgent_at(),
                        p.segment_len(),
                        p.reserved(),
                    );
                    for o in p.options() {
                        let _ = o.map(|o| o.field());
                    }
                    let _ = tcp::Repr::parse(&p).map(|r| r.to_string());
                }
                Transport::Udp(p) => {
                    let _ = (p.len(), p.payload());
                    let _ = udp::Repr::parse(&p).map(|r| r.to_string());
                }
                Transport::Icmpv4(p) => {
                    let _ = (p.fields(), p.echo_ident(), p.rest_of_header());
                    let _ = icmpv4::Repr::parse(&p).map(|r| r.to_string());
                    if let (Some(q), true) = (p.quoted(), depth < 3) {
                        exercise(&decode(LinkType::Ipv4, q), depth + 1);
                    }
                }
                Transport::Icmpv6(p) => {
                    let _ = (p.fields(), p.echo_seq_no(), p.rest_of_header());
                    let _ = icmpv6::Repr::parse(&p).map(|r| r.to_string());
                    if let (Some(q), true) = (p.quoted(), depth < 3) {
                        exercise(&decode(LinkType::Ipv6, q), depth + 1);
                    }
                }
            }
        }
    }

    /// Reads every getter of a link header's view, as a printer would.
    fn exercise_link(l: &Link<'_>) {
        let h = l.header;
        match l.def.key {
            "eth" => {
                let f = crate::ethernet::Frame::new_checked(h).unwrap();
                let _ = (
                    f.src_addr(),
                    f.dst_addr(),
                    f.ethertype(),
                    crate::ethernet::Repr::parse(&f).map(|r| r.to_string()),
                );
            }
            "sll" => {
                let v = if h.len() == crate::sll::HEADER_LEN {
                    crate::sll::Version::V1
                } else {
                    crate::sll::Version::V2
                };
                let p = crate::sll::Packet::new_checked(h, v).unwrap();
                let _ = (
                    p.packet_type(),
                    p.hardware_type(),
                    p.address(),
                    p.protocol(),
                    p.ifindex(),
                );
                let _ = crate::sll::Repr::parse(&p).map(|r| r.to_string());
            }
            "null" => {
                let p = crate::null::Packet::new_checked(h).unwrap();
                let _ = crate::null::Repr::parse(&p).map(|r| r.to_string());
            }
            "llc" => {
                let p = crate::llc::Packet::new_checked(h).unwrap();
                let _ = (
                    p.dsap(),
                    p.ssap(),
                    p.control(),
                    p.is_snap(),
                    p.oui(),
                    p.pid(),
                );
            }
            "wlan" => {
                let p = crate::ieee80211::Packet::new_checked(h).unwrap();
                let _ = (p.duration(), p.seq_number(), p.frag_number(), p.qos_tid());
                for n in 1..=4 {
                    let _ = p.addr(n);
                }
            }
            "radiotap" => {
                let p = crate::radiotap::Packet::new_checked(h).unwrap();
                let _ = (p.present(), p.rate(), p.channel_mhz(), p.signal_dbm());
            }
            "ppp"
                if !(l.def == &crate::ppp::LINK_HDLC && matches!(h.first(), Some(0x0f | 0x8f))) =>
            {
                let p = crate::ppp::Packet::new_checked(h).unwrap();
                let _ = (p.protocol(), p.header_len());
            }
            "ppp" | "chdlc" => {
                let p = crate::chdlc::Packet::new_checked(h).unwrap();
                let _ = (p.address(), p.protocol());
            }
            "slip" => {
                let p = crate::slip::Packet::new_checked(h).unwrap();
                let _ = (p.outbound(), p.compression());
            }
            "fr" => {
                let p = crate::frame_relay::Packet::new_checked(h).unwrap();
                let _ = (p.dlci(), p.encapsulation(), p.cisco_type());
            }
            "nflog" => {
                let p = crate::nflog::Packet::new_checked(h).unwrap();
                let _ = (p.family(), p.resource_id(), p.attributes_end());
            }
            "ipoib" => {
                let p = crate::ipoib::Packet::new_checked(h).unwrap();
                let _ = (p.dst_qpn(), p.dst_gid(), p.ethertype());
            }
            "pktap" => {
                let p = crate::pktap::Packet::new_checked(h).unwrap();
                let _ = (p.dlt(), p.ifname(), p.pid(), p.record_type());
            }
            _ => {}
        }
    }

    use proptest::prelude::*;

    const LINKS: &[LinkType] = crate::link::DECODED;

    fn real_frames() -> [(LinkType, &'static [u8]); 11] {
        crate::testdata::captured()
    }

    #[test]
    fn every_real_frame_at_every_length() {
        for (lt, f) in real_frames() {
            for cut in 0..=f.len() {
                exercise(&decode(lt, &f[..cut]), 0);
            }
        }
        for (lt, f) in other_link_frames() {
            for cut in 0..=f.len() {
                exercise(&decode(lt, &f[..cut]), 0);
            }
        }
    }

    #[test]
    fn other_links_reach_the_datagram() {
        for (lt, f) in other_link_frames() {
            let d = decode(lt, &f);
            assert!(d.stop.is_none(), "{lt}: {:?}", d.stop);
            let named = matches!(d.links().last().map(|l| l.next()), Some(Next::Named(_)));
            assert!(named || d.payload == b"x\n", "{lt}: {:?}", d.payload);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn random_bytes_never_panic(link in 0usize..LINKS.len(), bytes in proptest::collection::vec(any::<u8>(), 0..160)) {
            exercise(&decode(LINKS[link], &bytes), 0);
        }

        #[test]
        fn other_links_mutated_never_panic(which in any::<prop::sample::Index>(), edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
            let frames = other_link_frames();
            let (lt, f) = &frames[which.index(frames.len())];
            let mut f = f.clone();
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            let cut = cut.index(f.len() + 1);
            exercise(&decode(*lt, &f[..cut]), 0);
        }

        #[test]
        fn mutated_frames_never_panic(which in 0usize..11, edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>()) {
            let (lt, f) = real_frames()[which];
            let mut f = f.to_vec();
            for (i, v) in edits {
                let i = i.index(f.len());
                f[i] = v;
            }
            let cut = cut.index(f.len() + 1);
            exercise(&decode(lt, &f[..cut]), 0);
        }
    }
}
