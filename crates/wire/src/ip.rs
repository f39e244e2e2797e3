//! What IPv4 and IPv6 share: the protocol numbers of what they carry.

enum_with_unknown! {
    /// IANA "Assigned Internet Protocol Numbers": the IPv4 protocol field and the IPv6 next
    /// header field.
    pub enum IpProtocol(u8) {
        /// IPv6 hop-by-hop options (RFC 8200 §4.3).
        HopByHop = 0 => "IPv6 hop-by-hop",
        /// Internet Control Message Protocol (RFC 792).
        Icmp = 1 => "ICMP",
        /// Internet Group Management Protocol (RFC 3376).
        Igmp = 2 => "IGMP",
        /// IPv4 encapsulated in IP (RFC 2003).
        IpInIp = 4 => "IPIP",
        /// Transmission Control Protocol (RFC 9293).
        Tcp = 6 => "TCP",
        /// User Datagram Protocol (RFC 768).
        Udp = 17 => "UDP",
        /// IPv6 encapsulated in IP (RFC 2473).
        Ipv6 = 41 => "IPv6",
        /// IPv6 routing header (RFC 8200 §4.4).
        Ipv6Route = 43 => "IPv6 routing",
        /// IPv6 fragment header (RFC 8200 §4.5).
        Ipv6Frag = 44 => "IPv6 fragment",
        /// Generic routing encapsulation (RFC 2784).
        Gre = 47 => "GRE",
        /// Encapsulating security payload (RFC 4303).
        Esp = 50 => "ESP",
        /// Authentication header (RFC 4302).
        Ah = 51 => "AH",
        /// ICMP for IPv6 (RFC 4443).
        Icmpv6 = 58 => "ICMPv6",
        /// No next header (RFC 8200 §4.7).
        Ipv6NoNxt = 59 => "no next header",
        /// IPv6 destination options (RFC 8200 §4.6).
        Ipv6Opts = 60 => "IPv6 destination options",
        /// Stream Control Transmission Protocol (RFC 9260).
        Sctp = 132 => "SCTP",
    }
}

impl IpProtocol {
    /// Field kind of a field holding one of these IP protocol numbers.
    pub const KIND: crate::field::Kind = crate::field::Kind::Code {
        hex: false,
        names: Self::NAMES,
    };
}

impl IpProtocol {
    /// True for the IPv6 extension headers this crate walks through to reach the upper layer.
    pub fn is_ipv6_extension(self) -> bool {
        matches!(
            self,
            IpProtocol::HopByHop
                | IpProtocol::Ipv6Route
                | IpProtocol::Ipv6Frag
                | IpProtocol::Ipv6Opts
                | IpProtocol::Ah
        )
    }
}
